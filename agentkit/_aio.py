"""Run agentkit's async core from synchronous code, including inside Jupyter's running event loop.

Only public asyncio is used, in two ways, chosen by whether a loop already runs in the caller's thread:

- None runs (scripts, threads, the REPL): the coroutine runs as a task on the thread's own
  long-lived loop (`loop.run_forever`, stopped by the task's own last step). Why long-lived: each
  relay keeps one async SDK client, with its connection pool, per event loop, and building one
  costs 35-170 ms (SDK_FACTS §7) plus a new TCP connection; a fresh loop per call (`asyncio.run`)
  paid that every time. Ctrl-C means what it means under `asyncio.Runner`: the run's task is
  cancelled, its `finally` blocks repair the history, and then KeyboardInterrupt reaches the caller.
- One runs (a notebook cell, or an async tool calling `agent(...)`): that loop can be neither
  blocked nor re-entered, so the coroutine runs on one shared loop on a daemon thread, and this
  thread waits for it, calling `idle` while it waits (the live view's timer and approval buttons
  live there, on the thread that owns the widgets). A call made from the shared loop's own thread
  gets a private loop on a fresh thread, which cannot deadlock.

A sync stream is the same machinery item by item: one task iterates the async iterator on the
thread's loop and stops the loop as it produces an item, so each event reaches the caller as it is
produced and the run stays paused at its `yield` until the caller asks for the next one (nothing is
read ahead); or the items cross a queue from the shared loop.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import contextvars
import os
import queue
import signal
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


# ------------------------------------------------------------------------ this thread's own loop


class _Interrupts:
    """Ctrl-C while this thread drives its loop: the first one cancels the run being driven, which
    unwinds (its `finally` blocks repair the history) before KeyboardInterrupt reaches the caller;
    another one, or one while nothing is driven, is a plain KeyboardInterrupt (what `asyncio.Runner`
    does, but installed once for a whole sync stream rather than once per event)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.task: asyncio.Task[Any] | None = None
        self.count = 0

    def __call__(self, signum: int, frame: Any) -> None:
        task = self.task
        if task is not None and not task.done() and self.count == 0:
            self.count = 1
            task.cancel()
            # A task cancelled before its first step never reaches the `finally` that stops the loop.
            task.add_done_callback(self.stop_driving)
            self.loop.call_soon_threadsafe(lambda: None)  # wake the loop if it waits in its selector
            return
        raise KeyboardInterrupt()

    def stop_driving(self, task: asyncio.Task[Any]) -> None:
        """Stop the loop for `task` if it is still the one driven (a late callback does nothing)."""
        if self.task is task:
            self.loop.stop()


def _catch_ctrl_c(interrupts: _Interrupts) -> bool:
    """Route SIGINT to `interrupts`, on the main thread, unless someone else handles it; whether it did.

    Not a context manager: this runs on every sync call, and `signal.getsignal`/`signal.signal`
    already cost microseconds each (they turn handlers into enums)."""
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        return False
    signal.signal(signal.SIGINT, interrupts)
    return True


def _release_ctrl_c(interrupts: _Interrupts) -> None:
    if signal.getsignal(signal.SIGINT) is interrupts:
        signal.signal(signal.SIGINT, signal.default_int_handler)


class _ThreadLoop:
    """A thread's long-lived (not running) event loop; closed when the thread's locals go away or at exit."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.interrupts = _Interrupts(self.loop)
        self.pid = os.getpid()

    def close(self) -> None:
        loop = self.loop
        if loop.is_closed() or loop.is_running():
            return
        with contextlib.suppress(BaseException):
            _cancel_all(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        with contextlib.suppress(BaseException):
            loop.close()

    def __del__(self) -> None:
        if self.pid == os.getpid():
            self.close()


_local = threading.local()


@atexit.register
def _close_at_exit() -> None:
    """Close the main thread's loop while the interpreter is whole (its async generators need it)."""
    holder: _ThreadLoop | None = getattr(_local, "holder", None)
    _local.holder = None
    if holder is not None:
        holder.close()


def _thread_loop() -> _ThreadLoop:
    holder: _ThreadLoop | None = getattr(_local, "holder", None)
    if holder is None or holder.loop.is_closed() or holder.pid != os.getpid():
        holder = _local.holder = _ThreadLoop()
    return holder


def _discard(holder: _ThreadLoop) -> None:
    """Close this thread's loop after an interrupt stopped it mid-run (as `asyncio.run` would); the next
    call starts a fresh one."""
    if getattr(_local, "holder", None) is holder:
        _local.holder = None
    holder.close()


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the loop's pending tasks and let them unwind (what `asyncio.run` does at its end)."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    if not pending:
        return
    for task in pending:
        task.cancel()
    # Not `run_until_complete`: a run's task stops the loop itself as it ends (`_stopping`, `_Pump`).
    gathered = asyncio.gather(*pending, return_exceptions=True)
    gathered.add_done_callback(lambda _: loop.stop())
    while not gathered.done():
        loop.run_forever()


