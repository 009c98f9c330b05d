"""Real relay software in front of the agentkit emulator: the LiteLLM proxy, started by the tests.

Why a venv of its own: `litellm[proxy]` brings ~120 packages (750 MB), some pinned against ours
(starlette, fastapi, uvicorn, pydantic, openai); it must not shape agentkit's own environment, nor be a
`[dev]` dependency. The first test session creates it once under `.cache/` (gitignored) with the
pinned version below and reuses it after; sessions that find it ready start at once.

Why 1.108.7: the newest release whose `proxy` extra the package index can install (1.109 wants a
`litellm-proxy-extras` the index lacks, 1.110 a `litellm-proxy` package it lacks).

When the gateway cannot be had (no package index, an install or start failure), `GatewayUnavailable`
says why, and the tests xfail with that reason: never a silent skip.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LITELLM_VERSION = "1.108.7"
REQUIREMENT = f"litellm[proxy]=={LITELLM_VERSION}"
REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache"
VENV = CACHE / f"gateway-litellm-{LITELLM_VERSION}"
CONFIG = Path(__file__).with_name("litellm.yaml")
#: The gateway's master key: the only key a user of this gateway has (what they paste into `ak.Relay`).
MASTER_KEY = "sk-gateway-master-4f1c9a7e2b5d"
#: The key the gateway itself uses towards the emulator; the emulator refuses any other.
UPSTREAM_KEY = "sk-emulator-upstream-7d2e1b9c"
#: How long an install may take (a fresh machine downloads ~200 MB of wheels).
INSTALL_TIMEOUT = 900.0
#: A failed install is not tried again by every test session for this long.
RETRY_FAILED_AFTER = 3600.0


class GatewayUnavailable(Exception):
    """The gateway could not be installed or started; the message says why."""


def _tail(text: str, lines: int = 15) -> str:
    """The last lines of a log, pip's errors first (its index warnings are noise here)."""
    kept = text.strip().splitlines()
    errors = [line for line in kept if line.startswith("ERROR")]
    return "\n".join((errors or kept)[-lines:])


def ensure_litellm() -> Path:
    """The `litellm` executable of the gateway venv, installing it once (under a lock, so that test
    workers running at once install it once). Raises `GatewayUnavailable` when it cannot be had."""
    CACHE.mkdir(exist_ok=True)
    exe = VENV / "bin" / "litellm"
    ready = VENV / ".ready"
    failed = CACHE / f"{VENV.name}.failed"
    with open(CACHE / f"{VENV.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists() and exe.exists():
            return exe
        if failed.exists() and time.time() - failed.stat().st_mtime < RETRY_FAILED_AFTER:
            raise GatewayUnavailable(failed.read_text())
        shutil.rmtree(VENV, ignore_errors=True)
        started = time.monotonic()
        try:
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True, timeout=120)
            out = subprocess.run(
                [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", REQUIREMENT],
                capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            reason = f"The gateway venv could not be created ({type(exc).__name__}: {exc})."
            failed.write_text(reason)
            raise GatewayUnavailable(reason) from None
        if out.returncode != 0 or not exe.exists():
            reason = (f"`pip install {REQUIREMENT}` failed (exit {out.returncode}), so the LiteLLM gateway tests "
                      f"cannot run here: {_tail(out.stderr or out.stdout, 6)}")
            failed.write_text(reason)
            raise GatewayUnavailable(reason)
        failed.unlink(missing_ok=True)
        ready.write_text(f"{REQUIREMENT} installed in {time.monotonic() - started:.0f} s\n")
        return exe


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Gateway:
    """A running gateway: its root URL (what a user pastes), its master key, its log file."""

    name: str
    url: str
    key: str
    log: Path


@contextlib.contextmanager
def litellm_proxy(emulator_url: str, log: Path, *, start_timeout: float = 120.0) -> Iterator[Gateway]:
    """Run the LiteLLM proxy on a free loopback port in front of the emulator at `emulator_url`."""
    exe = ensure_litellm()
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AGENTKIT_", "OPENAI_", "ANTHROPIC_", "GEMINI_", "GOOGLE_", "LITELLM_"))}
    env.update({
        "AK_EMULATOR_OPENAI_BASE": f"{emulator_url}/v1",
        "AK_EMULATOR_ANTHROPIC_BASE": f"{emulator_url}/anthropic",
        "AK_EMULATOR_GEMINI_BASE": f"{emulator_url}/v1beta",
        "AK_EMULATOR_KEY": UPSTREAM_KEY,
        "AK_GATEWAY_MASTER_KEY": MASTER_KEY,
        # Offline: the model price map ships with the package (no fetch from the internet).
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_LOG": "ERROR",
        "DISABLE_ADMIN_UI": "True",
        "NO_PROXY": "127.0.0.1,localhost",
    })
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(exe), "--config", str(CONFIG), "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=str(log.parent),
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if process.poll() is not None:
                raise GatewayUnavailable(
                    f"The LiteLLM proxy exited with {process.returncode} while starting: {_tail(log.read_text())}")
            try:
                with urllib.request.urlopen(f"{url}/health/liveliness", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise GatewayUnavailable(
                    f"The LiteLLM proxy did not answer within {start_timeout:g} s: {_tail(log.read_text())}")
            time.sleep(0.25)
        yield Gateway(f"LiteLLM {LITELLM_VERSION}", url, MASTER_KEY, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
