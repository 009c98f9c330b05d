"""What several dialect modules share: the one copy of each helper, imported under its private name.

Each dialect file imports what it uses from here under the same private name
(`from agentkit.dialects.shared import plain as _plain`), so the four files read alike and none
imports from another. Nothing here is about one dialect's request or answer shape alone; the
OpenAI-only helpers (`body_as_extra`, `arguments_text`, `effort_of`, ...) serve both OpenAI APIs,
Chat Completions (`openai.py`) and Responses (`responses.py`). A vendor SDK is imported only inside
the function that needs it, like in the dialect modules.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agentkit.errors import ConfigurationError
from agentkit.messages import File, Image, Message, TextPart, ToolCallPart

if TYPE_CHECKING:
    from agentkit._schema import JsonSchema

__all__ = [
    "OUTPUT_LOG",
    "arguments_object",
    "arguments_text",
    "as_dict",
    "body_as_extra",
    "check_system",
    "effort_of",
    "file_description",
    "file_from_url",
    "file_placeholder",
    "file_refused",
    "file_text",
    "get",
    "image_base64",
    "image_from_url",
    "parse_arguments",
    "plain",
    "strict_output",
    "strict_parameters",
    "strict_shown",
    "system_from_wire",
    "system_text",
]

OUTPUT_LOG = logging.getLogger("agentkit.output")
"""Where the dialects' structured-output notes go: `agentkit.output`'s logger, as before they moved here."""


# ------------------------------------------------------------------------------------------ schema
# OpenAI strict mode, the same in Chat Completions and Responses.


def strict_parameters(canonical: JsonSchema, *, strict: bool) -> tuple[JsonSchema, str | None]:
    """A tool's `parameters` for both OpenAI APIs, and why strict mode cannot express them (None when it can).

    Strict mode's form when `strict` is asked and can express the schema, else the canonical
    schema (sent with `strict: false`).
    """
    from agentkit import _schema_dialects

    result = _schema_dialects.openai_parameters(canonical, strict=strict)
    return result.schema, result.problem


def strict_shown(canonical: JsonSchema, *, strict: bool) -> JsonSchema:
    """What was shown to either OpenAI API, to validate against: strict mode's form (optional
    properties not required) when `strict` and expressible, else the canonical schema."""
    from agentkit import _schema_dialects

    return _schema_dialects.openai_validation_schema(canonical, strict=strict)


def strict_output(schema: JsonSchema, *, strict: bool, name: str) -> tuple[JsonSchema, bool]:
    """The structured-output schema for both OpenAI APIs, and whether it goes out in strict mode.

    Strict mode's form (the one strict tools use) when `strict` and expressible; otherwise the
    schema as it is, sent non-strict, and the log says why.
    """
    from agentkit import _schema_dialects

    result = _schema_dialects.openai_parameters(schema, strict=strict)
    if strict and result.problem is not None:
        OUTPUT_LOG.info("The output schema `%s` is sent without strict mode: %s", name, result.problem)
    return result.schema, strict and result.problem is None


# ----------------------------------------------------------------------------------------- history


def check_system(history: Sequence[Message]) -> None:
    """Reject content a system message cannot hold (images, tool parts), naming the part."""
    for message in history:
        if message.role != "system":
            continue
        for part in message.parts:
            if not isinstance(part, TextPart):
                raise ValueError(
                    f"A system message can only hold text, but it holds {part!r}; "
                    "move images and tool parts into user or tool messages."
                )


def system_text(message: Message, *, vendor: str) -> str:
    """The text of a system message, for a vendor that takes the system prompt apart from the turns."""
    texts: list[str] = []
    for part in message.parts:
        if not isinstance(part, TextPart):
            raise ValueError(
                f"A system message can only hold text for {vendor}, but it holds {part!r}. "
                "Move images and tool content into a user message."
            )
        texts.append(part.text)
    return "".join(texts)


def system_from_wire(system: Any) -> str:
    """The text of a system prompt in wire form, texts joined by a blank line (empty ones left out).

    Anthropic's `system` (a string or a list of text blocks) and Gemini's `systemInstruction` (a
    string, a content with `parts`, or a list of parts); SDK objects allowed.
    """
    system = plain(system)
    if isinstance(system, str):
        return system
    items = system.get("parts", ()) if isinstance(system, dict) else system
    texts = [
        item if isinstance(item, str) else block.get("text", "") if isinstance(block := plain(item), dict) else ""
        for item in items
    ]
    return "\n\n".join(text for text in texts if text)


def arguments_object(call: ToolCallPart) -> dict[str, Any]:
    """A call's arguments as the JSON object Anthropic's `input` and Gemini's `args` must be.

    Raw (unparsable) arguments travel under `raw_arguments`.
    """
    if isinstance(call.arguments, dict):
        return call.arguments
    try:
        parsed = json.loads(call.arguments) if call.arguments.strip() else {}
    except ValueError:
        parsed = None
    return parsed if isinstance(parsed, dict) else {"raw_arguments": call.arguments}


def parse_arguments(raw: Any) -> dict[str, Any] | str:
    """Tool call arguments as a dict when they are a JSON object, else the raw text (never raises).

    The model may write broken JSON; the agent reports that to the model as a tool error rather
    than crashing the run, so the raw text has to survive decoding.
    """
    if isinstance(raw, Mapping):
        return dict(raw)
    if raw is None:
        return {}
    text = raw if isinstance(raw, str) else str(raw)
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, dict) else text


def arguments_text(call: ToolCallPart) -> str:
    """The JSON text of a call's arguments, byte-identical to what the model wrote when we have it.

    Echoing the model's own text (kept in `extra["arguments"]` by the OpenAI decoders) keeps the
    prompt prefix identical, which is what prompt caching keys on.
    """
    raw = call.extra.get("arguments")
    if isinstance(call.arguments, str):
        return call.arguments
    if isinstance(raw, str) and parse_arguments(raw) == call.arguments:
        return raw
    return json.dumps(call.arguments, ensure_ascii=False)


# ------------------------------------------------------------------------------------------ images


def image_base64(image: Image) -> tuple[str, str]:
    """(MIME type, base64) of a byte image, or of a `data:` URL given as the image's URL."""
    if image.url is None:
        return image.mime_type, image.base64
    header, _, data = image.url.partition(",")
    return header.removeprefix("data:").split(";")[0] or image.mime_type, data


