"""Run agentkit's async core from synchronous code, including inside Jupyter's running event loop.

Only public asyncio is used, in two ways, chosen by whether a loop already runs in the caller's thread:

- None runs (scripts, threads, the REPL): the thread's own long-lived `asyncio.Runner` runs the
  coroutine. Why long-lived: each relay keeps one async SDK client, with its connection pool, per
  event loop, and building one costs 35-170 ms (SDK_FACTS §7) plus a new TCP connection; a fresh
  loop per call (`asyncio.run`) paid that every time. The Runner also gives Ctrl-C its documented
  meaning: the run's task is cancelled, its `finally` blocks repair the history, and then
  KeyboardInterrupt reaches the caller.
- One runs (a notebook cell, or an async tool calling `agent(...)`): that loop can be neither
  blocked nor re-entered, so the coroutine runs on one shared loop on a daemon thread, and this
  thread waits for it, calling `idle` while it waits (the live view's timer and approval buttons
  live there, on the thread that owns the widgets). A call made from the shared loop's own thread
  gets a private loop on a fresh thread, which cannot deadlock.

A sync stream is the same machinery item by item: each `__anext__` runs on the thread's Runner, or
the items cross a queue from the shared loop.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import os
import queue
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

__all__ = ["in_running_loop", "iterate", "run_sync"]

T = TypeVar("T")

#: Called while a sync call waits on another thread's loop; returns the seconds until the next call.
Idle = Callable[[], float]


def in_running_loop() -> bool:
    """Whether an event loop runs in this thread (a notebook cell, an async tool)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# ------------------------------------------------------------------------ this thread's own Runner


class _ThreadRunner:
    """A thread's long-lived Runner; closed when the thread's locals go away or at interpreter exit."""

    def __init__(self) -> None:
        self.runner = asyncio.Runner()
        self.pid = os.getpid()

    def close(self) -> None:
        with contextlib.suppress(BaseException):
            self.runner.close()

    def __del__(self) -> None:
        if self.pid == os.getpid():
            self.close()


_local = threading.local()


@atexit.register
def _close_at_exit() -> None:
    """Close the main thread's loop while the interpreter is whole (its async generators need it)."""
    holder: _ThreadRunner | None = getattr(_local, "holder", None)
    _local.holder = None
    if holder is not None:
        holder.close()


def _runner() -> asyncio.Runner:
    holder: _ThreadRunner | None = getattr(_local, "holder", None)
    if holder is None or holder.pid != os.getpid():
        holder = _local.holder = _ThreadRunner()
    return holder.runner


def _discard_runner(runner: asyncio.Runner) -> None:
    """Replace this thread's Runner after an interrupt escaped its loop mid-callback (as `asyncio.run` would)."""
    holder: _ThreadRunner | None = getattr(_local, "holder", None)
    if holder is not None and holder.runner is runner:
        _local.holder = None
        holder.close()


def _run_here(runner: asyncio.Runner, coro: Coroutine[Any, Any, T], context: contextvars.Context) -> T:
    """`runner.run`, and a fresh Runner next time if an interrupt left this one's loop in a doubtful state.

    The Runner turns a first Ctrl-C into a cancellation of the run and re-raises it as KeyboardInterrupt
    once the run has unwound: that loop is fine. A second Ctrl-C (or one outside the main thread's
    handler) can stop the loop mid-callback, so the loop and whatever it still holds are closed.
    """
    try:
        return runner.run(coro, context=context)
    except (KeyboardInterrupt, SystemExit):
        _discard_runner(runner)
        raise


# ------------------------------------------------------------------- another thread's loop


class _Background:
    """One event loop on a daemon thread, shared by sync calls made while a loop runs in the caller."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="agentkit-loop", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()


_background: _Background | None = None
_background_lock = threading.Lock()


def _shared_loop() -> asyncio.AbstractEventLoop | None:
    """The shared background loop (started on first use), or None on that loop's own thread."""
    global _background
    with _background_lock:
        if _background is None or _background.pid != os.getpid() or not _background.thread.is_alive():
            _background = _Background()
        if threading.current_thread() is _background.thread:
            return None
        return _background.loop


