#!/bin/bash
# End-to-end: `sertel audit verify` detects and names altered, removed,
# reordered and truncated entries (exit 1), and passes an intact log (exit 0).
# A missing audit.head is tampering; signed heads kept elsewhere (`audit
# head`, checked by openssl with `audit key`) catch truncation and divergence
# with `verify --against`; `serve` publishes the head at /audit/head; verify
# works on read-only copies; stale *.tmp-XXXXXX files go when a home opens
# for writing.
. "$(dirname "$0")/lib.sh"

H=$T/home
new_home "$H"
for i in 1 2 3 4; do
    make_csr ec-p256 "Pegawai $i" "$T/p$i"
    "$SERTEL" --home "$H" cert issue --csr "$T/p$i.csr" --profile document-signing >/dev/null || fail "issue $i"
done
# A hand edit of the configuration is audited by the next process that writes.
c0=$(sqlite3 "$H/sertel.db" "SELECT count(*) FROM audit_log WHERE event = 'config.changed'")
printf '\n# edited by the operator\n' >>"$H/sertel.conf"
"$SERTEL" --home "$H" cert list >/dev/null
[ "$(sqlite3 "$H/sertel.db" "SELECT count(*) FROM audit_log WHERE event = 'config.changed'")" = "$c0" ] && pass "a read-only command records nothing" || fail "read-only command wrote"
make_csr ec-p256 "Pegawai 5" "$T/p5"
"$SERTEL" --home "$H" cert issue --csr "$T/p5.csr" --profile document-signing >/dev/null || fail "issue 5"
[ "$(sqlite3 "$H/sertel.db" "SELECT count(*) FROM audit_log WHERE event = 'config.changed'")" = "$((c0 + 1))" ] && pass "configuration change audited" || fail "configuration change not audited"
expect_exit 0 "intact log verifies" -- "$SERTEL" --home "$H" audit verify
n=$(sqlite3 "$H/sertel.db" "SELECT max(seq) FROM audit_log")
[ "$n" -ge 10 ] && pass "log has $n entries" || fail "log has only $n entries"

tamper() { # desc sql expected-seq pattern
    rm -rf "$T/t"
    cp -a "$H" "$T/t"
    sqlite3 "$T/t/sertel.db" "$2"
    expect_exit 1 "$1 is detected" -- "$SERTEL" --home "$T/t" audit verify
    expect_grep "entry $3\b|entries $3\b" "$T/err" "$1: entry $3 named"
    expect_grep "$4" "$T/out" "$1: says how ($4)"
}
tamper "altered entry" "UPDATE audit_log SET actor = 'mallory' WHERE seq = 5" 5 "altered"
tamper "removed entry" "DELETE FROM audit_log WHERE seq = 7" 7 "removed"
tamper "reordered entries" \
    "UPDATE audit_log SET seq = -1 WHERE seq = 6; UPDATE audit_log SET seq = 6 WHERE seq = 8; UPDATE audit_log SET seq = 8 WHERE seq = -1;" \
    6 "altered|follow|reordered"
tamper "truncated log (entries and checkpoints)" \
    "DELETE FROM audit_log WHERE seq > $((n - 2)); DELETE FROM audit_checkpoint WHERE seq > $((n - 2));" \
    $((n - 1)) "truncated"
tamper "truncated log (entries only)" "DELETE FROM audit_log WHERE seq > $((n - 1))" $n "truncated"

# --- a missing head file ------------------------------------------------------
# The hostile test that once passed: truncate the log and delete audit.head.
rm -rf "$T/t" && cp -a "$H" "$T/t"
sqlite3 "$T/t/sertel.db" "DELETE FROM audit_log WHERE seq > 3; DELETE FROM audit_checkpoint WHERE seq > 3"
rm "$T/t/audit.head"
expect_exit 1 "truncated log without audit.head is detected" -- "$SERTEL" --home "$T/t" audit verify
expect_grep "audit.head is missing: the log may have been cut off" "$T/out" "the missing head is named"
expect_grep "sertel audit head" "$T/out" "says to compare with a head kept elsewhere"
# Nothing signs over it: the next writer refuses and changes nothing.
before=$(home_state "$T/t")
make_csr ec-p256 "Pegawai 6" "$T/p6"
expect_exit 2 "a writer refuses to sign without audit.head" -- \
    "$SERTEL" --home "$T/t" cert issue --csr "$T/p6.csr" --profile document-signing
