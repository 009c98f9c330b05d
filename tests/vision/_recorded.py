"""Replaying `shared/realtraffic/` exchanges through `ak.Agent`, for the vision and structured-output suites.

The dialect replays (`tests/replay/`) check one request/response at the SDK level; these go one
level up: the recorded conversation becomes the agent's history (or its prompt and `images=`),
the recorded schema becomes `output=`, and a loopback server answers with the recorded body (after
scripted answers, e.g. a 400 that makes the agent fall back). What the recording says the model
answered is read here from the raw body, independently of the dialect decoders.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import serve_asgi
from tests.replay._replay_server_ag import REALTRAFFIC, _events, content_type, load, response_bytes

VENDORS = ("openai", "anthropic", "gemini")


def cases(letter: str) -> list[tuple[str, Path]]:
    """(vendor, path) of every recording of one case letter ("e" vision, "f" structured output)."""
    found = []
    for vendor in VENDORS:
        folder = REALTRAFFIC / vendor
        if folder.is_dir():
            found.extend((vendor, path) for path in sorted(folder.glob(f"{letter}_*.json")))
    return found


def model_of(vendor: str, recording: dict[str, Any]) -> str:
    """The recorded model, with its dialect forced (so any name replays through the right door)."""
    if vendor == "gemini":
        name = re.search(r"/models/([^:/]+):", recording["request"]["url"])[1]  # type: ignore[index]
    else:
        name = recording["request"]["body"]["model"]
    return f"{vendor}:{name}"


def is_json_array_stream(recording: dict[str, Any]) -> bool:
    """Gemini streaming without `alt=sse`: the SDK cannot ask for it, so it cannot be replayed."""
    return bool(recording.get("stream")) and "alt=sse" not in recording["request"]["url"] and (
        "streamGenerateContent" in recording["request"]["url"]
    )


def _sse_data(body: str) -> Iterator[dict[str, Any]]:
    for line in body.splitlines():
        if line.startswith("data:") and line[5:].strip() not in ("", "[DONE]"):
            yield json.loads(line[5:])


def answer(vendor: str, recording: dict[str, Any]) -> dict[str, Any]:
    """What the model answered: {"text", "refusal", "tool_input"} read from the raw recorded body."""
    body = recording["response_body"]
    text, refusal, tool_input = "", None, None
    if recording.get("stream"):
        for event in _sse_data(body):
            if vendor == "openai":
                for choice in event.get("choices") or ():
                    delta = choice.get("delta") or {}
                    text += delta.get("content") or ""
                    if delta.get("refusal"):
                        refusal = (refusal or "") + delta["refusal"]
            elif vendor == "anthropic":
                delta = event.get("delta") or {}
                if event.get("type") == "content_block_delta" and delta.get("type") == "text_delta":
                    text += delta["text"]
                if delta.get("stop_reason") == "refusal":
                    refusal = refusal or text
            else:
                for candidate in (event.get("candidates") or [])[:1]:
                    for part in (candidate.get("content") or {}).get("parts") or ():
                        if "text" in part and not part.get("thought"):
                            text += part["text"]
        return {"text": text, "refusal": refusal, "tool_input": None}
    if vendor == "openai":
        message = body["choices"][0]["message"]
        text, refusal = message.get("content") or "", message.get("refusal")
        calls = message.get("tool_calls") or []
        if calls:
            tool_input = json.loads(calls[0]["function"]["arguments"])
    elif vendor == "anthropic":
        text = "".join(b["text"] for b in body["content"] if b["type"] == "text")
        uses = [b for b in body["content"] if b["type"] == "tool_use"]
        if uses:
            tool_input = uses[0]["input"]
        if body.get("stop_reason") == "refusal":
            refusal = text or "refused"
    else:
        parts = body["candidates"][0]["content"]["parts"]
        text = "".join(p["text"] for p in parts if "text" in p and not p.get("thought"))
        calls = [p.get("functionCall") or p.get("function_call") for p in parts]
        calls = [c for c in calls if c]
        if calls:
            tool_input = calls[0].get("args") or {}
    return {"text": text, "refusal": refusal, "tool_input": tool_input}


@dataclass
class Canned:
    """A scripted HTTP answer: status, JSON body."""

    status: int
    body: dict[str, Any]


@dataclass
class SequenceServer:
    url: str
    posts: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def serve(recording: dict[str, Any], before: list[Canned] = ()) -> Iterator[SequenceServer]:  # type: ignore[assignment]
    """Answer the POSTs with `before` in order, then with the recording (every later POST too)."""
    queue = list(before)
    payload = response_bytes(recording)
    kind = content_type(recording)
    server = SequenceServer("")

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] != "POST":
            await _send(send, 404, b'{"error": {"message": "not found"}}', "application/json")
            return
        server.posts.append(json.loads(raw) if raw else {})
        if queue:
            canned = queue.pop(0)
            await _send(send, canned.status, json.dumps(canned.body).encode(), "application/json")
            return
        status = int(recording["status"])
        if not recording.get("stream") or status != 200:
            await _send(send, status, payload, kind)
            return
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", kind.encode())]})
        for chunk in _events(payload):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    with serve_asgi(app) as url:
        server.url = url
        yield server


async def _send(send: Any, status: int, body: bytes, kind: str) -> None:
    headers = [(b"content-type", kind.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def bad_request(vendor: str, message: str) -> Canned:
    """A relay's 400 in the vendor's error shape."""
    if vendor == "anthropic":
        return Canned(400, {"type": "error", "error": {"type": "invalid_request_error", "message": message}})
    if vendor == "gemini":
        return Canned(400, {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}})
    return Canned(400, {"error": {"message": message, "type": "invalid_request_error", "param": None,
                                  "code": "unknown_parameter"}})


__all__ = ["Canned", "answer", "bad_request", "cases", "is_json_array_stream", "load", "model_of", "serve"]
