"""Unit tests of the OpenAI Chat Completions dialect: encode/decode round trips, options, streams."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from pydantic import TypeAdapter

import agentkit as ak
from agentkit.dialects import openai as dialect
from agentkit.dialects.base import ModelRequest, OutputSpec, Turn
from agentkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.messages import (
    Image,
    ImagePart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from tests._paths import REALTRAFFIC
from tests.dialects._round_trip import weather_round_trip
from tests.replay._openai_server import serve_canned

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


class FakeTool:
    """The slice of `ak.Tool` a dialect uses."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.description = f"The {name} tool."
        self.parameters = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}

    def to_schema(self, dialect_name: str) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "parameters": self.parameters},
            "_for": dialect_name,
        }


def _history() -> list[Message]:
    return [
        Message.system("You are terse."),
        Message("user", [TextPart("Weather in Paris and Rome?"), ImagePart(Image(data=PNG, detail="high"))]),
        Message(
            "assistant",
            [
                TextPart("Checking."),
                ToolCallPart("call_1", "get_weather", {"city": "Paris"}),
                ToolCallPart("call_2", "get_weather", {"city": "Rome"}),
            ],
        ),
        Message(
            "tool",
            [
                ToolResultPart("call_1", "get_weather", (TextPart("sunny"),)),
                ToolResultPart("call_2", "get_weather", (TextPart("rain"),), is_error=False),
            ],
        ),
        Message("assistant", [TextPart("Paris is sunny, Rome rainy.")]),
        Message.user("Thanks"),
    ]


def _comparable(part: Any) -> Any:
    """`Image` compares by identity; compare its contents instead."""
    if isinstance(part, ImagePart):
        image = part.image
        return ("image", image.data, image.url, image.mime_type, image.detail)
    return part


# ------------------------------------------------------------------------------------------ schema


def test_tool_schema_is_the_tools_own_openai_form() -> None:
    assert dialect.tool_schema(FakeTool("get_weather"))["_for"] == "openai"  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ history


def test_encode_history_wire_form() -> None:
    messages = dialect.encode_history(_history())["messages"]
    assert messages[0] == {"role": "system", "content": "You are terse."}
    assert messages[1] == {
        "role": "user",
        "content": [
            {"type": "text", "text": "Weather in Paris and Rome?"},
            {"type": "image_url", "image_url": {"url": Image(data=PNG).data_url, "detail": "high"}},
        ],
    }
    assert messages[2] == {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            },
            {
                "id": "call_2",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'},
            },
        ],
    }
    assert messages[3:5] == [
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "tool", "tool_call_id": "call_2", "content": "rain"},
    ]
    assert messages[5] == {"role": "assistant", "content": "Paris is sunny, Rome rainy."}
    assert messages[6] == {"role": "user", "content": "Thanks"}
    json.dumps(messages)  # plain JSON, no SDK objects
    from openai.types.chat import ChatCompletionMessageParam

    TypeAdapter(list[ChatCompletionMessageParam]).validate_python(messages)  # the SDK's own request types


def test_neutral_round_trip() -> None:
    history = _history()
    decoded = dialect.decode_history(dialect.encode_history(history))
    assert [m.role for m in decoded] == [m.role for m in history]
    for before, after in zip(history, decoded, strict=True):
        # Decoding stamps calls with the dialect they came from; everything else is unchanged.
        assert [
            _comparable(replace(p, dialect=None) if isinstance(p, ToolCallPart) else p) for p in after.parts
        ] == [_comparable(p) for p in before.parts]
    image = decoded[1].parts[1]
    assert isinstance(image, ImagePart) and image.image.data == PNG and image.image.detail == "high"


def test_wire_round_trip_keeps_argument_text_byte_identical() -> None:
    wire = [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "f", "arguments": '{"a":1,  "b":[1,2]}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        {"role": "assistant", "content": ""},
    ]
    assert dialect.encode_history(dialect.decode_history(wire))["messages"] == wire


