// One search's plan, kept between its slices (rebuilt when another search's spec comes):
// what a worker (worker.js) and the calling thread (index.js) both run per slice.
export class Slices {
  constructor(wasm) {
    this.wasm = wasm;
    this.plan = null;
    this.spec = null;
  }

  /** The confirmed hits of `start..end` (at most `k`) and the candidates hashed. */
  search(spec, start, end, k) {
    if (this.spec !== spec) {
      this.close();
      this.plan = this.wasm.plan(spec);
      this.spec = spec;
    }
    const found = this.plan.search(start, end, k);
    const out = { hits: Array.from(found.hits), hashes: found.hashes };
    found.free();
    return out;
  }

  close() {
    this.plan?.free();
    this.plan = null;
    this.spec = null;
  }
}
