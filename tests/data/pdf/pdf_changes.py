#!/usr/bin/env python3
"""pdf_changes.py - documents for every class of change a later revision can
make after a signature, accepted or attack, for the validator's tests
(tests/e2e/test_changes.sh). Written by hand (classic cross-reference
tables, objects found by regular expressions), signed with CMS values made
by pdf_cms.py: independent of sertel's writer and signer.

  pdf_changes.py base OUT [--dangling] [--unnamed] [--shared-ap] [--ap-in-trailer]
                         [--direct-page | --cycle | --subtree]
      the unsigned document: catalog 1 (with /Metadata 7), pages 2, page 3
      (content 4 draws text, then the form XObject /Cover 12 that paints a
      white box with other text over part of it), font 5, AcroForm 6, a text
      field "nama" 8 (appearance 9), an empty visible signature field
      "Kosong" 10 (appearance 11), an unused content stream 13, /Info 14.
      --dangling: the page's /Contents also names object 40, which does not
      exist; --unnamed: the content uses font /FX that the page's resources
      lack; --shared-ap: the page content also draws nama's appearance 9 as
      /XObject /Nm; --ap-in-trailer: nama's /AP is dictionary 15, which the
      trailer also names (/Foo); --direct-page: the page is a dictionary
      written directly inside the /Kids of pages 2 (no object 3, the widgets
      without /P); --cycle: pages 2 also lists a /Pages node 16 whose /Kids
      is [16 0 R] (a page tree with a cycle, as pyHanko's
      circular-page-tree.pdf); --subtree: node 16 lists a second page 17
      (content 18)
  pdf_changes.py sign IN OUT --cert C --key K [--certify P [--indirect]] [--field NAME]
      a signature in a new invisible field NAME (default TandaN), or, with
      --certify, a certification (DocMDP P); --indirect: /Perms, the
      /Reference array, its SigRef, the /TransformParams and /P each an
      object of their own
  pdf_changes.py MODE IN OUT [--cert C --key K]
      an incremental update after the last signature:
      acrobat           a second signature as Acrobat/Reader writes it: the
                        metadata stream rewritten in place, the AcroForm with
                        /DR and /DA added and /NeedAppearances, the new field
                        with its widget in /Kids, the catalog and the page
                        rewritten as new objects (the page with the widget in
                        /Annots and its /Resources extended by a new font
                        name), signed
      sign-empty        the empty field Kosong signed, its appearance stream
                        11 replaced in place
      extensions        catalog /Extensions (direct) and /Version /2.0
      extensions-indirect  /Extensions as an object of its own
      dss               /DSS with indirect /Certs and /OCSPs arrays and a /VRI
      dss-append        the DSS arrays appended to in place, a /VRI entry added
      rewrite-identical the page and the catalog written again, byte for byte
      rewrite-equal     the page written with /MediaBox [0 0 595.0 842.0] and
                        its /Resources as an object of its own
      fill              nama filled in: /V, a new appearance, /NeedAppearances
      fill-inplace      nama filled in, its appearance stream 9 rewritten
      comment           a Text annotation (sticky note) on the page
      shadow-hide       the /Cover XObject emptied: the text under it shows
      shadow-replace    font 5 redefined as Courier
      shadow-hide-replace  the page's /Contents pointed at the unused stream 13
      shadow-dangling   object 40 defined (--dangling base)
      shadow-resource   /FX added to the page's fonts (--unnamed base)
      sneaky-ap         nama filled by rewriting stream 9, which the page draws
                        (--shared-ap base)
      sneaky-trailer    nama given a new /AP, leaving dictionary 15 the trailer
                        names (--ap-in-trailer base)
      new-text-field    a new visible text field over the page
      content-inplace   page 1's content stream 4 rewritten in place (the
                        amount changed)
      make-cycle        node 16's /Kids made [16 0 R] (--subtree base: a
                        cycle that hides page 2 appears after signing)
      cycle-to-page     node 16's /Kids made [3 0 R] (--cycle base: the node
                        that was a cycle when signed now shows page 1 again)
      cycle-same        node 16 written again with the same value, spelled
                        differently (--cycle base)
      dss-replace       (a DSS already in the signed revision) a new DSS
                        object with a VRI entry added, the catalog pointed at
                        it, the old DSS object redefined the same: nothing
                        uses the old object any more
      dss-replace-used  as dss-replace, but the old DSS object becomes a
                        JavaScript action the catalog names (/OpenAction)
      dss-replace-trailer  as dss-replace, but the trailer names the old,
                        redefined DSS object (/Foo)
"""
import argparse, os, re, sys, types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pdf_cms  # noqa: E402

