"""Bad input is refused with a typed error that names the value and says what to do; nothing is lost.

A developer's mistake (a bad option value, a history that is not messages, a non-tool) must not be
reported as a relay failure, must not be retried, and must leave the agent as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import agentkit as ak
from agentkit.emulator import Emulator
from agentkit.messages import Message, TextPart

from .harness import KEY


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(api_key=KEY) as emulator:
        yield emulator


@pytest.fixture
def relay(emulator: Emulator) -> ak.Relay:
    emulator.reset()
    return ak.Relay(emulator.url, api_key=KEY, max_retries=2, backoff=(0.01, 0.02))


def _agent(relay: ak.Relay, model: str = "gpt-4o", **kwargs: Any) -> ak.Agent:
    agent = ak.Agent(model, relay=relay, display=False, **kwargs)
    agent.history = [Message.user("Hello"), Message("assistant", [TextPart("Hi!")])]
    return agent


RUNS: list[tuple[str, str, dict[str, Any], str]] = [
    ("an option the OpenAI SDK does not take", "gpt-4o", {"frobnicate": 1}, "frobnicate"),
    ("an option google-genai does not take", "gemini-2.5-pro", {"frobnicate": 1}, "frobnicate"),
    ("a temperature of the wrong type (Gemini)", "gemini-2.5-pro", {"temperature": "hot"}, "temperature"),
]


@pytest.mark.parametrize(("_what", "model", "options", "says"), RUNS, ids=[r[0] for r in RUNS])
@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
def test_options_an_sdk_refuses_are_a_configuration_error_not_a_relay_failure(
    relay: ak.Relay, emulator: Emulator, _what: str, model: str, options: dict[str, Any], says: str, streaming: bool
) -> None:
    agent = _agent(relay, model)
    before = list(agent.history)
    with pytest.raises(ak.ConfigurationError) as info:
        if streaming:
            list(agent.stream("hello", **options))
        else:
            agent("hello", **options)
    assert says in str(info.value) and "before sending" in str(info.value)
    assert len(emulator.log) == 0, "the request was sent (or retried) although the SDK refused to build it"
    assert agent.history == before
    assert agent("hello").text  # nothing is left broken


def _set_history(value: Any) -> Callable[[ak.Agent], Any]:
    def run(agent: ak.Agent) -> Any:
        agent.history = value
        return agent("hello")

    return run


MISTAKES: list[tuple[str, Callable[[ak.Relay], Any], str]] = [
    ("a tool that is not callable", lambda r: ak.Agent("gpt-4o", tools=[42], relay=r), "42"),
    ("an empty model name", lambda r: ak.Agent("", relay=r), "''"),
    ("max_turns=0", lambda r: ak.Agent("gpt-4o", relay=r, max_turns=0), "max_turns"),
    ("an unknown dialect prefix route", lambda r: ak.Relay(r.root, routes={"x*": "cobol"}), "cobol"),  # type: ignore[dict-item]
    ("a history that is a string", lambda r: _set_history("hi")(_agent(r)), "agent.history"),
    ("a history of vendor dicts", lambda r: _set_history([{"role": "user", "content": "hi"}])(_agent(r)),
     "from_dialect"),
    ("an image file that does not exist", lambda r: _agent(r)("x", images=["/no/such/cat.png"]), "cat.png"),
    ("bytes that are not an image", lambda r: _agent(r)("x", images=[b"not an image"]), "not an image"),
    ("output= that is not a type", lambda r: _agent(r)("x", output=42), "output="),
    ("no prompt and no history", lambda r: ak.Agent("gpt-4o", relay=r, display=False)(), "prompt"),
]


@pytest.mark.parametrize(("_what", "mistake", "says"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_developer_mistakes_are_refused_with_a_typed_error(relay: ak.Relay, emulator: Emulator, _what: str,
                                                           mistake: Callable[[ak.Relay], Any], says: str) -> None:
    with pytest.raises(ak.ConfigurationError) as info:
        mistake(relay)
    message = str(info.value)
    assert says in message, message
    assert message.rstrip().endswith((".", ")")), message  # a full sentence
    assert len(emulator.log) == 0


def test_a_refused_history_is_kept_as_it_was(relay: ak.Relay) -> None:
    agent = _agent(relay)
    broken = [*agent.history, {"role": "user", "content": "a dict"}]
    agent.history = broken  # type: ignore[list-item]
    with pytest.raises(ak.ConfigurationError):
        agent("hello")
    assert agent.history is broken and len(broken) == 3  # not repaired behind the user's back
