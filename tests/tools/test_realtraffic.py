"""Every tool declaration in `shared/realtraffic/`, reproduced from an equivalent Python function.

Real vendor servers accepted those requests. For each recorded declaration this checks that:
- the same vendor rules (`_rules.py`) accept both the recorded declaration and ours, so the rules are
  no stricter than reality and our output passes them;
- ours says the same thing: same name, description, properties, types, enums, descriptions and
  required set (titles, defaults and `additionalProperties` aside), and exactly the same schema
  where the recording used OpenAI strict mode;
- every tool call the model made in that recording (in the response, streamed or not, and in the
  history sent back) is accepted by our tool in that dialect and reaches the function intact.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

import pytest

import agentkit as ak
from agentkit.tools import Tool
from tests._paths import REALTRAFFIC

from ._rules import declaration_problems

ROOT = REALTRAFFIC
pytestmark = pytest.mark.skipif(not ROOT.is_dir(), reason=f"no recorded traffic at {ROOT}")


# -------------------------------------------------------------------- the equivalent Python functions


def anthropic_get_weather(
    location: str, unit: Literal["celsius", "fahrenheit"] = "celsius"
) -> dict[str, Any]:
    """Get the current weather in a given location

    Args:
        location: The city and state, e.g. San Francisco, CA
        unit: The unit of temperature
    """
    return dict(locals())


def retrieve_entity_info(name: str) -> dict[str, Any]:
    """Get the knowledge about the given entity."""
    return dict(locals())


def get_current_temperature(city: str) -> dict[str, Any]:
    """Get the current temperature in a city.

    Args:
        city: The name of the city to get the temperature for.
    """
    return dict(locals())


def final_result(city: str, country: str, population: int) -> dict[str, Any]:
    """Information about a city."""
    return dict(locals())


def get_user_country() -> dict[str, Any]:
    return {}


def fixed_version() -> dict[str, Any]:
    """Return a fixed test version string"""
    return {}


def get_capital(country: str) -> dict[str, Any]:
    """Get the capital of a country.

    Args:
        country: The country name.
    """
    return dict(locals())


def calculator(expression: str) -> dict[str, Any]:
    """Perform mathematical calculations. Use this for any math operations.

    Args:
        expression: Mathematical expression to evaluate
    """
    return dict(locals())


def _local_search(number: str) -> Callable[..., dict[str, Any]]:
    def search(query: str) -> dict[str, Any]:
        return dict(locals())

    search.__doc__ = f"""Local search tool #{number} for concurrency testing.

        Args:
            query: Search query
        """
    return search


def gemini_multiply(x: int, y: int) -> dict[str, Any]:
    """Multiply two numbers."""
    return dict(locals())


def get_temperature(city: str) -> dict[str, Any]:
    """Get the temperature in a city.

    Args:
        city: The city name.
    """
    return dict(locals())


def dummy() -> dict[str, Any]:
    return {}


def lookup_population(country: str) -> dict[str, Any]:
    """Returns the current population of the specified fictional country"""
    return dict(locals())


def can_have_dragons(population: int) -> dict[str, Any]:
    """Returns True if the specified population can have dragons, False otherwise"""
    return dict(locals())


def path_tool(path: str) -> dict[str, Any]:
    return dict(locals())


def undocumented_get_capital(country: str) -> dict[str, Any]:
    return dict(locals())


def openai_multiply(a: int, b: int) -> dict[str, Any]:
    """Multiply two numbers."""
    return dict(locals())


def get_current_weather(location: str) -> dict[str, Any]:
    """Get the current weather

    Args:
        location: The city and state, e.g. San Francisco, CA
    """
    return dict(locals())


def load_capability(id: str) -> dict[str, Any]:
    """Load a capability to access its full instructions and tools.

    Args:
        id: The id of the capability to load.
    """
    return dict(locals())


def get_player_name() -> dict[str, Any]:
    """Get the player's name."""
    return {}


def roll_dice() -> dict[str, Any]:
    """Roll a six-sided die and return the result."""
    return {}


def search_tools(queries: list[str]) -> dict[str, Any]:
    """There are additional tools not yet visible to you. When you need a capability not provided by your current tools, search here by providing one or more queries to discover and activate relevant tools. Each query is tokenized into words; tool names and descriptions are scored by token overlap. If no tools are found, they do not exist -- do not retry.

    Args:
        queries: List of search queries to match against tool names and descriptions. Use specific words likely to appear in tool names or descriptions to narrow down relevant tools. Each query is independently tokenized; matches across queries are unioned.
    """
    return dict(locals())