XMP = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>'
       b'<?xpacket end="w"?>')
PLACEHOLDER = b'/ByteRange [0 0000000000 0000000000 0000000000]'
WIDTH = 12000


def stream(d, data):
    return b'<< ' + d + b' /Length %d >>\nstream\n' % len(data) + data + b'\nendstream'


def ap(text, w=200, h=20):
    return stream(b'/Type /XObject /Subtype /Form /BBox [0 0 %d %d] /Resources << /Font << /Helv 5 0 R >> >>'
                  % (w, h), b'/Tx BMC BT /Helv 12 Tf 2 5 Td (' + text + b') Tj ET EMC')


class Pdf:
    def __init__(self, data):
        self.d = bytearray(data)

    def last(self, num):
        defs = list(re.finditer(rb'(?<![0-9])%d 0 obj\s*(.*?)\s*endobj' % num, self.d, re.S))
        return bytes(defs[-1].group(1))

    def trailer(self):
        return re.findall(rb'trailer\s*(<<.*?>>)\s*startxref', self.d, re.S)[-1]

    def size(self):
        return int(re.search(rb'/Size\s+(\d+)', self.trailer()).group(1))

    def root(self):
        return int(re.search(rb'/Root\s+(\d+) 0 R', self.trailer()).group(1))

    def page(self):
        """The object holding page 1: the page, or pages 2 when the page is written inside /Kids."""
        m = re.search(rb'/Kids\s*\[\s*(\d+) 0 R', self.last(2))
        return int(m.group(1)) if m else 2

    def pref(self):
        """An annotation's /P entry for page 1 (none for a page written inside /Kids)."""
        return b'/P %d 0 R ' % self.page() if self.page() != 2 else b''

    def update(self, objs, root=None, extra=b''):
        """Append objs [(num, body)] as one revision with a classic cross-reference section."""
        sx = int(re.findall(rb'startxref\s+(\d+)', self.d)[-1])
        tr = self.trailer()
        keep = b''.join(m.group(0) + b' ' for m in re.finditer(rb'/(?:Info|Foo)\s+\d+ 0 R', tr))
        if not self.d.endswith(b'\n'):
            self.d += b'\n'
        offs = {}
        for num, body in objs:
            offs[num] = len(self.d)
            self.d += b'%d 0 obj\n' % num + body + b'\nendobj\n'
        x = len(self.d)
        self.d += b'xref\n' + b''.join(b'%d 1\n%010d 00000 n \n' % (n, offs[n]) for n in sorted(offs))
        size = max([self.size()] + [n + 1 for n in offs])
        self.d += (b'trailer\n<< /Size %d /Root %d 0 R /Prev %d ' % (size, root or self.root(), sx) + keep +
                   extra + b'>>\nstartxref\n%d\n%%%%EOF\n' % x)

    def fill_signature(self, o):
        """Put the ByteRange and the CMS into the placeholder of the newest revision."""
        k = self.d.rindex(PLACEHOLDER)
        b = self.d.index(b'/Contents <', k) + len(b'/Contents ')
        c = b + WIDTH + 2
        br = b'/ByteRange [0 %010d %010d %010d]' % (b, c, len(self.d) - c)
        self.d[k:k + len(br)] = br
        cms = pdf_cms.build_cms(o, bytes(self.d[:b] + self.d[c:])).hex().encode()
        assert len(cms) <= WIDTH
        self.d[b + 1:b + 1 + len(cms)] = cms


def sigdict(extra=b''):
    return (b'<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /M (D:20261125120000Z) ' +
            extra + PLACEHOLDER + b' /Contents <' + b'0' * WIDTH + b'> >>')


def cms_opts(a):
    return types.SimpleNamespace(cert=a.cert, key=a.key, extra=None, other=None, md='sha256', alg='ecdsa',
                                 sid=None, no_attrs=False, sigcert='v2', corrupt=False)


def add_to_array(body, key, item):
    """body with item appended to its direct array /key (created when absent)."""
    m = re.search(rb'/' + key + rb'\s*\[([^\]]*)\]', body)
    if m:
        return body[:m.end(1)] + b' ' + item + body[m.end(1):]
    return body[:body.rindex(b'>>')] + b' /' + key + b' [' + item + b'] >>'


