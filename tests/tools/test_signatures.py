"""What a signature and docstring become, and the decoration-time errors for what a model cannot call."""

from __future__ import annotations

import socket
import typing
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from pydantic import Field

import agentkit as ak
from agentkit.tools import tool

from ._types import Category, Company, Item, Node


def _descriptions(t: ak.Tool) -> dict[str, str | None]:
    return {name: prop.get("description") for name, prop in t.parameters["properties"].items()}


# ------------------------------------------------------------------------------------- docstrings


def google(city: str, days: int = 1) -> str:
    """Forecast for a city.

    Uses the national weather service.

    Args:
        city: City name, e.g. "Paris".
        days (int): How many days ahead,
            counting today.

    Returns:
        The forecast text.

    Raises:
        LookupError: Unknown city.
    """
    return city


def numpy(city: str, days: int = 1) -> str:
    """Forecast for a city.

    Uses the national weather service.

    Parameters
    ----------
    city : str
        City name, e.g. "Paris".
    days : int, optional
        How many days ahead,
        counting today.

    Returns
    -------
    str
        The forecast text.
    """
    return city


def rest(city: str, days: int = 1) -> str:
    """Forecast for a city.

    Uses the national weather service.

    :param city: City name, e.g. "Paris".
    :param int days: How many days ahead,
        counting today.
    :returns: The forecast text.
    """
    return city


@pytest.mark.parametrize("fn", [google, numpy, rest], ids=["google", "numpy", "rest"])
def test_docstring_styles_give_the_same_descriptions(fn: Callable[..., Any]) -> None:
    t = tool(fn)
    assert t.description == "Forecast for a city.\n\nUses the national weather service."
    assert _descriptions(t) == {
        "city": 'City name, e.g. "Paris".',
        "days": "How many days ahead, counting today.",
    }


def test_no_docstring_means_empty_descriptions() -> None:
    def bare(x: int) -> int:
        return x

    t = tool(bare)
    assert t.description == ""
    assert t.parameters["properties"]["x"] == {"type": "integer"}
    assert t.to_schema("openai")["function"]["description"] == ""


def test_description_sources_and_precedence() -> None:
    def fn(
        a: Annotated[int, "From Annotated text."],
        b: Annotated[int, Field(description="From Field in Annotated.")],
        c: int = Field(3, description="From a Field default."),
        d: Annotated[str, "Annotated text loses to Field.", Field(description="Field wins.")] = "x",
        e: int = 0,
    ) -> None:
        """Do it.

        Args:
            a: Docstring loses to Annotated.
            b: Docstring loses to Field.
            c: Docstring loses to Field.
            e: From the docstring.
        """

    t = tool(fn)
    assert _descriptions(t) == {
        "a": "From Annotated text.",
        "b": "From Field in Annotated.",
        "c": "From a Field default.",
        "d": "Field wins.",
        "e": "From the docstring.",
    }
    assert t.invoke({"a": 1, "b": 2}) is None


def test_field_constraints_and_model_descriptions_reach_the_schema() -> None:
    def order(item: Item, limit: Annotated[int, Field(ge=1, le=5)] = 2) -> None:
        """Order an item."""

    t = tool(order)
    assert t.parameters["properties"]["limit"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 5,
        "default": 2,
    }
    item = t.parameters["$defs"]["Item"]
    assert item["description"] == "A line of an order."
    assert item["properties"]["name"] == {"type": "string", "description": "What was bought.", "minLength": 2}
    assert "title" not in item and all("title" not in p for p in item["properties"].values())


def test_property_named_like_a_keyword_survives_every_transform() -> None:
    def note(title: str, default: str = "", description: str = "") -> str:
        """Write a note."""
        return title

    t = tool(note)
    for dialect in ("openai", "responses", "anthropic"):
        schema = t.to_schema(dialect)
        parameters = (
            schema.get("input_schema") or schema.get("parameters") or schema["function"]["parameters"]
        )
        assert list(parameters["properties"]) == ["title", "default", "description"]
    assert list(t.to_schema("gemini")["parameters_json_schema"]["properties"]) == [
        "title",
        "default",
        "description",
    ]
    assert list(t.to_schema("gemini", form="parameters")["parameters"]["properties"]) == [
        "title",
        "default",
        "description",
    ]


