"""Running an agent while a live view watches, in sync and async notebook cells; approval buttons.

Sync cells (`agent("...")`): the run goes on a worker thread with its own event loop (as `_aio`
does), and its events cross a queue to the cell's thread, which owns the widgets: every widget
update happens on the kernel's main thread, and pending text is pushed on a timer while the
model pauses.

Approval: an `approval=True` tool shows Approve/Deny under its card. The click is a comm message
the kernel must receive while the cell is still running. In an async cell
(`await agent.arun(...)`) ipykernel 7.4+ dispatches comm messages by itself. A sync cell blocks the
kernel's loop, so while a decision is pending `CommPump` reads the main shell's message stream
itself: widget (comm) messages are handled at once, anything else (the next cell's
execute_request) is held and handed back, in order, when the wait ends. jupyter-ui-poll did this
for ipykernel 6 through `Kernel.do_one_iteration`, which ipykernel 7 removed (with ipykernel 7.4
and jupyter-ui-poll 1.1 a click never arrives); `CommPump` uses the ZMQ stream's own public
`flush`/`on_recv` instead, and works with both. When neither works (no kernel, another shell),
the decision is asked with `input()`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import queue
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from agentkit import _aio, approval
from agentkit.display import mark_shown
from agentkit.events import Event, RunFinished, TurnStarted
from agentkit.messages import ToolCallPart

if TYPE_CHECKING:
    from agentkit.agent import Agent
    from agentkit.display.widget import LiveView
    from agentkit.reply import Reply

__all__ = ["CommPump", "run_async", "run_sync"]


class _Ask:
    __slots__ = ("call", "future")

    def __init__(self, call: ToolCallPart) -> None:
        self.call = call
        self.future: concurrent.futures.Future[bool] = concurrent.futures.Future()


class _Raised:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_END = object()


def _user_message(agent: Agent, view: LiveView, has_prompt: bool) -> None:
    if has_prompt:
        for message in reversed(agent.history):
            if message.role == "user":
                view.set_user(message)
                break


def run_sync(agent: Agent, view: LiveView, factory: Callable[[], AsyncIterator[Event]], *,
             has_prompt: bool) -> Reply:
    """Run the events made by `factory` on a worker thread, feeding `view` from this thread."""
    items: queue.Queue[Any] = queue.Queue()

    async def ask(call: ToolCallPart) -> bool:
        request = _Ask(call)
        items.put(request)
        return await asyncio.wrap_future(request.future)

    async def pump() -> None:
        token = approval.notebook_approver.set(ask)
        events = factory()
        try:
            async for event in events:
                items.put(event)
        except BaseException as exc:
            items.put(_Raised(exc))
            raise
        finally:
            with contextlib.suppress(Exception):
                await events.aclose()  # type: ignore[attr-defined]
            approval.notebook_approver.reset(token)
            items.put(_END)

    worker = _aio._Worker(pump)
    worker.start()
    asks: list[_Ask] = []
    comms: CommPump | None = None
    reply: Reply | None = None
    finished = False
    try:
        while True:
            try:
                item = items.get(timeout=0.02 if asks else view.interval)
            except queue.Empty:
                item = None
            if asks:
                if comms is not None:
                    comms.poll()
                asks = [a for a in asks if not a.future.done()]
                if not asks and comms is not None:
                    comms.close()
                    comms = None
            if item is None:
                view.tick()
                continue
            if item is _END:
                finished = True
                break
            if isinstance(item, _Raised):
                finished = True
                worker._done.wait()
                view.fail(item.exc)
                if isinstance(item.exc, asyncio.CancelledError):
                    raise KeyboardInterrupt from None
                raise item.exc
            if isinstance(item, _Ask):
                if comms is None:
                    comms = CommPump.open()
                if comms is None:
                    _ask_with_input(view, item)
                else:
                    view.ask(item.call, future=item.future)
                    asks.append(item)
                continue
            view.handle(item)
            if isinstance(item, TurnStarted) and item.turn == 1:
                _user_message(agent, view, has_prompt)
            elif isinstance(item, RunFinished):
                reply = item.reply
    except KeyboardInterrupt as exc:
        if not finished:
            worker.cancel()
            worker._done.wait()
            view.fail(exc)
        raise
    finally:
        if comms is not None:
            comms.close()
        for request in asks:
            request.future.cancel()
        if not finished:
            worker.cancel()
        worker._done.wait()
    assert reply is not None
    mark_shown(reply)
    return reply


async def run_async(agent: Agent, view: LiveView, events: AsyncIterator[Event], *, has_prompt: bool) -> Reply:
    """Iterate `events` in this task (the kernel's loop), feeding `view`; a ticker pushes paused text."""

    async def ask(call: ToolCallPart) -> bool:
        future = view.ask(call)
        comms = CommPump.open()
        try:
            while not future.done():
                if comms is not None:
                    comms.poll()
                await asyncio.sleep(0.02)
        finally:
            if comms is not None:
                comms.close()
        return future.result()

    async def ticker() -> None:
        while True:
            await asyncio.sleep(view.interval)
            view.tick()

    token = approval.notebook_approver.set(ask)
    ticking = asyncio.ensure_future(ticker())
    reply: Reply | None = None
    try:
        async for event in events:
            view.handle(event)
            if isinstance(event, TurnStarted) and event.turn == 1:
                _user_message(agent, view, has_prompt)
            elif isinstance(event, RunFinished):
                reply = event.reply
    except BaseException as exc:
        view.fail(exc)
        raise
    finally:
        ticking.cancel()
        approval.notebook_approver.reset(token)
    assert reply is not None
    mark_shown(reply)
    return reply


def _ask_with_input(view: LiveView, request: _Ask) -> None:
    """No way to receive clicks here: ask on the kernel's stdin (a text box in notebooks)."""
    call = request.call
    arguments = call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments, ensure_ascii=False)
    try:
        answer = input(f"Run tool `{call.name}` with {arguments}? [y/N] ")
    except (EOFError, RuntimeError, OSError):
        answer = ""
    request.future.set_result(answer.strip().lower() in ("y", "yes"))


