#!/bin/bash
# End-to-end: PAdES B-LT and B-LTA with an external TSA and CA, no home on
# the signing side. A home plays the outside CA and TSA through `sertel
# serve` on a loopback port; `sertel sign --p12 --tsa URL --level B-LT`
# must fetch OCSP responses (or CRLs) for the signer's and the TSA's chains
# from the URLs in the certificates. Checked with openssl ocsp (the DSS
# responses, read out of the PDF by a regular expression), pdfsig (NSS
# trusting the root, no online OCSP), qpdf --check, and `sertel verify
# --offline` (status from the DSS only). With the server stopped, B-LT
# fails with exit 2, names the URL and leaves no file.
. "$(dirname "$0")/lib.sh"
D=$SERTEL_TEST_DATA
for tool in pdfsig qpdf certutil python3 jq openssl; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
FUZZ=${SERTEL_BUILD:?run through ctest, which sets SERTEL_BUILD}/http_fuzz
[ -x "$FUZZ" ] || { echo "missing $FUZZ: build the http_fuzz target"; exit 1; }

PORT=$("$FUZZ" free-port)
URL=http://127.0.0.1:$PORT
H=$T/home
new_home "$H" --base-url "$URL"
start_serve serve "$H" --listen "127.0.0.1:$PORT" || exit 1
SPID=$SERVE_PID
"$SERTEL" --home "$H" ca export --root >"$T/root.pem"
"$SERTEL" --home "$H" ca export --issuing >"$T/issuing.pem"
"$SERTEL" --home "$H" ca export --tsa >"$T/tsa.pem"
printf 'p12 secret\n' >"$T/p12pw"
make_csr ec-p256 budi "$T/budi"
"$SERTEL" --home "$H" cert issue --csr "$T/budi.csr" --profile document-signing >"$T/budi.crt" ||
    { echo "issue failed"; exit 1; }
# Only the issuing CA goes into the PKCS#12: the root stays outside.
openssl pkcs12 -export -inkey "$T/budi.key" -in "$T/budi.crt" -certfile "$T/issuing.pem" \
    -passout file:"$T/p12pw" -out "$T/budi.p12"
NSS=$T/nss
make_nss "$NSS" "$T/root.pem"

# No --home anywhere on the signing side: the working directory is empty too.
mkdir "$T/elsewhere"
sign() { # sign LEVEL IN OUT
    (cd "$T/elsewhere" && env -u SERTEL_HOME "$SERTEL" sign --p12 "$T/budi.p12" \
        --p12-password-file "$T/p12pw" --tsa "$URL/tsa" --level "$1" "$2" "$3")
}

# dss_items PDF KEY PREFIX: write each stream of the newest /DSS /KEY array to
# PREFIX.N.der and print the count. Independent of sertel: regular expressions.
dss_items() {
    python3 - "$@" <<'PY'
import re, sys
data = open(sys.argv[1], 'rb').read()
key, pre = sys.argv[2].encode(), sys.argv[3]
arr = re.findall(rb'/' + key + rb'\s*\[([^\]]*)\]', data)
if not arr:
    print(0); sys.exit(0)
refs = [int(n) for n in re.findall(rb'(\d+)\s+0\s+R', arr[-1])]
for i, n in enumerate(refs):
    m = list(re.finditer(rb'(?<![0-9])%d\s+0\s+obj\s*<<\s*/Length\s+(\d+)\s*>>\s*stream\r?\n' % n, data))[-1]
    ln = int(m.group(1))
    open('%s.%d.der' % (pre, i), 'wb').write(data[m.end():m.end() + ln])
print(len(refs))
PY
}

