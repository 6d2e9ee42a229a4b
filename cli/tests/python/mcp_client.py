"""Drives `grind serve` with the official MCP Python SDK, over stdio or Streamable HTTP.

usage: mcp_client.py GRIND stdio
       mcp_client.py GRIND http URL

Lists the tools, checks their input schemas against captcha-mcp's and that each has an
output schema, gets a challenge (structured content equal to the text content), solves
it with `grind solve -`, verifies it (valid, then refused as spent), and reads the status.
Prints OK and exits 0 on success; any failed check raises.
"""

import json
import subprocess
import sys

import anyio
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client


def text(result):
    """The tool's JSON: the text content, which must equal the structured content."""
    assert not getattr(result, "is_error", False) and not getattr(result, "isError", False), result
    body = json.loads(result.content[0].text)
    structured = getattr(result, "structured_content", None) or getattr(result, "structuredContent")
    assert structured == body, (structured, body)
    return body


async def exercise(session, grind):
    await session.initialize()
    tools = {t.name: t for t in (await session.list_tools()).tools}
    assert set(tools) == {"challenge", "verify", "status"}, sorted(tools)
    schema = lambda t: getattr(t, "input_schema", None) or getattr(t, "inputSchema")
    verify_schema = schema(tools["verify"])
    assert set(verify_schema["required"]) == {"salt", "nonce", "id", "signature"}, verify_schema
    assert {"algo", "difficulty"} <= set(verify_schema["properties"]), verify_schema
    assert not schema(tools["challenge"]).get("required"), schema(tools["challenge"])
    # Optional inputs are typed by their value alone (no ["string", "null"] unions).
    assert "null" not in json.dumps(verify_schema), verify_schema
    out = lambda t: getattr(t, "output_schema", None) or getattr(t, "outputSchema")
    for name in tools:
        assert out(tools[name])["type"] == "object", (name, out(tools[name]))
    assert "token" in out(tools["verify"])["properties"], out(tools["verify"])
    assert "compact" in out(tools["challenge"])["properties"], out(tools["challenge"])

    ch = text(await session.call_tool("challenge", {}))
    for k in ("id", "salt", "difficulty", "algo", "signature"):
        assert k in ch, ch
    solved = subprocess.run(
        [grind, "solve", "-"], input=json.dumps(ch), capture_output=True, text=True, check=True
    )
    req = json.loads(solved.stdout)
    ok = text(await session.call_tool("verify", req))
    assert ok["valid"] is True and ok["method"] == "pow" and ok["token"], ok
    again = text(await session.call_tool("verify", req))
    assert again["valid"] is False and "spent" in again["reason"], again
    tampered = dict(req, difficulty=1)
    bad = text(await session.call_tool("verify", tampered))
    assert bad["valid"] is False, bad
    status = text(await session.call_tool("status", {}))
    assert status["ok"] is True and status["stats"]["pow_solves"] >= 1, status
    assert "challenges_issued" in status["stats"] and "ln_skips" in status["stats"], status


async def main():
    grind, mode = sys.argv[1], sys.argv[2]
    if mode == "stdio":
        params = StdioServerParameters(command=grind, args=["serve", "--stdio", "-d", "10"])
        async with stdio_client(params) as (r, w):
            async with ClientSession(r, w) as s:
                await exercise(s, grind)
    else:
        async with streamable_http_client(sys.argv[3]) as streams:
            r, w = streams[0], streams[1]
            async with ClientSession(r, w) as s:
                await exercise(s, grind)
    print("OK")


anyio.run(main)
