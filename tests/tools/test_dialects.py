"""The per-dialect transformers on their own: strict mode, Gemini's two forms, and what validation uses."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

import pytest
from pydantic import Field

import agentkit as ak
from agentkit._schema_dialects import (
    gemini_json_schema,
    gemini_openapi_schema,
    openapi_to_json_schema,
    strict_schema,
)
from agentkit.tools import Tool, tool

from ._rules import gemini_declaration_problems, gemini_json_problems, openai_strict_problems
from ._types import Color, Level, Node, Point, Segment

# ------------------------------------------------------------------------------------------ strict


def test_strict_makes_nested_optional_fields_required_and_nullable() -> None:
    def draw(segment: Segment) -> None:
        """Draw a segment."""

    t = tool(draw)
    parameters = t.to_schema("openai")["function"]["parameters"]
    assert openai_strict_problems(parameters) == []
    point = parameters["$defs"]["Point"]
    assert point["required"] == ["x", "y"]
    assert point["properties"]["y"] == {
        "anyOf": [{"type": "integer"}, {"type": "null"}],
        "description": "Default: 0.",
    }
    label = parameters["$defs"]["Segment"]["properties"]["label"]
    assert label == {
        "anyOf": [{"type": "string"}, {"type": "null"}]
    }  # already nullable; `default: null` dropped
    assert (
        t.invoke(
            {"segment": {"start": {"x": 1, "y": None}, "end": {"x": 2, "y": 2}, "label": None}},
            dialect="openai",
        )
        is None
    )


def test_strict_inlines_refs_that_carry_a_description() -> None:
    def move(to: Annotated[Point, Field(description="Where to go.")]) -> None:
        """Move."""

    parameters = tool(move).to_schema("responses")["parameters"]
    assert openai_strict_problems(parameters) == []
    assert parameters["properties"]["to"]["description"] == "Where to go."
    assert parameters["properties"]["to"]["type"] == "object"


def test_strict_moves_unsupported_keywords_into_the_description() -> None:
    def name_it(
        name: Annotated[str, Field(min_length=2, max_length=20, description="A name.")],
        tags: set[str],
        path: Annotated[str, Field(pattern=r"^/")],
    ) -> None:
        """Name it."""

    parameters = tool(name_it).to_schema("openai")["function"]["parameters"]
    assert openai_strict_problems(parameters) == []
    assert parameters["properties"]["name"] == {
        "type": "string",
        "description": "A name. At least 2 characters. At most 20 characters.",
    }
    assert parameters["properties"]["tags"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "Items must be unique.",
    }
    assert parameters["properties"]["path"] == {"type": "string", "pattern": "^/"}  # `pattern` is supported


@pytest.mark.parametrize(
    ("annotation", "why"),
    [
        (dict[str, int], "`x` is an object with free-form keys (like `dict[str, ...]`)"),
        (dict, "`x` is an object with free-form keys"),
        (Any, "`x` accepts any JSON value"),
        (list, "`x[]` accepts any JSON value"),
        (tuple[int, str], "`x` is a tuple of different types"),
        (dict[Literal["a", "b"], int], "`x` restricts its keys"),
    ],
)
def test_what_strict_mode_cannot_express(annotation: Any, why: str, caplog: pytest.LogCaptureFixture) -> None:
    def f(x):  # type: ignore[no-untyped-def]
        """F."""

    f.__annotations__ = {"x": annotation}
    with caplog.at_level(logging.INFO, logger="agentkit.tools"):
        t = tool(f)
    assert t.strict is False
    assert t.strict_problem is not None and why in t.strict_problem
    assert t.strict_problem.startswith("OpenAI strict mode cannot express it: ")
    assert f"The tool `f` is sent to OpenAI without strict mode: {t.strict_problem}" in caplog.text
    declaration = t.to_schema("openai")["function"]
    assert declaration["strict"] is False
    assert declaration["parameters"] == t.parameters


def test_strict_rewrites_one_of_and_const_for_raw_schemas() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "shape": {
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {"kind": {"const": "circle"}, "r": {"type": "number"}},
                        "required": ["kind", "r"],
                    },
                    {
                        "type": "object",
                        "properties": {"kind": {"const": "square"}, "side": {"type": "number"}},
                        "required": ["kind", "side"],
                    },
                ]
            },
        },
        "required": ["shape"],
    }
    result = strict_schema(schema)
    assert result.problem is None
    assert openai_strict_problems(result.schema) == []
    first = result.schema["properties"]["shape"]["anyOf"][0]
    assert first["properties"]["kind"] == {"enum": ["circle"]}
    assert first["additionalProperties"] is False
    untouched = schema["properties"]["shape"]["oneOf"][0]["properties"]["kind"]
    assert untouched == {"const": "circle"}  # the input is not modified


def test_strict_rejects_multi_part_all_of_and_not() -> None:
    assert "uses `not`" in (
        strict_schema({"type": "object", "properties": {"a": {"not": {"type": "string"}}}}).problem or ""
    )
    mixed = {"type": "object", "properties": {"a": {"allOf": [{"type": "string"}, {"minLength": 1}]}}}
    assert "combines several schemas with `allOf`" in (strict_schema(mixed).problem or "")


# ------------------------------------------------------------------------------------------ gemini


def test_gemini_json_form_stays_inside_the_documented_subset() -> None:
    def f(
        kind: Literal["only"],
        size: Annotated[int, Field(gt=0, lt=100, multiple_of=5)],
        ident: Annotated[str, Field(min_length=3, pattern="^[a-z]+$")],
        color: Color = Color.RED,
        tree: Node | None = None,
        tags: set[str] = set(),  # noqa: B006
    ) -> None:
        """F."""

    t = tool(f)
    schema = t.to_schema("gemini")["parameters_json_schema"]
    assert gemini_json_problems(schema) == []
    props = schema["properties"]
    assert props["kind"] == {"enum": ["only"], "type": "string"}
    assert props["size"] == {
        "type": "integer",
        "description": "Greater than 0. Less than 100. A multiple of 5.",
    }
    assert props["ident"] == {
        "type": "string",
        "description": "At least 3 characters. Must match the regular expression ^[a-z]+$.",
    }
    assert props["color"] == {"$ref": "#/$defs/Color", "description": 'Default: "red".'}
    assert props["tags"]["description"] == "Items must be unique. Default: []."
    assert "Node" in schema["$defs"]  # recursion through $defs is documented as supported
    assert "description" not in props["tree"]  # `default: null` says nothing


def test_gemini_parameters_form_is_the_openapi_subset() -> None:
    def f(
        level: Level,
        mixed: Literal["a", 1],
        point: Point | None,
        scores: dict[str, float],
        anything: Any,
        pair: tuple[int, str],
        when: Annotated[str, Field(json_schema_extra={"format": "date-time"})],
        unit: Literal["c", "f"] | None = None,
    ) -> None:
        """F."""

    t = tool(f)
    declaration = t.to_schema("gemini", form="parameters")
    assert gemini_declaration_problems(declaration) == []
    props = declaration["parameters"]["properties"]
    assert props["level"] == {"type": "INTEGER", "description": "One of 1, 2, 3."}
    assert props["mixed"] == {"description": 'One of "a", 1.'}
    assert props["point"] == {
        "type": "OBJECT",
        "properties": {"x": {"type": "INTEGER"}, "y": {"type": "INTEGER", "description": "Default: 0."}},
        "required": ["x"],
        "description": "A point on the plane.",
        "nullable": True,
    }
    assert props["scores"] == {"type": "OBJECT", "description": "A JSON object; any keys are allowed."}
    assert props["anything"] == {"description": "Any JSON value."}
    assert props["pair"]["items"] == {"any_of": [{"type": "INTEGER"}, {"type": "STRING"}]}
    assert props["pair"]["min_items"] == props["pair"]["max_items"] == 2
    assert props["when"] == {"type": "STRING", "format": "date-time"}
    assert props["unit"] == {"type": "STRING", "enum": ["c", "f"], "nullable": True}
    assert declaration["parameters"]["required"] == [
        "level",
        "mixed",
        "point",
        "scores",
        "anything",
        "pair",
        "when",
    ]


def test_gemini_parameters_form_validates_what_it_showed() -> None:
    def f(level: Level, unit: Literal["c", "f"] | None = None) -> str:
        """F."""
        return f"{level.name} {unit}"

    t = tool(f)
    assert t.invoke({"level": 3, "unit": None}, dialect="gemini", form="parameters") == "HIGH None"
    with pytest.raises(ak.ToolArgumentsError) as info:
        t.invoke({"level": 7, "unit": "k"}, dialect="gemini", form="parameters")
    assert info.value.errors == [
        "Argument `level` should be 1, 2 or 3; got 7.",
        "Argument `unit` must be one of 'c', 'f'; got 'k'.",
    ]


def test_recursive_type_in_the_parameters_form_is_reported_clearly() -> None:
    def walk(tree: Node) -> None:
        """Walk."""

    with pytest.raises(ak.ConfigurationError) as info:
        tool(walk).to_schema("gemini", form="parameters")
    assert str(info.value) == (
        "The tool `walk` cannot be declared in Gemini's OpenAPI `parameters` form: the type `Node` (used by "
        "`tree.children[]`) refers to itself, and that form has no references. Use the default "
        '`parameters_json_schema` form (`to_schema("gemini")`), or make the type non-recursive.'
    )


def test_openapi_back_to_json_schema() -> None:
    openapi = {
        "type": "OBJECT",
        "properties": {
            "a": {"type": "STRING", "nullable": True, "min_length": 2},
            "b": {"any_of": [{"type": "INTEGER"}]},
        },
        "required": ["a"],
    }
    assert openapi_to_json_schema(openapi) == {
        "type": "object",
        "properties": {
            "a": {"anyOf": [{"type": "string", "minLength": 2}, {"type": "null"}]},
            "b": {"anyOf": [{"type": "integer"}]},
        },
        "required": ["a"],
    }


def test_transformers_never_mutate_the_canonical_schema() -> None:
    def f(
        segment: Segment, tree: Node, color: Color = Color.RED, limit: Annotated[int, Field(gt=0)] = 3
    ) -> None:
        """F."""

    t = tool(f)
    before = repr(t.parameters)
    strict_schema(t.parameters)
    gemini_json_schema(t.parameters)
    for dialect in ("openai", "responses", "anthropic", "gemini"):
        t.to_schema(dialect)
    with pytest.raises(ak.ConfigurationError):
        gemini_openapi_schema(t.parameters, tool="f")
    assert repr(t.parameters) == before


def test_shown_schema_is_what_validation_uses() -> None:
    @tool
    def pick(unit: Literal["c", "f"] = "c") -> str:
        """Pick."""
        return unit

    shown = pick.shown_schema("openai")
    assert shown["properties"]["unit"]["anyOf"][1] == {"type": "null"}
    assert "required" not in shown  # omitted optional values are accepted
    assert pick.shown_schema()["properties"]["unit"] == {
        "anyOf": [{"type": "string", "enum": ["c", "f"], "default": "c"}, {"type": "null"}]
    }
    assert isinstance(pick, Tool)


def test_bytes_are_plain_strings_for_the_model() -> None:
    def store(blob: bytes) -> int:
        """Store."""
        return len(blob)

    t = tool(store)
    assert t.parameters["properties"]["blob"] == {"type": "string"}
    assert t.invoke({"blob": "héllo"}) == 6
