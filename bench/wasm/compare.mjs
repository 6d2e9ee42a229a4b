// Grindstone's WebAssembly solver against pow-buster's (crates.io 0.2.0, its SIMD128
// build) on the same random Anubis challenges, one call into WebAssembly each, on the
// calling thread, alternating which tool goes first. Shared by Node (node.mjs) and the
// Chromium page (index.html): no host API beyond `crypto.getRandomValues`.

/** 64 random bytes in hex: an Anubis challenge's randomData. */
function randomData() {
  const b = crypto.getRandomValues(new Uint8Array(64));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Mean and 95% confidence half-width (1.96 standard errors). */
function meanCi(xs) {
  const n = xs.length;
  const m = xs.reduce((a, x) => a + x, 0) / n;
  const v = n > 1 ? xs.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1) : 0;
  return [m, 1.96 * Math.sqrt(v / n)];
}

/**
 * Runs `n` Anubis challenges of `difficulty` hex zeros through both solvers. `grind` is
 * the package's wasm-bindgen glue (its `solvePeer`), `pb` pow-buster's (its
 * `solve_json`). Answers per tool: ms per challenge (mean, 95% half-width), hashes and
 * the rate (all hashes over all time, the steadier figure: a challenge's time is about
 * exponentially distributed), and the ratios pow-buster / grind (above 1: grind faster).
 */
export function compare({ grind, pb, n, difficulty }) {
  const zeros = '0'.repeat(difficulty);
  const runs = { grind: [], pb: [] };
  const tools = {
    grind(input) {
      const r = JSON.parse(grind.solvePeer('anubis', input, undefined, undefined));
      return [r.hashes, r.response.response];
    },
    pb(input) {
      const r = pb.solve_json(input);
      try {
        return [Number(r.attempted_nonces), r.response];
      } finally {
        r.free();
      }
    },
  };
  for (let i = 0; i < n; i++) {
    const input = JSON.stringify({
      rules: { algorithm: 'fast', difficulty },
      challenge: { id: 'bench', randomData: randomData() },
    });
    for (const name of i % 2 ? ['pb', 'grind'] : ['grind', 'pb']) {
      const t0 = performance.now();
      const [hashes, digest] = tools[name](input);
      const ms = performance.now() - t0;
      if (!digest.startsWith(zeros)) throw new Error(`${name} answered ${digest} for difficulty ${difficulty}`);
      runs[name].push({ ms, hashes });
    }
  }
  const out = { n, difficulty };
  for (const [name, rs] of Object.entries(runs)) {
    const hashes = rs.reduce((a, r) => a + r.hashes, 0);
    const ms = rs.reduce((a, r) => a + r.ms, 0);
    out[name] = { msPerChallenge: meanCi(rs.map((r) => r.ms)), hashes, rate: hashes / (ms / 1e3) };
  }
  const [mg, eg] = out.grind.msPerChallenge;
  const [mp, ep] = out.pb.msPerChallenge;
  const r = mp / mg;
  out.timeRatio = [r, r * Math.hypot(eg / mg, ep / mp)];
  out.rateRatio = out.grind.rate / out.pb.rate;
  return out;
}

/** The result as Markdown rows (`what` names the host). */
export function rows(what, c) {
  const f = ([m, e]) => `${m.toFixed(1)} +- ${e.toFixed(1)}`;
  const rate = (x) => (x / 1e6).toFixed(2);
  return [
    `| ${what} | ${f(c.grind.msPerChallenge)} | ${f(c.pb.msPerChallenge)} | ${c.timeRatio[0].toFixed(2)} +- ${c.timeRatio[1].toFixed(2)} | ${rate(c.grind.rate)} | ${rate(c.pb.rate)} | ${c.rateRatio.toFixed(2)} |`,
  ];
}

export const header = [
  '| host | grind ms/challenge | pow-buster ms/challenge | pow-buster / grind (time) | grind M hashes/s | pow-buster M hashes/s | grind / pow-buster (rate) |',
  '|---|---|---|---|---|---|---|',
];
