#!/usr/bin/env bash
# iocm user and audit commands.
. "$(dirname "$0")/lib.sh"

RUN_STDIN=$'a-long-password\n' run init --admin-password-stdin
expect_status 0

RUN_STDIN=$'alice-password\n' run user add alice --role analyst --user admin --json
expect_status 0
json_eq '.role' '"analyst"'
RUN_STDIN=$'bob-password!\n' run user add bob --role viewer --reviewer
expect_status 0
expect_out "created user 'bob' (viewer, reviewer)"
RUN_STDIN=$'alice-password\n' run user add alice
expect_status 1
expect_err "user 'alice' exists already"
RUN_STDIN=$'short\n' run user add carol
expect_status 1
expect_err "password too short"
RUN_STDIN=$'long-enough-pw\n' run user add Carol
expect_status 1
expect_err "invalid user name 'Carol'"
RUN_STDIN=$'long-enough-pw\n' run user add system
expect_status 1
expect_err "reserved"
run user add dave
expect_status 2
expect_err "password on standard input"
RUN_STDIN=$'long-enough-pw\n' run user add erin --role wizard
expect_status 1
expect_err "invalid role 'wizard'"

run user list --json
expect_status 0
json_eq '[.[].username]' '["admin","alice","bob"]'
json_eq '.[0].role' '"admin"'

# Password hashes are argon2id and never printed.
check '[[ $(sql "SELECT password_hash FROM users WHERE username = '"'"'alice'"'"'") == \$argon2id\$* ]]' "argon2id hash stored"
run user list
expect_not_out 'argon2'

RUN_STDIN=$'new-password-1\n' run user passwd alice
expect_status 0
run user disable alice
expect_status 0
run ioc add 192.0.2.1 --user alice
expect_status 1
expect_err "user 'alice' is disabled"
run user enable alice
run ioc add 192.0.2.1 --user alice
expect_status 0
run user role bob analyst --no-reviewer
expect_status 0
expect_out "bob' is now analyst"

# Tokens are shown once and stored hashed.
run user token create alice --name ci --json
expect_status 0
token=$(printf '%s' "$OUT" | jq -r .token)
check '[[ $token == iocm_* && ${#token} -ge 40 ]]' "token shape"
check '[[ $(sql "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '"'"'$token'"'"'") -eq 0 ]]' "token not stored in clear"
run user token list --json
json_eq '.[0].name' '"ci"'
json_eq '.[0].revoked_at' 'null'
run user token revoke 1
expect_status 0
run user token revoke 1
expect_status 1
expect_err "no active token with id 1"

# The audit log saw all of it, with actors.
run audit list --json
expect_status 0
json_eq '[.[] | select(.action == "user.create") | .object_id] | sort' '["admin","alice","bob"]'
json_eq '[.[] | select(.action == "user.disable")][0].actor' '"system"'
json_eq '[.[] | select(.action == "user.create" and .object_id == "alice")][0].actor' '"admin"'
run audit list --user alice --json
json_eq '[.[].action]' '["ioc.create"]'
run audit list --action token.create --json
json_eq 'length' '1'
run audit list --since 2026-12-05 --json
json_eq 'length' '0'
run audit list --limit 2 --json
json_eq 'length' '2'
run audit list --since yesterday
expect_status 1
expect_err "invalid time 'yesterday'"
run audit list
expect_status 0
expect_out "ACTION"

finish
