/*
 * ca.h - the certificate-authority core: a CA home, issuance, and the
 * certificate records.
 *
 * A home is a directory holding everything one CA needs:
 *
 *   sertel.conf          configuration, profiles included (conf.h, profile.h)
 *   sertel.db            the store (SQLite), 0600
 *   keys/                software keystore (encrypted PKCS#8), 0700
 *   private/master.key   key-encryption secret of the software keystore, 0600
 *   private/pkcs11.pin   the token PIN when keys are in a PKCS#11 token, 0600
 *   audit.head           the newest signed audit checkpoint (audit.h)
 *
 * Opening a home for writing removes temporary files ("*.tmp-XXXXXX") that
 * a crash during an atomic replace left in it and in certs/.
 *   certs/NAME.pem       public copies of the CA certificates
 *   private/subscriber.secret, uploads/, outbox/   the registration authority's (ra.h)
 *
 * ca_backup / ca_restore (backup.c) copy a whole home into one encrypted
 * archive and back into a new home.
 *
 * Issuance (ca_issue, ca_issue_batch) follows one order, always:
 *   build the to-be-signed certificate from the profile -> lint it
 *   (lint.h) -> sign -> insert its row (serial, status, subject, SHA-256
 *   of the DER, the DER) and the audit event in one transaction -> commit
 *   durably -> only then hand the certificate to the caller.
 * A certificate the database does not know therefore never leaves the
 * library. Serial numbers are 16 bytes from the CSPRNG, positive, unique
 * by a database constraint (a collision is retried with a new serial).
 *
 * Ownership: ca_open returns a ca_ctx the caller frees with ca_close.
 * X509 objects returned by ca_issue* are the caller's (X509_free).
 * Thread safety: one ca_ctx per thread; several processes may share a home.
 */
#ifndef SERTEL_CA_H
#define SERTEL_CA_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "audit/audit.h"
#include "ca/profile.h"
#include "conf/conf.h"
#include "keystore/keystore.h"
#include "store/store.h"
#include "util/err.h"

typedef struct ca_ctx ca_ctx;

/* What ca_init needs. Strings are borrowed for the call. */
typedef struct ca_init_opts {
    const char *home;          /* directory to create (must not exist, or be empty) */
    const char *org;           /* organisation name for the CA certificates */
    ks_keytype key_type;       /* type of every CA key */
    const char *base_url;      /* http(s) URL the services will be reachable at */
    const char *policy_oid;    /* certificatePolicies OID; NULL for the default */
    const char *pkcs11_module; /* NULL for software keys */
    const char *pkcs11_token;
    const char *pkcs11_pin;
    const char *admin_email; /* first administrator */
    const char *admin_name;
    const char *admin_password; /* secret; never logged or stored in clear */
    const char *tsa_policy_oid; /* the TSA's policy OID ([tsa] policy_oid); NULL: the default */
    const char *mail_from;      /* [mail] from ("Name <address>"); NULL: MAIL_DEFAULT_FROM */
} ca_init_opts;

/* The default base URL of `sertel init`. */
#define CA_DEFAULT_BASE_URL "http://127.0.0.1:8080"
/*
 * Example policy OIDs, under the arc ITU-T X.660 reserves for examples
 * (2.999): subscriber certificates' certificatePolicies and the TSA's
 * policy until the operator sets the agency's registered OIDs (sertel
 * init --policy-oid / --tsa-policy-oid). ca_oid_is_example tells them.
 */
#define CA_DEFAULT_POLICY_OID "2.999.1.1"
#define CA_DEFAULT_TSA_POLICY_OID "2.999.1.2"

/* 1 when oid (dotted) lies under the example arc 2.999, else 0. */
int ca_oid_is_example(const char *oid) SERTEL_NONNULL(1);

/*
 * 1 when the base URL's host is a loopback address or name (127.0.0.0/8,
 * [::1], localhost), which relying parties elsewhere cannot reach, else 0.
 */
int ca_url_is_loopback(const char *url) SERTEL_NONNULL(1);

/*
 * Create a home: configuration, database, keys, the self-signed root CA
 * (20 years), the issuing CA (10 years), the OCSP-signing and time-stamping
 * certificates, the audit key and the first admin account, all recorded
 * and audited. Built in a temporary directory beside the home and renamed
 * into place at the end: on any failure nothing is left behind (keys made
 * in a PKCS#11 token are destroyed again). An existing non-empty home is
 * refused with SERTEL_ERR_EXISTS and left untouched.
 */
