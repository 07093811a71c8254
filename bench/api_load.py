#!/usr/bin/env python3
"""api_load.py - load for the sign endpoint (bench_api_sign.sh): N clients (threads, one
keep-alive connection each) POST the same PDF for D seconds, one document a request
(/api/v1/sign) or BATCH a request (/api/v1/sign/batch), all under one API client; with
API=v2, through the BSrE facade's POST /api/v2/sign/pdf instead (JSON, the files in base64,
one invisible signatureProperties for all; answered {time, file[], id_dokumen[]}). A 429 is
honoured: the client waits Retry-After seconds, then tries again. Prints one JSON line:
documents signed per second, the answers by status, and the latency of the signed answers
(p50, p99) and of all answers.

LEVEL (v1 only) asks for that PAdES level; the facade signs at B-LT.

With SERVE_PID set, also the server's CPU time (user + system, /proc/PID/stat) per signed
document over the window: a figure other processes on the machine hardly disturb.

Usage: api_load.py URL CLIENT_ID:SECRET NIK PASSPHRASE PDF CLIENTS SECONDS [BATCH]
"""
import os
import base64
import http.client
import json
import sys
import threading
import time
import uuid


def form(nik, passphrase, pdf, n):
    b = uuid.uuid4().hex.encode()
    parts = [b'--' + b + b'\r\nContent-Disposition: form-data; name="nik"\r\n\r\n' + nik.encode(),
             b'--' + b + b'\r\nContent-Disposition: form-data; name="passphrase"\r\n\r\n' + passphrase.encode()]
    if os.environ.get('LEVEL'):
        parts.append(b'--' + b + b'\r\nContent-Disposition: form-data; name="level"\r\n\r\n' +
                     os.environ['LEVEL'].encode())
    for i in range(n):
        parts.append(b'--' + b + b'\r\nContent-Disposition: form-data; name="file"; filename="d%d.pdf"\r\n'
                     b'Content-Type: application/pdf\r\n\r\n' % i + pdf)
    return 'multipart/form-data; boundary=' + b.decode(), b'\r\n'.join(parts) + b'\r\n--' + b + b'--\r\n'


def v2_body(nik, passphrase, pdf, n):
    b64 = base64.b64encode(pdf).decode()
    return 'application/json', json.dumps({
        'nik': nik, 'passphrase': passphrase, 'signatureProperties': [{'tampilan': 'INVISIBLE'}],
        'file': [b64] * n}).encode()


def cpu_ticks():
    pid = os.environ.get('SERVE_PID')
    if not pid:
        return None
    f = open('/proc/%s/stat' % pid).read().rsplit(')', 1)[1].split()
    return int(f[11]) + int(f[12])


def pct(v, p):
    if not v:
        return None
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    url, cred, nik, passphrase, pdf_path, clients, seconds = sys.argv[1:8]
    batch = int(sys.argv[8]) if len(sys.argv) > 8 else 0
    clients, seconds = int(clients), float(seconds)
    host, port = url[len('http://'):].split(':')
    pdf = open(pdf_path, 'rb').read()
    v2 = os.environ.get('API') == 'v2'
    if v2:
        ct, body = v2_body(nik, passphrase, pdf, max(batch, 1))
        path = '/api/v2/sign/pdf'
    else:
        ct, body = form(nik, passphrase, pdf, max(batch, 1))
        path = '/api/v1/sign/batch' if batch else '/api/v1/sign'
    headers = {'Content-Type': ct, 'Authorization': 'Basic ' + base64.b64encode(cred.encode()).decode(),
               'Accept': 'application/json' if batch else 'application/pdf'}
    lock = threading.Lock()
    stats = {'ok_lat': [], 'all_lat': [], 'status': {}, 'docs': 0}
    start = threading.Barrier(clients + 1)
    end_at = [0.0]

    def run():
        conn = http.client.HTTPConnection(host, int(port), timeout=600)
        start.wait()
        while time.monotonic() < end_at[0]:
            t0 = time.monotonic()
            try:
                conn.request('POST', path, body=body, headers=headers)
                r = conn.getresponse()
                data = r.read()
                st, wait = r.status, r.getheader('Retry-After')
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=600)
                st, wait, data = 'error', None, b''
            t1 = time.monotonic()
            n = 0
            if st == 200 and v2:
                n = len(json.loads(data)['file'])
            elif st == 200:
                n = json.loads(data)['signed'] if batch else 1
            with lock:
                if t1 <= end_at[0]:
                    stats['status'][str(st)] = stats['status'].get(str(st), 0) + 1
                    stats['all_lat'].append(t1 - t0)
                    if st == 200:
                        stats['ok_lat'].append(t1 - t0)
                        stats['docs'] += n
            if st == 429 and wait is not None:
                time.sleep(min(float(wait), 5.0))
            elif st == 'error':
                time.sleep(0.1)
        conn.close()

    ts = [threading.Thread(target=run, daemon=True) for _ in range(clients)]
    for t in ts:
        t.start()
    end_at[0] = time.monotonic() + seconds
    start.wait()
    t_start = time.monotonic()
    c0 = cpu_ticks()
    for t in ts:
        t.join()
    c1 = cpu_ticks()
    elapsed = min(time.monotonic(), end_at[0]) - t_start
    print(json.dumps({
        'mode': 'batch%d' % batch if batch else 'single', 'clients': clients, 'api': 'v2' if v2 else 'v1',
        'docs_per_s': stats['docs'] / elapsed, 'status': stats['status'],
        'p50_ms': (pct(stats['ok_lat'], 50) or 0) * 1000, 'p99_ms': (pct(stats['ok_lat'], 99) or 0) * 1000,
        'p99_all_ms': (pct(stats['all_lat'], 99) or 0) * 1000,
        'server_cpu_ms_per_doc': (c1 - c0) * 1000.0 / os.sysconf('SC_CLK_TCK') / stats['docs']
        if c0 is not None and stats['docs'] else None}))


main()
