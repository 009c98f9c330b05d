"""Unit tests of the Gemini dialect: history round trips, signatures, call pairing, options, streams."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

import agentkit as ak
from agentkit.dialects import anthropic
from agentkit.dialects import gemini as dialect
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
from tests.replay._replay_server_ag import REALTRAFFIC, replay

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
PNG_B64 = base64.b64encode(PNG).decode()
SIG = [base64.b64encode(bytes([250 + i, 251, 252, 253, 254, 255])).decode() for i in range(5)]  # has + and /
SYNTHETIC = {dialect.SYNTHETIC_ID: True}


class FakeTool:
    """The slice of `ak.Tool` a dialect uses."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.description = f"The {name} tool."

    def to_schema(self, dialect_name: str) -> dict[str, Any]:
        assert dialect_name == "gemini"
        return {
            "name": self.name,
            "description": self.description,
            "parameters_json_schema": {"type": "object"},
        }


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


def _request(history: list[Message], model: str = "gemini-2.5-flash", **kwargs: Any) -> ModelRequest:
    return ModelRequest(model, history, **kwargs)


def _history(*, synthetic: bool = False) -> list[Message]:
    ids = ("call_0_get_weather_abcd1234", "call_1_get_weather_abcd1234") if synthetic else ("fc_1", "fc_2")
    extra = SYNTHETIC if synthetic else {}
    return [
        Message.system("You are terse."),
        Message(
            "user",
            [TextPart("Weather here?"), ImagePart(Image(data=PNG)), ImagePart(Image(url="https://x/a.png"))],
        ),
        Message(
            "assistant",
            [
                ReasoningPart("Two cities.", signature=SIG[0], dialect="gemini"),
                ToolCallPart(
                    ids[0], "get_weather", {"city": "Paris"}, signature=SIG[1], dialect="gemini", extra=extra
                ),
                ToolCallPart(ids[1], "get_weather", {"city": "Rome"}, dialect="gemini", extra=extra),
            ],
            dialect="gemini",
        ),
        Message(
            "tool",
            [  # out of call order on purpose: Gemini wants them in call order
                ToolResultPart(ids[1], "get_weather", (TextPart("no such city"),), is_error=True),
                ToolResultPart(ids[0], "get_weather", (TextPart("sunny"),)),
            ],
        ),
        Message.user("And tomorrow?"),
        Message(
            "assistant",
            [
                ReasoningPart("", signature=SIG[2], dialect="gemini", extra={dialect.SIGNATURE_ON: "text"}),
                TextPart("Rain."),
                ReasoningPart(
                    "", signature=SIG[3], dialect="gemini", extra={dialect.SIGNATURE_ON: "empty_text"}
                ),
            ],
            dialect="gemini",
        ),
    ]


# ------------------------------------------------------------------------------------- schema


def test_tool_schema_is_the_tools_own_gemini_form() -> None:
    @ak.tool
    def get_weather(city: str) -> str:
        """Current weather.

        Args:
            city: City name.
        """
        return "sunny"

    schema = dialect.tool_schema(get_weather)
    assert schema == get_weather.to_schema("gemini")
    assert schema["name"] == "get_weather"


# ------------------------------------------------------------------------------------ history


def test_encode_history_wire_form() -> None:
    fragment = dialect.encode_history(_history(synthetic=True))
    assert fragment == {
        "systemInstruction": {"parts": [{"text": "You are terse."}]},
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "Weather here?"},
                    {"inlineData": {"mimeType": "image/png", "data": PNG_B64}},
                    {"fileData": {"mimeType": "image/png", "fileUri": "https://x/a.png"}},
                ],
            },
            {
                "role": "model",
                "parts": [
                    {"text": "Two cities.", "thought": True, "thoughtSignature": SIG[0]},
                    {
                        "functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
                        "thoughtSignature": SIG[1],
                    },
                    {
                        "functionCall": {"name": "get_weather", "args": {"city": "Rome"}}
                    },  # made-up ids stay home
                ],
            },
            {
                "role": "user",
                "parts": [
                    {"functionResponse": {"name": "get_weather", "response": {"output": "sunny"}}},
                    {"functionResponse": {"name": "get_weather", "response": {"error": "no such city"}}},
                ],
            },
            {"role": "user", "parts": [{"text": "And tomorrow?"}]},
            {
                "role": "model",
                "parts": [
                    {"text": "Rain.", "thoughtSignature": SIG[2]},
                    {"text": "", "thoughtSignature": SIG[3]},
                ],
            },
        ],
    }
    json.dumps(fragment)


