"""The rule-based model makes sense in the tours (issue 15, item 7): an enum choice named in the prompt
("in fahrenheit") is honoured, and a tool that returns a picture is answered with what the picture is."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, Literal

import pytest

import agentkit as ak
from agentkit.emulator.schema_fill import fill

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
          "required": ["city", "unit"]}


@pytest.mark.parametrize(("prompt", "unit"), [
    ("What is the weather in Paris in fahrenheit?", "f"),
    ("What is the weather in Paris in Fahrenheit?", "f"),
    ("Weather in Oslo, in celsius please", "c"),
    ("What is the weather in Frankfurt?", "c"),  # the city, not a unit
    ("What is the weather forecast in Paris?", "c"),
])
def test_an_enum_choice_named_in_the_prompt_is_honoured(prompt: str, unit: str) -> None:
    assert fill(SCHEMA, prompt)["unit"] == unit


def test_several_options_fitting_pick_none() -> None:
    schema = {"type": "object", "properties": {"format": {"type": "string", "enum": ["md", "mp3"]}},
              "required": ["format"]}
    assert fill(schema, "Send it as mp3 or as md files")["format"] == "md"  # the first, by default


@pytest.fixture(scope="module")
def relay() -> Iterator[Any]:
    with ak.emulator.serve() as relay:
        yield relay


def get_weather(city: str, unit: Literal["c", "f"] = "c") -> dict[str, Any]:
    """Current weather.

    Args:
        city: City name.
        unit: Temperature unit, "c" or "f".
    """
    return {"city": city, "unit": unit}


def plot_bars(values: list[float]) -> ak.Image:
    """A bar chart of the values.

    Args:
        values: The values.
    """
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 40), "red").save(out, format="PNG")
    return ak.Image(data=out.getvalue(), mime_type="image/png")


@pytest.mark.parametrize("model", ["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"])
def test_fahrenheit_end_to_end(relay: Any, model: str) -> None:
    reply = ak.Agent(model, tools=[get_weather], relay=relay, display=False)("Weather in Paris in fahrenheit?")
    assert reply.tool_calls[0].arguments == {"city": "Paris", "unit": "f"}


@pytest.mark.parametrize("model", ["responses:gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"])
def test_a_picture_returned_by_a_tool_is_described(relay: Any, model: str) -> None:
    reply = ak.Agent(model, tools=[plot_bars], relay=relay, display=False)("Plot the values 3, 5 and 8 as bars.")
    assert "plot_bars returned a PNG image, 64x40 pixels" in reply.text
    assert "nothing" not in reply.text and "base64" not in reply.text
