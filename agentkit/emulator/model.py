"""The emulator's deterministic rule-based "model": a pure function from a ChatRequest to a Reply.

Why rules and not canned text: offline notebooks and tests need an assistant that behaves like one.
It calls the tools a prompt asks for (with arguments read from the prompt), answers from tool results,
returns schema-valid structured output, describes images, and shows reasoning for reasoning models,
always the same way for the same request so that tests are stable.

The rules, in order:

1. `tool_choice` "none" disables tools; "required"/"any"/a named tool forces a call.
2. The last message holds tool results: if the user's request named a tool that was held back because
   it needed another tool's output (`can_have_dragons(population)` after `lookup_population`), call it
   now with values from the results; otherwise answer with the results (as JSON when a schema is set).
3. The last user message mentions tools (by name, name with spaces, name words, or a distinctive
   description word): call them, several in parallel; one tool and a list of names ("Paris and London")
   fan out to one call per name.
4. A structured-output schema or JSON mode: a JSON value built from the prompt.
5. Images in the last user message: their format and pixel size from the header bytes; files
   (PDF, text, audio): their real kind, name, pages, lines or seconds (`emulator/files.py`).
6. A follow-up ("And in Tokyo?") that names no tool but gives a value for the tool called last in the
   conversation: call that tool again with the new value.
7. Earlier tool results in the conversation ("Which of the two is warmer?"): answer from them.
8. Otherwise: say what the emulator is and what it can do (naming the tools offered), quoting the
   prompt; never a bare echo of it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from .files import describe_file
from .images import sniff_image
from .neutral import ChatRequest, ImageInput, Message, Reply, ToolCall, ToolResult, ToolSpec, Usage
from .schema_fill import PromptValues, fill
from .text import count_tokens, shorten, stem, word_set, word_stems

__all__ = [
    "REASONING_MODEL_PATTERN",
    "describe_image",
    "finish_usage",
    "is_reasoning_model",
    "prompt_tokens",
    "respond",
    "tool_call_id",
]

#: Model names that answer with reasoning content even when the request does not ask for it.
REASONING_MODEL_PATTERN = re.compile(
    r"(?:^|[/_-])(?:o1|o3|o4)(?:$|[-_])|-r1\b|^r1\b|deepseek-r1|deepseek-reasoner|thinking|reasoner|reasoning",
    re.IGNORECASE,
)

# Name words that say what kind of operation a tool is, not what it is about.
_GENERIC_NAME_WORDS = word_set(
    """
    a all an and answer api by call can current data detail details do fetch final find for from
    func function get has have id in info information is list local look lookup make my new of on
    one or output parallel response result retrieve run set the three to tool two up v1 v2 with
    """
)
# Description words of five letters or more that do not say what a tool is about.
_COMMON_DESCRIPTION_WORDS = word_set(
    """
    about above access additional after again allows another answer array available based before
    being below between boolean call called calls could current currently data default detail
    details different during every example false field fields following function given information
    input inputs instead integer itself latest named number numbers object optional other otherwise
    output outputs parameter parameters please provide provided provides query required result
    results return returned returns should since something specific specified specify string takes
    testing their there these thing things those through tools under until useful using value values
    visible where which while within without would
    """
)


def is_reasoning_model(model: str) -> bool:
    """Whether a model name suggests a reasoning model (`deepseek-r1`, `o3-mini`, `*-thinking`, ...)."""
    return REASONING_MODEL_PATTERN.search(model) is not None


def tool_call_id(seed: str, index: int) -> str:
    """A stable 24-character alphanumeric suffix for a tool call id, derived from the request."""
    digest = hashlib.sha256(f"{seed}\x00{index}".encode()).hexdigest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    number = int(digest, 16)
    chars = []
    for _ in range(24):
        number, remainder = divmod(number, len(alphabet))
        chars.append(alphabet[remainder])
    return "".join(chars)


@dataclass
class _Candidate:
    tool: ToolSpec
    position: int
    deferred_for: list[str] = field(default_factory=list)


def _name_words(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return [stem(word) for word in re.split(r"[\W_]+", spaced) if word]


def _find_phrase(text: str, phrase: str) -> int:
    if not phrase:
        return -1
    match = re.search(rf"(?<![\w]){re.escape(phrase)}(?![\w])", text, re.IGNORECASE)
    return match.start() if match else -1


def _mention_position(tool: ToolSpec, text: str, stems: dict[str, int], distinctive: set[str]) -> int:
    """Where the prompt mentions `tool`, or -1. Evidence, strongest first: name, spaced name, words."""
    for phrase in (
        tool.name,
        tool.name.replace("_", " ").replace("-", " "),
        re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", tool.name).lower(),
    ):
        position = _find_phrase(text, phrase)
        if position >= 0:
            return position
    keywords = [w for w in _name_words(tool.name) if w not in _GENERIC_NAME_WORDS and len(w) >= 3]
    if keywords and all(w in stems for w in keywords):
        return min(stems[w] for w in keywords)
    positions = [stems[w] for w in distinctive if w in stems]
    return min(positions) if positions else -1


def _distinctive_words(tools: list[ToolSpec]) -> dict[str, set[str]]:
    """Per tool: description words of 5+ letters that no other tool's description or name uses."""
    words: dict[str, set[str]] = {}
    for tool in tools:
        found = {w for w, _ in word_stems(tool.description) if len(w) >= 5 and not w.isdigit()}
        words[tool.name] = {w for w in found if w not in _COMMON_DESCRIPTION_WORDS}
    distinctive: dict[str, set[str]] = {}
    for tool in tools:
        others: set[str] = set()
        for other in tools:
            if other.name != tool.name:
                others |= words[other.name] | set(_name_words(other.name))
        distinctive[tool.name] = words[tool.name] - others
    return distinctive


