"""Build JSON values that satisfy a JSON Schema, filled from what a prompt says where plausible.

Why: the emulator's tool calls and structured outputs must validate against the client's schema (or the
client's own validation fails for the wrong reason), and they should look like a model read the prompt:
"weather in Paris" gives `{"city": "Paris"}`, "What is 1231 * 2331?" gives `{"a": 1231, "b": 2331}`.

How: :class:`PromptValues` pulls candidate values out of the text (quoted strings, capitalised names,
numbers, e-mail addresses, URLs, file names, arithmetic, `name: value` pairs); :func:`fill` walks the
schema (resolving `$ref`/`$defs`, `anyOf`/`oneOf`/`allOf`, nullable types, enums, nested arrays and
objects) and takes a candidate per field, consuming it so that two fields do not get the same value.
Required fields are always present; optional ones only when the prompt supplied a value. The result is
checked with `jsonschema`; when the prompt-filled value fails, a placeholder-only value is tried.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from agentkit._schema import import_jsonschema

import_jsonschema()  # without the seconds-long `rfc3987_syntax` grammar build (see its docstring)

import jsonschema  # noqa: E402
from jsonschema import validators  # noqa: E402

from .text import collapse, shorten, word_set  # noqa: E402

__all__ = ["PromptValues", "fill", "is_valid"]

_MAX_DEPTH = 12

# Capitalised words that start sentences or questions rather than name things.
_NOT_NAMES = word_set(
    """
    a about add also an and answer are as at be but by calculate call can check compute could create
    current delete describe did do does explain false find first for from get give hello here hey hi
    how i i'd i'll i'm if in into is it it's json just let let's list look make may me might must my
    next no none not note now null of ok okay on only or please provide read remove return search
    shall should show so step task tell thank thanks that the then there these think this those to
    true use was we were what what's whats when where which who who's why will with would write yes
    you your register email book send schedule invite remind text message notify greet ask contact
    order buy translate summarize summarise convert plan fetch open close run start stop set update
    cancel move copy rename say reply forward print play draft post share assign approve reject
    retrieve lookup multiply divide subtract roll pick choose rate
    """
)
_CONNECTORS = {"of", "de", "del", "la", "le", "van", "von", "da", "du", "di", "y"}

_QUOTED = re.compile(
    r"\"([^\"\n]{1,200})\"|\u201c([^\u201d\n]{1,200})\u201d|`([^`\n]{1,200})`|(?<![\w'\u2019])'([^'\n]{1,200})'(?![\w'\u2019])"
)
_CAP_WORD = r"[A-Z][\w'\u2019&.-]*"
_PROPER = re.compile(rf"{_CAP_WORD}(?:\s+(?:(?:{'|'.join(sorted(_CONNECTORS))})\s+)?{_CAP_WORD})*")
_NUMBER = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])|(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"https?://[^\s\"'<>`]+")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?\b")
_FILE = re.compile(
    r"(?:~|\.{1,2})?/[\w./-]+|(?<![\w/])\.?[\w-]+\.[A-Za-z0-9]{1,6}\b|(?<![\w/.])\.[A-Za-z]\w*"
)
_EXPRESSION = re.compile(
    r"\(?\s*-?\d+(?:\.\d+)?\s*\)?(?:\s*(?:[-+*/\u00d7x\u00f7^%]|\*\*)\s*\(?\s*-?\d+(?:\.\d+)?\s*\)?)+"
)
_ABOUT = re.compile(r"\b(?:about|regarding|on|for)\s+(?:the\s+)?([^?.!,;\n]{2,120})", re.IGNORECASE)

_PATH_NAMES = ("path", "file", "filename", "filepath", "dir", "directory", "folder")
_EXPRESSION_NAMES = ("expression", "expr", "formula", "equation", "calculation")
_URL_NAMES = ("url", "uri", "link", "href", "website", "endpoint")
_EMAIL_NAMES = ("email", "e_mail", "mail")
_TEXT_NAMES = (
    "query",
    "q",
    "search",
    "question",
    "prompt",
    "text",
    "input",
    "keywords",
    "keyword",
    "topic",
    "subject",
    "term",
    "message",
    "content",
    "instruction",
    "instructions",
    "request",
)
_NAME_NAMES = (
    "city",
    "location",
    "place",
    "country",
    "region",
    "state",
    "province",
    "town",
    "capital",
    "name",
    "person",
    "user",
    "username",
    "entity",
    "company",
    "organization",
    "owner",
    "author",
    "player",
    "customer",
    "team",
    "destination",
    "origin",
    "airport",
    "language",
    "brand",
    "product",
)


def _match(name: str, hints: Iterable[str]) -> bool:
    parts = set(re.split(r"[_\W]+|(?<=[a-z])(?=[A-Z])", name.lower())) | {name.lower()}
    return any(hint in parts for hint in hints)


class PromptValues:
    """Candidate values found in a prompt, handed out at most once each.

    Args:
        text: The prompt (or the prompt plus tool results) to read values from.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._used: set[str] = set()
        self.quoted = [next(g for g in m.groups() if g is not None).strip() for m in _QUOTED.finditer(text)]
        self.emails = _EMAIL.findall(text)
        self.urls = [url.rstrip(".,;:)") for url in _URL.findall(text)]
        self.dates = _DATE.findall(text)
        self.expressions = [collapse(m.group(0)) for m in _EXPRESSION.finditer(text)]
        self.files = [
            f
            for f in _FILE.findall(_URL.sub(" ", _EMAIL.sub(" ", text)))
            if not re.fullmatch(r"-?\d+(?:\.\d+)?", f) and not f.endswith(".")
        ]
        masked = _URL.sub(" ", _EMAIL.sub(" ", text))
        self.numbers: list[int | float] = [_to_number(m.group(0)) for m in _NUMBER.finditer(masked)]
        self.proper = self._proper_nouns(text)

    @staticmethod
    def _proper_nouns(text: str) -> list[str]:
        """Capitalised phrases; a lone capitalised word that starts a sentence ("Email ...") is more
        likely an ordinary word than a name, so those come last."""
        names: list[str] = []
        sentence_starts: list[str] = []
        stripped = _QUOTED.sub(lambda m: " " * len(m.group(0)), text)
        for match in _PROPER.finditer(stripped):
            words = match.group(0).split()
            dropped_first = False
            while words and words[0].lower().rstrip(".,") in _NOT_NAMES:
                words.pop(0)
                dropped_first = True
            while words and (
                words[-1].lower() in _CONNECTORS or words[-1].lower().rstrip(".,") in _NOT_NAMES
            ):
                words.pop()
            phrase = " ".join(words).rstrip(".,;:")
            phrase = re.sub(r"['\u2019]s$", "", phrase)
            if not phrase or re.fullmatch(r"[\d.]+", phrase) or phrase in names or phrase in sentence_starts:
                continue
            before = stripped[: match.start()].rstrip()
            starts_sentence = not before or before[-1] in ".!?:;\n"
            if starts_sentence and not dropped_first and len(words) == 1 and not phrase.isupper():
                sentence_starts.append(phrase)
            else:
                names.append(phrase)
        return names + [p for p in sentence_starts if p not in names]

    # -- consumption -------------------------------------------------------------------------
    def _take(self, candidates: Iterable[str]) -> str | None:
        for candidate in candidates:
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate
        return None

    def take_named(self, name: str, *, numeric: bool = False) -> str | None:
        """A value the prompt gives for this field by name: `city: Paris`, `country of Crumpet`, `3 days`."""
        spoken = re.escape(name.replace("_", " ")).replace(r"\ ", r"[\s_]+")
        value = (
            r"(\"[^\"]*\"|'[^']*'|`[^`]*`|-?\d+(?:\.\d+)?|"
            + _CAP_WORD
            + r"(?:\s+"
            + _CAP_WORD
            + r")*|[\w./@:-]*[\d./@][\w./@:-]*)"
        )
        # Only the field name and the connector ignore case: a value must look like a name (capitalised).
        patterns = [rf"\b(?i:{spoken}s?)\b\s*(?i:=|:|is|was|of|as|to|named|called)?\s*{value}"]
        if numeric:
            patterns.append(rf"(-?\d+(?:\.\d+)?)\s+(?i:{spoken}s?)\b")
        for pattern in patterns:
            for match in re.finditer(pattern, self.text):
                raw = match.group(1).strip("\"'`")
                if not raw or raw.lower() in _NOT_NAMES or raw in self._used:
                    continue
                if numeric and _NUMBER.fullmatch(raw) is None:
                    continue
                self._used.add(raw)
                return raw
        return None

    def take_proper(self) -> str | None:
        """The next capitalised name ("Paris", "San Francisco") not handed out yet."""
        return self._take(self.proper)

    def take_quoted(self) -> str | None:
        """The next quoted or back-ticked value not handed out yet."""
        return self._take(self.quoted)

    def take_from(self, kind: str) -> str | None:
        """The next unused value of a kind: "emails", "urls", "dates", "files" or "expressions"."""
        candidates: list[str] = getattr(self, kind)
        return self._take(candidates)

    def take_number(self) -> int | float | None:
        """The next number in the prompt not handed out yet."""
        for index, number in enumerate(self.numbers):
            key = f"#{index}"
            if key not in self._used:
                self._used.add(key)
                return number
        return None

    def mentions(self, word: str) -> bool:
        """Whether the prompt contains `word` as a whole word, ignoring case."""
        return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", self.text, re.IGNORECASE) is not None

    def abbreviated(self, options: Iterable[Any]) -> str | None:
        """The one option that a word after "in", "as", "using" or "with" starts with: "in fahrenheit" picks
        "f" from ["c", "f"], "as markdown" picks "md". Words another argument took (a city) do not count,
        and when several options fit, none is picked."""
        words = [w for w in re.findall(r"\b(?i:in|as|using|with)\s+([A-Za-z][\w-]*)", self.text)
                 if w not in self._used]
        hits = {o for o in options if isinstance(o, str) and o
                and any(w.lower().startswith(o.lower()) and len(w) > len(o) for w in words)}
        return hits.pop() if len(hits) == 1 else None

    def enumeration(self) -> list[str]:
        """Names listed together ("Paris and London", "Alice, Bob and Carol"), for fan-out tool calls."""
        names = [name for name in self.proper if name not in self._used]
        if len(names) < 2:
            return []
        joined = "|".join(re.escape(name) for name in names)
        pattern = rf"(?:{joined})(?:\s*,\s*(?:and\s+|or\s+)?(?:{joined})|\s+(?:and|or|&)\s+(?:{joined}))+"
        match = re.search(pattern, self.text)
        if match is None:
            return []
        span = match.group(0)
        return sorted((name for name in names if name in span), key=span.index)

    def about(self) -> str | None:
        """What the prompt is about ("a joke about opentelemetry" gives "opentelemetry")."""
        match = _ABOUT.search(self.text)
        return collapse(match.group(1)) if match else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _to_number(text: str) -> int | float:
    cleaned = text.replace(",", "")
    return float(cleaned) if "." in cleaned else int(cleaned)


