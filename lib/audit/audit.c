/*
 * audit.c - the tamper-evident audit log (see audit.h for the hash chain
 * and the checkpoint scheme).
 *
 * Appending reads the newest entry with one indexed SELECT inside the
 * caller's transaction (which holds the write lock), so the chain is
 * always extended from what is committed or pending in that same
 * transaction; nothing about the chain is cached across transactions, only
 * the prepared statements are.
 *
 * Checkpoints sign SHA-256 over
 *   "sertel-audit-checkpoint-v1" || u64be(seq) || hash || u64be(ts)
 * with ECDSA or RSA PKCS#1 v1.5 (whatever the signer's key type gives),
 * where (seq, hash, ts) are those of the newest entry. Before signing, the
 * newest existing checkpoint and the head file (when present) must still
 * match the entries they name: the audit key never signs a history that
 * does not extend what it signed before.
 *
 * The head file mirrors the newest checkpoint outside the database:
 *   sertel-audit-head v1\n seq N\n hash HEX\n ts N\n signature HEX\n
 * A missing head file while checkpoints exist stops signing: the next
 * checkpoint would otherwise bless a log that may have been cut off.
 *
 * Verification streams entries and checkpoints together in one ordered
 * query (a single snapshot; memory does not grow with the log) and stops at
 * the first problem in sequence order. Signed heads from outside the
 * database (the head file, and a witnessed head kept elsewhere) are read
 * before the query starts, so a concurrent writer can only make the
 * database newer than them, never older; each is compared with its entry
 * when the stream passes it, and one beyond the end of the log means the
 * log was truncated.
 */
#include "audit/audit.h"

#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/fs.h"
#include "util/hex.h"
#include "util/fault.h"
#include "util/num.h"

#define ENTRY_TAG "sertel-audit-v1"
#define CP_TAG "sertel-audit-checkpoint-v1"
#define CP_MSG_LEN (sizeof(CP_TAG) - 1 + 8 + AUDIT_HASH_LEN + 8)
#define HEAD_MAGIC "sertel-audit-head v1"

#define FIELD_MAX 1024          /* actor, event, object */
#define DETAILS_MAX (64 * 1024) /* details */
#define SIG_MAX 4096            /* RSA-32768 would fit; real keys are far smaller */
#define HEAD_FILE_MAX (2 * SIG_MAX + 512)

struct audit {
    store *st;
    EVP_PKEY *signer; /* borrowed, may be NULL */
    char *head_path;  /* owned, may be NULL */
    EVP_MD *sha256;
    EVP_MD_CTX *mdctx;
    store_stmt *q_last;   /* newest entry */
    store_stmt *q_insert; /* new entry */
    /* The newest entry before this handle's first append since its last
     * checkpoint; -1 when it appended nothing since. 0 means every entry of
     * the log was appended here: the only log that may be signed without a
     * head file or a checkpoint before (a new one). */
    int64_t base_seq;
};

/* A text column as bytes (embedded NULs included, so nothing hides behind one). */
struct field {
    const unsigned char *p;
    size_t len;
};

/* A parsed head file. */
struct head {
    int64_t seq;
    int64_t ts;
    unsigned char hash[AUDIT_HASH_LEN];
    unsigned char sig[SIG_MAX];
    size_t siglen;
};

static const unsigned char zero_hash[AUDIT_HASH_LEN];

static void put_u64be(unsigned char *p, uint64_t v)
{
    int i;

    for (i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static void put_u32be(unsigned char *p, uint32_t v)
{
    int i;

    for (i = 3; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

/* The entry hash of audit.h. Returns 0, or -1 when a field is too long or the digest fails. */
static int entry_hash(EVP_MD_CTX *ctx, const EVP_MD *md, int64_t seq, int64_t ts,
                      const struct field f[4], const unsigned char prev[AUDIT_HASH_LEN],
                      unsigned char out[AUDIT_HASH_LEN])
{
    unsigned char num[8], len4[4];
    unsigned int outlen = 0;
    int i;

    if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
        EVP_DigestUpdate(ctx, ENTRY_TAG, sizeof(ENTRY_TAG) - 1) != 1)
        return -1;
    put_u64be(num, (uint64_t)seq);
    if (EVP_DigestUpdate(ctx, num, sizeof(num)) != 1)
        return -1;
    put_u64be(num, (uint64_t)ts);
    if (EVP_DigestUpdate(ctx, num, sizeof(num)) != 1)
        return -1;
    for (i = 0; i < 4; i++) {
        if (f[i].len > UINT32_MAX)
            return -1;
        put_u32be(len4, (uint32_t)f[i].len);
        if (EVP_DigestUpdate(ctx, len4, sizeof(len4)) != 1 ||
            EVP_DigestUpdate(ctx, f[i].p, f[i].len) != 1)
            return -1;
    }
    if (EVP_DigestUpdate(ctx, prev, AUDIT_HASH_LEN) != 1 ||
        EVP_DigestFinal_ex(ctx, out, &outlen) != 1 || outlen != AUDIT_HASH_LEN)
        return -1;
    return 0;
}

static void cp_message(unsigned char out[CP_MSG_LEN], int64_t seq,
                       const unsigned char hash[AUDIT_HASH_LEN], int64_t ts)
{
    size_t n = sizeof(CP_TAG) - 1;

    memcpy(out, CP_TAG, n);
    put_u64be(out + n, (uint64_t)seq);
    memcpy(out + n + 8, hash, AUDIT_HASH_LEN);
    put_u64be(out + n + 8 + AUDIT_HASH_LEN, (uint64_t)ts);
}

/*
 * RSA signatures are PKCS#1 v1.5, stated rather than assumed. The classic
 * EVP_DigestSignInit/EVP_DigestVerifyInit are used (not the _ex forms)
 * because PKCS#11 keys from libp11 are "foreign" legacy keys that OpenSSL
 * 3.0 routes through their own methods only on that path (as keystore.c).
 */
static int pkcs1(const EVP_PKEY *key, EVP_PKEY_CTX *pctx)
{
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
        return 1;
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
}

static int cp_sign(EVP_PKEY *key, int64_t seq, const unsigned char hash[AUDIT_HASH_LEN], int64_t ts,
                   unsigned char **sig, size_t *siglen, sertel_err *err)
{
    unsigned char msg[CP_MSG_LEN];
    EVP_MD_CTX *ctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = SERTEL_OK;

    *sig = NULL;
    *siglen = 0;
    cp_message(msg, seq, hash, ts);
    if (fault_hit(FAULT_KEYSTORE))
        return sertel_err_set(err, SERTEL_ERR_TOKEN,
                              "injected key-store failure signing the audit checkpoint");
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key) != 1 || !pkcs1(key, pctx) ||
        EVP_DigestSign(ctx, NULL, &len, msg, sizeof(msg)) != 1 || len == 0) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO,
                                "cannot sign the audit checkpoint: the audit key must be an EC "
                                "or RSA key able to sign SHA-256");
        goto out;
    }
    buf = malloc(len);
    if (buf == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (EVP_DigestSign(ctx, buf, &len, msg, sizeof(msg)) != 1) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "signing the audit checkpoint failed");
        goto out;
    }
    if (len > SIG_MAX) {
        rc = sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                            "the audit key's signatures are too large (%zu bytes)", len);
        goto out;
    }
    *sig = buf;
    *siglen = len;
    buf = NULL;
