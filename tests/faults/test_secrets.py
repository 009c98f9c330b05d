"""The API key never shows: not in reprs, exceptions (and their whole chains), tracebacks, logs, the
emulator's log, the live view's widget state, or a saved notebook. Tested by scanning for the key.

The failures used are the ones most likely to leak it: a relay that echoes the key it rejected, and
errors whose SDK exception carries the request (and so the auth headers).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import logging
import pickle
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import agentkit as ak
from agentkit.emulator import Emulator, Fault, Turn

from .harness import MODELS, TOOLS

SECRET = "sk-live-SECRETKEY-4c1d9e7b2a5f8c3e6d0b"
#: What a relay shows of a key it rejects (the OpenAI style keeps the first and last characters).
SECRET_PIECES = (SECRET, SECRET[8:30], SECRET[-16:])
FAST = {"max_retries": 1, "backoff": (0.01, 0.02)}


def leaks(text: str) -> list[str]:
    return [piece for piece in SECRET_PIECES if piece in text]


def exception_texts(error: BaseException) -> Iterator[str]:
    """Every text an exception can show: str, repr, the formatted traceback, and each chained one."""
    yield "".join(traceback.format_exception(error))
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield repr(vars(current)) if hasattr(current, "__dict__") else ""
        current = current.__cause__ or current.__context__


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    # The emulator wants another key, so the relay's (secret) key is rejected and echoed back.
    with Emulator(api_key="sk-the-emulators-own-key-000000") as emulator:
        yield emulator


@pytest.fixture
def relay(emulator: Emulator) -> ak.Relay:
    emulator.reset()
    return ak.Relay(emulator.url, api_key=SECRET, **FAST)  # type: ignore[arg-type]


def test_reprs_and_pickling_never_show_the_key(relay: ak.Relay) -> None:
    agent = ak.Agent("claude-sonnet-4-5", tools=TOOLS, relay=relay, display=False)
    for text in (repr(relay), str(relay), repr(vars(relay)), repr(agent), repr(relay.retry_policy)):
        assert not leaks(text), text
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(relay)


@pytest.mark.parametrize("model", MODELS)
def test_a_rejected_key_echoed_by_the_relay_is_not_shown(relay: ak.Relay, emulator: Emulator, model: str,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, the SDKs' and httpx's included
    agent = ak.Agent(model, relay=relay, display=False)
    for streaming in (False, True):
        with pytest.raises(ak.AuthenticationError) as info:
            if streaming:
                list(agent.stream("hello"))
            else:
                agent("hello")
        for text in exception_texts(info.value):
            assert not leaks(text), text
        assert not leaks(pickle.dumps(info.value).decode("latin-1"))
    assert not leaks(caplog.text), [r.getMessage()[:300] for r in caplog.records if leaks(r.getMessage())]
    assert not leaks(repr(agent)) and not leaks(repr(agent.history))


def _faults() -> list[tuple[str, Fault]]:
    return [
        ("401", Fault.http_error(401)),
        ("402", Fault.http_error(402)),
        ("404", Fault.http_error(404)),
        ("429", Fault.http_error(429, retry_after=0)),
        ("400", Fault.http_error(400, f"Incorrect API key provided: {SECRET}")),
        ("503", Fault.http_error(503, f"upstream rejected key {SECRET}")),
        ("drop", Fault.drop()),
        ("malformed", Fault.malformed_sse(after_events=0)),
        ("stream_error", Fault.stream_error(f"bad key {SECRET}", after_events=0)),
    ]


@pytest.mark.parametrize("model", MODELS)
def test_no_failure_shows_the_key_anywhere(emulator: Emulator, model: str, caplog: pytest.LogCaptureFixture) -> None:
    """Relay errors (some echoing the key in their message), in reprs, tracebacks, logs and the emulator log."""
    caplog.set_level(logging.DEBUG)
    emulator.reset()
    # The emulator accepts this relay's key here: the failures come from the faults.
    relay = ak.Relay(emulator.url, api_key=emulator.api_key, **FAST)  # type: ignore[arg-type]
    secret_relay_key = emulator.api_key or ""
    pieces = (secret_relay_key, secret_relay_key[8:])
    texts: list[str] = []
    for name, fault in _faults():
        for streaming in (False, True):
            emulator.fault(fault, count=None)
            agent = ak.Agent(model, tools=TOOLS, relay=relay, display=False)
            try:
                if streaming:
                    texts.extend(repr(e) for e in agent.stream("What is the weather in Paris?"))
                else:
                    texts.append(repr(agent("What is the weather in Paris?")))
            except ak.AgentkitError as error:
                texts.extend(exception_texts(error))
            else:
                raise AssertionError(f"{name}: the fault did not fail the run")
            emulator.reset()
    texts.append(caplog.text)
    texts.append(repr(list(emulator.log)))
    for text in texts:
        for piece in pieces + SECRET_PIECES[:1]:
            if piece in text:
                # The faults echo SECRET on purpose: it must be redacted too (it looks like a key).
                raise AssertionError(f"a key shows in: {text[:400]}")


def test_the_emulator_log_redacts_every_door(emulator: Emulator, relay: ak.Relay) -> None:
    relay = ak.Relay(emulator.url, api_key=emulator.api_key, **FAST)  # type: ignore[arg-type]
    for model in MODELS:
        ak.Agent(model, relay=relay, display=False)("hello")
    relay.models()
    records = list(emulator.log)
    assert {r.door for r in records} >= {"openai", "responses", "anthropic", "gemini", "models"}
    dumped = json.dumps([dataclasses.asdict(r) for r in records], default=str)
    assert emulator.api_key and emulator.api_key not in dumped


def test_the_live_view_state_never_shows_the_key(emulator: Emulator, relay: ak.Relay) -> None:
    """The widget state a notebook saves: a run with tool errors and a failing run, fed to the live view."""
    pytest.importorskip("ipywidgets")
    try:
        from agentkit.display.widget import LiveView
    except ImportError as exc:  # pragma: no cover - the display package is being built alongside
        pytest.skip(f"`agentkit.display.widget.LiveView` is not available yet ({exc}); nothing to scan")
    relay = ak.Relay(emulator.url, api_key=emulator.api_key, **FAST)  # type: ignore[arg-type]
    key = emulator.api_key or ""
    states: list[str] = []

    def collect(view: Any) -> None:
        view.flush(force=True)
        todo = [view.widget]
        while todo:
            widget = todo.pop()
            states.append(json.dumps(widget.get_state(), default=str))
            todo.extend(getattr(widget, "children", ()))
        states.append(json.dumps(view._bundle(final=True), default=str))

    agent = ak.Agent("gpt-4o", tools=TOOLS, relay=relay, display=False)
    emulator.script(Turn(tool_calls=[("explode", {"n": 1}), ("get_wether", {})]), "done")
    view = LiveView(prompt="go", model=agent.model, dialect=agent.dialect)
    for event in agent.stream("go"):
        view.handle(event)
    collect(view)
    emulator.fault(Fault.http_error(401, f"Incorrect API key provided: {key}"))
    view = LiveView(prompt="again", model=agent.model, dialect=agent.dialect)
    with pytest.raises(ak.AuthenticationError) as info:
        for event in agent.stream("again"):
            view.handle(event)
    view.fail(info.value)
    collect(view)
    bundles = [json.dumps(agent._repr_mimebundle_(), default=str)] if hasattr(agent, "_repr_mimebundle_") else []
    for text in states + bundles:
        assert key not in text, text[:400]
    assert any("Incorrect API key provided" in s for s in states), "the failed run is not in the view"


def test_a_saved_notebook_never_shows_the_key(tmp_path: Path) -> None:
    """Execute a notebook that uses a key, shows a run, the relay and a failing call; scan the saved file."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    cells = [
        "import os, agentkit as ak\n"
        f"os.environ['AGENTKIT_API_KEY'] = {SECRET!r}\n"
        f"em = ak.emulator.Emulator(api_key={SECRET!r}).start()\n"
        "os.environ['AGENTKIT_BASE_URL'] = em.url\n"
        "relay = ak.Relay.from_env(max_retries=0)\n"
        "relay",
        "@ak.tool\n"
        "def get_weather(city: str) -> dict:\n"
        "    '''Weather for a city.'''\n"
        "    return {'city': city, 'temperature': 21}\n"
        "agent = ak.Agent('claude-sonnet-4-5', tools=[get_weather], relay=relay)\n"
        "agent('What is the weather in Paris?')",
        "agent",
        "print(relay, relay.secrets and 'has a key')\nvars(relay)",
        "em.fault('http_error', status=401, message='Incorrect API key provided: ' + relay.secrets[0])\n"
        "agent('again')",
        "em.fault('http_error', status=503, message='upstream saw ' + relay.secrets[0], count=None)\n"
        "ak.Agent('gemini-2.5-pro', relay=relay, display=True)('and again')",
        "em.stop()",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    root = Path(__file__).resolve().parents[2]  # the kernel runs here, so `import agentkit` finds this tree
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                                     store_widget_state=True, resources={"metadata": {"path": str(root)}})
    client.execute()
    path = tmp_path / "saved.ipynb"
    nbformat.write(notebook, str(path))
    saved = path.read_text()
    outputs = [o for c in notebook.cells for o in c.get("outputs", [])]
    errors = [(i, o.get("ename")) for i, c in enumerate(notebook.cells) for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert [i for i, _ in errors] == [4, 5], f"only cells 4 and 5 should fail: {errors}"
    widgets = json.loads(saved)["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json")
    if importlib.util.find_spec("agentkit.display") is not None:
        assert widgets and widgets.get("state"), "no widget state was saved: the live view did not show"
    assert any(o.get("ename") == "AuthenticationError" for o in outputs), "the failing cell did not fail"
    assert any(o.get("ename") == "UpstreamError" for o in outputs), "the failing cell did not fail"
    # The key is in the source cells (the user typed it there), but nowhere in what ran.
    assert [c for c in notebook.cells if SECRET in c.source] == [notebook.cells[0]]
    without_sources = json.dumps({**json.loads(saved), "cells": [
        {k: v for k, v in c.items() if k != "source"} for c in json.loads(saved)["cells"]]})
    for piece in SECRET_PIECES:
        assert piece not in without_sources, f"{piece!r} is in the saved notebook's outputs or widget state"
