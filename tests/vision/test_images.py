"""`agentkit.images`: every way a user passes an image becomes one checked `ak.Image`.

What users rely on: the MIME type comes from the bytes (not the file name), the pixel size is
known, large images are brought within every vendor's limit (with Pillow), nothing is re-read or
re-encoded per turn, and anything unusable fails with a sentence that says what would work.
"""

from __future__ import annotations

import base64
import io
import random
import warnings
from pathlib import Path
from typing import Any

import pytest

import agentkit as ak
from agentkit import images
from agentkit.messages import Image

PIL = pytest.importorskip("PIL.Image")


def _encoded(size: tuple[int, int], fmt: str, mode: str = "RGB", noise: bool = False) -> bytes:
    picture = PIL.new(mode, size, "red" if mode != "L" else 128)
    if noise:  # incompressible pixels, so the file is large
        picture = PIL.frombytes(mode, size, random.Random(0).randbytes(size[0] * size[1] * len(mode)))
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt)
    return buffer.getvalue()


PNG = _encoded((64, 48), "PNG")
JPEG = _encoded((40, 30), "JPEG")
GIF = _encoded((20, 10), "GIF", mode="L")
WEBP = _encoded((33, 22), "WEBP")


@pytest.mark.parametrize(
    ("data", "mime", "size"),
    [(PNG, "image/png", (64, 48)), (JPEG, "image/jpeg", (40, 30)), (GIF, "image/gif", (20, 10)),
     (WEBP, "image/webp", (33, 22))],
)
def test_bytes_are_sniffed_and_measured(data: bytes, mime: str, size: tuple[int, int]) -> None:
    image = images.to_image(data)
    assert image.mime_type == mime
    assert (image.width, image.height) == size
    assert image.data == data  # small images are sent exactly as given
    assert images.image_size(data) == size  # read from the header, without Pillow


def test_a_path_is_read_and_its_type_comes_from_the_bytes_not_the_name(tmp_path: Path) -> None:
    lying = tmp_path / "photo.png"
    lying.write_bytes(JPEG)  # a JPEG saved with a .png name
    for value in (lying, str(lying)):
        image = images.to_image(value)
        assert image.mime_type == "image/jpeg"
        assert image.data == JPEG


def test_the_same_file_is_read_once(tmp_path: Path) -> None:
    path = tmp_path / "chart.png"
    path.write_bytes(PNG)
    first = images.to_image(path)
    assert images.to_image(str(path)) is first  # no second read, sniff or copy
    path.write_bytes(JPEG)  # a changed file is read again
    assert images.to_image(path).mime_type == "image/jpeg"


def test_urls_stay_urls_and_data_urls_become_bytes() -> None:
    url = images.to_image("https://example.com/cat.jpg")
    assert url.url == "https://example.com/cat.jpg" and url.data is None
    assert url.mime_type == "image/jpeg"
    assert images.to_image("https://example.com/pic.webp").mime_type == "image/webp"
    data_url = "data:image/png;base64," + base64.b64encode(JPEG).decode()
    decoded = images.to_image(data_url)
    assert decoded.data == JPEG and decoded.mime_type == "image/jpeg"  # the bytes win over the header
    wrapped = images.to_image(Image(url=data_url))
    assert wrapped.data == JPEG


def test_file_objects_pil_images_and_figures() -> None:
    assert images.to_image(io.BytesIO(GIF)).mime_type == "image/gif"
    picture = PIL.new("RGBA", (30, 20), (0, 0, 255, 128))
    image = images.to_image(picture)
    assert image.mime_type == "image/png" and (image.width, image.height) == (30, 20)
    assert PIL.open(io.BytesIO(image.data or b"")).mode == "RGBA"  # transparency kept

    class Plot:  # anything that renders itself like IPython's `_repr_png_`
        def _repr_png_(self) -> bytes:
            return PNG

    assert images.to_image(Plot()).data == PNG


def test_figures_are_saved_as_png() -> None:
    class Figure:  # matplotlib's Figure.savefig(file, format=..., bbox_inches=...)
        def savefig(self, file: Any, **options: Any) -> None:
            assert options["format"] == "png"
            PIL.new("RGB", (50, 25)).save(file, format="PNG")

    image = images.to_image(Figure())
    assert image.mime_type == "image/png" and (image.width, image.height) == (50, 25)


