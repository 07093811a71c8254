#!/bin/bash
# End-to-end: `sertel extend` (PAdES B-LT and B-LTA for an already signed
# PDF, ETSI EN 319 142-1 §5.4-5.5) and the long-term signatures `sertel sign`
# makes, checked by both validators: `sertel verify` and pyHanko 0.20.1
# (../shared/tools/pyhanko-validate.sh; skipped with a message when ../shared
# is absent).
#  - a B-T signature extended to B-LT (pyHanko --ltv-profile pades), then to
#    B-LTA (pades-lta), then renewed (a second document time-stamp over the
#    first, the first TSA's chain with validation data);
#  - sign's own B-B, B-T (pyHanko online, against this home's running
#    server), B-LT (pades), B-LTA (pades-lta), and a second B-LT signature
#    over a first: the first signature's /VRI entry and DSS arrays stay
#    (pyHanko refuses the first signature when they are dropped);
#  - a signer revoked by the home: sign with --p12 refused at every level
#    (with --email the home refuses to authorise); extend embeds the revoked
#    status with a warning (signatures made before stay provable);
#  - a PDF without a signature is refused, nothing written; in-place extend.
# The home's server stays up for pyHanko: its LTV profiles validate the newest
# time-stamp's chain at the current time, fetching its revocation data (the
# DSS serves the earlier times), as pyhanko-validate.sh runs them.
. "$(dirname "$0")/lib.sh"
for tool in jq mutool qpdf; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
SHARED=$(cd "$SERTEL_TEST_DATA/../../.." && pwd)/shared
PHV=$SHARED/tools/pyhanko-validate.sh
if [ -x "$PHV" ] || [ -f "$PHV" ]; then HAVE_PH=1; else
    HAVE_PH=0
    echo "# pyHanko checks skipped: $PHV is missing (../shared is absent)"
fi
FUZZ=${SERTEL_BUILD:?run through ctest, which sets SERTEL_BUILD}/http_fuzz
PORT=$("$FUZZ" free-port)
URL=http://127.0.0.1:$PORT
H=$T/home
new_home "$H" --base-url "$URL"
start_serve serve "$H" --listen "127.0.0.1:$PORT" || exit 1
make_signers "$H" budi:ec-p256 siti:rsa-2048
L=$SERTEL_TEST_DATA/letter.pdf

S() { "$SERTEL" --home "$H" "$@"; }
sign() { # sign WHO LEVEL IN OUT [options]
    local who=$1 lvl=$2 in=$3 out=$4
    shift 4
    S sign --p12 "$T/$who.p12" --p12-password-file "$T/p12pw" --level "$lvl" "$@" "$in" "$out"
}
# ph MODE FILE WHAT: pyHanko finds every signature in FILE valid in MODE.
ph() {
    [ "$HAVE_PH" = 1 ] || return 0
    if bash "$PHV" --mode "$1" "$T/root.pem" "$2" >"$T/ph.out" 2>&1; then
        pass "pyHanko --mode $1: $3"
    else
        fail "pyHanko --mode $1: $3: $(grep -v '^ *$' "$T/ph.out" | tail -15)"
    fi
}
# sv FILE WHAT: sertel verify TOTAL_PASSED for every signature; levels in $T/levels.
sv() {
    S verify --json "$1" >"$T/v.json" 2>"$T/v.err"
    jq -r '.signatures[] | "\(.index) \(.conclusion) \(.level // "-") \(.document_timestamp)"' \
        "$T/v.json" >"$T/levels" 2>/dev/null
    if [ -s "$T/levels" ] && ! grep -qv ' TOTAL_PASSED ' "$T/levels"; then
        pass "sertel verify: $2 ($(tr '\n' ';' <"$T/levels"))"
    else
        fail "sertel verify: $2: $(cat "$T/levels" "$T/v.err")"
    fi
}
dss() { mutool show "$1" "trailer/Root/DSS/$2" 2>/dev/null; }
count_refs() { grep -o '[0-9]* 0 R' | wc -l; }

