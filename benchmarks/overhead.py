"""Per-turn overhead of agentkit over the raw vendor SDK doing the same call, in every dialect.

Run: python benchmarks/overhead.py [--rounds 300] [--warmup 30] [--only openai,gemini] [--no-sync]

Both sides hit the same stub relay (benchmarks/stub_server.py, in its own process, canned answers),
with the same request: a system prompt, one user message and two tool definitions; the answer is
~34 words of text (streamed as 34 deltas). The raw side is what a user of the SDK writes by hand:
`chat.completions.create`, `responses.create`, `messages.create`, `models.generate_content` (and the
streaming forms, reading the text out of each chunk). The agentkit side is one `agent.arun(...)`
(`agent(...)` for sync) on a reset agent, which encodes the neutral history, calls the same SDK,
decodes the answer into a Reply, and appends to the history.

Rounds interleave A and B (ABBA order) so machine drift hits both; overhead is the median of the
per-round differences (wall time), and the same for the client thread's CPU time, which other
processes' load disturbs far less. Time to first token (TTFT) is measured in the streaming rows.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import _common  # noqa: F401  (sets sys.path)
import stub_server
from _common import KEY, machine, median, ms, table

import agentkit as ak
from agentkit.events import TextDelta

SYSTEM = "You are terse."
PROMPT = "What is the weather in Paris?"
MODELS = {"openai": "gpt-4o", "responses": "responses:gpt-4o", "anthropic": "claude-sonnet-4-5",
          "gemini": "gemini-2.5-flash"}


@ak.tool
def get_weather(city: str, unit: str = "c") -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: City name, e.g. "Paris".
        unit: Temperature unit, "c" or "f".
    """
    return {"city": city, "temperature": 21}


@ak.tool
def get_time(city: str) -> str:
    """The local time in a city.

    Args:
        city: City name.
    """
    return "09:30"


TOOLS = [get_weather, get_time]
Sample = tuple[float, float | None, float]  # (wall seconds, seconds to the first text token, CPU seconds)


# ------------------------------------------------------------------------------------ raw SDK calls


def raw_clients(url: str, *, asynchronous: bool) -> dict[str, Any]:
    import anthropic
    import openai
    from google import genai
    from google.genai import types

    oa = (openai.AsyncOpenAI if asynchronous else openai.OpenAI)(base_url=url + "/v1", api_key=KEY)
    an = (anthropic.AsyncAnthropic if asynchronous else anthropic.Anthropic)(base_url=url + "/anthropic", api_key=KEY)
    gm = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=url, api_version="v1beta"))
    return {"openai": oa, "responses": oa, "anthropic": an, "gemini": gm.aio if asynchronous else gm, "_keep": gm}


def raw_kwargs(dialect: str) -> dict[str, Any]:
    """The request a user of the raw SDK writes: the same wire request agentkit sends (checked in
    `main`), with the tool schemas as literals built once."""
    schemas = [t.to_schema(dialect) for t in TOOLS]
    if dialect == "openai":
        return {"model": "gpt-4o", "tools": schemas,
                "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]}
    if dialect == "responses":
        return {"model": "gpt-4o", "tools": schemas,
                "input": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]}
    if dialect == "anthropic":
        return {"model": "claude-sonnet-4-5", "max_tokens": 4096, "system": SYSTEM, "tools": schemas,
                "messages": [{"role": "user", "content": [{"type": "text", "text": PROMPT}]}]}
    return {"model": "gemini-2.5-flash", "contents": [{"role": "user", "parts": [{"text": PROMPT}]}],
            "config": {"system_instruction": {"parts": [{"text": SYSTEM}]},
                       "tools": [{"function_declarations": schemas}],
                       "automatic_function_calling": {"disable": True}}}


def check_same_request(dialect: str) -> None:
    """Both sides must send the same request, or the comparison measures something else."""
    from agentkit.dialects.base import ModelRequest, load
    from agentkit.messages import Message

    raw = raw_kwargs(dialect)
    ours = load(dialect).encode(ModelRequest(model=raw["model"], history=[Message.system(SYSTEM), Message.user(PROMPT)],
                                             tools=TOOLS))
    assert ours == raw, f"{dialect}: agentkit sends {ours!r}, the raw side {raw!r}"


