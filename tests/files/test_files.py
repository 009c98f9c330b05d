"""What `files=[...]` accepts, and the `ak.File` it becomes: the type from the content, then the name.

Covers every source (str path, `Path`, bytes, file object, data URL, http(s) URL, `ak.File`, one
item without a list), the sniffing of each type (PDF, WAV, MP3 with and without ID3, FLAC, OGG,
AIFF, AAC, MP4 video, text refined by the name), the PDF page count, and the errors: each an
`ak.ConfigurationError` saying what to pass, naming the file and never quoting its content.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest

import agentkit as ak
from agentkit.files import attachments, to_file
from agentkit.messages import File, Image
from tests.files._samples import FLAC, MP3, NOTES, pdf, wav

PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (pdf(2), "application/pdf"),
        (b"\n\n%PDF-1.7\n", "application/pdf"),  # a header after a few bytes is still a PDF
        (wav(), "audio/wav"),
        (MP3, "audio/mpeg"),
        (b"\xff\xfb\x90\x64" + b"\x00" * 64, "audio/mpeg"),  # a bare MPEG-1 Layer III frame
        (b"\xff\xf1\x50\x80" + b"\x00" * 64, "audio/aac"),  # ADTS: layer bits 00
        (FLAC, "audio/flac"),
        (b"OggS\x00\x02" + b"\x00" * 64, "audio/ogg"),
        (b"FORM\x00\x00\x00\x10AIFFCOMM", "audio/aiff"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "video/mp4"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00", "audio/mp4"),
        (NOTES.encode(), "text/plain"),
    ],
)
def test_the_type_comes_from_the_bytes(data: bytes, mime: str) -> None:
    assert File(data).mime_type == mime
    assert File(data, name="misleading.txt" if mime != "text/plain" else None).mime_type == mime


@pytest.mark.parametrize(
    ("name", "mime"),
    [("notes.md", "text/markdown"), ("table.csv", "text/csv"), ("data.json", "application/json"),
     ("script.py", "text/x-python"), ("page.html", "text/html"), ("README", "text/plain")],
)
def test_text_is_refined_by_the_name(name: str, mime: str) -> None:
    assert File(b"some text\n", name=name).mime_type == mime
    assert File(pdf(), name=name).mime_type == "application/pdf"  # the name never beats magic numbers


def test_utf16_text_is_text_and_reads_back() -> None:
    file = File("Grüße\n".encode("utf-16"), name="notes.txt")  # starts FF FE, which could pass for MPEG audio
    assert file.mime_type == "text/plain" and file.text == "Grüße\n"
    assert File("\ufeffhello".encode()).text == "hello"  # a UTF-8 BOM is dropped


def test_pdf_pages_are_counted_from_page_objects() -> None:
    assert File(pdf(3)).pages == 3
    assert File(pdf(1)).pages == 1
    assert File(b"%PDF-1.7 compressed object streams only").pages is None  # unknown, not zero
    assert File(wav()).pages is None
    assert "3 pages" in repr(File(pdf(3), name="r.pdf"))


def test_every_source_gives_the_same_file(tmp_path: Path) -> None:
    data = pdf(3)
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    sources = {
        "str path": str(path),
        "Path": path,
        "bytes": data,
        "bytearray": bytearray(data),
        "file object": open(path, "rb"),  # noqa: SIM115 - read and closed below
        "BytesIO": io.BytesIO(data),
        "data URL": "data:application/pdf;base64," + base64.b64encode(data).decode(),
        "ak.File": ak.File(data, name="report.pdf"),
    }
    try:
        for label, source in sources.items():
            (file,) = attachments(source)  # one item, no list
            assert isinstance(file, File), label
            assert file.data == data and file.mime_type == "application/pdf" and file.pages == 3, label
            if label in ("str path", "Path", "file object", "ak.File"):
                assert file.name == "report.pdf", label
    finally:
        sources["file object"].close()


def test_a_list_mixes_kinds_and_an_image_becomes_an_image(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES)
    found = attachments([notes, wav(), PNG_1x1, "https://example.com/papers/attention.pdf",
                         "gs://bucket/scan.png", "gs://bucket/talk.mp3"])
    assert [type(f).__name__ for f in found] == ["File", "File", "Image", "File", "Image", "File"]
    assert found[4].url == "gs://bucket/scan.png" and found[5].mime_type == "audio/mpeg"
    assert isinstance(found[0], File) and found[0].mime_type == "text/markdown" and found[0].text == NOTES
    assert isinstance(found[2], Image) and found[2].mime_type == "image/png"
    url = found[3]
    assert isinstance(url, File) and url.url is not None and url.mime_type == "application/pdf"
    assert url.filename == "attention.pdf"
    assert attachments(None) == [] and attachments(()) == []


def test_declared_types_count_only_where_the_content_says_little() -> None:
    html = b"<html><body>Not found</body></html>"
    assert to_file(ak.File(html, mime_type="application/pdf", name="r.pdf")).mime_type == "text/plain"
    assert to_file(ak.File(b"a;b\n1;2\n", mime_type="text/csv")).mime_type == "text/csv"
    assert to_file(ak.File(MP3, mime_type="audio/wav")).mime_type == "audio/mpeg"  # a .wav holding MP3
    docx = b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40
    declared = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert to_file(ak.File(docx, mime_type=declared)).mime_type == declared
    assert ak.File(b"x", mime_type="audio/x-wav").mime_type == "audio/wav"  # aliases folded


def test_a_file_already_right_is_kept_with_its_cached_base64() -> None:
    file = ak.File(pdf(), name="r.pdf")
    encoded = file.base64
    assert to_file(file) is file and file.base64 is encoded
    assert file.data_url.startswith("data:application/pdf;base64,JVBER")


def test_bad_input_gets_a_clear_error_that_never_quotes_the_content(tmp_path: Path) -> None:
    secret = b"\x00\x01SECRET-KEY-MATERIAL\x02" * 8
    with pytest.raises(ak.ConfigurationError, match=r"176 bytes\) is not a file type agentkit recognises") as info:
        to_file(secret)
    assert "SECRET" not in str(info.value) and "ak.File(data, mime_type=" in str(info.value)
    with pytest.raises(ak.ConfigurationError, match=r"There is no file at '.*missing\.pdf'"):
        to_file(str(tmp_path / "missing.pdf"))
    with pytest.raises(ak.ConfigurationError, match="is a directory"):
        to_file(tmp_path)
    (tmp_path / "empty.pdf").write_bytes(b"")
    with pytest.raises(ak.ConfigurationError, match=r"The file 'empty\.pdf' is empty"):
        to_file(tmp_path / "empty.pdf")
    with pytest.raises(ak.ConfigurationError, match="does not say what type of file it is"):
        to_file("https://example.com/download?id=7")
    with pytest.raises(ak.ConfigurationError, match="Cannot use int 42 as a file"):
        to_file(42)
    with pytest.raises(ak.ConfigurationError, match="text mode"):
        to_file(io.StringIO("text"))
    with pytest.raises(ValueError, match="exactly one of"):
        ak.File()
    with pytest.raises(TypeError, match=r"takes the file's bytes, not a str \('report\.pdf'\)"):
        ak.File("report.pdf")  # type: ignore[arg-type]


def test_an_url_file_with_a_declared_type_is_kept() -> None:
    file = to_file(ak.File(url="https://example.com/download?id=7", mime_type="application/pdf"))
    assert isinstance(file, File) and file.mime_type == "application/pdf" and file.size is None
