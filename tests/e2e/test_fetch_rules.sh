#!/bin/bash
# End-to-end: what a document can make `sertel verify` fetch (lib/cms
# fetch.c, netaddr.c; lib/pdf verify_rev.c). A home serves its OCSP
# responder and CRLs on a loopback port (`sertel serve`); its /metrics
# counters show every request that reached it. A second CA, made with
# openssl, issues a certificate whose AIA OCSP, caIssuers and CRL URLs all
# point at that server's /metrics; a python server counts hits and sleeps
# on /slow for the budget.
#  - trusted chain, URLs on loopback, no home: nothing is fetched (the
#    counters do not move), the report names each fetch left out and why,
#    in English and in Indonesian;
#  - the same document verified with --home of the serving home (its own
#    base URL) is checked online; --fetch-allow does the same for another
#    origin;
#  - a chain that does not reach a trust anchor makes no request, even to
#    an allowed origin (and does when its root is trusted: the control);
#  - a slow responder is cut at --fetch-time and nothing more is fetched
#    (the hit count); --fetch-bytes cuts an answer too big for the budget.
. "$(dirname "$0")/lib.sh"
D=$SERTEL_TEST_DATA
for tool in python3 jq openssl curl; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
FUZZ=${SERTEL_BUILD:?run through ctest, which sets SERTEL_BUILD}/http_fuzz
[ -x "$FUZZ" ] || { echo "missing $FUZZ: build the http_fuzz target"; exit 1; }

PORT=$("$FUZZ" free-port)
URL=http://127.0.0.1:$PORT
H=$T/home
new_home "$H" --base-url "$URL"
start_serve serve "$H" --listen "127.0.0.1:$PORT" || exit 1
make_signers "$H" budi:ec-p256
L=$D/letter.pdf
mkdir "$T/elsewhere"
# sertel run from an empty directory without a home: --trust only.
nohome() { (cd "$T/elsewhere" && env -u SERTEL_HOME "$SERTEL" "$@"); }
"$SERTEL" --home "$H" sign --p12 "$T/budi.p12" --p12-password-file "$T/p12pw" "$L" "$T/bb.pdf" \
    >/dev/null 2>"$T/err" || { echo "sign: $(cat "$T/err")"; exit 1; }

# served: requests the home's server answered, but for the test's own GETs of /metrics.
served() {
    curl -s "$URL/metrics" |
        awk '/^sertel_http_requests_total/ && !/route="metrics",code="2xx"/ && !/route="healthz"/ { n += $2 } END { print n + 0 }'
}
# jqt FILE FILTER DESCRIPTION: the jq filter must yield true.
jqt() {
    if [ "$(jq -r "$2" "$1" 2>/dev/null)" = true ]; then pass "$3"; else fail "$3: $(head -c 1500 "$1")"; fi
}

# 1. Trusted, but the responder is on loopback and this is not its home: nothing fetched.
n0=$(served)
expect_exit 1 "loopback responder, no home: not passed" -- nohome verify --json --trust "$T/root.pem" "$T/bb.pdf"
cp "$T/out" "$T/lo.json"
[ "$(served)" = "$n0" ] && pass "loopback responder, no home: no request reached the server" ||
    fail "loopback responder, no home: $(($(served) - n0)) requests reached the server"
jqt "$T/lo.json" '.signatures[0].conclusion == "INDETERMINATE" and .signatures[0].sub_indication == "TRY_LATER"' \
    "loopback responder: INDETERMINATE / TRY_LATER"
ocsp_skip="OCSP at $URL/ocsp not fetched: loopback address (127.0.0.1)"
crl_skip="CRL at $URL/crl/issuing.crl not fetched: loopback address (127.0.0.1)"
[ "$(jq --arg m "$ocsp_skip" '[.signatures[0].reasons[] | select(. == $m)] | length' "$T/lo.json")" = 1 ] &&
    pass "the report names the OCSP fetch left out and why" || fail "no '$ocsp_skip' in $(jq -c '.signatures[0].reasons' "$T/lo.json")"
[ "$(jq --arg m "$crl_skip" '[.signatures[0].reasons[] | select(. == $m)] | length' "$T/lo.json")" = 1 ] &&
    pass "the report names the CRL fetch left out and why" || fail "no '$crl_skip' in $(jq -c '.signatures[0].reasons' "$T/lo.json")"
jqt "$T/lo.json" '.signatures[0].reasons[0] | test("no revocation status for the signer.s chain: OCSP at .* not fetched: loopback address")' \
    "the deciding reason says why there is no status"
