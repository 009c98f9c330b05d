"""The Gemini dialect's fast paths give what the slow ones gave (benchmarks/ issue 8).

- `create` asks google-genai for the raw answer (`should_return_http_response=True`) and reads its
  JSON itself, skipping the SDK's response build (~0.2 ms a turn). The request on the wire must be
  byte-for-byte the raw SDK user's, and the Turn (or the exception) the one the SDK's parse gives,
  for every recorded answer and for unusual ones; automatic continuation must still happen.
- `stream` reads text pieces without `model_dump` and builds no SDK response at the end: its
  deltas and Turn must be those of the straightforward accumulation (kept here as the reference).
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

import agentkit as ak
from agentkit._blocking import BlockingClient
from agentkit.dialects import gemini as dialect
from agentkit.dialects.base import ModelRequest, OutputSpec, Turn
from agentkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.messages import Image, ImagePart, Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from tests.replay._replay_server_ag import load, recordings, response_bytes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
SIG = [base64.b64encode(bytes([250 + i, 251, 252, 253, 254, 255])).decode() for i in range(4)]  # has + and /
RECORDINGS = [p for p in recordings("gemini") if load(p)["status"] == 200]


class FakeTool:
    def __init__(self, name: str) -> None:
        self.name = name
        self.description = f"The {name} tool."

    def to_schema(self, dialect_name: str) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "parameters_json_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        }


class Server:
    """A google-genai client on an in-memory transport: answers in turn, records what was sent."""

    def __init__(self, *answers: bytes | dict[str, Any], media: str = "application/json") -> None:
        import httpx2
        from google import genai
        from google.genai import types

        self.answers = [a if isinstance(a, bytes) else json.dumps(a).encode() for a in answers]
        self.sent: list[tuple[str, str, dict[str, str], bytes]] = []

        def handler(request: httpx2.Request) -> httpx2.Response:
            self.sent.append((request.method, str(request.url), dict(request.headers), request.content))
            body = self.answers[min(len(self.sent), len(self.answers)) - 1]
            return httpx2.Response(200, headers={"content-type": media}, content=body)

        transport = httpx2.MockTransport(handler)
        self.client = genai.Client(
            api_key="sk-test",
            http_options=types.HttpOptions(
                base_url="http://relay.invalid",
                api_version="v1beta",
                httpx_async_client=httpx2.AsyncClient(transport=transport),
                httpx_client=httpx2.Client(transport=transport),
            ),
        )

    def dialect_client(self, mode: str) -> Any:
        """What the agent hands the dialect: `client.aio`, or the sync client dressed as async."""
        return self.client.aio if mode == "async" else BlockingClient(self.client)

    async def sdk_call(self, mode: str, kwargs: dict[str, Any]) -> Any:
        """The raw SDK user's call."""
        if mode == "async":
            return await self.client.aio.models.generate_content(**kwargs)
        return self.client.models.generate_content(**kwargs)


MODES = ["async", "blocking"]


def _no_sdk_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(body: Any) -> Any:
        raise AssertionError(f"The fast path fell back to the SDK's parse for {body!r:.300}.")

    monkeypatch.setattr(dialect, "_sdk_parse", refuse)


def comparable(value: Any) -> Any:
    """Turns and deltas as plain values; `ak.Image` compares by identity, so images by their content."""
    if isinstance(value, list | tuple):
        return [comparable(v) for v in value]
    if isinstance(value, Turn):
        message = value.message
        parts = comparable(message.parts)
        return (
            parts,
            message.model,
            message.dialect,
            message.usage,
            value.usage,
            value.finish_reason,
            value.raw_finish_reason,
            value.refusal,
            value.model,
        )
    if isinstance(value, ImagePart):
        return ("image", value.image.data, value.image.mime_type, value.image.url)
    return value


async def _outcome(call: Any) -> Any:
    """A Turn (comparable), or the class of the exception raised (what the agent maps to an agentkit error)."""
    try:
        return comparable(await call)
    except Exception as exc:
        return f"raises {type(exc).__module__}.{type(exc).__qualname__}"


