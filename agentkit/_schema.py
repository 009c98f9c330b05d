"""A Python function becomes a canonical JSON Schema, a validator and a converter.

Why a separate module: the schema is the one thing every dialect shares. `@ak.tool` builds a
:class:`FuncSchema` once, at decoration time; each dialect then rewrites its canonical
`parameters` (see `agentkit/_schema_dialects.py`), and calls come back through the same three steps
whatever the vendor:

1. :func:`parse_arguments`: the model's arguments (a dict, JSON text, or nothing) become a dict.
2. :func:`check_arguments`: jsonschema validates them against the schema *that dialect showed the
   model*, and every problem becomes one sentence a model can act on ("Argument `unit` must be one
   of 'c', 'f'; got 'k'."). :func:`drop_default_nulls` then removes nulls sent for optional values,
   which mean "use the default" (OpenAI strict mode makes optional parameters required + nullable).
3. :meth:`FuncSchema.bind`: pydantic turns the JSON values into the annotated Python types
   (dataclass and model instances, enum members, datetimes, sets...) and enforces what the shown
   schema could not say (a dialect may have moved a constraint into the description). Problems
   from steps 2 and 3 are reported together, one sentence per argument, so a model can fix
   everything in one retry.

Types come from pydantic (a dependency of every vendor SDK), parameter descriptions from the
docstring (Google, NumPy or reST, via docstring-parser), `Annotated[X, "description"]` or
`pydantic.Field(description=...)`. Developer mistakes (`*args`, missing or unusable type hints) raise
:class:`~agentkit.errors.ConfigurationError` here, naming the parameter.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import sys
import types
import typing
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NoReturn, TypeAlias

import pydantic
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema

from .errors import ConfigurationError, ToolArgumentsError

if typing.TYPE_CHECKING:
    from jsonschema import ValidationError as JsonSchemaError
    from jsonschema.protocols import Validator

__all__ = [
    "FuncSchema",
    "JsonSchema",
    "Problem",
    "check_arguments",
    "copy_json",
    "drop_default_nulls",
    "function_schema",
    "map_subschemas",
    "merge_problems",
    "parse_arguments",
    "raise_problems",
    "raw_schema",
    "recursive_defs",
    "resolve_ref",
    "schema_problems",
    "validator_for",
]

JsonSchema: TypeAlias = dict[str, Any]

# Keywords whose value is a map of name -> subschema, a list of subschemas, or one subschema.
_MAP_KEYWORDS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_LIST_KEYWORDS = ("anyOf", "oneOf", "allOf", "prefixItems")
_ONE_KEYWORDS = (
    "items",
    "additionalProperties",
    "additionalItems",
    "unevaluatedProperties",
    "unevaluatedItems",
    "propertyNames",
    "contains",
    "not",
    "if",
    "then",
    "else",
)

# Tool names every dialect accepts: OpenAI and Anthropic allow `^[a-zA-Z0-9_-]{1,64}$`, Gemini
# wants a letter or underscore first.
_NAME_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


# --------------------------------------------------------------------------------------------------
# JSON Schema plumbing shared with the dialect transformers


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON-like value (dicts, lists, scalars); several times faster than `deepcopy`."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value


def map_subschemas(schema: Any, fn: Callable[[Any], Any]) -> Any:
    """Return a copy of `schema` whose direct subschemas are replaced by `fn(subschema)`.

    Knows which keywords hold schemas, so a property *named* `title` or `default` is never
    mistaken for the keyword. Non-dict schemas (`true`/`false`) are returned unchanged.
    """
    if not isinstance(schema, dict):
        return schema
    out: JsonSchema = {}
    for key, value in schema.items():
        if key in _MAP_KEYWORDS and isinstance(value, dict):
            out[key] = {name: fn(sub) for name, sub in value.items()}
        elif key in _LIST_KEYWORDS and isinstance(value, list):
            out[key] = [fn(sub) for sub in value]
        elif key in _ONE_KEYWORDS:
            out[key] = [fn(sub) for sub in value] if isinstance(value, list) else fn(value)
        else:
            out[key] = value
    return out


def iter_subschemas(schema: Any) -> Iterator[Any]:
    """Every schema below `schema` (not `schema` itself), depth first."""
    found: list[Any] = []

    def visit(sub: Any) -> Any:
        found.append(sub)
        map_subschemas(sub, visit)
        return sub

    map_subschemas(schema, visit)
    return iter(found)


def resolve_ref(root: JsonSchema, ref: str) -> Any:
    """The schema a local `$ref` (`#/$defs/Name`) points to inside `root`."""
    if not ref.startswith("#"):
        raise ConfigurationError(f"Only local `$ref`s (starting with '#') are supported; got {ref!r}.")
    target: Any = root
    for token in ref[1:].split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and token in target:
            target = target[token]
        elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
            target = target[int(token)]
        else:
            raise ConfigurationError(f"The `$ref` {ref!r} points to nothing in the schema.")
    return target


def _refs_in(schema: Any) -> set[str]:
    refs = set()
    for sub in [schema, *iter_subschemas(schema)]:
        if isinstance(sub, dict) and isinstance(sub.get("$ref"), str):
            refs.add(sub["$ref"])
    return refs


def recursive_defs(root: JsonSchema) -> set[str]:
    """The `$ref` strings (`#/$defs/Node`) of definitions that can reach themselves."""
    defs = root.get("$defs") or {}
    graph = {f"#/$defs/{name}": _refs_in(sub) for name, sub in defs.items()}
    recursive = set()
    for start in graph:
        seen: set[str] = set()
        stack = list(graph[start])
        while stack:
            ref = stack.pop()
            if ref == start:
                recursive.add(start)
                break
            if ref in seen:
                continue
            seen.add(ref)
            stack.extend(graph.get(ref, ()))
    return recursive


def accepts_null(schema: Any, root: JsonSchema) -> bool:
    """Whether `schema` certainly accepts JSON null (without running a validator)."""
    if schema is True or schema == {}:
        return True
    if not isinstance(schema, dict):
        return False
    if "$ref" in schema and len(schema) == 1:
        try:
            return accepts_null(resolve_ref(root, schema["$ref"]), root)
        except ConfigurationError:
            return False
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if "const" in schema and schema["const"] is None:
        return True
    if None in (schema.get("enum") or ()):
        return True
    if schema.get("nullable") is True:
        return True
    return any(accepts_null(sub, root) for sub in schema.get("anyOf") or schema.get("oneOf") or ())


def null_tolerant(schema: JsonSchema) -> JsonSchema:
    """`schema` where every optional property (not in `required`) also accepts null.

    A null for an optional value means "use the default" (that is how OpenAI strict mode expresses
    optional parameters), so the validator lets it through whatever the dialect showed.
    """

    def visit(sub: Any) -> Any:
        sub = map_subschemas(sub, visit)
        if isinstance(sub, dict) and isinstance(sub.get("properties"), dict):
            required = set(sub.get("required") or ())
            props = {}
            for name, prop in sub["properties"].items():
                if name in required or accepts_null(prop, schema):
                    props[name] = prop
                else:
                    props[name] = {"anyOf": [prop, {"type": "null"}]}
            sub["properties"] = props
        return sub

    out: JsonSchema = visit(schema)
    return out


# --------------------------------------------------------------------------------------------------
# Arguments: parse, validate, drop default nulls


def parse_arguments(tool: str, arguments: Mapping[str, Any] | str | bytes | None) -> dict[str, Any]:
    """The model's arguments as a dict. JSON text is decoded; empty text or None means no arguments."""
    if arguments is None:
        return {}
    if isinstance(arguments, (bytes, bytearray)):
        arguments = arguments.decode("utf-8", "replace")
    if isinstance(arguments, str):
        if not arguments.strip():
            return {}
        try:
            arguments = json.loads(arguments)
        except ValueError as exc:
            reason = getattr(exc, "msg", str(exc))
            where = (
                f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
            )
            message = (
                f"The arguments for tool `{tool}` are not valid JSON ({reason}{where}): "
                f"{_short(arguments)!r}. Send the arguments as one JSON object."
            )
            raise ToolArgumentsError(message, tool=tool, errors=[message]) from None
    if not isinstance(arguments, Mapping):
        message = (
            f"The arguments for tool `{tool}` must be a JSON object with the parameter names as keys; "
            f"got {_kind(arguments)}: {_short(arguments)!r}."
        )
        raise ToolArgumentsError(message, tool=tool, errors=[message])
    return dict(arguments)


