"""The Gemini dialect: `generateContent` through google-genai's async client (`client.aio`).

Wire facts this module is built around (see SDK_FACTS.md):

- Requests go out in Gemini's REST spelling (camelCase, standard base64), the one in Google's
  REST reference and in real traffic: `encode` writes the contents that way, and `create`/`stream`
  send them, with the system instruction, tools, tool config and generation options, in
  google-genai's documented `http_options.extra_body` (`_sdk_call` says why). The SDK still does
  transport, auth header, timeouts, retries, error classes and SSE parsing. Only public SDK names
  are used: documented parameters, public types and their pydantic methods.
- Tools are function declarations, and automatic function calling is switched off: the agent
  runs tools itself, with their ids.
- Gemini's function calls may carry no `id`. Calls then get stable made-up ids (marked
  `extra["gemini_synthetic_id"]` and never sent back), and `functionResponse` parts are ordered
  like the calls they answer and named after them, which is how Gemini pairs them.
- `thoughtSignature` (base64 on the wire, URL-safe when the SDK spells it) must go back on the
  very part it came on: a functionCall part (kept on `ToolCallPart.signature`), a thought part
  (`ReasoningPart.signature`), or an answer text part, possibly empty. A text part's signature is
  kept on an empty-text `ReasoningPart` placed just before that text, with
  `extra["gemini_signature_on"]` saying which kind of part it belongs to. Signatures are kept as
  standard base64 text and sent to Gemini only.
- Gemini 3 rejects replayed function calls without a signature (e.g. calls another vendor made);
  those get Google's documented `skip_thought_signature_validator` sentinel.
- Results go back as `{"functionResponse": {"id"?, "name", "response": {"output": ...}}}` (or
  `{"error": ...}`) in a `role: "user"` content; images in results travel as the response's
  `parts`. A result imported from Gemini (`decode_history`) goes back with the response object it
  came with (`{"result": ...}`, any keys), kept in `ToolResultPart.extra["gemini_response"]`.
- Files (https://ai.google.dev/gemini-api/docs/document-processing, /audio, /video) are
  `{"inlineData": {"mimeType", "data"}}` parts, or `{"fileData": {"mimeType", "fileUri"}}` for a
  URL: PDFs, audio (WAV, MP3 as Google's `audio/mp3`, AIFF, AAC, OGG, FLAC) and video. A plain text
  file goes as a text part with its name (Gemini reads non-PDF documents as plain text anyway).
  In tool results (`functionResponse.parts`, Gemini 3's multimodal function responses) PDFs and
  text travel as `inlineData`; other files become a placeholder in the response text.
- Answers are decoded by this module from their JSON: non-streaming ones from the HTTP body
  (`should_return_http_response`), streamed ones from the SDK's chunk objects gathered into the
  same JSON shape. A body of unexpected shape raises ValueError naming the field, which the
  agent reports as a malformed answer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, assert_never

from agentkit._filetypes import is_text_type
from agentkit.dialects.base import FinishReason, ModelRequest, Turn, check_tool_choice, declaration
from agentkit.dialects.shared import arguments_object as _arguments_object
from agentkit.dialects.shared import file_from_url as _file_from_url
from agentkit.dialects.shared import file_placeholder as _file_placeholder
from agentkit.dialects.shared import file_refused as _file_refused
from agentkit.dialects.shared import file_text as _file_text
from agentkit.dialects.shared import get as _get
from agentkit.dialects.shared import image_base64 as _image_base64
from agentkit.dialects.shared import plain as _plain
from agentkit.dialects.shared import system_from_wire as _system_from_wire
from agentkit.dialects.shared import system_text as _system_text
from agentkit.errors import ConfigurationError
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
    from agentkit._schema_dialects import GeminiForm
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

NAME = "gemini"

SIGNATURE_ON = "gemini_signature_on"
"""`ReasoningPart.extra` key: the signature sat on the following answer text ("text") or on an empty
text part ("empty_text"), not on a thought."""
SYNTHETIC_ID = "gemini_synthetic_id"
"""`ToolCallPart.extra` key: Gemini sent no id; agentkit made this one up (not sent back)."""
SKIP_SIGNATURE = "skip_thought_signature_validator"
"""Google's documented stand-in signature for function calls Gemini did not make."""
RESPONSE = "gemini_response"
"""`ToolResultPart.extra` key: the `functionResponse.response` object an imported history held, sent
back as it was (while the result's text still reads from it) instead of `{"output": text}`."""

#: Thinking budgets for the neutral effort names.
_EFFORT_BUDGET = {"minimal": 512, "low": 1024, "medium": 8192, "high": 24_576}
_TOOL_CHOICE = {"auto": "AUTO", "required": "ANY", "none": "NONE"}
_CONTENT_FILTER = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
        "MODEL_ARMOR",
    }
)
_TEXT_KEYS = frozenset({"text", "thought", "thoughtSignature"})
#: Part fields whose values are plain scalars (a part with only these is read without `model_dump`).
_SCALAR_TEXT_KEYS = frozenset({"text", "thought"})


# ----------------------------------------------------------------------------------- schema

#: The `form=` values `Tool.to_schema` takes for this dialect, the default first: `parameters_json_schema`
#: ("json"), or the OpenAPI-subset `parameters` ("parameters") for relays that do not pass the former through.
TOOL_FORMS: tuple[str, ...] = ("json", "parameters")
#: Whether a tool result can carry images here: `FunctionResponse.parts` take images (Gemini 3 models).
TOOL_RESULT_IMAGES = True
#: The request parameter native structured output goes in (named when a relay rejects it).
NATIVE_OUTPUT_PARAMETER = "`response_json_schema`"
#: The request fields that carry prompt-caching hints: a relay that refuses one (a 400 naming it)
#: gets the request again without hints (`agentkit.agent`).
CACHE_HINT_FIELDS: tuple[str, ...] = ()


