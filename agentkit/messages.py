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
from agentkit._filetypes import (
    decoded_text,
    extension_for,
    guess_mime_type,
    is_text_type,
    normalized,
    pdf_pages,
)

__all__ = [
    "File",
    "FilePart",
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


@checked_class("ak.File", "file")
@dataclass(frozen=True, eq=False)
class File:
    """A document or audio file for the model (PDF, plain text, WAV, MP3...): bytes with a MIME type, or a URL.

    Plain fields (bytes `data`, `mime_type`, `name`, `url`) so a history holding files saves and
    loads like one holding images. Build one from a path, URL or bytes with `agentkit.files.to_file`
    (what `files=[...]` does), which sniffs the type from the content; `File(data)` with no
    `mime_type` sniffs it too. Like `Image`, the base64 form is computed once and cached.
    """

    data: bytes | None = None
    """Raw bytes (None for URL files)."""
    mime_type: str | None = None
    """The MIME type; sniffed from the bytes (then the name) when not given."""
    name: str | None = None
    """The file name shown to the model and in the live view (vendors want one for PDFs)."""
    url: str | None = None
    """An http(s) URL (or a vendor file URI) the vendor fetches itself (None for byte files)."""

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise ValueError("An `ak.File` needs exactly one of `data=` (bytes) or `url=` (an http(s) URL).")
        if isinstance(self.data, str):
            raise TypeError(
                f"`ak.File` takes the file's bytes, not a str ({self.data[:60]!r}). Pass a path or URL straight "
                "to `files=[...]`, or `ak.File(Path(path).read_bytes(), name=...)`."
            )
        if self.data is not None and not isinstance(self.data, bytes):
            object.__setattr__(self, "data", bytes(self.data))
        if self.mime_type is None:
            object.__setattr__(self, "mime_type", guess_mime_type(self.data, self.name or self.url))
        else:
            object.__setattr__(self, "mime_type", normalized(self.mime_type))

    @functools.cached_property
    def base64(self) -> str:
        """Standard base64 of the bytes, computed once."""
        if self.data is None:
            raise ValueError(f"The file at {self.url!r} is a URL, not bytes; it has no base64 form.")
        return base64.b64encode(self.data).decode("ascii")

    @property
    def data_url(self) -> str:
        """A `data:` URL for byte files, or the URL itself."""
        if self.url is not None:
            return self.url
        return f"data:{self.mime_type};base64,{self.base64}"

    @property
    def size(self) -> int | None:
        """The number of bytes (None for URL files)."""
        return None if self.data is None else len(self.data)

    @functools.cached_property
    def pages(self) -> int | None:
        """A PDF's page count when cheap to know (its `/Type /Page` objects); None otherwise."""
        if self.data is None or self.mime_type != "application/pdf":
            return None
        return pdf_pages(self.data)

    @functools.cached_property
    def text(self) -> str | None:
        """The content of a text file (UTF-8, or UTF-16 with a byte-order mark); None for binary and URL files.

        Decoded once, like `base64`: a text file in the history is sent again on every turn."""
        if self.data is None or not is_text_type(self.mime_type or ""):
            return None
        return decoded_text(self.data)

    @property
    def filename(self) -> str:
        """The name to send: the given name, or one made from the type (vendors require a filename for PDFs)."""
        if self.name:
            return self.name
        if self.url is not None:
            tail = self.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
            if tail:
                return tail
        return f"file{extension_for(self.mime_type or '')}"

    def __repr__(self) -> str:
        named = f"{self.name!r}, " if self.name else ""
        where = self.url if self.url is not None else f"{len(self.data or b''):,} bytes"
        pages = self.pages
        counted = f", {pages} page{'s' if pages != 1 else ''}" if pages else ""
        return f"File({named}{self.mime_type}, {where}{counted})"


@dataclass(frozen=True)
class TextPart:
    text: str


@dataclass(frozen=True)
class ImagePart:
    image: Image


@dataclass(frozen=True)
class FilePart:
    """A file (PDF, text, audio) in a user message or a tool result."""

    file: File


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
    content: tuple[TextPart | ImagePart | FilePart, ...]
    is_error: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    """Vendor data to echo within the same dialect (e.g. the result object an imported Gemini history held)."""

    @property
    def text(self) -> str:
        """The text of the result (images and files left out)."""
        return "".join(p.text for p in self.content if isinstance(p, TextPart))


Part: TypeAlias = TextPart | ImagePart | FilePart | ReasoningPart | ToolCallPart | ToolResultPart


@checked_class("ak.Usage", "usage")
@dataclass
class Usage:
    """Token counts for one request, or summed over a run; one meaning per field in every dialect.

    - `input_tokens`: every prompt token, cached or not. Anthropic reports cache reads and cache
      writes apart from its `input_tokens`; they are added in here, as OpenAI and Gemini count them.
    - `output_tokens`: every generated token, reasoning included (Gemini: candidates plus thoughts).
    - `reasoning_tokens`: the part of `output_tokens` spent on reasoning (thinking, thoughts).
    - `cached_tokens`: the part of `input_tokens` read from the vendor's prompt cache.
    - `cache_write_tokens`: the part of `input_tokens` written to the prompt cache; non-zero only
      where the vendor reports writes (Anthropic's `cache_creation_input_tokens`).
    """

    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.cached_tokens + other.cached_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
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
    def user(cls, text: str, *attachments: Image | File) -> Message:
        parts: list[Part] = [TextPart(text)] if text else []
        parts.extend(ImagePart(a) if isinstance(a, Image) else FilePart(a) for a in attachments)
        return cls("user", parts)

    @classmethod
    def system(cls, text: str) -> Message:
        return cls("system", [TextPart(text)])
