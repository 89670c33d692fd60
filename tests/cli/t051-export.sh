#!/usr/bin/env bash
# iocm export: each format to standard output and to a file (replaced only
# when the export succeeds), the filters of ioc list, what is left out by
# default, defanged text, STIX bundles valid against the OASIS schemas,
# and identical bytes when exported again.
. "$(dirname "$0")/lib.sh"
DATA=$(cd "$(dirname "$0")/../data/io/cli" && pwd)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCHEMAS=${IOCM_TESTDATA:-$ROOT/../shared/testdata}/stix2-json-schemas/schemas

RUN_STDIN=$'a-long-password\n' run init --admin-password-stdin
expect_status 0
# Every type and every TLP, each field set.
run import "$DATA/every-type.csv"
expect_status 0
expect_out "14 added"

# ---- each format, to standard output and with -o ----
for fmt in text csv json stix misp; do
    run export --format "$fmt"
    expect_status 0
    expect_no_err
    printf '%s\n' "$OUT" >"$TEST_TMP/stdout.$fmt"
    run export --format "$fmt" -o "$TEST_TMP/file.$fmt"
    expect_status 0
    check '[[ -z $OUT ]]' "$fmt: nothing on stdout with -o"
    expect_err "exported 14 indicators to $TEST_TMP/file.$fmt ($fmt)"
    check 'cmp -s "$TEST_TMP/stdout.$fmt" "$TEST_TMP/file.$fmt"' "$fmt: -o writes what stdout gets"
    check '[[ -z $(ls "$TEST_TMP" | grep tmp-) ]]' "$fmt: no temporary file left"
done

# The file gets the mode it would get written in place: the umask's for a
# new file (TLP:RED exports stay private under umask 077), its own mode
# for a file replaced.
(umask 022 && run export -o "$TEST_TMP/mode-022.csv")
(umask 077 && run export -o "$TEST_TMP/mode-077.csv")
printf 'old\n' >"$TEST_TMP/mode-640.csv"
chmod 640 "$TEST_TMP/mode-640.csv"
(umask 022 && run export -o "$TEST_TMP/mode-640.csv")
check '[[ $(stat -c %a "$TEST_TMP/mode-022.csv") == 644 ]]' "a new file under umask 022 is 644"
check '[[ $(stat -c %a "$TEST_TMP/mode-077.csv") == 600 ]]' "a new file under umask 077 is 600"
check '[[ $(stat -c %a "$TEST_TMP/mode-640.csv") == 640 ]]' "a replaced file keeps its mode"
check '[[ $(head -c 5 "$TEST_TMP/mode-640.csv") == value ]]' "and gets the export"

# text: one value a line, nothing else.
run export --format text
check '[[ $(printf "%s\n" "$OUT" | wc -l) -eq 14 ]]' "text: 14 lines"
check '[[ $(printf "%s\n" "$OUT" | sort) == "$(sql "SELECT value FROM iocs" | sort)" ]]' "text: the stored values, one a line"
expect_out $'\nhttps://evil-c2.example/gate.php?id=1&x=y\n'
# csv: the header, then a row per indicator; quoting per RFC 4180.
run export --format csv
check '[[ $(head -n 1 <<<"$OUT") == "value,type,severity,confidence,tlp,source,tags,description,first_seen,last_seen,expires_at,created_at,created_by"$'"'"'\r'"'"' ]]' "csv: header, CRLF"
check '[[ $(grep -c $'"'"'\r$'"'"' <<<"$OUT") -eq 15 ]]' "csv: 15 CRLF lines"
expect_out $'203.0.113.0/24,cidr,medium,55,AMBER,feed-a,hosting,"Bulletproof ""hosting"" range",2026-11-03T00:00:00Z,2026-11-04T00:00:00Z,2027-02-03T00:00:00Z,2026-12-04T08:00:00Z,system\r'
expect_out '198.51.100.10,ipv4,high,80,CLEAR,feed-a,botnet;c2,"Team server, port 443"'
# json: one array of objects with the csv field names.
run export --format json
json_eq 'length' '14'
json_eq '[.[] | select(.value == "evil-c2.example")][0] | [.type, .severity, .confidence, .tlp, .source, .tags, .expires_at]' \
    '["domain","critical",95,"AMBER+STRICT","feed-c",["c2"],"2027-02-04T00:00:00Z"]'
