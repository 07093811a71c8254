/*
 * verify_job.h - validation of untrusted documents in the sandbox
 * (lib/sandbox): the same calls as verify.h, with a sandbox handle. With a
 * handle the document is parsed and checked in a confined worker process
 * that holds no keys, and the report comes back as data (verify_wire.c);
 * with NULL it is checked in this process exactly as verify.h does it.
 * `sertel verify` and the server use these calls.
 *
 * Revocation data that must be fetched online (OCSP, CRLs) is fetched by
 * the caller on the worker's request: the worker has no network. The
 * worker's fetch context forwards every fetch (cms_fetch_policy.forward);
 * the caller makes it with cms_fetch_url under a context of its own made
 * from o->fetch, one per document: the address rule, the origins exempt
 * from it (the home's base URL, --fetch-allow) and the time and byte
 * budgets are the caller's and hold whatever the worker asks (only OCSP
 * POSTs and CRL GETs are made, bodies capped at CMS_REV_MAX_BODY, at most
 * VFY_JOB_MAX_FETCHES requests). Fetches the caller's context declines or
 * cuts short are sent back and named in the report exactly as in-process.
 * What the worker decides on its own is which URLs it asks for: the rule
 * that only chains proven to a trust anchor are checked online is the
 * validator's, in the worker (a worker taken over by a document could ask
 * for other public http(s) URLs, within the document's budget).
 *
 * Limits per document: VFY_JOB_TIMEOUT_MS, plus the fetch time budget
 * when online, the sandbox's memory cap, a report of at most
 * VFY_JOB_REPORT_MAX bytes.
 *
 * The worker side (for a worker's handler table, see src/worker.c):
 * VFY_JOB_PDF and VFY_JOB_DETACHED with vfy_job_pdf / vfy_job_detached,
 * and vfy_job_init among the worker's initialisations.
 *
 * Thread safety: as verify.h, and as the sandbox (several threads may
 * share one sbx).
 */
#ifndef SERTEL_PDF_VERIFY_JOB_H
#define SERTEL_PDF_VERIFY_JOB_H

#include "pdf/verify.h"
#include "sandbox/sandbox.h"

#define VFY_JOB_PDF "pdf.verify"
#define VFY_JOB_DETACHED "pdf.verify-detached"
#define VFY_JOB_FETCH "fetch" /* the service a validation job asks its caller for */
#define VFY_JOB_TIMEOUT_MS 60000u
#define VFY_JOB_REPORT_MAX ((size_t)16 << 20)
#define VFY_JOB_MAX_FETCHES 256u
#define VFY_JOB_MAX_TRUST 1024 /* trust anchors passed to a worker */

/*
 * pdf_verify_file in the sandbox sb (NULL: in this process). The file is
 * opened here and read in place by the worker. Errors as pdf_verify_file,
 * plus the sandbox's (sbx_run): SERTEL_ERR_INVALID when the document made
 * the checker crash, time out or exceed its memory, with a message saying
 * so; SERTEL_ERR_BUSY / SERTEL_ERR_IO when no worker could run it.
 */
int pdf_verify_file_sb(sbx *sb, const char *path, const vfy_opts *o, vfy_report **out,
                       sertel_err *err) SERTEL_WUR SERTEL_NONNULL(2, 3, 4);

/* pdf_verify_mem in the sandbox sb (NULL: in this process); data is borrowed. */
int pdf_verify_mem_sb(sbx *sb, const unsigned char *data, size_t len, const vfy_opts *o,
                      vfy_report **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(4, 5);

/* vfy_detached_file in the sandbox sb (NULL: in this process). */
int vfy_detached_file_sb(sbx *sb, const char *sig_path, const char *data_path, const vfy_opts *o,
                         vfy_report **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(2, 3, 4, 5);

/* --- the worker side --- */

/* Job VFY_JOB_PDF: the input is the PDF, the parameters the options. */
int vfy_job_pdf(const sbx_request *req, unsigned char **out, size_t *out_len, sertel_err *err);
/* Job VFY_JOB_DETACHED: the input is the signed data, the parameters the options and signature. */
int vfy_job_detached(const sbx_request *req, unsigned char **out, size_t *out_len, sertel_err *err);
/*
 * In a worker image, before its filter: load OpenSSL's configuration and
 * algorithms, the time zone, jansson's hash seed (what would otherwise be
 * opened lazily, and be refused).
 */
void vfy_job_init(void);

/*
 * The prepare hook of a clean-parent job process (sandbox.h) whose input
 * is a PDF (a validation, an upload): when its first or last MiB names
 * /Encrypt (the trailer or cross-reference stream that does is written
 * last, in a linearized file also first), load RC4 (OpenSSL's legacy
 * provider, a module from disk) while the process may still open it; a
 * document without it never pays for the module. Only a byte search:
 * nothing is parsed before the process is confined. A document that needs
 * RC4 and hides the name elsewhere is refused by the job with a message
 * (crypt.c), not a crash.
 */
void pdf_job_prepare(const sbx_request *req);

/* --- the report as data (verify_wire.c) --- */

/* r as lossless JSON; *out is malloc'ed (free()). */
int vfy_report_encode(const vfy_report *r, unsigned char **out, size_t *len,
                      sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/*
 * A report read back from what vfy_report_encode wrote, checked as hostile
 * input: SERTEL_ERR_INVALID for anything malformed, too long or out of
 * range. *out is freed with vfy_report_free.
 */
int vfy_report_decode(const unsigned char *in, size_t len, vfy_report **out,
                      sertel_err *err) SERTEL_WUR SERTEL_NONNULL(3);

#endif
