"""Doors found, not guessed: a pasted root works for gateways that put a door elsewhere (LiteLLM-style:
the Anthropic Messages API at the root's `/v1/messages`, `{root}/anthropic/*` a pass-through that refuses
the gateway's key with 401), found once with the first request and remembered for the relay;
`relay.check()` probes every door; `repr(relay)` says where each door's requests go."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.responses import JSONResponse

import agentkit as ak
from agentkit._transport import door_verdict
from tests.conftest import serve_asgi
from tests.relay.layouts import KEY, LAYOUTS, Layout

PASS_THROUGH_401 = (
    "No Anthropic credential is configured on this proxy and the request carried no upstream Anthropic credential. "
    "The LiteLLM virtual key is not forwarded to Anthropic."
)


class GatewayStub(Layout):
    """A LiteLLM-style layout: OpenAI at /v1, Anthropic at the root's /v1/messages, Gemini at the root,
    `/anthropic/*` a pass-through answering 401 `{"detail": ...}`; every answer names the software.
    `wrong_key_status`: what a wrong key gets (LiteLLM without a database answers 400 no_db_connection)."""

    wrong_key_status = 401

    def app(self) -> Any:
        inner = super().app()

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            async def named(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), (b"x-litellm-version", b"1.108.7")]
                await send(message)

            if scope["type"] == "http" and scope["path"].startswith("/anthropic/"):
                self.log.append({"method": scope["method"], "path": scope["path"], "headers": {}, "body": None})
                await JSONResponse({"detail": PASS_THROUGH_401}, status_code=401)(scope, receive, named)
                return
            if scope["type"] == "http" and self.wrong_key_status == 400:
                headers = dict(scope["headers"])
                given = headers.get(b"x-api-key") or headers.get(b"x-goog-api-key") or headers.get(b"authorization")
                if given is not None and KEY.encode() not in given:
                    self.log.append({"method": scope["method"], "path": scope["path"], "headers": {}, "body": None})
                    body = {"error": {"message": "No connected db.", "type": "no_db_connection", "param": None,
                                      "code": "400"}}
                    await JSONResponse(body, status_code=400)(scope, receive, named)
                    return
            await inner(scope, receive, named)

        return app


@pytest.fixture
def gateway() -> Iterator[tuple[GatewayStub, str]]:
    stub = GatewayStub("LiteLLM-style", openai="/v1", anthropic="", gemini="")
    with serve_asgi(stub.app()) as url:
        yield stub, url


def _paths(stub: Layout) -> list[str]:
    return [entry["path"] for entry in stub.log]


def _ask_claude(relay: ak.Relay) -> str:
    out = relay.client("anthropic").messages.create(model="claude-sonnet-4-5", max_tokens=10,
                                                    messages=[{"role": "user", "content": "hi"}])
    return str(out.content[0].text)


def test_the_anthropic_door_is_found_at_the_root_once_and_remembered(gateway: tuple[GatewayStub, str]) -> None:
    stub, url = gateway
    relay = ak.Relay(url, api_key=KEY)
    assert "looked for on first use" in repr(relay)
    assert _ask_claude(relay) == "ok"
    assert _paths(stub) == ["/anthropic/v1/messages", "/v1/messages"]
    assert relay.doors["anthropic"] == url
    # Remembered: later requests, from this client and from clients built later, go straight there.
    assert _ask_claude(relay) == "ok"

    async def from_another_loop() -> str:
        client = relay.async_client("anthropic")
        out = await client.messages.create(model="claude-sonnet-4-5", max_tokens=10,
                                           messages=[{"role": "user", "content": "hi"}])
        return str(out.content[0].text)

    assert asyncio.run(from_another_loop()) == "ok"
    assert _paths(stub) == ["/anthropic/v1/messages", "/v1/messages", "/v1/messages", "/v1/messages"]
    shown = repr(relay)
    assert f"'anthropic': '{url}/v1/messages'" in shown and "looked for" not in shown and KEY not in shown


def test_an_agent_finds_the_door_through_the_async_clients(gateway: tuple[GatewayStub, str]) -> None:
    stub, url = gateway
    relay = ak.Relay(url, api_key=KEY)

    async def run() -> str:
        client = relay.async_client("anthropic", sdk_retries=False)
        out = await client.messages.create(model="claude-sonnet-4-5", max_tokens=10,
                                           messages=[{"role": "user", "content": "hi"}], stream=True)
        text = ""
        async for event in out:
            if getattr(event, "type", "") == "content_block_delta":
                text += event.delta.text
        return text or "streamed"

    assert asyncio.run(run())
    assert _paths(stub)[:2] == ["/anthropic/v1/messages", "/v1/messages"]
    assert relay.doors["anthropic"] == url


def test_many_first_requests_at_once_all_reach_the_door(gateway: tuple[GatewayStub, str]) -> None:
    stub, url = gateway
    relay = ak.Relay(url, api_key=KEY)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _ask_claude(relay), range(16)))
    assert answers == ["ok"] * 16
    assert relay.doors["anthropic"] == url
    assert _paths(stub).count("/v1/messages") == 16  # every request was answered by the door


def test_a_refused_key_gets_the_gateways_own_words_and_the_search_is_not_repeated(
    gateway: tuple[GatewayStub, str],
) -> None:
    """A wrong key is refused everywhere: the error is the gateway's own (not the pass-through's), and
    the place that checked the key is remembered, so later requests are not doubled."""
    stub, url = gateway
    stub.wrong_key_status = 400
    relay = ak.Relay(url, api_key="sk-wrong-key-000000000000", max_retries=0)
    agent = ak.Agent("claude-sonnet-4-5", relay=relay, display=False)
    for _ in range(2):
        with pytest.raises(ak.AuthenticationError) as caught:
            agent("hi")
        assert caught.value.message == "No connected db." and "master key" in str(caught.value)
    assert _paths(stub) == ["/anthropic/v1/messages", "/v1/messages", "/v1/messages"]
    assert relay.doors["anthropic"] == url


def test_a_refusal_in_the_doors_own_protocol_is_the_door() -> None:
    """An Anthropic-shaped 401 at the guessed door is that door refusing the key: nothing else is tried."""
    with ak.emulator.serve(api_key="sk-the-right-key-0123456789") as good:
        relay = ak.Relay(good.emulator.url, api_key="sk-wrong-key-000000000000", max_retries=0)
        with pytest.raises(ak.AuthenticationError):
            ak.Agent("claude-sonnet-4-5", relay=relay, display=False)("hi")
        assert [r.path for r in good.emulator.log if r.door == "anthropic"] == ["/anthropic/v1/messages"]
        assert relay.doors["anthropic"] == good.emulator.url + "/anthropic"


@pytest.mark.parametrize("body", [
    {"type": "error", "error": {"type": "not_found_error", "message": "model: claude-sonet-4-5"}},  # Anthropic's
    {"error": {"message": "anthropic error: model: claude-sonet-4-5", "type": "not_found_error"},  # Portkey's
     "provider": "anthropic"},
    {"error": {"message": "The model `claude-sonet-4-5` does not exist", "code": "model_not_found"}},
])
def test_a_404_about_the_model_is_the_door(body: dict[str, object]) -> None:
    """A 404 whose words are about the model says the door is there (Portkey answers an unknown Claude
    model at its `/v1/messages` so); one about the place, or with no words, says it is not."""
    assert door_verdict(404, "application/json", json.dumps(body).encode(), "anthropic") == "answer"
    for elsewhere in ({"message": "Not Found", "ok": False}, {"detail": "Not Found"},
                      {"type": "error", "error": {"type": "not_found_error",
                                                  "message": "Unknown request URL: POST /anthropic/v1/messages."}}):
        assert door_verdict(404, "application/json", json.dumps(elsewhere).encode(), "anthropic") == "absent"
    assert door_verdict(404, "text/plain", None, "anthropic") == "absent"


def test_a_door_given_by_the_user_is_never_looked_for_elsewhere(gateway: tuple[GatewayStub, str]) -> None:
    stub, url = gateway
    for relay in (ak.Relay(url + "/anthropic", api_key=KEY), ak.Relay(url, api_key=KEY, anthropic_url=url + "/anthropic")):
        stub.log.clear()
        with pytest.raises(Exception) as caught:
            _ask_claude(relay)
        error = relay.map_error(caught.value, dialect="anthropic", model="claude-sonnet-4-5")
        assert isinstance(error, ak.AuthenticationError) and error.message == PASS_THROUGH_401
        assert _paths(stub) == ["/anthropic/v1/messages"]


@pytest.mark.parametrize("name", ["R1", "R2", "R3", "R4", "R5"])
def test_the_five_layouts_cost_no_extra_request_where_the_guess_answers(name: str) -> None:
    stub = LAYOUTS[name]()
    with serve_asgi(stub.app()) as url:
        relay = ak.Relay(url + (stub.openai or ""), api_key=KEY)  # as each layout's docs show it
        out = relay.client("openai").chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
        assert out.choices[0].message.content == "ok"
        assert _paths(stub) == [f"{stub.openai}/chat/completions"]
        if stub.anthropic is not None:
            stub.log.clear()
            relay.client("anthropic").messages.create(
                model="claude-sonnet-4-5", max_tokens=5, messages=[{"role": "user", "content": "x"}],
                extra_headers={"authorization": f"Bearer {KEY}"})
            assert _paths(stub) == ["/anthropic/v1/messages"]
            assert relay.doors["anthropic"] == url + "/anthropic"


def test_a_relay_without_the_door_keeps_the_guess_and_says_so() -> None:
    stub = LAYOUTS["R3"]()
    with serve_asgi(stub.app()) as url:
        relay = ak.Relay(url, api_key=KEY, max_retries=0)
        with pytest.raises(ak.ModelNotFoundError) as caught:
            ak.Agent("claude-sonnet-4-5", relay=relay, display=False)("hi")
        assert "`anthropic` door is probably missing" in str(caught.value)
        looked = [p for p in _paths(stub) if "messages" in p]
        assert looked == ["/anthropic/v1/messages", "/v1/messages"]
        stub.log.clear()
        with pytest.raises(ak.ModelNotFoundError):
            ak.Agent("claude-sonnet-4-5", relay=relay, display=False)("hi")
        assert [p for p in _paths(stub) if "messages" in p] == ["/anthropic/v1/messages"]  # looked for once


# ---------------------------------------------------------------------------------------- check()


def test_check_finds_every_door_of_a_gateway_and_names_it(gateway: tuple[GatewayStub, str]) -> None:
    stub, url = gateway
    relay = ak.Relay(url, api_key=KEY)
    report = relay.check()
    assert [row.door for row in report] == ["openai", "anthropic", "gemini"]
    assert report["openai"].url == f"{url}/v1/models" and report["openai"].models == 6
    assert report["anthropic"].url == f"{url}/v1/messages" and report["anthropic"].found
    assert [u for u, _ in report["anthropic"].tried] == [f"{url}/anthropic/v1/messages", f"{url}/v1/messages"]
    assert report["gemini"].url.startswith(f"{url}/v1beta/models/gemini-2.5-pro:generateContent")
    assert report.ok and report.software == "LiteLLM 1.108.7"
    assert relay.doors["anthropic"] == url  # remembered: the first request goes straight there
    stub.log.clear()
    assert _ask_claude(relay) == "ok" and _paths(stub) == ["/v1/messages"]
    text, page = str(report), report._repr_html_()
    assert f"anthropic: answered at {url}/v1/messages" in text and "LiteLLM 1.108.7" in text
    assert "<table>" in page and f"{url}/v1/messages" in page
    assert KEY not in text + page + repr(report.doors)


def test_check_says_what_is_missing_and_what_refused_the_key() -> None:
    stub = LAYOUTS["R3"]()
    with serve_asgi(stub.app()) as url:
        report = ak.Relay(url, api_key=KEY).check()
        assert report["openai"].found and not report.ok
        assert not report["anthropic"].found and report["anthropic"].status == 404
        assert "not found" in report["anthropic"].summary()
        refused = ak.Relay(url, api_key="sk-wrong-0000000000000").check()
    assert refused["openai"].found  # R3 lists models without a key
    assert refused["openai"].status == 200
    stub2 = LAYOUTS["R1"]()
    with serve_asgi(stub2.app()) as url2:
        wrong = ak.Relay(url2, api_key="sk-wrong-0000000000000").check()
    assert all(not row.found and row.refused for row in wrong)
    assert "refused the key" in str(wrong) and "Invalid token" in str(wrong)


def test_check_sends_each_door_its_key_where_its_own_url_is_on_another_host() -> None:
    key = "sk-two-hosts-0123456789abcdef"
    with ak.emulator.serve(api_key=key) as main, ak.emulator.serve(api_key=key) as claude:
        elsewhere = claude.emulator.url.replace("127.0.0.1", "localhost")  # another host than the root's
        relay = ak.Relay(main.emulator.url, api_key=key, anthropic_url=elsewhere)
        door = relay.check()["anthropic"]
        assert door.found and not door.refused and door.url.startswith(elsewhere)
        assert claude.emulator.log.last.headers.get("x-api-key") == "[REDACTED]"  # the key arrived (logged redacted)
