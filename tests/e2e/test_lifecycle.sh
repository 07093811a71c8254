#!/bin/bash
# End-to-end: the BSrE process through the real `sertel` binary: agencies,
# verifiers, registration with NIK and official e-mail, confirmation,
# application with letter and e-KTP, verifier decisions (and the refused
# ones), passphrase creation, signing authorization with an e-mailed code,
# lockout and unlock, revocation (keyCompromise suspends at once), renewal,
# direct revocation, key destruction, status in BSrE's words, audit intact.
. "$(dirname "$0")/lib.sh"
D=${SERTEL_TEST_DATA:?}

H=$T/home
new_home "$H"
# Cheaper key derivation for the test (still at the documented minimum).
sed -i 's/^argon2_memory_kib = .*/argon2_memory_kib = 19456/; s/^argon2_passes = .*/argon2_passes = 2/' "$H/sertel.conf"
S() { "$SERTEL" --home "$H" "$@"; }
# newest mail to an address
mail_to() { grep -l "^To: $1" $(ls -r "$H"/outbox/*.eml) 2>/dev/null | head -1; }
token_in() { grep -ho '^  [0-9a-f]\{64\}' "$1" | head -1 | tr -d ' '; }

expect_exit 0 "agency add" -- S agency add --name "Kementerian Contoh" --domain contoh.go.id --domain kemcontoh.go.id --quiet
A1=$(cat "$T/out")
expect_exit 0 "second agency" -- S agency add --name "Dinas Lain" --domain lain.go.id --quiet
A2=$(cat "$T/out")
expect_exit 2 "duplicate domain refused" -- S agency add --name "Dup" --domain contoh.go.id
expect_exit 0 "verifier for agency 1" -- S account add --role verifier --agency "$A1" --email verif@contoh.go.id --name "Verifikator Satu"
expect_exit 0 "verifier for agency 2" -- S account add --role verifier --agency "$A2" --email verif@lain.go.id --name "Verifikator Dua"
expect_exit 2 "verifier outside the agency's domain refused" -- S account add --role verifier --agency "$A1" --email x@gmail.com --name X
expect_grep "not an official address" "$T/err" "domain message"
expect_exit 0 "auditor" -- S account add --role auditor --email audit@bssn.go.id --name Auditor

NIK=6271015201900001
expect_exit 2 "bad NIK refused" -- S register --agency "$A1" --name "Siti Rahayu" --nik 6271013201900001 --email siti@contoh.go.id --unit "Biro Umum" --position Analis
expect_grep "NIK" "$T/err" "NIK message names the NIK"
expect_exit 2 "private e-mail refused" -- S register --agency "$A1" --name "Siti Rahayu" --nik $NIK --email siti@gmail.com --unit "Biro Umum" --position Analis
expect_exit 2 "verifier of another agency may not register" -- S register --by verif@lain.go.id --agency "$A1" --name "Siti Rahayu" --nik $NIK --email siti@contoh.go.id --unit "Biro Umum" --position Analis
expect_exit 0 "register by the verifier" -- S register --by verif@contoh.go.id --agency "$A1" --name "Siti Rahayu" --nik $NIK --email siti@contoh.go.id --unit "Biro Umum" --position "Analis Kebijakan"
expect_exit 2 "NIK registered twice refused" -- S register --agency "$A1" --name "Siti Lain" --nik $NIK --email siti2@contoh.go.id --unit U --position P
expect_exit 0 "status NO_CERTIFICATE" -- S status --nik $NIK
expect_grep "^NO_CERTIFICATE$" "$T/out" "registered, nothing applied"
expect_exit 0 "status of an unknown NIK" -- S status --nik 3171010101900001 --json
expect_grep '"status_code":1110,"status":"NOT_REGISTERED"' "$T/out" "NOT_REGISTERED in BSrE's JSON"

expect_exit 2 "apply before confirming the e-mail" -- S apply issuance --email siti@contoh.go.id --letter "$D/letter.pdf" --ktp "$D/ktp.jpg"
expect_grep "confirmed" "$T/err" "confirm-first message"
M=$(mail_to siti@contoh.go.id)
[ -n "$M" ] && pass "confirmation mail in the outbox" || fail "no confirmation mail"
[ "$(stat -c %a "$M")" = 600 ] && pass "outbox mail is 0600" || fail "outbox mail mode"
TOK=$(token_in "$M")
expect_exit 2 "wrong token refused" -- S email confirm --token "$(echo "$TOK" | tr 0-9a-f 1-9a-f0)"
expect_exit 0 "email confirm" -- S email confirm --token "$TOK"
expect_exit 2 "replayed token refused" -- S email confirm --token "$TOK"
expect_grep "already used" "$T/err" "replay message"

# Bad uploads: refused with a clear message, nothing stored.
printf '<!DOCTYPE html><html><body>Surat</body></html>' >"$T/fake.pdf"
head -c 1500 "$D/ktp.jpg" >"$T/trunc.jpg"
head -c $((6 * 1024 * 1024)) /dev/zero >"$T/big.pdf"
printf 'PK\003\004\024\000\000\000\010\000' >"$T/bomb.pdf"; head -c 4096 /dev/zero | gzip -9 >>"$T/bomb.pdf"
expect_exit 2 "HTML posing as PDF refused" -- S apply issuance --email siti@contoh.go.id --letter "$T/fake.pdf" --ktp "$D/ktp.jpg"
expect_grep "HTML" "$T/err" "HTML named"
expect_exit 2 "truncated JPEG refused" -- S apply issuance --email siti@contoh.go.id --letter "$D/letter.pdf" --ktp "$T/trunc.jpg"
expect_grep "truncated" "$T/err" "truncation named"
expect_exit 2 "6 MiB file refused" -- S apply issuance --email siti@contoh.go.id --letter "$T/big.pdf" --ktp "$D/ktp.jpg"
expect_grep "limit" "$T/err" "size limit named"
expect_exit 2 "zip renamed .pdf refused" -- S apply issuance --email siti@contoh.go.id --letter "$T/bomb.pdf" --ktp "$D/ktp.jpg"
expect_grep "ZIP|zip" "$T/err" "zip named"
# A letter that runs JavaScript when it is opened, #xx-escaped; HTML in front of an e-KTP photo.
python3 - "$T/js.pdf" <<'PY'
import os, sys
sys.path.insert(0, os.environ["SERTEL_TEST_DATA"] + "/pdf")
import mkpdf
mkpdf.write(sys.argv[1], [b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
                          b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                          b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
                          mkpdf.stream(b"0 0 1 rg 50 600 200 100 re f"),
                          b"<< /S /J#61vaScript /JS (app.alert\\(1\\)) >>"])
PY
expect_exit 2 "letter with JavaScript refused" -- S apply issuance --email siti@contoh.go.id --letter "$T/js.pdf" --ktp "$D/ktp.jpg"
expect_grep "OpenAction.*print the letter to PDF again" "$T/err" "the key and what to do named"
{ printf '<html><script>alert(1)</script>'; cat "$D/ktp.jpg"; } >"$T/html-ktp.jpg"
expect_exit 2 "HTML in front of the e-KTP refused" -- S apply issuance --email siti@contoh.go.id --letter "$D/letter.pdf" --ktp "$T/html-ktp.jpg"
expect_grep "HTML" "$T/err" "HTML named for the e-KTP"
n=$(find "$H/uploads" -type f 2>/dev/null | wc -l)
[ "$n" = 0 ] && pass "nothing stored for bad uploads" || fail "$n files stored"
[ "$(sqlite3 "$H/sertel.db" 'SELECT count(*) FROM applications')" = 0 ] && pass "no application recorded" || fail "application recorded"

expect_exit 0 "apply issuance" -- S apply issuance --email siti@contoh.go.id --letter "$D/letter.pdf" --ktp "$D/ktp.jpg" --quiet
APP=$(cat "$T/out")
[ -f "$H/uploads/$(sha256sum "$D/letter.pdf" | cut -c1-2)/$(sha256sum "$D/letter.pdf" | cut -d' ' -f1)" ] && pass "letter stored content-addressed" || fail "letter not stored by hash"
[ "$(sqlite3 "$H/sertel.db" "SELECT letter_sha256 FROM applications WHERE id = $APP")" = "$(sha256sum "$D/letter.pdf" | cut -d' ' -f1)" ] && pass "letter SHA-256 recorded" || fail "letter hash not recorded"
# The e-KTP is stored as a new JPEG written from its pixels: recorded under that file's hash,
# which djpeg reads; the hash of the file as sent is kept in the audit log.
KTP_SHA=$(sqlite3 "$H/sertel.db" "SELECT ktp_sha256 FROM applications WHERE id = $APP")
KTP_FILE=$H/uploads/$(echo "$KTP_SHA" | cut -c1-2)/$KTP_SHA
[ -f "$KTP_FILE" ] && [ "$(sha256sum "$KTP_FILE" | cut -d' ' -f1)" = "$KTP_SHA" ] && pass "e-KTP stored under its SHA-256" || fail "e-KTP not stored by hash"
[ "$KTP_SHA" != "$(sha256sum "$D/ktp.jpg" | cut -d' ' -f1)" ] && pass "the stored e-KTP is written again, not the file sent" || fail "e-KTP stored as sent"
djpeg "$KTP_FILE" >/dev/null 2>"$T/djpeg.err" && [ ! -s "$T/djpeg.err" ] && pass "djpeg reads the stored e-KTP" || fail "djpeg: $(cat "$T/djpeg.err")"
sqlite3 "$H/sertel.db" "SELECT details FROM audit_log WHERE event = 'application.submitted'" >"$T/details"
expect_grep "\"ktp_original_sha256\":\"$(sha256sum "$D/ktp.jpg" | cut -d' ' -f1)\"" "$T/details" "the e-KTP as sent: its hash audited"
expect_exit 2 "second application refused" -- S apply issuance --email siti@contoh.go.id --letter "$D/letter.pdf" --ktp "$D/ktp.png"
expect_exit 0 "status WAITING_FOR_VERIFICATION" -- S status --nik $NIK
expect_grep "^WAITING_FOR_VERIFICATION$" "$T/out" "waiting"

expect_exit 0 "other agency's verifier sees an empty queue" -- S review list --verifier verif@lain.go.id
expect_no_grep "siti@contoh" "$T/out" "queue is per agency"
expect_exit 2 "cross-agency approval refused" -- S review approve "$APP" --verifier verif@lain.go.id
expect_grep "person's agency" "$T/err" "cross-agency message"
expect_exit 2 "auditor may not decide" -- S review approve "$APP" --verifier audit@bssn.go.id
expect_exit 2 "reject without a reason refused" -- S review reject "$APP" --verifier verif@contoh.go.id
expect_exit 0 "return for revision" -- S review return "$APP" --verifier verif@contoh.go.id --reason "Surat belum ditandatangani"
expect_grep "Surat belum ditandatangani" "$(mail_to siti@contoh.go.id)" "applicant told the note"
expect_exit 2 "approve after return refused" -- S review approve "$APP" --verifier verif@contoh.go.id
expect_exit 0 "resubmit" -- S apply issuance --email siti@contoh.go.id --letter "$D/letter.pdf" --ktp "$D/ktp.png" --quiet
[ "$(cat "$T/out")" = "$APP" ] && pass "resubmission keeps the application id" || fail "new id on resubmission"
expect_exit 0 "queue shows it" -- S review list --verifier verif@contoh.go.id
expect_grep "siti@contoh.go.id" "$T/out" "pending application listed"
expect_exit 0 "approve" -- S review approve "$APP" --verifier verif@contoh.go.id
expect_exit 2 "double approval refused" -- S review approve "$APP" --verifier verif@contoh.go.id
expect_grep "final" "$T/err" "decisions are final"
expect_exit 2 "reject after approval refused" -- S review reject "$APP" --verifier verif@contoh.go.id --reason x
expect_exit 0 "status NEW" -- S status --nik $NIK
expect_grep "^NEW$" "$T/out" "approved, no passphrase yet"

PTOK=$(token_in "$(mail_to siti@contoh.go.id)")
printf 'rahasia siti 2026\n' >"$T/pass"
printf 'short\n' >"$T/short"
expect_exit 2 "too short passphrase" -- S passphrase create --token "$PTOK" --passphrase-file "$T/short"
expect_exit 0 "passphrase create" -- S passphrase create --token "$PTOK" --passphrase-file "$T/pass" --quiet
SERIAL=$(cat "$T/out")
expect_exit 2 "passphrase token replay refused" -- S passphrase create --token "$PTOK" --passphrase-file "$T/pass"
expect_exit 0 "status ISSUE" -- S status --nik $NIK --json
expect_grep '"status_code":1111,"status":"ISSUE"' "$T/out" "ISSUE"
if grep -rq "rahasia siti" "$H" 2>/dev/null; then fail "passphrase found in the home"; else pass "passphrase stored nowhere in clear"; fi
S cert show "$SERIAL" --pem >"$T/siti.pem"
S ca export --root >"$T/root.pem"; S ca export --issuing >"$T/issuing.pem"
expect_exit 0 "openssl verify accepts the issued certificate" -- openssl verify -CAfile "$T/root.pem" -untrusted "$T/issuing.pem" "$T/siti.pem"
openssl x509 -in "$T/siti.pem" -noout -subject -ext subjectAltName >"$T/subj"
expect_grep "O = Kementerian Contoh, OU = Biro Umum, CN = Siti Rahayu" "$T/subj" "subject from the registration"
expect_grep "siti@contoh.go.id" "$T/subj" "official e-mail in SAN"

# Signing authorization: passphrase + e-mailed one-time code.
expect_exit 2 "authorize without the second factor" -- S authorize --email siti@contoh.go.id --passphrase-file "$T/pass"
expect_grep "one-time code is required" "$T/err" "the missing code is named"
expect_exit 0 "otp send" -- S otp send --email siti@contoh.go.id
CODE=$(grep -ho 'elektronik: [0-9]\{8\}' "$(mail_to siti@contoh.go.id)" | grep -o '[0-9]\{8\}')
expect_exit 0 "authorize with passphrase and code" -- S authorize --email siti@contoh.go.id --passphrase-file "$T/pass" --otp "$CODE"
expect_exit 1 "the code works once" -- S authorize --email siti@contoh.go.id --passphrase-file "$T/pass" --otp "$CODE"
sed -i 's/^second_factor = .*/second_factor = off/' "$H/sertel.conf"
printf 'salah sekali\n' >"$T/wrong"
expect_exit 1 "unknown account denied" -- S authorize --email nobody@contoh.go.id --passphrase-file "$T/pass"
cp "$T/err" "$T/err.unknown"
expect_exit 1 "wrong passphrase denied" -- S authorize --email siti@contoh.go.id --passphrase-file "$T/wrong"
[ "$(sed 's/nobody@contoh.go.id//' "$T/err.unknown")" = "$(cat "$T/err")" ] && pass "unknown account and wrong passphrase answer the same" || fail "different answers: $(cat "$T/err.unknown") / $(cat "$T/err")"
for i in 2 3 4 5; do S authorize --email siti@contoh.go.id --passphrase-file "$T/wrong" >/dev/null 2>&1; done
expect_exit 1 "locked after 5 wrong passphrases, even with the right one" -- S authorize --email siti@contoh.go.id --passphrase-file "$T/pass"
expect_grep "passphrase salah" "$T/err" "the lock answers as a wrong passphrase does"
expect_grep "Penandatanganan dikunci selama 30 menit" "$(mail_to siti@contoh.go.id)" "the owner is mailed about the lock"
# The 30 minutes pass (clock simulated in the database), five more wrong ones: locked for good.
sqlite3 "$H/sertel.db" "UPDATE subscribers SET locked_until = 0"
for i in 6 7 8 9 10; do S authorize --email siti@contoh.go.id --passphrase-file "$T/wrong" >/dev/null 2>&1; done
sqlite3 "$H/sertel.db" "UPDATE subscribers SET locked_until = 0"
expect_exit 1 "locked after 10 until a verifier unlocks" -- S authorize --email siti@contoh.go.id --passphrase-file "$T/pass"
expect_grep "passphrase salah" "$T/err" "the hard lock answers as a wrong passphrase does"
expect_grep "sampai dibuka oleh verifikator" "$(mail_to siti@contoh.go.id)" "the owner is mailed about the hard lock"
expect_exit 2 "other agency's verifier may not unlock" -- S unlock --email siti@contoh.go.id --verifier verif@lain.go.id
expect_exit 0 "verifier unlocks" -- S unlock --email siti@contoh.go.id --verifier verif@contoh.go.id
expect_exit 0 "authorized again" -- S authorize --email siti@contoh.go.id --passphrase-file "$T/pass"

# The owner signs a PDF with the key sertel holds (passphrase unlocks it), checked by poppler.
expect_exit 0 "sign a PDF as the owner (B-T, the home's TSA)" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" --level B-T --reason "Menyetujui" "$D/letter.pdf" "$T/siti-signed.pdf"
make_nss "$T/nss" "$T/root.pem"
pdfsig -nssdir "sql:$T/nss" -no-ocsp "$T/siti-signed.pdf" >"$T/pdfsig.txt" 2>&1
expect_grep "Common Name: Siti Rahayu" "$T/pdfsig.txt" "pdfsig: signed by the owner"
expect_grep "Signature is Valid" "$T/pdfsig.txt" "pdfsig: signature valid"
expect_grep "Certificate is Trusted" "$T/pdfsig.txt" "pdfsig: certificate trusted"
expect_grep "Total document signed" "$T/pdfsig.txt" "pdfsig: whole document signed"
# The home's register of signed documents: an id (BSrE's id_dokumen), the file's SHA-256, audited.
DOCID=$(sed -n 's/.*, document id \([0-9a-f]\{32\}\)$/\1/p' "$T/out")
[ -n "$DOCID" ] && pass "the owner's signature is registered as document $DOCID" || fail "no document id: $(cat "$T/out")"
row=$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT lower(hex(sha256)) || ' ' || level || ' ' || cert_serial FROM signed_documents WHERE id = '$DOCID'")
[ "${row%% *}" = "$(sha256sum "$T/siti-signed.pdf" | cut -d' ' -f1)" ] && pass "the register holds the signed file's SHA-256" ||
    fail "register row: $row"
expect_grep " B-T " <(echo "$row ") "the register holds the level"
sqlite3 "file:$H/sertel.db?mode=ro" "SELECT actor || ' ' || event || ' ' || object FROM audit_log ORDER BY seq" >"$T/audit"
expect_grep "^siti@contoh.go.id doc.signed $DOCID$" "$T/audit" "the audit log records doc.signed for it"
# The register answers by id, by file and by owner; a changed file is not in it.
expect_exit 0 "doc show finds the document by its id" -- S doc show "$DOCID" --json
jq -e --arg id "$DOCID" --arg h "$(sha256sum "$T/siti-signed.pdf" | cut -d' ' -f1)" \
    '.[0].id == $id and .[0].owner == "siti@contoh.go.id" and .[0].level == "B-T" and .[0].sha256 == $h' \
    "$T/out" >/dev/null && pass "doc show: owner, level and the file's SHA-256" || fail "doc show: $(cat "$T/out")"
expect_exit 0 "doc find: this home signed exactly this file" -- S doc find "$T/siti-signed.pdf"
expect_grep "^$DOCID .* siti@contoh.go.id " "$T/out" "doc find names the document and its owner"
expect_exit 0 "doc find --sha256: the same answer from the hash alone" -- S doc find \
    --sha256 "$(sha256sum "$T/siti-signed.pdf" | cut -d' ' -f1)"
expect_grep "^$DOCID " "$T/out" "doc find --sha256 names the document"
expect_exit 2 "doc find --sha256 with a bad hash (exit 2)" -- S doc find --sha256 abc
cp "$T/siti-signed.pdf" "$T/siti-changed.pdf"
printf '%%%% appended\n' >>"$T/siti-changed.pdf"
expect_exit 1 "doc find: a changed copy is not in the register (exit 1)" -- S doc find "$T/siti-changed.pdf"
expect_grep "did not sign exactly these bytes" "$T/err" "doc find: says what not found means"
expect_exit 1 "doc show: an unknown id (exit 1)" -- S doc show 0123456789abcdef0123456789abcdef
expect_exit 2 "doc show: not an id (exit 2)" -- S doc show nonsense
# --nik (BSrE's v1 API names the signer by NIK): the same owner; an unknown NIK gets the
# wrong-passphrase answer; a malformed one is refused as such.
expect_exit 0 "sign --nik as the owner" -- S sign --nik "$NIK" --passphrase-file "$T/pass" \
    "$D/letter.pdf" "$T/siti-nik.pdf"
expect_grep "document id [0-9a-f]{32}$" "$T/out" "sign --nik: registered"
pdfsig -nssdir "sql:$T/nss" -no-ocsp "$T/siti-nik.pdf" >"$T/pdfsig.txt" 2>&1
expect_grep "Common Name: Siti Rahayu" "$T/pdfsig.txt" "sign --nik: signed by Siti (pdfsig)"
expect_exit 2 "sign --nik with an unknown NIK" -- S sign --nik 6271015201900099 --passphrase-file "$T/pass" \
    "$D/letter.pdf" "$T/nik-unknown.pdf"
expect_grep "passphrase salah" "$T/err" "unknown NIK: the same answer as a wrong passphrase"
expect_exit 2 "sign --nik with a malformed NIK" -- S sign --nik 12345 --passphrase-file "$T/pass" \
    "$D/letter.pdf" "$T/nik-bad.pdf"
[ ! -e "$T/nik-unknown.pdf" ] && [ ! -e "$T/nik-bad.pdf" ] && pass "sign --nik refusals: no output" || fail "--nik refusal left output"
# --json: one object for programs, with the register's id.
expect_exit 0 "sign --json as the owner" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" --json \
    "$D/letter.pdf" "$T/siti-json.pdf"
JID=$(jq -r '.document_id' "$T/out")
jq -e '.output and .level == "PAdES B-B" and (.document_id | test("^[0-9a-f]{32}$"))' "$T/out" >/dev/null &&
    [ "$(S doc find "$T/siti-json.pdf" --json | jq -r '.[0].id')" = "$JID" ] &&
    pass "sign --json: the object names the output, the level and the register's id" ||
    fail "sign --json: $(cat "$T/out")"
# To stdout (-): the register holds the SHA-256 of the bytes written there, recorded before
# the output is finished; the summary goes to stderr.
(cd "$T" && S sign --email siti@contoh.go.id --passphrase-file "$T/pass" "$D/letter.pdf" - \
    >"$T/siti-stdout.pdf" 2>"$T/err")
SID=$(sed -n 's/.*, document id \([0-9a-f]\{32\}\)$/\1/p' "$T/err")
[ -n "$SID" ] && [ ! -e "$T/-" ] && [ "$(S doc find "$T/siti-stdout.pdf" --json | jq -r '.[0].id')" = "$SID" ] &&
    pass "sign to stdout as the owner: the register holds what stdout received" ||
    fail "sign to stdout: id '$SID', $(head -c 300 "$T/err")"
# B-LT: a Document Security Store with the chains, OCSP responses and CRLs.
expect_exit 0 "sign B-LT as the owner" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" --level B-LT "$D/letter.pdf" "$T/siti-lt.pdf"
pdfsig -nssdir "sql:$T/nss" -no-ocsp "$T/siti-lt.pdf" >"$T/pdfsig-lt.txt" 2>&1
expect_grep "Signature is Valid" "$T/pdfsig-lt.txt" "pdfsig: B-LT signature still valid after the DSS revision"
expect_exit 0 "qpdf --check on the B-LT file" -- qpdf --check "$T/siti-lt.pdf"
mutool show "$T/siti-lt.pdf" trailer/Root/DSS >"$T/dss.txt" 2>&1
expect_grep "/Certs" "$T/dss.txt" "DSS has certificates"
expect_grep "/OCSPs" "$T/dss.txt" "DSS has OCSP responses"
expect_grep "/CRLs" "$T/dss.txt" "DSS has CRLs"
cat "$T/root.pem" "$T/issuing.pem" >"$T/chain.pem"
ocsp1=$(sed -n 's/.*\/OCSPs \[ \([0-9]*\) 0 R.*/\1/p' "$T/dss.txt")
crl1=$(sed -n 's/.*\/CRLs \[ \([0-9]*\) 0 R.*/\1/p' "$T/dss.txt")
mutool show -b "$T/siti-lt.pdf" "$ocsp1" >"$T/dss-ocsp.der" 2>/dev/null
openssl ocsp -respin "$T/dss-ocsp.der" -CAfile "$T/chain.pem" -resp_text >"$T/dss-ocsp.txt" 2>&1
expect_grep "Response verify OK" "$T/dss-ocsp.txt" "embedded OCSP response verifies (openssl)"
expect_grep "Cert Status: good" "$T/dss-ocsp.txt" "embedded OCSP says good"
mutool show -b "$T/siti-lt.pdf" "$crl1" >"$T/dss-crl.der" 2>/dev/null
expect_exit 0 "embedded CRL verifies (openssl)" -- openssl crl -inform DER -in "$T/dss-crl.der" -CAfile "$T/chain.pem" -noout

# B-LTA: after B-LT a revision with a document time-stamp (/Type /DocTimeStamp,
# /SubFilter /ETSI.RFC3161) whose token covers the whole file before it.
expect_exit 0 "sign B-LTA as the owner" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" --level B-LTA "$D/letter.pdf" "$T/siti-lta.pdf"
expect_grep "B-LTA" "$T/out" "B-LTA named in the output"
ls "$T"/siti-lta.pdf.* >/dev/null 2>&1 && fail "B-LTA left temporary files" || pass "B-LTA leaves no temporary files"
pdfsig -nssdir "sql:$T/nss" -no-ocsp "$T/siti-lta.pdf" >"$T/pdfsig-lta.txt" 2>&1
# poppler 22.12 lists the document time-stamp as a second "signature" it cannot
# validate ("Signature Type: unknown", "not yet been verified"); the CAdES one stays valid.
[ "$(grep -c '^Signature #' "$T/pdfsig-lta.txt")" = 2 ] && pass "pdfsig: B-LTA lists 2 signatures" ||
    fail "pdfsig: B-LTA: $(cat "$T/pdfsig-lta.txt")"
[ "$(grep -c 'Signature is Valid' "$T/pdfsig-lta.txt")" = 1 ] && pass "pdfsig: B-LTA signature valid" ||
    fail "pdfsig: B-LTA signature: $(cat "$T/pdfsig-lta.txt")"
expect_grep "Signer Certificate Common Name: Siti Rahayu" "$T/pdfsig-lta.txt" "pdfsig: B-LTA first is Siti's"
expect_grep "Signature Field Name: DocTimeStamp1" "$T/pdfsig-lta.txt" "pdfsig: second is the document time-stamp field"
expect_grep "Common Name: sertel Demo Time-Stamping Authority" "$T/pdfsig-lta.txt" "pdfsig: document time-stamp by the home's TSA"
[ "$(grep -c 'Total document signed' "$T/pdfsig-lta.txt")" = 1 ] && pass "pdfsig: the document time-stamp covers the whole file" ||
    fail "pdfsig: total document: $(cat "$T/pdfsig-lta.txt")"
expect_exit 0 "qpdf --check on the B-LTA file" -- qpdf --check "$T/siti-lta.pdf"
expect_exit 0 "mutool opens the B-LTA file" -- mutool show "$T/siti-lta.pdf" trailer/Root/DSS
expect_grep "/Certs" "$T/out" "B-LTA keeps the DSS"
dts=$(grep -c '/Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161' "$T/siti-lta.pdf")
[ "$dts" = 1 ] && pass "one /DocTimeStamp /ETSI.RFC3161 dictionary" || fail "DocTimeStamp dictionaries: $dts"
python3 "$D/pdf/extract_sig.py" "$T/siti-lta.pdf" 2 "$T/dts" >"$T/dts.txt" 2>&1
expect_grep "^2 True$" "$T/dts.txt" "document time-stamp is the second of 2 and ends the file"
expect_exit 0 "document time-stamp token verifies over its ByteRange (openssl ts)" -- \
    openssl ts -verify -data "$T/dts.signed" -in "$T/dts.p7s" -token_in -CAfile "$T/chain.pem"
head -c 100 "$T/dts.signed" >"$T/dts.short"
expect_exit 1 "the token does not verify over other bytes" -- \
    openssl ts -verify -data "$T/dts.short" -in "$T/dts.p7s" -token_in -CAfile "$T/chain.pem"
expect_exit 0 "sertel verify accepts the B-LTA file" -- S verify "$T/siti-lta.pdf"
expect_grep "DocTimeStamp" "$T/out" "sertel verify sees the document time-stamp"
expect_exit 2 "B-LTA with an unreachable --tsa fails" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" --level B-LTA --tsa http://127.0.0.1:9/ "$D/letter.pdf" "$T/nope-lta.pdf"
expect_grep "127\.0\.0\.1:9/" "$T/err" "the failure names the TSA URL"
[ ! -e "$T/nope-lta.pdf" ] && pass "no B-LTA output after the failure" || fail "B-LTA output written"

# Certification signatures (DocMDP) only as the first signature.
expect_exit 0 "certify with P=2" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" --certify 2 "$D/letter.pdf" "$T/siti-cert2.pdf"
expect_grep "certified" "$T/out" "certification named in the output"
pdfsig -nssdir "sql:$T/nss" -no-ocsp "$T/siti-cert2.pdf" >"$T/pdfsig-cert2.txt" 2>&1
expect_grep "Signature is Valid" "$T/pdfsig-cert2.txt" "pdfsig: certification signature valid"
expect_exit 0 "qpdf --check on the certified file" -- qpdf --check "$T/siti-cert2.pdf"
mutool show "$T/siti-cert2.pdf" trailer/Root/Perms >"$T/perms.txt" 2>&1
expect_grep "/DocMDP [0-9]+ 0 R" "$T/perms.txt" "catalog has /Perms /DocMDP"
expect_grep "/TransformMethod /DocMDP" "$T/siti-cert2.pdf" "signature has a DocMDP /Reference"
expect_grep "/P 2 /V /1.2" "$T/siti-cert2.pdf" "DocMDP /P 2"
# P=2 permits signing the document's empty signature fields only (it has none).
expect_exit 2 "a new signature on a P=2 document refused" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" "$T/siti-cert2.pdf" "$T/siti-cert2b.pdf"
expect_grep "DocMDP P=2" "$T/err" "the P=2 refusal says why"
[ ! -e "$T/siti-cert2b.pdf" ] && pass "no output after the P=2 refusal" || fail "output written"
# P=3 permits a new invisible one.
expect_exit 0 "certify with P=3" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" --certify 3 "$D/letter.pdf" "$T/siti-cert3.pdf"
mutool show "$T/siti-cert3.pdf" trailer/Root/Perms >"$T/perms.txt" 2>&1
expect_exit 0 "second signature on a P=3 document" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" "$T/siti-cert3.pdf" "$T/siti-cert3b.pdf"
pdfsig -nssdir "sql:$T/nss" -no-ocsp "$T/siti-cert3b.pdf" >"$T/pdfsig-cert3b.txt" 2>&1
[ "$(grep -c 'Signature is Valid' "$T/pdfsig-cert3b.txt")" = 2 ] && pass "pdfsig: both signatures valid after signing a P=3 document" ||
    fail "pdfsig: $(cat "$T/pdfsig-cert3b.txt")"
mutool show "$T/siti-cert3b.pdf" trailer/Root/Perms >"$T/perms2.txt" 2>&1
cmp -s "$T/perms.txt" "$T/perms2.txt" && pass "/Perms kept by the second signature" || fail "/Perms changed: $(cat "$T/perms2.txt")"
expect_exit 2 "--certify on a signed document refused" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" --certify 2 "$T/siti-cert2.pdf" "$T/nope-cert.pdf"
expect_grep "first signature" "$T/err" "certify refusal says why"
[ ! -e "$T/nope-cert.pdf" ] && pass "no output after the certify refusal" || fail "output written"
expect_exit 2 "--certify on a B-LT file refused" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" --certify 3 "$T/siti-lt.pdf" "$T/nope-cert.pdf"
expect_exit 0 "certify with P=1" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" --certify 1 "$D/letter.pdf" "$T/siti-cert1.pdf"
pdfsig -nssdir "sql:$T/nss" -no-ocsp "$T/siti-cert1.pdf" >"$T/pdfsig-cert1.txt" 2>&1
expect_grep "Signature is Valid" "$T/pdfsig-cert1.txt" "pdfsig: P=1 certification valid"
expect_exit 2 "signing a P=1 certified document refused" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" "$T/siti-cert1.pdf" "$T/nope-cert1.pdf"
expect_grep "no changes allowed" "$T/err" "P=1 refusal says why"
[ ! -e "$T/nope-cert1.pdf" ] && pass "no output after the P=1 refusal" || fail "output written"
expect_exit 2 "--certify 4 refused" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" --certify 4 "$D/letter.pdf" "$T/nope-cert.pdf"
expect_exit 0 "certified (P=1) and B-LTA: DSS and document time-stamp are allowed" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" --certify 1 --level B-LTA "$D/letter.pdf" "$T/siti-cert1-lta.pdf"
expect_exit 0 "qpdf --check on the certified B-LTA file" -- qpdf --check "$T/siti-cert1-lta.pdf"
expect_exit 0 "sertel verify accepts the certified B-LTA file" -- S verify "$T/siti-cert1-lta.pdf"

# A visible stamp: QR code, signer, agency, date and time in WIB, reason, footer.
expect_exit 0 "visible signature with QR code and footer" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" --reason "Menyetujui" --visible --page 1 --rect 330,60,240,90 --footer "$D/letter.pdf" "$T/siti-visible.pdf"
VID=$(sed -n 's/.*document id \([0-9a-f]\{32\}\)$/\1/p' "$T/out")
pdfsig -nssdir "sql:$T/nss" -no-ocsp "$T/siti-visible.pdf" >"$T/pdfsig2.txt" 2>&1
expect_grep "Signature is Valid" "$T/pdfsig2.txt" "pdfsig: visible signature valid"
expect_grep "Certificate is Trusted" "$T/pdfsig2.txt" "pdfsig: visible signature trusted"
pdftotext "$T/siti-visible.pdf" "$T/visible.txt"
expect_grep "Ditandatangani secara elektronik oleh" "$T/visible.txt" "stamp text rendered by poppler"
expect_grep "Siti Rahayu" "$T/visible.txt" "stamp names the signer"
expect_grep "Kementerian Contoh" "$T/visible.txt" "stamp names the agency"
expect_grep "Tanggal: [0-9]{2}-[0-9]{2}-[0-9]{4} [0-9:]{8} WIB" "$T/visible.txt" "stamp shows the time in WIB"
expect_grep "diterbitkan oleh" "$T/visible.txt" "footer statement"
expect_exit 0 "qpdf --check on the stamped file" -- qpdf --check "$T/siti-visible.pdf"
expect_exit 0 "the stamped page renders" -- pdftoppm -png -r 40 -f 1 -l 1 "$T/siti-visible.pdf" "$T/page"
# The QR code is the document's own verification link, with the id the register holds (zbarimg
# reads it from the rendered page).
for dpi in 150 200 300; do
    pdftoppm -png -r $dpi -f 1 -l 1 "$T/siti-visible.pdf" "$T/qrpage$dpi"
    zbarimg -q --raw "$T"/qrpage$dpi*.png >"$T/qr.txt" 2>"$T/zbar.err" && break
done
expect_grep "^http://[^ ]*/verify/$VID\$" "$T/qr.txt" "the QR code reads <base_url>/verify/<document id> ($VID)"
[ "$(sqlite3 "$H/sertel.db" "SELECT count(*) FROM signed_documents WHERE id = '$VID'")" = 1 ] &&
    pass "the QR code's document id is in the register" || fail "QR id $VID not in the register"
expect_exit 2 "--visible without --rect refused" -- S sign --email siti@contoh.go.id --passphrase-file "$T/pass" --visible "$D/letter.pdf" "$T/nope2.pdf"
expect_exit 2 "signing with a wrong passphrase refused" -- S sign --email siti@contoh.go.id --passphrase-file "$T/wrong" "$D/letter.pdf" "$T/nope.pdf"
[ ! -e "$T/nope.pdf" ] && pass "no output after a refused signing" || fail "output written"
n=$(sqlite3 "$H/sertel.db" "SELECT count(*) FROM audit_log WHERE event IN ('sign.denied','sign.authorized')")
[ "$n" -ge 14 ] && pass "every attempt audited ($n)" || fail "only $n attempts audited"

# Self-approval: the verifier registers as a subscriber and applies.
expect_exit 0 "verifier registers as a subscriber" -- S register --agency "$A1" --name "Verifikator Satu" --nik 6271010505850002 --email verif@contoh.go.id --unit "Biro TI" --position Verifikator
S email confirm --token "$(token_in "$(mail_to verif@contoh.go.id)")" >/dev/null
VAPP=$(S apply issuance --email verif@contoh.go.id --letter "$D/letter.pdf" --ktp "$D/ktp.jpg" --quiet)
expect_exit 2 "self-approval refused" -- S review approve "$VAPP" --verifier verif@contoh.go.id
expect_grep "your own" "$T/err" "self-approval message"
expect_exit 0 "admin rejects with a reason" -- S review reject "$VAPP" --reason "Tidak memenuhi syarat"
expect_grep "Tidak memenuhi syarat" "$(mail_to verif@contoh.go.id)" "rejection mailed with the reason"

# Renewal (window widened so the fresh certificate qualifies).
expect_exit 2 "renewal refused outside the window" -- S apply renewal --email siti@contoh.go.id
expect_grep "renewed from 30 days" "$T/err" "window message"
sed -i 's/^renewal_window_days = .*/renewal_window_days = 731/' "$H/sertel.conf"
expect_exit 0 "apply renewal" -- S apply renewal --email siti@contoh.go.id --quiet
RAPP=$(cat "$T/out")
expect_exit 0 "status RENEW" -- S status --nik $NIK
expect_grep "^RENEW$" "$T/out" "RENEW"
expect_exit 0 "approve renewal" -- S review approve "$RAPP" --verifier verif@contoh.go.id
printf 'rahasia baru 2028\n' >"$T/pass2"
expect_exit 0 "passphrase for the new key" -- S passphrase create --token "$(token_in "$(mail_to siti@contoh.go.id)")" --passphrase-file "$T/pass2" --quiet
SERIAL2=$(cat "$T/out")
expect_exit 0 "old certificate" -- S cert show "$SERIAL" --json
expect_grep '"status": "revoked"' "$T/out" "old certificate revoked"
expect_grep '"revocation_reason": 4' "$T/out" "with reason superseded"
[ "$(sqlite3 "$H/sertel.db" "SELECT count(*) FROM subscriber_keys WHERE cert_serial = '$SERIAL'")" = 0 ] && pass "old key destroyed" || fail "old key still stored"
expect_exit 1 "old passphrase no longer works" -- S authorize --email siti@contoh.go.id --passphrase-file "$T/pass"
expect_exit 0 "new passphrase works" -- S authorize --email siti@contoh.go.id --passphrase-file "$T/pass2"

# Revocation by the owner: keyCompromise suspends at once.
expect_exit 0 "apply revocation (keyCompromise)" -- S apply revocation --email siti@contoh.go.id --reason keyCompromise --quiet
VREV=$(cat "$T/out")
expect_exit 0 "status SUSPEND" -- S status --nik $NIK
expect_grep "^SUSPEND$" "$T/out" "suspended at once"
expect_exit 1 "no signing while suspended" -- S authorize --email siti@contoh.go.id --passphrase-file "$T/pass2"
expect_grep "passphrase salah" "$T/err" "a suspended certificate answers as a wrong passphrase does"
expect_exit 0 "verifier approves the revocation" -- S review approve "$VREV" --verifier verif@contoh.go.id
expect_exit 0 "status REVOKE" -- S status --nik $NIK
expect_grep "^REVOKE$" "$T/out" "revoked"
[ "$(sqlite3 "$H/sertel.db" "SELECT count(*) FROM subscriber_keys WHERE cert_serial = '$SERIAL2'")" = 0 ] && pass "key destroyed on revocation" || fail "key kept after revocation"
[ "$(sqlite3 "$H/sertel.db" "SELECT count(*) FROM audit_log WHERE event = 'key.destroyed' AND object = '$SERIAL2'")" = 1 ] && pass "destruction audited" || fail "destruction not audited"
expect_exit 1 "no signing while revoked" -- S authorize --email siti@contoh.go.id --passphrase-file "$T/pass2"
S cert show "$SERIAL2" --json >"$T/rev.json"
expect_grep '"revocation_reason": 1' "$T/rev.json" "reason keyCompromise recorded"

# Direct revocation by a verifier.
S register --agency "$A1" --name "Budi Santoso" --nik 6271011203880003 --email budi@contoh.go.id --unit "Biro Hukum" --position Analis >/dev/null
S email confirm --token "$(token_in "$(mail_to budi@contoh.go.id)")" >/dev/null
BAPP=$(S apply issuance --email budi@contoh.go.id --letter "$D/letter.pdf" --ktp "$D/ktp.jpg" --quiet)
S review approve "$BAPP" --verifier verif@contoh.go.id
S passphrase create --token "$(token_in "$(mail_to budi@contoh.go.id)")" --passphrase-file "$T/pass" --quiet >"$T/out"
BSER=$(cat "$T/out")
expect_exit 2 "other agency's verifier may not revoke" -- S cert revoke "$BSER" --reason affiliationChanged --by verif@lain.go.id
expect_exit 0 "verifier revokes directly" -- S cert revoke "$BSER" --reason affiliationChanged --by verif@contoh.go.id
expect_exit 2 "revoking twice refused" -- S cert revoke "$BSER" --reason affiliationChanged
expect_grep "already revoked" "$T/err" "already revoked message"

expect_exit 0 "notify runs" -- S notify
expect_exit 0 "audit log intact after the whole lifecycle" -- S audit verify
# Every owner signature of this test is in the register, and nothing else.
S doc list --email siti@contoh.go.id --json >"$T/list.json"
n=$(jq length "$T/list.json")
[ "$n" -ge 5 ] && [ "$(jq '[.[] | select(.owner != "siti@contoh.go.id")] | length' "$T/list.json")" = 0 ] &&
    pass "doc list --email: $n documents, all Siti's" || fail "doc list: $(head -c 400 "$T/list.json")"
finish
