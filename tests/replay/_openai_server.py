"""A loopback server that answers every request with one canned HTTP response and logs what it got.

Used by the OpenAI replay tests (recorded real traffic) and by the Responses dialect tests (a
hand-written SSE body). Streams are sent one SSE event per chunk, so the SDK really parses them
incrementally.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import serve_asgi

#: Headers that describe the original connection or compressed body, not the bytes we replay.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "content-encoding",
    "date",
    "server",
}


@dataclass
class Exchange:
    """What the server received: method, path, headers and the JSON body (None if not JSON)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class CannedServer:
    """The canned response and the requests received so far."""

    url: str
    requests: list[Exchange] = field(default_factory=list)

    @property
    def last_body(self) -> Any:
        assert self.requests, "the server received no request"
        return self.requests[-1].body


def _header_list(headers: Mapping[str, Any]) -> list[tuple[bytes, bytes]]:
    out: list[tuple[bytes, bytes]] = []
    for name, value in headers.items():
        if name.lower() in _HOP_BY_HOP:
            continue
        for item in value if isinstance(value, list) else [value]:
            out.append((name.lower().encode("latin-1"), str(item).encode("latin-1")))
    return out


def _sse_chunks(body: bytes) -> list[bytes]:
    """Split an SSE body after each blank line (LF or CRLF), keeping every byte."""
    chunks: list[bytes] = []
    start = 0
    for index in range(len(body)):
        if body[index : index + 2] == b"\n\n":
            chunks.append(body[start : index + 2])
            start = index + 2
    if start < len(body):
        chunks.append(body[start:])
    return chunks


@contextmanager
def serve_canned(status: int, headers: Mapping[str, Any], body: bytes | str) -> Iterator[CannedServer]:
    """Serve `status`/`headers`/`body` for every request on a free loopback port."""
    payload = body.encode("utf-8") if isinstance(body, str) else body
    header_list = _header_list(headers)
    streaming = any(n == b"content-type" and v.startswith(b"text/event-stream") for n, v in header_list)
    received: list[Exchange] = []

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
        request_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        received.append(Exchange(scope["method"], scope["path"], request_headers, parsed))
        if not streaming:
            start_headers = [*header_list, (b"content-length", str(len(payload)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": start_headers})
            await send({"type": "http.response.body", "body": payload})
            return
        await send({"type": "http.response.start", "status": status, "headers": header_list})
        for chunk in _sse_chunks(payload):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    with serve_asgi(app) as url:
        yield CannedServer(url, received)