# --- extend a B-T signature: B-LT, B-LTA, renewal ---
expect_exit 0 "sign B-T" -- sign budi B-T "$L" "$T/bt.pdf"
expect_exit 0 "extend to B-LT" -- S extend --level B-LT --out "$T/lt.pdf" "$T/bt.pdf"
expect_grep "PAdES B-LT" "$T/out" "extend says what it made"
cmp -s "$T/bt.pdf" <(head -c "$(stat -c %s "$T/bt.pdf")" "$T/lt.pdf") &&
    pass "B-LT: the signed file is an unchanged prefix (incremental update)" || fail "B-LT: prefix changed"
[ "$(dss "$T/lt.pdf" VRI | grep -c '/[0-9A-F]\{40\}')" = 1 ] && pass "B-LT: one VRI entry (the signature)" ||
    fail "B-LT: VRI $(dss "$T/lt.pdf" VRI)"
[ "$(dss "$T/lt.pdf" OCSPs | count_refs)" -ge 2 ] && pass "B-LT: OCSP responses for signer and TSA" ||
    fail "B-LT: OCSPs $(dss "$T/lt.pdf" OCSPs)"
sv "$T/lt.pdf" "extended to B-LT"
grep -q ' TOTAL_PASSED B-LT ' "$T/levels" && pass "sertel verify: level B-LT" || fail "level: $(cat "$T/levels")"
ph pades "$T/lt.pdf" "extended B-T to B-LT"

expect_exit 0 "extend B-LT to B-LTA" -- S extend --level B-LTA --out "$T/lta.pdf" "$T/lt.pdf"
[ "$(grep -ac '/Type */DocTimeStamp' "$T/lta.pdf")" = 1 ] && pass "B-LTA: one document time-stamp" ||
    fail "B-LTA: $(grep -ac '/Type */DocTimeStamp' "$T/lta.pdf") document time-stamps"
sv "$T/lta.pdf" "extended to B-LTA"
grep -q ' TOTAL_PASSED B-LTA ' "$T/levels" && pass "sertel verify: level B-LTA" || fail "level: $(cat "$T/levels")"
ph pades-lta "$T/lta.pdf" "extended to B-LTA"

# Renewal: in place (no --out), a second document time-stamp over the first.
cp "$T/lta.pdf" "$T/renew.pdf"
expect_exit 0 "renew the archive in place" -- S extend "$T/renew.pdf"
[ "$(grep -ac '/Type */DocTimeStamp' "$T/renew.pdf")" = 2 ] && pass "renewed: two document time-stamps" ||
    fail "renewed: $(grep -ac '/Type */DocTimeStamp' "$T/renew.pdf") document time-stamps"
[ "$(dss "$T/renew.pdf" VRI | grep -c '/[0-9A-F]\{40\}')" -ge 2 ] &&
    pass "renewed: a VRI entry for the first document time-stamp too" || fail "renewed: VRI $(dss "$T/renew.pdf" VRI)"
qpdf --check "$T/renew.pdf" >/dev/null 2>&1 && pass "renewed: qpdf --check clean" || fail "renewed: qpdf --check"
sv "$T/renew.pdf" "renewed archive"
ph pades-lta "$T/renew.pdf" "renewed archive"

# --- what sign itself makes, at every level ---
for lvl in B-B B-T B-LT B-LTA; do
    expect_exit 0 "sign $lvl" -- sign siti "$lvl" "$L" "$T/s-$lvl.pdf" --visible --rect 300,60,220,80
    sv "$T/s-$lvl.pdf" "sign $lvl"
    case $lvl in B-B | B-T) ph online "$T/s-$lvl.pdf" "sign $lvl (revocation fetched from this home's server)" ;;
    B-LT) ph pades "$T/s-$lvl.pdf" "sign B-LT" ;; B-LTA) ph pades-lta "$T/s-$lvl.pdf" "sign B-LTA" ;; esac
