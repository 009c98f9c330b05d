"""`ak.mcp` lifetime: servers that cannot start, die or hang; close, Ctrl-C and interpreter exit leave no process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import agentkit as ak

from .conftest import SERVER, children, free_port, start_http, wait_gone


def test_a_dead_server_is_reconnected_and_a_closed_one_leaves_no_process(server: ak.mcp.Server) -> None:
    pid_tool, shout = server.tools(include=["pid", "shout"])
    first = pid_tool.invoke()["result"]
    os.kill(first, signal.SIGKILL)
    assert wait_gone(first)
    assert shout.invoke({"text": "back"}) == {"result": "BACK"}  # reconnected, once, unnoticed
    second = pid_tool.invoke()["result"]
    assert second != first
    server.close()
    assert wait_gone(second, 10)
    assert not server.connected


def test_a_server_that_dies_again_raises_mcp_error_with_its_stderr(server: ak.mcp.Server) -> None:
    crash = server.tools(include=["crash"])[0]
    with pytest.raises(ak.MCPError, match=r"(?s)exited.*again after one reconnection.*crashing on purpose") as caught:
        crash.invoke()
    assert "server_app.py stdio" in str(caught.value)
    assert "crashing on purpose" in caught.value.stderr


def test_an_http_session_the_server_forgot_is_started_again() -> None:
    """A handshake-era server (sessions) restarted under us, as after an idle timeout: 404, a new session."""
    port = free_port()
    process = start_http(port, "t0ken", "legacy")
    try:
        with ak.mcp.http(f"http://127.0.0.1:{port}/mcp", headers={"Authorization": "Bearer t0ken"}) as docs:
            shout = docs.tools(include=["shout"])[0]
            assert shout.invoke({"text": "before"}) == {"result": "BEFORE"}
            process.terminate()
            process.wait(10)
            process = start_http(port, "t0ken", "legacy")
            assert shout.invoke({"text": "after"}) == {"result": "AFTER"}
    finally:
        process.terminate()
        process.wait(10)


def test_a_command_that_cannot_start_is_named() -> None:
    with ak.mcp.stdio("agentkit-no-such-server-xyz", ["--flag"]) as server, pytest.raises(ak.MCPError, match=r"`agentkit-no-such-server-xyz --flag` could not start.*PATH"):
        server.tools()


def test_a_server_that_exits_at_start_is_quoted() -> None:
    code = "import sys; print('starting', file=sys.stderr); print('bad config: no key', file=sys.stderr); sys.exit(2)"
    with ak.mcp.stdio(sys.executable, ["-c", code]) as server, pytest.raises(ak.MCPError, match=r"(?s)exited.*handshake.*bad config: no key"):
        server.tools()


def test_a_server_that_never_answers_times_out_and_is_stopped() -> None:
    before = children()
    code = "import sys; print('thinking...', file=sys.stderr, flush=True); sys.stdin.buffer.read()"
    with ak.mcp.stdio(sys.executable, ["-c", code], connect_timeout=1) as server, pytest.raises(ak.MCPError, match=r"(?s)within 1 s.*connect_timeout=.*thinking\.\.\."):
        server.tools()
    deadline = time.monotonic() + 5
    while children() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not children() - before


SCRIPT = textwrap.dedent(
    """
    import sys
    import agentkit as ak

    server = ak.mcp.stdio(sys.executable, [{server!r}, "stdio"])
    pid, nap = server.tools(include=["pid", "nap"])
    print(pid.invoke()["result"], flush=True)
    nap.invoke({{"seconds": 60}})  # interrupted with Ctrl-C; the server is never closed by hand
    """
)


def test_ctrl_c_and_interpreter_exit_leave_no_orphan(tmp_path: object) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT.format(server=SERVER)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=os.getcwd(),
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert line.strip().isdigit(), process.stderr.read() if process.stderr else ""
        server_pid = int(line)
        time.sleep(0.3)  # inside the nap
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert "KeyboardInterrupt" in err
    assert wait_gone(server_pid, 10)
