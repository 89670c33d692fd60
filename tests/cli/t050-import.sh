#!/usr/bin/env bash
# iocm import: every format, detected and named, with its summary and
# --json; invalid entries beside valid ones; importing twice; the fields
# options fill; dry runs; one audit event per import; transactions and
# batches; standard input, pipes and hostile input.
. "$(dirname "$0")/lib.sh"
DATA=$(cd "$(dirname "$0")/../data/io/cli" && pwd)
EXAMPLES=$(cd "$(dirname "$0")/../../examples" && pwd)

# reset_db: a fresh, empty database with its administrator.
reset_db() {
    rm -f "$TEST_TMP"/iocm.db*
    RUN_STDIN=$'a-long-password\n' run init --admin-password-stdin
    expect_status 0
}
rows() { sql "SELECT COUNT(*) FROM iocs"; }
audits() { sql "SELECT COUNT(*) FROM audit_events"; }
# field VALUE COLUMN: one column of the stored indicator VALUE.
field() { sql "SELECT $2 FROM iocs WHERE value = '$1'"; }

# ---- every format, detected and named, imported twice ----
# file | format | added | invalid | skipped
formats=(
    "advisory.txt|text|10|1|0"
    "rows10.csv|csv|7|3|0"
    "iocs.json|json|4|2|0"
    "iocs.jsonl|json|3|1|0"
    "bundle.json|stix|5|2|3"
    "event.misp.json|misp|7|1|2"
)
for spec in "${formats[@]}"; do
    IFS='|' read -r file fmt added invalid skipped <<<"$spec"
    for how in detected named; do
        reset_db
        args=("$DATA/$file")
        [[ $how == named ]] && args+=(--format "$fmt")
        run import "${args[@]}"
        expect_status 0
        expect_out "imported $DATA/$file ($fmt): $added added, 0 seen again, 0 reactivated, $invalid invalid, $skipped skipped"
        check '[[ $(rows) -eq $added ]]' "$file ($how): $added rows stored"
        # The same file again adds nothing: everything is seen again.
        run import "${args[@]}" --json
        expect_status 0
        json_eq '[.format, .added, .seen_again, .invalid, .skipped]' \
            "[\"$fmt\",0,$added,$invalid,$skipped]"
        check '[[ $(rows) -eq $added ]]' "$file ($how): no row added the second time"
    done
done

# The summary's --json keys, for scripts.
run import "$DATA/event.misp.json" --json
json_eq 'keys' '["added","dry_run","file","format","invalid","invalid_entries","reactivated","seen_again","skipped","skipped_entries","warnings"]'
json_eq '.invalid_entries[0] | keys' '["reason","where"]'

# A format that does not fit the file is refused whole.
reset_db
run import "$DATA/bundle.json" --format csv
expect_status 1
expect_err "has no 'value' column"
expect_one_err_line
run import "$DATA/rows10.csv" --format json
expect_status 1
expect_err "not JSON indicators"
expect_one_err_line
check '[[ $(rows) -eq 0 ]]' "nothing stored from a file of the wrong format"

# ---- the text extractor through the command ----
# The sample report's "version 2.4.1.7 in its user agent" is no address.
reset_db
run import "$EXAMPLES/sample-report.txt" --json
expect_status 0
json_eq '.added' '11'
check '[[ -z $(field 2.4.1.7 type) ]]' "the version string 2.4.1.7 is not stored"
check '[[ $(field 198.51.100.23 type) == ipv4 ]]' "the defanged address is stored"
run import "$DATA/advisory.txt" --json
json_eq '.invalid_entries' '[{"where":"line 11","reason":"invalid ipv4 '"'"'999.1.1.1'"'"': octet out of range"}]'
check '[[ -z $(field 120.0.1.2 type) ]]' "Chrome/120.0.1.2 is a version"
check '[[ $(field 192.0.2.44 type) == ipv4 ]]' "'C2 at 192.0.2.44' stays an address"
check '[[ $(field https://cdn.invoice-portal.example/assets/logo.png?id=4471 type) == url ]]' "defanged URL"
check '[[ -z $(field logo.png type) ]]' "a file name inside a URL is no indicator"

