"""Replay every real Anthropic Messages exchange in `realtraffic/anthropic/` through our dialect.

For each recording a loopback server answers with the recorded status, content type and body (the
raw SSE text for streams). The request is rebuilt the way the agent builds it — `decode_history` of
the recorded body, the recorded tools and options, `encode` — and sent with `create`/`stream`
through the official SDK client of an `ak.Relay`. We check that:

1. the decoded Turn matches the recording (text, thinking and signatures, tool calls, usage, finish
   reason), with the expectation computed here from the recorded body, not by the dialect;
2. the request we sent equals the recorded one (messages, system, tools, options), so multi-turn
   histories with tool results and signed thinking survive the neutral round trip byte for byte;
3. error recordings raise an SDK error that `Relay.map_error` turns into the right agentkit error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import agentkit as ak
from agentkit.dialects import anthropic as dialect
from agentkit.dialects.base import ModelRequest, OutputSpec, Turn
from agentkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.messages import ReasoningPart, TextPart, ToolCallPart
from tests.replay._replay_server_ag import load, recordings, replay

FILES = recordings("anthropic")
pytestmark = pytest.mark.skipif(not FILES, reason="no Anthropic recordings in the realtraffic folder")

_STOP = {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length", "stop_sequence": "stop"}
_ERRORS = {400: ak.BadRequestError, 404: ak.ModelNotFoundError}
#: Request keys mapped to neutral fields; any other recorded key is passed through as an option.
_STRUCTURAL = {
    "model", "messages", "system", "tools", "tool_choice", "stream", "thinking", "output_config", "stop_sequences",
}  # fmt: skip


class RecordedTool:
    """Stands in for an `ak.Tool`: its schema is the recorded tools-list entry, verbatim."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.name = schema["name"]
        self.description = schema.get("description", "")

    def to_schema(self, dialect_name: str) -> dict[str, Any]:
        assert dialect_name == "anthropic"
        return self.schema


def _request(body: dict[str, Any]) -> ModelRequest:
    options = {k: v for k, v in body.items() if k not in _STRUCTURAL}
    if thinking := body.get("thinking"):
        simple = set(thinking) == {"type", "budget_tokens"} and thinking["type"] == "enabled"
        options["reasoning"] = thinking["budget_tokens"] if simple else thinking
    if stop := body.get("stop_sequences"):
        options["stop"] = stop
    output = None
    if config := body.get("output_config"):
        config = dict(config)
        if fmt := config.pop("format", None):
            output = OutputSpec(fmt["schema"])
        if config:
            options["output_config"] = config
    choice = body.get("tool_choice")
    tool_choice = None
    if choice:
        tool_choice = {"auto": "auto", "any": "required", "none": "none"}.get(
            choice["type"], choice.get("name")
        )
    return ModelRequest(
        model=body["model"],
        history=dialect.decode_history(body),
        tools=[RecordedTool(t) for t in body.get("tools", [])],  # type: ignore[misc]
        options=options,
        output=output,
        tool_choice=tool_choice,
    )


def _normalised(body: dict[str, Any]) -> dict[str, Any]:
    """The parts of a request body that carry meaning: string content as a text block, no
    `is_error: false`, no `cache_control` (agentkit's history does not keep cache hints), no `stream`."""

    def block(b: dict[str, Any]) -> dict[str, Any]:
        b = {k: v for k, v in b.items() if k != "cache_control"}
        if b.get("type") == "tool_result" and b.get("is_error") is False:
            del b["is_error"]
        return b

    out = {k: v for k, v in body.items() if k != "stream"}
    out["messages"] = [
        {
            "role": m["role"],
            "content": [{"type": "text", "text": m["content"]}]
            if isinstance(m["content"], str)
            else [block(b) for b in m["content"]],
        }
        for m in body["messages"]
    ]
    return out


def _expected_from_stream(sse: str) -> dict[str, Any]:
    """The recorded SSE folded into a Message JSON, independently of the dialect code."""
    message: dict[str, Any] = {}
    buffers: dict[int, str] = {}
    for event in sse.replace("\r\n", "\n").split("\n\n"):
        data = next((line[5:].strip() for line in event.split("\n") if line.startswith("data:")), None)
        if not data:
            continue
        payload = json.loads(data)
        kind = payload["type"]
        if kind == "message_start":
            message = payload["message"]
        elif kind == "content_block_start":
            message["content"].append(dict(payload["content_block"]))
        elif kind == "content_block_delta":
            block, delta = message["content"][payload["index"]], payload["delta"]
            if delta["type"] == "text_delta":
                block["text"] += delta["text"]
            elif delta["type"] == "thinking_delta":
                block["thinking"] += delta["thinking"]
            elif delta["type"] == "signature_delta":
                block["signature"] = delta["signature"]
            elif delta["type"] == "input_json_delta":
                buffers[payload["index"]] = buffers.get(payload["index"], "") + delta["partial_json"]
        elif kind == "message_delta":
            message["stop_reason"] = payload["delta"]["stop_reason"]
            message["usage"].update({k: v for k, v in payload["usage"].items() if v is not None})
    for index, text in buffers.items():
        message["content"][index]["input"] = json.loads(text) if text else {}
    return message


