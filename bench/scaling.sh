#!/usr/bin/env bash
# Whether usrv's cost per request grows only as the work does: server
# instructions per request under callgrind (as callgrind.sh: a server on one
# worker answers exactly N1, then N2 requests over one keep-alive
# connection, one at a time; (total(N2) - total(N1)) / (N2 - N1)) against
#
#   routes: the size of the route table, SCALING_ROUTES = 10, 100, 1,000,
#           10,000 (filler routes /r{i}/<int:id>/<name>), GET /user/42/bench;
#   params: the number of path parameters, 0..8, GET /p{k}/v1/.../vk
#           (SCALING_ROUTES=10);
#   body:   the body size, 1 KiB .. 1 MiB, POST /echo (`plain`) and POST
#           /sealed (`sealed`: signed, the body and the reply sealed), the
#           same bytes answered.
#
# The server is examples/scaling.rs; the clients bench/src/bin/load.rs (GET)
# and bench/src/bin/secure-load.rs --body (POST, through usrv::Client).
#
#   bench/scaling.sh                          # everything, about 16 minutes
#   SECTIONS="params body" bench/scaling.sh   # some sections only
#   ROUTE_COUNTS="10 1000" BODY_SIZES="1024 65536" bench/scaling.sh
#
# Environment: SECTIONS (of routes params body), ROUTE_COUNTS, PARAM_COUNTS,
# BODY_SIZES (bytes), BODY_MODES (of plain sealed), N1 and N2 for the GET
# sections (2000, 12000); the body section takes N1/N2 by size (50/250 up
# to 16 KiB, 20/120 up to 64 KiB, 5/25 above), BODY_N1/BODY_N2 override;
# SKIP_BUILD=1, OUT (default bench/target/scaling-<time>).
#
# Writes OUT/results.tsv, OUT/summary.md (the tables, the machine and the
# command) and, when python3 has matplotlib, OUT/scaling.png. With python3,
# each measurement is also split by where the instructions go (exclusive
# cost per request by crate: usrv's own code, hyper, tokio, crypto, memory
# copies, the allocator), from the two profiles (kept in OUT).
#
# Building a table of 10,000 routes takes ~27 G instructions (Router::insert
# rebuilds its literal index at each insert), 3.5 to 6 minutes under
# callgrind per run: the routes section dominates the time. Start-up
# cancels out of the figures.
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ $# -eq 0 ] || { echo "usage: $0   (settings in the environment, see the header)" >&2; exit 2; }

read -r -a SECTIONS <<<"${SECTIONS:-routes params body}"
read -r -a ROUTE_COUNTS <<<"${ROUTE_COUNTS:-10 100 1000 10000}"
read -r -a PARAM_COUNTS <<<"${PARAM_COUNTS:-0 1 2 3 4 5 6 7 8}"
read -r -a BODY_SIZES <<<"${BODY_SIZES:-1024 4096 16384 65536 262144 1048576}"
read -r -a BODY_MODES <<<"${BODY_MODES:-plain sealed}"
N1=${N1:-2000}
N2=${N2:-12000}
[ "$N2" -gt "$N1" ] || fail "N2 ($N2) must be larger than N1 ($N1)"
for section in "${SECTIONS[@]}"; do
    case "$section" in routes | params | body) ;; *) fail "unknown section $section (routes, params, body)" ;; esac
done
for mode in "${BODY_MODES[@]}"; do
    case "$mode" in plain | sealed) ;; *) fail "unknown body mode $mode (plain, sealed)" ;; esac
done
for k in "${PARAM_COUNTS[@]}"; do
    [[ "$k" =~ ^[0-8]$ ]] || fail "PARAM_COUNTS: $k is not in 0..8"
done
for n in "${ROUTE_COUNTS[@]}" "${BODY_SIZES[@]}"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || fail "ROUTE_COUNTS, BODY_SIZES: $n is not a positive number"
done

SERVER_BIN[scaling]="$ROOT_DIR/target/release/examples/scaling"
SECURE_BIN="$BENCH_DIR/target/release/secure-load"
OUT=${OUT:-$BENCH_DIR/target/scaling-$(date -u +%Y%m%d-%H%M%S)}
# A 10,000-route table takes minutes to build under callgrind.
START_TIMEOUT=${START_TIMEOUT:-6000}

