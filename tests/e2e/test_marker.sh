#!/bin/bash
# End-to-end: the stamp at a marker text (--marker, BSrE's tag_koordinat) in
# PDFs whose text is not stored as its own bytes, the way office suites write
# it: MS Word's composite fonts (Type0, Identity-H, two-byte glyph codes) and
# LibreOffice's subset fonts (simple TrueType, codes 1, 2, 3 ... in order of
# use), both with a /ToUnicode map. The files are written here; poppler is the
# independent reader: pdftotext must read the letter's text from them, and
# the widget sertel puts at the marker must hang from where `pdftotext
# -bbox` says the word "#ttd#" starts: its left edge at the box's left,
# its top edge at the box's top. Also a marker split over TJ elements with character spacing, the
# Word-style letter merged onto another page by qpdf --overlay (a form
# XObject), and a marker that is not there (exit 2, no output).
. "$(dirname "$0")/lib.sh"
for tool in pdftotext pdfsig qpdf python3; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
D=$SERTEL_TEST_DATA
make_signers_p12() { # a self-made key and certificate in $T/k.p12 (no home needed)
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k.key" \
        -out "$T/k.crt" -subj "/C=ID/O=Kementerian Contoh/CN=Budi Santoso" -days 3 2>/dev/null &&
        printf 'pw\n' >"$T/pw" &&
        openssl pkcs12 -export -inkey "$T/k.key" -in "$T/k.crt" -out "$T/k.p12" -passout file:"$T/pw"
}
make_signers_p12 || { echo "cannot make a test key"; exit 1; }

python3 - "$T" <<'PY'
import os, sys
t = sys.argv[1]
# Helvetica-like advance widths (1/1000 em) for the characters used.
W = {' ': 278, ',': 278, ':': 278, '#': 556, 'J': 500, 'N': 722, 'T': 611, 'K': 667}
def width(ch):
    if ch.isdigit(): return 556
    if ch in W: return W[ch]
    return 556 if ch.islower() else 667
lines = [(72, 700, "Jakarta, 26 November 2026"), (72, 620, "Kepala Biro Umum"),
         (72, 560, "Tanda tangan: #ttd#")]
chars = []
for _, _, s in lines:
    for ch in s:
        if ch not in chars:
            chars.append(ch)

sys.path.insert(0, os.environ["SERTEL_TEST_DATA"] + "/pdf")
import mkpdf
stream = mkpdf.stream

def pdf(objs, name):
    mkpdf.write("%s/%s" % (t, name), objs, version=b"1.7")

desc = b"<< /Type /FontDescriptor /FontName /%s /Flags 32 /FontBBox [-665 -325 2000 1040] /ItalicAngle 0 /Ascent 905 /Descent -212 /CapHeight 716 /StemV 80 >>"

# MS Word style: Type0, Identity-H, CIDs 3, 4, 5 ... (not the characters), /W, /ToUnicode.
cid = {ch: 3 + i for i, ch in enumerate(chars)}
tu = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n/CMapName /Adobe-Identity-UCS def\n1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
tu += b"%d beginbfchar\n" % len(chars) + b"".join(b"<%04X> <%04X>\n" % (cid[ch], ord(ch)) for ch in chars) + b"endbfchar\n"
tu += b"endcmap CMapName currentdict /CMap defineresource pop end end"
wl = b" ".join(b"%d [%d]" % (cid[ch], width(ch)) for ch in chars)
content = b""
for x, y, s in lines:
    if "#ttd#" in s:  # the marker split over TJ elements, with kerning, under character spacing
        a, b_ = s[:-3], s[-3:]
        content += b"BT /F1 11 Tf 0.2 Tc %d %d Td [<%s> -15 <%s>] TJ 0 Tc ET\n" % (
            x, y, "".join("%04X" % cid[c] for c in a).encode(), "".join("%04X" % cid[c] for c in b_).encode())
    else:
        content += b"BT /F1 11 Tf %d %d Td <%s> Tj ET\n" % (x, y, "".join("%04X" % cid[c] for c in s).encode())
pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
     b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
     stream(content),
     b"<< /Type /Font /Subtype /Type0 /BaseFont /Arial /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 8 0 R >>",
     b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Arial /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 7 0 R /DW 1000 /W [" + wl + b"] /CIDToGIDMap /Identity >>",
     desc % b"Arial", stream(tu)], "word.pdf")

