#!/bin/bash
# bench_serve.sh - `sertel serve` throughput, next to baselines in the same
# run on the same machine (not a test; copy the table into
# docs/benchmarks.md):
#
#   OCSP, cached answers (no nonce), with wrk: POST (Lua script body) and
#   the RFC 5019 GET form, on keep-alive connections and with a new
#   connection per request ("Connection: close"), next to
#     - nginx serving a static file of the OCSP answer's size (the ceiling),
#     - `openssl ocsp -index ... -port` with the same OCSP key and an index
#       made from the home's certificates (bounded by `timeout`: it is known
#       to stop answering under keep-alive load);
#   OCSP with a nonce (every answer signed) for reference;
#   time-stamps per second: http_fuzz load against POST /tsa, next to
#   `openssl ts -reply` in a loop (one loop per core) with the same key.
#
# Usage: bench/bench_serve.sh [SECONDS per run, default 10]
#        bench/bench_serve.sh [SECONDS] --against REV [--rounds N]
# The second form compares this tree's `sertel serve` with the one built
# from git revision REV (e.g. the commit before a change to lib/http): both
# serve copies of the same home at once, and wrk runs against them in
# turns (old/new, then new/old, N rounds, default 5) for cached OCSP POST
# with keep-alive and with a new connection per request; it prints the
# median of each and the ratio new/old. When valgrind is installed it also
# counts, with callgrind, the instructions the server's threads other than
# the main one execute per answer: over 20,000 keep-alive OCSP POSTs (8
# connections), and over 10 s of POSTs with a new connection each (wrk
# -c8): figures that other processes on the machine cannot disturb.
# Installs wrk and nginx with apt-get when missing. Everything listens on
# 127.0.0.1, except `openssl ocsp -port`, which cannot be told an address.
# All load comes from one address, so sertel runs with --per-ip-limit 0.
set -u
cd "$(dirname "$0")/.."
DUR=10
AGAINST=""
ROUNDS=5
while [ $# -gt 0 ]; do
    case $1 in
    --against) AGAINST=${2:?--against needs a git revision}; shift 2 ;;
    --rounds) ROUNDS=${2:?--rounds needs a number}; shift 2 ;;
    *) DUR=$1; shift ;;
    esac
done
CORES=$(nproc)
WRK_T=$CORES
WRK_C=64

missing=""
for c in wrk nginx; do command -v "$c" >/dev/null 2>&1 || missing="$missing $c"; done
if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    echo "installing:$missing"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null ||
        { echo "bench_serve: cannot install$missing" >&2; exit 2; }
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

B=build-bench-serve
cmake -S . -B $B -DCMAKE_BUILD_TYPE=Release -DSERTEL_TESTS=ON >/dev/null || exit 2
cmake --build $B -j"$CORES" --target sertel http_fuzz >/dev/null || exit 2
SERTEL=$PWD/$B/sertel
FUZZ=$PWD/$B/http_fuzz

