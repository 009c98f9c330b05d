"""The Anthropic Messages dialect: `client.messages.create` through the official `anthropic` SDK.

Wire facts this module is built around (see SDK_FACTS.md):

- `messages.create` has no `temperature` / `top_p` / `top_k` parameters: they go in `extra_body`.
  `max_tokens` is required (default 4096 here). Above 21 333 tokens the SDK refuses a
  non-streaming call unless it is given an explicit `timeout`, so `create` passes the client's own.
- Thinking (`thinking` / `redacted_thinking` blocks) must go back unchanged and in order on later
  turns; the neutral `ReasoningPart` keeps the signature (or the redacted data) for exactly that,
  and blocks from any other dialect are never sent as signed thinking.
- Tool results are one user turn of `tool_result` blocks that must come first in that turn; their
  content is a string, or a list of text and image blocks. Tool-use ids must match
  `^[a-zA-Z0-9_-]+$`, so ids from other dialects are rewritten the same way for a call and its result.
- Files are `document` blocks (https://docs.anthropic.com/en/docs/build-with-claude/pdf-support,
  /citations): a PDF as `{"type": "base64", "media_type": "application/pdf", "data"}` or `{"type":
  "url", "url"}` source, a plain text file as a `{"type": "text", "media_type": "text/plain",
  "data"}` source, the file name as the block's `title`. They may appear in user turns and in
  `tool_result` content. Audio and video raise before the request (`carries_file`).
- Calls go through `messages.with_raw_response.create`: the SDK sends the request and raises its
  exceptions for error statuses, and the answer's JSON (or SSE events) is decoded here as plain
  dicts, skipping the SDK's pydantic parsing (see `create` and `stream` for the figures).
- A mid-stream `event: error` raises `agentkit.errors.StreamErrorEvent` with the event's data as
  sent; the agent maps it, like the SDK's exceptions, with `Relay.map_error`: the relay's
  `error.message` verbatim, its `error.type` deciding the class and `code`, status 200.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, assert_never

from agentkit._filetypes import is_text_type
from agentkit.dialects.base import FinishReason, ModelRequest, Turn, check_tool_choice, declaration
from agentkit.dialects.shared import OUTPUT_LOG as _OUTPUT_LOG
from agentkit.dialects.shared import arguments_object as _arguments_object
from agentkit.dialects.shared import count as _count
from agentkit.dialects.shared import file_from_url as _file_from_url
from agentkit.dialects.shared import file_placeholder as _file_placeholder
from agentkit.dialects.shared import file_refused as _file_refused
from agentkit.dialects.shared import image_base64 as _image_base64
from agentkit.dialects.shared import plain as _plain
from agentkit.dialects.shared import system_from_wire as _system_from_wire
from agentkit.dialects.shared import system_text as _system_text
from agentkit.errors import StreamErrorEvent, UpstreamError
from agentkit.events import Delta, ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.messages import (
    File,
    FilePart,
    Image,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    Role,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)

if TYPE_CHECKING:
    from agentkit._schema import JsonSchema
    from agentkit.tools import Tool

__all__ = [
    "NAME",
    "CACHE_HINT_FIELDS",
    "NATIVE_OUTPUT_PARAMETER",
    "TOOL_FORMS",
    "TOOL_RESULT_IMAGES",
    "carries_file",
    "create",
    "decode",
    "decode_history",
    "encode",
    "encode_history",
    "output_mode",
    "output_schema",
    "shown_parameters",
    "stream",
    "tool_declaration",
    "tool_parameters",
    "tool_schema",
]

NAME = "anthropic"

#: `max_tokens` when the caller gives none (the API has no default of its own).
DEFAULT_MAX_TOKENS = 4096
#: Above this, the SDK wants streaming or an explicit timeout (`_base_client.py:864-877`).
_NONSTREAMING_MAX_TOKENS = 21_333
#: Thinking budgets for the neutral effort names (`budget_tokens` must be >= 1024).
_EFFORT_BUDGET = {"minimal": 1024, "low": 1024, "medium": 4096, "high": 16_384}
_MIN_BUDGET = 1024
_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_TOOL_ID = re.compile(r"[a-zA-Z0-9_-]+")
_STOP_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "refusal",
    "pause_turn": "other",
}


# ----------------------------------------------------------------------------------- schema

#: The `form=` values `Tool.to_schema` takes for this dialect (the first is the default): none.
TOOL_FORMS: tuple[str, ...] = ()
#: Whether a tool result can carry images here: a `tool_result` block takes image blocks.
TOOL_RESULT_IMAGES = True
#: The request parameter native structured output goes in (named when a relay rejects it).
NATIVE_OUTPUT_PARAMETER = "`output_config.format`"
#: The request fields that carry prompt-caching hints: a relay that refuses one (a 400 naming it)
#: gets the request again without hints (`agentkit.agent`).
CACHE_HINT_FIELDS: tuple[str, ...] = ("cache_control",)


def tool_schema(tool: Tool) -> dict[str, Any]:
    """The `tools` entry for Anthropic: `{"name", "description", "input_schema"}` (built by the tool)."""
    return declaration(tool, NAME)  # built once per tool, shared (read-only)


def tool_parameters(
    canonical: JsonSchema, *, strict: bool, form: str | None, tool: str
) -> tuple[JsonSchema, str | None]:
    """`input_schema`: the canonical schema (Anthropic takes JSON Schema 2020-12); no strict mode here."""
    from agentkit import _schema_dialects

    return _schema_dialects.anthropic_parameters(canonical), None


def tool_declaration(
    name: str, description: str, parameters: JsonSchema, *, strict: bool, form: str | None
) -> dict[str, Any]:
    """A Messages API `tools` entry."""
    return {"name": name, "description": description, "input_schema": parameters}


def shown_parameters(canonical: JsonSchema, *, strict: bool, form: str | None, tool: str) -> JsonSchema:
    """What a tool's arguments (or a structured answer) are validated against: the canonical schema."""
    return canonical


