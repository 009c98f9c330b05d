"""The request log: every request the emulator received, with secrets redacted.

Why: tests assert on what the SDKs actually sent (headers, body shape, how many retries), and the log
must be safe to print in a notebook or a CI log, so every key-bearing header and the Gemini `key`
query parameter are replaced before the record is stored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from agentkit._api import checked_class

__all__ = ["REDACTED", "RequestLog", "RequestRecord", "redact_headers", "redact_query"]

REDACTED = "[REDACTED]"
_SECRET_HEADERS = {"authorization", "proxy-authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie"}
_SECRET_QUERY = {"key", "api_key", "apikey"}


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with key-bearing values replaced; names are lower-cased as HTTP/2 and ASGI do."""
    return {
        name.lower(): (REDACTED if name.lower() in _SECRET_HEADERS else value)
        for name, value in headers.items()
    }


def redact_query(query: Mapping[str, str]) -> dict[str, str]:
    """Query parameters with `key` (Gemini's query-string API key) replaced."""
    return {name: (REDACTED if name.lower() in _SECRET_QUERY else value) for name, value in query.items()}


@checked_class("RequestRecord", "record")
@dataclass(frozen=True)
class RequestRecord:
    """One received request.

    Attributes:
        door: "openai", "responses", "anthropic", "gemini", "models", or "unknown" for unrouted paths.
        method: The HTTP method.
        path: The URL path.
        query: Query parameters (the Gemini key redacted).
        headers: Request headers, lower-case names, key-bearing values redacted.
        body: The parsed JSON body; the raw text when it was not JSON; None when empty.
        model: The requested model, when the body or path names one.
        stream: Whether the request asked for a stream.
        time: When it arrived (`time.time()`).
    """

    door: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    model: str | None = None
    stream: bool = False
    time: float = field(default_factory=time.time)


@checked_class("RequestLog", "log")
class RequestLog(Sequence[RequestRecord]):
    """A thread-safe, append-only list of :class:`RequestRecord` (the server thread appends)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        """Add a record (called by the server)."""
        with self._lock:
            self._records.append(record)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()

    def snapshot(self) -> list[RequestRecord]:
        """A copy of the records so far."""
        with self._lock:
            return list(self._records)

    def for_door(self, door: str) -> list[RequestRecord]:
        """The records of one door."""
        return [record for record in self.snapshot() if record.door == door]

    @property
    def last(self) -> RequestRecord:
        """The latest record; IndexError when nothing was received yet."""
        with self._lock:
            if not self._records:
                raise IndexError("The emulator has not received any request yet.")
            return self._records[-1]

    @overload
    def __getitem__(self, index: int) -> RequestRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[RequestRecord]: ...

    def __getitem__(self, index: int | slice) -> RequestRecord | list[RequestRecord]:
        with self._lock:
            return self._records[index]

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self.snapshot())

    def __repr__(self) -> str:
        return f"RequestLog({len(self)} requests)"