W=$(mktemp -d /var/tmp/sertel-bench-serve-XXXXXX)
chmod 755 "$W" # nginx workers (user nobody when run as root) read $W/www
PIDS=""
NPID=""
cleanup() {
    local p
    # nginx's master stops its workers on TERM (KILL would orphan them)
    [ -n "$NPID" ] && kill -TERM "$NPID" 2>/dev/null && sleep 0.5
    for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() { # PORT: wait until something accepts there
    local i
    for i in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

PS=$("$FUZZ" free-port)
PN=$("$FUZZ" free-port)
PO=$("$FUZZ" free-port)
while [ "$PN" = "$PS" ]; do PN=$("$FUZZ" free-port); done
while [ "$PO" = "$PS" ] || [ "$PO" = "$PN" ]; do PO=$("$FUZZ" free-port); done

# --- a home, a certificate, requests ------------------------------------------
H=$W/home
printf 'correct horse battery staple\n' >"$W/pw"
"$SERTEL" --home "$H" init --admin-password-file "$W/pw" --base-url "http://127.0.0.1:$PS" </dev/null >/dev/null || exit 2
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/leaf.key" 2>/dev/null
openssl req -new -key "$W/leaf.key" -out "$W/leaf.csr" -subj "/C=ID/O=Kementerian Contoh/CN=Pegawai Contoh" \
    -addext "subjectAltName=email:pegawai@contoh.go.id" 2>/dev/null
"$SERTEL" --home "$H" cert issue --csr "$W/leaf.csr" --profile document-signing >"$W/leaf.pem" || exit 2
"$SERTEL" --home "$H" ca export --issuing >"$W/issuing.pem"
"$SERTEL" --home "$H" ca export --root >"$W/root.pem"
"$SERTEL" --home "$H" ca export --ocsp >"$W/ocsp.pem"
"$SERTEL" --home "$H" ca export --tsa >"$W/tsa.pem"
cat "$W/issuing.pem" "$W/root.pem" >"$W/chain.pem"
openssl ocsp -issuer "$W/issuing.pem" -cert "$W/leaf.pem" -no_nonce -reqout "$W/req.der" >/dev/null 2>&1
openssl ocsp -issuer "$W/issuing.pem" -cert "$W/leaf.pem" -reqout "$W/nreq.der" >/dev/null 2>&1
ENC=$(base64 -w0 "$W/req.der" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g')
printf 'Surat Keputusan Nomor 1/2025\n' >"$W/doc.txt"
openssl ts -query -data "$W/doc.txt" -sha256 -cert -out "$W/q.tsq" 2>/dev/null

# The same OCSP and TSA keys for OpenSSL's responders: the software
# keystore's passphrase is the hex of private/master.key.
mkdir -m 700 "$W/keys"
MK=$(od -An -tx1 "$H/private/master.key" | tr -d ' \n')
openssl pkey -in "$H/keys/ocsp.key" -passin "pass:$MK" -out "$W/keys/ocsp.key" || exit 2
openssl pkey -in "$H/keys/tsa.key" -passin "pass:$MK" -out "$W/keys/tsa.key" || exit 2
MK=""

# --- sertel serve -----------------------------------------------------------------
[ -n "$AGAINST" ] && cp -a "$H" "$W/home-old"
"$SERTEL" --home "$H" serve --listen "127.0.0.1:$PS" --per-ip-limit 0 >"$W/serve.out" 2>"$W/serve.err" &
SPID=$!
PIDS="$PIDS $SPID"
wait_port "$PS" || { echo "sertel serve did not start: $(cat "$W/serve.err")"; exit 2; }
curl -s -o "$W/resp.der" -H 'Content-Type: application/ocsp-request' --data-binary @"$W/req.der" "http://127.0.0.1:$PS/ocsp"
openssl ocsp -respin "$W/resp.der" -issuer "$W/issuing.pem" -cert "$W/leaf.pem" -CAfile "$W/chain.pem" 2>&1 | grep -q ': good' ||
    { echo "sertel's OCSP answer does not verify"; exit 2; }
SZ=$(stat -c %s "$W/resp.der")

# wrk sends a plain GET when the script fails: the script exits instead,
# and every sertel run is checked against the server's own 2xx count.
export BODY=$W/req.der
cat >"$W/post.lua" <<'LUA'
local path = os.getenv("BODY")
if path == nil then io.stderr:write("post.lua: BODY is not set\n") os.exit(2) end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/ocsp-request"
local f = assert(io.open(path, "rb"))
wrk.body = f:read("*a")
f:close()
LUA

# --- old binary against new, interleaved (--against) ---------------------------
# Per run: responses/s (wrk) and the server's CPU time per answer (utime +
# stime from /proc/PID/stat over the run, divided by the answers), which a
# busy machine disturbs much less than throughput. Per mode: the median of
# each, and the median of the per-round ratios (each round's old and new
# runs are adjacent in time, so slow drifts in machine load cancel).
if [ -n "$AGAINST" ]; then
    OLD_SRC=$W/old-src
    mkdir -p "$OLD_SRC"
    git archive "$AGAINST" | tar -x -C "$OLD_SRC" || { echo "cannot export $AGAINST"; exit 2; }
    cmake -S "$OLD_SRC" -B "$OLD_SRC/build" -DCMAKE_BUILD_TYPE=Release -DSERTEL_TESTS=OFF >/dev/null || exit 2
    cmake --build "$OLD_SRC/build" -j"$CORES" --target sertel >/dev/null || exit 2
    PA=$("$FUZZ" free-port)
    while [ "$PA" = "$PS" ]; do PA=$("$FUZZ" free-port); done
    "$OLD_SRC/build/sertel" --home "$W/home-old" serve --listen "127.0.0.1:$PA" --per-ip-limit 0 \
        >"$W/old.out" 2>"$W/old.err" &
    APID=$!
    PIDS="$PIDS $APID"
    wait_port "$PA" || { echo "old sertel serve did not start: $(cat "$W/old.err")"; exit 2; }
    TCK=$(getconf CLK_TCK)
    echo "machine:  $CORES cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "old:      $(git rev-parse --short "$AGAINST") ($(git log -1 --format=%s "$AGAINST" | cut -c1-60))"
    echo "new:      this tree ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- lib src || echo ', modified'))"
    echo "load:     wrk -t$WRK_T -c$WRK_C -d${DUR}s, cached OCSP POST, $ROUNDS rounds, order old/new then new/old"
    echo
    cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
    # ab PID PORT wrk-args...: one run; prints "responses/s cpu-us-per-answer"
    ab() {
        local pid=$1 port=$2 t0 t1 n
        shift 2
        t0=$(cpu_ticks "$pid")
        timeout -s KILL $((DUR + 10)) wrk -t$WRK_T -c$WRK_C -d"${DUR}s" -s "$W/post.lua" "$@" \
            "http://127.0.0.1:$port/ocsp" >"$W/ab.out" 2>&1
        t1=$(cpu_ticks "$pid")
        if grep -q 'Non-2xx\|Socket errors' "$W/ab.out"; then
            echo "  note: $(grep 'Non-2xx\|Socket errors' "$W/ab.out" | tr -s ' ' | tr '\n' ' ')" >&2
        fi
        n=$(awk '/requests in/ {print $1}' "$W/ab.out")
        awk -v n="${n:-0}" -v t=$((t1 - t0)) -v hz="$TCK" '/^Requests\/sec:/ {
            printf "%.0f %.2f", $2, (n > 0 ? t * 1e6 / hz / n : 0) }' "$W/ab.out"
    }
    median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m}'; }
    echo "| connections | statistic | old (runs) | new (runs) | old median | new median | new / old (median of the rounds' ratios) |"
    echo "|---|---|---|---|---:|---:|---:|"
    for mode in keep-alive close; do
        OR="" NR="" OC="" NC="" RR="" RC=""
        extra=()
        [ $mode = close ] && extra=(-H "Connection: close")
        for r in $(seq "$ROUNDS"); do
            if [ $((r % 2)) = 1 ]; then
                read -r o_r o_c <<<"$(ab "$APID" "$PA" "${extra[@]}")"
                read -r n_r n_c <<<"$(ab "$SPID" "$PS" "${extra[@]}")"
            else
                read -r n_r n_c <<<"$(ab "$SPID" "$PS" "${extra[@]}")"
                read -r o_r o_c <<<"$(ab "$APID" "$PA" "${extra[@]}")"
            fi
            OR="$OR $o_r" NR="$NR $n_r" OC="$OC $o_c" NC="$NC $n_c"
            RR="$RR $(awk -v a="$n_r" -v b="$o_r" 'BEGIN {if (b > 0) printf "%.4f", a / b}')"
            RC="$RC $(awk -v a="$n_c" -v b="$o_c" 'BEGIN {if (b > 0) printf "%.4f", a / b}')"
        done
        label=$mode
        [ $mode = close ] && label="new connection each"
        printf '| %s | responses/s |%s |%s | %.0f | %.0f | %.3f |\n' "$label" "$OR" "$NR" \
            "$(echo "$OR" | median)" "$(echo "$NR" | median)" "$(echo "$RR" | median)"
        printf '| %s | server CPU µs per answer |%s |%s | %.2f | %.2f | %.3f |\n' "$label" "$OC" "$NC" \
            "$(echo "$OC" | median)" "$(echo "$NC" | median)" "$(echo "$RC" | median)"
    done
    kill -TERM "$APID" "$SPID"
    wait "$APID" "$SPID" 2>/dev/null
    if command -v valgrind >/dev/null 2>&1; then
        CGN=20000
        # instr BIN HOME MODE: instructions per answer outside the main thread
        # (startup and the once-a-second refresh run on the main thread)
        instr() {
            local port pid i n
            port=$("$FUZZ" free-port)
            valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$W/cg.%p" \
                "$1" --home "$2" serve --listen "127.0.0.1:$port" --threads 2 --per-ip-limit 0 \
                >"$W/cg.out" 2>"$W/cg.err" &
            pid=$!
            for i in $(seq 600); do
                grep -q '^listening on' "$W/cg.out" && break
                sleep 0.1
            done
            if [ "$3" = keep-alive ]; then
                "$FUZZ" load --port "$port" --conns 8 --count $CGN --body "$W/req.der" --max-seconds 900 >"$W/cg.load" 2>&1
                grep -q "complete $CGN " "$W/cg.load" || echo "  note: $(cat "$W/cg.load")" >&2
                n=$CGN
            else
                wrk -t1 -c8 -d10s -H "Connection: close" -s "$W/post.lua" "http://127.0.0.1:$port/ocsp" >"$W/cg.load" 2>&1
                n=$(awk '/requests in/ {print $1}' "$W/cg.load")
            fi
            kill -TERM "$pid"
            wait "$pid" 2>/dev/null
            for f in "$W/cg.$pid"-*; do
                case $f in *-01) continue ;; esac
                grep -m1 -E '^(summary|totals):' "$f" | awk '{print $2}'
            done | awk -v n="${n:-0}" '{s += $1} END {if (n > 0) printf "%.0f %d", s / n, n}'
            rm -f "$W/cg.$pid"-*
        }
        echo
        echo "| callgrind: instructions per answer, server threads but the main one | old | new | new / old |"
        echo "|---|---:|---:|---:|"
        for mode in keep-alive close; do
            read -r IO NO <<<"$(instr "$OLD_SRC/build/sertel" "$W/home-old" $mode)"
            read -r IN NN <<<"$(instr "$SERTEL" "$H" $mode)"
            label="$CGN keep-alive OCSP POSTs"
            [ $mode = close ] && label="OCSP POSTs, new connection each ($NO old, $NN new answers)"
            echo "| $label | $IO | $IN | $(awk -v a="$IN" -v b="$IO" 'BEGIN {printf "%.3f", a / b}') |"
        done
    fi
    exit 0
