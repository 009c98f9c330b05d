"""Ctrl-C and task cancellation during a model call, a stream and parallel tools.

After each interruption: the next call works, every tool call in the history has a result, the
history before the run is untouched, and nothing is left behind: no agentkit thread, no task, no
connection to the relay still open.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import agentkit as ak
from agentkit.emulator import Emulator, Fault, Turn
from agentkit.events import TextDelta, ToolCallStarted
from agentkit.messages import Message, TextPart

from .harness import FAST, KEY, MODELS, history_problems

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/net/tcp to count connections")


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(api_key=KEY, stream_delay=0.01) as emulator:
        yield emulator


@pytest.fixture
def relay(emulator: Emulator) -> ak.Relay:
    emulator.reset()
    return ak.Relay(emulator.url, api_key=KEY, **FAST)  # type: ignore[arg-type]


def _agent(relay: ak.Relay, model: str = "gpt-4o", **kwargs: Any) -> ak.Agent:
    agent = ak.Agent(model, relay=relay, display=False, **kwargs)
    agent.history = [Message.user("Hello"), Message("assistant", [TextPart("Hi!")])]
    return agent


def client_ports(port: int) -> set[int]:
    """The local ports of this machine's open (ESTABLISHED) client connections to a loopback port."""
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as file:
                lines = file.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if state == "01" and int(remote.rsplit(":", 1)[1], 16) == port:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def connections_to(port: int) -> int:
    """How many client connections to a loopback port are open."""
    return len(client_ports(port))


#: Threads that live on purpose: the sync bridge's shared loop, the emulator's server.
_LONG_LIVED = ("agentkit-loop", "agentkit-emulator")


def agentkit_threads() -> list[str]:
    """Threads agentkit started for one run or one tool call that are still alive."""
    return [t.name for t in threading.enumerate() if t.name.startswith("agentkit-") and not t.name.startswith(_LONG_LIVED)]


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for a condition")
        time.sleep(0.005)


def settle(port: int, at_most: int, timeout: float = 3.0) -> None:
    """Wait until nothing of ours is left: no run or tool thread, at most `at_most` connections to the relay.

    Pooled keep-alive connections are meant to stay (the sync bridge keeps its loop and clients
    between calls), so the bound is what was open before the run plus the one the next call may
    open; a connection held by something unreachable is closed by the garbage collector, which
    is run here, so what stays open is held by something live: a leak.
    """
    deadline = time.monotonic() + timeout
    while True:
        gc.collect()
        threads, connections = agentkit_threads(), connections_to(port)
        if not threads and connections <= at_most:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"left behind: threads {threads}, {connections} open connection(s) (at most {at_most})")
        time.sleep(0.02)


def ctrl_c_when(condition: Callable[[], bool]) -> threading.Thread:
    """Press Ctrl-C (SIGINT to the main thread) as soon as `condition` holds."""

    def press() -> None:
        wait_for(condition)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    thread = threading.Thread(target=press, daemon=True)
    thread.start()
    return thread


def _assert_recovered(agent: ak.Agent, before: list[Message], emulator: Emulator) -> None:
    assert not history_problems(agent.history), history_problems(agent.history)
    assert agent.history[: len(before)] == before
    emulator.reset()
    assert agent("Are you still there?").text  # the next call works


# ---------------------------------------------------------------------------------------- task cancellation


@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("model", MODELS)
def test_cancelling_a_task_during_the_model_call(relay: ak.Relay, emulator: Emulator, model: str,
                                                 streaming: bool) -> None:
    agent = _agent(relay, model)
    before = list(agent.history)
    open_before = connections_to(emulator.port)
    emulator.fault(Fault.delay(10))

    async def main() -> None:
        async def consume() -> None:
            if streaming:
                async for _ in agent.astream("Tell me a story."):
                    pass
            else:
                await agent.arun("Tell me a story.")

        pooled = client_ports(emulator.port)  # other loops' keep-alive connections
        task = asyncio.create_task(consume())
        while not len(emulator.log):
            await asyncio.sleep(0.005)
        ours = client_ports(emulator.port) - pooled
        assert len(ours) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)
        assert asyncio.all_tasks() == {asyncio.current_task()}, "a task outlived the cancelled run"
        assert not ours & client_ports(emulator.port), "the cancelled request's connection is still open"

    asyncio.run(main())
    assert agent.history == before
    _assert_recovered(agent, before, emulator)
    settle(emulator.port, open_before + 1)


