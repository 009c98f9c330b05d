"""Scripted replies: exact turns for tests, returned in order before the rule-based model takes over.

Why: some tests need a precise reply (two parallel calls with given arguments, invalid argument JSON,
a reasoning text, a failure on the third request) rather than what the rules would say. A script is a
queue of :class:`Turn`s, optionally restricted to a door and/or model; each request takes the first
turn that fits it. When no turn fits, the rule-based model answers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentkit._api import checked_class

from .faults import Fault
from .model import finish_usage, tool_call_id
from .neutral import ChatRequest, Reply, ToolCall

__all__ = ["Call", "Script", "Turn", "as_turn"]


@checked_class("ak.emulator.Call", "call")
@dataclass(frozen=True)
class Call:
    """A scripted tool call.

    Attributes:
        name: The tool's name.
        arguments: The arguments as a dict, or as a raw string (which may be invalid JSON on purpose).
        id: The call id; None lets the door pick a vendor-shaped one.
    """

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def arguments_text(self) -> str:
        """The arguments as JSON text (a raw string is sent unchanged)."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(dict(self.arguments), ensure_ascii=False)


@checked_class("ak.emulator.Turn", "turn")
@dataclass(frozen=True)
class Turn:
    """One scripted reply: text and/or tool calls and/or reasoning, and/or a fault.

    A turn with only a fault makes that request fail (or, for faults that still answer, such as a
    delay, answers with the rule-based model).

    Attributes:
        text: The assistant's text.
        tool_calls: Tool calls, as :class:`Call`s, `(name, arguments)` pairs or `{"name", "arguments"}` dicts.
        reasoning: Reasoning/thinking text, shown in the door's reasoning form.
        fault: A fault applied to the request that takes this turn.
        door: Only requests through this door take the turn ("openai", "responses", "anthropic", "gemini").
        model: Only requests for this model take the turn.
    """

    text: str | None = None
    tool_calls: Sequence[Call | tuple[str, Any] | Mapping[str, Any]] = ()
    reasoning: str | None = None
    fault: Fault | None = None
    door: str | None = None
    model: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "tool_calls", tuple(_as_call(c) for c in self.tool_calls))

    @property
    def calls(self) -> tuple[Call, ...]:
        """The tool calls, normalised to :class:`Call`."""
        return tuple(_as_call(c) for c in self.tool_calls)

    @property
    def has_content(self) -> bool:
        """Whether the turn says anything (otherwise the rule-based model supplies the content)."""
        return self.text is not None or bool(self.tool_calls) or self.reasoning is not None

    def to_reply(self, request: ChatRequest) -> Reply:
        """The Reply this turn gives to `request`, with usage filled in."""
        seed = f"{request.model}\x00{request.last_user_text()}\x00{len(request.messages)}"
        calls = [
            ToolCall(call.id or "call_" + tool_call_id(seed, index), call.name, call.arguments_text())
            for index, call in enumerate(self.calls)
        ]
        reply = Reply(
            text=self.text,
            tool_calls=calls,
            reasoning=self.reasoning,
            finish="tool_calls" if calls else "stop",
        )
        if reply.text is None and not calls:
            reply.text = ""
        return finish_usage(request, reply)


def _as_call(value: Any) -> Call:
    if isinstance(value, Call):
        return value
    if isinstance(value, tuple) and len(value) in (2, 3) and isinstance(value[0], str):
        return Call(value[0], value[1], value[2] if len(value) == 3 else None)
    if isinstance(value, Mapping) and isinstance(value.get("name"), str):
        return Call(value["name"], value.get("arguments", {}), value.get("id"))
    raise TypeError(
        f"A scripted tool call must be a Call, a (name, arguments) tuple or a {{'name', 'arguments'}} dict, not {value!r}."
    )


def as_turn(
    value: Turn | str | Mapping[str, Any] | Fault, *, door: str | None = None, model: str | None = None
) -> Turn:
    """Normalise what `Emulator.script()` accepts: a Turn, a text, a dict of Turn fields, or a Fault."""
    if isinstance(value, Turn):
        turn = value
    elif isinstance(value, str):
        turn = Turn(text=value)
    elif isinstance(value, Fault):
        turn = Turn(fault=value)
    elif isinstance(value, Mapping):
        turn = Turn(**dict(value))
    else:
        raise TypeError(
            f"A scripted turn must be a Turn, a str, a dict or a Fault, not {type(value).__name__}."
        )
    if door is not None or model is not None:
        turn = Turn(
            text=turn.text,
            tool_calls=turn.tool_calls,
            reasoning=turn.reasoning,
            fault=turn.fault,
            door=turn.door or door,
            model=turn.model or model,
        )
    return turn


class Script:
    """A thread-safe queue of scripted turns."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._turns: list[Turn] = []

    def extend(self, turns: Iterable[Turn]) -> None:
        """Queue turns behind the existing ones."""
        with self._lock:
            self._turns.extend(turns)

    def take(self, door: str, model: str | None) -> Turn | None:
        """Remove and return the first turn that fits a request through `door` for `model`."""
        with self._lock:
            for index, turn in enumerate(self._turns):
                if (turn.door is None or turn.door == door) and (turn.model is None or turn.model == model):
                    return self._turns.pop(index)
        return None

    def clear(self) -> None:
        """Forget every queued turn."""
        with self._lock:
            self._turns.clear()

    @property
    def pending(self) -> list[Turn]:
        """A snapshot of the turns still waiting."""
        with self._lock:
            return list(self._turns)
