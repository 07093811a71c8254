#!/bin/bash
# End-to-end: bytes of copies of a home's sertel.db overwritten with dd at
# several places (the header, an interior page of certificates, a leaf of a
# small table, a leaf of the large certificates table); the pages are found
# with sqlite3's dbstat. Every write is then refused with the restore step,
# also by later commands (the sertel.db-damaged flag), while an undamaged
# copy goes on working.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 missing"; exit 77; }

H=$T/home
new_home "$H"
make_csr ec-p256 "Budi Santoso" "$T/budi"
"$SERTEL" --home "$H" cert issue --csr "$T/budi.csr" --profile document-signing >/dev/null || fail "issue"
# 4000 more certificate rows (~1 KB each): interior pages below the root, and more pages
# than the cheap check reads in full (1024).
sqlite3 "$H/sertel.db" "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000)
  INSERT INTO certificates (serial, issuer, profile, subject, email, not_before, not_after, status,
  sha256, der, created_at) SELECT lower(hex(randomblob(16))), 'issuing', 'document-signing',
  'CN=Pegawai ' || x, 'p' || x || '@contoh.go.id', 0, 1, 'valid', lower(hex(randomblob(32))),
  randomblob(1000), x FROM c; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
expect_exit 0 "store check on the intact home" -- "$SERTEL" --home "$H" store check
expect_exit 0 "store check --full on the intact home" -- "$SERTEL" --home "$H" store check --full

page() { # page TABLE internal|leaf N: the Nth such page below the root (sqlite3 dbstat)
    sqlite3 "$H/sertel.db" "SELECT pageno FROM dbstat WHERE name = '$1' AND pagetype = '$2'
      AND path <> '/' ORDER BY pageno LIMIT 1 OFFSET $3"
}
# damaged NAME OFFSET HEXBYTES: a copy of the home with the bytes written at OFFSET by dd.
damaged() {
    rm -rf "$T/$1"
    cp -a "$H" "$T/$1"
    printf "$3" | dd of="$T/$1/sertel.db" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
refused() { # refused HOME DESCRIPTION
    make_csr ec-p256 "Siti Rahayu" "$T/siti"
    expect_exit 2 "$2: a write (cert issue) is refused" -- "$SERTEL" --home "$1" cert issue --csr "$T/siti.csr" --profile document-signing
    expect_grep "damaged" "$T/err" "$2: the message says the database is damaged"
    expect_grep "sertel restore --from" "$T/err" "$2: the message names sertel restore"
    expect_grep "\.recover" "$T/err" "$2: the message names sqlite3 .recover"
    [ -f "$1/sertel.db-damaged" ] && pass "$2: the damage is recorded beside the database" || fail "$2: no damage flag"
    expect_exit 2 "$2: a later write is refused too" -- "$SERTEL" --home "$1" agency add --name "Dinas" --domain dinas.go.id
    expect_grep "sertel restore --from" "$T/err" "$2: the later refusal names the restore step"
    expect_exit 1 "$2: store check says damaged (exit 1)" -- "$SERTEL" --home "$1" store check
}

PI=$(page certificates internal 0)
[ -n "$PI" ] && pass "certificates has an interior page below its root ($PI)" || fail "no interior page"
damaged header 36 '\x00\x00\x00\x05'                          # the header's free-page count
refused "$T/header" "header (free-page count)"
damaged interior $(((PI - 1) * 4096)) '\x0d'                  # interior page turned into a leaf
refused "$T/interior" "interior page $PI of certificates"
damaged interior2 $(((PI - 1) * 4096 + 12)) '\xff\xff\xff\xff' # its cell pointers
refused "$T/interior2" "cell pointers of interior page $PI"
PA=$(sqlite3 "$H/sertel.db" "SELECT rootpage FROM sqlite_schema WHERE name = 'audit_checkpoint'")
damaged small $(((PA - 1) * 4096 + 3)) '\x7f\x7f'              # cell count of a small table's page
refused "$T/small" "leaf page $PA of audit_checkpoint (a small table, checked in full)"

# A leaf of the large table: not read by the cheap check (store.h says so), noticed by the
# first command that reads it, and from then on every write is refused.
PL=$(page certificates leaf 300)
damaged leaf $(((PL - 1) * 4096 + 3)) '\x7f\x7f'
expect_exit 0 "leaf $PL of certificates: the cheap check does not read it" -- "$SERTEL" --home "$T/leaf" store check
expect_exit 2 "leaf $PL of certificates: cert list reads it and fails" -- "$SERTEL" --home "$T/leaf" cert list
expect_grep "sertel restore --from" "$T/err" "cert list names the restore step"
refused "$T/leaf" "leaf page $PL of certificates, once read"
damaged leaf2 $(((PL - 1) * 4096 + 3)) '\x7f\x7f'
expect_exit 1 "leaf $PL of certificates: store check --full finds it" -- "$SERTEL" --home "$T/leaf2" store check --full
refused "$T/leaf2" "leaf page $PL of certificates, found by --full"

# The undamaged home still works.
make_csr ec-p256 "Dewi Lestari" "$T/dewi"
expect_exit 0 "the undamaged home still issues" -- "$SERTEL" --home "$H" cert issue --csr "$T/dewi.csr" --profile document-signing
expect_exit 0 "and its audit log verifies" -- "$SERTEL" --home "$H" audit verify
[ ! -e "$H/sertel.db-damaged" ] && pass "no damage flag on the undamaged home" || fail "flag on the undamaged home"

finish