@pytest.mark.parametrize("model", MODELS)
def test_cancelling_a_task_mid_stream_after_text_was_shown(relay: ak.Relay, emulator: Emulator, model: str) -> None:
    agent = _agent(relay, model)
    before = list(agent.history)
    emulator.script("word " * 200)
    shown: list[str] = []

    async def main() -> None:
        async def consume() -> None:
            async for event in agent.astream("Talk for a while."):
                if isinstance(event, TextDelta):
                    shown.append(event.text)

        pooled = client_ports(emulator.port)
        task = asyncio.create_task(consume())
        while not shown:
            await asyncio.sleep(0.001)
        ours = client_ports(emulator.port) - pooled
        assert len(ours) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)
        assert asyncio.all_tasks() == {asyncio.current_task()}
        assert not ours & client_ports(emulator.port), "the cancelled stream's connection is still open"

    asyncio.run(main())
    assert shown
    assert agent.history == before  # the half-streamed answer is not kept
    _assert_recovered(agent, before, emulator)


@pytest.mark.parametrize("model", MODELS)
def test_breaking_out_of_a_stream_then_calling_again(relay: ak.Relay, emulator: Emulator, model: str) -> None:
    """`break` inside `async for event in agent.astream(...)`, then the next call at once, in the same cell."""
    agent = _agent(relay, model)
    before = list(agent.history)
    emulator.script("word " * 200)

    async def main() -> str:
        async for event in agent.astream("Talk for a while."):
            if isinstance(event, TextDelta):
                break
        emulator.reset()
        reply = await agent.arun("Short answer please.")
        return reply.text

    assert asyncio.run(main())
    assert not history_problems(agent.history)
    assert agent.history[: len(before)] == before


def test_breaking_out_of_a_sync_stream(relay: ak.Relay, emulator: Emulator) -> None:
    agent = _agent(relay, "claude-sonnet-4-5")
    open_before = connections_to(emulator.port)
    before = list(agent.history)
    emulator.script("word " * 200)
    for event in agent.stream("Talk for a while."):
        if isinstance(event, TextDelta):
            break
    assert agent.history == before
    settle(emulator.port, open_before + 1)
    _assert_recovered(agent, before, emulator)


def test_many_cancellations_leave_no_connections_behind(relay: ak.Relay, emulator: Emulator) -> None:
    agent = _agent(relay, "gemini-2.5-pro")

    async def main() -> None:
        pooled = client_ports(emulator.port)
        ours: set[int] = set()
        for _ in range(10):
            emulator.fault(Fault.delay(10))
            seen = len(emulator.log)
            task = asyncio.create_task(agent.arun("Tell me a story."))
            while len(emulator.log) == seen:
                await asyncio.sleep(0.005)
            ours |= client_ports(emulator.port) - pooled
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        await asyncio.sleep(0)
        assert len(ours) == 10  # one connection per request (each cancel closed the last one)
        assert not ours & client_ports(emulator.port), "a cancelled request's connection is still open"
        assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(main())
    assert len(agent.history) == 2


# ---------------------------------------------------------------------------------------- Ctrl-C


@pytest.mark.parametrize("model", MODELS)
def test_ctrl_c_during_the_model_call_of_a_sync_run(relay: ak.Relay, emulator: Emulator, model: str) -> None:
    agent = _agent(relay, model)
    before = list(agent.history)
    open_before = connections_to(emulator.port)
    emulator.fault(Fault.delay(10))
    presser = ctrl_c_when(lambda: len(emulator.log) > 0)
    with pytest.raises(KeyboardInterrupt):
        agent("Tell me a story.")
    presser.join()
    assert agent.history == before
    settle(emulator.port, open_before + 1)
    _assert_recovered(agent, before, emulator)


def test_ctrl_c_during_a_sync_stream(relay: ak.Relay, emulator: Emulator) -> None:
    agent = _agent(relay, "responses:gpt-4o")
    open_before = connections_to(emulator.port)
    before = list(agent.history)
    emulator.script("word " * 300)
    shown = threading.Event()
    presser = ctrl_c_when(shown.is_set)
    with pytest.raises(KeyboardInterrupt):
        for event in agent.stream("Talk for a while."):
            if isinstance(event, TextDelta):
                shown.set()
            time.sleep(0.001)
    presser.join()
    assert agent.history == before
    settle(emulator.port, open_before + 1)
    _assert_recovered(agent, before, emulator)


def test_ctrl_c_in_a_notebook_cell_while_the_loop_runs(relay: ak.Relay, emulator: Emulator) -> None:
    """Jupyter: the kernel's loop is running and Ctrl-C raises KeyboardInterrupt in the cell."""
    agent = _agent(relay, "gpt-4o")
    open_before = connections_to(emulator.port)
    before = list(agent.history)
    emulator.fault(Fault.delay(10))

    async def cell() -> None:
        agent("Tell me a story.")  # sync call inside a running loop: the worker-thread bridge

    loop = asyncio.new_event_loop()  # like ipykernel: no asyncio SIGINT handler
    presser = ctrl_c_when(lambda: len(emulator.log) > 0)
    try:
        with pytest.raises(KeyboardInterrupt):
            loop.run_until_complete(cell())
    finally:
        loop.close()
    presser.join()
    assert agent.history == before
    settle(emulator.port, open_before + 1)
    _assert_recovered(agent, before, emulator)


