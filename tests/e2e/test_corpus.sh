#!/bin/bash
# End-to-end: the PDF test corpus. Files made at test time by several
# producers from sources in the repository (Ghostscript from
# tests/data/corpus/surat.ps, cairo via pdftocairo, MuPDF via mutool
# convert / clean, qpdf rewrites with object streams, linearization and a
# page merge, a hand-written AcroForm from tests/data/corpus/make_form.py,
# files already signed by sertel and by poppler's pdfsig, encrypted variants
# made by qpdf --encrypt (AES-256 R6, AES-128 R4, with object streams and
# linearization, empty and non-empty user password) and mutool clean -E
# aes-256) are each signed
# by sertel (B-B invisible; B-T with a visible stamp on the last page; a
# second signature on top), and every output is checked by qpdf --check,
# poppler's pdfsig (NSS database trusting only the test root), mutool and
# sertel's own verifier, whose verdicts must agree with pdfsig's signature by
# signature (tests/data/corpus/compare.py) and whose report from the
# sandboxed worker must equal the in-process one; every tool is given the user
# password of an encrypted file. Attacked copies (a flipped byte, an appended
# revision changing page content) must fail for both.
# A table of the results ends the log.
. "$(dirname "$0")/lib.sh"
D=$SERTEL_TEST_DATA
C=$D/corpus
for tool in gs pdftocairo pdfsig mutool qpdf certutil pk12util python3 jq openssl; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing (scripts/install-deps.sh installs it)"; exit 77; }
done
FUZZ=${SERTEL_BUILD:?run through ctest, which sets SERTEL_BUILD}/http_fuzz
[ -x "$FUZZ" ] || { echo "missing $FUZZ: build the http_fuzz target"; exit 1; }

# The home's OCSP responder runs on a loopback port, so that sertel's verifier
# can reach TOTAL_PASSED (revocation checked online, that origin allowed with
# --fetch-allow: loopback is refused otherwise); pdfsig runs with -no-ocsp.
PORT=$("$FUZZ" free-port)
H=$T/home
new_home "$H" --base-url "http://127.0.0.1:$PORT"
start_serve serve "$H" --listen "127.0.0.1:$PORT" || exit 1
# One signer per signature of a file: poppler 22.12's pdfsig reports "Unknown
# issue with Certificate" for the second of two signatures by one certificate.
make_signers "$H" ani:ec-p384 budi:ec-p256 siti:rsa-2048
NSS=$T/nss
make_nss "$NSS" "$T/root.pem"
PDFSIG="pdfsig -nssdir sql:$NSS -no-ocsp"

sign() { # sign SIGNER IN OUT [extra options]
    local who=$1 in=$2 out=$3
    shift 3
    "$SERTEL" --home "$H" sign --p12 "$T/$who.p12" --p12-password-file "$T/p12pw" "$@" "$in" "$out"
}

# ---- The corpus. NAME -> $T/c/NAME.pdf; PRE[NAME] = signatures already in it.
mkdir "$T/c"
declare -A PRE PRODUCER PW
add() { # add NAME PRODUCER PRE-SIGNATURES [USER-PASSWORD]: the file $T/c/NAME.pdf must exist
    if [ -s "$T/c/$1.pdf" ]; then
        NAMES+=("$1")
        PRODUCER[$1]=$2
        PRE[$1]=$3
        PW[$1]=${4:-}
        pass "corpus: $1 made ($2)"
    else
        fail "corpus: $1 not made ($2)"
    fi
}
NAMES=()
GS="gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pdfwrite"
# Ghostscript 10.0 writes classic cross-reference tables at every level (no
# object streams); -dFastWebView gives its own linearization, whose hint
# tables qpdf --check warns about (exit 3 on the unsigned file too).
$GS -dCompatibilityLevel=1.4 -o "$T/c/gs-14.pdf" "$C/surat.ps" && add gs-14 "Ghostscript pdfwrite 1.4" 0
# (Its linearizer prints its hint tables on stdout.)
$GS -dCompatibilityLevel=1.7 -dFastWebView=true -o "$T/c/gs-17-linear.pdf" "$C/surat.ps" >/dev/null &&
    add gs-17-linear "Ghostscript pdfwrite 1.7, linearized" 0
