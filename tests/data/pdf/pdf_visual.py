"""pdf_visual.py - documents for the visual check of the validator
(lib/pdf/verify_visual.c; tests/e2e/test_visual.sh), written with the
hand-made incremental updates of pdf_changes.py (independent of sertel's
writer and signer).

  pdf_visual.py latent IN OUT
      IN (pdf_changes.py base) with the text field nama given the value
      /V (Rp 999.000.000) while its appearance stays empty: what a viewer
      shows depends on whether it makes appearances itself
  pdf_visual.py latent-form IN OUT
      IN (pdf_changes.py base) whose page content also draws a form XObject
      /Lat that has no /Resources of its own (it uses the page's, ISO
      32000-1 §8.10.1) and paints the XObject /Stamp, which the page does
      not have yet: nothing shows
  pdf_visual.py stamp IN OUT
      the page rewritten with /Stamp added to its XObject resources (a name
      the page's content does not use: accepted, form_filling) - a form that
      covers the amount with "Rp 5" in large type: the signed page changed
      where no annotation is
  pdf_visual.py need-appearances IN OUT
      an update that only sets the AcroForm's /NeedAppearances true (a
      change the rules accept, form_filling): a viewer now draws nama from
      its value, over page content no changed annotation covers
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pdf_changes  # noqa: E402


def main():
    mode, inp, out = sys.argv[1:4]
    p = pdf_changes.Pdf(open(inp, 'rb').read())
    if mode == 'latent':
        f = p.last(8)
        p.update([(8, f[:f.rindex(b'>>')] + b' /V (Rp 999.000.000) >>')])
    elif mode == 'latent-form':
        n = p.size()
        pg = p.page()
        page = p.last(pg).replace(b'/XObject << /Cover 12 0 R', b'/XObject << /Cover 12 0 R /Lat %d 0 R' % n)
        content = (b'BT /F1 18 Tf 72 760 Td (Surat keputusan) Tj ET\n'
                   b'BT /F1 14 Tf 72 700 Td (Dibayar Rp 999.000.000) Tj ET\n'
                   b'q 1 0 0 1 60 690 cm /Cover Do Q\nq /Lat Do Q\n')
        p.update([(n, pdf_changes.stream(b'/Type /XObject /Subtype /Form /BBox [0 0 595 842]', b'/Stamp Do')),
                  (4, pdf_changes.stream(b'', content)), (pg, page)])
    elif mode == 'stamp':
        n = p.size()
        pg = p.page()
        page = p.last(pg).replace(b'/XObject << /Cover 12 0 R', b'/XObject << /Cover 12 0 R /Stamp %d 0 R' % n)
        p.update([(n, pdf_changes.stream(
            b'/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >>',
            b'1 g 60 640 480 120 re f 0 g BT /F1 60 Tf 80 670 Td (Rp 5) Tj ET')), (pg, page)])
    elif mode == 'need-appearances':
        af = p.last(6)
        p.update([(6, af[:af.rindex(b'>>')] + b' /NeedAppearances true >>')])
    else:
        sys.exit('unknown mode ' + mode)
    open(out, "wb").write(p.d)


if __name__ == '__main__':
    main()