@pytest.mark.parametrize("model", MODELS)
def test_ctrl_c_during_parallel_tools(relay: ak.Relay, emulator: Emulator, model: str) -> None:
    release = threading.Event()
    started: list[str] = []

    @ak.tool
    async def slow_async(x: int) -> str:
        """Waits.

        Args:
            x: Any number.
        """
        started.append("async")
        await asyncio.sleep(30)
        return "late"

    @ak.tool
    def slow_sync(x: int) -> str:
        """Blocks its thread until released.

        Args:
            x: Any number.
        """
        started.append("sync")
        release.wait(10)
        return "late"

    agent = _agent(relay, model, tools=[slow_async, slow_sync])
    open_before = connections_to(emulator.port)
    before = list(agent.history)
    emulator.script(Turn(tool_calls=[("slow_async", {"x": 1}), ("slow_sync", {"x": 2})]))
    presser = ctrl_c_when(lambda: len(started) == 2)
    with pytest.raises(KeyboardInterrupt):
        agent("Run both.")
    presser.join()
    assert agent.history[: len(before)] == before
    results = {p.name: p for m in agent.history for p in m.tool_results}
    assert set(results) == {"slow_async", "slow_sync"}
    assert all(r.is_error and "interrupted" in r.text for r in results.values())
    assert not history_problems(agent.history)
    release.set()  # a running sync function cannot be stopped; once it returns its thread is gone
    settle(emulator.port, open_before + 1)
    emulator.reset()
    assert agent("Go on.").text


def test_cancelling_during_parallel_tools_cancels_the_async_ones(relay: ak.Relay, emulator: Emulator) -> None:
    finished: list[str] = []

    @ak.tool
    async def sleeper(x: int) -> str:
        """Sleeps.

        Args:
            x: Any number.
        """
        try:
            await asyncio.sleep(30)
        finally:
            finished.append("unwound")
        return "late"

    agent = _agent(relay, "anthropic:claude-sonnet-4-5", tools=[sleeper])
    emulator.script(Turn(tool_calls=[("sleeper", {"x": 1}), ("sleeper", {"x": 2}), ("sleeper", {"x": 3})]))

    async def main() -> None:
        started = 0

        async def consume() -> None:
            nonlocal started
            async for event in agent.astream("Sleep three times."):
                if isinstance(event, ToolCallStarted):
                    started += 1

        task = asyncio.create_task(consume())
        while started < 3:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert finished == ["unwound"] * 3, "a cancelled run left tool coroutines running"
        assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(main())
    assert not history_problems(agent.history)
    emulator.reset()
    assert agent("Go on.").text


@pytest.mark.parametrize("in_a_cell", [False, True], ids=["script", "notebook-cell"])
def test_after_ctrl_c_reaches_the_caller_no_tool_starts_and_no_request_is_sent(
    relay: ak.Relay, emulator: Emulator, in_a_cell: bool
) -> None:
    """Ctrl-C at random moments in the first milliseconds of a sync run (plain, and made while an
    event loop runs, as in a notebook cell): once KeyboardInterrupt reached the caller, nothing of
    that run happens any more: no tool starts, no request reaches the relay."""
    import random

    started: list[float] = []

    @ak.tool
    def launch(target: str) -> str:
        """Launches a rocket (a side effect that must not happen after Ctrl-C)."""
        started.append(time.monotonic())
        return f"launched at {target}"

    rng = random.Random(7)
    agent = ak.Agent("gpt-4o", tools=[launch], relay=relay, display=False)
    agent("warm up")  # imports and the client are not what is measured
    interrupted = 0
    for _ in range(25):
        emulator.reset()
        emulator.script(Turn(tool_calls=[("launch", {"target": "Mars"})]), "Done.")
        started.clear()
        agent.history = []
        delay = rng.uniform(0.0, 0.004)
        timer = threading.Timer(delay, lambda: signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT))
        caught_at: float | None = None
        caught_wall = 0.0

        def call() -> None:
            agent("Launch to Mars.")

        try:
            timer.start()
            if in_a_cell:
                async def cell() -> None:
                    call()

                asyncio.run(cell())
            else:
                call()
            timer.join()
        except KeyboardInterrupt:
            caught_at, caught_wall = time.monotonic(), time.time()
            interrupted += 1
        timer.join()
        if caught_at is None:
            continue
        time.sleep(0.1)  # whatever was still going would show now
        assert all(t <= caught_at for t in started), "a tool started after Ctrl-C reached the caller"
        # A request already on the wire may finish arriving a moment later; none may start after.
        late = [r.path for r in emulator.log if r.time > caught_wall + 0.05]
        assert not late, f"requests sent after Ctrl-C reached the caller: {late}"
        assert not history_problems(agent.history), history_problems(agent.history)
    assert interrupted >= 5
