// Types of grindstone-pow (index.js).

/** Options every solve takes. */
export interface SolveOptions {
  /** Give up after this many milliseconds, at most 2^31 - 1 (rejects with `TimeoutError`). */
  timeout?: number;
  /** Refuse (RangeError, before any work) a challenge asking more bits of work than this. */
  maxDifficulty?: number;
  /** Stop when aborted (rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Worker threads; `0` runs on the calling thread. Default: one per logical CPU. */
  threads?: number;
}

/** A Grindstone / captcha-mcp challenge (`grind serve`'s `/api/challenge`, the MCP `challenge` tool). */
export interface Challenge {
  id?: string;
  salt: string;
  difficulty: number;
  signature?: string;
  /** Solutions asked for (absent: 1). */
  k?: number;
  [extra: string]: unknown;
}

/** The `verify` request for a solved challenge (POST it to `/api/verify`). */
export interface VerifyRequest {
  id?: string;
  salt: string;
  nonce: string;
  nonces?: string[];
  signature?: string;
  algo: string;
  difficulty: number;
  [extra: string]: unknown;
}

/** The peer schemes `solve` takes with `scheme`. */
export type PeerScheme = 'anubis' | 'altcha' | 'altcha-v2' | 'mcaptcha' | 'cap' | 'go-away';

/** A verifier's verdict. */
export interface Verdict {
  valid: boolean;
  /** Why not, when `valid` is false. */
  reason?: string;
  [detail: string]: unknown;
}

/** A solve ran past its `timeout`. */
export class TimeoutError extends Error {
  constructor(message: string, hashes?: number);
  readonly name: 'TimeoutError';
  /** Candidates tried (0 for peer schemes, which count inside one call). */
  readonly hashes: number;
}

/** The whole nonce space was searched without a solution. */
export class ExhaustedError extends Error {
  constructor(message: string, hashes?: number);
  readonly name: 'ExhaustedError';
  readonly hashes: number;
}

/** Whether this host runs WebAssembly SIMD (then the SIMD128 build is loaded). */
export const simdSupported: boolean;

/**
 * Loads the WebAssembly module (once). `simd: false` forces the scalar build; `module`
 * passes a module you compiled.
 */
export function init(options?: { simd?: boolean; module?: WebAssembly.Module }): Promise<WebAssembly.Module>;

/** The kernel the loaded module runs: `simd128` or `scalar`. */
export function backend(): Promise<'simd128' | 'scalar'>;

/** Worker threads used when `threads` is not given. */
export function defaultThreads(): Promise<number>;

/** Stops the worker threads (a later solve starts new ones). */
export function terminateWorkers(): void;

/** Solves a Grindstone / captcha-mcp challenge: the `verify` request to send back. */
export function solve(
  challenge: Challenge | string,
  options?: SolveOptions & { scheme?: 'sha256-bits' },
): Promise<VerifyRequest>;
/**
 * Solves a peer scheme's challenge (its own JSON): the peer's own answer. `lowest`: a
 * decimal scheme answers the lowest valid number (as the peer's own solver) rather than
 * the faster layout's number.
 */
export function solve(
  challenge: object | string,
  options: SolveOptions & { scheme: PeerScheme; lowest?: boolean },
): Promise<Record<string, unknown>>;

/** A nonce with `difficulty` leading zero bits of SHA-256(salt + nonce). */
export function solveSalt(salt: string, difficulty: number, options?: SolveOptions & { k?: 1 }): Promise<string>;
/** `k` nonces of `difficulty - log2 k` bits each. */
export function solveSalt(salt: string, difficulty: number, options: SolveOptions & { k: number }): Promise<string | string[]>;

/** Whether SHA-256(salt + nonce) meets `difficulty` bits (TypeError for impossible input). */
export function verify(salt: string, nonce: string, difficulty: number): Promise<boolean>;

/** The `X-PoW-Solution` value answering a `WWW-Authenticate: PoW ...` value. */
export function solveWwwAuthenticate(value: string, options?: SolveOptions): Promise<string>;

/** The `params._meta` entry answering a gate's payment-required JSON-RPC error. */
export function solveRpcError(error: object | string, options?: SolveOptions): Promise<Record<string, unknown>>;

/** A hashcash version-1 stamp for `resource` with `bits` of work, dated today. */
export function mintHashcash(resource: string, bits: number, options?: SolveOptions): Promise<string>;

/** Checks a hashcash stamp (28 days' validity, 2 days' grace). */
export function verifyHashcash(
  stamp: string,
  options?: { resource?: string; bits?: number; now?: number },
): Promise<Verdict>;

/** Verifies a peer scheme's answer as the peer's server does (`secret`: the HMAC key, ALTCHA). */
export function verifyPeer(
  scheme: PeerScheme,
  answer: object | string,
  options?: { secret?: string; keySecret?: string },
): Promise<Verdict>;

/** The `sha256-bits` hash rate, measured for `ms` milliseconds. */
export function hashRate(options?: { ms?: number; threads?: number }): Promise<{
  rate: number;
  hashes: number;
  ms: number;
  threads: number;
  backend: string;
}>;

/** Options of `powFetch` (defaults: `timeout` 60000 ms, `maxDifficulty` 32 bits). */
export interface PowFetchOptions extends SolveOptions {
  /** The fetch to wrap (default: `globalThis.fetch`). */
  fetch?: typeof fetch;
  /** Seconds before expiry that a cached token is dropped (default 10). */
  margin?: number;
}

/** A `fetch` that pays PoW gates on its own; `solves` counts the challenges solved. */
export type PowFetch = typeof fetch & { solves: number };

/** Wraps `fetch` so that it pays PoW gates (plug into `StreamableHTTPClientTransport`'s `fetch`). */
export function powFetch(options?: PowFetchOptions): PowFetch;