def test_decode_history_tolerates_sdk_objects_camel_case_and_fragments() -> None:
    from openai.types.chat import ChatCompletionMessage

    sdk_message = ChatCompletionMessage.model_validate(
        {
            "role": "assistant",
            "content": None,
            "reasoning_content": "think",
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
        }
    )
    history = dialect.decode_history(
        {
            "system": "Be brief.",
            "messages": [
                {"role": "developer", "content": [{"type": "text", "text": "Dev note."}]},
                {
                    "role": "user",
                    "content": [{"type": "image_url", "imageUrl": {"url": "https://x.test/a.png"}}],
                },
                sdk_message,
                {"role": "tool", "toolCallId": "c1", "content": [{"type": "text", "text": "done"}]},
            ],
        }
    )
    assert [m.role for m in history] == ["system", "system", "user", "assistant", "tool"]
    assert history[0].text == "Be brief." and history[1].text == "Dev note."
    image = history[2].parts[0]
    assert isinstance(image, ImagePart) and image.image.url == "https://x.test/a.png"
    assert history[3].parts == [
        ReasoningPart("think", dialect="openai"),
        ToolCallPart("c1", "f", {}, dialect="openai"),
    ]
    assert history[4].parts == [ToolResultPart("c1", "f", (TextPart("done"),))]


