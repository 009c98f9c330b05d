"""What every door (wire protocol) of the emulator provides, plus shared JSON/SSE/id helpers.

Why SSE by hand: the framing is simple, and it must match the recordings byte for byte where SDK
parsers are strict (Gemini accepts only `data: ` lines; Anthropic drops events without `event:` lines).
Each door renders a whole stream as a list of complete SSE events, which also lets faults cut a stream
after exactly N events.
"""

from __future__ import annotations

import json
import random
import string
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .neutral import ChatRequest, Reply, ToolCall

__all__ = [
    "ErrorSpec",
    "RenderContext",
    "Rendered",
    "Wire",
    "arguments_object",
    "dumps_compact",
    "dumps_pretty",
    "header",
    "random_id",
    "sse_data",
    "sse_event",
]

_ALNUM = string.ascii_letters + string.digits


def dumps_compact(value: Any) -> str:
    """JSON without spaces, as OpenAI SSE chunks and Anthropic bodies are sent."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps_pretty(value: Any) -> str:
    """JSON with 2-space indentation, as OpenAI and Gemini non-stream bodies are sent."""
    return json.dumps(value, ensure_ascii=False, indent=2)


def sse_data(payload: str, *, line_end: str = "\n") -> str:
    """One data-only SSE event (OpenAI chat, Gemini)."""
    return f"data: {payload}{line_end}{line_end}"


def sse_event(name: str, payload: str) -> str:
    """One SSE event with an `event:` line (Anthropic, OpenAI Responses)."""
    return f"event: {name}\ndata: {payload}\n\n"


def random_id(rng: random.Random, length: int, alphabet: str = _ALNUM) -> str:
    """`length` random characters from `alphabet`, for vendor-shaped ids."""
    return "".join(rng.choice(alphabet) for _ in range(length))


def header(headers: dict[str, str], name: str) -> str | None:
    """A request header by case-insensitive name."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


@dataclass
class RenderContext:
    """Per-response randomness and clock, so a response's ids and timestamps agree with each other."""

    rng: random.Random = field(default_factory=random.Random)
    created: int = field(default_factory=lambda: int(time.time()))
    #: Whether the client asked for a stream (some doors label even errors differently then).
    streaming: bool = False
    #: Gemini only: `?alt=sse` was given, so streams are SSE rather than a JSON array.
    alt_sse: bool = False

    def ids(self, prefix: str, length: int, alphabet: str = _ALNUM) -> str:
        """A fresh id: `prefix` plus `length` random characters."""
        return prefix + random_id(self.rng, length, alphabet)


@dataclass(frozen=True)
class ErrorSpec:
    """An error to render in a door's native body.

    Attributes:
        status: The HTTP status.
        message: The message; None means the door's usual wording for the status.
        code: A machine-readable code (OpenAI `code`, e.g. "insufficient_quota"); None for the default.
        model: The requested model, used in default messages such as model-not-found.
        param: The offending parameter (OpenAI `param`).
    """

    status: int
    message: str | None = None
    code: str | None = None
    model: str | None = None
    param: str | None = None


@dataclass
class Rendered:
    """A complete non-stream HTTP answer."""

    status: int
    body: str
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


class Wire(ABC):
    """One door's wire protocol: parse requests, render replies, streams and errors natively."""

    #: The door name used in logs, scripts and faults ("openai", "responses", "anthropic", "gemini").
    door: ClassVar[str]
    #: Content type of a streamed answer.
    stream_media_type: ClassVar[str] = "text/event-stream; charset=utf-8"

    @abstractmethod
    def parse(self, body: Any, *, path_model: str | None = None, stream: bool | None = None) -> ChatRequest:
        """Turn a request body into a ChatRequest; raise RequestError for a body the vendor would reject."""

    @abstractmethod
    def render_json(self, reply: Reply, request: ChatRequest, ctx: RenderContext) -> Rendered:
        """The non-stream answer."""

    @abstractmethod
    def render_events(self, reply: Reply, request: ChatRequest, ctx: RenderContext) -> list[str]:
        """The streamed answer as complete SSE events (or JSON-array fragments for Gemini without alt=sse)."""

    @abstractmethod
    def render_error(self, error: ErrorSpec, ctx: RenderContext) -> Rendered:
        """An error answer in the door's native body."""

    @abstractmethod
    def stream_error_event(self, error: ErrorSpec, ctx: RenderContext, sequence_number: int) -> str:
        """An error event inside an otherwise successful (200) stream."""

    @abstractmethod
    def auth_error(self, present: bool, ctx: RenderContext) -> Rendered:
        """The answer to a missing (`present` False) or wrong key."""

    def response_headers(self, ctx: RenderContext) -> dict[str, str]:
        """Vendor-style response headers (request ids, rate-limit info)."""
        return {}

    def malformed_event(self, ctx: RenderContext, sequence_number: int) -> str:
        """An event whose JSON is cut off, framed so that the SDK does try to parse it."""
        return sse_data('{"id": "broken", "choices": [{"delta": {"content": "cut off')

    def stream_content_type(self, ctx: RenderContext) -> str:
        """The content type of a streamed answer."""
        return self.stream_media_type

    def with_invalid_arguments(self, reply: Reply, request: ChatRequest) -> Reply:
        """Break the reply's tool-call arguments (the "invalid tool-argument JSON" fault)."""
        calls = reply.tool_calls or [
            ToolCall("call_" + random_id(random.Random(), 24), tool.name, "{}") for tool in request.tools[:1]
        ]
        if not calls:  # no tools offered: there are no arguments to break
            return reply
        broken = [ToolCall(c.id, c.name, _truncate_json(c.arguments)) for c in calls]
        return Reply(
            text=reply.text,
            tool_calls=broken,
            reasoning=reply.reasoning,
            finish="tool_calls",
            usage=reply.usage,
        )


def arguments_object(arguments: str, schema: dict[str, Any] | None) -> dict[str, Any]:
    """Tool arguments as an object, for dialects whose wire carries objects (Anthropic, Gemini).

    Arguments that are not a JSON object cannot travel there, so they become an object that fails the
    tool's schema instead (no required fields, or a wrongly typed one): the closest those wires get
    to "invalid tool arguments".
    """
    try:
        parsed = json.loads(arguments)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return parsed
    schema = schema or {}
    required = schema.get("required")
    if isinstance(required, list) and required:
        return {}
    properties = schema.get("properties")
    if isinstance(properties, dict) and properties:
        name, prop = next(iter(properties.items()))
        wrong: Any = (
            "not an object"
            if isinstance(prop, dict) and prop.get("type") == "object"
            else {"unexpected": True}
        )
        return {name: wrong}
    return {"unexpected_argument": True}


def _truncate_json(arguments: str) -> str:
    """Cut a JSON object mid-way so that it no longer parses (`{"city": "Par`)."""
    if len(arguments) <= 2:
        return '{"'
    cut = max(2, (len(arguments) * 2) // 3)
    broken = arguments[:cut]
    try:
        json.loads(broken)
    except ValueError:
        return broken
    return broken + ","