out:
    free(buf);
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* 1 when sig is a good signature of (seq, hash, ts) by pub, 0 when not. */
static int cp_verify(EVP_MD_CTX *ctx, EVP_PKEY *pub, int64_t seq,
                     const unsigned char hash[AUDIT_HASH_LEN], int64_t ts, const unsigned char *sig,
                     size_t siglen)
{
    unsigned char msg[CP_MSG_LEN];
    EVP_PKEY_CTX *pctx = NULL;
    int ok;

    cp_message(msg, seq, hash, ts);
    EVP_MD_CTX_reset(ctx);
    ok = EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, pub) == 1 && pkcs1(pub, pctx) &&
         EVP_DigestVerify(ctx, sig, siglen, msg, sizeof(msg)) == 1;
    ERR_clear_error();
    return ok;
}

/* Read column col as text bytes. -1 when NULL or absurdly long. */
static int col_field(store_stmt *q, int col, struct field *f)
{
    if (store_col_is_null(q, col))
        return -1;
    f->p = store_col_blob(q, col, &f->len);
    if (f->p == NULL) {
        if (f->len != 0)
            return -1;
        f->p = (const unsigned char *)"";
    }
    return f->len > UINT32_MAX ? -1 : 0;
}

/* Copy column col into out when it is a blob of exactly AUDIT_HASH_LEN bytes; else -1. */
static int col_hash(store_stmt *q, int col, unsigned char out[AUDIT_HASH_LEN])
{
    const void *p;
    size_t len = 0;

    if (store_col_is_null(q, col))
        return -1;
    p = store_col_blob(q, col, &len);
    if (p == NULL || len != AUDIT_HASH_LEN)
        return -1;
    memcpy(out, p, AUDIT_HASH_LEN);
    return 0;
}

/* ---- head file -------------------------------------------------------- */

/* Checked decimal: digits only (a leading '-' when neg is allowed), no overflow. */
static int parse_i64(const char *s, int neg, int64_t *out)
{
    return num_parse_i64z(s, neg ? INT64_MIN : 0, INT64_MAX, out) == SERTEL_OK && s[0] != '+' ? 0
                                                                                              : -1;
}

/*
 * Take the next line of [*p, end) that starts with key; copy its value
 * (NUL-terminated) into val. -1 when the line is missing, has another key
 * or a value longer than cap-1.
 */
static int head_line(const char **p, const char *end, const char *key, char *val, size_t cap)
{
    const char *line = *p, *nl;
    size_t n, klen = strlen(key);

    nl = memchr(line, '\n', (size_t)(end - line));
    if (nl == NULL)
        return -1;
    n = (size_t)(nl - line);
    if (n < klen || memcmp(line, key, klen) != 0 || n - klen >= cap)
        return -1;
    memcpy(val, line + klen, n - klen);
    val[n - klen] = '\0';
    *p = nl + 1;
    return 0;
}

/* Parse a head file. -1 (with why filled) when it is malformed. */
static int head_parse(const unsigned char *buf, size_t len, struct head *h, const char **why)
{
    const char *p = (const char *)buf, *end = p + len;
    char val[2 * SIG_MAX + 2];
    size_t n = 0;

    memset(h, 0, sizeof(*h));
    if (memchr(buf, '\0', len) != NULL) {
        *why = "it contains a NUL byte";
        return -1;
    }
    if (head_line(&p, end, HEAD_MAGIC, val, sizeof(val)) != 0 || val[0] != '\0') {
        *why = "the first line is not '" HEAD_MAGIC "'";
        return -1;
    }
    if (head_line(&p, end, "seq ", val, sizeof(val)) != 0 || parse_i64(val, 0, &h->seq) != 0 ||
        h->seq < 1) {
        *why = "the 'seq' line is missing or not a positive number";
        return -1;
    }
    if (head_line(&p, end, "hash ", val, sizeof(val)) != 0 ||
        hex_decode(val, h->hash, sizeof(h->hash), &n) != SERTEL_OK || n != AUDIT_HASH_LEN) {
        *why = "the 'hash' line is missing or not 64 hex digits";
        return -1;
    }
    if (head_line(&p, end, "ts ", val, sizeof(val)) != 0 || parse_i64(val, 1, &h->ts) != 0) {
        *why = "the 'ts' line is missing or not a number";
        return -1;
    }
    if (head_line(&p, end, "signature ", val, sizeof(val)) != 0 ||
        hex_decode(val, h->sig, sizeof(h->sig), &h->siglen) != SERTEL_OK || h->siglen == 0) {
        *why = "the 'signature' line is missing or not hex";
        return -1;
    }
    if (p != end) {
        *why = "it has extra content after the signature";
        return -1;
    }
    return 0;
}

enum head_state { HEAD_NONE, HEAD_OK, HEAD_BADSIG, HEAD_MALFORMED };

/*
 * Read and parse path. *state is HEAD_NONE when the file does not exist,
 * HEAD_MALFORMED (with *why) when it cannot be parsed, else HEAD_OK (the
 * signature is not checked here). Other failures are returned.
 */
static int head_load(const char *path, struct head *h, enum head_state *state, const char **why,
                     sertel_err *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    sertel_err e = {0};
    int rc;

    *state = HEAD_NONE;
    rc = fs_read_file(path, HEAD_FILE_MAX, &buf, &len, &e);
    if (rc == SERTEL_ERR_NOTFOUND)
        return SERTEL_OK;
    if (rc == SERTEL_ERR_INVALID) {
        *state = HEAD_MALFORMED;
        *why = "it is too large or not a regular file";
        return SERTEL_OK;
    }
    if (rc != SERTEL_OK) {
        if (err != NULL)
            *err = e;
        return rc;
    }
    *state = head_parse(buf, len, h, why) == 0 ? HEAD_OK : HEAD_MALFORMED;
    free(buf);
    return SERTEL_OK;
}

/* The head text of audit.h for (seq, hash, ts, sig); *out malloc'ed, NUL-terminated. */
static int head_format(int64_t seq, const unsigned char hash[AUDIT_HASH_LEN], int64_t ts,
                       const unsigned char *sig, size_t siglen, char **out, size_t *len,
                       sertel_err *err)
{
    char hexhash[2 * AUDIT_HASH_LEN + 1];
    char *hexsig = NULL, *text = NULL;
    size_t cap;
    int n, rc = SERTEL_OK;

    *out = NULL;
    *len = 0;
    if (siglen == 0 || siglen > SIG_MAX)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "audit checkpoint signature of %zu bytes",
                              siglen);
    hexsig = malloc(2 * siglen + 1);
    cap = 2 * siglen + 256;
    text = malloc(cap);
    if (hexsig == NULL || text == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    hex_encode(hash, AUDIT_HASH_LEN, hexhash);
    hex_encode(sig, siglen, hexsig);
    n = snprintf(text, cap, HEAD_MAGIC "\nseq %lld\nhash %s\nts %lld\nsignature %s\n",
                 (long long)seq, hexhash, (long long)ts, hexsig);
    if (n < 0 || (size_t)n >= cap) {
        rc = sertel_err_set(err, SERTEL_ERR_INTERNAL, "formatting the audit head failed");
        goto out;
    }
    *out = text;
    *len = (size_t)n;
    text = NULL;
out:
    free(hexsig);
    free(text);
    return rc;
}

