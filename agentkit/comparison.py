"""`ak.compare` / `ak.acompare`: the same task on several models at once, side by side.

    table = ak.compare(["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"], "Plan a day in Rome",
                       tools=[get_weather], relay=relay)
    table["gpt-4o"]        # its ak.Reply, or the exception its run ended with
    table.errors           # {model: exception}
    table.to_pandas()      # one row per model: text, tool calls, turns, tokens, cost, seconds, error

Each model gets its own `ak.Agent` (same tools, system prompt, output type and options), and all
runs start at once on one event loop. What bounds them is the relay's own limit on requests in
flight (`ak.Relay(max_concurrency=...)`, and its `rate_limit`), which every agent's request takes,
as in `ak.batch`: nothing here adds a second limit. One model failing (a 404 for its name, a 5xx,
a tool loop past `max_turns`) is that model's entry in the table; the others go on.

In a notebook the runs stream into a side-by-side live view (`agentkit.display.side_by_side`: a
column per model, each the usual live view); elsewhere nothing is shown while they run, and the
table prints as text.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from agentkit._api import checked_class
from agentkit.errors import AgentkitError, ConfigurationError

if TYPE_CHECKING:
    from agentkit.display.side_by_side import SideBySide
    from agentkit.relay import Relay
    from agentkit.reply import Reply

__all__ = ["CompareTable", "UnknownModelError", "acompare", "compare"]

_COLUMNS = ("text", "tool_calls", "turns", "input_tokens", "output_tokens", "tokens", "cost", "currency", "seconds",
            "error")


class UnknownModelError(ConfigurationError, KeyError):
    """`table[model]` for a model the comparison did not run."""

    def __str__(self) -> str:  # KeyError would show the message's repr
        return str(self.args[0]) if self.args else ""


@checked_class("ak.CompareTable", "table")
class CompareTable(Mapping[str, Any]):
    """The outcome of `ak.compare`: per model (in the order given) its `ak.Reply` or the exception it ended with.

    Attributes:
        prompt: The prompt every model was given.
        seconds: `{model: seconds}` each run took (failed ones too).
    """

    def __init__(self, prompt: str, results: Mapping[str, Any], seconds: Mapping[str, float]) -> None:
        self.prompt = prompt
        self._results = dict(results)
        self.seconds = dict(seconds)

    def __getitem__(self, model: str) -> Any:
        try:
            return self._results[model]
        except KeyError:
            raise UnknownModelError(
                f"{model!r} was not one of the models compared ({', '.join(map(repr, self._results))}); "
                "index the table by one of those."
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)

    @property
    def errors(self) -> dict[str, BaseException]:
        """`{model: exception}` for the runs that failed."""
        return {m: r for m, r in self._results.items() if isinstance(r, BaseException)}

    @property
    def replies(self) -> dict[str, Reply]:
        """`{model: ak.Reply}` for the runs that answered."""
        return {m: r for m, r in self._results.items() if not isinstance(r, BaseException)}

    def rows(self) -> list[dict[str, Any]]:
        """One dict per model: `model` and the columns of `to_pandas()`."""
        rows = []
        for model, result in self._results.items():
            row: dict[str, Any] = {"model": model, **dict.fromkeys(_COLUMNS)}
            row["seconds"] = self.seconds.get(model)
            if isinstance(result, BaseException):
                row["error"] = f"{type(result).__name__}: {result}"
            else:
                usage = result.usage
                cost = result.cost
                row.update(text=result.text, tool_calls=len(result.tool_calls), turns=result.turns,
                           input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                           tokens=usage.total_tokens, cost=None if cost is None else cost.amount,
                           currency=None if cost is None else cost.currency)
            rows.append(row)
        return rows

    def to_pandas(self) -> Any:
        """A `pandas.DataFrame` indexed by model: text, tool_calls, turns, tokens, cost, seconds, error.

        `cost` is the exact `Decimal` amount in `currency` (None where the model has no price).

        pandas is optional: imported here only, and a clear error says how to install it.
        """
        try:
            import pandas
        except ImportError:
            raise ConfigurationError(
                "`table.to_pandas()` needs pandas, which is not installed; `pip install pandas`, or use "
                "`table.rows()` (a list of dicts) instead."
            ) from None
        frame = pandas.DataFrame(self.rows(), columns=["model", *_COLUMNS]).set_index("model")
        return frame.convert_dtypes()  # counts stay integers where a failed model has none

    def __repr__(self) -> str:
        from agentkit.display.table import table_text

        return table_text(self.rows(), title=_title(self))

    def _repr_html_(self) -> str:
        from agentkit.display.table import table_html

        return table_html(self.rows(), title=_title(self))


# ---------------------------------------------------------------------------------------------- entry points


def compare(models: Iterable[str], prompt: str, *, tools: Iterable[Any] = (), output: Any = None,
            relay: Relay | None = None, images: Any = (), files: Any = None, system: str | None = None,
            display: bool | str = "auto", **options: Any) -> CompareTable:
    """Run `prompt` on each model at once; return a `CompareTable` (one model failing never stops the others).

    Args:
        models: Model names as for `ak.Agent` (`"dialect:model"` forces a dialect); each at most once.
        prompt: The task, the same for every model.
        tools: Tools every model may call (as for `ak.Agent`).
        output: A structured output type every model answers with (as for `ak.Agent`).
        relay: The relay (default `ak.Relay.from_env()`); its `max_concurrency` and `rate_limit` bound the runs.
        images: Images sent with the prompt (as for `agent(...)`).
        files: Files sent with the prompt to every model (as `agent(..., files=)` takes them).
        system: The system prompt.
        display: `"auto"`: a side-by-side live view in notebooks, nothing elsewhere; False: never.
        **options: Model options for every model (`temperature=0`, `max_tokens=`, `reasoning=`, ...).

    Works in scripts and inside a notebook's running loop; `await ak.acompare(...)` is the async twin.
    """
    from agentkit import _aio
    from agentkit._api import trim

    try:
        run = _Comparison.make(models, prompt, tools=tools, output=output, relay=relay, images=images,
                               files=files, system=system, options=options)
        view = run.open_view(display)
        if view is None:
            return _aio.run_sync(run.collect)
        try:
            for model, item in _aio.iterate(run.events, idle=view.idle):
                _show(view, model, item)
        except BaseException as exc:
            view.stop(exc)
            raise
        table = run.table()
        view.finish(table)
        return table
    except AgentkitError as exc:
        raise trim(exc)  # noqa: B904 - frames below trimmed; AGENTKIT_FULL_TRACEBACKS=1 keeps them


async def acompare(models: Iterable[str], prompt: str, *, tools: Iterable[Any] = (), output: Any = None,
                   relay: Relay | None = None, images: Any = (), files: Any = None, system: str | None = None,
                   display: bool | str = "auto", **options: Any) -> CompareTable:
    """The async twin of `compare` (same arguments and result)."""
    from agentkit._api import trim

    try:
        run = _Comparison.make(models, prompt, tools=tools, output=output, relay=relay, images=images,
                               files=files, system=system, options=options)
        view = run.open_view(display)
        if view is None:
            return await run.collect()
        ticking = asyncio.ensure_future(view.tick_forever())
        try:
            async with contextlib.aclosing(run.events()) as events:
                async for model, item in events:
                    _show(view, model, item)
        except BaseException as exc:
            view.stop(exc)
            raise
        finally:
            ticking.cancel()
        table = run.table()
        view.finish(table)
        return table
    except AgentkitError as exc:
        raise trim(exc)  # noqa: B904 - frames below trimmed; AGENTKIT_FULL_TRACEBACKS=1 keeps them


# ---------------------------------------------------------------------------------------------- the runs


class Ended:
    """The last item of a model's run in `_Comparison.events`: its reply, or the exception it ended with."""

    __slots__ = ("outcome",)

    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome


class _Comparison:
    """Checked arguments, one agent per model (or the error making it raised), and the outcomes so far."""

    def __init__(self, prompt: str, agents: dict[str, Any], run_kwargs: dict[str, Any]) -> None:
        self.prompt = prompt
        self.agents = agents
        self.run_kwargs = run_kwargs
        self.results: dict[str, Any] = {}
        self.seconds: dict[str, float] = {}

    @classmethod
    def make(cls, models: Iterable[str], prompt: str, *, tools: Iterable[Any], output: Any, relay: Relay | None,
             images: Any, files: Any, system: str | None, options: dict[str, Any]) -> _Comparison:
        from agentkit._api import as_list
        from agentkit.agent import Agent, _as_tools
        from agentkit.relay import Relay

        names = _model_names(models)
        if not isinstance(prompt, str):
            raise ConfigurationError(
                f"The prompt must be a str, the task every model is given; got {type(prompt).__name__} {prompt!r:.80}."
            )
        run_kwargs: dict[str, Any] = {"images": as_list(images)}
        if files is not None:
            from agentkit.files import attachments

            # Read and typed once for every model (a missing file is one error, raised now).
            run_kwargs["files"] = attachments(files)
        shared_tools = _as_tools(as_list(tools))  # a bad tool is the caller's mistake: raised now, once
        relay = relay if relay is not None else Relay.from_env()
        agents: dict[str, Any] = {}
        for name in names:
            try:
                agents[name] = Agent(name, tools=shared_tools, output=output, relay=relay, system=system,
                                     display=False, **options)
            except AgentkitError as exc:
                agents[name] = exc
        made = [a for a in agents.values() if not isinstance(a, BaseException)]
        if not made:  # nothing to compare: the same mistake for every model (an option, `output=`) is raised
            raise next(iter(agents.values()))
        return cls(prompt, agents, run_kwargs)

    def open_view(self, display: bool | str) -> SideBySide | None:
        from agentkit.display import resolve

        if not resolve(display):
            return None
        from agentkit.display.side_by_side import SideBySide

        view = SideBySide(self.prompt, self.agents)
        view.show()
        return view

    async def events(self) -> AsyncGenerator[tuple[str, Any], None]:
        """`(model, event)` from every run as they come, each run ending with `(model, Ended(outcome))`."""
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        async def one(model: str, agent: Any) -> None:
            started = time.perf_counter()
            outcome: Any
            if isinstance(agent, BaseException):
                outcome = agent
            else:
                try:
                    stream = agent.astream(self.prompt, **self.run_kwargs)
                    async for event in stream:
                        await queue.put((model, event))
                    outcome = stream.reply
                except Exception as exc:  # that model's outcome; the others go on
                    outcome = exc
            self.seconds[model] = time.perf_counter() - started
            self.results[model] = outcome
            await queue.put((model, Ended(outcome)))

        tasks = [asyncio.ensure_future(one(m, a)) for m, a in self.agents.items()]
        try:
            running = len(tasks)
            while running:
                item = await queue.get()
                if isinstance(item[1], Ended):
                    running -= 1
                yield item
        finally:  # left early (Ctrl-C, an error showing an event): stop every run; each repairs its history
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def collect(self) -> CompareTable:
        async with contextlib.aclosing(self.events()) as events:
            async for _ in events:
                pass
        return self.table()

    def table(self) -> CompareTable:
        return CompareTable(self.prompt, {m: self.results[m] for m in self.agents}, self.seconds)


def _show(view: SideBySide, model: str, item: Any) -> None:
    if isinstance(item, Ended):
        view.ended(model, item.outcome)
    else:
        view.show_event(model, item)


def _model_names(models: Any) -> list[str]:
    if isinstance(models, str) or not isinstance(models, Iterable):
        raise ConfigurationError(
            f"`models` must be a list of model names, e.g. ['gpt-4o', 'claude-sonnet-4-5']; got "
            f"{type(models).__name__} {models!r:.80}."
        )
    names = list(models)
    for name in names:
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"Each model must be a non-empty name (str); got {type(name).__name__} {name!r:.80}.")
    if not names:
        raise ConfigurationError("`models` is empty; pass the model names to compare, e.g. ['gpt-4o', 'gemini-2.5-pro'].")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigurationError(
            f"The model(s) {', '.join(map(repr, twice))} appear more than once in `models`; the table has one row "
            "per model, so list each once."
        )
    return names


def _title(table: CompareTable) -> str:
    failed = len(table.errors)
    return f"ak.compare: {len(table)} models, {len(table) - failed} answered, {failed} failed"
