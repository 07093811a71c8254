/*
 * ep_facade_v1.c - BSrE's signing API, version 1, field for field and code
 * for code (DOMAIN.md "BSrE's signing API"), for agency systems that call
 * BSrE today (HTTP Basic with an API client: ra_client_auth):
 *
 *   POST /api/sign/pdf                 multipart: file, nik, passphrase, tampilan, image,
 *                                      imageTTD, linkQR, page | halaman, xAxis, yAxis, width,
 *                                      height, tag_koordinat, reason, location, text,
 *                                      jenis_response BASE64 | BYTE
 *   GET  /api/sign/download/{id}       the signed PDF, once, to the client that signed it
 *   POST /api/sign/verify              multipart: signed_file -> BSrE's report
 *   GET  /api/user/status/{nik}        {status_code, status, message}
 *
 * Errors have BSrE's shape, {"error": "...", "status_code": N} (api.c,
 * API_F_FACADE), with BSrE's numbers (errors.c). Every rule is the
 * library's: who may sign for whom and the second factor (lib/ra), the
 * signing itself (lib/sign), the validation (lib/pdf).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/api_int.h"
#include "pdf/image_job.h"
#include "api/facade.h"
#include "util/hex.h"
#include "util/num.h"
#include "util/text.h"

#define TEXT_MAX 200 /* reason, location, text */

#define FILE_MAX ((size_t)64 << 20) /* the body cap ([api] max_body_mib) is the real bound */

/* A text field of the form (NULL when absent or a file part). */
static const char *form_text(api_call *c, const char *name)
{
    const http_field *f = http_form_field(c->req, name);

    return f != NULL && f->fd < 0 ? (const char *)f->value : NULL;
}

/* A text field that must be there and not empty: NULL after answering 4014. */
static const char *form_need(api_call *c, const char *name)
{
    const char *v = form_text(c, name);

    if (v == NULL || v[0] == '\0') {
        (void)api_error(c, 400, "field_missing", "'%s' is required", name);
        return NULL;
    }
    return v;
}

static int bad(api_call *c, const char *name, const char *what)
{
    (void)api_error(c, 400, "field_invalid", "'%s' %s", name, what);
    return SERTEL_ERR_INVALID;
}

/* A coordinate in points (0 to 14400): SERTEL_OK, 1 when absent, or answered. */
static int form_points(api_call *c, const char *name, double *out)
{
    const char *v = form_text(c, name);

    if (v == NULL || v[0] == '\0')
        return 1;
    if (num_parse_decimal_list(v, ',', 0, 14400, out, 1) != SERTEL_OK)
        return bad(c, name, "must be a number of points from 0 to 14400");
    return SERTEL_OK;
}

/*
 * BSrE v1's appearance fields into doc->po.sign (answers its own errors):
 * tampilan visible | invisible (default); for a visible stamp the page
 * (page N, or halaman first | last; default 1), the place (tag_koordinat:
 * the marker's position, as `sertel sign --marker`, with width and height
 * as the size when given; else xAxis, yAxis, width, height in points from
 * the page's lower left), image true with imageTTD (PNG or JPEG) for the
 * handwritten signature, linkQR for the QR code's text (else the
 * document's link), text under the reason. reason and location go into
 * the signature in either case. An invisible signature ignores the
 * appearance fields, as BSrE does.
 */
