"""The OpenAI Chat Completions door: `POST /v1/chat/completions` (also under `/openai` and `/openai/v1`).

Matches the recordings in realtraffic/openai: pretty-printed JSON bodies whose `message` always has
`refusal:null` and `annotations:[]`; SSE `data: {chunk}` events whose first delta is
`{"role":"assistant","content":"","refusal":null}`, tool calls announced with index/id/type/name and
`arguments:""` then streamed as argument fragments by index, a finish chunk with `delta:{}`, with
`stream_options.include_usage` a `"usage":null` on every chunk plus a final `choices:[]` usage chunk,
then `data: [DONE]`.

Models named `deepseek*` get DeepSeek's variations (INDEX.md, "DeepSeek"): no refusal/annotations,
`index` on non-stream tool calls, cache-hit usage fields, deltas carrying both `content` and
`reasoning_content`, and usage on the final finish chunk instead of a separate chunk.
"""

from __future__ import annotations

import re
from typing import Any

from .images import decode_base64, parse_data_url
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
    ToolChoiceMode,
    ToolResult,
    ToolSpec,
)
from .text import split_fixed, split_words
from .wire import ErrorSpec, RenderContext, Rendered, Wire, dumps_compact, dumps_pretty, sse_data

__all__ = [
    "OpenAIChatWire",
    "openai_auth_error",
    "openai_error",
    "openai_file",
    "openai_headers",
    "openai_image",
    "text_of",
]

_HEX = "0123456789abcdef"

_DEFAULT_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("invalid_request_error", "The request was invalid.", None),
    401: ("invalid_request_error", "Incorrect API key provided.", "invalid_api_key"),
    402: (
        "insufficient_balance",
        "Insufficient balance. Top up your account to continue.",
        "insufficient_balance",
    ),
    403: ("permission_error", "You are not allowed to use this model.", "permission_denied"),
    404: (
        "invalid_request_error",
        "The model `{model}` does not exist or you do not have access to it.",
        "model_not_found",
    ),
    408: ("timeout", "The request timed out.", None),
    409: ("invalid_request_error", "The request conflicted with another request.", None),
    429: ("requests", "Rate limit reached for requests. Please try again in 1s.", "rate_limit_exceeded"),
    500: ("server_error", "The server had an error while processing your request. Sorry about that!", None),
    502: ("server_error", "Bad gateway: the upstream provider did not answer.", "bad_gateway"),
    503: (
        "server_error",
        "No channel is available for model `{model}` right now. Please try again later.",
        "service_unavailable",
    ),
    504: ("server_error", "The upstream provider timed out.", "gateway_timeout"),
}
_QUOTA_MESSAGE = (
    "You exceeded your current quota, please check your plan and billing details. For more information on this "
    "error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
)
_MISSING_KEY_MESSAGE = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer "
    "auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're "
    "accessing the API from your browser and are prompted for a username. You can obtain an API key from "
    "https://platform.openai.com/account/api-keys."
)
_WRONG_KEY_MESSAGE = (
    "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
)


def openai_error(error: ErrorSpec) -> dict[str, Any]:
    """The `{"error":{message,type,param,code}}` body OpenAI-compatible servers send."""
    error_type, message, code = _DEFAULT_ERRORS.get(
        error.status,
        ("server_error" if error.status >= 500 else "invalid_request_error", "The request failed.", None),
    )
    if error.code == "insufficient_quota":
        error_type, message, code = "insufficient_quota", _QUOTA_MESSAGE, "insufficient_quota"
    text = error.message or message.replace("{model}", error.model or "unknown")
    return {"error": {"message": text, "type": error_type, "param": error.param, "code": error.code or code}}


def openai_headers(ctx: RenderContext) -> dict[str, str]:
    """The request-id, version and rate-limit headers OpenAI sends on every answer."""
    return {
        "x-request-id": ctx.ids("req_", 32, _HEX),
        "openai-processing-ms": "1",
        "openai-version": "2020-10-01",
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-limit-tokens": "30000000",
        "x-ratelimit-remaining-requests": "9999",
        "x-ratelimit-remaining-tokens": "29999000",
        "x-ratelimit-reset-requests": "6ms",
        "x-ratelimit-reset-tokens": "0s",
    }


