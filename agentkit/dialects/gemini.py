"""The Gemini dialect: `generateContent` through google-genai's async client (`client.aio`).

Wire facts this module is built around (see SDK_FACTS.md):

- Tools are `[{"function_declarations": [...]}]` in `config`, never Python callables, and automatic
  function calling is switched off: the agent runs tools itself, with their ids.
- Gemini's function calls may carry no `id`. Calls then get stable made-up ids (marked
  `extra["gemini_synthetic_id"]` and never sent back), and `functionResponse` parts are ordered
  like the calls they answer and named after them, which is how Gemini pairs them.
- `thoughtSignature` (bytes in the SDK, base64 on the wire; the SDK sends it URL-safe) must go back
  on the very part it came on: a functionCall part (kept on `ToolCallPart.signature`), a thought
  part (`ReasoningPart.signature`), or an answer text part, possibly empty. A text part's signature
  is kept on an empty-text `ReasoningPart` placed just before that text, with
  `extra["gemini_signature_on"]` saying which kind of part it belongs to. Signatures are kept as
  standard base64 text and sent to Gemini only.
- Gemini 3 rejects replayed function calls without a signature (e.g. calls another vendor made);
  those get Google's documented `skip_thought_signature_validator` sentinel.
- Results go back as `{"functionResponse": {"id"?, "name", "response": {"output": ...}}}` (or
  `{"error": ...}`) in a `role: "user"` content; images in results travel as the response's `parts`.
- Non-streaming answers are read from their JSON text (`should_return_http_response`), not from the
  SDK's response object, which costs ~0.2 ms or more per turn to build (see `create`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, assert_never

from agentkit.dialects.base import FinishReason, ModelRequest, Turn, check_tool_choice, declaration
from agentkit.events import Delta, ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.messages import (
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
    from agentkit.tools import Tool

__all__ = [
    "NAME",
    "create",
    "decode",
    "decode_history",
    "encode",
    "encode_history",
    "stream",
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
_TEXT_KEYS = frozenset({"text", "thought", "thought_signature"})
#: Part fields whose values are plain scalars (a part with only these is read without `model_dump`).
_SCALAR_TEXT_KEYS = frozenset({"text", "thought"})


# ----------------------------------------------------------------------------------- schema


def tool_schema(tool: Tool) -> dict[str, Any]:
    """One function declaration (`{"name", "description", "parameters_json_schema"}`), built by the tool."""
    return declaration(tool, NAME)  # built once per tool, shared (read-only)


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
            system.append(_system_text(message))
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


def _system_text(message: Message) -> str:
    texts: list[str] = []
    for part in message.parts:
        if not isinstance(part, TextPart):
            raise ValueError(
                f"A system message can only hold text for Gemini, but it holds {part!r}. "
                "Move images and tool content into a user message."
            )
        texts.append(part.text)
    return "".join(texts)


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
            call: dict[str, Any] = {"name": part.name, "args": _args_object(part)}
            if not part.extra.get(SYNTHETIC_ID):
                call["id"] = part.id
            entry: dict[str, Any] = {"functionCall": call}
            if part.signature and part.dialect == NAME:
                entry["thoughtSignature"] = part.signature
            out.append(entry)
        elif isinstance(part, ImagePart):
            out.append(_image_part(part.image))
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


def _args_object(call: ToolCallPart) -> dict[str, Any]:
    """`functionCall.args` must be an object: raw (unparsable) arguments travel under `raw_arguments`."""
    if isinstance(call.arguments, dict):
        return call.arguments
    try:
        parsed = json.loads(call.arguments) if call.arguments.strip() else {}
    except ValueError:
        parsed = None
    return parsed if isinstance(parsed, dict) else {"raw_arguments": call.arguments}


def _image_part(image: Image) -> dict[str, Any]:
    if image.url is not None and not image.url.startswith("data:"):
        return {"fileData": {"mimeType": image.mime_type, "fileUri": image.url}}
    mime_type, data = _image_base64(image)
    return {"inlineData": {"mimeType": mime_type, "data": data}}


def _image_base64(image: Image) -> tuple[str, str]:
    """(MIME type, base64) of a byte image, or of a `data:` URL given as the image's URL."""
    if image.url is None:
        return image.mime_type, image.base64
    header, _, data = image.url.partition(",")
    return header.removeprefix("data:").split(";")[0] or image.mime_type, data


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
    response["response"] = {"error" if result.is_error else "output": result.text}
    images = [_image_part(p.image) for p in result.content if isinstance(p, ImagePart)]
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


