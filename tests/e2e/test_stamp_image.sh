#!/bin/bash
# End-to-end: a visible stamp with the signer's handwritten-signature image
# (--image): a PNG with transparency (blue strokes on a transparent ground),
# an RGB and a CMYK JPEG made by poppler's pdftoppm, signed with a PKCS#12
# key and as an owner (--email); checked with pdfsig (NSS trusting the test
# root), qpdf --check, mutool, pdfimages -list (the image, its soft mask)
# and a pdftoppm rendering (blue ink inside the stamp, the transparent
# ground not drawn black). Damaged, truncated and non-image files: exit 2,
# a clear message and no output.
. "$(dirname "$0")/lib.sh"
D=$SERTEL_TEST_DATA
for tool in pdfsig qpdf mutool certutil pdfimages pdftoppm python3 sqlite3; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done

H=$T/home
new_home "$H"
sed -i 's/^argon2_memory_kib = .*/argon2_memory_kib = 19456/; s/^argon2_passes = .*/argon2_passes = 2/' "$H/sertel.conf"
S() { "$SERTEL" --home "$H" "$@"; }
make_signers "$H" budi:ec-p256
NSS=$T/nss
make_nss "$NSS" "$T/root.pem"
PDFSIG="pdfsig -nssdir sql:$NSS -no-ocsp"
L=$D/letter.pdf
RECT=300,50,260,120

sign() { # sign IN OUT [extra options]
    local in=$1 out=$2
    shift 2
    S sign --p12 "$T/budi.p12" --p12-password-file "$T/p12pw" "$@" "$in" "$out"
}

