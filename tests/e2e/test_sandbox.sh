#!/bin/bash
# End-to-end: `sertel verify` parses documents in the sandboxed worker
# (lib/sandbox, docs/architecture.md "Privilege separation").
# - The worker mode is not a command: `sertel --sandbox-worker` refuses.
# - Same answers in the worker and in the process (--in-process): JSON and
#   text reports, exit codes and messages, for signed (B-B, B-T, twice,
#   online with the home's OCSP responder reached through the caller),
#   tampered, unsigned, encrypted, non-PDF and missing files and a detached
#   .p7s.
# - strace (independent of sertel) shows the two ways a job process is made:
#   `sertel verify` forks it from itself before it reads the home or a
#   password (clean parent: no exec at all), `sertel sign --image`, which
#   holds a key, from a fresh exec of sertel-worker (the sertel binary's
#   smaller twin) with an empty environment. Either way: setgroups/
#   setresgid/setresuid to nobody when run as root, no_new_privs and a
#   seccomp filter; the job process makes no open, socket, connect or exec
#   after its filter, while the caller makes the OCSP connection.
. "$(dirname "$0")/lib.sh"
# strace -f splits a call that another process interrupts into "<unfinished
# ...>" and "<... NAME resumed>" lines: joined again, each call is one line.
strace_join() {
    python3 - "$1" <<'PY'
import re, sys
path = sys.argv[1]
out, pending = [], {}
for line in open(path, errors='replace'):
    line = line.rstrip('\n')
    m = re.match(r'^(\d+) +(.*) <unfinished \.\.\.>$', line)
    if m:
        pending[m.group(1)] = (len(out), m.group(2))
        out.append(None)
        continue
    m = re.match(r'^(\d+) +<\.\.\. \S+ resumed>(.*)$', line)
    if m and m.group(1) in pending:
        k, head = pending.pop(m.group(1))
        # the resumed part is padded to strace's column of results: one space, as unsplit
        out[k] = '%s %s%s' % (m.group(1), head, re.sub(r'^(\)?) +(= )', r'\1 \2', m.group(2)))
        continue
    out.append(line)
for k, head in pending.values():
    out[k] = head
open(path, 'w').write('\n'.join(l for l in out if l is not None) + '\n')
PY
}
D=$SERTEL_TEST_DATA
for tool in jq openssl python3; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
FUZZ=${SERTEL_BUILD:?run through ctest, which sets SERTEL_BUILD}/http_fuzz
[ -x "$FUZZ" ] || { echo "missing $FUZZ: build the http_fuzz target"; exit 1; }

expect_exit 2 "--sandbox-worker is not a command" -- "$SERTEL" --sandbox-worker
expect_grep "not a command" "$T/err" "--sandbox-worker says what it is"
# sertel-worker, the smaller image sertel prefers when it lies next to it: not a command either,
# and without the libraries a worker never calls.
W=$(dirname "$SERTEL")/sertel-worker
if [ -x "$W" ]; then
    expect_exit 2 "sertel-worker is not a command" -- "$W"
    expect_exit 2 "sertel-worker --sandbox-worker without its caller refuses" -- "$W" --sandbox-worker
    if ldd "$W" | grep -Eq 'libcurl|libmicrohttpd|libsqlite|libp11|libgnutls'; then
        fail "sertel-worker loads: $(ldd "$W" | grep -Eo 'lib(curl|microhttpd|sqlite3|p11|gnutls)[^ ]*' | tr '\n' ' ')"
    else
        pass "sertel-worker loads no libcurl, GnuTLS, libmicrohttpd, SQLite or libp11"
    fi
else
    fail "no sertel-worker next to $SERTEL (the sertel-worker target)"
fi

# libcurl, libmicrohttpd and libarchive are loaded on first use (lib/util/dl.h): sertel itself
# does not map them, nor the libraries behind them, until it fetches, serves or backs up.
if ldd "$SERTEL" | grep -Eq 'libcurl|libmicrohttpd|libarchive|libgnutls|libicu|libkrb5'; then
    fail "sertel maps at start: $(ldd "$SERTEL" | grep -Eo 'lib(curl|microhttpd|archive|gnutls|icu[a-z]*|krb5)[^ ]*' | tr '\n' ' ')"
