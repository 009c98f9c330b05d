"""agentkit's own CPU cost per turn, with the network and the SDK's request work taken out.

Run: python benchmarks/turn_cpu.py [--calls 2000] [--profile openai-stream] [--pyinstrument]

Each dialect's async SDK client is replaced by an in-memory one that hands back response objects
the real SDK parsed once from the stub relay's bodies (benchmarks/stub_server.py) — for streams,
the same sequence of event objects. What remains is exactly agentkit's work on a turn: routing,
encoding the history and tools, the run loop and its events, decoding (or accumulating a stream),
the Reply. This is the quiet way to see the overhead (overhead.py measures it end to end, over
sockets, where machine noise is larger than the effect), and the thing to profile:
`--profile openai-stream` prints a cProfile of that case, `--pyinstrument` uses pyinstrument
when it is installed (benchmarks/.venv-peers has it).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time
from typing import Any

import _common  # noqa: F401  (sets sys.path)
import stub_server
from _common import KEY, machine, median, table
from overhead import MODELS, PROMPT, SYSTEM, TOOLS

import agentkit as ak
from agentkit.events import TextDelta


class _Events:
    """A finished SDK stream replayed: async iteration over pre-parsed events, `close()`/`aclose()`."""

    def __init__(self, events: list[Any]) -> None:
        self._it = iter(events)

    def __aiter__(self) -> _Events:
        return self

    async def __anext__(self) -> Any:
        try:
            return next(self._it)
        except StopIteration:
            raise StopAsyncIteration from None

    async def close(self) -> None:
        pass

    aclose = close


class _Endpoint:
    def __init__(
        self, response: Any, events: list[Any], bodies: tuple[bytes, bytes] | None = None, raw_answer: Any = None
    ) -> None:
        self._response, self._events, self._bodies = response, events, bodies
        self._raw_answer = raw_answer  # Gemini: a prebuilt `should_return_http_response` answer

    async def create(self, **kwargs: Any) -> Any:
        return _Events(self._events) if kwargs.get("stream") else self._response

    @property
    def with_raw_response(self) -> Any:
        """Anthropic's `messages.with_raw_response`: the stub's bytes (JSON or SSE), not parsed."""
        return _Namespace(create=self._raw)

    async def _raw(self, **kwargs: Any) -> Any:
        import httpx2

        assert self._bodies is not None
        return _Namespace(http_response=httpx2.Response(200, content=self._bodies[bool(kwargs.get("stream"))]))

    async def generate_content(self, **kwargs: Any) -> Any:
        """google-genai's `generate_content`; with `should_return_http_response` in the config, the
        stub's JSON text as `sdk_http_response.body` (what the real SDK hands back then), not parsed."""
        config = kwargs.get("config") or {}
        wants_raw = (
            config.get("should_return_http_response")
            if isinstance(config, dict)
            else getattr(config, "should_return_http_response", None)
        )
        if wants_raw:
            assert self._raw_answer is not None
            return self._raw_answer
        return self._response

    async def generate_content_stream(self, **kwargs: Any) -> Any:
        return _Events(self._events)


class _Namespace:
    def __init__(self, **attrs: Any) -> None:
        self.__dict__.update(attrs)


def _mock_http(asynchronous: bool = True) -> Any:
    import httpx2

    def handler(request: httpx2.Request) -> httpx2.Response:
        status, media, body = stub_server._route(request.method, request.url.raw_path.decode(), request.content)
        return httpx2.Response(status, headers={"content-type": media}, content=body)

    return httpx2.AsyncClient(transport=httpx2.MockTransport(handler))


async def recorded_clients() -> dict[str, Any]:
    """Instant clients per dialect, holding objects the real SDKs parsed from the stub's bodies."""
    import anthropic
    import openai
    from google import genai
    from google.genai import types
    from overhead import raw_kwargs

    url = "http://stub.invalid"
    oa = openai.AsyncOpenAI(base_url=url + "/v1", api_key=KEY, http_client=_mock_http())
    an = anthropic.AsyncAnthropic(base_url=url + "/anthropic", api_key=KEY, http_client=_mock_http())
    gm = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=url, api_version="v1beta",
                                                                  httpx_async_client=_mock_http()))
    out: dict[str, Any] = {}
    kw = raw_kwargs("openai")
    response = await oa.chat.completions.create(**kw)
    events = [e async for e in await oa.chat.completions.create(**kw, stream=True)]
    out["openai"] = _Namespace(chat=_Namespace(completions=_Endpoint(response, events)))
    kw = raw_kwargs("responses")
    response = await oa.responses.create(**kw)
    events = [e async for e in await oa.responses.create(**kw, stream=True)]
    out["responses"] = _Namespace(responses=_Endpoint(response, events))
    kw = raw_kwargs("anthropic")
    response = await an.messages.create(**kw)
    events = [e async for e in await an.messages.create(**kw, stream=True)]
    bodies = (stub_server.anthropic_json(False), stub_server.anthropic_sse(False))
    out["anthropic"] = _Namespace(messages=_Endpoint(response, events, bodies))
    kw = raw_kwargs("gemini")
    response = await gm.aio.models.generate_content(**kw)
    events = [e async for e in await gm.aio.models.generate_content_stream(**kw)]
    raw_answer = types.GenerateContentResponse(
        sdk_http_response=types.HttpResponse(body=stub_server.gemini_json(False).decode())
    )
    out["gemini"] = _Namespace(models=_Endpoint(response, events, raw_answer=raw_answer))
    out["_keep"] = gm
    return out