done

# --- a second B-LT signature over a first: the DSS is merged, not replaced ---
expect_exit 0 "a second B-LT signature over a first" -- sign budi B-LT "$T/s-B-LT.pdf" "$T/lt2.pdf"
[ "$(dss "$T/lt2.pdf" VRI | grep -c '/[0-9A-F]\{40\}')" = 2 ] && pass "second B-LT: both signatures' VRI entries" ||
    fail "second B-LT: VRI $(dss "$T/lt2.pdf" VRI)"
before=$(dss "$T/s-B-LT.pdf" OCSPs | count_refs)
after=$(dss "$T/lt2.pdf" OCSPs | count_refs)
[ "$after" -gt "$before" ] && pass "second B-LT: OCSPs kept and added ($before -> $after)" ||
    fail "second B-LT: OCSPs $before -> $after"
sv "$T/lt2.pdf" "two B-LT signatures"
ph pades "$T/lt2.pdf" "a second B-LT signature over a first (both signatures)"
# over a document extended elsewhere: its VRI entry stays beside the new one
expect_exit 0 "a B-LT signature over an extended B-LT document" -- sign siti B-LT "$T/lt.pdf" "$T/lt3.pdf"
[ "$(dss "$T/lt3.pdf" VRI | grep -c '/[0-9A-F]\{40\}')" = 2 ] && pass "over an extended document: the old VRI entry kept, one added" ||
    fail "over an extended document: VRI $(dss "$T/lt3.pdf" VRI)"
dss "$T/lt.pdf" VRI | grep -o '/[0-9A-F]\{40\}' >"$T/vri1"
dss "$T/lt3.pdf" VRI | grep -qF "$(cat "$T/vri1")" && pass "the first signature's VRI key is the same" ||
    fail "the first VRI key $(cat "$T/vri1") is gone"
ph pades "$T/lt3.pdf" "a B-LT signature over an extended document (both signatures)"
expect_exit 0 "extend the two-signature document to B-LTA" -- S extend --out "$T/lt2a.pdf" "$T/lt2.pdf"
ph pades-lta "$T/lt2a.pdf" "two B-LT signatures extended to B-LTA"

# --- nothing to extend ---
expect_exit 2 "an unsigned PDF is refused" -- S extend --out "$T/none.pdf" "$L"
expect_grep "signature" "$T/err" "the refusal says there is no signature"
[ ! -e "$T/none.pdf" ] && pass "no output for an unsigned PDF" || fail "output written"
expect_exit 2 "B-T is no extend level" -- S extend --level B-T "$T/bt.pdf"

# --- a revoked signer ---
SER=$(openssl x509 -in "$T/budi.crt" -noout -serial | cut -d= -f2)
expect_exit 0 "revoke budi's certificate" -- S cert revoke "$SER" --reason keyCompromise
for lvl in B-B B-T:tsa B-LT B-LT:tsa; do
    opt=()
    [ "${lvl#*:}" = tsa ] && opt=(--tsa "$URL/tsa")
    lvl=${lvl%:*}
    expect_exit 2 "sign $lvl ${opt[*]} with a revoked certificate refused" -- sign budi "$lvl" "$L" "$T/rev-$lvl.pdf" "${opt[@]}"
    expect_grep "revoked" "$T/err" "sign $lvl: the refusal says the certificate is revoked"
    [ ! -e "$T/rev-$lvl.pdf" ] && pass "sign $lvl: no output" || fail "sign $lvl: output written"
done
expect_exit 0 "extend a document of a signer revoked since" -- S extend --out "$T/bt-rev.pdf" "$T/bt.pdf"
expect_grep "warning: .*revoked.*embedded" "$T/err" "extend warns that a revoked status is embedded"
mutool show "$T/bt-rev.pdf" trailer/Root/DSS/OCSPs >/dev/null 2>&1 && pass "the revoked status is in the DSS" ||
    fail "no OCSPs in the DSS"
finish