# -- schema walking ------------------------------------------------------------------------------


def _resolve(schema: Any, root: dict[str, Any]) -> Any:
    """Follow local `$ref`s ("#/$defs/X", "#/definitions/X"), merging sibling keywords over the target."""
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < _MAX_DEPTH:
        ref = schema["$ref"]
        target: Any = root
        if ref.startswith("#"):
            for part in ref.lstrip("#").strip("/").split("/"):
                if not part:
                    continue
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part) if isinstance(target, dict) else None
        else:
            target = None
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **siblings} if isinstance(target, dict) else siblings
        seen += 1
    return schema


def _types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        types = [declared.lower()]
    elif isinstance(declared, list):
        types = [str(t).lower() for t in declared]
    elif "properties" in schema or "additionalProperties" in schema:
        types = ["object"]
    elif "items" in schema or "prefixItems" in schema:
        types = ["array"]
    elif "enum" in schema or "const" in schema:
        types = []
    else:
        types = ["string"]
    if schema.get("nullable") is True and "null" not in types:
        types.append("null")
    return types


class _Filler:
    def __init__(self, root: dict[str, Any], values: PromptValues, use_prompt: bool) -> None:
        self.root = root
        self.values = values
        self.use_prompt = use_prompt

    def build(self, schema: Any, name: str, required: bool, depth: int = 0) -> tuple[Any, bool]:
        """Return (value, came_from_prompt) for one schema node."""
        if depth > _MAX_DEPTH or not isinstance(schema, dict):
            return (None, False) if not required else ("example", False)
        schema = _resolve(schema, self.root)
        if "const" in schema:
            return schema["const"], False
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self._enum(schema["enum"], name)
        if isinstance(schema.get("allOf"), list):
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                part = _resolve(part, self.root)
                if isinstance(part, dict):
                    for key, value in part.items():
                        if key == "properties" and isinstance(value, dict):
                            merged["properties"] = {**merged.get("properties", {}), **value}
                        elif key == "required" and isinstance(value, list):
                            merged["required"] = [*merged.get("required", []), *value]
                        else:
                            merged.setdefault(key, value)
            return self.build(merged, name, required, depth + 1)
        options = schema.get("anyOf") or schema.get("oneOf") or schema.get("any_of") or schema.get("one_of")
        if isinstance(options, list) and options:
            return self._union(schema, options, name, required, depth)
        types = _types(schema)
        concrete = [t for t in types if t != "null"]
        if not concrete:
            return None, False
        kind = concrete[0]
        value, from_prompt = self._typed(kind, schema, name, required, depth)
        if "null" in types and not from_prompt:
            return None, False
        return value, from_prompt

    def _union(
        self, schema: dict[str, Any], options: list[Any], name: str, required: bool, depth: int
    ) -> tuple[Any, bool]:
        nullable = False
        concrete: list[dict[str, Any]] = []
        for option in options:
            option = _resolve(option, self.root)
            if not isinstance(option, dict):
                continue
            if _types(option) == ["null"]:
                nullable = True
                continue
            # Keep the union's own keywords (description, ...) visible to the branch.
            extra = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf", "any_of", "one_of")}
            concrete.append({**extra, **option})
        if schema.get("nullable") is True:
            nullable = True
        for option in concrete:
            value, from_prompt = self.build(option, name, required, depth + 1)
            if from_prompt:
                return value, True
        if nullable or not concrete:
            return None, False
        return self.build(concrete[0], name, required, depth + 1)

    def _enum(self, options: list[Any], name: str) -> tuple[Any, bool]:
        if self.use_prompt:
            for option in options:
                if isinstance(option, str) and option and self.values.mentions(option):
                    return option, True
                if _is_number(option) and option in self.values.numbers:
                    return option, True
            abbreviated = self.values.abbreviated(options)
            if abbreviated is not None:
                return abbreviated, True
        return options[0], False

    def _typed(
        self, kind: str, schema: dict[str, Any], name: str, required: bool, depth: int
    ) -> tuple[Any, bool]:
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, name, required, depth)
        if kind in ("integer", "number"):
            return self._number(schema, name, kind == "integer", required)
        if kind == "boolean":
            return self._boolean(schema, name)
        return self._string(schema, name, required)

    def _object(self, schema: dict[str, Any], depth: int) -> tuple[dict[str, Any], bool]:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = [r for r in schema.get("required", []) if isinstance(r, str)]
        result: dict[str, Any] = {}
        any_prompt = False
        # Required fields first so they get first pick of the prompt's values, then the optional ones.
        order = [p for p in required if p in properties] + [p for p in properties if p not in required]
        for prop in order:
            value, from_prompt = self.build(properties[prop], prop, prop in required, depth + 1)
            if prop in required or from_prompt:
                result[prop] = value
                any_prompt = any_prompt or from_prompt
        # A required name without a property schema still has to be present.
        for prop in required:
            if prop not in result:
                result[prop] = "example"
        # Keep the schema's declared order, which is what a model would produce.
        ordered = {p: result[p] for p in properties if p in result}
        ordered.update({p: v for p, v in result.items() if p not in ordered})
        return ordered, any_prompt

    def _array(self, schema: dict[str, Any], name: str, required: bool, depth: int) -> tuple[list[Any], bool]:
        items = schema.get("items")
        if not isinstance(items, dict):
            items = {}
        min_items = schema.get("minItems", schema.get("min_items", 0))
        max_items = schema.get("maxItems", schema.get("max_items"))
        min_items = min_items if isinstance(min_items, int) else 0
        result: list[Any] = []
        any_prompt = False
        item_schema = _resolve(items, self.root)
        item_types = _types(item_schema) if isinstance(item_schema, dict) else []
        if self.use_prompt and "string" in item_types and "enum" not in item_schema:
            listed = self.values.enumeration()
            if len(listed) >= 2 and (_match(name, _NAME_NAMES) or not self.values.quoted):
                for entry in listed:
                    self.values._used.add(entry)
                result = list(listed)
                any_prompt = True
        if not result:
            value, from_prompt = self.build(items, name, True, depth + 1)
            if from_prompt or min_items > 0:
                result = [value]
                any_prompt = from_prompt
        while len(result) < min_items:
            value, _ = self.build(items, name, True, depth + 1)
            result.append(value)
        if isinstance(max_items, int) and len(result) > max_items:
            result = result[:max_items]
        if schema.get("uniqueItems") and len(result) != len({repr(v) for v in result}):
            result = result[:1]
        return result, any_prompt

    def _number(
        self, schema: dict[str, Any], name: str, integer: bool, required: bool
    ) -> tuple[int | float, bool]:
        value: int | float | None = None
        default = schema.get("default")
        minimum = schema.get("minimum")
        from_prompt = False
        if self.use_prompt:
            named = self.values.take_named(name, numeric=True)
            if named is not None:
                value, from_prompt = _to_number(named), True
            elif required:
                taken = self.values.take_number()
                if taken is not None:
                    value, from_prompt = taken, True
        if value is None:
            value = default if _is_number(default) else minimum if _is_number(minimum) else 1
        assert value is not None
        return _clamp(value, schema, integer), from_prompt

    def _boolean(self, schema: dict[str, Any], name: str) -> tuple[bool, bool]:
        if self.use_prompt:
            spoken = re.escape(name.replace("_", " "))
            match = re.search(
                rf"\b{spoken}\b\s*(?:=|:|is)?\s*(true|false|yes|no)\b", self.values.text, re.IGNORECASE
            )
            if match:
                return match.group(1).lower() in ("true", "yes"), True
        default = schema.get("default")
        return (default if isinstance(default, bool) else False), False

    def _string(self, schema: dict[str, Any], name: str, required: bool) -> tuple[str, bool]:
        candidate = self._string_from_prompt(schema, name, required) if self.use_prompt else None
        if candidate is not None and _string_fits(candidate, schema):
            return candidate, True
        return _placeholder(schema, name), False

    def _string_from_prompt(self, schema: dict[str, Any], name: str, required: bool) -> str | None:
        values = self.values
        fmt = str(schema.get("format", "")).lower()
        description = str(schema.get("description", "")).lower()
        named = values.take_named(name)
        if named is not None:
            return named
        if fmt == "email" or _match(name, _EMAIL_NAMES):
            return values.take_from("emails")
        if fmt in ("uri", "url", "iri") or _match(name, _URL_NAMES):
            return values.take_from("urls")
        if fmt in ("date", "date-time"):
            found = values.take_from("dates")
            if found is not None and fmt == "date":
                return found[:10]
            return found
        if _match(name, _EXPRESSION_NAMES):
            return values.take_from("expressions") or (shorten(values.text, 200) if required else None)
        if _match(name, _PATH_NAMES):
            return values.take_quoted() or values.take_from("files")
        if not required:
            return None
        if _match(name, _NAME_NAMES) or any(
            word in description for word in ("city", "name", "country", "location")
        ):
            return values.take_proper() or values.take_quoted()
        if _match(name, _TEXT_NAMES):
            return values.take_quoted() or values.about() or shorten(values.text, 200) or None
        return values.take_quoted() or values.take_proper()