def import_jsonschema() -> None:
    """Import jsonschema on first use, without the optional `rfc3987_syntax` format checker.

    jsonschema registers optional format checkers at import time. One of them, `rfc3987_syntax`
    (installed with Jupyter, through `jupyter-events`), compiles a grammar when imported, which
    takes seconds: the first tool call in a notebook would stall for that long. agentkit never
    checks formats (pydantic converts dates, UUIDs...), so the import is blocked while jsonschema
    loads. The one visible effect: in this process, `jsonschema.FormatChecker` has no "iri" /
    "iri-reference" check, unless something imported `rfc3987_syntax` earlier.
    """
    if "jsonschema" in sys.modules:
        return
    blocked = "rfc3987_syntax" not in sys.modules
    if blocked:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # makes `import` raise ImportError
    try:
        import jsonschema  # noqa: F401
    finally:
        if blocked and "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] is None:
            del sys.modules["rfc3987_syntax"]


def validator_for(schema: JsonSchema) -> Validator:
    """A Draft 2020-12 validator for `schema` (jsonschema is imported on first use: see `import_jsonschema`)."""
    import_jsonschema()
    from jsonschema import Draft202012Validator

    validator: Validator = Draft202012Validator(schema)
    return validator


Problem: TypeAlias = tuple[tuple[Any, ...], str]
"""One thing wrong with the arguments: the path of the argument at fault, and a sentence about it."""


def schema_problems(tool: str, validator: Validator, arguments: dict[str, Any]) -> list[Problem]:
    """Every way `arguments` fails the validator's schema, as (path, sentence), in path order."""
    errors = sorted(validator.iter_errors(arguments), key=lambda e: [str(p) for p in e.absolute_path])
    root = validator.schema if isinstance(validator.schema, dict) else {}
    problems: list[Problem] = []
    for error in errors:
        for problem in _describe(error, tool, root):
            if problem not in problems:
                problems.append(problem)
    return problems


def raise_problems(tool: str, problems: Sequence[Problem]) -> None:
    """Raise :class:`ToolArgumentsError` for `problems` (if any), one sentence each."""
    if problems:
        _fail(tool, problems)