# ---- CSV: 3 bad rows among 10, unknown columns once ----
reset_db
run import "$DATA/rows10.csv"
expect_status 0
expect_out "7 added, 0 seen again, 0 reactivated, 3 invalid, 0 skipped"
expect_out "invalid row 4: invalid ipv4 '1.2.3.256': octet out of range"
expect_out "invalid row 6: invalid severity 'urgent'"
expect_out "invalid row 9: 13 fields, but the header has 11"
check '[[ $(grep -c "unknown column '"'"'color'"'"'" <<<"$OUT") -eq 1 ]]' "unknown column 'color' reported once"
check '[[ $(grep -c "unknown column '"'"'weight'"'"'" <<<"$OUT") -eq 1 ]]' "unknown column 'weight' reported once"
check '[[ $(grep -c "warning:" <<<"$OUT") -eq 2 ]]' "two warnings, one per unknown column"
expect_no_err
check '[[ $(rows) -eq 7 ]]' "the 7 valid rows are stored"
check '[[ $(field http://bad.example/x tags) == c,d ]]' "tags of a quoted field"
check '[[ $(field http://bad.example/x description) == "with, comma" ]]' "a quoted comma"
run import "$DATA/rows10.csv" --json
json_eq '[.invalid_entries[].where]' '["row 4","row 6","row 9"]'
json_eq '.warnings | length' '2'

# ---- JSON array and JSON lines ----
reset_db
run import "$DATA/iocs.json" --json
json_eq '[.invalid_entries[].where]' '["object 3","object 4"]'
json_eq '.invalid_entries[1].reason' '"invalid confidence 150: expected an integer from 0 to 100"'
json_eq '.warnings' "[\"$DATA/iocs.json: unknown field 'colour' ignored\"]"
check '[[ $(field 198.51.100.71 tags) == botnet,scanner ]]' "JSON tags, lower-cased"
check '[[ $(field json-array.example tags) == a,b ]]' "JSON tags given as a string"
run import "$DATA/iocs.jsonl" --json
json_eq '.invalid_entries' '[{"where":"line 3","reason":"invalid ipv4 '"'"'198.51.100.999'"'"': octet out of range"}]'

# ---- STIX: mapped fields, unmappable patterns listed by id ----
reset_db
run import "$DATA/bundle.json"
expect_status 0
expect_out "skipped indicator--77c4a1a4-08b5-4f0a-9d0c-3a2f6c8e9b01: object path 'process:name' is no indicator"
expect_out "skipped indicator--0b6c3f5e-1e7d-4b5e-9a64-2f1d8c7e6a02: pattern requires several comparisons (AND)"
expect_out "invalid indicator--4d2a9b7c-6e1f-4c3a-8b5d-7e9f0a1b2c03: invalid ipv4 '203.0.113.300'"
expect_out "invalid indicator--9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c04: invalid pattern"
expect_out "skipped malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc: not an indicator"
run ioc show 198.51.100.7 --json
json_eq '[.tlp, .confidence, .tags, .source, .expires_at, .first_seen]' \
    '["RED",85,["c2","cobalt-strike"],"Example CERT","2027-04-01T00:00:00Z","2026-10-01T00:00:00Z"]'
json_eq '.description' '"Cobalt Strike team server"'
# An OR of three comparisons gives three indicators; TLP 2.0 and 1.0 ids.
check '[[ $(field phish.example tlp) -eq $(field billing@phish.example tlp) ]]' "OR terms share the TLP"
run ioc show phish.example --json
json_eq '.tlp' '"GREEN"'
run ioc show e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 --json
json_eq '.tlp' '"AMBER"'

# ---- MISP: attribute types, tags, to_ids, the event's fields ----
reset_db
run import "$DATA/event.misp.json"
expect_status 0
expect_out "invalid attribute a1000000-0000-4000-8000-000000000006: invalid ipv4 '300.1.1.1'"
expect_out "skipped attribute a1000000-0000-4000-8000-000000000005: attribute type 'text' is not read"
expect_out "skipped attribute a1000000-0000-4000-8000-000000000007: deleted"
run ioc show 198.51.100.61 --json
json_eq '[.tlp, .severity, .source, .description, .tags]' \
    '["RED","high","CIRCL-like community","C2",["campaign:plume"]]'
