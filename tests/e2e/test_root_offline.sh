#!/bin/bash
# End-to-end: `sertel serve` never loads the root key. With the root key
# out of reach (software keystore: keys/root.key moved away; PKCS#11: the
# root key object deleted from the token) the server answers OCSP (openssl
# ocsp), time-stamps (openssl ts -verify), both CRLs (openssl crl) and the
# CA certificates, and a revocation regenerates the issuing CA's CRL;
# `sertel crl --root` fails with a clear message. With the key back, the
# root ceremony (`crl --root`) records a root CRL with a higher number and
# a long nextUpdate that the running server publishes within seconds, and
# /metrics shows it. A root CRL due within 30 days is a warning in the log.
. "$(dirname "$0")/lib.sh"
FUZZ=${SERTEL_BUILD:?run through ctest, which sets SERTEL_BUILD}/http_fuzz
[ -x "$FUZZ" ] || { echo "missing $FUZZ: build the http_fuzz target"; exit 1; }

C() { timeout 30 curl -s "$@"; }
# The CRL number in decimal (openssl prints crlNumber=0x..), "none" when unreadable.
crl_number() {
    local n
    n=$(openssl crl -inform DER -in "$1" -noout -crlnumber 2>/dev/null | sed -n 's/^crlNumber=//p')
    [ -n "$n" ] && printf '%d' "$n" || echo none
}
# wait_for SECONDS COMMAND...: until the command succeeds, at most SECONDS.
wait_for() {
    local i n=$(($1 * 10))
    shift
    for i in $(seq $n); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}
