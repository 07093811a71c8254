#!/bin/bash
# End-to-end: signing encrypted PDFs (standard security handler R2 to R6,
# made by qpdf from the letter), with the empty user password and with a
# user password; B-B invisible, B-T with a visible stamp, B-LT, signed
# twice; checked with qpdf --check, mutool sign -v, poppler pdfsig and
# pdftotext (all given the password), openssl cms over each ByteRange,
# and sertel verify. Refusals: no or a wrong password leave no output.
. "$(dirname "$0")/lib.sh"
D=$SERTEL_TEST_DATA
EX="python3 $D/pdf/extract_sig.py"
for tool in pdfsig pdftotext qpdf mutool certutil python3; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

H=$T/home
new_home "$H"
make_signers "$H" budi:ec-p256 siti:rsa-2048
NSS=$T/nss
make_nss "$NSS" "$T/root.pem"
PDFSIG="pdfsig -nssdir sql:$NSS -no-ocsp"
printf 'rahasia\n' >"$T/pw-user"
printf 'pemilik\n' >"$T/pw-owner"
printf 'salah\n' >"$T/pw-wrong"

sign() { # sign SIGNER IN OUT [extra options]
    local who=$1 in=$2 out=$3
    shift 3
    "$SERTEL" --home "$H" sign --p12 "$T/$who.p12" --p12-password-file "$T/p12pw" "$@" "$in" "$out"
}

# The variants: name, user password ("" or rahasia), qpdf options.
L=$D/letter.pdf
W=--allow-weak-crypto
VARIANTS="r2 r3 r4 r4meta r5 r6 r6objstm r6broken r4user r6user"
mk() { # mk NAME USERPW QPDF-ENCRYPT-ARGS...
    local name=$1 upw=$2
    shift 2
    qpdf "$W" --encrypt "$upw" pemilik "$@" -- "$L" "$T/$name.pdf" ||
        { echo "qpdf could not make $name"; exit 1; }
}
mk r2 "" 40
mk r3 "" 128 --use-aes=n
mk r4 "" 128 --use-aes=y
mk r4meta "" 128 --use-aes=y --cleartext-metadata
mk r5 "" 256 --force-R5
mk r6 "" 256
qpdf --object-streams=generate --encrypt "" pemilik 256 -- "$L" "$T/r6objstm.pdf"
# A damaged cross-reference: recovery, then the object streams are decrypted and indexed.
python3 - "$T/r6objstm.pdf" "$T/r6broken.pdf" <<'PY'
import re, sys
d = open(sys.argv[1], 'rb').read()
open(sys.argv[2], 'wb').write(re.sub(rb'startxref\s+\d+', b'startxref\n123456', d))
PY
mk r4user rahasia 128 --use-aes=y
mk r6user rahasia 256
for v in r2 r3 r4 r5 r6; do
    qpdf --show-encryption "$T/$v.pdf" | grep -q "^R = ${v#r}$" && pass "$v: qpdf made revision ${v#r}" ||
        fail "$v: not revision ${v#r}: $(qpdf --show-encryption "$T/$v.pdf" | head -2)"
done
grep -aq "/ObjStm" "$T/r6objstm.pdf" && pass "r6objstm has object streams" || fail "r6objstm: no object streams"

userpw() { case $1 in *user*) echo rahasia ;; *) echo "" ;; esac; }

