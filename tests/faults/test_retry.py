"""The retry policy and the relay-wide concurrency limit, on their own and as the agent applies them."""

from __future__ import annotations

import asyncio
import email.utils
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import agentkit as ak
from agentkit.emulator import Emulator, Fault
from agentkit.errors import error_from_status
from agentkit.events import Retrying, TextDelta
from agentkit.retry import ConcurrencyLimit, RetryPolicy

from .harness import KEY, MODELS


def _error(status: int, **kwargs: Any) -> ak.RelayError:
    return error_from_status(status, {"error": {"message": "x"}}, **kwargs)


# ------------------------------------------------------------------------------------------ policy


def test_backoff_is_exponential_capped_and_jittered() -> None:
    policy = RetryPolicy(max_retries=10, initial_delay=0.5, max_delay=8.0, jitter=0.25)
    rng = random.Random(3)
    for attempt, base in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 8.0), (9, 8.0)]:
        waits = [policy.delay(_error(503), attempt, rng=rng) for _ in range(200)]
        assert all(w is not None and base * 0.75 <= w <= base for w in waits), (attempt, min(waits), max(waits))  # type: ignore[operator]
        assert len(set(waits)) > 100, "no jitter"


def test_retry_after_is_honoured_up_to_its_cap() -> None:
    policy = RetryPolicy(max_retries=3, max_retry_after=60)
    assert policy.delay(_error(429, retry_after=7.5), 1) == 7.5
    assert policy.delay(_error(503, retry_after=2), 2) == 2  # a 503 with Retry-After too
    assert policy.delay(_error(429, retry_after=600), 1) is None  # longer than we wait: raised at once


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404])
def test_client_errors_are_never_retried(status: int) -> None:
    assert RetryPolicy(max_retries=5).delay(_error(status), 1) is None


def test_a_spent_quota_is_not_retried_in_any_doors_words() -> None:
    policy = RetryPolicy(max_retries=5)
    openai = error_from_status(429, {"error": {"message": "quota", "code": "insufficient_quota"}})
    anthropic = error_from_status(429, {"type": "error", "error": {"type": "rate_limit_error",
                                                                  "message": "You exceeded your current quota."}})
    gemini = error_from_status(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                                               "message": "You exceeded your current quota, check your plan."}})
    per_minute = error_from_status(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message":
                                                   "You exceeded your current quota: requests per minute. "
                                                   "Please retry in 20s."}})
    for error in (openai, anthropic, gemini):
        assert isinstance(error, ak.QuotaExceededError) and policy.delay(error, 1) is None
    assert type(per_minute) is ak.RateLimitError and policy.delay(per_minute, 1) is not None


def test_retries_stop_after_max_retries() -> None:
    policy = RetryPolicy(max_retries=2)
    assert policy.delay(_error(500), 2) is not None
    assert policy.delay(_error(500), 3) is None
    assert RetryPolicy(max_retries=0).delay(_error(500), 1) is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_retries": -1}, "max_retries"),
        ({"backoff": (2.0, 1.0)}, "initial <= max"),
        ({"backoff": (-1.0, 1.0)}, "initial <= max"),
        ({"backoff": 3}, "pair"),
        ({"max_concurrency": 0}, "max_concurrency"),
    ],
)
def test_bad_retry_options_are_refused_with_the_value(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ak.ConfigurationError, match=match):
        ak.Relay("https://r.example", api_key="k", **kwargs)


def test_the_relay_carries_its_policy_and_builds_clients_without_sdk_retries() -> None:
    relay = ak.Relay("https://r.example", api_key="k", max_retries=4, backoff=(0.2, 3.0))
    assert relay.retry_policy == RetryPolicy(4, 0.2, 3.0)

    async def clients() -> tuple[Any, Any, Any, Any]:
        return (relay.async_client("openai", sdk_retries=False), relay.async_client("anthropic", sdk_retries=False),
                relay.async_client("gemini", sdk_retries=False), relay.async_client("openai"))

    openai, anthropic, gemini, with_retries = asyncio.run(clients())
    assert openai.max_retries == 0 and anthropic.max_retries == 0
    assert gemini._api_client._http_options.retry_options.attempts == 1  # google-genai: 1 attempt, no retry
    assert with_retries.max_retries == 4  # what users calling the SDK themselves get


