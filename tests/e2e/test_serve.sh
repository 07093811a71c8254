#!/bin/bash
# End-to-end: `sertel serve` on a loopback port, checked with independent
# clients (openssl ocsp/ts/crl, curl) and the hostile-traffic helper
# http_fuzz (built next to sertel): OCSP good / revoked with reason and time
# / unknown, signatures and nonces, the RFC 5019 GET form and its caching
# headers; time-stamps that `openssl ts -verify` accepts; CRLs that verify
# and grow; the CA repository and the URLs certificates carry; limits,
# methods and content types; 10,000 hostile requests; SIGTERM under load;
# IPv6, a base URL with a path, a per-address connection limit.
. "$(dirname "$0")/lib.sh"
FUZZ=${SERTEL_BUILD:?run through ctest, which sets SERTEL_BUILD}/http_fuzz
[ -x "$FUZZ" ] || { echo "missing $FUZZ: build the http_fuzz target"; exit 1; }

# start_server NAME HOME ARGS...: lib.sh's start_serve; sets SPID.
start_server() {
    start_serve "$@" || return 1
    SPID=$SERVE_PID
}

# stop_server PID: SIGTERM, wait (bounded); the exit status goes to RC.
stop_server() {
    local i
    kill -TERM "$1" 2>/dev/null
    for i in $(seq 150); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null
    wait "$1"
    RC=$?
}

C() { timeout 30 curl -s "$@"; }
OCSP() { timeout 30 openssl ocsp "$@"; }

PORT=$("$FUZZ" free-port)
URL=http://127.0.0.1:$PORT
H=$T/home
new_home "$H" --base-url "$URL"
S() { "$SERTEL" --home "$H" "$@"; }

# --- the command line ------------------------------------------------------
expect_exit 0 "serve --help" -- S serve --help
expect_grep "/ocsp" "$T/out" "help lists the services"
expect_exit 2 "--listen without a port" -- S serve --listen 127.0.0.1
expect_grep "ADDR:PORT" "$T/err" "bad listen message shows the form"
expect_exit 2 "--listen with a host name" -- S serve --listen example.org:80
expect_grep "not an IPv4 address" "$T/err" "host name message"
expect_exit 2 "--listen port out of range" -- S serve --listen 127.0.0.1:70000
expect_grep "65535" "$T/err" "port range message"
expect_exit 2 "--listen IPv6 without brackets" -- S serve --listen ::1:80
expect_exit 2 "--threads 0" -- S serve --threads 0
expect_exit 2 "--threads not a number" -- S serve --threads many
expect_exit 2 "unknown option" -- S serve --bogus

# --- a certificate to ask about --------------------------------------------
make_csr ec-p256 "Siti Rahayu" "$T/leaf"
S cert issue --csr "$T/leaf.csr" --profile document-signing >"$T/leaf.pem" || fail "issue leaf"
make_csr ec-p256 "Budi Santoso" "$T/leaf2"
S cert issue --csr "$T/leaf2.csr" --profile document-signing >"$T/leaf2.pem" || fail "issue leaf2"
S ca export --issuing >"$T/issuing.pem"
S ca export --root >"$T/root.pem"
S ca export --issuing --der >"$T/issuing.der"
cat "$T/issuing.pem" "$T/root.pem" >"$T/chain.pem"
SERIAL=$(openssl x509 -in "$T/leaf.pem" -noout -serial | cut -d= -f2)
SERIAL2=$(openssl x509 -in "$T/leaf2.pem" -noout -serial | cut -d= -f2)

start_server main "$H" --listen "127.0.0.1:$PORT" --access-log "$T/access.log" || exit 1
MAIN=$SPID
expect_grep "^listening on $URL\$" "$T/main.out" "prints the URL once ready"
expect_exit 2 "a second server on the same port" -- S serve --listen "127.0.0.1:$PORT"
expect_grep "in use|Address already" "$T/err" "port in use message"

[ "$(C "$URL/healthz")" = ok ] && pass "/healthz answers ok" || fail "/healthz"
C -o /dev/null -v "$URL/healthz" "$URL/healthz" 2>"$T/ka.err"
expect_grep "Re-using existing connection|left intact" "$T/ka.err" "keep-alive: the connection is reused"

