#!/usr/bin/env bash
# Streams, by the figures: what usrv holds in memory while it streams, and
# how fast its WebSockets echo next to axum's.
#
#   1. download: a 1 GiB generated download (examples/streaming.rs,
#      `/download?size=1073741824`, Content-Length known) to a reader that
#      takes RATE bytes/s for DOWNLOAD_SECONDS; the server's resident memory
#      (VmRSS) is sampled every 0.2 s: it must stay flat, a few MiB, not
#      grow with the bytes sent.
#   2. sse: SUBSCRIBERS idle event streams (`/idle`: keep-alive comments
#      only) held open for HOLD seconds; the server's memory before and with
#      them, and per subscriber.
#   3. ws: WebSocket echo round trips per second, usrv (examples/bench.rs,
#      `/ws`) against axum (bench/src/bin/bench-axum.rs, `/ws`): each server
#      on one worker thread pinned to core SERVER_CPU, the client
#      (WS_CONNECTIONS sockets, each sending WS_SIZE bytes and waiting for
#      the echo) pinned to core CLIENT_CPU; the servers take turns for
#      WS_ROUNDS rounds of WS_SECONDS; per server, the median round trips
#      per second and per second of server CPU time (utime + stime from
#      /proc: the steadiest figure on a shared machine).
#
#   4. ws-callgrind: the server instructions per echo round trip, usrv and
#      axum, each under `valgrind --tool=callgrind` on one worker, answering
#      exactly N1 (500) then N2 (2,500) round trips of one socket:
#      (total(N2) - total(N1)) / (N2 - N1), as callgrind.sh does for
#      requests. Repeatable where wall-clock figures are not.
#
#   bench/streams.sh                  # all four: about two minutes after the build
#   ONLY="ws" bench/streams.sh        # some of them (download sse ws ws-callgrind)
#
# Every run is bounded (at most 20 s). Environment: ONLY, RATE (default
# 33554432: 32 MiB/s), DOWNLOAD_SECONDS (15), SUBSCRIBERS (1000), HOLD (5),
# WS_CONNECTIONS (16), WS_SIZE (64), WS_SECONDS (5), WS_ROUNDS (4),
# SERVER_CPU (0), CLIENT_CPU (1), N1 (500), N2 (2500), SKIP_BUILD=1, OUT (default
# bench/target/streams-<time>).
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

read -r -a ONLY <<<"${ONLY:-download sse ws ws-callgrind}"
RATE=${RATE:-33554432}
DOWNLOAD_SECONDS=${DOWNLOAD_SECONDS:-15}
SUBSCRIBERS=${SUBSCRIBERS:-1000}
HOLD=${HOLD:-5}
WS_CONNECTIONS=${WS_CONNECTIONS:-16}
WS_SIZE=${WS_SIZE:-64}
WS_SECONDS=${WS_SECONDS:-5}
WS_ROUNDS=${WS_ROUNDS:-4}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
OUT=${OUT:-$BENCH_DIR/target/streams-$(date -u +%Y%m%d-%H%M%S)}
[ "$DOWNLOAD_SECONDS" -le 20 ] && [ "$HOLD" -le 15 ] && [ "$WS_SECONDS" -le 20 ] ||
    fail "each run is at most 20 s (DOWNLOAD_SECONDS, HOLD + connecting, WS_SECONDS)"

STREAMING_BIN=$ROOT_DIR/target/release/examples/streaming
LOAD=$BENCH_DIR/target/release/streams-load

need ss iproute2
need taskset util-linux
need curl
if [ "${SKIP_BUILD:-0}" = 1 ]; then
    note "SKIP_BUILD=1: using the binaries already built"
else
    note "building usrv's examples streaming and bench (release)"
    (cd "$ROOT_DIR" && cargo build --release --quiet --example streaming --example bench) ||
        fail "cannot build usrv's examples"
    note "building bench-axum and streams-load (release)"
    (cd "$BENCH_DIR" && cargo build --release --quiet --bin bench-axum --bin streams-load) ||
        fail "cannot build bench/"
fi
for binary in "$STREAMING_BIN" "${SERVER_BIN[usrv]}" "${SERVER_BIN[axum]}" "$LOAD"; do
    [ -x "$binary" ] || fail "missing binary $binary"
done
# 1,000 sockets on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -gt $((SUBSCRIBERS + 100)) ] ||
    fail "the open-file limit ($(ulimit -n)) is too low for $SUBSCRIBERS subscribers"
mkdir -p "$OUT"
trap 'stop_all; [ -z "${SAMPLER:-}" ] || kill "$SAMPLER" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

# The resident memory of a process, in KiB.
rss() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# sample PID FILE: writes the largest VmRSS seen (KiB) to FILE, every 0.2 s,
# until killed.
sample() {
    local pid=$1 file=$2 max=0 now
    while now=$(rss "$pid" 2>/dev/null); do
        [ "$now" -gt "$max" ] && max=$now && echo "$max" >"$file"
        sleep 0.2
    done
}

