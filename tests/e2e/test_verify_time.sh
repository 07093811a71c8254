#!/bin/bash
# End-to-end: time, trust and revocation in `sertel verify`.
#  - --at TIME validates as of TIME: a certificate not yet valid then is
#    OUT_OF_BOUNDS, a revocation after TIME did not exist then, the JSON
#    names the validation time; bad times are refused (exit 2). pyHanko's
#    test PKI (../shared/peer-pdfs, when present) is valid on 2020-11-01:
#    its files chain with --at 2020-11-01, and are OUT_OF_BOUNDS without.
#  - a B-LT signature whose signer is revoked after its time-stamp: with
#    the home (offline) the report says the certificate is now revoked
#    (time, reason, from the home's database) and the signature passes;
#    without the home only the embedded (older) status is known offline;
#    online the current status is fetched over the embedded one.
#  - a signature time-stamped after the revocation (the time-stamp token
#    is added here to a signature made before, as an unsigned attribute):
#    INDETERMINATE / REVOKED_NO_POE, not TOTAL_FAILED.
#  - --trust-list (docs/trust.md): an anchor marked certified is reported
#    "tersertifikasi" / certified with its name and SHA-256 (sha256sum);
#    lists with a wrong fingerprint, unknown keys, ... are refused.
#  - the text report's times in WIB (default), --tz WITA / WIT, or the
#    home's [verify] timezone (checked against date -u); JSON stays UTC;
#    a file whose chain is not trusted still shows its time-stamp ("ada,
#    tidak terverifikasi") and its level (B-T, B-LT) from the file; every
#    finding of the validator has an Indonesian form.
. "$(dirname "$0")/lib.sh"
D=$SERTEL_TEST_DATA
for tool in python3 jq openssl; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
FUZZ=${SERTEL_BUILD:?run through ctest, which sets SERTEL_BUILD}/http_fuzz
[ -x "$FUZZ" ] || { echo "missing $FUZZ: build the http_fuzz target"; exit 1; }
PORT=$("$FUZZ" free-port)
URL=http://127.0.0.1:$PORT
H=$T/home
new_home "$H" --base-url "$URL"
make_signers "$H" budi:ec-p256
L=$D/letter.pdf
sign() { # sign IN OUT [extra options]
    local in=$1 out=$2
    shift 2
    "$SERTEL" --home "$H" sign --p12 "$T/budi.p12" --p12-password-file "$T/p12pw" "$@" "$in" "$out" >/dev/null 2>"$T/sign.err"
}
# jqt FILE FILTER DESCRIPTION: the jq filter must yield true.
jqt() {
    if [ "$(jq -r "$2" "$1" 2>/dev/null)" = true ]; then pass "$3"; else fail "$3: $(jq -c "$2" "$1" 2>&1 | head -c 300) in $(head -c 2500 "$1")"; fi
}
mkdir -p "$T/nohome"
NOHOME=$T/nohome/none # not a home: nothing trusted but --trust, no database
VH() { "$SERTEL" --home "$H" verify --offline "$@"; }
VN() { "$SERTEL" --home "$NOHOME" verify --offline --trust "$T/root.pem" "$@"; }

sign "$L" "$T/bb.pdf" || fail "sign B-B: $(cat "$T/sign.err")"
sign "$L" "$T/blt.pdf" --level B-LT || fail "sign B-LT: $(cat "$T/sign.err")"
sign "$L" "$T/bt.pdf" --level B-T || fail "sign B-T: $(cat "$T/sign.err")"

# --- --at ---
expect_exit 2 "--at with a bad month refused" -- VH --at 2020-13-01 "$T/bb.pdf"
expect_grep "is not a time: give RFC 3339" "$T/err" "--at: the refusal names the forms"
expect_exit 2 "--at without an offset refused (RFC 3339 needs one)" -- VH --at 2020-11-01T10:00:00 "$T/bb.pdf"
VH --json "$T/bb.pdf" >"$T/now.json"
jqt "$T/now.json" '.validation_time_given == false and (.validation_time|test("^20[0-9-]+T[0-9:]+Z$"))' "no --at: the validation time is now"
VH --json --at 2020-11-01T19:00:00+07:00 "$T/bb.pdf" >"$T/past.json"
jqt "$T/past.json" '.validation_time == "2020-11-01T12:00:00Z" and .validation_time_given == true' "--at with an offset: the validation time in UTC in the JSON"
jqt "$T/past.json" '.signatures[0].conclusion == "INDETERMINATE" and .signatures[0].sub_indication == "OUT_OF_BOUNDS_NO_POE" and .signatures[0].certificate_status == "expired"' "--at before the certificate existed: OUT_OF_BOUNDS_NO_POE"
jqt "$T/now.json" '.signatures[0].conclusion == "TOTAL_PASSED"' "the same file passes now"
claimed=$(jq -r '.signatures[0].claimed_signing_time' "$T/now.json")

