#!/bin/bash
# End-to-end: `sertel serve` against hostile clients on raw sockets (the
# helper http_fuzz, built next to sertel; see docs/operations.md "Hostile
# clients"):
#  - request smuggling: each ambiguous framing (two Content-Lengths, CL with
#    Transfer-Encoding, codings other than chunked, whitespace before the
#    colon, a folded line, TE in HTTP/1.0, no Host in HTTP/1.1) and each
#    control character in the target (%00, %0A) is answered 400 with
#    "Connection: close" and the server closes the connection;
#  - slowloris: 1,000 connections from 50 addresses in 127.0.0.0/8, each
#    trickling a header byte a second (so the idle timeout never fires),
#    while /healthz and `openssl ocsp` still answer within seconds; the
#    server closes every one of them at the request-head deadline;
#  - the per-address limit: from one address the 65th connection is closed
#    without an answer while other addresses are served; 0 turns it off;
#  - SIGTERM with slow connections open still exits 0 promptly.
. "$(dirname "$0")/lib.sh"
FUZZ=${SERTEL_BUILD:?run through ctest, which sets SERTEL_BUILD}/http_fuzz
[ -x "$FUZZ" ] || { echo "missing $FUZZ: build the http_fuzz target"; exit 1; }

# 1,000 client sockets here and as many in the server (which inherits this).
NEED=2600
HARD=$(ulimit -Hn)
if [ "$HARD" = unlimited ] || [ "$HARD" -ge 4096 ]; then ulimit -n 4096; else ulimit -n "$HARD"; fi
if [ "$(ulimit -n)" -lt $NEED ]; then
    fail "open-file limit $(ulimit -n) (hard $HARD) is below $NEED: raise it (ulimit -Hn) to run this test"
    finish
    exit 1
fi

stop_server() {
    local i
    kill -TERM "$1" 2>/dev/null
    for i in $(seq 150); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null
    wait "$1"
    RC=$?
}

C() { timeout 30 curl -s "$@"; }

PORT=$("$FUZZ" free-port)
URL=http://127.0.0.1:$PORT
H=$T/home
new_home "$H" --base-url "$URL"
S() { "$SERTEL" --home "$H" "$@"; }
make_csr ec-p256 "Siti Rahayu" "$T/leaf"
S cert issue --csr "$T/leaf.csr" --profile document-signing >"$T/leaf.pem" || fail "issue leaf"
S ca export --issuing >"$T/issuing.pem"
S ca export --root >"$T/root.pem"
cat "$T/issuing.pem" "$T/root.pem" >"$T/chain.pem"

# --- the command line --------------------------------------------------------
expect_exit 0 "serve --help" -- S serve --help
expect_grep "header-timeout" "$T/out" "help lists --header-timeout"
expect_grep "default 64" "$T/out" "help gives the per-address default"
expect_exit 2 "--header-timeout 0" -- S serve --header-timeout 0
expect_exit 2 "--header-timeout not a number" -- S serve --header-timeout soon

# A 5 s request-head deadline, a 60 s idle timeout (so that only the
# deadline can close a trickling client), the default per-address limit.
start_serve main "$H" --listen "127.0.0.1:$PORT" --threads 2 --header-timeout 5 --timeout 60 || exit 1
MAIN=$SERVE_PID

# --- request smuggling --------------------------------------------------------
# smuggle DESC BYTES [mhd]: BYTES (printf %b escapes) on a fresh connection
# must be answered 400 with "Connection: close", and the server must close,
# with nothing after the answer. "mhd": refused by libmicrohttpd itself,
# whose error answers (0.9.75) repeat their header block inside the body.
smuggle() {
    local want='^status 400 connection-close yes closed yes extra 0$'
    [ "${3:-}" = mhd ] && want='^status 400 connection-close yes closed yes extra [0-9]+$'
    printf '%b' "$2" | timeout 30 "$FUZZ" raw --port "$PORT" >"$T/raw.out" 2>"$T/raw.err"
    if grep -Eq "$want" "$T/raw.out"; then
        pass "$1: 400, Connection: close, closed"
    else
        fail "$1: $(cat "$T/raw.out" "$T/raw.err")"
    fi
}
OCSP_POST='POST /ocsp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/ocsp-request\r\n'
NEXT='GET /ca/root.crt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
smuggle "two different Content-Lengths (a request hidden in the body)" \
    "${OCSP_POST}Content-Length: 3\r\nContent-Length: 52\r\n\r\nabc$NEXT"
smuggle "Content-Length and Transfer-Encoding" \
    "${OCSP_POST}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$NEXT"
smuggle "Transfer-Encoding and Content-Length" \
    "${OCSP_POST}Transfer-Encoding: chunked\r\nContent-Length: 52\r\n\r\n0\r\n\r\n$NEXT"
smuggle "Transfer-Encoding: gzip, chunked" \
    "${OCSP_POST}Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
smuggle "Transfer-Encoding: identity" "${OCSP_POST}Transfer-Encoding: identity\r\n\r\nabc"
smuggle "Transfer-Encoding: xchunked" \
    "${OCSP_POST}Transfer-Encoding: xchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
smuggle "Transfer-Encoding twice" \
    "${OCSP_POST}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
smuggle "whitespace before the colon (Transfer-Encoding : chunked)" \
    "${OCSP_POST}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n$NEXT"
smuggle "Transfer-Encoding in HTTP/1.0" \
    'POST /ocsp HTTP/1.0\r\nContent-Type: application/ocsp-request\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'