/* ---- handle ----------------------------------------------------------- */

int audit_open(store *st, EVP_PKEY *signer, const char *head_path, audit **out, sertel_err *err)
{
    audit *a = NULL;
    int rc = SERTEL_OK;

    *out = NULL;
    a = calloc(1, sizeof(*a));
    if (a == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    a->st = st;
    a->signer = signer;
    a->base_seq = -1;
    if (head_path != NULL && (a->head_path = strdup(head_path)) == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    a->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    a->mdctx = EVP_MD_CTX_new();
    if (a->sha256 == NULL || a->mdctx == NULL) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "SHA-256 is not available");
        goto out;
    }
    *out = a;
    a = NULL;
out:
    audit_close(a);
    return rc;
}

void audit_close(audit *a)
{
    if (a == NULL)
        return;
    store_finalize(a->q_last);
    store_finalize(a->q_insert);
    EVP_MD_CTX_free(a->mdctx);
    EVP_MD_free(a->sha256);
    free(a->head_path);
    free(a);
}

/* Prepare *q on first use; statements are kept for the handle's life. */
static int stmt(audit *a, store_stmt **q, const char *sql, sertel_err *err)
{
    if (*q != NULL)
        return SERTEL_OK;
    return store_prepare(a->st, sql, q, err);
}

/*
 * The newest entry: *have is 0 for an empty log. A damaged newest entry is
 * SERTEL_ERR_TAMPERED: nothing may be chained onto it.
 */
static int read_last(audit *a, int64_t *seq, unsigned char hash[AUDIT_HASH_LEN], int64_t *ts,
                     int *have, sertel_err *err)
{
    int rc;

    *have = 0;
    *seq = 0;
    *ts = 0;
    memcpy(hash, zero_hash, AUDIT_HASH_LEN);
    rc = stmt(a, &a->q_last, "SELECT seq, ts, hash FROM audit_log ORDER BY seq DESC LIMIT 1", err);
    if (rc != SERTEL_OK)
        return rc;
    rc = store_step(a->q_last, err);
    if (rc == STORE_ROW) {
        *seq = store_col_int64(a->q_last, 0);
        *ts = store_col_int64(a->q_last, 1);
        if (store_col_is_null(a->q_last, 0) || store_col_is_null(a->q_last, 1) || *seq < 1 ||
            *seq == INT64_MAX || col_hash(a->q_last, 2, hash) != 0)
            rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                                "the newest audit log entry is damaged: verify the audit log");
        else
            rc = SERTEL_OK;
        *have = 1;
    }
    store_reset(a->q_last);
    return rc < 0 ? rc : SERTEL_OK;
}

static int check_len(const char *what, const char *v, size_t max, sertel_err *err)
{
    if (strnlen(v, max + 1) > max)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the audit %s is longer than %zu bytes: shorten it", what, max);
    return SERTEL_OK;
}

int audit_append(audit *a, const char *actor, const char *event, const char *object,
                 const char *details, int64_t *seq, sertel_err *err)
{
    unsigned char prev[AUDIT_HASH_LEN], hash[AUDIT_HASH_LEN];
    struct field f[4];
    int64_t last = 0, last_ts = 0, next, ts;
    int rc, have = 0, i;
    const char *v[4];
    time_t now;

    if (seq != NULL)
        *seq = 0;
    if (!store_in_transaction(a->st))
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "an audit event must be appended inside a store transaction (so "
                              "it commits together with the change it records)");
    if (details == NULL)
        details = "{}";
    if ((rc = check_len("actor", actor, FIELD_MAX, err)) != SERTEL_OK ||
        (rc = check_len("event", event, FIELD_MAX, err)) != SERTEL_OK ||
        (rc = check_len("object", object, FIELD_MAX, err)) != SERTEL_OK ||
        (rc = check_len("details", details, DETAILS_MAX, err)) != SERTEL_OK)
        return rc;
    rc = read_last(a, &last, prev, &last_ts, &have, err);
    if (rc != SERTEL_OK)
        return rc;
    if (a->base_seq < 0)
        a->base_seq = last;
    next = last + 1;
    now = time(NULL);
    if (now == (time_t)-1)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "the system clock is not available");
    ts = (int64_t)now;
    v[0] = actor;
    v[1] = event;
    v[2] = object;
    v[3] = details;
    for (i = 0; i < 4; i++) {
        f[i].p = (const unsigned char *)v[i];
        f[i].len = strlen(v[i]);
    }
    if (entry_hash(a->mdctx, a->sha256, next, ts, f, prev, hash) != 0)
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "hashing the audit entry failed");
    rc = stmt(a, &a->q_insert,
              "INSERT INTO audit_log (seq, ts, actor, event, object, details, prev_hash, hash) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              err);
    if (rc == SERTEL_OK)
        rc = store_bind_int64(a->q_insert, 1, next, err);
    if (rc == SERTEL_OK)
        rc = store_bind_int64(a->q_insert, 2, ts, err);
    for (i = 0; i < 4 && rc == SERTEL_OK; i++)
        rc = store_bind_text(a->q_insert, 3 + i, v[i], err);
    if (rc == SERTEL_OK)
        rc = store_bind_blob(a->q_insert, 7, prev, sizeof(prev), err);
    if (rc == SERTEL_OK)
        rc = store_bind_blob(a->q_insert, 8, hash, sizeof(hash), err);
    if (rc == SERTEL_OK)
        rc = store_run(a->q_insert, err);
    if (a->q_insert != NULL)
        store_reset(a->q_insert);
    if (rc != SERTEL_OK) {
        sertel_err_prefix(err, "appending audit entry %lld", (long long)next);
        return rc;
    }
    if (seq != NULL)
        *seq = next;
    return SERTEL_OK;
}

/* ---- checkpoints -------------------------------------------------------- */

/* The stored hash of entry seq; *found 0 when there is no such entry (or it is damaged). */
static int entry_hash_at(store *st, int64_t seq, unsigned char hash[AUDIT_HASH_LEN], int *found,
                         sertel_err *err)
{
    store_stmt *q = NULL;
    int rc;

    *found = 0;
    rc = store_prepare(st, "SELECT hash FROM audit_log WHERE seq = ?", &q, err);
    if (rc == SERTEL_OK)
        rc = store_bind_int64(q, 1, seq, err);
    if (rc == SERTEL_OK)
        rc = store_step(q, err);
    if (rc == STORE_ROW)
        *found = col_hash(q, 0, hash) == 0;
    store_finalize(q);
    return rc < 0 ? rc : SERTEL_OK;
}

