/*
 * upload.h - documents uploaded by applicants: checking and cleaning,
 * content-addressed storage and safe serving.
 *
 * An application carries a recommendation letter (PDF) and an e-KTP scan
 * (JPEG or PNG). These come from anyone and are shown to verifiers, so an
 * upload is judged by its content only, never by the file name or the
 * client's Content-Type, and what is stored carries no active content:
 *
 * - The type is identified from the magic bytes and confirmed by a bounded
 *   structural parse. HTML pages, HTML in front of or around a PDF header
 *   (polyglots), bytes before "%PDF-", ZIP archives and other impostors are
 *   refused with what the content really is.
 * - A PDF is opened with sertel's own reader (lib/pdf; encrypted files with
 *   the empty user password, a file that needs a password is refused) and
 *   every object of every revision is checked (pdf_walk: also objects in
 *   object streams, objects later revisions replaced and objects no
 *   cross-reference lists): JavaScript, automatic and launch actions, links
 *   to web addresses or other files, form submission and data import, XFA,
 *   rich media, attached files, an /OpenAction other than a page
 *   destination, and any stream that decodes beyond a limit (a
 *   decompression bomb) are refused, naming the key and the object and what
 *   to do. The PDF is stored as sent.
 * - An image is decoded and written again from its pixels (lib/img), turned
 *   upright by its EXIF orientation: comments, EXIF, ICC profiles, text
 *   chunks and data after the end of the image do not survive. The stored
 *   file is the new one.
 *
 * The check is a pure function of the input bytes (no file system, no
 * database, no global state): it can run in a separate, keyless, sandboxed
 * process, which hands back its verdict, the upload_info and the bytes to
 * store. Storing is separate (upload_store).
 *
 *   upload_info info;
 *   unsigned char *clean = NULL;
 *   size_t n = 0;
 *   if (upload_check(body, len, UPLOAD_ACCEPT_PDF, &limits, "the recommendation
 *                    letter", &info, &clean, &n, &err) != SERTEL_OK)
 *       -> show err.msg to the applicant
 *   else if (upload_store(uploads_dir, clean, n, &info, &err) == SERTEL_OK)
 *       -> record info.sha256 and info.kind in the application
 *   free(clean);
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
#include <stdint.h>

#include "conf/conf.h"
#include "util/err.h"

typedef enum upload_kind { UPLOAD_PDF = 1, UPLOAD_JPEG = 2, UPLOAD_PNG = 3 } upload_kind;

/* Default size limit for one upload (the `[ra] upload_max` setting overrides it). */
#define UPLOAD_DEFAULT_MAX (5u * 1024 * 1024)

/* Default bytes one stream of a PDF may decode to (`[ra] upload_expand_max`). */
#define UPLOAD_DEFAULT_EXPAND_MAX ((uint64_t)64 << 20)

/* Default bytes all streams of a PDF may decode to together (`[ra] upload_expand_total`). */
#define UPLOAD_DEFAULT_EXPAND_TOTAL ((uint64_t)512 << 20)

/* What the caller accepts, for upload_check's accept mask. */
#define UPLOAD_ACCEPT_PDF 0x1
#define UPLOAD_ACCEPT_IMAGE 0x2 /* JPEG or PNG */

/* Largest image width or height accepted, in pixels. */
#define UPLOAD_MAX_DIMENSION 20000u

/*
 * Largest image accepted, in pixels (50 megapixels: an A4 page scanned at
 * 600 dpi is 35, the largest phone cameras take 50). The image is decoded
 * to be written again, so this bounds the memory a check needs (3 bytes a
 * pixel, twice for a progressive JPEG) as well as the CPU: without it a
 * 3 MB PNG of 20000 x 20000 16-bit RGBA pixels is legal and inflates to
 * 3.2 GB.
 */
#define UPLOAD_MAX_PIXELS 50000000u

/* Length of a SHA-256 in lower-case hex, without the NUL. */
#define UPLOAD_SHA256_HEX_LEN 64

/* Limits of upload_check; a field left 0 takes its default. */
typedef struct upload_limits {
    size_t max;            /* bytes of one upload: UPLOAD_DEFAULT_MAX */
    uint64_t expand_max;   /* bytes one PDF stream, or any of its filters, may decode to:
                              UPLOAD_DEFAULT_EXPAND_MAX */
    uint64_t expand_total; /* bytes all of a PDF's streams may decode to together:
                              UPLOAD_DEFAULT_EXPAND_TOTAL */
} upload_limits;

/*
 * The limits from the configuration: [ra] upload_max (1 KiB to 64 MiB,
 * default 5 MiB), upload_expand_max (1 MiB to 1 GiB, default 64 MiB) and
 * upload_expand_total (upload_expand_max to 8 GiB, default 512 MiB).
 * Returns SERTEL_OK or SERTEL_ERR_CONFIG naming the setting and its range.
 */