static int v1_appearance(api_call *c, api_facade_doc *doc)
{
    static const char *const texts[] = {"reason", "location", "text"};
    pdf_sign_opts *o = &doc->po.sign;
    const char *v;
    sertel_err e = {0};
    size_t i;
    int r;

    for (i = 0; i < 3; i++) {
        v = form_text(c, texts[i]);
        if (v != NULL && v[0] != '\0' && text_check_field(texts[i], v, TEXT_MAX, &e) != SERTEL_OK)
            return bad(c, texts[i], "must be printable UTF-8 text of at most 200 bytes");
    }
    v = form_text(c, "reason");
    o->reason = v != NULL && v[0] ? v : NULL;
    v = form_text(c, "location");
    o->location = v != NULL && v[0] ? v : NULL;
    v = form_text(c, "tampilan");
    if (v == NULL || v[0] == '\0' || strcasecmp(v, "invisible") == 0)
        return SERTEL_OK;
    if (strcasecmp(v, "visible") != 0)
        return bad(c, "tampilan", "must be visible or invisible");
    o->visible = 1;
    v = form_text(c, "text");
    o->stamp_text = v != NULL && v[0] ? v : NULL;
    /* the page */
    o->page = 1;
    if ((v = form_text(c, "halaman")) != NULL && v[0] != '\0') {
        if (strcasecmp(v, "first") == 0)
            o->page = 1;
        else if (strcasecmp(v, "last") == 0)
            o->page = PDF_PAGE_LAST;
        else
            return bad(c, "halaman", "must be first or last");
    }
    if ((v = form_text(c, "page")) != NULL && v[0] != '\0') {
        int64_t p;
        if (strcasecmp(v, "first") == 0 || strcasecmp(v, "last") == 0)
            o->page = v[0] == 'l' || v[0] == 'L' ? PDF_PAGE_LAST : 1;
        else if (num_parse_i64z(v, 1, 10000000, &p) == SERTEL_OK)
            o->page = (size_t)p;
        else
            return bad(c, "page", "must be a page number from 1");
    }
    /* the place */
    if ((v = form_text(c, "tag_koordinat")) != NULL && v[0] != '\0') {
        if (strlen(v) > 128)
            return bad(c, "tag_koordinat", "is at most 128 bytes");
        o->marker = v;
        if ((r = form_points(c, "width", &o->rect[2])) == SERTEL_ERR_INVALID ||
            (r = form_points(c, "height", &o->rect[3])) == SERTEL_ERR_INVALID)
            return r;
        if (o->rect[2] <= 0 || o->rect[3] <= 0)
            o->rect[2] = o->rect[3] = 0; /* the library's default size */
    } else {
        static const char *const xywh[] = {"xAxis", "yAxis", "width", "height"};
        for (i = 0; i < 4; i++) {
            r = form_points(c, xywh[i], &o->rect[i]);
            if (r == SERTEL_ERR_INVALID)
                return r;
            if (r == 1) {
                (void)api_error(c, 400, "field_missing",
                                "'%s' is required for a visible signature without tag_koordinat",
                                xywh[i]);
                return SERTEL_ERR_INVALID;
            }
        }
        if (o->rect[2] <= 0 || o->rect[3] <= 0)
            return bad(c, "width", "and height must be more than 0");
    }
    /* the QR code's text */
    if ((v = form_text(c, "linkQR")) != NULL && v[0] != '\0') {
        if (strlen(v) >= SIGN_QR_MAX ||
            text_check_field("linkQR", v, SIGN_QR_MAX - 1, &e) != SERTEL_OK)
            return bad(c, "linkQR", "must be printable text of at most 511 bytes");
        o->qr_text = v;
    }
    /* the handwritten signature */
    v = form_text(c, "image");
    if (v != NULL && strcasecmp(v, "true") == 0) {
        const http_field *img = http_form_field(c->req, "imageTTD");
        unsigned char *buf = NULL;
        size_t len = 0;
        sertel_err re = {0};
        if (img == NULL || img->fd < 0) {
            (void)api_error(c, 400, "field_missing",
                            "'imageTTD' (PNG or JPEG) is required with image=true");
            return SERTEL_ERR_INVALID;
        }
        r = api_facade_read_field(c, img, PDF_IMAGE_MAX_FILE, &buf, &len, &re);
        if (r != SERTEL_OK)
            return r == SERTEL_ERR_INVALID ? r : bad(c, "imageTTD", "could not be read");
        r = pdf_image_load_sb(c->a->sb, buf, len, &doc->img, &re); /* decoded in the worker */
        free(buf);
        if (r != SERTEL_OK)
            return bad(c, "imageTTD", "must be a PNG or JPEG image (4096 x 4096 pixels at most)");
        o->image = &doc->img;
    } else if (v != NULL && v[0] != '\0' && strcasecmp(v, "false") != 0) {
        return bad(c, "image", "must be true or false");
    }
    return SERTEL_OK;
}

/* The answer for a document the library did not sign. */
static int doc_failed(api_call *c, const api_facade_doc *d, sertel_err *err)
{
    switch (d->rc) {
    case SERTEL_ERR_INVALID:
    case SERTEL_ERR_UNSUPPORTED:
    case SERTEL_ERR_DENIED:
    case SERTEL_ERR_TAMPERED:
    case SERTEL_ERR_NOTFOUND:
        return api_error(c, 400, "field_invalid", "'file': %s", d->err.msg);
    default:
        *err = d->err;
        return d->rc;
    }
}

