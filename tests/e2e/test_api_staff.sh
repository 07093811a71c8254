#!/bin/bash
# End-to-end: the API for staff over a real `sertel serve` on a loopback
# port, with curl and python3: the review queue (each verifier its agency's,
# NIKs masked), an applicant's documents as sandboxed attachments (bytes
# compared with what was uploaded, each read audited), decisions (reasons,
# final states, another agency refused), agencies and accounts (listed as
# far as each one may see), lifting a signing lock and resetting an
# authenticator, API clients (a secret shown once, rotated, disabled, used
# with HTTP Basic), the audit log and its export checked away from the
# server (the chain recomputed in python, the head's signature with
# openssl, `sertel audit verify --against`), the register of signed
# documents as each caller may see it, and the OpenAPI description.
. "$(dirname "$0")/lib.sh"
S() { "$SERTEL" --home "$H" "$@"; }
POLICY=$SERTEL_BUILD/api_policy

H=$T/home
new_home "$H"
fast_kdf "$H"
sed -i 's/^second_factor = .*/second_factor = off/' "$H/sertel.conf"
D=$SERTEL_TEST_DATA
S agency add --name "Kementerian Uji" --domain uji.go.id >/dev/null || exit 1
S agency add --name "Kementerian Lain" --domain lain.go.id >/dev/null || exit 1
printf 'staff-password-123\n' >"$T/spw"
printf 'a-good-long-password\n' >"$T/pw"
printf 'passphrase rahasia sekali\n' >"$T/pass"
printf 'passphrase yang salah\n' >"$T/wrong"

# staff: an account, a password, a login authenticator (the secret kept for codes)
staff() { # ROLE AGENCY EMAIL NAME
    [ "$1" = admin ] || S account add --role "$1" ${2:+--agency "$2"} --email "$3" --name "$4" >/dev/null || exit 1
    S password set --email "$3" --password-file "$T/spw" >/dev/null || exit 1
    "$POLICY" enrol-staff "$H" "$3" | sed 's/.*secret=\([A-Z2-7]*\).*/\1/' >"$T/$3.totp" || exit 1
}
staff admin "" admin@sertel.local Administrator
staff verifier 1 verif@uji.go.id "Verifikator Uji"
staff verifier 2 verif@lain.go.id "Verifikator Lain"
staff auditor "" audit@bssn.go.id "Auditor BSSN"

# people: registered, confirmed with a password, applied with a letter and an e-KTP scan
person() { # AGENCY NAME NIK EMAIL -> prints the application id
    S register --agency "$1" --name "$2" --nik "$3" --email "$4" --unit "Biro Umum" --position "Analis" >/dev/null || exit 1
    S email confirm --token "$(token_of "$(mail_in "$H" "$4")")" --password-file "$T/pw" >/dev/null || exit 1
    S apply issuance --email "$4" --letter "$D/letter.pdf" --ktp "$D/ktp.jpg" >/dev/null || exit 1
    sqlite3 "file:$H/sertel.db?mode=ro" "SELECT max(p.id) FROM applications p JOIN accounts a ON a.id = p.account_id WHERE a.email = '$4'"
}
APP_A=$(person 1 "Rina Wulandari" 6271015201900001 rina@uji.go.id) || exit 1
APP_B=$(person 2 "Budi Santoso" 6271011203850002 budi@lain.go.id) || exit 1

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_serve api "$H" --listen "127.0.0.1:$PORT" || exit 1
U="http://127.0.0.1:$PORT/api/v1"

# login WHO EMAIL PASSWORDFILE [TOTP]: cookie jar $T/WHO.jar, CSRF token in $T/WHO.csrf
login() {
    local code=""
    [ -f "$T/$2.totp" ] && code=$(totp_now "$(cat "$T/$2.totp")")
    python3 -c 'import json,sys; print(json.dumps({"email":sys.argv[1],"password":sys.argv[2],"code":sys.argv[3] or None}))' \
        "$2" "$(cat "$3")" "$code" >"$T/$1.login"
    local st
    st=$(curl -s -c "$T/$1.jar" -o "$T/$1.lb" -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary @"$T/$1.login" "$U/session")
    [ "$st" = 200 ] || { fail "login $2: $st $(cat "$T/$1.lb")"; return 1; }
    jget "$T/$1.lb" '["csrf_token"]' >"$T/$1.csrf"
}
# call WHO NAME METHOD PATH [curl args]: as WHO (or "-" for nobody); body $T/NAME.b, headers $T/NAME.h
call() {
    local who=$1 n=$2 m=$3 p=$4
    shift 4
    local auth=()
    [ "$who" != - ] && auth=(-b "$T/$who.jar" -H "X-CSRF-Token: $(cat "$T/$who.csrf")")
    curl -s -X "$m" -D "$T/$n.h" -o "$T/$n.b" -w '%{http_code}' "${auth[@]}" "$@" "$U$p"
}
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec("print(d"+sys.argv[2]+")")' "$1" "$2"; }
json() { echo "-HContent-Type: application/json"; }
code_is() { [ "$(jget "$T/$1.b" '["error"]["code"]')" = "$2" ]; }

