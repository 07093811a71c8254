/*
 * ra.h - the registration authority: agencies, accounts and roles,
 * registration of civil servants, applications for issuance, renewal and
 * revocation, the verifier's decisions, passphrases and the keys they
 * protect, signing authorization with a second factor and lockout, and the
 * BSrE-style status of a person. (DOMAIN.md; PP 71/2019 art. 52, 62-64.)
 *
 * Every call that acts takes the acting party (ra_actor), proven by the
 * caller: the CLI on the CA host acts as the local administrator (on an
 * owner's behalf where it acts for one, and the audit entry says so); the
 * HTTP API passes the logged-in account. What each may do is decided in
 * one place, the policy table of policy.c (ra_policy_check):
 *   admin     agencies, accounts, decisions everywhere, never on its own
 *   verifier  its own agency's people and applications, never its own
 *   auditor   read-only
 *   applicant its own records only (as is every account for itself)
 * Each change is one transaction together with its audit entries: a crash
 * leaves an application fully before or fully after a step. Every security
 * event is audited in the same transaction as the change; when an attempt
 * or its audit entry cannot be recorded, the answer is "try again later"
 * (SERTEL_ERR_BUSY) and nothing is done (fail closed).
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

#include "audit/audit.h"
#include "ca/ca.h"
#include "sandbox/sandbox.h"
#include "util/err.h"
#include "util/fs.h"

typedef struct ra ra;

/* Open the registration authority of a home (the CA opened for writing). */
int ra_open(const char *home, ra **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);
/* The same with ca_open's flags (the API: CA_OPEN_ONLINE, never the root key). */
int ra_open_flags(const char *home, int flags, ra **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 3);
void ra_close(ra *r);
ca_ctx *ra_get0_ca(ra *r) SERTEL_NONNULL(1);
/* Bytes of memory one passphrase check's Argon2id derivation takes ([signing] argon2_memory_kib).
 */
size_t ra_kdf_memory(const ra *r) SERTEL_NONNULL(1);

/*
 * The sandbox (lib/sandbox) in which r checks applicants' uploads
 * (ra_apply_issuance): the letter and the e-KTP scan are parsed, and the
 * scan written again, only in a confined worker process, never in this
 * one, which holds the server secret and opens the CA's keys. sb is
 * borrowed: it must outlive r; several ra (one per thread) may share one.
 * It must not be a clean-parent sandbox made after this process loaded a
 * secret (sbx_new refuses to make one then, sandbox.h); an exec'd worker
 * sandbox (the default) is always right.
 *
 * Without this call r makes its own on the first upload, with the default
 * configuration: the worker image is the running executable (the sertel
 * binary serves SBX_WORKER_ARG; a program that does not, such as a test
 * or a benchmark, must either serve it too or give a sandbox here). A
 * sandbox given later replaces r's own (which is freed). NULL-safe for sb
 * (back to r's own, made on first use). Never fails.
 */
void ra_set_sandbox(ra *r, sbx *sb) SERTEL_NONNULL(1);

/* Roles. */
#define RA_ROLE_ADMIN "admin"
#define RA_ROLE_VERIFIER "verifier"
#define RA_ROLE_AUDITOR "auditor"
#define RA_ROLE_APPLICANT "applicant"
#define RA_ROLE_CLIENT "client" /* an agency system (API client), not an account */

/* What an API client may do (ra_actor.scopes). */
#define RA_SCOPE_SIGN 0x1u
#define RA_SCOPE_VERIFY 0x2u
#define RA_SCOPE_STATUS 0x4u
#define RA_SCOPE_REGISTER 0x8u

/* Who is acting. Filled by ra_actor_local_admin, ra_actor_local_as or (later) the API's login. */
typedef struct ra_actor {
    int64_t account_id; /* 0 for the local administrator (the CLI on the CA host) */
    char role[16];      /* RA_ROLE_* */
    int64_t agency_id;  /* 0 when none */
    char email[256];    /* the account's e-mail; "local administrator" for the CLI */
    int local;          /* 1: vouched for by the operator at the CA host's shell */
    unsigned scopes;    /* RA_ROLE_CLIENT: RA_SCOPE_* it was given */
    char client_id[40]; /* RA_ROLE_CLIENT: its id */
} ra_actor;

/* The local administrator: the operator at the CA host's shell. */
void ra_actor_local_admin(ra_actor *out) SERTEL_NONNULL(1);

/*
 * The account with this e-mail, vouched for by the operator at the CA
 * host's shell (the CLI's --verifier / --by): the account's own role and
 * agency apply, and audit entries say it acted through the local shell.
 * SERTEL_ERR_NOTFOUND for an unknown account.
 */