def _plain(value: Any) -> Any:
    """SDK pydantic objects -> plain dicts (snake_case; signatures as bytes)."""
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude_none=True)
    return value


def _get(data: dict[str, Any], snake: str) -> Any:
    """`data[snake]`, or its camelCase spelling: Gemini requests mix both (answers are camelCase)."""
    if snake in data:
        return data[snake]
    camel = _CAMEL.get(snake)
    if camel is None:
        head, *rest = snake.split("_")
        camel = _CAMEL[snake] = head + "".join(word.title() for word in rest)
    return data.get(camel)


_CAMEL: dict[str, str] = {}


def _system_from_wire(system: Any) -> str:
    system = _plain(system)
    if isinstance(system, str):
        return system
    parts = system.get("parts", ()) if isinstance(system, dict) else system
    texts = [p if isinstance(p, str) else _plain(p).get("text", "") for p in parts]
    return "\n\n".join(t for t in texts if t)


def _b64_text(value: bytes | str) -> str:
    """Standard base64 text for bytes, or for base64 text in either alphabet (the SDK sends URL-safe)."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    text = value.strip().replace("-", "+").replace("_", "/")
    return text + "=" * (-len(text) % 4)


def _b64_bytes(value: bytes | str) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    try:
        return base64.b64decode(_b64_text(value))
    except binascii.Error as exc:
        raise ValueError(f"Gemini inline data is not valid base64: {exc}.") from None


def _digest(value: Any) -> str:
    text = json.dumps(
        value, sort_keys=True, default=lambda v: _b64_text(v) if isinstance(v, bytes) else str(v)
    )
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def _call_id(index: int, name: str, seed: str) -> str:
    """A stable id for a call Gemini sent without one: its position, its name, and the response."""
    safe = re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:40]
    return f"call_{index}_{safe}_{hashlib.sha1(seed.encode()).hexdigest()[:8]}"


def _decode_model_parts(parts: list[dict[str, Any]], seed: str) -> list[Part]:
    """Model parts (plain dicts, either spelling) -> neutral parts, signatures kept on their part."""
    out: list[Part] = []
    call_index = 0
    for part in parts:
        raw_signature = _get(part, "thought_signature")
        signature = _b64_text(raw_signature) if raw_signature else None
        function_call = _plain(_get(part, "function_call"))
        inline = _plain(_get(part, "inline_data"))
        file_data = _plain(_get(part, "file_data"))
        text = part.get("text")
        if function_call is not None:
            name = function_call.get("name") or ""
            call_id = function_call.get("id")
            extra: dict[str, Any] = {}
            if not call_id:
                call_id, extra = _call_id(call_index, name, seed), {SYNTHETIC_ID: True}
            args = function_call.get("args")
            out.append(
                ToolCallPart(
                    id=call_id,
                    name=name,
                    arguments=dict(args) if isinstance(args, dict) else {},
                    signature=signature,
                    dialect=NAME,
                    extra=extra,
                )
            )
            call_index += 1
        elif text is not None and part.get("thought"):
            out.append(ReasoningPart(text, signature=signature, dialect=NAME))
        elif text is not None:
            if signature:
                where = "text" if text else "empty_text"
                out.append(ReasoningPart("", signature=signature, dialect=NAME, extra={SIGNATURE_ON: where}))
            if text:
                out.append(TextPart(text))
        elif inline is not None:
            data = _b64_bytes(_get(inline, "data") or b"")
            out.append(ImagePart(Image(data=data, mime_type=_get(inline, "mime_type") or "image/png")))
        elif file_data is not None:
            mime_type = _get(file_data, "mime_type") or "image/png"
            out.append(ImagePart(Image(url=_get(file_data, "file_uri"), mime_type=mime_type)))
        elif signature:  # a signature-only part: keep it where it was
            out.append(
                ReasoningPart("", signature=signature, dialect=NAME, extra={SIGNATURE_ON: "empty_text"})
            )
        # Other part kinds (executable code, ...) are not requested by agentkit: skipped.
    return out


def _decode_user_content(parts: list[dict[str, Any]], unanswered: list[ToolCallPart]) -> list[Message]:
    """A user content -> a `tool` message for its functionResponse parts, `user` messages for the rest.

    Each functionResponse answers the unanswered call with its id, else the first unanswered call
    with its name (position among same-named calls); answered calls leave `unanswered`.
    """
    messages: list[Message] = []
    for position, part in enumerate(parts):
        response = _plain(_get(part, "function_response"))
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
        text, is_error = _response_text(_plain(response.get("response")) or {})
        content: list[TextPart | ImagePart] = [TextPart(text)] if text else []
        for item in response.get("parts") or ():
            decoded = _decode_user_part(_plain(item))
            if decoded is not None:
                content.append(decoded)
        result = ToolResultPart(call_id=call_id, name=name, content=tuple(content), is_error=is_error)
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


def _decode_user_part(part: dict[str, Any]) -> TextPart | ImagePart | None:
    text = part.get("text")
    if text is not None:
        return TextPart(text) if text else None
    inline = _plain(_get(part, "inline_data"))
    if inline is not None:
        data = _b64_bytes(_get(inline, "data") or b"")
        return ImagePart(Image(data=data, mime_type=_get(inline, "mime_type") or "image/png"))
    file_data = _plain(_get(part, "file_data"))
    if file_data is not None:
        return ImagePart(
            Image(url=_get(file_data, "file_uri"), mime_type=_get(file_data, "mime_type") or "image/png")
        )
    raise ValueError(
        f"Gemini user part {part!r} is not supported by agentkit's neutral history "
        "(text, inlineData, fileData and functionResponse are)."
    )


# ----------------------------------------------------------------------------------- encode


def encode(request: ModelRequest) -> dict[str, Any]:
    """The keyword arguments of `client.models.generate_content`: model, contents and a `config` dict.

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
    if _needs_signatures(request.model):
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