login admin admin@sertel.local "$T/spw" || exit 1
login va verif@uji.go.id "$T/spw" || exit 1
login vb verif@lain.go.id "$T/spw" || exit 1
login aud audit@bssn.go.id "$T/spw" || exit 1
login rina rina@uji.go.id "$T/pw" || exit 1
pass "staff log in with their authenticators"

# --- the review queue ---
st=$(call va q GET /reviews)
ids() { python3 -c 'import json,sys; print(" ".join(str(a["id"]) for a in json.load(open(sys.argv[1]))["applications"]))' "$1"; }
[ "$st" = 200 ] && [ "$(ids "$T/q.b")" = "$APP_A" ] && pass "a verifier's queue: its agency's application only" ||
    fail "verifier A's queue: $st $(cat "$T/q.b")"
python3 - "$T/q.b" "$APP_A" <<'PY' && pass "queue entry: name, masked NIK, unit, position, type, submitted, document links, may_decide" || fail "queue entry: $(cat "$T/q.b")"
import json, sys
a = json.load(open(sys.argv[1]))["applications"][0]
who = a["applicant"]
assert who["name"] == "Rina Wulandari" and who["unit"] == "Biro Umum" and who["position"] == "Analis", who
assert who["nik_masked"] == "************0001", who
assert a["type"] == "issuance" and a["state"] == "pending" and a["submitted_at"].endswith("Z"), a
assert a["documents"] == {"letter": "/api/v1/applications/%s/documents/letter" % sys.argv[2],
                          "ktp": "/api/v1/applications/%s/documents/ktp" % sys.argv[2]}, a
assert a["may_decide"] is True
PY
expect_no_grep '6271015201900001' "$T/q.b" "the whole NIK is not in the queue"
st=$(call vb q2 GET /reviews)
[ "$(ids "$T/q2.b")" = "$APP_B" ] && pass "the other agency's verifier sees only its own" || fail "verifier B's queue: $(cat "$T/q2.b")"
st=$(call admin q3 GET /reviews)
[ "$(ids "$T/q3.b")" = "$APP_A $APP_B" ] && pass "an administrator sees every agency's" || fail "admin's queue: $(cat "$T/q3.b")"
st=$(call aud q4 GET /reviews)
[ "$st" = 200 ] && python3 -c 'import json,sys; assert all(a["may_decide"] is False for a in json.load(open(sys.argv[1]))["applications"])' "$T/q4.b" &&
    pass "an auditor reads the queue but may decide nothing" || fail "auditor's queue: $st $(cat "$T/q4.b")"
st=$(call rina q5 GET /reviews)
[ "$st" = 403 ] && code_is q5 forbidden && pass "an applicant has no queue: 403" || fail "applicant's queue: $st"

# --- documents ---
before=$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT count(*) FROM audit_log WHERE event = 'application.document_viewed'")
st=$(call va doc GET "/applications/$APP_A/documents/letter")
[ "$st" = 200 ] && cmp -s "$T/doc.b" "$D/letter.pdf" && pass "the verifier downloads the letter as uploaded" || fail "letter: $st"
expect_grep '^Content-Type: application/pdf' "$T/doc.h" "letter: application/pdf"
expect_grep '^Content-Disposition: attachment; filename="application-[0-9]+-letter.pdf"' "$T/doc.h" "letter: an attachment"
expect_grep '^X-Content-Type-Options: nosniff' "$T/doc.h" "letter: nosniff"
expect_grep "^Content-Security-Policy: .*default-src 'none'" "$T/doc.h" "letter: CSP default-src 'none'"
expect_grep '^Content-Security-Policy: .*sandbox' "$T/doc.h" "letter: CSP sandbox"
st=$(call admin ktp GET "/applications/$APP_A/documents/ktp")
[ "$st" = 200 ] && python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); assert d[:3]==b"\xff\xd8\xff" and d[-2:]==b"\xff\xd9"' "$T/ktp.b" &&
    pass "an administrator downloads the e-KTP scan (a JPEG)" || fail "ktp: $st"