else
    pass "sertel maps no libcurl, libmicrohttpd, libarchive (nor GnuTLS, ICU, Kerberos) at start"
fi

PORT=$("$FUZZ" free-port)
H=$T/home
new_home "$H" --base-url "http://127.0.0.1:$PORT"
start_serve serve "$H" --listen "127.0.0.1:$PORT" || exit 1
make_signers "$H" budi:ec-p256 siti:rsa-2048
sign() { # sign WHO IN OUT [extra options]
    local who=$1 in=$2 out=$3
    shift 3
    "$SERTEL" --home "$H" sign --p12 "$T/$who.p12" --p12-password-file "$T/p12pw" "$@" "$in" "$out" >/dev/null
}
L=$D/letter.pdf
sign budi "$L" "$T/bb.pdf" --reason Persetujuan || fail "sign B-B"
sign siti "$L" "$T/bt.pdf" --level B-T || fail "sign B-T"
sign siti "$T/bb.pdf" "$T/twice.pdf" --level B-T || fail "sign twice"
python3 - "$T/twice.pdf" "$T/flipped.pdf" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[200] ^= 0x20
open(sys.argv[2], 'wb').write(b)
PY
printf '<html><body>not a pdf</body></html>' >"$T/junk.pdf"
printf 'the signed data\n' >"$T/data.txt"
"$SERTEL" --home "$H" sign --p12 "$T/budi.p12" --p12-password-file "$T/p12pw" --detached \
    "$T/data.txt" "$T/data.p7s" >/dev/null 2>&1 || fail "sign detached"

# same DESCRIPTION -- verify arguments: worker and in-process agree byte for byte.
same() {
    local desc=$1 a b
    shift 2
    "$SERTEL" --home "$H" verify "$@" >"$T/w.out" 2>"$T/w.err"
    a=$?
    "$SERTEL" --home "$H" verify --in-process "$@" >"$T/p.out" 2>"$T/p.err"
    b=$?
    # the validation time is the second each run was made in
    sed -i '/^  "validation_time": /d' "$T/w.out" "$T/p.out"
    if [ "$a" = "$b" ] && cmp -s "$T/w.out" "$T/p.out" && cmp -s "$T/w.err" "$T/p.err"; then
        pass "$desc: worker = in-process (exit $a)"
    else
        fail "$desc: worker exit $a, in-process exit $b; $(diff "$T/w.out" "$T/p.out" | head -5) $(head -c 300 "$T/w.err") / $(head -c 300 "$T/p.err")"
    fi
}
for f in bb bt twice flipped; do
    same "$f --json online" -- --json "$T/$f.pdf"
    same "$f --offline" -- --offline "$T/$f.pdf"
    same "$f --lang en" -- --lang en --offline "$T/$f.pdf"
done
same "unsigned letter" -- --json --offline "$L"
same "not a PDF" -- --offline "$T/junk.pdf"
same "a missing file" -- --offline "$T/nothing.pdf"
same "a directory" -- --offline "$T"
same "encrypted, no password" -- --offline "$D/pdf/enc-r4.pdf"
same "detached" -- --json --detached "$T/data.p7s" "$T/data.txt"
same "detached, other data" -- --offline --detached "$T/data.p7s" "$L"

# Online revocation through the caller: the worker's OCSP request reached the home's responder.
expect_exit 0 "twice.pdf verifies online in the worker" -- "$SERTEL" --home "$H" verify --json "$T/twice.pdf"
if [ "$(jq -r '[.signatures[].revocation_source] | all(. == "online OCSP")' "$T/out")" = true ]; then
    pass "revocation from online OCSP, fetched by the caller for the worker"
else
    fail "revocation sources: $(jq -c '[.signatures[].revocation_source]' "$T/out")"
fi

# ---- strace: what the worker is and does.
if ! command -v strace >/dev/null; then
    echo "# strace missing: confinement not traced (scripts/install-deps.sh installs it)"
    finish
    exit
