"""`reply.cost`, `agent.usage`/`agent.cost`: a relay's own prices first, then list prices, else None."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest

import agentkit as ak
from agentkit.cost import Cost, Pricing
from agentkit.emulator import Emulator

from .conftest import get_weather

DEEPSEEK = {"deepseek-r1": {"input": 4, "output": 16, "cached_input": 1}}


def _priced(em: Emulator, prices: dict[str, dict[str, object]], currency: str = "USD") -> ak.Relay:
    return ak.Relay(em.url, api_key="sk-test", prices=prices, currency=currency)


def _expected(usage: ak.Usage, input_: str, output: str, cached: str, write: str | None = None) -> Decimal:
    fresh = usage.input_tokens - usage.cached_tokens - usage.cache_write_tokens
    return (fresh * Decimal(input_) + usage.cached_tokens * Decimal(cached)
            + usage.cache_write_tokens * Decimal(write or input_) + usage.output_tokens * Decimal(output)) / 1_000_000


def test_relay_prices_give_an_exact_cost_in_the_relays_currency(em: Emulator) -> None:
    relay = _priced(em, DEEPSEEK, currency="CNY")
    agent = ak.Agent("deepseek-r1", tools=[get_weather], relay=relay, display=False)
    reply = agent("What is the weather in Paris?")
    assert reply.turns == 2 and reply.usage.cached_tokens > 0
    # Priced per request (a price may depend on one request's size), then added up.
    requests = [m.usage for m in reply.messages if m.role == "assistant"]
    expected = sum((_expected(u, "4", "16", "1") for u in requests if u is not None), Decimal(0))
    assert reply.cost == Cost(expected, "CNY")
    assert isinstance(reply.cost.amount, Decimal)
    assert str(reply.cost).startswith("¥")


def test_a_float_price_counts_at_its_decimal_spelling() -> None:
    pricing = Pricing({"m": {"input": 0.3, "output": 0.1}})
    usage = ak.Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert pricing.cost("m", usage) == Cost(Decimal("0.4"), "USD")  # not 0.40000000000000002220...


def test_cache_reads_and_writes_are_priced_apart() -> None:
    pricing = Pricing({"m": {"input": "3", "output": "15", "cached_input": "0.3", "cache_write": "3.75"}})
    usage = ak.Usage(input_tokens=1000, output_tokens=100, cached_tokens=600, cache_write_tokens=300)
    assert pricing.cost("m", usage) == Cost(Decimal("0.003105"))  # (100*3 + 600*0.3 + 300*3.75 + 100*15) / 1M
    plain = Pricing({"m": {"input": "3", "output": "15"}})  # no cache prices: reads and writes cost `input`
    assert plain.cost("m", usage) == Cost(Decimal("0.0045"))


def test_the_price_key_is_the_model_name_sent_on_the_wire(em: Emulator) -> None:
    relay = _priced(em, DEEPSEEK)
    reply = ak.Agent("anthropic:deepseek-r1", relay=relay, display=False)("Hello")
    assert reply.dialect == "anthropic"
    assert reply.cost is not None and reply.cost.amount == _expected(reply.usage, "4", "16", "1")


def test_list_prices_for_known_models_and_none_for_unknown_ones(em: Emulator, relay: ak.Relay) -> None:
    import genai_prices

    reply = ak.Agent("claude-sonnet-4-5", relay=relay, display=False)("Hello")
    u = reply.usage
    table = genai_prices.calc_price(
        genai_prices.Usage(input_tokens=u.input_tokens, output_tokens=u.output_tokens,
                           cache_read_tokens=u.cached_tokens, cache_write_tokens=u.cache_write_tokens),
        "claude-sonnet-4-5")
    assert reply.cost == Cost(table.total_price, "USD") and reply.cost.amount > 0
    assert ak.Agent("qwen/qwen2-vl-72b-instruct", relay=relay, display=False)("Hello").cost is None


def test_odd_counts_from_a_relay_still_get_a_list_price() -> None:
    odd = ak.Usage(input_tokens=10, output_tokens=10, cached_tokens=200)  # more read than the whole prompt
    cost = Pricing().cost("gpt-4o", odd)
    assert cost is not None and cost.amount > 0


def test_a_relay_in_another_currency_never_falls_back_to_usd_list_prices(em: Emulator) -> None:
    relay = _priced(em, DEEPSEEK, currency="CNY")
    assert ak.Agent("gpt-4o", relay=relay, display=False)("Hello").cost is None


def test_agent_usage_and_cost_add_up_every_run(em: Emulator) -> None:
    relay = _priced(em, DEEPSEEK)
    agent = ak.Agent("deepseek-r1", tools=[get_weather], relay=relay, display=False)
    replies = [agent("What is the weather in Paris?"), agent("And in Rome?")]
    agent.reset()  # the conversation is forgotten, not what it cost
    replies.append(agent("Hello"))
    assert agent.usage == replies[0].usage + replies[1].usage + replies[2].usage
    assert agent.cost == Cost(sum((r.cost.amount for r in replies if r.cost), Decimal(0)), "USD")


@pytest.mark.parametrize(("prices", "message"), [
    ({"m": {"input": 1}}, "has no 'output' price"),
    ({"m": {"input": 1, "output": 2, "cached": 1}}, "unknown key 'cached'"),
    ({"m": {"input": -1, "output": 2}}, "at least 0"),
    ({"m": {"input": True, "output": 2}}, "must be a number"),
    ({"m": 3}, "must be a dict of prices"),
    (["m"], "`prices=` of .* must be a mapping"),
])
def test_bad_prices_are_refused_at_once(prices: object, message: str) -> None:
    with pytest.raises(ak.ConfigurationError, match=message):
        ak.Relay("http://127.0.0.1:9", prices=prices)  # type: ignore[arg-type]


def test_bad_currency_is_refused() -> None:
    with pytest.raises(ak.ConfigurationError, match="currency code"):
        ak.Relay("http://127.0.0.1:9", currency="¥ yuan")


@pytest.mark.parametrize(("amount", "currency", "shown"), [
    ("0.0000525", "USD", "$0.0000525"), ("0.00123456", "USD", "$0.001235"), ("1.5", "CNY", "¥1.50"),
    ("0", "USD", "$0"), ("2", "CHF", "CHF 2.00"),
])
def test_a_cost_shows_four_significant_digits_with_its_currency(amount: str, currency: str, shown: str) -> None:
    assert str(Cost(Decimal(amount), currency)) == shown


def test_costs_in_different_currencies_do_not_add() -> None:
    with pytest.raises(ak.ConfigurationError, match="currencies differ"):
        _ = Cost(Decimal(1), "USD") + Cost(Decimal(1), "CNY")


def test_the_price_table_is_imported_only_when_a_cost_is_asked_for(em: Emulator) -> None:
    code = (
        "import sys, agentkit as ak\n"
        f"relay = ak.Relay({em.url!r}, api_key='sk-test')\n"
        "reply = ak.Agent('gpt-4o', relay=relay, display=False)('Hello')\n"
        "print('genai_prices' in sys.modules, end=' ')\n"
        "cost = reply.cost\n"
        "print('genai_prices' in sys.modules, cost.currency)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["False", "True", "USD"]
