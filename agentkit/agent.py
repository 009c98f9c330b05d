"""`ak.Agent`: the multi-turn tool-calling loop, over any dialect, through the official SDKs.

One async generator (`_events`) is the whole run: it sends the history, decodes the answer, runs
the turn's tool calls concurrently, appends everything to the history and repeats until the model
answers without calling a tool. `arun`, `astream`, `stream` and `run` (= `agent(...)`) are views on
that generator; `run` bridges to sync code and works inside Jupyter's running loop (`_aio`).

The history is always valid (rule 6): whatever stops a run — a relay error, a tool timeout, a
cancelled task, Ctrl-C — the `finally` block of `_events` gives every tool call in the history a
result (an error result saying what happened), or removes a prompt the model never answered, so
the next `agent(...)` call works.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentkit import _aio
from agentkit.dialects.base import ModelRequest, OutputSpec, Turn, load
from agentkit.errors import ConfigurationError, MaxTurnsExceeded, ToolArgumentsError
from agentkit.events import (
    Event,
    ReasoningDelta,
    RunFinished,
    TextDelta,
    ToolCallDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
    TurnStarted,
)
from agentkit.messages import Image, Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart, Usage
from agentkit.reply import Reply, ToolCall

if TYPE_CHECKING:
    from agentkit.relay import Relay
    from agentkit.tools import Tool

__all__ = ["Agent", "RunStream", "AsyncRunStream"]

Approver = Callable[[ToolCallPart], "bool | Any"]


class Agent:
    """A conversation with a model that can call tools.

    Args:
        model: The model name; `dialect:model` forces a dialect (see `Relay.route`). Assignable
            later (`agent.model = "gemini-2.5-pro"`): the history is carried over.
        tools: Functions (decorated with `@ak.tool` or plain, typed and documented) or `ak.Tool`s.
        system: The system prompt.
        relay: The relay to reach models through; default `ak.Relay.from_env()`.
        max_turns: Model requests allowed per run before `ak.MaxTurnsExceeded`.
        parallel_tools: Run a turn's tool calls concurrently (results still go back in call order).
        display: `"auto"` shows a live widget in notebooks and nothing elsewhere; `False` never.
        approve: Called with each call of an `approval=True` tool; return True to run it.
        output: Default structured output type for runs (see `run`).
        **options: Model options, passed through (`temperature`, `max_tokens`, `top_p`, `stop`,
            `reasoning`, or any dialect's own parameter name).
    """

    def __init__(
        self,
        model: str,
        *,
        tools: Iterable[Any] = (),
        system: str | None = None,
        relay: Relay | None = None,
        max_turns: int = 10,
        parallel_tools: bool = True,
        display: bool | str = "auto",
        approve: Approver | None = None,
        output: Any = None,
        **options: Any,
    ) -> None:
        if relay is None:
            from agentkit.relay import Relay

            relay = Relay.from_env()
        self.relay = relay
        self.model = model
        self.system = system
        if max_turns < 1:
            raise ConfigurationError(f"`max_turns` must be at least 1; got {max_turns!r}.")
        self.max_turns = max_turns
        self.parallel_tools = parallel_tools
        self.display = display
        self.approve = approve
        self.output = output
        self.options = options
        self.tools: list[Tool] = _as_tools(tools)
        self.history: list[Message] = []
        self._lock: asyncio.Lock | None = None

    # ------------------------------------------------------------------ properties

    @property
    def model(self) -> str:
        return self._model

    @model.setter
    def model(self, value: str) -> None:
        self.relay.route(value)  # refuse a bad name now, not at the next call
        self._model = value

    @property
    def dialect(self) -> str:
        return self.relay.route(self._model)[0]

    def reset(self) -> None:
        """Forget the conversation (the system prompt and tools stay)."""
        self.history = []

    def __repr__(self) -> str:
        tools = f", tools={[t.name for t in self.tools]!r}" if self.tools else ""
        return f"Agent({self.model!r}{tools}, messages={len(self.history)})"

    # ------------------------------------------------------------------ entry points

    def __call__(self, prompt: str | None = None, **kwargs: Any) -> Reply:
        return self.run(prompt, **kwargs)

    def run(self, prompt: str | None = None, *, images: Sequence[Any] = (), output: Any = None,
            **options: Any) -> Reply:
        """Send `prompt` (with optional `images`), run tool calls until the model answers; return the Reply.

        Works in scripts and inside Jupyter (where an event loop is already running).
        No prompt continues from the history as it is.
        """
        return _aio.run_sync(lambda: self.arun(prompt, images=images, output=output, **options))

    async def arun(self, prompt: str | None = None, *, images: Sequence[Any] = (), output: Any = None,
                   **options: Any) -> Reply:
        """The async twin of `run` (the core: `run` bridges to it)."""
        reply: Reply | None = None
        async for event in self._events(prompt, images, output, options, streaming=False):
            if isinstance(event, RunFinished):
                reply = event.reply
        assert reply is not None
        return reply

    def stream(self, prompt: str | None = None, *, images: Sequence[Any] = (), output: Any = None,
               **options: Any) -> RunStream:
        """Iterate the run's events as they happen; `.reply` once exhausted."""
        return RunStream(lambda: self._events(prompt, images, output, options, streaming=True))

    def astream(self, prompt: str | None = None, *, images: Sequence[Any] = (), output: Any = None,
                **options: Any) -> AsyncRunStream:
        """`async for event in agent.astream(...)`; `.reply` once exhausted."""
        return AsyncRunStream(self._events(prompt, images, output, options, streaming=True))

    # ------------------------------------------------------------------ the run

    async def _events(self, prompt: str | None, images: Sequence[Any], output: Any, options: dict[str, Any],
                      *, streaming: bool) -> AsyncIterator[Event]:
        if self._lock is None:
            self._lock = asyncio.Lock()
        # One run at a time per agent: two interleaved runs would corrupt the shared history.
        if self._lock.locked():
            raise RuntimeError(
                "This agent is already running; wait for the current run to finish, or use another `ak.Agent`."
            )
        async with self._lock:
            async for event in self._run(prompt, images, output, options, streaming=streaming):
                yield event

    async def _run(self, prompt: str | None, images: Sequence[Any], output: Any, options: dict[str, Any],
                   *, streaming: bool) -> AsyncIterator[Event]:
        started = time.perf_counter()
        start = len(self.history)
        model = self.model
        dialect, name = self.relay.route(model)
        module = load(dialect)
        spec = _output_spec(output if output is not None else self.output)
        merged = {**self.options, **options}
        if prompt is not None or images:
            self.history.append(Message.user(prompt or "", *(_as_image(i) for i in images)))
        elif not self.history:
            raise ConfigurationError("There is no prompt and no history to continue from; pass a prompt.")

        usage = Usage()
        records: dict[str, ToolCall] = {}
        last: Message | None = None
        turns = 0
        answered = False
        try:
            for turn in range(1, self.max_turns + 1):
                turns = turn
                yield TurnStarted(turn, name, dialect)
                request = ModelRequest(
                    model=name, history=self._with_system(), tools=self.tools, options=merged, output=spec
                )
                result: Turn | None = None
                async for item in self._call_model(module, dialect, name, request, streaming=streaming):
                    if isinstance(item, Turn):
                        result = item
                    else:
                        yield item
                assert result is not None, "a dialect stream must end with a Turn"
                message = result.message
                self.history.append(message)
                answered = True
                last = message
                usage = usage + result.usage
                yield TurnFinished(turn, message, result.usage)
                calls = message.tool_calls
                if not calls:
                    break
                async for event in self._run_tools(calls, dialect, records):
                    yield event
            else:
                raise MaxTurnsExceeded(
                    f"The model was still calling tools after `max_turns={self.max_turns}` requests. "
                    "Raise `max_turns=`, or call `agent()` to let it continue from here.",
                    max_turns=self.max_turns,
                )
        finally:
            self._repair(start, answered)

        assert last is not None
        reasoning = "".join(p.text for m in self.history[start:] if m.role == "assistant"
                            for p in m.parts if isinstance(p, ReasoningPart)) or None
        reply = Reply(
            text=last.text,
            model=last.model or name,
            dialect=dialect,
            usage=usage,
            tool_calls=list(records.values()),
            reasoning=reasoning,
            messages=list(self.history[start:]),
            turns=turns,
            elapsed=time.perf_counter() - started,
        )
        yield RunFinished(reply)

    def _with_system(self) -> list[Message]:
        if self.system and not (self.history and self.history[0].role == "system"):
            return [Message.system(self.system), *self.history]
        return list(self.history)

    async def _call_model(self, module: Any, dialect: str, name: str, request: ModelRequest,
                          *, streaming: bool) -> AsyncIterator[Turn | TextDelta | ReasoningDelta | ToolCallDelta]:
        kwargs = module.encode(request)
        client = self.relay.async_client(dialect)  # type: ignore[arg-type]
        try:
            async with self.relay.semaphore():
                if streaming:
                    async for item in module.stream(client, kwargs):
                        yield item
                else:
                    yield await module.create(client, kwargs)
        except (Exception, asyncio.CancelledError) as exc:
            if isinstance(exc, asyncio.CancelledError):
                raise
            mapped = self.relay.map_error(exc, dialect=dialect, model=name)
            if mapped is exc:
                raise
            raise mapped from None

    async def _run_tools(self, calls: list[ToolCallPart], dialect: str,
                         records: dict[str, ToolCall]) -> AsyncIterator[Event]:
        """Run one turn's calls (concurrently if allowed); events as they happen, results in call order."""
        events: asyncio.Queue[Event | None] = asyncio.Queue()
        results: list[ToolResultPart | None] = [None] * len(calls)

        async def one(i: int, call: ToolCallPart) -> None:
            await events.put(ToolCallStarted(call))
            t0 = time.perf_counter()
            part, value = await self._run_tool(call, dialect)
            duration = time.perf_counter() - t0
            results[i] = part
            records[call.id] = ToolCall(call.id, call.name, call.arguments, None if part.is_error else value,
                                        part.text if part.is_error else None, duration)
            await events.put(ToolCallFinished(call, part, duration))

        async def all_calls() -> None:
            try:
                if self.parallel_tools:
                    await asyncio.gather(*(one(i, c) for i, c in enumerate(calls)))
                else:
                    for i, c in enumerate(calls):
                        await one(i, c)
            finally:
                await events.put(None)

        runner = asyncio.ensure_future(all_calls())
        try:
            while (event := await events.get()) is not None:
                yield event
            await runner
        finally:
            if not runner.done():
                runner.cancel()
                await asyncio.gather(runner, return_exceptions=True)
            done = [r for r in results if r is not None]
            if done:  # partial results are kept; `_repair` fills in the missing ones
                self.history.append(Message("tool", list(done)))

    async def _run_tool(self, call: ToolCallPart, dialect: str) -> tuple[ToolResultPart, Any]:
        from agentkit.tools import error_to_content, result_to_content

        def error(text: str) -> tuple[ToolResultPart, Any]:
            return ToolResultPart(call.id, call.name, (TextPart(text),), is_error=True), None

        tool = next((t for t in self.tools if t.name == call.name), None)
        if tool is None:
            names = ", ".join(f"`{t.name}`" for t in self.tools) or "none"
            return error(f"There is no tool named {call.name!r}. Available tools: {names}. Call one of those.")
        if isinstance(call.arguments, str):
            return error(
                f"The arguments for `{call.name}` are not a valid JSON object: {call.arguments[:200]!r}. "
                "Send the arguments again as one JSON object."
            )
        if tool.approval and not await self._approved(call):
            return error(f"The user did not approve this call of `{call.name}`; do not retry it unless asked.")
        try:
            invocation = tool.ainvoke(call.arguments, dialect=dialect)
            value = await (asyncio.wait_for(invocation, tool.timeout) if tool.timeout else invocation)
        except ToolArgumentsError as exc:
            return error(str(exc))
        except TimeoutError:
            return error(f"`{call.name}` did not finish within its timeout of {tool.timeout} s and was abandoned.")
        except Exception as exc:
            return ToolResultPart(call.id, call.name, error_to_content(exc), is_error=True), None
        return ToolResultPart(call.id, call.name, result_to_content(value)), value

    async def _approved(self, call: ToolCallPart) -> bool:
        approve = self.approve
        if approve is None:
            from agentkit.approval import default_approver

            approve = default_approver()
        answer = approve(call)
        if asyncio.iscoroutine(answer):
            answer = await answer
        return bool(answer)

    def _repair(self, start: int, answered: bool) -> None:
        """Leave a valid history whatever stopped the run (rule 6).

        Every tool call gets a result (an error result saying it was interrupted); a prompt the
        model never answered is removed, so calling again starts from the same place.
        """
        if not answered:
            del self.history[start:]
            return
        pending: dict[str, ToolCallPart] = {}
        for message in self.history[start:]:
            for part in message.parts:
                if isinstance(part, ToolCallPart):
                    pending[part.id] = part
                elif isinstance(part, ToolResultPart):
                    pending.pop(part.call_id, None)
        if not pending:
            return
        missing = [
            ToolResultPart(call.id, call.name,
                           (TextPart("The call was interrupted before it finished; it has no result."),),
                           is_error=True)
            for call in pending.values()
        ]
        if self.history and self.history[-1].role == "tool":
            self.history[-1].parts.extend(missing)
        else:
            self.history.append(Message("tool", list(missing)))


class RunStream:
    """A sync iterator over a run's events (`for event in agent.stream(...)`); `.reply` at the end."""

    def __init__(self, factory: Callable[[], AsyncIterator[Event]]) -> None:
        self._factory = factory
        self.reply: Reply | None = None

    def __iter__(self) -> Iterator[Event]:
        for event in _aio.iterate(self._factory):
            if isinstance(event, RunFinished):
                self.reply = event.reply
            yield event

    def text(self) -> Iterator[str]:
        """Only the answer's text pieces."""
        for event in self:
            if isinstance(event, TextDelta):
                yield event.text


class AsyncRunStream:
    """An async iterator over a run's events; `.reply` once exhausted."""

    def __init__(self, events: AsyncIterator[Event]) -> None:
        self._events = events
        self.reply: Reply | None = None

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        async for event in self._events:
            if isinstance(event, RunFinished):
                self.reply = event.reply
            yield event


# ---------------------------------------------------------------------- helpers


def _as_tools(tools: Iterable[Any]) -> list[Tool]:
    from agentkit.tools import Tool, tool

    out: list[Tool] = []
    for item in tools:
        out.append(item if isinstance(item, Tool) else tool(item))
    names = [t.name for t in out]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigurationError(
            f"Two tools share the name(s) {', '.join(map(repr, duplicates))}; give one of them `@ak.tool(name=...)`."
        )
    return out


def _as_image(value: Any) -> Image:
    """Accept what users pass as an image; vision details (sniffing, downscaling) live in `images`."""
    if isinstance(value, Image):
        return value
    try:
        from agentkit.images import to_image
    except ImportError:  # pragma: no cover - the images module arrives with vision support
        to_image = None
    if to_image is not None:
        return to_image(value)
    if isinstance(value, (bytes, bytearray)):
        return Image(data=bytes(value))
    if isinstance(value, (str, Path)):
        text = str(value)
        if text.startswith(("http://", "https://")):
            return Image(url=text)
        return Image(data=Path(text).read_bytes())
    raise ConfigurationError(f"Cannot use {type(value).__name__} {value!r:.60} as an image; pass a path, URL or bytes.")


def _output_spec(output: Any) -> OutputSpec | None:
    if output is None:
        return None
    if isinstance(output, dict):
        return OutputSpec(schema=output, name=str(output.get("title") or "output"))
    from agentkit.output import spec_for

    return spec_for(output)