async def _stopping(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    """The run, stopping the loop in its own last step.

    Why not `run_until_complete`: that stops the loop from the task's done callback, one more loop
    iteration (a selector poll, a callback) after the run ended, and wraps the task in more calls.
    """
    try:
        return await coro
    finally:
        loop.stop()


def _run_until_done(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
    """Run the loop until `task` is done (it stops the loop as it ends)."""
    while not task.done():
        loop.run_forever()


def _unwind(holder: _ThreadLoop, task: asyncio.Task[Any]) -> None:
    """KeyboardInterrupt or SystemExit came out of the loop (the run may be cut mid-step): cancel the
    run, let it unwind, and close this thread's loop (as `asyncio.run` would); the next call starts a
    fresh one."""
    if not task.done():
        task.cancel()
        task.add_done_callback(holder.interrupts.stop_driving)
        with contextlib.suppress(BaseException):
            _run_until_done(holder.loop, task)
    _discard(holder)


def _drive(holder: _ThreadLoop, coro: Coroutine[Any, Any, T], context: contextvars.Context) -> T:
    """Run one coroutine as a task on this thread's loop, to its end; Ctrl-C as `_Interrupts` says."""
    loop, interrupts = holder.loop, holder.interrupts
    task = loop.create_task(_stopping(loop, coro), context=context)
    interrupts.task, interrupts.count = task, 0
    try:
        _run_until_done(loop, task)
    except (KeyboardInterrupt, SystemExit):  # raised inside the loop: the run may be cut mid-step
        _unwind(holder, task)
        raise
    finally:
        interrupts.task = None
        if task.done():
            coro.close()  # does nothing if it ran; one cancelled before it started was never awaited
    if interrupts.count and task.cancelled():  # our Ctrl-C: the run has unwound
        raise KeyboardInterrupt
    return task.result()


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
        holder = _thread_loop()
        caught = _catch_ctrl_c(holder.interrupts)
        try:
            return _drive(holder, coro_factory(), contextvars.copy_context())
        finally:
            if caught:
                _release_ctrl_c(holder.interrupts)
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


async def _close(agen: AsyncIterator[Any]) -> None:
    aclose = getattr(agen, "aclose", None)
    if aclose is not None:
        await aclose()


class _Pump:
    """A sync stream's async iterator, iterated in one task on this thread's loop, one item per request.

    The task takes an item, hands it over by stopping the loop in that same step, and waits to be
    asked again: the run stays paused where it yielded, as a generator does, until the caller wants
    the next event (a caller that stops early must not find that tools were started meanwhile).
    Why one task rather than a task (and `run_until_complete`) per item: that costs a task and two
    loop iterations per event, twice what this does; and the run keeps one task, as under `async for`.
    Nothing is read ahead: an item the caller has not asked for is never produced, however ready.
    """

    __slots__ = ("agen", "asked", "driving", "fresh", "item", "loop", "task", "wanted")

    def __init__(self, loop: asyncio.AbstractEventLoop, agen: AsyncIterator[Any], context: contextvars.Context) -> None:
        self.loop = loop
        self.agen = agen
        self.wanted = True  # False: close the iterator instead of taking the next item
        self.asked: asyncio.Future[None] | None = None  # what the task waits on while it holds an item
        self.item: Any = None
        self.fresh = False  # `item` is one not handed over yet
        self.driving = False  # this thread runs the loop for this pump (then its end stops the loop)
        self.task = loop.create_task(self._run(), context=context)

    async def _run(self) -> None:
        loop, agen = self.loop, self.agen
        try:
            while self.wanted:
                try:
                    item = await agen.__anext__()
                except StopAsyncIteration:
                    return
                self.item, self.fresh = item, True
                loop.stop()  # this loop iteration is the last one: the item goes to the caller
                asked = self.asked = loop.create_future()
                await asked
        finally:
            await _close(agen)  # left early or interrupted; nothing to do if it has ended
            if self.driving:
                loop.stop()

    def _holding(self) -> bool:
        """The task holds an item and waits to be asked again, with no cancellation pending."""
        asked = self.asked
        return self.fresh and asked is not None and not asked.cancelled()

    def step(self, holder: _ThreadLoop, wanted: bool) -> bool:
        """Run the loop until the task holds the next item (`wanted`; True) or has ended (False; after
        closing the iterator if not `wanted`). Its exception is raised; Ctrl-C as `_Interrupts` says."""
        loop, interrupts, task = self.loop, holder.interrupts, self.task
        if not task.done():  # else it ended while paused (an interrupt closed its loop): say how
            self.wanted = wanted
            asked, self.asked = self.asked, None
            if asked is not None and not asked.done():
                asked.set_result(None)
            interrupts.task, interrupts.count = task, 0
            self.driving = True
            try:
                while True:
                    loop.run_forever()
                    if task.done() or self._holding():
                        break
                interrupts.task = None  # from here Ctrl-C is plain KeyboardInterrupt
                if interrupts.count:  # one cancelled the task just as it handed over its item: drop
                    while not (task.done() or self._holding()):  # the item, let the run unwind
                        loop.run_forever()
            except (KeyboardInterrupt, SystemExit):  # raised inside the loop: the run may be cut mid-step
                _unwind(holder, task)
                raise
            finally:
                self.driving = False
                interrupts.task = None
            if not task.done():
                return True
        self.item, self.fresh = None, False
        if interrupts.count and task.cancelled():  # our Ctrl-C: the run has unwound
            raise KeyboardInterrupt
        task.result()  # the iterator's exception, if it raised one
        return False


def _iterate_here(agen_factory: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """Each item is taken by the stream's task on this thread's loop (`_Pump`); between items the loop
    is free for other sync calls on this thread. Ctrl-C handling is installed once for the stream."""
    holder = _thread_loop()
    context = contextvars.copy_context()
    pump = _Pump(holder.loop, context.run(agen_factory), context)
    caught = _catch_ctrl_c(holder.interrupts)
    try:
        while pump.step(holder, True):
            item, pump.item, pump.fresh = pump.item, None, False
            yield item
    finally:
        # Left early (break, an exception in the loop body): close the iterator (its cleanup runs) on
        # its own loop. If an interrupt closed that loop, its shutdown has already closed the iterator.
        try:
            if not pump.task.done() and not holder.loop.is_closed():
                pump.step(holder, False)
        finally:
            if caught:
                _release_ctrl_c(holder.interrupts)


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
