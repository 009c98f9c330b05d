"""Small real files for the file tests: a PDF of N pages, a WAV of N seconds, an MP3 frame, text.

Built with the standard library (no PDF or audio library): a minimal but valid PDF (catalog,
page tree, N pages, cross-reference table) and a 16-bit mono PCM WAV from `wave`.
"""

from __future__ import annotations

import io
import wave


def pdf(pages: int = 3) -> bytes:
    """A valid PDF with `pages` empty pages (objects 3.. are the pages)."""
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>",
        *["<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"] * pages,
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def wav(seconds: float = 1.5, rate: int = 8000) -> bytes:
    """A silent 16-bit mono WAV of `seconds`."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(b"\x00\x00" * int(seconds * rate))
    return out.getvalue()


#: An MP3 file: an ID3v2 header, then one MPEG-1 Layer III frame header and padding.
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 413
#: A FLAC stream header (the rest does not matter to sniffing).
FLAC = b"fLaC\x00\x00\x00\x22" + b"\x00" * 64
NOTES = "# Notes\n\nThe launch is on Tuesday.\nBring the slides.\n"
