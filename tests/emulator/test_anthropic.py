"""The Anthropic Messages door, through the official anthropic SDK (and raw bytes where framing matters)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import anthropic
import pytest
from pydantic import BaseModel

from agentkit.emulator import Emulator, Turn

from .test_model import png_bytes

MODEL = "claude-haiku-4-5"
TOOLS = [
    {
        "name": "get_current_temperature",
        "description": "Get the current temperature in a city.",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "The name of the city."}},
            "required": ["city"],
        },
    },
    {
        "name": "retrieve_entity_info",
        "description": "Get the knowledge about the given entity.",
        "input_schema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
    },
]


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def events_of(body: str) -> list[tuple[str, dict[str, Any]]]:
    """(event name, payload) pairs, asserting that every event has an `event:` line."""
    out = []
    for block in body.split("\n\n")[:-1]:
        name_line, data_line = block.split("\n")
        assert name_line.startswith("event: ") and data_line.startswith("data: ")
        out.append((name_line[len("event: ") :], json.loads(data_line[len("data: ") :])))
    return out


def test_text_message(em: Emulator, claude: Any) -> None:
    raw = claude.messages.with_raw_response.create(model=MODEL, max_tokens=256, messages=user("Hello Claude"))
    message = raw.parse()
    assert 'cannot answer "Hello Claude"' in message.content[0].text
    assert message.stop_reason == "end_turn"
    assert re.fullmatch(r"msg_01[1-9A-HJ-NP-Za-km-z]{22}", message.id)
    assert raw.http_response.text.startswith(
        '{"model":"claude-haiku-4-5","id":"msg_01'
    )  # compact, model first
    assert raw.headers["request-id"].startswith("req_011C")


def test_tool_use_and_result(em: Emulator, claude: Any) -> None:
    messages = user("What is the temperature in San Francisco?")
    first = claude.messages.create(model=MODEL, max_tokens=256, messages=messages, tools=TOOLS)
    assert first.stop_reason == "tool_use"
    (block,) = first.content
    assert re.fullmatch(r"toolu_01[1-9A-HJ-NP-Za-km-z]{22}", block.id)
    assert (block.name, block.input) == ("get_current_temperature", {"city": "San Francisco"})
    messages += [
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block.id, "content": "72F"}]},
    ]
    second = claude.messages.create(model=MODEL, max_tokens=256, messages=messages, tools=TOOLS)
    assert second.content[0].text == "get_current_temperature returned 72F."


def test_parallel_tool_use(em: Emulator, claude: Any) -> None:
    message = claude.messages.create(
        model=MODEL,
        max_tokens=256,
        messages=user("Retrieve entity info for Alice, Bob, Charlie and Daisy."),
        tools=TOOLS,
    )
    assert [b.input["name"] for b in message.content] == ["Alice", "Bob", "Charlie", "Daisy"]
    assert len({b.id for b in message.content}) == 4


def test_thinking_block_with_signature(em: Emulator, claude: Any) -> None:
    message = claude.messages.create(
        model=MODEL,
        max_tokens=2048,
        messages=user("Cross the street?"),
        thinking={"type": "enabled", "budget_tokens": 1024},
    )
    thinking, text = message.content
    assert thinking.type == "thinking" and thinking.thinking.startswith("The user wrote")
    assert base64.b64decode(thinking.signature)
    assert 'cannot answer "Cross the street?"' in text.text
    adaptive = claude.messages.create(
        model=MODEL, max_tokens=64, messages=user("x"), thinking={"type": "adaptive"}
    )
    assert adaptive.content[0].type == "thinking"
    by_name = claude.messages.create(model="deepseek-r1", max_tokens=64, messages=user("x"))
    assert by_name.content[0].type == "thinking"
    assert claude.messages.create(model=MODEL, max_tokens=64, messages=user("x")).content[0].type == "text"


def test_stream_helper_accumulates_everything(em: Emulator, claude: Any) -> None:
    with claude.messages.stream(
        model=MODEL,
        max_tokens=2048,
        messages=user("What is the temperature in Paris?"),
        tools=TOOLS,
        thinking={"type": "enabled", "budget_tokens": 1024},
    ) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "tool_use"]
    assert final.content[0].signature and final.content[1].input == {"city": "Paris"}
    assert final.stop_reason == "tool_use" and final.usage.output_tokens > 0


def test_raw_stream_framing(em: Emulator, http: Any) -> None:
    body = http.post(
        em.url + "/anthropic/v1/messages",
        json={
            "model": MODEL,
            "max_tokens": 512,
            "stream": True,
            "messages": user("Temperature in Rome?"),
            "tools": TOOLS,
            "thinking": {"type": "enabled", "budget_tokens": 1024},
        },
    ).text
    events = events_of(body)
    names = [name for name, _ in events]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    assert names[1:3] == ["content_block_start", "ping"]
    assert events[2][1] == {"type": "ping"} and 'data: {"type": "ping"}\n' in body
    start = events[0][1]["message"]
    assert start["content"] == [] and start["stop_reason"] is None and start["stop_sequence"] is None
    thinking = [p["delta"] for n, p in events if n == "content_block_delta" and p["index"] == 0]
    assert [d["type"] for d in thinking][-2:] == ["thinking_delta", "signature_delta"]
    assert thinking[-2]["thinking"] == ""  # the empty thinking_delta before the signature
    tool_start = next(p for n, p in events if n == "content_block_start" and p["index"] == 1)
    assert tool_start["content_block"]["input"] == {}
    partials = [
        p["delta"]["partial_json"] for n, p in events if n == "content_block_delta" and p["index"] == 1
    ]
    assert partials[0] == "" and json.loads("".join(partials)) == {"city": "Rome"}
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"
    assert any(line.endswith(" ") for line in body.split("\n") if line.startswith('data: {"type":"content'))


class Place(BaseModel):
    city: str
    country: str


def test_structured_output(em: Emulator, claude: Any) -> None:
    parsed = claude.messages.parse(
        model=MODEL, max_tokens=256, messages=user("Tell me about Lyon in France"), output_format=Place
    )
    assert parsed.parsed_output == Place(city="Lyon", country="France")
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "required": ["n"],
        "additionalProperties": False,
    }
    raw = claude.messages.create(
        model=MODEL,
        max_tokens=64,
        messages=user("n is 5"),
        extra_body={"output_config": {"format": {"type": "json_schema", "schema": schema}}},
    )
    assert json.loads(raw.content[0].text) == {"n": 5}


def test_forced_tool_choice(em: Emulator, claude: Any) -> None:
    message = claude.messages.create(
        model=MODEL,
        max_tokens=64,
        messages=user("Hi"),
        tools=TOOLS,
        tool_choice={"type": "tool", "name": "retrieve_entity_info"},
    )
    assert message.content[0].name == "retrieve_entity_info"
    none = claude.messages.create(
        model=MODEL,
        max_tokens=64,
        messages=user("Temperature in Oslo"),
        tools=TOOLS,
        tool_choice={"type": "none"},
    )
    assert none.content[0].type == "text"


def test_vision_base64_and_url(em: Emulator, claude: Any) -> None:
    image = {"type": "base64", "media_type": "image/png", "data": base64.b64encode(png_bytes(5, 6)).decode()}
    content = [
        {"type": "text", "text": "Describe"},
        {"type": "image", "source": image, "cache_control": {"type": "ephemeral"}},
    ]
    message = claude.messages.create(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": content}]
    )
    assert message.content[0].text == 'The image is a PNG image, 5x6 pixels. You asked: "Describe"'
    url = [{"type": "image", "source": {"type": "url", "url": "https://example.com/potato.jpg"}}]
    message = claude.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": url}])
    assert message.content[0].text == "The image is a remote image at https://example.com/potato.jpg."


def test_root_base_url_and_scripted_turn(em: Emulator) -> None:
    client = anthropic.Anthropic(base_url=em.url, api_key="k", max_retries=0)  # -> /v1/messages
    em.script(Turn(text="Scripted.", reasoning="Plan."), door="anthropic")
    message = client.messages.create(model=MODEL, max_tokens=64, messages=user("x"))
    assert [b.type for b in message.content] == ["thinking", "text"] and message.content[
        1
    ].text == "Scripted."
    assert em.log.last.path == "/v1/messages"


def test_missing_max_tokens_is_a_native_400(em: Emulator, http: Any) -> None:
    response = http.post(em.url + "/anthropic/v1/messages", json={"model": MODEL, "messages": user("x")})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error" and body["error"] == {
        "type": "invalid_request_error",
        "message": "max_tokens: Field required",
    }
    assert body["request_id"].startswith("req_011C")


@pytest.mark.parametrize("max_tokens", [3])
def test_max_tokens_stop_reason(em: Emulator, claude: Any, max_tokens: int) -> None:
    message = claude.messages.create(
        model=MODEL, max_tokens=max_tokens, messages=user("one two three four five six")
    )
    assert message.stop_reason == "max_tokens"
