/*
 * image_job.c - the signature image decoded in the sandbox (image_job.h).
 *
 * Output: u32 kind, width, height, ncomp, color_transform,
 * adobe_inverted, orientation, then the samples (PNG; empty for JPEG) and
 * the alpha plane (empty when none), length-prefixed.
 */
#include <stdlib.h>
#include <string.h>

#include "pdf/image_job.h"
#include "util/fs.h"

int pdf_image_job(const sbx_request *req, unsigned char **out, size_t *out_len, sertel_err *err)
{
    pdf_image img;
    sbx_buf b = {0};
    int rc = pdf_image_load(req->input, req->input_len, &img, err);

    if (rc != SERTEL_OK)
        return rc;
    sbx_put_u32(&b, (uint32_t)img.kind);
    sbx_put_u32(&b, img.width);
    sbx_put_u32(&b, img.height);
    sbx_put_u32(&b, (uint32_t)img.ncomp);
    sbx_put_u32(&b, (uint32_t)img.color_transform);
    sbx_put_u32(&b, (uint32_t)img.adobe_inverted);
    sbx_put_u32(&b, (uint32_t)img.orientation);
    sbx_put_bytes(&b, img.kind == PDF_IMAGE_PNG ? img.data : NULL,
                  img.kind == PDF_IMAGE_PNG ? img.len : 0);
    sbx_put_bytes(&b, img.alpha, img.alpha != NULL ? (size_t)img.width * img.height : 0);
    pdf_image_free(&img);
    if (!sbx_buf_ok(&b)) {
        sbx_buf_free(&b);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    *out = sbx_buf_take(&b, out_len);
    return SERTEL_OK;
}

static unsigned char *copy(const unsigned char *p, size_t n)
{
    unsigned char *c = malloc(n ? n : 1);

    if (c != NULL && n)
        memcpy(c, p, n);
    return c;
}

/* The worker's answer in r, checked, into img (data: the caller's bytes for a JPEG). */
static int read_image(sbx_rd *r, const unsigned char *data, size_t len, pdf_image *img)
{
    uint32_t kind = sbx_get_u32(r), w = sbx_get_u32(r), h = sbx_get_u32(r), ncomp = sbx_get_u32(r),
             ct = sbx_get_u32(r), inv = sbx_get_u32(r), orient = sbx_get_u32(r);
    size_t slen = 0, alen = 0, px;
    const unsigned char *samples = sbx_get_bytes(r, (size_t)PDF_IMAGE_MAX_PIXELS * 3, &slen),
                        *alpha = sbx_get_bytes(r, PDF_IMAGE_MAX_PIXELS, &alen);

    if (!sbx_rd_done(r) || w == 0 || h == 0 || w > PDF_IMAGE_MAX_SIDE || h > PDF_IMAGE_MAX_SIDE ||
        (uint64_t)w * h > PDF_IMAGE_MAX_PIXELS || orient > 8 || ct > 1 || inv > 1)
        return -1;
    px = (size_t)w * h;
    if (kind == PDF_IMAGE_PNG) {
        if ((ncomp != 1 && ncomp != 3) || slen != px * ncomp || (alen != 0 && alen != px) ||
            ct != 0 || inv != 0)
            return -1;
        img->data = copy(samples, slen);
        img->len = slen;
        if (alen > 0)
            img->alpha = copy(alpha, alen);
        if (img->data == NULL || (alen > 0 && img->alpha == NULL))
            return -2;
    } else if (kind == PDF_IMAGE_JPEG) {
        if ((ncomp != 1 && ncomp != 3 && ncomp != 4) || slen != 0 || alen != 0)
            return -1;
        img->data = copy(data, len);
        img->len = len;
        if (img->data == NULL)
            return -2;
    } else {
        return -1;
    }
    img->kind = (pdf_image_kind)kind;
    img->width = w;
    img->height = h;
    img->ncomp = (int)ncomp;
    img->color_transform = (int)ct;
    img->adobe_inverted = (int)inv;
    img->orientation = (int)orient;
    return 0;
}

int pdf_image_load_sb(sbx *sb, const unsigned char *data, size_t len, pdf_image *out,
                      sertel_err *err)
{
    sbx_job job = SBX_JOB_INIT;
    unsigned char *res = NULL;
    size_t res_len = 0;
    sbx_rd r;
    int rc, got;

    memset(out, 0, sizeof(*out));
    /* Refusals that do not look at the content: pdf_image_load's own, here. */
    if (sb == NULL || data == NULL || len == 0 || len > PDF_IMAGE_MAX_FILE)
        return pdf_image_load(data, len, out, err);
    job.type = PDF_IMAGE_JOB;
    job.what = "the image";
    job.input = data;
    job.input_len = len;
    job.timeout_ms = 30000;
    job.output_max = 64 + (size_t)PDF_IMAGE_MAX_PIXELS * 4;
    rc = sbx_run(sb, &job, &res, &res_len, NULL, err);
    if (rc != SERTEL_OK)
        return rc;
    sbx_rd_init(&r, res, res_len);
    got = read_image(&r, data, len, out);
    free(res);
    if (got != 0) {
        pdf_image_free(out);
        return got == -2 ? sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory")
                         : sertel_err_set(err, SERTEL_ERR_INVALID,
                                          "the image could not be checked: the decoding process "
                                          "gave an impossible answer; the image is refused");
    }
    return SERTEL_OK;
}

int pdf_image_load_file_sb(sbx *sb, const char *path, pdf_image *out, sertel_err *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    int rc;

    if (sb == NULL)
        return pdf_image_load_file(path, out, err);
    memset(out, 0, sizeof(*out));
    rc = fs_read_file(path, PDF_IMAGE_MAX_FILE, &data, &len, err);
    if (rc != SERTEL_OK)
        return rc;
    rc = pdf_image_load_sb(sb, data, len, out, err);
    free(data);
    return rc;
}
