"""`agentkit.output` without a server: schemas per dialect, reading answers, partial objects."""

from __future__ import annotations

import dataclasses
from typing import Literal, TypedDict

import pydantic
import pytest

import agentkit as ak
from agentkit.output import OutputInvalid, PartialOutput, prepare, spec_for


class Item(pydantic.BaseModel):
    name: str
    qty: int = 1


class Receipt(pydantic.BaseModel):
    """A receipt."""

    items: list[Item]
    currency: Literal["EUR", "USD"]
    note: str | None = None


class Pair(TypedDict):
    a: int
    b: str


@dataclasses.dataclass
class Point:
    x: float
    y: float


def test_openai_gets_the_same_strict_form_as_a_tool_with_that_schema() -> None:
    output = prepare(Receipt)
    spec = output.spec("openai")
    tool = ak.Tool.from_schema("final_result", "", output.schema, lambda **kw: kw)
    assert spec.strict is True
    assert spec.schema == tool.to_schema("openai")["function"]["parameters"]
    assert spec.schema["required"] == ["items", "currency", "note"]  # strict: all required, optional nullable
    assert output.spec("responses").schema == spec.schema


def test_each_dialect_gets_its_own_form() -> None:
    output = prepare({"type": "object", "properties": {"n": {"type": "integer", "minimum": 3}}, "required": ["n"]})
    assert output.spec("anthropic").schema["additionalProperties"] is False
    assert "minimum" not in output.spec("anthropic").schema["properties"]["n"]  # moved to the description
    assert output.spec("gemini").schema["properties"]["n"]["minimum"] == 3
    with pytest.raises(OutputInvalid, match="at least 3"):
        output.parse('{"n": 1}', "anthropic")  # enforced even where the dialect could not say it


def test_a_non_object_root_is_wrapped_and_unwrapped() -> None:
    output = prepare(list[Item])
    assert output.wrapped and output.schema["required"] == ["value"]
    assert output.parse('{"value": [{"name": "a"}]}', "openai") == [Item(name="a", qty=1)]
    assert prepare(int).parse('{"value": 4}', "gemini") == 4


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (Receipt, '{"items": [{"name": "tea", "qty": null}], "currency": "EUR", "note": null}',
         Receipt(items=[Item(name="tea")], currency="EUR")),
        (Pair, '{"a": 1, "b": "x"}', {"a": 1, "b": "x"}),
        (Point, '```json\n{"x": 1, "y": 2.5}\n```', Point(1.0, 2.5)),
        (Point, 'Here it is: {"x": 1, "y": 2} - done.', Point(1.0, 2.0)),
    ],
)
def test_answers_convert_to_the_requested_type(kind: object, text: str, expected: object) -> None:
    assert prepare(kind).parse(text, "openai") == expected


def test_problems_are_sentences_about_fields() -> None:
    with pytest.raises(OutputInvalid) as caught:
        prepare(Receipt).parse('{"items": [{"qty": 2}], "currency": "GBP"}', "anthropic")
    errors = caught.value.errors
    assert "Field `currency` must be one of 'EUR', 'USD'; got 'GBP'." in errors
    assert any("`items[0].name` is missing" in e for e in errors)
    with pytest.raises(OutputInvalid, match="not valid JSON"):
        prepare(Point).parse("no idea", None)


def test_spec_for_and_bad_outputs() -> None:
    spec = spec_for(Receipt)
    assert spec.name == "Receipt" and spec.schema["description"] == "A receipt."
    with pytest.raises(ak.ConfigurationError, match="output="):
        prepare(3)
    with pytest.raises(ak.ConfigurationError, match="has no JSON Schema"):
        prepare(object)


def test_partial_objects_grow_as_text_arrives() -> None:
    partial = PartialOutput(prepare(Receipt))
    seen = [v for piece in ['{"items": [{"na', 'me": "te', 'a"}], "cur', 'rency": "EUR"}'] if (v := partial.feed(piece))]
    assert seen[0] == {"items": [{"na": None}]} or seen[0]["items"][0] in ({}, {"na": None})
    assert {"items": [{"name": "te"}]} in seen  # strings show as far as they arrived
    assert seen[-1] == {"items": [{"name": "tea"}], "currency": "EUR"}
    fenced = PartialOutput(prepare(list[Item]))
    assert fenced.feed('```json\n{"value": [{"name": "x"') == [{"name": "x"}]
