"""The weather round trip every dialect's tests run against the emulator, written once.

The emulator's model first reasons and calls `get_weather(city="Paris")`, then answers "Sunny in
Paris." once it has the result. Each dialect's test builds its own requests and checks its own
wire form in `sent`; this module runs the two turns (non-streaming or streaming) in between.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agentkit.dialects.base import DialectModule, ModelRequest, Turn
from agentkit.emulator import Call, serve
from agentkit.emulator import Turn as ScriptedTurn
from agentkit.events import TextDelta
from agentkit.messages import Message, TextPart, ToolCallPart, ToolResultPart


@dataclass
class RoundTrip:
    first: Turn
    """The turn that called the tool."""
    second: Turn
    """The answer after the tool result."""
    call: ToolCallPart
    sent: list[dict[str, Any]]
    """The request bodies the emulator received, in order."""


async def call_model(dialect: DialectModule, client: Any, request: ModelRequest, *, streaming: bool) -> Turn:
    """One `create`, or one `stream` whose text deltas must add up to the final Turn's text."""
    kwargs = dialect.encode(request)
    if not streaming:
        return await dialect.create(client, kwargs)
    items = [item async for item in dialect.stream(client, kwargs)]
    final = items[-1]
    assert isinstance(final, Turn), items
    assert "".join(d.text for d in items if isinstance(d, TextDelta)) == final.message.text
    return final


async def weather_round_trip(
    dialect: DialectModule,
    door: str,
    history: Sequence[Message],
    request: Callable[[list[Message], bool], ModelRequest],
    *,
    streaming: bool,
) -> RoundTrip:
    """Run the two turns; `request(history, first)` builds each request (`first`: the tool-calling one)."""
    with serve() as relay:
        relay.emulator.script(
            ScriptedTurn(reasoning="Need the weather.", tool_calls=[Call("get_weather", {"city": "Paris"})]),
            ScriptedTurn(text="Sunny in Paris."),
        )
        client = relay.async_client(door)
        messages = list(history)
        try:
            first = await call_model(dialect, client, request(messages, True), streaming=streaming)
            assert first.finish_reason == "tool_calls"
            (tool_call,) = first.message.tool_calls
            assert (tool_call.name, tool_call.arguments) == ("get_weather", {"city": "Paris"})
            result = ToolResultPart(tool_call.id, "get_weather", (TextPart("sunny"),))
            messages += [first.message, Message("tool", [result])]
            second = await call_model(dialect, client, request(messages, False), streaming=streaming)
        finally:  # on this loop (the SDKs close an unclosed client at garbage collection, on whatever loop runs then)
            await (getattr(client, "aclose", None) or client.close)()
        sent = [record.body for record in relay.emulator.log.for_door(door)]
    assert second.message.text == "Sunny in Paris." and second.finish_reason == "stop"
    return RoundTrip(first, second, tool_call, sent)