def openai_auth_error(present: bool, ctx: RenderContext) -> Rendered:
    """401 with OpenAI's wording for a missing or an incorrect key (the key itself is never echoed)."""
    body = {
        "error": {
            "message": _WRONG_KEY_MESSAGE if present else _MISSING_KEY_MESSAGE,
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key" if present else None,
        }
    }
    return Rendered(401, dumps_pretty(body), "application/json; charset=utf-8", openai_headers(ctx))


def text_of(content: Any) -> str:
    """The text of an OpenAI content value: a string, or a list of text parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif isinstance(part, dict) and isinstance(part.get("refusal"), str):
                texts.append(part["refusal"])
        return "\n".join(texts)
    return str(content)


def openai_image(url: str, detail_media_type: str | None = None) -> ImageInput:
    """An image from a URL that may be a `data:` URL, raw base64, or a remote http(s) URL."""
    if url.startswith("data:"):
        mime, data = parse_data_url(url)
        return ImageInput(data=data, media_type=mime)
    if url.startswith(("http://", "https://")):
        return ImageInput(url=url, media_type=detail_media_type)
    return ImageInput(data=decode_base64(url), media_type=detail_media_type)


def openai_file(file: Any, param: str, *, urls: bool) -> FileInput:
    """A file from a Chat `file` object or a Responses `input_file` part, checked as OpenAI does.

    `file_data` must be a base64 `data:` URL and comes with a `filename`; `file_id` names an
    uploaded file; `file_url` is taken by the Responses API only (`urls`). Chat takes PDFs only.
    """
    if not isinstance(file, dict):
        raise RequestError(f"Invalid type for '{param}': expected an object.", param=param)
    if isinstance(file.get("file_data"), str):
        mime, data = parse_data_url(file["file_data"])
        if not data:
            raise RequestError(
                f"Invalid value for '{param}.file_data': expected a base64-encoded data URL "
                "such as 'data:application/pdf;base64,...'.", param=f"{param}.file_data",
            )
        if not isinstance(file.get("filename"), str) or not file["filename"]:
            raise RequestError(f"Missing required parameter: '{param}.filename'.", param=f"{param}.filename")
        if not urls and b"%PDF-" not in data[:1024]:
            raise RequestError(
                f"Invalid file data: '{param}.file_data'. Chat Completions file inputs must be PDF files.",
                param=f"{param}.file_data",
            )
        return FileInput(data=data, media_type=mime, name=file["filename"])
    if isinstance(file.get("file_id"), str):
        return FileInput(url=f"file:{file['file_id']}", name=file.get("filename"))
    if urls and isinstance(file.get("file_url"), str):
        return FileInput(url=file["file_url"], name=file.get("filename"))
    fields = "'file_data', 'file_id' or 'file_url'" if urls else "'file_data' or 'file_id'"
    raise RequestError(f"Missing required parameter: '{param}' needs one of {fields}.", param=param)


def _input_audio(part: dict[str, Any], param: str) -> FileInput:
    audio = part.get("input_audio")
    if not isinstance(audio, dict):
        raise RequestError(f"Missing required parameter: '{param}.input_audio'.", param=f"{param}.input_audio")
    fmt = audio.get("format")
    if fmt not in ("wav", "mp3"):
        raise RequestError(
            f"Invalid value: {fmt!r}. Supported values are: 'wav' and 'mp3'.", param=f"{param}.input_audio.format"
        )
    data = decode_base64(audio["data"]) if isinstance(audio.get("data"), str) else None
    if not data:
        raise RequestError(
            f"Invalid value for '{param}.input_audio.data': expected base64-encoded audio.",
            param=f"{param}.input_audio.data",
        )
    return FileInput(data=data, media_type="audio/wav" if fmt == "wav" else "audio/mpeg")


def _user_message(content: Any, param: str = "messages[0]") -> Message:
    if isinstance(content, list):
        texts: list[str] = []
        images: list[ImageInput] = []
        files: list[FileInput] = []
        for position, part in enumerate(content):
            if not isinstance(part, dict):
                continue
            kind = part.get("type")
            if kind == "file":
                files.append(openai_file(part.get("file"), f"{param}.content[{position}].file", urls=False))
            elif kind == "input_audio":
                files.append(_input_audio(part, f"{param}.content[{position}]"))
            elif kind == "text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif kind == "image_url":
                image_url = part.get("image_url")
                url = image_url.get("url") if isinstance(image_url, dict) else image_url
                if isinstance(url, str):
                    images.append(openai_image(url))
        return Message("user", "\n".join(texts), images=images, files=files)
    return Message("user", text_of(content))


def _tool_spec(raw: Any, index: int) -> ToolSpec:
    if not isinstance(raw, dict):
        raise RequestError(f"Invalid type for 'tools[{index}]': expected an object.", param=f"tools[{index}]")
    function = raw.get("function", raw)
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise RequestError(
            f"Missing required parameter: 'tools[{index}].function.name'.",
            param=f"tools[{index}].function.name",
        )
    parameters = function.get("parameters")
    return ToolSpec(
        name=function["name"],
        description=str(function.get("description") or ""),
        parameters=parameters if isinstance(parameters, dict) else {"type": "object", "properties": {}},
    )


def parse_tool_choice(raw: Any, parallel: Any) -> ToolChoice:
    """OpenAI's tool_choice: "auto" | "none" | "required" | {"type":"function","function":{"name"}} (or flat)."""
    allow_parallel = parallel is not False
    if raw == "none":
        return ToolChoice("none", parallel=allow_parallel)
    if raw == "required":
        return ToolChoice("required", parallel=allow_parallel)
    if isinstance(raw, dict):
        function = raw.get("function") if isinstance(raw.get("function"), dict) else raw
        name = function.get("name") if isinstance(function, dict) else None
        if isinstance(name, str):
            return ToolChoice("required", (name,), parallel=allow_parallel)
        allowed = raw.get("allowed_tools")
        if isinstance(allowed, dict):
            names = tuple(
                t.get("function", t).get("name") for t in allowed.get("tools", []) if isinstance(t, dict)
            )
            mode: ToolChoiceMode = "required" if allowed.get("mode") == "required" else "auto"
            return ToolChoice(mode, tuple(n for n in names if isinstance(n, str)), parallel=allow_parallel)
    return ToolChoice("auto", parallel=allow_parallel)


