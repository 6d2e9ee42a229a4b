// The package's API on the shared vectors (produced by the real peer tools, vectors/),
// answers checked by the package's own verifiers (the Rust ones, in WebAssembly), and
// bad input: clear TypeError/RangeError, named timeout errors, aborts, never a hang.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import * as g from '../index.js';

const vectors = (name) =>
  JSON.parse(readFileSync(new URL(`../../vectors/${name}`, import.meta.url), 'utf8'));

test('the SIMD128 build is the one loaded, where the host has SIMD', async () => {
  assert.equal(g.simdSupported, true, 'Node >= 18 runs WebAssembly SIMD');
  assert.equal(await g.backend(), 'simd128');
});

test('sha256-bits: captcha-mcp vectors verify, and solveSalt answers verify', async () => {
  for (const c of vectors('powforge_captcha.json').cases) {
    assert.equal(await g.verify(c.salt, c.nonce, c.difficulty_bits), true, c.salt);
    assert.equal(await g.verify(c.salt, c.nonce + 'x', 200), false);
    const nonce = await g.solveSalt(c.salt, c.difficulty_bits);
    assert.equal(await g.verify(c.salt, nonce, c.difficulty_bits), true);
  }
});

test('the answer does not depend on the thread count (lowest nonces)', async () => {
  for (const [salt, d, k] of [
    ['threads', 14, 1],
    ['x'.repeat(55), 12, 1],
    ['y'.repeat(64), 13.5, 1],
    ['multi', 16, 8],
  ]) {
    const inline = await g.solveSalt(salt, d, { k, threads: 0 });
    const one = await g.solveSalt(salt, d, { k, threads: 1 });
    const two = await g.solveSalt(salt, d, { k, threads: 2 });
    assert.deepEqual(one, inline, salt);
    assert.deepEqual(two, inline, salt);
    for (const n of k === 1 ? [inline] : inline) {
      assert.equal(await g.verify(salt, n, d - Math.log2(k)), true);
    }
    if (k > 1) assert.equal(new Set(inline).size, k);
  }
});

test('a captcha-mcp challenge answers the verify request', async () => {
  const ch = { id: 'c-1', salt: 'abc', difficulty: 12, signature: 'sig', k: 2 };
  const v = await g.solve(ch);
  assert.equal(v.id, 'c-1');
  assert.equal(v.signature, 'sig');
  assert.equal(v.nonces.length, 2);
  for (const n of v.nonces) assert.equal(await g.verify('abc', n, 11), true);
  assert.deepEqual(await g.solve(JSON.stringify(ch)), v);
});

test('hashcash: the real hashcash binary\'s stamps check, ours too', async () => {
  const v = vectors('hashcash.json');
  const at = Date.UTC(2026, 10, 22) / 1000;
  for (const c of v.valid.filter((c) => c.stamp.split(':')[2].startsWith('2611'))) {
    const r = await g.verifyHashcash(c.stamp, { resource: c.resource, bits: c.bits, now: at });
    assert.equal(r.valid, true, c.stamp);
  }
  for (const c of v.invalid) {
    const r = await g.verifyHashcash(c.stamp, { resource: c.resource, bits: c.check_bits, now: at });
    assert.equal(r.valid, false, c.stamp);
    assert.match(r.reason, /bits/);
  }
  const stamp = await g.mintHashcash('agent@example.com', 14, { threads: 2 });
  assert.match(stamp, /^1:14:\d{6}:agent@example.com::/);
  assert.equal((await g.verifyHashcash(stamp, { resource: 'agent@example.com', bits: 14 })).valid, true);
  assert.equal((await g.verifyHashcash(stamp, { resource: 'other@example.com' })).valid, false);
  await assert.rejects(g.verifyHashcash('2:bad'), TypeError);
});