def _mentioned_tools(request: ChatRequest, text: str) -> list[_Candidate]:
    tools = _allowed_tools(request)
    if not text or not tools:
        return []
    stems: dict[str, int] = {}
    for word, position in word_stems(text):
        stems.setdefault(word, position)
    distinctive = _distinctive_words(tools)
    found = []
    for tool in tools:
        position = _mention_position(tool, text, stems, distinctive[tool.name])
        if position >= 0:
            found.append(_Candidate(tool, position))
    found.sort(key=lambda c: c.position)
    return found


def _allowed_tools(request: ChatRequest) -> list[ToolSpec]:
    if request.tool_choice.mode == "none":
        return []
    if request.tool_choice.names:
        return [t for t in request.tools if t.name in request.tool_choice.names]
    return list(request.tools)


def _required_props(tool: ToolSpec) -> list[str]:
    required = tool.parameters.get("required", [])
    return [r for r in required if isinstance(r, str)] if isinstance(required, list) else []


def _defer_chained(candidates: list[_Candidate], values: PromptValues) -> None:
    """Hold back tools whose required input another mentioned tool produces (lookup_population -> population)."""
    producers = {c.tool.name: set(_name_words(c.tool.name)) for c in candidates}
    for candidate in candidates:
        for prop in _required_props(candidate.tool):
            if _prompt_has_value(prop, candidate.tool, values):
                continue
            prop_words = set(_name_words(prop)) - _GENERIC_NAME_WORDS
            if not prop_words:
                continue
            for name, words in producers.items():
                if name != candidate.tool.name and prop_words <= words:
                    candidate.deferred_for.append(name)


def _prompt_has_value(prop: str, tool: ToolSpec, values: PromptValues) -> bool:
    schema = tool.parameters.get("properties", {}).get(prop, {})
    probe = PromptValues(values.text)
    filled = fill({"type": "object", "properties": {prop: schema}, "required": [prop]}, probe)
    placeholder = fill({"type": "object", "properties": {prop: schema}, "required": [prop]}, PromptValues(""))
    return bool(filled != placeholder)


def _arguments(tool: ToolSpec, values: PromptValues) -> str:
    instance = fill(tool.parameters, values, name=tool.name)
    return json.dumps(instance, ensure_ascii=False)


def _fan_out_property(tool: ToolSpec) -> str | None:
    """The first required string property that takes a name, for one-call-per-name fan-out."""
    properties = tool.parameters.get("properties", {})
    if not isinstance(properties, dict):
        return None
    for prop in _required_props(tool):
        schema = properties.get(prop)
        if isinstance(schema, dict) and schema.get("type") in ("string", "STRING") and "enum" not in schema:
            return prop
    return None


