#!/bin/bash
# End-to-end: `sertel backup` while `serve` runs and another process issues
# certificates, then `sertel restore` into a new home: the audit chain
# verifies there (backup.created in the old home with the archive's SHA-256,
# home.restored in the new one), modes are kept, the restored home serves
# OCSP (openssl ocsp) and the owner signs a PDF with the key the home holds
# (pdfsig, sertel verify). A wrong password, a truncated archive (inside a
# chunk and at a chunk boundary), a changed byte, an existing home:
# refused, nothing written. A PKCS#11 home: the output says the token's keys
# are not in the archive.
. "$(dirname "$0")/lib.sh"
D=${SERTEL_TEST_DATA:?}
FUZZ=${SERTEL_BUILD:?}/http_fuzz
for tool in pdfsig certutil openssl sqlite3 sha256sum; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

PORT=$("$FUZZ" free-port)
URL=http://127.0.0.1:$PORT
H=$T/home
new_home "$H" --base-url "$URL"
sed -i 's/^argon2_memory_kib = .*/argon2_memory_kib = 19456/; s/^argon2_passes = .*/argon2_passes = 2/' "$H/sertel.conf"
S() { "$SERTEL" --home "$H" "$@"; }
mail_to() { grep -l "^To: $1" $(ls -r "$2"/outbox/*.eml) 2>/dev/null | head -1; }
token_in() { grep -ho '^  [0-9a-f]\{64\}' "$1" | head -1 | tr -d ' '; }

# A registered owner with a certificate and a passphrase (as test_lifecycle.sh).
S agency add --name "Kementerian Contoh" --domain contoh.go.id --quiet >"$T/out" || fail "agency add"
A1=$(cat "$T/out")
S account add --role verifier --agency "$A1" --email verif@contoh.go.id --name "Verifikator" >/dev/null || fail "verifier"
S register --by verif@contoh.go.id --agency "$A1" --name "Siti Rahayu" --nik 3171014501900001 \
    --email siti@contoh.go.id --unit "Biro Umum" --position Analis >/dev/null || fail "register"
S email confirm --token "$(token_in "$(mail_to siti@contoh.go.id "$H")")" >/dev/null || fail "confirm"
S apply issuance --email siti@contoh.go.id --letter "$D/letter.pdf" --ktp "$D/ktp.jpg" --quiet >"$T/out" || fail "apply"
APP=$(cat "$T/out")
S review approve "$APP" --verifier verif@contoh.go.id >/dev/null || fail "approve"
printf 'rahasia siti 2026\n' >"$T/pass"
S passphrase create --token "$(token_in "$(mail_to siti@contoh.go.id "$H")")" --passphrase-file "$T/pass" --quiet >"$T/out" || fail "passphrase"
SERIAL=$(cat "$T/out")
[ -n "$SERIAL" ] && pass "the owner has certificate $SERIAL" || fail "no certificate: $(cat "$T/out")"
S ca export --root >"$T/root.pem"
S ca export --issuing >"$T/issuing.pem"
S cert show "$SERIAL" --pem >"$T/siti.pem"

# The backup, taken while serve runs and certificates are being issued.
start_serve old "$H" --listen "127.0.0.1:$PORT" || fail "serve on the old home"
make_csr ec-p256 "Budi Santoso" "$T/budi"
(for i in $(seq 30); do S cert issue --csr "$T/budi.csr" --profile document-signing >/dev/null 2>&1; done) &
WRITER=$!
bg_track "$WRITER"
printf 'kata sandi cadangan 2026\n' >"$T/bpw"
printf 'short\n' >"$T/shortpw"
expect_exit 2 "a short backup password is refused" -- S backup --out "$T/short.sbk" --password-file "$T/shortpw"
[ ! -e "$T/short.sbk" ] && pass "nothing written for the short password" || fail "short.sbk exists"
expect_exit 0 "backup while serve and an issuing loop run" -- S backup --out "$T/b.sbk" --password-file "$T/bpw"
cp "$T/out" "$T/backup.out"
wait "$WRITER"
expect_exit 2 "backup refuses to overwrite an existing file" -- S backup --out "$T/b.sbk" --password-file "$T/bpw"
expect_grep "refusing to overwrite" "$T/err" "the overwrite refusal says so"
[ "$(stat -c %a "$T/b.sbk")" = 600 ] && pass "archive is 0600" || fail "archive mode $(stat -c %a "$T/b.sbk")"
SHA=$(sha256sum "$T/b.sbk" | cut -d' ' -f1)
expect_grep "sha256: +$SHA" "$T/backup.out" "backup prints the archive's SHA-256"
row=$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT details FROM audit_log WHERE event = 'backup.created'")
expect_grep "\"sha256\":\"$SHA\"" <(echo "$row") "backup.created audited with the archive's SHA-256 (sha256sum)"
expect_exit 0 "the old home's audit log verifies" -- S audit verify
if grep -aq "rahasia siti\|BEGIN\|master" "$T/b.sbk"; then fail "plaintext in the archive"; else pass "no plaintext in the archive"; fi
head -c 8 "$T/b.sbk" | grep -q SERTELBK && pass "archive starts with its format magic" || fail "magic"
ls "$H" | grep -q '^\.snapshot' && fail "a snapshot file was left in the home" || pass "no snapshot file left in the home"
kill -TERM "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null

# Refusals: nothing written anywhere.
R=$T/restored
refused() { # refused DESC ARCHIVE PWFILE TARGET PATTERN [WHAT TARGET HOLDS]
    expect_exit 2 "$1" -- "$SERTEL" restore --from "$2" --home "$4" --password-file "$3"
    expect_grep "$5" "$T/err" "$1: the message says why"
    local left
    left=$(ls -A "$T" | grep -c '\.restore-')
    { [ ! -e "$4" ] || [ "$4" = "$H" ] || [ "$(ls -A "$4")" = "${6:-}" ]; } && [ "$left" = 0 ] &&
        pass "$1: nothing written" || fail "$1: something was written ($(ls -A "$T"))"
}
printf 'bukan kata sandinya\n' >"$T/wrongpw"
refused "wrong password" "$T/b.sbk" "$T/wrongpw" "$R" "wrong password"
SIZE=$(stat -c %s "$T/b.sbk")
head -c $((SIZE - 1000)) "$T/b.sbk" >"$T/cut.sbk"
refused "truncated archive (inside a chunk)" "$T/cut.sbk" "$T/bpw" "$R" "truncated"
head -c $((104 + 65553 * 2)) "$T/b.sbk" >"$T/cut2.sbk"
refused "truncated archive (at a chunk boundary)" "$T/cut2.sbk" "$T/bpw" "$R" "truncated"
cp "$T/b.sbk" "$T/flip.sbk"
printf '\x55' | dd of="$T/flip.sbk" bs=1 seek=70000 conv=notrunc 2>/dev/null
refused "a changed byte" "$T/flip.sbk" "$T/bpw" "$R" "damaged"
head -c 50 "$T/b.sbk" >"$T/tiny.sbk"
refused "a cut-off header" "$T/tiny.sbk" "$T/bpw" "$R" "not a sertel backup"
before=$(home_state "$H")
refused "restore over an existing home" "$T/b.sbk" "$T/bpw" "$H" "already a sertel home"
[ "$(home_state "$H")" = "$before" ] && pass "the existing home is unchanged" || fail "existing home changed"
mkdir -p "$T/full" && echo x >"$T/full/something"
refused "restore into a non-empty directory" "$T/b.sbk" "$T/bpw" "$T/full" "not empty" something

# The restore.
expect_exit 0 "restore into a new home" -- "$SERTEL" restore --from "$T/b.sbk" --home "$R" --password-file "$T/bpw"
expect_grep "audit log: intact" "$T/out" "restore says the audit chain verified"
[ "$(stat -c %a "$R")" = 700 ] && pass "home 0700" || fail "home mode $(stat -c %a "$R")"
[ "$(stat -c %a "$R/private")" = 700 ] && pass "private/ 0700" || fail "private mode"
[ "$(stat -c %a "$R/keys")" = 700 ] && pass "keys/ 0700" || fail "keys mode"
bad=$(find "$R/private" "$R/keys" "$R/sertel.db" -type f ! -perm 600 | wc -l)
[ "$bad" = 0 ] && pass "secret files and the database 0600" || fail "$bad secret files not 0600"
cmp -s "$H/private/master.key" "$R/private/master.key" && cmp -s "$H/private/subscriber.secret" "$R/private/subscriber.secret" &&
    pass "keystore secret and server secret restored" || fail "secrets differ"
[ -z "$(ls -A "$R" | grep -E '^(outbox|\.snapshot)')" ] && pass "no outbox, no snapshot file in the restored home" || fail "outbox/snapshot restored"
[ -f "$R/uploads/$(sha256sum "$D/letter.pdf" | cut -c1-2)/$(sha256sum "$D/letter.pdf" | cut -d' ' -f1)" ] &&
    pass "the application's letter restored" || fail "uploads missing"
expect_exit 0 "audit verify on the restored home" -- "$SERTEL" --home "$R" audit verify
expect_grep "^ok$" <(sqlite3 "$R/sertel.db" "PRAGMA integrity_check") "sqlite3 integrity_check of the restored database"
sqlite3 "$R/sertel.db" "SELECT event, object FROM audit_log ORDER BY seq DESC LIMIT 1" >"$T/last"
expect_grep "^home.restored\|$R$" "$T/last" "home.restored is the restored home's newest audit entry"
n_old=$(sqlite3 "$R/sertel.db" "SELECT count(*) FROM certificates WHERE serial = '$SERIAL'")
[ "$n_old" = 1 ] && pass "the owner's certificate is in the restored database" || fail "certificate missing"
expect_exit 0 "store check on the restored home" -- "$SERTEL" --home "$R" store check

# The restored home serves OCSP and signs.
start_serve new "$R" --listen "127.0.0.1:$PORT" || fail "serve on the restored home"
timeout 30 openssl ocsp -issuer "$T/issuing.pem" -cert "$T/siti.pem" -url "$URL/ocsp" \
    -CAfile "$T/root.pem" >"$T/ocsp.txt" 2>&1
expect_grep "Response verify OK" "$T/ocsp.txt" "OCSP from the restored home verifies (openssl ocsp)"
expect_grep "siti.pem: good" "$T/ocsp.txt" "the owner's certificate is good"
RS() { "$SERTEL" --home "$R" "$@"; }
expect_exit 0 "otp send from the restored home" -- RS otp send --email siti@contoh.go.id
CODE=$(grep -ho 'elektronik: [0-9]\{8\}' "$(mail_to siti@contoh.go.id "$R")" | grep -o '[0-9]\{8\}')
expect_exit 0 "the owner signs a PDF with the key of the restored home" -- RS sign --email siti@contoh.go.id \
    --passphrase-file "$T/pass" --otp "$CODE" --reason "Setelah pemulihan" "$D/letter.pdf" "$T/signed.pdf"
make_nss "$T/nss" "$T/root.pem" >/dev/null 2>&1
pdfsig -nssdir "sql:$T/nss" -no-ocsp "$T/signed.pdf" >"$T/pdfsig.txt" 2>&1
expect_grep "Common Name: Siti Rahayu" "$T/pdfsig.txt" "pdfsig: signed by the owner"
expect_grep "Signature is Valid" "$T/pdfsig.txt" "pdfsig: signature valid"
expect_grep "Certificate is Trusted" "$T/pdfsig.txt" "pdfsig: certificate trusted"
expect_exit 0 "sertel verify accepts it" -- RS verify "$T/signed.pdf"
kill -TERM "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
expect_exit 0 "audit verify after signing in the restored home" -- RS audit verify

# A PKCS#11 home: everything but the token's keys; the output says so.
MODULE=/usr/lib/softhsm/libsofthsm2.so
if command -v softhsm2-util >/dev/null && [ -f "$MODULE" ]; then
    printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
    mkdir -p "$T/tokens"
    export SOFTHSM2_CONF=$T/softhsm2.conf
    softhsm2-util --init-token --free --label sertel-bk --pin 246810 --so-pin 13579 >/dev/null
    printf '246810\n' >"$T/pin"
    P=$T/p11home
    new_home "$P" --pkcs11-module "$MODULE" --pkcs11-token sertel-bk --pkcs11-pin-file "$T/pin"
    expect_exit 0 "backup of a PKCS#11 home" -- "$SERTEL" --home "$P" backup --out "$T/p.sbk" --password-file "$T/bpw"
    expect_grep "NOT in this archive" "$T/out" "the output says the token's keys are not in the archive"
    expect_exit 0 "restore of a PKCS#11 home (token attached)" -- "$SERTEL" restore --from "$T/p.sbk" --home "$T/p11r" --password-file "$T/bpw"
    expect_grep "PKCS#11 token 'sertel-bk'" "$T/out" "restore names the token"
    cmp -s "$P/private/pkcs11.pin" "$T/p11r/private/pkcs11.pin" && pass "the PIN file is restored" || fail "PIN missing"
    expect_exit 0 "audit verify on the restored PKCS#11 home" -- "$SERTEL" --home "$T/p11r" audit verify
else
    echo "# softhsm2 not available: PKCS#11 part skipped"
fi

finish
