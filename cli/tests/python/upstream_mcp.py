"""A small real MCP server (official Python SDK, Streamable HTTP) to put behind `grind gate`.

usage: upstream_mcp.py PORT

Tools: `search` (priced in the tests) echoes its query and the credentials it received, so
the tests can check what the gate forwards; `status` is free.
"""

import json
import sys

from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("upstream-test")


@server.tool()
def search(query: str, ctx: Context) -> str:
    """Echo the query and the headers that reached the upstream."""
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


if __name__ == "__main__":
    import anyio

    anyio.run(lambda: server.run_streamable_http_async(port=int(sys.argv[1])))