test('anubis: the upstream vector, solved and verified', async () => {
  const c = vectors('anubis.json').cases[1];
  const ch = {
    rules: { algorithm: 'fast', difficulty: c.difficulty },
    challenge: { id: 'u-1', randomData: c.randomData },
  };
  const r = await g.solve(ch, { scheme: 'anubis', lowest: true });
  assert.equal(String(r.nonce), c.nonce);
  assert.equal(r.response, c.response);
  const answer = { randomData: c.randomData, difficulty: c.difficulty, nonce: r.nonce, response: r.response };
  assert.equal((await g.verifyPeer('anubis', answer)).valid, true);
  // By default the number laid out for the kernels: 16 digits, exact as a JS number.
  const fast = await g.solve(ch, { scheme: 'anubis' });
  assert.ok(Number.isSafeInteger(fast.nonce) && fast.nonce >= 1e15, String(fast.nonce));
  const fastAnswer = { ...answer, nonce: fast.nonce, response: fast.response };
  assert.equal((await g.verifyPeer('anubis', fastAnswer)).valid, true);
  await assert.rejects(g.solve(ch, { scheme: 'anubis', lowest: 'yes' }), TypeError);
  assert.equal((await g.verifyPeer('anubis', { ...answer, nonce: r.nonce + 1 })).valid, false);
  await assert.rejects(g.verifyPeer('anubis', { ...answer, nonce: 'abc' }), TypeError);
});

test('mcaptcha: solved, and the peer\'s own proofs verify', async () => {
  for (const c of vectors('mcaptcha_pow_sha256.json').cases) {
    const cfg = { string: c.phrase, salt: c.salt, difficulty_factor: c.difficulty_factor, key: 'k' };
    const r = await g.solve(cfg, { scheme: 'mcaptcha', threads: 0 });
    assert.equal(r.key, 'k');
    assert.equal((await g.verifyPeer('mcaptcha', { ...cfg, nonce: r.nonce, result: r.result })).valid, true);
    assert.equal((await g.verifyPeer('mcaptcha', { ...cfg, nonce: c.nonce, result: c.result })).valid, true);
  }
});

test('cap: the library\'s own solutions', async () => {
  const c = vectors('cap.json').cases[0];
  const r = await g.solve(c.challenge_response, { scheme: 'cap', lowest: true });
  assert.deepEqual(r.solutions, c.solutions);
  const answer = { ...c.challenge_response, expires: Number.MAX_SAFE_INTEGER, solutions: r.solutions };
  assert.equal((await g.verifyPeer('cap', answer)).valid, true);
});

test('altcha v1 and v2: solved, verified with the HMAC secret', async () => {
  const v = vectors('altcha.json');
  const secret = v.hmac_secret;
  const r = await g.solve(v.v1[0].challenge, { scheme: 'altcha' });
  assert.equal(r.number, v.v1[0].solution_number);
  assert.equal((await g.verifyPeer('altcha', r, { secret })).valid, true);
  assert.equal((await g.verifyPeer('altcha', r, { secret: 'nope' })).valid, false);
  await assert.rejects(g.verifyPeer('altcha', r), TypeError, 'no secret');
  const r2 = await g.solve(v.v2[0].challenge, { scheme: 'altcha-v2' });
  assert.equal((await g.verifyPeer('altcha-v2', r2.payload ?? r2, { secret })).valid, true);
});

test('go-away: the runtime\'s own challenge, solved and verified with its key', async () => {
  const v = vectors('go_away.json');
  const r = await g.solve(v.make_challenge, { scheme: 'go-away' });
  assert.ok(r.token.startsWith(v.make_challenge.challenge));
  const answer = { token: r.token, difficulty: 20 };
  assert.equal((await g.verifyPeer('go-away', answer, { secret: v.key_b64 })).valid, true);
  assert.equal((await g.verifyPeer('go-away', { token: v.invalid_token, difficulty: 20 }, { secret: v.key_b64 })).valid, false);
});

