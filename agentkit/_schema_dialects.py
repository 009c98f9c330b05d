"""One schema transformer per dialect: the canonical JSON Schema of a tool, rewritten for each vendor.

Why one per dialect (and never one schema for all): OpenAI strict mode wants every property
required and every object closed, with optional values spelled as nullable; Gemini's
`parameters_json_schema` accepts a documented subset of JSON Schema, and its older `parameters`
field an OpenAPI 3.0 subset with upper-case types, `nullable` and string-only enums; Anthropic takes
the canonical schema as it is. Each transformer is a pure function from the canonical schema (see
`agentkit/_schema.py`) to what that vendor is shown; `agentkit.tools.Tool` caches the results.
This module is the library of those transforms: which one a dialect uses, and the declaration
that wraps it, is decided in that dialect's module (`agentkit/dialects/<dialect>.py`, its "schema"
section), which calls in here; this module knows no dialect module.

A constraint a dialect cannot carry (a default, a length limit, an exclusive bound, a format) is
not silently lost: it is written into the property's `description` ("Default: "c". At least 3
characters."), and the tool still enforces it when it converts the arguments.

Each vendor has a `<vendor>_parameters(canonical)` transform (what a tool is shown); OpenAI and
Gemini also have a `<vendor>_validation_schema(canonical)`: what was shown, read back as JSON
Schema to validate the model's arguments against (for Anthropic, that is the canonical schema).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from ._schema import (
    JsonSchema,
    copy_json,
    map_subschemas,
    resolve_ref,
)
from .errors import ConfigurationError

__all__ = [
    "GeminiForm",
    "StrictResult",
    "anthropic_parameters",
    "gemini_json_schema",
    "gemini_openapi_schema",
    "gemini_parameters",
    "gemini_validation_schema",
    "openai_parameters",
    "openai_validation_schema",
    "openapi_to_json_schema",
    "strict_schema",
]

GeminiForm: TypeAlias = Literal["json", "parameters"]
"""Gemini's two declaration forms: `parameters_json_schema` ("json") or the OpenAPI `parameters`."""

# Annotations no dialect needs: dropped everywhere but the canonical schema.
_ANNOTATIONS = (
    "$schema",
    "$comment",
    "$id",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "discriminator",
)


# --------------------------------------------------------------------------------------------------
# Shared: constraints a dialect cannot carry become sentences in the description


_TEXTS: dict[str, Callable[[Any], str]] = {
    "format": lambda v: f"Format: {v}.",
    "minimum": lambda v: f"At least {v}.",
    "exclusiveMinimum": lambda v: f"Greater than {v}.",
    "maximum": lambda v: f"At most {v}.",
    "exclusiveMaximum": lambda v: f"Less than {v}.",
    "multipleOf": lambda v: f"A multiple of {v}.",
    "minLength": lambda v: f"At least {v} characters.",
    "maxLength": lambda v: f"At most {v} characters.",
    "pattern": lambda v: f"Must match the regular expression {v}.",
    "minItems": lambda v: f"At least {v} items.",
    "maxItems": lambda v: f"At most {v} items.",
    "uniqueItems": lambda v: "Items must be unique." if v else "",
    "minProperties": lambda v: f"At least {v} keys.",
    "maxProperties": lambda v: f"At most {v} keys.",
    # "Default: null." says nothing a nullable schema does not.
    "default": lambda v: "" if v is None else f"Default: {json.dumps(v, ensure_ascii=False)}.",
}
"""The sentence that replaces each keyword a dialect cannot carry, in the order they are written."""


def _constraint_notes(removed: dict[str, Any]) -> list[str]:
    """Sentences for the keywords in `removed` (those without a sentence are simply dropped)."""
    return [
        text for keyword, make in _TEXTS.items() if keyword in removed and (text := make(removed[keyword]))
    ]