def test_decode_history_merges_consecutive_tool_messages() -> None:
    history = dialect.decode_history(
        [
            {
                "role": "assistant",
                "tool_calls": [
                    {"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                    {"id": "b", "type": "function", "function": {"name": "g", "arguments": "{}"}},
                ],
            },
            {"role": "tool", "tool_call_id": "a", "content": "1"},
            {"role": "tool", "tool_call_id": "b", "content": "2"},
        ]
    )
    assert len(history) == 2
    assert [(r.call_id, r.name) for r in history[1].tool_results] == [("a", "f"), ("b", "g")]


def test_decode_history_rejects_what_it_cannot_carry() -> None:
    with pytest.raises(ValueError, match="'input_audio'"):
        dialect.decode_history([{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}])
    with pytest.raises(ValueError, match="'robot'"):
        dialect.decode_history([{"role": "robot", "content": "hi"}])
    with pytest.raises(ValueError, match="messages"):
        dialect.decode_history({"contents": []})


def test_reasoning_is_echoed_only_to_its_own_dialect() -> None:
    own = Message(
        "assistant",
        [
            ReasoningPart("mine", dialect="openai"),
            TextPart("hi"),
            ToolCallPart("c", "f", {}, dialect="openai"),
        ],
    )
    foreign = Message(
        "assistant",
        [
            ReasoningPart("theirs", signature="EqQBCkgIARABGAIiQL-signed", dialect="anthropic"),
            ReasoningPart("", redacted="opaque-redacted", dialect="anthropic"),
            TextPart("hi"),
            ToolCallPart("toolu_01A", "f", {"x": 1}, signature="c2lnbmVk", dialect="gemini"),
        ],
    )
    assert dialect.encode_history([own])["messages"][0]["reasoning_content"] == "mine"
    encoded = dialect.encode_history([foreign])["messages"][0]
    assert "reasoning_content" not in encoded
    text = json.dumps(encoded)
    for secret in ("theirs", "EqQBCkgIARABGAIiQL-signed", "opaque-redacted", "c2lnbmVk"):
        assert secret not in text
    assert encoded["tool_calls"][0]["id"] == "toolu_01A"


def test_reasoning_field_name_is_kept() -> None:
    """OpenRouter-style servers use `reasoning`; it goes back under the name it came in."""
    history = dialect.decode_history([{"role": "assistant", "content": "x", "reasoning": "r"}])
    assert dialect.encode_history(history)["messages"][0] == {
        "role": "assistant",
        "content": "x",
        "reasoning": "r",
    }


def test_foreign_history_from_an_anthropic_recording_has_no_signature() -> None:
    anthropic = pytest.importorskip(
        "agentkit.dialects.anthropic", reason="the anthropic dialect is not built yet"
    )

    path = REALTRAFFIC / "anthropic"
    recordings = sorted(path.glob("h_*.json")) if path.is_dir() else []
    if not recordings:
        pytest.skip("no Anthropic thinking recordings")
    checked = 0
    for recording in recordings:
        data = json.loads(recording.read_text())
        body = data["request"]["body"]
        history = anthropic.decode_history(body)
        wire = [body]
        if not data["stream"] and data["status"] == 200:
            history.append(anthropic.decode(data["response_body"]).message)  # the signed reply itself
            wire.append({"messages": [{"content": data["response_body"]["content"]}]})
        signatures = [
            block.get("signature") or block.get("data")
            for fragment in wire
            for message in fragment["messages"]
            if isinstance(message.get("content"), list)
            for block in message["content"]
            if block.get("type") in ("thinking", "redacted_thinking")
        ]
        encoded = json.dumps(dialect.encode_history(history))
        for signature in signatures:
            assert signature not in encoded
            checked += 1
    assert checked, "the recordings hold signed thinking blocks to check"


def test_long_foreign_call_ids_are_shortened_consistently() -> None:
    long_id = "call_0_get_weather_" + "x" * 60
    messages = dialect.encode_history(
        [
            Message("assistant", [ToolCallPart(long_id, "get_weather", {})]),
            Message("tool", [ToolResultPart(long_id, "get_weather", (TextPart("ok"),))]),
        ]
    )["messages"]
    call_id = messages[0]["tool_calls"][0]["id"]
    assert len(call_id) <= 40 and call_id == messages[1]["tool_call_id"]


def test_images_in_tool_results_become_a_placeholder() -> None:
    image = Image(data=PNG, width=640, height=480)
    result = ToolResultPart("c", "shot", (TextPart("Screenshot: "), ImagePart(image)))
    content = dialect.encode_history([Message("tool", [result])])["messages"][0]["content"]
    assert content == "Screenshot: [image: image/png 640x480 — this API cannot take images in tool results]"


def test_content_a_role_cannot_hold_raises_clearly() -> None:
    with pytest.raises(ValueError, match="system message can only hold text"):
        dialect.encode_history([Message("system", [ImagePart(Image(data=PNG))])])
    with pytest.raises(ValueError, match="assistant message cannot hold an image"):
        dialect.encode_history([Message("assistant", [ImagePart(Image(data=PNG))])])
    with pytest.raises(ValueError, match="user message cannot hold"):
        dialect.encode_history([Message("user", [ToolCallPart("c", "f", {})])])
    with pytest.raises(ValueError, match="can only hold tool results"):
        dialect.encode_history([Message("tool", [TextPart("x")])])


# ------------------------------------------------------------------------------------------ encode


def _encode(**kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("model", "gpt-4o")
    kwargs.setdefault("history", [Message.user("hi")])
    return dialect.encode(ModelRequest(**kwargs))


def test_encode_options() -> None:
    kwargs = _encode(options={"temperature": 0.2, "top_p": 0.9, "stop": ["END"], "max_tokens": 50, "seed": 7})
    assert kwargs == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.2,
        "top_p": 0.9,
        "stop": ["END"],
        "max_completion_tokens": 50,
        "seed": 7,
    }
    assert _encode(model="deepseek-chat", options={"max_tokens": 50})["max_tokens"] == 50
    assert _encode(model="openai/gpt-5", options={"max_tokens": 5})["max_completion_tokens"] == 5
    assert _encode(options={"stream": True, "stream_options": {}}).keys() == {"model", "messages"}


@pytest.mark.parametrize(
    ("reasoning", "effort"),
    [
        (True, "medium"),
        ("high", "high"),
        ("minimal", "minimal"),
        (1024, "low"),
        (4000, "medium"),
        (20000, "high"),
    ],
)
def test_encode_reasoning(reasoning: Any, effort: str) -> None:
    assert _encode(options={"reasoning": reasoning})["reasoning_effort"] == effort


def test_encode_reasoning_off_and_invalid() -> None:
    assert "reasoning_effort" not in _encode(options={"reasoning": False})
    assert "reasoning_effort" not in _encode(options={"reasoning": None})
    with pytest.raises(ValueError, match=r"\[1, 2\]"):
        _encode(options={"reasoning": [1, 2]})


def test_encode_tools_and_tool_choice() -> None:
    tools = [FakeTool("get_weather"), FakeTool("search")]
    kwargs = _encode(tools=tools)
    assert [t["function"]["name"] for t in kwargs["tools"]] == ["get_weather", "search"]
    assert "tool_choice" not in kwargs
    for choice in ("auto", "none", "required"):
        assert _encode(tools=tools, tool_choice=choice)["tool_choice"] == choice
    assert _encode(tools=tools, tool_choice="search")["tool_choice"] == {
        "type": "function",
        "function": {"name": "search"},
    }
    with pytest.raises(ValueError, match=r"'nope'.*'get_weather', 'search'"):
        _encode(tools=tools, tool_choice="nope")
    with pytest.raises(ValueError, match="needs tools"):
        _encode(tool_choice="required")
    assert "tool_choice" not in _encode(tool_choice="none")


def test_a_real_tool_encodes_to_the_sdk_tool_type() -> None:
    tools = pytest.importorskip("agentkit.tools", reason="`agentkit.tools` is not built yet")
    from openai.types.chat import ChatCompletionToolParam

    @tools.tool
    def get_weather(city: str) -> str:
        """Current weather.

        Args:
            city: City name.
        """
        return "sunny"

    kwargs = dialect.encode(
        ModelRequest("gpt-4o", [Message.user("hi")], [get_weather], tool_choice="get_weather")
    )
    TypeAdapter(ChatCompletionToolParam).validate_python(kwargs["tools"][0])
    assert kwargs["tools"][0]["function"]["name"] == "get_weather"


def test_encode_structured_output() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    kwargs = _encode(output=OutputSpec(schema, name="Answer"))
    assert kwargs["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Answer", "schema": schema, "strict": True},
    }


