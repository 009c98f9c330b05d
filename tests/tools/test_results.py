"""Tool return values and exceptions become the content of tool results."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import io
import json
import uuid

import pytest
from pydantic import BaseModel

from agentkit.dialects.base import load
from agentkit.errors import ToolArgumentsError
from agentkit.messages import Image, ImagePart, TextPart
from agentkit.tools import (
    error_to_content,
    images_as_text,
    result_to_content,
    tool_result_content,
)

PIL = pytest.importorskip("PIL.Image")


class Mood(enum.Enum):
    HAPPY = "happy"


@dataclasses.dataclass
class Reading:
    when: datetime.datetime
    celsius: float
    mood: Mood


class Report(BaseModel):
    id: uuid.UUID
    readings: list[Reading]
    tags: set[str]


def _text(value: object) -> str:
    parts = result_to_content(value)
    assert len(parts) == 1 and isinstance(parts[0], TextPart)
    return parts[0].text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("sunny", "sunny"),
        ("", ""),
        (3, "3"),
        (2.5, "2.5"),
        (True, "true"),
        (None, "null"),
        (float("nan"), "null"),
        ({"city": "Paris", "temp": 21}, '{"city": "Paris", "temp": 21}'),
        ([1, "a", None], '[1, "a", null]'),
        ((1, 2), "[1, 2]"),
        ({"café": "crème"}, '{"café": "crème"}'),
        (b"plain bytes", "plain bytes"),
        (b"\xff\xfe", "//4="),
    ],
)
def test_plain_values(value: object, text: str) -> None:
    assert _text(value) == text


def test_dataclasses_models_datetimes_enums_become_json() -> None:
    when = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC)
    report = Report(
        id=uuid.UUID(int=1),
        readings=[Reading(when, 21.5, Mood.HAPPY)],
        tags={"x"},
    )
    assert json.loads(_text(report)) == {
        "id": "00000000-0000-0000-0000-000000000001",
        "readings": [{"when": "2024-05-01T12:00:00Z", "celsius": 21.5, "mood": "happy"}],
        "tags": ["x"],
    }
    assert json.loads(_text([Reading(when, 1.0, Mood.HAPPY)]))[0]["mood"] == "happy"


def test_unknown_objects_fall_back_to_their_text() -> None:
    class Thing:
        def __str__(self) -> str:
            return "a thing"

    assert json.loads(_text({"thing": Thing()})) == {"thing": "a thing"}


def test_ak_image_and_image_bytes() -> None:
    image = Image(data=b"\x89PNG\r\n\x1a\nrest", mime_type="image/png")
    assert result_to_content(image) == (ImagePart(image),)
    (part,) = result_to_content(b"\xff\xd8\xff\xe0jpeg-bytes")
    assert isinstance(part, ImagePart) and part.image.mime_type == "image/jpeg"


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "CMYK"])
def test_pil_images_are_encoded_as_png(mode: str) -> None:
    picture = PIL.new(mode, (4, 3))
    (part,) = result_to_content(picture)
    assert isinstance(part, ImagePart)
    assert part.image.mime_type == "image/png"
    assert (part.image.width, part.image.height) == (4, 3)
    decoded = PIL.open(io.BytesIO(part.image.data or b""))
    assert decoded.format == "PNG" and decoded.size == (4, 3)


def test_a_list_mixing_images_and_values_gives_several_parts() -> None:
    picture = PIL.new("RGB", (2, 2))
    parts = result_to_content(["Before:", picture, {"diff": 0.1}, TextPart("done")])
    assert [type(p) for p in parts] == [TextPart, ImagePart, TextPart, TextPart]
    assert (
        parts[0] == TextPart("Before:")
        and parts[2] == TextPart('{"diff": 0.1}')
        and parts[3] == TextPart("done")
    )


def test_errors_name_the_exception_type() -> None:
    assert error_to_content(ValueError("no such city: 'Atlantis'")) == (
        TextPart("ValueError: no such city: 'Atlantis'"),
    )
    assert error_to_content(KeyError("unit")) == (TextPart("KeyError: 'unit'"),)
    assert error_to_content(RuntimeError()) == (TextPart("RuntimeError"),)
    assert error_to_content(ToolArgumentsError("Invalid arguments for tool `f`.")) == (
        TextPart("ToolArgumentsError: Invalid arguments for tool `f`."),
    )


def test_images_become_text_where_a_dialect_cannot_carry_them() -> None:
    image = Image(data=b"\x89PNG\r\n\x1a\n" + bytes(10), mime_type="image/png", width=640, height=480)
    url = Image(url="https://example.com/cat.png", mime_type="image/png")
    parts = (TextPart("chart:"), ImagePart(image), ImagePart(url))
    assert load("openai").TOOL_RESULT_IMAGES is False
    text = tool_result_content("openai", parts)
    assert all(isinstance(p, TextPart) for p in text)
    assert isinstance(text[1], TextPart) and isinstance(text[2], TextPart)
    assert text[1].text == (
        "[The tool returned an image (image/png 640x480, 18 bytes) that cannot be shown in a tool result here.]"
    )
    assert "https://example.com/cat.png" in text[2].text
    for dialect in ("responses", "anthropic", "gemini"):
        assert tool_result_content(dialect, parts) == parts
    assert images_as_text([TextPart("x")]) == (TextPart("x"),)
