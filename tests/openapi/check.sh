#!/usr/bin/env bash
# The OpenAPI documents of the examples, checked by independent tools, for
# every example that serves (hello, secure, state, bench, websocket, tower,
# streaming; not secure_client, a client):
#
# - openapi-spec-validator validates each `GET /openapi.json` against the
#   OpenAPI 3.1 specification;
# - each served document equals its snapshot, `tests/openapi/<name>.json`.
#   The cargo tests `tests/example_<name>.rs` check the snapshots of hello,
#   secure, bench and tower too, from the routes; state, websocket and
#   streaming are checked here only: their routes take `State<T>` of types
#   private to the example, so a test binary cannot build their App.
#   USRV_UPDATE_SNAPSHOTS=1 rewrites the snapshots from the served
#   documents, in the cargo tests' format;
# - schemathesis tests each example against its own document, with
#   generated requests: no 5xx, every status and content type declared,
#   every body matching its declared schema. USRV_OPENAPI_EXAMPLES
#   (default 60, half for `secure`) bounds the requests per operation.
#   `secure`'s signed routes can only be seen refused. `streaming`'s
#   endless event streams (`/events`, `/idle`) are left out, and the
#   `size` of `/download` is capped when sent (see `download_hook` below).
#
# Both tools come from PyPI, into a virtual environment made here when
# missing (USRV_OPENAPI_VENV, by default target/openapi-venv). Exits
# non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${CARGO_TARGET_DIR:-target}
venv=${USRV_OPENAPI_VENV:-$target/openapi-venv}
examples=${USRV_OPENAPI_EXAMPLES:-60}
case $target in /*) ;; *) target=$PWD/$target ;; esac
case $venv in /*) ;; *) venv=$PWD/$venv ;; esac
snapshots=$PWD/tests/openapi

if ! "$venv/bin/python" -c 'import openapi_spec_validator, schemathesis' 2>/dev/null; then
    echo "== installing openapi-spec-validator and schemathesis into $venv"
    rm -rf "$venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
        # Debian and Ubuntu ship `venv` apart.
        rm -rf "$venv"
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check openapi-spec-validator schemathesis
fi
python="$venv/bin/python"

names=(hello secure state bench websocket tower streaming)
build=()
for name in "${names[@]}"; do build+=(--example "$name"); done
cargo build --quiet "${build[@]}"

# The servers' PIDs, recorded here in the parent shell (not in a command
# substitution's subshell), so that the cleanup stops every one of them.
pids=()
work=$(mktemp -d)
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts an example on a free port and waits until it answers; its base
# URL goes to urls[name]. Runs in this shell: call it plainly, never in
# `$(...)`.
declare -A urls
start() {
    local name=$1 port url
    port=$(free_port)
    url="http://127.0.0.1:$port"
    USRV_ADDR="127.0.0.1:$port" RUST_LOG=off \
        "$target/debug/examples/$name" >"$work/$name.log" 2>&1 &
    pids+=($!)
    "$python" - "$url" <<'PY' || { cat "$work/$name.log" >&2; return 1; }
import sys, time, urllib.request
url = sys.argv[1]
for _ in range(200):
    try:
        urllib.request.urlopen(url + "/openapi.json", timeout=1).read()
        break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit(f"{url} did not answer")
PY
    urls[$name]=$url
}

for name in "${names[@]}"; do start "$name"; done

failed=0
for name in "${names[@]}"; do
    url=${urls[$name]}
    echo "== openapi-spec-validator and snapshot: $name ($url/openapi.json)"
    "$python" - "$url/openapi.json" "$snapshots/$name.json" <<'PY' || failed=1
import json, os, sys, urllib.request
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
url, snapshot = sys.argv[1], sys.argv[2]
document = json.loads(urllib.request.urlopen(url, timeout=5).read())
try:
    validate(document)
except OpenAPIValidationError as error:
    sys.exit(f"invalid: {error}")
assert document["openapi"].startswith("3.1"), document["openapi"]
print(f"valid OpenAPI {document['openapi']}: {sum(len(p) for p in document['paths'].values())} operations")
# serde_json's pretty format, keys sorted: what the cargo tests write.
text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
if os.environ.get("USRV_UPDATE_SNAPSHOTS"):
    with open(snapshot, "w", encoding="utf-8") as file:
        file.write(text)
    print(f"wrote {snapshot}")
else:
    try:
        expected = json.load(open(snapshot, encoding="utf-8"))
    except OSError as error:
        sys.exit(f"{error}; write it with USRV_UPDATE_SNAPSHOTS=1")
    if expected != document:
        import difflib
        old = json.dumps(expected, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
        diff = difflib.unified_diff(old, text.splitlines(), snapshot, url, lineterm="")
        print("\n".join(diff), file=sys.stderr)
        sys.exit(f"the served document differs from {snapshot} (USRV_UPDATE_SNAPSHOTS=1 rewrites it)")
    print(f"equals {os.path.relpath(snapshot)}")
PY
done

# `GET /download?size=N` streams N bytes, any u64, as its document says;
# the generated N (up to 2^64 - 1) are capped at 1 MiB when sent, so that
# each reply is read whole within the request timeout. Values that are not
# a u64 (400) are sent as generated.
download_hook=$work/download_hook.py
cat >"$download_hook" <<'PY'
import schemathesis

CAP = 1 << 20


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path != "/download" or not isinstance(case.query, dict):
        return
    size = case.query.get("size")
    try:
        value = int(size)
    except (TypeError, ValueError):
        return
    if isinstance(size, bool) or str(value) != str(size).strip():
        return
    if CAP < value < 1 << 64:
        case.query["size"] = CAP if isinstance(size, int) else str(CAP)
PY

# Generated requests, a bounded number per operation; in the scratch
# directory, where schemathesis leaves its reports. Per example: the
# examples per operation, then extra arguments.
declare -A budget=([secure]=$(((examples + 1) / 2)))
declare -A extra=(
    [streaming]="--exclude-path /events --exclude-path /idle"
)
for name in "${names[@]}"; do
    url=${urls[$name]}
    n=${budget[$name]:-$examples}
    hooks=
    [ "$name" = streaming ] && hooks=$download_hook
    echo "== schemathesis: $name ($n examples per operation)"
    # shellcheck disable=SC2086 # `extra` holds separate arguments.
    (cd "$work" && SCHEMATHESIS_HOOKS=$hooks "$venv/bin/schemathesis" run "$url/openapi.json" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --max-examples "$n" \
        --phases examples,coverage,fuzzing \
        --generation-database none \
        --request-timeout 5 \
        --warnings off \
        ${extra[$name]:-}) || failed=1
done

if [ "$failed" -ne 0 ]; then
    echo "openapi: FAILED" >&2
    exit 1
fi
echo "openapi: every document valid and equal to its snapshot, and each server conforms to its own"