pdftocairo -pdf "$T/c/gs-14.pdf" "$T/c/cairo.pdf" && add cairo "cairo (pdftocairo)" 0
mutool convert -F pdf -o "$T/c/mupdf.pdf" "$T/c/gs-14.pdf" && add mupdf "MuPDF (mutool convert)" 0
mutool clean -gggz -l "$T/c/gs-14.pdf" "$T/c/mupdf-linear.pdf" && add mupdf-linear "MuPDF (mutool clean -l)" 0
python3 "$C/make_form.py" "$T/c/form.pdf" && add form "AcroForm, hand-written" 0
qpdf --object-streams=generate "$T/c/gs-14.pdf" "$T/c/qpdf-objstm.pdf" && add qpdf-objstm "qpdf: object streams" 0
qpdf --linearize "$T/c/cairo.pdf" "$T/c/qpdf-linear.pdf" && add qpdf-linear "qpdf: linearized" 0
qpdf --object-streams=generate --linearize "$T/c/form.pdf" "$T/c/qpdf-form-objstm-linear.pdf" &&
    add qpdf-form-objstm-linear "qpdf: AcroForm, object streams, linearized" 0
qpdf --empty --pages "$T/c/gs-14.pdf" "$T/c/cairo.pdf" 1 "$T/c/mupdf.pdf" 2-3 "$T/c/form.pdf" -- \
    "$T/c/qpdf-merged.pdf" && add qpdf-merged "qpdf --empty --pages (4 producers, with the form)" 0
# Already signed: by sertel (B-T, signer ani) ...
sign ani "$T/c/gs-14.pdf" "$T/c/signed-sertel.pdf" --level B-T --reason "Paraf" >/dev/null &&
    add signed-sertel "already signed by sertel" 1
# ... and by poppler's pdfsig -add-signature (adbe.pkcs7.detached, BER CMS). Its
# key is in its own NSS database (the PKCS#12 without the root: poppler 22.12
# fails with it) and is RSA: with an ECDSA key about half of its signatures fail
# its own check ("Digest Mismatch"), the same input passing or failing from run
# to run (probably because ECDSA signature values vary in length); with RSA all
# our trials passed.
PNSS=$T/pnss
mkdir "$PNSS"
certutil -N -d sql:"$PNSS" --empty-password
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/pop.key" 2>/dev/null
openssl req -new -key "$T/pop.key" -subj "/C=ID/O=P/CN=R" -addext "subjectAltName=email:r@p.id" \
    -out "$T/pop.csr" 2>/dev/null
"$SERTEL" --home "$H" cert issue --csr "$T/pop.csr" --profile document-signing >"$T/pop.crt"
openssl pkcs12 -export -inkey "$T/pop.key" -in "$T/pop.crt" -certfile "$T/issuing.pem" \
    -passout file:"$T/p12pw" -out "$T/pop.p12"
pk12util -i "$T/pop.p12" -d sql:"$PNSS" -w "$T/p12pw" >/dev/null 2>&1
certutil -A -d sql:"$PNSS" -n root -t "CT,C,C" -i "$T/root.pem"
nick=$(certutil -L -d sql:"$PNSS" | awk '/u,u,u/ { $NF = ""; sub(/ +$/, ""); print; exit }')
pdfsig -add-signature -nssdir sql:"$PNSS" -nick "$nick" "$T/c/cairo.pdf" "$T/c/signed-poppler.pdf" >/dev/null 2>&1
$PDFSIG "$T/c/signed-poppler.pdf" >"$T/pop.txt" 2>&1
if grep -q "Signature is Valid" "$T/pop.txt"; then
    add signed-poppler "already signed by poppler pdfsig" 1
else
    fail "poppler's own signature does not verify with pdfsig: $(grep Validation "$T/pop.txt")"
fi
# Encrypted variants (standard security handler, made by qpdf from the files
# above): PW[NAME] is the user password, given to every tool (sertel sign and
# verify --pdf-password-file, qpdf --password=, pdfsig -upw, mutool -p); an
# empty user password is given to none of them.
printf 'rahasia\n' >"$T/pw-rahasia"
qpdf --encrypt "" pemilik 256 -- "$T/c/gs-14.pdf" "$T/c/enc-gs-r6.pdf" &&
    add enc-gs-r6 "qpdf: Ghostscript file, AES-256 (R6), empty user password" 0
