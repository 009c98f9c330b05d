"""`ak.Agent` end to end on the emulator, through the official SDKs, in all four dialects."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any, Literal

import pytest

import agentkit as ak
from agentkit.emulator.script import Turn
from agentkit.events import (
    RunFinished,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
    TurnStarted,
)
from agentkit.messages import ReasoningPart, ToolCallPart, ToolResultPart

MODELS = ["gpt-4o", "responses:gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"]
KEY = "sk-agent-test-0123456789abcdef"


@pytest.fixture(scope="module")
def relay() -> Iterator[Any]:
    with ak.emulator.serve(api_key=KEY) as relay:
        yield relay


@pytest.fixture(autouse=True)
def _fresh(relay: Any) -> None:
    relay.emulator.reset()


@ak.tool
def get_weather(city: str, unit: Literal["c", "f"] = "c") -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: City name, e.g. "Paris".
        unit: Temperature unit.
    """
    return {"city": city, "temperature": 21, "unit": unit}


@ak.tool
def get_time(city: str) -> str:
    """The local time in a city.

    Args:
        city: City name.
    """
    return f"09:30 in {city}"


def _history_is_valid(history: list[ak.Message]) -> bool:
    calls = {p.id for m in history for p in m.parts if isinstance(p, ToolCallPart)}
    results = {p.call_id for m in history for p in m.parts if isinstance(p, ToolResultPart)}
    return calls == results


@pytest.mark.parametrize("model", MODELS)
def test_a_tool_call_round_trip_in_every_dialect(relay: Any, model: str) -> None:
    agent = ak.Agent(model, tools=[get_weather], relay=relay, display=False)
    reply = agent("What is the weather in Paris?")
    assert [c.name for c in reply.tool_calls] == ["get_weather"]
    call = reply.tool_calls[0]
    assert call.arguments["city"] == "Paris"
    assert call.result == {"city": "Paris", "temperature": 21, "unit": "c"}
    assert call.error is None
    assert "21" in reply.text  # the final answer uses the tool's result
    assert reply.turns == 2
    assert reply.dialect == agent.dialect
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0
    assert [m.role for m in agent.history] == ["user", "assistant", "tool", "assistant"]
    # The second request carried the result, paired with the call.
    second = relay.emulator.log[-1]
    assert "21" in str(second.body)


@pytest.mark.parametrize("model", MODELS)
def test_parallel_calls_run_concurrently_and_come_back_in_call_order(relay: Any, model: str) -> None:
    # Each tool waits until the other one has started: run one after the other, the first would wait
    # in vain (and fail); run together, both go on, however busy the machine. Beta then finishes first.
    both_running = threading.Barrier(2, timeout=5)

    @ak.tool
    def slow_a(x: int) -> str:
        """Slow tool alpha."""
        both_running.wait()
        time.sleep(0.1)
        return "A"

    @ak.tool
    def slow_b(x: int) -> str:
        """Slow tool beta."""
        both_running.wait()
        return "B"

    relay.emulator.script(Turn(tool_calls=[("slow_a", {"x": 1}), ("slow_b", {"x": 2})]), "done")
    agent = ak.Agent(model, tools=[slow_a, slow_b], relay=relay, display=False)
    stream = agent.stream("go")
    list(stream)
    assert stream.reply is not None
    assert not [c.error for c in stream.reply.tool_calls if c.error], "the tools did not run concurrently"
    reply = stream.reply
    assert [c.name for c in reply.tool_calls] == ["slow_a", "slow_b"]
    tool_message = agent.history[2]
    assert [p.name for p in tool_message.tool_results] == ["slow_a", "slow_b"]
    assert [p.text for p in tool_message.tool_results] == ["A", "B"]


@pytest.mark.parametrize("model", MODELS)
def test_stream_events_in_order(relay: Any, model: str) -> None:
    agent = ak.Agent(model, tools=[get_weather], relay=relay, display=False)
    stream = agent.stream("What is the weather in Rome?")
    events = list(stream)
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "TurnStarted" and kinds[-1] == "RunFinished"
    assert kinds.index("ToolCallStarted") < kinds.index("ToolCallFinished") < kinds.index("TextDelta")
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert stream.reply is not None and text == stream.reply.text and "Rome" in text
    finished = [e for e in events if isinstance(e, ToolCallFinished)]
    assert finished[0].result.text and finished[0].duration >= 0
    assert sum(isinstance(e, TurnFinished) for e in events) == 2
    assert all(e.dialect == agent.dialect for e in events if isinstance(e, TurnStarted))


