"""The emulator's rule-based model for vision and structured output, through the official SDKs.

It must describe the image it was really sent (format and size from the bytes, whatever the
declared type), answer with JSON that validates against the schema of every door's native
parameter (nested objects, enums, optional fields, arrays of objects), and keep a required tool
call a call after tool results (the forced final-answer tool of `agentkit.output` relies on it).
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

import agentkit as ak
from agentkit.dialects.base import ModelRequest, OutputSpec
from agentkit.dialects.base import load as load_dialect
from agentkit.messages import Message, TextPart, ToolCallPart, ToolResultPart

PIL = pytest.importorskip("PIL.Image")

DIALECTS = ["openai", "responses", "anthropic", "gemini"]
MODEL = {"openai": "gpt-4o", "responses": "gpt-4o", "anthropic": "claude-sonnet-4-5", "gemini": "gemini-2.5-pro"}

SCHEMAS: dict[str, dict[str, Any]] = {
    "nested": {"type": "object", "properties": {"person": {"type": "object", "properties": {
        "name": {"type": "string"}, "address": {"type": "object", "properties": {"city": {"type": "string"}},
                                                "required": ["city"], "additionalProperties": False}},
        "required": ["name", "address"], "additionalProperties": False}}, "required": ["person"],
        "additionalProperties": False},
    "enums": {"type": "object", "properties": {"size": {"type": "string", "enum": ["S", "M", "L"]},
                                                "level": {"type": "integer", "enum": [1, 2, 3]}},
              "required": ["size", "level"], "additionalProperties": False},
    "optional": {"type": "object", "properties": {"title": {"type": "string"},
                                                   "subtitle": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
                 "required": ["title", "subtitle"], "additionalProperties": False},
    "array of objects": {"type": "object", "properties": {"rows": {"type": "array", "items": {
        "type": "object", "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
        "required": ["sku", "qty"], "additionalProperties": False}}}, "required": ["rows"],
        "additionalProperties": False},
}


@pytest.fixture(scope="module")
def relay() -> Iterator[Any]:
    with ak.emulator.serve() as relay:
        yield relay


async def _ask(relay: Any, dialect: str, history: list[Message], **fields: Any) -> Any:
    module = load_dialect(dialect)
    client = relay.async_client(dialect)
    return await module.create(client, module.encode(ModelRequest(model=MODEL[dialect], history=history, **fields)))


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_it_describes_the_image_it_was_sent(relay: Any, dialect: str) -> None:
    buffer = io.BytesIO()
    PIL.new("RGB", (37, 21)).save(buffer, format="JPEG")
    image = ak.Image(data=buffer.getvalue(), mime_type="image/jpeg")
    turn = await _ask(relay, dialect, [Message.user("What is this?", image)])
    assert "JPEG image, 37x21 pixels" in turn.message.text


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", list(SCHEMAS))
async def test_json_answers_fit_every_schema(relay: Any, dialect: str, name: str) -> None:
    schema = SCHEMAS[name]
    turn = await _ask(relay, dialect, [Message.user("Ada Lovelace, size M, level 2, SKU A1 x 3, in London.")],
                      output=OutputSpec(schema, name.replace(" ", "_")))
    jsonschema.validate(json.loads(turn.message.text), schema)


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_a_required_call_is_a_call_after_tool_results(relay: Any, dialect: str) -> None:
    lookup = ak.Tool.from_schema("lookup", "Look a city up.", {"type": "object", "properties": {
        "city": {"type": "string"}}, "required": ["city"]}, lambda **kw: kw)
    final = ak.Tool.from_schema("final_result", "The answer.", SCHEMAS["enums"], lambda **kw: kw)
    history = [
        Message.user("Look up Paris with lookup."),
        Message("assistant", [ToolCallPart("call_1", "lookup", {"city": "Paris"})]),
        Message("tool", [ToolResultPart("call_1", "lookup", (TextPart('{"size": "L"}'),))]),
    ]
    turn = await _ask(relay, dialect, history, tools=[lookup, final], tool_choice="required")
    (call,) = turn.message.tool_calls
    assert call.name == "final_result"  # the tool not called yet
    jsonschema.validate(call.arguments, SCHEMAS["enums"])


def test_data_urls_are_read_by_their_bytes() -> None:
    from agentkit.emulator.images import parse_data_url

    buffer = io.BytesIO()
    PIL.new("RGB", (5, 4)).save(buffer, format="PNG")
    mime, data = parse_data_url("data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode())
    assert mime == "image/jpeg" and data == buffer.getvalue()
