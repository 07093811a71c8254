#!/usr/bin/env python3
"""pdf_form.py - PDFs with AcroForm text fields for the validator's tests of
form filling (DocMDP P=2/3) and FieldMDP locks. Independent of sertel: the
files are written by hand with a classic cross-reference table, and the
locked file is signed with `openssl cms -sign`.

  pdf_form.py form OUT
      a one-page PDF with the text fields "nama" and "catatan" (each merged
      with its widget, with an appearance stream), AcroForm as object 5
  pdf_form.py locked OUT CERT KEY CHAIN.pem
      the same with a signature field "Persetujuan" signed (adbe.pkcs7.detached,
      openssl cms) whose field /Lock and signature /Reference (FieldMDP) lock
      "nama" (/Action /Include /Fields [(nama)])
  pdf_form.py sigfields OUT
      the form with two empty signature fields: "Persetujuan" (a parent
      field whose one kid is its widget at [300 80 540 180], with a /Lock
      on "nama") and "Saksi" (merged with an invisible widget)
  pdf_form.py fill IN OUT NAME VALUE
      an incremental update that fills in the field NAME as a form filler
      does: the field's /V and its widget's /AP (a new appearance stream),
      and the AcroForm's /NeedAppearances
  pdf_form.py doctst-prepare IN OUT.part DATA
      an incremental update adding a document time-stamp field (/Type
      /DocTimeStamp, ETSI.RFC3161) with an empty /Contents; DATA gets the
      bytes its /ByteRange covers, for any RFC 3161 TSA to stamp
  pdf_form.py doctst-finish OUT.part TOKEN.der OUT
      the token written into /Contents
"""
import re, subprocess, sys, tempfile, os


def stream(dict_body, data):
    return b'<< %s /Length %d >>\nstream\n' % (dict_body, len(data)) + data + b'\nendstream'


def ap(text):
    return stream(b'/Type /XObject /Subtype /Form /BBox [0 0 200 20] /Resources << /Font << /Helv 7 0 R >> >>',
                  b'/Tx BMC BT /Helv 12 Tf 2 5 Td (' + text + b') Tj ET EMC')


def field(name, rect, apnum, extra=b''):
    return (b'<< /Type /Annot /Subtype /Widget /FT /Tx /T (' + name + b') /F 4 /P 3 0 R /Rect ' + rect +
            b' /DA (/Helv 12 Tf 0 g) /AP << /N %d 0 R >>' % apnum + extra + b' >>')


