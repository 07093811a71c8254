/*
 * facade.h - helpers the BSrE facade's endpoint files share (facade.c).
 * Not for use outside lib/api. Thread safety: none of them keeps state.
 */
#ifndef SERTEL_API_FACADE_H
#define SERTEL_API_FACADE_H

#include <jansson.h>

#include "api/api_int.h"
#include "pdf/verify.h"
#include "ra/ra.h"
#include "sign/sign.h"

/*
 * The PAdES level of the facade's signatures: B-LT, the signing time from
 * the home's TSA and the validation data (OCSP responses, CRLs, chains) in
 * the document, so that it validates for as long as BSrE's do.
 */
#define API_FACADE_LEVEL PADES_B_LT

/* One document of a facade signing request. */
typedef struct api_facade_doc {
    pades_opts po; /* in: the appearance (level: API_FACADE_LEVEL, set by api_facade_sign) */
    pdf_image img; /* the stamp's signature image when po.sign.image points to it */
    int in_fd;     /* in: the PDF (a spooled upload, or api_facade_spool's file); -1: none */
    int own_in;    /* 1: in_fd is the facade's (api_facade_docs_free closes it) */
    char id[SIGN_ID_LEN + 1]; /* out: the document id */
    unsigned char *pdf;       /* out: the signed file (malloc'ed) */
    size_t len;
    int rc;         /* out: SERTEL_OK, or why this document was not signed */
    sertel_err err; /* out: its message, about the request (spool paths removed) */
} api_facade_doc;

/* Who signs: email or nik, and passphrase (+ code) or a signing session's totp. */
typedef struct api_facade_auth {
    const char *email, *nik;
    const char *passphrase; /* NULL with totp */
    const char *code;       /* the owner's one-time code, or NULL */
    const char *totp;       /* a code from /api/v2/sign/get/totp, or NULL */
} api_facade_auth;

/*
 * Sign docs[0..n) under one authorization through the library (lib/sign:
 * the document id drawn first, the QR code the document's link unless
 * po.sign.qr_text is given, the register written before the answer), on
 * the API's signing pool (the endpoint's API_F_POOL_SIGN). The passphrase
 * goes to
 * sign_session_open; a totp to ra_sign_session_use then
 * sign_session_adopt. On SERTEL_OK with *answered 0 every document has its
 * rc (and, when signed, id and pdf); with *answered 1 the refusal (2031,
 * 2032, 2033, 2021, 2041) is written. Other errors for api_fail.
 */
int api_facade_sign(api_call *c, const api_facade_auth *au, api_facade_doc *docs, size_t n,
                    int *answered, sertel_err *err) API_WUR;

/* Write data to a new unnamed file in the API's spool (*fd, read from offset 0). */
int api_facade_spool(api_call *c, const unsigned char *data, size_t len, int *fd,
                     sertel_err *err) API_WUR;

/* Free what the documents hold (images, signed files, the facade's input files). NULL-safe. */
void api_facade_docs_free(api_facade_doc *docs, size_t n);

/* BSrE's status_code for a person's status (1111 ISSUE, 1110 NOT_REGISTERED, ...). */
int api_facade_status_code(ra_status st);

/* {status_code, status, message} for st, the message in lang. NULL when out of memory. */
json_t *api_facade_status_json(ra_status st, api_lang lang);

/*
 * Before an owner's authorization (email, or nik): what the library lets
 * this client know about the person (ra_status_for_ex with RA_ACT_SIGN:
 * its own agency's people only, anyone else is NOT_REGISTERED) answered as
 * 2011 not registered or 2021 no certificate in force; and, when the
 * request carries no code (has_code 0) while the policy needs a second
 * factor the client does not vouch for (ra_sign_factor_needed), 2041.
 * SERTEL_OK to go on; SERTEL_ERR_INVALID when answered; another error for
 * api_fail.
 */
int api_facade_sign_precheck(api_call *c, const char *email, const char *nik, int has_code,
                             sertel_err *err) API_WUR;

/*
 * The answer for a refused authorization (why: what the library said, may
 * be NULL): a lock 2032 (Retry-After when it ends by itself), a person who
 * may not sign 2021, every other refusal (the library's one answer: a
 * wrong passphrase, or second factor) 2031 "Passphrase anda salah", or
 * with by_code 2033 (a wrong, expired or used-up totp); a missing second
 * factor 2041; anything else api_fail's.
 */
int api_facade_auth_fail(api_call *c, int rc, const sertel_err *err, const ra_sign_why *why,
                         int by_code);

/*
 * Decode a base64 file sent in a JSON field (standard alphabet; blanks and
 * line breaks ignored; a "data:...;base64," prefix tolerated): *out
 * malloc'ed (caller frees), at most max bytes. On a bad or empty value the
 * answer (4015 / 4014) is written and SERTEL_ERR_INVALID returned;
 * SERTEL_ERR_NOMEM without an answer.
 */
int api_facade_b64_decode(api_call *c, const char *field, const char *b64, size_t max,
                          unsigned char **out, size_t *len) API_WUR;

/* A JSON string holding base64 of data (standard alphabet). NULL when out of memory. */
json_t *api_facade_b64_json(const unsigned char *data, size_t len);

/*
 * Read an uploaded file part (f: from http_form_field, may be NULL) into
 * memory: *out malloc'ed. A missing or empty part, or one over max bytes,
 * is answered (4014 / 4015) with SERTEL_ERR_INVALID; a read failure is
 * returned with err set and no answer.
 */
int api_facade_read_field(api_call *c, const http_field *f, size_t max, unsigned char **out,
                          size_t *len, sertel_err *err) API_WUR;

/*
 * Validate a PDF as `sertel verify` does with this home, in the API's
 * sandbox worker (pdf_verify_mem_sb): its root CA trusted, its own base URL
 * fetched whatever its address, other URLs only on public addresses. *out
 * for vfy_report_free. Errors: pdf_verify_mem_sb's (SERTEL_ERR_INVALID for
 * a file that is not a readable PDF or that made the checker fail).
 */
int api_facade_verify(api_call *c, const unsigned char *pdf, size_t len, const char *password,
                      vfy_report **out, sertel_err *err) API_WUR;

/* The report in v1's shape: {nama_dokumen, jumlah_signature, notes, summary, details[]}. */
json_t *api_facade_verify_v1(const vfy_report *r, const char *name);

/* The report in v2's shape: {conclusion, description, signatureCount, signatureInformations[]}. */
json_t *api_facade_verify_v2(const vfy_report *r, api_lang lang);

#endif
