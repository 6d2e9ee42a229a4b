// grindstone-pow: Grindstone's solver and verifiers in WebAssembly, for Node (>= 18) and
// browsers, and powFetch, a fetch that pays PoW-gated HTTP and MCP servers on its own.
//
// Every challenge is parsed, searched, checked and rendered by the Rust library compiled
// to WebAssembly (SIMD128 where the host has it, scalar otherwise); this file only loads
// the module, spreads a search over workers and talks HTTP.
import * as wasm from './pkg/grindstone_wasm.js';
import { Slices } from './slices.js';

const isNode = typeof process !== 'undefined' && process.versions?.node != null;

/** A solve ran past its `timeout`. `hashes`: candidates tried. */
export class TimeoutError extends Error {
  constructor(message, hashes = 0) {
    super(message);
    this.name = 'TimeoutError';
    this.hashes = hashes;
  }
}

/** The whole nonce space was searched without a solution. */
export class ExhaustedError extends Error {
  constructor(message, hashes = 0) {
    super(message);
    this.name = 'ExhaustedError';
    this.hashes = hashes;
  }
}

/** An error thrown by the WebAssembly side (or a worker), as one of ours. */
function rebuild(name, message) {
  switch (name) {
    case 'TypeError':
      return new TypeError(message);
    case 'RangeError':
      return new RangeError(message);
    case 'TimeoutError':
      return new TimeoutError(message);
    case 'ExhaustedError':
      return new ExhaustedError(message);
    default:
      return new Error(message);
  }
}

/** Rethrows the WebAssembly side's named errors as this module's classes. */
function rethrow(e) {
  if (e?.name === 'TimeoutError' && !(e instanceof TimeoutError)) throw rebuild(e.name, e.message);
  if (e?.name === 'ExhaustedError' && !(e instanceof ExhaustedError)) throw rebuild(e.name, e.message);
  throw e;
}

// ---------------------------------------------------------------------------------------
// Loading

// wasm-feature-detect's SIMD probe: a module whose one function uses a v128 instruction.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0,
  253, 15, 253, 98, 11,
]);

/** Whether this host runs WebAssembly SIMD (then the SIMD128 build is loaded). */
export const simdSupported = WebAssembly.validate(SIMD_PROBE);

let loading = null;

async function compile(simd) {
  const url = new URL(
    simd ? './pkg/grindstone_wasm_bg.wasm' : './pkg/grindstone_wasm_scalar_bg.wasm',
    import.meta.url,
  );
  if (isNode) {
    const { readFile } = await import('node:fs/promises');
    return WebAssembly.compile(await readFile(url));
  }
  const resp = await fetch(url);
  if (!resp.ok) throw new Error(`grindstone: cannot load ${url}: HTTP ${resp.status}`);
  return WebAssembly.compile(await resp.arrayBuffer());
}

/**
 * Loads the WebAssembly module (once; every call answers the same promise). Called by
 * every function here; call it yourself to choose the build (`{simd: false}` forces the
 * scalar one) or to pass a `WebAssembly.Module` you compiled (`{module}`).
 */
export function init(options = {}) {
  loading ??= (async () => {
    const module = options.module ?? (await compile(options.simd ?? simdSupported));
    wasm.initSync({ module });
    return module;
  })().catch((e) => {
    // A failed load (a network error fetching the module) may be retried.
    loading = null;
    throw e;
  });
  return loading;
}

/** The kernel the loaded module runs: `simd128` or `scalar`. */
export async function backend() {
  await init();
  return wasm.backend();
}

// ---------------------------------------------------------------------------------------
// Executors: where slices of a search run

const yieldNow = isNode
  ? () => new Promise((r) => setImmediate(r))
  : (() => {
      // A macrotask without setTimeout's 4 ms clamp.
      if (typeof MessageChannel === 'undefined') return () => new Promise((r) => setTimeout(r, 0));
      const ch = new MessageChannel();
      const queue = [];
      ch.port1.onmessage = () => queue.shift()?.();
      return () =>
        new Promise((r) => {
          queue.push(r);
          ch.port2.postMessage(0);
        });
    })();

