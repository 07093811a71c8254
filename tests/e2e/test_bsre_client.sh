#!/bin/bash
# End-to-end: BSrE's clients work unchanged (issue 12's must-hold). A home
# whose policy asks for two factors ([signing] second_factor = totp), an
# owner, three API clients (one vouching for its users' login as the second
# factor, one not, one of another agency), `sertel serve` on a loopback
# port; then test_bsre_client.py - a client written from DOMAIN.md's field
# list with the Python standard library only - drives v1 and v2 as agency
# systems send them. Every PDF it got back is checked here with pdfsig (an
# NSS database trusting the home's root) and `sertel verify`; the QR codes
# with zbarimg (the document's link, or linkQR); tag_koordinat's stamp
# against `sertel sign --marker`; the audit log for the vouched factor, the
# signing sessions and the downloads; and the purge at start of what
# outlived its retention.
. "$(dirname "$0")/lib.sh"
for tool in pdfsig certutil pdftoppm zbarimg qpdf sqlite3 python3 openssl; do
    command -v $tool >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
S() { "$SERTEL" --home "$H" "$@"; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
H=$T/home
new_home "$H" --base-url "$BASE"
fast_kdf "$H"
sed -i 's/^second_factor = .*/second_factor = totp/' "$H/sertel.conf"
S agency add --name "Kementerian Uji" --domain uji.go.id >/dev/null || exit 1
S agency add --name "Kementerian Lain" --domain lain.go.id >/dev/null || exit 1
NIK=3201015201900001
printf 'passphrase Rina yang panjang\n' >"$T/pp"
new_owner "$H" 1 "Rina Wulandari" "$NIK" rina@uji.go.id "$T/pp" >/dev/null || { echo "new_owner failed"; exit 1; }
client() { # client NAME AGENCY [--vouches-login] -> "id secret"
    S client add --agency "$2" --name "$1" --scopes sign,verify,status ${3:-} >"$T/client.$1" || exit 1
    echo "$(sed -n 's/^client \(cl_[0-9a-f]*\) added.*/\1/p' "$T/client.$1") $(sed -n 's/^secret: //p' "$T/client.$1")"
}
read -r CID CSEC <<<"$(client eoffice 1 --vouches-login)"
read -r LID LSEC <<<"$(client legacy 1)"
read -r OID OSEC <<<"$(client lain 2 --vouches-login)"

# A letter with the marker printed in it (Helvetica, as a word processor's PDF export would).
python3 - "$T/marker.pdf" <<'PY'
import os, sys
sys.path.insert(0, os.environ["SERTEL_TEST_DATA"] + "/pdf")
import mkpdf
content = (b"BT /F1 12 Tf 72 700 Td (Jakarta, 7 Desember 2026) Tj ET\n"
           b"BT /F1 12 Tf 72 560 Td (Tanda tangan: #ttd#) Tj ET\n")
mkpdf.write(sys.argv[1], [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
    b"/Resources << /Font << /F1 5 0 R >> >> >>",
    mkpdf.stream(content),
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"])
PY
# A handwritten signature as a small PNG (grey strokes on white, with alpha).
python3 - "$T/ttd.png" <<'PY'
import struct, sys, zlib
w, h = 160, 60
rows = b""
for y in range(h):
    row = b"\x00"
    for x in range(w):
        on = abs((y - 30) - int(20 * __import__("math").sin(x / 12.0))) < 3
        row += bytes([20, 20, 90, 255]) if on else bytes([255, 255, 255, 0])
    rows += row
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY

start_serve api "$H" --listen "127.0.0.1:$PORT" || exit 1
cat >"$T/cfg.json" <<EOF
{"base": "$BASE", "client": "$CID", "secret": "$CSEC", "legacy_client": "$LID",
 "legacy_secret": "$LSEC", "other_client": "$OID", "other_secret": "$OSEC",
 "nik": "$NIK", "email": "rina@uji.go.id", "name": "Rina Wulandari",
 "passphrase": "passphrase Rina yang panjang", "unknown_nik": "3201015201900099",
 "pdf": "$SERTEL_TEST_DATA/letter.pdf", "marker_pdf": "$T/marker.pdf", "image": "$T/ttd.png",
 "link_qr": "https://eoffice.uji.go.id/surat/800-123-2026"}
EOF
mkdir -p "$T/out"
if python3 "$(dirname "$0")/test_bsre_client.py" "$T/cfg.json" "$T/out" >"$T/client.log" 2>&1; then
    pass "the BSrE client's own checks ($(tail -1 "$T/client.log"))"
else
    fail "the BSrE client's own checks:"
    grep -v '^ok - ' "$T/client.log"
fi
expect_no_grep 'passphrase Rina' "$T/api.err" "the passphrase is never logged"

# Every signed PDF: pdfsig (trusting only the home's root) and sertel verify.
S ca export --root >"$T/root.pem"
make_nss "$T/nss" "$T/root.pem" >/dev/null 2>&1
python3 -c 'import json,sys; [print(m["name"], m["path"], m["id_dokumen"] or "-", m["qr"] or "-", int(m["marker"])) for m in json.load(open(sys.argv[1]))]' \
    "$T/out/manifest.json" >"$T/files"
[ "$(wc -l <"$T/files")" -eq 6 ] && pass "the client saved $(wc -l <"$T/files") signed PDFs" ||
    fail "only $(wc -l <"$T/files") signed PDFs saved"
while read -r name path id qr marker; do
    pdfsig -nssdir "sql:$T/nss" "$path" >"$T/$name.sig" 2>&1
    grep -q "Signature Validation: Signature is Valid" "$T/$name.sig" &&
        grep -q "Certificate Validation: Certificate is Trusted" "$T/$name.sig" &&
        grep -q "Common Name: Rina Wulandari" "$T/$name.sig" &&
        pass "$name: pdfsig says valid, trusted, Rina Wulandari's" || fail "$name: pdfsig: $(cat "$T/$name.sig")"
    if S verify --json "$path" >"$T/$name.json" 2>"$T/$name.verr"; then
        pass "$name: sertel verify: every signature TOTAL_PASSED"
    else
        fail "$name: sertel verify: $(head -c 600 "$T/$name.json") $(cat "$T/$name.verr")"
    fi
    [ "$id" = - ] && continue
    n=$(sqlite3 "file:$H/sertel.db?mode=ro" "SELECT count(*) FROM signed_documents WHERE id = '$id' AND
        lower(hex(sha256)) = '$(sha256sum "$path" | cut -d' ' -f1)'")
    [ "$n" = 1 ] && pass "$name: in the register under id_dokumen $id with this file's SHA-256" ||
        fail "$name: register rows for $id: $n"
    [ "$qr" = - ] && continue
    pdftoppm -r 200 -f 1 -l 1 -png "$path" "$T/$name.page"
    got=$(zbarimg -q --raw "$T/$name.page"-1.png 2>/dev/null | head -1)
    want=$qr
    [ "$qr" = link ] && want="$BASE/verify/$id"
    [ "$got" = "$want" ] && pass "$name: the QR code says $want" || fail "$name: QR '$got', wanted '$want'"
done <"$T/files"

# tag_koordinat places the stamp exactly as `sertel sign --marker` does.
make_signers "$H" "Budi:ec-p256"
S sign --p12 "$T/Budi.p12" --p12-password-file "$T/p12pw" --marker "#ttd#" --size 220,80 \
    "$T/marker.pdf" "$T/cli-marker.pdf" >/dev/null || fail "sertel sign --marker"
rect() { # the signature widget's /Rect, from qpdf's JSON
    qpdf --json "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for k, v in d["qpdf"][1].items():
    o = v.get("value", {}) if isinstance(v, dict) else {}
    if isinstance(o, dict) and o.get("/FT") == "/Sig" and "/Rect" in o:
        print(" ".join("%.2f" % x for x in o["/Rect"]))'
}
CLI_RECT=$(rect "$T/cli-marker.pdf")
for f in v1_marker_linkqr v2_passphrase_1; do
    R=$(rect "$T/out/$f.pdf")
    [ -n "$R" ] && [ "$R" = "$CLI_RECT" ] && pass "$f: the stamp's rectangle is the CLI's --marker one ($R)" ||
        fail "$f: rectangle '$R', the CLI's '$CLI_RECT'"
done

# The audit log: the vouched second factor names the client, every download and session.
S audit verify >/dev/null && pass "audit chain intact" || fail "audit verify"
q() { sqlite3 "file:$H/sertel.db?mode=ro" "$1"; }
n=$(q "SELECT count(*) FROM audit_log WHERE event = 'sign.authorized' AND details LIKE '%vouched_by_client%'
       AND details LIKE '%$CID%'")
[ "$n" -ge 3 ] && pass "each v1/v2 signing on the client's vouched login audited with it ($n)" ||
    fail "vouched signings audited: $n"
n=$(q "SELECT count(*) FROM audit_log WHERE event = 'sign.authorized' AND details LIKE '%signing_session%'")
[ "$n" = 1 ] && pass "the signing with the totp session audited as such" || fail "session signings audited: $n"
for ev in signsess.opened download.kept download.taken sign.denied; do
    [ "$(q "SELECT count(*) FROM audit_log WHERE event = '$ev'")" -ge 1 ] && pass "audited: $ev" ||
        fail "no $ev in the audit log"
done
[ "$(q "SELECT count(*) FROM signed_downloads WHERE content IS NOT NULL")" -ge 2 ] &&
    pass "the files not downloaded yet are kept in the store" || fail "kept files"
[ "$(q "SELECT count(*) FROM sign_sessions")" = 1 ] && pass "one signing session open (9 uses left)" ||
    fail "sessions: $(q "SELECT count(*), group_concat(uses_left) FROM sign_sessions")"
[ "$(q "SELECT count(*) FROM sign_sessions WHERE box LIKE '%BEGIN%' OR length(box) < 60")" = 0 ] &&
    pass "the session holds the key only sealed" || fail "a session's box looks wrong"

# What outlived its retention is purged when the server starts (and by its tick).
kill "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
expect_no_grep 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/api.err" \
    "the server stopped without a sanitizer report (under ASan: no leak, no memory error)"
q2() { sqlite3 "$H/sertel.db" "$1"; }
q2 "UPDATE signed_downloads SET expires_at = 1; UPDATE sign_sessions SET expires_at = 1"
start_serve api2 "$H" --listen "127.0.0.1:$PORT" || exit 1
[ "$(q "SELECT count(*) FROM signed_downloads")" = 0 ] && pass "kept files past their retention deleted at start" ||
    fail "kept files left: $(q "SELECT count(*) FROM signed_downloads")"
[ "$(q "SELECT count(*) FROM sign_sessions")" = 0 ] && pass "expired signing sessions deleted at start" ||
    fail "sessions left"
for ev in download.purged signsess.expired; do
    [ "$(q "SELECT count(*) FROM audit_log WHERE event = '$ev'")" = 1 ] && pass "audited: $ev" || fail "no $ev"
done
code=$(curl -s -o "$T/gone.b" -w '%{http_code}' -u "$CID:$CSEC" \
    "$BASE/api/sign/download/$(sed -n 2p "$T/files" | cut -d' ' -f3)")
[ "$code" = 404 ] && pass "a purged file is not found" || fail "purged download: $code"
S audit verify >/dev/null && pass "audit chain intact after the purge" || fail "audit verify after purge"
finish
