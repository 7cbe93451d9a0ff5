#!/usr/bin/env bash
# Round trips of lunette beside the floor (`loadgen floor`: the same stack with no Lua and no
# tracker), alternating fresh servers so that both see the same machine. One line per server
# per round, then the median p50 of each and their ratio (BENCHMARKS.md).
#   [BIN=target/release/lunette] [LUNETTE_ARGS=...] bench/roundtrip.sh [rounds] [count]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
count=${2:-2000}
[ -n "${BIN:-}" ] || cargo build --release -q -p lunette-hyper -p lunette-loadgen
bin=${BIN:-target/release/lunette}
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
p50() { sed -n 's/.*p50 \([0-9]*\) µs.*/\1/p'; }

floors=() lunettes=()
for round in $(seq "$rounds"); do
  start "$loadgen" floor
  line=$("$loadgen" roundtrip --url "$url" --count "$count")
  stop
  echo "round $round floor:   $line"
  floors+=("$(p50 <<<"$line")")
  # shellcheck disable=SC2086 # LUNETTE_ARGS is a list of flags
  start "$bin" --port 0 --dir demo/adder ${LUNETTE_ARGS:-}
  line=$("$loadgen" roundtrip --url "$url" --count "$count")
  stop
  echo "round $round lunette: $line"
  lunettes+=("$(p50 <<<"$line")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
floor=$(median "${floors[@]}") lunette=$(median "${lunettes[@]}")
echo "median p50: floor $floor µs, lunette $lunette µs, ratio $(awk "BEGIN {printf \"%.2f\", $lunette / $floor}")"