/* POST /api/sign/pdf (v1_sign: the passphrase is wiped on every path) */
static int sign_pdf_v1(api_call *c, sertel_err *err)
{
    const http_field *file = http_form_field(c->req, "file");
    const char *nik, *pass, *resp;
    api_facade_auth au;
    api_facade_doc doc;
    int answered = 0, base64 = 0, rc;
    char disp[96];

    memset(&doc, 0, sizeof(doc));
    doc.in_fd = -1;
    /* Only who may sign for someone gets any further (the policy table's reach). */
    if (ra_policy_reach(&c->actor, RA_ACT_SIGN) == RA_REACH_NONE)
        return api_error(c, 403, "forbidden", "this client's scopes do not include sign");
    if (file == NULL || file->fd < 0 || file->len == 0)
        return api_error(c, 400, "field_missing", "'file' (the PDF) is required");
    if ((nik = form_need(c, "nik")) == NULL || (pass = form_need(c, "passphrase")) == NULL)
        return SERTEL_OK;
    resp = form_text(c, "jenis_response");
    if (strlen(pass) > 1024)
        return api_error(c, 400, "field_invalid", "'passphrase' is longer than 1024 bytes");
    if (resp != NULL && resp[0] != '\0' && strcasecmp(resp, "BASE64") != 0 &&
        strcasecmp(resp, "BYTE") != 0)
        return api_error(c, 400, "field_invalid", "'jenis_response' must be BASE64 or BYTE");
    base64 = resp != NULL && strcasecmp(resp, "BASE64") == 0;
    if (v1_appearance(c, &doc) != SERTEL_OK) {
        rc = SERTEL_OK; /* answered */
        goto out;
    }
    /* v1 carries no code: the policy's second factor must be the client's vouched login. */
    rc = api_facade_sign_precheck(c, NULL, nik, 0, err);
    if (rc != SERTEL_OK) {
        rc = rc == SERTEL_ERR_INVALID ? SERTEL_OK : rc;
        goto out;
    }
    memset(&au, 0, sizeof(au));
    au.nik = nik;
    au.passphrase = pass;
    doc.in_fd = file->fd;
    rc = api_facade_sign(c, &au, &doc, 1, &answered, err);
    if (answered || rc != SERTEL_OK)
        goto out;
    if (doc.rc != SERTEL_OK) {
        rc = doc_failed(c, &doc, err);
        goto out;
    }
    /* Kept for GET /api/sign/download/{id_dokumen}: once, by this client. */
    if ((rc = ra_download_keep(c->r, &c->actor, doc.id, doc.pdf, doc.len, err)) != SERTEL_OK) {
        fprintf(stderr, "sertel: api: document %s signed but not kept for its download: %s\n",
                doc.id, err->msg);
        goto out;
    }
    if (base64) {
        json_t *b = api_facade_b64_json(doc.pdf, doc.len);
        rc = b != NULL
                 ? api_json(c, 200,
                            json_pack("{s:o, s:s}", "base64_signed_file", b, "id_dokumen", doc.id))
                 : sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    snprintf(disp, sizeof(disp), "attachment; filename=\"%s.pdf\"", doc.id);
    if (http_response_header(c->resp, "id_dokumen", doc.id) != SERTEL_OK ||
        http_response_header(c->resp, "Content-Disposition", disp) != SERTEL_OK) {
        rc = sertel_err_set(err, SERTEL_ERR_INTERNAL, "cannot set the answer's headers");
        goto out;
    }
    c->resp->status = 200;
    snprintf(c->resp->content_type, sizeof(c->resp->content_type), "application/pdf");
    c->resp->body = doc.pdf;
    c->resp->len = doc.len;
    c->resp->body_free = free;
    doc.pdf = NULL;
    rc = SERTEL_OK;
out:
    api_facade_docs_free(&doc, 1);
    return rc;
}

static int v1_sign(api_call *c, sertel_err *err)
{
    int rc = sign_pdf_v1(c, err);

    api_wipe_secret(c, "passphrase");
    return rc;
}

/* GET /api/user/status/{nik} */
static int v1_status(api_call *c, sertel_err *err)
{
    ra_status st = RA_STATUS_NOT_REGISTERED;
    int rc;

    /* A client without the status scope may not ask at all (the policy's reach). */
    if (ra_policy_reach(&c->actor, RA_ACT_STATUS_VIEW) == RA_REACH_NONE)
        return api_error(c, 403, "forbidden", "this client's scopes do not include status");
    rc = ra_status_for_ex(c->r, &c->actor, RA_ACT_STATUS_VIEW, NULL, c->req->params[0], &st, err);
    if (rc == SERTEL_ERR_INVALID)
        return api_error(c, 400, "field_invalid", "'nik' must be a 16-digit NIK");
    if (rc != SERTEL_OK)
        return rc;
    return api_json(c, 200, api_facade_status_json(st, c->lang));
}

/* GET /api/sign/download/{id_dokumen} */
static int v1_download(api_call *c, sertel_err *err)
{
    const char *id = c->req->params[0];
    unsigned char *pdf = NULL;
    size_t len = 0;
    char disp[96];
    int rc;

    rc = ra_download_take(c->r, &c->actor, id, &pdf, &len, err);
    if (rc == SERTEL_ERR_NOTFOUND)
        return api_error(c, 404, "not_found", NULL);
    if (rc == SERTEL_ERR_STATE)
        return api_error(c, 404, "facade_already_downloaded", NULL);
    if (rc != SERTEL_OK)
        return rc;
    /* id is 32 lower-case hex digits here (ra_download_take found it). */
    snprintf(disp, sizeof(disp), "attachment; filename=\"%s.pdf\"", id);
    if (http_response_header(c->resp, "id_dokumen", id) != SERTEL_OK ||
        http_response_header(c->resp, "Content-Disposition", disp) != SERTEL_OK) {
        free(pdf);
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "cannot set the answer's headers");
    }
    c->resp->status = 200;
    snprintf(c->resp->content_type, sizeof(c->resp->content_type), "application/pdf");
    c->resp->body = pdf;
    c->resp->len = len;
    c->resp->body_free = free;
    return SERTEL_OK;
}

