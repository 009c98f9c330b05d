"""Unit tests of the Anthropic Messages dialect: history round trips, options, decode, streams."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest

import agentkit as ak
from agentkit.dialects import anthropic as dialect
from agentkit.dialects import gemini
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
from tests.dialects._round_trip import weather_round_trip
from tests.replay._replay_server_ag import REALTRAFFIC, replay

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
PNG_B64 = base64.b64encode(PNG).decode()
SIGNATURE = "EqEECkYICxgCKkAo3UA4+/sig=="


class FakeTool:
    """The slice of `ak.Tool` a dialect uses."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.description = f"The {name} tool."

    def to_schema(self, dialect_name: str) -> dict[str, Any]:
        assert dialect_name == "anthropic"
        return {"name": self.name, "description": self.description, "input_schema": {"type": "object"}}


def comparable(value: Any) -> Any:
    """`ak.Image` compares by identity; this compares images by content (for round-trip checks)."""
    if isinstance(value, list | tuple):
        return [comparable(v) for v in value]
    if isinstance(value, Message):
        return (value.role, comparable(value.parts), value.model, value.dialect, value.usage)
    if isinstance(value, ImagePart):
        return ("image", value.image.data, value.image.mime_type, value.image.url)
    if isinstance(value, ToolResultPart):
        return ("result", value.call_id, value.name, comparable(value.content), value.is_error)
    return value


def _request(history: list[Message], **kwargs: Any) -> ModelRequest:
    return ModelRequest("claude-sonnet-4-5", history, **kwargs)


def _history() -> list[Message]:
    return [
        Message.system("You are terse."),
        Message(
            "user",
            [TextPart("Weather here?"), ImagePart(Image(data=PNG)), ImagePart(Image(url="https://x/a.png"))],
        ),
        Message(
            "assistant",
            [
                ReasoningPart("Two cities.", signature=SIGNATURE, dialect="anthropic"),
                ReasoningPart("", redacted="opaque==", dialect="anthropic"),
                TextPart("Checking."),
                ToolCallPart("toolu_1", "get_weather", {"city": "Paris"}, dialect="anthropic"),
                ToolCallPart("toolu_2", "get_weather", {"city": "Rome"}, dialect="anthropic"),
            ],
            dialect="anthropic",
        ),
        Message(
            "tool",
            [
                ToolResultPart("toolu_1", "get_weather", (TextPart("sunny"),)),
                ToolResultPart("toolu_2", "get_weather", (TextPart("no such city"),), is_error=True),
            ],
        ),
        Message("user", [TextPart("And tomorrow?")]),
    ]


# ------------------------------------------------------------------------------------- schema


def test_tool_schema_is_the_tools_own_anthropic_form() -> None:
    @ak.tool
    def get_weather(city: str) -> str:
        """Current weather.

        Args:
            city: City name.
        """
        return "sunny"

    schema = dialect.tool_schema(get_weather)
    assert schema == get_weather.to_schema("anthropic")
    assert schema["name"] == "get_weather" and "input_schema" in schema
    assert dialect.tool_schema(FakeTool("t"))["name"] == "t"  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------ history


def test_encode_history_wire_form() -> None:
    fragment = dialect.encode_history(_history())
    assert fragment == {
        "system": "You are terse.",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Weather here?"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64},
                    },
                    {"type": "image", "source": {"type": "url", "url": "https://x/a.png"}},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "Two cities.", "signature": SIGNATURE},
                    {"type": "redacted_thinking", "data": "opaque=="},
                    {"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                    {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"city": "Rome"}},
                ],
            },
            {
                "role": "user",  # the tool results and the next user text share one turn, results first
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_2",
                        "content": "no such city",
                        "is_error": True,
                    },
                    {"type": "text", "text": "And tomorrow?"},
                ],
            },
        ],
    }
    json.dumps(fragment)  # plain JSON, no SDK objects


def test_neutral_round_trip() -> None:
    history = _history()
    assert comparable(dialect.decode_history(dialect.encode_history(history))) == comparable(history)


def test_tool_results_go_first_and_images_stay_native() -> None:
    history = [
        Message.user("Look"),
        Message("assistant", [ToolCallPart("toolu_1", "snap", {})]),
        Message("user", [TextPart("here it comes")]),
        Message("tool", [ToolResultPart("toolu_1", "snap", (TextPart("a cat"), ImagePart(Image(data=PNG))))]),
    ]
    [_, _, turn] = dialect.encode_history(history)["messages"]
    assert turn["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_1",
            "content": [
                {"type": "text", "text": "a cat"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
            ],
        },
        {"type": "text", "text": "here it comes"},
    ]
    decoded = dialect.decode_history(dialect.encode_history(history))
    assert comparable(decoded[2].tool_results[0].content) == comparable(
        (TextPart("a cat"), ImagePart(Image(data=PNG)))
    )


