#!/bin/bash
# End-to-end: the whole certificate process over the native API with curl
# against a real `sertel serve` on a loopback port:
#   register -> confirm (token from the outbox mail) with the password ->
#   log in -> apply with uploads (multipart, streamed) -> a verifier who
#   logs in with an authenticator enrolled through the API approves ->
#   passphrase -> sign (the CLI) -> the document's public page and JSON ->
#   revocation by an Indonesian reason -> approval -> OCSP says revoked
#   (openssl ocsp against the served responder);
# and the hostile cases of these endpoints: missing and wrong fields,
# uploads too large, of the wrong type, with JavaScript, a polyglot (400,
# nothing stored), wrong and replayed tokens, another person's
# application, a passphrase over plain HTTP from another host (403), and
# every link the mails carry answering 200.
. "$(dirname "$0")/lib.sh"
S() { "$SERTEL" --home "$H" "$@"; }
D=$SERTEL_TEST_DATA

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
B="http://127.0.0.1:$PORT"
U="$B/api/v1"
H=$T/home
new_home "$H" --base-url "$B"
fast_kdf "$H"
printf '\n[api]\nmax_body_mib = 8\n' >>"$H/sertel.conf"
S agency add --name "Kementerian Uji" --domain uji.go.id >/dev/null || exit 1
S account add --role verifier --agency 1 --email verif@uji.go.id --name "Vera Verifikator" >/dev/null || exit 1
printf 'verifier-password-123\n' >"$T/vpw"
S password set --email verif@uji.go.id --password-file "$T/vpw" >/dev/null || exit 1
start_serve api "$H" --listen "127.0.0.1:$PORT" || exit 1

