#!/usr/bin/env bash
# iocm doctor: one ok/warn/fail line per check, exit 1 when one fails:
# .env keys (unknown ones with file:line and a suggestion), every bad value
# with its file:line (doctor runs where other commands stop with exit 2),
# settings shown with secrets masked, .env permissions, the database and its counts
# (--repair), report sends, templates (TEMPLATE_DIR overrides), recipients
# and SMTP reachability against a real server.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/t06x-smtp.sh"

PW='pw-Hd3-never-printed'
start_smtp main --starttls "$CERT" "$KEY" --auth "iocm-bot:$PW"

# write_env [EXTRA LINES...]
write_env() {
    {
        printf 'DATABASE_URL=sqlite:%s/iocm.db\n' "$TEST_TMP"
        printf 'MAIL_SERVER=127.0.0.1\n'
        printf 'MAIL_PORT=%s\n' "${SMTP_PORT[main]}"
        printf 'MAIL_CA_FILE=%s\n' "$CA"
        printf 'MAIL_USERNAME=iocm-bot\n'
        printf 'MAIL_PASSWORD=%s\n' "$PW"
        printf 'MAIL_DEFAULT_SENDER=IOC Manager <iocm@example.org>\n'
        printf 'DAILY_REPORT_RECIPIENTS=soc@example.org, lead@example.org\n'
        printf 'WEEKLY_REPORT_RECIPIENTS=ciso@example.org\n'
        printf '%s\n' "$@"
    } >"$IOCM_ENV_FILE"
    chmod 600 "$IOCM_ENV_FILE"
}
# expect_check STATUS CHECK TEXT: a line "STATUS CHECK ...TEXT...".
expect_check() {
    ASSERT_WHAT="a '$1 $2' line containing '$3'"
    assert grep -qF -- "$3" <<<"$(grep -E "^$1 +$2 " <<<"$OUT")"
}
expect_no_check() {
    ASSERT_WHAT="no '$1 $2' line"
    assert test -z "$(grep -E "^$1 +$2 " <<<"$OUT")"
}

# --- Before init: the database check fails, nothing is created -------------
write_env
runlog doctor
expect_status 1
expect_check fail database "$TEST_TMP/iocm.db does not exist: run iocm init"
check '[[ ! -e $TEST_TMP/iocm.db ]]' "doctor creates no database"
# Templates are still rendered, from an empty database.
expect_check ok templates 'from an empty database'
expect_err 'doctor: 1 check failed'

RUN_STDIN=$'a-long-password\n' runlog init --admin-password-stdin
IOCM_NOW=2026-12-03T12:00:00Z runlog ioc add 'hxxps://evil[.]example/x' --tlp amber
IOCM_NOW=2026-12-03T12:00:00Z runlog ioc add 203.0.113.9 --tlp red
expect_status 0

# --- A healthy installation ---------------------------------------------
runlog doctor
expect_status 0
expect_check ok config "read $IOCM_ENV_FILE: 9 keys"
expect_out "        MAIL_PASSWORD=******** ($IOCM_ENV_FILE:6)"
expect_out "        MAIL_SERVER=127.0.0.1 ($IOCM_ENV_FILE:2)"
expect_out "        DAILY_REPORT_RECIPIENTS=soc@example.org, lead@example.org ($IOCM_ENV_FILE:8)"
expect_check ok config 'every value is valid'
expect_check ok secrets 'holds MAIL_PASSWORD and only its owner can read it (mode 0600)'
expect_check ok database 'schema version 2 (current)'
expect_check ok counts 'match the iocs table (2 indicators)'
expect_check ok sends 'no daily report sent yet'
expect_check ok templates 'daily and weekly reports render as HTML and text'
expect_check ok recipients 'sender IOC Manager <iocm@example.org>'
expect_check ok recipients 'daily report: 2 recipients'
expect_check ok recipients 'weekly report: 1 recipient'
expect_check ok smtp "127.0.0.1:${SMTP_PORT[main]} (STARTTLS, AUTH as iocm-bot): connect, tls, auth, ready passed"
expect_out '0 failed, 0 warnings'
expect_no_err

