"""agentkit through a real gateway: the LiteLLM proxy in front of the emulator, with only the gateway's
root URL pasted into `ak.Relay(root, api_key=...)`, as a user does.

Every dialect, through `agent()` and `agent.stream()`: text, two parallel tool calls, a vendor
switch mid-conversation, an image, structured output, an unknown model and a wrong key; text, tools,
images and structured output also for models the gateway serves from another vendor's API, where it
translates between formats. Where the gateway itself is at fault (it drops what it does not map),
the case is a strict xfail saying so.
"""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import pytest

import agentkit as ak
from tests.gateways.conftest import Running

# The first test may create the gateway's venv (about 80 s with a warm pip cache, a few minutes cold).
pytestmark = pytest.mark.timeout(1200)

DIALECTS = ["openai", "responses", "anthropic", "gemini"]
MODEL = {"openai": "gpt-4o", "responses": "responses:gpt-4o", "anthropic": "claude-sonnet-4-5",
         "gemini": "gemini-2.5-flash"}
#: A typo of each model, and the name the gateway serves that it should suggest.
TYPO = {"openai": ("gpt-4oo", "gpt-4o"), "responses": ("responses:gpt-4oo", "gpt-4o"),
        "anthropic": ("claude-sonet-4-5", "claude-sonnet-4-5"), "gemini": ("gemini-2.5-flsh", "gemini-2.5-flash")}
MODES = ["run", "stream"]
#: Models the gateway serves from another vendor's API: through these doors it translates (the
#: emulator's OpenAI door serves deepseek-chat; its Anthropic and Gemini doors the others).
CROSS = {"openai": "openai:claude-sonnet-4-5", "responses": "responses:deepseek-chat",
         "anthropic": "anthropic:deepseek-chat", "gemini": "gemini:deepseek-chat"}
#: What this gateway drops, per (model, case), as measured: each becomes a strict xfail with the reason,
#: so the test says when a new gateway version stops dropping it.
GATEWAY_FAULTS: dict[tuple[str, str], str] = {
    ("gemini:deepseek-chat", "image"): (
        "LiteLLM 1.108.7's Gemini endpoint drops `inlineData` images when it translates to an OpenAI-format "
        "upstream: the upstream request holds only the text"),
}


def _cases(models: dict[str, str], case: str) -> list[Any]:
    """(dialect, model) params, the gateway's known faults marked."""
    params = []
    for dialect, model in models.items():
        reason = GATEWAY_FAULTS.get((model, case))
        marks = [pytest.mark.xfail(reason=f"The gateway is at fault: {reason}", strict=True)] if reason else []
        params.append(pytest.param(dialect, model, marks=marks, id=model))
    return params


def _relay(gateway: Running, **options: Any) -> ak.Relay:
    options.setdefault("max_retries", 0)
    return ak.Relay(gateway.gateway.url, api_key=options.pop("api_key", gateway.gateway.key), **options)


def _ask(agent: ak.Agent, prompt: str, mode: str, **options: Any) -> Any:
    if mode == "run":
        return agent(prompt, **options)
    stream = agent.stream(prompt, **options)
    events = list(stream)
    assert events, "a stream gives events"
    return stream.reply