def test_retry_after_as_an_http_date_is_understood() -> None:
    from agentkit.errors import _retry_after

    class Response:
        def __init__(self, value: str) -> None:
            self.headers = {"retry-after": value}

    wait = _retry_after(Response(email.utils.formatdate(time.time() + 30, usegmt=True)))
    assert wait is not None and 25 < wait <= 31
    assert _retry_after(Response("soon")) is None


# ------------------------------------------------------------------------------------------ limit


def test_the_limit_serves_waiters_in_order_and_survives_cancellation() -> None:
    limit = ConcurrencyLimit(2)
    order: list[int] = []

    async def user(i: int, hold: float) -> None:
        async with limit:
            order.append(i)
            await asyncio.sleep(hold)

    async def main() -> None:
        holders = [asyncio.create_task(user(i, 0.05)) for i in range(2)]
        await asyncio.sleep(0.01)
        waiters = [asyncio.create_task(user(i, 0.0)) for i in range(2, 6)]
        await asyncio.sleep(0.01)
        assert limit.active == 2 and limit.waiting == 4
        waiters[1].cancel()  # a waiter that gives up does not take a slot with it
        await asyncio.gather(*holders, *waiters, return_exceptions=True)
        assert limit.active == 0 and limit.waiting == 0 and limit.peak == 2

    asyncio.run(main())
    assert order == [0, 1, 2, 4, 5]


def test_a_slot_granted_to_a_cancelled_waiter_is_passed_on() -> None:
    limit = ConcurrencyLimit(1)

    async def main() -> None:
        await limit.acquire()
        waiter = asyncio.create_task(limit.acquire())
        other = asyncio.create_task(limit.acquire())
        await asyncio.sleep(0.01)
        limit.release()  # the slot goes to `waiter`...
        waiter.cancel()  # ...which is cancelled before it runs: `other` must get it
        await asyncio.gather(waiter, return_exceptions=True)
        await asyncio.wait_for(other, 1)
        assert limit.active == 1
        limit.release()
        assert limit.active == 0

    asyncio.run(main())


def test_the_limit_is_shared_by_threads_with_their_own_loops() -> None:
    limit = ConcurrencyLimit(3)
    inside = 0
    peak = 0
    lock = threading.Lock()

    async def work() -> None:
        nonlocal inside, peak
        async with limit:
            with lock:
                inside += 1
                peak = max(peak, inside)
            await asyncio.sleep(0.01)
            with lock:
                inside -= 1

    async def five() -> None:
        await asyncio.wait_for(asyncio.gather(*(work() for _ in range(5))), 10)

    errors: list[BaseException] = []

    def thread() -> None:
        try:
            asyncio.run(five())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=thread) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert peak == 3 and limit.peak == 3 and limit.active == 0


# ------------------------------------------------------------------------------------------ in the agent


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(api_key=KEY) as emulator:
        yield emulator


@pytest.mark.parametrize("model", MODELS)
def test_the_agent_announces_each_retry_and_waits_longer_each_time(emulator: Emulator, model: str) -> None:
    emulator.reset()
    emulator.fault(Fault.http_error(503), count=3)
    relay = ak.Relay(emulator.url, api_key=KEY, max_retries=3, backoff=(0.04, 0.16))
    events = list(ak.Agent(model, relay=relay, display=False).stream("hello"))
    retries = [e for e in events if isinstance(e, Retrying)]
    assert [r.attempt for r in retries] == [1, 2, 3]
    for retry, base in zip(retries, (0.04, 0.08, 0.16), strict=True):
        assert base * 0.75 <= retry.delay <= base and isinstance(retry.error, ak.UpstreamError)
    assert any(isinstance(e, TextDelta) for e in events)
    assert len(emulator.log) == 4


def test_sdk_clients_do_not_retry_behind_the_agents_back(emulator: Emulator) -> None:
    """With `max_retries=0` the relay sees exactly one request per failure, in every dialect."""
    relay = ak.Relay(emulator.url, api_key=KEY, max_retries=0)
    for model in MODELS:
        emulator.reset()
        emulator.fault(Fault.http_error(503), count=None)
        with pytest.raises(ak.UpstreamError):
            ak.Agent(model, relay=relay, display=False)("hello")
        assert len(emulator.log) == 1, model