# --------------------------------------------------------------------------------- request


def _requests() -> dict[str, ModelRequest]:
    history = [
        Message.system("You are terse."),
        Message.user(
            "What is in this picture, and the weather in Paris?", Image(data=PNG, mime_type="image/png")
        ),
        Message(
            "assistant",
            [
                ReasoningPart("Look first.", signature=SIG[0], dialect="gemini"),
                ReasoningPart("", signature=SIG[1], dialect="gemini", extra={dialect.SIGNATURE_ON: "text"}),
                TextPart("Checking."),
                ToolCallPart("call_1", "get_weather", {"city": "Paris"}, signature=SIG[2], dialect="gemini"),
            ],
            dialect="gemini",
        ),
        Message("tool", [ToolResultPart("call_1", "get_weather", (TextPart("sunny"),))]),
        Message("assistant", [TextPart("Sunny, and a white square.")]),
        Message.user("Thanks! Now in one word?"),
    ]
    tools = [FakeTool("get_weather"), FakeTool("get_time")]
    schema = {"type": "object", "properties": {"word": {"type": "string"}}, "required": ["word"]}
    return {
        "plain": ModelRequest("gemini-2.5-flash", [Message.system("Be brief."), Message.user("Hi")]),
        "full": ModelRequest(
            "gemini-3-pro-preview",
            history,
            tools=tools,  # type: ignore[arg-type]
            tool_choice="get_time",
            options={"temperature": 0.2, "max_tokens": 300, "stop": "END", "reasoning": "low", "seed": 7},
        ),
        "structured": ModelRequest(
            "gemini-2.5-flash", history, output=OutputSpec(schema), options={"config": {"candidate_count": 1}}
        ),
    }


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(_requests()))
async def test_the_request_on_the_wire_is_the_raw_sdk_users(name: str, mode: str) -> None:
    answer = {
        "candidates": [{"content": {"parts": [{"text": "Sunny."}]}, "finishReason": "STOP"}],
        "responseId": "r",
    }
    server = Server(answer)
    kwargs = dialect.encode(_requests()[name])
    raw = await server.sdk_call(mode, kwargs)
    turn = await dialect.create(server.dialect_client(mode), kwargs)
    assert len(server.sent) == 2
    assert server.sent[1] == server.sent[0]  # method, URL, headers, body bytes
    assert b"should_return_http_response" not in server.sent[1][3]
    assert turn == dialect.decode(raw)
    assert "should_return_http_response" not in kwargs["config"]  # the caller's kwargs are not changed


def _history_requests() -> dict[str, ModelRequest]:
    """Histories with every part shape `encode` makes, for the pre-built wire contents (`_sdk_kwargs`)."""
    tools = [FakeTool("get_weather"), FakeTool("get_time")]

    def rounds(n: int, model: str = "gemini-2.5-flash") -> ModelRequest:
        history = [Message.system("You are terse."), Message.user("Weather in Paris, each hour?")]
        for i in range(n):
            history.append(
                Message(
                    "assistant",
                    [TextPart("Let me check."), ToolCallPart(f"c{i}", "get_weather", {"city": "Paris", "hour": i})],
                    dialect="gemini",
                )
            )
            history.append(Message("tool", [ToolResultPart(f"c{i}", "get_weather", (TextPart(f"{i} C"),))]))
        return ModelRequest(model, history, tools=tools)  # type: ignore[arg-type]

    odd = [
        Message.user(
            "Look:",
            Image(data=b"\xfb\xff\xfe" * 7, mime_type="image/jpeg"),  # URL-safe differs from standard
            Image(url="https://example.com/a.png", mime_type="image/png"),
            Image(url="data:image/gif;base64,R0lGODlh+/8=", mime_type="image/png"),
        ),
        Message(
            "assistant",
            [
                ReasoningPart("", signature=SIG[3], dialect="gemini", extra={dialect.SIGNATURE_ON: "empty_text"}),
                ToolCallPart("x1", "get_time", {"tz": None, "n": [1, 2.5, {"deep": True}], "s": "é\u2028"}),
                ToolCallPart(
                    "call_0_get_weather_1", "get_weather", "not json", extra={dialect.SYNTHETIC_ID: True}
                ),
                ToolCallPart("x3", "get_weather", {}),
            ],
            dialect="gemini",
        ),
        Message(
            "tool",
            [
                ToolResultPart("x1", "get_time", (TextPart("noon"), ImagePart(Image(data=PNG, mime_type="image/png")))),
                ToolResultPart(
                    "call_0_get_weather_1",
                    "get_weather",
                    (ImagePart(Image(url="https://example.com/b.png", mime_type="image/png")),),
                    is_error=True,
                ),
                ToolResultPart("x3", "get_weather", (TextPart("{}"),)),
            ],
        ),
        Message.user("And now?"),
    ]
    return {
        "rounds-5": rounds(5),
        "rounds-20": rounds(20),
        "rounds-3-gemini-3": rounds(3, "gemini-3-pro-preview"),  # the stand-in signature on replayed calls
        "odd-parts": ModelRequest("gemini-3-pro-preview", odd, tools=tools, tool_choice="required"),  # type: ignore[arg-type]
    }


