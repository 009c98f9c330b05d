"""What every dialect module provides, and the neutral request/response it works with.

Each of `openai.py`, `responses.py`, `anthropic.py`, `gemini.py` is a module (not a class) with the
same functions in the same order — schema transform, encode, decode, decode-stream — so reading
one teaches the other three:

    TOOL_FORMS: tuple[str, ...]
        The `form=` values `Tool.to_schema(dialect, form=...)` takes, the default first (Gemini:
        "json", "parameters"); empty when the dialect has one form.
    TOOL_RESULT_IMAGES: bool
        Whether a tool result can carry images (else `agentkit.tools` turns them into text).
    NATIVE_OUTPUT_PARAMETER: str
        The request parameter native structured output goes in, named when a relay rejects it.
    CACHE_HINT_FIELDS: tuple[str, ...]
        The request fields prompt-caching hints go in; a relay's 400 naming one turns hints off.
    tool_schema(tool) -> dict
        The object this dialect's API takes in its tools list (`declaration`: built once per tool).
    tool_parameters(canonical, *, strict, form, tool) -> (schema, problem)
        What a tool's canonical JSON Schema becomes for this dialect, and why strict mode cannot
        express it (None when it can, or where there is no strict mode).
    tool_declaration(name, description, parameters, *, strict, form) -> dict
        Those parameters wrapped in the tools-list entry.
    shown_parameters(canonical, *, strict, form, tool) -> schema
        What was shown, read as JSON Schema: what a tool's arguments (or a structured answer) are
        validated against.
    output_schema(schema, *, strict, name) -> (schema, strict_used)
        A structured-output schema in the form this dialect sends natively, and whether it is sent
        in strict mode.
    output_mode(model, *, has_tools) -> "native" | "tool"
        How structured output is asked for first (a relay rejecting it makes the agent fall back).
    encode_history(history) -> dict
        Neutral messages -> this dialect's request fragment (`ak.to_dialect`): `{"messages": [...]}`,
        `{"input": [...]}`, `{"system"?, "messages": [...]}` or `{"systemInstruction"?, "contents": [...]}`.
        Signed reasoning from another dialect is dropped or turned into plain text, never sent signed.
    decode_history(data) -> list[Message]
        The reverse (`ak.from_dialect`): a bare list or the fragment holding it.
    carries_file(file, *, tool_result=False) -> bool
        Whether a request can hold an `ak.File` (PDF, text, audio) in a user message or a tool
        result; encoding one it cannot raises before anything is sent, naming the dialects that can.
    encode(request: ModelRequest) -> dict
        The keyword arguments of the SDK call (model, history, tools, options with this dialect's
        own names, structured output), JSON-able, no SDK objects.
    async create(client, kwargs) -> Turn
        One non-streaming call through the official async SDK client, decoded with `decode`.
    decode(response) -> Turn
        An SDK response object (or its JSON dict) -> Turn.
    async stream(client, kwargs) -> AsyncIterator[Delta | Turn]
        One streaming call: yields deltas as they arrive, then exactly one final Turn, built by
        accumulating the stream into the same response shape `decode` takes (one decode path).

SDK exceptions are not caught here: the agent maps them with `Relay.map_error`.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias

from agentkit.dialects import DIALECTS
from agentkit.errors import ConfigurationError
from agentkit.events import Delta
from agentkit.messages import File, Message, Usage

if TYPE_CHECKING:
    from agentkit._schema import JsonSchema
    from agentkit.tools import Tool

__all__ = ["DialectModule", "FinishReason", "ModelRequest", "OutputSpec", "Turn", "check_tool_choice", "declaration",
           "load"]

FinishReason: TypeAlias = Literal["stop", "tool_calls", "length", "refusal", "content_filter", "other"]


@dataclass(frozen=True)
class OutputSpec:
    """Structured output wanted from the model: a JSON Schema and a name for it."""

    schema: dict[str, Any]
    name: str = "output"
    strict: bool = True


@dataclass
class ModelRequest:
    """Everything one model request needs, in neutral form."""

    model: str
    """The model name as the relay knows it (the dialect prefix already removed)."""
    history: Sequence[Message]
    """The whole conversation; system messages first."""
    tools: Sequence[Tool] = ()
    options: dict[str, Any] = field(default_factory=dict)
    """Model options. Neutral names (`temperature`, `max_tokens`, `top_p`, `stop`, `reasoning`) are
    mapped to the dialect's own; any other key is passed through as the dialect's own parameter."""
    output: OutputSpec | None = None
    tool_choice: Literal["auto", "required", "none"] | str | None = None
    """None/"auto": the model decides; "required": must call a tool; "none": no tools; a tool name: that tool."""
    cache_key: str | None = None
    """Prompt caching: None sends no caching hints; else the agent's stable key (OpenAI doors send it as
    `prompt_cache_key`; Anthropic marks `cache_control` breakpoints; Gemini caches implicitly)."""


@dataclass
class Turn:
    """One decoded model response."""

    message: Message
    """The assistant message: reasoning, text and tool-call parts in the order the model produced them."""
    usage: Usage
    finish_reason: FinishReason
    raw_finish_reason: str | None = None
    refusal: str | None = None
    """OpenAI's `refusal` text when the model refused (structured output)."""
    model: str | None = None
    """The model the server says answered."""


