"""Structured output end to end on the emulator, in all four dialects, through the official SDKs.

A user asks `agent(..., output=T)` and gets a `T` in `reply.output`: sent with each dialect's
native mechanism, validated, converted, repaired by re-asking when the model's first answer is
invalid, and still delivered when a relay rejects the native parameter (forced tool, then JSON in
the prompt). Refusals raise a clear error; partial objects stream; tools and output work together.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import warnings
from typing import Any, Literal, TypedDict

import pydantic
import pytest

import agentkit as ak
from agentkit.events import OutputDelta, TextDelta
from agentkit.messages import ToolCallPart, ToolResultPart
from agentkit.output import OutputFallbackWarning
from tests.vision._recorded import serve

MODELS = ["gpt-4o", "responses:gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"]


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Address(pydantic.BaseModel):
    street: str
    city: str
    zip_code: str | None = None


class LineItem(pydantic.BaseModel):
    name: str
    quantity: int
    unit: Literal["kg", "piece", "litre"] = "piece"


class Order(pydantic.BaseModel):
    """An order, as written in the prompt."""

    customer: str
    ship_to: Address
    items: list[LineItem]
    color: Color
    gift: bool = False
    note: str | None = None


@dataclasses.dataclass
class Point:
    x: float
    y: float
    label: str | None = None


class Person(TypedDict):
    name: str
    age: int


TYPES: dict[str, Any] = {
    "nested pydantic": Order,
    "dataclass": Point,
    "TypedDict": Person,
    "list of objects": list[LineItem],
    "enum": Color,
    "JSON Schema dict": {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b", "c"]}},
            "rating": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        },
        "required": ["title", "tags"],
    },
}


def _native(record: Any) -> dict[str, Any] | None:
    """The schema a request carried natively, read from the wire body of its door."""
    body = record.body
    if record.door == "openai":
        fmt = body.get("response_format")
        assert fmt is None or (fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True)
        return fmt["json_schema"]["schema"] if fmt else None
    if record.door == "responses":
        fmt = (body.get("text") or {}).get("format")
        return fmt["schema"] if fmt and fmt.get("type") == "json_schema" else None
    if record.door == "anthropic":
        fmt = (body.get("output_config") or {}).get("format")
        return fmt["schema"] if fmt else None
    config = body.get("generationConfig") or {}
    schema = config.get("responseJsonSchema") or config.get("response_json_schema")
    if schema is not None:
        assert (config.get("responseMimeType") or config.get("response_mime_type")) == "application/json"
    return schema


def _valid(output: Any, kind: Any) -> None:
    if isinstance(kind, dict):
        assert isinstance(output, dict) and isinstance(output["title"], str)
        assert set(output["tags"]) <= {"a", "b", "c"}
    elif kind == list[LineItem]:
        assert isinstance(output, list) and all(isinstance(i, LineItem) for i in output)
    elif kind is Person:
        assert isinstance(output, dict) and isinstance(output["name"], str) and isinstance(output["age"], int)
    else:
        assert isinstance(output, kind)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("label", list(TYPES))
def test_every_output_type_in_every_dialect(relay: Any, model: str, label: str) -> None:
    kind = TYPES[label]
    agent = ak.Agent(model, relay=relay, display=False)
    reply = agent("Order for Ada Lovelace: 3 kg of apples to 12 Main Street, London, in red.", output=kind)
    _valid(reply.output, kind)
    (record,) = relay.emulator.log
    assert _native(record) is not None  # sent natively, in the dialect's own parameter
    assert reply.turns == 1


@pytest.mark.parametrize("model", MODELS)
def test_an_invalid_first_answer_is_repaired_by_asking_again(relay: Any, model: str) -> None:
    relay.emulator.script('{"customer": "Ada", "items": [')  # cut short: JSON, but not valid
    agent = ak.Agent(model, relay=relay, display=False, max_turns=1)  # re-asks are not turns
    reply = agent("Order for Ada: 2 pieces of cake to 1 High Street, Oxford, green.", output=Order)
    assert isinstance(reply.output, Order)
    assert len(relay.emulator.log) == 2
    reask = reply.messages[2]
    assert reask.role == "user" and "not valid JSON" in reask.text and "Order" in reask.text
    assert _native(relay.emulator.log[1]) is not None  # still asked natively


@pytest.mark.parametrize("model", MODELS)
def test_schema_errors_are_sent_back_field_by_field(relay: Any, model: str) -> None:
    relay.emulator.script(json.dumps({"name": "Ada", "age": "old"}))
    reply = ak.Agent(model, relay=relay, display=False)("Ada is 36.", output=Person)
    assert reply.output["name"] and isinstance(reply.output["age"], int)
    assert "Field `age` must be an integer" in reply.messages[2].text


@pytest.mark.parametrize("model", MODELS)
def test_when_every_re_ask_fails_the_raw_answer_is_kept(relay: Any, model: str) -> None:
    relay.emulator.script('{"x": ', '{"x": 1, "y": ', '{"x": 1}')
    agent = ak.Agent(model, relay=relay, display=False, output_retries=2)
    with pytest.raises(ak.OutputValidationError) as caught:
        agent("A point please", output=Point)
    error = caught.value
    assert error.raw == '{"x": 1}'
    assert any("`y` is missing" in e for e in error.errors)
    assert "output_retries" in str(error)
    assert len(relay.emulator.log) == 3
    assert [m.role for m in agent.history] == ["user", "assistant", "user", "assistant", "user", "assistant"]
    reply = agent("Try once more", output=Point)  # the history is still usable
    assert isinstance(reply.output, Point)


def test_output_retries_zero_raises_at_once(relay: Any) -> None:
    relay.emulator.script('{"x": "one"}')
    with pytest.raises(ak.OutputValidationError):
        ak.Agent("gpt-4o", relay=relay, display=False, output_retries=0)("x", output=Point)
    assert len(relay.emulator.log) == 1


def test_the_agent_default_output_and_a_per_call_override(relay: Any) -> None:
    agent = ak.Agent("claude-sonnet-4-5", relay=relay, display=False, output=Person)
    assert isinstance(agent("Bob is 7.").output, dict)
    assert isinstance(agent("Point 1, 2", output=Point).output, Point)
    assert agent("plain", output=None).output is not None  # None means "the agent's default"


def test_a_bad_output_type_fails_at_construction(relay: Any) -> None:
    with pytest.raises(ak.ConfigurationError, match="output="):
        ak.Agent("gpt-4o", relay=relay, display=False, output=42)
    with pytest.raises(ak.ConfigurationError, match="not a valid JSON Schema"):
        ak.Agent("gpt-4o", relay=relay, display=False, output={"type": "objekt"})


# ------------------------------------------------------------------------------ fallbacks


@pytest.mark.parametrize("model", MODELS)
def test_a_relay_rejecting_the_native_parameter_gets_a_forced_tool_call(relay: Any, model: str) -> None:
    relay.emulator.fault(ak.emulator.Fault.http_error(400, "Unrecognized request argument supplied"))
    agent = ak.Agent(model, relay=relay, display=False)
    with pytest.warns(OutputFallbackWarning, match="forced call of the final-answer tool"):
        reply = agent("Order for Ada: 2 pieces of cake to 1 High Street, Oxford, green.", output=Order)
    assert isinstance(reply.output, Order)
    rejected, forced = relay.emulator.log
    assert _native(rejected) is not None and _native(forced) is None
    assert "final_result" in json.dumps(forced.body.get("tools") or forced.body.get("config") or forced.body)
    calls = [p for m in agent.history for p in m.parts if isinstance(p, ToolCallPart)]
    results = [p for m in agent.history for p in m.parts if isinstance(p, ToolResultPart)]
    assert {c.name for c in calls} == {"final_result"}  # Gemini has no way to forbid parallel calls
    assert [r.call_id for r in results] == [c.id for c in calls]  # each has a result: the history is valid
    assert not results[0].is_error
    assert reply.tool_calls == []  # the final-answer tool is not one of the user's tools
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutputFallbackWarning)  # remembered: no new rejection, no new warning
        assert isinstance(agent("Another order: Bob, 1 kg of flour, 2 Low Road, Leeds, red.", output=Order).output,
                          Order)
    assert _native(relay.emulator.log.last) is None


@pytest.mark.parametrize("model", MODELS)
def test_then_json_in_the_prompt(relay: Any, model: str) -> None:
    relay.emulator.fault(ak.emulator.Fault.http_error(400, "Unknown parameter"), count=2)
    relay.emulator.script('```json\n{"name": "Ada", "age": 36}\n```')  # a fenced answer is fine
    agent = ak.Agent(model, relay=relay, display=False, system="Be brief.")
    with pytest.warns(OutputFallbackWarning) as caught:
        reply = agent("Ada is 36.", output=Person)
    assert reply.output == {"name": "Ada", "age": 36}
    fallbacks = [str(w.message) for w in caught if issubclass(w.category, OutputFallbackWarning)]
    assert len(fallbacks) == 2 and "JSON requested in the system prompt" in fallbacks[-1]
    last = relay.emulator.log.last
    assert _native(last) is None and "final_result" not in json.dumps(last.body)
    sent = json.dumps(last.body)
    assert "matches this JSON Schema" in sent and "age" in sent and "Be brief." in sent


def test_when_every_way_is_rejected_the_first_error_is_raised(relay: Any) -> None:
    relay.emulator.fault(ak.emulator.Fault.http_error(400, "response_format is not supported"), count=None)
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    with pytest.warns(OutputFallbackWarning), pytest.raises(ak.BadRequestError, match="response_format"):
        agent("Ada is 36.", output=Person)
    assert len(relay.emulator.log) == 3
    assert agent.history == []  # the unanswered prompt is removed: calling again starts clean


# ------------------------------------------------------------------------------ tools + output


@ak.tool
def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: City name.
    """
    return {"city": city, "temperature": 21}


