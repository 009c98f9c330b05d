"""Unit tests of the OpenAI Responses dialect.

There are no real Responses recordings, so the wire shapes here are checked against the installed
SDK's own types: encoded input items validate as `ResponseInputParam`, hand-written responses and
stream events validate as `Response` / `ResponseStreamEvent` before they are served.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import TypeAdapter

import agentkit as ak
from agentkit.dialects import responses as dialect
from agentkit.dialects.base import ModelRequest, OutputSpec, Turn
from agentkit.emulator import serve
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
from tests.replay._openai_server import serve_canned

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _validate_input(items: list[dict[str, Any]]) -> None:
    from openai.types.responses import ResponseInputParam

    TypeAdapter(ResponseInputParam).validate_python(items)


class FakeTool:
    def __init__(self, name: str) -> None:
        self.name = name
        self.description = f"The {name} tool."

    def to_schema(self, dialect_name: str) -> dict[str, Any]:
        assert dialect_name == "responses"
        return {"type": "function", "name": self.name, "parameters": {"type": "object", "properties": {}}}


REASONING_ITEM = {
    "type": "reasoning",
    "id": "rs_1",
    "summary": [
        {"type": "summary_text", "text": "**Plan**"},
        {"type": "summary_text", "text": "Call the tool."},
    ],
    "encrypted_content": "gAAAAB-opaque-state",
}


def _response(output: list[dict[str, Any]], status: str = "completed", **extra: Any) -> dict[str, Any]:
    """A complete `Response` JSON body, validated against the SDK type."""
    from openai.types.responses import Response

    body = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "model": "gpt-5-mini-2025-08-07",
        "status": status,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": 20,
            "input_tokens_details": {"cached_tokens": 8, "cache_write_tokens": 0},
            "output_tokens": 30,
            "output_tokens_details": {"reasoning_tokens": 12},
            "total_tokens": 50,
        },
        **extra,
    }
    Response.model_validate(body)
    return body


def _message_item(text: str, item_id: str = "msg_1") -> dict[str, Any]:
    return {
        "type": "message",
        "id": item_id,
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def _call_item(arguments: str = '{"city":"Paris"}') -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_A",
        "name": "get_weather",
        "arguments": arguments,
        "status": "completed",
    }


# ------------------------------------------------------------------------------------------ schema


def test_tool_schema_is_the_tools_own_responses_form() -> None:
    assert dialect.tool_schema(FakeTool("f"))["name"] == "f"  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ history


def _history() -> list[Message]:
    return [
        Message.system("You are terse."),
        Message("user", [TextPart("What is this?"), ImagePart(Image(data=PNG, detail="low"))]),
        Message("assistant", [TextPart("Let me check."), ToolCallPart("call_1", "lookup", {"q": "cat"})]),
        Message(
            "tool",
            [
                ToolResultPart(
                    "call_1", "lookup", (TextPart("A cat. "), ImagePart(Image(url="https://x.test/c.png")))
                )
            ],
        ),
        Message("assistant", [TextPart("A cat.")]),
    ]


def test_encode_history_wire_form() -> None:
    items = dialect.encode_history(_history())["input"]
    _validate_input(items)
    assert items == [
        {"role": "system", "content": "You are terse."},
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "What is this?"},
                {"type": "input_image", "image_url": Image(data=PNG).data_url, "detail": "low"},
            ],
        },
        {"role": "assistant", "content": "Let me check."},
        {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": '{"q": "cat"}'},
        {
            "type": "function_call_output",
            "call_id": "call_1",
            "output": [
                {"type": "input_text", "text": "A cat. "},
                {"type": "input_image", "image_url": "https://x.test/c.png", "detail": "auto"},
            ],
        },
        {"role": "assistant", "content": "A cat."},
    ]


def test_neutral_round_trip() -> None:
    history = _history()
    decoded = dialect.decode_history(dialect.encode_history(history))
    assert [m.role for m in decoded] == [m.role for m in history]
    assert decoded[0].text == "You are terse."
    image = decoded[1].parts[1]
    assert isinstance(image, ImagePart) and image.image.data == PNG and image.image.detail == "low"
    assert decoded[2].parts == [
        TextPart("Let me check."),
        ToolCallPart("call_1", "lookup", {"q": "cat"}, dialect="responses"),
    ]
    result = decoded[3].parts[0]
    assert isinstance(result, ToolResultPart) and (result.call_id, result.name, result.text) == (
        "call_1",
        "lookup",
        "A cat. ",
    )
    picture = result.content[1]
    assert isinstance(picture, ImagePart) and picture.image.url == "https://x.test/c.png"


def test_decoded_reply_is_echoed_item_for_item() -> None:
    """Reasoning goes back as it came, with the ids of the items that follow it (OpenAI requires both)."""
    output = [REASONING_ITEM, _message_item("Checking the weather."), _call_item()]
    turn = dialect.decode(_response(output))
    items = dialect.encode_history([turn.message])["input"]
    _validate_input(items)
    assert items == [
        REASONING_ITEM,
        _message_item("Checking the weather."),
        {
            "type": "function_call",
            "call_id": "call_A",
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
            "id": "fc_1",
            "status": "completed",
        },
    ]
    # ...and decoding that input again gives the same neutral message.
    again = dialect.decode_history(items)
    assert again[0].parts == turn.message.parts
    assert again[0].parts[0].extra == turn.message.parts[0].extra


def test_foreign_reasoning_and_signatures_are_not_sent() -> None:
    message = Message(
        "assistant",
        [
            ReasoningPart("thinking", signature="EqQBsigned", dialect="anthropic"),
            ReasoningPart(
                "deepseek thoughts", dialect="openai", extra={"item": {"type": "reasoning", "id": "x"}}
            ),
            TextPart("Hi"),
            ToolCallPart(
                "toolu_01", "f", {}, signature="dGhvdWdodA==", dialect="gemini", extra={"id": "fc_x"}
            ),
        ],
    )
    items = dialect.encode_history([message])["input"]
    _validate_input(items)
    assert items == [
        {"role": "assistant", "content": "Hi"},
        {"type": "function_call", "call_id": "toolu_01", "name": "f", "arguments": "{}"},
    ]


def test_decode_history_fragments_and_tolerance() -> None:
    from openai.types.responses import ResponseFunctionToolCall

    history = dialect.decode_history(
        {
            "instructions": "Be brief.",
            "input": [
                {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Dev."}]},
                {"role": "user", "content": "hi"},
                ResponseFunctionToolCall.model_validate(_call_item()),
                {"type": "function_call_output", "callId": "call_A", "output": "sunny"},
            ],
        }
    )
    assert [m.role for m in history] == ["system", "system", "user", "assistant", "tool"]
    assert history[3].parts == [ToolCallPart("call_A", "get_weather", {"city": "Paris"}, dialect="responses")]
    assert history[4].parts == [ToolResultPart("call_A", "get_weather", (TextPart("sunny"),))]
    assert dialect.decode_history({"input": "just text"}) == [Message.user("just text")]
    with pytest.raises(ValueError, match="'item_reference'"):
        dialect.decode_history([{"type": "item_reference", "id": "msg_1"}])
    with pytest.raises(ValueError, match="file ids"):
        dialect.decode_history([{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}])


def test_an_empty_user_message_is_kept() -> None:
    assert dialect.encode_history([Message("user", [])])["input"] == [{"role": "user", "content": ""}]


def test_content_a_role_cannot_hold_raises_clearly() -> None:
    with pytest.raises(ValueError, match="system message can only hold text"):
        dialect.encode_history([Message("system", [ImagePart(Image(data=PNG))])])
    with pytest.raises(ValueError, match="assistant message cannot hold an image"):
        dialect.encode_history([Message("assistant", [ImagePart(Image(data=PNG))])])
    with pytest.raises(ValueError, match="can only hold tool results"):
        dialect.encode_history([Message("tool", [TextPart("x")])])


# ------------------------------------------------------------------------------------------ encode


def _encode(**kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("model", "gpt-5-mini")
    kwargs.setdefault("history", [Message.user("hi")])
    return dialect.encode(ModelRequest(**kwargs))


def test_encode_options() -> None:
    kwargs = _encode(
        options={"temperature": 0.3, "top_p": 0.5, "max_tokens": 99, "store": False, "stream": True}
    )
    assert kwargs == {
        "model": "gpt-5-mini",
        "input": [{"role": "user", "content": "hi"}],
        "temperature": 0.3,
        "top_p": 0.5,
        "max_output_tokens": 99,
        "store": False,
    }
    assert _encode(options={"reasoning": True})["reasoning"] == {"effort": "medium", "summary": "auto"}
    assert _encode(options={"reasoning": "high"})["reasoning"] == {"effort": "high", "summary": "auto"}
    assert _encode(options={"reasoning": 500})["reasoning"]["effort"] == "low"
    assert _encode(options={"reasoning": {"effort": "low"}})["reasoning"] == {"effort": "low"}
    assert "reasoning" not in _encode(options={"reasoning": False})
    with pytest.raises(ValueError, match=r"no `stop` option \(got \['END'\]\)"):
        _encode(options={"stop": ["END"]})


def test_encode_tools_tool_choice_and_output() -> None:
    tools = [FakeTool("a"), FakeTool("b")]
    assert [t["name"] for t in _encode(tools=tools)["tools"]] == ["a", "b"]
    assert _encode(tools=tools, tool_choice="required")["tool_choice"] == "required"
    assert _encode(tools=tools, tool_choice="b")["tool_choice"] == {"type": "function", "name": "b"}
    with pytest.raises(ValueError, match="'c'"):
        _encode(tools=tools, tool_choice="c")
    schema = {"type": "object", "properties": {}, "additionalProperties": False}
    assert _encode(output=OutputSpec(schema, "Out", strict=False))["text"] == {
        "format": {"type": "json_schema", "name": "Out", "schema": schema, "strict": False}
    }


def test_a_real_tool_encodes_to_the_sdk_tool_type() -> None:
    tools = pytest.importorskip("agentkit.tools", reason="`agentkit.tools` is not built yet")
    from openai.types.responses import FunctionToolParam

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
    TypeAdapter(FunctionToolParam).validate_python(kwargs["tools"][0])
    assert kwargs["tools"][0]["name"] == "get_weather"


# ------------------------------------------------------------------------------------------ decode


def test_decode_dict_and_sdk_object_agree() -> None:
    from openai.types.responses import Response

    body = _response([REASONING_ITEM, _message_item("Hi"), _call_item('{"city": bad')])
    for turn in (dialect.decode(body), dialect.decode(Response.model_validate(body))):
        reasoning, text, call = turn.message.parts
        assert reasoning == ReasoningPart("**Plan**\n\nCall the tool.", dialect="responses")
        assert reasoning.extra["item"] == REASONING_ITEM
        assert text == TextPart("Hi")
        assert call == ToolCallPart("call_A", "get_weather", '{"city": bad', dialect="responses")
        assert turn.finish_reason == "tool_calls" and turn.raw_finish_reason == "completed"
        assert (turn.usage.input_tokens, turn.usage.output_tokens) == (20, 30)
        assert (turn.usage.reasoning_tokens, turn.usage.cached_tokens) == (12, 8)
        assert turn.model == "gpt-5-mini-2025-08-07" and turn.message.dialect == "responses"


def test_decode_finish_reasons() -> None:
    assert dialect.decode(_response([_message_item("Hi")])).finish_reason == "stop"
    cut = _response([_message_item("Hi")], "incomplete", incomplete_details={"reason": "max_output_tokens"})
    turn = dialect.decode(cut)
    assert (turn.finish_reason, turn.raw_finish_reason) == ("length", "max_output_tokens")
    refusal = {
        "type": "message",
        "id": "msg_2",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "refusal", "refusal": "I can't help with that."}],
    }
    turn = dialect.decode(_response([refusal]))
    assert turn.refusal == "I can't help with that." and turn.finish_reason == "refusal"
    failed = dialect.decode(_response([], "failed", error={"code": "server_error", "message": "boom"}))
    assert failed.finish_reason == "other"
    reasoning_text_only = {
        "type": "reasoning",
        "id": "rs_2",
        "summary": [],
        "content": [{"type": "reasoning_text", "text": "raw thoughts"}],
    }
    assert dialect.decode(_response([reasoning_text_only])).message.parts[0].text == "raw thoughts"


# ------------------------------------------------------------------------------------------ stream


def _sse(events: list[dict[str, Any]]) -> str:
    """Documented Responses SSE (`event:` + `data:` lines), each event validated by the SDK's types."""
    from openai.types.responses import ResponseStreamEvent

    adapter: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
    out = []
    for number, event in enumerate(events):
        event = {**event, "sequence_number": number}
        adapter.validate_python(event)
        out.append(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n")
    return "".join(out)


def _stream_events(final_output: list[dict[str, Any]]) -> list[dict[str, Any]]:
    created = _response([], "in_progress")
    reasoning_added = {**REASONING_ITEM, "summary": [], "encrypted_content": None}
    message_added = {**_message_item(""), "content": [], "status": "in_progress"}
    call_added = {**_call_item(""), "status": "in_progress"}
    summary_part = {"type": "summary_text", "text": ""}
    text_part = {"type": "output_text", "text": "", "annotations": []}
    return [
        {"type": "response.created", "response": created},
        {"type": "response.in_progress", "response": created},
        {"type": "response.output_item.added", "output_index": 0, "item": reasoning_added},
        {
            "type": "response.reasoning_summary_part.added",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "part": summary_part,
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "delta": "**Plan**",
        },
        {
            "type": "response.reasoning_summary_part.added",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 1,
            "part": summary_part,
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 1,
            "delta": "Call the tool.",
        },
        {"type": "response.output_item.done", "output_index": 0, "item": REASONING_ITEM},
        {"type": "response.output_item.added", "output_index": 1, "item": message_added},
        {
            "type": "response.content_part.added",
            "item_id": "msg_1",
            "output_index": 1,
            "content_index": 0,
            "part": text_part,
        },
        {
            "type": "response.output_text.delta",
            "item_id": "msg_1",
            "output_index": 1,
            "content_index": 0,
            "delta": "Checking ",
            "logprobs": [],
        },
        {
            "type": "response.output_text.delta",
            "item_id": "msg_1",
            "output_index": 1,
            "content_index": 0,
            "delta": "the weather.",
            "logprobs": [],
        },
        {
            "type": "response.output_text.done",
            "item_id": "msg_1",
            "output_index": 1,
            "content_index": 0,
            "text": "Checking the weather.",
            "logprobs": [],
        },
        {
            "type": "response.output_item.done",
            "output_index": 1,
            "item": _message_item("Checking the weather."),
        },
        {"type": "response.output_item.added", "output_index": 2, "item": call_added},
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_1",
            "output_index": 2,
            "delta": '{"city":',
        },
        {
            "type": "response.function_call_arguments.delta",
            "item_id": "fc_1",
            "output_index": 2,
            "delta": '"Paris"}',
        },
        {
            "type": "response.function_call_arguments.done",
            "item_id": "fc_1",
            "output_index": 2,
            "name": "get_weather",
            "arguments": '{"city":"Paris"}',
        },
        {"type": "response.output_item.done", "output_index": 2, "item": _call_item()},
        {"type": "response.completed", "response": _response(final_output)},
    ]