def output_schema(schema: JsonSchema, *, strict: bool, name: str) -> tuple[JsonSchema, bool]:
    """The `output_config.format` schema: `anthropic.transform_schema`'s form, never strict (no such flag).

    The SDK's own transform closes objects and moves unsupported constraints into descriptions; a
    schema it cannot read (e.g. `type` lists) is sent as it is, and the relay decides.
    """
    try:
        from anthropic import transform_schema

        transformed: JsonSchema = transform_schema(schema)
    except Exception as exc:  # whatever the SDK raises for a schema it cannot read
        _OUTPUT_LOG.info("The output schema is sent to Anthropic untransformed: %s", exc)
        return schema, False
    return transformed, False


def output_mode(model: str, *, has_tools: bool) -> Literal["native", "tool"]:
    """How structured output is asked for first: natively (`output_config.format`), tools or not."""
    return "native"


# ---------------------------------------------------------------------------------- history


def encode_history(history: Sequence[Message]) -> dict[str, Any]:
    """Neutral messages -> `{"system"?: str, "messages": [...]}`.

    System messages (wherever they are) join into the top-level `system` string, the only place
    Anthropic takes them. Tool messages become user turns of `tool_result` blocks, and consecutive
    turns of one role merge, because a tool-result turn must directly follow its tool-use turn and
    may carry the next user text too.
    """
    system: list[str] = []
    messages: list[dict[str, Any]] = []
    for message in history:
        if message.role == "system":
            system.append(_system_text(message, vendor="Anthropic"))
            continue
        if message.role == "assistant":
            role, blocks = "assistant", _assistant_blocks(message)
        else:
            role, blocks = "user", _user_blocks(message)
        if not blocks:
            continue
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"].extend(blocks)
        else:
            messages.append({"role": role, "content": blocks})
    for turn in messages:
        if turn["role"] == "user":  # the API wants tool_result blocks before anything else in the turn
            turn["content"].sort(key=lambda block: block["type"] != "tool_result")
    fragment: dict[str, Any] = {}
    if any(system):
        fragment["system"] = "\n\n".join(text for text in system if text)
    fragment["messages"] = messages
    return fragment


def _assistant_blocks(message: Message) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            if part.text:  # the API rejects empty text blocks
                blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, ReasoningPart):
            # Only Anthropic's own signed thinking can go back; other reasoning is dropped, never
            # sent as an (invalid) signed block nor passed off as something the model said.
            if part.dialect != NAME:
                continue
            if part.redacted is not None:
                blocks.append({"type": "redacted_thinking", "data": part.redacted})
            elif part.signature:
                blocks.append({"type": "thinking", "thinking": part.text, "signature": part.signature})
        elif isinstance(part, ToolCallPart):
            blocks.append(
                {"type": "tool_use", "id": _wire_id(part.id), "name": part.name, "input": _arguments_object(part)}
            )
        elif isinstance(part, (ImagePart, FilePart)):
            raise ValueError(
                f"Anthropic assistant messages cannot carry images or files, but one holds {part!r}. "
                "Put it in a user message instead."
            )
        elif isinstance(part, ToolResultPart):
            raise ValueError(
                f"The tool result for call {part.call_id!r} sits in an assistant message; "
                "put tool results in a `tool` message after the assistant's tool calls."
            )
        else:
            assert_never(part)
    return blocks


def _user_blocks(message: Message) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            if part.text:
                blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            blocks.append(_image_block(part.image))
        elif isinstance(part, FilePart):
            blocks.append(_document_block(part.file))
        elif isinstance(part, ToolResultPart):
            blocks.append(_tool_result_block(part))
        elif isinstance(part, ReasoningPart):
            raise ValueError(
                f"A {message.role} message holds reasoning ({part.text[:40]!r}); reasoning belongs to "
                "assistant messages only."
            )
        elif isinstance(part, ToolCallPart):
            raise ValueError(
                f"A {message.role} message holds the tool call {part.name!r}; tool calls belong to "
                "assistant messages only."
            )
        else:
            assert_never(part)
    return blocks


