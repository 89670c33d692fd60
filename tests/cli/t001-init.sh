#!/usr/bin/env bash
# iocm init: creates the database and the first admin once; safe to rerun.
. "$(dirname "$0")/lib.sh"

run --version
expect_status 0
expect_out "iocm "

run --help
expect_status 0
expect_out "Commands:"
expect_out "ioc"

run frobnicate
expect_status 2
expect_err "unknown command 'frobnicate'"
expect_one_err_line

RUN_STDIN=$'correct horse battery\n' run init --admin-password-stdin
expect_status 0
expect_out "database ready"
expect_out "created administrator 'admin'"
expect_not_out "correct horse"
check '[[ -f $TEST_TMP/iocm.db ]]' "database file exists"

run init
expect_status 0
expect_out "users exist already"
check '[[ $(sql "SELECT COUNT(*) FROM users") -eq 1 ]]' "still one user"

# A generated password is printed once and works.
rm -f "$TEST_TMP"/iocm.db*
run init --admin root
expect_status 0
expect_out "password (shown once"
check '[[ $(sql "SELECT username || role FROM users") == rootadmin ]]' "admin root created"
check '[[ $(sql "SELECT COUNT(*) FROM audit_events WHERE action = '"'"'user.create'"'"' AND actor = '"'"'system'"'"'") -eq 1 ]]' "creation audited as system"

RUN_STDIN=$'short\n' run init --admin-password-stdin --admin other
expect_status 0
expect_out "users exist already"

# Help needs no valid configuration.
printf 'MAIL_PORT=abc\n' >>"$IOCM_ENV_FILE"
run init --help
expect_status 0
expect_out "usage: iocm init"
run init
expect_status 2
expect_err "MAIL_PORT"
expect_err ".env:2"
expect_one_err_line

finish
