// The comparison of compare.mjs in Node, on the calling thread.
//
// usage: node node.mjs POW_BUSTER_PKG N DIFFICULTY [--json]
// POW_BUSTER_PKG: pow-buster's wasm-bindgen output (bench/scripts/wasm_pow_buster.sh).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import * as g from '../../js/index.js';
import * as grind from '../../js/pkg/grindstone_wasm.js';
import { compare, header, rows } from './compare.mjs';

const [pbDir, n = '60', difficulty = '5'] = process.argv.slice(2);
await g.init();
if ((await g.backend()) !== 'simd128') throw new Error('this Node runs no WebAssembly SIMD');
const pb = await import(pathToFileURL(join(pbDir, 'pow_buster_wasm_anchor.js')).href);
pb.initSync({ module: await readFile(join(pbDir, 'pow_buster_wasm_anchor_bg.wasm')) });
const c = compare({ grind, pb, n: Number(n), difficulty: Number(difficulty) });
c.sha256Bits = (await g.hashRate({ ms: 2000, threads: 0 })).rate;
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(c));
} else {
  console.log([...header, ...rows(`Node ${process.version}`, c)].join('\n'));
  console.log(`grindstone-pow sha256-bits on the same thread: ${(c.sha256Bits / 1e6).toFixed(2)} M hashes/s`);
}