# ------------------------------------------------------------------------------------------ decode


def _completion(message: dict[str, Any], finish: str = "stop", **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 2},
        },
        **extra,
    }


def test_decode_dict_and_sdk_object_agree() -> None:
    from openai.types.chat import ChatCompletion

    body = _completion(
        {
            "content": "Let me look.",
            "reasoning_content": "User wants weather.",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                },
                {
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": broken'},
                },
            ],
        },
        finish="tool_calls",
    )
    from_dict = dialect.decode(body)
    from_sdk = dialect.decode(ChatCompletion.model_validate(body))
    for turn in (from_dict, from_sdk):
        assert turn.message.parts == [
            ReasoningPart("User wants weather.", dialect="openai"),
            TextPart("Let me look."),
            ToolCallPart("c1", "get_weather", {"city": "Paris"}, dialect="openai"),
            ToolCallPart("c2", "get_weather", '{"city": broken', dialect="openai"),
        ]
        assert turn.finish_reason == "tool_calls" and turn.raw_finish_reason == "tool_calls"
        assert (turn.usage.input_tokens, turn.usage.output_tokens) == (10, 5)
        assert (turn.usage.reasoning_tokens, turn.usage.cached_tokens) == (2, 4)
        assert turn.model == "gpt-4o-2024-08-06" and turn.message.dialect == "openai"


def test_decode_refusal() -> None:
    turn = dialect.decode(_completion({"content": None, "refusal": "I can't help with that."}))
    assert turn.refusal == "I can't help with that."
    assert turn.finish_reason == "refusal" and turn.raw_finish_reason == "stop"
    assert turn.message.parts == []


def test_decode_finish_reasons_and_odd_servers() -> None:
    assert dialect.decode(_completion({"content": "x"}, finish="length")).finish_reason == "length"
    assert (
        dialect.decode(_completion({"content": "x"}, finish="content_filter")).finish_reason
        == "content_filter"
    )
    assert dialect.decode(_completion({"content": "x"}, finish="weird")).finish_reason == "other"
    calls = [{"id": "c", "type": "function", "function": {"name": "f", "arguments": ""}}]
    turn = dialect.decode(_completion({"tool_calls": calls}, finish="stop"))
    assert turn.finish_reason == "tool_calls" and turn.message.tool_calls[0].arguments == {}
    empty = dialect.decode({"id": "x", "model": "m", "choices": []})
    assert empty.finish_reason == "other" and empty.message.parts == []
    deepseek = _completion({"content": "x"})
    deepseek["usage"] = {"prompt_tokens": 9, "completion_tokens": 1, "prompt_cache_hit_tokens": 8}
    assert dialect.decode(deepseek).usage.cached_tokens == 8


