/*
 * image_job.h - the stamp's signature image (pdf_image_load, image.c)
 * decoded in the sandbox (lib/sandbox): the PNG or JPEG is decoded by
 * lib/img in a confined worker without keys, and only its pixels come
 * back. For a server that takes a signer's image from an upload.
 *
 * What comes back is checked as data before it is used: format,
 * dimensions within PDF_IMAGE_MAX_SIDE / PDF_IMAGE_MAX_PIXELS, a pixel
 * buffer of exactly the size the dimensions and channels give, channels,
 * flags and orientation in range. The pdf_image is then made here from
 * the pixels (pdf_image_from_pixels): a JPEG is written again by this
 * process's encoder, never taken from the worker.
 *
 * Thread safety: as image.c; several threads may share one sbx.
 */
#ifndef SERTEL_PDF_IMAGE_JOB_H
#define SERTEL_PDF_IMAGE_JOB_H

#include "pdf/pdf.h"
#include "sandbox/sandbox.h"

#define PDF_IMAGE_JOB "pdf.image"

/*
 * pdf_image_load in the sandbox sb (NULL: in this process), with its
 * results and messages. Additional errors with sb: SERTEL_ERR_INVALID when
 * the image made the decoder crash, time out or exceed its memory, or the
 * worker's answer does not hold up. On failure *out is empty.
 */
int pdf_image_load_sb(sbx *sb, const unsigned char *data, size_t len, pdf_image *out,
                      sertel_err *err) SERTEL_WUR SERTEL_NONNULL(4);

/* pdf_image_load_file, decoding in the sandbox sb (NULL: in this process). */
int pdf_image_load_file_sb(sbx *sb, const char *path, pdf_image *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(2, 3);

/* Job PDF_IMAGE_JOB (worker side): the input is the image file. */
int pdf_image_job(const sbx_request *req, unsigned char **out, size_t *out_len, sertel_err *err);

#endif