/* The newest checkpoint row; *have 0 when there is none. sig/siglen may be NULL. */
static int newest_checkpoint(store *st, int64_t *seq, unsigned char hash[AUDIT_HASH_LEN],
                             int64_t *ts, unsigned char **sig, size_t *siglen, int *have,
                             sertel_err *err)
{
    store_stmt *q = NULL;
    const void *p;
    size_t len = 0;
    int rc;

    *have = 0;
    if (sig != NULL)
        *sig = NULL;
    rc = store_prepare(
        st, "SELECT seq, hash, ts, signature FROM audit_checkpoint ORDER BY seq DESC LIMIT 1", &q,
        err);
    if (rc == SERTEL_OK)
        rc = store_step(q, err);
    if (rc != STORE_ROW)
        goto out;
    *have = 1;
    *seq = store_col_int64(q, 0);
    *ts = store_col_int64(q, 2);
    p = store_col_blob(q, 3, &len);
    if (store_col_is_null(q, 0) || store_col_is_null(q, 2) || *seq < 1 ||
        col_hash(q, 1, hash) != 0 || p == NULL || len == 0 || len > SIG_MAX) {
        rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                            "the newest audit checkpoint is damaged: verify the audit log");
        goto out;
    }
    if (sig != NULL) {
        *sig = malloc(len);
        if (*sig == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            goto out;
        }
        memcpy(*sig, p, len);
        *siglen = len;
    }
    rc = SERTEL_OK;
out:
    store_finalize(q);
    return rc < 0 ? rc : SERTEL_OK;
}

/*
 * Before signing the head at entry last: what was signed before (newest
 * checkpoint, head file) must still be part of this log, so the audit key
 * is never used to bless a truncated or rewritten history.
 */
static int check_extends(audit *a, int64_t last, const unsigned char last_hash[AUDIT_HASH_LEN],
                         int *done, sertel_err *err)
{
    unsigned char chash[AUDIT_HASH_LEN], ehash[AUDIT_HASH_LEN];
    int64_t cseq = 0, cts = 0;
    int rc, have = 0, found = 0;
    enum head_state hs = HEAD_NONE;
    const char *why = "";
    struct head *h = NULL;

    *done = 0;
    rc = newest_checkpoint(a->st, &cseq, chash, &cts, NULL, NULL, &have, err);
    if (rc != SERTEL_OK)
        return rc;
    if (have) {
        if (cseq > last)
            return sertel_err_set(err, SERTEL_ERR_TAMPERED,
                                  "refusing to sign the audit log: it was truncated (a checkpoint "
                                  "covers entry %lld, the log ends at entry %lld): verify the "
                                  "audit log",
                                  (long long)cseq, (long long)last);
        if (cseq == last) {
            memcpy(ehash, last_hash, AUDIT_HASH_LEN);
            found = 1;
        } else {
            rc = entry_hash_at(a->st, cseq, ehash, &found, err);
            if (rc != SERTEL_OK)
                return rc;
        }
        if (!found || CRYPTO_memcmp(ehash, chash, AUDIT_HASH_LEN) != 0)
            return sertel_err_set(err, SERTEL_ERR_TAMPERED,
                                  "refusing to sign the audit log: entry %lld no longer matches "
                                  "its checkpoint: verify the audit log",
                                  (long long)cseq);
        *done = cseq == last;
    }
    if (a->head_path == NULL)
        return SERTEL_OK;
    h = malloc(sizeof(*h));
    if (h == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    rc = head_load(a->head_path, h, &hs, &why, err);
    if (rc != SERTEL_OK)
        goto out;
    if (hs == HEAD_NONE) {
        /* Only a new log, every entry appended here, has no head file yet. */
        if (have)
            rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                                "refusing to sign the audit log: the head file %s is missing but "
                                "the log has signed checkpoints (up to entry %lld), so it may have "
                                "been cut off: check it with 'sertel audit verify --against' and a "
                                "head kept elsewhere, then restore the file with 'sertel audit "
                                "head --out %s'",
                                a->head_path, (long long)cseq, a->head_path);
        else if (a->base_seq != 0)
            rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                                "refusing to sign the audit log: it has entries (up to entry %lld) "
                                "but neither a signed checkpoint nor the head file %s, so "
                                "checkpoints and the head were removed: check the log with "
                                "'sertel audit verify --against' and a head kept elsewhere",
                                (long long)(a->base_seq > 0 ? a->base_seq : last), a->head_path);
        goto out;
    }
    if (hs == HEAD_MALFORMED) {
        rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                            "refusing to sign the audit log: the head file %s is malformed (%s): "
                            "verify the audit log",
                            a->head_path, why);
        goto out;
    }
    if (h->seq > last) {
        rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                            "refusing to sign the audit log: it was truncated (the head file %s "
                            "covers entry %lld, the log ends at entry %lld): verify the audit log",
                            a->head_path, (long long)h->seq, (long long)last);
        goto out;
    }
    rc = entry_hash_at(a->st, h->seq, ehash, &found, err);
    if (rc == SERTEL_OK && (!found || CRYPTO_memcmp(ehash, h->hash, AUDIT_HASH_LEN) != 0))
        rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                            "refusing to sign the audit log: entry %lld no longer matches the "
                            "head file %s: verify the audit log",
                            (long long)h->seq, a->head_path);
out:
    free(h);
    return rc;
}

int audit_checkpoint(audit *a, sertel_err *err)
{
    unsigned char hash[AUDIT_HASH_LEN];
    unsigned char *sig = NULL;
    size_t siglen = 0;
    int64_t seq = 0, ts = 0;
    int rc, have = 0, done = 0;
    store_stmt *q = NULL;

    if (a->signer == NULL)
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "this audit handle has no signing key: open it with the audit key "
                              "to write checkpoints");
    if (!store_in_transaction(a->st))
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "an audit checkpoint must be written inside the store transaction "
                              "that appended the entries");
    rc = read_last(a, &seq, hash, &ts, &have, err);
    if (rc != SERTEL_OK || !have)
        return rc;
    rc = check_extends(a, seq, hash, &done, err);
    if (rc != SERTEL_OK)
        return rc;
    if (done) {
        a->base_seq = -1;
        return SERTEL_OK;
    }
    rc = cp_sign(a->signer, seq, hash, ts, &sig, &siglen, err);
    if (rc != SERTEL_OK)
        goto out;
    rc = store_prepare(
        a->st, "INSERT INTO audit_checkpoint (seq, hash, ts, signature) VALUES (?, ?, ?, ?)", &q,
        err);
    if (rc == SERTEL_OK)
        rc = store_bind_int64(q, 1, seq, err);
    if (rc == SERTEL_OK)
        rc = store_bind_blob(q, 2, hash, sizeof(hash), err);
    if (rc == SERTEL_OK)
        rc = store_bind_int64(q, 3, ts, err);
    if (rc == SERTEL_OK)
        rc = store_bind_blob(q, 4, sig, siglen, err);
    if (rc == SERTEL_OK)
        rc = store_run(q, err);
    if (rc != SERTEL_OK)
        sertel_err_prefix(err, "writing the audit checkpoint at entry %lld", (long long)seq);
    else
        a->base_seq = -1;
