"""The emulator's lifecycle: threads, ports, `serve()`, and `python -m agentkit.emulator`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx2
import openai
import pytest

import agentkit as ak
from agentkit.emulator import PLACEHOLDER_KEY, Emulator

ROOT = Path(__file__).resolve().parents[2]


def emulator_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("agentkit-emulator")]


def test_start_and_stop_leave_no_thread_or_socket() -> None:
    before = emulator_threads()
    emulator = Emulator()
    with pytest.raises(RuntimeError, match="no port yet"):
        _ = emulator.url
    with emulator:
        assert emulator.running and len(emulator_threads()) == len(before) + 1
        port = emulator.port
        assert httpx2.get(emulator.url + "/v1/models").status_code == 200
    assert not emulator.running and emulator_threads() == before
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    emulator.stop()  # a second stop is harmless
    with emulator:  # and it can start again
        assert httpx2.get(emulator.url + "/v1/models").status_code == 200
    assert emulator_threads() == before


def test_stop_does_not_wait_for_a_long_delay() -> None:
    emulator = Emulator().start()
    emulator.fault("delay", seconds=30)
    client = openai.OpenAI(base_url=emulator.url + "/v1", api_key="k", max_retries=0, timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    emulator.stop(timeout=5)
    assert not emulator.running


def test_explicit_port_and_busy_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Emulator(port=port) as emulator:
        assert emulator.url == f"http://127.0.0.1:{port}"
        with pytest.raises(RuntimeError, match="could not bind"):
            Emulator(port=port).start()
    with pytest.raises(ValueError, match="port must be between"):
        Emulator(port=70000)


def test_serve_yields_a_relay_bound_to_the_emulator() -> None:
    before = emulator_threads()
    with ak.emulator.serve(api_key="sk-served") as relay:
        assert isinstance(relay, ak.Relay)
        assert relay.emulator.url == relay.root
        assert relay.emulator.api_key == "sk-served"
        client = relay.client("openai")
        answer = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "via relay"}]
        )
        assert 'cannot answer "via relay"' in answer.choices[0].message.content
        relay.emulator.script("scripted through serve()")
        message = relay.client("anthropic").messages.create(
            model="claude-haiku-4-5", max_tokens=32, messages=[{"role": "user", "content": "x"}]
        )
        assert message.content[0].text == "scripted through serve()"
        response = relay.client("gemini").models.generate_content(model="gemini-2.5-flash", contents="g")
        assert 'cannot answer "g"' in response.text
        emulator = relay.emulator
    assert not emulator.running and emulator_threads() == before


def test_serve_without_a_key_hands_out_a_placeholder() -> None:
    with ak.emulator.serve() as relay:
        assert relay.emulator.api_key is None
        assert relay.secrets == (PLACEHOLDER_KEY,)


def test_importing_the_emulator_imports_no_vendor_sdk() -> None:
    code = (
        "import sys, agentkit.emulator as e; "
        "bad = [m for m in ('openai', 'anthropic', 'google.genai') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_command_line_runs_the_emulator_and_never_prints_the_key() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AGENTKIT_EMULATOR_API_KEY": "sk-cli-secret"}
    process = subprocess.Popen(
        [sys.executable, "-m", "agentkit.emulator", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert (
            first.startswith("agentkit emulator listening on http://127.0.0.1:")
            and "a key is required" in first
        )
        url = first.split()[4]
        lines = [process.stdout.readline() for _ in range(3)]
        assert lines[0].strip() == f"OpenAI:    base_url={url}/v1"
        client = openai.OpenAI(base_url=url + "/v1", api_key="sk-cli-secret", max_retries=0)
        assert client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "cli"}]
        ).choices
        with pytest.raises(openai.AuthenticationError):
            client.with_options(api_key="sk-wrong").chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "cli"}]
            )
    finally:
        process.terminate()
        out, err = process.communicate(timeout=15)
    assert "sk-cli-secret" not in first + "".join(lines) + out + err
