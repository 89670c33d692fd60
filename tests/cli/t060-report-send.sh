#!/usr/bin/env bash
# iocm report send against real SMTP servers (aiosmtpd on loopback with a
# test CA): what arrives (parsed by Python's email package), what is
# recorded in report_sends, and the fault matrix: wrong password, server
# down, STARTTLS not offered, a 421 then success, a 554, a refused
# recipient, a second run, --force, implicit TLS, disabled reports, bad
# recipients, --dry-run, two runs at once. No secret is ever printed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t06x-smtp.sh"

PW='pw-Zq8-never-printed'
USER_NAME=iocm-bot
start_smtp main --starttls "$CERT" "$KEY" --auth "$USER_NAME:$PW" \
    --reject-rcpt refused@example.org --echo-credentials
start_smtp plain --no-starttls --auth "$USER_NAME:$PW"
start_smtp flaky --starttls "$CERT" "$KEY" --auth "$USER_NAME:$PW" \
    --fail-first 1 421
start_smtp refuse --starttls "$CERT" "$KEY" --auth "$USER_NAME:$PW" \
    --reject-data 554
start_smtp smtps --implicit-tls "$CERT" "$KEY" --auth "$USER_NAME:$PW"
DOWN_PORT=$(closed_port)

# write_env [EXTRA LINES...]: the .env of these tests, plus EXTRA.
write_env() {
    {
        printf 'DATABASE_URL=sqlite:%s/iocm.db\n' "$TEST_TMP"
        printf 'MAIL_SERVER=127.0.0.1\n'
        printf 'MAIL_PORT=%s\n' "${SMTP_PORT[main]}"
        printf 'MAIL_USE_TLS=true\n'
        printf 'MAIL_CA_FILE=%s\n' "$CA"
        printf 'MAIL_USERNAME=%s\n' "$USER_NAME"
        printf 'MAIL_PASSWORD=%s\n' "$PW"
        printf 'MAIL_DEFAULT_SENDER=IOC Manager <iocm@example.org>\n'
        printf 'MAIL_RETRIES=1\n'
        printf 'MAIL_TIMEOUT=10\n'
        printf 'DAILY_REPORT_RECIPIENTS=soc@example.org, lead@example.org\n'
        printf 'WEEKLY_REPORT_RECIPIENTS=ciso@example.org\n'
        printf '%s\n' "$@"
    } >"$IOCM_ENV_FILE"
    chmod 600 "$IOCM_ENV_FILE"
}
write_env

# sends: the report_sends rows, oldest first.
sends() {
    sql "SELECT kind, period, status, attempts, is_forced FROM report_sends ORDER BY id"
}
expect_sends() {
    local got
    got=$(sends)
    checks=$((checks + 1))
    if [[ $got != "$1" ]]; then
        fail "report_sends: expected '$1', got '$got'"
    fi
}
last_error() {
    sql "SELECT last_error FROM report_sends ORDER BY id DESC LIMIT 1"
}
reset_sends() { sql "DELETE FROM report_sends"; }

RUN_STDIN=$'a-long-password\n' runlog init --admin-password-stdin
expect_status 0
# Indicators created inside the daily window that ends at IOCM_NOW.
# The URL expires within a week, so the weekly report lists it too.
IOCM_NOW=2026-12-03T12:00:00Z runlog ioc add 'hxxps://evil[.]example/login' \
    --severity high --tlp amber --source vendor-a --expires-in 3
IOCM_NOW=2026-12-03T13:00:00Z runlog ioc add '198.51.100[.]7' \
    --severity critical --tlp green
IOCM_NOW=2026-12-03T14:00:00Z runlog ioc add 'red-only.example' \
    --severity critical --tlp red
IOCM_NOW=2026-12-03T15:00:00Z runlog ioc add 'c2.example' --tlp clear
expect_status 0

# --- A daily report over STARTTLS with AUTH -------------------------------
runlog report send daily
expect_status 0
expect_out "configuration read from $IOCM_ENV_FILE"
expect_out 'recipients: soc@example.org, lead@example.org'
expect_out 'generated daily report for 2026-12-04: [TLP:AMBER] IOC Manager daily report — 2026-12-04'
expect_out "connecting to 127.0.0.1:${SMTP_PORT[main]} (STARTTLS, AUTH)"
expect_out 'sent daily report for 2026-12-04 to 2 recipients, message id <'
# Every step line carries a timestamp, for logs appended by cron.
check '[[ -z $(printf "%s\n" "$OUT" | grep -v "^\[[0-9-]*T[0-9:]*Z\] ") ]]' \
    "every line starts with a timestamp"
