# lib.sh - helpers for the end-to-end tests: each test runs the real
# `sertel` binary ($SERTEL, set by ctest) and checks its output with
# independent tools (openssl, sqlite3, jq).
set -u

: "${SERTEL:?run through ctest, which sets SERTEL}"
# A run under another locale (ctest's *.id_ID tests) needs that locale made.
if [ -n "${SERTEL_E2E_LOCALE:-}" ] &&
    ! locale -a 2>/dev/null | grep -qix "$(echo "$SERTEL_E2E_LOCALE" | sed 's/UTF-8/utf-\\?8/I')"; then
    echo "the locale $SERTEL_E2E_LOCALE is missing: run scripts/install-deps.sh (it makes it)"
    exit 1
fi
# ctest hands a terminal to the tests when run from one, and sertel asks for
# passphrases and passwords on a terminal: no test may wait for a person.
# Tests that type into a terminal make their own (tests/e2e/test_cli.sh).
exec </dev/null
T=$(mktemp -d "${TMPDIR:-/tmp}/sertel-e2e-XXXXXX")
# Background processes a test starts (servers, relays) are killed when it
# ends, whatever happens; then its directory is removed.
BG_PIDS=""
lib_exit() {
    local p
    for p in $BG_PIDS; do
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$T"
}
trap lib_exit EXIT
bg_track() { BG_PIDS="$BG_PIDS $1"; }
FAILS=0
PASSES=0

pass() { PASSES=$((PASSES + 1)); echo "ok - $*"; }
fail() { FAILS=$((FAILS + 1)); echo "NOT OK - $*"; }

# expect_exit CODE DESCRIPTION -- command...: run, compare exit status.
# The command's stdout/stderr are kept in $T/out and $T/err.
expect_exit() {
    local want=$1 desc=$2
    shift 3
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    if [ "$got" = "$want" ]; then
        pass "$desc (exit $got)"
    else
        fail "$desc: exit $got, wanted $want; stderr: $(head -c 600 "$T/err")"
    fi
}

# expect_grep PATTERN FILE DESCRIPTION
expect_grep() {
    if grep -Eq -- "$1" "$2"; then pass "$3"; else fail "$3: /$1/ not in $(head -c 600 "$2")"; fi
}

expect_no_grep() {
    if grep -Eq -- "$1" "$2"; then fail "$3: /$1/ found"; else pass "$3"; fi
}

# new_home DIR [extra init options]: a fresh home with a known admin password.
new_home() {
    local h=$1
    shift
    printf 'correct horse battery staple\n' >"$T/adminpw"
    "$SERTEL" --home "$h" init --admin-password-file "$T/adminpw" "$@" </dev/null >"$T/init.out" 2>"$T/init.err" ||
        { echo "init failed: $(cat "$T/init.err")"; exit 1; }
}

# make_csr KEYTYPE NAME OUT [subject] : key + CSR with e-mail SAN.
make_csr() {
    local kt=$1 name=$2 out=$3
    local subj=${4:-"/C=ID/O=Kementerian Contoh/OU=Biro Umum/CN=$name"}
    case $kt in
    ec-p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out.key" 2>/dev/null ;;
    ec-p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$out.key" 2>/dev/null ;;
    rsa-*) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:${kt#rsa-} -out "$out.key" 2>/dev/null ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$out.key" 2>/dev/null ;;
    esac
    openssl req -new -key "$out.key" -out "$out.csr" -subj "$subj" \
        -addext "subjectAltName=email:$(echo "$name" | tr 'A-Z ' 'a-z.')@contoh.go.id" 2>/dev/null
}

# start_serve NAME HOME SERVE-ARGS...: `sertel --home HOME serve ARGS` in
# the background, waiting (15 s at most) for its "listening on" line.
# Output in $T/NAME.out and $T/NAME.err; its pid in SERVE_PID (killed when
# the test ends). Returns 1, saying why, when the server does not start.
start_serve() {
    local name=$1 home=$2 i
    shift 2
    "$SERTEL" --home "$home" serve "$@" >"$T/$name.out" 2>"$T/$name.err" &
    SERVE_PID=$!
    bg_track "$SERVE_PID"
    for i in $(seq 150); do
        grep -Eq '^listening on https?://' "$T/$name.out" && return 0
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "server $name did not start: $(cat "$T/$name.err")"
    return 1
}

