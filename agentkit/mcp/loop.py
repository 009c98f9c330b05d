"""The one event loop every MCP session lives on, on its own daemon thread.

Why a loop of our own: the SDK's sessions hold anyio task groups, which must be entered and left
in the same task, and stay open between agent runs that each run on whichever loop the caller has
(a script's loop, the notebook's, agentkit's background loop). So each session is opened and
closed by one owner task here (`connection.Connection`), and callers on any thread or loop reach
it through `call` / `acall`, which hand a coroutine over and wait for it. Cancelling the waiter (a
tool timeout, Ctrl-C) cancels the work here too.

At interpreter exit the servers still open are closed (`atexit`), so no subprocess outlives us.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from agentkit._aio import _Background

T = TypeVar("T")

__all__ = ["acall", "call", "register", "unregister"]


class Closable(Protocol):
    async def close(self) -> None: ...


# One loop thread of our own, built like the one `_aio` shares (not that one: a sync call made on its
# thread would wait for itself).
_current: _Background | None = None
_lock = threading.Lock()
#: Open connections, closed at interpreter exit. Held strongly: a server object dropped without
#: `close()` still has its subprocess, which must not outlive us.
_open: set[Closable] = set()


def _loop() -> asyncio.AbstractEventLoop:
    global _current
    with _lock:
        if _current is None or _current.pid != os.getpid() or not _current.thread.is_alive():
            _current = _Background()
        return _current.loop


def register(connection: Closable) -> None:
    """Close `connection` at interpreter exit if it is still open then."""
    _open.add(connection)


def unregister(connection: Closable) -> None:
    _open.discard(connection)


def call(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run `make()` on the MCP loop and wait for it from sync code (any thread, a running notebook loop too).

    Ctrl-C while waiting cancels the work on the MCP loop before KeyboardInterrupt goes on.
    """
    loop = _loop()
    if _on(loop):
        raise RuntimeError("agentkit's MCP loop cannot wait for itself; use the async methods there.")
    future = asyncio.run_coroutine_threadsafe(make(), loop)
    try:
        return future.result()
    except BaseException:
        future.cancel()
        raise


async def acall(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run `make()` on the MCP loop and await it from any other loop (on the MCP loop: directly)."""
    loop = _loop()
    if _on(loop):
        return await make()
    future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(make(), loop)
    return await asyncio.wrap_future(future)


def _on(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


@atexit.register
def _close_all() -> None:
    """Close every open server (their subprocesses end) while the interpreter is whole."""
    current = _current
    if current is None or current.pid != os.getpid() or not current.thread.is_alive():
        return
    connections = list(_open)
    if not connections:
        return

    async def close_all() -> None:
        await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)

    with contextlib.suppress(BaseException):
        asyncio.run_coroutine_threadsafe(close_all(), current.loop).result(15)