def test_astream_and_arun(relay: Any) -> None:
    agent = ak.Agent("claude-sonnet-4-5", tools=[get_time], relay=relay, display=False)

    async def main() -> tuple[list[Any], ak.Reply | None, ak.Reply]:
        stream = agent.astream("What time is it in Tokyo? use get_time")
        events = [e async for e in stream]
        again = await agent.arun("And again in Oslo, get_time please")
        return events, stream.reply, again

    events, reply, again = asyncio.run(main())
    assert isinstance(events[-1], RunFinished) and reply is events[-1].reply
    assert any(isinstance(e, ToolCallStarted) for e in events)
    assert again.tool_calls[0].arguments == {"city": "Oslo"}
    assert len(agent.history) == 8  # history kept between calls


def test_sync_call_works_inside_a_running_event_loop(relay: Any) -> None:
    """What a notebook cell does: `agent(...)` while the kernel's loop is running."""
    agent = ak.Agent("gemini-2.5-pro", tools=[get_weather], relay=relay, display=False)

    async def cell() -> ak.Reply:
        return agent("What is the weather in Paris?")  # sync call, loop running

    reply = asyncio.run(cell())
    assert reply.tool_calls[0].result["city"] == "Paris"
    assert not [t for t in threading.enumerate() if t.name == "agentkit-run"]


@pytest.mark.parametrize("model", MODELS)
def test_model_mistakes_go_back_as_error_results(relay: Any, model: str) -> None:
    @ak.tool
    def explode(n: int) -> int:
        """A tool that raises."""
        raise ValueError(f"bad n {n}")

    relay.emulator.script(
        Turn(tool_calls=[("nope", {}), ("get_weather", '{"city": "Par'), ("get_weather", {"unit": "k"}),
                         ("explode", {"n": 3})]),
        "recovered",
    )
    agent = ak.Agent(model, tools=[get_weather, explode], relay=relay, display=False)
    reply = agent("try things")
    assert reply.text == "recovered"
    errors = [c.error for c in reply.tool_calls]
    assert all(errors), errors
    assert "no tool named 'nope'" in errors[0] and "`get_weather`" in errors[0]
    # Chat/Responses carry the broken JSON text; Anthropic and Gemini wire formats only carry objects,
    # so there the broken call arrives without its arguments. Either way the model is told.
    assert "not a valid JSON object" in errors[1] or "`city` is missing" in errors[1]
    assert "city" in errors[2] and "'k'" in errors[2]
    assert "ValueError" in errors[3] and "bad n 3" in errors[3]
    assert _history_is_valid(agent.history)
    sent = str(relay.emulator.log[-1].body)
    assert "bad n 3" in sent and "no tool named" in sent  # the model saw every error


def test_max_turns_raises_and_leaves_a_valid_history(relay: Any) -> None:
    relay.emulator.script(*[Turn(tool_calls=[("get_time", {"city": "Lima"})]) for _ in range(3)])
    agent = ak.Agent("gpt-4o", tools=[get_time], relay=relay, display=False, max_turns=2)
    with pytest.raises(ak.MaxTurnsExceeded, match="max_turns=2"):
        agent("loop forever")
    assert _history_is_valid(agent.history)
    relay.emulator.reset()
    relay.emulator.script("finally done")
    assert agent().text == "finally done"  # continue from the history


def test_a_tool_past_its_timeout_becomes_an_error_and_the_run_does_not_wait(relay: Any) -> None:
    @ak.tool(timeout=0.2)
    async def hang(x: int) -> str:
        """Hangs."""
        await asyncio.sleep(5)
        return "never"

    relay.emulator.script(Turn(tool_calls=[("hang", {"x": 1})]), "gave up")
    agent = ak.Agent("claude-sonnet-4-5", tools=[hang], relay=relay, display=False)
    stream = agent.stream("go")
    finished = [e for e in stream if isinstance(e, ToolCallFinished)]
    assert finished[0].duration < 2, finished  # given up after 0.2 s, not waited 5 s for
    assert stream.reply is not None and "timeout" in (stream.reply.tool_calls[0].error or "")


@pytest.mark.parametrize("model", MODELS)
def test_a_relay_error_is_typed_and_the_history_is_unchanged(relay: Any, model: str) -> None:
    agent = ak.Agent(model, relay=relay, display=False)
    agent("hello")
    before = list(agent.history)
    relay.emulator.fault("http_error", status=402)
    with pytest.raises(ak.InsufficientBalanceError) as info:
        agent("this one fails")
    assert info.value.dialect == agent.dialect
    assert KEY not in str(info.value)
    assert agent.history == before
    assert agent("and this works").text


