#!/usr/bin/env python3
"""pdf_cms.py OUT [options] - a one-page PDF signed with a CMS SignedData
(RFC 5652) that this script encodes itself (DER by hand, python3 stdlib),
so that every variant a validator meets can be made: the signature value
comes from `openssl pkeyutl` / `openssl dgst` over the bytes this script
hands it. Independent of sertel's signer and verifier.

  --cert C.pem --key K.pem   the signer (self-signed or not: the CMS carries C and --extra)
  --alg ALG        ed448 | ed25519 | ecdsa | ecdsa-plain (BSI TR-03111 r||s, OID
                   0.4.0.127.0.7.1.1.4.1.3) | rsa       (default: ecdsa)
  --md MD          sha256 | sha512 | shake256 (64-byte output, RFC 8419) | sha1
  --sid ski        identify the signer by its subjectKeyIdentifier (SignerInfo v3)
  --no-attrs       no signed attributes: the value is over the content's digest
                   (RSA, ECDSA) (RFC 5652 5.4)
  --sigcert KIND   v2 (default; ESSCertIDv2 SHA-256 of the signer) | v2-sha512 |
                   v2-multi (signer then --other) | v2-other-first (--other then the
                   signer) | v2-wrong (only --other) | v1 (ESSCertID, SHA-1, with
                   issuerSerial) | v1-wrong (only --other) | none
  --other O.pem    the other certificate named by the *-multi / *-wrong kinds
  --extra E.pem    more certificates for the CMS
  --junk N         N bytes before %PDF- (offsets count from the header)
  --junk-signed    ... and the /ByteRange counts them (it covers the junk)
  --trailer X      extra text for the trailer dictionary (e.g. "/Encrypt []")
  --corrupt        flip a bit of the signature value after signing
  --short-tail N   the /ByteRange stops N bytes before the end of the file (those
                   bytes unsigned: a coverage anomaly); the value is over what it covers

build_cms(opts, data) is also used by pdf_changes.py.
"""
import argparse, binascii, hashlib, os, re, subprocess, tempfile

OID = {
    'data': '1.2.840.113549.1.7.1', 'signedData': '1.2.840.113549.1.7.2',
    'contentType': '1.2.840.113549.1.9.3', 'messageDigest': '1.2.840.113549.1.9.4',
    'signingCertificate': '1.2.840.113549.1.9.16.2.12',
    'signingCertificateV2': '1.2.840.113549.1.9.16.2.47',
    'sha1': '1.3.14.3.2.26', 'sha256': '2.16.840.1.101.3.4.2.1',
    'sha512': '2.16.840.1.101.3.4.2.3', 'shake256': '2.16.840.1.101.3.4.2.12',
    'ed25519': '1.3.101.112', 'ed448': '1.3.101.113',
    'ecdsa-sha256': '1.2.840.10045.4.3.2', 'ecdsa-sha512': '1.2.840.10045.4.3.4',
    'ecdsa-plain-sha256': '0.4.0.127.0.7.1.1.4.1.3', 'ecdsa-plain-sha512': '0.4.0.127.0.7.1.1.4.1.5',
    'rsa-sha256': '1.2.840.113549.1.1.11', 'rsa-sha512': '1.2.840.113549.1.1.13',
    'rsa': '1.2.840.113549.1.1.1',
}


def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([tag, 0x80 | len(b)]) + b + body


def seq(*xs):
    return tlv(0x30, b''.join(xs))


def set_of(*xs):
    return tlv(0x31, b''.join(sorted(xs)))  # DER: a SET OF sorted by encoding


def oid(name):
    parts = [int(x) for x in OID.get(name, name).split('.')]
    out = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7f]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7f))
            p >>= 7
        out += bytes(reversed(enc))
    return tlv(0x06, out)


