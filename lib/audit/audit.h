/*
 * audit.h - the tamper-evident audit log.
 *
 * Every security-relevant event (CA created, certificate issued or revoked,
 * key created or destroyed, login, approval, configuration change) is
 * appended to the audit_log table. Entry n carries prev_hash = hash of
 * entry n-1 (32 zero bytes for entry 1) and
 *
 *   hash = SHA-256( "sertel-audit-v1" || u64be(seq) || u64be(ts) ||
 *                   lp(actor) || lp(event) || lp(object) || lp(details) ||
 *                   prev_hash )
 *
 * where lp(x) = u32be(len(x)) || x. Changing, removing or reordering any
 * entry breaks the chain from that entry on.
 *
 * Checkpoints: audit_checkpoint() signs (seq, hash, ts) of the newest entry
 * with the audit key and stores it in audit_checkpoint; the same signed
 * head is mirrored to a file outside the database (<home>/audit.head) after
 * commit. Truncating the log (removing the newest entries, with or without
 * their checkpoints) is then detected: the surviving chain no longer
 * reaches the signed head.
 *
 * Callers append inside their own store transaction, call
 * audit_checkpoint() before store_commit(), and audit_write_head() after
 * the commit succeeded; the event and the change it describes commit
 * together or not at all.
 *
 * The signer is any EVP_PKEY able to sign (a keystore key's
 * ks_key_get0_pkey(), software or PKCS#11); signatures are ECDSA or RSA
 * PKCS#1 v1.5 over SHA-256.
 *
 * Ownership: audit borrows the store and the signing key; both must
 * outlive it. Thread safety: one audit handle per store handle.
 */
#ifndef SERTEL_AUDIT_H
#define SERTEL_AUDIT_H

#include <openssl/evp.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

typedef struct audit audit;

/* Length of entry hashes. */
#define AUDIT_HASH_LEN 32

/*
 * Open the audit log on st. signer may be NULL for a read-only handle
 * (audit_checkpoint then fails). head_path may be NULL to skip the file.
 */
int audit_open(store *st, EVP_PKEY *signer, const char *head_path, audit **out,
               sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 4);
void audit_close(audit *a);

/*
 * Append one event inside the caller's open transaction. actor names who
 * acted ("admin@agency.go.id", "system"); event is a dotted name
 * ("ca.created", "cert.issued"); object what it acted on (a serial, an id);
 * details a JSON object text (may be NULL for "{}"). Must never carry a
 * secret. On success *seq (if not NULL) receives the entry's number.
 */
int audit_append(audit *a, const char *actor, const char *event, const char *object,
                 const char *details, int64_t *seq, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3, 4);

/* Sign the current head into audit_checkpoint (inside the transaction). */
int audit_checkpoint(audit *a, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/* After commit: mirror the newest signed checkpoint to head_path. */
int audit_write_head(audit *a, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/* Result of a verification. */
typedef struct audit_report {
    int64_t entries;       /* entries read */
    int64_t checkpoints;   /* checkpoints whose signatures verified */
    int64_t first_bad_seq; /* first entry found wrong, 0 when intact */
    char what[512];        /* "entry 17 was altered", ... */
} audit_report;

/*
 * Recompute the whole chain and every checkpoint signature with pub (the
 * audit key's public key) and compare with the head file (if head_path is
 * not NULL and exists). Returns SERTEL_OK when intact, SERTEL_ERR_TAMPERED
 * when not (report says which entry and how: altered, removed, reordered,
 * truncated), another code on error.
 */
int audit_verify(store *st, EVP_PKEY *pub, const char *head_path, audit_report *rep,
                 sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4);

/*
 * audit_append with the details as a JSON object (jansson). details is
 * taken over (decref'ed) in every case, so a caller may pass json_pack(...)
 * directly: a NULL details (json_pack failed) is SERTEL_ERR_NOMEM.
 * Event names are the constants of audit/events.h.
 */
typedef struct json_t json_t;
int audit_append_json(audit *a, const char *actor, const char *event, const char *object,
                      json_t *details, int64_t *seq, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3, 4);

#endif
