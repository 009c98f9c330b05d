"""Structured output: `agent(..., output=Expenses)` answers with a checked, typed `reply.output`.

Why here and not in each dialect: what the model must produce is one canonical JSON Schema (from
a pydantic model, dataclass, TypedDict, any type pydantic's `TypeAdapter` takes, or a JSON Schema
dict), and what comes back is checked and converted the same way whatever the vendor. Only the
form the schema is sent in differs, and each dialect module decides it (`output_schema` in the
"schema" section of `agentkit/dialects/<dialect>.py`, from the same transformers as tool schemas):
OpenAI's strict-mode form (non-strict, with the reason logged, when strict mode cannot express
it), `anthropic.transform_schema`, Gemini's `response_json_schema` subset. Answers are validated
against what the dialect showed (`shown_parameters`, as for tool arguments).

Three ways to ask (:data:`OutputMode`): "native" (the above), "tool" (a forced `final_result` tool
whose arguments are the answer) and "prompt" (the schema in the system prompt, JSON parsed from
the text). The agent starts where the dialect says (`output_mode`: native, unless the model cannot
take it together with tools) and falls back when a relay rejects the parameter, or when the answer
shows the relay dropped it on the way (prose where JSON was asked: `OutputRun.dropped`); see
`agentkit.agent`. What works is remembered per relay and model (`Relay.output_modes`). The answer is parsed (code fences and surrounding prose tolerated), validated
with jsonschema against the schema the dialect was shown, then converted with pydantic's
`TypeAdapter.validate_python`; every problem becomes one sentence the model can act on when it is
asked again. A root that is not an object (`list[Item]`, `int`, a union) is wrapped as
`{"value": ...}`, because OpenAI and Anthropic want an object at the root, and unwrapped again.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import re
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from agentkit.dialects.base import OutputSpec, load, shown_validator
from agentkit.errors import ConfigurationError

if TYPE_CHECKING:
    from agentkit.tools import Tool

__all__ = [
    "FINAL_TOOL",
    "OutputInvalid",
    "OutputMode",
    "PartialOutput",
    "StructuredOutput",
    "prepare",
    "spec_for",
]

logger = logging.getLogger("agentkit.output")

OutputMode: TypeAlias = Literal["native", "tool", "prompt"]
"""How the answer is asked for: the dialect's own parameter, a forced tool call, or the prompt."""

FINAL_TOOL = "final_result"
"""The name of the tool the answer is given through in "tool" mode (unless a user tool has it)."""

_WRAP_KEY = "value"
_NAME = re.compile(r"[^a-zA-Z0-9_-]+")
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.DOTALL)


class OutputInvalid(Exception):
    """An answer that failed parsing, the schema or the conversion; `.errors` are sentences for the model."""

    def __init__(self, errors: list[str], raw: str) -> None:
        self.errors = errors
        self.raw = raw
        super().__init__("; ".join(errors))


def spec_for(output: Any) -> OutputSpec:
    """The canonical `OutputSpec` for an output type or JSON Schema dict (before any dialect's transform)."""
    return prepare(output).canonical_spec


def prepare(output: Any) -> StructuredOutput:
    """A :class:`StructuredOutput` for what `output=` was given (cached per type; dicts are not hashable)."""
    if isinstance(output, StructuredOutput):
        return output
    if isinstance(output, OutputSpec):
        return StructuredOutput(dict(output.schema), None, name=output.name, strict=output.strict)
    if isinstance(output, Mapping):
        return StructuredOutput(dict(output), None)
    try:
        return _prepare_type(output)
    except TypeError:  # unhashable annotations (rare): build it uncached
        return _for_type(output)


@functools.lru_cache(maxsize=256)
def _prepare_type(output: Any) -> StructuredOutput:
    return _for_type(output)


