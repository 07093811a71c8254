#!/usr/bin/env python3
"""compare.py MODE NSIG PDFSIG.txt MUTOOL.txt SERTEL.json - compare what
poppler's pdfsig, MuPDF's mutool and sertel's verifier say about one signed
file of the PDF test corpus (tests/e2e/test_corpus.sh).

MODE good: the file carries NSIG signatures, all intact. Required:
  pdfsig  every signed field "Signature is Valid." and "Certificate is
          Trusted."; the newest (the largest signed range) "Total document
          signed", the others "Not total document signed"; fields that are
          not signed (an empty signature field of a form) are skipped;
  mutool  NSIG signed fields, the newest "unchanged since signing";
  sertel  NSIG signatures, each paired with pdfsig's by its /ByteRange, and
          the verdicts map: pdfsig valid+trusted+total <=> TOTAL_PASSED,
          integrity valid, covers_whole_document; pdfsig valid+trusted but
          not total <=> TOTAL_PASSED, integrity valid, not covering the
          document, not modified, the later revisions named as harmless
          (a signature added); the document TOTAL_PASSED.
MODE bad: the file was attacked after signing (a flipped byte, or an
  appended revision that changes page content). Required: pdfsig judges no
  signature both valid and total; sertel concludes TOTAL_FAILED for the
  document and for the newest signature; mutool is not asked.

Prints one line for the CI table (pdfsig's and sertel's verdicts in short);
exit 0 when they agree as required, 1 with the reasons otherwise."""
import json, re, sys

mode, nsig, pdfsig_f, mutool_f, sertel_f = sys.argv[1], int(sys.argv[2]), *sys.argv[3:6]
problems = []

# pdfsig: blocks "Signature #n:" ... ; signed ones carry "Signed Ranges".
ptxt = open(pdfsig_f, errors='replace').read()
blocks = re.split(r'^Signature #\d+:\s*$', ptxt, flags=re.M)[1:]
psigs = []
for b in blocks:
    if 'is not signed' in b:
        continue
    m = re.search(r'Signed Ranges: \[(\d+) - (\d+)\], \[(\d+) - (\d+)\]', b)
    br = [int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)) - int(m.group(3))] if m else None
    psigs.append({
        'br': br,
        'valid': 'Signature is Valid.' in b,
        'trusted': 'Certificate is Trusted.' in b,
        'total': re.search(r'^\s*- Total document signed', b, re.M) is not None,
        'verdict': (re.search(r'Signature Validation: (.*)', b) or re.search(r'()', '')).group(1).strip(),
    })
try:
    sj = json.load(open(sertel_f))
    ssigs = sj.get('signatures', [])
except (ValueError, OSError) as e:
    sj, ssigs = {}, []
    problems.append('sertel: no JSON (%s)' % e)


def short_p(p):
    return ('valid' if p['valid'] else p['verdict'] or '?') + ('+trusted' if p['trusted'] else '') + \
        ('+total' if p['total'] else '')


def short_s(s):
    return '%s/%s%s' % (s.get('conclusion'), s.get('integrity'), '+whole' if s.get('covers_whole_document') else '')


if mode == 'good':
    if len(psigs) != nsig:
        problems.append('pdfsig: %d signed fields, wanted %d' % (len(psigs), nsig))
    if len(ssigs) != nsig:
        problems.append('sertel: %d signatures, wanted %d' % (len(ssigs), nsig))
    newest = max((p['br'][2] + p['br'][3] for p in psigs if p['br']), default=None)
    for i, p in enumerate(psigs):
        is_newest = p['br'] is not None and p['br'][2] + p['br'][3] == newest
        if not (p['valid'] and p['trusted']):
            problems.append('pdfsig: signature %d: %s' % (i + 1, short_p(p)))
        if p['total'] != is_newest:
            problems.append('pdfsig: signature %d: total=%s but newest=%s' % (i + 1, p['total'], is_newest))
        s = next((s for s in ssigs if s.get('byte_range') == p['br']), None)
        if s is None:
            problems.append('sertel: no signature with /ByteRange %s' % p['br'])
            continue
        if p['valid'] and p['trusted'] and p['total']:
            if not (s.get('conclusion') == 'TOTAL_PASSED' and s.get('integrity') == 'valid' and
                    s.get('covers_whole_document') is True):
                problems.append('disagree on the newest signature %s: pdfsig %s, sertel %s %s %s' % (
                    p['br'], short_p(p), short_s(s), s.get('sub_indication'), s.get('reasons')))
        elif p['valid'] and p['trusted']:
            named = any(re.search(r'signature (widget|field)', h) for h in s.get('harmless_changes', []))
            if not (s.get('conclusion') == 'TOTAL_PASSED' and s.get('integrity') == 'valid' and
                    s.get('covers_whole_document') is False and s.get('modified_after_signing') is False and
                    not s.get('changes') and named):
                problems.append('disagree on the earlier signature %s: pdfsig %s, sertel %s %s changes=%s harmless=%s' % (
                    p['br'], short_p(p), short_s(s), s.get('sub_indication'), s.get('changes'),
                    s.get('harmless_changes')))
    if sj.get('conclusion') != 'TOTAL_PASSED':
        problems.append('sertel: document %s (%s)' % (sj.get('conclusion'), sj.get('sub_indication')))
    # mutool: signed fields listed, the newest unchanged since signing.
    mtxt = open(mutool_f, errors='replace').read()
    mblocks = [b for b in re.split(r'^Verifying signature \d+:\s*$', mtxt, flags=re.M)[1:] if 'is not signed' not in b]
    if len(mblocks) != nsig:
        problems.append('mutool: %d signed fields, wanted %d' % (len(mblocks), nsig))
    if sum('document is unchanged since signing' in b for b in mblocks) != 1:
        problems.append('mutool: not exactly one signature "unchanged since signing"')
    if sum('valid but there have been edits since signing' in b for b in mblocks) != nsig - 1:
        problems.append('mutool: the earlier signatures are not all "valid but there have been edits"')
elif mode == 'bad':
    if any(p['valid'] and p['total'] for p in psigs):
        problems.append('pdfsig: a signature is still valid and total')
    if not psigs:
        problems.append('pdfsig: no signature found')
    if sj.get('conclusion') != 'TOTAL_FAILED' or not ssigs or ssigs[-1].get('conclusion') != 'TOTAL_FAILED':
        problems.append('sertel: %s, newest %s' % (sj.get('conclusion'), short_s(ssigs[-1]) if ssigs else '-'))
else:
    sys.exit('bad mode')

print('pdfsig %s | sertel %s' % (', '.join(short_p(p) for p in psigs) or '-',
                                 ', '.join(short_s(s) for s in ssigs) or '-'))
for p in problems:
    print('  ' + p)
sys.exit(1 if problems else 0)
