"""`ak.batch` / `ak.abatch`: many independent agent conversations at once, with a progress bar.

    replies = ak.batch(agent, ["Summarise: ...", "Summarise: ...", ...], concurrency=50,
                       rate_limit=600, cache="runs.jsonl")
    replies[0].text            # results in input order
    replies.errors             # {index: exception} for the inputs that failed; the rest still ran

Each input runs on its own copy of the agent (same model, tools, system prompt, options; the
template's history as the starting point), or on a fresh agent from a factory, so conversations
never share a history. What bounds the work:

- `concurrency`: conversations in flight at once (each may make several model requests);
- the relay's `max_concurrency`: model requests in flight at once through one relay, whoever sends
  them (`ak.Relay(max_concurrency=100)`, as relays document);
- `rate_limit`: model requests per minute through each relay the batch uses (applied to the relay
  for the batch's duration, see `Relay.rate_limit`), spaced evenly so a relay's per-minute limit
  is not hit in bursts.

Failures stay per input: the relay's own retries come first (`Relay.max_retries`), then a
conversation that still ended in a retryable error (429, 5xx, dropped connection) is run again from
the start up to `retries` times; whatever is left is that input's entry in the result (an
exception), and the batch goes on. With `cache=` (a JSONL file), every finished conversation is
appended as it completes, and a re-run skips the inputs found there (same input, same model) and
returns their stored replies: an interrupted batch resumes where it stopped.

Spending: `result.usage` and `result.cost` total what the batch's requests cost (retries and failed
runs included); with `max_cost=` (in the relay's currency) no input starts once that much is spent,
and each input not started is an `ak.BudgetExceededError` entry (the batch returns, it does not raise).

Progress: a widget in notebooks (ipywidgets), tqdm elsewhere; `progress=False` for none. Both show
the cost so far.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import hashlib
import inspect
import json
import os
import sys
import threading
import time
import types
import warnings
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentkit._api import checked_class, quoted, refuse_unknown
from agentkit.cost import Cost, Spend, Spending, as_limit
from agentkit.errors import BudgetExceededError, ConfigurationError
from agentkit.messages import Usage

if TYPE_CHECKING:
    from agentkit.agent import Agent
    from agentkit.relay import Relay
    from agentkit.reply import Reply

__all__ = ["BatchResult", "abatch", "batch"]

#: What an input may be: a prompt, or the keyword arguments of `agent.arun` (`prompt`, `images`, `output`, options).
Input = str | Mapping[str, Any]

_CACHE_VERSION = 1


@checked_class("BatchResult", "results")
class BatchResult(list[Any], Spending):
    """One entry per input, in input order: its `ak.Reply`, or the exception it ended with.

    Attributes:
        errors: `{index: exception}` for the inputs that failed.
        cached: How many entries came from the cache file rather than from new runs.
        elapsed: Seconds the batch took.
        usage: The tokens of every request the batch made (retries and failed runs included).
        cost: What those requests cost (`ak.Cost`), or None when a model has no price. Replies read
            from the cache file cost nothing again.
    """

    def __init__(self, entries: Iterable[Any] = (), *, cached: int = 0, elapsed: float = 0.0,
                 spend: Spend | None = None) -> None:
        super().__init__(entries)
        self.cached = cached
        self.elapsed = elapsed
        self._spend = spend if spend is not None else Spend()

    @property
    def errors(self) -> dict[int, BaseException]:
        return {i: entry for i, entry in enumerate(self) if isinstance(entry, BaseException)}

    @property
    def replies(self) -> list[Reply]:
        """The successful replies, in input order (failed inputs left out)."""
        return [entry for entry in self if not isinstance(entry, BaseException)]

    @property
    def ok(self) -> bool:
        """Whether every input got a reply."""
        return not any(isinstance(entry, BaseException) for entry in self)

    @property
    def texts(self) -> list[str | None]:
        """Each input's answer text (None where it failed)."""
        return [None if isinstance(entry, BaseException) else entry.text for entry in self]

    @property
    def outputs(self) -> list[Any]:
        """Each input's structured output (None where it failed or asked for none)."""
        return [None if isinstance(entry, BaseException) else entry.output for entry in self]

    def raise_errors(self) -> BatchResult:
        """Raise the first input's error, if any failed (noting how many did); else return self."""
        errors = self.errors
        if errors:
            index, first = next(iter(errors.items()))
            note = f"Input {index} of {len(self)} failed ({len(errors)} failed in all)."
            with contextlib.suppress(AttributeError):
                first.add_note(note)
            raise first
        return self

    def __repr__(self) -> str:
        failed = sum(isinstance(entry, BaseException) for entry in self)
        cost = f", {self.cost}" if self._spend.requests and self.cost is not None else ""
        return (f"BatchResult({len(self)} inputs: {len(self) - failed} replies, {failed} errors, "
                f"{self.cached} from the cache, {self.elapsed:.1f} s{cost})")


