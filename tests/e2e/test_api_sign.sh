#!/bin/bash
# End-to-end: owners sign over the API (POST /api/v1/sign, /api/v1/sign/batch) and anyone has a
# document checked (POST /api/v1/verify), with curl against a real `sertel serve`:
#  - a logged-in owner (cookie + CSRF) and an agency system (HTTP Basic, nik) sign; the answer is
#    the signed PDF (pdfsig: valid and trusted; its SHA-256 is the register's under the
#    X-Document-Id) or JSON with base64; the QR code is <base_url>/verify/<id> (zbarimg), or the
#    client's text;
#  - a batch under ONE authorization (one sign.authorized audit entry): every good file signed and
#    recorded once, a bad one refused alone; too many files 413;
#  - refusals: passphrase_wrong, signing_locked with Retry-After, cannot_sign with the status;
#    another agency's person looks like an unknown one; no scope, no session: refused;
#  - verify answers what `sertel verify --json` prints for the same file;
#  - limits: the body cap (413), the per-client rate limit (429 + Retry-After), a full signing
#    queue (429 + Retry-After); 20 stalled uploads hold no thread (a signing still completes);
#    OCSP is answered while the signing pool is saturated (before the signings end).
. "$(dirname "$0")/lib.sh"
for tool in pdfsig zbarimg pdftoppm sqlite3 python3 curl openssl; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
S() { "$SERTEL" --home "$H" "$@"; }

H=$T/home
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
new_home "$H" --base-url "http://127.0.0.1:$PORT"
fast_kdf "$H"
sed -i 's/^second_factor = .*/second_factor = off/' "$H/sertel.conf"
# Small limits so that they can be reached here; sign_memory_mib holds two 19 MiB derivations.
cat >>"$H/sertel.conf" <<'EOF'
[api]
batch_max_files = 6
max_body_mib = 12
sign_memory_mib = 40
sign_queue = 2
client_rate_per_minute = 40
EOF
S agency add --name "Kementerian Uji" --domain uji.go.id >/dev/null || exit 1
S agency add --name "Badan Lain" --domain lain.go.id >/dev/null || exit 1
printf 'rahasia penandatangan\n' >"$T/pass"
PASS='rahasia penandatangan'
new_owner "$H" 1 "Rina Wulandari" 3201015201900001 rina@uji.go.id "$T/pass" >/dev/null || exit 1
new_owner "$H" 1 "Budi Santoso" 3201011201900002 budi@uji.go.id "$T/pass" >/dev/null || exit 1
new_owner "$H" 2 "Lain Orang" 3201011301900003 lain@lain.go.id "$T/pass" >/dev/null || exit 1
printf 'a-good-long-password\n' >"$T/pw"
S password set --email rina@uji.go.id --password-file "$T/pw" >/dev/null || exit 1
client() { # client NAME SCOPES: sets CID and CSEC
    S client add --agency 1 --name "$1" --scopes "$2" >"$T/cl" || exit 1
    CID=$(grep -o 'cl_[0-9a-f]*' "$T/cl" | head -1)
    CSEC=$(sed -n 's/^secret: //p' "$T/cl")
}
client eoffice sign,verify
C1="$CID:$CSEC"
client statusonly status
C2="$CID:$CSEC"
S ca export --root >"$T/root.pem"
make_nss "$T/nss" "$T/root.pem" >/dev/null 2>&1
start_serve api "$H" --listen "127.0.0.1:$PORT" || exit 1
U="http://127.0.0.1:$PORT"
L=$SERTEL_TEST_DATA/letter.pdf
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec("print(d"+sys.argv[2]+")")' "$1" "$2"; }
reg_sha() { sqlite3 "file:$H/sertel.db?mode=ro" "SELECT lower(hex(sha256)) FROM signed_documents WHERE id = '$1'"; }
# sign NAME [curl args...]: POST /api/v1/sign; body in $T/NAME.b, headers in $T/NAME.h, status echoed
sign() {
    local n=$1
    shift
    curl -s -D "$T/$n.h" -o "$T/$n.b" -w '%{http_code}' "$@" "$U/api/v1/sign"
}
hdr() { sed -n "s/^$2: \\([^\\r]*\\)\\r\$/\\1/Ip" "$T/$1.h"; }
qr_of() { # qr_of PDF: the QR code's text on page 1
    local dpi
    for dpi in 150 200 300; do
        rm -f "$T"/qr-*.png
        pdftoppm -png -r $dpi -f 1 -l 1 "$1" "$T/qr"
        zbarimg -q --raw "$T"/qr-*.png 2>/dev/null && return 0
    done
    return 1
}