def _clamp(value: int | float, schema: dict[str, Any], integer: bool) -> int | float:
    minimum = schema.get("minimum")
    maximum = schema.get("maximum")
    exclusive_min = schema.get("exclusiveMinimum")
    exclusive_max = schema.get("exclusiveMaximum")
    step = 1 if integer else 0
    if isinstance(minimum, (int, float)) and value < minimum:
        value = minimum
    if isinstance(maximum, (int, float)) and value > maximum:
        value = maximum
    if (
        isinstance(exclusive_min, (int, float))
        and not isinstance(exclusive_min, bool)
        and value <= exclusive_min
    ):
        value = exclusive_min + (step or 0.5)
    if (
        isinstance(exclusive_max, (int, float))
        and not isinstance(exclusive_max, bool)
        and value >= exclusive_max
    ):
        value = exclusive_max - (step or 0.5)
    multiple = schema.get("multipleOf")
    if isinstance(multiple, (int, float)) and multiple > 0:
        value = round(value / multiple) * multiple
    if integer:
        return round(value)
    return value


def _string_fits(value: str, schema: dict[str, Any]) -> bool:
    min_length = schema.get("minLength")
    max_length = schema.get("maxLength")
    if isinstance(min_length, int) and len(value) < min_length:
        return False
    if isinstance(max_length, int) and len(value) > max_length:
        return False
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            if re.search(pattern, value) is None:
                return False
        except re.error:
            return True
    return True


