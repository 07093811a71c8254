#!/bin/bash
# End-to-end: an output never destroys what it lands on (lib/util/fs.c,
# fs_output_open). For every command that writes a file - sign (PAdES B-B
# and B-LTA), sign --detached, crl --out (issuing and --root), timestamp
# --out - the output is, in turn:
#   a character device (mknod c 1 3 in the test's directory when root, else
#   /dev/null itself): written into, still a character device afterwards;
#   a FIFO with a reader: the reader receives the bytes, valid to openssl /
#   qpdf, and the FIFO is still a FIFO;
#   -: the bytes on stdout, the same as the file form (byte for byte where
#   the command is deterministic, else valid to the same tools);
#   a symbolic link: refused with "is a symbolic link", the link and its
#   target unchanged;
#   a directory: refused with "is a directory", left empty.
# Intermediate files of B-LTA go to $TMPDIR when the output is not a file,
# never next to a device, and none remain. serve's access log (appended to)
# is not opened through a link either.
. "$(dirname "$0")/lib.sh"
D=${SERTEL_TEST_DATA:?}
for tool in qpdf openssl; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

H=$T/home
new_home "$H"
make_signers "$H" budi:ec-p256 siti:rsa-2048
L=$D/letter.pdf
printf 'Nota dinas nomor 12\n' >"$T/nota.txt"
mkdir -p "$T/tmp"
export TMPDIR=$T/tmp
cd "$T" || exit 1 # a stray file named - (the old behaviour) lands here

# One writer per command; $1 is the output.
w_pdf() { "$SERTEL" --home "$H" sign --p12 "$T/budi.p12" --p12-password-file "$T/p12pw" "$L" "$1"; }
w_lta() { "$SERTEL" --home "$H" sign --p12 "$T/budi.p12" --p12-password-file "$T/p12pw" --level B-LTA "$L" "$1"; }
# RSA PKCS#1 v1.5 and no signing-time: the detached signature is the same bytes every time.
w_p7s() { "$SERTEL" --home "$H" sign --detached --p12 "$T/siti.p12" --p12-password-file "$T/p12pw" "$T/nota.txt" "$1"; }
w_crl() { "$SERTEL" --home "$H" crl --out "$1"; }
w_rootcrl() { "$SERTEL" --home "$H" crl --root --out "$1"; }
w_ts() { "$SERTEL" --home "$H" timestamp "$T/nota.txt" --out "$1"; }

# valid KIND FILE: an independent tool accepts the bytes.
valid() {
    case $1 in
    pdf | lta)
        cmp -s -n "$(stat -c %s "$L")" "$L" "$2" && [ "$(stat -c %s "$2")" -gt "$(stat -c %s "$L")" ] &&
            qpdf --check "$2" >/dev/null 2>&1
        ;;
    p7s)
        openssl cms -verify -binary -inform DER -in "$2" -content "$T/nota.txt" -CAfile "$T/root.pem" \
            -out /dev/null >/dev/null 2>&1
        ;;
    crl)
        openssl crl -inform DER -in "$2" -noout -CAfile "$T/chain.pem" >/dev/null 2>&1 &&
            openssl crl -inform DER -in "$2" -noout -issuer | grep -q "Issuing"
        ;;
    rootcrl)
        openssl crl -inform DER -in "$2" -noout -CAfile "$T/root.pem" >/dev/null 2>&1 &&
            openssl crl -inform DER -in "$2" -noout -issuer | grep -q "Root"
        ;;
    ts) openssl ts -reply -in "$2" -text 2>/dev/null | grep -q '^Status: Granted' ;;
    esac
}

mkdir -p "$T/dev"
if [ "$(id -u)" = 0 ]; then
    mknod "$T/dev/null" c 1 3
    DEVNULL=$T/dev/null
else
    DEVNULL=/dev/null # a non-root run cannot replace it, and it is what users type
fi
deterministic="p7s"

