#!/bin/bash
# End-to-end: PAdES signing of qpdf variants of a letter (object streams,
# linearized, QDF, multi-revision, damaged xref), B-B and B-T, signed twice,
# and detached CAdES; checked with pdfsig (NSS trusting the test root),
# qpdf --check, mutool, openssl cms / ts; bad input leaves no output.
. "$(dirname "$0")/lib.sh"
D=$SERTEL_TEST_DATA
EX="python3 $D/pdf/extract_sig.py"
for tool in pdfsig qpdf mutool certutil python3; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

H=$T/home
new_home "$H"
make_signers "$H" budi:ec-p256 siti:rsa-2048
"$SERTEL" --home "$H" ca export --tsa >"$T/tsa.pem"
NSS=$T/nss
make_nss "$NSS" "$T/root.pem"
# The certificates name an OCSP responder on 127.0.0.1:8080 that this test does not run.
PDFSIG="pdfsig -nssdir sql:$NSS -no-ocsp"

sign() { # sign SIGNER IN OUT [extra options]
    local who=$1 in=$2 out=$3
    shift 3
    "$SERTEL" --home "$H" sign --p12 "$T/$who.p12" --p12-password-file "$T/p12pw" "$@" "$in" "$out"
}

# Test inputs: qpdf variants of the letter, a two-revision file, a damaged xref.
L=$D/letter.pdf
cp "$L" "$T/plain.pdf"
qpdf --object-streams=generate "$L" "$T/objstm.pdf"
qpdf --linearize "$L" "$T/linear.pdf"
qpdf --qdf "$L" "$T/qdf.pdf"
qpdf --object-streams=generate --linearize "$L" "$T/objstm-linear.pdf"
# Second revision with qpdf (appends nothing: qpdf rewrites) -> build one by hand.
python3 - "$L" "$T/multirev.pdf" <<'PY'
import re, sys
d = open(sys.argv[1], 'rb').read()
sx = int(re.findall(rb'startxref\s+(\d+)', d)[-1])
obj = b'3 0 obj\n<< /Contents 4 0 R /MediaBox [ 0 0 595 842 ] /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Type /Page /Rotate 0 >>\nendobj\n'
off = len(d)
tr = re.findall(rb'trailer\s*(<<.*?>>)\s*startxref', d, re.S)[-1]
size = re.search(rb'/Size\s+(\d+)', tr).group(1)
root = re.search(rb'/Root\s+(\d+ \d+ R)', tr).group(1)
x = len(d) + len(obj)
upd = obj + b'xref\n3 1\n%010d 00000 n \ntrailer\n<< /Size %s /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (off, size, root, sx, x)
open(sys.argv[2], 'wb').write(d + upd)
PY
python3 - "$L" "$T/broken.pdf" <<'PY'
import re, sys
d = open(sys.argv[1], 'rb').read()
open(sys.argv[2], 'wb').write(re.sub(rb'startxref\s+\d+', b'startxref\n123456', d))
PY