@refuse_unknown("`ak.batch(...)`")
def batch(
    agent: Any,
    inputs: Iterable[Input],
    *,
    concurrency: int = 16,
    rate_limit: float | None = None,
    retries: int = 2,
    cache: str | os.PathLike[str] | None = None,
    progress: bool | str = "auto",
    max_cost: float | Decimal | None = None,
) -> BatchResult:
    """Run one independent conversation per input, `concurrency` at a time; results in input order.

    Args:
        agent: An `ak.Agent` used as a template (each input gets its own copy), or a factory
            returning a new agent: called with no arguments, or with the input if it takes one.
        inputs: Prompts, or dicts of `agent.arun` arguments (`{"prompt": ..., "images": [...],
            "files": ["report.pdf"], "output": Model, "temperature": 0}`).
        concurrency: Conversations in flight at once.
        rate_limit: Model requests per minute through each relay used (None: the relay's own setting).
        retries: Reruns of a conversation that ended in a retryable error (after the relay's retries).
        cache: A JSONL file: finished conversations are appended as they complete, and inputs already
            there (same input and model) are not run again; their stored replies are returned.
        progress: `"auto"`/True: a widget in notebooks, tqdm elsewhere; False: none.
        max_cost: The most the batch may spend, in the relay's currency: once its requests have cost
            that much, no input starts (those not started are `ak.BudgetExceededError` entries);
            runs already going finish.

    Returns:
        A `BatchResult`: a list with each input's `ak.Reply` or the exception it ended with, plus
        `.errors`, `.replies`, `.texts`, `.outputs`, `.raise_errors()`, `.usage`, `.cost`.

    Works in scripts and in notebooks (where it runs on agentkit's background loop and updates the
    progress widget from the cell's thread).
    """
    from agentkit import _aio

    plan = _Plan.make(agent, inputs, concurrency=concurrency, rate_limit=rate_limit, retries=retries, cache=cache,
                      max_cost=max_cost)
    bar = _progress(progress, plan)
    if isinstance(bar, _WidgetBar) and _aio.in_running_loop():
        # A notebook cell: the batch runs on the background loop; the widget is redrawn from this thread.
        widget = bar

        def redraw() -> float:
            widget.render()
            return 0.1

        try:
            return _aio.run_sync(lambda: plan.run(None), idle=redraw)
        finally:
            widget.render()
    return _aio.run_sync(lambda: plan.run(bar))


@refuse_unknown("`ak.abatch(...)`")
async def abatch(
    agent: Any,
    inputs: Iterable[Input],
    *,
    concurrency: int = 16,
    rate_limit: float | None = None,
    retries: int = 2,
    cache: str | os.PathLike[str] | None = None,
    progress: bool | str = "auto",
    max_cost: float | Decimal | None = None,
) -> BatchResult:
    """The async twin of `batch` (same arguments and result)."""
    plan = _Plan.make(agent, inputs, concurrency=concurrency, rate_limit=rate_limit, retries=retries, cache=cache,
                      max_cost=max_cost)
    return await plan.run(_progress(progress, plan))


# ---------------------------------------------------------------------------------------- the plan


