"""httpx2 transports: failover from the relay's primary host to its backups, and the guard every client sends through.

Why at the transport: all three vendor SDKs send through an httpx2 client we can hand them, so one
transport gives every dialect the same failover, instead of three SDK-specific retry hooks. The
SDKs' own retries sit on top: a request first tries every host in order, and only when all of them
fail does the SDK see the failure (and back off and retry the whole round).

The guard (`GuardedTransport`) sits in front of every SDK client a relay builds: it keeps the key
with the hosts it was given for, records what was sent, and bounds each answer's size and time.

Imported only when a relay builds its clients (httpx2 comes with the SDKs).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx2

__all__ = ["AnswerTooLarge", "AsyncFailoverTransport", "AsyncGuardedTransport", "BearerAuth", "FailoverTransport",
           "GuardedTransport", "guard", "origin", "rewrite"]

#: Failures that mean "this host is down", worth trying the next host for.
_HOST_DOWN: tuple[type[Exception], ...] = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.RemoteProtocolError)


def rewrite(url: httpx2.URL, primary: str, backup: str) -> httpx2.URL:
    """Move `url` from the `primary` root to the `backup` root, keeping the path below the root."""
    text = str(url)
    if text.startswith(primary):
        return httpx2.URL(backup + text[len(primary) :])
    target = httpx2.URL(backup)  # a door URL not under the root: keep its path, swap the host
    return url.copy_with(scheme=target.scheme, host=target.host, port=target.port)


class FailoverTransport(httpx2.BaseTransport):
    """Sends each request to the primary root, then to each backup root on connection errors and 5xx."""

    def __init__(self, primary: str, backups: Sequence[str], inner: httpx2.BaseTransport | None = None) -> None:
        self._roots = [primary, *backups]
        self._inner = inner or httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        last = len(self._roots) - 1
        for i, root in enumerate(self._roots):
            if i:
                request.url = rewrite(request.url, self._roots[i - 1], root)
                request.headers["host"] = request.url.netloc.decode("ascii")
            try:
                response = self._inner.handle_request(request)
            except _HOST_DOWN:
                if i == last:
                    raise
                continue
            if response.status_code < 500 or i == last:
                return response
            response.close()
        raise AssertionError("unreachable: the loop returns or raises on the last root")

    def close(self) -> None:
        self._inner.close()


class AsyncFailoverTransport(httpx2.AsyncBaseTransport):
    """The async twin of :class:`FailoverTransport`."""

    def __init__(
        self, primary: str, backups: Sequence[str], inner: httpx2.AsyncBaseTransport | None = None
    ) -> None:
        self._roots = [primary, *backups]
        self._inner = inner or httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        last = len(self._roots) - 1
        for i, root in enumerate(self._roots):
            if i:
                request.url = rewrite(request.url, self._roots[i - 1], root)
                request.headers["host"] = request.url.netloc.decode("ascii")
            try:
                response = await self._inner.handle_async_request(request)
            except _HOST_DOWN:
                if i == last:
                    raise
                continue
            if response.status_code < 500 or i == last:
                return response
            await response.aclose()
        raise AssertionError("unreachable: the loop returns or raises on the last root")

    async def aclose(self) -> None:
        await self._inner.aclose()


# ------------------------------------------------------------------------------------ the guard

#: Headers that carry a relay key, in the spellings the three SDKs and relays use.
CREDENTIAL_HEADERS = ("authorization", "x-api-key", "x-goog-api-key", "api-key", "proxy-authorization")


class AnswerTooLarge(Exception):
    """An answer body grew past the relay's `max_answer_bytes` (the agent reports it as an UpstreamError)."""

    def __init__(self, limit: int, url: str) -> None:
        super().__init__(
            f"The answer from {url} grew past {limit:,} bytes and was cut off; raise the relay's "
            "`max_answer_bytes=` if such answers are expected."
        )
        self.limit = limit


