"""Image decoding and sniffing for the emulator's vision answers.

Why by hand: the emulator must describe an image without Pillow (an optional extra) and must report
what the bytes really are, not what the client's `media_type` claims; reading the format and pixel
size from the header bytes of PNG, JPEG, GIF and WEBP takes a few lines each.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

__all__ = ["ImageInfo", "decode_base64", "parse_data_url", "sniff_image"]

_DATA_URL = re.compile(r"^data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*),(?P<data>.*)$", re.DOTALL)


@dataclass(frozen=True)
class ImageInfo:
    """What the header bytes say: the format name ("PNG", "JPEG", ...) and pixel size, when readable."""

    format: str | None
    width: int | None = None
    height: int | None = None


def decode_base64(text: str) -> bytes | None:
    """Decode standard or URL-safe base64 (google-genai sends URL-safe), tolerating missing padding."""
    cleaned = re.sub(r"\s+", "", text)
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        if "-" in cleaned or "_" in cleaned:
            return base64.urlsafe_b64decode(cleaned)
        return base64.b64decode(cleaned, validate=False)
    except (binascii.Error, ValueError):
        return None


def parse_data_url(url: str) -> tuple[str | None, bytes | None]:
    """Split a `data:` URL into its media type and decoded bytes; (None, None) if it is not one."""
    match = _DATA_URL.match(url)
    if match is None:
        return None, None
    mime = match.group("mime") or None
    data = match.group("data")
    if ";base64" in match.group("params").lower():
        return mime, decode_base64(data)
    return mime, unquote_to_bytes(data)


def sniff_image(data: bytes) -> ImageInfo:
    """Identify PNG, JPEG, GIF or WEBP from the magic bytes and read the pixel size from the header."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        if len(data) >= 24 and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return ImageInfo("PNG", width, height)
        return ImageInfo("PNG")
    if data.startswith(b"\xff\xd8"):
        width_height = _jpeg_size(data)
        return ImageInfo("JPEG", *width_height) if width_height else ImageInfo("JPEG")
    if data[:6] in (b"GIF87a", b"GIF89a"):
        if len(data) >= 10:
            width, height = struct.unpack("<HH", data[6:10])
            return ImageInfo("GIF", width, height)
        return ImageInfo("GIF")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        width_height = _webp_size(data)
        return ImageInfo("WEBP", *width_height) if width_height else ImageInfo("WEBP")
    return ImageInfo(None)


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the JPEG segments to the first start-of-frame marker, which holds height then width."""
    index = 2
    while index + 4 <= len(data):
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        is_sof = 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC)
        if is_sof and index + 9 <= len(data):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """Read the canvas size from a lossy (VP8), lossless (VP8L) or extended (VP8X) WEBP header."""
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None
