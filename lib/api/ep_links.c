/*
 * ep_links.c - the addresses sertel puts in mails, certificates and stamps,
 * so that every one of them reaches a page (until the portal replaces
 * these with its own):
 *
 *   GET/POST <base>/confirm?token=T          confirm the e-mail, set the login password
 *                                            (the registration mail, lib/ra/ra.c)
 *   GET/POST <base>/password/reset?token=T   set a new password (the reset mail, login.c)
 *   GET/POST <base>/passphrase?token=T       create the passphrase: the certificate is issued
 *                                            (the approval mail, app.c)
 *   GET      <base>/verify                   how to check a signed document (the QR code of
 *                                            a stamp signed without a document id)
 *   GET      <base>/verify/{id}              what the register knows of document id (the
 *                                            per-document link); its JSON form is
 *   GET      <base>/api/v1/documents/{id}
 *   GET      <base>/cps                      the CP/CPS (the certificates' cps_uri,
 *                                            RFC 5280 §4.2.1.4): <home>/cps.html, which the
 *                                            operator edits (sertel init writes a template)
 *
 * The pages are minimal Indonesian HTML without script or style: a GET
 * shows a form that POSTs (urlencoded) to the same address, where the
 * handler calls the same library function as the JSON API, then shows the
 * result. The token in the form is the only credential (no cookie is read
 * or set); passwords and passphrases are refused over plain HTTP from
 * another host (API_F_SECRET) and wiped after use. The CSP allows the form
 * to post back to this server and nothing else.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "util/dynbuf.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/text.h"

#define TOKEN_HEX 64
#define SECRET_MAX_IN 1024
#define CPS_MAX (1u << 20)

/* A token as the mails carry it: 64 lower-case hex digits (anything else is not one). */
static bool token_ok(const char *t)
{
    return t != NULL && strlen(t) == TOKEN_HEX && hex_is_lower(t, TOKEN_HEX);
}

/* The page that says a link is not (or no longer) usable. */
static int bad_link(api_call *c, const char *why)
{
    dynbuf b;
    int rc;

    dynbuf_init(&b, 16 * 1024);
    dynbuf_addstr(&b, "<p>Tautan ini tidak valid, sudah digunakan, atau sudah kedaluwarsa. "
                      "Salin tautan lengkap dari email terbaru, atau minta yang baru.</p>\n");
    if (why != NULL && why[0]) {
        dynbuf_addstr(&b, "<p><small>");
        text_html_escape(&b, why);
        dynbuf_addstr(&b, "</small></p>\n");
    }
    rc = b.failed ? b.failed : api_html_page(c, 400, "Tautan tidak dapat digunakan", b.p);
    dynbuf_free(&b);
    return rc;
}

/*
 * A form with the token hidden in it and two secret fields (typed twice):
 * action is the address below the base path, what names the secret.
 */
static int secret_form(api_call *c, const char *title, const char *intro, const char *action,
                       const char *what, const char *again, const char *rule, const char *button,
                       const char *autocomplete)
{
    const char *token = http_query(c->req, "token");
    dynbuf b;
    int rc;

    if (!token_ok(token))
        return bad_link(c, NULL);
    dynbuf_init(&b, 64 * 1024);
    dynbuf_addstr(&b, "<p>");
    text_html_escape(&b, intro);
    dynbuf_addstr(&b, "</p>\n<form method=\"post\" action=\"");
    text_html_escape(&b, c->a->base_path);
    text_html_escape(&b, action);
    dynbuf_addstr(&b, "\">\n<input type=\"hidden\" name=\"token\" value=\"");
    text_html_escape(&b, token);
    dynbuf_addstr(&b, "\">\n<p><label>");
    text_html_escape(&b, what);
    dynbuf_addstr(&b, " (");
    text_html_escape(&b, rule);
    dynbuf_addstr(&b, ")<br><input type=\"password\" name=\"secret\" required autocomplete=\"");
    text_html_escape(&b, autocomplete);
    dynbuf_addstr(&b, "\"></label></p>\n<p><label>");
    text_html_escape(&b, again);
    dynbuf_addstr(&b, "<br><input type=\"password\" name=\"secret2\" required autocomplete=\"");
    text_html_escape(&b, autocomplete);
    dynbuf_addstr(&b, "\"></label></p>\n<p><button type=\"submit\">");
    text_html_escape(&b, button);
    dynbuf_addstr(&b, "</button></p>\n</form>\n");
    rc = b.failed ? b.failed : api_html_page(c, 200, title, b.p);
    dynbuf_free(&b);
    return rc;
}