def test_neutral_round_trip_with_real_ids() -> None:
    history = _history()
    encoded = dialect.encode_history(history)
    assert encoded["contents"][1]["parts"][1]["functionCall"]["id"] == "fc_1"
    assert encoded["contents"][2]["parts"][0]["functionResponse"]["id"] == "fc_1"
    decoded = dialect.decode_history(encoded)
    expected = [*history[:3], Message("tool", history[3].parts[::-1]), *history[4:]]
    assert comparable(decoded) == comparable(expected)
    assert decoded[5].parts[0].extra == {dialect.SIGNATURE_ON: "text"}  # type: ignore[union-attr]
    assert dialect.encode_history(decoded) == encoded


def test_responses_without_ids_pair_with_calls_by_position_and_name() -> None:
    contents = [
        {"role": "user", "parts": [{"text": "go"}]},
        {
            "role": "model",
            "parts": [
                {"functionCall": {"name": "a", "args": {"n": 1}}},
                {"functionCall": {"name": "b", "args": {}}},
                {"functionCall": {"name": "a", "args": {"n": 2}}},
            ],
        },
        {
            "role": "user",
            "parts": [  # b answered first: pairing goes by name, then by position among same names
                {"functionResponse": {"name": "b", "response": {"output": "B"}}},
                {"functionResponse": {"name": "a", "response": {"output": "A1"}}},
                {"functionResponse": {"name": "a", "response": {"output": "A2"}}},
            ],
        },
    ]
    history = dialect.decode_history(contents)
    calls = history[1].tool_calls
    results = history[2].tool_results
    assert len({c.id for c in calls}) == 3 and all(c.extra == SYNTHETIC for c in calls)
    by_id = {r.call_id: r.text for r in results}
    assert [by_id[c.id] for c in calls] == ["A1", "B", "A2"]
    again = dialect.encode_history(history)["contents"][2]["parts"]
    assert [p["functionResponse"]["response"]["output"] for p in again] == ["A1", "B", "A2"]  # call order


def test_a_turn_split_over_several_contents_pairs_as_one() -> None:
    """Per-chunk contents (as google-genai's chats keep streamed replies) and per-result contents."""
    contents = [
        {"role": "user", "parts": [{"text": "go"}]},
        {
            "role": "model",
            "parts": [{"functionCall": {"name": "a", "args": {"n": 1}}, "thoughtSignature": SIG[0]}],
        },
        {"role": "model", "parts": [{"functionCall": {"name": "a", "args": {"n": 2}}}]},
        {"role": "model", "parts": [{"text": "", "thoughtSignature": SIG[1]}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "a", "response": {"output": "1"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "a", "response": {"output": "2"}}}]},
    ]
    history = dialect.decode_history(contents)
    calls = [c for m in history[1:4] for c in m.tool_calls]
    results = [r for m in history[4:] for r in m.tool_results]
    assert [r.call_id for r in results] == [c.id for c in calls] and len({c.id for c in calls}) == 2
    again = dialect.encode_history(history)["contents"]
    assert [c["role"] for c in again] == ["user", "model", "model", "model", "user"]
    assert [p["functionResponse"]["response"]["output"] for p in again[4]["parts"]] == ["1", "2"]
    assert again[1]["parts"][0]["thoughtSignature"] == SIG[0]


def test_synthetic_ids_survive_a_round_trip_as_pairs() -> None:
    decoded = dialect.decode_history(dialect.encode_history(_history(synthetic=True)))
    calls, results = decoded[2].tool_calls, decoded[3].tool_results
    assert [c.arguments for c in calls] == [{"city": "Paris"}, {"city": "Rome"}]
    assert [r.call_id for r in results] == [c.id for c in calls]
    assert [r.is_error for r in results] == [False, True]