check_pdf() { # check_pdf FILE NSIG DESCRIPTION
    local f=$1 nsig=$2 desc=$3
    $PDFSIG "$f" >"$T/pdfsig.out" 2>&1
    local valid trusted
    valid=$(grep -c "Signature is Valid\." "$T/pdfsig.out")
    trusted=$(grep -c "Certificate is Trusted\." "$T/pdfsig.out")
    [ "$valid" = "$nsig" ] && pass "$desc: pdfsig: $nsig signature(s) valid" ||
        fail "$desc: pdfsig valid=$valid want $nsig: $(cat "$T/pdfsig.out")"
    [ "$trusted" = "$nsig" ] && pass "$desc: pdfsig: certificate trusted" ||
        fail "$desc: pdfsig trusted=$trusted want $nsig: $(cat "$T/pdfsig.out")"
    [ "$(grep -c "Total document signed" "$T/pdfsig.out")" = 1 ] &&
        pass "$desc: pdfsig: total document signed (last)" || fail "$desc: not total document signed"
    qpdf --check "$f" >"$T/qpdf.out" 2>&1
    [ $? = 0 ] && pass "$desc: qpdf --check clean" || fail "$desc: qpdf --check: $(tail -3 "$T/qpdf.out")"
    mutool sign -v "$f" >"$T/mutool.out" 2>&1
    # (empty signature fields are listed too, as "not signed")
    [ "$(($(grep -c "Verifying signature" "$T/mutool.out") - $(grep -c "Signature is not signed" "$T/mutool.out")))" = "$nsig" ] &&
        pass "$desc: mutool lists $nsig signature(s)" || fail "$desc: mutool: $(cat "$T/mutool.out")"
    expect_grep "document is unchanged since signing" "$T/mutool.out" "$desc: mutool: last signature covers the document"
    for i in $(seq 1 "$nsig"); do
        $EX "$f" "$i" "$T/sig$i" >/dev/null || { fail "$desc: extract signature $i"; continue; }
        expect_exit 0 "$desc: openssl cms -verify of signature $i over its ByteRange" -- \
            openssl cms -verify -binary -inform DER -in "$T/sig$i.p7s" -content "$T/sig$i.signed" \
            -CAfile "$T/root.pem" -purpose any -out /dev/null
        openssl cms -cmsout -print -inform DER -in "$T/sig$i.p7s" >"$T/cms.txt"
        sed -n '/^ *signedAttrs:/,/signatureAlgorithm:/p' "$T/cms.txt" | grep -E '^ +object: ' |
            sed 's/.*(\(.*\))/\1/' | sort | tr '\n' ' ' >"$T/attrs"
        [ "$(cat "$T/attrs")" = "1.2.840.113549.1.9.16.2.47 1.2.840.113549.1.9.3 1.2.840.113549.1.9.4 " ] &&
            pass "$desc: signature $i: signed attributes exactly content-type, message-digest, signing-certificate-v2" ||
            fail "$desc: signature $i: signed attributes $(cat "$T/attrs")"
    done
}

for v in plain objstm linear qdf objstm-linear multirev broken; do
    expect_exit 0 "sign $v (B-B)" -- sign budi "$T/$v.pdf" "$T/$v-1.pdf" --reason "Persetujuan" --location "Jakarta"
    [ -f "$T/$v-1.pdf" ] && check_pdf "$T/$v-1.pdf" 1 "$v"
    cmp -n "$(stat -c %s "$T/$v.pdf")" "$T/$v.pdf" "$T/$v-1.pdf" >/dev/null &&
        pass "$v: original bytes unchanged" || fail "$v: original bytes changed"
    # A second signer, B-T with the home's TSA: both signatures stay valid.
    expect_exit 0 "sign $v again (B-T)" -- sign siti "$T/$v-1.pdf" "$T/$v-2.pdf" --level B-T --reason "Mengetahui"
    [ -f "$T/$v-2.pdf" ] && check_pdf "$T/$v-2.pdf" 2 "$v twice"
done

# B-T: the signature-time-stamp token verifies with openssl ts, over the signature value.
sign budi "$T/plain.pdf" "$T/bt.pdf" --level B-T >/dev/null
$EX "$T/bt.pdf" 1 "$T/bt" >/dev/null
python3 - "$T/bt.p7s" "$T" <<'PY'
import subprocess, sys
# Find the signature value and the token with openssl asn1parse (offsets are its own).
der = sys.argv[1]; T = sys.argv[2]
out = subprocess.run(['openssl', 'asn1parse', '-inform', 'DER', '-in', der], capture_output=True, text=True).stdout.splitlines()
tok = None
for i, l in enumerate(out):
    if 'id-smime-aa-timeStampToken' in l:
        # next SET, then the token SEQUENCE
        for l2 in out[i + 1:]:
            if 'SEQUENCE' in l2:
                tok = int(l2.split(':')[0]); break
        break