def _needs_signatures(model: str) -> bool:
    """Gemini 3 and later reject replayed function calls without a thought signature."""
    match = re.search(r"gemini-(\d+)", model.lower())
    return match is not None and int(match.group(1)) >= 3


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


_RAW_ANSWER = "should_return_http_response"
_PLACEHOLDER = "."
"""The `contents` argument google-genai builds when the wire contents travel in `extra_body` (see `_sdk_kwargs`)."""


def _sdk_kwargs(kwargs: dict[str, Any], *, raw_answer: bool = False) -> dict[str, Any]:
    """The `generate_content(_stream)` arguments for `encode`'s `kwargs`, as cheap for the SDK as is exact.

    - A one-message request with nothing to configure goes with no config at all (`_bare`).
    - `raw_answer`: the config asks for the HTTP body instead of a parsed answer (see `create`).
    - The wire `contents` go already built. Why: google-genai validates the contents into pydantic
      objects, converts them back to a dict and walks it again before sending; that is most of its
      request cost and grows with the history (~4 ms with 5 tool rounds, ~20 ms with 20, against
      ~30-250 µs for `_sdk_wire_contents`). The SDK merges `http_options.extra_body` into the
      request dict it built (replacing lists, keeping the key's place), so a one-word placeholder
      goes through the SDK and the real contents replace it: the body on the wire is byte-for-byte
      the SDK's own (tests/dialects/test_gemini_fast.py), and the config (options, tools, system
      instruction) still goes through the SDK, which still refuses a bad option before sending.
      Contents `_sdk_wire_contents` cannot spell exactly as the SDK would, a config with its own
      `http_options`, or automatic function calling left on, take the SDK's normal path.
    """
    config = kwargs.get("config") or {}
    if _bare(kwargs, config):
        return {key: value for key, value in kwargs.items() if key != "config"}
    if raw_answer:
        config = {**config, _RAW_ANSWER: True}
    if "http_options" in config or config.get("automatic_function_calling") != {"disable": True}:
        return {**kwargs, "config": config}
    wire = _sdk_wire_contents(kwargs.get("contents"))
    if wire is None:
        return {**kwargs, "config": config}
    return {
        **kwargs,
        "contents": _PLACEHOLDER,
        "config": {**config, "http_options": {"extra_body": {"contents": wire}}},
    }