class Forecast(pydantic.BaseModel):
    city: str
    temperature: int


@pytest.mark.parametrize("model", [*MODELS, "gemini-3-pro-preview"])
def test_tools_first_and_the_typed_answer_last(relay: Any, model: str) -> None:
    agent = ak.Agent(model, tools=[get_weather], relay=relay, display=False)
    reply = agent("What is the weather in Paris? Use get_weather.", output=Forecast)
    assert [c.name for c in reply.tool_calls] == ["get_weather"]
    assert reply.output == Forecast(city="Paris", temperature=21) or reply.output.temperature == 21
    first = relay.emulator.log[0]
    if model == "gemini-2.5-pro":
        # Gemini before 3 rejects function declarations with a response schema: the answer
        # comes through the forced final-answer tool instead (see agentkit.output).
        assert _native(first) is None and "final_result" in json.dumps(first.body)
        assert [m.role for m in agent.history][-2:] == ["assistant", "tool"]
    else:
        assert _native(first) is not None


# ------------------------------------------------------------------------------ streaming


@pytest.mark.parametrize("model", [*MODELS, "tool mode"])
def test_partial_objects_stream(relay: Any, model: str) -> None:
    tools: list[Any] = []
    if model == "tool mode":
        model, tools = "gemini-2.5-pro", [get_weather]
    relay.emulator.script(json.dumps({"customer": "Ada Lovelace", "ship_to": {"street": "1 High Street",
                                      "city": "Oxford"}, "items": [{"name": "cake", "quantity": 2}],
                                      "color": "green"}), door=None) if not tools else None
    agent = ak.Agent(model, tools=tools, relay=relay, display=False)
    stream = agent.stream("Order for Ada Lovelace: 2 pieces of cake to 1 High Street, Oxford, green.", output=Order)
    partials = [e.partial for e in stream if isinstance(e, OutputDelta)]
    reply = stream.reply
    assert reply is not None and isinstance(reply.output, Order)
    assert partials, "partial objects were streamed"
    assert all(isinstance(p, dict) for p in partials)
    final = {k: v for k, v in partials[-1].items() if v is not None}
    assert Order.model_validate(final) == reply.output


