"""A small real MCP server (official Python SDK, Streamable HTTP) to put behind `grind gate`.

usage: upstream_mcp.py PORT

It answers both the legacy session path and the 2026-07-28 stateless path (chosen per
request by the SDK from `MCP-Protocol-Version`). Tools: `search` (priced in the tests)
echoes its query and the credentials it received, so the tests can check what the gate
forwards, and appends a line to $UPSTREAM_COUNT_FILE (when set) each time it runs, so the
tests can count priced executions; `status` is free; `slow` sleeps (for shutdown tests).
"""

import json
import os
import sys

import anyio
from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("upstream-test")
COUNT_FILE = os.environ.get("UPSTREAM_COUNT_FILE")


@server.tool()
def search(query: str, ctx: Context) -> str:
    """Echo the query and the headers that reached the upstream."""
    if COUNT_FILE:
        with open(COUNT_FILE, "a") as f:
            f.write("search\n")
    h = ctx.headers or {}
    get = lambda k: h.get(k) if hasattr(h, "get") else None
    return json.dumps(
        {
            "query": query,
            "authorization": get("authorization"),
            "x_pow_token": get("x-pow-token"),
            "x_pow_solution": get("x-pow-solution"),
        }
    )


@server.tool()
def status() -> str:
    """Free tool."""
    return json.dumps({"ok": True})


@server.tool()
async def slow(seconds: float) -> str:
    """Answers after `seconds`."""
    await anyio.sleep(seconds)
    return json.dumps({"slept": seconds})


if __name__ == "__main__":
    anyio.run(lambda: server.run_streamable_http_async(port=int(sys.argv[1])))
