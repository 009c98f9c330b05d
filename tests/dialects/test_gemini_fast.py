"""The Gemini dialect's own request and answer paths, through google-genai's public surface only.

- The request on the wire is the REST body agentkit means to send (Gemini's REST spelling, as in
  Google's reference and in real traffic), sent through `http_options.extra_body`: `encode`'s
  contents as they are, and the system instruction, tools, tool config and generation options in
  camelCase. No key the SDK built is left beside or inside it, in either SDK version.
- Non-streaming answers are read from the HTTP body by agentkit's decoder: recorded and unusual
  answers give the expected Turn, and a body of unexpected shape fails with a ValueError naming the
  field, which an agent reports as a malformed answer (`UpstreamError`).
- An answer cut short with a `continuationToken` is followed, unless `automatic_continuation=False`.
- A stream yields deltas as chunks arrive, then the Turn of the gathered answer.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

import agentkit as ak
from agentkit.dialects import gemini as dialect
from agentkit.dialects.base import ModelRequest, OutputSpec, Turn
from agentkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.messages import Image, ImagePart, Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from tests.replay._replay_server_ag import load, recordings, replay, response_bytes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
PNG_B64 = base64.b64encode(PNG).decode()
SIG = [base64.b64encode(bytes([250 + i, 251, 252, 253, 254, 255])).decode() for i in range(4)]  # has + and /
SCHEMA = {"type": "object", "properties": {"city": {"type": "string", "default": None}}, "required": ["city"]}
RECORDINGS = [p for p in recordings("gemini") if load(p)["status"] == 200]


class FakeTool:
    def __init__(self, name: str) -> None:
        self.name = name
        self.description = f"The {name} tool."

    def to_schema(self, dialect_name: str) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "parameters_json_schema": SCHEMA}


class Server:
    """google-genai's async client on an in-memory transport: answers in turn, records what was sent."""

    def __init__(self, *answers: bytes | dict[str, Any], media: str = "application/json") -> None:
        import httpx2
        from google import genai
        from google.genai import types

        self.answers = [a if isinstance(a, bytes) else json.dumps(a).encode() for a in answers]
        self.sent: list[Any] = []
        self.headers: list[dict[str, str]] = []

        def handler(request: httpx2.Request) -> httpx2.Response:
            self.sent.append(json.loads(request.content))
            self.headers.append(dict(request.headers))
            body = self.answers[min(len(self.sent), len(self.answers)) - 1]
            return httpx2.Response(200, headers={"content-type": media}, content=body)

        self.sdk = genai.Client(
            api_key="sk-test",
            http_options=types.HttpOptions(
                base_url="http://relay.invalid",
                api_version="v1beta",
                httpx_async_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)),
            ),
        )
        self.client = self.sdk.aio

    async def send(self, kwargs: dict[str, Any], *, stream: bool = False) -> list[Any]:
        """`create`, or `stream` (then its items), with `kwargs` left as they were."""
        before = copy.deepcopy(kwargs)
        if stream:
            items = [item async for item in dialect.stream(self.client, kwargs)]
        else:
            items = [await dialect.create(self.client, kwargs)]
        assert kwargs == before  # the caller's kwargs are not changed
        return items


def comparable(turn: Turn) -> Any:
    """A Turn as plain values: `ak.Image` compares by identity, so images compare by their content."""
    parts = [
        ("image", p.image.data, p.image.url) if isinstance(p, ImagePart) else p for p in turn.message.parts
    ]
    return parts, turn.message.model, turn.usage, turn.finish_reason, turn.raw_finish_reason, turn.model


def _sse(*chunks: dict[str, Any]) -> bytes:
    return "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in chunks).encode()


ANSWER = {
    "candidates": [{"content": {"parts": [{"text": "Sunny."}]}, "finishReason": "STOP"}],
    "responseId": "r",
}