FULL_OUTPUT = [REASONING_ITEM, _message_item("Checking the weather."), _call_item()]
EXPECTED_DELTAS = [
    ReasoningDelta("**Plan**"),
    ReasoningDelta("\n\n"),
    ReasoningDelta("Call the tool."),
    TextDelta("Checking "),
    TextDelta("the weather."),
    ToolCallDelta(0, "call_A", "get_weather", ""),
    ToolCallDelta(0, None, None, '{"city":'),
    ToolCallDelta(0, None, None, '"Paris"}'),
]


async def _run_stream(sse: str, **request: Any) -> tuple[list[Any], Any]:
    with serve_canned(200, {"content-type": "text/event-stream; charset=utf-8"}, sse) as server:
        relay = ak.Relay(server.url, api_key="sk-test", max_retries=0)
        client = relay.async_client("responses")
        kwargs = dialect.encode(ModelRequest("gpt-5-mini", [Message.user("Weather in Paris?")], **request))
        try:
            items = [item async for item in dialect.stream(client, kwargs)]
        finally:
            await client.close()
    sent = server.requests[0]
    assert sent.path == "/v1/responses"
    return items, sent.body


async def test_stream_yields_deltas_then_the_completed_response() -> None:
    items, sent = await _run_stream(_sse(_stream_events(FULL_OUTPUT)), tools=[FakeTool("get_weather")])
    assert sent["stream"] is True and sent["input"] == [{"role": "user", "content": "Weather in Paris?"}]
    assert sent["tools"][0]["name"] == "get_weather"
    assert items[:-1] == EXPECTED_DELTAS
    turn = items[-1]
    assert isinstance(turn, Turn)
    assert turn.message.parts == dialect.decode(_response(FULL_OUTPUT)).message.parts
    reasoning = turn.message.parts[0]
    assert isinstance(reasoning, ReasoningPart)
    assert reasoning.text == "".join(d.text for d in EXPECTED_DELTAS if isinstance(d, ReasoningDelta))
    assert reasoning.extra["item"]["encrypted_content"] == "gAAAAB-opaque-state"
    assert turn.finish_reason == "tool_calls" and turn.usage.output_tokens == 30


