"""A small real MCP server (official Python SDK, Streamable HTTP) to put behind `grind gate`.

usage: upstream_mcp.py PORT

It answers both the legacy session path and the 2026-07-28 stateless path (chosen per
request by the SDK from `MCP-Protocol-Version`). Tools: `search` (priced in the tests)
echoes its query, the credentials and the request `_meta` it received, so the tests can check what the gate
forwards, and appends a line to $UPSTREAM_COUNT_FILE (when set) each time it runs, so the
tests can count priced executions; `status` is free; `slow` sleeps (for shutdown tests).

With $UPSTREAM_BEARER set it is an OAuth 2.1 protected resource (the SDK's own auth
support): every request needs `Authorization: Bearer $UPSTREAM_BEARER` (else 401 with
`WWW-Authenticate: Bearer ... resource_metadata=...`), and it serves its protected resource
metadata for $UPSTREAM_RESOURCE (the URL clients use, e.g. the gate's).
"""

import json
import os
import sys

import anyio
from mcp.server.mcpserver import Context, MCPServer

COUNT_FILE = os.environ.get("UPSTREAM_COUNT_FILE")
BEARER = os.environ.get("UPSTREAM_BEARER")


class StaticTokens:
    """Accepts exactly $UPSTREAM_BEARER."""

    async def verify_token(self, token):
        from mcp.server.auth.provider import AccessToken

        return AccessToken(token=token, client_id="test", scopes=[]) if token == BEARER else None


if BEARER:
    from mcp.server.auth.settings import AuthSettings

    server = MCPServer(
        "upstream-test",
        token_verifier=StaticTokens(),
        auth=AuthSettings(
            issuer_url="https://auth.example.com",
            resource_server_url=os.environ["UPSTREAM_RESOURCE"],
        ),
    )
else:
    server = MCPServer("upstream-test")


@server.tool()
def search(query: str, ctx: Context) -> str:
    """Echo the query and the headers that reached the upstream."""
    if COUNT_FILE:
        with open(COUNT_FILE, "a") as f:
            f.write("search\n")
    h = ctx.headers or {}
    get = lambda k: h.get(k) if hasattr(h, "get") else None
    try:
        m = ctx.request_context.meta
        if hasattr(m, "model_dump"):
            m = m.model_dump(by_alias=True, exclude_none=True)
        meta = m
    except Exception as e:  # an SDK without request meta: say so
        meta = f"unavailable: {e!r}"
    return json.dumps(
        {
            "query": query,
            "authorization": get("authorization"),
            "x_pow_token": get("x-pow-token"),
            "x_pow_solution": get("x-pow-solution"),
            "meta": meta,
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