def base(a):
    content = (b'BT /F1 18 Tf 72 760 Td (Surat keputusan) Tj ET\n'
               b'BT /F1 14 Tf 72 700 Td (Dibayar Rp 999.000.000) Tj ET\n'
               b'q 1 0 0 1 60 690 cm /Cover Do Q\n')
    res = b'/Font << /F1 5 0 R >> /XObject << /Cover 12 0 R'
    if a.unnamed:
        content += b'BT /FX 12 Tf 72 650 Td (Lampiran) Tj ET\n'
    if a.shared_ap:
        content += b'q 1 0 0 1 72 560 cm /Nm Do Q\n'
        res += b' /Nm 9 0 R'
    res += b' >>'
    contents = b'[4 0 R 40 0 R]' if a.dangling else b'4 0 R'
    page = (b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents ' + contents +
            b' /Resources << ' + res + b' >> /Annots [8 0 R 10 0 R] >>')
    pref = b'' if a.direct_page else b'/P 3 0 R '
    objs = {
        1: b'<< /Type /Catalog /Pages 2 0 R /AcroForm 6 0 R /Metadata 7 0 R >>',
        2: b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        3: page,
        4: stream(b'', content),
        5: b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
        6: b'<< /Fields [8 0 R 10 0 R] >>',
        7: stream(b'/Type /Metadata /Subtype /XML', XMP),
        8: (b'<< /Type /Annot /Subtype /Widget /FT /Tx /T (nama) /F 4 ' + pref + b'/Rect [72 600 272 620] '
            b'/DA (/Helv 12 Tf 0 g) /AP ' + (b'15 0 R' if a.ap_in_trailer else b'<< /N 9 0 R >>') + b' >>'),
        9: ap(b''),
        10: (b'<< /Type /Annot /Subtype /Widget /FT /Sig /T (Kosong) /F 4 ' + pref + b'/Rect [300 80 540 180] '
             b'/AP << /N 11 0 R >> >>'),
        11: stream(b'/Type /XObject /Subtype /Form /BBox [0 0 240 100] /Resources << >>',
                   b'0.9 g 0 0 240 100 re f'),
        12: stream(b'/Type /XObject /Subtype /Form /BBox [0 0 400 40] /Resources << /Font << /F1 5 0 R >> >>',
                   b'1 g 0 0 400 40 re f 0 g BT /F1 14 Tf 12 14 Td (Dibayar Rp 1.000) Tj ET'),
        13: stream(b'', b'BT /F1 24 Tf 72 500 Td (Versi lain) Tj ET'),
        14: b'<< /Producer (pdf_changes.py) >>',
    }
    if a.ap_in_trailer:
        objs[15] = b'<< /N 9 0 R >>'
    if a.direct_page:
        objs[2] = b'<< /Type /Pages /Kids [' + page + b'] /Count 1 >>'
        del objs[3]
    elif a.cycle:
        objs[2] = b'<< /Type /Pages /Kids [3 0 R 16 0 R] /Count 2 >>'
        objs[16] = b'<< /Type /Pages /Parent 2 0 R /Kids [16 0 R] /Count 1 >>'
    elif a.subtree:
        objs[2] = b'<< /Type /Pages /Kids [3 0 R 16 0 R] /Count 2 >>'
        objs[16] = b'<< /Type /Pages /Parent 2 0 R /Kids [17 0 R] /Count 1 >>'
        objs[17] = (b'<< /Type /Page /Parent 16 0 R /MediaBox [0 0 595 842] /Contents 18 0 R '
                    b'/Resources << /Font << /F1 5 0 R >> >> >>')
        objs[18] = stream(b'', b'BT /F1 18 Tf 72 760 Td (Lampiran: rincian pembayaran) Tj ET')
    out = bytearray(b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')
    offs = {}
    for num in sorted(objs):
        offs[num] = len(out)
        out += b'%d 0 obj\n' % num + objs[num] + b'\nendobj\n'
    n = max(objs) + 1
    x = len(out)
    out += b'xref\n0 %d\n0000000000 65535 f \n' % n
    out += b''.join(b'%010d 00000 n \n' % offs[i] if i in offs else b'0000000000 65535 f \n' for i in range(1, n))
    out += (b'trailer\n<< /Size %d /Root 1 0 R /Info 14 0 R ' % n + (b'/Foo 15 0 R ' if a.ap_in_trailer else b'') +
            b'>>\nstartxref\n%d\n%%%%EOF\n' % x)
    return out


def sign(p, a):
    """A signature in a new invisible field (a certification with --certify)."""
    sig, fld, pg, root = p.size(), p.size() + 1, p.page(), p.root()
    name = (a.field or 'Tanda%d' % (sig)).encode()
    extra = b''
    objs = []
    if a.certify and a.indirect:
        refs, sigref, tp, pv, perms = (fld + k for k in range(1, 6))
        extra = b'/Reference %d 0 R ' % refs
        cat = p.last(root)
        objs += [(root, cat[:cat.rindex(b'>>')] + b' /Perms %d 0 R >>' % perms),
                 (refs, b'[%d 0 R]' % sigref),
                 (sigref, b'<< /Type /SigRef /TransformMethod /DocMDP /TransformParams %d 0 R >>' % tp),
                 (tp, b'<< /Type /TransformParams /P %d 0 R /V /1.2 >>' % pv),
                 (pv, b'%d' % a.certify),
                 (perms, b'<< /DocMDP %d 0 R >>' % sig)]
    elif a.certify:
        extra = (b'/Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type '
                 b'/TransformParams /P %d /V /1.2 >> >>] ' % a.certify)
        cat = p.last(root)
        objs.append((root, cat[:cat.rindex(b'>>')] + b' /Perms << /DocMDP %d 0 R >> >>' % sig))
    objs += [(sig, sigdict(extra)),
             (fld, b'<< /Type /Annot /Subtype /Widget /FT /Sig /T (' + name +
              b') /F 132 ' + p.pref() + b'/Rect [0 0 0 0] /V %d 0 R >>' % sig),
             (6, add_to_array(p.last(6), b'Fields', b'%d 0 R' % fld)),
             (pg, add_to_array(p.last(pg), b'Annots', b'%d 0 R' % fld))]
    p.update(objs)
    p.fill_signature(cms_opts(a))


def acrobat(p, a):
    n = p.size()
    newcat, newpage, fld, wid, wap, sig, font = n, n + 1, n + 2, n + 3, n + 4, n + 5, n + 6
    oldpage = p.page()
    page = p.last(oldpage)
    page = add_to_array(page, b'Annots', b'%d 0 R' % wid)
    page = page.replace(b'/Font << /F1 5 0 R', b'/Font << /F1 5 0 R /FA9 %d 0 R' % font)
    af = add_to_array(p.last(6), b'Fields', b'%d 0 R' % fld)
    af = af[:af.rindex(b'>>')] + b' /DR << /Font << /Helv 5 0 R >> >> /DA (/Helv 0 Tf 0 g) /NeedAppearances false >>'
    pages = p.last(2).replace(b'%d 0 R' % oldpage, b'%d 0 R' % newpage)
    objs = [
        (7, stream(b'/Type /Metadata /Subtype /XML', XMP.replace(b'<rdf:RDF', b'<!-- disimpan ulang --><rdf:RDF'))),
        (newcat, p.last(p.root())),
        (newpage, page),
        (2, pages),
        (6, af),
        (fld, b'<< /FT /Sig /T (Persetujuan2) /Kids [%d 0 R] /V %d 0 R >>' % (wid, sig)),
        (wid, b'<< /Type /Annot /Subtype /Widget /Parent %d 0 R /F 4 /P %d 0 R /Rect [300 200 500 260] '
              b'/AP << /N %d 0 R >> >>' % (fld, newpage, wap)),
        (wap, stream(b'/Type /XObject /Subtype /Form /BBox [0 0 200 60] /Resources << /Font << /F1 %d 0 R >> >>'
                     % font, b'BT /F1 10 Tf 4 30 Td (Ditandatangani secara elektronik) Tj ET')),
        (sig, sigdict()),
        (font, b'<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>'),
    ]
    p.update(objs, root=newcat)
    p.fill_signature(cms_opts(a))


def sign_empty(p, a):
    sig = p.size()
    fld = p.last(10).replace(b'/AP << /N 11 0 R >>', b'/AP << /N 11 0 R >> /V %d 0 R' % sig)
    p.update([(10, fld),
              (11, stream(b'/Type /XObject /Subtype /Form /BBox [0 0 240 100] /Resources << /Font << /Helv 5 0 R >> >>',
                          b'0.9 g 0 0 240 100 re f 0 g BT /Helv 12 Tf 10 40 Td (Ditandatangani) Tj ET')),
              (sig, sigdict())])
    p.fill_signature(cms_opts(a))


def catalog_with(p, text):
    cat = p.last(p.root())
    return cat[:cat.rindex(b'>>')] + text + b' >>'


def fill(p, inplace):
    n = p.size()
    f = p.last(8)
    f = f[:f.rindex(b'>>')] + b' /V (Budi Santoso) >>'
    objs = []
    if inplace:
        objs.append((9, ap(b'Budi Santoso')))
    else:
        f = f.replace(b'/N 9 0 R', b'/N %d 0 R' % n)
        objs.append((n, ap(b'Budi Santoso')))
    af = p.last(6)
    objs += [(8, f), (6, af[:af.rindex(b'>>')] + b' /NeedAppearances true >>')]
    p.update(objs)


def dss_replace(p, m):
    """A new DSS object in place of the one the signed revision had, the old object redefined."""
    n, root = p.size(), p.root()
    old = int(re.search(rb'/DSS (\d+) 0 R', p.last(root)).group(1))
    body = p.last(old).replace(b'/VRI <<', b'/VRI << /%s << /TU (D:20261126000000Z) >>' % (b'C' * 40))
    cat = p.last(root).replace(b'/DSS %d 0 R' % old, b'/DSS %d 0 R' % n)
    extra = b''
    if m == 'dss-replace-used':
        cat = cat[:cat.rindex(b'>>')] + b' /OpenAction %d 0 R >>' % old
        redef = b"<< /Type /Action /S /JavaScript /JS (app.alert\\('Dokumen sah'\\);) >>"
    else:
        redef = body
        if m == 'dss-replace-trailer':
            extra = b'/Foo %d 0 R ' % old
    p.update([(n, body), (root, cat), (old, redef)], extra=extra)


def main():
    ap_ = argparse.ArgumentParser()
    ap_.add_argument('mode')
    ap_.add_argument('inp')
    ap_.add_argument('out', nargs='?')
    ap_.add_argument('--cert')
    ap_.add_argument('--key')
    ap_.add_argument('--certify', type=int)
    ap_.add_argument('--field')
    for f in ('dangling', 'unnamed', 'shared-ap', 'ap-in-trailer', 'indirect', 'direct-page', 'cycle', 'subtree'):
        ap_.add_argument('--' + f, action='store_true')
    a = ap_.parse_args()
    if a.mode == 'base':
        open(a.inp, 'wb').write(base(a))
        return
    p = Pdf(open(a.inp, 'rb').read())
    n = p.size()
    pg = p.page()
    m = a.mode
    if m == 'sign':
        sign(p, a)
    elif m == 'acrobat':
        acrobat(p, a)
    elif m == 'sign-empty':
        sign_empty(p, a)
    elif m == 'extensions':
        p.update([(p.root(), catalog_with(p, b' /Extensions << /ADBE << /BaseVersion /1.7 /ExtensionLevel 8 >> '
                                             b'/ESIC << /BaseVersion /1.7 /ExtensionLevel 2 >> >> /Version /2.0'))])
    elif m == 'extensions-indirect':
        p.update([(p.root(), catalog_with(p, b' /Extensions %d 0 R /Version /2.0' % n)),
                  (n, b'<< /ESIC << /BaseVersion /1.7 /ExtensionLevel 2 >> >>')])
    elif m == 'dss':
        p.update([(p.root(), catalog_with(p, b' /DSS %d 0 R' % n)),
                  (n, b'<< /Type /DSS /Certs %d 0 R /OCSPs %d 0 R /VRI << /%s << /Cert [%d 0 R] >> >> >>'
                   % (n + 1, n + 2, b'A' * 40, n + 3)),
                  (n + 1, b'[%d 0 R]' % (n + 3)), (n + 2, b'[]'),
                  (n + 3, stream(b'', open(a.cert, 'rb').read()))])
    elif m == 'dss-append':
        dss = int(re.search(rb'/DSS (\d+) 0 R', p.last(p.root())).group(1))
        body = p.last(dss)
        certs = int(re.search(rb'/Certs (\d+) 0 R', body).group(1))
        ocsps = int(re.search(rb'/OCSPs (\d+) 0 R', body).group(1))
        p.update([(certs, p.last(certs).rstrip()[:-1] + b' %d 0 R]' % n),
                  (ocsps, b'[%d 0 R]' % (n + 1)),
                  (dss, body.replace(b'/VRI <<', b'/VRI << /%s << /OCSP [%d 0 R] /TU (D:20261126000000Z) >>'
                                     % (b'B' * 40, n + 1))),
                  (n, stream(b'', b'0\x82\x00\x00 sertifikat lain')),
                  (n + 1, stream(b'', b'0\x82\x00\x00 respons OCSP'))])
    elif m == 'rewrite-identical':
        p.update([(pg, p.last(pg)), (p.root(), p.last(p.root())), (5, p.last(5))])
    elif m == 'rewrite-equal':
        page = p.last(pg)
        res = re.search(rb'/Resources\s*(<<.*?>>\s*>>)', page, re.S)
        page = page[:res.start()] + b'/Resources %d 0 R' % n + page[res.end():]
        page = page.replace(b'/MediaBox [0 0 595 842]', b'/MediaBox [0.0 0 595.0 842.00]')
        p.update([(pg, page), (n, res.group(1)), (5, p.last(5))])
    elif m == 'fill':
        fill(p, False)
    elif m == 'fill-inplace':
        fill(p, True)
    elif m == 'comment':
        p.update([(n, b'<< /Type /Annot /Subtype /Text /Rect [500 780 520 800] /Contents (Mohon diperiksa) '
                      b'/Open false ' + p.pref() + b'>>'),
                  (pg, add_to_array(p.last(pg), b'Annots', b'%d 0 R' % n))])
    elif m == 'shadow-hide':
        p.update([(12, stream(b'/Type /XObject /Subtype /Form /BBox [0 0 400 40] /Resources << >>', b''))])
    elif m == 'shadow-replace':
        p.update([(5, b'<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>')])
    elif m == 'shadow-hide-replace':
        p.update([(pg, re.sub(rb'/Contents \d+ 0 R', b'/Contents 13 0 R', p.last(pg)))])
    elif m == 'shadow-dangling':
        p.update([(40, stream(b'', b'BT /F1 24 Tf 72 500 Td (LUNAS) Tj ET'))])
    elif m == 'shadow-resource':
        p.update([(pg, p.last(pg).replace(b'/Font << /F1 5 0 R', b'/Font << /F1 5 0 R /FX %d 0 R' % n)),
                  (n, b'<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>')])
    elif m == 'sneaky-ap':
        fill(p, True)
    elif m == 'sneaky-trailer':
        f = p.last(8).replace(b'/AP 15 0 R', b'/AP << /N %d 0 R >>' % n)
        p.update([(n, ap(b'Budi Santoso')), (8, f[:f.rindex(b'>>')] + b' /V (Budi Santoso) >>')])
    elif m == 'new-text-field':
        p.update([(n, b'<< /Type /Annot /Subtype /Widget /FT /Tx /T (catatan) /F 4 /P %d 0 R /Rect [60 680 470 730] '
                      b'/V (LUNAS) /AP << /N %d 0 R >> >>' % (pg, n + 1)),
                  (n + 1, stream(b'/Type /XObject /Subtype /Form /BBox [0 0 410 50] /Resources << /Font << /Helv 5 0 R >> >>',
                                 b'1 g 0 0 410 50 re f 0 g BT /Helv 24 Tf 10 15 Td (LUNAS) Tj ET')),
                  (6, add_to_array(p.last(6), b'Fields', b'%d 0 R' % n)),
                  (pg, add_to_array(p.last(pg), b'Annots', b'%d 0 R' % n))])
    elif m == 'content-inplace':
        p.update([(4, stream(b'', b'BT /F1 18 Tf 72 760 Td (Surat keputusan) Tj ET\n'
                                  b'BT /F1 14 Tf 72 700 Td (Dibayar Rp 1.000) Tj ET\n'))])
    elif m == 'make-cycle':
        p.update([(16, p.last(16).replace(b'/Kids [17 0 R]', b'/Kids [16 0 R]'))])
    elif m == 'cycle-to-page':
        p.update([(16, p.last(16).replace(b'/Kids [16 0 R]', b'/Kids [3 0 R]'))])
    elif m == 'cycle-same':
        # the node that was a cycle written again with the same value, spelled differently
        p.update([(16, p.last(16).replace(b'/Kids [16 0 R]', b'/Kids  [ 16 0 R ]').replace(b'/Count 1', b'/Count 1.0'))])
    elif m in ('dss-replace', 'dss-replace-used', 'dss-replace-trailer'):
        dss_replace(p, m)
    else:
        sys.exit('unknown mode ' + m)
    open(a.out, 'wb').write(p.d)


if __name__ == '__main__':
    main()
