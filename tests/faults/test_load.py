"""Load: 200 concurrent agent runs with 5 % of requests failing (429 / 503) all finish correctly,
and the relay never has more requests in flight than `max_concurrency`, counted at the server.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

import agentkit as ak
from agentkit.emulator import Emulator, Fault
from agentkit.events import Retrying, RunFinished
from agentkit.relay import DEFAULT_MAX_CONCURRENCY

from ..conftest import serve_asgi
from .harness import KEY, MODELS, get_weather, history_problems

CITIES = ["Paris", "Rome", "Oslo", "Lima", "Cairo", "Tokyo", "Berlin", "Madrid", "Dublin", "Vienna"]


class InFlight:
    """ASGI middleware in front of the emulator that counts the requests it is serving at once.

    `hold_until(n)`: each request waits before it is served until `n` have been in flight together
    (or `HOLD_TIMEOUT` passes, once): a relay that allows `n` at once then reaches `n`, however the
    busy machine schedules its threads, and the peak tells the limit apart from luck.
    """

    HOLD_TIMEOUT = 2.0

    def __init__(self, app: Any) -> None:
        self.app = app
        self.now = 0
        self.peak = 0
        self.total = 0
        self.target = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        with self._lock:
            self.now += 1
            self.total += 1
            self.peak = max(self.peak, self.now)
        try:
            await self._hold()
            await self.app(scope, receive, send)
        finally:
            with self._lock:
                self.now -= 1

    async def _hold(self) -> None:
        deadline = asyncio.get_running_loop().time() + self.HOLD_TIMEOUT
        while self.peak < self.target:
            if asyncio.get_running_loop().time() > deadline:
                self.target = 0  # given up once: the peak stays below the target and the test says so
                return
            await asyncio.sleep(0.005)

    def hold_until(self, target: int) -> None:
        self.target = target

    def reset(self) -> None:
        with self._lock:
            self.peak = self.now
            self.total = 0
            self.target = 0


@dataclass
class Server:
    emulator: Emulator
    meter: InFlight
    url: str


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    emulator = Emulator(api_key=KEY)  # not started: its app is served below, behind the meter
    meter = InFlight(emulator.app)
    with serve_asgi(meter) as url:
        yield Server(emulator, meter, url)


@pytest.fixture(autouse=True)
def _fresh(server: Server) -> None:
    server.emulator.reset()
    server.meter.reset()


def _five_percent_failures(emulator: Emulator) -> None:
    # Two rules of 2.5 % each (a request spared by the first may take the second): about 5 % in all.
    emulator.fault(Fault.http_error(429, retry_after=0), count=None, probability=0.025, seed=7)
    emulator.fault(Fault.http_error(503), count=None, probability=0.025, seed=11)
    # Every request takes a moment, so that runs overlap and the limit is really tested.
    emulator.fault(Fault.delay(0.02), count=None)


def test_200_concurrent_runs_with_injected_429_and_503_all_finish(server: Server) -> None:
    _five_percent_failures(server.emulator)
    relay = ak.Relay(server.url, api_key=KEY, max_retries=6, backoff=(0.01, 0.1))
    server.meter.hold_until(50)
    assert relay.max_concurrency == DEFAULT_MAX_CONCURRENCY == 100  # the documented 100 per key
    retries = 0

    async def one(i: int) -> tuple[int, ak.Agent, ak.Reply]:
        nonlocal retries
        agent = ak.Agent(MODELS[i % len(MODELS)], tools=[get_weather], relay=relay, display=False)
        prompt = f"What is the weather in {CITIES[i % len(CITIES)]}?"
        if i % 2:  # half the runs stream
            reply = None
            async for event in agent.astream(prompt):
                if isinstance(event, Retrying):
                    retries += 1
                elif isinstance(event, RunFinished):
                    reply = event.reply
            assert reply is not None
        else:
            reply = await agent.arun(prompt)
        return i, agent, reply

    async def main() -> list[tuple[int, ak.Agent, ak.Reply]]:
        return await asyncio.gather(*(one(i) for i in range(200)))

    results = asyncio.run(main())
    assert len(results) == 200
    for i, agent, reply in results:
        city = CITIES[i % len(CITIES)]
        assert [c.name for c in reply.tool_calls] == ["get_weather"], (i, reply)
        assert reply.tool_calls[0].arguments["city"] == city and reply.tool_calls[0].error is None
        assert "21" in reply.text, (i, reply.text)
        assert not history_problems(agent.history)
    served = server.meter.total
    failed = served - 400  # each run needs 2 requests; every other one served was a retry
    assert retries > 0, "no streaming run saw a `Retrying` event"
    assert 0.02 < failed / served < 0.1, f"{failed} of {served} requests failed: not the injected 5 %"
    assert server.meter.peak <= 100, f"{server.meter.peak} requests were in flight at once (limit 100)"
    assert server.meter.peak >= 50, f"only {server.meter.peak} requests overlapped: the test does not load the relay"


def test_a_small_limit_is_held_in_one_loop(server: Server) -> None:
    server.emulator.fault(Fault.delay(0.03), count=None)
    relay = ak.Relay(server.url, api_key=KEY, max_concurrency=5)
    server.meter.hold_until(5)

    async def main() -> list[ak.Reply]:
        agents = [ak.Agent(MODELS[i % 4], relay=relay, display=False) for i in range(40)]
        return await asyncio.gather(*(a.arun("Hello there") for a in agents))

    replies = asyncio.run(main())
    assert all(r.text for r in replies)
    assert server.meter.peak == 5, f"peak {server.meter.peak}, limit 5"
    assert relay.semaphore().active == 0 and relay.semaphore().waiting == 0


def test_the_limit_holds_across_threads_each_with_its_own_loop(server: Server) -> None:
    """A notebook batch: `agent(...)` from a thread pool; every thread runs its own event loop."""
    server.emulator.fault(Fault.delay(0.05), count=None)
    relay = ak.Relay(server.url, api_key=KEY, max_concurrency=3)
    server.meter.hold_until(3)

    def call(i: int) -> str:
        return ak.Agent(MODELS[i % 4], relay=relay, display=False)("Hello there").text

    with ThreadPoolExecutor(max_workers=12) as pool:
        texts = list(pool.map(call, range(24)))
    assert all(texts)
    assert server.meter.peak == 3, f"peak {server.meter.peak}, limit 3 (a per-loop semaphore would allow 12)"


def test_waiting_for_a_retry_frees_the_slot(server: Server) -> None:
    """A request backing off does not hold one of the relay's slots while it waits."""
    relay = ak.Relay(server.url, api_key=KEY, max_concurrency=1)
    backoff = 5.0  # far longer than the second run takes, however busy the machine: no timing race

    async def main() -> tuple[float, bool]:
        loop = asyncio.get_running_loop()
        first = ak.Agent("gpt-4o", relay=relay, display=False)
        second = ak.Agent("claude-sonnet-4-5", relay=relay, display=False)
        await asyncio.gather(first.arun("Warm up"), second.arun("Warm up"))  # SDKs imported, clients built
        server.emulator.reset()
        server.emulator.fault(Fault.http_error(429, retry_after=backoff), count=1)
        waiting = asyncio.Event()

        async def refused_then_retried() -> None:
            async for event in first.astream("Hello"):
                if isinstance(event, Retrying):
                    waiting.set()  # the run goes on into its backoff as this task asks for the next event

        slow = asyncio.create_task(refused_then_retried())
        await waiting.wait()
        t0 = loop.time()  # the first request was refused and waits `backoff` s to retry
        await second.arun("Hello")  # with the slot held, this would wait for the first's retry
        quick, backing_off = loop.time() - t0, not slow.done()
        slow.cancel()
        await asyncio.gather(slow, return_exceptions=True)
        return quick, backing_off

    quick, backing_off = asyncio.run(main())
    assert backing_off and quick < backoff - 1, (
        f"the second run waited {quick:.2f} s for a slot held by a request that was backing off"
    )
    assert [r.door for r in server.emulator.log] == ["openai", "anthropic"]  # the first's retry never went


def test_a_fault_with_a_probability_strikes_about_that_share_and_spares_the_rest() -> None:
    """The emulator's `probability=` (what the load test's "5 %" rests on), seeded so runs repeat."""
    from agentkit.emulator.faults import FaultQueue, FaultRule

    def strikes(seed: int) -> list[str | None]:
        queue = FaultQueue()
        queue.add(FaultRule(Fault.http_error(429), count=None, probability=0.1, seed=seed))
        queue.add(FaultRule(Fault.http_error(503), count=None, probability=0.1, seed=seed + 1))
        taken = [queue.take("openai", "/v1/chat/completions", "gpt-4o") for _ in range(2000)]
        return [None if f is None else f"{f.status}" for f in taken]

    first = strikes(5)
    assert first == strikes(5)  # the same seed, the same requests fail
    share429, share503 = first.count("429") / 2000, first.count("503") / 2000
    assert 0.07 < share429 < 0.13 and 0.06 < share503 < 0.12  # the second rule sees only what the first spared
    with pytest.raises(ValueError, match="probability"):
        FaultRule(Fault.http_error(429), probability=0)
