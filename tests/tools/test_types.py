"""Table-driven: every supported parameter type, in every dialect.

For each type: the canonical schema says the right thing; every dialect's declaration is accepted by
that vendor's rules; a value the model sends in JSON reaches the function as the annotated Python
type; and a wrong value is sent back as a ToolArgumentsError naming the argument.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import functools
import json
import pathlib
import uuid
from typing import Annotated, Any, Literal, Optional, Union

import pytest

import agentkit as ak
from agentkit.tools import Tool

from ._rules import declaration_problems
from ._types import (
    Address,
    Category,
    Color,
    Item,
    LegacyAddress,
    LegacyContact,
    Level,
    Node,
    Point,
    Positive,
    Segment,
)

NO_BAD = object()


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    annotation: Any
    sent: Any
    """The JSON value a model sends for the parameter `x`."""
    received: Any
    """What the function receives (compared with == and by type)."""
    bad: Any
    """A JSON value that must be refused (NO_BAD when every value is fine)."""
    canonical: dict[str, Any]
    """Keys the canonical property schema (with its `$ref` resolved) must contain."""
    strict: bool = True
    """Whether OpenAI strict mode can express the type."""
    recursive: bool = False


UTC = datetime.UTC
CASES = [
    Case("str", str, "hi", "hi", 3, {"type": "string"}),
    Case("int", int, 3, 3, 1.5, {"type": "integer"}),
    Case("float", float, 1.5, 1.5, "1.5", {"type": "number"}),
    Case("float-from-int", float, 2, 2.0, None, {"type": "number"}),
    Case("bool", bool, True, True, "yes", {"type": "boolean"}),
    Case("none", None, None, None, 0, {"type": "null"}),
    Case(
        "optional-int-null",
        Optional[int],  # noqa: UP045 - the spelling under test
        None,
        None,
        "a",
        {"anyOf": [{"type": "integer"}, {"type": "null"}]},
    ),
    Case("int-or-none", int | None, 5, 5, "a", {"anyOf": [{"type": "integer"}, {"type": "null"}]}),
    Case("union", Union[int, str], "a", "a", [1], {"anyOf": [{"type": "integer"}, {"type": "string"}]}),  # noqa: UP007
    Case("literal-str", Literal["c", "f"], "f", "f", "k", {"enum": ["c", "f"]}),
    Case("literal-int", Literal[1, 2, 3], 2, 2, 4, {"enum": [1, 2, 3]}),
    Case("literal-one", Literal["only"], "only", "only", "other", {"const": "only"}),
    Case(
        "enum-str", Color, "green", Color.GREEN, "pink", {"enum": ["red", "green", "blue"], "type": "string"}
    ),
    Case("enum-int", Level, 2, Level.MEDIUM, 4, {"enum": [1, 2, 3], "type": "integer"}),
    Case("list", list[int], [1, 2], [1, 2], [1, "a"], {"type": "array", "items": {"type": "integer"}}),
    Case(
        "tuple",
        tuple[int, str],
        [1, "a"],
        (1, "a"),
        [1],
        {"prefixItems": [{"type": "integer"}, {"type": "string"}]},
        strict=False,
    ),
    Case(
        "tuple-homogeneous",
        tuple[float, ...],
        [1.5, 2],
        (1.5, 2.0),
        ["a"],
        {"type": "array", "items": {"type": "number"}},
    ),
    Case("set", set[str], ["a", "b"], {"a", "b"}, "a", {"type": "array", "uniqueItems": True}),
    Case("frozenset", frozenset[int], [1], frozenset({1}), [1.5], {"type": "array", "uniqueItems": True}),
    Case(
        "dict",
        dict[str, int],
        {"a": 1},
        {"a": 1},
        {"a": "x"},
        {"type": "object", "additionalProperties": {"type": "integer"}},
        strict=False,
    ),
    Case("dataclass", Point, {"x": 1}, Point(1, 0), {"y": 1}, {"type": "object", "required": ["x"]}),
    Case(
        "nested-dataclass",
        Segment,
        {"start": {"x": 1}, "end": {"x": 2, "y": 3}},
        Segment(Point(1, 0), Point(2, 3)),
        {"start": {"x": "a"}, "end": {"x": 1}},
        {"type": "object", "required": ["start", "end"]},
    ),
    Case("list-of-dataclass", list[Point], [{"x": 1}], [Point(1)], [{"x": None}], {"type": "array"}),
    Case(
        "pydantic-model",
        Item,
        {"name": "pen", "price": 1.5},
        Item(name="pen", quantity=1, price=1.5),
        {"name": "p", "price": 1},
        {"type": "object", "required": ["name", "price"], "properties": {"name": {"minLength": 2}}},
    ),
    Case(
        "recursive-model",
        Node,
        {"value": 1, "children": [{"value": 2}]},
        Node(value=1, children=[Node(value=2)]),
        {"value": 1, "children": [{"value": "x"}]},
        {"type": "object", "required": ["value"]},
        recursive=True,
    ),
    Case(
        "typeddict",
        Address,
        {"street": "Main"},
        {"street": "Main"},
        {"zip_code": "1"},
        {"required": ["street"]},
    ),
    Case(
        "typing-typeddict",
        LegacyAddress,
        {"street": "Main", "city": "Oslo"},
        {"street": "Main", "city": "Oslo"},
        {"street": "Main"},
        {"required": ["street", "city"]},
    ),
    Case(
        "recursive-typing-typeddict",
        Category,
        {"name": "tools", "subcategories": [{"name": "saws", "subcategories": []}]},
        {"name": "tools", "subcategories": [{"name": "saws", "subcategories": []}]},
        {"name": "tools", "subcategories": [{"name": 3, "subcategories": []}]},
        {"type": "object", "required": ["name", "subcategories"]},
        recursive=True,
    ),
    Case(
        "typing-typeddict-not-required",
        LegacyContact,
        {"name": "Ann"},
        {"name": "Ann"},
        {"email": "ann@example.com"},
        {"required": ["name"]},
    ),
    Case(
        "annotated-text",
        Annotated[int, "How many."],
        3,
        3,
        "3",
        {"type": "integer", "description": "How many."},
    ),
    Case("annotated-field", Positive, 5, 5, 0, {"exclusiveMinimum": 0, "description": "A positive number."}),
    Case(
        "datetime",
        datetime.datetime,
        "2024-05-01T12:30:00Z",
        datetime.datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
        "yesterday",
        {"type": "string", "format": "date-time"},
    ),
    Case("date", datetime.date, "2024-05-01", datetime.date(2024, 5, 1), "2024-13-01", {"format": "date"}),
    Case("time", datetime.time, "12:30:00", datetime.time(12, 30), "noon", {"format": "time"}),
    Case(
        "timedelta",
        datetime.timedelta,
        "PT1H",
        datetime.timedelta(hours=1),
        "an hour",
        {"format": "duration"},
    ),
    Case(
        "uuid",
        uuid.UUID,
        "12345678-1234-5678-1234-567812345678",
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "not-a-uuid",
        {"type": "string", "format": "uuid"},
    ),
    Case(
        "path",
        pathlib.Path,
        "/tmp/report.txt",
        pathlib.Path("/tmp/report.txt"),
        3,
        {"type": "string", "format": "path"},
    ),
    Case(
        "decimal",
        decimal.Decimal,
        "1.25",
        decimal.Decimal("1.25"),
        "abc",
        {"anyOf": [{"type": "number"}, {"type": "string"}]},
    ),
    Case("bytes", bytes, "abc", b"abc", 3, {"type": "string"}),
    Case("any", Any, {"a": [1]}, {"a": [1]}, NO_BAD, {}, strict=False),
]

DIALECT_FORMS = [
    pytest.param(None, None, id="canonical"),
    pytest.param("openai", None, id="openai"),
    pytest.param("responses", None, id="responses"),
    pytest.param("anthropic", None, id="anthropic"),
    pytest.param("gemini", "json", id="gemini"),
    pytest.param("gemini", "parameters", id="gemini-parameters"),
]
CASE_PARAMS = [pytest.param(case, id=case.id) for case in CASES]


@functools.cache
def echo(case_id: str) -> Tool:
    """A tool `echo(x: <annotation>)` that returns what it received."""
    case = next(c for c in CASES if c.id == case_id)

    def echo(x):  # type: ignore[no-untyped-def]
        """Return `x` unchanged.

        Args:
            x: The value to echo.
        """
        return x

    echo.__annotations__ = {"x": case.annotation, "return": Any}
    return ak.tool(echo)


def _resolved(tool: Tool, schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = {**tool.parameters["$defs"][name], **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _contains(actual[k], v) for k, v in expected.items()
        )
    return bool(actual == expected)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_canonical_schema_describes_the_type(case: Case) -> None:
    tool = echo(case.id)
    prop = _resolved(tool, tool.parameters["properties"]["x"])
    assert _contains(prop, case.canonical), prop
    assert tool.parameters["required"] == ["x"]
    assert tool.parameters["additionalProperties"] is False
    if "description" not in case.canonical:
        assert prop.get("description", "The value to echo.") == "The value to echo."


@pytest.mark.parametrize(("dialect", "form"), DIALECT_FORMS)
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_value_reaches_the_function_as_the_annotated_type(
    case: Case, dialect: str | None, form: str | None
) -> None:
    tool = echo(case.id)
    if case.recursive and form == "parameters":
        with pytest.raises(ak.ConfigurationError, match="refers to itself"):
            tool.invoke({"x": case.sent}, dialect=dialect, form=form)  # type: ignore[arg-type]
        return
    received = tool.invoke(json.dumps({"x": case.sent}), dialect=dialect, form=form)  # type: ignore[arg-type]
    assert received == case.received
    assert type(received) is type(case.received)


@pytest.mark.parametrize(("dialect", "form"), DIALECT_FORMS)
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES if c.bad is not NO_BAD])
def test_wrong_value_is_refused_naming_the_argument(
    case: Case, dialect: str | None, form: str | None
) -> None:
    tool = echo(case.id)
    if case.recursive and form == "parameters":
        pytest.skip("no Gemini `parameters` form for recursive types (see the test above)")
    with pytest.raises(ak.ToolArgumentsError) as info:
        tool.invoke({"x": case.bad}, dialect=dialect, form=form)  # type: ignore[arg-type]
    message = str(info.value)
    assert "`x" in message, message
    assert message.startswith("Invalid arguments for tool `echo`"), message
    assert info.value.tool == "echo"
    assert info.value.errors and all(e.endswith(".") for e in info.value.errors)


@pytest.mark.parametrize(("dialect", "form"), [p for p in DIALECT_FORMS if p.values[0] is not None])
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_declaration_is_accepted_by_the_vendor_rules(case: Case, dialect: str, form: str | None) -> None:
    tool = echo(case.id)
    if case.recursive and form == "parameters":
        with pytest.raises(ak.ConfigurationError, match=f"`{case.annotation.__name__}`"):
            tool.to_schema(dialect, form=form)  # type: ignore[arg-type]
        return
    declaration = tool.to_schema(dialect, form=form)  # type: ignore[arg-type]
    assert declaration_problems(dialect, declaration) == []
    if dialect == "openai":
        assert declaration["function"]["strict"] is case.strict
    if dialect == "responses":
        assert declaration["strict"] is case.strict


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES if not c.strict])
def test_types_strict_mode_cannot_express_say_why(case: Case) -> None:
    tool = echo(case.id)
    assert tool.strict is False
    assert tool.strict_problem is not None and "`x`" in tool.strict_problem
    assert "non-strict" in repr(tool)