expect_grep '^Content-Type: image/jpeg' "$T/ktp.h" "e-KTP: image/jpeg"
for who in vb aud rina; do
    st=$(call $who d403 GET "/applications/$APP_A/documents/letter")
    [ "$st" = 403 ] && pass "$who may not read the letter: 403" || fail "$who letter: $st"
done
st=$(call va d404 GET "/applications/$APP_A/documents/passport")
[ "$st" = 404 ] && pass "an unknown document: 404" || fail "unknown document: $st"
st=$(call va d404b GET "/applications/99999/documents/letter")
[ "$st" = 404 ] && pass "an unknown application: 404" || fail "unknown application: $st"
after=$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT count(*) FROM audit_log WHERE event = 'application.document_viewed'")
[ "$after" = $((before + 2)) ] && pass "each read audited, refusals not" || fail "document views audited: $before -> $after"

# --- decisions ---
st=$(call vb dec GET /reviews)
st=$(call vb dec POST "/applications/$APP_A/decision" "$(json)" -d '{"decision":"approve"}')
[ "$st" = 403 ] && pass "another agency's verifier may not decide: 403" || fail "cross-agency decision: $st"
st=$(call va dec POST "/applications/$APP_A/decision" "$(json)" -d '{"decision":"reject"}')
[ "$st" = 400 ] && pass "reject without a reason: 400" || fail "reject without reason: $st $(cat "$T/dec.b")"
st=$(call va dec POST "/applications/$APP_A/decision" "$(json)" -d '{"decision":"perhaps","reason":"x"}')
[ "$st" = 400 ] && code_is dec field_invalid && pass "an unknown decision: 400 field_invalid" || fail "unknown decision: $st"
st=$(call va dec POST "/applications/$APP_A/decision" "$(json)" -d '{"decision":"return","reason":"Surat belum ditandatangani"}')
[ "$st" = 200 ] && [ "$(jget "$T/dec.b" '["application"]["state"]')" = returned ] && pass "returned for revision" ||
    fail "return: $st $(cat "$T/dec.b")"
S apply issuance --email rina@uji.go.id --letter "$D/letter.pdf" --ktp "$D/ktp.jpg" >/dev/null || fail "resubmit"
st=$(call va dec POST "/applications/$APP_A/decision" "$(json)" -d '{"decision":"approve"}')
[ "$st" = 200 ] && [ "$(jget "$T/dec.b" '["application"]["state"]')" = approved ] && pass "approved" || fail "approve: $st $(cat "$T/dec.b")"
grep -q 'passphrase' "$(mail_in "$H" rina@uji.go.id)" && pass "the approval mailed the passphrase link" || fail "no passphrase mail"
st=$(call va dec POST "/applications/$APP_A/decision" "$(json)" -d '{"decision":"reject","reason":"terlambat"}')
[ "$st" = 409 ] && code_is dec wrong_state && pass "a decision is final: 409 wrong_state" || fail "second decision: $st"
st=$(call admin dec POST "/applications/$APP_B/decision" "$(json)" -d '{"decision":"reject","reason":"Bukan pegawai aktif"}')
[ "$st" = 200 ] && [ "$(jget "$T/dec.b" '["application"]["state"]')" = rejected ] && pass "an administrator rejects another agency's" ||
    fail "admin reject: $st"
S passphrase create --token "$(token_of "$(mail_in "$H" rina@uji.go.id)")" --passphrase-file "$T/pass" >/dev/null ||
    fail "passphrase create"

# --- agencies and accounts ---
st=$(call admin ag POST /agencies "$(json)" -d '{"name":"Badan Contoh","domains":["contoh.go.id","Contoh2.go.id"]}')
[ "$st" = 201 ] && [ "$(jget "$T/ag.b" '["agency"]["domains"]')" = "['contoh.go.id', 'contoh2.go.id']" ] &&
    pass "an administrator registers an agency: 201" || fail "agency add: $st $(cat "$T/ag.b")"
