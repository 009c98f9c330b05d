"""agentkit through real gateways in front of the emulator, with only what a user of each gateway pastes
into `ak.Relay`: its root URL, a key, and the routing headers its documentation shows.

Every gateway of `profiles.PROFILES`, every dialect it has a door for, through `agent()` and
`agent.stream()`: text, two parallel tool calls, a vendor switch mid-conversation, an image, structured
output, an unknown model and a wrong key; text, tools, images and structured output also for models the
gateway serves from another vendor's API, where it translates between formats. Where the gateway itself
is at fault (it drops what it does not map), the case is a strict xfail saying so.
"""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import pytest

import agentkit as ak
from tests.gateways.conftest import Running
from tests.gateways.profiles import PROFILES

# The first test may install a gateway (LiteLLM's venv: about 80 s with a warm pip cache, minutes cold).
pytestmark = pytest.mark.timeout(1200)

MODES = ["run", "stream"]


def _fault(profile: Any, model: str, case: str) -> list[Any]:
    reason = profile.faults.get((model, case)) or profile.faults.get((model, "*"))
    return [pytest.mark.xfail(reason=f"The gateway is at fault: {reason}", strict=True)] if reason else []


def _served(case: str, *, cross: bool = True) -> list[Any]:
    """(gateway, dialect, model) params: every gateway's own models (and translated ones), faults marked."""
    params = []
    for profile in PROFILES:
        pairs = list(profile.models.items())
        if cross:
            pairs += [(model.split(":", 1)[0], model) for model in profile.cross]
        for dialect, model in pairs:
            params.append(pytest.param(profile.fixture, dialect, model, marks=_fault(profile, model, case),
                                       id=f"{profile.fixture}-{model}"))
    return params


def _by_dialect(pick: Any) -> list[Any]:
    """(gateway, dialect, value) params for each dialect a gateway has a door for."""
    return [pytest.param(p.fixture, dialect, pick(p, dialect), id=f"{p.fixture}-{dialect}")
            for p in PROFILES for dialect in p.models]


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


def upstream(gateway: Running) -> list[Any]:
    """What reached the emulator through the gateway (model requests only)."""
    return [r for r in gateway.emulator.log if r.door in ("openai", "responses", "anthropic", "gemini")]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("gateway", "dialect", "model"), _served("text"), indirect=["gateway"])
def test_text(gateway: Running, dialect: str, model: str, mode: str) -> None:
    reply = _ask(ak.Agent(model, relay=gateway.relay(), display=False), "Say hello to the gateway", mode)
    assert reply.dialect == dialect
    assert "hello to the gateway" in reply.text
    assert upstream(gateway), "the request went through the gateway to the emulator"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("gateway", "dialect", "model"), _served("tools"), indirect=["gateway"])
def test_two_parallel_tool_calls(gateway: Running, dialect: str, model: str, mode: str) -> None:
    agent = ak.Agent(model, tools=[get_weather], relay=gateway.relay(), display=False)
    reply = _ask(agent, "What is the weather in Paris and London?", mode)
    assert reply.dialect == dialect
    assert sorted(call.arguments["city"] for call in reply.tool_calls) == ["London", "Paris"]
    assert all(call.error is None for call in reply.tool_calls)
    assert {json.dumps(call.result, sort_keys=True) for call in reply.tool_calls} == {
        json.dumps({"city": "Paris", "temp_c": 21}, sort_keys=True),
        json.dumps({"city": "London", "temp_c": 14}, sort_keys=True)}
    assert "get_weather returned" in reply.text  # the model answered from both results
    assert upstream(gateway)[0].body.get("tools"), "the tool reached the model through the gateway"


def _switch_params() -> list[Any]:
    return [pytest.param(p.fixture, index, id=f"{p.fixture}-{p.switch[index][1]}")
            for p in PROFILES for index in range(len(p.switch))]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("gateway", "index"), _switch_params(), indirect=["gateway"])
def test_vendor_switch_mid_conversation(gateway: Running, index: int, mode: str, request: pytest.FixtureRequest
                                        ) -> None:
    switch = next(p.switch for p in PROFILES if p.fixture == request.node.callspec.params["gateway"])
    first, following = switch[index], switch[(index + 1) % len(switch)]
    agent = ak.Agent(first[1], tools=[get_weather], relay=gateway.relay(), display=False)
    _ask(agent, "What is the weather in Paris?", mode)
    agent.model = following[1]
    reply = _ask(agent, "My name is Ada Lovelace, remember it", mode)
    assert reply.dialect == following[0]
    sent = json.dumps(upstream(gateway)[-1].body, ensure_ascii=False)
    # The whole conversation, tool call and result included, reached the next vendor's model.
    assert "weather in Paris" in sent and "Ada Lovelace" in sent and "temp_c" in sent


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("gateway", "dialect", "model"), _served("image"), indirect=["gateway"])
def test_an_image(gateway: Running, dialect: str, model: str, mode: str) -> None:
    agent = ak.Agent(model, relay=gateway.relay(), display=False)
    reply = _ask(agent, "What is in this picture?", mode, images=[_png()])
    assert reply.dialect == dialect
    assert "PNG image, 3x2 pixels" in reply.text


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("gateway", "dialect", "model"), _served("output"), indirect=["gateway"])
def test_structured_output(gateway: Running, dialect: str, model: str, mode: str) -> None:
    agent = ak.Agent(model, relay=gateway.relay(), display=False)
    reply = _ask(agent, "Extract the expense: a coffee for 3.5 euros", mode, output=Expense)
    assert reply.dialect == dialect
    assert isinstance(reply.output, Expense)
    assert isinstance(reply.output.item, str) and isinstance(reply.output.amount, float)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("gateway", "dialect", "typo"), _by_dialect(lambda p, d: (p, *p.typos[d])),
                         indirect=["gateway"])
def test_an_unknown_model(gateway: Running, dialect: str, typo: tuple[Any, str, str], mode: str) -> None:
    profile, name, meant = typo
    agent = ak.Agent(name, relay=gateway.relay(), display=False)
    with pytest.raises(ak.ModelNotFoundError) as caught:
        _ask(agent, "hi", mode)
    error = caught.value
    assert meant in error.suggestions and f"Did you mean {meant!r}" in str(error)
    assert profile.unknown_model_words[dialect] in error.message  # the gateway's (or vendor's) own words
    assert error.dialect == dialect and not error.retryable


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("gateway", "dialect", "model"), _by_dialect(lambda p, d: p.models[d]),
                         indirect=["gateway"])
def test_a_wrong_key(gateway: Running, dialect: str, model: str, mode: str) -> None:
    wrong = "sk-wrong-key-0123456789abcdef"
    agent = ak.Agent(model, relay=gateway.relay(api_key=wrong), display=False)
    with pytest.raises(ak.AuthenticationError) as caught:
        _ask(agent, "hi", mode)
    error = caught.value
    assert error.message and error.message in str(error)  # whoever refused, their words reach the user
    assert not error.retryable
    assert wrong not in str(error) and gateway.gateway.key not in str(error)