def test_decode_history_tolerates_spellings_sdk_objects_and_fragments() -> None:
    from google.genai import types

    url_safe = SIG[1].replace("+", "-").replace("/", "_").rstrip("=")
    model_turn = types.Content(
        role="model",
        parts=[
            types.Part(text="hm", thought=True),
            types.Part(
                function_call=types.FunctionCall(name="f", args={"x": 1}),
                thought_signature=base64.b64decode(SIG[1]),
            ),
        ],
    )
    kwargs_form = {
        "model": "gemini-2.5-flash",
        "contents": [
            "Hi",
            model_turn,
            {
                "role": "user",
                "parts": [{"function_response": {"name": "f", "response": {"result": {"y": 2}}}}],
            },
            {
                "role": "model",
                "parts": [{"function_call": {"name": "f", "args": {}}, "thought_signature": url_safe}],
            },
        ],
        "config": {"system_instruction": "Sys"},
    }
    history = dialect.decode_history(kwargs_form)
    assert [m.role for m in history] == ["system", "user", "assistant", "tool", "assistant"]
    assert history[0].text == "Sys" and history[1].text == "Hi"
    first, second = history[2].tool_calls[0], history[4].tool_calls[0]
    assert first.signature == SIG[1] == second.signature  # standard base64, whatever came in
    assert history[2].parts[0] == ReasoningPart("hm", dialect="gemini")
    assert history[3].tool_results == [ToolResultPart(first.id, "f", (TextPart('{"y": 2}'),))]
    assert first.id != second.id
    camel = {
        "systemInstruction": {"parts": [{"text": "A"}, {"text": "B"}]},
        "contents": [{"parts": [{"text": "x"}]}],
    }
    assert dialect.decode_history(camel) == [Message.system("A\n\nB"), Message.user("x")]
    assert dialect.decode_history({"role": "user", "parts": [{"text": "x"}]}) == [Message.user("x")]


RESPONSE_OBJECTS = {
    "result": {"result": "The result of 15 * 8 is 120"},
    "result object": {"result": {"value": 120, "unit": None, "steps": [15, 8]}},
    "arbitrary keys": {"value": 120, "source": "calculator"},
    "nested": {"table": [{"row": 1, "cells": ["a", {"b": [True, 2.5]}]}], "note": "é"},
    "error": {"error": "division by zero"},
    "output": {"output": "120"},
}


def _imported(response: dict[str, Any]) -> dict[str, Any]:
    """A Gemini conversation as a user holds it: a call, its result in `response`, a new question."""
    return {
        "systemInstruction": {"parts": [{"text": "Use the calculator."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "15 * 8?"}]},
            {
                "role": "model",
                "parts": [{"functionCall": {"name": "calculator", "args": {"expr": "15 * 8"}}}],
            },
            {"role": "user", "parts": [{"functionResponse": {"name": "calculator", "response": response}}]},
            {"role": "model", "parts": [{"text": "120."}]},
            {"role": "user", "parts": [{"text": "And halved?"}]},
        ],
    }


@pytest.mark.parametrize("response", list(RESPONSE_OBJECTS.values()), ids=list(RESPONSE_OBJECTS))
async def test_an_imported_tool_result_goes_back_to_gemini_unchanged(response: dict[str, Any]) -> None:
    """What was received in Gemini's form goes back in that form: `from_dialect`, then an agent's request."""
    history = ak.from_dialect("gemini", json.loads(json.dumps(_imported(response))))
    kwargs = dialect.encode(_request(history))
    [part] = kwargs["contents"][2]["parts"]
    assert part == {"functionResponse": {"name": "calculator", "response": response}}
    with serve() as relay:
        agent = ak.Agent("gemini-2.5-flash", relay=relay, display=False)
        agent.history = history
        await agent.arun("Go on.")
        [record] = relay.emulator.log.for_door("gemini")
    [part] = record.body["contents"][2]["parts"]
    assert part == {"functionResponse": {"name": "calculator", "response": response}}
    assert record.body["contents"][:2] == _imported(response)["contents"][:2]
    # The neutral text still serves the other dialects.
    [result] = history[3].tool_results
    assert result.is_error == ("error" in response)
    blocks = anthropic.encode_history(history)["messages"][2]["content"]
    assert blocks[0]["content"] == result.text and result.text


def test_a_changed_tool_result_is_sent_as_its_new_text() -> None:
    """The imported object goes back only while the result still says what it said."""
    import dataclasses

    history = dialect.decode_history(_imported({"result": "120"}))
    [result] = history[3].tool_results
    history[3].parts[0] = dataclasses.replace(result, content=(TextPart("121"),))
    [part] = dialect.encode_history(history)["contents"][2]["parts"]
    assert part["functionResponse"]["response"] == {"output": "121"}


