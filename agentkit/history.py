"""Import and export conversations in any dialect's wire form (`ak.from_dialect` / `ak.to_dialect`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentkit._api import refuse_unknown
from agentkit.dialects.base import load
from agentkit.messages import Message

__all__ = ["from_dialect", "to_dialect"]


def _module(dialect: str) -> Any:
    return load(dialect)  # an unknown name raises ConfigurationError, listing the dialects


@refuse_unknown("`ak.from_dialect(...)`")
def from_dialect(dialect: str, data: Any) -> list[Message]:
    """Neutral messages from a vendor-format conversation.

    `data` is a bare list of messages (Gemini: contents) or the request fragment holding them
    (`{"messages": ...}`, `{"input": ...}`, `{"contents": ...}` with `system`/`systemInstruction`);
    a system prompt found there becomes a leading system message.
    """
    history: list[Message] = _module(dialect).decode_history(data)
    return history


@refuse_unknown("`ak.to_dialect(...)`")
def to_dialect(dialect: str, history: Sequence[Message]) -> dict[str, Any]:
    """The request fragment for `history` in a dialect's wire form, as plain JSON-able dicts.

    Signed reasoning stays within its own dialect; content a dialect cannot carry raises a clear error.
    """
    fragment: dict[str, Any] = _module(dialect).encode_history(list(history))
    return fragment