class DialectModule(Protocol):
    """The shape every `agentkit/dialects/<name>.py` module has (checked in tests)."""

    NAME: str
    TOOL_FORMS: tuple[str, ...]
    TOOL_RESULT_IMAGES: bool
    NATIVE_OUTPUT_PARAMETER: str
    CACHE_HINT_FIELDS: tuple[str, ...]

    def tool_schema(self, tool: Tool) -> dict[str, Any]: ...

    def tool_parameters(
        self, canonical: JsonSchema, *, strict: bool, form: str | None, tool: str
    ) -> tuple[JsonSchema, str | None]: ...

    def tool_declaration(
        self, name: str, description: str, parameters: JsonSchema, *, strict: bool, form: str | None
    ) -> dict[str, Any]: ...

    def shown_parameters(self, canonical: JsonSchema, *, strict: bool, form: str | None, tool: str) -> JsonSchema: ...

    def output_schema(self, schema: JsonSchema, *, strict: bool, name: str) -> tuple[JsonSchema, bool]: ...

    def output_mode(self, model: str, *, has_tools: bool) -> Literal["native", "tool"]: ...

    def encode_history(self, history: Sequence[Message]) -> dict[str, Any]: ...

    def decode_history(self, data: Any) -> list[Message]: ...

    def carries_file(self, file: File, *, tool_result: bool = False) -> bool: ...

    def encode(self, request: ModelRequest) -> dict[str, Any]: ...

    async def create(self, client: Any, kwargs: dict[str, Any]) -> Turn: ...

    def decode(self, response: Any) -> Turn: ...

    def stream(self, client: Any, kwargs: dict[str, Any]) -> AsyncIterator[Delta | Turn]: ...


def load(dialect: str) -> DialectModule:
    """A dialect's module, imported on first use (it imports its vendor SDK only when it needs it).

    Raises ConfigurationError for a name that is not one of `agentkit.dialects.DIALECTS`.
    """
    module = _LOADED.get(dialect)
    if module is None:  # `import_module` costs a few µs per call even when imported: once per turn adds up
        if dialect not in DIALECTS:
            raise ConfigurationError(
                f"Unknown dialect {dialect!r}; use one of {', '.join(map(repr, DIALECTS))}."
            )
        import importlib

        module = _LOADED[dialect] = importlib.import_module(f"agentkit.dialects.{dialect}")
    return module


_LOADED: dict[str, Any] = {}


def shown_validator(schema: Any, dialect: str | None, *, strict: bool, form: str | None, name: str) -> Any:
    """A validator of what `dialect` showed the model for `schema` (None: the schema itself).

    Read as JSON Schema with two leniencies that never let a wrong value through: optional values
    may be null ("use the default") or left out. Tool arguments and structured answers share it;
    each caches the result per dialect.
    """
    from agentkit._schema import null_tolerant, validator_for

    shown = schema if dialect is None else load(dialect).shown_parameters(schema, strict=strict, form=form, tool=name)
    return validator_for(null_tolerant(shown))
_DECLARATIONS: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], dict[str, Any]]] = weakref.WeakKeyDictionary()


def declaration(tool: Tool, dialect: str) -> dict[str, Any]:
    """`tool.to_schema(dialect)`, built once per tool and then shared: treat it as read-only.

    Why: encoders send every tool on every turn, and `to_schema` returns a fresh deep copy (~10 µs
    per tool). The SDKs do not modify the request's dicts. The key covers what a user may change
    on a tool after creating it (name, description, strict).
    """
    key = (dialect, tool.name, tool.description, getattr(tool, "strict", None))
    try:
        per_tool = _DECLARATIONS[tool]
    except (KeyError, TypeError):
        per_tool = {}
        try:
            _DECLARATIONS[tool] = per_tool
        except TypeError:  # not weak-referenceable: no caching
            return tool.to_schema(dialect)
    cached = per_tool.get(key)
    if cached is None:
        cached = per_tool[key] = tool.to_schema(dialect)
    return cached


def check_tool_choice(choice: str | None, tools: Sequence[Tool]) -> str | None:
    """A request's `tool_choice`, checked against its tools: what each dialect then maps to its wire form.

    Returns None when the request needs no choice on the wire (none given, or "auto"/"none" with no
    tools to choose from), else "auto", "none", "required" or the name of one of `tools`. Why here:
    the rules are the same in every dialect; only the wire shape differs.
    """
    if choice is None:
        return None
    names = [tool.name for tool in tools]
    if not names:
        if choice in ("auto", "none"):
            return None
        raise ValueError(
            f"`tool_choice={choice!r}` needs tools, but the request has none; pass `tools=` or drop it."
        )
    if choice in ("auto", "none", "required") or choice in names:
        return choice
    raise ValueError(
        f"`tool_choice={choice!r}` names no tool of this request; use 'auto', 'required', 'none' or one of {names!r}."
    )
