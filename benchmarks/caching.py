"""Prompt caching on a 20-turn tool conversation: tokens and cost with and without caching hints.

Run: python benchmarks/caching.py [--turns 20]

Each of the `--turns` user prompts makes the model call a tool and then answer (two requests), on
the emulator, with a long system prompt and three tools, as an agent in a notebook would. Rows:
each dialect with `cache=True` (the default) and `cache=False`. Columns: prompt tokens in all,
the part read from the cache, the part written to it, output tokens, and the cost at the vendors'
list prices (`genai-prices`, USD) next to what the same tokens cost with nothing cached.

What to expect: Anthropic caches only where a request marks breakpoints, so `cache=False` reads
nothing there; OpenAI, Responses and Gemini cache repeated prefixes by themselves (the emulator
does as they do, with no minimum length), so the hint (`prompt_cache_key`) changes nothing here:
on a real relay it keeps one agent's requests on the same cache. The emulator's token counts are
rough (words x 4/3), so the figures show proportions, not a vendor's exact bill.
"""

from __future__ import annotations

import argparse
from decimal import Decimal

import _common  # noqa: F401  (sets sys.path)
from _common import machine, table

import agentkit as ak
from agentkit.cost import list_price

MODELS = {"openai": "gpt-4o", "responses": "responses:gpt-4o", "anthropic": "claude-sonnet-4-5",
          "gemini": "gemini-2.5-flash"}
SYSTEM = ("You are a travel assistant for a team planning trips across Europe. Answer briefly, cite the "
          "tool results you used, prefer public transport, and say when a figure is an estimate. ") * 12
CITIES = ["Paris", "Rome", "Berlin", "Madrid", "Vienna", "Prague", "Lisbon", "Oslo", "Dublin", "Athens"]


@ak.tool
def get_weather(city: str) -> str:
    """The weather forecast for a city.

    Args:
        city: The city's name.
    """
    return f"{city}: sunny, 21 C, light wind from the west, no rain expected in the next three days."


@ak.tool
def get_train_times(origin: str, destination: str) -> str:
    """Train departures between two cities.

    Args:
        origin: Where the trip starts.
        destination: Where it ends.
    """
    return f"{origin} -> {destination}: 07:10, 09:40, 13:05, 17:55 (about 4 h 30 min)."


@ak.tool
def get_hotels(city: str, nights: int = 1) -> str:
    """Hotels with rooms free in a city.

    Args:
        city: The city's name.
        nights: How many nights.
    """
    return f"{city}, {nights} night(s): Hotel Central 120 EUR, Garden Inn 95 EUR, Station Rooms 80 EUR."


def converse(relay: ak.Relay, model: str, turns: int, *, cache: bool) -> ak.Agent:
    agent = ak.Agent(model, tools=[get_weather, get_train_times, get_hotels], system=SYSTEM, relay=relay,
                     display=False, cache=cache)
    for i in range(turns):
        reply = agent(f"What is the weather in {CITIES[i % len(CITIES)]} this week?")
        assert reply.tool_calls, "the emulator should call a tool on every turn"
    return agent


def uncached_cost(agent: ak.Agent, model: str) -> Decimal | None:
    """What the same requests would cost if nothing had been read from (or written to) a cache."""
    total = Decimal(0)
    name = agent.relay.route(model)[1]
    for message in agent.history:
        if message.role == "assistant" and message.usage is not None:
            plain = ak.Usage(input_tokens=message.usage.input_tokens, output_tokens=message.usage.output_tokens)
            price = list_price(name, plain)
            if price is None:
                return None
            total += price
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    args = parser.parse_args()
    rows = []
    with ak.emulator.serve() as relay:
        for dialect, model in MODELS.items():
            for cache in (True, False):
                relay.emulator.reset()  # each row starts with an empty prompt cache
                agent = converse(relay, model, args.turns, cache=cache)
                u = agent.usage
                cost = agent.cost
                plain = uncached_cost(agent, model)
                saved = f"{(1 - cost.amount / plain) * 100:.0f}%" if cost is not None and plain else "-"
                rows.append([dialect, "on" if cache else "off", f"{u.input_tokens:,}", f"{u.cached_tokens:,}",
                             f"{u.cache_write_tokens:,}", f"{u.output_tokens:,}",
                             "-" if cost is None else str(cost), "-" if plain is None else str(ak.Cost(plain)),
                             saved])
    print(f"{args.turns}-turn tool conversation (2 requests per turn) on the emulator; {machine()}")
    print(table(["dialect", "cache", "prompt tokens", "cache reads", "cache writes", "output tokens",
                 "cost", "cost if uncached", "saved"], rows))


if __name__ == "__main__":
    main()
