#!/bin/bash
# bench_verify.sh - validations per second of a signed ~100 KB PDF and a
# signed ~50 MB PDF, offline, `sertel verify` next to poppler's `pdfsig` on
# the same files in the same run (one process per validation for both),
# `sertel verify` with the sandboxed worker (the default) and with
# --in-process; then bench_sandbox, the sandbox's cost per validation in
# one long-running process (as in `sertel serve`). Not a test.
#
# Usage: bench/bench_verify.sh [BUILD_DIR] [N]   (defaults: build, 50)
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
N=${2:-50}
S=$PWD/$B/sertel
[ -x "$S" ] || { echo "build first: cmake --build $B" >&2; exit 2; }
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

rate() { # label count command...: wall clock and CPU (user + system, the process and its children)
    local label=$1 n=$2 t
    shift 2
    t=$( { TIMEFORMAT='%3R %3U %3S'; time (for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 || true; done); } 2>&1 )
    awk -v l="$label" -v n="$n" -v t="$t" 'BEGIN { split(t, a, " "); printf "%-44s %8.1f validations/s (%.1f ms each, CPU %.1f ms)\n", l, n / a[1], a[1] * 1000 / n, (a[2] + a[3]) * 1000 / n }'
}
for name in small large; do
    sz=$(stat -c %s "$W/$name-signed.pdf")
    echo "== $name: $sz bytes"
    "$S" --home "$W/h" verify --offline "$W/$name-signed.pdf" >"$W/v.txt" 2>&1 || true
    grep -m1 -E "Kesimpulan|conclusion" "$W/v.txt" || true
    pdfsig -nssdir "sql:$W/nss" -no-ocsp "$W/$name-signed.pdf" 2>&1 | grep -E "Signature Validation" || true
    rate "sertel verify --offline (trusted home root)" "$N" "$S" --home "$W/h" verify --offline "$W/$name-signed.pdf"
    rate "sertel verify --offline --trust root.pem" "$N" "$S" --home "$W/none" verify --offline --trust "$W/root.pem" "$W/$name-signed.pdf"
    rate "sertel verify --offline --in-process" "$N" "$S" --home "$W/none" verify --offline --in-process --trust "$W/root.pem" "$W/$name-signed.pdf"
    rate "pdfsig -no-ocsp (NSS db with the root)" "$N" pdfsig -nssdir "sql:$W/nss" -no-ocsp "$W/$name-signed.pdf"
done

# The sandbox in a long-running process: the worker image is started once.
if cmake --build "$B" --target bench_sandbox >/dev/null 2>&1; then
    for name in small large; do
        echo "== bench_sandbox, $name"
        "$B/bench_sandbox" "$W/$name-signed.pdf" "$W/root.pem" 15 $([ "$name" = small ] && echo 20 || echo 3)
    done
else
    echo "bench_sandbox did not build: cmake --build $B --target bench_sandbox"
fi
