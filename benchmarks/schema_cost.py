"""What tool schemas and argument validation cost: `@ak.tool` on a function, `to_schema` per dialect,
and `invoke` (parse + validate + convert + call) for simple and nested arguments.

Run: python benchmarks/schema_cost.py [--number 2000]

Decoration happens once per tool; `to_schema` runs when a declaration is first sent (the agent then
reuses it every turn); validation runs on every tool call the model makes.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import json
import statistics
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypedDict

import _common  # noqa: F401  (sets sys.path)
from _common import machine, table

import agentkit as ak


class Unit(enum.Enum):
    C = "c"
    F = "f"


@dataclasses.dataclass
class Stop:
    city: str
    nights: int = 1


class Budget(TypedDict):
    amount: float
    currency: Literal["EUR", "USD"]


def simple(city: str, unit: Literal["c", "f"] = "c") -> str:
    """Current weather for a city.

    Args:
        city: City name.
        unit: Temperature unit.
    """
    return city


def nested(
    traveller: Annotated[str, "Who travels"],
    stops: list[Stop],
    budget: Budget,
    unit: Unit = Unit.C,
    notes: str | None = None,
) -> int:
    """Plan a trip.

    Args:
        traveller: Who travels.
        stops: The cities, in order, with nights in each.
        budget: How much may be spent.
        unit: Temperature unit for forecasts.
        notes: Anything else.
    """
    return len(stops)


SIMPLE_ARGS = {"city": "Paris", "unit": "f"}
NESTED_ARGS = {"traveller": "Ada", "stops": [{"city": "Paris", "nights": 2}, {"city": "Rome", "nights": 3}],
               "budget": {"amount": 1200.0, "currency": "EUR"}, "unit": "f", "notes": None}


def per_call(fn: Callable[[], Any], number: int) -> float:
    """Median over 5 repeats of the mean µs per call."""
    fn()
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description="Tool schema building and argument validation cost.")
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args()
    rows = []
    for name, fn, arguments in (("simple (2 params)", simple, SIMPLE_ARGS), ("nested (5 params)", nested, NESTED_ARGS)):
        build = per_call(lambda fn=fn: ak.tool(fn), max(20, args.number // 20))
        tool = ak.tool(fn)
        schemas = {d: per_call(lambda d=d, t=tool: t.to_schema(d), args.number) for d in ak.DIALECTS}
        invoke = per_call(lambda t=tool, a=arguments: t.invoke(a), args.number)
        as_text = json.dumps(arguments)
        text = per_call(lambda t=tool, a=as_text: t.invoke(a), args.number)
        rows.append([name, f"{build:.0f}", " / ".join(f"{schemas[d]:.1f}" for d in ak.DIALECTS),
                     f"{invoke:.1f}", f"{text:.1f}"])
    print(f"machine: {machine()}")
    print(f"command: python benchmarks/schema_cost.py --number {args.number}   (µs per call)")
    print(table(["tool", "@ak.tool µs", "to_schema µs (openai / responses / anthropic / gemini)",
                 "invoke(dict) µs", "invoke(JSON text) µs"], rows))


if __name__ == "__main__":
    main()