# The CPU time of a process so far (utime + stime), in clock ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

mib() {
    awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'
}

# start_streaming PORT LOG: examples/streaming.rs on 127.0.0.1:PORT.
start_streaming() {
    local port=$1 log=$2
    SERVER_BIN[streaming]=$STREAMING_BIN
    RUST_LOG=warn USRV_ADDR="127.0.0.1:$port" "$STREAMING_BIN" >"$log" 2>&1 &
    PIDS[streaming]=$!
    local waited=0
    while ! listening "$port"; do
        kill -0 "${PIDS[streaming]}" 2>/dev/null || fail "the streaming example exited (see $log)"
        sleep 0.1
        waited=$((waited + 1))
        [ "$waited" -lt 600 ] || fail "the streaming example does not listen after 60 s"
    done
}

SUMMARY=$OUT/summary.md
{
    machine
    echo "command: bench/streams.sh (ONLY=\"${ONLY[*]}\")"
    echo
} >"$SUMMARY"

for item in "${ONLY[@]}"; do
    case "$item" in
    download)
        free_port port
        start_streaming "$port" "$OUT/download-server.log"
        pid=${PIDS[streaming]}
        curl -sS --max-time 10 -o /dev/null "http://127.0.0.1:$port/download?size=1048576" ||
            fail "the download route does not answer"
        idle=$(rss "$pid")
        note "download: 1 GiB at $RATE bytes/s for $DOWNLOAD_SECONDS s"
        echo 0 >"$OUT/download-peak"
        sample "$pid" "$OUT/download-peak" &
        SAMPLER=$!
        result=$("$LOAD" slow-read "127.0.0.1:$port" "/download?size=1073741824" "$RATE" "$DOWNLOAD_SECONDS") ||
            fail "the slow reader failed"
        kill "$SAMPLER" 2>/dev/null || true
        wait "$SAMPLER" 2>/dev/null || true
        SAMPLER=
        peak=$(cat "$OUT/download-peak")
        stop streaming || true
        note "download: $result; RSS idle $(mib "$idle"), peak $(mib "$peak")"
        {
            echo "### 1 GiB download to a slow reader"
            echo
            echo "| reader | read | server RSS idle | server RSS peak while streaming |"
            echo "|---|--:|--:|--:|"
            read_bytes=$(sed -n 's/.*read=\([0-9]*\).*/\1/p' <<<"$result")
            rate=$(sed -n 's/.*rate=\([0-9.]*MiB\/s\).*/\1/p' <<<"$result")
            echo "| $rate for ${DOWNLOAD_SECONDS} s | $(mib $((read_bytes / 1024))) of 1 GiB | $(mib "$idle") | $(mib "$peak") |"
            echo
        } >>"$SUMMARY"
        ;;
    sse)
        free_port port
        start_streaming "$port" "$OUT/sse-server.log"
        pid=${PIDS[streaming]}
        curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:$port/download?size=1" ||
            fail "the streaming example does not answer"
        before=$(rss "$pid")
        note "sse: $SUBSCRIBERS idle subscribers for $HOLD s"
        "$LOAD" sse-idle "127.0.0.1:$port" /idle "$SUBSCRIBERS" "$HOLD" >"$OUT/sse-client.log" 2>&1 &
        client=$!
        waited=0
        until grep -q '^connected=' "$OUT/sse-client.log"; do
            kill -0 "$client" 2>/dev/null || { cat "$OUT/sse-client.log" >&2; fail "the SSE client failed"; }
            sleep 0.1
            waited=$((waited + 1))
            [ "$waited" -lt 150 ] || fail "$SUBSCRIBERS subscribers are not connected after 15 s"
        done
        sleep 1
        with=$(rss "$pid")
        wait "$client" || { cat "$OUT/sse-client.log" >&2; fail "the SSE client failed"; }
        held=$(sed -n 's/^held=\([0-9]*\).*/\1/p' "$OUT/sse-client.log")
        stop streaming || true
        per=$(awk -v a="$with" -v b="$before" -v n="$SUBSCRIBERS" 'BEGIN { printf "%.1f KiB", (a - b) / n }')
        note "sse: RSS $(mib "$before") before, $(mib "$with") with $SUBSCRIBERS subscribers ($per each), $held held"
        {
            echo "### $SUBSCRIBERS idle server-sent event streams"
            echo
            echo "| subscribers | held open for | server RSS before | with them | per subscriber |"
            echo "|--:|--:|--:|--:|--:|"
            echo "| $held | $HOLD s | $(mib "$before") | $(mib "$with") | $per |"
            echo
        } >>"$SUMMARY"
        ;;
    ws)
        declare -A port_of=()
        for server in usrv axum; do
            free_port port
            port_of[$server]=$port
            start "$server" "$port" "$OUT/ws-$server.log" taskset -c "$SERVER_CPU"
        done
        ticks=$(getconf CLK_TCK)
        printf 'round\tserver\tper_second\tper_cpu_second\tbusy\n' >"$OUT/ws.tsv"
        for round in $(seq "$WS_ROUNDS"); do
            order=(usrv axum)
            [ $((round % 2)) -eq 0 ] && order=(axum usrv)
            for server in "${order[@]}"; do
                pid=${PIDS[$server]}
                cpu_before=$(cpu_ticks "$pid")
                result=$(taskset -c "$CLIENT_CPU" "$LOAD" ws-echo "127.0.0.1:${port_of[$server]}" /ws \
                    "$WS_CONNECTIONS" "$WS_SECONDS" "$WS_SIZE") || fail "ws-echo against $server failed"
                cpu=$(($(cpu_ticks "$pid") - cpu_before))
                total=$(sed -n 's/.*round_trips=\([0-9]*\).*/\1/p' <<<"$result")
                seconds=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$result")
                per=$(sed -n 's/.*per_second=\([0-9]*\).*/\1/p' <<<"$result")
                per_cpu=$(awk -v n="$total" -v c="$cpu" -v t="$ticks" 'BEGIN { printf "%.0f", (c > 0 ? n / (c / t) : 0) }')
                busy=$(awk -v c="$cpu" -v t="$ticks" -v s="$seconds" 'BEGIN { printf "%.0f%%", 100 * c / t / s }')
                note "ws round $round, $server: $result, $per_cpu per server CPU-second, server core $busy busy"
                printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$server" "$per" "$per_cpu" "$busy" >>"$OUT/ws.tsv"
            done
        done
        stop_all
        median_of() {
            awk -F'\t' -v s="$1" -v c="$2" '$2 == s { print $c }' "$OUT/ws.tsv" | median
        }
        {
            echo "### WebSocket echo ($WS_CONNECTIONS connections, $WS_SIZE-byte text messages, $WS_ROUNDS rounds of $WS_SECONDS s)"
            echo
            echo "| server | round trips/s (median) | × axum | best round | round trips per server CPU-second (median) | × axum |"
            echo "|---|--:|--:|--:|--:|--:|"
            for server in axum usrv; do
                best=$(awk -F'\t' -v s="$server" '$2 == s && $3 > b { b = $3 } END { print b + 0 }' "$OUT/ws.tsv")
                awk -v s="$server" -v r="$(median_of "$server" 3)" -v ra="$(median_of axum 3)" -v best="$best" \
                    -v c="$(median_of "$server" 4)" -v ca="$(median_of axum 4)" 'BEGIN {
                    printf "| %s | %d | %.2f | %d | %d | %.2f |\n", s, r, (ra > 0 ? r / ra : 0), best, c, (ca > 0 ? c / ca : 0) }'
            done
            echo
        } >>"$SUMMARY"
        ;;
    ws-callgrind)
        need valgrind
        N1=${N1:-500}
        N2=${N2:-2500}
        printf 'server\tinstr_n1\tinstr_n2\tinstr_per_round_trip\n' >"$OUT/ws-callgrind.tsv"
        for server in axum usrv; do
            for n in "$N1" "$N2"; do
                free_port port
                file="$OUT/callgrind.out.ws-$server-$n"
                START_TIMEOUT=1200 start "$server" "$port" "$OUT/ws-callgrind-$server-$n.log" \
                    valgrind --tool=callgrind --callgrind-out-file="$file"
                "$LOAD" ws-count "127.0.0.1:$port" /ws "$n" "$WS_SIZE" >&2 ||
                    fail "ws-count against $server failed"
                stop "$server" || note "$server exited with status $?"
                total=$(awk '/^(summary|totals):/ { t = $2 } END { print t }' "$file")
                [ -n "$total" ] || fail "no instruction total in $file"
                eval "total_$n=$total"
            done
            eval "t1=\$total_$N1 t2=\$total_$N2"
            per=$(((t2 - t1) / (N2 - N1)))
            note "ws-callgrind $server: $per instructions per round trip"
            printf '%s\t%s\t%s\t%s\n' "$server" "$t1" "$t2" "$per" >>"$OUT/ws-callgrind.tsv"
        done
        {
            echo "### WebSocket echo, server instructions per round trip (callgrind, one socket, $WS_SIZE-byte text messages, N1 = $N1, N2 = $N2)"
            echo
            echo "| server | instructions per round trip | × axum |"
            echo "|---|--:|--:|"
            awk -F'\t' 'NR > 1 { per[$1] = $4 } END {
                printf "| axum | %d | 1.00 |\n", per["axum"]
                printf "| usrv | %d | %.2f |\n", per["usrv"], (per["axum"] > 0 ? per["usrv"] / per["axum"] : 0) }' "$OUT/ws-callgrind.tsv"
            echo
        } >>"$SUMMARY"
        ;;
    *) fail "unknown item $item (download sse ws ws-callgrind)" ;;
    esac
done
cat "$SUMMARY"
note "raw results: $OUT"