def test_decode_history_tolerates_sdk_objects_and_fragments() -> None:
    from anthropic.types import Message as WireMessage

    response = WireMessage.model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-x",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": SIGNATURE},
                {"type": "tool_use", "id": "toolu_9", "name": "f", "input": {"a": 1}},
            ],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 1, "output_tokens": 2},
        }
    )
    data = {
        "system": [{"type": "text", "text": "Sys A"}, {"type": "text", "text": "Sys B"}],
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": response.content},  # SDK blocks passed back as-is
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_9", "content": "ok"}]},
        ],
    }
    history = dialect.decode_history(data)
    assert history == [
        Message.system("Sys A\n\nSys B"),
        Message.user("hi"),
        Message(
            "assistant",
            [
                ReasoningPart("hmm", signature=SIGNATURE, dialect="anthropic"),
                ToolCallPart("toolu_9", "f", {"a": 1}, dialect="anthropic"),
            ],
            dialect="anthropic",
        ),
        Message("tool", [ToolResultPart("toolu_9", "f", (TextPart("ok"),))]),
    ]
    assert dialect.decode_history(data["messages"]) == history[1:]
    assert dialect.decode_history({"role": "user", "content": "x"}) == [Message.user("x")]


def test_decode_history_rejects_what_it_cannot_carry() -> None:
    with pytest.raises(ValueError, match="'container_upload'"):
        dialect.decode_history([{"role": "user", "content": [{"type": "container_upload", "file_id": "f"}]}])
    with pytest.raises(ValueError, match="document source type 'content'"):
        dialect.decode_history([{"role": "user", "content": [{"type": "document", "source": {"type": "content"}}]}])
    with pytest.raises(ValueError, match="'robot'"):
        dialect.decode_history([{"role": "robot", "content": "x"}])
    with pytest.raises(ValueError, match="Expected Anthropic messages"):
        dialect.decode_history(42)


def test_signed_reasoning_is_echoed_only_to_its_own_dialect() -> None:
    history = [
        Message.user("q"),
        Message(
            "assistant",
            [
                ReasoningPart("deepseek thoughts", dialect="openai"),
                ReasoningPart("gemini thought", signature="Z2VtaW5p", dialect="gemini"),
                ReasoningPart("anthropic, cut before its signature", dialect="anthropic"),
                TextPart("answer"),
                ToolCallPart("call_1", "f", {}, signature="Z2VtaW5p", dialect="gemini"),
            ],
        ),
        Message("tool", [ToolResultPart("call_1", "f", (TextPart("r"),))]),
    ]
    content = dialect.encode_history(history)["messages"][1]["content"]
    assert content == [
        {"type": "text", "text": "answer"},
        {"type": "tool_use", "id": "call_1", "name": "f", "input": {}},
    ]


def test_foreign_history_from_a_gemini_recording_has_no_signature() -> None:
    path = REALTRAFFIC / "gemini" / "c_multi_turn_function_response__gemini25pro.json"
    if not path.exists():
        pytest.skip(f"{path} is not available")
    body = json.loads(path.read_text())["request"]["body"]
    history = gemini.decode_history(body)
    assert any(c.signature for m in history for c in m.tool_calls)  # Gemini signed its calls
    fragment = dialect.encode_history(history)
    text = json.dumps(fragment)
    assert "signature" not in text and "thoughtSignature" not in text
    messages = fragment["messages"]
    uses = [b for m in messages for b in m["content"] if b["type"] == "tool_use"]
    results = [b for m in messages for b in m["content"] if b["type"] == "tool_result"]
    assert [u["id"] for u in uses] == [r["tool_use_id"] for r in results]
    assert all(re.fullmatch(r"[a-zA-Z0-9_-]+", u["id"]) for u in uses)
    assert results[0]["is_error"] is True  # Gemini's {"error": ...} response


