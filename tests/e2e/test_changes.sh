#!/bin/bash
# End-to-end: the change analysis (lib/pdf/verify_diff.c) on one generated
# file per class of change after a signature, each with the verdict and the
# modification level asserted. The files are written at test time by
# tests/data/pdf/pdf_changes.py (and pdf_attack.py, pdf_form.py, pdf_cms.py:
# hand-written incremental updates, CMS values by openssl), independent of
# sertel's writer; qpdf checks that the accepted ones are well-formed PDFs
# (the page trees left odd on purpose: that qpdf names the oddity).
#
# Accepted (the first signature stays valid): a second signature as
# Acrobat/Reader writes it (metadata rewritten, /DR /DA /NeedAppearances,
# widget through /Kids, catalog and page rewritten as new objects, page
# resources extended), an empty signature field signed with its appearance
# replaced in place, /Extensions and /Version, DSS with indirect arrays and
# those arrays appended to in place, a document time-stamp, objects rewritten
# byte for byte or with equal values written differently, form filling under
# DocMDP P=2 and P=3 (also with the appearance stream rewritten in place,
# and with the certification's DocMDP entries all indirect), a comment
# annotation under P=3 and without certification, a comment on a page
# written directly inside /Kids, a comment in a page tree that already had a
# cycle when signed, a DSS of the signed revision replaced by a new DSS
# object, the old object redefined but used by nothing.
# Refused (the first signature fails, level other or beyond the DocMDP
# permissions): shadow hide, replace, hide-and-replace, a dangling reference
# defined later, a resource name the signed content already used; sneaky
# form updates (an appearance stream the page also draws, an appearance
# dictionary the trailer also names); a new text field; a new unsigned
# visible signature field; Sneaky Signature and Evil Annotation in certified
# documents; Incremental Saving (content, annotation, page); form filling and
# signing under P=1, comments under P=2; the content of a page written
# inside /Kids changed; a cycle made after signing (hiding page 2), the node
# that was a cycle when signed changed to show page 1 again; a DSS replaced
# while the old DSS object is still used (the /OpenAction, the trailer);
# Universal Signature Forgery, Signature Wrapping and coverage anomalies (no
# level: no signed revision).
. "$(dirname "$0")/lib.sh"
D=$SERTEL_TEST_DATA/pdf
C="python3 $D/pdf_changes.py"
ATK="python3 $D/pdf_attack.py"
FORM="python3 $D/pdf_form.py"
for tool in python3 jq openssl; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
cd "$T" || exit 1
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out s.key 2>/dev/null
openssl req -x509 -key s.key -subj "/CN=Penanda Uji" -days 30 -addext "keyUsage=critical,digitalSignature" -out s.crt 2>/dev/null
K=(--cert s.crt --key s.key)