def _server(stream: bool) -> Server:
    return Server(_sse(ANSWER), media="text/event-stream") if stream else Server(ANSWER)


# --------------------------------------------------------------------------------- request


def _full_request() -> ModelRequest:
    history = [
        Message.system("You are terse."),
        Message.user("What is this, and the weather in Paris?", Image(data=PNG, mime_type="image/png")),
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
        Message.user("In one word?"),
    ]
    return ModelRequest(
        "gemini-2.5-flash",
        history,
        tools=[FakeTool("get_weather"), FakeTool("get_time")],  # type: ignore[list-item]
        tool_choice="get_time",
        options={"temperature": 0.2, "max_tokens": 300, "stop": "END", "reasoning": "low", "seed": 7},
        output=OutputSpec({"type": "object", "properties": {"word": {"type": "string"}}}),
    )


#: The body `_full_request` must put on the wire: Gemini's REST form, key for key.
FULL_BODY = {
    "systemInstruction": {"parts": [{"text": "You are terse."}]},
    "contents": [
        {
            "role": "user",
            "parts": [
                {"text": "What is this, and the weather in Paris?"},
                {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
            ],
        },
        {
            "role": "model",
            "parts": [
                {"text": "Look first.", "thought": True, "thoughtSignature": SIG[0]},
                {"text": "Checking.", "thoughtSignature": SIG[1]},
                {
                    "functionCall": {"id": "call_1", "name": "get_weather", "args": {"city": "Paris"}},
                    "thoughtSignature": SIG[2],
                },
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"id": "call_1", "name": "get_weather", "response": {"output": "sunny"}}}
            ],
        },
        {"role": "user", "parts": [{"text": "In one word?"}]},
    ],
    "tools": [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "The get_weather tool.",
                    "parametersJsonSchema": SCHEMA,
                },
                {"name": "get_time", "description": "The get_time tool.", "parametersJsonSchema": SCHEMA},
            ]
        }
    ],
    "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_time"]}},
    "generationConfig": {
        "temperature": 0.2,
        "maxOutputTokens": 300,
        "stopSequences": ["END"],
        "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 1024},
        "seed": 7,
        "responseMimeType": "application/json",
        "responseJsonSchema": {"type": "object", "properties": {"word": {"type": "string"}}},
    },
}


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
async def test_the_wire_body_is_geminis_rest_form(stream: bool) -> None:
    server = _server(stream)
    await server.send(dialect.encode(_full_request()), stream=stream)
    [body] = server.sent
    assert body == FULL_BODY
    assert not _foreign_keys(body)


def _foreign_keys(value: Any, where: str = "") -> list[str]:
    """Keys outside the REST spelling (snake_case) or the SDK's own options, wherever they sit.

    Schemas, call arguments and result objects are the user's data and are not looked into.
    """
    found: list[str] = []
    if isinstance(value, list):
        for item in value:
            found += _foreign_keys(item, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            if "_" in key or key.startswith(("should", "automatic", "http")):
                found.append(f"{where}.{key}")
            if key not in ("parametersJsonSchema", "responseJsonSchema", "args", "response"):
                found += _foreign_keys(item, f"{where}.{key}")
    return found


async def test_a_declaration_in_the_openapi_form_is_spelled_the_rest_way() -> None:
    """The OpenAPI `parameters` form (`to_schema("gemini", form="parameters")`, the SDK's snake_case
    Schema names) goes out in REST spelling too."""

    class OpenApiTool(FakeTool):
        def to_schema(self, dialect_name: str) -> dict[str, Any]:
            days = {"type": "ARRAY", "items": {"type": "STRING"}, "min_items": 1, "nullable": True}
            schema = {"type": "OBJECT", "properties": {"days": days}, "property_ordering": ["days"]}
            return {"name": self.name, "description": self.description, "parameters": schema}

    server = Server(ANSWER)
    tools: list[Any] = [OpenApiTool("set_alarm")]
    request = ModelRequest("gemini-2.5-flash", [Message.user("hi")], tools=tools)
    await server.send(dialect.encode(request))
    assert server.sent[0]["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "set_alarm",
                    "description": "The set_alarm tool.",
                    "parameters": {
                        "type": "OBJECT",
                        "properties": {
                            "days": {
                                "type": "ARRAY",
                                "items": {"type": "STRING"},
                                "minItems": 1,
                                "nullable": True,
                            }
                        },
                        "propertyOrdering": ["days"],
                    },
                }
            ]
        }
    ]


