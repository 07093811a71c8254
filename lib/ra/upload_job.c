/*
 * upload_job.c - upload checking in the sandbox (upload_job.h): the
 * caller's wrapper and the worker's job around upload_check (upload.c).
 *
 * Parameters: u32 accept, u64 max, u64 expand_max, u64 expand_total, the
 * name ("what") for messages. Output: u32 kind, u32 width, u32 height,
 * then the bytes to store for an image (length-prefixed; empty for a PDF,
 * which is stored as sent: the caller keeps its own copy). The SHA-256s
 * (FIPS 180-4) and sizes are the caller's own computation over its bytes
 * and over the bytes that came back.
 */
#include <stdlib.h>
#include <string.h>

#include "img/img.h"
#include "ra/upload_int.h"
#include "ra/upload_job.h"

#define WHAT_MAX 256

void upload_job_init(void)
{
    char hex[UPLOAD_SHA256_HEX_LEN + 1];

    /* OpenSSL's configuration and SHA-256 (upload_check hashes what it hands out). */
    if (upload_sha256_hex((const unsigned char *)"", 0, hex, NULL) != SERTEL_OK)
        hex[0] = '\0'; /* a job will report it */
}

int upload_job_check(const sbx_request *req, unsigned char **out, size_t *out_len, sertel_err *err)
{
    sbx_rd r;
    sbx_buf b = {0};
    uint32_t accept;
    uint64_t max;
    upload_limits lim;
    char what[WHAT_MAX];
    upload_info info;
    unsigned char *clean = NULL;
    size_t clean_len = 0;
    int rc;

    sbx_rd_init(&r, req->params, req->params_len);
    accept = sbx_get_u32(&r);
    max = sbx_get_u64(&r);
    lim.expand_max = sbx_get_u64(&r);
    lim.expand_total = sbx_get_u64(&r);
    sbx_get_str(&r, what, sizeof(what));
    if (!sbx_rd_done(&r) || max > SIZE_MAX)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "malformed upload parameters");
    lim.max = (size_t)max;
    rc = upload_check(req->input, req->input_len, accept, &lim, what[0] ? what : NULL, &info,
                      &clean, &clean_len, err);
    if (rc != SERTEL_OK)
        return rc;
    sbx_put_u32(&b, (uint32_t)info.kind);
    sbx_put_u32(&b, info.width);
    sbx_put_u32(&b, info.height);
    sbx_put_bytes(&b, info.kind == UPLOAD_PDF ? NULL : clean,
                  info.kind == UPLOAD_PDF ? 0 : clean_len);
    free(clean);
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

/* The worker's answer in res, checked, as upload_check's results; -1: it does not hold up. */
static int read_verdict(const unsigned char *res, size_t res_len, const unsigned char *data,
                        size_t len, unsigned accept, size_t max, upload_info *info,
                        unsigned char **out, size_t *out_len, sertel_err *err)
{
    sbx_rd r;
    uint32_t kind, w, h;
    unsigned fw = 0, fh = 0;
    const unsigned char *img;
    size_t img_len = 0;
    const unsigned char *keep;
    size_t keep_len;
    int rc;

    sbx_rd_init(&r, res, res_len);
    kind = sbx_get_u32(&r);
    w = sbx_get_u32(&r);
    h = sbx_get_u32(&r);
    img = sbx_get_bytes(&r, max, &img_len);
    if (!sbx_rd_done(&r) || !accepted(accept, kind))
        return -1;
    if (kind == UPLOAD_PDF) {
        if (w != 0 || h != 0 || img_len != 0)
            return -1;
        keep = data; /* stored as sent: our bytes, not the worker's */
        keep_len = len;
    } else {
        /* Written again from its pixels: only image data, of the size the verdict names. */
        if (w == 0 || h == 0 || w > UPLOAD_MAX_DIMENSION || h > UPLOAD_MAX_DIMENSION ||
            (uint64_t)w * h > UPLOAD_MAX_PIXELS || img_len == 0 ||
            !img_check_written(img, img_len, kind == UPLOAD_PNG ? IMG_PNG : IMG_JPEG, &fw, &fh) ||
            fw != w || fh != h)
            return -1;
        keep = img;
        keep_len = img_len;
    }
    *out = malloc(keep_len);
    if (*out == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    memcpy(*out, keep, keep_len);
    *out_len = keep_len;
    if ((rc = upload_sha256_hex(keep, keep_len, info->sha256, err)) != SERTEL_OK ||
        (rc = upload_sha256_hex(data, len, info->orig_sha256, err)) != SERTEL_OK)
        return rc;
    info->kind = (upload_kind)kind;
    info->size = keep_len;
    info->orig_size = len;
    info->width = w;
    info->height = h;
    return SERTEL_OK;
}

int upload_check_sb(sbx *sb, const unsigned char *data, size_t len, unsigned accept,
                    const upload_limits *lim, const char *what, upload_info *info,
                    unsigned char **out, size_t *out_len, sertel_err *err)
{
    sbx_job job = SBX_JOB_INIT;
    sbx_buf b = {0};
    unsigned char *res = NULL;
    size_t res_len = 0, max = lim != NULL && lim->max ? lim->max : UPLOAD_DEFAULT_MAX;
    int rc;

    memset(info, 0, sizeof(*info));
    *out = NULL;
    *out_len = 0;
    /* Refusals that do not look at the content: upload_check's own, here. */
    if (sb == NULL || len == 0 || data == NULL || len > max || accept == 0 ||
        (accept & ~(unsigned)(UPLOAD_ACCEPT_PDF | UPLOAD_ACCEPT_IMAGE)) != 0)
        return upload_check(data, len, accept, lim, what, info, out, out_len, err);
    sbx_put_u32(&b, accept);
    sbx_put_u64(&b, max);
    sbx_put_u64(&b, lim != NULL ? lim->expand_max : 0);
    sbx_put_u64(&b, lim != NULL ? lim->expand_total : 0);
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
    job.output_max = 64 + max; /* the verdict and at most max bytes written again */
    rc = sbx_run(sb, &job, &res, &res_len, NULL, err);
    if (rc != SERTEL_OK)
        goto out;
    rc = read_verdict(res, res_len, data, len, accept, max, info, out, out_len, err);
    if (rc == -1)
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "%s could not be checked: the checking process gave an impossible "
                            "verdict; the file is refused",
                            job.what);
    if (rc != SERTEL_OK) {
        memset(info, 0, sizeof(*info));
        free(*out);
        *out = NULL;
        *out_len = 0;
    }
out:
    free(res);
    sbx_buf_free(&b);
    return rc;
}