def test_decode_history_rejects_what_it_cannot_carry() -> None:
    with pytest.raises(ValueError, match="executableCode"):
        dialect.decode_history([{"role": "user", "parts": [{"executableCode": {"code": "1"}}]}])
    with pytest.raises(ValueError, match="'robot'"):
        dialect.decode_history([{"role": "robot", "parts": [{"text": "x"}]}])
    with pytest.raises(ValueError, match="Expected Gemini contents"):
        dialect.decode_history(42)


def test_foreign_history_from_an_anthropic_recording_has_no_signature() -> None:
    path = REALTRAFFIC / "anthropic" / "h_thinking_multi_turn_echo__sonnet4.json"
    if not path.exists():
        pytest.skip(f"{path} is not available")
    body = json.loads(path.read_text())["request"]["body"]
    history = anthropic.decode_history(body)
    assert any(isinstance(p, ReasoningPart) and p.signature for m in history for p in m.parts)
    contents = dialect.encode_history(history)["contents"]
    assert "thoughtSignature" not in json.dumps(contents) and "thought" not in json.dumps(contents)
    assert contents[1] == {
        "role": "model",
        "parts": [
            {"text": "I'll help you find the largest city in your country. First, let me determine which country you're from."},
            {"functionCall": {"name": "get_user_country", "args": {}, "id": "toolu_01YGzqpRE16Vricda3Aqcejo"}},
        ],
    }  # fmt: skip
    assert contents[2] == {
        "role": "user",
        "parts": [
            {
                "functionResponse": {
                    "name": "get_user_country",
                    "id": "toolu_01YGzqpRE16Vricda3Aqcejo",
                    "response": {"output": "Mexico"},
                }
            }
        ],
    }
    # Gemini 3 rejects unsigned replayed calls: they get Google's documented stand-in signature.
    kwargs = dialect.encode(_request(history, model="gemini-3-pro-preview"))
    assert kwargs["contents"][1]["parts"][1]["thoughtSignature"] == dialect.SKIP_SIGNATURE
    assert "thoughtSignature" not in json.dumps(dialect.encode(_request(history))["contents"])


def test_stand_in_signature_goes_only_where_gemini_3_needs_it() -> None:
    history = _history()
    history[2] = Message("assistant", [p for p in history[2].parts if isinstance(p, ToolCallPart)])
    signed = dialect.encode(_request(history, model="models/gemini-3-flash"))["contents"][1]["parts"]
    assert [p.get("thoughtSignature") for p in signed] == [SIG[1], None]  # its own signature kept
    unsigned = [
        Message.user("q"),
        Message("assistant", [ToolCallPart("c1", "f", {}), ToolCallPart("c2", "g", {})]),
    ]
    parts = dialect.encode(_request(unsigned, model="gemini-3.1-pro"))["contents"][1]["parts"]
    assert [p.get("thoughtSignature") for p in parts] == [dialect.SKIP_SIGNATURE, None]  # like parallel calls
    parts = dialect.encode(_request(unsigned, model="gemini-2.5-pro"))["contents"][1]["parts"]
    assert [p.get("thoughtSignature") for p in parts] == [None, None]


def test_foreign_reasoning_and_signatures_are_dropped() -> None:
    message = Message(
        "assistant",
        [
            ReasoningPart("deepseek thoughts", dialect="openai"),
            ReasoningPart("claude thinking", signature="c2ln", dialect="anthropic"),
            TextPart("answer"),
            ToolCallPart("toolu_1", "f", '{"a": 1', signature="c2ln", dialect="anthropic"),
        ],
    )
    [content] = dialect.encode_history([message])["contents"]
    assert content["parts"] == [
        {"text": "answer"},
        {"functionCall": {"name": "f", "args": {"raw_arguments": '{"a": 1'}, "id": "toolu_1"}},
    ]


def test_images_in_tool_results_travel_as_response_parts() -> None:
    history = [
        Message.user("snap"),
        Message("assistant", [ToolCallPart("c1", "snap", {})]),
        Message("tool", [ToolResultPart("c1", "snap", (TextPart("a cat"), ImagePart(Image(data=PNG))))]),
    ]
    contents = dialect.encode_history(history)["contents"]
    assert contents[2]["parts"] == [
        {
            "functionResponse": {
                "name": "snap",
                "id": "c1",
                "response": {"output": "a cat"},
                "parts": [{"inlineData": {"mimeType": "image/png", "data": PNG_B64}}],
            }
        }
    ]
    decoded = dialect.decode_history(contents)
    assert comparable(decoded[2].tool_results) == comparable(history[2].tool_results)


