#!/usr/bin/env bash
# The npm package's hash rates (WebAssembly: SIMD128 and scalar builds, calling thread and
# workers) in Node and in headless Chromium, each next to its JavaScript baseline measured
# in the same run (node:crypto createHash and awaited WebCrypto in Node; awaited WebCrypto
# in Chromium).
#
#   bench/scripts/wasm_rates.sh            # 3000 ms per row
#   MS=5000 bench/scripts/wasm_rates.sh
#
# Needs node, Debian's chromium, `npm install` in cli/tests/node (playwright-core), and
# the package built (wasm/build).
set -euo pipefail
cd "$(dirname "$0")/../.."
MS=${MS:-3000}
wasm/build > /dev/null
cargo build --release -q -p grind
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port=18791
target/release/grind serve --port $port --store memory -d 12 2> "$work/serve.log" &
for _ in $(seq 50); do grep -q listening "$work/serve.log" && break; sleep 0.1; done

echo "## Node"
(cd js && node bench.mjs "$MS")
echo
echo "## Chromium ($(chromium --version 2>/dev/null | head -1))"
(cd cli/tests/node && node browser.mjs "127.0.0.1:$port" "$work/page.png" "$MS") | node -e '
  const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
  if (r.error) { console.error(r.error); process.exit(1); }
  const m = (x) => (x / 1e6).toFixed(2);
  console.log("| what | M hashes/s | x WebCrypto |");
  console.log("|---|---|---|");
  console.log(`| WebCrypto digest (awaited), page thread | ${(r.webcrypto / 1e6).toFixed(3)} | 1 |`);
  for (const [t, what] of [["0", "page thread"], ["1", "1 worker"], ["2", "2 workers"]]) {
    console.log(`| grindstone-pow ${r.backend}, ${what} | ${m(r.rates[t])} | ${(r.rates[t] / r.webcrypto).toFixed(0)} |`);
  }
  console.log(`\nsolved a 12-bit challenge of grind serve in ${r.solveMs.toFixed(0)} ms; /api/verify: valid=${r.verify.valid}`);
'