expect_exit 1 "loopback responder: Indonesian text" -- nohome verify --trust "$T/root.pem" "$T/bb.pdf"
expect_grep "OCSP di $URL/ocsp tidak diambil: alamat loopback \(127\.0\.0\.1\)" "$T/out" "the Indonesian report names it too"

# 2. The home's own base URL: fetched, and the server saw it.
n0=$(served)
expect_exit 0 "with --home of the serving home: passes online" -- "$SERTEL" --home "$H" verify --json "$T/bb.pdf"
jqt "$T/out" '.signatures[0].revocation == "good" and .signatures[0].revocation_source == "online OCSP"' \
    "own base URL: revocation good from online OCSP"
n1=$(served)
[ "$n1" -gt "$n0" ] && pass "own base URL: the server answered $((n1 - n0)) requests" || fail "own base URL: no request reached the server"
# --fetch-allow: an origin the operator vouches for (a CA on the agency's network).
n0=$(served)
expect_exit 0 "--fetch-allow the responder's origin: passes online" -- \
    nohome verify --json --trust "$T/root.pem" --fetch-allow "$URL" "$T/bb.pdf"
[ "$(served)" -gt "$n0" ] && pass "--fetch-allow: the server answered" || fail "--fetch-allow: no request reached the server"
expect_exit 2 "--fetch-allow of something that is not a URL: refused" -- \
    nohome verify --trust "$T/root.pem" --fetch-allow "127.0.0.1:$PORT" "$T/bb.pdf"
expect_grep "not an http\(s\) URL" "$T/err" "--fetch-allow: the refusal says why"

# 3. A CA outside the home whose certificate points every URL at the server's /metrics.
o() { openssl "$@" 2>>"$T/openssl.err" || { echo "openssl $1 failed: $(tail -3 "$T/openssl.err")"; exit 1; }; }
o req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/r2.key" -out "$T/r2.pem" \
    -subj "/C=ID/O=CA Luar/CN=CA Luar Root" -days 30 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
o req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/m.key" -out "$T/m.csr" \
    -subj "/C=ID/O=CA Luar/CN=Penanda Metrik"
cat >"$T/m.ext" <<EOF
keyUsage=critical,digitalSignature,nonRepudiation
authorityInfoAccess=OCSP;URI:$URL/metrics,caIssuers;URI:$URL/metrics
crlDistributionPoints=URI:$URL/metrics
EOF
o x509 -req -in "$T/m.csr" -CA "$T/r2.pem" -CAkey "$T/r2.key" -CAcreateserial -days 30 \
    -extfile "$T/m.ext" -out "$T/m.pem"
o pkcs12 -export -inkey "$T/m.key" -in "$T/m.pem" -certfile "$T/r2.pem" -passout file:"$T/p12pw" \
    -out "$T/m.p12"
nohome sign --p12 "$T/m.p12" --p12-password-file "$T/p12pw" "$L" "$T/metrics.pdf" >/dev/null 2>"$T/err" ||
    { echo "sign with the outside CA: $(cat "$T/err")"; exit 1; }
# metrics_probes: the POSTs and GETs /metrics got other than the test's own (answered 4xx).
metrics_probes() { curl -s "$URL/metrics" | awk '/route="metrics",code="4xx"/ { n += $2 } END { print n + 0 }'; }
m0=$(metrics_probes)
expect_exit 1 "AIA at /metrics, trusted root, no home: not passed" -- \
    nohome verify --json --trust "$T/r2.pem" "$T/metrics.pdf"
[ "$(metrics_probes)" = "$m0" ] && pass "AIA at /metrics: no request reached /metrics" ||
    fail "AIA at /metrics: $(($(metrics_probes) - m0)) requests reached /metrics"
jqt "$T/out" "[.signatures[0].reasons[] | select(. == \"OCSP at $URL/metrics not fetched: loopback address (127.0.0.1)\")] | length == 1" \
    "AIA at /metrics: the report names the refused OCSP fetch"
# The chain does not reach a trust anchor (the home's root is trusted, not this CA's): no
# request, though the home's origin is exempt from the address rule.
m0=$(metrics_probes)
expect_exit 1 "untrusted chain with the serving home: not passed" -- "$SERTEL" --home "$H" verify --json "$T/metrics.pdf"
jqt "$T/out" '.signatures[0].sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"' "untrusted chain: NO_CERTIFICATE_CHAIN_FOUND"
[ "$(metrics_probes)" = "$m0" ] && pass "untrusted chain: no request, not even caIssuers" ||
    fail "untrusted chain: $(($(metrics_probes) - m0)) requests reached /metrics"
# The control: trusted, and the home's origin exempt, the same document does reach /metrics.
m0=$(metrics_probes)
expect_exit 1 "trusted chain, the serving home's origin: fetched (and refused by /metrics)" -- \
    "$SERTEL" --home "$H" verify --json --trust "$T/r2.pem" "$T/metrics.pdf"
