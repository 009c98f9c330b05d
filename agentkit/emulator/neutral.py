"""The dialect-neutral request and reply that every door of the emulator shares.

Why a neutral form: the emulator speaks four wire protocols (OpenAI Chat Completions, OpenAI Responses,
Anthropic Messages, Gemini generateContent) but has one brain. Each door parses its JSON into a
:class:`ChatRequest`, the rule-based model (or a scripted turn) turns that into a :class:`Reply`, and the
door renders the reply back in its own wire format. Nothing in this module knows any wire format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["user", "assistant", "tool"]
FinishReason = Literal["stop", "tool_calls", "length"]
ToolChoiceMode = Literal["auto", "none", "required"]

__all__ = [
    "ChatRequest",
    "FileInput",
    "FinishReason",
    "ImageInput",
    "Message",
    "Reply",
    "RequestError",
    "ToolCall",
    "ToolChoice",
    "ToolChoiceMode",
    "ToolResult",
    "ToolSpec",
    "Usage",
]


class RequestError(ValueError):
    """A request the emulator cannot serve; each door renders it as its native error (400 unless said).

    Attributes:
        message: A full sentence for the client, in the style of the real vendor's messages.
        param: The offending parameter path (OpenAI reports it as `param`), if known.
        status: The HTTP status to answer with (404 for an unknown previous response, say).
    """

    def __init__(self, message: str, *, param: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.status = status


@dataclass
class ImageInput:
    """An image in a message: decoded bytes (base64 / data URL / inline data) or a remote URL."""

    data: bytes | None = None
    url: str | None = None
    media_type: str | None = None


@dataclass
class FileInput:
    """A document or audio file in a message (PDF, text, WAV...): decoded bytes or a URL, with the
    type and name the client declared (the model describes what the bytes really are)."""

    data: bytes | None = None
    url: str | None = None
    media_type: str | None = None
    name: str | None = None


@dataclass
class ToolCall:
    """One tool call made by the assistant.

    `arguments` is the raw JSON text, because that is what OpenAI-style wires carry and because
    scripted replies and faults must be able to send invalid JSON on purpose.
    """

    id: str
    name: str
    arguments: str


@dataclass
class ToolResult:
    """The result of one tool call, sent back by the client."""

    call_id: str | None
    name: str | None
    content: str
    is_error: bool = False
    images: list[ImageInput] = field(default_factory=list)
    """Images the tool returned (Anthropic, Gemini and Responses carry them in the result)."""
    files: list[FileInput] = field(default_factory=list)
    """Files (PDFs, text) the tool returned, where the protocol carries them in the result."""


@dataclass
class Message:
    """One conversation turn. Tool results travel as role "tool" messages whatever the dialect."""

    role: Role
    text: str = ""
    images: list[ImageInput] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_results: list[ToolResult] = field(default_factory=list)
    reasoning: str | None = None
    files: list[FileInput] = field(default_factory=list)
    """Documents and audio (PDF, text, WAV...) the user attached."""


@dataclass
class ToolSpec:
    """A function tool the client offers; `parameters` is plain JSON Schema."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass
class ToolChoice:
    """Whether the model may, must or must not call tools, and optionally which ones."""

    mode: ToolChoiceMode = "auto"
    names: tuple[str, ...] = ()
    parallel: bool = True


@dataclass
class ChatRequest:
    """Everything the model needs to answer, whatever door the request came through."""

    door: str
    model: str
    messages: list[Message]
    system: str = ""
    tools: list[ToolSpec] = field(default_factory=list)
    tool_choice: ToolChoice = field(default_factory=ToolChoice)
    output_schema: dict[str, Any] | None = None
    output_name: str | None = None
    json_mode: bool = False
    reasoning: bool = False
    include_thoughts: bool = False
    stream: bool = False
    max_tokens: int | None = None
    #: Door-specific settings that only the renderer needs (OpenAI `stream_options`, Responses echo fields).
    options: dict[str, Any] = field(default_factory=dict)
    #: Prompt caching (see `cache.py`): None where the vendor caches implicitly; else the prefixes
    #: (by number of messages, 0 for tools and system) the request marked with `cache_control`.
    cache_breakpoints: tuple[int, ...] | None = None

    def last_user_text(self) -> str:
        """The text of the latest user message (not a tool result); "" when there is none."""
        for message in reversed(self.messages):
            if message.role == "user" and (message.text or message.images or message.files):
                return message.text
        return ""

    def tool_named(self, name: str) -> ToolSpec | None:
        """The offered tool with this name, if any."""
        for tool in self.tools:
            if tool.name == name:
                return tool
        return None


@dataclass
class Usage:
    """Rough token counts (words, not a real tokenizer) reported in each dialect's usage shape."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    #: The part of `prompt_tokens` read from the prompt cache, and (Anthropic) written to it.
    cached_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens; completion already includes reasoning tokens."""
        return self.prompt_tokens + self.completion_tokens


@dataclass
class Reply:
    """What the model says: text and/or tool calls, optionally with reasoning."""

    text: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    reasoning: str | None = None
    finish: FinishReason = "stop"
    usage: Usage = field(default_factory=Usage)
