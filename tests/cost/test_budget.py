"""`max_cost=`: a run stops before its next request once spent; a batch starts no new input."""

from __future__ import annotations

from decimal import Decimal

import pytest

import agentkit as ak
from agentkit.emulator import Emulator
from agentkit.messages import ToolCallPart, ToolResultPart

from .conftest import get_weather

#: Expensive enough that one request of a few hundred tokens costs about a unit.
PRICES = {"deepseek-r1": {"input": 2000, "output": 8000}}


def _relay(em: Emulator) -> ak.Relay:
    return ak.Relay(em.url, api_key="sk-test", prices=PRICES, currency="CNY")


def _model_requests(em: Emulator) -> int:
    return sum(1 for record in em.log if record.door != "models")


def _every_call_answered(history: list[ak.Message]) -> bool:
    calls = {p.id for m in history for p in m.parts if isinstance(p, ToolCallPart)}
    results = {p.call_id for m in history for p in m.parts if isinstance(p, ToolResultPart)}
    return calls == results


def test_a_run_stops_before_its_next_request_once_it_has_spent_max_cost(em: Emulator) -> None:
    agent = ak.Agent("deepseek-r1", tools=[get_weather], relay=_relay(em), display=False, max_cost=0.01)
    with pytest.raises(ak.BudgetExceededError) as caught:
        agent("What is the weather in Paris and in Rome?")
    error = caught.value
    assert _model_requests(em) == 1  # the tool calls ran, the next request was never sent
    assert error.max_cost == Decimal("0.01")
    assert error.spent.currency == "CNY" and error.spent.amount >= Decimal("0.01")
    assert "`max_cost=0.01`" in str(error) and "¥" in str(error)
    # History valid: the tool calls made before the stop all have their results.
    assert any(m.tool_calls for m in agent.history) and _every_call_answered(agent.history)
    assert agent.cost == error.spent  # the stopped run's spend counts
    # A larger budget continues from where it stopped.
    agent.max_cost = 1000
    assert agent.max_cost == Decimal(1000)
    reply = agent()
    assert reply.text and _every_call_answered(agent.history)
    assert agent.cost is not None and agent.cost.amount > error.spent.amount


def test_max_cost_bounds_each_run_not_the_agents_life(em: Emulator) -> None:
    agent = ak.Agent("deepseek-r1", relay=_relay(em), display=False, max_cost=5)
    for _ in range(3):  # one request per run, each under the limit, together over it
        agent("Hello there, how are you today?")
    assert agent.cost is not None and agent.cost.amount > 0


def test_max_cost_needs_a_price_and_says_so_before_any_request(em: Emulator, relay: ak.Relay) -> None:
    agent = ak.Agent("qwen/qwen2-vl-72b-instruct", relay=relay, display=False, max_cost=1)
    with pytest.raises(ak.ConfigurationError, match="needs a price for the model 'qwen/qwen2-vl-72b-instruct'"):
        agent("Hello")
    assert _model_requests(em) == 0 and agent.history == []


@pytest.mark.parametrize(("value", "message"), [
    (0, "more than 0"), (-1, "at least 0"), ("a lot", "must be a number"), (True, "must be"),
])
def test_a_bad_max_cost_is_refused_at_once(relay: ak.Relay, value: object, message: str) -> None:
    with pytest.raises(ak.ConfigurationError, match=message):
        ak.Agent("gpt-4o", relay=relay, max_cost=value)  # type: ignore[arg-type]
    agent = ak.Agent("gpt-4o", relay=relay)
    with pytest.raises(ak.ConfigurationError, match=message):
        agent.max_cost = value  # type: ignore[assignment]


def test_a_batch_starts_no_input_once_spent_and_returns_the_rest_as_errors(em: Emulator) -> None:
    relay = _relay(em)
    one = ak.Agent("deepseek-r1", relay=relay, display=False)("Summarise: the sky is blue.").cost
    assert one is not None
    em.reset()
    agent = ak.Agent("deepseek-r1", relay=relay, display=False)
    prompts = ["Summarise: the sky is blue."] * 6
    result = ak.batch(agent, prompts, concurrency=1, progress=False, max_cost=one.amount * Decimal("2.5"))
    assert len(result) == 6
    assert [type(e).__name__ for e in result] == ["Reply"] * 3 + ["BudgetExceededError"] * 3
    assert _model_requests(em) == 3
    assert result.cost == ak.Cost(one.amount * 3, "CNY")  # cache reads cost `input` here: no cached price
    assert result.usage.input_tokens == sum(r.usage.input_tokens for r in result.replies)
    assert "not started" in str(result.errors[3])


def test_a_batch_shows_its_cost_in_the_progress_bar(em: Emulator, relay: ak.Relay,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    result = ak.batch(ak.Agent("gpt-4o", relay=relay, display=False), ["One", "Two"], progress=True)
    assert result.cost is not None
    assert f"cost={result.cost}" in capsys.readouterr().err


def test_the_budget_error_and_a_reply_with_its_cost_survive_pickling_and_copying(em: Emulator) -> None:
    import copy
    import dataclasses
    import pickle

    relay = _relay(em)
    agent = ak.Agent("deepseek-r1", tools=[get_weather], relay=relay, display=False, max_cost=0.01)
    with pytest.raises(ak.BudgetExceededError) as caught:
        agent("What is the weather in Paris?")
    again = pickle.loads(pickle.dumps(caught.value))
    assert (str(again), again.spent, again.max_cost) == (str(caught.value), caught.value.spent, Decimal("0.01"))
    reply = ak.Agent("deepseek-r1", relay=relay, display=False)("Hello")
    assert pickle.loads(pickle.dumps(reply)).cost == reply.cost
    assert copy.deepcopy(reply).cost == reply.cost
    assert dataclasses.asdict(reply)["usage"]["input_tokens"] == reply.usage.input_tokens


def test_a_batch_max_cost_needs_a_price_and_says_so_before_any_request(em: Emulator, relay: ak.Relay) -> None:
    agent = ak.Agent("qwen/qwen2-vl-72b-instruct", relay=relay, display=False)
    with pytest.raises(ak.ConfigurationError, match="`max_cost=1` needs a price"):
        ak.batch(agent, ["One", "Two"], max_cost=1, progress=False)
    made = ak.batch(lambda: ak.Agent("qwen/qwen2-vl-72b-instruct", relay=relay, display=False), ["One", "Two"],
                    max_cost=1, progress=False)
    assert [type(entry) for entry in made] == [ak.ConfigurationError] * 2  # a factory's model is known per input
    assert _model_requests(em) == 0