need valgrind
need callgrind_annotate valgrind
need ss iproute2
need curl
if [ "${SKIP_BUILD:-0}" = 1 ]; then
    note "SKIP_BUILD=1: using the binaries already built"
else
    note "building usrv's examples/scaling.rs (release)"
    (cd "$ROOT_DIR" && cargo build --release --quiet --example scaling) ||
        fail "cannot build usrv's scaling example"
    note "building load and secure-load (release, feature secure: it builds usrv)"
    (cd "$BENCH_DIR" && cargo build --release --quiet --features secure --bin load --bin secure-load) ||
        fail "cannot build bench/src/bin/load.rs and secure-load.rs"
fi
for binary in "${SERVER_BIN[scaling]}" "$LOAD_BIN" "$SECURE_BIN"; do
    [ -x "$binary" ] || fail "missing binary $binary"
done
mkdir -p "$OUT"
# The machine and the commit as built (another checkout user may change
# the tree while this runs).
MACHINE=$(machine)
CHANGED=$(git -C "$ROOT_DIR" status --short 2>/dev/null | awk '{ print $NF }' | paste -sd' ' -)
trap stop_all EXIT
trap 'exit 130' INT TERM

PYTHON=""
command -v python3 >/dev/null && PYTHON=python3

# The instruction total of a callgrind.out file.
total() {
    awk '/^(summary|totals):/ { t = $2 } END { print t }' "$1"
}

# The size of the route table, from the server's start-up line.
table_size() {
    sed -n 's/^scaling: \([0-9]*\) routes.*/\1/p' "$1" | head -1
}

# The path of /p{k} with k values: /p0, /p1/v1, /p2/v1/v2...
param_path() {
    local k=$1 path="/p$1" i
    for i in $(seq 1 "$k"); do path="$path/v$i"; done
    echo "$path"
}

# Its JSON reply: null, "v1", ["v1","v2"]...
param_reply() {
    local k=$1 i values=()
    case "$k" in
    0) echo null ;;
    1) echo '"v1"' ;;
    *)
        for i in $(seq 1 "$k"); do values+=("\"v$i\""); done
        local IFS=,
        echo "[${values[*]}]"
        ;;
    esac
}

# check_get PORT PATH BODY: one GET with curl, 200 and this body.
check_get() {
    local port=$1 path=$2 expected=$3 answer
    answer=$(curl -sS --max-time 10 -w ' %{http_code}' "http://127.0.0.1:$port$path") ||
        fail "curl $path failed"
    [ "$answer" = "$expected 200" ] ||
        fail "GET $path answered '$answer', expected '$expected 200'"
}

# check_server ROUTES: the server, natively, with a table of ROUTES
# routes: the paths it will be measured on answer as they should.
check_server() {
    local routes=$1 port size k
    free_port port
    SCALING_ROUTES=$routes start scaling "$port" "$OUT/check-$routes.log"
    size=$(table_size "$OUT/check-$routes.log")
    [ -n "$size" ] || fail "no route count in $OUT/check-$routes.log"
    check_get "$port" /user/42/bench '[42,"bench"]'
    if [ "$size" -gt 12 ]; then
        # The last filler route: the table holds them all.
        check_get "$port" "/r$((size - 13))/7/x" ""
    fi
    if [ "$routes" = 10 ]; then
        for k in "${PARAM_COUNTS[@]}"; do
            check_get "$port" "$(param_path "$k")" "$(param_reply "$k")"
        done
        "$SECURE_BIN" "127.0.0.1:$port" /echo plain --count 2 --body 1000 >/dev/null ||
            fail "POST /echo failed"
        "$SECURE_BIN" "127.0.0.1:$port" /sealed sealed --count 2 --body 1000 >/dev/null ||
            fail "POST /sealed failed"
    fi
    stop scaling || true
}

