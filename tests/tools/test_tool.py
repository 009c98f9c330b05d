"""`@ak.tool` and `ak.Tool`: declarations, calls, methods, async, timeouts and the errors a model sees."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import threading
import time
from typing import Any, Literal

import pytest
from pydantic import Field

import agentkit as ak
from agentkit import _schema_dialects
from agentkit.tools import Tool, tool

from ._types import Color, Point


@tool
def get_weather(city: str, unit: Literal["c", "f"] = "c") -> dict[str, str]:
    """Current weather for a city.

    Args:
        city: City name, e.g. "Paris".
        unit: Temperature unit.
    """
    return {"city": city, "unit": unit}


# ---------------------------------------------------------------------------------- declarations


def test_api_example_declarations_per_dialect() -> None:
    city = {"type": "string", "description": 'City name, e.g. "Paris".'}
    assert get_weather.parameters == {
        "type": "object",
        "properties": {
            "city": city,
            "unit": {
                "type": "string",
                "enum": ["c", "f"],
                "default": "c",
                "description": "Temperature unit.",
            },
        },
        "required": ["city"],
        "additionalProperties": False,
    }
    strict_parameters = {
        "type": "object",
        "properties": {
            "city": city,
            "unit": {
                "anyOf": [{"type": "string", "enum": ["c", "f"]}, {"type": "null"}],
                "description": 'Temperature unit. Default: "c".',
            },
        },
        "required": ["city", "unit"],
        "additionalProperties": False,
    }
    description = "Current weather for a city."
    assert get_weather.to_schema("openai") == {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": description,
            "parameters": strict_parameters,
            "strict": True,
        },
    }
    assert get_weather.to_schema("responses") == {
        "type": "function",
        "name": "get_weather",
        "description": description,
        "parameters": strict_parameters,
        "strict": True,
    }
    assert get_weather.to_schema("anthropic") == {
        "name": "get_weather",
        "description": description,
        "input_schema": get_weather.parameters,
    }
    gemini_unit = {"type": "string", "enum": ["c", "f"], "description": 'Temperature unit. Default: "c".'}
    assert get_weather.to_schema("gemini") == {
        "name": "get_weather",
        "description": description,
        "parameters_json_schema": {
            "type": "object",
            "properties": {"city": city, "unit": gemini_unit},
            "required": ["city"],
            "additionalProperties": False,
        },
    }
    assert get_weather.to_schema("gemini", form="parameters") == {
        "name": "get_weather",
        "description": description,
        "parameters": {
            "type": "OBJECT",
            "properties": {
                "city": {"type": "STRING", "description": 'City name, e.g. "Paris".'},
                "unit": {
                    "type": "STRING",
                    "enum": ["c", "f"],
                    "description": 'Temperature unit. Default: "c".',
                },
            },
            "required": ["city"],
        },
    }


def test_to_schema_returns_a_fresh_copy_and_computes_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = _schema_dialects.gemini_json_schema

    def counting(schema: dict[str, Any]) -> dict[str, Any]:
        calls.append(1)
        return original(schema)

    monkeypatch.setattr(_schema_dialects, "gemini_json_schema", counting)

    @tool
    def lookup(key: str) -> str:
        """Look a key up."""
        return key

    first = lookup.to_schema("gemini")
    first["parameters_json_schema"]["properties"].clear()
    second = lookup.to_schema("gemini")
    assert second["parameters_json_schema"]["properties"] == {"key": {"type": "string"}}
    assert len(calls) == 1


def test_strict_false_sends_the_canonical_schema() -> None:
    @tool(strict=False)
    def lookup(key: str, limit: int = 10) -> str:
        """Look a key up."""
        return key

    declaration = lookup.to_schema("openai")["function"]
    assert declaration["strict"] is False
    assert declaration["parameters"] == lookup.parameters
    assert lookup.strict is False and lookup.strict_problem is None


def test_unknown_dialect_and_misplaced_form_are_configuration_errors() -> None:
    with pytest.raises(ak.ConfigurationError, match="Unknown dialect 'cohere'"):
        get_weather.to_schema("cohere")
    with pytest.raises(ak.ConfigurationError, match="only applies to the 'gemini' dialect"):
        get_weather.to_schema("openai", form="parameters")
    with pytest.raises(ak.ConfigurationError, match="'json' or 'parameters'"):
        get_weather.to_schema("gemini", form="openapi")  # type: ignore[arg-type]


def test_decorator_options_and_repr() -> None:
    @tool(name="search", description="Search the web.", approval=True, timeout=30)
    async def web_search(query: str) -> list[str]:
        return [query]

    assert web_search.name == "search"
    assert web_search.description == "Search the web."
    assert web_search.approval is True
    assert web_search.timeout == 30.0
    assert web_search.is_async is True
    assert repr(web_search) == "<Tool search(query) [async, approval, timeout=30]>"
    assert repr(get_weather) == "<Tool get_weather(city, unit)>"
    renamed = tool(get_weather, name="weather")
    assert renamed.name == "weather" and renamed.description == get_weather.description


def test_tool_keeps_the_function_identity() -> None:
    assert get_weather.__name__ == "get_weather"
    assert get_weather.__doc__ is not None and get_weather.__doc__.startswith("Current weather")
    assert (
        str(inspect.signature(get_weather))
        == "(city: 'str', unit: \"Literal['c', 'f']\" = 'c') -> 'dict[str, str]'"
    )


# ------------------------------------------------------------------------------------------ calls


def test_call_is_the_plain_function() -> None:
    assert get_weather("Paris") == {"city": "Paris", "unit": "c"}
    assert get_weather("Rome", unit="f") == {"city": "Rome", "unit": "f"}
    # No validation on direct calls: it is the user's function.
    assert get_weather(3) == {"city": 3, "unit": "c"}


def test_invoke_accepts_a_dict_json_text_or_nothing() -> None:
    assert get_weather.invoke({"city": "Paris"}) == {"city": "Paris", "unit": "c"}
    assert get_weather.invoke('{"city": "Paris", "unit": "f"}') == {"city": "Paris", "unit": "f"}

    @tool
    def ping() -> str:
        """Answer pong."""
        return "pong"

    assert ping.invoke() == ping.invoke("") == ping.invoke("  ") == ping.invoke({}) == "pong"


@pytest.mark.parametrize("dialect", [None, "openai", "responses", "anthropic", "gemini"])
def test_null_for_an_optional_parameter_means_the_default(dialect: str | None) -> None:
    assert get_weather.invoke({"city": "Paris", "unit": None}, dialect=dialect) == {
        "city": "Paris",
        "unit": "c",
    }


def test_null_for_an_optional_nested_field_means_its_default() -> None:
    @tool
    def plot(point: Point) -> Point:
        """Plot a point."""
        return point

    assert plot.invoke({"point": {"x": 1, "y": None}}, dialect="openai") == Point(1, 0)
    with pytest.raises(ak.ToolArgumentsError, match=r"Argument `point.x` must be an integer; got None"):
        plot.invoke({"point": {"x": None, "y": 2}}, dialect="openai")


def test_strict_dialect_still_accepts_an_omitted_optional_parameter() -> None:
    # A relay or a non-OpenAI model behind the OpenAI door may not enforce strict mode.
    assert get_weather.invoke({"city": "Oslo"}, dialect="openai") == {"city": "Oslo", "unit": "c"}


def test_explicit_none_for_a_required_nullable_parameter_is_kept() -> None:
    @tool
    def tag(label: str | None) -> str:
        """Tag with a label, or clear it."""
        return repr(label)

    assert tag.invoke({"label": None}) == "None"
    with pytest.raises(
        ak.ToolArgumentsError, match=re.escape("Argument `label` is missing: it is required.")
    ):
        tag.invoke({})


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ak.ToolArgumentsError) as info:
        get_weather.invoke({"unit": "k", "country": "FR"})
    assert info.value.errors == [
        "Argument `city` is missing: it is required.",
        "Argument `country` is not a parameter of `get_weather`; its parameters are `city`, `unit`.",
        "Argument `unit` must be one of 'c', 'f'; got 'k'.",
    ]
    assert str(info.value) == (
        "Invalid arguments for tool `get_weather`:\n"
        "- Argument `city` is missing: it is required.\n"
        "- Argument `country` is not a parameter of `get_weather`; its parameters are `city`, `unit`.\n"
        "- Argument `unit` must be one of 'c', 'f'; got 'k'.\n"
        "Fix the arguments and call `get_weather` again."
    )


def test_single_problem_reads_as_one_sentence() -> None:
    with pytest.raises(ak.ToolArgumentsError) as info:
        get_weather.invoke({"city": "Paris", "unit": "kelvin"})
    assert str(info.value) == (
        "Invalid arguments for tool `get_weather`: Argument `unit` must be one of 'c', 'f'; got 'kelvin'. "
        "Fix the arguments and call `get_weather` again."
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            "{city: Paris}",
            "are not valid JSON (Expecting property name enclosed in double quotes at line 1 column 2)",
        ),
        ("[1, 2]", "must be a JSON object with the parameter names as keys; got an array: [1, 2]."),
        ('"Paris"', "must be a JSON object with the parameter names as keys; got a string: 'Paris'."),
    ],
)
def test_arguments_that_are_not_an_object(arguments: str, message: str) -> None:
    with pytest.raises(ak.ToolArgumentsError) as info:
        get_weather.invoke(arguments)
    assert message in str(info.value)
    assert info.value.tool == "get_weather"


def test_takes_no_arguments_message() -> None:
    @tool
    def ping() -> str:
        """Answer pong."""
        return "pong"

    with pytest.raises(
        ak.ToolArgumentsError,
        match=re.escape("Argument `x` is not a parameter of `ping`; it takes no arguments."),
    ):
        ping.invoke({"x": 1})


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(ak.ToolArgumentsError) as info:
        get_weather.invoke({"city": "Paris", "unit": "x" * 500})
    assert len(str(info.value)) < 300
    assert "..." in str(info.value)


def test_constraints_only_the_converter_knows_are_still_enforced() -> None:
    @tool
    def order(quantity: int = Field(1, ge=1, le=10), name: str = Field("pen", min_length=2)) -> str:
        """Order something."""
        return f"{quantity} {name}"

    assert order.invoke({}) == "1 pen"
    assert order.invoke({"quantity": 3}, dialect="gemini", form="parameters") == "3 pen"
    with pytest.raises(ak.ToolArgumentsError) as info:
        order.invoke({"quantity": 11, "name": "a"}, dialect="openai")
    # `minLength` is not a strict-mode keyword: jsonschema reports `quantity`, the converter `name`.
    assert info.value.errors == [
        "Argument `name` is invalid: string should have at least 2 characters; got 'a'.",
        "Argument `quantity` must be at most 10; got 11.",
    ]


def test_exceptions_from_the_tool_propagate_unchanged() -> None:
    @tool
    def fail(reason: str) -> None:
        """Always fails."""
        raise LookupError(reason)

    with pytest.raises(LookupError, match="no such city"):
        fail.invoke({"reason": "no such city"})


def test_positional_only_and_keyword_only_parameters() -> None:
    @tool
    def scale(value: float, /, factor: float = 2.0, *, offset: float = 0.0) -> float:
        """Scale a value."""
        return value * factor + offset

    assert scale.invoke({"value": 3}) == 6.0
    assert scale.invoke({"value": 3, "factor": 3, "offset": 1}) == 10.0
    assert list(scale.parameters["properties"]) == ["value", "factor", "offset"]


def test_enum_default_and_member_conversion() -> None:
    @tool
    def paint(color: Color = Color.RED) -> str:
        """Paint."""
        return color.name

    assert paint.invoke({}) == "RED"
    assert paint.invoke({"color": "blue"}, dialect="gemini") == "BLUE"
    assert paint.parameters["properties"]["color"]["default"] == "red"


# ------------------------------------------------------------------------------------------ async


def test_async_tool_call_returns_a_coroutine_and_invoke_runs_it() -> None:
    @tool
    async def double(n: int) -> int:
        """Double a number."""
        await asyncio.sleep(0)
        return n * 2

    assert double.is_async
    coroutine = double(2)
    assert inspect.iscoroutine(coroutine)
    assert asyncio.run(coroutine) == 4
    assert double.invoke({"n": 5}) == 10


async def test_ainvoke_runs_async_tools_on_the_loop_and_sync_tools_in_threads() -> None:
    loop_thread = threading.get_ident()

    @tool
    async def where_async() -> int:
        """Which thread."""
        asyncio.get_running_loop()
        return threading.get_ident()

    @tool
    def where_sync() -> int:
        """Which thread."""
        return threading.get_ident()

    assert await where_async.ainvoke({}) == loop_thread
    assert await where_sync.ainvoke({}) != loop_thread


async def test_invoke_of_an_async_tool_works_inside_a_running_loop() -> None:
    # As in a notebook cell: a loop runs in this thread, and sync code calls invoke().
    @tool
    async def double(n: int) -> int:
        """Double a number."""
        return n * 2

    assert double.invoke({"n": 21}) == 42


async def test_ainvoke_validates_too() -> None:
    with pytest.raises(ak.ToolArgumentsError, match="`city` is missing"):
        await get_weather.ainvoke({}, dialect="anthropic")


# ---------------------------------------------------------------------------------------- timeout


def test_timeout_of_a_sync_tool_in_invoke_and_ainvoke() -> None:
    release = threading.Event()

    @tool(timeout=0.05)
    def slow() -> str:
        """Slow."""
        release.wait(5)
        return "done"

    started = time.monotonic()
    with pytest.raises(TimeoutError, match=re.escape("The tool `slow` did not finish within 0.05 seconds")):
        slow.invoke({})
    with pytest.raises(TimeoutError, match="did not finish"):
        asyncio.run(slow.ainvoke({}))
    assert time.monotonic() - started < 2
    release.set()


async def test_timeout_of_an_async_tool() -> None:
    @tool(timeout=0.05)
    async def slow() -> str:
        """Slow."""
        await asyncio.sleep(5)
        return "done"

    started = time.monotonic()
    with pytest.raises(TimeoutError, match=re.escape("The tool `slow` did not finish within 0.05 seconds")):
        await slow.ainvoke({})
    assert time.monotonic() - started < 2


def test_fast_tool_under_a_timeout_returns_normally() -> None:
    @tool(timeout=5)
    def quick(n: int) -> int:
        """Quick."""
        return n + 1

    assert quick.invoke({"n": 1}) == 2
    assert asyncio.run(quick.ainvoke({"n": 2})) == 3


@pytest.mark.parametrize("timeout", [0, -1, "10"])
def test_bad_timeout_is_a_configuration_error(timeout: object) -> None:
    def noop() -> None:
        """Do nothing."""

    with pytest.raises(ak.ConfigurationError, match=r"must be a (positive )?number"):
        tool(timeout=timeout)(noop)  # type: ignore[call-overload]


# ---------------------------------------------------------------------------------------- methods


class Thermostat:
    def __init__(self, offset: float) -> None:
        self.offset = offset

    @tool
    def read(self, room: str) -> str:
        """Read a room's temperature.

        Args:
            room: The room name.
        """
        return f"{room}: {20 + self.offset}"

    @tool
    async def aread(self, room: str) -> str:
        """Read asynchronously."""
        return f"{room}: {20 + self.offset}"

    @tool
    @staticmethod
    def units() -> list[str]:
        """The units."""
        return ["c", "f"]

    @tool
    @classmethod
    def kind(cls, verbose: bool = False) -> str:
        """The kind of device."""
        return cls.__name__ + ("!" if verbose else "")


def test_decorated_methods_bind_to_their_instance() -> None:
    device = Thermostat(1.5)
    bound = device.read
    assert isinstance(bound, Tool)
    assert list(bound.parameters["properties"]) == ["room"]  # no `self`
    assert bound.parameters["properties"]["room"]["description"] == "The room name."
    assert bound.invoke({"room": "kitchen"}) == "kitchen: 21.5"
    assert bound("hall") == "hall: 21.5"
    assert Thermostat(0).read.invoke('{"room": "attic"}') == "attic: 20"
    assert asyncio.run(device.aread.ainvoke({"room": "den"})) == "den: 21.5"


def test_static_and_class_methods() -> None:
    device = Thermostat(0)
    assert device.units.invoke({}) == ["c", "f"]
    assert Thermostat.units.invoke({}) == ["c", "f"]
    assert Thermostat.kind.invoke({"verbose": True}) == "Thermostat!"
    assert device.kind.invoke({}) == "Thermostat"
    assert list(Thermostat.kind.parameters["properties"]) == ["verbose"]


def test_method_tool_accessed_on_the_class_asks_for_an_instance() -> None:
    assert isinstance(Thermostat.read, Tool)
    assert Thermostat.read(Thermostat(2), "loft") == "loft: 22"  # plain call still works
    with pytest.raises(ak.ConfigurationError, match=r"is a method: use it through an instance"):
        Thermostat.read.invoke({"room": "loft"})


def test_bound_method_of_an_undecorated_class() -> None:
    class Counter:
        def __init__(self) -> None:
            self.total = 0

        def add(self, n: int) -> int:
            """Add n."""
            self.total += n
            return self.total

    counter = Counter()
    add = tool(counter.add)
    assert add.name == "add"
    assert add.invoke({"n": 2}) == 2 and add.invoke({"n": 3}) == 5
    assert counter.total == 5


def test_callable_object() -> None:
    class Multiplier:
        """Multiply by a fixed factor."""

        def __call__(self, x: float) -> float:
            return x * 3

    times3 = tool(Multiplier(), name="times3")
    assert times3.invoke({"x": 2}) == 6
    assert times3.description == "Multiply by a fixed factor."


def test_json_text_round_trip_of_the_declaration() -> None:
    # Declarations go on the wire as JSON: every form must serialize.
    for dialect in ("openai", "responses", "anthropic", "gemini"):
        json.dumps(get_weather.to_schema(dialect))
    json.dumps(get_weather.to_schema("gemini", form="parameters"))


def test_callable_object_and_partial_names() -> None:
    import functools

    class Doubler:
        """Double a number."""

        name = "not the tool name"

        def __call__(self, x: int) -> int:
            return x * 2

    doubler = tool(Doubler())
    assert doubler.name == "Doubler"
    assert doubler.invoke({"x": 4}) == 8

    def power(base: float, exponent: int) -> float:
        """Raise to a power."""
        return float(base**exponent)

    square = tool(functools.partial(power, exponent=2))
    assert square.name == "power"
    assert square.invoke({"base": 3}) == 9.0


def test_nulls_inside_a_mapping_are_values_not_defaults() -> None:
    @tool
    def scores(by_name: dict[str, float | None], bonus: float | None = 1.0) -> dict[str, float | None]:
        """Record scores."""
        return {**by_name, "bonus": bonus}

    assert scores.invoke({"by_name": {"ann": None, "bob": 2.0}, "bonus": None}) == {
        "ann": None,
        "bob": 2.0,
        "bonus": 1.0,
    }


def test_first_validation_does_not_import_slow_format_checkers() -> None:
    # `rfc3987_syntax` (installed with Jupyter) takes seconds to import; a first tool call must not wait for it.
    import subprocess
    import sys

    code = (
        "import sys, agentkit as ak\n"
        "def echo(x: int) -> int:\n"
        "    return x\n"
        "assert ak.tool(echo).invoke({'x': 1}) == 1\n"
        "print('rfc3987_syntax' in sys.modules, 'jsonschema' in sys.modules)\n"
        "import importlib.util\n"
        "if importlib.util.find_spec('rfc3987_syntax') is not None: import rfc3987_syntax\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "ok"]  # and it can still be imported later
