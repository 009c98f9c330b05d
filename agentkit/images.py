"""Images for the model: whatever a user passes becomes one `ak.Image`, checked and sized once.

Why a module of its own: `agent("What is this?", images=[...])` takes a path, an http(s) URL, a
`data:` URL, raw bytes, a PIL image, a matplotlib figure or an `ak.Image`, and every dialect then
needs the same three facts about it: the real MIME type (sniffed from the bytes: a `.png` file
that holds a JPEG is a JPEG, and vendors reject a wrong `media_type`), the pixel size, and bytes
small enough for every vendor. All of that happens here, once, when the image enters the
conversation; the `ak.Image` then caches its base64 form, so a long conversation re-sends the same
encoded text on every turn instead of re-encoding (or copying) the bytes.

Limits: by default an image's longer side is at most 1568 pixels (Anthropic's recommended
maximum; OpenAI scales high-detail images to 2048 and then 768 pixels anyway, and Gemini tiles
them) and its bytes at most 3.75 MB (Anthropic rejects more than 5 MB of base64, the strictest
limit of the three). Larger images are downscaled with Pillow, an optional extra
(`pip install 'agentkit[images]'`); without it they are sent as they are, with a warning. Change
the limits for the whole process with :func:`set_limits`, or per image with
`to_image(value, max_side=..., max_bytes=...)`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import io
import mimetypes
import os
import stat as stat_lib
import struct
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote_to_bytes, urlparse

from agentkit._api import quoted
from agentkit.errors import ConfigurationError
from agentkit.messages import Image, ImageDetail

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_SIDE",
    "SUPPORTED_TYPES",
    "ImageLimits",
    "image_from_value",
    "image_size",
    "limits",
    "set_limits",
    "sniff_mime_type",
    "to_image",
]

#: The longer side, in pixels, that images are downscaled to by default.
DEFAULT_MAX_SIDE: Final = 1568
#: The most bytes an image may have by default (Anthropic's 5 MB base64 limit, in raw bytes).
DEFAULT_MAX_BYTES: Final = 3_750_000
#: The image types every dialect accepts; other formats are converted to PNG (with Pillow).
SUPPORTED_TYPES: Final = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

_INSTALL = "Install Pillow (`pip install 'agentkit[images]'`)"
_UNSET: Any = object()


@dataclass(frozen=True)
class ImageLimits:
    """The size every image is brought within before it is sent (None: no limit)."""

    max_side: int | None = DEFAULT_MAX_SIDE
    """The longest side in pixels; larger images are downscaled, keeping their aspect ratio."""
    max_bytes: int | None = DEFAULT_MAX_BYTES
    """The most bytes; larger images are re-encoded (as JPEG when that is what it takes) and shrunk."""


limits = ImageLimits()
"""The process-wide limits (see :func:`set_limits`)."""


def set_limits(*, max_side: int | None = _UNSET, max_bytes: int | None = _UNSET) -> ImageLimits:
    """Change the process-wide image limits; returns the new limits.

    `set_limits(max_side=2048)` keeps more detail for OpenAI high-detail images (Anthropic then
    downscales server-side); `set_limits(max_side=None, max_bytes=None)` sends every image as it is.
    """
    global limits
    max_side = limits.max_side if max_side is _UNSET else max_side
    max_bytes = limits.max_bytes if max_bytes is _UNSET else max_bytes
    _check_limits(max_side, max_bytes)
    limits = ImageLimits(max_side, max_bytes)
    with _cache_lock:
        _cache.clear()
    return limits


def _check_limits(max_side: Any, max_bytes: Any) -> None:
    for name, value, least in (("max_side", max_side, 16), ("max_bytes", max_bytes, 1024)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < least):
            raise ConfigurationError(
                f"The image limit `{name}` must be None or an int of at least {least}; got {value!r}."
            )


# ---------------------------------------------------------------------------------------- sniffing


def sniff_mime_type(data: bytes) -> str | None:
    """The image MIME type the bytes really hold (from their magic numbers), or None when not an image."""
    head = bytes(data[:32])
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:2] == b"BM":
        return "image/bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"):
        return "image/heic"
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        return "image/avif"
    if head[:4] == b"\x00\x00\x01\x00":
        return "image/x-icon"
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) read from the header of a PNG, GIF, JPEG or WEBP, without decoding it."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return width, height
        if data[:6] in (b"GIF87a", b"GIF89a"):
            width, height = struct.unpack("<HH", data[6:10])
            return width, height
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp_size(data)
        if data[:3] == b"\xff\xd8\xff":
            return _jpeg_size(data)
    except struct.error:  # a truncated header
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the JPEG segments to the first start-of-frame marker, which holds height then width."""
    index = 2
    while index + 9 <= len(data):
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        if marker == 0xFF or marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            index += 1 if marker == 0xFF else 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + struct.unpack(">H", data[index + 2 : index + 4])[0]
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


