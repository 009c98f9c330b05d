"""Newcomer mistakes fail at once with a sentence that says what to do (issue 15, item 4 and 5).

Misspelled keywords anywhere public raise `ak.ConfigurationError` with "did you mean"; one item
where a list is expected is one item; `ak.emulator.serve()` works with or without `with`; the
errors name the emulator and the unreachable host; the demo prints one line; and an agentkit error
carries no agentkit-internal frames below the public call.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import agentkit as ak
from agentkit.messages import ImagePart

AGENTKIT_DIR = str(Path(ak.__file__).parent)


@pytest.fixture(scope="module")
def relay() -> Iterator[Any]:
    with ak.emulator.serve() as relay:
        yield relay


def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: City name.
    """
    return f"sunny in {city}"


def _raises(call: Callable[[], Any]) -> ak.ConfigurationError:
    with pytest.raises(ak.ConfigurationError) as info:
        call()
    return info.value


# ---------------------------------------------------------------- keywords


@pytest.mark.parametrize(
    ("call", "wrong", "right"),
    [
        (lambda r: ak.Agent("gpt-4o", relay=r, sytem="x"), "sytem", "system"),
        (lambda r: ak.Agent("gpt-4o", relay=r, max_turn=3), "max_turn", "max_turns"),
        (lambda r: ak.Agent("gpt-4o", relay=r, tool=[get_weather]), "tool", "tools"),
        (lambda r: ak.Agent("gpt-4o", relay=r, temprature=0.2), "temprature", "temperature"),
        (lambda r: ak.Agent("gpt-4o", relay=r, display=False)("hi", temprature=0.2), "temprature", "temperature"),
        (lambda r: ak.Agent("gpt-4o", relay=r, display=False).run("hi", image=["a.png"]), "image", "images"),
        (lambda r: ak.Agent("gpt-4o", relay=r, display=False).stream("hi", outptu=int), "outptu", "output"),
        (lambda r: ak.Agent("gpt-4o", relay=r, display=False).astream("hi", max_token=5), "max_token", "max_tokens"),
        (lambda r: ak.emulator.serve(apikey="x"), "apikey", "api_key"),
        (lambda r: ak.tool(get_weather, timout=3), "timout", "timeout"),
        (lambda r: ak.tool(aproval=True), "aproval", "approval"),
        (lambda r: ak.Relay("https://relay.example", api_kye="sk-x"), "api_kye", "api_key"),
        (lambda r: ak.Relay("https://relay.example", backup_url="https://b.example"), "backup_url", "backup_urls"),
        (lambda r: ak.Relay.from_env({}, max_retry=2), "max_retry", "max_retries"),
        (lambda r: ak.batch(ak.Agent("gpt-4o", relay=r, display=False), ["hi"], concurency=2), "concurency",
         "concurrency"),
        (lambda r: ak.abatch(ak.Agent("gpt-4o", relay=r, display=False), ["hi"], progres=False), "progres",
         "progress"),
        (lambda r: ak.emulator.Emulator(strict_model=True), "strict_model", "strict_models"),
        (lambda r: r.emulator.script("x", modle="gpt-4o"), "modle", "model"),
        (lambda r: r.models(refrsh=True), "refrsh", "refresh"),
        (lambda r: ak.Image(dat=b"x"), "dat", "data"),
        (lambda r: ak.Message(rol="user"), "rol", "role"),
        (lambda r: ak.emulator.Turn(txt="x"), "txt", "text"),
        (lambda r: ak.to_dialect("openai", [], histroy=[]), "histroy", "history"),
        (lambda r: ak.tool(get_weather).to_schema("openai", fomr="x"), "fomr", "form"),
    ],
)
def test_a_misspelled_keyword_raises_at_once_with_did_you_mean(relay: Any, call: Any, wrong: str, right: str) -> None:
    before = len(relay.emulator.log)
    error = _raises(lambda: call(relay))
    assert repr(wrong) in str(error)
    assert f"`{right}" in str(error)
    assert len(relay.emulator.log) == before  # nothing was sent


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda r: ak.Agent("gpt-4o", relay="https://relay.example"), "`ak.emulator.serve()`"),
        (lambda r: ak.Agent("gpt-4o", relay=r, max_turns="5"), "must be an int; got str '5'"),
        (lambda r: ak.Agent("gpt-4o", relay=r, system=["Be brief."]), "must be a str or None"),
        (lambda r: ak.Agent("gpt-4o", relay=r, approve=True), "must be a function"),
        (lambda r: ak.Agent("gpt-4o", relay=r, display=False)(42), "The prompt must be a str"),
        (lambda r: ak.Agent("gpt-4o", relay=r, display=False).stream(["a", "b"]), "The prompt must be a str"),
        (lambda r: ak.Relay("https://relay.example", timeout="30"), "must be a number; got str '30'"),
        (lambda r: ak.Relay(api_key="sk-x"), "'base_url'"),
        (lambda r: ak.Relay("https://relay.example", dialects="klingon"), "Unknown dialect"),
        (lambda r: ak.emulator.serve(port="8080"), "must be an int"),
        (lambda r: ak.tool(get_weather, timeout="3"), "must be a number or None"),
    ],
)
def test_a_wrong_value_fails_at_once_with_the_type_expected(relay: Any, call: Any, says: str) -> None:
    before = len(relay.emulator.log)
    error = _raises(lambda: call(relay))
    assert says in str(error)
    assert len(relay.emulator.log) == before