def _all_requests() -> dict[str, ModelRequest]:
    return {**_requests(), **_history_requests()}


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("name", list(_all_requests()))
async def test_prebuilt_wire_contents_are_the_sdks_bytes(name: str, stream: bool) -> None:
    """`_sdk_kwargs` hands the contents pre-built (checked taken here); the body must not change by a byte."""
    answer = {
        "candidates": [{"content": {"parts": [{"text": "Sunny."}]}, "finishReason": "STOP"}],
        "responseId": "r",
    }
    server = Server(answer, media="text/event-stream" if stream else "application/json")
    if stream:
        server.answers = [b"data: " + json.dumps(answer).encode() + b"\r\n\r\n"]
    kwargs = dialect.encode(_all_requests()[name])
    assert dialect._sdk_wire_contents(kwargs["contents"]) is not None  # the fast path is taken
    if stream:
        raw = [c async for c in await server.client.aio.models.generate_content_stream(**kwargs)]
        items = [i async for i in dialect.stream(server.client.aio, kwargs)]
        assert items[-1] == [i async for i in dialect.stream(_Chunks(raw), kwargs)][-1]
    else:
        raw = await server.client.aio.models.generate_content(**kwargs)
        assert await dialect.create(server.client.aio, kwargs) == dialect.decode(raw)
    assert len(server.sent) == 2
    assert server.sent[1] == server.sent[0]  # method, URL, headers, body bytes
    assert "http_options" not in kwargs["config"]  # the caller's kwargs are not changed


ALL_RECORDINGS = recordings("gemini")


@pytest.mark.parametrize("path", ALL_RECORDINGS, ids=[p.stem for p in ALL_RECORDINGS])
async def test_recorded_histories_go_out_as_the_sdk_sends_them(path: Any) -> None:
    """Each recorded request's history, read and encoded again: pre-built contents, the SDK's bytes."""
    body = load(path)["request"]["body"]
    history = dialect.decode_history(body)
    if not any(m.role != "system" for m in history):
        pytest.skip("The recorded request holds no contents.")
    for model in ("gemini-2.5-flash", "gemini-3-pro-preview"):
        server = Server({"candidates": [{"content": {"parts": [{"text": "ok"}]}}], "responseId": "r"})
        kwargs = dialect.encode(ModelRequest(model, history))
        assert dialect._sdk_wire_contents(kwargs["contents"]) is not None
        bare = dialect._bare(kwargs, kwargs.get("config") or {})  # then sent as a raw user would, with no config
        raw = await server.client.aio.models.generate_content(
            **({k: v for k, v in kwargs.items() if k != "config"} if bare else kwargs))
        assert await dialect.create(server.client.aio, kwargs) == dialect.decode(raw)
        assert server.sent[1] == server.sent[0]