fi

# --- nginx: a static file of the same size ---------------------------------------
mkdir -p "$W/www" "$W/nginx/tmp"
cp "$W/resp.der" "$W/www/ocsp.der"
chmod 644 "$W/www/ocsp.der"
chmod 755 "$W/www"
cat >"$W/nginx/nginx.conf" <<NGX
worker_processes $CORES;
daemon off;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    # for an 800-byte file read + writev beat sendfile here (95k vs 83k/s)
    sendfile off;
    tcp_nodelay on;
    keepalive_requests 100000000;
    open_file_cache max=16 inactive=60s;
    client_body_temp_path $W/nginx/tmp/body;
    proxy_temp_path $W/nginx/tmp/proxy;
    fastcgi_temp_path $W/nginx/tmp/fastcgi;
    uwsgi_temp_path $W/nginx/tmp/uwsgi;
    scgi_temp_path $W/nginx/tmp/scgi;
    types { application/ocsp-response der; }
    server {
        listen 127.0.0.1:$PN;
        root $W/www;
    }
}
NGX
"$NGINX" -e "$W/nginx/error.log" -p "$W/nginx" -c "$W/nginx/nginx.conf" >"$W/nginx/out" 2>&1 </dev/null &
NPID=$!
wait_port "$PN" || { echo "nginx did not start: $(cat "$W/nginx/error.log")"; exit 2; }