qpdf --encrypt rahasia pemilik 256 -- --object-streams=generate "$T/c/form.pdf" "$T/c/enc-form-r6-objstm.pdf" &&
    add enc-form-r6-objstm "qpdf: AcroForm, AES-256 (R6), user password, object streams" 0 rahasia
qpdf --encrypt "" pemilik 128 --use-aes=y -- --linearize "$T/c/cairo.pdf" "$T/c/enc-cairo-r4-linear.pdf" &&
    add enc-cairo-r4-linear "qpdf: cairo file, AES-128 (R4), linearized" 0
# ... and one by MuPDF's own encryption (mutool clean -E).
mutool clean -E aes-256 -O pemilik -U rahasia "$T/c/mupdf.pdf" "$T/c/enc-mupdf-r6.pdf" &&
    add enc-mupdf-r6 "MuPDF: mutool clean -E aes-256, user password" 0 rahasia
# Check that qpdf and mutool made what the names say.
encrypted_as() { # encrypted_as NAME R METHOD [more grep -e patterns]
    local n=$1 r=$2 meth=$3
    shift 3
    qpdf --password="${PW[$n]}" --show-encryption "$T/c/$n.pdf" >"$T/enc.out" 2>&1
    grep -q "^R = $r\$" "$T/enc.out" && grep -q "stream encryption method: $meth" "$T/enc.out" &&
        pass "corpus: $n is R $r, $meth" || fail "corpus: $n: $(tr '\n' ' ' <"$T/enc.out")"
}
encrypted_as enc-gs-r6 6 AESv3
encrypted_as enc-form-r6-objstm 6 AESv3
encrypted_as enc-cairo-r4-linear 4 AESv2
encrypted_as enc-mupdf-r6 6 AESv3
grep -aq /ObjStm "$T/c/enc-form-r6-objstm.pdf" && pass "corpus: enc-form-r6-objstm has object streams" ||
    fail "corpus: enc-form-r6-objstm has no object streams"
qpdf --check-linearization "$T/c/enc-cairo-r4-linear.pdf" >"$T/lin.out" 2>&1 &&
    pass "corpus: enc-cairo-r4-linear is linearized" || fail "corpus: enc-cairo-r4-linear: $(head -3 "$T/lin.out")"
qpdf --check "$T/c/enc-form-r6-objstm.pdf" >/dev/null 2>&1 && fail "corpus: enc-form-r6-objstm opens without its password" ||
    pass "corpus: enc-form-r6-objstm needs its user password"