def test_contents_the_sdk_would_spell_otherwise_take_its_path() -> None:
    """Values `encode` never makes are left to the SDK (which then builds, or refuses, them itself)."""
    good = {"role": "user", "parts": [{"text": "hi"}]}
    assert dialect._sdk_wire_contents([good]) == [{"parts": [{"text": "hi"}], "role": "user"}]
    for bad in (
        [],
        "hi",
        [{"role": "user", "parts": [{"text": 3}]}],
        [{"role": "user", "parts": [{"text": "hi", "videoMetadata": {}}]}],
        [{"role": "model", "parts": [{"text": "", "thoughtSignature": "not base64!"}]}],
        [{"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"b": b"bytes"}}}]}],
        [{"role": "user", "parts": [{"inlineData": {"mimeType": "image/png", "data": "a\nb"}}]}],
        [{"role": "user", "parts": [{"text": "hi"}], "extra": 1}],
    ):
        assert dialect._sdk_wire_contents(bad) is None, bad
    kwargs = dialect.encode(ModelRequest("gemini-2.5-flash", [Message.user("hi")]))
    with_options = {**kwargs["config"], "http_options": {"timeout": 5000}}
    assert dialect._sdk_kwargs({**kwargs, "config": with_options})["contents"] == kwargs["contents"]


@pytest.mark.parametrize("mode", MODES)
async def test_a_bad_option_is_still_refused_before_sending(mode: str) -> None:
    server = Server({"candidates": [], "responseId": "r"})
    request = ModelRequest("gemini-2.5-flash", [Message.user("hi")], options={"not_an_option": 1})
    kwargs = dialect.encode(request)
    with pytest.raises(Exception) as raw:
        await server.sdk_call(mode, kwargs)
    with pytest.raises(type(raw.value)):
        await dialect.create(server.dialect_client(mode), kwargs)
    assert server.sent == []


# ---------------------------------------------------------------------------------- answers


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", RECORDINGS, ids=[p.stem for p in RECORDINGS])
async def test_every_recorded_answer_reads_as_the_sdk_parse(
    path: Any, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = load(path)
    server = Server(
        response_bytes(recording), media="text/event-stream" if recording["stream"] else "application/json"
    )
    kwargs = dialect.encode(ModelRequest("gemini-2.5-flash", [Message.user("hi")]))
    if recording["stream"]:
        if path.stem.startswith("c_stream_json_array"):
            pytest.skip(
                "google-genai cannot read a JSON-array stream (see tests/replay/test_replay_gemini.py)."
            )
        chunks = [c async for c in await server.client.aio.models.generate_content_stream(**kwargs)]
        items = [i async for i in dialect.stream(_Chunks(chunks), kwargs)]
        assert comparable(items) == comparable(await _reference_stream(chunks))
        return
    expected = dialect.decode(await server.sdk_call(mode, kwargs))
    _no_sdk_parse(monkeypatch)  # these plain answers must take the fast path
    assert await dialect.create(server.dialect_client(mode), kwargs) == expected


def _reply(parts: Any, **candidate: Any) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "index": 0, **candidate}],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "thoughtsTokenCount": 7},
        "modelVersion": "gemini-x",
        "responseId": "resp-1",
    }


#: Answers read directly: their Turn must be the SDK parse's.
PLAIN: dict[str, Any] = {
    "signatures everywhere": _reply(
        [
            {"text": "think", "thought": True, "thoughtSignature": SIG[0]},
            {"text": "more", "thought": True},
            {"text": "answer", "thoughtSignature": "c2lnMg"},  # unpadded
            {"text": " goes on", "thought": False},
            {"text": "", "thoughtSignature": "c2lnMw="},
            {"thoughtSignature": "-_-_"},  # URL-safe
            {"functionCall": {"name": "a", "args": {"x": [1, {"y": None}]}}, "thoughtSignature": "AbC-_w=="},
            {"functionCall": {"name": "b"}},
            {"functionCall": {"id": "c1", "name": "c", "args": None}},
            {"text": None},
            {},
            {"text": "tail"},
        ],
        finishReason="STOP",
        safetyRatings=[{"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"}],
    ),
    "blocked prompt": {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "responseId": "r"},
    "blocked, no candidates": {
        "candidates": [],
        "promptFeedback": {"blockReason": "SAFETY"},
        "responseId": "r",
    },
    "a candidate and a block reason": {
        **_reply([{"text": "a"}]),
        "promptFeedback": {"blockReason": "SAFETY"},
    },
    "parts null": _reply(None, finishReason="MAX_TOKENS"),
    "content null": {"candidates": [{"content": None, "finishReason": "RECITATION"}], "responseId": "r"},
    "unknown top-level field": {**_reply([{"text": "a"}], finishReason="STOP"), "brandNew": [1]},
}