# The handwritten signature: pure blue strokes on a transparent ground whose
# colour samples are black (drawn black if a viewer ignored the soft mask).
python3 - "$T/ttd.png" <<'PY'
import math, struct, sys, zlib
W, H = 300, 100
pts = [(10 + i * 2, 50 + 30 * math.sin(i / 9.0) * math.cos(i / 31.0)) for i in range(140)]
rows = []
for y in range(H):
    row = bytearray([0])  # filter: none
    for x in range(W):
        ink = any(abs(px - x) <= 3 and abs(py - y) <= 3 for px, py in pts[max(0, (x - 10) // 2 - 3):(x - 10) // 2 + 4])
        row += bytes([0, 0, 255, 255]) if ink else bytes([0, 0, 0, 0])
    rows.append(bytes(row))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 6, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
# The same strokes as a JPEG (opaque, white ground): a PDF drawn by pdftoppm.
python3 - "$T/ttd-src.pdf" <<'PY'
import os, sys
c = b"1 1 1 rg 0 0 240 80 re f 0 0 1 RG 6 w 1 J 10 20 m 60 70 l 110 15 l 160 65 l 230 30 l S"
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 240 80] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(c) + c + b"\nendstream"]
sys.path.insert(0, os.environ["SERTEL_TEST_DATA"] + "/pdf")
import mkpdf
mkpdf.write(sys.argv[1], objs, binary=False)
PY
pdftoppm -jpeg -r 72 -singlefile "$T/ttd-src.pdf" "$T/ttd" &&
    pdftoppm -jpegcmyk -r 72 -singlefile "$T/ttd-src.pdf" "$T/ttd-cmyk" ||
    { echo "pdftoppm -jpeg failed"; exit 1; }
head -c 3 "$T/ttd.jpg" | od -An -tx1 | grep -q "ff d8 ff" && pass "pdftoppm wrote a JPEG" || fail "no JPEG"

# check_signed FILE DESC: the independent tools accept the file.
check_signed() {
    local f=$1 desc=$2
    $PDFSIG "$f" >"$T/pdfsig.out" 2>&1
    expect_grep "Signature is Valid\." "$T/pdfsig.out" "$desc: pdfsig: signature valid"
    expect_grep "Certificate is Trusted\." "$T/pdfsig.out" "$desc: pdfsig: certificate trusted"
    expect_grep "Total document signed" "$T/pdfsig.out" "$desc: pdfsig: total document signed"
    qpdf --check "$f" >"$T/qpdf.out" 2>&1 && pass "$desc: qpdf --check clean" ||
        fail "$desc: qpdf --check: $(tail -3 "$T/qpdf.out")"
    mutool draw -q -r 72 -o "$T/mu.png" "$f" 1 2>"$T/mu.err" && [ -s "$T/mu.png" ] &&
        ! grep -qi "error" "$T/mu.err" && pass "$desc: mutool renders the page" ||
        fail "$desc: mutool draw: $(cat "$T/mu.err")"
    mutool sign -v "$f" >"$T/mutool.out" 2>&1
    expect_grep "document is unchanged since signing" "$T/mutool.out" "$desc: mutool: signature covers the document"
}

# ink FILE.pdf MODE: render page 1 at 72 dpi (1 pixel = 1 point) and look in
# the stamp's rectangle $RECT. MODE blue: pure-blue ink inside the stamp,
# none outside it, and no black where the image's transparent ground is (the
# bounding box of the ink), in the upper part of the stamp. MODE cmyk: the
# same for CMYK blue as poppler draws it; blue elsewhere on the page (an
# earlier stamp) is allowed.
ink() {
    pdftoppm -r 72 -singlefile "$1" "$T/page" || return 1
    python3 - "$T/page.ppm" "$2" "$RECT" <<'PY'
import sys
path, mode, rect = sys.argv[1], sys.argv[2], [float(v) for v in sys.argv[3].split(",")]
magic, size, _, px = open(path, "rb").read().split(b"\n", 3)  # binary PPM (P6), 8 bits
assert magic == b"P6"
W, H = (int(v) for v in size.split())
def rgb(x, y):
    o = (y * W + x) * 3
    return px[o], px[o + 1], px[o + 2]
x0, x1 = int(rect[0]), int(rect[0] + rect[2])
y0, y1 = H - int(rect[1] + rect[3]), H - int(rect[1])  # rows from the top
inside = lambda x, y: x0 <= x < x1 and y0 <= y < y1
# Pure blue (RGB ink); poppler draws DeviceCMYK blue as about (46, 49, 140):
# that one must not be the stamp frame's (13, 64, 140).
isblue = ((lambda r, g, b: b > 200 and r < 90 and g < 90) if mode == "blue" else
          (lambda r, g, b: b > 110 and b - r > 60 and abs(r - g) < 15))
blue = [(x, y) for y in range(H) for x in range(W) if isblue(*rgb(x, y))]
bin_ = [p for p in blue if inside(*p)]
bout = [p for p in blue if not inside(*p)]
if len(bin_) < 100 or (bout and mode == "blue"):
    sys.exit("blue pixels: %d inside the stamp, %d outside" % (len(bin_), len(bout)))
bx0, bx1 = min(x for x, _ in bin_), max(x for x, _ in bin_)
by0, by1 = min(y for _, y in bin_), max(y for _, y in bin_)
black = sum(1 for y in range(by0, by1 + 1) for x in range(bx0, bx1 + 1) if max(rgb(x, y)) < 60)
# The image sits in the upper part of the stamp, text below it.
if black or by1 > y0 + 0.6 * (y1 - y0):
    sys.exit("ink box x %d..%d y %d..%d: %d black pixels" % (bx0, bx1, by0, by1, black))
print("blue ink: %d pixels inside the stamp, box x %d..%d y %d..%d, no black" % (len(bin_), bx0, bx1, by0, by1))
PY
}

# A page without a stamp has no blue at all (so the checks above can fail).
if ink "$L" blue >"$T/ink.out" 2>&1; then fail "the unsigned letter has blue ink"; else pass "the unsigned letter has no blue ink"; fi

# PNG with transparency.
expect_exit 0 "sign with --image PNG (RGBA)" -- sign "$L" "$T/png.pdf" --visible --rect $RECT \
    --image "$T/ttd.png" --reason "Menyetujui" --qr "https://contoh.go.id/verify"
[ -f "$T/png.pdf" ] && check_signed "$T/png.pdf" "PNG stamp"
pdfimages -list "$T/png.pdf" >"$T/list" 2>&1
expect_grep "image +300 +100 +rgb +3 +8 +image" "$T/list" "PNG stamp: pdfimages lists the 300x100 RGB image"
expect_grep "smask +300 +100 +gray +1 +8 +image" "$T/list" "PNG stamp: pdfimages lists its soft mask"
expect_exit 0 "PNG stamp: blue ink inside the stamp, transparent ground not black (pdftoppm)" -- ink "$T/png.pdf" blue
cat "$T/out"
# A PNG with a text chunk and data after IEND: only its pixels are embedded.
python3 - "$T/ttd.png" "$T/ttd-payload.png" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
t = b"Comment\0SERTEL-PNG-TEXT <script>alert(1)</script>"
c = struct.pack(">I", len(t)) + b"tEXt" + t + struct.pack(">I", zlib.crc32(b"tEXt" + t) & 0xffffffff)
open(sys.argv[2], "wb").write(d[:33] + c + d[33:] + b"<html>SERTEL-PNG-TRAILING</html>")
PY
expect_exit 0 "sign with --image PNG carrying a text chunk and trailing data" -- sign "$L" \
    "$T/png2.pdf" --visible --rect $RECT --image "$T/ttd-payload.png"
if grep -q -a "SERTEL-PNG-TEXT\|SERTEL-PNG-TRAILING" "$T/ttd-payload.png" &&
    ! grep -q -a "SERTEL-PNG-TEXT\|SERTEL-PNG-TRAILING\|<script" "$T/png2.pdf"; then
    pass "PNG stamp: neither the text chunk nor the data after IEND reached the signed PDF"
else
    fail "PNG stamp: a payload of the PNG reached the signed PDF (or the PNG lacked it)"
fi

# RGB JPEG, written again from its pixels (DCTDecode). The file carries a
# comment (COM) and, after its end (EOI), an HTML payload: neither may reach
# the signed PDF, only the pixels do.
python3 - "$T/ttd.jpg" "$T/ttd-payload.jpg" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
com = b"SERTEL-COM-PAYLOAD <script>alert(1)</script>"
d = d[:2] + b"\xff\xfe" + (len(com) + 2).to_bytes(2, "big") + com + d[2:]
open(sys.argv[2], "wb").write(d + b"<html><script>SERTEL-TRAILING-PAYLOAD</script></html>")
PY
grep -q SERTEL-TRAILING-PAYLOAD "$T/ttd-payload.jpg" && grep -q SERTEL-COM-PAYLOAD "$T/ttd-payload.jpg" &&
    pass "the JPEG carries both payloads" || fail "payloads not in the JPEG"
expect_exit 0 "sign with --image JPEG (RGB)" -- sign "$L" "$T/jpg.pdf" --visible --rect $RECT \
    --image "$T/ttd-payload.jpg" --level B-T
[ -f "$T/jpg.pdf" ] && check_signed "$T/jpg.pdf" "JPEG stamp"
pdfimages -list "$T/jpg.pdf" >"$T/list" 2>&1
expect_grep "image +240 +80 +rgb +3 +8 +jpeg" "$T/list" "JPEG stamp: pdfimages lists the 240x80 JPEG"
expect_no_grep "smask" "$T/list" "JPEG stamp: no soft mask"
pdfimages -j "$T/jpg.pdf" "$T/x" && ! cmp -s "$T/ttd-payload.jpg" "$(ls "$T"/x-*.jpg | head -1)" &&
    pass "JPEG stamp: the embedded JPEG is a new file, not the one given" || fail "JPEG stamp: the file was embedded as it is"
if grep -q -a "SERTEL-TRAILING-PAYLOAD\|SERTEL-COM-PAYLOAD\|<script" "$T/jpg.pdf" "$T"/x-*.jpg; then
    fail "JPEG stamp: a payload of the JPEG reached the signed PDF"
else
    pass "JPEG stamp: neither the comment nor the data after EOI reached the signed PDF"
fi
expect_exit 0 "JPEG stamp: blue ink inside the stamp (pdftoppm)" -- ink "$T/jpg.pdf" blue
cat "$T/out"

# CMYK JPEG (pdftoppm writes Adobe's inverted YCCK), on a file already signed once.
expect_exit 0 "sign the JPEG-stamped file again with a CMYK JPEG" -- sign "$T/jpg.pdf" "$T/cmyk.pdf" \
    --visible --rect 40,50,240,110 --image "$T/ttd-cmyk.jpg"
pdfimages -list "$T/cmyk.pdf" >"$T/list" 2>&1
expect_grep "image +240 +80 +cmyk +4 +8 +jpeg" "$T/list" "CMYK JPEG stamp: pdfimages lists a CMYK JPEG"
$PDFSIG "$T/cmyk.pdf" >"$T/pdfsig.out" 2>&1
[ "$(grep -c "Signature is Valid\." "$T/pdfsig.out")" = 2 ] && pass "CMYK JPEG: both signatures valid" ||
    fail "CMYK JPEG: $(cat "$T/pdfsig.out")"
qpdf --check "$T/cmyk.pdf" >/dev/null 2>&1 && pass "CMYK JPEG: qpdf --check clean" || fail "CMYK JPEG: qpdf --check"
# Blue strokes on white, not inverted: the first stamp's blue lies outside this rectangle.
RECT=40,50,240,110 expect_exit 0 "CMYK JPEG: blue ink on white, colours not inverted (pdftoppm)" -- \
    ink "$T/cmyk.pdf" cmyk
cat "$T/out"

# A phone's photo: stored as the sensor saw it, with an EXIF Orientation tag
# saying how to turn it upright. jpegtran (an independent tool) makes each
# stored image from the upright one with the inverse of the turn the tag
# asks for; every stamp must then look like the upright stamp, and the same
# stored image without the tag must not (so the comparison can fail).
# mask FILE.pdf OUT: the blue pixels of the stamp's rectangle, as x,y lines.
mask() { # mask FILE.pdf OUT [pdftoppm options]: page 1 rendered, its blue pixels
    local f=$1 out=$2
    shift 2
    pdftoppm -singlefile "$@" "$f" "$T/m" || return 1
    python3 - "$T/m.ppm" "$out" <<'PY'
import sys
magic, size, _, px = open(sys.argv[1], "rb").read().split(b"\n", 3)  # binary PPM (P6)
assert magic == b"P6"
W, H = (int(v) for v in size.split())
out = []
for i in range(W * H):
    r, g, bl = px[3 * i:3 * i + 3]
    if bl > 180 and r < 110 and g < 110:
        out.append("%d,%d" % (i % W, i // W))
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
}
# same A B: the blue masks overlap (intersection over union at least 0.8).
same() {
    python3 - "$1" "$2" <<'PY'
import sys
a, b = (set(open(f).read().split()) for f in sys.argv[1:3])
iou = len(a & b) / max(1, len(a | b))
print("%d and %d blue pixels, overlap %.2f" % (len(a), len(b), iou))
sys.exit(0 if len(a) > 500 and iou >= 0.8 else 1)
PY
}
exif() { # exif IN.jpg OUT.jpg N: IN with an APP1 Exif segment saying Orientation N
    python3 - "$@" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
tiff = b"MM\0*" + struct.pack(">IH", 8, 1) + struct.pack(">HHIHH", 0x112, 3, 1, int(sys.argv[3]), 0) + b"\0" * 4
seg = b"Exif\0\0" + tiff
open(sys.argv[2], "wb").write(d[:2] + b"\xff\xe1" + struct.pack(">H", len(seg) + 2) + seg + d[2:])
PY
}
if command -v jpegtran >/dev/null; then
    RECT=300,50,260,120
    expect_exit 0 "upright JPEG stamp for the orientation checks" -- sign "$L" "$T/o1.pdf" --visible --rect $RECT \
        --image "$T/ttd.jpg"
    # At 144 dpi (2 pixels a point), the rectangle 300,50,260,120 of the A4 letter (842 high).
    CROP="-r 144 -x 600 -y $(((842 - 170) * 2)) -W 520 -H 240"
    mask "$T/o1.pdf" "$T/o1.mask" $CROP
    # tag: the jpegtran operation that makes the stored image (the inverse of the tag's turn)
    for t in "2:-flip horizontal" "3:-rotate 180" "4:-flip vertical" "5:-transpose" "6:-rotate 270" \
        "7:-transverse" "8:-rotate 90"; do
        o=${t%%:*} op=${t#*:}
        jpegtran -perfect -copy none $op -outfile "$T/raw$o.jpg" "$T/ttd.jpg" && exif "$T/raw$o.jpg" "$T/exif$o.jpg" "$o" ||
            { fail "jpegtran $op / EXIF $o"; continue; }
        expect_exit 0 "EXIF orientation $o (stored with jpegtran $op): signed" -- \
            sign "$L" "$T/o$o.pdf" --visible --rect $RECT --image "$T/exif$o.jpg"
        mask "$T/o$o.pdf" "$T/o$o.mask" $CROP
        expect_exit 0 "EXIF orientation $o: the stamp shows the signature upright (pdftoppm)" -- same "$T/o1.mask" "$T/o$o.mask"
        cat "$T/out"
        sign "$L" "$T/n$o.pdf" --visible --rect $RECT --image "$T/raw$o.jpg" 2>/dev/null
        mask "$T/n$o.pdf" "$T/n$o.mask" $CROP
        expect_exit 1 "the same stored image without its EXIF tag is not upright (the check can fail)" -- \
            same "$T/o1.mask" "$T/n$o.mask"
    done
    qpdf --check "$T/o6.pdf" >/dev/null 2>&1 && pass "EXIF orientation 6: qpdf --check clean" || fail "o6: qpdf --check"
else
    fail "jpegtran (libjpeg-turbo-progs) missing: scripts/install-deps.sh installs it"
fi

# Pages shown turned (/Rotate 90, 180, 270): the same landscape letter as an
# unturned page (MediaBox 842x595) and as pages whose content is drawn turned
# so that each shows exactly like it (checked first: poppler renders them
# alike). --rect and --marker are where they show on the page; the stamp
# reads upright. An empty signature field with /MK /R 90 too. Each stamp's
# blue ink must lie where the unturned page's does (pdftoppm).
python3 - "$T" <<'PY'
import os, sys
sys.path.insert(0, os.environ["SERTEL_TEST_DATA"] + "/pdf")
import mkpdf
t = sys.argv[1]
text = b"BT /F1 14 Tf 72 520 Td (Surat Rekomendasi - halaman mendatar) Tj 0 -220 Td (Tanda tangan: #ttd#) Tj ET"
# display -> user space for each turn; the content is drawn through it
turns = {0: (b"", (842, 595)), 90: (b"0 1 -1 0 595 0 cm ", (595, 842)),
         180: (b"-1 0 0 -1 842 595 cm ", (842, 595)), 270: (b"0 -1 1 0 0 842 cm ", (595, 842))}
for r, (cm, (w, h)) in turns.items():
    c = b"q " + cm + text + b" Q"
    extra, field = b"", b""
    objs = [b"<< /Type /Catalog /Pages 2 0 R %s>>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Rotate %d /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R%s >>",
            b"<< /Length %d >>\nstream\n" % len(c) + c + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    if r == 90:  # an empty signature field shown at 400,100,260,120
        objs[0] = objs[0] % b"/AcroForm << /Fields [6 0 R] /SigFlags 1 >> "
        objs[2] = objs[2] % (w, h, r, b" /Annots [6 0 R]")
        objs.append(b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Ttd) /F 132 /P 3 0 R /Rect [375 400 495 660] /MK << /R 90 >> >>")
    else:
        objs[0] = objs[0] % b""
        objs[2] = objs[2] % (w, h, r, b"")
    mkpdf.write("%s/rot%d.pdf" % (t, r), objs, binary=False)
    if r == 90:  # the same with /Rotate on the page tree's root and no /MK on the widget
        objs[1] = b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Rotate 90 >>"
        objs[2] = objs[2].replace(b" /Rotate 90", b"")
        objs[5] = objs[5].replace(b" /MK << /R 90 >>", b"")
        mkpdf.write("%s/rot90i.pdf" % t, objs, binary=False)
PY
# dark (text) pixels, to check the pages show alike before signing
dark() {
    pdftoppm -r 36 -gray -singlefile "$1" "$T/g" && python3 - "$T/g.pgm" "$2" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
parts = d.split(b"\n", 3)
w, h = (int(v) for v in parts[1].split())
px = parts[3]
open(sys.argv[2], "w").write("\n".join("%d,%d" % (i % w, i // w) for i in range(w * h) if px[i] < 128) + "\n")
PY
}
dark "$T/rot0.pdf" "$T/rot0.dark"
STAMP="-r 144 -x 780 -y 700 -W 560 -H 280" # the rectangle 400,100,260,120 as shown, with a margin
MARK="-r 144 -x 400 -y 200 -W 600 -H 460"  # around the marker at about (190, 300) as shown
expect_exit 0 "unturned landscape page: stamp at --rect" -- sign "$T/rot0.pdf" "$T/rot0-r.pdf" --visible \
    --rect 400,100,260,120 --image "$T/ttd.jpg"
expect_exit 0 "unturned landscape page: stamp at the marker" -- sign "$T/rot0.pdf" "$T/rot0-m.pdf" \
    --marker "#ttd#" --size 240,100 --image "$T/ttd.jpg"
mask "$T/rot0-r.pdf" "$T/rot0-r.mask" $STAMP
mask "$T/rot0-m.pdf" "$T/rot0-m.mask" $MARK
for r in 90 180 270; do
    dark "$T/rot$r.pdf" "$T/rot$r.dark"
    python3 - "$T/rot0.dark" "$T/rot$r.dark" <<'PY' && pass "/Rotate $r: the page shows like the unturned one (poppler)" || fail "/Rotate $r: the test page does not show like the unturned one"
import sys
a, b = (set(open(f).read().split()) for f in sys.argv[1:3])
sys.exit(0 if len(a) > 100 and len(a & b) / len(a | b) > 0.9 else 1)
PY
    expect_exit 0 "/Rotate $r: signed with --rect 400,100,260,120" -- sign "$T/rot$r.pdf" "$T/rot$r-r.pdf" \
        --visible --rect 400,100,260,120 --image "$T/ttd.jpg"
    mask "$T/rot$r-r.pdf" "$T/rot$r-r.mask" $STAMP
    expect_exit 0 "/Rotate $r: the stamp shows at the rectangle, upright (pdftoppm)" -- same "$T/rot0-r.mask" "$T/rot$r-r.mask"
    cat "$T/out"
    expect_exit 0 "/Rotate $r: signed at the marker" -- sign "$T/rot$r.pdf" "$T/rot$r-m.pdf" \
        --marker "#ttd#" --size 240,100 --image "$T/ttd.jpg"
    mask "$T/rot$r-m.pdf" "$T/rot$r-m.mask" $MARK
    expect_exit 0 "/Rotate $r: the stamp shows at the marker, upright (pdftoppm)" -- same "$T/rot0-m.mask" "$T/rot$r-m.mask"
    cat "$T/out"
    check_signed "$T/rot$r-r.pdf" "/Rotate $r stamp"
    grep -aq "/MK <</R $r>>" "$T/rot$r-r.pdf" && pass "/Rotate $r: the widget says /MK /R $r" || fail "/Rotate $r: no /MK /R"
done
expect_exit 1 "a stamp elsewhere does not pass the comparison (the check can fail)" -- \
    same "$T/rot0-r.mask" "$T/rot90-m.mask"
expect_exit 0 "sign into the empty field Ttd (/MK /R 90) of the /Rotate 90 page" -- sign "$T/rot90.pdf" \
    "$T/rot90-f.pdf" --field Ttd --image "$T/ttd.jpg"
mask "$T/rot90-f.pdf" "$T/rot90-f.mask" $STAMP
expect_exit 0 "field with /MK /R 90: the stamp shows in the field, upright (pdftoppm)" -- same "$T/rot0-r.mask" "$T/rot90-f.mask"
cat "$T/out"
check_signed "$T/rot90-f.pdf" "field on a /Rotate 90 page"
expect_exit 0 "sign into Ttd on a page that inherits /Rotate 90, widget without /MK" -- sign "$T/rot90i.pdf" \
    "$T/rot90i-f.pdf" --field Ttd --image "$T/ttd.jpg"
mask "$T/rot90i-f.pdf" "$T/rot90i-f.mask" $STAMP
expect_exit 0 "inherited /Rotate: the stamp shows in the field, upright (pdftoppm)" -- same "$T/rot0-r.mask" "$T/rot90i-f.mask"
cat "$T/out"

# At a marker text (--marker implies --visible): the image comes with the stamp.
python3 - "$T/marker.pdf" <<'PY'
import os, sys
c = b"BT /F1 11 Tf 72 700 Td (Jakarta, 25 November 2026) Tj 0 -90 Td (Tanda tangan: #ttd#) Tj ET"
objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(c) + c + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
sys.path.insert(0, os.environ["SERTEL_TEST_DATA"] + "/pdf")
import mkpdf
mkpdf.write(sys.argv[1], objs, binary=False)
PY
expect_exit 0 "sign at marker #ttd# with --image" -- sign "$T/marker.pdf" "$T/marker-1.pdf" --marker "#ttd#" \
    --size 240,100 --image "$T/ttd.png"
[ -f "$T/marker-1.pdf" ] && check_signed "$T/marker-1.pdf" "marker stamp"
pdfimages -list "$T/marker-1.pdf" >"$T/list" 2>&1
expect_grep "smask +300 +100 +gray" "$T/list" "marker stamp: image with its soft mask"
# The stamp occupies the space at and below the marker: its left edge at the
# marker's (about 150), its top at the marker's top (the baseline 610 plus
# Helvetica's ascent, 0.718 x 11 = 7.9), 100 points high.
x=$(grep -ao '/Rect \[[0-9.]* 517\.90 [0-9.]* 617\.90\]' "$T/marker-1.pdf" | head -1 | sed 's/.*\[\([0-9]*\).*/\1/')
[ -n "$x" ] && pass "marker stamp: widget at and below the marker (x $x, top 617.9)" || fail "marker stamp: /Rect $(grep -ao '/Rect \[[^]]*\]' "$T/marker-1.pdf" | tail -1)"
[ -n "$x" ] && RECT=$x,518,240,100 expect_exit 0 "marker stamp: blue ink inside the stamp (pdftoppm)" -- ink "$T/marker-1.pdf" blue

# Bad images: exit 2, a clear message, no output file.
head -c 300 "$T/ttd.png" >"$T/trunc.png"
head -c 900 "$T/ttd.jpg" >"$T/trunc.jpg"
cp "$T/ttd.png" "$T/crc.png"
printf '\x00\x00\x00\x00' | dd of="$T/crc.png" bs=1 seek=200 conv=notrunc 2>/dev/null
head -c 2000 /dev/urandom >"$T/noise.png"
printf 'GIF89a\001\000\001\000\200\000\000' >"$T/sig.gif"
: >"$T/empty.png"
python3 - "$T/huge.png" <<'PY'
import struct, sys, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 6, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
head -c $((5 * 1024 * 1024)) /dev/zero >"$T/big.png"
for b in trunc.png:"truncated" trunc.jpg:"truncated|Premature" crc.png:"damaged" \
    noise.png:"neither the PNG nor the JPEG" sig.gif:"neither the PNG nor the JPEG" \
    empty.png:"empty" huge.png:"60000x60000 pixels, more than sertel accepts" big.png:"too large"; do
    f=${b%%:*} msg=${b#*:}
    expect_exit 2 "--image $f refused" -- sign "$L" "$T/bad-$f.pdf" --visible --rect $RECT --image "$T/$f"
    expect_grep "^sertel: --image must be a PNG or JPEG file: .*$f" "$T/err" "--image $f: says it must be a PNG or JPEG"
    expect_grep "$msg" "$T/err" "--image $f: message says '$msg'"
    [ ! -e "$T/bad-$f.pdf" ] && pass "--image $f: no output file" || fail "--image $f left output"
done
expect_exit 2 "--image of a missing file refused" -- sign "$L" "$T/bad-missing.pdf" --visible --rect $RECT \
    --image "$T/none.png"
[ ! -e "$T/bad-missing.pdf" ] && pass "missing image: no output file" || fail "missing image left output"
expect_exit 2 "--image without --visible refused" -- sign "$L" "$T/bad-novis.pdf" --image "$T/ttd.png"
expect_grep "go with --visible" "$T/err" "--image without --visible: usage message"
expect_exit 2 "--image with --detached refused" -- sign "$L" "$T/bad.p7s" --detached --image "$T/ttd.png"
[ ! -e "$T/bad-novis.pdf" ] && [ ! -e "$T/bad.p7s" ] && pass "usage errors: no output" || fail "usage errors left output"

# An owner's key (--email): the stamp with the image and the home's QR code.
S agency add --name "Kementerian Contoh" --domain contoh.go.id --quiet >"$T/agency" || { echo "agency add failed"; exit 1; }
S account add --role verifier --agency "$(cat "$T/agency")" --email verif@contoh.go.id --name Verifikator >/dev/null
S register --agency "$(cat "$T/agency")" --name "Siti Rahayu" --nik 6271015201900001 --email siti@contoh.go.id \
    --unit "Biro Umum" --position Analis >/dev/null || { echo "register failed"; exit 1; }
mail_to() { grep -l "^To: $1" $(ls -r "$H"/outbox/*.eml) 2>/dev/null | head -1; }
token_in() { grep -ho '^  [0-9a-f]\{64\}' "$1" | head -1 | tr -d ' '; }
S email confirm --token "$(token_in "$(mail_to siti@contoh.go.id)")" >/dev/null
APP=$(S apply issuance --email siti@contoh.go.id --letter "$L" --ktp "$D/ktp.jpg" --quiet)
S review approve "$APP" --verifier verif@contoh.go.id >/dev/null || { echo "approve failed"; exit 1; }
printf 'rahasia siti 2026\n' >"$T/pass"
S passphrase create --token "$(token_in "$(mail_to siti@contoh.go.id)")" --passphrase-file "$T/pass" >/dev/null ||
    { echo "passphrase create failed"; exit 1; }
sed -i 's/^second_factor = .*/second_factor = off/' "$H/sertel.conf"
expect_exit 0 "owner signs with --email and --image (B-T)" -- S sign --email siti@contoh.go.id \
    --passphrase-file "$T/pass" --level B-T --visible --rect $RECT --image "$T/ttd.png" --footer "$L" "$T/owner.pdf"
[ -f "$T/owner.pdf" ] && check_signed "$T/owner.pdf" "owner stamp"
pdfimages -list "$T/owner.pdf" >"$T/list" 2>&1
expect_grep "smask +300 +100 +gray" "$T/list" "owner stamp: image with its soft mask"
expect_exit 0 "owner stamp: blue ink inside the stamp (pdftoppm)" -- ink "$T/owner.pdf" blue
expect_exit 2 "owner: a damaged --image refused before the key is used" -- S sign --email siti@contoh.go.id \
    --passphrase-file "$T/pass" --visible --rect $RECT --image "$T/crc.png" "$L" "$T/owner-bad.pdf"
[ ! -e "$T/owner-bad.pdf" ] && pass "owner, damaged image: no output" || fail "owner, damaged image left output"
[ -z "$(ls "$T" | grep '\.tmp-')" ] && pass "no temporary files left" || fail "temporary files left"
finish
