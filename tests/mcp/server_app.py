"""An MCP server for the tests, written with the SDK's own server class (`MCPServer`).

    python server_app.py stdio                 # over stdin/stdout
    python server_app.py http PORT TOKEN [legacy]   # streamable HTTP on 127.0.0.1:PORT/mcp, Bearer TOKEN
                                                    # required; `legacy`: sessions, no `server/discover`

Its tools cover what agentkit must carry: text, structured results, images, errors the tool
reports, a slow call, a crash, stderr output, and the process id (to check for orphans).
"""

from __future__ import annotations

import asyncio
import os
import struct
import sys
import time
import zlib
from typing import Any

from mcp.server.mcpserver import Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("agentkit-test")


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@server.tool()
def shout(text: str) -> str:
    """Repeat a text in capital letters."""
    return text.upper()


@server.tool()
def add(a: int, b: int) -> dict[str, Any]:
    """Add two whole numbers."""
    return {"sum": a + b}


@server.tool()
def red_square(size: int = 8) -> Image:
    """Draw a red square picture."""
    return Image(data=_png(size, size, (255, 0, 0)), format="png")


@server.tool()
def refuse(reason: str) -> str:
    """Always fails, with the given reason."""
    raise ToolError(f"refused: {reason}")


@server.tool()
def pid() -> int:
    """The server's process id."""
    return os.getpid()


@server.tool()
def nap(seconds: float) -> str:
    """Sleep for some seconds."""
    time.sleep(seconds)
    return "rested"


_meeting: list[asyncio.Event] = []


@server.tool()
async def meet(parties: int) -> str:
    """Wait (up to 10 s) until `parties` calls of this tool are running at once: "met", else "alone"."""
    arrived = asyncio.Event()
    _meeting.append(arrived)
    if len(_meeting) >= parties:
        for event in _meeting:
            event.set()
    try:
        await asyncio.wait_for(arrived.wait(), 10)
        return "met"
    except TimeoutError:
        return "alone"
    finally:
        _meeting.remove(arrived)


@server.tool(name="notes.read")
def read_note(title: str) -> str:
    """Read a note (a tool name with a dot, which model APIs do not take as is)."""
    return f"note {title}: buy milk"


@server.tool()
def crash() -> str:
    """Make the server process exit at once."""
    print("crashing on purpose", file=sys.stderr, flush=True)
    os._exit(3)


def _http(port: int, token: str, legacy: bool) -> None:
    import json

    import uvicorn
    from starlette.responses import JSONResponse, PlainTextResponse

    app = server.streamable_http_app()

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        if dict(scope["headers"]).get(b"authorization") != f"Bearer {token}".encode():
            await PlainTextResponse("no entry", status_code=401)(scope, receive, send)
            return
        messages, body = [], b""
        while True:  # read the request, to look at its JSON-RPC method, then hand it on unchanged
            message = await receive()
            messages.append(message)
            body += message.get("body", b"")
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        if legacy and body and json.loads(body).get("method") == "server/discover":
            # A server of the handshake era (sessions with an `mcp-session-id`): no `server/discover`.
            error = {"jsonrpc": "2.0", "id": json.loads(body).get("id"),
                     "error": {"code": -32601, "message": "Method not found"}}
            await JSONResponse(error, status_code=200)(scope, receive, send)
            return

        async def replay() -> Any:
            return messages.pop(0) if messages else await receive()

        await app(scope, replay, send)

    uvicorn.run(guarded, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    print("test server starting", file=sys.stderr, flush=True)
    if sys.argv[1] == "stdio":
        server.run("stdio")
    else:
        _http(int(sys.argv[2]), sys.argv[3], legacy="legacy" in sys.argv[4:])
