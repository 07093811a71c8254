#!/bin/sh
# bench_store_check.sh - the damage check on a store with COUNT certificates
# (default 1,000,000: ~1 KB of DER each, with their audit entries), next to
# PRAGMA quick_check on the same file in the same run. The rows are written
# with sqlite3 straight into a home made by `sertel init` (the real schema
# and indexes). Results go to stdout; copy them into docs/benchmarks.md.
#
# With BASE=REV, the check as revision REV builds it runs on the same file
# too, ROUNDS times in turn with this tree's (BASE's figures are its own
# library's store_check); NO_QUICK_CHECK=1 leaves out PRAGMA quick_check.
#
# Usage: [BASE=REV] [ROUNDS=3] [NO_QUICK_CHECK=1] bench/bench_store_check.sh [COUNT]
set -eu
cd "$(dirname "$0")/.."
COUNT=${1:-1000000}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DSERTEL_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" --target sertel bench_store_check >/dev/null

W=$(mktemp -d /var/tmp/sertel-bench-XXXXXX)
cleanup() {
    [ -n "${BASE:-}" ] && git worktree remove --force "$W/base-src" >/dev/null 2>&1
    rm -rf "$W"
}
trap cleanup EXIT
if [ -n "${BASE:-}" ]; then
    git worktree add -q --detach "$W/base-src" "$BASE"
    cmake -S "$W/base-src" -B "$W/base-build" -DCMAKE_BUILD_TYPE=Release -DSERTEL_TESTS=OFF >/dev/null
    cmake --build "$W/base-build" -j"$(nproc)" --target bench_store_check >/dev/null
fi
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
if [ -z "${BASE:-}" ]; then
    ./build-bench/bench_store_check "$DB" 9
else
    for r in $(seq 1 "${ROUNDS:-3}"); do
        echo "== round $r: this tree"
        NO_QUICK_CHECK=1 ./build-bench/bench_store_check "$DB" 9 | grep store_check
        echo "== round $r: $BASE"
        NO_QUICK_CHECK=1 "$W/base-build/bench_store_check" "$DB" 9 | grep store_check
    done
    [ -n "${NO_QUICK_CHECK:-}" ] || ./build-bench/bench_store_check "$DB" 1 | grep quick_check
fi