# --- OCSP -------------------------------------------------------------------
OCSP -issuer "$T/issuing.pem" -cert "$T/leaf.pem" -url "$URL/ocsp" -CAfile "$T/chain.pem" \
    -resp_text >"$T/o1" 2>&1
expect_grep "leaf.pem: good" "$T/o1" "OCSP: good"
expect_grep "^Response verify OK" "$T/o1" "OCSP response verifies against the issuing CA"
expect_grep "OCSP Nonce" "$T/o1" "OCSP nonce echoed"
expect_no_grep "WARNING: no nonce" "$T/o1" "no nonce warning"
expect_grep "Responder Id: .*OCSP|Responder Id:" "$T/o1" "delegated responder named"
OCSP -issuer "$T/issuing.pem" -serial 0x1234 -url "$URL/ocsp" -CAfile "$T/chain.pem" >"$T/o2" 2>&1
expect_grep "0x1234: unknown" "$T/o2" "OCSP: a serial the CA never issued is unknown"
expect_grep "^Response verify OK" "$T/o2" "unknown answer verifies"

# The RFC 5019 GET form, URL-encoded and raw.
OCSP -issuer "$T/issuing.pem" -cert "$T/leaf.pem" -no_nonce -reqout "$T/req.der" >/dev/null 2>&1
B64=$(base64 -w0 "$T/req.der")
ENC=$(printf '%s' "$B64" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
C -D "$T/get.h" -o "$T/get.der" "$URL/ocsp/$ENC"
expect_grep "^HTTP/1.1 200" "$T/get.h" "GET /ocsp/<urlencoded base64>: 200"
expect_grep "^Content-Type: application/ocsp-response" "$T/get.h" "GET: OCSP content type"
expect_grep "^Cache-Control: max-age=[1-9][0-9]*, public, no-transform, must-revalidate" "$T/get.h" "GET: Cache-Control max-age"
expect_grep '^ETag: "[0-9a-f]+"' "$T/get.h" "GET: ETag"
expect_grep "^Last-Modified: .* GMT" "$T/get.h" "GET: Last-Modified"
expect_grep "^Expires: .* GMT" "$T/get.h" "GET: Expires"
OCSP -respin "$T/get.der" -issuer "$T/issuing.pem" -cert "$T/leaf.pem" -CAfile "$T/chain.pem" >"$T/o3" 2>&1
expect_grep "leaf.pem: good" "$T/o3" "GET answer: good"
expect_grep "^Response verify OK" "$T/o3" "GET answer verifies"
C -o "$T/get2.der" "$URL/ocsp/$B64"
cmp -s "$T/get.der" "$T/get2.der" && pass "GET with raw base64 ('+' '/' '=' unencoded) gives the same answer" || fail "raw base64 GET differs"
C -o "$T/get3.der" "$URL/ocsp/$(printf '%s' "$B64" | tr -d =)"
cmp -s "$T/get.der" "$T/get3.der" && pass "GET without base64 padding" || fail "unpadded GET differs"
ETAG=$(grep -i '^ETag:' "$T/get.h" | cut -d' ' -f2 | tr -d '\r')
[ "$(C -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$URL/ocsp/$ENC")" = 304 ] &&
    pass "If-None-Match with the ETag: 304" || fail "no 304 for a matching ETag"
[ "$(C -o /dev/null -w '%{http_code}' -H 'If-None-Match: "other"' "$URL/ocsp/$ENC")" = 200 ] &&
    pass "If-None-Match with another ETag: 200" || fail "304 for a different ETag"
C -I "$URL/ocsp/$ENC" >"$T/head.h"
expect_grep "^HTTP/1.1 200" "$T/head.h" "HEAD on the GET form"
# Garbage in the GET form: an OCSP malformedRequest, not a crash.
C -o "$T/bad.der" -w '%{http_code}' "$URL/ocsp/not*base64" >"$T/code"
expect_grep "^200$" "$T/code" "GET with garbage: HTTP 200"
OCSP -respin "$T/bad.der" -noverify -resp_text >"$T/o4" 2>&1
expect_grep "malformedrequest|malformedRequest" "$T/o4" "GET with garbage: malformedRequest"
C -o "$T/bad2.der" -H "Content-Type: application/ocsp-request" --data-binary "junk" "$URL/ocsp"
OCSP -respin "$T/bad2.der" -noverify -resp_text >"$T/o5" 2>&1
expect_grep "malformedrequest|malformedRequest" "$T/o5" "POST with junk: malformedRequest"

# --- time-stamping ----------------------------------------------------------
printf 'Surat Keputusan Nomor 1/2025\n' >"$T/doc.txt"
openssl ts -query -data "$T/doc.txt" -sha256 -cert -out "$T/q.tsq" 2>/dev/null
C -o "$T/r1.tsr" -D "$T/tsa.h" -H "Content-Type: application/timestamp-query" --data-binary @"$T/q.tsq" "$URL/tsa"
expect_grep "^Content-Type: application/timestamp-reply" "$T/tsa.h" "TSA content type"
timeout 30 openssl ts -verify -data "$T/doc.txt" -in "$T/r1.tsr" -CAfile "$T/root.pem" -untrusted "$T/issuing.pem" >"$T/v1" 2>&1
expect_grep "^Verification: OK" "$T/v1" "openssl ts -verify accepts the time-stamp"
timeout 30 openssl ts -verify -queryfile "$T/q.tsq" -in "$T/r1.tsr" -CAfile "$T/root.pem" -untrusted "$T/issuing.pem" >"$T/v2" 2>&1
expect_grep "^Verification: OK" "$T/v2" "the reply matches the query (imprint and nonce)"
QN=$(openssl ts -query -in "$T/q.tsq" -text 2>/dev/null | grep '^Nonce' | awk '{print $2}')
RN=$(openssl ts -reply -in "$T/r1.tsr" -text 2>/dev/null | grep '^Nonce' | awk '{print $2}')
[ -n "$QN" ] && [ "$QN" = "$RN" ] && pass "TSA nonce echoed" || fail "nonce: query $QN reply $RN"
C -o "$T/r2.tsr" -H "Content-Type: application/timestamp-query" --data-binary @"$T/q.tsq" "$URL/tsa"
S1=$(openssl ts -reply -in "$T/r1.tsr" -text 2>/dev/null | grep '^Serial number')
S2=$(openssl ts -reply -in "$T/r2.tsr" -text 2>/dev/null | grep '^Serial number')
[ -n "$S1" ] && [ "$S1" != "$S2" ] && pass "two time-stamps have different serial numbers" || fail "serials: $S1 / $S2"
C -o "$T/rj.tsr" -H "Content-Type: application/timestamp-query" --data-binary "junk" "$URL/tsa"
openssl ts -reply -in "$T/rj.tsr" -text >"$T/rj.txt" 2>&1
expect_grep "Status: Rejected" "$T/rj.txt" "TSA: junk gets a rejection"

# --- CRLs and the repository ------------------------------------------------
crl_number() { openssl crl -inform DER -in "$1" -noout -crlnumber 2>/dev/null | sed 's/.*=//; s/^0x//'; }
C -o "$T/crl1.der" -D "$T/crl.h" "$URL/crl/issuing.crl"
expect_grep "^Content-Type: application/pkix-crl" "$T/crl.h" "CRL content type"
openssl crl -inform DER -in "$T/crl1.der" -CAfile "$T/chain.pem" -noout >"$T/c1" 2>&1
expect_grep "verify OK" "$T/c1" "issuing CRL verifies"
C -o "$T/rootcrl.der" "$URL/crl/root.crl"
openssl crl -inform DER -in "$T/rootcrl.der" -CAfile "$T/root.pem" -noout >"$T/c2" 2>&1
expect_grep "verify OK" "$T/c2" "root CRL verifies"
N1=$(crl_number "$T/crl1.der")

C -o "$T/issuing.crt" "$URL/ca/issuing.crt"
cmp -s "$T/issuing.crt" "$T/issuing.der" && pass "/ca/issuing.crt is the issuing CA (DER)" || fail "/ca/issuing.crt differs"
C -o "$T/root.got.pem" "$URL/ca/root.pem"
cmp -s "$T/root.got.pem" "$T/root.pem" && pass "/ca/root.pem is the root CA" || fail "/ca/root.pem differs"
C -o "$T/issuing.got.pem" "$URL/ca/issuing.pem"
cmp -s "$T/issuing.got.pem" "$T/issuing.pem" && pass "/ca/issuing.pem is the issuing CA" || fail "/ca/issuing.pem differs"
C -o "$T/root.crt" "$URL/ca/root.crt"
openssl x509 -inform DER -in "$T/root.crt" -noout >/dev/null 2>&1 && pass "/ca/root.crt is DER" || fail "/ca/root.crt"

# The URLs inside the certificates resolve here.
openssl x509 -in "$T/leaf.pem" -noout -text >"$T/leaf.txt"
AIA_CA=$(grep -o 'CA Issuers - URI:[^ ]*' "$T/leaf.txt" | sed 's/.*URI://')
AIA_OCSP=$(grep -o 'OCSP - URI:[^ ]*' "$T/leaf.txt" | sed 's/.*URI://')
CDP=$(grep -A4 'CRL Distribution Points' "$T/leaf.txt" | grep -o 'URI:[^ ]*' | sed 's/URI://')
[ "$AIA_CA" = "$URL/ca/issuing.crt" ] && [ "$AIA_OCSP" = "$URL/ocsp" ] && [ "$CDP" = "$URL/crl/issuing.crl" ] &&
    pass "certificate URLs are under the base URL" || fail "URLs: $AIA_CA $AIA_OCSP $CDP"
C -o "$T/aia.der" "$AIA_CA" && cmp -s "$T/aia.der" "$T/issuing.der" && pass "caIssuers URL fetches the issuer" || fail "caIssuers URL"
C -o "$T/cdp.der" "$CDP" && openssl crl -inform DER -in "$T/cdp.der" -CAfile "$T/chain.pem" -noout 2>&1 | grep -q "verify OK" &&
    pass "CRL distribution point fetches a verifying CRL" || fail "CDP URL"
OCSP -issuer "$T/issuing.pem" -cert "$T/leaf.pem" -url "$AIA_OCSP" -CAfile "$T/chain.pem" 2>&1 | grep -q "leaf.pem: good" &&
    pass "OCSP URL from the certificate answers" || fail "AIA OCSP URL"
openssl x509 -in "$T/issuing.pem" -noout -text >"$T/iss.txt"
ICDP=$(grep -A4 'CRL Distribution Points' "$T/iss.txt" | grep -o 'URI:[^ ]*' | sed 's/URI://')
IAIA=$(grep -o 'CA Issuers - URI:[^ ]*' "$T/iss.txt" | sed 's/.*URI://')
if [ -n "$ICDP$IAIA" ]; then
    ok=1
    for u in $ICDP $IAIA; do [ "$(C -o /dev/null -w '%{http_code}' "$u")" = 200 ] || ok=0; done
    [ $ok = 1 ] && pass "the issuing CA's own URLs resolve ($ICDP $IAIA)" || fail "issuing CA URLs: $ICDP $IAIA"
fi

# --- revocation: OCSP and CRL follow -----------------------------------------
S cert revoke "$SERIAL" --reason keyCompromise >/dev/null || fail "revoke"
# The server notices within about a second; the cached (nonce-free) GET
# answer must be replaced.
for i in $(seq 50); do
    C -D "$T/get4.h" -o "$T/get4.der" "$URL/ocsp/$ENC"
    OCSP -respin "$T/get4.der" -issuer "$T/issuing.pem" -cert "$T/leaf.pem" -CAfile "$T/chain.pem" >"$T/o7" 2>&1
    grep -q "leaf.pem: revoked" "$T/o7" && break
    sleep 0.1
done
expect_grep "leaf.pem: revoked" "$T/o7" "the cached GET answer says revoked within 5 s"
grep -qi "^ETag: $ETAG" "$T/get4.h" && fail "ETag unchanged after revocation" || pass "ETag changed with the answer"
OCSP -issuer "$T/issuing.pem" -cert "$T/leaf.pem" -url "$URL/ocsp" -CAfile "$T/chain.pem" >"$T/o6" 2>&1
expect_grep "leaf.pem: revoked" "$T/o6" "OCSP POST: revoked"
expect_grep "Reason: keyCompromise" "$T/o6" "OCSP: revocation reason"
expect_grep "Revocation Time: " "$T/o6" "OCSP: revocation time"
expect_grep "^Response verify OK" "$T/o6" "revoked answer verifies"
S cert revoke "$SERIAL2" --reason superseded >/dev/null || fail "revoke 2"
for i in $(seq 50); do
    C -o "$T/crl2.der" "$URL/crl/issuing.crl"
    openssl crl -inform DER -in "$T/crl2.der" -noout -text 2>/dev/null | grep -q "$SERIAL2" && break
    sleep 0.1
done
openssl crl -inform DER -in "$T/crl2.der" -CAfile "$T/chain.pem" -noout -text >"$T/c3" 2>&1
expect_grep "verify OK" "$T/c3" "CRL after revocations verifies"
expect_grep "Serial Number: $SERIAL" "$T/c3" "first revoked serial listed"
expect_grep "Serial Number: $SERIAL2" "$T/c3" "second revoked serial listed"
expect_grep "Key Compromise" "$T/c3" "reason keyCompromise listed"
expect_grep "Superseded" "$T/c3" "reason superseded listed"
N2=$(crl_number "$T/crl2.der")
[ -n "$N1" ] && [ -n "$N2" ] && [ $((16#$N2)) -gt $((16#$N1)) ] && pass "CRL number grew ($N1 -> $N2)" || fail "CRL number $N1 -> $N2"

# --- limits, methods, content types -------------------------------------------
code() { C -o "$T/body" -w '%{http_code}' "$@"; }
head -c 70000 /dev/urandom >"$T/big"
[ "$(code -H 'Content-Type: application/ocsp-request' --data-binary @"$T/big" "$URL/ocsp")" = 413 ] &&
    pass "70 KB OCSP body: 413" || fail "big OCSP body not 413"
expect_grep "limit" "$T/body" "413 names the limit"
[ "$(code -H 'Content-Type: application/timestamp-query' -H 'Transfer-Encoding: chunked' --data-binary @"$T/big" "$URL/tsa")" = 413 ] &&
    pass "70 KB chunked TSA body: 413" || fail "big chunked body not 413"
[ "$(code -H 'Content-Type: text/plain' --data-binary @"$T/req.der" "$URL/ocsp")" = 415 ] &&
    pass "OCSP with text/plain: 415" || fail "wrong OCSP content type not 415"
expect_grep "application/ocsp-request" "$T/body" "415 names the right type"
[ "$(code --data-binary @"$T/q.tsq" "$URL/tsa")" = 415 ] && pass "TSA with a form content type: 415" || fail "TSA type not 415"
[ "$(code -H 'Content-Type: application/ocsp-request; charset=binary' --data-binary @"$T/req.der" "$URL/ocsp")" = 200 ] &&
    pass "media type parameters are accepted" || fail "parameters refused"
[ "$(code -X PUT "$URL/ocsp")" = 405 ] && pass "PUT /ocsp: 405" || fail "PUT not 405"
C -o /dev/null -D "$T/405.h" "$URL/tsa"
expect_grep "^HTTP/1.1 405" "$T/405.h" "GET /tsa: 405"
expect_grep "^Allow: POST" "$T/405.h" "405 carries Allow"
[ "$(code "$URL/crl/other.crl")" = 404 ] && pass "unknown path: 404" || fail "unknown path not 404"
[ "$(code "$URL/ocsp/$(head -c 3000 /dev/zero | tr '\0' A)")" = 200 ] && pass "long GET base64: answered" || fail "long GET"
[ "$(code "$URL/ocsp/$(head -c 6000 /dev/zero | tr '\0' A)")" = 200 ] && pass "over-long GET base64: answered (malformedRequest)" || fail "over-long GET"
[ "$(code -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' x)" "$URL/healthz")" = 431 ] &&
    pass "20 KB header: 431" || fail "big header not refused"

# --- 10,000 hostile requests ----------------------------------------------------
OCSP -issuer "$T/issuing.pem" -cert "$T/leaf2.pem" -no_nonce -reqout "$T/req2.der" >/dev/null 2>&1
timeout 300 "$FUZZ" fuzz --port "$PORT" --count 10000 --seed "$$" --ocsp-req "$T/req2.der" \
    --tsa-req "$T/q.tsq" --max-seconds 240 >"$T/fuzz.out" 2>&1
FRC=$?
[ $FRC = 0 ] && pass "10,000 hostile requests all answered properly" || fail "fuzz: $(tail -25 "$T/fuzz.out")"
sed 's/^/    /' "$T/fuzz.out"
kill -0 "$MAIN" 2>/dev/null && pass "server alive after the hostile requests" || fail "server died"
OCSP -issuer "$T/issuing.pem" -cert "$T/leaf.pem" -url "$URL/ocsp" -CAfile "$T/chain.pem" >"$T/o8" 2>&1
expect_grep "leaf.pem: revoked" "$T/o8" "still answers correctly afterwards (revoked)"
make_csr ec-p256 "Dewi Lestari" "$T/leaf3"
S cert issue --csr "$T/leaf3.csr" --profile document-signing >"$T/leaf3.pem" || fail "issue leaf3"
OCSP -issuer "$T/issuing.pem" -cert "$T/leaf3.pem" -url "$URL/ocsp" -CAfile "$T/chain.pem" >"$T/o9" 2>&1
expect_grep "leaf3.pem: good" "$T/o9" "still answers correctly afterwards (a new certificate: good)"
expect_grep "^Response verify OK" "$T/o9" "and the answer verifies"

# --- metrics and the access log ---------------------------------------------------
C "$URL/metrics" >"$T/metrics"
expect_grep '^sertel_http_requests_total\{route="ocsp",code="2xx"\} [1-9]' "$T/metrics" "metrics: OCSP requests counted"
expect_grep '^sertel_http_requests_total\{route="ocsp",code="4xx"\} [1-9]' "$T/metrics" "metrics: 4xx counted"
expect_grep '^sertel_http_request_duration_seconds_bucket\{route="ocsp",le="\+Inf"\} [1-9]' "$T/metrics" "metrics: latency histogram"
expect_grep '^sertel_http_requests_in_flight [0-9]' "$T/metrics" "metrics: in-flight gauge"
expect_grep '^sertel_ocsp_cache_hits_total [1-9]' "$T/metrics" "metrics: OCSP cache hits"
expect_grep '^sertel_crl_age_seconds [0-9]' "$T/metrics" "metrics: CRL age"
expect_grep '^sertel_tsa_granted_total [1-9]' "$T/metrics" "metrics: time-stamps granted"
sleep 1.2 # the access log is flushed once a second
if jq -c . "$T/access.log" >/dev/null 2>&1; then pass "access log: every line is JSON"; else fail "access log is not JSON lines"; fi
# (jq 1.6's -e looks only at the last input: count matches with grep)
jq -c 'select(.method == "POST" and .path == "/ocsp" and .status == 200 and .bytes > 0 and .duration_us >= 0 and .ip == "127.0.0.1")' \
    "$T/access.log" | grep -q . && pass "access log: ts, ip, method, path, status, bytes, duration" || fail "access log fields"
L=$(jq -r 'select(.route == "ocsp_get") | .path | length' "$T/access.log" | sort -n | tail -1)
[ -n "$L" ] && [ "$L" -le 259 ] && pass "access log: paths cut to 256 characters ($L)" || fail "path length $L"
grep -q "Surat Keputusan" "$T/access.log" && fail "a body reached the access log" || pass "no bodies in the access log"

# --- SIGTERM under load -------------------------------------------------------------
# Requests with a nonce: each is signed, so some are in progress at the signal.
OCSP -issuer "$T/issuing.pem" -cert "$T/leaf3.pem" -reqout "$T/nreq.der" >/dev/null 2>&1
timeout 120 "$FUZZ" load --port "$PORT" --conns 8 --count 10000000 --body "$T/nreq.der" \
    --max-seconds 60 >"$T/load.out" 2>&1 &
LPID=$!
sleep 1.5
stop_server "$MAIN"
wait $LPID
LRC=$?
cat "$T/load.out"
[ "$RC" = 0 ] && pass "server exits 0 after SIGTERM" || fail "server exit $RC: $(tail -5 "$T/main.err")"
[ $LRC = 0 ] && pass "SIGTERM under load: every request sent got a complete, valid answer" || fail "load: $(cat "$T/load.out")"
grep -Eq 'complete [1-9][0-9]* ' "$T/load.out" && pass "the load ran before the signal" || fail "no load"
grep -Eq 'refused [1-9]' "$T/load.out" && pass "after SIGTERM new connections are refused" || fail "clients never refused"
expect_grep "stopped" "$T/main.err" "server says it stopped"
C -o /dev/null "$URL/healthz" && fail "server still answers after stop" || pass "nothing listens after stop"

# --- IPv6, a base URL with a path, a per-address connection limit ----------------
if grep -q "^0\{31\}1 " /proc/net/if_inet6 2>/dev/null; then
    P6=$("$FUZZ" free-port)
    start_server v6 "$H" --listen "[::1]:$P6" --threads 1 || fail "IPv6 server"
    expect_grep "^listening on http://\[::1\]:$P6\$" "$T/v6.out" "IPv6 listen URL"
    [ "$(C -g "http://[::1]:$P6/healthz")" = ok ] && pass "serves on [::1]" || fail "IPv6 healthz"
    stop_server "$SPID"
    [ "$RC" = 0 ] && pass "IPv6 server exits 0" || fail "IPv6 server exit $RC"
fi

P3=$("$FUZZ" free-port)
H3=$T/home3
new_home "$H3" --base-url "http://127.0.0.1:$P3/pki"
start_server sub "$H3" --listen "127.0.0.1:$P3" --per-ip-limit 1 || exit 1
SUB=$SPID
[ "$(C -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P3/pki/ca/root.crt")" = 200 ] && pass "base URL path: /pki/ca/root.crt" || fail "/pki route"
[ "$(C -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P3/ca/root.crt")" = 404 ] && pass "base URL path: nothing outside it" || fail "/ca outside base path"
"$SERTEL" --home "$H3" ca export --issuing >"$T/iss3.pem"
"$SERTEL" --home "$H3" ca export --root >"$T/root3.pem"
cat "$T/iss3.pem" "$T/root3.pem" >"$T/chain3.pem"
make_csr ec-p256 "Agus Salim" "$T/leaf4"
"$SERTEL" --home "$H3" cert issue --csr "$T/leaf4.csr" --profile document-signing >"$T/leaf4.pem" || fail "issue leaf4"
AIA4=$(openssl x509 -in "$T/leaf4.pem" -noout -ocsp_uri)
[ "$AIA4" = "http://127.0.0.1:$P3/pki/ocsp" ] && pass "OCSP URL carries the base path" || fail "OCSP URL $AIA4"
OCSP -issuer "$T/iss3.pem" -cert "$T/leaf4.pem" -url "$AIA4" -CAfile "$T/chain3.pem" 2>&1 | grep -q "leaf4.pem: good" &&
    pass "OCSP under the base path" || fail "OCSP under /pki"
exec 3<>"/dev/tcp/127.0.0.1/$P3"
sleep 0.2
C -o /dev/null "http://127.0.0.1:$P3/healthz" && fail "per-ip limit 1: a second connection was served" || pass "per-ip limit 1: a second connection is refused"
exec 3>&-
sleep 0.3
[ "$(C "http://127.0.0.1:$P3/healthz")" = ok ] && pass "per-ip limit: served again once the first closed" || fail "per-ip limit: not served after close"
stop_server "$SUB"
[ "$RC" = 0 ] && pass "second server exits 0" || fail "second server exit $RC"

finish