def test_cancelled_during_tools_leaves_every_call_answered(relay: Any) -> None:
    gate = threading.Event()

    @ak.tool
    async def slow(x: int) -> str:
        """Slow."""
        gate.set()
        await asyncio.sleep(10)
        return "late"

    relay.emulator.script(Turn(tool_calls=[("slow", {"x": 1}), ("get_time", {"city": "Oslo"})]))
    agent = ak.Agent("gpt-4o", tools=[slow, get_time], relay=relay, display=False)

    async def main() -> None:
        task = asyncio.create_task(agent.arun("go"))
        while not gate.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert _history_is_valid(agent.history)
    results = {p.name: p for m in agent.history for p in m.tool_results}
    assert results["slow"].is_error and "interrupted" in results["slow"].text
    relay.emulator.reset()
    assert agent("next").text  # the next call works


def test_keyboard_interrupt_in_a_sync_run_leaves_a_valid_history(relay: Any) -> None:
    @ak.tool
    def ctrl_c(x: int) -> str:
        """Simulates the user pressing Ctrl-C while the tool runs."""
        raise KeyboardInterrupt

    relay.emulator.script(Turn(tool_calls=[("ctrl_c", {"x": 1})]))
    agent = ak.Agent("claude-sonnet-4-5", tools=[ctrl_c], relay=relay, display=False)
    with pytest.raises((KeyboardInterrupt, asyncio.CancelledError)):
        agent("go")
    assert _history_is_valid(agent.history)
    relay.emulator.reset()
    assert agent("again").text


def test_switching_vendors_keeps_the_history_and_drops_foreign_signatures(relay: Any) -> None:
    agent = ak.Agent("claude-sonnet-4-5", tools=[get_weather], relay=relay, display=False, reasoning=True)
    agent("What is the weather in Paris?")
    assert any(isinstance(p, ReasoningPart) and p.signature for m in agent.history for p in m.parts)
    agent.model = "gemini-2.5-pro"
    reply = agent("What is the weather in Oslo?")
    assert reply.dialect == "gemini"
    body = relay.emulator.log[-2].body  # the first Gemini request carries the Claude turns
    text = str(body)
    assert "functionCall" in text or "function_call" in text
    assert "Paris" in text and "signature" not in text.lower().replace("thought_signature", "").replace(
        "thoughtsignature", "")
    agent.model = "gpt-4o"
    assert agent("Summarise").text
    assert _history_is_valid(agent.history)


def test_approval_hook_is_honoured(relay: Any) -> None:
    seen: list[str] = []

    @ak.tool(approval=True)
    def delete_file(path: str) -> str:
        """Delete a file."""
        return "deleted"

    relay.emulator.script(Turn(tool_calls=[("delete_file", {"path": "/tmp/x"})]), "ok")
    agent = ak.Agent("gpt-4o", tools=[delete_file], relay=relay, display=False,
                     approve=lambda call: seen.append(call.name) or False)
    reply = agent("delete it")
    assert seen == ["delete_file"]
    assert "did not approve" in (reply.tool_calls[0].error or "")


def test_system_prompt_and_options_reach_the_request(relay: Any) -> None:
    agent = ak.Agent("claude-sonnet-4-5", relay=relay, display=False, system="You are terse.", temperature=0.3)
    agent("hi")
    body = relay.emulator.log[-1].body
    assert body["system"] == "You are terse." or "You are terse." in str(body["system"])
    assert body["temperature"] == 0.3  # sent via extra_body: messages.create has no temperature
    assert agent.history[0].role == "user"  # the system prompt is not duplicated into the history


def test_from_and_to_dialect_round_trip(relay: Any) -> None:
    agent = ak.Agent("gpt-4o", tools=[get_weather], relay=relay, display=False)
    agent("What is the weather in Paris?")
    exported = ak.to_dialect("anthropic", agent.history)
    imported = ak.from_dialect("anthropic", exported)
    assert [m.role for m in imported] == ["user", "assistant", "tool", "assistant"] or [
        m.role for m in imported] == ["user", "assistant", "user", "assistant"]
    fresh = ak.Agent("gemini-2.5-pro", tools=[get_weather], relay=relay, display=False)
    fresh.history = imported
    assert fresh("and in Rome?").text