async def raw_async(dialect: str, client: Any, kwargs: dict[str, Any], stream: bool) -> Sample:
    c0 = time.thread_time()
    t0 = time.perf_counter()
    first: float | None = None
    pieces: list[str] = []
    if dialect == "openai":
        if not stream:
            r = await client.chat.completions.create(**kwargs)
            pieces.append(r.choices[0].message.content or "")
        else:
            s = await client.chat.completions.create(**kwargs, stream=True, stream_options={"include_usage": True})
            async for chunk in s:
                if chunk.choices and chunk.choices[0].delta.content:
                    first = first or time.perf_counter()
                    pieces.append(chunk.choices[0].delta.content)
    elif dialect == "responses":
        if not stream:
            r = await client.responses.create(**kwargs)
            pieces.append(r.output_text)
        else:
            s = await client.responses.create(**kwargs, stream=True)
            async for event in s:
                if event.type == "response.output_text.delta":
                    first = first or time.perf_counter()
                    pieces.append(event.delta)
    elif dialect == "anthropic":
        if not stream:
            r = await client.messages.create(**kwargs)
            pieces.extend(b.text for b in r.content if b.type == "text")
        else:
            s = await client.messages.create(**kwargs, stream=True)
            async for event in s:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    first = first or time.perf_counter()
                    pieces.append(event.delta.text)
    else:
        if not stream:
            r = await client.models.generate_content(**kwargs)
            pieces.append(r.text or "")
        else:
            async for chunk in await client.models.generate_content_stream(**kwargs):
                if chunk.text:
                    first = first or time.perf_counter()
                    pieces.append(chunk.text)
    assert "".join(pieces).startswith("The weather"), pieces
    return time.perf_counter() - t0, None if first is None else first - t0, time.thread_time() - c0


def raw_sync(dialect: str, client: Any, kwargs: dict[str, Any], stream: bool) -> Sample:
    c0 = time.thread_time()
    t0 = time.perf_counter()
    first: float | None = None
    pieces: list[str] = []
    if dialect == "openai":
        if not stream:
            pieces.append(client.chat.completions.create(**kwargs).choices[0].message.content or "")
        else:
            for chunk in client.chat.completions.create(**kwargs, stream=True, stream_options={"include_usage": True}):
                if chunk.choices and chunk.choices[0].delta.content:
                    first = first or time.perf_counter()
                    pieces.append(chunk.choices[0].delta.content)
    elif dialect == "responses":
        if not stream:
            pieces.append(client.responses.create(**kwargs).output_text)
        else:
            for event in client.responses.create(**kwargs, stream=True):
                if event.type == "response.output_text.delta":
                    first = first or time.perf_counter()
                    pieces.append(event.delta)
    elif dialect == "anthropic":
        if not stream:
            pieces.extend(b.text for b in client.messages.create(**kwargs).content if b.type == "text")
        else:
            for event in client.messages.create(**kwargs, stream=True):
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    first = first or time.perf_counter()
                    pieces.append(event.delta.text)
    else:
        if not stream:
            pieces.append(client.models.generate_content(**kwargs).text or "")
        else:
            for chunk in client.models.generate_content_stream(**kwargs):
                if chunk.text:
                    first = first or time.perf_counter()
                    pieces.append(chunk.text)
    assert "".join(pieces).startswith("The weather"), pieces
    return time.perf_counter() - t0, None if first is None else first - t0, time.thread_time() - c0


# ------------------------------------------------------------------------------------- agentkit calls


async def agentkit_async(agent: ak.Agent, stream: bool) -> Sample:
    agent.reset()
    c0 = time.thread_time()
    t0 = time.perf_counter()
    first: float | None = None
    if not stream:
        text = (await agent.arun(PROMPT)).text
    else:
        s = agent.astream(PROMPT)
        async for event in s:
            if first is None and isinstance(event, TextDelta):
                first = time.perf_counter()
        assert s.reply is not None
        text = s.reply.text
    assert text.startswith("The weather"), text
    return time.perf_counter() - t0, None if first is None else first - t0, time.thread_time() - c0


def agentkit_sync(agent: ak.Agent, stream: bool) -> Sample:
    agent.reset()
    c0 = time.thread_time()
    t0 = time.perf_counter()
    first: float | None = None
    if not stream:
        text = agent(PROMPT).text
    else:
        s = agent.stream(PROMPT)
        for event in s:
            if first is None and isinstance(event, TextDelta):
                first = time.perf_counter()
        assert s.reply is not None
        text = s.reply.text
    assert text.startswith("The weather"), text
    return time.perf_counter() - t0, None if first is None else first - t0, time.thread_time() - c0


