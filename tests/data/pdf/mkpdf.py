"""mkpdf.py - write a small PDF for the end-to-end tests: objs[i] is the body
of object i + 1 (object 1 the catalog), written with a classic
cross-reference table. Independent of sertel's own writer.

    import os, sys
    sys.path.insert(0, os.environ["SERTEL_TEST_DATA"] + "/pdf")
    import mkpdf
    mkpdf.write(path, [catalog, pages, page, mkpdf.stream(content), ...])
"""


def stream(data, extra=b""):
    """A stream object's body: the dictionary (with /Length and extra entries) and data."""
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def write(path, objs, version=b"1.4", binary=True):
    """Write objs as objects 1..n of a one-revision PDF at path."""
    d = b"%PDF-" + version + b"\n" + (b"%\xe2\xe3\xcf\xd3\n" if binary else b"")
    offs = []
    for i, o in enumerate(objs):
        offs.append(len(d))
        d += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    x = len(d)
    d += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    d += b"".join(b"%010d 00000 n \n" % o for o in offs)
    d += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    with open(path, "wb") as f:
        f.write(d)