def test_recursive_model_uses_defs() -> None:
    def walk(root: Node) -> int:
        """Walk a tree."""
        return 0

    t = tool(walk)
    assert t.parameters["properties"]["root"] == {"$ref": "#/$defs/Node"}
    assert t.parameters["$defs"]["Node"]["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    assert t.strict  # strict mode supports recursion through $defs


def test_recursive_typeddicts_use_defs_like_recursive_models() -> None:
    def file(category: Category, employer: Company) -> str:
        """File something."""
        return f"{category['subcategories'][0]['name']} {employer['staff'][0]['employer']['name']}"

    t = tool(file)
    assert t.parameters["properties"]["category"] == {"$ref": "#/$defs/Category"}
    assert t.parameters["$defs"]["Category"]["properties"]["subcategories"]["items"] == {"$ref": "#/$defs/Category"}
    assert t.parameters["$defs"]["Company"]["properties"]["staff"]["items"] == {"$ref": "#/$defs/Person"}
    assert t.strict
    arguments = {
        "category": {"name": "tools", "subcategories": [{"name": "saws", "subcategories": []}]},
        "employer": {"name": "Acme", "staff": [{"name": "Ann", "employer": {"name": "Acme", "staff": []}}]},
    }
    for dialect in ("openai", "responses", "anthropic", "gemini"):
        assert t.invoke(arguments, dialect=dialect) == "saws Acme"


def test_a_recursive_typeddict_defined_in_a_function_works() -> None:
    class Tree(typing.TypedDict):
        label: str
        children: list[Tree]

    def count(tree: Tree) -> int:
        """Count the nodes."""
        return 1 + sum(count(child) for child in tree["children"])

    count.__annotations__ = {"tree": Tree, "return": int}  # the class itself: its name is local to this test
    t = tool(count)
    assert t.parameters["$defs"]["Tree"]["properties"]["children"]["items"] == {"$ref": "#/$defs/Tree"}
    assert t.invoke({"tree": {"label": "a", "children": [{"label": "b", "children": []}]}}) == 2


def test_a_typeddict_whose_fields_cannot_be_resolved_is_refused_naming_it() -> None:
    class Broken(typing.TypedDict):
        owner: Undefined  # type: ignore[name-defined]  # noqa: F821

    def use(record: Broken) -> None:
        """Use it."""

    use.__annotations__ = {"record": Broken, "return": None}  # the class itself: its name is local to this test
    with pytest.raises(ak.ConfigurationError) as info:  # was a NameError on Python 3.11
        tool(use)
    message = str(info.value)
    assert message.startswith("The parameter `record` of `use` cannot be exposed to a model")
    assert "Undefined" in message


class Endless:
    """A type whose schema is itself, nested without end (no `$ref` can stand for it)."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        return handler(list[cls])  # type: ignore[valid-type]


def test_a_type_that_recurses_without_end_is_refused_naming_it() -> None:
    def walk(start: str, path: Endless) -> None:
        """Walk."""

    with pytest.raises(ak.ConfigurationError) as info:
        tool(walk)
    message = str(info.value)
    assert message.startswith("The type `Endless` of the parameter `path` of `walk` refers to itself")
    assert "Recursive pydantic models, dataclasses, TypedDicts" in message  # what is supported instead


# -------------------------------------------------------------------------------- decoration errors


def test_var_positional_is_refused_naming_it() -> None:
    def total(*numbers: int) -> int:
        """Add up."""
        return sum(numbers)

    with pytest.raises(ak.ConfigurationError) as info:
        tool(total)
    assert str(info.value).startswith("The parameter `*numbers` of `total` cannot be exposed to a model")
    assert "`list[...]`" in str(info.value)


def test_var_keyword_is_refused_naming_it() -> None:
    def configure(name: str, **options: str) -> None:
        """Configure."""

    with pytest.raises(
        ak.ConfigurationError, match=r"The parameter `\*\*options` of `configure` cannot be exposed"
    ):
        tool(configure)


def test_missing_type_hint_is_refused_naming_it() -> None:
    def greet(name: str, greeting) -> str:  # type: ignore[no-untyped-def]
        """Greet."""
        return str(greeting) + name

    with pytest.raises(ak.ConfigurationError) as info:
        tool(greet)
    assert str(info.value) == (
        "The parameter `greeting` of `greet` has no type hint, so its JSON Schema is unknown. "
        "Annotate it, e.g. `greeting: str`."
    )


def test_type_without_json_schema_is_refused_naming_it() -> None:
    def send(data: bytes, conn: socket.socket) -> None:
        """Send."""

    with pytest.raises(
        ak.ConfigurationError, match=r"The parameter `conn` of `send` cannot be exposed to a model"
    ):
        tool(send)


def test_callable_parameter_is_refused_naming_it() -> None:
    def apply(fn: Callable[[int], int], x: int) -> int:
        """Apply."""
        return fn(x)

    with pytest.raises(
        ak.ConfigurationError, match=r"The parameter `fn` of `apply` cannot be exposed to a model"
    ):
        tool(apply)


def test_unresolvable_string_annotation_is_refused_naming_it() -> None:
    def later(x: Undefined) -> None:  # type: ignore[name-defined]  # noqa: F821
        """Later."""

    with pytest.raises(ak.ConfigurationError) as info:
        tool(later)
    assert "`x` of `later` cannot be resolved" in str(info.value)
    assert "'Undefined'" in str(info.value)


def test_generators_lambdas_and_bad_names_are_refused() -> None:
    def numbers(n: int) -> typing.Iterator[int]:
        """Count."""
        yield from range(n)

    with pytest.raises(ak.ConfigurationError, match="`numbers` is a generator function"):
        tool(numbers)
    with pytest.raises(ak.ConfigurationError, match="A lambda has no usable name: pass `name=`"):
        tool(lambda x: x)
    assert tool(lambda: 1, name="one").invoke({}) == 1
    for bad in ("get weather", "1st", "é", "x" * 65, ""):
        with pytest.raises(ak.ConfigurationError, match="is not accepted by every vendor"):
            tool(google, name=bad)


def test_not_callable_is_refused() -> None:
    with pytest.raises(ak.ConfigurationError, match="needs a function or other callable; got int: 3"):
        ak.Tool(3)  # type: ignore[arg-type]