class _Plan:
    """A checked batch: the inputs, where each one's agent comes from, and what is already cached."""

    def __init__(self, make_agent: Callable[[Any], Agent], inputs: list[Input], *, concurrency: int,
                 rate_limit: float | None, retries: int, cache: _Cache | None,
                 max_cost: Decimal | None = None) -> None:
        self.make_agent = make_agent
        self.max_cost = max_cost
        self.spend = Spend()
        self.inputs = inputs
        self.concurrency = concurrency
        self.rate_limit = rate_limit
        self.retries = retries
        self.cache = cache
        self.done = 0
        self.failed = 0
        self.cached = 0
        self.started = time.monotonic()

    @classmethod
    def make(cls, agent: Any, inputs: Iterable[Input], *, concurrency: int, rate_limit: float | None,
             retries: int, cache: str | os.PathLike[str] | None, max_cost: float | Decimal | None = None) -> _Plan:
        if isinstance(inputs, (str, bytes, Mapping)):
            raise ConfigurationError(
                f"`inputs` must be a list of prompts (or of `arun` argument dicts), not one {type(inputs).__name__}; "
                "wrap a single input in a list."
            )
        if not isinstance(inputs, Iterable):
            raise ConfigurationError(
                f"`inputs` must be a list of prompts (or of `arun` argument dicts); got {type(inputs).__name__} "
                f"{inputs!r:.80}."
            )
        items = list(inputs)
        for index, item in enumerate(items):
            if not isinstance(item, (str, Mapping)):
                raise ConfigurationError(
                    f"Input {index} is {type(item).__name__} {item!r:.80}; each input must be a prompt (str) "
                    "or a dict of `agent.arun` arguments such as `{'prompt': ..., 'images': [...]}`."
                )
            for name in item if isinstance(item, Mapping) else ():
                if not isinstance(name, str):
                    raise ConfigurationError(
                        f"Input {index} has the key {name!r} ({type(name).__name__}); the keys of an input dict are "
                        "`agent.arun` argument names such as 'prompt', 'images' and 'output'."
                    )
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigurationError(f"`concurrency` must be an int of at least 1; got {concurrency!r}.")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ConfigurationError(f"`retries` must be an int of at least 0; got {retries!r}.")
        if rate_limit is not None:
            from agentkit._ratelimit import RateLimit

            RateLimit(rate_limit)  # checks the value now, before any request
        if cache is not None and not isinstance(cache, (str, os.PathLike)):
            raise ConfigurationError(
                f"`cache` must be a file path (str or pathlib.Path) such as 'runs.jsonl'; got {type(cache).__name__} "
                f"{cache!r:.80}."
            )
        limit = as_limit(max_cost)
        from agentkit.agent import Agent

        if limit is not None and isinstance(agent, Agent):
            agent._check_priced(limit)  # a template's model is known now: say so before any input starts
        return cls(_agent_source(agent), items, concurrency=concurrency, rate_limit=rate_limit,
                   retries=retries, cache=_Cache(Path(cache)) if cache is not None else None, max_cost=limit)

    async def run(self, bar: _Bar | None) -> BatchResult:
        self.started = time.monotonic()
        results: list[Any] = [None] * len(self.inputs)
        pending: list[int] = []
        for index, item in enumerate(self.inputs):
            stored = self.cache.lookup(item, self.make_agent) if self.cache is not None else None
            if stored is not None:
                results[index] = stored
                self.cached += 1
                self.done += 1
            else:
                pending.append(index)
        if bar is not None:
            bar.update()
        limits = _RateLimits(self.rate_limit)
        queue = iter(pending)

        async def worker() -> None:
            for index in queue:  # a shared iterator: no await between taking and starting an input
                outcome = await self._one(index, limits)
                results[index] = outcome
                self.done += 1
                if isinstance(outcome, BaseException):
                    self.failed += 1
                if bar is not None:
                    bar.update()

        try:
            workers = [asyncio.ensure_future(worker()) for _ in range(min(self.concurrency, len(pending)))]
            try:
                await asyncio.gather(*workers)
            finally:
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
        finally:
            limits.restore()
            if self.cache is not None:
                self.cache.close()
            if bar is not None:
                bar.update(final=True)
                bar.close()
        return BatchResult(results, cached=self.cached, elapsed=time.monotonic() - self.started, spend=self.spend)

    async def _one(self, index: int, limits: _RateLimits) -> Any:
        item = self.inputs[index]
        kwargs = {"prompt": item} if isinstance(item, str) else dict(item)
        attempt = 0
        while True:
            agent: Agent | None = None
            stopped = self._over_budget(index)
            if stopped is not None:
                return stopped
            before = 0
            try:
                agent = self.make_agent(item)  # a fresh conversation for every attempt
                if self.max_cost is not None:
                    agent._check_priced(self.max_cost)
                before = agent._spend.requests
                limits.apply(agent.relay)
                reply = await agent.arun(**kwargs)
            except Exception as exc:
                if agent is not None:
                    self.spend.extend(agent._spend, start=before)
                if attempt < self.retries and getattr(exc, "retryable", False) and agent is not None:
                    attempt += 1
                    await asyncio.sleep(agent.relay.retry_policy.backoff(attempt))
                    continue
                return exc
            self.spend.extend(agent._spend, start=before)
            if self.cache is not None:
                self.cache.store(item, agent, reply, index)
            return reply

    def cost_shown(self) -> str:
        """The cost so far for the progress bar ("" before any request, or when a model has no price)."""
        if not self.spend.requests:
            return ""
        cost = self.spend.cost
        return "" if cost is None else str(cost)

    def _over_budget(self, index: int) -> BudgetExceededError | None:
        """The entry of an input not started because the batch has spent its `max_cost`, else None."""
        if self.max_cost is None:
            return None
        spent = self.spend.cost
        if spent is None or spent.amount < self.max_cost:
            return None
        return BudgetExceededError(
            f"Input {index} was not started: the batch had spent {spent} ({spent.amount} {spent.currency}), "
            f"reaching `max_cost={self.max_cost}`. Run the inputs left again with a larger `max_cost=` "
            "(with `cache=` a file, the finished ones are not run again).",
            spent=spent,
            max_cost=self.max_cost,
        )