out:
    store_finalize(q);
    free(sig);
    return rc;
}

int audit_write_head(audit *a, sertel_err *err)
{
    unsigned char hash[AUDIT_HASH_LEN];
    unsigned char *sig = NULL;
    char *text = NULL;
    size_t siglen = 0, n = 0;
    int64_t seq = 0, ts = 0;
    int rc, have = 0;
    enum head_state hs = HEAD_NONE;
    const char *why = "";
    struct head *old = NULL;

    if (a->head_path == NULL)
        return SERTEL_OK;
    if (store_in_transaction(a->st))
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "the audit head file must be written after the transaction "
                              "committed, not inside it");
    rc = newest_checkpoint(a->st, &seq, hash, &ts, &sig, &siglen, &have, err);
    if (rc != SERTEL_OK || !have)
        goto out;
    old = malloc(sizeof(*old));
    if (old == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = head_load(a->head_path, old, &hs, &why, err);
    if (rc != SERTEL_OK)
        goto out;
    if (hs == HEAD_MALFORMED) {
        /* Keep the evidence: do not replace a damaged head file silently. */
        rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                            "the audit head file %s is malformed (%s): verify the audit log",
                            a->head_path, why);
        goto out;
    }
    if (hs == HEAD_OK && old->seq >= seq)
        goto out; /* another writer already mirrored this or a newer checkpoint */
    rc = head_format(seq, hash, ts, sig, siglen, &text, &n, err);
    if (rc == SERTEL_OK)
        rc = fs_write_atomic(a->head_path, text, n, 0644, err);
out:
    free(old);
    free(text);
    free(sig);
    return rc;
}

int audit_head_get(store *st, EVP_PKEY *pub, const char *head_path, char **out, size_t *len,
                   sertel_err *err)
{
    unsigned char hash[AUDIT_HASH_LEN], ehash[AUDIT_HASH_LEN];
    unsigned char *sig = NULL;
    size_t siglen = 0;
    int64_t seq = 0, ts = 0, ets = 0;
    int rc, have = 0, found = 0;
    enum head_state hs = HEAD_NONE;
    const char *why = "";
    struct head *file = NULL;
    EVP_MD_CTX *ctx = NULL;
    store_stmt *q = NULL;

    *out = NULL;
    *len = 0;
    file = malloc(sizeof(*file));
    ctx = EVP_MD_CTX_new();
    if (file == NULL || ctx == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* The file before the store: a writer in between can only make the store newer. */
    if (head_path != NULL) {
        rc = head_load(head_path, file, &hs, &why, err);
        if (rc != SERTEL_OK)
            goto out;
        if (hs == HEAD_MALFORMED) {
            rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                                "the audit head file %s is malformed (%s): verify the audit log",
                                head_path, why);
            goto out;
        }
    }
    rc = newest_checkpoint(st, &seq, hash, &ts, &sig, &siglen, &have, err);
    if (rc != SERTEL_OK)
        goto out;
    if (!have) {
        if (hs == HEAD_OK)
            rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                                "the database has no signed audit checkpoint, but the head file %s "
                                "covers entry %lld: the log was truncated; verify the audit log",
                                head_path, (long long)file->seq);
        else
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                                "the audit log has no signed checkpoint yet: nothing to show");
        goto out;
    }
    if (!cp_verify(ctx, pub, seq, hash, ts, sig, siglen)) {
        rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                            "the newest audit checkpoint (entry %lld) has a bad signature: verify "
                            "the audit log",
                            (long long)seq);
        goto out;
    }
    /* Its entry must still be there, unchanged. */
    rc = store_prepare(st, "SELECT hash, ts FROM audit_log WHERE seq = ?", &q, err);
    if (rc == SERTEL_OK)
        rc = store_bind_int64(q, 1, seq, err);
    if (rc == SERTEL_OK)
        rc = store_step(q, err);
    if (rc < 0)
        goto out;
    found = rc == STORE_ROW && col_hash(q, 0, ehash) == 0 && !store_col_is_null(q, 1);
    if (found)
        ets = store_col_int64(q, 1);
    store_finalize(q);
    q = NULL;
    if (!found || CRYPTO_memcmp(ehash, hash, AUDIT_HASH_LEN) != 0 || ets != ts) {
        rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                            "entry %lld no longer matches the newest signed checkpoint (removed "
                            "or altered): verify the audit log",
                            (long long)seq);
        goto out;
    }
    if (hs == HEAD_OK) {
        if (file->seq > seq) {
            rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                                "the head file %s covers entry %lld but the database's newest "
                                "checkpoint is at entry %lld: the log was truncated; verify the "
                                "audit log",
                                head_path, (long long)file->seq, (long long)seq);
            goto out;
        }
        rc = entry_hash_at(st, file->seq, ehash, &found, err);
        if (rc != SERTEL_OK)
            goto out;
        if (!found || CRYPTO_memcmp(ehash, file->hash, AUDIT_HASH_LEN) != 0) {
            rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                                "entry %lld no longer matches the head file %s: verify the audit "
                                "log",
                                (long long)file->seq, head_path);
            goto out;
        }
    }
    rc = head_format(seq, hash, ts, sig, siglen, out, len, err);
out:
    store_finalize(q);
    EVP_MD_CTX_free(ctx);
    free(file);
    free(sig);
    return rc;
}

/* ---- verification ------------------------------------------------------ */

/* A signed head kept outside the database, compared with the log. */
struct vhead {
    const char *name; /* the file, for messages */
    int witness;      /* 0: the home's head file, 1: a head kept elsewhere */
    enum head_state state;
    const char *why; /* HEAD_MALFORMED: what is wrong */
    struct head h;
    int done;    /* compared with its entry */
    int cp_seen; /* its checkpoint is in the database */
};

struct verifier {
    audit_report *rep;
    sertel_err *err;
    EVP_PKEY *pub;
    EVP_MD *md;
    EVP_MD_CTX *hctx; /* entry hashes */
    EVP_MD_CTX *vctx; /* signatures */

    int64_t last_seq; /* newest entry accepted so far (0: none) */
    int64_t last_ts;
    unsigned char last_hash[AUDIT_HASH_LEN];
    int64_t good_cp; /* newest checkpoint that matched its entry (0: none) */

    /* Checkpoints past the newest entry seen so far. */
    int64_t beyond_max;     /* highest with a good signature, 0: none */
    int64_t beyond_bad_seq; /* first damaged or badly signed, 0: none */
    char beyond_bad[200];

    /* Signed heads from outside the database: [0] the head file, [1] a witness. */
    struct vhead *heads;
    size_t nheads;
    char range[128]; /* scratch for rewritten() */
};

