"""`ak.mcp.stdio(...)` / `ak.mcp.http(...)`: an MCP server whose tools are ordinary `ak.Tool`s.

A :class:`Server` connects on first use (listing its tools, or `ak.Agent(tools=[server])`) and
stays connected: its session lives on agentkit's MCP loop (`agentkit/mcp/loop.py`), so the same
server serves sync calls from a script, sync calls inside a running notebook loop, and async
calls, one run after another. A server found dead is reconnected once; if that fails too (or it
dies again in the same request), :class:`ak.MCPError` says so, quoting its last stderr lines.

Each tool is `ak.Tool.from_schema(prefix + name, description, inputSchema, call)`: the same
canonical schema path as function tools (per-dialect forms, strict mode where the schema allows,
argument validation), with the server's `approval=` and `timeout=` applied to every tool. What a
call returns is converted by `agentkit/mcp/results.py`.
"""

from __future__ import annotations

import asyncio
import copy
import importlib.metadata
import importlib.util
import os
import re
import shlex
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from agentkit._api import checked_class, refuse_unknown
from agentkit.errors import ConfigurationError, MCPError, remember_secrets
from agentkit.mcp import loop
from agentkit.mcp.connection import Connection, Http, Stdio, Target, is_disconnect, leaf
from agentkit.mcp.results import MCPToolError, tool_value
from agentkit.tools import Tool, ToolSet

__all__ = ["Server", "http", "stdio"]

_NAME_BAD = re.compile(r"[^A-Za-z0-9_-]")


