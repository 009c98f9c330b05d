"""The neutral conversation model: what agentkit keeps between turns, whatever the vendor.

Why neutral: a user switches `agent.model` from Claude to Gemini mid-conversation, and the whole
history (tool calls, results, images) must be re-encoded for the new dialect. So the history holds
these plain dataclasses, and vendor shapes exist only in `agentkit/dialects/`.

Parts are immutable values; a `Message` is a role plus a list of parts. Opaque vendor data that
must go back unchanged (Anthropic thinking signatures, Gemini thought signatures) is kept on the
part together with the dialect that produced it, so it is echoed to that dialect and dropped for
any other.
"""

from __future__ import annotations

import base64
import functools
import html
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from agentkit._api import checked_class

__all__ = [
    "Image",
    "ImagePart",
    "Message",
    "Part",
    "ReasoningPart",
    "Role",
    "TextPart",
    "ToolCallPart",
    "ToolResultPart",
    "Usage",
]

Role: TypeAlias = Literal["system", "user", "assistant", "tool"]
ImageDetail: TypeAlias = Literal["auto", "low", "high"]


@checked_class("ak.Image", "image")
@dataclass(frozen=True, eq=False)
class Image:
    """An image for the model: bytes with a MIME type, or an http(s) URL.

    Encoded once: `base64` is computed on first use and cached, so an image sent on every turn of a
    long conversation is not re-encoded (or copied) per turn.
    """

    data: bytes | None = None
    """Raw image bytes (None for URL images)."""
    mime_type: str = "image/png"
    """The MIME type, sniffed from the bytes when built by `Image.from_bytes`."""
    url: str | None = None
    """An http(s) URL the vendor fetches itself (None for byte images)."""
    detail: ImageDetail = "auto"
    """OpenAI's `detail` hint; other dialects ignore it."""
    width: int | None = None
    height: int | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise ValueError("An `ak.Image` needs exactly one of `data=` (bytes) or `url=` (an http(s) URL).")

    @functools.cached_property
    def base64(self) -> str:
        """Standard base64 of the bytes, computed once."""
        if self.data is None:
            raise ValueError(f"The image at {self.url!r} is a URL, not bytes; it has no base64 form.")
        return base64.b64encode(self.data).decode("ascii")

    @property
    def data_url(self) -> str:
        """A `data:` URL for byte images, or the http(s) URL itself.

        Built from the cached `base64` on each use rather than cached itself: a cached copy would
        hold the image a third time for the whole conversation (benchmarks/memory.py), while the
        concatenation costs less than the SDK's own JSON encoding of the same request.
        """
        if self.url is not None:
            return self.url
        return f"data:{self.mime_type};base64,{self.base64}"

    def __repr__(self) -> str:
        size = f"{self.width}x{self.height}, " if self.width else ""
        where = self.url if self.url is not None else f"{len(self.data or b'')} bytes"
        return f"Image({self.mime_type}, {size}{where})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """In a notebook, the picture itself (a URL image as an `<img>`), with the repr as the text form."""
        bundle: dict[str, Any] = {"text/plain": repr(self)}
        if self.url is not None:
            bundle["text/html"] = f'<img src="{html.escape(self.url, quote=True)}" style="max-width:100%">'
        elif self.mime_type in ("image/png", "image/jpeg", "image/gif", "image/webp"):
            bundle[self.mime_type] = self.base64
        return bundle


@dataclass(frozen=True)
class TextPart:
    text: str


@dataclass(frozen=True)
class ImagePart:
    image: Image


@dataclass(frozen=True)
class ReasoningPart:
    """Reasoning the model showed (thinking, reasoning_content, thought summaries).

    `signature`/`redacted` hold the vendor's opaque data that must be echoed unchanged to the same
    dialect on later turns (Anthropic thinking signature or redacted_thinking data); `dialect` says
    which dialect produced them. Another dialect receives only the text, or nothing.
    """

    text: str = ""
    signature: str | None = None
    redacted: str | None = None
    dialect: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    """Other vendor data to echo within the same dialect (e.g. a Responses reasoning item)."""


@dataclass(frozen=True)
class ToolCallPart:
    """A call the model asked for. `arguments` is the decoded object when it parsed, else raw text."""

    id: str
    name: str
    arguments: dict[str, Any] | str
    signature: str | None = None
    """Gemini's `thoughtSignature` on the functionCall part, echoed to Gemini only."""
    dialect: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class ToolResultPart:
    """The result of one tool call, paired with it by `call_id` (and `name`, for Gemini)."""

    call_id: str
    name: str
    content: tuple[TextPart | ImagePart, ...]
    is_error: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    """Vendor data to echo within the same dialect (e.g. the result object an imported Gemini history held)."""

    @property
    def text(self) -> str:
        """The text of the result (images left out)."""
        return "".join(p.text for p in self.content if isinstance(p, TextPart))


Part: TypeAlias = TextPart | ImagePart | ReasoningPart | ToolCallPart | ToolResultPart


@checked_class("ak.Usage", "usage")
@dataclass
class Usage:
    """Token counts for one request, or summed over a run."""

    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.cached_tokens + other.cached_tokens,
        )

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@checked_class("ak.Message", "message")
@dataclass
class Message:
    """One entry of the history: a role and its parts.

    Tool results travel in a `tool` message; each dialect regroups them as its wire format wants
    (one `role: tool` message per result for OpenAI, one user turn of `tool_result` blocks for
    Anthropic, `functionResponse` parts for Gemini).
    """

    role: Role
    parts: list[Part] = field(default_factory=list)
    model: str | None = None
    """For assistant messages: the model that wrote it."""
    dialect: str | None = None
    """For assistant messages: the dialect it was decoded from."""
    usage: Usage | None = None

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        return [p for p in self.parts if isinstance(p, ToolCallPart)]

    @property
    def tool_results(self) -> list[ToolResultPart]:
        return [p for p in self.parts if isinstance(p, ToolResultPart)]

    @classmethod
    def user(cls, text: str, *images: Image) -> Message:
        parts: list[Part] = [TextPart(text)] if text else []
        parts.extend(ImagePart(image) for image in images)
        return cls("user", parts)

    @classmethod
    def system(cls, text: str) -> Message:
        return cls("system", [TextPart(text)])
