"""The emulator's prompt cache: repeated prompt prefixes are reported as cache reads, in every door.

Why: prompt caching is invisible offline otherwise, and the usage decoding, the cost and the
caching hints agentkit sends need something to show. The rules follow the vendors', coarsened to
whole messages:

- OpenAI Chat, Responses and Gemini cache implicitly: a request reads the longest prefix (the
  tools, system prompt and schema, then whole messages) that an earlier request to the same door
  and model began with. Unlike the vendors, there is no minimum length, so short demos show it.
- Anthropic caches only where the request marks `cache_control` breakpoints: it reads the longest
  prefix an earlier request wrote, and writes the prefix up to its last breakpoint (the tokens
  past what it read are the cache writes). No breakpoint: no read, no write.

Token counts use the model's rough counting (`count_tokens`, 85 per image), so a prefix's count is
never more than the prompt's. Deterministic: the same requests in the same order give the same
counts. The cache lives as long as the emulator (`Emulator.reset()` empties it).
"""

from __future__ import annotations

import hashlib
import math
import threading

from .model import ATTACHMENT_TOKENS, attachments, head_texts, message_texts
from .neutral import ChatRequest, Message, Usage

__all__ = ["PromptCache"]


class PromptCache:
    """The prefixes earlier requests left in the cache, by door and model."""

    def __init__(self) -> None:
        self._stored: set[str] = set()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._stored.clear()

    def account(self, request: ChatRequest, usage: Usage) -> None:
        """Set `usage.cached_tokens` (and `cache_write_tokens` for breakpoints) for `request`, and remember its prefixes."""
        keys, tokens = _prefixes(request)
        limit = usage.prompt_tokens
        with self._lock:
            hit = max((k for k, key in enumerate(keys) if key in self._stored), default=None)
            read = min(tokens[hit], limit) if hit is not None else 0
            marks = request.cache_breakpoints
            if marks is None:  # implicit caching: every prefix of this request is cached from now on
                self._stored.update(keys)
                usage.cached_tokens = read
                return
            if not marks:
                return
            last = max(marks)
            self._stored.update(keys[mark] for mark in marks)
            usage.cached_tokens = read
            usage.cache_write_tokens = max(0, min(tokens[last], limit) - read)


def _prefixes(request: ChatRequest) -> tuple[list[str], list[int]]:
    """For k = 0..len(messages): a key for the prompt up to message k, and its tokens (k = 0: the head).

    Counted as `model.prompt_tokens` counts the whole prompt (less its flat 3), prefix by prefix.
    """
    head = head_texts(request)
    digest = hashlib.sha256()
    for part in (request.door, request.model, *head):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x1f")
    words = _words(head)
    attached = 0
    keys = [digest.hexdigest()]
    tokens = [_tokens(words, attached)]
    for message in request.messages:
        digest.update(_fingerprint(message))
        words += _words(message_texts(message))
        attached += attachments(message)
        keys.append(digest.hexdigest())
        tokens.append(_tokens(words, attached))
    return keys, tokens


def _words(texts: list[str]) -> int:
    return sum(len(text.split()) for text in texts if text)


def _fingerprint(message: Message) -> bytes:
    return repr(message).encode("utf-8", "surrogatepass") + b"\x1e"


def _tokens(words: int, attached: int) -> int:
    return math.ceil(words * 4 / 3) + ATTACHMENT_TOKENS * attached
