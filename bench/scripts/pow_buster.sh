#!/usr/bin/env bash
# grind against pow-buster (crates.io 0.2.0, the fastest public solver of these gates) on
# the same random challenges, alternating per challenge, each tool a fresh process, for
# 1 thread and for every logical CPU. Reports ms/challenge for each and the ratio
# (pow-buster time / grind time: above 1 means grind is faster).
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
    tg=0; tp=0
    for _ in $(seq "$N"); do
      make "$scheme"
      t0=$(now); "$grind" solve --scheme "$scheme" --threads "$threads" -q - <<< "$g_in" > /dev/null
      t1=$(now); "$pb" "${pb_args[@]}" --num-threads "$threads" > /dev/null
      t2=$(now)
      tg=$((tg + t1 - t0)); tp=$((tp + t2 - t1))
    done
    awk -v s="$scheme" -v t="$threads" -v g="$tg" -v p="$tp" -v n="$N" \
      'BEGIN { printf "| %s | %d | %.1f | %.1f | %.2f |\n", s, t, g/n/1e6, p/n/1e6, p/g }'
  done
done