def _plan_calls(
    request: ChatRequest, text: str, seed: str, candidates: list[_Candidate] | None = None
) -> list[ToolCall]:
    candidates = _mentioned_tools(request, text) if candidates is None else candidates
    allowed = _allowed_tools(request)
    if not candidates and request.tool_choice.mode == "required" and allowed:
        candidates = [_Candidate(allowed[0], 0)]
    if not candidates:
        return []
    values = PromptValues(text)
    _defer_chained(candidates, values)
    ready = [c for c in candidates if not c.deferred_for] or candidates[:1]
    calls: list[ToolCall] = []
    listed = values.enumeration()
    if (
        len(ready) == 1
        and len(listed) >= 2
        and _fan_out_property(ready[0].tool)
        and request.tool_choice.parallel
    ):
        tool = ready[0].tool
        for name in listed:
            per_call = PromptValues(text)
            per_call.proper = [name] + [p for p in per_call.proper if p not in listed]
            calls.append(ToolCall(_call_id(seed, len(calls)), tool.name, _arguments(tool, per_call)))
        return calls
    for candidate in ready:
        calls.append(
            ToolCall(_call_id(seed, len(calls)), candidate.tool.name, _arguments(candidate.tool, values))
        )
        if not request.tool_choice.parallel:
            break
    return calls


def _follow_up_calls(request: ChatRequest, text: str, seed: str) -> list[ToolCall]:
    """Rule 6: a short prompt that names no tool but gives a new value for the tool called last.

    Short only: a follow-up is a few words ("What about Rome?"); a long prompt with a name in it is
    more likely a new request that names no tool.
    """
    last = next((c for m in reversed(request.messages[:-1]) for c in reversed(m.tool_calls)), None)
    tool = next((t for t in _allowed_tools(request) if last is not None and t.name == last.name), None)
    required = _required_props(tool) if tool is not None else []
    if len(text.split()) > 8 or tool is None or not required or not _prompt_has_value(required[0], tool, PromptValues(text)):
        return []
    return _plan_calls(request, text, seed, [_Candidate(tool, 0)])


def _earlier_results(request: ChatRequest) -> str:
    """Rule 7: the tool results the conversation holds, most recent last, as one sentence."""
    results = [r for m in request.messages for r in m.tool_results]
    if not results:
        return ""
    return "From the results so far: " + _results_text(request, results[-6:])


def _fallback_answer(request: ChatRequest, prompt: str) -> str:
    """Rule 8: an honest answer from a model that knows only its rules (quoting the prompt)."""
    greeting = "Hello! " if re.match(r"\s*(hello|hi|hey|good (morning|afternoon|evening))\b", prompt, re.I) else ""
    tools = _allowed_tools(request)
    offer = f" Name one of my tools to use it: {', '.join(t.name for t in tools[:8])}." if tools else ""
    return (
        f'{greeting}I am agentkit\'s offline emulator, so I cannot answer "{shorten(prompt, 300)}" from knowledge; '
        f"I call the tools a prompt names, answer from their results, fill in structured output and describe "
        f"images.{offer}"
    )


def _call_id(seed: str, index: int) -> str:
    return "call_" + tool_call_id(seed, index)


def _trailing_results(messages: list[Message]) -> list[ToolResult]:
    results: list[ToolResult] = []
    for message in reversed(messages):
        if message.role != "tool":
            break
        results = message.tool_results + results
    return results


def _called_since_last_user(messages: list[Message]) -> tuple[list[ToolCall], str]:
    """The tool calls made since the last real user message, and that message's text."""
    calls: list[ToolCall] = []
    for message in reversed(messages):
        if message.role == "assistant":
            calls = message.tool_calls + calls
        elif message.role == "user" and (message.text or message.images or message.files):
            return calls, message.text
    return calls, ""


def _result_names(request: ChatRequest, results: list[ToolResult]) -> list[str]:
    by_id: dict[str, str] = {}
    for message in request.messages:
        for call in message.tool_calls:
            by_id[call.id] = call.name
    names = []
    for result in results:
        names.append(
            result.name or (by_id.get(result.call_id or "") if result.call_id else None) or "the tool"
        )
    return names