[ "$(metrics_probes)" -gt "$m0" ] && pass "control: with the anchor and the home, /metrics is reached" ||
    fail "control: /metrics not reached"
jqt "$T/out" '.signatures[0].reasons | map(test("answered HTTP 405")) | any' "control: the fetch error is reported"

# 4. Budgets: a home whose services are a python server that counts and sleeps on /slow.
PY=$("$FUZZ" free-port)
python3 - "$PY" >"$T/py.out" 2>"$T/py.err" <<'PY' &
import http.server, socketserver, sys, threading, time
port = int(sys.argv[1])
hits = [0]
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    def any(self):
        if self.path == '/_hits':
            body = str(hits[0]).encode()
            self.send_response(200)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        with lock:
            hits[0] += 1
        if self.path.startswith('/slow'):
            time.sleep(60)
        self.send_response(404)
        self.send_header('Content-Length', '0')
        self.end_headers()
    do_GET = do_POST = any
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(('127.0.0.1', port), H)
print('listening', flush=True)
s.serve_forever()
PY
bg_track $!
for i in $(seq 100); do grep -q listening "$T/py.out" && break; sleep 0.1; done
hits() { curl -s "http://127.0.0.1:$PY/_hits"; }
S=$T/slowhome
new_home "$S" --base-url "http://127.0.0.1:$PY/slow"
"$SERTEL" --home "$S" ca export --root >"$T/slowroot.pem"
make_csr ec-p256 lambat "$T/lambat"
"$SERTEL" --home "$S" cert issue --csr "$T/lambat.csr" --profile document-signing >"$T/lambat.crt" ||
    { echo "issue from the slow home failed"; exit 1; }
"$SERTEL" --home "$S" ca export --issuing >"$T/slowissuing.pem"
cat "$T/slowissuing.pem" "$T/slowroot.pem" >"$T/slowchain.pem"
openssl pkcs12 -export -inkey "$T/lambat.key" -in "$T/lambat.crt" -certfile "$T/slowchain.pem" \
    -passout file:"$T/p12pw" -out "$T/lambat.p12"
nohome sign --p12 "$T/lambat.p12" --p12-password-file "$T/p12pw" "$L" "$T/slow.pdf" >/dev/null 2>"$T/err" ||
    { echo "sign with the slow home's certificate: $(cat "$T/err")"; exit 1; }
[ "$(hits)" = 0 ] && pass "slow responder: no hit before validation" || fail "slow responder: $(hits) hits before validation"
# (Without the home: a CA home's database would answer for its own certificates once the
# fetch failed, test_verify_time.sh.)
expect_exit 1 "slow responder, --fetch-time 2: not passed" -- \
    nohome verify --json --trust "$T/slowroot.pem" --fetch-allow "http://127.0.0.1:$PY" --fetch-time 2 "$T/slow.pdf"
cp "$T/out" "$T/slow.json"
jqt "$T/slow.json" "[.signatures[0].reasons[] | select(. == \"OCSP at http://127.0.0.1:$PY/slow/ocsp cut off: the fetch time budget (2.0 s) ran out\")] | length == 1" \
    "slow responder: the OCSP fetch was cut at the budget, and the report says so"
jqt "$T/slow.json" "[.signatures[0].reasons[] | select(test(\"^CRL at http://127.0.0.1:$PY/slow/crl/issuing.crl not fetched: the fetch time budget [(]2.0 s[)] is spent\"))] | length == 1" \
    "slow responder: the CRL is not fetched once the budget is spent, and the report says so"
[ "$(hits)" = 1 ] && pass "slow responder: one request, nothing after the budget ran out" ||
    fail "slow responder: $(hits) requests"
# The byte budget: the home's own OCSP responses are larger than 16 bytes.
expect_exit 1 "--fetch-bytes 16: not passed" -- nohome verify --json --trust "$H/certs/root.pem" --fetch-allow "$URL" --fetch-bytes 16 "$T/bb.pdf"
jqt "$T/out" '.signatures[0].reasons | map(test("^OCSP at .* cut off: the fetch byte budget \\(16 bytes\\) ran out$")) | any' \
    "--fetch-bytes 16: the OCSP answer is cut, the report says so"
jqt "$T/out" '.signatures[0].reasons | map(test("^CRL at .* not fetched: the fetch byte budget \\(16 bytes\\) is spent$")) | any' \
    "--fetch-bytes 16: nothing more is fetched"
expect_exit 2 "--fetch-time 0: a usage error" -- "$SERTEL" --home "$H" verify --fetch-time 0 "$T/bb.pdf"
finish
