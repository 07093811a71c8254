#!/bin/bash
# End-to-end: `sertel verify` on PDFs signed by `sertel sign` (B-B, B-T,
# twice) and on attacked copies built by the test from a correctly signed
# file (byte flip, Universal Signature Forgery variants, incremental
# saving, a new annotation, duplicate objects, signature wrapping with the
# second range moved); form fields filled in under DocMDP P=1/2/3 and
# FieldMDP locks (tests/data/pdf/pdf_form.py); the revocation of a document
# time-stamp's TSA (good, revoked, unknown); findings in Indonesian and
# English; detached .p7s; trust from --home / --trust only; JSON checked
# with jq; exit codes 0/1/2.
. "$(dirname "$0")/lib.sh"
D=$SERTEL_TEST_DATA
ATK="python3 $D/pdf/pdf_attack.py"
FORM="python3 $D/pdf/pdf_form.py"
for tool in python3 jq openssl; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

FUZZ=${SERTEL_BUILD:?run through ctest, which sets SERTEL_BUILD}/http_fuzz
[ -x "$FUZZ" ] || { echo "missing $FUZZ: build the http_fuzz target"; exit 1; }
# The home's OCSP responder and CRLs are served on a loopback port (online
# revocation checks); the server is killed whatever happens to the test.
PORT=$("$FUZZ" free-port)
URL=http://127.0.0.1:$PORT
H=$T/home
new_home "$H" --base-url "$URL"
start_serve serve "$H" --listen "127.0.0.1:$PORT" || exit 1
"$SERTEL" --home "$H" ca export --root >"$T/root.pem"
"$SERTEL" --home "$H" ca export --issuing >"$T/issuing.pem"
printf 'p12 secret\n' >"$T/p12pw"
make_csr ec-p256 budi "$T/budi"
"$SERTEL" --home "$H" cert issue --csr "$T/budi.csr" --profile document-signing >"$T/budi.crt" ||
    { echo "issue failed"; exit 1; }
cat "$T/issuing.pem" "$T/root.pem" >"$T/chain.pem"
openssl pkcs12 -export -inkey "$T/budi.key" -in "$T/budi.crt" -certfile "$T/chain.pem" \
    -passout file:"$T/p12pw" -out "$T/budi.p12"

sign() { # sign IN OUT [extra options]
    local in=$1 out=$2
    shift 2
    "$SERTEL" --home "$H" sign --p12 "$T/budi.p12" --p12-password-file "$T/p12pw" "$@" "$in" "$out" >/dev/null
}
V() { "$SERTEL" --home "$H" verify "$@"; }
# jqt FILE FILTER DESCRIPTION: the jq filter must yield true.
jqt() {
    if [ "$(jq -r "$2" "$1" 2>/dev/null)" = true ]; then pass "$3"; else fail "$3: $(jq -c "$2" "$1" 2>&1 | head -c 300) in $(head -c 1500 "$1")"; fi
}

L=$D/letter.pdf
sign "$L" "$T/bb.pdf" --reason Persetujuan --location Jakarta || fail "sign B-B"
sign "$L" "$T/bt.pdf" --level B-T || fail "sign B-T"
sign "$T/bb.pdf" "$T/twice.pdf" --level B-T || fail "sign twice"

