#!/bin/bash
# End-to-end: cryptographic correctness of `sertel verify` on CMS variants
# that other signers write, each made at test time by
# tests/data/pdf/pdf_cms.py (the SignedData encoded by hand in python, the
# signature value by openssl): Ed448 with SHAKE256 (RFC 8419) and Ed25519
# with SHA-512 validate, Ed448 with SHA-512 is INDETERMINATE /
# CRYPTO_CONSTRAINTS_FAILURE; signing-certificate-v2 with several
# ESSCertIDv2 entries passes when one names the signer, the old
# signing-certificate (SHA-1) is checked the same way, and one naming
# another certificate is INDETERMINATE / NO_SIGNING_CERTIFICATE_FOUND; the
# signer identified by its subjectKeyIdentifier; no signed attributes;
# plain-format ECDSA (BSI TR-03111) is INDETERMINATE, never "signature
# invalid", while a broken ECDSA value is SIG_CRYPTO_FAILURE; bytes before
# %PDF- (signed or not, as the ByteRange says); a broken /Encrypt entry
# gives a verdict, not an error exit.
. "$(dirname "$0")/lib.sh"
G="python3 $SERTEL_TEST_DATA/pdf/pdf_cms.py"
for tool in python3 jq openssl; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

# Self-signed signers, each trusted directly (no revocation to look up).
cd "$T" || exit 1
for a in ED448 ED25519; do
    openssl genpkey -algorithm $a -out $a.key 2>/dev/null
    openssl req -x509 -key $a.key -subj "/CN=Penanda $a" -days 30 \
        -addext "keyUsage=critical,digitalSignature,nonRepudiation" -out $a.crt 2>/dev/null
done
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key 2>/dev/null
openssl req -x509 -key ec.key -subj "/CN=Penanda EC" -days 30 -addext "keyUsage=critical,digitalSignature" -out ec.crt 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -subj "/CN=Penanda RSA" -days 30 \
    -addext "keyUsage=critical,digitalSignature" -out rsa.crt 2>/dev/null

V() { # V FILE TRUST: the JSON report in $T/out, the exit status in $T/rc
    "$SERTEL" --home "$T/none" verify --json --offline --trust "$2" "$1" >"$T/out" 2>"$T/err"
    echo $? >"$T/rc"
}
jqt() {
    if [ "$(jq -r "$1" "$T/out" 2>/dev/null)" = true ]; then pass "$2"; else fail "$2: $(jq -c '[.document_notes, (.signatures[] | {conclusion, sub_indication, integrity, reasons})]' "$T/out" 2>&1 | head -c 900) $(head -c 300 "$T/err")"; fi
}
case_() { # case_ NAME TRUST JQ DESCRIPTION -- generator options
    local n=$1 tr=$2 q=$3 d=$4
    shift 5
    $G "$T/$n.pdf" "$@" || { fail "$d: file not made"; return; }
    V "$T/$n.pdf" "$tr"
    jqt "$q" "$d"
}
OK='.conclusion == "TOTAL_PASSED" and .signatures[0].integrity == "valid"'

case_ ed448 ED448.crt "$OK and .signatures[0].signer.name == \"Penanda ED448\" and .signatures[0].level == \"B-B\"" \
    "Ed448 with SHAKE256 (64-byte digest, RFC 8419): valid" -- --cert ED448.crt --key ED448.key --alg ed448 --md shake256
case_ ed25519 ED25519.crt "$OK" "Ed25519 with SHA-512: valid" -- --cert ED25519.crt --key ED25519.key --alg ed25519 --md sha512
case_ ed448-sha512 ED448.crt '.signatures[0].conclusion == "INDETERMINATE" and .signatures[0].sub_indication == "CRYPTO_CONSTRAINTS_FAILURE" and .signatures[0].integrity == "valid" and (.signatures[0].reasons[0] | test("SHA512 is not allowed with Ed448"))' \
    "Ed448 with SHA-512 (not allowed): INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE" -- --cert ED448.crt --key ED448.key --alg ed448 --md sha512
