"""`agent.save(path)` / `ak.Agent.load(path, ...)`: exact round trips, the same next request, no secrets, clear errors."""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentkit as ak
from agentkit import messages, saving
from agentkit.messages import (
    Image,
    ImagePart,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    Usage,
)

KEY = "sk-save-test-SECRET-0123456789abcdef"
MODELS = ["gpt-4o", "responses:gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"]
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture(scope="module")
def emulator_relay() -> Iterator[Any]:
    with ak.emulator.serve(api_key=KEY) as relay:
        yield relay


@pytest.fixture
def relay(emulator_relay: Any) -> Any:
    emulator_relay.emulator.reset()
    return emulator_relay


@ak.tool
def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city.

    Args:
        city: City name, e.g. "Paris".
    """
    return {"city": city, "temperature": 21}


@ak.tool
def get_time(city: str) -> str:
    """Local time in a city.

    Args:
        city: City name.
    """
    return "12:00"


def exact(value: Any) -> Any:
    """`value` as nested tuples of type names and contents: equal only for the very same content.

    Stricter than `==`: it sees fields compared by nothing (`extra`), images by content (an
    `ak.Image` compares by identity), tuples apart from lists, and bytes apart from str.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, tuple((f.name, exact(getattr(value, f.name))) for f in dataclasses.fields(value)))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(exact(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((exact(k), exact(v)) for k, v in value.items()))
    return (type(value).__name__, value)


# ------------------------------------------------------------------------------ random histories

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
opaque = st.none() | st.text(max_size=20)
images = st.one_of(
    st.builds(Image, data=st.binary(min_size=1, max_size=64), mime_type=st.sampled_from(["image/png", "image/jpeg"]),
              detail=st.sampled_from(["auto", "low", "high"]), width=st.none() | st.integers(1, 4000),
              height=st.none() | st.integers(1, 4000)),
    st.builds(Image, url=st.just("https://example.com/cat.png"), mime_type=st.just("image/png")),
)
extra = st.dictionaries(st.text(max_size=8), json_values, max_size=2)
text_parts = st.builds(TextPart, st.text())
image_parts = st.builds(ImagePart, images)
reasoning_parts = st.builds(ReasoningPart, text=st.text(), signature=opaque, redacted=opaque, dialect=opaque,
                            extra=extra)
tool_calls = st.builds(ToolCallPart, id=st.text(min_size=1, max_size=12), name=st.text(min_size=1, max_size=12),
                       arguments=st.dictionaries(st.text(max_size=8), json_values, max_size=3) | st.text(),
                       signature=opaque, dialect=opaque, extra=extra)
tool_results = st.builds(ToolResultPart, call_id=st.text(max_size=12), name=st.text(max_size=12),
                         content=st.lists(text_parts | image_parts, max_size=3).map(tuple), is_error=st.booleans(),
                         extra=extra)
parts = text_parts | image_parts | reasoning_parts | tool_calls | tool_results
usages = st.builds(Usage, *(st.integers(0, 10**9) for _ in range(4)))
histories = st.lists(
    st.builds(Message, role=st.sampled_from(["system", "user", "assistant", "tool"]), parts=st.lists(parts, max_size=4),
              model=opaque, dialect=opaque, usage=st.none() | usages),
    max_size=5,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories)
def test_any_history_round_trips_exactly_through_json(history: list[Message]) -> None:
    text = json.dumps(saving.to_json(history), allow_nan=False)
    back = saving.from_json(json.loads(text))
    assert exact(back) == exact(history)


def test_every_message_type_has_a_saved_name() -> None:
    """A new part type (or value type) in `agentkit.messages` needs its one line in `saving._TYPES`."""
    part_types = set(typing.get_args(messages.Part))
    dataclass_types = {getattr(messages, n) for n in messages.__all__ if dataclasses.is_dataclass(getattr(messages, n))}
    listed = set(saving._TYPES.values())
    assert part_types <= listed and dataclass_types <= listed, sorted(
        t.__name__ for t in (part_types | dataclass_types) - listed)


# ------------------------------------------------------------------------------ agents, files


def _conversation(relay: Any, model: str, **options: Any) -> ak.Agent:
    agent = ak.Agent(model, tools=[get_weather, get_time], relay=relay, display=False, system="Be brief.",
                     reasoning="low", temperature=0.2, **options)
    agent("What's the weather in Paris and in Rome?", images=[PNG])
    agent("Thanks. Just say hello now.")
    return agent


@pytest.mark.parametrize("model", MODELS)
def test_the_next_request_after_load_is_the_one_the_original_would_send(relay: Any, tmp_path: Path,
                                                                         model: str) -> None:
    original = _conversation(relay, model)
    kinds = {type(p) for m in original.history for p in m.parts}
    assert {TextPart, ImagePart, ReasoningPart, ToolCallPart, ToolResultPart} <= kinds
    path = tmp_path / "trip.json"
    original.save(path)
    loaded = ak.Agent.load(path, tools=[get_time, get_weather], relay=relay, display=False)
    assert exact(list(loaded.history)) == exact(list(original.history))
    assert (loaded.model, loaded.system, loaded.options) == (original.model, original.system, original.options)
    assert [t.name for t in loaded.tools] == ["get_weather", "get_time"]  # the saved order, not the given one

    bodies = []
    for agent in (loaded, original):
        relay.emulator.reset()
        agent("What is the weather in Oslo?")
        bodies.append({k: v for k, v in relay.emulator.log[0].body.items() if k != "prompt_cache_key"})
    assert bodies[0] == bodies[1]  # (later requests hold the ids the emulator makes up afresh each time)
    assert "Oslo" in json.dumps(bodies[0]) and "Be brief." in json.dumps(bodies[0])


def test_structured_output_schema_and_reply_round_trip(relay: Any, tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
              "additionalProperties": False}
    agent = ak.Agent("gpt-4o", relay=relay, display=False, output=schema)
    first = agent("Which city is the capital of France?")
    agent.save(tmp_path / "a.json")
    loaded = ak.Agent.load(tmp_path / "a.json", relay=relay, display=False)
    assert loaded.output == schema
    assert exact(list(loaded.history)) == exact(list(agent.history))
    assert loaded("And of Italy?").output.keys() == first.output.keys()


class City(typing.TypedDict):
    name: str


def test_a_structured_output_type_is_saved_by_name_and_given_again(relay: Any, tmp_path: Path) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False, output=City)
    agent("Capital of France?")
    agent.save(tmp_path / "a.json")
    with pytest.raises(ak.ConfigurationError, match=r"structured output type .*City.*output=ThatType") as info:
        ak.Agent.load(tmp_path / "a.json", relay=relay)
    assert "a.json" in str(info.value)
    loaded = ak.Agent.load(tmp_path / "a.json", relay=relay, output=City, display=False)
    assert loaded.output is City


