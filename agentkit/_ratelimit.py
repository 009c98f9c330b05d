"""A relay's requests-per-minute limit (`Relay(rate_limit=...)`, `ak.batch(..., rate_limit=...)`).

Why spaced rather than windowed: relays document limits such as "3000 requests/min" and answer
429 past them. Sending a burst at the start of each minute invites 429s and retry storms; spacing
requests `60 / rate_limit` seconds apart keeps any 60 s window at the limit. It is a GCRA (a
token bucket kept as one timestamp): each request reserves the next free send time under a lock,
then sleeps until then, so waiting never holds the lock, and it works across threads and loops.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, Any

from agentkit.errors import ConfigurationError

if TYPE_CHECKING:
    from types import TracebackType

    from agentkit.retry import ConcurrencyLimit

__all__ = ["RateLimit", "Throttled"]


class RateLimit:
    """At most `per_minute` requests a minute, evenly spaced, allowing bursts of `burst` requests.

    Attributes:
        per_minute: The limit.
        burst: How many requests may go back to back after a quiet spell (default 1: strictly spaced).
    """

    def __init__(self, per_minute: float, *, burst: int = 1) -> None:
        if isinstance(per_minute, bool) or not isinstance(per_minute, (int, float)) or not per_minute > 0:
            raise ConfigurationError(
                f"`rate_limit` must be a positive number of requests per minute; got {per_minute!r}."
            )
        if not isinstance(burst, int) or burst < 1:
            raise ConfigurationError(f"`burst` must be an int of at least 1; got {burst!r}.")
        self.per_minute = float(per_minute)
        self.burst = burst
        self._interval = 60.0 / self.per_minute
        self._next = 0.0  # the theoretical send time of the next request (time.monotonic)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RateLimit({self.per_minute:g}/min)"

    def reserve(self) -> float:
        """Take the next send slot; return the seconds to wait before sending (0 when it is free now)."""
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            wait = max(0.0, slot - (self.burst - 1) * self._interval - now)
            self._next = slot + self._interval
        return wait

    async def acquire(self) -> None:
        """Wait (cancellably) until this request may be sent."""
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)


class Throttled:
    """`async with`: wait for the rate limit, then hold one of the relay's concurrency slots."""

    __slots__ = ("_limit", "_rate")

    def __init__(self, rate: RateLimit, limit: ConcurrencyLimit) -> None:
        self._rate = rate
        self._limit = limit

    async def __aenter__(self) -> Any:
        await self._rate.acquire()  # before taking a slot: waiting here must not block other requests
        await self._limit.acquire()
        return self._limit

    async def __aexit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._limit.release()
