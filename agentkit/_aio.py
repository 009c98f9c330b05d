"""Run agentkit's async core from synchronous code, including inside Jupyter's running event loop.

Why a thread: in a notebook cell an event loop is already running in the main thread, so
`asyncio.run()` raises "cannot be called from a running event loop" (the bug users hit most in
other frameworks), and blocking that loop with `run_until_complete` is not allowed either. When a
loop is running here we run the coroutine on a fresh loop in a worker thread and wait for it.

Ctrl-C: the KeyboardInterrupt lands in the waiting (main) thread. We then cancel the task on the
worker's loop and wait for it to unwind, so the agent's own `finally` blocks repair the history
before the KeyboardInterrupt reaches the user.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

__all__ = ["iterate", "run_sync"]

T = TypeVar("T")


def _in_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class _Worker:
    """A loop in its own thread, running one coroutine; cancellable from the calling thread."""

    def __init__(self, coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> None:
        self._factory = coro_factory
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[Any] | None = None
        self._ready = threading.Event()
        self._done = threading.Event()
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="agentkit-run", daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._task = self._loop.create_task(self._factory())
            self._ready.set()
            self._result = self._loop.run_until_complete(self._task)
        except BaseException as exc:
            self._error = exc
        finally:
            self._ready.set()
            try:
                self._loop.run_until_complete(self._loop.shutdown_asyncgens())
                self._loop.run_until_complete(self._loop.shutdown_default_executor())
            finally:
                self._loop.close()
                self._done.set()

    def run(self) -> Any:
        self._thread.start()
        try:
            while not self._done.wait(0.05):
                pass
        except BaseException:  # KeyboardInterrupt while waiting: cancel and let the run clean up
            self.cancel()
            self._done.wait()
            raise
        if self._error is not None:
            raise self._error
        return self._result

    def cancel(self) -> None:
        self._ready.wait()
        task = self._task
        if task is not None and not self._done.is_set():
            try:
                self._loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:  # the loop closed in between: nothing left to cancel
                pass


def run_sync(coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine made by `coro_factory` to completion from synchronous code.

    Outside a running loop: `asyncio.run` (which turns Ctrl-C into a cancellation of the task).
    Inside one (Jupyter): a worker thread with its own loop.
    """
    if not _in_running_loop():
        return asyncio.run(coro_factory())
    result: T = _Worker(coro_factory).run()
    return result


_END = object()


def iterate(agen_factory: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """Iterate an async iterator from synchronous code, item by item, as the items are produced.

    The async iterator runs on a worker thread's loop; items cross over a queue. Leaving the loop
    early (break, exception, Ctrl-C) cancels the async side and waits for its cleanup.
    """
    items: queue.Queue[Any] = queue.Queue()

    async def pump() -> None:
        agen = agen_factory()
        try:
            async for item in agen:
                items.put(item)
        except BaseException as exc:
            items.put(_Raised(exc))
            raise
        finally:
            aclose = getattr(agen, "aclose", None)
            if aclose is not None:
                await aclose()
            items.put(_END)

    worker = _Worker(pump)
    worker._thread.start()
    finished = False
    try:
        while True:
            item = items.get()
            if item is _END:
                finished = True
                break
            if isinstance(item, _Raised):
                finished = True
                worker._done.wait()
                if isinstance(item.exc, asyncio.CancelledError):
                    raise KeyboardInterrupt from None
                raise item.exc
            yield item
    finally:
        if not finished:
            worker.cancel()
        worker._done.wait()


class _Raised:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