expect_count main 1
expect_sends 'daily|2026-12-04|sent|1|0'
MID=$(sql "SELECT message_id FROM report_sends")
check '[[ $OUT == *"$MID"* ]]' "the recorded message id is the one printed"

parse_mail "$(last_mail main)"
msg_eq '.content_type' '"multipart/alternative"'
msg_eq '[.parts[].content_type]' '["text/plain","text/html"]'
msg_eq '[.parts[].charset]' '["utf-8","utf-8"]'
msg_eq '[.parts[] | .body | length > 200]' '[true,true]'
msg_eq '.defects' '[]'
msg_eq '.headers.Subject' '"[TLP:AMBER] IOC Manager daily report — 2026-12-04"'
msg_eq '.headers.From' '"IOC Manager <iocm@example.org>"'
msg_eq '.headers.To' '"soc@example.org, lead@example.org"'
msg_eq '.headers.Date' '"Fri, 04 Dec 2026 08:00:00 +0000"'
msg_eq ".headers[\"Message-ID\"]" "\"$MID\""
msg_eq '.headers["MIME-Version"]' '"1.0"'
msg_eq '.envelope.mail_from' '"iocm@example.org"'
msg_eq '.envelope.rcpt_tos' '["soc@example.org","lead@example.org"]'
msg_eq '.envelope.tls' 'true'
msg_eq '.envelope.auth_user' "\"$USER_NAME\""
TEXT=$(msg_part text/plain)
HTML=$(msg_part text/html)
for part in TEXT HTML; do
    body=${!part}
    check '[[ $body == *"TLP:AMBER"* ]]' "$part part repeats the TLP label"
    check '[[ $body == *"hxxps://evil[.]example/login"* ]]' "$part part has the URL defanged"
    check '[[ $body == *"198[.]51[.]100[.]7"* ]]' "$part part has the address defanged"
    check '[[ $body == *"c2[.]example"* ]]' "$part part has the domain defanged"
    check '[[ $body != *"https://evil.example"* && $body != *"198.51.100.7"* ]]' \
        "$part part has no live value"
    check '[[ $body != *"red-only"* ]]' "$part part lists no TLP:RED value"
done
check '[[ $HTML == *"<html"* && $TEXT != *"<html"* ]]' "HTML only in the HTML part"

# report show --format eml prints the same message: same structure, same
# parts, same headers but for the Message-ID.
runlog report show daily --format eml -o "$TEST_TMP/show.eml"
expect_status 0
SENT=$MSG
parse_mail "$TEST_TMP/show.eml"
SHOWN=$MSG
same() {
    local a b
    a=$(printf '%s' "$SENT" | jq -c "$1")
    b=$(printf '%s' "$SHOWN" | jq -c "$1")
    checks=$((checks + 1))
    [[ $a == "$b" ]] || fail "report show eml differs from the sent message in $1: '${b:0:200}' vs '${a:0:200}'"
}
same '.content_type'
same '.header_names'
same '[.headers | del(.["Message-ID"], .["Content-Type"])]'
same '[.parts[] | {content_type, charset, transfer_encoding}]'
same '[.parts[].body]'
same '.defects'

# --- A second run for the same period sends nothing ------------------------
runlog report send daily
expect_status 0
expect_out 'daily report for 2026-12-04 already sent at 2026-12-04T08:00:00Z'
expect_out "$MID"
expect_count main 1
expect_sends 'daily|2026-12-04|sent|1|0'
# Later the same day (and in the same period) neither.
IOCM_NOW=2026-12-04T23:00:00Z runlog report send daily
expect_status 0
expect_out 'already sent'
expect_count main 1

# --- --force sends again ---------------------------------------------------
runlog report send daily --force
expect_status 0
expect_out 'sent daily report for 2026-12-04'
expect_count main 2
expect_sends $'daily|2026-12-04|sent|1|0\ndaily|2026-12-04|sent|1|1'
check '[[ $(sql "SELECT COUNT(DISTINCT message_id) FROM report_sends") -eq 2 ]]' \
    "a forced send is a new message"
check '[[ $(sql "SELECT COUNT(*) FROM audit_events WHERE action = '"'report.send'"'") -eq 2 ]]' \
    "each send is audited as report.send"

# --- Recipients changed in .env take effect on the next run -----------------
reset_sends
write_env 'DAILY_REPORT_RECIPIENTS=new-analyst@example.org,soc@example.org'
runlog report send daily
expect_status 0
expect_out 'recipients: new-analyst@example.org, soc@example.org'
parse_mail "$(last_mail main)"
msg_eq '.envelope.rcpt_tos' '["new-analyst@example.org","soc@example.org"]'
msg_eq '.headers.To' '"new-analyst@example.org, soc@example.org"'
write_env