int ra_actor_local_as(ra *r, const char *email, ra_actor *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/* The name audit entries give the actor ("verif@x.go.id", "local administrator"). */
const char *ra_actor_name(const ra_actor *a) SERTEL_NONNULL(1);

/* --- who may do what: the policy table (policy.c) --- */

typedef enum ra_action {
    RA_ACT_AGENCY_ADD,        /* register an agency and its domains */
    RA_ACT_ACCOUNT_ADD,       /* add a staff account */
    RA_ACT_REGISTER,          /* register a person of an agency */
    RA_ACT_APPLY,             /* apply for issuance, renewal or revocation; withdraw */
    RA_ACT_PASSPHRASE_CREATE, /* create the passphrase (with the approval token) */
    RA_ACT_FACTOR_ENROLL,     /* enrol or replace the second factor */
    RA_ACT_CODE_REQUEST,      /* ask for an e-mailed one-time code */
    RA_ACT_SIGN,              /* unlock the owner's key to sign */
    RA_ACT_APPLICATION_VIEW,  /* read one application */
    RA_ACT_REVIEW_LIST,       /* list the applications to decide */
    RA_ACT_REVIEW_DECIDE,     /* approve, reject or return an application */
    RA_ACT_UNLOCK,            /* lift a signing lock */
    RA_ACT_FACTOR_RESET,      /* remove an owner's second factor so it can be enrolled again */
    RA_ACT_CERT_REVOKE,       /* revoke or suspend a certificate directly */
    RA_ACT_DOC_VIEW,          /* read the register of signed documents */
    RA_ACT_AUDIT_VIEW,        /* read the audit log */
    RA_ACT_STATUS_VIEW,       /* a person's status (BSrE's user/status) */
    RA_ACT_VERIFY,            /* validate a signed document */
    RA_ACT_CLIENT_ADMIN,      /* add, list, disable, rotate API clients */
    RA_ACT_AGENCY_VIEW,       /* read an agency and its domains */
    RA_ACT_ACCOUNT_VIEW,      /* read an account (role, agency, sign-in state) */
    RA_ACT_APPLICATION_DOCS,  /* read an application's letter and e-KTP scan */
    RA_ACT_COUNT
} ra_action;

/* Whose the thing acted on is: the person (account) and the agency; 0 for none. */
typedef struct ra_target {
    int64_t account_id;
    int64_t agency_id;
} ra_target;

/*
 * May by (NULL: someone not logged in, e.g. a person registering) do act
 * on t? SERTEL_OK, or SERTEL_ERR_DENIED with a message that says who may.
 * The one place role, ownership and agency are compared; every ra_* call
 * that acts asks it first.
 */
int ra_policy_check(const ra_actor *by, ra_action act, const ra_target *t,
                    sertel_err *err) SERTEL_WUR;

/*
 * The widest reach by has for act, for listings: RA_REACH_ALL (any
 * target), RA_REACH_AGENCY (its own agency's), RA_REACH_SELF (its own), or
 * RA_REACH_NONE. A listing filters its rows by it; acting on one row still
 * asks ra_policy_check.
 */
typedef enum ra_reach { RA_REACH_NONE, RA_REACH_SELF, RA_REACH_AGENCY, RA_REACH_ALL } ra_reach;
ra_reach ra_policy_reach(const ra_actor *by, ra_action act);

/* The action's name ("review.decide"), for messages, audit and the API's matrix. */
const char *ra_action_name(ra_action act);

/* The roles the policy knows, in table order, for the API's authorization matrix. */
extern const char *const ra_policy_roles[];
extern const size_t ra_policy_nroles;

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

/* --- API clients: agency systems (client.c) --- */

#define RA_CLIENT_SECRET_LEN 43 /* base64url of 32 random bytes */

/* An API client as listed (never its secret). */
typedef struct ra_client {
    char id[40];
    int64_t agency_id;
    char name[129];
    unsigned scopes;
    int disabled;
    int vouches_login; /* the client's own user login counts as the owner's second factor */
    int64_t created_at, rotated_at;
} ra_client;

/*
 * Parse "sign,verify,status,register" (any subset, comma-separated) into
 * RA_SCOPE_* bits. SERTEL_ERR_INVALID naming an unknown scope.
 */
int ra_scopes_parse(const char *s, unsigned *out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);
/* "sign,verify" for bits (buf >= 40 bytes). */
const char *ra_scopes_name(unsigned scopes, char *buf, size_t cap) SERTEL_NONNULL(2);

/*
 * Add an API client for an agency (an administrator): a client id
 * ("cl_" + 24 hex digits) in id_out and a 256-bit random secret in
 * secret_out (RA_CLIENT_SECRET_LEN + 1 bytes), shown once; only a keyed
 * hash of it is stored (BLAKE2b under the server secret). Audited.
 */
int ra_client_add(ra *r, const ra_actor *by, int64_t agency_id, const char *name, unsigned scopes,
                  int vouches_login, char id_out[40], char secret_out[RA_CLIENT_SECRET_LEN + 1],
                  sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4, 7, 8);

/* A new secret for a client (the old one stops working at once). Audited. */
int ra_client_rotate(ra *r, const ra_actor *by, const char *id,
                     char secret_out[RA_CLIENT_SECRET_LEN + 1], sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3, 4);

/* Disable a client for good. Audited. */
int ra_client_disable(ra *r, const ra_actor *by, const char *id, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

typedef int (*ra_client_fn)(const ra_client *c, void *arg);
/* The clients by may see (administrators: all), oldest first. */
int ra_client_list(ra *r, const ra_actor *by, ra_client_fn fn, void *arg,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/*
 * Authenticate an agency system (HTTP Basic: id and secret): the client's
 * actor (role RA_ROLE_CLIENT, its agency and scopes) in *out. The secret
 * is compared as a keyed hash in constant time; an unknown id does the
 * same work. A disabled client, an unknown id and a wrong secret give the
 * same SERTEL_ERR_DENIED.
 */
int ra_client_auth(ra *r, const char *id, const char *secret, ra_actor *out,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/*
 * A staff account's first authenticator, enrolled by the account itself
 * right after its first password login (ra_login's
 * factor_enrolment_needed): refused when one is enrolled (a verifier's
 * reset comes first), and to anyone but staff (verifiers, administrators,
 * auditors): a certificate owner's authenticator is the signing factor,
 * enrolled with the passphrase (ra_totp_enroll) - SERTEL_ERR_DENIED.
 * uri_out (TOTP_URI_MAX) receives the otpauth:// URI.
 * Audited as totp.enrolled.
 */
int ra_totp_enroll_staff(ra *r, const ra_actor *by, char *uri_out, size_t cap,
                         sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* --- logins (login.c) --- */

/*
 * Confirm the e-mail and set the account's login password in one step
 * (password NULL: confirm only). The password (12 to 1024 bytes, UTF-8) is
 * hashed with Argon2id (crypto_pwhash_str); it is never the signing
 * passphrase. Audited.
 */
int ra_email_confirm_password(ra *r, const char *token, const char *password,
                              sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* SERTEL_OK when password is acceptable as a login password, else why not. */
int ra_password_check_strength(const char *password, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

#define RA_COOKIE_LEN 43 /* base64url of 32 random bytes */
#define RA_CSRF_LEN 43   /* base64url of a 32-byte HMAC */

/* What a login gives. The cookie and CSRF token are secrets of the client's. */
typedef struct ra_login_result {
    ra_actor actor; /* the logged-in account (local 0) */
    char cookie[RA_COOKIE_LEN + 1];
    char csrf[RA_CSRF_LEN + 1];
    int factor_enrolment_needed; /* staff without an authenticator: enrol before anything else */
    int64_t retry_after;         /* throttled: seconds to wait */
} ra_login_result;

/*
 * Log in with e-mail and password (and, for staff with an authenticator, a
 * TOTP code): a new session in the store. addr is the client's address
 * (for throttling and the audit log). Failed logins are counted per e-mail
 * and per address; a locked one is SERTEL_ERR_BUSY with out->retry_after.
 * An unknown e-mail and a wrong password take the same work and answer
 * (SERTEL_ERR_DENIED); a staff login without its code is
 * SERTEL_ERR_INVALID. Audited (login.succeeded / login.failed).
 */
int ra_login(ra *r, const char *email, const char *password, const char *code, const char *addr,
             ra_login_result *out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 6);

/* A session looked up by its cookie. */
typedef struct ra_session_info {
    ra_actor actor;
    char csrf[RA_CSRF_LEN + 1]; /* the token unsafe requests must carry */
    int factor;                 /* a second factor was shown at login */
    int factor_enrolment_needed;
} ra_session_info;

/*
 * The session of a cookie: SERTEL_ERR_DENIED when there is none, or it has
 * ended (idle or absolute timeout: removed and audited as
 * session.expired). Refreshes its last use (at most once a minute).
 */
int ra_session(ra *r, const char *cookie, ra_session_info *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/* 1 when token is the CSRF token of the session of cookie (constant time), else 0. */
int ra_csrf_check(ra *r, const char *cookie, const char *token) SERTEL_NONNULL(1, 2);

/* End the session of cookie, or with everywhere every session of its account. Audited. */
int ra_logout(ra *r, const char *cookie, int everywhere, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/*
 * Mail a single-use password-reset link (1 hour) to the account with this
 * e-mail; an unknown address gets the same answer and nothing is sent.
 */
int ra_password_reset_request(ra *r, const char *email, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/* Set a new password with the reset token; every session of the account ends. Audited. */
int ra_password_reset(ra *r, const char *token, const char *password, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/* Set an account's password (the account itself, or the CA host's operator). Ends its sessions. */
int ra_password_set(ra *r, const ra_actor *by, const char *email, const char *password,
                    sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/*
 * A logged-in account changes its own password (by: the session's
 * account; not the local administrator, not an API client), proving the
 * current one. A wrong current password is SERTEL_ERR_DENIED and counts
 * as a failed login of the account's e-mail (the same throttle as
 * ra_login: after [api] login_lock_after failures the answer is
 * SERTEL_ERR_BUSY until the lock ends), so a stolen session cannot guess
 * it. The new password must pass ra_password_check_strength and differ
 * from the current one. Every session of the account ends (the caller
 * logs in again). Audited: password.changed, or password.change_failed.
 */
int ra_password_change(ra *r, const ra_actor *by, const char *current, const char *password,
                       sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/* --- applications --- */

/*
 * Owner actions name the owner by e-mail; by is the owner themselves, or
 * the local administrator acting on the owner's behalf (RA_ACT_APPLY).
 *
 * Apply for a certificate: the recommendation letter (PDF) and the e-KTP
 * scan (JPEG or PNG) are checked by content and size, stored
 * content-addressed, and their SHA-256 recorded. A returned application is
 * resubmitted by applying again.
 */
int ra_apply_issuance(ra *r, const ra_actor *by, const char *owner, const unsigned char *letter,
                      size_t letter_len, const unsigned char *ktp, size_t ktp_len, int64_t *app_id,
                      sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4, 6);

/*
 * ra_apply_issuance with the documents in open files (the HTTP API's spool
 * files, a CLI's input): letter_fd and ktp_fd are read-only descriptors of
 * regular files, read from offset 0 and left open (the caller closes
 * them). A file larger than [ra] upload_max is refused from its size
 * alone, before anything is read; the rest is mapped read-only (the page
 * cache holds it, not the heap) and goes through the same checks. Same
 * effects and errors as ra_apply_issuance; a descriptor that is not a
 * regular file is SERTEL_ERR_INVALID.
 */
int ra_apply_issuance_fd(ra *r, const ra_actor *by, const char *owner, int letter_fd, int ktp_fd,
                         int64_t *app_id, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* Apply for renewal (from renewal_window_days before expiry, or after it). */
int ra_apply_renewal(ra *r, const ra_actor *by, const char *owner, int64_t *app_id,
                     sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* A change of the person's data: a new work unit and/or position (NULL: unchanged). */
typedef struct ra_update {
    const char *unit;     /* becomes the new certificate's OU (RFC 5280 ub-organizational-unit) */
    const char *position; /* jabatan */
    const char *note;     /* the owner's words for the verifier, may be NULL */
} ra_update;

/*
 * Apply for a data update (the owner moved to another unit or position).
 * Needs a certificate in force; the new values must differ from the
 * registered ones and fit the certificate (as at registration). It is
 * decided like a renewal: the verifier approves (a passphrase link is
 * mailed) or rejects; creating the passphrase records the new unit and
 * position, issues a certificate with them and revokes the old one
 * (affiliationChanged) with its key. A revocation cancels it.
 */
int ra_apply_update(ra *r, const ra_actor *by, const char *owner, const ra_update *u,
                    int64_t *app_id, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/* A revocation as asked for: RFC 5280 §5.3.1 reason and, for keyCompromise, §5.3.2's date. */
typedef struct ra_revocation {
    int reason;              /* CA_REASON_* */
    int64_t invalidity_date; /* when the key is known or suspected to have been compromised;
                                0: not given (the revocation time is used) */
    const char *note;        /* the owner's words for the verifier (applications), may be NULL */
} ra_revocation;

/*
 * The reasons an owner chooses from, in Indonesian, and what each asks for
 * in RFC 5280 §5.3.1 terms (the table is in policy.c):
 *   kunci_hilang     the key (or the means to use it) is lost   keyCompromise, date
 *   kunci_bocor      the key or passphrase leaked                keyCompromise, date
 *   dicurigai        misuse suspected: suspend (certificateHold) at once; the verifier
 *                    revokes (keyCompromise) or releases it      keyCompromise
 *   data_berubah     the data in the certificate changed        affiliationChanged
 *   tidak_digunakan  no longer needed (left the post, retired)  cessationOfOperation
 *   lainnya          another reason, in the note                unspecified
 * Every keyCompromise choice suspends the certificate the moment it is
 * asked for, so the owner must confirm it (ra_revocation_request.confirmed).
 */
typedef struct ra_revocation_choice {
    const char *name;     /* "kunci_hilang" */
    int reason;           /* CA_REASON_*: what an approval revokes with */
    int takes_date;       /* an invalidity date (RFC 5280 §5.3.2) may be given */
    int suspends;         /* the certificate is suspended at once: needs confirmation */
    const char *label_id; /* for people, Indonesian */
    const char *label_en;
} ra_revocation_choice;

/* The choice of that name, or NULL. */
const ra_revocation_choice *ra_revocation_choice_find(const char *name);
/* The i-th choice (table order), or NULL past the end. */
const ra_revocation_choice *ra_revocation_choice_at(size_t i);

/*
 * Apply for revocation. keyCompromise suspends the certificate at once
 * (certificateHold) until the verifier decides (the caller has the owner's
 * confirmation of that: the CLI's command is it; the API asks with
 * ra_apply_revocation_choice); its invalidity date, when given, must not be
 * in the future or before the certificate's notBefore.
 */
int ra_apply_revocation(ra *r, const ra_actor *by, const char *owner, const ra_revocation *rv,
                        int64_t *app_id, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/* A revocation request in the owner's words. */
typedef struct ra_revocation_request {
    const char *choice;      /* an ra_revocation_choice name ("kunci_hilang") */
    int64_t invalidity_date; /* choices that take one; 0: not given */
    const char *note;        /* free text for the verifier, may be NULL */
    int confirmed;           /* the owner confirmed a choice that suspends at once */
} ra_revocation_request;

/*
 * Apply for revocation with one of the choices: ra_apply_revocation with
 * the choice's reason, the choice recorded with the application. A choice
 * that suspends at once without q->confirmed, an unknown choice, and a date
 * with a choice that takes none are SERTEL_ERR_INVALID, before anything
 * changes.
 */
int ra_apply_revocation_choice(ra *r, const ra_actor *by, const char *owner,
                               const ra_revocation_request *q, int64_t *app_id,
                               sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/* The applicant withdraws a pending or returned application. */
int ra_withdraw(ra *r, const ra_actor *by, const char *owner, int64_t app_id,
                sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* One application, for listings. */
typedef struct ra_application {
    int64_t id;
    char kind[16];  /* issuance | renewal | update | revocation */
    char state[16]; /* pending | returned | approved | rejected | withdrawn | completed | cancelled
                     */
    char email[256];
    char name[256];
    char nik[17];
    int64_t agency_id;
    char letter_sha256[65];
    char ktp_sha256[65];
    char cert_serial[41];
    int reason;              /* revocation reason, -1 if none */
    int64_t invalidity_date; /* keyCompromise: the date the owner gave, 0 if none */
    char note[512];
    int64_t created_at;
    int64_t account_id; /* the applicant's account */
    /* added with schema 8 */
    char unit[256]; /* the person's registered unit and position ("" when not registered) */
    char position[256];
    char new_unit[256]; /* update: the new values ("" when unchanged) */
    char new_position[256];
    char reason_choice[24]; /* revocation: the owner's choice, "" when none */
    int64_t updated_at;
    int64_t decided_at; /* 0 when not decided */
} ra_application;

typedef int (*ra_application_fn)(const ra_application *a, void *arg);

/* The pending applications a verifier (or admin) may decide, oldest first. */
int ra_review_list(ra *r, const ra_actor *by, ra_application_fn fn, void *arg,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* Read one application (the actor must be allowed to see it). */
int ra_application_get(ra *r, const ra_actor *by, int64_t id, ra_application *out,
                       sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4);

/*
 * Applications, newest first: with own only by's own (an account's own
 * applications, whatever its role); otherwise every one by may see
 * (RA_ACT_APPLICATION_VIEW's reach: its own, its agency's, or all). state
 * (NULL: any) filters by state; before_id (0: none) continues a listing
 * below that id; at most limit (1..500) are passed to fn, which may stop
 * the listing by returning non-zero. *more (may be NULL) is set to 1 when
 * more rows matched than were passed.
 */
int ra_application_list(ra *r, const ra_actor *by, int own, const char *state, int64_t before_id,
                        int limit, ra_application_fn fn, void *arg, int *more,
                        sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 7);

/* One step in an application's life. */
typedef struct ra_app_step {
    int64_t at;
    char actor[256]; /* who (an e-mail, "local administrator", "system") */
    char event[16];  /* submitted, resubmitted, approved, rejected, returned, withdrawn,
                        completed, cancelled, settled */
    char state[16];  /* the state it left the application in */
    char note[512];  /* a decision's reason, or "" */
} ra_app_step;

typedef int (*ra_app_step_fn)(const ra_app_step *s, void *arg);

/*
 * The history of application id, oldest first (the actor must be allowed
 * to see the application). Each step is written in the same transaction
 * as the change it records.
 */
int ra_application_history(ra *r, const ra_actor *by, int64_t id, ra_app_step_fn fn, void *arg,
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
 * Create the passphrase with the single-use token from the approval mail
 * (by: the token's owner, the local administrator on their behalf, or
 * NULL: whoever holds the token without logging in - the token mailed to
 * the owner is the credential, as a confirmation link's is; the audit
 * entry names the owner "via" the token):
 * generates the key pair on the server, encrypts the private key under
 * Argon2id(passphrase) combined with the server secret, issues the
 * certificate (revoking the old one as superseded for a renewal) and
 * completes the application, in one transaction. A renewal whose
 * certificate has meanwhile been suspended or revoked issues nothing.
 * serial_out (>= 41 bytes) receives the new certificate's serial.
 */
int ra_passphrase_create(ra *r, const ra_actor *by, const char *token, const char *passphrase,
                         char *serial_out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3, 4);

/* What an authorized signer gets: the unlocked key and its chain. */
typedef struct ra_signer {
    EVP_PKEY *key;          /* the owner's private key (wiped on free) */
    X509 *cert;             /* the owner's certificate */
    STACK_OF(X509) * chain; /* issuing CA, root */
    int64_t account_id;
    char position[129]; /* the position (jabatan) registered, for a visible stamp; "" when none */
} ra_signer;

void ra_signer_free(ra_signer *s);

/*
 * Unlock an owner's key for one signing operation or one batch (by: the
 * owner, or the local administrator on their behalf): status must be
 * ISSUE, the account not locked, the passphrase right and, where [signing]
 * second_factor asks for it, the TOTP or e-mailed code right.
 *
 * Attempt accounting (auth.c): every attempt is reserved - counted as
 * failed, in its own committed transaction - before the slow key
 * derivation, and settled after it, so parallel guesses count one by one.
 * After lockout_after (5) failures in a row signing locks for
 * lockout_minutes (30), after lockout_hard_after (10) until a verifier
 * unlocks it; the owner is mailed when a lock starts. Attempts during a
 * lock are refused without being counted.
 *
 * One answer for every refusal: an unknown account, a locked account, a
 * wrong passphrase, a right passphrase with a wrong or missing second
 * factor, and a certificate that may not sign (suspended, revoked,
 * expired) all take the same work and get SERTEL_ERR_DENIED with the same
 * message; none resets the counter. When an attempt or its audit entry
 * cannot be recorded the answer is SERTEL_ERR_BUSY ("try again later"),
 * for right and wrong passphrases alike. A missing code when the
 * configuration asks for one is SERTEL_ERR_INVALID before any work.
 */
int ra_sign_authorize(ra *r, const ra_actor *by, const char *owner, const char *passphrase,
                      const char *otp, ra_signer **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3, 4, 6);

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

/*
 * Finish an owner's signed output the one way the register allows: take
 * the SHA-256 of what was written to out (opened with FS_OUTPUT_SHA256),
 * record the document (ra_sign_record_digest), and only then commit the
 * output. When the record fails the output is abandoned (a regular file
 * is never put in place; a device, FIFO or stdout already received the
 * bytes, and the message says to discard them). Takes out over in every
 * case. id receives the document id.
 */
int ra_sign_commit(ra *r, const ra_signer *s, fs_output *out, const char *level, char id[33],
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4, 5);

#define RA_DOC_ID_LEN 32 /* hex digits of a document id (128 random bits) */

/*
 * Draw a new document id: 128 bits from the CSPRNG as 32 lower-case hex
 * digits (BSrE's id_dokumen). Drawn before signing when the signed file
 * itself carries the id (the QR code's <base_url>/verify/<id>).
 */
void ra_doc_id_new(char id[RA_DOC_ID_LEN + 1]) SERTEL_NONNULL(1);

/* What the register keeps about a signed document besides its hash, for its public page. */
typedef struct ra_doc_meta {
    const char *name; /* the document's file name, without directories (NULL: unknown) */
    int64_t pages;    /* its page count (0: unknown) */
} ra_doc_meta;

/* One document to record with an id the caller drew (ra_doc_id_new). */
typedef struct ra_sign_rec {
    char id[RA_DOC_ID_LEN + 1];
    unsigned char md[32]; /* SHA-256 of the signed file as handed out */
    const char *level;    /* "B-T", "CAdES B-B", ... (borrowed) */
    ra_doc_meta meta;     /* name (borrowed) and page count; zeroed: unknown */
} ra_sign_rec;

/*
 * Record n documents the owner of s signed, with the ids the caller drew,
 * in ONE durable transaction (a batch under one authorization is one
 * commit): a signed_documents row and a doc.signed audit entry each. A
 * name that is not printable UTF-8 text of at most 255 bytes
 * (text_check_field) is recorded as unknown rather than failing the
 * signature. An id
 * must be 32 lower-case hex digits (else SERTEL_ERR_INVALID); an id that
 * is in the register already is an error, never an overwrite
 * (SERTEL_ERR_EXISTS, and nothing of the batch is recorded). Errors:
 * those of the store (SERTEL_ERR_BUSY, SERTEL_ERR_STORE): nothing recorded.
 */
int ra_sign_record_ids(ra *r, const ra_signer *s, const ra_sign_rec *recs, size_t n,
                       sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/*
 * ra_sign_commit with an id the caller drew before signing (id is read,
 * not written) and what more the register keeps (meta, NULL: nothing):
 * record the SHA-256 of what was written to out under id, then commit
 * out. Takes out over in every case, as ra_sign_commit.
 */
int ra_sign_commit_id(ra *r, const ra_signer *s, fs_output *out, const char *level,
                      const ra_doc_meta *meta, const char id[RA_DOC_ID_LEN + 1],
                      sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4, 6);

/* ra_sign_record_digest that also records meta (NULL: nothing more). */
int ra_sign_record_digest_ex(ra *r, const ra_signer *s, const unsigned char md[32],
                             const char *level, const ra_doc_meta *meta, char id[33],
                             sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4, 6);

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
 * email, else all; only those by may see (RA_ACT_DOC_VIEW: the owner's
 * own, the agency's for its verifier, all for administrators and
 * auditors). *count receives how many were passed to fn.
 */
int ra_doc_query(ra *r, const ra_actor *by, const char *id, const unsigned char *sha256,
                 const char *email, ra_doc_fn fn, void *arg, size_t *count,
                 sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 6, 8);

/*
 * What anyone holding a document's id may know of it - the id is printed
 * in the stamp's QR code and is 128 random bits, and this is what the
 * stamp itself shows, plus the certificate's status now: the public
 * verification page (<base URL>/verify/<id>). The register keeps no copy
 * of the content: checking the file itself is pdf_verify's.
 */
typedef struct ra_doc_public {
    char id[33];
    int64_t signed_at;
    char level[32];
    char name[256]; /* "" when not recorded */
    int64_t pages;  /* 0 when not recorded */
    char signer_name[256];
    char signer_position[256];
    char signer_unit[256];
    char agency[256];
    char cert_serial[41];
    char cert_status[16]; /* valid | suspended | revoked | expired */
    int64_t cert_not_after;
    int64_t revoked_at;         /* 0 unless suspended or revoked */
    char revocation_reason[32]; /* RFC 5280 name, "" unless revoked or suspended */
} ra_doc_public;

/*
 * The public facts of document id (32 lower-case hex digits; anything else
 * is SERTEL_ERR_NOTFOUND, like an unknown id).
 */
int ra_doc_lookup(ra *r, const char *id, ra_doc_public *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/*
 * ra_sign_authorize for the owner with this NIK (BSrE's v1 API names the
 * signer by NIK): the NIK's format is checked (SERTEL_ERR_INVALID); an
 * unknown NIK takes the unknown-account path, the same work and answer as
 * a wrong passphrase (audited with the actor "unknown NIK").
 */
int ra_sign_authorize_nik(ra *r, const ra_actor *by, const char *nik, const char *passphrase,
                          const char *otp, ra_signer **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3, 4, 6);

/*
 * Enrol TOTP: the passphrase goes through the same attempt accounting as
 * signing (counted, refused while locked, one answer for every refusal).
 * When an authenticator is already enrolled, otp must be a current code of
 * it (re-enrolment needs the current factor); when none is and [signing]
 * second_factor = email, otp must be an e-mailed code (switching factor);
 * after a verifier's ra_totp_reset the passphrase alone enrols. uri_out
 * (TOTP_URI_MAX) receives the otpauth:// URI: it carries the new secret.
 * Audited as totp.enrolled.
 */
int ra_totp_enroll(ra *r, const ra_actor *by, const char *owner, const char *passphrase,
                   const char *otp, char *uri_out, size_t cap, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3, 4, 6);

/*
 * A verifier of the owner's agency (or an administrator; never for their
 * own account) removes the owner's enrolled authenticator, so that the
 * owner can enrol a new one with the passphrase (a lost phone). The owner
 * may be any account: a staff member's login authenticator is reset the
 * same way (it enrols a new one at its next login). Audited as totp.reset.
 */
int ra_totp_reset(ra *r, const ra_actor *by, const char *owner, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/*
 * Mail a one-time signing code (valid 5 minutes) to the owner. An unknown
 * account gets the same answer and nothing is sent.
 */
int ra_email_otp_send(ra *r, const ra_actor *by, const char *owner, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/* A verifier of the owner's agency (or an admin; not their own) lifts a signing lock. */
int ra_unlock(ra *r, const ra_actor *by, const char *owner, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/*
 * Revoke directly (a verifier of the owner's agency, or an administrator;
 * never their own certificate): the certificate is revoked and its key
 * destroyed; the person's unfinished issuance and renewal applications are
 * cancelled and their passphrase links stop working. certificateHold
 * suspends instead (the key is kept).
 */
int ra_cert_revoke(ra *r, const ra_actor *by, const char *serial, const ra_revocation *rv,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/* --- for staff: agencies, accounts, an application's documents, the audit log (staff.c) --- */

/* An agency as listed. The domains are borrowed for the callback only. */
typedef struct ra_agency {
    int64_t id;
    char name[256];
    int64_t created_at;
    const char *const *domains; /* its official e-mail domains, sorted */
    size_t ndomains;
    int64_t people;    /* persons registered for it */
    int64_t verifiers; /* its verifier accounts */
} ra_agency;

typedef int (*ra_agency_fn)(const ra_agency *a, void *arg);

/*
 * The agencies by may see (RA_ACT_AGENCY_VIEW: administrators and auditors
 * all, a verifier or applicant its own), by id, each once to fn (a
 * non-zero return stops the listing and is returned). SERTEL_ERR_DENIED
 * when by may see none.
 */
int ra_agency_list(ra *r, const ra_actor *by, ra_agency_fn fn, void *arg,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3);

/* An account as staff see it: who, which role and agency, its sign-in and signing state. */
typedef struct ra_account {
    int64_t id;
    char email[256];
    char name[256];
    char role[16];
    int64_t agency_id; /* 0 when none */
    int64_t created_at;
    int password_set;    /* a login password is set */
    int factor_enrolled; /* an authenticator is enrolled */
    int person;          /* a registered person (may hold a certificate) */
    char nik[17];        /* person: the NIK */
    char unit[256];      /* person: work unit and position */
    char position[256];
    int email_confirmed;  /* person: the e-mail address was confirmed */
    int signing_locked;   /* person: signing is locked (for a while, or until unlocked) */
    char status[32];      /* person: BSrE's status (ra_status_name), "" otherwise */
    char cert_serial[41]; /* person: the newest certificate (hex serial), "" for none */
} ra_account;

typedef int (*ra_account_fn)(const ra_account *a, void *arg);

/* Which accounts a listing wants (0 / NULL: any). */
typedef struct ra_account_filter {
    const char *role;  /* RA_ROLE_* */
    int64_t agency_id; /* one agency's */
    int64_t after;     /* ids greater than this (paging) */
    size_t limit;      /* at most this many (0: no limit) */
} ra_account_filter;

/*
 * The accounts by may see (RA_ACT_ACCOUNT_VIEW: administrators and
 * auditors all, a verifier its agency's, anyone its own) that match f
 * (NULL: all), by id. fn as for ra_agency_list. *count (if not NULL)
 * receives how many were passed to fn.
 */
int ra_account_list(ra *r, const ra_actor *by, const ra_account_filter *f, ra_account_fn fn,
                    void *arg, size_t *count, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 4);

/*
 * One account by id, when by may see it (RA_ACT_ACCOUNT_VIEW). An account
 * by may not see gets the same SERTEL_ERR_NOTFOUND as one that does not
 * exist, so that ids are not confirmed to those who may not know them.
 */
int ra_account_get(ra *r, const ra_actor *by, int64_t id, ra_account *out,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 4);

/* An application's document as listed (ra_application_documents). */
typedef struct ra_document {
    char kind[16];   /* "letter" | "ktp" */
    char sha256[65]; /* of the stored file */
    int64_t size;    /* bytes; -1 when the uploads table has no record of it */
    char path[4200]; /* the stored file (for the CA host's operator) */
} ra_document;

/*
 * The documents of application app_id, for those who may read them
 * (RA_ACT_APPLICATION_DOCS, as ra_application_file): what is stored, not
 * the bytes, so nothing is audited. *n receives 0 to 2 (renewals, updates
 * and revocations have none). SERTEL_ERR_NOTFOUND for an unknown
 * application, SERTEL_ERR_DENIED for a reader the policy refuses.
 */
int ra_application_documents(ra *r, const ra_actor *by, int64_t app_id, ra_document out[2],
                             size_t *n, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4, 5);

/* An application's document as stored (ra_application_file). */
typedef struct ra_app_file {
    unsigned char *data; /* the file (malloc'ed; ra_app_file_clear frees it) */
    size_t len;
    char content_type[32]; /* application/pdf, image/jpeg or image/png: what the upload check made
                              of it, never a type a browser runs */
    char filename[64];     /* "application-12-letter.pdf": a name for a download */
    char sha256[65];
} ra_app_file;

/*
 * Read the recommendation letter (which "letter") or the e-KTP scan
 * ("ktp") of application app_id, for a verifier of the applicant's agency
 * or an administrator (RA_ACT_APPLICATION_DOCS). The file is read back from
 * the uploads without following links and checked against its recorded
 * SHA-256. Each read is audited (application.document_viewed, naming the
 * reader, the application and the document) and committed before the
 * bytes are handed out; when it cannot be recorded nothing is handed out
 * (SERTEL_ERR_BUSY). SERTEL_ERR_NOTFOUND for an unknown application or
 * document (a renewal has none), SERTEL_ERR_INVALID for another which.
 */
int ra_application_file(ra *r, const ra_actor *by, int64_t app_id, const char *which,
                        ra_app_file *out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4, 5);
/* Free what ra_application_file handed out. NULL-safe. */
void ra_app_file_clear(ra_app_file *f);

/* The most entries one listing or export page gives. */
#define RA_AUDIT_EXPORT_MAX 10000

/*
 * Entries of the audit log for by (RA_ACT_AUDIT_VIEW with a reach over
 * everything: administrators, auditors, the local administrator; the log
 * is read whole or not at all) that f selects (audit_read), oldest first,
 * each with the fields its hash covers: f->after 0 or more, f->limit 1 to
 * RA_AUDIT_EXPORT_MAX (a longer listing goes on from the last seq seen).
 * *count (if not NULL) receives how many were passed to fn.
 * SERTEL_ERR_DENIED for anyone else, SERTEL_ERR_INVALID for another range.
 */
int ra_audit_list(ra *r, const ra_actor *by, const audit_filter *f, audit_entry_fn fn, void *arg,
                  size_t *count, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/*
 * An export of the audit log for by (RA_ACT_AUDIT_VIEW), to be checked
 * away from the CA: first the export itself is audited (audit.exported)
 * and committed; then *head receives the current signed head (the text of
 * `sertel audit head`, malloc'ed, the caller frees it) and *head_seq its
 * seq, and fn gets the entries after `after` up to the head's seq, at most
 * limit (1 to RA_AUDIT_EXPORT_MAX). The last page's last entry is the
 * head's: its hash is the head's hash. SERTEL_ERR_NOTFOUND when the log
 * has no signed head yet.
 */
int ra_audit_export(ra *r, const ra_actor *by, int64_t after, size_t limit, char **head,
                    size_t *head_len, int64_t *head_seq, audit_entry_fn fn, void *arg,
                    size_t *count, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 5, 6, 7, 8);

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

/* Why a signing authorization was refused, for an actor allowed to know (ra_sign_authorize_ex). */
typedef enum ra_refusal {
    RA_REFUSAL_NONE = 0,    /* authorized */
    RA_REFUSAL_CREDENTIALS, /* passphrase or second factor wrong, or no such person */
    RA_REFUSAL_LOCKED,      /* signing is locked after repeated failures */
    RA_REFUSAL_STATUS,      /* the person's status is not ISSUE (status says which) */
} ra_refusal;

typedef struct ra_sign_why {
    ra_refusal refusal;
    int64_t retry_after; /* RA_REFUSAL_LOCKED: seconds until the lock ends; 0: until a
                            verifier unlocks it */
    ra_status status;    /* RA_REFUSAL_STATUS: the person's status */
} ra_sign_why;

/*
 * ra_sign_authorize naming the owner by e-mail (email) or by NIK (nik,
 * email NULL), with the reason of a refusal in *why (may be NULL). The
 * attempt is accounted exactly as ra_sign_authorize's, and the refusal is
 * still SERTEL_ERR_DENIED with the one message; why says more, and only
 * what does not depend on the passphrase: LOCKED when a lock was in force
 * (the attempt not counted), else STATUS when the person may not sign
 * (whatever the passphrase), else CREDENTIALS. A wrong passphrase and a
 * right one with a wrong second factor are the same CREDENTIALS, so the
 * answer is never an oracle for the passphrase. An unknown person, and a
 * person by may not act for whose status by may not see either (another
 * agency's, for an API client), take the unknown-account path (same work,
 * CREDENTIALS): their existence is not disclosed.
 */
int ra_sign_authorize_ex(ra *r, const ra_actor *by, const char *email, const char *nik,
                         const char *passphrase, const char *otp, ra_signer **out, ra_sign_why *why,
                         sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 5, 7);

/*
 * Must a signing authorization by `by` carry a one-time code? *needed is 1
 * when [signing] second_factor asks for two factors (PP 71/2019 art.
 * 63-64) and by is not an API client registered as vouching for its own
 * user's login (ra_client.vouches_login, read from the store, the client
 * not disabled); 0 otherwise. ra_sign_authorize applies the same rule (a
 * vouched authorization is audited with the client's id); callers that
 * cannot carry a code (BSrE's v1) ask first to refuse clearly. Errors:
 * the store's.
 */
int ra_sign_factor_needed(ra *r, const ra_actor *by, int *needed, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 3);

/* --- signing sessions (signsess.c): BSrE v2's "totp" --- */

#define RA_SIGN_SESSION_CODE_LEN 32 /* hex of 16 random bytes */

/* What a new signing session allows. */
typedef struct ra_sign_session_info {
    int64_t expires_at; /* Unix seconds */
    int64_t uses;       /* signing requests it may authorize */
} ra_sign_session_info;

/*
 * Open a short signing session for an owner (by email, or with email NULL
 * by nik): the full authorization of ra_sign_authorize(_nik) - the
 * passphrase, the second factor, the attempt accounting and lockout, the
 * policy (by may sign for the owner) - then the owner's key re-wrapped
 * under a fresh 128-bit code: XChaCha20-Poly1305 under BLAKE2b-256(key =
 * server secret, label || code), bound to the session and the account, and
 * stored (table sign_sessions) with an expiry ([api] totp_session_seconds,
 * 300) and a use limit ([api] totp_session_uses, 10). The unwrapped key is
 * freed before this returns; the code (code_out, RA_SIGN_SESSION_CODE_LEN
 * hex digits + NUL) is shown once and stored only as a keyed hash. The
 * session belongs to by: only the same actor may use it. At most 16 live
 * sessions per owner (SERTEL_ERR_STATE beyond). Audited (sign.authorized,
 * signsess.opened). Errors, and *why (may be NULL), as
 * ra_sign_authorize_ex's.
 */
int ra_sign_session_open(ra *r, const ra_actor *by, const char *email, const char *nik,
                         const char *passphrase, const char *otp,
                         char code_out[RA_SIGN_SESSION_CODE_LEN + 1], ra_sign_session_info *info,
                         ra_sign_why *why, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 5, 7, 8);

/*
 * Authorize one signing request with a session's code instead of the
 * passphrase: the owner (email, or nik) is checked against the policy as
 * for ra_sign_authorize; a lock in force refuses; a wrong, expired, used
 * up or another actor's code counts as a failed attempt toward the same
 * signing lockout as a wrong passphrase (lockout_after, lockout_hard_after);
 * the owner's status must be ISSUE with the session's certificate. On
 * success the key is unwrapped into *out (free with ra_signer_free after
 * this request: no unlocked key outlives it) and one use is spent (the row
 * is deleted with its last). One transaction: counted, spent and audited
 * (sign.authorized / sign.denied with "credential": "signing_session") together, or
 * SERTEL_ERR_BUSY and nothing done. Every refusal is the same
 * SERTEL_ERR_DENIED as ra_sign_authorize's; *why (may be NULL) says what
 * ra_sign_authorize_ex's would: LOCKED, STATUS, else CREDENTIALS (a wrong,
 * expired, used-up or another actor's code alike).
 */
int ra_sign_session_use(ra *r, const ra_actor *by, const char *email, const char *nik,
                        const char *code, ra_signer **out, ra_sign_why *why,
                        sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 5, 6);

/* Delete the sessions that expired by now; *n (may be NULL) their number. Audited when any. */
int ra_sign_session_purge(ra *r, int64_t now, size_t *n, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1);

/* --- signed files kept for one download (download.c): BSrE v1's download --- */

/*
 * Keep the signed file of register document doc_id for one download by
 * the API client by (RA_ROLE_CLIENT; RA_ACT_DOC_VIEW over the document's
 * owner): stored in the store (table signed_downloads) until it is
 * downloaded or [api] download_retention_hours (24) have passed. Audited
 * (download.kept). SERTEL_ERR_NOTFOUND for a document not in the register,
 * SERTEL_ERR_EXISTS when it is kept already.
 */
int ra_download_keep(ra *r, const ra_actor *by, const char *doc_id, const unsigned char *data,
                     size_t len, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/*
 * Take a kept file, once: *out (malloc'ed, caller frees) and *len. The
 * content is deleted and the download audited (download.taken) in one
 * transaction committed before the bytes are handed out. Only the client
 * that kept it: any other caller, an unknown id and an expired one get
 * SERTEL_ERR_NOTFOUND; a second download within the retention
 * SERTEL_ERR_STATE ("already downloaded": BSrE's 4044).
 */
int ra_download_take(ra *r, const ra_actor *by, const char *doc_id, unsigned char **out,
                     size_t *len, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4, 5);

/*
 * Delete the kept files (and the marks of downloaded ones) whose retention
 * ended by now; *n (may be NULL) their number. Audited (download.purged)
 * when any. Run by the server at start and periodically.
 */
int ra_download_purge(ra *r, int64_t now, size_t *n, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/*
 * The status of the person with this NIK (NOT_REGISTERED when unknown).
 * A NIK that is not 16 digits of a valid shape is SERTEL_ERR_INVALID.
 */
int ra_status_by_nik(ra *r, const char *nik, ra_status *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/*
 * The person's certificate (the newest issued to them, whatever its
 * status) as by may see it (RA_ACT_STATUS_VIEW: the person, the agency's
 * staff, administrators). *out is filled (ca_cert_record_clear frees it);
 * SERTEL_ERR_NOTFOUND when none was issued.
 */
int ra_person_cert(ra *r, const ra_actor *by, const char *email, ca_cert_record *out,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/*
 * The status of the person with this NIK as by may know it: a person by
 * may not see (RA_ACT_STATUS_VIEW: an API client asking about another
 * agency's people) is NOT_REGISTERED, like an unknown NIK. A malformed NIK
 * is SERTEL_ERR_INVALID.
 */
int ra_status_for(ra *r, const ra_actor *by, const char *nik, ra_status *out,
                  sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3, 4);

/*
 * ra_status_for for the person with this e-mail (or, with email NULL, this
 * NIK), visible when by may do act for them (RA_ACT_STATUS_VIEW to ask
 * about a person; RA_ACT_SIGN before signing for one, so that a client
 * signing for its agency learns "not registered" or "no certificate" for
 * its own agency's people and for no one else: anyone else is
 * NOT_REGISTERED). A malformed NIK is SERTEL_ERR_INVALID.
 */
int ra_status_for_ex(ra *r, const ra_actor *by, ra_action act, const char *email, const char *nik,
                     ra_status *out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 6);

/*
 * Housekeeping run by a timer or the server (`sertel notify`): destroys
 * the keys of expired certificates (audited), and mails expiry reminders
 * 30 and 7 days before expiry, once each. *sent (if not NULL) receives the
 * number of mails sent.
 */
int ra_notify(ra *r, time_t now, int *sent, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

#endif
