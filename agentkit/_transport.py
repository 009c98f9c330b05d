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
from collections.abc import AsyncIterator, Generator, Iterator, Sequence
from typing import Any, Literal, Protocol

import httpx2

from agentkit.retry import mark_sent

__all__ = ["AnswerTooLarge", "AsyncDoorFindingTransport", "AsyncFailoverTransport", "AsyncGuardedTransport",
           "BearerAuth", "DoorFindingTransport", "FailoverTransport", "GuardedTransport", "door_verdict",
           "guard", "origin", "rewrite"]

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


# ------------------------------------------------------------------------------- finding a door

#: The most of a refused answer kept while the next place is tried (error bodies are small).
_KEEP_BYTES = 256 * 1024

Verdict = Literal["answer", "refused", "absent"]


def door_verdict(status: int, content_type: str, body: bytes | None = None, door: str | None = None) -> Verdict:
    """What one answer says about a door at the place it came from.

    "absent": nothing of the door is there (404, 405, or a web page: a relay's web console answers
    unknown paths with its HTML index and 200). "refused": something there refused the key (401,
    403, or a 400 that `agentkit.errors` reads as an authentication failure, such as LiteLLM's
    `no_db_connection`) and did not say it in the door's own protocol, so it may be the door with a
    wrong key, or a pass-through to a vendor's own API that the gateway's key does not open
    (LiteLLM's `{root}/anthropic` answers 401 `{"detail": ...}`). "answer": the door is there: any
    other answer, errors included, and a refusal in the door's own error shape (Anthropic's
    `{"type": "error", "error": {...}}` for `door="anthropic"`), and a 404 whose words are about the
    model, not the place (Portkey answers an unknown Claude model at its `/v1/messages` so). `body`
    matters for 400-404 only.
    """
    if status == 404 and body is not None:
        from agentkit.errors import says_model_unknown

        if says_model_unknown(body):  # the door is there; the model is not
            return "answer"
    if status in (404, 405) or (status < 300 and "text/html" in content_type.lower()):
        return "absent"
    if status in (401, 403):
        return "answer" if door == "anthropic" and _anthropic_shaped(body) else "refused"
    if status == 400 and body is not None:
        from agentkit.errors import AuthenticationError, error_from_status

        if isinstance(error_from_status(400, body), AuthenticationError) and not (
                door == "anthropic" and _anthropic_shaped(body)):
            return "refused"
    return "answer"


def _anthropic_shaped(body: bytes | None) -> bool:
    import json

    try:
        data = json.loads(body or b"")
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("type") == "error" and isinstance(data.get("error"), dict)


class _Finder(Protocol):
    """What the door-finding transports need of a door's finder (`agentkit.relay.DoorFinder`)."""

    door: str
    found: str | None

    def decide(self, base: str) -> str: ...

    def order(self, built_for: str) -> list[str]: ...


def _move(request: httpx2.Request, old: str, new: str) -> None:
    text = str(request.url)
    if text.startswith(old) and old != new:
        request.url = httpx2.URL(new + text[len(old):])
        request.headers["host"] = request.url.netloc.decode("ascii")


def _kept(response: httpx2.Response, raw: bytes, request: httpx2.Request) -> httpx2.Response:
    """An answer whose body was read here, as a fresh response the client reads again."""
    return httpx2.Response(response.status_code, headers=response.headers, content=raw, request=request,
                           extensions=response.extensions)


class _Search:
    """One first request's search for its door: what each place answered, and the outcome."""

    def __init__(self, finder: _Finder, built_for: str) -> None:
        self.finder = finder
        self.places = finder.order(built_for)
        self.refused: list[tuple[str, httpx2.Response]] = []
        self.absent: list[tuple[str, httpx2.Response]] = []

    def needs_body(self, response: httpx2.Response) -> bool:
        return response.status_code in (400, 401, 403, 404, 405) or door_verdict(
            response.status_code, response.headers.get("content-type", "")) != "answer"

    def judge(self, base: str, response: httpx2.Response, raw: bytes | None) -> Verdict:
        verdict = door_verdict(response.status_code, response.headers.get("content-type", ""), raw,
                               self.finder.door)
        if verdict == "answer":
            self.finder.decide(base)
        elif verdict == "refused":
            self.refused.append((base, response))
        else:
            self.absent.append((base, response))
        return verdict

    def outcome(self) -> httpx2.Response:
        """When no place answered: the last refusal of the key (that place checked the key; a
        404 only says nothing is there), else the first "nothing here". Its place is remembered
        either way: the relay's key does not change, so looking again would find the same."""
        if self.refused:
            base, response = self.refused[-1]
        else:
            base, response = self.absent[0]
        self.finder.decide(base)
        return response


class DoorFindingTransport(httpx2.BaseTransport):
    """Sends a door's requests where its finder (`agentkit.relay.DoorFinder`) found the door, and
    finds it with the first request that goes through: each place in turn, until one answers.

    `built_for` is the base URL the SDK client was given; requests under it move to the door found.
    """

    def __init__(self, inner: httpx2.BaseTransport, finder: _Finder, built_for: str) -> None:
        self._inner, self._finder, self._built_for = inner, finder, built_for

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        found = self._finder.found
        if found is not None or not str(request.url).startswith(self._built_for):
            if found is not None:
                _move(request, self._built_for, found)
            return self._inner.handle_request(request)
        request.read()
        search = _Search(self._finder, self._built_for)
        previous = self._built_for
        for base in search.places:
            _move(request, previous, base)
            previous = base
            response = self._inner.handle_request(request)
            raw: bytes | None = None
            if search.needs_body(response):
                kept = bytearray()
                try:
                    for chunk in response.iter_raw():
                        if len(kept) < _KEEP_BYTES:
                            kept += chunk
                finally:
                    response.close()
                raw = bytes(kept[:_KEEP_BYTES])
                response = _kept(response, raw, request)
            if search.judge(base, response, raw) == "answer":
                return response
        return search.outcome()

    def close(self) -> None:
        self._inner.close()


class AsyncDoorFindingTransport(httpx2.AsyncBaseTransport):
    """The async twin of :class:`DoorFindingTransport`."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, finder: _Finder, built_for: str) -> None:
        self._inner, self._finder, self._built_for = inner, finder, built_for

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        found = self._finder.found
        if found is not None or not str(request.url).startswith(self._built_for):
            if found is not None:
                _move(request, self._built_for, found)
            return await self._inner.handle_async_request(request)
        await request.aread()
        search = _Search(self._finder, self._built_for)
        previous = self._built_for
        for base in search.places:
            _move(request, previous, base)
            previous = base
            response = await self._inner.handle_async_request(request)
            raw: bytes | None = None
            if search.needs_body(response):
                kept = bytearray()
                try:
                    async for chunk in response.aiter_raw():
                        if len(kept) < _KEEP_BYTES:
                            kept += chunk
                finally:
                    await response.aclose()
                raw = bytes(kept[:_KEEP_BYTES])
                response = _kept(response, raw, request)
            if search.judge(base, response, raw) == "answer":
                return response
        return search.outcome()

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

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        if self._secret.get():
            request.headers["authorization"] = "Bearer " + self._secret.get()
        yield request


def guard(origins: Sequence[str], *, mark: bool, max_bytes: int | None, deadline: float | None) -> _Guard:
    """The guard for one client: the origins its credentials may go to, and its answer limits."""
    return _Guard(origins, mark=mark, max_bytes=max_bytes, deadline=deadline)