def _history_requests() -> dict[str, ModelRequest]:
    def rounds(n: int, model: str = "gemini-2.5-flash") -> ModelRequest:
        history = [Message.system("You are terse."), Message.user("Weather in Paris, each hour?")]
        for i in range(n):
            call = ToolCallPart(f"c{i}", "get_weather", {"city": "Paris", "hour": i})
            history += [
                Message("assistant", [TextPart("Let me check."), call], dialect="gemini"),
                Message("tool", [ToolResultPart(f"c{i}", "get_weather", (TextPart(f"{i} C"),))]),
            ]
        return ModelRequest(model, history, tools=[FakeTool("get_weather")])  # type: ignore[list-item]

    odd = [
        Message.user(
            "Look:",
            Image(data=b"\xfb\xff\xfe" * 7, mime_type="image/jpeg"),  # URL-safe base64 would differ
            Image(url="https://example.com/a.png", mime_type="image/png"),
            Image(url="data:image/gif;base64,R0lGODlh+/8=", mime_type="image/png"),
        ),
        Message(
            "assistant",
            [
                ReasoningPart(
                    "", signature=SIG[3], dialect="gemini", extra={dialect.SIGNATURE_ON: "empty_text"}
                ),
                ToolCallPart("x1", "get_time", {"tz": None, "n": [1, 2.5, {"deep": True}], "s": "é\u2028"}),
                ToolCallPart(
                    "call_0_get_weather_1", "get_weather", "not json", extra={dialect.SYNTHETIC_ID: True}
                ),
            ],
            dialect="gemini",
        ),
        Message(
            "tool",
            [
                ToolResultPart(
                    "x1", "get_time", (TextPart("noon"), ImagePart(Image(data=PNG, mime_type="image/png")))
                ),
                ToolResultPart(
                    "call_0_get_weather_1",
                    "get_weather",
                    (ImagePart(Image(url="https://example.com/b.png", mime_type="image/png")),),
                    is_error=True,
                ),
            ],
        ),
        Message.user("And now?"),
    ]
    return {
        "one message": ModelRequest("gemini-2.5-flash", [Message.user("Hi")]),
        "rounds-5": rounds(5),
        "rounds-3-gemini-3": rounds(3, "gemini-3-pro-preview"),  # the stand-in signature on replayed calls
        "odd parts": ModelRequest(
            "gemini-3-pro-preview",
            odd,
            tools=[FakeTool("get_time")],  # type: ignore[list-item]
            tool_choice="required",
        ),
    }


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize("name", list(_history_requests()))
async def test_encoded_contents_go_out_as_they_are(name: str, stream: bool) -> None:
    server = _server(stream)
    kwargs = dialect.encode(_history_requests()[name])
    await server.send(kwargs, stream=stream)
    [body] = server.sent
    assert body["contents"] == kwargs["contents"]  # REST spelling, standard base64: as `encode` wrote them
    assert body["contents"][0]["parts"][0]["text"] != "."  # the SDK's placeholder is gone
    assert not _foreign_keys(body)
    assert set(body) <= {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig"}


@pytest.mark.parametrize("path", recordings("gemini"), ids=[p.stem for p in recordings("gemini")])
async def test_recorded_histories_go_out_as_recorded(path: Any) -> None:
    """A real request's contents, imported and sent again, are the recorded ones (in REST spelling)."""
    body = load(path)["request"]["body"]
    history = dialect.decode_history(body)
    if not any(m.role != "system" for m in history):
        pytest.skip("The recorded request holds no contents.")
    server = Server(ANSWER)
    await server.send(dialect.encode(ModelRequest("gemini-2.5-flash", history)))
    [sent] = server.sent
    assert sent["contents"] == _rest_contents(body["contents"])
    assert (sent.get("systemInstruction") or {}).get("parts") == (body.get("systemInstruction") or {}).get(
        "parts"
    )


def _rest_contents(contents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Recorded contents in REST spelling (some were recorded from google-genai: snake_case inside,
    URL-safe base64), without the empty unsigned text parts that say nothing."""

    def camel(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {(k.split("_")[0] + "".join(w.title() for w in k.split("_")[1:])): v for k, v in value.items()}

    def standard(text: str) -> str:
        text = text.replace("-", "+").replace("_", "/").rstrip("=")
        return text + "=" * (-len(text) % 4)

    def part(item: dict[str, Any]) -> dict[str, Any]:
        out = camel(item)
        if "thoughtSignature" in out:
            out["thoughtSignature"] = standard(out["thoughtSignature"])
        if "inlineData" in out:
            out["inlineData"] = {**camel(out["inlineData"]), "data": standard(out["inlineData"]["data"])}
        return out

    out = []
    for content in contents:
        parts = [part(p) for p in content["parts"] if p.get("text") != "" or "thoughtSignature" in p]
        if parts:
            out.append({"role": content.get("role", "user"), "parts": parts})
    return out


async def test_the_callers_sdk_options_are_kept() -> None:
    """Options in the SDK's own names go through the SDK; the caller's `http_options` are merged
    with agentkit's, theirs winning."""
    server = Server(ANSWER)
    options = {
        "safety_settings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}],
        "http_options": {
            "timeout": 5000,
            "headers": {"X-Tenant": "t1"},
            "extra_body": {"generationConfig": {"topK": 3}, "cachedContent": "cachedContents/c1"},
        },
        "temperature": 0.5,
    }
    await server.send(dialect.encode(ModelRequest("gemini-2.5-flash", [Message.user("Hi")], options=options)))
    [body], [headers] = server.sent, server.headers
    assert body["safetySettings"] == [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}]
    assert body["generationConfig"] == {"temperature": 0.5, "topK": 3}
    assert body["cachedContent"] == "cachedContents/c1"
    assert headers["x-tenant"] == "t1" and headers["x-server-timeout"] == "5"
    assert headers["x-goog-api-key"] == "sk-test"


@pytest.mark.parametrize(
    "options",
    [{"not_an_option": 1}, {"temperature": "hot"}, {"seed": "seven"}],
    ids=["unknown", "type", "typed own"],
)
@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
async def test_a_bad_option_is_refused_before_sending(options: dict[str, Any], stream: bool) -> None:
    server = _server(stream)
    kwargs = dialect.encode(ModelRequest("gemini-2.5-flash", [Message.user("hi")], options=options))
    with pytest.raises(ValueError, match=next(iter(options))):
        await server.send(kwargs, stream=stream)
    assert server.sent == []


# ---------------------------------------------------------------------------------- answers


@pytest.mark.parametrize("path", RECORDINGS, ids=[p.stem for p in RECORDINGS])
async def test_every_recorded_answer_reads_as_its_sdk_object_does(path: Any) -> None:
    """The JSON body and google-genai's public object of the same answer give the same Turn."""
    recording = load(path)
    if path.stem.startswith("c_stream_json_array"):
        pytest.skip("google-genai cannot read a JSON-array stream (see tests/replay/test_replay_gemini.py).")
    stream = recording["stream"]
    server = Server(response_bytes(recording), media="text/event-stream" if stream else "application/json")
    kwargs = dialect.encode(ModelRequest("gemini-2.5-flash", [Message.user("hi")]))
    turn = (await server.send(kwargs, stream=stream))[-1]
    if stream:  # the SDK's chunks, gathered by the test: one object per chunk
        chunks = [
            c async for c in await server.client.models.generate_content_stream(model="m", contents="hi")
        ]
        assert comparable(turn) == comparable(await _reference_stream(chunks))
    else:
        parsed = await server.client.models.generate_content(model="m", contents="hi")
        assert comparable(turn) == comparable(dialect.decode(parsed))
    assert turn.message.parts


def _reply(parts: Any, **candidate: Any) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "index": 0, **candidate}],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2, "thoughtsTokenCount": 7},
        "modelVersion": "gemini-x",
        "responseId": "resp-1",
    }