# ----------------------------------------------------------------------------------- conversion


def to_image(
    value: Any,
    *,
    detail: ImageDetail | None = None,
    max_side: int | None = _UNSET,
    max_bytes: int | None = _UNSET,
) -> Image:
    """An `ak.Image` for what a user passed, with its real MIME type and within the size limits.

    Accepts a path (`str` or `pathlib.Path`; `~` is expanded), an http(s) URL (sent as a URL: the
    vendor fetches it), a `data:` URL, `bytes`/`bytearray`/`memoryview`, a binary file object, a
    PIL image, a matplotlib figure (or anything with `savefig` or `_repr_png_`), or an `ak.Image`
    (returned unchanged when it needs nothing). `detail` sets OpenAI's detail hint ("low" costs
    85 tokens an image). Raises ConfigurationError, saying what would work, for anything else.
    """
    max_side = limits.max_side if max_side is _UNSET else max_side
    max_bytes = limits.max_bytes if max_bytes is _UNSET else max_bytes
    _check_limits(max_side, max_bytes)
    if detail is not None and detail not in ("auto", "low", "high"):
        raise ConfigurationError(f"An image's `detail` must be 'auto', 'low' or 'high'; got {detail!r}.")
    image = _convert(value, max_side, max_bytes)
    if image is None:
        raise ConfigurationError(
            f"Cannot use {type(value).__name__} {_short(value)} as an image; pass a file path, an http(s) "
            "URL, image bytes, a PIL image, a matplotlib figure or an `ak.Image`."
        )
    if detail is not None and image.detail != detail:
        image = replace(image, detail=detail)
    return image


def image_from_value(value: Any) -> Image | None:
    """The image a tool returned, or None when the value is not one (then it is sent as text/JSON).

    Unlike :func:`to_image`, strings are never read as paths or URLs here: a tool that returns
    "report.png" means the text. Images (bytes with an image's magic number, PIL images, figures,
    `ak.Image`) are brought within the limits like any other.
    """
    if isinstance(value, (str, Path)):
        return None
    if isinstance(value, (bytes, bytearray, memoryview)) and sniff_mime_type(bytes(value[:32])) is None:
        return None
    try:
        return _convert(value, limits.max_side, limits.max_bytes)
    except ConfigurationError:
        return None