sig = None
for i, l in enumerate(out):
    if 'id-smime-aa-timeStampToken' in l or 'unsignedAttrs' in l:
        break
    if 'OCTET STRING' in l and 'HEX DUMP' in l:
        sig = l
data = open(der, 'rb').read()
def tlv(off):
    b = data[off + 1]
    if b < 0x80: return off, 2 + b
    k = b & 0x7f; return off, 2 + k + int.from_bytes(data[off + 2:off + 2 + k], 'big')
o, n = tlv(tok)
open(T + '/token.der', 'wb').write(data[o:o + n])
so = int(sig.split(':')[0]); hl = int(sig.split('hl=')[1].split()[0]); ln = int(sig.split('l=')[2].split()[0])
open(T + '/sigvalue.bin', 'wb').write(data[so + hl:so + hl + ln])
PY
cat "$T/issuing.pem" >"$T/untrusted.pem"
expect_exit 0 "B-T: openssl ts -verify accepts the token over the signature value" -- \
    openssl ts -verify -token_in -in "$T/token.der" -data "$T/sigvalue.bin" \
    -CAfile "$T/root.pem" -untrusted "$T/untrusted.pem"

# Detached CAdES for any file.
head -c 2000000 /dev/urandom >"$T/blob.bin"
for lvl in B-B B-T; do
    expect_exit 0 "detached $lvl" -- sign budi "$T/blob.bin" "$T/blob-$lvl.p7s" --detached --level $lvl
    expect_exit 0 "detached $lvl: openssl cms -verify" -- openssl cms -verify -binary -inform DER \
        -in "$T/blob-$lvl.p7s" -content "$T/blob.bin" -CAfile "$T/root.pem" -out /dev/null
done
echo x >>"$T/blob.bin"
expect_exit 4 "detached: a changed file fails openssl cms -verify" -- openssl cms -verify -binary \
    -inform DER -in "$T/blob-B-B.p7s" -content "$T/blob.bin" -CAfile "$T/root.pem" -out /dev/null