def image_from_url(url: str, detail: Any = None) -> Image:
    """An `Image` from an OpenAI `image_url`: a `data:` URL (decoded to bytes) or an http(s) URL."""
    kwargs: dict[str, Any] = {}
    if detail in ("auto", "low", "high"):
        kwargs["detail"] = detail
    if url.startswith("data:"):
        header, _, payload = url.partition(",")
        mime_type = header[5:].split(";")[0] or "image/png"
        if ";base64" not in header:
            raise ValueError(
                f"The image data URL {url[:60]!r}... is not base64-encoded; "
                "pass `data:<mime>;base64,<data>` or an http(s) URL."
            )
        try:
            data = base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"The image data URL {url[:60]!r}... holds invalid base64 ({exc}).") from None
        return Image(data=data, mime_type=mime_type, **kwargs)
    return Image(url=url, **kwargs)


# ------------------------------------------------------------------------------------------ wire data


# ------------------------------------------------------------------------------------------ files
# What a dialect does with an `ak.File` is its own decision (`carries_file` in each module); the
# words for "this dialect cannot" and the text forms are shared so all four say it alike.


def file_description(file: File) -> str:
    """A short description of a file for people and models: "report.pdf (application/pdf, 3 pages, 12,345 bytes)"."""
    facts = [file.mime_type or "unknown type"]
    if file.pages:
        facts.append(f"{file.pages} page{'s' if file.pages != 1 else ''}")
    facts.append(file.url if file.url is not None else f"{file.size:,} bytes")
    return f"{file.filename} ({', '.join(facts)})"


def file_from_url(url: str, *, name: str | None = None, mime_type: str | None = None) -> File:
    """A `File` from a wire form's `data:` URL (decoded to bytes) or its http(s)/file URL."""
    if url.startswith("data:"):
        image = image_from_url(url)  # the one data-URL decoder
        return File(image.data, mime_type=mime_type or image.mime_type, name=name)
    return File(url=url, mime_type=mime_type, name=name)


def file_text(file: File) -> str:
    """A plain text file as the text a model reads, its name first (the form for APIs with no text document)."""
    return f"<file name={json.dumps(file.filename, ensure_ascii=False)}>\n{file.text or ''}\n</file>"


def file_placeholder(file: File) -> str:
    """The text that stands in for a file a wire format cannot carry in a tool result."""
    return f"[file: {file_description(file)} — this API cannot take this file type in tool results]"


