#!/bin/bash
# End-to-end: the attacks a hostile test of sertel found, each replayed
# through the real binary (each of these failed on the code before the
# hardening):
#   - `totp enroll` bypassed the lockout and the second factor;
#   - parallel wrong passphrases counted as one;
#   - one e-mailed or TOTP code was accepted by several parallel requests;
#   - a lock, a wrong second factor and a suspended certificate answered
#     differently from a wrong passphrase (an oracle for the guess);
#   - a renewal approved before a revocation brought the person back;
#   - names that cannot fit a certificate, bidi and invisible characters,
#     out-of-range ids and malformed NIKs were accepted or misreported.
. "$(dirname "$0")/lib.sh"

H=$T/home
new_home "$H"
fast_kdf "$H"
S() { "$SERTEL" --home "$H" "$@"; }
db() { sqlite3 "$H/sertel.db" "$@"; }
A=$(S agency add --name "Kementerian Contoh" --domain contoh.go.id --quiet) || { fail "agency"; finish; exit 1; }
S account add --role verifier --agency "$A" --email verif@contoh.go.id --name "Verifikator" >/dev/null
printf 'rahasia yang benar\n' >"$T/pass"
printf 'salah sekali\n' >"$T/wrong"
sed -i 's/^second_factor = .*/second_factor = off/' "$H/sertel.conf"

n=0
owner() { # owner EMAIL: a fresh owner with a certificate and passphrase $T/pass
    n=$((n + 1))
    new_owner "$H" "$A" "Pegawai $n" "$(printf '627101%02d01900%03d' $((n % 28 + 1)) "$n")" "$1" "$T/pass" >/dev/null ||
        { fail "setting up owner $1"; finish; exit 1; }
}
state() { db "SELECT failed_attempts || ' ' || (locked_until > strftime('%s','now')) || ' ' || hard_locked FROM subscribers s JOIN accounts a ON a.id = s.account_id WHERE a.email = '$1'"; }
unlock_clock() { db "UPDATE subscribers SET locked_until = 0 WHERE account_id = (SELECT id FROM accounts WHERE email = '$1')"; }

# --- 2. Parallel guesses lock exactly as sequential ones --------------------
owner seq@contoh.go.id
owner par20@contoh.go.id
owner par200@contoh.go.id
for i in 1 2 3 4 5; do S authorize --email seq@contoh.go.id --passphrase-file "$T/wrong" >/dev/null 2>&1; done
want=$(state seq@contoh.go.id)
[ "$want" = "5 1 0" ] && pass "5 sequential wrong passphrases: 5 counted, locked" || fail "sequential state: $want"
for i in $(seq 20); do S authorize --email par20@contoh.go.id --passphrase-file "$T/wrong" >/dev/null 2>&1 & done
wait
got=$(state par20@contoh.go.id)
[ "$got" = "$want" ] && pass "20 parallel wrong passphrases lock exactly as 5 sequential ones ($got)" ||
    fail "20 parallel: '$got', sequential: '$want'"
expect_exit 1 "after the parallel burst the right passphrase is refused too" -- S authorize --email par20@contoh.go.id --passphrase-file "$T/pass"
# The 30 minutes pass (clock simulated): five more sequential, or 200 at once, lock for good.
unlock_clock seq@contoh.go.id
for i in 1 2 3 4 5; do S authorize --email seq@contoh.go.id --passphrase-file "$T/wrong" >/dev/null 2>&1; done
want=$(state seq@contoh.go.id)
[ "${want%% *}" = 10 ] && [ "${want##* }" = 1 ] && pass "10 sequential wrong passphrases: hard lock" || fail "sequential 10: $want"
for i in 1 2 3 4 5; do S authorize --email par200@contoh.go.id --passphrase-file "$T/wrong" >/dev/null 2>&1; done
unlock_clock par200@contoh.go.id
for i in $(seq 200); do S authorize --email par200@contoh.go.id --passphrase-file "$T/wrong" >/dev/null 2>&1 & done
wait
got=$(state par200@contoh.go.id)
[ "${got%% *}" = "${want%% *}" ] && [ "${got##* }" = 1 ] &&
    pass "200 parallel wrong passphrases lock exactly as 10 sequential ones ($got)" ||
    fail "200 parallel: '$got', sequential: '$want'"
denied=$(db "SELECT count(*) FROM audit_log WHERE event = 'sign.denied' AND object = 'par200@contoh.go.id'")
[ "$denied" -ge 10 ] && pass "every counted attempt is audited ($denied sign.denied entries)" || fail "only $denied audited"

