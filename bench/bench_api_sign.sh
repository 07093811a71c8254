#!/bin/bash
# bench_api_sign.sh - signed PDFs per second through the sign endpoints (the native POST
# /api/v1/sign and /api/v1/sign/batch, and the BSrE facade's POST /api/v2/sign/pdf) for a 100 KB PDF, one document a request and batches of 50 under one
# authorization, Argon2id at the shipped default (64 MiB, 3 passes), the signing limits at
# their defaults; p50 and p99 latency at 16, 64 and 128 concurrent clients. In the same run,
# interleaved round by round: the in-process figure (bench_sign_session: the library's loop,
# one authorization and 50 documents, and crypto_pwhash alone) and `sertel sign --email` per
# process. Medians of the rounds and the ratios to the bounds the work itself sets:
#   single documents: cores / one Argon2id
#   batches of 50:    cores / (one Argon2id + 50 in-process signatures) x 50
# Not a test. The load generator (api_load.py, python3) runs on the same machine.
#
# Usage: bench/bench_api_sign.sh [ROUNDS] [SECONDS]   (default 3 rounds of 15 s per load)
# Environment: LEVEL (B-LT: the facade's level, so that every figure signs alike), CLIENT_SET ("16 64 128": one document a
# request), BATCH_SET ("8 64": batches of 50).
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SECS=${2:-15}
LEVEL=${LEVEL:-B-LT}
CLIENT_SET=${CLIENT_SET:-16 64 128}
BATCH_SET=${BATCH_SET:-8 64}
B=build-bench
cmake -S . -B $B -DCMAKE_BUILD_TYPE=Release -DSERTEL_TESTS=OFF >/dev/null
cmake --build $B -j"$(nproc)" --target sertel bench_sign_session >/dev/null
SERTEL=$PWD/$B/sertel
export SERTEL SERTEL_TEST_DATA=$PWD/tests/data
. tests/e2e/lib.sh # new_home, new_owner ... ($T is removed at exit)
S() { "$SERTEL" --home "$H" "$@"; }
CORES=$(nproc)

H=$T/home
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
new_home "$H" --base-url "http://127.0.0.1:$PORT"
sed -i 's/^second_factor = .*/second_factor = off/' "$H/sertel.conf"
printf '[api]\nclient_rate_per_minute = 0\n' >>"$H/sertel.conf" # one client drives all the load
S agency add --name "Kementerian Uji" --domain uji.go.id >/dev/null
printf 'rahasia penandatangan\n' >"$T/pass"
new_owner "$H" 1 "Rina Wulandari" 3201015201900001 rina@uji.go.id "$T/pass" >/dev/null
S client add --agency 1 --name bench --scopes sign >"$T/cl"
CRED="$(grep -o 'cl_[0-9a-f]*' "$T/cl" | head -1):$(sed -n 's/^secret: //p' "$T/cl")"
python3 - "$T/doc.pdf" <<'PY'
import sys
out = bytearray(b'%PDF-1.7\n'); offs = {}
def obj(i, body):
    offs[i] = len(out); out.extend(b'%d 0 obj\n' % i + body + b'\nendobj\n')
