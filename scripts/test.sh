#!/bin/sh
# test.sh - install what is missing, check the style, build, and run the
# whole test suite: once in a normal -Werror build (with failure injection
# compiled in), then the failure-injection pass over the unit tests, then
# once more under AddressSanitizer + UndefinedBehaviorSanitizer. This is
# what CI runs (.ci/run); each pass prints how long it took.
#
# Usage: scripts/test.sh            (from anywhere; builds under build/ and build-asan/)
# Environment: SERTEL_SKIP_ASAN=1 skips the sanitizer pass (local use only).
set -eu
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
t0=$(date +%s)
pass() { echo "== $1 took $(($(date +%s) - t0)) s"; t0=$(date +%s); }

echo "== style (banned functions, clang-format)"
scripts/check-style.sh
echo "== build (warnings are errors, failure injection compiled in)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSERTEL_WERROR=ON \
    -DSERTEL_FAULT_INJECTION=ON >/dev/null
cmake --build build -j"$jobs"
pass "style and build"
echo "== tests"
(cd build && ctest --output-on-failure -j"$jobs")
pass "tests"
if [ "${SERTEL_SKIP_ASAN:-0}" != 1 ]; then
    echo "== build with ASan + UBSan"
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSERTEL_WERROR=ON -DSERTEL_SANITIZE=ON \
        -DSERTEL_FAULT_INJECTION=ON >/dev/null
    cmake --build build-asan -j"$jobs"
    echo "== tests under ASan + UBSan"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
    (cd build-asan && ctest --output-on-failure -j"$jobs")
    pass "sanitizer build and tests"
    echo "== failure injection over the unit tests (under the sanitizers)"
    scripts/torture.sh build-asan "${SERTEL_TORTURE_SECONDS:-10}"
    pass "failure injection"
else
    echo "== failure injection over the unit tests"
    scripts/torture.sh build "${SERTEL_TORTURE_SECONDS:-10}"
    pass "failure injection"
fi