def _convert(value: Any, max_side: int | None, max_bytes: int | None) -> Image | None:
    if isinstance(value, Image):
        if value.url is not None:
            if value.url.startswith("data:"):
                mime, data = _parse_data_url(value.url)
                return _from_bytes(data, max_side, max_bytes, detail=value.detail, declared=mime)
            return value
        assert value.data is not None
        return _checked(value, max_side, max_bytes)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _from_bytes(bytes(value), max_side, max_bytes)
    if isinstance(value, Path):
        return _from_path(value, max_side, max_bytes)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("data:"):
            mime, data = _parse_data_url(text)
            return _from_bytes(data, max_side, max_bytes, declared=mime)
        if text.lower().startswith(("http://", "https://")):
            return Image(url=text, mime_type=_url_mime_type(text))
        return _from_path(Path(text), max_side, max_bytes)
    if _is_pil(value):
        return _from_pil(value, max_side, max_bytes)
    if callable(getattr(value, "savefig", None)):  # a matplotlib Figure
        buffer = io.BytesIO()
        value.savefig(buffer, format="png", bbox_inches="tight")
        return _from_bytes(buffer.getvalue(), max_side, max_bytes)
    repr_png = getattr(value, "_repr_png_", None)
    if callable(repr_png) and not isinstance(value, type):
        png = repr_png()
        if isinstance(png, tuple):  # IPython allows (data, metadata)
            png = png[0]
        if isinstance(png, str):
            try:
                png = base64.b64decode(png)
            except (binascii.Error, ValueError) as exc:
                raise ConfigurationError(
                    f"The `_repr_png_()` of {type(value).__name__} returned text of {len(png):,} characters "
                    f"that is not valid base64 ({exc}); it must return PNG bytes, or their base64 text."
                ) from None
        if isinstance(png, (bytes, bytearray)):
            return _from_bytes(bytes(png), max_side, max_bytes)
    read = getattr(value, "read", None)
    if callable(read) and not isinstance(value, type):
        return _from_file_object(value, read, max_side, max_bytes)
    return None


def _from_file_object(value: Any, read: Any, max_side: int | None, max_bytes: int | None) -> Image | None:
    """The image in a file object opened in binary mode (`open(path, "rb")`, `io.BytesIO`)."""
    name = getattr(value, "name", None)
    what = f"The file object {type(value).__name__}" + (f" for {quoted(name)}" if isinstance(name, str) else "")
    try:
        data = read()
    except UnicodeDecodeError:  # its message quotes a byte of the file
        raise ConfigurationError(
            f"{what} is open in text mode, so it cannot hold image bytes; open the file with `open(path, 'rb')`, "
            "or pass its path."
        ) from None
    except (OSError, ValueError) as exc:  # closed, not readable, ...
        raise ConfigurationError(
            f"{what} could not be read ({type(exc).__name__}: {exc}); pass an open binary file, the path, "
            "or the bytes."
        ) from None
    if isinstance(data, str):
        raise ConfigurationError(
            f"{what} is open in text mode, so it cannot hold image bytes; open the file with `open(path, 'rb')`, "
            "or pass its path."
        )
    if isinstance(data, (bytes, bytearray, memoryview)):
        source = name if isinstance(name, str) else None
        return _from_bytes(bytes(data), max_side, max_bytes, source=source)
    return None


# Paths read before (same file, same size and mtime, same limits) reuse their Image, so a loop that
# sends the same picture again does not read, sniff or downscale it again.
_cache: OrderedDict[tuple[Any, ...], Image] = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 32


_OTHER_SOURCES = "pass an existing file path, an http(s) URL, image bytes, a PIL image or an `ak.Image`"


def _from_path(path: Path, max_side: int | None, max_bytes: int | None) -> Image:
    shown = quoted(str(path))
    try:
        path = path.expanduser()
        stat = path.stat()
    except FileNotFoundError:
        raise ConfigurationError(f"There is no image file at {shown}; {_OTHER_SOURCES}.") from None
    except ValueError:  # "embedded null byte", from the OS layer
        raise ConfigurationError(
            f"The image path {shown} contains a NUL character, so it cannot be a file path; {_OTHER_SOURCES}."
        ) from None
    except OSError as exc:
        raise ConfigurationError(_path_problem(shown, exc)) from None
    except RuntimeError:  # `~` with no home directory to expand it to
        raise ConfigurationError(
            f"The image path {shown} starts with `~`, but the home directory is unknown; pass an absolute path."
        ) from None
    shown = quoted(str(path))
    if stat_lib.S_ISDIR(stat.st_mode):
        raise ConfigurationError(f"{shown} is a directory, not an image file; pass the path of a file.")
    if not stat_lib.S_ISREG(stat.st_mode):
        raise ConfigurationError(
            f"{shown} is not a regular file (it is a device, pipe or socket), so it is not read as an image; "
            "pass the path of an image file."
        )
    key = (os.path.abspath(path), stat.st_size, stat.st_mtime_ns, max_side, max_bytes)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(_path_problem(shown, exc)) from None
    image = _from_bytes(data, max_side, max_bytes, source=str(path))
    with _cache_lock:
        _cache[key] = image
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return image


