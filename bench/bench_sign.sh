#!/bin/bash
# bench_sign.sh - PDF signing: wall time and peak memory (RSS) for a 1 GiB
# PDF (issue target: under 64 MiB), and signatures per second on a small
# one-page PDF, PAdES B-B with a P-256 PKCS#12 signer, next to poppler's
# pdfsig -add-signature on the same file in the same run. Not a test.
#
# Usage: bench/bench_sign.sh [BUILD_DIR]   (default: build)
# Environment: BENCH_SKIP_BIG=1 skips the 1 GiB file.
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
openssl req -new -key "$W/k.pem" -subj "/C=ID/O=B/CN=Bench" \
    -addext "subjectAltName=email:b@b.id" -out "$W/r.csr"
"$S" --home "$W/h" cert issue --csr "$W/r.csr" --profile document-signing >"$W/c.pem"
"$S" --home "$W/h" ca export --issuing >"$W/i.pem"
openssl pkcs12 -export -inkey "$W/k.pem" -in "$W/c.pem" -certfile "$W/i.pem" -passout pass:bench1234 -out "$W/s.p12"
echo bench1234 >"$W/pw"

# poppler's signer needs the key in an NSS database. poppler 22.12 reserves a
# fixed /Contents space and fails now and then ("unable update signature"),
# more often with the chain in the PKCS#12: it gets the bare key and
# certificate, and its failed runs are counted.
nick=
if command -v pdfsig >/dev/null && command -v pk12util >/dev/null; then
    mkdir "$W/nss"
    certutil -N -d "sql:$W/nss" --empty-password
    openssl pkcs12 -export -inkey "$W/k.pem" -in "$W/c.pem" -passout pass:bench1234 -out "$W/bare.p12"
    pk12util -i "$W/bare.p12" -d "sql:$W/nss" -W bench1234 >/dev/null 2>&1
    nick=$(certutil -L -d "sql:$W/nss" | awk '/u,u,u/ { $NF = ""; sub(/ +$/, ""); print; exit }')
fi

if [ "${BENCH_SKIP_BIG:-0}" != 1 ]; then
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
rm -f "$W/big-signed.pdf"
if [ -n "$nick" ]; then
    # Up to three tries (poppler's signer fails now and then); each is reported.
    for i in 1 2 3; do
        rm -f "$W/big-signed.pdf"
        /usr/bin/time -f "poppler pdfsig -add-signature, try $i: wall %e s, peak RSS %M KiB, exit %x" \
            pdfsig -add-signature -nssdir "sql:$W/nss" -nick "$nick" "$W/big.pdf" "$W/big-signed.pdf" \
            2>&1 | grep -v -e NSS_Shutdown -e '^Command exited' || true
        v=$(pdfsig -nssdir "sql:$W/nss" -no-ocsp "$W/big-signed.pdf" 2>&1 | grep -m1 'Signature Validation' | sed 's/^ *- //')
        echo "  its verdict on its output: ${v:-no signature}"
        case $v in *"is Valid"*) break ;; esac
    done
fi
rm -f "$W/big.pdf" "$W/big-signed.pdf"
fi

echo "== in-process signatures/s on a 100 KB PDF (bench_pdfsign, output on tmpfs)"
if [ -x "$B/bench_pdfsign" ]; then "$B/bench_pdfsign" 4000; else echo "(build it: cmake --build $B --target bench_pdfsign)"; fi
echo "== openssl speed ecdsap256 (raw sign rate, 1 core)"
openssl speed -seconds 3 ecdsap256 2>/dev/null | tail -1

# The same ~100 KB one-page PDF as bench_pdfsign (an inert content stream of comments).
python3 - "$W/small.pdf" <<'PY2'
import sys
f = open(sys.argv[1], 'wb'); offs = {}
f.write(b'%PDF-1.7\n')
def obj(n, body):
    offs[n] = f.tell(); f.write(b'%d 0 obj\n' % n + body + b'\nendobj\n')
obj(1, b'<< /Type /Catalog /Pages 2 0 R >>')
obj(2, b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>')
obj(3, b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>')
n = 100 * 1024
body = bytes(b'\n'[0] if i % 64 == 63 else b'%'[0] for i in range(n))
obj(4, b'<< /Length %d >>\nstream\n' % n + body + b'\nendstream')
x = f.tell(); f.write(b'xref\n0 5\n0000000000 65535 f \n')
for i in range(1, 5): f.write(b'%010d 00000 n \n' % offs[i])
f.write(b'trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % x)
PY2

# Process-per-signature rate of a command over N runs, from the time of the
# runs that succeeded (failed runs are counted and reported, not hidden):
# rate LABEL N CMD...
rate() {
    local label=$1 n=$2 i t0 t1 ok=0 bad=0 tot=0
    shift 2
    for i in $(seq 1 "$n"); do
        t0=$(date +%s%N)
        if "$@" >/dev/null 2>&1; then
            t1=$(date +%s%N)
            ok=$((ok + 1))
            tot=$((tot + t1 - t0))
        else
            bad=$((bad + 1))
        fi
    done
    awk -v t="$tot" -v ok="$ok" -v n="$n" -v l="$label" -v b="$bad" 'BEGIN {
        if (ok == 0) { printf "%-44s every run failed\n", l; exit }
        printf "%-44s %7.1f signatures/s (%.2f ms each), %d of %d runs failed\n",
            l, ok * 1e9 / t, t / 1e6 / ok, b, n }'
}

N=200
echo "== $(stat -c %s "$W/small.pdf")-byte PDF, $N signatures, one process each (process start included)"
if [ -n "$nick" ]; then
    for i in 1 2 3; do
        rm -f "$W/p.pdf"
        pdfsig -add-signature -nssdir "sql:$W/nss" -nick "$nick" "$W/small.pdf" "$W/p.pdf" >/dev/null 2>&1 && break
    done
    if [ -s "$W/p.pdf" ]; then
        rate "poppler pdfsig -add-signature (NSS, P-256)" "$N" \
            pdfsig -add-signature -nssdir "sql:$W/nss" -nick "$nick" "$W/small.pdf" "$W/p.pdf"
        echo "  pdfsig's verdict on its own output: $(pdfsig -nssdir "sql:$W/nss" -no-ocsp "$W/p.pdf" 2>&1 | grep -m1 'Signature Validation' | sed 's/^ *//')"
    else
        echo "poppler pdfsig -add-signature: produced no file (poppler's signer refused this key)"
    fi
else
    echo "(pdfsig or pk12util missing: apt-get install poppler-utils libnss3-tools)"
fi
rate "sertel sign --p12 (PAdES B-B, P-256)" "$N" \
    "$S" sign --p12 "$W/s.p12" --p12-password-file "$W/pw" "$W/small.pdf" "$W/o.pdf"