AG_C=$(jget "$T/ag.b" '["agency"]["id"]')
st=$(call admin ag2 POST /agencies "$(json)" -d '{"name":"Badan Contoh","domains":["lain2.go.id"]}')
[ "$st" = 409 ] && pass "the same name twice: 409" || fail "duplicate agency: $st"
st=$(call admin ag3 POST /agencies "$(json)" -d '{"name":"Badan X","domains":[]}')
[ "$st" = 400 ] && pass "an agency without domains: 400" || fail "no domains: $st"
st=$(call va ag4 POST /agencies "$(json)" -d '{"name":"Badan Y","domains":["y.go.id"]}')
[ "$st" = 403 ] && pass "a verifier may not register agencies: 403" || fail "verifier agency add: $st"
st=$(call va agl GET /agencies)
[ "$(python3 -c 'import json,sys; print([a["id"] for a in json.load(open(sys.argv[1]))["agencies"]])' "$T/agl.b")" = "[1]" ] &&
    pass "a verifier sees its own agency" || fail "verifier agencies: $(cat "$T/agl.b")"
st=$(call aud agl2 GET /agencies)
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["agencies"]))' "$T/agl2.b")" = 3 ] &&
    pass "an auditor sees every agency" || fail "auditor agencies: $(cat "$T/agl2.b")"
st=$(call admin acc POST /accounts "$(json)" -d "{\"role\":\"verifier\",\"agency_id\":$AG_C,\"email\":\"verif@contoh.go.id\",\"name\":\"Verifikator Contoh\"}")
[ "$st" = 201 ] && [ "$(jget "$T/acc.b" '["account"]["role"]')" = verifier ] && pass "an administrator adds a verifier: 201" ||
    fail "account add: $st $(cat "$T/acc.b")"
st=$(call admin acc2 POST /accounts "$(json)" -d "{\"role\":\"verifier\",\"agency_id\":$AG_C,\"email\":\"verif@uji.go.id\",\"name\":\"X\"}")
[ "$st" = 400 ] || [ "$st" = 409 ] && pass "a verifier outside the agency's domain, or twice: refused ($st)" || fail "bad verifier: $st"
st=$(call va acc3 POST /accounts "$(json)" -d '{"role":"auditor","email":"a2@bssn.go.id","name":"A2"}')
[ "$st" = 403 ] && pass "a verifier may not add accounts: 403" || fail "verifier account add: $st"
emails() { python3 -c 'import json,sys; print(" ".join(sorted(a["email"] for a in json.load(open(sys.argv[1]))["accounts"])))' "$1"; }
st=$(call va accl GET /accounts)
[ "$(emails "$T/accl.b")" = "rina@uji.go.id verif@uji.go.id" ] && pass "a verifier lists its agency's accounts" ||
    fail "verifier accounts: $(emails "$T/accl.b")"
st=$(call rina accl2 GET /accounts)
[ "$(emails "$T/accl2.b")" = "rina@uji.go.id" ] && pass "a person lists only itself" || fail "own accounts: $(cat "$T/accl2.b")"
st=$(call admin accl3 GET "/accounts?role=verifier&limit=2")
[ "$(emails "$T/accl3.b")" = "verif@lain.go.id verif@uji.go.id" ] && [ "$(jget "$T/accl3.b" '["next_after"]')" != None ] &&
    pass "filter by role, a page of 2 with next_after" || fail "filtered accounts: $(cat "$T/accl3.b")"
st=$(call admin accl4 GET "/accounts?limit=0")
[ "$st" = 400 ] && code_is accl4 field_invalid && pass "limit=0: 400" || fail "limit 0: $st"
RINA=$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT id FROM accounts WHERE email = 'rina@uji.go.id'")
BUDI=$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT id FROM accounts WHERE email = 'budi@lain.go.id'")
VB=$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT id FROM accounts WHERE email = 'verif@lain.go.id'")
VA=$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT id FROM accounts WHERE email = 'verif@uji.go.id'")
st=$(call va one GET "/accounts/$BUDI")
st2=$(call va one2 GET "/accounts/987654")
[ "$st" = 404 ] && [ "$st2" = 404 ] && cmp -s <(jget "$T/one.b" '["error"]["code"]') <(jget "$T/one2.b" '["error"]["code"]') &&
    pass "another agency's account answers like no account: 404" || fail "hidden account: $st $st2"

