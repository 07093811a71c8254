/*
 * upload_int.h - internals shared by the upload files: upload.c
 * (identification, structural checks, upload_check), upload_pdf.c (active
 * content in PDFs), upload_image.c (images written again from their
 * pixels) and upload_store.c (storage). Callers include only upload.h.
 */
#ifndef SERTEL_RA_UPLOAD_INT_H
#define SERTEL_RA_UPLOAD_INT_H

#include "ra/upload.h"

/*
 * "<what> is not a valid <KIND>: <detail>; <advice to save it again>" as
 * SERTEL_ERR_INVALID. Returns SERTEL_ERR_INVALID.
 */
int upload_refuse(sertel_err *err, const char *what, upload_kind k, const char *fmt, ...)
    SERTEL_PRINTF(4, 5);

/* SHA-256 of d[0..n) as lower-case hex. SERTEL_ERR_CRYPTO when hashing fails. */
int upload_sha256_hex(const unsigned char *d, size_t n, char hex[UPLOAD_SHA256_HEX_LEN + 1],
                      sertel_err *err) SERTEL_WUR;

/*
 * The active-content and decompression-bomb policy for a PDF that passed
 * the structural check (upload_pdf.c). lim has its defaults filled in.
 * Returns SERTEL_OK, SERTEL_ERR_INVALID with the applicant's message
 * (which key, which object, what to do), SERTEL_ERR_NOMEM.
 */
int upload_pdf_check(const unsigned char *data, size_t len, const upload_limits *lim,
                     const char *what, sertel_err *err) SERTEL_WUR;

/*
 * Decode the JPEG or PNG image data (kind) and write it again in the same
 * format from its pixels, turned upright by its EXIF orientation
 * (upload_image.c). *out (malloc'ed) holds the new file, at most max bytes;
 * *width and *height its size. Returns SERTEL_OK, SERTEL_ERR_INVALID with
 * the applicant's message, SERTEL_ERR_NOMEM.
 */
int upload_image_clean(const unsigned char *data, size_t len, upload_kind kind, size_t max,
                       const char *what, unsigned char **out, size_t *out_len, unsigned *width,
                       unsigned *height, sertel_err *err) SERTEL_WUR;

#endif
