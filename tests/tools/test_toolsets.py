"""Tool sets: `ak.tools_from(instance_or_module)` and raw-schema tools (`Tool.from_schema`)."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest

import agentkit as ak
from agentkit.tools import Tool, tool, tools_from

from . import _toolbox
from ._rules import declaration_problems


class Notes:
    """A notebook of notes; its documented, typed public methods are tools."""

    def __init__(self) -> None:
        self.notes: dict[str, str] = {}

    def write(self, title: str, text: str) -> str:
        """Write a note.

        Args:
            title: The note's title.
            text: The note's text.
        """
        self.notes[title] = text
        return f"Saved {title!r}."

    def read(self, title: str) -> str:
        """Read a note."""
        return self.notes[title]

    @tool(approval=True)
    def delete(self, title: str) -> None:
        """Delete a note."""
        del self.notes[title]

    async def count(self) -> int:
        """How many notes there are."""
        return len(self.notes)

    @staticmethod
    def formats() -> list[str]:
        """The supported formats."""
        return ["md"]

    def undocumented(self, x: int) -> int:
        return x

    def untyped(self, x):  # type: ignore[no-untyped-def]
        """Documented, not typed."""
        return x

    def _private(self, x: int) -> int:
        """Private."""
        return x

    @property
    def size(self) -> int:
        """A property: never called while collecting tools."""
        raise AssertionError("properties must not be evaluated")

    @functools.cached_property
    def cached(self) -> int:
        """Not a tool either."""
        raise AssertionError("cached properties must not be evaluated")


def test_tools_from_an_instance() -> None:
    notes = Notes()
    tools = {t.name: t for t in tools_from(notes)}
    assert sorted(tools) == ["count", "delete", "formats", "read", "write"]
    assert tools["write"].parameters["properties"]["title"]["description"] == "The note's title."
    assert tools["write"].invoke({"title": "a", "text": "b"}) == "Saved 'a'."
    assert tools["read"].invoke({"title": "a"}) == "b"
    assert tools["delete"].approval is True
    tools["delete"].invoke({"title": "a"})
    assert notes.notes == {}
    assert asyncio.run(tools["count"].ainvoke({})) == 0
    assert tools["formats"].invoke({}) == ["md"]


def test_include_and_exclude() -> None:
    notes = Notes()
    assert [t.name for t in tools_from(notes, include=["read", "write"])] == ["read", "write"]
    assert sorted(t.name for t in tools_from(notes, exclude=["count", "formats"])) == [
        "delete",
        "read",
        "write",
    ]
    with pytest.raises(ak.ConfigurationError, match="The `Notes` instance has no attribute `nope`"):
        tools_from(notes, include=["nope"])
    with pytest.raises(ak.ConfigurationError, match="The parameter `x` of `untyped` has no type hint"):
        tools_from(notes, include=["untyped"])


def test_tools_from_a_module() -> None:
    tools = {t.name: t for t in tools_from(_toolbox)}
    assert sorted(tools) == ["add", "echo_upper", "shout_loud"]
    assert tools["add"].invoke({"a": 2}) == 3
    assert tools["shout_loud"].invoke({"text": "hi"}) == "HI"


def test_tools_from_a_class_asks_for_an_instance() -> None:
    with pytest.raises(ak.ConfigurationError, match=r"got the class `Notes`. Create an instance first"):
        tools_from(Notes)


# ----------------------------------------------------------------------------------- raw schemas

WEATHER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
        "days": {"type": "integer", "minimum": 1, "exclusiveMaximum": 15},
    },
    "required": ["location"],
}


def weather(**arguments: Any) -> dict[str, Any]:
    return arguments


def test_from_schema_passes_json_arguments_as_keywords() -> None:
    t = Tool.from_schema(
        "get_weather", "Get the current weather in a given location", WEATHER_SCHEMA, weather
    )
    assert t.parameters == WEATHER_SCHEMA
    assert t.parameters is not WEATHER_SCHEMA
    assert t.invoke({"location": "Oslo"}) == {"location": "Oslo"}
    # null for an optional property means "leave it out", in every dialect
    assert t.invoke({"location": "Oslo", "unit": None, "days": None}, dialect="openai") == {
        "location": "Oslo"
    }
    assert t.to_schema("anthropic")["input_schema"] == WEATHER_SCHEMA


@pytest.mark.parametrize(
    ("dialect", "form"), [("openai", None), ("anthropic", None), ("gemini", "json"), ("gemini", "parameters")]
)
def test_from_schema_enforces_the_full_schema_in_every_dialect(dialect: str, form: str | None) -> None:
    t = Tool.from_schema("get_weather", "Weather.", WEATHER_SCHEMA, weather)
    assert declaration_problems(dialect, t.to_schema(dialect, form=form)) == []  # type: ignore[arg-type]
    # Gemini's forms move `exclusiveMaximum` into the description; the tool still enforces it.
    with pytest.raises(ak.ToolArgumentsError) as info:
        t.invoke({"location": "Oslo", "days": 15, "unit": "kelvin"}, dialect=dialect, form=form)  # type: ignore[arg-type]
    assert "Argument `days` must be less than 15; got 15." in info.value.errors
    assert any(
        e.startswith("Argument `unit` must be one of 'celsius', 'fahrenheit'") for e in info.value.errors
    )


def test_from_schema_strict_form() -> None:
    t = Tool.from_schema("get_weather", "Weather.", WEATHER_SCHEMA, weather)
    assert t.strict
    parameters = t.to_schema("openai")["function"]["parameters"]
    assert parameters["required"] == ["location", "unit", "days"]
    assert parameters["properties"]["unit"] == {
        "anyOf": [{"type": "string", "enum": ["celsius", "fahrenheit"]}, {"type": "null"}],
        "description": 'Default: "celsius".',
    }


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"type": "string"}, "must describe a JSON object"),
        ({"type": "object", "properties": {"a": {"type": "strin"}}}, "are not a valid JSON Schema"),
        ({"type": "object", "properties": {"a": {"$ref": "#/$defs/Missing"}}}, "points to nothing"),
        ([1, 2], r"must be a JSON Schema object \(a dict\); got list"),
    ],
)
def test_from_schema_rejects_bad_schemas(parameters: Any, message: str) -> None:
    with pytest.raises(ak.ConfigurationError, match=message):
        Tool.from_schema("t", "", parameters, weather)


def test_from_schema_needs_a_callable() -> None:
    with pytest.raises(ak.ConfigurationError, match="needs a callable `fn`"):
        Tool.from_schema("t", "", {"type": "object"}, "not callable")  # type: ignore[arg-type]


async def test_from_schema_with_an_async_function() -> None:
    async def lookup(**arguments: Any) -> str:
        return str(arguments["key"])

    t = Tool.from_schema(
        "lookup", "Look up.", {"type": "object", "properties": {"key": {"type": "string"}}}, lookup
    )
    assert t.is_async
    assert await t.ainvoke('{"key": "k"}') == "k"


def test_methods_inherited_from_other_packages_are_not_tools() -> None:
    from pydantic import BaseModel

    class Settings(BaseModel):
        city: str = "Paris"

        def forecast(self, days: int) -> str:
            """Forecast for the configured city."""
            return f"{self.city}: {days} days"

    tools = tools_from(Settings())
    assert [t.name for t in tools] == ["forecast"]  # not model_dump, model_copy, ...
    assert tools[0].invoke({"days": 2}) == "Paris: 2 days"


def test_bound_tool_signature_has_no_self() -> None:
    import inspect

    assert str(inspect.signature(Notes().delete)) == "(title: 'str') -> 'None'"