# stix: an indicator per value (a vulnerability for the CVE) and the TLP
# 2.0 marking definitions used.
run export --format stix
json_eq '.type' '"bundle"'
json_eq '[.objects[] | .type] | group_by(.) | map([.[0], length])' '[["indicator",13],["marking-definition",5],["vulnerability",1]]'
json_eq '[.objects[] | select(.type == "marking-definition") | .name] | sort' '["TLP:AMBER","TLP:AMBER+STRICT","TLP:CLEAR","TLP:GREEN","TLP:RED"]'
json_eq '.objects[] | select(.name == "198.51.100.10") | [.pattern, .valid_until, .confidence, .labels]' \
    '["[ipv4-addr:value = '"'"'198.51.100.10'"'"']","2027-02-01T00:00:00.000Z",80,["botnet","c2"]]'
json_eq '.objects[] | select(.name == "198.51.100.10") | .object_marking_refs' '["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"]'
# misp: one event, an attribute per value.
run export --format misp
json_eq '.Event.Attribute | length' '14'
json_eq '.Event.Attribute[] | select(.value == "198.51.100.10") | [.type, .to_ids, .comment]' '["ip-dst",true,"Team server, port 443"]'
json_eq '[.Event.Attribute[] | select(.value == "198.51.100.10") | .Tag[].name | select(startswith("tlp:"))]' '["tlp:clear"]'

# ---- defanged text ----
run export --format text --defang
expect_status 0
expect_out 'hxxps://evil-c2[.]example/gate.php?id=1&x=y'
expect_out '198[.]51[.]100[.]10'
expect_out 'phisher[@]evil-c2[.]example'
expect_not_out 'https://'
check '[[ $(printf "%s\n" "$OUT" | wc -l) -eq 14 ]]' "defanged text: still one value a line"
expect_out $'\n44d88612fea8a8f36de82e1278abb02f\n'

# ---- filters, as ioc list ----
# filter ARGS... | expected count
filters=(
    "--type ipv6|1"
    "--type md5|1"
    "--tag malware|4"
    "--tag MALWARE|4"
    "--max-tlp green|6"
    "--max-tlp clear|3"
    "--tlp red|2"
    "--severity critical|2"
    "--source vt|5"
    "--search eicar|4"
    "--since 2026-12-01|14"
    "--since 2026-12-05|0"
    "--until 2026-12-01|0"
)
for spec in "${filters[@]}"; do
    IFS='|' read -r args want <<<"$spec"
    # shellcheck disable=SC2086
    run export --format json $args
    expect_status 0
    json_eq 'length' "$want"
    # shellcheck disable=SC2086
    run ioc list --all --json $args
    json_eq '.total' "$want"
done
run export --format json --max-tlp green
json_eq '[.[].tlp] | unique' '["CLEAR","GREEN"]'
run export --type bogus
expect_status 1
expect_err "invalid type 'bogus'"
expect_one_err_line

# ---- left out by default: not active, false positives, expired ----
run ioc archive evil-c2.example --reason "taken down"
expect_status 0
run ioc false-positive 198.51.100.10 --reason "our own scanner"
expect_status 0
# Past its expiry, though `iocm expire` has not run yet.
printf 'value,expires_at\nstale.example,2026-12-01T00:00:00Z\n' >"$TEST_TMP/stale.csv"
run import "$TEST_TMP/stale.csv"
expect_status 0
run export --format text
check '! grep -qx evil-c2.example <<<"$OUT"' "an archived indicator is left out"
check '! grep -qx 198.51.100.10 <<<"$OUT"' "a false positive is left out"
check '! grep -qx stale.example <<<"$OUT"' "an expired indicator is left out"
check '[[ $(printf "%s\n" "$OUT" | wc -l) -eq 12 ]]' "default: 12 active, not false positive, not expired"
run export --format text --include-false-positives
check '[[ $(printf "%s\n" "$OUT" | wc -l) -eq 12 ]]' "a false positive is archived: still out"
run export --format text --any-status
expect_out 'stale.example'
expect_not_out '198.51.100.10'
check '[[ $(printf "%s\n" "$OUT" | wc -l) -eq 14 ]]' "--any-status: archived and expired too, no false positive"
run export --format text --any-status --include-false-positives
check '[[ $(printf "%s\n" "$OUT" | wc -l) -eq 15 ]]' "--any-status --include-false-positives: everything"
run export --format text --status archived --include-false-positives
check '[[ $(printf "%s\n" "$OUT" | sort | tr "\n" " ") == "198.51.100.10 evil-c2.example " ]]' "--status archived"
run ioc restore evil-c2.example
run ioc restore 198.51.100.10
run ioc delete stale.example
expect_status 0

