"""The live view (ipywidgets, no kernel needed), its throttling, its approval buttons, and the
drivers that feed it from a run; plus `display=` resolution outside notebooks."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

import agentkit as ak
from agentkit import approval
from agentkit.display import resolve
from agentkit.display.widget import LiveView
from agentkit.emulator import Call, Turn
from agentkit.events import RunFinished, TextDelta, TurnFinished, TurnStarted
from agentkit.messages import Message, TextPart, ToolCallPart, Usage
from agentkit.reply import Reply


@pytest.fixture(scope="module")
def relay() -> Iterator[Any]:
    with ak.emulator.serve() as relay:
        yield relay


@pytest.fixture(autouse=True)
def _fresh(relay: Any) -> None:
    relay.emulator.reset()


@ak.tool(approval=True)
def launch(target: str) -> str:
    """Launch the rocket at a target.

    Args:
        target: Where to.
    """
    return f"launched at {target}"


def test_a_fast_stream_is_throttled_but_nothing_is_lost() -> None:
    view = LiveView(prompt="Count", model="gpt-4o", dialect="openai", interval=0.1)
    view.handle(TurnStarted(1, "gpt-4o", "openai"))
    text_widget = view._turns[1].text
    values: list[str] = []
    text_widget.observe(lambda change: values.append(change["new"]), names="value")
    started = time.perf_counter()
    for i in range(2000):
        view.handle(TextDelta(f"w{i} "))
    elapsed = time.perf_counter() - started
    # At most one push per interval while deltas pour in (plus the first one).
    assert len(values) <= 2 + int(elapsed / 0.1), (len(values), elapsed)
    message = Message("assistant", [TextPart("".join(f"w{i} " for i in range(2000)))])
    view.handle(TurnFinished(1, message, Usage(5, 2000)))
    assert "w1999" in text_widget.value and "ak-caret" not in text_widget.value
    view.handle(RunFinished(Reply(message.text, "gpt-4o", "openai", usage=Usage(5, 2000), turns=1)))
    assert "✓ done" in view._footer.value and "2,000" in view._footer.value


def test_pending_text_is_pushed_when_the_stream_pauses() -> None:
    view = LiveView(interval=0.05)
    view.handle(TurnStarted(1, "gpt-4o", "openai"))
    view.handle(TextDelta("first"))
    view.handle(TextDelta(" second"))  # within the interval: held back
    assert "second" not in view._turns[1].text.value
    time.sleep(0.06)
    view.tick()  # what the drivers call while no event comes
    assert "first second" in view._turns[1].text.value


def test_approval_buttons_resolve_the_pending_decision() -> None:
    view = LiveView()
    call = ToolCallPart("c1", "launch", {"target": "Moon"})
    view.handle(TurnStarted(1, "gpt-4o", "openai"))
    view.handle(TurnFinished(1, Message("assistant", [call]), Usage()))
    future = view.ask(call)
    card = view._turns[1].cards[0]
    approve, deny, _note = card.approval.children
    assert 'data-status="waiting"' in card.html.value and "awaiting approval" in card.html.value
    assert not future.done()
    deny.click()
    assert future.result() is False
    assert approve.disabled and deny.disabled
    assert "Denied by the user." in card.html.value


def test_an_exception_in_a_widget_callback_is_shown_not_swallowed() -> None:
    view = LiveView()

    def broken(_: Any) -> None:
        raise RuntimeError("the handler broke")

    view._guarded(broken)(None)
    assert "RuntimeError: the handler broke" in view._error.value
    assert "Traceback" in view._error.value


def test_sync_driver_feeds_the_view_and_asks_for_approval(relay: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside a kernel the buttons cannot be clicked: the driver asks with input()."""
    relay.emulator.script(Turn(tool_calls=[Call("launch", {"target": "Mars"})]), "Done.")
    answers: list[str] = []
    monkeypatch.setattr("builtins.input", lambda question: answers.append(question) or "y")
    agent = ak.Agent("gpt-4o", tools=[launch], relay=relay)
    view = LiveView(prompt="Go", model=agent.model, dialect=agent.dialect)
    reply = agent._run_in_view(view, lambda: agent._events("Go to Mars", (), None, {}, streaming=True),
                               has_prompt=True)
    assert reply.tool_calls[0].result == "launched at Mars"
    assert answers == ['Run tool `launch` with {"target": "Mars"}? [y/N] ']
    assert view.state.prompt == "Go to Mars"  # taken from the history once the run started
    assert "launched at Mars" in view._turns[1].cards[0].html.value
    assert "✓ done" in view._footer.value
    assert approval.notebook_approver.get() is None  # reset after the run


def test_sync_driver_shows_a_failure_and_re_raises_it(relay: Any) -> None:
    relay.emulator.fault(ak.emulator.Fault.http_error(402))
    agent = ak.Agent("gpt-4o", relay=relay)
    view = LiveView()
    with pytest.raises(ak.InsufficientBalanceError):
        agent._run_in_view(view, lambda: agent._events("hi", (), None, {}, streaming=True), has_prompt=True)
    assert view.state.status == "error" and "InsufficientBalanceError" in view._error.value
    assert "✕ failed" in view._footer.value
    assert agent.history == []  # the run's prompt was removed: the history stays valid


async def test_async_driver_waits_for_the_click(relay: Any) -> None:
    relay.emulator.script(Turn(tool_calls=[Call("launch", {"target": "Venus"})]), "Done.")
    agent = ak.Agent("gpt-4o", tools=[launch], relay=relay)
    view = LiveView(prompt="Go", model=agent.model, dialect=agent.dialect)

    async def click_approve() -> None:
        while not (view._turns.get(1) and view._turns[1].cards and view._turns[1].cards[0].approval.children):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        view._turns[1].cards[0].approval.children[0].click()

    clicker = asyncio.ensure_future(click_approve())
    reply = await asyncio.wait_for(
        agent._arun_in_view(view, agent._events("Go to Venus", (), None, {}, streaming=True), has_prompt=True), 20
    )
    await clicker
    assert reply.tool_calls[0].result == "launched at Venus"
    assert "You approved this call." in view._turns[1].cards[0].approval.children[2].value


def test_display_auto_is_off_outside_notebooks_and_bad_values_are_refused() -> None:
    assert resolve("auto") is False
    assert resolve(False) is False and resolve(True) is True
    with pytest.raises(ak.ConfigurationError, match="`display` must be True, False or \"auto\""):
        resolve("yes")


def test_a_script_run_imports_no_widgets(relay: Any) -> None:
    code = (
        "import sys, agentkit as ak\n"
        f"relay = ak.Relay({relay.emulator.url!r}, api_key='k')\n"
        "reply = ak.Agent('gpt-4o', relay=relay)('hi')\n"
        "print(reply.text, 'ipywidgets' in sys.modules, 'IPython' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip().endswith(" False False") and 'cannot answer "hi"' in out.stdout