/** Runs slices on the calling thread, yielding to the event loop before each. */
class Inline {
  constructor() {
    this.slices = new Slices(wasm);
    this.chunk = 1n << 16n;
  }
  async search(spec, start, end, k) {
    await yieldNow();
    return this.slices.search(spec, start, end, k);
  }
  async peer(scheme, input, timeoutMs, lowest, signal) {
    await yieldNow();
    if (signal?.aborted) throw abortReason(signal);
    return wasm.solvePeer(scheme, input, timeoutMs, lowest);
  }
  close() {
    this.slices.close();
  }
}

/** One worker thread with the module loaded. */
class Remote {
  static async start(module) {
    const r = new Remote();
    if (isNode) {
      const { Worker } = await import('node:worker_threads');
      r.worker = new Worker(new URL('./worker.js', import.meta.url));
      r.worker.on('message', (m) => r.reply(m));
      r.worker.on('error', (e) => r.fail(e));
      r.worker.on('exit', () => r.fail(new Error('grindstone: a search worker exited')));
      r.worker.unref();
    } else {
      r.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
      r.worker.onmessage = (e) => r.reply(e.data);
      r.worker.onerror = (e) => {
        e.preventDefault?.();
        r.fail(new Error(`grindstone: a search worker failed: ${e.message ?? e}`));
      };
    }
    await r.call({ type: 'init', module });
    return r;
  }
  constructor() {
    this.pending = new Map();
    this.seq = 0;
    this.dead = null;
    this.chunk = 1n << 16n;
  }
  call(msg) {
    if (this.dead) return Promise.reject(this.dead);
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (isNode && this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...msg, id });
    });
  }
  reply(m) {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (isNode && this.pending.size === 0) this.worker.unref();
    if (m.ok) p.resolve(m);
    else p.reject(rebuild(m.name, m.message));
  }
  fail(e) {
    this.dead ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
  search(spec, start, end, k) {
    return this.call({ type: 'search', spec, start, end, k });
  }
  async peer(scheme, input, timeoutMs, lowest) {
    return (await this.call({ type: 'peer', scheme, input, timeoutMs, lowest })).result;
  }

  close() {
    this.fail(new Error('grindstone: worker closed'));
    this.worker.terminate();
  }
}

let hardwareThreads = null;

/** Worker threads used when `threads` is not given: one per logical CPU. */
export async function defaultThreads() {
  if (hardwareThreads == null) {
    if (isNode) {
      const os = await import('node:os');
      hardwareThreads = os.availableParallelism?.() ?? os.cpus().length;
    } else {
      hardwareThreads = globalThis.navigator?.hardwareConcurrency ?? 1;
    }
  }
  return Math.max(1, hardwareThreads);
}

// Workers are kept between solves (starting one costs a module instantiation); in Node
// they never keep the process alive while idle.
const pool = [];
let workersBroken = false;

const canStartWorkers = () => !workersBroken && (isNode || typeof Worker !== 'undefined');

/** `n` executors: workers where they start, else the calling thread. */
async function executors(threads) {
  const module = await init();
  const n = threads ?? (await defaultThreads());
  if (n === 0 || !canStartWorkers()) {
    return [new Inline()];
  }
  for (let i = pool.length - 1; i >= 0; i--) if (pool[i].dead) pool.splice(i, 1);
  try {
    while (pool.length < n) pool.push(await Remote.start(module));
  } catch (e) {
    // No workers here (a sandboxed page, a CSP without worker-src): one thread.
    workersBroken = true;
    return [new Inline()];
  }
  return pool.slice(0, n);
}

/** Stops the worker threads (a later solve starts new ones). */
export function terminateWorkers() {
  for (const w of pool.splice(0)) w.close();
}

// ---------------------------------------------------------------------------------------
// The coordinator

/** The longest timeout timers take (about 24.8 days). */
const MAX_TIMEOUT = 2 ** 31 - 1;

function checkOptions(opts) {
  if (opts == null) return {};
  if (typeof opts !== 'object') throw new TypeError('options must be an object');
  const { timeout, threads, signal, maxDifficulty, lowest } = opts;
  if (lowest != null && typeof lowest !== 'boolean') throw new TypeError('lowest must be a boolean');
  if (timeout != null && !(typeof timeout === 'number' && timeout >= 0 && timeout <= MAX_TIMEOUT)) {
    throw new RangeError(`timeout must be milliseconds in 0..=${MAX_TIMEOUT}, not ${timeout}`);
  }
  if (maxDifficulty != null && !(typeof maxDifficulty === 'number' && maxDifficulty >= 0)) {
    throw new RangeError(`maxDifficulty must be a number of bits >= 0, not ${maxDifficulty}`);
  }
  if (threads != null && !(Number.isInteger(threads) && threads >= 0 && threads <= 1024)) {
    throw new RangeError(`threads must be an integer 0..=1024, not ${threads}`);
  }
  if (signal != null && typeof signal.aborted !== 'boolean') {
    throw new TypeError('signal must be an AbortSignal');
  }
  return opts;
}

