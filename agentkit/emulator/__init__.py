"""agentkit's loopback API relay emulator, for offline notebooks, demos and tests.

A real HTTP server (Starlette on uvicorn, on a background thread) that speaks the OpenAI Chat
Completions and Responses, Anthropic Messages and Gemini generateContent wire formats closely enough
for the official SDKs, answered by a deterministic rule-based model (tool calls read from the prompt,
structured output, image descriptions, reasoning), scripted turns, and injected faults::

    import agentkit as ak

    with ak.emulator.serve(api_key="sk-test") as relay:
        relay.emulator.script(ak.emulator.Turn(tool_calls=[("get_weather", {"city": "Paris"})]))
        relay.emulator.fault(ak.emulator.Fault.http_error(429, retry_after=0))
        ...

This package imports no vendor SDK; `serve()` imports `agentkit.relay` only when called.
"""

from __future__ import annotations

from .app import DEFAULT_MODELS
from .faults import Fault, FaultKind
from .log import RequestLog, RequestRecord
from .script import Call, Turn
from .server import PLACEHOLDER_KEY, Emulator, serve

__all__ = [
    "DEFAULT_MODELS",
    "PLACEHOLDER_KEY",
    "Call",
    "Emulator",
    "Fault",
    "FaultKind",
    "RequestLog",
    "RequestRecord",
    "Turn",
    "serve",
]
