"""What requests cost: `ak.Cost`, a relay's own prices, the vendors' list prices, and a running total.

Why priced per request, and only when asked: a price can depend on the request (Claude and Gemini
charge more per token above 200k prompt tokens), so each model request is priced on its own usage
and the costs are added; and the list-price table (`genai-prices`, ~0.4 s to import) is imported
only when a cost is first asked for (`reply.cost`, `agent.cost`, a live view's footer, `max_cost=`).

Where a price comes from, in order:

1. the relay's own `prices=` (per 1M tokens, in the relay's `currency=`), keyed by the model name
   sent on the wire, after routing (`anthropic:deepseek-r1` is priced as `deepseek-r1`);
2. on a relay billing in USD (the default), the vendors' list prices from `genai-prices`, for the
   names it knows (dated and alias names included);
3. else no price: the cost is None, never a guess, and never a sum of two currencies.

Amounts are exact `Decimal`s: a price given as a float counts at its decimal spelling (`0.3` is
0.3, not 0.29999999999999998889...).
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from agentkit._api import checked_class
from agentkit.errors import ConfigurationError
from agentkit.messages import Usage

__all__ = ["Cost", "Price", "Pricing", "Spend", "Spending", "as_amount", "list_price"]

#: The keys of a `prices=` entry: prices per 1M tokens.
PRICE_KEYS = ("input", "output", "cached_input", "cache_write")
_MILLION = Decimal(1_000_000)
_SYMBOLS = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£"}


@checked_class("ak.Cost", "cost")
@dataclass(frozen=True)
class Cost:
    """An amount of money: an exact `Decimal` and its currency code (`"USD"`, `"CNY"`, ...)."""

    amount: Decimal
    currency: str = "USD"

    def __add__(self, other: Cost) -> Cost:
        if not isinstance(other, Cost):
            return NotImplemented
        if other.currency != self.currency:
            raise ConfigurationError(
                f"Cannot add {other} to {self}: the currencies differ ({other.currency!r} and {self.currency!r}). "
                "Add costs of one relay's currency, or convert one amount first."
            )
        return Cost(self.amount + other.amount, self.currency)

    def __str__(self) -> str:
        """`$0.0123`, `¥0.052`, `CHF 1.20`: four significant digits, never in exponent form."""
        shown = _four_digits(self.amount)
        symbol = _SYMBOLS.get(self.currency)
        return f"{symbol}{shown}" if symbol else f"{self.currency} {shown}"

    def __float__(self) -> float:
        return float(self.amount)


def _four_digits(amount: Decimal) -> str:
    if amount == 0:
        return "0"
    places = max(2, 3 - math.floor(math.log10(abs(amount))))  # four significant digits, at least cents
    shown = f"{amount:.{places}f}"
    whole, _, cents = shown.partition(".")
    return f"{whole}.{cents[:2]}{cents[2:].rstrip('0')}"


def as_amount(value: Any, what: str) -> Decimal:
    """A non-negative, finite amount from an int, a float (at its decimal spelling), a str or a Decimal."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ConfigurationError(
            f"{what} must be a number such as 0.5 or Decimal('0.5'); got {type(value).__name__} {value!r:.60}."
        )
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ConfigurationError(f"{what} must be a number such as 0.5; got {value!r:.60}.") from None
    if not amount.is_finite() or amount < 0:
        raise ConfigurationError(f"{what} must be a finite number of at least 0; got {value!r:.60}.")
    return amount


def as_limit(value: Any) -> Decimal | None:
    """A `max_cost=` limit: None for no limit, else an amount above 0 (`as_amount`)."""
    if value is None:
        return None
    amount = as_amount(value, "`max_cost=`")
    if amount <= 0:
        raise ConfigurationError(f"`max_cost=` must be more than 0; got {value!r}. Leave it out for no limit.")
    return amount


@dataclass(frozen=True)
class Price:
    """One model's prices per 1M tokens. Cached reads and cache writes cost `input` when not given."""

    input: Decimal
    output: Decimal
    cached_input: Decimal
    cache_write: Decimal

    @classmethod
    def parse(cls, model: str, entry: Any) -> Price:
        where = f"`prices[{model!r}]`"
        if not isinstance(entry, Mapping):
            raise ConfigurationError(
                f"{where} must be a dict of prices per 1M tokens such as {{'input': 4, 'output': 16, "
                f"'cached_input': 1}}; got {type(entry).__name__} {entry!r:.60}."
            )
        unknown = [key for key in entry if key not in PRICE_KEYS]
        if unknown:
            raise ConfigurationError(
                f"{where} has the unknown key {unknown[0]!r}; its keys are "
                f"{', '.join(map(repr, PRICE_KEYS))} (prices per 1M tokens)."
            )
        missing = [key for key in ("input", "output") if key not in entry]
        if missing:
            raise ConfigurationError(
                f"{where} has no {missing[0]!r} price; give both 'input' and 'output' (per 1M tokens)."
            )
        values = {key: as_amount(entry[key], f"{where}[{key!r}]") for key in entry}
        return cls(values["input"], values["output"], values.get("cached_input", values["input"]),
                   values.get("cache_write", values["input"]))

    def cost(self, usage: Usage) -> Decimal:
        """The exact cost of one request's usage (input tokens include the cached reads and writes)."""
        fresh = max(0, usage.input_tokens - usage.cached_tokens - usage.cache_write_tokens)
        return (fresh * self.input + usage.cached_tokens * self.cached_input
                + usage.cache_write_tokens * self.cache_write + usage.output_tokens * self.output) / _MILLION