# Valid signatures.
expect_exit 0 "B-B verifies" -- V "$T/bb.pdf"
expect_grep "Tanda tangan 1: VALID" "$T/out" "B-B: Indonesian report says VALID"
expect_grep "Dokumen tidak berubah sejak ditandatangani" "$T/out" "B-B: document unchanged"
expect_grep "Penanda tangan: budi" "$T/out" "B-B: signer named"
expect_grep "Waktu penandatanganan \(klaim\)" "$T/out" "B-B: claimed time reported as claimed"
expect_exit 0 "B-T verifies" -- V --json "$T/bt.pdf"
cp "$T/out" "$T/bt.json"
jqt "$T/bt.json" '.conclusion == "TOTAL_PASSED" and (.signatures|length) == 1' "B-T: TOTAL_PASSED"
jqt "$T/bt.json" '.signatures[0].level == "B-T" and (.signatures[0].timestamp.time|test("^20[0-9-]+T"))' "B-T: level B-T with a time-stamp time"
jqt "$T/bt.json" '.signatures[0] | has("conclusion") and has("sub_indication") and has("integrity") and has("covers_whole_document") and has("modified_after_signing") and has("changes") and has("signer") and has("claimed_signing_time") and has("timestamp") and has("level") and has("certificate_status") and has("reasons")' "JSON: per-signature fields present"
jqt "$T/bt.json" '.signatures[0].signer | has("name") and has("subject") and has("issuer") and has("serial")' "JSON: signer fields present"
jqt "$T/bt.json" '.signatures[0].covers_whole_document == true and .signatures[0].modified_after_signing == false and .signatures[0].integrity == "valid"' "JSON: covers the whole document, not modified"
jqt "$T/bt.json" '.summary == "DOCUMENT VALID !!!" and .jumlah_signature == 1 and (.details[0].info_signer.signer_name == "budi") and .details[0].signature_document.signed_using_tsa == true and .details[0].signature_document.document_integrity == true' "JSON: BSrE-compatible fields"
jqt "$T/bt.json" '.signatures[0].timestamp.tsa|test("Time-Stamping")' "JSON: TSA named"
# hash_value, signature_value and the validity periods, against independent readings:
# SHA-256 over the ByteRange (python), the CMS's signature value (openssl cms -cmsout
# -print), the certificates' dates (openssl x509).
python3 - "$T/bt.pdf" "$T/bt.json" "$T/bt-sig.der" <<'PY' && pass "JSON: hash_value is the SHA-256 over the ByteRange" || fail "JSON: hash_value"
import hashlib, json, re, sys
d = open(sys.argv[1], "rb").read()
a, b, c, e = map(int, re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", d).groups())
open(sys.argv[3], "wb").write(bytes.fromhex(d[b + 1:c - 1].decode()))
h = hashlib.sha256(d[a:a + b] + d[c:c + e]).hexdigest()
r = json.load(open(sys.argv[2]))
assert r["signatures"][0]["hash_value"] == h == r["details"][0]["signature_document"]["hash_value"], h
PY
sigval=$(openssl cms -cmsout -print -inform DER -in "$T/bt-sig.der" 2>/dev/null | python3 -c '
import re, sys
t = sys.stdin.read()
m = re.search(r"signature:\s*\n((?:\s+[0-9a-f]{4} - .*\n)+)", t)
print("".join(re.findall(r"((?:[0-9a-f]{2}[ -]){1,16})", "".join(l.split(" - ", 1)[1][:48] for l in m.group(1).splitlines()))).replace(" ", "").replace("-", ""))' 2>/dev/null)
jqt "$T/bt.json" ".signatures[0].signature_value == \"$sigval\" and .details[0].signature_document.signature_value == \"$sigval\"" "JSON: signature_value is the CMS signature value (openssl cms -print)"
nb=$(date -u -d "$(openssl x509 -in "$T/budi.crt" -noout -startdate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
na=$(date -u -d "$(openssl x509 -in "$T/budi.crt" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
jqt "$T/bt.json" ".signatures[0].signer.not_before == \"$nb\" and .signatures[0].signer.not_after == \"$na\" and .details[0].info_signer.signer_cert_validity == \"$nb - $na\"" "JSON: the signer certificate's validity (openssl x509)"
"$SERTEL" --home "$H" ca export --tsa >"$T/tsa.pem"
tnb=$(date -u -d "$(openssl x509 -in "$T/tsa.pem" -noout -startdate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
tna=$(date -u -d "$(openssl x509 -in "$T/tsa.pem" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
jqt "$T/bt.json" ".signatures[0].timestamp.tsa_not_after == \"$tna\" and .details[0].info_tsa.tsa_cert_validity == \"$tnb - $tna\" and (.details[0].info_tsa.name|test(\"Time-Stamping\"))" "JSON: info_tsa with the TSA certificate's validity"
jqt "$T/bt.json" '.signatures[0].revocation == "good" and .signatures[0].revocation_source == "online OCSP"' "B-T: revocation good from online OCSP"
jqt "$T/bt.json" '[.signatures[0].chain_revocation[] | .role] == ["signer","ca","tsa"] or ([.signatures[0].chain_revocation[] | .status] | all(. == "good"))' "B-T: the signer's and the TSA's chains checked"
jqt "$T/bt.json" '[.signatures[0].chain_revocation[] | .status == "good"] | all' "B-T: every certificate of both chains good"

expect_exit 0 "signed twice verifies" -- V --json "$T/twice.pdf"
cp "$T/out" "$T/twice.json"
jqt "$T/twice.json" '(.signatures|length) == 2 and .signatures[0].level == "B-B" and .signatures[1].level == "B-T"' "twice: B-B then B-T"
jqt "$T/twice.json" '.signatures[0].covers_whole_document == false and .signatures[0].modified_after_signing == false and (.signatures[0].harmless_changes|length) > 0 and .signatures[1].covers_whole_document == true' "twice: first signature covers a revision, later changes harmless"
jqt "$T/twice.json" '.signatures[0].reason == "Persetujuan" and .signatures[0].location == "Jakarta"' "twice: reason and location"
# Text strings in the report: UTF-16BE with a surrogate pair (as sertel writes
# a non-ASCII reason) and PDFDocEncoding (0x84 em dash, 0x92 trade mark, 0xE9
# e acute, put in place of same-length ASCII: the signature then fails, the
# reason is still read).
sign "$L" "$T/utf.pdf" --reason "Setuju – ok ✓ 😀" || fail "sign with a non-ASCII reason"
V --json "$T/utf.pdf" >"$T/out"
jqt "$T/out" '.signatures[0].reason == "Setuju – ok ✓ 😀"' "reason in UTF-16BE, with a character beyond the BMP, read back"
python3 - "$T/bb.pdf" "$T/docenc.pdf" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
assert d.count(b"(Persetujuan)") == 1
open(sys.argv[2], "wb").write(d.replace(b"(Persetujuan)", b"(Pers\x84tuju\x92\xe9)"))
PY
V --json "$T/docenc.pdf" >"$T/out"
jqt "$T/out" '.signatures[0].reason == "Pers—tuju™é" and .signatures[0].conclusion == "TOTAL_FAILED"' "reason in PDFDocEncoding read (and the changed bytes fail the signature)"
# Legacy SubFilters. adbe.pkcs7.sha1 (ISO 32000-1 §12.8.3.3.1): the CMS
# carries the SHA-1 digest of the ByteRange and signs that; made here with
# `openssl cms -sign -nodetach` over the digest python computed (CMS digest
# SHA-1 and SHA-256). Integrity is checked (a change fails) but SHA-1 binds
# the document: INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE_NO_POE.
legacy() { # legacy SUBFILTER MD OUT: bb.pdf re-signed under SUBFILTER by openssl
    python3 - "$T/bb.pdf" "$3" "$1" "$2" "$T/budi.crt" "$T/budi.key" "$T/chain.pem" <<'PY'
import hashlib, re, subprocess, sys
src, dst, sf, md, crt, key, chain = sys.argv[1:8]
d = bytearray(open(src, "rb").read())
old = b"/SubFilter /ETSI.CAdES.detached"
new = b"/SubFilter /" + sf.encode()
assert d.count(old) == 1 and len(new) <= len(old)
k = d.find(old)
d[k:k + len(old)] = new + b" " * (len(old) - len(new))
a, b, c, e = map(int, re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", d).groups())
dig = hashlib.sha1(bytes(d[a:a + b]) + bytes(d[c:c + e])).digest()
sig = subprocess.run(["openssl", "cms", "-sign", "-binary", "-nodetach", "-md", md, "-signer", crt,
                      "-inkey", key, "-certfile", chain, "-outform", "DER"], input=dig,
                     stdout=subprocess.PIPE, check=True).stdout
h = sig.hex().encode()
assert d[b] == ord("<") and len(h) <= c - b - 2
d[b + 1:c - 1] = h + b"0" * (c - b - 2 - len(h))
open(dst, "wb").write(d)
PY
}
for md in sha1 sha256; do
    legacy adbe.pkcs7.sha1 $md "$T/sha1-$md.pdf" || { fail "could not make the adbe.pkcs7.sha1 file ($md)"; continue; }
    V --json "$T/sha1-$md.pdf" >"$T/out"
    jqt "$T/out" '.signatures[0].subfilter == "adbe.pkcs7.sha1" and .signatures[0].integrity == "valid" and .signatures[0].conclusion == "INDETERMINATE" and .signatures[0].sub_indication == "CRYPTO_CONSTRAINTS_FAILURE_NO_POE" and (.signatures[0].reasons[0]|test("binds the document with SHA-1"))' "adbe.pkcs7.sha1 (CMS $md): integrity valid, INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
    $ATK flip "$T/sha1-$md.pdf" "$T/sha1-$md-flip.pdf"
    V --json "$T/sha1-$md-flip.pdf" >"$T/out"
    jqt "$T/out" '.signatures[0].conclusion == "TOTAL_FAILED" and .signatures[0].sub_indication == "HASH_FAILURE" and (.signatures[0].reasons[0]|test("SHA-1 digest in the signature .* does not match"))' "adbe.pkcs7.sha1 (CMS $md), a byte changed: TOTAL_FAILED / HASH_FAILURE"
done
# pdfsig agrees on the SHA-1 CMS form (what Acrobat wrote). With a SHA-256 CMS
# poppler 22.12 hashes the ranges with SHA-256 rather than taking the SHA-1
# digest ISO 32000-1 §12.8.3.3.1 puts in the content, so it is not compared there.
if command -v pdfsig >/dev/null; then
    make_nss "$T/nss" "$T/root.pem"
    pdfsig -nssdir "sql:$T/nss" -no-ocsp "$T/sha1-sha1.pdf" >"$T/pdfsig.out" 2>&1
    expect_grep "Signature is Valid" "$T/pdfsig.out" "adbe.pkcs7.sha1: pdfsig finds the same signature value valid"
fi
V --lang id "$T/sha1-sha1.pdf" >"$T/out"
expect_grep "mengikat dokumen dengan SHA-1" "$T/out" "adbe.pkcs7.sha1: the reason in Indonesian"
legacy adbe.x509.rsa_sha1 sha1 "$T/rsa-sha1.pdf"
V --json "$T/rsa-sha1.pdf" >"$T/out"
jqt "$T/out" '.signatures[0].conclusion == "INDETERMINATE" and .signatures[0].sub_indication == "FORMAT_FAILURE" and (.signatures[0].reasons[0]|test("adbe.x509.rsa_sha1 .* not supported"))' "adbe.x509.rsa_sha1: INDETERMINATE, not supported (never passed)"
expect_exit 0 "English report" -- V --lang en "$T/twice.pdf"
expect_grep "Signature 1: VALID" "$T/out" "English: Signature 1: VALID"
expect_grep "Document conclusion: VALID" "$T/out" "English: document conclusion"

# Trust: nothing trusted without the home or --trust.
mkdir -p "$T/elsewhere"
( cd "$T/elsewhere" && SERTEL_HOME= "$SERTEL" verify --json "$T/bt.pdf" >"$T/notrust.json" 2>"$T/err"; echo $? >"$T/rc" )
[ "$(cat "$T/rc")" = 1 ] && pass "no trust anchor: exit 1" || fail "no trust anchor: exit $(cat "$T/rc")"
jqt "$T/notrust.json" '.conclusion == "INDETERMINATE" and .signatures[0].sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"' "no trust anchor: INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND"
# Without the home, its server on loopback is reached only when allowed (test_fetch_rules.sh).
( cd "$T/elsewhere" && SERTEL_HOME= "$SERTEL" verify --trust "$T/root.pem" --fetch-allow "$URL" "$T/bt.pdf" >/dev/null 2>&1; echo $? >"$T/rc" )
[ "$(cat "$T/rc")" = 0 ] && pass "--trust root.pem: exit 0" || fail "--trust root.pem: exit $(cat "$T/rc")"

# The home's root is read from certs/root.pem alone: no database, keys or audit log opened.
mkdir -p "$T/thin/certs" && cp "$H/certs/root.pem" "$T/thin/certs/"
expect_exit 0 "a home holding only certs/root.pem is the trust anchor" -- "$SERTEL" --home "$T/thin" verify --json --fetch-allow "$URL" "$T/bt.pdf"
cp "$T/out" "$T/thin.json"
V --json "$T/bt.pdf" >"$T/full.json" 2>/dev/null
jq -S 'del(.file, .validation_time)' "$T/thin.json" >"$T/a.json"; jq -S 'del(.file, .validation_time)' "$T/full.json" >"$T/b.json"
cmp -s "$T/a.json" "$T/b.json" && pass "the same report as with the whole home" || fail "reports differ: $(diff "$T/a.json" "$T/b.json" | head -5)"

# Integrity: one byte flipped inside the signed range.
$ATK flip "$T/bt.pdf" "$T/flip.pdf"
expect_exit 1 "flipped byte: not valid" -- V --json "$T/flip.pdf"
cp "$T/out" "$T/flip.json"
jqt "$T/flip.json" '.signatures[0].conclusion == "TOTAL_FAILED" and .signatures[0].sub_indication == "HASH_FAILURE"' "flipped byte: TOTAL_FAILED / HASH_FAILURE"

# Incremental saving: new page content after signing; a new annotation.
for m in append-content:"content of page 1 changed" append-annot:"page 1: annotations changed"; do
    mode=${m%%:*} msg=${m#*:}
    $ATK "$mode" "$T/bt.pdf" "$T/$mode.pdf"
    expect_exit 1 "$mode: not valid" -- V --json "$T/$mode.pdf"
    cp "$T/out" "$T/$mode.json"
    jqt "$T/$mode.json" '.signatures[0].modified_after_signing == true and .signatures[0].conclusion != "TOTAL_PASSED" and .signatures[0].integrity == "modified"' "$mode: modified_after_signing, not passed"
    jqt "$T/$mode.json" ".signatures[0].changes | map(test(\"$msg\")) | any" "$mode: change named '$msg'"
    jqt "$T/$mode.json" '.summary == "DOCUMENT NOT VALID !!!"' "$mode: BSrE summary NOT VALID"
done
expect_exit 1 "append-content: Indonesian text names the change" -- V "$T/append-content.pdf"
expect_grep "Dokumen DIUBAH setelah ditandatangani" "$T/out" "append-content: text says changed"
# Findings in the report's language: Indonesian by default, English with --lang en; JSON both.
expect_grep "^    - isi halaman 1 diubah \(objek [0-9]+\)" "$T/out" "append-content: the change in Indonesian"
expect_grep "^    - dokumen diubah setelah tanda tangan ini: isi halaman 1 diubah" "$T/out" "append-content: the reason in Indonesian"
expect_no_grep "content of page|the document was changed" "$T/out" "append-content: no English finding in the Indonesian report"
expect_exit 1 "append-content: English text" -- V --lang en "$T/append-content.pdf"
expect_grep "^    - content of page 1 changed \(object [0-9]+\)" "$T/out" "append-content: the change in English"
expect_no_grep "isi halaman" "$T/out" "append-content: no Indonesian finding in the English report"
jqt "$T/append-content.json" '(.signatures[0].changes[0]|test("^content of page 1 changed")) and (.signatures[0].changes_id[0]|test("^isi halaman 1 diubah")) and (.signatures[0].reasons|length) == (.signatures[0].reasons_id|length) and (.signatures[0].harmless_changes_id|length) == (.signatures[0].harmless_changes|length)' "append-content: JSON changes in English, changes_id / reasons_id in Indonesian"

# Universal Signature Forgery variants: a clear failure, never a pass or a crash.
for m in usf-empty:"gap of /ByteRange is not the /Contents" usf-null:"gap of /ByteRange is not the /Contents" \
    usf-nocontents:"no /Contents" usf-br3:"exactly 4 numbers" usf-beyond:"beyond the end of the file" \
    usf-nobr:"no /ByteRange"; do
    mode=${m%%:*} msg=${m#*:}
    $ATK "$mode" "$T/bt.pdf" "$T/$mode.pdf"
    expect_exit 1 "$mode: not valid" -- V --json "$T/$mode.pdf"
    cp "$T/out" "$T/$mode.json"
    jqt "$T/$mode.json" ".conclusion == \"TOTAL_FAILED\" and .signatures[0].sub_indication == \"FORMAT_FAILURE\" and (.signatures[0].reasons[0]|test(\"$msg\"))" "$mode: TOTAL_FAILED / FORMAT_FAILURE, '$msg'"
done

# Duplicate object numbers within one revision. Signed afterwards: the
# signature covers both definitions, a warning naming the object, not a
# failure by itself. In a revision after the signature: readers may show
# the other definition, a change that is not permitted.
$ATK dup "$L" "$T/dup0.pdf"
sign "$T/dup0.pdf" "$T/dup.pdf" || fail "sign dup"
expect_exit 0 "duplicate objects in the signed revision: a warning, valid" -- V --json "$T/dup.pdf"
cp "$T/out" "$T/dup.json"
dupnum=$(python3 -c 'import re,sys; d=open(sys.argv[1],"rb").read(); import collections; c=collections.Counter(re.findall(rb"(?<![0-9])(\d+) 0 obj", d)); print([int(k) for k,v in c.items() if v > 1][0])' "$T/dup0.pdf")
jqt "$T/dup.json" ".conclusion == \"TOTAL_PASSED\" and (.signatures[0].reasons|map(test(\"object $dupnum is defined twice in a signed revision\"))|any) and (.document_notes|map(test(\"object $dupnum is defined twice\"))|any)" "duplicate objects in the signed revision: object $dupnum named in a note"
$ATK dup "$T/bt.pdf" "$T/dup-after.pdf"
expect_exit 1 "duplicate objects after signing: not valid" -- V --json "$T/dup-after.pdf"
jqt "$T/out" '.signatures[0].conclusion == "TOTAL_FAILED" and .signatures[0].modification_level == "other" and (.signatures[0].changes|map(test("defined twice in a revision after this signature"))|any)' "duplicate objects after signing: TOTAL_FAILED, level other, named"

# Unsigned PDF: exit 1; garbage / missing file: exit 2.
expect_exit 1 "unsigned PDF: exit 1" -- V "$L"
echo "not a pdf" >"$T/np.pdf"
expect_exit 2 "garbage file: exit 2" -- V "$T/np.pdf"
expect_exit 2 "missing file: exit 2" -- V "$T/nope.pdf"
expect_exit 2 "usage error: exit 2" -- V
expect_exit 2 "bad --lang: exit 2" -- V --lang fr "$T/bt.pdf"

# Detached CMS.
head -c 300000 /dev/urandom >"$T/blob.bin"
"$SERTEL" --home "$H" sign --detached --p12 "$T/budi.p12" --p12-password-file "$T/p12pw" --level B-T \
    "$T/blob.bin" "$T/blob.p7s" >/dev/null || fail "sign detached"
expect_exit 0 "detached: verifies" -- V --json --detached "$T/blob.p7s" "$T/blob.bin"
cp "$T/out" "$T/det.json"
jqt "$T/det.json" '.conclusion == "TOTAL_PASSED" and .type == "cms-detached" and .signatures[0].level == "B-T"' "detached: TOTAL_PASSED, B-T"
openssl cms -sign -binary -in "$T/blob.bin" -signer "$T/budi.crt" -inkey "$T/budi.key" -certfile "$T/issuing.pem" \
    -outform DER -out "$T/ossl.p7s" -md sha256 2>/dev/null
expect_exit 0 "detached by openssl cms -sign: verifies" -- V --detached "$T/ossl.p7s" "$T/blob.bin"
# Without signed attributes (openssl cms -noattr): the value is over the content's digest
# (RFC 5652 §5.4), with an ECDSA key and with an RSA key; a changed byte fails.
openssl cms -sign -binary -noattr -in "$T/blob.bin" -signer "$T/budi.crt" -inkey "$T/budi.key" \
    -certfile "$T/issuing.pem" -outform DER -out "$T/noattr.p7s" -md sha256 2>/dev/null
expect_exit 0 "detached without signed attributes (ECDSA): verifies" -- V --json --detached "$T/noattr.p7s" "$T/blob.bin"
jqt "$T/out" '.signatures[0].integrity == "valid" and .signatures[0].conclusion == "TOTAL_PASSED" and (.signatures[0].reasons|map(test("no signed attributes"))|any)' "no signed attributes: valid, noted"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/rsa.key" -out "$T/rsa.crt" -subj "/CN=RSA Penanda" \
    -days 3 -addext "keyUsage=critical,digitalSignature,nonRepudiation" 2>/dev/null
openssl cms -sign -binary -noattr -in "$T/blob.bin" -signer "$T/rsa.crt" -inkey "$T/rsa.key" \
    -outform DER -out "$T/noattr-rsa.p7s" -md sha256 2>/dev/null
"$SERTEL" verify --json --offline --trust "$T/rsa.crt" --detached "$T/noattr-rsa.p7s" "$T/blob.bin" >"$T/out"
jqt "$T/out" '.signatures[0].integrity == "valid" and .signatures[0].conclusion == "TOTAL_PASSED"' "no signed attributes (RSA, self-signed and trusted): valid"
cp "$T/blob.bin" "$T/blob2.bin"
printf 'x' | dd of="$T/blob2.bin" bs=1 seek=1000 conv=notrunc 2>/dev/null
"$SERTEL" verify --json --offline --trust "$T/rsa.crt" --detached "$T/noattr-rsa.p7s" "$T/blob2.bin" >"$T/out"
jqt "$T/out" '.signatures[0].conclusion == "TOTAL_FAILED" and .signatures[0].sub_indication == "SIG_CRYPTO_FAILURE"' "no signed attributes, a byte changed: TOTAL_FAILED"
# A PDF signed by another producer: poppler's pdfsig (NSS; adbe.pkcs7.detached, BER-encoded CMS).
mkdir -p "$T/pnss"
certutil -N -d "sql:$T/pnss" --empty-password
# (poppler 22.12's signer fails, "unable update signature", when the PKCS#12
# also carries the root: give it the issuing CA only; the root is added with trust.)
# Its signature space is fixed and small: a signer with short names keeps
# the CMS inside it.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/pop.key" 2>/dev/null
openssl req -new -key "$T/pop.key" -subj "/C=ID/O=P/CN=P" -addext "subjectAltName=email:p@p.id" \
    -out "$T/pop.csr" 2>/dev/null
"$SERTEL" --home "$H" cert issue --csr "$T/pop.csr" --profile document-signing >"$T/pop.crt"
openssl pkcs12 -export -inkey "$T/pop.key" -in "$T/pop.crt" -certfile "$T/issuing.pem" \
    -passout file:"$T/p12pw" -out "$T/budi-nss.p12"
pk12util -i "$T/budi-nss.p12" -d "sql:$T/pnss" -w "$T/p12pw" >/dev/null 2>&1
certutil -A -d "sql:$T/pnss" -n root -t "CT,C,C" -i "$T/root.pem"
nick=$(certutil -L -d "sql:$T/pnss" | awk '/u,u,u/ { $NF = ""; sub(/ +$/, ""); print; exit }')
pdfsig -add-signature -nssdir "sql:$T/pnss" -nick "$nick" "$L" "$T/poppler.pdf" >/dev/null 2>&1
if [ -s "$T/poppler.pdf" ]; then
    pdfsig -nssdir "sql:$T/pnss" -no-ocsp "$T/poppler.pdf" >"$T/poppler.txt" 2>&1
    V --json "$T/poppler.pdf" >"$T/poppler.json" 2>"$T/poppler.err"
    prc=$?
    jqt "$T/poppler.json" '.signatures[0].signer.name == "P"' "poppler-signed: its BER-encoded CMS is read (signer named)"
    # poppler 22.12's signer sometimes writes a digest that does not match (PLATFORM.md):
    # whatever pdfsig concludes about its own file, sertel must agree.
    if grep -q "Signature is Valid" "$T/poppler.txt"; then
        [ "$prc" = 0 ] && pass "poppler-signed, valid for pdfsig: valid for sertel" || fail "poppler-signed: sertel disagrees (exit $prc)"
        jqt "$T/poppler.json" '.signatures[0].integrity == "valid" and .signatures[0].conclusion == "TOTAL_PASSED"' "poppler-signed: integrity valid, TOTAL_PASSED"
    else
        expect_grep "Digest Mismatch" "$T/poppler.txt" "pdfsig: its own file has a digest mismatch"
        [ "$prc" = 1 ] && pass "poppler-signed with a bad digest: sertel agrees it is not valid" || fail "poppler-signed: exit $prc"
        jqt "$T/poppler.json" '.signatures[0].sub_indication == "HASH_FAILURE"' "poppler-signed: HASH_FAILURE, as pdfsig says"
    fi
else
    fail "pdfsig -add-signature produced no file"
fi

printf 'x' >>"$T/blob.bin"
expect_exit 1 "detached: altered data fails" -- V --json --detached "$T/blob.p7s" "$T/blob.bin"
cp "$T/out" "$T/det2.json"
jqt "$T/det2.json" '.signatures[0].sub_indication == "HASH_FAILURE"' "detached: HASH_FAILURE"
expect_exit 1 "detached: a garbage signature file fails" -- V --json --detached "$T/np.pdf" "$T/blob.bin"
jqt "$T/out" '.signatures[0].sub_indication == "FORMAT_FAILURE"' "detached: garbage signature is FORMAT_FAILURE"
# Signature Wrapping: the gap must be exactly the /Contents string, the ranges must not overlap.
# wrap-move: the second signed range relocated, unsigned objects in between (Mladenov et al. 2019).
for m in wrap-gap:"gap of /ByteRange is not the /Contents" wrap-overlap:"out of order, overlap" \
    wrap-move:"unsigned bytes lie between the signature value .* the signed bytes were moved .*Signature Wrapping"; do
    mode=${m%%:*} msg=${m#*:}
    $ATK "$mode" "$T/bt.pdf" "$T/$mode.pdf"
    expect_exit 1 "$mode: not valid" -- V --json "$T/$mode.pdf"
    jqt "$T/out" ".conclusion == \"TOTAL_FAILED\" and .signatures[0].sub_indication == \"FORMAT_FAILURE\" and (.signatures[0].reasons[0]|test(\"$msg\"))" "$mode: TOTAL_FAILED / FORMAT_FAILURE, '$msg'"
done
expect_exit 1 "wrap-move: Indonesian text" -- V "$T/wrap-move.pdf"
expect_grep "bita yang ditandatangani dipindahkan .*\(Signature Wrapping\)" "$T/out" "wrap-move: the reason in Indonesian"
# Shadow attacks: hide-and-replace (a hidden stream in the signed revision switched on
# later), replace (an object in use redefined), and a page added.
$ATK shadow-prep "$L" "$T/shadow0.pdf"
sign "$T/shadow0.pdf" "$T/shadow1.pdf" --level B-T || fail "sign shadow"
expect_exit 0 "shadow: the signed file with a hidden object verifies" -- V "$T/shadow1.pdf"
$ATK shadow-switch "$T/shadow1.pdf" "$T/shadow-switch.pdf"
$ATK replace-font "$T/bt.pdf" "$T/replace-font.pdf"
$ATK add-page "$T/bt.pdf" "$T/add-page.pdf"
for m in shadow-switch:"page 1 changed: /Contents" replace-font:"Font changed" add-page:"page count changed from 1 to 2"; do
    mode=${m%%:*} msg=${m#*:}
    expect_exit 1 "$mode: not valid" -- V --json "$T/$mode.pdf"
    cp "$T/out" "$T/$mode.json"
    jqt "$T/$mode.json" '.signatures[0].modified_after_signing == true and .signatures[0].conclusion == "TOTAL_FAILED"' "$mode: modified_after_signing, TOTAL_FAILED"
    jqt "$T/$mode.json" ".signatures[0].changes | map(test(\"$msg\")) | any" "$mode: change named '$msg'"
done

# Certification (DocMDP): the permissions P apply to every later revision.
for p in 1 2 3; do sign "$L" "$T/cert$p.pdf" --certify $p || fail "sign --certify $p"; done
expect_exit 0 "certified P=2 verifies" -- V --json "$T/cert2.pdf"
jqt "$T/out" '.certification.permissions == 2 and .signatures[0].certification.permissions == 2' "certified: certification.permissions in JSON"
expect_exit 0 "certified P=1: Indonesian text" -- V "$T/cert1.pdf"
expect_grep "Tanda tangan sertifikasi \(DocMDP P=1\): tidak ada perubahan" "$T/out" "certified: Indonesian certification line"
expect_exit 0 "certified P=3: English text" -- V --lang en "$T/cert3.pdf"
expect_grep "Certification signature \(DocMDP P=3\)" "$T/out" "certified: English certification line"
expect_exit 0 "not certified: certification null" -- V --json "$T/bb.pdf"
jqt "$T/out" '.certification == null and .signatures[0].certification == null' "not certified: certification null"
# P=3 then a second (invisible) signature by sertel sign: permitted. (On P=2
# sertel signs only into an empty signature field the document has: cert2 has none.)
expect_exit 2 "sign refuses a new signature field on a P=2 document" -- sign "$T/cert2.pdf" "$T/cert2-signed.pdf"
sign "$T/cert3.pdf" "$T/cert3-signed.pdf" || fail "sign a P=3 certified file"
expect_exit 0 "P=3 then a second signature: verifies" -- V --json "$T/cert3-signed.pdf"
jqt "$T/out" '(.signatures|length) == 2 and .signatures[0].certification.permissions == 3 and .signatures[0].modified_after_signing == false and (.signatures[0].harmless_changes|length) > 0' "P=3 then signed: certification kept, changes permitted"
# P=1 at B-LTA: the DSS and document time-stamp revisions are tolerated.
if sign "$L" "$T/cert1-lta.pdf" --certify 1 --level B-LTA 2>/dev/null; then
    expect_exit 0 "P=1 B-LTA (DSS + document time-stamp after certification): verifies" -- V --json --offline "$T/cert1-lta.pdf"
    jqt "$T/out" '.certification.permissions == 1 and .signatures[0].level == "B-LTA" and .signatures[0].modified_after_signing == false' "P=1 B-LTA: DSS and document time-stamp permitted"
else
    fail "sign --certify 1 --level B-LTA"
fi
# P=3 then a sticky note (Text annotation): permitted.
$ATK annot-text "$T/cert3.pdf" "$T/cert3-text.pdf"
expect_exit 0 "P=3 then a Text annotation: verifies" -- V --json "$T/cert3-text.pdf"
jqt "$T/out" '.signatures[0].modified_after_signing == false and (.signatures[0].harmless_changes|map(test("comment annotation added: a Text annotation"))|any) and .signatures[0].modification_level == "annotations"' "P=3 then a Text annotation: listed as permitted, level annotations"
# Violations: the certification signature fails with the change named.
$ATK append-annot "$T/cert1.pdf" "$T/cert1-annot.pdf"
$ATK append-annot "$T/cert2.pdf" "$T/cert2-freetext.pdf"
$ATK annot-text "$T/cert2.pdf" "$T/cert2-text.pdf"
$ATK append-annot "$T/cert3.pdf" "$T/cert3-freetext.pdf"
$ATK annot-stamp "$T/cert3.pdf" "$T/cert3-stamp.pdf"
$ATK sneaky-sig "$T/cert2.pdf" "$T/cert2-sneaky.pdf"
for m in cert1-annot:"DocMDP P=1.*FreeText annotation" cert2-freetext:"DocMDP P=2.*FreeText annotation" \
    cert2-text:"DocMDP P=2.*Text annotation" cert3-freetext:"DocMDP P=3.*FreeText annotation.*Evil Annotation" \
    cert3-stamp:"DocMDP P=3.*Stamp annotation.*Evil Annotation" \
    cert2-sneaky:"DocMDP P=2.*new signature field.*visible appearance at \\\\[50 600 550 800\\\\].*Sneaky Signature"; do
    mode=${m%%:*} msg=${m#*:}
    expect_exit 1 "$mode: not valid" -- V --json "$T/$mode.pdf"
    cp "$T/out" "$T/$mode.json"
    jqt "$T/$mode.json" '.conclusion == "TOTAL_FAILED" and .signatures[0].conclusion == "TOTAL_FAILED" and .signatures[0].modified_after_signing == true and .signatures[0].certification != null' "$mode: certification TOTAL_FAILED"
    jqt "$T/$mode.json" ".signatures[0].changes | map(test(\"$msg\")) | any" "$mode: change named '$msg'"
done
# Form filling (ISO 32000-1 §12.8.2.2): a PDF with text fields, written by the test, certified
# by sertel, then filled in as a form filler does (/V, the widget's /AP, /NeedAppearances).
$FORM form "$T/form.pdf"
for p in 1 2 3; do
    sign "$T/form.pdf" "$T/form-cert$p.pdf" --certify $p || fail "sign the form --certify $p"
    $FORM fill "$T/form-cert$p.pdf" "$T/form-fill$p.pdf" nama "Budi Santoso"
done
for p in 2 3; do
    expect_exit 0 "P=$p then a form field filled in: verifies" -- V --json "$T/form-fill$p.pdf"
    jqt "$T/out" '.conclusion == "TOTAL_PASSED" and .signatures[0].modified_after_signing == false and (.signatures[0].harmless_changes|map(test("form field nama filled in"))|any)' "P=$p: the filled field is named as permitted"
done
expect_exit 0 "P=2 then a form field filled in: Indonesian text" -- V "$T/form-fill2.pdf"
expect_grep "^    - kolom formulir nama diisi \(objek [0-9]+\)" "$T/out" "P=2: the filled field named in Indonesian"
if command -v qpdf >/dev/null; then
    for f in form form-fill2; do
        qpdf --check "$T/$f.pdf" >"$T/qpdf.txt" 2>&1 && pass "qpdf --check: $f.pdf is well formed" || fail "qpdf --check $f.pdf: $(cat "$T/qpdf.txt")"
    done
fi
expect_exit 1 "P=1 then a form field filled in: not valid" -- V --json "$T/form-fill1.pdf"
jqt "$T/out" '.conclusion == "TOTAL_FAILED" and .signatures[0].modified_after_signing == true and (.signatures[0].changes|map(test("DocMDP P=1.*form field nama filled in"))|any)' "P=1: TOTAL_FAILED, the filled field named"
# FieldMDP: a signature (made by openssl cms over a file the test writes) whose field /Lock
# and FieldMDP /Reference lock "nama"; filling "nama" fails it, filling "catatan" does not.
$FORM locked "$T/locked.pdf" "$T/budi.crt" "$T/budi.key" "$T/issuing.pem" || fail "build the locked-field file"
expect_exit 0 "FieldMDP: the signed file with a locked field verifies" -- V --json "$T/locked.pdf"
command -v qpdf >/dev/null && { qpdf --check "$T/locked.pdf" >"$T/qpdf.txt" 2>&1 && pass "qpdf --check: locked.pdf is well formed" || fail "qpdf --check locked.pdf: $(cat "$T/qpdf.txt")"; }
$FORM fill "$T/locked.pdf" "$T/locked-nama.pdf" nama "Orang lain"
$FORM fill "$T/locked.pdf" "$T/locked-catatan.pdf" catatan "Setuju"
expect_exit 1 "FieldMDP: the locked field changed: not valid" -- V --json "$T/locked-nama.pdf"
jqt "$T/out" '.signatures[0].conclusion == "TOTAL_FAILED" and (.signatures[0].changes|map(test("form field nama was changed, but this signature locks it \\(FieldMDP /Action /Include\\)"))|any)' "FieldMDP: the locked field named"
expect_exit 0 "FieldMDP: an unlocked field filled in: verifies" -- V --json "$T/locked-catatan.pdf"
jqt "$T/out" '.signatures[0].harmless_changes|map(test("form field catatan filled in"))|any' "FieldMDP: the unlocked field named as filled in"

# Not certified: a visible signature added later is accepted and named with its rectangle;
# a new visible signature field that nobody signed is not.
sign "$T/bb.pdf" "$T/vis.pdf" --visible --rect 100,100,200,50 || fail "sign visible"
expect_exit 0 "visible second signature: verifies" -- V --json "$T/vis.pdf"
jqt "$T/out" '.signatures[0].harmless_changes | map(test("visible signature widget .* at \\[100 100 300 150\\]")) | any' "visible second signature: named with its rectangle"
$ATK sneaky-sig "$T/bb.pdf" "$T/sneaky.pdf"
expect_exit 1 "unsigned visible signature field added: not valid" -- V --json "$T/sneaky.pdf"
jqt "$T/out" '.signatures[0].changes | map(test("unsigned signature field .* at \\[50 600 550 800\\]")) | any' "unsigned visible signature field: named with its rectangle"

# Revocation. --offline on a B-T file without embedded data: not checked (without a CA
# home: a home's database knows the status of what it issued, test_verify_time.sh).
expect_exit 1 "B-T --offline: not passed" -- "$SERTEL" --home "$T/elsewhere/none" verify --trust "$T/root.pem" --json --offline "$T/bt.pdf"
cp "$T/out" "$T/off.json"
jqt "$T/off.json" '.signatures[0].conclusion == "INDETERMINATE" and .signatures[0].sub_indication == "TRY_LATER" and .signatures[0].revocation == "not checked (offline)"' "B-T --offline: INDETERMINATE / TRY_LATER, not checked (offline)"
# B-LT: the DSS holds the status of both chains, enough offline.
sign "$L" "$T/blt.pdf" --level B-LT || fail "sign B-LT with --p12 and --home"
expect_exit 0 "B-LT --offline verifies" -- V --json --offline "$T/blt.pdf"
cp "$T/out" "$T/blt.json"
jqt "$T/blt.json" '.signatures[0].level == "B-LT" and .signatures[0].revocation == "good" and (.signatures[0].revocation_source|test("^DSS"))' "B-LT: level B-LT, good from the DSS"
jqt "$T/blt.json" '[.signatures[0].chain_revocation[] | (.status == "good" and (.source|test("^DSS")))] | all' "B-LT: both chains good from the DSS"
jqt "$T/blt.json" '[.signatures[0].chain_revocation[] | .role] | (index("signer") != null and index("tsa") != null)' "B-LT: signer's and TSA's chains listed"
# B-LTA: a document time-stamp revision over the DSS.
if sign "$L" "$T/blta.pdf" --level B-LTA 2>/dev/null; then
    expect_exit 0 "B-LTA --offline verifies" -- V --json --offline "$T/blta.pdf"
    jqt "$T/out" '(.signatures|length) == 2 and .signatures[0].level == "B-LTA" and .signatures[1].level == "DocTimeStamp" and .conclusion == "TOTAL_PASSED"' "B-LTA: level B-LTA, then the document time-stamp"
    jqt "$T/out" '.signatures[1].revocation == "good" and (.signatures[1].revocation_source|test("^DSS")) and .signatures[1].certificate_status == "valid" and ([.signatures[1].chain_revocation[] | .role] == ["tsa","tsa-ca"]) and ([.signatures[1].chain_revocation[] | .status == "good"] | all)' "B-LTA: the document time-stamp's TSA chain good from the DSS"
    expect_exit 0 "B-LTA: English text" -- V --lang en --offline "$T/blta.pdf"
    [ "$(grep -c 'Revocation.*: good (embedded in the document (DSS))' "$T/out")" = 2 ] && pass "B-LTA text: revocation of the signature and of the document time-stamp" || fail "B-LTA text: $(cat "$T/out")"
else
    echo "# sign --level B-LTA not available: B-LTA level not tested"
fi
# A second home, whose TSA certificate gets revoked; its services run on a second port.
H2=$T/home2
PORT2=$("$FUZZ" free-port)
new_home "$H2" --base-url "http://127.0.0.1:$PORT2"
start_serve serve2 "$H2" --listen "127.0.0.1:$PORT2" || exit 1
"$SERTEL" --home "$H2" cert issue --csr "$T/budi.csr" --profile document-signing >"$T/budi2.crt"
cat "$H2/certs/issuing.pem" "$H2/certs/root.pem" >"$T/chain2.pem"
openssl pkcs12 -export -inkey "$T/budi.key" -in "$T/budi2.crt" -certfile "$T/chain2.pem" \
    -passout file:"$T/p12pw" -out "$T/budi2.p12"
# A document time-stamp from another TSA (home2's) added to the B-LT file: its DSS holds
# nothing for that TSA, so offline its chain's status is unknown.
$FORM doctst-prepare "$T/blt.pdf" "$T/dts.part" "$T/dts.data"
"$SERTEL" --home "$H2" timestamp "$T/dts.data" --out "$T/dts.tsr" >/dev/null || fail "home2 timestamp"
openssl ts -reply -in "$T/dts.tsr" -token_out -out "$T/dts.tok" 2>/dev/null || fail "token out of the TimeStampResp"
$FORM doctst-finish "$T/dts.part" "$T/dts.tok" "$T/dts.pdf"
expect_exit 1 "document time-stamp without revocation data, offline: not passed" -- V --json --offline --trust "$H2/certs/root.pem" "$T/dts.pdf"
jqt "$T/out" '.signatures[0].conclusion == "TOTAL_PASSED" and .signatures[1].document_timestamp and .signatures[1].conclusion == "INDETERMINATE" and .signatures[1].sub_indication == "TRY_LATER" and .signatures[1].revocation == "not checked (offline)" and ([.signatures[1].chain_revocation[] | .role + ":" + .status] == ["tsa:unknown","tsa-ca:unknown"]) and (.signatures[1].reasons[0]|test("no revocation status for the document time-stamp.s TSA chain \\(offline\\)"))' "document time-stamp, offline, no DSS data for its TSA: INDETERMINATE / TRY_LATER, unknown"
# A second TSA under home2's CA, run by openssl (key and configuration here),
# to make a token after its certificate is revoked: a TSA that ignores its
# own revocation, as sertel's does not.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/tsa3.key" 2>/dev/null
openssl req -new -key "$T/tsa3.key" -subj "/C=ID/O=Pihak Ketiga/CN=TSA Pihak Ketiga" -out "$T/tsa3.csr" 2>/dev/null
"$SERTEL" --home "$H2" cert issue --csr "$T/tsa3.csr" --profile time-stamping >"$T/tsa3.crt" || fail "issue a time-stamping certificate"
cat >"$T/tsa3.cnf" <<EOF
[tsa]
default_tsa = t3
[t3]
serial = $T/tsa3.serial
signer_cert = $T/tsa3.crt
certs = $T/chain2.pem
signer_key = $T/tsa3.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ess_cert_id_alg = sha256
EOF
echo 01 >"$T/tsa3.serial"
tsaserial=$(openssl x509 -in "$H2/certs/tsa.pem" -noout -serial | cut -d= -f2)
"$SERTEL" --home "$H2" cert revoke "$tsaserial" --reason keyCompromise >/dev/null || fail "revoke the TSA"
tsa3serial=$(openssl x509 -in "$T/tsa3.crt" -noout -serial | cut -d= -f2)
"$SERTEL" --home "$H2" cert revoke "$tsa3serial" --reason keyCompromise >/dev/null || fail "revoke the third-party TSA"
sleep 1
# sertel's own TSA stops once its certificate is revoked.
echo data >"$T/d.txt"
expect_exit 2 "home TSA with a revoked certificate: no token" -- "$SERTEL" --home "$H2" timestamp "$T/d.txt" --out "$T/d.tsr"
expect_grep "certificate is revoked" "$T/err" "home TSA with a revoked certificate: says why"
# Signing B-LTA on a revoked TSA is refused.
expect_exit 2 "B-LTA with a revoked TSA certificate: refused" -- \
    "$SERTEL" --home "$H2" sign --p12 "$T/budi2.p12" --p12-password-file "$T/p12pw" --level B-LTA "$L" "$T/blta-tsarev.pdf"
expect_grep "revoked" "$T/err" "B-LTA with a revoked TSA: the refusal says why"
[ ! -e "$T/blta-tsarev.pdf" ] && pass "B-LTA with a revoked TSA: no output" || fail "B-LTA with a revoked TSA: output left"
# A document time-stamp made by the third-party TSA after its revocation:
# online, home2's OCSP responder says revoked before the time-stamp.
$FORM doctst-prepare "$T/blt.pdf" "$T/dtr.part" "$T/dtr.data"
openssl ts -query -data "$T/dtr.data" -sha256 -cert -out "$T/dtr.tsq" 2>/dev/null || fail "openssl ts -query"
openssl ts -reply -config "$T/tsa3.cnf" -queryfile "$T/dtr.tsq" -token_out -out "$T/dtr.tok" 2>"$T/ts.err" ||
    fail "openssl ts -reply: $(cat "$T/ts.err")"
$FORM doctst-finish "$T/dtr.part" "$T/dtr.tok" "$T/dtr.pdf"
expect_exit 1 "TSA revoked: the document time-stamp not valid" -- V --json --trust "$H2/certs/root.pem" --fetch-allow "http://127.0.0.1:$PORT2" "$T/dtr.pdf"
jqt "$T/out" '.signatures[1].document_timestamp and .signatures[1].conclusion == "TOTAL_FAILED" and .signatures[1].sub_indication == "REVOKED" and .signatures[1].certificate_status == "revoked" and .signatures[1].revocation_source == "online OCSP" and .signatures[1].revocation_reason == "keyCompromise" and (.signatures[1].reasons[0]|test("TSA.s certificate was revoked .* before the document time-stamp"))' "TSA revoked: the document time-stamp fails, revoked per the TSA's OCSP responder"
expect_exit 0 "B-LT: text report" -- V --offline "$T/blt.pdf"
expect_grep "Pencabutan: baik \(tidak dicabut\) \(tertanam dalam dokumen \(DSS\)\)" "$T/out" "B-LT: Indonesian text names the DSS"
expect_exit 0 "B-T: English text" -- V --lang en "$T/bt.pdf"
expect_grep "Revocation.*: good \(online OCSP\)" "$T/out" "B-T: English text names online OCSP"
# Revoke the signer after signing: the time-stamp proves the signature came first.
serial=$(openssl x509 -in "$T/budi.crt" -noout -serial | cut -d= -f2)
"$SERTEL" --home "$H" cert revoke "$serial" --reason keyCompromise >/dev/null 2>"$T/err" || fail "revoke: $(cat "$T/err")"
sleep 2
expect_exit 0 "revoked after the time-stamp: B-T still passes" -- V --json "$T/bt.pdf"
cp "$T/out" "$T/rev.json"
jqt "$T/rev.json" '.signatures[0].revocation == "revoked" and .signatures[0].revocation_source == "online OCSP" and .signatures[0].revocation_reason == "keyCompromise" and (.signatures[0].reasons|map(test("before the revocation"))|any)' "revoked after signing: revoked, online OCSP, keyCompromise, noted"
expect_exit 1 "revoked: B-B (claimed time only) not passed" -- V --json "$T/bb.pdf"
jqt "$T/out" '.signatures[0].conclusion == "INDETERMINATE" and .signatures[0].sub_indication == "REVOKED_NO_POE"' "revoked, no time-stamp: INDETERMINATE / REVOKED_NO_POE"
sign "$L" "$T/late.pdf" --level B-T && {
    expect_exit 1 "signed after revocation: fails" -- V --json "$T/late.pdf"
    jqt "$T/out" '.signatures[0].conclusion == "TOTAL_FAILED" and .signatures[0].sub_indication == "REVOKED"' "signed after revocation: TOTAL_FAILED / REVOKED"
} || pass "signing with a revoked certificate refused"
finish