def _fail(tool: str, problems: Sequence[Problem]) -> NoReturn:
    sentences = list(dict.fromkeys(sentence for _, sentence in problems)) or ["The arguments are invalid."]
    raise ToolArgumentsError(_compose(tool, sentences), tool=tool, errors=sentences)


def merge_problems(first: Sequence[Problem], then: Sequence[Problem]) -> list[Problem]:
    """`first`, plus the problems of `then` about other arguments, in path order."""
    extra = [p for p in then if not _overlaps(p[0], first)]
    return sorted([*first, *extra], key=lambda p: [str(x) for x in p[0]])


def check_arguments(tool: str, validator: Validator, arguments: dict[str, Any]) -> None:
    """Raise :class:`ToolArgumentsError` listing every way `arguments` fails the validator's schema."""
    raise_problems(tool, schema_problems(tool, validator, arguments))


def _overlaps(path: tuple[Any, ...], others: Sequence[Problem]) -> bool:
    """Whether `path` is at, above or below the path of one of `others` (the same argument's trouble)."""
    return any(path[: len(p)] == p or p[: len(path)] == path for p, _ in others)


def drop_default_nulls(canonical: JsonSchema, arguments: dict[str, Any]) -> dict[str, Any]:
    """Remove nulls sent for optional (non-required) properties, at any depth, so defaults apply.

    The canonical schema says what is optional; `$ref`s are followed, and for a union of object
    schemas the first branch that has every key of the value is used. Keys of free-form mappings
    (`dict[str, X]`) are not properties: their nulls are values and stay.
    """

    def prune(value: Any, schema: Any, depth: int) -> Any:
        if depth > 64 or not isinstance(schema, dict):
            return value
        hops = 0
        while isinstance(schema.get("$ref"), str) and hops < 32:
            target = resolve_ref(canonical, schema["$ref"])
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **rest} if isinstance(target, dict) else rest
            hops += 1
        if isinstance(value, dict):
            obj = _object_branch(schema, value, canonical)
            if obj is None:
                return value
            props = obj.get("properties") or {}
            required = set(obj.get("required") or ())
            extra = obj.get("additionalProperties")
            out = {}
            for key, item in value.items():
                if item is None and key in props and key not in required:
                    continue
                out[key] = prune(item, props.get(key, extra), depth + 1)
            return out
        if isinstance(value, list):
            items = schema.get("items")
            prefix = schema.get("prefixItems") or []
            return [
                prune(item, prefix[i] if i < len(prefix) else items, depth + 1)
                for i, item in enumerate(value)
            ]
        return value

    result: dict[str, Any] = prune(arguments, canonical, 0)
    return result


def _object_branch(schema: JsonSchema, value: dict[str, Any], root: JsonSchema) -> JsonSchema | None:
    if "properties" in schema or schema.get("type") == "object":
        return schema
    for branch in schema.get("anyOf") or schema.get("oneOf") or ():
        while isinstance(branch, dict) and isinstance(branch.get("$ref"), str):
            branch = resolve_ref(root, branch["$ref"])
        if (
            isinstance(branch, dict)
            and isinstance(branch.get("properties"), dict)
            and set(value) <= set(branch["properties"])
        ):
            return branch
    return None


# --------------------------------------------------------------------------------------------------
# Error sentences (written for the model that sent the arguments)

_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "object": "a JSON object",
    "array": "an array",
    "null": "null",
}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return type(value).__name__