def _summary(turn: Turn) -> tuple[Any, ...]:
    parts: list[Any] = []
    for part in turn.message.parts:
        if isinstance(part, TextPart):
            parts.append(("text", part.text))
        elif isinstance(part, ReasoningPart):
            parts.append(("reasoning", part.text, part.signature, part.extra.get(dialect.SIGNATURE_ON)))
        elif isinstance(part, ToolCallPart):
            parts.append(("call", part.name, part.arguments, part.signature, bool(part.extra)))
        elif isinstance(part, ImagePart):
            parts.append(("image", part.image.data, part.image.url, part.image.mime_type))
    return tuple(parts), turn.finish_reason, turn.raw_finish_reason


#: Answers of every shape agentkit reads, and what they decode to.
READABLE: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "signatures in every spelling": (
        _reply(
            [
                {"text": "think", "thought": True, "thoughtSignature": SIG[0]},
                {"text": "answer", "thoughtSignature": "c2lnMg"},  # unpadded
                {"text": " goes on", "thought": False},
                {"text": "", "thoughtSignature": "c2lnMw="},  # short of padding
                {"thoughtSignature": "-_-_"},  # URL-safe
                {
                    "functionCall": {"name": "a", "args": {"x": [1, {"y": None}]}},
                    "thoughtSignature": "AbC-_w==",
                },
                {"functionCall": {"id": "c1", "name": "c", "args": None}},
                {"text": None},
                {},
                {"executableCode": {"language": "PYTHON", "code": "print(1)"}},
                {"text": "tail", "brandNew": {"x": 1}},
            ],
            finishReason="STOP",
            safetyRatings=[{"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"}],
        ),
        (
            (
                ("reasoning", "think", SIG[0], None),
                ("reasoning", "", "c2lnMg==", "text"),
                ("text", "answer"),
                ("text", " goes on"),
                ("reasoning", "", "c2lnMw==", "empty_text"),
                ("reasoning", "", "+/+/", "empty_text"),
                ("call", "a", {"x": [1, {"y": None}]}, "AbC+/w==", True),
                ("call", "c", {}, None, False),
                ("text", "tail"),
            ),
            "tool_calls",
            "STOP",
        ),
    ),
    "images": (
        _reply(
            [
                {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
                {"fileData": {"mimeType": "image/jpeg", "fileUri": "gs://b/x.jpg"}},
            ],
            finishReason="STOP",
        ),
        ((("image", PNG, None, "image/png"), ("image", None, "gs://b/x.jpg", "image/jpeg")), "stop", "STOP"),
    ),
    "snake_case part": (
        _reply([{"function_call": {"name": "f", "id": "i"}}]),
        ((("call", "f", {}, None, False),), "tool_calls", None),
    ),
    "blocked prompt": (
        {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}},
        ((), "content_filter", "PROHIBITED_CONTENT"),
    ),
    "blocked, no candidates": (
        {"candidates": [], "promptFeedback": {"blockReason": "SAFETY"}},
        ((), "content_filter", "SAFETY"),
    ),
    "a candidate and a block reason": (
        {**_reply([{"text": "a"}]), "promptFeedback": {"blockReason": "SAFETY"}},
        ((("text", "a"),), "other", None),
    ),
    "parts null": (_reply(None, finishReason="MAX_TOKENS"), ((), "length", "MAX_TOKENS")),
    "content null": (
        {"candidates": [{"content": None, "finishReason": "RECITATION"}]},
        ((), "content_filter", "RECITATION"),
    ),
    "unknown finish reason": (
        _reply([{"text": "x"}], finishReason="WEIRD_NEW"),
        ((("text", "x"),), "other", "WEIRD_NEW"),
    ),
    "unknown top-level field": (
        {**_reply([{"text": "a"}], finishReason="STOP"), "brandNew": [1]},
        ((("text", "a"),), "stop", "STOP"),
    ),
    "empty object": ({}, ((), "other", None)),
}


