"""A turn with 8 tool calls that each sleep 0.2 s: the wall time of the whole run (target: < 0.3 s).

Run: python benchmarks/parallel_tools.py [--runs 5]

The stub relay (benchmarks/stub_server.py) answers the first request with 8 calls of `nap` and the
second (which carries the results) with text, so a run is: request, 8 tools, request. Sequential
tools would take 1.6 s; agentkit runs a turn's calls concurrently (sync tools on their own threads,
async tools as tasks). Rows: each dialect, sync and async tools, `agent(...)` and `await agent.arun(...)`.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import _common  # noqa: F401  (sets sys.path)
import stub_server
from _common import KEY, machine, median, table

import agentkit as ak

MODELS = {"openai": "bench-tools-gpt", "responses": "responses:bench-tools-gpt",
          "anthropic": "anthropic:bench-tools-claude", "gemini": "gemini:bench-tools-gemini"}


@ak.tool
def nap(seconds: float, label: str) -> str:
    """Sleep, then say so.

    Args:
        seconds: How long to sleep.
        label: What to call this nap.
    """
    time.sleep(seconds)
    return f"{label}: slept {seconds} s"


@ak.tool(name="nap")
async def anap(seconds: float, label: str) -> str:
    """Sleep, then say so.

    Args:
        seconds: How long to sleep.
        label: What to call this nap.
    """
    await asyncio.sleep(seconds)
    return f"{label}: slept {seconds} s"


async def _async_runs(agent: ak.Agent, runs: int) -> list[float]:
    """`await agent.arun(...)` in one event loop (as in a notebook), after a warm-up on that loop."""
    await agent.arun("warm up")
    out = []
    for _ in range(runs):
        agent.reset()
        t0 = time.perf_counter()
        reply = await agent.arun("Take eight naps.")
        out.append(time.perf_counter() - t0)
        assert len(reply.tool_calls) == 8 and all(c.ok for c in reply.tool_calls), reply.tool_calls
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="8 parallel tool calls of 0.2 s each, per dialect.")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with stub_server.start() as url:
        relay = ak.Relay(url, api_key=KEY)
        for dialect, model in MODELS.items():
            for kind, tool in (("sync tools", nap), ("async tools", anap)):
                agent = ak.Agent(model, tools=[tool], relay=relay, display=False)
                agent("warm up")  # SDK import and client construction are not part of a turn
                walls: list[float] = []
                for _ in range(args.runs):
                    agent.reset()
                    t0 = time.perf_counter()
                    reply = agent("Take eight naps.")
                    walls.append(time.perf_counter() - t0)
                    assert len(reply.tool_calls) == 8 and all(c.ok for c in reply.tool_calls), reply.tool_calls
                awaited = asyncio.run(_async_runs(agent, args.runs))
                rows.append([dialect, kind, f"{median(walls):.3f}", f"{median(awaited):.3f}",
                             "yes" if max(median(walls), median(awaited)) < 0.3 else "NO"])
    print(f"machine: {machine()}")
    print(f"command: python benchmarks/parallel_tools.py --runs {args.runs}   (median wall seconds per run)")
    print(table(["dialect", "tools", "agent() s", "await arun() s", "< 0.3 s"], rows))


if __name__ == "__main__":
    main()