# call NAME METHOD PATH [curl args...]: headers in $T/NAME.h, body in $T/NAME.b, status echoed
call() {
    local n=$1 m=$2 p=$3
    shift 3
    curl -s -X "$m" -D "$T/$n.h" -o "$T/$n.b" -w '%{http_code}' "$@" "$U$p"
}
page() { curl -s -D "$T/$1.h" -o "$T/$1.b" -w '%{http_code}' "${@:3}" "$B$2"; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec("print(d"+sys.argv[2]+")")' "$1" "$2"; }
code_of() { jget "$T/$1.b" '["error"]["code"]' 2>/dev/null; }
J='Content-Type: application/json'
count() { sqlite3 "file:$H/sertel.db?mode=ro" "$1"; }
# mail_text FILE: a mail's body as its reader sees it (quoted-printable decoded)
mail_text() { python3 -c 'import email,sys; print(email.message_from_binary_file(open(sys.argv[1],"rb")).get_payload(decode=True).decode())' "$1"; }
uploads() { find "$H/uploads" -type f 2>/dev/null | wc -l; }

# --- register ---
REG='{"agency_id":1,"name":"Rina Wulandari","nik":"3201015201900001","email":"rina@uji.go.id","unit":"Biro Umum","position":"Analis"}'
st=$(call reg POST /registrations -H "$J" -d "$REG")
[ "$st" = 201 ] && [ "$(jget "$T/reg.b" '["email"]')" = rina@uji.go.id ] && pass "self-registration: 201" ||
    fail "register: $st $(cat "$T/reg.b")"
st=$(call reg2 POST /registrations -H "$J" -d "$REG")
[ "$st" = 409 ] && pass "registered twice: 409" || fail "twice: $st $(cat "$T/reg2.b")"
st=$(call reg3 POST /registrations -H "$J" -d '{"agency_id":1,"name":"X","email":"x@uji.go.id"}')
[ "$st" = 400 ] && [ "$(code_of reg3)" = field_missing ] && pass "missing fields: 400 field_missing" ||
    fail "missing: $st $(cat "$T/reg3.b")"
st=$(call reg4 POST /registrations -H "$J" \
    -d '{"agency_id":1,"name":"Budi","nik":"1234","email":"budi@uji.go.id","unit":"Biro Umum","position":"Analis"}')
[ "$st" = 400 ] && grep -q NIK "$T/reg4.b" && pass "a malformed NIK: 400, named" || fail "bad NIK: $st $(cat "$T/reg4.b")"
st=$(call reg5 POST /registrations -H "$J" \
    -d '{"agency_id":1,"name":"Budi","nik":"3201010101900002","email":"budi@lain.go.id","unit":"Biro Umum","position":"Analis"}')
[ "$st" = 400 ] && pass "an address outside the agency's domains: 400" || fail "foreign domain: $st"
st=$(call reg6 POST /registrations -H "$J" \
    -d '{"agency_id":1,"name":"Budi Santoso","nik":"3201010101900002","email":"budi@uji.go.id","unit":"Biro Umum","position":"Analis"}')
[ "$st" = 201 ] || fail "second person: $st"

# an agency system registers its own agency's people with the register scope, and only then
S agency add --name "Kementerian Lain" --domain lain.go.id >/dev/null || exit 1
S client add --agency 1 --name "e-Office" --scopes register,status >"$T/cl1" || exit 1
S client add --agency 1 --name "Arsip" --scopes status >"$T/cl2" || exit 1
CL1="$(sed -n 's/^client \([^ ]*\) added.*/\1/p' "$T/cl1"):$(sed -n 's/^secret: //p' "$T/cl1")"
CL2="$(sed -n 's/^client \([^ ]*\) added.*/\1/p' "$T/cl2"):$(sed -n 's/^secret: //p' "$T/cl2")"
st=$(call creg POST /registrations -u "$CL1" -H "$J" \
    -d '{"agency_id":1,"name":"Citra Lestari","nik":"3201014101900003","email":"citra@uji.go.id","unit":"Biro Umum","position":"Analis"}')
[ "$st" = 201 ] && pass "a client with the register scope registers its agency's person: 201" || fail "client reg: $st $(cat "$T/creg.b")"
st=$(call creg2 POST /registrations -u "$CL1" -H "$J" \
    -d '{"agency_id":2,"name":"Dedi","nik":"3201010101900004","email":"dedi@lain.go.id","unit":"Biro Umum","position":"Analis"}')
[ "$st" = 403 ] && pass "... not another agency's: 403" || fail "client other agency: $st $(cat "$T/creg2.b")"
st=$(call creg3 POST /registrations -u "$CL2" -H "$J" \
    -d '{"agency_id":1,"name":"Dedi","nik":"3201010101900004","email":"dedi@uji.go.id","unit":"Biro Umum","position":"Analis"}')
[ "$st" = 403 ] && pass "a client without the register scope: 403" || fail "client no scope: $st"
st=$(call creg4 POST /registrations -u "${CL1%:*}:wrong" -H "$J" -d '{}')
[ "$st" = 401 ] && pass "a client's wrong secret: 401" || fail "client bad secret: $st"
st=$(call cstat GET /people/3201014101900003/status -u "$CL2")
[ "$(jget "$T/cstat.b" '["status"]')" = NO_CERTIFICATE ] && pass "a client reads its agency's person's status" || fail "client status: $st $(cat "$T/cstat.b")"

# --- confirm: the mailed link's page, the API, replay, a wrong token ---
MAIL=$(mail_in "$H" rina@uji.go.id)
TOK=$(token_of "$MAIL")
mail_text "$MAIL" >"$T/mail"
expect_grep "$B/confirm\?token=$TOK" "$T/mail" "the confirmation mail links to <base>/confirm"
[ "$(page cpage "/confirm?token=$TOK")" = 200 ] && grep -q 'name="token" value="'"$TOK"'"' "$T/cpage.b" &&
    pass "GET /confirm?token=: 200, a form carrying the token" || fail "confirm page"
expect_grep "^Content-Security-Policy: default-src 'none'; form-action 'self'" "$T/cpage.h" "the page's CSP: no script, the form posts back"
expect_no_grep '<script' "$T/cpage.b" "no script on the page"
[ "$(page cbad "/confirm?token=../../etc/passwd")" = 400 ] && pass "a link without a real token: 400 page" || fail "bad link"
st=$(call weak POST /email/confirm -H "$J" -d "{\"token\":\"$TOK\",\"password\":\"pendek\"}")
[ "$st" = 400 ] && [ "$(code_of weak)" = password_weak ] && pass "a short password: 400 password_weak" ||
    fail "weak: $st $(cat "$T/weak.b")"
st=$(call conf POST /email/confirm -H "$J" -d "{\"token\":\"$TOK\",\"password\":\"a-good-long-password\"}")
[ "$st" = 200 ] && pass "confirm with the password: 200" || fail "confirm: $st $(cat "$T/conf.b")"
st=$(call conf2 POST /email/confirm -H "$J" -d "{\"token\":\"$TOK\",\"password\":\"a-good-long-password\"}")
[ "$st" = 400 ] && [ "$(code_of conf2)" = token_invalid ] && pass "the token replayed: 400 token_invalid" ||
    fail "replay: $st $(cat "$T/conf2.b")"
st=$(call conf3 POST /email/confirm -H "$J" -d "{\"token\":\"$(printf '%064d' 7)\",\"password\":\"a-good-long-password\"}")
[ "$st" = 400 ] && [ "$(code_of conf3)" = token_invalid ] && pass "a wrong token: 400 token_invalid" || fail "wrong token: $st"
# The second person confirms through the page's form (urlencoded POST, typed twice).
BTOK=$(token_of "$(mail_in "$H" budi@uji.go.id)")
st=$(curl -s -o "$T/bconf.b" -w '%{http_code}' --data-urlencode "token=$BTOK" --data-urlencode "secret=budi-password-123" \
    --data-urlencode "secret2=budi-password-124" "$B/confirm")
[ "$st" = 400 ] && grep -q 'tidak sama' "$T/bconf.b" && pass "the form's two entries differ: 400 page" || fail "mismatch: $st"
st=$(curl -s -o "$T/bconf.b" -w '%{http_code}' --data-urlencode "token=$BTOK" --data-urlencode "secret=budi-password-123" \
    --data-urlencode "secret2=budi-password-123" "$B/confirm")
[ "$st" = 200 ] && grep -q 'terkonfirmasi' "$T/bconf.b" && pass "POST /confirm (the page's form): 200" || fail "form confirm: $st"

# --- log in ---
login() { # login NAME EMAIL PASSWORD [CODE]: cookie jar $T/NAME.jar, CSRF in $T/NAME.csrf
    local body="{\"email\":\"$2\",\"password\":\"$3\"${4:+,\"code\":\"$4\"}}"
    local st
    st=$(call "$1" POST /session -H "$J" -c "$T/$1.jar" -d "$body")
    [ "$st" = 200 ] || return 1
    jget "$T/$1.b" '["csrf_token"]' >"$T/$1.csrf"
}
login rina rina@uji.go.id a-good-long-password && pass "login" || fail "login: $(cat "$T/rina.b")"
login budi budi@uji.go.id budi-password-123 || fail "budi login"
R=(-b "$T/rina.jar" -H "X-CSRF-Token: $(cat "$T/rina.csrf")")
BU=(-b "$T/budi.jar" -H "X-CSRF-Token: $(cat "$T/budi.csrf")")

# --- apply: the hostile uploads first (400, nothing stored), then the real one ---
python3 - "$T/js.pdf" <<'PY'
import os, sys
sys.path.insert(0, os.environ["SERTEL_TEST_DATA"] + "/pdf")
import mkpdf
mkpdf.write(sys.argv[1], [b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
                          b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                          b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
                          mkpdf.stream(b"0 0 1 rg 50 600 200 100 re f"),
                          b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"])
PY
{ printf '<html><body><script>alert(1)</script></body></html>\n'; cat "$D/letter.pdf"; } >"$T/poly.pdf"
head -c $((6 * 1024 * 1024)) /dev/urandom >"$T/big.pdf"
head -c $((9 * 1024 * 1024)) /dev/zero >"$T/huge.pdf"
st=$(call nocsrf POST /applications -b "$T/rina.jar" -F type=issuance -F "letter=@$D/letter.pdf" -F "ktp=@$D/ktp.jpg")
[ "$st" = 403 ] && [ "$(code_of nocsrf)" = csrf_invalid ] && pass "apply without the CSRF token: 403" || fail "no csrf: $st"
st=$(call js POST /applications "${R[@]}" -F type=issuance -F "letter=@$T/js.pdf;type=application/pdf" -F "ktp=@$D/ktp.jpg")
[ "$st" = 400 ] && [ "$(code_of js)" = upload_refused ] && grep -q 'OpenAction' "$T/js.b" &&
    pass "a letter with JavaScript: 400 upload_refused, the key named" || fail "js: $st $(cat "$T/js.b")"
st=$(call poly POST /applications "${R[@]}" -F type=issuance -F "letter=@$T/poly.pdf" -F "ktp=@$D/ktp.jpg")
[ "$st" = 400 ] && [ "$(code_of poly)" = upload_refused ] && grep -qi 'HTML' "$T/poly.b" &&
    pass "an HTML/PDF polyglot: 400 upload_refused" || fail "polyglot: $st $(cat "$T/poly.b")"
st=$(call swap POST /applications "${R[@]}" -F type=issuance -F "letter=@$D/ktp.jpg" -F "ktp=@$D/letter.pdf")
[ "$st" = 400 ] && [ "$(code_of swap)" = upload_refused ] && pass "an image for the letter (by content, not name): 400" ||
    fail "swap: $st $(cat "$T/swap.b")"
st=$(call big POST /applications "${R[@]}" -F type=issuance -F "letter=@$T/big.pdf" -F "ktp=@$D/ktp.jpg")
[ "$st" = 400 ] && [ "$(code_of big)" = upload_refused ] && grep -q 'limit' "$T/big.b" &&
    pass "a 6 MiB letter (over [ra] upload_max): 400 upload_refused, the limit named" || fail "big: $st $(cat "$T/big.b")"
st=$(curl -s -o /dev/null -w '%{http_code}' "${R[@]}" -F type=issuance -F "letter=@$T/huge.pdf" -F "ktp=@$D/ktp.jpg" "$U/applications")
[ "$st" = 413 ] && pass "a 9 MiB request (over [api] max_body_mib): 413" || fail "huge: $st"
st=$(call miss POST /applications "${R[@]}" -F type=issuance -F "letter=@$D/letter.pdf")
[ "$st" = 400 ] && [ "$(code_of miss)" = field_missing ] && pass "no e-KTP: 400 field_missing" || fail "missing ktp: $st"
st=$(call text POST /applications "${R[@]}" -F type=issuance -F "letter=not a file" -F "ktp=@$D/ktp.jpg")
[ "$st" = 400 ] && [ "$(code_of text)" = field_invalid ] && pass "text where a file belongs: 400 field_invalid" || fail "text: $st"
st=$(call twice POST /applications "${R[@]}" -F type=issuance -F "letter=@$D/letter.pdf" -F "letter=@$T/js.pdf" -F "ktp=@$D/ktp.jpg")
[ "$st" = 400 ] && [ "$(code_of twice)" = field_invalid ] && pass "a file sent twice: 400" || fail "twice: $st"
st=$(call typ POST /applications "${R[@]}" -F type=hadiah)
[ "$st" = 400 ] && [ "$(code_of typ)" = field_invalid ] && pass "an unknown type: 400" || fail "type: $st"
[ "$(uploads)" = 0 ] && [ "$(count 'SELECT count(*) FROM applications')" = 0 ] &&
    pass "nothing stored for refused uploads" || fail "stored: $(uploads) files, $(count 'SELECT count(*) FROM applications') applications"

st=$(call app POST /applications "${R[@]}" -F type=issuance -F "letter=@$D/letter.pdf" -F "ktp=@$D/ktp.jpg")
[ "$st" = 201 ] && [ "$(jget "$T/app.b" '["state"]')" = pending ] && pass "apply for issuance with the uploads: 201 pending" ||
    fail "apply: $st $(cat "$T/app.b")"
APP=$(jget "$T/app.b" '["id"]')
[ "$(jget "$T/app.b" '["documents"]["letter"]["sha256"]')" = "$(sha256sum "$D/letter.pdf" | cut -d' ' -f1)" ] &&
    pass "the letter is stored as sent (its SHA-256)" || fail "letter hash"
st=$(call bapp POST /applications "${BU[@]}" -F type=issuance -F "letter=@$D/letter.pdf" -F "ktp=@$D/ktp.png")
BAPP=$(jget "$T/bapp.b" '["id"]')
[ "$st" = 201 ] || fail "budi apply: $st"

# another person's application: refused, and not withdrawn
st=$(call other GET "/applications/$BAPP" "${R[@]}")
[ "$st" = 403 ] && pass "another person's application: 403" || fail "other's: $st $(cat "$T/other.b")"
st=$(call otherw POST "/applications/$BAPP/withdraw" "${R[@]}")
[ "$st" = 403 ] && pass "withdrawing another person's application: 403" || fail "other's withdraw: $st $(cat "$T/otherw.b")"
st=$(call list GET /applications "${R[@]}")
[ "$st" = 200 ] && [ "$(jget "$T/list.b" '["applications"].__len__()')" = 1 ] &&
    [ "$(jget "$T/list.b" '["applications"][0]["id"]')" = "$APP" ] && pass "GET /applications: one's own only" ||
    fail "list: $st $(cat "$T/list.b")"
st=$(call bw POST "/applications/$BAPP/withdraw" "${BU[@]}")
[ "$st" = 200 ] && [ "$(jget "$T/bw.b" '["state"]')" = withdrawn ] && [ "$(jget "$T/bw.b" '["history"][-1]["event"]')" = withdrawn ] &&
    pass "withdraw one's own: 200, the history says so" || fail "withdraw: $st $(cat "$T/bw.b")"
st=$(call bw2 POST "/applications/$BAPP/withdraw" "${BU[@]}")
[ "$st" = 409 ] && [ "$(code_of bw2)" = wrong_state ] && pass "withdrawn twice: 409" || fail "withdraw twice: $st"
st=$(call nf GET /applications/99999 "${R[@]}")
[ "$st" = 404 ] && pass "an unknown application: 404" || fail "unknown app: $st"

# --- the verifier: first login enrols an authenticator through the API, then logs in with it ---
login ver verif@uji.go.id verifier-password-123 || fail "verifier login: $(cat "$T/ver.b")"
[ "$(jget "$T/ver.b" '["factor_enrolment_needed"]')" = True ] && pass "staff without an authenticator must enrol" ||
    fail "enrolment flag: $(cat "$T/ver.b")"
V=(-b "$T/ver.jar" -H "X-CSRF-Token: $(cat "$T/ver.csrf")")
st=$(call vq GET "/applications/$APP" "${V[@]}")
[ "$st" = 403 ] && [ "$(code_of vq)" = factor_enrolment_needed ] && pass "nothing else before enrolment" || fail "before enrolment: $st"
st=$(call totp POST /factor/totp "${V[@]}" -H "$J" -d '{}')
[ "$st" = 201 ] && pass "POST /factor/totp: 201" || fail "enrol: $st $(cat "$T/totp.b")"
SECRET=$(jget "$T/totp.b" '["secret"]')
URI=$(jget "$T/totp.b" '["otpauth_uri"]')
case $URI in "otpauth://totp/"*"secret=$SECRET"*) pass "the otpauth URI carries the base32 secret" ;; *) fail "uri: $URI" ;; esac
ORG=$(sed -n 's/^org = //p' "$H/sertel.conf" | head -1)
[ "$(jget "$T/totp.b" '["issuer"]')" = "$ORG" ] && pass "the issuer is the organisation ($ORG)" || fail "issuer: $(jget "$T/totp.b" '["issuer"]')"
jget "$T/totp.b" '["qr_png"]' | sed 's/^data:image\/png;base64,//' | base64 -d >"$T/qr.png"
[ "$(zbarimg -q --raw "$T/qr.png" 2>/dev/null)" = "$URI" ] && pass "the QR code (PNG data URI) decodes (zbarimg) to the URI" ||
    fail "qr: $(zbarimg -q --raw "$T/qr.png" 2>&1 | head -c 200)"
st=$(call totp2 POST /factor/totp "${V[@]}" -H "$J" -d '{}')
[ "$st" = 409 ] && pass "enrolled once: a second enrolment 409" || fail "second enrolment: $st $(cat "$T/totp2.b")"
st=$(call vnocode POST /session -H "$J" -d '{"email":"verif@uji.go.id","password":"verifier-password-123"}')
[ "$st" = 401 ] && [ "$(code_of vnocode)" = code_required ] && pass "the verifier's login now needs the code" || fail "no code: $st"
login ver verif@uji.go.id verifier-password-123 "$(totp_now "$SECRET")" && pass "verifier logs in with the TOTP code" ||
    fail "verifier totp login: $(cat "$T/ver.b")"
V=(-b "$T/ver.jar" -H "X-CSRF-Token: $(cat "$T/ver.csrf")")
st=$(call vq GET "/applications/$APP" "${V[@]}")
[ "$st" = 200 ] && [ "$(jget "$T/vq.b" '["applicant"]["unit"]')" = "Biro Umum" ] && pass "the verifier reads the application in full" ||
    fail "verifier view: $st $(cat "$T/vq.b")"
st=$(call vl GET '/applications?status=pending' "${V[@]}")
[ "$st" = 200 ] && [ "$(jget "$T/vl.b" '["applications"][0]["id"]')" = "$APP" ] && pass "?status=pending: the agency's pending ones" ||
    fail "verifier list: $st $(cat "$T/vl.b")"

# decide APP approve|reject: the decision endpoint when the server has it, else the CLI as that verifier
decide() {
    local st
    st=$(call dec POST "/applications/$1/decision" "${V[@]}" -H "$J" -d "{\"decision\":\"$2\",\"reason\":\"diperiksa\"}")
    case $st in
    200 | 201) return 0 ;;
    404 | 405) grep -q '"error"' "$T/dec.b" && return 1
        S review "$2" "$1" --verifier verif@uji.go.id --reason diperiksa >/dev/null ;;
    *) return 1 ;;
    esac
}
decide "$APP" approve && pass "the verifier approves" || fail "approve: $(cat "$T/dec.b")"

