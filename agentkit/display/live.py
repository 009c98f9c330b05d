"""Feeding a live view with a run's events, in sync and async notebook cells; approval buttons.

Sync cells (`agent("...")`): the run goes on agentkit's background loop (`agentkit._aio`), and its
events reach the cell's thread, which owns the widgets: every widget update happens on the
kernel's main thread, and pending text is pushed on a timer (`Feed.idle`) while the model pauses.

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
import json
import queue
from typing import TYPE_CHECKING, Any

from agentkit.display import mark_shown
from agentkit.events import Event, RunFinished, TurnStarted
from agentkit.messages import ToolCallPart

if TYPE_CHECKING:
    from agentkit.agent import Agent
    from agentkit.display.widget import LiveView
    from agentkit.reply import Reply

__all__ = ["CommPump", "Feed"]


class _Ask:
    __slots__ = ("call", "future")

    def __init__(self, call: ToolCallPart) -> None:
        self.call = call
        self.future: concurrent.futures.Future[bool] = concurrent.futures.Future()


class Feed:
    """Shows one run's events in `view`, on the thread that owns the widgets; asks for approvals.

    The run itself is driven elsewhere (`Agent.run` through `agentkit._aio`, or `Agent.arun`'s own
    task): this object only receives what that driver hands it.

    - `show(event)` for each event, `fail(exc)` if the run ends in an exception, `reply()` at the end;
    - `idle()` while a sync cell waits for the next event: pushes paused text, shows approval
      buttons asked for meanwhile and reads their clicks; returns the seconds until it wants to be
      called again;
    - `ask_from_thread` / `ask_here`: the approvers to put in `approval.notebook_approver` for a run
      on another thread's loop (a sync cell) or on the kernel's own loop (an async cell).
    """

    def __init__(self, agent: Agent, view: LiveView, *, has_prompt: bool) -> None:
        self.agent = agent
        self.view = view
        self.has_prompt = has_prompt
        self._reply: Reply | None = None
        self._incoming: queue.Queue[_Ask] = queue.Queue()
        self._asks: list[_Ask] = []
        self._comms: CommPump | None = None

    def show(self, event: Event) -> None:
        self.view.handle(event)
        if isinstance(event, TurnStarted) and event.turn == 1:
            _user_message(self.agent, self.view, self.has_prompt)
        elif isinstance(event, RunFinished):
            self._reply = event.reply

    def fail(self, exc: BaseException) -> None:
        self.view.fail(exc)

    def reply(self) -> Reply:
        assert self._reply is not None
        mark_shown(self._reply)
        return self._reply

    # ------------------------------------------------------------------ a sync cell

    async def ask_from_thread(self, call: ToolCallPart) -> bool:
        """Runs on the run's loop: hands the question to the cell's thread (`idle`) and waits."""
        request = _Ask(call)
        self._incoming.put(request)
        return await asyncio.wrap_future(request.future)

    def idle(self) -> float:
        while True:
            try:
                request = self._incoming.get_nowait()
            except queue.Empty:
                break
            if self._comms is None:
                self._comms = CommPump.open()
            if self._comms is None:
                _ask_with_input(self.view, request)
            else:
                self.view.ask(request.call, future=request.future)
                self._asks.append(request)
        if self._asks:
            if self._comms is not None:
                self._comms.poll()
            self._asks = [a for a in self._asks if not a.future.done()]
        if not self._asks and self._comms is not None:
            self._comms.close()
            self._comms = None
        self.view.tick()
        return 0.02 if self._asks else self.view.interval

    def close(self) -> None:
        """Give the kernel its message stream back; a question still open is withdrawn."""
        if self._comms is not None:
            self._comms.close()
            self._comms = None
        for request in self._asks:
            request.future.cancel()
        self._asks = []

    # ------------------------------------------------------------------ an async cell

    async def ask_here(self, call: ToolCallPart) -> bool:
        """Runs on the kernel's loop: shows the buttons and reads their clicks while waiting."""
        future = self.view.ask(call)
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

    async def tick_forever(self) -> None:
        """Pushes paused text while an async cell's run waits (cancelled when the run ends)."""
        while True:
            await asyncio.sleep(self.view.interval)
            self.view.tick()


def _user_message(agent: Agent, view: LiveView, has_prompt: bool) -> None:
    if has_prompt:
        for message in reversed(agent.history):
            if message.role == "user":
                view.set_user(message)
                break


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
