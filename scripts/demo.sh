#!/bin/sh
# demo.sh - install what is missing, build, create a demo CA home on the
# embedded defaults (SQLite store, software CA keys) and run the main job:
# issue a document-signing certificate to a civil servant from a CSR, check
# it with openssl, list what was issued and verify the audit log.
#
# Usage: scripts/demo.sh            (the demo home is ./demo-home, recreated)
set -eu
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target sertel

S=./build/sertel
H=./demo-home
rm -rf "$H" "$H.work"
mkdir -p "$H.work"
W="$H.work"

echo "== sertel init (embedded defaults: SQLite, software keys)"
$S --home "$H" init --org "Kementerian Contoh" </dev/null

echo
echo "== the CA"
$S --home "$H" ca show

echo
echo "== a civil servant's key and request (the key stays with the applicant)"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/siti.key" 2>/dev/null
openssl req -new -key "$W/siti.key" -out "$W/siti.csr" \
    -subj "/C=ID/O=Kementerian Contoh/OU=Biro Umum/CN=Siti Rahayu" \
    -addext "subjectAltName=email:siti.rahayu@contoh.go.id"

echo "== sertel cert issue --profile document-signing"
$S --home "$H" cert issue --csr "$W/siti.csr" --profile document-signing > "$W/siti.pem"
openssl x509 -in "$W/siti.pem" -noout -subject -serial -dates -ext keyUsage,extendedKeyUsage,subjectAltName

echo
echo "== openssl verify (independent check of the chain)"
$S --home "$H" ca export --root > "$W/root.pem"
$S --home "$H" ca export --issuing > "$W/issuing.pem"
openssl verify -CAfile "$W/root.pem" -untrusted "$W/issuing.pem" "$W/siti.pem"

echo
echo "== sertel cert list"
$S --home "$H" cert list

echo
echo "== sertel audit verify"
$S --home "$H" audit verify
echo
echo "demo home: $H (files of this run: $W)"