static int report(struct verifier *v, int64_t seq, const char *fmt, ...) SERTEL_PRINTF(3, 4);

static int report(struct verifier *v, int64_t seq, const char *fmt, ...)
{
    va_list ap;

    v->rep->first_bad_seq = seq;
    va_start(ap, fmt);
    vsnprintf(v->rep->what, sizeof(v->rep->what), fmt, ap);
    va_end(ap);
    return sertel_err_set(v->err, SERTEL_ERR_TAMPERED, "the audit log was tampered with: %s",
                          v->rep->what);
}

/* "entries after entry A up to entry B": what a signed hash no longer matching may hide. */
static const char *rewritten(struct verifier *v, int64_t upto)
{
    if (v->good_cp == 0 || v->good_cp >= upto)
        snprintf(v->range, sizeof(v->range), "entries up to entry %lld", (long long)upto);
    else
        snprintf(v->range, sizeof(v->range),
                 "entries after entry %lld (the previous checkpoint that matches) up to entry %lld",
                 (long long)v->good_cp, (long long)upto);
    return v->range;
}

/* 1 when hd holds a parsed head (signature good or not). */
static int head_parsed(const struct vhead *hd)
{
    return hd->state == HEAD_OK || hd->state == HEAD_BADSIG;
}

/* Compare a signed head with its entry once every row up to its seq was seen. */
static int check_head(struct verifier *v, struct vhead *hd)
{
    const struct head *h = &hd->h;

    if (!head_parsed(hd))
        return SERTEL_OK;
    if (hd->done || h->seq > v->last_seq)
        return SERTEL_OK; /* not reached yet (or beyond the log: see finish) */
    hd->done = 1;
    if (hd->state == HEAD_BADSIG && hd->witness)
        return report(v, h->seq,
                      "the witnessed head %s (entry %lld) has a bad signature: it was altered, or "
                      "it was not made with this home's audit key",
                      hd->name, (long long)h->seq);
    if (hd->state == HEAD_BADSIG)
        return report(v, h->seq, "the head file %s (entry %lld) has a bad signature", hd->name,
                      (long long)h->seq);
    if (h->seq != v->last_seq)
        return SERTEL_OK; /* cannot happen: entries are contiguous and checked in order */
    if (CRYPTO_memcmp(h->hash, v->last_hash, AUDIT_HASH_LEN) != 0 || h->ts != v->last_ts) {
        if (hd->witness)
            return report(v, h->seq,
                          "entry %lld differs from the witnessed head %s: the log diverged from "
                          "what was witnessed (%s were rewritten, or the home was restored "
                          "from another copy)",
                          (long long)h->seq, hd->name, rewritten(v, h->seq));
        return report(v, h->seq,
                      "entry %lld does not match the signed head file %s: %s were altered and "
                      "their hashes recomputed",
                      (long long)h->seq, hd->name, rewritten(v, h->seq));
    }
    if (!hd->cp_seen)
        return report(v, h->seq,
                      "the signed checkpoint at entry %lld (named by the %s %s) was "
                      "removed from the database",
                      (long long)h->seq, hd->witness ? "witnessed head" : "head file", hd->name);
    return SERTEL_OK;
}

static int check_entry(struct verifier *v, store_stmt *q)
{
    unsigned char prev[AUDIT_HASH_LEN], hash[AUDIT_HASH_LEN], calc[AUDIT_HASH_LEN];
    struct field f[4];
    int64_t seq, ts, want = v->last_seq + 1;
    int i, content_ok, link_ok;
    static const char *const names[4] = {"actor", "event", "object", "details"};

    if (store_col_is_null(q, 1))
        return report(v, want, "an entry after entry %lld has no sequence number",
                      (long long)v->last_seq);
    seq = store_col_int64(q, 1);
    if (seq < 1)
        return report(v, want, "an entry has an invalid sequence number (%lld)", (long long)seq);
    if (seq <= v->last_seq)
        return report(v, seq, "entry %lld appears more than once", (long long)seq);
    if (seq > want) {
        if (seq - 1 == want)
            return report(v, want, "entry %lld was removed", (long long)want);
        return report(v, want, "entries %lld..%lld were removed", (long long)want,
                      (long long)(seq - 1));
    }
    if (store_col_is_null(q, 2))
        return report(v, seq, "entry %lld is damaged: its time is missing", (long long)seq);
    ts = store_col_int64(q, 2);
    for (i = 0; i < 4; i++)
        if (col_field(q, 3 + i, &f[i]) != 0)
            return report(v, seq, "entry %lld is damaged: its %s is missing", (long long)seq,
                          names[i]);
    if (col_hash(q, 7, prev) != 0)
        return report(v, seq, "entry %lld is damaged: its previous hash is missing or not %d bytes",
                      (long long)seq, AUDIT_HASH_LEN);
    if (col_hash(q, 8, hash) != 0)
        return report(v, seq, "entry %lld is damaged: its hash is missing or not %d bytes",
                      (long long)seq, AUDIT_HASH_LEN);
    if (entry_hash(v->hctx, v->md, seq, ts, f, prev, calc) != 0)
        return sertel_err_openssl(v->err, SERTEL_ERR_CRYPTO, "hashing audit entry %lld failed",
                                  (long long)seq);
    content_ok = CRYPTO_memcmp(calc, hash, AUDIT_HASH_LEN) == 0;
    link_ok = CRYPTO_memcmp(prev, v->last_hash, AUDIT_HASH_LEN) == 0;
    if (!content_ok && !link_ok)
        return report(v, seq,
                      "entry %lld was altered or moved: neither its content nor its link to the "
                      "entry before matches (entries were altered, removed, inserted or "
                      "reordered)",
                      (long long)seq);
    if (!content_ok)
        return report(v, seq, "entry %lld was altered", (long long)seq);
    if (!link_ok) {
        if (seq == 1)
            return report(v, seq,
                          "entry 1 does not start the log: entries were removed, inserted or "
                          "reordered");
        return report(v, seq,
                      "entry %lld does not follow entry %lld: entries were removed, inserted "
                      "or reordered",
                      (long long)seq, (long long)v->last_seq);
    }
    v->last_seq = seq;
    v->last_ts = ts;
    memcpy(v->last_hash, hash, AUDIT_HASH_LEN);
    v->rep->entries++;
    return SERTEL_OK;
}

/* A checkpoint problem: reported now when it concerns a seen entry, else kept for finish(). */
static int cp_problem(struct verifier *v, int64_t seq, const char *what)
{
    if (seq <= v->last_seq)
        return report(v, seq, "checkpoint at entry %lld %s", (long long)seq, what);
    if (v->beyond_bad_seq == 0) {
        v->beyond_bad_seq = seq;
        snprintf(v->beyond_bad, sizeof(v->beyond_bad), "%s", what);
    }
    return SERTEL_OK;
}

