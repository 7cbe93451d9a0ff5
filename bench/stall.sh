#!/usr/bin/env bash
# Fair share (issue 12, BENCHMARKS.md): another session's round trips while one session of the
# same shard keeps it busy (`loadgen stall` on bench/sites/stall, `--shards 1`), and the
# ordinary round trip (`loadgen roundtrip` on demo/adder) and full sessions/s (`loadgen
# sessions` on the built-in app), for each server below, alternating fresh servers round by
# round so that all see the same machine:
#   base     BASE, a lunette binary from before issue 12 (e.g. a release build of c95f997),
#            with its own defaults (--lua-budget 20000000); left out unless BASE is set
#   slice0   this tree's lunette with --lua-slice 0: steps run to completion, as before issue 12
#   sliceN   this tree's lunette with --lua-slice N (only if named in SERVERS)
#   sliced   this tree's lunette with its defaults (--lua-slice 200000)
# SERVERS replaces the list (default "slice0 sliced", after base); SCENARIOS the stall scenarios
# (default all four; empty: only the round trip and sessions/s).
# One line per run, then per server and measure the median over the rounds (and for the stall
# scenarios the worst max of all rounds). Each stall line ends with how busy the machine's CPUs
# were during the run (the server takes one core and loadgen a few percent, so much more than
# 55% means that other processes competed) and how long the server's threads waited for a CPU
# while runnable (/proc/<pid>/task/*/schedstat): such waits add to the round trips, whatever
# lunette does. LUNETTE_ARGS is added to every server's flags.
#   [BASE=path/to/lunette] [SERVERS=...] [SCENARIOS=...] [LUNETTE_ARGS=...] bench/stall.sh [rounds] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
seconds=${2:-5}
cargo build --release -q -p lunette-hyper -p lunette-loadgen
bin=target/release/lunette
loadgen=target/release/loadgen
out=$(mktemp)
trap '[ -z "${pid:-}" ] || kill "$pid"; rm -f "$out"' EXIT

read -r -a servers <<<"${BASE:+base} ${SERVERS:-slice0 sliced}"
read -r -a scenarios <<<"${SCENARIOS-action runaway bindings bindings-changed}"

