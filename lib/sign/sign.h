/*
 * sign.h - "an owner signs documents with the key the home holds", as one
 * library operation shared by `sertel sign --email/--nik`, the native API
 * (/api/v1/sign, /api/v1/sign/batch) and the BSrE facade:
 *
 *   sign_session_open    one authorization (ra_sign_authorize_ex: the
 *                        passphrase, the second factor, the lockout; one
 *                        Argon2id derivation) unlocks the owner's key;
 *   sign_pdf             sign one PDF with it (PAdES B-B to B-LTA,
 *                        pades_sign_to) and record it in the register;
 *   sign_pdf_batch       sign many under the same authorization, recorded
 *                        in one durable transaction (group commit);
 *   sign_detached        a detached CAdES signature of any file;
 *   sign_session_close   wipe the unlocked key.
 *
 * The document id (128 random bits, 32 hex digits: BSrE's id_dokumen) is
 * drawn BEFORE signing, so that a visible stamp's QR code carries the
 * document's own verification link, <base_url>/verify/<id> (issue 12,
 * item 5), unless the caller gives the QR's text (BSrE's linkQR). The
 * register row is written under that id after the signature exists and
 * before the output is committed: a signed file the home cannot account
 * for is never handed out (ra_sign_record_ids; an id already in the
 * register is an error, never an overwrite).
 *
 * Time-stamps (B-T and above) come from the TSA the caller set in
 * pades_opts.sign.tsa, or, when none is set, from the home's own TSA
 * in-process (sign_ctx.services), which then also gives B-LT/B-LTA their
 * validation data.
 *
 * Thread safety: a sign_ctx's ra is used by one thread at a time (ra.h);
 * the pki may be shared. A session belongs to one thread.
 */
#ifndef SERTEL_SIGN_H
#define SERTEL_SIGN_H

#include <stddef.h>

#include "pades/pades.h"
#include "pki/pki.h"
#include "ra/ra.h"
#include "util/err.h"
#include "util/fs.h"

#define SIGN_ID_LEN RA_DOC_ID_LEN /* hex digits of a document id */
#define SIGN_QR_MAX 512           /* bytes of a QR code's text (the link or a caller's) */

/* What a signing needs from the home; every member is borrowed. */
typedef struct sign_ctx {
    ra *r;            /* the registration authority (authorization and register) */
    pki *services;    /* the home's TSA, OCSP responder and CRLs in-process; NULL: none (then
                         B-T and above need pades_opts.sign.tsa) */
    size_t max_pages; /* refuse documents with more pages ([api] max_pages); 0: no limit */
} sign_ctx;

typedef struct sign_session sign_session;

/*
 * Authorize the owner (email, or nik with email NULL) with passphrase and
 * otp (NULL when [signing] second_factor is off) on behalf of by:
 * ra_sign_authorize_ex, with its attempt accounting, audit and one answer
 * for every refusal (SERTEL_ERR_DENIED; *why, when not NULL, says what an
 * actor allowed to act for the person may know: locked, status, or
 * credentials). On success *out is the session (sign_session_close).
 * ctx is copied; what it points to must outlive the session.
 */
int sign_session_open(const sign_ctx *ctx, const ra_actor *by, const char *email, const char *nik,
                      const char *passphrase, const char *otp, sign_session **out, ra_sign_why *why,
                      sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 5, 7);

/*
 * A session over a signer authorized another way (e.g. a short signing
 * session's code, the facade's v2 totp): sg is taken over in every case
 * (freed on failure).
 */
int sign_session_adopt(const sign_ctx *ctx, ra_signer *sg, sign_session **out,
                       sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* The session's signer (key, certificate, chain, account). Borrowed. */
const ra_signer *sign_session_signer(const sign_session *s) SERTEL_NONNULL(1);

/* Wipe the unlocked key and free. NULL-safe. */
void sign_session_close(sign_session *s);

/*
 * Sign the PDF at in_path into out and record it; id receives the
 * document id. o gives the level and the appearance (pades_opts: level;
 * sign.reason, location, contact, name, field, page, visible, rect,
 * marker, stamp_text, footer, image, certify, password; sign.qr_text
 * overrides the QR's text, NULL: <base_url>/verify/<id> on a visible
 * stamp or a visible field; sign.tsa: an external TSA, fn NULL: the
 * home's). sign.signer, sign.level and home are the session's and are
 * ignored. out must have been opened with FS_OUTPUT_SHA256 and is taken
 * over in every case: committed after the register row is durable, else
 * aborted. Errors: those of pades_sign_to; SERTEL_ERR_INVALID (more pages
 * than ctx->max_pages, B-T and above without any TSA); those of
 * ra_sign_record_ids. The register keeps the file name of in_path (no
 * directories) and the page count. On any error id is "" and nothing is
 * in the register.
 */
int sign_pdf(sign_session *s, const pades_opts *o, const char *in_path, fs_output *out,
             char id[SIGN_ID_LEN + 1], sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4, 5);

/* One document of a batch. */
typedef struct sign_doc {
    const char *in_path;      /* in: the PDF */
    const char *name;         /* in: its file name for the register (NULL: unknown) */
    fs_output *out;           /* in: opened with FS_OUTPUT_SHA256; taken over by the batch */
    const pades_opts *o;      /* in: as for sign_pdf */
    char id[SIGN_ID_LEN + 1]; /* out: the document id ("" when not signed) */
    int rc;                   /* out: SERTEL_OK, or why this document was not signed */
    sertel_err err;           /* out: its message */
} sign_doc;

/*
 * Sign n documents under the session: each is signed as sign_pdf does
 * (a document that fails has its own rc and err, and does not stop the
 * others), then every one that signed is recorded in ONE durable
 * transaction, then their outputs are committed. Returns SERTEL_OK when
 * the batch ran (look at each docs[i].rc), or the error that stopped it
 * from being recorded (then every document that had signed gets that rc,
 * its output is aborted and none is in the register). Every out is taken
 * over.
 */
int sign_pdf_batch(sign_session *s, sign_doc *docs, size_t n, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/*
 * A detached CAdES signature (B-B, or B-T with tsa, NULL: the home's TSA
 * for level PADES_B_T) of the file at in_path into out, recorded as
 * sign_pdf does (level "CAdES B-B" / "CAdES B-T").
 */
int sign_detached(sign_session *s, const char *in_path, pades_level level, const cms_tsa *tsa,
                  fs_output *out, char id[SIGN_ID_LEN + 1], sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 5, 6);

/* The verification link of a document: "<base_url>/verify/<id>" into buf (SIGN_QR_MAX). */
int sign_doc_link(const sign_ctx *ctx, const char *id, char *buf, size_t cap,
                  sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

#endif