static int check_cp(struct verifier *v, store_stmt *q)
{
    unsigned char hash[AUDIT_HASH_LEN];
    const void *sig;
    size_t siglen = 0, i;
    int64_t seq, ts;

    if (store_col_is_null(q, 1) || store_col_int64(q, 1) < 1)
        return report(v, v->last_seq + 1, "a checkpoint has no valid entry number");
    seq = store_col_int64(q, 1);
    ts = store_col_int64(q, 2);
    sig = store_col_blob(q, 9, &siglen);
    if (store_col_is_null(q, 2) || col_hash(q, 8, hash) != 0 || sig == NULL || siglen == 0 ||
        siglen > SIG_MAX)
        return cp_problem(v, seq, "is damaged (a column is missing or has the wrong length)");
    if (!cp_verify(v->vctx, v->pub, seq, hash, ts, sig, siglen))
        return cp_problem(v, seq,
                          "has a bad signature (altered, forged, or not made with this audit "
                          "key)");
    v->rep->checkpoints++;
    if (seq > v->last_seq) {
        if (seq > v->beyond_max)
            v->beyond_max = seq;
        return SERTEL_OK;
    }
    if (seq != v->last_seq || seq == v->good_cp)
        return report(v, seq, "checkpoint at entry %lld appears more than once", (long long)seq);
    if (CRYPTO_memcmp(hash, v->last_hash, AUDIT_HASH_LEN) != 0 || ts != v->last_ts)
        return report(v, seq,
                      "entry %lld does not match its signed checkpoint: %s were altered and "
                      "their hashes recomputed",
                      (long long)seq, rewritten(v, seq));
    v->good_cp = seq;
    for (i = 0; i < v->nheads; i++)
        if (head_parsed(&v->heads[i]) && v->heads[i].h.seq == seq)
            v->heads[i].cp_seen = 1;
    return SERTEL_OK;
}

/* After the last row: signed state beyond the log means truncation. */
static int finish(struct verifier *v)
{
    int64_t from = v->last_seq + 1, upto = v->beyond_max;
    const char *by = "the signed checkpoint covers";
    char byhead[300];
    struct vhead *hd;
    size_t i;
    int rc;

    for (i = 0; i < v->nheads; i++)
        if ((rc = check_head(v, &v->heads[i])) != SERTEL_OK)
            return rc;
    for (i = 0; i < v->nheads; i++) {
        hd = &v->heads[i];
        if (hd->state == HEAD_OK && !hd->done && hd->h.seq > upto) {
            upto = hd->h.seq;
            snprintf(byhead, sizeof(byhead), "the %s %s covers",
                     hd->witness ? "witnessed head" : "signed head file", hd->name);
            by = byhead;
        }
    }
    if (upto > v->last_seq) {
        if (upto == from)
            return report(v, from, "the log was truncated: entry %lld is missing (%s up to %lld)",
                          (long long)from, by, (long long)upto);
        return report(v, from,
                      "the log was truncated: entries %lld..%lld are missing (%s up to %lld)",
                      (long long)from, (long long)upto, by, (long long)upto);
    }
    if (v->beyond_bad_seq != 0)
        return report(v, v->beyond_bad_seq, "checkpoint at entry %lld %s",
                      (long long)v->beyond_bad_seq, v->beyond_bad);
    for (i = 0; i < v->nheads; i++) {
        hd = &v->heads[i];
        if (hd->state == HEAD_BADSIG && !hd->done) {
            if (hd->witness)
                return report(v, hd->h.seq,
                              "the witnessed head %s (entry %lld) has a bad signature: it was "
                              "altered, or it was not made with this home's audit key",
                              hd->name, (long long)hd->h.seq);
            return report(v, hd->h.seq, "the head file %s (entry %lld) has a bad signature",
                          hd->name, (long long)hd->h.seq);
        }
        if (hd->state == HEAD_MALFORMED)
            return report(v, from, "the head file %s is malformed: %s", hd->name, hd->why);
    }
    /* Only a log that was never signed has no head file. */
    if (v->nheads > 0 && !v->heads[0].witness && v->heads[0].state == HEAD_NONE &&
        (v->last_seq > 0 || v->rep->checkpoints > 0))
        return report(v, from,
                      "%s is missing: the log may have been cut off (it now ends at entry %lld); "
                      "compare with a head kept elsewhere (sertel audit head) with 'sertel audit "
                      "verify --against FILE'",
                      v->heads[0].name, (long long)v->last_seq);
    return SERTEL_OK;
}

static void summary(struct verifier *v)
{
    audit_report *r = v->rep;
    int64_t open = v->last_seq - v->good_cp;
    char pending[160] = "", headnote[300] = "", witnote[300] = "";
    size_t i;

    if (open > 0)
        snprintf(pending, sizeof(pending),
                 "; %lld entr%s (%lld..%lld) not yet covered by a signed checkpoint",
                 (long long)open, open == 1 ? "y" : "ies", (long long)(v->good_cp + 1),
                 (long long)v->last_seq);
    snprintf(headnote, sizeof(headnote), "; no head file checked");
    for (i = 0; i < v->nheads; i++) {
        const struct vhead *hd = &v->heads[i];
        if (hd->witness)
            snprintf(witnote, sizeof(witnote), "; extends the witnessed head %s (entry %lld)",
                     hd->name, (long long)hd->h.seq);
        else if (hd->state == HEAD_NONE)
            snprintf(headnote, sizeof(headnote), "; no head file at %s (the log is empty)",
                     hd->name);
        else
            snprintf(headnote, sizeof(headnote), "; head file at entry %lld", (long long)hd->h.seq);
    }
    /* A long path may cut the summary short; it is informational. */
    if (snprintf(r->what, sizeof(r->what), "intact: %lld entr%s, %lld signed checkpoint%s%s%s%s",
                 (long long)r->entries, r->entries == 1 ? "y" : "ies", (long long)r->checkpoints,
                 r->checkpoints == 1 ? "" : "s", pending, headnote, witnote) < 0)
        r->what[0] = '\0';
}

