"""Prompt caching: the hints each dialect sends, and the cache reads (and writes) the usage then reports.

Every dialect is driven through its official SDK against the emulator, streamed and not, so the
usage checked here went through the same decode path as a real answer.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import pytest

import agentkit as ak
from agentkit.dialects import anthropic as anthropic_dialect
from agentkit.dialects.base import ModelRequest
from agentkit.emulator import Emulator
from agentkit.messages import ImagePart, Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart

from .conftest import get_weather

MODELS = {
    "openai": "gpt-4o",
    "responses": "responses:gpt-4o",
    "anthropic": "claude-sonnet-4-5",
    "gemini": "gemini-2.5-flash",
}
SYSTEM = "You are a careful travel assistant who answers briefly. " * 20


def _run(agent: ak.Agent, prompt: str, *, stream: bool) -> ak.Reply:
    if not stream:
        return agent(prompt)
    events = list(agent.stream(prompt))
    return events[-1].reply


def _bodies(em: Emulator) -> list[dict[str, Any]]:
    return [record.body for record in em.log if record.door != "models"]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("dialect", list(MODELS))
def test_a_repeated_prefix_is_read_from_the_cache_in_every_dialect(em: Emulator, relay: ak.Relay, dialect: str,
                                                                   stream: bool) -> None:
    agent = ak.Agent(MODELS[dialect], tools=[get_weather], system=SYSTEM, relay=relay, display=False)
    first = _run(agent, "What is the weather in Paris?", stream=stream)
    assert first.turns == 2  # a tool call, then the answer: the second request repeats the first's prompt
    second = _run(agent, "And in Rome?", stream=stream)

    turns = [m.usage for m in agent.history if m.role == "assistant"]
    assert all(u is not None for u in turns)
    opening, *later = turns
    assert opening is not None and opening.cached_tokens == 0
    for usage in later:
        assert usage is not None
        assert 0 < usage.cached_tokens < usage.input_tokens  # reads are a part of the prompt, never more
    assert second.usage.cached_tokens > first.usage.cached_tokens  # the longer the conversation, the more is read
    writes = [u.cache_write_tokens for u in turns if u is not None]
    if dialect == "anthropic":
        assert all(w > 0 for w in writes)  # each request writes the turn it added past what it read
        assert opening.cache_write_tokens < opening.input_tokens
    else:
        assert writes == [0] * len(writes)  # only Anthropic reports writes
    assert agent.usage.cached_tokens == first.usage.cached_tokens + second.usage.cached_tokens


@pytest.mark.parametrize("dialect", list(MODELS))
def test_stream_and_json_answers_report_the_same_usage(em: Emulator, relay: ak.Relay, dialect: str) -> None:
    usages = []
    for stream in (False, True):
        em.reset()
        agent = ak.Agent(MODELS[dialect], tools=[get_weather], system=SYSTEM, relay=relay, display=False)
        usages.append(_run(agent, "What is the weather in Oslo?", stream=stream).usage)
    assert usages[0] == usages[1]
    assert usages[0].cached_tokens > 0


@pytest.mark.parametrize("dialect", list(MODELS))
def test_cache_false_sends_no_hints_and_cache_never_reaches_the_vendor(em: Emulator, relay: ak.Relay,
                                                                        dialect: str) -> None:
    agent = ak.Agent(MODELS[dialect], tools=[get_weather], system=SYSTEM, relay=relay, display=False, cache=False)
    reply = agent("What is the weather in Paris?")
    for body in _bodies(em):
        text = repr(body)
        assert "cache_control" not in text and "prompt_cache_key" not in text
        assert "cache" not in body and "cache" not in body.get("generationConfig", {})
    if dialect == "anthropic":  # no breakpoints: Anthropic caches nothing
        assert reply.usage.cached_tokens == 0 and reply.usage.cache_write_tokens == 0


@pytest.mark.parametrize("dialect", ["openai", "responses"])
def test_prompt_cache_key_is_stable_per_agent_and_differs_between_agents(em: Emulator, relay: ak.Relay,
                                                                         dialect: str) -> None:
    one = ak.Agent(MODELS[dialect], tools=[get_weather], relay=relay, display=False)
    two = ak.Agent(MODELS[dialect], tools=[get_weather], relay=relay, display=False)
    one("What is the weather in Paris?")
    one("Thanks!")
    sent_by_one = {body["prompt_cache_key"] for body in _bodies(em)}
    em.log.clear()
    two("What is the weather in Paris?")
    sent_by_two = {body["prompt_cache_key"] for body in _bodies(em)}
    assert len(sent_by_one) == 1 and len(sent_by_two) == 1
    assert sent_by_one != sent_by_two


def test_an_explicit_prompt_cache_key_option_wins(em: Emulator, relay: ak.Relay) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False, prompt_cache_key="my-team-prefix")
    agent("Hello")
    assert _bodies(em)[-1]["prompt_cache_key"] == "my-team-prefix"


def test_gemini_requests_carry_no_caching_hints(em: Emulator, relay: ak.Relay) -> None:
    ak.Agent("gemini-2.5-flash", tools=[get_weather], system=SYSTEM, relay=relay, display=False)("Hi")
    assert all("cache" not in repr(body).lower() for body in _bodies(em))


# ------------------------------------------------------------------------------- Anthropic breakpoints


def _marks(kwargs: dict[str, Any]) -> list[str]:
    """Where `cache_control` sits in an encoded request: "tool:<name>", "system", "message:<i>:<type>"."""
    found = [f"tool:{t['name']}" for t in kwargs.get("tools", []) if "cache_control" in t]
    system = kwargs.get("system")
    if isinstance(system, list):
        found += ["system" for block in system if "cache_control" in block]
    for i, message in enumerate(kwargs["messages"]):
        content = message["content"]
        if isinstance(content, list):
            found += [f"message:{i}:{b['type']}" for b in content if "cache_control" in b]
    return found


def echo(text: str) -> str:
    """Say the text back.

    Args:
        text: What to say.
    """
    return text


def _anthropic(history: list[Message], *, tools: list[ak.Tool] | None = None, cache: bool = True) -> dict[str, Any]:
    request = ModelRequest(model="claude-sonnet-4-5", history=history, tools=tools or [],
                           cache_key="agent-key" if cache else None)
    return anthropic_dialect.encode(request)


def test_anthropic_breakpoints_go_on_the_last_tool_the_system_and_the_latest_message() -> None:
    tools = [ak.tool(get_weather), ak.tool(echo)]
    declared = copy.deepcopy([tool.to_schema("anthropic") for tool in tools])
    history = [
        Message.system("Be brief."),
        Message.user("Weather in Paris?"),
        Message("assistant", [ToolCallPart("toolu_1", "get_weather", {"city": "Paris"})], dialect="anthropic"),
        Message("tool", [ToolResultPart("toolu_1", "get_weather", (TextPart("Sunny"),))]),
    ]
    kwargs = _anthropic(history, tools=tools)
    assert _marks(kwargs) == [f"tool:{tools[-1].name}", "system", "message:2:tool_result"]
    assert kwargs["system"] == [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]
    # The shared tool declarations are not changed: the next request (or another dialect) sees them clean.
    assert [tool.to_schema("anthropic") for tool in tools] == declared
    assert _marks(_anthropic(history, tools=tools)) == _marks(kwargs)
    assert _marks(_anthropic(history, tools=tools, cache=False)) == []


def test_anthropic_breakpoint_skips_blocks_that_cannot_carry_one() -> None:
    image = ak.Image(data=b"\x89PNG\r\n\x1a\n" + b"0" * 32, mime_type="image/png")
    with_image = _anthropic([Message("user", [TextPart("What is this?"), ImagePart(image)])])
    assert _marks(with_image) == ["message:0:image"]
    # A prefilled assistant turn ending in signed thinking: the mark goes on the text before it.
    prefill = Message("assistant", [TextPart("Let me think."),
                                    ReasoningPart("hmm", signature="sig", dialect="anthropic")], dialect="anthropic")
    kwargs = _anthropic([Message.user("Hi"), prefill])
    assert _marks(kwargs) == ["message:1:text"]
    assert len(_marks(kwargs)) <= 4


def test_anthropic_without_tools_or_system_marks_only_the_latest_message() -> None:
    kwargs = _anthropic([Message.user("One"), Message("assistant", [TextPart("Two")]), Message.user("Three")])
    assert _marks(kwargs) == ["message:2:text"]
    assert "system" not in kwargs


def test_the_emulator_refuses_breakpoints_as_anthropic_does(em: Emulator) -> None:
    import anthropic

    client = anthropic.Anthropic(base_url=em.url, api_key="sk-test", max_retries=0)
    marked = {"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}
    with pytest.raises(anthropic.BadRequestError, match="maximum of 4"):
        client.messages.create(model="claude-sonnet-4-5", max_tokens=50,
                               messages=[{"role": "user", "content": [marked] * 5}])
    empty = {"type": "text", "text": "", "cache_control": {"type": "ephemeral"}}
    with pytest.raises(anthropic.BadRequestError, match="empty text"):
        client.messages.create(model="claude-sonnet-4-5", max_tokens=50,
                               messages=[{"role": "user", "content": [marked, empty]}])


# ------------------------------------------------------------------------------- the emulator's wire


def _post(em: Emulator, path: str, body: dict[str, Any]) -> dict[str, Any]:
    import json
    import urllib.request

    request = urllib.request.Request(em.url + path, data=json.dumps(body).encode(), method="POST", headers={
        "content-type": "application/json", "authorization": "Bearer sk-test", "x-api-key": "sk-test",
        "x-goog-api-key": "sk-test", "anthropic-version": "2023-06-01"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


LONG = "Tell me about the history of the city of Rome in the time of the republic. " * 10


def test_the_emulator_reports_cache_reads_in_each_vendors_own_fields(em: Emulator) -> None:
    chat = {"model": "gpt-4o", "messages": [{"role": "user", "content": LONG}]}
    miss, hit = _post(em, "/v1/chat/completions", chat), _post(em, "/v1/chat/completions", chat)
    assert miss["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
    assert 0 < hit["usage"]["prompt_tokens_details"]["cached_tokens"] < hit["usage"]["prompt_tokens"]

    responses = {"model": "gpt-4o", "input": LONG}
    _post(em, "/v1/responses", responses)
    details = _post(em, "/v1/responses", responses)["usage"]["input_tokens_details"]
    assert details["cached_tokens"] > 0

    gemini = {"contents": [{"role": "user", "parts": [{"text": LONG}]}]}
    path = "/v1beta/models/gemini-2.5-flash:generateContent"
    first, again = _post(em, path, gemini)["usageMetadata"], _post(em, path, gemini)["usageMetadata"]
    assert "cachedContentTokenCount" not in first  # Gemini leaves it out on a miss
    assert 0 < again["cachedContentTokenCount"] < again["promptTokenCount"]

    plain = {"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": [{"role": "user", "content": LONG}]}
    _post(em, "/v1/messages", plain)
    usage = _post(em, "/v1/messages", plain)["usage"]
    assert (usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"]) == (0, 0)  # no breakpoint
    marked = {**plain, "messages": [{"role": "user", "content": [
        {"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}]}]}
    written, read = _post(em, "/v1/messages", marked)["usage"], _post(em, "/v1/messages", marked)["usage"]
    assert written["cache_read_input_tokens"] == 0 and written["cache_creation_input_tokens"] > 0
    assert written["cache_creation"]["ephemeral_5m_input_tokens"] == written["cache_creation_input_tokens"]
    assert read["cache_read_input_tokens"] == written["cache_creation_input_tokens"]
    assert read["cache_creation_input_tokens"] == 0
    # Anthropic's `input_tokens` leaves out what was read and written: the three add up to the prompt.
    assert (written["input_tokens"] + written["cache_creation_input_tokens"]
            == read["input_tokens"] + read["cache_read_input_tokens"])


REFUSALS = {
    # What gateways answer when they do not pass a hint on (LiteLLM 1.108 routing the OpenAI door to Claude).
    "openai": "litellm.UnsupportedParamsError: anthropic does not support parameters: ['prompt_cache_key']",
    "responses": "Unrecognized request argument supplied: prompt_cache_key",
    "anthropic": "tools.0.cache_control: Extra inputs are not permitted",
}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("dialect", list(REFUSALS))
def test_a_relay_refusing_a_caching_hint_gets_the_request_again_without_hints(em: Emulator, relay: ak.Relay,
                                                                              dialect: str, stream: bool) -> None:
    from agentkit.errors import CacheHintWarning

    em.fault(ak.emulator.Fault.http_error(400, REFUSALS[dialect]), count=1)
    agent = ak.Agent(MODELS[dialect], tools=[get_weather], system=SYSTEM, relay=relay, display=False)
    with pytest.warns(CacheHintWarning, match="went again without caching hints"):
        reply = _run(agent, "What is the weather in Paris?", stream=stream)
    assert "Paris" in reply.text and reply.turns == 2  # the refused request is not a turn
    refused, *sent = _bodies(em)
    assert "cache" in str(refused) and not any("prompt_cache_key" in b or "cache_control" in str(b) for b in sent)
    again = ak.Agent(MODELS[dialect], relay=relay, display=False)  # remembered for the relay and model
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheHintWarning)
        again("Hello")
    assert "cache" not in str(_bodies(em)[-1]).replace("cached", "")


def test_a_400_about_something_else_is_not_taken_for_a_caching_refusal(em: Emulator, relay: ak.Relay) -> None:
    em.fault(ak.emulator.Fault.http_error(400, "max_tokens: must be at most 8192"), count=1)
    with pytest.raises(ak.BadRequestError, match="max_tokens"):
        ak.Agent("claude-sonnet-4-5", relay=relay, display=False)("Hello")
    assert not relay.no_cache_hints


def test_a_file_in_a_cached_prefix_counts_as_it_does_in_the_prompt(em: Emulator, relay: ak.Relay) -> None:
    from agentkit.emulator.model import ATTACHMENT_TOKENS
    from tests.files._samples import pdf

    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    first = agent("Summarise", files=[ak.File(pdf(2), name="report.pdf")])
    second = agent("Shorter")
    assert first.usage.input_tokens >= ATTACHMENT_TOKENS  # the file counts in the prompt ...
    assert second.usage.cached_tokens >= ATTACHMENT_TOKENS  # ... and in the prefix read back from the cache
    assert second.usage.cached_tokens < second.usage.input_tokens