# measure KEY ROUTES N CLIENT...: sets MEASURED to the total instructions
# of the server (SCALING_ROUTES=ROUTES) under callgrind after the client
# command made N requests (in its arguments, PORT becomes the server's
# address and COUNT becomes N); TABLE to the size of its route table.
measure() {
    local key=$1 routes=$2 n=$3 port arg
    shift 3
    local file="$OUT/callgrind.out.$key-$n" log="$OUT/$key-$n.log"
    free_port port
    SCALING_ROUTES=$routes start scaling "$port" "$log" \
        valgrind --tool=callgrind --callgrind-out-file="$file"
    local client=()
    for arg in "$@"; do
        case "$arg" in
        PORT) arg="127.0.0.1:$port" ;;
        COUNT) arg=$n ;;
        esac
        client+=("$arg")
    done
    "${client[@]}" >>"$OUT/client.log" 2>&1 ||
        fail "$key: the client failed: ${client[*]} (see $OUT/client.log)"
    stop scaling || note "the server exited with status $? (see $log)"
    [ -s "$file" ] || fail "valgrind wrote no profile (see $log)"
    MEASURED=$(total "$file")
    [ -n "$MEASURED" ] || fail "no instruction total in $file"
    TABLE=$(table_size "$log")
}

# Exclusive instructions per request by where they are spent, from the two
# profiles of a measurement: "usrv hyper tokio crypto memory alloc other"
# (empty without python3).
breakdown() {
    [ -n "$PYTHON" ] || return 0
    "$PYTHON" - "$@" <<'PY'
import re, subprocess, sys

n1_file, n2_file, n1, n2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
LINE = re.compile(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(?:\*\s+)?(.*?)(?: \[.*\])?$")
CRYPTO = {"usrv_crypto", "aes", "cbc", "cipher", "sha2", "hmac", "hkdf", "digest",
          "k256", "elliptic_curve", "primeorder", "crypto_bigint", "ecdsa", "signature",
          "subtle", "rand_core", "getrandom", "rand_chacha", "zeroize", "block_buffer",
          "secp256k1", "secp256k1_sys"}
GROUPS = ["usrv", "hyper", "tokio", "crypto", "memory", "alloc", "other"]


def group(name):
    # "file:function"; Rust names without debug information are "???:...".
    name = re.sub(r"^[^:]*:(?!:)", "", name, count=1)
    if re.search(r"(^|_)(mem(cpy|move|set|cmp)|bcmp)", name):
        return "memory"
    if re.match(r"(malloc|free|realloc|calloc|_int_|cfree|__libc_(malloc|free|realloc))", name):
        return "alloc"
    crate = re.match(r"^[<&\s]*(?:dyn\s+)?([A-Za-z_][A-Za-z0-9_]*)::", name)
    crate = crate.group(1) if crate else ""
    if crate in ("usrv", "scaling"):
        return "usrv"
    if crate in ("hyper", "hyper_util", "http", "http_body", "http_body_util", "httparse", "h2"):
        return "hyper"
    if crate in ("tokio", "mio"):
        return "tokio"
    if crate in CRYPTO:
        return "crypto"
    return "other"


def costs(path):
    out = subprocess.run(["callgrind_annotate", "--threshold=100", path],
                         capture_output=True, text=True, check=True).stdout
    table = dict.fromkeys(GROUPS, 0)
    for line in out.splitlines():
        match = LINE.match(line)
        if match and "PROGRAM TOTALS" not in line:
            table[group(match.group(2))] += int(match.group(1).replace(",", ""))
    return table


first, second = costs(n1_file), costs(n2_file)
print(" ".join(str(round((second[g] - first[g]) / (n2 - n1))) for g in GROUPS))
PY
}

RESULTS=$OUT/results.tsv
printf 'section\tx\tvariant\tpath\troutes_in_table\tn1\tn2\tinstr_n1\tinstr_n2\tinstr_per_request\tusrv\thyper\ttokio\tcrypto\tmemory\talloc\tother\n' >"$RESULTS"

# run SECTION X VARIANT PATH ROUTES N1 N2 CLIENT...: one measurement (two
# callgrind runs), a row of results.tsv.
run() {
    local section=$1 x=$2 variant=$3 path=$4 routes=$5 n1=$6 n2=$7
    shift 7
    local key="$section-$x-$variant" t1 t2 per split
    note "$section $x $variant: $path, SCALING_ROUTES=$routes, $n1 then $n2 requests under callgrind"
    measure "$key" "$routes" "$n1" "$@"
    t1=$MEASURED
    measure "$key" "$routes" "$n2" "$@"
    t2=$MEASURED
    per=$(((t2 - t1) / (n2 - n1)))
    split=$(breakdown "$OUT/callgrind.out.$key-$n1" "$OUT/callgrind.out.$key-$n2" "$n1" "$n2") ||
        split=""
    [ -n "$split" ] || split="- - - - - - -"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$section" "$x" "$variant" "$path" \
        "$TABLE" "$n1" "$n2" "$t1" "$t2" "$per" "${split// /$'\t'}" >>"$RESULTS"
    note "$section $x $variant: $per instructions per request (usrv hyper tokio crypto memory alloc other: $split)"
}

has() {
    local s
    for s in "${SECTIONS[@]}"; do [ "$s" = "$1" ] && return 0; done
    return 1
}

# The N1 and N2 of a body size: fewer requests for larger bodies.
body_counts() {
    local bytes=$1
    if [ -n "${BODY_N1:-}" ] && [ -n "${BODY_N2:-}" ]; then
        echo "$BODY_N1 $BODY_N2"
    elif [ "$bytes" -le 16384 ]; then
        echo "50 250"
    elif [ "$bytes" -le 65536 ]; then
        echo "20 120"
    else
        echo "5 25"
    fi
}

STARTED=$(date +%s)
check_server 10
if has routes; then
    for routes in "${ROUTE_COUNTS[@]}"; do
        [ "$routes" = 10 ] || check_server "$routes"
        run routes "$routes" get /user/42/bench "$routes" "$N1" "$N2" \
            "$LOAD_BIN" PORT /user/42/bench COUNT
    done
fi
if has params; then
    for k in "${PARAM_COUNTS[@]}"; do
        path=$(param_path "$k")
        run params "$k" get "$path" 10 "$N1" "$N2" "$LOAD_BIN" PORT "$path" COUNT
    done
fi
if has body; then
    for bytes in "${BODY_SIZES[@]}"; do
        read -r n1 n2 < <(body_counts "$bytes")
        [ "$n2" -gt "$n1" ] || fail "BODY_N2 ($n2) must be larger than BODY_N1 ($n1)"
        for mode in "${BODY_MODES[@]}"; do
            path=/echo
            [ "$mode" = sealed ] && path=/sealed
            run body "$bytes" "$mode" "$path" 10 "$n1" "$n2" \
                "$SECURE_BIN" PORT "$path" "$mode" --count COUNT --body "$bytes"
        done
    done
fi
stop_all
ELAPSED=$(($(date +%s) - STARTED))

# The summary: one table per section, from results.tsv.
commas='function commas(n,   s, sign) {
    if (n == "-" || n == "") return "-"
    n = sprintf("%.0f", n); sign = ""
    if (n ~ /^-/) { sign = "-"; n = substr(n, 2) }
    s = ""
    while (length(n) > 3) { s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) }
    return sign n s
}'
{
    echo "$MACHINE"
    [ -z "$CHANGED" ] || echo "uncommitted when built (git status --short): $CHANGED"
    echo "command: SECTIONS=\"${SECTIONS[*]}\" ROUTE_COUNTS=\"${ROUTE_COUNTS[*]}\" PARAM_COUNTS=\"${PARAM_COUNTS[*]}\" BODY_SIZES=\"${BODY_SIZES[*]}\" BODY_MODES=\"${BODY_MODES[*]}\" N1=$N1 N2=$N2 bench/scaling.sh ($((ELAPSED / 60)) min $((ELAPSED % 60)) s)"
    echo "setup: valgrind --tool=callgrind, examples/scaling.rs, USRV_WORKERS=1, one keep-alive connection, one request at a time; (total(N2) - total(N1)) / (N2 - N1) server instructions per request. usrv .. other: the same, exclusive, by the crate of each function (usrv: usrv and the route glue; crypto: usrv-crypto and the RustCrypto/k256 crates; memory: memcpy/memmove/memset/memcmp; alloc: malloc/free)"
    if has routes; then
        echo
        echo "Route table size, GET /user/42/bench (N1=$N1, N2=$N2):"
        echo
        echo "| SCALING_ROUTES | routes in the table | instructions/request | × smallest | usrv's own |"
        echo "|--:|--:|--:|--:|--:|"
        awk -F'\t' "$commas"'
            $1 == "routes" { if (base == "") base = $10
                printf "| %s | %s | %s | %.3f | %s |\n", commas($2), commas($5), commas($10), $10 / base, commas($11) }' "$RESULTS"
    fi
    if has params; then
        echo
        echo "Path parameters, GET /p{k}/v1/.../vk, SCALING_ROUTES=10 (N1=$N1, N2=$N2):"
        echo
        echo "| parameters | path | instructions/request | Δ vs previous | usrv's own | Δ usrv's own |"
        echo "|--:|---|--:|--:|--:|--:|"
        awk -F'\t' "$commas"'
            $1 == "params" {
                delta = prev == "" ? "-" : commas($10 - prev)
                own = (prev_own == "" || $11 == "-") ? "-" : commas($11 - prev_own)
                printf "| %s | `%s` | %s | %s | %s | %s |\n", $2, $4, commas($10), delta, commas($11), own
                prev = $10; prev_own = $11 }' "$RESULTS"
    fi
    if has body; then
        echo
        echo "Body size, POST /echo (plain) and POST /sealed (sealed), the same bytes answered; N1/N2 per row:"
        echo
        echo "| body | mode | N1/N2 | instructions/request | per KiB | Δ per KiB vs previous size | usrv's own | crypto | memory | alloc | hyper | tokio | other |"
        echo "|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
        for mode in "${BODY_MODES[@]}"; do
            awk -F'\t' -v mode="$mode" "$commas"'
                function size(b) { return b >= 1048576 ? (b / 1048576) " MiB" : (b / 1024) " KiB" }
                $1 == "body" && $3 == mode {
                    kib = $2 / 1024
                    delta = prev_kib == "" ? "-" : commas(($10 - prev) / (kib - prev_kib))
                    printf "| %s | %s | %s/%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                        size($2), mode, $6, $7, commas($10), commas($10 / kib), delta,
                        commas($11), commas($14), commas($15), commas($16), commas($12), commas($13), commas($17)
                    prev = $10; prev_kib = kib }' "$RESULTS"
        done
    fi
} >"$OUT/summary.md"
cat "$OUT/summary.md"

