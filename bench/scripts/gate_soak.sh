#!/usr/bin/env bash
# Soak: wrk drives POST /api/verify for MINUTES minutes against one `grind serve` with
# the durable store, cycling through a pool larger than the store's bound (so the store
# fills to its bound: then 503 for new ids, 409 for replays); the server's resident
# memory is sampled every 10 s and printed as a curve (seconds, RSS MiB).
#
#   MINUTES=10 MAX=500000 bench/scripts/gate_soak.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES=${MINUTES:-10}
MAX=${MAX:-500000}
POOL_N=${POOL_N:-$((MAX + MAX / 5))}
CONN=${CONN:-64}
export GRIND_GATE_KEY=${GRIND_GATE_KEY:-bench-key-0123456789abcdef0123456789}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --release -q -p grind
cargo build --release -q -p grindstone-gate --example presolve
printf 'max_store_entries = %s\n' "$MAX" > "$work/gate.toml"
port=18797
target/release/grind serve --port $port --config "$work/gate.toml" --store "$work/spent" 2> "$work/serve.log" &
pid=$!
sleep 1
# After the store is created: a new store refuses what was issued before it.
target/release/examples/presolve "$POOL_N" 4 > "$work/pool.jsonl"
POOL="$work/pool.jsonl" THREADS=2 wrk -t2 -c"$CONN" -d"${MINUTES}m" --latency \
  -s gate/examples/verify_faults.lua "http://127.0.0.1:$port" > "$work/wrk.txt" &
wrk_pid=$!
echo "seconds rss_mib store_entries"
t=0
while kill -0 $wrk_pid 2>/dev/null; do
  rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' /proc/$pid/status)
  entries=$(curl -s "http://127.0.0.1:$port/metrics" | awk '/^grindstone_replay_store_entries/ {print $2}')
  echo "$t $rss $entries"
  sleep 10
  t=$((t + 10))
done
cat "$work/wrk.txt"
du -sh "$work/spent"
kill $pid