# --- openssl ocsp: index from the home's certificates -------------------------------
# (UTCTime YYMMDDHHMMSSZ; serials as BN_bn2hex prints them: whole bytes)
sqlite3 -separator "$(printf '\t')" "file:$H/sertel.db?mode=ro" \
    "SELECT CASE status WHEN 'valid' THEN 'V' ELSE 'R' END,
            substr(strftime('%Y%m%d%H%M%SZ', not_after, 'unixepoch'), 3),
            CASE WHEN revoked_at IS NULL THEN '' ELSE substr(strftime('%Y%m%d%H%M%SZ', revoked_at, 'unixepoch'), 3) END,
            CASE WHEN length(serial) % 2 = 1 THEN '0' || upper(serial) ELSE upper(serial) END,
            'unknown', subject
     FROM certificates WHERE issuer = 'issuing'" >"$W/index.txt"
OPENSSL_MULTI=""
[ "$CORES" -gt 1 ] && OPENSSL_MULTI="-multi $CORES"
start_openssl_ocsp() {
    # shellcheck disable=SC2086
    openssl ocsp -index "$W/index.txt" -port "$PO" -rsigner "$W/ocsp.pem" -rkey "$W/keys/ocsp.key" \
        -CA "$W/issuing.pem" -ndays 1 $OPENSSL_MULTI >"$W/ossl.out" 2>"$W/ossl.err" &
    OPID=$!
    PIDS="$PIDS $OPID"
    wait_port "$PO"
}
stop_openssl_ocsp() {
    pkill -KILL -P "$OPID" 2>/dev/null
    kill -KILL "$OPID" 2>/dev/null
    wait "$OPID" 2>/dev/null
}
start_openssl_ocsp || { echo "openssl ocsp did not start: $(cat "$W/ossl.err")"; exit 2; }
openssl ocsp -issuer "$W/issuing.pem" -cert "$W/leaf.pem" -url "http://127.0.0.1:$PO" -CAfile "$W/chain.pem" \
    -no_nonce -timeout 5 >"$W/ossl.check" 2>&1
