// The scalar build (hosts without WebAssembly SIMD) gives the same answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as g from '../index.js';

test('scalar build: same lowest nonces as the SIMD128 kernel found', async () => {
  await g.init({ simd: false });
  assert.equal(await g.backend(), 'scalar');
  // Answers of the SIMD128 build for these salts (api.test.mjs checks that build against
  // its own verifier; here the scalar kernel must find the very same lowest nonces).
  assert.equal(await g.solveSalt('hello', 16), '00000000000000000000000000000000000000000000000LuK');
  const four = await g.solveSalt('hello', 18, { k: 4, threads: 2 });
  assert.deepEqual(four, [
    '00000000000000000000000000000000000000000000000LuK',
    '00000000000000000000000000000000000000000000000S5-',
    '00000000000000000000000000000000000000000000000qZF',
    '00000000000000000000000000000000000000000000001CGu',
  ]);
  const r = await g.hashRate({ ms: 200, threads: 1 });
  assert.equal(r.backend, 'scalar');
});
