"""OpenAI Chat Completions (`client.chat.completions.create`), and every OpenAI-compatible server.

This is the dialect most relays speak for every vendor, so it must tolerate what OpenAI-compatible
servers add: DeepSeek-style `reasoning_content` (OpenRouter-style `reasoning`) on messages and on
stream deltas, usage attached to the last content chunk, tool-call ids of any shape.

Wire facts this module relies on (see SDK_FACTS.md §2.1, §3.1, §6 and the recordings in
`realtraffic/openai/`):

- Tool call arguments are a JSON *string*; streamed fragments are grouped by `index`, not `id`
  (later fragments have no id).
- The SDK models allow extra fields, so `reasoning_content` is read from `model_extra`.
- Reasoning text is echoed back (as `reasoning_content`) only to this dialect, because DeepSeek
  requires it on assistant tool-call turns and other vendors' signed reasoning must never leave
  its own dialect. The assistant message is always built as a plain dict here, never an SDK object.
- Tool results cannot hold images in this API (text parts only), so an image there becomes a
  text placeholder that says so.
- Files (https://developers.openai.com/api/docs/guides/file-inputs, /guides/audio): a PDF is a
  `{"type": "file", "file": {"filename", "file_data": <data URL>}}` part (Chat Completions takes
  PDFs only, and no file URLs); WAV and MP3 audio is `{"type": "input_audio", "input_audio":
  {"data": <base64>, "format": "wav" | "mp3"}}`; a plain text file is sent as a text part with its
  name. Anything else raises before the request (`carries_file`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, assert_never

from agentkit._filetypes import AUDIO_FORMATS, is_text_type
from agentkit.dialects.base import (
    FinishReason,
    ModelRequest,
    OutputSpec,
    Turn,
    check_tool_choice,
    declaration,
)
from agentkit.dialects.shared import arguments_text as _arguments_text
from agentkit.dialects.shared import as_dict as _as_dict
from agentkit.dialects.shared import body_as_extra as _body_as_extra
from agentkit.dialects.shared import check_system as _check_system
from agentkit.dialects.shared import count as _count
from agentkit.dialects.shared import effort_of as _effort_of
from agentkit.dialects.shared import file_from_url as _file_from_url
from agentkit.dialects.shared import file_placeholder as _file_placeholder
from agentkit.dialects.shared import file_refused as _file_refused
from agentkit.dialects.shared import file_text as _file_text
from agentkit.dialects.shared import get as _get
from agentkit.dialects.shared import image_from_url as _image_from_url
from agentkit.dialects.shared import parse_arguments as _parse_arguments
from agentkit.dialects.shared import strict_output as _strict_output
from agentkit.dialects.shared import strict_parameters as _strict_parameters
from agentkit.dialects.shared import strict_shown as _strict_shown
from agentkit.events import Delta, ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.messages import (
    File,
    FilePart,
    Image,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
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

NAME = "openai"

#: Message fields OpenAI-compatible servers use for visible reasoning, in order of preference.
_REASONING_FIELDS = ("reasoning_content", "reasoning")
#: OpenAI rejects tool call ids longer than this; longer foreign ids are shortened (stably).
_MAX_ID_LENGTH = 40
#: Model names OpenAI itself serves; they take `max_completion_tokens` (reasoning models refuse `max_tokens`).
_OPENAI_MODEL = re.compile(r"^(gpt-|o\d|chatgpt|codex)")


# ------------------------------------------------------------------------------------------ schema

#: The `form=` values `Tool.to_schema` takes for this dialect (the first is the default): none.
TOOL_FORMS: tuple[str, ...] = ()
#: Whether a tool result can carry images here: Chat Completions tool messages are text only.
TOOL_RESULT_IMAGES = False
#: The request parameter native structured output goes in (named when a relay rejects it).
NATIVE_OUTPUT_PARAMETER = "`response_format`"
#: The request fields that carry prompt-caching hints: a relay that refuses one (a 400 naming it)
#: gets the request again without hints (`agentkit.agent`).
CACHE_HINT_FIELDS: tuple[str, ...] = ("prompt_cache_key",)


def tool_schema(tool: Tool) -> dict[str, Any]:
    """The tools-list entry: `{"type": "function", "function": {name, description, parameters, strict?}}`."""
    return declaration(tool, NAME)  # built once per tool, shared (read-only)


def tool_parameters(
    canonical: JsonSchema, *, strict: bool, form: str | None, tool: str
) -> tuple[JsonSchema, str | None]:
    """The `parameters` a tool is shown with, and why strict mode cannot express it (`shared.strict_parameters`)."""
    return _strict_parameters(canonical, strict=strict)


def tool_declaration(
    name: str, description: str, parameters: JsonSchema, *, strict: bool, form: str | None
) -> dict[str, Any]:
    """A tools-list entry: `{"type": "function", "function": {name, description, parameters, strict}}`."""
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": parameters, "strict": strict},
    }


def shown_parameters(canonical: JsonSchema, *, strict: bool, form: str | None, tool: str) -> JsonSchema:
    """What a tool's arguments (or a structured answer) are validated against (`shared.strict_shown`)."""
    return _strict_shown(canonical, strict=strict)