def test_foreign_call_ids_are_made_valid_consistently() -> None:
    history = [
        Message.user("q"),
        Message("assistant", [ToolCallPart("fc:1/a b", "f", {}), ToolCallPart("", "g", {})]),
        Message("tool", [ToolResultPart("fc:1/a b", "f", ()), ToolResultPart("", "g", ())]),
    ]
    messages = dialect.encode_history(history)["messages"]
    ids = [b["id"] for b in messages[1]["content"]]
    assert ids == [b["tool_use_id"] for b in messages[2]["content"]]
    assert all(re.fullmatch(r"[a-zA-Z0-9_-]+", i) for i in ids)
    assert len(set(ids)) == 2
    assert dialect.encode_history(history) == dialect.encode_history(history)  # stable


def test_raw_arguments_travel_inside_an_object() -> None:
    history = [
        Message.user("q"),
        Message("assistant", [ToolCallPart("t1", "f", '{"a": 1'), ToolCallPart("t2", "g", '{"b": 2}')]),
    ]
    content = dialect.encode_history(history)["messages"][1]["content"]
    assert content[0]["input"] == {"raw_arguments": '{"a": 1'}
    assert content[1]["input"] == {"b": 2}


def test_content_a_role_cannot_hold_raises_clearly() -> None:
    with pytest.raises(ValueError, match="assistant messages cannot carry images"):
        dialect.encode_history([Message("assistant", [ImagePart(Image(data=PNG))])])
    with pytest.raises(ValueError, match="system message can only hold text"):
        dialect.encode_history([Message("system", [ImagePart(Image(data=PNG))])])
    with pytest.raises(ValueError, match="'image/bmp'"):
        dialect.encode_history([Message("user", [ImagePart(Image(data=b"BM..", mime_type="image/bmp"))])])
    with pytest.raises(ValueError, match="tool result for call 'x'"):
        dialect.encode_history([Message("assistant", [ToolResultPart("x", "f", ())])])
    with pytest.raises(ValueError, match="tool call 'f'"):
        dialect.encode_history([Message("user", [ToolCallPart("x", "f", {})])])


# ------------------------------------------------------------------------------------- encode


def test_encode_options() -> None:
    kwargs = dialect.encode(
        _request(
            [Message.user("hi")],
            options={
                "temperature": 0.2,
                "top_p": 0.9,
                "top_k": 5,
                "stop": "END",
                "metadata": {"user_id": "u1"},
                "frequency_penalty": 1,
                "extra_body": {"custom": True},
            },
        )
    )
    assert kwargs == {
        "model": "claude-sonnet-4-5",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "max_tokens": 4096,
        "stop_sequences": ["END"],
        "metadata": {"user_id": "u1"},  # a `messages.create` parameter: passed as such
        "extra_body": {"custom": True, "temperature": 0.2, "top_p": 0.9, "top_k": 5, "frequency_penalty": 1},
    }
    assert dialect.encode(_request([Message.user("hi")], options={"max_tokens": 100}))["max_tokens"] == 100


@pytest.mark.parametrize(
    ("reasoning", "budget", "max_tokens"),
    [(True, 4096, 8192), ("low", 1024, 5120), ("high", 16384, 20480), (2000, 2000, 6096)],
)
def test_encode_reasoning(reasoning: Any, budget: int, max_tokens: int) -> None:
    kwargs = dialect.encode(_request([Message.user("hi")], options={"reasoning": reasoning}))
    assert kwargs["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert kwargs["max_tokens"] == max_tokens


def test_encode_reasoning_off_raw_and_invalid() -> None:
    assert "thinking" not in dialect.encode(_request([Message.user("hi")], options={"reasoning": False}))
    raw = {"type": "adaptive"}
    assert dialect.encode(_request([Message.user("hi")], options={"reasoning": raw}))["thinking"] == raw
    with pytest.raises(ValueError, match="minimum thinking budget"):
        dialect.encode(_request([Message.user("hi")], options={"reasoning": 500}))
    with pytest.raises(ValueError, match="must be larger than the thinking budget"):
        dialect.encode(_request([Message.user("hi")], options={"reasoning": 2048, "max_tokens": 2000}))
    with pytest.raises(ValueError, match="'extreme'"):
        dialect.encode(_request([Message.user("hi")], options={"reasoning": "extreme"}))


def test_encode_tools_and_tool_choice() -> None:
    tools = [FakeTool("a"), FakeTool("b")]

    def choice(value: Any, **options: Any) -> Any:
        request = _request([Message.user("hi")], tools=tools, tool_choice=value, options=options)
        return dialect.encode(request).get("tool_choice")

    plain = dialect.encode(_request([Message.user("hi")], tools=tools))
    assert plain["tools"] == [t.to_schema("anthropic") for t in tools]
    assert choice(None) is None
    assert choice("auto") == {"type": "auto"}
    assert choice("required") == {"type": "any"}
    assert choice("none") == {"type": "none"}
    assert choice("b") == {"type": "tool", "name": "b"}
    assert choice(None, parallel_tool_calls=False) == {"type": "auto", "disable_parallel_tool_use": True}
    assert choice("required", parallel_tool_calls=False) == {"type": "any", "disable_parallel_tool_use": True}
    with pytest.raises(ValueError, match="'c'"):
        choice("c")
    with pytest.raises(ValueError, match="needs tools"):
        dialect.encode(_request([Message.user("hi")], tool_choice="required"))
    assert "tool_choice" not in dialect.encode(_request([Message.user("hi")], tool_choice="none"))


def test_encode_structured_output() -> None:
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}
    kwargs = dialect.encode(
        _request(
            [Message.user("hi")], output=OutputSpec(schema), options={"output_config": {"effort": "low"}}
        )
    )
    assert kwargs["output_config"] == {"effort": "low", "format": {"type": "json_schema", "schema": schema}}


