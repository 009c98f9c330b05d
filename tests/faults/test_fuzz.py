"""Fuzzing: agentkit never crashes with an untyped exception, and the history stays valid.

1. Random tool signatures, and random argument payloads for them (valid, schema-breaking or not
   JSON at all), sent by the model through the whole agent loop: each call either runs or goes back
   to the model as an error result; the run answers.
2. The emulator's real answers, mutated at random on the way to the SDKs (keys deleted, values
   replaced by random JSON or stringified, stream events dropped, cut or garbled) in every dialect,
   streaming and not: each run either answers or ends with an `ak.AgentkitError`.
"""

from __future__ import annotations

import collections
import json
import keyword
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentkit as ak
from agentkit.emulator import Emulator, Turn

from ..conftest import serve_asgi
from .harness import KEY, MODELS, history_problems

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    derandomize=True)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(api_key=KEY) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def relay(emulator: Emulator) -> ak.Relay:
    return ak.Relay(emulator.url, api_key=KEY, max_retries=0)


# ------------------------------------------------------------------------------ 1. tool signatures

TYPES = {
    "int": st.integers(-1000, 1000),
    "float": st.floats(-1e6, 1e6, allow_nan=False),
    "str": st.text(max_size=10),
    "bool": st.booleans(),
    "list[int]": st.lists(st.integers(-9, 9), max_size=3),
    "dict[str, float]": st.dictionaries(st.text(max_size=4), st.floats(-9, 9, allow_nan=False), max_size=2),
    'Literal["a", "b"]': st.sampled_from(["a", "b"]),
    "int | None": st.none() | st.integers(-9, 9),
    "tuple[int, str]": st.tuples(st.integers(-9, 9), st.text(max_size=3)).map(list),
}
names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(lambda n: not keyword.iskeyword(n))


@st.composite
def signatures(draw: st.DrawFn) -> tuple[str, list[tuple[str, str, bool]]]:
    """A tool's source text and its parameters as (name, type, has_default)."""
    params = draw(st.lists(st.tuples(names, st.sampled_from(sorted(TYPES)), st.booleans()),
                           max_size=4, unique_by=lambda p: p[0]))
    params.sort(key=lambda p: p[2])  # parameters without defaults first
    defaults = {"int": "0", "float": "0.0", "str": "''", "bool": "False", "list[int]": "()",
                "dict[str, float]": "None", 'Literal["a", "b"]': '"a"', "int | None": "None",
                "tuple[int, str]": "(0, '')"}
    args = ", ".join(f"{n}: {t}" + (f" = {defaults[t]}" if d else "") for n, t, d in params)
    doc = "\n".join(f"        {n}: The {n}." for n, _, _ in params)
    source = (
        f"def fuzzed({args}) -> str:\n"
        f'    """A generated tool.\n\n    Args:\n{doc}\n    """\n'
        "    return 'ran'\n"
    )
    return source, params


@st.composite
def payloads(draw: st.DrawFn, params: list[tuple[str, str, bool]]) -> Any:
    """Arguments as a model might send them: right, partly wrong, or not JSON at all."""
    kind = draw(st.sampled_from(["valid", "mutated", "random", "text"]))
    if kind == "text":
        return draw(st.text(max_size=30))
    if kind == "random":
        return draw(st.dictionaries(st.text(max_size=6), json_values, max_size=4))
    values = {n: draw(TYPES[t]) for n, t, d in params if not d or draw(st.booleans())}
    if kind == "mutated" and (values or params):
        for name in draw(st.lists(st.sampled_from([n for n, _, _ in params] or ["x"]), max_size=3)):
            values[name] = draw(json_values)
    return values


@settings(SETTINGS, max_examples=25)
@given(data=st.data(), signature=signatures(), model=st.sampled_from(MODELS))
def test_random_tools_and_arguments_never_crash_a_run(emulator: Emulator, relay: ak.Relay, data: st.DataObject,
                                                      signature: tuple[str, list[tuple[str, str, bool]]],
                                                      model: str) -> None:
    source, params = signature
    namespace: dict[str, Any] = {}
    exec("from typing import Literal\n" + source, namespace)
    tool = ak.tool(namespace["fuzzed"])
    arguments = data.draw(payloads(params), label="arguments")
    emulator.reset()
    emulator.script(Turn(tool_calls=[("fuzzed", arguments)]), "done")
    agent = ak.Agent(model, tools=[tool], relay=relay, display=False)
    reply = agent("Call the tool.")
    assert reply.text == "done"
    (call,) = reply.tool_calls
    assert (call.result == "ran") != bool(call.error), call
    if call.error:
        assert call.error.endswith("."), call.error  # a sentence the model can act on
    assert not history_problems(agent.history)


# ------------------------------------------------------------------------------ 2. mutated answers


