#!/bin/bash
# End-to-end: `sertel serve --tls-cert F --tls-key F`, native TLS, checked
# with curl and openssl: the key file's permissions, TLS 1.2 and 1.3 only,
# the public services (OCSP answering "good" for a certificate the home
# issued) over HTTPS, plain HTTP to the TLS port refused without an answer,
# and the API's session cookie with the __Host- prefix, Secure, and HSTS.
. "$(dirname "$0")/lib.sh"
S() { "$SERTEL" --home "$H" "$@"; }

H=$T/home
new_home "$H"
fast_kdf "$H"
S agency add --name "Kementerian Uji" --domain uji.go.id >/dev/null || exit 1
S register --agency 1 --name "Rina Wulandari" --nik 3201015201900001 --email rina@uji.go.id \
    --unit "Biro Umum" --position Analis >/dev/null || exit 1
printf 'a-good-long-password\n' >"$T/pw"
S email confirm --token "$(token_of "$(mail_in "$H" rina@uji.go.id)")" --password-file "$T/pw" >/dev/null ||
    exit 1

# The server's certificate: self-signed for 127.0.0.1 (what an operator's own CA or ACME gives).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/tls.key" \
    -out "$T/tls.pem" -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
chmod 600 "$T/tls.key"

# --- refused before starting ---
chmod 640 "$T/tls.key"
expect_exit 2 "a TLS key readable by the group is refused" -- S serve --listen 127.0.0.1:0 \
    --tls-cert "$T/tls.pem" --tls-key "$T/tls.key"
expect_grep "may be read by others \(mode 0640\).*chmod 600" "$T/err" "the refusal says how to fix it"
chmod 600 "$T/tls.key"
expect_exit 2 "--tls-cert without --tls-key is refused" -- S serve --listen 127.0.0.1:0 --tls-cert "$T/tls.pem"
expect_grep "go together" "$T/err" "says the two go together"
cp "$T/tls.pem" "$T/notkey.pem" && chmod 600 "$T/notkey.pem"
expect_exit 2 "a certificate given as the key is refused" -- S serve --listen 127.0.0.1:0 \
    --tls-cert "$T/tls.pem" --tls-key "$T/notkey.pem"
expect_grep "TLS certificate or key was refused" "$T/err" "says the key was refused"

