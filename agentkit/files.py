"""Files for the model: whatever a user passes in `files=` becomes an `ak.File` (or an `ak.Image`).

Why a module of its own: `agent("Summarise", files=[...])`, `ak.batch` inputs and `ak.compare`
all take the same things, a path (`str` or `pathlib.Path`), an http(s) URL, a `data:` URL, raw
bytes, a binary file object, an `ak.File` or an `ak.Image`, one item or a list, and each must end
as the same neutral value with its real type: sniffed from the content (`%PDF-`, `RIFF....WAVE`,
`ID3`, `fLaC`, `OggS`...), then refined by the name for plain text. An image passed among the files
becomes an `ak.Image` (through `agentkit.images`, so it is sized like any image); which dialect
can carry which type is the dialects' decision, made when a request is built.

`attachments(value)` is the one entry point (`Agent.run`, `ak.batch` and `ak.compare` call it).
"""

from __future__ import annotations

import stat as stat_lib
from pathlib import Path
from typing import Any

from agentkit._api import as_list, quoted
from agentkit._filetypes import SNIFFED_TYPES, guess_mime_type, is_text_type, normalized
from agentkit.errors import ConfigurationError
from agentkit.messages import File, Image

__all__ = ["attachments", "to_file"]

_ACCEPTED = (
    "pass a PDF, a plain text file (.txt, .md, .csv, .json, code...), audio (WAV, MP3, FLAC, OGG, AIFF, AAC) "
    "or an image, as a path, an http(s) URL, bytes or an `ak.File`"
)


def attachments(value: Any) -> list[Image | File]:
    """Every file in `value` (one item, or a list, tuple or iterator of them) as an `ak.File` or `ak.Image`."""
    return [to_file(item) for item in as_list(value)]


def to_file(value: Any) -> Image | File:
    """An `ak.File` (or `ak.Image`, for image content) for one thing a user passed in `files=`.

    Raises ConfigurationError, saying what would work, for a missing file, an empty one, bytes of
    no type agentkit recognises, or a value of another kind.
    """
    from agentkit.images import _parse_data_url, to_image

    if isinstance(value, Image):
        return to_image(value)
    if isinstance(value, File):
        if value.url is not None and value.url.startswith("data:"):
            mime, data = _parse_data_url(value.url)
            return _from_bytes(data, name=value.name, declared=value.mime_type or mime)
        if value.data is not None:
            return _from_bytes(value.data, name=value.name, declared=value.mime_type, given=value)
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _from_bytes(bytes(value))
    if isinstance(value, Path):
        return _from_path(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("data:"):
            mime, data = _parse_data_url(text)
            return _from_bytes(data, declared=mime)
        if text.lower().startswith(("http://", "https://", "gs://")):
            return _from_url(text)
        return _from_path(Path(text))
    read = getattr(value, "read", None)
    if callable(read) and not isinstance(value, type):
        return _from_file_object(value, read)
    raise ConfigurationError(
        f"Cannot use {type(value).__name__} {_short(value)} as a file; {_ACCEPTED}."
    )


def _from_bytes(data: bytes, *, name: str | None = None, declared: str | None = None,
                given: File | None = None) -> Image | File:
    # Messages name the file (or say how many bytes), never its content: a key file passed by
    # mistake must not print itself in a traceback.
    subject = f"The file {quoted(name)}" if name else "The file data"
    if not data:
        raise ConfigurationError(f"{subject} is empty (0 bytes); {_ACCEPTED}.")
    from agentkit.images import sniff_mime_type, to_image

    if sniff_mime_type(data) is not None:
        return to_image(data)
    sniffed = guess_mime_type(data, name)
    if declared and _trust_declared(normalized(declared), sniffed):
        sniffed = normalized(declared)
    if sniffed == "application/octet-stream":
        raise ConfigurationError(
            f"{subject} ({len(data):,} bytes) is not a file type agentkit recognises from its content"
            f"{' or name' if name else ''}; {_ACCEPTED}. If you know its type, pass "
            "`ak.File(data, mime_type=..., name=...)`."
        )
    if given is not None and given.mime_type == sniffed:
        return given  # nothing to correct: keep the object (and its cached base64)
    return File(data, mime_type=sniffed, name=name)


def _trust_declared(declared: str, sniffed: str) -> bool:
    """Whether a caller's MIME type beats the sniffed one: only where the content says little.

    Magic numbers win (a "PDF" that is really HTML is sent as text, not rejected by the vendor);
    a declared type wins over "some text" or "unknown bytes", unless it claims a type agentkit
    would have recognised from the content (then the content has just shown it is not one).
    """
    if declared == sniffed:
        return False
    if sniffed == "application/octet-stream":
        return True
    if is_text_type(sniffed):
        return is_text_type(declared) or declared not in SNIFFED_TYPES
    return False


def _from_url(url: str) -> Image | File:
    from agentkit.images import to_image

    file = File(url=url)
    if (file.mime_type or "").startswith("image/"):  # gs:// images too: the vendor fetches them
        return to_image(url) if url.lower().startswith("http") else Image(url=url, mime_type=file.mime_type or "")
    if file.mime_type == "application/octet-stream":
        raise ConfigurationError(
            f"The URL {quoted(url)} does not say what type of file it is (no known extension); the vendor fetches "
            "it, so agentkit cannot sniff it. Pass `ak.File(url=..., mime_type='application/pdf')` (or the "
            "file's type)."
        )
    return file


_OTHER_SOURCES = "pass an existing file path, an http(s) URL, the bytes, or an `ak.File`"


def _from_path(path: Path) -> Image | File:
    shown = quoted(str(path))
    try:
        path = path.expanduser()
        info = path.stat()
    except FileNotFoundError:
        raise ConfigurationError(f"There is no file at {shown}; {_OTHER_SOURCES}.") from None
    except (ValueError, RuntimeError, OSError) as exc:
        # NUL in the path, `~` with no home, a name too long (a prompt passed as a file?), no permission.
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ConfigurationError(f"The file path {shown} cannot be used ({reason}); {_OTHER_SOURCES}.") from None
    if stat_lib.S_ISDIR(info.st_mode):
        raise ConfigurationError(f"{shown} is a directory, not a file; pass the path of a file (or a list of them).")
    if not stat_lib.S_ISREG(info.st_mode):
        raise ConfigurationError(
            f"{shown} is not a regular file (it is a device, pipe or socket), so it is not read; pass a file's path."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"The file {shown} cannot be read ({exc.strerror or type(exc).__name__}); check its permissions, "
            "or pass the bytes."
        ) from None
    return _from_bytes(data, name=path.name)


def _from_file_object(value: Any, read: Any) -> Image | File:
    """The file in an object opened in binary mode (`open(path, "rb")`, `io.BytesIO`)."""
    name = getattr(value, "name", None)
    name = Path(name).name if isinstance(name, str) and name else None
    what = f"The file object {type(value).__name__}" + (f" for {quoted(name)}" if name else "")
    try:
        data = read()
    except UnicodeDecodeError:  # its message quotes a byte of the file
        data = None
    except (OSError, ValueError) as exc:  # closed, not readable, ...
        raise ConfigurationError(
            f"{what} could not be read ({type(exc).__name__}: {exc}); pass an open binary file, the path, or the bytes."
        ) from None
    if isinstance(data, (bytes, bytearray, memoryview)):
        return _from_bytes(bytes(data), name=name)
    raise ConfigurationError(
        f"{what} did not give bytes (is it open in text mode?); open the file with `open(path, 'rb')`, "
        "or pass its path."
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