def _sdk_wire_contents(contents: Any) -> list[dict[str, Any]] | None:
    """`encode`'s contents as google-genai puts them on the wire, or None when a part is not plain.

    The SDK's spelling differs from Gemini's REST one that `encode` writes (and a raw SDK user
    passes): `parts` before `role`, part keys in the SDK's converter order, signatures and image
    data re-encoded as URL-safe base64, `inlineData`/`fileData`/`functionResponse` bodies dumped
    with snake_case keys in its models' field order. Only the shapes `encode` makes are spelled
    here, with values of the types JSON gives; anything else returns None (the SDK's own path).
    """
    if type(contents) is not list or not contents:
        return None
    out: list[dict[str, Any]] = []
    for content in contents:
        if type(content) is not dict or content.keys() != {"role", "parts"}:
            return None
        role, parts = content["role"], content["parts"]
        if type(role) is not str or type(parts) is not list:
            return None
        wire_parts: list[dict[str, Any]] = []
        for part in parts:
            wire = _sdk_wire_part(part)
            if wire is None:
                return None
            wire_parts.append(wire)
        out.append({"parts": wire_parts, "role": role})
    return out


#: The part keys `_sdk_wire_part` spells, in the SDK's order (models._Part_to_mldev).
_SDK_PART_ORDER = ("fileData", "functionCall", "functionResponse", "inlineData", "text", "thought", "thoughtSignature")
_SDK_PART_KEYS = frozenset(_SDK_PART_ORDER)


def _sdk_wire_part(part: Any) -> dict[str, Any] | None:
    if type(part) is not dict or not part or not part.keys() <= _SDK_PART_KEYS:
        return None
    out: dict[str, Any] = {}
    for key in _SDK_PART_ORDER:
        if key not in part:
            continue
        value = part[key]
        wire: Any
        if key == "text":
            wire = value if type(value) is str else None
        elif key == "thought":
            wire = value if type(value) is bool else None
        elif key == "thoughtSignature":
            wire = _sdk_base64(value)
        elif key == "functionCall":
            wire = _sdk_function_call(value)
        elif key == "functionResponse":
            wire = _sdk_function_response(value)
        elif key == "inlineData":
            wire = _sdk_blob(value)
        else:
            wire = _sdk_file_data(value)
        if wire is None:
            return None
        out[key] = wire
    return out


def _sdk_base64(value: Any) -> str | None:
    """Base64 text as the SDK sends it (decoded by its model, sent URL-safe), or None if it is not plain."""
    if type(value) is not str or not _sdk_takes_base64(value):
        return None
    return base64.urlsafe_b64encode(_b64_bytes(value)).decode("ascii")


def _sdk_function_call(call: Any) -> dict[str, Any] | None:
    if type(call) is not dict or not call.keys() <= _WIRE_CALL_KEYS:
        return None
    call_id, args, name = call.get("id"), call.get("args"), call.get("name")
    if type(name) is not str or type(args) is not dict or not _is_json(args):
        return None
    if "id" in call and type(call_id) is not str:
        return None
    return {"id": call_id, "args": args, "name": name} if "id" in call else {"args": args, "name": name}


def _sdk_function_response(response: Any) -> dict[str, Any] | None:
    """`FunctionResponse.model_dump(exclude_none=True)`: fields `parts`, `id`, `name`, `response` in that order."""
    if type(response) is not dict or not response.keys() <= {"name", "id", "response", "parts"}:
        return None
    out: dict[str, Any] = {}
    if "parts" in response:
        items = response["parts"]
        if type(items) is not list:
            return None
        wire_items: list[dict[str, Any]] = []
        for item in items:
            if type(item) is not dict or len(item) != 1:
                return None
            if "inlineData" in item:
                blob = item["inlineData"]
                if type(blob) is not dict or blob.keys() != {"mimeType", "data"}:
                    return None
                data = _sdk_base64(blob["data"])
                if data is None or type(blob["mimeType"]) is not str:
                    return None
                wire_items.append({"inline_data": {"mime_type": blob["mimeType"], "data": data}})
            elif "fileData" in item:
                file = item["fileData"]
                if type(file) is not dict or file.keys() != {"mimeType", "fileUri"}:
                    return None
                if type(file["mimeType"]) is not str or type(file["fileUri"]) is not str:
                    return None
                wire_items.append({"file_data": {"file_uri": file["fileUri"], "mime_type": file["mimeType"]}})
            else:
                return None
        out["parts"] = wire_items
    if "id" in response:
        if type(response["id"]) is not str:
            return None
        out["id"] = response["id"]
    name, body = response.get("name"), response.get("response")
    if type(name) is not str or type(body) is not dict or len(body) != 1:
        return None
    ((key, text),) = body.items()
    if key not in ("output", "error") or type(text) is not str:
        return None
    out["name"] = name
    out["response"] = {key: text}
    return out


