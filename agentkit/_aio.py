"""Run agentkit's async core from synchronous code, including inside Jupyter's running event loop.

Why persistent loops: each relay keeps one async SDK client (and its connection pool) per event
loop, and building a client costs 35-170 ms (SDK_FACTS §7) plus a new TCP connection. A fresh
loop per `agent(...)` call (what `asyncio.run` gives) paid that on every call, so sync calls reuse
a loop instead:

- No loop running in this thread (scripts, threads, the REPL): the coroutine is stepped right here,
  with the thread's own loop (kept between calls) running only while it waits (`_Stepper`), so a
  sync call costs what the async one does, and a sync stream hands each event over as it is made.
- A loop already running in this thread (a notebook cell): that loop cannot be blocked, nor
  re-entered, so the coroutine goes to one shared loop on a daemon thread, and we wait for it.
  (A sync call made from that shared thread itself, e.g. by an async tool, gets a private loop in a
  fresh thread instead, which cannot deadlock.)

Ctrl-C: the run is cancelled and allowed to unwind, so the agent's own `finally` blocks repair the
history before the KeyboardInterrupt reaches the user. A thread loop that an interrupt escaped from
is closed and replaced (its state may have been cut mid-callback), as `asyncio.run` would.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import os
import queue
import sys
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

__all__ = ["blocking_allowed", "iterate", "run_sync"]

T = TypeVar("T")


class _Owner:
    """Marks the one run allowed to block: `task` is the task driving it now (None: stepped directly)."""

    __slots__ = ("task",)

    def __init__(self, task: asyncio.Task[Any] | None = None) -> None:
        self.task = task


#: The run a sync call drives on its thread's own loop, when the caller allows blocking SDK calls.
_BLOCKING: contextvars.ContextVar[_Owner | None] = contextvars.ContextVar(
    "agentkit_blocking_task", default=None
)


def blocking_allowed() -> bool:
    """Whether the running code may make blocking (sync SDK) calls.

    True only in the run that a sync `run_sync(..., blocking=True)` / `iterate(..., blocking=True)`
    drives on the calling thread's own loop: nothing else runs on that loop during a model call.
    That run is stepped directly (no task is current) or, while it waits for something, by one
    task; tasks it spawns (tools run concurrently) inherit the context but are other tasks: False.
    """
    owner = _BLOCKING.get()
    return owner is not None and owner.task is asyncio.current_task()


def _in_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


# ------------------------------------------------------------------------ this thread's own loop


class _ThreadLoop:
    """A thread's persistent (not running) event loop; closed when the thread's locals go away."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.pid = os.getpid()

    def close(self) -> None:
        loop = self.loop
        if loop.is_closed() or loop.is_running():
            return
        with contextlib.suppress(BaseException):
            _cancel_all(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
        with contextlib.suppress(BaseException):
            loop.close()

    def __del__(self) -> None:  # the thread ended; at interpreter exit `_close_at_exit` came first
        if self.pid == os.getpid() and not sys.is_finalizing():
            self.close()


_local = threading.local()


@atexit.register
def _close_at_exit() -> None:
    """Close the main thread's loop while the interpreter is whole (its async generators need it)."""
    holder: _ThreadLoop | None = getattr(_local, "holder", None)
    _local.holder = None
    if holder is not None:
        holder.close()


def _thread_loop() -> asyncio.AbstractEventLoop:
    holder: _ThreadLoop | None = getattr(_local, "holder", None)
    if holder is None or holder.loop.is_closed() or holder.pid != os.getpid():
        holder = _local.holder = _ThreadLoop()
    return holder.loop


def _discard_thread_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Close this thread's `loop` after an interrupt escaped it; the next call starts a fresh one."""
    holder: _ThreadLoop | None = getattr(_local, "holder", None)
    if holder is not None and holder.loop is loop:
        _local.holder = None
        holder.close()


def _cancel_all(loop: asyncio.AbstractEventLoop, keep: asyncio.Task[Any] | None = None) -> None:
    """Cancel the loop's pending tasks and let them unwind (what `asyncio.run` does at its end)."""
    pending = [t for t in asyncio.all_tasks(loop) if t is not keep and not t.done()]
    if not pending:
        return
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _unwind(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
    """Cancel `task` and run the loop until it has finished its `finally` blocks."""
    if not task.done():
        task.cancel()
        with contextlib.suppress(BaseException):
            loop.run_until_complete(asyncio.gather(task, return_exceptions=True))


def _run_here(coro_factory: Callable[[], Coroutine[Any, Any, T]], blocking: bool) -> T:
    result: T = _Stepper(_thread_loop(), blocking).drive(coro_factory())
    return result


# ------------------------------------------------------------------- stepping a blocking run directly


class _Stepper:
    """Drives one run on this thread's loop: directly while it does not wait, by the loop when it does.

    Why: a sync `agent(...)` or `agent.stream(...)` run spends its model calls in blocking SDK calls
    (`agentkit._blocking`), so between its real waits (tools, retry back-off) its coroutines never
    suspend. Running such a step through the event loop costs a task, a loop start and stop and a
    selector poll: ~0.1 ms per `agent(...)`, and ~12 µs per streamed event when every event has to
    be handed to the caller as it arrives (1,000 events of a long answer: 12 ms). So each step is
    first taken directly (`send(None)`, with this loop set as the running loop, as a task would);
    only when the run waits for a future does a task on the loop take over the rest of that step,
    the same awaitable resumed from where it stopped (`_resume`), and the loop runs until it is done.
    A run that is not `blocking` (async SDK clients) is driven the same way: it simply waits sooner.

    The steps run in one context of their own (a copy of the caller's, as a task's would), where
    `_BLOCKING` says which task, if any, drives a blocking run (`blocking_allowed`), and is None
    for any other.

    Tasks a run leaves behind (a tool's own background task) are not hunted down after a success:
    scanning every task in the process costs more than the rest of the bridge. They end when this
    loop closes (the thread ends, interpreter exit, or an interrupt), not with the run as under
    `asyncio.run`.
    """

    __slots__ = ("context", "loop", "owner")

    def __init__(self, loop: asyncio.AbstractEventLoop, blocking: bool) -> None:
        self.loop = loop
        self.owner = _Owner() if blocking else None
        self.context = contextvars.copy_context()
        self.context.run(_BLOCKING.set, self.owner)

    def drive(self, awaitable: Any) -> Any:
        """Run one awaitable (a coroutine, or an async generator's `__anext__()`) to its result.

        If it fails while the loop drives it, the task and its loop clean up first: the task is
        unwound; after an exception the loop's other tasks are cancelled, after an interrupt
        (KeyboardInterrupt, SystemExit, a cancellation) the loop, perhaps cut mid-callback, is replaced.
        """
        loop = self.loop
        try:
            asyncio._set_running_loop(loop)
            try:
                waiting = self.context.run(awaitable.send, None)
            finally:
                asyncio._set_running_loop(None)
        except StopIteration as stop:
            return stop.value
        task = loop.create_task(_resume(awaitable, waiting), context=self.context)
        if self.owner is not None:
            self.owner.task = task
        try:
            return loop.run_until_complete(task)
        except BaseException as exc:
            _unwind(loop, task)
            if isinstance(exc, Exception):
                _cancel_all(loop)
            else:
                _discard_thread_loop(loop)
            raise
        finally:
            if self.owner is not None:
                self.owner.task = None


async def _resume(awaitable: Any, waiting: Any) -> Any:
    """Continue, under a task, an awaitable whose direct step stopped to wait for `waiting`."""
    return await _Resumed(awaitable, waiting)


class _Resumed:
    """Awaiting this yields what the paused awaitable waits for, then resumes it (`yield from`, by hand).

    The driving task sees the very future the awaitable yielded (or the bare `yield` of `sleep(0)`),
    and a cancellation thrown in is passed on to the awaitable, exactly as if the task had run it
    from the start.
    """

    __slots__ = ("awaitable", "waiting")

    def __init__(self, awaitable: Any, waiting: Any) -> None:
        self.awaitable, self.waiting = awaitable, waiting

    def __await__(self) -> Any:
        awaitable, waiting = self.awaitable, self.waiting
        while True:
            try:
                yield waiting
            except BaseException as exc:  # the task was cancelled (or interrupted): pass it on
                try:
                    waiting = awaitable.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    waiting = awaitable.send(None)
                except StopIteration as stop:
                    return stop.value


# ------------------------------------------------------------------- the shared background loop


class _Background:
    """One event loop on a daemon thread, shared by sync calls made while a loop runs in the caller."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="agentkit-loop", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        while True:
            try:
                self.loop.run_forever()
                return
            except BaseException:  # a KeyboardInterrupt escaped a task: it reached that task's waiter; go on
                continue


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


class _Worker:
    """One coroutine run on another thread's loop; waitable and cancellable from the calling thread.

    The loop is the shared background loop, or a private loop on a fresh thread when the caller is
    the shared loop's own thread (waiting there would block the loop it waits for).
    """

    def __init__(self, coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> None:
        self._factory = coro_factory
        shared = _shared_loop()
        self._private = shared is None
        self._loop = asyncio.new_event_loop() if shared is None else shared
        self._task: asyncio.Task[Any] | None = None
        self._ready = threading.Event()
        self._done = threading.Event()
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="agentkit-run", daemon=True)

    def start(self) -> None:
        """Begin the run (on the shared loop, or the private thread)."""
        if self._private:
            self._thread.start()
        else:
            self._loop.call_soon_threadsafe(self._begin)

    def _begin(self) -> None:
        try:
            self._task = self._loop.create_task(self._factory())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            self._done.set()
            return
        self._ready.set()
        self._task.add_done_callback(self._finish)

    def _finish(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            self._error = asyncio.CancelledError()
        elif task.exception() is not None:
            self._error = task.exception()
        else:
            self._result = task.result()
        self._done.set()

    def _main(self) -> None:  # the private thread
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
        self.start()
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
            with contextlib.suppress(RuntimeError):  # the loop closed in between: nothing to cancel
                self._loop.call_soon_threadsafe(task.cancel)


def run_sync(coro_factory: Callable[[], Coroutine[Any, Any, T]], *, blocking: bool = False) -> T:
    """Run the coroutine made by `coro_factory` to completion from synchronous code.

    Outside a running loop: on this thread's persistent loop, where with `blocking=True` the
    coroutine's own task may make blocking SDK calls (`blocking_allowed`). Inside one (Jupyter): on
    the shared background loop (never blocking: other runs share it), waiting for it here.
    """
    if not _in_running_loop():
        return _run_here(coro_factory, blocking)
    result: T = _Worker(coro_factory).run()
    return result


# ------------------------------------------------------------------------------------ iteration

_END = object()


def iterate(agen_factory: Callable[[], AsyncIterator[T]], *, blocking: bool = False) -> Iterator[T]:
    """Iterate an async iterator from synchronous code, item by item, as the items are produced.

    Leaving the loop early (break, exception, Ctrl-C) cancels the async side and waits for its
    cleanup. `blocking` as for `run_sync`.
    """
    if not _in_running_loop():
        return _iterate_here(agen_factory, blocking)
    return _iterate_elsewhere(agen_factory)


def _iterate_here(agen_factory: Callable[[], AsyncIterator[T]], blocking: bool) -> Iterator[T]:
    """Iterate on this thread's loop, item by item, each handed over as soon as it is made (`_Stepper`)."""
    return _step_items(_Stepper(_thread_loop(), blocking), agen_factory)


def _step_items(stepper: _Stepper, agen_factory: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """Each item is one `__anext__` driven by the stepper: handed over as soon as it is made."""
    agen = stepper.context.run(agen_factory)
    finished = False
    try:
        while True:
            try:
                item = stepper.drive(agen.__anext__())
            except StopAsyncIteration:
                finished = True
                return
            except asyncio.CancelledError:
                finished = True
                raise KeyboardInterrupt from None
            except BaseException:
                finished = True  # the exception ended the generator (or its cleanup already ran)
                raise
            yield item
    finally:
        if not finished:  # left early (break, an exception in the loop body): let the run clean up
            aclose = getattr(agen, "aclose", None)
            if aclose is not None and not stepper.loop.is_closed():
                stepper.drive(aclose())


def _iterate_elsewhere(agen_factory: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """The async iterator runs on the shared background loop; items cross over a queue."""
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
    worker.start()
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