@pytest.mark.parametrize("name", list(READABLE))
async def test_an_answer_of_any_readable_shape_decodes(name: str) -> None:
    body, expected = READABLE[name]
    [turn] = await Server(body).send(dialect.encode(ModelRequest("gemini-2.5-flash", [Message.user("hi")])))
    assert _summary(turn) == expected
    plain = (json.loads(body) if body else {}) if isinstance(body, bytes) else body
    assert comparable(turn) == comparable(dialect.decode(plain))  # the same Turn from the JSON itself
    if isinstance(body, dict) and body.get("usageMetadata"):
        assert turn.usage == ak.Usage(input_tokens=3, output_tokens=9, reasoning_tokens=7)


def test_calls_without_ids_get_stable_ids_from_the_answer() -> None:
    body = {k: v for k, v in _reply([{"functionCall": {"name": "f"}}]).items() if k != "responseId"}
    first = dialect.decode(body).message.tool_calls[0].id
    assert first == dialect.decode(copy.deepcopy(body)).message.tool_calls[0].id
    assert first.startswith("call_0_f_")
    assert dialect.decode({**body, "responseId": "r2"}).message.tool_calls[0].id != first


#: Answers of a shape agentkit cannot read, and the field the error names.
MALFORMED: dict[str, tuple[Any, str]] = {
    "text not a string": (_reply([{"text": 5}]), "`text`"),
    "thought a string": (_reply([{"text": "a", "thought": "yes"}]), "`thought`"),
    "call name a number": (_reply([{"functionCall": {"name": 3}}]), "`functionCall.name`"),
    "call id a number": (_reply([{"functionCall": {"name": "f", "id": 3}}]), "`functionCall.id`"),
    "args a list": (_reply([{"functionCall": {"name": "f", "args": [1]}}]), "`functionCall.args`"),
    "call a string": (_reply([{"functionCall": "f"}]), "`functionCall`"),
    "part a string": (_reply(["x"]), "`part`"),
    "parts a string": (_reply("x"), "`content.parts`"),
    "content a string": ({"candidates": [{"content": "x"}]}, "`content`"),
    "candidate a string": ({"candidates": ["x"]}, "`candidates[0]`"),
    "candidates an object": ({"candidates": {"a": 1}}, "`candidates`"),
    "signature not base64": (_reply([{"text": "a", "thoughtSignature": "c2ln!"}]), "`thoughtSignature`"),
    "signature a number": (_reply([{"text": "a", "thoughtSignature": 5}]), "`thoughtSignature`"),
    "image data not base64": (
        _reply([{"inlineData": {"mimeType": "image/png", "data": "a!b"}}]),
        "`inlineData.data`",
    ),
    "finish reason a number": (_reply([{"text": "x"}], finishReason=3), "`finishReason`"),
    "responseId a number": ({"responseId": 5}, "`responseId`"),
    "modelVersion a number": ({"modelVersion": 5}, "`modelVersion`"),
    "usage count a string": ({"usageMetadata": {"promptTokenCount": "5"}}, "`promptTokenCount`"),
    "usage a list": ({"usageMetadata": [1]}, "`usageMetadata`"),
    "feedback a string": ({"promptFeedback": "x"}, "`promptFeedback`"),
    "a list": ([1, 2], "not a JSON object"),
    "null": (None, "not a JSON object"),
    "JSON cut off": (b'{"candidates": [{"content', "line 1 column"),
    "HTML": (b"<html>Bad gateway</html>", "Expecting value"),
    "empty body": (b"", "body is empty"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
async def test_an_answer_of_unexpected_shape_fails_naming_the_field(name: str) -> None:
    body, says = MALFORMED[name]
    server = Server(body if isinstance(body, bytes) else json.dumps(body).encode())
    with pytest.raises(ValueError, match=says.replace("[", r"\[").replace("]", r"\]")):
        await server.send(dialect.encode(ModelRequest("gemini-2.5-flash", [Message.user("hi")])))


@pytest.mark.parametrize("name", ["text not a string", "a list", "HTML"])
async def test_an_agent_reports_an_unreadable_answer_as_malformed(name: str) -> None:
    body, says = MALFORMED[name]
    recording = {
        "status": 200,
        "stream": False,
        "response_body": body.decode() if isinstance(body, bytes) else json.dumps(body),
        "response_headers": {"content-type": "application/json"},
    }
    with replay(recording) as server:
        relay = ak.Relay(server.url, api_key="sk-test", max_retries=0)
        agent = ak.Agent("gemini-2.5-flash", relay=relay, display=False)
        with pytest.raises(ak.UpstreamError) as info:
            await agent.arun("hi")
    assert info.value.code == "malformed_response"
    assert "could not be read" in str(info.value) and says.split("[")[0] in str(info.value)
    assert agent.history == []  # nothing half-decoded was kept


# ------------------------------------------------------------------------------- continuation


def _hop(text: str, finish: str | None, token: str | None = None, response_id: str = "r1") -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}}
    if finish:
        candidate["finishReason"] = finish
    if token:
        candidate["continuationToken"] = token
    return {
        "candidates": [candidate],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 4},
        "modelVersion": "gemini-x",
        "responseId": response_id,
    }


