#!/usr/bin/env bash
# Round trips of lunette beside the floor (`loadgen floor`: the same stack with no Lua and no
# tracker), alternating fresh servers so that all see the same machine: one line per server per
# round, then each server's median p50 and p99, its p50 as a ratio to the floor's, and its CPU
# time per round trip (user + system, from /proc, warm-up included) (BENCHMARKS.md). BINS lists lunette binaries to compare (e.g. a build of main and this tree);
# LUNETTE_ARGS is passed to each of them. BUSY_US=N adds a floor that spins N µs per frame
# (`loadgen floor --busy-us N`): set it to lunette's core step to see what that step alone costs.
#   [BINS="target/release/lunette ..."] [LUNETTE_ARGS=...] [BUSY_US=N] bench/roundtrip.sh [rounds] [count]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
count=${2:-2000}
cargo build --release -q -p lunette-hyper -p lunette-loadgen
read -r -a bins <<<"${BINS:-target/release/lunette}"
loadgen=target/release/loadgen
out=$(mktemp)
trap '[ -z "${pid:-}" ] || kill "$pid"; rm -f "$out"' EXIT

start() {
  : >"$out" # emptied here, not by the background redirection: never read the last server's URL
  "$@" >"$out" 2>/dev/null &
  pid=$!
  for _ in $(seq 50); do
    url=$(grep -o 'http://[^ ]*' "$out" || true)
    [ -n "$url" ] && return
    sleep 0.1
  done
  echo "server did not start: $*" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" || true; pid=; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; } # USER_HZ = 100
field() { sed -n "s/.*$1 \\([0-9]*\\) µs.*/\\1/p"; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A p50s p99s cpus
names=(floor ${BUSY_US:+floor+busy} "${bins[@]}")
for round in $(seq "$rounds"); do
  for name in "${names[@]}"; do
    if [ "$name" = floor ]; then
      start "$loadgen" floor
    elif [ "$name" = floor+busy ]; then
      start "$loadgen" floor --busy-us "$BUSY_US"
    else
      # shellcheck disable=SC2086 # LUNETTE_ARGS is a list of flags
      start "$name" --port 0 --dir demo/adder ${LUNETTE_ARGS:-}
    fi
    before=$(cpu_ticks)
    line=$("$loadgen" roundtrip --url "$url" --count "$count")
    cpu=$(( ($(cpu_ticks) - before) * 10000 / (count + 100) ))
    stop
    echo "round $round $name: $line; server CPU $cpu µs a round trip"
    cpus[$name]+="$cpu "
    p50s[$name]+="$(field p50 <<<"$line") "
    p99s[$name]+="$(field p99 <<<"$line") "
  done
done
floor=$(median <<<"${p50s[floor]}")
for name in "${names[@]}"; do
  p50=$(median <<<"${p50s[$name]}")
  label=$name
  [ "$name" != floor+busy ] || label="floor+busy ($BUSY_US µs a frame)"
  echo "median of $rounds: $label p50 $p50 µs, p99 $(median <<<"${p99s[$name]}") µs," \
    "p50 $(awk "BEGIN {printf \"%.2f\", $p50 / $floor}")x the floor," \
    "server CPU $(median <<<"${cpus[$name]}") µs a round trip"
done