# --- --to overrides the configured recipients ------------------------------
reset_sends
runlog report send daily --to 'duty@example.org'
expect_status 0
parse_mail "$(last_mail main)"
msg_eq '.envelope.rcpt_tos' '["duty@example.org"]'

# --- One refused recipient: the others still get it ------------------------
reset_sends
before=$(mail_count main)
write_env 'DAILY_REPORT_RECIPIENTS=soc@example.org, refused@example.org, lead@example.org'
runlog report send daily
expect_status 0
expect_out 'recipient refused: refused@example.org: 550'
expect_out 'sent daily report for 2026-12-04 to 2 recipients'
expect_count main $((before + 1))
parse_mail "$(last_mail main)"
msg_eq '.envelope.rcpt_tos' '["soc@example.org","lead@example.org"]'
expect_sends 'daily|2026-12-04|sent|1|0'
check '[[ $(last_error) == *"refused@example.org"*550* ]]' "the refusal is recorded"
write_env

# --- --at: a backfill is its own period ------------------------------------
reset_sends
runlog report send daily --at 2026-12-02T08:00:00Z
expect_status 0
expect_out 'generated daily report for 2026-12-02: [TLP:CLEAR] IOC Manager daily report — 2026-12-02'
expect_sends 'daily|2026-12-02|sent|1|0'
parse_mail "$(last_mail main)"
msg_eq '.headers.Subject' '"[TLP:CLEAR] IOC Manager daily report — 2026-12-02"'

# --- The weekly report -----------------------------------------------------
runlog report send weekly
expect_status 0
expect_out 'generated weekly report for 2026-W49: [TLP:AMBER] IOC Manager weekly report — week of 2026-11-27'
parse_mail "$(last_mail main)"
msg_eq '.headers.Subject' '"[TLP:AMBER] IOC Manager weekly report — week of 2026-11-27"'
msg_eq '.envelope.rcpt_tos' '["ciso@example.org"]'
msg_eq '[.parts[].content_type]' '["text/plain","text/html"]'
check '[[ $(sql "SELECT status FROM report_sends WHERE kind = '"'weekly'"' AND period = '"'2026-W49'"'") == sent ]]' \
    "the weekly send is recorded for its ISO week"

# --- --dry-run: nothing sent, nothing recorded -----------------------------
reset_sends
before=$(mail_count main)
runlog report send daily --dry-run
expect_status 0
expect_out 'dry run: message of'
expect_count main "$before"
expect_sends ''

# --- Wrong password: exit 1, the server's 535, the password never shown -----
reset_sends
MAIL_PASSWORD='wrong-Xy7-also-secret' runlog report send daily
expect_status 1
expect_err 'auth failed: 535'
check '[[ $OUT$ERR != *wrong-Xy7-also-secret* ]]' "a wrong password echoed by the server is masked"
expect_count main "$before"
expect_sends 'daily|2026-12-04|failed|1|0'
check '[[ $(last_error) == *535* && $(last_error) != *wrong-Xy7* ]]' "the failure is recorded, masked"
# A failed send does not hold the period.
runlog report send daily
expect_status 0
expect_count main $((before + 1))
expect_sends $'daily|2026-12-04|failed|1|0\ndaily|2026-12-04|sent|1|0'

# --- Server down: retried MAIL_RETRIES times, then exit 1 -------------------
reset_sends
before=$(mail_count main)
MAIL_PORT=$DOWN_PORT runlog report send daily
expect_status 1
expect_err "smtp 127.0.0.1:$DOWN_PORT: connect failed"
expect_out 'failed after 2 attempts'
expect_sends 'daily|2026-12-04|failed|2|0'

# --- STARTTLS required but not offered: nothing goes out in plain text -----
reset_sends
MAIL_PORT=${SMTP_PORT[plain]} runlog report send daily
expect_status 1
expect_err 'starttls failed: the server does not offer STARTTLS'
expect_count plain 0
expect_sends 'daily|2026-12-04|failed|1|0'

# --- A 421 then success: retried once ----------------------------------------
reset_sends
MAIL_PORT=${SMTP_PORT[flaky]} runlog report send daily
expect_status 0
expect_out 'sent daily report for 2026-12-04 to 2 recipients'
expect_out '(2 attempts)'
expect_count flaky 1
expect_sends 'daily|2026-12-04|sent|2|0'