# LibreOffice style: simple TrueType, codes 1, 2, 3 ... in order of first use, /Widths, /ToUnicode.
code = {ch: 1 + i for i, ch in enumerate(chars)}
tu = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n1 begincodespacerange <00> <FF> endcodespacerange\n"
tu += b"%d beginbfchar\n" % len(chars) + b"".join(b"<%02X> <%04X>\n" % (code[ch], ord(ch)) for ch in chars) + b"endbfchar\n"
tu += b"endcmap CMapName currentdict /CMap defineresource pop end end"
content = b"".join(b"BT /F1 11 Tf %d %d Td <%s> Tj ET\n" % (x, y, "".join("%02X" % code[c] for c in s).encode())
                   for x, y, s in lines)
widths = b" ".join(b"%d" % width(ch) for ch in chars)
pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
     b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
     stream(content),
     b"<< /Type /Font /Subtype /TrueType /BaseFont /BAAAAA+LiberationSans /FirstChar 1 /LastChar %d /Widths [%s] /FontDescriptor 6 0 R /ToUnicode 7 0 R >>" % (len(chars), widths),
     desc % b"BAAAAA+LiberationSans", stream(tu)], "libreoffice.pdf")

# A blank page, for qpdf to lay the Word-style letter over (as a form XObject).
pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
     b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"], "blank.pdf")
PY
# Merged documents: qpdf --overlay draws the letter's page as a form XObject.
qpdf "$T/blank.pdf" --overlay "$T/word.pdf" -- "$T/merged.pdf" || { echo "qpdf --overlay failed"; exit 1; }
qpdf --show-object=3 "$T/merged.pdf" 2>/dev/null | grep -q "/XObject" && pass "merged: the letter is a form XObject (qpdf --overlay)" ||
    fail "merged: no form XObject"

for f in word libreoffice merged; do
    pdftotext -layout "$T/$f.pdf" - >"$T/$f.txt" 2>/dev/null
    expect_grep "Tanda tangan: #ttd#" "$T/$f.txt" "$f style: pdftotext reads the text (the /ToUnicode map is right)"
    grep -q "#ttd#" "$T/$f.pdf" && fail "$f style: the marker's bytes are in the file" ||
        pass "$f style: the marker is not stored as its own bytes"
    pdftotext -bbox "$T/$f.pdf" "$T/$f.html" 2>/dev/null
    box=$(grep -o '<word xMin="[0-9.]*" yMin="[0-9.]*" xMax="[0-9.]*" yMax="[0-9.]*">#ttd#' "$T/$f.html" |
        sed 's/<word xMin="\([0-9.]*\)" yMin="\([0-9.]*\)" xMax="[0-9.]*" yMax="[0-9.]*".*/\1 \2/')
    [ -n "$box" ] && pass "$f style: pdftotext -bbox places the word #ttd# ($box)" || fail "$f style: no #ttd# box"
    expect_exit 0 "$f style: signed at the marker" -- "$SERTEL" sign --p12 "$T/k.p12" --p12-password-file "$T/pw" \
        --marker "#ttd#" --size 200,80 "$T/$f.pdf" "$T/$f-signed.pdf"
    rect=$(grep -ao '/Rect \[[0-9. ]*\]' "$T/$f-signed.pdf" | tail -1 | sed 's/\/Rect \[\([0-9. ]*\)\]/\1/')
    # The stamp occupies the space at and below the marker: its left edge where
    # pdftotext's box starts, its top edge at the box's top (yMin, from the top).
    python3 - "$box" "$rect" <<'PY' && pass "$f style: the stamp hangs from the marker's top-left (box $box, rect $rect)" || fail "$f style: rect $rect, pdftotext box $box"
