"""What is particular to the LiteLLM proxy (the case matrix every gateway meets is in test_matrix.py):
its translating Anthropic endpoint at the root, found and remembered; its answer to a key it cannot
check; and `relay.check()` of its doors."""

from __future__ import annotations

from typing import Any

import pytest

import agentkit as ak
from tests.gateways.conftest import Running
from tests.gateways.test_matrix import upstream

pytestmark = pytest.mark.timeout(1200)


@pytest.mark.parametrize("mode", ["run", "stream"])
def test_the_anthropic_door_is_found_at_the_root(gateway: Running, mode: str) -> None:
    relay = gateway.relay()
    agent = ak.Agent("claude-sonnet-4-5", relay=relay, display=False)
    reply: Any = agent("hi") if mode == "run" else agent.stream("hi")
    if mode == "stream":
        list(reply)
        reply = reply.reply
    assert reply.dialect == "anthropic"
    # Found at the root's /v1/messages ({root}/anthropic is a pass-through to Anthropic), remembered.
    assert relay.doors["anthropic"] == gateway.gateway.url
    assert repr(relay).count(f"{gateway.gateway.url}/v1/messages") == 1


@pytest.mark.parametrize("model", ["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-flash"])
def test_a_key_it_cannot_check(gateway: Running, model: str) -> None:
    wrong = "sk-wrong-key-0123456789abcdef"
    with pytest.raises(ak.AuthenticationError) as caught:
        ak.Agent(model, relay=gateway.relay(api_key=wrong), display=False)("hi")
    error = caught.value
    # LiteLLM without a key database checks only its master key and says so with a 400.
    assert error.status == 400 and error.message == "No connected db." and "master key" in str(error)
    assert not upstream(gateway), "nothing reached the model"


def test_check_finds_the_gateways_doors(gateway: Running) -> None:
    root = gateway.gateway.url
    relay = gateway.relay()
    report = relay.check()
    assert report.ok, str(report)
    assert report["openai"].url == f"{root}/v1/models" and report["openai"].models == 5
    assert report["anthropic"].url == f"{root}/v1/messages"
    assert report["anthropic"].tried[0] == (f"{root}/anthropic/v1/messages", 401)  # LiteLLM's pass-through
    assert report["gemini"].url == f"{root}/v1beta/models/gemini-2.5-flash:generateContent"
    assert report.software == "LiteLLM 1.108.7"
    # Checking costs nothing: whatever the gateway passed on held an empty conversation, which the
    # model's API refuses before a model runs (the emulator answers 400 as Google does).
    assert all(not (r.body.get("contents") or r.body.get("messages")) for r in upstream(gateway))
    assert gateway.gateway.key not in str(report) + report._repr_html_() + repr(relay)
