#!/usr/bin/env bash
# Verify throughput of the replay stores under the same wrk load, alternating, a fresh
# server (and a fresh store) per run: POST /api/verify with distinct pre-solved bodies
# (gate/examples/verify_load.lua), then GET /health on the same server for reference.
#
#   bench/scripts/gate_load.sh                 # memory, durable, redis x 3 rounds
#   STORES="memory durable" ROUNDS=5 DUR=4s CONN=64 bench/scripts/gate_load.sh
#
# Needs wrk (and redis-server for the redis rows). wrk and the server share the machine.
# Columns: verify req/s, its p99 and non-200 count, /health req/s and p99 on the same
# server (the floor the machine sets: wrk and the server share its cores), the ratio, and
# the server's CPU per request of each route (us).
set -euo pipefail
cd "$(dirname "$0")/../.."
STORES=${STORES:-"memory durable redis"}
ROUNDS=${ROUNDS:-3}
DUR=${DUR:-4s}
CONN=${CONN:-64}
BITS=${BITS:-4}
POOL_N=${POOL_N:-400000}
export GRIND_GATE_KEY=${GRIND_GATE_KEY:-bench-key-0123456789abcdef0123456789}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release -q -p grind
cargo build --release -q -p grindstone-gate --example presolve
grind=target/release/grind
port=18787
start() { # store spec; sets $pid (no command substitution: its subshell would run the EXIT trap)
  "$grind" serve --port $port --store "$1" 2> "$work/serve.log" &
  pid=$!
  for _ in $(seq 100); do
    grep -q "listening on" "$work/serve.log" 2>/dev/null && break
    sleep 0.05
  done
}

# A new durable store refuses what was issued before it was created: create an empty one
# before presolving, and give each durable run a copy of it.
start "$work/spent-new"
kill "$pid"; wait "$pid" 2>/dev/null || true
echo "presolving $POOL_N challenges at $BITS bits..." >&2
target/release/examples/presolve "$POOL_N" "$BITS" > "$work/pool.jsonl"

redis_pid=""
if [[ " $STORES " == *" redis "* ]]; then
  redis-server --port 16379 --save "" --appendonly no > /dev/null &
  redis_pid=$!
  sleep 0.5
fi

# Server CPU per request (user + system of grind serve, its store's writer thread
# included, redis-server's not; from /proc/PID/stat over each wrk run): steadier than
# requests/s on a VM whose cores wrk shares.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
per_req() { # ticks before, ticks after, requests -> microseconds
  awk -v a="$1" -v b="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", (b - a) * 1e6 / hz / n}'
}
printf '%-8s %-6s %12s %10s %10s %12s %10s %13s %10s %10s\n' store round "verify/s" "p99 ms" non-200 "health/s" "p99 ms" "verify/health" "us/verify" "us/health"
for round in $(seq "$ROUNDS"); do
  for store in $STORES; do
    case $store in
      memory) spec=memory ;;
      durable) rm -rf "$work/spent"; cp -r "$work/spent-new" "$work/spent"; spec="$work/spent" ;;
      redis) redis-cli -p 16379 FLUSHALL > /dev/null; spec=redis://127.0.0.1:16379/0 ;;
    esac
    start "$spec"
    t0=$(cpu_ticks "$pid")
    out=$(POOL="$work/pool.jsonl" THREADS=2 wrk -t2 -c"$CONN" -d"$DUR" --latency \
      -s gate/examples/verify_load.lua "http://127.0.0.1:$port")
    t1=$(cpu_ticks "$pid")
    rps=$(awk '/^Requests\/sec/ {print $2}' <<< "$out")
    p99=$(awk '/^p50/ {print $5}' <<< "$out")
    # wrk prints the line only when some answer was not 2xx/3xx; socket errors count too.
    non200=$(awk '/^  Non-2xx or 3xx responses:/ {n = $NF} /^  Socket errors:/ {for (i = 3; i <= NF; i++) e += $i} END {print n + 0 + e}' <<< "$out")
    hout=$(wrk -t2 -c"$CONN" -d"$DUR" --latency "http://127.0.0.1:$port/health")
    t2=$(cpu_ticks "$pid")
    hrps=$(awk '/^Requests\/sec/ {print $2}' <<< "$hout")
    # wrk's latency distribution line, "99%  4.41ms" (us, ms or s), in ms.
    hp99=$(awk '$1 == "99%" {v = $2 + 0; if ($2 ~ /us$/) v /= 1000; else if ($2 ~ /[0-9]s$/) v *= 1000; printf "%.2f", v}' <<< "$hout")
    us_v=$(per_req "$t0" "$t1" "$(awk '/ requests in / {print $1}' <<< "$out")")
    us_h=$(per_req "$t1" "$t2" "$(awk '/ requests in / {print $1}' <<< "$hout")")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    ratio=$(awk -v a="$rps" -v b="$hrps" 'BEGIN {printf "%.2f", a / b}')
    printf '%-8s %-6s %12s %10s %10s %12s %10s %13s %10s %10s\n' "$store" "$round" "$rps" "$p99" "$non200" "$hrps" "$hp99" "$ratio" "$us_v" "$us_h"
  done
done
if [ -n "$redis_pid" ]; then kill "$redis_pid"; fi