fi
# (LeakSanitizer, in a sanitizer build, cannot work under strace: both need ptrace.)
export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0
# job_checks TRACE JOB DESC: the job process JOB dropped privileges, set no_new_privs, loaded its
# filter and afterwards opened, connected and ran nothing, and exited cleanly.
job_checks() {
    local tr=$1 job=$2 desc=$3
    if [ "$(id -u)" = 0 ]; then
        NOBODY=$(id -u nobody)
        grep -Eq "^$job +setresuid\($NOBODY, $NOBODY, $NOBODY" "$tr" &&
            grep -Eq "^$job +setgroups\(0, NULL" "$tr" &&
            pass "$desc: run as root, dropped to nobody with no groups" ||
            fail "$desc: no privilege drop in $job: $(grep -E "^$job +set(res|gr)" "$tr")"
    fi
    grep -Eq "^$job +prctl\(PR_SET_NO_NEW_PRIVS, 1" "$tr" && pass "$desc: no_new_privs" ||
        fail "$desc: no PR_SET_NO_NEW_PRIVS in $job"
    awk -v p="$job" '$1 == p' "$tr" | sed -n '/SECCOMP_MODE_FILTER, {len=[0-9]*, filter=.*}) = 0/,$p' >"$T/job.trace"
    if [ -s "$T/job.trace" ] && ! grep -Eq '^[0-9]+ +(open|openat|creat|socket|connect|execve|execveat|clone|clone3|fork|vfork|ptrace|stat|newfstatat)\(' "$T/job.trace"; then
        pass "$desc: after its filter the job process opens, connects and runs nothing ($(wc -l <"$T/job.trace") calls)"
    else
        fail "$desc: the job process after its filter: $(grep -E '(open|socket|connect|exec|clone|stat)' "$T/job.trace" | head -3)"
    fi
    grep -Eq '^[0-9]+ +exit_group\(0' "$T/job.trace" && ! grep -q 'killed by' "$T/job.trace" &&
        pass "$desc: the job process exited cleanly" ||
        fail "$desc: job process end: $(tail -2 "$T/job.trace")"
}

# `sertel verify`: the job process is forked from the command itself (clean parent), no exec.
strace -f -qq -s 200 -o "$T/trace" "$SERTEL" --home "$H" verify --json "$T/twice.pdf" >"$T/out" 2>"$T/err"
rc_strace=$?; strace_join "$T/trace"; (exit $rc_strace)
[ "$?" = 0 ] && pass "verify under strace" || fail "verify under strace: $(head -c 300 "$T/err")"
MAIN=$(head -1 "$T/trace" | awk '{print $1}')
[ "$(grep -cE 'execve(at)?\(' "$T/trace")" = 1 ] && pass "verify: no exec but its own" ||
    fail "verify: execs: $(grep -E 'execve(at)?\(' "$T/trace" | head -3)"
JOB=$(grep -E 'prctl\(PR_SET_SECCOMP, SECCOMP_MODE_FILTER' "$T/trace" | awk '{print $1}' | sort -u | head -1)
if [ -n "$JOB" ] && [ "$JOB" != "$MAIN" ] && grep -Eq "^$MAIN .*clone.*= $JOB\$" "$T/trace"; then
    pass "verify: a job process ($JOB) forked by the command, under its own filter"
else
    fail "verify: no forked job process under a filter ($JOB)"
fi
# forked before the command read the home (its root certificate, its configuration)
FORK=$(grep -nE "^$MAIN .*clone.*= $JOB\$" "$T/trace" | head -1 | cut -d: -f1)
HOMEREAD=$(grep -nE "^$MAIN +openat\(.*$H/(certs/root.pem|sertel.conf)" "$T/trace" | head -1 | cut -d: -f1)
[ -n "$FORK" ] && [ -n "$HOMEREAD" ] && [ "$FORK" -lt "$HOMEREAD" ] &&
    pass "verify: the job process was forked before the home was read" ||
    fail "verify: fork at trace line $FORK, home read at $HOMEREAD"