def _wire_id(call_id: str) -> str:
    """A tool-use id Anthropic accepts; the same input always gives the same id (call and result agree)."""
    if _TOOL_ID.fullmatch(call_id):
        return call_id
    digest = hashlib.sha1(call_id.encode()).hexdigest()[:8]
    cleaned = re.sub(r"[^a-zA-Z0-9_-]", "_", call_id)[:48]
    return f"{cleaned}_{digest}" if cleaned else f"toolu_{digest}"


def _image_block(image: Image) -> dict[str, Any]:
    if image.url is not None and not image.url.startswith("data:"):
        return {"type": "image", "source": {"type": "url", "url": image.url}}
    mime_type, data = _image_base64(image)
    if mime_type not in _IMAGE_TYPES:
        raise ValueError(
            f"Anthropic takes JPEG, PNG, GIF and WebP images, but this image is {mime_type!r} ({image!r}). "
            "Convert it to PNG first (e.g. with Pillow)."
        )
    return {"type": "image", "source": {"type": "base64", "media_type": mime_type, "data": data}}


def _tool_result_block(part: ToolResultPart) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": _wire_id(part.call_id)}
    if any(isinstance(item, (ImagePart, FilePart)) for item in part.content):
        content: list[dict[str, Any]] = []
        for item in part.content:
            if isinstance(item, ImagePart):
                content.append(_image_block(item.image))
            elif isinstance(item, FilePart):  # a type no document block takes: said in words, as in Chat
                content.append(_document_block(item.file) if carries_file(item.file, tool_result=True)
                               else {"type": "text", "text": _file_placeholder(item.file)})
            elif item.text:
                content.append({"type": "text", "text": item.text})
        block["content"] = content
    elif part.text:
        block["content"] = part.text
    if part.is_error:
        block["is_error"] = True
    return block


def carries_file(file: File, *, tool_result: bool = False) -> bool:
    """Whether a request can hold `file` (user turn or tool result alike): PDFs (bytes or URL) and text (bytes)."""
    if file.mime_type == "application/pdf":
        return True
    return is_text_type(file.mime_type or "") and file.data is not None


def _document_block(file: File) -> dict[str, Any]:
    """A `document` block for a PDF or a plain text file (see the module docstring)."""
    if not carries_file(file):
        raise _file_refused(file, NAME, "Anthropic Messages", "Anthropic takes PDFs and plain text documents "
                            "(no audio or video); use a model of one of those dialects.")
    source: dict[str, Any]
    if file.url is not None:
        source = {"type": "url", "url": file.url}
    elif file.mime_type == "application/pdf":
        source = {"type": "base64", "media_type": "application/pdf", "data": file.base64}
    else:
        source = {"type": "text", "media_type": "text/plain", "data": file.text or ""}
    block: dict[str, Any] = {"type": "document", "source": source}
    if file.name:
        block["title"] = file.name
    return block


def _decode_document(block: dict[str, Any]) -> FilePart:
    """A `document` block -> FilePart: base64 and url sources as they are, a text source as a text file."""
    source = _plain(block.get("source")) or {}
    kind = source.get("type") if isinstance(source, dict) else None
    title = block.get("title") if isinstance(block.get("title"), str) else None
    if kind == "base64":
        media_type = source.get("media_type") or "application/pdf"
        return FilePart(_file_from_url(f"data:{media_type};base64,{source.get('data', '')}", name=title))
    if kind == "url" and isinstance(source.get("url"), str):
        return FilePart(File(url=source["url"], mime_type="application/pdf", name=title))
    if kind == "text" and isinstance(source.get("data"), str):
        # The wire says only text/plain; the title (the file name) may say which text (notes.md: Markdown).
        return FilePart(File(source["data"].encode("utf-8"), name=title))
    raise ValueError(
        f"Anthropic document source type {kind!r} is not supported by agentkit's neutral history "
        "(base64, url and text are)."
    )