def tool_schema(tool: Tool) -> dict[str, Any]:
    """One function declaration (`{"name", "description", "parameters_json_schema"}`), built by the tool."""
    return declaration(tool, NAME)  # built once per tool, shared (read-only)


def tool_parameters(
    canonical: JsonSchema, *, strict: bool, form: str | None, tool: str
) -> tuple[JsonSchema, str | None]:
    """What a declaration shows: `parameters_json_schema` (form "json", the default) or the OpenAPI
    `parameters` (form "parameters"; ConfigurationError for a recursive type, naming `tool`)."""
    from agentkit import _schema_dialects

    return _schema_dialects.gemini_parameters(canonical, form=_form(form), tool=tool), None


def tool_declaration(
    name: str, description: str, parameters: JsonSchema, *, strict: bool, form: str | None
) -> dict[str, Any]:
    """A function declaration (`google.genai.types.FunctionDeclaration` as a dict)."""
    key = "parameters_json_schema" if _form(form) == "json" else "parameters"
    return {"name": name, "description": description, key: parameters}


def shown_parameters(canonical: JsonSchema, *, strict: bool, form: str | None, tool: str) -> JsonSchema:
    """What a tool's arguments (or a structured answer) are validated against: the form shown, as JSON Schema."""
    from agentkit import _schema_dialects

    return _schema_dialects.gemini_validation_schema(canonical, form=_form(form), tool=tool)


def output_schema(schema: JsonSchema, *, strict: bool, name: str) -> tuple[JsonSchema, bool]:
    """The `response_json_schema`: the schema within Gemini's documented subset, never strict (no such flag)."""
    from agentkit import _schema_dialects

    return _schema_dialects.gemini_json_schema(schema), False


def output_mode(model: str, *, has_tools: bool) -> Literal["native", "tool"]:
    """How structured output is asked for first: `response_json_schema`, except with tools before
    Gemini 3, which rejects function declarations together with a response schema."""
    return "tool" if has_tools and not _gemini_3_or_later(model) else "native"


def _form(form: str | None) -> GeminiForm:
    if form is None or form == "json":
        return "json"
    if form == "parameters":
        return "parameters"
    raise ConfigurationError(f"The Gemini schema form must be 'json' or 'parameters'; got {form!r}.")


def _gemini_3_or_later(model: str) -> bool:
    match = re.search(r"gemini-(\d+)", model.lower())
    return match is not None and int(match.group(1)) >= 3


# ---------------------------------------------------------------------------------- history


def encode_history(history: Sequence[Message]) -> dict[str, Any]:
    """Neutral messages -> `{"systemInstruction"?: {...}, "contents": [...]}` (Gemini's REST spelling).

    System messages join into `systemInstruction`. Tool results that follow one assistant turn go
    in one user content, ordered like that turn's calls and named after them; Gemini pairs calls
    and responses by position and name, and wants as many responses as calls.
    """
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    calls: list[ToolCallPart] = []  # the calls of the latest assistant turn (one or more messages)
    results: list[ToolResultPart] = []
    after_assistant = False

    def flush_results() -> None:
        if results:
            contents.append({"role": "user", "parts": _function_responses(results, calls)})
            results.clear()

    for message in history:
        if message.role == "system":
            system.append(_system_text(message, vendor="Gemini"))
        elif message.role == "assistant":
            flush_results()
            parts = _model_parts(message)
            if parts:
                contents.append({"role": "model", "parts": parts})
            calls = [*calls, *message.tool_calls] if after_assistant else message.tool_calls
            after_assistant = True
        else:
            after_assistant = False
            results.extend(p for p in message.parts if isinstance(p, ToolResultPart))
            parts = _user_parts(message)
            if parts:
                flush_results()
                contents.append({"role": "user", "parts": parts})
    flush_results()
    fragment: dict[str, Any] = {}
    if any(system):
        fragment["systemInstruction"] = {"parts": [{"text": "\n\n".join(t for t in system if t)}]}
    fragment["contents"] = contents
    return fragment