def _agent_source(agent: Any) -> Callable[[Any], Agent]:
    """A function from an input to the agent that runs it (a copy of a template, or a factory's)."""
    from agentkit.agent import Agent

    if isinstance(agent, Agent):
        template = agent

        def fresh(_item: Any) -> Agent:
            clone = copy.copy(template)
            clone.history = list(template.history)
            clone._lock = threading.Lock()
            clone._spend = Spend()  # each input's spend is its own; the batch adds them up
            clone.display = False  # the batch shows one progress bar, not a live view per input
            return clone

        return fresh
    if not callable(agent):
        raise ConfigurationError(
            f"`batch` needs an `ak.Agent` or a function returning one; got {type(agent).__name__} {agent!r:.80}."
        )
    try:
        takes_input = any(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
            for p in inspect.signature(agent).parameters.values()
        )
    except (TypeError, ValueError):  # a builtin or C callable: assume it takes the input
        takes_input = True

    def from_factory(item: Any) -> Agent:
        made = agent(item) if takes_input else agent()
        if not isinstance(made, Agent):
            raise ConfigurationError(
                f"The agent factory returned {type(made).__name__} {made!r:.80}, not an `ak.Agent`; "
                "return `ak.Agent(...)` from it."
            )
        made.display = False
        return made

    return from_factory


class _RateLimits:
    """Applies the batch's `rate_limit` to each relay it meets, and puts the relays back afterwards."""

    def __init__(self, rate_limit: float | None) -> None:
        self.rate_limit = rate_limit
        self._before: dict[int, tuple[Relay, float | None]] = {}

    def apply(self, relay: Relay) -> None:
        if self.rate_limit is None or id(relay) in self._before:
            return
        self._before[id(relay)] = (relay, relay.rate_limit)
        if relay.rate_limit is None or relay.rate_limit > self.rate_limit:
            relay.rate_limit = self.rate_limit

    def restore(self) -> None:
        for relay, before in self._before.values():
            relay.rate_limit = before
        self._before.clear()


# ------------------------------------------------------------------------------------------- cache


