/*
 * ra.h - the registration authority: agencies, accounts and roles,
 * registration of civil servants, applications for issuance, renewal and
 * revocation, the verifier's decisions, passphrases and the keys they
 * protect, signing authorization with a second factor and lockout, and the
 * BSrE-style status of a person. (DOMAIN.md; PP 71/2019 art. 52, 62-64.)
 *
 * Every call that changes something takes the acting account (ra_actor)
 * and checks what it may do:
 *   admin     (CA operator) everything, in every agency
 *   verifier  decisions on its own agency's applications, never its own
 *   auditor   read-only
 *   applicant its own records only
 * Each change is one transaction together with its audit entries: a crash
 * leaves an application fully before or fully after a step.
 *
 * Ownership: ra_open returns an ra the caller frees with ra_close; it owns
 * a ca_ctx (ra_get0_ca). Strings in out-structures are owned by them and
 * freed by the matching *_clear function.
 * Thread safety: one ra per thread.
 */
#ifndef SERTEL_RA_H
#define SERTEL_RA_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <time.h>

#include "ca/ca.h"
#include "util/err.h"

typedef struct ra ra;

/* Open the registration authority of a home (the CA opened for writing). */
int ra_open(const char *home, ra **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);
void ra_close(ra *r);
ca_ctx *ra_get0_ca(ra *r) SERTEL_NONNULL(1);

/* Roles. */
#define RA_ROLE_ADMIN "admin"
#define RA_ROLE_VERIFIER "verifier"
#define RA_ROLE_AUDITOR "auditor"
#define RA_ROLE_APPLICANT "applicant"

/* Who is acting. Filled by ra_actor_by_email or ra_actor_local_admin. */
typedef struct ra_actor {
    int64_t account_id; /* 0 for the local administrator (the CLI on the CA host) */
    char role[16];
    int64_t agency_id; /* 0 when none */
    char email[256];
} ra_actor;

int ra_actor_by_email(ra *r, const char *email, ra_actor *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);
void ra_actor_local_admin(ra_actor *out) SERTEL_NONNULL(1);

/* --- agencies and accounts --- */

/* Register an agency with its official e-mail domains (admin only). */
int ra_agency_add(ra *r, const ra_actor *by, const char *name, const char *const *domains,
                  size_t ndomains, int64_t *id, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3, 4);

/*
 * Add a staff account (admin only): role verifier (needs agency_id, and an
 * e-mail in one of the agency's domains), admin or auditor.
 */
int ra_account_add(ra *r, const ra_actor *by, const char *role, int64_t agency_id,
                   const char *email, const char *name, int64_t *id, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3, 5, 6);

/* --- registration --- */

typedef struct ra_registration {
    int64_t agency_id;
    const char *name;     /* full name, becomes the certificate's CN */
    const char *nik;      /* 16-digit NIK, validated */
    const char *email;    /* official e-mail; its domain must be the agency's */
    const char *unit;     /* work unit (OU) */
    const char *position; /* position (jabatan) */
} ra_registration;

/*
 * Register a person (by an admin or the agency's verifier, or by the
 * person themselves when by is NULL) and mail a single-use confirmation
 * token valid for 24 hours (configurable).
 */
int ra_register(ra *r, const ra_actor *by, const ra_registration *reg, int64_t *account_id,
                sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3);

