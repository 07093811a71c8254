/*
 * ra_int.h - internals shared by the files of the registration authority.
 */
#ifndef SERTEL_RA_INT_H
#define SERTEL_RA_INT_H

#include <jansson.h>
#ifdef SERTEL_FAULT_INJECTION
#include <stdatomic.h>
/* Test builds: passphrase key derivations done, so tests can prove none happens uncounted. */
extern atomic_long ra_test_kdf_calls;
#endif

#include "audit/events.h"
#include "ra/mail.h"
#include "ra/ra.h"
#include "ra/upload.h"
#include "sandbox/sandbox.h"
#include "store/store.h"

#define RA_SECRET_LEN 32
#define RA_TOKEN_BYTES 32
/* RFC 5280 Appendix A: ub-common-name, ub-organization-name, ub-organizational-unit-name. */
#define RA_UB_NAME 64
#define RA_POSITION_MAX 128 /* a position (jabatan) is not part of the certificate */
#define RA_REASON_MAX 500   /* bytes of a decision's reason or an applicant's note */

struct ra {
    ca_ctx *ca;
    store *st;  /* borrowed from ca */
    audit *aud; /* borrowed from ca */
    const conf *conf;
    mailer *mail;
    char home[4096];
    char uploads[4096];
    unsigned char *secret; /* server-held secret (sodium_malloc), RA_SECRET_LEN */
    sbx *sb;               /* where uploads are checked (ra_set_sandbox, or made on first use) */
    int sb_owned;          /* 1: made by this ra, freed by ra_close */
    /* settings */
    upload_limits upload_lim; /* [ra] upload_* */
    int64_t token_ttl;
    int64_t renewal_window;
    int64_t argon_ops;
    int64_t argon_mem; /* bytes */
    int64_t lock_soft;
    int64_t lock_hard;
    int64_t lock_seconds;
    char second_factor[8]; /* off | totp | email */
    char subscriber_key_type[16];
    char base_url[256];
    char totp_issuer[201]; /* TOTP_LABEL_MAX + 1 */
    /* logins ([api]) */
    int64_t session_idle, session_max; /* seconds */
    int64_t login_lock_after, login_lock_seconds, login_addr_after;
    /* BSrE facade ([api]) */
    int64_t sess_seconds, sess_uses; /* signing sessions: lifetime, requests */
    int64_t download_retention;      /* seconds a signed file is kept for its download */
    char dummy_hash[128]; /* a password hash of nothing, made once: equal work for unknown accounts
                           */
};

/* An account as a login sees it (login.c). */
typedef struct ra_person_login {
    int64_t account_id; /* 0: no such account */
    char role[16];
    int64_t agency_id;
    char email[256];
    int has_factor;
} ra_person_login;

/* The sandbox for upload checks: the one given (ra_set_sandbox), else r's own, made now. */
int ra_sandbox(ra *r, sbx **out, sertel_err *err);

/* Next free id of a table (inside a write transaction). */
int ra_next_id(ra *r, const char *table, int64_t *out, sertel_err *err) SERTEL_WUR;

/*
 * Create a single-use token (hex, 64 chars) for purpose, valid ttl
 * seconds; only its hash is stored. Inside a transaction.
 */
int ra_token_create(ra *r, const char *purpose, int64_t account_id, int64_t app_id, int64_t ttl,
                    char token_out[2 * RA_TOKEN_BYTES + 1], sertel_err *err) SERTEL_WUR;

/*
 * Consume a token of purpose: refuses unknown, used and expired tokens
 * with a message that says which. Inside a transaction.
 */
int ra_token_consume(ra *r, const char *purpose, const char *token, int64_t *account_id,
                     int64_t *app_id, sertel_err *err) SERTEL_WUR;

/* Mail to an account (inside the transaction: a failure undoes the step). */
int ra_mail(ra *r, const char *to, const char *subject, const char *body,
            sertel_err *err) SERTEL_WUR;

/* Append an audit entry (inside the caller's transaction); details is taken over (audit.h). */
int ra_audit_json(ra *r, const char *actor, const char *event, const char *object, json_t *details,
                  sertel_err *err) SERTEL_WUR;

/*
 * Append an audit entry for an act of by: the actor is by's name; details
 * (taken over) gain "via": "local shell" when the CA host's operator
 * vouched for the actor, and "owner" when by acted for someone else.
 */
int ra_audit_by(ra *r, const ra_actor *by, const char *event, const char *object, const char *owner,
                json_t *details, sertel_err *err) SERTEL_WUR;