/*
 * The posted form: its token and secret, the secret typed the same twice.
 * SERTEL_OK; ANSWERED when the page answering the problem is written; or a
 * failure of writing it.
 */
#define ANSWERED 1
static int posted(api_call *c, const char **token, const char **secret)
{
    const char *again;

    if (api_form_str(c, "token", true, 128, token) != SERTEL_OK ||
        api_form_str(c, "secret", true, SECRET_MAX_IN, secret) != SERTEL_OK ||
        api_form_str(c, "secret2", true, SECRET_MAX_IN, &again) != SERTEL_OK)
        return ANSWERED;
    if (!token_ok(*token)) {
        (void)bad_link(c, NULL);
        return ANSWERED;
    }
    if (strlen(*secret) != strlen(again) ||
        sodium_memcmp(*secret, again, strlen(again)) != 0) { /* typed twice: compared alike */
        int rc = api_html_page(c, 400, "Tidak sama",
                               "<p>Kedua isian tidak sama. Kembali ke halaman sebelumnya dan "
                               "ketik ulang dengan teliti.</p>");
        return rc != SERTEL_OK ? rc : ANSWERED;
    }
    return SERTEL_OK;
}

/* The page for a library refusal of a posted form: the token's, or the secret's. */
static int refused(api_call *c, int rc, const sertel_err *err)
{
    dynbuf b;
    int r2;

    if (rc == SERTEL_ERR_DENIED)
        return bad_link(c, err->msg);
    if (rc != SERTEL_ERR_INVALID)
        return api_fail(c, rc, err);
    dynbuf_init(&b, 16 * 1024);
    dynbuf_addstr(&b, "<p>Isian belum memenuhi syarat. Kembali ke halaman sebelumnya dan coba "
                      "lagi.</p>\n<p><small>");
    text_html_escape(&b, err->msg);
    dynbuf_addstr(&b, "</small></p>");
    r2 = b.failed ? b.failed : api_html_page(c, 400, "Belum berhasil", b.p);
    dynbuf_free(&b);
    return r2;
}

/* --- /confirm --- */

static int confirm_get(api_call *c, sertel_err *err)
{
    (void)err;
    return secret_form(c, "Konfirmasi email dinas",
                       "Konfirmasi alamat email dinas Anda dan buat kata sandi untuk masuk ke "
                       "layanan sertifikat elektronik. Kata sandi ini bukan passphrase untuk "
                       "menandatangani.",
                       "/confirm", "Kata sandi baru", "Ulangi kata sandi baru",
                       "minimal 12 karakter", "Konfirmasi", "new-password");
}

static int confirm_post(api_call *c, sertel_err *err)
{
    const char *token, *pw;
    int rc;

    if ((rc = posted(c, &token, &pw)) != SERTEL_OK)
        return rc == ANSWERED ? SERTEL_OK : rc;
    rc = ra_email_confirm_password(c->r, token, pw, err);
    if (rc != SERTEL_OK)
        return refused(c, rc, err);
    return api_html_page(c, 200, "Email terkonfirmasi",
                         "<p>Alamat email dinas Anda telah dikonfirmasi dan kata sandi telah "
                         "dibuat. Anda sekarang dapat masuk dan mengajukan permohonan "
                         "sertifikat.</p>");
}

/* --- /password/reset --- */