def _sdk_blob(blob: Any) -> dict[str, Any] | None:
    """`Blob.model_dump(exclude_none=True)`: `data` (URL-safe base64) then `mime_type`."""
    if type(blob) is not dict or blob.keys() != {"mimeType", "data"} or type(blob["mimeType"]) is not str:
        return None
    data = _sdk_base64(blob["data"])
    return None if data is None else {"data": data, "mime_type": blob["mimeType"]}


def _sdk_file_data(file: Any) -> dict[str, Any] | None:
    """`FileData.model_dump(exclude_none=True)`: `file_uri` then `mime_type`."""
    if type(file) is not dict or file.keys() != {"mimeType", "fileUri"}:
        return None
    if type(file["mimeType"]) is not str or type(file["fileUri"]) is not str:
        return None
    return {"file_uri": file["fileUri"], "mime_type": file["mimeType"]}


_JSON_SCALARS = (str, int, float, bool, type(None))


def _is_json(value: Any) -> bool:
    """Whether a value holds only what JSON decodes to (the SDK would re-encode bytes, dates, ...)."""
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and _is_json(v) for k, v in value.items())
    if kind is list:
        return all(_is_json(v) for v in value)
    return kind in _JSON_SCALARS


async def create(client: Any, kwargs: dict[str, Any]) -> Turn:
    """One non-streaming `generate_content` call on the `client.aio` object, decoded from its JSON.

    Why the raw answer: with `should_return_http_response=True` in its config, google-genai hands
    back the HTTP body instead of building a `GenerateContentResponse` from it, and `decode` reads
    that JSON directly. The SDK's build of the response costs ~0.2 ms on a one-paragraph answer
    (~0.3-0.5 ms with calls or thought signatures; reading the JSON here: ~10-70 µs), and was most
    of agentkit's overhead over a raw SDK call: benchmarks/overhead.py went from +0.25-0.30 ms to
    about -0.05 ms a turn (async and sync). The flag is the SDK's own option and stays on the
    client side: the request on the wire is byte-for-byte the same (tests/dialects/test_gemini_fast.py).

    It also turns off the SDK's automatic continuation (an answer cut with a `continuationToken`),
    so when an answer carries one, `_continue` makes the follow-up requests the SDK would have made.
    """
    response = await client.models.generate_content(**_sdk_kwargs(kwargs, raw_answer=True))
    text = _http_body(response)
    if text is None:  # a bare request (`_bare`), or a client that parsed the answer anyway (a test double)
        return decode(response)
    body = json.loads(text) if text else {}  # google-genai reads an empty body as `{}`
    if _may_continue(body, kwargs.get("config") or {}):
        return decode(await _continue(client, kwargs, _sdk_parse(body)))
    return _decode_body(body)


def _bare(kwargs: dict[str, Any], config: dict[str, Any]) -> bool:
    """Whether this is a one-message request with nothing to configure, best sent with no config at all.

    Why: any config costs google-genai ~0.7 ms per call to validate and convert (it walks all of
    `GenerateContentConfig`'s fields for each field it reads), more than the raw answer
    (`should_return_http_response`) and the pre-built contents save on a single message: 2.12 ms
    per call with no config, 2.45 with the raw answer, 2.81 with only automatic function calling
    turned off (the benchmark stub, sync). Without tools that setting changes nothing: the SDK's
    automatic function calling has no function to call. The body on the wire is the same.
    """
    if config != {"automatic_function_calling": {"disable": True}}:
        return False
    contents = kwargs.get("contents")
    return type(contents) is list and len(contents) == 1


def _http_body(response: Any) -> str | None:
    """The JSON text of a `should_return_http_response` answer; None for an answer the SDK parsed."""
    http = getattr(response, "sdk_http_response", None)
    body = getattr(http, "body", None)
    return body if isinstance(body, str) else None


