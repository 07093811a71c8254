/*
 * image_job.c - the signature image decoded in the sandbox (image_job.h).
 *
 * Output: u32 format (IMG_PNG, IMG_JPEG), width, height, channels, cmyk,
 * adobe, orientation, then the pixels (length-prefixed): what img_decode
 * gives. The caller checks them as data and makes the pdf_image itself
 * (pdf_image_from_pixels: a PNG's samples and alpha plane, a JPEG written
 * again by the caller's own encoder), so nothing the worker wrote but
 * pixels reaches a signed document.
 */
#include <stdlib.h>
#include <string.h>

#include "pdf/image_job.h"
#include "pdf/pdf_int.h"
#include "util/fs.h"

int pdf_image_job(const sbx_request *req, unsigned char **out, size_t *out_len, sertel_err *err)
{
    img_pixels im;
    sbx_buf b = {0};
    int rc = pdf_image_decode(req->input, req->input_len, &im, err);

    if (rc != SERTEL_OK)
        return rc;
    sbx_put_u32(&b, (uint32_t)im.format);
    sbx_put_u32(&b, im.width);
    sbx_put_u32(&b, im.height);
    sbx_put_u32(&b, (uint32_t)im.channels);
    sbx_put_u32(&b, (uint32_t)im.cmyk);
    sbx_put_u32(&b, (uint32_t)im.adobe);
    sbx_put_u32(&b, (uint32_t)im.orientation);
    sbx_put_bytes(&b, im.pix, (size_t)im.width * im.height * (size_t)im.channels);
    img_free(&im);
    if (!sbx_buf_ok(&b)) {
        sbx_buf_free(&b);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    *out = sbx_buf_take(&b, out_len);
    return SERTEL_OK;
}

/* The worker's answer in r, checked, into im (pixels copied); -1: it does not hold up. */
static int read_pixels(sbx_rd *r, img_pixels *im)
{
    uint32_t fmt = sbx_get_u32(r), w = sbx_get_u32(r), h = sbx_get_u32(r), ch = sbx_get_u32(r),
             cmyk = sbx_get_u32(r), adobe = sbx_get_u32(r), orient = sbx_get_u32(r);
    size_t n = 0;
    const unsigned char *pix = sbx_get_bytes(r, (size_t)PDF_IMAGE_MAX_PIXELS * 4, &n);

    memset(im, 0, sizeof(*im));
    if (!sbx_rd_done(r) || w == 0 || h == 0 || w > PDF_IMAGE_MAX_SIDE || h > PDF_IMAGE_MAX_SIDE ||
        (uint64_t)w * h > PDF_IMAGE_MAX_PIXELS || orient < 1 || orient > 8 || cmyk > 1 ||
        adobe > 1 || (adobe && !cmyk) || n != (size_t)w * h * ch)
        return -1;
    if (fmt == IMG_PNG) {
        if (ch < 1 || ch > 4 || cmyk)
            return -1;
    } else if (fmt == IMG_JPEG) {
        if (!((ch == 1 || ch == 3) && !cmyk) && !(ch == 4 && cmyk))
            return -1;
    } else {
        return -1;
    }
    im->pix = malloc(n);
    if (im->pix == NULL)
        return -2;
    memcpy(im->pix, pix, n);
    im->format = (img_format)fmt;
    im->width = w;
    im->height = h;
    im->channels = (int)ch;
    im->cmyk = (int)cmyk;
    im->adobe = (int)adobe;
    im->orientation = (int)orient;
    return 0;
}

int pdf_image_load_sb(sbx *sb, const unsigned char *data, size_t len, pdf_image *out,
                      sertel_err *err)
{
    sbx_job job = SBX_JOB_INIT;
    unsigned char *res = NULL;
    size_t res_len = 0;
    img_pixels im;
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
    got = read_pixels(&r, &im);
    free(res);
    if (got != 0) {
        img_free(&im);
        return got == -2 ? sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory")
                         : sertel_err_set(err, SERTEL_ERR_INVALID,
                                          "the image could not be checked: the decoding process "
                                          "gave an impossible answer; the image is refused");
    }
    rc = pdf_image_from_pixels(&im, out, err);
    img_free(&im);
    return rc;
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