class CommPump:
    """Receive widget messages in a cell that keeps the kernel busy (see the module docstring).

    `open()` returns None when this kernel's message stream cannot be found (not a Jupyter kernel,
    or an ipykernel whose internals differ): the caller then falls back to `input()`.
    """

    def __init__(self, kernel: Any, stream: Any) -> None:
        self._kernel = kernel
        self._stream = stream
        self._saved = stream._recv_callback
        self._saved_copy = getattr(stream, "_recv_copy", False)
        self._held: list[Any] = []
        self._closed = False
        stream.on_recv(self._on_message, copy=False)

    @classmethod
    def open(cls) -> CommPump | None:
        try:
            from IPython import get_ipython

            shell = get_ipython()
            kernel = getattr(shell, "kernel", None)
            if kernel is None:
                return None
            thread = getattr(kernel, "shell_channel_thread", None)
            if thread is not None and getattr(kernel, "_supports_kernel_subshells", False):
                stream = thread.manager._shell_channel_to_main.to_stream  # ipykernel 7
            else:
                stream = kernel.shell_stream  # ipykernel 6
            if stream is None or not hasattr(stream, "_recv_callback") or stream._recv_callback is None:
                return None
            return cls(kernel, stream)
        except Exception:  # any surprise in kernel internals: use the fallback
            return None

    def poll(self) -> None:
        """Handle the widget messages that arrived (returns at once when there are none)."""
        if not self._closed:
            import zmq

            self._stream.flush(zmq.POLLIN, limit=100)

    def _on_message(self, frames: list[Any]) -> None:
        session = self._kernel.session
        try:
            idents, parts = session.feed_identities(frames, copy=False)
            # Header only: reading the content records the signature, and a message handed back
            # to the kernel later would then be refused as a replay ("Duplicate Signature").
            kind = session.deserialize(parts, content=False, copy=False)["header"]["msg_type"]
            handler = self._kernel.shell_handlers.get("comm_msg") if kind == "comm_msg" else None
            message = session.deserialize(parts, content=True, copy=False) if handler is not None else None
        except Exception:  # not ours to judge: hand it back to the kernel later
            self._held.append(frames)
            return
        if handler is not None:
            handler(self._stream, idents, message)
            return
        self._held.append(frames)

    def close(self) -> None:
        """Give the stream back to the kernel, with the messages held meanwhile first, in order."""
        if self._closed:
            return
        self._closed = True
        self._stream.on_recv(self._saved, copy=self._saved_copy)
        held, self._held = self._held, []
        for frames in held:
            self._stream._run_callback(self._saved, frames)
        # Hand over what is still queued too: its read edge was consumed while we polled, so the
        # kernel's loop would not be woken for it (the stream's flush is the safe way to drain it).
        import zmq

        self._stream.flush(zmq.POLLIN)

    def __enter__(self) -> CommPump:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
