"""The Anthropic Messages door: `POST /anthropic/v1/messages` (also `/v1/messages`).

Matches realtraffic/anthropic: compact JSON with `model` first, `msg_01…`/`toolu_01…` ids, content blocks
(thinking with signature, text, tool_use with an object `input`), `stop_reason` `tool_use`/`end_turn`/
`max_tokens`, usage with the cache fields. Streams always carry `event:` lines (the SDK drops events
without them): message_start, content_block_start, a `ping` right after the first block start,
text/thinking/signature/input_json deltas (the first `partial_json` is ""), content_block_stop,
message_delta with the stop reason and cumulative usage, message_stop. Like the real server, each
`data:` JSON except the ping is followed by a random run of padding spaces.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from .images import decode_base64
from .model import is_reasoning_model
from .neutral import (
    ChatRequest,
    FileInput,
    ImageInput,
    Message,
    Reply,
    RequestError,
    ToolCall,
    ToolChoice,
    ToolResult,
    ToolSpec,
)
from .text import split_fixed, split_words
from .wire import ErrorSpec, RenderContext, Rendered, Wire, arguments_object, dumps_compact, header, sse_event

__all__ = ["AnthropicWire", "thinking_signature"]

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

_ERROR_TYPES: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "The request was invalid."),
    401: ("authentication_error", "invalid x-api-key"),
    402: (
        "billing_error",
        "Your credit balance is too low to access the Anthropic API. Please top up your balance.",
    ),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "model: {model}"),
    408: ("timeout_error", "The request timed out."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: (
        "rate_limit_error",
        "This request would exceed the rate limit for your organization. Please try again later.",
    ),
    500: ("api_error", "Internal server error"),
    502: ("api_error", "Bad gateway: the upstream provider did not answer."),
    503: ("overloaded_error", "Overloaded"),
    504: ("timeout_error", "The upstream provider timed out."),
    529: ("overloaded_error", "Overloaded"),
}


def thinking_signature(thinking: str) -> str:
    """An opaque, stable base64 signature for a thinking block (real ones are opaque base64 too)."""
    digest = hashlib.sha256(thinking.encode()).digest()
    return base64.b64encode(b"\x12\x08" + digest + hashlib.sha256(digest).digest() * 2).decode()


def _text_of_blocks(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            block.get("text", "")
            for block in content
            if isinstance(block, dict) and block.get("type") == "text"
        )
    return ""


def cache_breakpoints(body: dict[str, Any], ends: list[int]) -> tuple[int, ...]:
    """The prompt prefixes a request marks with `cache_control`, by number of neutral messages (0: tools and
    system); refused as Anthropic refuses them: more than four marks, or a mark on a thinking or empty text block."""
    marks: list[int] = []
    head = [*(body.get("tools") or []), *(body["system"] if isinstance(body.get("system"), list) else [])]
    marks.extend(0 for block in head if isinstance(block, dict) and "cache_control" in block)
    for index, raw in enumerate(body.get("messages") or []):
        content = raw.get("content") if isinstance(raw, dict) else None
        for block in content if isinstance(content, list) else []:
            if not isinstance(block, dict) or "cache_control" not in block:
                continue
            if block.get("type") in ("thinking", "redacted_thinking"):
                raise RequestError(f"messages.{index}.content: Thinking blocks cannot be marked with cache_control.")
            if block.get("type") == "text" and not block.get("text"):
                raise RequestError(f"messages.{index}.content: cache_control cannot be set for empty text blocks.")
            marks.append(ends[index])
    if len(marks) > 4:
        raise RequestError(f"A maximum of 4 blocks with cache_control may be provided. Found {len(marks)}.")
    return tuple(marks)


def _cache_usage(reply: Reply) -> dict[str, Any]:
    """Anthropic's input counts: `input_tokens` leaves out the cache reads and writes, reported apart."""
    usage = reply.usage
    fresh = usage.prompt_tokens - usage.cached_tokens - usage.cache_write_tokens
    return {
        "input_tokens": max(0, fresh),
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cached_tokens,
        "cache_creation": {"ephemeral_5m_input_tokens": usage.cache_write_tokens, "ephemeral_1h_input_tokens": 0},
    }


def _image(block: dict[str, Any]) -> ImageInput | None:
    source = block.get("source")
    if not isinstance(source, dict):
        return None
    kind = source.get("type")
    if kind == "base64" and isinstance(source.get("data"), str):
        return ImageInput(data=decode_base64(source["data"]), media_type=source.get("media_type"))
    if kind == "url" and isinstance(source.get("url"), str):
        return ImageInput(url=source["url"])
    if kind == "file" and isinstance(source.get("file_id"), str):
        return ImageInput(url=f"file:{source['file_id']}")
    return None


_DOCUMENT_SOURCES = "'base64', 'content', 'text', 'url', 'file'"


