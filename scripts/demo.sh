#!/bin/sh
# demo.sh - install what is missing, build, and show sertel's main job on
# a demo CA (SQLite store, software CA keys): a certificate issued from a
# CSR and checked with openssl; then the BSrE process for a civil servant -
# agency, verifier, registration, application with letter and e-KTP,
# approval, passphrase, certificate - and a PDF signed with a visible stamp
# and verified (sertel verify, pdfsig); then the same home over HTTP with
# curl against a server it starts and stops: logging in, the session, the
# OCSP status of the signer's certificate, logging out.
#
# Usage: scripts/demo.sh
#   Everything it makes goes to a new directory outside the checkout
#   (printed at the end); the checkout gets only the build directory.
#   SERTEL_DEMO_DIR=DIR  make it there instead (new or empty)
#   SERTEL=PATH          use that sertel binary: nothing installed or built
set -eu
cd "$(dirname "$0")/.."

if [ -z "${SERTEL:-}" ]; then
    scripts/install-deps.sh
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target sertel sertel-worker
    SERTEL=$PWD/build/sertel
fi
S=$SERTEL
DATA=$PWD/tests/data
D=${SERTEL_DEMO_DIR:-}
if [ -z "$D" ]; then
    D=$(mktemp -d "${TMPDIR:-/tmp}/sertel-demo-XXXXXX")
elif [ -e "$D" ] && [ -n "$(ls -A "$D")" ]; then
    echo "demo: $D is not empty: give a new or empty SERTEL_DEMO_DIR" >&2
    exit 2
