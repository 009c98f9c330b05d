"""One live MCP session, opened and closed by one owner task on the MCP loop.

Why an owner task: the SDK's `Client` (and the stdio and streamable-HTTP transports under it) hold
anyio task groups and cancel scopes, which must be entered and exited by the same task. The owner
task enters them, hands the connected client out, and waits to be told to close; requests (list,
call) are made by other tasks of the same loop, concurrently.

Targets say how to reach a server (`Stdio`, `Http`) and explain failures in the user's terms: the
command or URL, the last lines of the server's stderr, the HTTP status that refused us.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import os
import tempfile
from collections.abc import Mapping
from typing import Any

from agentkit.errors import MCPError
from agentkit.mcp import loop

__all__ = ["Connection", "Http", "Stdio", "Target", "is_disconnect", "leaf"]

#: How long closing a session may take before its owner task is cancelled (the stdio transport
#: itself bounds its shutdown: stdin closed, 2 s, SIGTERM, 2 s, SIGKILL).
CLOSE_TIMEOUT = 10.0
_STDERR_LINES = 12


class Target(abc.ABC):
    """How to reach one MCP server, and how to explain its failures."""

    label: str
    """The command line or URL, for messages (never a header or key)."""

    @abc.abstractmethod
    async def transport(self, stack: contextlib.AsyncExitStack) -> Any:
        """A fresh transport for `mcp.Client` (resources it needs are entered on `stack`)."""

    def stderr(self) -> str:
        """The last lines the server wrote to stderr ("" when there is no such thing)."""
        return ""

    def lost(self) -> bool:
        """Whether the server said our session is gone (so a new one may work), whatever the error says."""
        return False

    def release(self) -> None:  # noqa: B027 - most targets leave nothing behind
        """Drop what a connection left behind (a stderr file)."""

    def error(self, what: str, exc: BaseException | None = None) -> MCPError:
        """An MCPError saying `what` happened, with the cause and the server's last stderr lines."""
        cause = _describe(exc) if exc is not None else ""
        tail = self.stderr()
        message = f"{what}{f' ({cause})' if cause else ''}."
        if tail:
            message += f" The server's last stderr lines:\n{_indent(tail)}"
        return MCPError(message, server=self.label, stderr=tail)

    def failed(self, exc: BaseException, *, starting: bool, again: bool = False) -> MCPError:
        """The MCPError for `exc`, raised while connecting (`starting`) or during a request
        (`again`: on the retry after one reconnection)."""
        if starting:
            return self.error(f"The MCP server {self.label} could not be connected", exc)
        if is_disconnect(exc):
            return self.error(f"The MCP server {self.label} closed the connection during a request{_again(again)}")
        return self.error(f"The MCP server {self.label} failed{_again(again)}", exc)


class Stdio(Target):
    """A server run as a subprocess, speaking JSON-RPC over its stdin and stdout.

    Its stderr goes to a temporary file we own (opened for appending, read through a second
    handle): a real file descriptor, which the subprocess needs and Jupyter's `sys.stderr` lacks
    (python-sdk #1103), and a record of the server's last words for error messages.
    """

    def __init__(self, command: str, args: list[str], env: Mapping[str, str] | None, cwd: str | None) -> None:
        self.command, self.args = command, args
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.label = f"`{' '.join([command, *args])}`"
        self._log: str | None = None

    async def transport(self, stack: contextlib.AsyncExitStack) -> Any:
        from mcp.client.stdio import StdioServerParameters, stdio_client

        self.release()
        fd, self._log = tempfile.mkstemp(prefix="agentkit-mcp-", suffix=".stderr")
        errlog = stack.enter_context(os.fdopen(fd, "a", encoding="utf-8", errors="replace"))
        params = StdioServerParameters(command=self.command, args=self.args, env=self.env, cwd=self.cwd)
        return stdio_client(params, errlog=errlog)

    def stderr(self) -> str:
        if self._log is None:
            return ""
        try:
            with open(self._log, "rb") as log:
                log.seek(max(0, os.path.getsize(self._log) - 8192))
                text = log.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(line.rstrip() for line in text.strip().splitlines()[-_STDERR_LINES:])

    def release(self) -> None:
        if self._log is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._log)
            self._log = None

    def failed(self, exc: BaseException, *, starting: bool, again: bool = False) -> MCPError:
        if isinstance(exc, OSError) and starting:
            return self.error(
                f"The MCP server command {self.label} could not start: {exc.strerror or exc}"
                f"{f' ({exc.filename!r})' if exc.filename else ''}; check that `{self.command}` is installed "
                "and on the PATH (or give its full path)"
            )
        if is_disconnect(exc):
            when = "before it finished the MCP handshake" if starting else f"during a request{_again(again)}"
            return self.error(f"The MCP server {self.label} exited or closed its output {when}")
        return super().failed(exc, starting=starting, again=again)