job_checks "$T/trace" "$JOB" "verify"
grep -Eq "^$MAIN +connect\([0-9]+, \{sa_family=AF_INET, sin_port=htons\($PORT\)" "$T/trace" &&
    pass "the OCSP connection is made by the caller, not the job" ||
    fail "no OCSP connect from the caller"
grep -Eq "^$MAIN +openat\(.*libcurl\.so" "$T/trace" && pass "online: libcurl loaded by the caller when it fetches" ||
    fail "online: libcurl never loaded"
# offline: nothing fetched, libcurl never loaded
strace -f -qq -o "$T/trace3" "$SERTEL" --home "$H" verify --offline --json "$T/twice.pdf" >"$T/out" 2>"$T/err"
rc_strace=$?; strace_join "$T/trace3"; (exit $rc_strace)
grep -q 'libcurl\.so' "$T/trace3" && fail "offline verify loaded libcurl" ||
    pass "offline: libcurl is never loaded"
grep -q 'ossl-modules/legacy\.so' "$T/trace3" && fail "a PDF without /Encrypt loaded OpenSSL's legacy provider" ||
    pass "a PDF without /Encrypt: the legacy provider (RC4) is never loaded"
# an RC4-encrypted PDF: its job process loads the legacy provider before its filter
strace -f -qq -o "$T/trace4" "$SERTEL" --home "$H" verify --offline "$D/pdf/enc-r4.pdf" >"$T/out" 2>"$T/err"
rc_strace=$?; strace_join "$T/trace4"; (exit $rc_strace)
J4=$(grep -E 'prctl\(PR_SET_SECCOMP, SECCOMP_MODE_FILTER' "$T/trace4" | awk '{print $1}' | sort -u | head -1)
if [ -n "$J4" ] && awk -v p="$J4" '$1 == p' "$T/trace4" | sed '/SECCOMP_MODE_FILTER/q' | grep -q 'ossl-modules/legacy\.so'; then
    pass "an RC4-encrypted PDF: the job process loaded the legacy provider before its filter"
else
    fail "enc-r4.pdf: no legacy provider loaded by the job process ($J4) before its filter"
fi

# `sertel sign --image`: the signature image is decoded in an exec'd worker image.
python3 - "$T/sig.png" <<'PY'
import struct, sys, zlib
w, h = 40, 20
raw = b''.join(b'\x00' + b''.join(bytes([(x * 6) & 255, (y * 12) & 255, 90]) for x in range(w)) for y in range(h))
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
PY
strace -f -qq -s 200 -o "$T/trace2" "$SERTEL" --home "$H" sign --p12 "$T/budi.p12" --p12-password-file "$T/p12pw" \
    --visible --rect 50,50,250,120 --image "$T/sig.png" "$L" "$T/stamped.pdf" >"$T/out" 2>"$T/err"
rc_strace=$?; strace_join "$T/trace2"; (exit $rc_strace)
[ "$?" = 0 ] && pass "sign --image under strace" || fail "sign --image under strace: $(head -c 300 "$T/err")"
if grep -Eq 'execveat\([0-9]+, "", \["sertel-sandbox", "--sandbox-worker"(, "--few-jobs")?\], (\[\]|0x[0-9a-f]+ /\* 0 vars \*/), AT_EMPTY_PATH\) = 0' "$T/trace2"; then
    pass "sign --image: the worker is a fresh exec with an empty environment"
else
    fail "sign --image: no execveat of the worker: $(grep -m3 execve "$T/trace2")"
fi
IMG=$(grep -E 'execveat\(.*--sandbox-worker.*= 0' "$T/trace2" | head -1 | awk '{print $1}')
JOB=$(grep -E 'prctl\(PR_SET_SECCOMP, SECCOMP_MODE_FILTER' "$T/trace2" | awk '{print $1}' | sort -u | grep -v "^$IMG\$" | head -1)
[ -n "$JOB" ] && [ -n "$IMG" ] && grep -Eq "^$IMG .*clone.*= $JOB\$" "$T/trace2" &&
    pass "sign --image: a job process ($JOB) forked by the image ($IMG), under its own filter" ||
    fail "sign --image: no job process of the image"