def test_no_prompt_and_no_history_is_a_clear_error(relay: Any) -> None:
    with pytest.raises(ak.ConfigurationError, match="no prompt"):
        ak.Agent("gpt-4o", relay=relay, display=False)()


def test_agents_made_again_with_the_same_plain_functions_share_the_built_schema() -> None:
    """A notebook re-creates agents with the same functions: the tool is built once per function,
    yet each agent owns its copy."""

    def lookup(city: str, days: int = 1) -> str:
        """Weather forecast.

        Args:
            city: City name.
            days: How many days ahead.
        """
        return city

    relay = ak.Relay("http://127.0.0.1:9", api_key="sk-share-test-0123456789")
    first = ak.Agent("gpt-4o", tools=[lookup], relay=relay, display=False)
    second = ak.Agent("gpt-4o", tools=[lookup], relay=relay, display=False)
    one, two = first.tools[0], second.tools[0]
    assert one is not two
    assert one._spec is two._spec  # the pydantic model and schema were built once
    assert one.to_schema("openai") == two.to_schema("openai")
    one.name = "forecast"
    assert two.name == "lookup" and ak.Agent("gpt-4o", tools=[lookup], relay=relay, display=False).tools[0].name == "lookup"
    assert two.invoke({"city": "Paris"}) == "Paris"


@pytest.mark.parametrize("model", MODELS)
def test_reused_and_missing_call_ids_are_made_unique_on_both_sides(relay: Any, model: str) -> None:
    """A relay that reuses call ids (within one answer and across turns) or sends none: every call is
    kept, and every request agentkit sends pairs each result with exactly one call."""
    from agentkit.emulator.script import Call

    relay.emulator.script(
        Turn(tool_calls=[Call("get_weather", {"city": "Paris"}, id="call_0"),
                         Call("get_time", {"city": "Paris"}, id="call_0")]),
        Turn(tool_calls=[Call("get_time", {"city": "Rome"}, id="call_0")]),
        "Done.",
    )
    agent = ak.Agent(model, tools=[get_weather, get_time], relay=relay, display=False)
    reply = agent("Weather and time?")
    assert reply.text == "Done."
    ids = [call.id for call in reply.tool_calls]
    assert [call.name for call in reply.tool_calls] == ["get_weather", "get_time", "get_time"]
    assert len(set(ids)) == 3
    assert [call.result for call in reply.tool_calls][1:] == ["09:30 in Paris", "09:30 in Rome"]
    dialect = agent.dialect
    sent = ak.from_dialect(dialect, relay.emulator.log[-1].body)
    calls = [p.id for m in sent for p in m.parts if isinstance(p, ToolCallPart)]
    results = [p.call_id for m in sent for p in m.parts if isinstance(p, ToolResultPart)]
    assert len(calls) == 3 and len(set(calls)) == 3
    assert sorted(results) == sorted(calls)


def test_one_agent_from_two_threads_refuses_the_second_run_and_keeps_its_history(relay: Any) -> None:
    """Two threads call the same agent at once: one run finishes, the other is refused promptly
    with `ak.AgentBusyError` (never a hang, never an interleaved history); afterwards, either
    thread can use it again."""
    release = threading.Event()

    @ak.tool
    def slow(x: int) -> str:
        """Waits until released."""
        release.wait(10)
        return "done"

    relay.emulator.script(Turn(tool_calls=[("slow", {"x": 1})]), "Finished.")
    agent = ak.Agent("claude-sonnet-4-5", tools=[slow], relay=relay, display=False)
    outcomes: dict[str, Any] = {}

    def first() -> None:
        outcomes["first"] = agent("Go slowly.").text

    def second() -> None:
        started = time.monotonic()
        try:
            agent("Me too.")
        except ak.AgentBusyError as exc:
            outcomes["second"] = (exc, time.monotonic() - started)

    one = threading.Thread(target=first)
    one.start()
    while not any(isinstance(p, ToolCallPart) for m in agent.history for p in m.parts):
        time.sleep(0.01)
    two = threading.Thread(target=second)
    two.start()
    two.join(5)
    assert not two.is_alive()
    release.set()
    one.join(10)
    assert outcomes["first"] == "Finished."
    error, waited = outcomes["second"]
    assert isinstance(error, ak.AgentkitError) and "already running" in str(error)
    assert waited < 3
    assert [m.role for m in agent.history] == ["user", "assistant", "tool", "assistant"]
    relay.emulator.script("Again.")
    assert agent("Once more.").text == "Again."