# ---- STIX bundles validate against the OASIS STIX 2.1 schemas ----
if command -v node >/dev/null && [[ -d $ROOT/tests/js/node_modules/ajv && -d $SCHEMAS ]]; then
    run export --format stix -o "$TEST_TMP/bundle.json"
    expect_status 0
    check 'node "$ROOT/tests/js/validate_stix.js" "$TEST_TMP/bundle.json" "$SCHEMAS" >"$TEST_TMP/validate.out" 2>&1' \
        "the STIX export is valid: $(cat "$TEST_TMP/validate.out" 2>/dev/null)"
    check 'grep -q "valid STIX 2.1 (19 objects)" "$TEST_TMP/validate.out"' "19 objects validated"
    # The validator does reject a broken bundle, so its pass means something.
    jq '.objects[0].confidence = 101' "$TEST_TMP/bundle.json" >"$TEST_TMP/broken.json"
    check '! node "$ROOT/tests/js/validate_stix.js" "$TEST_TMP/broken.json" "$SCHEMAS" >/dev/null 2>&1' "a broken bundle is rejected"
    # An empty bundle is valid too.
    run export --format stix --type ipv4 --tlp red -o "$TEST_TMP/empty.json"
    check 'node "$ROOT/tests/js/validate_stix.js" "$TEST_TMP/empty.json" "$SCHEMAS" >/dev/null 2>&1' "an empty bundle is valid"
elif [[ -n ${CI-} ]]; then
    checks=$((checks + 1))
    fail "the STIX validator is missing (node, tests/js/node_modules or $SCHEMAS); install-deps.sh installs it"
else
    echo "SKIP: STIX schema validation (node, ajv or the schemas missing)"
fi

# ---- exporting again gives the same bytes ----
for fmt in text csv json stix misp; do
    run export --format "$fmt" -o "$TEST_TMP/again.$fmt"
    run export --format "$fmt" -o "$TEST_TMP/again2.$fmt"
    check 'cmp -s "$TEST_TMP/again.$fmt" "$TEST_TMP/again2.$fmt"' "$fmt: a re-export is byte-identical"
done
# STIX ids and times come from the data, not the clock.
IOCM_NOW=2026-12-06T10:00:00Z run export --format stix -o "$TEST_TMP/later.stix"
check 'cmp -s "$TEST_TMP/again.stix" "$TEST_TMP/later.stix"' "stix: a later re-export is byte-identical"

# ---- -o is atomic: a failed export leaves the destination alone ----
seq -f '10.9.%g.1' 0 249 >"$TEST_TMP/many.txt"
for i in $(seq 0 11); do seq -f "10.$i.%g.2" 0 249; done >>"$TEST_TMP/many.txt"
run import "$TEST_TMP/many.txt"
expect_status 0
printf 'old contents\n' >"$TEST_TMP/out.json"
# A file size limit the bundle exceeds (about 1.5 MB) but the database
# (under 1 MB) does not: the write fails with EFBIG half way.
(
    trap '' XFSZ
    ulimit -f 1024
    run export --format stix -o "$TEST_TMP/out.json"
    printf '%s\n%s\n' "$STATUS" "$ERR" >"$TEST_TMP/limited"
)
check '[[ $(head -n 1 "$TEST_TMP/limited") -eq 1 ]]' "a failed write exits 1"
check 'grep -q "cannot write the stix export: File too large" "$TEST_TMP/limited"' "the failure is named"
check '[[ $(wc -l <"$TEST_TMP/limited") -eq 2 ]]' "in one line"
check '[[ $(cat "$TEST_TMP/out.json") == "old contents" ]]' "the destination is left as it was"
check '[[ -z $(ls "$TEST_TMP" | grep tmp-) ]]' "no temporary file is left"
run export --format stix -o "$TEST_TMP/out.json"
expect_status 0
check 'jq -e ".objects | length > 3000" "$TEST_TMP/out.json" >/dev/null' "without the limit the export replaces the file"
run export -o "$TEST_TMP/no/such/dir/out.csv"
expect_status 1
expect_err "cannot write '$TEST_TMP/no/such/dir/out.csv'"
expect_one_err_line
check '[[ ! -e $TEST_TMP/no ]]' "nothing created"

# ---- usage ----
run export --format auto
expect_status 2
expect_err "choose a --format"
run export --format yaml
expect_status 1
expect_err "invalid format 'yaml'"
run export extra-argument
expect_status 2
expect_err "unexpected argument 'extra-argument'"
run export --bogus
expect_status 2

finish