def decode_history(data: Any) -> list[Message]:
    """Anthropic messages (a list, or a request fragment with `messages` and `system`) -> neutral.

    Accepts plain dicts and the SDK's pydantic objects (e.g. `response.content` passed back). A user
    turn holding `tool_result` blocks becomes a `tool` message (plus a user message for any text).
    """
    data = _plain(data)
    system: Any = None
    if isinstance(data, dict) and "messages" in data:
        system, items = data.get("system"), data["messages"]
    elif isinstance(data, dict) and "role" in data:
        items = [data]
    elif isinstance(data, list | tuple):
        items = list(data)
    else:
        raise ValueError(
            f"Expected Anthropic messages (a list, or a dict with `messages`), got {type(data).__name__}: "
            f"{str(data)[:80]!r}."
        )
    history: list[Message] = []
    if system:
        history.append(Message.system(_system_from_wire(system)))
    names: dict[str, str] = {}
    for raw in items:
        item = _plain(raw)
        if not isinstance(item, dict):
            raise ValueError(f"Each Anthropic message must be an object with `role`; got {item!r}.")
        role = item.get("role")
        content = item.get("content")
        blocks = (
            [{"type": "text", "text": content}]
            if isinstance(content, str)
            else [_plain(b) for b in content or ()]
        )
        if role == "system":
            history.append(Message.system(_system_from_wire(content)))
        elif role == "assistant":
            parts = [part for block in blocks if (part := _decode_block(block)) is not None]
            names.update((p.id, p.name) for p in parts if isinstance(p, ToolCallPart))
            history.append(Message("assistant", parts, dialect=NAME))
        elif role == "user":
            history.extend(_decode_user_turn(blocks, names))
        else:
            raise ValueError(f"Unknown Anthropic message role {role!r}; expected 'user' or 'assistant'.")
    return history


def _decode_user_turn(blocks: list[dict[str, Any]], names: dict[str, str]) -> list[Message]:
    """One user turn -> `tool` messages for runs of tool_result blocks, `user` messages for the rest."""
    messages: list[Message] = []
    role: Role
    for block in blocks:
        if block.get("type") == "tool_result":
            call_id = str(block.get("tool_use_id", ""))
            part: Part = ToolResultPart(
                call_id=call_id,
                name=names.get(call_id, ""),
                content=_decode_result_content(block.get("content")),
                is_error=bool(block.get("is_error", False)),
            )
            role = "tool"
        else:
            decoded = _decode_block(block)
            if decoded is None:
                continue
            part, role = decoded, "user"
        if messages and messages[-1].role == role:
            messages[-1].parts.append(part)
        else:
            messages.append(Message(role, [part]))
    return messages


def _decode_block(block: dict[str, Any]) -> Part | None:
    """One content block of a history message -> a neutral part (None for an empty text block)."""
    kind = block.get("type")
    if kind in _MODEL_BLOCKS:
        return _model_part(block, kind)
    if kind == "image":
        return ImagePart(_decode_image(block.get("source") or {}))
    if kind == "document":
        return _decode_document(block)
    raise ValueError(
        f"Anthropic content block type {kind!r} is not supported by agentkit's neutral history "
        "(text, image, document, thinking, redacted_thinking, tool_use and tool_result are)."
    )


#: The block types a model writes that agentkit keeps; server-tool blocks are skipped in answers.
_MODEL_BLOCKS = frozenset({"text", "thinking", "redacted_thinking", "tool_use"})


def _model_part(block: dict[str, Any], kind: str) -> Part | None:
    """A block the model wrote (a `_MODEL_BLOCKS` type) -> a neutral part; None for an empty text.

    The one reading of these blocks, for answers (`decode`, and so `stream`) and history alike.
    """
    if kind == "text":
        text = block.get("text")
        return TextPart(text) if text else None
    if kind == "thinking":
        return ReasoningPart(block.get("thinking", ""), signature=block.get("signature"), dialect=NAME)
    if kind == "redacted_thinking":
        return ReasoningPart("", redacted=block.get("data", ""), dialect=NAME)
    return ToolCallPart(
        id=str(block.get("id", "")),
        name=block.get("name", ""),
        arguments=_arguments(block.get("input")),
        dialect=NAME,
    )


def _decode_result_content(content: Any) -> tuple[TextPart | ImagePart | FilePart, ...]:
    if content is None:
        return ()
    if isinstance(content, str):
        return (TextPart(content),) if content else ()
    items: list[TextPart | ImagePart | FilePart] = []
    for block in map(_plain, content):
        kind = block.get("type")
        if kind == "text":
            items.append(TextPart(block.get("text", "")))
        elif kind == "image":
            items.append(ImagePart(_decode_image(block.get("source") or {})))
        elif kind == "document":
            items.append(_decode_document(block))
        else:
            raise ValueError(
                f"A tool_result holds a {kind!r} block; agentkit keeps only text, images and documents in tool results."
            )
    return tuple(items)


def _decode_image(source: dict[str, Any]) -> Image:
    kind = source.get("type")
    if kind == "url":
        return Image(url=source["url"])
    if kind == "base64":
        try:
            data = base64.b64decode(source.get("data", ""), validate=False)
        except binascii.Error as exc:
            raise ValueError(f"An Anthropic image block has invalid base64 data: {exc}.") from None
        return Image(data=data, mime_type=source.get("media_type", "image/png"))
    raise ValueError(f"Anthropic image source type {kind!r} is not supported; use 'base64' or 'url'.")


def _arguments(value: Any) -> dict[str, Any] | str:
    """Tool input -> a dict when it is (or parses to) a JSON object, else the raw text; never raises."""
    if isinstance(value, dict):
        return dict(value)
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            parsed = json.loads(value) if value.strip() else {}
        except ValueError:
            return value
        return parsed if isinstance(parsed, dict) else value
    return json.dumps(value)