int upload_limits_from_conf(const conf *c, upload_limits *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/* What upload_check found out about an accepted upload. */
typedef struct upload_info {
    upload_kind kind;
    char sha256[UPLOAD_SHA256_HEX_LEN + 1]; /* of the bytes to store; lower-case hex */
    size_t size;                            /* bytes to store */
    unsigned width, height;                 /* pixels of the stored image, upright; 0 for PDF */
    char orig_sha256[UPLOAD_SHA256_HEX_LEN + 1]; /* of the bytes as uploaded (a PDF: the same) */
    size_t orig_size;                            /* bytes as uploaded */
} upload_info;

/*
 * Decide whether data (len bytes) is an acceptable upload, and make the
 * bytes to store: for a PDF a copy of data, for an image a new file written
 * from its pixels (same format), turned upright.
 *
 * accept: UPLOAD_ACCEPT_PDF and/or UPLOAD_ACCEPT_IMAGE.
 * lim: the limits (NULL: all defaults).
 * what: how the messages name the upload, e.g. "the recommendation letter"
 *       (NULL: "the upload").
 * info: filled on success; zeroed on failure.
 * out, out_len: on success the bytes to store (malloc'ed; the caller frees
 *       them with free()); NULL and 0 on failure.
 *
 * Returns SERTEL_OK, or SERTEL_ERR_INVALID with a message for the applicant
 * in err that says what is wrong and what to do: empty, too large, not an
 * accepted type (naming what the content actually is: an HTML page, a ZIP
 * archive, a JPEG where a PDF was asked...), HTML around a PDF header,
 * damaged (truncated, bad checksum), a decompression bomb, active content
 * in a PDF (which key, which object), a PDF that needs a password. Other
 * codes: SERTEL_ERR_NOMEM, SERTEL_ERR_CRYPTO (hashing failed),
 * SERTEL_ERR_INTERNAL (accept is 0 or has unknown bits).
 *
 * Pure: reads only data[0..len) and lim, touches no file or database and
 * keeps no state. Work is linear in the input. Memory: a small multiple of
 * the input for a PDF (its objects, and one object stream's data at a time)
 * and the decoded pixels for an image (bounded by UPLOAD_MAX_PIXELS);
 * measuring a stream never holds its decoded output.
 */
int upload_check(const unsigned char *data, size_t len, unsigned accept, const upload_limits *lim,
                 const char *what, upload_info *info, unsigned char **out, size_t *out_len,
                 sertel_err *err) SERTEL_WUR SERTEL_NONNULL(6, 7, 8);

/*
 * Store data, the bytes upload_check handed out with the result info, at
 * dir/ab/<sha256> (ab = the first two hex digits). dir (normally
 * <home>/uploads) and dir/ab are created with mode 0700 when missing
 * (dir's parent must exist); neither may be a symbolic link. The file gets
 * mode 0640 and is written atomically (a temporary file in dir/ab, fsync,
 * rename, fsync of the directory): there is never a half-written upload.
 * When a regular file with the same content is there this is a no-op; a
 * regular file with other content (a damaged or altered copy) is replaced
 * atomically. No path component is followed through a symbolic link and
 * no existing entry is opened unless it is a regular file.
 *
 * Returns SERTEL_OK; SERTEL_ERR_INVALID when info does not describe data
 * (size or SHA-256 differ: a bug in the caller); SERTEL_ERR_TAMPERED when
 * dir or dir/ab is a symbolic link or not a directory, or the entry for the
 * upload is something else than a regular file (a symbolic link, a FIFO, a
 * device, a directory: the store was altered; the message says what to
 * remove); SERTEL_ERR_IO.
 */
int upload_store(const char *dir, const unsigned char *data, size_t len, const upload_info *info,
                 sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 4);

/*
 * Read the upload with the given SHA-256 back from dir into a new buffer
 * (*out, *len; the caller frees *out with free()). sha256 must be exactly
 * 64 lower-case hex digits; anything else (a path, "..", upper case) is
 * SERTEL_ERR_INVALID and touches no file. max bounds the read (0 means
 * UPLOAD_DEFAULT_MAX). Neither dir, dir/ab nor the file is followed through
 * a symbolic link, and the file is opened only as a regular file (a FIFO
 * there does not block the reader).
 *
 * Returns SERTEL_OK; SERTEL_ERR_NOTFOUND; SERTEL_ERR_TAMPERED when the
 * content no longer has that SHA-256 or the entry, dir or dir/ab is not
 * what it must be (a symbolic link, not a regular file or directory);
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