def output_schema(schema: JsonSchema, *, strict: bool, name: str) -> tuple[JsonSchema, bool]:
    """The `response_format` schema, and whether it is sent strict (see `shared.strict_output`)."""
    return _strict_output(schema, strict=strict, name=name)


def output_mode(model: str, *, has_tools: bool) -> Literal["native", "tool"]:
    """How structured output is asked for first: natively (`response_format`), tools or not."""
    return "native"


# ----------------------------------------------------------------------------------------- history


def encode_history(history: Sequence[Message]) -> dict[str, Any]:
    """Neutral messages -> `{"messages": [...]}` in Chat Completions form (system as a message)."""
    _check_system(history)
    messages: list[dict[str, Any]] = []
    for message in history:
        if message.role == "system":
            messages.append({"role": "system", "content": message.text})
        elif message.role == "user":
            messages.extend(_encode_user(message))
        elif message.role == "assistant":
            messages.append(_encode_assistant(message))
        elif message.role == "tool":
            messages.extend(_encode_tool(message))
        else:
            assert_never(message.role)
    return {"messages": messages}


def _encode_user(message: Message) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            image_url: dict[str, Any] = {"url": part.image.data_url}
            if part.image.detail != "auto":
                image_url["detail"] = part.image.detail
            content.append({"type": "image_url", "image_url": image_url})
        elif isinstance(part, FilePart):
            content.append(_file_content(part.file))
        elif isinstance(part, ToolResultPart):
            # Tolerated: some histories keep tool results in user turns (Anthropic style).
            results.append(_encode_result(part))
        elif isinstance(part, (ReasoningPart, ToolCallPart)):
            raise ValueError(
                f"A user message cannot hold {part!r}; reasoning and tool calls belong to assistant messages."
            )
        else:
            assert_never(part)
    if not content:
        return results or [{"role": "user", "content": ""}]
    if len(content) == 1 and content[0]["type"] == "text":
        user: dict[str, Any] = {"role": "user", "content": content[0]["text"]}
    else:
        user = {"role": "user", "content": content}
    return [*results, user]


def _encode_assistant(message: Message) -> dict[str, Any]:
    texts: list[str] = []
    reasoning: list[str] = []
    reasoning_field = _REASONING_FIELDS[0]
    has_reasoning = False
    calls: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ReasoningPart):
            # Only reasoning this dialect produced goes back (DeepSeek wants it on tool-call turns);
            # another vendor's reasoning may be signed or private to it, so it is dropped.
            if part.dialect == NAME and part.redacted is None:
                has_reasoning = True
                reasoning.append(part.text)
                reasoning_field = part.extra.get("field", reasoning_field)
        elif isinstance(part, ToolCallPart):
            calls.append(
                {
                    "id": wire_call_id(part.id),
                    "type": "function",
                    "function": {"name": part.name, "arguments": _arguments_text(part)},
                }
            )
        elif isinstance(part, (ImagePart, FilePart)):
            raise ValueError(
                f"An assistant message cannot hold an image or file in Chat Completions ({part!r}); "
                "put them in user messages."
            )
        elif isinstance(part, ToolResultPart):
            raise ValueError(
                f"An assistant message cannot hold a tool result ({part.call_id!r}); "
                "put tool results in a `tool` message after the call."
            )
        else:
            assert_never(part)
    out: dict[str, Any] = {"role": "assistant"}
    if texts or not calls:
        out["content"] = "".join(texts)
    if has_reasoning:
        out[reasoning_field] = "".join(reasoning)
    if calls:
        out["tool_calls"] = calls
    return out


