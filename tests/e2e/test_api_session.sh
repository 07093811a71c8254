#!/bin/bash
# End-to-end: the API's shared behaviour over a real `sertel serve` on a
# loopback port, with curl: logging in and out (the cookie's attributes,
# rotation at login, CSRF on unsafe methods, a session after logout),
# staff needing their authenticator, throttled logins, the one error shape
# in Indonesian and English, the security headers, the JSON body's checks,
# and passwords refused over plain HTTP from a non-loopback address.
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
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_serve api "$H" --listen "127.0.0.1:$PORT" || exit 1
U="http://127.0.0.1:$PORT/api/v1"

# call NAME METHOD PATH [curl args...]: headers in $T/NAME.h, body in $T/NAME.b, status echoed
call() {
    local n=$1 m=$2 p=$3
    shift 3
    curl -s -X "$m" -D "$T/$n.h" -o "$T/$n.b" -w '%{http_code}' "$@" "$U$p"
}
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); exec("print(d"+sys.argv[2]+")")' "$1" "$2"; }

# --- login ---
st=$(call bad POST /session -H 'Content-Type: application/json' \
    -d '{"email":"rina@uji.go.id","password":"wrong-password-123"}')
[ "$st" = 401 ] && pass "wrong password: 401" || fail "wrong password: $st"
[ "$(jget "$T/bad.b" '["error"]["code"]')" = login_failed ] && pass "code login_failed" ||
    fail "wrong password body: $(cat "$T/bad.b")"
expect_grep 'Email atau kata sandi salah' "$T/bad.b" "Indonesian message by default"
st=$(call bad_en POST /session -H 'Content-Type: application/json' -H 'Accept-Language: en-GB,en;q=0.9' \
    -d '{"email":"nobody@uji.go.id","password":"wrong-password-123"}')
expect_grep 'The e-mail address or the password is wrong' "$T/bad_en.b" "English by Accept-Language"
cmp -s <(jget "$T/bad.b" '["error"]["code"]') <(jget "$T/bad_en.b" '["error"]["code"]') &&
    pass "unknown e-mail and wrong password answer alike" || fail "unknown e-mail answered differently"

st=$(call login POST /session -H 'Content-Type: application/json' -c "$T/jar" \
    -d '{"email":"rina@uji.go.id","password":"a-good-long-password"}')
[ "$st" = 200 ] && pass "login: 200" || fail "login: $st $(cat "$T/login.b")"
expect_grep '^Set-Cookie: sertel_session=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict' \
    "$T/login.h" "session cookie: HttpOnly, SameSite=Strict"
expect_grep '^Cache-Control: no-store' "$T/login.h" "no-store"
expect_grep '^X-Content-Type-Options: nosniff' "$T/login.h" "nosniff"
expect_grep "^Content-Security-Policy: default-src 'none'" "$T/login.h" "a CSP that allows nothing"
expect_no_grep 'a-good-long-password' "$T/api.err" "the password is never logged"
[ "$(jget "$T/login.b" '["account"]["email"]')" = rina@uji.go.id ] && pass "login answers the account" ||
    fail "login body: $(cat "$T/login.b")"
CSRF=$(jget "$T/login.b" '["csrf_token"]')
COOKIE1=$(awk '$6=="sertel_session"{print $7}' "$T/jar")

st=$(call me GET /session -b "$T/jar")
[ "$st" = 200 ] && [ "$(jget "$T/me.b" '["csrf_token"]')" = "$CSRF" ] && pass "GET /session: who and the CSRF token" ||
    fail "GET /session: $st $(cat "$T/me.b")"

# a second login rotates the cookie and ends the old session
st=$(call login2 POST /session -H 'Content-Type: application/json' -b "$T/jar" -c "$T/jar2" \
    -H "X-CSRF-Token: $CSRF" -d '{"email":"rina@uji.go.id","password":"a-good-long-password"}')
COOKIE2=$(awk '$6=="sertel_session"{print $7}' "$T/jar2")
[ "$st" = 200 ] && [ -n "$COOKIE2" ] && [ "$COOKIE1" != "$COOKIE2" ] && pass "a new cookie at every login" ||
    fail "rotation: $st $COOKIE1 $COOKIE2"
st=$(call old GET /session -b "$T/jar")
[ "$st" = 401 ] && pass "the session the new login replaced has ended" || fail "old session: $st"
CSRF=$(jget "$T/login2.b" '["csrf_token"]')

# --- CSRF ---
st=$(call nocsrf DELETE /session -b "$T/jar2")
[ "$st" = 403 ] && [ "$(jget "$T/nocsrf.b" '["error"]["code"]')" = csrf_invalid ] && pass "unsafe method without CSRF: 403" ||
    fail "no CSRF: $st"
