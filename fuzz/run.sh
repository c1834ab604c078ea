#!/usr/bin/env bash
# Runs every fuzz target for SECONDS_EACH (default 600) seconds, JOBS (2) at
# a time, then minimises each corpus (`cargo fuzz cmin`) and prints one
# line per target: runs, coverage and corpus size. Needs nightly and
# cargo-fuzz (`cargo install cargo-fuzz`). Crashes land in artifacts/.
#
#   fuzz/run.sh                      # every target, 10 minutes each
#   SECONDS_EACH=60 fuzz/run.sh router multipart
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${SECONDS_EACH:-600}
JOBS=${JOBS:-2}
OUT=${OUT:-target/fuzz-logs}
mkdir -p "$OUT"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
cargo +nightly fuzz build >/dev/null

run() {
    local target=$1
    mkdir -p "corpus/$target"
    cargo +nightly fuzz run "$target" -- -max_total_time="$SECONDS_EACH" \
        -rss_limit_mb=4096 -print_final_stats=1 >"$OUT/$target.log" 2>&1 || {
        echo "$target: FAILED (see fuzz/$OUT/$target.log and fuzz/artifacts/$target)"
        return 1
    }
}

status=0
running=0
for target in "${targets[@]}"; do
    run "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait -n || status=1
        running=$((running - 1))
    fi
done
while [ "$running" -gt 0 ]; do
    wait -n || status=1
    running=$((running - 1))
done

for target in "${targets[@]}"; do
    cargo +nightly fuzz cmin "$target" >"$OUT/$target.cmin.log" 2>&1 || true
    runs=$(grep -a 'stat::number_of_executed_units' "$OUT/$target.log" | awk '{ print $2 }')
    speed=$(grep -a 'stat::average_exec_per_sec' "$OUT/$target.log" | awk '{ print $2 }')
    cov=$(grep -a -E '^#[0-9]+' "$OUT/$target.log" | tail -1 | grep -o 'cov: [0-9]*' || true)
    files=$(find "corpus/$target" -type f | wc -l)
    echo "$target: ${runs:-?} runs in ${SECONDS_EACH} s (${speed:-?}/s), ${cov:-cov: ?}, minimised corpus $files inputs"
done
exit "$status"