# start SERVER [flags]: a fresh server of that name on --shards 1; sets pid and url.
start() {
  local name=$1
  shift
  local cmd
  case $name in
    base) cmd=("$BASE") ;;
    sliced) cmd=("$bin") ;;
    slice[0-9]*) cmd=("$bin" --lua-slice "${name#slice}") ;;
    *) echo "unknown server $name" >&2; exit 2 ;;
  esac
  : >"$out" # emptied here, not by the background redirection: never read the last server's URL
  # shellcheck disable=SC2086 # LUNETTE_ARGS is a list of flags
  "${cmd[@]}" --port 0 --shards 1 --max-sessions 1000000 --drain-grace 0 "$@" ${LUNETTE_ARGS:-} >"$out" 2>/dev/null &
  pid=$!
  for _ in $(seq 50); do
    url=$(grep -o 'http://[^ ]*' "$out" || true)
    [ -n "$url" ] && return
    sleep 0.1
  done
  echo "server did not start: $name $*" >&2
  exit 1
}
stop() { kill "$pid"; wait "$pid" || true; pid=; }
# Busy and total ticks of all the machine's CPUs, for how busy it was during a run.
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
busy_share() { # busy_share "<busy total>" "<busy total>": percent of all CPUs busy in between
  read -r b0 t0 <<<"$1"
  read -r b1 t1 <<<"$2"
  echo $(( (b1 - b0) * 100 / (t1 - t0 > 0 ? t1 - t0 : 1) ))
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; } # USER_HZ = 100
# Milliseconds the server's threads have spent runnable but waiting for a CPU (schedstat).
waited_ms() { cat "/proc/$pid/task/"*/schedstat | awk '{ns += $2} END {printf "%d", ns / 1e6}'; }
# field NAME UNIT: the number after "NAME " and before " UNIT" in stdin's line.
field() { sed -n "s/.*$1 \\([0-9.]*\\) $2.*/\\1/p"; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
maximum() { tr ' ' '\n' | grep . | sort -g | tail -n 1; }

declare -A p50 p99 max steps step_p50 step_cpu rt_p50 rt_p99 rate
for round in $(seq "$rounds"); do
  for scenario in "${scenarios[@]}"; do
    for name in "${servers[@]}"; do
      start "$name" --dir bench/sites/stall
      before=$(cpu_ticks)
      machine=$(machine_ticks)
      waited=$(waited_ms)
      line=$("$loadgen" stall --url "$url" --scenario "$scenario" --duration "${seconds}s")
      cpu=$(( $(cpu_ticks) - before ))
      waited=$(( $(waited_ms) - waited ))
      busy=$(busy_share "$machine" "$(machine_ticks)")
      stop
      done_steps=$(sed -n 's/.*; \([0-9]*\) heavy steps done.*/\1/p' <<<"$line")
      # The server's CPU time over the run (set-up and the other session's steps included) per
      # heavy step: with --lua-slice 0 the other session is served once per heavy step, so
      # this is the heavy step's own cost, what the site's LONG_ITERATIONS was calibrated by.
      per_step=$(awk "BEGIN {printf \"%.1f\", $done_steps ? $cpu * 10 / $done_steps : 0}")
      echo "round $round $name $line; server CPU $per_step ms a heavy step; machine $busy% busy, server waited $waited ms for a CPU"
      key="$name $scenario"
      read -r a b c < <(sed -n 's/.*of the other session in [0-9.]* s: p50 \([0-9.]*\) ms, p99 \([0-9.]*\) ms, max \([0-9.]*\) ms;.*/\1 \2 \3/p' <<<"$line")
      p50[$key]+="$a "
      p99[$key]+="$b "
      max[$key]+="$c "
      steps[$key]+="$done_steps "
      step_p50[$key]+="$(sed -n 's/.*heavy steps done, each p50 \([0-9.]*\) ms.*/\1/p' <<<"$line") "
      step_cpu[$key]+="$per_step "
    done
  done
  for name in "${servers[@]}"; do
    start "$name" --dir demo/adder
    machine=$(machine_ticks)
    line=$("$loadgen" roundtrip --url "$url" --count 5000)
    busy=$(busy_share "$machine" "$(machine_ticks)")
    stop
    echo "round $round $name adder: $line; machine $busy% busy"
    rt_p50[$name]+="$(field p50 µs <<<"$line") "
    rt_p99[$name]+="$(field p99 µs <<<"$line") "
    start "$name"
    machine=$(machine_ticks)
    line=$("$loadgen" sessions --url "$url" --concurrency 20 --duration "${seconds}s")
    busy=$(busy_share "$machine" "$(machine_ticks)")
    stop
    echo "round $round $name sessions: $line; machine $busy% busy"
    rate[$name]+="$(sed -n 's/.* = \([0-9]*\) sessions\/s.*/\1/p' <<<"$line") "
  done
done

echo
[ "${#scenarios[@]}" -eq 0 ] ||
  echo "Medians of $rounds rounds, --shards 1 (other session's round trip while the busy one works):"
[ "${#scenarios[@]}" -eq 0 ] ||
  printf '%-10s %-17s %9s %9s %9s %9s %7s %11s %11s\n' server scenario "p50 ms" "p99 ms" "max ms" "worst ms" steps "step ms" "step CPU ms"
for scenario in "${scenarios[@]}"; do
  for name in "${servers[@]}"; do
    key="$name $scenario"
    printf '%-10s %-17s %9s %9s %9s %9s %7s %11s %11s\n' "$name" "$scenario" \
      "$(median <<<"${p50[$key]}")" "$(median <<<"${p99[$key]}")" "$(median <<<"${max[$key]}")" \
      "$(maximum <<<"${max[$key]}")" "$(median <<<"${steps[$key]}")" \
      "$(median <<<"${step_p50[$key]}")" "$(median <<<"${step_cpu[$key]}")"
  done
done
echo
echo "Medians of $rounds rounds, --shards 1: Adder round trip (5000) and full sessions/s (concurrency 20, ${seconds} s):"
for name in "${servers[@]}"; do
  echo "$name: round trip p50 $(median <<<"${rt_p50[$name]}") µs, p99 $(median <<<"${rt_p99[$name]}") µs; $(median <<<"${rate[$name]}") sessions/s"
done
