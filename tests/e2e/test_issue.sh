#!/bin/bash
# End-to-end: init a home, issue certificates for every supported key type
# and check them with openssl (chain, extensions), list/show, and that a
# second init refuses and changes nothing.
. "$(dirname "$0")/lib.sh"

H=$T/home
expect_exit 0 "init with generated admin password (no terminal)" -- \
    "$SERTEL" --home "$H" init --org "Kementerian Contoh" </dev/null
expect_grep "admin password \(shown once" "$T/out" "generated admin password printed once"
expect_grep "warning: the base URL http://127\.0\.0\.1:8080 is a loopback address" "$T/err" \
    "init warns that a loopback base URL cannot be reached by relying parties"
expect_grep "warning: the policy OIDs 2\.999\.1\.1 and 2\.999\.1\.2 are examples" "$T/err" \
    "init warns that the default policy OIDs are examples"
expect_grep "^totp_issuer = Kementerian Contoh$" "$H/sertel.conf" "the TOTP issuer is the organisation"
for f in sertel.conf sertel.db audit.head private/master.key keys/root.key keys/issuing.key \
    keys/ocsp.key keys/tsa.key keys/audit.key certs/root.pem certs/issuing.pem; do
    [ -e "$H/$f" ] && pass "home has $f" || fail "home lacks $f"
done
[ "$(stat -c %a "$H/private/master.key")" = 600 ] && pass "master.key is 0600" || fail "master.key mode"
[ "$(stat -c %a "$H/keys/issuing.key")" = 600 ] && pass "issuing.key is 0600" || fail "issuing.key mode"
[ "$(stat -c %a "$H/sertel.db")" = 600 ] && pass "sertel.db is 0600" || fail "sertel.db mode"
expect_grep "ENCRYPTED PRIVATE KEY" "$H/keys/issuing.key" "CA key encrypted at rest (PKCS#8)"
if grep -q "$(cat "$T/out" | sed -n 's/.*keep it safe): //p')" "$H/sertel.db" 2>/dev/null; then
    fail "admin password stored in clear"
else
    pass "admin password not stored in clear"
fi

# Second init refuses and changes nothing.
before=$(cd "$H" && find . -type f -exec sha256sum {} + | sort)
expect_exit 2 "init on an existing home refuses" -- "$SERTEL" --home "$H" init </dev/null
expect_grep "already a sertel home" "$T/err" "refusal says why"
after=$(cd "$H" && find . -type f -exec sha256sum {} + | sort)
[ "$before" = "$after" ] && pass "existing home unchanged" || fail "existing home changed"

