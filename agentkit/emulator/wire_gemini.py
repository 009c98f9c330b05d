"""The Gemini door: `POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent`.

Requests arrive in camelCase or snake_case (google-genai itself mixes them: `parameters_json_schema`,
`inlineData.mime_type`, `thinkingConfig.include_thoughts`), so every key is looked up in both spellings.
`parameters`/`responseSchema` (Gemini's OpenAPI-style Schema with upper-case types, `nullable`,
`any_of`) are converted to JSON Schema; `parametersJsonSchema`/`responseJsonSchema` are JSON Schema
already and pass through untouched.

Answers match realtraffic/gemini: camelCase keys, pretty-printed non-stream bodies, `role:"model"`,
`finishReason:"STOP"` (also for function calls, with `finishMessage`), complete `functionCall` args,
a `thoughtSignature` on the first function-call part (and on answer text when thinking), thought parts
`{"text", "thought": true}` only with `includeThoughts`, `usageMetadata`, `modelVersion`, `responseId`.
With `?alt=sse` the stream is `data: {json}\r\n\r\n` only (no event lines, comments or [DONE], which
the SDK rejects); without it, a pretty-printed JSON array streamed as `[{…}\n,\r\n{…}\n]`.
Gemini 2.0 and 1.x models get their older shape (no `index`, `avgLogprobs`, `candidatesTokensDetails`,
no signatures). Unlike the real Gemini API, function calls carry an `id`, so clients can pair results.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
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
from .text import count_tokens, split_words
from .wire import ErrorSpec, RenderContext, Rendered, Wire, arguments_object, dumps_pretty, sse_data

__all__ = ["GeminiWire", "openapi_to_json_schema"]

_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_JSON_MEDIA = "application/json; charset=UTF-8"
_MIN_THOUGHT_TOKENS = 12

_STATUSES: dict[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "Request had invalid authentication credentials."),
    402: ("FAILED_PRECONDITION", "Insufficient balance. Top up your account to continue."),
    403: ("PERMISSION_DENIED", "The caller does not have permission."),
    404: (
        "NOT_FOUND",
        "models/{model} is not found for API version v1beta, or is not supported for generateContent.",
    ),
    408: ("DEADLINE_EXCEEDED", "The request timed out."),
    429: ("RESOURCE_EXHAUSTED", "Resource exhausted. Please try again later."),
    500: (
        "INTERNAL",
        "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    ),
    502: ("UNAVAILABLE", "Bad gateway: the upstream provider did not answer."),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    504: ("DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
}
_MISSING_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or "
    "other form of API consumer identity to call this API."
)
_BAD_KEY = "API key not valid. Please pass a valid API key."

_SCHEMA_KEYS = {
    "any_of": "anyOf",
    "one_of": "oneOf",
    "all_of": "allOf",
    "min_items": "minItems",
    "max_items": "maxItems",
    "min_length": "minLength",
    "max_length": "maxLength",
    "min_properties": "minProperties",
    "max_properties": "maxProperties",
    "additional_properties": "additionalProperties",
    "property_ordering": "propertyOrdering",
    "defs": "$defs",
    "ref": "$ref",
}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _get(obj: Any, camel: str, default: Any = None) -> Any:
    """`obj[camel]`, else `obj[snake_case(camel)]`: Gemini requests use both spellings."""
    if not isinstance(obj, dict):
        return default
    if camel in obj:
        return obj[camel]
    return obj.get(_snake(camel), default)


def openapi_to_json_schema(schema: Any) -> Any:
    """Convert Gemini's OpenAPI-style Schema (`type:"STRING"`, `nullable`, `any_of`) to JSON Schema."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    nullable = False
    for raw_key, value in schema.items():
        key = _SCHEMA_KEYS.get(str(raw_key), str(raw_key))
        if key == "type":
            if isinstance(value, str):
                if value.upper() != "TYPE_UNSPECIFIED":
                    out["type"] = value.lower()
            elif isinstance(value, list):
                out["type"] = [str(v).lower() for v in value]
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {name: openapi_to_json_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = openapi_to_json_schema(value)
        elif key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
            out[key] = [openapi_to_json_schema(sub) for sub in value]
        elif key == "$defs" and isinstance(value, dict):
            out["$defs"] = {name: openapi_to_json_schema(sub) for name, sub in value.items()}
        elif key == "nullable":
            nullable = value is True
        elif key == "propertyOrdering":
            continue
        else:
            out[key] = value
    if nullable:
        declared = out.get("type")
        if isinstance(declared, str):
            out["type"] = [declared, "null"]
        elif "anyOf" in out:
            out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    return out


def _response_content(response: Any) -> tuple[str, bool]:
    """The text of a functionResponse's `response` and whether it reports an error."""
    if isinstance(response, dict):
        if set(response) == {"error"}:
            value = response["error"]
            return (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)), True
        for key in ("output", "result", "return_value", "content"):
            if set(response) == {key}:
                value = response[key]
                return (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)), False
    return json.dumps(response, ensure_ascii=False), False


