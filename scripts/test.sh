#!/usr/bin/env bash
# Runs the whole test suite: every Meson test (unit, CLI, integration) in
# the normal build, the unit and CLI suites again under ASan+UBSan, and the
# formatting check. Ends with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."

failed_steps=()
passed=0
failed=0

count_results() {
    # meson writes one JSON object per test to testlog.json.
    local log=$1/meson-logs/testlog.json
    [[ -f $log ]] || return 0
    local ok bad
    ok=$(grep -c '"result": "OK"' "$log" || true)
    bad=$(grep -Ec '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
    passed=$((passed + ok))
    failed=$((failed + bad))
}

step() {
    local name=$1
    shift
    echo "==> $name"
    if ! "$@"; then
        failed_steps+=("$name")
    fi
}

setup() {
    local dir=$1
    shift
    if [[ -f $dir/build.ninja ]]; then
        meson setup --reconfigure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}

step "build" bash -c 'if [[ -f build/build.ninja ]]; then true; else meson setup build >/dev/null; fi && ninja -C build'
step "tests" meson test -C build --print-errorlogs --num-processes 2
count_results build

step "sanitizer build" bash -c "$(declare -f setup); setup build-asan -Db_sanitize=address,undefined -Db_lundef=false --werror && ninja -C build-asan"
if [[ -f build-asan/build.ninja ]]; then
    step "sanitizer tests" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C build-asan --print-errorlogs --num-processes 2 \
        --suite unit --suite cli
    count_results build-asan
fi

# The tree must also build clean with clang (warnings are errors).
step "clang build" bash -c "$(declare -f setup); CC=clang setup build-clang && ninja -C build-clang"

step "format check" bash -c 'git ls-files "*.c" "*.h" | xargs clang-format --dry-run --Werror'

echo
if ((${#failed_steps[@]})); then
    echo "failed steps: ${failed_steps[*]}"
fi
echo "tests: $passed passed, $failed failed"
((${#failed_steps[@]} == 0 && failed == 0))