#: Answers the fast reading does not take on trust: the SDK's parse decides (a Turn or an exception).
UNUSUAL: dict[str, Any] = {
    "no responseId": {
        k: v for k, v in _reply([{"functionCall": {"name": "f"}}]).items() if k != "responseId"
    },
    "empty responseId": {**_reply([{"functionCall": {"name": "f"}}]), "responseId": ""},
    "lowercase finish reason": _reply([{"text": "x"}], finishReason="stop"),
    "unknown finish reason": _reply([{"text": "x"}], finishReason="WEIRD_NEW"),
    "finish reason not a string": _reply([{"text": "x"}], finishReason=3),
    "lowercase block reason": {"promptFeedback": {"blockReason": "safety"}, "responseId": "r"},
    "image and code parts": _reply(
        [
            {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(PNG).decode()}},
            {"fileData": {"mimeType": "image/jpeg", "fileUri": "gs://b/x.jpg"}},
            {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
            {"text": "done"},
        ],
        finishReason="STOP",
    ),
    "unknown part field": _reply([{"text": "a", "brandNew": {"x": 1}}]),
    "snake_case part": _reply([{"function_call": {"name": "f", "id": "i"}}]),
    "streamed-call field": _reply([{"functionCall": {"name": "f", "willContinue": True}}]),
    "text not a string": _reply([{"text": 5}]),
    "thought a string": _reply([{"text": "a", "thought": "yes"}]),
    "thought a number": _reply([{"text": "a", "thought": 1}]),
    "thought the string 'no'": _reply([{"text": "a", "thought": "no"}]),
    "call name a number": _reply([{"functionCall": {"name": 3}}]),
    "call id a number": _reply([{"functionCall": {"name": "f", "id": 3}}]),
    "args a list": _reply([{"functionCall": {"name": "f", "args": [1]}}]),
    "call a string": _reply([{"functionCall": "f"}]),
    "part a string": _reply(["x"]),
    "parts a string": _reply(""),
    "parts an object": _reply({}),
    "content a string": {"candidates": [{"content": "x"}], "responseId": "r"},
    "candidate a string": {"candidates": ["x"], "responseId": "r"},
    "candidates a string": {"candidates": "x", "responseId": "r"},
    "candidates an object": {"candidates": {"a": 1}, "responseId": "r"},
    "signature with mixed alphabets": _reply([{"text": "a", "thoughtSignature": "Ab+-"}]),
    "signature with a space": _reply([{"text": "a", "thoughtSignature": "c2ln "}]),
    "signature with stray bits": _reply([{"text": "a", "thoughtSignature": "AbC-_d=="}]),
    "signature a number": _reply([{"text": "a", "thoughtSignature": 5}]),
    "responseId a number": {"responseId": 5},
    "modelVersion a number": {"responseId": "r", "modelVersion": 5},
    "usage count a float": {"responseId": "r", "usageMetadata": {"promptTokenCount": 5.0}},
    "usage count a string": {"responseId": "r", "usageMetadata": {"promptTokenCount": "5"}},
    "usage a list": {"responseId": "r", "usageMetadata": [1]},
    "feedback a string": {"responseId": "r", "promptFeedback": "x"},
    "a list": [1, 2],
    "a string": "hello",
    "null": None,
    "empty object": {},
    "empty body": b"",
    "JSON cut off": b'{"candidates": [{"content',
    "HTML": b"<html>Bad gateway</html>",
}


