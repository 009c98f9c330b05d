"""An MCP tool result (`CallToolResult`) as the value an `ak.Tool` returns, so the model sees it right.

- text content is text (several text blocks are joined);
- image content (and image blobs of embedded resources) is an image: `result_to_content` turns it
  into an image part, which dialects that carry images in tool results show the model (the others
  get a sentence saying an image came back);
- `structuredContent` is JSON: the tool returns the dict itself, so `reply.tool_calls[i].result` is
  data. The text block the spec asks servers to add as its serialized copy is dropped, not sent twice
  (other text is kept);
- `isError: true` raises :class:`MCPToolError`, which the agent turns into an error result the
  model can react to;
- audio, resource links and other resources become one line of text each, saying what they are.

Content blocks are read by their `type` field, as the protocol defines them, not by SDK class.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from agentkit.errors import MCPError
from agentkit.messages import ImagePart, TextPart

__all__ = ["MCPToolError", "tool_value"]


class MCPToolError(MCPError):
    """The MCP tool ran and reported an error (`isError: true`); the message is the server's text."""


def tool_value(result: Any, *, tool: str, server: str) -> Any:
    """What the tool returns for `result`: a str, the structured dict, an `ak.Image`, or a list with images."""
    parts = [part for block in (result.content or []) if (part := _part(block)) is not None]
    if result.is_error:
        text = "\n".join(p.text for p in parts if isinstance(p, TextPart)).strip()
        raise MCPToolError(
            text or f"The MCP tool `{tool}` of `{server}` reported an error without a message.",
            server=server,
        )
    structured = result.structured_content
    if structured is not None:
        parts = [p for p in parts if not (isinstance(p, TextPart) and _same_json(p.text, structured))]
    if any(isinstance(p, ImagePart) for p in parts):  # `ak.Image`s, which `result_to_content` sends as images
        head: list[Any] = [] if structured is None else [structured]
        items = [*head, *(p.text if isinstance(p, TextPart) else p.image for p in parts)]
        return items[0] if len(items) == 1 else items
    texts = [p.text for p in parts if isinstance(p, TextPart)]
    if structured is None:
        return "\n\n".join(texts)
    if not texts:
        return structured
    return "\n\n".join([json.dumps(structured, ensure_ascii=False), *texts])


def _part(block: Any) -> TextPart | ImagePart | None:
    kind = getattr(block, "type", None)
    if kind == "text":
        return TextPart(block.text)
    if kind == "image":
        return _image(block.data, block.mime_type, "image")
    if kind == "audio":
        return TextPart(f"[The tool returned audio ({block.mime_type}, {_size(block.data)}) that is not shown here.]")
    if kind == "resource_link":
        what = f" ({block.mime_type})" if block.mime_type else ""
        about = f": {block.description}" if block.description else ""
        return TextPart(f"[Resource link `{block.name}`{what} at {block.uri}{about}]")
    if kind == "resource":
        resource = block.resource
        text = getattr(resource, "text", None)
        if isinstance(text, str):
            return TextPart(text)
        mime = getattr(resource, "mime_type", None) or "application/octet-stream"
        blob = getattr(resource, "blob", "")
        if mime.startswith("image/"):
            return _image(blob, mime, f"resource {resource.uri}")
        if mime.startswith("text/") or mime in _TEXT_TYPES:
            decoded = _text_blob(blob)
            if decoded is not None:
                return TextPart(decoded)
        return TextPart(f"[The tool returned the resource {resource.uri} ({mime}, {_size(blob)}), not shown here.]")
    return TextPart(f"[The tool returned content of type {kind!r}, which agentkit does not show.]")


#: Blob resources whose bytes are text a model can read as it is.
_TEXT_TYPES = frozenset({"application/json", "application/xml", "application/yaml", "application/x-yaml"})


def _text_blob(data: str) -> str | None:
    """The text of a base64 blob of a text type, or None when it is not valid base64 of UTF-8."""
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _image(data: str, mime: str, what: str) -> TextPart | ImagePart:
    from agentkit.images import image_from_value

    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return TextPart(f"[The tool returned an {what} ({mime}) whose data is not valid base64.]")
    image = image_from_value(raw)
    if image is None:  # a format vendors do not take (SVG...) or not an image at all
        return TextPart(f"[The tool returned an {what} ({mime}, {len(raw)} bytes) in a format that cannot be shown.]")
    return ImagePart(image)


def _size(data: str) -> str:
    """The decoded size of base64 `data`, without decoding it (padding counted out)."""
    stripped = data.rstrip()
    return f"{len(stripped) * 3 // 4 - (len(stripped) - len(stripped.rstrip('=')))} bytes"


def _same_json(text: str, value: Any) -> bool:
    """Whether `text` is the copy of `structuredContent` a server sends for older clients.

    The copy is the JSON of the value, or, for a value of one field (servers that wrap a plain
    return value as `{"result": value}`, like the SDK's own, or a file's text as `{"content": text}`,
    like the reference filesystem server), that field's value itself, as text or as JSON.
    """
    copies = [value]
    if isinstance(value, dict) and len(value) == 1:
        (only,) = value.values()
        copies.append(only)
        if text == only:
            return True
    try:
        return json.loads(text) in copies
    except ValueError:
        return False
