#!/usr/bin/env bash
# iocm export streams: exporting 200,000 indicators takes the same peak
# memory (within 20%) as exporting 20,000, in every format.
. "$(dirname "$0")/lib.sh"

# AddressSanitizer's allocator holds freed memory back (its quarantine) and
# grows for its own reasons: the peak RSS of such a build says nothing
# about ours.
if grep -qa __asan_init "$IOCM"; then
    echo "SKIP: $IOCM is built with AddressSanitizer"
    exit 77
fi
# Valgrind (scripts/valgrind-cli.sh) does the same with its own freed-block
# queue and shadow memory.
if [[ -n ${IOCM_UNDER_VALGRIND-} ]]; then
    echo "SKIP: $IOCM runs under valgrind"
    exit 77
fi

reset_db() {
    rm -f "$TEST_TMP"/iocm.db*
    RUN_STDIN=$'a-long-password\n' run init --admin-password-stdin
    expect_status 0
}

# values N: N distinct indicators, one a line, half addresses, half names.
values() {
    awk -v n="$1" 'BEGIN {
        for (i = 0; i < n; i++)
            if (i % 2) printf "10.%d.%d.%d\n", int(i / 65536), int(i / 256) % 256, i % 256
            else printf "h%d.example\n", i
    }'
}

# peak_kb ARGS...: runs iocm ARGS, output discarded, and prints its peak
# resident set size in KiB (GNU time when installed, else getrusage).
peak_kb() {
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -f %M -o "$TEST_TMP/rss" "$IOCM" "$@" >/dev/null 2>&1 || echo "failed: $*" >&2
        tail -n 1 "$TEST_TMP/rss"
    else
        python3 -c '
import resource, subprocess, sys
if subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,
                  stderr=subprocess.DEVNULL).returncode:
    print("failed: " + " ".join(sys.argv[2:]), file=sys.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$IOCM" "$@"
    fi
}

formats=(text csv json stix misp)
declare -A small big
for n in 20000 200000; do
    reset_db
    values "$n" >"$TEST_TMP/values.txt"
    run import "$TEST_TMP/values.txt"
    expect_status 0
    expect_out "$n added"
    for fmt in "${formats[@]}"; do
        kb=$(peak_kb export --format "$fmt" -o "$TEST_TMP/export.$fmt")
        if ((n == 20000)); then small[$fmt]=$kb; else big[$fmt]=$kb; fi
    done
    # The exports are whole.
    check '[[ $(wc -l <"$TEST_TMP/export.text") -eq $n ]]' "text: $n lines"
    check '[[ $(wc -l <"$TEST_TMP/export.csv") -eq $((n + 1)) ]]' "csv: $n rows and the header"
    check '[[ $(jq length "$TEST_TMP/export.json") -eq $n ]]' "json: $n objects"
    check '[[ $(jq "[.objects[] | select(.type == \"indicator\")] | length" "$TEST_TMP/export.stix") -eq $n ]]' "stix: $n indicators"
    check '[[ $(jq ".Event.Attribute | length" "$TEST_TMP/export.misp") -eq $n ]]' "misp: $n attributes"
done

for fmt in "${formats[@]}"; do
    echo "$fmt: peak RSS ${small[$fmt]} KiB for 20k, ${big[$fmt]} KiB for 200k"
    check '(( big[$fmt] * 100 <= small[$fmt] * 120 ))' \
        "$fmt: 200k take ${big[$fmt]} KiB, more than 120% of the ${small[$fmt]} KiB of 20k"
done

finish