/* Confirm an e-mail address with the token from the confirmation mail. */
int ra_email_confirm(ra *r, const char *token, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* --- applications --- */

/*
 * Apply for a certificate: the recommendation letter (PDF) and the e-KTP
 * scan (JPEG or PNG) are checked by content and size, stored
 * content-addressed, and their SHA-256 recorded. A returned application is
 * resubmitted by applying again.
 */
int ra_apply_issuance(ra *r, const char *email, const unsigned char *letter, size_t letter_len,
                      const unsigned char *ktp, size_t ktp_len, int64_t *app_id,
                      sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 5);

/* Apply for renewal (from renewal_window_days before expiry, or after it). */
int ra_apply_renewal(ra *r, const char *email, int64_t *app_id, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/*
 * Apply for revocation with an RFC 5280 reason. keyCompromise suspends the
 * certificate at once (certificateHold) until the verifier decides.
 */
int ra_apply_revocation(ra *r, const char *email, int reason, int64_t *app_id,
                        sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* The applicant withdraws a pending or returned application. */
int ra_withdraw(ra *r, const char *email, int64_t app_id, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/* One application, for listings. */
typedef struct ra_application {
    int64_t id;
    char kind[16];  /* issuance | renewal | revocation */
    char state[16]; /* pending | returned | approved | rejected | withdrawn | completed */
    char email[256];
    char name[256];
    char nik[17];
    int64_t agency_id;
    char letter_sha256[65];
    char ktp_sha256[65];
    char cert_serial[41];
    int reason; /* revocation reason, -1 if none */
    char note[512];
    int64_t created_at;
} ra_application;

typedef int (*ra_application_fn)(const ra_application *a, void *arg);

/* The pending applications a verifier (or admin) may decide, oldest first. */
int ra_review_list(ra *r, const ra_actor *by, ra_application_fn fn, void *arg,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* Read one application (the actor must be allowed to see it). */
int ra_application_get(ra *r, const ra_actor *by, int64_t id, ra_application *out,
                       sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4);

typedef enum ra_decision {
    RA_APPROVE = 1,
    RA_REJECT = 2,
    RA_RETURN = 3, /* back to the applicant for revision, with a note */
} ra_decision;

/*
 * Decide a pending application. A verifier decides only its own agency's
 * applications and never its own; reject and return need a reason.
 * Approving an issuance or renewal mails the passphrase link; approving a
 * revocation revokes the certificate and destroys its key.
 */
int ra_review_decide(ra *r, const ra_actor *by, int64_t app_id, ra_decision d, const char *reason,
                     sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* --- passphrase, keys and signing --- */

/*
 * Create the passphrase with the single-use token from the approval mail:
 * generates the key pair on the server, encrypts the private key under
 * Argon2id(passphrase) combined with the server secret, issues the
 * certificate (revoking the old one as superseded for a renewal) and
 * completes the application, in one transaction. serial_out (>= 41 bytes)
 * receives the new certificate's serial.
 */
int ra_passphrase_create(ra *r, const char *token, const char *passphrase, char *serial_out,
                         sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* What an authorized signer gets: the unlocked key and its chain. */
typedef struct ra_signer {
    EVP_PKEY *key;          /* the owner's private key (wiped on free) */
    X509 *cert;             /* the owner's certificate */
    STACK_OF(X509) * chain; /* issuing CA, root */
    int64_t account_id;
} ra_signer;

void ra_signer_free(ra_signer *s);

/*
 * Unlock an owner's key for one signing operation or one batch: status
 * must be ISSUE, the account not locked, the passphrase right and, where
 * [signing] second_factor asks for it, the TOTP or e-mailed code right.
 * Wrong passphrases are counted: after 5 in a row signing locks for 30
 * minutes, after 10 until a verifier unlocks it. Every attempt is audited.
 * An unknown e-mail and a wrong passphrase take the same time and give the
 * same answer (SERTEL_ERR_DENIED, "passphrase or account is wrong").
 */
int ra_sign_authorize(ra *r, const char *email, const char *passphrase, const char *otp,
                      ra_signer **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 5);

/*
 * Record a document the owner of s signed (after the signed file was
 * written to path): a random 128-bit id (32 hex digits, BSrE's
 * id_dokumen), the owner, the certificate, the time, the file's SHA-256
 * and the level, in the signed_documents table and the audit log
 * (doc.signed), committed durably. The caller removes the file when this
 * fails, so that no signature exists that the home does not know of.
 */
int ra_sign_record(ra *r, const ra_signer *s, const char *path, const char *level, char id[33],
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4, 5);

/*
 * ra_sign_record for a signed file known by its SHA-256 (md): for an
 * output that cannot be read back (a device, a FIFO, stdout) or is not in
 * place yet (sertel sign records before it commits the output, so that a
 * failed record leaves no file). Same effects and errors otherwise.
 */
int ra_sign_record_digest(ra *r, const ra_signer *s, const unsigned char md[32], const char *level,
                          char id[33], sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4, 5);

/* A document in the register (ra_doc_query). */
typedef struct ra_doc {
    char id[33];
    char email[256]; /* the owner */
    char cert_serial[41];
    int64_t signed_at;
    char sha256[65]; /* of the signed file, lower-case hex */
    char level[32];
} ra_doc;

/* Called once per document found; a non-zero return stops the query and is returned. */
typedef int (*ra_doc_fn)(void *arg, const ra_doc *d);

/*
 * Documents of the register, oldest first: the one with id, else those
 * whose signed file has SHA-256 sha256 (32 bytes), else those of the owner
 * email, else all. *count receives how many were passed to fn.
 */
int ra_doc_query(ra *r, const char *id, const unsigned char *sha256, const char *email,
                 ra_doc_fn fn, void *arg, size_t *count, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 5, 7);

/*
 * ra_sign_authorize for the owner with this NIK (BSrE's v1 API names the
 * signer by NIK): the NIK's format is checked (SERTEL_ERR_INVALID); an
 * unknown NIK takes the unknown-account path, the same work and answer as
 * a wrong passphrase (audited with the actor "unknown NIK").
 */
int ra_sign_authorize_nik(ra *r, const char *nik, const char *passphrase, const char *otp,
                          ra_signer **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 5);

/* Enrol TOTP (needs the passphrase); uri_out receives the otpauth:// URI. */
int ra_totp_enroll(ra *r, const char *email, const char *passphrase, char *uri_out, size_t cap,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/* Mail a one-time signing code (valid 5 minutes) to the owner. */
int ra_email_otp_send(ra *r, const char *email, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* A verifier of the owner's agency (or an admin) lifts a signing lock. */
int ra_unlock(ra *r, const ra_actor *by, const char *email, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/*
 * Revoke directly (verifier of the owner's agency, or admin): the
 * certificate is revoked and its key destroyed.
 */
int ra_cert_revoke(ra *r, const ra_actor *by, const char *serial, int reason,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* --- status and housekeeping --- */

/* BSrE's person statuses. Only RA_STATUS_ISSUE may sign. */
typedef enum ra_status {
    RA_STATUS_NOT_REGISTERED,
    RA_STATUS_WAITING_FOR_VERIFICATION,
    RA_STATUS_NEW,
    RA_STATUS_ISSUE,
    RA_STATUS_EXPIRED,
    RA_STATUS_RENEW,
    RA_STATUS_SUSPEND,
    RA_STATUS_REVOKE,
    RA_STATUS_NO_CERTIFICATE,
} ra_status;

const char *ra_status_name(ra_status s);

/* The status of the person with this NIK (NOT_REGISTERED when unknown). */
int ra_status_by_nik(ra *r, const char *nik, ra_status *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/*
 * Housekeeping run by a timer or the server (`sertel notify`): destroys
 * the keys of expired certificates (audited), and mails expiry reminders
 * 30 and 7 days before expiry, once each. *sent (if not NULL) receives the
 * number of mails sent.
 */
int ra_notify(ra *r, time_t now, int *sent, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

#endif
