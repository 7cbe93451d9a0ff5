#!/usr/bin/env bash
# Many connected idle sessions held by one lunette binary, and a round trip measured while they
# are held (BENCHMARKS.md, issue 16): the server's RSS per connected session at that scale, and
# the p50/p99 of `loadgen roundtrip` against the Adder beside them.
#
# One process can open at most `ulimit -Hn` files: the server needs one per connection, so
# that hard limit caps how many it can hold (raising it needs CAP_SYS_RESOURCE). The sockets
# are held by several `loadgen idle` processes, each under the same limit.
#   [BIN=target/release/lunette] [SITE=demo/adder] bench/held.sh <connections> [per-loadgen]
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:?how many connections}
per=${2:-9000}
site=${SITE:-demo/adder}
ulimit -n "$(ulimit -Hn)"
if [ "$total" -gt $(( $(ulimit -n) - 100 )) ]; then
  echo "held.sh: $total connections do not fit this process's file limit ($(ulimit -n)); raise ulimit -Hn" >&2
  exit 1
fi
cargo build --release -q -p lunette-hyper -p lunette-loadgen
bin=${BIN:-target/release/lunette}
loadgen=target/release/loadgen
out=$(mktemp) err=$(mktemp)
holders=()
dir=$(mktemp -d)
cleanup() {
  for holder in "${holders[@]}"; do kill "$holder" 2>/dev/null || true; done
  [ -z "${pid:-}" ] || kill "$pid" 2>/dev/null || true
  rm -rf "$out" "$err" "$dir"
}
trap cleanup EXIT

"$bin" --port 0 --shards 1 --max-sessions 1000000 --dir "$site" >"$out" 2>"$err" &
pid=$!
for _ in $(seq 50); do
  url=$(grep -o 'http://[^ ]*' "$out" || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "server did not start" >&2; exit 1; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }

before=$(rss_kib)
started=$(date +%s.%N)
left=$total
i=0
while [ "$left" -gt 0 ]; do
  n=$(( left < per ? left : per ))
  i=$(( i + 1 ))
  mkfifo "$dir/in$i" "$dir/out$i"
  # Holds its sockets until it is killed or its stdin closes; says "ready" once all are open
  # and rendered.
  "$loadgen" idle --url "$url" --sessions "$n" <"$dir/in$i" >"$dir/out$i" &
  holders+=($!)
  exec {keep}>"$dir/in$i"
  read -r _ <"$dir/out$i"
  left=$(( left - n ))
done
opened=$(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $started}")
after=$(rss_kib)
echo "held: $total connected idle sessions opened in $opened s; RSS $before -> $after KiB = $(awk "BEGIN {printf \"%.1f\", ($after - $before) / $total}") KiB per connected session"
line=$("$loadgen" roundtrip --url "$url" --count 2000)
echo "round trip beside them: $line"
