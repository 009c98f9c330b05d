"""What files cost before anything is sent: reading and sniffing a path, counting a PDF's pages, and
encoding it for each dialect on every turn of a conversation.

Run: python benchmarks/files.py [--repeat 5]

A file is read and sniffed once, when it enters the conversation (`files=`); its base64 form is
computed once and cached on the `ak.File`, so later turns re-send the same text. The page count
(a regex over the bytes, for the live view's chip) is computed once too, on first display.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _common  # noqa: F401  (sets sys.path)
from _common import machine, median, ms, table

import agentkit as ak
from agentkit.files import to_file
from agentkit.messages import File, Message


def _pdf(size: int) -> bytes:
    """A PDF-looking file of about `size` bytes with one page object per 100 kB."""
    page = b"<< /Type /Page /Parent 2 0 R >>\n"
    filler = b"0" * 100_000
    body = bytearray(b"%PDF-1.7\n")
    while len(body) < size:
        body += page + filler
    return bytes(body)


def _time(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    print(machine())
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for megabytes in (1, 10, 30):
            data = _pdf(megabytes * 1_000_000)
            path = Path(folder) / f"doc{megabytes}.pdf"
            path.write_bytes(data)
            read = _time(lambda p=path: to_file(p), repeat)  # type: ignore[misc]
            pages = _time(lambda d=data: File(d).pages, repeat)  # type: ignore[misc]
            first = _time(lambda d=data: ak.to_dialect("anthropic", [Message.user("q", File(d))]), repeat)  # type: ignore[misc]
            file = File(data)
            history = [Message.user("q", file)]
            ak.to_dialect("anthropic", history)  # the base64 form is now cached on the file
            later = _time(lambda h=history: ak.to_dialect("anthropic", h), repeat)  # type: ignore[misc]
            rows.append([f"{megabytes} MB", ms(read), ms(pages), ms(first), ms(later, 3)])
    print(table(["PDF", "read + sniff (ms)", "page count (ms)", "first encode (ms)", "later turns (ms)"], rows))


if __name__ == "__main__":
    main()
