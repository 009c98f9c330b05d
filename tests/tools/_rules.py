"""What each vendor accepts in a tool declaration, written down as checks.

These encode the vendors' documented rules (and the SDKs' own request types) independently of
`agentkit/_schema_dialects.py`, so a transformer bug is not mirrored by the test that checks it.
The same checks run on the tool declarations of `shared/realtraffic/` (which real servers
accepted), which keeps the checks honest.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

# OpenAI structured outputs / strict function calling: supported keywords and string formats.
OPENAI_STRICT_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "anyOf",
        "$ref",
        "$defs",
        "description",
        "title",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)
OPENAI_STRICT_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)

# Gemini `parameters_json_schema`: the documented JSON Schema subset.
GEMINI_JSON_KEYWORDS = frozenset(
    {
        "$id",
        "$defs",
        "$ref",
        "$anchor",
        "type",
        "format",
        "title",
        "description",
        "enum",
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "anyOf",
        "oneOf",
        "properties",
        "additionalProperties",
        "required",
        "propertyOrdering",
    }
)

_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_ONES = ("items", "additionalProperties", "not", "contains", "propertyNames")


def subschemas(schema: Any, path: str = "#") -> list[tuple[str, Any]]:
    """Every (path, schema) pair in `schema`, itself included."""
    out = [(path, schema)]
    if not isinstance(schema, dict):
        return out
    for key in _MAPS:
        for name, sub in (schema.get(key) or {}).items():
            out += subschemas(sub, f"{path}/{key}/{name}")
    for key in _LISTS:
        for index, sub in enumerate(schema.get(key) or []):
            out += subschemas(sub, f"{path}/{key}/{index}")
    for key in _ONES:
        if isinstance(schema.get(key), dict):
            out += subschemas(schema[key], f"{path}/{key}")
    return out


def openai_strict_problems(schema: dict[str, Any]) -> list[str]:
    """Why OpenAI strict mode would reject `schema` (empty when it accepts it)."""
    problems = []
    if schema.get("type") != "object" or "anyOf" in schema:
        problems.append("#: the root must be an object, not a union")
    for path, sub in subschemas(schema):
        if not isinstance(sub, dict):
            problems.append(f"{path}: boolean schema")
            continue
        extra = set(sub) - OPENAI_STRICT_KEYWORDS
        if extra:
            problems.append(f"{path}: unsupported keywords {sorted(extra)}")
        kind = sub.get("type")
        kinds: list[Any] = kind if isinstance(kind, list) else [kind]
        if "object" in kinds or "properties" in sub:
            if sub.get("additionalProperties") is not False:
                problems.append(f"{path}: objects need additionalProperties: false")
            if set(sub.get("required") or ()) != set(sub.get("properties") or {}):
                problems.append(f"{path}: every property must be required")
        if "$ref" in sub and len(sub) > 1:
            problems.append(f"{path}: $ref with sibling keywords {sorted(set(sub) - {'$ref'})}")
        if "format" in sub and sub["format"] not in OPENAI_STRICT_FORMATS:
            problems.append(f"{path}: unsupported format {sub['format']!r}")
        if sub == {}:
            problems.append(f"{path}: schema without a type")
    return problems


def gemini_json_problems(schema: dict[str, Any]) -> list[str]:
    """Why `schema` is outside Gemini's documented `parameters_json_schema` subset."""
    problems = []
    if schema.get("type") != "object":
        problems.append("#: the root must be an object")
    for path, sub in subschemas(schema):
        if not isinstance(sub, dict):
            continue
        extra = set(sub) - GEMINI_JSON_KEYWORDS
        if extra:
            problems.append(f"{path}: unsupported keywords {sorted(extra)}")
        for value in sub.get("enum") or ():
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                problems.append(f"{path}: enum value {value!r} is neither a string nor a number")
        if "format" in sub and sub["format"] not in ("date-time", "date", "time", "enum"):
            problems.append(f"{path}: unsupported format {sub['format']!r}")
    return problems


def gemini_declaration_problems(declaration: dict[str, Any]) -> list[str]:
    """Validate a function declaration as `google.genai.types.FunctionDeclaration` (and Gemini's subset)."""
    from google.genai import types

    problems = []
    try:
        parsed = types.FunctionDeclaration.model_validate(declaration)
    except Exception as exc:
        return [f"FunctionDeclaration rejects it: {exc}"]
    if (parsed.parameters is None) == (parsed.parameters_json_schema is None):
        problems.append("exactly one of `parameters` and `parameters_json_schema` must be set")
    if parsed.parameters_json_schema is not None:
        problems += gemini_json_problems(parsed.parameters_json_schema)
    if parsed.parameters is not None:
        for path, sub in subschemas(declaration["parameters"]):
            fmt = sub.get("format") if isinstance(sub, dict) else None
            if fmt is not None and fmt not in ("enum", "date-time"):
                problems.append(f"{path}: the Developer API rejects format {fmt!r}")
    return problems


def _typed_dict_problems(kind: Any, value: dict[str, Any]) -> list[str]:
    from pydantic import TypeAdapter

    try:
        TypeAdapter(kind).validate_python(value)
    except Exception as exc:
        return [f"{kind.__name__} rejects it: {exc}"]
    extra = set(value) - set(getattr(kind, "__annotations__", {}))
    return [f"{kind.__name__} has no keys {sorted(extra)}"] if extra else []


def openai_tool_problems(declaration: dict[str, Any]) -> list[str]:
    from openai.types.chat import ChatCompletionFunctionToolParam
    from openai.types.shared_params import FunctionDefinition

    problems = _typed_dict_problems(ChatCompletionFunctionToolParam, declaration)
    function = declaration.get("function") or {}
    problems += _typed_dict_problems(FunctionDefinition, function)
    problems += _json_schema_problems(function.get("parameters"))
    if function.get("strict"):
        problems += openai_strict_problems(function["parameters"])
    return problems


def responses_tool_problems(declaration: dict[str, Any]) -> list[str]:
    from openai.types.responses import FunctionToolParam

    problems = _typed_dict_problems(FunctionToolParam, declaration)
    problems += _json_schema_problems(declaration.get("parameters"))
    if declaration.get("strict"):
        problems += openai_strict_problems(declaration["parameters"])
    return problems


def anthropic_tool_problems(declaration: dict[str, Any]) -> list[str]:
    from anthropic.types import ToolParam

    problems = _typed_dict_problems(ToolParam, declaration)
    schema = declaration.get("input_schema") or {}
    if schema.get("type") != "object":
        problems.append("input_schema must have type object")
    return problems + _json_schema_problems(schema)


def _json_schema_problems(schema: Any) -> list[str]:
    try:
        Draft202012Validator.check_schema(schema)
    except Exception as exc:
        return [f"not a valid JSON Schema: {exc}"]
    return []


def declaration_problems(dialect: str, declaration: dict[str, Any]) -> list[str]:
    """Everything the `dialect` would object to in `declaration`."""
    if dialect == "openai":
        return openai_tool_problems(declaration)
    if dialect == "responses":
        return responses_tool_problems(declaration)
    if dialect == "anthropic":
        return anthropic_tool_problems(declaration)
    if dialect == "gemini":
        return gemini_declaration_problems(declaration)
    raise AssertionError(dialect)