int audit_verify_ex(store *st, EVP_PKEY *pub, const audit_verify_opts *opts, audit_report *rep,
                    sertel_err *err)
{
    struct verifier v;
    store_stmt *q = NULL;
    struct vhead *hd;
    size_t i;
    int64_t seq;
    int rc;

    memset(rep, 0, sizeof(*rep));
    memset(&v, 0, sizeof(v));
    v.rep = rep;
    v.err = err;
    v.pub = pub;
    v.md = EVP_MD_fetch(NULL, "SHA256", NULL);
    v.hctx = EVP_MD_CTX_new();
    v.vctx = EVP_MD_CTX_new();
    v.heads = calloc(2, sizeof(*v.heads));
    if (v.md == NULL || v.hctx == NULL || v.vctx == NULL || v.heads == NULL) {
        rc = sertel_err_openssl(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (EVP_DigestVerifyInit(v.vctx, NULL, EVP_sha256(), NULL, pub) != 1) {
        rc = sertel_err_openssl(err, SERTEL_ERR_UNSUPPORTED,
                                "the audit public key cannot verify SHA-256 signatures: give the "
                                "EC or RSA public key of the audit key");
        goto out;
    }
    /* Heads from outside first: the database can then only be newer than they are. The
     * head file, when checked, is heads[0] (finish() names it when it is missing). */
    if (opts->head_path != NULL) {
        hd = &v.heads[v.nheads++];
        hd->name = opts->head_path;
        hd->state = HEAD_NONE;
        hd->why = "";
        rc = head_load(opts->head_path, &hd->h, &hd->state, &hd->why, err);
        if (rc != SERTEL_OK)
            goto out;
    }
    if (opts->witness != NULL) {
        hd = &v.heads[v.nheads++];
        hd->witness = 1;
        hd->name = opts->witness_name != NULL ? opts->witness_name : "(given)";
        hd->why = "";
        if (opts->witness_len > HEAD_FILE_MAX ||
            head_parse(opts->witness, opts->witness_len, &hd->h, &hd->why) != 0) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "the witnessed head %s is not a signed audit head (%s): give a "
                                "file written by 'sertel audit head'",
                                hd->name,
                                opts->witness_len > HEAD_FILE_MAX ? "it is too large" : hd->why);
            goto out;
        }
        hd->state = HEAD_OK;
    }
    for (i = 0; i < v.nheads; i++) {
        hd = &v.heads[i];
        if (hd->state == HEAD_OK &&
            !cp_verify(v.vctx, pub, hd->h.seq, hd->h.hash, hd->h.ts, hd->h.sig, hd->h.siglen))
            hd->state = HEAD_BADSIG;
    }
    /* One ordered stream of both tables: an entry comes before its checkpoint. */
    rc = store_prepare(st,
                       "SELECT 0 AS kind, seq, ts, actor, event, object, details, prev_hash, "
                       "hash, NULL AS signature FROM audit_log "
                       "UNION ALL "
                       "SELECT 1, seq, ts, NULL, NULL, NULL, NULL, NULL, hash, signature "
                       "FROM audit_checkpoint ORDER BY 2, 1",
                       &q, err);
    if (rc != SERTEL_OK)
        goto out;
    for (;;) {
        rc = store_step(q, err);
        if (rc < 0)
            goto out;
        if (rc == STORE_DONE)
            break;
        /* A head is due once a row past its entry (and that entry's checkpoint) comes. */
        seq = store_col_is_null(q, 1) ? 0 : store_col_int64(q, 1);
        for (i = 0; i < v.nheads; i++) {
            hd = &v.heads[i];
            if (head_parsed(hd) && !hd->done && seq > hd->h.seq &&
                (rc = check_head(&v, hd)) != SERTEL_OK)
                goto out;
        }
        rc = store_col_int64(q, 0) == 0 ? check_entry(&v, q) : check_cp(&v, q);
        if (rc != SERTEL_OK)
            goto out;
    }
    rc = finish(&v);
    if (rc == SERTEL_OK)
        summary(&v);
out:
    store_finalize(q);
    free(v.heads);
    EVP_MD_CTX_free(v.hctx);
    EVP_MD_CTX_free(v.vctx);
    EVP_MD_free(v.md);
    return rc;
}

int audit_verify(store *st, EVP_PKEY *pub, const char *head_path, audit_report *rep,
                 sertel_err *err)
{
    audit_verify_opts o;

    memset(&o, 0, sizeof(o));
    o.head_path = head_path;
    return audit_verify_ex(st, pub, &o, rep, err);
}

/* ---- reading ----------------------------------------------------------- */

/* "%" + s + "%" with %, _ and \ escaped for LIKE ... ESCAPE '\' (malloc'ed), NULL: no memory. */
static char *like_contains(const char *s)
{
    size_t n = strlen(s), i, j = 0;
    char *p = n < (SIZE_MAX - 3) / 2 ? malloc(2 * n + 3) : NULL;

    if (p == NULL)
        return NULL;
    p[j++] = '%';
    for (i = 0; i < n; i++) {
        if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
            p[j++] = '\\';
        p[j++] = s[i];
    }
    p[j++] = '%';
    p[j] = '\0';
    return p;
}

int audit_read(store *st, const audit_filter *f, audit_entry_fn fn, void *arg, size_t *count,
               sertel_err *err)
{
    static const audit_filter all = {0, 0, 0, 0, NULL, NULL, NULL};
    store_stmt *q = NULL;
    char *det = NULL;
    int64_t lim;
    size_t n = 0;
    int rc;

    if (count != NULL)
        *count = 0;
    if (f == NULL)
        f = &all;
    lim = f->limit == 0 || f->limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)f->limit;
    if (f->details_has != NULL && (det = like_contains(f->details_has)) == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    /* Portable SQL (store.h): flags instead of typeless NULL tests; the event prefix compared
     * exactly (LIKE would ignore case in SQLite), the details with an explicit escape. */
    rc = store_queryf(st, &q, err,
                      "SELECT seq, ts, actor, event, object, details, prev_hash, hash FROM "
                      "audit_log WHERE seq > ? AND (? = 0 OR seq <= ?) AND ts >= ? "
                      "AND (? = 0 OR substr(event, 1, length(?)) = ?) "
                      "AND (? = 0 OR object = ?) "
                      "AND (? = 0 OR details LIKE ? ESCAPE '\\') "
                      "ORDER BY seq LIMIT ?",
                      "iiiiittititi", f->after, (int64_t)(f->upto > 0), f->upto, f->since,
                      (int64_t)(f->event_prefix != NULL), f->event_prefix ? f->event_prefix : "",
                      f->event_prefix ? f->event_prefix : "", (int64_t)(f->object != NULL),
                      f->object ? f->object : "", (int64_t)(det != NULL), det ? det : "", lim);
    while (rc == SERTEL_OK && (rc = store_step(q, err)) == STORE_ROW) {
        audit_entry e;
        struct field fl[4];
        int i, bad = store_col_is_null(q, 0) || store_col_is_null(q, 1);

        memset(&e, 0, sizeof(e));
        e.seq = store_col_int64(q, 0);
        e.ts = store_col_int64(q, 1);
        /* The text first, so the store hands the bytes out NUL-terminated; then their length. */
        for (i = 0; i < 4 && !bad; i++)
            bad = store_col_is_null(q, 2 + i) || store_col_text(q, 2 + i) == NULL ||
                  col_field(q, 2 + i, &fl[i]) != 0;
        if (bad || col_hash(q, 6, e.prev_hash) != 0 || col_hash(q, 7, e.hash) != 0) {
            rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                                "audit entry %lld is damaged: run 'sertel audit verify'",
                                (long long)e.seq);
            break;
        }
        e.actor = (const char *)fl[0].p;
        e.actor_len = fl[0].len;
        e.event = (const char *)fl[1].p;
        e.event_len = fl[1].len;
        e.object = (const char *)fl[2].p;
        e.object_len = fl[2].len;
        e.details = (const char *)fl[3].p;
        e.details_len = fl[3].len;
        n++;
        rc = fn(&e, arg);
    }
    if (rc == STORE_DONE)
        rc = SERTEL_OK;
    store_finalize(q);
    free(det);
    if (count != NULL)
        *count = n;
    return rc;
}