def test_output_config_is_a_messages_create_keyword() -> None:
    import inspect

    from anthropic.resources.messages import AsyncMessages

    assert "output_config" in inspect.signature(AsyncMessages.create).parameters


class _Raw:
    """What `messages.with_raw_response.create` returns: the answer, not parsed."""

    def __init__(self, http_response: Any) -> None:
        self.http_response = http_response


class _Recorder:
    """A client whose `messages.with_raw_response.create` records its keyword arguments and
    answers with a canned JSON reply."""

    timeout = 77.0

    def __init__(self, reply: Any) -> None:
        self.messages = self
        self.with_raw_response = self
        self.sent: dict[str, Any] = {}
        self.reply = reply

    async def create(self, **kwargs: Any) -> Any:
        self.sent = kwargs
        return _Raw(httpx2.Response(200, json=self.reply))


_REPLY = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-x",
    "content": [{"type": "text", "text": "hi"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 3, "output_tokens": 1},
}


async def test_create_gives_large_non_streaming_requests_the_clients_timeout() -> None:
    client = _Recorder(_REPLY)
    await dialect.create(client, {"model": "m", "messages": [], "max_tokens": 64000, "stream": True})
    assert client.sent["timeout"] == 77.0 and "stream" not in client.sent
    await dialect.create(client, {"model": "m", "messages": [], "max_tokens": 4096})
    assert "timeout" not in client.sent
    await dialect.create(client, {"model": "m", "messages": [], "max_tokens": 64000, "timeout": 5})
    assert client.sent["timeout"] == 5


# ------------------------------------------------------------------------------------- decode


def test_decode_dict_and_sdk_object_agree() -> None:
    from anthropic.types import Message as WireMessage

    body = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-x",
        "content": [
            {"type": "thinking", "thinking": "think", "signature": SIGNATURE},
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "text", "text": "Let me look."},
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"q": "x"}},
        ],
        "stop_reason": "tool_use",
        "usage": {
            "input_tokens": 10,
            "cache_read_input_tokens": 100,
            "cache_creation_input_tokens": 5,
            "output_tokens": 40,
            "output_tokens_details": {"thinking_tokens": 30},
        },
    }
    turn = dialect.decode(body)
    assert dialect.decode(WireMessage.model_validate(body)) == turn
    assert turn.message.parts == [
        ReasoningPart("think", signature=SIGNATURE, dialect="anthropic"),
        ReasoningPart("", redacted="opaque", dialect="anthropic"),
        TextPart("Let me look."),
        ToolCallPart("toolu_1", "f", {"q": "x"}, dialect="anthropic"),
    ]
    assert turn.usage == ak.Usage(input_tokens=115, output_tokens=40, reasoning_tokens=30, cached_tokens=100,
                                  cache_write_tokens=5)
    assert (turn.finish_reason, turn.raw_finish_reason, turn.model) == ("tool_calls", "tool_use", "claude-x")
    assert (turn.message.model, turn.message.dialect, turn.message.usage) == (
        "claude-x",
        "anthropic",
        turn.usage,
    )
    # What the model said goes back unchanged on the next turn.
    again = dialect.encode_history([turn.message])["messages"][0]["content"]
    assert again == body["content"]


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [("max_tokens", "length"), ("stop_sequence", "stop"), ("pause_turn", "other"), (None, "other")],
)
def test_decode_finish_reasons(stop_reason: str | None, finish: str) -> None:
    turn = dialect.decode({**_REPLY, "stop_reason": stop_reason})
    assert (turn.finish_reason, turn.raw_finish_reason, turn.refusal) == (finish, stop_reason, None)


