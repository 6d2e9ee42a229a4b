// Hash rates of the package in Node, measured in one run next to the two JavaScript
// baselines: node:crypto `createHash` (one digest per candidate, as a JS solver does it)
// and awaited WebCrypto `crypto.subtle.digest`.
//
// usage: node bench.mjs [MS] [--json]      (MS: milliseconds per measurement, 3000)
// The scalar build runs in a child process (a process loads one build).
import { execFileSync } from 'node:child_process';
import { createHash, webcrypto } from 'node:crypto';
import { fileURLToPath } from 'node:url';

import * as g from './index.js';

const args = process.argv.slice(2);
const ms = Number(args.find((a) => /^\d+$/.test(a)) ?? 3000);

if (args.includes('--scalar-child')) {
  await g.init({ simd: false });
  console.log(JSON.stringify(await g.hashRate({ ms, threads: 1 })));
  process.exit(0);
}

function createHashRate() {
  const salt = 'grindstone-benchmark-salt';
  let n = 0;
  const t0 = performance.now();
  let now = t0;
  while (now - t0 < ms) {
    for (let i = 0; i < 4096; i++, n++) createHash('sha256').update(salt + n).digest();
    now = performance.now();
  }
  return n / ((now - t0) / 1e3);
}

async function webCryptoRate() {
  const enc = new TextEncoder();
  const salt = 'grindstone-benchmark-salt';
  let n = 0;
  const t0 = performance.now();
  let now = t0;
  while (now - t0 < ms) {
    for (let i = 0; i < 256; i++, n++) await webcrypto.subtle.digest('SHA-256', enc.encode(salt + n));
    now = performance.now();
  }
  return n / ((now - t0) / 1e3);
}

const rows = [];
const add = (what, rate) => rows.push({ what, rate });
add('node:crypto createHash, 1 thread', createHashRate());
add('WebCrypto digest (awaited), 1 thread', await webCryptoRate());
const scalar = JSON.parse(
  execFileSync(process.execPath, [fileURLToPath(import.meta.url), String(ms), '--scalar-child']),
);
add('grindstone-pow scalar build, 1 worker', scalar.rate);
add(`grindstone-pow ${await g.backend()}, calling thread`, (await g.hashRate({ ms, threads: 0 })).rate);
add(`grindstone-pow ${await g.backend()}, 1 worker`, (await g.hashRate({ ms, threads: 1 })).rate);
const n = await g.defaultThreads();
add(`grindstone-pow ${await g.backend()}, ${n} workers`, (await g.hashRate({ ms, threads: n })).rate);

if (args.includes('--json')) {
  console.log(JSON.stringify({ node: process.version, ms, rows }));
} else {
  const base = rows[0].rate;
  console.log(`Node ${process.version}, ${ms} ms per row`);
  console.log('| what | M hashes/s | x createHash |');
  console.log('|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.what} | ${(r.rate / 1e6).toFixed(2)} | ${(r.rate / base).toFixed(1)} |`);
  }
}