expect_grep "audit.head is missing|neither a signed checkpoint nor the head file" "$T/err" "says why it refuses"
[ "$(home_state "$T/t")" = "$before" ] && [ ! -e "$T/t/audit.head" ] &&
    pass "nothing written, no head recreated" || fail "the refused writer changed the home"
# Intact log, head file deleted: also reported.
rm -rf "$T/t" && cp -a "$H" "$T/t" && rm "$T/t/audit.head"
expect_exit 1 "intact log without audit.head is reported" -- "$SERTEL" --home "$T/t" audit verify

# --- signed heads kept elsewhere ------------------------------------------------
S() { "$SERTEL" --home "$H" "$@"; }
expect_exit 0 "audit head" -- S audit head
cp "$T/out" "$T/head1"
expect_grep "^sertel-audit-head v1$" "$T/head1" "head: magic line"
expect_grep "^seq $(sqlite3 "$H/sertel.db" "SELECT max(seq) FROM audit_checkpoint")$" "$T/head1" "head: seq of the newest checkpoint"
expect_exit 0 "audit head --out" -- S audit head --out "$T/head1.out"
cmp -s "$T/head1" "$T/head1.out" && pass "--out writes the same bytes" || fail "--out differs"
cmp -s "$T/head1" "$H/audit.head" && pass "the head file holds the same head" || fail "head differs from audit.head"

# Independently: openssl checks the signature over the 74 bytes audit.h states.
expect_exit 0 "audit key" -- S audit key --out "$T/audit-pub.pem"
openssl pkey -pubin -in "$T/audit-pub.pem" -noout 2>/dev/null && pass "audit key is a PEM public key" || fail "audit key output"
check_head_openssl() { # HEADFILE -> exit status of openssl dgst -verify
    local seq hash ts sig
    seq=$(sed -n 's/^seq //p' "$1") hash=$(sed -n 's/^hash //p' "$1")
    ts=$(sed -n 's/^ts //p' "$1") sig=$(sed -n 's/^signature //p' "$1")
    { printf 'sertel-audit-checkpoint-v1'; printf '%016x%s%016x' "$seq" "$hash" "$ts" | xxd -r -p; } >"$T/msg.bin"
    printf '%s' "$sig" | xxd -r -p >"$T/sig.bin"
    openssl dgst -sha256 -verify "$T/audit-pub.pem" -signature "$T/sig.bin" "$T/msg.bin" >/dev/null 2>&1
}
[ "$(wc -c <"$T/audit-pub.pem")" -gt 0 ] && check_head_openssl "$T/head1" &&
    pass "openssl dgst -verify accepts the head's signature" || fail "openssl rejects the head"
sed 's/^ts \(.*\)$/ts 1/' "$T/head1" >"$T/head1.bad"
check_head_openssl "$T/head1.bad" && fail "openssl accepts an altered head" || pass "openssl rejects an altered head"

# The log grows: it extends the saved head.
make_csr ec-p256 "Pegawai 7" "$T/p7"
S cert issue --csr "$T/p7.csr" --profile document-signing >/dev/null || fail "issue 7"
expect_exit 0 "verify --against an older head after more entries" -- S audit verify --against "$T/head1"
expect_grep "extends the witnessed head" "$T/out" "says it extends the witnessed head"
S audit head >"$T/head2"
S audit head | S audit verify --against - >"$T/out" 2>&1 && pass "--against - reads the head from stdin" || fail "--against -: $(cat "$T/out")"
# Another process holding the database's lock (a writer, a checkpoint) when
# verify opens it: waited for, not "database is locked".
python3 - "$H/sertel.db" "$T/locked" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA locking_mode = EXCLUSIVE")
c.execute("BEGIN EXCLUSIVE")
c.execute("SELECT count(*) FROM meta").fetchall()
open(sys.argv[2], "w").close()
time.sleep(1.5)
c.execute("COMMIT")
c.close()
PY
LOCKER=$!
for _ in $(seq 100); do [ -e "$T/locked" ] && break; sleep 0.05; done
S audit verify >"$T/out" 2>&1 && pass "verify waits for another process's lock" ||
    fail "verify under another process's lock: $(cat "$T/out")"
wait "$LOCKER"

