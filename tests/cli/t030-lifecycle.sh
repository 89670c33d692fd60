#!/usr/bin/env bash
# The review workflow on the command line: iocm ioc submit|approve|reject|
# archive|restore|false-positive|flag, who may do what (--user), the
# permission checks of ioc add/update/delete, audit rows and exact counts.
. "$(dirname "$0")/lib.sh"

RUN_STDIN=$'a-long-password\n' run init --admin-password-stdin
expect_status 0
for u in ann:analyst bob:analyst vic:viewer; do
    RUN_STDIN=$'a-long-password\n' run user add "${u%%:*}" --role "${u#*:}"
    expect_status 0
done
RUN_STDIN=$'a-long-password\n' run user add rita --role analyst --reviewer
expect_status 0
RUN_STDIN=$'a-long-password\n' run user add val --role viewer --reviewer
expect_status 0

# counts_exact: the maintained ioc_counts equal a count of the iocs table.
counts_exact() {
    local kept real
    kept=$(sql "SELECT type, status, is_enriched, n FROM ioc_counts WHERE n <> 0 ORDER BY 1, 2, 3")
    real=$(sql "SELECT type, status, is_enriched, COUNT(*) FROM iocs GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
    checks=$((checks + 1))
    if [[ $kept != "$real" ]]; then
        fail "ioc_counts differ from the iocs table: '$kept' vs '$real'"
    fi
}
# status_of ID: the stored status name.
status_of() {
    "$IOCM" ioc show "$1" --json | jq -r .status
}
# last_audit ID: "actor action" of the newest audit event about indicator ID.
last_audit() {
    sql "SELECT actor || ' ' || action FROM audit_events WHERE object_type = 'ioc' AND object_id = '$1' ORDER BY id DESC LIMIT 1"
}
expect_audit() {
    local got
    got=$(last_audit "$1")
    checks=$((checks + 1))
    if [[ $got != "$2" ]]; then
        fail "newest audit event of indicator $1 is '$got', expected '$2'"
    fi
}
expect_status_of() {
    local got
    got=$(status_of "$1")
    checks=$((checks + 1))
    if [[ $got != "$2" ]]; then
        fail "indicator $1 is $got, expected $2"
    fi
}

# --- creating: viewers never; a plain analyst's work starts as a draft ---
audits=$(sql "SELECT COUNT(*) FROM audit_events")
run ioc add 203.0.113.10 --user vic
expect_status 1
expect_err "user 'vic' (viewer) may not create indicator '203.0.113.10': viewers only read"
expect_one_err_line
run ioc add 203.0.113.10 --user val
expect_status 1
expect_err "(viewer"
run ioc add 203.0.113.10 --user ann --status active
expect_status 1
expect_err "user 'ann' (analyst) may not create indicator '203.0.113.10' as active: analysts create drafts, or submit them for review"
check '[[ $(sql "SELECT COUNT(*) FROM iocs") -eq 0 ]]' "refused adds write no indicator"
check '[[ $(sql "SELECT COUNT(*) FROM audit_events") -eq $audits ]]' "refused adds write no audit"

run ioc add evil.example --user ann --json
expect_status 0
json_eq '.status' '"draft"'
json_eq '.created_by' '"ann"'
id=$(printf '%s' "$OUT" | jq .id)
run ioc add 203.0.113.11 --user ann --status review --json
expect_status 0
json_eq '.status' '"review"'
run ioc add 203.0.113.12 --user rita --json
json_eq '.status' '"active"'
run ioc add 203.0.113.13 --json
json_eq '.status' '"active"'
counts_exact

# --- editing: analysts their own drafts; status changes by reviewers ---
run ioc update "$id" --user bob --severity high
expect_status 1
expect_err "user 'bob' (analyst) may not edit indicator $id: analysts edit only their own drafts"
run ioc update "$id" --user vic --severity high
expect_status 1
expect_err "viewers only read"
run ioc update "$id" --user ann --status active
expect_status 1
expect_err "user 'ann' (analyst) may not set the status of indicator $id"
expect_status_of "$id" draft
run ioc update "$id" --user ann --severity high --json
expect_status 0
json_eq '.severity' '"high"'
expect_audit "$id" "ann ioc.update"
counts_exact

# --- the workflow, step by step ---
run ioc approve "$id" --user rita
expect_status 1
expect_err "cannot approve indicator $id: it is a draft, not in review"
expect_one_err_line

run ioc submit evil.example --user bob
expect_status 1
expect_err "user 'bob' (analyst) may not submit indicator $id: analysts submit only their own drafts"
run ioc submit evil.example --user ann
expect_status 0
expect_out "submitted $id: domain evil.example (draft -> review)"
expect_audit "$id" "ann ioc.submit"
counts_exact

# Once submitted, the draft is no longer the analyst's to edit.
run ioc update "$id" --user ann --severity low
expect_status 1
expect_err "analysts edit only their own drafts"

run ioc approve "$id" --user ann
expect_status 1
expect_err "user 'ann' (analyst) may not approve indicator $id: only reviewers and admins approve indicators"
run ioc approve "$id" --user vic
expect_status 1
expect_err "user 'vic' (viewer) may not approve indicator $id: viewers only read"
run ioc approve "$id" --user val
expect_status 1
expect_err "viewers only read"
expect_status_of "$id" review

run ioc reject "$id" --user rita
expect_status 2
expect_err "--reason"
run ioc reject "$id" --user rita --reason "needs a source" --json
expect_status 0
json_eq '.status' '"draft"'
json_eq '.previous_status' '"review"'
json_eq '.action' '"reject"'
expect_audit "$id" "rita ioc.reject"
check '[[ $(sql "SELECT details FROM audit_events WHERE action = '"'"'ioc.reject'"'"'" | jq -r .reason) == "needs a source" ]]' "the rejection's reason is audited"
check '[[ $(sql "SELECT details FROM audit_events WHERE action = '"'"'ioc.reject'"'"'" | jq -c .status) == "[\"review\",\"draft\"]" ]]' "the rejection's status change is audited"
counts_exact

run ioc submit "$id" --user ann
expect_status 0
run ioc approve "$id" --user rita
expect_status 0
expect_out "approved $id: domain evil.example (review -> active)"
expect_audit "$id" "rita ioc.approve"
run ioc approve "$id" --user admin
expect_status 1
expect_err "cannot approve indicator $id: it is active, not in review"

run ioc flag "$id" --user rita --reason "seen on a CDN"
expect_status 0
expect_out "flagged for review $id"
expect_status_of "$id" review
expect_audit "$id" "rita ioc.flag"
run ioc approve "$id" --user admin
expect_status 0
expect_audit "$id" "admin ioc.approve"

run ioc archive "$id" --user ann
expect_status 1
expect_err "only reviewers and admins archive indicators"
run ioc archive "$id" --user admin --json
expect_status 0
json_eq '.status' '"archived"'
json_eq '.expiry_reason' '"archived"'
expect_audit "$id" "admin ioc.archive"
run ioc archive "$id"
expect_status 1
expect_err "cannot archive indicator $id: it is archived, not active"
run ioc restore "$id" --user rita --json
expect_status 0
json_eq '.status' '"active"'
json_eq '.expiry_reason' 'null'
expect_audit "$id" "rita ioc.restore"
counts_exact

# --- false positives: out of active, still searchable, not exported ---
run ioc false-positive evil.example --user bob
expect_status 1
expect_err "user 'bob' (analyst) may not mark indicator $id as a false positive: only reviewers and admins mark false positives"
run ioc false-positive evil.example --user rita --reason "sinkhole" --json
expect_status 0
json_eq '.status' '"archived"'
json_eq '.false_positive' 'true'
json_eq '.expiry_reason' '"false_positive"'
expect_audit "$id" "rita ioc.false_positive"
run ioc false-positive "$id"
expect_status 1
expect_err "cannot mark indicator $id as a false positive: it is one already"
run ioc list --search evil --json
json_eq '.total' '0'
run ioc list --search evil --include-false-positives --json
json_eq '[.items[].value]' '["evil.example"]'
run ioc show "$id" --json
json_eq '.false_positive' 'true'
# Restoring takes the verdict back.
run ioc restore "$id" --json
expect_status 0
json_eq '.status' '"active"'
json_eq '.false_positive' 'false'
expect_audit "$id" "system ioc.restore"
counts_exact

# --- every action from every status for the system actor -----------------
# legal ACTION STATUS -> the status it leads to, or nothing when illegal.
legal() {
    case "$1:$2" in
    submit:draft) echo review ;;
    approve:review) echo active ;;
    reject:review) echo draft ;;
    archive:active | false-positive:*) echo archived ;;
    restore:archived) echo active ;;
    flag:active) echo review ;;
    esac
}
n=0
for status in draft review active archived expired; do
    for action in submit approve reject archive restore flag false-positive; do
        n=$((n + 1))
        run ioc add "m$n.example" --status "$status" --json
        mid=$(printf '%s' "$OUT" | jq .id)
        audits=$(sql "SELECT COUNT(*) FROM audit_events")
        run ioc "$action" "$mid" --reason "matrix"
        want=$(legal "$action" "$status")
        if [[ -n $want ]]; then
            expect_status 0
            expect_status_of "$mid" "$want"
            expect_audit "$mid" "system ioc.${action/-/_}"
        else
            expect_status 1
            expect_err "cannot "
            expect_err ": it is "
            expect_status_of "$mid" "$status"
            check '[[ $(sql "SELECT COUNT(*) FROM audit_events") -eq $audits ]]' "refused $action from $status writes no audit"
        fi
    done
done
counts_exact

# --- deleting: analysts their own drafts; reviewers and admins anything ---
run ioc add own.example --user ann --json
own=$(printf '%s' "$OUT" | jq .id)
run ioc add other.example --user bob --json
other=$(printf '%s' "$OUT" | jq .id)
run ioc delete "$other" --user ann
expect_status 1
expect_err "user 'ann' (analyst) may not delete indicator $other: analysts delete only their own drafts"
run ioc delete "$own" --user vic
expect_status 1
expect_err "viewers only read"
run ioc delete "$own" --user ann
expect_status 0
run ioc delete "$other" --user rita
expect_status 0
run ioc delete 203.0.113.12 --user ann
expect_status 1
expect_err "analysts delete only their own drafts"
counts_exact

# --- errors of the command itself ---
run ioc approve 999999
expect_status 1
expect_err "no indicator with id 999999"
run ioc approve
expect_status 2
run ioc approve 1 --user ghost
expect_status 1
expect_err "no user 'ghost'"
run ioc approve --help
expect_status 0
expect_out "review -> active"

finish