def _for_type(output: Any) -> StructuredOutput:
    import pydantic

    from agentkit._schema import _compat_typeddict

    if output is None or isinstance(output, (str, bytes, int, float, bool)):
        raise ConfigurationError(
            f"`output=` must be a type (a pydantic model, dataclass, TypedDict, `list[...]`, ...) or a JSON "
            f"Schema dict; got {type(output).__name__} {output!r:.60}."
        )
    target = _compat_typeddict(output)
    try:
        adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(target)
        schema = adapter.json_schema(mode="validation")
    except Exception as exc:  # pydantic raises several types for types it cannot handle
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigurationError(
            f"`output={_type_name(output)}` has no JSON Schema ({first}). Use JSON-friendly types: pydantic "
            "models, dataclasses, TypedDicts, lists, enums, Literal, str, int, float, bool."
        ) from None
    if not schema:
        raise ConfigurationError(
            f"`output={_type_name(output)}` has no JSON Schema (it accepts any value, so a model cannot be told "
            "what to write). Use a pydantic model, dataclass, TypedDict or another concrete type."
        )
    return StructuredOutput(_strip_titles(schema), adapter, name=_type_name(output), python_type=output)


def _type_name(output: Any) -> str:
    name = getattr(output, "__name__", None)
    return name if isinstance(name, str) else str(output)


