"""`Reply`: what one agent run returns — the answer, the tool calls it made, and what it cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agentkit._api import checked_class
from agentkit.cost import Cost, Spend
from agentkit.messages import Message, Usage

__all__ = ["Reply", "ToolCall"]


@checked_class("ak.ToolCall", "call")
@dataclass
class ToolCall:
    """One tool call made during a run, with its outcome."""

    id: str
    name: str
    arguments: dict[str, Any] | str
    """The arguments as the model sent them (raw text when they were not valid JSON)."""
    result: Any = None
    """What the tool returned (None when it failed)."""
    error: str | None = None
    """Why the call failed (bad arguments, unknown tool, exception, timeout, denied), else None."""
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@checked_class("ak.Reply", "reply")
@dataclass
class Reply:
    """The outcome of `agent(...)`: the final text, typed output, tool calls, usage and reasoning."""

    text: str
    model: str
    dialect: str
    usage: Usage = field(default_factory=Usage)
    tool_calls: list[ToolCall] = field(default_factory=list)
    reasoning: str | None = None
    output: Any = None
    """The typed structured output, when the run asked for `output=`."""
    messages: list[Message] = field(default_factory=list)
    """The messages this run added to the history (user prompt, assistant turns, tool results)."""
    turns: int = 0
    elapsed: float = 0.0
    spend: Spend = field(default_factory=Spend, repr=False, compare=False)
    """The run's model requests (model and usage each), which `cost` prices."""

    @property
    def cost(self) -> Cost | None:
        """What the run's requests cost (`ak.Cost`, an exact Decimal and a currency), or None when the
        model has no price (see `ak.Relay(prices=...)`). Priced when first asked for."""
        return self.spend.cost

    def __str__(self) -> str:
        return self.text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """HTML (the run as cards), Markdown and plain text: for nbconvert, GitHub and consoles."""
        from agentkit.display.render import reply_bundle

        return reply_bundle(self)

    def _ipython_display_(self) -> None:
        """Shown as the cell's result, unless the live view above already showed this very run."""
        from agentkit.display import show_reply

        show_reply(self)

    def __repr__(self) -> str:
        calls = f", tool_calls={[c.name for c in self.tool_calls]!r}" if self.tool_calls else ""
        text = self.text if len(self.text) <= 80 else self.text[:77] + "..."
        return f"Reply({text!r}, model={self.model!r}{calls}, turns={self.turns})"