def write(objs, root=1):
    """A complete PDF from {num: bytes}; returns (bytes, offsets)."""
    out = bytearray(b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')
    offs = {}
    for num in sorted(objs):
        offs[num] = len(out)
        out += b'%d 0 obj\n' % num + objs[num] + b'\nendobj\n'
    x = len(out)
    n = max(objs) + 1
    out += b'xref\n0 %d\n0000000000 65535 f \n' % n
    for num in range(1, n):
        out += b'%010d 00000 n \n' % offs[num] if num in offs else b'0000000000 65535 f \n'
    out += b'trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (n, root, x)
    return out


def base(extra_fields=b'', extra_annots=b''):
    text = b'BT /F1 14 Tf 72 760 Td (Formulir permohonan) Tj ET'
    return {
        1: b'<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >>',
        2: b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        3: b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R '
           b'/Resources << /Font << /F1 6 0 R >> >> /Annots [8 0 R 10 0 R' + extra_annots + b'] >>',
        4: stream(b'', text),
        5: b'<< /Fields [8 0 R 10 0 R' + extra_fields + b'] /DA (/Helv 12 Tf 0 g) '
           b'/DR << /Font << /Helv 7 0 R >> >> >>',
        6: b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
        7: b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
        8: field(b'nama', b'[72 700 272 720]', 9),
        9: ap(b''),
        10: field(b'catatan', b'[72 650 272 670]', 11),
        11: ap(b''),
    }


def locked(out, cert, key, chain):
    lock = b'/Action /Include /Fields [(nama)]'
    objs = base(b' 12 0 R', b' 12 0 R')
    objs[1] = b'<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >>'
    objs[5] = objs[5].replace(b'/DA', b'/SigFlags 3 /DA')
    objs[12] = (b'<< /Type /Annot /Subtype /Widget /FT /Sig /T (Persetujuan) /F 132 /P 3 0 R '
                b'/Rect [0 0 0 0] /V 13 0 R /Lock << /Type /SigFieldLock ' + lock + b' >> >>')
    width = 16384
    objs[13] = (b'<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached '
                b'/M (D:20261125120000Z) /Reference [<< /Type /SigRef /TransformMethod /FieldMDP '
                b'/TransformParams << /Type /TransformParams ' + lock + b' /V /1.2 >> >>] '
                b'/ByteRange [0 0000000000 0000000000 0000000000] /Contents <' + b'0' * width + b'> >>')
    d = write(objs)
    b = d.index(b'/Contents <') + len(b'/Contents ')
    c = b + width + 2
    br = b'[0 %010d %010d %010d]' % (b, c, len(d) - c)
    k = d.index(b'[0 0000000000 0000000000 0000000000]')
    d[k:k + len(br)] = br
    with tempfile.TemporaryDirectory() as t:
        open(os.path.join(t, 'data'), 'wb').write(bytes(d[:b] + d[c:]))
        subprocess.run(['openssl', 'cms', '-sign', '-binary', '-in', os.path.join(t, 'data'), '-signer', cert,
                        '-inkey', key, '-certfile', chain, '-outform', 'DER', '-md', 'sha256',
                        '-nosmimecap', '-out', os.path.join(t, 'sig')], check=True)
        sig = open(os.path.join(t, 'sig'), 'rb').read().hex().encode()
    assert len(sig) <= width
    d[b + 1:b + 1 + len(sig)] = sig
    open(out, 'wb').write(d)


def sigfields(out):
    objs = base(b' 12 0 R 14 0 R', b' 13 0 R 14 0 R')
    objs[12] = (b'<< /FT /Sig /T (Persetujuan) /Kids [13 0 R] '
                b'/Lock << /Type /SigFieldLock /Action /Include /Fields [(nama)] >> >>')
    objs[13] = b'<< /Type /Annot /Subtype /Widget /Parent 12 0 R /F 4 /P 3 0 R /Rect [300 80 540 180] >>'
    objs[14] = b'<< /Type /Annot /Subtype /Widget /FT /Sig /T (Saksi) /F 132 /P 3 0 R /Rect [0 0 0 0] >>'
    open(out, 'wb').write(write(objs))


def fill(src, dst, name, value):
    d = bytearray(open(src, 'rb').read())
    sx = int(re.findall(rb'startxref\s+(\d+)', d)[-1])
    tr = re.findall(rb'trailer\s*(<<.*?>>)\s*startxref', d, re.S)[-1]
    size = int(re.search(rb'/Size\s+(\d+)', tr).group(1))
    root = re.search(rb'/Root\s+(\d+ \d+ R)', tr).group(1)
    def last_def(num):
        return list(re.finditer(rb'(?<![0-9])%d 0 obj(.*?)endobj' % num, d, re.S))[-1].group(1).strip()

    fnum = int(list(re.finditer(rb'(?<![0-9])(\d+) 0 obj\s*<<(?:(?!endobj).)*?/T \(' + name + rb'\)', d, re.S))[-1].group(1))
    fdict = re.sub(rb'/AP\s*<<\s*/N \d+ 0 R\s*>>', b'/AP << /N %d 0 R >>' % size, last_def(fnum))
    fdict = fdict[:-2] + b' /V (' + value + b') >>'
    afnum = int(re.search(rb'/AcroForm\s+(\d+)\s+0\s+R', d).group(1))
    af = last_def(afnum)[:-2] + b' /NeedAppearances true >>'
    if not d.endswith(b'\n'):
        d += b'\n'
    body, offs = b'', {}
    for num, text in ((size, ap(value)), (fnum, fdict), (afnum, af)):
        offs[num] = len(d) + len(body)
        body += b'%d 0 obj\n' % num + text + b'\nendobj\n'
    x = len(d) + len(body)
    xref = b'xref\n' + b''.join(b'%d 1\n%010d 00000 n \n' % (n, offs[n]) for n in sorted(offs))
    d += body + xref + b'trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (
        size + 1, root, sx, x)
    open(dst, 'wb').write(d)