def _strip_titles(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop pydantic's per-field titles (they repeat the property name and cost tokens), keep the rest."""
    from agentkit._schema import _strip_titles as strip

    root_title = schema.get("title")
    stripped: dict[str, Any] = strip(schema)
    if isinstance(root_title, str):
        stripped["title"] = root_title
    return stripped


class StructuredOutput:
    """What `output=` asked for: the canonical schema, its per-dialect forms, and how to read answers.

    Attributes:
        schema: The canonical JSON Schema (an object; see `wrapped`).
        name: The schema's name for the vendors (`^[a-zA-Z0-9_-]{1,64}$`).
        wrapped: The requested root was not an object, so the answer is `{"value": <it>}`.
        python_type: The type answers convert to (None for a JSON Schema dict: answers stay JSON).
    """

    def __init__(
        self,
        schema: dict[str, Any],
        adapter: Any,
        *,
        name: str | None = None,
        strict: bool = True,
        python_type: Any = None,
    ) -> None:
        from agentkit._schema import validator_for

        if not isinstance(schema, dict) or not schema:
            raise ConfigurationError(
                f"`output=` as a dict must be a non-empty JSON Schema; got {schema!r:.80}."
            )
        try:
            type(validator_for({})).check_schema(schema)
        except Exception as exc:  # jsonschema.SchemaError
            message = getattr(exc, "message", str(exc))
            raise ConfigurationError(f"`output=` is not a valid JSON Schema: {message}.") from None
        self.python_type = python_type
        self.adapter = adapter
        self.strict = strict
        self.name = _clean_name(name or schema.get("title") or "output")
        self.schema, self.wrapped = _rooted(schema)
        self._lock = threading.Lock()
        self._specs: dict[str, OutputSpec] = {}
        self._validators: dict[tuple[str | None, bool], Any] = {}
        self._tools: dict[str, Tool] = {}

    def __repr__(self) -> str:
        kind = _type_name(self.python_type) if self.python_type is not None else "JSON Schema"
        return f"<StructuredOutput {self.name} ({kind}){' wrapped' if self.wrapped else ''}>"

    # ------------------------------------------------------------------------------- what is sent

    @property
    def canonical_spec(self) -> OutputSpec:
        return OutputSpec(schema=self.schema, name=self.name, strict=self.strict)

    def spec(self, dialect: str) -> OutputSpec:
        """The `OutputSpec` the dialect sends natively (its own transform of the canonical schema)."""
        cached = self._specs.get(dialect)
        if cached is not None:
            return cached
        schema, strict = load(dialect).output_schema(self.schema, strict=self.strict, name=self.name)
        spec = OutputSpec(schema=schema, name=self.name, strict=strict)
        with self._lock:
            self._specs[dialect] = spec
        return spec

    def tool(self, taken: set[str] | frozenset[str] = frozenset()) -> Tool:
        """The final-answer tool for "tool" mode: its arguments are the answer (a name no user tool has)."""
        name = FINAL_TOOL
        index = 1
        while name in taken:
            name, index = f"{FINAL_TOOL}_{index}", index + 1
        cached = self._tools.get(name)
        if cached is not None:
            return cached
        from agentkit.tools import Tool

        description = (
            "Give your final answer by calling this tool; its arguments are the answer. Call it once, "
            "when you have everything you need."
        )
        about = self.schema.get("description")
        if isinstance(about, str) and about.strip():
            description += f" The answer: {about.strip()}"
        tool = Tool.from_schema(name, description, self.schema, _final_answer, strict=self.strict)
        with self._lock:
            self._tools[name] = tool
        return tool

    def instructions(self) -> str:
        """The system-prompt text of "prompt" mode: answer with JSON matching the canonical schema."""
        schema = json.dumps(self.schema, ensure_ascii=False, separators=(",", ":"))
        return (
            "Your final answer must be only a JSON value, with no prose before or after it and no Markdown "
            f"code fence, that matches this JSON Schema (named {self.name!r}):\n{schema}"
        )

    # ------------------------------------------------------------------------------- reading answers

    def parse(self, text: str, dialect: str | None) -> Any:
        """The typed value of an answer's text; raises :class:`OutputInvalid` saying what is wrong."""
        data = _extract_json(text)
        return self.validate(data, dialect, raw=text)

    def validate(self, data: Any, dialect: str | None, *, raw: str | None = None) -> Any:
        """Validate JSON data against the schema `dialect` was shown (None: the canonical one), then convert."""
        from agentkit._schema import drop_default_nulls, schema_problems

        raw_text = raw if raw is not None else json.dumps(data, ensure_ascii=False)
        problems = schema_problems(self.name, self._validator(dialect), data)
        if not problems and self.adapter is None and dialect is not None:
            # A dict schema has no converter to enforce what the dialect's form moved into descriptions.
            problems = schema_problems(self.name, self._validator(None), data)
        if problems:
            raise OutputInvalid(_sentences([sentence for _, sentence in problems], self.name), raw_text)
        if isinstance(data, dict):
            data = drop_default_nulls(self.schema, data)
        value = data[_WRAP_KEY] if self.wrapped and isinstance(data, dict) else data
        if self.adapter is None:
            return value
        import pydantic

        from agentkit._schema import _pydantic_problems

        try:
            return self.adapter.validate_python(value)
        except pydantic.ValidationError as exc:
            shown = {_WRAP_KEY: value} if self.wrapped else value
            found = _pydantic_problems(exc, shown if isinstance(shown, dict) else {})
            sentences = [s for _, s in found] or [str(exc)]
            raise OutputInvalid(_sentences(sentences, self.name), raw_text) from None

    def _validator(self, dialect: str | None) -> Any:
        key = (dialect, self.strict)
        validator = self._validators.get(key)
        if validator is None:
            validator = shown_validator(self.schema, dialect, strict=self.strict, form=None, name=self.name)
            with self._lock:
                self._validators[key] = validator
        return validator

    def unwrap(self, data: Any) -> Any:
        """The answer inside the `{"value": ...}` wrapper (when there is one), for partial objects."""
        if self.wrapped and isinstance(data, dict):
            return data.get(_WRAP_KEY)
        return data


def _final_answer(**arguments: Any) -> dict[str, Any]:
    """The final-answer tool's function: the agent reads its arguments and never needs to run it."""
    return arguments


def _clean_name(name: Any) -> str:
    text = _NAME.sub("_", str(name)).strip("_")[:64]
    return text or "output"


def _rooted(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """An object-rooted copy of `schema`: a root `$ref` to an object is inlined; anything else is wrapped."""
    from agentkit._schema import copy_json, resolve_ref

    schema = copy_json(schema)
    ref = schema.get("$ref")
    if isinstance(ref, str) and set(schema) <= {"$ref", "$defs", "title", "description"}:
        target = resolve_ref(schema, ref)
        if isinstance(target, dict) and target.get("type") == "object":
            defs = schema.get("$defs")
            inlined = {k: v for k, v in target.items() if k != "$defs"}
            if defs:
                inlined["$defs"] = defs
            return inlined, False
    if schema.get("type") == "object":
        return schema, False
    defs = schema.pop("$defs", None)
    title = schema.pop("title", None)
    wrapper: dict[str, Any] = {
        "type": "object",
        "properties": {_WRAP_KEY: schema},
        "required": [_WRAP_KEY],
        "additionalProperties": False,
    }
    if isinstance(title, str):
        wrapper["title"] = title
    if defs:
        wrapper["$defs"] = defs
    return wrapper, True


_REWORD = (
    ("Argument `", "Field `"),
    ("The arguments are", "The answer is"),
    ("The arguments", "The answer"),
    (" is not a parameter of ", " is not a field of "),
    ("its parameters are", "its fields are"),
    ("it takes no arguments", "it has no fields"),
)


def _sentences(sentences: list[str], name: str) -> list[str]:
    """Tool-argument sentences reworded for an answer (fields, not arguments); duplicates dropped."""
    out: list[str] = []
    for sentence in sentences:
        for old, new in _REWORD:
            sentence = sentence.replace(old, new)
        sentence = sentence.replace(f"`{name}`", f"`{name}` (the answer)") if " field of " in sentence else sentence
        if sentence not in out:
            out.append(sentence)
    return out


def _extract_json(text: str) -> Any:
    """The JSON value in an answer: the whole text, else a fenced block, else the outermost object/array."""
    stripped = text.strip()
    if not stripped:
        raise OutputInvalid(["The answer is empty; it must be a JSON value."], text)
    try:
        return json.loads(stripped)
    except ValueError as exc:
        first_error = exc
    candidates = [m.group(1).strip() for m in _FENCE.finditer(stripped)]
    for opener, closer in (("{", "}"), ("[", "]")):
        start, end = stripped.find(opener), stripped.rfind(closer)
        if 0 <= start < end:
            candidates.append(stripped[start : end + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    reason = getattr(first_error, "msg", str(first_error))
    where = f" at line {first_error.lineno} column {first_error.colno}" if isinstance(first_error, json.JSONDecodeError) else ""
    shown = stripped if len(stripped) <= 120 else stripped[:117] + "..."
    raise OutputInvalid([f"The answer is not valid JSON ({reason}{where}): {shown!r}."], text)


# ------------------------------------------------------------------------------------- streaming


@dataclasses.dataclass
class PartialOutput:
    """Partial objects while an answer streams, parsed with jiter's partial mode (as pydantic does).

    Feed it a turn's text pieces (or, in "tool" mode, the final tool's argument pieces); `feed`
    returns the newest partial value when it changed, else None. Incomplete strings are included
    as far as they arrived ("trailing-strings"), so a UI can show a field being written.
    """

    output: StructuredOutput
    buffer: list[str] = dataclasses.field(default_factory=list)
    last: Any = None
    _started: bool = False

    def reset(self) -> None:
        self.buffer.clear()
        self.last = None
        self._started = False

    def feed(self, piece: str) -> Any:
        if not piece:
            return None
        self.buffer.append(piece)
        text = "".join(self.buffer)
        start = _json_start(text)
        if start < 0:
            return None
        value = _partial(text[start:])
        if value is None:
            return None
        value = self.output.unwrap(value)
        if self._started and value == self.last:
            return None
        self._started = True
        self.last = value
        return value


def _json_start(text: str) -> int:
    """Where the JSON starts: after a Markdown fence opener, else at the first `{` or `[`."""
    fence = text.find("```")
    if fence >= 0:
        newline = text.find("\n", fence)
        if newline < 0:
            return -1
        text_after = text[newline + 1 :]
        offset = newline + 1
    else:
        text_after, offset = text, 0
    starts = [i for i in (text_after.find("{"), text_after.find("[")) if i >= 0]
    return offset + min(starts) if starts else -1


def _partial(text: str) -> Any:
    import jiter

    end = text.find("```")
    if end >= 0:
        text = text[:end]
    try:
        return jiter.from_json(text.encode("utf-8"), partial_mode="trailing-strings")
    except ValueError:
        return None


# ------------------------------------------------------------------------------------- one run


class OutputFallbackWarning(UserWarning):
    """The relay rejected a way of asking for structured output, and agentkit fell back to the next one."""


_NEXT_MODE: dict[OutputMode, OutputMode | None] = {"native": "tool", "tool": "prompt", "prompt": None}
_DESCRIBE_MODE: dict[OutputMode, str] = {
    "native": "native structured output",
    "tool": "a forced call of the final-answer tool",
    "prompt": "JSON requested in the system prompt",
}
NOTHING: Any = object()
"""What :meth:`OutputRun.partial` returns when there is no new partial object."""


@dataclasses.dataclass
class Verdict:
    """What the agent does after a turn of a structured-output run.

    kind: "tools" (no answer yet: run the turn's tool calls as usual), "answer" (done: `value`),
    "retry" (ask again: run `calls`, add `results` and `followup` to the history) or "fail" (raise
    `error` after adding `results`).
    """

    kind: Literal["tools", "answer", "retry", "fail"]
    value: Any = None
    text: str = ""
    calls: list[Any] = dataclasses.field(default_factory=list)
    results: list[Any] = dataclasses.field(default_factory=list)
    followup: Any = None
    error: Exception | None = None


class OutputRun:
    """One run's structured-output state: how the answer is asked for, re-asks left, partial objects.

    The mode starts at what worked last time for this dialect and model (`modes`, kept by the relay),
    else where the dialect says (its `output_mode`: "native", or "tool" for a model that rejects a
    response schema together with tools, like Gemini before Gemini 3). Re-asks (`retries`) answer an
    invalid answer with the validation errors and do not count as turns against `max_turns`.
    """

    def __init__(
        self,
        output: StructuredOutput,
        *,
        dialect: str,
        model: str,
        tools: list[Tool],
        retries: int,
        modes: dict[tuple[str, str], OutputMode],
    ) -> None:
        self.output = output
        self.dialect = dialect
        self.model = model
        self.user_tools = tools
        self.retries = retries
        self._modes = modes
        mode = modes.get((dialect, model))
        self.mode: OutputMode = mode if mode is not None else load(dialect).output_mode(model, has_tools=bool(tools))
        self.final = output.tool({t.name for t in tools})
        self._partial = PartialOutput(output)
        self._final_index: int | None = None
        self._first_error: Exception | None = None

    # ---------------------------------------------------------------------------- the request

    @property
    def tools(self) -> list[Tool]:
        return [*self.user_tools, self.final] if self.mode == "tool" else list(self.user_tools)

    @property
    def spec(self) -> OutputSpec | None:
        return self.output.spec(self.dialect) if self.mode == "native" else None

    @property
    def tool_choice(self) -> str | None:
        if self.mode != "tool":
            return None
        return "required" if self.user_tools else self.final.name

    def options(self, options: dict[str, Any]) -> dict[str, Any]:
        """The model options: a forced final-answer tool alone is called once (no parallel calls)."""
        if self.mode == "tool" and not self.user_tools:
            return {**options, "parallel_tool_calls": False}
        return options

    @property
    def instructions(self) -> str | None:
        return self.output.instructions() if self.mode == "prompt" else None

    def fall_back(self, error: Exception | None, *, dropped: str | None = None) -> bool:
        """Switch to the next mode after the relay rejected this one (HTTP 400), or after an answer showed
        it was dropped on the way (`dropped`, from :meth:`dropped`); False when none is left.

        Says so with an :class:`OutputFallbackWarning` (once per relay, dialect and model: the mode
        that works is remembered). Any 400 counts, because relays word the rejection differently;
        when every mode is rejected, the first error is the one raised (see `first_error`).
        """
        following = _NEXT_MODE[self.mode]
        if self._first_error is None and error is not None:
            self._first_error = error
        if following is None:
            return False
        what = _DESCRIBE_MODE[self.mode]
        if self.mode == "native":
            what += f" ({load(self.dialect).NATIVE_OUTPUT_PARAMETER})"
        import warnings

        if dropped is not None:
            why = (f"The answer of model {self.model!r} on the `{self.dialect}` door ignored {what}: {dropped}, so "
                   "the relay (or a gateway on the way) dropped it")
        else:
            message = str(getattr(error, "message", "") or error)
            why = (f"The relay rejected {what} for model {self.model!r} on the `{self.dialect}` door with HTTP 400 "
                   f"({message.strip().rstrip('.')})")
        warnings.warn(
            OutputFallbackWarning(
                f"{why}; retrying with {_DESCRIBE_MODE[following]}. "
                "agentkit keeps using that for this model on this relay."
            ),
            stacklevel=2,
        )
        logger.info("Structured output for %s/%s falls back from %s to %s", self.dialect, self.model, self.mode, following)
        self.mode = following
        self._modes[(self.dialect, self.model)] = following
        return True

    def dropped(self, turn: Any) -> str | None:
        """Why this answer shows that the way it was asked for never reached the model, or None.

        Trust, then verify: translating relays and gateways silently drop what they do not map (an
        Anthropic `output_config`, a Gemini response schema, a forced `tool_choice`). An API that
        honours the native format answers JSON, and one that honours a forced tool call calls it;
        prose with no JSON in it, from a turn that calls no tool and was not cut short, means the
        request lost its format on the way. JSON that fails the schema is the model's slip instead,
        and is re-asked as usual.
        """
        message = turn.message
        if message.tool_calls or _NEXT_MODE[self.mode] is None or turn.finish_reason == "length":
            return None
        text = message.text.strip()
        if not text or text.startswith(("{", "[", "```")):
            return None
        try:
            _extract_json(text)
        except OutputInvalid:
            shown = text if len(text) <= 80 else text[:77] + "..."
            if self.mode == "native":
                return f"it came back as prose, not JSON ({shown!r})"
            return f"it answered in text without calling the forced tool `{self.final.name}` ({shown!r})"
        return None

    # ---------------------------------------------------------------------------- streaming

    def new_turn(self) -> None:
        self._partial.reset()
        self._final_index = None

    def partial(self, event: Any) -> Any:
        """The new partial object after a delta event, or :data:`NOTHING`."""
        from agentkit.events import TextDelta, ToolCallDelta

        if self.mode == "tool":
            if not isinstance(event, ToolCallDelta):
                return NOTHING
            if event.name is not None:
                if event.name != self.final.name:
                    return NOTHING
                self._final_index = event.index
            if event.index != self._final_index:
                return NOTHING
            piece = event.arguments
        elif isinstance(event, TextDelta):
            piece = event.text
        else:
            return NOTHING
        value = self._partial.feed(piece)
        return NOTHING if value is None else value

    # ---------------------------------------------------------------------------- the answer

    def judge(self, turn: Any) -> Verdict:
        """Decide what a decoded turn means for the run (see :class:`Verdict`)."""
        from agentkit.messages import Message, TextPart, ToolResultPart

        message = turn.message
        calls = message.tool_calls
        cut = turn.finish_reason == "length"
        if self.mode == "tool":
            finals = [c for c in calls if c.name == self.final.name]
            if finals:
                final, others = finals[0], [c for c in calls if c is not finals[0]]
                skipped = [
                    ToolResultPart(c.id, c.name, (TextPart("Not run: the final answer was given in the same turn."),),
                                   is_error=True)
                    for c in others
                ]
                raw = final.arguments if isinstance(final.arguments, str) else json.dumps(final.arguments, ensure_ascii=False)
                try:
                    data = _extract_json(final.arguments) if isinstance(final.arguments, str) else final.arguments
                    value = self.output.validate(data, self.dialect, raw=raw)
                except OutputInvalid as exc:
                    errors = _with_cut(exc.errors, cut)
                    text = _compose_tool(self.final.name, errors)
                    part = ToolResultPart(final.id, final.name, (TextPart(text),), is_error=True)
                    return self._retry_or_fail(errors, raw, calls=others, results=[part])
                done = ToolResultPart(final.id, final.name, (TextPart("Final answer received."),))
                results = [done, *skipped]
                return Verdict("answer", value=value, text=raw, results=results)
            if calls:
                return Verdict("tools")
            try:
                value = self.output.parse(message.text, None)
            except OutputInvalid as exc:
                errors = _with_cut(exc.errors, cut)
                followup = Message.user(
                    f"Give your final answer by calling the tool `{self.final.name}` with the answer as its "
                    "arguments; do not answer in text."
                )
                return self._retry_or_fail(errors, message.text, followup=followup)
            return Verdict("answer", value=value, text=message.text)
        if calls:
            return Verdict("tools")
        text = message.text
        try:
            value = self.output.parse(text, self.dialect if self.mode == "native" else None)
        except OutputInvalid as exc:
            errors = _with_cut(exc.errors, cut)
            bullets = "\n".join(f"- {e}" for e in errors)
            followup = Message.user(
                f"Your answer does not match the required JSON schema `{self.output.name}`:\n{bullets}\n"
                "Answer again with only the corrected JSON."
            )
            return self._retry_or_fail(errors, text, followup=followup)
        return Verdict("answer", value=value, text=text)

    def first_error(self, error: Exception) -> Exception:
        """The error to raise when every mode was rejected: the first rejection (about the native form)."""
        return self._first_error if self._first_error is not None else error

    def _retry_or_fail(
        self,
        errors: list[str],
        raw: str,
        *,
        calls: list[Any] | None = None,
        results: list[Any] | None = None,
        followup: Any = None,
    ) -> Verdict:
        if self.retries > 0:
            self.retries -= 1
            return Verdict("retry", calls=calls or [], results=results or [], followup=followup)
        from agentkit.errors import OutputValidationError

        bullets = "\n".join(f"- {e}" for e in errors)
        error = OutputValidationError(
            f"The model's answer does not match the output schema `{self.output.name}`, even after asking "
            f"again:\n{bullets}\nThe raw answer is in `.raw`. Raise `output_retries=`, simplify the schema, or "
            "try a stronger model.",
            raw=raw,
            errors=errors,
        )
        skipped = [
            _skipped(c) for c in calls or ()
        ]
        return Verdict("fail", results=[*(results or []), *skipped], error=error)


def _skipped(call: Any) -> Any:
    from agentkit.messages import TextPart, ToolResultPart

    return ToolResultPart(call.id, call.name, (TextPart("Not run: the run stopped on an invalid final answer."),),
                          is_error=True)


def _with_cut(errors: list[str], cut: bool) -> list[str]:
    if not cut:
        return errors
    return [*errors, "The answer was cut off by the token limit; keep it shorter or raise `max_tokens`."]


def _compose_tool(name: str, errors: list[str]) -> str:
    bullets = "\n".join(f"- {e}" for e in errors)
    return f"Invalid arguments for tool `{name}`:\n{bullets}\nFix them and call `{name}` again."