fi
H=$D/home
W=$D/files
mkdir -p "$W"
SERVER=""
stop_server() {
    if [ -n "$SERVER" ]; then
        kill -TERM "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
        SERVER=""
    fi
}
trap stop_server EXIT INT TERM
# The newest mail to an address in the demo's outbox, and the token or code in it.
mail_to() { grep -l "^To: $1" $(ls -r "$H"/outbox/*.eml) | head -1; }
token() { grep -ho '^  [0-9a-f]\{64\}' "$(mail_to "$1")" | head -1 | tr -d ' '; }
code() { grep -ho 'elektronik: [0-9]\{8\}' "$(mail_to "$1")" | grep -o '[0-9]\{8\}' | head -1; }

echo "== sertel init (embedded defaults: SQLite, software keys)"
$S --home "$H" init --org "Kementerian Contoh" --mail-from "Kementerian Contoh <noreply@contoh.go.id>" </dev/null

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
$S --home "$H" cert issue --csr "$W/siti.csr" --profile document-signing >"$W/siti.pem"
openssl x509 -in "$W/siti.pem" -noout -subject -serial -dates -ext keyUsage,extendedKeyUsage,subjectAltName

echo
echo "== openssl verify (independent check of the chain)"
$S --home "$H" ca export --root >"$W/root.pem"
$S --home "$H" ca export --issuing >"$W/issuing.pem"
openssl verify -CAfile "$W/root.pem" -untrusted "$W/issuing.pem" "$W/siti.pem"

echo
echo "== the BSrE process: agency, verifier, registration, application, approval, passphrase"
# Cheaper key derivation for the demo; the shipped default is 64 MiB / 3 passes.
sed -i 's/^argon2_memory_kib = .*/argon2_memory_kib = 19456/; s/^argon2_passes = .*/argon2_passes = 2/' "$H/sertel.conf"
NIK=6271011203880003
BUDI=budi.santoso@contoh.go.id
AG=$($S --home "$H" agency add --name "Kementerian Contoh" --domain contoh.go.id --quiet)
$S --home "$H" account add --role verifier --agency "$AG" --email verifikator@contoh.go.id --name "Verifikator Biro Umum"
$S --home "$H" register --by verifikator@contoh.go.id --agency "$AG" --name "Budi Santoso" \
    --nik "$NIK" --email "$BUDI" --unit "Biro Hukum" --position "Analis Hukum"
echo "status: $($S --home "$H" status --nik "$NIK")"
# Budi confirms the address and chooses a login password (typed on a terminal; here from stdin).
printf 'kata sandi Budi 2026\n' | $S --home "$H" email confirm --token "$(token "$BUDI")" --password-file -
APP=$($S --home "$H" apply issuance --email "$BUDI" --letter "$DATA/letter.pdf" --ktp "$DATA/ktp.jpg" --quiet)
echo "application $APP submitted; status: $($S --home "$H" status --nik "$NIK")"
$S --home "$H" review list --verifier verifikator@contoh.go.id
$S --home "$H" review show "$APP" --verifier verifikator@contoh.go.id
$S --home "$H" review approve "$APP" --verifier verifikator@contoh.go.id
echo "status: $($S --home "$H" status --nik "$NIK")"
# The passphrase: asked twice on a terminal without echo; here from stdin.
printf 'passphrase rahasia Budi\n' >"$W/budi.pass"
SERIAL=$($S --home "$H" passphrase create --token "$(token "$BUDI")" --passphrase-file - --quiet <"$W/budi.pass")
echo "certificate $SERIAL issued; status: $($S --home "$H" status --nik "$NIK" --json)"
$S --home "$H" account list

echo
echo "== Budi signs a letter: PAdES B-LT (time-stamp and validation data from the home), a visible stamp"
$S --home "$H" otp send --email "$BUDI"
$S --home "$H" sign --email "$BUDI" --passphrase-file - --otp "$(code "$BUDI")" --level B-LT \
    --visible --rect 330,60,240,90 --reason "Menyetujui isi surat" --location Jakarta --footer \
    "$DATA/letter.pdf" "$W/surat-ditandatangani.pdf" <"$W/budi.pass" | tee "$W/sign.out"
DOC=$(sed -n 's/.*document id \([0-9a-f]*\)$/\1/p' "$W/sign.out")
echo
echo "== sertel verify (ETSI TS 119 102-1 conclusions, in Indonesian)"
$S --home "$H" verify "$W/surat-ditandatangani.pdf"
echo
echo "== the register of signed documents"
$S --home "$H" doc show "$DOC"
if command -v pdfsig >/dev/null 2>&1 && command -v certutil >/dev/null 2>&1; then
    echo
    echo "== pdfsig (poppler, with NSS trusting only the demo root)"
    mkdir -p "$W/nss"
    certutil -N -d "sql:$W/nss" --empty-password
    certutil -A -d "sql:$W/nss" -n "demo root" -t "CT,C,C" -i "$W/root.pem"
    pdfsig -nssdir "sql:$W/nss" -no-ocsp "$W/surat-ditandatangani.pdf"
fi

echo
echo "== the same over HTTP: sertel serve on a free loopback port, asked with curl"
$S --home "$H" serve --listen 127.0.0.1:0 >"$W/serve.out" 2>"$W/serve.err" &
SERVER=$!
i=0
until grep -q '^listening on ' "$W/serve.out" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 150 ] || ! kill -0 "$SERVER" 2>/dev/null; then
        echo "demo: the server did not start: $(cat "$W/serve.err")" >&2
        exit 1
    fi
    sleep 0.1
done
U=$(sed -n 's/^listening on //p' "$W/serve.out")
echo "listening on $U"
echo "-- GET /healthz: $(curl -s "$U/healthz")"
echo "-- POST /api/v1/session: Budi logs in"
curl -s -c "$W/cookies" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$BUDI\",\"password\":\"kata sandi Budi 2026\"}" "$U/api/v1/session" >"$W/login.json"
python3 -m json.tool "$W/login.json"
CSRF=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf_token"])' "$W/login.json")
echo "-- GET /api/v1/session: who is logged in"
curl -s -b "$W/cookies" "$U/api/v1/session" | python3 -m json.tool
# The person's status over the API, where this build has the route.
st=$(curl -s -o "$W/status.json" -w '%{http_code}' -b "$W/cookies" "$U/api/v1/people/$NIK/status")
if [ "$st" = 200 ]; then
    echo "-- GET /api/v1/people/$NIK/status"
    python3 -m json.tool "$W/status.json"
fi
echo "-- POST /ocsp: the status of Budi's certificate (openssl ocsp, checked against the root)"
$S --home "$H" cert show "$SERIAL" --pem >"$W/budi.pem"
openssl ocsp -issuer "$W/issuing.pem" -cert "$W/budi.pem" -url "$U/ocsp" -CAfile "$W/root.pem" \
    -VAfile "$H/certs/ocsp.pem" 2>&1 | sed -n '/budi.pem/p;/Response verify/p'
echo "-- DELETE /api/v1/session: log out (with the CSRF token): HTTP $(curl -s -o /dev/null -w '%{http_code}' \
    -X DELETE -b "$W/cookies" -H "X-CSRF-Token: $CSRF" "$U/api/v1/session")"
stop_server
echo "server stopped"

echo
echo "== sertel cert list"
$S --home "$H" cert list

echo
echo "== sertel audit verify"
$S --home "$H" audit verify
$S --home "$H" audit list --event application.
echo
echo "demo home: $H"
echo "files of this run (signed PDF, certificates, outbox in the home): $W"
echo "install the binary: cmake --install build --prefix /usr/local"