# --- A 554: permanent, not retried -------------------------------------------
reset_sends
MAIL_PORT=${SMTP_PORT[refuse]} runlog report send daily
expect_status 1
expect_err 'data failed: 554 5.7.1 rejected: message refused'
expect_out 'failed after 1 attempt:'
expect_count refuse 0
expect_sends 'daily|2026-12-04|failed|1|0'
check '[[ $(last_error) == *554* ]]' "the server's reply is recorded"

# --- Implicit TLS (MAIL_USE_SSL) --------------------------------------------
reset_sends
MAIL_PORT=${SMTP_PORT[smtps]} MAIL_USE_SSL=true MAIL_USE_TLS=false \
    runlog report send daily
expect_status 0
expect_out "connecting to 127.0.0.1:${SMTP_PORT[smtps]} (implicit TLS, AUTH)"
expect_count smtps 1
# (The server's sidecar says tls only after STARTTLS; this server speaks
# nothing but TLS, so the delivery itself shows TLS was used.)
parse_mail "$(last_mail smtps)"
msg_eq '.envelope.auth_user' "\"$USER_NAME\""
msg_eq '.headers.Subject' '"[TLP:AMBER] IOC Manager daily report — 2026-12-04"'
# Both set is a configuration error, found before anything is sent.
MAIL_USE_SSL=true MAIL_USE_TLS=true runlog report send daily --force
expect_status 2
expect_err 'MAIL_USE_SSL'
expect_count smtps 1

# --- Reports disabled ---------------------------------------------------------
reset_sends
before=$(mail_count main)
REPORT_ENABLED=false runlog report send daily
expect_status 0
expect_out 'reports are disabled (REPORT_ENABLED=false)'
expect_count main "$before"
expect_sends ''

# --- No recipients --------------------------------------------------------------
write_env 'DAILY_REPORT_RECIPIENTS='
runlog report send daily
expect_status 2
expect_err "no recipients: set DAILY_REPORT_RECIPIENTS in $IOCM_ENV_FILE or pass --to"
expect_one_err_line
expect_sends ''
write_env

# --- Malformed recipients: exit 2, nothing sent, nothing recorded ------------
for bad in 'soc@example.org, not-an-address' 'soc@example.org, a@b'; do
    write_env "DAILY_REPORT_RECIPIENTS=$bad"
    runlog report send daily
    expect_status 2
    expect_err 'DAILY_REPORT_RECIPIENTS'
    expect_one_err_line
done
write_env
runlog report send daily --to 'soc@example.org,bad@@example.org'
expect_status 2
expect_err "--to: invalid email address 'bad@@example.org'"
expect_count main "$before"
expect_sends ''
# An empty --to never falls back to the configured recipients.
for empty in '' ' , '; do
    runlog report send daily --to "$empty"
    expect_status 2
    expect_err '--to names no address'
done
# A bad --at is a usage error too.
runlog report send daily --at yesterday
expect_status 2
expect_err "--at: invalid time 'yesterday'"
expect_count main "$before"
expect_sends ''
# A header injection attempt through the sender is refused as well.
MAIL_DEFAULT_SENDER=$'iocm@example.org\r\nBcc: x@example.org' runlog report send daily
check '[[ $STATUS -ne 0 ]]' "a sender with CR LF is refused"
expect_count main "$before"
expect_sends ''
# No sender: a clear error, and no claim left behind to block the period.
write_env 'MAIL_DEFAULT_SENDER='
runlog report send daily
expect_status 2
expect_err 'MAIL_DEFAULT_SENDER'
expect_sends ''
write_env
runlog report send daily
expect_status 0
expect_count main $((before + 1))

# --- Two runs at once send once ------------------------------------------------
for round in 1 2 3; do
    reset_sends
    before=$(mail_count main)
    "$IOCM" report send daily >"$TEST_TMP/par1.out" 2>&1 &
    p1=$!
    "$IOCM" report send daily >"$TEST_TMP/par2.out" 2>&1 &
    p2=$!
    wait "$p1"
    s1=$?
    wait "$p2"
    s2=$?
    cat "$TEST_TMP/par1.out" "$TEST_TMP/par2.out" >>"$ALL_OUTPUT"
    STATUS=$s1$s2 OUT=$(cat "$TEST_TMP/par1.out" "$TEST_TMP/par2.out") ERR=""
    check '[[ $s1 -eq 0 && $s2 -eq 0 ]]' "round $round: both runs exit 0"
    expect_count main $((before + 1))
    expect_sends 'daily|2026-12-04|sent|1|0'
done

# --- No secret in anything iocm printed --------------------------------------
check '! grep -q -- "$PW" "$ALL_OUTPUT"' "the password never appears in any output"
check '! grep -q -- "$PW" "$TEST_TMP"/mail-*/*.eml' "nor in any message"

finish
