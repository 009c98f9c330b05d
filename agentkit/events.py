"""Events a run emits while it goes: what `agent.stream()` yields and what the live view draws.

Plain frozen dataclasses, so a display or a test can match on them with `isinstance` / `match`.
Deltas (`TextDelta`, `ReasoningDelta`, `ToolCallDelta`) come from a dialect's stream decoder; the
agent adds tool and turn events around them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from agentkit.messages import Message, ToolCallPart, ToolResultPart, Usage

if TYPE_CHECKING:
    from agentkit.reply import Reply

__all__ = [
    "Delta",
    "Event",
    "OutputDelta",
    "ReasoningDelta",
    "Retrying",
    "RunFinished",
    "TextDelta",
    "ToolCallDelta",
    "ToolCallFinished",
    "ToolCallStarted",
    "TurnFinished",
    "TurnStarted",
]


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer's text, as it streams."""

    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    """A piece of the model's visible reasoning (thinking, reasoning_content, thought summary)."""

    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    """A piece of a tool call while the model writes it: `name`/`id` on the first piece, then argument text.

    `index` orders the calls of one turn (OpenAI groups argument fragments by it).
    """

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


Delta: TypeAlias = TextDelta | ReasoningDelta | ToolCallDelta


@dataclass(frozen=True)
class TurnStarted:
    """A model request is about to be sent (turn numbers start at 1)."""

    turn: int
    model: str
    dialect: str


@dataclass(frozen=True)
class ToolCallStarted:
    """A tool call the model made is about to run (or wait for approval)."""

    call: ToolCallPart


@dataclass(frozen=True)
class ToolCallFinished:
    """A tool call ended: `result.is_error` tells failure (bad arguments, exception, timeout, denied)."""

    call: ToolCallPart
    result: ToolResultPart
    duration: float
    """Seconds the tool itself took (a wait for approval is not counted: see `approval_wait`)."""
    approval_wait: float = 0.0
    """Seconds spent waiting for the call to be approved (0 for tools without `approval=True`)."""


@dataclass(frozen=True)
class TurnFinished:
    """A model request was answered and decoded into `message`."""

    turn: int
    message: Message
    usage: Usage


@dataclass(frozen=True)
class Retrying:
    """A model request failed in a way worth retrying; it is sent again after `delay` seconds.

    Comes only before anything of that request was shown (a stream is never retried half-way).
    """

    attempt: int
    """The retry about to be made (1 for the first)."""
    delay: float
    """Seconds waited before it (the relay's `Retry-After`, or the jittered backoff)."""
    error: Exception
    """What failed (an `ak.RelayError` or `ak.EmptyAnswerError`; no secret in it)."""


@dataclass(frozen=True)
class OutputDelta:
    """The structured answer so far, while it streams (runs with `output=`).

    `partial` is the JSON parsed so far (dicts, lists, strings cut where the stream is), not yet
    validated or converted: fields appear as the model writes them. `reply.output` has the result.
    """

    partial: Any


@dataclass(frozen=True)
class RunFinished:
    """The run is over; `reply` is what `agent(...)` returns."""

    reply: Reply


Event: TypeAlias = (
    TextDelta | ReasoningDelta | ToolCallDelta | TurnStarted | ToolCallStarted | ToolCallFinished | TurnFinished
    | Retrying | OutputDelta | RunFinished
)
