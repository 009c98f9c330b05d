"""OpenAI Responses API (`client.responses.create`): items in, items out.

Why a dialect of its own: OpenAI's reasoning models keep their chain of thought in `reasoning`
output items that must be sent back (with the items that follow them) on the next turn, and only
this API carries them. The history is stateless here: every request sends the whole `input`; we
never rely on `previous_response_id`, which relays may not support.

Wire facts this module relies on (SDK_FACTS.md §2.2, §3.2, §4):

- Tools are flat (`{"type": "function", "name", "parameters", ...}`); calls are `function_call`
  items with `call_id` (pairs with `function_call_output`) and an item `id` (`fc_...`).
- A `reasoning` item is echoed as it came (id, summary, encrypted content) and only to this
  dialect; OpenAI rejects one that arrives "without its required following item", so the item
  after it goes back with its ids too (the `fc_` id on the call, the `msg_` id of a message, which
  we keep on the reasoning part because a neutral text part has nowhere to hold it).
- Images are `{"type": "input_image", "image_url": "<data: or https URL>", "detail": ...}` (a
  string, unlike Chat Completions), and may appear inside tool results.
- Files are `{"type": "input_file", "filename", "file_data": <data URL>}` or `{"type":
  "input_file", "file_url": ...}`, in user messages and tool results
  (https://developers.openai.com/api/docs/guides/file-inputs?api-mode=responses); plain text files
  go as text with their name. The Responses API takes no audio input, so audio raises before the
  request (`carries_file`).
- The stream ends with `response.completed` (or `.incomplete`) carrying the whole response, which
  goes through the same `decode` as a non-streaming answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, assert_never

from agentkit._filetypes import is_text_type
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

NAME = "responses"


# ------------------------------------------------------------------------------------------ schema

#: The `form=` values `Tool.to_schema` takes for this dialect (the first is the default): none.
TOOL_FORMS: tuple[str, ...] = ()
#: Whether a tool result can carry images here: a `function_call_output` takes input images.
TOOL_RESULT_IMAGES = True
#: The request parameter native structured output goes in (named when a relay rejects it).
NATIVE_OUTPUT_PARAMETER = "`text.format`"
#: The request fields that carry prompt-caching hints: a relay that refuses one (a 400 naming it)
#: gets the request again without hints (`agentkit.agent`).
CACHE_HINT_FIELDS: tuple[str, ...] = ("prompt_cache_key",)


def tool_schema(tool: Tool) -> dict[str, Any]:
    """The tools-list entry: flat `{"type": "function", "name", "description", "parameters", "strict"?}`."""
    return declaration(tool, NAME)  # built once per tool, shared (read-only)


def tool_parameters(
    canonical: JsonSchema, *, strict: bool, form: str | None, tool: str
) -> tuple[JsonSchema, str | None]:
    """The `parameters` a tool is shown with, and why strict mode cannot express it (`shared.strict_parameters`)."""
    return _strict_parameters(canonical, strict=strict)


def tool_declaration(
    name: str, description: str, parameters: JsonSchema, *, strict: bool, form: str | None
) -> dict[str, Any]:
    """A tools-list entry, flat: `strict` is always sent, since the API defaults it to true."""
    return {
        "type": "function",
        "name": name,
        "description": description,
        "parameters": parameters,
        "strict": strict,
    }


def shown_parameters(canonical: JsonSchema, *, strict: bool, form: str | None, tool: str) -> JsonSchema:
    """What a tool's arguments (or a structured answer) are validated against (`shared.strict_shown`)."""
    return _strict_shown(canonical, strict=strict)


def output_schema(schema: JsonSchema, *, strict: bool, name: str) -> tuple[JsonSchema, bool]:
    """The `text.format` schema, and whether it is sent strict (see `shared.strict_output`)."""
    return _strict_output(schema, strict=strict, name=name)


def output_mode(model: str, *, has_tools: bool) -> Literal["native", "tool"]:
    """How structured output is asked for first: natively (`text.format`), tools or not."""
    return "native"


