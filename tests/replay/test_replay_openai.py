"""Replay every real OpenAI Chat Completions exchange in `realtraffic/openai/` through our dialect.

For each recording a loopback server answers with the recorded status, headers and body (the raw
SSE text for streams). The request is rebuilt the way the agent builds it — `decode_history` of
the recorded messages, the recorded tools and options, `encode`, then `create`/`stream` through
the official SDK client of an `ak.Relay` — and we check:

1. the decoded Turn matches the recording (text, reasoning, tool calls, usage, finish reason),
   computed here independently from the recorded body;
2. the request we sent equals the recorded request (messages, tools, options), so multi-turn and
   reasoning-echo histories survive the neutral round trip;
3. error recordings raise an SDK error that `Relay.map_error` turns into the right agentkit error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import agentkit as ak
from agentkit.dialects import openai as dialect
from agentkit.dialects.base import ModelRequest, OutputSpec, Turn
from agentkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.messages import ReasoningPart, TextPart, ToolCallPart
from tests._paths import REALTRAFFIC
from tests.replay._openai_server import serve_canned

RECORDINGS = REALTRAFFIC / "openai"
FILES = sorted(RECORDINGS.glob("*.json")) if RECORDINGS.is_dir() else []

pytestmark = pytest.mark.skipif(not FILES, reason=f"no recordings found in {RECORDINGS}")

#: Request keys the test maps to neutral fields; every other recorded key is a passed-through option.
_STRUCTURAL = {"model", "messages", "tools", "tool_choice", "response_format", "stream", "stream_options"}
_ERRORS = {400: ak.BadRequestError, 404: ak.ModelNotFoundError}


class RecordedTool:
    """Stands in for an `ak.Tool`: its schema is the recorded tools-list entry, verbatim."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.name = schema["function"]["name"]
        self.description = schema["function"].get("description", "")

    def to_schema(self, dialect_name: str) -> dict[str, Any]:
        assert dialect_name == "openai"
        return self.schema


def _request(body: dict[str, Any]) -> ModelRequest:
    output = None
    if fmt := body.get("response_format"):
        spec = fmt["json_schema"]
        output = OutputSpec(spec["schema"], spec["name"], spec.get("strict", False))
    return ModelRequest(
        model=body["model"],
        history=dialect.decode_history(body),
        tools=[RecordedTool(t) for t in body.get("tools", [])],  # type: ignore[misc]
        options={k: v for k, v in body.items() if k not in _STRUCTURAL},
        output=output,
        tool_choice=body.get("tool_choice"),
    )