# ---- Sign and check every file.
ROWS=()
row() { ROWS+=("$(printf '%-37s %-35s %4s %4s %3s %6s  %s' "$@")"); }
# check OUT NSIG QPDF-WANT LABEL [USER-PASSWORD]: all four tools on one signed
# output, each given the password when there is one.
check() {
    local f=$1 nsig=$2 qwant=$3 label=$4 pw=${5:-} q m r
    local qpw=() mpw=() upw=() spw=()
    if [ -n "$pw" ]; then
        printf '%s\n' "$pw" >"$T/pw-check"
        qpw=(--password="$pw") mpw=(-p "$pw") upw=(-upw "$pw") spw=(--pdf-password-file "$T/pw-check")
    fi
    qpdf "${qpw[@]}" --check "$f" >"$T/qpdf.out" 2>&1
    q=$?
    if [ "$q" = 0 ] || [ "$q" = 3 -a "$qwant" = 3 ]; then
        pass "$label: qpdf --check exit $q (unsigned input: $qwant)"
    else
        fail "$label: qpdf --check exit $q (unsigned input: $qwant): $(grep -v '^checking\|^PDF Version\|^File is\|^R = \|^P = ' "$T/qpdf.out" | head -5)"
    fi
    mutool draw -q "${mpw[@]}" -r 36 -F png -o /dev/null "$f" >/dev/null 2>"$T/draw.err"
    m=$?
    [ "$m" = 0 ] && pass "$label: mutool draw renders every page" || fail "$label: mutool draw exit $m: $(head -3 "$T/draw.err")"
    $PDFSIG "${upw[@]}" "$f" >"$T/pdfsig.out" 2>&1
    mutool sign "${mpw[@]}" -v "$f" >"$T/mutool.out" 2>&1
    "$SERTEL" verify --trust "$T/root.pem" --fetch-allow "http://127.0.0.1:$PORT" "${spw[@]}" --json "$f" >"$T/sertel.json" 2>"$T/sertel.err"
    # The sandboxed worker (the default) and the in-process validator agree byte for byte.
    "$SERTEL" verify --in-process --trust "$T/root.pem" --fetch-allow "http://127.0.0.1:$PORT" "${spw[@]}" --json "$f" >"$T/sertel-ip.json" 2>&1
    sed -i '/^  "validation_time": /d' "$T/sertel.json" "$T/sertel-ip.json" # the second each ran in
    cmp -s "$T/sertel.json" "$T/sertel-ip.json" && pass "$label: worker and in-process reports are identical" ||
        fail "$label: worker and in-process reports differ: $(diff "$T/sertel.json" "$T/sertel-ip.json" | head -5)"
    python3 "$C/compare.py" good "$nsig" "$T/pdfsig.out" "$T/mutool.out" "$T/sertel.json" >"$T/cmp.out"
    r=$?
    [ "$r" = 0 ] && pass "$label: pdfsig, mutool and sertel agree: $(head -1 "$T/cmp.out")" ||
        fail "$label: $(cat "$T/cmp.out")"
    row "$label" "$(basename "$f")" "$nsig" "$q" "$m" "$([ "$r" = 0 ] && echo agree || echo DIFFER)" \
        "$(head -1 "$T/cmp.out")"
}

for n in "${NAMES[@]}"; do
    in=$T/c/$n.pdf
    pre=${PRE[$n]}
    pw=${PW[$n]}
    qpw=() opt=() enc=""
    if [ -n "$pw" ]; then
        printf '%s\n' "$pw" >"$T/pw-$n"
        qpw=(--password="$pw") opt=(--pdf-password-file "$T/pw-$n") enc=", user password"
    fi
    qpdf "${qpw[@]}" --check "$in" >/dev/null 2>&1
    qin=$?
    pages=$(qpdf "${qpw[@]}" --show-npages "$in")
    echo "# $n: ${PRODUCER[$n]}, $pages page(s), $pre signature(s) before, qpdf --check exit $qin$enc"
    expect_exit 0 "$n: sign B-B invisible" -- sign budi "$in" "$T/$n-bb.pdf" "${opt[@]}" \
        --reason "Persetujuan" --location "Jakarta"
    [ -f "$T/$n-bb.pdf" ] && check "$T/$n-bb.pdf" $((pre + 1)) "$qin" "$n B-B" "$pw"
    expect_exit 0 "$n: sign B-T visible on page $pages" -- sign siti "$in" "$T/$n-bt.pdf" "${opt[@]}" --level B-T \
        --visible --page "$pages" --rect 330,60,220,80 --reason "Mengetahui"
    [ -f "$T/$n-bt.pdf" ] && check "$T/$n-bt.pdf" $((pre + 1)) "$qin" "$n B-T visible" "$pw"
    expect_exit 0 "$n: second signature (B-T visible) on the B-B file" -- sign siti "$T/$n-bb.pdf" \
        "$T/$n-2.pdf" "${opt[@]}" --level B-T --visible --page "$pages" --rect 60,150,220,80
    [ -f "$T/$n-2.pdf" ] && check "$T/$n-2.pdf" $((pre + 2)) "$qin" "$n signed twice" "$pw"
    cmp -n "$(stat -c %s "$in")" "$in" "$T/$n-2.pdf" >/dev/null &&
        pass "$n: original bytes unchanged" || fail "$n: original bytes changed"
    if [ "$n" != "${n#enc-}" ]; then
        # The new revisions are encrypted too: no string of ours in the clear.
        grep -aq -e Persetujuan -e Mengetahui "$T/$n-bb.pdf" "$T/$n-bt.pdf" "$T/$n-2.pdf" &&
            fail "$n: /Reason written in the clear" || pass "$n: /Reason encrypted in every output"
    fi