def _document(block: dict[str, Any], where: str) -> FileInput:
    """A `document` block, checked as the Messages API does (PDF base64 / url, plain text, content, file)."""
    source = block.get("source")
    title = block.get("title") if isinstance(block.get("title"), str) else None
    if not isinstance(source, dict):
        raise RequestError(f"{where}.source: Field required")
    kind = source.get("type")
    if kind == "base64":
        if source.get("media_type") != "application/pdf":
            raise RequestError(f"{where}.source.base64.media_type: Input should be 'application/pdf'")
        data = decode_base64(source["data"]) if isinstance(source.get("data"), str) else None
        if not data:
            raise RequestError(f"{where}.source.base64.data: Field required")
        if b"%PDF-" not in data[:1024]:
            raise RequestError("The PDF specified was not valid.")
        return FileInput(data=data, media_type="application/pdf", name=title)
    if kind == "text":
        if source.get("media_type") != "text/plain":
            raise RequestError(f"{where}.source.text.media_type: Input should be 'text/plain'")
        if not isinstance(source.get("data"), str):
            raise RequestError(f"{where}.source.text.data: Field required")
        return FileInput(data=source["data"].encode("utf-8"), media_type="text/plain", name=title)
    if kind == "url":
        if not isinstance(source.get("url"), str):
            raise RequestError(f"{where}.source.url.url: Field required")
        return FileInput(url=source["url"], media_type="application/pdf", name=title)
    if kind == "content":
        text = _text_of_blocks(source.get("content"))
        return FileInput(data=text.encode("utf-8"), media_type="text/plain", name=title)
    if kind == "file" and isinstance(source.get("file_id"), str):
        return FileInput(url=f"file:{source['file_id']}", name=title)
    raise RequestError(
        f"{where}.source: Input tag {kind!r} found using 'type' does not match any of the expected tags: "
        f"{_DOCUMENT_SOURCES}"
    )


def _tool_use_id(call: ToolCall) -> str:
    """`toolu_01…` for ids the emulator made (`call_…`); ids a script or client chose are kept."""
    if call.id.startswith("call_") and len(call.id) >= 27:
        suffix = "".join(c if c in _BASE58 else "x" for c in call.id[5:])
        return "toolu_01" + suffix[:22]
    return call.id


