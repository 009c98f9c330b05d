"""Trust, then verify: a gateway that silently drops how the answer was asked for.

Translating gateways drop the parameters they do not map (an Anthropic `output_config`, an OpenAI
`response_format`, a Gemini response schema, a forced `tool_choice`) without an error: the model never
sees the format and answers in prose. The agent must notice, fall back exactly as after a 400
(forced tool, then JSON in the prompt), warn with the reason, and remember what works per relay and
model. The emulator's `Fault.ignore_fields` plays the gateway: the model answers as if the field was
never sent, while the request log shows what agentkit sent.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pydantic
import pytest

import agentkit as ak
from agentkit.output import OutputFallbackWarning
from tests.output.test_agent_output import _native

# What a gateway drops, per door: the native structured-output parameters.
NATIVE_FIELD = {
    "gpt-4o": ("response_format",),
    "responses:gpt-4o": ("text.format",),
    "claude-sonnet-4-5": ("output_config",),
    "gemini-2.5-pro": ("generationConfig.responseJsonSchema", "generationConfig.responseMimeType"),
}
# ... and the forced choice of the final-answer tool.
FORCE_FIELD = {
    "gpt-4o": "tool_choice",
    "responses:gpt-4o": "tool_choice",
    "claude-sonnet-4-5": "tool_choice",
    "gemini-2.5-pro": "toolConfig",
}


class Expense(pydantic.BaseModel):
    item: str
    amount: float


def _forced(record: Any) -> bool:
    return "final_result" in json.dumps(record.body)


@pytest.mark.parametrize("streaming", [False, True], ids=["call", "stream"])
@pytest.mark.parametrize("model", list(NATIVE_FIELD))
def test_a_dropped_native_format_falls_back_to_the_forced_tool(relay: Any, model: str, streaming: bool) -> None:
    relay.emulator.fault(ak.emulator.Fault.ignore_fields(*NATIVE_FIELD[model]), count=None)
    agent = ak.Agent(model, relay=relay, display=False)
    with pytest.warns(OutputFallbackWarning, match="prose") as caught:
        if streaming:
            stream = agent.stream("Extract the expense: a coffee for 3.5 euros", output=Expense)
            for _ in stream:
                pass
            reply = stream.reply
        else:
            reply = agent("Extract the expense: a coffee for 3.5 euros", output=Expense)
    assert isinstance(reply.output, Expense)
    (warning,) = [w for w in caught if issubclass(w.category, OutputFallbackWarning)]
    assert repr(model.split(":")[-1]) in str(warning.message) and "forced call" in str(warning.message)
    first, second = relay.emulator.log
    assert _native(first) is not None and not _forced(first)  # asked natively first ...
    assert _native(second) is None and _forced(second)  # ... then by the forced tool
    # The prose answer is not kept: the prompt, then the forced call and its result.
    assert [m.role for m in agent.history] == ["user", "assistant", "tool"]
    assert [c.name for c in agent.history[1].tool_calls] == ["final_result"]


@pytest.mark.parametrize("model", list(NATIVE_FIELD))
def test_what_works_is_remembered_for_the_relay_and_model(relay: Any, model: str) -> None:
    relay.emulator.fault(ak.emulator.Fault.ignore_fields(*NATIVE_FIELD[model]), count=None)
    with pytest.warns(OutputFallbackWarning):
        ak.Agent(model, relay=relay, display=False)("Extract: tea for 2 euros", output=Expense)
    requests = len(relay.emulator.log)
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutputFallbackWarning)  # no new drop, no new warning
        reply = ak.Agent(model, relay=relay, display=False)("Extract: cake for 4 euros", output=Expense)
    assert isinstance(reply.output, Expense)
    assert len(relay.emulator.log) == requests + 1  # a new agent on the same relay asks the working way at once
    assert _forced(relay.emulator.log.last)


def test_the_memory_is_per_model_and_per_relay(relay: Any) -> None:
    relay.emulator.fault(ak.emulator.Fault.ignore_fields("output_config"), count=None, model="claude-sonnet-4-5")
    with pytest.warns(OutputFallbackWarning):
        ak.Agent("claude-sonnet-4-5", relay=relay, display=False)("Extract: tea for 2 euros", output=Expense)
    ak.Agent("claude-opus-4-1", relay=relay, display=False)("Extract: tea for 2 euros", output=Expense)
    assert _native(relay.emulator.log.last) is not None  # another model still starts natively
    with ak.emulator.serve() as other:
        ak.Agent("claude-sonnet-4-5", relay=other, display=False)("Extract: tea for 2 euros", output=Expense)
        assert _native(other.emulator.log.last) is not None  # another relay too


@pytest.mark.parametrize("model", list(NATIVE_FIELD))
def test_a_dropped_forced_tool_too_ends_at_json_in_the_prompt(relay: Any, model: str) -> None:
    fault = ak.emulator.Fault.ignore_fields(*NATIVE_FIELD[model], FORCE_FIELD[model])
    relay.emulator.fault(fault, count=None)
    relay.emulator.script("I'd say a coffee, 3.5.", "Coffee, three and a half.", '{"item": "coffee", "amount": 3.5}')
    agent = ak.Agent(model, relay=relay, display=False)
    with pytest.warns(OutputFallbackWarning) as caught:
        reply = agent("Extract the expense: a coffee for 3.5 euros", output=Expense)
    assert reply.output == Expense(item="coffee", amount=3.5)
    messages = [str(w.message) for w in caught if issubclass(w.category, OutputFallbackWarning)]
    assert len(messages) == 2
    assert "prose" in messages[0] and "without calling the forced tool `final_result`" in messages[1]
    assert "JSON requested in the system prompt" in messages[1]
    assert "matches this JSON Schema" in json.dumps(relay.emulator.log.last.body)
    assert [m.role for m in agent.history] == ["user", "assistant"]


def test_prose_asked_for_in_the_prompt_is_re_asked_not_a_drop(relay: Any) -> None:
    relay.output_modes[("openai", "gpt-4o")] = "prompt"  # nothing left to fall back to: the model slipped
    relay.emulator.script("A coffee, 3.5 euros.", '{"item": "coffee", "amount": 3.5}')
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutputFallbackWarning)
        reply = agent("Extract the expense: a coffee for 3.5 euros", output=Expense)
    assert reply.output == Expense(item="coffee", amount=3.5)
    assert "not valid JSON" in reply.messages[2].text  # re-asked with the reason


def test_an_honoured_format_with_a_tool_call_is_not_a_drop(relay: Any) -> None:
    @ak.tool
    def price_of(item: str) -> float:
        """The price of an item in euros."""
        return 3.5

    agent = ak.Agent("claude-sonnet-4-5", relay=relay, display=False, tools=[price_of])
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutputFallbackWarning)
        reply = agent("Use price_of for coffee, then give the expense", output=Expense)
    assert isinstance(reply.output, Expense)
    assert all(_native(r) is not None for r in relay.emulator.log)
