/*
 * image.c - the signer's handwritten-signature image for a visible stamp:
 * a PNG (ISO/IEC 15948) or a JPEG (ITU-T T.81, JFIF/Adobe) checked and
 * prepared for embedding as an image XObject (ISO 32000-1 §8.9.5). The
 * decoding and encoding is lib/img's (libpng, libjpeg); this file turns
 * its pixels into what the stamp writer embeds.
 *
 * PNG: decoded to 8-bit gray or RGB samples plus, when the file has
 * transparency (an alpha channel or tRNS), a separate 8-bit alpha plane
 * that the writer turns into a soft mask (/SMask, §11.6.5.3). JPEG: decoded
 * in full (any libjpeg warning, such as a premature end of data, refuses
 * it) and written again from its pixels as a new baseline JPEG for
 * /Filter /DCTDecode (§7.4.8). So of the file the signer gave only the
 * pixels reach the signed PDF: comments, EXIF and other metadata, ICC
 * profiles, thumbnails and anything appended after the image are left
 * behind.
 *
 * Phones store photos as the sensor saw them and say in an EXIF tag how to
 * turn them upright (CIPA DC-008, tag 0x0112 Orientation). The tag is read
 * by lib/img; the pixels are left alone and the stamp turns the image with
 * its placement matrix.
 *
 * The input is hostile: the file size, both dimensions and the pixel count
 * are bounded before anything is allocated for pixels.
 */
#include <stdlib.h>
#include <string.h>

#include "img/img.h"
#include "pdf/pdf.h"
#include "pdf/pdf_int.h"
#include "util/fs.h"

/* Quality of the JPEG written again: near the source, well above visible loss. */
#define SIG_JPEG_QUALITY 92

static int refused(const img_pixels *im, sertel_err *err)
{
    if (im->fault == IMG_FAULT_NOMEM)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory reading the %s",
                              im->format == IMG_PNG ? "PNG" : "JPEG");
    if (im->fault == IMG_FAULT_TOO_LARGE) {
        if (im->width == 0 || im->height == 0)
            return sertel_err_set(err, SERTEL_ERR_INVALID, "the image has no pixels (%ux%u)",
                                  im->width, im->height);
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the image is %ux%u pixels, more than sertel accepts (at most "
                              "%ux%u and %u megapixels): scale it down",
                              im->width, im->height, PDF_IMAGE_MAX_SIDE, PDF_IMAGE_MAX_SIDE,
                              (unsigned)(PDF_IMAGE_MAX_PIXELS >> 20));
    }
    if (im->fault == IMG_FAULT_FORMAT)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "it starts with neither the PNG nor the JPEG signature");
    return sertel_err_set(err, SERTEL_ERR_INVALID,
                          "the %s is damaged or truncated (%s): re-save it with an image editor",
                          im->format == IMG_PNG ? "PNG" : "JPEG", im->detail);
}

/* PNG: colour samples packed to the front of the pixels, alpha to its own plane. */
static int take_png(img_pixels *im, pdf_image *out, sertel_err *err)
{
    size_t npx = (size_t)im->width * im->height, i;
    int has_alpha = im->channels == 2 || im->channels == 4;
    int color = im->channels - has_alpha, opaque = 1;

    out->kind = PDF_IMAGE_PNG;
    out->width = im->width;
    out->height = im->height;
    out->ncomp = color;
    out->orientation = im->orientation;
    out->len = npx * (size_t)color;
    if (has_alpha)
        for (i = 0; i < npx && opaque; i++)
            opaque = im->pix[i * (size_t)im->channels + (size_t)color] == 0xff;
    if (has_alpha && !opaque) {
        out->alpha = malloc(npx);
        if (out->alpha == NULL)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory reading the PNG");
    }
    if (has_alpha) {
        for (i = 0; i < npx; i++) {
            const unsigned char *s = im->pix + i * (size_t)im->channels;
            if (out->alpha != NULL)
                out->alpha[i] = s[color];
            memmove(im->pix + i * (size_t)color, s, (size_t)color);
        }
    }
    out->data = im->pix;
    im->pix = NULL;
    return SERTEL_OK;
}

/* JPEG: a new file from the pixels, as stored (the stamp applies the orientation). */
static int take_jpeg(img_pixels *im, pdf_image *out, sertel_err *err)
{
    int rc;

    rc = img_encode(im, 1, IMG_JPEG, SIG_JPEG_QUALITY, &out->data, &out->len, err);
    if (rc != SERTEL_OK)
        return rc;
    out->kind = PDF_IMAGE_JPEG;
    out->width = im->width;
    out->height = im->height;
    out->orientation = im->orientation;
    out->ncomp = im->channels;
    out->color_transform = im->channels == 3; /* libjpeg writes RGB as YCbCr */
    out->adobe_inverted = im->cmyk; /* CMYK is written in Adobe's convention (img_encode) */
    return SERTEL_OK;
}

int pdf_image_decode(const unsigned char *data, size_t len, img_pixels *im, sertel_err *err)
{
    static const img_limits lim = {PDF_IMAGE_MAX_SIDE, PDF_IMAGE_MAX_PIXELS};

    memset(im, 0, sizeof(*im));
    if (data == NULL || len == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the image file is empty");
    if (len > PDF_IMAGE_MAX_FILE)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the image file has %zu bytes, more than %zu: scale it down", len,
                              (size_t)PDF_IMAGE_MAX_FILE);
    if (img_decode(data, len, &lim, im, NULL) != SERTEL_OK) {
        int rc = refused(im, err);
        img_free(im);
        return rc;
    }
    return SERTEL_OK;
}

int pdf_image_from_pixels(img_pixels *im, pdf_image *out, sertel_err *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    rc = im->format == IMG_PNG ? take_png(im, out, err) : take_jpeg(im, out, err);
    if (rc != SERTEL_OK)
        pdf_image_free(out);
    return rc;
}

int pdf_image_load(const unsigned char *data, size_t len, pdf_image *out, sertel_err *err)
{
    img_pixels im;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = pdf_image_decode(data, len, &im, err)) != SERTEL_OK)
        return rc;
    rc = pdf_image_from_pixels(&im, out, err);
    img_free(&im);
    return rc;
}

int pdf_image_load_file(const char *path, pdf_image *out, sertel_err *err)
{
    unsigned char *data = NULL;
    size_t len = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = fs_read_file(path, PDF_IMAGE_MAX_FILE, &data, &len, err);
    if (rc != SERTEL_OK)
        return rc;
    rc = pdf_image_load(data, len, out, err);
    free(data);
    return rc;
}

void pdf_image_free(pdf_image *img)
{
    if (img == NULL)
        return;
    free(img->data);
    free(img->alpha);
    memset(img, 0, sizeof(*img));
}