static int reset_get(api_call *c, sertel_err *err)
{
    (void)err;
    return secret_form(c, "Atur ulang kata sandi",
                       "Buat kata sandi baru untuk akun Anda. Setelah disimpan, semua sesi yang "
                       "sedang masuk akan berakhir.",
                       "/password/reset", "Kata sandi baru", "Ulangi kata sandi baru",
                       "minimal 12 karakter", "Simpan", "new-password");
}

static int reset_post(api_call *c, sertel_err *err)
{
    const char *token, *pw;
    int rc;

    if ((rc = posted(c, &token, &pw)) != SERTEL_OK)
        return rc == ANSWERED ? SERTEL_OK : rc;
    rc = ra_password_reset(c->r, token, pw, err);
    if (rc != SERTEL_OK)
        return refused(c, rc, err);
    return api_html_page(c, 200, "Kata sandi diganti",
                         "<p>Kata sandi baru telah disimpan. Silakan masuk kembali.</p>");
}

/* --- /passphrase --- */

static int passphrase_get(api_call *c, sertel_err *err)
{
    (void)err;
    return secret_form(c, "Buat passphrase",
                       "Permohonan Anda telah disetujui. Buat passphrase untuk kunci "
                       "penandatanganan Anda: sertifikat diterbitkan setelah passphrase dibuat. "
                       "Passphrase tidak dapat dipulihkan oleh siapa pun; jangan berikan kepada "
                       "siapa pun, termasuk petugas.",
                       "/passphrase", "Passphrase", "Ulangi passphrase",
                       "minimal 8 karakter; gunakan kalimat panjang",
                       "Buat passphrase dan terbitkan sertifikat", "new-password");
}

static int passphrase_post(api_call *c, sertel_err *err)
{
    const char *token, *pass;
    char serial[41] = "";
    dynbuf b;
    int rc;

    if ((rc = posted(c, &token, &pass)) != SERTEL_OK)
        return rc == ANSWERED ? SERTEL_OK : rc;
    /* The token mailed to the owner is the credential (no login on this page). */
    rc = ra_passphrase_create(c->r, NULL, token, pass, serial, err);
    if (rc != SERTEL_OK)
        return refused(c, rc, err);
    dynbuf_init(&b, 16 * 1024);
    dynbuf_addstr(&b, "<p>Passphrase telah dibuat dan sertifikat elektronik Anda telah terbit.</p>"
                      "\n<p>Nomor seri: <code>");
    text_html_escape(&b, serial);
    dynbuf_addstr(&b, "</code></p>\n<p>Simpan passphrase Anda dengan aman: passphrase tidak "
                      "dapat dipulihkan. Bila terlupa, sertifikat harus dicabut dan diajukan "
                      "kembali.</p>");
    rc = b.failed ? b.failed : api_html_page(c, 200, "Sertifikat terbit", b.p);
    dynbuf_free(&b);
    return rc;
}

/* --- documents --- */

static int verify_index(api_call *c, sertel_err *err)
{
    dynbuf b;
    int rc;

    (void)err;
    dynbuf_init(&b, 16 * 1024);
    dynbuf_addstr(&b, "<p>Dokumen yang ditandatangani secara elektronik oleh layanan ini dapat "
                      "diperiksa keasliannya. Pindai kode QR pada dokumen untuk melihat siapa "
                      "yang menandatanganinya dan status sertifikatnya sekarang, atau unggah "
                      "berkas PDF-nya ke <code>POST ");
    text_html_escape(&b, c->a->base_path);
    dynbuf_addstr(&b, "/api/v1/verify</code> untuk memeriksa tanda tangannya. Layanan ini tidak "
                      "menyimpan salinan isi dokumen.</p>");
    rc = b.failed ? b.failed : api_html_page(c, 200, "Pemeriksaan dokumen", b.p);
    dynbuf_free(&b);
    return rc;
}

static const char *status_words(const char *st)
{
    return strcmp(st, "valid") == 0       ? "berlaku"
           : strcmp(st, "suspended") == 0 ? "ditangguhkan"
           : strcmp(st, "revoked") == 0   ? "dicabut"
           : strcmp(st, "expired") == 0   ? "kedaluwarsa"
                                          : st;
}