# --- the passphrase ---
MAIL=$(mail_in "$H" rina@uji.go.id)
PTOK=$(token_of "$MAIL")
mail_text "$MAIL" >"$T/mail"
expect_grep "$B/passphrase\?token=$PTOK" "$T/mail" "the approval mail links to <base>/passphrase"
[ "$(page ppage "/passphrase?token=$PTOK")" = 200 ] && grep -q 'type="password" name="secret"' "$T/ppage.b" &&
    pass "GET /passphrase?token=: 200, the form" || fail "passphrase page"
if EXT=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -1) && [ -n "$EXT" ]; then
    start_serve ext "$H" --listen "$EXT:0" || exit 1
    EU=$(sed -n 's/^listening on //p' "$T/ext.out")
    st=$(curl -s -o "$T/ext.b" -w '%{http_code}' -X POST -H "$J" -d "{\"token\":\"$PTOK\",\"passphrase\":\"rahasia sekali\"}" "$EU/api/v1/passphrase")
    [ "$st" = 403 ] && [ "$(code_of ext)" = tls_required ] && pass "a passphrase over plain HTTP from another host: 403 tls_required" ||
        fail "plain HTTP: $st $(cat "$T/ext.b")"
    st=$(curl -s -o "$T/ext2.b" -w '%{http_code}' --data-urlencode "token=$PTOK" --data-urlencode "secret=rahasia sekali" \
        --data-urlencode "secret2=rahasia sekali" "$EU/passphrase")
    [ "$st" = 403 ] && grep -q 'HTTPS' "$T/ext2.b" && pass "... and through the page's form: 403, as a page" || fail "form plain HTTP: $st"
    kill "$SERVE_PID" 2>/dev/null