# ----------------------------------------------------------------------------------- encode


def encode(request: ModelRequest) -> dict[str, Any]:
    """The keyword arguments of `client.messages.create` for a neutral request.

    Neutral options: `temperature` / `top_p` / `top_k` (sent in `extra_body`, which is the only way
    this SDK takes them), `max_tokens` (default 4096, raised to fit a thinking budget), `stop`,
    `reasoning` (True, an effort name, a budget in tokens, or a raw `thinking` dict),
    `parallel_tool_calls=False`. Other keys go through unchanged: as keyword arguments when
    `messages.create` has them (`metadata`, `service_tier`, `output_config`, `timeout`, ...), else
    into `extra_body`, so the relay still receives them.
    """
    fragment = encode_history(request.history)
    options = dict(request.options)
    kwargs: dict[str, Any] = {"model": request.model, "messages": fragment["messages"]}
    if "system" in fragment:
        kwargs["system"] = fragment["system"]
    extra_body: dict[str, Any] = dict(options.pop("extra_body", None) or {})
    for key in ("temperature", "top_p", "top_k"):
        value = options.pop(key, None)
        if value is not None:
            extra_body[key] = value

    max_tokens = options.pop("max_tokens", None)
    thinking = _thinking(options.pop("reasoning", None))
    if thinking is not None:
        budget = thinking.get("budget_tokens")
        if isinstance(budget, int):
            if max_tokens is None:
                max_tokens = budget + DEFAULT_MAX_TOKENS
            elif max_tokens <= budget:
                raise ValueError(
                    f"`max_tokens={max_tokens!r}` must be larger than the thinking budget ({budget}) for "
                    "Anthropic; raise `max_tokens` or lower `reasoning`."
                )
        kwargs["thinking"] = thinking
    kwargs["max_tokens"] = DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens

    stop = options.pop("stop", None)
    if stop:
        kwargs["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if request.tools:
        kwargs["tools"] = [tool_schema(tool) for tool in request.tools]
    tool_choice = _tool_choice(request, parallel=options.pop("parallel_tool_calls", None))
    if tool_choice is not None:
        kwargs["tool_choice"] = tool_choice
    if request.output is not None:
        output_config = dict(options.pop("output_config", None) or {})
        output_config["format"] = {"type": "json_schema", "schema": request.output.schema}
        kwargs["output_config"] = output_config

    accepted = _create_parameters()
    for key, value in options.items():
        if key in accepted:
            kwargs[key] = value
        else:
            extra_body[key] = value
    if extra_body:
        kwargs["extra_body"] = extra_body
    if request.cache_key is not None:
        _mark_cache_breakpoints(kwargs)
    return kwargs


#: Blocks Anthropic refuses `cache_control` on (its prompt-caching docs: thinking blocks are cached
#: with the turn around them, never marked themselves).
_UNMARKABLE = frozenset({"thinking", "redacted_thinking"})
_EPHEMERAL = {"type": "ephemeral"}


def _mark_cache_breakpoints(kwargs: dict[str, Any]) -> None:
    """Mark prompt-cache breakpoints: the last tool, the last system block, the last block of the latest message.

    Anthropic caches the prefix up to each breakpoint (tools, then system, then messages), and reads
    the longest cached prefix on later requests: marking the end of the latest message caches the
    whole conversation for the next turn. Three breakpoints in all (the API allows four), since
    nothing else in an encoded request carries `cache_control`. The shared tool declarations and
    the encoded blocks are copied where marked, never changed.
    """
    tools = kwargs.get("tools")
    if tools and "cache_control" not in tools[-1]:
        kwargs["tools"] = [*tools[:-1], {**tools[-1], "cache_control": _EPHEMERAL}]
    system = kwargs.get("system")
    if isinstance(system, str) and system:
        kwargs["system"] = [{"type": "text", "text": system, "cache_control": _EPHEMERAL}]
    messages = kwargs.get("messages") or []
    if not messages:
        return
    content = messages[-1].get("content")
    if isinstance(content, str):
        if content:
            messages[-1] = {**messages[-1], "content": [{"type": "text", "text": content, "cache_control": _EPHEMERAL}]}
        return
    if not isinstance(content, list):
        return
    for index in range(len(content) - 1, -1, -1):
        block = content[index]
        if not isinstance(block, dict) or block.get("type") in _UNMARKABLE:
            continue
        if block.get("type") == "text" and not block.get("text"):
            continue  # an empty text block cannot be cached
        if "cache_control" not in block:
            marked = list(content)
            marked[index] = {**block, "cache_control": _EPHEMERAL}
            messages[-1] = {**messages[-1], "content": marked}
        return


def _thinking(reasoning: Any) -> dict[str, Any] | None:
    if reasoning is None or reasoning is False:
        return None
    if isinstance(reasoning, dict):
        return dict(reasoning)
    if reasoning is True:
        budget = _EFFORT_BUDGET["medium"]
    elif isinstance(reasoning, str) and reasoning in _EFFORT_BUDGET:
        budget = _EFFORT_BUDGET[reasoning]
    elif isinstance(reasoning, int):
        budget = reasoning
        if budget < _MIN_BUDGET:
            raise ValueError(
                f"`reasoning={reasoning!r}` is below Anthropic's minimum thinking budget of {_MIN_BUDGET} "
                "tokens; pass at least 1024, an effort ('low', 'medium', 'high') or True."
            )
    else:
        raise ValueError(
            f"`reasoning={reasoning!r}` is not understood; use True, 'low', 'medium', 'high', a token "
            "budget (int >= 1024) or a raw Anthropic `thinking` dict."
        )
    return {"type": "enabled", "budget_tokens": budget}


def _tool_choice(request: ModelRequest, *, parallel: Any) -> dict[str, Any] | None:
    """Anthropic's `tool_choice`; it also carries `disable_parallel_tool_use` (so "auto" is written out for it)."""
    choice = check_tool_choice(request.tool_choice, request.tools)
    if choice == "none":
        return {"type": "none"}
    if choice is None:
        if not request.tools or parallel is not False:
            return None
        choice = "auto"
    wire: dict[str, Any] = (
        {"type": "auto"} if choice == "auto" else {"type": "any"} if choice == "required" else {"type": "tool", "name": choice}
    )
    if parallel is False:
        wire["disable_parallel_tool_use"] = True
    return wire


@functools.cache
def _create_parameters() -> frozenset[str]:
    """The keyword parameters `AsyncMessages.create` takes (so other options go into `extra_body`)."""
    import inspect

    from anthropic.resources.messages import AsyncMessages

    return frozenset(inspect.signature(AsyncMessages.create).parameters) - {"self", "stream"}


# ----------------------------------------------------------------------------------- create


async def create(client: Any, kwargs: dict[str, Any]) -> Turn:
    """One non-streaming `messages.create` call, decoded from its JSON.

    Why not `messages.create`: the SDK then builds its pydantic `Message` from the JSON with a
    recursive `construct`, ~0.4 ms per call, more than all of agentkit's own work on a turn (the
    benchmark stub's answer over an in-process transport: 1.04 ms per call through
    `messages.create` and our decode, 0.63 ms this way). The SDK's public
    `messages.with_raw_response.create` still builds and sends the request (auth, headers,
    timeouts; the same JSON body, plus its `x-stainless-raw-response` header) and raises its own
    exceptions for error statuses; `decode` reads the JSON dict directly. A body that is not a
    JSON object raises `ValueError` (or `json.JSONDecodeError`), which the agent reports as an
    unreadable answer (`UpstreamError`, code "malformed_response"), as it did for the SDK's
    parse failures.

    The SDK refuses non-streaming calls with a large `max_tokens` unless it is given an explicit
    timeout; the client's own timeout (the relay's) is passed so such calls work.
    """
    kwargs = {key: value for key, value in kwargs.items() if key != "stream"}
    if "timeout" not in kwargs and kwargs.get("max_tokens", 0) > _NONSTREAMING_MAX_TOKENS:
        kwargs["timeout"] = client.timeout
    raw = await client.messages.with_raw_response.create(**kwargs)
    return decode(json.loads(raw.http_response.content))


# ----------------------------------------------------------------------------------- decode


def decode(response: Any) -> Turn:
    """An Anthropic `Message` -> Turn, content blocks in model order.

    Reads the message's JSON dict (what `create` and `stream` hand it); an SDK `Message` object
    is dumped to that dict first, so one logic reads both.
    """
    data = response if type(response) is dict else _plain(response)
    if not isinstance(data, dict):
        raise ValueError(
            f"An Anthropic answer must be a JSON object (a `Message`), but this one is a "
            f"{type(data).__name__}: {str(data)[:80]!r}."
        )
    content = data.get("content")
    if not isinstance(content, list):
        raise ValueError(
            f"An Anthropic answer must hold a `content` list, but this one has {content!r} "
            f"({str(data)[:120]!r})."
        )
    parts: list[Part] = []
    for block in content:
        if not isinstance(block, dict):
            raise ValueError(f"An Anthropic content block must be a JSON object, but one is {block!r}.")
        kind = block.get("type")
        if kind in _MODEL_BLOCKS:  # server-tool blocks (web search, ...) are not requested by agentkit: skipped
            part = _model_part(block, kind)
            if part is not None:
                parts.append(part)
    usage = _usage(data.get("usage"))
    stop_reason = data.get("stop_reason")
    model = data.get("model")
    finish: FinishReason = _STOP_REASONS.get(stop_reason, "other") if stop_reason else "other"
    refusal = None
    if stop_reason == "refusal":
        refusal = "".join(p.text for p in parts if isinstance(p, TextPart)) or "The model declined to answer."
    message = Message("assistant", parts, model=model, dialect=NAME, usage=usage)
    return Turn(
        message=message,
        usage=usage,
        finish_reason=finish,
        raw_finish_reason=stop_reason,
        refusal=refusal,
        model=model,
    )


def _usage(usage: Any) -> Usage:
    """Neutral usage: `input_tokens` counts cache reads and writes too (Anthropic reports them apart)."""
    if not isinstance(usage, dict):
        return Usage()
    cache_read = _count(usage.get("cache_read_input_tokens"))
    cache_write = _count(usage.get("cache_creation_input_tokens"))
    details = usage.get("output_tokens_details")
    return Usage(
        input_tokens=_count(usage.get("input_tokens")) + cache_read + cache_write,
        output_tokens=_count(usage.get("output_tokens")),
        reasoning_tokens=_count(details.get("thinking_tokens")) if isinstance(details, dict) else 0,
        cached_tokens=cache_read,
        cache_write_tokens=cache_write,
    )


# ----------------------------------------------------------------------------------- stream


async def stream(client: Any, kwargs: dict[str, Any]) -> AsyncIterator[Delta | Turn]:
    """One streaming call: text/thinking/tool-input deltas as they arrive, then the decoded Turn.

    Like `create`, the call goes through `messages.with_raw_response.create`, so status errors
    before the stream are still the SDK's exceptions, but the events are not built into the SDK's
    pydantic objects (~10-20 µs each through `construct`; the benchmark stub's 40-event answer
    over an in-process transport: 1.92 ms per call before, 1.06 ms this way; 2.55 -> 1.06 ms for
    its eight tool calls). The SDK's own SSE decoder (`AsyncStream.raw_events`, a public static
    method of the public class) hands over each event: it parses exactly as the SDK's
    streams did (comments, CRLF or CR line ends, `data:` without a space, multi-line data), which
    a second, hand-written SSE grammar would have to match; it would save only ~0.1 ms per 40
    events. `_StreamState` folds the event dicts into the message's JSON dict, which `decode`
    reads like a non-streaming answer (one decode path).

    The client is the async SDK client (sync `agent(...)` runs use it too, on their own loop). The
    response is closed however the stream ends, also when the consumer stops early.
    """
    from anthropic import AsyncStream

    raw = await client.messages.with_raw_response.create(**{**kwargs, "stream": True})
    response = raw.http_response
    state = _StreamState()
    feed = state.feed
    events = AsyncStream.raw_events(response)
    try:
        async for event in events:
            delta = feed(event)
            if delta is not None:
                yield delta
    finally:
        await events.aclose()  # type: ignore[attr-defined]
        await response.aclose()
    yield state.turn(kwargs.get("model"))


class _StreamState:
    """A stream's events folded into the `Message` JSON dict that `decode` reads.

    Follows the SDK's stream and accumulator (`anthropic/_streaming.py`,
    `lib/streaming/_messages.py:accumulate_event`): `ping` events and events without an `event:`
    name are skipped; an `error` event raises `StreamErrorEvent` with the event's data as sent
    (what it means is decided in `agentkit.errors`, with the relay's secrets at hand); an event
    before `message_start` that is not a text, thinking or tool-input delta is
    an error. Text and thinking fragments are joined once at the end (appending per delta is
    quadratic); tool input JSON is parsed once its block ends, so a model's invalid JSON becomes
    raw-string arguments (for the agent to report back) rather than an exception. Event types this
    code does not know are ignored once the message has started.
    Tool input fragments are joined once too, when their block ends.
    """

    __slots__ = ("blocks", "message", "texts", "thoughts", "tool_index", "tool_json", "usage")

    def __init__(self) -> None:
        self.message: dict[str, Any] | None = None
        self.blocks: list[dict[str, Any]] = []
        self.usage: dict[str, Any] = {}
        self.texts: dict[int, list[str]] = {}
        self.thoughts: dict[int, list[str]] = {}
        self.tool_json: dict[int, list[str]] = {}
        self.tool_index: dict[int, int] = {}

    def feed(self, sse: Any) -> Delta | None:
        """Take one server-sent event; the delta to show for it, if any."""
        name = sse.event
        if name is None or name == "ping":
            return None
        if name == "error":
            raise StreamErrorEvent(sse.data)
        data = sse.data
        if not data:
            return None
        event = json.loads(data)
        if not isinstance(event, dict):
            raise ValueError(f"An Anthropic stream event must be a JSON object, but one is {data[:80]!r}.")
        kind = event.get("type")
        if kind == "content_block_delta":
            index = event["index"]
            delta = event["delta"]
            delta_kind = delta.get("type")
            if delta_kind == "text_delta":
                text = delta.get("text")
                if text:
                    self.texts.setdefault(index, []).append(text)
                    return TextDelta(text)
                return None
            if delta_kind == "thinking_delta":
                thinking = delta.get("thinking")
                if thinking:
                    self.thoughts.setdefault(index, []).append(thinking)
                    return ReasoningDelta(thinking)
                return None
            if delta_kind == "input_json_delta":
                fragment = delta.get("partial_json") or ""
                self.tool_json.setdefault(index, []).append(fragment)
                return ToolCallDelta(self.tool_index.get(index, 0), arguments=fragment) if fragment else None
            self._started(kind)
            block = self.blocks[index]
            if delta_kind == "signature_delta" and block.get("type") == "thinking":
                block["signature"] = delta.get("signature")
            return None  # citations: the neutral text part keeps none
        if kind == "message_start":
            if self.message is None:
                message = event.get("message")
                if not isinstance(message, dict):
                    raise ValueError(f"An Anthropic `message_start` event holds no message: {data[:120]!r}.")
                self.message = message
                self.blocks = [dict(block) for block in message.get("content") or ()]
                self.usage = dict(message.get("usage") or {})
            return None
        message = self._started(kind)
        if kind == "content_block_start":
            block = dict(event["content_block"])
            self.blocks.append(block)
            block_kind = block.get("type")
            if block_kind == "tool_use":
                position = self.tool_index[event["index"]] = len(self.tool_index)
                return ToolCallDelta(position, id=block.get("id"), name=block.get("name"))
            if block_kind == "text" and block.get("text"):
                return TextDelta(block["text"])
            if block_kind == "thinking" and block.get("thinking"):
                return ReasoningDelta(block["thinking"])
            return None
        if kind == "content_block_stop":
            index = event["index"]
            block = self.blocks[index]
            if index in self.tool_json:
                block["input"] = _arguments("".join(self.tool_json.pop(index)))
        elif kind == "message_delta":
            message["stop_reason"] = (event.get("delta") or {}).get("stop_reason")
            usage = event.get("usage") or {}
            self.usage["output_tokens"] = usage.get("output_tokens")
            for key in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens",
                        "output_tokens_details"):  # cumulative totals; absent ones keep message_start's
                value = usage.get(key)
                if value is not None:
                    self.usage[key] = value
        return None  # message_stop, and event types added after this was written

    def _started(self, kind: Any) -> dict[str, Any]:
        """The message `message_start` began; an event that needs it before then is an error."""
        if self.message is None:
            raise ValueError(
                f"The Anthropic stream sent a {kind!r} event before its `message_start` event; "
                "the events are out of order."
            )
        return self.message

    def turn(self, model: str | None) -> Turn:
        """The decoded Turn, once the stream has ended."""
        if self.message is None:
            raise UpstreamError(
                "The Anthropic stream ended before its `message_start` event, so it held no message",
                status=200,
                dialect=NAME,
                model=model,
                code="malformed_stream",
            )
        blocks = self.blocks
        for pieces_by_index, key in ((self.texts, "text"), (self.thoughts, "thinking")):
            for index, pieces in pieces_by_index.items():
                if 0 <= index < len(blocks) and blocks[index].get("type") == key:
                    blocks[index][key] = (blocks[index].get(key) or "") + "".join(pieces)
        for index, fragments in self.tool_json.items():  # blocks whose stop event never came
            blocks[index]["input"] = _arguments("".join(fragments))
        return decode({**self.message, "content": blocks, "usage": self.usage})


