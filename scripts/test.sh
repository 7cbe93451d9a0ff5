#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what it needs from Debian's packages when
# missing (headless Chromium and chromedriver for the browser tests in e2e/, npm for the one
# that fetches Shoelace, haproxy for the balancer test in transport-hyper/tests/balancer.rs),
# then runs every test of the workspace, the fuzz target of the inbound frame path included
# (PROPTEST_CASES=N for a longer run), and the demos' own app tests through `lunette test`
# (the parity of its headless tab with Chromium is e2e/tests/parity.rs, part of the
# workspace's tests).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update
  $sudo apt-get install -y "${missing[@]}"
fi
cargo test --workspace "$@"
for demo in adder contacts tasks; do
  echo "lunette test --dir demo/$demo"
  cargo run --quiet -p lunette-hyper --bin lunette -- test --dir "demo/$demo"
done