@pytest.mark.filterwarnings("ignore::UserWarning")  # google-genai warns about unknown enum values
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(PLAIN) + list(UNUSUAL))
async def test_an_answer_ends_as_the_sdk_parse_makes_it_end(
    name: str, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = PLAIN.get(name, UNUSUAL.get(name))
    server = Server(body if isinstance(body, bytes) else json.dumps(body).encode())
    kwargs = dialect.encode(ModelRequest("gemini-2.5-flash", [Message.user("hi")]))

    async def parsed_by_the_sdk() -> Turn:
        return dialect.decode(await server.sdk_call(mode, kwargs))

    expected = await _outcome(parsed_by_the_sdk())
    if name in PLAIN:
        assert not isinstance(expected, str)
        _no_sdk_parse(monkeypatch)
    assert await _outcome(dialect.create(server.dialect_client(mode), kwargs)) == expected


def test_the_base64_rule_is_pydantics() -> None:
    """`_sdk_takes_base64` says yes exactly where the SDK's model decodes a signature."""
    from google.genai import types

    def sdk_takes(text: str) -> bool:
        try:
            types.Part.model_validate({"thoughtSignature": text})
        except ValueError:
            return False
        return True

    alphabet = "AQw+/-_="
    texts = ["".join(t) for n in range(6) for t in itertools.product(alphabet, repeat=n)]
    texts += [" c2ln", "c2ln\n", "YQ==YQ==", "c2lnMQ===", "c2lnMQ!", SIG[0], SIG[0].rstrip("=")]
    wrong = [t for t in texts if dialect._sdk_takes_base64(t) != sdk_takes(t)]
    assert not wrong
    for text in texts:  # and then the text agentkit keeps is the SDK's bytes in standard base64
        if dialect._sdk_takes_base64(text):
            signature = types.Part.model_validate({"thoughtSignature": text}).thought_signature
            assert dialect._b64_text(text) == base64.b64encode(signature or b"").decode()


# ------------------------------------------------------------------------------- continuation


def _hop(text: str, finish: str, token: str | None = None, response_id: str = "r1") -> dict[str, Any]:
    candidate: dict[str, Any] = {
        "content": {"role": "model", "parts": [{"text": text}]},
        "finishReason": finish,
    }
    if token:
        candidate["continuationToken"] = token
    return {
        "candidates": [candidate],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 4},
        "modelVersion": "gemini-x",
        "responseId": response_id,
    }


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("automatic", [None, False], ids=["default", "off"])
async def test_automatic_continuation_happens_as_with_the_sdk(mode: str, automatic: bool | None) -> None:
    """google-genai follows a `continuationToken` itself; with the raw answer, `create` does the same."""
    hops = (
        _hop("Hello ", "CONTINUATION", "dG9rMQ=="),
        _hop("big ", "CONTINUATION", "dG9rMg==", "r2"),
        _hop("world.", "STOP", response_id="r3"),
    )
    options = {} if automatic is None else {"automatic_continuation": automatic}
    history = [Message.system("Be brief."), Message.user("hi")]  # not bare: the raw-answer path
    kwargs = dialect.encode(ModelRequest("gemini-2.5-flash", history, options=options))
    sdk, ours = Server(*hops), Server(*hops)
    expected = dialect.decode(await sdk.sdk_call(mode, kwargs))
    turn = await dialect.create(ours.dialect_client(mode), kwargs)
    assert ours.sent == sdk.sent  # the same requests, tokens included
    assert len(ours.sent) == (3 if automatic is None else 1)
    assert turn == expected
    assert turn.message.text == ("Hello big world." if automatic is None else "Hello ")


def test_the_sdk_names_the_fallbacks_use_exist() -> None:
    """The slow paths call a few private google-genai functions; an SDK upgrade that moves them fails here."""
    from google.genai import _extra_utils, models, types

    assert "should_return_http_response" in types.GenerateContentConfig.model_fields
    assert callable(models._GenerateContentResponse_from_mldev)
    assert callable(types.GenerateContentResponse._from_response)
    assert callable(_extra_utils.should_continue_generation)
    assert callable(_extra_utils.merge_continuation_responses)


# ------------------------------------------------------------------------------------ stream