_FORMAT_PLACEHOLDERS = {
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "iri": "https://example.com",
    "uri-reference": "https://example.com",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "date": "2025-01-01",
    "date-time": "2025-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "duration": "PT1H",
}


def _placeholder(schema: dict[str, Any], name: str) -> str:
    """A recognisably made-up string that still satisfies the field's format and length limits."""
    default = schema.get("default")
    if isinstance(default, str):
        return default
    examples = schema.get("examples") or ([schema["example"]] if "example" in schema else [])
    if isinstance(examples, list) and examples and isinstance(examples[0], str):
        return str(examples[0])
    fmt = str(schema.get("format", "")).lower()
    if fmt in _FORMAT_PLACEHOLDERS:
        return _FORMAT_PLACEHOLDERS[fmt]
    if _match(name, _EMAIL_NAMES):
        return "user@example.com"
    if _match(name, _URL_NAMES):
        return "https://example.com"
    spoken = name.replace("_", " ").strip() or "value"
    candidates = [f"example {spoken}", "example", spoken, "a", "0", "A1", "x" * 8]
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        generated = _from_pattern(pattern)
        if generated is not None:
            candidates.insert(0, generated)
    for candidate in candidates:
        if _string_fits(candidate, schema):
            return candidate
        padded = _pad(candidate, schema)
        if _string_fits(padded, schema):
            return padded
    min_length = schema.get("minLength")
    return "x" * (min_length if isinstance(min_length, int) else 1)


