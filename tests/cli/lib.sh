# Shared helpers for the CLI tests: each test script sources this, runs the
# real iocm binary ($IOCM) against a fresh database in a temporary folder,
# and asserts on stdout, stderr, exit status and --json output.
set -u

: "${IOCM:?IOCM must name the iocm binary}"
TEST_TMP=$(mktemp -d)
trap 'rm -rf "$TEST_TMP"' EXIT
export IOCM_ENV_FILE=$TEST_TMP/.env
printf 'DATABASE_URL=sqlite:%s/iocm.db\n' "$TEST_TMP" >"$IOCM_ENV_FILE"
export IOCM_NOW=2026-12-04T08:00:00Z
unset IOCM_ENV DATABASE_URL REPORT_ENABLED MAIL_SERVER MAIL_PASSWORD || true

# offline_enrichment: adds to the .env what makes enrichment run offline:
# the MaxMind test databases, and a DNS server that does not answer (every
# dns lookup is a recorded failure), with no cache between runs.
offline_enrichment() {
    local mmdb=${IOCM_TESTDATA:?}/mmdb
    cat >>"$IOCM_ENV_FILE" <<ENV
GEOIP_DB_PATH=$mmdb/GeoLite2-City-Test.mmdb
ASN_DB_PATH=$mmdb/GeoLite2-ASN-Test.mmdb
ENRICH_DNS_SERVER=127.0.0.1:1
ENRICH_DNS_CACHE_DAYS=0
ENV
}

failures=0
checks=0
OUT=""
ERR=""
STATUS=0

# run ARGS...: runs iocm, keeping stdout in $OUT, stderr in $ERR and the
# exit status in $STATUS. Standard input is empty unless RUN_STDIN is set.
run() {
    local in=${RUN_STDIN-}
    OUT=$(printf '%s' "$in" | "$IOCM" "$@" 2>"$TEST_TMP/stderr")
    STATUS=$?
    ERR=$(cat "$TEST_TMP/stderr")
}

fail() {
    failures=$((failures + 1))
    # The outermost frame is the line of the test script itself.
    echo "FAIL (line ${BASH_LINENO[${#BASH_LINENO[@]} - 2]}): $*" >&2
    echo "  command status: $STATUS" >&2
    [[ -n $OUT ]] && echo "  stdout: ${OUT:0:2000}" >&2
    [[ -n $ERR ]] && echo "  stderr: ${ERR:0:2000}" >&2
}

check() {
    checks=$((checks + 1))
    if ! eval "$1"; then
        fail "${2:-$1}"
    fi
}

# The expect_* helpers compare without eval so the expected text is taken
# literally.
assert() {
    checks=$((checks + 1))
    if ! "$@"; then
        fail "$ASSERT_WHAT"
    fi
}
has() { [[ $1 == *"$2"* ]]; }
lacks() { [[ $1 != *"$2"* ]]; }
expect_status() { ASSERT_WHAT="expected exit status $1"; assert test "$STATUS" -eq "$1"; }
expect_out() { ASSERT_WHAT="stdout should contain '$1'"; assert has "$OUT" "$1"; }
expect_not_out() { ASSERT_WHAT="stdout should not contain '$1'"; assert lacks "$OUT" "$1"; }
expect_err() { ASSERT_WHAT="stderr should contain '$1'"; assert has "$ERR" "$1"; }
expect_no_err() { ASSERT_WHAT="stderr should be empty"; assert test -z "$ERR"; }
# One line on stderr: a rejected input is one clear line.
expect_one_err_line() {
    ASSERT_WHAT="stderr should be exactly one line"
    assert test "$(printf '%s\n' "$ERR" | grep -c .)" -eq 1
}
# json_eq FILTER VALUE: jq FILTER over $OUT gives VALUE (compact JSON).
json_eq() {
    local got
    got=$(printf '%s' "$OUT" | jq -c "$1" 2>&1)
    checks=$((checks + 1))
    if [[ $got != "$2" ]]; then
        fail "jq '$1' gave '$got', expected '$2'"
    fi
}
# sql QUERY: runs a query on the test database (for "nothing was written").
sql() { sqlite3 "$TEST_TMP/iocm.db" "$1"; }

finish() {
    echo "$checks checks, $failures failed"
    ((failures == 0))
}
