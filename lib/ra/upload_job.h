/*
 * upload_job.h - upload checking (upload.h) in the sandbox (lib/sandbox):
 * an applicant's file is parsed by a confined worker process without
 * keys, the server secret or the database, and only its verdict and, for
 * an image, the file written again from its pixels come back.
 * ra_apply_issuance checks uploads this way (ra_set_sandbox).
 *
 * What comes back is checked again as data: the kind must be one the
 * caller accepted; a PDF's verdict carries no bytes (the PDF is stored as
 * sent, from the caller's own copy); an image's dimensions must be within
 * UPLOAD_MAX_DIMENSION and UPLOAD_MAX_PIXELS, and the image written again
 * must be at most the upload size limit and laid out exactly as sertel's
 * writer lays out a file (img_check_written: no metadata, comments or
 * trailing bytes, whatever the worker was made to do), with the verdict's
 * width and height. The SHA-256s and sizes in upload_info are computed
 * here, over the caller's bytes and over the bytes that came back. An
 * empty input, one over the size limit or a bad accept mask is refused
 * here with upload_check's own message (upload_check refuses those before
 * looking at the content).
 *
 * The worker side (for a worker's handler table, src/cmd_worker.c):
 * UPLOAD_JOB_CHECK with upload_job_check, upload_job_init before the
 * worker's filter.
 *
 * Thread safety: as upload.h; several threads may share one sbx.
 */
#ifndef SERTEL_RA_UPLOAD_JOB_H
#define SERTEL_RA_UPLOAD_JOB_H

#include "ra/upload.h"
#include "sandbox/sandbox.h"

#define UPLOAD_JOB_CHECK "upload.check"
#define UPLOAD_JOB_TIMEOUT_MS 30000u

/*
 * upload_check in the sandbox sb, with its parameters, results and
 * messages: on success *out (malloc'ed, caller frees) holds the bytes to
 * store (at most lim->max) and info their SHA-256 and size. sb NULL runs
 * upload_check in this process: for tests and tools that hold no keys,
 * never in a process that does. Additional errors when sb is given:
 * SERTEL_ERR_INVALID when the upload made the checker crash, time out or
 * exceed its memory (the message says so: the file is refused), or when
 * the worker's answer does not hold up; SERTEL_ERR_BUSY / SERTEL_ERR_IO
 * when no worker could run it. On failure info is zeroed and *out NULL.
 */
int upload_check_sb(sbx *sb, const unsigned char *data, size_t len, unsigned accept,
                    const upload_limits *lim, const char *what, upload_info *info,
                    unsigned char **out, size_t *out_len, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(7, 8, 9);

/* Job UPLOAD_JOB_CHECK: the input is the upload; parameters: accept, limits, what. */
int upload_job_check(const sbx_request *req, unsigned char **out, size_t *out_len, sertel_err *err);

/* In a worker image, before its filter: OpenSSL's configuration and SHA-256. */
void upload_job_init(void);

#endif