st=$(call badcsrf DELETE /session -b "$T/jar2" -H "X-CSRF-Token: ${CSRF%?}x")
[ "$st" = 403 ] && pass "wrong CSRF token: 403" || fail "wrong CSRF: $st"
st=$(call out DELETE /session -b "$T/jar2" -H "X-CSRF-Token: $CSRF")
[ "$st" = 204 ] && pass "logout: 204" || fail "logout: $st $(cat "$T/out.b")"
expect_grep '^Set-Cookie: sertel_session=; .*Max-Age=0' "$T/out.h" "logout clears the cookie"
st=$(call after GET /session -b "$T/jar2")
[ "$st" = 401 ] && [ "$(jget "$T/after.b" '["error"]["code"]')" = session_invalid ] && pass "a session after logout: 401" ||
    fail "after logout: $st"
st=$(call none GET /session)
[ "$st" = 401 ] && [ "$(jget "$T/none.b" '["error"]["code"]')" = login_required ] && pass "no session: 401 login_required" ||
    fail "no session: $st"

# --- bodies ---
st=$(call notjson POST /session -H 'Content-Type: application/json' -d '{"email":')
[ "$st" = 400 ] && [ "$(jget "$T/notjson.b" '["error"]["code"]')" = invalid_json ] && pass "malformed JSON: 400" ||
    fail "malformed JSON: $st"
st=$(call dup POST /session -H 'Content-Type: application/json' -d '{"email":"a","email":"b","password":"x"}')
[ "$st" = 400 ] && pass "duplicate keys refused" || fail "duplicate keys: $st"
st=$(call arr POST /session -H 'Content-Type: application/json' -d '[1]')
[ "$st" = 400 ] && pass "a JSON array refused" || fail "array: $st"
st=$(call miss POST /session -H 'Content-Type: application/json' -d '{"email":"rina@uji.go.id"}')
[ "$st" = 400 ] && [ "$(jget "$T/miss.b" '["error"]["code"]')" = field_missing ] && pass "missing field: 400 field_missing" ||
    fail "missing field: $st $(cat "$T/miss.b")"
st=$(call typ POST /session -H 'Content-Type: application/json' -d '{"email":5,"password":"x"}')
[ "$st" = 400 ] && [ "$(jget "$T/typ.b" '["error"]["code"]')" = field_invalid ] && pass "wrong type: 400 field_invalid" ||
    fail "wrong type: $st"
st=$(call ct POST /session -H 'Content-Type: text/plain' -d '{}')
[ "$st" = 415 ] && pass "wrong content type: 415" || fail "content type: $st"

# --- throttling: the 5th failure locks the e-mail; the right password is then refused too ---
for i in 1 2 3 4 5; do
    call thr POST /session -H 'Content-Type: application/json' \
        -d '{"email":"rina@uji.go.id","password":"wrong-password-123"}' >/dev/null
done
st=$(call locked POST /session -H 'Content-Type: application/json' \
    -d '{"email":"rina@uji.go.id","password":"a-good-long-password"}')
[ "$st" = 429 ] && [ "$(jget "$T/locked.b" '["error"]["code"]')" = login_throttled ] && pass "locked: 429" ||
    fail "locked: $st $(cat "$T/locked.b")"
expect_grep '^Retry-After: [0-9]+' "$T/locked.h" "Retry-After on a locked login"

# --- passwords over plain HTTP from a non-loopback address ---
if EXT=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -1) && [ -n "$EXT" ]; then
    start_serve ext "$H" --listen "$EXT:0" || exit 1
    EU=$(sed -n 's/^listening on //p' "$T/ext.out")
    st=$(curl -s -o "$T/ext.b" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -d '{"email":"rina@uji.go.id","password":"a-good-long-password"}' "$EU/api/v1/session")
    [ "$st" = 403 ] && [ "$(jget "$T/ext.b" '["error"]["code"]')" = tls_required ] &&
        pass "a password over plain HTTP from another host: 403 tls_required" || fail "plain HTTP: $st $(cat "$T/ext.b")"
else
    pass "no non-loopback address on this machine: plain-HTTP refusal covered by the unit tests"
fi

# the audit log has the logins, failures and logout
S audit verify >/dev/null && pass "audit chain intact" || fail "audit verify"
sqlite3 "file:$H/sertel.db?mode=ro" "SELECT event FROM audit_log" >"$T/events"
expect_grep '^login\.succeeded$' "$T/events" "login audited"
expect_grep '^login\.failed$' "$T/events" "failed login audited"
expect_grep '^logout' "$T/events" "logout audited"
finish
