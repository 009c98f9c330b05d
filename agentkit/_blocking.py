"""An SDK's sync client with its async client's surface, for `agent(...)` calls made from sync code.

Why: the dialects speak to the async clients (`await client.chat.completions.create(...)`), and
sync calls (`agent(...)`, `agent.stream(...)` outside a notebook) drive that async core on the
calling thread's own loop (`_aio`). During a model call nothing else runs on that loop, so the
call may block it; and a request through an SDK's sync client costs markedly less than through its
async client (~0.5-1 ms less per request on the benchmark stub, benchmarks/overhead.py). So those
runs hand the dialects this wrapper: each SDK method becomes a coroutine function that makes the
blocking call, and a sync stream becomes an async iterator that reads it chunk by chunk.

Only the task that `_aio` marked may block (`_aio.blocking_allowed()`); tools run concurrently in
other tasks, and an agent called from one of them gets the async client as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["BlockingClient"]

#: The SDKs' resource-namespace base classes (`client.chat`, `client.messages`, `client.models`).
_NAMESPACE_BASES = frozenset({"SyncAPIResource", "BaseModule"})
#: The name ending of the SDKs' raw-response namespaces (`client.messages.with_raw_response`, a
#: `MessagesWithRawResponse` with no base class): their methods return the `APIResponse` unparsed.
_RAW_RESPONSE_SUFFIX = "WithRawResponse"


_namespaces: dict[type, bool] = {}


def _is_namespace(cls: type) -> bool:
    known = _namespaces.get(cls)
    if known is None:
        known = _namespaces[cls] = cls.__name__.endswith(_RAW_RESPONSE_SUFFIX) or any(
            base.__name__ in _NAMESPACE_BASES for base in cls.__mro__
        )
    return known


class BlockingClient:
    """Wraps a sync SDK client (or one of its resource namespaces); see the module docstring."""

    __slots__ = ("_target",)

    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if _is_namespace(type(value)):
            return BlockingClient(value)
        if callable(value) and not isinstance(value, type):
            return _as_coroutine_function(value)
        return value  # plain data (`client.timeout`)

    def __repr__(self) -> str:
        return f"BlockingClient({type(self._target).__name__})"


def _as_coroutine_function(method: Callable[..., Any]) -> Callable[..., Any]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        if hasattr(result, "__next__"):  # a sync stream (`Stream`, google-genai's generator)
            return SyncStream(result)
        return result

    return call


class SyncStream:
    """A sync SDK stream as an async iterator, with the async streams' `close()` / `aclose()`."""

    __slots__ = ("_iterator", "_source")

    def __init__(self, source: Any) -> None:
        self._source = source
        self._iterator = iter(source)

    def __aiter__(self) -> SyncStream:
        return self

    async def __anext__(self) -> Any:
        try:
            return next(self._iterator)
        except StopIteration:
            raise StopAsyncIteration from None

    async def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()

    aclose = close

    def __getattr__(self, name: str) -> Any:  # `stream.response` and the like
        return getattr(self._source, name)