# ----------------------------------------------------------------------------------------- history


def encode_history(history: Sequence[Message]) -> dict[str, Any]:
    """Neutral messages -> `{"input": [...]}` of Responses input items (system as a `system` message)."""
    _check_system(history)
    items: list[dict[str, Any]] = []
    for message in history:
        if message.role == "system":
            items.append({"role": "system", "content": message.text})
        elif message.role == "user":
            items.extend(_encode_user(message))
        elif message.role == "assistant":
            items.extend(_encode_assistant(message))
        elif message.role == "tool":
            for part in message.parts:
                if not isinstance(part, ToolResultPart):
                    raise ValueError(
                        f"A `tool` message can only hold tool results, but it holds {part!r}; "
                        "put other content in a user message."
                    )
                items.append(_encode_result(part))
        else:
            assert_never(message.role)
    return {"input": items}


def _input_image(image: Image) -> dict[str, Any]:
    return {"type": "input_image", "image_url": image.data_url, "detail": image.detail}


def _encode_user(message: Message) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            content.append({"type": "input_text", "text": part.text})
        elif isinstance(part, ImagePart):
            content.append(_input_image(part.image))
        elif isinstance(part, FilePart):
            content.append(_input_file(part.file))
        elif isinstance(part, ToolResultPart):
            results.append(_encode_result(part))  # tolerated: Anthropic-style histories
        elif isinstance(part, (ReasoningPart, ToolCallPart)):
            raise ValueError(
                f"A user message cannot hold {part!r}; reasoning and tool calls belong to assistant messages."
            )
        else:
            assert_never(part)
    if not content:
        return results or [{"role": "user", "content": ""}]
    if len(content) == 1 and content[0]["type"] == "input_text":
        return [*results, {"role": "user", "content": content[0]["text"]}]
    return [*results, {"role": "user", "content": content}]


def _encode_assistant(message: Message) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    texts: list[str] = []
    pending_message: dict[str, Any] | None = None  # ids of the message item after a reasoning item

    def flush() -> None:
        nonlocal pending_message
        if not texts:
            return
        text = "".join(texts)
        texts.clear()
        if pending_message is not None:
            items.append(
                {
                    "type": "message",
                    "role": "assistant",
                    **pending_message,
                    "content": [{"type": "output_text", "text": text, "annotations": []}],
                }
            )
        else:
            items.append({"role": "assistant", "content": text})
        pending_message = None

    for part in message.parts:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ReasoningPart):
            flush()
            item = part.extra.get("item")
            # Only reasoning items this API produced go back; they are opaque (encrypted) state.
            # Reasoning from another dialect has no item id and would be rejected, so it is dropped.
            if part.dialect == NAME and isinstance(item, Mapping):
                items.append(dict(item))
                following = part.extra.get("next")
                pending_message = dict(following) if isinstance(following, Mapping) else None
        elif isinstance(part, ToolCallPart):
            flush()
            pending_message = None
            call: dict[str, Any] = {
                "type": "function_call",
                "call_id": part.id,
                "name": part.name,
                "arguments": _arguments_text(part),
            }
            if part.dialect == NAME and part.extra.get("id"):
                call["id"] = part.extra["id"]
                if part.extra.get("status"):
                    call["status"] = part.extra["status"]
            items.append(call)
        elif isinstance(part, (ImagePart, FilePart)):
            raise ValueError(
                f"An assistant message cannot hold an image or file in the Responses API ({part!r}); "
                "put them in user messages."
            )
        elif isinstance(part, ToolResultPart):
            raise ValueError(
                f"An assistant message cannot hold a tool result ({part.call_id!r}); "
                "put tool results in a `tool` message after the call."
            )
        else:
            assert_never(part)
    flush()
    if not items:
        items.append({"role": "assistant", "content": ""})
    return items