def test_an_ak_image_is_kept_when_it_needs_nothing_and_corrected_when_its_type_is_wrong() -> None:
    good = Image(data=PNG, mime_type="image/png", width=64, height=48)
    assert images.to_image(good) is good
    wrong = Image(data=JPEG)  # mime_type defaults to PNG
    fixed = images.to_image(wrong)
    assert fixed.mime_type == "image/jpeg" and (fixed.width, fixed.height) == (40, 30)
    assert images.to_image(good, detail="low").detail == "low"


def test_large_images_are_downscaled_to_the_limit() -> None:
    big = _encoded((3000, 1000), "PNG")
    image = images.to_image(big)
    assert (image.width, image.height) == (images.DEFAULT_MAX_SIDE, 523)
    assert PIL.open(io.BytesIO(image.data or b"")).size == (image.width, image.height)
    assert image.mime_type == "image/png"
    small = images.to_image(big, max_side=300)
    assert (small.width, small.height) == (300, 100)


def test_heavy_images_are_re_encoded_under_the_byte_limit() -> None:
    noisy = _encoded((700, 700), "PNG", noise=True)
    assert len(noisy) > 400_000
    image = images.to_image(noisy, max_bytes=100_000)
    assert len(image.data or b"") <= 100_000
    assert image.mime_type == "image/jpeg"  # what it takes for a photo-like image
    assert images.sniff_mime_type(image.data or b"") == "image/jpeg"


def test_exif_rotation_is_applied_when_re_encoding() -> None:
    picture = PIL.new("RGB", (2000, 1000), "white")
    exif = picture.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", exif=exif)
    image = images.to_image(buffer.getvalue())
    assert image.height is not None and image.width is not None and image.height > image.width


def test_process_wide_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "limits", images.limits)
    big = _encoded((2000, 100), "PNG")
    images.set_limits(max_side=None)
    assert images.to_image(big).width == 2000
    images.set_limits(max_side=500)
    assert images.to_image(big).width == 500
    with pytest.raises(ak.ConfigurationError, match="max_side"):
        images.set_limits(max_side=3)


def test_other_formats_are_converted_to_png() -> None:
    bmp = _encoded((12, 8), "BMP")
    assert images.sniff_mime_type(bmp) == "image/bmp"
    image = images.to_image(bmp)
    assert image.mime_type == "image/png" and (image.width, image.height) == (12, 8)


def test_without_pillow_large_images_are_sent_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pillow(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    big = _encoded((2000, 100), "PNG")
    monkeypatch.setattr(builtins, "__import__", no_pillow)
    with pytest.warns(UserWarning, match=r"agentkit\[images\]"):
        image = images.to_image(big)
    assert image.data == big and image.width == 2000
    with pytest.raises(ak.ConfigurationError, match="Install Pillow"):
        images.to_image(_bmp_without_pillow())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert images.to_image(PNG).data == PNG  # within the limits: no warning


def _bmp_without_pillow() -> bytes:
    return b"BM" + bytes(60)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("/no/such/cat.png", "There is no image file at '/no/such/cat.png'"),
        (b"plain text, not an image", "not an image agentkit recognises"),
        (12, "Cannot use int 12 as an image"),
        ("data:image/png;base64,@@@", r"is empty \(0 bytes\)"),  # `@` is not base64: nothing is left
    ],
)
def test_unusable_values_fail_with_what_would_work(value: Any, match: str) -> None:
    with pytest.raises(ak.ConfigurationError, match=match):
        images.to_image(value)


def test_a_directory_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(ak.ConfigurationError, match="is a directory"):
        images.to_image(tmp_path)


def test_the_base64_form_is_computed_once_and_shared_by_every_turn() -> None:
    image = images.to_image(PNG)
    assert image.base64 is image.base64
    # The data URL is assembled from that cached base64 on each use (not cached itself, so the
    # image is not held a third time); its payload is the very same encoding.
    assert image.data_url.endswith(image.base64)


def test_tool_results_use_the_same_checks() -> None:
    from agentkit.tools import result_to_content

    big = PIL.new("RGB", (4000, 2000))
    (part,) = result_to_content(big)
    assert part.image.width == images.DEFAULT_MAX_SIDE  # type: ignore[union-attr]
    (text,) = result_to_content("chart.png")  # a string a tool returns is text, never a path
    assert text.text == "chart.png"  # type: ignore[union-attr]
    assert images.image_from_value(b"not an image") is None