def reasoning_requested(model: str, body: dict[str, Any]) -> bool:
    """Reasoning is on for reasoning model names, a `reasoning_effort`, or a `thinking`/`enable_thinking` flag."""
    if is_reasoning_model(model):
        return True
    effort = body.get("reasoning_effort")
    if isinstance(effort, str) and effort not in ("none", "minimal"):
        return True
    reasoning = body.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("effort") not in (None, "none", "minimal"):
        return True
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive"):
        return True
    return body.get("enable_thinking") is True


def _flavor(model: str) -> str:
    return "deepseek" if model.lower().startswith("deepseek") else "openai"


def _omits_logprobs(model: str) -> bool:
    """OpenAI's own reasoning models (o-series, gpt-5) answer without a `logprobs` key in the choice."""
    return re.match(r"^(?:o\d|gpt-5)", model.lower()) is not None


class OpenAIChatWire(Wire):
    """OpenAI Chat Completions, JSON and SSE."""

    door = "openai"

    # -- requests ------------------------------------------------------------------------------
    def parse(self, body: Any, *, path_model: str | None = None, stream: bool | None = None) -> ChatRequest:
        if not isinstance(body, dict):
            raise RequestError("The request body must be a JSON object.")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise RequestError("You must provide a model parameter.", param="model")
        raw_messages = body.get("messages")
        if not isinstance(raw_messages, list) or not raw_messages:
            raise RequestError("Missing required parameter: 'messages'.", param="messages")
        system: list[str] = []
        messages: list[Message] = []
        for index, raw in enumerate(raw_messages):
            if not isinstance(raw, dict):
                raise RequestError(
                    f"Invalid type for 'messages[{index}]': expected an object.", param=f"messages[{index}]"
                )
            role = raw.get("role")
            if role in ("system", "developer"):
                system.append(text_of(raw.get("content")))
            elif role == "user":
                messages.append(_user_message(raw.get("content"), f"messages[{index}]"))
            elif role == "assistant":
                calls = []
                for call in raw.get("tool_calls") or []:
                    if isinstance(call, dict) and isinstance(call.get("function"), dict):
                        function = call["function"]
                        calls.append(
                            ToolCall(
                                str(call.get("id", "")),
                                str(function.get("name", "")),
                                str(function.get("arguments") or ""),
                            )
                        )
                legacy = raw.get("function_call")
                if isinstance(legacy, dict):
                    calls.append(
                        ToolCall(
                            str(legacy.get("name", "")),
                            str(legacy.get("name", "")),
                            str(legacy.get("arguments") or ""),
                        )
                    )
                reasoning = raw.get("reasoning_content")
                messages.append(
                    Message(
                        "assistant",
                        text_of(raw.get("content")),
                        tool_calls=calls,
                        reasoning=reasoning if isinstance(reasoning, str) else None,
                    )
                )
            elif role in ("tool", "function"):
                call_id = raw.get("tool_call_id") if role == "tool" else raw.get("name")
                result = ToolResult(
                    call_id if isinstance(call_id, str) else None,
                    raw.get("name") if isinstance(raw.get("name"), str) else None,
                    text_of(raw.get("content")),
                )
                if messages and messages[-1].role == "tool":
                    messages[-1].tool_results.append(result)
                else:
                    messages.append(Message("tool", tool_results=[result]))
            else:
                raise RequestError(
                    f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'function', "
                    "'tool', and 'developer'.",
                    param=f"messages[{index}].role",
                )
        raw_tools = body.get("tools") or []
        if not isinstance(raw_tools, list):
            raise RequestError("Invalid type for 'tools': expected an array.", param="tools")
        tools = [
            _tool_spec(t, i)
            for i, t in enumerate(raw_tools)
            if not (isinstance(t, dict) and t.get("type") not in (None, "function"))
        ]
        for index, legacy_function in enumerate(body.get("functions") or []):
            tools.append(_tool_spec({"function": legacy_function}, index))
        choice = parse_tool_choice(
            body.get("tool_choice", body.get("function_call")), body.get("parallel_tool_calls")
        )
        schema, name, json_mode = _response_format(body.get("response_format"))
        max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
        return ChatRequest(
            door=self.door,
            model=model,
            messages=messages,
            system="\n\n".join(s for s in system if s),
            tools=tools,
            tool_choice=choice,
            output_schema=schema,
            output_name=name,
            json_mode=json_mode,
            reasoning=reasoning_requested(model, body),
            stream=bool(body.get("stream")) if stream is None else stream,
            max_tokens=max_tokens if isinstance(max_tokens, int) else None,
            options={"stream_options": body.get("stream_options")},
        )

    # -- answers -------------------------------------------------------------------------------
    def render_json(self, reply: Reply, request: ChatRequest, ctx: RenderContext) -> Rendered:
        flavor = _flavor(request.model)
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        if reply.reasoning is not None:
            message["reasoning_content"] = reply.reasoning
        if reply.tool_calls:
            message["tool_calls"] = [
                {
                    **({"index": i} if flavor == "deepseek" else {}),
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for i, call in enumerate(reply.tool_calls)
            ]
        if flavor == "openai":
            message["refusal"] = None
            message["annotations"] = []
        choice: dict[str, Any] = {
            "index": 0,
            "message": message,
            "logprobs": None,
            "finish_reason": reply.finish,
        }
        if _omits_logprobs(request.model):
            del choice["logprobs"]
        body: dict[str, Any] = {
            "id": ctx.ids("chatcmpl-", 29),
            "object": "chat.completion",
            "created": ctx.created,
            "model": request.model,
            "choices": [choice],
            "usage": self._usage(reply, flavor),
        }
        if flavor == "openai":
            body["service_tier"] = "default"
        body["system_fingerprint"] = None if _omits_logprobs(request.model) else ctx.ids("fp_", 10, _HEX)
        return Rendered(200, dumps_pretty(body), "application/json", openai_headers(ctx))

    @staticmethod
    def _usage(reply: Reply, flavor: str) -> dict[str, Any]:
        usage = reply.usage
        if flavor == "deepseek":
            return {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
                "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
                "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
                "prompt_cache_hit_tokens": usage.cached_tokens,
                "prompt_cache_miss_tokens": usage.prompt_tokens - usage.cached_tokens,
            }
        return {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
            "prompt_tokens_details": {"cached_tokens": usage.cached_tokens, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": usage.reasoning_tokens,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def render_events(self, reply: Reply, request: ChatRequest, ctx: RenderContext) -> list[str]:
        flavor = _flavor(request.model)
        include_usage, obfuscate = _stream_options(request)
        obfuscate = obfuscate and flavor == "openai"
        chunk_id = ctx.ids("chatcmpl-", 29)
        fingerprint = None if _omits_logprobs(request.model) else ctx.ids("fp_", 10, _HEX)
        reasoning_deltas = flavor == "deepseek" and reply.reasoning is not None

        def chunk(
            delta: dict[str, Any] | None, finish: str | None = None, usage: Any = None, final: bool = False
        ) -> str:
            data: dict[str, Any] = {
                "id": chunk_id,
                "object": "chat.completion.chunk",
                "created": ctx.created,
                "model": request.model,
            }
            if flavor == "openai":
                data["service_tier"] = "default"
            data["system_fingerprint"] = fingerprint
            if delta is None:
                data["choices"] = []
            else:
                choice: dict[str, Any] = {
                    "index": 0,
                    "delta": delta,
                    "logprobs": None,
                    "finish_reason": finish,
                }
                if _omits_logprobs(request.model):
                    del choice["logprobs"]
                data["choices"] = [choice]
            if (include_usage and flavor == "openai") or (flavor == "deepseek" and final and include_usage):
                data["usage"] = usage
            if obfuscate:
                data["obfuscation"] = ctx.ids("", ctx.rng.randint(1, 16))
            return sse_data(dumps_compact(data))

        events: list[str] = []
        calls = reply.tool_calls
        announced_first = False
        if flavor == "deepseek":
            first: dict[str, Any] = {"role": "assistant", "content": None if reply.reasoning else ""}
            if reply.reasoning is not None:
                first["reasoning_content"] = ""
        elif reply.text is None and reply.reasoning is None and calls:
            first = {
                "role": "assistant",
                "content": None,
                "tool_calls": [_call_header(0, calls[0])],
                "refusal": None,
            }
            announced_first = True
        else:
            first = {"role": "assistant", "content": "", "refusal": None}
        events.append(chunk(first))
        for piece in split_words(reply.reasoning or "", 1):
            delta = (
                {"content": None, "reasoning_content": piece}
                if reasoning_deltas
                else {"reasoning_content": piece}
            )
            events.append(chunk(delta))
        for piece in split_words(reply.text or "", 1):
            delta = {"content": piece, "reasoning_content": None} if reasoning_deltas else {"content": piece}
            events.append(chunk(delta))
        for index, call in enumerate(calls):
            if not (index == 0 and announced_first):
                events.append(chunk({"tool_calls": [_call_header(index, call)]}))
            for fragment in split_fixed(call.arguments, 6):
                events.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}))
        usage = self._usage(reply, flavor)
        if flavor == "deepseek":
            finish_delta: dict[str, Any] = (
                {"content": "", "reasoning_content": None} if reply.reasoning else {}
            )
            events.append(chunk(finish_delta, reply.finish, usage=usage, final=True))
        else:
            events.append(chunk({}, reply.finish))
            if include_usage:
                events.append(chunk(None, usage=usage))
        events.append(sse_data("[DONE]"))
        return events

    def render_error(self, error: ErrorSpec, ctx: RenderContext) -> Rendered:
        media = "application/json; charset=utf-8" if error.status == 404 else "application/json"
        return Rendered(error.status, dumps_pretty(openai_error(error)), media, openai_headers(ctx))

    def stream_error_event(self, error: ErrorSpec, ctx: RenderContext, sequence_number: int) -> str:
        return sse_data(dumps_compact(openai_error(error)))

    def auth_error(self, present: bool, ctx: RenderContext) -> Rendered:
        return openai_auth_error(present, ctx)

    def response_headers(self, ctx: RenderContext) -> dict[str, str]:
        return openai_headers(ctx)


def _call_header(index: int, call: ToolCall) -> dict[str, Any]:
    return {
        "index": index,
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": ""},
    }


def _stream_options(request: ChatRequest) -> tuple[bool, bool]:
    options = request.options.get("stream_options")
    if isinstance(options, dict):
        return options.get("include_usage") is True, options.get("include_obfuscation") is not False
    return False, True


def _response_format(raw: Any) -> tuple[dict[str, Any] | None, str | None, bool]:
    """(schema, name, json_mode) from `response_format`."""
    if not isinstance(raw, dict):
        return None, None, False
    if raw.get("type") == "json_schema":
        spec = raw.get("json_schema")
        if not isinstance(spec, dict):
            raise RequestError(
                "Missing required parameter: 'response_format.json_schema'.",
                param="response_format.json_schema",
            )
        schema = spec.get("schema")
        name = spec.get("name")
        return (
            (schema if isinstance(schema, dict) else {"type": "object"}),
            (name if isinstance(name, str) else None),
            False,
        )
    if raw.get("type") == "json_object":
        return None, None, True
    return None, None, False