async def test_stream_without_output_in_completed_uses_the_finished_items() -> None:
    """Some proxies send `response.completed` with an empty `output`; the done items are used instead."""
    items, _ = await _run_stream(_sse(_stream_events([])))
    turn = items[-1]
    assert [type(p).__name__ for p in turn.message.parts] == ["ReasoningPart", "TextPart", "ToolCallPart"]
    assert turn.usage.input_tokens == 20


async def test_stream_cut_before_completion_still_ends_with_a_turn() -> None:
    events = _stream_events(FULL_OUTPUT)[:-1]
    items, _ = await _run_stream(_sse(events))
    assert items[:-1] == EXPECTED_DELTAS
    assert items[-1].message.text == "Checking the weather."


@pytest.mark.parametrize(
    ("event", "error_class"),
    [
        (
            {"type": "error", "code": "rate_limit_exceeded", "message": "Slow down.", "param": None},
            ak.RateLimitError,
        ),
        (
            {
                "type": "response.failed",
                "response": _response([], "failed", error={"code": "server_error", "message": "Slow down."}),
            },
            ak.UpstreamError,
        ),
    ],
)
async def test_stream_error_events_raise_mapped_errors(event: dict[str, Any], error_class: type) -> None:
    events = [*_stream_events(FULL_OUTPUT)[:5], event]
    with pytest.raises(Exception) as caught:
        await _run_stream(_sse(events))
    error = ak.Relay("http://127.0.0.1:1").map_error(caught.value, dialect="responses")
    assert type(error) is error_class
    assert error.message == "Slow down." and error.status == 200