# Certification (DocMDP) on the qpdf variants: the certifying signature first,
# then an approval signature by the other signer where the certification
# permits one: P=3 a new invisible signature field; P=2 only the document's
# empty signature fields, which these letters have none of (refused, named).
for cv in objstm:3 linear:3 multirev:2 broken:3; do
    v=${cv%%:*} p=${cv#*:}
    expect_exit 0 "certify $v (P=$p)" -- sign budi "$T/$v.pdf" "$T/$v-c.pdf" --certify "$p"
    [ -f "$T/$v-c.pdf" ] && check_pdf "$T/$v-c.pdf" 1 "$v certified"
    mutool show "$T/$v-c.pdf" trailer/Root/Perms >"$T/perms.out" 2>&1
    expect_grep "/DocMDP [0-9]+ 0 R" "$T/perms.out" "$v certified: /Perms /DocMDP in the catalog"
    if [ "$p" = 2 ]; then
        expect_exit 2 "P=2 without an empty field: new signature refused on $v" -- \
            sign siti "$T/$v-c.pdf" "$T/$v-c2.pdf" --level B-T
        expect_grep "DocMDP P=2.*empty signature fields" "$T/err" "$v: the refusal says what P=2 permits"
        [ ! -e "$T/$v-c2.pdf" ] && pass "$v: no output" || fail "$v: output written"
        continue
    fi
    expect_exit 2 "P=3: a new visible signature refused on $v" -- \
        sign siti "$T/$v-c.pdf" "$T/$v-c2.pdf" --visible --rect 300,50,220,80
    expect_grep "new visible signature" "$T/err" "$v: the refusal names the visible field"
    expect_exit 0 "approval signature on certified $v" -- sign siti "$T/$v-c.pdf" "$T/$v-c2.pdf" --level B-T
    [ -f "$T/$v-c2.pdf" ] && check_pdf "$T/$v-c2.pdf" 2 "$v certified, then signed"
    expect_exit 2 "certify the signed $v refused" -- sign siti "$T/$v-c.pdf" "$T/$v-c3.pdf" --certify 2
    [ ! -e "$T/$v-c3.pdf" ] && pass "$v: no output after the refused certification" || fail "$v: output written"
done
expect_exit 0 "certify plain (P=1)" -- sign budi "$T/plain.pdf" "$T/plain-c1.pdf" --certify 1
expect_exit 2 "signing a P=1 certified file refused" -- sign siti "$T/plain-c1.pdf" "$T/plain-c1b.pdf"
expect_grep "DocMDP P=1" "$T/err" "P=1 refusal names DocMDP"
[ ! -e "$T/plain-c1b.pdf" ] && pass "P=1: no output" || fail "P=1: output written"
expect_exit 2 "--certify with --detached refused" -- sign budi "$T/plain.pdf" "$T/x.p7s" --detached --certify 2

# Visible signature at a marker text (BSrE's tag_koordinat): a hand-made two-page
# PDF (FlateDecode content, cm, Tm, T*, ' and a TJ that splits the marker) and a
# qpdf rewrite with object streams; the stamp occupies the space at and below
# the marker (its top edge at the marker's top), as pdftotext -bbox sees both.
python3 - "$T/marker.pdf" <<'PY'
import os, sys, zlib
p1 = b"BT /F1 12 Tf 72 770 Td (Halaman satu, tanpa penanda) Tj ET\n"
p2 = (b"q 1 0 0 1 10 20 cm\nBT /F1 11 Tf 14 TL 1 0 0 1 62 400 Tm (Jakarta, 25 November 2026) Tj"
      b" T* (Kepala Biro Umum,) ' [(Tanda tangan: ) -250 (#t) 20 (td#)] TJ ET Q\n"
      b"BT /F2 10 Tf 72 100 Td <4c616d706972616e> Tj ET\n")
res = b"/Resources << /Font << /F1 7 0 R /F2 8 0 R >> >>"
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + res + b" /Contents 5 0 R >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + res + b" /Contents [6 0 R] >>"]
for c in (p1, p2):
    z = zlib.compress(c)
    objs.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(z) + z + b"\nendstream")
objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding /WinAnsiEncoding >>")
sys.path.insert(0, os.environ["SERTEL_TEST_DATA"] + "/pdf")
import mkpdf
mkpdf.write(sys.argv[1], objs)
PY
qpdf --object-streams=generate "$T/marker.pdf" "$T/marker-os.pdf"
# near WORD MARKER FILE PAGE W H: WORD (the stamp's first line) lies in the W x H box that
# hangs from MARKER's top left; pdftotext -bbox has y from the top.
near() {
    pdftotext -bbox -f "$4" -l "$4" "$3" - | python3 -c '
import re, sys
word, mark, w, h = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
t = sys.stdin.read()
H = float(re.search(r"<page width=\"[\d.]+\" height=\"([\d.]+)\"", t).group(1))
def box(s):
    m = re.findall(r"xMin=\"([\d.]+)\" yMin=\"([\d.]+)\" xMax=\"([\d.]+)\" yMax=\"([\d.]+)\">" + re.escape(s) + "<", t)
    if not m: sys.exit("no word %s" % s)
    return [float(v) for v in m[-1]]  # the last: the newest stamp
mx0, my0, mx1, my1 = box(mark)
sx0, sy0, sx1, sy1 = box(word)
top = H - my0  # the top of the marker (PDF y)
ok = mx0 - 2 <= sx0 <= mx0 + 0.3 * w and H - sy0 <= top + 2 and H - sy1 >= top - h - 2
print("marker %.1f,%.1f stamp word %.1f..%.1f,%.1f..%.1f" % (mx0, top, sx0, sx1, H - sy1, H - sy0), file=sys.stderr)
sys.exit(0 if ok else 1)' "$1" "$2" "$5" "$6"
}
for v in marker marker-os; do
    expect_exit 0 "sign $v at marker #ttd#" -- sign budi "$T/$v.pdf" "$T/$v-1.pdf" --visible \
        --marker "#ttd#" --reason "Persetujuan"
    [ -f "$T/$v-1.pdf" ] && check_pdf "$T/$v-1.pdf" 1 "$v at marker"
    expect_exit 0 "$v: the stamp is drawn at the marker on page 2 (pdftotext -bbox)" -- \
        near Ditandatangani "#ttd#" "$T/$v-1.pdf" 2 220 80
    grep -aq '/Rect \[24[0-9.]* 319\.90 46[0-9.]* 399\.90\]' "$T/$v-1.pdf" &&
        pass "$v: widget /Rect hangs from the marker (x ~244, top 392 + 0.718 x 11), 220x80" ||
        fail "$v: widget /Rect $(grep -ao '/Rect \[[^]]*\]' "$T/$v-1.pdf" | tail -1)"
    mutool draw -q -F txt -o "$T/mudraw.txt" "$T/$v-1.pdf" 2 2>"$T/mudraw.err" &&
        pass "$v: mutool renders the stamped page" || fail "$v: mutool draw: $(cat "$T/mudraw.err")"
    # A second signer, B-T, at another marker with --size: both signatures stay valid.
    expect_exit 0 "sign $v again at marker Lampiran (B-T, --size 150,50)" -- sign siti \
        "$T/$v-1.pdf" "$T/$v-2.pdf" --marker Lampiran --size 150,50 --level B-T
    [ -f "$T/$v-2.pdf" ] && check_pdf "$T/$v-2.pdf" 2 "$v at two markers"
    expect_exit 0 "$v: second stamp at Lampiran (pdftotext -bbox)" -- \
        near Ditandatangani Lampiran "$T/$v-2.pdf" 2 150 50
done
expect_exit 2 "missing marker refused" -- sign budi "$T/marker.pdf" "$T/mk-x.pdf" --marker "#nope#"
expect_grep "marker '#nope#' not found on any page .composite fonts without" \
    "$T/err" "missing marker: clear message"
[ ! -e "$T/mk-x.pdf" ] && pass "missing marker: no output file" || fail "missing marker left output"
expect_exit 2 "marker not on the given --page refused" -- sign budi "$T/marker.pdf" "$T/mk-p1.pdf" \
    --marker "#ttd#" --page 1
expect_grep "not found on page 1" "$T/err" "marker on another page: message names the page"
[ ! -e "$T/mk-p1.pdf" ] && pass "marker not on page: no output file" || fail "marker not on page left output"
expect_exit 2 "marker with an out-of-range page refused" -- sign budi "$T/marker.pdf" "$T/mk-p9.pdf" \
    --marker "#ttd#" --page 9
[ ! -e "$T/mk-p9.pdf" ] && pass "marker, page 9: no output file" || fail "marker, page 9 left output"
expect_exit 2 "--marker with --rect refused" -- sign budi "$T/marker.pdf" "$T/mk-r.pdf" \
    --marker "#ttd#" --rect 1,1,220,80
expect_exit 2 "--size without --marker refused" -- sign budi "$T/marker.pdf" "$T/mk-s.pdf" \
    --visible --rect 1,1,220,80 --size 100,40

# Signing into existing empty signature fields (tests/data/pdf/pdf_form.py sigfields):
# "Persetujuan", a parent field whose one kid is its visible widget and whose
# /Lock covers "nama"; "Saksi", merged with an invisible widget.
FORM="python3 $D/pdf/pdf_form.py"
$FORM sigfields "$T/sf.pdf"
expect_exit 0 "sign into the empty field Persetujuan (visible widget)" -- \
    sign budi "$T/sf.pdf" "$T/sf1.pdf" --field Persetujuan --reason Menyetujui --footer