@pytest.mark.parametrize("automatic", [None, True, False], ids=["default", "on", "off"])
async def test_a_continued_answer_is_followed_and_merged(automatic: bool | None) -> None:
    hops = (
        _hop("Hello ", "CONTINUATION", "dG9r+/1=="),
        _hop("big ", None, "dG9r-_2", "r2"),  # no finish reason: a checkpoint, resumed too
        _hop("world.", "STOP", "ignored", "r3"),  # a finished answer is not continued
    )
    options = {} if automatic is None else {"automatic_continuation": automatic}
    server = Server(*hops)
    kwargs = dialect.encode(
        ModelRequest("gemini-2.5-flash", [Message.system("Be brief."), Message.user("hi")], options=options)
    )
    [turn] = await server.send(kwargs)
    if automatic is False:
        assert len(server.sent) == 1
        assert (turn.message.text, turn.finish_reason, turn.raw_finish_reason) == (
            "Hello ",
            "other",
            "CONTINUATION",
        )
        return
    first, *later = server.sent
    assert "continuationToken" not in first
    assert [hop.pop("continuationToken") for hop in later] == ["dG9r+/1==", "dG9r-_2"]  # as received
    assert later == [first, first]  # otherwise the same request
    assert turn.message.text == "Hello big world."
    assert turn.message.parts == [TextPart("Hello "), TextPart("big "), TextPart("world.")]
    assert (turn.finish_reason, turn.raw_finish_reason, turn.model) == ("stop", "STOP", "gemini-x")
    assert turn.usage == ak.Usage(input_tokens=30, output_tokens=12)