def _short(value: Any, limit: int = 80) -> Any:
    """The value itself when short, else a truncated text form (error messages quote it with `!r`)."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return value
    return text[: limit - 3] + "..."


def _path(parts: Sequence[Any]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _subject(parts: Sequence[Any]) -> str:
    return f"Argument `{_path(parts)}`" if parts else "The arguments"


def _is(parts: Sequence[Any]) -> str:
    """`subject is` / `the arguments are`."""
    return f"{_subject(parts)} is" if parts else "The arguments are"


def _words(kind: Any) -> str:
    kinds = kind if isinstance(kind, list) else [kind]
    return " or ".join(_TYPE_WORDS.get(k, str(k)) for k in kinds)


def _compose(tool: str, sentences: list[str]) -> str:
    if len(sentences) == 1:
        return (
            f"Invalid arguments for tool `{tool}`: {sentences[0]} Fix the arguments and call `{tool}` again."
        )
    bullets = "\n".join(f"- {s}" for s in sentences)
    return f"Invalid arguments for tool `{tool}`:\n{bullets}\nFix the arguments and call `{tool}` again."


def _describe(error: JsonSchemaError, tool: str, root: JsonSchema) -> list[Problem]:
    """One or more (path, sentence) problems for one jsonschema error."""
    path = list(error.absolute_path)
    here = tuple(path)
    problems = [(here, s) for s in _sentences(error, tool, root, path)]
    if error.validator == "required":
        problems = [((*here, name), s) for name, (_, s) in zip(_missing(error), problems, strict=False)]
    elif error.validator in ("additionalProperties", "unevaluatedProperties"):
        problems = [
            ((*here, name), s) for name, (_, s) in zip(_extras(error), problems, strict=False)
        ] or problems
    elif error.validator in ("anyOf", "oneOf"):
        return _describe_union(error, tool, root, _subject(path))
    return problems


def _missing(error: JsonSchemaError) -> list[str]:
    value = error.instance
    return [name for name in error.validator_value if isinstance(value, dict) and name not in value]


def _extras(error: JsonSchemaError) -> list[str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = schema.get("properties") or {}
    return [k for k in error.instance if k not in known] if isinstance(error.instance, dict) else []


def _sentences(error: JsonSchemaError, tool: str, root: JsonSchema, path: list[Any]) -> list[str]:
    """The sentences for one jsonschema error (unions are handled by the caller)."""
    subject = _subject(path)
    value = error.instance
    keyword = error.validator
    expected = error.validator_value
    if keyword == "required":
        return [f"Argument `{_path([*path, name])}` is missing: it is required." for name in _missing(error)]
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(value, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        known = list(schema.get("properties") or {})
        extras = _extras(error)
        names = ", ".join(f"`{k}`" for k in known)
        out = []
        for extra in extras:
            if not path:
                known_text = f"its parameters are {names}" if known else "it takes no arguments"
                out.append(f"Argument `{extra}` is not a parameter of `{tool}`; {known_text}.")
            else:
                known_text = f"its fields are {names}" if known else "it takes no fields"
                out.append(f"{subject} has no field `{extra}`; {known_text}.")
        return out or [f"{subject} has unexpected fields."]
    if keyword == "type":
        return [f"{subject} must be {_words(expected)}; got {_short(value)!r} ({_kind(value)})."]
    if keyword == "enum" and len(expected) == 1:
        return [f"{subject} must be {expected[0]!r}; got {_short(value)!r}."]
    if keyword == "enum":
        options = ", ".join(repr(v) for v in expected)
        return [f"{subject} must be one of {options}; got {_short(value)!r}."]
    if keyword == "const":
        return [f"{subject} must be {expected!r}; got {_short(value)!r}."]
    simple = {
        "minimum": f"must be at least {expected}",
        "maximum": f"must be at most {expected}",
        "exclusiveMinimum": f"must be greater than {expected}",
        "exclusiveMaximum": f"must be less than {expected}",
        "multipleOf": f"must be a multiple of {expected}",
        "pattern": f"must match the regular expression {expected!r}",
        "format": f"must be a valid {expected}",
    }
    if keyword in simple:
        return [f"{subject} {simple[keyword]}; got {_short(value)!r}."]
    if keyword in ("minLength", "maxLength") and isinstance(value, str):
        bound = "at least" if keyword == "minLength" else "at most"
        return [
            f"{subject} must be {bound} {expected} characters long; got {_short(value)!r} ({len(value)} characters)."
        ]
    if keyword in ("minItems", "maxItems") and isinstance(value, list):
        bound = "at least" if keyword == "minItems" else "at most"
        return [f"{subject} must have {bound} {expected} items; got {len(value)}."]
    if keyword in ("minProperties", "maxProperties") and isinstance(value, dict):
        bound = "at least" if keyword == "minProperties" else "at most"
        return [f"{subject} must have {bound} {expected} keys; got {len(value)}."]
    if keyword == "uniqueItems":
        return [f"{subject} must not contain duplicate items."]
    if keyword == "false" or error.schema is False:
        return [f"{_is(path)} not allowed here; leave it out."]
    return [f"{_is(path)} invalid: {error.message}."]


def _describe_union(error: JsonSchemaError, tool: str, root: JsonSchema, subject: str) -> list[Problem]:
    """Explain an anyOf/oneOf failure: the branch that fits the value's JSON type, else the options."""
    branches = error.validator_value if isinstance(error.validator_value, list) else []
    value = error.instance
    kinds: list[str] = []
    fitting: list[int] = []
    for index, branch in enumerate(branches):
        while isinstance(branch, dict) and isinstance(branch.get("$ref"), str) and len(branch) == 1:
            branch = resolve_ref(root, branch["$ref"])
        kind = _branch_kind(branch)
        kinds.extend(k for k in kind if k not in kinds)
        if not kind or any(_fits(value, k) for k in kind):
            fitting.append(index)
    if len(fitting) == 1:
        nested = [
            e
            for e in error.context or ()
            if e.relative_schema_path and e.relative_schema_path[0] == fitting[0]
        ]
        problems: list[Problem] = []
        for sub in sorted(nested, key=lambda e: [str(p) for p in e.absolute_path]):
            for problem in _describe(sub, tool, root):
                if problem not in problems:
                    problems.append(problem)
        if problems:
            return problems
    here = tuple(error.absolute_path)
    if kinds:
        words = " or ".join(_TYPE_WORDS.get(k, k) for k in kinds)
        return [(here, f"{subject} must be {words}; got {_short(value)!r}.")]
    return [(here, f"{subject} does not match any of the accepted forms; got {_short(value)!r}.")]


def _branch_kind(branch: Any) -> list[str]:
    if not isinstance(branch, dict):
        return []
    kind = branch.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    if "properties" in branch:
        return ["object"]
    if "items" in branch or "prefixItems" in branch:
        return ["array"]
    if "enum" in branch or "const" in branch:
        values = branch.get("enum", [branch.get("const")])
        return sorted({_json_type(v) for v in values})
    return []


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _fits(value: Any, kind: str) -> bool:
    actual = _json_type(value)
    if kind == "number":
        return actual in ("number", "integer")
    if kind == "integer" and actual == "number":
        return float(value).is_integer()
    return actual == kind


