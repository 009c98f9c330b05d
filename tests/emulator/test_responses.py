"""The OpenAI Responses door, through the official openai SDK."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import openai
import pytest
from pydantic import BaseModel

from agentkit.emulator import Emulator, Turn

from .test_model import png_bytes

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather in a given location",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "strict": False,
}


def test_text_response(em: Emulator, oai: Any) -> None:
    response = oai.responses.create(model="gpt-4o", input="Hello there", instructions="Be brief.")
    assert 'cannot answer "Hello there"' in response.output_text
    assert response.status == "completed" and response.object == "response"
    assert re.fullmatch(r"resp_[0-9a-f]{50}", response.id)
    (item,) = response.output
    assert item.type == "message" and item.id.startswith("msg_") and item.content[0].type == "output_text"
    assert response.instructions == "Be brief."
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


def test_function_call_round_trip(em: Emulator, oai: Any) -> None:
    first = oai.responses.create(model="gpt-4o", input="What is the weather in Berlin?", tools=[WEATHER])
    (call,) = first.output
    assert call.type == "function_call" and call.status == "completed"
    assert call.id.startswith("fc_") and call.call_id.startswith("call_")
    assert json.loads(call.arguments) == {"city": "Berlin"}
    assert first.output_text == ""
    second = oai.responses.create(
        model="gpt-4o",
        input=[
            {"role": "user", "content": "What is the weather in Berlin?"},
            call,
            {"type": "function_call_output", "call_id": call.call_id, "output": "sunny, 24C"},
        ],
        tools=[WEATHER],
    )
    assert second.output_text == "get_weather returned sunny, 24C."


def test_reasoning_item_for_reasoning_models(em: Emulator, oai: Any) -> None:
    response = oai.responses.create(
        model="o3-mini",
        input="Think about tea",
        include=["reasoning.encrypted_content"],
        reasoning={"effort": "low"},
    )
    reasoning, message = response.output
    assert reasoning.type == "reasoning" and reasoning.id.startswith("rs_")
    assert reasoning.summary[0].text.startswith('The user wrote: "Think about tea"')
    assert reasoning.encrypted_content
    assert message.type == "message"
    assert response.usage.output_tokens_details.reasoning_tokens > 0
    assert response.reasoning.effort == "low"


def test_stream_events_and_final_response(em: Emulator, oai: Any) -> None:
    with oai.responses.stream(model="o4-mini", input="weather in Kyoto?", tools=[WEATHER]) as stream:
        events = list(stream)
        final = stream.get_final_response()
    kinds = [event.type for event in events]
    assert (
        kinds[0] == "response.created"
        and kinds[1] == "response.in_progress"
        and kinds[-1] == "response.completed"
    )
    assert [event.sequence_number for event in events] == list(range(len(events)))
    assert "response.reasoning_summary_text.delta" in kinds
    assert (
        "response.function_call_arguments.delta" in kinds and "response.function_call_arguments.done" in kinds
    )
    assert [item.type for item in final.output] == ["reasoning", "function_call"]
    assert json.loads(final.output[1].arguments) == {"city": "Kyoto"}


def test_raw_stream_has_event_lines(em: Emulator, http: Any) -> None:
    body = http.post(em.url + "/v1/responses", json={"model": "gpt-4o", "input": "hi", "stream": True}).text
    events = body.split("\n\n")[:-1]
    for event in events:
        name_line, data_line = event.split("\n")
        name = name_line.removeprefix("event: ")
        assert json.loads(data_line.removeprefix("data: "))["type"] == name
    deltas = [e for e in events if e.startswith("event: response.output_text.delta")]
    assert 'cannot answer "hi"' in "".join(json.loads(d.split("\n")[1][6:])["delta"] for d in deltas)


class Recipe(BaseModel):
    title: str
    servings: int


def test_structured_output_with_parse(em: Emulator, oai: Any) -> None:
    response = oai.responses.parse(
        model="gpt-4o", input='A recipe titled "Pad Thai" for 4', text_format=Recipe
    )
    assert response.output_parsed == Recipe(title="Pad Thai", servings=4)


def test_input_image_and_scripted_turn(em: Emulator, oai: Any) -> None:
    data_url = "data:image/png;base64," + base64.b64encode(png_bytes(12, 34)).decode()
    response = oai.responses.create(
        model="gpt-4o",
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What is it?"},
                    {"type": "input_image", "image_url": data_url},
                ],
            }
        ],
    )
    assert response.output_text.startswith("The image is a PNG image, 12x34 pixels.")
    em.script(Turn(text="scripted", reasoning="because"), door="responses")
    scripted = oai.responses.create(model="gpt-4o", input="x")
    assert scripted.output_text == "scripted" and scripted.output[0].summary[0].text == "because"


def test_previous_response_id_continues_a_stored_conversation(em: Emulator, oai: Any) -> None:
    first = oai.responses.create(model="gpt-4o", input="What is the weather in Lima?", tools=[WEATHER])
    (call,) = first.output
    second = oai.responses.create(
        model="gpt-4o",
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "cloudy"}],
        tools=[WEATHER],
    )
    assert second.output_text == "get_weather returned cloudy."  # the call's name came from the stored turn
    assert second.previous_response_id == first.id
    with pytest.raises(openai.NotFoundError) as caught:
        oai.responses.create(model="gpt-4o", input="x", previous_response_id="resp_missing")
    assert caught.value.param == "previous_response_id"
    unstored = oai.responses.create(model="gpt-4o", input="x", store=False)
    with pytest.raises(openai.NotFoundError):
        oai.responses.create(model="gpt-4o", input="y", previous_response_id=unstored.id)
