#!/usr/bin/env python3
"""mkcases.py OUTDIR - write one PDF per test case of the upload checks into
OUTDIR, and OUTDIR/cases.tsv listing them: file, expected verdict ("ok" or a
phrase the refusal must contain), and optional limits.

Independent of sertel: PDFs are written here with the standard library
(classic cross-reference tables, incremental updates by hand); object
streams and encryption are made by qpdf. Cases:

  <key>-plain       the active content as written normally
  <key>-escaped     the same with every name of it #xx-escaped (/J#61vaScript)
  <key>-incremental added by an incremental update (revision 2)
  <key>-hidden      in revision 1 only: revision 2 drops every reference to it
  <key>-objstm      inside an object stream (qpdf --object-streams=generate)
  <key>-aes         AES-256 encrypted, empty user password (qpdf --encrypt "" owner 256)
  <key>-aes-objstm  both: the names are in encrypted, compressed object streams
for each key of the policy (JavaScript, /AA, /Launch, /URI, /SubmitForm,
/ImportData, /GoToR, /GoToE, /RichMedia, /EmbeddedFiles, file attachment
annotations, XFA, /OpenAction to something else than a page), plus
decompression bombs of every filter, HTML polyglots, a file that needs a
password, and letters that must pass.
"""
import os
import re
import subprocess
import sys
import zlib

OUT = sys.argv[1]
MIB = 1 << 20
cases = []  # (file, expect, limits)

CONTENT = (b"BT /F1 18 Tf 72 760 Td (PEMERINTAH KABUPATEN CONTOH) Tj ET\n"
           b"BT /F1 12 Tf 72 720 Td (Surat Rekomendasi Penerbitan Sertifikat Elektronik) Tj ET\n"
           b"BT /F1 12 Tf 72 700 Td (Yang bertanda tangan di bawah ini merekomendasikan Budi Santoso.) Tj ET\n")


def stream(data, extra=b"", compress=True):
    if compress:
        data = zlib.compress(data)
        extra = b" /Filter /FlateDecode" + extra
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def base_objs(catalog_extra=b"", page_extra=b""):
    return {
        1: b"<< /Type /Catalog /Pages 2 0 R" + catalog_extra + b" >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
           b"/Resources << /Font << /F1 5 0 R >> >>" + page_extra + b" >>",
        4: stream(CONTENT),
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }


def write_pdf(objs, head=b"", version=b"1.7", comment=b"%\xe2\xe3\xcf\xd3\n"):
    """A one-revision PDF of objs {num: body} with a classic cross-reference table."""
    d = head + b"%PDF-" + version + b"\n" + comment
    offs = {}
    for num in sorted(objs):
        offs[num] = len(d)
        d += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
    size = max(objs) + 1
    x = len(d)
    d += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        d += b"%010d 00000 n \n" % offs[num] if num in offs else b"0000000000 65535 f \n"
    d += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, x - len(head))
    return d


def update(d, objs, free=()):
    """Append an incremental update (ISO 32000-1 7.5.6) redefining objs, freeing free."""
    sx = int(re.findall(rb"startxref\s+(\d+)", d)[-1])
    size = int(re.findall(rb"/Size\s+(\d+)", d)[-1])
    body, offs = b"", {}
    for num in sorted(objs):
        offs[num] = len(d) + len(body)
        body += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
    x = len(d) + len(body)
    xref = b"xref\n"
    for num in sorted(set(offs) | set(free)):
        if num in offs:
            xref += b"%d 1\n%010d 00000 n \n" % (num, offs[num])
        else:
            xref += b"%d 1\n0000000000 00001 f \n" % num
    size = max([size] + [n + 1 for n in objs])
    return d + body + xref + b"trailer\n<< /Size %d /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        size, sx, x)


def save(name, data, expect, limits=""):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    cases.append((name, expect, limits))


def qpdf(src, dst, *args):
    subprocess.run(["qpdf"] + list(args) + [os.path.join(OUT, src), os.path.join(OUT, dst)],
                   check=True)


def escape(body, names):
    """Write each name in names with its second character as #xx (/JS -> /J#53)."""
    for n in names:
        esc = b"/" + n[:1] + b"#%02X" % n[1] + n[2:]
        body = re.sub(rb"/" + re.escape(n) + rb"(?=[\s/<>\[\]()%]|$)", lambda m: esc, body)
    return body