# check_pdf FILE NSIG DESC PW [dss]: every independent reader accepts the signed
# file; with dss the last revision is a DSS, so the last signature does not
# cover the whole file.
check_pdf() {
    local f=$1 nsig=$2 desc=$3 pw=$4 dss=${5:-}
    local upw=() mpw=() qpw=() spw=()
    if [ -n "$pw" ]; then
        upw=(-upw "$pw") mpw=(-p "$pw") qpw=(--password="$pw") spw=(--pdf-password-file "${PWFILE:-$T/pw-user}")
    fi
    qpdf --check "${qpw[@]}" "$f" >"$T/qpdf.out" 2>&1
    local qrc=$?
    { [ $qrc = 0 ] || [ $qrc = 3 ]; } &&
        ! grep -v -e "No syntax or stream encoding errors" -e "errors that qpdf cannot detect" "$T/qpdf.out" |
        grep -qi "error" &&
        pass "$desc: qpdf --check clean (exit $qrc)" || fail "$desc: qpdf --check exit $qrc: $(tail -4 "$T/qpdf.out")"
    $PDFSIG "${upw[@]}" "$f" >"$T/pdfsig.out" 2>&1
    [ "$(grep -c "Signature is Valid\." "$T/pdfsig.out")" = "$nsig" ] &&
        pass "$desc: pdfsig: $nsig signature(s) valid" || fail "$desc: pdfsig: $(cat "$T/pdfsig.out")"
    [ "$(grep -c "Certificate is Trusted\." "$T/pdfsig.out")" = "$nsig" ] &&
        pass "$desc: pdfsig: trusted" || fail "$desc: pdfsig not trusted: $(cat "$T/pdfsig.out")"
    if [ -z "$dss" ]; then
        [ "$(grep -c "Total document signed" "$T/pdfsig.out")" = 1 ] &&
            pass "$desc: pdfsig: total document signed" || fail "$desc: pdfsig: not total document signed"
    fi
    mutool sign "${mpw[@]}" -v "$f" >"$T/mutool.out" 2>&1
    [ "$(grep -c "Verifying signature" "$T/mutool.out")" = "$nsig" ] &&
        pass "$desc: mutool lists $nsig signature(s)" || fail "$desc: mutool: $(cat "$T/mutool.out")"
    [ -z "$dss" ] &&
        expect_grep "document is unchanged since signing" "$T/mutool.out" "$desc: mutool: unchanged since signing"
    pdftotext "${upw[@]}" "$f" - >"$T/text.out" 2>&1
    expect_grep "Surat Rekomendasi" "$T/text.out" "$desc: pdftotext still reads the letter"
    local i
    for i in $(seq 1 "$nsig"); do
        $EX "$f" "$i" "$T/sig$i" >/dev/null || { fail "$desc: /Contents $i is not a raw CMS"; continue; }
        expect_exit 0 "$desc: openssl cms -verify of signature $i over its ByteRange" -- \
            openssl cms -verify -binary -inform DER -in "$T/sig$i.p7s" -content "$T/sig$i.signed" \
            -CAfile "$T/root.pem" -purpose any -out /dev/null
    done
    # sertel's own verifier: intact, unmodified; offline without a DSS: TRY_LATER only.
    "$SERTEL" verify --json --trust "$T/root.pem" --offline "${spw[@]}" "$f" >"$T/v.json" 2>"$T/v.err"
    python3 - "$T/v.json" "$nsig" <<'PY' && pass "$desc: sertel verify: $nsig intact signature(s), none modified" || fail "$desc: sertel verify: $(head -c 1500 "$T/v.json") $(cat "$T/v.err")"
import json, sys
r = json.load(open(sys.argv[1]))
s = r['signatures']
assert len(s) == int(sys.argv[2]), len(s)
for x in s:
    assert x['integrity'] == 'valid', x['integrity']
    assert x['conclusion'] == 'TOTAL_PASSED' or x['sub_indication'] == 'TRY_LATER', x
assert not s[-1]['modified_after_signing']
PY
}

for v in $VARIANTS; do
    pw=$(userpw "$v")
    opt=()
    [ -n "$pw" ] && opt=(--pdf-password-file "$T/pw-user")
    expect_exit 0 "sign $v (B-B, invisible)" -- sign budi "$T/$v.pdf" "$T/$v-bb.pdf" "${opt[@]}" \
        --reason "Persetujuan" --location "Jakarta"
    [ -f "$T/$v-bb.pdf" ] && check_pdf "$T/$v-bb.pdf" 1 "$v B-B" "$pw"
    cmp -n "$(stat -c %s "$T/$v.pdf")" "$T/$v.pdf" "$T/$v-bb.pdf" >/dev/null &&
        pass "$v: original bytes unchanged" || fail "$v: original bytes changed"
    grep -aq "Persetujuan" "$T/$v-bb.pdf" && fail "$v: /Reason written in the clear" ||
        pass "$v: /Reason encrypted"
    # A second signer, B-T with the home's TSA: both signatures stay valid.
    expect_exit 0 "sign $v again (B-T)" -- sign siti "$T/$v-bb.pdf" "$T/$v-2.pdf" "${opt[@]}" --level B-T
    [ -f "$T/$v-2.pdf" ] && check_pdf "$T/$v-2.pdf" 2 "$v twice" "$pw"
    # B-LT (a DSS revision, encrypted too): sertel verify passes offline.
    expect_exit 0 "sign $v (B-LT)" -- sign budi "$T/$v.pdf" "$T/$v-lt.pdf" "${opt[@]}" --level B-LT
    if [ -f "$T/$v-lt.pdf" ]; then
        check_pdf "$T/$v-lt.pdf" 1 "$v B-LT" "$pw" dss
        expect_exit 0 "$v B-LT: sertel verify --offline: every signature TOTAL_PASSED" -- \
            "$SERTEL" verify --trust "$T/root.pem" --offline "${opt[@]}" "$T/$v-lt.pdf"
    fi