"$SERTEL" --home "$H" ca export --root >"$T/root.pem"
"$SERTEL" --home "$H" ca export --issuing >"$T/issuing.pem"
"$SERTEL" --home "$H" ca export --ocsp >"$T/ocsp.pem"
"$SERTEL" --home "$H" ca export --tsa >"$T/tsa.pem"
openssl x509 -in "$T/root.pem" -noout -text >"$T/root.txt"
expect_grep "CA:TRUE" "$T/root.txt" "root is a CA"
days=$(( ($(date -d "$(openssl x509 -in "$T/root.pem" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)) / 86400 ))
[ "$days" -ge 7300 ] && [ "$days" -le 7306 ] && pass "root valid 20 years ($days days)" || fail "root validity $days days"
days=$(( ($(date -d "$(openssl x509 -in "$T/issuing.pem" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)) / 86400 ))
[ "$days" -ge 3650 ] && [ "$days" -le 3653 ] && pass "issuing CA valid 10 years ($days days)" || fail "issuing validity $days days"
expect_exit 0 "issuing CA verifies against root" -- openssl verify -CAfile "$T/root.pem" "$T/issuing.pem"
openssl x509 -in "$T/ocsp.pem" -noout -text >"$T/ocsp.txt"
expect_grep "OCSP Signing" "$T/ocsp.txt" "OCSP certificate has id-kp-OCSPSigning"
expect_grep "OCSP No Check" "$T/ocsp.txt" "OCSP certificate has ocsp-nocheck"
openssl x509 -in "$T/tsa.pem" -noout -text >"$T/tsa.txt"
expect_grep "X509v3 Extended Key Usage: critical" "$T/tsa.txt" "TSA EKU is critical"
expect_grep "Time Stamping" "$T/tsa.txt" "TSA certificate has id-kp-timeStamping"
expect_exit 0 "OCSP cert verifies" -- openssl verify -CAfile "$T/root.pem" -untrusted "$T/issuing.pem" "$T/ocsp.pem"
expect_exit 0 "TSA cert verifies for timestamping purpose" -- \
    openssl verify -purpose timestampsign -CAfile "$T/root.pem" -untrusted "$T/issuing.pem" "$T/tsa.pem"

for kt in ec-p256 ec-p384 rsa-2048 rsa-3072 rsa-4096; do
    make_csr "$kt" "Budi $kt" "$T/$kt"
    expect_exit 0 "issue document-signing for a $kt key" -- \
        "$SERTEL" --home "$H" cert issue --csr "$T/$kt.csr" --profile document-signing
    cp "$T/out" "$T/$kt.pem"
    expect_exit 0 "openssl verify accepts the $kt certificate" -- \
        openssl verify -CAfile "$T/root.pem" -untrusted "$T/issuing.pem" "$T/$kt.pem"
    expect_exit 0 "certificate matches the applicant's key ($kt)" -- \
        sh -c "[ \"\$(openssl x509 -in '$T/$kt.pem' -noout -pubkey)\" = \"\$(openssl pkey -in '$T/$kt.key' -pubout)\" ]"
done

openssl x509 -in "$T/ec-p256.pem" -noout -text >"$T/ee.txt"
expect_grep "X509v3 Key Usage: critical" "$T/ee.txt" "keyUsage critical"
expect_grep "Digital Signature, Non Repudiation" "$T/ee.txt" "digitalSignature + nonRepudiation"
expect_grep "1\.3\.6\.1\.5\.5\.7\.3\.36" "$T/ee.txt" "EKU id-kp-documentSigning"
expect_grep "E-mail Protection" "$T/ee.txt" "EKU emailProtection"
expect_grep "email:budi\.ec-p256@contoh\.go\.id" "$T/ee.txt" "SAN rfc822Name"
expect_grep "Subject: C = ID, O = Kementerian Contoh, OU = Biro Umum, CN = Budi ec-p256" "$T/ee.txt" "subject C, O, OU, CN"
expect_grep "X509v3 Subject Key Identifier" "$T/ee.txt" "SKI"
expect_grep "X509v3 Authority Key Identifier" "$T/ee.txt" "AKI"
expect_grep "OCSP - URI:http://127\.0\.0\.1:8080/ocsp" "$T/ee.txt" "AIA OCSP URL from base URL"
expect_grep "CA Issuers - URI:http://127\.0\.0\.1:8080/ca/issuing\.crt" "$T/ee.txt" "AIA caIssuers URL"
expect_grep "URI:http://127\.0\.0\.1:8080/crl/issuing\.crl" "$T/ee.txt" "CRL distribution point"
expect_grep "Policy: 2\.999\.1\.1$" "$T/ee.txt" "certificate policy OID: the example arc 2.999 by default"
expect_exit 0 "a time-stamp from the home's TSA" -- "$SERTEL" --home "$H" timestamp "$T/ee.txt"
expect_grep "policy: 2\.999\.1\.2$" "$T/out" "the TSA's policy: the example arc 2.999 by default"
expect_grep "CPS: http://127\.0\.0\.1:8080/cps" "$T/ee.txt" "CPS URI"
expect_grep "CA:FALSE" "$T/ee.txt" "end entity basicConstraints CA:FALSE"
expect_grep "Basic Constraints: critical" "$T/ee.txt" "basicConstraints critical"
days=$(( ($(date -d "$(openssl x509 -in "$T/ec-p256.pem" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)) / 86400 ))
[ "$days" -ge 729 ] && [ "$days" -le 730 ] && pass "subscriber valid 2 years ($days days)" || fail "subscriber validity $days days"
serial=$(openssl x509 -in "$T/ec-p256.pem" -noout -serial | cut -d= -f2)
[ ${#serial} -eq 32 ] && pass "serial is 16 bytes ($serial)" || fail "serial length ${#serial}: $serial"

# A base URL, policy OIDs and a mail sender given to init end up in the certificates,
# the time-stamps and the mails; no warning for a reachable base URL and the agency's OIDs.
H2=$T/home2
new_home "$H2" --base-url http://pki.contoh.go.id --key-type ec-p384 --policy-oid 2.16.360.1.7.1 \
    --tsa-policy-oid 2.16.360.1.7.2 --mail-from "Kementerian Contoh <noreply@contoh.go.id>"
[ -s "$T/init.err" ] && fail "init warned: $(cat "$T/init.err")" || pass "no warning for a reachable base URL and own OIDs"
"$SERTEL" --home "$H2" cert issue --csr "$T/ec-p256.csr" --profile document-signing >"$T/h2.pem"
openssl x509 -in "$T/h2.pem" -noout -text >"$T/h2.txt"
expect_grep "OCSP - URI:http://pki\.contoh\.go\.id/ocsp" "$T/h2.txt" "custom base URL in AIA"
expect_grep "Policy: 2\.16\.360\.1\.7\.1$" "$T/h2.txt" "--policy-oid in the certificate"
"$SERTEL" --home "$H2" timestamp "$T/h2.txt" --out "$T/h2.tsr" >/dev/null
openssl ts -reply -in "$T/h2.tsr" -text >"$T/h2.tsr.txt" 2>&1
expect_grep "Policy OID: 2\.16\.360\.1\.7\.2" "$T/h2.tsr.txt" "--tsa-policy-oid in the time-stamp token (openssl ts)"
"$SERTEL" --home "$H2" agency add --name "Kementerian Contoh" --domain contoh.go.id >/dev/null
"$SERTEL" --home "$H2" register --agency 1 --name "Siti Rahayu" --nik 6271015201900001 --email siti@contoh.go.id \
    --unit "Biro Umum" --position Analis >/dev/null
expect_grep "^From: Kementerian Contoh <noreply@contoh\.go\.id>" "$(mail_in "$H2" siti@contoh.go.id)" \
    "--mail-from is the mails' sender"
expect_exit 2 "a --mail-from that is not an address is refused" -- "$SERTEL" --home "$T/h3" init \
    --admin-password-file "$T/adminpw" --mail-from "Kementerian <noreply>"
expect_grep "mail-from" "$T/err" "the refusal names --mail-from"
[ -e "$T/h3" ] && fail "a refused init left $T/h3" || pass "a refused init leaves no home"
expect_exit 2 "a policy OID that is not one is refused" -- "$SERTEL" --home "$T/h3" init \
    --admin-password-file "$T/adminpw" --tsa-policy-oid "1.2.x"
expect_grep "TSA policy OID '1\.2\.x' is not a dotted OID" "$T/err" "the refusal names the TSA policy OID"
expect_exit 2 "https base URL refused" -- "$SERTEL" --home "$T/https" init --base-url https://pki.contoh.go.id
expect_grep "must start with http://" "$T/err" "https base URL message"
expect_grep "ecdsa-with-SHA384" "$T/h2.txt" "P-384 CA signs with SHA-384"

# list / show
expect_exit 0 "cert list" -- "$SERTEL" --home "$H" cert list
expect_grep "$(echo "$serial" | tr A-F a-f | sed 's/^0*//')" "$T/out" "list shows the serial"
expect_exit 0 "cert list --json" -- "$SERTEL" --home "$H" cert list --json
n=$(jq length "$T/out")
[ "$n" = 9 ] && pass "json list has 9 certificates (4 CA + 5 issued)" || fail "json list has $n"
expect_exit 0 "cert show" -- "$SERTEL" --home "$H" cert show "$serial"
expect_grep "status: +valid" "$T/out" "show prints status"
expect_exit 0 "cert show --pem" -- "$SERTEL" --home "$H" cert show "$serial" --pem
cp "$T/out" "$T/shown.pem"
expect_exit 0 "shown PEM is the issued certificate" -- cmp "$T/shown.pem" "$T/ec-p256.pem"
expect_exit 2 "cert show of an unknown serial" -- "$SERTEL" --home "$H" cert show 0123456789abcdef
expect_grep "no certificate with serial" "$T/err" "unknown serial message"
expect_exit 0 "ca show" -- "$SERTEL" --home "$H" ca show
expect_grep "organisation: +Kementerian Contoh" "$T/out" "ca show prints the organisation"
expect_exit 0 "audit verify on a fresh home" -- "$SERTEL" --home "$H" audit verify
expect_grep "intact" "$T/out" "audit log intact"
# An organisation's electronic seal (profile organisation-seal): CN is the organisation,
# no e-mail needed; it signs a PDF that poppler accepts as valid and trusted.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/seal.key" 2>/dev/null
openssl req -new -key "$T/seal.key" -subj "/C=ID/O=Kementerian Contoh/OU=Biro Umum/CN=Biro Umum Kementerian Contoh" \
    -out "$T/seal.csr" 2>/dev/null
expect_exit 0 "issue an organisation-seal certificate" -- "$SERTEL" --home "$H" cert issue --csr "$T/seal.csr" \
    --profile organisation-seal
cp "$T/out" "$T/seal.pem"
openssl x509 -in "$T/seal.pem" -noout -text >"$T/seal.txt"
expect_grep "Subject: C = ID, O = Kementerian Contoh, OU = Biro Umum, CN = Biro Umum Kementerian Contoh" "$T/seal.txt" \
    "seal: the organisation is the subject"
expect_grep "1\.3\.6\.1\.5\.5\.7\.3\.36" "$T/seal.txt" "seal: EKU id-kp-documentSigning"
expect_grep "E-mail Protection" "$T/seal.txt" "seal: EKU emailProtection (NSS checks signers for it)"
expect_no_grep "email:" "$T/seal.txt" "seal: no e-mail address needed"
expect_exit 0 "openssl verify accepts the seal" -- openssl verify -CAfile "$T/root.pem" -untrusted "$T/issuing.pem" \
    "$T/seal.pem"
openssl req -new -key "$T/seal.key" -subj "/C=ID/CN=Tanpa Organisasi" -out "$T/seal-noorg.csr" 2>/dev/null
expect_exit 2 "a seal request without O is refused" -- "$SERTEL" --home "$H" cert issue --csr "$T/seal-noorg.csr" \
    --profile organisation-seal
cat "$T/issuing.pem" "$T/root.pem" >"$T/chain.pem"
printf 'seal pw\n' >"$T/sealpw"
openssl pkcs12 -export -inkey "$T/seal.key" -in "$T/seal.pem" -certfile "$T/chain.pem" -passout file:"$T/sealpw" \
    -out "$T/seal.p12"
expect_exit 0 "sign a letter with the seal" -- "$SERTEL" sign --p12 "$T/seal.p12" --p12-password-file "$T/sealpw" \
    "$SERTEL_TEST_DATA/letter.pdf" "$T/sealed.pdf"
if command -v pdfsig >/dev/null && command -v certutil >/dev/null; then
    make_nss "$T/nss" "$T/root.pem"
    pdfsig -nssdir "sql:$T/nss" -no-ocsp "$T/sealed.pdf" >"$T/pdfsig.out" 2>&1
    expect_grep "Signature is Valid" "$T/pdfsig.out" "sealed letter: pdfsig valid"
    expect_grep "Certificate is Trusted" "$T/pdfsig.out" "sealed letter: pdfsig trusted"
fi

for cmd in init "ca show" "ca export" "cert issue" "cert list" "cert show" "audit verify"; do
    # shellcheck disable=SC2086
    expect_exit 0 "sertel $cmd --help" -- "$SERTEL" $cmd --help
done
finish