done

# The form's empty signature field TTD_Pemohon is signed into (its own rectangle
# holds the stamp) and checked like any other output.
expect_exit 0 "form: sign into the empty field TTD_Pemohon" -- \
    sign budi "$T/c/form.pdf" "$T/form-field.pdf" --field TTD_Pemohon
[ -f "$T/form-field.pdf" ] && check "$T/form-field.pdf" 1 0 "form into TTD_Pemohon"

# The same on the encrypted form (its field names are encrypted strings, found
# decrypted; the new field and widget versions are encrypted again).
expect_exit 0 "enc-form-r6-objstm: sign into the empty field TTD_Pemohon" -- \
    sign budi "$T/c/enc-form-r6-objstm.pdf" "$T/enc-form-field.pdf" --pdf-password-file "$T/pw-rahasia" \
    --field TTD_Pemohon
[ -f "$T/enc-form-field.pdf" ] && check "$T/enc-form-field.pdf" 1 0 "enc-form-r6-objstm into TTD_Pemohon" rahasia

# ---- Negative cases: pdfsig and sertel both say not valid.
ATK="python3 $D/pdf/pdf_attack.py"
# Two encrypted ones too (the appended content stream is not encrypted, so
# readers decrypt it to garbage: still a change of page content). pdf_attack.py
# appends only after a classic cross-reference table, so the form with object
# streams (cross-reference streams) gets the flipped byte only.
for n in gs-14 cairo form enc-gs-r6 enc-form-r6-objstm; do
    upw=() spw=() modes="flip append-content"
    [ -n "${PW[$n]}" ] && upw=(-upw "${PW[$n]}") spw=(--pdf-password-file "$T/pw-$n")
    if [ "$n" = enc-form-r6-objstm ]; then
        modes=flip
        echo "# NOTE: $n: no append-content attack (pdf_attack.py cannot append after a cross-reference stream)"
    fi
    for mode in $modes; do
        f=$T/$n-bt-$mode.pdf
        $ATK "$mode" "$T/$n-bt.pdf" "$f" || { fail "$n: $mode: attack not made"; continue; }
        $PDFSIG "${upw[@]}" "$f" >"$T/pdfsig.out" 2>&1
        "$SERTEL" verify --trust "$T/root.pem" --fetch-allow "http://127.0.0.1:$PORT" "${spw[@]}" --json "$f" >"$T/sertel.json" 2>/dev/null
        python3 "$C/compare.py" bad 1 "$T/pdfsig.out" /dev/null "$T/sertel.json" >"$T/cmp.out"
        r=$?
        [ "$r" = 0 ] && pass "$n $mode: pdfsig and sertel both reject: $(head -1 "$T/cmp.out")" ||
            fail "$n $mode: $(cat "$T/cmp.out")"
        row "$n $mode" "$(basename "$f")" 1 - - "$([ "$r" = 0 ] && echo agree || echo DIFFER)" "$(head -1 "$T/cmp.out")"
    done
done

# Regression (lib/pdf/verify.c): the second signature's widget goes on a page
# that had no /Annots when the first was signed; the first signature must read
# as followed by a harmless change, not "annotations changed: items were removed".
"$SERTEL" verify --trust "$T/root.pem" --fetch-allow "http://127.0.0.1:$PORT" --json "$T/gs-14-2.pdf" >"$T/reg.json" 2>/dev/null
[ "$(jq -r '.signatures[0].changes == [] and (.signatures[0].harmless_changes | map(test("page 3: visible signature widget")) | any)' "$T/reg.json")" = true ] &&
    pass "a widget added to a page without /Annots is a harmless change" ||
    fail "widget on a page without /Annots: $(jq -c '.signatures[0] | {changes, harmless_changes}' "$T/reg.json")"

echo
echo "# Corpus results (qpdf = qpdf --check exit, mu = mutool draw exit; verdicts pdfsig | sertel)"
printf '# %-37s %-35s %4s %4s %3s %6s  %s\n' file output sigs qpdf mu result "verdicts (pdfsig | sertel)"
for r in "${ROWS[@]}"; do echo "# $r"; done
finish