# --- a logged-in owner signs (cookie + CSRF), the answer is the PDF ---
st=$(curl -s -c "$T/jar" -o "$T/login.b" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"email":"rina@uji.go.id","password":"a-good-long-password"}' "$U/api/v1/session")
[ "$st" = 200 ] || { echo "login failed: $st $(cat "$T/login.b")"; exit 1; }
CSRF=$(jget "$T/login.b" '["csrf_token"]')
st=$(sign own -b "$T/jar" -H "X-CSRF-Token: $CSRF" -F "file=@$L" -F "passphrase=$PASS" \
    -F visible=true -F x=330 -F y=60 -F width=240 -F height=90 -F reason=Menyetujui)
ID=$(hdr own X-Document-Id)
[ "$st" = 200 ] && [ ${#ID} = 32 ] && pass "owner signs with a session: 200, X-Document-Id $ID" ||
    fail "session sign: $st $(head -c 300 "$T/own.b")"
expect_grep '^Content-Type: application/pdf' "$T/own.h" "answer is application/pdf"
expect_grep "^Content-Disposition: attachment; filename=\"$ID.pdf\"" "$T/own.h" "attachment"
pdfsig -nssdir "sql:$T/nss" "$T/own.b" >"$T/pdfsig.txt" 2>&1
expect_grep "Signature is Valid" "$T/pdfsig.txt" "pdfsig: the signature is valid"
expect_grep "Certificate is Trusted" "$T/pdfsig.txt" "pdfsig: the certificate is trusted"
expect_grep "Common Name: Rina Wulandari" "$T/pdfsig.txt" "signed by the logged-in owner"
[ "$(sha256sum <"$T/own.b" | cut -d' ' -f1)" = "$(reg_sha "$ID")" ] &&
    pass "the register holds the answer's SHA-256 under its id" || fail "register sha mismatch for $ID"
qr_of "$T/own.b" >"$T/qr.txt"
[ "$(cat "$T/qr.txt")" = "$U/verify/$ID" ] && pass "the QR code is $U/verify/<id>" ||
    fail "QR: $(cat "$T/qr.txt")"
st=$(sign nocsrf -b "$T/jar" -F "file=@$L" -F "passphrase=$PASS")
[ "$st" = 403 ] && pass "a session without the CSRF token: 403" || fail "no CSRF: $st"
st=$(sign anon -F "file=@$L" -F "passphrase=$PASS")
[ "$st" = 401 ] && pass "nobody logged in: 401" || fail "anonymous: $st"

# --- an agency system signs for its person by NIK; JSON answer; the client's QR text ---
st=$(sign cl -u "$C1" -H 'Accept: application/json' -F "file=@$L" -F nik=3201011201900002 \
    -F "passphrase=$PASS" -F marker=Untuk -F qr=https://eoffice.uji.go.id/surat/42 -F level=B-LT)
[ "$st" = 200 ] && pass "a client signs by NIK: 200 JSON" || fail "client sign: $st $(head -c 300 "$T/cl.b")"
ID2=$(jget "$T/cl.b" '["document_id"]')
jget "$T/cl.b" '["file_base64"]' | base64 -d >"$T/cl.pdf"
pdfsig -nssdir "sql:$T/nss" "$T/cl.pdf" >"$T/pdfsig2.txt" 2>&1
expect_grep "Common Name: Budi Santoso" "$T/pdfsig2.txt" "JSON answer: the base64 file is Budi's signed PDF"
expect_grep "Signature is Valid" "$T/pdfsig2.txt" "JSON answer: valid"
[ "$(sha256sum <"$T/cl.pdf" | cut -d' ' -f1)" = "$(reg_sha "$ID2")" ] &&
    pass "JSON answer: registered under document_id" || fail "register sha mismatch for $ID2"
[ "$(qr_of "$T/cl.pdf")" = https://eoffice.uji.go.id/surat/42 ] && pass "qr: the client's text" ||
    fail "client QR: $(qr_of "$T/cl.pdf")"
S verify --json "$T/cl.pdf" >"$T/cli.json"
[ "$(jget "$T/cli.json" '["signatures"][0]["level"]')" = B-LT ] && pass "level=B-LT honoured" ||
    fail "level: $(jget "$T/cli.json" '["signatures"][0]["level"]')"

# --- verify: the same report as sertel verify --json ---
st=$(curl -s -o "$T/v.json" -w '%{http_code}' -F "file=@$T/cl.pdf;filename=cl.pdf" "$U/api/v1/verify")
[ "$st" = 200 ] && pass "verify: 200" || fail "verify: $st $(head -c 300 "$T/v.json")"
python3 - "$T/v.json" "$T/cli.json" <<'PY' && pass "verify answers what sertel verify --json prints" || fail "verify differs from the CLI"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    d.pop('file', None)
    d.pop('validation_time', None)  # the time each validation ran
if a['conclusion'] != 'TOTAL_PASSED' or a != b:
    print(json.dumps(a)[:400]); print(json.dumps(b)[:400]); sys.exit(1)
PY
st=$(curl -s -o "$T/v2.json" -w '%{http_code}' -F "file=@$T/pw" "$U/api/v1/verify")
[ "$st" = 400 ] && [ "$(jget "$T/v2.json" '["error"]["code"]')" = file_invalid ] &&
    pass "verify of a non-PDF: 400 file_invalid" || fail "verify non-PDF: $st"
expect_no_grep "/proc/self" "$T/v2.json" "no server path in the answer"

# --- a batch under one authorization; a bad file refused alone ---
printf 'not a pdf at all\n' >"$T/bad.pdf"
AUTH0=$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT count(*) FROM audit_log WHERE event = 'sign.authorized'")
st=$(curl -s -o "$T/batch.b" -w '%{http_code}' -u "$C1" -F nik=3201015201900001 -F "passphrase=$PASS" \
    -F "file=@$L;filename=a.pdf" -F "file=@$L;filename=b.pdf" -F "file=@$T/bad.pdf;filename=bad.pdf" \
    -F "file=@$T/own.b;filename=c.pdf" "$U/api/v1/sign/batch")
[ "$st" = 200 ] && pass "batch: 200" || fail "batch: $st $(head -c 300 "$T/batch.b")"
python3 - "$T/batch.b" "$H/sertel.db" "$T" <<'PY' && pass "batch: 3 signed (each registered once, with its SHA-256), the bad one refused alone" || fail "batch documents"
import base64, hashlib, json, sqlite3, sys
d = json.load(open(sys.argv[1]))
db = sqlite3.connect('file:%s?mode=ro' % sys.argv[2], uri=True)
assert d['signed'] == 3 and d['failed'] == 1, d
assert [x['file'] for x in d['documents']] == ['a.pdf', 'b.pdf', 'bad.pdf', 'c.pdf']
bad = d['documents'][2]
assert 'document_id' not in bad and bad['error']['code'] == 'file_invalid', bad
for i, x in enumerate(d['documents']):
    if i == 2: continue
    pdf = base64.b64decode(x['file_base64'])
    open('%s/batch-%d.pdf' % (sys.argv[3], i), 'wb').write(pdf)
    rows = db.execute('SELECT lower(hex(sha256)) FROM signed_documents WHERE id = ?', (x['document_id'],)).fetchall()
    assert rows == [(hashlib.sha256(pdf).hexdigest(),)], (x['document_id'], rows)
PY
AUTH1=$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT count(*) FROM audit_log WHERE event = 'sign.authorized'")
[ $((AUTH1 - AUTH0)) = 1 ] && pass "batch: one authorization (one sign.authorized entry)" ||
    fail "batch authorizations: $((AUTH1 - AUTH0))"
pdfsig -nssdir "sql:$T/nss" "$T/batch-3.pdf" >"$T/pdfsig3.txt" 2>&1
[ "$(grep -c 'Signature is Valid' "$T/pdfsig3.txt")" = 2 ] && pass "batch: a signed file signed again holds two valid signatures" ||
    fail "batch re-sign: $(cat "$T/pdfsig3.txt")"
args=()
for i in 1 2 3 4 5 6 7; do args+=(-F "file=@$L"); done
st=$(curl -s -o "$T/many.b" -w '%{http_code}' -u "$C1" -F nik=3201015201900001 -F "passphrase=$PASS" "${args[@]}" "$U/api/v1/sign/batch")
[ "$st" = 413 ] && [ "$(jget "$T/many.b" '["error"]["code"]')" = too_many_files ] &&
    pass "7 files with batch_max_files = 6: 413 too_many_files" || fail "too many files: $st"

# --- limits ---
head -c 13000000 /dev/zero >"$T/big.bin"
st=$(curl -s -o "$T/big.b" -w '%{http_code}' -u "$C1" -F "file=@$T/big.bin" -F nik=3201015201900001 -F "passphrase=$PASS" "$U/api/v1/sign")
[ "$st" = 413 ] && pass "a body over max_body_mib: 413" || fail "body cap: $st"
for i in $(seq 1 45); do
    st=$(curl -s -o "$T/rl.b" -D "$T/rl.h" -w '%{http_code}' -u "$C2" -F x=y "$U/api/v1/verify")
    [ "$st" = 429 ] && break
done
[ "$st" = 429 ] && [ "$(jget "$T/rl.b" '["error"]["code"]')" = rate_limited ] &&
    pass "client_rate_per_minute = 40: request $i answered 429 rate_limited" || fail "rate limit: $st after $i"
expect_grep '^Retry-After: [0-9]+' "$T/rl.h" "rate_limited carries Retry-After"

# 20 stalled uploads (a request head and part of a multipart body, then nothing) hold no
# thread and no signing slot: a signing still completes; then the pool saturated (four
# workers, a queue of two): OCSP is answered before the signings end, a full queue answers 429.
openssl ocsp -issuer <(S ca export --issuing) -serial 0x01 -no_nonce -reqout "$T/ocsp.req" >/dev/null 2>&1
python3 - "$U" "$H" "$T" "$SERTEL" "$PASS" <<'PY' >"$T/sat.txt" 2>&1
import base64, json, socket, subprocess, sys, threading, time, urllib.error, urllib.request, uuid
U, H, T, SERTEL, PASS = sys.argv[1:6]
host, port = U[len('http://'):].split(':')
def client():
    out = subprocess.run([SERTEL, '--home', H, 'client', 'add', '--agency', '1', '--name',
                          'c' + uuid.uuid4().hex[:8], '--scopes', 'sign'],
                         capture_output=True, text=True, check=True).stdout
    cid = [w for w in out.split() if w.startswith('cl_')][0]
    sec = [l.split(': ', 1)[1] for l in out.splitlines() if l.startswith('secret: ')][0]
    return 'Basic ' + base64.b64encode(('%s:%s' % (cid, sec)).encode()).decode()
letter = open(T + '/own.b', 'rb').read()
# A 1.5 MB PDF: batches of it keep the slots busy long enough to see the queue full.
def bigpdf(n):
    out = bytearray(b'%PDF-1.7\n'); offs = {}
    def obj(i, body):
        offs[i] = len(out); out.extend(b'%d 0 obj\n' % i + body + b'\nendobj\n')
    obj(1, b'<< /Type /Catalog /Pages 2 0 R >>')
    obj(2, b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>')
    obj(3, b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>')
    data = (b'%' * 63 + b'\n') * (n // 64)
    obj(4, b'<< /Length %d >>\nstream\n' % len(data) + data + b'\nendstream')
    x = len(out)
    out.extend(b'xref\n0 5\n0000000000 65535 f \n' + b''.join(b'%010d 00000 n \n' % offs[i] for i in range(1, 5)))
    out.extend(b'trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % x)
    return bytes(out)
big = bigpdf(1500000)
def form(nfiles, level='B-LTA', doc=None):
    doc = doc or letter
    b = uuid.uuid4().hex.encode()
    parts = [b'--' + b + b'\r\nContent-Disposition: form-data; name="nik"\r\n\r\n3201015201900001',
             b'--' + b + b'\r\nContent-Disposition: form-data; name="passphrase"\r\n\r\n' + PASS.encode(),
             b'--' + b + b'\r\nContent-Disposition: form-data; name="level"\r\n\r\n' + level.encode()]
    for i in range(nfiles):
        parts.append(b'--' + b + b'\r\nContent-Disposition: form-data; name="file"; filename="f%d.pdf"\r\n'
                     b'Content-Type: application/pdf\r\n\r\n' % i + doc)
    return 'multipart/form-data; boundary=' + b.decode(), b'\r\n'.join(parts) + b'\r\n--' + b + b'--\r\n'
def post(path, auth, nfiles, res, key, doc=None):
    ct, body = form(nfiles, doc=doc)
    rq = urllib.request.Request(U + path, data=body, method='POST',
                                headers={'Content-Type': ct, 'Authorization': auth})
    try:
        with urllib.request.urlopen(rq, timeout=120) as r:
            res[key] = (r.status, r.read(), dict(r.headers), time.monotonic())
    except urllib.error.HTTPError as e:
        res[key] = (e.code, e.read(), dict(e.headers), time.monotonic())
# 20 stalled uploads
stalled = []
ct, body = form(1)
for i in range(20):
    s = socket.create_connection((host, int(port)))
    s.sendall(('POST /api/v1/sign HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: %s\r\n'
               'Content-Length: %d\r\n\r\n' % (client() if i == 0 else 'Basic eDp5', ct, len(body))).encode()
              + body[:len(body) // 2])
    stalled.append(s)
res = {}
post('/api/v1/sign', client(), 1, res, 'during-stall')
print('sign during 20 stalled uploads:', res['during-stall'][0])
assert res['during-stall'][0] == 200
# saturate: 8 batches of 6 at once: four workers take them (two passphrase checks at a time),
# two wait, two are refused at once; OCSP goes out
# as soon as a refusal shows the queue full (two batches then have not even started)
auths = [client() for i in range(8)]
threads = [threading.Thread(target=post, args=('/api/v1/sign/batch', auths[i], 6, res, 'b%d' % i, big))
           for i in range(8)]
for t in threads:
    t.start()
full = None
while full is None and any(t.is_alive() for t in threads):
    for i in range(8):
        if res.get('b%d' % i, (0,))[0] == 429:
            full = res['b%d' % i]
    time.sleep(0.001)
rq = urllib.request.Request(U + '/ocsp', data=open(T + '/ocsp.req', 'rb').read(), method='POST',
                            headers={'Content-Type': 'application/ocsp-request'})
with urllib.request.urlopen(rq, timeout=60) as r:
    ocsp_status, ocsp_done = r.status, time.monotonic()
for t in threads:
    t.join()
for s in stalled:
    s.close()
ends = sorted(res['b%d' % i][3] for i in range(8))
print('full queue answer:', full and full[0], full and full[2].get('Retry-After'), json.loads(full[1]) if full else None)
print('OCSP', ocsp_status, 'batches', [res['b%d' % i][0] for i in range(8)],
      'OCSP done before the last batch ended:', ocsp_done < ends[-1])
assert full is not None and full[0] == 429 and int(full[2]['Retry-After']) >= 1
assert json.loads(full[1])['error']['code'] == 'overloaded'
assert ocsp_status == 200 and ocsp_done < ends[-1]
assert sorted(res['b%d' % i][0] for i in range(8)) == [200] * 6 + [429] * 2
PY
[ $? = 0 ] && pass "20 stalled uploads: a signing completes; saturated: OCSP answered before the signings ended, a full queue 429 overloaded + Retry-After" ||
    fail "stall/saturation: $(cat "$T/sat.txt")"
cat "$T/sat.txt"

# --- refusals ---
st=$(sign other -u "$C1" -F "file=@$L" -F nik=3201011301900003 -F "passphrase=$PASS")
[ "$st" = 403 ] && [ "$(jget "$T/other.b" '["error"]["code"]')" = passphrase_wrong ] &&
    pass "another agency's person: the answer of an unknown one (403 passphrase_wrong)" || fail "other agency: $st $(cat "$T/other.b")"
st=$(sign unknown -u "$C1" -F "file=@$L" -F nik=3201011401900009 -F "passphrase=$PASS")
cmp -s "$T/other.b" "$T/unknown.b" && pass "unknown NIK: the same answer" || fail "unknown NIK answered differently"
st=$(sign noscope -u "$C2" -F "file=@$L" -F nik=3201015201900001 -F "passphrase=$PASS")
[ "$st" = 403 ] && [ "$(jget "$T/noscope.b" '["error"]["code"]')" = forbidden ] &&
    pass "a client without the sign scope: 403 forbidden" || fail "no scope: $st"
st=$(sign nonik -u "$C1" -F "file=@$L" -F "passphrase=$PASS")
[ "$st" = 400 ] && [ "$(jget "$T/nonik.b" '["error"]["code"]')" = field_missing ] &&
    pass "a client naming no owner: 400 field_missing" || fail "no nik: $st $(cat "$T/nonik.b")"
st=$(sign badnik -u "$C1" -F "file=@$L" -F nik=12345 -F "passphrase=$PASS")
[ "$st" = 400 ] && [ "$(jget "$T/badnik.b" '["error"]["code"]')" = field_invalid ] &&
    pass "a malformed NIK: 400 field_invalid" || fail "bad nik: $st $(cat "$T/badnik.b")"
st=$(sign nopass -u "$C1" -F "file=@$L" -F nik=3201015201900001)
[ "$st" = 400 ] && [ "$(jget "$T/nopass.b" '["error"]["code"]')" = field_missing ] && pass "no passphrase: 400" || fail "no passphrase: $st"
for i in 1 2 3 4 5; do
    st=$(sign wrong -u "$C1" -F "file=@$L" -F nik=3201011201900002 -F "passphrase=salah $i")
    [ "$st" = 403 ] || break
done
[ "$st" = 403 ] && [ "$(jget "$T/wrong.b" '["error"]["code"]')" = passphrase_wrong ] &&
    pass "five wrong passphrases: 403 passphrase_wrong" || fail "wrong passphrase: $st $(cat "$T/wrong.b")"
st=$(sign locked -u "$C1" -F "file=@$L" -F nik=3201011201900002 -F "passphrase=$PASS")
[ "$st" = 423 ] && [ "$(jget "$T/locked.b" '["error"]["code"]')" = signing_locked ] &&
    pass "then even the right one: 423 signing_locked" || fail "locked: $st $(cat "$T/locked.b")"
expect_grep '^Retry-After: [0-9]+' "$T/locked.h" "signing_locked carries Retry-After"
S cert revoke "$(S cert list --json | python3 -c 'import json,sys; print([c["serial"] for c in json.load(sys.stdin) if "Rina" in c["subject"]][0])')" \
    --reason certificateHold >/dev/null || fail "suspend"
st=$(sign susp -u "$C1" -F "file=@$L" -F nik=3201015201900001 -F "passphrase=salah")
[ "$st" = 409 ] && [ "$(jget "$T/susp.b" '["error"]["code"]')" = cannot_sign ] &&
    [ "$(jget "$T/susp.b" '["error"]["status"]')" = SUSPEND ] &&
    pass "a suspended owner: 409 cannot_sign, status SUSPEND (even with a wrong passphrase)" ||
    fail "suspended: $st $(cat "$T/susp.b")"
expect_no_grep "$PASS" "$T/api.err" "the passphrase is never logged"


S audit verify >/dev/null && pass "audit chain intact" || fail "audit verify"
finish
