#!/usr/bin/env python3
"""extract_sig.py PDF N PREFIX - write the Nth signature's CMS (PREFIX.p7s,
DER without the zero padding) and the bytes its /ByteRange covers
(PREFIX.signed); print the number of signatures. Independent of sertel's
reader: a plain regular expression over the file."""
import binascii, re, sys

data = open(sys.argv[1], 'rb').read()
n, pre = int(sys.argv[2]), sys.argv[3]
ms = list(re.finditer(rb'/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]', data))
a, b, c, d = map(int, ms[n - 1].groups())
assert a == 0 and data[b:b + 1] == b'<' and data[c - 1:c] == b'>', 'gap is not the /Contents string'
der = binascii.unhexlify(data[b + 1:c - 1])
assert der[0] == 0x30
if der[1] < 0x80:
    total = 2 + der[1]
else:
    k = der[1] & 0x7f
    total = 2 + k + int.from_bytes(der[2:2 + k], 'big')
assert all(x == 0 for x in der[total:]), 'non-zero bytes after the CMS'
open(pre + '.p7s', 'wb').write(der[:total])
open(pre + '.signed', 'wb').write(data[a:a + b] + data[c:c + d])
print(len(ms), c + d == len(data))
