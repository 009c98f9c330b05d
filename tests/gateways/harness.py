"""Real relay software in front of the agentkit emulator, started by the tests: the LiteLLM proxy (a
Python package) and the Portkey AI gateway (an npm package).

Each gateway is installed once under `.cache/` (gitignored) at a pinned version, by the first test
session that needs it (under a lock, so that test workers running at once install it once), and reused
after. When a gateway cannot be had (no package index, no Node.js, an install or start failure),
`GatewayUnavailable` says why, and the tests xfail with that reason: never a silent skip.

Why each gateway gets its own environment: `litellm[proxy]` brings ~120 packages (750 MB), some pinned
against ours (starlette, fastapi, uvicorn, pydantic, openai), so it gets a venv of its own rather than a
`[dev]` dependency; the Portkey gateway is a Node.js program, installed with `npm ci` from the lock file
beside this module (`portkey/package-lock.json`).
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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache"
#: The key the gateways use towards the emulator; the emulator refuses any other.
UPSTREAM_KEY = "sk-emulator-upstream-7d2e1b9c"
#: How long an install may take (a fresh machine downloads ~200 MB of wheels for LiteLLM).
INSTALL_TIMEOUT = 900.0
#: A failed install is not tried again by every test session for this long.
RETRY_FAILED_AFTER = 3600.0
#: Variables of the test process that must not reach a gateway (keys and settings of the SDKs it embeds).
_PRIVATE_PREFIXES = ("AGENTKIT_", "OPENAI_", "ANTHROPIC_", "GEMINI_", "GOOGLE_", "LITELLM_", "PORTKEY_")

# LiteLLM: 1.108.7 is the newest release whose `proxy` extra the package index can install (1.109 wants a
# `litellm-proxy-extras` the index lacks, 1.110 a `litellm-proxy` package it lacks).
LITELLM_VERSION = "1.108.7"
LITELLM_REQUIREMENT = f"litellm[proxy]=={LITELLM_VERSION}"
LITELLM_CONFIG = Path(__file__).with_name("litellm.yaml")
#: The LiteLLM proxy's master key: the only key a user of this gateway has (what they paste into `ak.Relay`).
LITELLM_MASTER_KEY = "sk-gateway-master-4f1c9a7e2b5d"

# Portkey: the newest version npm serves. Its package.json asks for `@hono/node-server` ^1.3.3 and `hono`
# ^4.9.7; `overrides` in portkey/package.json pin the versions its own repository's lock file holds (1.13.5
# and 4.9.7), because with `@hono/node-server` 1.19 every streamed answer fails with 500 "Something went
# wrong" (the gateway appends headers to a response whose headers that version makes immutable).
PORTKEY_VERSION = "1.15.2"
PORTKEY_PACKAGE = Path(__file__).with_name("portkey")


class GatewayUnavailable(Exception):
    """The gateway could not be installed or started; the message says why."""


def _tail(text: str, lines: int = 15) -> str:
    """The last lines of a log, the installer's errors first (its warnings are noise here)."""
    kept = text.strip().splitlines()
    errors = [line for line in kept if line.startswith(("ERROR", "npm error", "npm ERR"))]
    return "\n".join((errors or kept)[-lines:])


def install_once(name: str, ready_file: Path, steps: Sequence[tuple[str, Callable[[], None]]]) -> None:
    """Run the install `steps` of gateway `name` once per machine, unless `ready_file` says it is done.

    Each step is (what it does, a callable raising `GatewayUnavailable` or a subprocess/OS error).
    A failure is remembered for `RETRY_FAILED_AFTER` seconds, so that a machine without the package
    index does not try again in every test session, and every test says the same reason.
    """
    CACHE.mkdir(exist_ok=True)
    failed = CACHE / f"{name}.failed"
    with open(CACHE / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready_file.exists():
            return
        if failed.exists() and time.time() - failed.stat().st_mtime < RETRY_FAILED_AFTER:
            raise GatewayUnavailable(failed.read_text())
        shutil.rmtree(CACHE / name, ignore_errors=True)
        started = time.monotonic()
        for what, step in steps:
            try:
                step()
            except GatewayUnavailable as exc:
                failed.write_text(str(exc))
                raise
            except (subprocess.SubprocessError, OSError) as exc:
                reason = f"{what} failed ({type(exc).__name__}: {exc}), so the {name} tests cannot run here."
                failed.write_text(reason)
                raise GatewayUnavailable(reason) from None
        failed.unlink(missing_ok=True)
        ready_file.write_text(f"{name} installed in {time.monotonic() - started:.0f} s\n")


def _run_step(command: Sequence[str], what: str, *, cwd: Path | None = None) -> None:
    """Run one install command; a non-zero exit is a `GatewayUnavailable` quoting the command's errors."""
    out = subprocess.run(list(command), capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                         cwd=str(cwd) if cwd else None)
    if out.returncode != 0:
        raise GatewayUnavailable(f"`{what}` failed (exit {out.returncode}), so these gateway tests cannot run "
                                 f"here: {_tail(out.stderr or out.stdout, 6)}")


def ensure_litellm() -> Path:
    """The `litellm` executable of the gateway venv, installing it once."""
    venv = CACHE / f"gateway-litellm-{LITELLM_VERSION}"
    exe = venv / "bin" / "litellm"
    install_once(venv.name, venv / ".ready", [
        ("Creating the gateway venv", lambda: _run_step([sys.executable, "-m", "venv", str(venv)], "python -m venv")),
        ("pip install", lambda: _run_step(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
             LITELLM_REQUIREMENT], f"pip install {LITELLM_REQUIREMENT}")),
    ])
    if not exe.exists():
        raise GatewayUnavailable(f"{venv} is marked ready but has no `bin/litellm`: delete it to install again.")
    return exe


