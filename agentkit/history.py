"""Import and export conversations in any dialect's wire form (`ak.from_dialect` / `ak.to_dialect`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentkit._api import refuse_unknown
from agentkit.dialects.base import load
from agentkit.errors import AgentkitError, ConfigurationError
from agentkit.messages import Message

__all__ = ["from_dialect", "to_dialect"]


@refuse_unknown("`ak.from_dialect(...)`")
def from_dialect(dialect: str, data: Any) -> list[Message]:
    """Neutral messages from a vendor-format conversation.

    `data` is a bare list of messages (Gemini: contents) or the request fragment holding them
    (`{"messages": ...}`, `{"input": ...}`, `{"contents": ...}` with `system`/`systemInstruction`);
    a system prompt found there becomes a leading system message.
    """
    module = load(dialect)  # an unknown name raises ConfigurationError, listing the dialects
    try:
        history: list[Message] = module.decode_history(data)
    except ValueError as exc:
        raise _as_agentkit_error(exc) from None
    return history


@refuse_unknown("`ak.to_dialect(...)`")
def to_dialect(dialect: str, history: Sequence[Message]) -> dict[str, Any]:
    """The request fragment for `history` in a dialect's wire form, as plain JSON-able dicts.

    Signed reasoning stays within its own dialect; content a dialect cannot carry raises a clear error.
    """
    module = load(dialect)  # an unknown name raises ConfigurationError, listing the dialects
    for index, message in enumerate(history):
        if not isinstance(message, Message):
            raise ConfigurationError(
                f"`ak.to_dialect` takes a list of `ak.Message`, but item {index} is a {type(message).__name__}: "
                f"{message!r:.80}. Pass `agent.history`, or `ak.from_dialect(...)` of a vendor conversation."
            )
    try:
        fragment: dict[str, Any] = module.encode_history(list(history))
    except ValueError as exc:
        raise _as_agentkit_error(exc) from None
    return fragment


def _as_agentkit_error(exc: ValueError) -> AgentkitError:
    """A dialect's decoder and encoder say what is wrong in a ValueError's full sentence; users meet
    it as an `ak.ConfigurationError` (still a ValueError), with the same words."""
    return exc if isinstance(exc, AgentkitError) else ConfigurationError(str(exc))