@checked_class("ak.mcp.Server", "server")
class Server(ToolSet):
    """An MCP server's tools for agents: `ak.Agent(tools=[server])`, `server.tools(include=[...])`.

    Made by :func:`stdio` or :func:`http`. Close it with `close()` / `await aclose()`, `with server:`
    or `async with server:`; otherwise it is closed at interpreter exit. A closed server reconnects
    if it is used again.
    """

    def __init__(
        self,
        target: Target,
        *,
        prefix: str = "",
        approval: bool = False,
        timeout: float | None = None,
        connect_timeout: float = 60.0,
    ) -> None:
        _require_sdk()
        if not isinstance(prefix, str) or _NAME_BAD.search(prefix):
            raise ConfigurationError(
                f"An MCP server's `prefix` must be letters, digits, `_` or `-` (it starts every tool name); "
                f"got {prefix!r}."
            )
        for key, value in (("timeout", timeout), ("connect_timeout", connect_timeout)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                raise ConfigurationError(f"An MCP server's `{key}` must be a positive number of seconds; got {value!r}.")
        self._target = target
        self.prefix = prefix
        self.approval = bool(approval)
        self.timeout = float(timeout) if timeout is not None else None
        self.connect_timeout = float(connect_timeout)
        self.name: str = _default_name(target)
        """The server's own name once connected (`serverInfo.name`); shown beside its tools in the live view."""
        self._connection: Connection | None = None
        self._lock: asyncio.Lock | None = None
        self._listing: dict[str, Any] | None = None  # MCP name -> the server's tool description
        self._built: dict[str, Tool] = {}

    # ------------------------------------------------------------------------------------ tools

    def tools(self, include: Iterable[str] | None = None) -> list[Tool]:
        """The server's tools as `ak.Tool`s, in its order (connecting first if needed).

        `include` picks tools by name (the server's names, or with the prefix); an unknown name
        raises ConfigurationError listing the tools there are. Works in a running notebook loop.
        """
        wanted = _names(include)
        return loop.call(lambda: self._tools(wanted))

    async def atools(self, include: Iterable[str] | None = None) -> list[Tool]:
        """:meth:`tools`, awaited."""
        wanted = _names(include)
        return await loop.acall(lambda: self._tools(wanted))

    async def _tools(self, include: list[str] | None) -> list[Tool]:
        listing = await self._list()
        names = list(listing)
        if include is not None:
            by_name = {self._model_name(n): n for n in names} | {n: n for n in names}
            unknown = [n for n in include if n not in by_name]
            if unknown:
                raise ConfigurationError(
                    f"The MCP server {self._target.label} has no tool named {', '.join(map(repr, unknown))}; "
                    f"its tools are {', '.join(f'`{n}`' for n in names) or 'none'}."
                )
            names = list(dict.fromkeys(by_name[n] for n in include))
        return [copy.copy(self._tool(listing[n])) for n in names]

    async def _list(self) -> dict[str, Any]:
        if self._listing is None:
            async def fetch(client: Any) -> dict[str, Any]:
                found: dict[str, Any] = {}
                cursor = None
                while True:
                    page = await client.list_tools(cursor=cursor)
                    found.update((t.name, t) for t in page.tools)
                    cursor = page.next_cursor
                    if not cursor:
                        return found

            listing = await self._request(fetch, "`tools/list`", timeout=self.connect_timeout)
            if self._listing is None:
                self._listing, self._built = listing, {}
        return self._listing

    def _tool(self, spec: Any) -> Tool:
        built = self._built.get(spec.name)
        if built is not None:
            return built
        mcp_name = spec.name
        description = spec.description or spec.title or f"The `{mcp_name}` tool of the MCP server {self.name}."

        async def call(**arguments: Any) -> Any:
            return await loop.acall(lambda: self._call(mcp_name, arguments))

        try:
            built = Tool.from_schema(
                self._model_name(mcp_name), description, dict(spec.input_schema or {"type": "object"}), call,
                approval=self.approval, timeout=self.timeout,
            )
        except ConfigurationError as exc:
            raise ConfigurationError(
                f"The tool `{mcp_name}` of the MCP server {self._target.label} cannot be used: {exc} "
                "Leave it out with `server.tools(include=[...])`."
            ) from None
        built.source = self.name
        self._built[mcp_name] = built
        return built

    def _model_name(self, mcp_name: str) -> str:
        """The name the model calls a tool by: prefix + the server's name, in the characters every dialect takes."""
        name = _NAME_BAD.sub("_", self.prefix + mcp_name)
        if not (name[:1].isalpha() or name[:1] == "_"):
            name = f"_{name}"
        return name[:64]

    async def _call(self, name: str, arguments: dict[str, Any]) -> Any:
        result = await self._request(lambda client: client.call_tool(name, arguments), f"`tools/call` of `{name}`")
        return tool_value(result, tool=name, server=self.name)

    # ------------------------------------------------------------------------------- connection

    async def _request(self, op: Any, what: str, *, timeout: float | None = None) -> Any:
        """Run `op(client)` on a live session: connect if needed; reconnect once if the server died."""
        for attempt in (1, 2):
            connection = await self._connected()
            try:
                if timeout is None:
                    return await op(connection.client)
                return await asyncio.wait_for(op(connection.client), timeout)
            except MCPToolError:
                raise
            except TimeoutError:
                raise self._target.error(
                    f"The MCP server {self._target.label} did not answer {what} within {timeout:g} s"
                ) from None
            except Exception as exc:
                dead = is_disconnect(exc) or not connection.alive or self._target.lost()
                if dead and attempt == 1:
                    await self._drop(connection)
                    continue
                error = self._explain(leaf(exc), what, dead=dead, retried=attempt == 2)
                if dead:
                    await self._drop(connection)
                raise error from leaf(exc)
        raise AssertionError("unreachable")  # pragma: no cover

    def _explain(self, exc: BaseException, what: str, *, dead: bool, retried: bool) -> MCPError:
        import mcp

        if dead or not isinstance(exc, mcp.MCPError):
            return self._target.failed(exc, starting=False, again=retried and dead)
        return MCPError(
            f"The MCP server {self._target.label} answered {what} with an error: {exc.error.message} "
            f"(JSON-RPC code {exc.code}).",
            server=self._target.label,
        )

    async def _connected(self) -> Connection:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            connection = self._connection
            if connection is not None and connection.alive:
                return connection
            if connection is not None:
                await self._drop(connection)
            connection = Connection(self._target)
            await connection.open(self.connect_timeout)
            self._connection, self._listing = connection, None
            info = getattr(connection.client, "server_info", None)
            if info is not None and getattr(info, "name", None):
                self.name = str(info.name)
            return connection

    async def _drop(self, connection: Connection) -> None:
        if self._connection is connection:
            self._connection, self._listing = None, None
        await connection.close()

    @property
    def connected(self) -> bool:
        """Whether a session is open now."""
        return self._connection is not None and self._connection.alive

    # -------------------------------------------------------------------------------- lifetime

    def close(self) -> None:
        """End the session (a stdio server's process exits). Safe to call twice; a later use reconnects."""
        if self._connection is not None:
            loop.call(self.aclose)
        else:
            self._target.release()

    async def aclose(self) -> None:
        """:meth:`close`, awaited."""
        connection, self._connection, self._listing = self._connection, None, None
        if connection is not None:
            await loop.acall(connection.close)
        self._target.release()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    async def __aenter__(self) -> Server:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        kind = "stdio" if isinstance(self._target, Stdio) else "http"
        state = "connected" if self.connected else "not connected"
        count = f", {len(self._listing)} tools" if self._listing is not None else ""
        return f"<ak.mcp.{kind} {self._target.label} ({state}{count})>"


@refuse_unknown("`ak.mcp.stdio(...)`")
def stdio(
    command: str,
    args: Iterable[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    prefix: str = "",
    approval: bool = False,
    timeout: float | None = None,
    connect_timeout: float = 60.0,
) -> Server:
    """An MCP server run as a subprocess, e.g. `ak.mcp.stdio(sys.executable, ["-m", "mcp_server_time"])`.

    Args:
        command: The program (`python`, `npx`, `uvx`, a path). A whole command line without `args`
            (`"uvx mcp-server-time"`) is split like a shell would.
        args: Its arguments.
        env: Extra environment variables, added to the few the SDK passes on (PATH, HOME, ...).
        cwd: The working directory.
        prefix: Put before every tool name (keeps two servers' tools apart).
        approval: Ask the agent's approval hook before each call of any of its tools.
        timeout: Seconds a tool call may take before it becomes an error result for the model.
        connect_timeout: Seconds to start the server and finish the MCP handshake (and list tools).
    """
    if not isinstance(command, str) or not command.strip():
        raise ConfigurationError(f"`ak.mcp.stdio` needs the command to run, as a string; got {command!r}.")
    if args is None:
        parts = [command] if Path(command).exists() else shlex.split(command)
        command, arg_list = parts[0], parts[1:]
    else:
        arg_list = [] if isinstance(args, str) else list(args)
    if isinstance(args, str) or not all(isinstance(a, str) for a in arg_list):
        raise ConfigurationError(
            f"The `args` of `ak.mcp.stdio` must be a list of strings, e.g. [\"-m\", \"mcp_server_time\"]; got {args!r}."
        )
    if env is not None and not (
        isinstance(env, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
    ):
        shown = sorted(env) if isinstance(env, Mapping) else type(env).__name__
        raise ConfigurationError(
            f"The `env` of `ak.mcp.stdio` must map names to string values; got {shown!r} (values not shown)."
        )
    if env is not None:
        remember_secrets(env)  # a server that echoes its API key from `env` has it redacted in errors
    target = Stdio(command, arg_list, env, os.fspath(cwd) if cwd is not None else None)
    return Server(target, prefix=prefix, approval=approval, timeout=timeout, connect_timeout=connect_timeout)


@refuse_unknown("`ak.mcp.http(...)`")
def http(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    prefix: str = "",
    approval: bool = False,
    timeout: float | None = None,
    connect_timeout: float = 60.0,
) -> Server:
    """An MCP server over streamable HTTP, e.g. `ak.mcp.http(url, headers={"Authorization": "Bearer ..."})`.

    `headers` go with every request and appear in no repr, error or log. The other options are
    those of :func:`stdio`.
    """
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"`ak.mcp.http` needs the server's http(s) URL, e.g. 'http://127.0.0.1:8000/mcp'; got {url!r}.")
    if headers is not None and not (
        isinstance(headers, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    ):
        shown = sorted(headers) if isinstance(headers, Mapping) else type(headers).__name__
        raise ConfigurationError(
            f"The `headers` of `ak.mcp.http` must map header names to string values; got {shown!r} (values not shown)."
        )
    if headers is not None:
        remember_secrets(headers)
    return Server(Http(url, headers), prefix=prefix, approval=approval, timeout=timeout, connect_timeout=connect_timeout)


def _names(include: Iterable[str] | None) -> list[str] | None:
    if include is None:
        return None
    names = [include] if isinstance(include, str) else list(include)
    if not all(isinstance(n, str) for n in names):
        raise ConfigurationError(f"`include=` takes tool names (strings); got {include!r}.")
    return names


def _default_name(target: Target) -> str:
    if isinstance(target, Stdio):
        return " ".join([Path(target.command).name, *target.args][:3])
    return target.label.removeprefix("at ")


def _require_sdk() -> None:
    """The clear error for a machine without the `mcp` extra (or with a 1.x SDK)."""
    if importlib.util.find_spec("mcp") is None:
        raise ConfigurationError(
            "`ak.mcp` needs the official MCP SDK, which is not installed: run `pip install 'agentkit[mcp]'` "
            "(or `pip install 'mcp>=2.3'`)."
        )
    version = importlib.metadata.version("mcp")
    if int(version.split(".")[0]) < 2:
        raise ConfigurationError(
            f"`ak.mcp` needs the MCP SDK 2.3 or newer; version {version} is installed: run "
            "`pip install -U 'agentkit[mcp]'`."
        )