else
    pass "no non-loopback address on this machine: plain-HTTP refusal covered by test_api_session"
fi
printf 'rahasia sekali\n' >"$T/pp"
st=$(call pp POST /passphrase -H "$J" -d "{\"token\":\"$PTOK\",\"passphrase\":\"pendek\"}")
[ "$st" = 400 ] && [ "$(code_of pp)" = passphrase_weak ] && pass "a short passphrase: 400, the token not spent" || fail "short pp: $st"
st=$(call pp POST /passphrase -H "$J" -d "{\"token\":\"$PTOK\",\"passphrase\":\"rahasia sekali\"}")
[ "$st" = 201 ] && [ "$(jget "$T/pp.b" '["status"]')" = ISSUE ] && pass "POST /passphrase with the mailed token: 201, ISSUE" ||
    fail "passphrase: $st $(cat "$T/pp.b")"
SERIAL=$(jget "$T/pp.b" '["serial"]')
st=$(call pp2 POST /passphrase -H "$J" -d "{\"token\":\"$PTOK\",\"passphrase\":\"rahasia sekali\"}")
[ "$st" = 400 ] && [ "$(code_of pp2)" = token_invalid ] && pass "the approval token replayed: 400" || fail "pp replay: $st"
st=$(call forgot GET /passphrase/forgotten)
[ "$st" = 200 ] && [ "$(jget "$T/forgot.b" '["recoverable"]')" = False ] && pass "forgotten passphrase: the guidance" || fail "forgotten: $st"
expect_no_grep 'rahasia sekali|a-good-long-password|verifier-password' "$T/api.err" "no password or passphrase in the server's log"

