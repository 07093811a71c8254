#!/usr/bin/env python3
"""test_bsre_client.py - an agency system's client of BSrE's signing API,
written from the public field list (DOMAIN.md, "BSrE's signing API") the
way existing agency clients (Laravel, Node, Java e-office systems) call it:
HTTP Basic with the client application's id and secret, v1 as a
multipart/form-data body built by hand, v2 as JSON with base64 files. Only
the Python standard library; nothing here comes from sertel's code.

Run by test_bsre_client.sh, which sets up a home and a server and then
checks every signed PDF this client saved with pdfsig and `sertel verify`.

    test_bsre_client.py CONFIG.json OUTDIR

CONFIG: base (the server's URL), client / secret (a client application),
legacy_client / legacy_secret (one not vouching for its users' login),
other_client / other_secret (another agency's), nik, email, passphrase,
unknown_nik, pdf (a PDF), marker_pdf (a PDF with "#ttd#" printed in it),
image (a PNG signature image), link_qr (a text for linkQR).
Writes OUTDIR/<name>.pdf for each signed file and OUTDIR/manifest.json.
"""
import base64
import http.client
import json
import os
import sys
import urllib.parse
import uuid

FAILS = 0
PASSES = 0


def ok(cond, what, detail=""):
    global FAILS, PASSES
    if cond:
        PASSES += 1
        print("ok - %s" % what)
    else:
        FAILS += 1
        print("NOT OK - %s %s" % (what, detail))
    return cond


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except ValueError:
            return None


class BsreClient:
    """What an e-office system's integration module does with BSrE's API."""

    def __init__(self, base, user, password):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.prefix = u.hostname, u.port or 80, u.path.rstrip("/")
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.auth = "Basic " + token

    def request(self, method, path, body=None, ctype=None, auth=True):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        headers = {"Accept": "*/*", "User-Agent": "e-office-esign/2.1"}
        if auth:
            headers["Authorization"] = self.auth
        if ctype:
            headers["Content-Type"] = ctype
        conn.request(method, self.prefix + path, body=body, headers=headers)
        r = conn.getresponse()
        resp = Response(r.status, r.getheaders(), r.read())
        conn.close()
        return resp

    @staticmethod
    def multipart(fields, files):
        """fields: {name: text}; files: {name: (filename, bytes, content type)}."""
        boundary = "----eoffice" + uuid.uuid4().hex
        out = b""
        for name, value in fields.items():
            out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n" % (boundary, name)).encode()
            out += str(value).encode("utf-8") + b"\r\n"
        for name, (fname, data, ctype) in files.items():
            out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: %s\r\n\r\n" % (boundary, name, fname, ctype)).encode()
            out += data + b"\r\n"
        out += ("--%s--\r\n" % boundary).encode()
        return out, "multipart/form-data; boundary=" + boundary

    # --- v1 ---
    def sign_pdf(self, fields, files):
        body, ctype = self.multipart(fields, files)
        return self.request("POST", "/api/sign/pdf", body, ctype)

    def download(self, id_dokumen):
        return self.request("GET", "/api/sign/download/" + id_dokumen)

    def verify(self, name, data):
        body, ctype = self.multipart({}, {"signed_file": (name, data, "application/pdf")})
        return self.request("POST", "/api/sign/verify", body, ctype)

    def user_status(self, nik):
        return self.request("GET", "/api/user/status/" + nik)

    # --- v2 ---
    def post_json(self, path, obj):
        return self.request("POST", path, json.dumps(obj).encode(), "application/json")


