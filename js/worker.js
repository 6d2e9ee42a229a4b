// A search worker (Node `worker_threads` or a browser module Web Worker). It receives
// the compiled WebAssembly module once, then searches the slices of nonce indices the
// coordinator in index.js hands it, one message at a time, and answers each with the
// confirmed hits and the candidates hashed. Peer schemes are solved here whole.
import * as wasm from './pkg/grindstone_wasm.js';

const isNode = typeof process !== 'undefined' && process.versions?.node != null;

let post;
if (isNode) {
  const { parentPort } = await import('node:worker_threads');
  post = (m) => parentPort.postMessage(m);
  parentPort.on('message', handle);
} else {
  post = (m) => self.postMessage(m);
  self.onmessage = (e) => handle(e.data);
}

let plan = null;
let planSpec = null;

function handle(msg) {
  const { id } = msg;
  try {
    switch (msg.type) {
      case 'init':
        wasm.initSync({ module: msg.module });
        post({ id, ok: true });
        return;
      case 'search': {
        if (planSpec !== msg.spec) {
          plan?.free();
          plan = null;
          plan = wasm.plan(msg.spec);
          planSpec = msg.spec;
        }
        const found = plan.search(msg.start, msg.end, msg.k);
        post({ id, ok: true, hits: Array.from(found.hits), hashes: found.hashes });
        found.free();
        return;
      }
      case 'peer':
        post({ id, ok: true, result: wasm.solvePeer(msg.scheme, msg.input, msg.timeoutMs) });
        return;
      default:
        throw new TypeError(`unknown message ${msg.type}`);
    }
  } catch (e) {
    post({ id, ok: false, name: e?.name ?? 'Error', message: String(e?.message ?? e) });
  }
}