def _pydantic_problems(error: pydantic.ValidationError, data: dict[str, Any]) -> list[Problem]:
    """Problems for pydantic's conversion errors (constraints the shown schema could not carry)."""
    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        loc = list(item.get("loc") or ())
        path: list[Any] = []
        current: Any = data
        for part in loc:
            in_dict = isinstance(current, dict) and part in current
            in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
            if in_dict or in_list:
                path.append(part)
                current = current[part]
        kind = item.get("type", "")
        message = str(item.get("msg", "is invalid"))
        if kind == "missing":
            path.append(loc[-1])
            sentence = f"Argument `{_path(path)}` is missing: it is required."
        elif message == "Input should be None":
            sentence = f"{_subject(path)} must be null; got {_short(item.get('input'))!r}."
        elif message.startswith("Input should be "):
            sentence = f"{_subject(path)} should be {message[16:]}; got {_short(item.get('input'))!r}."
        else:
            for prefix in ("Value error, ", "Assertion failed, "):
                message = message.removeprefix(prefix)
            if message[:1].isupper() and not message[1:2].isupper():
                message = message[0].lower() + message[1:]
            sentence = f"{_is(path)} invalid: {message.rstrip('.')}; got {_short(item.get('input'))!r}."
        if (tuple(path), sentence) not in problems:
            problems.append((tuple(path), sentence))
    return problems


# --------------------------------------------------------------------------------------------------
# Function -> schema


class _Generator(GenerateJsonSchema):
    """pydantic's generator without field titles: they repeat the property name and cost tokens."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def bytes_schema(self, schema: Any) -> JsonSchema:
        # pydantic says `format: binary`, but a model sends text, which becomes its UTF-8 bytes.
        return {"type": "string"}


@dataclasses.dataclass(frozen=True)
class _Param:
    name: str
    field: str
    kind: Any  # an `inspect.Parameter` kind, e.g. `inspect.Parameter.POSITIONAL_ONLY` (its class is not public)
    required: bool
    field_default: bool
    """True when the Python default is a `pydantic.Field(...)`: the converted value must be passed."""


@dataclasses.dataclass(eq=False)
class FuncSchema:
    """Everything agentkit knows about a tool's parameters, built once.

    `parameters` is the canonical JSON Schema (the one Anthropic is shown). For functions,
    :meth:`bind` turns validated JSON arguments into the call's `(args, kwargs)`; for raw-schema tools
    (:func:`raw_schema`) the JSON arguments are passed as keyword arguments unchanged.
    """

    name: str
    description: str
    parameters: JsonSchema
    params: tuple[_Param, ...] = ()
    model: type[pydantic.BaseModel] | None = None
    takes_self: bool = False
    """The function's first parameter is `self`/`cls`: it must be bound before it is called."""

    @property
    def param_names(self) -> list[str]:
        if self.model is None:
            return list(self.parameters.get("properties") or {})
        return [p.name for p in self.params]

    def conversion_problems(self, arguments: dict[str, Any]) -> list[Problem]:
        """What the converter objects to in `arguments` (empty when they convert)."""
        if self.model is None:
            return []
        try:
            self.model.model_validate(arguments)
        except pydantic.ValidationError as exc:
            return _pydantic_problems(exc, arguments)
        return []

    def bind(
        self, arguments: dict[str, Any], *, reported: Sequence[Problem] = ()
    ) -> tuple[list[Any], dict[str, Any]]:
        """Convert validated JSON arguments to Python values and split them into `(args, kwargs)`.

        Raises ToolArgumentsError with the `reported` problems (found by schema validation) plus
        every conversion problem about another argument, so the model hears about all of them at once.
        """
        if self.model is None:
            raise_problems(self.name, reported)
            return [], dict(arguments)
        try:
            instance = self.model.model_validate(arguments)  # keyed by the parameter names (the aliases)
        except pydantic.ValidationError as exc:
            _fail(self.name, merge_problems(reported, _pydantic_problems(exc, arguments)))
        raise_problems(self.name, reported)
        given = instance.model_fields_set
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for param in self.params:
            value = getattr(instance, param.field)
            if param.kind is inspect.Parameter.POSITIONAL_ONLY:
                args.append(value)
            elif param.field in given or param.field_default:
                kwargs[param.name] = value
        return args, kwargs


def raw_schema(name: str, description: str, parameters: Mapping[str, Any]) -> FuncSchema:
    """A :class:`FuncSchema` for a hand-written JSON Schema (`ak.Tool.from_schema`)."""
    check_tool_name(name)
    if not isinstance(parameters, Mapping):
        raise ConfigurationError(
            f"The `parameters` of tool `{name}` must be a JSON Schema object (a dict); got {type(parameters).__name__}."
        )
    schema: JsonSchema = copy_json(dict(parameters))
    schema.pop("$schema", None)
    if schema.get("type", "object") != "object":
        raise ConfigurationError(
            f'The `parameters` of tool `{name}` must describe a JSON object (`"type": "object"`); '
            f"got type {schema.get('type')!r}. Wrap a single value in an object with one property."
        )
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    import_jsonschema()
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ConfigurationError(
            f"The `parameters` of tool `{name}` are not a valid JSON Schema: {exc.message} "
            f"(at `{'/'.join(map(str, exc.absolute_path)) or 'the root'}`)."
        ) from None
    for sub in [schema, *iter_subschemas(schema)]:
        if isinstance(sub, dict) and isinstance(sub.get("$ref"), str):
            resolve_ref(schema, sub["$ref"])
    return FuncSchema(name=name, description=description, parameters=schema)