ANNOT = b"/Type /Annot /Rect [72 600 300 620] /Border [0 0 0] "
FILESPEC = b"<< /Type /Filespec /F (lampiran.txt) /UF (lampiran.txt) /EF << /F 8 0 R >> >>"
EMBEDDED = stream(b"isi lampiran\n", b" /Type /EmbeddedFile")

# key: (names that make it active, catalog extra, page extra, new objects, phrase of the refusal).
# WITHOUT[key]: what the advice says to leave out (the same whichever of its names is found first).
WITHOUT = {"js": "scripts", "javascript": "scripts", "aa": "scripts and form actions",
           "launch": "links and actions", "uri": "links", "gotor": "links", "gotoe": "attachments and links",
           "submitform": "form fields", "importdata": "form fields", "xfa": "form fields",
           "richmedia": "embedded media", "embeddedfiles": "attachments", "fileattachment": "attachments",
           "openaction": "actions"}
ACTIVE = {
    "js": ([b"JS", b"JavaScript"], b"", b" /Annots [6 0 R]",
           {6: b"<< " + ANNOT + b"/Subtype /Link /A << /JS (app.alert\\(1\\)) /S /JavaScript >> >>"},
           "contains JavaScript (the key /JS"),
    "javascript": ([b"JavaScript", b"JS"], b" /Names << /JavaScript 6 0 R >>", b"",
                   {6: b"<< /Names [(init) 7 0 R] >>", 7: b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"},
                   "contains JavaScript (the key /JavaScript"),
    "aa": ([b"AA"], b"", b" /AA << /O 6 0 R >>", {6: b"<< /S /GoTo /D [3 0 R /Fit] >>"},
           "contains automatic actions"),
    "launch": ([b"Launch"], b"", b" /Annots [6 0 R]",
               {6: b"<< " + ANNOT + b"/Subtype /Link /A << /S /Launch /F (calc.exe) >> >>"},
               "an action that starts a program"),
    "uri": ([b"URI"], b"", b" /Annots [6 0 R]",
            {6: b"<< " + ANNOT + b"/Subtype /Link /A << /S /URI /URI (https://contoh.example/) >> >>"},
            "a link to a web address (the name /URI"),
    "submitform": ([b"SubmitForm"], b" /AcroForm << /Fields [6 0 R] >>", b" /Annots [6 0 R]",
                   {6: b"<< " + ANNOT + b"/Subtype /Widget /FT /Btn /Ff 65536 /T (kirim) "
                       b"/A << /S /SubmitForm /F << /FS /URL /F (https://contoh.example/) >> >> >>"},
                   "a form that sends data"),
    "importdata": ([b"ImportData"], b"", b" /Annots [6 0 R]",
                   {6: b"<< " + ANNOT + b"/Subtype /Link /A << /S /ImportData /F (data.fdf) >> >>"},
                   "imports form data"),
    "gotor": ([b"GoToR"], b"", b" /Annots [6 0 R]",
              {6: b"<< " + ANNOT + b"/Subtype /Link /A << /S /GoToR /F (lain.pdf) /D [0 /Fit] >> >>"},
              "a link to another file"),
    "gotoe": ([b"GoToE"], b"", b" /Annots [6 0 R]",
              {6: b"<< " + ANNOT + b"/Subtype /Link /A << /S /GoToE /T << /R /C /N (a) >> >> >>"},
              "a link into an attached file"),
    "richmedia": ([b"RichMedia"], b"", b" /Annots [6 0 R]",
                  {6: b"<< " + ANNOT + b"/Subtype /RichMedia /RichMediaContent << /Assets << >> >> >>"},
                  "rich media"),
    "embeddedfiles": ([b"EmbeddedFiles", b"EF", b"EmbeddedFile"], b" /Names << /EmbeddedFiles 6 0 R >>", b"",
                      {6: b"<< /Names [(lampiran.txt) 7 0 R] >>", 7: FILESPEC, 8: EMBEDDED},
                      "attached files (the key /EmbeddedFiles"),
    "fileattachment": ([b"FileAttachment", b"EF", b"EmbeddedFile"], b"", b" /Annots [6 0 R]",
                       {6: b"<< " + ANNOT + b"/Subtype /FileAttachment /FS 7 0 R /Name /PushPin >>",
                        7: FILESPEC, 8: EMBEDDED},
                       "a file attachment"),
    "xfa": ([b"XFA"], b" /AcroForm << /Fields [] /XFA 6 0 R >>", b"",
            {6: stream(b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template/></xdp:xdp>')},
            "an XFA form"),
    "openaction": ([b"OpenAction", b"Named"], b" /OpenAction 6 0 R", b"", {6: b"<< /S /Named /N /Print >>"},
                   "runs an action when it is opened (the key /OpenAction"),
}

for key, (names, cat, page, new, phrase) in ACTIVE.items():
    objs = base_objs(cat, page)
    objs.update(new)
    plain = write_pdf(objs)
    save(key + "-plain.pdf", plain, phrase)
    esc = {n: b if b"stream\n" in b else escape(b, names) for n, b in objs.items()}
    assert esc != objs, key
    save(key + "-escaped.pdf", write_pdf(esc), phrase)
    # Revision 2 adds it: the changed catalog or page and the new objects.
    clean = write_pdf(base_objs())
    changed = {n: objs[n] for n in objs if n not in base_objs() or objs[n] != base_objs()[n]}
    save(key + "-incremental.pdf", update(clean, changed), phrase + "|revision 2 of 2")
    # Revision 1 has it, revision 2 reaches none of it (a reader of the newest revision sees a clean letter).
    save(key + "-hidden.pdf", update(plain, {1: base_objs()[1], 3: base_objs()[3]}), phrase + "|revision 1 of 2")
    qpdf(key + "-plain.pdf", key + "-objstm.pdf", "--object-streams=generate")
    qpdf(key + "-plain.pdf", key + "-aes.pdf", "--encrypt", "", "owner", "256", "--")
    qpdf(key + "-plain.pdf", key + "-aes-objstm.pdf", "--object-streams=generate",
         "--encrypt", "", "owner", "256", "--")
    # qpdf renumbers and reorders objects: the first name found may be another one of the same thing.
    word = "without " + WITHOUT[key] + " ("
    in_stm = "|in object stream" if key not in ("xfa", "embeddedfiles", "fileattachment", "openaction") else ""
    cases.append((key + "-objstm.pdf", word + in_stm, ""))
    cases.append((key + "-aes.pdf", word, ""))
    # Encrypting, qpdf leaves the catalog out of the object streams.
    cases.append((key + "-aes-objstm.pdf", word + (in_stm if key != "javascript" else ""), ""))

# RC4 (R3, 128 bits) as well as AES, once.
qpdf("js-plain.pdf", "js-rc4.pdf", "--allow-weak-crypto", "--encrypt", "", "owner", "128",
     "--use-aes=n", "--")
cases.append(("js-rc4.pdf", "contains JavaScript", ""))
# A file that needs a password to open.
qpdf("js-plain.pdf", "password.pdf", "--encrypt", "rahasia", "owner", "256", "--")
cases.append(("password.pdf", "protected with a password", ""))

# ---- letters that must pass ----
save("ok-plain.pdf", write_pdf(base_objs()), "ok")
save("ok-openaction-dest.pdf", write_pdf(base_objs(b" /OpenAction [3 0 R /XYZ null null 0]")), "ok")
objs = base_objs(b" /OpenAction 6 0 R")
objs[6] = b"<< /S /GoTo /D [3 0 R /Fit] >>"
save("ok-openaction-goto.pdf", write_pdf(objs), "ok")
objs = base_objs(b"", b" /Annots [6 0 R]")
objs[6] = b"<< " + ANNOT + b"/Subtype /Link /Dest [3 0 R /Fit] >>"
save("ok-internal-link.pdf", write_pdf(objs), "ok")
objs = base_objs(b" /AcroForm << /Fields [6 0 R] /DA (/Helv 0 Tf 0 g) >>", b" /Annots [6 0 R]")
objs[6] = b"<< " + ANNOT + b"/Subtype /Widget /FT /Tx /T (nama) /V (Budi) >>"
save("ok-form-field.pdf", write_pdf(objs), "ok")
save("ok-incremental.pdf", update(write_pdf(base_objs()), {4: stream(CONTENT + b"BT /F1 12 Tf 72 680 Td (Catatan) Tj ET\n")}), "ok")
qpdf("ok-plain.pdf", "ok-objstm.pdf", "--object-streams=generate")
qpdf("ok-plain.pdf", "ok-linearized.pdf", "--linearize")
qpdf("ok-plain.pdf", "ok-aes.pdf", "--encrypt", "", "owner", "256", "--")
qpdf("ok-plain.pdf", "ok-aes-objstm.pdf", "--object-streams=generate", "--encrypt", "", "owner", "256", "--")
qpdf("ok-plain.pdf", "ok-rc4.pdf", "--allow-weak-crypto", "--encrypt", "", "owner", "128", "--use-aes=n", "--")
qpdf("ok-plain.pdf", "ok-aes128-restricted.pdf", "--encrypt", "", "owner", "128", "--use-aes=y", "--print=none",
     "--modify=none", "--")
for f in ("ok-objstm.pdf", "ok-linearized.pdf", "ok-aes.pdf", "ok-aes-objstm.pdf", "ok-rc4.pdf",
          "ok-aes128-restricted.pdf"):
    cases.append((f, "ok", ""))
# Every filter once, legitimately (small).
objs = base_objs(b"", b"")
objs[6] = b"<< /Length %d /Filter /ASCIIHexDecode >>\nstream\n" % (len(CONTENT) * 2 + 1) + CONTENT.hex().encode() + b">\nendstream"
objs[7] = b"<< /Length 8 /Filter /RunLengthDecode >>\nstream\n\x03abcd\xfdx\x80\nendstream"
objs[8] = b"<< /Length 7 /Filter [/ASCII85Decode] >>\nstream\n9jqo^~>\nendstream"
save("ok-filters.pdf", write_pdf(objs), "ok")


# ---- decompression bombs ----
def deflate_zeros(n, level=9):
    z = zlib.compressobj(level)
    out, block = [], b"\0" * MIB
    while n > 0:
        k = min(n, MIB)
        out.append(z.compress(block[:k]))
        n -= k
    out.append(z.flush())
    return b"".join(out)


def bomb(name, stream_obj, phrase="decompression bomb", limits=""):
    objs = base_objs()
    objs[6] = stream_obj
    save(name, write_pdf(objs), phrase, limits)


z80 = deflate_zeros(80 * MIB)
bomb("bomb-flate.pdf", b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(z80) + z80 + b"\nendstream")
inner = deflate_zeros(100 * MIB)
outer = zlib.compress(inner, 9)
bomb("bomb-flate-twice.pdf", b"<< /Length %d /Filter [/FlateDecode /FlateDecode] >>\nstream\n" % len(outer)
     + outer + b"\nendstream")
# RunLength: 2 bytes make 128 zeros; ASCII85: "z" makes 4.
rl = zlib.compress(b"\x81\x00" * (80 * MIB // 128) + b"\x80", 9)
bomb("bomb-runlength.pdf", b"<< /Length %d /Filter [/FlateDecode /RunLengthDecode] >>\nstream\n" % len(rl)
     + rl + b"\nendstream")
a85 = zlib.compress(b"z" * (80 * MIB // 4) + b"~>", 9)
bomb("bomb-ascii85.pdf", b"<< /Length %d /Filter [/FlateDecode /ASCII85Decode] >>\nstream\n" % len(a85)
     + a85 + b"\nendstream")


def lzw_zeros(n):
    """LZW (EarlyChange 1, ISO 32000-1 7.4.4) of n zero bytes: after a literal 0, each code is
    the entry the decoder is about to add (one zero longer than the last)."""
    bits, acc, out = 0, 0, bytearray()

    def put(code, width):
        nonlocal bits, acc
        acc = acc << width | code
        bits += width
        while bits >= 8:
            bits -= 8
            out.append(acc >> bits & 0xff)
        acc &= (1 << bits) - 1

    width, nxt, first, left = 9, 258, True, n
    put(256, 9)
    while left > 0:
        code, run = (0, 1) if first or nxt - 256 > left else (nxt, nxt - 256)
        put(code, width)
        left -= run
        if first:
            first = False
            continue
        nxt += 1  # the decoder's table, as it grows on each code after the first
        if nxt + 1 >= 1 << width and width < 12:
            width += 1
        if nxt >= 4094:
            put(256, width)
            width, nxt, first = 9, 258, True
    put(257, width)
    if bits:
        out.append(acc << (8 - bits) & 0xff)
    return bytes(out)


lz = lzw_zeros(80 * MIB)
bomb("bomb-lzw.pdf", b"<< /Length %d /Filter /LZWDecode >>\nstream\n" % len(lz) + lz + b"\nendstream")
small_lzw = lzw_zeros(5000)
objs = base_objs()
objs[6] = b"<< /Length %d /Filter /LZWDecode >>\nstream\n" % len(small_lzw) + small_lzw + b"\nendstream"
save("ok-lzw.pdf", write_pdf(objs), "ok")
# An object stream that expands beyond the limit.
zs = deflate_zeros(80 * MIB)
bomb("bomb-objstm.pdf", b"<< /Type /ObjStm /N 1 /First 4 /Length %d /Filter /FlateDecode >>\nstream\n" % len(zs)
     + zs + b"\nendstream")
# Image filters: their headers declare huge images in a few bytes.
sof = (b"\xff\xd8\xff\xc0\x00\x11\x08\xfd\xe8\xfd\xe8\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
       b"\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00\x00\xff\xd9")
bomb("bomb-dct.pdf", b"<< /Type /XObject /Subtype /Image /Width 100 /Height 100 /ColorSpace /DeviceRGB "
     b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n" % len(sof) + sof + b"\nendstream")
siz = (b"\xff\x4f\xff\x51\x00\x2f\x00\x00" + (60000).to_bytes(4, "big") * 2 + b"\0" * 8
       + (60000).to_bytes(4, "big") * 2 + b"\0" * 8 + b"\x00\x03" + b"\x07\x01\x01" * 3)
bomb("bomb-jpx.pdf", b"<< /Type /XObject /Subtype /Image /Width 100 /Height 100 /Filter /JPXDecode "
     b"/Length %d >>\nstream\n" % len(siz) + siz + b"\nendstream")
page_info = (b"\x00\x00\x00\x00\x30\x00\x01\x00\x00\x00\x13" + (200000).to_bytes(4, "big") * 2
             + b"\0" * 8 + b"\x00\x00\x00")
bomb("bomb-jbig2.pdf", b"<< /Type /XObject /Subtype /Image /Width 100 /Height 100 /ImageMask true "
     b"/Filter /JBIG2Decode /Length %d >>\nstream\n" % len(page_info) + page_info + b"\nendstream")
bomb("bomb-ccitt.pdf", b"<< /Type /XObject /Subtype /Image /Width 100 /Height 100 /ImageMask true "
     b"/Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 100000 /Rows 100000 >> /Length 4 >>\n"
     b"stream\n\x00\x00\x00\x00\nendstream")
tiny = zlib.compress(b"\0" * 100)
bomb("bomb-image-size.pdf", b"<< /Type /XObject /Subtype /Image /Width 60000 /Height 60000 /ColorSpace "
     b"/DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % len(tiny)
     + tiny + b"\nendstream")
# Under the limit one by one, over it together (the limit lowered for the test: 16 + 64 MiB).
objs = base_objs()
z10 = deflate_zeros(10 * MIB)
for i in range(6, 14):
    objs[i] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(z10) + z10 + b"\nendstream"
save("bomb-total.pdf", write_pdf(objs), "decode to more than 67108864 bytes together",
     "expand_max=16777216,expand_total=67108864")
save("ok-total-default.pdf", write_pdf(objs), "ok")
# A bomb in revision 1 only, which revision 2 no longer uses.
objs = base_objs()
objs[4] = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(z80) + z80 + b"\nendstream"
save("bomb-hidden.pdf", update(write_pdf(objs), {4: stream(CONTENT)}), "decompression bomb|revision 1 of 2")

# ---- polyglots ----
letter = write_pdf(base_objs())
save("polyglot-html-before.pdf", b"<html><body><script>alert(1)</script></body></html>\n" + letter,
     "its content is an HTML page")
save("polyglot-comment.pdf", write_pdf(base_objs(), comment=b"%\xe2\xe3\xcf\xd3\n%<html><script>alert(1)</script>\n"),
     "web-page markup (<HTML at byte")
objs = base_objs()
objs[1] = b"<< /Type /Catalog /Pages 2 0 R /Lang (<svg/onload=alert\\(1\\)>) >>"
save("polyglot-svg.pdf", write_pdf(objs), "web-page markup (<SVG")
save("polyglot-bom.pdf", b"\xef\xbb\xbf" + letter, "3 bytes of other data before its %PDF- header")
save("polyglot-doctype.pdf", write_pdf(base_objs(), comment=b"%<!DOCTYPE html>\n"), "web-page markup (<!DOCTYPE HTML")

with open(os.path.join(OUT, "cases.tsv"), "w") as f:
    for name, expect, limits in cases:
        f.write("%s\t%s\t%s\n" % (name, expect, limits))
