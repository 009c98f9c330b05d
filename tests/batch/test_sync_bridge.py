"""The sync bridge: sync calls reuse one SDK client and one loop per thread, stream as they go,
and work from threads, from inside a running loop and from inside a tool."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import agentkit as ak
from agentkit.emulator import Turn
from agentkit.events import TextDelta

KEY = "sk-bridge-test-0123456789abcdef"


@pytest.fixture(scope="module")
def emulator_relay() -> Iterator[Any]:
    with ak.emulator.serve(api_key=KEY, stream_delay=0.01) as relay:
        yield relay


@pytest.fixture
def relay(emulator_relay: Any) -> ak.Relay:
    """A fresh relay (no clients built yet) on the shared emulator."""
    emulator_relay.emulator.reset()
    return ak.Relay(emulator_relay.root, api_key=KEY)


@pytest.fixture
def emulator(emulator_relay: Any) -> Any:
    return emulator_relay.emulator


def _count_builds(relay: ak.Relay, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    built: list[bool] = []
    original = relay._build

    def counting(door: str, *, asynchronous: bool, **kwargs: Any) -> Any:
        built.append(asynchronous)
        return original(door, asynchronous=asynchronous, **kwargs)

    monkeypatch.setattr(relay, "_build", counting)
    return built


@pytest.mark.parametrize("model", ["gpt-4o", "responses:gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"])
def test_sync_calls_reuse_one_sdk_client(relay: ak.Relay, monkeypatch: pytest.MonkeyPatch, model: str) -> None:
    built = _count_builds(relay, monkeypatch)
    agent = ak.Agent(model, relay=relay, display=False)
    for i in range(4):
        assert agent(f"hello {i}").text
    assert len(list(agent.stream("and a stream"))) > 1
    assert built == [True]  # one async client on this thread's loop, built once, not one per call


def test_a_sync_stream_shows_text_while_the_answer_is_still_coming(relay: ak.Relay, emulator: Any) -> None:
    emulator.script(Turn(text=" ".join(f"word{i}" for i in range(30))))
    agent = ak.Agent("claude-sonnet-4-5", relay=relay, display=False)
    agent("warm up")  # the SDK import and the client are not what is measured
    emulator.script(Turn(text=" ".join(f"word{i}" for i in range(30))))
    started = time.perf_counter()
    first: float | None = None
    for event in agent.stream("go"):
        if first is None and isinstance(event, TextDelta):
            first = time.perf_counter() - started
    total = time.perf_counter() - started
    assert first is not None
    assert first < total / 2, f"the first text came at {first:.3f} s of {total:.3f} s"


def test_a_tool_may_call_an_agent_synchronously(relay: ak.Relay, emulator: Any) -> None:
    """A sync call made inside a run (an async tool on the run's loop) runs elsewhere and cannot deadlock."""
    helper = ak.Agent("gemini-2.5-flash", relay=relay, display=False)

    @ak.tool
    async def ask_helper(question: str) -> str:
        """Asks another agent."""
        return helper(question).text

    emulator.script(Turn(tool_calls=[("ask_helper", {"question": "What is 2+2?"})]), "Four.", "It says: Four.")
    agent = ak.Agent("gpt-4o", tools=[ask_helper], relay=relay, display=False)
    reply = agent("go")
    assert reply.tool_calls[0].result == "Four."
    assert reply.text == "It says: Four."


async def test_async_runs_build_no_sync_client(relay: ak.Relay) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    reply = await agent.arun("hi")
    assert reply.text
    assert relay._clients == {}  # no sync client was built for an async run


def test_sync_calls_from_many_threads_each_work(relay: ak.Relay) -> None:
    agent_replies: list[str] = []
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            agent_replies.append(ak.Agent("gpt-4o", relay=relay, display=False)(f"thread {i}").text)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(agent_replies) == 6


def test_sync_calls_inside_a_running_loop_share_the_background_loop(
    relay: ak.Relay, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _count_builds(relay, monkeypatch)
    agent = ak.Agent("gpt-4o", relay=relay, display=False)

    async def cell() -> None:
        for i in range(3):
            assert agent(f"cell {i}").text  # what a notebook cell does: a sync call while a loop runs
        assert [e for e in agent.stream("and a stream") if isinstance(e, TextDelta)]

    asyncio.run(cell())
    assert built == [True]  # one async client on the one background loop, not one per call


def test_a_sync_stream_continues_directly_after_waiting_for_its_tools(
    relay: ak.Relay, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run waits for an async tool, then streams the next model turn, event by event, in order."""

    @ak.tool
    async def nap(seconds: float) -> str:
        """Sleeps a while, then says so."""
        await asyncio.sleep(seconds)
        return "rested"

    emulator.script(Turn(tool_calls=[("nap", {"seconds": 0.05})]), Turn(text="All rested now, thank you."))
    agent = ak.Agent("claude-sonnet-4-5", tools=[nap], relay=relay, display=False)
    stream = agent.stream("Take a nap.")
    kinds = [type(event).__name__ for event in stream]
    assert stream.reply is not None and stream.reply.text == "All rested now, thank you."
    assert kinds.index("ToolCallFinished") < kinds.index("TextDelta") < kinds.index("RunFinished")


def test_a_sync_call_made_between_the_events_of_a_sync_stream(relay: ak.Relay, emulator: Any) -> None:
    """Each event is handed over with the stream paused: another sync run on the same thread in
    between neither advances nor disturbs it."""
    words = " ".join(f"word{i}" for i in range(12))
    emulator.script(Turn(text=words))
    streaming = ak.Agent("gpt-4o", relay=relay, display=False)
    other = ak.Agent("gemini-2.5-flash", relay=relay, display=False)
    pieces: list[str] = []
    asides: list[str] = []
    stream = streaming.stream("Count.")
    for event in stream:
        if isinstance(event, TextDelta):
            pieces.append(event.text)
            if len(pieces) == 2:
                emulator.script(Turn(text="An aside."))
                asides.append(other("Meanwhile?").text)
    assert "".join(pieces) == words
    assert asides == ["An aside."]
    assert stream.reply is not None and stream.reply.text == words
    assert [m.role for m in streaming.history] == ["user", "assistant"]


# ------------------------------------------------------------------ the sync stream's pacing


@pytest.fixture(scope="module")
def undelayed_relay() -> Iterator[Any]:
    """An emulator that streams as fast as it can: most events reach the client together."""
    with ak.emulator.serve(api_key=KEY) as relay:
        yield relay


@pytest.mark.parametrize("stop_after", ["TurnStarted", "TurnFinished"])
def test_a_sync_stream_left_early_starts_no_tool_and_sends_no_request(undelayed_relay: Any, stop_after: str) -> None:
    """Events that arrive together are still handed over one by one with the run paused where it
    yielded, so a caller that stops before the tools start never starts them, nor the next request."""
    emulator = undelayed_relay.emulator
    relay = ak.Relay(undelayed_relay.root, api_key=KEY)
    started: list[str] = []

    @ak.tool
    def launch(target: str) -> str:
        """Launches a rocket (a side effect that must not happen)."""
        started.append(target)
        return "launched"

    agent = ak.Agent("gpt-4o", tools=[launch], relay=relay, display=False)
    agent("warm up")
    emulator.reset()
    emulator.script(Turn(tool_calls=[("launch", {"target": "Mars"})]), "Done.")
    agent.history = []
    for event in agent.stream("Launch to Mars."):
        if type(event).__name__ == stop_after:
            break
    time.sleep(0.05)  # whatever was still going would show now
    assert started == []
    assert len(emulator.log) == (0 if stop_after == "TurnStarted" else 1)  # TurnStarted comes before the request
    if stop_after == "TurnStarted":  # left before the answer: the run is undone
        assert agent.history == []
    else:  # left after it: the call the model asked for is answered as not run
        assert [m.role for m in agent.history] == ["user", "assistant", "tool"]
        assert all(part.is_error for part in agent.history[-1].tool_results)
    emulator.reset()
    assert agent("Go on.").text  # the agent is free again


def test_the_sync_bridge_runs_an_iterator_exactly_as_far_as_the_items_taken() -> None:
    """Items produced without any waiting are still taken one at a time: when the caller holds
    item k, the iterator has run to its k-th `yield` and not a step further; the whole iteration is
    one task (as under `async for`); leaving early closes the iterator at once."""
    from agentkit import _aio

    progress: list[int] = []
    tasks: set[Any] = set()
    closed: list[bool] = []

    async def numbers() -> Any:
        try:
            for i in range(5):
                progress.append(i)
                tasks.add(asyncio.current_task())
                yield i
                if i == 2:
                    await asyncio.sleep(0.01)  # one real wait in the middle
        finally:
            closed.append(True)

    seen = []
    for item in _aio.iterate(numbers):
        assert progress[-1] == item  # paused at this item's yield
        seen.append(item)
    assert seen == [0, 1, 2, 3, 4] and closed == [True] and len(tasks) == 1

    progress.clear()
    closed.clear()
    for item in _aio.iterate(numbers):
        if item == 1:
            break
    assert progress == [0, 1]
    assert closed == [True]  # closed before the caller went on


@pytest.mark.timeout(20)  # the bug this guards against is a hang
def test_a_sync_call_and_a_sync_stream_stop_cleanly_when_ctrl_c_lands_before_the_run_starts() -> None:
    """Ctrl-C in the loop iteration before the run's first step: nothing of the run happens, and
    the caller gets KeyboardInterrupt (not a hang: the loop is stopped even though the run never ran)."""
    import gc
    import signal
    import warnings

    from agentkit import _aio

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals go to the main thread")
    ran: list[str] = []

    async def work() -> str:
        ran.append("coroutine")
        return "done"

    async def items() -> Any:
        ran.append("iterator")
        yield 1

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for attempt in (lambda: _aio.run_sync(work), lambda: list(_aio.iterate(items))):
            _aio._thread_loop().loop.call_soon(signal.raise_signal, signal.SIGINT)  # runs before the run's step
            with pytest.raises(KeyboardInterrupt):
                attempt()
        gc.collect()
    assert ran == []
    assert not [w for w in caught if "never awaited" in str(w.message)]
    assert _aio.run_sync(work) == "done"  # the bridge still works


@pytest.mark.timeout(20)
@pytest.mark.parametrize("moment", ["after-the-last-loop-iteration", "after-the-bridge-saw-the-event"])
def test_ctrl_c_just_as_a_sync_stream_hands_over_an_event(monkeypatch: pytest.MonkeyPatch, moment: str) -> None:
    """Ctrl-C after the run produced an event but before the bridge handed it over: the event is
    dropped, the run unwinds (its cleanup ran), and only then the caller gets KeyboardInterrupt."""
    import signal

    from agentkit import _aio

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals go to the main thread")
    produced: list[int] = []
    closed: list[bool] = []
    pressed: list[bool] = []

    async def numbers() -> Any:
        try:
            for i in range(5):
                produced.append(i)
                yield i
        finally:
            closed.append(True)

    def press_once() -> None:
        if len(produced) == 2 and not pressed:
            pressed.append(True)
            signal.raise_signal(signal.SIGINT)  # its handler runs right here, on return

    if moment == "after-the-last-loop-iteration":
        loop = _aio._thread_loop().loop
        run_forever = loop.run_forever

        def run_then_press() -> None:
            run_forever()
            press_once()

        monkeypatch.setattr(loop, "run_forever", run_then_press)
    else:
        holding = _aio._Pump._holding

        def holding_then_press(self: Any) -> bool:
            held = holding(self)
            if held:
                press_once()
            return held

        monkeypatch.setattr(_aio._Pump, "_holding", holding_then_press)
    received: list[int] = []
    with pytest.raises(KeyboardInterrupt):
        for item in _aio.iterate(numbers):
            received.append(item)
            assert not closed
    monkeypatch.undo()
    assert pressed and received == [0]
    assert produced == [0, 1] and closed == [True]
    assert list(_aio.iterate(numbers)) == [0, 1, 2, 3, 4]  # the bridge still works
