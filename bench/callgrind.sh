#!/usr/bin/env bash
# Instructions per request, repeatable on a busy machine: each server runs
# under `valgrind --tool=callgrind` on one worker thread, answers exactly N1
# requests (then exits on SIGTERM), and again N2 requests; the difference
# of the two instruction totals over N2 - N1 is the cost of one request,
# start-up, connection set-up and shutdown cancelling out. The requests go
# over one keep-alive connection, one at a time (bench/src/bin/load.rs).
#
#   bench/callgrind.sh                    # every route, N1=2000, N2=12000
#   ROUTES="json" bench/callgrind.sh      # only /json
#   PROFILE=usrv bench/callgrind.sh       # also usrv's cost per request, by function
#   bench/callgrind.sh secure             # usrv plain / signed / sealed (bench/secure.sh)
#
# Environment: N1, N2, ROUTES (of plaintext json user), SERVERS (of hyper
# axum usrv), SKIP_BUILD=1, PROFILE (a server name: write its instructions
# per request by function, inclusive and exclusive, with cg-per-request.py;
# callgrind_annotate of the N2 run without python3), OUT (default
# bench/target/callgrind-<time>; the callgrind.out files stay there).
set -euo pipefail

if [ "${1:-}" = secure ]; then
    exec "$(dirname "$0")/secure.sh" callgrind
fi
[ $# -eq 0 ] || { echo "usage: $0 [secure]" >&2; exit 2; }

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N1=${N1:-2000}
N2=${N2:-12000}
[ "$N2" -gt "$N1" ] || fail "N2 ($N2) must be larger than N1 ($N1)"
OUT=${OUT:-$BENCH_DIR/target/callgrind-$(date -u +%Y%m%d-%H%M%S)}

need valgrind
need callgrind_annotate valgrind
need ss iproute2
build_all
mkdir -p "$OUT"
trap stop_all EXIT
trap 'exit 130' INT TERM

# The instruction total of a callgrind.out file.
total() {
    awk '/^(summary|totals):/ { t = $2 } END { print t }' "$1"
}

# measure SERVER ROUTE N: sets MEASURED to the total instructions of a
# server that answered N requests.
measure() {
    local server=$1 route=$2 n=$3 port
    local file="$OUT/callgrind.out.$server-$route-$n"
    free_port port
    START_TIMEOUT=1200 start "$server" "$port" "$OUT/$server-$route-$n.log" \
        valgrind --tool=callgrind --callgrind-out-file="$file"
    "$LOAD_BIN" "127.0.0.1:$port" "${ROUTE_PATH[$route]}" "$n" >&2 ||
        fail "$server: the load client failed on ${ROUTE_PATH[$route]}"
    stop "$server" || note "$server exited with status $? (see $OUT/$server-$route-$n.log)"
    [ -s "$file" ] || fail "valgrind wrote no profile for $server (see $OUT/$server-$route-$n.log)"
    MEASURED=$(total "$file")
    [ -n "$MEASURED" ] || fail "no instruction total in $file"
}

RESULTS=$OUT/results.tsv
printf 'route\tserver\tinstr_n1\tinstr_n2\tinstr_per_request\n' >"$RESULTS"
for route in "${ROUTES[@]}"; do
    for server in "${SERVERS[@]}"; do
        free_port check_port
        start "$server" "$check_port" "$OUT/$server-check.log"
        check "$server" "$check_port" "$route"
        stop "$server" || true
        note "$server ${ROUTE_PATH[$route]}: $N1 requests under callgrind"
        measure "$server" "$route" "$N1"
        t1=$MEASURED
        note "$server ${ROUTE_PATH[$route]}: $N2 requests under callgrind"
        measure "$server" "$route" "$N2"
        t2=$MEASURED
        per=$(((t2 - t1) / (N2 - N1)))
        printf '%s\t%s\t%s\t%s\t%s\n' "$route" "$server" "$t1" "$t2" "$per" >>"$RESULTS"
        note "$server ${ROUTE_PATH[$route]}: $per instructions per request"
        if [ "${PROFILE:-}" = "$server" ]; then
            profile="$OUT/profile-$server-$route.txt"
            n1_file="$OUT/callgrind.out.$server-$route-$N1"
            n2_file="$OUT/callgrind.out.$server-$route-$N2"
            if command -v python3 >/dev/null; then
                {
                    "$BENCH_DIR/cg-per-request.py" --top 60 "$n1_file" "$n2_file"
                    echo
                    "$BENCH_DIR/cg-per-request.py" --self --top 40 "$n1_file" "$n2_file"
                } >"$profile" || fail "cg-per-request.py failed on $n2_file"
            else
                callgrind_annotate --inclusive=yes "$n2_file" >"$profile" ||
                    fail "callgrind_annotate failed on $n2_file"
            fi
            note "profile: $profile"
        fi
    done
done
stop_all

{
    machine
    echo "command: N1=$N1 N2=$N2 bench/callgrind.sh"
    echo "setup: valgrind --tool=callgrind, USRV_WORKERS=1, one keep-alive connection, one request at a time; (total(N2) - total(N1)) / (N2 - N1)"
    echo
    echo "| route | server | instructions/request | × hyper |"
    echo "|---|---|--:|--:|"
    for route in "${ROUTES[@]}"; do
        base=$(awk -F'\t' -v r="$route" '$1 == r && $2 == "hyper" { print $5 }' "$RESULTS")
        for server in "${SERVERS[@]}"; do
            awk -F'\t' -v r="$route" -v s="$server" -v path="${ROUTE_PATH[$route]}" -v base="${base:-0}" \
                '$1 == r && $2 == s {
                    ratio = base > 0 ? sprintf("%.2f", $5 / base) : "-"
                    printf "| %s | %s | %d | %s |\n", path, s, $5, ratio }' "$RESULTS"
        done
    done
} | tee "$OUT/summary.md"
note "profiles and raw results: $OUT"