def test_decode_tolerates_list_content_and_a_missing_message() -> None:
    listed = _completion({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]})
    assert dialect.decode(listed).message.parts == [TextPart("a"), TextPart("b")]
    bare = {"id": "x", "model": "m", "choices": [{"index": 0, "finish_reason": "stop"}]}
    assert dialect.decode(bare).message.parts == []


def test_an_empty_user_message_is_kept() -> None:
    assert dialect.encode_history([Message("user", [])])["messages"] == [{"role": "user", "content": ""}]


def test_decoded_turn_echoes_back_as_a_plain_dict() -> None:
    turn = dialect.decode(
        _completion(
            {
                "content": None,
                "reasoning_content": "think",
                "tool_calls": [
                    {"id": "c", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}
                ],
            },
            finish="tool_calls",
        )
    )
    assert dialect.encode_history([turn.message])["messages"] == [
        {
            "role": "assistant",
            "reasoning_content": "think",
            "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}
            ],
        }
    ]


# ------------------------------------------------------------------------------------------ stream


def _chunk(delta: dict[str, Any] | None, finish: str | None = None, usage: Any = None, **extra: Any) -> str:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    body = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "deepseek-reasoner",
        "choices": choices,
        "usage": usage,
        **extra,
    }
    return f"data: {json.dumps(body)}\n\n"


async def _run_stream(sse: str, **kwargs: Any) -> tuple[list[Any], Any]:
    headers = {"content-type": "text/event-stream; charset=utf-8"}
    with serve_canned(200, headers, sse) as server:
        relay = ak.Relay(server.url, api_key="sk-test", max_retries=0)
        client = relay.async_client("openai")
        try:
            request = dialect.encode(ModelRequest("deepseek-reasoner", [Message.user("hi")], **kwargs))
            items = [item async for item in dialect.stream(client, request)]
        finally:
            await client.close()
    return items, server.requests[0].body


async def test_stream_deepseek_reasoning_content_and_usage_on_last_chunk() -> None:
    sse = "".join(
        [
            _chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
            _chunk({"content": None, "reasoning_content": "Think"}),
            _chunk({"content": None, "reasoning_content": "ing."}),
            _chunk({"content": "Hel", "reasoning_content": None}),
            _chunk({"content": "lo", "reasoning_content": None}),
            _chunk(
                {"content": "", "reasoning_content": None},
                "stop",
                {
                    "prompt_tokens": 5,
                    "completion_tokens": 7,
                    "prompt_cache_hit_tokens": 3,
                    "completion_tokens_details": {"reasoning_tokens": 4},
                },
            ),
            "data: [DONE]\n\n",
        ]
    )
    items, sent = await _run_stream(sse)
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert items[:-1] == [ReasoningDelta("Think"), ReasoningDelta("ing."), TextDelta("Hel"), TextDelta("lo")]
    turn = items[-1]
    assert isinstance(turn, Turn)
    assert turn.message.parts == [ReasoningPart("Thinking.", dialect="openai"), TextPart("Hello")]
    assert (turn.usage.input_tokens, turn.usage.output_tokens, turn.usage.reasoning_tokens) == (5, 7, 4)
    assert turn.usage.cached_tokens == 3
    assert turn.finish_reason == "stop" and turn.model == "deepseek-reasoner"


async def test_stream_refusal_and_length_do_not_raise() -> None:
    refusal = "".join(
        [
            _chunk({"role": "assistant", "content": None, "refusal": ""}),
            _chunk({"refusal": "I can't"}),
            _chunk({"refusal": " do that."}, "stop"),
            _chunk(None, usage={"prompt_tokens": 1, "completion_tokens": 2}),
        ]
    )
    items, _ = await _run_stream(refusal)
    assert len(items) == 1
    assert items[0].refusal == "I can't do that." and items[0].finish_reason == "refusal"
    cut = _chunk({"content": "Once upon"}) + _chunk({}, "length")
    items, _ = await _run_stream(cut)
    assert items[-1].finish_reason == "length" and items[-1].message.text == "Once upon"