# Truncated below the saved head, audit.head rewritten to match (no key needed):
# only the head kept elsewhere tells.
n1=$(sed -n 's/^seq //p' "$T/head1")
rm -rf "$T/t" && cp -a "$H" "$T/t"
sqlite3 "$T/t/sertel.db" "DELETE FROM audit_log WHERE seq > $((n1 - 2)); DELETE FROM audit_checkpoint WHERE seq > $((n1 - 2))"
rm "$T/t/audit.head"
"$SERTEL" --home "$T/t" audit head --out "$T/t/audit.head" || fail "rewrite audit.head"
expect_exit 0 "without a witness the cut-off log looks intact" -- "$SERTEL" --home "$T/t" audit verify
expect_exit 1 "verify --against an older saved head after truncation" -- "$SERTEL" --home "$T/t" audit verify --against "$T/head1"
expect_grep "truncated: entries $((n1 - 1))\.\.$n1 are missing \(the witnessed head" "$T/out" "truncation named against the witness"

# Divergence: two copies of one home go different ways; a head of one is not extended by the other.
rm -rf "$T/t" && cp -a "$H" "$T/t"
make_csr ec-p256 "Pegawai 8" "$T/p8"
S cert issue --csr "$T/p8.csr" --profile document-signing >/dev/null || fail "issue 8"
"$SERTEL" --home "$T/t" cert issue --csr "$T/p7.csr" --profile document-signing >/dev/null || fail "issue in copy"
S audit head >"$T/headA"
expect_exit 1 "divergence from a witnessed head" -- "$SERTEL" --home "$T/t" audit verify --against "$T/headA"
expect_grep "differs from the witnessed head" "$T/out" "divergence named"
expect_exit 0 "the copy itself is intact" -- "$SERTEL" --home "$T/t" audit verify

# A head that does not verify with this home's audit key.
awk '/^signature /{c=substr($0,length($0)); $0=substr($0,1,length($0)-1) (c=="0"?"1":"0")} {print}' \
    "$T/head2" >"$T/head2.bad"
expect_exit 1 "a witnessed head with a bad signature" -- S audit verify --against "$T/head2.bad"
expect_grep "bad signature" "$T/out" "bad signature named"
new_home "$T/other"
"$SERTEL" --home "$T/other" audit head >"$T/head-other"
expect_exit 1 "a head of another CA" -- S audit verify --against "$T/head-other"
expect_grep "not made with this home's audit key" "$T/out" "another key named"
echo "not a head" >"$T/junk"
expect_exit 2 "--against a file that is not a head" -- S audit verify --against "$T/junk"
expect_grep "not a signed audit head" "$T/err" "says it is not a head"
expect_exit 2 "--against a missing file" -- S audit verify --against "$T/nonexistent"
expect_exit 2 "audit head --against is a usage error" -- S audit head --against "$T/head1"

# --- GET /audit/head ---------------------------------------------------------------
FUZZ=${SERTEL_BUILD:?run through ctest, which sets SERTEL_BUILD}/http_fuzz
PORT=$("$FUZZ" free-port)
start_serve srv "$H" --listen "127.0.0.1:$PORT" || exit 1
C() { timeout 30 curl -s "$@"; }
C -D "$T/hdr" -o "$T/http-head" "http://127.0.0.1:$PORT/audit/head"
S audit head >"$T/cli-head"
cmp -s "$T/http-head" "$T/cli-head" && pass "/audit/head equals 'audit head'" || fail "/audit/head differs: $(cat "$T/http-head")"
expect_grep "^HTTP/1.1 200" "$T/hdr" "/audit/head: 200"
expect_grep "^Cache-Control: no-store" "$T/hdr" "/audit/head: Cache-Control: no-store"
expect_grep "^Content-Type: text/plain" "$T/hdr" "/audit/head: text/plain"
# A new entry: the served head follows at once.
make_csr ec-p256 "Pegawai 9" "$T/p9"
S cert issue --csr "$T/p9.csr" --profile document-signing >/dev/null || fail "issue 9"
C -o "$T/http-head2" "http://127.0.0.1:$PORT/audit/head"
S audit head >"$T/cli-head2"
cmp -s "$T/http-head2" "$T/cli-head2" && ! cmp -s "$T/http-head" "$T/http-head2" &&
    pass "/audit/head is current after a new entry" || fail "/audit/head is stale"
C "http://127.0.0.1:$PORT/audit/head" | S audit verify --against - >/dev/null &&
    pass "the served head verifies with --against" || fail "served head does not verify"
[ "$(C -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/audit/head")" = 405 ] &&
    pass "/audit/head: POST is 405" || fail "/audit/head POST"

