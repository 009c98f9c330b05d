"""Performance shortcuts send exactly what the slow paths sent (the benchmarks/ issue's fixes).

- The OpenAI dialects hand the request body to the SDK through `extra_body`, skipping the SDK's
  typed transform (~0.3 ms per message): the JSON on the wire must be byte-for-byte the same.
- Tool declarations are built once per tool and shared across turns.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest

import agentkit as ak
from agentkit.dialects import openai as chat_dialect
from agentkit.dialects import responses as responses_dialect
from agentkit.dialects.base import ModelRequest, OutputSpec, declaration
from agentkit.dialects.shared import body_as_extra
from agentkit.messages import Image, Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@ak.tool
def get_weather(city: str, unit: Literal["c", "f"] = "c") -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: City name.
        unit: Temperature unit.
    """
    return {"city": city}


def _history() -> list[Message]:
    return [
        Message.system("You are terse."),
        Message.user("What is in this picture, and the weather in Paris?", Image(data=PNG, mime_type="image/png")),
        Message("assistant", [ReasoningPart("Look, then call.", dialect="openai", extra={"field": "reasoning_content"}),
                              TextPart("Checking."),
                              ToolCallPart("call_1", "get_weather", {"city": "Paris", "unit": "c"})]),
        Message("tool", [ToolResultPart("call_1", "get_weather", (TextPart('{"city": "Paris"}'),))]),
        Message("assistant", [TextPart("Sunny, and a white square.")]),
        Message.user("Thanks! Now in one word?"),
    ]


def _sent_body(api: Literal["chat", "responses"], kwargs: dict[str, Any]) -> dict[str, Any]:
    import httpx2
    import openai

    bodies: list[dict[str, Any]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        bodies.append(json.loads(request.content))
        return httpx2.Response(400, json={"error": {"message": "captured", "type": "invalid_request_error"}})

    client = openai.OpenAI(base_url="http://relay.invalid/v1", api_key="sk-test", max_retries=0,
                           http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))
    with pytest.raises(openai.BadRequestError):
        if api == "chat":
            client.chat.completions.create(**kwargs)
        else:
            client.responses.create(**kwargs)
    return bodies[0]


OPTIONS: list[dict[str, Any]] = [
    {},
    {"temperature": 0.2, "max_tokens": 300, "top_p": 0.9, "metadata": {"run": "7"}},
    {"reasoning": "high", "parallel_tool_calls": False, "extra_body": {"top_k": 5, "temperature": 1.0}},
]


@pytest.mark.parametrize("options", OPTIONS, ids=["plain", "options", "extra_body"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_chat_completions_body_is_unchanged(options: dict[str, Any], stream: bool) -> None:
    request = ModelRequest(model="gpt-4o", history=_history(), tools=[get_weather], options=options,
                           output=OutputSpec(schema={"type": "object", "properties": {"w": {"type": "string"}},
                                                     "required": ["w"], "additionalProperties": False}))
    kwargs = chat_dialect.encode(request)
    if stream:
        kwargs = {**kwargs, "stream": True, "stream_options": {"include_usage": True}}
    assert _sent_body("chat", body_as_extra(kwargs, messages=[])) == _sent_body("chat", kwargs)


@pytest.mark.parametrize("options", OPTIONS, ids=["plain", "options", "extra_body"])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_responses_body_is_unchanged(options: dict[str, Any], stream: bool) -> None:
    history = [m for m in _history() if not any(isinstance(p, ReasoningPart) for p in m.parts)]
    request = ModelRequest(model="gpt-4o", history=history, tools=[get_weather], options=options)
    kwargs = responses_dialect.encode(request)
    if stream:
        kwargs = {**kwargs, "stream": True}
    fast = body_as_extra(kwargs, "responses")
    assert _sent_body("responses", fast) == _sent_body("responses", kwargs)


def test_an_option_the_sdk_does_not_know_is_still_refused_before_sending() -> None:
    kwargs = body_as_extra({"model": "gpt-4o", "messages": [], "frobnicate": 1}, messages=[])
    assert kwargs["frobnicate"] == 1 and "frobnicate" not in kwargs["extra_body"]
    with pytest.raises(TypeError, match="frobnicate"):
        _sent_body("chat", kwargs)


def test_a_tool_declaration_is_built_once_and_follows_changes() -> None:
    @ak.tool
    def lookup(term: str) -> str:
        """Look a term up."""
        return term

    first = declaration(lookup, "anthropic")
    assert declaration(lookup, "anthropic") is first  # shared across turns, not rebuilt
    assert first == lookup.to_schema("anthropic")
    lookup.description = "Find a term in the glossary."
    assert declaration(lookup, "anthropic")["description"] == "Find a term in the glossary."
    assert declaration(lookup, "openai")["function"]["name"] == "lookup"
    assert lookup.to_schema("anthropic") is not lookup.to_schema("anthropic")  # the public one stays fresh