done

# B-T with a visible stamp (QR image and appearance stream, both encrypted).
for v in r4 r4user r6 r6user r6objstm; do
    pw=$(userpw "$v")
    opt=()
    [ -n "$pw" ] && opt=(--pdf-password-file "$T/pw-user")
    expect_exit 0 "sign $v (B-T, visible)" -- sign budi "$T/$v.pdf" "$T/$v-vis.pdf" "${opt[@]}" \
        --level B-T --visible --rect 350,60,220,80 --qr "https://contoh.go.id/verify"
    [ -f "$T/$v-vis.pdf" ] && check_pdf "$T/$v-vis.pdf" 1 "$v B-T visible" "$pw"
    expect_exit 0 "sign $v visible again (B-B)" -- sign siti "$T/$v-vis.pdf" "$T/$v-vis2.pdf" "${opt[@]}"
    [ -f "$T/$v-vis2.pdf" ] && check_pdf "$T/$v-vis2.pdf" 2 "$v visible, twice" "$pw"
done

# The owner password opens a user-password file too.
expect_exit 0 "sign r6user with the owner password" -- sign budi "$T/r6user.pdf" "$T/r6owner.pdf" \
    --pdf-password-file "$T/pw-owner"
[ -f "$T/r6owner.pdf" ] && check_pdf "$T/r6owner.pdf" 1 "r6user (owner password)" rahasia
expect_exit 0 "sign r4user with the owner password" -- sign budi "$T/r4user.pdf" "$T/r4owner.pdf" \
    --pdf-password-file "$T/pw-owner"
[ -f "$T/r4owner.pdf" ] && check_pdf "$T/r4owner.pdf" 1 "r4user (owner password)" rahasia