class _FakeEvents:
    def __init__(self, events: list[Any]) -> None:
        self.events = events
        self.closed = False

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Any]:
        for event in self.events:
            yield event

    async def close(self) -> None:
        self.closed = True


async def test_stream_closes_the_response_when_the_consumer_stops_early() -> None:
    from openai.types.responses import ResponseStreamEvent

    adapter: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
    events = [
        adapter.validate_python({**e, "sequence_number": i})
        for i, e in enumerate(_stream_events(FULL_OUTPUT))
    ]
    fake = _FakeEvents(events)

    class Client:
        class responses:
            @staticmethod
            async def create(**kwargs: Any) -> _FakeEvents:
                assert kwargs["stream"] is True
                return fake

    generator = dialect.stream(Client(), {"model": "m", "input": []})
    assert await anext(generator) == ReasoningDelta("**Plan**")
    await generator.aclose()
    assert fake.closed


# ------------------------------------------------------------------------------------------ emulator


@pytest.mark.parametrize("streaming", [False, True], ids=["create", "stream"])
async def test_tool_round_trip_against_the_emulator(streaming: bool) -> None:
    """Reasoning + call from the emulator, then the result sent back with the reasoning item echoed."""
    trip = await weather_round_trip(
        dialect, "responses", [Message.user("Weather in Paris?")],
        lambda history, first: ModelRequest("gpt-5-mini", history, [FakeTool("get_weather")],
                                            {"reasoning": True} if first else {}),
        streaming=streaming,
    )
    reasoning = [p for p in trip.first.message.parts if isinstance(p, ReasoningPart)]
    assert [p.text for p in reasoning] == ["Need the weather."]
    echoed = trip.sent[-1]["input"]
    assert echoed[1] == reasoning[0].extra["item"]
    assert echoed[-1] == {"type": "function_call_output", "call_id": trip.call.id, "output": "sunny"}


async def test_against_the_emulator() -> None:
    with serve() as relay:
        client = relay.async_client("responses")
        try:
            kwargs = dialect.encode(ModelRequest("gpt-5-mini", [Message.user("Say hello.")]))
            turn = await dialect.create(client, kwargs)
            items = [item async for item in dialect.stream(client, kwargs)]
        finally:
            await client.close()
    assert isinstance(turn, Turn) and turn.message.dialect == "responses"
    assert turn.finish_reason in ("stop", "tool_calls")
    final = items[-1]
    assert isinstance(final, Turn)
    assert "".join(d.text for d in items[:-1] if isinstance(d, TextDelta)) == final.message.text