# The figure, when matplotlib is there (silently skipped otherwise).
if [ -n "$PYTHON" ] && "$PYTHON" -c 'import matplotlib' 2>/dev/null; then
    MPLBACKEND=Agg "$PYTHON" - "$RESULTS" "$OUT/scaling.png" <<'PY' || note "no figure: the plot failed"
import csv, sys

import matplotlib.pyplot as plt

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
sections = [s for s in ("routes", "params", "body") if any(r["section"] == s for r in rows)]
fig, axes = plt.subplots(1, len(sections), figsize=(5 * len(sections), 4), squeeze=False)


def own(r):
    return float(r["usrv"]) if r["usrv"] not in ("-", "") else None


for ax, section in zip(axes[0], sections):
    mine = [r for r in rows if r["section"] == section]
    for variant in dict.fromkeys(r["variant"] for r in mine):
        points = [r for r in mine if r["variant"] == variant]
        xs = [float(r["x"]) / (1024 if section == "body" else 1) for r in points]
        label = "total" if section != "body" else variant
        ax.plot(xs, [float(r["instr_per_request"]) for r in points], "o-", label=label)
        if all(own(r) is not None for r in points):
            own_label = "usrv's own" if section != "body" else f"usrv's own ({variant})"
            ax.plot(xs, [own(r) for r in points], "s--", label=own_label)
    if section == "routes":
        ax.set_xscale("log")
        ax.set_xlabel("routes in the table (SCALING_ROUTES)")
    elif section == "params":
        ax.set_xlabel("path parameters")
    else:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("body (KiB)")
    ax.set_ylabel("server instructions per request")
    ax.set_ylim(bottom=0 if section != "body" else None)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(section)
fig.suptitle("usrv: instructions per request (callgrind)")
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=120)
PY
    if [ -s "$OUT/scaling.png" ]; then note "figure: $OUT/scaling.png"; fi
fi
note "profiles and raw results: $OUT"