def _from_bytes(
    data: bytes,
    max_side: int | None,
    max_bytes: int | None,
    *,
    detail: ImageDetail = "auto",
    declared: str | None = None,
    source: str | None = None,
) -> Image:
    # Messages name the file (or say how many bytes) and never quote the data: a path given by
    # mistake (`/proc/self/environ`, a key file) must not print its content in a traceback.
    if not data:
        raise ConfigurationError(f"{_where(data, source, declared, sized=False)} is empty (0 bytes); {_ACCEPTED}.")
    where = _where(data, source, declared)
    mime = sniff_mime_type(data)
    if mime is None:
        raise ConfigurationError(f"{where} is not an image agentkit recognises; {_ACCEPTED}.")
    if mime not in SUPPORTED_TYPES:
        data, mime = _convert_to_png(data, mime, where)
    size = image_size(data)
    image = Image(
        data=data, mime_type=mime, detail=detail, width=size[0] if size else None, height=size[1] if size else None
    )
    return _checked(image, max_side, max_bytes, where=where)


_ACCEPTED = (
    "pass a PNG, JPEG, GIF or WebP image (or, with Pillow installed, a BMP, TIFF or ICO image, "
    "which agentkit converts to PNG)"
)


def _where(data: bytes, source: str | None, declared: str | None = None, *, sized: bool = True) -> str:
    """The subject of a message about image bytes: the file's name and size, never its content."""
    notes = [f"{len(data):,} bytes"] if sized else []
    if declared and not source:
        notes.append(f"declared as {quoted(declared)}")
    subject = f"The file {quoted(source)}" if source else "The image data"
    return f"{subject} ({', '.join(notes)})" if notes else subject


def _path_problem(shown: str, exc: OSError) -> str:
    """Why the image file at `shown` cannot be opened or read (the OS's reason, never the content)."""
    if isinstance(exc, PermissionError):
        return f"The image file {shown} cannot be read: permission denied. Check its permissions, or pass the bytes."
    if exc.errno == errno.ENAMETOOLONG:
        return (
            f"The image path {shown} is too long to be a file path (did a prompt go into `images=`?); "
            f"{_OTHER_SOURCES}."
        )
    if isinstance(exc, NotADirectoryError):
        return f"There is no image file at {shown} (a part of the path is a file, not a folder); {_OTHER_SOURCES}."
    reason = exc.strerror or type(exc).__name__
    return f"The image file {shown} cannot be read ({reason}); {_OTHER_SOURCES}."


def _checked(image: Image, max_side: int | None, max_bytes: int | None, *, where: str | None = None) -> Image:
    """`image` with its sniffed MIME type and pixel size, downscaled when over the limits."""
    data = image.data
    assert data is not None
    mime = sniff_mime_type(data)
    if mime is None or mime not in SUPPORTED_TYPES:
        return _from_bytes(data, max_side, max_bytes, detail=image.detail)
    size = (image.width, image.height) if image.width and image.height else image_size(data)
    too_big = (max_bytes is not None and len(data) > max_bytes) or (
        max_side is not None and size is not None and max(size) > max_side
    )
    if too_big:
        shrunk = _shrink(data, mime, size, max_side, max_bytes, where or _where(data, None))
        if shrunk is not None:
            data, mime, size = shrunk
    width, height = size if size else (None, None)
    if data is image.data and mime == image.mime_type and (width, height) == (image.width, image.height):
        return image  # nothing changed: keep the object (and its cached base64)
    return replace(image, data=data, mime_type=mime, width=width, height=height)