def _describe(schema: JsonSchema, notes: list[str]) -> None:
    """Append `notes` to the schema's description (in place)."""
    notes = [n for n in notes if n]
    if not notes:
        return
    base = str(schema.get("description") or "").strip()
    if base and not base.endswith((".", "!", "?", ":")):
        base += "."
    schema["description"] = " ".join([base, *notes]).strip() if base else " ".join(notes)


def _merge_ref(schema: JsonSchema, root: JsonSchema) -> JsonSchema:
    """Replace a `$ref` that has sibling keywords by the definition, the siblings winning."""
    while isinstance(schema.get("$ref"), str) and len(schema) > 1:
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        target = resolve_ref(root, schema["$ref"])
        schema = {**(target if isinstance(target, dict) else {}), **rest}
    return schema


def _merge_all_of(schema: JsonSchema, root: JsonSchema) -> JsonSchema | None:
    """Fold `allOf` into the schema when its parts are objects or a single schema; None if it cannot."""
    parts = schema.get("allOf")
    if not isinstance(parts, list):
        return schema
    rest = {k: v for k, v in schema.items() if k != "allOf"}
    resolved = [resolve_ref(root, p["$ref"]) if isinstance(p, dict) and "$ref" in p else p for p in parts]
    if len(resolved) == 1 and isinstance(resolved[0], dict):
        return {**resolved[0], **rest}
    if all(isinstance(p, dict) and (p.get("type") == "object" or "properties" in p) for p in resolved):
        merged: JsonSchema = {"type": "object", "properties": {}}
        required: list[str] = []
        for part in resolved:
            merged["properties"].update(part.get("properties") or {})
            required.extend(r for r in part.get("required") or () if r not in required)
        if required:
            merged["required"] = required
        return {**merged, **rest}
    return None


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


