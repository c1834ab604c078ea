#!/usr/bin/env bash
# Replays the attacks of the hardening issue against the release `hello`
# example, each on a freshly started server, and prints what each cost:
# resident memory before, at its peak and 3 s after, the server's CPU
# seconds, whether the server closed the attacking connections, and the
# latency of a normal client meanwhile (a GET on a fresh connection every
# 50 ms). Then `wrk -c256` for 15 s on a fresh server (0 errors expected).
# The attacks (bench/hostile.py) go to 127.0.0.1 only and are bounded in
# time and count; the whole run takes about 3 minutes.
#
#   bench/hostile.sh                 # builds examples/hello (release), runs all
#   SKIP_BUILD=1 bench/hostile.sh    # reuses target/release/examples/hello
#   ATTACKS="heads preface" bench/hostile.sh
#
# Environment: ATTACKS (of dribble h2stall preface heads silent), WRK=0 to
# skip wrk, SKIP_BUILD=1, OUT (default bench/target/hostile-<time>).
set -euo pipefail
[ $# -eq 0 ] || { echo "usage: $0 (see the comment at its top)" >&2; exit 2; }

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

OUT=${OUT:-$BENCH_DIR/target/hostile-$(date -u +%Y%m%d-%H%M%S)}
read -r -a ATTACKS <<<"${ATTACKS:-dribble h2stall preface heads silent}"
SERVER_BIN[hello]="$ROOT_DIR/target/release/examples/hello"
CLIENT="$BENCH_DIR/hostile.py"

# What each attack is, and how long the normal client probes during it.
declare -A WHAT=(
    [dribble]="20 conns POST an 8 KiB body, 1 byte per TCP segment"
    [h2stall]="200 HTTP/2 conns x 256 streams, zero window, answering pings (45 s)"
    [preface]="5,000 conns send half the HTTP/2 preface (15 s)"
    [heads]="1,000 conns send a 371 KiB head that never ends (15 s)"
    [silent]="3,000 conns send nothing (15 s)"
)
declare -A PROBE_SECONDS=([dribble]=8 [h2stall]=40 [preface]=12 [heads]=12 [silent]=12)

need python3
need wrk
need ss iproute2
need curl
if [ "${SKIP_BUILD:-0}" = 1 ]; then
    note "SKIP_BUILD=1: using the hello already built"
else
    note "building examples/hello.rs (release)"
    (cd "$ROOT_DIR" && cargo build --release --quiet --example hello) ||
        fail "cannot build the hello example"
fi
[ -x "${SERVER_BIN[hello]}" ] || fail "missing binary ${SERVER_BIN[hello]}"
for attack in "${ATTACKS[@]}"; do
    [ -n "${WHAT[$attack]:-}" ] || fail "unknown attack $attack (dribble h2stall preface heads silent)"
done
mkdir -p "$OUT"
trap stop_all EXIT
trap 'exit 130' INT TERM
TICKS=$(getconf CLK_TCK)

# start_hello PORT LOG: the hello example on 127.0.0.1:PORT, default
# settings, request logging off.
start_hello() {
    start hello "$1" "$2" env USRV_ADDR="127.0.0.1:$1" RUST_LOG=warn
    curl -sS --max-time 5 -o /dev/null "http://127.0.0.1:$1/test" || fail "hello does not answer"
}

kib() { awk -v field="$2:" '$1 == field { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
json() { python3 -c 'import json, sys; v = json.load(open(sys.argv[1])).get(sys.argv[2]); print("-" if v is None else v)' "$1" "$2"; }

ROWS=$OUT/rows.md
: >"$ROWS"
for attack in "${ATTACKS[@]}"; do
    free_port port
    note "$attack: ${WHAT[$attack]}"
    start_hello "$port" "$OUT/hello-$attack.log"
    pid=${PIDS[hello]}
    before=$(kib "$pid" VmRSS)
    cpu0=$(cpu_ticks "$pid")
    (sleep 1 && python3 "$CLIENT" probe "127.0.0.1:$port" "${PROBE_SECONDS[$attack]}") >"$OUT/probe-$attack.json" &
    probe=$!
    python3 "$CLIENT" "$attack" "127.0.0.1:$port" >"$OUT/$attack.json" || fail "the $attack client failed"
    wait "$probe" || fail "the probe failed during $attack"
    cpu1=$(cpu_ticks "$pid")
    peak=$(kib "$pid" VmHWM)
    sleep 3
    after=$(kib "$pid" VmRSS)
    stop hello || note "hello exited with status $? (see $OUT/hello-$attack.log)"
    cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v t="$TICKS" 'BEGIN { printf "%.2f", (b - a) / t }')
    result=$(cat "$OUT/$attack.json")
    case $attack in
        dribble) outcome="$(json "$OUT/$attack.json" answered_200)/20 answered 200" ;;
        *) outcome="$(json "$OUT/$attack.json" closed_by_server)/$(json "$OUT/$attack.json" connections) closed (last at $(json "$OUT/$attack.json" closed_after_s) s)" ;;
    esac
    printf '| %s | %s | %s | %s | %s | %s | %s / %s ms (%s errors) |\n' \
        "${WHAT[$attack]}" "$(mib "$before")" "$(mib "$peak")" "$(mib "$after")" "$cpu" "$outcome" \
        "$(json "$OUT/probe-$attack.json" p50_ms)" "$(json "$OUT/probe-$attack.json" p99_ms)" \
        "$(json "$OUT/probe-$attack.json" errors)" >>"$ROWS"
    note "$attack: $result"
done

WRK_OUT=$OUT/wrk.txt
if [ "${WRK:-1}" != 0 ]; then
    free_port port
    note "wrk -t2 -c256 -d15s on a fresh server"
    start_hello "$port" "$OUT/hello-wrk.log"
    wrk -t2 -c256 -d15s --latency "http://127.0.0.1:$port/test" >"$WRK_OUT" 2>&1 || fail "wrk failed (see $WRK_OUT)"
    stop hello || true
fi

{
    machine
    echo "command: bench/hostile.sh (examples/hello, release, default settings, RUST_LOG=warn)"
    echo
    echo "| attack | RSS before MiB | peak MiB | 3 s after MiB | server CPU s | closed by the server | normal client p50 / p99 |"
    echo "|---|--:|--:|--:|--:|---|---|"
    cat "$ROWS"
    if [ -s "$WRK_OUT" ]; then
        echo
        echo "wrk -t2 -c256 -d15s /test:"
        echo
        echo '```'
        cat "$WRK_OUT"
        echo '```'
    fi
} | tee "$OUT/summary.md"
note "raw results and logs: $OUT"