function abortReason(signal) {
  return signal.reason ?? Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
}

const SLICE_MS = 40;
const MIN_CHUNK = 1n << 10n;
const MAX_CHUNK = 1n << 26n;

/**
 * Runs a plan's search over `execs`: slices handed out in increasing index order, the `k`
 * lowest confirmed hits kept; done when every slice below the k-th hit is back. The
 * answer therefore does not depend on the number of workers.
 */
function run(plan, execs, opts) {
  const spec = plan.spec;
  const k = plan.k;
  const end = plan.end;
  let next = plan.start;
  let bound = end;
  let hits = [];
  let hashes = 0;
  let inFlight = 0;
  return new Promise((resolve, reject) => {
    let done = false;
    let timer = null;
    const finish = (err, value) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value);
    };
    const onAbort = () => finish(abortReason(opts.signal));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.timeout != null) {
      timer = setTimeout(
        () => finish(new TimeoutError(`no solution within ${opts.timeout} ms (${hashes} hashes tried)`, hashes)),
        opts.timeout,
      );
    }
    const pump = (ex) => {
      if (done) return;
      if (next >= bound) {
        if (inFlight > 0) return;
        if (hits.length === k) {
          finish(null, hits);
        } else {
          finish(new ExhaustedError(`no solution in the nonce space (${hashes} hashes tried)`, hashes));
        }
        return;
      }
      const lo = next;
      const hi = lo + ex.chunk < end ? lo + ex.chunk : end;
      next = hi;
      inFlight++;
      const t0 = performance.now();
      ex.search(spec, lo, hi, k).then(
        (r) => {
          inFlight--;
          hashes += r.hashes;
          // The next slice lasts about SLICE_MS at the rate this one ran (a slice that
          // stopped early at its hits says little: only full-ish ones count).
          if (r.hashes * 2 >= Number(hi - lo)) {
            const dt = Math.max(performance.now() - t0, 0.5);
            const want = Math.min((r.hashes / dt) * SLICE_MS, Number(ex.chunk) * 4);
            const c = BigInt(Math.round(want));
            ex.chunk = c < MIN_CHUNK ? MIN_CHUNK : c > MAX_CHUNK ? MAX_CHUNK : c;
          }
          if (r.hits.length) {
            hits = hits.concat(r.hits).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, k);
            if (hits.length === k && hits[k - 1] < bound) bound = hits[k - 1];
          }
          pump(ex);
        },
        (e) => finish(e),
      );
    };
    for (const ex of execs) pump(ex);
  });
}

/**
 * Plans `spec`, searches it and answers the plan's rendered answer (an object:
 * `{nonce, nonces}` plus `verify`, `header` or `meta`, or `{stamp}`). Refuses
 * a challenge above `maxDifficulty` before any work; a gate's challenge is searched no
 * longer than it lives (plus a minute of clock skew), and the timeout counts from here.
 */
async function solveSpec(spec, opts) {
  opts = checkOptions(opts);
  const t0 = performance.now();
  await init();
  let plan;
  try {
    plan = wasm.plan(JSON.stringify(spec));
  } catch (e) {
    rethrow(e);
  }
  let execs;
  try {
    const bits = Math.log2(plan.expectedHashes);
    if (opts.maxDifficulty != null && bits > opts.maxDifficulty + 1e-9) {
      throw new RangeError(
        `the challenge asks for ${bits.toFixed(2)} bits of work, more than maxDifficulty ${opts.maxDifficulty}`,
      );
    }
    let timeout = opts.timeout;
    if (plan.expiresAt != null) {
      const lives = Math.max(0, plan.expiresAt * 1000 - Date.now() + 60_000);
      timeout = Math.min(timeout ?? MAX_TIMEOUT, lives, MAX_TIMEOUT);
    }
    execs = await executors(opts.threads);
    if (timeout != null) timeout = Math.max(0, timeout - (performance.now() - t0));
    const hits = await run(plan, execs, { ...opts, timeout });
    try {
      return JSON.parse(plan.answer(BigUint64Array.from(hits)));
    } catch (e) {
      rethrow(e);
    }
  } finally {
    // The calling thread's plan copy goes with the search (workers keep theirs).
    if (execs?.[0] instanceof Inline) execs[0].close();
    plan.free();
  }
}

