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