# the certificate, checked with openssl
st=$(call pem GET '/certificates/mine?format=pem' "${R[@]}")
[ "$st" = 200 ] && openssl x509 -in "$T/pem.b" -noout -serial | grep -qi "=$SERIAL$" &&
    pass "GET /certificates/mine (PEM): the new certificate (openssl)" || fail "pem: $st $(head -c 200 "$T/pem.b")"
st=$(call der GET '/certificates/mine?format=der' "${R[@]}")
[ "$st" = 200 ] && cmp -s <(openssl x509 -in "$T/der.b" -inform DER -outform PEM) <(openssl x509 -in "$T/pem.b") &&
    pass "... as DER: the same certificate" || fail "der: $st"
expect_grep '^Content-Disposition: attachment' "$T/der.h" "the certificate comes as an attachment"
st=$(call bcert GET '/certificates/mine' "${BU[@]}")
[ "$st" = 404 ] && [ "$(code_of bcert)" = no_certificate ] && pass "no certificate yet: 404" || fail "no cert: $st"
st=$(call stat GET /people/3201015201900001/status "${R[@]}")
[ "$(jget "$T/stat.b" '["status"]')" = ISSUE ] && pass "own status: ISSUE" || fail "status: $st $(cat "$T/stat.b")"
st=$(call bstat GET /people/3201015201900001/status "${BU[@]}")
[ "$(jget "$T/bstat.b" '["status"]')" = NOT_REGISTERED ] && pass "another person's status: NOT_REGISTERED" || fail "other status: $st"
st=$(call nik GET /people/12345/status "${R[@]}")
[ "$st" = 400 ] && [ "$(code_of nik)" = nik_invalid ] && pass "a malformed NIK: 400 nik_invalid" || fail "nik: $st"

