#!/bin/sh
# run.sh - issuance benchmark: sertel next to `openssl ca -batch` issuing the
# same CSR in a loop and `openssl speed ecdsap256`, on the same machine, in
# one run. Results go to stdout; copy them into docs/benchmarks.md.
#
# Usage: bench/run.sh [COUNT]
set -eu
cd "$(dirname "$0")/.."
COUNT=${1:-20000}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DSERTEL_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)" --target bench_issue >/dev/null

W=$(mktemp -d /var/tmp/sertel-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "openssl: $(openssl version)"
echo "disk:    $(df -h /var/tmp | tail -1 | awk '{print $1, $2}')"
echo
echo "== sertel (durable: SQLite WAL, synchronous=FULL; one fsync per batch)"
./build-bench/bench_issue --count "$COUNT" --batch 256 --threads 2 --dir "$W"

echo
echo "== openssl ca -batch, same CSR, one process per certificate"
mkdir -p "$W/oca/newcerts"
cd "$W/oca"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
openssl req -new -x509 -key ca.key -subj "/C=ID/O=Bench/CN=Bench CA" -days 3650 -out ca.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ee.key 2>/dev/null
openssl req -new -key ee.key -subj "/C=ID/O=Kementerian Contoh/OU=Biro Umum/CN=Pegawai Contoh" -out ee.csr 2>/dev/null
: >index.txt
cat >ca.cnf <<CNF
[ca]
default_ca = bench
[bench]
dir = .
database = index.txt
new_certs_dir = newcerts
certificate = ca.pem
private_key = ca.key
rand_serial = yes
default_md = sha256
default_days = 730
policy = any
unique_subject = no
copy_extensions = none
x509_extensions = ext
[any]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = 1.3.6.1.5.5.7.3.36,emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = email:pegawai@contoh.go.id
authorityInfoAccess = OCSP;URI:http://127.0.0.1:8080/ocsp,caIssuers;URI:http://127.0.0.1:8080/ca/issuing.crt
crlDistributionPoints = URI:http://127.0.0.1:8080/crl/issuing.crl
CNF
N=300
start=$(date +%s.%N)
i=0
while [ $i -lt $N ]; do
    openssl ca -batch -config ca.cnf -in ee.csr -out /dev/null 2>/dev/null
    i=$((i + 1))
done
end=$(date +%s.%N)
awk -v n=$N -v s="$start" -v e="$end" 'BEGIN { printf "openssl ca -batch: %d certificates in %.2f s: %.0f certificates/s\n", n, e - s, n / (e - s) }'
cd - >/dev/null

echo
echo "== openssl speed ecdsap256 (signatures/s, one core)"
openssl speed -seconds 3 ecdsap256 2>/dev/null | tail -1