smuggle "a folded header line" 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n X-Folded: a\r\n\r\n'
smuggle "HTTP/1.1 without Host" 'GET /healthz HTTP/1.1\r\n\r\n'
smuggle "two Host fields" 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: example.org\r\n\r\n'
smuggle "Content-Length as a list" "${OCSP_POST}Content-Length: 3, 5\r\n\r\nabcde" mhd
smuggle "%00 in the path (/healthz%00x)" 'GET /healthz%00x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
smuggle "%00 in the OCSP GET path" 'GET /ocsp/MEMwQTA%00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
smuggle "%0A in the path" 'GET /ca/root%0A.crt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
smuggle "a raw space in the path" 'GET /ca/root .crt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
smuggle "a control character in a field value" 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\001b\r\n\r\n'
# What is unambiguous keeps working (and keeps the connection).
OCSP_REQ_CHUNKED="${OCSP_POST}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
printf '%b' "$OCSP_REQ_CHUNKED" | timeout 30 "$FUZZ" raw --port "$PORT" --wait 1 >"$T/raw.out" 2>&1
expect_grep '^status 200 connection-close no closed no extra 0$' "$T/raw.out" "a chunked POST alone: 200, kept open"
printf '%b' "${OCSP_POST}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc" |
    timeout 30 "$FUZZ" raw --port "$PORT" --wait 1 >"$T/raw.out" 2>&1
expect_grep '^status 200 connection-close no closed no extra 0$' "$T/raw.out" "two equal Content-Lengths: 200"

# --- slowloris: 1,000 trickling connections from 50 addresses ------------------
"$FUZZ" slow --port "$PORT" --addrs 50 --first 2 --per-addr 20 --trickle-ms 1000 \
    --held 4 --closed-within 15 --max-seconds 30 >"$T/slow.out" 2>&1 &
SLOW=$!
bg_track "$SLOW"
for i in $(seq 200); do
    grep -q '^holding' "$T/slow.out" && break
    sleep 0.1
done
expect_grep '^holding 1000 connections from 50 addresses \(0 failed\)' "$T/slow.out" \
    "1,000 slow connections open from 127.0.0.2-51"
C -m 5 "$URL/metrics" >"$T/metrics1"
OPEN=$(awk '/^sertel_http_connections_open / {print $2}' "$T/metrics1")
[ -n "$OPEN" ] && [ "$OPEN" -ge 1000 ] && pass "the server holds them ($OPEN open connections)" ||
    fail "open connections: '$OPEN'"
[ "$(C -m 5 "$URL/healthz")" = ok ] && pass "/healthz answers within 5 s meanwhile" || fail "/healthz under slowloris"
timeout 10 openssl ocsp -issuer "$T/issuing.pem" -cert "$T/leaf.pem" -url "$URL/ocsp" \
    -CAfile "$T/chain.pem" -timeout 5 >"$T/ocsp1" 2>&1
expect_grep "leaf.pem: good" "$T/ocsp1" "openssl ocsp answered within 5 s meanwhile"
expect_grep "^Response verify OK" "$T/ocsp1" "and its answer verifies"
wait "$SLOW"
SRC=$?
sed 's/^/    /' "$T/slow.out"
[ $SRC = 0 ] && pass "the server closed all 1,000 at the 5 s deadline (none before 4 s, all within 15 s)" ||
    fail "slow connections: $(tail -3 "$T/slow.out")"
C -m 5 "$URL/metrics" >"$T/metrics2"
N=$(awk '/^sertel_http_header_timeouts_total / {print $2}' "$T/metrics2")
[ -n "$N" ] && [ "$N" -ge 1000 ] && pass "metrics: $N header timeouts" || fail "header timeouts metric '$N'"
expect_grep "no complete request head within 5 s" "$T/main.err" "the error log says why they were closed"

# --- the per-address limit ---------------------------------------------------------
timeout 60 "$FUZZ" perip --port "$PORT" --from 127.0.0.60 --other 127.0.0.61 --limit 64 >"$T/perip.out" 2>&1
PRC=$?
sed 's/^/    /' "$T/perip.out"
[ $PRC = 0 ] && pass "per address: 64 served, the 65th closed, other addresses and held connections served" ||
    fail "per-address limit: $(cat "$T/perip.out")"

# --- SIGTERM with slow connections open ---------------------------------------------
"$FUZZ" slow --port "$PORT" --addrs 5 --first 70 --per-addr 20 --max-seconds 20 >"$T/slow2.out" 2>&1 &
SLOW2=$!
bg_track "$SLOW2"
for i in $(seq 100); do
    grep -q '^holding' "$T/slow2.out" && break
    sleep 0.1
done
expect_grep '^holding 100 ' "$T/slow2.out" "100 slow connections open before SIGTERM"
stop_server "$MAIN"
[ "$RC" = 0 ] && pass "SIGTERM with slow connections open: exit 0" || fail "exit $RC: $(tail -5 "$T/main.err")"
expect_grep "stopped" "$T/main.err" "server says it stopped"
wait "$SLOW2" 2>/dev/null

# --- --per-ip-limit 0 turns the limit off (when asked) -------------------------------
P2=$("$FUZZ" free-port)
start_serve nolimit "$H" --listen "127.0.0.1:$P2" --threads 1 --per-ip-limit 0 || exit 1
timeout 60 "$FUZZ" perip --port "$P2" --from 127.0.0.60 --other 127.0.0.61 --limit 64 >"$T/perip2.out" 2>&1
expect_grep "connection 65 from 127.0.0.60 was served" "$T/perip2.out" "--per-ip-limit 0: no per-address limit"
stop_server "$SERVE_PID"
[ "$RC" = 0 ] && pass "second server exits 0" || fail "second server exit $RC"

finish