class Http(Target):
    """A server reached over streamable HTTP, with the caller's headers on every request."""

    def __init__(self, url: str, headers: Mapping[str, str] | None) -> None:
        self.url = url
        self.headers = dict(headers or {})
        self.label = f"at {url}"
        self.refused: int | None = None
        self.expired = False

    async def transport(self, stack: contextlib.AsyncExitStack) -> Any:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        self.refused, self.expired = None, False

        async def seen(response: Any) -> None:
            if response.status_code in (401, 403):
                self.refused = response.status_code
            # The spec's sign of a session the server no longer knows (it restarted, or expired an idle
            # session, as in a long notebook session): 404 to a request carrying its id. Start a new one.
            if response.status_code == 404 and "mcp-session-id" in response.request.headers:
                self.expired = True

        # The SDK's defaults: 30 s to connect or write, 300 s to read (a response may stream for long).
        client = httpx2.AsyncClient(
            headers=self.headers, timeout=httpx2.Timeout(30.0, read=300.0), event_hooks={"response": [seen]}
        )
        await stack.enter_async_context(client)
        return streamable_http_client(self.url, http_client=client)

    def lost(self) -> bool:
        return self.expired

    def failed(self, exc: BaseException, *, starting: bool, again: bool = False) -> MCPError:
        if self.refused is not None:
            kind = "Unauthorized" if self.refused == 401 else "Forbidden"
            error = MCPError(
                f"The MCP server at {self.url} refused the request with HTTP {self.refused} {kind}: check the "
                "credentials given in `headers=` (e.g. `headers={\"Authorization\": \"Bearer ...\"}`).",
                server=self.label,
                status=self.refused,
            )
            return error
        if _is_connect_error(exc):
            return self.error(
                f"The MCP server at {self.url} could not be reached; check the URL and that the server runs", exc
            )
        return super().failed(exc, starting=starting, again=again)


class Connection:
    """One session: `open()` starts the owner task and waits for the handshake; `close()` ends it."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.client: Any = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    async def open(self, timeout: float) -> None:
        ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        loop.register(self)
        self._task = asyncio.create_task(self._own(ready), name=f"agentkit-mcp {self.target.label}")
        try:
            self.client = await asyncio.wait_for(asyncio.shield(ready), timeout)
        except TimeoutError:
            await self.close()
            raise self.target.error(
                f"The MCP server {self.target.label} did not finish the MCP handshake within {timeout:g} s "
                "(raise `connect_timeout=` if it is slow to start)"
            ) from None
        except asyncio.CancelledError:
            await self.close()
            raise
        except Exception as exc:
            error = self.target.failed(leaf(exc), starting=True)
            await self.close()
            raise error from leaf(exc)

    async def _own(self, ready: asyncio.Future[Any]) -> None:
        import mcp
        from mcp.types import Implementation

        try:
            async with contextlib.AsyncExitStack() as stack:
                transport = await self.target.transport(stack)
                client = mcp.Client(transport, client_info=Implementation(name="agentkit", version=_version()))
                await stack.enter_async_context(client)
                ready.set_result(client)
                await self._stop.wait()
        except asyncio.CancelledError:
            if not ready.done():
                ready.cancel()
            raise
        except BaseException as exc:  # handed to `open`, or the session ended under a request
            if not ready.done():
                ready.set_exception(exc)

    async def close(self) -> None:
        """End the session (the subprocess exits, the HTTP session is deleted); never raises."""
        loop.unregister(self)
        task, self._task = self._task, None
        self._stop.set()
        if task is not None and self.client is None:  # still in the handshake: nothing waits for `_stop`
            task.cancel()
        if task is not None and not task.done():
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(task), CLOSE_TIMEOUT)
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        self.client = None


def leaf(exc: BaseException) -> BaseException:
    """The first real error inside (nested) exception groups, which anyio task groups raise."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def is_disconnect(exc: BaseException) -> bool:
    """Whether `exc` says the connection is gone (the server died), so reconnecting may help."""
    import anyio
    import mcp
    from mcp.types import CONNECTION_CLOSED

    exc = leaf(exc)
    if isinstance(exc, mcp.MCPError):
        return exc.code == CONNECTION_CLOSED
    return isinstance(exc, (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream,
                            BrokenPipeError, ConnectionResetError))


def _is_connect_error(exc: BaseException) -> bool:
    import httpx2

    return isinstance(leaf(exc), (httpx2.ConnectError, httpx2.ConnectTimeout))


def _again(again: bool) -> str:
    return ", again after one reconnection" if again else ""


def _describe(exc: BaseException) -> str:
    exc = leaf(exc)
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


def _version() -> str:
    from agentkit import __version__

    return __version__
