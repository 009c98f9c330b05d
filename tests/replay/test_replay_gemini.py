"""Replay every real Gemini generateContent exchange in `realtraffic/gemini/` through our dialect.

For each recording a loopback server answers with the recorded status, content type and body (the
raw `alt=sse` text for streams). The request is rebuilt the way the agent builds it —
`decode_history` of the recorded body, the recorded function declarations and generation config,
`encode` — and sent with `create`/`stream` through google-genai's async client of an `ak.Relay`
(the relay's Gemini door is its root). We check that:

1. the decoded Turn matches the recording (answer and thought text, function calls, every thought
   signature on the part it came on, usage, finish reason), computed here from the recorded body;
2. the request we sent has the recorded contents (function calls and responses paired by position
   and name, tool results with the response object they were recorded with, signatures equal after
   base64 decoding: some recordings come from google-genai, which sends them URL-safe), system
   instruction, tools and generation config, in Gemini's REST spelling;
3. error recordings raise a google-genai error that `Relay.map_error` turns into the right
   agentkit error (Gemini's 400 API_KEY_INVALID is an authentication error).

The one JSON-array stream (no `alt=sse`) cannot be requested by the SDK, so its replay is skipped;
its request history is still checked through `decode_history` / `encode_history`.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

import agentkit as ak
from agentkit.dialects import gemini as dialect
from agentkit.dialects.base import ModelRequest, OutputSpec, Turn
from agentkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.messages import ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from tests.replay._replay_server_ag import load, recordings, replay

FILES = recordings("gemini")
pytestmark = pytest.mark.skipif(not FILES, reason="no Gemini recordings in the realtraffic folder")

JSON_ARRAY_STREAM = "c_stream_json_array_after_function_response__gemini3flash"
_ERRORS = {400: ak.AuthenticationError, 404: ak.ModelNotFoundError, 429: ak.RateLimitError}


class RecordedTool:
    """Stands in for an `ak.Tool`: its schema is the recorded function declaration, verbatim."""

    def __init__(self, declaration: dict[str, Any]) -> None:
        self.declaration = declaration
        self.name = declaration["name"]
        self.description = declaration.get("description", "")

    def to_schema(self, dialect_name: str) -> dict[str, Any]:
        assert dialect_name == "gemini"
        return self.declaration


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def _model(recording: dict[str, Any]) -> str:
    return re.search(r"/models/([^:/]+):", recording["request"]["url"])[1]  # type: ignore[index]


def _declarations(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The function declarations, their keys in REST spelling (some recordings came from google-genai)."""
    tools = body.get("tools") or []
    return [
        {_camel(key): value for key, value in d.items()}
        for tool in tools
        for d in tool.get("functionDeclarations", tool.get("function_declarations", []))
    ]


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word.title() for word in rest)


def _request(recording: dict[str, Any]) -> ModelRequest:
    body = recording["request"]["body"]
    config = {_snake(k): v for k, v in (body.get("generationConfig") or {}).items()}
    options: dict[str, Any] = {}
    output = None
    for key, value in config.items():
        if key == "response_json_schema":
            output = OutputSpec(value)
        elif key == "response_mime_type":
            assert value == "application/json"
        elif key == "stop_sequences":
            options["stop"] = value
        elif key == "max_output_tokens":
            options["max_tokens"] = value
        elif key == "thinking_config":
            thinking = {_snake(k): v for k, v in value.items()}
            options["reasoning"] = True if thinking == {"include_thoughts": True} else thinking
        else:
            options[key] = value
    if "safetySettings" in body:
        options["safety_settings"] = body["safetySettings"]
    return ModelRequest(
        model=_model(recording),
        history=dialect.decode_history(body),
        tools=[RecordedTool(d) for d in _declarations(body)],  # type: ignore[misc]
        options=options,
        output=output,
    )


# --------------------------------------------------------------------------- normal forms


def _get(data: dict[str, Any], snake: str) -> Any:
    head, *rest = snake.split("_")
    return data.get(snake, data.get(head + "".join(w.title() for w in rest)))


def _b64(value: str) -> bytes:
    """Either base64 alphabet -> bytes (responses use standard, the SDK sends URL-safe)."""
    return base64.urlsafe_b64decode(value.replace("+", "-").replace("/", "_") + "=" * (-len(value) % 4))


