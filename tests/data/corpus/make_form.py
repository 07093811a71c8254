#!/usr/bin/env python3
"""make_form.py OUT - write a one-page PDF form (an Indonesian leave request,
"formulir cuti") with an interactive AcroForm: three filled-in text fields
with appearance streams, a check box, and an empty signature field
("TTD_Pemohon") whose widget shows a box on the page. Raw PDF written by
hand (a classic cross-reference table), for sertel's PDF test corpus
(tests/e2e/test_corpus.sh): the only producer of the corpus that writes an
AcroForm."""
import sys, zlib

objs = {}


def stream(dict_body, data, compress=True):
    if compress:
        data = zlib.compress(data)
        dict_body += b" /Filter /FlateDecode"
    return b"<< " + dict_body + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


page = (b"BT /F1 16 Tf 72 780 Td (FORMULIR PERMOHONAN CUTI) Tj ET\n"
        b"BT /F2 11 Tf 72 740 Td (Nama pegawai:) Tj 0 -30 Td (NIP:) Tj 0 -30 Td (Alasan cuti:) Tj"
        b" 0 -30 Td (Cuti tahunan:) Tj ET\n"
        b"BT /F2 11 Tf 72 560 Td (Tanda tangan pemohon:) Tj ET\n"
        b"0.5 w 200 735 m 520 735 l S 200 705 m 520 705 l S 200 675 m 520 675 l S\n")
fields = [  # name, rect, value
    (b"Nama", (200, 736, 520, 752), b"Siti Rahayu"),
    (b"NIP", (200, 706, 520, 722), b"198203152006042002"),
    (b"Alasan", (200, 676, 520, 692), b"Keperluan keluarga di Yogyakarta"),
]
objs[1] = b"<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R >>"
objs[2] = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
n = 10
kids = []
annots = []
for name, r, v in fields:
    w, h = r[2] - r[0], r[3] - r[1]
    ap = b"/Tx BMC q BT /Helv 10 Tf 0 g 2 4 Td (" + v + b") Tj ET Q EMC"
    objs[n + 1] = stream(b"/Type /XObject /Subtype /Form /BBox [0 0 %d %d] /Resources << /Font << /Helv 6 0 R >> >>" % (w, h), ap, False)
    objs[n] = (b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (" + name + b") /V (" + v +
               b") /DA (/Helv 10 Tf 0 g) /F 4 /P 3 0 R /Rect [%d %d %d %d] /AP << /N %d 0 R >> >>" % (r + (n + 1,)))
    kids.append(n)
    n += 2
# A check box, on.
objs[n + 1] = stream(b"/Type /XObject /Subtype /Form /BBox [0 0 12 12] /Resources << /Font << /ZaDb 7 0 R >> >>",
                     b"q BT /ZaDb 10 Tf 0 g 1.5 2 Td (4) Tj ET Q 0.5 w 0.5 0.5 11 11 re S", False)
objs[n + 2] = stream(b"/Type /XObject /Subtype /Form /BBox [0 0 12 12]", b"0.5 w 0.5 0.5 11 11 re S", False)
objs[n] = (b"<< /Type /Annot /Subtype /Widget /FT /Btn /T (Tahunan) /V /Yes /AS /Yes /F 4 /P 3 0 R"
           b" /Rect [200 646 212 658] /AP << /N << /Yes %d 0 R /Off %d 0 R >> >> /MK << /CA (4) >> /DA (/ZaDb 0 Tf 0 g) >>" % (n + 1, n + 2))
kids.append(n)
n += 3
# The empty signature field: no /V, a visible widget with a frame as its appearance.
objs[n + 1] = stream(b"/Type /XObject /Subtype /Form /BBox [0 0 220 80]", b"0.7 G 1 w 0.5 0.5 219 79 re S", False)
objs[n] = (b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (TTD_Pemohon) /F 4 /P 3 0 R"
           b" /Rect [200 470 420 550] /AP << /N %d 0 R >> >>" % (n + 1))
kids.append(n)
sig_field = n
n += 2
objs[3] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 8 0 R /F2 9 0 R >> >>"
           b" /Contents 5 0 R /Annots [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] >>")
objs[4] = (b"<< /Fields [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /DA (/Helv 0 Tf 0 g)"
           b" /DR << /Font << /Helv 6 0 R /ZaDb 7 0 R >> >> >>")
objs[5] = stream(b"", page)
objs[6] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
objs[7] = b"<< /Type /Font /Subtype /Type1 /BaseFont /ZapfDingbats >>"
objs[8] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
objs[9] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding /WinAnsiEncoding >>"
objs[n] = b"<< /Producer (sertel tests/data/corpus/make_form.py) /Title (Formulir permohonan cuti) >>"
info = n

d = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
offs = {}
for k in sorted(objs):
    offs[k] = len(d)
    d += b"%d 0 obj\n" % k + objs[k] + b"\nendobj\n"
size = max(objs) + 1
x = len(d)
d += b"xref\n0 %d\n0000000000 65535 f \n" % size
for k in range(1, size):
    d += b"%010d 00000 n \n" % offs[k] if k in offs else b"0000000000 00001 f \n"
d += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R /ID [<53455254454c464f524d303030303031><53455254454c464f524d303030303031>] >>\nstartxref\n%d\n%%%%EOF\n" % (size, info, x)
open(sys.argv[1], "wb").write(d)