def _results_text(request: ChatRequest, results: list[ToolResult]) -> str:
    sentences = []
    for name, result in zip(_result_names(request, results), results, strict=True):
        content = shorten(result.content, 400)
        if result.images or result.files:
            pictures = " and ".join([*(describe_image(i) for i in result.images), *map(describe_file, result.files)])
            content = f"{content} with {pictures}" if content else pictures
        content = (content or "nothing").rstrip(".")  # the sentences end with one full stop
        if result.is_error:
            sentences.append(f"{name} failed: {content}")
        else:
            sentences.append(f"{name} returned {content}")
    return "; ".join(sentences) + "."


def describe_image(image: ImageInput) -> str:
    """One sentence about an image: its real format and pixel size, or its URL when it is remote."""
    if image.data is None:
        if image.url:
            return f"a remote image at {image.url}"
        return "an image I could not read"
    info = sniff_image(image.data)
    if info.format is None:
        declared = f" declared as {image.media_type}" if image.media_type else ""
        return f"{len(image.data)} bytes{declared} that are not a PNG, JPEG, GIF or WEBP image"
    size = f", {info.width}x{info.height} pixels" if info.width and info.height else ""
    return f"a {info.format} image{size}"


def _attachments_answer(noun: str, descriptions: list[str], prompt: str) -> str:
    """"The image is ..." / "File 1 is ... File 2 is ...", then the question."""
    if len(descriptions) == 1:
        answer = f"The {noun.lower()} is {descriptions[0]}."
    else:
        answer = " ".join(f"{noun} {i} is {d}." for i, d in enumerate(descriptions, start=1))
    if prompt.strip():
        answer += f' You asked: "{shorten(prompt, 200)}"'
    return answer


def _reasoning(prompt: str, decision: str) -> str:
    said = shorten(prompt, 200)
    opening = f'The user wrote: "{said}". ' if said else "There is no new user text. "
    return opening + decision


def _json_answer(request: ChatRequest, source: str) -> str:
    if request.output_schema is not None:
        return json.dumps(
            fill(request.output_schema, source, name=request.output_name or "value"), ensure_ascii=False
        )
    return json.dumps({"response": _fallback_answer(request, source)}, ensure_ascii=False)


#: What an image or a file counts in a prompt: a flat, rough figure.
ATTACHMENT_TOKENS = 85


def head_texts(request: ChatRequest) -> list[str]:
    """The texts of a request before its messages: the system prompt, the tools, the output schema."""
    texts = [request.system, *(tool.name + " " + tool.description + " " + json.dumps(tool.parameters)
                               for tool in request.tools)]
    if request.output_schema is not None:
        texts.append(json.dumps(request.output_schema))
    return texts


def message_texts(message: Message) -> list[str]:
    """The texts a message adds to the prompt: its text, its tool calls' arguments, its tool results."""
    return [message.text, *(call.arguments for call in message.tool_calls),
            *(result.content for result in message.tool_results)]


def attachments(message: Message) -> int:
    """How many images and files a message carries (each counts `ATTACHMENT_TOKENS`)."""
    return len(message.images) + len(message.files)


def prompt_tokens(request: ChatRequest) -> int:
    """Rough prompt size: words in every message, tool definition and schema, plus a flat cost per image or file."""
    texts = [*head_texts(request), *(text for message in request.messages for text in message_texts(message))]
    return count_tokens(*texts) + ATTACHMENT_TOKENS * sum(map(attachments, request.messages)) + 3


def _seed(request: ChatRequest) -> str:
    parts = [request.door, request.model, request.system]
    for message in request.messages:
        parts.append(message.role + ":" + message.text)
        parts.extend(c.arguments for c in message.tool_calls)
        parts.extend(r.content for r in message.tool_results)
    return "\x1f".join(parts)


def finish_usage(request: ChatRequest, reply: Reply) -> Reply:
    """Fill in `reply.usage` from the request and reply text (rough word-based counts)."""
    reasoning_tokens = count_tokens(reply.reasoning or "")
    completion = count_tokens(reply.text or "", *(c.name + " " + c.arguments for c in reply.tool_calls))
    reply.usage = Usage(
        prompt_tokens=prompt_tokens(request),
        completion_tokens=max(1, completion + reasoning_tokens),
        reasoning_tokens=reasoning_tokens,
    )
    return reply