# --- serving ---
start_serve tls "$H" --listen 127.0.0.1:0 --tls-cert "$T/tls.pem" --tls-key "$T/tls.key" || exit 1
U=$(sed -n 's/^listening on //p' "$T/tls.out")
case $U in https://127.0.0.1:*) pass "listening on $U" ;; *) fail "listening line: $(cat "$T/tls.out")" ;; esac
PORT=${U##*:}
expect_exit 0 "healthz over HTTPS, the certificate checked (curl --cacert)" -- curl -sS --cacert "$T/tls.pem" "$U/healthz"
expect_grep '^ok$' "$T/out" "healthz answers"
expect_exit 0 "TLS 1.3" -- curl -sS --tlsv1.3 --cacert "$T/tls.pem" "$U/healthz"
expect_exit 0 "TLS 1.2 (and no newer)" -- curl -sS --tlsv1.2 --tls-max 1.2 --cacert "$T/tls.pem" "$U/healthz"
# A client that offers only TLS 1.1 (or 1.0): the server refuses. The same client first
# completes a TLS 1.1 handshake with a server that allows it, so the refusal is sertel's.
cat >"$T/tlsver.py" <<'PY'
import socket, ssl, sys, threading, warnings
warnings.simplefilter("ignore")
def hello(port, ver):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.minimum_version = ctx.maximum_version = getattr(ssl.TLSVersion, ver)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            with ctx.wrap_socket(s) as t:
                return t.version()
    except (ssl.SSLError, OSError) as e:
        return "refused"
if sys.argv[1] == "control":
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(sys.argv[2], sys.argv[3])
    sctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    sctx.minimum_version = ssl.TLSVersion.TLSv1
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    def serve():
        c, _ = ls.accept()
        try:
            sctx.wrap_socket(c, server_side=True).close()
        except (ssl.SSLError, OSError):
            pass
    threading.Thread(target=serve, daemon=True).start()
    print(hello(ls.getsockname()[1], "TLSv1_1"))
else:
    print(hello(int(sys.argv[1]), sys.argv[2]))
PY
if [ "$(python3 "$T/tlsver.py" control "$T/tls.pem" "$T/tls.key")" = TLSv1.1 ]; then
    [ "$(python3 "$T/tlsver.py" "$PORT" TLSv1_1)" = refused ] && pass "a TLS 1.1 client is refused" ||
        fail "TLS 1.1 handshake succeeded"
    [ "$(python3 "$T/tlsver.py" "$PORT" TLSv1)" = refused ] && pass "a TLS 1.0 client is refused" ||
        fail "TLS 1.0 handshake succeeded"
else
    pass "this OpenSSL cannot speak TLS 1.1 even to a willing server: the refusal is covered by unit.http"
fi
[ "$(python3 "$T/tlsver.py" "$PORT" TLSv1_2)" = TLSv1.2 ] && pass "the same client speaks TLS 1.2 with it" ||
    fail "TLS 1.2 from the python client"
expect_exit 0 "the root CA certificate over HTTPS" -- curl -sS --cacert "$T/tls.pem" -o "$T/root.pem" "$U/ca/root.pem"
expect_grep "BEGIN CERTIFICATE" "$T/root.pem" "a PEM certificate"

# OCSP over HTTPS for a certificate the home issued.
S ca export --issuing >"$T/issuing.pem"
make_csr ec-p256 "Dewi Lestari" "$T/dewi"
S cert issue --csr "$T/dewi.csr" --profile document-signing >"$T/dewi.pem" || fail "cert issue"
openssl ocsp -issuer "$T/issuing.pem" -cert "$T/dewi.pem" -reqout "$T/req.der" -no_nonce >/dev/null 2>&1
expect_exit 0 "OCSP request over HTTPS" -- curl -sS --cacert "$T/tls.pem" -H 'Content-Type: application/ocsp-request' \
    --data-binary @"$T/req.der" -o "$T/resp.der" "$U/ocsp"
openssl ocsp -respin "$T/resp.der" -issuer "$T/issuing.pem" -cert "$T/dewi.pem" -CAfile "$T/root.pem" \
    -VAfile "$H/certs/ocsp.pem" >"$T/ocsp.txt" 2>&1
expect_grep "dewi.pem: good" "$T/ocsp.txt" "the OCSP answer over HTTPS verifies and says good (openssl ocsp)"

# Plain HTTP to the TLS port: no answer in clear, and the server carries on.
curl -sS -m 10 -o "$T/plain.b" -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" >"$T/plain.code" 2>"$T/plain.err"
rc=$?
[ "$rc" != 0 ] && [ "$(cat "$T/plain.code")" = 000 ] && pass "plain HTTP to the TLS port fails (curl exit $rc, no HTTP status)" ||
    fail "plain HTTP answered: exit $rc, status $(cat "$T/plain.code")"
expect_no_grep "ok" "$T/plain.b" "nothing served in clear"
expect_exit 0 "the server still serves TLS after it" -- curl -sS --cacert "$T/tls.pem" "$U/healthz"
kill -0 "$SERVE_PID" 2>/dev/null && pass "the server is still running" || fail "the server died"

# --- the API over TLS: __Host- cookie, Secure, HSTS ---
st=$(curl -sS --cacert "$T/tls.pem" -D "$T/login.h" -o "$T/login.b" -w '%{http_code}' -c "$T/jar" \
    -H 'Content-Type: application/json' -d '{"email":"rina@uji.go.id","password":"a-good-long-password"}' \
    "$U/api/v1/session")
[ "$st" = 200 ] && pass "login over HTTPS: 200" || fail "login over HTTPS: $st $(cat "$T/login.b")"
expect_grep '^Set-Cookie: __Host-sertel_session=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Secure' \
    "$T/login.h" "session cookie: __Host- prefix, Secure"
expect_grep '^Strict-Transport-Security: max-age=' "$T/login.h" "HSTS over TLS"
st=$(curl -sS --cacert "$T/tls.pem" -o "$T/me.b" -w '%{http_code}' -b "$T/jar" "$U/api/v1/session")
[ "$st" = 200 ] && pass "the session cookie works over HTTPS" || fail "GET /session: $st"
expect_no_grep 'a-good-long-password' "$T/tls.err" "the password is never logged"
expect_no_grep 'PRIVATE KEY' "$T/tls.err" "the key is never logged"

# Passwords over TLS from another host's address are accepted (not tls_required).
if EXT=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -1) && [ -n "$EXT" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ext.key" \
        -out "$T/ext.pem" -days 2 -subj "/CN=$EXT" -addext "subjectAltName=IP:$EXT" 2>/dev/null
    chmod 600 "$T/ext.key"
    start_serve ext "$H" --listen "$EXT:0" --tls-cert "$T/ext.pem" --tls-key "$T/ext.key" || exit 1
    EU=$(sed -n 's/^listening on //p' "$T/ext.out")
    st=$(curl -sS --cacert "$T/ext.pem" -o "$T/ext.b" -w '%{http_code}' -H 'Content-Type: application/json' \
        -d '{"email":"rina@uji.go.id","password":"a-good-long-password"}' "$EU/api/v1/session")
    [ "$st" = 200 ] && pass "a password over TLS from another host's address: accepted" ||
        fail "TLS from $EXT: $st $(cat "$T/ext.b")"
else
    pass "no non-loopback address on this machine: TLS from another host not tried"
fi
finish