def _encode_result(part: ToolResultPart) -> dict[str, Any]:
    output: str | list[dict[str, Any]]
    if all(isinstance(item, TextPart) for item in part.content):
        output = part.text
    else:
        output = []
        for item in part.content:
            if isinstance(item, TextPart):
                output.append({"type": "input_text", "text": item.text})
            elif isinstance(item, ImagePart):
                output.append(_input_image(item.image))
            elif isinstance(item, FilePart):
                output.append(_input_file(item.file) if carries_file(item.file, tool_result=True)
                              else {"type": "input_text", "text": _file_placeholder(item.file)})
            else:
                assert_never(item)
    return {"type": "function_call_output", "call_id": part.call_id, "output": output}


def carries_file(file: File, *, tool_result: bool = False) -> bool:
    """Whether a request can hold `file` (user message or tool result alike): documents and text, no audio or video."""
    return not (file.mime_type or "").startswith(("audio/", "video/"))


def _input_file(file: File) -> dict[str, Any]:
    """An `input_file` part for a document (a text file: its text, named)."""
    if not carries_file(file):
        raise _file_refused(file, NAME, "OpenAI Responses", "The Responses API takes documents, not audio or video; "
                            "use a model of one of those dialects.")
    if is_text_type(file.mime_type or "") and file.data is not None:
        return {"type": "input_text", "text": _file_text(file)}
    if file.url is not None:
        return {"type": "input_file", "file_url": file.url}
    return {"type": "input_file", "filename": file.filename, "file_data": file.data_url}


def _decode_input_file(block: Mapping[str, Any]) -> FilePart:
    data_url, url = _get(block, "file_data"), _get(block, "file_url")
    if isinstance(data_url, str) and data_url:
        return FilePart(_file_from_url(data_url, name=_get(block, "filename")))
    if isinstance(url, str) and url:
        return FilePart(_file_from_url(url, name=_get(block, "filename")))
    raise ValueError(
        f"The input file {block!r:.120} has neither `file_data` nor `file_url` (uploaded file ids are not "
        "supported); send the file as a `data:` URL in `file_data`, or a URL in `file_url`."
    )


def decode_history(data: Any) -> list[Message]:
    """Responses input items (or `{"input": [...], "instructions"?: ...}`) -> neutral messages.

    Consecutive assistant items (reasoning, message, function_call) form one assistant message,
    consecutive `function_call_output` items one `tool` message. `instructions` becomes a leading
    system message; a bare string input is one user message.
    """
    data = _as_dict(data)
    history: list[Message] = []
    if isinstance(data, Mapping):
        instructions = data.get("instructions") or data.get("system")
        if isinstance(instructions, str) and instructions:
            history.append(Message.system(instructions))
        if "input" in data:
            data = data["input"]
        elif "role" in data or "type" in data:
            data = [data]
        else:
            raise ValueError(
                f"Expected a list of Responses input items or `{{'input': [...]}}`; got keys {sorted(data)!r}."
            )
    if isinstance(data, str):
        return [*history, Message.user(data)]
    if not isinstance(data, Iterable) or isinstance(data, bytes):
        raise ValueError(
            f"Expected a list of Responses input items; got {type(data).__name__}: {data!r:.80}."
        )
    names: dict[str, str] = {}
    previous: dict[str, Any] | None = None
    for raw in data:
        item = _as_dict(raw)
        if not isinstance(item, Mapping):
            raise ValueError(f"A Responses input item must be a dict; got {item!r:.80}.")
        kind = item.get("type") or "message"
        role = item.get("role")
        if kind == "message" and role in ("system", "developer"):
            history.append(Message("system", [TextPart(_text_only(item.get("content"), role))]))
        elif kind == "message" and role == "user":
            history.append(Message("user", _decode_content(item.get("content"))))
        elif kind in ("message", "reasoning", "function_call"):
            if kind == "message" and role != "assistant":
                raise ValueError(
                    f"Unknown Responses message role {role!r} in {item!r:.120}; "
                    "expected system, developer, user or assistant."
                )
            if not history or history[-1].role != "assistant":
                history.append(Message("assistant", [], dialect=NAME))
            parts = history[-1].parts
            if kind == "message":
                _link_message(previous, parts, item)
                parts.extend(_decode_content(item.get("content")))
            else:
                parts.extend(_decode_item(item))
                if kind == "function_call":
                    names[str(_get(item, "call_id"))] = str(item.get("name", ""))
        elif kind == "function_call_output":
            call_id = str(_get(item, "call_id") or "")
            output = item.get("output")
            content = tuple(p for p in _decode_content(output) if isinstance(p, (TextPart, ImagePart, FilePart)))
            result = ToolResultPart(call_id, names.get(call_id, ""), content)
            if history and history[-1].role == "tool":
                history[-1].parts.append(result)
            else:
                history.append(Message("tool", [result]))
        else:
            raise ValueError(
                f"The Responses input item type {kind!r} is not supported by agentkit ({item!r:.120}); "
                "supported: messages, reasoning, function_call and function_call_output."
            )
        previous = dict(item)
    return history