class _Chunks:
    """`client.models` whose stream replays SDK chunk objects."""

    def __init__(self, chunks: list[Any]) -> None:
        self.chunks = chunks
        self.models = self

    async def generate_content_stream(self, **kwargs: Any) -> AsyncIterator[Any]:
        async def generator() -> AsyncIterator[Any]:
            for chunk in self.chunks:
                yield chunk

        return generator()


async def _reference_stream(chunks: list[Any]) -> list[Any]:
    """The straightforward accumulation (before the fast path): dump every part, merge, decode an SDK response."""
    from google.genai import types

    items: list[Any] = []
    merged: list[dict[str, Any]] = []
    finish = usage = feedback = model_version = response_id = None
    call_index = 0
    for chunk in chunks:
        response_id = chunk.response_id or response_id
        model_version = chunk.model_version or model_version
        usage = chunk.usage_metadata or usage
        feedback = chunk.prompt_feedback or feedback
        candidate = chunk.candidates[0] if chunk.candidates else None
        if candidate is None:
            continue
        if candidate.finish_reason is not None:
            finish = candidate.finish_reason
        for part in (candidate.content.parts if candidate.content is not None else None) or ():
            plain = part.model_dump(exclude_none=True)
            call = plain.get("function_call")
            if call is not None:
                name = call.get("name") or ""
                call_id = call.get("id") or (
                    dialect._call_id(call_index, name, response_id) if response_id else None
                )
                arguments = json.dumps(call.get("args") or {}, ensure_ascii=False)
                items.append(ToolCallDelta(call_index, id=call_id, name=name, arguments=arguments))
                call_index += 1
            elif plain.get("text"):
                items.append(
                    ReasoningDelta(plain["text"]) if plain.get("thought") else TextDelta(plain["text"])
                )
            previous = merged[-1] if merged else None
            text_keys = {"text", "thought", "thought_signature"}
            if (
                previous is not None
                and plain.get("text") is not None
                and plain.keys() <= text_keys
                and not plain.get("thought_signature")
                and previous.get("text") is not None
                and previous.keys() <= text_keys
                and bool(previous.get("thought")) == bool(plain.get("thought"))
            ):
                previous["text"] += plain["text"]
            else:
                merged.append(plain)
    candidates = None
    if merged or finish is not None:
        content = types.Content(role="model", parts=[types.Part.model_validate(p) for p in merged])
        candidates = [types.Candidate(content=content, finish_reason=finish)]
    response = types.GenerateContentResponse(
        candidates=candidates,
        usage_metadata=usage,
        prompt_feedback=feedback,
        model_version=model_version,
        response_id=response_id,
    )
    items.append(dialect.decode(response))
    return items


def _chunk(parts: list[dict[str, Any]] | None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    candidate: dict[str, Any] = {"index": 0}
    if parts is not None:
        candidate["content"] = {"role": "model", "parts": parts}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "modelVersion": "gemini-s", **extra}


STREAMS: dict[str, list[dict[str, Any]]] = {
    "pieces, kinds and signatures": [
        _chunk([{"text": "Think ", "thought": True}], responseId="r-s"),
        _chunk([{"text": "more ", "thought": True}, {"text": "still.", "thought": True}]),
        _chunk([{"text": "hard.", "thought": True, "thoughtSignature": SIG[0]}]),
        _chunk([{"text": " after the signature", "thought": True}]),
        _chunk([{"text": "Hello", "thoughtSignature": SIG[1]}]),
        _chunk([{"text": " world"}, {"text": "."}]),
        _chunk([{"text": "", "thought": False}]),
        _chunk([{"thought": True}]),
        _chunk([{"text": "after a bare thought"}]),
        _chunk([{"functionCall": {"name": "f", "args": {"q": "x"}}, "thoughtSignature": SIG[2]}]),
        _chunk([{"text": "text after a call"}]),
        _chunk([{"text": " joins it"}]),
        _chunk([{"functionCall": {"id": "c2", "name": "g", "args": {}}}]),
        _chunk([{"text": "", "thoughtSignature": SIG[3]}], usageMetadata={"promptTokenCount": 4}),
        _chunk([{"text": "after an empty signed part"}]),
        _chunk([{"inlineData": {"mimeType": "image/png", "data": base64.b64encode(PNG).decode()}}]),
        _chunk([{"text": "end"}], "STOP", usageMetadata={"promptTokenCount": 4, "candidatesTokenCount": 9}),
    ],
    "thought, answer, thought, unsigned": [
        _chunk([{"text": "plan", "thought": True}], responseId="r"),
        _chunk([{"text": "Answer"}, {"text": " here", "thought": False}]),
        _chunk([{"text": "second thought", "thought": True}], "STOP"),
    ],
    "no response id": [
        _chunk([{"functionCall": {"name": "f", "args": {}}}]),
        _chunk([{"functionCall": {"name": "f", "args": {"a": 1}}}], "STOP"),
    ],
    "blocked prompt": [{"promptFeedback": {"blockReason": "SAFETY"}, "responseId": "r"}],
    "finish only": [_chunk(None, "MAX_TOKENS", responseId="r")],
    "empty": [{"responseId": "r"}],
}


