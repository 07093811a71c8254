#!/bin/sh
# bench_store_check.sh - the damage check on a store with COUNT certificates
# (default 1,000,000: ~1 KB of DER each, with their audit entries), next to
# PRAGMA quick_check on the same file in the same run. The rows are written
# with sqlite3 straight into a home made by `sertel init` (the real schema
# and indexes). Results go to stdout; copy them into docs/benchmarks.md.
#
# Usage: bench/bench_store_check.sh [COUNT]
set -eu
cd "$(dirname "$0")/.."
COUNT=${1:-1000000}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DSERTEL_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" --target sertel bench_store_check >/dev/null

W=$(mktemp -d /var/tmp/sertel-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT
printf 'correct horse battery staple\n' >"$W/pw"
./build-bench/sertel --home "$W/home" init --admin-password-file "$W/pw" </dev/null >/dev/null
DB=$W/home/sertel.db

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "sqlite:  $(sqlite3 --version | cut -d' ' -f1)"
echo "disk:    $(df -h /var/tmp | tail -1 | awk '{print $1, $2}')"
start=$(date +%s)
sqlite3 "$DB" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $COUNT)
INSERT INTO certificates (serial, issuer, profile, subject, email, not_before, not_after, status,
                          sha256, der, created_at, account_id)
SELECT lower(hex(randomblob(16))), 'issuing', 'document-signing',
       'CN=Pegawai ' || x || ',OU=Biro Umum,O=Kementerian Contoh,C=ID',
       'pegawai' || x || '@contoh.go.id', 1700000000 + x, 1763072000 + x, 'valid',
       lower(hex(randomblob(32))), randomblob(1000 + abs(random() % 200)), 1700000000 + x, NULL
FROM c;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $COUNT)
INSERT INTO audit_log (seq, ts, actor, event, object, details, prev_hash, hash)
SELECT 1000 + x, 1700000000 + x, 'verif@contoh.go.id', 'cert.issued', lower(hex(randomblob(16))),
       '{"profile":"document-signing","sha256":"' || lower(hex(randomblob(32))) || '","subject":"CN=Pegawai ' || x || '"}',
       randomblob(32), randomblob(32)
FROM c;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
echo "store:   $COUNT certificates and audit entries, $(du -h "$DB" | cut -f1) (built in $(($(date +%s) - start)) s)"
echo
./build-bench/bench_store_check "$DB" 9
