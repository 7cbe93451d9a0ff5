#!/usr/bin/env bash
# What a session costs through the lunette binary, for several builds in one run (BENCHMARKS.md,
# issue 16). For each binary of $BINS, alternating, $ROUNDS rounds, a fresh server per line:
# RSS per idle session without a connection (Adder, 10,000 `GET /`), RSS per connected idle
# session (Adder and Contacts, 1,000 `loadgen idle` tabs), and `GET /` per second (Adder, wrk
# with 16 connections for 5 s; needs `apt-get install wrk`).
#   BINS="<lunette binaries>" [ROUNDS=2] bench/session_cost.sh
set -uo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p lunette-loadgen
ulimit -n "$(ulimit -Hn)"
rounds=${ROUNDS:-2}
out=$(mktemp)
trap 'rm -f "$out"; [ -z "${pid:-}" ] || kill "$pid" 2>/dev/null' EXIT
start() {
  : >"$out"
  "$1" --port 0 --max-sessions 1000000 --dir "$2" ${3:-} >"$out" 2>/dev/null &
  pid=$!
  for _ in $(seq 50); do
    url=$(grep -o 'http://[^ ]*' "$out" || true)
    [ -n "$url" ] && return
    sleep 0.1
  done
  echo "server did not start" >&2
  exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null; pid=; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
per() { awk "BEGIN {printf \"%.1f\", ($2 - $1) / $3}"; }
for round in $(seq "$rounds"); do
  for bin in $BINS; do
    start "$bin" demo/adder "--shards 1"
    before=$(rss)
    python3 bench/create_sessions.py "$url" 10000
    idle=$(per "$before" "$(rss)" 10000)
    stop
    connected=()
    for site in demo/adder demo/contacts; do
      start "$bin" "$site" "--shards 1"
      before=$(rss)
      coproc tabs { target/release/loadgen idle --url "$url" --sessions 1000 2>/dev/null; }
      read -r _ <&"${tabs[0]}" # "ready": all are open and rendered
      connected+=("$(per "$before" "$(rss)" 1000)")
      exec {tabs[1]}>&- # closing its stdin ends loadgen
      wait "$tabs_PID" 2>/dev/null
      stop
    done
    start "$bin" demo/adder
    rate=$(wrk -t 2 -c 16 -d 5s "$url" | awk '/Requests\/sec/ {print $2}')
    stop
    echo "round $round $bin: idle Adder $idle KiB; connected Adder ${connected[0]} KiB, Contacts ${connected[1]} KiB; GET / c16 $rate/s"
  done
done