FUNCTIONS: dict[tuple[str, str], Callable[..., dict[str, Any]]] = {
    ("anthropic", "get_weather"): anthropic_get_weather,
    ("anthropic", "retrieve_entity_info"): retrieve_entity_info,
    ("anthropic", "get_current_temperature"): get_current_temperature,
    ("anthropic", "final_result"): final_result,
    ("anthropic", "get_user_country"): get_user_country,
    ("anthropic", "fixed_version"): fixed_version,
    ("gemini", "get_capital"): get_capital,
    ("gemini", "calculator"): calculator,
    ("gemini", "parallel_local_search_one"): _local_search("1"),
    ("gemini", "parallel_local_search_two"): _local_search("2"),
    ("gemini", "parallel_local_search_three"): _local_search("3"),
    ("gemini", "multiply"): gemini_multiply,
    ("gemini", "get_temperature"): get_temperature,
    ("gemini", "get_current_temperature"): get_current_temperature,
    ("gemini", "dummy"): dummy,
    ("openai", "lookup_population"): lookup_population,
    ("openai", "can_have_dragons"): can_have_dragons,
    ("openai", "create_file"): path_tool,
    ("openai", "delete_file"): path_tool,
    ("openai", "multiply"): openai_multiply,
    ("openai", "get_current_weather"): get_current_weather,
    ("openai", "get_capital"): undocumented_get_capital,
    ("openai", "get_user_country"): get_user_country,
    ("openai", "load_capability"): load_capability,
    ("openai", "get_player_name"): get_player_name,
    ("openai", "roll_dice"): roll_dice,
    ("openai", "search_tools"): search_tools,
}


# ------------------------------------------------------------------------------ reading the files


def _recordings() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path in sorted(ROOT.glob("*/*.json")) if ROOT.is_dir() else []:
        data = json.loads(path.read_text())
        body = data["request"].get("body")
        if isinstance(body, dict) and body.get("tools"):
            found.append((path.parent.name, path.name, data))
    return found


RECORDINGS = _recordings()