/* Commit through the CA (checkpoint, durable commit, audit head) or roll back. */
int ra_commit_or_rollback(ra *r, int rc, sertel_err *err) SERTEL_WUR;

/* A registered person (an account with a subscriber record). */
typedef struct ra_person {
    int64_t account_id;
    int64_t agency_id;
    int confirmed;
    char name[256];
    char email[256];
    char nik[17];
    char unit[256];
} ra_person;

/* The person with this e-mail (any case). SERTEL_ERR_NOTFOUND when none. */
int ra_person_by_email(ra *r, const char *email, ra_person *out, sertel_err *err) SERTEL_WUR;

/*
 * The person an owner action names, once by may act for them (act, the
 * person's account and agency checked by ra_policy_check): the one
 * preamble of every owner action.
 */
int ra_owner_for(ra *r, const ra_actor *by, ra_action act, const char *email, ra_person *out,
                 sertel_err *err) SERTEL_WUR;

/*
 * ra_owner_for for an act on an account rather than a person (a staff
 * member's login factor): the account with this e-mail, registered as a
 * person or not, once by may act on it. Fills account_id, agency_id, email
 * and name of out. SERTEL_ERR_NOTFOUND when there is no such account.
 */
int ra_account_for(ra *r, const ra_actor *by, ra_action act, const char *email, ra_person *out,
                   sertel_err *err) SERTEL_WUR;

/* --- the application state machine and revocation (policy.c) --- */

typedef enum ra_app_event {
    RA_EV_RESUBMIT, /* the applicant sends a returned issuance application again */
    RA_EV_APPROVE,
    RA_EV_REJECT,
    RA_EV_RETURN,   /* back to the applicant for revision */
    RA_EV_WITHDRAW, /* by the applicant */
    RA_EV_COMPLETE, /* the passphrase is created and the certificate issued */
    RA_EV_SETTLE,   /* a direct revocation settles a pending revocation application */
    RA_EV_CANCEL,   /* the person's certificate was revoked */
} ra_app_event;

/* The state an application of kind moves to from `from` on ev, or SERTEL_ERR_STATE saying why not.
 */
int ra_app_next_state(const char *kind, const char *from, ra_app_event ev, const char **to,
                      sertel_err *err) SERTEL_WUR;

/* The name an event has in an application's history ("approved", "cancelled"...). */
const char *ra_app_event_name(ra_app_event ev);

/*
 * Record a step of application app_id in its history (application_events),
 * inside the caller's transaction: who, what (event), the state it left
 * and a note (a decision's reason; NULL or "" for none).
 */
int ra_app_log(ra *r, int64_t app_id, const char *actor, const char *event, const char *state,
               const char *note, sertel_err *err) SERTEL_WUR;

/* May a new application of kind be opened while one of open_kind (NULL/"" none) is open_state? */
int ra_app_may_open(const char *kind, const char *open_kind, const char *open_state,
                    sertel_err *err) SERTEL_WUR;

/*
 * Revoke (or suspend) a person's certificate inside a transaction, with all
 * a revocation means: its signing sessions voided (a suspension's too), the
 * key destroyed, and - unless it is a renewal's own
 * supersession (by_renewal) - the person's (account's) unfinished issuance
 * and renewal applications cancelled and passphrase links voided.
 */
int ra_revoke_in_txn(ra *r, const char *actor, const char *serial, const ra_revocation *rv,
                     int64_t account, int by_renewal, sertel_err *err) SERTEL_WUR;

/* An owner's encrypted key as stored (keys.c); found is 0 when there is none. */
typedef struct ra_key_row {
    int found;
    int64_t key_id, account;
    char serial[41];
    int64_t ops, mem; /* Argon2id parameters it was made with */
    unsigned char salt[16], nonce[24];
    unsigned char *ct;
    size_t ctlen;
} ra_key_row;

/* The key of the certificate with this serial (k->found 0 when none). Free with ra_key_row_clear.
 */
int ra_key_row_load(ra *r, const char *serial, ra_key_row *k, sertel_err *err) SERTEL_WUR;
void ra_key_row_clear(ra_key_row *k);

/*
 * Decrypt the key with the passphrase: NULL when it is wrong. With k NULL
 * or not found, the same work is done on dummy data (an unknown account
 * costs what a wrong passphrase costs).
 */
EVP_PKEY *ra_key_unlock(ra *r, const ra_key_row *k, const char *pass);

