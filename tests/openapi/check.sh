#!/usr/bin/env bash
# The OpenAPI documents of the examples, checked by independent tools:
#
# - openapi-spec-validator validates the `GET /openapi.json` of `hello` and
#   of `secure` against the OpenAPI 3.1 specification;
# - schemathesis tests `hello` (and `secure`, whose signed routes it can
#   only see refused) against its own document, with generated requests:
#   no 5xx, every status and content type declared, every body matching
#   its declared schema. USRV_OPENAPI_EXAMPLES (default 60) bounds the
#   requests per operation.
#
# Both come from PyPI, into a virtual environment made here when missing
# (USRV_OPENAPI_VENV, by default target/openapi-venv). Exits non-zero on
# any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${CARGO_TARGET_DIR:-target}
venv=${USRV_OPENAPI_VENV:-$target/openapi-venv}
examples=${USRV_OPENAPI_EXAMPLES:-60}
case $target in /*) ;; *) target=$PWD/$target ;; esac
case $venv in /*) ;; *) venv=$PWD/$venv ;; esac

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

cargo build --quiet --example hello --example secure

pids=()
work=$(mktemp -d)
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts an example on a free port; prints its base URL once it answers.
start() {
    local name=$1 port
    port=$(free_port)
    USRV_ADDR="127.0.0.1:$port" RUST_LOG=off "$target/debug/examples/$name" >"$work/$name.log" 2>&1 &
    pids+=($!)
    "$python" - "http://127.0.0.1:$port" <<'PY' || { cat "$work/$name.log" >&2; return 1; }
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
    echo "http://127.0.0.1:$port"
}

failed=0
hello=$(start hello)
secure=$(start secure)

for pair in "hello $hello" "secure $secure"; do
    set -- $pair
    echo "== openapi-spec-validator: $1 ($2/openapi.json)"
    "$python" - "$2/openapi.json" "$work/$1.json" <<'PY' || failed=1
import json, sys, urllib.request
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
document = json.loads(urllib.request.urlopen(sys.argv[1], timeout=5).read())
json.dump(document, open(sys.argv[2], "w"))
try:
    validate(document)
except OpenAPIValidationError as error:
    sys.exit(f"invalid: {error}")
assert document["openapi"].startswith("3.1"), document["openapi"]
print(f"valid OpenAPI {document['openapi']}: {sum(len(p) for p in document['paths'].values())} operations")
PY
done

# Generated requests, a bounded number per operation; in the scratch
# directory, where schemathesis leaves its reports.
for pair in "hello $hello $examples" "secure $secure $((examples / 2))"; do
    set -- $pair
    echo "== schemathesis: $1 ($3 examples per operation)"
    (cd "$work" && "$venv/bin/schemathesis" run "$2/openapi.json" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --max-examples "$3" \
        --phases examples,coverage,fuzzing \
        --generation-database none \
        --request-timeout 5 \
        --warnings off) || failed=1
done

if [ "$failed" -ne 0 ]; then
    echo "openapi: FAILED" >&2
    exit 1
fi
echo "openapi: every document valid, and each server conforms to its own"