grep -q ': good' "$W/ossl.check" || echo "note: openssl ocsp's own answer did not check out: $(cat "$W/ossl.check")"
OSZ=$(curl -s -m 5 -H 'Content-Type: application/ocsp-request' --data-binary @"$W/req.der" "http://127.0.0.1:$PO/" | wc -c)
stop_openssl_ocsp

# --- runs ------------------------------------------------------------------------------
ROWS=()
NGINX_KA=0
NGINX_CL=0

# Successful OCSP answers sertel has counted (its /metrics).
served_2xx() {
    curl -s -m 5 "http://127.0.0.1:$PS/metrics" |
        awk '/^sertel_http_requests_total\{route="ocsp(_get)?",code="2xx"\}/ {n += $2} END {print n + 0}'
}

# run LABEL REQ CONN TIMEOUT wrk-args...: one wrk run; appends a table row.
run() {
    local label=$1 req=$2 conn=$3 bound=$4 rps non2xx errs total note="" before after
    shift 4
    before=$(served_2xx)
    timeout -s KILL "$bound" wrk "$@" >"$W/wrk.out" 2>&1
    local rc=$?
    after=$(served_2xx)
    rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$W/wrk.out")
    total=$(awk '/requests in/ {print $1}' "$W/wrk.out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$W/wrk.out")
    errs=$(grep 'Socket errors' "$W/wrk.out" | sed 's/^ *Socket errors: //')
    [ $rc = 137 ] && note="wrk killed after ${bound}s (no answer); "
    [ -z "$rps" ] && rps=0
    [ -n "$non2xx" ] && note="${note}non-2xx $non2xx; "
    [ -n "$errs" ] && note="${note}socket errors: $errs; "
    [ -n "$total" ] && note="${note}$total answers"
    case "$label" in
    sertel*) note="$note, sertel counted $((after - before)) OCSP 2xx" ;;
    esac
    ROWS+=("$label|$req|$conn|$rps|$note")
    printf '  %-28s %-22s %-12s %8s/s  %s\n' "$label" "$req" "$conn" "$rps" "$note"
    LAST=$rps
}

