#!/bin/bash
# End-to-end: PAdES signing of qpdf variants of a letter (object streams,
# linearized, QDF, multi-revision, damaged xref), B-B and B-T, signed twice,
# and detached CAdES; checked with pdfsig (NSS trusting the test root),
# qpdf --check, mutool, openssl cms / ts; bad input leaves no output.
. "$(dirname "$0")/lib.sh"
D=$SERTEL_TEST_DATA
EX="python3 $D/pdf/extract_sig.py"
for tool in pdfsig qpdf mutool certutil python3; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

H=$T/home
new_home "$H"
"$SERTEL" --home "$H" ca export --root >"$T/root.pem"
"$SERTEL" --home "$H" ca export --issuing >"$T/issuing.pem"
"$SERTEL" --home "$H" ca export --tsa >"$T/tsa.pem"
printf 'p12 secret\n' >"$T/p12pw"
for who in budi:ec-p256 siti:rsa-2048; do
    n=${who%%:*} kt=${who#*:}
    make_csr "$kt" "$n" "$T/$n"
    "$SERTEL" --home "$H" cert issue --csr "$T/$n.csr" --profile document-signing >"$T/$n.crt" ||
        { echo "issue failed"; exit 1; }
    cat "$T/issuing.pem" "$T/root.pem" >"$T/chain.pem"
    openssl pkcs12 -export -inkey "$T/$n.key" -in "$T/$n.crt" -certfile "$T/chain.pem" \
        -passout file:"$T/p12pw" -out "$T/$n.p12"
done
NSS=$T/nss
mkdir "$NSS"
certutil -N -d sql:"$NSS" --empty-password
certutil -A -d sql:"$NSS" -n root -t "CT,C,C" -i "$T/root.pem"
# The certificates name an OCSP responder on 127.0.0.1:8080 that this test does not run.
PDFSIG="pdfsig -nssdir sql:$NSS -no-ocsp"

sign() { # sign SIGNER IN OUT [extra options]
    local who=$1 in=$2 out=$3
    shift 3
    "$SERTEL" --home "$H" sign --p12 "$T/$who.p12" --p12-password-file "$T/p12pw" "$@" "$in" "$out"
}

# Test inputs: qpdf variants of the letter, a two-revision file, a damaged xref.
L=$D/letter.pdf
cp "$L" "$T/plain.pdf"
qpdf --object-streams=generate "$L" "$T/objstm.pdf"
qpdf --linearize "$L" "$T/linear.pdf"
qpdf --qdf "$L" "$T/qdf.pdf"
qpdf --object-streams=generate --linearize "$L" "$T/objstm-linear.pdf"
# Second revision with qpdf (appends nothing: qpdf rewrites) -> build one by hand.
python3 - "$L" "$T/multirev.pdf" <<'PY'
import re, sys
d = open(sys.argv[1], 'rb').read()
sx = int(re.findall(rb'startxref\s+(\d+)', d)[-1])
obj = b'3 0 obj\n<< /Contents 4 0 R /MediaBox [ 0 0 595 842 ] /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Type /Page /Rotate 0 >>\nendobj\n'
off = len(d)
tr = re.findall(rb'trailer\s*(<<.*?>>)\s*startxref', d, re.S)[-1]
size = re.search(rb'/Size\s+(\d+)', tr).group(1)
root = re.search(rb'/Root\s+(\d+ \d+ R)', tr).group(1)
x = len(d) + len(obj)
upd = obj + b'xref\n3 1\n%010d 00000 n \ntrailer\n<< /Size %s /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (off, size, root, sx, x)
open(sys.argv[2], 'wb').write(d + upd)
PY
python3 - "$L" "$T/broken.pdf" <<'PY'
import re, sys
d = open(sys.argv[1], 'rb').read()
open(sys.argv[2], 'wb').write(re.sub(rb'startxref\s+\d+', b'startxref\n123456', d))
PY

check_pdf() { # check_pdf FILE NSIG DESCRIPTION
    local f=$1 nsig=$2 desc=$3
    $PDFSIG "$f" >"$T/pdfsig.out" 2>&1
    local valid trusted
    valid=$(grep -c "Signature is Valid\." "$T/pdfsig.out")
    trusted=$(grep -c "Certificate is Trusted\." "$T/pdfsig.out")
    [ "$valid" = "$nsig" ] && pass "$desc: pdfsig: $nsig signature(s) valid" ||
        fail "$desc: pdfsig valid=$valid want $nsig: $(cat "$T/pdfsig.out")"
    [ "$trusted" = "$nsig" ] && pass "$desc: pdfsig: certificate trusted" ||
        fail "$desc: pdfsig trusted=$trusted want $nsig: $(cat "$T/pdfsig.out")"
    [ "$(grep -c "Total document signed" "$T/pdfsig.out")" = 1 ] &&
        pass "$desc: pdfsig: total document signed (last)" || fail "$desc: not total document signed"
    qpdf --check "$f" >"$T/qpdf.out" 2>&1
    [ $? = 0 ] && pass "$desc: qpdf --check clean" || fail "$desc: qpdf --check: $(tail -3 "$T/qpdf.out")"
    mutool sign -v "$f" >"$T/mutool.out" 2>&1
    [ "$(grep -c "Verifying signature" "$T/mutool.out")" = "$nsig" ] &&
        pass "$desc: mutool lists $nsig signature(s)" || fail "$desc: mutool: $(cat "$T/mutool.out")"
    expect_grep "document is unchanged since signing" "$T/mutool.out" "$desc: mutool: last signature covers the document"
    for i in $(seq 1 "$nsig"); do
        $EX "$f" "$i" "$T/sig$i" >/dev/null || { fail "$desc: extract signature $i"; continue; }
        expect_exit 0 "$desc: openssl cms -verify of signature $i over its ByteRange" -- \
            openssl cms -verify -binary -inform DER -in "$T/sig$i.p7s" -content "$T/sig$i.signed" \
            -CAfile "$T/root.pem" -purpose any -out /dev/null
        openssl cms -cmsout -print -inform DER -in "$T/sig$i.p7s" >"$T/cms.txt"
        sed -n '/^ *signedAttrs:/,/signatureAlgorithm:/p' "$T/cms.txt" | grep -E '^ +object: ' |
            sed 's/.*(\(.*\))/\1/' | sort | tr '\n' ' ' >"$T/attrs"
        [ "$(cat "$T/attrs")" = "1.2.840.113549.1.9.16.2.47 1.2.840.113549.1.9.3 1.2.840.113549.1.9.4 " ] &&
            pass "$desc: signature $i: signed attributes exactly content-type, message-digest, signing-certificate-v2" ||
            fail "$desc: signature $i: signed attributes $(cat "$T/attrs")"
    done
}

for v in plain objstm linear qdf objstm-linear multirev broken; do
    expect_exit 0 "sign $v (B-B)" -- sign budi "$T/$v.pdf" "$T/$v-1.pdf" --reason "Persetujuan" --location "Jakarta"
    [ -f "$T/$v-1.pdf" ] && check_pdf "$T/$v-1.pdf" 1 "$v"
    cmp -n "$(stat -c %s "$T/$v.pdf")" "$T/$v.pdf" "$T/$v-1.pdf" >/dev/null &&
        pass "$v: original bytes unchanged" || fail "$v: original bytes changed"
    # A second signer, B-T with the home's TSA: both signatures stay valid.
    expect_exit 0 "sign $v again (B-T)" -- sign siti "$T/$v-1.pdf" "$T/$v-2.pdf" --level B-T --reason "Mengetahui"
    [ -f "$T/$v-2.pdf" ] && check_pdf "$T/$v-2.pdf" 2 "$v twice"
done

# B-T: the signature-time-stamp token verifies with openssl ts, over the signature value.
sign budi "$T/plain.pdf" "$T/bt.pdf" --level B-T >/dev/null
$EX "$T/bt.pdf" 1 "$T/bt" >/dev/null
python3 - "$T/bt.p7s" "$T" <<'PY'
import subprocess, sys
# Find the signature value and the token with openssl asn1parse (offsets are its own).
der = sys.argv[1]; T = sys.argv[2]
out = subprocess.run(['openssl', 'asn1parse', '-inform', 'DER', '-in', der], capture_output=True, text=True).stdout.splitlines()
tok = None
for i, l in enumerate(out):
    if 'id-smime-aa-timeStampToken' in l:
        # next SET, then the token SEQUENCE
        for l2 in out[i + 1:]:
            if 'SEQUENCE' in l2:
                tok = int(l2.split(':')[0]); break
        break
sig = None
for i, l in enumerate(out):
    if 'id-smime-aa-timeStampToken' in l or 'unsignedAttrs' in l:
        break
    if 'OCTET STRING' in l and 'HEX DUMP' in l:
        sig = l
data = open(der, 'rb').read()
def tlv(off):
    b = data[off + 1]
    if b < 0x80: return off, 2 + b
    k = b & 0x7f; return off, 2 + k + int.from_bytes(data[off + 2:off + 2 + k], 'big')
o, n = tlv(tok)
open(T + '/token.der', 'wb').write(data[o:o + n])
so = int(sig.split(':')[0]); hl = int(sig.split('hl=')[1].split()[0]); ln = int(sig.split('l=')[2].split()[0])
open(T + '/sigvalue.bin', 'wb').write(data[so + hl:so + hl + ln])
PY
cat "$T/issuing.pem" >"$T/untrusted.pem"
expect_exit 0 "B-T: openssl ts -verify accepts the token over the signature value" -- \
    openssl ts -verify -token_in -in "$T/token.der" -data "$T/sigvalue.bin" \
    -CAfile "$T/root.pem" -untrusted "$T/untrusted.pem"

# Detached CAdES for any file.
head -c 2000000 /dev/urandom >"$T/blob.bin"
for lvl in B-B B-T; do
    expect_exit 0 "detached $lvl" -- sign budi "$T/blob.bin" "$T/blob-$lvl.p7s" --detached --level $lvl
    expect_exit 0 "detached $lvl: openssl cms -verify" -- openssl cms -verify -binary -inform DER \
        -in "$T/blob-$lvl.p7s" -content "$T/blob.bin" -CAfile "$T/root.pem" -out /dev/null
done
echo x >>"$T/blob.bin"
expect_exit 4 "detached: a changed file fails openssl cms -verify" -- openssl cms -verify -binary \
    -inform DER -in "$T/blob-B-B.p7s" -content "$T/blob.bin" -CAfile "$T/root.pem" -out /dev/null

# Certification (DocMDP) on the qpdf variants: the certifying signature first,
# then an approval signature by the other signer (P=2 and P=3 allow it).
for cv in objstm:2 linear:3 multirev:2 broken:2; do
    v=${cv%%:*} p=${cv#*:}
    expect_exit 0 "certify $v (P=$p)" -- sign budi "$T/$v.pdf" "$T/$v-c.pdf" --certify "$p"
    [ -f "$T/$v-c.pdf" ] && check_pdf "$T/$v-c.pdf" 1 "$v certified"
    mutool show "$T/$v-c.pdf" trailer/Root/Perms >"$T/perms.out" 2>&1
    expect_grep "/DocMDP [0-9]+ 0 R" "$T/perms.out" "$v certified: /Perms /DocMDP in the catalog"
    expect_exit 0 "approval signature on certified $v" -- sign siti "$T/$v-c.pdf" "$T/$v-c2.pdf" --level B-T
    [ -f "$T/$v-c2.pdf" ] && check_pdf "$T/$v-c2.pdf" 2 "$v certified, then signed"
    expect_exit 2 "certify the signed $v refused" -- sign siti "$T/$v-c.pdf" "$T/$v-c3.pdf" --certify 2
    [ ! -e "$T/$v-c3.pdf" ] && pass "$v: no output after the refused certification" || fail "$v: output written"
done
expect_exit 0 "certify plain (P=1)" -- sign budi "$T/plain.pdf" "$T/plain-c1.pdf" --certify 1
expect_exit 2 "signing a P=1 certified file refused" -- sign siti "$T/plain-c1.pdf" "$T/plain-c1b.pdf"
expect_grep "DocMDP P=1" "$T/err" "P=1 refusal names DocMDP"
[ ! -e "$T/plain-c1b.pdf" ] && pass "P=1: no output" || fail "P=1: output written"
expect_exit 2 "--certify with --detached refused" -- sign budi "$T/plain.pdf" "$T/x.p7s" --detached --certify 2

# Bad input: clear error, exit 2, no output.
echo "not a pdf" >"$T/np.pdf"
head -c 400 "$L" >"$T/trunc.pdf"
qpdf --encrypt "" owner 256 -- "$L" "$T/enc.pdf"
printf '%%PDF-1.4\n1 0 obj\n<</Type /Foo>>\nendobj\n%%%%EOF\n' >"$T/nocat.pdf"
for b in np:"not a PDF" trunc:"truncated" enc:"encrypted PDFs are not supported yet" nocat:"beyond recovery"; do
    f=${b%%:*} msg=${b#*:}
    expect_exit 2 "bad input $f refused" -- sign budi "$T/$f.pdf" "$T/$f-out.pdf"
    expect_grep "$msg" "$T/err" "bad input $f: message says '$msg'"
    [ ! -e "$T/$f-out.pdf" ] && pass "bad input $f: no output file" || fail "bad input $f left output"
done
expect_exit 2 "unwritable output refused" -- sign budi "$T/plain.pdf" "$T/nodir/out.pdf"
expect_exit 2 "page out of range refused" -- sign budi "$T/plain.pdf" "$T/p9.pdf" --page 9
[ ! -e "$T/p9.pdf" ] && pass "page out of range: no output file" || fail "page out of range left output"
expect_exit 2 "wrong PKCS#12 password refused" -- "$SERTEL" sign --p12 "$T/budi.p12" \
    --p12-password-file "$T/adminpw" "$T/plain.pdf" "$T/wp.pdf"
[ -z "$(ls "$T" | grep '\.tmp-')" ] && pass "no temporary files left" || fail "temporary files left"
finish
