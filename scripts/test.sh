#!/usr/bin/env bash
# Every test of the workspace, on a fresh machine: installs what the tests
# need and is missing (redis-server for the shared replay store), then runs
# the unit, integration (over real sockets), compile-fail, vector and doc
# tests with every feature, the crypto tests again on the default pure-Rust
# backend, and the OpenAPI check. Ends with one line: "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "the tests need: ${missing[*]} (apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
run() {
  echo "+ $*"
  "$@" 2>&1 | tee -a "$log" || status=1
}
# Every feature: the client over TLS, the CLI, Redis, OpenAPI, and the
# libsecp256k1 backend of usrv-crypto.
run cargo test --workspace --all-features
# The default backend of usrv-crypto (k256, pure Rust) on every vector too.
run cargo test -p usrv-crypto
for check in tests/*/check.sh; do
  [ -x "$check" ] && run "$check"
done
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "%d passed, %d failed\n", passed, failed }' "$log"
exit $status