# a signing lock, lifted over the API
for i in 1 2 3 4 5; do S authorize --email rina@uji.go.id --passphrase-file "$T/wrong" >/dev/null 2>&1; done
st=$(call va lk GET "/accounts/$RINA")
[ "$(jget "$T/lk.b" '["account"]["person"]["signing_locked"]')" = True ] && pass "five wrong passphrases: signing_locked" ||
    fail "lock state: $(cat "$T/lk.b")"
st=$(call vb ul POST "/accounts/$RINA/unlock")
[ "$st" = 404 ] && pass "another agency's verifier cannot unlock (404: out of sight)" || fail "cross-agency unlock: $st"
st=$(call aud ul POST "/accounts/$RINA/unlock")
[ "$st" = 403 ] && pass "an auditor cannot unlock: 403" || fail "auditor unlock: $st"
st=$(call va ul POST "/accounts/$RINA/unlock")
[ "$st" = 200 ] && [ "$(jget "$T/ul.b" '["account"]["person"]["signing_locked"]')" = False ] &&
    pass "the agency's verifier unlocks: 200" || fail "unlock: $st $(cat "$T/ul.b")"
S authorize --email rina@uji.go.id --passphrase-file "$T/pass" >/dev/null && pass "the owner signs again after the unlock" ||
    fail "authorize after unlock"
# an authenticator reset
st=$(call va fr POST "/accounts/$VA/factor-reset")
[ "$st" = 403 ] && pass "never one's own factor: 403" || fail "own factor reset: $st"
st=$(call admin fr POST "/accounts/$VB/factor-reset")
[ "$st" = 200 ] && [ "$(jget "$T/fr.b" '["account"]["factor_enrolled"]')" = False ] && pass "an administrator resets a verifier's authenticator" ||
    fail "factor reset: $st $(cat "$T/fr.b")"
st=$(call vb fr2 GET /reviews)
[ "$st" = 403 ] && code_is fr2 factor_enrolment_needed && pass "the verifier must enrol again before anything else" ||
    fail "after reset: $st $(cat "$T/fr2.b")"

# --- API clients ---
st=$(call admin cl POST /clients "$(json)" -d '{"agency_id":1,"name":"e-Office Uji","scopes":["sign","status"]}')
[ "$st" = 201 ] && pass "a client added: 201" || fail "client add: $st $(cat "$T/cl.b")"
CID=$(jget "$T/cl.b" '["client"]["id"]')
SECRET=$(jget "$T/cl.b" '["secret"]')
[ "${#SECRET}" = 43 ] && pass "a 256-bit secret, shown once" || fail "secret: $SECRET"
st=$(curl -s -o "$T/b.b" -w '%{http_code}' -u "$CID:$SECRET" "$U/documents")
[ "$st" = 200 ] && pass "the client calls with HTTP Basic" || fail "client call: $st"
st=$(call admin rot POST "/clients/$CID/rotate")
NEW=$(jget "$T/rot.b" '["secret"]')
st1=$(curl -s -o /dev/null -w '%{http_code}' -u "$CID:$SECRET" "$U/documents")
st2=$(curl -s -o /dev/null -w '%{http_code}' -u "$CID:$NEW" "$U/documents")
[ "$st" = 200 ] && [ "$st1" = 401 ] && [ "$st2" = 200 ] && pass "rotated: the old secret stops at once, the new one works" ||
    fail "rotate: $st $st1 $st2"
st=$(call va rot2 POST "/clients/$CID/rotate")
[ "$st" = 403 ] && pass "a verifier may not manage clients: 403" || fail "verifier rotate: $st"
st=$(call admin del DELETE "/clients/$CID")
st2=$(curl -s -o /dev/null -w '%{http_code}' -u "$CID:$NEW" "$U/documents")
[ "$st" = 204 ] && [ "$st2" = 401 ] && pass "disabled: 204, and its secret no longer works" || fail "disable: $st $st2"
st=$(call admin del2 DELETE "/clients/cl_000000000000000000000000")
[ "$st" = 404 ] && pass "an unknown client: 404" || fail "unknown client: $st"
st=$(call admin cll GET /clients)
[ "$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["clients"]; print(c[0]["disabled"], c[0]["scopes"], "secret" in c[0])' "$T/cll.b")" = "True ['sign', 'status'] False" ] &&
    pass "the listing: disabled, scopes, never a secret" || fail "client list: $(cat "$T/cll.b")"