run ioc show invoice.exe --json
json_eq '[.type, .tlp, .tags]' '["filename","AMBER",["campaign:plume","misp:to_ids=false"]]'
check '[[ $(field 203.0.113.62 type) == ipv4 && $(field drop.example type) == domain ]]' "domain|ip gives two indicators"
check '[[ $(field billing@drop.example type) == email ]]' "attributes of MISP objects are read"

# ---- options fill what entries leave unset ----
reset_db
RUN_STDIN=$'alice-password\n' run user add alice --role analyst
expect_status 0
run import "$DATA/iocs.json" --source cli-src --tlp red --severity critical --tags Extra,Two --user alice
expect_status 0
run ioc show CVE-2021-44228 --json
json_eq '[.severity, .tlp, .source, .tags, .created_by]' '["critical","RED","cli-src",["extra","two"],"alice"]'
run ioc show json-array.example --json
json_eq '[.severity, .tlp, .source, .tags]' '["low","RED","cli-src",["a","b","extra","two"]]'
run ioc show 198.51.100.71 --json
json_eq '[.severity, .tlp, .source, .confidence]' '["high","GREEN","feed-json",70]'
json_eq '.tags' '["botnet","extra","scanner","two"]'
check '[[ $(sql "SELECT COUNT(*) FROM iocs WHERE created_by <> '"'"'alice'"'"'") -eq 0 ]]' "every indicator was created by alice"
# Seen again: the stored fields stay, empty ones are filled.
run import "$DATA/iocs.jsonl" --confidence 15 --status draft
expect_status 0
run import "$DATA/iocs.jsonl" --source late-src --severity low
expect_out "0 added, 3 seen again"
run ioc show jsonl.example --json
json_eq '[.source, .severity, .confidence, .status]' '["late-src","medium",15,"draft"]'
run ioc show 198.51.100.81 --json
json_eq '.source' '"feed-jsonl"'

# ---- one audit event per import ----
before=$(audits)
run import "$DATA/rows10.csv" --user alice
expect_status 0
check '[[ $(audits) -eq $((before + 1)) ]]' "one audit event for the whole import"
run audit list --action import --json
json_eq '.[0] | [.actor, .action, .details.file, .details.format]' "[\"alice\",\"import\",\"$DATA/rows10.csv\",\"csv\"]"
json_eq '.[0].details | [.added, .seen_again, .invalid, .skipped]' '[7,0,3,0]'
check '[[ $(sql "SELECT COUNT(*) FROM audit_events WHERE action <> '"'"'import'"'"' AND action <> '"'"'user.create'"'"'") -eq 0 ]]' "no audit event per indicator"

# ---- --dry-run writes nothing ----
reset_db
sqlite3 "$TEST_TMP/iocm.db" .dump >"$TEST_TMP/before.sql"
for file in advisory.txt rows10.csv iocs.json bundle.json event.misp.json; do
    run import "$DATA/$file" --dry-run
    expect_status 0
    expect_out "dry run, nothing stored: $DATA/$file"
done
run import "$DATA/rows10.csv" --dry-run --json
json_eq '[.dry_run, .added, .invalid]' '[true,7,3]'
sqlite3 "$TEST_TMP/iocm.db" .dump >"$TEST_TMP/after.sql"
check 'cmp -s "$TEST_TMP/before.sql" "$TEST_TMP/after.sql"' "the database dump is unchanged by dry runs"

# ---- a JSON array failing late is one transaction: nothing stored ----
reset_db
{
    printf '[\n'
    for i in $(seq 1 300); do printf '{"value": "198.51.%d.%d"},\n' $((i / 200)) $((i % 200 + 1)); done
    printf '{"value": "late.example" "oops"}\n]\n'
} >"$TEST_TMP/late.json"
before=$(audits)
run import "$TEST_TMP/late.json"
expect_status 1
expect_err "late.json: invalid JSON at line 302"
expect_one_err_line
expect_not_out "imported"
check '[[ $(rows) -eq 0 ]]' "a JSON array with a late syntax error stores nothing"
check '[[ $(audits) -eq $before ]]' "and audits nothing"

