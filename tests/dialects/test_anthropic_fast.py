"""The Anthropic dialect's fast path gives what the SDK-parsed path gave (issue 8: per-turn overhead).

`create` and `stream` call `messages.with_raw_response.create` and decode the answer's JSON (or its
SSE events) as plain dicts, instead of letting the SDK build its pydantic objects first. These tests
pin down that nothing else changed, against the code this replaced (kept below as `_legacy_*`,
verbatim but for names) run on the same real SDK client:

- the request JSON on the wire is byte-for-byte the same (the SDK's raw-response mode adds only its
  own `x-stainless-raw-response` header);
- every Anthropic recording in tests/realtraffic (JSON and SSE) decodes to the same Turn, and a
  stream to the same deltas, with the async client (the one every run uses, sync ones too);
- broken answers (not JSON, not an object, no content; bad JSON in an event, events out of
  order, no `message_start`) fail the same way, down to the agentkit error.

A mid-stream `event: error` is not compared with the SDK's reader (whose exception text is the
SDK's to change): it ends as agentkit's own contract says, whichever SDK version is installed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

import agentkit as ak
from agentkit.dialects import anthropic as dialect
from agentkit.dialects.base import FinishReason, ModelRequest, OutputSpec, Turn
from agentkit.events import Delta, ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.messages import Image, Message, Part, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from tests.replay._replay_server_ag import _events, content_type, load, recordings, response_bytes
from tests.replay.test_replay_anthropic import _request as recorded_request

RECORDINGS = recordings("anthropic")
RAW_HEADER = "x-stainless-raw-response"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
SIGNATURE = "EqEECkYICxgCKkAo3UA4+/sig=="


# ------------------------------------------------------------------------------- the old path


async def _legacy_create(client: Any, kwargs: dict[str, Any]) -> Turn:
    kwargs = {key: value for key, value in kwargs.items() if key != "stream"}
    if "timeout" not in kwargs and kwargs.get("max_tokens", 0) > dialect._NONSTREAMING_MAX_TOKENS:
        kwargs["timeout"] = client.timeout
    response = await client.messages.create(**kwargs)
    return _legacy_decode(response)


def _legacy_decode(response: Any) -> Turn:
    parts: list[Part] = []
    for block in response.content:
        kind = block.type
        if kind == "text":
            if block.text:
                parts.append(TextPart(block.text))
        elif kind == "thinking":
            parts.append(ReasoningPart(block.thinking, signature=block.signature, dialect="anthropic"))
        elif kind == "redacted_thinking":
            parts.append(ReasoningPart("", redacted=block.data, dialect="anthropic"))
        elif kind == "tool_use":
            parts.append(ToolCallPart(block.id, block.name, dialect._arguments(block.input), dialect="anthropic"))
    usage = _legacy_usage(response.usage)
    stop_reason = response.stop_reason
    finish: FinishReason = dialect._STOP_REASONS.get(stop_reason, "other") if stop_reason else "other"
    refusal = None
    if stop_reason == "refusal":
        refusal = "".join(p.text for p in parts if isinstance(p, TextPart)) or "The model declined to answer."
    message = Message("assistant", parts, model=response.model, dialect="anthropic", usage=usage)
    return Turn(message=message, usage=usage, finish_reason=finish, raw_finish_reason=stop_reason,
                refusal=refusal, model=response.model)


def _legacy_usage(usage: Any) -> ak.Usage:
    if usage is None:
        return ak.Usage()
    cache_read = usage.cache_read_input_tokens or 0
    cache_write = usage.cache_creation_input_tokens or 0
    details = getattr(usage, "output_tokens_details", None)
    return ak.Usage(
        input_tokens=(usage.input_tokens or 0) + cache_read + cache_write,
        output_tokens=usage.output_tokens or 0,
        reasoning_tokens=(getattr(details, "thinking_tokens", 0) or 0) if details is not None else 0,
        cached_tokens=cache_read,
    )


async def _legacy_stream(client: Any, kwargs: dict[str, Any]) -> AsyncIterator[Delta | Turn]:
    from anthropic.lib.streaming._messages import accumulate_event

    events = await client.messages.create(**{**kwargs, "stream": True})
    snapshot: Any = None
    tool_json: dict[int, str] = {}
    tool_index: dict[int, int] = {}
    texts: dict[int, list[str]] = {}
    thoughts: dict[int, list[str]] = {}
    try:
        async for event in events:
            kind = event.type
            if kind == "content_block_delta":
                delta = event.delta
                if delta.type == "text_delta":
                    if delta.text:
                        texts.setdefault(event.index, []).append(delta.text)
                        yield TextDelta(delta.text)
                    continue
                if delta.type == "thinking_delta":
                    if delta.thinking:
                        thoughts.setdefault(event.index, []).append(delta.thinking)
                        yield ReasoningDelta(delta.thinking)
                    continue
                if delta.type == "input_json_delta":
                    fragment = delta.partial_json
                    tool_json[event.index] = tool_json.get(event.index, "") + fragment
                    if fragment:
                        yield ToolCallDelta(tool_index.get(event.index, 0), arguments=fragment)
                    continue
            elif kind == "message_start" and snapshot is None:
                message = event.message
                snapshot = message.model_copy(update={"content": list(message.content),
                                                      "usage": message.usage.model_copy()})
                continue
            elif kind == "content_block_start" and snapshot is not None:
                block = event.content_block
                snapshot.content.append(block.model_copy())
                if block.type == "tool_use":
                    tool_index[event.index] = len(tool_index)
                    yield ToolCallDelta(tool_index[event.index], id=block.id, name=block.name)
                elif block.type == "text" and block.text:
                    yield TextDelta(block.text)
                elif block.type == "thinking" and block.thinking:
                    yield ReasoningDelta(block.thinking)
                continue
            snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs={})
            if kind == "content_block_stop" and event.index in tool_json:
                snapshot.content[event.index].input = dialect._arguments(tool_json.pop(event.index))
    finally:
        await events.close()
    if snapshot is not None:
        for index, pieces in texts.items():
            if index < len(snapshot.content) and snapshot.content[index].type == "text":
                snapshot.content[index].text += "".join(pieces)
        for index, pieces in thoughts.items():
            if index < len(snapshot.content) and snapshot.content[index].type == "thinking":
                snapshot.content[index].thinking += "".join(pieces)
    if snapshot is None:
        raise ak.UpstreamError("The Anthropic stream ended before its `message_start` event, so it held no message",
                               status=200, dialect="anthropic", model=kwargs.get("model"), code="malformed_stream")
    for index, text in tool_json.items():
        snapshot.content[index].input = dialect._arguments(text)
    yield _legacy_decode(snapshot)


# ---------------------------------------------------------------------------------- harness


class _Pieces(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """A body sent in pieces (one SSE event each, as a server writes them), sync or async."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece


class Server:
    """What a `MockTransport` answers (status, content type, body pieces), and what it was sent."""

    def __init__(self, status: int, media: str, pieces: list[bytes]) -> None:
        self.status, self.media, self.pieces = status, media, pieces
        self.requests: list[httpx2.Request] = []

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return httpx2.Response(self.status, headers={"content-type": self.media}, stream=_Pieces(self.pieces))

    def client(self) -> Any:
        """A real async SDK client on this server, the kind every run uses (sync `agent(...)` runs
        too, on their own loop). Its requests are marked as sent, as the agent's are."""
        import anthropic

        from agentkit._transport import AsyncGuardedTransport, guard

        options: dict[str, Any] = {"base_url": "http://relay.invalid/anthropic", "api_key": "sk-test",
                                   "max_retries": 0}
        marking = guard(["http://relay.invalid"], mark=True, max_bytes=None, deadline=None)
        http_async = httpx2.AsyncClient(transport=AsyncGuardedTransport(httpx2.MockTransport(self.handler), marking))
        return anthropic.AsyncAnthropic(**options, http_client=http_async)


def _server(recording: dict[str, Any]) -> Server:
    body = response_bytes(recording)
    pieces = _events(body) if recording.get("stream") else [body]
    return Server(int(recording["status"]), content_type(recording), pieces)