def _legacy(model: str) -> bool:
    """Gemini 1.x and 2.0 answer in the older shape: no index or signatures, with logprob averages."""
    return re.match(r"^(?:models/)?gemini-(?:1\.|2\.0)", model) is not None


def _ends_with_empty_chunk(model: str) -> bool:
    return re.match(r"^(?:models/)?gemini-(?:[3-9])", model) is not None


def _thinks_by_default(model: str) -> bool:
    return re.match(r"^(?:models/)?gemini-(?:2\.5|[3-9])", model) is not None


def _signature(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return base64.b64encode(b"\n\x9f\x03\x01" + digest + hashlib.sha256(digest).digest()).decode()



#: The non-image types Gemini reads from `inlineData` / `fileData` (documents, audio, video, text).
_FILE_PREFIXES = ("application/pdf", "audio/", "video/", "text/")


def _file(blob: dict[str, Any], field: str) -> FileInput:
    """An `inlineData` / `fileData` part of a non-image type, checked as Gemini does."""
    mime = _get(blob, "mimeType")
    if not isinstance(mime, str) or not mime:
        raise RequestError(f"* GenerateContentRequest.contents.parts.{field}.mime_type: a mime type is required.")
    if not mime.lower().startswith(_FILE_PREFIXES):
        raise RequestError(f"Unsupported MIME type: {mime}")
    if field == "fileData":
        uri = _get(blob, "fileUri")
        if not isinstance(uri, str) or not uri:
            raise RequestError("* GenerateContentRequest.contents.parts.file_data.file_uri: a file uri is required.")
        return FileInput(url=uri, media_type=mime)
    raw = _get(blob, "data")
    data = decode_base64(raw) if isinstance(raw, str) else None
    if not data:
        raise RequestError(
            "Invalid value at 'contents.parts.inline_data.data' (TYPE_BYTES), Base64 decoding failed."
        )
    return FileInput(data=data, media_type=mime)

class GeminiWire(Wire):
    """Gemini generateContent / streamGenerateContent, JSON, SSE and JSON-array streams."""

    door = "gemini"
    stream_media_type = "text/event-stream"

    # -- requests ------------------------------------------------------------------------------
    def parse(self, body: Any, *, path_model: str | None = None, stream: bool | None = None) -> ChatRequest:
        if not isinstance(body, dict):
            raise RequestError("Invalid JSON payload received. The request body must be a JSON object.")
        model = path_model or ""
        model = model[len("models/") :] if model.startswith("models/") else model
        contents = _get(body, "contents")
        if isinstance(contents, dict):
            contents = [contents]
        if not isinstance(contents, list) or not contents:
            raise RequestError("* GenerateContentRequest.contents: contents is not specified")
        messages: list[Message] = []
        for index, content in enumerate(contents):
            if not isinstance(content, dict):
                raise RequestError(f"Invalid JSON payload received. Invalid value at 'contents[{index}]'.")
            messages.extend(self._messages(content))
        system = _get(body, "systemInstruction")
        system_text = (
            system
            if isinstance(system, str)
            else "\n".join(
                str(_get(p, "text", "")) for p in _get(system, "parts", []) or [] if isinstance(p, dict)
            )
        )
        tools: list[ToolSpec] = []
        for tool in _get(body, "tools", []) or []:
            for declaration in _get(tool, "functionDeclarations", []) or []:
                if not isinstance(declaration, dict) or not isinstance(declaration.get("name"), str):
                    continue
                raw_json_schema = _get(declaration, "parametersJsonSchema")
                parameters = (
                    raw_json_schema
                    if isinstance(raw_json_schema, dict)
                    else openapi_to_json_schema(_get(declaration, "parameters"))
                )
                tools.append(
                    ToolSpec(
                        declaration["name"],
                        str(declaration.get("description") or ""),
                        parameters
                        if isinstance(parameters, dict) and parameters
                        else {"type": "object", "properties": {}},
                    )
                )
        config = _get(body, "generationConfig", {}) or {}
        json_schema = _get(config, "responseJsonSchema")
        schema = (
            json_schema
            if isinstance(json_schema, dict)
            else openapi_to_json_schema(_get(config, "responseSchema"))
        )
        json_mode = _get(config, "responseMimeType") == "application/json"
        thinking = _get(config, "thinkingConfig") or {}
        include_thoughts = _get(thinking, "includeThoughts") is True
        budget = _get(thinking, "thinkingBudget")
        explicit_on = (
            include_thoughts
            or (isinstance(budget, int) and budget != 0)
            or _get(thinking, "thinkingLevel") is not None
        )
        explicit_off = budget == 0
        reasoning = explicit_on or (
            not explicit_off and (_thinks_by_default(model) or is_reasoning_model(model))
        )
        max_tokens = _get(config, "maxOutputTokens")
        return ChatRequest(
            door=self.door,
            model=model,
            messages=messages,
            system=system_text,
            tools=tools,
            tool_choice=self._tool_choice(_get(_get(body, "toolConfig", {}), "functionCallingConfig")),
            output_schema=schema if isinstance(schema, dict) and schema else None,
            json_mode=json_mode,
            reasoning=reasoning,
            include_thoughts=include_thoughts and reasoning,
            stream=bool(stream),
            max_tokens=max_tokens if isinstance(max_tokens, int) else None,
        )

    @staticmethod
    def _tool_choice(config: Any) -> ToolChoice:
        mode = str(_get(config, "mode", "AUTO") or "AUTO").upper()
        names = tuple(n for n in _get(config, "allowedFunctionNames", []) or [] if isinstance(n, str))
        if mode == "NONE":
            return ToolChoice("none")
        if mode == "ANY":
            return ToolChoice("required", names)
        return ToolChoice("auto", names)

    @staticmethod
    def _messages(content: dict[str, Any]) -> list[Message]:
        role = content.get("role", "user")
        texts: list[str] = []
        thoughts: list[str] = []
        images: list[ImageInput] = []
        files: list[FileInput] = []
        calls: list[ToolCall] = []
        results: list[ToolResult] = []
        for part in content.get("parts") or []:
            if not isinstance(part, dict):
                continue
            text = _get(part, "text")
            call = _get(part, "functionCall")
            response = _get(part, "functionResponse")
            inline = _get(part, "inlineData")
            file_data = _get(part, "fileData")
            if isinstance(text, str):
                (thoughts if part.get("thought") is True else texts).append(text)
            elif isinstance(call, dict):
                calls.append(
                    ToolCall(
                        str(call.get("id") or ""),
                        str(call.get("name", "")),
                        json.dumps(call.get("args") or {}, ensure_ascii=False),
                    )
                )
            elif isinstance(response, dict):
                body, is_error = _response_content(response.get("response"))
                pictures = [
                    ImageInput(data=decode_base64(_get(data, "data")), media_type=_get(data, "mimeType"))
                    for p in (response.get("parts") or []) if isinstance(p, dict)
                    and isinstance(data := _get(p, "inlineData"), dict) and isinstance(_get(data, "data"), str)
                    and str(_get(data, "mimeType") or "image/").startswith("image/")
                ]
                attached = [
                    _file(data, "inlineData") for p in (response.get("parts") or []) if isinstance(p, dict)
                    and isinstance(data := _get(p, "inlineData"), dict)
                    and not str(_get(data, "mimeType") or "image/").startswith("image/")
                ]
                results.append(
                    ToolResult(response.get("id"), response.get("name"), body, is_error, pictures, attached)
                )
            elif isinstance(inline, dict) and not str(_get(inline, "mimeType") or "image/").startswith("image/"):
                files.append(_file(inline, "inlineData"))
            elif isinstance(file_data, dict) and not str(_get(file_data, "mimeType") or "image/").startswith("image/"):
                files.append(_file(file_data, "fileData"))
            elif isinstance(inline, dict) and isinstance(_get(inline, "data"), str):
                images.append(
                    ImageInput(data=decode_base64(_get(inline, "data")), media_type=_get(inline, "mimeType"))
                )
            elif isinstance(file_data, dict) and isinstance(_get(file_data, "fileUri"), str):
                images.append(
                    ImageInput(url=_get(file_data, "fileUri"), media_type=_get(file_data, "mimeType"))
                )
        if role == "model":
            return [
                Message("assistant", "".join(texts), tool_calls=calls, reasoning="".join(thoughts) or None)
            ]
        out: list[Message] = []
        if "".join(texts).strip() or images or files:
            out.append(Message("user", "\n".join(t for t in texts if t), images=images, files=files))
        if results:
            out.append(Message("tool", tool_results=results))
        return out

    # -- answers -------------------------------------------------------------------------------
    @staticmethod
    def _finish(reply: Reply) -> str:
        return "MAX_TOKENS" if reply.finish == "length" else "STOP"

    def _call_parts(self, reply: Reply, request: ChatRequest, signed: bool) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        for call in reply.tool_calls:
            tool = request.tool_named(call.name)
            part: dict[str, Any] = {
                "functionCall": {
                    "id": call.id,
                    "name": call.name,
                    "args": arguments_object(call.arguments, tool.parameters if tool else None),
                }
            }
            if signed and not parts:
                part["thoughtSignature"] = _signature(call.id + call.arguments)
            parts.append(part)
        return parts

    def _usage(self, reply: Reply, request: ChatRequest, *, candidates: int | None) -> dict[str, Any]:
        usage = reply.usage
        # Thinking models report thought tokens even when the thoughts are hidden (or a script gave none).
        thoughts_count = max(usage.reasoning_tokens, _MIN_THOUGHT_TOKENS) if request.reasoning else 0
        image_tokens = 258 * sum(len(m.images) for m in request.messages)
        text_tokens = max(1, usage.prompt_tokens - image_tokens)
        out: dict[str, Any] = {"promptTokenCount": usage.prompt_tokens}
        if candidates is not None:
            out["candidatesTokenCount"] = candidates
        out["totalTokenCount"] = usage.prompt_tokens + (candidates or 0) + thoughts_count
        details = [{"modality": "TEXT", "tokenCount": text_tokens}]
        if image_tokens:
            details.append({"modality": "IMAGE", "tokenCount": image_tokens})
        out["promptTokensDetails"] = details
        if _legacy(request.model) and candidates is not None:
            out["candidatesTokensDetails"] = [{"modality": "TEXT", "tokenCount": candidates}]
        if thoughts_count:
            out["thoughtsTokenCount"] = thoughts_count
        if usage.cached_tokens:  # present only on a cache hit, as Gemini sends it
            out["cachedContentTokenCount"] = usage.cached_tokens
        return out

    def _candidate(
        self,
        parts: list[dict[str, Any]],
        request: ChatRequest,
        finish: str | None,
        calls: bool,
        *,
        stream: bool,
    ) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
        if finish is not None:
            candidate["finishReason"] = finish
        if _legacy(request.model):
            if finish is not None and not stream:  # 2.0 reports the average only on whole answers
                candidate["avgLogprobs"] = -0.1
        else:
            candidate["index"] = 0
            if finish is not None and calls:
                candidate["finishMessage"] = "Model generated function call(s)."
        return candidate

    def render_json(self, reply: Reply, request: ChatRequest, ctx: RenderContext) -> Rendered:
        signed = request.reasoning and not _legacy(request.model)
        parts: list[dict[str, Any]] = []
        if reply.reasoning is not None and request.include_thoughts:
            parts.append({"text": reply.reasoning, "thought": True})
        if reply.text is not None:
            part: dict[str, Any] = {"text": reply.text}
            if signed and not reply.tool_calls:
                part["thoughtSignature"] = _signature(reply.text)
            parts.append(part)
        parts.extend(
            self._call_parts(
                reply, request, signed or (bool(reply.tool_calls) and not _legacy(request.model))
            )
        )
        candidates = max(1, reply.usage.completion_tokens - reply.usage.reasoning_tokens)
        body = {
            "candidates": [
                self._candidate(parts, request, self._finish(reply), bool(reply.tool_calls), stream=False)
            ],
            "usageMetadata": self._usage(reply, request, candidates=candidates),
            "modelVersion": request.model,
            "responseId": ctx.ids("", 23, _ID_ALPHABET),
        }
        return Rendered(200, dumps_pretty(body), _JSON_MEDIA, self.response_headers(ctx))

    def _chunks(self, reply: Reply, request: ChatRequest, ctx: RenderContext) -> list[dict[str, Any]]:
        response_id = ctx.ids("", 23, _ID_ALPHABET)
        signed = request.reasoning and not _legacy(request.model)
        pending: list[tuple[list[dict[str, Any]], bool]] = []  # (parts, counts as answer tokens)
        if reply.reasoning is not None and request.include_thoughts:
            for piece in split_words(reply.reasoning, 12):
                pending.append(([{"text": piece, "thought": True}], False))
        text_pieces = split_words(reply.text or "", 6)
        for number, piece in enumerate(text_pieces):
            part: dict[str, Any] = {"text": piece}
            if number == 0 and signed and not reply.tool_calls:
                part["thoughtSignature"] = _signature(reply.text or "")
            pending.append(([part], True))
        if reply.tool_calls:
            pending.append((self._call_parts(reply, request, signed or not _legacy(request.model)), True))
        if not pending or (_ends_with_empty_chunk(request.model) and text_pieces and not reply.tool_calls):
            # Gemini 3 closes a text stream with an empty text part carrying the finish reason.
            pending.append(([{"text": ""}], True))
        chunks = []
        produced = 0
        for number, (parts, is_answer) in enumerate(pending):
            last = number == len(pending) - 1
            if is_answer:
                produced += sum(count_tokens(str(p.get("text", ""))) or 1 for p in parts)
            candidates = None if not is_answer and produced == 0 else produced
            if last:
                candidates = max(1, reply.usage.completion_tokens - reply.usage.reasoning_tokens)
            chunks.append(
                {
                    "candidates": [
                        self._candidate(
                            parts,
                            request,
                            self._finish(reply) if last else None,
                            bool(reply.tool_calls),
                            stream=True,
                        )
                    ],
                    "usageMetadata": self._usage(reply, request, candidates=candidates),
                    "modelVersion": request.model,
                    "responseId": response_id,
                }
            )
        return chunks

    def render_events(self, reply: Reply, request: ChatRequest, ctx: RenderContext) -> list[str]:
        chunks = self._chunks(reply, request, ctx)
        if ctx.alt_sse:
            return [sse_data(_dumps_sse(chunk), line_end="\r\n") for chunk in chunks]
        events = []
        for number, chunk in enumerate(chunks):
            events.append(("[" if number == 0 else "\n,\r\n") + dumps_pretty(chunk))
        events.append("\n]")
        return events

    def stream_content_type(self, ctx: RenderContext) -> str:
        return self.stream_media_type if ctx.alt_sse else _JSON_MEDIA

    def _error_body(self, error: ErrorSpec) -> dict[str, Any]:
        status, message = _STATUSES.get(
            error.status, ("INTERNAL" if error.status >= 500 else "INVALID_ARGUMENT", "The request failed.")
        )
        text = error.message or message.replace("{model}", error.model or "unknown")
        return {"error": {"code": error.status, "message": text, "status": error.code or status}}

    def render_error(self, error: ErrorSpec, ctx: RenderContext) -> Rendered:
        return self._error_rendered(error.status, self._error_body(error), ctx)

    def _error_rendered(self, status: int, body: dict[str, Any], ctx: RenderContext) -> Rendered:
        # On the streaming endpoint Gemini still sends plain JSON, but labelled text/event-stream.
        media = self.stream_media_type if ctx.streaming else _JSON_MEDIA
        return Rendered(status, dumps_pretty(body) + "\n", media, self.response_headers(ctx))

    def stream_error_event(self, error: ErrorSpec, ctx: RenderContext, sequence_number: int) -> str:
        body = self._error_body(error)
        if ctx.alt_sse:
            return sse_data(_dumps_sse(body), line_end="\r\n")
        return ("[" if sequence_number == 0 else "\n,\r\n") + dumps_pretty(body) + "\n]"

    def malformed_event(self, ctx: RenderContext, sequence_number: int) -> str:
        if ctx.alt_sse:
            return sse_data('{"candidates": [{"content": {"parts": [{"text": "cut', line_end="\r\n")
        return (
            "[" if sequence_number == 0 else "\n,\r\n"
        ) + '{"candidates": [{"content": {"parts": [{"text": "cut'

    def auth_error(self, present: bool, ctx: RenderContext) -> Rendered:
        if not present:
            body = {"error": {"code": 403, "message": _MISSING_KEY, "status": "PERMISSION_DENIED"}}
            return self._error_rendered(403, body, ctx)
        body = {
            "error": {
                "code": 400,
                "message": _BAD_KEY,
                "status": "INVALID_ARGUMENT",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "API_KEY_INVALID",
                        "domain": "googleapis.com",
                        "metadata": {"service": "generativelanguage.googleapis.com"},
                    },
                    {
                        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                        "locale": "en-US",
                        "message": _BAD_KEY,
                    },
                ],
            }
        }
        return self._error_rendered(400, body, ctx)

    def response_headers(self, ctx: RenderContext) -> dict[str, str]:
        headers = {
            "vary": "Origin, X-Origin, Referer",
            "server": "scaffolding on HTTPServer2",
            "server-timing": "gfet4t7; dur=1",
            "x-xss-protection": "0",
            "x-frame-options": "SAMEORIGIN",
            "x-content-type-options": "nosniff",
        }
        if ctx.streaming and ctx.alt_sse:
            headers["content-disposition"] = "attachment"
        return headers


def _dumps_sse(value: Any) -> str:
    """Gemini's SSE JSON: a space after each colon, none after commas."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ": "))