obj(1, b'<< /Type /Catalog /Pages 2 0 R >>')
obj(2, b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>')
obj(3, b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>')
data = (b'%' * 63 + b'\n') * (100 * 1024 // 64)
obj(4, b'<< /Length %d >>\nstream\n' % len(data) + data + b'\nendstream')
x = len(out)
out.extend(b'xref\n0 5\n0000000000 65535 f \n' + b''.join(b'%010d 00000 n \n' % offs[i] for i in range(1, 5)))
out.extend(b'trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % x)
open(sys.argv[1], 'wb').write(out)
PY
# all load comes from 127.0.0.1: no per-address connection limit
start_serve api "$H" --listen "127.0.0.1:$PORT" --per-ip-limit 0 >/dev/null
U="http://127.0.0.1:$PORT"
echo "machine: $CORES cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "document: $(stat -c %s "$T/doc.pdf") bytes; level $LEVEL; $(grep -E '^argon2_(memory_kib|passes)' "$H/sertel.conf" | tr '\n' ' ')"
load() { LEVEL=$LEVEL SERVE_PID=$SERVE_PID python3 bench/api_load.py "$U" "$CRED" 3201015201900001 'rahasia penandatangan' "$T/doc.pdf" "$@"; }
# warm-up (not counted): the server opens its registration authority handles as load grows
load 16 5 >/dev/null
load 8 5 50 >/dev/null
for r in $(seq 1 "$ROUNDS"); do
    echo "== round $r (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    # in-process: one authorization and a batch of 50 (the library's loop)
    ./$B/bench_sign_session "$H" rina@uji.go.id 'rahasia penandatangan' "$T/doc.pdf" 1 50 "$LEVEL" |
        sed -n 's/^round 1: /inproc /p' | tee -a "$T/inproc.txt"
    # sertel sign per process, 10 in a row (each: process start, Argon2id, signing, register)
    t0=$(date +%s.%N)
    for i in $(seq 10); do
        S sign --email rina@uji.go.id --passphrase-file "$T/pass" --level "$LEVEL" "$T/doc.pdf" "$T/pp.pdf" >/dev/null
    done
    echo "perproc $(python3 -c "import sys; print('%.2f' % (10 / (float(sys.argv[2]) - float(sys.argv[1]))))" "$t0" "$(date +%s.%N)") documents/s" |
        tee -a "$T/perproc.txt"
    for c in $CLIENT_SET; do
        load "$c" "$SECS" | sed 's/^/api /' | tee -a "$T/api.txt"
        API=v2 load "$c" "$SECS" | sed 's/^/api /' | tee -a "$T/api.txt"
    done
    for c in $BATCH_SET; do
        load "$c" "$SECS" 50 | sed 's/^/api /' | tee -a "$T/api.txt"
        API=v2 load "$c" "$SECS" 50 | sed 's/^/api /' | tee -a "$T/api.txt"
    done
done
echo "server peak RSS: $(grep VmHWM /proc/$SERVE_PID/status | awk '{print $2, $3}'); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$T" "$CORES" <<'PY'
import json, re, statistics as st, sys
T, cores = sys.argv[1], int(sys.argv[2])
inproc = [l for l in open(T + '/inproc.txt')]
kdf = st.median(float(re.search(r'crypto_pwhash ([\d.]+)', l).group(1)) for l in inproc)
auth = st.median(float(re.search(r'authorization ([\d.]+)', l).group(1)) for l in inproc)
doc = st.median(float(re.search(r'([\d.]+) ms a document', l).group(1)) for l in inproc)
ckdf = st.median(float(re.search(r'CPU: crypto_pwhash ([\d.]+)', l).group(1)) for l in inproc)
cdoc = st.median(float(re.search(r'CPU: .* ([\d.]+) ms a document', l).group(1)) for l in inproc)
perproc = st.median(float(l.split()[1]) for l in open(T + '/perproc.txt'))
api = [json.loads(l[4:]) for l in open(T + '/api.txt')]
def med(api_, mode, clients, key):
    return st.median(a[key] for a in api if (a['api'], a['mode'], a['clients']) == (api_, mode, clients))
single_bound = cores / (kdf / 1000)
batch_bound = cores / ((kdf + 50 * doc) / 1000) * 50
print('\nmedians of the rounds')
print('in-process: crypto_pwhash %.1f ms, authorization %.1f ms, %.3f ms a document (%.0f documents/s, 1 thread); CPU: crypto_pwhash %.1f ms, %.3f ms a document' % (kdf, auth, doc, 1000 / doc, ckdf, cdoc))
print('bounds from the CPU figures (what the machine would give with nothing else running): one document %.1f/s, batches %.1f/s' % (cores / (ckdf / 1000), cores / ((ckdf + 50 * cdoc) / 1000) * 50))
print('sertel sign per process: %.2f documents/s' % perproc)
print('| endpoint | load | clients | documents/s | bound | ratio | p50 ms | p99 ms | p99 all answers ms | server CPU ms a document | in-process CPU ms a document | CPU ratio | answers |')
print('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|')
seen = []
for a in api:
    k = (a['api'], a['mode'], a['clients'])
    if k in seen:
        continue
    seen.append(k)
    bound = batch_bound if a['mode'] != 'single' else single_bound
    rows = [x for x in api if (x['api'], x['mode'], x['clients']) == k]
    statuses = {}
    for x in rows:
        for s, n in x['status'].items():
            statuses[s] = statuses.get(s, 0) + n
    inproc_doc = (ckdf + 50 * cdoc) / 50 if a['mode'] != 'single' else ckdf + cdoc
    cpus = [x['server_cpu_ms_per_doc'] for x in rows if x.get('server_cpu_ms_per_doc')]
    cpu = st.median(cpus) if cpus else float('nan')
    print('| %s | %s | %d | %.1f | %.1f | %.2f | %.0f | %.0f | %.0f | %.1f | %.1f | %.2f | %s |' % (
        '/api/v2/sign/pdf' if a['api'] == 'v2' else '/api/v1/sign' + ('/batch' if a['mode'] != 'single' else ''),
        'batches of 50' if a['mode'] != 'single' else 'one document', a['clients'],
        med(*k, 'docs_per_s'), bound, med(*k, 'docs_per_s') / bound, med(*k, 'p50_ms'),
        med(*k, 'p99_ms'), med(*k, 'p99_all_ms'), cpu, inproc_doc, inproc_doc / cpu,
        ' '.join('%s: %d' % s for s in sorted(statuses.items()))))
PY