def test_decode_refusal() -> None:
    turn = dialect.decode({**_REPLY, "content": [], "stop_reason": "refusal"})
    assert turn.finish_reason == "refusal" and turn.refusal


# ------------------------------------------------------------------------------------- stream


def _sse(*events: dict[str, Any]) -> str:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}   \n\n" for e in events)


_START = {
    "type": "message_start",
    "message": {
        "id": "msg_s",
        "type": "message",
        "role": "assistant",
        "model": "claude-s",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 50, "cache_read_input_tokens": 0, "output_tokens": 1},
    },
}


def _delta(index: int, **delta: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


STREAM = _sse(
    _START,
    {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
    {"type": "ping"},
    _delta(0, type="thinking_delta", thinking="Weather "),
    _delta(0, type="thinking_delta", thinking="twice."),
    _delta(0, type="thinking_delta", thinking=""),
    _delta(0, type="signature_delta", signature=SIGNATURE),
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1, "content_block": {"type": "redacted_thinking", "data": "opaque"}},
    {"type": "content_block_stop", "index": 1},
    {"type": "content_block_start", "index": 2, "content_block": {"type": "text", "text": ""}},
    _delta(2, type="text_delta", text="On "),
    _delta(2, type="text_delta", text="it."),
    {"type": "content_block_stop", "index": 2},
    {"type": "content_block_start", "index": 3, "content_block": {"type": "tool_use", "id": "toolu_a", "name": "f", "input": {}}},
    _delta(3, type="input_json_delta", partial_json=""),
    _delta(3, type="input_json_delta", partial_json='{"city": '),
    _delta(3, type="input_json_delta", partial_json='"Paris"}'),
    {"type": "content_block_stop", "index": 3},
    {"type": "content_block_start", "index": 4, "content_block": {"type": "tool_use", "id": "toolu_b", "name": "g", "input": {}}},
    _delta(4, type="input_json_delta", partial_json='{"broken": tr'),
    {"type": "content_block_stop", "index": 4},
    {"type": "content_block_start", "index": 5, "content_block": {"type": "tool_use", "id": "toolu_c", "name": "h", "input": {}}},
    _delta(5, type="input_json_delta", partial_json=""),
    {"type": "content_block_stop", "index": 5},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use", "stop_sequence": None},
        "usage": {"output_tokens": 90, "output_tokens_details": {"thinking_tokens": 12}},
    },
    {"type": "message_stop"},
)  # fmt: skip


def _recording(sse: str) -> dict[str, Any]:
    return {
        "status": 200,
        "stream": True,
        "response_body": sse,
        "response_headers": {"content-type": "text/event-stream"},
    }


async def test_stream_deltas_and_final_turn() -> None:
    with replay(_recording(STREAM)) as server:
        relay = ak.Relay(server.url, api_key="sk-test", max_retries=0)
        client = relay.async_client("anthropic")
        kwargs = dialect.encode(_request([Message.user("hi")], options={"max_tokens": 64000}))
        items = [item async for item in dialect.stream(client, kwargs)]
        [sent] = server.posts
    assert sent.body["stream"] is True and sent.body["max_tokens"] == 64000
    *deltas, turn = items
    assert deltas == [
        ReasoningDelta("Weather "),
        ReasoningDelta("twice."),
        TextDelta("On "),
        TextDelta("it."),
        ToolCallDelta(0, id="toolu_a", name="f"),
        ToolCallDelta(0, arguments='{"city": '),
        ToolCallDelta(0, arguments='"Paris"}'),
        ToolCallDelta(1, id="toolu_b", name="g"),
        ToolCallDelta(1, arguments='{"broken": tr'),
        ToolCallDelta(2, id="toolu_c", name="h"),
    ]
    assert isinstance(turn, Turn)
    assert turn.message.parts == [
        ReasoningPart("Weather twice.", signature=SIGNATURE, dialect="anthropic"),
        ReasoningPart("", redacted="opaque", dialect="anthropic"),
        TextPart("On it."),
        ToolCallPart("toolu_a", "f", {"city": "Paris"}, dialect="anthropic"),
        # Invalid JSON from the model: kept as raw text, no exception.
        ToolCallPart("toolu_b", "g", '{"broken": tr', dialect="anthropic"),
        ToolCallPart("toolu_c", "h", {}, dialect="anthropic"),
    ]
    assert turn.usage == ak.Usage(input_tokens=50, output_tokens=90, reasoning_tokens=12)
    assert (turn.finish_reason, turn.model) == ("tool_calls", "claude-s")