def test_partials_follow_the_text(relay: Any) -> None:
    text = json.dumps({"name": "Ada Lovelace", "age": 36})
    relay.emulator.script(text)
    stream = ak.Agent("gpt-4o", relay=relay, display=False).stream("Ada", output=Person)
    seen: list[tuple[str, Any]] = []
    for event in stream:
        if isinstance(event, TextDelta):
            seen.append(("text", event.text))
        elif isinstance(event, OutputDelta):
            seen.append(("partial", event.partial))
    assert "".join(t for kind, t in seen if kind == "text") == text
    assert seen[-1] == ("partial", {"name": "Ada Lovelace", "age": 36})
    assert stream.reply is not None and stream.reply.output == {"name": "Ada Lovelace", "age": 36}


# ------------------------------------------------------------------------------ refusals


_REFUSAL = "I'm sorry, I can't help with that request."
_REFUSED_BODIES = {
    "openai": {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
               "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                            "message": {"role": "assistant", "content": None, "refusal": _REFUSAL}}],
               "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}},
    "responses": {"id": "resp_1", "object": "response", "created_at": 1, "model": "gpt-4o", "status": "completed",
                  "output": [{"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                              "content": [{"type": "refusal", "refusal": _REFUSAL}]}],
                  "usage": {"input_tokens": 5, "output_tokens": 5, "total_tokens": 10}},
    "anthropic": {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
                  "content": [{"type": "text", "text": _REFUSAL}], "stop_reason": "refusal", "stop_sequence": None,
                  "usage": {"input_tokens": 5, "output_tokens": 5}},
}


@pytest.mark.parametrize("dialect", list(_REFUSED_BODIES))
def test_a_refusal_raises_with_the_models_words(dialect: str) -> None:
    recording = {"status": 200, "stream": False, "response_body": _REFUSED_BODIES[dialect],
                 "response_headers": {"content-type": "application/json"}}
    with serve(recording) as server:
        agent = ak.Agent(f"{dialect}:gpt-4o", relay=ak.Relay(server.url, api_key="sk-test"), display=False)
        with pytest.raises(ak.OutputRefusedError, match="refused") as caught:
            agent("How do I pick a lock?", output=Person)
    assert caught.value.refusal == _REFUSAL
    assert len(server.posts) == 1  # a refusal is not re-asked
    assert [m.role for m in agent.history] == ["user", "assistant"]
