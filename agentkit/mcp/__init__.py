"""Tools from Model Context Protocol servers, on the official `mcp` SDK (the `agentkit[mcp]` extra).

    clock = ak.mcp.stdio(sys.executable, ["-m", "mcp_server_time"])     # a server run as a subprocess
    docs = ak.mcp.http("http://127.0.0.1:8000/mcp", headers={"Authorization": "Bearer ..."})
    agent = ak.Agent("gpt-4o", tools=[clock, docs])                    # all of their tools

- `server`: :class:`Server`, the public object (tools, options, lifetime, sync and async).
- `connection`: one live MCP session, held open by one task on the MCP loop (`loop`).
- `results`: an MCP tool result as the value and content a model sees.

Importing this package imports no part of the `mcp` SDK: that happens on the first connection.
"""

from __future__ import annotations

from agentkit.mcp.server import Server, http, stdio

__all__ = ["Server", "http", "stdio"]
