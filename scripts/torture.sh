#!/bin/bash
# torture.sh - failure injection over the unit tests (lib/util/fault.h), in
# the spirit of curl's torture tests and SQLite's fault simulation: each
# unit-test executable is run again and again with the Nth allocation,
# store call or key-store call failing, and must never crash (a signal, an
# abort, a sanitizer report); failing tests are expected - an error answer
# is the right one - a dead process is not. N steps through 1..10 and then
# spreads over every call the run makes, within a time budget per test.
#
# Usage: scripts/torture.sh BUILD_DIR [SECONDS_PER_TEST]
#   BUILD_DIR is a build with -DSERTEL_FAULT_INJECTION=ON (scripts/test.sh's).
set -u
build=${1:?usage: torture.sh BUILD_DIR [SECONDS_PER_TEST]}
budget=${2:-20}
cd "$(dirname "$0")/.."
export SERTEL_TEST_DATA=$PWD/tests/data
# Under the sanitizers: memory errors on the error paths, not leaks (a test
# that fails on purpose leaves its own fixtures behind).
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sertel-torture-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
crashes=0 runs=0 fired=0

# The driver must see a crash when there is one: a process killed by a signal.
sh -c 'kill -SEGV $$' >/dev/null 2>&1
rc=$?
[ "$rc" -gt 128 ] && [ "$rc" -lt 192 ] || { echo "torture: the crash check does not work here" >&2; exit 2; }

# Unit tests to torture: all but the ones that sweep faults themselves
# (ra_test_auth) or fork children to kill them (ra_test_lifecycle).
tests=$(cd "$build" && ls | grep -E '^[a-z]+_test_[a-z_]+$' | grep -v -E '^(ra_test_auth|ra_test_lifecycle)$')

for t in $tests; do
    SERTEL_FAULT_REPORT=$tmp/rep timeout 120 "$build/$t" >/dev/null 2>&1
    for site in alloc store keystore; do
        seen=$(awk -v s=$site '$1 == s { print $3 }' "$tmp/rep" 2>/dev/null)
        [ -n "$seen" ] && [ "$seen" -gt 0 ] || continue
        start=$(date +%s) n=0 tried=0
        while :; do
            # 1..10, then a spread over the run's calls (about 30 points).
            if [ "$n" -lt 10 ]; then n=$((n + 1)); else n=$((n + seen / 30 + 1)); fi
            [ "$n" -le "$seen" ] || break
            [ $(($(date +%s) - start)) -lt "$budget" ] || break
            rm -f "$tmp/rep2"
            SERTEL_FAULT=$site:$n SERTEL_FAULT_REPORT=$tmp/rep2 timeout 120 "$build/$t" >"$tmp/out" 2>&1
            rc=$?
            runs=$((runs + 1)) tried=$((tried + 1))
            awk -v s=$site '$1 == s && $4 == 1 { f = 1 } END { exit !f }' "$tmp/rep2" 2>/dev/null &&
                fired=$((fired + 1))
            # 124: timeout's verdict (a hang); 129..191: killed by a signal (128 + its number).
            if [ "$rc" = 124 ] || { [ "$rc" -gt 128 ] && [ "$rc" -lt 192 ]; } ||
                grep -qE 'AddressSanitizer|runtime error' "$tmp/out"; then
                crashes=$((crashes + 1))
                echo "CRASH: $t with the $site call $n failing (exit $rc):"
                tail -n 15 "$tmp/out" | sed 's/^/    /'
            fi
        done
        echo "torture: $t: $site: $tried runs ($seen calls)"
    done
done
echo "torture: $runs runs ($fired with the fault injected), $crashes crashes"
# A pass in which no fault fired tested nothing: the build lacks SERTEL_FAULT_INJECTION.
[ "$fired" -gt 0 ] || { echo "torture: no fault fired: build with -DSERTEL_FAULT_INJECTION=ON" >&2; exit 2; }
[ "$crashes" = 0 ]
