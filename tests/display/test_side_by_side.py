"""The side-by-side view of `ak.compare` (ipywidgets, no kernel needed): a column per model fed by its own run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import agentkit as ak
from agentkit.comparison import Ended, _Comparison
from agentkit.display.side_by_side import SideBySide
from agentkit.emulator import Fault

pytest.importorskip("ipywidgets")


@pytest.fixture(scope="module")
def relay() -> Iterator[Any]:
    with ak.emulator.serve() as relay:
        yield relay


@ak.tool
def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: City name.
    """
    return {"city": city, "temperature": 19}


async def test_each_column_shows_its_own_run_and_the_table_comes_last(relay: Any) -> None:
    relay.emulator.reset()
    relay.emulator.fault(Fault.http_error(400, "Not enabled."), count=None, model="gemini-2.5-pro")
    models = ["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"]
    run = _Comparison.make(models, "What is the weather in Lisbon?", tools=[get_weather], output=None,
                           relay=relay, images=(), files=None, system=None, options={})
    view = SideBySide(run.prompt, run.agents)
    assert [c.view.state.model for c in view.columns.values()] == models
    async for model, item in run.events():
        if isinstance(item, Ended):
            view.ended(model, item.outcome)
        else:
            view.show_event(model, item)
        view.idle()
    table = run.table()
    view.finish(table)

    for model in ("gpt-4o", "claude-sonnet-4-5"):
        state = view.columns[model].view.state
        assert state.status == "done" and state.turn_count == 2
        assert [t.name for turn in state.turns for t in turn.tools] == ["get_weather"]
        assert "Lisbon" in state.turns[-1].text and state.prompt == "What is the weather in Lisbon?"
        assert view.columns[model].cost.value.startswith("cost $")  # list prices, in USD
    failed = view.columns["gemini-2.5-pro"].view.state
    assert failed.status == "error" and "Not enabled." in (failed.error or "")
    assert view._table.value.count("<tr data-model=") == 3
    assert 'data-model="gemini-2.5-pro" data-status="error"' in view._table.value


def test_a_model_whose_agent_could_not_be_made_shows_the_error_at_once(relay: Any) -> None:
    error = ak.ConfigurationError("No such thing.")
    view = SideBySide("Hi", {"broken": error})
    column = view.columns["broken"]
    assert column.done and column.feed is None and column.view.state.status == "error"
    view.stop(KeyboardInterrupt())  # a finished column is left as it is
    assert "No such thing." in (column.view.state.error or "")
