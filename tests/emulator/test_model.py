"""The rule-based model, schema filling and image sniffing, tested as pure functions (no server)."""

from __future__ import annotations

import io
import json
import struct
import zlib
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentkit.emulator.images import decode_base64, parse_data_url, sniff_image
from agentkit.emulator.model import is_reasoning_model, respond
from agentkit.emulator.neutral import (
    ChatRequest,
    ImageInput,
    Message,
    ToolCall,
    ToolChoice,
    ToolResult,
    ToolSpec,
)
from agentkit.emulator.schema_fill import PromptValues, fill


def png_bytes(width: int, height: int) -> bytes:
    """A valid RGB PNG of the given size, built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x00" * (width * 3) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def request(text: str = "", *, tools: list[ToolSpec] | None = None, **fields: Any) -> ChatRequest:
    messages = fields.pop("messages", None) or [Message("user", text)]
    return ChatRequest(
        door="openai", model=fields.pop("model", "gpt-4o"), messages=messages, tools=tools or [], **fields
    )


WEATHER = ToolSpec(
    "get_weather",
    "Get the current weather in a given location",
    {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city"],
    },
)


# -- tool choice -----------------------------------------------------------------------------------


def test_a_tool_named_in_the_prompt_is_called_with_arguments_from_the_prompt() -> None:
    reply = respond(request("What is the weather in Paris?", tools=[WEATHER]))
    assert reply.finish == "tool_calls"
    assert [(c.name, json.loads(c.arguments)) for c in reply.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]


def test_optional_enum_arguments_appear_only_when_the_prompt_names_a_value() -> None:
    plain = respond(request("weather in Oslo", tools=[WEATHER])).tool_calls[0]
    unit = respond(request("weather in Oslo in fahrenheit please", tools=[WEATHER])).tool_calls[0]
    assert json.loads(plain.arguments) == {"city": "Oslo"}
    assert json.loads(unit.arguments) == {"city": "Oslo", "unit": "fahrenheit"}


def test_a_list_of_names_fans_out_to_parallel_calls_of_one_tool() -> None:
    reply = respond(request("What's the weather like in San Francisco and Boston?", tools=[WEATHER]))
    assert [json.loads(c.arguments)["city"] for c in reply.tool_calls] == ["San Francisco", "Boston"]
    assert len({c.id for c in reply.tool_calls}) == 2


def test_two_mentioned_tools_are_called_in_mention_order_with_their_own_values() -> None:
    path_schema = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}
    tools = [ToolSpec("create_file", "", path_schema), ToolSpec("delete_file", "", path_schema)]
    reply = respond(request("Delete the file `.env` and create `test.txt`", tools=tools))
    assert [(c.name, json.loads(c.arguments)) for c in reply.tool_calls] == [
        ("delete_file", {"path": ".env"}),
        ("create_file", {"path": "test.txt"}),
    ]


def test_a_distinctive_description_word_selects_a_tool() -> None:
    tool = ToolSpec("lookup", "Find a recipe for a dish", {"type": "object", "properties": {}})
    assert respond(request("Any recipe ideas?", tools=[tool])).tool_calls[0].name == "lookup"
    assert respond(request("Hello", tools=[tool])).tool_calls == []


def test_numbers_in_the_prompt_fill_number_arguments() -> None:
    multiply = ToolSpec(
        "multiply",
        "Multiply two numbers.",
        {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    )
    reply = respond(request("Please multiply 1231 by 2331", tools=[multiply]))
    assert json.loads(reply.tool_calls[0].arguments) == {"a": 1231, "b": 2331}


def test_a_tool_that_needs_another_tools_output_waits_for_it() -> None:
    lookup = ToolSpec(
        "lookup_population",
        "Returns the current population of the specified fictional country",
        {"type": "object", "properties": {"country": {"type": "string"}}, "required": ["country"]},
    )
    dragons = ToolSpec(
        "can_have_dragons",
        "Returns True if the specified population can have dragons, False otherwise",
        {"type": "object", "properties": {"population": {"type": "integer"}}, "required": ["population"]},
    )
    prompt = "Can the country of Crumpet have dragons? Answer with only YES or NO"
    first = respond(request(prompt, tools=[lookup, dragons]))
    assert [(c.name, json.loads(c.arguments)) for c in first.tool_calls] == [
        ("lookup_population", {"country": "Crumpet"})
    ]
    history = [
        Message("user", prompt),
        Message("assistant", tool_calls=first.tool_calls),
        Message("tool", tool_results=[ToolResult(first.tool_calls[0].id, None, "123124")]),
    ]
    second = respond(request(messages=history, tools=[lookup, dragons]))
    assert [(c.name, json.loads(c.arguments)) for c in second.tool_calls] == [
        ("can_have_dragons", {"population": 123124})
    ]
    history += [
        Message("assistant", tool_calls=second.tool_calls),
        Message("tool", tool_results=[ToolResult(second.tool_calls[0].id, None, "true")]),
    ]
    third = respond(request(messages=history, tools=[lookup, dragons]))
    assert third.tool_calls == [] and third.text == "can_have_dragons returned true."


def test_tool_results_are_reported_by_tool_name() -> None:
    history = [
        Message("user", "weather in Paris"),
        Message("assistant", tool_calls=[ToolCall("call_1", "get_weather", '{"city": "Paris"}')]),
        Message(
            "tool",
            tool_results=[
                ToolResult("call_1", None, '{"temp": 21}'),
                ToolResult(None, "other", "boom", True),
            ],
        ),
    ]
    reply = respond(request(messages=history, tools=[WEATHER]))
    assert reply.text == 'get_weather returned {"temp": 21}; other failed: boom.'
    assert reply.finish == "stop"


def test_tool_choice_none_and_required() -> None:
    assert (
        respond(request("weather in Paris", tools=[WEATHER], tool_choice=ToolChoice("none"))).tool_calls == []
    )
    forced = respond(request("Hello", tools=[WEATHER], tool_choice=ToolChoice("required")))
    assert forced.tool_calls[0].name == "get_weather"
    assert json.loads(forced.tool_calls[0].arguments) == {"city": "example city"}


def test_parallel_calls_can_be_disabled() -> None:
    reply = respond(
        request("weather in Paris and London", tools=[WEATHER], tool_choice=ToolChoice(parallel=False))
    )
    assert len(reply.tool_calls) == 1


# -- other answers -----------------------------------------------------------------------------------


def test_plain_prompts_get_an_honest_answer_quoting_them() -> None:
    reply = respond(request("  Tell me   something  "))
    assert 'cannot answer "Tell me something"' in reply.text
    assert reply.reasoning is None
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0


def test_structured_output_is_valid_and_filled_from_the_prompt() -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "population": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["city", "population", "tags"],
        "additionalProperties": False,
    }
    reply = respond(request("Tell me about London, population 9002488", output_schema=schema))
    value = json.loads(reply.text or "")
    jsonschema.validate(value, schema)
    assert value["city"] == "London" and value["population"] == 9002488


def test_images_are_described_from_their_header_bytes() -> None:
    message = Message(
        "user",
        "What is this?",
        images=[ImageInput(data=png_bytes(64, 48)), ImageInput(url="https://x.test/a.jpg")],
    )
    reply = respond(request(messages=[message]))
    assert reply.text == (
        'Image 1 is a PNG image, 64x48 pixels. Image 2 is a remote image at https://x.test/a.jpg. You asked: "What is this?"'
    )


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("deepseek-r1", True),
        ("deepseek/deepseek-r1", True),
        ("deepseek-reasoner", True),
        ("qwen-r1-distill", True),
        ("o1-mini", True),
        ("o3", True),
        ("claude-sonnet-4-5-thinking", True),
        ("gpt-4o", False),
        ("deepseek-chat", False),
        ("gemini-2.5-flash", False),
        ("pro1", False),
    ],
)
def test_reasoning_model_names(model: str, expected: bool) -> None:
    assert is_reasoning_model(model) is expected


def test_reasoning_is_shown_only_when_requested() -> None:
    reply = respond(request("Hi", reasoning=True))
    assert reply.reasoning is not None and "Hi" in reply.reasoning
    assert reply.usage.reasoning_tokens > 0
    assert reply.usage.completion_tokens >= reply.usage.reasoning_tokens


def test_the_model_is_deterministic() -> None:
    first = respond(request("weather in Paris and Rome", tools=[WEATHER]))
    second = respond(request("weather in Paris and Rome", tools=[WEATHER]))
    assert first == second


def test_max_tokens_truncates_text_with_a_length_finish() -> None:
    reply = respond(request(" ".join(["word"] * 100), max_tokens=8))
    assert reply.finish == "length"
    assert len((reply.text or "").split()) <= 6


# -- schema filling ------------------------------------------------------------------------------------


def test_fill_resolves_refs_and_nullable_unions() -> None:
    schema = {
        "$defs": {
            "Address": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
        },
        "type": "object",
        "properties": {
            "home": {"$ref": "#/$defs/Address"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "age": {"type": ["integer", "null"]},
        },
        "required": ["home", "note", "age"],
        "additionalProperties": False,
    }
    value = fill(schema, "I live in Lisbon")
    assert value == {"home": {"city": "Lisbon"}, "note": None, "age": None}
    jsonschema.validate(value, schema)


def test_fill_respects_constraints() -> None:
    schema = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "count": {"type": "integer", "minimum": 5, "maximum": 9},
            "ratio": {"type": "number", "exclusiveMaximum": 1},
            "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2},
            "when": {"type": "string", "format": "date-time"},
            "email": {"type": "string"},
        },
        "required": ["code", "count", "ratio", "items", "when", "email"],
    }
    value = fill(schema, "count 42, write to ana@example.org")
    jsonschema.validate(value, schema)
    assert value["count"] == 9 and value["email"] == "ana@example.org"


def test_fill_picks_the_enum_value_the_prompt_mentions() -> None:
    schema = {"type": "object", "properties": {"size": {"enum": ["small", "large"]}}, "required": ["size"]}
    assert fill(schema, "a LARGE one") == {"size": "large"}
    assert fill(schema, "any") == {"size": "small"}


def test_prompt_values_extraction() -> None:
    values = PromptValues(
        'Email bo@x.io about "Project X" in New York, see https://a.test/b. Budget 1,200.50 or 3'
    )
    assert values.emails == ["bo@x.io"]
    assert values.urls == ["https://a.test/b"]
    assert values.quoted == ["Project X"]
    assert values.proper[0] == "New York"  # sentence-initial "Email" and "Budget" come last
    assert values.numbers == [1200.5, 3]


_LEAF = st.sampled_from(
    [
        {"type": "string"},
        {"type": "integer", "minimum": 3},
        {"type": "number", "maximum": -2},
        {"type": "boolean"},
        {"type": "null"},
        {"enum": ["a", "b"]},
        {"type": "string", "minLength": 12},
        {"type": "string", "format": "email"},
        {"anyOf": [{"type": "string"}, {"type": "null"}]},
        {"type": ["integer", "null"]},
        {"const": 7},
    ]
)


def _objects(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    def build(props: dict[str, dict[str, Any]], required_mask: list[bool]) -> dict[str, Any]:
        names = list(props)
        return {
            "type": "object",
            "properties": props,
            "required": [n for n, r in zip(names, required_mask, strict=False) if r],
            "additionalProperties": False,
        }

    props = st.dictionaries(
        st.sampled_from(["city", "count", "name", "items", "x_y", "flag"]), children, max_size=4
    )
    return st.builds(build, props, st.lists(st.booleans(), min_size=4, max_size=4)) | st.builds(
        lambda item, n: {"type": "array", "items": item, "minItems": n}, children, st.integers(0, 2)
    )


SCHEMAS = st.recursive(_LEAF, _objects, max_leaves=10)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    schema=SCHEMAS,
    prompt=st.sampled_from(["", "Paris and London 42", 'name "Bo" count 3 x@y.io', "weather in Oslo"]),
)
def test_fill_always_produces_a_valid_instance(schema: dict[str, Any], prompt: str) -> None:
    jsonschema.validate(fill(schema, prompt), schema)


# -- images ------------------------------------------------------------------------------------------------


def test_sniff_png_gif_and_unknown() -> None:
    assert sniff_image(png_bytes(7, 3)) == sniff_image(png_bytes(7, 3))
    info = sniff_image(png_bytes(7, 3))
    assert (info.format, info.width, info.height) == ("PNG", 7, 3)
    gif = b"GIF89a" + struct.pack("<HH", 10, 20) + b"\x00" * 10
    assert (sniff_image(gif).width, sniff_image(gif).height) == (10, 20)
    assert sniff_image(b"hello").format is None


@pytest.mark.parametrize(
    ("fmt", "name"), [("JPEG", "JPEG"), ("WEBP", "WEBP"), ("GIF", "GIF"), ("PNG", "PNG")]
)
def test_sniff_real_encoder_output(fmt: str, name: str) -> None:
    image_module = pytest.importorskip("PIL.Image")
    buffer = io.BytesIO()
    image_module.new("RGB", (33, 17), "red").save(buffer, format=fmt)
    info = sniff_image(buffer.getvalue())
    assert (info.format, info.width, info.height) == (name, 33, 17)


def test_lossless_webp_size() -> None:
    image_module = pytest.importorskip("PIL.Image")
    buffer = io.BytesIO()
    image_module.new("RGBA", (5, 9)).save(buffer, format="WEBP", lossless=True)
    assert sniff_image(buffer.getvalue()).width == 5


def test_data_urls_and_urlsafe_base64() -> None:
    data = png_bytes(2, 2)
    import base64

    mime, decoded = parse_data_url("data:image/png;base64," + base64.b64encode(data).decode())
    assert (mime, decoded) == ("image/png", data)
    assert decode_base64(base64.urlsafe_b64encode(data).decode().rstrip("=")) == data
    assert parse_data_url("https://x") == (None, None)


def test_a_required_tool_call_holds_after_results() -> None:
    other = ToolSpec("get_time", "Get the time in a city", WEATHER.parameters)
    history = [
        Message("user", "weather in Paris"),
        Message("assistant", tool_calls=[ToolCall("call_1", "get_weather", '{"city": "Paris"}')]),
        Message("tool", tool_results=[ToolResult("call_1", None, "sunny")]),
    ]
    reply = respond(request(messages=history, tools=[WEATHER, other], tool_choice=ToolChoice("required")))
    assert [c.name for c in reply.tool_calls] == ["get_time"]  # a tool not called yet for this request


def test_a_follow_up_calls_the_last_tool_again_and_a_question_about_results_is_answered_from_them() -> None:
    """Tours switch vendors mid-conversation: "And in Tokyo?" then "Which is warmer?" must not be echoed."""
    weather = ToolSpec("get_weather", "Current weather for a city.", {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
    first = Message("assistant", tool_calls=[ToolCall("c1", "get_weather", '{"city": "Paris"}')])
    result = Message("tool", tool_results=[ToolResult("c1", "get_weather", '{"city": "Paris", "temperature": 18}')])
    history = [Message("user", "What is the weather in Paris?"), first, result,
               Message("assistant", 'get_weather returned {"city": "Paris", "temperature": 18}.')]
    follow_up = respond(ChatRequest(model="m", door="anthropic", messages=[*history, Message("user", "And in Tokyo?")],
                                    tools=[weather]))
    assert [(c.name, json.loads(c.arguments)) for c in follow_up.tool_calls] == [("get_weather", {"city": "Tokyo"})]
    question = respond(ChatRequest(model="m", door="gemini", tools=[weather],
                                   messages=[*history, Message("user", "Which of the two cities is warmer?")]))
    assert not question.tool_calls and '"temperature": 18' in question.text and "cannot answer" not in question.text
    # A long prompt with a name in it is a new request, not a follow-up; with no tool named, the answer
    # says what the emulator can do and names the tools on offer.
    fresh = respond(ChatRequest(model="m", door="openai", tools=[weather], messages=[
        Message("user", "Please write me a short poem about the harbour of Marseille at night")]))
    assert not fresh.tool_calls and "get_weather" in fresh.text and "You said" not in fresh.text