def _sse_server(*events: str | dict[str, Any], data_only: bool = False) -> Server:
    """An SSE answer: dicts are events named by their `type`, strings go on the wire as they are."""
    pieces = []
    for event in events:
        if isinstance(event, str):
            pieces.append(event.encode())
        else:
            head = "" if data_only else f"event: {event['type']}\n"
            pieces.append(f"{head}data: {json.dumps(event)}\n\n".encode())
    return Server(200, "text/event-stream", pieces)


Outcome = tuple[Any, ...]


async def _outcome(call: Callable[[], Any], streaming: bool) -> Outcome:
    """What one call gave: ("ok", deltas, turn), or ("raised", what the exception means)."""
    import anthropic

    deltas: list[Any] = []
    try:
        if streaming:
            async for item in call():
                deltas.append(item)
        else:
            deltas.append(await call())
    except anthropic.APIStatusError as exc:
        return ("raised", type(exc), exc.status_code, exc.body, str(exc), deltas)
    except Exception as exc:
        return ("raised", _agentkit_error(exc), deltas)
    turn = deltas.pop()
    assert isinstance(turn, Turn) and not any(isinstance(d, Turn) for d in deltas)
    return ("ok", deltas, turn)


def _agentkit_error(exc: Exception) -> tuple[type[Exception], str | None]:
    """The agentkit error class and code a model call's exception ends as (`Agent._model_error`)."""
    from agentkit.errors import from_sdk_error

    mapped = from_sdk_error(exc, dialect="anthropic")
    if mapped is None:  # what the agent does with an exception the SDK mapping leaves alone, once sent
        return (ak.UpstreamError, "malformed_response")
    return (type(mapped), getattr(mapped, "code", None))


async def _both(server: Server, kwargs: dict[str, Any], *, streaming: bool) -> tuple[Outcome, Outcome]:
    """The new and the old path's outcomes, each on a fresh client of `server`; the wire requests
    they sent must match byte for byte."""
    new_client, old_client = server.client(), server.client()
    if streaming:
        new = await _outcome(lambda: dialect.stream(new_client, kwargs), streaming=True)
        old = await _outcome(lambda: _legacy_stream(old_client, kwargs), streaming=True)
    else:
        new = await _outcome(lambda: dialect.create(new_client, kwargs), streaming=False)
        old = await _outcome(lambda: _legacy_create(old_client, kwargs), streaming=False)
    new_request, old_request = server.requests[-2:]
    assert new_request.content == old_request.content
    assert new_request.url == old_request.url
    assert new_request.headers.get(RAW_HEADER) == "raw" and old_request.headers.get(RAW_HEADER) is None
    assert {k: v for k, v in new_request.headers.items() if k != RAW_HEADER} == dict(old_request.headers.items())
    return new, old


#: An agent run through `agent(...)` or `await agent.arun(...)`.
SYNC = pytest.mark.parametrize("sync", [False, True], ids=["async", "sync"])


# ------------------------------------------------------------------------------- recordings


@pytest.mark.parametrize("path", RECORDINGS, ids=[p.stem for p in RECORDINGS])
async def test_every_recording_gives_the_same_request_and_turn(path: Path) -> None:
    recording = load(path)
    kwargs = dialect.encode(recorded_request(recording["request"]["body"]))
    new, old = await _both(_server(recording), kwargs, streaming=bool(recording["stream"]))
    assert new == old
    assert new[0] == ("ok" if recording["status"] == 200 else "raised")


@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("tools", [False, True], ids=["text", "tools"])
async def test_the_benchmark_stubs_answers_give_the_same_turn(streaming: bool, tools: bool) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("stub_server", Path(__file__).parents[2] / "benchmarks/stub_server.py")
    assert spec is not None and spec.loader is not None
    stub_server = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stub_server)
    if streaming:
        server = Server(200, "text/event-stream", _events(stub_server.anthropic_sse(tools)))
    else:
        server = Server(200, "application/json", [stub_server.anthropic_json(tools)])
    kwargs = dialect.encode(ModelRequest("claude-sonnet-4-5", [Message.user("hi")]))
    new, old = await _both(server, kwargs, streaming=streaming)
    assert new == old and new[0] == "ok"


# ---------------------------------------------------------------------------- wire requests


