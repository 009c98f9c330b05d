"""Fixtures for `ak.mcp`: real MCP servers (the test server over stdio and streamable HTTP), the emulator."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import agentkit as ak

SERVER = str(Path(__file__).with_name("server_app.py"))


def alive(pid: int) -> bool:
    """Whether process `pid` still exists (a zombie counts as gone: it has exited)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def children() -> set[int]:
    """The processes this test process started that still run."""
    me = str(os.getpid())
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me and fields[0] != "Z":
                found.add(int(entry))
    return found


@pytest.fixture(scope="module")
def relay() -> Iterator[Any]:
    with ak.emulator.serve(api_key="sk-mcp-test-0123456789") as relay:
        yield relay


@pytest.fixture(scope="module")
def server() -> Iterator[ak.mcp.Server]:
    """The test server over stdio, started once per module."""
    with ak.mcp.stdio(sys.executable, [SERVER, "stdio"]) as server:
        yield server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_http(port: int, token: str, *flags: str) -> subprocess.Popen[bytes]:
    """The test server over streamable HTTP in a subprocess, once it accepts connections."""
    process = subprocess.Popen([sys.executable, SERVER, "http", str(port), token, *flags], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"The HTTP test server did not start: {process.stderr.read()!r}") from None
            time.sleep(0.05)


@pytest.fixture(scope="module")
def http_server() -> Iterator[tuple[str, str]]:
    """The test server over streamable HTTP: (URL, bearer token)."""
    port, token = free_port(), secrets.token_hex(16)
    process = start_http(port, token)
    try:
        yield f"http://127.0.0.1:{port}/mcp", token
    finally:
        process.terminate()
        process.wait(10)