def origin(url: httpx2.URL | str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port made explicit."""
    parsed = url if isinstance(url, httpx2.URL) else httpx2.URL(url)
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme)
    return parsed.scheme, parsed.host, port


class _Guard:
    """What both guard transports do to a request before sending it and to the answer they get.

    - Credentials stay with their origin: a request to any other origin (a redirect the client
      follows, a URL a relay handed back) goes without `Authorization`, `x-api-key`,
      `x-goog-api-key`, `api-key`. httpx2 strips only `Authorization` on a cross-origin redirect.
    - Each request is recorded for `agentkit.retry.track_sending` when `mark` is set.
    - The answer body is cut off with `AnswerTooLarge` past `max_bytes`, and with a read timeout
      once the attempt's `deadline` seconds have passed, so that keep-alive pings cannot hold a
      stream open for ever (the SDKs' read timeout restarts with every byte).
    """

    def __init__(self, origins: Sequence[str], *, mark: bool, max_bytes: int | None, deadline: float | None) -> None:
        self.origins = frozenset(origin(o) for o in origins)
        self.mark = mark
        self.max_bytes = max_bytes
        self.deadline = deadline

    def prepare(self, request: httpx2.Request) -> float | None:
        if origin(request.url) not in self.origins:
            for name in CREDENTIAL_HEADERS:
                request.headers.pop(name, None)
        if self.mark:
            from agentkit.retry import mark_sent

            mark_sent(request.url.path)
        return None if self.deadline is None else time.monotonic() + self.deadline

    def check(self, request: httpx2.Request, seen: int, ends: float | None) -> None:
        if self.max_bytes is not None and seen > self.max_bytes:
            raise AnswerTooLarge(self.max_bytes, f"{request.url.scheme}://{request.url.netloc.decode('ascii')}")
        if ends is not None and time.monotonic() > ends:
            raise httpx2.ReadTimeout(
                f"The answer took longer than the relay's timeout of {self.deadline:g} s in all.", request=request
            )


class _GuardedStream(httpx2.SyncByteStream):
    def __init__(self, inner: Any, guard: _Guard, request: httpx2.Request, ends: float | None) -> None:
        self._inner, self._guard, self._request, self._ends = inner, guard, request, ends

    def __iter__(self) -> Iterator[bytes]:
        seen = 0
        for chunk in self._inner:
            seen += len(chunk)
            self._guard.check(self._request, seen, self._ends)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _AsyncGuardedStream(httpx2.AsyncByteStream):
    def __init__(self, inner: Any, guard: _Guard, request: httpx2.Request, ends: float | None) -> None:
        self._inner, self._guard, self._request, self._ends = inner, guard, request, ends

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            self._guard.check(self._request, seen, self._ends)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


def _rewrap(response: httpx2.Response, request: httpx2.Request, stream: Any) -> httpx2.Response:
    return httpx2.Response(response.status_code, headers=response.headers, stream=stream,
                           request=request, extensions=response.extensions)


class GuardedTransport(httpx2.BaseTransport):
    """Keeps credentials with their origin, records sends, bounds answers (see `_Guard`)."""

    def __init__(self, inner: httpx2.BaseTransport, guard: _Guard) -> None:
        self._inner, self._guard = inner, guard

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        ends = self._guard.prepare(request)
        response = self._inner.handle_request(request)
        return _rewrap(response, request, _GuardedStream(response.stream, self._guard, request, ends))

    def close(self) -> None:
        self._inner.close()


class AsyncGuardedTransport(httpx2.AsyncBaseTransport):
    """The async twin of :class:`GuardedTransport`."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, guard: _Guard) -> None:
        self._inner, self._guard = inner, guard

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        ends = self._guard.prepare(request)
        response = await self._inner.handle_async_request(request)
        return _rewrap(response, request, _AsyncGuardedStream(response.stream, self._guard, request, ends))

    async def aclose(self) -> None:
        await self._inner.aclose()


class BearerAuth(httpx2.Auth):
    """Adds `Authorization: Bearer <key>` as the request leaves, so no caller's frame holds the key
    in clear (tracebacks with locals, debuggers, error trackers)."""

    def __init__(self, secret: Any) -> None:
        self._secret = secret  # an object whose `get()` gives the key and whose repr hides it

    def auth_flow(self, request: httpx2.Request) -> Iterator[httpx2.Request]:
        if self._secret.get():
            request.headers["authorization"] = "Bearer " + self._secret.get()
        yield request


def guard(origins: Sequence[str], *, mark: bool, max_bytes: int | None, deadline: float | None) -> _Guard:
    """The guard for one client: the origins its credentials may go to, and its answer limits."""
    return _Guard(origins, mark=mark, max_bytes=max_bytes, deadline=deadline)
