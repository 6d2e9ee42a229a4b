// Creates challenges with the real peer libraries, has `grind` solve them, and checks the
// answers with the same libraries. Prints one JSON line per check; exits 1 on a failure.
// usage: node interop.mjs /path/to/grind
import { execFileSync } from 'node:child_process';
import Cap from '@cap.js/server';
import * as v1 from 'altcha-lib/v1';
import { createChallenge, solveChallenge, verifySolution } from 'altcha-lib';

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
// ALTCHA v1: altcha-lib hashes `salt + number` as JavaScript concatenates, so a payload
// whose number is a JSON string is the same answer; grind agrees.
const verifyCli = (scheme, answer, args) => {
  try {
    execFileSync(grind, ['verify', '--scheme', scheme, ...args, '-'], { input: typeof answer === 'string' ? answer : JSON.stringify(answer) });
    return 0;
  } catch (e) {
    return e.status;
  }
};
{
  const p = JSON.parse(Buffer.from(p1, 'base64').toString());
  const asText = Buffer.from(JSON.stringify({ ...p, number: String(p.number) })).toString('base64');
  const lib = await v1.verifySolution(asText, 'k1');
  report('altcha v1 string number: altcha-lib and grind agree', lib === true && verifyCli('altcha', asText, ['--secret', 'k1']) === 0);
  const padded = Buffer.from(JSON.stringify({ ...p, number: `0${p.number}` })).toString('base64');
  report('altcha v1 other text refused by both', (await v1.verifySolution(padded, 'k1')) === false && verifyCli('altcha', padded, ['--secret', 'k1']) === 1);
}

// ALTCHA v2 with a key signature: the server derived the key at counter 5000 and signed
// it under a separate secret. grind's lowest counter is another one whose key shares the
// one-byte prefix: altcha-lib with the key secret refuses it, and so does grind with
// --key-secret; without that secret both accept it. The server's own key passes both.
{
  const { deriveKey } = await import('altcha-lib/algorithms/sha');
  const c = await createChallenge({ algorithm: 'SHA-256', cost: 1, deriveKey, counter: 5000, keyPrefixLength: 1, hmacSignatureSecret: 's', hmacKeySignatureSecret: 'ks' });
  const out = solve('altcha-v2', c);
  const answer = JSON.parse(Buffer.from(out.payload, 'base64').toString());
  const lib = (ks) => verifySolution({ challenge: answer.challenge, solution: answer.solution, deriveKey, hmacSignatureSecret: 's', ...(ks ? { hmacKeySignatureSecret: ks } : {}) });
  report('altcha v2 colliding counter: refused with the key secret by both',
    out.counter !== 5000 && (await lib('ks')).verified === false && verifyCli('altcha-v2', answer, ['--secret', 's', '--key-secret', 'ks']) === 1,
    { counter: out.counter });
  report('altcha v2 colliding counter: accepted without it by both',
    (await lib()).verified === true && verifyCli('altcha-v2', answer, ['--secret', 's']) === 0);
  const own = await solveChallenge({ challenge: c, deriveKey, counterStart: 5000 });
  const ownAnswer = { challenge: c, solution: own };
  const ownLib = await verifySolution({ challenge: c, solution: own, deriveKey, hmacSignatureSecret: 's', hmacKeySignatureSecret: 'ks' });
  report('altcha v2 the server\'s own key: accepted with the key secret by both',
    own.counter === 5000 && ownLib.verified === true && verifyCli('altcha-v2', ownAnswer, ['--secret', 's', '--key-secret', 'ks']) === 0);
}
process.exit(failed ? 1 : 0);