/*
 * Secrets kept in the database (an authenticator's secret) are sealed:
 * XChaCha20-Poly1305 under BLAKE2b-256(key = server secret, label), bound
 * to bind (an account id) as associated data, a random nonce in front.
 * *out (malloc'ed) receives the box. ra_box_open fails with
 * SERTEL_ERR_TAMPERED for a changed box, another binding or another home.
 */
#define RA_BOX_TOTP "sertel-totp-v1"
int ra_box_seal(const ra *r, const char *label, int64_t bind, const unsigned char *in, size_t len,
                unsigned char **out, size_t *out_len, sertel_err *err) SERTEL_WUR;
int ra_box_open(const ra *r, const char *label, int64_t bind, const unsigned char *box,
                size_t box_len, unsigned char *out, size_t cap, size_t *out_len,
                sertel_err *err) SERTEL_WUR;

/* Fill sg->cert and sg->chain (issuing CA, root) for the certificate with this serial. */
int ra_signer_chain(ra *r, const char *serial, ra_signer *sg, sertel_err *err) SERTEL_WUR;

/*
 * The account's authenticator (auth.c): ra_totp_use checks a code and, when
 * right, moves the account's last used step past it - inside the caller's
 * write transaction, so a code is accepted once (*ok 1); ra_totp_enrolled
 * says whether one is enrolled; ra_totp_store seals and stores a new secret.
 */
int ra_totp_use(ra *r, int64_t account, const char *code, int *ok, sertel_err *err) SERTEL_WUR;
int ra_totp_enrolled(ra *r, int64_t account, int *out, sertel_err *err) SERTEL_WUR;
int ra_totp_store(ra *r, int64_t account, const unsigned char *secret, size_t len,
                  sertel_err *err) SERTEL_WUR;

/*
 * The signing lockout's bookkeeping (auth.c), shared by passphrase attempts
 * and signing-session codes: ra_signing_lock_state reads the person's
 * counter and lock (*locked: 0 none in force at now, 1 until
 * *locked_until, 2 until a verifier unlocks);
 * ra_signing_count_failure counts one failed attempt inside the caller's
 * write transaction (a lock starting at lockout_after and its multiples, or
 * lockout_hard_after, audited as sign.locked); after the commit,
 * ra_signing_lock_mail tells the owner a lock started (best effort).
 */
int ra_signing_lock_state(ra *r, int64_t account, int64_t now, int64_t *failed,
                          int64_t *locked_until, int *locked, sertel_err *err) SERTEL_WUR;
int ra_signing_count_failure(ra *r, const ra_person *p, int64_t now, int64_t failed_before,
                             int64_t locked_until, int64_t *failed, int *set_soft, int *set_hard,
                             sertel_err *err) SERTEL_WUR;
void ra_signing_lock_mail(ra *r, const ra_person *p, int64_t failed, int hard);

/*
 * The e-mail of the person with this NIK into email[cap], or "unknown NIK"
 * when no account has it (the unknown-account path: same work, same
 * answer). A malformed NIK is SERTEL_ERR_INVALID.
 */
int ra_email_of_nik(ra *r, const char *nik, char *email, size_t cap, sertel_err *err) SERTEL_WUR;

/* How many rows of table (sign_sessions, signed_downloads) expired by now (a read). */
int ra_count_expired(ra *r, const char *table, int64_t now, int64_t *count,
                     sertel_err *err) SERTEL_WUR;

/*
 * Void the signing sessions of a certificate inside the caller's
 * transaction (a revocation or suspension, ra_revoke_in_txn), audited
 * (signsess.voided) when there were any.
 */
int ra_sign_sessions_void(ra *r, const char *actor, const char *serial, const char *why,
                          sertel_err *err) SERTEL_WUR;

/* The BSrE status of the person behind an account (status.c). */
int ra_status_of_account(ra *r, int64_t account, ra_status *out, sertel_err *err) SERTEL_WUR;

/* Destroy the key belonging to a certificate, audited (inside a transaction). */
int ra_key_destroy_for_cert(ra *r, const char *serial, const char *why, const char *actor,
                            sertel_err *err) SERTEL_WUR;

/*
 * The person's certificate (ca_cert_newest_of_account): serial "" and
 * status "" when none; status is "valid", "suspended", "revoked" or
 * "expired".
 */
int ra_current_cert(ra *r, int64_t account_id, char serial[41], char status[16], int64_t *not_after,
                    sertel_err *err) SERTEL_WUR;

#endif
