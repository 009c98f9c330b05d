"""File chips: the name, type, size and (for PDFs) pages of each file, in the live view and the static forms.

The chip shows facts about the file, never its content: neither the base64 nor the text of a
file reaches the page (or the widget state a notebook saves).
"""

from __future__ import annotations

from typing import Any

import agentkit as ak
from agentkit.display import render
from agentkit.display.render import RunView
from agentkit.display.widget import LiveView
from agentkit.messages import File, Message, TextPart, ToolCallPart, ToolResultPart
from tests.files._samples import pdf, wav

REPORT = File(pdf(3), name="report.pdf")
SECRET_TEXT = File(b"launch code 0000-SECRET\n", name="codes.txt")


def _history() -> list[Message]:
    call = ToolCallPart("c1", "fetch", {})
    return [
        Message.user("Compare these", REPORT, File(wav(1.0), name="call.wav"), SECRET_TEXT),
        Message("assistant", [call], model="claude-sonnet-4-5", dialect="anthropic"),
        Message("tool", [ToolResultPart("c1", "fetch", (TextPart("here"), ak.messages.FilePart(File(pdf(1)))))]),
        Message("assistant", [TextPart("Done.")], model="claude-sonnet-4-5", dialect="anthropic"),
    ]


def test_the_static_forms_show_a_chip_per_file_without_its_content() -> None:
    view = RunView.from_messages(_history())
    page = render.run_html(view)
    assert 'class="ak-file"' in page
    assert "report.pdf</b> PDF · 3 pages · 529 B" in page
    assert "call.wav</b> WAV · 16.0 KB" in page
    assert "codes.txt</b> TEXT · 24 B" in page
    assert "file.pdf</b> PDF · 1 page · " in page  # the tool's file, in its result card
    assert REPORT.base64[:40] not in page and "SECRET" not in page
    markdown = render.run_markdown(view)
    assert "Attached: report.pdf (PDF · 3 pages · 529 B), call.wav (WAV · 16.0 KB)" in markdown


def test_the_live_view_shows_the_chips_of_the_prompt_as_stored(relay: Any) -> None:
    view = LiveView(prompt="Summarise", model="gpt-4o", dialect="openai")
    view.set_user(Message.user("Summarise", REPORT))
    view.flush(force=True)
    user = view._user.value
    assert "report.pdf</b> PDF · 3 pages · 529 B" in user and REPORT.base64[:40] not in user
    # And a finished agent's own display (the transcript) shows them too.
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    agent("Summarise", files=[REPORT])
    assert "report.pdf</b> PDF · 3 pages" in agent._repr_mimebundle_()["text/html"]
