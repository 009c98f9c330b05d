"""Live view details (issue 15, item 6): Ctrl-C reads "interrupted" with the caret stopped, the wait for
approval is shown apart from the tool's own time, and preformatted text never breaks mid-word."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest

import agentkit as ak
from agentkit.display import render
from agentkit.display.render import RunView
from agentkit.display.widget import LiveView
from agentkit.emulator import Call, Turn
from agentkit.events import TextDelta, ToolCallFinished, ToolCallStarted, TurnFinished, TurnStarted
from agentkit.messages import Message, TextPart, ToolCallPart, ToolResultPart, Usage


@pytest.fixture(scope="module")
def relay() -> Iterator[Any]:
    with ak.emulator.serve() as relay:
        yield relay


@ak.tool(approval=True)
def launch(target: str) -> str:
    """Launch the rocket at a target.

    Args:
        target: Where to.
    """
    return f"launched at {target}"


def test_ctrl_c_is_interrupted_not_failed_and_the_caret_stops() -> None:
    view = LiveView(prompt="Tell me a story", model="gpt-4o", dialect="openai")
    view.handle(TurnStarted(1, "gpt-4o", "openai"))
    view.handle(TextDelta("Once upon a time"))
    view.flush(force=True)
    assert "ak-caret" in view._turns[1].text.value
    view.fail(KeyboardInterrupt())
    assert view.state.status == "interrupted"
    assert "interrupted" in view._footer.value and "failed" not in view._footer.value
    assert view._error.value == ""  # no error box for a stop the user asked for
    assert "ak-caret" not in view._turns[1].text.value


def test_a_failure_also_stops_the_caret() -> None:
    view = LiveView(prompt="hi", model="gpt-4o", dialect="openai")
    view.handle(TurnStarted(1, "gpt-4o", "openai"))
    view.handle(TextDelta("Half an ans"))
    view.flush(force=True)
    view.fail(ak.UpstreamError("boom", status=502))
    assert "✕ failed" in view._footer.value
    assert "ak-caret" not in view._turns[1].text.value


def test_approval_wait_is_not_tool_time(relay: Any) -> None:
    relay.emulator.reset()
    relay.emulator.script(Turn(tool_calls=[Call("launch", {"target": "Mars"})]), "Done.")

    def slow_yes(call: ToolCallPart) -> bool:
        time.sleep(0.3)  # a person reading the question
        return True

    agent = ak.Agent("gpt-4o", tools=[launch], relay=relay, display=False, approve=slow_yes)
    finished = [e for e in agent.stream("Go to Mars") if isinstance(e, ToolCallFinished)]
    assert finished[0].approval_wait >= 0.3
    # The tool itself is instant: counted in, the 0.3 s spent deciding would make it at least as long.
    assert finished[0].duration < finished[0].approval_wait, finished[0]
    assert agent.history and agent("again?").text  # the run and the history are fine


def test_the_card_shows_the_approval_wait_apart() -> None:
    view = RunView(model="gpt-4o", dialect="openai")
    view.apply(TurnStarted(1, "gpt-4o", "openai"))
    call = ToolCallPart("c1", "launch", {"target": "Mars"})
    view.apply(ToolCallFinished(call, ToolResultPart("c1", "launch", (TextPart("ok"),)), 0.004,
                                approval_wait=2.5))
    card = render.tool_html(view.turns[0].tools[0])
    assert "approval 2.5" in card


def test_preformatted_text_breaks_between_words() -> None:
    # JupyterLab's output CSS sets `word-break: break-all` on every <pre>; the view resets it.
    assert ".ak pre{word-break:normal}" in render.CSS


def test_an_image_shows_as_the_picture_in_a_notebook() -> None:
    from agentkit.messages import Image

    png = Image(data=b"\x89PNG\r\n\x1a\n" + b"\0" * 16, mime_type="image/png")
    bundle = png._repr_mimebundle_()
    assert bundle["image/png"] == png.base64
    assert bundle["text/plain"].startswith("Image(image/png")
    remote = Image(url="https://example.com/cat.jpg?a=1&b=2", mime_type="image/jpeg")
    assert '<img src="https://example.com/cat.jpg?a=1&amp;b=2"' in remote._repr_mimebundle_()["text/html"]


def test_agent_history_shows_as_a_transcript(relay: Any) -> None:
    relay.emulator.reset()
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    agent("Hello there")
    bundle = agent.history._repr_mimebundle_()  # type: ignore[attr-defined]
    assert "Hello there" in bundle["text/html"] and "Message(" not in bundle["text/html"]
    assert "Message(" not in bundle["text/plain"]
    assert agent.history == list(agent.history) and isinstance(agent.history, list)
    agent.reset()
    assert hasattr(agent.history, "_repr_mimebundle_") and agent.history == []


def test_a_long_result_shows_its_first_lines_and_folds_the_rest_with_a_line_count() -> None:
    view = RunView(model="gpt-4o", dialect="openai")
    view.apply(TurnStarted(1, "gpt-4o", "openai"))
    rows = [{"row": i, "name": f"item {i}"} for i in range(40)]
    import json

    call = ToolCallPart("c1", "query", {})
    view.apply(ToolCallFinished(call, ToolResultPart("c1", "query", (TextPart(json.dumps(rows)),)), 0.01))
    card = render.tool_html(view.turns[0].tools[0])
    assert '<details class="ak-long">' in card
    count = int(card.split('<span class="ak-more">', 1)[1].split(" lines", 1)[0])
    assert count > 40
    # Nothing is lost: the folded part holds the last row, and head + rest is the whole JSON.
    assert "item 39" in card.split('class="ak-json ak-rest"', 1)[1]
    short = ToolResultPart("c2", "query", (TextPart('{"ok": true}'),))
    view.apply(ToolCallFinished(ToolCallPart("c2", "query", {}), short, 0.01))
    assert "ak-long" not in render.tool_html(view.turns[0].tools[1])


def test_a_tool_card_folds_on_its_head() -> None:
    view = RunView(model="gpt-4o", dialect="openai")
    view.apply(TurnStarted(1, "gpt-4o", "openai"))
    call = ToolCallPart("c1", "query", {"q": 1})
    view.apply(ToolCallFinished(call, ToolResultPart("c1", "query", (TextPart("ok"),)), 0.01))
    card = render.tool_html(view.turns[0].tools[0])
    assert '<details class="ak-tool-fold" open><summary class="ak-tool-head"' in card
    assert card.index("</summary>") < card.index('<div class="ak-tool-body">') < card.index("</details>")


class _Buttons(HTMLParser):
    """The copy buttons of an HTML fragment: their attributes, entities decoded as a browser does."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "button" and ("class", "ak-copy") in attrs:
            self.found.append(dict(attrs))