runlog doctor --json
expect_status 0
json_eq '.ok' 'true'
json_eq '.failed' '0'
json_eq '[.checks[].check] | unique' '["config","counts","database","recipients","rollups","secrets","sends","smtp","templates"]'
json_eq '.settings[] | select(.key == "MAIL_PASSWORD") | .value' '"********"'
json_eq '.settings[] | select(.key == "MAIL_PASSWORD") | .origin' "\"$IOCM_ENV_FILE:6\""
json_eq '[.settings[] | select(.known | not)]' '[]'

# --- Unknown keys, with their line and a suggestion --------------------------
write_env 'MAIL_PASWORD=typo' 'SOMETHING_ELSE=1'
runlog doctor
expect_status 0
expect_check warn config "unknown key MAIL_PASWORD at $IOCM_ENV_FILE:10 is ignored: did you mean MAIL_PASSWORD?"
expect_check warn config "unknown key SOMETHING_ELSE at $IOCM_ENV_FILE:11 is ignored"
expect_not_out 'SOMETHING_ELSE at '"$IOCM_ENV_FILE"':11 is ignored: did you mean'
# An unknown key that looks like a secret is masked too.
expect_out "        MAIL_PASWORD=******** ($IOCM_ENV_FILE:10)"
expect_not_out 'typo'
expect_check ok secrets 'holds MAIL_PASSWORD, MAIL_PASWORD and only its owner'
expect_out '0 failed, 2 warnings'

# --- Environment values are listed with their origin ---------------------------
write_env
REPORT_TIMEZONE=Europe/Paris runlog doctor
expect_out '        REPORT_TIMEZONE=Europe/Paris (environment)'

# --- Permissions of a .env that holds a secret -------------------------------
chmod 644 "$IOCM_ENV_FILE"
runlog doctor
expect_status 0
expect_check warn secrets "$IOCM_ENV_FILE holds MAIL_PASSWORD and is readable by group and others (mode 0644): chmod 600 $IOCM_ENV_FILE"
chmod 640 "$IOCM_ENV_FILE"
runlog doctor
expect_check warn secrets 'readable by its group (mode 0640)'
chmod 600 "$IOCM_ENV_FILE"
# Without a secret in it, the mode does not matter.
write_env
sed -i '/^MAIL_PASSWORD=/d' "$IOCM_ENV_FILE"
chmod 644 "$IOCM_ENV_FILE"
MAIL_PASSWORD=$PW runlog doctor
expect_check ok secrets 'holds no secret'
write_env

# --- Bad values: doctor runs and reports every one, key, file, line and why --
# Lines 10 and 11 override MAIL_PORT (line 3) and REPORT_ENABLED.
write_env 'MAIL_PORT=abc' 'REPORT_ENABLED=maybe'
runlog doctor
expect_status 1
expect_check fail config "invalid MAIL_PORT 'abc' at $IOCM_ENV_FILE:10: expected a port number 1-65535"
expect_check fail config "invalid REPORT_ENABLED 'maybe' at $IOCM_ENV_FILE:11: expected true or false"
expect_not_out 'every value is valid'
# The settings are listed still, secrets masked; the checks that need them
# wait, and say so.
expect_out "        MAIL_PORT=abc ($IOCM_ENV_FILE:10)"
expect_out "        MAIL_PASSWORD=******** ($IOCM_ENV_FILE:6)"
expect_check ok secrets 'only its owner can read it'
expect_check skip doctor 'fix the configuration, then run iocm doctor again'
expect_no_check ok database
expect_no_check fail database
expect_no_check ok smtp
expect_out '2 failed, 0 warnings'
expect_err 'doctor: 2 checks failed'
expect_one_err_line
runlog doctor --json
expect_status 1
json_eq '.ok' 'false'
json_eq '[.checks[] | select(.status == "fail") | .detail]' \
    "[\"invalid MAIL_PORT 'abc' at $IOCM_ENV_FILE:10: expected a port number 1-65535\",\"invalid REPORT_ENABLED 'maybe' at $IOCM_ENV_FILE:11: expected true or false\"]"