check_pdf "$T/sf1.pdf" 1 "signed into Persetujuan"
grep -c "Signature Field Name: Persetujuan" "$T/pdfsig.out" >/dev/null &&
    pass "pdfsig names the field Persetujuan" || fail "pdfsig: $(cat "$T/pdfsig.out")"
qpdf --show-object=12 "$T/sf1.pdf" >"$T/o12" 2>&1
qpdf --show-object=13 "$T/sf1.pdf" >"$T/o13" 2>&1
expect_grep "/T \(Persetujuan\) /V [0-9]+ 0 R" "$T/o12" "the field keeps its name and gets /V"
expect_grep "/AP << /N [0-9]+ 0 R >>" "$T/o13" "its widget gets the stamp as appearance"
expect_grep "/Rect \[ 300 80 540 180 \]" "$T/o13" "the widget keeps its rectangle"
sigobj=$(sed -n 's/.*\/V \([0-9]*\) 0 R.*/\1/p' "$T/o12")
qpdf --show-object="$sigobj" "$T/sf1.pdf" >"$T/osig" 2>&1
grep -o '/Reference \[.*' "$T/osig" | head -c 300 >"$T/oref"
expect_grep "/TransformMethod /FieldMDP" "$T/oref" "the signature has a FieldMDP reference"
expect_grep "/Action /Include /Fields \[ \(nama\) \]" "$T/oref" "the FieldMDP reference carries the field's /Lock"
pdftoppm -r 72 -png -f 1 -l 1 "$T/sf1.pdf" "$T/sfpage"
python3 - "$T/sfpage-1.png" <<'PY2' && pass "the stamp is drawn inside the field's rectangle" || fail "stamp not in the field's rectangle"
import struct, sys, zlib
d = open(sys.argv[1], 'rb').read()
w, h = struct.unpack('>II', d[16:24])
idat = b''.join(d[i + 8:i + 8 + struct.unpack('>I', d[i:i + 4])[0]] for i in range(8, len(d)) if d[i + 4:i + 8] == b'IDAT')
raw = zlib.decompress(idat); bpp = 3 if d[25] == 2 else 4; stride = w * bpp
rows, prev = [], bytearray(stride)
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
def dark(x0, y0, x1, y1):  # PDF points at 72 dpi, origin bottom left
    n = 0
    for y in range(h - y1, h - y0):
        for x in range(x0, x1):
            r, g, b_ = rows[y][x * bpp:x * bpp + 3]
            n += r + g + b_ < 300
    return n
inside, outside = dark(300, 80, 540, 180), dark(300, 200, 540, 300)
sys.exit(0 if inside > 200 and outside == 0 else 1)
PY2
# Changing the locked field afterwards breaks the signature, naming the field;
# filling in an unlocked one is allowed.
$FORM fill "$T/sf1.pdf" "$T/sf1-nama.pdf" nama Budi
$FORM fill "$T/sf1.pdf" "$T/sf1-cat.pdf" catatan Setuju
"$SERTEL" verify --trust "$T/root.pem" --offline --json "$T/sf1-nama.pdf" >"$T/v1.json"
[ "$(jq -r '.signatures[0].conclusion == "TOTAL_FAILED" and (.signatures[0].changes | map(test("nama.*locks it")) | any)' "$T/v1.json")" = true ] &&
    pass "locked field nama changed: the signature fails, naming it" || fail "locked field: $(cat "$T/v1.json")"
"$SERTEL" verify --trust "$T/root.pem" --offline --json "$T/sf1-cat.pdf" >"$T/v2.json"
[ "$(jq -r '.signatures[0].integrity == "valid" and .signatures[0].changes == [] and (.signatures[0].harmless_changes | map(test("catatan filled in")) | any)' "$T/v2.json")" = true ] &&
    pass "unlocked field filled in: allowed and named" || fail "unlocked field: $(cat "$T/v2.json")"