def _buttons(markup: str) -> list[dict[str, str | None]]:
    parser = _Buttons()
    parser.feed(markup)
    return parser.found


def test_copy_buttons_carry_the_real_text_and_hide_where_they_cannot_work() -> None:
    """The answer's Markdown source, the full JSON of arguments, results and output; `hidden` unless
    agentkit's stylesheet is there (a sanitized, untrusted output keeps no dead button)."""
    answer = 'Use `a < b` & "quotes"\n\n| x | y |\n|---|---|\n| 1 | 2 |'
    view = LiveView(prompt="hi", model="gpt-4o", dialect="openai")
    view.handle(TurnStarted(1, "gpt-4o", "openai"))
    view.handle(TextDelta(answer[:10]))
    view.flush(force=True)
    assert _buttons(view._turns[1].text.value) == []  # not while it streams
    view.handle(TextDelta(answer[10:]))
    call = ToolCallPart("c1", "lookup", {"query": "it's <b>"})
    view.handle(ToolCallStarted(call))
    result = '{"rows": [1, 2], "note": "long ' + "x" * 30_000 + '"}'
    view.handle(ToolCallFinished(call, ToolResultPart("c1", "lookup", (TextPart(result),)), 0.01))
    view.handle(TurnFinished(1, Message("assistant", [TextPart(answer), call]), Usage(1, 1)))
    view.flush(force=True)
    (text_button,) = _buttons(view._turns[1].text.value)
    assert text_button["data-copy"] == answer and "hidden" in text_button
    assert "navigator.clipboard" in (text_button["onclick"] or "")
    args_button, result_button = _buttons(view._turns[1].cards[0].html.value)
    assert json.loads(args_button["data-copy"] or "") == {"query": "it's <b>"}
    assert json.loads(result_button["data-copy"] or "") == json.loads(result)  # all of it, not the shortened view
    assert ".ak .ak-copy[hidden]{display:inline-block}" in render.style_tag()
    output = render.output_html({"city": "Paris", "tags": ["a", "b"]})
    assert json.loads(_buttons(output)[0]["data-copy"] or "") == {"city": "Paris", "tags": ["a", "b"]}