def file_refused(file: File, dialect: str, vendor: str, hint: str = "") -> ConfigurationError:
    """The error for a file `dialect` cannot carry in a request: its type, and the dialects that can.

    Raised while the request is built, so nothing is sent (and by `ak.to_dialect`, as the same
    `ak.ConfigurationError`). The other dialects are asked through their own `carries_file`, so
    each keeps its own decision.
    """
    from agentkit.dialects import DIALECTS
    from agentkit.dialects.base import load

    able = [name for name in DIALECTS if name != dialect and load(name).carries_file(file)]
    others = (
        f"the dialects that can are {', '.join(f'`{name}`' for name in able)}"
        if able else "no dialect of agentkit can"
    )
    return ConfigurationError(
        f"The `{dialect}` dialect ({vendor}) cannot carry the file {file_description(file)}: "
        f"{file.mime_type!r} is not a type it takes{' from a URL' if file.url is not None else ''}; {others}. "
        f"{hint or 'Convert the file, or use a model of one of those dialects.'}"
    )


def plain(value: Any) -> Any:
    """SDK pydantic objects -> plain dicts (Python values: bytes stay bytes); everything else unchanged."""
    if hasattr(value, "model_dump"):
        return value.model_dump(exclude_none=True)
    return value


def count(value: Any) -> int:
    """A token count from an answer: a non-negative int, or 0 for anything else (a missing field, a
    string, a float, a bool). Why lenient: usage is reported, not acted on, and a relay's odd count
    must not turn a good answer into an error (nor crash when counts are added up)."""
    return value if type(value) is int and value >= 0 else 0


def as_dict(item: Any) -> Any:
    """A plain dict from an SDK pydantic object in JSON form (extra fields kept), or the value unchanged."""
    dump = getattr(item, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True)
    return item


def get(data: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """`data[name]`, or under its camelCase spelling (`tool_calls` / `toolCalls`): wire JSON mixes both."""
    if name in data:
        return data[name]
    camel = _CAMEL.get(name)
    if camel is None:
        head, *rest = name.split("_")
        camel = _CAMEL[name] = head + "".join(word.title() for word in rest)
    return data.get(camel, default)


_CAMEL: dict[str, str] = {}


# ------------------------------------------------------------------------------------------ OpenAI


def effort_of(reasoning: Any) -> str | None:
    """The OpenAI reasoning effort for the neutral `reasoning` option (None: do not send one).

    `True` means "medium"; a string is an effort already ("low", "minimal", "xhigh", ...); an int
    token budget is bucketed: up to 2048 "low", up to 8192 "medium", above that "high".
    """
    if reasoning is None or reasoning is False:
        return None
    if reasoning is True:
        return "medium"
    if isinstance(reasoning, str):
        return reasoning
    if isinstance(reasoning, int):
        if reasoning <= 0:
            return None
        return "low" if reasoning <= 2048 else "medium" if reasoning <= 8192 else "high"
    raise ValueError(
        f"The `reasoning` option {reasoning!r} is not understood; pass True/False, an effort "
        '("low", "medium", "high") or a token budget (an int).'
    )


#: `create` arguments the SDK itself acts on (routing, stream parsing, request options).
_SDK_ARGUMENTS = frozenset({"model", "stream", "timeout", "extra_headers", "extra_query", "extra_body"})


def body_as_extra(kwargs: Mapping[str, Any], api: str = "chat", **placeholders: Any) -> dict[str, Any]:
    """`create` keyword arguments that hand the request body to the openai SDK through `extra_body`.

    Why: the openai SDK runs every typed body parameter through its `transform`, which walks each
    message or input item against every TypedDict of the union it may be: ~0.3 ms per message, and
    ~0.7 ms for a one-message request with two tools (measured with benchmarks/overhead.py's stub)
    — more than all of agentkit's own work on a turn. Our encoders build plain JSON already, so
    there is nothing to transform; the SDK merges `extra_body` into the body last, so the JSON sent
    is the same. Only parameters the SDK's `create` declares move: an unknown option stays a
    keyword, so the SDK still refuses it before sending. `placeholders` fill parameters the SDK
    requires (`messages=[]`), which the body overrides; a caller's own `extra_body` wins over all.
    `api`: "chat" (`chat.completions.create`) or "responses" (`responses.create`).
    """
    declared = _body_parameters(api)
    out: dict[str, Any] = {}
    body: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in declared:
            body[key] = value
        elif key != "extra_body":
            out[key] = value
    out.update(placeholders)
    out["extra_body"] = {**body, **(kwargs.get("extra_body") or {})}
    return out


@functools.cache
def _body_parameters(api: str) -> frozenset[str]:
    """The body parameters of `chat.completions.create` ("chat") or `responses.create` ("responses")."""
    import inspect

    if api == "chat":
        from openai.resources.chat.completions import AsyncCompletions as resource
    else:
        from openai.resources.responses import AsyncResponses as resource  # type: ignore[assignment]
    return frozenset(set(inspect.signature(resource.create).parameters) - _SDK_ARGUMENTS - {"self"})