# ---- unreadable input ----
run import "$TEST_TMP/no-such-file.csv"
expect_status 1
expect_err "cannot open '$TEST_TMP/no-such-file.csv': No such file or directory"
expect_one_err_line
run import "$TEST_TMP"
expect_status 1
expect_one_err_line
run import
expect_status 2
expect_err "missing FILE"
run import "$DATA/rows10.csv" --format yaml
expect_status 1
expect_err "invalid format 'yaml'"

# ---- standard input and pipes ----
reset_db
RUN_STDIN=$'evil-stdin.example\n198.51.100.201 and hxxp://stdin[.]example/x\n' run import - --json
expect_status 0
json_eq '[.file, .format, .added]' '["-","text",3]'
RUN_STDIN=$'value,severity\nstdin-csv.example,high\n' run import -
expect_status 0
expect_out "(csv): 1 added"
run import <(printf '{"value": "pipe.example"}\n')
expect_status 0
expect_out "(json): 1 added"
check '[[ $(field pipe.example type) == domain ]]' "a pipe (process substitution) is read"
# Not a terminal: no progress line.
expect_no_err
# On a terminal (script(1) gives one), progress on stderr, ended by the
# final count.
if command -v script >/dev/null; then
    seq -f '198.51.%g.9' 0 199 >"$TEST_TMP/progress.txt"
    tty_out=$(script -qec "$(printf '%q ' "$IOCM" import "$TEST_TMP/progress.txt")" /dev/null)
    check '[[ $tty_out == *$'"'"'\r'"'"'"import: 200 added, 0 seen again, 0 invalid"$'"'"'\r\n'"'"'* ]]' "progress on a terminal: $tty_out"
    check '[[ $tty_out == *"imported $TEST_TMP/progress.txt (text): 200 added"* ]]' "the summary follows the progress"
fi

# ---- batches ----
# Whole batches: with --batch-size 3 an injected failure at the 8th of ten
# new rows (a trigger aborting its insert) leaves the two committed
# batches, six rows, and rolls back the third; the counters and the audit
# event agree with what was stored.
reset_db
seq -f '198.51.100.%g' 1 10 >"$TEST_TMP/ten.txt"
sql "CREATE TRIGGER inject BEFORE INSERT ON iocs WHEN NEW.value = '198.51.100.8' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
run import "$TEST_TMP/ten.txt" --batch-size 3
expect_status 1
expect_err "injected failure"
expect_one_err_line
check '[[ $(rows) -eq 6 ]]' "two whole batches of 3 stored, the third rolled back"
check '[[ $(sql "SELECT SUM(n) FROM ioc_counts") -eq 6 ]]' "the counters count the stored rows only"
run audit list --action import --json
json_eq '.[0].details | [.added, .error]' '[6,"injected failure"]'
# A failure in the first batch stores and audits nothing.
reset_db
sql "CREATE TRIGGER inject BEFORE INSERT ON iocs WHEN NEW.value = '198.51.100.2' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
run import "$TEST_TMP/ten.txt" --batch-size 3
expect_status 1
check '[[ $(rows) -eq 0 && $(audits) -eq 1 ]]' "nothing stored or audited when the first batch fails"
# A JSON array is one transaction whatever the batch size.
printf '[{"value":"198.51.100.1"},{"value":"198.51.100.2"}]' >"$TEST_TMP/two.json"
run import "$TEST_TMP/two.json" --batch-size 1
expect_status 1
check '[[ $(rows) -eq 0 ]]' "a JSON array is never stored in part"
sql "DROP TRIGGER inject"
run import "$TEST_TMP/ten.txt" --batch-size 3 --json
expect_status 0
json_eq '.added' '10'
run import "$TEST_TMP/ten.txt" --batch-size 0
expect_status 2
expect_err "--batch-size"

