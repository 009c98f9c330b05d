"""One retry policy and one concurrency limit for every dialect.

Why agentkit retries instead of the SDKs: the three official SDKs disagree. openai and anthropic
retry 408/409/429/5xx twice with their own backoff; google-genai does not retry at all unless told,
then with a different backoff and a different list of statuses. The same relay failure would then
cost a different number of requests, and end in a different error, depending on the door a model
went through. So the SDK clients the agent uses are built with their retries off
(`Relay.async_client(..., sdk_retries=False)`), and the agent retries the model request itself, the
same way for every dialect (`Agent._call_model`):

- Only errors whose class says `retryable` are retried: `RateLimitError` (429), `UpstreamError`
  (5xx, an error event inside a 200 stream, an answer that could not be parsed),
  `RelayConnectionError` / `RelayTimeoutError` (refused, reset, dropped, timed out), and
  `EmptyAnswerError` when the model said nothing for no stated reason. 400, 401/403, 402, 404 and a
  spent quota (`QuotaExceededError`) are never retried: waiting cannot fix them.
- The wait is exponential, `initial * 2**(attempt - 1)`, capped at `max_delay`, minus up to
  `jitter` (25 %) at random so that many clients hit by the same 429 do not come back in step.
- A relay's `Retry-After` (or `retry-after-ms`) is honoured as given, up to `max_retry_after`
  seconds; a relay that asks for a longer wait gets no retry (the error says how long it asked for).
- A stream is retried only while nothing of it was shown to the caller: once a delta was yielded, a
  retry would show the answer twice, so the error is raised instead (and the history stays as it was
  before that request).
- The concurrency slot (`ConcurrencyLimit`) is released while waiting to retry.

The concurrency limit is per relay, not per event loop: a notebook that runs `agent(...)` from a
pool of threads runs one event loop per call, and a per-loop semaphore would not bound anything.
Relays document about 100 concurrent requests per key (`Relay(max_concurrency=100)` by default).
"""

from __future__ import annotations

import asyncio
import collections
import random
import threading
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentkit.errors import ConfigurationError, RelayError

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["ConcurrencyLimit", "RetryPolicy", "mark_sent", "track_sending"]


@dataclass(frozen=True)
class RetryPolicy:
    """How a failed model request is retried (see the module docstring for what is retried).

    Attributes:
        max_retries: Retries after the first attempt (0: never retry).
        initial_delay: Seconds before the first retry.
        max_delay: The cap on the exponential wait, in seconds.
        jitter: The fraction of each wait taken off at random (0 to 1).
        max_retry_after: The longest `Retry-After` honoured, in seconds; a longer one is not retried.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ConfigurationError(f"`max_retries` must be a whole number, 0 or more; got {self.max_retries!r}.")
        if not (0 <= self.initial_delay <= self.max_delay):
            raise ConfigurationError(
                f"`backoff=(initial, max)` needs 0 <= initial <= max seconds; "
                f"got ({self.initial_delay!r}, {self.max_delay!r})."
            )
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError(f"`jitter` must be between 0 and 1; got {self.jitter!r}.")
        if self.max_retry_after < 0:
            raise ConfigurationError(f"`max_retry_after` cannot be negative; got {self.max_retry_after!r}.")

    def backoff(self, attempt: int, *, rng: random.Random | None = None) -> float:
        """The jittered exponential wait before retry number `attempt` (1 for the first retry)."""
        base = min(self.max_delay, self.initial_delay * 2 ** max(0, attempt - 1))
        draw = (rng or random).random()
        return base * (1 - self.jitter * draw)

    def delay(self, error: BaseException, attempt: int, *, rng: random.Random | None = None) -> float | None:
        """Seconds to wait before retry number `attempt` after `error`, or None: do not retry.

        `attempt` counts retries, from 1. A `Retry-After` the relay sent wins over the backoff.
        """
        if attempt > self.max_retries or not getattr(error, "retryable", False):
            return None
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, (int, float)) and retry_after >= 0:
            if retry_after > self.max_retry_after:
                return None
            return float(retry_after)
        return self.backoff(attempt, rng=rng)


def give_up_note(error: BaseException, policy: RetryPolicy, attempts: int) -> str | None:
    """A sentence saying why a retryable error is raised after all (for the error's advice), or None."""
    if not getattr(error, "retryable", False):
        return None
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, (int, float)) and retry_after > policy.max_retry_after:
        return (
            f"The relay asked to wait {retry_after:g} s, longer than the {policy.max_retry_after:g} s "
            "agentkit waits, so it was not retried; wait, then run again."
        )
    if attempts > 1:
        return f"It failed {attempts} times in a row (`max_retries={policy.max_retries}` on the Relay)."
    return None


