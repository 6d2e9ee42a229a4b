// Creates challenges with the real peer libraries, has `grind` solve them, and checks the
// answers with the same libraries. Prints one JSON line per check; exits 1 on a failure.
// usage: node interop.mjs /path/to/grind
import { execFileSync } from 'node:child_process';
import Cap from '@cap.js/server';
import * as v1 from 'altcha-lib/v1';
import { createChallenge, verifySolution } from 'altcha-lib';

const grind = process.argv[2];
const solve = (scheme, challenge) =>
  JSON.parse(execFileSync(grind, ['solve', '--scheme', scheme, '-'], { input: JSON.stringify(challenge) }).toString());
let failed = false;
const report = (name, ok, extra = {}) => {
  console.log(JSON.stringify({ name, ok, ...extra }));
  if (!ok) failed = true;
};

// Cap: the real server accepts grind's solutions once.
const cap = new Cap({ noFSState: true });
const ch = await cap.createChallenge({ challengeCount: 8, challengeSize: 32, challengeDifficulty: 3 });
const redeem = solve('cap', ch);
report('cap redeem', (await cap.redeemChallenge(redeem)).success === true);
report('cap replay refused', (await cap.redeemChallenge(redeem)).success === false);

// ALTCHA v1: the real verifier accepts grind's payload, and refuses it under another key.
const c1 = await v1.createChallenge({ hmacKey: 'k1', maxnumber: 50000 });
const p1 = solve('altcha', c1).payload;
report('altcha v1 verify', (await v1.verifySolution(p1, 'k1')) === true);
report('altcha v1 wrong key refused', (await v1.verifySolution(p1, 'k2')) === false);

// ALTCHA v2, every derivation node 20 has.
const algs = {
  'SHA-256': ['sha', { cost: 20 }],
  'SHA-512': ['sha', { cost: 5 }],
  'PBKDF2/SHA-256': ['pbkdf2', { cost: 50 }],
  'PBKDF2/SHA-384': ['pbkdf2', { cost: 10 }],
  'PBKDF2/SHA-512': ['pbkdf2', { cost: 10 }],
  SCRYPT: ['scrypt', { cost: 64, memoryCost: 8 }],
};
for (const [algorithm, [mod, opts]] of Object.entries(algs)) {
  const { deriveKey } = await import(`altcha-lib/algorithms/${mod}`);
  const c2 = await createChallenge({ algorithm, deriveKey, hmacSignatureSecret: 's', keyPrefix: '0', ...opts });
  const out = solve('altcha-v2', c2);
  const payload = JSON.parse(Buffer.from(out.payload, 'base64').toString());
  const r = await verifySolution({ challenge: payload.challenge, solution: payload.solution, deriveKey, hmacSignatureSecret: 's' });
  report(`altcha v2 ${algorithm}`, r.verified === true, { counter: out.counter });
}
process.exit(failed ? 1 : 0);