V() { "$SERTEL" --home "$T/none" verify --json --offline --trust s.crt "$@" "$F" >"$T/out" 2>"$T/err"; }
show() { jq -c '[.signatures[] | {conclusion, modification_level, changes, harmless_changes}]' "$T/out" 2>&1 | head -c 1200; head -c 300 "$T/err"; }
# accepted FILE LEVEL REGEX DESCRIPTION [QPDF_REGEX]: the first signature
# valid, every change permitted; qpdf --check passes, or, for a file damaged
# on purpose, names the damage (QPDF_REGEX)
accepted() {
    F=$1
    V
    if [ "$(jq -r --arg l "$2" --arg r "$3" '.signatures[0] | .conclusion == "TOTAL_PASSED" and
            .modification_level == $l and .changes == [] and .modified_after_signing == false and
            (.harmless_changes | map(test($r)) | any) and ([.modifications[] | select(.permitted | not)] | length) == 0' \
            "$T/out" 2>/dev/null)" = true ]; then
        pass "$4: valid, level $2"
    else
        fail "$4: $(show)"
    fi
    if ! command -v qpdf >/dev/null; then
        :
    elif [ -n "${5:-}" ]; then
        qpdf --check "$F" >"$T/qpdf" 2>&1
        grep -Eq "$5" "$T/qpdf" && pass "$4: qpdf --check names it: $5" || fail "$4: qpdf --check: $(head -c 400 "$T/qpdf")"
    else
        qpdf --check "$F" >"$T/qpdf" 2>&1 && pass "$4: qpdf --check" || fail "$4: qpdf --check: $(head -c 400 "$T/qpdf")"
    fi
}
# refused FILE LEVEL REGEX DESCRIPTION: the first signature fails with the change named
refused() {
    F=$1
    V
    if [ "$(jq -r --arg l "$2" --arg r "$3" '.signatures[0] | .conclusion == "TOTAL_FAILED" and
            .modification_level == $l and .modified_after_signing == true and .integrity == "modified" and
            (.changes | map(test($r)) | any)' "$T/out" 2>/dev/null)" = true ]; then
        pass "$4: not valid, level $2"
    else
        fail "$4: $(show)"
    fi
}

$C base base.pdf && $C sign base.pdf signed.pdf "${K[@]}" || { fail "base files"; finish; exit 1; }
F=signed.pdf V
[ "$(jq -r '.conclusion == "TOTAL_PASSED" and .signatures[0].modification_level == "none"' "$T/out")" = true ] &&
    pass "the signed base document: valid, level none" || fail "base: $(show)"

# --- accepted classes ---
$C acrobat signed.pdf acrobat.pdf "${K[@]}"
accepted acrobat.pdf form_filling "page 1: visible signature widget .* at \\[300 200 500 260\\]" "second signature as Acrobat writes it"
for r in "catalog rewritten as object" "document metadata \\(XMP\\) updated" "default resources \\(/DR\\)" \
    "/NeedAppearances" "resources extended for a new appearance \\(/FA9\\)" "page 1 rewritten as object"; do
    jq -e --arg r "$r" '.signatures[0].harmless_changes | map(test($r)) | any' "$T/out" >/dev/null &&
        pass "Acrobat-style signature: '$r' named" || fail "Acrobat-style signature: '$r' not in $(show)"
done
jq -e '.signatures[1].conclusion == "TOTAL_PASSED" and .signatures[1].modification_level == "none"' "$T/out" >/dev/null &&
    pass "Acrobat-style signature: the second signature valid, level none" || fail "second: $(show)"
$C sign-empty signed.pdf sign-empty.pdf "${K[@]}"
accepted sign-empty.pdf form_filling "signature added \\(field Kosong" "empty signature field signed, its appearance stream replaced in place"
# Two signatures digested from one kept digest of the bytes they share:
# Kosong (the later revision) comes first in /Fields, so the longer prefix is
# digested first and the shorter one replaces it. A byte changed in the first
# revision fails both; one changed in the second revision fails only the
# second signature.
F=sign-empty.pdf V
jq -e '[.signatures[] | .integrity] == ["valid", "valid"]' "$T/out" >/dev/null &&
    pass "two signatures over a shared prefix: both digests match" || fail "shared prefix: $(show)"
python3 - sign-empty.pdf <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
first = d.index(b'(Surat keputusan)')
second = d.rindex(b'(Ditandatangani)')
open('flip1.pdf', 'wb').write(d[:first + 1] + b'Z' + d[first + 2:])
open('flip2.pdf', 'wb').write(d[:second + 1] + b'Z' + d[second + 2:])
PY
F=flip1.pdf V
jq -e '[.signatures[] | .sub_indication] == ["HASH_FAILURE", "HASH_FAILURE"]' "$T/out" >/dev/null &&
    pass "a byte changed in the first revision: both signatures HASH_FAILURE" || fail "flip1: $(show)"
F=flip2.pdf V
jq -e '.signatures[0].integrity != "hash_mismatch" and .signatures[1].sub_indication == "HASH_FAILURE"' "$T/out" >/dev/null &&
    pass "a byte changed in the second revision: only the second signature HASH_FAILURE" || fail "flip2: $(show)"
$C extensions signed.pdf ext.pdf
accepted ext.pdf lta_updates "catalog: /Version set to 2.0" "catalog /Extensions and /Version raised"
$C extensions-indirect signed.pdf ext-ind.pdf
accepted ext-ind.pdf lta_updates "catalog: /Extensions updated" "catalog /Extensions as an object of its own"
$C dss signed.pdf dss.pdf "${K[@]}"
accepted dss.pdf lta_updates "DSS updated" "DSS with indirect /Certs, /OCSPs and a /VRI"
$C dss-append dss.pdf dss2.pdf "${K[@]}"
accepted dss2.pdf lta_updates "DSS updated" "DSS arrays appended to in place, a VRI entry added"
$C rewrite-identical signed.pdf same.pdf
accepted same.pdf lta_updates "objects written again unchanged: 3" "page, catalog and font written again byte for byte"
$C rewrite-equal signed.pdf equal.pdf
accepted equal.pdf lta_updates "objects written again unchanged" "page written with 595.0 for 595 and its /Resources made indirect"
# A document time-stamp from a TSA made here (openssl ts).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tsa.key -subj "/CN=TSA Uji" -days 30 \
    -addext "extendedKeyUsage=critical,timeStamping" -addext "keyUsage=critical,digitalSignature" -out tsa.crt 2>/dev/null
cat >tsa.cnf <<EOF
[tsa]
default_tsa = t
[t]
serial = $T/tsa.serial
signer_cert = $T/tsa.crt
signer_key = $T/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
ess_cert_id_alg = sha256
EOF
echo 01 >tsa.serial
$FORM doctst-prepare signed.pdf dts.part dts.data &&
    openssl ts -query -data dts.data -sha256 -cert -out dts.tsq 2>/dev/null &&
    openssl ts -reply -config tsa.cnf -queryfile dts.tsq -token_out -out dts.tok 2>/dev/null &&
    $FORM doctst-finish dts.part dts.tok doc-ts.pdf || fail "document time-stamp not made"
accepted doc-ts.pdf lta_updates "document time-stamp added" "document time-stamp"
F=doc-ts.pdf V --trust tsa.crt
jq -e '.signatures[1].document_timestamp and .signatures[1].integrity == "valid"' "$T/out" >/dev/null &&
    pass "document time-stamp: its own integrity valid" || fail "document time-stamp: $(show)"
$C fill signed.pdf fill.pdf
accepted fill.pdf form_filling "form field nama filled in" "form field filled in (approval signature)"
$C comment signed.pdf comment.pdf
accepted comment.pdf annotations "comment annotation added: a Text annotation" "comment annotation (approval signature)"
for p in 1 2 3; do $C sign base.pdf cert$p.pdf "${K[@]}" --certify $p; done
for p in 2 3; do
    $C fill cert$p.pdf cert$p-fill.pdf
    accepted cert$p-fill.pdf form_filling "form field nama filled in" "DocMDP P=$p: form field filled in"
    $C fill-inplace cert$p.pdf cert$p-fillin.pdf
    accepted cert$p-fillin.pdf form_filling "form field nama filled in" "DocMDP P=$p: form field filled in, appearance stream rewritten in place"
    $C sign-empty cert$p.pdf cert$p-sign.pdf "${K[@]}"
    accepted cert$p-sign.pdf form_filling "signature added \\(field Kosong" "DocMDP P=$p: the empty signature field signed"
done
$C comment cert3.pdf cert3-comment.pdf
accepted cert3-comment.pdf annotations "comment annotation added" "DocMDP P=3: comment annotation"
$C dss cert1.pdf cert1-dss.pdf "${K[@]}"
accepted cert1-dss.pdf lta_updates "DSS updated" "DocMDP P=1: DSS"
# A certification whose /Perms, /Reference array, SigRef, /TransformParams
# and /P are each an object of their own (as some signers write it): read
# through the references, P=2 applies.
$C sign base.pdf certind.pdf "${K[@]}" --certify 2 --indirect
F=certind.pdf V
jq -e '.conclusion == "TOTAL_PASSED" and .certification.permissions == 2 and .signatures[0].modification_level == "none"' "$T/out" >/dev/null &&
    pass "certification through indirect references: valid, P=2 read" || fail "certind: $(show)"
$C fill certind.pdf certind-fill.pdf
accepted certind-fill.pdf form_filling "form field nama filled in" "certification through indirect references: form filled in"
$C comment certind.pdf certind-comment.pdf
refused certind-comment.pdf annotations "DocMDP P=2.*comment annotation added" "certification through indirect references: a comment beyond P=2"
# Page trees as other writers leave them: the page a dictionary inside
# /Kids (compared as part of its parent), a /Pages node whose /Kids lists
# itself (pyHanko's circular-page-tree.pdf; the node unchanged, walked once).
$C base base-direct.pdf --direct-page && $C sign base-direct.pdf s-direct.pdf "${K[@]}"
$C comment s-direct.pdf direct-comment.pdf
accepted direct-comment.pdf annotations "page 1: comment annotation added: a Text annotation" \
    "a comment on a page written inside /Kids" "kid 0 .* is direct"
$C base base-cycle.pdf --cycle && $C sign base-cycle.pdf s-cycle.pdf "${K[@]}"
$C comment s-cycle.pdf cycle-comment.pdf
accepted cycle-comment.pdf annotations "page 1: comment annotation added: a Text annotation" \
    "a comment in a page tree that had a cycle when signed" "Loop detected in /Pages"
$C cycle-same s-cycle.pdf cycle-same.pdf
accepted cycle-same.pdf lta_updates "objects written again unchanged: 1" \
    "the node that was a cycle when signed written again with the same value" "Loop detected in /Pages"
# A DSS of the signed revision replaced by a new DSS object, the old one
# redefined (as a writer updating it and then writing another may leave it):
# nothing uses it any more.
$C dss base.pdf base-dss.pdf "${K[@]}" && $C sign base-dss.pdf s-dss.pdf "${K[@]}"
$C dss-replace s-dss.pdf dss-replace.pdf
accepted dss-replace.pdf lta_updates "objects the document does not use \\(.*replaced objects\\): 1" \
    "a DSS replaced by a new object, the old one redefined and unused"
jq -e '.signatures[0].harmless_changes | map(test("DSS updated \\(object 21\\)")) | any' "$T/out" >/dev/null &&
    pass "DSS replaced: the new DSS named" || fail "DSS replaced: $(show)"

# --- refused classes ---
$C shadow-hide signed.pdf hide.pdf
refused hide.pdf other "XObject changed \\(object 12\\)" "shadow hide (the covering XObject emptied)"
$C shadow-replace signed.pdf replace.pdf
refused replace.pdf other "Font changed \\(object 5\\)" "shadow replace (the font redefined)"
$C shadow-hide-replace signed.pdf hide-replace.pdf
refused hide-replace.pdf other "page 1 changed: /Contents" "shadow hide-and-replace (the page switched to a hidden stream)"
$C base base-dangling.pdf --dangling && $C sign base-dangling.pdf s-dangling.pdf "${K[@]}"
$C shadow-dangling s-dangling.pdf dangling.pdf
refused dangling.pdf other "object 40, which the signed revision referred to while it did not exist" "shadow: a dangling reference defined later"
$C base base-unnamed.pdf --unnamed && $C sign base-unnamed.pdf s-unnamed.pdf "${K[@]}"
$C shadow-resource s-unnamed.pdf unnamed.pdf
refused unnamed.pdf other "resource /Font /FX was added, but the signed page content already names it" "shadow: a font name the signed content used, defined later"
$C base base-shared.pdf --shared-ap && $C sign base-shared.pdf s-shared.pdf "${K[@]}"
$C sneaky-ap s-shared.pdf sneaky-ap.pdf
refused sneaky-ap.pdf other "appearance stream \\(object 9\\) was rewritten, but the signed revision also uses it" "sneaky form update: an appearance stream the page also draws"
$C fill s-shared.pdf shared-fill.pdf
accepted shared-fill.pdf form_filling "form field nama filled in" "the same field filled with a new appearance stream"
$C base base-trailer.pdf --ap-in-trailer && $C sign base-trailer.pdf s-trailer.pdf "${K[@]}"
$C sneaky-trailer s-trailer.pdf sneaky-trailer.pdf
refused sneaky-trailer.pdf other "old appearance dictionary \\(object 15\\) is also used elsewhere" "sneaky form update: an appearance dictionary the trailer names"
$C new-text-field signed.pdf text-field.pdf
refused text-field.pdf other "form field catatan was added" "a new text field over the page"
$ATK sneaky-sig signed.pdf sneaky-sig.pdf
refused sneaky-sig.pdf other "new unsigned signature field .* at \\[50 600 550 800\\]" "a new unsigned signature field whose appearance covers the page"
$ATK sneaky-sig cert2.pdf cert2-sneaky.pdf
refused cert2-sneaky.pdf other "DocMDP P=2.*Sneaky Signature" "Sneaky Signature (DocMDP P=2)"
$ATK annot-stamp cert3.pdf cert3-stamp.pdf
refused cert3-stamp.pdf other "DocMDP P=3.*Stamp annotation .*Evil Annotation" "Evil Annotation (DocMDP P=3)"
$ATK append-content signed.pdf isa-content.pdf
refused isa-content.pdf other "content of page 1 changed" "Incremental Saving: new page content"
$ATK append-annot signed.pdf isa-annot.pdf
refused isa-annot.pdf other "FreeText annotation" "Incremental Saving: a FreeText annotation"
$ATK add-page signed.pdf isa-page.pdf
refused isa-page.pdf other "page count changed from 1 to 2" "Incremental Saving: a page added"
$C fill cert1.pdf cert1-fill.pdf
refused cert1-fill.pdf form_filling "DocMDP P=1.*form field nama filled in" "DocMDP P=1: form filling not permitted"
$C sign-empty cert1.pdf cert1-sign.pdf "${K[@]}"
refused cert1-sign.pdf form_filling "DocMDP P=1.*signature added" "DocMDP P=1: a second signature not permitted"
$C comment cert2.pdf cert2-comment.pdf
refused cert2-comment.pdf annotations "DocMDP P=2.*comment annotation added" "DocMDP P=2: a comment not permitted"
$C content-inplace s-direct.pdf direct-content.pdf
refused direct-content.pdf other "content of page 1 changed \\(object 4\\)" "the content of a page written inside /Kids changed"
$C base base-subtree.pdf --subtree && $C sign base-subtree.pdf s-subtree.pdf "${K[@]}"
$C make-cycle s-subtree.pdf make-cycle.pdf
refused make-cycle.pdf other "page tree now uses object 16 of the signed revision" "a cycle made after signing (page 2 hidden)"
$C cycle-to-page s-cycle.pdf cycle-to-page.pdf
refused cycle-to-page.pdf other "the page tree changed or is damaged \\(object 3\\)" "the node that was a cycle when signed now shows page 1 again"
$C dss-replace-used s-dss.pdf dss-used.pdf
refused dss-used.pdf other "DSS changed \\(object 15\\)" "a DSS replaced, the old DSS object made the /OpenAction"
$C dss-replace-trailer s-dss.pdf dss-trailer.pdf
refused dss-trailer.pdf other "DSS changed \\(object 15\\)" "a DSS replaced, the old DSS object redefined and named by the trailer"
# The structure is refused before any comparison: no level, or none where the
# /ByteRange itself was well formed (a missing /Contents).
for m in usf-empty usf-null usf-nocontents usf-br3 usf-beyond usf-nobr wrap-gap wrap-overlap wrap-move; do
    $ATK $m signed.pdf $m.pdf
    F=$m.pdf V
    jq -e '.signatures[0].conclusion == "TOTAL_FAILED" and .signatures[0].sub_indication == "FORMAT_FAILURE" and (.signatures[0].modification_level | . == null or . == "none")' "$T/out" >/dev/null &&
        pass "$m: TOTAL_FAILED / FORMAT_FAILURE" || fail "$m: $(show)"
done
python3 "$D/pdf_cms.py" tail.pdf "${K[@]}" --short-tail 30
F=tail.pdf V
jq -e '.signatures[0].conclusion == "TOTAL_FAILED" and (.signatures[0].reasons[0] | test("does not end at the end of a revision"))' "$T/out" >/dev/null &&
    pass "coverage anomaly: the ByteRange stops short of the end of its revision" || fail "tail: $(show)"

# The report names the level in both languages.
F=fill.pdf
"$SERTEL" --home "$T/none" verify --offline --trust s.crt "$F" >"$T/out" 2>&1
expect_grep "Tingkat perubahan: form_filling \(pengisian formulir dan tanda tangan\)" "$T/out" "Indonesian report: the modification level"
"$SERTEL" --home "$T/none" verify --offline --lang en --trust s.crt "$F" >"$T/out" 2>&1
expect_grep "Modification level: form_filling \(form filling and signatures\)" "$T/out" "English report: the modification level"
finish
