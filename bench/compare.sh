#!/usr/bin/env bash
# usrv against raw hyper and axum, under wrk, on the same three routes.
#
#   bench/compare.sh              # throughput and latency (a few minutes)
#   bench/compare.sh callgrind    # instructions per request (bench/callgrind.sh)
#   bench/compare.sh secure       # usrv plain / signed / sealed (bench/secure.sh)
#
# Each server runs on one tokio worker (USRV_WORKERS=1) pinned to core
# SERVER_CPU (0); wrk runs pinned to core CLIENT_CPU (1) with one thread and
# CONNECTIONS (32) keep-alive connections. The servers take turns, A B C,
# B C A, C A B ..., for ROUNDS (3) rounds of DURATION (5s) per route, after a
# WARMUP (1s) run each, so that a slow moment of the shared machine is spread
# over all three. Printed per route: the median requests/s and its ratio to
# raw hyper, the best run's (other load only ever slows a run down), the
# median p50 and p99 latency, requests per server CPU-second (the server's
# utime+stime from /proc/<pid>/stat around each run; the steadiest figure
# when other processes compete for the core) and how busy the server's core
# was (its CPU time over the run's duration: far below 100% means the server
# was starved or wrk was the bottleneck).
#
# Environment: SERVERS (of hyper axum usrv), ROUTES (of plaintext json
# user), ROUNDS, DURATION, WARMUP, CONNECTIONS, SERVER_CPU, CLIENT_CPU,
# NICE (default 0; e.g. -10 runs the servers and wrk ahead of other work on
# a shared machine, as root), SKIP_BUILD=1 (reuse the release binaries), OUT
# (where the raw results go; default bench/target/compare-<time>).
set -euo pipefail

case "${1:-}" in
callgrind) shift; exec "$(dirname "$0")/callgrind.sh" "$@" ;;
secure) shift; exec "$(dirname "$0")/secure.sh" "$@" ;;
esac
[ $# -eq 0 ] || { echo "usage: $0 [callgrind | secure [callgrind]]" >&2; exit 2; }

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
CONNECTIONS=${CONNECTIONS:-32}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
OUT=${OUT:-$BENCH_DIR/target/compare-$(date -u +%Y%m%d-%H%M%S)}
NICE=${NICE:-0}
CLK_TCK=$(getconf CLK_TCK)

need wrk
need curl
need taskset util-linux
need ss iproute2
[ "$(nproc)" -ge 2 ] || note "warning: $(nproc) core(s): the server and wrk share a core"

build_all
mkdir -p "$OUT"
trap stop_all EXIT
trap 'exit 130' INT TERM

declare -A PORT=()
for server in "${SERVERS[@]}"; do
    free_port "PORT[$server]"
    start "$server" "${PORT[$server]}" "$OUT/$server.log" nice -n "$NICE" taskset -c "$SERVER_CPU"
    for route in "${ROUTES[@]}"; do
        check "$server" "${PORT[$server]}" "$route"
    done
    note "$server listens on 127.0.0.1:${PORT[$server]}, pid ${PIDS[$server]}, bodies checked"
done

# utime + stime of a process, in clock ticks (all its threads).
cpu_ticks() {
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# A latency as wrk prints it (980.00us, 1.20ms, 2.00s) in microseconds.
to_us() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) f = 1; else if (v ~ /ms$/) f = 1000; else if (v ~ /s$/) f = 1000000; else f = 1
        sub(/[a-z]+$/, "", v); printf "%.1f", v * f }'
}

# run SERVER ROUTE DURATION ROUND: one wrk run; appends a result line.
RESULTS=$OUT/results.tsv
printf 'route\tserver\tround\trps\tp50_us\tp99_us\trequests\tcpu_s\tsecs\n' >"$RESULTS"
run() {
    local server=$1 route=$2 duration=$3 round=$4
    local pid=${PIDS[$server]} url="http://127.0.0.1:${PORT[$server]}${ROUTE_PATH[$route]}"
    local log="$OUT/wrk-$route-$server-$round.txt"
    kill -0 "$pid" 2>/dev/null || fail "$server (pid $pid) is gone; see $OUT/$server.log"
    local before after
    before=$(cpu_ticks "$pid")
    nice -n "$NICE" taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"$duration" --latency "$url" >"$log" 2>&1 ||
        fail "wrk failed on $url: $(cat "$log")"
    after=$(cpu_ticks "$pid")
    [ "$round" = warmup ] && return 0
    if grep -qE 'Non-2xx|Socket errors' "$log"; then
        fail "$server $route: wrk saw errors: $(grep -E 'Non-2xx|Socket errors' "$log")"
    fi
    local rps requests secs p50 p99
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$log")
    requests=$(awk '/ requests in / { print $1 }' "$log")
    secs=$(awk '/ requests in / { sub(/s,?$/, "", $4); print $4 }' "$log")
    p50=$(to_us "$(awk '$1 == "50%" { print $2 }' "$log")")
    p99=$(to_us "$(awk '$1 == "99%" { print $2 }' "$log")")
    [ -n "$rps" ] && [ -n "$requests" ] && [ -n "$secs" ] || fail "cannot read wrk's output: $log"
    local cpu
    cpu=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$route" "$server" "$round" "$rps" "$p50" "$p99" \
        "$requests" "$cpu" "$secs" >>"$RESULTS"
    note "round $round $route $server: $rps req/s, p50 ${p50}us, p99 ${p99}us, server CPU ${cpu}s"
}

