#!/bin/bash
# End-to-end: bad input gets a clear error, exit 2, and nothing is written:
# malformed CSR, CSR with a bad self-signature, unsupported key type,
# missing or corrupt home, read-only disk, unknown profile, bad options.
. "$(dirname "$0")/lib.sh"

H=$T/home
new_home "$H"
state0=$(home_state "$H")

issue_refused() { # desc csr pattern
    expect_exit 2 "$1" -- "$SERTEL" --home "$H" cert issue --csr "$2" --profile document-signing
    expect_grep "$3" "$T/err" "$1: message says what is wrong"
    [ ! -s "$T/out" ] && pass "$1: nothing on stdout" || fail "$1: output written"
    [ "$(home_state "$H")" = "$state0" ] && pass "$1: nothing recorded" || fail "$1: state changed"
}

head -c 700 /dev/urandom >"$T/garbage.csr"
issue_refused "garbage CSR" "$T/garbage.csr" "not a PKCS#10 certificate request"
printf -- '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n' >"$T/trunc.csr"
issue_refused "truncated PEM CSR" "$T/trunc.csr" "not a PKCS#10"
: >"$T/empty.csr"
issue_refused "empty CSR" "$T/empty.csr" "empty"

# Bad self-signature: flip one byte inside the signature (the last bytes of the DER).
make_csr ec-p256 "Ani Lestari" "$T/ani"
openssl req -in "$T/ani.csr" -outform DER -out "$T/ani.der"
len=$(stat -c %s "$T/ani.der")
cp "$T/ani.der" "$T/badsig.der"
b=$(od -An -tu1 -j $((len - 5)) -N1 "$T/badsig.der" | tr -d ' ')
printf "$(printf '\\%03o' $(((b + 1) % 256)))" | dd of="$T/badsig.der" bs=1 seek=$((len - 5)) conv=notrunc 2>/dev/null
issue_refused "CSR with a bad self-signature" "$T/badsig.der" "self-signature does not verify"

# Altered subject with the original signature.
openssl req -in "$T/ani.csr" -noout -text >/dev/null
make_csr ed25519 "Eko Ed" "$T/ed"
issue_refused "Ed25519 key (unsupported)" "$T/ed.csr" "unsupported|not supported|does not allow"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$T/rsa1k.key" 2>/dev/null
openssl req -new -key "$T/rsa1k.key" -subj "/C=ID/O=X/CN=Weak Key" -addext "subjectAltName=email:w@x.go.id" -out "$T/rsa1k.csr" 2>/dev/null
issue_refused "RSA-1024 key (too weak)" "$T/rsa1k.csr" "1024"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out "$T/k1.key" 2>/dev/null
openssl req -new -key "$T/k1.key" -subj "/C=ID/O=X/CN=K1" -addext "subjectAltName=email:k@x.go.id" -out "$T/k1.csr" 2>/dev/null
issue_refused "secp256k1 key (unsupported curve)" "$T/k1.csr" "secp256k1|curve"
make_csr ec-p256 "Extra Attr" "$T/st" "/C=ID/ST=Jawa/O=X/CN=Extra Attr"
issue_refused "CSR with an attribute the profile does not use" "$T/st.csr" "ST"
make_csr ec-p256 "Wrong Country" "$T/wc" "/C=MY/O=X/CN=Wrong Country"
issue_refused "CSR with C other than ID" "$T/wc.csr" "country"
openssl req -new -key "$T/ani.key" -subj "/C=ID/O=X/CN=No Mail" -out "$T/nomail.csr" 2>/dev/null
issue_refused "CSR without the e-mail the profile requires" "$T/nomail.csr" "san_email|e-mail"