def _public_callables() -> Iterator[tuple[str, Callable[..., Any]]]:
    """Every function, constructor and public method users reach from `ak` and `ak.emulator`
    (exceptions aside), with how they would name it."""
    from agentkit.agent import AsyncRunStream, RunStream
    from agentkit.batch import BatchResult, abatch, batch
    from agentkit.relay import DoorCheck, RelayCheck

    names = [(f"ak.{n}", getattr(ak, n)) for n in ak.__all__]
    names += [(f"ak.emulator.{n}", getattr(ak.emulator, n)) for n in ak.emulator.__all__]
    names += [(c.__name__, c) for c in (RelayCheck, DoorCheck, RunStream, AsyncRunStream, BatchResult)]
    names += [("ak.batch", batch), ("ak.abatch", abatch)]
    names += [(f"ak.mcp.{n}", getattr(ak.mcp, n)) for n in ak.mcp.__all__]
    for label, value in names:
        if isinstance(value, type) and not issubclass(value, BaseException):
            for attr, member in vars(value).items():
                if attr == "__init__" or not attr.startswith("_"):
                    function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
                    if inspect.isfunction(function):
                        yield f"{label}.{attr}", function
        elif inspect.isfunction(value):
            yield label, value


def test_every_public_callable_refuses_an_unknown_keyword_at_once() -> None:
    """The general mechanism, not a list: a constructor or method added later without the check fails
    here (decorate its class with `agentkit._api.checked_class`, a function with `refuse_unknown`)."""
    checked = 0
    for label, function in _public_callables():
        parameters = inspect.signature(function).parameters.values()
        if any(p.kind is p.VAR_KEYWORD for p in parameters):
            continue  # passes its keywords on and checks them itself (`agent.run(**options)`)
        error = _raises(lambda f=function: f(*([None] * _positional(f)), zz_unknown=1))
        assert "got an unknown keyword argument 'zz_unknown'" in str(error), label
        checked += 1
    assert checked > 40


def _positional(function: Callable[..., Any]) -> int:
    """`self` and required positional arguments get placeholders: the keyword check comes first."""
    return sum(1 for p in inspect.signature(function).parameters.values()
               if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty)


def test_a_missing_door_of_a_relay_check_is_an_agentkit_error_and_a_key_error(relay: Any) -> None:
    check = relay.check()
    with pytest.raises(KeyError) as info:
        check["anthropc"]
    assert isinstance(info.value, ak.AgentkitError)
    assert str(info.value).startswith("`relay.check()` probed no 'anthropc' door")
    assert "Did you mean `anthropic`?" in str(info.value) and "`openai`" in str(info.value)
    assert check["anthropic"].door == "anthropic"


