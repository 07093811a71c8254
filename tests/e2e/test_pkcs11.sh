#!/bin/bash
# End-to-end: a home whose CA keys live in a SoftHSM2 token created here;
# issuance signs inside the token and openssl accepts the result; no
# private key file exists in the home.
. "$(dirname "$0")/lib.sh"

MODULE=/usr/lib/softhsm/libsofthsm2.so
command -v softhsm2-util >/dev/null || { fail "softhsm2-util missing: run scripts/install-deps.sh"; finish; exit 1; }
[ -e "$MODULE" ] || { fail "$MODULE missing"; finish; exit 1; }
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf
softhsm2-util --init-token --free --label sertel-ca --pin 246810 --so-pin 13579 >/dev/null
printf '246810\n' >"$T/pin"
printf 'correct horse battery staple\n' >"$T/adminpw"

for kt in ec-p256 rsa-2048; do
    H=$T/home-$kt
    if [ $kt = rsa-2048 ]; then
        softhsm2-util --init-token --free --label sertel-rsa --pin 246810 --so-pin 13579 >/dev/null
        tok=sertel-rsa
    else
        tok=sertel-ca
    fi
    expect_exit 0 "init with $kt keys in the token" -- "$SERTEL" --home "$H" init --key-type $kt \
        --pkcs11-module "$MODULE" --pkcs11-token $tok --pkcs11-pin-file "$T/pin" --admin-password-file "$T/adminpw"
    [ ! -e "$H/keys" ] && pass "no key files in the home ($kt)" || fail "key files in the home: $(ls "$H/keys")"
    expect_grep "backend = pkcs11" "$H/sertel.conf" "configuration names the token"
    make_csr ec-p256 "Token User" "$T/tu-$kt"
    expect_exit 0 "issue with the issuing key in the token ($kt)" -- \
        "$SERTEL" --home "$H" cert issue --csr "$T/tu-$kt.csr" --profile document-signing
    cp "$T/out" "$T/tu-$kt.pem"
    "$SERTEL" --home "$H" ca export --root >"$T/root.pem"
    "$SERTEL" --home "$H" ca export --issuing >"$T/issuing.pem"
    expect_exit 0 "openssl verify accepts the token-signed chain ($kt)" -- \
        openssl verify -CAfile "$T/root.pem" -untrusted "$T/issuing.pem" "$T/tu-$kt.pem"
    expect_exit 0 "audit log (signed in the token) verifies ($kt)" -- "$SERTEL" --home "$H" audit verify
    pkcs11-tool --module "$MODULE" --token-label $tok --login --pin 246810 --list-objects --type privkey >"$T/objs" 2>&1
    expect_grep "label: +issuing" "$T/objs" "issuing key is a token object ($kt)"
    expect_grep "Access: +sensitive, always sensitive, never extractable" "$T/objs" "token key is sensitive and never extractable ($kt)"
    # Re-keying the TSA inside the token: a new token object, the old one destroyed.
    expect_exit 0 "ca rekey --tsa with the keys in the token ($kt)" -- "$SERTEL" --home "$H" ca rekey --tsa
    pkcs11-tool --module "$MODULE" --token-label $tok --login --pin 246810 --list-objects --type privkey >"$T/objs" 2>&1
    expect_grep "label: +tsa-[0-9]{8}-[0-9]{6}" "$T/objs" "the new TSA key is a token object ($kt)"
    expect_no_grep "label: +tsa$" "$T/objs" "the old TSA key is gone from the token ($kt)"
    echo "Nota dinas" >"$T/nota.txt"
    openssl ts -query -data "$T/nota.txt" -sha256 -cert -out "$T/nota.tsq" 2>/dev/null
    expect_exit 0 "time-stamp with the new token key ($kt)" -- "$SERTEL" --home "$H" timestamp "$T/nota.txt" \
        --out "$T/nota.tsr"
    cat "$T/issuing.pem" "$H/certs/tsa.pem" >"$T/untrusted.pem"
    expect_exit 0 "openssl ts -verify accepts it ($kt)" -- openssl ts -verify -data "$T/nota.txt" \
        -in "$T/nota.tsr" -CAfile "$T/root.pem" -untrusted "$T/untrusted.pem"
done

# A second init against the same token refuses: its labels are taken.
expect_exit 2 "init refuses a token that already holds CA keys" -- "$SERTEL" --home "$T/again" init \
    --pkcs11-module "$MODULE" --pkcs11-token sertel-ca --pkcs11-pin-file "$T/pin" --admin-password-file "$T/adminpw"
[ ! -e "$T/again" ] && pass "nothing created" || fail "home created"
printf '000000\n' >"$T/badpin"
expect_exit 2 "wrong PIN" -- "$SERTEL" --home "$T/badpin-home" init \
    --pkcs11-module "$MODULE" --pkcs11-token sertel-ca --pkcs11-pin-file "$T/badpin" --admin-password-file "$T/adminpw"
expect_grep "PIN" "$T/err" "wrong PIN message"
expect_exit 2 "unknown token" -- "$SERTEL" --home "$T/notoken" init \
    --pkcs11-module "$MODULE" --pkcs11-token nosuch --pkcs11-pin-file "$T/pin" --admin-password-file "$T/adminpw"
finish