# pyHanko's test PKI: valid on 2020-11-01, expired now.
PEER=$(cd "$(dirname "$0")/../../.." && pwd)/shared/peer-pdfs
if [ -d "$PEER/pyhanko/pdf" ]; then
    tr=(); for t in "$PEER"/trust/*.pem; do tr+=(--trust "$t"); done
    f=$PEER/pyhanko/pdf/sig-with-ski-sid.pdf
    "$SERTEL" --home "$NOHOME" verify --json --offline "${tr[@]}" "$f" >"$T/ph-now.json"
    "$SERTEL" --home "$NOHOME" verify --json --offline --at 2020-11-01 "${tr[@]}" "$f" >"$T/ph-at.json"
    jqt "$T/ph-now.json" '.signatures[0].sub_indication == "OUT_OF_BOUNDS_NO_POE"' "pyHanko PKI now: expired, OUT_OF_BOUNDS_NO_POE"
    jqt "$T/ph-at.json" '.signatures[0].certificate_status == "valid" and .signatures[0].integrity == "valid" and .signatures[0].sub_indication == "TRY_LATER" and .validation_time == "2020-11-01T00:00:00Z"' "pyHanko PKI --at 2020-11-01: the chain is valid (offline, no revocation data: TRY_LATER)"
else
    echo "# ../shared/peer-pdfs not present: the pyHanko PKI check is skipped"
fi

# --- revocation ---
VH --json "$T/blt.pdf" >"$T/blt-good.json"
jqt "$T/blt-good.json" '.signatures[0].conclusion == "TOTAL_PASSED" and .signatures[0].level == "B-LT" and .signatures[0].revocation == "good" and .signatures[0].revocation_source == "DSS OCSP"' "B-LT, offline with the home: good, the document's own status agreeing with the home"
VH --json "$T/bt.pdf" >"$T/out"
jqt "$T/out" '.signatures[0].conclusion == "TOTAL_PASSED" and .signatures[0].revocation == "good" and .signatures[0].revocation_source == "home database" and ([.signatures[0].chain_revocation[] | .source] | all(. == "home database"))' "B-T (nothing embedded), offline with the home: good for every certificate, from the home's database"
VN --json "$T/blt.pdf" >"$T/out"
jqt "$T/out" '.signatures[0].conclusion == "TOTAL_PASSED" and .signatures[0].revocation == "good" and .signatures[0].revocation_source == "DSS OCSP"' "B-LT, offline without the home: good, from the DSS"
sleep 2 # the revocation lies strictly after the time-stamp and the claimed time
SER=$(openssl x509 -in "$T/budi.crt" -noout -serial | cut -d= -f2)
expect_exit 0 "revoke budi" -- "$SERTEL" --home "$H" cert revoke "$SER" --reason keyCompromise
expect_exit 0 "B-LT revoked after its time-stamp: still TOTAL_PASSED (home, offline)" -- VH --json "$T/blt.pdf"
cp "$T/out" "$T/blt-rev.json"
jqt "$T/blt-rev.json" '.signatures[0] | .revocation == "revoked" and .revocation_source == "home database" and .revocation_reason == "keyCompromise" and (.revocation_time|test("Z$")) and .revocation_time > .timestamp.time' "revoked: time, reason, from the home's database, after the time-stamp"
jqt "$T/blt-rev.json" '.signatures[0].reasons | map(test("is now revoked: revoked at .* after the time-stamped signing time .* stays valid")) | any' "revoked: the note says it is now revoked and the signature stays valid"
jqt "$T/blt-rev.json" '.signatures[0].reasons_id | map(test("kini dicabut")) | any' "revoked: the note in Indonesian"
VH --lang en "$T/blt.pdf" >"$T/out.txt"
expect_grep "Revocation: REVOKED \(the issuing CA's database, authoritative\)" "$T/out.txt" "text: revoked, the home's database named"
expect_grep "Revoked at: .* \(keyCompromise\)" "$T/out.txt" "text: revocation time and reason"
VN --json "$T/blt.pdf" >"$T/out"
jqt "$T/out" '.signatures[0].conclusion == "TOTAL_PASSED" and .signatures[0].revocation == "good" and .signatures[0].revocation_source == "DSS OCSP"' "without the home, offline: only the document's older status (good)"
# Online (the home's OCSP responder on loopback), without the home: the current status is
# fetched although the DSS holds an older one.
start_serve serve "$H" --listen "127.0.0.1:$PORT" || exit 1
"$SERTEL" --home "$NOHOME" verify --json --trust "$T/root.pem" --fetch-allow "$URL" "$T/blt.pdf" >"$T/out"
jqt "$T/out" '.signatures[0].conclusion == "TOTAL_PASSED" and .signatures[0].level == "B-LT" and .signatures[0].revocation == "revoked" and .signatures[0].revocation_source == "online OCSP" and .signatures[0].revocation_reason == "keyCompromise"' "online: the current status (revoked) fetched over the DSS's older one; still B-LT, still valid"
kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null
expect_exit 1 "B-B revoked, no time-stamp: not passed" -- VH --json "$T/bb.pdf"
jqt "$T/out" '.signatures[0].conclusion == "INDETERMINATE" and .signatures[0].sub_indication == "REVOKED_NO_POE" and .signatures[0].revocation_source == "home database"' "B-B revoked: INDETERMINATE / REVOKED_NO_POE (home)"
expect_exit 0 "B-B --at the claimed signing time: not revoked then" -- VH --json --at "$claimed" "$T/bb.pdf"
jqt "$T/out" '.signatures[0].conclusion == "TOTAL_PASSED" and .signatures[0].certificate_status == "valid" and (.signatures[0].reasons|map(test("after the validation time: it was not revoked then"))|any)' "--at before the revocation: passes, the later revocation noted"

# A time-stamp made after the revocation, over the value of a signature made
# before it (bt.pdf): the token replaces the signature-time-stamp unsigned
# attribute (RFC 5126 §5.11.4; not covered by the signature value).
python3 - "$T/bt.pdf" "$T/sigval.bin" <<'PY' || fail "extract the signature value"
import re, sys
d = open(sys.argv[1], "rb").read()
a, b, c, e = map(int, re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", d).groups())
der = bytes.fromhex(d[b + 1:c - 1].decode())
def tlv(buf, i):
    t = buf[i]; l = buf[i + 1]; i += 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(buf[i:i + n], "big"); i += n
    return t, i, i + l
def kids(buf, s, e):
    out = []
    while s < e:
        t, cs, ce = tlv(buf, s); out.append((t, s, cs, ce)); s = ce
    return out
_, s0, e0 = tlv(der, 0)
sd = kids(der, s0, e0)[1]            # [0] EXPLICIT SignedData
_, s1, e1 = tlv(der, sd[2])
si_set = kids(der, s1, e1)[-1]       # signerInfos
si = kids(der, si_set[2], si_set[3])[0]
sig = [k for k in kids(der, si[2], si[3]) if k[0] == 0x04][0]
open(sys.argv[2], "wb").write(der[sig[2]:sig[3]])
PY
sleep 1
"$SERTEL" --home "$H" timestamp "$T/sigval.bin" --out "$T/late.tsr" >/dev/null 2>"$T/err" || fail "time-stamp after the revocation: $(cat "$T/err")"
python3 - "$T/bt.pdf" "$T/late.tsr" "$T/late.pdf" <<'PY' || fail "add the late time-stamp"
import re, sys
d = bytearray(open(sys.argv[1], "rb").read())
tsr = open(sys.argv[2], "rb").read()
def enc_len(n):
    if n < 0x80: return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big"); return bytes([0x80 | len(b)]) + b
def tlv(buf, i):
    t = buf[i]; l = buf[i + 1]; i += 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(buf[i:i + n], "big"); i += n
    return t, i, i + l
def kids(buf, s, e):
    out = []
    while s < e:
        t, cs, ce = tlv(buf, s); out.append((t, s, cs, ce)); s = ce
    return out
def wrap(t, body): return bytes([t]) + enc_len(len(body)) + body
_, s, e = tlv(tsr, 0)
token = tsr[kids(tsr, s, e)[1][1]:kids(tsr, s, e)[1][3]]    # TimeStampResp.timeStampToken
a, b, c, e2 = map(int, re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", d).groups())
der = bytes.fromhex(bytes(d[b + 1:c - 1]).decode())
_, s0, e0 = tlv(der, 0)
ci = kids(der, s0, e0)
_, s1, e1 = tlv(der, ci[1][2])
sdk = kids(der, s1, e1)
si_set = sdk[-1]
sis = kids(der, si_set[2], si_set[3])
si = sis[0]
oid = bytes.fromhex("060b2a864886f70d010910020e")      # id-aa-timeStampToken
attr = wrap(0x30, oid + wrap(0x31, token))
signed = b"".join(der[k[1]:k[3]] for k in kids(der, si[2], si[3]) if k[0] != 0xa1)
new_si = wrap(0x30, signed + wrap(0xa1, attr))
new_set = wrap(0x31, new_si)
new_sd = wrap(0x30, b"".join(der[k[1]:k[3]] for k in sdk[:-1]) + new_set)
new = wrap(0x30, der[ci[0][1]:ci[0][3]] + wrap(0xa0, new_sd))
h = new.hex().encode()
assert len(h) <= c - b - 2, "no room in /Contents"
d[b + 1:c - 1] = h + b"0" * (c - b - 2 - len(h))
open(sys.argv[3], "wb").write(d)
PY
expect_exit 1 "time-stamped after the revocation: not passed" -- VH --json "$T/late.pdf"
cp "$T/out" "$T/late.json"
jqt "$T/late.json" '.signatures[0] | .integrity == "valid" and .timestamp != null and .conclusion == "INDETERMINATE" and .sub_indication == "REVOKED_NO_POE" and .revocation_time <= .timestamp.time' "time-stamp after the revocation: INDETERMINATE / REVOKED_NO_POE (EN 319 102-1), not TOTAL_FAILED"
jqt "$T/late.json" '.signatures[0].reasons[0] | test("before the signature time-stamp .*: no proof that the signature existed before the revocation")' "time-stamp after the revocation: the reason says why"

# --- trust lists ---
mkdir -p "$T/tl"
cp "$T/root.pem" "$T/tl/agency-root.pem"
fp=$(openssl x509 -in "$T/root.pem" -outform DER | sha256sum | cut -d' ' -f1)
FP=$(echo "$fp" | tr a-f A-F | sed 's/../&:/g; s/:$//')
printf '{"format": "sertel-trust-list/1",\n "entries": [{"name": "Root CA Contoh", "certificate_file": "agency-root.pem", "sha256": "%s",\n              "certified": true, "note": "the test home root"}]}\n' "$FP" >"$T/tl/list.json"
TL() { "$SERTEL" --home "$NOHOME" verify --trust-list "$1" "${@:2}"; }
( cd "$T" && "$SERTEL" --home "$NOHOME" verify --offline --json --trust-list tl/list.json "$T/blt.pdf" ) >"$T/out" 2>"$T/err"
jqt "$T/out" ".signatures[0].certified == true and .signatures[0].trust_anchor == {\"sha256\": \"$fp\", \"name\": \"Root CA Contoh\", \"certified\": true}" "trust list: the anchor named, its SHA-256 (sha256sum) and certified (list read from a relative path)"
TL "$T/tl/list.json" --offline "$T/blt.pdf" >"$T/out.txt"
expect_grep "Akar kepercayaan: Root CA Contoh \(tersertifikasi: PSrE Indonesia, PP 71/2019 pasal 59-60\)" "$T/out.txt" "trust list: 'tersertifikasi' in the Indonesian report"
expect_grep "^  Sertifikat elektronik: tersertifikasi" "$T/out.txt" "trust list: the certified line"
TL "$T/tl/list.json" --offline --lang en "$T/blt.pdf" >"$T/out.txt"
expect_grep "Trust anchor: Root CA Contoh \(certified Indonesian CA" "$T/out.txt" "trust list: certified in English"
VN --json "$T/blt.pdf" >"$T/out"
jqt "$T/out" ".signatures[0].certified == false and .signatures[0].trust_anchor.sha256 == \"$fp\" and .signatures[0].trust_anchor.name == null" "--trust alone: the anchor by its SHA-256, not certified"
# an invalid chain is never certified: --at before the certificates existed
TL "$T/tl/list.json" --offline --json --at 2020-11-01 "$T/blt.pdf" >"$T/out" 2>/dev/null
jqt "$T/out" '.signatures[0].certified == false' "trust list: a chain not valid at the validation time is not certified"
# inline PEM, certified false
python3 - "$T/root.pem" "$T/tl/inline.json" <<'PY'
import json, sys
json.dump({"format": "sertel-trust-list/1", "entries": [{"certificate": open(sys.argv[1]).read()}]}, open(sys.argv[2], "w"))
PY
TL "$T/tl/inline.json" --offline --json "$T/blt.pdf" >"$T/out"
jqt "$T/out" '.conclusion == "TOTAL_PASSED" and .signatures[0].certified == false and (.signatures[0].trust_anchor.name|test("Root"))' "trust list: inline PEM, named by its CN, not certified"
# refused lists: a wrong fingerprint, an unknown key, both certificates, another format, bad JSON, a missing file
bad() { # bad NAME JSON PATTERN
    printf '%s' "$2" >"$T/tl/$1.json"
    expect_exit 2 "trust list $1: refused" -- TL "$T/tl/$1.json" --offline "$T/blt.pdf"
    expect_grep "$3" "$T/err" "trust list $1: says why"
}
zeros=$(printf '%064d' 0)
bad wrongfp '{"format":"sertel-trust-list/1","entries":[{"certificate_file":"agency-root.pem","sha256":"'"$zeros"'","certified":true}]}' "entry 1: the certificate's SHA-256 is $fp, not the sha256 the list gives"
bad typo '{"format":"sertel-trust-list/1","entries":[{"certificate_file":"agency-root.pem","certifed":true}]}' "entry 1: unknown key or wrong type: certifed"
bad both '{"format":"sertel-trust-list/1","entries":[{"certificate_file":"agency-root.pem","certificate":"x"}]}' "needs exactly one of certificate"
bad format '{"format":"other","entries":[]}' '"format" must be "sertel-trust-list/1"'
bad json '{"format":' "is not JSON"
bad nofile '{"format":"sertel-trust-list/1","entries":[{"certificate_file":"missing.pem"}]}' "entry 1: cannot read .*missing.pem"

# --- times in the agency's zone; the time-stamp and level of an untrusted file ---
VN --json "$T/bt.pdf" >"$T/bt.json"
ts=$(jq -r '.signatures[0].timestamp.time' "$T/bt.json")
in_zone() { date -u -d "$1 + $2 hours" '+%Y-%m-%d %H:%M:%S'; }
VN "$T/bt.pdf" >"$T/out.txt"
expect_grep "^  Stempel waktu: $(in_zone "$ts" 7) WIB \(" "$T/out.txt" "Indonesian report: the time-stamp in WIB by default"
VN --tz WITA "$T/bt.pdf" >"$T/out.txt"
expect_grep "^  Stempel waktu: $(in_zone "$ts" 8) WITA \(" "$T/out.txt" "--tz WITA: UTC+8"
VN --tz wit "$T/bt.pdf" >"$T/out.txt"
expect_grep "^  Waktu penandatanganan \(klaim\): .* WIT$" "$T/out.txt" "--tz wit: the claimed time in WIT too"
VN --lang en "$T/bt.pdf" >"$T/out.txt"
expect_grep "^  Time-stamp: $ts \(" "$T/out.txt" "English report: UTC by default"
expect_exit 2 "--tz CET refused" -- VN --tz CET "$T/bt.pdf"
expect_grep "use WIB \(UTC\+7\), WITA \(UTC\+8\), WIT \(UTC\+9\)" "$T/err" "--tz: the refusal names the zones"
jqt "$T/bt.json" ".signatures[0].timestamp.time == \"$ts\" and (\"$ts\"|test(\"Z$\"))" "JSON: times stay UTC"
printf '\n[verify]\ntimezone = WIT\n' >>"$H/sertel.conf"
"$SERTEL" --home "$H" verify --offline "$T/bt.pdf" >"$T/out.txt" 2>"$T/err"
expect_grep "^  Stempel waktu: $(in_zone "$ts" 9) WIT \(" "$T/out.txt" "[verify] timezone = WIT in the home's sertel.conf"
"$SERTEL" --home "$H" verify --offline --tz WIB "$T/bt.pdf" >"$T/out.txt" 2>"$T/err"
expect_grep "^  Stempel waktu: $(in_zone "$ts" 7) WIB \(" "$T/out.txt" "--tz overrides [verify] timezone"
"$SERTEL" --home "$H" verify --offline --at "$ts" "$T/bt.pdf" >"$T/out.txt" 2>"$T/err"
expect_grep "^Divalidasi per waktu: $(in_zone "$ts" 9) WIT" "$T/out.txt" "--at: the validation time in the report, in the zone"
# Untrusted chain: the time-stamp is reported present (not verified) and the level from the file.
"$SERTEL" --home "$NOHOME" verify --offline "$T/bt.pdf" >"$T/out.txt"
expect_grep "^  Stempel waktu: ada, tidak terverifikasi \(waktunya: $(in_zone "$ts" 7) WIB\)" "$T/out.txt" "untrusted: 'Stempel waktu: ada, tidak terverifikasi' with its time"
expect_grep "^  Level: B-T$" "$T/out.txt" "untrusted B-T: level B-T from the file"
expect_grep "level dibaca dari berkas" "$T/out.txt" "untrusted: the note says the level is read from the file (Indonesian)"
"$SERTEL" --home "$NOHOME" verify --offline --json "$T/blt.pdf" >"$T/out"
jqt "$T/out" ".signatures[0].level == \"B-LT\" and .signatures[0].timestamp == null and .signatures[0].timestamp_present == true and (.signatures[0].timestamp_unverified_time|test(\"Z$\")) and .signatures[0].sub_indication == \"NO_CERTIFICATE_CHAIN_FOUND\"" "untrusted B-LT: level B-LT, time-stamp present but unverified (JSON)"
"$SERTEL" --home "$NOHOME" verify --offline --lang en "$T/bt.pdf" >"$T/out.txt"
expect_grep "^  Time-stamp: present, not verified \(its time: $ts\)" "$T/out.txt" "untrusted, English: present, not verified"
# Every finding the validator writes has an Indonesian form (verify_id.c).
python3 - "$SERTEL_TEST_DATA/../.." <<'PY' && pass "every finding of lib/pdf/verify*.c has an Indonesian translation" || fail "findings without a translation (above)"
import glob, re, sys
root = sys.argv[1]
lit = r'"((?:[^"\\]|\\.)*)"'
grp = lit + r'(?:\s*' + lit + r')*'
fmts = {}
for f in glob.glob(root + "/lib/pdf/verify*.c"):
    if f.endswith("verify_id.c"):
        continue
    t = open(f).read()
    for m in re.finditer(r'\b(vfy_note|vfy_set|vfy_change|vfy_report_note|vfy_mod_add)\s*\(', t):
        i, depth, j = m.end(), 1, m.end()
        while depth and j < len(t):
            c = t[j]
            if c == '"':
                j += 1
                while t[j] != '"':
                    j += 2 if t[j] == '\\' else 1
            elif c == '(':
                depth += 1
            elif c == ')':
                depth -= 1
            j += 1
        call = t[i:j - 1]
        groups = [g.group(0) for g in re.finditer(grp, call)]
        groups = [g for g in groups if not re.fullmatch(r'"[A-Z_]+"', g)]  # sub-indications
        k = 1 if m.group(1) == "vfy_mod_add" else 0
        if len(groups) > k:
            fmts.setdefault("".join(re.findall(lit, groups[k])), f)
idt = open(root + "/lib/pdf/verify_id.c").read()
have = {"".join(re.findall(lit, m.group(1))) for m in re.finditer(r'\{\s*((?:' + lit + r'\s*)+),', idt)}
def known(s):  # a "%s" that is " (offline)" or nothing is translated in both forms
    return s in have or (s.count("%s") > 1 and all(
        s.replace("%s", v, 1) in have for v in ("", " (offline)")))
missing = sorted(s for s in fmts if not known(s) and s != "%s")
for s in missing:
    print("no translation:", s)
sys.exit(1 if missing or len(fmts) < 40 else 0)
PY

finish
