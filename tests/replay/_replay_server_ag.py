"""Replay one recorded exchange (Anthropic or Gemini) on a loopback server, and log what it received.

The server answers every POST with the recording's status, content type and body: the raw stream
text for streams (sent one event per write, so the SDK parses it incrementally), else
`response_body_raw` when the recording kept the exact bytes, else the JSON body re-serialised.
Anything else (e.g. `GET /v1/models`, asked by `Relay.map_error` for "did you mean" hints) is a 404.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests._paths import REALTRAFFIC
from tests.conftest import serve_asgi


def recordings(vendor: str) -> list[Path]:
    """The recording files of one vendor, sorted by name ([] when the folder is absent)."""
    folder = REALTRAFFIC / vendor
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any


@dataclass
class ReplayServer:
    url: str
    requests: list[Received] = field(default_factory=list)

    @property
    def posts(self) -> list[Received]:
        return [r for r in self.requests if r.method == "POST"]


def response_bytes(recording: dict[str, Any]) -> bytes:
    """The body to replay: raw stream text, the verbatim JSON text, or the parsed JSON re-serialised."""
    body = recording["response_body"]
    if isinstance(body, str):
        return body.encode("utf-8")
    raw = recording.get("response_body_raw")
    return (raw if raw else json.dumps(body)).encode("utf-8")


def content_type(recording: dict[str, Any]) -> str:
    for name, value in recording.get("response_headers", {}).items():
        if name.lower() == "content-type":
            return value[0] if isinstance(value, list) else str(value)
    return "text/event-stream" if recording.get("stream") else "application/json"


def _events(payload: bytes) -> list[bytes]:
    """Split a stream body after each blank line (LF or CRLF), keeping every byte."""
    pieces = re.split(rb"(\r?\n\r?\n)", payload)
    chunks = [pieces[i] + (pieces[i + 1] if i + 1 < len(pieces) else b"") for i in range(0, len(pieces), 2)]
    return [chunk for chunk in chunks if chunk]


@contextmanager
def replay(recording: dict[str, Any]) -> Iterator[ReplayServer]:
    """Serve `recording` on a free loopback port for as long as the block runs."""
    status = int(recording["status"])
    payload = response_bytes(recording)
    kind = content_type(recording)
    received: list[Received] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        received.append(Received(scope["method"], scope["path"], query, headers, parsed))
        if scope["method"] != "POST":
            body = b'{"error": {"message": "not found"}}'
            start = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 404, "headers": start})
            await send({"type": "http.response.body", "body": body})
            return
        headers_out = [(b"content-type", kind.encode("latin-1"))]
        if not recording.get("stream") or status != 200:
            headers_out.append((b"content-length", str(len(payload)).encode()))
            await send({"type": "http.response.start", "status": status, "headers": headers_out})
            await send({"type": "http.response.body", "body": payload})
            return
        await send({"type": "http.response.start", "status": status, "headers": headers_out})
        for chunk in _events(payload):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    with serve_asgi(app) as url:
        yield ReplayServer(url, received)
