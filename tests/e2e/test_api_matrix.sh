#!/bin/bash
# End-to-end: the authorization matrix (issue 12's must-hold), generated
# from the tables, against a real `sertel serve` on a loopback port.
#
# A home with two agencies, a person and a verifier in each (the verifier of
# the first agency is a certificate owner too), an administrator and an
# auditor; every person has a completed issuance application (letter and
# e-KTP), a certificate and a signed document. api_matrix.py then takes the
# routes from the endpoint tables (api_policy routes: every table api.c
# lists, so endpoints added later are in the matrix without editing it)
# and, for each, every role (someone not logged in, an applicant, a
# verifier, an administrator, an auditor, agency systems with and without
# the scope) against the caller itself, a person of its own agency and a
# person of another agency; what to expect comes from the policy table
# (api_policy check: ra_policy_check for the endpoint's action). Then CSRF
# missing or wrong on every unsafe session endpoint, and a session after
# logout on every session endpoint.
. "$(dirname "$0")/lib.sh"
S() { "$SERTEL" --home "$H" "$@"; }
POLICY=$SERTEL_BUILD/api_policy

H=$T/home
new_home "$H"
fast_kdf "$H"
# Signing with the passphrase alone, and no lockout in the way of hundreds of requests.
sed -i 's/^second_factor = .*/second_factor = off/; s/^lockout_after = .*/lockout_after = 100/;
        s/^lockout_hard_after = .*/lockout_hard_after = 1000/' "$H/sertel.conf"
D=$SERTEL_TEST_DATA
PW='one-password-for-all'
printf '%s\n' "$PW" >"$T/pw"
printf 'passphrase rahasia sekali\n' >"$T/pass"

S agency add --name "Kementerian Uji" --domain uji.go.id >/dev/null || exit 1
S agency add --name "Kementerian Lain" --domain lain.go.id >/dev/null || exit 1
for s in "verifier 1 verif@uji.go.id" "verifier 2 verif@lain.go.id" "auditor - audit@bssn.go.id"; do
    set -- $s
    ag=()
    [ "$2" != - ] && ag=(--agency "$2")
    S account add --role "$1" "${ag[@]}" --email "$3" --name "Staf $1" >/dev/null || exit 1
done
for e in admin@sertel.local verif@uji.go.id verif@lain.go.id audit@bssn.go.id; do
    S password set --email "$e" --password-file "$T/pw" >/dev/null || exit 1
    "$POLICY" enrol-staff "$H" "$e" | sed 's/.*secret=\([A-Z2-7]*\).*/\1/' >"$T/$e.totp" || exit 1
done
# people with a completed application, a certificate and a signed document
owner() { # AGENCY NAME NIK EMAIL
    [ -n "$(new_owner "$H" "$1" "$2" "$3" "$4" "$T/pass")" ] || { echo "owner $4 failed"; exit 1; }
    S password set --email "$4" --password-file "$T/pw" >/dev/null || exit 1
    S sign --email "$4" --passphrase-file "$T/pass" "$D/letter.pdf" "$T/signed-$4.pdf" >/dev/null || exit 1
}
owner 1 "Rina Wulandari" 6271015201900001 rina@uji.go.id
owner 1 "Vera Verifikator" 6271015201900002 verif@uji.go.id
owner 2 "Budi Santoso" 6271011203850003 budi@lain.go.id

# What the driver needs to know of each account, from the database itself.
q() { sqlite3 "file:$H/sertel.db?mode=ro" "$1"; }
python3 - "$T/world.json" "$T" "$PW" "$(cat "$T/pass")" <<PY || exit 1
import json, sys
rows = """$(q "SELECT a.id, a.email, a.role, coalesce(a.agency_id, 0), coalesce(s.nik, ''),
                   coalesce((SELECT max(p.id) FROM applications p WHERE p.account_id = a.id), 0),
                   coalesce((SELECT max(d.id) FROM signed_documents d WHERE d.account_id = a.id), '')
            FROM accounts a LEFT JOIN subscribers s ON s.account_id = a.id")"""
people = {}
for line in rows.strip().split("\n"):
    i, email, role, agency, nik, app, doc = line.split("|")
    people[email] = {"account_id": int(i), "email": email, "role": role, "agency_id": int(agency),
                     "nik": nik or None, "application_id": int(app) or None, "document_id": doc or None}
    try:
        people[email]["totp"] = open(sys.argv[2] + "/" + email + ".totp").read().strip()
    except OSError:
        pass
json.dump({"people": people, "password": sys.argv[3], "passphrase": sys.argv[4],
           "letter": "$D/letter.pdf", "ktp": "$D/ktp.jpg"}, open(sys.argv[1], "w"), indent=1)
PY
"$POLICY" routes >"$T/routes.json" || exit 1

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_serve api "$H" --listen "127.0.0.1:$PORT" || exit 1

python3 "$(dirname "$0")/api_matrix.py" "127.0.0.1:$PORT" "$T/world.json" "$T/routes.json" "$POLICY" \
    >"$T/matrix.out" 2>&1
rc=$?
cat "$T/matrix.out"
[ "$rc" = 0 ] && pass "the authorization matrix holds" || fail "the authorization matrix (exit $rc)"
grep -q 'internal' "$T/api.err" && fail "the server logged internal failures: $(grep -m3 internal "$T/api.err")" ||
    pass "no internal failure on the way"
S audit verify >/dev/null && pass "the audit chain is intact" || fail "audit verify"
# A clean stop: under the sanitizers a leak or a memory error in any handler shows here.
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
rc=$?
[ "$rc" = 0 ] && ! grep -qE 'Sanitizer|runtime error' "$T/api.err" && pass "the server stops cleanly (exit 0, no sanitizer report)" ||
    fail "server exit $rc: $(grep -m5 -E 'Sanitizer|runtime error|SUMMARY' "$T/api.err")"
finish