def _shrink(
    data: bytes, mime: str, size: tuple[int, int] | None, max_side: int | None, max_bytes: int | None, where: str
) -> tuple[bytes, str, tuple[int, int]] | None:
    """Downscale (and if need be re-encode as JPEG) with Pillow; None, with a warning, without it."""
    try:
        from PIL import Image as PILImage
        from PIL import ImageOps
    except ImportError:
        shown = f"{size[0]}x{size[1]} pixels, " if size else ""
        warnings.warn(
            f"An image of {shown}{len(data):,} bytes is over the limits (longer side {max_side}, "
            f"{max_bytes} bytes) and is sent as it is; some vendors downscale or reject such images. "
            f"{_INSTALL} to have agentkit downscale it.",
            stacklevel=4,
        )
        return None
    with _pillow_errors(where, mime, size):
        with PILImage.open(io.BytesIO(data)) as opened:
            opened.seek(0)  # the first frame of an animation is what vendors look at
            picture = ImageOps.exif_transpose(opened)  # phones store rotation as a tag; re-encoding drops it
        return _fit(picture, mime, max_side, max_bytes)


@contextlib.contextmanager
def _pillow_errors(where: str, mime: str | None, size: tuple[int, int] | None) -> Iterator[None]:
    """Pillow's exceptions while decoding an image, as a ConfigurationError saying what to do.

    Pillow raises many types (UnidentifiedImageError, DecompressionBombError, OSError for a
    truncated file, SyntaxError, ValueError, struct.error...), and some of its messages quote
    header bytes, so only the exception's type is kept. Warnings (DecompressionBombWarning, under
    a filter that makes warnings errors) are not decoding failures and pass through.
    `mime` is the type sniffed from the bytes; None for a PIL image the user passed.
    """
    from PIL import Image as PILImage

    try:
        yield
    except (Warning, MemoryError):
        raise
    except PILImage.DecompressionBombError:
        what = ", ".join(filter(None, [mime, f"{size[0]}x{size[1]} pixels" if size else None]))
        raise ConfigurationError(
            f"{where} is an image{f' ({what})' if what else ''} with too many pixels for Pillow to decode safely "
            f"(it refuses more than twice `PIL.Image.MAX_IMAGE_PIXELS`, now {PILImage.MAX_IMAGE_PIXELS:,}, as a "
            "possible decompression bomb). Downscale it before passing it or, if you trust the file, raise "
            "`PIL.Image.MAX_IMAGE_PIXELS`."
        ) from None
    except Exception as exc:
        if mime is None:
            raise ConfigurationError(
                f"{where} cannot be encoded: Pillow raised {type(exc).__name__} while reading its pixels (its file "
                "is damaged or truncated, or was closed). Pass an intact image, or its file's path."
            ) from None
        raise ConfigurationError(
            f"{where} has the signature of {mime} but cannot be read: Pillow raised {type(exc).__name__} "
            "(the file is damaged, truncated or not really an image). Pass an intact PNG, JPEG, GIF or WebP image."
        ) from None


