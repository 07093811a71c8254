#!/bin/bash
# compare.sh - the project's benchmarks for this tree and an older revision
# in ONE run, interleaved (old, new, old, new, ...), each figure the median
# of its rounds, reported as new / old. The machines are shared and noisy:
# only such a ratio counts (docs/benchmarks.md). Not a test.
#
#   issuance        bench_issue: certificates/s, durable, batches of 256, 1 thread
#   authorization   bench_lifecycle: one passphrase check (Argon2id at the
#                   shipped default, decryption, status, audited outcome), ms
#   lifecycle       bench_lifecycle: register -> issued, people/s
#   sign in-process bench_pdfsign: PAdES B-B signatures/s, 100 KB, 1 thread
#   sign per process  `sertel sign --p12` B-B, one process each, signatures/s
#   verify per process  `sertel verify --trust` of a signed 107 KB PDF, one
#                   process each, validations/s
#
# Usage: bench/compare.sh OLD_REV [ROUNDS]   (default ROUNDS 5)
# Builds OLD_REV in a temporary worktree and this tree in build-bench/
# (Release, no tests, no failure injection).
set -eu
cd "$(dirname "$0")/.."
OLD=${1:?usage: bench/compare.sh OLD_REV [ROUNDS]}
ROUNDS=${2:-5}
W=$(mktemp -d /var/tmp/sertel-compare-XXXXXX)
cleanup() {
    git worktree remove --force "$W/old-src" >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT

build() { # SRC BUILD
    cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release -DSERTEL_TESTS=OFF \
        -DSERTEL_FAULT_INJECTION=OFF >/dev/null
    cmake --build "$2" -j"$(nproc)" --target sertel bench_issue bench_lifecycle bench_pdfsign >/dev/null
}
git worktree add --detach "$W/old-src" "$OLD" >/dev/null 2>&1
build "$W/old-src" "$W/old"
build . "$PWD/build-bench"
NEW=$PWD/build-bench
DATA=$PWD/tests/data

# Inputs shared by both: a P-256 signer, a small PDF, the same PDF signed.
S=$NEW/sertel
"$S" --home "$W/h" init </dev/null >/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/k.pem" 2>/dev/null
openssl req -new -key "$W/k.pem" -subj "/C=ID/O=B/CN=Bench" -addext "subjectAltName=email:b@b.id" \
    -out "$W/r.csr" 2>/dev/null
"$S" --home "$W/h" cert issue --csr "$W/r.csr" --profile document-signing >"$W/c.pem"
"$S" --home "$W/h" ca export --issuing >"$W/i.pem"
"$S" --home "$W/h" ca export --root >"$W/root.pem"
openssl pkcs12 -export -inkey "$W/k.pem" -in "$W/c.pem" -certfile "$W/i.pem" -passout pass:bench1234 \
    -out "$W/s.p12"
echo bench1234 >"$W/pw"
python3 - "$W/in.pdf" <<'PY'
import sys
body = b"".join(b"%" * 63 + b"\n" for _ in range(1600))   # ~100 KB inert content stream
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"]
out, offs = bytearray(b"%PDF-1.7\n"), []
for i, o in enumerate(objs, 1):
    offs.append(len(out)); out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
x = len(out)
out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offs)
out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % x
open(sys.argv[1], "wb").write(out)
PY
"$S" sign --p12 "$W/s.p12" --p12-password-file "$W/pw" "$W/in.pdf" "$W/signed.pdf" >/dev/null

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", n / (b - a) }'; }

measure() { # BUILD_DIR -> "issue auth lifecycle insign persign perverify"
    local B=$1 t0 t1 i issue auth life insign persign perverify out
    mkdir -p "$W/iss-$RANDOM$RANDOM" # the home is made inside an existing directory
    out=$("$B/bench_issue" --count 3000 --batch 256 --threads 1 --dir "$(ls -d "$W"/iss-* | tail -1)" 2>/dev/null)
    issue=$(echo "$out" | awk '/count=3000 .*threads=1/ { v = $(NF-3) } END { print v }')
    rm -rf "$W"/iss-*
    out=$("$B/bench_lifecycle" "$DATA" --people 6 2>/dev/null)
    auth=$(echo "$out" | awk '/passphrase check/ && /65536/ { for (i = 1; i <= NF; i++) if ($i == "ms") v = $(i-1) } END { print v }')
    life=$(echo "$out" | awk '/full lifecycle/ && /65536/ { for (i = 1; i <= NF; i++) if ($i == "people/s") v = $(i-1) } END { print v }')
    insign=$("$B/bench_pdfsign" 2000 2>/dev/null | awk '/1 thread/ { print $(NF-1) }')
    t0=$(now)
    for i in $(seq 30); do "$B/sertel" sign --p12 "$W/s.p12" --p12-password-file "$W/pw" "$W/in.pdf" "$W/o.pdf" >/dev/null; done
    t1=$(now)
    persign=$(rate 30 "$t0" "$t1")
    t0=$(now)
    for i in $(seq 50); do "$B/sertel" verify --offline --trust "$W/root.pem" "$W/signed.pdf" >/dev/null || true; done
    t1=$(now)
    perverify=$(rate 50 "$t0" "$t1")
    echo "$issue $auth $life $insign $persign $perverify"
}

echo "old: $OLD ($(git rev-parse --short "$OLD"))   new: $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes')"
echo "machine: $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds, interleaved"
: >"$W/old.txt"
: >"$W/new.txt"
for r in $(seq "$ROUNDS"); do
    measure "$W/old" >>"$W/old.txt"
    measure "$NEW" >>"$W/new.txt"
    echo "round $r: old $(tail -1 "$W/old.txt") | new $(tail -1 "$W/new.txt")"
done
python3 - "$W/old.txt" "$W/new.txt" <<'PY'
import statistics, sys
names = [("issuance, certificates/s", 1), ("authorization, ms (lower is better)", -1),
         ("full lifecycle, people/s", 1), ("sign in-process, signatures/s", 1),
         ("sign per process, signatures/s", 1), ("verify per process, validations/s", 1)]
rows = [[list(map(float, l.split())) for l in open(f) if l.strip()] for f in sys.argv[1:3]]
print("%-38s %10s %10s %8s" % ("median of rounds", "old", "new", "new/old"))
for i, (n, better) in enumerate(names):
    o = statistics.median(r[i] for r in rows[0]); w = statistics.median(r[i] for r in rows[1])
    print("%-38s %10.2f %10.2f %8.3f" % (n, o, w, w / o))
PY
