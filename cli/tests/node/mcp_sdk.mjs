// The official MCP TypeScript SDK against grind (run by cli/tests/gate.rs).
//
// usage: node mcp_sdk.mjs GRIND SERVE_URL GATE_URL
//
// SERVE_URL (`grind serve`'s /mcp): the tools have output schemas, and `callTool` (which
// validates structuredContent against them) gets challenge, verify (valid, then spent)
// and status. GATE_URL (`grind gate` with payment_required_status = 200, in front of an
// MCP server with a priced `search`): a client that never touches HTTP headers pays inside
// JSON-RPC: the -32042 error, `grind solve -` on it, the `_meta` credential, the receipt,
// the receipt's token for the next call. Prints OK on success; any failed check throws.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";

const [grind, serveUrl, gateUrl] = process.argv.slice(2);

async function connect(url) {
  const c = new Client({ name: "grindstone-test", version: "1.0.0" });
  await c.connect(new StreamableHTTPClientTransport(new URL(url)));
  return c;
}

// Structured tools.
{
  const c = await connect(serveUrl);
  const { tools } = await c.listTools();
  for (const t of tools) {
    assert.equal(t.outputSchema?.type, "object", `${t.name} has an output schema`);
  }
  const verifyTool = tools.find((t) => t.name === "verify");
  assert.ok(!JSON.stringify(verifyTool.inputSchema).includes("null"), "no null unions");
  const ch = await c.callTool({ name: "challenge", arguments: {} });
  assert.deepEqual(ch.structuredContent, JSON.parse(ch.content[0].text));
  const req = JSON.parse(
    execFileSync(grind, ["solve", "-"], { input: JSON.stringify(ch.structuredContent) }),
  );
  const ok = await c.callTool({ name: "verify", arguments: req });
  assert.equal(ok.structuredContent.valid, true);
  assert.ok(ok.structuredContent.token);
  const again = await c.callTool({ name: "verify", arguments: req });
  assert.equal(again.structuredContent.valid, false);
  assert.equal(again.structuredContent.code, "spent");
  const st = await c.callTool({ name: "status", arguments: {} });
  assert.equal(st.structuredContent.ok, true);
  await c.close();
}

// Payment inside JSON-RPC.
{
  const c = await connect(gateUrl);
  const call = (_meta) =>
    c.callTool({ name: "search", arguments: { query: "ts" }, ...(_meta ? { _meta } : {}) });
  let err;
  try {
    await call();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof McpError, `an MCP error, not a transport error: ${err}`);
  assert.equal(err.code, -32042);
  assert.equal(err.data.challenges[0].method, "pow");
  const meta = JSON.parse(
    execFileSync(grind, ["solve", "-"], {
      input: JSON.stringify({ error: { code: err.code, data: err.data } }),
    }),
  );
  const paid = await call(meta);
  assert.equal(JSON.parse(paid.content[0].text).query, "ts");
  const receipt = paid._meta["org.paymentauth/receipt"];
  assert.equal(receipt.status, "success");
  const again = await call({ "org.paymentauth/credential": { payload: { token: receipt.token } } });
  assert.equal(JSON.parse(again.content[0].text).query, "ts");
  let spent;
  try {
    await call(meta);
  } catch (e) {
    spent = e;
  }
  assert.equal(spent?.code, -32043, `a spent solution is refused: ${spent}`);
  await c.close();
}
console.log("OK");