def _fit(picture: Any, mime: str, max_side: int | None, max_bytes: int | None) -> tuple[bytes, str, tuple[int, int]]:
    """Encode a PIL image within the limits: resize to `max_side`, then JPEG and smaller until it fits."""
    from PIL import Image as PILImage

    if max_side is not None and max(picture.size) > max_side:
        picture = picture.copy()
        picture.thumbnail((max_side, max_side), PILImage.Resampling.LANCZOS)
    fmt = {"image/jpeg": "JPEG", "image/webp": "WEBP"}.get(mime, "PNG")
    data = _encode(picture, fmt)
    if max_bytes is not None and len(data) > max_bytes:
        fmt = "JPEG"  # photos as PNG can be ten times larger than as JPEG
        data = _encode(picture, fmt)
        while len(data) > max_bytes and min(picture.size) > 16:
            picture = picture.resize(
                (max(1, picture.size[0] * 3 // 4), max(1, picture.size[1] * 3 // 4)), PILImage.Resampling.LANCZOS
            )
            data = _encode(picture, fmt)
    return data, f"image/{fmt.lower()}", picture.size


def _encode(picture: Any, fmt: str) -> bytes:
    if fmt == "JPEG" and picture.mode not in ("RGB", "L"):
        rgba = picture.convert("RGBA")
        flat = _white(rgba.size)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        picture = flat
    elif fmt == "PNG" and picture.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        picture = picture.convert("RGBA" if "A" in picture.mode else "RGB")
    buffer = io.BytesIO()
    options: dict[str, Any] = {"quality": 85} if fmt in ("JPEG", "WEBP") else {"optimize": True}
    picture.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _white(size: tuple[int, int]) -> Any:
    from PIL import Image as PILImage

    return PILImage.new("RGB", size, (255, 255, 255))


def _convert_to_png(data: bytes, mime: str, where: str) -> tuple[bytes, str]:
    """BMP, TIFF, HEIC... -> PNG, which every vendor takes (needs Pillow, and its plugin for HEIC)."""
    try:
        from PIL import Image as PILImage
    except ImportError:
        raise ConfigurationError(
            f"{where} is {mime}, which the vendors do not accept (they take PNG, JPEG, GIF and WebP). "
            f"{_INSTALL} so agentkit can convert it, or convert it yourself."
        ) from None
    try:
        with PILImage.open(io.BytesIO(data)) as picture:
            return _encode(picture, "PNG"), "image/png"
    except (Warning, MemoryError):
        raise
    except Exception as exc:  # Pillow raises several types for unreadable images; some messages quote bytes
        plugin = (
            " Pillow reads HEIC only with the `pillow-heif` plugin (`pillow_heif.register_heif_opener()`)."
            if mime == "image/heic"
            else ""
        )
        raise ConfigurationError(
            f"{where} is {mime}, which the vendors do not accept, and Pillow could not convert it "
            f"({type(exc).__name__}: it is damaged, or a variant Pillow does not read).{plugin} "
            "Convert it to PNG or JPEG yourself."
        ) from None


def _from_pil(picture: Any, max_side: int | None, max_bytes: int | None) -> Image:
    """A PIL image, encoded once (PNG keeps it lossless; JPEG only when PNG is over `max_bytes`)."""
    filename = getattr(picture, "filename", None)
    where = "The PIL image" + (f" from {quoted(filename)}" if isinstance(filename, str) and filename else "")
    try:
        width, height = picture.size
        where += f" ({width}x{height} pixels)"
    except (AttributeError, TypeError, ValueError):
        pass
    with _pillow_errors(where, None, None):
        data, mime, size = _fit(picture, "image/png", max_side, max_bytes)
    return Image(data=data, mime_type=mime, width=size[0], height=size[1])


def _is_pil(value: Any) -> bool:
    module = type(value).__module__ or ""
    return module.startswith("PIL.") and hasattr(value, "save") and hasattr(value, "mode")


def _parse_data_url(url: str) -> tuple[str | None, bytes]:
    # Messages show the header (`data:image/png;base64`), never the payload: it is the image's content.
    header, comma, payload = url.partition(",")
    if not comma:
        raise ConfigurationError(
            f"The data URL of {len(url):,} characters has no comma between its header and its data, so it is "
            "not a data URL; write it as 'data:image/png;base64,<base64 data>'."
        )
    mime = header[5:].split(";")[0] or None
    if ";base64" in header.lower():
        try:
            cleaned = "".join(payload.split())
            cleaned += "=" * (-len(cleaned) % 4)
            altchars = b"-_" if ("-" in cleaned or "_" in cleaned) else None
            return mime, base64.b64decode(cleaned, altchars=altchars, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise ConfigurationError(
                f"The data URL {quoted(header, 80)}... holds invalid base64 ({exc}); encode the image bytes "
                "with `base64.b64encode`."
            ) from None
    return mime, unquote_to_bytes(payload)


def _url_mime_type(url: str) -> str:
    """The MIME type a URL's file name suggests (the vendor fetches the bytes); JPEG, the web's usual, if unknown."""
    guessed, _ = mimetypes.guess_type(urlparse(url).path)
    return guessed if guessed in SUPPORTED_TYPES else "image/jpeg"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