def main():
    cfg = json.load(open(sys.argv[1]))
    out = sys.argv[2]
    pdf = open(cfg["pdf"], "rb").read()
    marker_pdf = open(cfg["marker_pdf"], "rb").read()
    image = open(cfg["image"], "rb").read()
    c = BsreClient(cfg["base"], cfg["client"], cfg["secret"])
    manifest = []

    def save(name, data, id_dokumen, qr=None, marker=False):
        path = os.path.join(out, name + ".pdf")
        with open(path, "wb") as f:
            f.write(data)
        manifest.append({"name": name, "path": path, "id_dokumen": id_dokumen, "qr": qr,
                         "marker": marker})

    base_fields = {"nik": cfg["nik"], "passphrase": cfg["passphrase"]}

    # 1. v1, visible, page and coordinates, BYTE: the signed PDF with an id_dokumen header.
    f = dict(base_fields, tampilan="visible", image="false", page="1", xAxis="350", yAxis="60",
             width="220", height="90", reason="Menyetujui dokumen", location="Jakarta",
             text="Nomor: 800/123/2026", jenis_response="BYTE")
    r = c.sign_pdf(f, {"file": ("surat.pdf", pdf, "application/pdf")})
    id1 = r.header("id_dokumen")
    ok(r.status == 200 and r.body.startswith(b"%PDF") and id1 and len(id1) == 32,
       "v1 visible by page/coordinates, BYTE: a PDF with the id_dokumen header",
       "%s %s" % (r.status, r.body[:200]))
    if r.status == 200:
        save("v1_visible_xy", r.body, id1, qr="link")
    byte1 = r.body

    # 2. v1, invisible, BASE64: {base64_signed_file, id_dokumen}.
    f = dict(base_fields, tampilan="invisible", reason="Arsip", location="Bandung",
             jenis_response="BASE64")
    r = c.sign_pdf(f, {"file": ("arsip.pdf", pdf, "application/pdf")})
    j = r.json() or {}
    ok(r.status == 200 and "base64_signed_file" in j and len(j.get("id_dokumen", "")) == 32,
       "v1 invisible, BASE64: JSON with base64_signed_file and id_dokumen", r.body[:200])
    if "base64_signed_file" in j:
        data = base64.b64decode(j["base64_signed_file"])
        ok(data.startswith(b"%PDF"), "v1 BASE64 decodes to a PDF")
        save("v1_invisible_base64", data, j["id_dokumen"])

    # 3. v1, visible at tag_koordinat, with linkQR and a handwritten signature image.
    f = dict(base_fields, tampilan="visible", image="true", halaman="first",
             tag_koordinat="#ttd#", width="220", height="80", linkQR=cfg["link_qr"],
             reason="Menyetujui", location="Palangka Raya", jenis_response="BYTE")
    r = c.sign_pdf(f, {"file": ("nota.pdf", marker_pdf, "application/pdf"),
                       "imageTTD": ("ttd.png", image, "image/png")})
    ok(r.status == 200 and r.body.startswith(b"%PDF") and r.header("id_dokumen"),
       "v1 visible by tag_koordinat with linkQR and imageTTD", "%s %s" % (r.status, r.body[:200]))
    if r.status == 200:
        save("v1_marker_linkqr", r.body, r.header("id_dokumen"), qr=cfg["link_qr"], marker=True)

    # 4. Download once, then 4044.
    r = c.download(id1 or "0" * 32)
    ok(r.status == 200 and r.body == byte1, "download: the signed PDF, the same bytes",
       "%s %s" % (r.status, r.body[:120]))
    r = c.download(id1 or "0" * 32)
    j = r.json() or {}
    ok(r.status == 404 and j.get("status_code") == 4044 and
       j.get("error") == "Dokumen telah didownload sebelumnya",
       "download again: 404, 4044 \"Dokumen telah didownload sebelumnya\"", r.body[:200])
    other = BsreClient(cfg["base"], cfg["other_client"], cfg["other_secret"])
    r = other.download(manifest[1]["id_dokumen"] if len(manifest) > 1 else "0" * 32)
    ok(r.status == 404 and (r.json() or {}).get("status_code") != 4044,
       "another client cannot download a document it did not sign", r.body[:200])

    # 5. Verify.
    r = c.verify("surat-ttd.pdf", byte1)
    j = r.json() or {}
    d = (j.get("details") or [{}])[0]
    ok(r.status == 200 and j.get("summary") == "DOCUMENT VALID !!!" and
       j.get("jumlah_signature") == 1 and j.get("nama_dokumen") == "surat-ttd.pdf",
       "verify: DOCUMENT VALID !!!, one signature", r.body[:300])
    ok(d.get("info_signer", {}).get("signer_name") == cfg["name"] and
       d.get("signature_document", {}).get("document_integrity") is True and
       d.get("signature_document", {}).get("signed_using_tsa") is True and
       d.get("signature_document", {}).get("reason") == "Menyetujui dokumen" and
       "signature_field" in d and "name" in d.get("info_tsa", {}) and
       "tsa_cert_validity" in d.get("info_tsa", {}) and
       "issuer_dn" in d.get("info_signer", {}) and "signer_dn" in d.get("info_signer", {}) and
       "signer_cert_validity" in d.get("info_signer", {}) and
       d.get("info_signer", {}).get("cert_user_certified") is True and
       "signed_in" in d.get("signature_document", {}) and
       "location" in d.get("signature_document", {}) and
       d.get("signature_document", {}).get("hash_value") and
       d.get("signature_document", {}).get("signature_value"),
       "verify: BSrE's detail fields", json.dumps(d)[:400])
    # A changed byte inside what the signature covers (the binary comment under the header).
    tampered = bytearray(byte1)
    nl = tampered.find(b"\n")
    if nl > 0 and tampered[nl + 1:nl + 2] == b"%":
        tampered[nl + 2] ^= 0x01
    r = c.verify("rusak.pdf", bytes(tampered))
    j = r.json() or {}
    ok(j.get("summary") == "DOCUMENT NOT VALID !!!" and
       (j.get("details") or [{}])[0].get("signature_document", {}).get("document_integrity") is False,
       "verify: a file changed after signing is DOCUMENT NOT VALID !!!, integrity false",
       r.body[:300])
    r = c.verify("kosong.pdf", pdf)
    ok((r.json() or {}).get("summary") == "DOCUMENT NOT VALID !!!" and
       (r.json() or {}).get("jumlah_signature") == 0, "verify: an unsigned PDF is not valid")

    # 6. Status.
    r = c.user_status(cfg["nik"])
    j = r.json() or {}
    ok(r.status == 200 and j.get("status_code") == 1111 and j.get("status") == "ISSUE" and
       "message" in j, "status: 1111 ISSUE", r.body)
    r = c.user_status(cfg["unknown_nik"])
    j = r.json() or {}
    ok(j.get("status_code") == 1110 and j.get("status") == "NOT_REGISTERED",
       "status of an unknown NIK: 1110 NOT_REGISTERED", r.body)
    r = other.user_status(cfg["nik"])
    j = r.json() or {}
    ok(j.get("status_code") == 1110 and j.get("status") == "NOT_REGISTERED",
       "status asked by another agency's client: 1110 NOT_REGISTERED", r.body)

    # 7. Wrong passphrase: HTTP 400 {"error":"Passphrase anda salah","status_code":2031}.
    f = dict(base_fields, passphrase="bukan passphrase ini", tampilan="invisible")
    r = c.sign_pdf(f, {"file": ("surat.pdf", pdf, "application/pdf")})
    ok(r.status == 400 and r.json() == {"error": "Passphrase anda salah", "status_code": 2031},
       "wrong passphrase: 400 {\"error\":\"Passphrase anda salah\",\"status_code\":2031}", r.body)

    # 8. Missing nik: 4014.
    r = c.sign_pdf({"passphrase": cfg["passphrase"], "tampilan": "invisible"},
                   {"file": ("surat.pdf", pdf, "application/pdf")})
    j = r.json() or {}
    ok(r.status == 400 and j.get("status_code") == 4014 and "error" in j, "missing nik: 4014",
       r.body)
    r = c.sign_pdf(dict(base_fields, nik="12345"), {"file": ("surat.pdf", pdf, "application/pdf")})
    ok((r.json() or {}).get("status_code") == 4015, "malformed nik: 4015", r.body)
    r = c.sign_pdf(dict(base_fields, nik=cfg["unknown_nik"]),
                   {"file": ("surat.pdf", pdf, "application/pdf")})
    ok(r.status == 400 and (r.json() or {}).get("status_code") == 2011,
       "a NIK not registered: 2011", r.body)
    r = other.sign_pdf(base_fields, {"file": ("surat.pdf", pdf, "application/pdf")})
    ok((r.json() or {}).get("status_code") == 2011,
       "another agency's client signing for this person: 2011 (not its person)", r.body)

    # 9. Bad Basic auth: 401.
    bad = BsreClient(cfg["base"], cfg["client"], "salah")
    r = bad.sign_pdf(base_fields, {"file": ("surat.pdf", pdf, "application/pdf")})
    ok(r.status == 401, "bad Basic auth: 401", r.status)
    r = c.request("GET", "/api/user/status/" + cfg["nik"], auth=False)
    ok(r.status == 401, "no Basic auth: 401", r.status)

    # 10. The second factor: a client that does not vouch for its users' login cannot sign v1.
    legacy = BsreClient(cfg["base"], cfg["legacy_client"], cfg["legacy_secret"])
    r = legacy.sign_pdf(base_fields, {"file": ("surat.pdf", pdf, "application/pdf")})
    j = r.json() or {}
    ok(r.status == 403 and j.get("status_code") == 2041,
       "v1 from a client that does not vouch for its users' login: 2041", r.body)

    # 11. v2 with the passphrase: two files, one at coordinates, one at tag_koordinat.
    req = {"nik": cfg["nik"], "passphrase": cfg["passphrase"],
           "signatureProperties": [
               {"tampilan": "VISIBLE", "imageBase64": base64.b64encode(image).decode(), "page": 1,
                "originX": 300, "originY": 80, "width": 220, "height": 90,
                "location": "Surabaya", "reason": "Disetujui", "contactInfo": "tu@uji.go.id"},
               {"tampilan": "VISIBLE", "tag_koordinat": "#ttd#", "width": 220, "height": 80,
                "location": "Surabaya", "reason": "Disetujui"}],
           "file": [base64.b64encode(pdf).decode(), base64.b64encode(marker_pdf).decode()]}
    r = c.post_json("/api/v2/sign/pdf", req)
    j = r.json() or {}
    ok(r.status == 200 and isinstance(j.get("time"), (int, float)) and
       len(j.get("file") or []) == 2, "v2 sign with passphrase: {time, file[2]}", r.body[:300])
    for i, b in enumerate(j.get("file") or []):
        data = base64.b64decode(b)
        ok(data.startswith(b"%PDF"), "v2 file[%d] is a PDF" % i)
        save("v2_passphrase_%d" % i, data, (j.get("id_dokumen") or [None, None])[i],
             qr="link", marker=(i == 1))
    req_bad = dict(req, passphrase="bukan passphrase ini")
    r = c.post_json("/api/v2/sign/pdf", req_bad)
    ok(r.status == 400 and (r.json() or {}).get("status_code") == 2031,
       "v2 wrong passphrase: 2031", r.body[:200])
    r = c.post_json("/api/v2/sign/pdf", {"passphrase": cfg["passphrase"],
                                         "file": [base64.b64encode(pdf).decode()]})
    ok((r.json() or {}).get("status_code") == 4014, "v2 without nik or email: 4014", r.body[:200])

    # 12. v2 with a get/totp session instead of the passphrase (by e-mail this time).
    r = c.post_json("/api/v2/sign/get/totp", {"email": cfg["email"], "passphrase": cfg["passphrase"]})
    j = r.json() or {}
    totp = j.get("totp")
    ok(r.status == 200 and totp, "v2 get/totp gives a code", r.body[:200])
    req = {"email": cfg["email"], "totp": totp or "",
           "signatureProperties": [{"tampilan": "INVISIBLE", "reason": "Paraf", "location": "Medan"}],
           "file": [base64.b64encode(pdf).decode()]}
    r = c.post_json("/api/v2/sign/pdf", req)
    j = r.json() or {}
    ok(r.status == 200 and len(j.get("file") or []) == 1, "v2 sign with the totp", r.body[:200])
    if j.get("file"):
        save("v2_totp", base64.b64decode(j["file"][0]), (j.get("id_dokumen") or [None])[0])
    r = c.post_json("/api/v2/sign/pdf", dict(req, totp="0" * 32))
    ok(r.status == 400 and (r.json() or {}).get("status_code") == 2033,
       "v2 sign with a wrong totp: 2033", r.body[:200])
    r = other.post_json("/api/v2/sign/pdf", req)
    ok(r.status != 200, "another client cannot use this client's totp", r.body[:200])

    # 13. v2 status and verify.
    r = c.post_json("/api/v2/user/check/status", {"nik": cfg["nik"]})
    j = r.json() or {}
    ok(j.get("status_code") == 1111 and j.get("status") == "ISSUE", "v2 check/status: 1111",
       r.body)
    r = c.post_json("/api/v2/verify/pdf", {"file": base64.b64encode(byte1).decode()})
    j = r.json() or {}
    infos = j.get("signatureInformations") or []
    ok(r.status == 200 and j.get("conclusion") == "VALID" and j.get("signatureCount") == 1 and
       "description" in j and len(infos) == 1 and infos[0].get("signerName") == cfg["name"],
       "v2 verify: conclusion VALID, signatureCount 1, signatureInformations", r.body[:300])

    # 14. Seal endpoints are not offered yet: 404 saying so.
    r = c.post_json("/api/v2/seal/pdf", {"file": []})
    j = r.json() or {}
    ok(r.status == 404 and "seal" in (j.get("error") or "").lower(),
       "v2 seal: 404 with a message saying seals are not offered", r.body[:200])

    with open(os.path.join(out, "manifest.json"), "w") as fp:
        json.dump(manifest, fp)
    print("client: %d passed, %d failed" % (PASSES, FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
