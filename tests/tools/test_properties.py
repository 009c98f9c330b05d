"""Property tests: generated values round-trip through validate + convert, and garbage never crashes."""

from __future__ import annotations

import datetime
import decimal
import functools
import json
import pathlib
import string
import uuid
from typing import Annotated, Any, Literal, Optional, Union

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import Field, TypeAdapter

import agentkit as ak
from agentkit.tools import Tool

from ._types import Address, Color, Item, Level, Node, Point, Segment

FORMS: list[tuple[str, str | None, str | None]] = [
    ("canonical", None, None),
    ("openai", "openai", None),
    ("responses", "responses", None),
]
FORMS += [
    ("anthropic", "anthropic", None),
    ("gemini", "gemini", "json"),
    ("gemini-parameters", "gemini", "parameters"),
]

finite = st.floats(allow_nan=False, allow_infinity=False)
offsets: st.SearchStrategy[Any] = st.sampled_from(
    [None, datetime.UTC, datetime.timezone(datetime.timedelta(hours=5, minutes=30))]
)
nodes = st.recursive(
    st.builds(Node, value=st.integers(), children=st.just([])),
    lambda inner: st.builds(Node, value=st.integers(), children=st.lists(inner, max_size=3)),
    max_leaves=8,
)

TYPES: list[tuple[str, Any, st.SearchStrategy[Any]]] = [
    ("int", int, st.integers()),
    ("float", float, finite),
    ("str", str, st.text()),
    ("bool", bool, st.booleans()),
    ("optional", Optional[int], st.none() | st.integers()),  # noqa: UP045
    ("union", Union[int, str], st.integers() | st.text()),  # noqa: UP007
    ("literal", Literal["c", "f"], st.sampled_from(["c", "f"])),
    ("literal-int", Literal[1, 2, 3], st.sampled_from([1, 2, 3])),
    ("enum", Color, st.sampled_from(Color)),
    ("int-enum", Level, st.sampled_from(Level)),
    ("list", list[int], st.lists(st.integers())),
    ("tuple", tuple[int, str], st.tuples(st.integers(), st.text())),
    ("set", set[str], st.sets(st.text())),
    ("frozenset", frozenset[int], st.frozensets(st.integers())),
    ("dict", dict[str, float], st.dictionaries(st.text(), finite)),
    ("dataclass", Point, st.builds(Point, x=st.integers(), y=st.integers())),
    (
        "nested",
        Segment,
        st.builds(Segment, start=st.builds(Point), end=st.builds(Point), label=st.none() | st.text()),
    ),
    (
        "model",
        Item,
        st.builds(
            Item,
            name=st.text(min_size=2),
            quantity=st.integers(min_value=1),
            price=st.floats(min_value=0, exclude_min=True, allow_nan=False, allow_infinity=False),
        ),
    ),
    ("recursive", Node, nodes),
    ("typeddict", Address, st.fixed_dictionaries({"street": st.text()}, optional={"zip_code": st.text()})),
    ("positive", Annotated[int, Field(gt=0)], st.integers(min_value=1)),
    ("datetime", datetime.datetime, st.datetimes(min_value=datetime.datetime(1900, 1, 1), timezones=offsets)),
    ("date", datetime.date, st.dates(min_value=datetime.date(1900, 1, 1))),
    ("uuid", uuid.UUID, st.uuids()),
    (
        "decimal",
        decimal.Decimal,
        st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9),
    ),
    ("path", pathlib.Path, st.text(string.ascii_letters + "/._-", min_size=1).map(pathlib.Path)),
    ("bytes", bytes, st.text().map(str.encode)),
]


@functools.cache
def echo(type_id: str) -> tuple[Tool, TypeAdapter[Any]]:
    annotation = next(a for name, a, _ in TYPES if name == type_id)

    def echo(x):  # type: ignore[no-untyped-def]
        """Return `x`."""
        return x

    echo.__annotations__ = {"x": annotation, "return": Any}
    return ak.tool(echo), TypeAdapter(annotation)


def _round_trip_test(
    type_id: str, strategy: st.SearchStrategy[Any], dialect: str | None, form: str | None
) -> None:
    tool, adapter = echo(type_id)

    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy)
    def check(value: Any) -> None:
        wire = json.dumps({"x": adapter.dump_python(value, mode="json")})
        received = tool.invoke(wire, dialect=dialect, form=form)  # type: ignore[arg-type]
        assert received == value
        assert type(received) is type(value)

    check()


@pytest.mark.parametrize(("_label", "dialect", "form"), FORMS, ids=[f[0] for f in FORMS])
@pytest.mark.parametrize(("type_id", "strategy"), [(n, s) for n, _, s in TYPES], ids=[n for n, _, _ in TYPES])
def test_generated_values_round_trip(
    type_id: str, strategy: st.SearchStrategy[Any], _label: str, dialect: str | None, form: str | None
) -> None:
    if type_id == "recursive" and form == "parameters":
        pytest.skip("recursive types have no Gemini `parameters` form")
    _round_trip_test(type_id, strategy, dialect, form)


# ------------------------------------------------------------------------------------ robustness

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | finite | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@ak.tool
def everything(
    city: str,
    when: datetime.datetime,
    item: Item,
    where: Point | None = None,
    tags: set[str] = frozenset(),  # type: ignore[assignment]
    scores: dict[str, float] | None = None,
    unit: Literal["c", "f"] = "c",
    level: Level = Level.LOW,
    tree: Node | None = None,
) -> str:
    """Accept many kinds of arguments."""
    return "ok"


NAMES = [*everything.parameters["properties"], "extra"]
arguments = st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=5), json_values, max_size=8)


@pytest.mark.parametrize(
    ("_label", "dialect", "form"),
    [f for f in FORMS if f[2] != "parameters"],
    ids=[f[0] for f in FORMS if f[2] != "parameters"],
)
@settings(max_examples=60, deadline=None)
@given(arguments=arguments)
def test_any_json_either_calls_the_tool_or_explains_why_not(
    _label: str, dialect: str | None, form: str | None, arguments: dict[str, Any]
) -> None:
    try:
        assert everything.invoke(arguments, dialect=dialect, form=form) == "ok"  # type: ignore[arg-type]
    except ak.ToolArgumentsError as exc:
        assert exc.errors
        for sentence in exc.errors:
            assert sentence.endswith("."), sentence
            assert "`" in sentence, sentence  # every sentence names an argument or the tool


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=40) | json_values.map(json.dumps))
def test_any_text_either_parses_or_explains_why_not(text: str) -> None:
    try:
        everything.invoke(text)
    except ak.ToolArgumentsError as exc:
        assert str(exc).endswith(".")
