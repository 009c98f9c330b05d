"""Files for the emulator's answers: what a PDF, text or audio file really is, in one sentence.

Why the emulator describes files rather than acknowledging them: a test (or a notebook tour) can
then check that the bytes arrived intact and typed right, e.g. "a PDF of 3 pages named
report.pdf", through any of the three protocols. The type comes from the bytes (the same magic
numbers as the client's sniffing), never from the declared `media_type`, which is reported when
the two disagree.
"""

from __future__ import annotations

import struct

from agentkit._filetypes import (
    AUDIO_FORMATS,
    decoded_text,
    is_text_type,
    normalized,
    pdf_pages,
    sniff_file_type,
)

from .neutral import FileInput
from .text import shorten

__all__ = ["describe_file", "wav_seconds"]


def describe_file(file: FileInput) -> str:
    """One phrase about a file: its real kind, size and what is cheap to know (pages, lines, seconds)."""
    named = f" named {file.name}" if file.name else ""
    if file.data is None:
        kind = "PDF" if normalized(file.media_type or "") == "application/pdf" else "file"
        return f"a remote {kind}{named} at {file.url}" if file.url else f"a file{named} I could not read"
    data = file.data
    sniffed = sniff_file_type(data)
    size = f"{len(data):,} bytes"
    if sniffed == "application/pdf":
        pages = pdf_pages(data)
        counted = f" of {pages} page{'s' if pages != 1 else ''}" if pages else ""
        return f"a PDF{counted}{named} ({size})"
    if sniffed in AUDIO_FORMATS:
        seconds = wav_seconds(data) if sniffed == "audio/wav" else None
        length = f" of {seconds:.1f} seconds" if seconds is not None else ""
        return f"a {AUDIO_FORMATS[sniffed].upper()} audio file{length}{named} ({size})"
    if sniffed == "text/plain" or (sniffed is None and is_text_type(file.media_type or "")):
        text = decoded_text(data)
        lines = text.count("\n") + (0 if text.endswith("\n") else 1)
        return f"a text file{named} of {lines} line{'s' if lines != 1 else ''} starting \"{shorten(text, 60)}\""
    declared = f" declared as {file.media_type}" if file.media_type else ""
    return f"{size}{named}{declared} that are not a PDF, text or audio file"


def wav_seconds(data: bytes) -> float | None:
    """A WAV file's duration from its `fmt ` byte rate and `data` chunk size; None when unreadable."""
    index, byte_rate = 12, None
    while index + 8 <= len(data):
        chunk, size = data[index : index + 4], struct.unpack("<I", data[index + 4 : index + 8])[0]
        if chunk == b"fmt " and index + 16 <= len(data):
            byte_rate = struct.unpack("<I", data[index + 16 : index + 20])[0] if index + 20 <= len(data) else None
        elif chunk == b"data":
            return size / byte_rate if byte_rate else None
        index += 8 + size + (size & 1)
    return None
