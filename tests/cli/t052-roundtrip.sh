#!/usr/bin/env bash
# Round trips: what iocm exports as csv, json, stix or misp and imports
# into an empty database comes back with the same values and fields.
. "$(dirname "$0")/lib.sh"
DATA=$(cd "$(dirname "$0")/../data/io/cli" && pwd)

reset_db() {
    rm -f "$TEST_TMP"/iocm.db*
    RUN_STDIN=$'a-long-password\n' run init --admin-password-stdin
    expect_status 0
}
# The fields a round trip keeps, sorted so that row order does not matter.
FIELDS='[.items[] | {type,value,severity,confidence,tlp,source,tags,description,first_seen,last_seen,expires_at}] | sort_by(.type,.value)'
# csv and json keep who created an indicator, and when, too.
FIELDS_CREATED='[.items[] | {type,value,created_at,created_by}] | sort_by(.type,.value)'

# The source database: every type and TLP with every field set; awkward
# text (quotes, commas, line breaks, non-ASCII, padding, an IDN host);
# fields left unset (no source, no description, no expiry for hashes);
# and a defanged advisory. Indicators created at another time and by
# another user than the importer's.
reset_db
RUN_STDIN=$'alice-password\n' run user add alice --role analyst
IOCM_NOW=2026-11-25T06:30:00Z run import "$DATA/every-type.csv" --user alice
expect_status 0
run import "$DATA/awkward.csv"
expect_status 0
run import "$DATA/advisory.txt"
expect_status 0
run ioc add 192.0.2.200 --description 'added by hand' --tags 'x,y' --severity low --expires-in 3
expect_status 0
run ioc list --all --json
total=$(jq .total <<<"$OUT")
# 14 + 3 + 10 + 1, CVE-2024-3094 being in two files.
check '[[ $total -eq 27 ]]' "27 indicators to carry (got $total)"
jq -c "$FIELDS" <<<"$OUT" >"$TEST_TMP/want.json"
jq -c "$FIELDS_CREATED" <<<"$OUT" >"$TEST_TMP/want-created.json"
check 'jq -e "map(select(.expires_at == null)) | length > 0" "$TEST_TMP/want.json" >/dev/null' "some indicators never expire"
check 'jq -e "map(select(.source == \"\")) | length > 0" "$TEST_TMP/want.json" >/dev/null' "some have no source"
for fmt in csv json stix misp; do
    run export --format "$fmt" -o "$TEST_TMP/export.$fmt"
    expect_status 0
done

for fmt in csv json stix misp; do
    reset_db
    # Imported later, by someone else: what the file says must win.
    IOCM_NOW=2026-12-10T12:00:00Z run import "$TEST_TMP/export.$fmt" --json
    expect_status 0
    json_eq "[.format, .added, .invalid, .skipped]" "[\"$fmt\",$total,0,0]"
    run ioc list --all --json
    jq -c "$FIELDS" <<<"$OUT" >"$TEST_TMP/got.$fmt.json"
    if ! cmp -s "$TEST_TMP/want.json" "$TEST_TMP/got.$fmt.json"; then
        checks=$((checks + 1))
        fail "$fmt: the round trip changed fields: $(diff <(jq . "$TEST_TMP/want.json") <(jq . "$TEST_TMP/got.$fmt.json") | head -20)"
    else
        checks=$((checks + 1))
    fi
    if [[ $fmt == csv || $fmt == json ]]; then
        jq -c "$FIELDS_CREATED" <<<"$OUT" >"$TEST_TMP/got-created.json"
        check 'cmp -s "$TEST_TMP/want-created.json" "$TEST_TMP/got-created.json"' "$fmt: created_at and created_by kept"
    fi
    # Exported again from the new database: the same ids (UUIDv5 of type
    # and value), whatever order the rows now have.
    if [[ $fmt == stix ]]; then
        run export --format stix -o "$TEST_TMP/again.stix"
        check '[[ $(jq -c "[.objects[].id] | sort" "$TEST_TMP/export.stix") == "$(jq -c "[.objects[].id] | sort" "$TEST_TMP/again.stix")" ]]' "stix: the same object ids after a round trip"
    fi
    if [[ $fmt == misp ]]; then
        run export --format misp -o "$TEST_TMP/again.misp"
        check '[[ $(jq -c "[.Event.Attribute[].uuid] | sort" "$TEST_TMP/export.misp") == "$(jq -c "[.Event.Attribute[].uuid] | sort" "$TEST_TMP/again.misp")" ]]' "misp: the same attribute uuids after a round trip"
    fi
    # Importing the file again changes nothing.
    before=$(sqlite3 "$TEST_TMP/iocm.db" "SELECT type, value, severity, confidence, tlp, source, tags, description, first_seen, last_seen, expires_at FROM iocs ORDER BY id")
    IOCM_NOW=2026-12-10T12:00:00Z run import "$TEST_TMP/export.$fmt" --json
    json_eq "[.added, .seen_again]" "[0,$total]"
    after=$(sqlite3 "$TEST_TMP/iocm.db" "SELECT type, value, severity, confidence, tlp, source, tags, description, first_seen, last_seen, expires_at FROM iocs ORDER BY id")
    check '[[ $before == "$after" ]]' "$fmt: importing the same file again changes no field"
done

# text carries values only: the same set of values comes back.
reset_db
run import "$DATA/every-type.csv"
run import "$DATA/advisory.txt"
run export --format text -o "$TEST_TMP/export.text"
sql "SELECT type || ' ' || value FROM iocs ORDER BY type, value" >"$TEST_TMP/want.text"
reset_db
run import "$TEST_TMP/export.text"
expect_status 0
expect_out "(text): $(wc -l <"$TEST_TMP/want.text") added"
sql "SELECT type || ' ' || value FROM iocs ORDER BY type, value" >"$TEST_TMP/got.text"
check 'cmp -s "$TEST_TMP/want.text" "$TEST_TMP/got.text"' "text: the same typed values come back"
# Defanged, too.
run export --format text --defang -o "$TEST_TMP/export.defanged"
reset_db
run import "$TEST_TMP/export.defanged"
sql "SELECT type || ' ' || value FROM iocs ORDER BY type, value" >"$TEST_TMP/got.defanged"
check 'cmp -s "$TEST_TMP/want.text" "$TEST_TMP/got.defanged"' "defanged text: the same typed values come back"

finish