def _declarations(vendor: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    if vendor == "gemini":
        return [d for entry in body["tools"] for d in entry.get("functionDeclarations", [])]
    return list(body["tools"])


def _name(vendor: str, declaration: dict[str, Any]) -> str:
    return str(declaration["function"]["name"] if vendor == "openai" else declaration["name"])


def _parameters(vendor: str, declaration: dict[str, Any]) -> dict[str, Any]:
    if vendor == "openai":
        return dict(declaration["function"]["parameters"])
    if vendor == "anthropic":
        return dict(declaration["input_schema"])
    return dict(declaration.get("parameters_json_schema") or declaration["parameters"])


def _sse_data(text: str) -> list[dict[str, Any]]:
    events = []
    for line in text.splitlines():
        if line.startswith("data:"):
            payload = line[5:].strip()
            if payload and payload != "[DONE]":
                events.append(json.loads(payload))
    return events


def _calls(vendor: str, data: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every (tool name, arguments) the model produced in this recording."""
    body = data["request"]["body"]
    response = data["response_body"]
    calls: list[tuple[str, Any]] = []
    for message in body.get("messages") or []:
        for call in message.get("tool_calls") or []:
            calls.append((call["function"]["name"], call["function"]["arguments"]))
        for block in message.get("content") if isinstance(message.get("content"), list) else []:
            if isinstance(block, dict) and block.get("type") == "tool_use":
                calls.append((block["name"], block["input"]))
    gemini_chunks: list[dict[str, Any]] = []
    for content in body.get("contents") or []:
        gemini_chunks.append({"candidates": [{"content": content}]})
    if data.get("stream"):
        text = response if isinstance(response, str) else json.dumps(response)
        if vendor == "gemini":
            gemini_chunks += json.loads(text) if text.lstrip().startswith("[") else _sse_data(text)
        elif vendor == "openai":
            pending: dict[int, list[str]] = {}
            for chunk in _sse_data(text):
                for choice in chunk.get("choices") or []:
                    for delta in choice.get("delta", {}).get("tool_calls") or []:
                        slot = pending.setdefault(delta["index"], ["", ""])
                        slot[0] += delta.get("function", {}).get("name") or ""
                        slot[1] += delta.get("function", {}).get("arguments") or ""
            calls += [(name, arguments) for name, arguments in pending.values()]
        else:
            blocks: dict[int, list[str]] = {}
            for event in _sse_data(text):
                if (
                    event.get("type") == "content_block_start"
                    and event["content_block"]["type"] == "tool_use"
                ):
                    blocks[event["index"]] = [event["content_block"]["name"], ""]
                elif (
                    event.get("type") == "content_block_delta"
                    and event["delta"]["type"] == "input_json_delta"
                ):
                    blocks[event["index"]][1] += event["delta"]["partial_json"]
            calls += [(name, arguments or "{}") for name, arguments in blocks.values()]
    elif vendor == "openai":
        for choice in response.get("choices") or []:
            for call in choice["message"].get("tool_calls") or []:
                calls.append((call["function"]["name"], call["function"]["arguments"]))
    elif vendor == "anthropic":
        calls += [
            (b["name"], b["input"]) for b in response.get("content") or [] if b.get("type") == "tool_use"
        ]
    else:
        gemini_chunks.append(response)
    for chunk in gemini_chunks:
        for candidate in chunk.get("candidates") or []:
            for part in (candidate.get("content") or {}).get("parts") or []:
                call = part.get("functionCall") or part.get("function_call")
                if call:
                    calls.append((call["name"], call.get("args") or {}))
    return calls


def _normalized(schema: Any, *, root: bool = True) -> Any:
    """The meaning of a schema: no titles, defaults, `additionalProperties`, or type case."""
    if isinstance(schema, list):
        return [_normalized(s, root=False) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("title", "default", "additionalProperties") or (root and key == "description"):
            continue
        if key == "type" and isinstance(value, str):
            out[key] = value.lower()
        elif key == "required":
            if value:
                out[key] = sorted(value)
        elif key == "properties":
            out[key] = {name: _normalized(sub, root=False) for name, sub in value.items()}
        else:
            out[key] = _normalized(value, root=False)
    return out


def _our_tool(vendor: str, declaration: dict[str, Any]) -> Tool:
    name = _name(vendor, declaration)
    strict = bool(declaration.get("function", {}).get("strict")) if vendor == "openai" else True
    return ak.tool(FUNCTIONS[(vendor, name)], name=name, strict=strict)


def _our_declaration(vendor: str, tool: Tool, recorded: dict[str, Any]) -> dict[str, Any]:
    if vendor == "gemini":
        form: Literal["json", "parameters"] = "json" if "parameters_json_schema" in recorded else "parameters"
        return tool.to_schema("gemini", form=form)
    return tool.to_schema(vendor)


DECLARATIONS = [
    pytest.param(vendor, declaration, id=f"{file}:{_name(vendor, declaration)}")
    for vendor, file, data in RECORDINGS
    for declaration in _declarations(vendor, data["request"]["body"])
]


def test_every_recorded_tool_has_an_equivalent_function() -> None:
    names = {(p.values[0], _name(p.values[0], p.values[1])) for p in DECLARATIONS}  # type: ignore[arg-type]
    assert len(DECLARATIONS) >= 30
    assert names == set(FUNCTIONS)


@pytest.mark.parametrize(("vendor", "recorded"), DECLARATIONS)
def test_our_declaration_matches_the_recorded_one(vendor: str, recorded: dict[str, Any]) -> None:
    tool = _our_tool(vendor, recorded)
    ours = _our_declaration(vendor, tool, recorded)
    assert declaration_problems(vendor, recorded) == [], "the rules must accept what a real server accepted"
    assert declaration_problems(vendor, ours) == []
    described = recorded["function"] if vendor == "openai" else recorded
    mine = ours["function"] if vendor == "openai" else ours
    assert mine["name"] == described["name"]
    assert mine.get("description", "") == described.get("description", "")
    assert _normalized(_parameters(vendor, ours)) == _normalized(_parameters(vendor, recorded))
    if vendor == "openai" and recorded["function"].get("strict"):
        expected = {k: v for k, v in recorded["function"]["parameters"].items() if k != "description"}
        assert ours["function"]["parameters"] == expected
        assert ours["function"]["strict"] is True


CALLS = [pytest.param(vendor, data, id=file) for vendor, file, data in RECORDINGS if _calls(vendor, data)]


@pytest.mark.parametrize(("vendor", "data"), CALLS)
def test_recorded_calls_reach_our_function(vendor: str, data: dict[str, Any]) -> None:
    declarations = {_name(vendor, d): d for d in _declarations(vendor, data["request"]["body"])}
    for name, arguments in _calls(vendor, data):
        recorded = declarations[name]
        tool = _our_tool(vendor, recorded)
        form = None
        if vendor == "gemini":
            form = "json" if "parameters_json_schema" in recorded else "parameters"
        received = tool.invoke(arguments, dialect=vendor, form=form)  # type: ignore[arg-type]
        sent = json.loads(arguments) if isinstance(arguments, str) else arguments
        assert {k: received[k] for k in sent} == sent
