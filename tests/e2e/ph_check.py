#!/usr/bin/python3
"""ph_check.py - pyHanko (the sources under ../shared/tools/pyhanko, the
same 0.20.1 that ../shared/tools/pyhanko-validate.sh runs) as the second,
independent validator of many files in one process.

usage: ph_check.py ROOT.pem [--trust EXTRA.pem]... [--p12 FILE PASSWORD] [--tsa URL] < jobs

Each line of jobs is "CHECK FILE [INPUT [PASSWORD]]":
  CHECK  online | pades | pades-lta | pades-retro | pades-lta-retro | norev
         what the newest signature that is not a document time-stamp (the one
         sertel just made) must pass, as pyhanko-validate.sh --mode would:
         online (current time, revocation hard-fail, fetched), pades/pades-lta
         (--ltv-profile: revocation data from the DSS only), *-retro the same
         with revocation data that was added after the signature's time-stamp
         accepted (pyHanko's retroactive_revinfo; its CLI does not pass
         --retroactive-revinfo on to the LTV profiles), norev (no revocation
         check)
  FILE   the signed output
  INPUT  (optional) the file before signing: each older signature that was
         intact, valid and judged unmodified beyond form filling/annotations
         there (no revocation check) must still be so in FILE, with the same
         or a lower modification level than OTHER
  PASSWORD  the user password of an encrypted FILE and INPUT ("-": none)
Prints "ok FILE", "skip FILE: why" or "FAIL FILE: why" per job; exit 1 if
any failed. A failure is a skip, with the reason, only where pyHanko fails
the same way without sertel:
  - pyHanko cannot read the input itself;
  - the new signature's check stops on an error reading the document, and
    pyHanko fails the same way on its own signature and DSS revision of the
    input (made here with --p12, pyHanko's signer and DocumentSecurityStore;
    for an LTA check also pyHanko's document time-stamp from --tsa URL);
  - an LTV check fails and the input's own newest signature fails the same
    check (an earlier document time-stamp chain whose validation data is
    stale today: every signature after it inherits that).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, '..', '..', '..', 'shared', 'tools', 'pyhanko', 'src')
sys.path.insert(0, os.environ.get('SERTEL_PYHANKO_SRC', SRC))

import logging  # noqa: E402

logging.disable(logging.CRITICAL)

from pyhanko.keys import load_cert_from_pemder  # noqa: E402
from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.sign.diff_analysis import ModificationLevel  # noqa: E402
from pyhanko.sign.validation import (RevocationInfoValidationType,  # noqa: E402
                                     validate_pdf_ltv_signature, validate_pdf_signature)
from pyhanko_certvalidator import ValidationContext  # noqa: E402

ACCEPTED = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES,
            ModificationLevel.FORM_FILLING, ModificationLevel.ANNOTATIONS)


PASSWORD = [None]
STRICT = [True]


def reader(path):
    """pyHanko's reader, strict unless that fails (or STRICT[0] is off), decrypted."""
    def opened(strict):
        r = PdfFileReader(open(path, 'rb'), strict=strict)
        if r.security_handler is not None and PASSWORD[0] is not None:
            r.decrypt(PASSWORD[0].encode())
        r.embedded_signatures  # parse now
        return r
    if STRICT[0]:
        try:
            return opened(True)
        except Exception:
            pass
    return opened(False)


def regular(r):
    return [s for s in r.embedded_signatures if s.sig_object_type != '/DocTimeStamp']


def sound(s, roots):
    """Intact, valid and acceptably modified, no revocation check."""
    vc = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode='soft-fail')
    try:
        st = validate_pdf_signature(s, signer_validation_context=vc)
    except Exception as e:
        return False, 'error %s: %s' % (type(e).__name__, e)
    ok = st.intact and st.valid and st.modification_level in ACCEPTED and st.docmdp_ok is not False
    return ok, 'intact=%s valid=%s modification=%s docmdp_ok=%s' % (
        st.intact, st.valid, st.modification_level, st.docmdp_ok)


def newest(path, check, roots):
    ok, w = newest_once(path, check, roots)
    if ok or 'hybrid-reference' not in w:
        return ok, w
    # pyHanko validates signatures in hybrid-reference files only when not strict
    # (its CLI: --no-strict-syntax); sertel keeps such files on classic tables.
    STRICT[0] = False
    try:
        ok, w = newest_once(path, check, roots)
        return ok, w + ' (read without strict syntax: a hybrid-reference file)'
    finally:
        STRICT[0] = True


def newest_once(path, check, roots):
    r = reader(path)
    sigs = regular(r)
    if not sigs:
        return False, 'no signature'
    s = sigs[-1]
    retro = check.endswith('-retro')
    prof = check[:-6] if retro else check
    try:
        if prof == 'online':
            vc = ValidationContext(trust_roots=roots, allow_fetching=True,
                                   revocation_mode='hard-fail')
            st = validate_pdf_signature(s, signer_validation_context=vc)
        elif prof == 'norev':
            vc = ValidationContext(trust_roots=roots, allow_fetching=False,
                                   revocation_mode='soft-fail')
            st = validate_pdf_signature(s, signer_validation_context=vc)
        else:
            kw = {'trust_roots': roots}
            if retro:
                kw['retroactive_revinfo'] = True
            st = validate_pdf_ltv_signature(s, RevocationInfoValidationType(prof),
                                            validation_context_kwargs=kw)
    except Exception as e:
        return False, 'error %s: %s' % (type(e).__name__, e)
    ok = st.bottom_line and st.modification_level in ACCEPTED
    return ok, 'bottom_line=%s trusted=%s modification=%s' % (
        st.bottom_line, st.trusted, st.modification_level)