L=$D/letter.pdf
for lvl in B-LT B-LTA; do
    o=$T/out-$lvl.pdf
    expect_exit 0 "sign $lvl with --tsa and --p12, no home" -- sign "$lvl" "$L" "$o"
    expect_grep "PAdES $lvl" "$T/out" "$lvl: the level is reported"
    [ -f "$o" ] || { fail "$lvl: no output"; continue; }
    n=$(dss_items "$o" OCSPs "$T/ocsp-$lvl")
    # OCSP for the signer's and the TSA's certificates (issued by the issuing
    # CA); the issuing CA names no OCSP responder the root answers for, so its
    # status is the root's CRL.
    [ "$n" -ge 2 ] && pass "$lvl: the DSS has $n OCSP responses" || fail "$lvl: DSS OCSPs: $n"
    ncrl=$(dss_items "$o" CRLs "$T/crl-$lvl")
    crl_ok=0
    for k in $(seq 0 $((ncrl - 1))); do
        openssl crl -inform DER -in "$T/crl-$lvl.$k.der" -out "$T/crl.pem" 2>/dev/null
        openssl verify -crl_check -CAfile "$T/root.pem" -CRLfile "$T/crl.pem" "$T/issuing.pem" \
            >"$T/crlv.out" 2>&1 && crl_ok=1
    done
    [ $crl_ok = 1 ] && pass "$lvl: a DSS CRL is the root's, and the issuing CA is not on it (openssl verify -crl_check)" ||
        fail "$lvl: no DSS CRL for the issuing CA ($ncrl CRLs): $(cat "$T/crlv.out" 2>/dev/null)"
    nc=$(dss_items "$o" Certs "$T/cert-$lvl")
    [ "$nc" -ge 4 ] && pass "$lvl: the DSS has $nc certificates (both chains)" || fail "$lvl: DSS Certs: $nc"
    # Every certificate of the signer's and the TSA's chain is in the DSS.
    for c in budi.crt tsa.pem issuing.pem; do
        f=$(openssl x509 -in "$T/$c" -noout -fingerprint -sha256)
        found=0
        for k in $(seq 0 $((nc - 1))); do
            [ "$(openssl x509 -inform DER -in "$T/cert-$lvl.$k.der" -noout -fingerprint -sha256)" = "$f" ] && found=1
        done
        [ $found = 1 ] && pass "$lvl: DSS holds $c" || fail "$lvl: DSS lacks $c"
    done
    # Each response is good and verifies (openssl ocsp, trusting only the root).
    good=0
    for k in $(seq 0 $((n - 1))); do
        r=$T/ocsp-$lvl.$k.der
        for who in budi.crt:issuing.pem tsa.pem:issuing.pem issuing.pem:root.pem; do
            c=${who%%:*} i=${who#*:}
            openssl ocsp -respin "$r" -CAfile "$T/root.pem" -VAfile "$T/issuing.pem" -issuer "$T/$i" \
                -cert "$T/$c" -resp_text >"$T/ocsp.txt" 2>&1 || true
            if grep -q "Response verify OK" "$T/ocsp.txt" && grep -Eq "^$T/$c: good" "$T/ocsp.txt"; then
                good=$((good + 1))
                pass "$lvl: DSS OCSP response $k: $c good, Response verify OK (openssl ocsp)"
            fi
        done
    done
    [ "$good" -ge 2 ] && pass "$lvl: OCSP for the signer and the TSA" ||
        fail "$lvl: only $good good OCSP responses: $(cat "$T/ocsp.txt")"
    # poppler validates CAdES signatures, not document time-stamps ("Unable to
    # validate this type of signature"): for B-LTA the time-stamp is checked by
    # sertel verify below and must be the last, covering the whole file.
    pdfsig -nssdir sql:"$NSS" -no-ocsp "$o" >"$T/pdfsig.out" 2>&1
    want=1
    [ $lvl = B-LTA ] && want=2
    [ "$(grep -c '^Signature #' "$T/pdfsig.out")" = $want ] && pass "$lvl: pdfsig lists $want signature(s)" ||
        fail "$lvl: pdfsig: $(cat "$T/pdfsig.out")"
    [ "$(grep -c 'Signature Validation: Signature is Valid' "$T/pdfsig.out")" = 1 ] &&
        [ "$(grep -c 'Certificate Validation: Certificate is Trusted' "$T/pdfsig.out")" = 1 ] &&
        pass "$lvl: pdfsig: the PAdES signature is valid and trusted" || fail "$lvl: pdfsig validity: $(cat "$T/pdfsig.out")"
    if [ $lvl = B-LTA ]; then
        sed -n '/^Signature #2/,$p' "$T/pdfsig.out" >"$T/pdfsig2.out"
        expect_grep "Total document signed" "$T/pdfsig2.out" "$lvl: pdfsig: the document time-stamp (last) covers the whole document"
    else
        # The DSS revision follows the signature: it cannot cover it.
        expect_grep "Not total document signed" "$T/pdfsig.out" "$lvl: pdfsig: the DSS revision follows the signature"
    fi
    expect_exit 0 "$lvl: qpdf --check clean" -- qpdf --check "$o"
    "$SERTEL" verify --trust "$T/root.pem" --offline --json "$o" >"$T/v.json" 2>"$T/v.err"
    [ $? = 0 ] && pass "$lvl: sertel verify --offline passes" || fail "$lvl: verify: $(cat "$T/v.err") $(head -c 1500 "$T/v.json")"
    [ "$(jq -r --arg l $lvl '.signatures[0].level == $l and .signatures[0].certificate_status == "valid" and .signatures[0].revocation == "good" and (.signatures[0].revocation_source|test("^DSS"))' "$T/v.json")" = true ] &&
        pass "$lvl: verify: level $lvl, signer good from the DSS" || fail "$lvl: verify JSON: $(head -c 1500 "$T/v.json")"
    [ "$(jq -r '.signatures[0].modified_after_signing == false and .conclusion == "TOTAL_PASSED"' "$T/v.json")" = true ] &&
        pass "$lvl: verify: nothing but DSS / time-stamp after the signature, TOTAL_PASSED" || fail "$lvl: verify: $(head -c 1500 "$T/v.json")"
    if [ $lvl = B-LTA ]; then
        [ "$(jq -r '.signatures[1].level == "DocTimeStamp"' "$T/v.json")" = true ] &&
            pass "$lvl: verify: the document time-stamp follows" || fail "$lvl: verify: $(head -c 1500 "$T/v.json")"
    fi
    [ "$(jq -r '[.signatures[0].chain_revocation[] | (.status == "good" and (.source|test("^DSS")))] | all' "$T/v.json")" = true ] &&
        pass "$lvl: verify: every chain certificate good from the DSS" || fail "$lvl: chain_revocation: $(jq -c '.signatures[0].chain_revocation' "$T/v.json")"
    ls "$T"/out-$lvl.pdf.* >/dev/null 2>&1 && fail "$lvl: temporary files left" || pass "$lvl: no temporary files"
done

# A TSA of another CA (a second home on a second port): its chain, under
# another root, is fetched from its own URLs and lands in the DSS too.
PORT2=$("$FUZZ" free-port)
URL2=http://127.0.0.1:$PORT2
new_home "$T/home2" --base-url "$URL2"
start_serve serve2 "$T/home2" --listen "127.0.0.1:$PORT2" || exit 1
SPID2=$SERVE_PID
"$SERTEL" --home "$T/home2" ca export --root >"$T/root2.pem"
"$SERTEL" --home "$T/home2" ca export --tsa >"$T/tsa2.pem"
# The TSA's token no longer brings the first root: the PKCS#12 must (a chain
# without it cannot be checked, and says so).
expect_exit 2 "a PKCS#12 without the root and a foreign TSA: refused" -- \
    env -u SERTEL_HOME "$SERTEL" sign --p12 "$T/budi.p12" --p12-password-file "$T/p12pw" \
    --tsa "$URL2/tsa" --level B-LT "$L" "$T/noroot.pdf"
expect_grep "cannot find the issuer of .*Issuing CA.*whole chain" "$T/err" "missing root: the message says what to do"
[ ! -e "$T/noroot.pdf" ] && pass "missing root: no output file" || fail "missing root: output written"
cat "$T/issuing.pem" "$T/root.pem" >"$T/chain.pem"
openssl pkcs12 -export -inkey "$T/budi.key" -in "$T/budi.crt" -certfile "$T/chain.pem" \
    -passout file:"$T/p12pw" -out "$T/budi-full.p12"
sign2() { # sign2 LEVEL IN OUT: the signer of the first CA, the TSA of the second
    (cd "$T/elsewhere" && env -u SERTEL_HOME "$SERTEL" sign --p12 "$T/budi-full.p12" \
        --p12-password-file "$T/p12pw" --tsa "$URL2/tsa" --level "$1" "$2" "$3")
}
expect_exit 0 "B-LTA with the TSA of another CA" -- sign2 B-LTA "$L" "$T/two.pdf"
nc=$(dss_items "$T/two.pdf" Certs "$T/cert-two")
f=$(openssl x509 -in "$T/tsa2.pem" -noout -fingerprint -sha256)
found=0
for k in $(seq 0 $((nc - 1))); do
    [ "$(openssl x509 -inform DER -in "$T/cert-two.$k.der" -noout -fingerprint -sha256)" = "$f" ] && found=1
done
[ $found = 1 ] && pass "other TSA: its certificate is in the DSS" || fail "other TSA: not in the DSS"
n=$(dss_items "$T/two.pdf" OCSPs "$T/ocsp-two")
good=0
for k in $(seq 0 $((n - 1))); do
    openssl ocsp -respin "$T/ocsp-two.$k.der" -CAfile "$T/root2.pem" -issuer "$T/root2.pem" \
        -cert "$T/tsa2.pem" -resp_text >"$T/ocsp.txt" 2>&1 || true
    "$SERTEL" --home "$T/home2" ca export --issuing >"$T/issuing2.pem"
    openssl ocsp -respin "$T/ocsp-two.$k.der" -CAfile "$T/root2.pem" -issuer "$T/issuing2.pem" \
        -cert "$T/tsa2.pem" -resp_text >>"$T/ocsp.txt" 2>&1 || true
    grep -q "Response verify OK" "$T/ocsp.txt" && grep -Eq "tsa2.pem: good" "$T/ocsp.txt" && good=1
done
[ $good = 1 ] && pass "other TSA: its OCSP response (good, verifies) is in the DSS" ||
    fail "other TSA: no good OCSP response for it: $(cat "$T/ocsp.txt")"
"$SERTEL" verify --trust "$T/root.pem" --trust "$T/root2.pem" --offline --json "$T/two.pdf" >"$T/v.json" 2>"$T/v.err"
[ "$(jq -r '.signatures[0].level == "B-LTA" and ([.signatures[0].chain_revocation[] | (.status == "good" and (.source|test("^DSS")))] | all) and .conclusion == "TOTAL_PASSED"' "$T/v.json")" = true ] &&
    pass "other TSA: sertel verify --offline: B-LTA, both chains good from the DSS" ||
    fail "other TSA: verify: $(cat "$T/v.err") $(head -c 1500 "$T/v.json")"

# A TSA that changes certificates between the signature-time-stamp and the
# document time-stamp (a relay: request 1, the signature-time-stamp - one
# request per time-stamp -, goes to the first CA's TSA, later ones to the
# second's): a second DSS revision after the document time-stamp carries
# the new TSA's chain and status.
PORT3=$("$FUZZ" free-port)
python3 - "$PORT3" "$URL/tsa" "$URL2/tsa" >"$T/relay.out" 2>"$T/relay.err" <<'PY' &
import http.server, sys, urllib.request
port, first, second = int(sys.argv[1]), sys.argv[2], sys.argv[3]
n = [0]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        n[0] += 1
        url = first if n[0] <= 1 else second
        req = urllib.request.Request(url, data=body, headers={'Content-Type': 'application/timestamp-query'})
        data = urllib.request.urlopen(req, timeout=20).read()
        self.send_response(200)
        self.send_header('Content-Type', 'application/timestamp-reply')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(('127.0.0.1', port), H)
print('listening', flush=True)
s.serve_forever()
PY
RPID=$!
bg_track "$RPID"
for i in $(seq 100); do grep -q listening "$T/relay.out" && break; sleep 0.1; done
expect_exit 0 "B-LTA, the TSA changes certificates before the document time-stamp" -- \
    env -u SERTEL_HOME "$SERTEL" sign --p12 "$T/budi-full.p12" --p12-password-file "$T/p12pw" \
    --tsa "http://127.0.0.1:$PORT3/tsa" --level B-LTA "$L" "$T/switch.pdf"
kill -KILL $RPID 2>/dev/null
f=$(openssl x509 -in "$T/tsa2.pem" -noout -fingerprint -sha256)
nc=$(dss_items "$T/switch.pdf" Certs "$T/cert-sw")
found=0
for k in $(seq 0 $((nc - 1))); do
    [ "$(openssl x509 -inform DER -in "$T/cert-sw.$k.der" -noout -fingerprint -sha256)" = "$f" ] && found=1
done
[ $found = 1 ] && pass "TSA switch: the second TSA's certificate is in the final DSS" || fail "TSA switch: second TSA not in the DSS"
[ "$(grep -ac '/DSS' "$T/switch.pdf")" -ge 2 ] && pass "TSA switch: two DSS revisions" || fail "TSA switch: one DSS revision"
n=$(dss_items "$T/switch.pdf" OCSPs "$T/ocsp-sw")
good=0
for k in $(seq 0 $((n - 1))); do
    openssl ocsp -respin "$T/ocsp-sw.$k.der" -CAfile "$T/root2.pem" -issuer "$T/issuing2.pem" \
        -cert "$T/tsa2.pem" -resp_text >"$T/ocsp.txt" 2>&1 || true
    grep -q "Response verify OK" "$T/ocsp.txt" && grep -Eq "tsa2.pem: good" "$T/ocsp.txt" && good=1
done
[ $good = 1 ] && pass "TSA switch: the second TSA's OCSP response (good, verifies) is in the final DSS" ||
    fail "TSA switch: no good OCSP response for the second TSA"
"$SERTEL" verify --trust "$T/root.pem" --trust "$T/root2.pem" --offline --json "$T/switch.pdf" >"$T/v.json" 2>"$T/v.err"
[ "$(jq -r '.signatures[0].level == "B-LTA" and .signatures[1].level == "DocTimeStamp" and .conclusion == "TOTAL_PASSED"' "$T/v.json")" = true ] &&
    pass "TSA switch: sertel verify --offline: B-LTA, then the document time-stamp, TOTAL_PASSED" ||
    fail "TSA switch: verify: $(cat "$T/v.err") $(head -c 2000 "$T/v.json")"
expect_exit 0 "TSA switch: qpdf --check clean" -- qpdf --check "$T/switch.pdf"
pdfsig -nssdir sql:"$NSS" -no-ocsp "$T/switch.pdf" >"$T/pdfsig.out" 2>&1
[ "$(grep -c 'Signature Validation: Signature is Valid' "$T/pdfsig.out")" = 1 ] &&
    pass "TSA switch: pdfsig: the PAdES signature is valid" || fail "TSA switch: pdfsig: $(cat "$T/pdfsig.out")"

# The signer's CA gone, the TSA still there: B-LT promises the data, so it
# fails, naming the certificate and the unreachable URLs; no file is left.
kill -TERM "$SPID"
wait "$SPID" 2>/dev/null
SPID=""
expect_exit 2 "B-LT with the signer's OCSP responder and CRL server down fails" -- sign2 B-LT "$L" "$T/down.pdf"
expect_grep "no revocation data for .*CN ?= ?budi" "$T/err" "the message names the certificate"
expect_grep "127\.0\.0\.1:$PORT/ocsp" "$T/err" "the message names the unreachable OCSP URL"
expect_grep "127\.0\.0\.1:$PORT/crl/" "$T/err" "the message names the unreachable CRL URL"
[ ! -e "$T/down.pdf" ] && pass "no output file" || fail "output written"
[ -z "$(ls "$T" | grep -E 'down\.pdf')" ] && pass "no temporary files" || fail "temporary files: $(ls "$T")"
# Both gone: the TSA's URL is named.
kill -TERM "$SPID2"
wait "$SPID2" 2>/dev/null
expect_exit 2 "B-LTA with every server down fails" -- sign2 B-LTA "$L" "$T/down2.pdf"
expect_grep "127\.0\.0\.1:$PORT2/tsa" "$T/err" "the message names the unreachable TSA"
[ ! -e "$T/down2.pdf" ] && pass "no output file" || fail "output written"
finish