def _history() -> list[Message]:
    return [
        Message.system("You are terse."),
        Message.user("What is this, and the weather in Paris?", Image(data=PNG, mime_type="image/png"),
                     Image(url="https://example.com/a.png")),
        Message("assistant", [ReasoningPart("Look, then call.", signature=SIGNATURE, dialect="anthropic"),
                              ReasoningPart("", redacted="opaque==", dialect="anthropic"),
                              TextPart("Checking."),
                              ToolCallPart("call:1", "get_weather", {"city": "Paris", "unit": "c"})],
                dialect="anthropic"),
        Message("tool", [ToolResultPart("call:1", "get_weather", (TextPart('{"city": "Paris"}'),), is_error=True)]),
        Message("assistant", [TextPart("Sunny, and a white square.")]),
        Message.user("Thanks! Now in one word?"),
    ]


class _Tool:
    name = "get_weather"
    description = "Current weather."

    def to_schema(self, dialect_name: str) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


OPTIONS: list[dict[str, Any]] = [
    {},
    {"temperature": 0.2, "max_tokens": 300, "top_p": 0.9, "stop": ["END"], "metadata": {"user_id": "7"}},
    {"reasoning": "high", "parallel_tool_calls": False, "extra_body": {"top_k": 5}, "service_tier": "auto"},
    {"max_tokens": 64000},  # the non-streaming timeout rule
    {"timeout": 12.5, "frobnicate": {"a": [1, 2]}},  # a per-call timeout; an unknown option goes in extra_body
]


@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("options", OPTIONS, ids=["plain", "options", "reasoning", "big", "timeout"])
async def test_the_wire_request_is_byte_identical(options: dict[str, Any], streaming: bool) -> None:
    request = ModelRequest("claude-sonnet-4-5", _history(), tools=[_Tool()], options=options,  # type: ignore[list-item]
                           tool_choice="get_weather" if options else None,
                           output=OutputSpec({"type": "object", "properties": {"w": {"type": "string"}}}))
    kwargs = dialect.encode(request)
    server = _sse_server(*_STREAM) if streaming else Server(200, "application/json", [json.dumps(_REPLY).encode()])
    new, old = await _both(server, kwargs, streaming=streaming)  # asserts the bytes
    assert new == old and new[0] == "ok"
    sent = json.loads(server.requests[-1].content)
    assert sent["messages"] == kwargs["messages"] and sent.get("stream", False) is streaming


# ----------------------------------------------------------------------------- broken answers


_REPLY = {
    "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
    "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
    "usage": {"input_tokens": 3, "output_tokens": 1},
}
_START = {"type": "message_start", "message": {**_REPLY, "content": [], "stop_reason": None}}
_TEXT_START = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}


def _delta(index: int, **delta: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


_STREAM: list[str | dict[str, Any]] = [
    _START, _TEXT_START, {"type": "ping"}, _delta(0, type="text_delta", text="Hel"),
    _delta(0, type="text_delta", text="lo"), {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}},
    {"type": "message_stop"},
]
KWARGS = {"model": "claude-x", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10}


@pytest.mark.parametrize(
    ("media", "body"),
    [
        ("application/json", b'{"type": "message", "content": [{"type": "text", "text": "cut'),
        ("text/plain", b"Service temporarily unavailable"),
        ("application/json", b""),
        ("application/json", b'[{"type": "text", "text": "hi"}]'),
        ("application/json", b'"hello"'),
        ("application/json", b"{}"),
        ("application/json", b'{"content": "hello"}'),
        ("application/json", b'{"content": ["hello"]}'),
        ("application/json", b'{"content": []}'),  # an empty answer: no error here (the agent asks again)
        ("application/json", json.dumps({**_REPLY, "usage": None, "model": None}).encode()),
        ("text/plain", json.dumps(_REPLY).encode()),  # JSON with the wrong content type is still read
    ],
    ids=["cut", "text", "empty", "list", "string", "no-content", "content-string", "block-string", "no-blocks",
         "no-usage", "wrong-type"],
)
async def test_a_broken_json_answer_fails_the_same_way(media: str, body: bytes) -> None:
    new, old = await _both(Server(200, media, [body]), KWARGS, streaming=False)
    assert new == old