def _link_message(previous: Mapping[str, Any] | None, parts: list[Part], item: Mapping[str, Any]) -> None:
    """Keep the ids of a message item that follows a reasoning item on that reasoning part."""
    if previous is None or previous.get("type") != "reasoning" or not item.get("id"):
        return
    if parts and isinstance(parts[-1], ReasoningPart):
        parts[-1].extra["next"] = _message_ids(item)


def _message_ids(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: item[key] for key in ("id", "status", "phase") if item.get(key) is not None}


def _text_only(content: Any, role: str) -> str:
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
        kind = block.get("type")
        if kind in ("input_text", "output_text", "text"):
            parts.append(TextPart(block.get("text", "")))
        elif kind == "refusal":
            parts.append(TextPart(block.get("refusal", "")))
        elif kind == "input_image":
            url = _get(block, "image_url")
            if not isinstance(url, str):
                raise ValueError(
                    f"The input image {block!r:.120} has no `image_url` (file ids are not supported); "
                    "pass a data: or https URL."
                )
            parts.append(ImagePart(_image_from_url(url, block.get("detail"))))
        elif kind == "input_file":
            parts.append(_decode_input_file(block))
        else:
            raise ValueError(
                f"The content part type {kind!r} is not supported by agentkit ({block!r:.120}); "
                "use input_text, input_image and input_file parts."
            )
    return parts


def _decode_item(item: Mapping[str, Any]) -> list[Part]:
    """A `reasoning` or `function_call` item -> its neutral part (the item kept for echoing)."""
    if item.get("type") == "reasoning":
        summary = [s.get("text", "") for s in item.get("summary") or ()]
        content = [c.get("text", "") for c in item.get("content") or ()]
        text = "\n\n".join(summary) if summary else "\n\n".join(content)
        return [ReasoningPart(text, dialect=NAME, extra={"item": dict(item)})]
    raw = item.get("arguments")
    extra: dict[str, Any] = {key: item[key] for key in ("id", "status") if item.get(key)}
    if isinstance(raw, str):
        extra["arguments"] = raw
    return [
        ToolCallPart(
            str(_get(item, "call_id") or item.get("id") or ""),
            str(item.get("name") or ""),
            _parse_arguments(raw),
            dialect=NAME,
            extra=extra,
        )
    ]


# ------------------------------------------------------------------------------------------ encode


def _tool_choice(choice: str | None, tools: Sequence[Tool]) -> Any:
    choice = check_tool_choice(choice, tools)
    if choice in (None, "auto", "none", "required"):
        return choice
    return {"type": "function", "name": choice}


def _text_format(output: OutputSpec) -> dict[str, Any]:
    return {
        "format": {
            "type": "json_schema",
            "name": output.name,
            "schema": output.schema,
            "strict": output.strict,
        }
    }


