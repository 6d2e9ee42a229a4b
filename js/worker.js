// A search worker (Node `worker_threads` or a browser module Web Worker). It receives
// the compiled WebAssembly module once, then searches the slices of nonce indices the
// coordinator in index.js hands it, one message at a time, and answers each with the
// confirmed hits and the candidates hashed. Peer schemes are solved here whole.
import * as wasm from './pkg/grindstone_wasm.js';
import { Slices } from './slices.js';

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

const slices = new Slices(wasm);

function handle(msg) {
  const { id } = msg;
  try {
    switch (msg.type) {
      case 'init':
        wasm.initSync({ module: msg.module });
        post({ id, ok: true });
        return;
      case 'search':
        post({ id, ok: true, ...slices.search(msg.spec, msg.start, msg.end, msg.k) });
        return;
      case 'peer':
        post({ id, ok: true, result: wasm.solvePeer(msg.scheme, msg.input, msg.timeoutMs, msg.lowest) });
        return;
      default:
        throw new TypeError(`unknown message ${msg.type}`);
    }
  } catch (e) {
    post({ id, ok: false, name: e?.name ?? 'Error', message: String(e?.message ?? e) });
  }
}
