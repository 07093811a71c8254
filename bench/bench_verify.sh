#!/bin/bash
# bench_verify.sh - validations per second of a signed ~100 KB PDF, a
# signed ~50 MB PDF and the same 50 MB PDF signed 20 times (20 revisions,
# each signature's changes analysed), offline, `sertel verify` next to
# poppler's `pdfsig` on the same files in the same run (one process per
# validation for both). With BASE_BUILD_DIR, that build's sertel (an older
# revision) is measured on the same files too, interleaved with this one
# (ROUNDS rounds of new, old, pdfsig; the median of each): the ratio
# new / old is what docs/benchmarks.md records. Not a test.
#
# Usage: bench/bench_verify.sh [BUILD_DIR] [N] [BASE_BUILD_DIR] [ROUNDS]
#        (defaults: build, 50, none, 3; the 20-signature file runs N/10 times)
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
N=${2:-50}
BASE=${3:-}
ROUNDS=${4:-3}
S=$(cd "$B" && pwd)/sertel
O=
[ -n "$BASE" ] && O=$(cd "$BASE" && pwd)/sertel
[ -x "$S" ] || { echo "build first: cmake --build $B" >&2; exit 2; }
[ -z "$O" ] || [ -x "$O" ] || { echo "no sertel in $BASE" >&2; exit 2; }
W=$(mktemp -d /var/tmp/sertel-bench-verify-XXXXXX)
trap 'rm -rf "$W"' EXIT

"$S" --home "$W/h" init </dev/null >/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/k.pem" 2>/dev/null
openssl req -new -key "$W/k.pem" -subj "/C=ID/O=sertel Demo/CN=Bench Signer" \
    -addext "subjectAltName=email:bench@contoh.go.id" -out "$W/r.csr"
"$S" --home "$W/h" cert issue --csr "$W/r.csr" --profile document-signing >"$W/c.pem"
"$S" --home "$W/h" ca export --issuing >"$W/i.pem"
"$S" --home "$W/h" ca export --root >"$W/root.pem"
openssl pkcs12 -export -inkey "$W/k.pem" -in "$W/c.pem" -certfile "$W/i.pem" -passout pass:bench1234 -out "$W/s.p12"
echo bench1234 >"$W/pw"
mkdir "$W/nss"
certutil -N -d "sql:$W/nss" --empty-password
certutil -A -d "sql:$W/nss" -n root -t "CT,C,C" -i "$W/root.pem"

# Unsigned inputs of ~100 KB and ~50 MB: one page with an image stream.
for spec in small:102400 large:52428800; do
    name=${spec%%:*}
    size=${spec#*:}
    python3 - "$W/$name.pdf" "$size" <<'PY'
import sys
out = open(sys.argv[1], 'wb'); size = int(sys.argv[2]); offs = {}
out.write(b'%PDF-1.7\n')
def obj(n, body):
    offs[n] = out.tell(); out.write(b'%d 0 obj\n' % n + body + b'\nendobj\n')
obj(1, b'<< /Type /Catalog /Pages 2 0 R >>')
obj(2, b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>')
obj(3, b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << /Im 5 0 R >> >> >>')
obj(4, b'<< /Length 30 >>\nstream\nq 100 0 0 100 50 600 cm /Im Do Q\nendstream')
w = 1024; h = max(1, size // w); offs[5] = out.tell()
out.write(b'5 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n' % (w, h, w * h))
chunk = bytes(range(256)) * 4096; left = w * h
while left > 0:
    n = min(left, len(chunk)); out.write(chunk[:n]); left -= n
out.write(b'\nendstream\nendobj\n'); x = out.tell()
out.write(b'xref\n0 6\n0000000000 65535 f \n')
for i in range(1, 6): out.write(b'%010d 00000 n \n' % offs[i])
out.write(b'trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % x)
PY
    "$S" sign --p12 "$W/s.p12" --p12-password-file "$W/pw" "$W/$name.pdf" "$W/$name-signed.pdf" >/dev/null
done

# The 50 MB PDF signed 19 more times: 20 signatures, 20 revisions.
cp "$W/large-signed.pdf" "$W/large20-signed.pdf"
for i in $(seq 2 20); do
    "$S" sign --p12 "$W/s.p12" --p12-password-file "$W/pw" "$W/large20-signed.pdf" "$W/t.pdf" >/dev/null
    mv "$W/t.pdf" "$W/large20-signed.pdf"
done

rate() { # count command... -> validations/s
    local n=$1 start end
    shift
    start=$(date +%s.%N)
    for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 || true; done
    end=$(date +%s.%N)
    awk -v n="$n" -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", n / (e - s) }'
}
median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
show() { # label rate
    awk -v l="$1" -v r="$2" 'BEGIN { printf "%-44s %8.2f validations/s (%.1f ms each)\n", l, r, 1000 / r }'
}
for name in small large large20; do
    n=$N
    [ "$name" = large20 ] && n=$(( N / 10 > 3 ? N / 10 : 3 ))
    sz=$(stat -c %s "$W/$name-signed.pdf")
    echo "== $name: $sz bytes, $(grep -c '/ByteRange' "$W/$name-signed.pdf") signatures, $n validations a round, $ROUNDS rounds"
    "$S" --home "$W/h" verify --offline "$W/$name-signed.pdf" >"$W/v.txt" 2>&1 || true
    grep -m1 -E "Kesimpulan|conclusion" "$W/v.txt" || true
    pdfsig -nssdir "sql:$W/nss" -no-ocsp "$W/$name-signed.pdf" 2>&1 | grep -m1 -E "Signature Validation" || true
    home="" trust="" old="" pdf=""
    for _ in $(seq 1 "$ROUNDS"); do
        home="$home $(rate "$n" "$S" --home "$W/h" verify --offline "$W/$name-signed.pdf")"
        trust="$trust $(rate "$n" "$S" --home "$W/none" verify --offline --trust "$W/root.pem" "$W/$name-signed.pdf")"
        [ -n "$O" ] && old="$old $(rate "$n" "$O" --home "$W/none" verify --offline --trust "$W/root.pem" "$W/$name-signed.pdf")"
        pdf="$pdf $(rate "$n" pdfsig -nssdir "sql:$W/nss" -no-ocsp "$W/$name-signed.pdf")"
    done
    home=$(echo $home | median) trust=$(echo $trust | median) pdf=$(echo $pdf | median)
    show "sertel verify --offline (trusted home root)" "$home"
    show "sertel verify --offline --trust root.pem" "$trust"
    if [ -n "$O" ]; then
        old=$(echo $old | median)
        show "older sertel ($BASE) --trust root.pem" "$old"
        awk -v a="$trust" -v b="$old" 'BEGIN { printf "%-44s %8.2fx\n", "this sertel / older sertel", a / b }'
    fi
    show "pdfsig -no-ocsp (NSS db with the root)" "$pdf"
    awk -v a="$trust" -v b="$pdf" 'BEGIN { printf "%-44s %8.2fx\n", "this sertel / pdfsig", a / b }'
done
