#!/usr/bin/env bash
# Session creation, full sessions, WebSocket round trips and memory per session, through the
# lunette binary over loopback (BENCHMARKS.md). Needs wrk (apt-get install wrk); the rest uses
# bench/loadgen. Every measurement uses a fresh server process, serving the built-in default app
# (Contacts) unless SITE names a site directory (the round trip always uses demo/adder, and is set
# beside `loadgen floor`; bench/roundtrip.sh repeats just that comparison).
#   [SITE=demo/adder] bench/binary.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
cargo build --release -q -p lunette-hyper -p lunette-loadgen
bin=target/release/lunette
loadgen=target/release/loadgen
# 1000 idle sessions hold 1000 sockets in the server and 1000 in loadgen.
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then ulimit -n 4096; fi
trap '[ -z "${pid:-}" ] || kill "$pid"' EXIT

start() {
  : >/tmp/lunette-bench.out # emptied before the server starts: never read the last one's URL
  "$bin" --port 0 --max-sessions 1000000 ${SITE:+--dir "$SITE"} "$@" >/tmp/lunette-bench.out 2>/tmp/lunette-bench.err &
  pid=$!
  wait_for_url
}
# The round trip's floor: `loadgen floor`, the least server on the same stack (no Lua, no tracker).
start_floor() {
  : >/tmp/lunette-bench.out
  "$loadgen" floor >/tmp/lunette-bench.out 2>/tmp/lunette-bench.err &
  pid=$!
  wait_for_url
}
wait_for_url() {
  for _ in $(seq 50); do
    url=$(grep -o 'http://[^ ]*' /tmp/lunette-bench.out || true)
    [ -n "$url" ] && return
    sleep 0.1
  done
  echo "server did not start" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" || true; pid=; }
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

start
line=$("$loadgen" sessions --url "$url" --concurrency 20 --duration "${seconds}s")
echo "Full sessions (GET /, GET /<sid>, WebSocket, watch 1, its value, close), concurrency 20: $line"
stop

start
line=$("$loadgen" sessions --url "$url" --concurrency 20 --duration "${seconds}s" --user-event)
echo "Full sessions as above, the watch sent as a user event (answered at once): $line"
stop

start_floor
line=$("$loadgen" roundtrip --url "$url" --count 2000)
floor_p50=$(sed -n 's/.*p50 \([0-9]*\) µs.*/\1/p' <<<"$line")
echo "Round-trip floor (loadgen floor: the same frames answered with no Lua and no tracker): $line"
stop

SITE= start --dir demo/adder
line=$("$loadgen" roundtrip --url "$url" --count 2000)
p50=$(sed -n 's/.*p50 \([0-9]*\) µs.*/\1/p' <<<"$line")
echo "Adder round trip (user update of value1 until the new compute() value arrives): $line; p50 $(awk "BEGIN {printf \"%.2f\", $p50 / $floor_p50}")x the floor"
stop

start
before=$(rss_kib)
coproc idle { "$loadgen" idle --url "$url" --sessions 1000; }
idle_pid=$idle_PID idle_out=${idle[0]} idle_in=${idle[1]}
read -r _ <&"$idle_out" # "ready": all 1000 sessions are open and rendered
after=$(rss_kib)
exec {idle_in}>&- # closing its stdin ends loadgen
wait "$idle_pid"
echo "RSS: $before KiB before, $after KiB with 1000 connected idle sessions = $((after - before)) KiB growth, $(awk "BEGIN {printf \"%.1f\", ($after - $before) / 1000}") KiB per session"
stop