def _may_continue(body: Any, config: dict[str, Any]) -> bool:
    """Whether google-genai could follow a continuation token in this answer (then the SDK decides)."""
    enabled = config.get("automatic_continuation")
    if enabled is not None and not enabled:
        return False
    candidates = body.get("candidates") if isinstance(body, dict) else None
    first = candidates[0] if isinstance(candidates, list) and candidates else None
    return isinstance(first, dict) and bool(first.get("continuationToken"))


async def _continue(client: Any, kwargs: dict[str, Any], first: Any) -> Any:
    """google-genai's automatic continuation (`Models._generate_content_with_continuation`), from its first hop.

    Each further request is the SDK's own (the config with `continuation_token`; automatic
    continuation is off for it only so that this loop, like the SDK's, decides when to stop), and
    the hops are merged by the SDK's `merge_continuation_responses`.
    """
    from google.genai import _extra_utils

    config: dict[str, Any] = kwargs.get("config") or {}
    responses = [first]
    token = _extra_utils.should_continue_generation(first)
    while token:
        hop = {**config, "continuation_token": token, "automatic_continuation": False}
        response = await client.models.generate_content(**{**kwargs, "config": hop})
        responses.append(response)
        token = _extra_utils.should_continue_generation(response)
    return _extra_utils.merge_continuation_responses(responses, config=config)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------- decode


class _Answer(NamedTuple):
    """What a Turn is built from, read from the wire JSON, an SDK response, or an accumulated stream."""

    parts: list[dict[str, Any]]
    """The first candidate's parts as plain dicts (either spelling; `_decode_model_parts` reads both)."""
    response_id: str | None
    has_candidate: bool
    finish: str | None
    block: str | None
    """The prompt's block reason (read only when there is no candidate)."""
    usage: Usage
    model: str | None


def decode(response: Any) -> Turn:
    """A `GenerateContentResponse` (SDK object, its JSON dict, or a raw-body answer) -> Turn.

    The first candidate is used. A dict is validated by the SDK's type as before; an answer made
    with `should_return_http_response` (see `create`) is read straight from its JSON.
    """
    if isinstance(response, dict):
        from google.genai import types

        response = types.GenerateContentResponse.model_validate(response)
    text = _http_body(response)
    if text is not None:
        return _decode_body(json.loads(text) if text else {})
    return _turn(_sdk_answer(response))


def _decode_body(body: Any) -> Turn:
    """The Turn of a generateContent JSON body, read directly when its shape is the plain one.

    Anything else (a part kind agentkit does not read directly, an unknown finish reason, a value
    of the wrong type, no `responseId`) goes through the SDK's own parse, so that it ends exactly
    as before: the same Turn, or the same exception (which the agent reports as a malformed answer).
    """
    answer = _wire_answer(body)
    return _turn(answer if answer is not None else _sdk_answer(_sdk_parse(body)))


def _sdk_parse(body: Any) -> Any:
    """What `generate_content` returns without `should_return_http_response`: the SDK's own parse.

    Gemini API (mldev) form, which is what agentkit's relay clients speak; private SDK names,
    checked to exist by tests/dialects/test_gemini_fast.py.
    """
    from google.genai import models, types

    return types.GenerateContentResponse._from_response(
        response=models._GenerateContentResponse_from_mldev(body), kwargs={}
    )


def _turn(answer: _Answer) -> Turn:
    """The one decoding of an answer, wherever it was read from."""
    parts = _decode_model_parts(answer.parts, answer.response_id or _digest(answer.parts))
    has_calls = any(isinstance(p, ToolCallPart) for p in parts)
    raw_finish: str | None = None
    finish: FinishReason
    if answer.finish is not None:
        raw_finish = answer.finish
        finish = _finish_reason(raw_finish, has_calls)
    elif not answer.has_candidate and answer.block:
        raw_finish = answer.block
        finish = "content_filter"
    else:
        finish = "tool_calls" if has_calls else "other"
    message = Message("assistant", parts, model=answer.model, dialect=NAME, usage=answer.usage)
    return Turn(
        message=message,
        usage=answer.usage,
        finish_reason=finish,
        raw_finish_reason=raw_finish,
        model=answer.model,
    )


