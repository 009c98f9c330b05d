"""agentkit side by side with peer libraries, on the same workloads, in one run.

Set up once, then run with the peers' environment (agentkit is installed there too):

    bash benchmarks/setup_peers.sh
    benchmarks/.venv-peers/bin/python benchmarks/peers.py [--rounds 100]

Libraries: agentkit, the raw SDK (the floor), pydantic-ai, openai-agents (OpenAI dialects only),
litellm (a completion call, no agent loop: its row is a lower bound for an agent built on it).
Workloads, all on the stub relay (benchmarks/stub_server.py, its own process):

- import: `import <library>` in a fresh process, median of interleaved runs, minus bare Python;
- turn: one agent run (system prompt, two tools, a ~34-word answer), non-streaming and streaming,
  per dialect the library supports; rounds interleave every library in a shuffled order;
- parallel tools: a run whose model asks for 8 calls of a tool that sleeps 0.2 s (then answers).

Numbers are medians in milliseconds; lower is better.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # litellm fetches prices at import otherwise

import stub_server
from _common import KEY, machine, table
from overhead import PROMPT, SYSTEM, TOOLS, raw_async, raw_clients, raw_kwargs

import agentkit as ak

LIBRARIES = ["agentkit", "raw SDK", "pydantic-ai", "openai-agents", "litellm"]
IMPORTS = {"agentkit": "import agentkit", "pydantic-ai": "import pydantic_ai", "openai-agents": "import agents",
           "litellm": "import litellm", "raw SDK (openai)": "import openai"}
Run = Callable[[], Awaitable[str]]


def get_weather(city: str, unit: str = "c") -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: City name, e.g. "Paris".
        unit: Temperature unit, "c" or "f".
    """
    return {"city": city, "temperature": 21}


def get_time(city: str) -> str:
    """The local time in a city.

    Args:
        city: City name.
    """
    return "09:30"


async def nap(seconds: float, label: str) -> str:
    """Sleep, then say so.

    Args:
        seconds: How long to sleep.
        label: What to call this nap.
    """
    await asyncio.sleep(seconds)
    return f"{label}: slept {seconds} s"


# --------------------------------------------------------------------------------------- the runners


def agentkit_runs(url: str, dialect: str, model: str, tools: list[Any], stream: bool) -> Run:
    relay = ak.Relay(url, api_key=KEY)
    agent = ak.Agent(f"{dialect}:{model}", tools=tools, system=SYSTEM, relay=relay, display=False)

    async def run() -> str:
        agent.reset()
        if not stream:
            return (await agent.arun(PROMPT)).text
        s = agent.astream(PROMPT)
        async for _ in s:
            pass
        assert s.reply is not None
        return s.reply.text

    return run


def pydantic_ai_runs(url: str, dialect: str, model: str, tools: list[Any], stream: bool) -> Run:
    from pydantic_ai import Agent

    if dialect == "openai":
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        llm: Any = OpenAIChatModel(model, provider=OpenAIProvider(base_url=url + "/v1", api_key=KEY))
    elif dialect == "responses":
        from pydantic_ai.models.openai import OpenAIResponsesModel
        from pydantic_ai.providers.openai import OpenAIProvider

        llm = OpenAIResponsesModel(model, provider=OpenAIProvider(base_url=url + "/v1", api_key=KEY))
    elif dialect == "anthropic":
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        llm = AnthropicModel(model, provider=AnthropicProvider(base_url=url + "/anthropic", api_key=KEY))
    else:
        from pydantic_ai.models.google import GoogleModel
        from pydantic_ai.providers.google import GoogleProvider

        llm = GoogleModel(model, provider=GoogleProvider(api_key=KEY, base_url=url))
    agent = Agent(llm, system_prompt=SYSTEM, tools=tools)

    async def run() -> str:
        if not stream:
            return str((await agent.run(PROMPT)).output)
        pieces = []
        async with agent.run_stream(PROMPT) as result:
            async for piece in result.stream_text(delta=True):
                pieces.append(piece)
        return "".join(pieces)

    return run


