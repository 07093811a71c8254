/*
 * upload_job.c - upload checking in the sandbox (upload_job.h): the
 * caller's wrapper and the worker's job around upload_check (upload.c).
 *
 * Parameters: u32 accept, u64 max, the name ("what") for messages.
 * Output: u32 kind, u32 width, u32 height. The SHA-256 (FIPS 180-4) and
 * the size are the caller's own computation over its bytes.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "ra/upload_job.h"
#include "util/fs.h"

#define WHAT_MAX 256

void upload_job_init(void)
{
    unsigned char d[32];
    unsigned int n = 0;

    OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG | OPENSSL_INIT_ADD_ALL_DIGESTS, NULL);
    (void)EVP_Digest("", 0, d, &n, EVP_sha256(), NULL);
}

int upload_job_check(const sbx_request *req, unsigned char **out, size_t *out_len, sertel_err *err)
{
    sbx_rd r;
    sbx_buf b = {0};
    uint32_t accept;
    uint64_t max;
    char what[WHAT_MAX];
    upload_info info;
    int rc;

    sbx_rd_init(&r, req->params, req->params_len);
    accept = sbx_get_u32(&r);
    max = sbx_get_u64(&r);
    sbx_get_str(&r, what, sizeof(what));
    if (!sbx_rd_done(&r) || max > SIZE_MAX)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "malformed upload parameters");
    rc = upload_check(req->input, req->input_len, accept, (size_t)max, what[0] ? what : NULL, &info,
                      err);
    if (rc != SERTEL_OK)
        return rc;
    sbx_put_u32(&b, (uint32_t)info.kind);
    sbx_put_u32(&b, info.width);
    sbx_put_u32(&b, info.height);
    if (!sbx_buf_ok(&b)) {
        sbx_buf_free(&b);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    *out = sbx_buf_take(&b, out_len);
    return SERTEL_OK;
}

static int accepted(unsigned accept, uint32_t kind)
{
    return kind == UPLOAD_PDF                          ? (accept & UPLOAD_ACCEPT_PDF) != 0
           : kind == UPLOAD_JPEG || kind == UPLOAD_PNG ? (accept & UPLOAD_ACCEPT_IMAGE) != 0
                                                       : 0;
}

int upload_check_sb(sbx *sb, const unsigned char *data, size_t len, unsigned accept, size_t max,
                    const char *what, upload_info *out, sertel_err *err)
{
    sbx_job job = SBX_JOB_INIT;
    sbx_buf b = {0};
    sbx_rd r;
    unsigned char *res = NULL, dig[EVP_MAX_MD_SIZE];
    size_t res_len = 0, lim = max ? max : UPLOAD_DEFAULT_MAX;
    unsigned int dlen = 0;
    uint32_t kind, w, h;
    int rc;

    memset(out, 0, sizeof(*out));
    /* Refusals that do not look at the content: upload_check's own, here. */
    if (sb == NULL || len == 0 || data == NULL || len > lim || accept == 0 ||
        (accept & ~(unsigned)(UPLOAD_ACCEPT_PDF | UPLOAD_ACCEPT_IMAGE)) != 0)
        return upload_check(data, len, accept, max, what, out, err);
    sbx_put_u32(&b, accept);
    sbx_put_u64(&b, max);
    sbx_put_str(&b, what);
    if (!sbx_buf_ok(&b)) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    job.type = UPLOAD_JOB_CHECK;
    job.what = what != NULL ? what : "the upload";
    job.input = data;
    job.input_len = len;
    job.params = b.p;
    job.params_len = b.len;
    job.timeout_ms = UPLOAD_JOB_TIMEOUT_MS;
    job.output_max = 64;
    rc = sbx_run(sb, &job, &res, &res_len, NULL, err);
    if (rc != SERTEL_OK)
        goto out;
    sbx_rd_init(&r, res, res_len);
    kind = sbx_get_u32(&r);
    w = sbx_get_u32(&r);
    h = sbx_get_u32(&r);
    if (!sbx_rd_done(&r) || !accepted(accept, kind) ||
        (kind == UPLOAD_PDF
             ? w != 0 || h != 0
             : w == 0 || h == 0 || w > UPLOAD_MAX_DIMENSION || h > UPLOAD_MAX_DIMENSION ||
                   (uint64_t)w * h > UPLOAD_MAX_PIXELS)) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "%s could not be checked: the checking process gave an impossible "
                            "verdict; the file is refused",
                            job.what);
        goto out;
    }
    if (EVP_Digest(data, len, dig, &dlen, EVP_sha256(), NULL) != 1 || dlen != 32) {
        rc = sertel_err_set(err, SERTEL_ERR_CRYPTO, "SHA-256 of %s failed", job.what);
        goto out;
    }
    hex_encode(dig, 32, out->sha256);
    out->kind = (upload_kind)kind;
    out->size = len;
    out->width = w;
    out->height = h;
    rc = SERTEL_OK;
out:
    free(res);
    sbx_buf_free(&b);
    return rc;
}