def check_tool_name(name: str) -> None:
    """Raise unless `name` is accepted by all four dialects (letters, digits, `_`, `-`; at most 64)."""
    if (
        not isinstance(name, str)
        or not 1 <= len(name) <= 64
        or not set(name) <= _NAME_OK
        or not (name[0].isalpha() or name[0] == "_")
    ):
        raise ConfigurationError(
            f"The tool name {name!r} is not accepted by every vendor: use 1 to 64 ASCII letters, digits, "
            "`_` or `-`, starting with a letter or `_`. Pass `name=` to choose another name."
        )


def function_schema(
    fn: Callable[..., Any], *, name: str | None = None, description: str | None = None
) -> FuncSchema:
    """Build the :class:`FuncSchema` of a function, method, bound method or callable object.

    Raises ConfigurationError for what a model cannot call: `*args`/`**kwargs`, parameters without
    a type hint, and types pydantic cannot describe as JSON Schema (the message names the parameter).
    """
    target = _underlying(fn)
    label = name if name is not None else _default_name(fn)
    if name is None and label == "<lambda>":
        raise ConfigurationError(
            'A lambda has no usable name: pass `name=` to `ak.tool` (e.g. `ak.tool(fn, name="add")`).'
        )
    check_tool_name(label)
    if inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target):
        raise ConfigurationError(
            f"`{label}` is a generator function; a tool must return its result. Return a list instead of yielding."
        )
    wrapped = fn.__func__ if isinstance(fn, (staticmethod, classmethod)) else fn
    try:
        signature = inspect.signature(wrapped)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(
            f"The signature of `{label}` cannot be read ({exc}); wrap it in a plain function."
        ) from None

    params = list(signature.parameters.values())
    takes_self = False
    if params and _is_self(fn, params[0]):
        takes_self = True
        params = params[1:]

    doc = inspect.getdoc(wrapped) or inspect.getdoc(target) or ""
    summary, param_docs = _parse_docstring(doc)
    hints = _type_hints(target, label, params)

    fields: dict[str, Any] = {}
    infos: list[_Param] = []
    for index, param in enumerate(params):
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            stars = "*" if param.kind is inspect.Parameter.VAR_POSITIONAL else "**"
            raise ConfigurationError(
                f"The parameter `{stars}{param.name}` of `{label}` cannot be exposed to a model: a model sends "
                f"named JSON arguments, so every parameter needs a name and a type. Replace it with explicit "
                f"parameters, or a `list[...]`/`dict[str, ...]` parameter."
            )
        if param.name not in hints:
            raise ConfigurationError(
                f"The parameter `{param.name}` of `{label}` has no type hint, so its JSON Schema is unknown. "
                f"Annotate it, e.g. `{param.name}: str`."
            )
        try:
            compatible = _compat_typeddict(hints[param.name])
        except ConfigurationError as exc:  # a TypedDict whose fields cannot be resolved
            reason = str(exc)
            raise ConfigurationError(
                f"The parameter `{param.name}` of `{label}` cannot be exposed to a model: "
                f"{reason[:1].lower()}{reason[1:]}"
            ) from None
        annotation, text_description = _split_annotation(compatible)
        field_name = f"a{index}"
        default = param.default
        field_default = isinstance(default, FieldInfo)
        text = None
        if not _has_field_description(annotation) and not (field_default and default.description):
            text = text_description or param_docs.get(param.name)
        extra: dict[str, Any] = {"alias": param.name}
        if text:
            extra["description"] = text
        if field_default:
            info = FieldInfo.merge_field_infos(default, pydantic.Field(**extra))
        elif default is inspect.Parameter.empty:
            info = pydantic.Field(**extra)
        else:
            info = pydantic.Field(default=default, **extra)
        fields[field_name] = (annotation, info)
        infos.append(
            _Param(
                name=param.name,
                field=field_name,
                kind=param.kind,
                required=default is inspect.Parameter.empty,
                field_default=field_default,
            )
        )

    model = _build_model(label, fields, infos)
    parameters = _model_schema(label, model, infos)
    return FuncSchema(
        name=label,
        description=description if description is not None else summary,
        parameters=parameters,
        params=tuple(infos),
        model=model,
        takes_self=takes_self,
    )


def _underlying(fn: Any) -> Any:
    """The plain function behind a bound method, staticmethod/classmethod, partial or callable object."""
    while True:
        if isinstance(fn, (staticmethod, classmethod, types.MethodType)):
            fn = fn.__func__
        elif isinstance(fn, functools.partial):
            fn = fn.func
        elif not inspect.isroutine(fn) and not isinstance(fn, type) and callable(fn):
            fn = type(fn).__call__
        else:
            return fn