async def test_stream_error_event_raises_and_maps_to_upstream_error() -> None:
    sse = _sse(
        _START,
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        _delta(0, type="text_delta", text="Hel"),
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )
    with replay(_recording(sse)) as server:
        relay = ak.Relay(server.url, api_key="sk-test", max_retries=0)
        client = relay.async_client("anthropic")
        seen: list[Any] = []
        with pytest.raises(Exception) as caught:
            async for item in dialect.stream(client, dialect.encode(_request([Message.user("hi")]))):
                seen.append(item)
    assert seen == [TextDelta("Hel")]
    mapped = relay.map_error(caught.value, dialect="anthropic")
    assert isinstance(mapped, ak.UpstreamError) and "Overloaded" in str(mapped)
    assert (mapped.status, mapped.code, mapped.message) == (200, "overloaded_error", "Overloaded")


class _Body(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """A response body sent one piece at a time, which records how it was read and whether it was
    closed (sync and async)."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        self.sent = 0
        self.read_by = ""
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        self.read_by = "iter_bytes"
        for piece in self.pieces:
            self.sent += 1
            yield piece

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.read_by = "aiter_bytes"
        for piece in self.pieces:
            self.sent += 1
            yield piece

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def _sdk_client(body: _Body) -> Any:
    """A real async SDK client (what every run uses, sync `agent(...)` runs too) whose every
    answer is `body`, an SSE stream."""
    import anthropic

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, stream=body)

    transport = httpx2.MockTransport(handler)
    options: dict[str, Any] = {"base_url": "http://relay.invalid/anthropic", "api_key": "sk-test", "max_retries": 0}
    return anthropic.AsyncAnthropic(**options, http_client=httpx2.AsyncClient(transport=transport))


def _events(sse: str) -> list[bytes]:
    return [piece.encode() + b"\n\n" for piece in sse.split("\n\n") if piece]


async def test_stream_closes_the_response_when_the_consumer_stops_early() -> None:
    body = _Body(_events(STREAM))
    generator: Any = dialect.stream(_sdk_client(body), {"model": "m", "messages": [], "max_tokens": 10})
    assert await anext(generator) == ReasoningDelta("Weather ")
    await generator.aclose()
    assert body.closed
    assert body.sent < len(body.pieces)  # it stopped reading, too


async def test_stream_reads_the_whole_body_asynchronously_and_closes_it() -> None:
    body = _Body(_events(STREAM))
    items = [i async for i in dialect.stream(_sdk_client(body), {"model": "m", "messages": [], "max_tokens": 10})]
    assert isinstance(items[-1], Turn) and items[-1].message.text == "On it."
    assert body.closed and body.sent == len(body.pieces)
    assert body.read_by == "aiter_bytes"  # never a blocking read on the event loop


@pytest.mark.parametrize("sse", ["", "event: ping\ndata: {\"type\": \"ping\"}\n\n"], ids=["empty", "ping"])
async def test_stream_that_never_starts_is_an_upstream_error(sse: str) -> None:
    client = _sdk_client(_Body(_events(sse)))
    with pytest.raises(ak.UpstreamError, match="message_start") as caught:
        [_ async for _ in dialect.stream(client, {"model": "m", "messages": [], "max_tokens": 10})]
    assert caught.value.code == "malformed_stream"


# ----------------------------------------------------------------------------------- emulator


@pytest.mark.parametrize("streaming", [False, True], ids=["create", "stream"])
async def test_tool_round_trip_against_the_emulator(streaming: bool) -> None:
    trip = await weather_round_trip(
        dialect, "anthropic", [Message.system("Be brief."), Message.user("Weather in Paris?")],
        lambda history, first: _request(history, tools=[FakeTool("get_weather")],
                                        options={"temperature": 0} if first else {}),
        streaming=streaming,
    )
    assert trip.second.usage.input_tokens > 0
    messages = trip.sent[-1]["messages"]
    assert messages[1]["content"] == dialect.encode_history([trip.first.message])["messages"][0]["content"]
    assert messages[2]["content"] == [
        {"type": "tool_result", "tool_use_id": trip.call.id, "content": "sunny"}
    ]
    assert trip.sent[0]["system"] == "Be brief." and trip.sent[0]["temperature"] == 0