class _Remote:
    """One coroutine run as a task on another thread's loop; waited for and cancelled from this thread.

    Cancelling is safe at any moment, even before the task exists: the flag is checked, under the
    lock, by the callback that would create it, so a run cancelled early never starts (no tool with
    side effects runs after the caller saw KeyboardInterrupt).
    """

    def __init__(self, factory: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        self._factory = factory
        self._context = contextvars.copy_context()
        self._lock = threading.Lock()
        self._cancelled = False
        self._task: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def start(self) -> None:
        """Schedule the run: on the shared loop, or on a private loop in a fresh thread."""
        shared = _shared_loop()
        if shared is None:
            threading.Thread(target=self._private, name="agentkit-run", daemon=True).start()
        else:
            self._loop = shared
            shared.call_soon_threadsafe(self._begin)

    def _private(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.call_soon(self._begin)
            loop.run_until_complete(self._wait_done())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()

    async def _wait_done(self) -> None:
        while not self.done.is_set():
            task = self._task
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
                return
            await asyncio.sleep(0)

    def _begin(self) -> None:
        with self._lock:
            if self._cancelled:
                self.error = asyncio.CancelledError()
                self.done.set()
                return
            loop = asyncio.get_running_loop()
            try:
                self._task = loop.create_task(self._factory(), context=self._context)
            except BaseException as exc:
                self.error = exc
                self.done.set()
                return
        self._task.add_done_callback(self._finish)

    def _finish(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            self.error = asyncio.CancelledError()
        elif task.exception() is not None:
            self.error = task.exception()
        else:
            self.result = task.result()
        self.done.set()

    def cancel(self) -> None:
        """Cancel the run (or keep it from starting); `done` is set once it has unwound."""
        with self._lock:
            self._cancelled = True
            task, loop = self._task, self._loop
            if task is None:  # not started yet, and now it never will
                self.error = asyncio.CancelledError()
                self.done.set()
                return
        if loop is not None and not self.done.is_set():
            with contextlib.suppress(RuntimeError):  # the loop closed in between: nothing to cancel
                loop.call_soon_threadsafe(task.cancel)

    def wait(self, idle: Idle | None) -> None:
        """Wait until done, calling `idle` as it asks; Ctrl-C cancels the run and waits for its cleanup."""
        timeout = idle() if idle is not None else 0.1
        while not self.done.wait(timeout):
            if idle is not None:
                timeout = idle()


def _interrupted(error: BaseException) -> BaseException:
    """A cancellation that crossed from the other thread is the caller's Ctrl-C."""
    return KeyboardInterrupt() if isinstance(error, asyncio.CancelledError) else error


def run_sync(coro_factory: Callable[[], Coroutine[Any, Any, T]], *, idle: Idle | None = None) -> T:
    """Run the coroutine made by `coro_factory` to completion from synchronous code.

    With `idle`, or when a loop runs in this thread, the run goes on another thread's loop while
    this thread waits, calling `idle` (see the module docstring); otherwise it runs right here.
    """
    if idle is None and not in_running_loop():
        return _run_here(_runner(), coro_factory(), contextvars.copy_context())
    remote = _Remote(coro_factory)
    try:
        remote.start()
        remote.wait(idle)
    except BaseException:  # Ctrl-C while waiting: cancel and let the run clean up
        remote.cancel()
        remote.done.wait()
        raise
    if remote.error is not None:
        raise _interrupted(remote.error)
    result: T = remote.result
    return result


# ------------------------------------------------------------------------------------ iteration

_END = object()


class _Raised:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def iterate(agen_factory: Callable[[], AsyncIterator[T]], *, idle: Idle | None = None) -> Iterator[T]:
    """Iterate an async iterator from synchronous code, item by item, as the items are produced.

    Leaving the loop early (break, exception, Ctrl-C) closes the async side and waits for its
    cleanup. `idle` as for `run_sync`.
    """
    if idle is None and not in_running_loop():
        return _iterate_here(agen_factory)
    return _iterate_elsewhere(agen_factory, idle)


async def _next(agen: AsyncIterator[T]) -> T:
    return await agen.__anext__()


async def _close(agen: AsyncIterator[Any]) -> None:
    aclose = getattr(agen, "aclose", None)
    if aclose is not None:
        await aclose()


def _iterate_here(agen_factory: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """Each item is one `__anext__` on this thread's Runner, all in one context (as one task's would be)."""
    runner = _runner()
    context = contextvars.copy_context()
    agen = context.run(agen_factory)
    finished = False
    try:
        while True:
            try:
                item = _run_here(runner, _next(agen), context)
            except StopAsyncIteration:
                finished = True
                return
            except BaseException:
                finished = True  # the exception ended the generator (its cleanup already ran)
                raise
            yield item
    finally:
        # Left early (break, an exception in the loop body): let the run clean up, on its own loop.
        # If an interrupt closed that loop, its shutdown has already closed the generator.
        if not finished and getattr(_local, "holder", None) is not None and _local.holder.runner is runner:
            _run_here(runner, _close(agen), context)


def _iterate_elsewhere(agen_factory: Callable[[], AsyncIterator[T]], idle: Idle | None) -> Iterator[T]:
    """The async iterator runs on another thread's loop; items cross a queue to this thread."""
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
            await _close(agen)
            items.put(_END)

    remote = _Remote(pump)
    finished = False
    try:
        remote.start()
        timeout = idle() if idle is not None else None
        while True:
            try:
                item = items.get(timeout=timeout)
            except queue.Empty:
                assert idle is not None
                timeout = idle()
                continue
            if item is _END:
                finished = True
                break
            if isinstance(item, _Raised):
                finished = True
                remote.done.wait()
                raise _interrupted(item.exc)
            yield item
    finally:
        if not finished:
            remote.cancel()
        remote.done.wait()