# --- 6. Lock semantics: one answer for locked, unknown, wrong factor, suspended
owner lock@contoh.go.id
S authorize --email nobody@contoh.go.id --passphrase-file "$T/pass" >/dev/null 2>"$T/err.unknown"
S authorize --email lock@contoh.go.id --passphrase-file "$T/wrong" >/dev/null 2>"$T/err.wrong"
[ "$(sed 's/nobody@contoh.go.id/X/' "$T/err.unknown")" = "$(sed 's/lock@contoh.go.id/X/' "$T/err.wrong")" ] &&
    pass "unknown account and wrong passphrase answer alike" || fail "unknown vs wrong: $(cat "$T/err.unknown") / $(cat "$T/err.wrong")"
for i in 2 3 4 5; do S authorize --email lock@contoh.go.id --passphrase-file "$T/wrong" >/dev/null 2>&1; done
before=$(state lock@contoh.go.id)
expect_exit 1 "locked: the right passphrase is refused" -- S authorize --email lock@contoh.go.id --passphrase-file "$T/pass"
[ "$(sed 's/lock@contoh.go.id/X/' "$T/err")" = "$(sed 's/nobody@contoh.go.id/X/' "$T/err.unknown")" ] &&
    pass "the lock answers as an unknown account does" || fail "lock answer: $(cat "$T/err")"
S authorize --email lock@contoh.go.id --passphrase-file "$T/wrong" >/dev/null 2>&1
[ "$(state lock@contoh.go.id)" = "$before" ] && pass "attempts during the lock are not counted" ||
    fail "counted during the lock: $before -> $(state lock@contoh.go.id)"
expect_grep "Penandatanganan dikunci|locked" "$(mail_in "$H" lock@contoh.go.id)" "the owner is told of the lock by mail"
# A right passphrase with a wrong second factor: a wrong passphrase's answer, counted, no reset.
owner factor@contoh.go.id
sed -i 's/^second_factor = .*/second_factor = email/' "$H/sertel.conf"
S authorize --email factor@contoh.go.id --passphrase-file "$T/wrong" --otp 12345678 >/dev/null 2>"$T/err.w"
expect_exit 1 "right passphrase, wrong e-mailed code: denied" -- S authorize --email factor@contoh.go.id --passphrase-file "$T/pass" --otp 12345678
[ "$(cat "$T/err")" = "$(cat "$T/err.w")" ] && pass "a wrong second factor answers as a wrong passphrase" ||
    fail "wrong factor: $(cat "$T/err") / wrong passphrase: $(cat "$T/err.w")"
[ "$(state factor@contoh.go.id)" = "2 0 0" ] && pass "...and is counted, the counter not reset" || fail "state $(state factor@contoh.go.id)"
sed -i 's/^second_factor = .*/second_factor = off/' "$H/sertel.conf"
# A suspended certificate (keyCompromise pending): the right passphrase gets the same answer.
owner susp@contoh.go.id
sleep 1 # the invalidity date lies after the certificate's start
INV=$(date -u +%Y-%m-%dT%H:%M:%SZ)
INV_OPENSSL=$(date -u -d "$INV" '+%b %e %H:%M:%S %Y GMT')
S apply revocation --email susp@contoh.go.id --reason keyCompromise --invalidity-date "$INV" >/dev/null ||
    fail "keyCompromise application: $(S apply revocation --email susp@contoh.go.id --reason keyCompromise --invalidity-date "$INV" 2>&1)"
S authorize --email susp@contoh.go.id --passphrase-file "$T/wrong" >/dev/null 2>"$T/err.w"
expect_exit 1 "suspended: the right passphrase is denied" -- S authorize --email susp@contoh.go.id --passphrase-file "$T/pass"
[ "$(cat "$T/err")" = "$(cat "$T/err.w")" ] && pass "a suspended certificate answers as a wrong passphrase" ||
    fail "suspended: $(cat "$T/err") / wrong: $(cat "$T/err.w")"

# --- 1. totp enroll: counted, refused while locked, re-enrolment needs the factor
owner totp@contoh.go.id
for i in 1 2 3 4 5; do S totp enroll --email totp@contoh.go.id --passphrase-file "$T/wrong" >/dev/null 2>&1; done
[ "$(state totp@contoh.go.id)" = "5 1 0" ] && pass "wrong passphrases at totp enroll are counted and lock" ||
    fail "totp enroll guesses: $(state totp@contoh.go.id)"