def test_the_file_holds_no_key_and_no_relay_address(relay: Any, tmp_path: Path) -> None:
    agent = _conversation(relay, "claude-sonnet-4-5",
                          extra_headers={"Authorization": f"Bearer {KEY}", "X-Trace": "on"})
    path = agent.save(tmp_path / "trip.json")
    text = path.read_text()
    for secret in (KEY, relay.root, relay.root.split("//", 1)[1], "Authorization"):
        assert secret not in text
    assert json.loads(text)["options"]["extra_headers"] == {"X-Trace": "on"}
    assert json.loads(text)["version"] == saving.VERSION


def test_a_key_or_relay_address_in_the_conversation_is_refused_and_nothing_written(relay: Any,
                                                                                  tmp_path: Path) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    agent(f"My key is {KEY}, keep it.")
    path = tmp_path / "a.json"
    with pytest.raises(ak.ConfigurationError, match="API key") as info:
        agent.save(path)
    assert KEY not in str(info.value) and "a.json" in str(info.value)
    agent.reset()
    agent(f"The relay is at {relay.root}/v1")
    with pytest.raises(ak.ConfigurationError, match="address"):
        agent.save(path)
    assert not path.exists()


def test_missing_tools_are_named_and_extra_tools_are_welcome(relay: Any, tmp_path: Path) -> None:
    agent = ak.Agent("gpt-4o", tools=[get_weather, get_time], relay=relay, display=False)
    agent.save(tmp_path / "a.json")
    with pytest.raises(ak.ConfigurationError, match=r"`get_time`.*tools=\[") as info:
        ak.Agent.load(tmp_path / "a.json", tools=[get_weather], relay=relay)
    assert "a.json" in str(info.value) and "`get_weather`" in str(info.value)

    @ak.tool
    def convert(amount: float) -> float:
        """Convert.

        Args:
            amount: Amount.
        """
        return amount

    loaded = ak.Agent.load(tmp_path / "a.json", tools=[convert, get_time, get_weather], relay=relay, max_turns=3)
    assert [t.name for t in loaded.tools] == ["get_weather", "get_time", "convert"]
    assert loaded.max_turns == 3  # settings given to load win over the saved ones