def _model_parts(message: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    parts = message.parts
    skip_next = False
    for index, part in enumerate(parts):
        if skip_next:
            skip_next = False
            continue
        if isinstance(part, TextPart):
            if part.text:
                out.append({"text": part.text})
        elif isinstance(part, ReasoningPart):
            if part.dialect != NAME:
                continue  # another vendor's reasoning: never sent, signed or not
            where = part.extra.get(SIGNATURE_ON)
            if where and part.signature:
                following = parts[index + 1] if index + 1 < len(parts) else None
                if where == "text" and isinstance(following, TextPart):
                    out.append({"text": following.text, "thoughtSignature": part.signature})
                    skip_next = True
                else:
                    out.append({"text": "", "thoughtSignature": part.signature})
            elif part.text or part.signature:
                thought: dict[str, Any] = {"text": part.text, "thought": True}
                if part.signature:
                    thought["thoughtSignature"] = part.signature
                out.append(thought)
        elif isinstance(part, ToolCallPart):
            call: dict[str, Any] = {"name": part.name, "args": _arguments_object(part)}
            if not part.extra.get(SYNTHETIC_ID):
                call["id"] = part.id
            entry: dict[str, Any] = {"functionCall": call}
            if part.signature and part.dialect == NAME:
                entry["thoughtSignature"] = part.signature
            out.append(entry)
        elif isinstance(part, ImagePart):
            out.append(_image_part(part.image))
        elif isinstance(part, FilePart):
            out.append(_file_part(part.file))
        elif isinstance(part, ToolResultPart):
            raise ValueError(
                f"The tool result for call {part.call_id!r} sits in an assistant message; "
                "put tool results in a `tool` message after the assistant's tool calls."
            )
        else:
            assert_never(part)
    return out


def _user_parts(message: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            if part.text:
                out.append({"text": part.text})
        elif isinstance(part, ImagePart):
            out.append(_image_part(part.image))
        elif isinstance(part, FilePart):
            out.append(_file_part(part.file))
        elif isinstance(part, ToolResultPart):
            pass  # collected by the caller and sent as functionResponse parts
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
    return out


def _image_part(image: Image) -> dict[str, Any]:
    if image.url is not None and not image.url.startswith("data:"):
        return {"fileData": {"mimeType": image.mime_type, "fileUri": image.url}}
    mime_type, data = _image_base64(image)
    return {"inlineData": {"mimeType": mime_type, "data": data}}


#: The file types Gemini takes as `inlineData`/`fileData`, with Google's own spelling where it differs.
_FILE_TYPES = {
    "application/pdf": "application/pdf",
    "audio/wav": "audio/wav",
    "audio/mpeg": "audio/mp3",
    "audio/aiff": "audio/aiff",
    "audio/aac": "audio/aac",
    "audio/ogg": "audio/ogg",
    "audio/flac": "audio/flac",
    "video/mp4": "video/mp4",
    "video/quicktime": "video/mov",
    "video/webm": "video/webm",
}
#: The file types a functionResponse's `parts` take (Gemini 3 multimodal function responses).
_RESULT_FILE_TYPES = frozenset({"application/pdf", "text/plain"})


def carries_file(file: File, *, tool_result: bool = False) -> bool:
    """Whether a request can hold `file`: in a user turn PDFs, audio, video and text; in a tool result PDFs and text."""
    mime = file.mime_type or ""
    if tool_result:
        return mime in _RESULT_FILE_TYPES or (is_text_type(mime) and file.data is not None)
    return mime in _FILE_TYPES or is_text_type(mime)


def _file_part(file: File, *, as_text: bool = True) -> dict[str, Any]:
    """The part for a file: a named text part for text (unless `as_text` is False), else inlineData/fileData."""
    if not carries_file(file):
        raise _file_refused(file, NAME, "Gemini", "Gemini takes PDFs, text, audio (WAV, MP3, AIFF, AAC, OGG, "
                            "FLAC) and video; convert the file, or use a model of one of those dialects.")
    mime = file.mime_type or ""
    if is_text_type(mime) and file.data is not None:
        if as_text:
            return {"text": _file_text(file)}
        mime = "text/plain"
    wire_type = _FILE_TYPES.get(mime, mime)
    if file.url is not None:
        return {"fileData": {"mimeType": wire_type, "fileUri": file.url}}
    return {"inlineData": {"mimeType": wire_type, "data": file.base64}}


def _function_responses(results: list[ToolResultPart], calls: list[ToolCallPart]) -> list[dict[str, Any]]:
    """functionResponse parts in the order of the calls they answer: by id, then by name and position."""
    pending = list(results)
    answers: list[ToolResultPart | None] = []
    for call in calls:
        match = next((r for r in pending if r.call_id == call.id), None)
        if match is not None:
            pending.remove(match)
        answers.append(match)
    for result in list(pending):  # an id that matches no call: the first unanswered call of that name
        slot = next((i for i, c in enumerate(calls) if answers[i] is None and c.name == result.name), None)
        if slot is not None:
            answers[slot] = result
            pending.remove(result)
    out = [
        _function_response(call, answer)
        for call, answer in zip(calls, answers, strict=True)
        if answer is not None
    ]
    out.extend(_function_response(None, result) for result in pending)
    return out


def _function_response(call: ToolCallPart | None, result: ToolResultPart) -> dict[str, Any]:
    response: dict[str, Any] = {"name": call.name if call is not None else result.name}
    if call is not None and not call.extra.get(SYNTHETIC_ID):
        response["id"] = call.id
    native = result.extra.get(RESPONSE)
    files = [p.file for p in result.content if isinstance(p, FilePart)]
    refused = "".join(_file_placeholder(f) for f in files if not carries_file(f, tool_result=True))
    if native is not None and not refused and _response_text(native) == (result.text, result.is_error):
        response["response"] = native  # as imported: `{"result": ...}`, several keys, nested objects
    else:
        response["response"] = {"error" if result.is_error else "output": result.text + refused}
    images = [
        _image_part(p.image) if isinstance(p, ImagePart) else _file_part(p.file, as_text=False)
        for p in result.content
        if isinstance(p, ImagePart) or (isinstance(p, FilePart) and carries_file(p.file, tool_result=True))
    ]
    if images:
        response["parts"] = images
    return {"functionResponse": response}


def decode_history(data: Any) -> list[Message]:
    """Gemini contents (a list, or a fragment with `contents` and `systemInstruction`) -> neutral.

    Tolerates camelCase and snake_case keys, SDK pydantic objects, URL-safe or standard base64, and
    the `generate_content` keyword arguments themselves (system instruction inside `config`).
    functionResponse parts without an id are paired with the previous model turn's calls by
    position and name.
    """
    data = _plain(data)
    system: Any = None
    if isinstance(data, dict) and "contents" in data:
        items = data["contents"]
        system = _get(data, "system_instruction")
        config = _plain(data.get("config"))
        if system is None and isinstance(config, dict):
            system = _get(config, "system_instruction")
    elif isinstance(data, dict) and "parts" in data:
        items = [data]
    elif isinstance(data, list | tuple):
        items = list(data)
    else:
        raise ValueError(
            f"Expected Gemini contents (a list, or a dict with `contents`), got {type(data).__name__}: "
            f"{str(data)[:80]!r}."
        )
    if isinstance(items, dict | str) or hasattr(items, "model_dump"):
        items = [items]
    history: list[Message] = []
    if system:
        history.append(Message.system(_system_from_wire(system)))
    calls: list[ToolCallPart] = []  # the calls of the latest model turn (one or more contents)
    unanswered: list[ToolCallPart] = []  # those of them no functionResponse answered yet
    after_model = False
    for position, raw in enumerate(items):
        content = _plain(raw)
        if isinstance(content, str):
            content = {"role": "user", "parts": [{"text": content}]}
        role = content.get("role") or "user"
        parts = [_plain(p) for p in content.get("parts") or ()]
        parts = [{"text": p} if isinstance(p, str) else p for p in parts]
        if role == "model":
            seed = f"{position}:{_digest(parts)}"
            decoded = _decode_model_parts(parts, seed)
            new_calls = [p for p in decoded if isinstance(p, ToolCallPart)]
            calls = [*calls, *new_calls] if after_model else new_calls
            unanswered = list(calls)
            after_model = True
            history.append(Message("assistant", decoded, dialect=NAME))
        elif role in ("user", "function", "tool"):
            after_model = False
            history.extend(_decode_user_content(parts, unanswered))
        else:
            raise ValueError(f"Unknown Gemini content role {role!r}; expected 'user' or 'model'.")
    return history


def _b64_bytes(value: Any, name: str) -> bytes:
    """Bytes of base64 text in either alphabet, padded or not (the SDK sends URL-safe); bytes as they are."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    text = "".join(_typed(value, str, name).split()).rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error:
        raise ValueError(f"Gemini's `{name}` is {value!r:.80}, which is not base64.") from None


def _b64_text(value: Any, name: str = "thoughtSignature") -> str:
    """Standard base64 text, the form agentkit keeps signatures in (and sends back)."""
    return base64.b64encode(_b64_bytes(value, name)).decode("ascii")


_KINDS = {dict: "an object", list: "a list", str: "a string", int: "an integer", bool: "true or false"}


def _typed(value: Any, kind: type, name: str) -> Any:
    """`value` if it is None or exactly of `kind` (as JSON decodes it), else a ValueError naming the field.

    Why: an answer of unexpected shape must fail as unreadable (the agent reports a malformed
    answer and may retry), not turn into a wrong Turn or a TypeError deep in the decoder.
    """
    if value is None or type(value) is kind:
        return value
    raise ValueError(f"Gemini's `{name}` is {value!r:.80}, which is not {_KINDS[kind]}.")


def _digest(value: Any) -> str:
    text = json.dumps(
        value, sort_keys=True, default=lambda v: _b64_text(v) if isinstance(v, bytes) else str(v)
    )
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def _call_id(index: int, name: str, seed: str) -> str:
    """A stable id for a call Gemini sent without one: its position, its name, and the response."""
    safe = re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:40]
    return f"call_{index}_{safe}_{hashlib.sha1(seed.encode()).hexdigest()[:8]}"


def _decode_model_parts(parts: list[Any], seed: str) -> list[Part]:
    """Model parts (plain dicts, either spelling) -> neutral parts, signatures kept on their part.

    Part kinds agentkit does not ask for (executable code, ...) are skipped; a field it reads
    with the wrong type raises ValueError (`_typed`).
    """
    out: list[Part] = []
    call_index = 0
    for part in parts:
        part = _typed(part, dict, "part")
        raw_signature = _get(part, "thought_signature")
        signature = _b64_text(raw_signature) if raw_signature else None
        function_call = _typed(_plain(_get(part, "function_call")), dict, "functionCall")
        text = _typed(part.get("text"), str, "text")
        if function_call is not None:
            name = _typed(function_call.get("name"), str, "functionCall.name") or ""
            call_id = _typed(function_call.get("id"), str, "functionCall.id")
            args = _typed(function_call.get("args"), dict, "functionCall.args")
            extra: dict[str, Any] = {}
            if not call_id:
                call_id, extra = _call_id(call_index, name, seed), {SYNTHETIC_ID: True}
            out.append(ToolCallPart(call_id, name, dict(args or {}), signature, NAME, extra))
            call_index += 1
        elif text is not None and _typed(part.get("thought"), bool, "thought"):
            out.append(ReasoningPart(text, signature=signature, dialect=NAME))
        elif text is not None:
            if signature:
                where = "text" if text else "empty_text"
                out.append(ReasoningPart("", signature=signature, dialect=NAME, extra={SIGNATURE_ON: where}))
            if text:
                out.append(TextPart(text))
        elif (image := _wire_image(part)) is not None:
            out.append(image)
        elif signature:  # a signature-only part: keep it where it was
            out.append(
                ReasoningPart("", signature=signature, dialect=NAME, extra={SIGNATURE_ON: "empty_text"})
            )
    return out


def _wire_image(part: dict[str, Any]) -> ImagePart | FilePart | None:
    """An `inlineData` or `fileData` part (either spelling) -> ImagePart, or FilePart for a non-image
    type (PDF, audio...); None for any other part."""
    inline = _typed(_plain(_get(part, "inline_data")), dict, "inlineData")
    if inline is not None:
        data = _b64_bytes(_get(inline, "data") or b"", "inlineData.data")
        mime_type = _get(inline, "mime_type") or "image/png"
        if not mime_type.startswith("image/"):
            return FilePart(File(data, mime_type=mime_type))
        return ImagePart(Image(data=data, mime_type=mime_type))
    file_data = _typed(_plain(_get(part, "file_data")), dict, "fileData")
    if file_data is not None:
        mime_type = _get(file_data, "mime_type") or "image/png"
        if not mime_type.startswith("image/"):
            return FilePart(_file_from_url(_get(file_data, "file_uri"), mime_type=mime_type))
        return ImagePart(Image(url=_get(file_data, "file_uri"), mime_type=mime_type))
    return None


def _decode_user_content(parts: list[dict[str, Any]], unanswered: list[ToolCallPart]) -> list[Message]:
    """A user content -> a `tool` message for its functionResponse parts, `user` messages for the rest.

    Each functionResponse answers the unanswered call with its id, else the first unanswered call
    with its name (position among same-named calls); answered calls leave `unanswered`.
    """
    messages: list[Message] = []
    for position, part in enumerate(parts):
        part = _typed(part, dict, "part")
        response = _typed(_plain(_get(part, "function_response")), dict, "functionResponse")
        if response is None:
            decoded = _decode_user_part(part)
            if decoded is None:
                continue
            if messages and messages[-1].role == "user":
                messages[-1].parts.append(decoded)
            else:
                messages.append(Message("user", [decoded]))
            continue
        name = response.get("name") or ""
        response_id = response.get("id")
        call = next((c for c in unanswered if response_id and c.id == response_id), None)
        call = call or next((c for c in unanswered if c.name == name), None)
        if call is not None:
            unanswered.remove(call)
        call_id = call.id if call is not None else (response_id or _call_id(position, name, "unanswered"))
        body = _typed(_plain(response.get("response")), dict, "functionResponse.response") or {}
        text, is_error = _response_text(body)
        content: list[TextPart | ImagePart | FilePart] = [TextPart(text)] if text else []
        for item in response.get("parts") or ():
            decoded = _decode_user_part(_plain(item))
            if decoded is not None:
                content.append(decoded)
        extra = {RESPONSE: body} if body else {}
        result = ToolResultPart(call_id, name, tuple(content), is_error, extra)
        if messages and messages[-1].role == "tool":
            messages[-1].parts.append(result)
        else:
            messages.append(Message("tool", [result]))
    return messages


def _response_text(response: dict[str, Any]) -> tuple[str, bool]:
    """functionResponse.response -> (text, is_error): `{"output"|"error"|any single key: value}` or the JSON."""
    if len(response) == 1:
        key, value = next(iter(response.items()))
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return text, key == "error"
    return (json.dumps(response, ensure_ascii=False) if response else ""), False


def _decode_user_part(part: Any) -> TextPart | ImagePart | FilePart | None:
    part = _typed(part, dict, "part")
    text = _typed(part.get("text"), str, "text")
    if text is not None:
        return TextPart(text) if text else None
    image = _wire_image(part)
    if image is not None:
        return image
    raise ValueError(
        f"Gemini user part {part!r:.200} is not supported by agentkit's neutral history "
        "(text, inlineData, fileData and functionResponse are)."
    )


# ----------------------------------------------------------------------------------- encode


def encode(request: ModelRequest) -> dict[str, Any]:
    """The keyword arguments of `client.models.generate_content`: model, contents and a `config` dict.

    The contents are in Gemini's REST spelling, the config in the SDK's parameter names (what a
    raw SDK user writes; `_sdk_call` decides what of it travels in REST spelling).

    Neutral options: `temperature`, `top_p`, `top_k`, `max_tokens` (-> `max_output_tokens`), `stop`
    (-> `stop_sequences`), `reasoning` (True, an effort name, a token budget, or a raw
    `thinking_config` dict). `parallel_tool_calls` has no Gemini equivalent and is ignored. Other
    keys go into `config` unchanged (`safety_settings`, `seed`, `response_modalities`, ...), and a
    `config` option is merged in as-is.
    """
    fragment = encode_history(request.history)
    contents = fragment["contents"]
    if not contents:
        raise ValueError(
            "The history has no user or assistant message, and Gemini needs at least one content; "
            "add a user message."
        )
    if _gemini_3_or_later(request.model):
        _sign_unsigned_calls(contents)
    options = dict(request.options)
    config: dict[str, Any] = dict(options.pop("config", None) or {})
    if "systemInstruction" in fragment:
        config["system_instruction"] = fragment["systemInstruction"]
    for neutral, own in (("temperature", "temperature"), ("top_p", "top_p"), ("top_k", "top_k")):
        value = options.pop(neutral, None)
        if value is not None:
            config[own] = value
    max_tokens = options.pop("max_tokens", None)
    if max_tokens is not None:
        config["max_output_tokens"] = max_tokens
    stop = options.pop("stop", None)
    if stop:
        config["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    thinking = _thinking(options.pop("reasoning", None))
    if thinking is not None:
        config["thinking_config"] = thinking
    options.pop("parallel_tool_calls", None)
    if request.tools:
        config["tools"] = [{"function_declarations": [tool_schema(tool) for tool in request.tools]}]
    config["automatic_function_calling"] = {"disable": True}
    tool_config = _tool_config(request)
    if tool_config is not None:
        config["tool_config"] = tool_config
    if request.output is not None:
        config["response_mime_type"] = "application/json"
        config["response_json_schema"] = request.output.schema
    config.update(options)
    return {"model": request.model, "contents": contents, "config": config}


def _sign_unsigned_calls(contents: list[dict[str, Any]]) -> None:
    """Give the first call of each model turn whose calls carry no signature Google's stand-in one."""
    for content in contents:
        if content["role"] != "model":
            continue
        calls = [part for part in content["parts"] if "functionCall" in part]
        if calls and not any("thoughtSignature" in part for part in calls):
            calls[0]["thoughtSignature"] = SKIP_SIGNATURE


def _thinking(reasoning: Any) -> dict[str, Any] | None:
    if reasoning is None or reasoning is False:
        return None
    if isinstance(reasoning, dict):
        return dict(reasoning)
    if reasoning is True:
        return {"include_thoughts": True}
    if isinstance(reasoning, str) and reasoning in _EFFORT_BUDGET:
        return {"include_thoughts": True, "thinking_budget": _EFFORT_BUDGET[reasoning]}
    if isinstance(reasoning, int) and reasoning >= 0:
        return {"include_thoughts": reasoning > 0, "thinking_budget": reasoning}
    raise ValueError(
        f"`reasoning={reasoning!r}` is not understood; use True, 'low', 'medium', 'high', a token budget "
        "(int >= 0; 0 turns thinking off where the model allows) or a raw Gemini `thinking_config` dict."
    )


def _tool_config(request: ModelRequest) -> dict[str, Any] | None:
    choice = check_tool_choice(request.tool_choice, request.tools)
    if choice is None:
        return None
    if choice in _TOOL_CHOICE:
        return {"function_calling_config": {"mode": _TOOL_CHOICE[choice]}}
    return {"function_calling_config": {"mode": "ANY", "allowed_function_names": [choice]}}


# ----------------------------------------------------------------------------------- create


_PLACEHOLDER = "."
"""The `contents` google-genai is given to build; the REST contents in `extra_body` replace them."""
#: `config` keys sent as `generationConfig`: checked and spelled by google-genai's public `GenerationConfig`.
_GENERATION = frozenset(
    {
        "temperature",
        "top_p",
        "top_k",
        "max_output_tokens",
        "stop_sequences",
        "thinking_config",
        "response_mime_type",
        "response_json_schema",
        "seed",
        "candidate_count",
        "presence_penalty",
        "frequency_penalty",
    }
)


def _sdk_call(kwargs: dict[str, Any], *, raw_answer: bool, token: str | None = None) -> dict[str, Any]:
    """The `generate_content(_stream)` arguments that send `encode`'s request in Gemini's REST spelling.

    The body agentkit builds travels in the documented `http_options.extra_body`, which google-genai
    merges into the request it built itself (objects key by key, lists replaced): the SDK builds
    only a placeholder `contents` (replaced) and an empty `generationConfig` (filled). Why: the
    SDK's own spelling of nested objects is snake_case (`parameters_json_schema`, `inline_data`),
    which relays reading the REST spelling drop, and converting contents and config costs it
    ~0.5 ms a call, growing with the history. Generation options and tool config (and tools that
    `tool_schema` did not make) go through the SDK's public types (`model_dump(by_alias=True)` is
    the REST spelling), so a bad value (`temperature="hot"`) is still refused before sending.
    Other config keys (a user's own SDK options: `safety_settings`, `http_options`, ...) stay in
    `config` for the SDK to check and spell; none of them builds a key agentkit sends.
    `raw_answer`: the SDK hands back the HTTP body (`create`). `token`: a continuation hop's
    `continuationToken`, sent as received.
    """
    from google.genai import types

    config = dict(kwargs.get("config") or {})
    body: dict[str, Any] = {"contents": kwargs["contents"]}
    if type(config.get("system_instruction")) is dict:  # `encode` writes it in REST spelling
        body["systemInstruction"] = config.pop("system_instruction")
    tools = config.get("tools")
    if type(tools) is list and all(type(tool) is dict for tool in tools):
        body["tools"] = [_rest_tool(tool) for tool in config.pop("tools")]
    if type(config.get("tool_config")) is dict:
        body["toolConfig"] = _rest(types.ToolConfig, config.pop("tool_config"))
    generation = {key: config.pop(key) for key in _GENERATION & config.keys()}
    if generation:
        body["generationConfig"] = _rest(types.GenerationConfig, generation)
    if token is not None:
        body["continuationToken"] = token
    if raw_answer:
        config["should_return_http_response"] = True
    http = config.get("http_options")
    if http is not None:  # the caller's own (a timeout, headers, extra_body): theirs win
        http = dict(http)
        body = _overlay(body, http.get("extra_body"))
    config["http_options"] = {**(http or {}), "extra_body": body}
    return {"model": kwargs["model"], "contents": _PLACEHOLDER, "config": config}


#: The keys of the function declarations `tool_schema` makes, and their REST spelling.
_DECLARATION_KEYS = {
    "name": "name",
    "description": "description",
    "parameters_json_schema": "parametersJsonSchema",
    "response_json_schema": "responseJsonSchema",
}


def _rest_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """A `tools` entry in REST spelling.

    The declarations agentkit builds (`tool_schema`: JSON Schema, sent as it is) are renamed key by
    key, which costs ~1 µs where google-genai's `Tool` type costs ~20 µs a turn; any other entry
    (the OpenAPI `parameters` form, a built-in tool) goes through that type.
    """
    declarations = tool.get("function_declarations")
    if (
        tool.keys() == {"function_declarations"}
        and type(declarations) is list
        and all(type(d) is dict and d.keys() <= _DECLARATION_KEYS.keys() for d in declarations)
    ):
        return {
            "functionDeclarations": [{_DECLARATION_KEYS[k]: v for k, v in d.items()} for d in declarations]
        }
    from google.genai import types

    return _rest(types.Tool, tool)


def _rest(kind: Any, value: Any) -> dict[str, Any]:
    """`value` checked by one of google-genai's public types, in REST spelling (camelCase, enums by name)."""
    dumped: dict[str, Any] = _dump(kind.model_validate(value))
    return dumped


def _overlay(body: dict[str, Any], extra: Any) -> dict[str, Any]:
    """`body` with `extra`'s keys laid over it, object by object (how google-genai merges `extra_body`)."""
    if not isinstance(extra, dict):
        return body
    out = dict(body)
    for key, value in extra.items():
        out[key] = _overlay(out[key], value) if isinstance(out.get(key), dict) else value
    return out


async def create(client: Any, kwargs: dict[str, Any]) -> Turn:
    """One non-streaming `generate_content` call on the `client.aio` object, decoded from its JSON body.

    Why the HTTP body (`should_return_http_response`): `decode` reads the JSON itself, in ~10-70 µs,
    where the SDK's build of its response object costs ~0.2-0.5 ms a turn, and one decoder serves
    every source of an answer. It also means the SDK no longer follows a `continuationToken` (an
    answer cut short, finish reason CONTINUATION or none): that is done here, unless the caller
    passed `automatic_continuation=False`. Each hop resends the request with the token, and the
    hops make one answer as google-genai would merge them: every hop's parts in order, token
    counts summed, the rest from the last hop.
    """
    body = await _answer(client, kwargs, None)
    automatic = (kwargs.get("config") or {}).get("automatic_continuation")
    if automatic is not None and not automatic:
        return _decode_body(body)
    hops = [body]
    sent: set[str] = set()
    while (token := _continuation(hops[-1])) is not None and token not in sent:  # a repeated token: stop
        sent.add(token)
        hops.append(await _answer(client, kwargs, token))
    return _decode_body(body if len(hops) == 1 else _merge(hops))


async def _answer(client: Any, kwargs: dict[str, Any], token: str | None) -> Any:
    response = await client.models.generate_content(**_sdk_call(kwargs, raw_answer=True, token=token))
    return _json_body(response)


def _continuation(body: Any) -> str | None:
    """The token to resume a cut-short answer with, or None (the answer is whole, or not an object)."""
    candidates = body.get("candidates") if type(body) is dict else None
    first = candidates[0] if type(candidates) is list and candidates else None
    if type(first) is not dict or first.get("finishReason") not in (None, "CONTINUATION"):
        return None
    token = first.get("continuationToken")
    return token if type(token) is str and token else None


def _merge(hops: list[Any]) -> Any:
    """The answer the hops of a continued one make together (see `create`)."""
    last = hops[-1]
    if type(last) is not dict:
        return last  # `_decode_body` says what is wrong with it
    usage: dict[str, Any] = {}
    for hop in hops:
        for key, count in (_typed(hop.get("usageMetadata"), dict, "usageMetadata") or {}).items():
            if type(count) is int:
                usage[key] = usage.get(key, 0) + count
    parts = [part for hop in hops for part in _parts(_candidate(hop))]
    candidate = {**(_candidate(last) or {}), "content": {"role": "model", "parts": parts}}
    return {**last, "candidates": [candidate], "usageMetadata": usage}


# ----------------------------------------------------------------------------------- decode


def decode(response: Any) -> Turn:
    """A generateContent answer -> Turn: its JSON (a dict), an SDK `GenerateContentResponse`, or
    an answer made with `should_return_http_response` (see `create`). The first candidate is used."""
    return _decode_body(response if type(response) is dict else _json_body(response))


def _json_body(response: Any) -> Any:
    """The answer's JSON: from the HTTP body when the SDK handed it back, else from the SDK's object
    (anything else is left for `_decode_body` to refuse)."""
    http = getattr(response, "sdk_http_response", None)
    text = getattr(http, "body", None)
    if isinstance(text, str):
        if not text.strip():
            raise ValueError("The answer's body is empty, not a generateContent response.")
        return json.loads(text)
    return _dump(response) if hasattr(response, "model_dump") else response


def _decode_body(body: Any) -> Turn:
    """The one decoding of an answer, from its REST JSON (camelCase), wherever it was read from.

    Fields agentkit does not read are not checked; one it reads with the wrong type raises
    ValueError naming it, which the agent reports as a malformed answer (`UpstreamError`).
    """
    if type(body) is not dict:
        raise ValueError(f"The Gemini answer is {body!r:.80}, not a JSON object.")
    candidate = _candidate(body)
    parts = _parts(candidate)
    response_id = _typed(body.get("responseId"), str, "responseId")
    model = _typed(body.get("modelVersion"), str, "modelVersion")
    decoded = _decode_model_parts(parts, response_id or _digest(parts))
    has_calls = any(isinstance(part, ToolCallPart) for part in decoded)
    raw_finish = _typed(candidate.get("finishReason"), str, "finishReason") if candidate is not None else None
    feedback = _typed(body.get("promptFeedback"), dict, "promptFeedback") or {}
    block = _typed(feedback.get("blockReason"), str, "blockReason")
    finish: FinishReason
    if raw_finish is not None:
        finish = _finish_reason(raw_finish, has_calls)
    elif candidate is None and block:
        raw_finish, finish = block, "content_filter"
    else:
        finish = "tool_calls" if has_calls else "other"
    counts = _typed(body.get("usageMetadata"), dict, "usageMetadata") or {}
    prompt, tool_prompt, candidates, thoughts, cached = (
        _typed(counts.get(key), int, key) or 0 for key in _USAGE_KEYS
    )
    usage = Usage(
        input_tokens=prompt + tool_prompt,
        output_tokens=candidates + thoughts,  # thoughts count as output, as OpenAI's and Anthropic's do
        reasoning_tokens=thoughts,
        cached_tokens=cached,
    )
    message = Message("assistant", decoded, model=model, dialect=NAME, usage=usage)
    return Turn(message=message, usage=usage, finish_reason=finish, raw_finish_reason=raw_finish, model=model)


_USAGE_KEYS = (
    "promptTokenCount",
    "toolUsePromptTokenCount",
    "candidatesTokenCount",
    "thoughtsTokenCount",
    "cachedContentTokenCount",
)


def _candidate(body: dict[str, Any]) -> dict[str, Any] | None:
    candidates = _typed(body.get("candidates"), list, "candidates")
    return _typed(candidates[0], dict, "candidates[0]") if candidates else None


def _parts(candidate: dict[str, Any] | None) -> list[Any]:
    content = _typed(candidate.get("content"), dict, "content") if candidate is not None else None
    return (_typed(content.get("parts"), list, "content.parts") if content is not None else None) or []


def _finish_reason(raw: str, has_calls: bool) -> FinishReason:
    """Gemini says STOP for tool calls too; the calls decide."""
    if raw == "STOP":
        return "tool_calls" if has_calls else "stop"
    if raw == "MAX_TOKENS":
        return "length"
    if raw in _CONTENT_FILTER:
        return "content_filter"
    return "other"


# ----------------------------------------------------------------------------------- stream


async def stream(client: Any, kwargs: dict[str, Any]) -> AsyncIterator[Delta | Turn]:
    """One `generate_content_stream` call: deltas as chunks arrive, then the decoded Turn.

    google-genai has no raw form of a stream (`should_return_http_response` is refused there), so
    the chunks are its response objects, read through their public attributes and `model_dump`.
    Their parts are gathered into one answer in REST spelling, decoded by `_decode_body` like a
    non-streaming one: consecutive text pieces of the same kind (thought or answer) merge, a piece
    that brings a thought signature starts a new part so the signature stays where it came, and
    function calls (which Gemini sends whole) stay whole. The SDK follows continuation tokens in
    streams itself (its chunks then carry the usage of all hops). Text pieces are read without
    `model_dump`, and merged text is joined once (benchmarks/turn_cpu.py).
    """
    chunks = await client.models.generate_content_stream(**_sdk_call(kwargs, raw_answer=False))
    merged: list[dict[str, Any]] = []
    run: list[str] | None = None  # the text pieces of merged[-1] while later pieces may join it
    run_thought = False
    finish: Any = None
    usage: Any = None
    feedback: Any = None
    model_version: str | None = None
    response_id: str | None = None
    call_index = 0
    try:
        async for chunk in chunks:
            response_id = chunk.response_id or response_id
            model_version = chunk.model_version or model_version
            usage = chunk.usage_metadata or usage
            feedback = chunk.prompt_feedback or feedback
            candidates = chunk.candidates
            if not candidates:
                continue
            candidate = candidates[0]
            if candidate.finish_reason is not None:
                finish = candidate.finish_reason
            content = candidate.content
            for part in (content.parts if content is not None else None) or ():
                fields = part.model_fields_set
                if fields <= _SCALAR_TEXT_KEYS:  # a text piece: no model_dump
                    text = part.text
                    thought = bool(part.thought)
                    if text:
                        yield ReasoningDelta(text) if thought else TextDelta(text)
                    if text is not None and run is not None and thought == run_thought:
                        run.append(text)
                        continue
                    plain = {key: value for key in fields if (value := getattr(part, key)) is not None}
                else:
                    plain = part.model_dump(mode="json", by_alias=True, exclude_none=True)
                    call = plain.get("functionCall")
                    if call is not None:
                        name = call.get("name") or ""
                        call_id = call.get("id") or (
                            _call_id(call_index, name, response_id) if response_id else None
                        )
                        arguments = json.dumps(call.get("args") or {}, ensure_ascii=False)
                        yield ToolCallDelta(call_index, id=call_id, name=name, arguments=arguments)
                        call_index += 1
                    elif plain.get("text"):
                        yield (
                            ReasoningDelta(plain["text"])
                            if plain.get("thought")
                            else TextDelta(plain["text"])
                        )
                    if (
                        run is not None
                        and _is_text_piece(plain)
                        and not plain.get("thoughtSignature")
                        and bool(plain.get("thought")) == run_thought
                    ):
                        run.append(plain["text"])
                        continue
                if run is not None and len(run) > 1:
                    merged[-1]["text"] = "".join(run)
                merged.append(plain)
                run = [plain["text"]] if _is_text_piece(plain) else None
                run_thought = bool(plain.get("thought"))
    finally:
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()
    if run is not None and len(run) > 1:
        merged[-1]["text"] = "".join(run)
    candidates_body: list[dict[str, Any]] = []
    if merged or finish is not None:
        finish_reason = None if finish is None else str(getattr(finish, "value", finish))
        candidates_body.append({"content": {"role": "model", "parts": merged}, "finishReason": finish_reason})
    yield _decode_body(
        {
            "candidates": candidates_body,
            "usageMetadata": _dump(usage),
            "promptFeedback": _dump(feedback),
            "modelVersion": model_version,
            "responseId": response_id,
        }
    )


def _dump(value: Any) -> Any:
    """One of google-genai's response objects in REST spelling (public `model_dump`); None stays None."""
    return None if value is None else value.model_dump(mode="json", by_alias=True, exclude_none=True)


def _is_text_piece(part: dict[str, Any]) -> bool:
    """A text part that later text of its kind may extend (nothing but text, thought, signature)."""
    return part.get("text") is not None and part.keys() <= _TEXT_KEYS


# ----------------------------------------------------------------------------------- client

#: Path endings the SDK adds to its base URL: a door URL pasted with one is cut back to the base.
URL_SUFFIXES = ("/v1beta", "/v1")
#: The connection pool google-genai builds for itself (httpx's defaults). With openai's larger pool,
#: 100 concurrent Gemini runs went ~15-30 % slower (httpcore scans every pooled connection).
POOL = (100, 20)


def build_client(*, base_url: str, api_key: str, timeout: float, retries: int, headers: Mapping[str, str],
                 http_client: Any, asynchronous: bool) -> Any:
    """The official google-genai client for the relay's Gemini door (keep a reference: SDK_FACTS §1.3).

    v1beta, which relays serve (the SDK now defaults to v1); the timeout in milliseconds; retries
    like the other SDKs' (google-genai has none by default). `vertexai=False` and the explicit URL
    and key keep `GOOGLE_GENAI_USE_VERTEXAI`, `GOOGLE_GEMINI_BASE_URL` and `GOOGLE_API_KEY` out.
    """
    from google import genai
    from google.genai import types

    options: dict[str, Any] = {
        "base_url": base_url,
        "api_version": "v1beta",
        "timeout": int(timeout * 1000),
        "retry_options": types.HttpRetryOptions(
            attempts=retries + 1, initial_delay=0.5, max_delay=8.0, http_status_codes=[408, 429, 500, 502, 503, 504]
        ),
    }
    if headers:
        options["headers"] = dict(headers)
    if http_client is not None:
        options["httpx_async_client" if asynchronous else "httpx_client"] = http_client
    return genai.Client(vertexai=False, api_key=api_key, http_options=types.HttpOptions(**options))


def async_surface(client: Any) -> Any:
    """What the dialect's `create` / `stream` take: the async side (`.aio`) of the client `build_client` made."""
    return client.aio


def missing_door_advice(model: str) -> str:
    """Advice for a 404 on a model the relay lists in `/v1/models`."""
    return (f"The relay lists {model!r} in `/v1/models`, so its `gemini` door is probably missing or "
            f"elsewhere: use `openai:{model}`, set `gemini_url=`, or leave 'gemini' out of `dialects=` "
            "on the Relay.")