import sys
bx, by = (float(v) for v in sys.argv[1].split())
x0, y0, x1, y1 = (float(v) for v in sys.argv[2].split())
sys.exit(0 if abs(x0 - bx) < 0.6 and abs(y1 - (842 - by)) < 1.0 and abs(y1 - y0 - 80) < 0.01 else 1)
PY
    qpdf --check "$T/$f-signed.pdf" >/dev/null 2>&1 && pass "$f style: qpdf --check clean" || fail "$f style: qpdf --check"
    pdfsig "$T/$f-signed.pdf" >"$T/pdfsig.out" 2>&1
    expect_grep "Signature is Valid" "$T/pdfsig.out" "$f style: pdfsig: signature valid"
    expect_exit 2 "$f style: a marker that is not there is refused" -- "$SERTEL" sign --p12 "$T/k.p12" \
        --p12-password-file "$T/pw" --marker "#paraf#" "$T/$f.pdf" "$T/$f-none.pdf"
    expect_grep "marker '#paraf#' not found" "$T/err" "$f style: the message names the marker"
    [ ! -e "$T/$f-none.pdf" ] && pass "$f style: no output for a missing marker" || fail "$f style: output left"
done
# A stamp that would cover text below the marker is signed with a warning
# naming the page (exit 0); the stamp shows the position (jabatan), the NIP
# and the UU ITE footer, wrapped without a word alone on a last line.
python3 - "$T" <<'PY'
import os, sys
sys.path.insert(0, os.environ["SERTEL_TEST_DATA"] + "/pdf")
import mkpdf
c = b"BT /F1 11 Tf 72 700 Td (Kepala Biro Umum) Tj ET BT /F1 11 Tf 72 560 Td (Tanda tangan: #ttd#) Tj ET "
c += b"BT /F1 11 Tf 72 520 Td (Tembusan: Sekretaris Jenderal) Tj ET"
mkpdf.write(sys.argv[1] + "/below.pdf", [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    mkpdf.stream(c),
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"])
PY
expect_exit 0 "a stamp over the text below the marker: signed" -- "$SERTEL" sign --p12 "$T/k.p12" \
    --p12-password-file "$T/pw" --marker "#ttd#" --size 260,120 --footer --position "Kepala Biro Umum" \
    --nip 198001012005011001 "$T/below.pdf" "$T/below-signed.pdf"
expect_grep "warning: the stamp on page 1 covers [0-9]+ characters.*Jenderal" "$T/err" "the warning names the page and the text covered"
expect_exit 0 "a stamp clear of other text: no warning" -- "$SERTEL" sign --p12 "$T/k.p12" \
    --p12-password-file "$T/pw" --marker "#ttd#" --size 200,30 "$T/below.pdf" "$T/clear-signed.pdf"
expect_no_grep "warning" "$T/err" "no warning when nothing is covered"
expect_exit 2 "--nip takes 18 digits" -- "$SERTEL" sign --p12 "$T/k.p12" --p12-password-file "$T/pw" \
    --visible --nip 12345 "$T/below.pdf" "$T/bad-nip.pdf"
# The stamp's text as poppler reads it (the page's own text left out).
pdftotext -bbox-layout "$T/below-signed.pdf" "$T/below.html" 2>/dev/null
python3 - "$T/below.html" <<'PY' >"$T/stamp-lines.txt"
import re, sys
h = open(sys.argv[1]).read()
for block in re.findall(r'<block.*?</block>', h, re.S):
    lines = [re.findall(r'>([^<]+)</word>', l) for l in re.findall(r'<line.*?</line>', block, re.S)]
    print("|".join(" ".join(w) for w in lines))
PY
expect_grep "Kepala Biro Umum.*" "$T/stamp-lines.txt" "the stamp shows the position"
expect_grep "198001012005011001" "$T/stamp-lines.txt" "the stamp shows the NIP"
tr '|' ' ' <"$T/stamp-lines.txt" | grep -q "secara elektronik.*sesuai UU ITE" && pass "the footer cites UU ITE" ||
    fail "footer: $(cat "$T/stamp-lines.txt")"
# A wrapped paragraph (a block of several lines) never ends with one word alone.
awk -F'|' 'NF > 1 && $NF !~ / / {print}' "$T/stamp-lines.txt" >"$T/orphans"
[ ! -s "$T/orphans" ] && pass "no wrapped paragraph ends with a word alone" || fail "orphaned words: $(cat "$T/orphans")"
pdfsig "$T/below-signed.pdf" >"$T/pdfsig.out" 2>&1
expect_grep "Signature is Valid" "$T/pdfsig.out" "the stamped signature is valid (pdfsig)"
finish
