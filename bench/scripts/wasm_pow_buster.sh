#!/usr/bin/env bash
# The npm package's WebAssembly kernel against pow-buster's (crates.io 0.2.0, the fastest
# public WebAssembly solver of these gates, its SIMD128 build) on the same random Anubis
# challenges, in Node and in headless Chromium, on the calling thread, alternating which
# tool goes first (bench/wasm/compare.mjs). Reports ms/challenge and hash rate for each,
# and the ratios; also the package's sha256-bits rate on the same thread.
#
#   bench/scripts/wasm_pow_buster.sh              # 60 challenges of difficulty 5 per host
#   N=200 D=5 bench/scripts/wasm_pow_buster.sh
#
# pow-buster is built once into target/pow-buster-wasm (not a dependency; never in CI) as
# its build_wasm.sh builds it (`--no-default-features --features adapter`, +simd128, its
# own `solve_json` export), with wasm-bindgen-cli at our pinned version, and with
# `wasm-opt -O4` (Debian's binaryen) where wasm-opt is installed, as its wasm-pack
# profile asks. Needs what bench/scripts/wasm_rates.sh needs.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-60}
D=${D:-5}
root=$PWD/target/pow-buster-wasm
pkg=$root/pkg
if [ ! -f "$pkg/pow_buster_wasm_anchor_bg.wasm" ]; then
  bindgen=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
  mkdir -p "$root/src"
  cat > "$root/Cargo.toml" <<TOML
[package]
name = "pow-buster-wasm-anchor"
version = "0.0.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
pow-buster = { version = "=0.2.0", default-features = false, features = ["adapter"] }
wasm-bindgen = "=$bindgen"

[profile.release]
opt-level = 3

[workspace]
TOML
  cat > "$root/src/lib.rs" <<'RUST'
//! Links pow-buster's own WebAssembly exports (`solve_json`, from its wasm_ffi.rs).
pub use pow_buster;
RUST
  (cd "$root" && RUSTFLAGS='-C target-feature=+simd128' \
    cargo build --quiet --release --target wasm32-unknown-unknown)
  wasm=$root/target/wasm32-unknown-unknown/release/pow_buster_wasm_anchor.wasm
  if command -v wasm-opt > /dev/null; then
    # Before wasm-bindgen: Debian's binaryen 108 mangles the glue's externref table.
    wasm-opt -O4 --enable-simd --enable-bulk-memory --enable-sign-ext \
      --enable-mutable-globals --enable-nontrapping-float-to-int "$wasm" -o "$root/opt.wasm"
    mv "$root/opt.wasm" "$wasm"
  fi
  wasm-bindgen --target web --out-dir "$pkg" "$wasm"
fi
wasm/build > /dev/null

printf '%s, N=%s challenges of difficulty %s per host\n' \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" "$N" "$D"
node bench/wasm/node.mjs "$pkg" "$N" "$D"
echo
node bench/wasm/browser.mjs "$pkg" "$N" "$D" | node -e '
  import("./bench/wasm/compare.mjs").then(({ rows }) => {
    const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
    if (r.error) { console.error(r.error); process.exit(1); }
    console.log(rows(`Chromium (${process.argv[1]})`, r).join("\n"));
    console.log(`grindstone-pow sha256-bits on the same thread: ${(r.sha256Bits / 1e6).toFixed(2)} M hashes/s`);
  });' "$(chromium --version 2>/dev/null | head -1)"