BROKEN_STREAMS: dict[str, list[str | dict[str, Any]]] = {
    "bad-json": [_START, _TEXT_START, "event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"ind\n\n"],
    "not-an-object": [_START, "event: content_block_delta\ndata: [1, 2]\n\n"],
    "empty": [],
    "only-pings": [{"type": "ping"}, "event: ping\n\n", ": a comment\n\n"],
    "block-before-start": [_TEXT_START, _START],
    "stop-before-start": [{"type": "message_stop"}],
    "delta-before-start": [_delta(0, type="text_delta", text="early"), _START],
    "unknown-event-after-start": [_START, {"type": "brand_new_event", "x": 1}, _TEXT_START,
                                  _delta(0, type="text_delta", text="ok"), {"type": "message_stop"}],
    "second-message-start": [_START, _TEXT_START, _delta(0, type="text_delta", text="a"),
                             {**_START, "message": {**_START["message"], "model": "other"}}, {"type": "message_stop"}],
    "signature-and-citation": [
        _START, {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
        _delta(0, type="thinking_delta", thinking="hm"), _delta(0, type="signature_delta", signature=SIGNATURE),
        _TEXT_START | {"index": 1}, _delta(1, type="citations_delta", citation={"type": "char_location"}),
        _delta(1, type="text_delta", text="cited"), {"type": "message_stop"}],
    "crlf-and-no-space": ["event:message_start\r\ndata:" + json.dumps(_START) + "\r\n\r\n",
                          "event: content_block_start\r\ndata: " + json.dumps(_TEXT_START) + "\r\n\r\n",
                          "event: content_block_delta\rdata: " + json.dumps(_delta(0, type="text_delta", text="x"))
                          + "\r\r"],
    "tool-input-never-stopped": [
        _START, {"type": "content_block_start", "index": 0,
                 "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}},
        _delta(0, type="input_json_delta", partial_json='{"a": 1}'), {"type": "message_stop"}],
    "usage-updates": [_START, _TEXT_START, _delta(0, type="text_delta", text="x"),
                      {"type": "message_delta", "delta": {"stop_reason": "max_tokens"},
                       "usage": {"output_tokens": 9, "input_tokens": 40, "cache_read_input_tokens": 7,
                                 "output_tokens_details": {"thinking_tokens": 3}}}],
}


@pytest.mark.parametrize("name", list(BROKEN_STREAMS))
async def test_an_unusual_stream_ends_the_same_way(name: str) -> None:
    new, old = await _both(_sse_server(*BROKEN_STREAMS[name]), KWARGS, streaming=True)
    assert new == old


async def test_events_without_an_event_name_are_dropped_as_the_sdk_drops_them() -> None:
    new, old = await _both(_sse_server(*_STREAM, data_only=True), KWARGS, streaming=True)
    assert new == old
    assert new[0] == "raised" and new[1] == (ak.UpstreamError, "malformed_stream")


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


_HEL = [_START, _TEXT_START, _delta(0, type="text_delta", text="Hel")]

#: name: (the stream, then the agentkit error it ends as: class, `.code`, `.message`)
ERROR_EVENTS: dict[str, tuple[list[str | dict[str, Any]], type[ak.RelayError], str | None, str]] = {
    "overloaded": ([*_HEL, _error("overloaded_error", "Overloaded")], ak.UpstreamError, "overloaded_error",
                   "Overloaded"),
    "api-error": ([_START, _error("api_error", "上游服务暂时不可用")], ak.UpstreamError, "api_error",
                  "上游服务暂时不可用"),
    "rate-limit": ([*_HEL, _error("rate_limit_error", "Number of request tokens has exceeded your per-minute "
                                                      "rate limit")],
                   ak.RateLimitError, "rate_limit_error",
                   "Number of request tokens has exceeded your per-minute rate limit"),
    "invalid-request": ([_START, _error("invalid_request_error", "prompt is too long: 210000 tokens > 200000")],
                        ak.BadRequestError, "invalid_request_error", "prompt is too long: 210000 tokens > 200000"),
    "unknown-type": ([_START, _error("brand_new_error", "Something new")], ak.UpstreamError, "brand_new_error",
                     "Something new"),
    "no-type": ([_START, 'event: error\ndata: {"error": {"message": "upstream fell over"}}\n\n'],
                ak.UpstreamError, None, "upstream fell over"),
    "not-json": ([*_HEL, "event: error\ndata: upstream overloaded\n\n"], ak.UpstreamError, None,
                 "upstream overloaded"),
    "json-without-message": ([_START, 'event: error\ndata: {"type": "error"}\n\n'], ak.UpstreamError, "error",
                             '{"type": "error"}'),
    "empty": ([_START, "event: error\n\n"], ak.UpstreamError, None, "The stream sent an `error` event with no data"),
    "before-message-start": ([_error("overloaded_error", "Overloaded")], ak.UpstreamError, "overloaded_error",
                             "Overloaded"),
}


@pytest.mark.parametrize("name", list(ERROR_EVENTS))
async def test_an_error_event_ends_as_the_agentkit_error_its_data_says(name: str) -> None:
    """agentkit's contract for a mid-stream `event: error`, the same on every SDK version: the deltas
    before it were shown, then the error the event's `error.type` says (an UpstreamError when it says
    nothing), status 200, the type as `code`, the relay's `error.message` verbatim (the raw data
    when there is no message), the dialect and model."""
    from agentkit.errors import from_sdk_error

    events, expected, code, message = ERROR_EVENTS[name]
    server = _sse_server(*events)
    deltas: list[Any] = []
    with pytest.raises(Exception) as caught:
        async for item in dialect.stream(server.client(), KWARGS):
            deltas.append(item)
    mapped = from_sdk_error(caught.value, dialect="anthropic", model="claude-x")
    assert type(mapped) is expected
    assert isinstance(mapped, ak.RelayError) and mapped.retryable is expected.retryable
    assert (mapped.status, mapped.code, mapped.message) == (200, code, message)
    assert (mapped.dialect, mapped.model) == ("anthropic", "claude-x")
    assert message in str(mapped)
    assert deltas == ([TextDelta("Hel")] if events[:3] == _HEL else [])


# ---------------------------------------------------------------------------------- the agent


@SYNC
@pytest.mark.parametrize(
    ("body", "error", "code"),
    [(b'{"content": [{"type": "te', ak.UpstreamError, "malformed_response"),
     (b"[1, 2, 3]", ak.UpstreamError, "malformed_response"),
     (b'{"content": []}', ak.EmptyAnswerError, None)],
    ids=["cut", "list", "empty"],
)
def test_the_agent_reports_an_unreadable_answer_as_before(body: bytes, error: type[Exception], code: str | None,
                                                          sync: bool) -> None:
    import asyncio

    server = Server(200, "application/json", [body])
    relay = ak.Relay("http://relay.invalid", api_key="sk-test", max_retries=0)
    relay.async_client = lambda dialect_name, **_: server.client()  # type: ignore[method-assign]
    agent = ak.Agent("claude-sonnet-4-5", relay=relay, display=False)
    with pytest.raises(error) as caught:
        if sync:
            agent("hi")
        else:
            asyncio.run(agent.arun("hi"))
    if code is not None:
        assert getattr(caught.value, "code", None) == code


@SYNC
def test_an_error_event_reaches_the_user_as_the_agentkit_error_without_the_key(sync: bool) -> None:
    """Through the agent: the relay's words, with the relay's key taken out even when it does not
    look like a key."""
    import asyncio

    secret = "relay-credential-0042"
    server = _sse_server(*_HEL, _error("overloaded_error", f"Overloaded (key {secret})"))
    relay = ak.Relay("http://relay.invalid", api_key=secret, max_retries=0)
    relay.async_client = lambda dialect_name, **_: server.client()  # type: ignore[method-assign]
    agent = ak.Agent("claude-sonnet-4-5", relay=relay, display=False)

    async def consume() -> None:
        async for _ in agent.astream("hi"):
            pass

    with pytest.raises(ak.UpstreamError) as caught:
        if sync:
            for _ in agent.stream("hi"):
                pass
        else:
            asyncio.run(consume())
    error = caught.value
    assert (error.status, error.code, error.dialect) == (200, "overloaded_error", "anthropic")
    assert error.message == "Overloaded (key [redacted])"
    assert secret not in str(error) and secret not in repr(error)
    assert error.__cause__ is None or secret not in str(error.__cause__)