echo "machine:  $CORES cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "software: $(openssl version | cut -d' ' -f1-2), nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), libmicrohttpd $(pkg-config --modversion libmicrohttpd), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "load:     wrk -t$WRK_T -c$WRK_C -d${DUR}s on the same machine; OCSP answer $SZ bytes (openssl ocsp's: $OSZ bytes)"
echo

KA="keep-alive"
CL="new connection each"
echo "== OCSP, cached answers"
run "nginx (static file)" "GET $SZ B" "$KA" $((DUR + 10)) -t$WRK_T -c$WRK_C -d"${DUR}s" "http://127.0.0.1:$PN/ocsp.der"
NGINX_KA=$LAST
run "sertel serve" "GET /ocsp/<b64>" "$KA" $((DUR + 10)) -t$WRK_T -c$WRK_C -d"${DUR}s" "http://127.0.0.1:$PS/ocsp/$ENC"
run "sertel serve" "POST /ocsp" "$KA" $((DUR + 10)) -t$WRK_T -c$WRK_C -d"${DUR}s" -s "$W/post.lua" "http://127.0.0.1:$PS/ocsp"
start_openssl_ocsp
run "openssl ocsp -index${OPENSSL_MULTI:+ $OPENSSL_MULTI}" "POST /" "$KA" $((DUR + 10)) -t$WRK_T -c$WRK_C -d"${DUR}s" -s "$W/post.lua" "http://127.0.0.1:$PO/"
stop_openssl_ocsp
run "nginx (static file)" "GET $SZ B" "$CL" $((DUR + 10)) -t$WRK_T -c$WRK_C -d"${DUR}s" -H "Connection: close" "http://127.0.0.1:$PN/ocsp.der"
NGINX_CL=$LAST
run "sertel serve" "GET /ocsp/<b64>" "$CL" $((DUR + 10)) -t$WRK_T -c$WRK_C -d"${DUR}s" -H "Connection: close" "http://127.0.0.1:$PS/ocsp/$ENC"
run "sertel serve" "POST /ocsp" "$CL" $((DUR + 10)) -t$WRK_T -c$WRK_C -d"${DUR}s" -H "Connection: close" -s "$W/post.lua" "http://127.0.0.1:$PS/ocsp"
start_openssl_ocsp
run "openssl ocsp -index${OPENSSL_MULTI:+ $OPENSSL_MULTI}" "POST /" "$CL" $((DUR + 10)) -t$WRK_T -c$WRK_C -d"${DUR}s" -H "Connection: close" -s "$W/post.lua" "http://127.0.0.1:$PO/"
stop_openssl_ocsp

# wrk gets nothing from OpenSSL's responder (it answers HTTP/1.0 and
# closes); http_fuzz load reconnects when told to close, so it measures
# both responders the same way.
echo
echo "== OCSP, cached answers, http_fuzz load ($((CORES * 4)) clients, each reconnects when the server closes)"
# loadrun LABEL PORT PATH: appends a table row
loadrun() {
    timeout -s KILL $((DUR + 10)) "$FUZZ" load --port "$2" --path "$3" --conns $((CORES * 4)) --count 100000000 \
        --max-seconds "$DUR" --body "$W/req.der" >"$W/load.out" 2>&1
    local rps
    rps=$(sed -n 's/.*: \([0-9]*\) requests\/s/\1/p' "$W/load.out")
    printf '  %-28s %s\n' "$1" "$(cat "$W/load.out")"
    ROWS+=("$1|POST $3 (http_fuzz)|$((CORES * 4)) clients|${rps:-0}|$(sed 's/ in .*//' "$W/load.out")")
}
loadrun "sertel serve" "$PS" /ocsp
start_openssl_ocsp
loadrun "openssl ocsp -index${OPENSSL_MULTI:+ $OPENSSL_MULTI}" "$PO" /
stop_openssl_ocsp
stop_openssl_ocsp
OPENSSL_MULTI=""
start_openssl_ocsp
loadrun "openssl ocsp -index" "$PO" /
stop_openssl_ocsp
echo
echo "== OCSP with a nonce (every answer signed)"
BODY=$W/nreq.der run "sertel serve" "POST /ocsp + nonce" "$KA" $((DUR + 10)) -t$WRK_T -c$WRK_C -d"${DUR}s" -s "$W/post.lua" "http://127.0.0.1:$PS/ocsp"

