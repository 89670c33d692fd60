# Helpers for the mail tests (t060-t069), sourced after lib.sh: a throwaway
# CA, real SMTP servers (tests/smtp/smtp_server.py, aiosmtpd run with
# Debian's /usr/bin/python3) on loopback ports the kernel picks, stopped
# when the test exits, and checks on the messages they received, parsed
# by Python's email package (tests/smtp/check_message.py).

SMTP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../smtp" && pwd)
SMTP_PYTHON=/usr/bin/python3
if ! "$SMTP_PYTHON" -c 'import aiosmtpd' 2>/dev/null; then
    echo "skipped: $SMTP_PYTHON cannot import aiosmtpd (python3-aiosmtpd)"
    exit 77
fi

# The mail settings of the caller's environment must not leak in.
unset MAIL_PORT MAIL_USE_TLS MAIL_USE_SSL MAIL_USERNAME MAIL_CA_FILE \
    MAIL_TIMEOUT MAIL_RETRIES MAIL_DEFAULT_SENDER DAILY_REPORT_RECIPIENTS \
    WEEKLY_REPORT_RECIPIENTS REPORT_MAX_TLP REPORT_TIMEZONE REPORT_DEFANG \
    TEMPLATE_DIR LOG_LEVEL || true

SMTP_PIDS=()
declare -A SMTP_PORT
stop_smtp_servers() {
    local pid
    for pid in "${SMTP_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${SMTP_PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    SMTP_PIDS=()
}
trap 'stop_smtp_servers; rm -rf "$TEST_TMP"' EXIT

sh "$SMTP_DIR/make_ca.sh" "$TEST_TMP/ca" || {
    echo "make_ca.sh failed" >&2
    exit 1
}
CA=$TEST_TMP/ca/ca.pem
CERT=$TEST_TMP/ca/server.pem
KEY=$TEST_TMP/ca/server.key

# start_smtp NAME ARGS...: starts a server that keeps what it receives in
# $TEST_TMP/mail-NAME and sets SMTP_PORT[NAME].
start_smtp() {
    local name=$1 dir=$TEST_TMP/mail-$1 i port=""
    shift
    mkdir -p "$dir"
    "$SMTP_PYTHON" "$SMTP_DIR/smtp_server.py" --maildir "$dir" "$@" \
        >"$dir.port" 2>"$dir.log" &
    SMTP_PIDS+=($!)
    for ((i = 0; i < 400; i++)); do
        port=$(head -n 1 "$dir.port" 2>/dev/null)
        [[ $port =~ ^[0-9]+$ ]] && break
        sleep 0.025
    done
    if ! [[ $port =~ ^[0-9]+$ ]]; then
        echo "smtp server '$name' did not start: $(cat "$dir.log")" >&2
        exit 1
    fi
    SMTP_PORT[$name]=$port
}

# A loopback port nothing listens on: one the kernel just handed out.
closed_port() {
    "$SMTP_PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# mail_count NAME: how many messages server NAME has kept.
mail_count() {
    local n=0 f
    for f in "$TEST_TMP/mail-$1"/*.eml; do
        [[ -e $f ]] && n=$((n + 1))
    done
    echo "$n"
}
# last_mail NAME: the newest message of server NAME.
last_mail() {
    ls "$TEST_TMP/mail-$1"/msg-*.eml 2>/dev/null | sort | tail -n 1
}

# parse_mail FILE: parses FILE into $MSG (JSON, see check_message.py).
MSG=""
parse_mail() {
    MSG=$("$SMTP_PYTHON" "$SMTP_DIR/check_message.py" "$1" 2>&1)
}
# msg_eq FILTER VALUE: jq FILTER over $MSG gives VALUE (compact JSON).
msg_eq() {
    local got
    got=$(printf '%s' "$MSG" | jq -c "$1" 2>&1)
    checks=$((checks + 1))
    if [[ $got != "$2" ]]; then
        fail "message: jq '$1' gave '${got:0:300}', expected '$2'"
    fi
}
# msg_part TYPE: the decoded body of the part of content type TYPE.
msg_part() {
    printf '%s' "$MSG" | jq -r --arg t "$1" \
        '[.parts[] | select(.content_type == $t) | .body] | first // ""'
}
# expect_count NAME N: server NAME kept exactly N messages.
expect_count() {
    ASSERT_WHAT="server $1 should have kept $2 message(s), has $(mail_count "$1")"
    assert test "$(mail_count "$1")" -eq "$2"
}

# Everything iocm printed, for the check that no secret ever shows.
ALL_OUTPUT=$TEST_TMP/all-output
: >"$ALL_OUTPUT"
# runlog ARGS...: run, keeping the output for that final check.
runlog() {
    run "$@"
    printf '%s\n%s\n' "$OUT" "$ERR" >>"$ALL_OUTPUT"
}