expect_no_grep "$SECRET|$NEW" "$T/api.err" "no client secret in the server's log"
sqlite3 "file:$H/sertel.db?mode=ro" .dump >"$T/dump"
expect_no_grep "$SECRET|$NEW" "$T/dump" "no client secret in the database"

# --- the register of signed documents ---
S sign --email rina@uji.go.id --passphrase-file "$T/pass" "$D/letter.pdf" "$T/signed.pdf" >/dev/null || fail "sign"
# clients added over the API: "id:secret" in $T/cN
newclient() { # N AGENCY SCOPES
    call admin "cn$1" POST /clients "$(json)" -d "{\"agency_id\":$2,\"name\":\"Sistem $1\",\"scopes\":\"$3\"}" >/dev/null
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["client"]["id"]+":"+d["secret"])' "$T/cn$1.b" >"$T/c$1"
}
newclient 1 1 sign
newclient 2 2 sign
newclient 3 1 status
creds() { cat "$1"; }
ndocs() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["count"])' "$1"; }
login budi budi@lain.go.id "$T/pw" || exit 1
for case in "rina 1" "va 1" "budi 0" "admin 1" "aud 1"; do
    set -- $case
    call "$1" dl GET /documents >/dev/null
    [ "$(ndocs "$T/dl.b")" = "$2" ] && pass "the register as $1 sees it: $2" || fail "documents as $1: $(cat "$T/dl.b")"
done
if [ -n "$(creds "$T/c1")" ]; then
    curl -s -o "$T/dc1.b" -u "$(creds "$T/c1")" "$U/documents"
    curl -s -o "$T/dc2.b" -u "$(creds "$T/c2")" "$U/documents"
    st=$(curl -s -o /dev/null -w '%{http_code}' -u "$(creds "$T/c3")" "$U/documents")
    [ "$(ndocs "$T/dc1.b")" = 1 ] && [ "$(ndocs "$T/dc2.b")" = 0 ] && [ "$st" = 403 ] &&
        pass "agency systems: their agency's documents with the sign scope, 403 without" ||
        fail "client documents: $(cat "$T/dc1.b") $(cat "$T/dc2.b") $st"
else
    fail "client add output not understood: $(cat "$T/c1")"
fi
call aud dl GET "/documents?owner=rina@uji.go.id&since=2000-01-01T00:00:00Z" >/dev/null
python3 - "$T/dl.b" "$T/signed.pdf" <<'PY' && pass "a register entry: id, owner, time, the signed file's SHA-256" || fail "document entry: $(cat "$T/dl.b")"
import hashlib, json, sys
d = json.load(open(sys.argv[1]))["documents"][0]
assert d["owner"] == "rina@uji.go.id" and len(d["id"]) == 32 and d["signed_at"].endswith("Z")
assert d["sha256"] == hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
assert d["link"] == "/api/v1/documents/" + d["id"]
PY
call aud dl GET "/documents?since=2999-01-01T00:00:00Z" >/dev/null
[ "$(ndocs "$T/dl.b")" = 0 ] && pass "since= filters" || fail "since: $(cat "$T/dl.b")"
st=$(call - dl GET /documents)
[ "$st" = 401 ] && pass "the register is not public: 401" || fail "public register: $st"

