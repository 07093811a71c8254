#!/bin/sh
# test.sh - install what is missing, build, and run the whole test suite:
# once in a normal -Werror build, once under AddressSanitizer +
# UndefinedBehaviorSanitizer. This is what CI runs (.ci/run).
#
# Usage: scripts/test.sh            (from anywhere; builds under build/ and build-asan/)
# Environment: SERTEL_SKIP_ASAN=1 skips the sanitizer pass (local use only).
set -eu
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)

echo "== build (warnings are errors)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSERTEL_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
(cd build && ctest --output-on-failure -j"$jobs")

if [ "${SERTEL_SKIP_ASAN:-0}" != 1 ]; then
    echo "== build with ASan + UBSan"
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSERTEL_WERROR=ON -DSERTEL_SANITIZE=ON >/dev/null
    cmake --build build-asan -j"$jobs"
    echo "== tests under ASan + UBSan"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
    (cd build-asan && ctest --output-on-failure -j"$jobs")
fi