for route in "${ROUTES[@]}"; do
    for server in "${SERVERS[@]}"; do
        run "$server" "$route" "$WARMUP" warmup
    done
done
count=${#SERVERS[@]}
for round in $(seq 1 "$ROUNDS"); do
    for route in "${ROUTES[@]}"; do
        for i in $(seq 0 $((count - 1))); do
            run "${SERVERS[$(((i + round - 1) % count))]}" "$route" "$DURATION" "$round"
        done
    done
done
stop_all

# The median of one column for one route and server.
column() {
    awk -F'\t' -v r="$1" -v s="$2" -v c="$3" 'NR > 1 && $1 == r && $2 == s { print $c }' "$RESULTS" |
        median
}
# The best run (on a shared machine, other load only ever slows a run down).
best() {
    awk -F'\t' -v r="$1" -v s="$2" 'NR > 1 && $1 == r && $2 == s { print $4 }' "$RESULTS" |
        sort -g | tail -1
}
# How busy the server's core was: its CPU time over the run's duration.
busy() {
    awk -F'\t' -v r="$1" -v s="$2" 'NR > 1 && $1 == r && $2 == s && $9 > 0 { print 100 * $8 / $9 }' \
        "$RESULTS" | median
}
# Requests per CPU-second, one per run.
per_cpu() {
    awk -F'\t' -v r="$1" -v s="$2" 'NR > 1 && $1 == r && $2 == s && $8 > 0 { print $7 / $8 }' \
        "$RESULTS" | median
}
fmt_us() {
    awk -v v="$1" 'BEGIN { if (v >= 1000) printf "%.2f ms", v / 1000; else printf "%.0f µs", v }'
}

{
    machine
    echo "command: ROUNDS=$ROUNDS DURATION=$DURATION CONNECTIONS=$CONNECTIONS NICE=$NICE bench/compare.sh"
    echo "setup: server USRV_WORKERS=1 on core $SERVER_CPU; taskset -c $CLIENT_CPU wrk -t1 -c$CONNECTIONS -d$DURATION --latency; medians of $ROUNDS interleaved runs"
    echo
    echo "| route | server | req/s | × hyper | best req/s | × hyper | p50 | p99 | req per CPU-s | × hyper | server CPU busy | runs (req/s) |"
    echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"
    for route in "${ROUTES[@]}"; do
        base=$(column "$route" hyper 4)
        base_cpu=$(per_cpu "$route" hyper)
        base_best=$(best "$route" hyper)
        [ "$base" != nan ] || base=0
        [ "$base_cpu" != nan ] || base_cpu=0
        for server in "${SERVERS[@]}"; do
            rps=$(column "$route" "$server" 4)
            cpu=$(per_cpu "$route" "$server")
            runs=$(awk -F'\t' -v r="$route" -v s="$server" \
                'NR > 1 && $1 == r && $2 == s { printf "%s%.0f", sep, $4; sep = " / " }' "$RESULTS")
            awk -v route="${ROUTE_PATH[$route]}" -v server="$server" -v rps="$rps" -v base="$base" \
                -v cpu="$cpu" -v base_cpu="$base_cpu" -v p50="$(fmt_us "$(column "$route" "$server" 5)")" \
                -v p99="$(fmt_us "$(column "$route" "$server" 6)")" -v runs="$runs" \
                -v top="$(best "$route" "$server")" -v base_best="${base_best:-0}" \
                -v busy="$(busy "$route" "$server")" 'BEGIN {
                r = base > 0 ? sprintf("%.2f", rps / base) : "-"
                rb = base_best > 0 ? sprintf("%.2f", top / base_best) : "-"
                rc = base_cpu > 0 ? sprintf("%.2f", cpu / base_cpu) : "-"
                printf "| %s | %s | %.0f | %s | %.0f | %s | %s | %s | %.0f | %s | %.0f%% | %s |\n",
                    route, server, rps, r, top, rb, p50, p99, cpu, rc, busy, runs }'
        done
    done
} | tee "$OUT/summary.md"
note "raw results: $OUT"
