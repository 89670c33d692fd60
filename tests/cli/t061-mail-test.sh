#!/usr/bin/env bash
# iocm mail test against real SMTP servers: one line per step (config,
# connect, tls, auth, ready), the step that failed with the server's reply
# and a hint, a test message with --to, --json, exit statuses, and the
# password never printed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t06x-smtp.sh"

PW='pw-K4v-never-printed'
USER_NAME=iocm-bot
start_smtp main --starttls "$CERT" "$KEY" --auth "$USER_NAME:$PW" \
    --reject-rcpt refused@example.org --echo-credentials
start_smtp plain --no-starttls
start_smtp noauth --starttls "$CERT" "$KEY"
start_smtp smtps --implicit-tls "$CERT" "$KEY" --auth "$USER_NAME:$PW"
DOWN_PORT=$(closed_port)

{
    printf 'DATABASE_URL=sqlite:%s/iocm.db\n' "$TEST_TMP"
    printf 'MAIL_SERVER=127.0.0.1\n'
    printf 'MAIL_PORT=%s\n' "${SMTP_PORT[main]}"
    printf 'MAIL_USE_TLS=true\n'
    printf 'MAIL_CA_FILE=%s\n' "$CA"
    printf 'MAIL_USERNAME=%s\n' "$USER_NAME"
    printf 'MAIL_PASSWORD=%s\n' "$PW"
    printf 'MAIL_DEFAULT_SENDER=IOC Manager <iocm@example.org>\n'
    printf 'MAIL_TIMEOUT=10\n'
} >"$IOCM_ENV_FILE"
chmod 600 "$IOCM_ENV_FILE"

# step_line STATUS STEP: the output has the line of STEP with STATUS.
expect_step() {
    ASSERT_WHAT="a '$1' line for step '$2'"
    assert grep -qE "^$1 +$2 " <<<"$OUT"
}

# --- Every step passes ----------------------------------------------------
runlog mail test
expect_status 0
expect_step ok config
expect_out "server 127.0.0.1, port ${SMTP_PORT[main]}, STARTTLS required, AUTH as $USER_NAME (password set, not shown)"
expect_step ok connect
expect_out "connected to 127.0.0.1:${SMTP_PORT[main]}"
expect_step ok tls
expect_out "STARTTLS negotiated, certificate verified against $CA"
expect_step ok auth
expect_out "logged in as $USER_NAME"
expect_step ok ready
expect_no_err
expect_count main 0

runlog mail test --json
expect_status 0
OUT_JSON=$OUT
json_eq '.ok' 'true'
json_eq '[.steps[].step]' '["config","connect","tls","auth","ready"]'
json_eq '[.steps[].status] | unique' '["ok"]'
json_eq '.server' "\"127.0.0.1:${SMTP_PORT[main]} (STARTTLS, AUTH as $USER_NAME)\""

# --- --to sends a short message with both parts -----------------------------
runlog mail test --to 'analyst@example.org'
expect_status 0
expect_step ok send
expect_count main 1
parse_mail "$(last_mail main)"
MID=$(printf '%s' "$MSG" | jq -r '.headers["Message-ID"]')
expect_out "message id $MID accepted for analyst@example.org: 250"
msg_eq '.headers.Subject' '"iocm test message"'
msg_eq '.headers.From' '"IOC Manager <iocm@example.org>"'
msg_eq '.headers.To' '"analyst@example.org"'
msg_eq '.headers.Date' '"Fri, 04 Dec 2026 08:00:00 +0000"'
msg_eq '.content_type' '"multipart/alternative"'
msg_eq '[.parts[].content_type]' '["text/plain","text/html"]'
msg_eq '[.parts[] | .body | test("test message from iocm")]' '[true,true]'
msg_eq '.envelope.rcpt_tos' '["analyst@example.org"]'
msg_eq '.envelope.auth_user' "\"$USER_NAME\""
msg_eq '.defects' '[]'

runlog mail test --to 'analyst@example.org' --json
expect_status 0
json_eq '.ok' 'true'
json_eq '.steps[-1].step' '"send"'
json_eq '.message_id | test("^<.+@example.org>$")' 'true'

# A refused test recipient is a failure, named.
runlog mail test --to 'refused@example.org'
expect_status 1
expect_step fail send
expect_out 'refused@example.org'
expect_err '550'
expect_count main 2