def _sdk_answer(response: Any) -> _Answer:
    """An SDK `GenerateContentResponse` -> `_Answer` (its parts dumped to dicts)."""
    candidate = response.candidates[0] if response.candidates else None
    parts: list[dict[str, Any]] = []
    finish: str | None = None
    if candidate is not None:
        if candidate.content is not None and candidate.content.parts:
            parts = [part.model_dump(exclude_none=True) for part in candidate.content.parts]
        if candidate.finish_reason is not None:
            finish = _enum_text(candidate.finish_reason)
    return _Answer(
        parts,
        response.response_id,
        candidate is not None,
        finish,
        _block_reason(response.prompt_feedback),
        _sdk_usage(response.usage_metadata),
        response.model_version,
    )


#: What `_wire_answer` reads itself: part keys, and functionCall keys. Other parts take the SDK's parse.
_WIRE_PART_KEYS = frozenset({"text", "thought", "thoughtSignature", "functionCall"})
_WIRE_CALL_KEYS = frozenset({"id", "name", "args"})
_WIRE_USAGE_KEYS = (
    "promptTokenCount",
    "toolUsePromptTokenCount",
    "candidatesTokenCount",
    "thoughtsTokenCount",
    "cachedContentTokenCount",
)


def _wire_answer(body: Any) -> _Answer | None:
    """The answer read straight from the wire JSON, or None when its shape is not the plain one.

    Plain means: every value agentkit reads has the type the SDK's model would accept unchanged,
    and reading it directly gives what the SDK's parse gives (signatures are base64 the SDK would
    decode, finish and block reasons are the SDK's enum values); parts are text, thought, signature
    and function-call parts only. Fields agentkit does not read (safety ratings, token details,
    ...) are not checked, so a malformed one no longer fails the turn. Without a `responseId`,
    made-up call ids are seeded from the SDK's form of the parts, so that case takes the SDK's parse.
    """
    if type(body) is not dict:
        return None
    response_id = body.get("responseId")
    model = body.get("modelVersion")
    if type(response_id) is not str or not response_id or (model is not None and type(model) is not str):
        return None
    candidates = body.get("candidates")
    candidate: dict[str, Any] | None = None
    parts: list[dict[str, Any]] = []
    finish: str | None = None
    if candidates is not None:
        if type(candidates) is not list:
            return None
        if candidates:
            candidate = candidates[0]
            if type(candidate) is not dict:
                return None
            finish = candidate.get("finishReason")
            if finish is not None and finish not in _enum_values("FinishReason"):
                return None
            content = candidate.get("content")
            if content is not None:
                if type(content) is not dict:
                    return None
                listed = content.get("parts")
                if listed is not None:
                    if type(listed) is not list or not all(_is_plain_wire_part(part) for part in listed):
                        return None
                    parts = listed
    block: str | None = None
    feedback = body.get("promptFeedback")
    if feedback is not None:
        if type(feedback) is not dict:
            return None
        block = feedback.get("blockReason")
        if block is not None and block not in _enum_values("BlockedReason"):
            return None
    metadata = body.get("usageMetadata")
    usage = Usage()
    if metadata is not None:
        if type(metadata) is not dict:
            return None
        counts = [metadata.get(key) for key in _WIRE_USAGE_KEYS]
        if not all(count is None or type(count) is int for count in counts):
            return None
        usage = _usage(*counts)
    return _Answer(parts, response_id, candidate is not None, finish, block, usage, model)


def _is_plain_wire_part(part: Any) -> bool:
    if type(part) is not dict or not part.keys() <= _WIRE_PART_KEYS:
        return False
    text = part.get("text")
    thought = part.get("thought")
    signature = part.get("thoughtSignature")
    call = part.get("functionCall")
    if text is not None and type(text) is not str:
        return False
    if thought is not None and type(thought) is not bool:
        return False
    if signature is not None and (type(signature) is not str or not _sdk_takes_base64(signature)):
        return False
    if call is not None:
        if type(call) is not dict or not call.keys() <= _WIRE_CALL_KEYS:
            return False
        call_id, name, args = call.get("id"), call.get("name"), call.get("args")
        if (
            (call_id is not None and type(call_id) is not str)
            or (name is not None and type(name) is not str)
            or (args is not None and type(args) is not dict)
        ):
            return False
    return True


_B64_STANDARD = re.compile(r"[A-Za-z0-9+/]*")
_B64_URLSAFE = re.compile(r"[A-Za-z0-9_-]*")