def _part(part: dict[str, Any]) -> dict[str, Any] | None:
    """A part in one spelling, signatures and inline data as bytes, response bodies as (value, error)."""
    out: dict[str, Any] = {}
    if (signature := _get(part, "thought_signature")) is not None:
        out["signature"] = _b64(signature)
    if (call := _get(part, "function_call")) is not None:
        out["call"] = {"name": call["name"], "args": call.get("args", {}), "id": call.get("id")}
    elif (response := _get(part, "function_response")) is not None:
        out["response"] = {
            "name": response["name"],
            "id": response.get("id"),
            "response": response["response"],
        }
    elif (inline := _get(part, "inline_data")) is not None:
        out["inline"] = (_get(inline, "mime_type"), _b64(inline["data"]))
    elif "text" in part:
        if not part["text"] and "signature" not in out:
            return None  # an empty, unsigned text part says nothing
        out["text"] = part["text"]
        out["thought"] = bool(part.get("thought"))
    return out


def _contents(contents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for content in contents:
        parts = [p for p in map(_part, content["parts"]) if p is not None]
        if parts:
            out.append({"role": content.get("role", "user"), "parts": parts})
    return out


def _system(body: dict[str, Any]) -> str | None:
    system = _get(body, "system_instruction")
    return None if system is None else "".join(p["text"] for p in system["parts"])


def _generation_config(body: dict[str, Any]) -> dict[str, Any]:
    config = {_snake(k): v for k, v in (body.get("generationConfig") or {}).items()}
    if "thinking_config" in config:
        config["thinking_config"] = {_snake(k): v for k, v in config["thinking_config"].items()}
    return config


# ------------------------------------------------------------------------ expected replies


def _recorded_chunks(recording: dict[str, Any]) -> list[dict[str, Any]]:
    body = recording["response_body"]
    if not recording["stream"]:
        return [body]
    return [
        json.loads(line[6:]) for line in body.replace("\r\n", "\n").split("\n") if line.startswith("data: ")
    ]


def _expected(recording: dict[str, Any]) -> dict[str, Any]:
    """What the recorded reply says, folded over its chunks, independently of the dialect code."""
    text, thoughts, calls, signatures = "", "", [], []
    finish = None
    for chunk in _recorded_chunks(recording):
        candidate = chunk["candidates"][0]
        for part in candidate.get("content", {}).get("parts", []):
            if "thoughtSignature" in part:
                kind = "call" if "functionCall" in part else "thought" if part.get("thought") else "text"
                signatures.append((kind, _b64(part["thoughtSignature"])))
            if "functionCall" in part:
                calls.append(part["functionCall"])
            elif part.get("thought"):
                thoughts += part["text"]
            elif "text" in part:
                text += part["text"]
        finish = candidate.get("finishReason", finish)
        usage = chunk["usageMetadata"]
    return {
        "text": text,
        "thoughts": thoughts,
        "calls": calls,
        "signatures": signatures,
        "finish": finish,
        "usage": usage,
        "model": chunk["modelVersion"],
    }


def _check_turn(turn: Turn, recording: dict[str, Any]) -> None:
    expected = _expected(recording)
    message = turn.message
    assert message.text == expected["text"]
    reasoning = [p for p in message.parts if isinstance(p, ReasoningPart)]
    assert "".join(p.text for p in reasoning) == expected["thoughts"]
    assert all(p.dialect == "gemini" for p in reasoning)
    assert len(message.tool_calls) == len(expected["calls"])
    for index, (part, call) in enumerate(zip(message.tool_calls, expected["calls"], strict=True)):
        assert (part.name, part.arguments, part.dialect) == (call["name"], call["args"], "gemini")
        if "id" in call:
            assert part.id == call["id"]
        else:  # Gemini sent no id: a stable made-up one, never sent back
            assert re.fullmatch(rf"call_{index}_{call['name']}_[0-9a-f]{{8}}", part.id)
            assert part.extra[dialect.SYNTHETIC_ID] is True
    assert len({c.id for c in message.tool_calls}) == len(message.tool_calls)
    # Every signature is kept, in order, on the neutral part standing for the part it came on.
    kept: list[tuple[str, bytes]] = []
    for position, item in enumerate(message.parts):
        if isinstance(item, ToolCallPart) and item.signature:
            kept.append(("call", _b64(item.signature)))
        elif isinstance(item, ReasoningPart) and item.signature:
            on = item.extra.get(dialect.SIGNATURE_ON)
            kept.append(("text" if on else "thought", _b64(item.signature)))
            if on == "text":
                assert isinstance(message.parts[position + 1], TextPart)
    assert kept == expected["signatures"]
    usage = expected["usage"]
    thoughts = usage.get("thoughtsTokenCount", 0)
    assert turn.usage == ak.Usage(
        usage["promptTokenCount"], usage.get("candidatesTokenCount", 0) + thoughts, thoughts,
        usage.get("cachedContentTokenCount", 0),
    )  # fmt: skip
    assert message.usage == turn.usage
    assert turn.raw_finish_reason == expected["finish"] == "STOP"
    assert turn.finish_reason == ("tool_calls" if expected["calls"] else "stop")
    assert turn.model == message.model == expected["model"]
    if not recording["stream"]:  # re-encoded, the model turn is the recorded content again
        recorded = recording["response_body"]["candidates"][0]["content"]
        again = dialect.encode_history([message])["contents"]
        assert _contents(again) == _contents([recorded])


def _check_deltas(events: list[Any], turn: Turn) -> None:
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == turn.message.text
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    assert reasoning == "".join(p.text for p in turn.message.parts if isinstance(p, ReasoningPart))
    calls = [e for e in events if isinstance(e, ToolCallDelta)]
    assert [(e.index, e.id, e.name) for e in calls] == [
        (i, c.id, c.name) for i, c in enumerate(turn.message.tool_calls)
    ]
    assert [json.loads(e.arguments) for e in calls] == [c.arguments for c in turn.message.tool_calls]


# ----------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_replay(path: Path) -> None:
    if path.stem == JSON_ARRAY_STREAM:
        pytest.skip(
            "This stream was recorded without `alt=sse` (a JSON-array body); google-genai always requests "
            "`alt=sse` and cannot parse a JSON array. Its request history is checked by "
            "`test_json_array_stream_request_history_round_trips`."
        )
    recording = load(path)
    body = recording["request"]["body"]
    kwargs = dialect.encode(_request(recording))
    with replay(recording) as server:
        relay = ak.Relay(server.url, api_key="sk-test", max_retries=0)
        client = relay.async_client("gemini")
        if recording["status"] != 200:
            from google.genai import errors

            with pytest.raises(errors.APIError) as caught:
                if recording["stream"]:
                    [_ async for _ in dialect.stream(client, kwargs)]
                else:
                    await dialect.create(client, kwargs)
            mapped = relay.map_error(caught.value, dialect="gemini")
            assert type(mapped) is _ERRORS[recording["status"]]
            assert isinstance(mapped, ak.RelayError)
            assert mapped.status == recording["status"]
            error = recording["response_body"]
            error = json.loads(error) if isinstance(error, str) else error  # plain JSON on the SSE endpoint
            assert mapped.message == error["error"]["message"]
            return
        if recording["stream"]:
            events = [event async for event in dialect.stream(client, kwargs)]
            turn = events[-1]
            assert isinstance(turn, Turn)
            assert not any(isinstance(e, Turn) for e in events[:-1])
            _check_deltas(events[:-1], turn)
        else:
            turn = await dialect.create(client, kwargs)
        _check_turn(turn, recording)
        [sent] = server.posts
    method = "streamGenerateContent" if recording["stream"] else "generateContent"
    assert sent.path == f"/v1beta/models/{_model(recording)}:{method}"
    assert ("alt=sse" in sent.query) == recording["stream"]
    assert _contents(sent.body["contents"]) == _contents(body["contents"])
    assert _system(sent.body) == _system(body)
    assert _declarations(sent.body) == _declarations(body)
    assert _generation_config(sent.body) == _generation_config(body)
    if "tools" in body:  # sent in REST spelling, whatever the recording's client wrote
        assert list(sent.body["tools"][0]) == ["functionDeclarations"]
    assert set(sent.body.get("generationConfig", {})) <= {_camel(k) for k in _generation_config(body)}


def test_json_array_stream_request_history_round_trips() -> None:
    """snake_case `function_call`/`function_response` and an echoed thoughtSignature survive the round trip."""
    recording = load(next(p for p in FILES if p.stem == JSON_ARRAY_STREAM))
    body = recording["request"]["body"]
    history = dialect.decode_history(body)
    assert [m.role for m in history] == ["user", "assistant", "tool"]
    [call] = history[1].tool_calls
    [result] = history[2].tool_results
    assert (call.name, call.arguments) == ("multiply", {"x": 5, "y": 3})
    assert call.signature is not None
    assert _b64(call.signature) == _b64(body["contents"][1]["parts"][1]["thoughtSignature"])
    assert result == ToolResultPart(call.id, "multiply", (TextPart("15"),))
    again = dialect.encode_history(history)
    assert _contents(again["contents"]) == _contents(body["contents"])
    # Sent to Gemini 3 (this recording's model), the request keeps the real signature, not a stand-in.
    kwargs = dialect.encode(_request(recording))
    assert kwargs["contents"][1]["parts"][0]["thoughtSignature"] == call.signature
    assert kwargs["config"]["safety_settings"] == body["safetySettings"]


def test_every_recording_is_covered() -> None:
    """The acceptance list: all fifteen Gemini recordings (one replay skipped, its history still checked)."""
    assert len(FILES) == 15