def integer(i):
    return tlv(0x02, i.to_bytes(max(1, (i.bit_length() + 8) // 8), 'big', signed=True))


def octets(b):
    return tlv(0x04, b)


def alg(name, null=False):
    return seq(oid(name), b'\x05\x00') if null else seq(oid(name))


def parse(der, pos=0):
    """One TLV at pos: (tag, start of value, end)."""
    tag, n = der[pos], der[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(der[pos:pos + k], 'big')
        pos += k
    return tag, pos, pos + n


def children(der, start, end):
    out = []
    while start < end:
        t, s, e = parse(der, start)
        out.append((t, start, e))
        start = e
    return out


def cert_der(path):
    pem = open(path).read()
    return binascii.a2b_base64(''.join(re.findall(r'-----BEGIN CERTIFICATE-----(.*?)-----END', pem, re.S)[0].split()))


def issuer_serial(der):
    """(issuer Name DER, serial INTEGER DER) of a certificate."""
    _, s, e = parse(der)
    _, ts, te = parse(der, s)
    f = children(der, ts, te)
    k = 1 if f[0][0] == 0xa0 else 0
    serial = der[f[k][1]:f[k][2]]
    issuer = der[f[k + 2][1]:f[k + 2][2]]
    return issuer, serial


def ski(path):
    out = subprocess.run(['openssl', 'x509', '-in', path, '-noout', '-ext', 'subjectKeyIdentifier'],
                         stdout=subprocess.PIPE, check=True, text=True).stdout
    return binascii.unhexlify(out.split('\n')[1].strip().replace(':', ''))


def ess_cert_id(der, v2, md='sha256'):
    issuer, serial = issuer_serial(der)
    iss_serial = seq(seq(tlv(0xa4, issuer)), serial)  # IssuerSerial: GeneralNames (directoryName), serial
    if not v2:
        return seq(octets(hashlib.sha1(der).digest()), iss_serial)
    h = hashlib.new(md, der).digest()
    return seq(*(([] if md == 'sha256' else [alg(md)]) + [octets(h), iss_serial]))


def digest(md, data):
    if md == 'shake256':
        return hashlib.shake_256(data).digest(64)
    return hashlib.new(md, data).digest()


def sign_value(a, md, key, tbs, prehashed=False):
    with tempfile.TemporaryDirectory() as t:
        open(os.path.join(t, 'tbs'), 'wb').write(tbs)
        if a in ('ed448', 'ed25519'):
            cmd = ['openssl', 'pkeyutl', '-sign', '-rawin', '-inkey', key, '-in', os.path.join(t, 'tbs')]
        else:
            cmd = ['openssl', 'dgst', '-' + md, '-sign', key, os.path.join(t, 'tbs')]
        sig = subprocess.run(cmd, stdout=subprocess.PIPE, check=True).stdout
    if a == 'ecdsa-plain':  # DER ECDSA-Sig-Value -> r || s, each as long as the order (P-256: 32)
        _, s, e = parse(sig)
        (_, rs, re_), (_, ss, se) = [(t, parse(sig, st)[1], en) for t, st, en in children(sig, s, e)]
        r = int.from_bytes(sig[rs:re_], 'big')
        s_ = int.from_bytes(sig[ss:se], 'big')
        sig = r.to_bytes(32, 'big') + s_.to_bytes(32, 'big')
    return sig


def build_cms(o, signed):
    der = cert_der(o.cert)
    certs = [der] + [cert_der(x) for x in (o.extra or [])]
    other = cert_der(o.other) if o.other else None
    md = o.md
    if o.sid == 'ski':
        sid, version = tlv(0x80, ski(o.cert)), 3
    else:
        issuer, serial = issuer_serial(der)
        sid, version = seq(issuer, serial), 1
    if o.alg in ('ed448', 'ed25519'):
        sigalg = alg(o.alg)
    else:
        sigalg = alg({'ecdsa': 'ecdsa-', 'ecdsa-plain': 'ecdsa-plain-', 'rsa': 'rsa-'}[o.alg] + md,
                     null=o.alg == 'rsa')
    mdalg = alg(md) if md in ('shake256',) or o.alg in ('ed448', 'ed25519') else alg(md, null=True)
    attrs = None
    if not o.no_attrs:
        attrs = [seq(oid('contentType'), set_of(oid('data'))),
                 seq(oid('messageDigest'), set_of(octets(digest(md, signed))))]
        kinds = {
            'v2': ('signingCertificateV2', [ess_cert_id(der, True)]),
            'v2-sha512': ('signingCertificateV2', [ess_cert_id(der, True, 'sha512')]),
            'v2-multi': ('signingCertificateV2', [ess_cert_id(der, True), ess_cert_id(other or der, True)]),
            'v2-other-first': ('signingCertificateV2', [ess_cert_id(other or der, True), ess_cert_id(der, True)]),
            'v2-wrong': ('signingCertificateV2', [ess_cert_id(other or der, True)]),
            'v1': ('signingCertificate', [ess_cert_id(der, False)]),
            'v1-wrong': ('signingCertificate', [ess_cert_id(other or der, False)]),
        }
        if o.sigcert in kinds:
            name, ids = kinds[o.sigcert]
            attrs.append(seq(oid(name), set_of(seq(seq(*ids)))))
        attrs = sorted(attrs)
        tbs = tlv(0x31, b''.join(attrs))
        sig = sign_value(o.alg, md, o.key, tbs)
    else:
        sig = sign_value(o.alg, md, o.key, signed)
    if o.corrupt:
        sig = bytearray(sig)
        sig[len(sig) // 2] ^= 0x01
        sig = bytes(sig)
    si = [integer(version), sid, mdalg]
    if attrs is not None:
        si.append(tlv(0xa0, b''.join(attrs)))
    si += [sigalg, octets(sig)]
    sd = seq(integer(version if version == 3 else 1), set_of(mdalg), seq(oid('data')),
             tlv(0xa0, b''.join(certs)), set_of(seq(*si)))
    return seq(oid('signedData'), tlv(0xa0, sd))


def pdf(o):
    width = 24000
    objs = {
        1: b'<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >>',
        2: b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        3: b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R /Annots [4 0 R] '
           b'/Resources << /Font << /F1 7 0 R >> >> >>',
        4: b'<< /Type /Annot /Subtype /Widget /FT /Sig /T (Tanda1) /F 132 /P 3 0 R /Rect [0 0 0 0] /V 5 0 R >>',
        5: b'<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /' +
           (b'adbe.pkcs7.detached' if o.no_attrs else b'ETSI.CAdES.detached') +
           b' /M (D:20261125120000Z) /ByteRange [0 0000000000 0000000000 0000000000] /Contents <' +
           b'0' * width + b'> >>',
        6: b'<< /Length 44 >>\nstream\nBT /F1 18 Tf 72 760 Td (Surat keputusan) Tj ET\nendstream',
        7: b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    }
    junk = b'X-Mailer: junk\r\n' * 64
    junk = junk[:o.junk] if o.junk else b''
    out = bytearray(b'%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')
    offs = {}
    for num in sorted(objs):
        offs[num] = len(out)
        out += b'%d 0 obj\n' % num + objs[num] + b'\nendobj\n'
    x = len(out)
    out += b'xref\n0 8\n0000000000 65535 f \n' + b''.join(b'%010d 00000 n \n' % offs[n] for n in range(1, 8))
    out += b'trailer\n<< /Size 8 /Root 1 0 R ' + (o.trailer or '').encode() + b' >>\nstartxref\n%d\n%%%%EOF\n' % x
    d = bytearray(junk) + out
    shift = len(junk) if o.junk_signed else 0
    base = len(junk)  # where the PDF starts in d
    b = d.index(b'/Contents <', base) + len(b'/Contents ')
    c = b + width + 2
    br = b'[0 %010d %010d %010d]' % (b - base + shift, c - base + shift, len(d) - c - o.short_tail)
    k = d.index(b'[0 0000000000 0000000000 0000000000]')
    d[k:k + len(br)] = br
    start = 0 if o.junk_signed else base
    signed = bytes(d[start:b] + d[c:len(d) - o.short_tail])
    cms = build_cms(o, signed).hex().encode()
    assert len(cms) <= width, 'signature too large'
    d[b + 1:b + 1 + len(cms)] = cms
    open(o.out, 'wb').write(d)


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--cert', required=True)
    ap.add_argument('--key', required=True)
    ap.add_argument('--alg', default='ecdsa')
    ap.add_argument('--md', default='sha256')
    ap.add_argument('--sid')
    ap.add_argument('--no-attrs', action='store_true')
    ap.add_argument('--sigcert', default='v2')
    ap.add_argument('--other')
    ap.add_argument('--extra', action='append')
    ap.add_argument('--junk', type=int, default=0)
    ap.add_argument('--junk-signed', action='store_true')
    ap.add_argument('--trailer')
    ap.add_argument('--corrupt', action='store_true')
    ap.add_argument('--short-tail', type=int, default=0)
    pdf(ap.parse_args())