# make_signers HOME NAME:KEYTYPE...: for each, a key and certificate issued
# by HOME (profile document-signing) and $T/NAME.p12 holding them with the
# issuing CA and the root (password in $T/p12pw). Also writes $T/root.pem,
# $T/issuing.pem and $T/chain.pem (issuing + root).
make_signers() {
    local h=$1 who n kt
    shift
    "$SERTEL" --home "$h" ca export --root >"$T/root.pem"
    "$SERTEL" --home "$h" ca export --issuing >"$T/issuing.pem"
    cat "$T/issuing.pem" "$T/root.pem" >"$T/chain.pem"
    printf 'p12 secret\n' >"$T/p12pw"
    for who in "$@"; do
        n=${who%%:*} kt=${who#*:}
        make_csr "$kt" "$n" "$T/$n"
        "$SERTEL" --home "$h" cert issue --csr "$T/$n.csr" --profile document-signing >"$T/$n.crt" ||
            { echo "issue for $n failed"; exit 1; }
        openssl pkcs12 -export -inkey "$T/$n.key" -in "$T/$n.crt" -certfile "$T/chain.pem" \
            -passout file:"$T/p12pw" -out "$T/$n.p12"
    done
}

# make_nss DIR ROOT.pem: an NSS database (for pdfsig) trusting only ROOT.
make_nss() {
    mkdir -p "$1"
    certutil -N -d sql:"$1" --empty-password
    certutil -A -d sql:"$1" -n root -t "CT,C,C" -i "$2"
}

# Snapshot of a home's durable content (certificates and audit entries).
home_state() {
    sqlite3 "file:$1/sertel.db?mode=ro" \
        "SELECT count(*), coalesce(max(seq),0) FROM audit_log; SELECT count(*) FROM certificates;" 2>&1 | tr '\n' ' '
}

finish() {
    echo "$PASSES passed, $FAILS failed"
    [ "$FAILS" = 0 ]
}

# mail_in HOME ADDR: the newest mail in HOME's outbox addressed to ADDR.
mail_in() {
    grep -l "^To: $2" $(ls -r "$1"/outbox/*.eml 2>/dev/null) 2>/dev/null | head -1
}
# token_of MAILFILE: the first 64-hex-digit token in a mail.
token_of() { grep -ho '^  [0-9a-f]\{64\}' "$1" | head -1 | tr -d ' '; }

# fast_kdf HOME: the passphrase KDF at its documented minimum (19 MiB, 2 passes), for tests.
fast_kdf() {
    sed -i 's/^argon2_memory_kib = .*/argon2_memory_kib = 19456/; s/^argon2_passes = .*/argon2_passes = 2/' "$1/sertel.conf"
}

# Commands that make something (agency add, register, apply, passphrase create ...) say so in a
# sentence; with --quiet they print only the new id or serial: capture that.
#
# new_owner HOME AGENCY_ID NAME NIK EMAIL PASSFILE: register, confirm, apply
# (tests/data letter and e-KTP), approve as the local administrator, create
# the passphrase (from PASSFILE). Prints the certificate's serial.
new_owner() {
    local h=$1 ag=$2 name=$3 nik=$4 email=$5 pf=$6 tok app
    "$SERTEL" --home "$h" register --agency "$ag" --name "$name" --nik "$nik" --email "$email" \
        --unit "Biro Umum" --position "Analis" >/dev/null || return 1
    tok=$(token_of "$(mail_in "$h" "$email")")
    "$SERTEL" --home "$h" email confirm --token "$tok" >/dev/null || return 1
    app=$("$SERTEL" --home "$h" apply issuance --email "$email" --letter "$SERTEL_TEST_DATA/letter.pdf" \
        --ktp "$SERTEL_TEST_DATA/ktp.jpg" --quiet) || return 1
    "$SERTEL" --home "$h" review approve "$app" >/dev/null || return 1
    tok=$(token_of "$(mail_in "$h" "$email")")
    "$SERTEL" --home "$h" passphrase create --token "$tok" --passphrase-file "$pf" --quiet
}

# totp_now SECRET_BASE32 [OFFSET_STEPS]: the current RFC 6238 code (SHA-1, 6 digits).
totp_now() {
    python3 - "$1" "${2:-0}" <<'PY'
import base64, hmac, hashlib, struct, sys, time
s = sys.argv[1].upper(); s += "=" * (-len(s) % 8)
key = base64.b32decode(s)
c = int(time.time()) // 30 + int(sys.argv[2])
h = hmac.new(key, struct.pack(">Q", c), hashlib.sha1).digest()
o = h[-1] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000))
PY
}