@pytest.mark.parametrize("name", list(STREAMS))
async def test_the_stream_gives_the_reference_accumulations_deltas_and_turn(name: str) -> None:
    sse = "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in STREAMS[name]).encode()
    server = Server(sse, media="text/event-stream")
    kwargs = dialect.encode(ModelRequest("gemini-2.5-flash", [Message.user("hi")]))
    chunks = [c async for c in await server.client.aio.models.generate_content_stream(**kwargs)]
    items = [i async for i in dialect.stream(_Chunks(chunks), kwargs)]
    assert comparable(items) == comparable(await _reference_stream(chunks))
    assert isinstance(items[-1], Turn)


async def test_through_an_agent_the_fast_path_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end on the emulator: an agent's non-streaming Gemini turns take the raw answer."""
    from agentkit.emulator import serve

    _no_sdk_parse(monkeypatch)
    seen: list[bool] = []
    original = dialect._http_body

    def spy(response: Any) -> str | None:
        text = original(response)
        seen.append(text is not None)
        return text

    monkeypatch.setattr(dialect, "_http_body", spy)
    with serve() as relay:
        agent = ak.Agent("gemini-2.5-flash", system="Be brief.", relay=relay, display=False)
        reply = await agent.arun("Say hello.")
    assert reply.text and seen and all(seen)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
async def test_a_bare_one_message_request_goes_without_config(mode: str, stream: bool) -> None:
    """Nothing to configure and one message: sent as a raw SDK user sends it, with no config (which
    would cost the SDK more than the raw answer saves), and decoded as before."""
    answer = {"candidates": [{"content": {"parts": [{"text": "Hello."}]}, "finishReason": "STOP"}], "responseId": "r"}
    kwargs = dialect.encode(ModelRequest("gemini-2.5-flash", [Message.user("Say hello.")]))
    assert dialect._bare(kwargs, kwargs["config"])
    plain = {key: value for key, value in kwargs.items() if key != "config"}
    media = "text/event-stream" if stream else "application/json"
    sdk, ours = Server(answer, media=media), Server(answer, media=media)
    if stream:
        sdk.answers = ours.answers = [b"data: " + json.dumps(answer).encode() + b"\r\n\r\n"]
        if mode == "async":
            [_ async for _ in await sdk.client.aio.models.generate_content_stream(**plain)]
        else:
            list(sdk.client.models.generate_content_stream(**plain))
        items = [i async for i in dialect.stream(ours.dialect_client(mode), kwargs)]
        turn = items[-1]
    else:
        await sdk.sdk_call(mode, plain)
        turn = await dialect.create(ours.dialect_client(mode), kwargs)
    assert ours.sent == sdk.sent  # no `generationConfig: {}`: the raw SDK user's request
    assert isinstance(turn, Turn) and turn.message.text == "Hello." and turn.finish_reason == "stop"
    assert not dialect._bare(dialect.encode(ModelRequest("gemini-2.5-flash", [Message.user("a"), Message.user("b")])),
                             {"automatic_function_calling": {"disable": True}})
