#!/usr/bin/env bash
# Memory per idle connection: each server (one worker) on a fresh start,
# its resident memory before and with H1_CONNS (10,000) idle HTTP/1.1
# keep-alive connections that each had one request answered, then, on
# another fresh start, with H2_CONNS (1,000) idle HTTP/2 connections
# (prior knowledge, one request each). The raw hyper baseline serves each
# protocol with hyper's own builder (for HTTP/2 a build with the `http2`
# feature, in bench/target/http2, run with BENCH_HTTP2=1); axum serves
# HTTP/2 through hyper-util, as usrv does.
#
#   bench/conns.sh                    # builds, then hyper, axum, usrv
#   SKIP_BUILD=1 SERVERS="usrv" bench/conns.sh
#
# Environment: SERVERS, H1_CONNS, H2_CONNS, SKIP_BUILD=1, OUT. Needs
# `ulimit -n` above the connection counts (each end is its own process).
set -euo pipefail
[ $# -eq 0 ] || { echo "usage: $0 (see the comment at its top)" >&2; exit 2; }

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

H1_CONNS=${H1_CONNS:-10000}
H2_CONNS=${H2_CONNS:-1000}
OUT=${OUT:-$BENCH_DIR/target/conns-$(date -u +%Y%m%d-%H%M%S)}
[ "$(ulimit -n)" -gt $((H1_CONNS + 100)) ] || ulimit -n $((H1_CONNS + 1000)) ||
    fail "ulimit -n is too low for $H1_CONNS connections"
need ss iproute2
build_all
# The raw hyper baseline with HTTP/2 built in, apart from the HTTP/1.1 one.
HYPER_H2_BIN=$BENCH_DIR/target/http2/release/bench-hyper
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    note "building bench-hyper with HTTP/2 (release, target/http2)"
    (cd "$BENCH_DIR" && cargo build --release --quiet --features http2 --bin bench-hyper \
        --target-dir "$BENCH_DIR/target/http2") || fail "cannot build bench-hyper with http2"
fi
[ -x "$HYPER_H2_BIN" ] || fail "missing binary $HYPER_H2_BIN"
mkdir -p "$OUT"
trap stop_all EXIT
trap 'exit 130' INT TERM

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
RESULTS=$OUT/results.tsv
printf 'server\tprotocol\tconnections\tanswered\trss_before_kib\trss_kib\n' >"$RESULTS"
for server in "${SERVERS[@]}"; do
    for protocol in h1 h2; do
        count=$H1_CONNS
        [ "$protocol" = h2 ] && count=$H2_CONNS
        # Below the ephemeral range: the previous run's client ports may
        # still be closing.
        free_port port
        while [ "$port" -ge 32768 ]; do free_port port; done
        if [ "$protocol" = h2 ] && [ "$server" = hyper ]; then
            # The baseline serves HTTP/2 only when asked (conns.py checks
            # every answer).
            h1_bin=${SERVER_BIN[hyper]}
            SERVER_BIN[hyper]=$HYPER_H2_BIN
            start "$server" "$port" "$OUT/$server-$protocol.log" env BENCH_HTTP2=1
            SERVER_BIN[hyper]=$h1_bin
        else
            start "$server" "$port" "$OUT/$server-$protocol.log"
            check "$server" "$port" plaintext
        fi
        pid=${PIDS[$server]}
        sleep 1
        before=$(rss "$pid")
        result=$(python3 "$BENCH_DIR/conns.py" "$protocol" "127.0.0.1:$port" "$count" "$pid")
        note "$server $protocol: $result (before: $before KiB)"
        read -r opened answered after < <(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["connections"], r["answered"], r["rss_kib"])' "$result")
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$server" "$protocol" "$opened" "$answered" "$before" "$after" >>"$RESULTS"
        stop "$server" || true
    done
done

{
    machine
    echo "command: H1_CONNS=$H1_CONNS H2_CONNS=$H2_CONNS bench/conns.sh"
    echo
    echo "| server | protocol | idle connections (answered) | RSS before | RSS with them | per connection |"
    echo "|---|---|--:|--:|--:|--:|"
    awk -F'\t' 'NR > 1 {
        printf "| %s | %s | %d (%d) | %.1f MiB | %.1f MiB | %.1f KiB |\n",
            $1, $2 == "h1" ? "HTTP/1.1" : "HTTP/2", $3, $4, $5 / 1024, $6 / 1024, ($6 - $5) / $3 }' "$RESULTS"
} | tee "$OUT/summary.md"
note "raw results: $OUT"