# --- the audit log ---
st=$(call aud al GET "/audit?limit=5")
[ "$st" = 200 ] && [ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([e["seq"] for e in d["entries"]], d["next_after"])' "$T/al.b")" = "[1, 2, 3, 4, 5] 5" ] &&
    pass "the auditor reads the log, five at a time" || fail "audit list: $st $(cat "$T/al.b")"
st=$(call aud al2 GET "/audit?after=5&limit=2")
[ "$(python3 -c 'import json,sys; print([e["seq"] for e in json.load(open(sys.argv[1]))["entries"]])' "$T/al2.b")" = "[6, 7]" ] &&
    pass "after= pages on" || fail "audit after: $(cat "$T/al2.b")"
for who in va rina; do
    st=$(call $who al3 GET /audit)
    [ "$st" = 403 ] && pass "$who may not read the audit log: 403" || fail "$who audit: $st"
done
st=$(call aud ex GET /audit/export)
[ "$st" = 200 ] && pass "the export: 200" || fail "export: $st $(head -c 300 "$T/ex.b")"
expect_grep '^Content-Type: application/x-ndjson' "$T/ex.h" "the export is JSON lines"
S audit key >"$T/audit-pub.pem"
python3 - "$T/ex.b" "$T/head" "$T/msg" "$T/sig" <<'PY' && pass "the export's chain recomputed: every link, and its end is the signed head" || fail "export chain"
import hashlib, json, struct, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
head = lines[0]
assert head["type"] == "head" and head["format"] == "sertel-audit-export-v1", head
entries = [l for l in lines[1:] if l["type"] == "entry"]
assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
prev = b"\0" * 32
lp = lambda s: struct.pack(">I", len(s.encode())) + s.encode()
for e in entries:
    assert bytes.fromhex(e["prev_hash"]) == prev, e["seq"]
    h = hashlib.sha256(b"sertel-audit-v1" + struct.pack(">QQ", e["seq"], e["ts"]) + lp(e["actor"]) +
                       lp(e["event"]) + lp(e["object"]) + lp(e["details"]) + prev).digest()
    assert h.hex() == e["hash"], e["seq"]
    prev = h
text = head["head"]
f = dict(l.split(" ", 1) for l in text.strip().split("\n")[1:])
assert int(f["seq"]) == entries[-1]["seq"] == head["seq"]
assert f["hash"] == entries[-1]["hash"]
assert entries[-1]["event"] == "audit.exported"
open(sys.argv[2], "w").write(text)
open(sys.argv[3], "wb").write(b"sertel-audit-checkpoint-v1" + struct.pack(">Q", int(f["seq"])) +
                              bytes.fromhex(f["hash"]) + struct.pack(">Q", int(f["ts"])))
open(sys.argv[4], "wb").write(bytes.fromhex(f["signature"]))
PY
openssl dgst -sha256 -verify "$T/audit-pub.pem" -signature "$T/sig" "$T/msg" >"$T/ossl" 2>&1 &&
    pass "the head's signature checks with openssl and the audit key" || fail "openssl: $(cat "$T/ossl")"
expect_exit 0 "sertel audit verify --against the exported head" -- S audit verify --against "$T/head"
st=$(call aud ex2 GET "/audit/export?after=2&limit=3")
python3 -c '
import json,sys
l=[json.loads(x) for x in open(sys.argv[1])]
assert [x["type"] for x in l]==["head","entry","entry","entry","more"], l
assert [x["seq"] for x in l[1:4]]==[3,4,5] and l[4]["after"]==5' "$T/ex2.b" &&
    pass "an export page ends with where to go on" || fail "export page: $(cat "$T/ex2.b")"
st=$(call va ex3 GET /audit/export)
[ "$st" = 403 ] && pass "a verifier may not export: 403" || fail "verifier export: $st"

# --- the OpenAPI description ---
st=$(call - oa GET /openapi.json)
[ "$st" = 200 ] && pass "GET /api/v1/openapi.json is public: 200" || fail "openapi: $st"
python3 - "$T/oa.b" <<'PY' && pass "the served description is a whole OpenAPI 3.1 document" || fail "openapi structure"
import json, re, sys
d = json.load(open(sys.argv[1]))
assert d["openapi"].startswith("3.1.") and d["info"]["title"] and d["info"]["version"]
assert d["servers"][0]["url"] == "/"
def walk(v):
    if isinstance(v, dict):
        for k, m in v.items():
            if k == "$ref":
                node = d
                for part in m[2:].split("/"):
                    node = node[part]
            else:
                walk(m)
    elif isinstance(v, list):
        for m in v:
            walk(m)
walk(d)
ops = 0
for p, item in d["paths"].items():
    for m, op in item.items():
        ops += 1
        assert op["responses"], (m, p)
        names = {(x.get("name") or d["components"]["parameters"][x["$ref"].split("/")[-1]]["name"]) for x in op.get("parameters", [])}
        for var in re.findall(r"{([^}]+)}", p):
            assert var in names, (m, p, var)
        for req in op["security"]:
            for s in req:
                assert s in d["components"]["securitySchemes"], s
assert ops >= 20
PY
S audit verify >/dev/null && pass "the audit chain is intact" || fail "audit verify"
# A clean stop: under the sanitizers a leak or a memory error in any handler shows here.
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
rc=$?
[ "$rc" = 0 ] && ! grep -qE 'Sanitizer|runtime error' "$T/api.err" && pass "the server stops cleanly (exit 0, no sanitizer report)" ||
    fail "server exit $rc: $(grep -m5 -E 'Sanitizer|runtime error|SUMMARY' "$T/api.err")"
finish