@ak.tool
def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: City name, e.g. "Paris".
    """
    return {"city": city, "temp_c": 21 if city == "Paris" else 14}


@dataclasses.dataclass
class Expense:
    item: str
    amount: float


def _png(width: int = 3, height: int = 2) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _upstream(gateway: Running) -> list[Any]:
    """What reached the emulator through the gateway (model requests only)."""
    return [r for r in gateway.emulator.log if r.door in ("openai", "responses", "anthropic", "gemini")]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("dialect", "model"), _cases(MODEL, "text") + _cases(CROSS, "text"))
def test_text(gateway: Running, dialect: str, model: str, mode: str) -> None:
    relay = _relay(gateway)
    reply = _ask(ak.Agent(model, relay=relay, display=False), "Say hello to the gateway", mode)
    assert reply.dialect == dialect
    assert "hello to the gateway" in reply.text
    assert _upstream(gateway), "the request went through the gateway to the emulator"
    if dialect == "anthropic":  # found at the root's /v1/messages, remembered for the relay
        assert relay.doors["anthropic"] == gateway.gateway.url
        assert repr(relay).count(f"{gateway.gateway.url}/v1/messages") == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("dialect", "model"), _cases(MODEL, "tools") + _cases(CROSS, "tools"))
def test_two_parallel_tool_calls(gateway: Running, dialect: str, model: str, mode: str) -> None:
    agent = ak.Agent(model, tools=[get_weather], relay=_relay(gateway), display=False)
    reply = _ask(agent, "What is the weather in Paris and London?", mode)
    assert reply.dialect == dialect
    assert sorted(call.arguments["city"] for call in reply.tool_calls) == ["London", "Paris"]
    assert all(call.error is None for call in reply.tool_calls)
    assert {json.dumps(call.result, sort_keys=True) for call in reply.tool_calls} == {
        json.dumps({"city": "Paris", "temp_c": 21}, sort_keys=True),
        json.dumps({"city": "London", "temp_c": 14}, sort_keys=True)}
    assert "get_weather returned" in reply.text  # the model answered from both results
    assert _upstream(gateway)[0].body.get("tools"), "the tool reached the model through the gateway"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_vendor_switch_mid_conversation(gateway: Running, dialect: str, mode: str) -> None:
    following = DIALECTS[(DIALECTS.index(dialect) + 1) % len(DIALECTS)]
    agent = ak.Agent(MODEL[dialect], tools=[get_weather], relay=_relay(gateway), display=False)
    _ask(agent, "What is the weather in Paris?", mode)
    agent.model = MODEL[following]
    reply = _ask(agent, "My name is Ada Lovelace, remember it", mode)
    assert reply.dialect == following
    last = _upstream(gateway)[-1]
    sent = json.dumps(last.body, ensure_ascii=False)
    # The whole conversation, tool call and result included, reached the next vendor's model.
    assert "weather in Paris" in sent and "Ada Lovelace" in sent and "temp_c" in sent


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("dialect", "model"), _cases(MODEL, "image") + _cases(CROSS, "image"))
def test_an_image(gateway: Running, dialect: str, model: str, mode: str) -> None:
    agent = ak.Agent(model, relay=_relay(gateway), display=False)
    reply = _ask(agent, "What is in this picture?", mode, images=[_png()])
    assert reply.dialect == dialect
    assert "PNG image, 3x2 pixels" in reply.text


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("dialect", "model"), _cases(MODEL, "output") + _cases(CROSS, "output"))
def test_structured_output(gateway: Running, dialect: str, model: str, mode: str) -> None:
    agent = ak.Agent(model, relay=_relay(gateway), display=False)
    reply = _ask(agent, "Extract the expense: a coffee for 3.5 euros", mode, output=Expense)
    assert reply.dialect == dialect
    assert isinstance(reply.output, Expense)
    assert isinstance(reply.output.item, str) and isinstance(reply.output.amount, float)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_an_unknown_model(gateway: Running, dialect: str, mode: str) -> None:
    typo, meant = TYPO[dialect]
    agent = ak.Agent(typo, relay=_relay(gateway), display=False)
    with pytest.raises(ak.ModelNotFoundError) as caught:
        _ask(agent, "hi", mode)
    error = caught.value
    assert meant in error.suggestions and f"Did you mean {meant!r}" in str(error)
    assert "Invalid model name passed in model=" in error.message  # the gateway's own words
    assert error.dialect == dialect and not error.retryable


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_wrong_key(gateway: Running, dialect: str, mode: str) -> None:
    wrong = "sk-wrong-key-0123456789abcdef"
    agent = ak.Agent(MODEL[dialect], relay=_relay(gateway, api_key=wrong), display=False)
    with pytest.raises(ak.AuthenticationError) as caught:
        _ask(agent, "hi", mode)
    error = caught.value
    # LiteLLM without a key database checks only its master key and says so with a 400.
    assert error.status == 400 and error.message == "No connected db." and "master key" in str(error)
    assert wrong not in str(error) and gateway.gateway.key not in str(error)
    assert not _upstream(gateway), "nothing reached the model"


def test_check_finds_the_gateways_doors(gateway: Running) -> None:
    root = gateway.gateway.url
    relay = _relay(gateway)
    report = relay.check()
    assert report.ok, str(report)
    assert report["openai"].url == f"{root}/v1/models" and report["openai"].models == 5
    assert report["anthropic"].url == f"{root}/v1/messages"
    assert report["anthropic"].tried[0] == (f"{root}/anthropic/v1/messages", 401)  # LiteLLM's pass-through
    assert report["gemini"].url == f"{root}/v1beta/models/gemini-2.5-flash:generateContent"
    assert report.software == "LiteLLM 1.108.7"
    # Checking costs nothing: whatever the gateway passed on held an empty conversation, which the
    # model's API refuses before a model runs (the emulator answers 400 as Google does).
    assert all(not (r.body.get("contents") or r.body.get("messages")) for r in _upstream(gateway))
    assert gateway.gateway.key not in str(report) + report._repr_html_() + repr(relay)