# ----------------------------------------------------------------------------------- client

#: Path endings the SDK adds to its base URL: a door URL pasted with one is cut back to the base.
URL_SUFFIXES = ("/v1/messages", "/v1")
#: The connection pool the SDK builds for itself (connections, kept alive).
POOL = (1000, 100)


def build_client(*, base_url: str, api_key: str, timeout: float, retries: int, headers: Mapping[str, str],
                 http_client: Any, asynchronous: bool) -> Any:
    """The official Anthropic client for the relay's Anthropic door.

    The SDK sends `Authorization: Bearer`; relays of the Anthropic style want `x-api-key`: both
    are sent, so either kind accepts the request. Both are explicit, so `ANTHROPIC_BASE_URL`,
    `ANTHROPIC_AUTH_TOKEN` and an `Authorization` line in `ANTHROPIC_CUSTOM_HEADERS` change nothing.
    """
    import anthropic

    cls = anthropic.AsyncAnthropic if asynchronous else anthropic.Anthropic
    return cls(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=retries,
               default_headers={"Authorization": f"Bearer {api_key}", "x-api-key": api_key, **headers},
               http_client=http_client)


def async_surface(client: Any) -> Any:
    """What the dialect's `create` / `stream` take, from the async client `build_client` made."""
    return client


def missing_door_advice(model: str) -> str:
    """Advice for a 404 on a model the relay lists in `/v1/models`."""
    return (f"The relay lists {model!r} in `/v1/models`, so its `anthropic` door is probably missing or "
            f"elsewhere: use `openai:{model}`, set `anthropic_url=`, or leave 'anthropic' out of `dialects=` "
            "on the Relay.")
