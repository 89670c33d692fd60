#!/usr/bin/env bash
# iocm expire: TTL selection per type on the way in, the expiry boundary,
# idempotent runs, --dry-run writing nothing, IOC_AUTO_EXPIRE_ENABLED,
# reactivation of an expired indicator, draft and audit retention, audit
# rows and exact counts.
. "$(dirname "$0")/lib.sh"

RUN_STDIN=$'a-long-password\n' run init --admin-password-stdin
expect_status 0
DB=$TEST_TMP/iocm.db

counts_exact() {
    local kept real
    kept=$(sql "SELECT type, status, is_enriched, n FROM ioc_counts WHERE n <> 0 ORDER BY 1, 2, 3")
    real=$(sql "SELECT type, status, is_enriched, COUNT(*) FROM iocs GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
    checks=$((checks + 1))
    if [[ $kept != "$real" ]]; then
        fail "ioc_counts differ from the iocs table: '$kept' vs '$real'"
    fi
}
dump() { sqlite3 "$DB" .dump; }
expect_same_dump() {
    checks=$((checks + 1))
    if [[ $(dump) != "$1" ]]; then
        fail "$2"
    fi
}
# expires VALUE: the stored expires_at, "null" when it never expires.
expires() {
    "$IOCM" ioc show "$1" --json | jq -r .expires_at
}
expect_expires() {
    local got
    got=$(expires "$1")
    checks=$((checks + 1))
    if [[ $got != "$2" ]]; then
        fail "$1 expires at $got, expected $2"
    fi
}

# --- TTL selection per type (now is 2026-12-04T08:00:00Z) ---
# From the environment: a type's own key, else IOC_DEFAULT_TTL_DAYS.
IOC_TTL_IPV4_DAYS=7 IOC_TTL_URL_DAYS=2 IOC_TTL_SHA256_DAYS=0 IOC_DEFAULT_TTL_DAYS=45 \
    run ioc add 198.51.100.1
expect_status 0
IOC_TTL_IPV4_DAYS=7 IOC_TTL_URL_DAYS=2 IOC_DEFAULT_TTL_DAYS=45 \
    run ioc add 'hxxps://phish[.]example/login'
IOC_TTL_SHA256_DAYS=0 IOC_DEFAULT_TTL_DAYS=45 \
    run ioc add e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
IOC_TTL_IPV4_DAYS=7 IOC_DEFAULT_TTL_DAYS=45 run ioc add ttl-default.example
expect_expires 198.51.100.1 2026-12-11T08:00:00Z
expect_expires https://phish.example/login 2026-12-06T08:00:00Z
expect_expires e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 null
expect_expires ttl-default.example 2027-01-18T08:00:00Z
# From the .env file, and the built-in defaults without any key: domains
# 90 days, CVEs never.
printf 'IOC_TTL_IPV6_DAYS=3\n' >>"$IOCM_ENV_FILE"
run ioc add 2001:db8::5
expect_expires 2001:db8::5 2026-12-07T08:00:00Z
run ioc add builtin.example
expect_expires builtin.example 2027-03-04T08:00:00Z
run ioc add CVE-2024-3094
expect_expires CVE-2024-3094 null
# Per indicator, the options win over every policy.
IOC_TTL_IPV4_DAYS=7 run ioc add 198.51.100.2 --expires-in 1
expect_expires 198.51.100.2 2026-12-05T08:00:00Z
IOC_TTL_IPV4_DAYS=7 run ioc add 198.51.100.3 --no-expiry
expect_expires 198.51.100.3 null
run ioc add 198.51.100.4 --expires-at 2026-12-24T00:00:00Z
expect_expires 198.51.100.4 2026-12-24T00:00:00Z
counts_exact

# --- nothing is due yet ---
run expire
expect_status 0
expect_out "expired 0 indicators"
expect_no_err

# --- the boundary: exactly now is expired, one second later is not ---
run ioc add 192.0.2.1 --expires-at 2026-12-10T12:00:00Z
run ioc add 192.0.2.2 --expires-at 2026-12-10T12:00:01Z
run ioc add 192.0.2.3 --expires-at 2026-12-10T11:00:00Z
run ioc add 'https://boundary.example/' --expires-at 2026-12-10T12:00:00Z
# A draft past its expiry is not active: expiry leaves it alone.
run ioc add draft.example --status draft --expires-at 2026-12-01T00:00:00Z
export IOCM_NOW=2026-12-10T12:00:00Z

# Dry run: says what would happen, writes nothing at all.
before=$(dump)
run expire --dry-run
expect_status 0
expect_out "would expire 6 indicators: ipv4 3, url 2, ipv6 1"
expect_out "dry run: nothing was written"
expect_same_dump "$before" "expire --dry-run changed the database"
run expire --dry-run --json
json_eq '.dry_run' 'true'
json_eq '.expired.total' '6'
json_eq '.expired.by_type' '{"ipv4":3,"url":2,"ipv6":1}'
expect_same_dump "$before" "expire --dry-run --json changed the database"

audits=$(sql "SELECT COUNT(*) FROM audit_events")
run expire
expect_status 0
expect_out "expired 6 indicators: ipv4 3, url 2, ipv6 1"
check '[[ $(sql "SELECT value FROM iocs WHERE status = 4 ORDER BY value" | tr "\n" " ") == "192.0.2.1 192.0.2.3 198.51.100.2 2001:db8::5 https://boundary.example/ https://phish.example/login " ]]' "the due indicators, exactly-now included, are expired"
check '[[ $(sql "SELECT status FROM iocs WHERE value = '"'"'192.0.2.2'"'"'") -eq 2 ]]' "one second later is still active"
check '[[ $(sql "SELECT status FROM iocs WHERE value = '"'"'draft.example'"'"'") -eq 0 ]]' "a draft is not expired"
check '[[ $(sql "SELECT COUNT(*) FROM iocs WHERE status = 4 AND expiry_reason = '"'"'auto_expired'"'"' AND updated_by = '"'"'system'"'"'") -eq 6 ]]' "expired with reason auto_expired by system"
# One audit event per indicator, by the system actor, nothing else.
check '[[ $(sql "SELECT COUNT(*) FROM audit_events") -eq $((audits + 6)) ]]' "six audit events"
check '[[ $(sql "SELECT COUNT(*) FROM audit_events WHERE action = '"'"'ioc.expire'"'"' AND actor = '"'"'system'"'"'") -eq 6 ]]' "each one audited as ioc.expire by system"
check '[[ $(sql "SELECT details FROM audit_events WHERE action = '"'"'ioc.expire'"'"' AND object_id = (SELECT CAST(id AS TEXT) FROM iocs WHERE value = '"'"'192.0.2.1'"'"')" | jq -c "[.reason, .status, .value]") == "[\"auto_expired\",[\"active\",\"expired\"],\"192.0.2.1\"]" ]]' "the event names reason, status change and value"
counts_exact
run ioc show 192.0.2.1 --json
json_eq '.status' '"expired"'
json_eq '.expiry_reason' '"auto_expired"'

# Idempotent: a second run finds nothing and writes nothing.
before=$(dump)
run expire
expect_status 0
expect_out "expired 0 indicators"
expect_same_dump "$before" "a second expire run changed the database"

# One second later, the next one is due.
IOCM_NOW=2026-12-10T12:00:01Z run expire --json
expect_status 0
json_eq '.expired' '{"total":1,"by_type":{"ipv4":1}}'
json_eq '.dry_run' 'false'
json_eq '.at' '"2026-12-10T12:00:01Z"'
counts_exact

# --- switched off: a message, exit 0, nothing written ---
run ioc add 192.0.2.50 --expires-at 2026-12-10T00:00:00Z
before=$(dump)
IOC_AUTO_EXPIRE_ENABLED=false run expire
expect_status 0
expect_out "auto-expiry is disabled (IOC_AUTO_EXPIRE_ENABLED=false)"
expect_same_dump "$before" "expire with auto-expiry disabled changed the database"
IOC_AUTO_EXPIRE_ENABLED=no run expire --json
expect_status 0
json_eq '.auto_expire' 'false'
json_eq '.expired.total' '0'
IOC_AUTO_EXPIRE_ENABLED=maybe run expire
expect_status 2
expect_err "IOC_AUTO_EXPIRE_ENABLED"

# --- seen again after expiry: active, a fresh expiry, the log says so ---
IOCM_NOW=2026-12-20T00:00:00Z IOC_TTL_IPV4_DAYS=7 run ioc add 192.0.2.1 --json
expect_status 0
json_eq '.outcome' '"reactivated"'
json_eq '.status' '"active"'
json_eq '.expires_at' '"2026-12-27T00:00:00Z"'
json_eq '.last_seen' '"2026-12-20T00:00:00Z"'
json_eq '.expiry_reason' 'null'
check '[[ $(sql "SELECT actor || '"'"' '"'"' || action FROM audit_events ORDER BY id DESC LIMIT 1") == "system ioc.reactivate" ]]' "reactivation audited"
counts_exact
# Meanwhile 198.51.100.1 (7 days from 12-04) and 192.0.2.50 are due.
IOCM_NOW=2026-12-20T00:00:00Z run expire --json
json_eq '.expired.by_type' '{"ipv4":2}'
check '[[ $(sql "SELECT status FROM iocs WHERE value = '"'"'192.0.2.1'"'"'") -eq 2 ]]' "the reactivated indicator is not expired again"

# --- retention: stale drafts archived, old audit events purged ---
IOCM_NOW=2026-11-01T00:00:00Z run ioc add stale.example --status draft
IOCM_NOW=2026-11-21T00:00:00Z run ioc add edge.example --status draft
IOCM_NOW=2026-11-21T00:00:01Z run ioc add recent.example --status draft
export IOCM_NOW=2026-12-21T00:00:00Z
# Off by default: nothing archived, nothing purged, and not mentioned.
run expire
expect_not_out "draft"
expect_not_out "audit"
before_events=$(sql "SELECT COUNT(*) FROM audit_events")
old_events=$(sql "SELECT COUNT(*) FROM audit_events WHERE at < strftime('%s', '2026-12-06T00:00:00Z')")
check '[[ $old_events -gt 0 ]]' "there are audit events older than 15 days"
printf 'DRAFT_RETENTION_DAYS=30\nAUDIT_RETENTION_DAYS=15\n' >>"$IOCM_ENV_FILE"
before=$(dump)
run expire --dry-run
expect_out "would archive 2 stale drafts (untouched for 30 days): domain 2"
expect_out "would purge $old_events audit events (older than 15 days)"
expect_same_dump "$before" "retention dry run changed the database"
run expire --json
expect_status 0
json_eq '.drafts_archived' '{"enabled":true,"retention_days":30,"total":2,"by_type":{"domain":2}}'
json_eq ".audit_purged" "{\"enabled\":true,\"retention_days\":15,\"total\":$old_events}"
for v in stale.example edge.example; do
    check '[[ $(sql "SELECT status || '"'"' '"'"' || expiry_reason FROM iocs WHERE value = '"'"'$v'"'"'") == "3 draft_retention" ]]' "$v, untouched for 30 days or more, is archived"
done
check '[[ $(sql "SELECT status FROM iocs WHERE value = '"'"'recent.example'"'"'") -eq 0 ]]' "a draft touched one second less than 30 days ago is kept"
check '[[ $(sql "SELECT COUNT(*) FROM audit_events WHERE at < strftime('"'"'%s'"'"', '"'"'2026-12-06T00:00:00Z'"'"')") -eq 0 ]]' "old audit events are purged"
check '[[ $(sql "SELECT COUNT(*) FROM audit_events WHERE action = '"'"'audit.purge'"'"' AND actor = '"'"'system'"'"'") -eq 1 ]]' "the purge is itself audited"
check '[[ $(sql "SELECT COUNT(*) FROM audit_events WHERE action = '"'"'ioc.archive'"'"' AND actor = '"'"'system'"'"'") -eq 2 ]]' "each archived draft is audited"
counts_exact
run expire
expect_out "archived 0 stale drafts (untouched for 30 days)"
expect_out "purged 0 audit events (older than 15 days)"

# --- usage ---
run expire --bogus
expect_status 2
run expire now
expect_status 2
expect_err "unexpected argument 'now'"
run expire --help
expect_status 0
expect_out "DRAFT_RETENTION_DAYS"

finish
