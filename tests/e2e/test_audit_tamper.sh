#!/bin/bash
# End-to-end: `sertel audit verify` detects and names altered, removed,
# reordered and truncated entries (exit 1), and passes an intact log (exit 0).
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
finish