# Any other command stops at the first bad value: one line, exit 2.
runlog ioc list
expect_status 2
expect_err "invalid MAIL_PORT 'abc' at $IOCM_ENV_FILE:10: expected a port number 1-65535"
expect_one_err_line
check '[[ -z $OUT ]]' "ioc list prints nothing on a bad configuration"

# A bad value from the environment, a bad LOG_LEVEL (checked before the
# others), and a bad DATABASE_URL whose password stays masked.
write_env 'LOG_LEVEL=loud' 'DATABASE_URL=mysql://iocm:Db-Pw-never-shown@db/iocm'
MAIL_RETRIES=many runlog doctor
expect_status 1
expect_check fail config "invalid LOG_LEVEL 'loud' at $IOCM_ENV_FILE:10: expected error, warn, info or debug"
expect_check fail config "invalid DATABASE_URL 'mysql://iocm:********@db/iocm' at $IOCM_ENV_FILE:11"
expect_check fail config "invalid MAIL_RETRIES 'many' in the environment"
expect_out '3 failed, 0 warnings'
check '[[ $OUT$ERR != *Db-Pw-never-shown* ]]' "doctor never shows the database password"
MAIL_RETRIES=many runlog ioc list
expect_status 2
expect_err "invalid LOG_LEVEL 'loud' at $IOCM_ENV_FILE:10"
expect_one_err_line

# A rule across keys, once every value is valid on its own.
write_env 'MAIL_USE_TLS=true' 'MAIL_USE_SSL=true'
runlog doctor
expect_status 1
expect_check fail config 'MAIL_USE_SSL'
expect_check skip doctor 'fix the configuration'
runlog ioc list
expect_status 2
expect_err 'MAIL_USE_SSL'
expect_one_err_line

# A malformed line leaves nothing to check: doctor stops like any command.
write_env 'NOT A LINE'
runlog doctor
expect_status 2
expect_err "$IOCM_ENV_FILE:10: invalid line"
expect_one_err_line
write_env

# --- The maintained counts ---------------------------------------------------
sql "UPDATE ioc_counts SET n = n + 5 WHERE type = 'ipv4'"
runlog doctor
expect_status 1
expect_check fail counts 'differ from the iocs table in 1 group (ipv4 active: 1 in iocs, 6 counted)'
expect_check fail counts 'iocm doctor --repair'
runlog doctor --repair
expect_status 0
expect_check ok counts 'rebuilt the maintained counts'
runlog doctor
expect_check ok counts 'match the iocs table (2 indicators)'

# --- The hourly rollups ------------------------------------------------------
expect_check ok rollups "the reports' hourly counts match their tables"
sql "UPDATE audit_hourly SET n = n + 3 WHERE hour = (SELECT MIN(hour) FROM audit_hourly)"
runlog doctor
expect_status 1
expect_check fail rollups '1 hourly count differs from the tables'
expect_check fail rollups 'iocm doctor --repair'
expect_check ok counts 'match the iocs table (2 indicators)'
runlog doctor --repair
expect_status 0
expect_check ok rollups "rebuilt the reports' hourly counts (1 was off)"
runlog doctor
expect_status 0
expect_check ok rollups "the reports' hourly counts match their tables"

# --- The database schema -------------------------------------------------------
sql "UPDATE schema_meta SET value = '99' WHERE key = 'version'"
runlog doctor
expect_status 1
expect_check fail database 'schema version 99 is newer than this iocm (2): upgrade iocm'
sql "UPDATE schema_meta SET value = '2' WHERE key = 'version'"

