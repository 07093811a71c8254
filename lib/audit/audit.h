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
 * reaches the signed head, and a missing head file (once the log has
 * entries) is itself reported.
 *
 * The signed head (the head file's text, also what audit_head_get gives):
 *
 *   sertel-audit-head v1\n
 *   seq N\n            decimal, the newest entry the checkpoint covers
 *   hash HEX\n         64 lower-case hex digits: that entry's hash
 *   ts N\n             decimal Unix seconds: that entry's time
 *   signature HEX\n    lower-case hex of the audit key's signature
 *
 * The signature is ECDSA (DER) or RSA PKCS#1 v1.5 with SHA-256 over the 74
 * bytes "sertel-audit-checkpoint-v1" || u64be(seq) || hash || u64be(ts), so
 * `openssl dgst -sha256 -verify AUDIT-PUBLIC-KEY.pem -signature SIG MSG`
 * checks it without sertel (docs/operations.md shows how). An attacker who
 * truncates the log and its checkpoints can rewrite the head file from an
 * older checkpoint without the key; a head kept off the machine
 * (audit_verify_ex with a witness) still catches that.
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

/*
 * Sign the current head into audit_checkpoint (inside the transaction).
 * Refused with SERTEL_ERR_TAMPERED when what was signed before is no longer
 * part of the log (the newest checkpoint or the head file no longer match
 * their entries, or cover more than the log has) and when the head file is
 * missing although the log already has a signed checkpoint (the log may
 * have been cut off: verify it against a head kept elsewhere and restore
 * the file with audit_head_get). Nothing to do (SERTEL_OK) for an empty log.
 */
int audit_checkpoint(audit *a, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/*
 * After commit: mirror the newest signed checkpoint to head_path (atomic
 * replace, 0644). Never moves the file backwards; a malformed head file is
 * kept as evidence (SERTEL_ERR_TAMPERED).
 */
int audit_write_head(audit *a, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/*
 * The current signed head of the log in st, as text in the format above:
 * the newest checkpoint, once its signature verifies with pub (the audit
 * key's public key), entry seq is in the log with that hash and time, and
 * the head file at head_path (NULL: not consulted; missing: fine) neither
 * covers more than the store nor disagrees with it. The head file is read
 * first, so a concurrent writer can only make the store newer.
 *
 * Returns SERTEL_OK with *out (malloc'ed, NUL-terminated, caller frees) and
 * *len; SERTEL_ERR_NOTFOUND when the log has no signed checkpoint yet;
 * SERTEL_ERR_TAMPERED (message says which check failed) when the head the
 * store holds is not one to hand out; another code on error.
 * Thread safety: as the store handle (one thread at a time).
 */
int audit_head_get(store *st, EVP_PKEY *pub, const char *head_path, char **out, size_t *len,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4, 5);

/* Result of a verification. */
typedef struct audit_report {
    int64_t entries;       /* entries read */
    int64_t checkpoints;   /* checkpoints whose signatures verified */
    int64_t first_bad_seq; /* first entry found wrong, 0 when intact */
    char what[512];        /* "entry 17 was altered", ... */
} audit_report;

/* What audit_verify_ex compares the log with besides its own checkpoints. */
typedef struct audit_verify_opts {
    /* The home's head file; NULL: not checked. Once the log has an entry
     * or a checkpoint, a missing head file is tampering. */
    const char *head_path;
    /* A signed head kept elsewhere (text from audit_head_get, e.g. a copy
     * taken off the machine earlier); NULL: none. The log must extend it:
     * its signature must verify with pub, the log must reach its seq, and
     * the entry there must have its hash and time. */
    const unsigned char *witness;
    size_t witness_len;
    const char *witness_name; /* how messages name it (its file); NULL: "(given)" */
} audit_verify_opts;

/*
 * Recompute the whole chain and every checkpoint signature with pub (the
 * audit key's public key), and compare with the head file and the witness
 * of opts. Returns SERTEL_OK when intact, SERTEL_ERR_TAMPERED when not
 * (report says which entry and how: altered, removed, reordered,
 * truncated, diverged from the witness, head file missing),
 * SERTEL_ERR_INVALID when the witness is not a signed head at all, another
 * code on error. Reads only: works on a read-only store.
 */
int audit_verify_ex(store *st, EVP_PKEY *pub, const audit_verify_opts *opts, audit_report *rep,
                    sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/* audit_verify_ex with the head file only (head_path may be NULL). */
int audit_verify(store *st, EVP_PKEY *pub, const char *head_path, audit_report *rep,
                 sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4);

/* One entry as stored: the fields the hash covers, exactly (audit_read). */
typedef struct audit_entry {
    int64_t seq;
    int64_t ts; /* Unix seconds, as hashed */
    /* Borrowed for the callback only; NUL-terminated, with their lengths as
     * hashed (an embedded NUL, which only tampering can put there, is kept
     * in the length). */
    const char *actor, *event, *object, *details;
    size_t actor_len, event_len, object_len, details_len;
    unsigned char prev_hash[AUDIT_HASH_LEN];
    unsigned char hash[AUDIT_HASH_LEN];
} audit_entry;

/* Called once per entry; a non-zero return stops audit_read and is returned. */
typedef int (*audit_entry_fn)(const audit_entry *e, void *arg);

/* Which entries audit_read gives; zeroed fields select nothing out. */
typedef struct audit_filter {
    int64_t after;            /* only entries with seq > after */
    int64_t upto;             /* when > 0, only entries with seq <= upto */
    int64_t since;            /* only entries with ts >= since (Unix seconds) */
    size_t limit;             /* at most this many; 0: no limit */
    const char *event_prefix; /* only events starting with this ("application.") */
    const char *object;       /* only entries about exactly this object */
    const char *details_has;  /* only entries whose details text contains this, as written
                                 (compact JSON, keys sorted: "\"application\":12"); a
                                 pre-filter, the caller checks the parsed details */
} audit_filter;

/*
 * Read the entries of the log in st that f selects (NULL: all) in sequence
 * order, each passed to fn. One query (one snapshot, streamed: memory does
 * not grow with the log); the text filters match literally (LIKE with %, _
 * and \ escaped). Reads only (a read-only store will do); nothing is
 * verified here (that is audit_verify's job), but a row whose fields are
 * missing or whose hashes are not AUDIT_HASH_LEN bytes stops the read with
 * SERTEL_ERR_TAMPERED naming it. Who may read the log is the caller's to
 * decide (ra_audit_list asks the policy). *count (if not NULL) receives the
 * number of entries passed to fn.
 * Thread safety: as the store handle.
 */
int audit_read(store *st, const audit_filter *f, audit_entry_fn fn, void *arg, size_t *count,
               sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3);

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