function jsonText(v, what) {
  if (typeof v === 'string') return v;
  if (v != null && typeof v === 'object') return JSON.stringify(v);
  throw new TypeError(`${what} must be a JSON string or an object`);
}

// ---------------------------------------------------------------------------------------
// The API

/**
 * Solves a challenge and answers what to send back.
 *
 * Without `scheme` (or with `sha256-bits`), `challenge` is a Grindstone / captcha-mcp
 * challenge `{id, salt, difficulty, signature, k?}` (object or JSON text: `grind
 * serve`'s `/api/challenge`, the MCP `challenge` tool) and the answer is the `verify`
 * request to POST to `/api/verify`. With `scheme` set to `anubis`, `altcha`, `altcha-v2`,
 * `mcaptcha`, `cap` or `go-away`, `challenge` is that tool's challenge and the answer its
 * own answer object. A decimal scheme's number (anubis, mcaptcha, cap) is laid out for
 * the kernels (a leading 1, zeros, the digits searched; at most 2^53 - 1); `lowest: true`
 * answers the lowest valid number instead, as the peers' own solvers do.
 */
export async function solve(challenge, options = {}) {
  const scheme = options?.scheme;
  if (scheme == null || scheme === 'sha256-bits') {
    const text = jsonText(challenge, 'challenge');
    return (await solveSpec({ kind: 'challenge', challenge: text }, options)).verify;
  }
  if (typeof scheme !== 'string') throw new TypeError('scheme must be a string');
  return solvePeer(scheme, jsonText(challenge, 'challenge'), checkOptions(options));
}

