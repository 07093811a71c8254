#!/bin/bash
# End-to-end: the visual check of the change analysis (lib/pdf/verify_visual.c).
# - a legitimate second signature with a visible stamp (sertel sign twice,
#   --visible): the pages are compared (with --visual-all also rendered) and
#   none differs: the stamp's widget rectangle is masked;
# - form filling under a certification (DocMDP P=2) with a new appearance
#   stream (pdf_changes.py): compared, rendered with --visual-all, no difference;
# - a document signed once: nothing compared, nothing rendered;
# - --no-visual: not compared, the note says so.
# The comparator itself on a change outside every accepted rectangle is in
# tests/unit/pdf/test_visual.c (the rules refuse every such change this suite
# could make, so the backstop is exercised there directly).
. "$(dirname "$0")/lib.sh"
D=$SERTEL_TEST_DATA
for tool in python3 jq openssl; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
[ -f "$(dirname "$SERTEL")/sertel-render.so" ] || { echo "SKIP: sertel-render.so not built (libmupdf-dev)"; exit 77; }

H=$T/home
new_home "$H"
make_signers "$H" budi:ec-p256 siti:ec-p256
sign() { # sign SIGNER IN OUT [extra options]
    local who=$1 in=$2 out=$3
    shift 3
    "$SERTEL" --home "$H" sign --p12 "$T/$who.p12" --p12-password-file "$T/p12pw" "$@" "$in" "$out"
}
# Offline, the home's database answers for the certificates it issued: the
# signatures are TOTAL_PASSED, and the visual check leaves them so (no
# SIG_CONSTRAINTS_FAILURE).
V() { "$SERTEL" --home "$H" verify --json --offline "$@" >"$T/out" 2>"$T/err"; }
show() { jq -c '[.signatures[] | {conclusion, sub_indication, modification_level, visual, reasons}]' "$T/out" 2>&1 | head -c 1500; head -c 300 "$T/err"; }

cp "$D/letter.pdf" "$T/plain.pdf"
sign budi "$T/plain.pdf" "$T/one.pdf" --visible --rect 50,50,200,60 >/dev/null || fail "sign once"
sign siti "$T/one.pdf" "$T/two.pdf" --visible --rect 300,50,200,60 >/dev/null || fail "sign twice"

# (4) signed once: nothing after the signature, nothing compared or rendered
V "$T/one.pdf"
[ "$(jq -r '.signatures[0] | .conclusion == "TOTAL_PASSED" and .visual.checked == false and
        .visual.pages_rendered == 0 and .visual.pages_compared == 0' "$T/out")" = true ] &&
    pass "signed once: visual.checked false, nothing rendered" || fail "signed once: $(show)"

# (2) a second visible signature: compared, no page differs
for mode in "" --visual-all; do
    V $mode "$T/two.pdf"
    [ "$(jq -r --arg m "$mode" '.signatures[0] | .conclusion == "TOTAL_PASSED" and .visual.checked == true and
            .visual.pages_compared >= 1 and .visual.pages_differing == [] and
            ($m == "" or .visual.pages_rendered >= 1) and .visual.dpi == 50' "$T/out")" = true ] &&
        pass "second visible signature ${mode:-(default)}: compared, no difference" || fail "second visible signature $mode: $(show)"
done
[ "$(jq -r '.signatures[1].visual.checked' "$T/out")" = false ] && pass "the last signature: nothing to compare" ||
    fail "last signature: $(show)"
"$SERTEL" --home "$H" verify --offline --lang en --visual-all "$T/two.pdf" >"$T/txt" 2>&1
expect_grep "Visual check: 1 of 1 pages compared with the signed revision \(2 rendered at 50 dpi\): no difference" "$T/txt" "English report: the visual check"
"$SERTEL" --home "$H" verify --offline --visual-all "$T/two.pdf" >"$T/txt" 2>&1
expect_grep "Pemeriksaan tampilan: 1 dari 1 halaman dibandingkan" "$T/txt" "Indonesian report: the visual check"

# --no-visual: not compared, said so
V --no-visual "$T/two.pdf"
[ "$(jq -r '.signatures[0] | .conclusion == "TOTAL_PASSED" and .visual.checked == false and
        (.reasons | map(test("visual check is turned off")) | any)' "$T/out")" = true ] &&
    pass "--no-visual: not compared, noted" || fail "--no-visual: $(show)"

# (3) form filling under DocMDP P=2 with a new appearance stream
cd "$T" || exit 1
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out s.key 2>/dev/null
openssl req -x509 -key s.key -subj "/CN=Penanda Uji" -days 30 -addext "keyUsage=critical,digitalSignature" -out s.crt 2>/dev/null
C="python3 $D/pdf/pdf_changes.py"
$C base base.pdf && $C sign base.pdf cert2.pdf --cert s.crt --key s.key --certify 2 &&
    $C fill cert2.pdf cert2-fill.pdf && $C fill-inplace cert2.pdf cert2-fillin.pdf || fail "P=2 files"
for f in cert2-fill cert2-fillin; do
    for mode in "" --visual-all; do
        "$SERTEL" --home "$T/none" verify --json --offline --trust s.crt $mode "$f.pdf" >"$T/out" 2>"$T/err"
        [ "$(jq -r --arg m "$mode" '.signatures[0] | .conclusion == "TOTAL_PASSED" and .modification_level == "form_filling" and
                .visual.checked == true and .visual.pages_differing == [] and ($m == "" or .visual.pages_rendered == 2)' "$T/out")" = true ] &&
            pass "$f (P=2 form filling) ${mode:-(default)}: compared, no difference" || fail "$f $mode: $(show)"
    done
done

# Probes that a visual change slips past the rules, with pdf_visual.py:
# a form XObject without resources that paints a name the page gains later
# (the rules refuse it: the signed content already names it) ...
V2() { "$SERTEL" --home "$T/none" verify --json --offline --trust s.crt "$@" >"$T/out" 2>"$T/err"; }
P="python3 $D/pdf/pdf_visual.py"
$P latent-form base.pdf lf.pdf && $C sign lf.pdf lfs.pdf --cert s.crt --key s.key && $P stamp lfs.pdf stamp.pdf || fail "stamp files"
V2 stamp.pdf
[ "$(jq -r '.signatures[0] | .conclusion == "TOTAL_FAILED" and .modification_level == "other" and .visual.checked == false' "$T/out")" = true ] &&
    pass "a form painting a resource added later: refused by the rules, not compared" || fail "stamp: $(show)"
# ... and /NeedAppearances set over a field whose value its appearance does not show
# (accepted, compared; MuPDF draws the stored appearance, so no page differs: a known limit)
$P latent base.pdf lt.pdf && $C sign lt.pdf lts.pdf --cert s.crt --key s.key && $P need-appearances lts.pdf na.pdf || fail "latent files"
V2 --visual-all na.pdf
[ "$(jq -r '.signatures[0] | .modification_level == "form_filling" and .visual.checked == true and .visual.pages_rendered == 2' "$T/out")" = true ] &&
    pass "/NeedAppearances set after signing: accepted, pages rendered and compared" || fail "need-appearances: $(show)"
finish
