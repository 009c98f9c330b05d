"""Small text helpers shared by the model and the wire renderers: word matching, token counts, chunking.

Why rough: the emulator is not a language model. Token counts are word counts scaled by 4/3 (close
enough for budget and usage plumbing), and streamed text is cut at word boundaries so that deltas look
like the ones real servers send.
"""

from __future__ import annotations

import math
import re

__all__ = [
    "collapse",
    "count_tokens",
    "shorten",
    "split_fixed",
    "split_words",
    "stem",
    "word_set",
    "word_stems",
]

_WORD = re.compile(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)?")


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text`, for long word lists kept readable in source."""
    return frozenset(text.split())


def count_tokens(*texts: str) -> int:
    """Roughly count tokens: whitespace-separated words times 4/3, rounded up."""
    words = sum(len(text.split()) for text in texts if text)
    return math.ceil(words * 4 / 3)


def stem(word: str) -> str:
    """A crude singular/lower-case form so that "cities" matches "city" and "Files" matches "file"."""
    word = word.lower().replace("\u2019", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def word_stems(text: str) -> list[tuple[str, int]]:
    """The stems of the words in `text`, each with its character offset."""
    return [(stem(match.group(0)), match.start()) for match in _WORD.finditer(text)]


def collapse(text: str) -> str:
    """Collapse runs of whitespace to single spaces and strip the ends."""
    return " ".join(text.split())


def shorten(text: str, limit: int = 300) -> str:
    """Collapse whitespace and cut to `limit` characters with an ellipsis, for echoes and summaries."""
    text = collapse(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_words(text: str, words_per_chunk: int = 1) -> list[str]:
    """Cut text into deltas of about `words_per_chunk` words, keeping every character.

    Leading whitespace stays with the word that follows it (" world"), as in real streams.
    """
    if not text:
        return []
    pieces = re.findall(r"\s*\S+", text)
    trailing = text[len("".join(pieces)) :]
    chunks = [
        "".join(pieces[i : i + words_per_chunk]) for i in range(0, len(pieces), max(1, words_per_chunk))
    ]
    if not chunks:
        return [text]
    chunks[-1] += trailing
    return chunks


def split_fixed(text: str, size: int) -> list[str]:
    """Cut text into pieces of at most `size` characters (tool-argument deltas)."""
    if not text:
        return []
    return [text[i : i + size] for i in range(0, len(text), max(1, size))]