async def test_a_repeated_continuation_token_ends_the_answer() -> None:
    server = Server(_hop("a", "CONTINUATION", "dG9r"), _hop("b", "CONTINUATION", "dG9r"))
    [turn] = await server.send(dialect.encode(ModelRequest("gemini-2.5-flash", [Message.user("hi")])))
    assert len(server.sent) == 2 and turn.message.text == "ab"


# ------------------------------------------------------------------------------------ stream


async def _reference_stream(chunks: list[Any]) -> Turn:
    """The straightforward gathering of a stream: every part dumped, text pieces of a kind merged,
    a signed piece starting a new part, then the JSON answer decoded."""
    parts: list[dict[str, Any]] = []
    body: dict[str, Any] = {}
    finish = None
    for chunk in chunks:
        dumped = chunk.model_dump(mode="json", by_alias=True, exclude_none=True)
        body.update(
            {
                k: v
                for k, v in dumped.items()
                if k in ("responseId", "modelVersion", "usageMetadata", "promptFeedback")
            }
        )
        candidate = (dumped.get("candidates") or [{}])[0]
        finish = candidate.get("finishReason", finish)
        for part in candidate.get("content", {}).get("parts", []):
            previous = parts[-1] if parts else None
            text_keys = {"text", "thought", "thoughtSignature"}
            if (
                previous is not None
                and part.get("text") is not None
                and part.keys() <= text_keys
                and not part.get("thoughtSignature")
                and previous.get("text") is not None
                and previous.keys() <= text_keys
                and bool(previous.get("thought")) == bool(part.get("thought"))
            ):
                previous["text"] += part["text"]
            else:
                parts.append(part)
    if parts or finish is not None:
        body["candidates"] = [{"content": {"parts": parts}, "finishReason": finish}]
    return dialect.decode(body)


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
        _chunk([{"inlineData": {"mimeType": "image/png", "data": PNG_B64}}]),
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
async def test_the_stream_gives_the_deltas_and_the_gathered_answers_turn(name: str) -> None:
    server = Server(_sse(*STREAMS[name]), media="text/event-stream")
    kwargs = dialect.encode(ModelRequest("gemini-2.5-flash", [Message.user("hi")]))
    *deltas, turn = await server.send(kwargs, stream=True)
    chunks = [c async for c in await server.client.models.generate_content_stream(model="m", contents="hi")]
    assert comparable(turn) == comparable(await _reference_stream(chunks))
    assert "".join(d.text for d in deltas if isinstance(d, TextDelta)) == turn.message.text
    reasoning = "".join(p.text for p in turn.message.parts if isinstance(p, ReasoningPart))
    assert "".join(d.text for d in deltas if isinstance(d, ReasoningDelta)) == reasoning
    calls = [d for d in deltas if isinstance(d, ToolCallDelta)]
    assert [(d.name, json.loads(d.arguments)) for d in calls] == [
        (c.name, c.arguments) for c in turn.message.tool_calls
    ]
    if turn.message.tool_calls and name != "no response id":  # with an id to seed them, delta ids are final
        assert [d.id for d in calls] == [c.id for c in turn.message.tool_calls]


async def test_a_continued_stream_is_one_answer() -> None:
    """google-genai follows a stream's continuation token itself; its hops make one Turn here."""
    first = _sse(
        _chunk([{"text": "Hello "}], responseId="r1", usageMetadata={"promptTokenCount": 5}),
        {
            **_chunk(None, "CONTINUATION"),
            "candidates": [{"finishReason": "CONTINUATION", "continuationToken": "dG9r"}],
        },
    )
    second = _sse(
        _chunk([{"text": "world."}], "STOP", responseId="r2", usageMetadata={"promptTokenCount": 5})
    )
    server = Server(first, second, media="text/event-stream")
    *_, turn = await server.send(
        dialect.encode(ModelRequest("gemini-2.5-flash", [Message.user("hi")])), stream=True
    )
    assert len(server.sent) == 2 and server.sent[1]["contents"] == server.sent[0]["contents"]
    assert (turn.message.text, turn.finish_reason) == ("Hello world.", "stop")
