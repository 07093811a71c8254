/*
 * upload.h - documents uploaded by applicants: checking, content-addressed
 * storage and safe serving.
 *
 * An application carries a recommendation letter (PDF) and an e-KTP scan
 * (JPEG or PNG). Uploads are judged by their content only, never by the
 * file name or the client's Content-Type: the type is identified from the
 * magic bytes and then confirmed by a bounded structural parse (upload.c
 * says what is checked for each type). Accepted content is stored under
 * its SHA-256, which the application records; reading it back re-verifies
 * the hash.
 *
 * The intended flow, which by its shape stores nothing that was refused:
 *
 *   upload_info info;
 *   if (upload_check(body, len, UPLOAD_ACCEPT_PDF, max, "the recommendation
 *                    letter", &info, &err) != SERTEL_OK)
 *       -> show err.msg to the applicant
 *   else if (upload_store(uploads_dir, body, len, &info, &err) == SERTEL_OK)
 *       -> record info.sha256 and info.kind in the application
 *
 * Serving back: use upload_content_type(kind) of the recorded kind, never a
 * type supplied by the client, and send "X-Content-Type-Options: nosniff"
 * and "Content-Disposition: attachment" with it.
 *
 * Thread safety: no function keeps state; concurrent calls are safe, also
 * two upload_store calls for the same content.
 */
#ifndef SERTEL_RA_UPLOAD_H
#define SERTEL_RA_UPLOAD_H

#include <stddef.h>

#include "util/err.h"

typedef enum upload_kind { UPLOAD_PDF = 1, UPLOAD_JPEG = 2, UPLOAD_PNG = 3 } upload_kind;

/* Default size limit for one upload (the `upload_max` setting overrides it). */
#define UPLOAD_DEFAULT_MAX (5u * 1024 * 1024)

/* What the caller accepts, for upload_check's accept mask. */
#define UPLOAD_ACCEPT_PDF 0x1
#define UPLOAD_ACCEPT_IMAGE 0x2 /* JPEG or PNG */

/* Largest image width or height accepted, in pixels. */
#define UPLOAD_MAX_DIMENSION 20000u

/*
 * Largest image accepted, in pixels (100 megapixels: an A4 page scanned at
 * 600 dpi is 35). Without it a 3 MB PNG of 20000 x 20000 16-bit RGBA pixels
 * is legal, and inflating its 3.2 GB to check it costs seconds of CPU (and
 * any later viewer gigabytes of memory).
 */
#define UPLOAD_MAX_PIXELS 100000000u

/* Length of a SHA-256 in lower-case hex, without the NUL. */
#define UPLOAD_SHA256_HEX_LEN 64

/* What upload_check found out about an accepted upload. */
typedef struct upload_info {
    upload_kind kind;
    char sha256[UPLOAD_SHA256_HEX_LEN + 1]; /* lower-case hex, NUL-terminated */
    size_t size;                            /* bytes */
    unsigned width, height;                 /* pixels for images; 0 for PDF */
} upload_info;

/*
 * Decide whether data (len bytes) is an acceptable upload.
 *
 * accept: UPLOAD_ACCEPT_PDF and/or UPLOAD_ACCEPT_IMAGE.
 * max: size limit in bytes; 0 means UPLOAD_DEFAULT_MAX.
 * what: how the messages name the upload, e.g. "the recommendation letter"
 *       (NULL: "the upload").
 * out: filled on success (kind, SHA-256, size, image dimensions); zeroed on
 *      failure.
 *
 * Returns SERTEL_OK, or SERTEL_ERR_INVALID with a message for the applicant
 * in err: empty, too large, not an accepted type (naming what the content
 * actually is: an HTML page, a ZIP archive, a JPEG where a PDF was asked...),
 * or damaged (truncated, bad checksum, decompression bomb). Other codes:
 * SERTEL_ERR_NOMEM, SERTEL_ERR_CRYPTO (hashing failed), SERTEL_ERR_INTERNAL
 * (accept is 0 or has unknown bits). Reads only data[0..len); never
 * allocates more than a few tens of KiB whatever the input.
 */
int upload_check(const unsigned char *data, size_t len, unsigned accept, size_t max,
                 const char *what, upload_info *out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(6);

/*
 * Store data, which passed upload_check with the result info, at
 * dir/ab/<sha256> (ab = the first two hex digits). dir (normally
 * <home>/uploads) and dir/ab are created with mode 0700 when missing
 * (dir's parent must exist); the file gets mode 0640 and is written
 * atomically (temporary file, fsync, rename). When the file exists with
 * the same content this is a no-op; when it exists with other content (a
 * damaged or altered copy) it is replaced atomically.
 *
 * Returns SERTEL_OK; SERTEL_ERR_INVALID when info does not describe data
 * (size or SHA-256 differ: a bug in the caller); SERTEL_ERR_IO.
 */
int upload_store(const char *dir, const unsigned char *data, size_t len, const upload_info *info,
                 sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 4);

/*
 * Read the upload with the given SHA-256 back from dir into a new buffer
 * (*out, *len; the caller frees *out with free()). sha256 must be exactly
 * 64 lower-case hex digits; anything else (a path, "..", upper case) is
 * SERTEL_ERR_INVALID and touches no file. max bounds the read (0 means
 * UPLOAD_DEFAULT_MAX).
 *
 * Returns SERTEL_OK; SERTEL_ERR_NOTFOUND; SERTEL_ERR_TAMPERED when the
 * content no longer has that SHA-256 or the entry is not a regular file;
 * SERTEL_ERR_INVALID (bad sha256, file larger than max); SERTEL_ERR_IO.
 */
int upload_load(const char *dir, const char *sha256, size_t max, unsigned char **out, size_t *len,
                sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4, 5);

/*
 * The Content-Type to serve an upload of kind k with: "application/pdf",
 * "image/jpeg" or "image/png". For a value that is not an upload_kind (a
 * bug in the caller) it returns "application/octet-stream", which no
 * browser renders; it never returns a type that could run script.
 * Returns a static string.
 */
const char *upload_content_type(upload_kind k);

/* "PDF", "JPEG", "PNG" (or "unknown"), for messages and logs. Static string. */
const char *upload_kind_name(upload_kind k);

#endif