# ------------------------------------------------------------------------------------------ driver


class Result:
    def __init__(self, dialect: str, mode: str) -> None:
        self.dialect, self.mode = dialect, mode
        self.raw: list[Sample] = []
        self.ak: list[Sample] = []

    def row(self) -> list[str]:
        raw = median([s[0] for s in self.raw])
        akt = median([s[0] for s in self.ak])
        diff = median([a[0] - r[0] for a, r in zip(self.ak, self.raw, strict=True)])
        ttft_raw = [s[1] for s in self.raw if s[1] is not None]
        ttft_ak = [s[1] for s in self.ak if s[1] is not None]
        ttft = f"{ms(median(ttft_raw))} / {ms(median(ttft_ak))}" if ttft_raw and ttft_ak else "-"
        cpu_raw = median([s[2] for s in self.raw])
        cpu = median([a[2] - r[2] for a, r in zip(self.ak, self.raw, strict=True)])
        return [self.dialect, self.mode, ms(raw), ms(akt), f"{diff * 1000:+.3f}", f"{diff / raw * 100:+.1f}%",
                f"{cpu * 1e6:+.0f} ({cpu / cpu_raw * 100:+.0f}%)", ttft]


async def run_async(url: str, dialects: list[str], rounds: int, warmup: int) -> list[Result]:
    relay = ak.Relay(url, api_key=KEY)
    clients = raw_clients(url, asynchronous=True)
    results = []
    for stream in (False, True):
        for dialect in dialects:
            agent = ak.Agent(MODELS[dialect], tools=TOOLS, system=SYSTEM, relay=relay, display=False)
            kwargs = raw_kwargs(dialect)
            a: Callable[[], Awaitable[Sample]] = lambda: raw_async(dialect, clients[dialect], kwargs, stream)  # noqa: E731,B023
            b: Callable[[], Awaitable[Sample]] = lambda: agentkit_async(agent, stream)  # noqa: E731,B023
            for _ in range(warmup):
                await a()
                await b()
            result = Result(dialect, "async stream" if stream else "async")
            for i in range(rounds):
                if i % 2 == 0:
                    result.raw.append(await a())
                    result.ak.append(await b())
                else:
                    result.ak.append(await b())
                    result.raw.append(await a())
            results.append(result)
    return results


def run_sync(url: str, dialects: list[str], rounds: int, warmup: int) -> list[Result]:
    relay = ak.Relay(url, api_key=KEY)
    clients = raw_clients(url, asynchronous=False)
    results = []
    for stream in (False, True):
        for dialect in dialects:
            agent = ak.Agent(MODELS[dialect], tools=TOOLS, system=SYSTEM, relay=relay, display=False)
            kwargs = raw_kwargs(dialect)
            for _ in range(warmup):
                raw_sync(dialect, clients[dialect], kwargs, stream)
                agentkit_sync(agent, stream)
            result = Result(dialect, "sync stream" if stream else "sync")
            for i in range(rounds):
                if i % 2 == 0:
                    result.raw.append(raw_sync(dialect, clients[dialect], kwargs, stream))
                    result.ak.append(agentkit_sync(agent, stream))
                else:
                    result.ak.append(agentkit_sync(agent, stream))
                    result.raw.append(raw_sync(dialect, clients[dialect], kwargs, stream))
            results.append(result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description="agentkit per-turn overhead vs the raw SDKs.")
    parser.add_argument("--rounds", type=int, default=300, help="A/B rounds per row (default 300)")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--only", default=",".join(MODELS), help="comma-separated dialects")
    parser.add_argument("--no-sync", action="store_true", help="skip the sync rows")
    args = parser.parse_args()
    dialects = [d.strip() for d in args.only.split(",") if d.strip()]
    for dialect in dialects:
        check_same_request(dialect)
    with stub_server.start() as url:
        results = asyncio.run(run_async(url, dialects, args.rounds, args.warmup))
        if not args.no_sync:
            results += run_sync(url, dialects, args.rounds, args.warmup)
    print(f"machine: {machine()}")
    print(f"command: python benchmarks/overhead.py --rounds {args.rounds}   (median of {args.rounds} interleaved rounds)")
    print(table(["dialect", "mode", "raw SDK ms", "agentkit ms", "overhead ms", "overhead", "CPU overhead µs",
                 "TTFT ms raw / agentkit"],
                [r.row() for r in results]))


if __name__ == "__main__":
    main()