def ensure_portkey() -> list[str]:
    """The command that starts the Portkey gateway (its port argument appended), installing it once.

    Node.js and npm come from the machine (a fresh CI machine of this project's kind has both); when
    either is missing, the tests xfail saying so.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise GatewayUnavailable("The Portkey gateway is a Node.js program and this machine has no "
                                 f"{'`node`' if node is None else '`npm`'} on PATH: install Node.js 18 or newer.")
    home = CACHE / f"gateway-portkey-{PORTKEY_VERSION}"
    server = home / "node_modules" / "@portkey-ai" / "gateway" / "build" / "start-server.js"

    def copy_manifest() -> None:
        home.mkdir(parents=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(PORTKEY_PACKAGE / name, home / name)

    # --ignore-scripts: the only install script (the gateway's `patch-package`) has no patches to apply
    # in the published package.
    install_once(home.name, home / ".ready", [
        ("Copying the gateway's package.json and lock file", copy_manifest),
        ("npm ci", lambda: _run_step([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                                     "npm ci", cwd=home)),
    ])
    if not server.exists():
        raise GatewayUnavailable(f"{home} is marked ready but has no gateway: delete it to install again.")
    return [node, str(server), "--headless"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Gateway:
    """A running gateway: its root URL (what a user pastes), the key a user passes, its log file."""

    name: str
    url: str
    key: str
    log: Path


@contextlib.contextmanager
def run_gateway(name: str, command: Sequence[str], port: int, env: dict[str, str], log: Path, health_path: str,
                *, key: str, start_timeout: float = 120.0) -> Iterator[Gateway]:
    """Run `command` (serving on loopback `port`), wait until `health_path` answers 200, stop it after."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_PRIVATE_PREFIXES)}
    clean.update({"NO_PROXY": "127.0.0.1,localhost", **env})
    with open(log, "w") as out:
        process = subprocess.Popen(list(command), stdout=out, stderr=subprocess.STDOUT, env=clean,
                                   cwd=str(log.parent))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if process.poll() is not None:
                raise GatewayUnavailable(f"{name} exited with {process.returncode} while starting: "
                                         f"{_tail(log.read_text())}")
            try:
                with urllib.request.urlopen(f"{url}{health_path}", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise GatewayUnavailable(f"{name} did not answer within {start_timeout:g} s: {_tail(log.read_text())}")
            time.sleep(0.1)
        yield Gateway(name, url, key, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def litellm_proxy(emulator_url: str, log: Path) -> contextlib.AbstractContextManager[Gateway]:
    """The LiteLLM proxy on a free loopback port in front of the emulator at `emulator_url`."""
    exe = ensure_litellm()
    port = _free_port()
    env = {
        "AK_EMULATOR_OPENAI_BASE": f"{emulator_url}/v1",
        "AK_EMULATOR_ANTHROPIC_BASE": f"{emulator_url}/anthropic",
        "AK_EMULATOR_GEMINI_BASE": f"{emulator_url}/v1beta",
        "AK_EMULATOR_KEY": UPSTREAM_KEY,
        "AK_GATEWAY_MASTER_KEY": LITELLM_MASTER_KEY,
        # Offline: the model price map ships with the package (no fetch from the internet).
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_LOG": "ERROR",
        "DISABLE_ADMIN_UI": "True",
    }
    command = [str(exe), "--config", str(LITELLM_CONFIG), "--host", "127.0.0.1", "--num_workers", "1",
               "--port", str(port)]
    return run_gateway(f"LiteLLM {LITELLM_VERSION}", command, port, env, log, "/health/liveliness",
                       key=LITELLM_MASTER_KEY)


def portkey_gateway(log: Path) -> contextlib.AbstractContextManager[Gateway]:
    """The Portkey gateway on a free loopback port. It holds no configuration of its own: a user routes
    each request with headers (`portkey_config` builds the one the tests paste); the key a user passes is
    the vendor's key (here the emulator's), which the gateway forwards."""
    port = _free_port()
    command = [*ensure_portkey(), f"--port={port}"]
    # The gateway refuses a private or loopback `custom_host` unless its host is trusted (loopback is, by
    # default; said here so that the tests do not hang on that default).
    env = {"TRUSTED_CUSTOM_HOSTS": "127.0.0.1,localhost"}
    return run_gateway(f"Portkey {PORTKEY_VERSION}", command, port, env, log, "/", key=UPSTREAM_KEY)


def portkey_config(emulator_url: str, key: str) -> dict[str, object]:
    """The routing a Portkey user pastes as the `x-portkey-config` header: Claude models to Anthropic,
    Gemini models to Google, every other model to OpenAI, each vendor here being the emulator's door
    (`custom_host`) and `key` the vendor key (the gateway wants one per target)."""
    def target(name: str, provider: str, host: str) -> dict[str, str]:
        return {"name": name, "provider": provider, "custom_host": host, "api_key": key}

    return {
        "strategy": {"mode": "conditional", "default": "openai", "conditions": [
            {"query": {"params.model": {"$regex": "^claude"}}, "then": "anthropic"},
            {"query": {"params.model": {"$regex": "^gemini"}}, "then": "google"}]},
        "targets": [target("openai", "openai", f"{emulator_url}/v1"),
                    target("anthropic", "anthropic", f"{emulator_url}/anthropic/v1"),
                    target("google", "google", emulator_url)],
    }