def _encode_result(part: ToolResultPart) -> dict[str, Any]:
    pieces: list[str] = []
    for item in part.content:
        if isinstance(item, TextPart):
            pieces.append(item.text)
        elif isinstance(item, ImagePart):
            pieces.append(image_placeholder(item.image))
        elif isinstance(item, FilePart):  # tool messages are text only here
            pieces.append(_file_text(item.file) if carries_file(item.file, tool_result=True)
                          else _file_placeholder(item.file))
        else:
            assert_never(item)
    return {"role": "tool", "tool_call_id": wire_call_id(part.call_id), "content": "".join(pieces)}


def _encode_tool(message: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in message.parts:
        if not isinstance(part, ToolResultPart):
            raise ValueError(
                f"A `tool` message can only hold tool results, but it holds {part!r}; "
                "put other content in a user message."
            )
        out.append(_encode_result(part))
    return out


def carries_file(file: File, *, tool_result: bool = False) -> bool:
    """Whether a request can hold `file`: in a user message (default) or in a tool result (text only)."""
    if is_text_type(file.mime_type or "") and file.data is not None:
        return True
    if tool_result or file.data is None:  # no file URLs in Chat Completions
        return False
    return file.mime_type == "application/pdf" or AUDIO_FORMATS.get(file.mime_type or "") in _AUDIO_FORMATS


#: The `input_audio.format` values Chat Completions takes.
_AUDIO_FORMATS = ("wav", "mp3")


def _file_content(file: File) -> dict[str, Any]:
    """A user-message content part for a file (see the module docstring for the forms)."""
    if not carries_file(file):
        raise _file_refused(
            file, NAME, "OpenAI Chat Completions",
            "Chat Completions takes PDFs and WAV or MP3 audio as bytes (no file URLs); pass the bytes, "
            "or use a model of one of those dialects.",
        )
    if is_text_type(file.mime_type or ""):
        return {"type": "text", "text": _file_text(file)}
    if file.mime_type == "application/pdf":
        return {"type": "file", "file": {"filename": file.filename, "file_data": file.data_url}}
    return {"type": "input_audio", "input_audio": {"data": file.base64, "format": AUDIO_FORMATS[file.mime_type or ""]}}


def _decode_file(block: Mapping[str, Any]) -> FilePart:
    """A `file` part (PDF as a data URL) -> FilePart; uploaded-file ids are not kept in a neutral history."""
    file = _as_dict(_get(block, "file")) or {}
    data_url = _get(file, "file_data")
    if not isinstance(data_url, str) or not data_url:
        raise ValueError(
            f"The file part {block!r:.120} has no `file_data` (uploaded file ids are not supported); "
            "send the file as a `data:` URL in `file_data`."
        )
    return FilePart(_file_from_url(data_url, name=_get(file, "filename")))


def _decode_audio(block: Mapping[str, Any]) -> FilePart:
    audio = _as_dict(_get(block, "input_audio")) or {}
    fmt = audio.get("format")
    mime = next((m for m, f in AUDIO_FORMATS.items() if f == fmt), None)
    if mime is None or not isinstance(audio.get("data"), str):
        raise ValueError(
            f"The input_audio part {block!r:.120} needs base64 `data` and a `format` of 'wav' or 'mp3'."
        )
    return FilePart(_file_from_url(f"data:{mime};base64,{audio['data']}"))


def decode_history(data: Any) -> list[Message]:
    """Chat Completions messages (or `{"messages": [...]}`, SDK objects allowed) -> neutral messages.

    Consecutive `tool` messages become one neutral `tool` message; tool results get their tool's
    name from the call they answer. A `system`/`developer` message becomes a system message.
    """
    data = _as_dict(data)
    history: list[Message] = []
    if isinstance(data, Mapping):
        system = data.get("system") or data.get("instructions")
        if isinstance(system, str) and system:
            history.append(Message.system(system))
        if "messages" in data:
            data = data["messages"]
        elif "role" in data:
            data = [data]
        else:
            raise ValueError(
                f"Expected a list of Chat Completions messages or `{{'messages': [...]}}`; got keys {sorted(data)!r}."
            )
    if not isinstance(data, Iterable) or isinstance(data, (str, bytes)):
        raise ValueError(
            f"Expected a list of Chat Completions messages; got {type(data).__name__}: {data!r:.80}."
        )
    names: dict[str, str] = {}
    for raw in data:
        item = _as_dict(raw)
        if not isinstance(item, Mapping):
            raise ValueError(f"A Chat Completions message must be a dict; got {item!r:.80}.")
        role = item.get("role")
        if role in ("system", "developer"):
            history.append(Message("system", [TextPart(_plain_text(item.get("content"), role))]))
        elif role == "user":
            history.append(Message("user", _decode_content(item.get("content"))))
        elif role == "assistant":
            message = _decode_assistant(item)
            names.update((call.id, call.name) for call in message.tool_calls)
            history.append(message)
        elif role in ("tool", "function"):
            call_id = str(_get(item, "tool_call_id") or item.get("name") or "")
            content = tuple(
                p for p in _decode_content(item.get("content")) if isinstance(p, (TextPart, ImagePart, FilePart))
            )
            result = ToolResultPart(call_id, str(item.get("name") or names.get(call_id, "")), content)
            if history and history[-1].role == "tool":
                history[-1].parts.append(result)
            else:
                history.append(Message("tool", [result]))
        else:
            raise ValueError(
                f"Unknown Chat Completions role {role!r} in {item!r:.120}; "
                "expected system, developer, user, assistant or tool."
            )
    return history


def _plain_text(content: Any, role: str) -> str:
    parts = _decode_content(content)
    if any(not isinstance(p, TextPart) for p in parts):
        raise ValueError(f"A {role} message can only hold text; got {content!r:.120}.")
    return "".join(p.text for p in parts if isinstance(p, TextPart))


def _decode_content(content: Any) -> list[Part]:
    if content is None:
        return []
    if isinstance(content, str):
        return [TextPart(content)] if content else []
    parts: list[Part] = []
    for raw in content:
        block = _as_dict(raw)
        if isinstance(block, str):
            parts.append(TextPart(block))
            continue
        kind = block.get("type")
        if kind in ("text", "input_text", "output_text"):
            parts.append(TextPart(block.get("text", "")))
        elif kind == "refusal":
            parts.append(TextPart(block.get("refusal", "")))
        elif kind == "image_url":
            image_url = _get(block, "image_url")
            if isinstance(image_url, str):
                parts.append(ImagePart(_image_from_url(image_url)))
            else:
                parts.append(ImagePart(_image_from_url(image_url["url"], image_url.get("detail"))))
        elif kind == "file":
            parts.append(_decode_file(block))
        elif kind == "input_audio":
            parts.append(_decode_audio(block))
        else:
            raise ValueError(
                f"The content part type {kind!r} is not supported by agentkit ({block!r:.120}); "
                "use text, image_url, file and input_audio parts."
            )
    return parts


def _decode_assistant(item: Mapping[str, Any]) -> Message:
    parts: list[Part] = []
    for name in _REASONING_FIELDS:
        value = item.get(name, _get(item, name))
        if isinstance(value, str):
            parts.append(ReasoningPart(value, dialect=NAME, extra={"field": name}))
            break
    parts.extend(_decode_content(item.get("content")))
    if isinstance(item.get("refusal"), str) and item["refusal"]:
        parts.append(TextPart(item["refusal"]))
    for raw in _get(item, "tool_calls") or ():
        parts.append(_decode_call(_as_dict(raw)))
    return Message("assistant", parts, dialect=NAME)


def _decode_call(call: Mapping[str, Any]) -> ToolCallPart:
    if call.get("type") == "custom" or "custom" in call:
        custom = call.get("custom") or {}
        raw = custom.get("input", "")
        return ToolCallPart(str(call.get("id") or ""), str(custom.get("name", "")), raw, dialect=NAME)
    function = call.get("function") or {}
    raw = function.get("arguments")
    extra = {"arguments": raw} if isinstance(raw, str) else {}
    return ToolCallPart(
        str(call.get("id") or ""),
        str(function.get("name") or ""),
        _parse_arguments(raw),
        dialect=NAME,
        extra=extra,
    )


# ------------------------------------------------------------------------------------------ encode


def _tool_choice(choice: str | None, tools: Sequence[Tool]) -> Any:
    choice = check_tool_choice(choice, tools)
    if choice in (None, "auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def _response_format(output: OutputSpec) -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": output.name, "schema": output.schema, "strict": output.strict},
    }


