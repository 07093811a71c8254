/*
 * upload_image.c - an e-KTP scan is stored as a new file written from its
 * pixels (see upload.h): decoded with lib/img (libjpeg, libpng), turned
 * upright by its EXIF orientation (CIPA DC-008 §4.5.4; the tag itself is
 * not written again) and encoded in the same format. So comments (JPEG
 * COM), application segments (APPn: EXIF with GPS positions and
 * thumbnails, XMP, ICC profiles, Photoshop data), PNG text and other
 * ancillary chunks, and whatever follows the end of the image (EOI, IEND)
 * are left behind, whatever they hold.
 *
 * JPEG is written at quality 90 (libjpeg's scale), PNG at zlib level 6. If
 * the new file is larger than the upload limit (a source saved at a low
 * quality, a palette PNG expanded to RGB) the quality is lowered step by
 * step, or the level raised; past the last step the image is refused with
 * what to do.
 */
#include <stdlib.h>
#include <string.h>

#include "img/img.h"
#include "ra/upload_int.h"

static const int jpeg_qualities[] = {90, 80, 70, 60};
static const int png_levels[] = {6, 9};

int upload_image_clean(const unsigned char *data, size_t len, upload_kind kind, size_t max,
                       const char *what, unsigned char **out, size_t *out_len, unsigned *width,
                       unsigned *height, sertel_err *err)
{
    static const img_limits lim = {UPLOAD_MAX_DIMENSION, UPLOAD_MAX_PIXELS};
    img_pixels im;
    img_format fmt = kind == UPLOAD_PNG ? IMG_PNG : IMG_JPEG;
    const int *steps = fmt == IMG_PNG ? png_levels : jpeg_qualities;
    size_t nsteps = fmt == IMG_PNG ? sizeof(png_levels) / sizeof(png_levels[0])
                                   : sizeof(jpeg_qualities) / sizeof(jpeg_qualities[0]);
    size_t i;
    int rc = SERTEL_OK;

    *out = NULL;
    *out_len = 0;
    if (img_decode(data, len, &lim, &im, NULL) != SERTEL_OK) {
        if (im.fault == IMG_FAULT_NOMEM)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory decoding %s", what);
        if (im.fault == IMG_FAULT_TOO_LARGE)
            return upload_refuse(err, what, kind,
                                 "it is %u x %u pixels, more than the limit of %u on a side and "
                                 "%u megapixels (reduce its size)",
                                 im.width, im.height, UPLOAD_MAX_DIMENSION,
                                 UPLOAD_MAX_PIXELS / 1000000);
        return upload_refuse(err, what, kind, "it cannot be decoded (%s)", im.detail);
    }
    if (img_sniff(data, len) != fmt) {
        img_free(&im);
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "upload_image_clean: wrong kind");
    }
    for (i = 0; i < nsteps; i++) {
        free(*out);
        *out = NULL;
        rc = img_encode(&im, im.orientation, fmt, steps[i], out, out_len, err);
        if (rc != SERTEL_OK || *out_len <= max)
            break;
    }
    if (rc == SERTEL_OK && *out_len > max)
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "%s is too large once it is cleaned (%zu bytes written again from "
                            "its %u x %u pixels, more than the limit of %zu bytes): scan or "
                            "photograph it at a lower resolution, or save it as JPEG, and upload "
                            "it again",
                            what, *out_len, im.width, im.height, max);
    if (rc == SERTEL_OK) {
        *width = im.orientation >= 5 ? im.height : im.width;
        *height = im.orientation >= 5 ? im.width : im.height;
    } else {
        free(*out);
        *out = NULL;
        *out_len = 0;
    }
    img_free(&im);
    return rc;
}