echo
echo "== time-stamps"
"$FUZZ" load --port "$PS" --path /tsa --content-type application/timestamp-query --check tsa \
    --conns $((CORES * 4)) --count 100000000 --max-seconds "$DUR" --body "$W/q.tsq" >"$W/tsa.out" 2>&1
TSA_RPS=$(sed -n 's/.*: \([0-9]*\) requests\/s/\1/p' "$W/tsa.out")
printf '  %-28s %s\n' "sertel serve POST /tsa" "$(cat "$W/tsa.out")"
ROWS+=("sertel serve|POST /tsa|$KA, $((CORES * 4)) clients|${TSA_RPS:-0}|$(sed 's/ in .*//' "$W/tsa.out")")

mkdir -p "$W/ots"
echo 01 >"$W/ots/serial"
cat >"$W/ots/tsa.cnf" <<CNF
[tsa]
default_tsa = tsa_config
[tsa_config]
dir = $W/ots
serial = \$dir/serial
crypto_device = builtin
signer_cert = $W/tsa.pem
certs = $W/chain.pem
signer_key = $W/keys/tsa.key
signer_digest = sha256
default_policy = 2.999.1.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
openssl ts -reply -config "$W/ots/tsa.cnf" -queryfile "$W/q.tsq" -out "$W/ots/check.tsr" 2>"$W/ots/err" &&
    openssl ts -verify -data "$W/doc.txt" -in "$W/ots/check.tsr" -CAfile "$W/root.pem" -untrusted "$W/issuing.pem" 2>&1 | grep -q OK ||
    echo "note: openssl ts -reply's token did not verify: $(cat "$W/ots/err")"
# One loop per core; each process signs one stamp (the serial file is
# shared, so the loops use their own copies of the configuration).
ots_loop() {
    local i=$1 n=0 end
    mkdir -p "$W/ots/$i"
    echo "0$i" >"$W/ots/$i/serial"
    sed "s|^dir = .*|dir = $W/ots/$i|" "$W/ots/tsa.cnf" >"$W/ots/$i/tsa.cnf"
    end=$(($(date +%s%N) + DUR * 1000000000))
    while [ "$(date +%s%N)" -lt $end ]; do
        openssl ts -reply -config "$W/ots/$i/tsa.cnf" -queryfile "$W/q.tsq" -out /dev/null 2>/dev/null && n=$((n + 1))
    done
    echo $n >"$W/ots/$i/count"
}
for i in $(seq "$CORES"); do ots_loop "$i" & done
wait $(jobs -p | grep -v -w -e "$SPID" -e "$NPID") 2>/dev/null
OTS=0
for i in $(seq "$CORES"); do OTS=$((OTS + $(cat "$W/ots/$i/count" 2>/dev/null || echo 0))); done
OTS_RPS=$(awk -v n=$OTS -v d="$DUR" 'BEGIN {printf "%.0f", n / d}')
printf '  %-28s %s stamps in %ss: %s/s\n' "openssl ts -reply loop x$CORES" "$OTS" "$DUR" "$OTS_RPS"
ROWS+=("openssl ts -reply (one process per stamp)|query file|$CORES loops|$OTS_RPS|$OTS stamps")

# --- the table ------------------------------------------------------------------------
echo
echo "| server | request | connections | responses/s | vs nginx | notes |"
echo "|---|---|---|---:|---:|---|"
for r in "${ROWS[@]}"; do
    IFS='|' read -r label req conn rps note <<<"$r"
    ratio="-"
    case "$req" in
    GET*|POST\ /ocsp|POST\ /)
        base=$NGINX_KA
        [ "$conn" = "$CL" ] && base=$NGINX_CL
        [ "$base" -gt 0 ] && ratio=$(awk -v a="$rps" -v b="$base" 'BEGIN {printf "%.2f", a / b}')
        ;;
    esac
    echo "| $label | $req | $conn | $rps | $ratio | $note |"
done
echo
kill -TERM "$SPID"
wait "$SPID"
echo "sertel serve exit status after SIGTERM: $?"