def _is_openai_model(model: str) -> bool:
    name = model.lower()
    provider, slash, rest = name.partition("/")
    if slash:
        if provider != "openai":
            return False
        name = rest
    return bool(_OPENAI_MODEL.match(name))


def encode(request: ModelRequest) -> dict[str, Any]:
    """The keyword arguments of `client.chat.completions.create` (without `stream`).

    Neutral options: `temperature`, `top_p`, `stop` keep their names; `max_tokens` becomes
    `max_completion_tokens` for OpenAI's own models (its reasoning models refuse `max_tokens`) and
    stays `max_tokens` for other OpenAI-compatible servers, which often know only that one;
    `reasoning` becomes `reasoning_effort`. Any other option is passed through unchanged.
    """
    kwargs: dict[str, Any] = {"model": request.model, **encode_history(request.history)}
    if request.cache_key is not None:  # an explicit `prompt_cache_key=` option, below, wins
        kwargs["prompt_cache_key"] = request.cache_key
    if request.tools:
        kwargs["tools"] = [tool_schema(tool) for tool in request.tools]
    choice = _tool_choice(request.tool_choice, request.tools)
    if choice is not None:
        kwargs["tool_choice"] = choice
    if request.output is not None:
        kwargs["response_format"] = _response_format(request.output)
    for key, value in request.options.items():
        if key == "max_tokens":
            if value is not None:
                kwargs["max_completion_tokens" if _is_openai_model(request.model) else "max_tokens"] = value
        elif key == "reasoning":
            effort = _effort_of(value)
            if effort is not None:
                kwargs["reasoning_effort"] = effort
        elif key in ("stream", "stream_options"):
            continue  # `stream()` sets these; `create()` must not stream
        else:
            kwargs[key] = value
    return kwargs