def _without_none(value: Any) -> Any:
    """JSON `null` and an absent key mean the same to the API."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _expected_from_stream(sse: str) -> dict[str, Any]:
    """The recorded stream folded into a chat.completion JSON, independently of the dialect code."""
    content, reasoning = "", ""
    calls: dict[int, dict[str, Any]] = {}
    finish, usage, model = None, None, None
    for line in sse.splitlines():
        if not line.startswith("data:") or line[5:].strip() == "[DONE]":
            continue
        chunk = json.loads(line[5:])
        model = model or chunk.get("model")
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices", []):
            delta = choice.get("delta", {})
            content += delta.get("content") or ""
            reasoning += delta.get("reasoning_content") or ""
            finish = choice.get("finish_reason") or finish
            for call in delta.get("tool_calls") or []:
                slot = calls.setdefault(call["index"], {"id": None, "name": None, "arguments": ""})
                slot["id"] = slot["id"] or call.get("id")
                slot["name"] = slot["name"] or call.get("function", {}).get("name")
                slot["arguments"] += call.get("function", {}).get("arguments") or ""
    message: dict[str, Any] = {"content": content or None}
    if reasoning:
        message["reasoning_content"] = reasoning
    if calls:
        message["tool_calls"] = [
            {"id": c["id"], "function": {"name": c["name"], "arguments": c["arguments"]}}
            for _, c in sorted(calls.items())
        ]
    return {"model": model, "usage": usage, "choices": [{"finish_reason": finish, "message": message}]}


def _check_turn(turn: Turn, body: dict[str, Any]) -> None:
    choice = body["choices"][0]
    wire = choice["message"]
    parts = turn.message.parts
    reasoning = [p for p in parts if isinstance(p, ReasoningPart)]
    texts = [p for p in parts if isinstance(p, TextPart)]
    calls = [p for p in parts if isinstance(p, ToolCallPart)]

    assert turn.model == body["model"] == turn.message.model
    assert turn.message.dialect == "openai"
    assert turn.message.text == (wire.get("content") or "")
    assert [p.text for p in texts] == ([wire["content"]] if wire.get("content") else [])
    assert "".join(p.text for p in reasoning) == (wire.get("reasoning_content") or "")
    assert all(p.dialect == "openai" and p.signature is None for p in reasoning)
    if reasoning:
        assert parts[0] is reasoning[0], "reasoning comes first"
    recorded_calls = wire.get("tool_calls") or []
    assert [(c.id, c.name) for c in calls] == [(c["id"], c["function"]["name"]) for c in recorded_calls]
    assert [c.arguments for c in calls] == [json.loads(c["function"]["arguments"]) for c in recorded_calls]
    assert turn.refusal == wire.get("refusal")
    raw = choice["finish_reason"]
    assert turn.raw_finish_reason == raw
    expected_finish = {"stop": "stop", "tool_calls": "tool_calls", "length": "length"}[raw]
    assert turn.finish_reason == ("refusal" if wire.get("refusal") else expected_finish)

    usage = body.get("usage") or {}
    assert turn.usage == turn.message.usage
    assert turn.usage.input_tokens == usage.get("prompt_tokens", 0)
    assert turn.usage.output_tokens == usage.get("completion_tokens", 0)
    details = usage.get("completion_tokens_details") or {}
    assert turn.usage.reasoning_tokens == details.get("reasoning_tokens", 0)
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
    assert turn.usage.cached_tokens == cached


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_replay(path: Path) -> None:
    recording = json.loads(path.read_text())
    body = recording["request"]["body"]
    if recording["stream"]:
        payload = recording["response_body"]
    else:
        payload = recording.get("response_body_raw") or json.dumps(recording["response_body"])

    with serve_canned(recording["status"], recording["response_headers"], payload) as server:
        relay = ak.Relay(server.url, api_key="sk-test", max_retries=0)
        client = relay.async_client("openai")
        kwargs = dialect.encode(_request(body))
        try:
            if recording["status"] >= 400:
                with pytest.raises(Exception) as caught:
                    await dialect.create(client, kwargs)
                error = relay.map_error(caught.value, dialect="openai", model=body["model"])
                assert type(error) is _ERRORS[recording["status"]]
                assert isinstance(error, ak.RelayError)
                assert error.status == recording["status"]
                assert error.message == recording["response_body"]["error"]["message"]
                assert error.code == recording["response_body"]["error"]["code"]
            elif recording["stream"]:
                items = [item async for item in dialect.stream(client, kwargs)]
                turn = items[-1]
                assert isinstance(turn, Turn)
                assert not any(isinstance(item, Turn) for item in items[:-1])
                _check_turn(turn, _expected_from_stream(payload))
                deltas = items[:-1]
                assert "".join(d.text for d in deltas if isinstance(d, TextDelta)) == turn.message.text
                assert "".join(d.text for d in deltas if isinstance(d, ReasoningDelta)) == "".join(
                    p.text for p in turn.message.parts if isinstance(p, ReasoningPart)
                )
                for call_index, call in enumerate(turn.message.tool_calls):
                    pieces = [d for d in deltas if isinstance(d, ToolCallDelta) and d.index == call_index]
                    assert pieces[0].id == call.id and pieces[0].name == call.name
                    assert json.loads("".join(d.arguments for d in pieces)) == call.arguments
            else:
                _check_turn(await dialect.create(client, kwargs), recording["response_body"])
        finally:
            await client.close()

    sent = server.requests[0]
    assert sent.method == "POST" and sent.path == "/v1/chat/completions"
    expected = {k: v for k, v in body.items() if k not in ("stream", "stream_options")}
    got = {k: v for k, v in sent.body.items() if k not in ("stream", "stream_options")}
    assert _without_none(got) == _without_none(expected)
    if recording["stream"]:
        assert sent.body["stream"] is True
        assert sent.body["stream_options"] == {"include_usage": True}
    else:
        assert "stream" not in sent.body


def test_every_recording_is_replayed() -> None:
    """A new recording in the folder is picked up automatically; none is silently skipped."""
    assert len(FILES) >= 17