# Passwords beyond ASCII. Revision 6 hashes the SASLprep form (RFC 4013): a
# soft hyphen maps to nothing, a no-break space to a space, the ligature fi
# (U+FB01) to "fi" under NFKC. The files are encrypted by qpdf with the
# prepared form and signed with the form a user may type; the independent
# tools get the prepared form. qpdf itself hashes a revision 6 password as
# given: such a file opens with the bytes as given (tried second). Revision
# 4 hashes PDFDocEncoding: qpdf writes "café" as c a f 0xE9, sertel is given
# UTF-8.
for c in "shy:IX:I\xc2\xadX" "nbsp:a b:a\xc2\xa0b" "lig:file pdf:\xef\xac\x81le pdf"; do
    n=${c%%:*} rest=${c#*:} prepared=${rest%%:*} typed=${rest#*:}
    qpdf --encrypt "$prepared" pemilik 256 -- "$L" "$T/u6$n.pdf" || { fail "qpdf could not make u6$n"; continue; }
    printf "$typed\n" >"$T/pw-u6$n"
    expect_exit 0 "R6, password with $n given unprepared: signed (SASLprep)" -- sign budi "$T/u6$n.pdf" \
        "$T/u6$n-s.pdf" --pdf-password-file "$T/pw-u6$n"
    [ -f "$T/u6$n-s.pdf" ] && PWFILE=$T/pw-u6$n check_pdf "$T/u6$n-s.pdf" 1 "R6 SASLprep ($n)" "$prepared"
done
printf 'I\xc2\xadX\n' >"$T/pw-shy"
qpdf --encrypt "$(printf 'I\xc2\xadX')" pemilik 256 -- "$L" "$T/u6raw.pdf"
expect_exit 0 "R6 encrypted with the unprepared bytes (as qpdf does): signed" -- sign budi "$T/u6raw.pdf" \
    "$T/u6raw-s.pdf" --pdf-password-file "$T/pw-shy"
[ -f "$T/u6raw-s.pdf" ] && PWFILE=$T/pw-shy check_pdf "$T/u6raw-s.pdf" 1 "R6 unprepared password" "$(printf 'I\xc2\xadX')"
qpdf --encrypt "café" pemilik 128 --use-aes=y -- "$L" "$T/u4.pdf"
qpdf --show-encryption --password-mode=bytes --password="$(printf 'caf\xe9')" "$T/u4.pdf" >/dev/null 2>&1 &&
    pass "R4 café: qpdf stored the PDFDocEncoding" || fail "R4 café: not PDFDocEncoded by qpdf"
printf 'café\n' >"$T/pw-cafe"
printf 'cafè\n' >"$T/pw-cafe2"
expect_exit 0 "R4, password café given in UTF-8: signed (PDFDocEncoding)" -- sign budi "$T/u4.pdf" "$T/u4-s.pdf" \
    --pdf-password-file "$T/pw-cafe"
[ -f "$T/u4-s.pdf" ] && PWFILE=$T/pw-cafe check_pdf "$T/u4-s.pdf" 1 "R4 PDFDocEncoding" "$(printf 'caf\xe9')"
expect_exit 2 "R4 café with cafè refused" -- sign budi "$T/u4.pdf" "$T/u4-bad.pdf" --pdf-password-file "$T/pw-cafe2"
expect_grep "wrong password" "$T/err" "R4 cafè: says wrong password"
[ ! -e "$T/u4-bad.pdf" ] && pass "R4 cafè: no output" || fail "R4 cafè left output"

# B-LTA (DSS and a document time-stamp, both encrypted revisions): verifies offline.
expect_exit 0 "sign r6user (B-LTA)" -- sign budi "$T/r6user.pdf" "$T/r6user-lta.pdf" \
    --pdf-password-file "$T/pw-user" --level B-LTA
expect_exit 0 "r6user B-LTA: sertel verify --offline passes (signature and document time-stamp)" -- \
    "$SERTEL" verify --trust "$T/root.pem" --offline --pdf-password-file "$T/pw-user" "$T/r6user-lta.pdf"
qpdf --check --password=rahasia "$T/r6user-lta.pdf" >"$T/qpdf.out" 2>&1 &&
    pass "r6user B-LTA: qpdf --check clean" || fail "r6user B-LTA: qpdf --check: $(tail -3 "$T/qpdf.out")"

# Another security handler than the standard one: refused as unsupported.
sed 's|/Filter /Standard|/Filter /FooBarXY|' "$T/r6.pdf" >"$T/other.pdf"
expect_exit 2 "another security handler refused" -- sign budi "$T/other.pdf" "$T/other-out.pdf"
expect_grep "only the standard \(password\) security handler" "$T/err" "another handler: says only the standard one is supported"
[ ! -e "$T/other-out.pdf" ] && pass "another handler: no output" || fail "another handler left output"

# Refusals: a user-password file without a password, or with a wrong one.
for v in r4user r6user; do
    expect_exit 2 "$v without a password refused" -- sign budi "$T/$v.pdf" "$T/$v-nopw.pdf"
    expect_grep "the PDF is encrypted.*password" "$T/err" "$v without a password: says a password is needed"
    [ ! -e "$T/$v-nopw.pdf" ] && pass "$v without a password: no output" || fail "$v without a password left output"
    expect_exit 2 "$v with a wrong password refused" -- sign budi "$T/$v.pdf" "$T/$v-wrong.pdf" \
        --pdf-password-file "$T/pw-wrong"
    expect_grep "wrong password" "$T/err" "$v wrong password: says so"
    [ ! -e "$T/$v-wrong.pdf" ] && pass "$v wrong password: no output" || fail "$v wrong password left output"
    expect_exit 2 "verify $v-bb without a password refused" -- \
        "$SERTEL" verify --trust "$T/root.pem" --offline "$T/$v-bb.pdf"
    expect_grep "the PDF is encrypted" "$T/err" "verify $v-bb without a password: says a password is needed"
    expect_exit 2 "verify $v-bb with a wrong password refused" -- \
        "$SERTEL" verify --trust "$T/root.pem" --offline --pdf-password-file "$T/pw-wrong" "$T/$v-bb.pdf"
done
[ -z "$(ls "$T" | grep '\.tmp-')" ] && pass "no temporary files left" || fail "temporary files left"
finish
