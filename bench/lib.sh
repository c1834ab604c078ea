# Shared by compare.sh and callgrind.sh: the servers, building them,
# starting and stopping them, free ports, readiness. Sourced, not run.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$BENCH_DIR/.." && pwd)

# The servers, in the order of the tables: name and binary. SERVERS="usrv
# hyper" in the environment picks some of them (the same for ROUTES).
_servers_env=${SERVERS:-}
_routes_env=${ROUTES:-}
unset SERVERS ROUTES
SERVERS=(hyper axum usrv)
declare -A SERVER_BIN=(
    [hyper]="$BENCH_DIR/target/release/bench-hyper"
    [axum]="$BENCH_DIR/target/release/bench-axum"
    [usrv]="$ROOT_DIR/target/release/examples/bench"
)
LOAD_BIN="$BENCH_DIR/target/release/load"
[ -z "$_servers_env" ] || read -r -a SERVERS <<<"$_servers_env"

# The routes: name, path, expected body, expected content type.
ROUTES=(plaintext json user)
declare -A ROUTE_PATH=(
    [plaintext]=/plaintext
    [json]=/json
    [user]=/user/42/bench
)
declare -A ROUTE_BODY=(
    [plaintext]='Hello, World!'
    [json]='{"message":"Hello, World!"}'
    [user]='[42,"bench"]'
)
declare -A ROUTE_TYPE=(
    [plaintext]='text/plain; charset=utf-8'
    [json]='application/json'
    [user]='application/json'
)
[ -z "$_routes_env" ] || read -r -a ROUTES <<<"$_routes_env"

fail() {
    echo "error: $*" >&2
    exit 1
}

note() {
    echo "== $*" >&2
}

# Installs a Debian package when its command is missing.
need() {
    local command=$1 package=${2:-$1}
    command -v "$command" >/dev/null 2>&1 && return 0
    note "installing $package"
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
        fail "$command is missing: install the Debian package $package"
    fi
    if ! apt-get install -y -qq "$package" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1 || true
        apt-get install -y -qq "$package" >/dev/null || fail "cannot install $package"
    fi
    command -v "$command" >/dev/null || fail "$package installed no $command"
}

# Builds the three servers and the load client in release mode
# (SKIP_BUILD=1 reuses the binaries already built).
build_all() {
    if [ "${SKIP_BUILD:-0}" = 1 ]; then
        note "SKIP_BUILD=1: using the binaries already built"
    else
        note "building usrv's examples/bench.rs (release)"
        (cd "$ROOT_DIR" && cargo build --release --quiet --example bench) ||
            fail "cannot build usrv's bench example"
        note "building the baselines and the load client (release)"
        (cd "$BENCH_DIR" && cargo build --release --quiet) || fail "cannot build bench/"
    fi
    local server route
    for server in "${SERVERS[@]}"; do
        [ -n "${SERVER_BIN[$server]:-}" ] || fail "unknown server $server (hyper, axum, usrv)"
        [ -x "${SERVER_BIN[$server]}" ] || fail "missing binary ${SERVER_BIN[$server]}"
    done
    for route in "${ROUTES[@]}"; do
        [ -n "${ROUTE_PATH[$route]:-}" ] || fail "unknown route $route (plaintext, json, user)"
    done
    [ -x "$LOAD_BIN" ] || fail "missing binary $LOAD_BIN"
}

# Whether something listens on this TCP port of 127.0.0.1 (no connection made).
listening() {
    [ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
}

USED_PORTS=" "
# free_port VAR: sets VAR to a port that nothing listens on and that this
# script has not handed out yet.
free_port() {
    local _fp_port _
    for _ in $(seq 200); do
        _fp_port=$((20000 + RANDOM % 30000))
        case "$USED_PORTS" in *" $_fp_port "*) continue ;; esac
        if ! listening "$_fp_port" && ! (exec 3<>"/dev/tcp/127.0.0.1/$_fp_port") 2>/dev/null; then
            USED_PORTS="$USED_PORTS$_fp_port "
            printf -v "$1" "%s" "$_fp_port"
            return 0
        fi
    done
    fail "no free port found"
}

# The started servers, stopped by stop_all (installed as the EXIT trap).
declare -A PIDS=()
stop_all() {
    local name pid
    for name in "${!PIDS[@]}"; do
        pid=${PIDS[$name]}
        kill -TERM "$pid" 2>/dev/null || true
    done
    for name in "${!PIDS[@]}"; do
        pid=${PIDS[$name]}
        # Give each one 30 s (valgrind writes its profile on exit), then KILL.
        for _ in $(seq 300); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        unset "PIDS[$name]"
    done
}

# stop NAME: stops one server and waits for it to exit; returns its status.
stop() {
    local name=$1 pid=${PIDS[$1]} status=0
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" || status=$?
    unset "PIDS[$name]"
    return "$status"
}

# start NAME PORT LOG [WRAPPER...]: starts a server on one worker thread,
# under the wrapper command (taskset, valgrind), and waits until it listens.
start() {
    local name=$1 port=$2 log=$3
    shift 3
    USRV_WORKERS=1 "$@" "${SERVER_BIN[$name]}" "127.0.0.1:$port" >"$log" 2>&1 &
    PIDS[$name]=$!
    local pid=$! waited=0
    while ! listening "$port"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            unset "PIDS[$name]"
            echo "--- $log:" >&2
            tail -20 "$log" >&2
            fail "$name exited before listening on 127.0.0.1:$port"
        fi
        sleep 0.1
        waited=$((waited + 1))
        [ "$waited" -lt "${START_TIMEOUT:-600}" ] ||
            fail "$name does not listen on 127.0.0.1:$port after $((waited / 10)) s (log: $log)"
    done
}

# check NAME PORT ROUTE: one request with curl; the body and content type
# must be what the route answers.
check() {
    local name=$1 port=$2 route=$3 dir
    dir=$(mktemp -d)
    local url="http://127.0.0.1:$port${ROUTE_PATH[$route]}"
    local status
    status=$(curl -sS --max-time 10 -o "$dir/body" -w '%{http_code} %{content_type}' "$url") ||
        fail "$name: curl $url failed"
    local body
    body=$(cat "$dir/body")
    rm -rf "$dir"
    [ "$status" = "200 ${ROUTE_TYPE[$route]}" ] ||
        fail "$name: $url answered \"$status\", expected \"200 ${ROUTE_TYPE[$route]}\""
    [ "$body" = "${ROUTE_BODY[$route]}" ] ||
        fail "$name: $url answered the body '$body', expected '${ROUTE_BODY[$route]}'"
}

# The median of numbers, one per line on stdin.
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The machine, for the record.
machine() {
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "nproc: $(nproc)"
    echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "kernel: $(uname -r)"
    echo "rustc: $(rustc --version 2>/dev/null)"
    echo "commit: $(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT_DIR" diff --quiet HEAD -- usrv 2>/dev/null || echo ' (usrv/ modified)')"
}