for k in pdf lta p7s crl rootcrl ts; do
    # The file form first: the reference for the others.
    expect_exit 0 "$k: to a regular file" -- w_$k "$T/$k.ref"
    valid $k "$T/$k.ref" && pass "$k: the file is valid" || fail "$k: the file is not valid"

    # A character device: written into, never replaced.
    expect_exit 0 "$k: to a character device" -- w_$k "$DEVNULL"
    [ -c "$DEVNULL" ] && [ ! -L "$DEVNULL" ] &&
        pass "$k: the device is still a character device" || fail "$k: the device became a $(stat -c %F "$DEVNULL")"
    n=$(find "$T/dev" "$T/tmp" -mindepth 1 ! -path "$T/dev/null" | wc -l)
    [ "$n" = 0 ] && pass "$k: nothing left next to the device or in TMPDIR" ||
        fail "$k: stray files: $(find "$T/dev" "$T/tmp" -mindepth 1)"

    # A FIFO: the reader gets the bytes; the FIFO stays.
    rm -f "$T/fifo" "$T/got"
    mkfifo "$T/fifo"
    timeout 60 cat "$T/fifo" >"$T/got" &
    reader=$!
    bg_track $reader
    expect_exit 0 "$k: to a FIFO" -- w_$k "$T/fifo"
    wait $reader
    [ -p "$T/fifo" ] && pass "$k: the FIFO is still a FIFO" || fail "$k: the FIFO was replaced ($(stat -c %F "$T/fifo"))"
    valid $k "$T/got" && pass "$k: the reader received valid bytes ($(stat -c %s "$T/got") bytes)" ||
        fail "$k: the reader received $(stat -c %s "$T/got") bytes that are not valid"

    # -: stdout.
    rm -f -- "$T/-" "$T/stdout"
    w_$k - >"$T/stdout" 2>"$T/err"
    rc=$?
    [ $rc = 0 ] && [ ! -e "$T/-" ] && pass "$k: - writes to stdout, no file named -" ||
        fail "$k: - gave exit $rc, file '-' $([ -e "$T/-" ] && echo exists || echo absent); $(head -c 300 "$T/err")"
    valid $k "$T/stdout" && pass "$k: stdout holds valid bytes" || fail "$k: stdout is not valid ($(stat -c %s "$T/stdout") bytes)"
    case " $deterministic " in
    *" $k "*) cmp -s "$T/stdout" "$T/$k.ref" && pass "$k: stdout equals the file form byte for byte" ||
        fail "$k: stdout differs from the file form" ;;
    esac

    # A symbolic link: refused, the link and its target unchanged.
    printf 'keep me\n' >"$T/target-$k"
    ln -sf "$T/target-$k" "$T/link-$k"
    expect_exit 2 "$k: a symbolic link is refused" -- w_$k "$T/link-$k"
    expect_grep "link-$k is a symbolic link: give the real path" "$T/err" "$k: the message names the link"
    [ -L "$T/link-$k" ] && [ "$(cat "$T/target-$k")" = "keep me" ] &&
        pass "$k: the link and its target are unchanged" || fail "$k: the link or its target changed"

    # A directory: refused, left empty.
    mkdir -p "$T/dir-$k"
    expect_exit 2 "$k: a directory is refused" -- w_$k "$T/dir-$k"
    expect_grep "dir-$k is a directory" "$T/err" "$k: the message names the directory"
    [ -d "$T/dir-$k" ] && [ -z "$(ls -A "$T/dir-$k")" ] && pass "$k: the directory is untouched" ||
        fail "$k: the directory changed"
    n=$(find "$T" -maxdepth 1 -name '*.tmp-*' | wc -l)
    [ "$n" = 0 ] && pass "$k: no temporary files left" || fail "$k: temporary files left: $(find "$T" -maxdepth 1 -name '*.tmp-*')"
done

# serve's access log is appended to, never through a link.
expect_exit 2 "serve --access-log through a symbolic link refused" -- \
    "$SERTEL" --home "$H" serve --listen 127.0.0.1:0 --access-log "$T/link-ts"
expect_grep "access log .*link-ts is a symbolic link: give the real path" "$T/err" "serve: the message names the link"
[ "$(cat "$T/target-ts")" = "keep me" ] && pass "serve: the link's target is unchanged" || fail "serve: the link's target changed"

# A refused output costs nothing: no CRL number, no token, no passphrase attempt.
n0=$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT number FROM crls WHERE issuer = 'issuing'")
expect_exit 2 "crl to a symbolic link" -- w_crl "$T/link-crl"
[ "$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT number FROM crls WHERE issuer = 'issuing'")" = "$n0" ] &&
    pass "a refused output issues no CRL" || fail "a CRL was issued for a refused output"

# Messages that would mix with the bytes go to stderr.
"$SERTEL" --home "$H" timestamp "$T/nota.txt" --out - >"$T/ts.out" 2>"$T/ts.err"
expect_grep "token written to stdout" "$T/ts.err" "timestamp --out -: the summary goes to stderr"
valid ts "$T/ts.out" && pass "timestamp --out -: stdout is only the token" || fail "timestamp --out -: stdout is not a token"
rm -f -- "$T/-"
expect_exit 2 "sign --json with output - refused (both use stdout)" -- \
    "$SERTEL" --home "$H" sign --json --p12 "$T/budi.p12" --p12-password-file "$T/p12pw" "$L" -
[ ! -e "$T/-" ] && pass "sign --json -: nothing written" || fail "sign --json -: a file named - was written"
# Replacing an existing regular file is still atomic: the old file stays on failure.
cp "$T/pdf.ref" "$T/keep.pdf"
expect_exit 2 "a failing sign over an existing file" -- \
    "$SERTEL" --home "$H" sign --p12 "$T/budi.p12" --p12-password-file "$T/nota.txt" "$L" "$T/keep.pdf"
cmp -s "$T/pdf.ref" "$T/keep.pdf" && pass "the existing file is untouched by the failure" || fail "the existing file changed"
# The input itself is still refused as an output.
cp "$L" "$T/in.pdf"
expect_exit 2 "sign IN IN refused" -- "$SERTEL" --home "$H" sign --p12 "$T/budi.p12" --p12-password-file "$T/p12pw" \
    "$T/in.pdf" "$T/in.pdf"
cmp -s "$L" "$T/in.pdf" && pass "the input is unchanged" || fail "the input changed"

finish
