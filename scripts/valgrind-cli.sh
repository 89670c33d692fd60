#!/usr/bin/env bash
# Runs every CLI test with the iocm binary under valgrind (memcheck):
# any memory error or definite leak makes iocm exit 99, which fails the
# test's status checks. Slow (minutes), so it is not part of make test.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
wrapper=$(mktemp)
trap 'rm -f "$wrapper"' EXIT
cat >"$wrapper" <<WRAP
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect "$PWD/$build/iocm" "\$@"
WRAP
chmod +x "$wrapper"
status=0
for t in tests/cli/t*.sh; do
    printf '%s: ' "$(basename "$t" .sh)"
    IOCM=$wrapper IOCM_UNDER_VALGRIND=1 IOCM_TESTDATA=$PWD/../shared/testdata \
        IOCM_SOURCE_ROOT=$PWD bash "$t" >"$wrapper.log" 2>&1
    rc=$?
    if ((rc == 0 || rc == 77)); then
        tail -n 1 "$wrapper.log" # its count, or why it skipped
    else
        status=1
        echo "FAILED"
        grep -E '^FAIL|==[0-9]+==' "$wrapper.log" | head -20
    fi
done
rm -f "$wrapper.log"
exit $status