def test_content_a_role_cannot_hold_raises_clearly() -> None:
    with pytest.raises(ValueError, match="system message can only hold text"):
        dialect.encode_history([Message("system", [ImagePart(Image(data=PNG))])])
    with pytest.raises(ValueError, match="tool result for call 'x'"):
        dialect.encode_history([Message("assistant", [ToolResultPart("x", "f", ())])])
    with pytest.raises(ValueError, match="tool call 'f'"):
        dialect.encode_history([Message("user", [ToolCallPart("x", "f", {})])])
    with pytest.raises(ValueError, match="holds reasoning"):
        dialect.encode_history([Message("user", [ReasoningPart("r")])])


# ------------------------------------------------------------------------------------- encode


def test_encode_options() -> None:
    kwargs = dialect.encode(
        _request(
            [Message.system("Sys"), Message.user("hi")],
            options={
                "temperature": 0.2,
                "top_p": 0.9,
                "top_k": 5,
                "max_tokens": 100,
                "stop": "END",
                "seed": 7,
                "parallel_tool_calls": False,
                "config": {"candidate_count": 1},
            },
        )
    )
    assert kwargs == {
        "model": "gemini-2.5-flash",
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "config": {
            "candidate_count": 1,
            "system_instruction": {"parts": [{"text": "Sys"}]},
            "temperature": 0.2,
            "top_p": 0.9,
            "top_k": 5,
            "max_output_tokens": 100,
            "stop_sequences": ["END"],
            "automatic_function_calling": {"disable": True},
            "seed": 7,
        },
    }
    with pytest.raises(ValueError, match="at least one content"):
        dialect.encode(_request([Message.system("only")]))


@pytest.mark.parametrize(
    ("reasoning", "thinking"),
    [
        (True, {"include_thoughts": True}),
        ("low", {"include_thoughts": True, "thinking_budget": 1024}),
        ("high", {"include_thoughts": True, "thinking_budget": 24576}),
        (2000, {"include_thoughts": True, "thinking_budget": 2000}),
        (0, {"include_thoughts": False, "thinking_budget": 0}),
        ({"thinking_level": "low"}, {"thinking_level": "low"}),
    ],
)
def test_encode_reasoning(reasoning: Any, thinking: dict[str, Any]) -> None:
    assert (
        dialect.encode(_request([Message.user("hi")], options={"reasoning": reasoning}))["config"][
            "thinking_config"
        ]
        == thinking
    )


def test_encode_reasoning_off_and_invalid() -> None:
    assert (
        "thinking_config"
        not in dialect.encode(_request([Message.user("hi")], options={"reasoning": False}))["config"]
    )
    with pytest.raises(ValueError, match="'extreme'"):
        dialect.encode(_request([Message.user("hi")], options={"reasoning": "extreme"}))


def test_encode_tools_and_tool_choice() -> None:
    tools = [FakeTool("a"), FakeTool("b")]

    def config(choice: Any) -> dict[str, Any]:
        request = _request([Message.user("hi")], tools=tools, tool_choice=choice)
        result: dict[str, Any] = dialect.encode(request)["config"]
        return result

    assert config(None)["tools"] == [{"function_declarations": [t.to_schema("gemini") for t in tools]}]
    assert config(None)["automatic_function_calling"] == {"disable": True}
    assert "tool_config" not in config(None)
    assert config("auto")["tool_config"] == {"function_calling_config": {"mode": "AUTO"}}
    assert config("required")["tool_config"] == {"function_calling_config": {"mode": "ANY"}}
    assert config("none")["tool_config"] == {"function_calling_config": {"mode": "NONE"}}
    assert config("b")["tool_config"] == {
        "function_calling_config": {"mode": "ANY", "allowed_function_names": ["b"]}
    }
    with pytest.raises(ValueError, match="'c'"):
        config("c")
    with pytest.raises(ValueError, match="needs tools"):
        dialect.encode(_request([Message.user("hi")], tool_choice="required"))


def test_encode_structured_output() -> None:
    schema = {"type": "object", "properties": {"x": {"type": ["integer", "null"]}}}
    config = dialect.encode(_request([Message.user("hi")], output=OutputSpec(schema)))["config"]
    assert config["response_mime_type"] == "application/json"
    assert config["response_json_schema"] == schema