# --- read-only copies ------------------------------------------------------------------
# A copy taken while the server holds the database open: sertel.db-wal and -shm come along.
cp -a "$H" "$T/live"
[ -s "$T/live/sertel.db-wal" ] && pass "the live copy has a -wal file" || fail "no -wal in the live copy"
kill -TERM "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
cp -a "$H" "$T/ro"
[ ! -e "$T/ro/sertel.db-wal" ] && pass "the quiet copy has no -wal file" || fail "-wal in the quiet copy"
# ro_run DIR CMD...: CMD with DIR mounted read-only (a private mount namespace;
# as root permission bits do not stop writes). Exit 77 when that is unavailable.
ro_run() {
    local d=$1 u=""
    shift
    [ "$(id -u)" = 0 ] || u=-r
    unshare -m $u true 2>/dev/null || return 77
    unshare -m $u sh -c 'd=$1; shift; mount --bind -o ro "$d" "$d" && touch "$d/.w" 2>/dev/null && exit 78; exec "$@"' sh "$d" "$@"
}
ls -A "$T/ro" >"$T/ls.before"
ro_run "$T/ro" "$SERTEL" --home "$T/ro" audit verify >"$T/out" 2>"$T/err"
rc=$?
if [ $rc = 77 ]; then
    pass "read-only bind mount: unavailable here, skipped"
else
    [ $rc = 0 ] && pass "verify on a read-only mount of a quiet copy (exit 0)" || fail "read-only verify: exit $rc: $(cat "$T/err")"
    ls -A "$T/ro" | cmp -s - "$T/ls.before" && pass "nothing created in the read-only copy" || fail "files created"
    ro_run "$T/live" "$SERTEL" --home "$T/live" audit verify >"$T/out" 2>"$T/err"
    rc=$?
    [ $rc = 0 ] && pass "verify on a read-only mount of a live copy (-wal, -shm)" || fail "live read-only verify: exit $rc: $(cat "$T/err")"
    rm "$T/live/sertel.db-shm"
    ro_run "$T/live" "$SERTEL" --home "$T/live" audit verify >"$T/out" 2>"$T/err"
    rc=$?
    [ $rc = 2 ] && grep -q "sertel.db-wal holds transactions" "$T/err" &&
        pass "-wal without -shm on a read-only mount: refused, saying why" || fail "-wal without -shm: exit $rc: $(cat "$T/err")"
    rm "$T/ro/audit.head"
    ro_run "$T/ro" "$SERTEL" --home "$T/ro" audit verify >"$T/out" 2>"$T/err"
    rc=$?
    [ $rc = 1 ] && grep -q "audit.head is missing" "$T/out" &&
        pass "read-only: the missing head is still found" || fail "read-only missing head: exit $rc"
    cp -a "$H/audit.head" "$T/ro/audit.head"
fi
# Permission bits, as a user they bind: cp -a, chmod -R a-w.
if [ "$(id -u)" = 0 ]; then
    chmod 711 "$T"
    chown -R nobody "$T/ro" && chmod -R a-w "$T/ro"
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$SERTEL" --home "$T/ro" audit verify >"$T/out" 2>"$T/err"
    rc=$?
    chmod 700 "$T"
else
    chmod -R a-w "$T/ro"
    "$SERTEL" --home "$T/ro" audit verify >"$T/out" 2>"$T/err"
    rc=$?
fi
[ $rc = 0 ] && pass "verify on a copy without write permission, as its non-root owner" || fail "chmod a-w copy: exit $rc: $(cat "$T/err")"
ls -A "$T/ro" | cmp -s - "$T/ls.before" && pass "nothing created in the unwritable copy" || fail "files created in the unwritable copy"
chmod -R u+w "$T/ro"

# --- stale temporary files ------------------------------------------------------------------
touch -d '2 hours ago' "$H/audit.head.tmp-AbC123" "$H/certs/root.pem.tmp-XyZ789"
touch "$H/audit.head.tmp-Fresh1"
S cert list >/dev/null
[ -e "$H/audit.head.tmp-AbC123" ] && pass "a read-only command leaves them" || fail "a read-only command removed files"
make_csr ec-p256 "Pegawai 10" "$T/p10"
S cert issue --csr "$T/p10.csr" --profile document-signing >/dev/null || fail "issue 10"
[ ! -e "$H/audit.head.tmp-AbC123" ] && [ ! -e "$H/certs/root.pem.tmp-XyZ789" ] &&
    pass "stale temporary files removed when the home opens for writing" || fail "stale temporary files remain"
[ -e "$H/audit.head.tmp-Fresh1" ] && pass "a fresh one (a write perhaps in progress) stays" || fail "a fresh temporary file was removed"
rm -f "$H/audit.head.tmp-Fresh1"
expect_exit 0 "the log is intact after all this" -- S audit verify
finish
