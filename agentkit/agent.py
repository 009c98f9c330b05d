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
import contextlib
import dataclasses
import functools
import logging
import threading
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from agentkit import _aio, approval
from agentkit._api import as_list, check_keywords, check_values, checked_class, close_matches, trim
from agentkit.cost import Spend, Spending, as_limit
from agentkit.dialects.base import ModelRequest, Turn, load
from agentkit.errors import (
    AgentBusyError,
    AgentkitError,
    BadRequestError,
    BudgetExceededError,
    CacheHintWarning,
    ConfigurationError,
    EmptyAnswerError,
    MaxTurnsExceeded,
    OutputRefusedError,
    RelayError,
    ToolArgumentsError,
    UpstreamError,
)
from agentkit.events import (
    Delta,
    Event,
    OutputDelta,
    Retrying,
    RunFinished,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
    TurnStarted,
)
from agentkit.messages import (
    File,
    Image,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from agentkit.output import NOTHING as _NO_PARTIAL
from agentkit.reply import Reply, ToolCall
from agentkit.retry import track_sending

if TYPE_CHECKING:
    import os
    from pathlib import Path

    from agentkit.output import StructuredOutput
    from agentkit.relay import Relay
    from agentkit.retry import RetryPolicy
    from agentkit.tools import Tool

__all__ = ["Agent", "AsyncRunStream", "History", "RunStream"]

_log = logging.getLogger("agentkit")

Approver = Callable[[ToolCallPart], "bool | Any"]


@checked_class("ak.Agent", "agent")
class Agent(Spending):
    """A conversation with a model that can call tools.

    Args:
        model: The model name; `dialect:model` forces a dialect (see `Relay.route`). Assignable
            later (`agent.model = "gemini-2.5-pro"`): the history is carried over.
        tools: Functions (decorated with `@ak.tool` or plain, typed and documented), `ak.Tool`s, or
            MCP servers (`ak.mcp.stdio(...)`, `ak.mcp.http(...)`: all of their tools, listed now).
        system: The system prompt.
        relay: The relay to reach models through; default `ak.Relay.from_env()`.
        max_turns: Model requests allowed per run before `ak.MaxTurnsExceeded`.
        parallel_tools: Run a turn's tool calls concurrently (results still go back in call order).
        display: `"auto"` shows a live widget in notebooks and nothing elsewhere; `False` never.
        approve: Called with each call of an `approval=True` tool; return True to run it.
        output: Default structured output for runs: a pydantic model, dataclass, TypedDict, any type
            pydantic can validate, or a JSON Schema dict (see `run`; `reply.output` holds the result).
        output_retries: How many times an invalid structured answer is sent back to the model with
            what is wrong before `ak.OutputValidationError`. Re-asks do not count against `max_turns`.
        max_cost: The most one run (one `agent(...)` call) may spend, in the relay's currency: once
            its requests have cost that much, it stops before its next request with
            `ak.BudgetExceededError` (the history stays valid). Needs a price for the model.
        cache: Send prompt-caching hints (the default): Anthropic `cache_control` breakpoints, and a
            `prompt_cache_key` (stable for this agent) on the OpenAI doors. False sends none.
        options: Model options passed through unchecked, as a dict (for a dialect's own parameter
            whose name looks like a misspelling of one of agentkit's; see below).
        **options: Model options, passed through (`temperature`, `max_tokens`, `top_p`, `stop`,
            `reasoning`, or any dialect's own parameter name). A name that is not a known model
            option but close to one of agentkit's keywords or options (`sytem=`, `temprature=`,
            `system_prompt=`) raises `ak.ConfigurationError` with "did you mean"; pass such a name
            in `options={...}` to send it anyway.
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
        output_retries: int = 2,
        max_cost: float | Decimal | None = None,
        cache: bool = True,
        options: dict[str, Any] | None = None,
        **more_options: Any,
    ) -> None:
        try:
            self._setup(model, tools, system, relay, max_turns, parallel_tools, display, approve, output,
                        output_retries, _model_options(more_options, options, _AGENT_KEYWORDS, "`ak.Agent(...)`"))
            self._setup_spending(max_cost, cache)
        except AgentkitError as exc:
            raise trim(exc)  # noqa: B904 - frames below trimmed; AGENTKIT_FULL_TRACEBACKS=1 keeps them

    def _setup(self, model: str, tools: Any, system: str | None, relay: Relay | None, max_turns: int,
               parallel_tools: bool, display: bool | str, approve: Approver | None, output: Any,
               output_retries: int, options: dict[str, Any]) -> None:
        from agentkit.relay import Relay

        if relay is None:
            relay = Relay.from_env()  # its error, when nothing is configured, offers the emulator
        elif not isinstance(relay, Relay):
            raise ConfigurationError(
                f"`relay=` must be an `ak.Relay`; got {type(relay).__name__} {relay!r:.80}. Pass "
                "`ak.Relay(url, api_key=...)`, `ak.Relay.from_env()` or `ak.emulator.serve()`."
            )
        if approve is not None and not callable(approve):
            raise ConfigurationError(
                f"`approve=` must be a function called with each tool call (return True to run it); got "
                f"{type(approve).__name__} {approve!r:.60}. For tools that always run, leave out `approval=True`."
            )
        check_values({"system": system, "max_turns": max_turns, "parallel_tools": parallel_tools,
                      "output_retries": output_retries}, _setup_checks(), "`ak.Agent(...)`")
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
        if not isinstance(output_retries, int) or output_retries < 0:
            raise ConfigurationError(f"`output_retries` must be an int of at least 0; got {output_retries!r}.")
        self.output_retries = output_retries
        # The structured-output mode that worked per (dialect, model) after a relay rejected one.
        if output is not None:
            _structured(output)  # a bad output type is a developer mistake: say so now
        self.options = options
        self.tools: list[Tool] = _as_tools(as_list(tools))
        self.history: list[Message] = History()
        self._lock = threading.Lock()

    def _setup_spending(self, max_cost: float | Decimal | None, cache: bool) -> None:
        check_values({"max_cost": max_cost, "cache": cache}, _spending_checks(), "`ak.Agent(...)`")
        self.max_cost = max_cost
        self.cache = cache
        # One key per agent, the same on every request: the OpenAI doors route requests with the
        # same key to the same cache (copies made by `ak.batch` share it, and their prefix).
        self._cache_key = f"agentkit-{uuid.uuid4().hex}"
        self._spend = Spend()

    # ------------------------------------------------------------------ properties

    @property
    def max_cost(self) -> Decimal | None:
        """The most one run may spend, in the relay's currency (an exact Decimal), or None for no limit."""
        return self._max_cost

    @max_cost.setter
    def max_cost(self, value: float | Decimal | None) -> None:
        self._max_cost = as_limit(value)

    # `usage` and `cost` come from `Spending`: every request of the agent's life, `reset()` or not.

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
        self.history = History()

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write this agent to a JSON file: model, system prompt, options, the tools' names and the history.

        The file holds no key, no relay address and no tool code; `ak.Agent.load(path, tools=[...],
        relay=...)` continues the conversation (`agentkit.saving` describes the format). Returns the path.
        """
        from agentkit.saving import save

        try:
            return save(self, path)
        except AgentkitError as exc:
            raise trim(exc)  # noqa: B904 - frames below trimmed; AGENTKIT_FULL_TRACEBACKS=1 keeps them

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, tools: Iterable[Any] = (), relay: Relay | None = None,
             **settings: Any) -> Agent:
        """An agent saved with `agent.save(path)`, ready to continue: its next request is the one it would have sent.

        Tools are saved by name: pass every saved tool again in `tools` (a missing one raises
        `ak.ConfigurationError` naming it); more may be given. `relay` as in `ak.Agent` (default
        `ak.Relay.from_env()`). `settings` (`display=`, `approve=`, `output=`, `max_turns=`, ...) override
        the saved ones; a structured output type was saved by name only and is given again as `output=`.
        """
        from agentkit.saving import read

        try:
            saved = read(path)
            agent = cls(saved.model, relay=relay, **saved.arguments(_as_tools(as_list(tools)), settings))
            agent.history.extend(saved.history)
            return agent
        except AgentkitError as exc:
            raise trim(exc)  # noqa: B904 - frames below trimmed; AGENTKIT_FULL_TRACEBACKS=1 keeps them

    def __repr__(self) -> str:
        tools = f", tools={[t.name for t in self.tools]!r}" if self.tools else ""
        return f"Agent({self.model!r}{tools}, messages={len(self.history)})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """The agent in a notebook: model, tools, system prompt, and the conversation so far."""
        from agentkit.display.render import agent_bundle

        return agent_bundle(self)

    # ------------------------------------------------------------------ entry points

    def __call__(self, prompt: str | None = None, **kwargs: Any) -> Reply:
        """`agent(...)` is `agent.run(...)`."""
        try:
            return self.run(prompt, **kwargs)
        except AgentkitError as exc:
            raise trim(exc)  # noqa: B904 - frames below trimmed; AGENTKIT_FULL_TRACEBACKS=1 keeps them

    def run(self, prompt: str | None = None, *, images: Any = (), files: Any = (), output: Any = None,
            options: dict[str, Any] | None = None, **more_options: Any) -> Reply:
        """Send `prompt` (with optional `images` and `files`), run tool calls until the model answers.

        Works in scripts and inside Jupyter (where an event loop is already running).
        No prompt continues from the history as it is. `display=` overrides the agent's setting
        for this call (in a notebook the run then streams into a live view). `images` is a list of
        images (paths, URLs, bytes, PIL images, `ak.Image`), or one image; `files` likewise takes
        PDFs, text and audio (paths, URLs, bytes, `ak.File`), typed by their content. Model options
        are checked as in `ak.Agent` (`options={...}` passes names through unchecked). Returns the Reply.

        An agentkit error raised here carries no agentkit-internal frames below this call (its
        cause keeps its own); set `AGENTKIT_FULL_TRACEBACKS=1` to keep them.
        """
        try:
            return self._run_sync(prompt, _attached(images, files), output, options, more_options)
        except AgentkitError as exc:
            raise trim(exc)  # noqa: B904 - frames below trimmed; AGENTKIT_FULL_TRACEBACKS=1 keeps them

    def _run_sync(self, prompt: str | None, images: Any, output: Any, options: dict[str, Any] | None,
                  more_options: dict[str, Any]) -> Reply:
        from agentkit.display import open_view

        _check_prompt(prompt)
        display = more_options.pop("display", self.display)
        merged = _model_options(more_options, options, _RUN_KEYWORDS, "`agent(...)`")
        view = open_view(self, display, prompt)
        if view is not None:  # a notebook: stream, and feed the live view from this (the kernel's) thread
            return self._run_in_view(view, lambda: self._events(prompt, images, output, merged, streaming=True),
                                     has_prompt=prompt is not None or bool(images))
        return _aio.run_sync(lambda: self._arun(prompt, images, output, merged, False))

    async def arun(self, prompt: str | None = None, *, images: Any = (), files: Any = (), output: Any = None,
                   options: dict[str, Any] | None = None, **more_options: Any) -> Reply:
        """The async twin of `run` (the core: `run` bridges to it)."""
        try:
            _check_prompt(prompt)
            display = more_options.pop("display", self.display)
            merged = _model_options(more_options, options, _RUN_KEYWORDS, "`agent.arun(...)`")
            return await self._arun(prompt, _attached(images, files), output, merged, display)
        except AgentkitError as exc:
            raise trim(exc)  # noqa: B904 - frames below trimmed; AGENTKIT_FULL_TRACEBACKS=1 keeps them

    async def _arun(self, prompt: str | None, images: list[Any], output: Any, options: dict[str, Any],
                    display: bool | str) -> Reply:
        from agentkit.display import open_view

        view = open_view(self, display, prompt)
        if view is not None:
            return await self._arun_in_view(view, self._events(prompt, images, output, options, streaming=True),
                                            has_prompt=prompt is not None or bool(images))
        reply: Reply | None = None
        async for event in self._events(prompt, images, output, options, streaming=False):
            if isinstance(event, RunFinished):
                reply = event.reply
        assert reply is not None
        return reply

    def _run_in_view(self, view: Any, factory: Callable[[], AsyncIterator[Event]], *, has_prompt: bool) -> Reply:
        """A sync notebook run: driven on the background loop, its events shown from this thread."""
        from agentkit.display.live import Feed

        feed = Feed(self, view, has_prompt=has_prompt)
        token = approval.notebook_approver.set(feed.ask_from_thread)  # the run's context is a copy of this one
        try:
            for event in _aio.iterate(factory, idle=feed.idle):
                feed.show(event)
        except BaseException as exc:
            feed.fail(exc)
            raise
        finally:
            approval.notebook_approver.reset(token)
            feed.close()
        return feed.reply()

    async def _arun_in_view(self, view: Any, events: AsyncIterator[Event], *, has_prompt: bool) -> Reply:
        """An async notebook run: iterated in this task (the kernel's loop), its events shown as they come."""
        from agentkit.display.live import Feed

        feed = Feed(self, view, has_prompt=has_prompt)
        token = approval.notebook_approver.set(feed.ask_here)
        ticking = asyncio.ensure_future(feed.tick_forever())
        try:
            async for event in events:
                feed.show(event)
        except BaseException as exc:
            feed.fail(exc)
            raise
        finally:
            ticking.cancel()
            approval.notebook_approver.reset(token)
        return feed.reply()

    def stream(self, prompt: str | None = None, *, images: Any = (), files: Any = (), output: Any = None,
               options: dict[str, Any] | None = None, **more_options: Any) -> RunStream:
        """Iterate the run's events as they happen; `.reply` once exhausted.

        The options are checked now, before the first event (as in `run`).
        """
        try:
            _check_prompt(prompt)
            merged = _model_options(more_options, options, _STREAM_KEYWORDS, "`agent.stream(...)`")
            images = _attached(images, files)
        except AgentkitError as exc:
            raise trim(exc)  # noqa: B904 - frames below trimmed; AGENTKIT_FULL_TRACEBACKS=1 keeps them
        return RunStream(lambda: self._events(prompt, images, output, merged, streaming=True))

    def astream(self, prompt: str | None = None, *, images: Any = (), files: Any = (), output: Any = None,
                options: dict[str, Any] | None = None, **more_options: Any) -> AsyncRunStream:
        """`async for event in agent.astream(...)`; `.reply` once exhausted."""
        try:
            _check_prompt(prompt)
            merged = _model_options(more_options, options, _STREAM_KEYWORDS, "`agent.astream(...)`")
            images = _attached(images, files)
        except AgentkitError as exc:
            raise trim(exc)  # noqa: B904 - frames below trimmed; AGENTKIT_FULL_TRACEBACKS=1 keeps them
        return AsyncRunStream(self._events(prompt, images, output, merged, streaming=True))

    # ------------------------------------------------------------------ the run

    async def _events(self, prompt: str | None, images: Sequence[Any], output: Any, options: dict[str, Any],
                      *, streaming: bool) -> AsyncGenerator[Event, None]:
        # One run at a time per agent, across threads and event loops (a thread lock, taken without
        # blocking any loop): two interleaved runs would corrupt the shared history. A run the
        # caller left with `break` is closed by the loop's async-generator finalizer a few
        # iterations later; give it that moment before calling the agent busy.
        lock = self._lock
        deadline = time.monotonic() + 1.0
        while not lock.acquire(blocking=False):
            if time.monotonic() >= deadline:
                raise AgentBusyError(
                    f"The agent for {self.model!r} is already running (in another thread, or this call is nested "
                    "in its own run); wait for the current run to finish, or give each thread its own `ak.Agent`."
                )
            await asyncio.sleep(0.005)
        try:
            async with contextlib.aclosing(self._run(prompt, images, output, options, streaming=streaming)) as run:
                async for event in run:
                    yield event
        finally:
            lock.release()

    async def _run(self, prompt: str | None, images: Sequence[Any], output: Any, options: dict[str, Any],
                   *, streaming: bool) -> AsyncGenerator[Event, None]:
        started = time.perf_counter()
        _check_history(self.history)
        start = len(self.history)
        model = self.model
        dialect, name = self.relay.route(model)
        module = load(dialect)
        structured = _structured(output if output is not None else self.output)
        merged = {**self.options, **options}
        if self.max_cost is not None:
            self._check_priced(self.max_cost)
        if prompt is not None or images:
            self.history.append(Message.user(prompt or "", *(_as_image(i) for i in images)))
        elif not self.history:
            raise ConfigurationError("There is no prompt and no history to continue from; pass a prompt.")

        spend = Spend()  # this run's requests: its usage and cost
        records: dict[str, ToolCall] = {}
        last: Message | None = None
        turns = 0
        answered = False
        answer: Any = None
        answer_text: str | None = None
        asking = None
        if structured is not None:
            from agentkit.output import OutputRun

            asking = OutputRun(structured, dialect=dialect, model=name, tools=self.tools,
                               retries=self.output_retries, modes=self.relay.output_modes)
        limit = self.max_turns  # re-asks for a valid structured answer raise it: they are not the model's turns
        try:
            turn = 0
            while True:
                turn += 1
                if turn > limit:
                    raise MaxTurnsExceeded(
                        f"The model was still calling tools after `max_turns={self.max_turns}` requests. "
                        "Raise `max_turns=`, or call `agent()` to let it continue from here.",
                        max_turns=self.max_turns,
                    )
                turns = turn
                if self.max_cost is not None:
                    self._check_budget(spend, self.max_cost, turn)
                yield TurnStarted(turn, name, dialect)
                hinted = self.cache and (dialect, name) not in self.relay.no_cache_hints
                request = self._request(name, merged, asking, cache_key=self._cache_key if hinted else None)
                result: Turn | None = None
                try:
                    async with contextlib.aclosing(
                        self._call_model(module, dialect, name, request, streaming=streaming)
                    ) as items:
                        async for item in items:
                            if isinstance(item, Turn):
                                result = item
                                continue
                            yield item
                            if asking is not None:
                                partial = asking.partial(item)
                                if partial is not _NO_PARTIAL:
                                    yield OutputDelta(partial)
                except BadRequestError as exc:
                    if hinted and self._refuses_cache_hints(exc, module, dialect, name):
                        turn -= 1  # the same request again, without hints: not a turn
                        if asking is not None:
                            asking.new_turn()
                        continue
                    # A relay without native structured output (or the forced tool) answers 400:
                    # ask the next way, visibly; the rejected request is not a turn.
                    if asking is None:
                        raise
                    if not asking.fall_back(exc):
                        raise asking.first_error(exc) from None
                    turn -= 1
                    asking.new_turn()
                    continue
                assert result is not None, "a dialect stream must end with a Turn"
                message = result.message
                _give_unique_call_ids(message, self.history)
                self.history.append(message)
                answered = True
                last = message
                spend.add(self.relay.pricing, name, result.usage)
                self._spend.add(self.relay.pricing, name, result.usage)
                yield TurnFinished(turn, message, result.usage)
                if asking is not None:
                    asking.new_turn()
                    if result.refusal:
                        raise OutputRefusedError(
                            f"The model {name!r} refused to give the structured answer: {result.refusal!r}. "
                            "Rephrase the request, or ask without `output=`.",
                            refusal=result.refusal,
                        )
                    dropped = asking.dropped(result)
                    if dropped is not None and asking.fall_back(None, dropped=dropped):
                        # The relay dropped how the answer was asked for: as after a 400, the answer
                        # is not kept and the request goes again the next way (not a turn).
                        self.history.pop()
                        turn -= 1
                        continue
                    verdict = asking.judge(result)
                    if verdict.kind == "answer":
                        if verdict.results:
                            self.history.append(Message("tool", list(verdict.results)))
                        answer, answer_text = verdict.value, verdict.text
                        break
                    if verdict.kind in ("retry", "fail"):
                        if verdict.calls:
                            async with contextlib.aclosing(self._run_tools(verdict.calls, dialect, records)) as events:
                                async for event in events:
                                    yield event
                        if verdict.results:
                            if self.history and self.history[-1].role == "tool" and verdict.calls:
                                self.history[-1].parts.extend(verdict.results)
                            else:
                                self.history.append(Message("tool", list(verdict.results)))
                        if verdict.kind == "fail":
                            assert verdict.error is not None
                            raise verdict.error
                        if verdict.followup is not None:
                            self.history.append(verdict.followup)
                        limit += 1
                        continue
                calls = message.tool_calls
                if not calls:
                    break
                async with contextlib.aclosing(self._run_tools(calls, dialect, records)) as events:
                    async for event in events:
                        yield event
        finally:
            self._repair(start, answered)

        assert last is not None
        reasoning = "".join(p.text for m in self.history[start:] if m.role == "assistant"
                            for p in m.parts if isinstance(p, ReasoningPart)) or None
        reply = Reply(
            text=last.text if answer_text is None else answer_text,
            model=last.model or name,
            dialect=dialect,
            usage=spend.usage,
            tool_calls=list(records.values()),
            reasoning=reasoning,
            output=answer,
            messages=list(self.history[start:]),
            turns=turns,
            elapsed=time.perf_counter() - started,
            spend=spend,
        )
        yield RunFinished(reply)

    def _refuses_cache_hints(self, exc: BadRequestError, module: Any, dialect: str, name: str) -> bool:
        """Whether a 400 names a field prompt-caching hints go in; if so, hints are off for the model.

        Hints are optional: a gateway that does not map one (LiteLLM routing `prompt_cache_key` on the
        OpenAI door to Claude answers 400 "does not support parameters") must not fail the run.
        """
        words = f"{exc.message} {exc.code or ''}".lower()
        field = next((f for f in module.CACHE_HINT_FIELDS if f in words), None)
        if field is None:
            return False
        self.relay.no_cache_hints.add((dialect, name))
        import warnings

        warnings.warn(
            CacheHintWarning(
                f"The relay refused the prompt-caching hint `{field}` for model {name!r} on the `{dialect}` door "
                f"({exc.message.strip().rstrip('.')[:300]}); the request went again without caching hints, and "
                "this relay gets none for this model from now on (the vendor may still cache by itself)."
            ),
            stacklevel=3,
        )
        return True

    def _check_priced(self, limit: Decimal) -> None:
        """`max_cost=` (the agent's, or a batch's) needs a price for the model: say so before the first request."""
        name = self.relay.route(self.model)[1]
        if not self.relay.pricing.knows(name):
            currency = self.relay.pricing.currency
            raise ConfigurationError(
                f"`max_cost={limit}` needs a price for the model {name!r}, and it has none in {currency}. "
                f"Pass `ak.Relay(..., prices={{{name!r}: {{'input': ..., 'output': ...}}}})` (per 1M tokens), "
                "or leave out `max_cost=`."
            )

    def _check_budget(self, spend: Spend, limit: Decimal, turn: int) -> None:
        """Stop the run before its next request once it has spent `limit` (the history is repaired as after any error)."""
        spent = spend.cost
        if spent is not None and spent.amount >= limit:
            raise BudgetExceededError(
                f"The run stopped before request {turn}: it has spent {spent} ({spent.amount} {spent.currency}), "
                f"reaching `max_cost={limit}`. Raise `max_cost=` (or set `agent.max_cost`), or call `agent()` "
                "to continue from here with a new budget.",
                spent=spent,
                max_cost=limit,
            )

    def _request(self, name: str, options: dict[str, Any], asking: Any, *, cache_key: str | None) -> ModelRequest:
        """The next model request; a structured-output run adds its output spec, final tool or instructions."""
        if asking is None:
            return ModelRequest(model=name, history=self._with_system(), tools=self.tools, options=options,
                                cache_key=cache_key)
        history = self._with_system()
        instructions = asking.instructions
        if instructions:
            leading = next((i for i, m in enumerate(history) if m.role != "system"), len(history))
            history.insert(leading, Message.system(instructions))
        return ModelRequest(model=name, history=history, tools=asking.tools, options=asking.options(options),
                            output=asking.spec, tool_choice=asking.tool_choice, cache_key=cache_key)

    def _with_system(self) -> list[Message]:
        if self.system and not (self.history and self.history[0].role == "system"):
            return [Message.system(self.system), *self.history]
        return list(self.history)

    def _client(self, dialect: str) -> Any:
        """The async SDK client for a model request, with the SDK's own retries off (`agentkit.retry`)."""
        return self.relay.async_client(dialect, sdk_retries=False)  # type: ignore[arg-type]

    async def _call_model(self, module: Any, dialect: str, name: str, request: ModelRequest,
                          *, streaming: bool) -> AsyncGenerator[Turn | Delta | Retrying, None]:
        """One model request, retried by the relay's `retry_policy`, the same way in every dialect.

        The SDK client has its own retries off (`agentkit.retry` says why). Each attempt holds one of
        the relay's concurrency slots, released while waiting to retry. A stream is retried only
        while none of it was yielded; an empty answer is retried like a 5xx, and never appended.
        Whatever fails ends as an `ak.AgentkitError` (the SDK exception, whose request holds the
        key, is not chained).
        """
        try:
            kwargs = module.encode(request)
        except ValueError as exc:  # content this dialect cannot carry, a bad option value
            if isinstance(exc, ConfigurationError):
                raise
            raise ConfigurationError(str(exc)) from None
        client = self._client(dialect)
        policy = self.relay.retry_policy
        attempt = 0
        while True:
            shown = False
            error: Exception
            sent = track_sending()
            try:
                result: Turn | None = None
                async with self.relay.semaphore():
                    if streaming:
                        async with contextlib.aclosing(module.stream(client, kwargs)) as chunks:
                            async for item in chunks:
                                if isinstance(item, Turn):
                                    result = item
                                else:
                                    shown = True
                                    yield item
                    else:
                        result = await module.create(client, kwargs)
                if result is None:
                    raise UpstreamError("The stream ended without a final answer", status=200, dialect=dialect,
                                        model=name, code="malformed_stream")
                _check_not_empty(result, dialect, name)
            except Exception as exc:
                error = await self._model_error(exc, dialect, name, sent=bool(sent))
            else:
                yield result
                return
            attempt += 1
            wait = None if shown else policy.delay(error, attempt)
            if wait is None:
                raise _final_error(error, policy, attempt, shown=shown)
            _log.info("Retrying the request to %r in %.2f s after: %s", name, wait, error)
            yield Retrying(attempt, wait, error)
            await asyncio.sleep(wait)

    async def _model_error(self, exc: Exception, dialect: str, name: str, *, sent: bool) -> Exception:
        """The agentkit error for anything a model request raised (SDK, transport, or an unreadable answer).

        `sent`: whether the request reached the network; an unmapped exception before that is the
        SDK refusing what we built (a bad option value), not a bad answer.
        """
        from agentkit._transport import AnswerTooLarge
        from agentkit.errors import ModelNotFoundError, from_sdk_error

        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, AnswerTooLarge):  # an SDK may have wrapped it
            cause = cause.__cause__ or cause.__context__
        if cause is not None:
            too_large = UpstreamError(str(cause), status=200, dialect=dialect, model=name, code="answer_too_large")
            too_large.retryable = False  # the same answer would come again
            return too_large
        if isinstance(from_sdk_error(exc, dialect=dialect, model=name), ModelNotFoundError):
            # Its hint needs the relay's model list: a blocking request, kept off the event loop.
            mapped = await asyncio.to_thread(self.relay.map_error, exc, dialect=dialect, model=name)
        else:
            mapped = self.relay.map_error(exc, dialect=dialect, model=name)
        if isinstance(mapped, AgentkitError):
            return mapped
        from agentkit.errors import redact

        # The cause stays chained for debugging: it is an SDK or decoder exception about the request
        # or the answer's shape, with no request object (and so no key) in it.
        text = redact(f"{type(exc).__name__}: {exc}", self.relay.secrets)[:800]
        error: AgentkitError
        if not sent:  # the SDK refused what we built: the developer's to fix, not worth a retry
            error = ConfigurationError(
                f"The `{dialect}` SDK refused the request before sending it ({text}). Check the options given "
                "to the agent or the run (`temperature=`, `max_tokens=`, ...): their names and value types."
            )
        else:  # the answer could not be decoded (bad JSON in an event, an unexpected shape): like a 5xx
            error = UpstreamError(f"The relay's answer could not be read ({text})", status=200, dialect=dialect,
                                  model=name, code="malformed_response")
        error.__cause__ = exc
        return error

    async def _run_tools(self, calls: list[ToolCallPart], dialect: str,
                         records: dict[str, ToolCall]) -> AsyncGenerator[Event, None]:
        """Run one turn's calls (concurrently if allowed); events as they happen, results in call order."""
        events: asyncio.Queue[Event | None] = asyncio.Queue()
        results: list[ToolResultPart | None] = [None] * len(calls)
        for call in calls:  # reserve the slots now so `reply.tool_calls` keeps the model's call order
            records[call.id] = ToolCall(call.id, call.name, call.arguments)

        async def one(i: int, call: ToolCallPart) -> None:
            await events.put(ToolCallStarted(call))
            t0 = time.perf_counter()
            part, value, waited = await self._run_tool(call, dialect)
            duration = time.perf_counter() - t0 - waited  # the tool's own time: a wait for approval is apart
            results[i] = part
            records[call.id] = ToolCall(call.id, call.name, call.arguments, None if part.is_error else value,
                                        part.text if part.is_error else None, duration)
            await events.put(ToolCallFinished(call, part, duration, approval_wait=waited))

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

    async def _run_tool(self, call: ToolCallPart, dialect: str) -> tuple[ToolResultPart, Any, float]:
        """The call's result part, its value, and the seconds spent waiting for approval."""
        waits: list[float] = []
        part, value = await self._run_tool_once(call, dialect, waits)
        return part, value, sum(waits)

    async def _run_tool_once(self, call: ToolCallPart, dialect: str,
                             waits: list[float]) -> tuple[ToolResultPart, Any]:
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
        if tool.approval:
            asked = time.perf_counter()
            approved = await self._approved(call)
            waits.append(time.perf_counter() - asked)
            if not approved:
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
            approve = approval.default_approver()
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


def _give_unique_call_ids(message: Message, history: Sequence[Message]) -> None:
    """Give each tool call of a new answer an id no other call in the conversation has.

    Why: relays and models that are not the vendor's own send calls without ids, or reuse ids
    (`call_0` in every turn, or twice in one answer). Sent back as they came, the next request
    would pair results with the wrong calls, and vendors reject duplicate ids with a 400 on every
    later request. The call is renamed before anything pairs with it, so its result, the history
    and `reply.tool_calls` all use the new id.
    """
    calls = [(i, p) for i, p in enumerate(message.parts) if isinstance(p, ToolCallPart)]
    if not calls:
        return
    taken = {p.id for m in history if m.role == "assistant" for p in m.parts if isinstance(p, ToolCallPart)}
    for index, call in calls:
        if call.id and call.id not in taken:
            taken.add(call.id)
            continue
        stem = call.id or "call"
        n = 1
        while f"{stem}_{n}" in taken:
            n += 1
        fresh = f"{stem}_{n}"
        taken.add(fresh)
        message.parts[index] = dataclasses.replace(call, id=fresh)


class History(list[Message]):
    """`agent.history` as the agent keeps it: a plain list of `ak.Message` that a notebook shows as a
    readable transcript (the prompts, answers and tool cards), not as `Message(...)` reprs.

    A list assigned by hand (`agent.history = [...]`) is kept as it is; `ak.transcript(history)`
    shows any list the same way.
    """

    __slots__ = ()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from agentkit.display.render import transcript

        return transcript(list(self))._repr_mimebundle_()


@checked_class("RunStream", "stream")
class RunStream:
    """A sync iterator over a run's events (`for event in agent.stream(...)`); `.reply` at the end."""

    def __init__(self, factory: Callable[[], AsyncIterator[Event]]) -> None:
        self._factory = factory
        self.reply: Reply | None = None

    def __iter__(self) -> Iterator[Event]:
        try:
            for event in _aio.iterate(self._factory):
                if isinstance(event, RunFinished):
                    self.reply = event.reply
                yield event
        except AgentkitError as exc:
            raise trim(exc)  # noqa: B904 - frames below trimmed; AGENTKIT_FULL_TRACEBACKS=1 keeps them

    def text(self) -> Iterator[str]:
        """Only the answer's text pieces."""
        for event in self:
            if isinstance(event, TextDelta):
                yield event.text


@checked_class("AsyncRunStream", "stream")
class AsyncRunStream:
    """An async iterator over a run's events; `.reply` once exhausted."""

    def __init__(self, events: AsyncIterator[Event]) -> None:
        self._events = events
        self.reply: Reply | None = None

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        try:
            async for event in self._events:
                if isinstance(event, RunFinished):
                    self.reply = event.reply
                yield event
        except AgentkitError as exc:
            raise trim(exc)  # noqa: B904 - frames below trimmed; AGENTKIT_FULL_TRACEBACKS=1 keeps them
        finally:  # left early (`break`, an exception): end the run now, so the agent is free again
            aclose = getattr(self._events, "aclose", None)
            if aclose is not None:
                await aclose()


# ---------------------------------------------------------------------- helpers

#: Model option names passed through as they are: the neutral ones every dialect maps, and common
#: vendor parameters. Listed so that a name close to one of agentkit's own keywords but real
#: (`top_k` is close to `top_p`) is not taken for a misspelling.
MODEL_OPTIONS = frozenset({
    "temperature", "max_tokens", "top_p", "stop", "reasoning",  # neutral: mapped per dialect
    "top_k", "seed", "n", "user", "frequency_penalty", "presence_penalty", "logit_bias", "logprobs",
    "top_logprobs", "tool_choice", "parallel_tool_calls", "metadata", "store", "service_tier",
    "reasoning_effort", "max_completion_tokens", "modalities", "audio", "prediction", "stream_options",
    "web_search_options", "verbosity", "include", "truncation", "previous_response_id", "text",
    "max_output_tokens", "thinking", "stop_sequences", "top_n", "candidate_count", "safety_settings",
    "thinking_config", "cached_content", "response_mime_type", "response_modalities", "media_resolution",
    "speech_config", "extra_headers", "extra_body", "extra_query", "timeout", "prompt_cache_key",
    "safety_identifier", "max_tool_calls", "background", "context_management", "container", "mcp_servers",
})

#: Names other libraries (or the vendors' own SDKs) use for what an agentkit keyword does; refused
#: with the agentkit keyword suggested (pass one in `options={...}` to send it to the model anyway).
ALIASES = {
    "system_prompt": "system", "system_message": "system", "instructions": "system", "functions": "tools",
    "max_iterations": "max_turns", "max_steps": "max_turns", "response_model": "output",
    "output_type": "output", "result_type": "output", "response_format": "output", "schema": "output",
    "image": "images", "api_key": "relay", "base_url": "relay", "stream": "agent.stream(...)",
    "file": "files", "attachments": "files", "documents": "files",
    "messages": "agent.history", "history": "agent.history", "model": "agent.model",
}

_AGENT_KEYWORDS = ("model", "tools", "system", "relay", "max_turns", "parallel_tools", "display", "approve",
                   "output", "output_retries", "max_cost", "cache", "options")
_STREAM_KEYWORDS = ("prompt", "images", "files", "output", "options")
_RUN_KEYWORDS = (*_STREAM_KEYWORDS, "display")


@functools.cache
def _setup_checks() -> dict[str, Any]:
    from agentkit._api import _checks

    return _checks(Agent._setup)


@functools.cache
def _spending_checks() -> dict[str, Any]:
    from agentkit._api import _checks

    return _checks(Agent._setup_spending)


def _check_prompt(prompt: Any) -> None:
    if prompt is not None and not isinstance(prompt, str):
        raise ConfigurationError(
            f"The prompt must be a str (or None to continue the conversation); got {type(prompt).__name__} "
            f"{prompt!r:.80}. Pass text, e.g. `agent(str(value))`; images go in `images=[...]`."
        )


def _model_options(given: dict[str, Any], unchecked: dict[str, Any] | None, keywords: Sequence[str],
                   where: str) -> dict[str, Any]:
    """The model options of a call: `given` (checked by name) merged with `unchecked` (`options={...}`).

    The rule, since model options are open-ended: a name is refused when it is one of `ALIASES`,
    or is not in `MODEL_OPTIONS` but close (difflib ratio 0.75 or more) to a keyword of the call or
    a known model option. Anything else is passed through to the model as the dialect's own
    parameter (`safety_settings=`, `frequency_penalty=`, a relay's own field).
    """
    for name in given:
        if name in MODEL_OPTIONS:
            continue
        alias = ALIASES.get(name)
        if alias is not None:
            if alias in keywords:
                suggestion = f"use `{alias}=`"
            elif "." in alias:
                suggestion = f"use `{alias}`"
            else:
                suggestion = f"pass it to `ak.Agent(..., {alias}=...)`"
            raise ConfigurationError(
                f"{where} got the keyword {name!r}, which agentkit spells differently: {suggestion}. "
                f"To send {name!r} to the model as it is, pass `options={{{name!r}: ...}}`."
            )
        if name in _AGENT_KEYWORDS and name not in keywords:  # `agent("hi", system=...)`
            raise ConfigurationError(
                f"{where} got {name!r}, which is a setting of the agent, not of one run: pass it to "
                f"`ak.Agent(..., {name}=...)` or assign `agent.{name} = ...` before the call."
            )
        if close_matches(name, [*keywords, *_AGENT_KEYWORDS, *MODEL_OPTIONS], cutoff=0.75):
            check_keywords(
                [name], [*keywords, *(k for k in _AGENT_KEYWORDS if k not in keywords), *sorted(MODEL_OPTIONS)],
                where, listed=keywords,
                hint=f"Model options such as `temperature=`, `max_tokens=` are passed too; to send {name!r} "
                     f"to the model as it is, pass `options={{{name!r}: ...}}`.",
            )
    if unchecked is not None and not isinstance(unchecked, dict):
        raise ConfigurationError(
            f"`options=` must be a dict of model options; got {type(unchecked).__name__} {unchecked!r:.60}."
        )
    return {**given, **(unchecked or {})}


def _as_tools(tools: Iterable[Any]) -> list[Tool]:
    from agentkit.tools import Tool, ToolSet, default_tool

    out: list[Tool] = []
    for item in tools:
        if isinstance(item, ToolSet):  # an MCP server: all of its tools (it connects now)
            out.extend(item.tools())
        else:
            out.append(item if isinstance(item, Tool) else default_tool(item))
    names = [t.name for t in out]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        sources = sorted({t.source for t in out if t.name in duplicates and t.source})
        hint = (f"they come from the MCP server(s) {', '.join(f'`{s}`' for s in sources)}: give a server a name "
                "prefix with `prefix=`, e.g. `ak.mcp.stdio(..., prefix=\"time_\")`"
                if sources else "give one of them `@ak.tool(name=...)`")
        raise ConfigurationError(f"Two tools share the name(s) {', '.join(map(repr, duplicates))}; {hint}.")
    return out


def _attached(images: Any, files: Any) -> list[Any]:
    """The run's images (converted when the run starts) followed by its files, converted now.

    Files are read and sniffed at the call, so a missing or unrecognised file fails before the run
    (and its history entry) begins; they join the images list as `ak.File`s, which `_as_image` keeps.
    """
    images = as_list(images)
    if files is None or (isinstance(files, (list, tuple)) and not files):
        return images
    from agentkit.files import attachments

    return [*images, *attachments(files)]


def _as_image(value: Any) -> Image | File:
    """Accept what users pass as an image: sniffing, sizing and encoding live in `agentkit.images`."""
    from agentkit.images import to_image

    if isinstance(value, File):
        return value  # from `files=`, already converted by `_attached`

    return to_image(value)


def _check_history(history: Any) -> None:
    """Refuse a history that is not a list of `ak.Message` (assigned by hand), before it is sent anywhere."""
    if not isinstance(history, list):
        raise ConfigurationError(
            f"`agent.history` must be a list of `ak.Message`; got {type(history).__name__} {history!r:.60}. "
            "Assign a list, or `ak.from_dialect(dialect, messages)` to import a vendor conversation."
        )
    for index, message in enumerate(history):
        if not isinstance(message, Message):
            raise ConfigurationError(
                f"`agent.history[{index}]` is a {type(message).__name__}, not an `ak.Message`: {message!r:.80}. "
                "To import a vendor conversation, assign `ak.from_dialect(dialect, messages)`, e.g. "
                "`agent.history = ak.from_dialect(\"openai\", messages)`."
            )


def _check_not_empty(turn: Turn, dialect: str, model: str) -> None:
    """Raise `EmptyAnswerError` for an answer with no text, no tool call and no refusal."""
    for part in turn.message.parts:
        if isinstance(part, TextPart):
            if part.text.strip():
                return
        elif not isinstance(part, ReasoningPart):
            return  # a tool call (or any other content)
    if turn.refusal:
        return
    why = {
        "length": " It stopped at the token limit before answering: raise `max_tokens=`.",
        "content_filter": " A content filter stopped it: rephrase the request.",
    }.get(turn.finish_reason, " Run again, or rephrase the request.")
    raise EmptyAnswerError(
        f"The model {model!r} answered with no text and no tool call (finish reason "
        f"{turn.raw_finish_reason or turn.finish_reason!r}).{why}",
        model=model, dialect=dialect, finish_reason=turn.finish_reason,
    )


def _final_error(error: Exception, policy: RetryPolicy, attempts: int, *, shown: bool) -> Exception:
    """`error` as raised to the user, saying why it was not (or no longer) retried."""
    from agentkit.retry import give_up_note, with_advice

    retryable = bool(getattr(error, "retryable", False))
    if shown and retryable:
        note = ("Part of the answer had already been shown, so it was not retried (that would show it twice); "
                "the partial answer was dropped and the history is as before this request. Run again to retry.")
    else:
        note = give_up_note(error, policy, attempts) or ""
    if not note:
        return error
    if isinstance(error, RelayError):
        return with_advice(error, f"{error.advice} {note}")
    if isinstance(error, EmptyAnswerError):
        return EmptyAnswerError(f"{error} {note}", model=error.model, dialect=error.dialect,
                                finish_reason=error.finish_reason)
    return error


def _structured(output: Any) -> StructuredOutput | None:
    """The structured output `output=` asks for (None: a plain text answer)."""
    if output is None:
        return None
    from agentkit.output import prepare

    return prepare(output)