if [ "$(id -u)" = 0 ]; then
    grep -Eq "^$IMG +setresuid\($NOBODY, $NOBODY, $NOBODY" "$T/trace2" &&
        pass "sign --image: the image dropped to nobody before exec" || fail "sign --image: no drop in $IMG"
fi
grep -Eq "^$IMG +prctl\(PR_SET_NO_NEW_PRIVS, 1" "$T/trace2" && pass "sign --image: no_new_privs set before exec" ||
    fail "sign --image: no PR_SET_NO_NEW_PRIVS"
awk -v p="$JOB" '$1 == p' "$T/trace2" | sed -n '/SECCOMP_MODE_FILTER, {len=[0-9]*, filter=.*}) = 0/,$p' >"$T/job.trace"
if [ -s "$T/job.trace" ] && ! grep -Eq '^[0-9]+ +(open|openat|creat|socket|connect|execve|execveat|clone|clone3|fork|vfork|ptrace|stat|newfstatat)\(' "$T/job.trace"; then
    pass "sign --image: after its filter the job process opens, connects and runs nothing"
else
    fail "sign --image: the job process after its filter: $(grep -E '(open|socket|connect|exec|clone|stat)' "$T/job.trace" | head -3)"
fi
command -v pdfsig >/dev/null && { pdfsig "$T/stamped.pdf" >"$T/pdfsig.out" 2>&1; grep -q "Signature #1" "$T/pdfsig.out" && pass "the stamped PDF is signed (pdfsig)" || fail "pdfsig: $(head -3 "$T/pdfsig.out")"; }

# The API's validations (POST /api/v1/verify) are parsed in the server's
# worker image, never in the server that holds the keys: a job process under
# its own filter appears for the request.
"$SERTEL" --home "$H" agency add --name "Kementerian Uji" --domain uji.go.id >/dev/null &&
    "$SERTEL" --home "$H" client add --agency 1 --name vfy --scopes verify >"$T/cl" || fail "client add"
CRED="$(grep -o 'cl_[0-9a-f]*' "$T/cl" | head -1):$(sed -n 's/^secret: //p' "$T/cl")"
# (the worker image starts with the first job: a first request starts it)
curl -s -o /dev/null -u "$CRED" -F "file=@$T/bb.pdf;type=application/pdf" "http://127.0.0.1:$PORT/api/v1/verify"
WPID=$(pgrep -P "$SERVE_PID" -f -- '--sandbox-worker' | head -1)
if [ -n "$WPID" ]; then
    strace -f -qq -e trace=clone,clone3,fork,vfork,prctl -o "$T/trace5" -p "$SERVE_PID" -p "$WPID" 2>"$T/strace5.err" &
    STRACE_PID=$!
    for _ in $(seq 50); do [ -s "$T/strace5.err" ] || [ -e "$T/trace5" ] && break; sleep 0.1; done
    sleep 1
    st=$(curl -s -o "$T/v.json" -w '%{http_code}' -u "$CRED" -F "file=@$T/twice.pdf;type=application/pdf" \
        "http://127.0.0.1:$PORT/api/v1/verify")
    sleep 0.5
    kill "$STRACE_PID" 2>/dev/null
    wait "$STRACE_PID" 2>/dev/null
    strace_join "$T/trace5"
    [ "$st" = 200 ] && [ "$(jq -r '.signatures | length' "$T/v.json")" = 2 ] &&
        pass "POST /api/v1/verify: 200, the report" || fail "api verify: $st $(head -c 300 "$T/v.json")"
    if grep -Eq '^[0-9]+ +prctl\(PR_SET_SECCOMP, SECCOMP_MODE_FILTER' "$T/trace5" &&
        ! grep -Eq "^$SERVE_PID +prctl\(PR_SET_SECCOMP" "$T/trace5"; then
        pass "POST /api/v1/verify: parsed in a job process under its own filter, not in the server"
    else
        fail "POST /api/v1/verify: no sandboxed job for the request: $(grep -c . "$T/trace5" 2>&1) lines traced, $(head -c 300 "$T/strace5.err")"
    fi
else
    fail "no worker image under the server ($SERVE_PID)"
fi

finish
