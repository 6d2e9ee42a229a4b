"""The Python SDK's high-level `Client` in each connect mode against grind.

usage: modern_client.py GRIND SERVE_URL GATE_URL

For `mode` = "2026-07-28" (pinned: stateless, no handshake), "auto" (probes
`server/discover`) and "legacy" (the initialize handshake):
- against `grind serve` (SERVE_URL): the tools list, `challenge` with structured content,
  `grind solve -`, `verify` (valid), `status`;
- through `grind gate` (GATE_URL, `payment_required_status = 200`, `search` priced, in
  front of the Python SDK upstream): a free call passes; the priced call raises MCPError
  -32042; `grind solve -` on its data gives the `_meta` entry that pays the retried call.
Prints OK and exits 0 on success; any failed check raises.
"""

import json
import subprocess
import sys

import anyio
from mcp import Client
from mcp.shared.exceptions import MCPError

GRIND, SERVE, GATE = sys.argv[1:4]


def body(result, ours=True):
    """The JSON of a tool result; grind's tools carry it as structured content too (the
    upstream's tools are the Python SDK's business)."""
    assert not result.is_error, result
    text = json.loads(result.content[0].text)
    if ours:
        assert result.structured_content == text, (result.structured_content, text)
    return text


async def against_serve(mode):
    async with Client(SERVE, mode=mode) as c:
        tools = {t.name for t in (await c.list_tools()).tools}
        assert tools == {"challenge", "verify", "status"}, (mode, tools)
        ch = await c.call_tool("challenge", {})
        assert ch.structured_content and ch.structured_content["compact"], (mode, ch)
        req = json.loads(
            subprocess.run([GRIND, "solve", "-"], input=json.dumps(body(ch)), capture_output=True,
                           text=True, check=True).stdout
        )
        ok = body(await c.call_tool("verify", req))
        assert ok["valid"] is True, (mode, ok)
        assert body(await c.call_tool("status", {}))["ok"] is True


async def through_gate(mode):
    async with Client(GATE, mode=mode) as c:
        assert body(await c.call_tool("status", {}), ours=False) == {"ok": True}, mode
        try:
            await c.call_tool("search", {"query": mode})
            raise AssertionError(f"{mode}: a priced call passed without payment")
        except MCPError as e:
            assert e.error.code == -32042, (mode, e.error)
            error = {"error": {"code": e.error.code, "data": e.error.data}}
        meta = json.loads(
            subprocess.run([GRIND, "solve", "-"], input=json.dumps(error), capture_output=True,
                           text=True, check=True).stdout
        )
        paid = await c.call_tool("search", {"query": mode}, meta=meta)
        assert body(paid, ours=False)["query"] == mode, (mode, paid)


async def main():
    for mode in ("2026-07-28", "auto", "legacy"):
        await against_serve(mode)
        await through_gate(mode)
    print("OK")


anyio.run(main)