# ------------------------------------------------------------------------------------- decode


def _reply(parts: list[dict[str, Any]], finish: str = "STOP", **extra: Any) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}],
        "usageMetadata": {
            "promptTokenCount": 100,
            "candidatesTokenCount": 20,
            "thoughtsTokenCount": 30,
            "cachedContentTokenCount": 60,
            "toolUsePromptTokenCount": 5,
            "totalTokenCount": 155,
        },
        "modelVersion": "gemini-x",
        "responseId": "resp-1",
        **extra,
    }


def test_decode_dict_and_sdk_object_agree_and_keep_every_signature() -> None:
    from google.genai import types

    body = _reply(
        [
            {"text": "plan", "thought": True, "thoughtSignature": SIG[0]},
            {"text": "Calling.", "thoughtSignature": SIG[1]},
            {"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": SIG[2]},
            {"functionCall": {"name": "g", "args": {}}},
            {"text": "", "thoughtSignature": SIG[3]},
        ]
    )
    turn = dialect.decode(body)
    assert dialect.decode(types.GenerateContentResponse.model_validate(body)) == turn
    parts = turn.message.parts
    assert parts[:3] == [
        ReasoningPart("plan", signature=SIG[0], dialect="gemini"),
        ReasoningPart("", signature=SIG[1], dialect="gemini"),
        TextPart("Calling."),
    ]
    assert parts[1].extra == {dialect.SIGNATURE_ON: "text"}  # type: ignore[union-attr]
    assert parts[5].extra == {dialect.SIGNATURE_ON: "empty_text"}  # type: ignore[union-attr]
    f, g = turn.message.tool_calls
    assert (f.name, f.arguments, f.signature, g.signature) == ("f", {"a": 1}, SIG[2], None)
    assert f.id.startswith("call_0_f_") and g.id.startswith("call_1_g_") and f.extra == SYNTHETIC
    assert dialect.decode(body).message.tool_calls[0].id == f.id  # stable
    assert dialect.decode({**body, "responseId": "resp-2"}).message.tool_calls[0].id != f.id
    assert turn.usage == ak.Usage(input_tokens=105, output_tokens=50, reasoning_tokens=30, cached_tokens=60)
    assert (turn.finish_reason, turn.raw_finish_reason, turn.model) == ("tool_calls", "STOP", "gemini-x")
    # Echoed back, every signature is on the part it came on (URL-safe or not, the bytes are equal).
    again = dialect.encode_history([turn.message])["contents"][0]["parts"]
    assert again == [
        {"text": "plan", "thought": True, "thoughtSignature": SIG[0]},
        {"text": "Calling.", "thoughtSignature": SIG[1]},
        {"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": SIG[2]},
        {"functionCall": {"name": "g", "args": {}}},
        {"text": "", "thoughtSignature": SIG[3]},
    ]


@pytest.mark.parametrize(
    ("finish", "neutral"),
    [
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "other"),
        ("STOP", "stop"),
    ],
)
def test_decode_finish_reasons(finish: str, neutral: str) -> None:
    turn = dialect.decode(_reply([{"text": "x"}], finish))
    assert (turn.finish_reason, turn.raw_finish_reason) == (neutral, finish)


def test_decode_blocked_prompt_and_images() -> None:
    blocked = dialect.decode({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "modelVersion": "g"})
    assert (blocked.finish_reason, blocked.raw_finish_reason, blocked.message.parts) == (
        "content_filter",
        "PROHIBITED_CONTENT",
        [],
    )
    image = dialect.decode(_reply([{"inlineData": {"mimeType": "image/png", "data": PNG_B64}}]))
    [part] = image.message.parts
    assert isinstance(part, ImagePart) and part.image.data == PNG


# ------------------------------------------------------------------------------------- stream


def _sse(*chunks: dict[str, Any]) -> str:
    return "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in chunks)


def _chunk(parts: list[dict[str, Any]], finish: str | None = None, tokens: int = 1) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    usage = {"promptTokenCount": 10, "candidatesTokenCount": tokens, "thoughtsTokenCount": 7}
    return {
        "candidates": [candidate],
        "usageMetadata": usage,
        "modelVersion": "gemini-s",
        "responseId": "r-s",
    }


