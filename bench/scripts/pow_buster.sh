#!/usr/bin/env bash
# grind against pow-buster (crates.io 0.2.0, the fastest public solver of these gates) on
# the same random challenges, alternating per challenge, each tool a fresh process, for
# 1 thread and for every logical CPU. Reports ms/challenge for each and the ratio
# (pow-buster time / grind time: above 1 means grind is faster), each with its 95%
# confidence half-width (solve times scatter widely: use N=200 or more to settle a ratio).
#
#   bench/scripts/pow_buster.sh                      # anubis d=6, go-away d=26, mcaptcha 5e7
#   N=60 SCHEMES="anubis" bench/scripts/pow_buster.sh
#
# pow-buster is installed once into target/pow-buster (not a dependency; never in CI):
#   RUSTFLAGS=-Ctarget-cpu=native cargo install pow-buster@0.2.0 --features cli,compare-64bit
# (its `solve` asserts without compare-64bit). mCaptcha: pow-buster's CLI hashes
# `salt + nonce` while the real message is `salt + bincode(phrase) + nonce`, whose length
# prefix has NUL bytes no argument can carry, so the two solve different messages of the
# same difficulty: compare the averages over many challenges, not one by one.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-60}
SCHEMES=${SCHEMES:-"anubis go-away mcaptcha"}
ANUBIS_D=${ANUBIS_D:-6}
GOAWAY_D=${GOAWAY_D:-26}
MCAPTCHA_D=${MCAPTCHA_D:-50000000}
root=${POW_BUSTER_ROOT:-target/pow-buster}
pb="$root/bin/pow-buster"
if [ ! -x "$pb" ]; then
  RUSTFLAGS=-Ctarget-cpu=native cargo install --quiet pow-buster@0.2.0 \
    --features cli,compare-64bit --root "$root"
fi
cargo build --release -q -p grind
grind=target/release/grind
all=$(nproc)
times=$(mktemp)
trap 'rm -f "$times"' EXIT
hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
now() { date +%s%N; }

# One challenge for both tools: sets $g_in (grind's stdin JSON) and $pb_args.
make() {
  case "$1" in
    anubis)
      local rd; rd=$(hex 64)
      g_in="{\"rules\":{\"algorithm\":\"fast\",\"difficulty\":$ANUBIS_D},\"challenge\":{\"id\":\"b\",\"randomData\":\"$rd\"}}"
      pb_args=(solve --scheme anubis --salt "$rd" --difficulty "$ANUBIS_D") ;;
    go-away)
      local c; c=$(hex 32)
      g_in="{\"challenge\":\"$c\",\"difficulty\":$GOAWAY_D}"
      pb_args=(solve --scheme goaway --salt "$c" --difficulty "$GOAWAY_D") ;;
    mcaptcha)
      local s; s=$(hex 16)
      g_in="{\"string\":\"\",\"salt\":\"$s\",\"difficulty_factor\":$MCAPTCHA_D}"
      pb_args=(solve --scheme mcaptcha --salt "$s" --difficulty "$MCAPTCHA_D") ;;
  esac
}

printf '%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $all logical CPUs, $N challenges per row"
printf '| scheme | threads | grind ms/challenge | pow-buster ms/challenge | pow-buster / grind |\n|---|---|---|---|---|\n'
for scheme in $SCHEMES; do
  for threads in 1 "$all"; do
    : > "$times"
    for _ in $(seq "$N"); do
      make "$scheme"
      t0=$(now); "$grind" solve --scheme "$scheme" --threads "$threads" -q - <<< "$g_in" > /dev/null
      t1=$(now); "$pb" "${pb_args[@]}" --num-threads "$threads" > /dev/null
      t2=$(now)
      echo "$((t1 - t0)) $((t2 - t1))" >> "$times"
    done
    # Means with their 95% confidence half-widths (1.96 standard errors): a challenge's
    # time is about exponentially distributed, so 60 of them leave about +-25% on each
    # mean; the ratio's interval combines both (first order).
    awk -v s="$scheme" -v t="$threads" '
      { g += $1; gg += $1 * $1; p += $2; pp += $2 * $2; n++ }
      END {
        mg = g / n; mp = p / n
        if (n < 2) { printf "| %s | %d | %.1f | %.1f | %.2f |\n", s, t, mg / 1e6, mp / 1e6, mp / mg; exit }
        eg = 1.96 * sqrt((gg / n - mg * mg) / (n - 1)); ep = 1.96 * sqrt((pp / n - mp * mp) / (n - 1))
        r = mp / mg; er = r * sqrt((eg / mg) ^ 2 + (ep / mp) ^ 2)
        printf "| %s | %d | %.1f +- %.1f | %.1f +- %.1f | %.2f +- %.2f |\n", s, t, mg / 1e6, eg / 1e6, mp / 1e6, ep / 1e6, r, er
      }' "$times"
  done
done