def _sdk_takes_base64(text: str) -> bool:
    """Whether the SDK's model decodes this base64 text (pydantic's rules), to the bytes `_b64_text` reads.

    Either alphabet but not both, at most the missing padding, no stray characters, and unused
    trailing bits zero (checked by encoding again): what pydantic-core accepts, checked against it
    on every string of up to six characters over a mixed alphabet (tests/dialects/test_gemini_fast.py).
    """
    data = text.rstrip("=")
    if len(text) - len(data) > -len(data) % 4 or len(data) % 4 == 1:
        return False
    if _B64_STANDARD.fullmatch(data) is None:
        if _B64_URLSAFE.fullmatch(data) is None:
            return False
        data = data.replace("-", "+").replace("_", "/")
    decoded = base64.b64decode(data + "=" * (-len(data) % 4))
    return base64.b64encode(decoded).decode("ascii").rstrip("=") == data


_ENUM_VALUES: dict[str, frozenset[str]] = {}


def _enum_values(name: str) -> frozenset[str]:
    """The values of one of google-genai's enums (`FinishReason`, `BlockedReason`), read once."""
    values = _ENUM_VALUES.get(name)
    if values is None:
        from google.genai import types

        values = _ENUM_VALUES[name] = frozenset(member.value for member in getattr(types, name))
    return values


def _enum_text(value: Any) -> str:
    return str(getattr(value, "value", value))


def _block_reason(feedback: Any) -> str | None:
    return _enum_text(feedback.block_reason) if feedback is not None and feedback.block_reason else None


def _finish_reason(raw: str, has_calls: bool) -> FinishReason:
    """Gemini says STOP for tool calls too; the calls decide."""
    if raw == "STOP":
        return "tool_calls" if has_calls else "stop"
    if raw == "MAX_TOKENS":
        return "length"
    if raw in _CONTENT_FILTER:
        return "content_filter"
    return "other"


def _sdk_usage(metadata: Any) -> Usage:
    if metadata is None:
        return Usage()
    return _usage(
        metadata.prompt_token_count,
        metadata.tool_use_prompt_token_count,
        metadata.candidates_token_count,
        metadata.thoughts_token_count,
        metadata.cached_content_token_count,
    )


def _usage(
    prompt: int | None,
    tool_prompt: int | None,
    candidates: int | None,
    thoughts: int | None,
    cached: int | None,
) -> Usage:
    """Neutral usage: output counts thoughts too (as OpenAI's and Anthropic's do); reasoning says how many."""
    return Usage(
        input_tokens=(prompt or 0) + (tool_prompt or 0),
        output_tokens=(candidates or 0) + (thoughts or 0),
        reasoning_tokens=thoughts or 0,
        cached_tokens=cached or 0,
    )


# ----------------------------------------------------------------------------------- stream


async def stream(client: Any, kwargs: dict[str, Any]) -> AsyncIterator[Delta | Turn]:
    """One `generate_content_stream` call: deltas as chunks arrive, then the decoded Turn.

    google-genai has no accumulator, so the chunks' parts are gathered here into one answer:
    consecutive text pieces of the same kind (thought or answer) merge, a piece that brings a
    thought signature starts a new part so the signature stays where it came, and function calls
    (which Gemini sends whole) stay whole. The answer goes through `_turn`, like a non-stream one.

    Per chunk, the common text-only part is read without `model_dump`, merged text is joined once,
    and no SDK response object is built at the end: this dialect's own work on the benchmark's
    34-chunk answer went from ~180 µs to ~65 µs (the most of any dialect before; benchmarks/turn_cpu.py).
    """
    chunks = await client.models.generate_content_stream(**_sdk_kwargs(kwargs))
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
                    plain = part.model_dump(exclude_none=True)
                    function_call = plain.get("function_call")
                    if function_call is not None:
                        name = function_call.get("name") or ""
                        call_id = function_call.get("id") or (
                            _call_id(call_index, name, response_id) if response_id else None
                        )
                        arguments = json.dumps(function_call.get("args") or {}, ensure_ascii=False)
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
                        and not plain.get("thought_signature")
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
    yield _turn(
        _Answer(
            merged,
            response_id,
            bool(merged) or finish is not None,
            None if finish is None else _enum_text(finish),
            _block_reason(feedback),
            _sdk_usage(usage),
            model_version,
        )
    )


def _is_text_piece(part: dict[str, Any]) -> bool:
    """A text part that later text of its kind may extend (nothing but text, thought, signature)."""
    return part.get("text") is not None and part.keys() <= _TEXT_KEYS
