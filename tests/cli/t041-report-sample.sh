#!/usr/bin/env bash
# The sample dataset behind docs/reports.md and its screenshots still
# builds through the command line, and its reports say what the page
# shows: a withheld TLP:RED indicator, a reviewer with no indicators of
# his own in the user activity, and defanged values only.
source "$(dirname "$0")/lib.sh"
: "${IOCM_SOURCE_ROOT:?IOCM_SOURCE_ROOT must name the source tree}"

out=$TEST_TMP/sample
bash "$IOCM_SOURCE_ROOT/tests/data/report/sample.sh" "$IOCM" "$out" \
    >"$TEST_TMP/sample.log" 2>&1
STATUS=$?
OUT=$(cat "$TEST_TMP/sample.log")
expect_status 0

for f in daily.html weekly.html daily.txt weekly.txt; do
    check "[[ -s $out/$f ]]" "sample.sh should write $f"
done
OUT=$(cat "$out/daily.txt")
expect_out "New IOCs            11  in the last 24 hours"
expect_out "1 indicator above TLP:AMBER withheld"
expect_out "hxxp://files-cdn[.]example/load/stage2"
expect_not_out "192.0.2.66"
OUT=$(cat "$out/weekly.txt")
expect_out "dave         3             0  ioc.update 3"
OUT=$(cat "$out/daily.html" "$out/weekly.html")
expect_not_out "<script"
expect_not_out "<style"
expect_not_out "TLP:RED"

finish