# --- sign (the CLI, with a code mailed through the API), then the document's page ---
st=$(call code POST /factor/email-code "${R[@]}")
[ "$st" = 202 ] && pass "POST /factor/email-code: 202" || fail "email code: $st $(cat "$T/code.b")"
CODE=$(grep -ho 'elektronik: [0-9]\{8\}' "$(mail_in "$H" rina@uji.go.id)" | grep -o '[0-9]\{8\}')
cp "$D/letter.pdf" "$T/Nota Dinas.pdf"
S sign --email rina@uji.go.id --passphrase-file "$T/pp" --otp "$CODE" --visible --rect 50,50,220,80 --json \
    "$T/Nota Dinas.pdf" "$T/signed.pdf" >"$T/sign.json" 2>"$T/sign.err" || fail "sign: $(cat "$T/sign.err")"
DOC=$(jget "$T/sign.json" '["document_id"]')
pdfsig "$T/signed.pdf" >"$T/pdfsig" 2>&1
expect_grep 'Signature Validation: Signature is Valid' "$T/pdfsig" "the signed file passes pdfsig"
st=$(call doc GET "/documents/$DOC")
[ "$st" = 200 ] && [ "$(jget "$T/doc.b" '["signer"]["name"]')" = "Rina Wulandari" ] &&
    [ "$(jget "$T/doc.b" '["name"]')" = "Nota Dinas.pdf" ] && [ "$(jget "$T/doc.b" '["pages"]')" = 1 ] &&
    [ "$(jget "$T/doc.b" '["signer"]["agency"]')" = "Kementerian Uji" ] &&
    [ "$(jget "$T/doc.b" '["certificate"]["status"]')" = valid ] && pass "GET /api/v1/documents/ID: name, pages, signer, agency, status" ||
    fail "doc json: $st $(cat "$T/doc.b")"
