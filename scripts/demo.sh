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
echo "== the BSrE process: agency, verifier, registration, application, approval, passphrase"
# Cheaper key derivation for the demo; the shipped default is 64 MiB / 3 passes.
sed -i 's/^argon2_memory_kib = .*/argon2_memory_kib = 19456/; s/^argon2_passes = .*/argon2_passes = 2/' "$H/sertel.conf"
token() { grep -l "^To: $1" $(ls -r "$H"/outbox/*.eml) | head -1 | xargs grep -ho '^  [0-9a-f]\{64\}' | head -1 | tr -d ' '; }
AG=$($S --home "$H" agency add --name "Kementerian Contoh" --domain contoh.go.id)
$S --home "$H" account add --role verifier --agency "$AG" --email verifikator@contoh.go.id --name "Verifikator Biro Umum" >/dev/null
$S --home "$H" register --by verifikator@contoh.go.id --agency "$AG" --name "Budi Santoso" \
    --nik 6271011203880003 --email budi.santoso@contoh.go.id --unit "Biro Hukum" --position "Analis Hukum" >/dev/null
echo "registered Budi Santoso; status: $($S --home "$H" status --nik 6271011203880003)"
$S --home "$H" email confirm --token "$(token budi.santoso@contoh.go.id)"
APP=$($S --home "$H" apply issuance --email budi.santoso@contoh.go.id --letter tests/data/letter.pdf --ktp tests/data/ktp.jpg)
echo "application #$APP submitted; status: $($S --home "$H" status --nik 6271011203880003)"
$S --home "$H" review list --verifier verifikator@contoh.go.id
$S --home "$H" review approve "$APP" --verifier verifikator@contoh.go.id
echo "approved; status: $($S --home "$H" status --nik 6271011203880003)"
printf 'passphrase rahasia Budi\n' >"$W/budi.pass"
$S --home "$H" passphrase create --token "$(token budi.santoso@contoh.go.id)" --passphrase-file "$W/budi.pass"
echo "status: $($S --home "$H" status --nik 6271011203880003 --json)"
$S --home "$H" otp send --email budi.santoso@contoh.go.id
CODE=$(grep -l "^To: budi.santoso" $(ls -r "$H"/outbox/*.eml) | head -1 | xargs grep -ho 'elektronik: [0-9]\{8\}' | grep -o '[0-9]\{8\}')
$S --home "$H" authorize --email budi.santoso@contoh.go.id --passphrase-file "$W/budi.pass" --otp "$CODE"
echo "mail sent so far (the outbox): $(ls "$H"/outbox | wc -l) messages in $H/outbox"

echo
echo "== sertel cert list"
$S --home "$H" cert list

echo
echo "== sertel audit verify"
$S --home "$H" audit verify
echo
echo "demo home: $H (files of this run: $W)"