# --- Report sends ----------------------------------------------------------------
sql "INSERT INTO report_sends (kind, period, recipients, status, attempts, last_error, created_at, updated_at) VALUES ('daily', '2026-12-03', 'soc@example.org', 'failed', 4, 'smtp x: data failed: 554 no', 1796284800, 1796284800)"
runlog doctor
expect_status 0
expect_check warn sends 'the last daily report (2026-12-03) failed at 2026-12-03T08:00:00Z after 4 attempts: smtp x: data failed: 554 no'
sql "INSERT INTO report_sends (kind, period, recipients, status, attempts, created_at, updated_at) VALUES ('daily', '2026-12-04', 'soc@example.org', 'sending', 0, 1796356800, 1796356800)"
runlog doctor
expect_check warn sends 'the daily report for 2026-12-04 has been sending since 2026-12-04T04:00:00Z'
sql "DELETE FROM report_sends"

# --- Templates -------------------------------------------------------------------
mkdir -p "$TEST_TMP/tpl/email"
cp "$(dirname "$0")/../../templates/email/daily_report.txt" "$TEST_TMP/tpl/email/"
write_env "TEMPLATE_DIR=$TEST_TMP/tpl"
runlog doctor
expect_status 0
expect_check ok templates 'TEMPLATE_DIR overrides daily_report.txt'
printf '{{#new_iocs}}never closed\n' >"$TEST_TMP/tpl/email/weekly_report.txt"
runlog doctor
expect_status 1
expect_check fail templates 'weekly report'
expect_check fail templates 'weekly_report.txt'
write_env "TEMPLATE_DIR=$TEST_TMP/no-such-folder"
runlog doctor
expect_status 1
expect_check fail templates "TEMPLATE_DIR $TEST_TMP/no-such-folder is not a folder"
write_env

# --- Recipients ------------------------------------------------------------------
write_env 'WEEKLY_REPORT_RECIPIENTS='
runlog doctor
expect_status 0
expect_check warn recipients 'WEEKLY_REPORT_RECIPIENTS is empty'
write_env 'DAILY_REPORT_RECIPIENTS=soc@example.org, a@b'
runlog doctor
expect_status 1
expect_check fail recipients "DAILY_REPORT_RECIPIENTS at $IOCM_ENV_FILE:10: invalid email address 'a@b'"
write_env 'MAIL_DEFAULT_SENDER='
runlog doctor
expect_status 1
expect_check fail recipients 'MAIL_DEFAULT_SENDER is not set'
write_env 'REPORT_ENABLED=false' 'DAILY_REPORT_RECIPIENTS='
runlog doctor
expect_status 0
expect_check ok recipients 'reports are disabled (REPORT_ENABLED=false)'
expect_no_check warn recipients
write_env

# --- SMTP ----------------------------------------------------------------------------
MAIL_SERVER= runlog doctor
expect_status 0
expect_check warn smtp 'skipped: MAIL_SERVER is not set'
MAIL_PASSWORD='wrong-Rr5-also-secret' runlog doctor
expect_status 1
expect_check fail smtp 'auth failed: 535'
expect_check fail smtp 'iocm mail test shows each step'
check '[[ $OUT$ERR != *wrong-Rr5-also-secret* ]]' "a wrong password is never shown"
MAIL_PORT=$(closed_port) runlog doctor
expect_status 1
expect_check fail smtp 'connect failed'
MAIL_CA_FILE=$TEST_TMP/missing.pem runlog doctor
expect_status 1
expect_check fail smtp "MAIL_CA_FILE $TEST_TMP/missing.pem cannot be read"

runlog doctor extra
expect_status 2
runlog doctor --help
expect_status 0
expect_out 'usage: iocm doctor'

check '! grep -q -- "$PW" "$ALL_OUTPUT"' "the password never appears in any output"

finish
