#!/bin/bash
# End-to-end: `sertel verify` agrees with pyHanko's own verdicts on the
# signed PDFs of pyHanko's test suite (../shared/peer-pdfs beside the
# checkout, with ../shared/tools/peer-pdfs.sh; CI has them): every file
# pyHanko holds valid is neither TOTAL_FAILED nor FORMAT_FAILURE and reports
# a modification level within none .. annotations, every attack is not
# TOTAL_PASSED. Without ../shared the test says so and passes.
. "$(dirname "$0")/lib.sh"
SHARED=$(cd "$SERTEL_TEST_DATA/../../.." 2>/dev/null && pwd)/shared
if [ ! -x "$SHARED/tools/peer-pdfs.sh" ] || [ ! -d "$SHARED/peer-pdfs" ]; then
    echo "skipped: ../shared not present ($SHARED): the peer suites are not here"
    exit 0
fi
command -v jq >/dev/null || { echo "SKIP: jq missing"; exit 77; }
echo "# peer suite: $SHARED/peer-pdfs"
if "$SHARED/tools/peer-pdfs.sh" "$SERTEL" >"$T/peer.out" 2>&1; then
    pass "peer-pdfs.sh: $(tail -1 "$T/peer.out")"
else
    cat "$T/peer.out"
    fail "peer-pdfs.sh: $(tail -1 "$T/peer.out")"
fi
grep -q "^[0-9]* passed, 0 failed$" "$T/peer.out" && pass "peer-pdfs.sh reports 0 failed" ||
    fail "peer-pdfs.sh does not report 0 failed"
finish
