"""What kind of file some bytes are: the facts `ak.File` needs, with nothing above it to import.

Why sniff rather than trust a name: a `report.pdf` that is really an HTML error page, or a `.wav`
that holds MP3, is rejected by the vendors with an unhelpful 400; the magic numbers say what the
bytes are. The name decides only where the content cannot (plain text: `.csv`, `.md`, `.py`...).
Images are sniffed in `agentkit.images`; this module knows documents, audio and video.
"""

from __future__ import annotations

import mimetypes
import re
from typing import Final

__all__ = ["AUDIO_FORMATS", "SNIFFED_TYPES", "decoded_text", "extension_for", "guess_mime_type", "is_text_type",
           "normalized", "pdf_pages", "sniff_file_type"]

#: Spellings of the same type that vendors or the platform use, mapped to one.
_SAME: Final = {
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/mp3": "audio/mpeg",
    "audio/x-flac": "audio/flac",
    "audio/x-aiff": "audio/aiff",
    "audio/x-m4a": "audio/mp4",
    "application/x-pdf": "application/pdf",
}

#: The short format names audio APIs use (OpenAI's `input_audio.format`), by MIME type.
AUDIO_FORMATS: Final = {
    "audio/wav": "wav",
    "audio/mpeg": "mp3",
    "audio/flac": "flac",
    "audio/ogg": "ogg",
    "audio/aiff": "aiff",
    "audio/aac": "aac",
    "audio/mp4": "m4a",
}

#: The types `sniff_file_type` recognises from content (besides plain text).
SNIFFED_TYPES: Final = frozenset(
    {"application/pdf", *AUDIO_FORMATS, "video/mp4", "video/quicktime", "video/webm"}
)

_EXTENSIONS: Final = {
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/csv": ".csv",
    "application/json": ".json",
    **{mime: f".{fmt}" for mime, fmt in AUDIO_FORMATS.items()},
}

_TEXT_APPLICATION_TYPES: Final = frozenset(
    {"application/json", "application/xml", "application/x-yaml", "application/yaml", "application/javascript",
     "application/x-python", "application/x-sh", "application/sql", "application/toml", "application/x-ndjson"}
)

_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def normalized(mime_type: str) -> str:
    """A MIME type without parameters, lower-case, with vendor aliases folded (`audio/x-wav` -> `audio/wav`)."""
    base = mime_type.split(";")[0].strip().lower()
    return _SAME.get(base, base)


def is_text_type(mime_type: str) -> bool:
    """Whether a MIME type is plain text any model reads as text (text/*, JSON, XML, YAML, ...)."""
    base = normalized(mime_type)
    return base.startswith("text/") or base in _TEXT_APPLICATION_TYPES


def sniff_file_type(data: bytes) -> str | None:
    """The document, audio or video type the bytes hold (from their magic numbers); None when unknown.

    "text/plain" for bytes that read as UTF-8 text with no NUL (the name may then say which text).
    """
    head = bytes(data[:64])
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # a UTF-16 byte-order mark (FF FE would pass for an MPEG frame)
        return "text/plain"
    if b"%PDF-" in bytes(data[:1024]):  # the header may follow a few bytes of junk (PDF 1.7, 7.5.2)
        return "application/pdf"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"fLaC":
        return "audio/flac"
    if head[:4] == b"OggS":
        return "audio/ogg"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio/aiff"
    if head[:3] == b"ID3":
        return "audio/mpeg"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] != 0xFF:
        # An MPEG audio frame sync; layer bits 00 mean AAC in an ADTS stream, others MP3 (layers I-III).
        return "audio/aac" if head[1] & 0x06 == 0 else "audio/mpeg"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return "audio/mp4"
        if brand in (b"qt  ",):
            return "video/quicktime"
        if brand[:3] in (b"iso", b"mp4", b"avc", b"MSN", b"dash", b"M4V"):
            return "video/mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm"
    sample = bytes(data[:8192])
    if b"\x00" not in sample:
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(sample) - 3:  # not just a character cut by the sample's end
                return None
        return "text/plain"
    return None


def decoded_text(data: bytes) -> str:
    """The text of a text file: UTF-16 when it starts with a byte-order mark, else UTF-8 (a UTF-8 BOM dropped)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def guess_mime_type(data: bytes | None, name: str | None) -> str:
    """The MIME type of a file: sniffed from `data`, then from `name`, else `application/octet-stream`.

    Text is refined by the name (`notes.md` is text/markdown, `data.csv` text/csv); the name never
    overrides what the magic numbers say.
    """
    sniffed = sniff_file_type(data) if data is not None else None
    by_name = _by_name(name)
    if sniffed == "text/plain":
        return by_name if by_name and is_text_type(by_name) else sniffed
    return sniffed or by_name or "application/octet-stream"


def _by_name(name: str | None) -> str | None:
    if not name:
        return None
    path = name.split("?")[0].split("#")[0]
    guessed, _ = mimetypes.guess_type(path, strict=False)
    if guessed is None and path.lower().endswith((".md", ".markdown")):
        guessed = "text/markdown"
    return normalized(guessed) if guessed else None


def extension_for(mime_type: str) -> str:
    """A file name extension for a MIME type (".bin" when there is no usual one)."""
    base = normalized(mime_type)
    return _EXTENSIONS.get(base) or mimetypes.guess_extension(base, strict=False) or ".bin"


def pdf_pages(data: bytes) -> int | None:
    """A PDF's page count from its `/Type /Page` objects: a regex scan, no PDF library.

    None when none are visible (a PDF whose objects sit in compressed object streams): the count
    is for display, and a wrong number would be worse than none.
    """
    count = len(_PAGE.findall(data))
    return count or None