def doctst_prepare(src, dst, data):
    d = bytearray(open(src, 'rb').read())
    sx = int(re.findall(rb'startxref\s+(\d+)', d)[-1])
    tr = re.findall(rb'trailer\s*(<<.*?>>)\s*startxref', d, re.S)[-1]
    size = int(re.search(rb'/Size\s+(\d+)', tr).group(1))
    root = re.search(rb'/Root\s+(\d+ \d+ R)', tr).group(1)

    def last_def(num):
        return list(re.finditer(rb'(?<![0-9])%d 0 obj(.*?)endobj' % num, d, re.S))[-1].group(1).strip()

    rnum = int(root.split()[0])
    cat = last_def(rnum)
    objs = [(size, b'<< /FT /Sig /T (DocTS) /Type /Annot /Subtype /Widget /F 132 /Rect [0 0 0 0] /V %d 0 R >>' % (size + 1))]
    width = 16384
    objs.append((size + 1, b'<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161 '
                 b'/ByteRange [0 0000000000 0000000000 0000000000] /Contents <' + b'0' * width + b'> >>'))
    am = re.search(rb'/AcroForm\s+(\d+)\s+0\s+R', cat)
    if am:
        af = last_def(int(am.group(1)))
        objs.append((int(am.group(1)), re.sub(rb'(/Fields\s*\[[^\]]*)\]', rb'\1 %d 0 R]' % size, af, count=1)))
    else:
        objs.append((rnum, re.sub(rb'(/AcroForm\s*<<[^>]*?/Fields\s*\[[^\]]*)\]', rb'\1 %d 0 R]' % size, cat, count=1)))
    if not d.endswith(b'\n'):
        d += b'\n'
    body, offs = b'', {}
    for num, text in objs:
        offs[num] = len(d) + len(body)
        body += b'%d 0 obj\n' % num + text + b'\nendobj\n'
    x = len(d) + len(body)
    xref = b'xref\n' + b''.join(b'%d 1\n%010d 00000 n \n' % (n, offs[n]) for n in sorted(offs))
    d += body + xref + b'trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (
        size + 2, root, sx, x)
    b = d.rindex(b'/Contents <') + len(b'/Contents ')
    c = b + width + 2
    br = b'[0 %010d %010d %010d]' % (b, c, len(d) - c)
    k = d.rindex(b'[0 0000000000 0000000000 0000000000]')
    d[k:k + len(br)] = br
    open(dst, 'wb').write(d)
    open(data, 'wb').write(bytes(d[:b] + d[c:]))


def doctst_finish(part, token, dst):
    d = bytearray(open(part, 'rb').read())
    tok = open(token, 'rb').read().hex().encode()
    b = d.rindex(b'/Contents <') + len(b'/Contents ')
    assert len(tok) <= 16384
    d[b + 1:b + 1 + len(tok)] = tok
    open(dst, 'wb').write(d)


if __name__ == '__main__':
    m = sys.argv[1]
    if m == 'form':
        open(sys.argv[2], 'wb').write(write(base()))
    elif m == 'sigfields':
        sigfields(sys.argv[2])
    elif m == 'locked':
        locked(*sys.argv[2:6])
    elif m == 'doctst-prepare':
        doctst_prepare(*sys.argv[2:5])
    elif m == 'doctst-finish':
        doctst_finish(*sys.argv[2:5])
    elif m == 'fill':
        fill(sys.argv[2], sys.argv[3], sys.argv[4].encode(), sys.argv[5].encode())
    else:
        sys.exit('unknown mode ' + m)