expect_exit 1 "totp enroll on a locked account is refused" -- S totp enroll --email totp@contoh.go.id --passphrase-file "$T/pass"
expect_no_grep "otpauth://" "$T/out" "no secret printed while locked"
unlock_clock totp@contoh.go.id
expect_exit 0 "first enrolment with the passphrase" -- S totp enroll --email totp@contoh.go.id --passphrase-file "$T/pass"
SECRET=$(sed -n 's/.*secret=\([A-Z2-7]*\).*/\1/p' "$T/out")
[ -n "$SECRET" ] && pass "otpauth URI printed" || fail "no URI: $(cat "$T/out")"
expect_exit 1 "re-enrolment with the passphrase alone is refused" -- S totp enroll --email totp@contoh.go.id --passphrase-file "$T/pass"
expect_no_grep "otpauth://" "$T/out" "no new secret printed"
[ "$(db "SELECT hex(totp_box) FROM accounts WHERE email = 'totp@contoh.go.id'")" != "" ] &&
    pass "the enrolled authenticator is kept" || fail "secret lost"
expect_exit 0 "re-enrolment with the current code" -- S totp enroll --email totp@contoh.go.id --passphrase-file "$T/pass" --otp "$(totp_now "$SECRET")"
SECRET2=$(sed -n 's/.*secret=\([A-Z2-7]*\).*/\1/p' "$T/out")
[ -n "$SECRET2" ] && [ "$SECRET2" != "$SECRET" ] && pass "a new secret after proving the old factor" || fail "re-enrol: $(cat "$T/out")"
expect_exit 2 "the owner may not reset their own factor as a verifier would" -- S totp reset --email totp@contoh.go.id --verifier totp@contoh.go.id
expect_exit 0 "the verifier resets the second factor" -- S totp reset --email totp@contoh.go.id --verifier verif@contoh.go.id
expect_exit 0 "after the reset, enrolment with the passphrase" -- S totp enroll --email totp@contoh.go.id --passphrase-file "$T/pass"
db "SELECT event FROM audit_log WHERE object = 'totp@contoh.go.id' OR actor = 'totp@contoh.go.id'" >"$T/audit"
expect_grep "^totp.enrolled$" "$T/audit" "enrolment audited"
expect_grep "^totp.reset$" "$T/audit" "reset audited"

# --- 4. Codes are single-use under concurrency --------------------------------
owner otp@contoh.go.id
sed -i 's/^second_factor = .*/second_factor = email/' "$H/sertel.conf"
S otp send --email otp@contoh.go.id >/dev/null
CODE=$(grep -ho 'elektronik: [0-9]\{8\}' "$(mail_in "$H" otp@contoh.go.id)" | grep -o '[0-9]\{8\}')
for i in 1 2 3 4 5 6; do (S authorize --email otp@contoh.go.id --passphrase-file "$T/pass" --otp "$CODE" >"$T/otp.$i" 2>&1; echo $? >"$T/otp.$i.rc") & done
wait
ok=$(cat "$T"/otp.*.rc | grep -c '^0$')
[ "$ok" = 1 ] && pass "one e-mailed code, six parallel uses: exactly one accepted" || fail "$ok of 6 accepted"
# The five replays counted as failed attempts: five in a row lock signing. The verifier lifts it.
S unlock --email otp@contoh.go.id --verifier verif@contoh.go.id >/dev/null
sed -i 's/^second_factor = .*/second_factor = totp/' "$H/sertel.conf"
S totp enroll --email otp@contoh.go.id --passphrase-file "$T/pass" >"$T/out" 2>&1
SEC=$(sed -n 's/.*secret=\([A-Z2-7]*\).*/\1/p' "$T/out")
# Use a code of the next step so that no earlier request has used its step.
sleep $((31 - $(date +%s) % 30))
C=$(totp_now "$SEC")
for i in 1 2 3 4 5 6; do (S authorize --email otp@contoh.go.id --passphrase-file "$T/pass" --otp "$C" >/dev/null 2>&1; echo $? >"$T/totp.$i.rc") & done
wait
ok=$(cat "$T"/totp.*.rc | grep -c '^0$')
[ "$ok" = 1 ] && pass "one TOTP code, six parallel uses: exactly one accepted" || fail "$ok of 6 accepted"
replays=$(db "SELECT count(*) FROM audit_log WHERE event = 'sign.denied' AND object = 'otp@contoh.go.id' AND (details LIKE '%wrong_second_factor%' OR details LIKE '%\"locked\"%')")
[ "$replays" -ge 10 ] && pass "the ten replayed codes are audited as denied ($replays)" || fail "$replays replays audited"
sed -i 's/^second_factor = .*/second_factor = off/' "$H/sertel.conf"