int ca_init(const ca_init_opts *opts, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/* Flags for ca_open. */
#define CA_OPEN_READONLY 0x1 /* no keys, read-only store (show, list, export) */
/*
 * The online services (sertel serve, and the home's TSA and OCSP used
 * in-process by sign): the issuing, OCSP, TSA and audit keys only. The
 * root CA signs only at a ceremony on the command line (the issuing CA's
 * certificate, the root CRL): under this flag ca_authority_key("root")
 * fails with SERTEL_ERR_DENIED, so no root CRL is signed and no
 * root-issued certificate is revoked or released.
 */
#define CA_OPEN_ONLINE 0x2

/*
 * Open an existing home. With CA_OPEN_READONLY the keystore is not
 * opened; issuing is then refused. With CA_OPEN_ONLINE the root key is
 * never loaded. A missing or damaged home gives a message that says so
 * and what to do.
 */
int ca_open(const char *home, int flags, ca_ctx **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 3);
void ca_close(ca_ctx *ca);

/*
 * The base URL of a home's services ([ca] base_url of <home>/sertel.conf,
 * CA_DEFAULT_BASE_URL when unset) into out[cap], read without opening the
 * CA (no database, no keys): what a validation run with this home may
 * fetch from on its own server. SERTEL_ERR_NOTFOUND when home has no
 * sertel.conf; the configuration's errors otherwise (file and key named).
 * Thread safety: reads the file only.
 */
int ca_home_base_url(const char *home, char *out, size_t cap, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/* Borrowed accessors. */
store *ca_get0_store(ca_ctx *ca) SERTEL_NONNULL(1);
const conf *ca_get0_conf(const ca_ctx *ca) SERTEL_NONNULL(1);
const char *ca_get0_home(const ca_ctx *ca) SERTEL_NONNULL(1);
X509 *ca_get0_root_cert(ca_ctx *ca) SERTEL_NONNULL(1);
X509 *ca_get0_issuing_cert(ca_ctx *ca) SERTEL_NONNULL(1);
/* The audit log handle; NULL when opened read-only. */
audit *ca_get0_audit(ca_ctx *ca) SERTEL_NONNULL(1);
/* The path of the audit head file ([audit] head_file under the home); borrowed. */
const char *ca_audit_head_path(const ca_ctx *ca) SERTEL_NONNULL(1);

/*
 * Load one of the CA's own certificates by authority name ("root",
 * "issuing", "ocsp", "tsa"). *out is the caller's.
 */
int ca_authority_cert(ca_ctx *ca, const char *name, X509 **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/* The audit key's public key, for audit verification. Caller frees. */
int ca_audit_public_key(ca_ctx *ca, EVP_PKEY **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/* The subject of a certificate to issue. Strings borrowed, UTF-8. */
typedef struct ca_subject {
    const char *country; /* C; NULL: the profile's country */
    const char *org;     /* O */
    const char *unit;    /* OU, may be NULL */
    const char *name;    /* CN */
    const char *email;   /* rfc822Name in subjectAltName, may be NULL */
} ca_subject;

/* One issuance request. */
typedef struct ca_issue_req {
    const char *profile; /* profile name, e.g. "document-signing" */
    EVP_PKEY *pubkey;    /* the subject's public key (borrowed) */
    ca_subject subject;
    const char *actor;  /* who asked, for the audit log; NULL: "system" */
    int64_t account_id; /* the owner's account, 0 when none */
} ca_issue_req;

/*
 * Issue one certificate from the issuing CA. On success *out is the
 * certificate, already durably recorded and audited.
 */
int ca_issue(ca_ctx *ca, const ca_issue_req *req, X509 **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/*
 * Issue n certificates in one transaction (group commit): all are
 * recorded or none is. out must have room for n pointers; on failure none
 * is returned. n is at most CA_BATCH_MAX.
 */
#define CA_BATCH_MAX 1024
int ca_issue_batch(ca_ctx *ca, const ca_issue_req *reqs, size_t n, X509 **out,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4);

/*
 * Parse a PKCS#10 request (PEM or DER, at most 64 KiB), check its
 * self-signature and key type, and issue it under profile. The subject
 * comes from the request (C, O, OU, CN; anything else is refused) and the
 * email from its subjectAltName or emailAddress attribute.
 */
int ca_issue_csr(ca_ctx *ca, const unsigned char *csr, size_t len, const char *profile,
                 const char *actor, X509 **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 4, 6);

/*
 * Building blocks for callers that issue or revoke as one step of a larger
 * change (the registration authority: "passphrase created, key stored,
 * certificate issued, application completed" is one transaction).
 *
 *   ca_txn_begin -> ca_sign_cert -> ca_record_issued ... -> ca_txn_commit
 *
 * ca_txn_commit signs the audit checkpoint, commits durably, then mirrors
 * the audit head. ca_txn_rollback undoes everything since ca_txn_begin.
 * A certificate returned by ca_sign_cert must not leave the caller before
 * ca_txn_commit has succeeded.
 */
int ca_txn_begin(ca_ctx *ca, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);
int ca_txn_commit(ca_ctx *ca, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);
void ca_txn_rollback(ca_ctx *ca) SERTEL_NONNULL(1);

/* Build, lint and sign one certificate (nothing recorded). */
int ca_sign_cert(ca_ctx *ca, const ca_issue_req *req, X509 **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/* Record a certificate from ca_sign_cert and audit it, inside ca_txn_begin. */
int ca_record_issued(ca_ctx *ca, X509 *x, const ca_issue_req *req, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/* RFC 5280 §5.3.1 reason codes sertel accepts. */
#define CA_REASON_UNSPECIFIED 0
#define CA_REASON_KEY_COMPROMISE 1
#define CA_REASON_AFFILIATION_CHANGED 3
#define CA_REASON_SUPERSEDED 4
#define CA_REASON_CESSATION_OF_OPERATION 5
#define CA_REASON_CERTIFICATE_HOLD 6
#define CA_REASON_PRIVILEGE_WITHDRAWN 9

/* Parse a reason name ("keyCompromise", "superseded", ... or the number). */
int ca_reason_parse(const char *s, int *out) SERTEL_WUR SERTEL_NONNULL(1, 2);
const char *ca_reason_name(int reason);

/*
 * Revoke (or, with CA_REASON_CERTIFICATE_HOLD, suspend) a certificate
 * inside ca_txn_begin. A held certificate may be revoked for good (its
 * revocation time is kept) or released with ca_unhold_in_txn; a revoked
 * one cannot change. invalidity (Unix seconds, 0: none) is RFC 5280
 * §5.3.2's invalidity date, published in the CRL entry; it must lie
 * between the certificate's notBefore and now (SERTEL_ERR_INVALID).
 * SERTEL_ERR_NOTFOUND for an unknown serial, SERTEL_ERR_STATE when
 * already revoked.
 */
int ca_revoke_in_txn(ca_ctx *ca, const char *serial, int reason, int64_t invalidity,
                     const char *actor, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);
int ca_unhold_in_txn(ca_ctx *ca, const char *serial, const char *actor, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/* ca_revoke_in_txn in its own transaction. */
int ca_revoke(ca_ctx *ca, const char *serial, int reason, const char *actor,
              sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/*
 * CRLs (RFC 5280 §5). ca_crl_generate issues a new full CRL for issuer
 * ("issuing" or "root"): the CRL number is taken from the database and
 * always grows (it is persisted with each CRL; never run two CAs from
 * copies of one home: they would publish the same numbers), entries are the issuer's revoked
 * certificates that have not yet expired, with reason codes (absent for
 * unspecified, RFC 5280 §5.3.1) and invalidity dates. nextUpdate is
 * [crl] next_update_hours (24) after thisUpdate for the issuing CA, and
 * [crl] root_next_update_days (365, from 1 to 1825) for the root: the root
 * CRL is signed at a ceremony (sertel crl --root, with the root key), the
 * online services only publish it. Audited as crl.issued. Revocations
 * through ca_revoke_in_txn regenerate the CRL right after ca_txn_commit.
 * Errors: SERTEL_ERR_DENIED for the root under CA_OPEN_ONLINE; the key
 * store's error, prefixed, when the root key cannot be loaded.
 */
int ca_crl_generate(ca_ctx *ca, const char *issuer, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/* The current CRL of issuer (DER, caller frees *der) and its metadata. */
typedef struct ca_crl_info {
    int64_t number;
    int64_t this_update;
    int64_t next_update;
    int64_t epoch; /* revocation epoch it reflects */
} ca_crl_info;
int ca_crl_current(ca_ctx *ca, const char *issuer, unsigned char **der, size_t *len,
                   ca_crl_info *info, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/* The revocation epoch: a counter bumped by every revocation or release. */
int ca_revocation_epoch(ca_ctx *ca, int64_t *out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/*
 * Borrowed: a loaded authority key ("issuing", "audit", "ocsp", "tsa",
 * "root"), loaded on first use. SERTEL_ERR_STATE when opened read-only,
 * SERTEL_ERR_DENIED for "root" when opened with CA_OPEN_ONLINE.
 */
int ca_authority_key(ca_ctx *ca, const char *name, ks_key **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/* The key store label of an authority's current key (authorities.key_label). */
int ca_authority_label(ca_ctx *ca, const char *name, char *out, size_t cap,
                       sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/*
 * Re-key the OCSP responder or the time-stamping authority (name "ocsp" or
 * "tsa"): a new key in the home's key store (label <name>-YYYYMMDD-HHMMSS), a
 * certificate from the issuing CA with the authority's profile and the old
 * certificate's subject, recorded, made current and audited
 * (authority.rekeyed) in one transaction that also moves the authority
 * epoch; then certs/<name>.pem is replaced atomically and, two seconds
 * later (a running server's switch; the call blocks meanwhile), the old key
 * destroyed (key.destroyed). The old certificate is not revoked (revoke it
 * first after a compromise). serial receives the new certificate's serial.
 * Before the commit a failure changes nothing (the new key is removed);
 * after it the error says which final step failed and the new key is in
 * use. Errors: SERTEL_ERR_INVALID (another name), SERTEL_ERR_STATE
 * (read-only), key store, store and crypto errors.
 */
int ca_rekey(ca_ctx *ca, const char *name, const char *actor, char serial[41],
             sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4);

/* A counter moved by every re-key: services reload their keys when it changes. */
int ca_authority_epoch(ca_ctx *ca, int64_t *out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* Drop the cached key of authority name so the next ca_authority_key loads the current one. */
void ca_authority_forget(ca_ctx *ca, const char *name) SERTEL_NONNULL(1, 2);

/* What ca_backup wrote. */
typedef struct ca_backup_info {
    char sha256[65];       /* SHA-256 of the archive file, lower-case hex */
    int64_t bytes;         /* size of the archive file */
    int64_t files;         /* files in it, the database snapshot included */
    int64_t audit_entries; /* audit entries in the database snapshot */
    int64_t created_at;    /* Unix time */
    int pkcs11;            /* 1: the keys are in a PKCS#11 token, NOT in the archive */
    char token[128];       /* that token's label */
    char outside[1024];    /* files the configuration names outside the home (not archived) */
} ca_backup_info;

/*
 * Back up the home of ca (opened for writing) into one encrypted archive
 * at out, which must not exist (format and contents: lib/ca/backup.c;
 * docs/operations.md). The database goes in as a consistent online
 * snapshot (store_snapshot): other processes, `serve` included, keep
 * working meanwhile. password (at least 12 characters) is stretched with
 * Argon2id; it alone protects the CA's keys in the archive. The archive is
 * written beside out, synced, audited as backup.created (its SHA-256 in
 * the details) and only then renamed to out; on failure nothing is left.
 * With a PKCS#11 key store the token's keys are not in the archive
 * (info->pkcs11). actor (NULL: "system") is recorded in the audit log.
 * Errors: SERTEL_ERR_EXISTS (out exists), SERTEL_ERR_INVALID (short
 * password), SERTEL_ERR_STATE (read-only ca), I/O and store errors.
 */
int ca_backup(ca_ctx *ca, const char *out, const char *password, const char *actor,
              ca_backup_info *info, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 5);

/* What ca_restore restored. */
typedef struct ca_restore_info {
    char sha256[65];       /* SHA-256 of the archive file */
    int64_t files;         /* files restored */
    int64_t audit_entries; /* entries of the verified audit chain (before home.restored) */
    int64_t created_at;    /* when the backup was made */
    int pkcs11;            /* 1: the keys are in the PKCS#11 token named by token */
    char token[128];
    char source[1024]; /* the home the backup was made of */
} ca_restore_info;

/*
 * Restore the archive made by ca_backup into a new home at home, which
 * must not exist or be an empty directory (anything else is refused with
 * SERTEL_ERR_EXISTS before the archive is read). The files are written
 * into a temporary directory beside home with their modes (never group- or
 * world-writable; the database 0600), every page of the database is
 * checked, the audit chain is verified with the home's audit key (for a
 * PKCS#11 home the token must be attached), home.restored is audited in
 * the restored home, and the directory is renamed into place last: on any
 * failure nothing is left. Errors: SERTEL_ERR_DENIED (wrong password),
 * SERTEL_ERR_INVALID (not a backup, damaged or truncated archive),
 * SERTEL_ERR_UNSUPPORTED (a newer format), SERTEL_ERR_TAMPERED (the audit
 * chain does not verify), I/O errors. Thread safety: none needed (no
 * shared state).
 */
int ca_restore(const char *archive, const char *home, const char *password, ca_restore_info *info,
               sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/*
 * store_check (store.h) on the database of the home at home, without
 * loading keys or migrating: SERTEL_OK when no damage is found,
 * SERTEL_ERR_STORE (with the finding and the restore step) when the
 * database is damaged or marked so, another code when the check could not
 * run. stats may be NULL.
 */
int ca_store_check(const char *home, int flags, store_check_stats *stats,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/* A certificate's record. Strings are owned by the record. */
typedef struct ca_cert_record {
    char serial[41]; /* lower-case hex */
    char issuer[16]; /* authority name */
    char profile[PROFILE_NAME_MAX];
    char *subject; /* RFC 2253 */
    char *email;   /* may be NULL */
    int64_t not_before, not_after;
    char status[16];       /* "valid" | "revoked" */
    int64_t revoked_at;    /* 0 when not revoked */
    int revocation_reason; /* -1 when not revoked */
    char sha256[65];
    unsigned char *der;
    size_t der_len;
    int64_t account_id;      /* the owner's account, 0 when none (the CA's own, CSR-issued) */
    int64_t invalidity_date; /* RFC 5280 5.3.2, 0 when none */
    int64_t created_at;
} ca_cert_record;

/* Free the strings of a record (not the record). NULL-safe. */
void ca_cert_record_clear(ca_cert_record *r);

/*
 * Look up a certificate by serial (hex, any case, optional ':' separators
 * and leading zeros as printed by openssl). SERTEL_ERR_NOTFOUND when none.
 */
int ca_cert_get(ca_ctx *ca, const char *serial, ca_cert_record *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/*
 * Call fn for every certificate, newest first. fn returns 0 to go on,
 * non-zero to stop (that value is returned). The record is valid only
 * during the call.
 */
typedef int (*ca_cert_fn)(const ca_cert_record *r, void *arg);
int ca_cert_list(ca_ctx *ca, ca_cert_fn fn, void *arg, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/*
 * The newest certificate issued to an account (by issuance order): the one
 * definition of "a person's certificate" every status and signing decision
 * uses. SERTEL_ERR_NOTFOUND when the account holds none.
 */
int ca_cert_newest_of_account(ca_ctx *ca, int64_t account, ca_cert_record *out,
                              sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3);

/*
 * Call fn for each valid certificate of a person (account set) whose
 * notAfter lies in (after, until], soonest first (expiry reminders).
 */
int ca_cert_expiring(ca_ctx *ca, int64_t after, int64_t until, ca_cert_fn fn, void *arg,
                     sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 4);

/* The revocation state of one certificate, as OCSP answers it. */
typedef struct ca_cert_state {
    int found;               /* 0: no such certificate from that issuer */
    int revoked;             /* 1: revoked or suspended */
    int reason;              /* CA_REASON_*, -1 when none */
    int64_t revoked_at;      /* 0 when not revoked */
    int64_t invalidity_date; /* 0 when none */
    int64_t not_after;
} ca_cert_state;

/*
 * The state of the certificate with a normalised serial (lower-case hex,
 * ca_serial_normalize) issued by authority issuer ("issuing", "root").
 * out->found is 0 when there is none.
 */
int ca_cert_status(ca_ctx *ca, const char *issuer, const char *serial, ca_cert_state *out,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/* Normalise a serial given by a user into lower-case hex without leading zeros. */
int ca_serial_normalize(const char *in, char *out, size_t cap) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* An ASN1_TIME as Unix seconds (UTC); 0 when it cannot be read. */
int64_t ca_x509_time(const ASN1_TIME *t);

/* Hex of a certificate's serial, normalised (cap >= 41). */
int ca_serial_hex(const X509 *x, char *out, size_t cap) SERTEL_WUR SERTEL_NONNULL(1, 2);

#endif