[ "$(jget "$T/doc.b" '["check"]["path"]')" = /api/v1/verify ] && pass "... and where to upload the file to check it" || fail "check"
[ "$(page vdoc "/verify/$DOC")" = 200 ] && grep -q 'Rina Wulandari' "$T/vdoc.b" && grep -q 'berlaku' "$T/vdoc.b" &&
    pass "GET /verify/ID: the page" || fail "verify page"
[ "$(page vnone "/verify/$(printf '%032d' 0)")" = 404 ] && pass "an unknown document: 404 page" || fail "unknown doc"
[ "$(page vidx /verify)" = 200 ] && pass "GET /verify (the QR code of a stamp): 200" || fail "verify index"

# --- a data update, withdrawn ---
st=$(call upd POST /applications "${R[@]}" -F type=update -F "unit=Biro Hukum" -F "note=SK mutasi")
[ "$st" = 201 ] && [ "$(jget "$T/upd.b" '["update"]["unit"]')" = "Biro Hukum" ] && pass "apply for a data update: 201" ||
    fail "update: $st $(cat "$T/upd.b")"
UPD=$(jget "$T/upd.b" '["id"]')
st=$(call upd2 POST /applications "${R[@]}" -F type=renewal)
[ "$st" = 409 ] && pass "a second application while one is open: 409" || fail "second open: $st"
st=$(call updw POST "/applications/$UPD/withdraw" "${R[@]}")
[ "$st" = 200 ] || fail "withdraw update: $st"

# --- revocation by the owner, in Indonesian; the verifier approves; OCSP says revoked ---
st=$(call rv POST /applications "${R[@]}" -F type=revocation -F reason=kunci_bocor)
[ "$st" = 400 ] && [ "$(code_of rv)" = confirmation_required ] && pass "kunci_bocor without confirm: 400 confirmation_required" ||
    fail "confirm: $st $(cat "$T/rv.b")"
st=$(call rv POST /applications "${R[@]}" -F type=revocation -F reason=data_berubah -F invalidity_date=2026-01-01T00:00:00Z)
[ "$st" = 400 ] && pass "an invalidity date with data_berubah: 400" || fail "date: $st"
st=$(call rv POST /applications "${R[@]}" -F type=revocation -F reason=hilang)
[ "$st" = 400 ] && grep -q kunci_hilang "$T/rv.b" && pass "an unknown reason: 400, the choices listed" || fail "reason: $st"
st=$(call rv POST /applications "${R[@]}" -F type=revocation -F reason=kunci_bocor -F invalidity_date=2099-01-01T00:00:00Z -F confirm=true)
[ "$st" = 400 ] && pass "an invalidity date in the future: 400" || fail "future date: $st $(cat "$T/rv.b")"
WHEN=$(date -u +%Y-%m-%dT%H:%M:%SZ)
st=$(call rv POST /applications "${R[@]}" -F type=revocation -F reason=kunci_bocor -F "invalidity_date=$WHEN" \
    -F confirm=true -F "note=passphrase terlihat rekan")
[ "$st" = 201 ] && [ "$(jget "$T/rv.b" '["revocation"]["reason"]')" = keyCompromise ] &&
    [ "$(jget "$T/rv.b" '["revocation"]["choice"]')" = kunci_bocor ] && pass "revocation (kunci_bocor -> keyCompromise): 201" ||
    fail "revocation: $st $(cat "$T/rv.b")"
