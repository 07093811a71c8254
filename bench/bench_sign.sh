#!/bin/bash
# bench_sign.sh - PDF signing: wall time and peak memory (RSS) for a 1 GiB
# PDF (issue target: under 64 MiB), and signatures per second on a small
# one-page PDF, PAdES B-B with a P-256 PKCS#12 signer. Not a test.
#
# Usage: bench/bench_sign.sh [BUILD_DIR]   (default: build)
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
S=$PWD/$B/sertel
[ -x "$S" ] || { echo "build first: cmake --build $B" >&2; exit 2; }
W=$(mktemp -d /var/tmp/sertel-bench-sign-XXXXXX)
trap 'rm -rf "$W"' EXIT

# A signer from a fresh home.
"$S" --home "$W/h" init </dev/null >/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/k.pem" 2>/dev/null
openssl req -new -key "$W/k.pem" -subj "/C=ID/O=sertel Demo/CN=Bench Signer" \
    -addext "subjectAltName=email:bench@contoh.go.id" -out "$W/r.csr"
"$S" --home "$W/h" cert issue --csr "$W/r.csr" --profile document-signing >"$W/c.pem"
"$S" --home "$W/h" ca export --issuing >"$W/i.pem"
openssl pkcs12 -export -inkey "$W/k.pem" -in "$W/c.pem" -certfile "$W/i.pem" -passout pass:bench1234 -out "$W/s.p12"
echo bench1234 >"$W/pw"

# A valid 1 GiB PDF: one page showing a 1 GiB uncompressed image.
python3 - "$W/big.pdf" <<'PY'
import sys
out = open(sys.argv[1], 'wb'); offs = {}
out.write(b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')
def obj(n, body):
    offs[n] = out.tell(); out.write(b'%d 0 obj\n' % n + body + b'\nendobj\n')
obj(1, b'<< /Type /Catalog /Pages 2 0 R >>')
obj(2, b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>')
obj(3, b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << /Im 5 0 R >> >> >>')
obj(4, b'<< /Length 30 >>\nstream\nq 100 0 0 100 50 600 cm /Im Do Q\nendstream')
w = 32768; h = (1 << 30) // w; offs[5] = out.tell()
out.write(b'5 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n' % (w, h, w * h))
chunk = bytes(range(256)) * 4096; left = w * h
while left > 0:
    n = min(left, len(chunk)); out.write(chunk[:n]); left -= n
out.write(b'\nendstream\nendobj\n'); x = out.tell()
out.write(b'xref\n0 6\n0000000000 65535 f \n')
for i in range(1, 6): out.write(b'%010d 00000 n \n' % offs[i])
out.write(b'trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % x)
PY
sync
echo "== 1 GiB PDF ($(stat -c %s "$W/big.pdf") bytes), PAdES B-B"
cat "$W/big.pdf" >/dev/null # same page-cache state for both
/usr/bin/time -f "sha256sum of the same file: wall %e s" sha256sum "$W/big.pdf" >/dev/null
/usr/bin/time -f "sertel sign: wall %e s, peak RSS %M KiB" "$S" sign --p12 "$W/s.p12" --p12-password-file "$W/pw" "$W/big.pdf" "$W/big-signed.pdf"
rm -f "$W/big.pdf" "$W/big-signed.pdf"

echo "== in-process signatures/s on a 100 KB PDF (bench_pdfsign, output on tmpfs)"
if [ -x "$B/bench_pdfsign" ]; then "$B/bench_pdfsign" 4000; else echo "(build it: cmake --build $B --target bench_pdfsign)"; fi
echo "== openssl speed ecdsap256 (raw sign rate, 1 core)"
openssl speed -seconds 3 ecdsap256 2>/dev/null | tail -1

echo "== one-page PDF ($(stat -c %s tests/data/letter.pdf) bytes), 200 signatures, one process each"
start=$(date +%s.%N)
for i in $(seq 1 200); do
    "$S" sign --p12 "$W/s.p12" --p12-password-file "$W/pw" tests/data/letter.pdf "$W/o.pdf" >/dev/null
done
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f signatures/s (%.2f ms each, process start included)\n", 200 / (e - s), (e - s) * 5 }'
