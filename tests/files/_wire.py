"""Reading files back out of request bodies, written from the vendors' documented shapes (not from agentkit).

`wire_files(dialect, body)` lists every file a request carries, in order, as the vendor spells it:
Anthropic `document` blocks (also inside `tool_result`), Chat `file` and `input_audio` parts,
Responses `input_file` parts (also in `function_call_output`), Gemini `inlineData`/`fileData` parts
of a non-image type (also in `functionResponse.parts`). `comparable` turns one into what must be
equal between two senders: Gemini's base64 alphabet (google-genai sends URL-safe) decoded to bytes.
"""

from __future__ import annotations

import base64
from typing import Any


def b64(text: str) -> bytes:
    """Either base64 alphabet -> bytes."""
    return base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))


def _get(data: dict[str, Any], camel: str) -> Any:
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)
    return data.get(camel, data.get(snake))


#: The content-part types that are files, for the two OpenAI APIs.
_KINDS = {"openai": ("file", "input_audio"), "responses": ("input_file",)}


def wire_files(dialect: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(blocks: Any) -> None:
        for block in blocks if isinstance(blocks, list) else ():
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if dialect == "anthropic":
                if kind == "document":
                    found.append(block)
                elif kind == "tool_result":
                    walk(block.get("content"))
            elif kind in _KINDS.get(dialect, ()):
                found.append(block)
            elif dialect == "gemini":
                blob = _get(block, "inlineData") or _get(block, "fileData")
                if isinstance(blob, dict) and not str(_get(blob, "mimeType")).startswith("image/"):
                    found.append(block)
                response = _get(block, "functionResponse")
                if isinstance(response, dict):
                    walk(response.get("parts"))

    if dialect == "gemini":
        for content in body.get("contents") or ():
            walk(content.get("parts"))
    elif dialect == "responses":
        for item in body.get("input") or ():
            walk(item.get("content"))
            walk(item.get("output"))
    else:
        for message in body.get("messages") or ():
            walk(message.get("content"))
    return found


def comparable(dialect: str, block: dict[str, Any]) -> Any:
    """What must match between two senders of the same file in one dialect."""
    if dialect != "gemini":
        return block
    inline, file_data = _get(block, "inlineData"), _get(block, "fileData")
    if inline is not None:
        return ("inline", _get(inline, "mimeType"), b64(_get(inline, "data")))
    return ("uri", _get(file_data, "mimeType"), _get(file_data, "fileUri"))