def _default_name(fn: Any) -> str:
    """A function's `__name__`; for a partial, its function's; for a callable object, its class name."""
    if isinstance(fn, (staticmethod, classmethod, types.MethodType)):
        fn = fn.__func__
    if isinstance(fn, functools.partial):
        return _default_name(fn.func)
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) else type(fn).__name__


def _is_self(fn: Any, first: inspect.Parameter) -> bool:
    """A plain function defined in a class body whose first parameter is an unannotated `self`/`cls`."""
    if isinstance(fn, (types.MethodType, staticmethod)) or first.name not in ("self", "cls"):
        return False
    if first.annotation is not inspect.Parameter.empty:
        return False
    target = fn.__func__ if isinstance(fn, classmethod) else fn
    qualname = getattr(target, "__qualname__", "")
    parts = qualname.split(".")
    return len(parts) >= 2 and parts[-2] != "<locals>"


def _type_hints(target: Any, label: str, params: list[inspect.Parameter]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:  # resolve per parameter below, to name the culprit
        pass
    hints: dict[str, Any] = {}
    namespace = dict(getattr(target, "__globals__", {}))
    for param in params:
        annotation = param.annotation
        if annotation is inspect.Parameter.empty:
            continue
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)
            except Exception as exc:  # any failure means the same thing to the user
                raise ConfigurationError(
                    f"The type hint {annotation!r} of parameter `{param.name}` of `{label}` cannot be resolved "
                    f"({type(exc).__name__}: {exc}). Define the types it names at module level, or import them "
                    "outside `if TYPE_CHECKING:`."
                ) from None
        hints[param.name] = annotation
    return hints


def _split_annotation(annotation: Any) -> tuple[Any, str | None]:
    """Strip `Annotated[X, "description"]` strings (pydantic ignores them); return the description."""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        texts = [m for m in metadata if isinstance(m, str)]
        rest = [m for m in metadata if not isinstance(m, str)]
        if texts:
            stripped = typing.Annotated[(base, *rest)] if rest else base
            return stripped, " ".join(t.strip() for t in texts)
    return annotation, None