# ------------------------------------------------------------------------------------------ create


async def create(client: Any, kwargs: dict[str, Any]) -> Turn:
    """One non-streaming call through `AsyncOpenAI`, decoded with `decode`."""
    response = await client.chat.completions.create(**_body_as_extra(kwargs, messages=[]))
    return decode(response)


# ------------------------------------------------------------------------------------------ decode


_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "length": "length",
    "content_filter": "content_filter",
}


def decode(response: Any) -> Turn:
    """A `ChatCompletion` (or its JSON dict) -> Turn: reasoning, text, tool calls, in that order.

    A refusal (`message.refusal`) goes to `Turn.refusal` with finish reason "refusal". Servers that
    report "stop" while returning tool calls are normalised to "tool_calls".
    """
    from openai.types.chat import ChatCompletion

    if isinstance(response, (str, bytes)) or response is None:  # the SDK hands back a body that is not JSON as text
        raise ValueError(f"The answer is not a JSON chat completion: {str(response)[:120]!r}")
    if isinstance(response, Mapping):
        # Validation (pydantic-core) is ~20x faster than the SDK's recursive `construct`; a body
        # from a lax server that does not validate still decodes, through `construct`.
        try:
            response = ChatCompletion.model_validate(response)
        except ValueError:
            response = ChatCompletion.model_construct(**response)
    usage = _usage(getattr(response, "usage", None))
    model = getattr(response, "model", None)
    choices = getattr(response, "choices", None) or []
    if not choices:
        message = Message("assistant", [], model=model, dialect=NAME, usage=usage)
        return Turn(message, usage, "other", None, None, model)
    choice = choices[0]
    wire = getattr(choice, "message", None)
    parts: list[Part] = []
    extra = getattr(wire, "model_extra", None) or {}
    for name in _REASONING_FIELDS:
        if isinstance(extra.get(name), str) and extra[name]:
            parts.append(ReasoningPart(extra[name], dialect=NAME, extra={"field": name}))
            break
    content = getattr(wire, "content", None)
    if isinstance(content, str) and content:
        parts.append(TextPart(content))
    elif isinstance(content, list):  # some compatible servers answer with a list of text parts
        parts.extend(p for p in _decode_content(content) if isinstance(p, TextPart) and p.text)
    for call in getattr(wire, "tool_calls", None) or ():
        parts.append(_decode_call(_as_dict(call)))
    refusal = getattr(wire, "refusal", None) or None
    raw_finish = getattr(choice, "finish_reason", None)
    finish: FinishReason = _FINISH.get(raw_finish or "", "other")
    if refusal:
        finish = "refusal"
    elif any(isinstance(p, ToolCallPart) for p in parts) and finish in ("stop", "other"):
        finish = "tool_calls"
    message = Message("assistant", parts, model=model, dialect=NAME, usage=usage)
    return Turn(message, usage, finish, raw_finish, refusal, model)


