"""The pure renderers: a run (from events or from a finished Reply) as HTML, Markdown and text."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import agentkit as ak
from agentkit.display import render
from agentkit.display.render import RunView, Transcript
from agentkit.emulator import Call, Turn
from agentkit.events import (
    ReasoningDelta,
    RunFinished,
    TextDelta,
    ToolCallDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
    TurnStarted,
)
from agentkit.messages import Image, ImagePart, Message, TextPart, ToolCallPart, ToolResultPart, Usage
from agentkit.reply import Reply

KEY = "sk-render-test-SECRET-77aa"


@pytest.fixture(scope="module")
def relay() -> Iterator[Any]:
    with ak.emulator.serve(api_key=KEY) as relay:
        yield relay


@ak.tool
def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: City name.
    """
    return {"city": city, "temperature": 21}


def _png(width: int, height: int) -> bytes:
    from PIL import Image as PILImage

    out = io.BytesIO()
    PILImage.new("RGB", (width, height), "#3366cc").save(out, format="PNG")
    return out.getvalue()


def visible(markup: str) -> str:
    markup = re.sub(r"<style>.*?</style>", " ", markup, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", markup).replace("&quot;", '"').split())


def test_markdown_is_rendered_and_raw_html_from_the_model_is_escaped() -> None:
    out = render.markdown_html(
        "# Title\n\n**bold** and <script>alert(1)</script> [x](javascript:alert(1))\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1\n```"
    )
    assert "<h1>Title</h1>" in out and "<strong>bold</strong>" in out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert 'href="javascript:' not in out
    assert "<table>" in out and "<td>1</td>" in out
    assert "<pre><code" in out and "style=" in out  # fenced code coloured by Pygments


def test_a_streamed_run_becomes_cards_text_and_a_footer() -> None:
    view = RunView(prompt="Weather in Paris and Rome?")
    call_a = ToolCallPart("c1", "get_weather", {"city": "Paris"})
    call_b = ToolCallPart("c2", "get_weather", {"city": "Rome"})
    chart = Image(data=_png(40, 30), mime_type="image/png")
    events: list[Any] = [
        TurnStarted(1, "claude-sonnet-4-5", "anthropic"),
        ReasoningDelta("I should look "),
        ReasoningDelta("both up."),
        ToolCallDelta(0, id="c1", name="get_weather", arguments='{"city": '),
        ToolCallDelta(0, arguments='"Paris"}'),
        ToolCallDelta(1, id="c2", name="get_weather", arguments='{"city": "Rome"}'),
        TurnFinished(1, Message("assistant", [call_a, call_b]), Usage(10, 5)),
        ToolCallStarted(call_a),
        ToolCallStarted(call_b),
    ]
    for event in events:
        view.apply(event)
    turn = view.turns[0]
    assert turn.reasoning == "I should look both up."
    assert [t.status for t in turn.tools] == ["running", "running"]
    assert "running…" in render.tool_html(turn.tools[0]) and "ak-spinner" in render.tool_html(turn.tools[0])
    view.apply(ToolCallFinished(call_a, ToolResultPart("c1", "get_weather", (TextPart('{"temperature": 21}'),)), 0.25))
    view.apply(ToolCallFinished(call_b, ToolResultPart("c2", "get_weather", (TextPart("boom"),), is_error=True), 1.5))
    view.apply(ToolCallFinished(call_b, ToolResultPart("c2", "get_weather", (ImagePart(chart),)), 1.5))
    assert [t.status for t in turn.tools] == ["ok", "ok"]
    paris = render.tool_html(turn.tools[0])
    assert '"temperature"' in visible(paris) and "250 ms" in paris and 'data-status="ok"' in paris
    rome = render.tool_html(turn.tools[1])
    assert '<img src="data:image/png;base64,' in rome and "PNG · 40×30" in rome  # noqa: RUF001
    view.apply(TurnStarted(2, "claude-sonnet-4-5", "anthropic"))
    for piece in ("It is **21", "°C** in both."):
        view.apply(TextDelta(piece))
    assert "ak-caret" in render.turn_text_html(view, view.turns[1])  # still streaming
    final = Message("assistant", [TextPart("It is **21°C** in both.")])
    view.apply(TurnFinished(2, final, Usage(20, 8)))
    reply = Reply("It is **21°C** in both.", "claude-sonnet-4-5", "anthropic", usage=Usage(30, 13), turns=2,
                  elapsed=2.5)
    view.apply(RunFinished(reply))
    page = render.run_html(view, style=False)
    assert "ak-caret" not in page and "<strong>21°C</strong>" in page
    assert "2 tool calls in parallel" in visible(page)
    footer = visible(render.footer_html(view))
    assert footer == "claude-sonnet-4-5 anthropic 2 turns 30 in · 13 out 2.50 s ✓ done"


def test_a_failed_tool_shows_its_error_and_a_failed_run_says_so() -> None:
    view = RunView()
    call = ToolCallPart("c1", "search", {"q": "x"})
    view.apply(TurnStarted(1, "gpt-4o", "openai"))
    view.apply(TurnFinished(1, Message("assistant", [call]), Usage()))
    view.apply(ToolCallStarted(call))
    view.apply(ToolCallFinished(call, ToolResultPart("c1", "search", (TextPart("ValueError: bad <q>"),),
                                                     is_error=True), 0.01))
    card = render.tool_html(view.turns[0].tools[0])
    assert 'class="ak-tool ak-error"' in card and "ValueError: bad &lt;q&gt;" in card
    view.fail(ak.RateLimitError("Slow down.", status=429))
    page = render.run_html(view)
    assert view.status == "error" and "RateLimitError:" in page and "Slow down." in page
    assert "✕ failed" in render.footer_html(view)


def test_reply_mimebundle_from_a_real_run_has_html_markdown_and_text(relay: Any) -> None:
    agent = ak.Agent("gpt-4o", tools=[get_weather], relay=relay, display=False)
    reply = agent("What is the weather in Paris and London?")
    bundle = reply._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/markdown", "text/plain"}
    assert bundle["text/html"].count('data-tool="get_weather"') == 2
    assert '"city": "London"' in visible(bundle["text/html"])
    assert "**✓ `get_weather`**" in bundle["text/markdown"] and '"temperature": 21' in bundle["text/markdown"]
    assert reply.text in bundle["text/plain"] and "gpt-4o · openai · 2 turns" in bundle["text/plain"]
    for text in bundle.values():
        assert KEY not in text


@dataclass
class Line:
    item: str
    amount: float


@dataclass
class Receipt:
    shop: str
    lines: list[Line]
    paid: bool


def test_structured_output_becomes_tables_with_the_json_underneath() -> None:
    receipt = Receipt("Corner shop", [Line("bread", 2.5), Line("milk", 1.2)], True)
    out = render.output_html(receipt)
    assert 'data-output-type="Receipt"' in out
    grid = out.split('<table class="ak-grid">', 1)[1].split("</table>", 1)[0]
    assert visible(grid) == "item amount bread 2.5 milk 1.2"
    assert "<th>shop</th><td>Corner shop</td>" in out and '<span class="ak-b">true</span>' in out
    assert "<summary>JSON</summary>" in out and '"bread"' in visible(out)
    partial = render.output_html(None, partial={"shop": "Corner"})
    assert "ak-spinner" in partial and "Corner" in partial


def test_thumbnails_are_downscaled_so_widget_state_stays_small() -> None:
    big = Image(data=_png(2000, 1000), mime_type="image/png")
    markup = render.image_html(big)
    data = base64.b64decode(markup.split("base64,", 1)[1].split('"', 1)[0])
    from PIL import Image as PILImage

    assert PILImage.open(io.BytesIO(data)).size == (render.THUMBNAIL_PX, render.THUMBNAIL_PX // 2)
    assert "2000×1000" in markup  # noqa: RUF001 - the caption gives the real size


def test_transcript_and_agent_show_the_whole_conversation(relay: Any) -> None:
    relay.emulator.script(Turn(tool_calls=[Call("get_weather", {"city": "Oslo"})]), "Cold.", "Bye!")
    agent = ak.Agent("claude-sonnet-4-5", tools=[get_weather], relay=relay, display=False, system="Be brief.")
    agent("Weather in Oslo?")
    agent("Thanks")
    runs = Transcript(agent.history).runs()
    assert [r.prompt for r in runs] == ["Weather in Oslo?", "Thanks"]
    bundle = agent._repr_mimebundle_()
    page = visible(bundle["text/html"])
    assert "claude-sonnet-4-5" in page and "get_weather Current weather for a city." in page
    assert "Weather in Oslo?" in page and "Cold." in page and "Bye!" in page and "Be brief." in page
    assert bundle["text/plain"] == repr(agent)
    assert ak.display.transcript(agent)._repr_mimebundle_()["text/plain"].startswith("user: Weather in Oslo?")


def test_markdown_and_text_forms_stand_alone() -> None:
    history = [
        Message.user("Hi", Image(data=_png(4, 4))),
        Message("assistant", [TextPart("Hello **there**")], model="gpt-4o", dialect="openai", usage=Usage(3, 2)),
    ]
    view = RunView.from_messages(history)
    assert render.run_markdown(view).startswith("> **You:** Hi\n\n> *1 image(s) attached*\n\nHello **there**")
    assert render.run_text(view) == "Hello **there**\n[gpt-4o · openai · 1 turn · 3 in / 2 out tokens]"