P12 = [None, None]
TSA = [None]


def own_update_fails(inp, lta, roots):
    """
    pyHanko's own signature and DSS revision of inp (lta: and a document
    time-stamp from --tsa), checked by pyHanko: its error, or None.
    """
    from io import BytesIO
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    if P12[0] is None:
        return None
    try:
        signer = signers.SimpleSigner.load_pkcs12(P12[0], passphrase=P12[1].encode())
        w = IncrementalPdfFileWriter(open(inp, 'rb'), strict=False)
        if w.security_handler is not None and PASSWORD[0] is not None:
            w.encrypt(PASSWORD[0].encode())
        out = signers.sign_pdf(w, signers.PdfSignatureMetadata(field_name='PyHankoOwn'),
                               signer=signer)
        r = PdfFileReader(out, strict=False)
        if r.security_handler is not None and PASSWORD[0] is not None:
            r.decrypt(PASSWORD[0].encode())
        own = regular(r)[-1]
        buf = BytesIO(out.getvalue())
        DocumentSecurityStore.add_dss(buf, own.pkcs7_content, certs=[signer.signing_cert])
        if lta and TSA[0] is not None:
            # and its own document time-stamp after it
            from pyhanko.sign.timestamps import HTTPTimeStamper
            w = IncrementalPdfFileWriter(buf, strict=False)
            if w.security_handler is not None and PASSWORD[0] is not None:
                w.encrypt(PASSWORD[0].encode())
            buf = signers.PdfTimeStamper(HTTPTimeStamper(TSA[0])).timestamp_pdf(
                w, 'sha256', validation_context=ValidationContext(trust_roots=roots, allow_fetching=True))
        try:  # read as sertel's output is (reader): strict unless that fails
            r = PdfFileReader(BytesIO(buf.getvalue()), strict=STRICT[0])
            r.embedded_signatures
        except Exception:
            r = PdfFileReader(BytesIO(buf.getvalue()), strict=False)
        if r.security_handler is not None and PASSWORD[0] is not None:
            r.decrypt(PASSWORD[0].encode())
        from pyhanko.sign.validation import validate_pdf_signature as vps
        vc = ValidationContext(trust_roots=[], allow_fetching=False, revocation_mode='soft-fail')
        vps(regular(r)[-1], signer_validation_context=vc)
    except Exception as e:
        # only pyHanko failing to read or compare the document counts
        if 'Pdf' in type(e).__name__ or 'IndirectObject' in type(e).__name__:
            return '%s: %s' % (type(e).__name__, e)
    return None


def inherited(inp, check, roots):
    """Why the input's own newest signature fails check too (None: it passes)."""
    if check in ('online', 'norev'):
        return None
    try:
        ok, w = newest(inp, check, roots)
    except Exception as e:
        ok, w = False, 'error %s: %s' % (type(e).__name__, e)
    return None if ok or w == 'no signature' else w


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    roots = [load_cert_from_pemder(args.pop(0))]
    while args and args[0] in ('--trust', '--p12', '--tsa'):
        if args[0] == '--tsa':
            TSA[0] = args[1]
            args = args[2:]
        elif args[0] == '--trust':
            roots.append(load_cert_from_pemder(args[1]))
            args = args[2:]
        else:
            P12[0], P12[1] = args[1], args[2]
            args = args[3:]
    failed = 0
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        check, path = parts[0], parts[1]
        PASSWORD[0] = parts[3] if len(parts) > 3 and parts[3] != '-' else None
        why = []
        if len(parts) > 2:
            try:
                reader(parts[2]).embedded_signatures
            except Exception as e:
                print('skip %s: pyHanko cannot read the input either (%s: %s)' % (
                    path, type(e).__name__, e), flush=True)
                continue
        try:
            ok, w = newest(path, check, roots)
        except Exception as e:
            ok, w = False, 'error %s: %s' % (type(e).__name__, e)
        if not ok and len(parts) > 2:
            inh = inherited(parts[2], check, roots)
            reading = 'error Pdf' in w or 'IndirectObjectExpected' in w
            own = own_update_fails(parts[2], check.startswith('pades-lta'), roots) if inh is None and reading else None
            if inh is not None:
                print('skip %s: %s; the input\'s own newest signature fails %s too (%s)' % (
                    path, w, check, inh), flush=True)
                continue
            if own is not None:
                print('skip %s: %s; pyHanko fails on its own signature and DSS revision '
                      '(and document time-stamp, for LTA) of the input too (%s)' % (path, w, own), flush=True)
                continue
        if not ok:
            why.append('new signature (%s): %s' % (check, w))
        if len(parts) > 2:
            try:
                before = regular(reader(parts[2]))
                after = regular(reader(path))[:len(before)]
                for i, (b, a) in enumerate(zip(before, after)):
                    if sound(b, roots)[0]:
                        aok, aw = sound(a, roots)
                        if not aok:
                            why.append('older signature %d %s no longer passes: %s' % (
                                i + 1, a.field_name, aw))
            except Exception as e:
                why.append('error reading the older signatures: %s: %s' % (type(e).__name__, e))
        if why:
            failed += 1
            print('FAIL %s: %s' % (path, '; '.join(why)), flush=True)
        else:
            print('ok %s' % path, flush=True)
    sys.exit(1 if failed else 0)


main()
