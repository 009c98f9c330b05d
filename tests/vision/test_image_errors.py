"""Unusable images fail as `ak.ConfigurationError`, naming the file and its size, never quoting its bytes.

What users rely on: whatever they pass as an image (a path, bytes, a data URL, a file object, a PIL
image), a bad one ends in an agentkit error that says which file (or how many bytes) and what
would work; Pillow's own exceptions never escape; and no message, for any input, shows a file's
content (a stray path such as `/proc/self/environ` must not print the environment's secrets).
"""

from __future__ import annotations

import base64
import io
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

import agentkit as ak
from agentkit import images

PIL = pytest.importorskip("PIL.Image")

SECRET = b"SECRET_TOKEN=hunter2-do-not-print"


def _png(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    PIL.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_header(width: int, height: int) -> bytes:
    """A PNG signature and IHDR claiming `width` x `height` pixels, and no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IEND", b"")


def _error(value: Any, **limits: Any) -> ak.ConfigurationError:
    with pytest.raises(ak.ConfigurationError) as info:
        images.to_image(value, **limits)
    return info.value


def _assert_quotes_nothing_of(message: str, content: bytes) -> None:
    for start in range(0, len(content) - 5):
        piece = content[start : start + 6]
        assert repr(piece)[2:-1] not in message, (piece, message)
        assert piece.decode("latin-1") not in message, (piece, message)


# ---------------------------------------------------------------------------- no content in messages


def test_a_file_that_is_not_an_image_is_named_with_its_size_never_quoted(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_bytes(SECRET + b"\nmore text\n")
    message = str(_error(path))
    assert repr(str(path)) in message
    assert f"{len(SECRET) + 11} bytes" in message
    assert "PNG, JPEG, GIF or WebP" in message  # what would work
    _assert_quotes_nothing_of(message, SECRET)


def test_bytes_and_data_urls_that_are_not_images_are_never_quoted() -> None:
    message = str(_error(SECRET))
    assert f"{len(SECRET)} bytes" in message
    _assert_quotes_nothing_of(message, SECRET)
    data_url = "data:image/png;base64," + base64.b64encode(SECRET).decode()
    message = str(_error(data_url))
    assert "'image/png'" in message and f"{len(SECRET)} bytes" in message
    _assert_quotes_nothing_of(message, SECRET)
    _assert_quotes_nothing_of(message, base64.b64encode(SECRET))


def test_a_data_url_without_a_comma_is_not_quoted() -> None:
    url = "data:image/png;base64" + base64.b64encode(SECRET).decode()
    message = str(_error(url))
    assert "no comma" in message
    _assert_quotes_nothing_of(message, base64.b64encode(SECRET))


@pytest.mark.skipif(not os.path.exists("/proc/self/environ"), reason="needs Linux /proc")
def test_proc_self_environ_is_refused_without_printing_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTKIT_TEST_SECRET", "hunter2-value")
    relay = ak.Relay("http://127.0.0.1:9", api_key="sk-unused-0123456789")
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    with pytest.raises(ak.ConfigurationError) as info:
        agent("hi", images=["/proc/self/environ"])
    message = str(info.value)
    assert "'/proc/self/environ'" in message and "not an image" in message
    assert "hunter2" not in message and "=" not in message.replace("`=", "")
    assert agent.history == []  # refused before anything was sent or recorded


def test_an_empty_file_says_it_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    message = str(_error(path))
    assert message.startswith(f"The file {str(path)!r} is empty (0 bytes)")


# ---------------------------------------------------------------------------- Pillow's errors


def test_a_damaged_image_pillow_cannot_read_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    broken = _png_header(4000, 10) + SECRET  # over the size limit, so Pillow must decode it
    path.write_bytes(broken)
    for value in (path, broken, "data:image/png;base64," + base64.b64encode(broken).decode()):
        error = _error(value)
        message = str(error)
        assert "cannot be read" in message and "damaged" in message
        assert f"{len(broken):,} bytes" in message
        _assert_quotes_nothing_of(message, SECRET)
        assert error.__cause__ is None and error.__suppress_context__
    assert repr(str(path)) in str(_error(path))


def test_an_image_pillow_cannot_identify_is_a_configuration_error(tmp_path: Path) -> None:
    # JPEG magic, then nonsense: over `max_bytes`, so Pillow opens it, and raises UnidentifiedImageError.
    fake = b"\xff\xd8\xff" + SECRET * 60
    path = tmp_path / "photo.jpg"
    path.write_bytes(fake)
    for value in (path, fake):
        message = str(_error(value, max_bytes=1024))
        assert "image/jpeg" in message and "cannot be read" in message
        assert f"{len(fake):,} bytes" in message
        _assert_quotes_nothing_of(message, SECRET)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")  # Pillow's, on its way to failing
def test_an_unreadable_format_to_convert_is_a_configuration_error() -> None:
    tiff = b"II*\x00" + SECRET  # TIFF magic, then nonsense: Pillow quotes the header in its message
    message = str(_error(tiff))
    assert "image/tiff" in message and f"{len(tiff)} bytes" in message
    _assert_quotes_nothing_of(message, SECRET)


def test_a_decompression_bomb_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PIL, "MAX_IMAGE_PIXELS", 1000)  # Pillow refuses more than twice this
    bomb = _png((100, 100))
    message = str(_error(bomb, max_side=64))
    assert "100x100 pixels" in message and f"{len(bomb):,} bytes" in message
    assert "MAX_IMAGE_PIXELS" in message  # what to do if the file is trusted


def test_a_pil_image_that_cannot_be_loaded_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.png"
    whole = _png((300, 300))
    path.write_bytes(whole[: len(whole) // 2])
    with PIL.open(path) as picture:  # lazy: the pixels are read (and found missing) when encoded
        message = str(_error(picture))
    assert "PIL image" in message and repr(str(path)) in message and "300x300" in message


# ---------------------------------------------------------------------------- paths and file objects


def test_paths_that_cannot_be_read_say_why(tmp_path: Path) -> None:
    assert "NUL" in str(_error("chart\x00.png"))  # was a bare ValueError from the OS layer
    assert "too long" in str(_error("Describe this picture please " * 200))
    fifo = tmp_path / "pipe.png"
    if hasattr(os, "mkfifo"):
        os.mkfifo(fifo)
        message = str(_error(fifo))
        assert "not a regular file" in message and "directory" not in message


def test_a_file_without_read_permission_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.png"
    path.write_bytes(_png((4, 4)))

    def denied(self: Path) -> bytes:  # what `chmod 0` gives (simulated: the tests may run as root)
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    message = str(_error(path))
    assert repr(str(path)) in message and "permission denied" in message


def test_file_objects_that_cannot_be_read_say_why(tmp_path: Path) -> None:
    path = tmp_path / "chart.png"
    path.write_bytes(_png((4, 4)))
    with path.open(encoding="utf-8") as text:
        assert "text mode" in str(_error(text))
    closed = io.BytesIO(_png((4, 4)))
    closed.close()
    assert "could not be read" in str(_error(closed))


def test_a_broken_repr_png_is_a_configuration_error() -> None:
    class Plot:
        def _repr_png_(self) -> str:
            return "not base64 at all!"

    assert "base64" in str(_error(Plot()))
