"""Agents calling MCP tools on the emulator, through the official SDKs, in every dialect."""

from __future__ import annotations

from typing import Any

import pytest

import agentkit as ak
from agentkit.display.render import RunView, agent_bundle, run_html
from agentkit.messages import ImagePart, ToolCallPart, ToolResultPart
from tests.vision.test_agent_vision import wire_images

MODELS = ["gpt-4o", "responses:gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"]


@pytest.fixture(autouse=True)
def _fresh(relay: Any) -> None:
    relay.emulator.reset()


def _valid(history: list[ak.Message]) -> bool:
    calls = {p.id for m in history for p in m.parts if isinstance(p, ToolCallPart)}
    return calls == {p.call_id for m in history for p in m.parts if isinstance(p, ToolResultPart)}


@pytest.mark.parametrize("model", MODELS)
def test_an_agent_calls_mcp_tools_and_sees_their_images(relay: Any, server: ak.mcp.Server, model: str) -> None:
    agent = ak.Agent(model, tools=[server], relay=relay, display=False)
    assert "shout" in [t.name for t in agent.tools]
    relay.emulator.script(ak.emulator.Turn(tool_calls=[("shout", {"text": "hello"}), ("red_square", {"size": 6})]))
    reply = agent("Shout hello and draw a red square")
    assert [c.name for c in reply.tool_calls] == ["shout", "red_square"]
    assert reply.tool_calls[0].result == {"result": "HELLO"}
    results = [p for p in agent.history[2].parts if isinstance(p, ToolResultPart)]
    assert any(isinstance(p, ImagePart) for p in results[1].content)
    record = relay.emulator.log.last  # the request that carried the results back
    sent = wire_images(record.door, record.body)
    if record.door == "openai":  # Chat Completions tool messages carry text only: a sentence says so
        assert sent == [] and "image/png 6x6" in str(record.body["messages"])
    else:
        assert [s["mime"] for s in sent] == ["image/png"]
    assert "HELLO" in str(record.body)
    assert _valid(agent.history)


@pytest.mark.parametrize("model", ["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"])
def test_an_mcp_error_is_an_error_result_the_model_reacts_to(relay: Any, server: ak.mcp.Server, model: str) -> None:
    agent = ak.Agent(model, tools=server.tools(include=["refuse"]), relay=relay, display=False)
    relay.emulator.script(ak.emulator.Turn(tool_calls=[("refuse", {"reason": "closed on Mondays"})]))
    reply = agent("Try it")
    call = reply.tool_calls[0]
    assert call.error is not None and "refused: closed on Mondays" in call.error
    result = next(p for p in agent.history[2].parts if isinstance(p, ToolResultPart))
    assert result.is_error
    assert reply.text and _valid(agent.history)


def test_a_slow_mcp_call_times_out_and_the_server_stays_usable(relay: Any, server: ak.mcp.Server) -> None:
    nap, shout = server.tools(include=["nap", "shout"])
    nap.timeout = 0.5  # this agent's copy; the server's other users are unaffected
    agent = ak.Agent("claude-sonnet-4-5", tools=[nap, shout], relay=relay, display=False)
    relay.emulator.script(ak.emulator.Turn(tool_calls=[("nap", {"seconds": 1.5})]),
                          ak.emulator.Turn(tool_calls=[("shout", {"text": "awake"})]))
    reply = agent("Nap, then shout")
    assert "timeout" in (reply.tool_calls[0].error or "")
    assert reply.tool_calls[1].result == {"result": "AWAKE"}
    assert server.tools(include=["nap"])[0].timeout is None


def test_approval_applies_to_mcp_tools(relay: Any, server: ak.mcp.Server) -> None:
    asked: list[str] = []
    tools = server.tools(include=["shout"])
    tools[0].approval = True
    agent = ak.Agent("gpt-4o", tools=tools, relay=relay, display=False,
                     approve=lambda call: asked.append(call.name) or False)
    relay.emulator.script(ak.emulator.Turn(tool_calls=[("shout", {"text": "no"})]))
    reply = agent("Shout no")
    assert asked == ["shout"] and "did not approve" in (reply.tool_calls[0].error or "")


def test_duplicate_names_raise_at_agent_and_say_to_use_prefix(relay: Any, server: ak.mcp.Server) -> None:
    @ak.tool
    def shout(text: str) -> str:
        """Say it loudly."""
        return text

    with pytest.raises(ak.ConfigurationError, match=r"'shout'.*`agentkit-test`.*prefix="):
        ak.Agent("gpt-4o", tools=[shout, server], relay=relay, display=False)


def test_the_views_show_the_server_beside_the_tool_name(relay: Any, server: ak.mcp.Server) -> None:
    agent = ak.Agent("gpt-4o", tools=[server], relay=relay, display=False)
    relay.emulator.script(ak.emulator.Turn(tool_calls=[("add", {"a": 1, "b": 2})]))
    agent("Add them")
    view = RunView.from_messages(agent.history)
    view.sources = {t.name: t.source for t in agent.tools if t.source}
    html = run_html(view)
    assert 'class="ak-tool-name">add</span><span class="ak-tool-source" title="MCP server">· agentkit-test' in html
    assert "· agentkit-test" in agent_bundle(agent)["text/html"]
