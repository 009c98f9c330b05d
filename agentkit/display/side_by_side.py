"""The side-by-side live view of `ak.compare`: a column per model, each the usual live view.

Nothing new is drawn here: each column is a `LiveView` (`agentkit.display.widget`) fed by a `Feed`
(`agentkit.display.live`), so a column streams the answer, shows reasoning, tool cards, tokens and
seconds exactly as a single run does. Under the columns sits the comparison table (cost included),
drawn by `agentkit.display.table` once the runs end.

As with a single run, the cell keeps a static form at the end (the columns' finished HTML and the
table), so the notebook reopens, exports and renders on GitHub with no widget state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from agentkit.display import render
from agentkit.display.live import Feed
from agentkit.display.table import format_cost, table_html
from agentkit.display.widget import LiveView

if TYPE_CHECKING:
    from agentkit.comparison import CompareTable

__all__ = ["SideBySide"]

#: Columns share the width; narrower than this they scroll sideways rather than squeeze.
_COLUMN_MIN = "300px"
_CSS = (
    ".ak-compare{display:flex;gap:12px;align-items:flex-start;overflow-x:auto}"
    ".ak-compare>.ak-compare-column{flex:1 1 0;min-width:" + _COLUMN_MIN + "}"
    ".ak-compare-cost{font-size:12px;padding:2px 4px;color:var(--ak-muted,#57606a)}"
)


class _Column:
    def __init__(self, model: str, agent: Any, prompt: str) -> None:
        self.model = model
        failed = isinstance(agent, BaseException)
        self.view = LiveView(prompt=prompt, model=model, dialect=None if failed else agent.dialect)
        self.feed = None if failed else Feed(agent, self.view, has_prompt=True)
        self.cost = w.HTML()
        self.cost.add_class("ak-compare-cost")
        self.box = w.VBox([self.view.widget, self.cost])
        self.box.add_class("ak-compare-column")
        self.box.layout = w.Layout(flex="1 1 0", min_width=_COLUMN_MIN)
        self.done = failed
        if failed:
            self.view.fail(agent)


class SideBySide:
    """The live view of a comparison: `show()`, then `show_event` / `ended` per model, `finish(table)`."""

    def __init__(self, prompt: str, agents: Mapping[str, Any]) -> None:
        self.columns = {model: _Column(model, agent, prompt) for model, agent in agents.items()}
        self._style = w.HTML(f"<style>{_CSS}</style>")
        self._row = w.HBox([c.box for c in self.columns.values()],
                           layout=w.Layout(overflow="auto", align_items="flex-start", grid_gap="12px"))
        self._row.add_class("ak-compare")
        self._table = w.HTML()
        self.widget = w.VBox([self._style, self._row, self._table])
        self.widget.add_class("ak-compare-view")
        self._handle: Any = None
        self.interval = min(c.view.interval for c in self.columns.values())

    def show(self) -> None:
        from IPython.display import display

        bundle: dict[str, Any] = dict(self.widget._repr_mimebundle_() or {})
        bundle["text/plain"] = "agentkit comparison in progress (the live view needs ipywidgets in the front end)"
        self._handle = display(bundle, raw=True, display_id=True)

    def show_event(self, model: str, event: Any) -> None:
        feed = self.columns[model].feed
        if feed is not None:
            feed.show(event)

    def ended(self, model: str, outcome: Any) -> None:
        column = self.columns[model]
        if column.done:
            return
        column.done = True
        if isinstance(outcome, BaseException):
            column.view.fail(outcome)
            return
        column.cost.value = f"cost {render.esc(format_cost(outcome.cost))}"

    def idle(self) -> float:
        """Called while a sync cell waits: push the streamed text of every column."""
        for column in self.columns.values():
            column.view.tick()
        return self.interval

    async def tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.idle()

    def stop(self, exc: BaseException) -> None:
        """The comparison itself was stopped (Ctrl-C): the runs still going show it."""
        for column in self.columns.values():
            if not column.done:
                column.done = True
                column.view.fail(exc)

    def finish(self, table: CompareTable) -> None:
        """Show the table; the cell keeps the static form (the columns' finished runs and the table)."""
        title = repr(table).splitlines()[0]
        self._table.value = summary = table_html(table.rows(), title=title, style=False)
        if self._handle is None:
            return
        columns = "".join(
            f'<div class="ak-compare-column">{render.run_html(c.view.state, style=False, live=True)}'
            f'<div class="ak-compare-cost">{c.cost.value}</div></div>'
            for c in self.columns.values()
        )
        markup = (f"{render.style_tag()}<style>{_CSS}</style><div class=\"ak-compare-view ak-final\">"
                  f'<div class="ak-compare">{columns}</div>{summary}</div>')
        self._handle.update({"text/html": markup, "text/plain": repr(table)}, raw=True)
