#!/usr/bin/env bash
# iocm ioc add|list|show|update|delete against a fresh database.
. "$(dirname "$0")/lib.sh"

RUN_STDIN=$'a-long-password\n' run init --admin-password-stdin
expect_status 0

# Detection, refanging and normalisation on the way in.
run ioc add 'hxxps://Evil[.]EXAMPLE/login?x=1' --severity high --tlp amber --source vendor-a --tags Phish,Bank --json
expect_status 0
json_eq '.type' '"url"'
json_eq '.value' '"https://evil.example/login?x=1"'
json_eq '.severity' '"high"'
json_eq '.tlp' '"AMBER"'
json_eq '.tags' '["bank","phish"]'
json_eq '.outcome' '"added"'
json_eq '.created_by' '"system"'
json_eq '.created_at' '"2026-12-04T08:00:00Z"'

run ioc add '198.51.100[.]7' --json
expect_status 0
json_eq '.type' '"ipv4"'
json_eq '.severity' '"medium"'
json_eq '.confidence' '50'
json_eq '.status' '"active"'

run ioc add 'BAD.example' --type domain --tlp white --json
json_eq '.value' '"bad.example"'
json_eq '.tlp' '"CLEAR"'

run ioc add 2001:DB8:0:0:0:0:0:1 --json
json_eq '.type' '"ipv6"'
json_eq '.value' '"2001:db8::1"'

run ioc add 44D88612FEA8A8F36DE82E1278ABB02F --json
json_eq '.type' '"md5"'
json_eq '.value' '"44d88612fea8a8f36de82e1278abb02f"'

run ioc add cve-2024-3094 --json
json_eq '.type' '"cve"'
json_eq '.value' '"CVE-2024-3094"'

# Adding a known value is "seen again", not an error, and fills empty fields.
IOCM_NOW=2026-12-04T09:00:00Z run ioc add 198.51.100.7 --source honeypot --json
expect_status 0
json_eq '.outcome' '"seen again"'
json_eq '.source' '"honeypot"'
json_eq '.last_seen' '"2026-12-04T09:00:00Z"'
json_eq '.first_seen' '"2026-12-04T08:00:00Z"'
check '[[ $(sql "SELECT COUNT(*) FROM iocs WHERE value = '"'"'198.51.100.7'"'"'") -eq 1 ]]' "still one row"

# Invalid values: one line naming value and reason, exit 1, nothing written.
before=$(sql "SELECT COUNT(*) FROM iocs"); audits=$(sql "SELECT COUNT(*) FROM audit_events")
for bad in '1.2.3.256' 'a..b.example' 'not an indicator'; do
    run ioc add "$bad"
    expect_status 1
    expect_err "'$bad'"
    expect_one_err_line
done
run ioc add abc --type sha256
expect_status 1
expect_err "invalid sha256 'abc'"
run ioc add 8.8.8.8 --severity urgent
expect_status 1
expect_err "'urgent'"
expect_one_err_line
run ioc add 8.8.8.8 --confidence 101
expect_status 1
expect_err "101"
run ioc add 8.8.8.8 --bogus
expect_status 2
expect_err "--bogus"
run ioc add
expect_status 2
expect_err "missing VALUE"
check '[[ $(sql "SELECT COUNT(*) FROM iocs") -eq $before ]]' "no indicator written by rejected input"
check '[[ $(sql "SELECT COUNT(*) FROM audit_events") -eq $audits ]]' "no audit written by rejected input"

# Listing with filters and --json.
run ioc list --json
expect_status 0
json_eq '.total' '6'
run ioc list --type ipv4 --json
json_eq '.total' '1'
json_eq '.items[0].value' '"198.51.100.7"'
run ioc list --severity high --json
json_eq '[.items[].value]' '["https://evil.example/login?x=1"]'
run ioc list --tag PHISH --json
json_eq '.total' '1'
run ioc list --search EVIL --json
json_eq '.total' '1'
run ioc list --tlp clear --json
json_eq '[.items[].value]' '["bad.example"]'
run ioc list --source honeypot --json
json_eq '.total' '1'
run ioc list --since 1h --json
json_eq '.total' '6'
run ioc list --until 2026-12-01 --json
json_eq '.total' '0'
run ioc list --limit 2 --json
json_eq '.items | length' '2'
json_eq '.total' '6'
run ioc list
expect_status 0
expect_out "VALUE"
expect_out "6 of 6 indicators shown"
run ioc list --type bogus
expect_status 1
expect_err "'bogus'"

# Show by id or by (defanged) value.
run ioc show 'evil[.]example' --type domain
expect_status 1
expect_err "no indicator 'evil.example'"
run ioc show 'hxxps://evil[.]example/login?x=1' --json
expect_status 0
json_eq '.severity' '"high"'
id=$(printf '%s' "$OUT" | jq .id)
run ioc show "$id"
expect_status 0
expect_out "https://evil.example/login?x=1"
expect_out "vendor-a"

# Update changes fields and audits the change with old and new values.
run ioc update "$id" --severity critical --add-tag urgent --remove-tag bank --json
expect_status 0
json_eq '.severity' '"critical"'
json_eq '.tags' '["phish","urgent"]'
check '[[ $(sql "SELECT details FROM audit_events WHERE action = '"'"'ioc.update'"'"'" | jq -c .severity) == "[\"high\",\"critical\"]" ]]' "update audited with old and new severity"
run ioc update "$id" --extend 10 --json
json_eq '.expires_at != null' 'true'
run ioc update 999999 --severity low
expect_status 1
expect_err "no indicator with id 999999"

# Acting as a user: must exist and be enabled.
run ioc add 203.0.113.9 --user ghost
expect_status 1
expect_err "no user 'ghost'"
run ioc add 203.0.113.9 --user admin --json
expect_status 0
json_eq '.created_by' '"admin"'

# Delete is audited.
run ioc delete 203.0.113.9 --user admin
expect_status 0
expect_out "deleted"
check '[[ $(sql "SELECT actor FROM audit_events WHERE action = '"'"'ioc.delete'"'"'") == admin ]]' "delete audited"
run ioc show 203.0.113.9
expect_status 1

# Every mutation above left an audit event.
check '[[ $(sql "SELECT COUNT(*) FROM audit_events WHERE action = '"'"'ioc.create'"'"'") -eq 7 ]]' "seven creations audited"
check '[[ $(sql "SELECT COUNT(*) FROM audit_events WHERE action = '"'"'ioc.seen'"'"'") -eq 1 ]]' "one seen-again audited"

finish
