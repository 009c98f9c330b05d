"""The cost where people look: the reply's HTML and text, and the live view's footer as the run goes."""

from __future__ import annotations

from decimal import Decimal

import agentkit as ak
from agentkit.cost import Pricing
from agentkit.display.render import RunView, footer_html
from agentkit.emulator import Emulator
from agentkit.events import TurnFinished, TurnStarted
from agentkit.messages import Message, TextPart

from .conftest import get_weather


def test_the_reply_shows_its_cost_and_cached_tokens_in_html_and_text(em: Emulator) -> None:
    relay = ak.Relay(em.url, api_key="sk-test", currency="CNY",
                     prices={"deepseek-r1": {"input": 4, "output": 16, "cached_input": 1}})
    reply = ak.Agent("deepseek-r1", tools=[get_weather], relay=relay, display=False)("Weather in Paris?")
    assert reply.cost is not None and reply.usage.cached_tokens > 0
    bundle = reply._repr_mimebundle_()
    assert f"{reply.cost} CNY" in bundle["text/plain"]
    assert f"{reply.usage.cached_tokens:,} cached" in bundle["text/plain"]
    assert 'class="ak-chip ak-cost"' in bundle["text/html"] and f"<b>{reply.cost}</b>" in bundle["text/html"]
    assert str(reply.cost).startswith("¥")


def test_a_reply_without_a_price_shows_no_cost(em: Emulator, relay: ak.Relay) -> None:
    reply = ak.Agent("qwen/qwen2-vl-72b-instruct", relay=relay, display=False)("Hello")
    assert reply.cost is None
    assert "ak-cost" not in reply._repr_mimebundle_()["text/html"]


def test_the_live_footer_shows_the_cost_after_each_turn() -> None:
    pricing = Pricing({"m": {"input": 1000, "output": 2000}}, currency="USD")
    view = RunView(prompt="Hi", model="m", dialect="openai", pricing=pricing)
    view.apply(TurnStarted(1, "m", "openai"))
    assert "ak-cost" not in footer_html(view)  # nothing spent before the first answer
    usage = ak.Usage(input_tokens=100, output_tokens=50)
    view.apply(TurnFinished(1, Message("assistant", [TextPart("Hello")], usage=usage), usage))
    assert view.cost == ak.Cost(Decimal("0.2"))  # (100 * 1000 + 50 * 2000) / 1M
    assert "<b>$0.20</b>" in footer_html(view)
    view.apply(TurnStarted(2, "m", "openai"))
    view.apply(TurnFinished(2, Message("assistant", [TextPart("Again")], usage=usage), usage))
    assert "<b>$0.40</b>" in footer_html(view)