def _check_turn(turn: Turn, expected: dict[str, Any]) -> None:
    blocks = [b for b in expected["content"] if b["type"] != "text" or b["text"]]
    parts = turn.message.parts
    assert len(parts) == len(blocks)
    for part, block in zip(parts, blocks, strict=True):
        if block["type"] == "text":
            assert part == TextPart(block["text"])
        elif block["type"] == "thinking":
            assert isinstance(part, ReasoningPart)
            assert (part.text, part.signature, part.dialect) == (
                block["thinking"],
                block["signature"],
                "anthropic",
            )
        elif block["type"] == "redacted_thinking":
            assert isinstance(part, ReasoningPart)
            assert (part.redacted, part.dialect) == (block["data"], "anthropic")
        else:
            assert block["type"] == "tool_use"
            assert isinstance(part, ToolCallPart)
            assert (part.id, part.name, part.arguments) == (block["id"], block["name"], block["input"])
    usage = expected["usage"]
    cached = usage.get("cache_read_input_tokens") or 0
    written = usage.get("cache_creation_input_tokens") or 0
    total_in = usage["input_tokens"] + cached + written
    assert turn.usage == ak.Usage(total_in, usage["output_tokens"], 0, cached, written)
    assert turn.message.usage == turn.usage
    assert turn.raw_finish_reason == expected["stop_reason"]
    assert turn.finish_reason == _STOP[expected["stop_reason"]]
    assert turn.model == turn.message.model == expected["model"]
    assert turn.message.dialect == "anthropic"


def _check_deltas(events: list[Any], turn: Turn) -> None:
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    assert text == turn.message.text
    assert reasoning == "".join(p.text for p in turn.message.parts if isinstance(p, ReasoningPart))
    calls: dict[int, dict[str, Any]] = {}
    for event in (e for e in events if isinstance(e, ToolCallDelta)):
        call = calls.setdefault(event.index, {"id": None, "name": None, "arguments": ""})
        call["id"] = event.id or call["id"]
        call["name"] = event.name or call["name"]
        call["arguments"] += event.arguments
    expected = turn.message.tool_calls
    assert [(c["id"], c["name"]) for _, c in sorted(calls.items())] == [(c.id, c.name) for c in expected]
    for (_, call), part in zip(sorted(calls.items()), expected, strict=True):
        assert (json.loads(call["arguments"]) if call["arguments"] else {}) == part.arguments


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_replay(path: Path) -> None:
    recording = load(path)
    body = recording["request"]["body"]
    kwargs = dialect.encode(_request(body))
    with replay(recording) as server:
        relay = ak.Relay(server.url, api_key="sk-test", max_retries=0)
        client = relay.async_client("anthropic")
        if recording["status"] != 200:
            import anthropic

            with pytest.raises(anthropic.APIStatusError) as caught:
                await dialect.create(client, kwargs)
            mapped = relay.map_error(caught.value, dialect="anthropic")
            assert type(mapped) is _ERRORS[recording["status"]]
            assert isinstance(mapped, ak.RelayError)
            assert mapped.status == recording["status"]
            assert mapped.message == recording["response_body"]["error"]["message"]
            return
        if recording["stream"]:
            events = [event async for event in dialect.stream(client, kwargs)]
            turn = events[-1]
            assert isinstance(turn, Turn)
            assert not any(isinstance(e, Turn) for e in events[:-1])
            _check_deltas(events[:-1], turn)
            _check_turn(turn, _expected_from_stream(recording["response_body"]))
        else:
            turn = await dialect.create(client, kwargs)
            _check_turn(turn, recording["response_body"])
        [sent] = server.posts
    assert sent.path == "/anthropic/v1/messages"
    assert sent.body.pop("stream", False) == recording["stream"]
    assert _normalised(sent.body) == _normalised(body)


def test_every_recording_is_replayed() -> None:
    """The acceptance list: all fifteen Anthropic recordings, none skipped."""
    assert len(FILES) == 15