async function solvePeer(scheme, input, opts) {
  const module = await init();
  if (opts.signal?.aborted) throw abortReason(opts.signal);
  // A peer solve is one call into WebAssembly: in a worker of its own when workers start
  // (an abort ends that worker; the shared pool is never blocked or touched), on this
  // thread otherwise.
  let ex = new Inline();
  if (opts.threads !== 0 && canStartWorkers()) {
    try {
      ex = await Remote.start(module);
    } catch {
      ex = new Inline();
    }
  }
  let onAbort;
  const aborted = new Promise((_, reject) => {
    onAbort = () => {
      reject(abortReason(opts.signal));
      ex.close();
    };
    // The signal may have fired while the worker started.
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  try {
    const text = await Promise.race([
      ex.peer(scheme, input, opts.timeout, opts.lowest, opts.signal),
      aborted,
    ]);
    return JSON.parse(text).response;
  } catch (e) {
    rethrow(e);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    ex.close();
  }
}

/**
 * Finds a nonce such that SHA-256(salt + nonce) has `difficulty` leading zero bits
 * (fractional difficulties allowed). With `k > 1`, answers `k` nonces of
 * `difficulty - log2 k` bits each.
 */
export async function solveSalt(salt, difficulty, options = {}) {
  if (typeof salt !== 'string') throw new TypeError('salt must be a string');
  if (typeof difficulty !== 'number') throw new TypeError('difficulty must be a number');
  const k = options?.k ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, not ${k}`);
  const answer = await solveSpec({ kind: 'salt', salt, difficulty, k }, options);
  return k === 1 ? answer.nonce : answer.nonces;
}

/**
 * Whether SHA-256(salt + nonce) meets `difficulty` bits. Throws a `TypeError` for input
 * that cannot be a solution at all (empty, non-printable, oversized nonce).
 */
export async function verify(salt, nonce, difficulty) {
  await init();
  if (typeof salt !== 'string' || typeof nonce !== 'string') {
    throw new TypeError('salt and nonce must be strings');
  }
  try {
    return JSON.parse(wasm.verifySalt(salt, nonce, difficulty)).valid;
  } catch (e) {
    rethrow(e);
  }
}

/**
 * Solves the challenge of a `WWW-Authenticate: PoW ...` value (a gate's 402 answer; the
 * value may list other challenges too) and answers the `X-PoW-Solution` value to retry
 * with.
 */
export async function solveWwwAuthenticate(value, options = {}) {
  if (typeof value !== 'string') throw new TypeError('WWW-Authenticate value must be a string');
  await init();
  const pow = wasm.powChallengeOf(value);
  if (pow == null) throw new TypeError('no PoW challenge in the WWW-Authenticate value');
  return (await solveSpec({ kind: 'www-authenticate', value: pow }, options)).header;
}

/**
 * Solves a gate's payment-required JSON-RPC error (code -32042 or -32043: the whole
 * message, its `error` or the error's `data`) and answers the `params._meta` entry to
 * retry the same `tools/call` with: `{"org.paymentauth/credential": {...}}`.
 */
export async function solveRpcError(error, options = {}) {
  const text = jsonText(error, 'error');
  return (await solveSpec({ kind: 'rpc-error', error: text }, options)).meta;
}

/** Mints a hashcash version-1 stamp for `resource` with `bits` of work, dated today. */
export async function mintHashcash(resource, bits, options = {}) {
  if (typeof resource !== 'string') throw new TypeError('resource must be a string');
  if (!Number.isInteger(bits) || bits < 0) throw new RangeError('bits must be an integer >= 0');
  return (await solveSpec({ kind: 'hashcash', resource, bits }, options)).stamp;
}

/**
 * Checks a hashcash stamp (28 days' validity, 2 days' grace): `{valid, ...}`. Options:
 * `resource`, `bits` (required), `now` (Unix seconds to check at).
 */
export async function verifyHashcash(stamp, options = {}) {
  await init();
  if (typeof stamp !== 'string') throw new TypeError('stamp must be a string');
  const { bits, now } = options;
  if (bits != null && !(Number.isInteger(bits) && bits >= 0 && bits <= 160)) {
    throw new RangeError(`bits must be an integer 0..=160, not ${bits}`);
  }
  if (now != null && !Number.isFinite(now)) throw new RangeError('now must be Unix seconds');
  try {
    return JSON.parse(wasm.verifyHashcash(stamp, options.resource, options.bits, options.now));
  } catch (e) {
    rethrow(e);
  }
}

/**
 * Verifies a peer scheme's answer as the peer's server does: `{valid: true, ...}` or
 * `{valid: false, reason}`. `secret` is the HMAC key where the peer signs (ALTCHA);
 * `keySecret` ALTCHA v2's key-signature secret (only the exact key the server derived).
 */
export async function verifyPeer(scheme, answer, options = {}) {
  await init();
  try {
    return JSON.parse(
      wasm.verifyPeer(scheme, jsonText(answer, 'answer'), options.secret, options.keySecret),
    );
  } catch (e) {
    rethrow(e);
  }
}

/**
 * Hashes per second of the `sha256-bits` search, measured for `ms` milliseconds on an
 * unsolvable challenge: `{rate, hashes, ms, threads, backend}`.
 */
export async function hashRate(options = {}) {
  const ms = options.ms ?? 2000;
  // The workers start before the clock does (their start-up is not hashing time).
  await executors(options.threads);
  const t0 = performance.now();
  try {
    await solveSpec(
      { kind: 'salt', salt: 'grindstone-benchmark-salt', difficulty: 250 },
      { threads: options.threads, timeout: ms },
    );
  } catch (e) {
    if (!(e instanceof TimeoutError)) throw e;
    const elapsed = performance.now() - t0;
    return {
      rate: e.hashes / (elapsed / 1e3),
      hashes: e.hashes,
      ms: elapsed,
      threads: options.threads ?? (await defaultThreads()),
      backend: wasm.backend(),
    };
  }
  throw new Error('the benchmark challenge was solved');
}

// ---------------------------------------------------------------------------------------
// powFetch

const SOLUTION_HEADER = 'X-PoW-Solution';
const TOKEN_HEADER = 'X-PoW-Token';

/**
 * A `fetch` that pays PoW gates: it answers a `402` carrying `WWW-Authenticate: PoW ...`
 * (or a `200` whose body is the gate's payment-required JSON-RPC error, from a gate set to
 * answer 200) by solving the challenge and retrying once with `X-PoW-Solution`, keeps the
 * `X-PoW-Token` it gets per gate origin and scope (until shortly before it expires) and
 * sends it with later calls of the same tool. Every other header (Authorization,
 * Mcp-Session-Id, ...) and fetch option passes untouched. A challenge it cannot read is
 * not an error: the answer is returned as it came.
 *
 * Options: `fetch` (the fetch to wrap; `globalThis.fetch` by default), `timeout` (ms per
 * solve, 60000 by default), `maxDifficulty` (bits; a gate asking more is refused with a
 * RangeError before any work; 32 by default), `threads`, `signal` (also the request's own
 * signal stops a solve), `margin` (seconds before expiry that a token is dropped; 10). A
 * request whose body is a `ReadableStream` cannot be replayed: it is sent once, unpaid.
 * The returned function has `solves` (challenges solved so far).
 *
 *     const transport = new StreamableHTTPClientTransport(url, { fetch: powFetch() });
 */
export function powFetch(options = {}) {
  const inner = options.fetch ?? globalThis.fetch;
  if (typeof inner !== 'function') throw new TypeError('no fetch to wrap');
  const solveOpts = checkOptions({
    timeout: options.timeout ?? 60_000,
    maxDifficulty: options.maxDifficulty ?? 32,
    threads: options.threads,
    signal: options.signal,
  });
  let cache = null;
  const payingFetch = async (input, requestInit) => {
    await init();
    cache ??= new wasm.TokenCache(options.margin ?? 10);
    if (typeof ReadableStream !== 'undefined' && requestInit?.body instanceof ReadableStream) {
      return inner(input, requestInit);
    }
    const base = new Request(input, requestInit);
    const body =
      base.method === 'GET' || base.method === 'HEAD'
        ? null
        : new Uint8Array(await base.clone().arrayBuffer());
    const gate = new URL(base.url).origin;
    const scope = body && body.length ? wasm.scopeOfRequest(body) : undefined;
    const token = scope ? cache.get(gate, scope) : undefined;
    const send = (set) => {
      const headers = new Headers(base.headers);
      headers.delete(TOKEN_HEADER);
      headers.delete(SOLUTION_HEADER);
      for (const [k, v] of Object.entries(set)) headers.set(k, v);
      if (input instanceof Request) return inner(new Request(base, { headers, body }));
      // The caller's own options (a dispatcher, an agent, ...) go along unchanged.
      return inner(input, { ...requestInit, headers, body });
    };
    const keep = (r) => {
      const t = r.headers.get(TOKEN_HEADER);
      if (t) cache.put(gate, t);
    };
    const resp = await send(token ? { [TOKEN_HEADER]: token } : {});
    const challenge = await paymentChallenge(resp);
    if (challenge == null) {
      keep(resp);
      return resp;
    }
    if (token) cache.remove(gate, scope);
    const signal = anySignal([solveOpts.signal, base.signal]);
    let value;
    try {
      value = await solveWwwAuthenticate(challenge, { ...solveOpts, signal });
    } catch (e) {
      // A challenge that cannot be read: the answer as it came, for the caller to see.
      if (e instanceof TypeError) return resp;
      throw e;
    }
    await resp.body?.cancel().catch(() => {});
    payingFetch.solves++;
    const paid = await send({ [SOLUTION_HEADER]: value });
    keep(paid);
    return paid;
  };
  payingFetch.solves = 0;
  return payingFetch;
}

/** A signal aborted when any of `signals` is (`undefined` when there are none). */
function anySignal(signals) {
  const list = signals.filter(Boolean);
  if (list.length <= 1) return list[0];
  if (typeof AbortSignal.any === 'function') return AbortSignal.any(list);
  const ac = new AbortController();
  for (const s of list) {
    if (s.aborted) {
      ac.abort(s.reason);
      break;
    }
    s.addEventListener('abort', () => ac.abort(s.reason), { once: true });
  }
  return ac.signal;
}

/**
 * The PoW challenge a response asks to be paid, or null: a 402's, or a 200's whose JSON
 * body is the gate's payment-required JSON-RPC error (-32042 or -32043), never a 200
 * that answered the call.
 */
async function paymentChallenge(resp) {
  if (resp.status !== 402 && resp.status !== 200) return null;
  const v = resp.headers.get('www-authenticate');
  const pow = v == null ? null : (wasm.powChallengeOf(v) ?? null);
  if (pow == null || resp.status === 402) return pow;
  if (!(resp.headers.get('content-type') ?? '').includes('json')) return null;
  const body = new Uint8Array(await resp.clone().arrayBuffer());
  return wasm.isPaymentError(body) ? pow : null;
}