test('bad input is a TypeError or RangeError with a reason', async () => {
  await assert.rejects(g.solve({ salt: 'x' }), TypeError);
  await assert.rejects(g.solve('{not json'), TypeError);
  await assert.rejects(g.solve(42), TypeError);
  await assert.rejects(g.solve('{}', { scheme: 'nope' }), /unknown scheme/);
  await assert.rejects(g.solve('{}', { scheme: 'anubis' }), TypeError);
  await assert.rejects(g.solveSalt('x', -1), TypeError);
  await assert.rejects(g.solveSalt('x', 'ten'), TypeError);
  await assert.rejects(g.solveSalt('x', 300), TypeError);
  await assert.rejects(g.solveSalt('x', 8, { k: 0 }), RangeError);
  await assert.rejects(g.solveSalt('x', 8, { timeout: -5 }), RangeError);
  await assert.rejects(g.solveSalt('x', 8, { threads: 1.5 }), RangeError);
  await assert.rejects(g.solveSalt('x', 8, { signal: {} }), TypeError);
  await assert.rejects(g.verify('x', '', 8), TypeError);
  await assert.rejects(g.verify('x', 'a\u0001', 8), TypeError);
  await assert.rejects(g.solveWwwAuthenticate('Bearer realm="x"'), /no PoW challenge/);
  await assert.rejects(g.solveWwwAuthenticate('PoW challenge="garbage"'), TypeError);
  await assert.rejects(g.solveWwwAuthenticate(17), TypeError);
  await assert.rejects(g.solveRpcError({ code: -32601, message: 'nope' }), TypeError);
  await assert.rejects(g.mintHashcash('has space', 8), TypeError);
  for (const timeout of [Infinity, 2 ** 31, NaN, 1e30]) {
    await assert.rejects(g.solveSalt('x', 8, { timeout }), RangeError, String(timeout));
    await assert.rejects(g.solve('{}', { scheme: 'anubis', timeout, threads: 0 }), RangeError);
  }
  await assert.rejects(g.solveSalt('x', 40, { maxDifficulty: 32 }), /maxDifficulty 32/);
  assert.equal(typeof (await g.solveSalt('x', 8, { maxDifficulty: 8 })), 'string');
  await assert.rejects(g.verifyHashcash('1:8:261121:a::b:c', { bits: -1 }), RangeError);
});

test('a long peer solve neither blocks nor breaks the shared workers', async () => {
  const ac = new AbortController();
  const slow = g.solve({ rules: { algorithm: 'fast', difficulty: 12 }, challenge: { id: 'x', randomData: 'long' } },
    { scheme: 'anubis', signal: ac.signal });
  const t0 = performance.now();
  const nonces = await g.solveSalt('beside', 14, { threads: 2 });
  assert.ok(performance.now() - t0 < 5000);
  assert.equal(await g.verify('beside', nonces, 14), true);
  ac.abort();
  await assert.rejects(slow, { name: 'AbortError' });
  assert.equal(await g.verify('after', await g.solveSalt('after', 12, { threads: 2 }), 12), true);
});

test('a timeout rejects with TimeoutError, on workers and inline', async () => {
  for (const threads of [0, 1, 2]) {
    const t0 = performance.now();
    const e = await g.solveSalt('slow', 200, { timeout: 150, threads }).catch((e) => e);
    assert.ok(e instanceof g.TimeoutError, `${threads}: ${e}`);
    assert.equal(e.name, 'TimeoutError');
    assert.ok(e.hashes > 0, `${threads}: ${e.hashes} hashes in ${performance.now() - t0} ms`);
    assert.ok(performance.now() - t0 < 2000, 'prompt');
  }
  const e = await g.solve({ rules: { algorithm: 'fast', difficulty: 12 }, challenge: { id: 'x', randomData: 'slow' } },
    { scheme: 'anubis', timeout: 100 }).catch((e) => e);
  assert.ok(e instanceof g.TimeoutError, String(e));
});

test('an AbortSignal stops a solve with its reason', async () => {
  const ac = new AbortController();
  const p = g.solveSalt('abort', 200, { signal: ac.signal, threads: 2 });
  setTimeout(() => ac.abort(), 100);
  await assert.rejects(p, { name: 'AbortError' });
  await assert.rejects(g.solveSalt('abort', 8, { signal: AbortSignal.abort(new Error('mine')) }), /mine/);
  const ac2 = new AbortController();
  const peer = g.solve({ rules: { algorithm: 'fast', difficulty: 12 }, challenge: { id: 'x', randomData: 'slow' } },
    { scheme: 'anubis', signal: ac2.signal });
  setTimeout(() => ac2.abort(), 100);
  await assert.rejects(peer, { name: 'AbortError' });
  // The pool still works afterwards.
  assert.equal(await g.verify('after', await g.solveSalt('after', 10), 10), true);
});

test('hashRate measures the kernel', async () => {
  const r = await g.hashRate({ ms: 300, threads: 1 });
  assert.equal(r.backend, 'simd128');
  assert.ok(r.rate > 1e5, String(r.rate));
});