# ---- hostile input ----
reset_db
big=$(head -c 1048576 /dev/zero | tr '\0' 'A')
printf 'value,description\n198.51.100.1,%s\n"%s",x\nok-big.example,fine\n' "$big" "$big" >"$TEST_TMP/big.csv"
run import "$TEST_TMP/big.csv" --json
expect_status 0
json_eq '[.added, .invalid]' '[1,2]'
json_eq '.invalid_entries[0]' '{"where":"row 2","reason":"invalid description: longer than 65536 bytes"}'
printf '[{"value":"%s"},{"value":"ok-big2.example","source":"%s"},{"value":"ok-big3.example"}]' "$big" "$big" >"$TEST_TMP/big.json"
run import "$TEST_TMP/big.json" --json
expect_status 0
json_eq '[.added, .invalid]' '[1,2]'
printf '%s 198.51.100.2 %s.example\n' "$big" "$big" >"$TEST_TMP/big.txt"
run import "$TEST_TMP/big.txt" --json
expect_status 0
json_eq '.added' '1'
unset big
# Invalid UTF-8: the field is refused, its bytes shown as '?', and the
# summary is still valid JSON.
printf 'value,source\n198.51.100.3,caf\xe9\n198.51.100.4,fine\n' >"$TEST_TMP/latin1.csv"
run import "$TEST_TMP/latin1.csv" --json
expect_status 0
json_eq '.invalid_entries' '[{"where":"row 2","reason":"invalid source '"'"'caf?'"'"': invalid utf-8"}]'
printf '\xff\xfe evil-utf.example \xc3\x28.example 198.51.100.5\n' >"$TEST_TMP/junk.txt"
run import "$TEST_TMP/junk.txt" --json
expect_status 0
json_eq '.added' '2'
printf '[{"value":"198.51.100.6","description":"caf\xe9"}]' >"$TEST_TMP/latin1.json"
run import "$TEST_TMP/latin1.json"
expect_status 1
expect_err "invalid JSON"
expect_one_err_line
# A file name that is no UTF-8 still makes a JSON summary and audit event.
cp "$DATA/iocs.jsonl" "$TEST_TMP/name-$(printf '\xff').jsonl"
run import "$TEST_TMP/name-$(printf '\xff').jsonl" --json
expect_status 0
json_eq '.file' "\"$TEST_TMP/name-?.jsonl\""
run audit list --action import --json
json_eq '.[0].details.file' "\"$TEST_TMP/name-?.jsonl\""
# 100,000 levels of nesting: refused, no crash.
head -c 100000 /dev/zero | tr '\0' '[' >"$TEST_TMP/deep.json"
head -c 100000 /dev/zero | tr '\0' ']' >>"$TEST_TMP/deep.json"
run import "$TEST_TMP/deep.json"
expect_status 1
expect_err "maximum parsing depth reached"
expect_one_err_line
{
    printf '{"value": '
    head -c 100000 /dev/zero | tr '\0' '['
    head -c 100000 /dev/zero | tr '\0' ']'
    printf '}\n{"value": "after-deep.example"}\n'
} >"$TEST_TMP/deep.jsonl"
run import "$TEST_TMP/deep.jsonl" --json
expect_status 0
json_eq '[.added, .invalid_entries[0].where]' '[1,"line 1"]'
{
    printf '{"type": "bundle", "objects": [{"type": "indicator", "x": '
    head -c 100000 /dev/zero | tr '\0' '['
    head -c 100000 /dev/zero | tr '\0' ']'
    printf '}]}\n'
} >"$TEST_TMP/deep-stix.json"
run import "$TEST_TMP/deep-stix.json" --format stix
expect_status 1
expect_err "maximum parsing depth reached"
expect_one_err_line
# Bad quoting: the row is named, the rest goes on.
printf 'value,description\nq1.example,"ok"\nq2.example,bad"quote\nq3.example,"x"y\nq4.example,z\n' >"$TEST_TMP/quotes.csv"
run import "$TEST_TMP/quotes.csv" --json
expect_status 0
json_eq '[.added, [.invalid_entries[].where]]' '[2,["row 3","row 4"]]'

finish
