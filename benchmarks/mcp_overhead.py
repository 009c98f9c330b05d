"""What `ak.mcp` adds to an MCP tool call, over the SDK's own client on the same server.

Run: python benchmarks/mcp_overhead.py [--calls 200]

The server is the tests' `MCPServer` over stdio (tests/mcp/server_app.py), its `shout` tool.
Rows: the SDK's `mcp.Client.call_tool` awaited in one loop (the floor); `tool.invoke` (sync, a
script); `await tool.ainvoke` from another loop (as agents call tools: the call crosses to the MCP
loop's thread and back); and connecting (spawn, handshake, tools/list) once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import _common
from _common import machine, median, ms, table

import agentkit as ak

SERVER = str(_common.ROOT / "tests" / "mcp" / "server_app.py")


async def sdk_floor(calls: int) -> list[float]:
    import mcp
    from mcp.client.stdio import StdioServerParameters, stdio_client

    with open("/dev/null", "w") as errlog:
        transport = stdio_client(StdioServerParameters(command=sys.executable, args=[SERVER, "stdio"]), errlog=errlog)
        async with mcp.Client(transport) as client:
            times = []
            for _ in range(calls):
                t0 = time.perf_counter()
                await client.call_tool("shout", {"text": "x"})
                times.append(time.perf_counter() - t0)
            return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200)
    calls = parser.parse_args().calls
    rows = [["SDK `Client.call_tool` (floor)", ms(median(asyncio.run(sdk_floor(calls))))]]
    server = ak.mcp.stdio(sys.executable, [SERVER, "stdio"])
    t0 = time.perf_counter()
    shout = server.tools(include=["shout"])[0]
    connect = time.perf_counter() - t0
    sync = []
    for _ in range(calls):
        t0 = time.perf_counter()
        shout.invoke({"text": "x"})
        sync.append(time.perf_counter() - t0)
    rows.append(["`tool.invoke` (sync)", ms(median(sync))])

    async def awaited() -> list[float]:
        times = []
        for _ in range(calls):
            t0 = time.perf_counter()
            await shout.ainvoke({"text": "x"})
            times.append(time.perf_counter() - t0)
        return times

    rows.append(["`await tool.ainvoke` (another loop)", ms(median(asyncio.run(awaited())))])
    rows.append(["connect + list tools (once)", ms(connect, 0)])
    server.close()
    print(machine())
    print(f"median of {calls} calls, ms")
    print(table(["what", "ms"], rows))


if __name__ == "__main__":
    main()
