"""agentkit: LLM agents in Jupyter notebooks, across vendors, through one API relay.

Import cost matters in notebooks, so this module imports almost nothing: names are resolved on
first use (PEP 562 `__getattr__`), and no vendor SDK (openai, anthropic, google.genai) is imported
until a model of its dialect is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from agentkit.dialects import DIALECTS
from agentkit.errors import (
    AgentBusyError,
    AgentkitError,
    AuthenticationError,
    BadRequestError,
    BudgetExceededError,
    ConfigurationError,
    EmptyAnswerError,
    InsufficientBalanceError,
    MaxTurnsExceeded,
    MCPError,
    ModelNotFoundError,
    OutputRefusedError,
    OutputValidationError,
    QuotaExceededError,
    RateLimitError,
    RelayConnectionError,
    RelayError,
    RelayTimeoutError,
    ToolArgumentsError,
    UpstreamError,
)

__version__ = "0.1.0"

# name -> module that defines it; imported on first attribute access.
_LAZY: dict[str, str] = {
    "Agent": "agentkit.agent",
    "CompareTable": "agentkit.comparison",
    "Cost": "agentkit.cost",
    "File": "agentkit.messages",
    "Image": "agentkit.messages",
    "Message": "agentkit.messages",
    "Relay": "agentkit.relay",
    "Reply": "agentkit.reply",
    "Tool": "agentkit.tools",
    "ToolCall": "agentkit.reply",
    "Usage": "agentkit.messages",
    "abatch": "agentkit.batch",
    "acompare": "agentkit.comparison",
    "batch": "agentkit.batch",
    "compare": "agentkit.comparison",
    "from_dialect": "agentkit.history",
    "to_dialect": "agentkit.history",
    "tool": "agentkit.tools",
}
_SUBMODULES = frozenset(
    {"dialects", "display", "emulator", "errors", "events", "files", "images", "mcp", "messages", "output", "relay",
     "tools"}
)

if TYPE_CHECKING:
    from agentkit import emulator, events, files, images, mcp, output
    from agentkit.agent import Agent
    from agentkit.batch import abatch, batch
    from agentkit.comparison import CompareTable, acompare, compare
    from agentkit.cost import Cost
    from agentkit.history import from_dialect, to_dialect
    from agentkit.messages import File, Image, Message, Usage
    from agentkit.relay import Relay
    from agentkit.reply import Reply, ToolCall
    from agentkit.tools import Tool, tool

__all__ = [
    "Agent",
    "AgentBusyError",
    "AgentkitError",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "CompareTable",
    "ConfigurationError",
    "Cost",
    "DIALECTS",
    "EmptyAnswerError",
    "File",
    "Image",
    "InsufficientBalanceError",
    "MCPError",
    "MaxTurnsExceeded",
    "Message",
    "ModelNotFoundError",
    "OutputRefusedError",
    "OutputValidationError",
    "QuotaExceededError",
    "RateLimitError",
    "Relay",
    "RelayConnectionError",
    "RelayError",
    "RelayTimeoutError",
    "Reply",
    "Tool",
    "ToolArgumentsError",
    "ToolCall",
    "UpstreamError",
    "Usage",
    "__version__",
    "abatch",
    "acompare",
    "batch",
    "compare",
    "emulator",
    "events",
    "files",
    "from_dialect",
    "images",
    "mcp",
    "output",
    "to_dialect",
    "tool",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"agentkit.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'agentkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
