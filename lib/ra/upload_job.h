/*
 * upload_job.h - upload checking (upload.h) in the sandbox (lib/sandbox):
 * an applicant's file is parsed by a confined worker process without
 * keys, the server secret or the database, and only its verdict comes
 * back. The server calls upload_check_sb where it would call upload_check.
 *
 * What comes back is checked again as data: the kind must be one the
 * caller accepted, image dimensions within UPLOAD_MAX_DIMENSION and
 * UPLOAD_MAX_PIXELS; the SHA-256 and size are computed here from the
 * caller's bytes, not taken from the worker. An empty input, one over the
 * size limit or a bad accept mask is refused here with upload_check's own
 * message (upload_check refuses those before looking at the content).
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
 * upload_check in the sandbox sb (NULL: in this process), with its
 * parameters, results and messages. Additional errors when sb is given:
 * SERTEL_ERR_INVALID when the upload made the checker crash, time out or
 * exceed its memory (the message says so: the file is refused), or when
 * the worker's verdict does not hold up; SERTEL_ERR_BUSY / SERTEL_ERR_IO
 * when no worker could run it. On failure out is zeroed.
 */
int upload_check_sb(sbx *sb, const unsigned char *data, size_t len, unsigned accept, size_t max,
                    const char *what, upload_info *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(7);

/* Job UPLOAD_JOB_CHECK: the input is the upload; parameters: accept, max, what. */
int upload_job_check(const sbx_request *req, unsigned char **out, size_t *out_len, sertel_err *err);

/* In a worker image, before its filter: OpenSSL's configuration and digests. */
void upload_job_init(void);

#endif
