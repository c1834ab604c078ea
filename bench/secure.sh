#!/usr/bin/env bash
# What usrv's secure protocol costs the server, per request: GET /json
# through usrv::Client, plain, signed (`.signed()`) and sealed
# (`.encrypted()`), with bench/src/bin/secure-load.rs as the client.
#
#   bench/secure.sh               # req/s and server CPU per request (also `compare.sh secure`)
#   bench/secure.sh callgrind     # server instructions per request (also `callgrind.sh secure`)
#
# Wall clock: usrv on one worker pinned to core SERVER_CPU (0), the client
# (one thread, CONCURRENCY requests in flight) pinned to CLIENT_CPU (1); the
# modes take turns for ROUNDS (3) rounds of SECONDS_PER_RUN (5) seconds.
# The client signs, verifies, seals and opens as much as the server does,
# so it may be the bottleneck: the server's CPU time per request (from
# /proc/<pid>/stat) is the figure that counts.
#
# callgrind: as callgrind.sh, with N1 (100) and N2 (600) requests one at a
# time over one connection.
#
# STORE=redis records the nonces in a redis-server started here on a free
# port (USRV_REPLAY_STORE), instead of the default in-memory store: what a
# shared replay store costs (bench/README.md).
#
# Environment: MODES (of plain signed sealed), STORE (memory, redis),
# ROUNDS, SECONDS_PER_RUN, CONCURRENCY, SERVER_CPU, CLIENT_CPU, N1, N2,
# SKIP_BUILD=1, OUT.
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

MODE=wall
if [ "${1:-}" = callgrind ]; then
    MODE=callgrind
    shift
fi
[ $# -eq 0 ] || { echo "usage: $0 [callgrind]" >&2; exit 2; }

read -r -a MODES <<<"${MODES:-plain signed sealed}"
for mode in "${MODES[@]}"; do
    case "$mode" in plain | signed | sealed) ;; *) fail "unknown mode $mode (plain, signed, sealed)" ;; esac
done
SERVERS=(usrv)
PATH_UNDER_TEST=${ROUTE_PATH[json]}
SECURE_BIN="$BENCH_DIR/target/release/secure-load"
STORE=${STORE:-memory}
OUT=${OUT:-$BENCH_DIR/target/secure-$MODE-$STORE-$(date -u +%Y%m%d-%H%M%S)}

need ss iproute2
need taskset util-linux
[ "$MODE" = wall ] || { need valgrind; }
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    note "building usrv's examples/bench.rs (release)"
    (cd "$ROOT_DIR" && cargo build --release --quiet --example bench) ||
        fail "cannot build usrv's bench example"
    note "building secure-load (release, feature secure: it builds usrv)"
    (cd "$BENCH_DIR" && cargo build --release --quiet --features secure --bin secure-load) ||
        fail "cannot build bench/src/bin/secure-load.rs"
fi
[ -x "${SERVER_BIN[usrv]}" ] || fail "missing binary ${SERVER_BIN[usrv]}"
[ -x "$SECURE_BIN" ] || fail "missing binary $SECURE_BIN"
mkdir -p "$OUT"
REDIS_PID=""
stop_redis() { [ -z "$REDIS_PID" ] || kill "$REDIS_PID" 2>/dev/null || true; }
trap 'stop_all; stop_redis' EXIT
trap 'exit 130' INT TERM
case "$STORE" in
memory) ;;
redis)
    need redis-server redis-server
    free_port redis_port
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
        >"$OUT/redis.log" 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 100); do
        listening "$redis_port" && break
        sleep 0.05
    done
    listening "$redis_port" || fail "redis-server did not start (see $OUT/redis.log)"
    export USRV_REPLAY_STORE="redis://127.0.0.1:$redis_port/0"
    note "replay store: $USRV_REPLAY_STORE"
    ;;
*) fail "unknown STORE $STORE (memory, redis)" ;;
esac

RESULTS=$OUT/results.tsv

