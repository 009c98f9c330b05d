"""Memory and history growth: a 50-turn conversation carrying 20 images, and per-turn cost vs history length.

Run: python benchmarks/memory.py [--image-kb 256] [--turns 50] [--images 20]

Part 1 (per dialect): turns 1..20 each attach a new image (`--image-kb` of bytes), then 30 text
turns follow; every request re-sends the whole history, images included. Reported: the image
bytes, what the conversation holds afterwards (tracemalloc: Python allocations still live), the
peak during the run above that, and the process RSS growth. The images should be held once (plus
their base64 text, which agentkit caches so it is not re-encoded every turn), not once per turn.

Part 2: a text conversation of `--turns` turns, timing each turn (tracemalloc off). Each request
sends the whole history, so the cost should grow linearly with the number of messages sent; the
slope of the second half against the first half shows whether anything grows faster (a quadratic copy).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import time
import tracemalloc

import _common  # noqa: F401  (sets sys.path)
import stub_server
from _common import KEY, machine, table

import agentkit as ak

MODELS = {"openai": "gpt-4o", "responses": "responses:gpt-4o", "anthropic": "claude-sonnet-4-5",
          "gemini": "gemini-2.5-flash"}


def rss() -> int:
    import psutil

    return int(psutil.Process(os.getpid()).memory_info().rss)


def image(i: int, size: int) -> ak.Image:
    return ak.Image(data=b"\x89PNG\r\n\x1a\n" + os.urandom(size - 8), mime_type="image/png")


async def images_run(agent: ak.Agent, turns: int, n_images: int, size: int) -> tuple[int, int, int]:
    """(bytes held after the run, peak above the start, RSS growth), tracemalloc on."""
    await agent.arun("warm up")
    agent.reset()
    gc.collect()
    rss0 = rss()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    for turn in range(turns):
        images = [image(turn, size)] if turn < n_images else []
        await agent.arun(f"Turn {turn}: describe what you see.", images=images)
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return held - base, peak - base, rss() - rss0


async def growth_run(agent: ak.Agent, turns: int) -> list[float]:
    await agent.arun("warm up")
    agent.reset()
    times = []
    for turn in range(turns):
        t0 = time.perf_counter()
        await agent.arun(f"Turn {turn}: tell me more about the weather in Paris.")
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description="Memory with images, and per-turn cost vs history length.")
    parser.add_argument("--image-kb", type=int, default=256)
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--images", type=int, default=20)
    args = parser.parse_args()
    size = args.image_kb * 1024
    mb = 1024 * 1024
    memory_rows, growth_rows = [], []
    with stub_server.start() as url:
        relay = ak.Relay(url, api_key=KEY)
        for dialect, model in MODELS.items():
            agent = ak.Agent(model, relay=relay, display=False)
            held, peak, grown = asyncio.run(images_run(agent, args.turns, args.images, size))
            total = args.images * size
            memory_rows.append([dialect, f"{total / mb:.1f}", f"{held / mb:.1f} ({held / total:.2f}x)",
                                f"{peak / mb:.1f} ({peak / total:.2f}x)", f"{grown / mb:.1f}"])
            times = asyncio.run(growth_run(ak.Agent(model, relay=relay, display=False), args.turns))
            k = len(times) // 4
            first = statistics.median(times[:k])
            last = statistics.median(times[-k:])
            early_slope = (statistics.median(times[k:2 * k]) - first) / k
            late_slope = (last - statistics.median(times[-2 * k:-k])) / k
            growth_rows.append([dialect, f"{first * 1000:.2f}", f"{last * 1000:.2f}",
                                f"{(last - first) / (len(times) - k) * 1e6:.0f}",
                                f"{early_slope * 1e6:.0f} / {late_slope * 1e6:.0f}"])
    print(f"machine: {machine()}")
    print(f"command: python benchmarks/memory.py --image-kb {args.image_kb} --turns {args.turns} --images {args.images}")
    print(f"\n{args.turns}-turn conversation, {args.images} images of {args.image_kb} KiB (MiB):")
    print(table(["dialect", "image bytes", "held after", "peak during", "RSS growth"], memory_rows))
    print(f"\nPer-turn time over a {args.turns}-turn text conversation (each request sends the whole history):")
    print(table(["dialect", "first turns ms", "last turns ms", "µs added per turn of history",
                 "slope early / late µs per turn"], growth_rows))


if __name__ == "__main__":
    main()
