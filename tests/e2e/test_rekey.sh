#!/bin/bash
# End-to-end: `sertel ca rekey --tsa` and `--ocsp` while `sertel serve` runs.
# Checked with openssl: the running server's time-stamps and OCSP answers
# come from the new key and certificate within seconds (openssl ts -verify,
# openssl ocsp -resp_text, the responder id), tokens issued before still
# verify, certs/*.pem and `ca show` follow, the old keys are gone from the
# key store, the audit log records it and stays intact, and a B-T signature
# made from the home afterwards verifies (sertel verify, online). A revoked
# TSA certificate stops the TSA until a re-key. Refusals: another
# authority, no authority.
. "$(dirname "$0")/lib.sh"
FUZZ=${SERTEL_BUILD:?run through ctest, which sets SERTEL_BUILD}/http_fuzz
[ -x "$FUZZ" ] || { echo "missing $FUZZ: build the http_fuzz target"; exit 1; }
for tool in openssl curl sqlite3 python3; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

PORT=$("$FUZZ" free-port)
URL=http://127.0.0.1:$PORT
H=$T/home
new_home "$H" --base-url "$URL"
S() { "$SERTEL" --home "$H" "$@"; }
start_serve serve "$H" --listen "127.0.0.1:$PORT" || exit 1
S ca export --root >"$T/root.pem"
S ca export --issuing >"$T/issuing.pem"
# Serials in sertel's form: lower-case hex without leading zeros.
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=0*//' | tr 'A-F' 'a-f'; }
# tsa_signer TSR: the serial of the certificate that signed the token (its signer info).
tsa_signer() {
    openssl ts -reply -in "$1" -token_out -out "$T/tok.der" 2>/dev/null &&
        openssl pkcs7 -print -inform DER -in "$T/tok.der" |
        python3 -c 'import re,sys; m=re.search(r"issuer_and_serial:.*?serial: (\d+)", sys.stdin.read(), re.S); print("%x" % int(m.group(1)) if m else "none")'
}
stamp() { # stamp OUT.tsr: a time-stamp of doc.txt from the running server
    curl -s -o "$1" -H "Content-Type: application/timestamp-query" --data-binary @"$T/q.tsq" "$URL/tsa"
}
# stamp_by SERIAL OUT.tsr: time-stamps until one is signed by certificate SERIAL (5 s at most).
stamp_by() {
    local i
    for i in $(seq 50); do
        stamp "$2"
        [ "$(tsa_signer "$2")" = "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
echo "Surat keputusan" >"$T/doc.txt"
openssl ts -query -data "$T/doc.txt" -sha256 -cert -out "$T/q.tsq" 2>/dev/null

TSA1=$(serial_of "$H/certs/tsa.pem")
OCSP1=$(serial_of "$H/certs/ocsp.pem")
cp "$H/certs/tsa.pem" "$T/tsa-old.pem"
stamp "$T/before.tsr"
[ "$(tsa_signer "$T/before.tsr")" = "$TSA1" ] && pass "before: the token is signed by the TSA certificate $TSA1" ||
    fail "before: token signer $(tsa_signer "$T/before.tsr"), wanted $TSA1"
[ -f "$H/keys/tsa.key" ] && [ -f "$H/keys/ocsp.key" ] && pass "before: keys tsa and ocsp in the key store" ||
    fail "before: $(ls "$H/keys")"

# Refusals first: nothing changes.
expect_exit 2 "ca rekey without an authority refused" -- S ca rekey
expect_grep "say which authority: --ocsp or --tsa" "$T/err" "ca rekey: says which to name"
expect_exit 2 "ca rekey --root refused" -- S ca rekey --root
expect_exit 2 "ca rekey --tsa --ocsp refused (one at a time)" -- S ca rekey --tsa --ocsp
[ "$(serial_of "$H/certs/tsa.pem")" = "$TSA1" ] && pass "refusals changed nothing" || fail "refusal changed tsa.pem"

# Re-key the TSA.
expect_exit 0 "ca rekey --tsa" -- S ca rekey --tsa
TSA2=$(tr -d '\n' <"$T/out")
[ -n "$TSA2" ] && [ "$TSA2" != "$TSA1" ] && pass "a new TSA certificate $TSA2" || fail "rekey printed '$TSA2'"
[ "$(serial_of "$H/certs/tsa.pem")" = "$TSA2" ] && pass "certs/tsa.pem is the new certificate" || fail "tsa.pem not replaced"
S ca show --json >"$T/show.json"
python3 - "$T/show.json" "$TSA2" <<'PY' && pass "ca show lists the new TSA certificate" || fail "ca show: $(cat "$T/show.json")"
import json, sys
import os
c = {x["role"]: x for x in json.load(open(sys.argv[1]))["certificates"]}
assert c["tsa"]["serial"] == sys.argv[2], c["tsa"]
assert c["tsa"]["key_label"].startswith("tsa-") and c["ocsp"]["key_label"] == "ocsp", c
PY
openssl x509 -in "$H/certs/tsa.pem" -noout -ext extendedKeyUsage,keyUsage 2>/dev/null >"$T/ext"
expect_grep "Time Stamping" "$T/ext" "the new TSA certificate has the time-stamping EKU"
openssl verify -CAfile "$T/root.pem" -untrusted "$T/issuing.pem" "$H/certs/tsa.pem" >/dev/null 2>&1 &&
    pass "the new TSA certificate chains to the root (openssl verify)" || fail "new TSA certificate does not verify"
label=$(jq -r '.certificates[] | select(.role == "tsa") | .key_label' "$T/show.json")
[ ! -e "$H/keys/tsa.key" ] && [ -f "$H/keys/$label.key" ] && pass "the old TSA key is destroyed, the new one ($label) stored" ||
    fail "keys after rekey: $(ls "$H/keys")"
# The running server switches within about a second.
stamp_by "$TSA2" "$T/after.tsr" && pass "the running server signs with the new TSA certificate" ||
    fail "server still signs with $(tsa_signer "$T/after.tsr")"
cat "$T/issuing.pem" "$H/certs/tsa.pem" >"$T/untrusted.pem"
openssl ts -verify -in "$T/after.tsr" -queryfile "$T/q.tsq" -CAfile "$T/root.pem" -untrusted "$T/untrusted.pem" >"$T/v" 2>&1 &&
    pass "a new token verifies (openssl ts -verify)" || fail "new token: $(cat "$T/v")"
cat "$T/issuing.pem" "$T/tsa-old.pem" >"$T/untrusted-old.pem"
openssl ts -verify -in "$T/before.tsr" -queryfile "$T/q.tsq" -CAfile "$T/root.pem" -untrusted "$T/untrusted-old.pem" >"$T/v" 2>&1 &&
    pass "a token from before the re-key still verifies" || fail "old token: $(cat "$T/v")"

# /metrics tells when each certificate in use expires (for alerts before it does).
not_after() { date -u -d "$(openssl x509 -in "$1" -noout -enddate | sed 's/^notAfter=//')" +%s; }
curl -s "$URL/metrics" >"$T/metrics"
for a in root issuing tsa; do
    f=$H/certs/$a.pem
    expect_grep "^sertel_certificate_expiry_timestamp_seconds\{authority=\"$a\"\} $(not_after "$f")\$" "$T/metrics" \
        "/metrics: the $a certificate's notAfter"
done

# Re-key the OCSP responder.
make_csr ec-p256 "Dewi Lestari" "$T/leaf"
S cert issue --csr "$T/leaf.csr" --profile document-signing >"$T/leaf.pem" || fail "issue leaf"
expect_exit 0 "ca rekey --ocsp" -- S ca rekey --ocsp
OCSP2=$(tr -d '\n' <"$T/out")
[ -n "$OCSP2" ] && [ "$OCSP2" != "$OCSP1" ] && [ "$(serial_of "$H/certs/ocsp.pem")" = "$OCSP2" ] &&
    pass "a new OCSP certificate $OCSP2, in certs/ocsp.pem" || fail "ocsp rekey: '$OCSP2'"
KEYID=$(openssl x509 -in "$H/certs/ocsp.pem" -noout -pubkey | openssl pkey -pubin -outform DER |
    python3 -c 'import hashlib,sys; d=sys.stdin.buffer.read(); print(hashlib.sha1(d[-65:]).hexdigest().upper())')
for i in $(seq 50); do
    timeout 30 openssl ocsp -issuer "$T/issuing.pem" -cert "$T/leaf.pem" -url "$URL/ocsp" -CAfile "$T/root.pem" \
        -no_nonce -resp_text >"$T/ocsp.out" 2>&1
    grep -q "Responder Id: $KEYID" "$T/ocsp.out" && break
    sleep 0.1
done
expect_grep "Responder Id: $KEYID" "$T/ocsp.out" "the running server answers OCSP with the new key (responder id)"
expect_grep "Response verify OK" "$T/ocsp.out" "the new OCSP answer verifies (openssl ocsp)"
expect_grep "leaf.pem: good" "$T/ocsp.out" "the OCSP answer says good"
[ ! -e "$H/keys/ocsp.key" ] && pass "the old OCSP key is destroyed" || fail "ocsp.key still there"
curl -s "$URL/metrics" >"$T/metrics"
expect_grep "^sertel_certificate_expiry_timestamp_seconds\{authority=\"ocsp\"\} $(not_after "$H/certs/ocsp.pem")\$" \
    "$T/metrics" "/metrics: the new OCSP certificate's notAfter"

# After a compromise: the TSA certificate revoked stops the TSA; a re-key resumes it.
S cert revoke "$TSA2" --reason keyCompromise >/dev/null || fail "revoke the TSA certificate"
for i in $(seq 50); do
    stamp "$T/rej.tsr"
    openssl ts -reply -in "$T/rej.tsr" -text 2>/dev/null | grep -q "Status: Rejected" && break
    sleep 0.1
done
openssl ts -reply -in "$T/rej.tsr" -text 2>/dev/null >"$T/rej.txt"
expect_grep "certificate is revoked" "$T/rej.txt" "TSA certificate revoked: the server refuses to time-stamp"
expect_exit 0 "ca rekey --tsa after the revocation" -- S ca rekey --tsa
TSA3=$(tr -d '\n' <"$T/out")
stamp_by "$TSA3" "$T/resumed.tsr" && pass "the TSA resumes with the new certificate $TSA3" ||
    fail "after revocation and re-key: $(openssl ts -reply -in "$T/resumed.tsr" -text 2>&1 | head -5)"

# Audited; the log stays intact.
expect_exit 0 "audit verify after the re-keys" -- S audit verify
sqlite3 "file:$H/sertel.db?mode=ro" "SELECT event || ' ' || object FROM audit_log ORDER BY seq" >"$T/audit"
[ "$(grep -c '^authority.rekeyed ' "$T/audit")" = 3 ] && pass "three authority.rekeyed entries" || fail "audit: $(tail -8 "$T/audit")"
expect_grep "^key.destroyed tsa$" "$T/audit" "key.destroyed for the old TSA key"
expect_grep "^key.destroyed ocsp$" "$T/audit" "key.destroyed for the old OCSP key"

# Signing from the home afterwards: B-T with the new TSA, verified.
make_signers "$H" budi:ec-p256
"$SERTEL" --home "$H" sign --p12 "$T/budi.p12" --p12-password-file "$T/p12pw" --level B-T \
    "$SERTEL_TEST_DATA/letter.pdf" "$T/bt.pdf" >/dev/null 2>"$T/err" && pass "B-T signing after the re-key" ||
    fail "B-T after rekey: $(cat "$T/err")"
expect_exit 0 "the B-T signature verifies (sertel verify, online OCSP from the new responder)" -- \
    S verify --trust "$T/root.pem" "$T/bt.pdf"
finish
