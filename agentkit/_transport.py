"""httpx2 transports that fail over from the relay's primary host to its backup hosts.

Why at the transport: all three vendor SDKs send through an httpx2 client we can hand them, so one
transport gives every dialect the same failover, instead of three SDK-specific retry hooks. The
SDKs' own retries sit on top: a request first tries every host in order, and only when all of them
fail does the SDK see the failure (and back off and retry the whole round).

Imported only when a relay with `backup_urls` builds its clients (httpx2 comes with the SDKs).
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx2

__all__ = ["AsyncFailoverTransport", "FailoverTransport", "rewrite"]

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