class AnthropicWire(Wire):
    """Anthropic Messages, JSON and SSE."""

    door = "anthropic"

    # -- requests ------------------------------------------------------------------------------
    def parse(self, body: Any, *, path_model: str | None = None, stream: bool | None = None) -> ChatRequest:
        if not isinstance(body, dict):
            raise RequestError("The request body must be a JSON object.")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise RequestError("model: Field required")
        if not isinstance(body.get("max_tokens"), int):
            raise RequestError("max_tokens: Field required")
        raw_messages = body.get("messages")
        if not isinstance(raw_messages, list) or not raw_messages:
            raise RequestError(
                "messages: Field required"
                if raw_messages is None
                else "messages: at least one message is required"
            )
        messages: list[Message] = []
        ends: list[int] = []  # per wire message, how many neutral messages the prompt has up to its end
        for index, raw in enumerate(raw_messages):
            if not isinstance(raw, dict) or raw.get("role") not in ("user", "assistant"):
                raise RequestError(f"messages.{index}.role: Input should be 'user' or 'assistant'")
            messages.extend(self._messages(raw["role"], raw.get("content"), f"messages.{index}"))
            ends.append(len(messages))
        tools: list[ToolSpec] = []
        for raw in body.get("tools") or []:
            if (
                isinstance(raw, dict)
                and isinstance(raw.get("name"), str)
                and isinstance(raw.get("input_schema"), dict)
            ):
                tools.append(ToolSpec(raw["name"], str(raw.get("description") or ""), raw["input_schema"]))
        output = body.get("output_config")
        fmt = output.get("format") if isinstance(output, dict) else body.get("output_format")
        schema = fmt.get("schema") if isinstance(fmt, dict) and fmt.get("type") == "json_schema" else None
        thinking = body.get("thinking")
        thinking_on = isinstance(thinking, dict) and thinking.get("type") in (
            "enabled",
            "adaptive",
            "between_tools",
        )
        thinking_off = isinstance(thinking, dict) and thinking.get("type") == "disabled"
        return ChatRequest(
            door=self.door,
            model=model,
            messages=messages,
            system=_text_of_blocks(body.get("system")),
            tools=tools,
            tool_choice=self._tool_choice(body.get("tool_choice")),
            output_schema=schema if isinstance(schema, dict) else None,
            reasoning=thinking_on or (is_reasoning_model(model) and not thinking_off),
            stream=bool(body.get("stream")) if stream is None else stream,
            max_tokens=body["max_tokens"],
            cache_breakpoints=cache_breakpoints(body, ends),
        )

    @staticmethod
    def _tool_choice(raw: Any) -> ToolChoice:
        if not isinstance(raw, dict):
            return ToolChoice()
        parallel = raw.get("disable_parallel_tool_use") is not True
        kind = raw.get("type")
        if kind == "none":
            return ToolChoice("none", parallel=parallel)
        if kind == "any":
            return ToolChoice("required", parallel=parallel)
        if kind == "tool" and isinstance(raw.get("name"), str):
            return ToolChoice("required", (raw["name"],), parallel=parallel)
        return ToolChoice("auto", parallel=parallel)

    @staticmethod
    def _messages(role: str, content: Any, where: str = "messages.0") -> list[Message]:
        if isinstance(content, str):
            return [Message("user" if role == "user" else "assistant", content)]
        if not isinstance(content, list):
            return []
        texts: list[str] = []
        images: list[ImageInput] = []
        files: list[FileInput] = []
        calls: list[ToolCall] = []
        results: list[ToolResult] = []
        reasoning: list[str] = []
        for position, block in enumerate(content):
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "document":
                files.append(_document(block, f"{where}.content.{position}.document"))
            if kind == "text" and isinstance(block.get("text"), str):
                texts.append(block["text"])
            elif kind == "image":
                image = _image(block)
                if image is not None:
                    images.append(image)
            elif kind == "tool_use":
                calls.append(
                    ToolCall(
                        str(block.get("id", "")),
                        str(block.get("name", "")),
                        json.dumps(block.get("input", {})),
                    )
                )
            elif kind == "tool_result":
                inner = block.get("content")
                results.append(
                    ToolResult(
                        block.get("tool_use_id") if isinstance(block.get("tool_use_id"), str) else None,
                        None,
                        _text_of_blocks(inner),
                        is_error=block.get("is_error") is True,
                        images=[i for b in (inner if isinstance(inner, list) else []) if isinstance(b, dict)
                                and b.get("type") == "image" and (i := _image(b)) is not None],
                        files=[
                            _document(b, f"{where}.content.{position}.tool_result.content.{n}.document")
                            for n, b in enumerate(inner if isinstance(inner, list) else [])
                            if isinstance(b, dict) and b.get("type") == "document"
                        ],
                    )
                )
            elif kind == "thinking" and isinstance(block.get("thinking"), str):
                reasoning.append(block["thinking"])
        if role == "assistant":
            return [
                Message(
                    "assistant", "\n".join(texts), tool_calls=calls, reasoning="\n".join(reasoning) or None
                )
            ]
        out: list[Message] = []
        # Text sent along with tool results comments on them; the results stay the last word.
        if texts or images or files:
            out.append(Message("user", "\n".join(texts), images=images, files=files))
        if results:
            out.append(Message("tool", tool_results=results))
        return out

    # -- answers -------------------------------------------------------------------------------
    @staticmethod
    def _stop_reason(reply: Reply) -> str:
        return {"tool_calls": "tool_use", "length": "max_tokens"}.get(reply.finish, "end_turn")

    def _blocks(self, reply: Reply, request: ChatRequest) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        if reply.reasoning is not None:
            blocks.append(
                {
                    "type": "thinking",
                    "thinking": reply.reasoning,
                    "signature": thinking_signature(reply.reasoning),
                }
            )
        if reply.text is not None:
            blocks.append({"type": "text", "text": reply.text})
        for call in reply.tool_calls:
            tool = request.tool_named(call.name)
            blocks.append(
                {
                    "type": "tool_use",
                    "id": _tool_use_id(call),
                    "name": call.name,
                    "input": arguments_object(call.arguments, tool.parameters if tool else None),
                }
            )
        return blocks

    @staticmethod
    def _usage(reply: Reply, *, start: bool = False) -> dict[str, Any]:
        return {
            **_cache_usage(reply),
            "output_tokens": 1 if start else reply.usage.completion_tokens,
            "service_tier": "standard",
            "inference_geo": "not_available",
        }

    def render_json(self, reply: Reply, request: ChatRequest, ctx: RenderContext) -> Rendered:
        body = {
            "model": request.model,
            "id": ctx.ids("msg_01", 22, _BASE58),
            "type": "message",
            "role": "assistant",
            "content": self._blocks(reply, request),
            "stop_reason": self._stop_reason(reply),
            "stop_sequence": None,
            "stop_details": None,
            "usage": self._usage(reply),
        }
        return Rendered(200, dumps_compact(body), "application/json", self.response_headers(ctx))

    def render_events(self, reply: Reply, request: ChatRequest, ctx: RenderContext) -> list[str]:
        events: list[str] = []

        def emit(kind: str, payload: dict[str, Any]) -> None:
            padding = " " * ctx.rng.randint(0, 15)
            events.append(sse_event(kind, dumps_compact({"type": kind, **payload}) + padding))

        message: dict[str, Any] = {
            "model": request.model,
            "id": ctx.ids("msg_01", 22, _BASE58),
            "type": "message",
            "role": "assistant",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "stop_details": None,
            "usage": self._usage(reply, start=True),
        }
        emit("message_start", {"message": message})
        calls = iter(reply.tool_calls)
        for index, block in enumerate(self._blocks(reply, request)):
            kind = block["type"]
            if kind == "thinking":
                emit(
                    "content_block_start",
                    {"index": index, "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
                )
            elif kind == "text":
                emit("content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}})
            else:
                emit("content_block_start", {"index": index, "content_block": {**block, "input": {}}})
            if index == 0:
                events.append(sse_event("ping", '{"type": "ping"}'))
            if kind == "thinking":
                for piece in split_words(block["thinking"], 3):
                    emit(
                        "content_block_delta",
                        {"index": index, "delta": {"type": "thinking_delta", "thinking": piece}},
                    )
                emit(
                    "content_block_delta",
                    {"index": index, "delta": {"type": "thinking_delta", "thinking": ""}},
                )
                emit(
                    "content_block_delta",
                    {"index": index, "delta": {"type": "signature_delta", "signature": block["signature"]}},
                )
            elif kind == "text":
                for piece in split_words(block["text"], 3):
                    emit(
                        "content_block_delta",
                        {"index": index, "delta": {"type": "text_delta", "text": piece}},
                    )
            else:
                # The raw argument text, so that a broken-arguments fault streams really broken JSON.
                raw = next(calls).arguments
                emit(
                    "content_block_delta",
                    {"index": index, "delta": {"type": "input_json_delta", "partial_json": ""}},
                )
                for piece in split_fixed(raw, 12):
                    emit(
                        "content_block_delta",
                        {"index": index, "delta": {"type": "input_json_delta", "partial_json": piece}},
                    )
            emit("content_block_stop", {"index": index})
        counts = _cache_usage(reply)
        del counts["cache_creation"]  # message_delta's usage has the totals only
        usage = {
            **counts,
            "output_tokens": reply.usage.completion_tokens,
            "output_tokens_details": {"thinking_tokens": reply.usage.reasoning_tokens},
        }
        emit(
            "message_delta",
            {
                "delta": {
                    "stop_reason": self._stop_reason(reply),
                    "stop_sequence": None,
                    "stop_details": None,
                },
                "usage": usage,
            },
        )
        emit("message_stop", {})
        return events

    @staticmethod
    def _error_body(error: ErrorSpec, ctx: RenderContext) -> dict[str, Any]:
        kind, message = _ERROR_TYPES.get(
            error.status,
            ("api_error" if error.status >= 500 else "invalid_request_error", "The request failed."),
        )
        text = error.message or message.replace("{model}", error.model or "unknown")
        return {
            "type": "error",
            "error": {"type": kind, "message": text},
            "request_id": ctx.ids("req_011C", 20, _BASE58),
        }

    def render_error(self, error: ErrorSpec, ctx: RenderContext) -> Rendered:
        return Rendered(
            error.status,
            dumps_compact(self._error_body(error, ctx)),
            "application/json",
            self.response_headers(ctx),
        )

    def stream_error_event(self, error: ErrorSpec, ctx: RenderContext, sequence_number: int) -> str:
        return sse_event("error", dumps_compact(self._error_body(error, ctx)))

    def malformed_event(self, ctx: RenderContext, sequence_number: int) -> str:
        return sse_event(
            "content_block_delta",
            '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"cut',
        )

    def auth_error(self, present: bool, ctx: RenderContext) -> Rendered:
        message = "invalid x-api-key" if present else "x-api-key header is required"
        return self.render_error(ErrorSpec(401, message), ctx)

    def response_headers(self, ctx: RenderContext) -> dict[str, str]:
        return {
            "request-id": ctx.ids("req_011C", 20, _BASE58),
            "anthropic-ratelimit-requests-limit": "4000",
            "anthropic-ratelimit-requests-remaining": "3999",
            "anthropic-ratelimit-input-tokens-limit": "400000",
            "anthropic-ratelimit-input-tokens-remaining": "400000",
            "anthropic-ratelimit-output-tokens-limit": "80000",
            "anthropic-ratelimit-output-tokens-remaining": "80000",
            "anthropic-ratelimit-tokens-limit": "480000",
            "anthropic-ratelimit-tokens-remaining": "480000",
        }


def key_from_headers(headers: dict[str, str]) -> str | None:
    """The key an Anthropic client sent: `x-api-key`, else a Bearer token (the SDK's default)."""
    key = header(headers, "x-api-key")
    if key:
        return key
    authorization = header(headers, "authorization") or ""
    return authorization[7:].strip() if authorization.lower().startswith("bearer ") else None