# The same Ed448 signature with one changed byte of the document: the digest no longer matches.
cp "$T/ed448.pdf" "$T/ed448-flip.pdf"
printf 'X' | dd of="$T/ed448-flip.pdf" bs=1 seek=200 conv=notrunc 2>/dev/null
V "$T/ed448-flip.pdf" ED448.crt
jqt '.signatures[0].conclusion == "TOTAL_FAILED" and .signatures[0].sub_indication == "HASH_FAILURE"' "Ed448, a byte changed: HASH_FAILURE"
case_ ed448-bad ED448.crt '.signatures[0].conclusion == "TOTAL_FAILED" and .signatures[0].sub_indication == "SIG_CRYPTO_FAILURE"' \
    "Ed448 with a broken signature value: SIG_CRYPTO_FAILURE" -- --cert ED448.crt --key ED448.key --alg ed448 --md shake256 --corrupt

# signing-certificate(-v2)
case_ multi ec.crt "$OK" "signing-certificate-v2 naming the signer, then another certificate: valid" \
    -- --cert ec.crt --key ec.key --sigcert v2-multi --other rsa.crt
case_ other-first ec.crt "$OK and (.signatures[0].reasons | map(test(\"names the signer.s certificate in entry 2\")) | any)" \
    "signing-certificate-v2 naming another certificate, then the signer: valid, noted" \
    -- --cert ec.crt --key ec.key --sigcert v2-other-first --other rsa.crt
case_ v2-sha512 ec.crt "$OK" "ESSCertIDv2 with SHA-512: valid" -- --cert ec.crt --key ec.key --sigcert v2-sha512
case_ v2-wrong ec.crt '.signatures[0].conclusion == "INDETERMINATE" and .signatures[0].sub_indication == "NO_SIGNING_CERTIFICATE_FOUND"' \
    "signing-certificate-v2 naming only another certificate: NO_SIGNING_CERTIFICATE_FOUND" \
    -- --cert ec.crt --key ec.key --sigcert v2-wrong --other rsa.crt
case_ v1 ec.crt "$OK and .signatures[0].level == \"B-B\"" "old signing-certificate (SHA-1 ESSCertID, issuerSerial) naming the signer: valid" \
    -- --cert ec.crt --key ec.key --sigcert v1
case_ v1-wrong ec.crt '.signatures[0].sub_indication == "NO_SIGNING_CERTIFICATE_FOUND" and (.signatures[0].reasons[0] | test("signing-certificate attribute does not name"))' \
    "old signing-certificate naming another certificate: NO_SIGNING_CERTIFICATE_FOUND" \
    -- --cert ec.crt --key ec.key --sigcert v1-wrong --other rsa.crt

# Signer identifiers and signed attributes
case_ ski ec.crt "$OK and .signatures[0].signer.name == \"Penanda EC\"" "signer identified by subjectKeyIdentifier: found, valid" \
    -- --cert ec.crt --key ec.key --sid ski
case_ ski-ed448 ED448.crt "$OK" "Ed448 signer identified by subjectKeyIdentifier: valid" \
    -- --cert ED448.crt --key ED448.key --alg ed448 --md shake256 --sid ski
case_ noattrs rsa.crt "$OK and .signatures[0].subfilter == \"adbe.pkcs7.detached\" and (.signatures[0].reasons | map(test(\"no signed attributes\")) | any)" \
    "no signed attributes (PKCS#7 over the content's digest, RSA): valid, noted" -- --cert rsa.crt --key rsa.key --alg rsa --no-attrs