def openai_agents_runs(url: str, dialect: str, model: str, tools: list[Any], stream: bool) -> Run:
    from agents import (
        Agent,
        OpenAIChatCompletionsModel,
        OpenAIResponsesModel,
        Runner,
        function_tool,
        set_tracing_disabled,
    )
    from openai import AsyncOpenAI

    if dialect not in ("openai", "responses"):
        raise NotImplementedError("openai-agents speaks only the OpenAI dialects")
    set_tracing_disabled(True)
    client = AsyncOpenAI(base_url=url + "/v1", api_key=KEY)
    kind = OpenAIChatCompletionsModel if dialect == "openai" else OpenAIResponsesModel
    agent = Agent(name="bench", instructions=SYSTEM, model=kind(model=model, openai_client=client),
                  tools=[function_tool(t) for t in tools])

    async def run() -> str:
        if not stream:
            return str((await Runner.run(agent, PROMPT)).final_output)
        result = Runner.run_streamed(agent, PROMPT)
        async for _ in result.stream_events():
            pass
        return str(result.final_output)

    return run


def litellm_runs(url: str, dialect: str, model: str, tools: list[Any], stream: bool) -> Run:
    import litellm

    if tools and tools[0] is nap:
        raise NotImplementedError("litellm has no agent loop to run tools")
    prefix = {"openai": "openai", "anthropic": "anthropic", "gemini": "gemini"}.get(dialect)
    if prefix is None:
        raise NotImplementedError("no Responses dialect in litellm's completion()")
    base = {"openai": url + "/v1", "anthropic": url + "/anthropic", "gemini": url}[dialect]
    schemas = [t.to_schema("openai") for t in TOOLS]
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]

    async def run() -> str:
        if not stream:
            r = await litellm.acompletion(model=f"{prefix}/{model}", api_base=base, api_key=KEY, messages=messages,
                                          tools=schemas)
            return str(r.choices[0].message.content)
        pieces = []
        response = await litellm.acompletion(model=f"{prefix}/{model}", api_base=base, api_key=KEY,
                                             messages=messages, tools=schemas, stream=True)
        async for chunk in response:
            if chunk.choices and chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
        return "".join(pieces)

    return run


def raw_runs(url: str, dialect: str, model: str, tools: list[Any], stream: bool) -> Run:
    if tools and tools[0] is nap:
        raise NotImplementedError("the raw SDK has no tool loop")
    clients = raw_clients(url, asynchronous=True)
    kwargs = raw_kwargs(dialect)

    async def run() -> str:
        await raw_async(dialect, clients[dialect], kwargs, stream)
        return "The weather"

    return run


FACTORIES: dict[str, Callable[..., Run]] = {
    "agentkit": agentkit_runs, "raw SDK": raw_runs, "pydantic-ai": pydantic_ai_runs,
    "openai-agents": openai_agents_runs, "litellm": litellm_runs,
}
MODEL_NAMES = {"openai": "gpt-4o", "responses": "gpt-4o", "anthropic": "claude-sonnet-4-5", "gemini": "gemini-2.5-flash"}


async def interleaved(runs: dict[str, Run], rounds: int, check: str | None) -> dict[str, float]:
    """Median seconds per run; every round calls each library once, in a fresh random order.

    Not a rotation: rotating keeps the cyclic order, so each library would always run right after
    the same other one and pay for whatever that one leaves behind (litellm's background logging
    tasks run during the next library's awaits). A seeded shuffle gives every library every
    predecessor equally often, and the same orders on every run of the script.
    """
    for run in runs.values():  # warm up: imports, clients, connections
        for _ in range(3):
            text = await run()
            if check:
                assert check in text, text
    samples: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    order = random.Random(20261122)
    for _ in range(rounds):
        order.shuffle(names)
        for name in names:
            t0 = time.perf_counter()
            await runs[name]()
            samples[name].append(time.perf_counter() - t0)
    return {name: statistics.median(values) for name, values in samples.items()}