def _truncate(reply: Reply, max_tokens: int | None) -> Reply:
    if not max_tokens or reply.tool_calls or not reply.text:
        return reply
    words = reply.text.split(" ")
    budget = max(1, int(max_tokens * 3 / 4))
    if len(words) > budget:
        reply.text = " ".join(words[:budget])
        reply.finish = "length"
    return reply


def respond(request: ChatRequest) -> Reply:
    """Answer a request by the rules in this module's docstring. Pure and deterministic."""
    seed = _seed(request)
    prompt = request.last_user_text()
    results = _trailing_results(request.messages)
    reply: Reply

    if results:
        reply = _after_results(request, results, seed)
    else:
        calls = _plan_calls(request, prompt, seed) or _follow_up_calls(request, prompt, seed)
        last_user = next((m for m in reversed(request.messages) if m.role == "user"), None)
        images = last_user.images if last_user is not None else []
        files = last_user.files if last_user is not None else []
        if calls:
            names = ", ".join(dict.fromkeys(c.name for c in calls))
            reply = Reply(
                tool_calls=calls, finish="tool_calls", reasoning=_reasoning(prompt, f"I should call {names}.")
            )
        elif request.output_schema is not None or request.json_mode:
            reply = Reply(
                text=_json_answer(request, prompt),
                reasoning=_reasoning(prompt, "I need to answer with JSON that matches the requested format."),
            )
        elif images:
            reply = Reply(
                text=_attachments_answer("Image", [describe_image(i) for i in images], prompt),
                reasoning=_reasoning(prompt, "There is an image to describe."),
            )
        elif files:
            reply = Reply(
                text=_attachments_answer("File", [describe_file(f) for f in files], prompt),
                reasoning=_reasoning(prompt, "There is a file to describe."),
            )
        elif earlier := _earlier_results(request):
            reply = Reply(text=earlier, reasoning=_reasoning(prompt, "The earlier tool results answer this."))
        elif prompt.strip():
            reply = Reply(
                text=_fallback_answer(request, prompt),
                reasoning=_reasoning(prompt, "No tool, schema or image applies; I can only say what I do."),
            )
        else:
            reply = Reply(
                text="Hello! How can I help you today?",
                reasoning=_reasoning(prompt, "I can answer directly."),
            )

    if not request.reasoning:
        reply.reasoning = None
    return finish_usage(request, _truncate(reply, request.max_tokens))


def _after_results(request: ChatRequest, results: list[ToolResult], seed: str) -> Reply:
    called, original = _called_since_last_user(request.messages)
    results_text = _results_text(request, results)
    # A tool held back for another tool's output can run now, with values from the results.
    candidates = _mentioned_tools(request, original)
    called_names = {c.name for c in called}
    pending = [c for c in candidates if c.tool.name not in called_names]
    if pending and called:
        _defer_chained(candidates, PromptValues(original))
        chained = [c for c in pending if c.deferred_for and set(c.deferred_for) <= called_names]
        if chained:
            found = PromptValues(" ".join(r.content for r in results) + " " + original)
            calls = [
                ToolCall(_call_id(seed, i), c.tool.name, _arguments(c.tool, found))
                for i, c in enumerate(chained)
            ]
            names = ", ".join(c.name for c in calls)
            return Reply(
                tool_calls=calls,
                finish="tool_calls",
                reasoning=_reasoning(original, f"The results are in; now I can call {names}."),
            )
    allowed = _allowed_tools(request)
    if request.tool_choice.mode == "required" and allowed:
        # Rule 1 holds after results too: a required call (Gemini ANY, Anthropic any, OpenAI
        # required) is a call, to a tool not called yet for this request when there is one.
        tool = next((t for t in allowed if t.name not in called_names), allowed[0])
        found = PromptValues(" ".join(r.content for r in results) + " " + original)
        call = ToolCall(_call_id(seed, 0), tool.name, _arguments(tool, found))
        return Reply(
            tool_calls=[call],
            finish="tool_calls",
            reasoning=_reasoning(original, f"The results are in, and a tool call is required: {tool.name}."),
        )
    if request.output_schema is not None or request.json_mode:
        source = " ".join(r.content for r in results) + " " + original
        return Reply(
            text=_json_answer(request, source),
            reasoning=_reasoning(original, "The tool results are in; I will answer with JSON."),
        )
    return Reply(
        text=results_text, reasoning=_reasoning(original, "The tool results are in, so I can answer now.")
    )