class _Cache:
    """The JSONL file of finished conversations: one `{"key", "index", "reply"}` record per line.

    A run killed while writing leaves its last line cut short; the file is repaired when it is
    opened again (the torn tail is cut off, so the next record starts a line of its own), and any
    other line that is not a whole record is skipped. Both are reported with `warnings.warn`
    (a UserWarning: a notebook shows it under the cell), naming the file and the lines, never their
    content; the inputs whose records were lost simply run again.
    """

    def __init__(self, path: Path) -> None:
        self._file: Any = None
        self.path = path
        self.records: dict[str, dict[str, Any]] = {}
        self._warned_write = False
        shown = quoted(path)
        if "\0" in str(path):
            raise ConfigurationError(
                f"`cache={shown}` contains a NUL character, so it cannot be a file path; pass one such as 'runs.jsonl'."
            )
        try:
            if path.is_dir():
                raise ConfigurationError(f"`cache={shown}` is a directory; pass a file path such as 'runs.jsonl'.")
            if path.exists() and not path.is_file():  # reading /dev/zero or a pipe would never end
                raise ConfigurationError(
                    f"`cache={shown}` is not a regular file (it is a device, pipe or socket); pass a file path "
                    "such as 'runs.jsonl'."
                )
            data = path.read_bytes() if path.exists() else b""
        except OSError as exc:
            raise ConfigurationError(
                f"The cache file {shown} cannot be read ({exc.strerror or type(exc).__name__}); check its "
                "permissions, or pass another path."
            ) from None
        tail = self._load(data)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("ab")
            if tail is not None:
                self._repair(data, tail)
        except OSError as exc:
            raise ConfigurationError(
                f"The cache file {shown} cannot be created or written ({exc.strerror or type(exc).__name__}"
                f"{f': {exc.filename!r}' if exc.filename else ''}); pass a path in a folder you can write to."
            ) from None

    def _load(self, data: bytes) -> bytes | None:
        """Read the records in `data`; return the last line when it has no newline (else None)."""
        lines = data.split(b"\n")
        tail = lines.pop()  # b"" when the file ends with a newline, as every complete write does
        damaged: list[int] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            record = _record(line)
            if record is None:
                damaged.append(number)
            else:
                self.records[record["key"]] = record
        if damaged:
            one = len(damaged) == 1
            _warn(
                f"{_numbered(damaged)} of the cache file {quoted(self.path)} "
                f"{'is not a whole record' if one else 'are not whole records'} (damaged or edited), so "
                f"{'it was' if one else 'they were'} skipped; the inputs whose records were lost run again. "
                "Delete the file to start afresh."
            )
        return tail if tail else None

    def _repair(self, data: bytes, tail: bytes) -> None:
        """Finish a last line that has no newline: keep it if it is a whole record, else cut it off."""
        record = _record(tail)
        if record is not None:  # written whole; only its newline is missing
            self.records[record["key"]] = record
            self._file.write(b"\n")
            self._file.flush()
            return
        self._file.truncate(len(data) - len(tail))  # `ab` writes at the end, wherever that now is
        _warn(
            f"The cache file {quoted(self.path)} ends with a line cut short ({len(tail):,} bytes without a "
            "newline), as a batch killed while writing leaves it; that line was removed, and the input it held "
            "(if any) runs again."
        )

    def key(self, item: Input, agent: Agent) -> str:
        data = {"input": item, "model": agent.model, "system": agent.system, "v": _CACHE_VERSION}
        text = json.dumps(data, sort_keys=True, default=_key_default, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def lookup(self, item: Input, make_agent: Callable[[Any], Agent]) -> Reply | None:
        if not self.records:
            return None
        try:
            agent = make_agent(item)
        except Exception:  # the input runs, and its factory's error becomes its result there
            return None
        try:
            record = self.records.get(self.key(item, agent))
        except (TypeError, ValueError):  # an input JSON cannot key (`store` says so when it finishes)
            return None
        if record is None:
            return None
        output_type = item.get("output") if isinstance(item, Mapping) else None
        try:
            return _reply_from_json(record["reply"], output_type if output_type is not None else agent.output)
        except Exception as exc:  # a record from another version, or edited by hand
            _warn(
                f"A record of the cache file {quoted(self.path)} (input {record.get('index')!r}) cannot be "
                f"read back as a reply ({type(exc).__name__}), so its input runs again."
            )
            return None

    def store(self, item: Input, agent: Agent, reply: Reply, index: int) -> None:
        try:
            record = {"key": self.key(item, agent), "index": index, "reply": _reply_to_json(reply)}
            line = (json.dumps(record, ensure_ascii=False, default=repr) + "\n").encode()
        except (TypeError, ValueError) as exc:  # JSON cannot hold it (a nested dict mixing key types, ...)
            _warn(
                f"The reply to input {index} could not be written to the cache file {quoted(self.path)} "
                f"({type(exc).__name__}: {exc}); the batch goes on, and that input will run again next time."
            )
            return
        if self._file is None:
            return
        try:
            self._file.write(line)  # one write per record: an interruption tears at most the last line
            self._file.flush()  # written as each input finishes: an interrupted batch keeps its work
        except OSError as exc:  # disk full, file system gone: the batch's replies matter more
            if not self._warned_write:
                self._warned_write = True
                _warn(
                    f"Writing to the cache file {quoted(self.path)} failed ({exc.strerror or type(exc).__name__}); "
                    "the batch goes on without caching, and the inputs not written will run again next time."
                )

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(Exception):
                self._file.close()
            self._file = None

    def __del__(self) -> None:
        self.close()


def _record(line: bytes) -> dict[str, Any] | None:
    """The cache record a line holds, or None when it is not one (torn, damaged, not UTF-8, edited)."""
    try:
        record = json.loads(line.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are both ValueErrors
        return None
    if isinstance(record, dict) and isinstance(record.get("key"), str) and isinstance(record.get("reply"), dict):
        return record
    return None


def _numbered(numbers: list[int]) -> str:
    """`Line 3`, `Lines 2, 3 and 4`, `Lines 2, 3, 4, 5, 6 and 12 more`."""
    if len(numbers) == 1:
        return f"Line {numbers[0]}"
    shown = [str(n) for n in numbers[:5]]
    if len(numbers) > 5:
        return f"Lines {', '.join(shown)} and {len(numbers) - 5} more"
    return f"Lines {', '.join(shown[:-1])} and {shown[-1]}"


def _warn(message: str) -> None:
    """`warnings.warn` pointing at the user's line (the first frame outside agentkit)."""
    level = 2  # 1 is this function; 2 its caller, the frame below
    frame = sys._getframe(1)
    while frame is not None and (frame.f_globals.get("__name__") or "").partition(".")[0] == "agentkit":
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, UserWarning, stacklevel=level)


def _key_default(value: Any) -> Any:
    """Stable stand-ins for what JSON cannot hold in an input (images, types)."""
    if isinstance(value, (bytes, bytearray)):
        return "sha256:" + hashlib.sha256(value).hexdigest()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    data = getattr(value, "data", None)  # ak.Image
    if isinstance(data, bytes):
        return "sha256:" + hashlib.sha256(data).hexdigest()
    tobytes = getattr(value, "tobytes", None)  # PIL.Image.Image
    if callable(tobytes):
        return "sha256:" + hashlib.sha256(tobytes()).hexdigest()
    return repr(value)


def _jsonable(value: Any) -> Any:
    """A JSON form of a tool result or structured output (pydantic, dataclasses), else its repr."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        pass
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    try:
        import pydantic

        return pydantic.TypeAdapter(type(value)).dump_python(value, mode="json")
    except Exception:
        return repr(value)


def _reply_to_json(reply: Reply) -> dict[str, Any]:
    from agentkit.history import to_dialect

    try:
        messages: Any = to_dialect(reply.dialect, reply.messages)
    except Exception:  # content the dialect cannot carry: the reply is kept without its messages
        messages = None
    return {
        "text": reply.text,
        "model": reply.model,
        "dialect": reply.dialect,
        "usage": dataclasses.asdict(reply.usage),
        "cost": None if reply.cost is None else {"amount": str(reply.cost.amount), "currency": reply.cost.currency},
        "tool_calls": [
            {"id": c.id, "name": c.name, "arguments": c.arguments, "result": _jsonable(c.result),
             "error": c.error, "duration": c.duration}
            for c in reply.tool_calls
        ],
        "reasoning": reply.reasoning,
        "output": _jsonable(reply.output),
        "turns": reply.turns,
        "elapsed": reply.elapsed,
        "messages": messages,
    }


def _reply_from_json(data: dict[str, Any], output_type: Any) -> Reply:
    from agentkit.history import from_dialect
    from agentkit.reply import Reply, ToolCall

    usage = Usage(**data.get("usage") or {})
    spend = Spend()
    cost: Any = data.get("cost")
    with contextlib.suppress(Exception):  # a record from before costs were stored has none
        spend.add_cost(Cost(Decimal(cost["amount"]), cost["currency"]), usage)
    output = data.get("output")
    if output is not None and output_type is not None and not isinstance(output_type, dict):
        try:
            import pydantic

            output = pydantic.TypeAdapter(output_type).validate_python(output)
        except Exception:
            pass  # kept as JSON when the type changed since it was stored
    messages = []
    if data.get("messages") is not None:
        with contextlib.suppress(Exception):
            messages = from_dialect(data["dialect"], data["messages"])
    return Reply(
        text=data["text"],
        model=data["model"],
        dialect=data["dialect"],
        usage=usage,
        tool_calls=[ToolCall(**call) for call in data.get("tool_calls") or ()],
        reasoning=data.get("reasoning"),
        output=output,
        messages=messages,
        turns=data.get("turns", 0),
        elapsed=data.get("elapsed", 0.0),
        spend=spend,
    )


# ---------------------------------------------------------------------------------------- progress


class _Bar:
    """Progress over a plan's counters; `update()` after each finished input."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan

    def update(self, *, final: bool = False) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def summary(self) -> str:
        plan = self.plan
        parts = [f"{plan.done}/{len(plan.inputs)}"]
        if plan.failed:
            parts.append(f"{plan.failed} failed")
        if plan.cached:
            parts.append(f"{plan.cached} from the cache")
        cost = plan.cost_shown()
        if cost:
            parts.append(cost)
        return " · ".join(parts)


class _TqdmBar(_Bar):
    def __init__(self, plan: _Plan) -> None:
        super().__init__(plan)
        from tqdm import tqdm

        self._bar = tqdm(total=len(plan.inputs), desc="agentkit batch", unit="run", dynamic_ncols=True)
        self._shown = 0
        self._postfix: dict[str, Any] = {}

    def update(self, *, final: bool = False) -> None:
        done = self.plan.done
        if done > self._shown:
            self._bar.update(done - self._shown)
            self._shown = done
        shown: dict[str, Any] = {"failed": self.plan.failed} if self.plan.failed else {}
        cost = self.plan.cost_shown()
        if cost:
            shown["cost"] = cost
        if shown != self._postfix:
            self._postfix = shown
            self._bar.set_postfix(shown, refresh=False)

    def close(self) -> None:
        self._bar.close()


class _WidgetBar(_Bar):
    """An ipywidgets progress bar and a line of counts; `render()` from the thread that owns the widgets."""

    def __init__(self, plan: _Plan) -> None:
        super().__init__(plan)
        import ipywidgets
        from IPython.display import display

        self._progress = ipywidgets.IntProgress(value=0, min=0, max=max(1, len(plan.inputs)),
                                                description="batch", bar_style="info")
        self._label = ipywidgets.HTML(value="")
        self._box = ipywidgets.HBox([self._progress, self._label])
        self._box.add_class("agentkit-batch")
        self._drawn = 0.0
        display(self._box)
        self.render()

    def update(self, *, final: bool = False) -> None:
        """Redraw, at most ten times a second (each redraw is a message to the browser)."""
        now = time.monotonic()
        if final or now - self._drawn >= 0.1:
            self.render()

    def render(self) -> None:
        self._drawn = time.monotonic()
        plan = self.plan
        self._progress.value = plan.done
        elapsed = time.monotonic() - plan.started
        fresh = plan.done - plan.cached
        rate = f" · {fresh / elapsed:.1f}/s" if elapsed > 0 and fresh else ""
        self._label.value = f"<span class='agentkit-batch-label'>{self.summary()}{rate}</span>"
        if plan.done >= len(plan.inputs):
            self._progress.bar_style = "warning" if plan.failed else "success"


class _NoBar(_Bar):
    def update(self, *, final: bool = False) -> None:
        pass


def _progress(progress: bool | str, plan: _Plan) -> _Bar | None:
    if progress is False or progress is None:
        return None
    if progress not in (True, "auto"):
        raise ConfigurationError(f"`progress` must be True, False or \"auto\"; got {progress!r}.")
    from agentkit.display import in_notebook

    if in_notebook():
        try:
            return _WidgetBar(plan)
        except ImportError:
            pass
    try:
        return _TqdmBar(plan)
    except ImportError:  # tqdm is a dependency; a stripped environment still runs the batch
        return _NoBar(plan)



class _CallableModule(types.ModuleType):
    """`ak.batch(...)` works even when `agentkit.batch` names this module.

    Importing the submodule (`from agentkit.batch import BatchResult`) makes Python set the
    package attribute `agentkit.batch` to the module, shadowing the lazily exported function of
    the same name; calling the module then calls the function.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> BatchResult:
        return batch(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