case_ noattrs-ec ec.crt "$OK" "no signed attributes (ECDSA): valid" -- --cert ec.crt --key ec.key --no-attrs
cp "$T/noattrs.pdf" "$T/noattrs-flip.pdf"
printf 'X' | dd of="$T/noattrs-flip.pdf" bs=1 seek=200 conv=notrunc 2>/dev/null
V "$T/noattrs-flip.pdf" rsa.crt
jqt '.signatures[0].conclusion == "TOTAL_FAILED" and .signatures[0].sub_indication == "SIG_CRYPTO_FAILURE"' "no signed attributes, a byte changed: TOTAL_FAILED"

# Encodings sertel cannot check are INDETERMINATE, not invalid; a bad value is invalid.
case_ plain ec.crt '.signatures[0].conclusion == "INDETERMINATE" and .signatures[0].sub_indication == "CRYPTO_CONSTRAINTS_FAILURE" and (.signatures[0].reasons[0] | test("0.4.0.127.0.7.1.1.4.1.3 is not supported"))' \
    "plain-format ECDSA: INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE, not SIG_CRYPTO_FAILURE" -- --cert ec.crt --key ec.key --alg ecdsa-plain
case_ ec-bad ec.crt '.signatures[0].conclusion == "TOTAL_FAILED" and .signatures[0].sub_indication == "SIG_CRYPTO_FAILURE"' \
    "ECDSA with a broken signature value: SIG_CRYPTO_FAILURE" -- --cert ec.crt --key ec.key --corrupt

# Bytes before %PDF-: readers skip them; the /ByteRange says whether they are signed.
case_ junk ec.crt "$OK and (.document_notes | map(test(\"300 bytes precede the %PDF- header\")) | any)" \
    "300 bytes before %PDF-, not counted by the ByteRange: valid, noted" -- --cert ec.crt --key ec.key --junk 300
printf 'Y' | dd of="$T/junk.pdf" bs=1 seek=5 conv=notrunc 2>/dev/null
V "$T/junk.pdf" ec.crt
jqt "$OK" "bytes before %PDF- not signed: changing them changes nothing"
case_ junk-signed ec.crt "$OK and (.signatures[0].reasons | map(test(\"counts the 300 bytes before %PDF-: they are signed\")) | any)" \
    "300 bytes before %PDF- counted by the ByteRange: valid, they are signed" -- --cert ec.crt --key ec.key --junk 300 --junk-signed
printf 'Y' | dd of="$T/junk-signed.pdf" bs=1 seek=5 conv=notrunc 2>/dev/null
V "$T/junk-signed.pdf" ec.crt
jqt '.signatures[0].sub_indication == "HASH_FAILURE"' "signed bytes before %PDF- changed: HASH_FAILURE"

# A broken /Encrypt entry: a verdict (the signature over those bytes), not an error exit.
case_ enc ec.crt "$OK and (.document_notes | map(test(\"/Encrypt entry is broken\")) | any)" \
    "/Encrypt [] in the signed revision: valid, the broken entry named" -- --cert ec.crt --key ec.key --trailer "/Encrypt []"
[ "$(cat "$T/rc")" = 0 ] && pass "broken /Encrypt: exit 0" || fail "broken /Encrypt: exit $(cat "$T/rc")"
python3 - "$T/multi.pdf" "$T/enc-later.pdf" <<'PY'
import re, sys
d = open(sys.argv[1], 'rb').read()
sx = int(re.findall(rb'startxref\s+(\d+)', d)[-1])
d += b'xref\n0 0\ntrailer\n<< /Size 8 /Root 1 0 R /Prev %d /Encrypt 12 >>\nstartxref\n%d\n%%%%EOF\n' % (sx, len(d))
open(sys.argv[2], 'wb').write(d)
PY
V "$T/enc-later.pdf" ec.crt
[ "$(cat "$T/rc")" = 1 ] && pass "/Encrypt 12 added later: exit 1, a verdict" || fail "/Encrypt added later: exit $(cat "$T/rc") $(cat "$T/err")"
jqt '.conclusion == "TOTAL_FAILED" and (.document_notes | map(test("/Encrypt entry is broken")) | any)' "/Encrypt added later: TOTAL_FAILED, the broken entry named"
finish