static void row(dynbuf *b, const char *label, const char *value)
{
    dynbuf_addstr(b, "<tr><th scope=\"row\">");
    text_html_escape(b, label);
    dynbuf_addstr(b, "</th><td>");
    text_html_escape(b, value);
    dynbuf_addstr(b, "</td></tr>\n");
}

static int verify_doc(api_call *c, sertel_err *err)
{
    ra_doc_public d;
    char when[21], pages[24], until[21];
    dynbuf b;
    int rc;

    if (c->req->nparams < 1)
        return api_error(c, 404, "not_found", NULL);
    rc = ra_doc_lookup(c->r, c->req->params[0], &d, err);
    if (rc == SERTEL_ERR_NOTFOUND)
        return api_html_page(c, 404, "Dokumen tidak ditemukan",
                             "<p>Tidak ada dokumen bertanda tangan dengan nomor ini dalam "
                             "register layanan ini. Periksa kembali tautan atau kode QR-nya.</p>");
    if (rc != SERTEL_OK)
        return rc;
    api_time_str(d.signed_at, when);
    api_time_str(d.cert_not_after, until);
    snprintf(pages, sizeof(pages), "%lld", (long long)d.pages);
    dynbuf_init(&b, 64 * 1024);
    dynbuf_addstr(&b, "<p>Register layanan ini mencatat dokumen berikut.</p>\n<table>\n");
    row(&b, "Nomor dokumen", d.id);
    row(&b, "Nama dokumen", d.name[0] ? d.name : "(tidak dicatat)");
    row(&b, "Jumlah halaman", d.pages > 0 ? pages : "(tidak dicatat)");
    row(&b, "Ditandatangani oleh", d.signer_name);
    row(&b, "Jabatan", d.signer_position);
    row(&b, "Unit kerja", d.signer_unit);
    row(&b, "Instansi", d.agency);
    row(&b, "Waktu penandatanganan (UTC)", when);
    row(&b, "Nomor seri sertifikat", d.cert_serial);
    row(&b, "Status sertifikat saat ini", status_words(d.cert_status));
    row(&b, "Sertifikat berlaku sampai (UTC)", until);
    dynbuf_addstr(&b, "</table>\n<p>Register tidak menyimpan salinan isi dokumen. Untuk memastikan "
                      "berkas yang Anda pegang adalah dokumen ini dan tidak berubah setelah "
                      "ditandatangani, unggah berkas PDF-nya ke <code>POST ");
    text_html_escape(&b, c->a->base_path);
    dynbuf_addstr(&b, "/api/v1/verify</code>.</p>");
    rc = b.failed ? b.failed : api_html_page(c, 200, "Dokumen bertanda tangan elektronik", b.p);
    dynbuf_free(&b);
    return rc;
}

static int document_json(api_call *c, sertel_err *err)
{
    ra_doc_public d;
    char path[sizeof(c->a->base_path) + 32];
    json_t *o;
    int rc;

    if (c->req->nparams < 1)
        return api_error(c, 404, "not_found", NULL);
    rc = ra_doc_lookup(c->r, c->req->params[0], &d, err);
    if (rc == SERTEL_ERR_NOTFOUND)
        return api_error(c, 404, "not_found", NULL);
    if (rc != SERTEL_OK)
        return rc;
    snprintf(path, sizeof(path), "%s/api/v1/verify", c->a->base_path);
    o = json_pack("{s:s, s:s?, s:o, s:o, s:s, s:{s:s, s:s, s:s, s:s}, "
                  "s:{s:s, s:s, s:o, s:o, s:s?}, s:{s:s, s:s, s:s, s:s}}",
                  "id", d.id, "name", d.name[0] ? d.name : NULL, "pages",
                  d.pages > 0 ? json_integer(d.pages) : json_null(), "signed_at",
                  api_time_json(d.signed_at), "level", d.level, "signer", "name", d.signer_name,
                  "position", d.signer_position, "unit", d.signer_unit, "agency", d.agency,
                  "certificate", "serial", d.cert_serial, "status", d.cert_status, "not_after",
                  api_time_json(d.cert_not_after), "revoked_at", api_time_json(d.revoked_at),
                  "revocation_reason", d.revocation_reason[0] ? d.revocation_reason : NULL, "check",
                  "message",
                  c->lang == API_LANG_EN
                      ? "The register keeps no copy of the document. Upload the file to check "
                        "that it is this document, unchanged since it was signed."
                      : "Register tidak menyimpan salinan dokumen. Unggah berkasnya untuk "
                        "memastikan bahwa berkas itu dokumen ini dan tidak berubah sejak "
                        "ditandatangani.",
                  "method", "POST", "path", path, "field", "file");
    return api_json(c, 200, o);
}

