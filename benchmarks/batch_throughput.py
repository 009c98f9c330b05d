"""`ak.abatch`: 1,000 independent runs at concurrency 100 on the emulator, against the raw async SDK.

Run: python benchmarks/batch_throughput.py [--runs 1000] [--concurrency 100] [--dialects openai,anthropic]

The emulator (`python -m agentkit.emulator`) runs in its own process (its rule-based model's CPU is
not this process's; the two share the machine's cores). The raw side is what a
user of the SDK writes: an `asyncio.Semaphore(concurrency)` around `create` and `asyncio.gather`.
The agentkit side is `await ak.abatch(agent, prompts, concurrency=...)`: a copy of the agent per
input, results in input order, per-input errors collected. Rounds alternate raw / agentkit.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import _common  # sets sys.path
from _common import KEY, machine, table

import agentkit as ak

MODELS = {"openai": "gpt-4o", "responses": "responses:gpt-4o", "anthropic": "claude-sonnet-4-5",
          "gemini": "gemini-2.5-flash"}


@contextmanager
def emulator() -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-m", "agentkit.emulator", "--port", "0", "--api-key", KEY],
                            stdout=subprocess.PIPE, text=True, cwd=str(_common.ROOT))
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"(http://\S+)", line)
        if match is None:
            raise RuntimeError(f"The emulator did not start: {line!r}")
        yield match.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def raw_clients(url: str) -> dict[str, Any]:
    """The SDK clients a raw user would build once (one connection pool each), reused every round."""
    import anthropic
    import openai
    from google import genai
    from google.genai import types

    oa = openai.AsyncOpenAI(base_url=url + "/v1", api_key=KEY)
    gm = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=url, api_version="v1beta"))
    return {"openai": oa, "responses": oa, "anthropic": anthropic.AsyncAnthropic(base_url=url + "/anthropic",
                                                                                 api_key=KEY),
            "gemini": gm.aio, "_keep": gm}


async def raw_batch(dialect: str, client: Any, prompts: list[str], concurrency: int) -> list[str]:
    gate = asyncio.Semaphore(concurrency)

    async def one(prompt: str) -> str:
        async with gate:
            if dialect == "openai":
                r = await client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])
                return r.choices[0].message.content or ""
            if dialect == "responses":
                rr = await client.responses.create(model="gpt-4o", input=[{"role": "user", "content": prompt}])
                return str(rr.output_text)
            if dialect == "anthropic":
                ra = await client.messages.create(model="claude-sonnet-4-5", max_tokens=1024,
                                                  messages=[{"role": "user", "content": prompt}])
                return "".join(b.text for b in ra.content if b.type == "text")
            rg = await client.models.generate_content(model="gemini-2.5-flash", contents=prompt)
            return rg.text or ""

    return list(await asyncio.gather(*(one(p) for p in prompts)))


async def agentkit_batch(agent: ak.Agent, prompts: list[str], concurrency: int) -> Any:
    result = await ak.abatch(agent, prompts, concurrency=concurrency, progress=False)
    assert result.ok, result.errors
    return result


async def measure(dialect: str, url: str, runs: int, concurrency: int, rounds: int) -> list[str]:
    prompts = [f"Summarise item number {i} in one sentence." for i in range(runs)]
    relay = ak.Relay(url, api_key=KEY, max_concurrency=max(100, concurrency))
    agent = ak.Agent(MODELS[dialect], relay=relay, display=False)
    client = raw_clients(url)[dialect]
    await raw_batch(dialect, client, prompts[:50], concurrency)  # warm up: imports, clients, connections
    await agentkit_batch(agent, prompts[:50], concurrency)
    raw_rates, ak_rates = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        texts = await raw_batch(dialect, client, prompts, concurrency)
        raw_rates.append(runs / (time.perf_counter() - t0))
        assert all(texts)
        t0 = time.perf_counter()
        await agentkit_batch(agent, prompts, concurrency)
        ak_rates.append(runs / (time.perf_counter() - t0))
    close = getattr(client, "aclose", None) or client.close  # on this loop, not at garbage collection
    await close()
    raw, akr = statistics.median(raw_rates), statistics.median(ak_rates)
    return [dialect, f"{raw:.0f}", f"{akr:.0f}", f"{akr / raw:.2f}x"]


def main() -> None:
    parser = argparse.ArgumentParser(description="ak.abatch throughput vs the raw async SDK on the emulator.")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dialects", default="openai,anthropic")
    args = parser.parse_args()
    rows = []
    with emulator() as url:
        for dialect in [d.strip() for d in args.dialects.split(",") if d.strip()]:
            rows.append(asyncio.run(measure(dialect, url, args.runs, args.concurrency, args.rounds)))
    print(f"machine: {machine()}")
    print(f"command: python benchmarks/batch_throughput.py --runs {args.runs} --concurrency {args.concurrency} "
          f"--dialects {args.dialects}   (median of {args.rounds} alternating rounds)")
    print(table(["dialect", "raw async SDK runs/s", "ak.abatch runs/s", "agentkit / raw"], rows))


if __name__ == "__main__":
    main()