def _prop_path(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


# --------------------------------------------------------------------------------------------------
# OpenAI Chat Completions and Responses: strict mode


@dataclass(frozen=True)
class StrictResult:
    """The strict-mode form of a schema, or why there is none.

    `schema` is the strict form when `problem` is None; otherwise it is the canonical schema,
    which is then sent with `strict: false`.
    """

    schema: JsonSchema
    problem: str | None


_STRICT_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
_STRICT_TO_TEXT = ("default", "minLength", "maxLength", "minProperties", "maxProperties", "uniqueItems")
_STRICT_IMPOSSIBLE = {
    "patternProperties": "has keys matching a pattern",
    "propertyNames": "restricts its keys (like `dict[Literal[...], ...]`)",
    "unevaluatedProperties": "uses `unevaluatedProperties`",
    "unevaluatedItems": "uses `unevaluatedItems`",
    "additionalItems": "uses `additionalItems`",
    "contains": "uses `contains`",
    "not": "uses `not`",
    "if": "uses `if`/`then`/`else`",
    "dependentSchemas": "uses `dependentSchemas`",
    "dependentRequired": "uses `dependentRequired`",
}


def strict_schema(canonical: JsonSchema, *, relaxed: bool = False) -> StrictResult:
    """OpenAI strict mode's form of `canonical`, or the reason it cannot have one.

    With `relaxed=True`, optional properties stay out of `required` (they are still nullable):
    that is the form arguments are validated against, so a model that leaves an optional value out
    (a relay or a non-OpenAI model behind the OpenAI door need not enforce strict mode) is not
    sent back for it.

    Strict mode (Chat Completions and Responses) needs: every object `additionalProperties: false`
    with every property in `required`; optional values as nullable (a null then means "use the
    default"); no `$ref` with sibling keywords; only its supported keywords (`default`, length
    limits, `uniqueItems` and unsupported formats become description text). What it cannot express
    at all (free-form objects like `dict[str, X]`, values of any type, heterogeneous tuples,
    `not`/`if`...) makes the tool non-strict, and `problem` says which parameter is why.
    """
    root = canonical  # only read (to resolve `$ref`s); every level below is copied before it changes
    problems: list[str] = []

    def fix(schema: Any, where: str) -> Any:
        label = f"`{where}`" if where else "the arguments"
        if schema is True or schema == {}:
            problems.append(f"{label} accepts any JSON value")
            return schema
        if not isinstance(schema, dict):
            problems.append(f"{label} has the schema {schema!r}")
            return schema
        schema = _merge_ref(dict(schema), root)
        merged = _merge_all_of(schema, root)
        if merged is None:
            problems.append(f"{label} combines several schemas with `allOf`")
            return schema
        schema = merged
        for keyword, why in _STRICT_IMPOSSIBLE.items():
            if keyword in schema:
                problems.append(f"{label} {why}")
        for keyword in _ANNOTATIONS:
            schema.pop(keyword, None)
        if "oneOf" in schema:
            schema["anyOf"] = schema.pop("oneOf")
        if "const" in schema:
            schema["enum"] = [schema.pop("const")]
        removed = {keyword: schema.pop(keyword) for keyword in _STRICT_TO_TEXT if keyword in schema}
        if "format" in schema and schema["format"] not in _STRICT_FORMATS:
            removed["format"] = schema.pop("format")
        notes = _constraint_notes(removed)
        kinds = schema.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []

        if "object" in kinds or "properties" in schema:
            extra = schema.get("additionalProperties", False)
            if extra is not False:
                problems.append(f"{label} is an object with free-form keys (like `dict[str, ...]`)")
            elif "properties" not in schema and "additionalProperties" not in schema:
                problems.append(f"{label} is an object with free-form keys (like `dict`)")
            props = schema.get("properties") or {}
            required = set(schema.get("required") or ())
            new_props = {}
            for name, prop in props.items():
                prop = fix(prop, _prop_path(where, name))
                if name not in required:
                    prop = _strict_optional(prop, root)
                new_props[name] = prop
            schema["properties"] = new_props
            schema["required"] = [n for n in new_props if n in required] if relaxed else list(new_props)
            if not schema["required"]:
                del schema["required"]
            schema["additionalProperties"] = False

        if "array" in kinds or "items" in schema or "prefixItems" in schema:
            prefix = schema.pop("prefixItems", None)
            if prefix is not None:
                distinct = {json.dumps(p, sort_keys=True) for p in prefix}
                if len(distinct) == 1 and "items" not in schema:
                    schema["items"] = prefix[0]
                else:
                    problems.append(f"{label} is a tuple of different types")
            if "items" not in schema:
                problems.append(f"{label} is a list of values of any type")
            elif not isinstance(schema["items"], list):
                schema["items"] = fix(schema["items"], f"{where}[]")

        if "anyOf" in schema:
            schema["anyOf"] = [fix(branch, where) for branch in schema["anyOf"]]
        if not kinds and not any(k in schema for k in ("anyOf", "enum", "$ref", "properties", "items")):
            problems.append(f"{label} accepts values of any type")
        _describe(schema, notes)
        return schema

    top = {k: v for k, v in canonical.items() if k != "$defs"}
    defs = canonical.get("$defs")
    result: JsonSchema = fix(top, "")
    if isinstance(defs, dict):
        result["$defs"] = {name: fix(sub, name) for name, sub in defs.items()}
    if problems:
        unique = list(dict.fromkeys(problems))
        shown = "; ".join(unique[:3]) + ("; ..." if len(unique) > 3 else "")
        return StrictResult(copy_json(canonical), f"OpenAI strict mode cannot express it: {shown}.")
    return StrictResult(result, None)


def _strict_optional(prop: Any, root: JsonSchema) -> Any:
    """An optional property in strict mode: required, nullable, and null means "use the default"."""
    from ._schema import accepts_null

    if not isinstance(prop, dict):
        return prop
    description = prop.pop("description", None)
    out = prop if accepts_null(prop, root) else {"anyOf": [prop, {"type": "null"}]}
    if description:
        out["description"] = description
    return out


def openai_parameters(canonical: JsonSchema, *, strict: bool) -> StrictResult:
    """The `parameters` OpenAI (Chat Completions and Responses) is shown."""
    if not strict:
        return StrictResult(_without_annotations(canonical), None)
    result = strict_schema(canonical)
    if result.problem is not None:
        return StrictResult(_without_annotations(canonical), result.problem)
    return result


def openai_validation_schema(canonical: JsonSchema, *, strict: bool) -> JsonSchema:
    """What OpenAI (Chat Completions and Responses) was shown, to validate against.

    Strict mode's form when `strict` and expressible, with optional properties not required
    (`relaxed`: a model that leaves one out is not sent back for it); else the canonical schema.
    """
    if strict:
        result = strict_schema(canonical, relaxed=True)
        if result.problem is None:
            return result.schema
    return canonical


def _without_annotations(schema: JsonSchema) -> JsonSchema:
    def visit(sub: Any) -> Any:
        sub = map_subschemas(sub, visit)
        if isinstance(sub, dict):
            for keyword in ("$schema", "$comment"):
                sub.pop(keyword, None)
        return sub

    out: JsonSchema = visit(copy_json(schema))
    return out


# --------------------------------------------------------------------------------------------------
# Anthropic


def anthropic_parameters(canonical: JsonSchema) -> JsonSchema:
    """Anthropic's `input_schema`: the canonical schema (it accepts JSON Schema 2020-12)."""
    return _without_annotations(canonical)


# --------------------------------------------------------------------------------------------------
# Gemini: parameters_json_schema (default) and the OpenAPI-subset `parameters` (fallback)

_GEMINI_JSON_KEYWORDS = frozenset(
    {
        "$defs",
        "$ref",
        "$anchor",
        "type",
        "format",
        "description",
        "enum",
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "anyOf",
        "properties",
        "additionalProperties",
        "required",
        "propertyOrdering",
    }
)
_GEMINI_JSON_FORMATS = frozenset({"date-time", "date", "time"})


def gemini_json_schema(canonical: JsonSchema) -> JsonSchema:
    """The `parameters_json_schema` Gemini is shown: the canonical schema within Gemini's documented subset.

    Gemini documents `$defs`/`$ref`, `type`, `format`, `description`, `enum`, `items`, `prefixItems`,
    `min/maxItems`, `minimum`/`maximum`, `anyOf`, `properties`, `additionalProperties` and `required`.
    So: `title` and other annotations are dropped, `const` becomes a one-value `enum`, `oneOf`
    becomes `anyOf`, and the other constraints (defaults, lengths, patterns, exclusive bounds,
    formats other than dates and times) are written into the description.
    """
    root = copy_json(canonical)

    def visit(schema: Any) -> Any:
        if not isinstance(schema, dict):
            return schema
        schema = dict(schema)
        merged = _merge_all_of(schema, root)
        schema = merged if merged is not None else schema
        if "oneOf" in schema:
            schema["anyOf"] = schema.pop("oneOf")
        if "const" in schema:
            const = schema.pop("const")
            schema["enum"] = [const]
            schema.setdefault("type", _json_type(const))
        if isinstance(schema.get("type"), list):
            kinds = schema.pop("type")
            rest = {k: v for k, v in schema.items() if k != "description"}
            branches = [{**rest, "type": k} if k != "null" else {"type": "null"} for k in kinds]
            schema = {
                "anyOf": branches,
                **({"description": schema["description"]} if "description" in schema else {}),
            }
        if "enum" in schema and None in schema["enum"]:
            values = [v for v in schema["enum"] if v is not None]
            inner = {k: v for k, v in schema.items() if k not in ("enum", "description")}
            inner["enum"] = values
            schema = {
                "anyOf": [inner, {"type": "null"}],
                **({"description": schema["description"]} if "description" in schema else {}),
            }
        if schema.get("format") in _GEMINI_JSON_FORMATS and schema.get("type") not in (None, "string"):
            schema.pop("format")
        removed: dict[str, Any] = {}
        for keyword in list(schema):
            if keyword in _GEMINI_JSON_KEYWORDS and not (
                keyword == "format" and schema[keyword] not in _GEMINI_JSON_FORMATS
            ):
                continue
            removed[keyword] = schema.pop(keyword)
        schema = map_subschemas(schema, visit)
        _describe(schema, _constraint_notes(removed))
        return schema

    result: JsonSchema = visit(root)
    return result


_OPENAPI_NAMES = {
    "anyOf": "any_of",
    "minItems": "min_items",
    "maxItems": "max_items",
    "minLength": "min_length",
    "maxLength": "max_length",
    "minProperties": "min_properties",
    "maxProperties": "max_properties",
    "propertyOrdering": "property_ordering",
}
_OPENAPI_KEEP = frozenset({"description", "pattern", "minimum", "maximum", "required", *_OPENAPI_NAMES})


def gemini_openapi_schema(canonical: JsonSchema, *, tool: str = "tool") -> JsonSchema:
    """The OpenAPI-subset `parameters` form (`google.genai.types.Schema`), for relays without `parameters_json_schema`.

    `$ref`s are inlined (a recursive type cannot be, and raises ConfigurationError naming it),
    `anyOf [X, null]` and `type: [X, "null"]` become `nullable`, types are upper-cased, enums keep
    only string values (integer enums keep their type and list the values in the description),
    `const` becomes an enum or a sentence, and keywords the Schema object lacks become description text.
    """
    root = copy_json(canonical)

    def visit(schema: Any, where: str, stack: tuple[str, ...]) -> JsonSchema:
        if schema is True or schema == {} or not isinstance(schema, dict):
            return {"description": "Any JSON value."}
        schema = dict(schema)
        while isinstance(schema.get("$ref"), str):
            ref = schema.pop("$ref")
            if ref in stack:
                name = ref.rsplit("/", 1)[-1]
                raise ConfigurationError(
                    f"The tool `{tool}` cannot be declared in Gemini's OpenAPI `parameters` form: the type "
                    f"`{name}` (used by `{where or 'the arguments'}`) refers to itself, and that form has no "
                    'references. Use the default `parameters_json_schema` form (`to_schema("gemini")`), or '
                    "make the type non-recursive."
                )
            stack = (*stack, ref)
            target = resolve_ref(root, ref)
            schema = {**(target if isinstance(target, dict) else {}), **schema}
        merged = _merge_all_of(schema, root)
        schema = merged if merged is not None else schema
        if "oneOf" in schema:
            schema["anyOf"] = schema.pop("oneOf")

        out: JsonSchema = {}
        notes: list[str] = []
        removed: dict[str, Any] = {}
        nullable = False

        kinds = schema.get("type")
        kinds = list(kinds) if isinstance(kinds, list) else [kinds] if isinstance(kinds, str) else []
        if "null" in kinds:
            nullable = True
            kinds.remove("null")

        if "const" in schema:
            schema.setdefault("enum", [schema.pop("const")])
        if "enum" in schema:
            values = list(schema.pop("enum"))
            if None in values:
                nullable = True
                values = [v for v in values if v is not None]
            types = sorted({_json_type(v) for v in values})
            if values and types == ["string"]:
                out["enum"] = values
                kinds = ["string"]
            elif values:
                notes.append("One of " + ", ".join(json.dumps(v) for v in values) + ".")
                if len(types) == 1 or types == ["integer", "number"]:
                    kinds = ["number"] if "number" in types else types

        branches = schema.get("anyOf")
        if isinstance(branches, list):
            kept = []
            for branch in branches:
                if isinstance(branch, dict) and branch.get("type") == "null" and len(branch) == 1:
                    nullable = True
                else:
                    kept.append(branch)
            converted = [visit(b, where, stack) for b in kept]
            if len(converted) == 1:
                single = converted[0]
                if single.pop("nullable", False):
                    nullable = True
                description = single.pop("description", None)
                out = {**single, **out}
                if description and "description" not in schema:
                    schema["description"] = description
            elif converted:
                out["any_of"] = converted

        if len(kinds) == 1:
            out["type"] = kinds[0].upper()
        elif len(kinds) > 1:
            out["any_of"] = [{"type": k.upper()} for k in kinds]

        if isinstance(schema.get("properties"), dict):
            out["type"] = "OBJECT"
            out["properties"] = {
                name: visit(prop, _prop_path(where, name), stack)
                for name, prop in schema["properties"].items()
            }
            required = [r for r in schema.get("required") or () if r in out["properties"]]
            if required:
                out["required"] = required
        elif "object" in kinds and schema.get("additionalProperties") not in (None, False):
            notes.append("A JSON object; any keys are allowed.")

        if isinstance(schema.get("items"), dict) or schema.get("items") is True:
            out["items"] = visit(schema["items"], f"{where}[]", stack)
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list) and prefix:
            options = [visit(p, f"{where}[]", stack) for p in prefix]
            distinct = list({json.dumps(o, sort_keys=True): o for o in options}.values())
            out["items"] = distinct[0] if len(distinct) == 1 else {"any_of": distinct}
            notes.append("Items in order: " + ", ".join(_type_words(p) for p in prefix) + ".")

        fmt = schema.get("format")
        if fmt is not None:
            if fmt == "date-time" and out.get("type") == "STRING":
                out["format"] = fmt
            else:
                removed["format"] = fmt

        for keyword, value in schema.items():
            if keyword in _OPENAPI_KEEP and keyword not in ("anyOf", "required"):
                out[_OPENAPI_NAMES.get(keyword, keyword)] = value
            elif keyword in (
                "default",
                "exclusiveMinimum",
                "exclusiveMaximum",
                "multipleOf",
                "uniqueItems",
            ):
                removed[keyword] = value
        if nullable:
            out["nullable"] = True
        _describe(out, [*notes, *_constraint_notes(removed)])
        return out

    result = visit(root, "", ())
    result["type"] = "OBJECT"
    result.setdefault("properties", {})
    return result


