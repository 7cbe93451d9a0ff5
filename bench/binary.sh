#!/usr/bin/env bash
# Session creation through the lunette binary over loopback HTTP (BENCHMARKS.md).
# Needs wrk (apt-get install wrk). Every measurement uses a fresh server process.
#   bench/binary.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
cargo build --release -q -p lunette-hyper
bin=target/release/lunette

start() {
  "$bin" --port 0 --max-sessions 1000000 "$@" >/tmp/lunette-bench.out 2>/tmp/lunette-bench.err &
  pid=$!
  for _ in $(seq 50); do
    url=$(grep -o 'http://[^ ]*' /tmp/lunette-bench.out || true)
    [ -n "$url" ] && return
    sleep 0.1
  done
  echo "server did not start" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" || true; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }

for conns in 1 16; do
  start
  threads=$(( conns < 2 ? 1 : 2 ))
  rate=$(wrk -t "$threads" -c "$conns" -d "${seconds}s" "$url" | awk '/Requests\/sec/ {print $2}')
  echo "GET / (creates a session), concurrency $conns: $rate sessions/s"
  stop
done

start
before=$(rss_kib)
python3 bench/create_sessions.py "$url" 10000
after=$(rss_kib)
echo "RSS: $before KiB before, $after KiB after 10000 idle sessions = $(awk "BEGIN {printf \"%.1f\", ($after - $before) / 10000}") KiB per session"
stop
