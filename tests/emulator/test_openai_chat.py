"""The OpenAI Chat Completions door, through the official openai SDK (and raw bytes where framing matters)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import openai
import pytest
from pydantic import BaseModel

from agentkit.emulator import Call, Emulator, Turn

from .test_model import png_bytes

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
        "strict": True,
    },
}


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def sse_payloads(body: str) -> list[Any]:
    """The JSON payloads of a data-only SSE body, asserting the OpenAI framing on the way."""
    assert body.endswith("data: [DONE]\n\n")
    events = body.split("\n\n")[:-1]
    assert all(event.startswith("data: ") and "\n" not in event for event in events)
    return [json.loads(event[len("data: ") :]) for event in events[:-1]]


def test_plain_text_answer(em: Emulator, oai: Any) -> None:
    raw = oai.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=user("Hello there"))
    completion = raw.parse()
    assert 'cannot answer "Hello there"' in completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert re.fullmatch(r"chatcmpl-[A-Za-z0-9]{29}", completion.id)
    assert (
        completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    body = raw.http_response.text
    assert body.startswith('{\n  "id": "chatcmpl-')  # pretty-printed like the real API
    message = json.loads(body)["choices"][0]["message"]
    assert message["refusal"] is None and message["annotations"] == []
    assert raw.headers["openai-version"] == "2020-10-01" and raw.headers["x-request-id"].startswith("req_")


def test_single_tool_call(em: Emulator, oai: Any) -> None:
    completion = oai.chat.completions.create(
        model="gpt-4o", messages=user("What is the weather in Paris?"), tools=[WEATHER_TOOL]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls
    assert re.fullmatch(r"call_[A-Za-z0-9]{24}", call.id)
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_weather", {"city": "Paris"})


def test_parallel_calls_and_the_answer_after_results(em: Emulator, oai: Any) -> None:
    messages = user("What's the weather like in San Francisco and Boston?")
    first = oai.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER_TOOL])
    calls = first.choices[0].message.tool_calls
    assert [json.loads(c.function.arguments)["city"] for c in calls] == ["San Francisco", "Boston"]
    messages = [
        *messages,
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": calls[0].id, "content": "18C, foggy"},
        {"role": "tool", "tool_call_id": calls[1].id, "content": "9C, rain"},
    ]
    second = oai.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER_TOOL])
    assert (
        second.choices[0].message.content == "get_weather returned 18C, foggy; get_weather returned 9C, rain."
    )


def test_stream_text_with_usage(em: Emulator, oai: Any, http: Any) -> None:
    with oai.chat.completions.stream(
        model="gpt-4o-mini", messages=user("Stream this please"), stream_options={"include_usage": True}
    ) as stream:
        deltas = [event.delta for event in stream if event.type == "content.delta"]
        final = stream.get_final_completion()
    assert "".join(deltas) == final.choices[0].message.content
    assert 'cannot answer "Stream this please"' in "".join(deltas)
    assert final.usage is not None and final.usage.completion_tokens > 0
    body = http.post(
        em.url + "/v1/chat/completions",
        json={
            "model": "gpt-4o-mini",
            "messages": user("Hi"),
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    ).text
    chunks = sse_payloads(body)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert all("usage" in c and "obfuscation" in c for c in chunks)
    assert chunks[-2]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    assert all(c["usage"] is None for c in chunks[:-1])


def test_stream_tool_call_deltas_by_index(em: Emulator, oai: Any, http: Any) -> None:
    request = {
        "model": "gpt-4o",
        "messages": user("weather in Paris and Rome?"),
        "tools": [WEATHER_TOOL],
        "stream": True,
    }
    chunks = sse_payloads(http.post(em.url + "/v1/chat/completions", json=request).text)
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas[0]["role"] == "assistant" and deltas[0]["content"] is None and deltas[0]["refusal"] is None
    assert deltas[0]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": ""}
    headers = [d["tool_calls"][0] for d in deltas if "tool_calls" in d and "id" in d["tool_calls"][0]]
    assert [h["index"] for h in headers] == [0, 1] and all(h["type"] == "function" for h in headers)
    fragments = [d["tool_calls"][0] for d in deltas if "tool_calls" in d and "id" not in d["tool_calls"][0]]
    assert all(set(f) == {"index", "function"} and set(f["function"]) == {"arguments"} for f in fragments)
    indexes = [f["index"] for f in fragments]
    assert indexes == sorted(indexes)  # all of call 0, then call 1
    assert deltas[-1] == {} and chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    with oai.chat.completions.stream(
        model="gpt-4o", messages=user("weather in Paris and Rome?"), tools=[WEATHER_TOOL]
    ) as s:
        final = s.get_final_completion()
    assert [c.function.parsed_arguments for c in final.choices[0].message.tool_calls] == [
        {"city": "Paris"},
        {"city": "Rome"},
    ]


def test_reasoning_content_for_reasoning_models(em: Emulator, oai: Any) -> None:
    completion = oai.chat.completions.create(model="deepseek-r1", messages=user("Why is the sky blue?"))
    message = completion.choices[0].message
    assert "Why is the sky blue?" in message.model_extra["reasoning_content"]
    assert completion.usage.completion_tokens_details.reasoning_tokens > 0
    with oai.chat.completions.stream(model="deepseek-reasoner", messages=user("Why?")) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.model_extra["reasoning_content"].startswith("The user wrote")
    plain = oai.chat.completions.create(model="gpt-4o", messages=user("Why?"))
    assert "reasoning_content" not in (plain.choices[0].message.model_extra or {})
    effort = oai.chat.completions.create(model="gpt-5-nano", messages=user("Why?"), reasoning_effort="low")
    assert effort.choices[0].message.model_extra["reasoning_content"]


class City(BaseModel):
    city: str
    country: str
    population: int


def test_structured_output_with_parse(em: Emulator, oai: Any) -> None:
    completion = oai.chat.completions.parse(
        model="gpt-4o", messages=user("Tell me about London, population 9002488"), response_format=City
    )
    parsed = completion.choices[0].message.parsed
    assert parsed == City(city="London", country="example country", population=9002488)


def test_json_mode(em: Emulator, oai: Any) -> None:
    completion = oai.chat.completions.create(
        model="gpt-4o", messages=user("Say hi as JSON"), response_format={"type": "json_object"}
    )
    answer = json.loads(completion.choices[0].message.content)
    assert list(answer) == ["response"] and 'cannot answer "Say hi as JSON"' in answer["response"]


def test_vision_data_url_and_remote_url(em: Emulator, oai: Any) -> None:
    data_url = "data:image/png;base64," + base64.b64encode(png_bytes(640, 480)).decode()
    content = [
        {"type": "text", "text": "Describe this image."},
        {"type": "image_url", "image_url": {"url": data_url, "detail": "high"}},
    ]
    answer = oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": content}])
    assert answer.choices[0].message.content.startswith("The image is a PNG image, 640x480 pixels.")
    remote = [{"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}]
    answer = oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": remote}])
    assert answer.choices[0].message.content == "The image is a remote image at https://example.com/cat.jpg."


def test_scripted_turns_then_the_rules(em: Emulator, oai: Any) -> None:
    em.script(
        Turn(
            text="Let me check.", tool_calls=[Call("get_weather", {"city": "Lima"}), ("get_time", '{"tz": ')]
        ),
        "Scripted answer.",
    )
    first = oai.chat.completions.create(model="gpt-4o", messages=user("anything"), tools=[WEATHER_TOOL])
    message = first.choices[0].message
    assert message.content == "Let me check."
    assert [(c.function.name, c.function.arguments) for c in message.tool_calls] == [
        ("get_weather", '{"city": "Lima"}'),
        ("get_time", '{"tz": '),  # raw, invalid JSON on purpose
    ]
    assert (
        oai.chat.completions.create(model="gpt-4o", messages=user("x")).choices[0].message.content
        == "Scripted answer."
    )
    assert 'cannot answer "x"' in oai.chat.completions.create(model="gpt-4o", messages=user("x")).choices[0].message.content


def test_scripts_can_target_a_door_and_model(em: Emulator, oai: Any) -> None:
    em.script("for deepseek", model="deepseek-chat").script("for anthropic", door="anthropic")
    assert 'cannot answer "a"' in oai.chat.completions.create(model="gpt-4o", messages=user("a")).choices[0].message.content
    answer = oai.chat.completions.create(model="deepseek-chat", messages=user("a")).choices[0].message
    assert answer.content == "for deepseek"
    assert len(em._core.script.pending) == 1


async def test_async_client_and_stream(em: Emulator, aoai: Any) -> None:
    completion = await aoai.chat.completions.create(model="gpt-4o", messages=user("async hello"))
    assert 'cannot answer "async hello"' in completion.choices[0].message.content
    stream = await aoai.chat.completions.create(model="gpt-4o", messages=user("async stream"), stream=True)
    text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])
    assert 'cannot answer "async stream"' in text


@pytest.mark.parametrize("prefix", ["/v1", "/openai", "/openai/v1", ""])
def test_prefixed_doors(em: Emulator, prefix: str) -> None:
    client = openai.OpenAI(base_url=em.url + prefix, api_key="k", max_retries=0)
    assert (
        client.chat.completions.create(model="deepseek/deepseek-r1", messages=user("p"))
        .choices[0]
        .message.content
    )
    assert client.models.list().data[0].id
    assert em.log[0].path == f"{prefix}/chat/completions"


def test_deepseek_models_get_deepseek_shapes(em: Emulator, http: Any) -> None:
    body = http.post(
        em.url + "/chat/completions",
        json={"model": "deepseek-reasoner", "messages": user("weather in Paris"), "tools": [WEATHER_TOOL]},
    ).json()
    message = body["choices"][0]["message"]
    assert set(message) == {"role", "content", "reasoning_content", "tool_calls"}
    assert message["tool_calls"][0]["index"] == 0
    assert {"prompt_cache_hit_tokens", "prompt_cache_miss_tokens"} <= set(body["usage"])


def test_models_endpoint(em: Emulator, oai: Any) -> None:
    ids = [model.id for model in oai.models.list()]
    assert "gpt-4o" in ids and "deepseek/deepseek-r1" in ids
    assert oai.models.retrieve("claude-sonnet-4-5").owned_by == "anthropic"
    assert em.log.last.door == "models"


def test_bad_requests_get_openai_errors(em: Emulator, oai: Any, http: Any) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(model="gpt-4o", messages=[])
    assert caught.value.param == "messages" and caught.value.type == "invalid_request_error"
    response = http.post(
        em.url + "/v1/chat/completions", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert (
        response.status_code == 400 and "could not parse the JSON body" in response.json()["error"]["message"]
    )
    response = http.post(em.url + "/v1/nowhere", json={})
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_url"
    assert em.log.last.door == "unknown"


def test_strict_models_answer_unknown_models_with_404() -> None:
    with Emulator(strict_models=True, models=["gpt-4o"]) as strict:
        client = openai.OpenAI(base_url=strict.url + "/v1", api_key="k", max_retries=0)
        with pytest.raises(openai.NotFoundError) as caught:
            client.chat.completions.create(model="gpt-5.2-proo", messages=user("hi"))
        assert caught.value.code == "model_not_found"
        assert "gpt-5.2-proo" in caught.value.message
        assert client.chat.completions.create(model="gpt-4o", messages=user("hi")).choices[0].message.content