def _usage(usage: Any) -> Usage:
    """Neutral usage: `prompt_tokens` already counts the cached ones, `completion_tokens` the reasoning."""
    if usage is None:
        return Usage()
    data = _as_dict(usage)
    if not isinstance(data, Mapping):
        return Usage()
    completion = data.get("completion_tokens_details")
    prompt = data.get("prompt_tokens_details")
    completion = completion if isinstance(completion, Mapping) else {}
    prompt = prompt if isinstance(prompt, Mapping) else {}
    cached = prompt.get("cached_tokens")
    if cached is None:
        cached = data.get("prompt_cache_hit_tokens")  # DeepSeek
    return Usage(
        input_tokens=_count(data.get("prompt_tokens")),
        output_tokens=_count(data.get("completion_tokens")),
        reasoning_tokens=_count(completion.get("reasoning_tokens")),
        cached_tokens=_count(cached),
        # Relays serving Claude in this format (OpenRouter and others) report its cache writes here.
        cache_write_tokens=_count(prompt.get("cache_write_tokens")),
    )


# ------------------------------------------------------------------------------------------ stream


@dataclass
class _CallState:
    id: str | None = None
    name: str | None = None
    type: str = "function"
    arguments: list[str] = field(default_factory=list)


@dataclass
class _Accumulator:
    """Folds `ChatCompletionChunk`s into the JSON of one `ChatCompletion` (choice 0).

    Our own (small) accumulator rather than the SDK's `ChatCompletionStreamState`, because that
    one raises on `finish_reason == "length"` and would lose the partial answer.
    """

    id: str = ""
    model: str = ""
    created: int = 0
    system_fingerprint: str | None = None
    content: list[str] = field(default_factory=list)
    refusal: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    reasoning_field: str | None = None
    calls: dict[int, _CallState] = field(default_factory=dict)
    finish_reason: str | None = None
    usage: Any = None

    def add(self, chunk: Any) -> list[Delta]:
        # Runs once per chunk: each attribute is read once, and the first-chunk fields only until set.
        deltas: list[Delta] = []
        if not (self.id and self.model):
            self.id = self.id or getattr(chunk, "id", "") or ""
            self.model = self.model or getattr(chunk, "model", "") or ""
            self.created = self.created or getattr(chunk, "created", 0) or 0
            self.system_fingerprint = self.system_fingerprint or getattr(chunk, "system_fingerprint", None)
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.usage = _as_dict(usage)
        for choice in getattr(chunk, "choices", None) or ():
            if getattr(choice, "index", 0) not in (0, None):
                continue
            finish_reason = getattr(choice, "finish_reason", None)
            if finish_reason:
                self.finish_reason = finish_reason
            delta = getattr(choice, "delta", None)
            if delta is None:
                continue
            extra = getattr(delta, "model_extra", None)
            if extra:
                for name in _REASONING_FIELDS:
                    piece = extra.get(name)
                    if isinstance(piece, str):
                        self.reasoning_field = self.reasoning_field or name
                        if name == self.reasoning_field and piece:
                            self.reasoning.append(piece)
                            deltas.append(ReasoningDelta(piece))
            content = getattr(delta, "content", None)
            if content:
                self.content.append(content)
                deltas.append(TextDelta(content))
            refusal = getattr(delta, "refusal", None)
            if refusal:
                self.refusal.append(refusal)
            for call in getattr(delta, "tool_calls", None) or ():
                piece = self._add_call(call)
                if piece.id or piece.name or piece.arguments:
                    deltas.append(piece)
        return deltas

    def _add_call(self, call: Any) -> ToolCallDelta:
        index = getattr(call, "index", None)
        call_id = getattr(call, "id", None) or None
        if index is None:  # some compatible servers omit it: a new id starts a new call
            known = [i for i, state in self.calls.items() if state.id == call_id]
            if known:
                index = known[0]
            elif call_id or not self.calls:
                index = len(self.calls)
            else:
                index = max(self.calls)
        state = self.calls.setdefault(index, _CallState())
        function = getattr(call, "function", None)
        name = getattr(function, "name", None) or None
        piece = getattr(function, "arguments", None) or ""
        first_id = call_id if state.id is None else None
        first_name = name if state.name is None else None
        state.id = state.id or call_id
        state.name = state.name or name
        if piece:
            state.arguments.append(piece)
        return ToolCallDelta(index, first_id, first_name, piece)

    def completion(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(self.content) if self.content else None,
            "refusal": "".join(self.refusal) if self.refusal else None,
        }
        if self.reasoning_field is not None:
            message[self.reasoning_field] = "".join(self.reasoning)
        if self.calls:
            message["tool_calls"] = [
                {
                    "id": state.id or f"call_{index}",
                    "type": state.type,
                    "function": {"name": state.name or "", "arguments": "".join(state.arguments)},
                }
                for index, state in sorted(self.calls.items())
            ]
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": self.system_fingerprint,
            "choices": [
                {"index": 0, "finish_reason": self.finish_reason, "message": message, "logprobs": None}
            ],
            "usage": self.usage,
        }