/* --- the CP/CPS --- */

static int cps(api_call *c, sertel_err *err)
{
    char path[4200];
    unsigned char *buf = NULL;
    size_t len = 0;
    sertel_err e = {0};
    int rc = SERTEL_OK;

    (void)err;
    if (fs_path_join(path, sizeof(path), c->a->home, "cps.html", &e) != SERTEL_OK ||
        (rc = fs_read_file(path, CPS_MAX, &buf, &len, &e)) == SERTEL_ERR_NOTFOUND ||
        (rc == SERTEL_OK && len == 0)) {
        free(buf);
        /* Which file, by its name in the home: never the server's path. */
        return api_error(c, 404, "cps_missing",
                         "the operator publishes the CP/CPS as cps.html in the sertel home "
                         "directory (sertel init writes a template to edit)");
    }
    if (rc != SERTEL_OK) {
        fprintf(stderr, "sertel: api: %s: %s\n", path, e.msg);
        return api_error(c, 500, "internal", NULL);
    }
    c->resp->status = 200;
    snprintf(c->resp->content_type, sizeof(c->resp->content_type), "text/html; charset=utf-8");
    c->resp->body = buf;
    c->resp->len = len;
    c->resp->body_free = free;
    return SERTEL_OK;
}

#define LINK_POST (API_F_HTML | API_F_SECRET)

const api_endpoint api_ep_links[] = {
    {"GET", "/confirm", API_AUTH_NONE, API_IN_NONE, 0, API_F_HTML, "page_confirm", confirm_get,
     RA_ACT_COUNT},
    {"POST", "/confirm", API_AUTH_NONE, API_IN_FORM, 64 * 1024, LINK_POST, "page_confirm_post",
     confirm_post, RA_ACT_COUNT},
    {"GET", "/password/reset", API_AUTH_NONE, API_IN_NONE, 0, API_F_HTML, "page_password_reset",
     reset_get, RA_ACT_COUNT},
    {"POST", "/password/reset", API_AUTH_NONE, API_IN_FORM, 64 * 1024, LINK_POST,
     "page_password_reset_post", reset_post, RA_ACT_COUNT},
    {"GET", "/passphrase", API_AUTH_NONE, API_IN_NONE, 0, API_F_HTML, "page_passphrase",
     passphrase_get, RA_ACT_COUNT},
    {"POST", "/passphrase", API_AUTH_NONE, API_IN_FORM, 64 * 1024, LINK_POST,
     "page_passphrase_post", passphrase_post, RA_ACT_PASSPHRASE_CREATE},
    {"GET", "/verify", API_AUTH_NONE, API_IN_NONE, 0, API_F_HTML, "page_verify", verify_index,
     RA_ACT_COUNT},
    {"GET", "/verify/{}", API_AUTH_NONE, API_IN_NONE, 0, API_F_HTML, "page_verify_document",
     verify_doc, RA_ACT_COUNT},
    {"GET", "/api/v1/documents/{}", API_AUTH_NONE, API_IN_NONE, 0, 0, "document_public",
     document_json, RA_ACT_COUNT},
    {"GET", "/cps", API_AUTH_NONE, API_IN_NONE, 0, API_F_DOCUMENT, "cps", cps, RA_ACT_COUNT},
};
const size_t api_ep_links_n = sizeof(api_ep_links) / sizeof(api_ep_links[0]);