# The invisible field.
expect_exit 0 "sign into the empty invisible field Saksi" -- sign siti "$T/sf1.pdf" "$T/sf2.pdf" --field Saksi --level B-T
check_pdf "$T/sf2.pdf" 2 "Persetujuan then Saksi"
# Refusals: no output each time.
for c in "Persetujuan:already signed:sf1" "nama:not a signature field:sf" "Saksi:invisible:sf"; do
    fld=${c%%:*} rest=${c#*:} msg=${rest%%:*} src=${rest#*:}
    extra=
    [ "$fld" = Saksi ] && extra="--footer"
    expect_exit 2 "sign into $fld of $src refused ($msg)" -- sign budi "$T/$src.pdf" "$T/bad-$fld.pdf" --field "$fld" $extra
    expect_grep "$msg" "$T/err" "sign into $fld: the message says '$msg'"
    [ ! -e "$T/bad-$fld.pdf" ] && pass "sign into $fld refused: no output" || fail "sign into $fld: output left"
done
expect_exit 2 "an existing field with --visible --rect refused" -- \
    sign budi "$T/sf.pdf" "$T/bad-rect.pdf" --field Persetujuan --visible --rect 1,1,100,50
expect_grep "has its own place on the page" "$T/err" "existing field with --rect: says why"

# A document that claims PDF/A (XMP pdfaid:part, an incremental update by hand):
# a visible stamp says the file is no longer strictly PDF/A; an invisible one does not.
python3 - "$L" "$T/pdfa.pdf" <<'PY'
import re, sys
d = open(sys.argv[1], 'rb').read()
sx = int(re.findall(rb'startxref\s+(\d+)', d)[-1])
tr = re.findall(rb'trailer\s*(<<.*?>>)\s*startxref', d, re.S)[-1]
size = int(re.search(rb'/Size\s+(\d+)', tr).group(1))
root = int(re.search(rb'/Root\s+(\d+) 0 R', tr).group(1))
cat = list(re.finditer(rb'(?<![0-9])%d 0 obj\s*(<<.*?>>)\s*endobj' % root, d, re.S))[-1].group(1)
xmp = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
       b'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="2" pdfaid:conformance="B"/>'
       b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>')
objs = [(size, b'<< /Type /Metadata /Subtype /XML /Length %d >>\nstream\n' % len(xmp) + xmp + b'\nendstream'),
        (root, cat[:-2] + b' /Metadata %d 0 R >>' % size)]
body, offs = b'', {}
for n, o in objs:
    offs[n] = len(d) + len(body)
    body += b'%d 0 obj\n' % n + o + b'\nendobj\n'
x = len(d) + len(body)
xref = b'xref\n' + b''.join(b'%d 1\n%010d 00000 n \n' % (n, offs[n]) for n in sorted(offs))
open(sys.argv[2], 'wb').write(d + body + xref + b'trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (size + 1, root, sx, x))
PY
expect_exit 0 "PDF/A-claiming letter signed with a visible stamp" -- sign budi "$T/pdfa.pdf" "$T/pdfa-vis.pdf" \
    --visible --rect 300,50,240,90
expect_grep "note: .*pdfa.pdf claims PDF/A-2; the visible stamp's fonts are not embedded" "$T/err" \
    "PDF/A claim: the visible stamp says the file is no longer strictly PDF/A"
expect_exit 0 "PDF/A-claiming letter signed invisibly" -- sign budi "$T/pdfa.pdf" "$T/pdfa-inv.pdf"
expect_no_grep "PDF/A" "$T/err" "PDF/A claim, invisible signature: no note"
expect_exit 0 "a letter without a PDF/A claim, visible stamp" -- sign budi "$L" "$T/nopdfa-vis.pdf" --visible --rect 300,50,240,90
expect_no_grep "PDF/A" "$T/err" "no PDF/A claim: no note"

# Bad input: clear error, exit 2, no output.
echo "not a pdf" >"$T/np.pdf"
head -c 400 "$L" >"$T/trunc.pdf"
qpdf --encrypt user owner 256 -- "$L" "$T/enc.pdf"
printf '%%PDF-1.4\n1 0 obj\n<</Type /Foo>>\nendobj\n%%%%EOF\n' >"$T/nocat.pdf"
{ printf 'Content-Type: application/pdf\r\n\r\n'; cat "$L"; } >"$T/junk.pdf"
for b in np:"not a PDF" trunc:"truncated" enc:"the PDF is encrypted" nocat:"beyond recovery" \
    junk:"33 bytes precede the %PDF- header; remove them first .tail -c .34 "; do
    f=${b%%:*} msg=${b#*:}
    expect_exit 2 "bad input $f refused" -- sign budi "$T/$f.pdf" "$T/$f-out.pdf"
    expect_grep "$msg" "$T/err" "bad input $f: message says '$msg'"
    [ ! -e "$T/$f-out.pdf" ] && pass "bad input $f: no output file" || fail "bad input $f left output"
done
expect_exit 2 "unwritable output refused" -- sign budi "$T/plain.pdf" "$T/nodir/out.pdf"
# --text (BSrE's text): an extra line in the stamp, read back by MuPDF's text extraction.
expect_exit 0 "visible stamp with --text" -- sign budi "$T/plain.pdf" "$T/text.pdf" --visible \
    --rect 300,50,260,110 --text "Nomor: 12/SE/BU/XI/2026" --reason Menyetujui
mutool draw -q -F txt -o "$T/text.txt" "$T/text.pdf" 1 2>/dev/null
expect_grep "^Nomor: 12/SE/BU/XI/2026$" "$T/text.txt" "--text: the line is in the stamp (mutool draw -F txt)"
expect_grep "^Alasan: Menyetujui$" "$T/text.txt" "--text: under the reason"
expect_exit 2 "--text without --visible refused" -- sign budi "$T/plain.pdf" "$T/text-inv.pdf" --text x
expect_exit 2 "--text with a control character refused" -- sign budi "$T/plain.pdf" "$T/text-ctl.pdf" \
    --visible --rect 300,50,260,110 --text "$(printf 'a\tb')"
[ ! -e "$T/text-inv.pdf" ] && [ ! -e "$T/text-ctl.pdf" ] && pass "--text refusals: no output" || fail "--text refusal left output"
# --page last / first (BSrE's halaman): the widget is on the document's last page.
qpdf --empty --pages "$L" "$L" "$L" -- "$T/three.pdf"
expect_exit 0 "--page last on a three-page letter" -- sign budi "$T/three.pdf" "$T/three-last.pdf" \
    --visible --rect 300,50,200,80 --page last
last=$(qpdf --show-pages "$T/three.pdf" | sed -n 's/^page 3: \([0-9]*\) 0 R$/\1/p')
grep -aq "/P $last 0 R /Rect" "$T/three-last.pdf" && pass "--page last: the widget is on page 3 (object $last)" ||
    fail "--page last: widget not on object $last"
expect_exit 2 "--page middle refused" -- sign budi "$T/three.pdf" "$T/three-mid.pdf" --visible \
    --rect 300,50,200,80 --page middle
expect_grep "page number from 1, or first or last" "$T/err" "--page middle: says what is accepted"
expect_exit 2 "page out of range refused" -- sign budi "$T/plain.pdf" "$T/p9.pdf" --page 9
[ ! -e "$T/p9.pdf" ] && pass "page out of range: no output file" || fail "page out of range left output"
expect_exit 2 "wrong PKCS#12 password refused" -- "$SERTEL" sign --p12 "$T/budi.p12" \
    --p12-password-file "$T/adminpw" "$T/plain.pdf" "$T/wp.pdf"
[ -z "$(ls "$T" | grep '\.tmp-')" ] && pass "no temporary files left" || fail "temporary files left"
finish
