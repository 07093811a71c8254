#!/bin/bash
# End-to-end: scripts/demo.sh, the README's first command, run in a fresh
# copy of the checkout (the tracked files of this tree, committed into a new
# repository) with the built binary: it finishes, issues and checks a
# certificate, signs a letter for the registered owner with a visible
# stamp that sertel verify and pdfsig accept, logs in over the API and
# asks OCSP through a server it starts and stops - and afterwards
# `git status --porcelain` in the copy is empty and no server is left;
# `cmake --install` (the README's line) gives working binaries.
. "$(dirname "$0")/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
if ! git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
    pass "not a git checkout: the demo's cleanliness is not checked here"
    finish
    exit
fi
C=$T/checkout
mkdir -p "$C" "$T/tmp"
git -C "$SRC" ls-files -z | (cd "$SRC" && tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$C"
(cd "$C" && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm copy) ||
    { fail "could not make the copy"; finish; exit 1; }
[ -z "$(git -C "$C" status --porcelain)" ] && pass "a clean copy of the checkout" || fail "the copy is not clean"

# The demo with the binary under test (no install, no build); its files under $TMPDIR.
(cd "$C" && TMPDIR=$T/tmp SERTEL=$SERTEL sh scripts/demo.sh) >"$T/demo.out" 2>"$T/demo.err"
rc=$?
[ $rc = 0 ] && pass "scripts/demo.sh finishes (exit 0)" || fail "demo.sh: exit $rc: $(tail -5 "$T/demo.err") $(tail -5 "$T/demo.out")"
expect_grep "siti.pem: OK" "$T/demo.out" "the issued certificate verifies (openssl verify)"
expect_grep "^registered Budi Santoso \(account 3\)" "$T/demo.out" "registration said so"
expect_grep "^application 1 approved" "$T/demo.out" "the approval said so"
expect_grep "^signed .*surat-ditandatangani.pdf \(PAdES B-LT\), document id [0-9a-f]{32}$" "$T/demo.out" \
    "the owner signed the letter"
expect_grep "^Tanda tangan 1: VALID \(TOTAL_PASSED\)" "$T/demo.out" "sertel verify: valid"
expect_grep "Signature is Valid" "$T/demo.out" "pdfsig: valid"
expect_grep "Certificate is Trusted" "$T/demo.out" "pdfsig: trusted"
expect_grep '"email": "budi.santoso@contoh.go.id"' "$T/demo.out" "logged in over the API"
expect_grep "budi.pem: good" "$T/demo.out" "OCSP over HTTP says good"
expect_grep "log out \(with the CSRF token\): HTTP 204" "$T/demo.out" "logged out"
expect_grep "^audit log intact" "$T/demo.out" "the audit log is intact"
PDF=$(ls "$T"/tmp/sertel-demo-*/files/surat-ditandatangani.pdf 2>/dev/null | head -1)
if [ -n "$PDF" ] && command -v pdftoppm >/dev/null; then
    # The stamp is drawn: the signed page, rendered, differs from the letter's in the stamp's place.
    pdftoppm -r 36 -f 1 -l 1 -gray "$PDF" "$T/signed" && pdftoppm -r 36 -f 1 -l 1 -gray "$C/tests/data/letter.pdf" "$T/orig" &&
        python3 - "$T"/signed*.pgm "$T"/orig*.pgm <<'PY' && pass "the stamp is visible on the page (pdftoppm)" || fail "no stamp on the page"
import sys
def pgm(path):
    d = open(path, "rb").read()
    magic, dims, maxv, px = d.split(b"\n", 3)
    w, h = map(int, dims.split())
    return w, h, px
w, h, a = pgm(sys.argv[1])
w2, h2, b = pgm(sys.argv[2])
# The stamp: x 330..570, y 60..150 points from the lower left (--rect 330,60,240,90), at 36 dpi = 0.5 px/pt.
box = [(x, y) for y in range(h - 75, h - 30) for x in range(165, 285)]
changed = sum(1 for x, y in box if abs(a[y * w + x] - b[y * w + x]) > 64)
sys.exit(0 if (w, h) == (w2, h2) and changed > 100 else 1)
PY
else
    fail "the signed letter is not where the demo said"
fi

# Nothing left behind: no untracked file in the checkout, no server running.
git -C "$C" status --porcelain --untracked-files=all >"$T/status"
[ ! -s "$T/status" ] && pass "git status --porcelain is empty after the demo" || fail "left behind: $(cat "$T/status")"
[ -z "$(ls -A "$C" | grep -v '^\.git$' | grep -Ev "^($(git -C "$C" ls-files | cut -d/ -f1 | sort -u | paste -sd'|'))$")" ] &&
    pass "no new file or directory in the checkout (ignored ones included)" || fail "new entries in the checkout: $(ls -A "$C")"
pgrep -f "$T/tmp/sertel-demo" >/dev/null && fail "a demo server is still running" || pass "the demo's server was stopped"

# The README's install line puts a working binary and its sandbox helper under the prefix.
if [ -n "${SERTEL_BUILD:-}" ] && cmake --install "$SERTEL_BUILD" --prefix "$T/prefix" >"$T/install.out" 2>&1; then
    [ -x "$T/prefix/bin/sertel" ] && [ -x "$T/prefix/bin/sertel-worker" ] &&
        "$T/prefix/bin/sertel" --version >/dev/null && pass "cmake --install: bin/sertel and bin/sertel-worker, working" ||
        fail "installed: $(ls -R "$T/prefix")"
else
    fail "cmake --install failed: $(tail -3 "$T/install.out" 2>/dev/null)"
fi
finish