def test_arun_checks_keywords_before_anything_is_sent(relay: Any) -> None:
    import asyncio

    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    error = _raises(lambda: asyncio.run(agent.arun("hi", sytem="x")))
    assert "`system=`" in str(error)


def test_names_other_libraries_use_point_to_agentkits_keyword(relay: Any) -> None:
    error = _raises(lambda: ak.Agent("gpt-4o", relay=relay, system_prompt="Be brief."))
    assert "`system=`" in str(error)
    error = _raises(lambda: ak.Agent("gpt-4o", relay=relay, display=False)("hi", stream=True))
    assert "agent.stream(...)" in str(error)


def test_model_options_pass_through_and_options_dict_sends_any_name(relay: Any) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False, temperature=0.1, frequency_penalty=0.2)
    agent("hi", max_tokens=50, options={"seed": 7})
    body = relay.emulator.log[-1].body
    assert (body["temperature"], body["frequency_penalty"], body["seed"]) == (0.1, 0.2, 7)
    # Anthropic's dialect sends names it does not know in the body: far from every known name, a
    # keyword goes through as it is, and `options=` sends even a name that looks misspelled.
    claude = ak.Agent("claude-sonnet-4-5", relay=relay, display=False)
    claude("hi", my_relay_flag=1, options={"sytem": "sent as it is"})
    body = relay.emulator.log[-1].body
    assert body["my_relay_flag"] == 1
    assert body["sytem"] == "sent as it is"


def test_options_must_be_a_dict(relay: Any) -> None:
    error = _raises(lambda: ak.Agent("gpt-4o", relay=relay, options=["temperature"]))
    assert "`options=` must be a dict" in str(error)


# ---------------------------------------------------------------- one item for a list


def test_a_single_tool_is_one_tool(relay: Any) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False, tools=get_weather)
    assert [t.name for t in agent.tools] == ["get_weather"]


def test_a_single_image_path_is_one_image(relay: Any, tmp_path: Path) -> None:
    from PIL import Image as PILImage

    path = tmp_path / "cat.png"
    PILImage.new("RGB", (8, 8), "red").save(path)
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    for image in (str(path), path, path.read_bytes()):
        agent.reset()
        agent("What is in the picture?", images=image)
        images = [p for p in agent.history[0].parts if isinstance(p, ImagePart)]
        assert len(images) == 1


def test_a_missing_single_image_names_the_whole_path(relay: Any) -> None:
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    with pytest.raises(ak.AgentkitError) as info:
        agent("Describe", images="no-such-cat.png")
    assert "no-such-cat.png" in str(info.value)
    assert "'c'" not in str(info.value)


# ---------------------------------------------------------------- the emulator and relays


def test_serve_without_with_works_and_close_stops_it() -> None:
    relay = ak.emulator.serve()
    try:
        assert isinstance(relay, ak.Relay)
        assert relay.route("gpt-4o") == ("openai", "gpt-4o")
        assert ak.Agent("gpt-4o", relay=relay, display=False)("Say hi").text
        assert relay.emulator.running
    finally:
        relay.close()
    assert not relay.emulator.running


def test_serve_without_with_stops_at_interpreter_exit() -> None:
    code = (
        "import agentkit as ak, threading\n"
        "relay = ak.emulator.serve()\n"
        "print(ak.Agent('gpt-4o', relay=relay, display=False)('Say hi').text[:5])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


@pytest.mark.parametrize("call", [lambda: ak.Agent("gpt-4o"), ak.Relay.from_env])
def test_the_no_relay_error_names_the_emulator(clean_env: pytest.MonkeyPatch, call: Any) -> None:
    error = _raises(call)
    assert "ak.emulator.serve()" in str(error)
    assert "AGENTKIT_BASE_URL" in str(error)


@pytest.mark.parametrize("model", ["gpt-4o", "responses:gpt-4o", "gemini-2.5-pro", "claude-sonnet-4-5"])
def test_connection_errors_name_the_host(model: str) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    relay = ak.Relay(f"http://127.0.0.1:{port}", api_key="sk-test", max_retries=0)
    with pytest.raises(ak.RelayConnectionError) as info:
        ak.Agent(model, relay=relay, display=False)("hi")
    assert f"127.0.0.1:{port}" in str(info.value)


def test_a_failed_model_list_names_the_host() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ak.RelayConnectionError) as info:
        ak.Relay(f"http://127.0.0.1:{port}/v1", api_key="sk-test", max_retries=0).models()
    assert f"127.0.0.1:{port}" in str(info.value)


