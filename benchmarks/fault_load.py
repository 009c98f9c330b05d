"""Many concurrent agent runs through a relay that fails some requests: time, retries, peak in flight.

Run: python benchmarks/fault_load.py [--runs 200] [--failure-rate 0.05] [--limit 100] [--latency 0.02]
Each run asks the emulator for the weather (a tool call, then the answer: two requests), half of them
streaming; a share of requests gets a 429 or a 503. Prints the wall time, requests served, retries,
and the most requests the server saw at once (it must not exceed `--limit`, the relay's
`max_concurrency`). Everything runs on loopback, in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import agentkit as ak
from agentkit.emulator import Emulator, Fault
from agentkit.events import Retrying
from tests.conftest import serve_asgi

KEY = "sk-benchmark-0000000000000000"
MODELS = ("gpt-4o", "responses:gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro")


class InFlight:
    """ASGI middleware counting the requests being served at once."""

    def __init__(self, app: Any) -> None:
        self.app, self.now, self.peak, self.total = app, 0, 0, 0
        self.lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        with self.lock:
            self.now += 1
            self.total += 1
            self.peak = max(self.peak, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            with self.lock:
                self.now -= 1


@ak.tool
def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: City name.
    """
    return {"city": city, "temperature": 21}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--failure-rate", type=float, default=0.05)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the emulator takes per request")
    args = parser.parse_args()

    emulator = Emulator(api_key=KEY)
    meter = InFlight(emulator.app)
    half = args.failure_rate / 2
    emulator.fault(Fault.http_error(429, retry_after=0), count=None, probability=half, seed=1)
    emulator.fault(Fault.http_error(503), count=None, probability=half / (1 - half), seed=2)
    emulator.fault(Fault.delay(args.latency), count=None)
    with serve_asgi(meter) as url:
        relay = ak.Relay(url, api_key=KEY, max_retries=6, backoff=(0.01, 0.1), max_concurrency=args.limit)
        retries = 0
        failures: list[str] = []

        async def one(i: int) -> None:
            nonlocal retries
            agent = ak.Agent(MODELS[i % len(MODELS)], tools=[get_weather], relay=relay, display=False)
            try:
                if i % 2:
                    async for event in agent.astream("What is the weather in Paris?"):
                        retries += isinstance(event, Retrying)
                else:
                    await agent.arun("What is the weather in Paris?")
            except ak.AgentkitError as exc:
                failures.append(f"{type(exc).__name__}: {exc}")

        async def all_runs() -> None:
            await asyncio.gather(*(one(i) for i in range(args.runs)))

        asyncio.run(all_runs())  # warm up: SDK imports and clients
        meter.peak, meter.total, retries = meter.now, 0, 0
        start = time.perf_counter()
        asyncio.run(all_runs())
        elapsed = time.perf_counter() - start

    print(f"runs                 {args.runs} ({len(failures)} failed)")
    print(f"wall time            {elapsed:.2f} s ({args.runs / elapsed:.1f} runs/s)")
    print(f"requests served      {meter.total} (2 per run; {meter.total - 2 * args.runs} were retries)")
    print(f"retries seen         {retries} in the streaming half (Retrying events)")
    print(f"peak in flight       {meter.peak} (limit {args.limit})")
    for failure in failures[:5]:
        print("  ", failure[:200])


if __name__ == "__main__":
    main()