expect_exit 2 "unknown profile" -- "$SERTEL" --home "$H" cert issue --csr "$T/ani.csr" --profile nope
expect_grep "no profile 'nope'.*document-signing" "$T/err" "unknown profile lists the known ones"
expect_exit 2 "CA profile refused for subscribers" -- "$SERTEL" --home "$H" cert issue --csr "$T/ani.csr" --profile issuing-ca
expect_exit 2 "missing CSR file" -- "$SERTEL" --home "$H" cert issue --csr "$T/none.csr" --profile document-signing
expect_grep "cannot read the CSR" "$T/err" "missing CSR message"
expect_exit 2 "missing --profile" -- "$SERTEL" --home "$H" cert issue --csr "$T/ani.csr"
expect_exit 2 "unknown command" -- "$SERTEL" --home "$H" frobnicate
expect_exit 2 "unknown option" -- "$SERTEL" --home "$H" cert list --bogus
expect_exit 2 "unsupported CA key type" -- "$SERTEL" --home "$T/kt" init --key-type dsa-1024
expect_grep "unsupported key type 'dsa-1024'" "$T/err" "key type message"
[ ! -e "$T/kt" ] && pass "nothing created for a bad key type" || fail "home created"
expect_exit 2 "bad base URL" -- "$SERTEL" --home "$T/bu" init --base-url "ftp://x,critical"
[ ! -e "$T/bu" ] && pass "nothing created for a bad base URL" || fail "home created"
printf 'short\n' >"$T/shortpw"
expect_exit 2 "too short admin password" -- "$SERTEL" --home "$T/pw" init --admin-password-file "$T/shortpw"
[ ! -e "$T/pw" ] && pass "nothing created for a short password" || fail "home created"
[ "$(ls -A "$T" | grep -c '^\.')" = 0 ] && pass "no temporary directories left" || fail "temporary directories left: $(ls -A "$T")"

# Missing and corrupt homes.
expect_exit 2 "missing home" -- "$SERTEL" --home "$T/nohome" cert list
expect_grep "no sertel home at" "$T/err" "missing home message"
[ ! -e "$T/nohome" ] && pass "missing home not created" || fail "missing home created"
cp -a "$H" "$T/corrupt1"
head -c 4096 /dev/urandom >"$T/corrupt1/sertel.db"
rm -f "$T/corrupt1/sertel.db-wal" "$T/corrupt1/sertel.db-shm"
expect_exit 2 "corrupt database" -- "$SERTEL" --home "$T/corrupt1" cert issue --csr "$T/ani.csr" --profile document-signing
expect_grep "corrupt|not a (sertel )?database" "$T/err" "corrupt database message"
cp -a "$H" "$T/corrupt2"
printf '[ca\nbase_url http\n' >"$T/corrupt2/sertel.conf"
expect_exit 2 "corrupt configuration" -- "$SERTEL" --home "$T/corrupt2" cert list
expect_grep "sertel.conf:1" "$T/err" "config error names file and line"
cp -a "$H" "$T/corrupt3"
rm "$T/corrupt3/keys/issuing.key"
expect_exit 2 "home without its issuing key" -- "$SERTEL" --home "$T/corrupt3" cert issue --csr "$T/ani.csr" --profile document-signing
expect_grep "issuing" "$T/err" "missing key message names the key"
cp -a "$H" "$T/corrupt4"
head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 64 >"$T/corrupt4/private/master.key"
expect_exit 2 "wrong keystore secret" -- "$SERTEL" --home "$T/corrupt4" cert issue --csr "$T/ani.csr" --profile document-signing
expect_grep "decrypt|secret" "$T/err" "wrong secret message"
state1=$(home_state "$T/corrupt4")
[ "$state1" = "$state0" ] && pass "wrong secret: nothing recorded" || fail "wrong secret: state changed"

# Read-only disk: a read-only bind mount when root, read-only permissions otherwise.
run_ro() { # dir cmd...
    local d=$1
    shift
    if [ "$(id -u)" = 0 ]; then
        unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"' sh "$d" "$@"
    else
        chmod -R a-w "$d"
        "$@"
        local rc=$?
        chmod -R u+w "$d"
        return $rc
    fi
}
cp -a "$H" "$T/ro"
expect_exit 2 "issue on a read-only disk" -- run_ro "$T/ro" "$SERTEL" --home "$T/ro" cert issue --csr "$T/ani.csr" --profile document-signing
expect_grep "read-only|Read-only|writable" "$T/err" "read-only message"
[ ! -s "$T/out" ] && pass "read-only: no certificate printed" || fail "read-only: certificate printed"
[ "$(home_state "$T/ro")" = "$state0" ] && pass "read-only: nothing recorded" || fail "read-only: state changed"
mkdir "$T/rodir"
expect_exit 2 "init on a read-only disk" -- run_ro "$T/rodir" "$SERTEL" --home "$T/rodir/home" init --admin-password-file "$T/adminpw"
expect_grep "cannot create|Read-only" "$T/err" "init read-only message"
[ -z "$(ls -A "$T/rodir")" ] && pass "read-only init left nothing" || fail "read-only init left files"

# After all that, the good home still works and its audit log is intact.
expect_exit 0 "valid CSR still issues" -- "$SERTEL" --home "$H" cert issue --csr "$T/ani.csr" --profile document-signing
expect_exit 0 "audit log intact after refused requests" -- "$SERTEL" --home "$H" audit verify
finish