def _saved(relay: Any, tmp_path: Path) -> Path:
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    agent("Hello")
    return agent.save(tmp_path / "chat.json")


@pytest.mark.parametrize("damage", [
    lambda text: text[: len(text) // 2],  # cut short
    lambda text: text.replace('"history"', '"histories"'),
    lambda text: json.dumps({**json.loads(text), "history": 5}),
    lambda text: json.dumps({**json.loads(text), "version": "one"}),
    lambda text: b"\xff\xfe" + text.encode(),  # not UTF-8
])
def test_a_damaged_file_gives_an_agentkit_error_naming_it(relay: Any, tmp_path: Path, damage: Any) -> None:
    path = _saved(relay, tmp_path)
    damaged = damage(path.read_text())
    path.write_bytes(damaged if isinstance(damaged, bytes) else damaged.encode())
    with pytest.raises(saving.SaveFileError, match="damaged") as info:
        ak.Agent.load(path, relay=relay)
    assert isinstance(info.value, ak.AgentkitError) and "chat.json" in str(info.value)
    assert not isinstance(info.value, (KeyError, json.JSONDecodeError))


@pytest.mark.parametrize("newer", [
    lambda text: text.replace('"$type": "text"', '"$type": "hologram"'),  # a part type added later
    lambda text: text.replace('"text": "Hello"', '"text": "Hello", "colour": "red"'),  # a field added later
])
def test_a_part_type_or_field_from_a_newer_agentkit_says_to_upgrade(relay: Any, tmp_path: Path, newer: Any) -> None:
    path = _saved(relay, tmp_path)
    path.write_text(newer(path.read_text()))
    with pytest.raises(saving.SaveFileError, match=r"(hologram|colour).*newer agentkit.*pip install -U") as info:
        ak.Agent.load(path, relay=relay)
    assert "chat.json" in str(info.value)


def test_a_newer_version_or_another_kind_of_file_says_so(relay: Any, tmp_path: Path) -> None:
    path = _saved(relay, tmp_path)
    path.write_text(json.dumps({**json.loads(path.read_text()), "version": saving.VERSION + 1}))
    with pytest.raises(ak.AgentkitError, match=r"newer agentkit.*version 2.*Upgrade") as info:
        ak.Agent.load(path, relay=relay)
    assert "chat.json" in str(info.value)
    path.write_text('{"name": "package.json of something else"}')
    with pytest.raises(ak.AgentkitError, match="not an agent saved by agentkit"):
        ak.Agent.load(path, relay=relay)
    with pytest.raises(ak.ConfigurationError, match="does not exist"):
        ak.Agent.load(tmp_path / "nothing.json", relay=relay)
    with pytest.raises(ak.ConfigurationError, match="file path"):
        ak.Agent.load(42, relay=relay)  # type: ignore[arg-type]


def test_text_that_is_not_valid_unicode_still_round_trips(relay: Any, tmp_path: Path) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    agent.history.append(Message("user", [TextPart("half a character: \ud83d, then é")]))
    loaded = ak.Agent.load(agent.save(tmp_path / "odd.json"), relay=relay)
    assert exact(list(loaded.history)) == exact(list(agent.history))


def test_an_option_json_cannot_hold_is_refused_with_its_place(relay: Any, tmp_path: Path) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False, options={"metadata": {"when": object()}})
    with pytest.raises(ak.ConfigurationError, match=r"`agent.options\['metadata'\]\['when'\]` is a object") as info:
        agent.save(tmp_path / "a.json")
    assert "a.json" in str(info.value)
    assert not (tmp_path / "a.json").exists()