class Pricing:
    """A relay's prices (`prices=`, `currency=`) and the list-price fallback: `cost(model, usage)`."""

    def __init__(self, prices: Mapping[str, Any] | None = None, currency: str = "USD") -> None:
        if not isinstance(currency, str) or not currency.strip().isalpha():
            raise ConfigurationError(
                f"`currency=` must be a currency code such as 'USD' or 'CNY'; got {currency!r:.60}."
            )
        if prices is not None and not isinstance(prices, Mapping):
            raise ConfigurationError(
                f"`prices=` must be a dict `{{model: {{'input': ..., 'output': ...}}}}` (per 1M tokens); got "
                f"{type(prices).__name__} {prices!r:.60}."
            )
        self.currency = currency.strip().upper()
        self.prices = {str(model): Price.parse(str(model), entry) for model, entry in (prices or {}).items()}

    def cost(self, model: str, usage: Usage) -> Cost | None:
        """What one request to `model` (the name sent on the wire) cost, or None when it has no price."""
        price = self.prices.get(model)
        if price is not None:
            return Cost(price.cost(usage), self.currency)
        if self.currency != "USD":
            return None  # list prices are in USD: never mixed with the relay's currency
        amount = list_price(model, usage)
        return None if amount is None else Cost(amount, "USD")

    def knows(self, model: str) -> bool:
        """Whether `model` has a price here."""
        return self.cost(model, Usage()) is not None

    def __repr__(self) -> str:
        return f"Pricing({len(self.prices)} models, currency={self.currency!r})"


def list_price(model: str, usage: Usage) -> Decimal | None:
    """The vendor's list price in USD of one request, from `genai-prices`; None for a model it does not know.

    A `provider/model` id (as many relays name models) is looked up as that provider's model.
    """
    ref = _list_ref(model)
    if ref is None:
        return None
    import genai_prices

    name, provider = ref
    # A relay may report more cached tokens than prompt tokens; the table refuses that, so the
    # prompt counts at least what was read and written (as `Price.cost` does).
    prompt = max(usage.input_tokens, usage.cached_tokens + usage.cache_write_tokens)
    counts = genai_prices.Usage(input_tokens=prompt, output_tokens=usage.output_tokens,
                                cache_read_tokens=usage.cached_tokens, cache_write_tokens=usage.cache_write_tokens)
    return genai_prices.calc_price(counts, name, provider_id=provider).total_price


@functools.lru_cache(maxsize=512)
def _list_ref(model: str) -> tuple[str, str | None] | None:
    """How `genai-prices` knows `model` (its name and provider), or None; looked up once per name."""
    import genai_prices

    empty = genai_prices.Usage(input_tokens=0, output_tokens=0)
    tries: list[tuple[str, str | None]] = [(model, None)]
    prefix, slash, rest = model.partition("/")
    if slash and prefix and rest:
        tries.append((rest, prefix))
    for name, provider in tries:
        try:
            genai_prices.calc_price(empty, name, provider_id=provider)
        except LookupError:
            continue
        return name, provider
    return None


class Spend:
    """Model requests and their usage, priced when the cost is asked for (`reply.cost`, `agent.cost`).

    Each request is kept as (pricing, model, usage), or as a known cost (a reply read back from a
    batch's cache file). The total is None when any request has no price: a partial sum would
    understate the spend.
    """

    def __init__(self) -> None:
        self._items: list[tuple[Pricing | None, str, Usage, Cost | None]] = []
        self._usage = Usage()
        self._priced = 0
        self._total: Cost | None = None
        self._unpriced = False
        self._lock = threading.Lock()

    def add(self, pricing: Pricing, model: str, usage: Usage) -> None:
        """One request to `model` (the wire name) with this usage."""
        with self._lock:
            self._items.append((pricing, model, usage, None))
            self._usage = self._usage + usage

    def add_cost(self, cost: Cost | None, usage: Usage) -> None:
        """A request (or a run) whose cost is already known (None: it had no price)."""
        with self._lock:
            self._items.append((None, "", usage, cost))
            self._usage = self._usage + usage

    def extend(self, other: Spend, *, start: int = 0) -> None:
        """Add the requests of `other` from its `start`-th on (all by default)."""
        with other._lock:
            items = other._items[start:]
        with self._lock:
            for item in items:
                self._items.append(item)
                self._usage = self._usage + item[2]

    @property
    def usage(self) -> Usage:
        """The tokens of every request, summed."""
        return Usage(**vars(self._usage))

    @property
    def requests(self) -> int:
        return len(self._items)

    @property
    def cost(self) -> Cost | None:
        """The cost of every request so far (None if one has no price, or the currencies differ).

        Requests already priced are not priced again: a live view asks after every turn.
        """
        with self._lock:
            while self._priced < len(self._items) and not self._unpriced:
                pricing, model, usage, known = self._items[self._priced]
                cost = known if pricing is None else pricing.cost(model, usage)
                if cost is None or (self._total is not None and cost.currency != self._total.currency):
                    self._unpriced = True
                else:
                    self._total = cost if self._total is None else self._total + cost
                self._priced += 1
            return None if self._unpriced else self._total

    def __getstate__(self) -> dict[str, Any]:
        """Copied and pickled with a reply (`copy.deepcopy`, `dataclasses.asdict`), without its lock."""
        with self._lock:
            return {key: value for key, value in vars(self).items() if key != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Spend({len(self._items)} requests)"


class Spending:
    """`usage` and `cost` read from a `_spend`: what an agent (over its life) or a batch spent."""

    _spend: Spend

    @property
    def usage(self) -> Usage:
        """The tokens of every request made, summed (failed and stopped runs included)."""
        return self._spend.usage

    @property
    def cost(self) -> Cost | None:
        """What every request made cost (`ak.Cost`); None if one had no price."""
        return self._spend.cost