stop() {
    kill -TERM "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

PORT=$("$FUZZ" free-port)
URL=http://127.0.0.1:$PORT
H=$T/home
new_home "$H" --base-url "$URL"
S() { "$SERTEL" --home "$H" "$@"; }
make_csr ec-p256 "Siti Rahayu" "$T/leaf"
S cert issue --csr "$T/leaf.csr" --profile document-signing >"$T/leaf.pem" || fail "issue"
S ca export --root >"$T/root.pem"
S ca export --issuing >"$T/issuing.pem"
cat "$T/issuing.pem" "$T/root.pem" >"$T/chain.pem"

# init is the first ceremony: a root CRL valid for a year.
S crl --root --out "$T/root0.crl" >/dev/null || fail "first ceremony"
N0=$(crl_number "$T/root0.crl")
nu=$(date -d "$(openssl crl -inform DER -in "$T/root0.crl" -noout -nextupdate | cut -d= -f2)" +%s)
lu=$(date -d "$(openssl crl -inform DER -in "$T/root0.crl" -noout -lastupdate | cut -d= -f2)" +%s)
[ $((nu - lu)) = $((365 * 86400)) ] && pass "a root CRL's nextUpdate is a year after thisUpdate (default)" ||
    fail "root CRL validity $((nu - lu)) s"

# --- the root key out of reach ---------------------------------------------
mv "$H/keys/root.key" "$T/root.key.away"
expect_exit 2 "crl --root without the root key" -- S crl --root --out "$T/no.crl"
expect_grep "root CA key is needed to sign the root CRL" "$T/err" "crl --root says the root key is needed"
[ ! -e "$T/no.crl" ] && pass "no output without the root key" || fail "output written without the root key"

start_serve srv "$H" --listen "127.0.0.1:$PORT" || exit 1
SRV=$SERVE_PID
expect_no_grep "root" "$T/srv.err" "serve starts without the root key and without a warning"

openssl ocsp -issuer "$T/issuing.pem" -cert "$T/leaf.pem" -url "$URL/ocsp" -CAfile "$T/chain.pem" >"$T/o1" 2>&1
expect_grep "leaf.pem: good" "$T/o1" "OCSP: good, without the root key"
expect_grep "^Response verify OK" "$T/o1" "OCSP response verifies"
# The issuing CA's own status is in the root CRL: the responder does not answer for it.
openssl ocsp -issuer "$T/root.pem" -cert "$T/issuing.pem" -url "$URL/ocsp" -CAfile "$T/root.pem" >"$T/o2" 2>&1
expect_grep "unauthorized" "$T/o2" "OCSP about the issuing CA: unauthorized (its status is the root CRL's)"

printf 'Surat Edaran 7/2026\n' >"$T/doc.txt"
openssl ts -query -data "$T/doc.txt" -sha256 -cert -out "$T/q.tsq" 2>/dev/null
C -o "$T/r.tsr" -H "Content-Type: application/timestamp-query" --data-binary @"$T/q.tsq" "$URL/tsa"
timeout 30 openssl ts -verify -data "$T/doc.txt" -in "$T/r.tsr" -CAfile "$T/root.pem" -untrusted "$T/issuing.pem" >"$T/v" 2>&1
expect_grep "^Verification: OK" "$T/v" "TSA: a token openssl ts -verify accepts, without the root key"

C -o "$T/iss.crl" "$URL/crl/issuing.crl"
expect_exit 0 "issuing CRL served and verified by openssl" -- openssl crl -inform DER -in "$T/iss.crl" -CAfile "$T/chain.pem" -noout
C -o "$T/root1.crl" "$URL/crl/root.crl"
expect_exit 0 "root CRL served and verified by openssl" -- openssl crl -inform DER -in "$T/root1.crl" -CAfile "$T/root.pem" -noout
cmp -s "$T/root1.crl" "$T/root0.crl" && pass "the server publishes the ceremony's root CRL as it is" ||
    fail "the served root CRL is not the ceremony's"
for f in root.crt issuing.crt root.pem issuing.pem; do
    C -o "$T/dl-$f" -w '%{http_code}' "$URL/ca/$f" >"$T/code"
    expect_grep "^200$" "$T/code" "CA certificate download /ca/$f"
done
cmp -s "$T/dl-root.pem" "$T/root.pem" && cmp -s "$T/dl-issuing.pem" "$T/issuing.pem" &&
    pass "downloaded CA certificates are the home's" || fail "downloaded CA certificates differ"

# A revocation (another process) regenerates the issuing CA's CRL with the server's key.
SERIAL=$(openssl x509 -in "$T/leaf.pem" -noout -serial | cut -d= -f2)
expect_exit 0 "revoke the leaf" -- S cert revoke "$SERIAL" --reason keyCompromise
listed() {
    C -o "$T/iss2.crl" "$URL/crl/issuing.crl" &&
        openssl crl -inform DER -in "$T/iss2.crl" -noout -text 2>/dev/null | grep -q "Serial Number: $SERIAL"
}
wait_for 5 listed && pass "the served issuing CRL lists the revoked certificate" || fail "revocation not in the issuing CRL"
openssl ocsp -issuer "$T/issuing.pem" -cert "$T/leaf.pem" -url "$URL/ocsp" -CAfile "$T/chain.pem" >"$T/o3" 2>&1
expect_grep "leaf.pem: revoked" "$T/o3" "OCSP: revoked, without the root key"
sleep 1.2 # a few refresh ticks: the server must not have signed a root CRL meanwhile
C -o "$T/root2.crl" "$URL/crl/root.crl"
[ "$(crl_number "$T/root2.crl")" = "$N0" ] && pass "the server did not sign a root CRL" || fail "root CRL number moved"
C -o "$T/metrics" "$URL/metrics"
expect_grep "^sertel_root_crl_next_update_timestamp_seconds $nu\$" "$T/metrics" "/metrics: the root CRL's nextUpdate"
expect_grep "^sertel_root_crl_number $N0\$" "$T/metrics" "/metrics: the root CRL's number"
expect_exit 0 "audit log intact" -- S audit verify

# --- the ceremony: the root key back, a new root CRL, published at once ----
mv "$T/root.key.away" "$H/keys/root.key"
expect_exit 0 "crl --root with the root key (the ceremony)" -- S crl --root --out "$T/root3.crl"
expect_grep "hold the next root ceremony before then" "$T/out" "crl --root says when the next ceremony is due"
N3=$(crl_number "$T/root3.crl")
[ "$N3" != none ] && [ "$N0" != none ] && [ "$N3" -gt "$N0" ] && pass "the ceremony's root CRL has a higher number ($N0 -> $N3)" ||
    fail "root CRL number $N0 -> $N3"
served() {
    C -o "$T/root4.crl" "$URL/crl/root.crl" && [ "$(crl_number "$T/root4.crl")" = "$N3" ]
}
wait_for 2 served && pass "the running server publishes the new root CRL within 2 s" ||
    fail "served root CRL number $(crl_number "$T/root4.crl"), wanted $N3"
openssl crl -inform DER -in "$T/root4.crl" -CAfile "$T/root.pem" -noout -text >"$T/root4.txt" 2>&1
expect_grep "verify OK" "$T/root4.txt" "openssl verifies the new root CRL"
sqlite3 "file:$H/sertel.db?mode=ro" "SELECT json_extract(details, '$.number') || ' ' || json_extract(details, '$.entries') FROM audit_log WHERE event = 'crl.issued' AND object = 'root' ORDER BY seq DESC LIMIT 1" >"$T/aud"
expect_grep "^$N3 0$" "$T/aud" "the ceremony is audited (crl.issued, root, its number, no entries)"
stop $SRV

# A root CRL due within 30 days: the server warns when it starts.
printf '\n[crl]\nroot_next_update_days = 20\n' >>"$H/sertel.conf"
expect_exit 0 "a ceremony with a 20-day root CRL" -- S crl --root --out "$T/root5.crl"
start_serve srv2 "$H" --listen "127.0.0.1:$PORT" || exit 1
stop $SERVE_PID
expect_grep "warning: the root CRL's next update is .* in (19|20) days: hold a root ceremony" "$T/srv2.err" \
    "serve warns when the root CRL is due within 30 days"
sed -i 's/^root_next_update_days = 20$/root_next_update_days = 9999/' "$H/sertel.conf"
expect_exit 2 "root_next_update_days out of range refused" -- S crl --root --out "$T/root6.crl"
expect_grep "root_next_update_days" "$T/err" "the message names the setting"

# --- PKCS#11: the root key object gone from the token ----------------------
MODULE=/usr/lib/softhsm/libsofthsm2.so
if command -v softhsm2-util >/dev/null && command -v pkcs11-tool >/dev/null && [ -e "$MODULE" ]; then
    mkdir -p "$T/tokens"
    printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" >"$T/softhsm2.conf"
    export SOFTHSM2_CONF=$T/softhsm2.conf
    softhsm2-util --init-token --free --label sertel-off --pin 246810 --so-pin 13579 >/dev/null
    printf '246810\n' >"$T/pin"
    PORT2=$("$FUZZ" free-port)
    H2=$T/home-p11
    new_home "$H2" --base-url "http://127.0.0.1:$PORT2" --pkcs11-module "$MODULE" --pkcs11-token sertel-off \
        --pkcs11-pin-file "$T/pin"
    "$SERTEL" --home "$H2" ca export --root >"$T/root2.pem"
    "$SERTEL" --home "$H2" ca export --issuing >"$T/issuing2.pem"
    cat "$T/issuing2.pem" "$T/root2.pem" >"$T/chain2.pem"
    make_csr ec-p256 "Budi Santoso" "$T/leaf2"
    "$SERTEL" --home "$H2" cert issue --csr "$T/leaf2.csr" --profile document-signing >"$T/leaf2.pem"
    expect_exit 0 "delete the root key from the token" -- pkcs11-tool --module "$MODULE" --token-label sertel-off \
        --login --pin 246810 --delete-object --type privkey --label root
    start_serve p11 "$H2" --listen "127.0.0.1:$PORT2" || exit 1
    openssl ocsp -issuer "$T/issuing2.pem" -cert "$T/leaf2.pem" -url "http://127.0.0.1:$PORT2/ocsp" \
        -CAfile "$T/chain2.pem" >"$T/o5" 2>&1
    expect_grep "leaf2.pem: good" "$T/o5" "PKCS#11: OCSP good without the root key in the token"
    C -o "$T/p11root.crl" "http://127.0.0.1:$PORT2/crl/root.crl"
    expect_exit 0 "PKCS#11: root CRL served" -- openssl crl -inform DER -in "$T/p11root.crl" -CAfile "$T/root2.pem" -noout
    stop $SERVE_PID
    expect_exit 2 "PKCS#11: crl --root without the root key in the token" -- "$SERTEL" --home "$H2" crl --root --out "$T/p11.crl"
    expect_grep "root CA key is needed" "$T/err" "PKCS#11: the message says the root key is needed"
else
    echo "# PKCS#11 part skipped: softhsm2-util, pkcs11-tool or $MODULE missing"
fi

finish