def test_demo_prints_one_line_and_exits_nonzero_on_a_configuration_error() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTKIT_", "OPENAI_", "ANTHROPIC_"))}
    env["AGENTKIT_API_KEY"] = "sk-test-only-a-key"
    done = subprocess.run([sys.executable, "-m", "agentkit", "demo"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "AGENTKIT_BASE_URL" in lines[0]
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- short tracebacks


def _agentkit_frames(error: BaseException) -> list[str]:
    return [f"{f.filename}:{f.name}" for f in traceback.extract_tb(error.__traceback__)
            if f.filename.startswith(AGENTKIT_DIR)]


def test_an_error_from_a_run_carries_only_the_public_frame(relay: Any) -> None:
    relay.emulator.reset()
    relay.emulator.fault(ak.emulator.Fault.http_error(400, message="bad thing"))
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    with pytest.raises(ak.BadRequestError) as info:
        agent("hi")
    frames = _agentkit_frames(info.value)
    assert len(frames) == 1 and frames[0].endswith(":__call__"), frames
    relay.emulator.reset()


def test_an_error_from_a_stream_carries_only_the_public_frame(relay: Any) -> None:
    relay.emulator.reset()
    relay.emulator.fault(ak.emulator.Fault.http_error(400, message="bad thing"))
    agent = ak.Agent("gpt-4o", relay=relay, display=False)
    with pytest.raises(ak.BadRequestError) as info:
        list(agent.stream("hi"))
    assert len(_agentkit_frames(info.value)) == 1
    relay.emulator.reset()


def test_a_construction_error_carries_only_the_public_frame(relay: Any) -> None:
    error = _raises(lambda: ak.Agent("gpt-4o", relay=relay, max_turns=0))
    assert len(_agentkit_frames(error)) == 1


def test_full_tracebacks_on_request(relay: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTKIT_FULL_TRACEBACKS", "1")
    error = _raises(lambda: ak.Agent("gpt-4o", relay=relay, max_turns=0))
    assert len(_agentkit_frames(error)) > 1


def test_a_bug_in_user_code_keeps_every_frame(relay: Any) -> None:
    def approve(call: Any) -> bool:
        raise ZeroDivisionError("user bug")

    tool = ak.tool(get_weather, approval=True)
    relay.emulator.reset()
    relay.emulator.script(ak.emulator.Turn(tool_calls=[("get_weather", {"city": "Paris"})]))
    agent = ak.Agent("gpt-4o", relay=relay, display=False, tools=[tool], approve=approve)
    with pytest.raises(ZeroDivisionError) as info:
        agent("Weather in Paris?")
    assert len(_agentkit_frames(info.value)) > 1
    relay.emulator.reset()


def test_an_open_file_is_one_image_not_its_lines(relay: Any, tmp_path: Any) -> None:
    from tests.vision.test_agent_vision import PNG

    path = tmp_path / "chart.png"
    path.write_bytes(PNG + b"\n" * 3)  # bytes that split into several "lines"
    with path.open("rb") as image:
        reply = ak.Agent("gpt-4o", relay=relay, display=False)("What is this?", images=image)
    assert "64x48" in reply.text


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda: ak.from_dialect("anthropic", [{"role": "bob", "content": "x"}]), "'bob'"),
        (lambda: ak.from_dialect("openai", {"messages": "not a list"}), "not a list"),
        (lambda: ak.to_dialect("openai", ["not a message"]), "not a message"),
    ],
)
def test_a_conversation_that_does_not_fit_its_dialect_is_an_agentkit_error(call: Any, says: str) -> None:
    with pytest.raises(ak.AgentkitError) as caught:
        call()
    assert isinstance(caught.value, ValueError) and says in str(caught.value)