def encode(request: ModelRequest) -> dict[str, Any]:
    """The keyword arguments of `client.responses.create` (without `stream`).

    Neutral options: `temperature`, `top_p` keep their names; `max_tokens` becomes
    `max_output_tokens`; `reasoning` becomes `reasoning={"effort": ..., "summary": "auto"}` (a dict
    is sent as given); `stop` does not exist in this API and raises. Other options pass through.
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
        kwargs["text"] = _text_format(request.output)
    for key, value in request.options.items():
        if key == "max_tokens":
            if value is not None:
                kwargs["max_output_tokens"] = value
        elif key == "reasoning":
            if isinstance(value, Mapping):
                kwargs["reasoning"] = dict(value)
            elif (effort := _effort_of(value)) is not None:
                kwargs["reasoning"] = {"effort": effort, "summary": "auto"}
        elif key == "stop":
            if value:
                raise ValueError(
                    f"The Responses API has no `stop` option (got {value!r}); drop it, "
                    "or use the `openai` (Chat Completions) dialect, e.g. model 'openai:<name>'."
                )
        elif key == "stream":
            continue  # `stream()` sets it; `create()` must not stream
        else:
            kwargs[key] = value
    return kwargs


# ------------------------------------------------------------------------------------------ create


async def create(client: Any, kwargs: dict[str, Any]) -> Turn:
    """One non-streaming call through `AsyncOpenAI.responses`, decoded with `decode`."""
    response = await client.responses.create(**_body_as_extra(kwargs, "responses"))
    return decode(response)


# ------------------------------------------------------------------------------------------ decode


_INCOMPLETE: dict[str, FinishReason] = {"max_output_tokens": "length", "content_filter": "content_filter"}


def decode(response: Any) -> Turn:
    """A `Response` (or its JSON dict) -> Turn: the output items in order, as neutral parts.

    Finish reason: "tool_calls" when the model called a function, "refusal" when it refused,
    "length"/"content_filter" from `incomplete_details`, else "stop"; `raw_finish_reason` is the
    response `status` (or the incomplete reason).
    """
    from openai.types.responses import Response

    if isinstance(response, (str, bytes)) or response is None:  # the SDK hands back a body that is not JSON as text
        raise ValueError(f"The answer is not a JSON Responses object: {str(response)[:120]!r}")
    if isinstance(response, Mapping):
        response = Response.model_construct(**response)
    parts: list[Part] = []
    refusals: list[str] = []
    previous: Mapping[str, Any] | None = None
    for raw in getattr(response, "output", None) or ():
        item = _as_dict(raw)
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type")
        if kind in ("reasoning", "function_call"):
            parts.extend(_decode_item(item))
        elif kind == "message":
            _link_message(previous, parts, item)
            for block in item.get("content") or ():
                if block.get("type") == "output_text":
                    parts.append(TextPart(block.get("text", "")))
                elif block.get("type") == "refusal":
                    refusals.append(block.get("refusal", ""))
        # Hosted-tool items (web search, code interpreter, ...) are not part of the neutral model.
        previous = item
    usage = _usage(getattr(response, "usage", None))
    model = getattr(response, "model", None)
    status = getattr(response, "status", None)
    details = _as_dict(getattr(response, "incomplete_details", None)) or {}
    reason = details.get("reason") if isinstance(details, Mapping) else None
    refusal = "".join(refusals) or None
    finish: FinishReason
    if refusal:
        finish = "refusal"
    elif any(isinstance(p, ToolCallPart) for p in parts):
        finish = "tool_calls"
    elif status == "incomplete":
        finish = _INCOMPLETE.get(reason or "", "other")
    elif status in (None, "completed"):
        finish = "stop"
    else:
        finish = "other"
    message = Message("assistant", parts, model=model, dialect=NAME, usage=usage)
    return Turn(message, usage, finish, reason or status, refusal, model)


def _usage(usage: Any) -> Usage:
    """Neutral usage: `input_tokens` already counts the cached ones, `output_tokens` the reasoning."""
    data = _as_dict(usage)
    if not isinstance(data, Mapping):
        return Usage()
    inputs = data.get("input_tokens_details")
    outputs = data.get("output_tokens_details")
    inputs = inputs if isinstance(inputs, Mapping) else {}
    outputs = outputs if isinstance(outputs, Mapping) else {}
    return Usage(
        input_tokens=_count(data.get("input_tokens")),
        output_tokens=_count(data.get("output_tokens")),
        reasoning_tokens=_count(outputs.get("reasoning_tokens")),
        cached_tokens=_count(inputs.get("cached_tokens")),
        cache_write_tokens=_count(inputs.get("cache_write_tokens")),
    )


# ------------------------------------------------------------------------------------------ stream


def _stream_error(events: Any, message: str, code: Any) -> Exception:
    """An `openai.APIError` for an error event inside a 200 stream (`Relay.map_error` maps it)."""
    import openai

    body = {"message": message, "code": code}
    return openai.APIError(message, events.response.request, body=body)


async def stream(client: Any, kwargs: dict[str, Any]) -> AsyncIterator[Delta | Turn]:
    """Stream one call: text/reasoning/tool-call deltas as events arrive, then one final Turn.

    The final Turn decodes the `response.completed` (or `.incomplete`) event's response; if the
    stream ends without one, the items finished so far are decoded instead. `error` and
    `response.failed` events raise `openai.APIError`. The HTTP response is always closed.
    """
    events = await client.responses.create(**_body_as_extra({**kwargs, "stream": True}, "responses"))
    final: Any = None
    snapshot: Any = None  # the started response, turned into a dict only if the stream ends early
    done: dict[int, Any] = {}
    calls: dict[str, int] = {}
    try:
        async for event in events:
            kind = getattr(event, "type", None)
            if kind == "response.output_text.delta":
                if event.delta:
                    yield TextDelta(event.delta)
            elif kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
                if event.delta:
                    yield ReasoningDelta(event.delta)
            elif kind == "response.reasoning_summary_part.added":
                if getattr(event, "summary_index", 0):
                    yield ReasoningDelta("\n\n")  # decode joins summary parts the same way
            elif kind == "response.output_item.added":
                item = event.item
                if getattr(item, "type", None) == "function_call":
                    index = calls.setdefault(str(item.id or event.output_index), len(calls))
                    yield ToolCallDelta(index, item.call_id, item.name, item.arguments or "")
            elif kind == "response.function_call_arguments.delta":
                index = calls.setdefault(str(event.item_id or event.output_index), len(calls))
                if event.delta:
                    yield ToolCallDelta(index, arguments=event.delta)
            elif kind == "response.output_item.done":
                done[event.output_index] = event.item
            elif kind in ("response.created", "response.in_progress"):
                snapshot = event.response
            elif kind in ("response.completed", "response.incomplete"):
                final = event.response
            elif kind == "response.failed":
                error = _as_dict(getattr(event.response, "error", None)) or {}
                raise _stream_error(
                    events,
                    error.get("message") or "The response failed.",
                    error.get("code") or "server_error",
                )
            elif kind == "error":
                raise _stream_error(events, event.message, getattr(event, "code", None) or "server_error")
    finally:
        await events.close()
    if final is None or (not getattr(final, "output", None) and done):
        # No terminal event (or a proxy that strips its output): decode what was finished.
        started: dict[str, Any] = _as_dict(snapshot) if snapshot is not None else {}
        base = (
            _as_dict(final)
            if final is not None
            else {**started, "status": started.get("status", "incomplete")}
        )
        final = {**base, "output": [_as_dict(done[i]) for i in sorted(done)]}
    yield decode(final)


# ----------------------------------------------------------------------------------- client


def missing_door_advice(model: str) -> str:
    """Advice for a 404 on a model the relay lists in `/v1/models`."""
    return (f"The relay lists {model!r} in `/v1/models`, so it probably does not serve the Responses API: "
            f"use `{model}` (Chat Completions) instead of `responses:{model}`.")