# --- 5. A revoked certificate does not come back through a renewal -----------
owner renew@contoh.go.id
RS=$(db "SELECT serial FROM certificates WHERE email = 'renew@contoh.go.id'")
sed -i 's/^renewal_window_days = .*/renewal_window_days = 3650/' "$H/sertel.conf"
grep -q '^renewal_window_days' "$H/sertel.conf" || sed -i 's/^\[ra\]$/[ra]\nrenewal_window_days = 3650/' "$H/sertel.conf"
RAPP=$(S apply renewal --email renew@contoh.go.id --quiet) || fail "apply renewal: $(cat "$T/err")"
S review approve "$RAPP" >/dev/null
RTOK=$(token_of "$(mail_in "$H" renew@contoh.go.id)")
expect_exit 0 "the verifier revokes the certificate while the renewal is approved" -- S cert revoke "$RS" --reason privilegeWithdrawn --by verif@contoh.go.id
expect_exit 2 "the renewal's passphrase link no longer issues" -- S passphrase create --token "$RTOK" --passphrase-file "$T/pass"
expect_exit 0 "status" -- S status --nik "$(db "SELECT nik FROM subscribers s JOIN accounts a ON a.id = s.account_id WHERE a.email = 'renew@contoh.go.id'")"
expect_grep "^REVOKE$" "$T/out" "the person shows REVOKE"
[ "$(db "SELECT state FROM applications WHERE id = $RAPP")" = cancelled ] && pass "the renewal is cancelled" || fail "renewal state $(db "SELECT state FROM applications WHERE id = $RAPP")"
[ "$(db "SELECT count(*) FROM certificates WHERE email = 'renew@contoh.go.id'")" = 1 ] && pass "no new certificate issued" || fail "a certificate came back"
# keyCompromise with the owner's invalidity date (RFC 5280 5.3.2), in the CRL.
SS=$(db "SELECT serial FROM certificates WHERE email = 'susp@contoh.go.id'")
SAPP=$(db "SELECT id FROM applications WHERE kind = 'revocation' AND cert_serial = '$SS'")
S review approve "$SAPP" --verifier verif@contoh.go.id >/dev/null
S crl --out "$T/issuing.crl" >/dev/null 2>&1
openssl crl -inform DER -in "$T/issuing.crl" -noout -text >"$T/crl.txt" 2>&1
expect_grep "Invalidity Date" "$T/crl.txt" "the CRL carries the invalidity date"
expect_grep "$INV_OPENSSL" "$T/crl.txt" "the invalidity date is the owner's ($INV)"
expect_exit 2 "an invalidity date in the future is refused" -- S apply revocation --email lock@contoh.go.id --reason keyCompromise --invalidity-date 2099-01-01T00:00:00Z

# --- 11. Input limits match what issuance accepts ------------------------------
long65=$(printf 'A%.0s' $(seq 65))
expect_exit 2 "a 65-character name (the CN limit is 64) is refused at registration" -- S register --agency "$A" --name "$long65" --nik 6271012801900099 --email long@contoh.go.id --unit U --position P
expect_exit 2 "a 65-character unit (the OU limit is 64) is refused" -- S register --agency "$A" --name "Budi" --nik 6271012801900099 --email long@contoh.go.id --unit "$long65" --position P
expect_exit 2 "an agency name that cannot be an O (64) is refused" -- S agency add --name "$long65" --domain panjang.go.id
expect_exit 2 "a right-to-left override in a name is refused" -- S register --agency "$A" --name "$(printf 'Budi\u202eosnatnaS')" --nik 6271012801900099 --email rtl@contoh.go.id --unit U --position P
expect_grep "U\\+202E" "$T/err" "the character is named"
expect_exit 2 "a zero-width space in a name is refused" -- S register --agency "$A" --name "$(printf 'Bu\u200bdi')" --nik 6271012801900099 --email zw@contoh.go.id --unit U --position P
expect_exit 2 "an out-of-range application id is a usage error" -- S review approve 99999999999999999999 --verifier verif@contoh.go.id
expect_grep "whole number" "$T/err" "the id is named as the problem"
expect_exit 2 "a malformed NIK in status is an error, not NOT_REGISTERED" -- S status --nik 12345
expect_no_grep "NOT_REGISTERED" "$T/out" "no status printed for a malformed NIK"
owner reason@contoh.go.id
reason=$(printf 'Alasan %.0s' $(seq 60))
RA2=$(S apply renewal --email reason@contoh.go.id --quiet)
expect_exit 0 "a 480-byte reason is accepted" -- S review reject "$RA2" --verifier verif@contoh.go.id --reason "$reason"
got=$(db "SELECT json_extract(details, '$.reason') FROM audit_log WHERE event = 'application.rejected' ORDER BY seq DESC LIMIT 1")
[ "$got" = "$reason" ] && pass "the reason is stored whole in the audit entry" || fail "audit reason: ${#got} of ${#reason} bytes"

expect_exit 0 "audit verify" -- S audit verify
finish