async def stream(client: Any, kwargs: dict[str, Any]) -> AsyncIterator[Delta | Turn]:
    """Stream one call: text/reasoning/tool-call deltas as chunks arrive, then one final Turn.

    Asks for `stream_options={"include_usage": True}` so the final Turn has token counts. The
    HTTP response is closed however the consumer stops (exhausted, `break`, cancelled).
    """
    options = {"include_usage": True, **(kwargs.get("stream_options") or {})}
    response = await client.chat.completions.create(
        **_body_as_extra({**kwargs, "stream": True, "stream_options": options}, messages=[])
    )
    accumulator = _Accumulator()
    try:
        async for chunk in response:
            for delta in accumulator.add(chunk):
                yield delta
    finally:
        await response.close()
    yield decode(accumulator.completion())


# ----------------------------------------------------------------------------------------- helpers


def wire_call_id(call_id: str) -> str:
    """A tool call id OpenAI accepts (at most 40 characters), stable so a call and its result still pair.

    Ids made by other dialects (e.g. Gemini ids we synthesise, or long vendor ids) may be too long.
    """
    if 0 < len(call_id) <= _MAX_ID_LENGTH and call_id.isprintable():
        return call_id
    return "call_" + hashlib.sha256(call_id.encode("utf-8")).hexdigest()[:24]


def image_placeholder(image: Image) -> str:
    """The text that stands in for an image a wire format cannot carry in a tool result."""
    size = f" {image.width}x{image.height}" if image.width and image.height else ""
    what = image.url if image.url is not None else f"{image.mime_type}{size}"
    return f"[image: {what} — this API cannot take images in tool results]"


# ----------------------------------------------------------------------------------- client

#: Path endings the SDK adds to its base URL: a door URL pasted with one is cut back to the base.
URL_SUFFIXES = ("/chat/completions", "/responses")
#: The connection pool the SDK builds for itself (connections, kept alive): agentkit's own httpx2
#: client for this door keeps the same.
POOL = (1000, 100)


def build_client(*, base_url: str, api_key: str, timeout: float, retries: int, headers: Mapping[str, str],
                 http_client: Any, asynchronous: bool) -> Any:
    """The official OpenAI client for the relay's OpenAI door.

    Everything is explicit, so the SDK's own variables cannot redirect it or swap the key:
    `OPENAI_BASE_URL`, and `OPENAI_CUSTOM_HEADERS`, whose `Authorization` line would replace the
    key's. The relay's own `headers=` win over all.
    """
    import openai

    cls = openai.AsyncOpenAI if asynchronous else openai.OpenAI
    return cls(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=retries,
               default_headers={"Authorization": f"Bearer {api_key}", **headers}, http_client=http_client)


def async_surface(client: Any) -> Any:
    """What the dialect's `create` / `stream` take, from the async client `build_client` made."""
    return client


def missing_door_advice(model: str) -> str:
    """Advice for a 404 on a model the relay lists in `/v1/models`."""
    return (f"The relay lists {model!r} in `/v1/models` but did not find it: it may have no channel for it "
            "right now; try again later, or another model.")