STREAM = _sse(
    _chunk([{"text": "Think ", "thought": True}]),
    _chunk([{"text": "hard.", "thought": True, "thoughtSignature": SIG[0]}]),  # a signature: a new part
    _chunk([{"text": "Hello", "thoughtSignature": SIG[1]}]),
    _chunk([{"text": " world."}]),
    _chunk([{"functionCall": {"name": "f", "args": {"q": "x"}}, "thoughtSignature": SIG[2]}]),
    _chunk([{"functionCall": {"name": "g", "args": {}}}]),
    _chunk([{"text": "", "thoughtSignature": SIG[3]}], finish="STOP", tokens=9),
)


async def test_stream_deltas_merge_and_signatures() -> None:
    recording = {
        "status": 200,
        "stream": True,
        "response_body": STREAM,
        "response_headers": {"content-type": "text/event-stream"},
    }
    with replay(recording) as server:
        relay = ak.Relay(server.url, api_key="sk-test", max_retries=0)
        client = relay.async_client("gemini")
        items = [
            item async for item in dialect.stream(client, dialect.encode(_request([Message.user("hi")])))
        ]
        [sent] = server.posts
    assert sent.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent" and "alt=sse" in sent.query
    *deltas, turn = items
    assert isinstance(turn, Turn)
    f, g = turn.message.tool_calls
    assert deltas == [
        ReasoningDelta("Think "),
        ReasoningDelta("hard."),
        TextDelta("Hello"),
        TextDelta(" world."),
        ToolCallDelta(0, id=f.id, name="f", arguments='{"q": "x"}'),
        ToolCallDelta(1, id=g.id, name="g", arguments="{}"),
    ]
    assert turn.message.parts[:4] == [
        ReasoningPart("Think ", dialect="gemini"),
        ReasoningPart("hard.", signature=SIG[0], dialect="gemini"),
        ReasoningPart("", signature=SIG[1], dialect="gemini"),
        TextPart("Hello world."),
    ]
    assert turn.usage == ak.Usage(input_tokens=10, output_tokens=16, reasoning_tokens=7)
    assert (turn.finish_reason, turn.model) == ("tool_calls", "gemini-s")
    assert dialect.encode_history([turn.message])["contents"][0]["parts"] == [
        {"text": "Think ", "thought": True},
        {"text": "hard.", "thought": True, "thoughtSignature": SIG[0]},
        {"text": "Hello world.", "thoughtSignature": SIG[1]},
        {"functionCall": {"name": "f", "args": {"q": "x"}}, "thoughtSignature": SIG[2]},
        {"functionCall": {"name": "g", "args": {}}},
        {"text": "", "thoughtSignature": SIG[3]},
    ]


class _FakeModels:
    """`client.models` whose stream is an async generator we can watch being closed."""

    def __init__(self, chunks: list[Any]) -> None:
        self.chunks = chunks
        self.closed = False
        self.models = self
        self.sent: dict[str, Any] = {}

    async def generate_content_stream(self, **kwargs: Any) -> AsyncIterator[Any]:
        self.sent = kwargs

        async def generator() -> AsyncIterator[Any]:
            try:
                for chunk in self.chunks:
                    yield chunk
            finally:
                self.closed = True

        return generator()


async def test_stream_closes_the_response_when_the_consumer_stops_early() -> None:
    from google.genai import types

    chunks = [types.GenerateContentResponse.model_validate(_chunk([{"text": w}])) for w in ("a", "b", "c")]
    client = _FakeModels(chunks)
    generator: Any = dialect.stream(client, {"model": "m", "contents": [], "config": {}})
    assert await anext(generator) == TextDelta("a")
    await generator.aclose()
    assert client.closed


# ----------------------------------------------------------------------------------- emulator


@pytest.mark.parametrize("streaming", [False, True], ids=["create", "stream"])
async def test_tool_round_trip_against_the_emulator(streaming: bool) -> None:
    trip = await weather_round_trip(
        dialect,
        "gemini",
        [Message.system("Be brief."), Message.user("Weather in Paris?")],
        lambda history, first: _request(
            history, tools=[FakeTool("get_weather")], options={"temperature": 0} if first else {}
        ),
        streaming=streaming,
    )
    assert trip.second.usage.input_tokens > 0
    contents = trip.sent[-1]["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    [response] = contents[2]["parts"]
    assert response["functionResponse"]["name"] == "get_weather"
    assert response["functionResponse"]["response"] == {"output": "sunny"}