async def test_stream_tool_calls_without_index_are_grouped_by_id() -> None:
    sse = "".join(
        [
            _chunk(
                {
                    "tool_calls": [
                        {"id": "a", "type": "function", "function": {"name": "f", "arguments": '{"x"'}}
                    ]
                }
            ),
            _chunk({"tool_calls": [{"function": {"arguments": ": 1}"}}]}),
            _chunk(
                {
                    "tool_calls": [
                        {"id": "b", "type": "function", "function": {"name": "g", "arguments": "{}"}}
                    ]
                }
            ),
            _chunk({}, "tool_calls"),
        ]
    )
    items, _ = await _run_stream(sse)
    assert items[:-1] == [
        ToolCallDelta(0, "a", "f", '{"x"'),
        ToolCallDelta(0, None, None, ": 1}"),
        ToolCallDelta(1, "b", "g", "{}"),
    ]
    assert [(c.id, c.name, c.arguments) for c in items[-1].message.tool_calls] == [
        ("a", "f", {"x": 1}),
        ("b", "g", {}),
    ]


async def test_stream_error_chunk_maps_to_upstream_error() -> None:
    sse = (
        _chunk({"content": "Hi"})
        + 'data: {"error": {"message": "Overloaded, try later.", "type": "server_error"}}\n\n'
    )
    with pytest.raises(Exception) as caught:
        await _run_stream(sse)
    error = ak.Relay("http://127.0.0.1:1").map_error(caught.value, dialect="openai")
    assert isinstance(error, ak.UpstreamError) and error.message == "Overloaded, try later."


class _FakeStream:
    """An SDK AsyncStream stand-in that records whether it was closed."""

    def __init__(self, chunks: list[Any]) -> None:
        self.chunks = chunks
        self.closed = False

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        for chunk in self.chunks:
            yield chunk

    async def close(self) -> None:
        self.closed = True


class _FakeClient:
    def __init__(self, stream: _FakeStream) -> None:
        self.sent: dict[str, Any] = {}
        self._stream = stream
        self.chat = self
        self.completions = self

    async def create(self, **kwargs: Any) -> _FakeStream:
        self.sent = kwargs
        return self._stream


async def test_stream_closes_the_response_when_the_consumer_stops_early() -> None:
    from openai.types.chat import ChatCompletionChunk

    chunks = [
        ChatCompletionChunk.model_validate(json.loads(_chunk({"content": word})[6:]))
        for word in ("a", "b", "c")
    ]
    fake = _FakeStream(chunks)
    client = _FakeClient(fake)
    generator = dialect.stream(client, {"model": "m", "messages": []})
    assert await anext(generator) == TextDelta("a")
    await generator.aclose()
    assert fake.closed
    assert client.sent["stream"] is True


# ------------------------------------------------------------------------------------------ emulator


@pytest.mark.parametrize("streaming", [False, True], ids=["create", "stream"])
async def test_tool_round_trip_against_the_emulator(streaming: bool) -> None:
    trip = await weather_round_trip(
        dialect, "openai", [Message.system("Be brief."), Message.user("Weather in Paris?")],
        lambda history, first: ModelRequest("gpt-4o", history, [FakeTool("get_weather")],
                                            {"temperature": 0} if first else {}),
        streaming=streaming,
    )
    assert trip.second.usage.input_tokens > 0
    messages = trip.sent[-1]["messages"]
    assert messages[2]["tool_calls"][0]["id"] == trip.call.id
    assert messages[3] == {"role": "tool", "tool_call_id": trip.call.id, "content": "sunny"}
    assert trip.first.message.parts[0] == ReasoningPart("Need the weather.", dialect="openai")
    assert messages[2]["reasoning_content"] == "Need the weather."  # echoed to its own dialect