RV=$(jget "$T/rv.b" '["id"]')
S ca export --issuing >"$T/issuing.pem"
S ca export --root >"$T/root.pem"
cat "$T/issuing.pem" "$T/root.pem" >"$T/chain.pem"
ocsp() { timeout 30 openssl ocsp -issuer "$T/issuing.pem" -cert "$T/pem.b" -url "$B/ocsp" -CAfile "$T/chain.pem" >"$T/$1" 2>&1; }
ocsp o1
expect_grep 'Reason: certificateHold' "$T/o1" "suspended at once: OCSP says certificateHold"
call doc2 GET "/documents/$DOC" >/dev/null
[ "$(jget "$T/doc2.b" '["certificate"]["status"]')" = suspended ] && pass "the document's JSON shows the status now" ||
    fail "doc status after suspension: $(cat "$T/doc2.b")"
decide "$RV" approve && pass "the verifier approves the revocation" || fail "approve revocation: $(cat "$T/dec.b")"
ocsp o2
expect_grep ': revoked' "$T/o2" "OCSP (openssl ocsp, the served responder) says revoked"
expect_grep 'Reason: keyCompromise' "$T/o2" "... for keyCompromise"
st=$(call hist GET "/applications/$RV" "${R[@]}")
[ "$(jget "$T/hist.b" '[ "history"][-1]["state"]')" = completed ] && [ "$(jget "$T/hist.b" '["history"][-1]["actor"]')" = verif@uji.go.id ] &&
    pass "the application's history names who approved" || fail "history: $(cat "$T/hist.b")"

# --- passwords: reset by the mailed link, change with the current one ---
st=$(call rr POST /password/reset-request -H "$J" -d '{"email":"rina@uji.go.id"}')
st2=$(call rr2 POST /password/reset-request -H "$J" -d '{"email":"nobody@uji.go.id"}')
[ "$st" = 202 ] && [ "$st2" = 202 ] && cmp -s "$T/rr.b" "$T/rr2.b" && pass "reset request: 202, the same for an unknown address" ||
    fail "reset request: $st $st2"
MAIL=$(mail_in "$H" rina@uji.go.id)
RTOK=$(token_of "$MAIL")
mail_text "$MAIL" >"$T/mail"
expect_grep "$B/password/reset\?token=$RTOK" "$T/mail" "the reset mail links to <base>/password/reset"
[ "$(page rpage "/password/reset?token=$RTOK")" = 200 ] && pass "GET /password/reset?token=: 200" || fail "reset page"
st=$(call rs POST /password/reset -H "$J" -d "{\"token\":\"$RTOK\",\"password\":\"another-good-password\"}")
[ "$st" = 200 ] && login rina rina@uji.go.id another-good-password && pass "password reset: the new one logs in" ||
    fail "reset: $st $(cat "$T/rs.b")"
R=(-b "$T/rina.jar" -H "X-CSRF-Token: $(cat "$T/rina.csrf")")
st=$(call chg PUT /account/password "${R[@]}" -H "$J" -d '{"current_password":"wrong-password-99","new_password":"third-good-password"}')
[ "$st" = 403 ] && [ "$(code_of chg)" = current_password_wrong ] && pass "change with a wrong current password: 403" || fail "chg wrong: $st"
st=$(call chg PUT /account/password "${R[@]}" -H "$J" -d '{"current_password":"another-good-password","new_password":"third-good-password"}')
[ "$st" = 200 ] && pass "PUT /account/password: 200" || fail "chg: $st $(cat "$T/chg.b")"
st=$(call after GET /session -b "$T/rina.jar")
[ "$st" = 401 ] && pass "the session ended with the old password" || fail "session after change: $st"

# --- the CP/CPS the certificates point to ---
openssl x509 -in "$T/pem.b" -noout -text | grep -q "CPS: $B/cps" && pass "the certificate's CPS URI is <base>/cps" || fail "cps uri"
[ "$(page cps /cps)" = 200 ] && grep -q 'CP/CPS' "$T/cps.b" && pass "GET /cps: the home's cps.html" || fail "cps"
mv "$H/cps.html" "$T/cps.html"
[ "$(page cps2 /cps)" = 404 ] && grep -q 'cps.html' "$T/cps2.b" && ! grep -q "$H" "$T/cps2.b" &&
    pass "no cps.html: 404 naming the file to create (not the server's path)" || fail "cps missing: $(cat "$T/cps2.b")"
mv "$T/cps.html" "$H/cps.html"

# --- every link the mails carry reaches a page ---
n=0
for f in "$H"/outbox/*.eml; do mail_text "$f"; done >"$T/allmail"
for u in $(grep -o "$B/[^ ]*" "$T/allmail" | tr -d '\r' | sort -u); do
    n=$((n + 1))
    st=$(curl -s -o /dev/null -w '%{http_code}' "$u")
    [ "$st" = 200 ] || fail "mailed link $u: $st"
done
[ "$n" -ge 4 ] && pass "all $n links in the mails answer 200" || fail "only $n links found"

S audit verify >/dev/null && pass "audit chain intact" || fail "audit verify"
finish