def with_advice(error: RelayError, advice: str) -> RelayError:
    """A copy of `error` (same class and fields) whose advice, the message's last sentence, is `advice`."""
    state = dict(error.__dict__)
    copy = type(error).__new__(type(error))
    copy.__dict__.update(state)
    copy.advice = advice
    Exception.__init__(copy, copy._compose())
    return copy


class ConcurrencyLimit:
    """At most `limit` requests in flight through one relay, across every thread and event loop.

    `async with limit:` takes a slot (waiting in arrival order when none is free) and gives it back.
    An `asyncio.Semaphore` belongs to one loop; agent runs started from several threads each have
    their own loop, so the count lives behind a thread lock and a freed slot is handed to the next
    waiter on that waiter's own loop.

    Attributes:
        limit: The most requests in flight at once.
        peak: The most that were ever in flight at once (for benchmarks and load tests).
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ConfigurationError(f"`max_concurrency` must be at least 1; got {limit!r}.")
        self.limit = limit
        self.peak = 0
        self._active = 0
        self._lock = threading.Lock()
        self._waiters: collections.deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = (
            collections.deque()
        )

    def __repr__(self) -> str:
        return f"ConcurrencyLimit({self.limit}, active={self._active}, waiting={len(self._waiters)})"

    @property
    def active(self) -> int:
        """Requests in flight now."""
        return self._active

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot now."""
        return len(self._waiters)

    async def acquire(self) -> None:
        """Take a slot, waiting (cancellably) until one is free."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._active < self.limit and not self._waiters:
                self._take()
                return
            future: asyncio.Future[None] = loop.create_future()
            entry = (loop, future)
            self._waiters.append(entry)
        try:
            await future
        except BaseException:
            with self._lock:
                if entry in self._waiters:
                    self._waiters.remove(entry)
                elif future.done() and not future.cancelled():
                    self._release()  # granted just as we were cancelled: pass the slot on
                # else a grant is on its way to a cancelled future; `_grant` passes it on
            raise

    def release(self) -> None:
        """Give a slot back (to the longest waiter, if any)."""
        with self._lock:
            self._release()

    def _take(self) -> None:
        self._active += 1
        self.peak = max(self.peak, self._active)

    def _release(self) -> None:
        # Called with the lock held. The slot moves to a waiter without ever being free, so a
        # newcomer cannot jump the queue.
        while self._waiters:
            loop, future = self._waiters.popleft()
            try:
                loop.call_soon_threadsafe(self._grant, future)
            except RuntimeError:  # that waiter's loop is closed: it is not waiting any more
                continue
            return
        self._active -= 1

    def _grant(self, future: asyncio.Future[None]) -> None:
        if future.done():  # cancelled while the slot was on its way
            self.release()
        else:
            future.set_result(None)

    async def __aenter__(self) -> ConcurrencyLimit:
        await self.acquire()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


# ---------------------------------------------------------------------------- was the request sent?

_SENT: ContextVar[list[str] | None] = ContextVar("agentkit_request_sent", default=None)


def track_sending() -> list[str]:
    """Start recording the requests the current task sends (see `mark_sent`).

    Why: an exception that no SDK maps (a `ValueError`, a pydantic `ValidationError`) means "the
    relay's answer could not be read" if the request went out, but "the SDK refused the request we
    built" (a bad option value) if it never did. Only the second is the developer's to fix, and
    retrying it is pointless. The returned list gets one entry per request sent.
    """
    marks: list[str] = []
    _SENT.set(marks)
    return marks


def mark_sent(path: str) -> None:
    """Record that a request to `path` went out (called by the guard transport every relay client sends through)."""
    marks = _SENT.get()
    if marks is not None:
        marks.append(path)