if [ "$MODE" = callgrind ]; then
    N1=${N1:-100}
    N2=${N2:-600}
    [ "$N2" -gt "$N1" ] || fail "N2 ($N2) must be larger than N1 ($N1)"
    total() { awk '/^(summary|totals):/ { t = $2 } END { print t }' "$1"; }
    printf 'mode\tinstr_n1\tinstr_n2\tinstr_per_request\n' >"$RESULTS"
    for mode in "${MODES[@]}"; do
        declare -A measured=()
        for n in "$N1" "$N2"; do
            free_port port
            file="$OUT/callgrind.out.usrv-$mode-$n"
            note "usrv $mode: $n requests under callgrind"
            START_TIMEOUT=1200 start usrv "$port" "$OUT/usrv-$mode-$n.log" \
                valgrind --tool=callgrind --callgrind-out-file="$file"
            "$SECURE_BIN" "127.0.0.1:$port" "$PATH_UNDER_TEST" "$mode" --count "$n" >&2 ||
                fail "secure-load failed ($mode)"
            stop usrv || note "usrv exited with status $?"
            [ -s "$file" ] || fail "valgrind wrote no profile (see $OUT/usrv-$mode-$n.log)"
            measured[$n]=$(total "$file")
        done
        per=$(((measured[$N2] - measured[$N1]) / (N2 - N1)))
        printf '%s\t%s\t%s\t%s\n' "$mode" "${measured[$N1]}" "${measured[$N2]}" "$per" >>"$RESULTS"
        note "usrv $mode: $per instructions per request"
    done
    {
        machine
        echo "command: STORE=$STORE N1=$N1 N2=$N2 bench/secure.sh callgrind"
        echo "setup: valgrind --tool=callgrind, USRV_WORKERS=1, GET $PATH_UNDER_TEST through usrv::Client, one at a time over one connection; (total(N2) - total(N1)) / (N2 - N1)"
        echo
        echo "| mode | server instructions/request | × plain |"
        echo "|---|--:|--:|"
        awk -F'\t' 'NR == 2 { base = $4 } NR > 1 {
            ratio = base > 0 ? sprintf("%.1f", $4 / base) : "-"
            printf "| %s | %d | %s |\n", $1, $4, ratio }' "$RESULTS"
    } | tee "$OUT/summary.md"
    note "profiles and raw results: $OUT"
    exit 0
fi

ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CONCURRENCY=${CONCURRENCY:-16}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

free_port port
start usrv "$port" "$OUT/usrv.log" taskset -c "$SERVER_CPU"
check usrv "$port" json
pid=${PIDS[usrv]}
note "usrv listens on 127.0.0.1:$port, pid $pid"

printf 'mode\tround\trps\trequests\tcpu_s\tsecs\n' >"$RESULTS"
run() {
    local mode=$1 round=$2 seconds=$3 log="$OUT/load-$1-$2.txt" before after
    kill -0 "$pid" 2>/dev/null || fail "usrv is gone; see $OUT/usrv.log"
    before=$(cpu_ticks "$pid")
    taskset -c "$CLIENT_CPU" "$SECURE_BIN" "127.0.0.1:$port" "$PATH_UNDER_TEST" "$mode" \
        --seconds "$seconds" --concurrency "$CONCURRENCY" >"$log" 2>&1 ||
        fail "secure-load failed ($mode): $(cat "$log")"
    after=$(cpu_ticks "$pid")
    [ "$round" = warmup ] && return 0
    grep -q '^first reply: 200 {"message":"Hello, World!"}$' "$log" ||
        fail "$mode: unexpected reply: $(head -1 "$log")"
    local requests secs rps cpu
    read -r requests secs < <(awk '/ requests in / { print $1, $4 }' "$log")
    [ -n "$requests" ] || fail "cannot read $log"
    rps=$(awk -v n="$requests" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')
    cpu=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$round" "$rps" "$requests" "$cpu" "$secs" >>"$RESULTS"
    note "round $round $mode: $rps req/s, server CPU ${cpu}s"
}

for mode in "${MODES[@]}"; do
    run "$mode" warmup 1
done
count=${#MODES[@]}
for round in $(seq 1 "$ROUNDS"); do
    for i in $(seq 0 $((count - 1))); do
        run "${MODES[$(((i + round - 1) % count))]}" "$round" "$SECONDS_PER_RUN"
    done
done
stop_all

{
    machine
    echo "command: STORE=$STORE ROUNDS=$ROUNDS SECONDS_PER_RUN=$SECONDS_PER_RUN CONCURRENCY=$CONCURRENCY bench/secure.sh"
    echo "setup: usrv USRV_WORKERS=1 on core $SERVER_CPU; secure-load (usrv::Client, $CONCURRENCY in flight) on core $CLIENT_CPU; GET $PATH_UNDER_TEST; medians of $ROUNDS interleaved runs"
    echo
    echo "| mode | req/s | server CPU per request | × plain | server CPU busy |"
    echo "|---|--:|--:|--:|--:|"
    base=""
    for mode in "${MODES[@]}"; do
        rps=$(awk -F'\t' -v m="$mode" 'NR > 1 && $1 == m { print $3 }' "$RESULTS" | median)
        us=$(awk -F'\t' -v m="$mode" 'NR > 1 && $1 == m && $4 > 0 { print 1e6 * $5 / $4 }' "$RESULTS" | median)
        busy=$(awk -F'\t' -v m="$mode" 'NR > 1 && $1 == m && $6 > 0 { print 100 * $5 / $6 }' "$RESULTS" | median)
        [ -n "$base" ] || base=$us
        awk -v m="$mode" -v rps="$rps" -v us="$us" -v base="$base" -v busy="$busy" 'BEGIN {
            printf "| %s | %.0f | %.1f µs | %.1f | %.0f%% |\n", m, rps, us, us / base, busy }'
    done
} | tee "$OUT/summary.md"
note "raw results: $OUT"