def _from_pattern(pattern: str) -> str | None:
    """The shortest-ish string matching a regular expression, built from Python's own regex parser."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        tree = _parser.parse(pattern)
        text = _generate(tree, _parser)
    except Exception:  # an unsupported construct: fall back to the fixed candidates
        return None
    return text if re.search(pattern, text) else None


def _generate(tree: Any, parser: Any) -> str:
    out: list[str] = []
    for op, arg in tree:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_class_char(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            out.append(_generate(sub, parser) * max(low, 0))
        elif name == "SUBPATTERN":
            out.append(_generate(arg[-1], parser))
        elif name == "ATOMIC_GROUP":
            out.append(_generate(arg, parser))
        elif name == "BRANCH":
            out.append(_generate(arg[1][0], parser))
        elif name in ("AT", "ASSERT", "ASSERT_NOT", "GROUPREF", "GROUPREF_EXISTS"):
            continue
        else:
            raise ValueError(f"Unsupported regex construct {name}.")
    return "".join(out)


def _class_char(items: list[tuple[Any, Any]]) -> str:
    negate = any(str(op) == "NEGATE" for op, _ in items)
    allowed: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            allowed.append(chr(arg))
        elif name == "RANGE":
            allowed.append(chr(arg[0]))
        elif name == "CATEGORY":
            category = str(arg)
            allowed.append(
                {"CATEGORY_DIGIT": "0", "CATEGORY_SPACE": " ", "CATEGORY_WORD": "a"}.get(category, "a")
            )
    if not negate:
        return allowed[0] if allowed else "a"
    for candidate in "aA0_-x ":
        if candidate not in allowed:
            return candidate
    return "~"


def _pad(value: str, schema: dict[str, Any]) -> str:
    min_length = schema.get("minLength")
    if isinstance(min_length, int) and len(value) < min_length:
        value = value + "x" * (min_length - len(value))
    return value


def is_valid(instance: Any, schema: dict[str, Any]) -> bool:
    """Whether `instance` satisfies `schema`; an unusable schema counts as satisfied."""
    try:
        validator_class = validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        return bool(validator_class(schema).is_valid(instance))
    except (
        Exception
    ):  # a malformed or exotic schema (bad $ref, unknown dialect) must not take the emulator down
        return True


def fill(schema: dict[str, Any] | None, values: PromptValues | str, *, name: str = "value") -> Any:
    """Return an instance of `schema`, filled from `values` where plausible and validated with jsonschema.

    Args:
        schema: A JSON Schema (draft 2020-12 style; `$ref`/`$defs`, `anyOf`, `nullable` understood).
        values: The prompt's values, or the prompt text itself.
        name: A name for the root value, used only for placeholders of non-object roots.
    """
    schema = schema if isinstance(schema, dict) else {"type": "object", "properties": {}}
    prompt = values if isinstance(values, PromptValues) else PromptValues(values)
    instance, _ = _Filler(schema, prompt, use_prompt=True).build(schema, name, True)
    if is_valid(instance, schema):
        return instance
    # The prompt's values broke a constraint the walker does not model; fall back to placeholders.
    fallback, _ = _Filler(schema, PromptValues(""), use_prompt=False).build(schema, name, True)
    return fallback if is_valid(fallback, schema) else instance