@dataclass
class Mutations:
    """What the mutating proxy does to each answer (set by the test for each example)."""

    ops: list[tuple[Any, ...]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _nodes(value: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) in a JSON tree, depth first."""
    if isinstance(value, dict):
        for key in list(value):
            out.append((value, key))
            _nodes(value[key], out)
    elif isinstance(value, list):
        for index in range(len(value)):
            out.append((value, index))
            _nodes(value[index], out)
    return out


def mutate_json(value: Any, ops: list[tuple[Any, ...]]) -> Any:
    for op in ops:
        nodes = _nodes(value, [])
        if not nodes:
            return value
        container, key = nodes[op[1] % len(nodes)]
        if op[0] == "delete":
            del container[key]
        elif op[0] == "replace":
            container[key] = op[2]
        elif op[0] == "stringify":
            container[key] = json.dumps(container[key])
    return value


def mutate_body(body: bytes, content_type: str, ops: list[tuple[Any, ...]]) -> bytes:
    text = body.decode("utf-8", "replace")
    if "event-stream" not in content_type:
        for op in ops:
            if op[0] == "truncate":
                return text[: op[1] % (len(text) + 1)].encode()
        try:
            return json.dumps(mutate_json(json.loads(text), [o for o in ops if o[0] != "truncate"])).encode()
        except ValueError:
            return body
    events = [e for e in text.split("\n\n") if e.strip()]
    for op in ops:
        if not events:
            break
        index = op[-1] % len(events)
        lines = events[index].split("\n")
        data = [i for i, line in enumerate(lines) if line.startswith("data:")]
        if op[0] == "drop_event":
            events.pop(index)
        elif op[0] == "garbage":
            events.insert(index, op[1])
        elif op[0] == "truncate" and data:
            line = lines[data[0]]
            lines[data[0]] = line[: 6 + op[1] % max(1, len(line) - 6)]
            events[index] = "\n".join(lines)
        elif op[0] in ("delete", "replace", "stringify") and data:
            payload = lines[data[0]][5:].strip()
            try:
                lines[data[0]] = "data: " + json.dumps(mutate_json(json.loads(payload), [op[:-1]]))
            except ValueError:
                continue
            events[index] = "\n".join(lines)
    return ("\n\n".join(events) + "\n\n").encode()


def mutating_proxy(emulator: Emulator, mutations: Mutations) -> Any:
    """An ASGI app that forwards each request to the emulator's app and mutates its answer."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    client = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=emulator.app), base_url="http://emulator")

    async def forward(request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        upstream = await client.request(request.method, request.url.path, params=request.query_params,
                                        headers=headers, content=await request.body())
        with mutations.lock:
            ops = list(mutations.ops)
        content_type = upstream.headers.get("content-type", "")
        body = upstream.content if request.url.path.endswith("/models") else mutate_body(
            upstream.content, content_type, ops)
        return Response(body, status_code=upstream.status_code, media_type=content_type or None)

    methods = ["GET", "POST"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


@pytest.fixture(scope="module")
def proxy(emulator: Emulator) -> Iterator[tuple[ak.Relay, Mutations]]:
    mutations = Mutations()
    with serve_asgi(mutating_proxy(emulator, mutations)) as url:
        yield ak.Relay(url, api_key=KEY, max_retries=0, timeout=10), mutations


ops_strategy = st.lists(
    st.one_of(
        st.tuples(st.just("delete"), st.integers(0, 200), st.integers(0, 40)),
        st.tuples(st.just("replace"), st.integers(0, 200), json_values, st.integers(0, 40)),
        st.tuples(st.just("stringify"), st.integers(0, 200), st.integers(0, 40)),
        st.tuples(st.just("drop_event"), st.integers(0, 40)),
        st.tuples(st.just("truncate"), st.integers(0, 4000), st.integers(0, 40)),
        st.tuples(st.just("garbage"), st.sampled_from(["data: {", "data: [1,", "event: error\ndata: {}",
                                                       ": keepalive", "data: null", 'data: "x"']),
                  st.integers(0, 40)),
    ),
    min_size=1,
    max_size=4,
)


@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
def test_mutated_answers_end_in_a_reply_or_a_typed_error(emulator: Emulator, proxy: tuple[ak.Relay, Mutations],
                                                          streaming: bool) -> None:
    from .harness import get_weather

    relay, mutations = proxy
    outcomes: collections.Counter[str] = collections.Counter()

    @SETTINGS
    @given(ops=ops_strategy, model=st.sampled_from(MODELS), tools=st.booleans())
    def run(ops: list[tuple[Any, ...]], model: str, tools: bool) -> None:
        emulator.reset()
        with mutations.lock:
            mutations.ops = ops
        agent = ak.Agent(model, tools=[get_weather] if tools else [], relay=relay, display=False, max_turns=2)
        prompt = "What is the weather in Paris?" if tools else "Tell me about the sea."
        try:
            if streaming:
                for _ in agent.stream(prompt):
                    pass
            else:
                agent(prompt)
            outcomes["reply"] += 1
        except ak.AgentkitError as error:
            outcomes[type(error).__name__] += 1
        except Exception as exc:  # the property: nothing untyped escapes
            raise AssertionError(f"an untyped {type(exc).__name__} escaped: {exc}") from exc
        assert not history_problems(agent.history), history_problems(agent.history)

    run()
    # Both kinds of outcome, or the mutations never reached the decoders and nothing was tested.
    assert outcomes["reply"] and sum(outcomes.values()) > outcomes["reply"], dict(outcomes)
    print(dict(outcomes))
