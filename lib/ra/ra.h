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

/* --- listings (list.c) ---
 *
 * Who sees which rows is the policy's: listings of agencies and accounts
 * use the reach of RA_ACT_APPLICATION_VIEW (a person's records): an
 * account sees itself (and its agency), a verifier its own agency's,
 * administrators, auditors and the local administrator everything.
 * Callbacks return 0 to go on; anything else stops the listing and is
 * returned. Strings in the structures are copies (they outlive the row).
 */

/* An agency as listed. */
typedef struct ra_agency {
    int64_t id;
    char name[256];
    char domains[1024]; /* its official e-mail domains, comma-separated, sorted */
    int64_t people;     /* persons registered for it */
    int64_t verifiers;  /* its verifier accounts */
    int64_t created_at;
} ra_agency;

typedef int (*ra_agency_fn)(const ra_agency *a, void *arg);

/* The agencies by may see, by id. SERTEL_ERR_DENIED when it may see none. */
int ra_agency_list(ra *r, const ra_actor *by, ra_agency_fn fn, void *arg,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* An account as listed: a staff member, a registered person, or both. */
typedef struct ra_account {
    int64_t id;
    char email[256];
    char name[256];
    char role[16];     /* RA_ROLE_* */
    int64_t agency_id; /* 0 for none (admins, auditors) */
    int64_t created_at;
    int has_password; /* may log in to the API */
    int has_totp;     /* an authenticator is enrolled */
    /* a registered person (person 1): */
    int person;
    char nik[17];
    char unit[256];
    char position[256];
    int email_confirmed;
    int signing_locked;   /* locked now (for a while, or until a verifier unlocks) */
    char status[32];      /* BSrE's status (ra_status_name) */
    char cert_serial[41]; /* the person's newest certificate, "" for none */
} ra_account;

typedef int (*ra_account_fn)(const ra_account *a, void *arg);

/* The accounts by may see, by id. SERTEL_ERR_DENIED when it may see none. */
int ra_account_list(ra *r, const ra_actor *by, ra_account_fn fn, void *arg,
                    sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* One account (RA_ACT_APPLICATION_VIEW on it). SERTEL_ERR_NOTFOUND, SERTEL_ERR_DENIED. */
int ra_account_get(ra *r, const ra_actor *by, int64_t id, ra_account *out,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4);

/* One step in an application's history: an audit entry that names it. */
typedef struct ra_history {
    int64_t seq; /* the audit entry */
    int64_t ts;
    const char *actor;   /* borrowed for the callback */
    const char *event;   /* AUDIT_* (application.submitted, key.created ...) */
    const char *details; /* the entry's details (JSON object text) */
} ra_history;

typedef int (*ra_history_fn)(const ra_history *h, void *arg);

/*
 * The history of application id (who may see the application may see it):
 * every audit entry whose details name it ("application": id), oldest
 * first - submitted, resubmitted, decided, cancelled, the key made when the
 * passphrase was created.
 */
int ra_application_history(ra *r, const ra_actor *by, int64_t id, ra_history_fn fn, void *arg,
                           sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4);

/* A document of an application as stored (the letter or the e-KTP). */
typedef struct ra_document {
    char kind[16];   /* "letter" | "ktp" */
    char sha256[65]; /* of the stored file */
    int64_t size;    /* bytes; -1 when the record is missing */
    char path[4200]; /* the stored file (for the CA host's operator) */
} ra_document;

/*
 * The documents of application id (who may see the application): *n
 * receives 0 to 2 (renewals and revocations have none).
 */
int ra_application_documents(ra *r, const ra_actor *by, int64_t id, ra_document out[2], size_t *n,
                             sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4, 5);

/*
 * The audit log's entries for those who may read it (RA_ACT_AUDIT_VIEW:
 * administrators, auditors, the local administrator), as audit_list gives
 * them (f NULL: all). SERTEL_ERR_DENIED for anyone else.
 */
int ra_audit_list(ra *r, const ra_actor *by, const audit_filter *f, audit_entry_fn fn, void *arg,
                  int64_t *count, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4);

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
 * reset comes first). uri_out (TOTP_URI_MAX) receives the otpauth:// URI.
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

/* Apply for renewal (from renewal_window_days before expiry, or after it). */
int ra_apply_renewal(ra *r, const ra_actor *by, const char *owner, int64_t *app_id,
                     sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* A revocation as asked for: RFC 5280 §5.3.1 reason and, for keyCompromise, §5.3.2's date. */
typedef struct ra_revocation {
    int reason;              /* CA_REASON_* */
    int64_t invalidity_date; /* when the key is known or suspected to have been compromised;
                                0: not given (the revocation time is used) */
    const char *note;        /* the owner's words for the verifier (applications), may be NULL */
} ra_revocation;

/*
 * Apply for revocation. keyCompromise suspends the certificate at once
 * (certificateHold) until the verifier decides; its invalidity date, when
 * given, must not be in the future or before the certificate's notBefore.
 */
int ra_apply_revocation(ra *r, const ra_actor *by, const char *owner, const ra_revocation *rv,
                        int64_t *app_id, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/* The applicant withdraws a pending or returned application. */
int ra_withdraw(ra *r, const ra_actor *by, const char *owner, int64_t app_id,
                sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* One application, for listings. */
typedef struct ra_application {
    int64_t id;
    char kind[16];  /* issuance | renewal | revocation */
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
 * Create the passphrase with the single-use token from the approval mail
 * (by: the token's owner, or the local administrator on their behalf):
 * generates the key pair on the server, encrypts the private key under
 * Argon2id(passphrase) combined with the server secret, issues the
 * certificate (revoking the old one as superseded for a renewal) and
 * completes the application, in one transaction. A renewal whose
 * certificate has meanwhile been suspended or revoked issues nothing.
 * serial_out (>= 41 bytes) receives the new certificate's serial.
 */
int ra_passphrase_create(ra *r, const ra_actor *by, const char *token, const char *passphrase,
                         char *serial_out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/* What an authorized signer gets: the unlocked key and its chain. */
typedef struct ra_signer {
    EVP_PKEY *key;          /* the owner's private key (wiped on free) */
    X509 *cert;             /* the owner's certificate */
    STACK_OF(X509) * chain; /* issuing CA, root */
    int64_t account_id;
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
 * owner can enrol a new one with the passphrase (a lost phone). Audited as
 * totp.reset.
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

/*
 * The status of the person with this NIK (NOT_REGISTERED when unknown).
 * A NIK that is not 16 digits of a valid shape is SERTEL_ERR_INVALID.
 */
int ra_status_by_nik(ra *r, const char *nik, ra_status *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/*
 * The status of the person with this NIK as by may know it: a person by
 * may not see (RA_ACT_STATUS_VIEW: an API client asking about another
 * agency's people) is NOT_REGISTERED, like an unknown NIK. A malformed NIK
 * is SERTEL_ERR_INVALID.
 */
int ra_status_for(ra *r, const ra_actor *by, const char *nik, ra_status *out,
                  sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3, 4);

/*
 * Housekeeping run by a timer or the server (`sertel notify`): destroys
 * the keys of expired certificates (audited), and mails expiry reminders
 * 30 and 7 days before expiry, once each. *sent (if not NULL) receives the
 * number of mails sent.
 */
int ra_notify(ra *r, time_t now, int *sent, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

#endif