def _has_field_description(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        return any(isinstance(m, FieldInfo) and m.description for m in typing.get_args(annotation)[1:])
    return False


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """(description, {parameter: description}) from a Google, NumPy or reST docstring."""
    if not doc:
        return "", {}
    import docstring_parser

    try:
        parsed = docstring_parser.parse(doc)
    except docstring_parser.ParseError:
        return doc.strip(), {}
    parts = [p.strip() for p in (parsed.short_description, parsed.long_description) if p and p.strip()]
    summary = "\n\n".join(parts)
    params = {
        p.arg_name.lstrip("*"): " ".join(p.description.split())
        for p in parsed.params
        if p.arg_name and p.description
    }
    return summary, params


def _compat_typeddict(annotation: Any, _seen: dict[int, Any] | None = None) -> Any:
    """On Python < 3.12 rebuild `typing.TypedDict` classes as `typing_extensions.TypedDict`.

    pydantic refuses `typing.TypedDict` before 3.12 (it lacks `__orig_bases__`), but that is what
    most notebooks import. Instances are plain dicts either way, so the swap is invisible.

    A recursive TypedDict (`children: list[Node]`, or two that refer to each other) is supported
    like a recursive dataclass or model, through `$defs`/`$ref`: each class is rebuilt as an empty
    shell first, and its fields are filled in after, so a field that refers back to the class gets
    the shell itself. Raises ConfigurationError, naming the TypedDict, when its hints cannot be resolved.
    """
    if sys.version_info >= (3, 12):
        return annotation
    import typing_extensions

    seen = _seen if _seen is not None else {}
    if (
        isinstance(annotation, type)
        and typing.is_typeddict(annotation)
        and type(annotation).__module__ == "typing"
    ):
        if id(annotation) in seen:
            return seen[id(annotation)]
        try:
            # Its own name resolves to itself: a recursive TypedDict defined in a function works too.
            hints = typing.get_type_hints(annotation, localns={annotation.__name__: annotation}, include_extras=True)
        except Exception as exc:  # NameError for a name defined later, or only under TYPE_CHECKING
            raise ConfigurationError(
                f"The fields of the TypedDict `{annotation.__qualname__}` cannot be resolved "
                f"({type(exc).__name__}: {exc}). Define the types they name at module level, or import them "
                "outside `if TYPE_CHECKING:`."
            ) from None
        make_typeddict: Any = typing_extensions.TypedDict
        rebuilt: Any = make_typeddict(annotation.__name__, {}, total=getattr(annotation, "__total__", True))
        rebuilt.__doc__ = annotation.__doc__
        rebuilt.__module__ = annotation.__module__
        rebuilt.__qualname__ = annotation.__qualname__
        seen[id(annotation)] = rebuilt  # before the fields: a field of this very type gets the shell
        required_keys: frozenset[str] = getattr(annotation, "__required_keys__", frozenset())
        fields: dict[str, Any] = {}
        required: set[str] = set()
        for key, hint in hints.items():
            # The class's own key sets miss `NotRequired[...]` written as a string (Python 3.11's
            # `typing` cannot see it under `from __future__ import annotations`): the hint decides.
            is_required = key in required_keys
            while typing.get_origin(hint) in (typing_extensions.Required, typing_extensions.NotRequired):
                is_required = typing.get_origin(hint) is typing_extensions.Required
                hint = typing.get_args(hint)[0]
            hint = _compat_typeddict(hint, seen)
            fields[key] = typing_extensions.Required[hint] if is_required else typing_extensions.NotRequired[hint]
            if is_required:
                required.add(key)
        rebuilt.__annotations__ = fields
        rebuilt.__required_keys__ = frozenset(required)
        rebuilt.__optional_keys__ = frozenset(fields) - required
        rebuilt.__mutable_keys__ = frozenset(fields)
        return rebuilt
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is None or not args:
        return annotation
    if origin is typing.Literal:
        return annotation
    if origin is typing.Annotated:
        base = _compat_typeddict(args[0], seen)
        return annotation if base is args[0] else typing.Annotated[(base, *args[1:])]
    new_args = tuple(_compat_typeddict(a, seen) if not isinstance(a, (list, type(...))) else a for a in args)
    if all(a is b for a, b in zip(new_args, args, strict=True)):
        return annotation
    if origin in (typing.Union, types.UnionType):
        return typing.Union[new_args]  # noqa: UP007 - built from a tuple at run time
    try:
        return origin[new_args]
    except TypeError:
        return annotation


def _build_model(label: str, fields: dict[str, Any], infos: list[_Param]) -> type[pydantic.BaseModel]:
    config = pydantic.ConfigDict(extra="forbid", protected_namespaces=(), arbitrary_types_allowed=False)
    try:
        return pydantic.create_model(f"{label}_arguments", __config__=config, **fields)
    except RecursionError:
        raise ConfigurationError(_recursive_type(label, *_recursive_culprit(fields, infos))) from None
    except Exception as exc:  # pydantic raises several types; find the parameter at fault
        culprit = _find_culprit(fields, infos)
        raise ConfigurationError(
            f"The parameter `{culprit}` of `{label}` cannot be exposed to a model: its type has no JSON "
            f"representation ({_first_line(exc)}). Use JSON-friendly types (str, int, float, bool, lists, "
            "dicts, dataclasses, pydantic models, enums, ...)."
            if culprit
            else f"The parameters of `{label}` cannot be exposed to a model: {_first_line(exc)}"
        ) from None


def _model_schema(label: str, model: type[pydantic.BaseModel], infos: list[_Param]) -> JsonSchema:
    try:
        with warnings.catch_warnings():
            # "Default value ... is not JSON serializable": such a default is simply left out.
            warnings.simplefilter("ignore")
            raw = model.model_json_schema(by_alias=True, schema_generator=_Generator, mode="validation")
    except Exception as exc:  # see _build_model
        fields = {
            p.field: (model.model_fields[p.field].annotation, model.model_fields[p.field]) for p in infos
        }
        culprit = _find_culprit(fields, infos, json_schema=True)
        where = f"The parameter `{culprit}` of `{label}`" if culprit else f"A parameter of `{label}`"
        raise ConfigurationError(
            f"{where} cannot be exposed to a model: its type has no JSON Schema ({_first_line(exc)}). "
            "Use JSON-friendly types (str, int, float, bool, lists, dicts, dataclasses, pydantic models, enums, ...)."
        ) from None
    raw = _strip_titles(raw)
    schema: JsonSchema = {"type": "object", "properties": raw.get("properties", {})}
    if raw.get("required"):
        schema["required"] = raw["required"]
    schema["additionalProperties"] = False
    if raw.get("$defs"):
        schema["$defs"] = raw["$defs"]
    return schema


def _recursive_type(label: str, param: str | None, annotation: Any) -> str:
    """The message for a type that recurses without end while its schema is built (a RecursionError)."""
    where = f"the parameter `{param}` of `{label}`" if param else f"a parameter of `{label}`"
    kind = f"The type `{_type_label(annotation)}` of {where}" if param else f"The type of {where}"
    return (
        f"{kind} refers to itself in a way agentkit cannot describe (building its schema recursed without end). "
        "Recursive pydantic models, dataclasses, TypedDicts and `TypeAliasType` aliases are supported (through "
        "`$defs`/`$ref`): define the recursion through one of those, or make the type non-recursive."
    )


def _recursive_culprit(fields: dict[str, Any], infos: list[_Param]) -> tuple[str | None, Any]:
    """The first parameter (name, annotation) whose type alone recurses without end, else (None, None)."""
    for info in infos:
        annotation = fields[info.field][0]
        try:
            pydantic.TypeAdapter(annotation)
        except RecursionError:
            return info.name, annotation
        except Exception:
            continue
    return None, None


def _type_label(annotation: Any) -> str:
    """A type as a user wrote it: `Node`, `list[Node]`, `dict[str, Tree]`."""
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return annotation.__qualname__
    return repr(annotation).replace("typing.", "").replace("typing_extensions.", "")


def _find_culprit(fields: dict[str, Any], infos: list[_Param], *, json_schema: bool = False) -> str | None:
    for info in infos:
        annotation, _info = fields[info.field]
        try:
            adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(annotation)
            if json_schema:
                adapter.json_schema()
        except Exception:
            return info.name
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") if text else type(exc).__name__


def _strip_titles(schema: Any) -> Any:
    def visit(sub: Any) -> Any:
        sub = map_subschemas(sub, visit)
        if isinstance(sub, dict) and isinstance(sub.get("title"), str):
            sub.pop("title")
        return sub

    return visit(schema)
