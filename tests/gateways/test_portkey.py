"""What is particular to the Portkey AI gateway (the case matrix every gateway meets is in test_matrix.py).

A Portkey user pastes the gateway's root URL, their vendor key, and the routing the gateway's
documentation shows, as the `x-portkey-config` header (`ak.Relay(root, api_key=..., headers=...)`). The
gateway has OpenAI's doors and Anthropic's `/v1/messages`, but no Gemini door, and it translates only some
formats to some providers: agentkit must say so clearly, before a request (`relay.check()`) and after one.
"""

from __future__ import annotations

import json

import pytest

import agentkit as ak
from agentkit.output import OutputFallbackWarning
from tests.gateways.conftest import Running
from tests.gateways.test_matrix import Expense, upstream

pytestmark = [pytest.mark.timeout(300), pytest.mark.parametrize("gateway", ["portkey"], indirect=True)]


def test_check_finds_its_doors_and_says_which_it_lacks(gateway: Running) -> None:
    root = gateway.gateway.url
    relay = gateway.relay()
    report = relay.check()
    assert report["openai"].found and report["openai"].url == f"{root}/v1/models"
    assert report["openai"].models == len(ak.emulator.DEFAULT_MODELS)  # the vendor's list, passed on
    # Portkey's `/anthropic/*` is nothing (404); its Anthropic door is the root's /v1/messages.
    assert report["anthropic"].found and report["anthropic"].url == f"{root}/v1/messages"
    assert report["anthropic"].tried[0] == (f"{root}/anthropic/v1/messages", 404)
    # The probe names a Claude model the relay lists, so the gateway's routing takes it to Anthropic, which
    # refuses the empty conversation (400), rather than to OpenAI, which has no Messages API (500).
    assert report["anthropic"].status == 400
    assert [r.door for r in upstream(gateway)] == ["anthropic"]
    assert not report["gemini"].found and report["gemini"].status == 404
    assert "gemini: not found" in str(report) and not report.ok
    assert report.software == "Portkey"
    # Told which doors the gateway has, the check is clean.
    assert gateway.relay(dialects=["openai", "responses", "anthropic"]).check().ok
    assert gateway.gateway.key not in str(report) + report._repr_html_() + repr(relay)
    # Checking costs nothing: nothing the gateway passed on held a conversation.
    assert all(not r.body.get("messages") for r in upstream(gateway))


@pytest.mark.parametrize("mode", ["run", "stream"])
def test_a_gemini_model_without_a_gemini_door(gateway: Running, mode: str) -> None:
    agent = ak.Agent("gemini-2.5-flash", relay=gateway.relay(), display=False)
    with pytest.raises(ak.ModelNotFoundError) as caught:
        agent("hi") if mode == "run" else list(agent.stream("hi"))
    error = caught.value
    assert error.status == 404 and error.message == "Not Found"  # Portkey's own words for a path it lacks
    assert "`gemini` door is probably missing" in str(error) and "openai:gemini-2.5-flash" in str(error)
    assert not upstream(gateway)
    # The advice works: the OpenAI door reaches the model, Portkey translating to Google's API.
    reply = ak.Agent("openai:gemini-2.5-flash", relay=gateway.relay(), display=False)("hi")
    assert "\"hi\"" in reply.text and upstream(gateway)[-1].door == "gemini"


@pytest.mark.parametrize(("model", "words"), [
    ("anthropic:deepseek-chat", "messages is not supported by openai"),
    ("responses:claude-sonnet-4-5", "createModelResponse is not supported by anthropic"),
])
def test_a_route_it_cannot_translate(gateway: Running, model: str, words: str) -> None:
    """Portkey 1.15.2 serves Anthropic's Messages API only from Anthropic-format providers, and the
    Responses API only from OpenAI-format ones (src/services/transformToProviderRequest.ts); it says so
    with a 500. That is no passing failure: agentkit raises at once, with the gateway's words."""
    relay = gateway.relay(max_retries=2)
    with pytest.raises(ak.BadRequestError) as caught:
        ak.Agent(model, relay=relay, display=False)("hi")
    error = caught.value
    assert error.status == 500 and error.message == words and not error.retryable
    assert "door of its own format" in str(error)
    assert not upstream(gateway), "nothing reached a model, and nothing was retried"


def test_structured_output_dropped_on_the_anthropic_door_is_caught(gateway: Running) -> None:
    """Portkey's `/v1/messages` passes on only the parameters it maps (src/providers/anthropic-base/messages.ts
    has no `output_config`): the format request never reaches the model, which answers in prose."""
    agent = ak.Agent("claude-sonnet-4-5", relay=gateway.relay(), display=False)
    with pytest.warns(OutputFallbackWarning, match="dropped it"):
        reply = agent("Extract the expense: a coffee for 3.5 euros", output=Expense)
    assert isinstance(reply.output, Expense)
    first, *_ = upstream(gateway)
    assert "output_config" not in first.body, "the gateway dropped the format request"


def test_max_tokens_opens_the_translation_to_anthropic(gateway: Running) -> None:
    """The workaround for the strict xfail of `openai:claude-sonnet-4-5` in the matrix."""
    reply = ak.Agent("openai:claude-sonnet-4-5", relay=gateway.relay(), display=False, max_tokens=512)("hi")
    assert "\"hi\"" in reply.text and upstream(gateway)[-1].door == "anthropic"


def test_its_own_error_shape_reaches_the_user(gateway: Running) -> None:
    """A routing the gateway refuses: `{"status": "failure", "message", "errors": [...]}`, details and all."""
    config = {"provider": "openai", "custom_host": f"{gateway.emulator.url}/v1"}  # no `api_key`: invalid
    relay = ak.Relay(gateway.gateway.url, api_key=gateway.gateway.key, max_retries=0,
                     headers={"x-portkey-config": json.dumps(config)})
    with pytest.raises(ak.BadRequestError) as caught:
        ak.Agent("gpt-4o", relay=relay, display=False)("hi")
    error = caught.value
    assert error.status == 400 and error.message.startswith("Invalid config passed: path: ")
    assert "It must have either 'provider' and 'api_key'" in error.message and error.code is None
    assert gateway.gateway.key not in str(error)
