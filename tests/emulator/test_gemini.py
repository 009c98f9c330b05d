"""The Gemini door, through the official google-genai SDK (and raw bytes where framing matters)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from google.genai import types
from pydantic import BaseModel

from agentkit.emulator import Emulator, Turn

from .test_model import png_bytes

WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Get the current weather in a city.",
    parameters_json_schema={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
)
NO_AFC = types.AutomaticFunctionCallingConfig(disable=True)


def config(**fields: Any) -> types.GenerateContentConfig:
    return types.GenerateContentConfig(automatic_function_calling=NO_AFC, **fields)


def test_text_answer_and_camel_case_body(em: Emulator, gem: Any, http: Any) -> None:
    response = gem.models.generate_content(model="gemini-2.0-flash", contents="Hello Gemini")
    assert 'cannot answer "Hello Gemini"' in response.text
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.usage_metadata.total_token_count > 0 and response.model_version == "gemini-2.0-flash"
    raw = http.post(
        em.url + "/v1beta/models/gemini-2.5-flash:generateContent",
        json={"contents": [{"parts": [{"text": "hi"}]}]},
    )
    assert raw.headers["content-type"] == "application/json; charset=UTF-8"
    assert raw.text.startswith('{\n  "candidates": [')
    body = raw.json()
    assert set(body) == {"candidates", "usageMetadata", "modelVersion", "responseId"}
    assert body["candidates"][0]["content"]["role"] == "model"
    assert "_" not in "".join(k for k in body["usageMetadata"])


def test_function_call_with_id_and_signature(em: Emulator, gem: Any) -> None:
    response = gem.models.generate_content(
        model="gemini-2.5-flash",
        contents="What's the weather in Paris?",
        config=config(tools=[types.Tool(function_declarations=[WEATHER])]),
    )
    (call,) = response.function_calls
    assert (call.name, call.args) == ("get_weather", {"city": "Paris"})
    assert re.fullmatch(r"call_[A-Za-z0-9]{24}", call.id or "")
    part = response.candidates[0].content.parts[0]
    assert part.thought_signature  # bytes, decoded from base64 by the SDK


def test_parallel_calls_and_function_response(em: Emulator, gem: Any) -> None:
    tools = [types.Tool(function_declarations=[WEATHER])]
    first = gem.models.generate_content(
        model="gemini-2.5-pro",
        contents="What is the weather in Paris and London?",
        config=config(tools=tools),
    )
    calls = first.function_calls
    assert [c.args["city"] for c in calls] == ["Paris", "London"]
    parts = first.candidates[0].content.parts
    assert parts[0].thought_signature and not parts[1].thought_signature  # only the first call is signed
    history = [
        types.Content(
            role="user", parts=[types.Part.from_text(text="What is the weather in Paris and London?")]
        ),
        first.candidates[0].content,
        types.Content(
            role="user",
            parts=[
                types.Part.from_function_response(name="get_weather", response={"output": "sunny"}),
                types.Part.from_function_response(name="get_weather", response={"error": "no data"}),
            ],
        ),
    ]
    second = gem.models.generate_content(model="gemini-2.5-pro", contents=history, config=config(tools=tools))
    assert second.text == "get_weather returned sunny; get_weather failed: no data."


def test_thoughts_with_include_thoughts(em: Emulator, gem: Any) -> None:
    thinking = types.ThinkingConfig(include_thoughts=True)
    response = gem.models.generate_content(
        model="gemini-2.5-pro", contents="Cross the street?", config=config(thinking_config=thinking)
    )
    thought, answer = response.candidates[0].content.parts
    assert thought.thought is True and thought.text.startswith("The user wrote")
    assert answer.thought_signature and 'cannot answer "Cross the street?"' in response.text
    assert response.usage_metadata.thoughts_token_count > 0
    hidden = gem.models.generate_content(model="gemini-2.5-pro", contents="x")
    assert [p.thought for p in hidden.candidates[0].content.parts] == [None]


def test_sse_stream_through_the_sdk(em: Emulator, gem: Any) -> None:
    chunks = list(
        gem.models.generate_content_stream(
            model="gemini-2.5-pro",
            contents="Stream a longer answer with many words in it please",
            config=config(thinking_config=types.ThinkingConfig(include_thoughts=True)),
        )
    )
    assert len(chunks) > 2
    assert chunks[0].candidates[0].content.parts[0].thought is True
    assert 'cannot answer "Stream a longer answer with many words in it please"' in "".join(
        c.text or "" for c in chunks
    )
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert all(c.candidates[0].finish_reason is None for c in chunks[:-1])


def test_raw_sse_framing(em: Emulator, http: Any) -> None:
    response = http.post(
        em.url + "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
        json={"contents": [{"role": "user", "parts": [{"text": "one two three four five six seven eight"}]}]},
    )
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["content-disposition"] == "attachment"
    body = response.text
    assert body.endswith("\r\n\r\n") and "[DONE]" not in body and "event:" not in body
    events = body.split("\r\n\r\n")[:-1]
    assert len(events) >= 2 and all(
        e.startswith('data: {"candidates": [{"content": {"parts": [{"text": ') for e in events
    )
    payloads = [json.loads(e[len("data: ") :]) for e in events]
    assert all("usageMetadata" in p and p["responseId"] == payloads[0]["responseId"] for p in payloads)
    separators = re.sub(r'"text": "(?:[^"\\]|\\.)*"', "", events[0]).replace('", "', "")
    assert ", " not in separators  # ": " after keys, no space after commas


def test_json_array_stream_without_alt(em: Emulator, http: Any) -> None:
    response = http.post(
        em.url + "/v1beta/models/gemini-3-flash-preview:streamGenerateContent",
        json={"contents": [{"role": "user", "parts": [{"text": "What is 5 times 3?"}]}]},
    )
    assert response.headers["content-type"] == "application/json; charset=UTF-8"
    assert response.text.startswith("[{\n") and response.text.endswith("\n]") and "\n,\r\n" in response.text
    chunks = json.loads(response.text)
    assert chunks[-1]["candidates"][0]["content"]["parts"] == [
        {"text": ""}
    ]  # Gemini 3 closes with an empty part
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"


def test_snake_case_and_camel_case_requests(em: Emulator, http: Any) -> None:
    schema = {"type": "object", "properties": {"first_name": {"type": "string"}}, "required": ["first_name"]}
    variants = [
        {
            "contents": [{"role": "user", "parts": [{"text": "Register Ada"}]}],
            "tools": [
                {
                    "function_declarations": [
                        {
                            "name": "register",
                            "description": "Register a person",
                            "parameters_json_schema": schema,
                        }
                    ]
                }
            ],
            "system_instruction": {"parts": [{"text": "sys"}]},
            "generation_config": {"thinking_config": {"include_thoughts": True}},
        },
        {
            "contents": [{"role": "user", "parts": [{"text": "Register Ada"}]}],
            "tools": [
                {
                    "functionDeclarations": [
                        {
                            "name": "register",
                            "description": "Register a person",
                            "parametersJsonSchema": schema,
                        }
                    ]
                }
            ],
            "systemInstruction": {"parts": [{"text": "sys"}]},
            "generationConfig": {"thinkingConfig": {"includeThoughts": True}},
        },
    ]
    for body in variants:
        answer = http.post(em.url + "/v1beta/models/gemini-2.5-flash:generateContent", json=body).json()
        parts = answer["candidates"][0]["content"]["parts"]
        assert parts[0]["thought"] is True
        assert parts[1]["functionCall"]["args"] == {"first_name": "Ada"}  # property names kept verbatim


def test_openapi_parameters_are_converted(em: Emulator, gem: Any) -> None:
    declaration = types.FunctionDeclaration(
        name="set_alarm",
        description="Set an alarm",
        parameters=types.Schema(
            type=types.Type.OBJECT,
            properties={
                "hour": types.Schema(type=types.Type.INTEGER),
                "label": types.Schema(type=types.Type.STRING, nullable=True),
            },
            required=["hour", "label"],
        ),
    )
    response = gem.models.generate_content(
        model="gemini-2.0-flash",
        contents="set alarm at 7",
        config=config(tools=[types.Tool(function_declarations=[declaration])]),
    )
    assert response.function_calls[0].args == {"hour": 7, "label": None}


class CityLocation(BaseModel):
    city: str
    country: str


def test_structured_output(em: Emulator, gem: Any) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
        "required": ["city", "country"],
    }
    raw = gem.models.generate_content(
        model="gemini-2.0-flash",
        contents="The city Kyoto in Japan",
        config=config(response_mime_type="application/json", response_json_schema=schema),
    )
    assert raw.parsed == {"city": "Kyoto", "country": "Japan"}
    typed = gem.models.generate_content(
        model="gemini-2.5-flash",
        contents="The city Kyoto in Japan",
        config=config(response_mime_type="application/json", response_schema=CityLocation),
    )
    assert typed.parsed == CityLocation(city="Kyoto", country="Japan")


def test_vision_inline_data(em: Emulator, gem: Any) -> None:
    response = gem.models.generate_content(
        model="gemini-2.0-flash",
        contents=[types.Part.from_bytes(data=png_bytes(8, 4), mime_type="image/png"), "Describe this image."],
    )
    assert response.text == 'The image is a PNG image, 8x4 pixels. You asked: "Describe this image."'
    modalities = {d.modality.value for d in response.usage_metadata.prompt_tokens_details}
    assert modalities == {"TEXT", "IMAGE"}


async def test_async_client(em: Emulator, gem: Any) -> None:
    response = await gem.aio.models.generate_content(model="gemini-2.5-flash", contents="async hi")
    assert 'cannot answer "async hi"' in response.text
    stream = await gem.aio.models.generate_content_stream(model="gemini-2.5-flash", contents="async stream")
    assert 'cannot answer "async stream"' in "".join([chunk.text or "" async for chunk in stream])


def test_scripted_turn_and_unknown_method(em: Emulator, gem: Any, http: Any) -> None:
    em.script(Turn(tool_calls=[("get_weather", {"city": "Quito"})]), door="gemini")
    response = gem.models.generate_content(
        model="gemini-2.5-flash",
        contents="x",
        config=config(tools=[types.Tool(function_declarations=[WEATHER])]),
    )
    assert response.function_calls[0].args == {"city": "Quito"}
    missing = http.post(em.url + "/v1beta/models/gemini-2.5-flash:embedContent", json={})
    assert missing.status_code == 404 and missing.json()["error"]["status"] == "NOT_FOUND"
    count = gem.models.count_tokens(model="gemini-2.5-flash", contents="count these words please")
    assert count.total_tokens > 0


@pytest.mark.parametrize("version", ["v1beta", "v1"])
def test_api_versions(em: Emulator, version: str) -> None:
    from google import genai

    client = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=em.url, api_version=version))
    assert 'cannot answer "v"' in client.models.generate_content(model="gemini-2.5-flash", contents="v").text
    assert em.log.last.path == f"/{version}/models/gemini-2.5-flash:generateContent"


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_an_agents_request_arrives_in_rest_spelling(em: Emulator, stream: bool) -> None:
    """What agentkit's Gemini dialect puts on the wire, as the emulator received it: the REST form."""
    import agentkit as ak

    def get_weather(city: str, unit: str | None = None) -> str:
        """Weather.

        Args:
            city: The city.
            unit: "c" or "f".
        """
        return "sunny"

    em.script(Turn(tool_calls=[("get_weather", {"city": "Quito"})]), Turn(text="Sunny."), door="gemini")
    agent = ak.Agent(
        "gemini-2.5-flash", tools=[get_weather], system="Be brief.", relay=ak.Relay(em.url), display=False
    )
    if stream:
        run = agent.stream("Weather in Quito?", temperature=0.3, reasoning="low")
        list(run)
        reply = run.reply
    else:
        reply = agent("Weather in Quito?", temperature=0.3, reasoning="low")
    assert reply is not None and reply.text == "Sunny."
    first, second = (record.body for record in em.log.for_door("gemini"))
    tool = ak.tool(get_weather).to_schema("gemini")
    assert first["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": tool["description"],
                    "parametersJsonSchema": tool["parameters_json_schema"],
                }
            ]
        }
    ]
    assert first["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert first["generationConfig"] == {
        "temperature": 0.3,
        "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 1024},
    }
    assert first["contents"] == [{"role": "user", "parts": [{"text": "Weather in Quito?"}]}]
    call, result = second["contents"][1:]
    assert call["role"] == "model" and call["parts"][-1]["functionCall"]["args"] == {"city": "Quito"}
    assert result == {
        "role": "user",
        "parts": [
            {
                "functionResponse": {
                    "id": call["parts"][-1]["functionCall"]["id"],
                    "name": "get_weather",
                    "response": {"output": "sunny"},
                }
            }
        ],
    }
    assert set(first) == set(second) == {"contents", "systemInstruction", "tools", "generationConfig"}