# A malformed --to is a usage error found before connecting.
runlog mail test --to 'not an address'
expect_status 2
expect_err "'not an address'"
expect_one_err_line
check '[[ -z $OUT ]]' "nothing is tried with a bad --to"

# --- Wrong password: the auth step fails with the server's reply ------------
MAIL_PASSWORD='wrong-Tq2-also-secret' runlog mail test
expect_status 1
expect_step ok connect
expect_step ok tls
expect_step fail auth
expect_out '535 5.7.8'
expect_step hint auth
expect_out 'app password'
expect_step skip ready
expect_err "smtp 127.0.0.1:${SMTP_PORT[main]}: auth failed: 535"
expect_one_err_line
check '[[ $OUT$ERR != *wrong-Tq2-also-secret* ]]' "the echoed wrong password is masked"

# --- Server down: connect fails, nothing after it is tried -------------------
MAIL_PORT=$DOWN_PORT runlog mail test
expect_status 1
expect_step fail connect
expect_step skip tls
expect_step skip auth
expect_err "smtp 127.0.0.1:$DOWN_PORT: connect failed"

# --- STARTTLS required but not offered ----------------------------------------
MAIL_PORT=${SMTP_PORT[plain]} MAIL_USERNAME= runlog mail test
expect_status 1
expect_step ok connect
expect_step fail tls
expect_out 'the server does not offer STARTTLS'
expect_step hint tls
expect_err 'starttls failed'

# --- A certificate the system store does not trust ----------------------------
MAIL_CA_FILE= runlog mail test
expect_status 1
expect_step fail tls
expect_out 'MAIL_CA_FILE'
expect_step skip auth

# --- A user name for a server that offers no AUTH (this one offers it only
# after STARTTLS, and plain text is asked for) ---------------------------------
MAIL_PORT=${SMTP_PORT[plain]} MAIL_USE_TLS=false runlog mail test
expect_status 1
expect_step ok connect
expect_step fail auth
expect_out 'does not offer AUTH'
expect_step hint auth
# A server without AUTH passes without a user name, and shows no auth step.
MAIL_PORT=${SMTP_PORT[noauth]} MAIL_USERNAME= runlog mail test
expect_status 0
expect_out ', no AUTH,'
check '! grep -qE "^[a-z]+ +auth " <<<"$OUT"' "no auth step without a user name"

# --- Implicit TLS -------------------------------------------------------------
MAIL_PORT=${SMTP_PORT[smtps]} MAIL_USE_SSL=true MAIL_USE_TLS=false runlog mail test
expect_status 0
expect_out 'implicit TLS negotiated, certificate verified'
expect_step ok auth
# Implicit TLS against a STARTTLS port: the TLS step fails, with a hint.
MAIL_USE_SSL=true MAIL_USE_TLS=false runlog mail test
expect_status 1
expect_step fail tls
expect_out 'MAIL_USE_TLS=true and MAIL_USE_SSL=false'

# --- Plain text on loopback ---------------------------------------------------
MAIL_PORT=${SMTP_PORT[plain]} MAIL_USE_TLS=false MAIL_USERNAME= runlog mail test
expect_status 0
expect_out 'plain text'
check '! grep -qE "^[a-z]+ +tls " <<<"$OUT"' "no tls step in plain text"
expect_not_out 'warn'

# --- Configuration errors exit 2 ----------------------------------------------
MAIL_SERVER= runlog mail test
expect_status 2
expect_step fail config
expect_err 'MAIL_SERVER is not set'
expect_one_err_line
MAIL_DEFAULT_SENDER= runlog mail test
expect_status 2
expect_err 'MAIL_DEFAULT_SENDER is not set'
MAIL_SERVER='not a host' runlog mail test
expect_status 2
expect_err "invalid mail server 'not a host'"
MAIL_USE_SSL=true runlog mail test
expect_status 2
expect_err 'MAIL_USE_SSL'
runlog mail test extra
expect_status 2
runlog mail
expect_status 2
expect_err 'missing subcommand'
runlog mail test --help
expect_status 0
expect_out 'usage: iocm mail test'

check '! grep -q -- "$PW" "$ALL_OUTPUT"' "the password never appears in any output"

finish