def _type_words(schema: Any) -> str:
    if isinstance(schema, dict) and isinstance(schema.get("type"), str):
        return str(schema["type"])
    return "value"


def gemini_parameters(canonical: JsonSchema, *, form: GeminiForm = "json", tool: str = "tool") -> JsonSchema:
    """What Gemini is shown: `parameters_json_schema` (form "json") or the OpenAPI `parameters` (form "parameters")."""
    if form == "json":
        return gemini_json_schema(canonical)
    if form == "parameters":
        return gemini_openapi_schema(canonical, tool=tool)
    raise ConfigurationError(f"The Gemini schema form must be 'json' or 'parameters'; got {form!r}.")


def gemini_validation_schema(canonical: JsonSchema, *, form: GeminiForm = "json", tool: str = "tool") -> JsonSchema:
    """What Gemini was shown, to validate against: `parameters_json_schema`, or the OpenAPI form read back."""
    if form == "json":
        return gemini_json_schema(canonical)
    shown: JsonSchema = openapi_to_json_schema(gemini_openapi_schema(canonical, tool=tool))
    return shown


def openapi_to_json_schema(schema: Any) -> Any:
    """Read a Gemini OpenAPI-subset schema back as JSON Schema, to validate what the model sent against it."""
    if not isinstance(schema, dict):
        return schema
    reverse: dict[str, str] = {v: k for k, v in _OPENAPI_NAMES.items()}
    out: JsonSchema = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, str):
            out["type"] = value.lower()
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {name: openapi_to_json_schema(sub) for name, sub in value.items()}
        elif key == "items":
            out["items"] = openapi_to_json_schema(value)
        elif key in ("any_of", "anyOf"):
            out["anyOf"] = [openapi_to_json_schema(sub) for sub in value]
        elif key == "nullable":
            continue
        else:
            out[reverse.get(str(key), str(key))] = value
    if schema.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out
