// The README's TypeScript agent, type-checked against the package's types and the MCP
// SDK's (cli/tests/js_package.rs runs `tsc --noEmit` on it; it is not run).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { powFetch, solve, solveSalt, TimeoutError, verify } from "../../../js/index.js";

export async function agent(url: string): Promise<string> {
  const fetch = powFetch({ timeout: 30_000 });
  const client = new Client({ name: "agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch }));
  const result = await client.callTool({ name: "search", arguments: { query: "pow" } });
  const content = result.content as Array<{ type: string; text?: string }>;
  return `${content[0].text} (${fetch.solves} challenge solved)`;
}

export async function page(): Promise<boolean> {
  const challenge = await (await fetch("/api/challenge")).json();
  const answer = await solve(challenge, { timeout: 60_000, signal: AbortSignal.timeout(90_000) });
  const nonce: string = await solveSalt("hello", 12);
  try {
    await solveSalt("hello", 80, { timeout: 10 });
  } catch (e) {
    if (e instanceof TimeoutError) console.log(e.hashes);
  }
  return (await verify("hello", nonce, 12)) && answer.nonce.length > 0;
}