/* POST /api/sign/verify (multipart: signed_file) */
static int v1_verify(api_call *c, sertel_err *err)
{
    const http_field *f = http_form_field(c->req, "signed_file");
    unsigned char *pdf = NULL;
    size_t len = 0;
    vfy_report *rep = NULL;
    int rc;

    if ((rc = ra_policy_check(&c->actor, RA_ACT_VERIFY, NULL, err)) != SERTEL_OK)
        return rc;
    if (f == NULL || f->fd < 0)
        return api_error(c, 400, "field_missing", "'signed_file' (a PDF file) is required");
    rc = api_facade_read_field(c, f, FILE_MAX, &pdf, &len, err);
    if (rc == SERTEL_ERR_INVALID)
        return SERTEL_OK; /* answered */
    if (rc != SERTEL_OK)
        return rc;
    rc = api_facade_verify(c, pdf, len, NULL, &rep, err);
    free(pdf);
    if (rc == SERTEL_ERR_INVALID || rc == SERTEL_ERR_UNSUPPORTED || rc == SERTEL_ERR_IO)
        return api_error(c, 400, "field_invalid", "'signed_file' is not a readable PDF");
    if (rc != SERTEL_OK)
        return rc;
    rc = api_json(c, 200,
                  api_facade_verify_v1(rep, f->filename != NULL ? f->filename : "document.pdf"));
    vfy_report_free(rep);
    return rc;
}

const api_endpoint api_ep_facade_v1[] = {
    {"POST", "/api/sign/pdf", API_AUTH_CLIENT, API_IN_FORM, 0,
     API_F_FACADE | API_F_SECRET | API_F_POOL_SIGN, "facade_v1_sign", v1_sign, RA_ACT_SIGN},
    {"GET", "/api/user/status/{}", API_AUTH_CLIENT, API_IN_NONE, 0, API_F_FACADE,
     "facade_v1_status", v1_status, RA_ACT_STATUS_VIEW},
    {"GET", "/api/sign/download/{}", API_AUTH_CLIENT, API_IN_NONE, 0, API_F_FACADE,
     "facade_v1_download", v1_download, RA_ACT_DOC_VIEW},
    {"POST", "/api/sign/verify", API_AUTH_CLIENT, API_IN_FORM, 0, API_F_FACADE | API_F_POOL_VERIFY,
     "facade_v1_verify", v1_verify, RA_ACT_VERIFY},
};
const size_t api_ep_facade_v1_n = sizeof(api_ep_facade_v1) / sizeof(api_ep_facade_v1[0]);