def instant_agent(dialect: str, clients: dict[str, Any]) -> ak.Agent:
    relay = ak.Relay("http://stub.invalid", api_key=KEY)
    relay.async_client = lambda d, **_: clients[d]  # type: ignore[method-assign]
    relay.client = lambda d, **_: clients[d]  # type: ignore[method-assign]  (sync runs' client)
    return ak.Agent(MODELS[dialect], tools=TOOLS, system=SYSTEM, relay=relay, display=False)


async def one_turn(agent: ak.Agent, stream: bool) -> None:
    agent.reset()
    if stream:
        s = agent.astream(PROMPT)
        async for _event in s:
            pass
        assert s.reply is not None and s.reply.text.startswith("The weather")
    else:
        assert (await agent.arun(PROMPT)).text.startswith("The weather")


def one_turn_sync(agent: ak.Agent, stream: bool) -> None:
    agent.reset()
    if stream:
        s = agent.stream(PROMPT)
        n = sum(isinstance(e, TextDelta) for e in s)
        assert n and s.reply is not None
    else:
        assert agent(PROMPT).text.startswith("The weather")


async def measure(clients: dict[str, Any], calls: int) -> list[list[str]]:
    rows = []
    for dialect in MODELS:
        row = [dialect]
        for stream in (False, True):
            agent = instant_agent(dialect, clients)
            for _ in range(100):
                await one_turn(agent, stream)
            samples = []
            for _ in range(calls // 10):
                t0 = time.perf_counter()
                for _ in range(10):
                    await one_turn(agent, stream)
                samples.append((time.perf_counter() - t0) / 10)
            row.append(f"{median(samples) * 1e6:.0f}")
        rows.append(row)
    return rows


def measure_sync(clients: dict[str, Any], calls: int) -> list[str]:
    out = []
    for dialect in MODELS:
        for stream in (False, True):
            agent = instant_agent(dialect, clients)
            for _ in range(100):
                one_turn_sync(agent, stream)
            samples = []
            for _ in range(calls // 10):
                t0 = time.perf_counter()
                for _ in range(10):
                    one_turn_sync(agent, stream)
                samples.append((time.perf_counter() - t0) / 10)
            out.append(f"{median(samples) * 1e6:.0f}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="agentkit's own CPU per turn (instant in-memory SDK clients).")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--profile", help="profile one case, e.g. `openai`, `gemini-stream`, `anthropic-sync`")
    parser.add_argument("--pyinstrument", action="store_true", help="with --profile: use pyinstrument")
    args = parser.parse_args()
    clients = asyncio.run(recorded_clients())
    if args.profile:
        dialect, _, mode = args.profile.partition("-")
        stream = "stream" in mode
        agent = instant_agent(dialect, clients)
        if "sync" in mode:
            work: Any = lambda: [one_turn_sync(agent, stream) for _ in range(args.calls)]  # noqa: E731
        else:
            async def many() -> None:
                for _ in range(args.calls):
                    await one_turn(agent, stream)
            work = lambda: asyncio.run(many())  # noqa: E731
        work()
        if args.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002)
            profiler.start()
            work()
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        else:
            prof = cProfile.Profile()
            prof.runcall(work)
            pstats.Stats(prof).sort_stats("tottime").print_stats(35)
        return
    rows = asyncio.run(measure(clients, args.calls))
    sync = measure_sync(clients, args.calls)
    for i, row in enumerate(rows):
        row.extend(sync[2 * i: 2 * i + 2])
    print(f"machine: {machine()}")
    print(f"command: python benchmarks/turn_cpu.py --calls {args.calls}")
    print(table(["dialect", "arun µs", "astream µs", "agent() µs", "agent.stream() µs"], rows))


if __name__ == "__main__":
    main()
