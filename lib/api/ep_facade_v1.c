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

#include "api/api_int.h"
#include "api/facade.h"
#include "util/hex.h"

#define FILE_MAX ((size_t)64 << 20) /* the body cap ([api] max_body_mib) is the real bound */

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
    {"GET", "/api/user/status/{}", API_AUTH_CLIENT, API_IN_NONE, 0, API_F_FACADE,
     "facade_v1_status", v1_status, RA_ACT_STATUS_VIEW},
    {"GET", "/api/sign/download/{}", API_AUTH_CLIENT, API_IN_NONE, 0, API_F_FACADE,
     "facade_v1_download", v1_download, RA_ACT_DOC_VIEW},
    {"POST", "/api/sign/verify", API_AUTH_CLIENT, API_IN_FORM, 0, API_F_FACADE, "facade_v1_verify",
     v1_verify, RA_ACT_VERIFY},
};
const size_t api_ep_facade_v1_n = sizeof(api_ep_facade_v1) / sizeof(api_ep_facade_v1[0]);