async def workload(url: str, dialect: str, stream: bool, rounds: int) -> dict[str, str]:
    runs: dict[str, Run] = {}
    cells: dict[str, str] = {}
    for name, factory in FACTORIES.items():
        try:
            runs[name] = factory(url, dialect, MODEL_NAMES[dialect], [get_weather, get_time], stream)
        except NotImplementedError:
            cells[name] = "n/a"
        except Exception as exc:  # a peer that cannot be set up here: say why, keep going
            cells[name] = f"error: {type(exc).__name__}"
    working: dict[str, Run] = {}
    for name, run in runs.items():
        try:
            await run()
            working[name] = run
        except Exception as exc:
            cells[name] = f"error: {type(exc).__name__}: {str(exc)[:40]}"
    for name, seconds in (await interleaved(working, rounds, "The weather")).items():
        cells[name] = f"{seconds * 1000:.2f}"
    return cells


async def parallel_tools(url: str, rounds: int) -> dict[str, str]:
    cells: dict[str, str] = {}
    runs: dict[str, Run] = {}
    for name, factory in FACTORIES.items():
        try:
            runs[name] = factory(url, "openai", "bench-tools-gpt", [nap], False)
            await runs[name]()
        except NotImplementedError:
            runs.pop(name, None)
            cells[name] = "n/a"
        except Exception as exc:
            runs.pop(name, None)
            cells[name] = f"error: {type(exc).__name__}: {str(exc)[:40]}"
    for name, seconds in (await interleaved(runs, rounds, None)).items():
        cells[name] = f"{seconds * 1000:.0f}"
    return cells


def import_times(rounds: int) -> dict[str, str]:
    def once(code: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t0

    for code in IMPORTS.values():
        once(code)  # compile the .pyc files first
    bare: list[float] = []
    samples: dict[str, list[float]] = {name: [] for name in IMPORTS}
    for _ in range(rounds):
        bare.append(once("pass"))
        for name, code in IMPORTS.items():
            samples[name].append(once(code))
    floor = statistics.median(bare)
    return {name: f"{(statistics.median(v) - floor) * 1000:.0f}" for name, v in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description="agentkit and peer libraries on the same workloads.")
    parser.add_argument("--rounds", type=int, default=100, help="interleaved rounds per turn workload")
    parser.add_argument("--tool-rounds", type=int, default=5)
    parser.add_argument("--import-rounds", type=int, default=5)
    parser.add_argument("--dialects", default="openai,responses,anthropic,gemini")
    args = parser.parse_args()
    rows = []
    with stub_server.start() as url:
        for dialect in [d.strip() for d in args.dialects.split(",") if d.strip()]:
            for stream in (False, True):
                cells = asyncio.run(workload(url, dialect, stream, args.rounds))
                rows.append([f"turn, {dialect}{', stream' if stream else ''} (ms)", *(cells.get(n, "-") for n in LIBRARIES)])
        cells = asyncio.run(parallel_tools(url, args.tool_rounds))
        rows.append(["8 tools x 0.2 s, openai (ms)", *(cells.get(n, "-") for n in LIBRARIES)])
    imports = import_times(args.import_rounds)
    rows.append(["import, fresh process (ms)", imports["agentkit"], imports["raw SDK (openai)"] + " (openai)",
                 imports["pydantic-ai"], imports["openai-agents"], imports["litellm"]])
    versions = []
    for dist in ("pydantic-ai-slim", "openai-agents", "litellm", "openai", "anthropic", "google-genai"):
        try:
            from importlib.metadata import version

            versions.append(f"{dist} {version(dist)}")
        except Exception:
            versions.append(f"{dist} (not installed)")
    print(f"machine: {machine()}")
    print(f"versions: {', '.join(versions)}")
    print(f"command: benchmarks/.venv-peers/bin/python benchmarks/peers.py --rounds {args.rounds}   (medians; lower is better)")
    print(table(["workload", *LIBRARIES], rows))


if __name__ == "__main__":
    main()
