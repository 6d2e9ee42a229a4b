// The npm package's powFetch inside the official MCP TypeScript SDK, through `grind gate`
// in front of a real MCP server (run by cli/tests/gate.rs).
//
// usage: node powfetch_mcp.mjs GATE_URL GATE_200_URL
//
// GATE_URL: `grind gate` (token_ttl_secs = 3) in front of the Python SDK server, with
// `search` priced at 10 bits, `slow` at 60 (out of reach) and `status` free; GATE_200_URL:
// the same behind a gate with payment_required_status = 200. One line of
// set-up (`fetch: powFetch()`); then: free calls solve nothing, the priced call is paid
// once, its token is reused, a token past its expiry is paid again, a token the gate
// refuses is dropped and paid afresh, a solve past its timeout or aborted rejects with
// the named error, a malformed challenge is answered as it came, a refused payment is answered
// as it came (no loop), and identity headers pass untouched. Prints a JSON summary line
// and OK; any failed check throws.
import assert from "node:assert/strict";
import http from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

import { powFetch, TimeoutError } from "../../../js/index.js";

const [gateUrl, gate200Url] = process.argv.slice(2);

async function connect(fetch, headers = {}) {
  const c = new Client({ name: "powfetch-test", version: "1.0.0" });
  await c.connect(
    new StreamableHTTPClientTransport(new URL(gateUrl), { fetch, requestInit: { headers } }),
  );
  return c;
}

const search = (c, query) => c.callTool({ name: "search", arguments: { query } });
const seen = (r) => {
  assert.ok(!r.isError, r.content?.[0]?.text);
  return JSON.parse(r.content[0].text);
};
const summary = {};

// Free calls, the priced call paid once, the token reused, identity headers untouched.
{
  const fetch = powFetch({ timeout: 60_000 });
  const c = await connect(fetch, { Authorization: "Bearer agent-identity" });
  await c.listTools();
  const st = await c.callTool({ name: "status", arguments: {} });
  assert.equal(JSON.parse(st.content[0].text).ok, true);
  assert.equal(fetch.solves, 0, "free calls solve nothing");
  const first = seen(await search(c, "one"));
  assert.equal(first.query, "one");
  assert.equal(first.authorization, "Bearer agent-identity");
  assert.equal(fetch.solves, 1, "the priced call is paid once");
  const second = seen(await search(c, "two"));
  assert.equal(second.query, "two");
  assert.equal(fetch.solves, 1, "the token is reused");
  // The 3 s token expires: paid again.
  await new Promise((r) => setTimeout(r, 3300));
  assert.equal(seen(await search(c, "three")).query, "three");
  assert.equal(fetch.solves, 2, "an expired token is paid again");
  summary.paid = fetch.solves;
  await c.close();
}

// A token the gate refuses (forged) is dropped and the call paid afresh.
{
  const forged = `e30.${Buffer.from(JSON.stringify({ scope: "tool:search", exp: 4102444800, iat: 1 })).toString("base64url")}.AAAA`;
  // Seed the cache through a response carrying the forged token: a wrapped fetch that
  // answers one made-up request with it.
  const seeding = powFetch({
    fetch: async (input, init) => {
      if (new URL(input instanceof Request ? input.url : String(input)).pathname === "/seed") {
        return new Response("{}", { headers: { "X-PoW-Token": forged } });
      }
      return globalThis.fetch(input, init);
    },
  });
  await seeding(new URL("/seed", gateUrl));
  const c2 = await connect(seeding);
  assert.equal(seen(await search(c2, "forged")).query, "forged");
  assert.equal(seeding.solves, 1, "the refused token was replaced by a payment");
  await c2.close();
}

// A price above maxDifficulty (32 bits by default) is refused before any work; timeouts
// and aborts reject with their names; the gate never runs the tool.
{
  const capped = powFetch();
  const c0 = await connect(capped);
  const r = await c0.callTool({ name: "slow", arguments: { seconds: 0 } }).catch((e) => e);
  assert.match(String(r?.message), /maxDifficulty/, String(r));
  assert.equal(capped.solves, 0);
  await c0.close();
  const fetch = powFetch({ timeout: 200, maxDifficulty: 64 });
  const c = await connect(fetch);
  const t0 = performance.now();
  const e = await c.callTool({ name: "slow", arguments: { seconds: 0 } }).catch((e) => e);
  assert.ok(e instanceof TimeoutError || /no solution within/.test(String(e?.message)), String(e));
  assert.ok(performance.now() - t0 < 5000);
  await c.close();
  const ac = new AbortController();
  const aborting = powFetch({ signal: ac.signal, maxDifficulty: 64 });
  const c2 = await connect(aborting);
  setTimeout(() => ac.abort(), 150);
  const a = await c2.callTool({ name: "slow", arguments: { seconds: 0 } }).catch((e) => e);
  assert.ok(a?.name === "AbortError" || /abort/i.test(String(a?.message)), String(a));
  await c2.close();
}

// A server of our own: a malformed PoW challenge, and a payment refused twice.
{
  let hits = 0;
  const srv = http.createServer((req, res) => {
    hits++;
    if (req.url === "/garbage") {
      res.writeHead(402, { "WWW-Authenticate": 'PoW challenge="garbage", difficulty=8' }).end();
    } else {
      // Always a fresh valid-looking challenge of a gate we are not: refused again.
      res.writeHead(402, { "WWW-Authenticate": req.headers["x-pow-solution"] ? "Bearer" : lastChallenge }).end("no");
    }
  });
  // A real challenge from the gate, so that the solve succeeds and the retry happens.
  const probe = await globalThis.fetch(gateUrl, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "search", arguments: { query: "x" } } }),
  });
  const lastChallenge = probe.headers.get("www-authenticate");
  assert.ok(lastChallenge?.startsWith("PoW "), String(lastChallenge));
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${srv.address().port}`;
  const fetch = powFetch();
  const garbage = await fetch(`${base}/garbage`);
  assert.equal(garbage.status, 402, "an unreadable challenge: the answer as it came");
  assert.equal(fetch.solves, 0);
  hits = 0;
  const r = await fetch(`${base}/refuses`, { method: "POST", body: "{}" });
  assert.equal(r.status, 402, "a refused payment is answered as it came");
  assert.equal(hits, 2, "one retry, no loop");
  srv.close();
}

// A gate set to answer 200 (hosts whose HTTP layer turns a 402 into a transport error):
// its payment-required JSON-RPC error is paid like a 402; a 200 that answered is not.
{
  const fetch = powFetch();
  const c = new Client({ name: "powfetch-200", version: "1.0.0" });
  await c.connect(new StreamableHTTPClientTransport(new URL(gate200Url), { fetch }));
  await c.callTool({ name: "status", arguments: {} });
  assert.equal(fetch.solves, 0);
  assert.equal(seen(await search(c, "two hundred")).query, "two hundred");
  assert.equal(fetch.solves, 1);
  summary.paidAt200 = fetch.solves;
  await c.close();
}

console.log(JSON.stringify(summary));
console.log("OK");
