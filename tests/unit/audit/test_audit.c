/*
 * test_audit.c - unit tests of the tamper-evident audit log (lib/audit).
 *
 * Every test builds a fresh log in a temporary SQLite store: 20 entries in
 * 5 transactions, a signed checkpoint at the end of each (entries 4, 8, 12,
 * 16, 20) and the head file mirrored after each commit. Tampering is done
 * with raw SQL, as an attacker with write access to sertel.db would, and
 * each test asserts the exact entry verification names first. The chain
 * and the checkpoint signatures are also recomputed here from the formula
 * in audit.h, independently of audit.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "store/store.h"
#include "testutil.h"
#include "util/fs.h"
#include "util/hex.h"

#define TXNS 5
#define PER_TXN 4
#define LAST (TXNS * PER_TXN)

struct fx {
    char *dir;
    char *db;
    char *head;
    store *st;
    EVP_PKEY *key; /* the audit key (private) */
    EVP_PKEY *pub; /* its public half only */
    audit *a;
};

static EVP_PKEY *pub_of(EVP_PKEY *k)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    EVP_PKEY *pub;
    int len = i2d_PUBKEY(k, &der);

    assert_true(len > 0);
    p = der;
    pub = d2i_PUBKEY(NULL, &p, len);
    assert_non_null(pub);
    OPENSSL_free(der);
    return pub;
}

static EVP_PKEY *new_key(int rsa)
{
    EVP_PKEY *k = rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
                      : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(k);
    return k;
}

static void sql(struct fx *f, const char *q)
{
    sertel_err err = {0};
    int rc = store_exec(f->st, q, &err);

    if (rc != SERTEL_OK)
        fail_msg("SQL failed: %s: %s", q, err.msg);
}

/* Append n entries in one transaction, optionally checkpoint, commit, mirror the head. */
static void append_txn(struct fx *f, int n, int checkpoint)
{
    sertel_err err = {0};
    char obj[32], details[64];
    int64_t seq = 0;
    int i;

    assert_int_equal(store_begin(f->st, &err), SERTEL_OK);
    for (i = 0; i < n; i++) {
        snprintf(obj, sizeof(obj), "serial-%d", i);
        snprintf(details, sizeof(details), "{\"n\":%d}", i);
        assert_int_equal(
            audit_append(f->a, "admin@agency.go.id", "cert.issued", obj, details, &seq, &err),
            SERTEL_OK);
        assert_true(seq > 0);
    }
    if (checkpoint)
        assert_int_equal(audit_checkpoint(f->a, &err), SERTEL_OK);
    assert_int_equal(store_commit(f->st, &err), SERTEL_OK);
    assert_int_equal(audit_write_head(f->a, &err), SERTEL_OK);
}

static struct fx *fx_new(int rsa)
{
    struct fx *f = calloc(1, sizeof(*f));
    sertel_err err = {0};
    int i;

    assert_non_null(f);
    f->dir = tu_mkdtemp();
    f->db = strdup(tu_path(f->dir, "sertel.db"));
    f->head = strdup(tu_path(f->dir, "audit.head"));
    assert_int_equal(store_open(f->db, STORE_OPEN_CREATE, &f->st, &err), SERTEL_OK);
    assert_int_equal(store_migrate(f->st, &err), SERTEL_OK);
    f->key = new_key(rsa);
    f->pub = pub_of(f->key);
    assert_int_equal(audit_open(f->st, f->key, f->head, &f->a, &err), SERTEL_OK);
    for (i = 0; i < TXNS; i++)
        append_txn(f, PER_TXN, 1);
    return f;
}

static void fx_free(struct fx *f)
{
    if (f == NULL)
        return;
    audit_close(f->a);
    store_close(f->st);
    EVP_PKEY_free(f->key);
    EVP_PKEY_free(f->pub);
    tu_rmtree(f->dir);
    free(f->db);
    free(f->head);
    free(f);
}

static int verify(struct fx *f, EVP_PKEY *pub, const char *head, audit_report *rep)
{
    sertel_err err = {0};
    int rc = audit_verify(f->st, pub, head, rep, &err);

    if (rc == SERTEL_ERR_TAMPERED) {
        assert_int_equal(err.code, SERTEL_ERR_TAMPERED);
        assert_non_null(strstr(err.msg, rep->what));
    }
    return rc;
}

/* Verification must fail naming entry seq first, with what containing needle. */
static void expect_bad(struct fx *f, const char *head, int64_t seq, const char *needle)
{
    audit_report rep;
    int rc = verify(f, f->pub, head, &rep);

    if (rc != SERTEL_ERR_TAMPERED)
        fail_msg("expected tampering at entry %lld, got rc %d (%s)", (long long)seq, rc, rep.what);
    if (rep.first_bad_seq != seq || strstr(rep.what, needle) == NULL)
        fail_msg("expected entry %lld / '%s', got entry %lld: %s", (long long)seq, needle,
                 (long long)rep.first_bad_seq, rep.what);
}

static void expect_ok(struct fx *f, const char *head, int64_t entries, int64_t cps)
{
    audit_report rep;
    int rc = verify(f, f->pub, head, &rep);

    if (rc != SERTEL_OK)
        fail_msg("expected an intact log, got rc %d at entry %lld: %s", rc,
                 (long long)rep.first_bad_seq, rep.what);
    assert_int_equal(rep.first_bad_seq, 0);
    assert_int_equal(rep.entries, entries);
    assert_int_equal(rep.checkpoints, cps);
}

/* ---- independent implementation of the formulas in audit.h ------------ */

static size_t put_be(unsigned char *p, uint64_t v, int bytes)
{
    int i;

    for (i = bytes - 1; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
    return (size_t)bytes;
}

static void t_entry_hash(int64_t seq, int64_t ts, const char *const txt[4],
                         const unsigned char prev[32], unsigned char out[32])
{
    size_t cap = 64 + 32 + 4 * 4, n = 0, i;
    unsigned char *buf;
    unsigned int outlen = 0;

    for (i = 0; i < 4; i++)
        cap += strlen(txt[i]);
    buf = malloc(cap);
    assert_non_null(buf);
    memcpy(buf, "sertel-audit-v1", 15);
    n = 15;
    n += put_be(buf + n, (uint64_t)seq, 8);
    n += put_be(buf + n, (uint64_t)ts, 8);
    for (i = 0; i < 4; i++) {
        size_t l = strlen(txt[i]);
        n += put_be(buf + n, l, 4);
        memcpy(buf + n, txt[i], l);
        n += l;
    }
    memcpy(buf + n, prev, 32);
    n += 32;
    assert_int_equal(EVP_Digest(buf, n, out, &outlen, EVP_sha256(), NULL), 1);
    assert_int_equal(outlen, 32);
    free(buf);
}

struct row {
    int64_t seq, ts;
    char *txt[4];
    unsigned char prev[32], hash[32];
};

/* Read entries with seq >= from, in order (at most max). */
static int read_rows(struct fx *f, int64_t from, struct row *rows, int max)
{
    sertel_err err = {0};
    store_stmt *q = NULL;
    const void *p;
    size_t len;
    int n = 0, i;

    assert_int_equal(store_prepare(f->st,
                                   "SELECT seq, ts, actor, event, object, details, prev_hash, "
                                   "hash FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?",
                                   &q, &err),
                     SERTEL_OK);
    assert_int_equal(store_bind_int64(q, 1, from, &err), SERTEL_OK);
    assert_int_equal(store_bind_int64(q, 2, max, &err), SERTEL_OK);
    while (store_step(q, &err) == STORE_ROW) {
        assert_true(n < max);
        rows[n].seq = store_col_int64(q, 0);
        rows[n].ts = store_col_int64(q, 1);
        for (i = 0; i < 4; i++)
            rows[n].txt[i] = strdup(store_col_text(q, 2 + i));
        p = store_col_blob(q, 6, &len);
        assert_int_equal(len, 32);
        memcpy(rows[n].prev, p, 32);
        p = store_col_blob(q, 7, &len);
        assert_int_equal(len, 32);
        memcpy(rows[n].hash, p, 32);
        n++;
    }
    store_finalize(q);
    return n;
}

static void free_rows(struct row *rows, int n)
{
    int i, j;

    for (i = 0; i < n; i++)
        for (j = 0; j < 4; j++)
            free(rows[i].txt[j]);
}

/* The stored hash of entry seq. */
static void stored_hash(struct fx *f, int64_t seq, unsigned char out[32])
{
    struct row r[1];

    memset(out, 0, 32);
    if (seq < 1)
        return;
    assert_int_equal(read_rows(f, seq, r, 1), 1);
    assert_int_equal(r[0].seq, seq);
    memcpy(out, r[0].hash, 32);
    free_rows(r, 1);
}

/*
 * What an attacker without the audit key can do: rewrite the chain from
 * entry `from` on so every prev_hash/hash is consistent again.
 */
static void recompute_from(struct fx *f, int64_t from)
{
    struct row rows[64];
    unsigned char prev[32];
    sertel_err err = {0};
    store_stmt *q = NULL;
    int n, i;

    stored_hash(f, from - 1, prev);
    n = read_rows(f, from, rows, 64);
    for (i = 0; i < n; i++) {
        t_entry_hash(rows[i].seq, rows[i].ts, (const char *const *)rows[i].txt, prev, rows[i].hash);
        assert_int_equal(store_prepare(f->st,
                                       "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?",
                                       &q, &err),
                         SERTEL_OK);
        assert_int_equal(store_bind_blob(q, 1, prev, 32, &err), SERTEL_OK);
        assert_int_equal(store_bind_blob(q, 2, rows[i].hash, 32, &err), SERTEL_OK);
        assert_int_equal(store_bind_int64(q, 3, rows[i].seq, &err), SERTEL_OK);
        assert_int_equal(store_run(q, &err), SERTEL_OK);
        store_finalize(q);
        memcpy(prev, rows[i].hash, 32);
    }
    free_rows(rows, n);
}

/* Flip the last byte of a blob column of one row. */
static void flip_blob(struct fx *f, const char *table, const char *col, int64_t seq)
{
    char q1[200], q2[200];
    sertel_err err = {0};
    store_stmt *q = NULL;
    unsigned char buf[4096];
    const void *p;
    size_t len = 0;

    snprintf(q1, sizeof(q1), "SELECT %s FROM %s WHERE seq = ?", col, table);
    snprintf(q2, sizeof(q2), "UPDATE %s SET %s = ? WHERE seq = ?", table, col);
    assert_int_equal(store_prepare(f->st, q1, &q, &err), SERTEL_OK);
    assert_int_equal(store_bind_int64(q, 1, seq, &err), SERTEL_OK);
    assert_int_equal(store_step(q, &err), STORE_ROW);
    p = store_col_blob(q, 0, &len);
    assert_true(len > 0 && len <= sizeof(buf));
    memcpy(buf, p, len);
    store_finalize(q);
    buf[len - 1] ^= 0x01;
    assert_int_equal(store_prepare(f->st, q2, &q, &err), SERTEL_OK);
    assert_int_equal(store_bind_blob(q, 1, buf, len, &err), SERTEL_OK);
    assert_int_equal(store_bind_int64(q, 2, seq, &err), SERTEL_OK);
    assert_int_equal(store_run(q, &err), SERTEL_OK);
    assert_int_equal(store_changes(f->st), 1);
    store_finalize(q);
}

/* Recreate both tables without types or constraints so garbage can be stored. */
static void loosen_tables(struct fx *f)
{
    sql(f, "CREATE TABLE t1 AS SELECT * FROM audit_log; DROP TABLE audit_log;"
           "CREATE TABLE audit_log (seq, ts, actor, event, object, details, prev_hash, hash);"
           "INSERT INTO audit_log SELECT * FROM t1; DROP TABLE t1;"
           "CREATE TABLE t2 AS SELECT * FROM audit_checkpoint; DROP TABLE audit_checkpoint;"
           "CREATE TABLE audit_checkpoint (seq, hash, ts, signature);"
           "INSERT INTO audit_checkpoint SELECT * FROM t2; DROP TABLE t2;");
}

static char *read_text(const char *path, size_t *len)
{
    unsigned char *buf = NULL;
    sertel_err err = {0};

    assert_int_equal(fs_read_file(path, 1 << 20, &buf, len, &err), SERTEL_OK);
    return (char *)buf;
}

static void write_text(const char *path, const char *text, size_t len)
{
    sertel_err err = {0};

    assert_int_equal(fs_write_atomic(path, text, len, 0644, &err), SERTEL_OK);
}

static void write_str(const char *path, const char *text)
{
    write_text(path, text, strlen(text));
}

static int64_t count(struct fx *f, const char *q)
{
    sertel_err err = {0};
    store_stmt *s = NULL;
    int64_t n;

    assert_int_equal(store_prepare(f->st, q, &s, &err), SERTEL_OK);
    assert_int_equal(store_step(s, &err), STORE_ROW);
    n = store_col_int64(s, 0);
    store_finalize(s);
    return n;
}

/* ---- the intact log -------------------------------------------------- */

static void test_intact(void **state)
{
    struct fx *f = fx_new(0);
    audit_report rep;

    (void)state;
    expect_ok(f, f->head, LAST, TXNS);
    expect_ok(f, NULL, LAST, TXNS);
    /* A private key verifies too. */
    assert_int_equal(verify(f, f->key, f->head, &rep), SERTEL_OK);
    /* Entries after the last checkpoint are fine, and reported. */
    append_txn(f, 3, 0);
    expect_ok(f, f->head, LAST + 3, TXNS);
    assert_int_equal(verify(f, f->pub, f->head, &rep), SERTEL_OK);
    assert_non_null(strstr(rep.what, "3 entries (21..23) not yet covered"));
    assert_non_null(strstr(rep.what, "head file at entry 20"));
    fx_free(f);
}

struct chk {
    unsigned char prev[32];
    int ok;
};

static int chain_check(const audit_entry *e, void *arg)
{
    struct chk *c = arg;

    if (memcmp(c->prev, e->prev_hash, 32) != 0)
        c->ok = 0;
    memcpy(c->prev, e->hash, 32);
    return 0;
}

/* audit_read: entries gathered as they are read. */
struct seen {
    int n;
    int64_t seqs[64];
    char objects[64][32];
    int stop_at; /* return 1 at this count (0: never) */
};

static int collect(const audit_entry *e, void *arg)
{
    struct seen *s = arg;

    assert_true(s->n < 64);
    s->seqs[s->n] = e->seq;
    snprintf(s->objects[s->n], sizeof(s->objects[0]), "%s", e->object);
    s->n++;
    return s->stop_at != 0 && s->n == s->stop_at;
}

struct lens {
    char object[64];
    size_t object_len;
};

static int object_len(const audit_entry *e, void *arg)
{
    struct lens *l = arg;

    snprintf(l->object, sizeof(l->object), "%s", e->object);
    l->object_len = e->object_len;
    return 0;
}

static void test_read(void **state)
{
    struct fx *f = fx_new(0);
    struct seen s;
    audit_filter flt;
    sertel_err err = {0};
    size_t n = 0;

    (void)state;
    /* All, oldest first, with the hashes that chain them. */
    memset(&s, 0, sizeof(s));
    assert_int_equal(audit_read(f->st, NULL, collect, &s, &n, &err), SERTEL_OK);
    assert_int_equal(n, LAST);
    assert_int_equal(s.n, LAST);
    assert_int_equal(s.seqs[0], 1);
    assert_int_equal(s.seqs[LAST - 1], LAST);
    /* Paging: after 10, 5 of them. */
    memset(&s, 0, sizeof(s));
    memset(&flt, 0, sizeof(flt));
    flt.after = 10;
    flt.limit = 5;
    assert_int_equal(audit_read(f->st, &flt, collect, &s, &n, &err), SERTEL_OK);
    assert_int_equal(n, 5);
    assert_int_equal(s.seqs[0], 11);
    assert_int_equal(s.seqs[4], 15);
    /* A range: after 10 up to 12 (the export's page up to its signed head). */
    memset(&s, 0, sizeof(s));
    flt.upto = 12;
    assert_int_equal(audit_read(f->st, &flt, collect, &s, &n, &err), SERTEL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(s.seqs[0], 11);
    assert_int_equal(s.seqs[1], 12);
    /* By object, and by a piece of the details: LIKE's wildcards are taken literally. */
    memset(&s, 0, sizeof(s));
    memset(&flt, 0, sizeof(flt));
    flt.object = "serial-2";
    assert_int_equal(audit_read(f->st, &flt, collect, &s, &n, &err), SERTEL_OK);
    assert_int_equal(n, TXNS);
    assert_string_equal(s.objects[0], "serial-2");
    memset(&flt, 0, sizeof(flt));
    flt.details_has = "\"n\":3";
    assert_int_equal(audit_read(f->st, &flt, collect, &s, &n, &err), SERTEL_OK);
    assert_int_equal(n, TXNS);
    flt.details_has = "\"n\":_";
    assert_int_equal(audit_read(f->st, &flt, collect, &s, &n, &err), SERTEL_OK);
    assert_int_equal(n, 0);
    flt.details_has = "%";
    assert_int_equal(audit_read(f->st, &flt, collect, &s, &n, &err), SERTEL_OK);
    assert_int_equal(n, 0);
    /* By event prefix; a prefix that matches nothing gives nothing. */
    memset(&s, 0, sizeof(s));
    memset(&flt, 0, sizeof(flt));
    flt.event_prefix = "cert.";
    assert_int_equal(audit_read(f->st, &flt, collect, &s, &n, &err), SERTEL_OK);
    assert_int_equal(n, LAST);
    flt.event_prefix = "cert_";
    assert_int_equal(audit_read(f->st, &flt, collect, &s, &n, &err), SERTEL_OK);
    assert_int_equal(n, 0);
    flt.event_prefix = "CERT."; /* exactly as written, not LIKE's ASCII case folding */
    assert_int_equal(audit_read(f->st, &flt, collect, &s, &n, &err), SERTEL_OK);
    assert_int_equal(n, 0);
    /* By time: nothing from the future. */
    memset(&flt, 0, sizeof(flt));
    flt.since = (int64_t)time(NULL) + 3600;
    assert_int_equal(audit_read(f->st, &flt, collect, &s, &n, &err), SERTEL_OK);
    assert_int_equal(n, 0);
    /* The callback stops the listing with its answer. */
    memset(&s, 0, sizeof(s));
    s.stop_at = 3;
    assert_int_equal(audit_read(f->st, NULL, collect, &s, &n, &err), 1);
    assert_int_equal(s.n, 3);
    /* Each entry's prev_hash is the previous entry's hash (the first's: zeros). */
    {
        struct chk c = {{0}, 1};
        assert_int_equal(audit_read(f->st, NULL, chain_check, &c, &n, &err), SERTEL_OK);
        assert_true(c.ok);
    }
    /* An embedded NUL (only tampering puts one there) is kept in the hashed length. */
    sql(f, "UPDATE audit_log SET object = CAST(object || char(0) || 'x' AS TEXT) WHERE seq = 3");
    memset(&s, 0, sizeof(s));
    memset(&flt, 0, sizeof(flt));
    flt.after = 2;
    flt.limit = 1;
    {
        struct lens l = {0};
        assert_int_equal(audit_read(f->st, &flt, object_len, &l, &n, &err), SERTEL_OK);
        assert_int_equal(l.object_len, strlen(l.object) + 2);
    }
    /* A row whose hash is not AUDIT_HASH_LEN bytes stops the read there, named. */
    sql(f, "UPDATE audit_log SET hash = x'00' WHERE seq = 5");
    memset(&s, 0, sizeof(s));
    assert_int_equal(audit_read(f->st, NULL, collect, &s, &n, &err), SERTEL_ERR_TAMPERED);
    assert_int_equal(s.n, 4);
    assert_int_equal(n, 4);
    assert_non_null(strstr(err.msg, "audit entry 5 is damaged"));
    fx_free(f);
}

static void test_chain_matches_header_formula(void **state)
{
    struct fx *f = fx_new(0);
    struct row rows[LAST];
    unsigned char prev[32] = {0}, calc[32], msg[26 + 8 + 32 + 8];
    sertel_err err = {0};
    store_stmt *q = NULL;
    EVP_MD_CTX *ctx;
    int n, i, cps = 0;

    (void)state;
    n = read_rows(f, 1, rows, LAST);
    assert_int_equal(n, LAST);
    for (i = 0; i < n; i++) {
        assert_int_equal(rows[i].seq, i + 1);
        assert_memory_equal(rows[i].prev, prev, 32);
        t_entry_hash(rows[i].seq, rows[i].ts, (const char *const *)rows[i].txt, prev, calc);
        assert_memory_equal(rows[i].hash, calc, 32);
        memcpy(prev, calc, 32);
    }
    assert_string_equal(rows[0].txt[0], "admin@agency.go.id");
    assert_string_equal(rows[0].txt[1], "cert.issued");
    /* Checkpoint signatures over the message of the brief, checked with EVP_DigestVerify. */
    assert_int_equal(store_prepare(f->st,
                                   "SELECT seq, hash, ts, signature FROM audit_checkpoint "
                                   "ORDER BY seq",
                                   &q, &err),
                     SERTEL_OK);
    ctx = EVP_MD_CTX_new();
    while (store_step(q, &err) == STORE_ROW) {
        size_t hl = 0, sl = 0;
        const unsigned char *h = store_col_blob(q, 1, &hl);
        const unsigned char *sig = store_col_blob(q, 3, &sl);
        int64_t seq = store_col_int64(q, 0), ts = store_col_int64(q, 2);

        assert_int_equal(seq, (cps + 1) * PER_TXN);
        assert_int_equal(hl, 32);
        assert_memory_equal(h, rows[seq - 1].hash, 32);
        assert_int_equal(ts, rows[seq - 1].ts);
        memcpy(msg, "sertel-audit-checkpoint-v1", 26);
        put_be(msg + 26, (uint64_t)seq, 8);
        memcpy(msg + 34, h, 32);
        put_be(msg + 66, (uint64_t)ts, 8);
        assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, f->pub), 1);
        assert_int_equal(EVP_DigestVerify(ctx, sig, sl, msg, sizeof(msg)), 1);
        cps++;
    }
    assert_int_equal(cps, TXNS);
    EVP_MD_CTX_free(ctx);
    store_finalize(q);
    free_rows(rows, n);
    fx_free(f);
}

static void test_head_file_format(void **state)
{
    struct fx *f = fx_new(0);
    struct row r[1];
    char hex[65], *text, *want;
    size_t len = 0;

    (void)state;
    text = read_text(f->head, &len);
    assert_int_equal(read_rows(f, LAST, r, 1), 1);
    hex_encode(r[0].hash, 32, hex);
    want = malloc(256);
    assert_non_null(want);
    snprintf(want, 256, "sertel-audit-head v1\nseq 20\nhash %s\nts %lld\nsignature ", hex,
             (long long)r[0].ts);
    assert_int_equal(strncmp(text, want, strlen(want)), 0);
    assert_int_equal(text[len - 1], '\n');
    free(want);
    free(text);
    free_rows(r, 1);
    fx_free(f);
}

/* ---- the API's own rules -------------------------------------------- */

static void test_append_rules(void **state)
{
    struct fx *f = fx_new(0);
    sertel_err err = {0};
    audit *ro = NULL;
    char *big = malloc(64 * 1024 + 2);
    int64_t seq = -1;
    store_stmt *q = NULL;

    (void)state;
    assert_non_null(big);
    /* Outside a transaction. */
    assert_int_equal(audit_append(f->a, "system", "x.y", "o", NULL, &seq, &err), SERTEL_ERR_STATE);
    assert_int_equal(seq, 0);
    assert_int_equal(audit_checkpoint(f->a, &err), SERTEL_ERR_STATE);
    assert_int_equal(count(f, "SELECT count(*) FROM audit_log"), LAST);

    assert_int_equal(store_begin(f->st, &err), SERTEL_OK);
    /* details NULL is "{}". */
    assert_int_equal(audit_append(f->a, "system", "x.y", "o", NULL, &seq, &err), SERTEL_OK);
    assert_int_equal(seq, LAST + 1);
    assert_int_equal(store_prepare(f->st, "SELECT details FROM audit_log WHERE seq = 21", &q, &err),
                     SERTEL_OK);
    assert_int_equal(store_step(q, &err), STORE_ROW);
    assert_string_equal(store_col_text(q, 0), "{}");
    store_finalize(q);
    /* Limits: 1024 bytes for actor/event/object, 64 KiB for details. */
    memset(big, 'a', 1025);
    big[1025] = '\0';
    assert_int_equal(audit_append(f->a, big, "x.y", "o", NULL, NULL, &err), SERTEL_ERR_INVALID);
    assert_int_equal(audit_append(f->a, "s", big, "o", NULL, NULL, &err), SERTEL_ERR_INVALID);
    assert_int_equal(audit_append(f->a, "s", "x.y", big, NULL, NULL, &err), SERTEL_ERR_INVALID);
    big[1024] = '\0';
    assert_int_equal(audit_append(f->a, big, big, big, NULL, &seq, &err), SERTEL_OK);
    assert_int_equal(seq, LAST + 2);
    memset(big, 'd', 64 * 1024 + 1);
    big[64 * 1024 + 1] = '\0';
    assert_int_equal(audit_append(f->a, "s", "x.y", "o", big, NULL, &err), SERTEL_ERR_INVALID);
    big[64 * 1024] = '\0';
    assert_int_equal(audit_append(f->a, "s", "x.y", "o", big, &seq, &err), SERTEL_OK);
    assert_int_equal(seq, LAST + 3);
    /* The head file is written after commit, never inside the transaction. */
    assert_int_equal(audit_write_head(f->a, &err), SERTEL_ERR_STATE);
    /* A checkpoint twice for the same head is one row. */
    assert_int_equal(audit_checkpoint(f->a, &err), SERTEL_OK);
    assert_int_equal(audit_checkpoint(f->a, &err), SERTEL_OK);
    assert_int_equal(count(f, "SELECT count(*) FROM audit_checkpoint WHERE seq = 23"), 1);
    assert_int_equal(store_commit(f->st, &err), SERTEL_OK);
    assert_int_equal(audit_write_head(f->a, &err), SERTEL_OK);
    expect_ok(f, f->head, LAST + 3, TXNS + 1);

    /* A rolled-back transaction leaves no trace in the chain. */
    assert_int_equal(store_begin(f->st, &err), SERTEL_OK);
    assert_int_equal(audit_append(f->a, "s", "x.y", "o", NULL, &seq, &err), SERTEL_OK);
    assert_int_equal(seq, LAST + 4);
    store_rollback(f->st);
    append_txn(f, 2, 1);
    expect_ok(f, f->head, LAST + 5, TXNS + 2);

    /* A handle without a signer cannot checkpoint. */
    assert_int_equal(audit_open(f->st, NULL, NULL, &ro, &err), SERTEL_OK);
    assert_int_equal(store_begin(f->st, &err), SERTEL_OK);
    assert_int_equal(audit_append(ro, "s", "x.y", "o", NULL, &seq, &err), SERTEL_OK);
    assert_int_equal(audit_checkpoint(ro, &err), SERTEL_ERR_STATE);
    assert_int_equal(store_commit(f->st, &err), SERTEL_OK);
    assert_int_equal(audit_write_head(ro, &err), SERTEL_OK); /* no head path: nothing to do */
    audit_close(ro);
    free(big);
    fx_free(f);
}

static void test_empty_log(void **state)
{
    struct fx f0 = {0}, *f = &f0;
    sertel_err err = {0};
    audit_report rep;

    (void)state;
    f->dir = tu_mkdtemp();
    f->db = strdup(tu_path(f->dir, "sertel.db"));
    f->head = strdup(tu_path(f->dir, "audit.head"));
    assert_int_equal(store_open(f->db, STORE_OPEN_CREATE, &f->st, &err), SERTEL_OK);
    assert_int_equal(store_migrate(f->st, &err), SERTEL_OK);
    f->key = new_key(0);
    f->pub = pub_of(f->key);
    assert_int_equal(audit_open(f->st, f->key, f->head, &f->a, &err), SERTEL_OK);
    assert_int_equal(store_begin(f->st, &err), SERTEL_OK);
    assert_int_equal(audit_checkpoint(f->a, &err), SERTEL_OK); /* nothing to sign */
    assert_int_equal(store_commit(f->st, &err), SERTEL_OK);
    assert_int_equal(audit_write_head(f->a, &err), SERTEL_OK);
    assert_false(fs_exists(f->head));
    assert_int_equal(verify(f, f->pub, f->head, &rep), SERTEL_OK);
    assert_int_equal(rep.entries, 0);
    assert_int_equal(rep.checkpoints, 0);
    audit_close(f->a);
    store_close(f->st);
    EVP_PKEY_free(f->key);
    EVP_PKEY_free(f->pub);
    tu_rmtree(f->dir);
    free(f->db);
    free(f->head);
}

static void test_readonly_store(void **state)
{
    struct fx *f = fx_new(0);
    sertel_err err = {0};
    store *ro = NULL;
    audit_report rep;

    (void)state;
    assert_int_equal(store_open(f->db, STORE_OPEN_READONLY, &ro, &err), SERTEL_OK);
    assert_int_equal(audit_verify(ro, f->pub, f->head, &rep, &err), SERTEL_OK);
    assert_int_equal(rep.entries, LAST);
    store_close(ro);
    fx_free(f);
}

/* ---- tampering -------------------------------------------------------- */

static void test_altered(void **state)
{
    struct fx *f;

    (void)state;
    f = fx_new(0);
    sql(f, "UPDATE audit_log SET details = '{\"n\":99}' WHERE seq = 7");
    expect_bad(f, f->head, 7, "entry 7 was altered");
    fx_free(f);

    f = fx_new(0);
    sql(f, "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 1");
    expect_bad(f, f->head, 1, "entry 1 was altered");
    fx_free(f);

    f = fx_new(0);
    sql(f, "UPDATE audit_log SET ts = ts + 1 WHERE seq = 20");
    expect_bad(f, f->head, 20, "entry 20 was altered");
    fx_free(f);

    /* A NUL hidden in the text is part of what is hashed. */
    f = fx_new(0);
    sql(f, "UPDATE audit_log SET object = CAST(object || char(0) || 'x' AS TEXT) WHERE seq = 3");
    expect_bad(f, f->head, 3, "entry 3 was altered");
    fx_free(f);
}

static void test_removed(void **state)
{
    struct fx *f;

    (void)state;
    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq = 7");
    expect_bad(f, f->head, 7, "entry 7 was removed");
    fx_free(f);

    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq BETWEEN 7 AND 9");
    expect_bad(f, f->head, 7, "entries 7..9 were removed");
    fx_free(f);

    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq = 1");
    expect_bad(f, NULL, 1, "entry 1 was removed");
    fx_free(f);

    /* Removed, and the rest renumbered to close the gap. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq = 5; UPDATE audit_log SET seq = -seq WHERE seq > 5;"
           "UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0");
    expect_bad(f, f->head, 5, "entry 5 was altered or moved");
    fx_free(f);
}

static void test_reordered(void **state)
{
    struct fx *f;

    (void)state;
    f = fx_new(0);
    sql(f,
        "UPDATE audit_log SET seq = -9 WHERE seq = 9; UPDATE audit_log SET seq = 9 WHERE seq = 5;"
        "UPDATE audit_log SET seq = 5 WHERE seq = -9");
    expect_bad(f, f->head, 5, "entry 5 was altered or moved");
    fx_free(f);

    /* Neighbours swapped. */
    f = fx_new(0);
    sql(f, "UPDATE audit_log SET seq = -14 WHERE seq = 14; UPDATE audit_log SET seq = 14 WHERE "
           "seq = 13; UPDATE audit_log SET seq = 13 WHERE seq = -14");
    expect_bad(f, f->head, 13, "entry 13 was altered or moved");
    fx_free(f);
}

static void test_link_only_broken(void **state)
{
    struct fx *f = fx_new(0);
    struct row r[1];
    unsigned char other[32], h[32];
    sertel_err err = {0};
    store_stmt *q = NULL;

    (void)state;
    /* Entry 6 rehashed over a prev_hash that is not entry 5's hash. */
    stored_hash(f, 3, other);
    assert_int_equal(read_rows(f, 6, r, 1), 1);
    t_entry_hash(6, r[0].ts, (const char *const *)r[0].txt, other, h);
    assert_int_equal(store_prepare(f->st,
                                   "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = 6", &q,
                                   &err),
                     SERTEL_OK);
    assert_int_equal(store_bind_blob(q, 1, other, 32, &err), SERTEL_OK);
    assert_int_equal(store_bind_blob(q, 2, h, 32, &err), SERTEL_OK);
    assert_int_equal(store_run(q, &err), SERTEL_OK);
    store_finalize(q);
    recompute_from(f, 7);
    free_rows(r, 1);
    expect_bad(f, f->head, 6, "entry 6 does not follow entry 5");
    fx_free(f);
}

static void test_truncated(void **state)
{
    struct fx *f;

    (void)state;
    /* The newest entries and their checkpoints removed: only the head file knows. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq > 17; DELETE FROM audit_checkpoint WHERE seq > 17");
    expect_bad(f, f->head, 18,
               "the log was truncated: entries 18..20 are missing (the signed head file");
    expect_ok(f, NULL, 17, 4); /* why the head file lives outside the database */
    fx_free(f);

    /* The newest entries removed, checkpoints kept. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq > 17");
    expect_bad(f, NULL, 18,
               "the log was truncated: entries 18..20 are missing (the signed checkpoint covers "
               "up to 20)");
    expect_bad(f, f->head, 18, "entries 18..20 are missing");
    fx_free(f);

    /* Only the last entry. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq = 20");
    expect_bad(f, NULL, 20, "the log was truncated: entry 20 is missing");
    fx_free(f);

    /* Everything. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_log; DELETE FROM audit_checkpoint");
    expect_bad(f, f->head, 1, "entries 1..20 are missing");
    fx_free(f);

    /* A checkpoint removed while its entry stays. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_checkpoint WHERE seq = 20");
    expect_bad(f, f->head, 20, "checkpoint at entry 20 (named by the head file");
    expect_ok(f, NULL, LAST, TXNS - 1);
    fx_free(f);
}

static void test_rewritten_with_recomputed_hashes(void **state)
{
    struct fx *f;

    (void)state;
    /* The chain is consistent again; the next signed checkpoint is not. */
    f = fx_new(0);
    sql(f, "UPDATE audit_log SET details = '{\"n\":99}' WHERE seq = 10");
    recompute_from(f, 10);
    expect_bad(f, f->head, 12,
               "entry 12 does not match its signed checkpoint: entries after entry 8 (the "
               "previous checkpoint that matches) up to entry 12");
    fx_free(f);

    /* Rewritten after the last-but-one checkpoint, the last checkpoint removed: the head. */
    f = fx_new(0);
    sql(f, "UPDATE audit_log SET event = 'nothing.happened' WHERE seq = 18");
    recompute_from(f, 18);
    sql(f, "DELETE FROM audit_checkpoint WHERE seq = 20");
    expect_bad(f, f->head, 20, "entry 20 does not match the signed head file");
    fx_free(f);

    /* Everything rewritten, every checkpoint removed: still the head. */
    f = fx_new(0);
    sql(f, "UPDATE audit_log SET actor = 'mallory'");
    recompute_from(f, 1);
    sql(f, "DELETE FROM audit_checkpoint");
    expect_bad(f, f->head, 20, "entries up to entry 20 were altered");
    fx_free(f);

    /* An entry inserted in the middle, the rest renumbered and rehashed. */
    f = fx_new(0);
    sql(f, "UPDATE audit_log SET seq = -seq WHERE seq >= 6; UPDATE audit_log SET seq = -seq + 1 "
           "WHERE seq < 0; INSERT INTO audit_log SELECT 6, ts, actor, 'forged.event', object, "
           "details, prev_hash, hash FROM audit_log WHERE seq = 5");
    recompute_from(f, 6);
    expect_bad(f, f->head, 8, "entry 8 does not match its signed checkpoint");
    fx_free(f);
}

static void test_bad_checkpoint_signature(void **state)
{
    struct fx *f;

    (void)state;
    f = fx_new(0);
    flip_blob(f, "audit_checkpoint", "signature", 8);
    expect_bad(f, f->head, 8, "checkpoint at entry 8 has a bad signature");
    fx_free(f);

    /* The checkpoint's hash changed to match a rewritten chain: the signature fails. */
    f = fx_new(0);
    sql(f, "UPDATE audit_log SET details = '{}' WHERE seq = 11");
    recompute_from(f, 11);
    sql(f, "UPDATE audit_checkpoint SET hash = (SELECT hash FROM audit_log WHERE seq = 12) "
           "WHERE seq = 12");
    expect_bad(f, f->head, 12, "checkpoint at entry 12 has a bad signature");
    fx_free(f);

    /* A forged checkpoint past the end of the log. */
    f = fx_new(0);
    sql(f, "INSERT INTO audit_checkpoint SELECT 30, hash, ts, signature FROM audit_checkpoint "
           "WHERE seq = 20");
    expect_bad(f, f->head, 30, "checkpoint at entry 30 has a bad signature");
    fx_free(f);

    /* Truncated and the surviving checkpoint's signature damaged: truncation comes first. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq > 18");
    flip_blob(f, "audit_checkpoint", "signature", 20);
    expect_bad(f, NULL, 20, "checkpoint at entry 20 has a bad signature");
    expect_bad(f, f->head, 19, "entries 19..20 are missing (the signed head file");
    fx_free(f);
}

static void test_wrong_key(void **state)
{
    struct fx *f = fx_new(0);
    EVP_PKEY *other = new_key(0), *rsa = new_key(1);
    audit_report rep;

    (void)state;
    assert_int_equal(verify(f, other, f->head, &rep), SERTEL_ERR_TAMPERED);
    assert_int_equal(rep.first_bad_seq, PER_TXN);
    assert_non_null(strstr(rep.what, "checkpoint at entry 4 has a bad signature"));
    assert_int_equal(rep.checkpoints, 0);
    assert_int_equal(verify(f, rsa, f->head, &rep), SERTEL_ERR_TAMPERED);
    assert_int_equal(rep.first_bad_seq, PER_TXN);
    EVP_PKEY_free(other);
    EVP_PKEY_free(rsa);
    fx_free(f);
}

static void test_head_file_tampered(void **state)
{
    struct fx *f = fx_new(0);
    char *text;
    size_t len = 0;
    char *p;

    (void)state;
    /* A bad signature. */
    text = read_text(f->head, &len);
    text[len - 2] = text[len - 2] == '0' ? '1' : '0';
    write_text(f->head, text, len);
    expect_bad(f, f->head, 20, "has a bad signature");
    free(text);
    fx_free(f);

    /* The hash changed (the signature no longer covers it). */
    f = fx_new(0);
    text = read_text(f->head, &len);
    p = strstr(text, "hash ");
    assert_non_null(p);
    p[5] = p[5] == 'a' ? 'b' : 'a';
    write_text(f->head, text, len);
    expect_bad(f, f->head, 20, "has a bad signature");
    free(text);

    /* A head claiming more than the log has, badly signed. */
    text = read_text(f->head, &len);
    p = strstr(text, "seq 20\n");
    assert_non_null(p);
    memcpy(p, "seq 90\n", 7);
    write_text(f->head, text, len);
    expect_bad(f, f->head, 90, "has a bad signature");
    free(text);

    /* Malformed: garbage, empty, truncated, extra lines, a NUL. */
    write_str(f->head, "hello\n");
    expect_bad(f, f->head, 21, "is malformed");
    write_text(f->head, "", 0);
    expect_bad(f, f->head, 21, "is malformed");
    write_str(f->head, "sertel-audit-head v1\nseq 20\n");
    expect_bad(f, f->head, 21, "is malformed");
    write_str(f->head, "sertel-audit-head v1\nseq -1\nhash 00\nts 1\nsignature 00\n");
    expect_bad(f, f->head, 21, "is malformed");
    write_str(f->head, "sertel-audit-head v1\nseq 99999999999999999999\n");
    expect_bad(f, f->head, 21, "is malformed");
    write_text(f->head, "sertel-audit-head v1\0\nseq 1\n", 28);
    expect_bad(f, f->head, 21, "is malformed");
    fx_free(f);

    /* A well-formed, well-signed head with trailing garbage. */
    f = fx_new(0);
    text = read_text(f->head, &len);
    text = realloc(text, len + 6);
    assert_non_null(text);
    memcpy(text + len, "extra\n", 6);
    write_text(f->head, text, len + 6);
    expect_bad(f, f->head, 21, "is malformed");
    free(text);
    fx_free(f);
}

/* One garbage value per fresh log: reported as tampering, never a crash. */
struct garbage {
    const char *sql;
    int64_t seq;
    const char *needle;
};

static void test_garbage(void **state)
{
    static const struct garbage cases[] = {
        {"UPDATE audit_log SET hash = NULL WHERE seq = 6", 6, "entry 6 is damaged"},
        {"UPDATE audit_log SET hash = x'0011' WHERE seq = 6", 6, "entry 6 is damaged"},
        {"UPDATE audit_log SET hash = x'' WHERE seq = 4", 4, "entry 4 is damaged"},
        {"UPDATE audit_log SET hash = hash || x'00' WHERE seq = 4", 4, "entry 4 is damaged"},
        {"UPDATE audit_log SET prev_hash = x'00' WHERE seq = 3", 3, "entry 3 is damaged"},
        {"UPDATE audit_log SET prev_hash = NULL WHERE seq = 1", 1, "entry 1 is damaged"},
        {"UPDATE audit_log SET details = NULL WHERE seq = 9", 9, "entry 9 is damaged"},
        {"UPDATE audit_log SET actor = NULL WHERE seq = 10", 10, "entry 10 is damaged"},
        {"UPDATE audit_log SET ts = NULL WHERE seq = 2", 2, "entry 2 is damaged"},
        {"UPDATE audit_log SET ts = 'yesterday' WHERE seq = 2", 2, "entry 2 was altered"},
        {"UPDATE audit_log SET details = 42 WHERE seq = 5", 5, "entry 5 was altered"},
        {"UPDATE audit_log SET details = zeroblob(1000000) WHERE seq = 7", 7,
         "entry 7 was altered"},
        {"UPDATE audit_log SET hash = 'not a hash but 32 bytes long....' WHERE seq = 8", 8,
         "entry 8 was altered"},
        {"UPDATE audit_log SET seq = NULL WHERE seq = 5", 1, "no sequence number"},
        {"UPDATE audit_log SET seq = 'abc' WHERE seq = 5", 5, "entry 5 was removed"},
        {"UPDATE audit_log SET seq = -5 WHERE seq = 5", 1, "invalid sequence number"},
        {"UPDATE audit_log SET seq = 9223372036854775807 WHERE seq = 20", 20,
         "entries 20..9223372036854775806 were removed"},
        {"INSERT INTO audit_log SELECT * FROM audit_log WHERE seq = 11", 11,
         "entry 11 appears more than once"},
        {"UPDATE audit_checkpoint SET signature = NULL WHERE seq = 8", 8,
         "checkpoint at entry 8 is damaged"},
        {"UPDATE audit_checkpoint SET signature = x'' WHERE seq = 8", 8,
         "checkpoint at entry 8 is damaged"},
        {"UPDATE audit_checkpoint SET hash = x'01' WHERE seq = 12", 12,
         "checkpoint at entry 12 is damaged"},
        {"UPDATE audit_checkpoint SET ts = NULL WHERE seq = 4", 4,
         "checkpoint at entry 4 is damaged"},
        {"UPDATE audit_checkpoint SET seq = NULL WHERE seq = 16", 1, "no valid entry number"},
        {"UPDATE audit_checkpoint SET signature = zeroblob(5000) WHERE seq = 16", 16,
         "checkpoint at entry 16 is damaged"},
        {"UPDATE audit_checkpoint SET signature = 'abc' WHERE seq = 16", 16,
         "checkpoint at entry 16 has a bad signature"},
        {"INSERT INTO audit_checkpoint SELECT * FROM audit_checkpoint WHERE seq = 8", 8,
         "checkpoint at entry 8 appears more than once"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fx *f = fx_new(0);
        loosen_tables(f);
        expect_ok(f, f->head, LAST, TXNS);
        sql(f, cases[i].sql);
        expect_bad(f, f->head, cases[i].seq, cases[i].needle);
        fx_free(f);
    }
}

/* The audit key never signs a history that does not extend what it signed. */
static void test_checkpoint_refuses_forged_history(void **state)
{
    struct fx *f;
    sertel_err err = {0};
    char *before, *after;
    size_t l1 = 0, l2 = 0;

    (void)state;
    /* Covered entries rewritten with recomputed hashes. */
    f = fx_new(0);
    sql(f, "UPDATE audit_log SET details = '{}' WHERE seq = 19");
    recompute_from(f, 19);
    assert_int_equal(store_begin(f->st, &err), SERTEL_OK);
    assert_int_equal(audit_append(f->a, "s", "x.y", "o", NULL, NULL, &err), SERTEL_OK);
    assert_int_equal(audit_checkpoint(f->a, &err), SERTEL_ERR_TAMPERED);
    store_rollback(f->st);
    fx_free(f);

    /* Truncated with its checkpoints: the head file still knows. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq > 17; DELETE FROM audit_checkpoint WHERE seq > 17");
    assert_int_equal(store_begin(f->st, &err), SERTEL_OK);
    assert_int_equal(audit_append(f->a, "s", "x.y", "o", NULL, NULL, &err), SERTEL_OK);
    assert_int_equal(audit_checkpoint(f->a, &err), SERTEL_ERR_TAMPERED);
    store_rollback(f->st);
    fx_free(f);

    /* Truncated, checkpoints kept. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq > 17");
    assert_int_equal(store_begin(f->st, &err), SERTEL_OK);
    assert_int_equal(audit_append(f->a, "s", "x.y", "o", NULL, NULL, &err), SERTEL_OK);
    assert_int_equal(audit_checkpoint(f->a, &err), SERTEL_ERR_TAMPERED);
    store_rollback(f->st);
    fx_free(f);

    /* Everything rewritten and every checkpoint removed: the head file still knows. */
    f = fx_new(0);
    sql(f, "UPDATE audit_log SET actor = 'mallory'");
    recompute_from(f, 1);
    sql(f, "DELETE FROM audit_checkpoint");
    assert_int_equal(store_begin(f->st, &err), SERTEL_OK);
    assert_int_equal(audit_append(f->a, "s", "x.y", "o", NULL, NULL, &err), SERTEL_OK);
    assert_int_equal(audit_checkpoint(f->a, &err), SERTEL_ERR_TAMPERED);
    store_rollback(f->st);
    fx_free(f);

    /* A malformed head file is neither signed over nor replaced. */
    f = fx_new(0);
    write_str(f->head, "junk\n");
    assert_int_equal(store_begin(f->st, &err), SERTEL_OK);
    assert_int_equal(audit_append(f->a, "s", "x.y", "o", NULL, NULL, &err), SERTEL_OK);
    assert_int_equal(audit_checkpoint(f->a, &err), SERTEL_ERR_TAMPERED);
    store_rollback(f->st);
    assert_int_equal(audit_write_head(f->a, &err), SERTEL_ERR_TAMPERED);
    before = read_text(f->head, &l1);
    assert_string_equal(before, "junk\n");
    free(before);
    fx_free(f);

    /* The head file never goes backwards. */
    f = fx_new(0);
    before = read_text(f->head, &l1);
    sql(f, "DELETE FROM audit_checkpoint WHERE seq = 20");
    assert_int_equal(audit_write_head(f->a, &err), SERTEL_OK);
    after = read_text(f->head, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(before, after, l1);
    free(before);
    free(after);
    fx_free(f);
}

static void test_rsa_signer(void **state)
{
    struct fx *f;
    char *text;
    size_t len = 0;

    (void)state;
    f = fx_new(1);
    expect_ok(f, f->head, LAST, TXNS);
    append_txn(f, 2, 1);
    expect_ok(f, f->head, LAST + 2, TXNS + 1);
    text = read_text(f->head, &len);
    assert_true(len > 2 * 256); /* an RSA-2048 signature in hex */
    free(text);
    flip_blob(f, "audit_checkpoint", "signature", 12);
    expect_bad(f, f->head, 12, "checkpoint at entry 12 has a bad signature");
    fx_free(f);

    f = fx_new(1);
    sql(f, "UPDATE audit_log SET object = 'serial-x' WHERE seq = 3");
    recompute_from(f, 3);
    expect_bad(f, f->head, 4, "entry 4 does not match its signed checkpoint");
    fx_free(f);

    f = fx_new(1);
    sql(f, "DELETE FROM audit_log WHERE seq > 17; DELETE FROM audit_checkpoint WHERE seq > 17");
    expect_bad(f, f->head, 18, "entries 18..20 are missing");
    fx_free(f);
}

/* ---- the head file missing ------------------------------------------ */

static void test_missing_head_file(void **state)
{
    struct fx *f;

    (void)state;
    /* Intact log, head file deleted. */
    f = fx_new(0);
    assert_int_equal(unlink(f->head), 0);
    expect_bad(f, f->head, LAST + 1, "audit.head is missing: the log may have been cut off");
    expect_ok(f, NULL, LAST, TXNS); /* without a head file to compare with */
    fx_free(f);

    /* The hostile case: the log and its checkpoints truncated, the head file deleted. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq > 17; DELETE FROM audit_checkpoint WHERE seq > 17");
    assert_int_equal(unlink(f->head), 0);
    expect_bad(f, f->head, 18,
               "audit.head is missing: the log may have been cut off (it now ends "
               "at entry 17)");
    fx_free(f);

    /* Even every checkpoint gone. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq > 2; DELETE FROM audit_checkpoint");
    assert_int_equal(unlink(f->head), 0);
    expect_bad(f, f->head, 3, "audit.head is missing");
    fx_free(f);
}

/* Begin, append one entry, try to checkpoint; returns audit_checkpoint's code (rolled back). */
static int try_checkpoint(struct fx *f, sertel_err *err)
{
    int rc;

    assert_int_equal(store_begin(f->st, err), SERTEL_OK);
    assert_int_equal(audit_append(f->a, "s", "x.y", "o", NULL, NULL, err), SERTEL_OK);
    rc = audit_checkpoint(f->a, err);
    store_rollback(f->st);
    return rc;
}

/* The current head as text; rc must be want. */
static char *head_get(struct fx *f, EVP_PKEY *pub, const char *head_path, int want, size_t *len)
{
    sertel_err err = {0};
    char *text = NULL;
    size_t n = 0;
    int rc = audit_head_get(f->st, pub, head_path, &text, &n, &err);

    if (rc != want)
        fail_msg("audit_head_get: rc %d, wanted %d: %s", rc, want, err.msg);
    if (rc != SERTEL_OK) {
        assert_null(text);
        assert_true(strlen(err.msg) > 0);
        return NULL;
    }
    assert_non_null(text);
    assert_int_equal(strlen(text), n);
    if (len != NULL)
        *len = n;
    return text;
}

static void test_checkpoint_refuses_missing_head(void **state)
{
    struct fx *f;
    sertel_err err = {0};
    char *text;
    size_t len = 0;

    (void)state;
    /* Signed before, head file gone: the next signature would bless a cut-off log. */
    f = fx_new(0);
    assert_int_equal(unlink(f->head), 0);
    assert_int_equal(try_checkpoint(f, &err), SERTEL_ERR_TAMPERED);
    assert_non_null(strstr(err.msg, "audit.head is missing"));
    assert_false(fs_exists(f->head));
    /* The operator restores the head file (audit head --out): signing resumes. */
    text = head_get(f, f->pub, f->head, SERTEL_OK, &len);
    write_text(f->head, text, len);
    free(text);
    append_txn(f, 2, 1);
    expect_ok(f, f->head, LAST + 2, TXNS + 1);
    fx_free(f);

    /* Truncated with its checkpoints, head file deleted. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq > 17; DELETE FROM audit_checkpoint WHERE seq > 17");
    assert_int_equal(unlink(f->head), 0);
    assert_int_equal(try_checkpoint(f, &err), SERTEL_ERR_TAMPERED);
    assert_int_equal(count(f, "SELECT count(*) FROM audit_checkpoint WHERE seq > 17"), 0);
    fx_free(f);

    /* Every checkpoint and the head file gone: the entries left were never signed here. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq > 5; DELETE FROM audit_checkpoint");
    assert_int_equal(unlink(f->head), 0);
    assert_int_equal(try_checkpoint(f, &err), SERTEL_ERR_TAMPERED);
    assert_non_null(strstr(err.msg, "up to entry 5"));
    /* A fresh handle on that store is refused too. */
    audit_close(f->a);
    f->a = NULL;
    assert_int_equal(audit_open(f->st, f->key, f->head, &f->a, &err), SERTEL_OK);
    assert_int_equal(try_checkpoint(f, &err), SERTEL_ERR_TAMPERED);
    fx_free(f);
}

/* ---- the signed head for witnesses ------------------------------------ */

/* Change one hex digit of the head file's hash (its signature then no longer covers it). */
static void flip_head_hash(const char *path)
{
    unsigned char *b = NULL;
    size_t len = 0, i;
    sertel_err err = {0};

    assert_int_equal(fs_read_file(path, 1 << 20, &b, &len, &err), SERTEL_OK);
    for (i = 0; i + 5 < len && memcmp(b + i, "hash ", 5) != 0; i++)
        ;
    assert_true(i + 5 < len);
    b[i + 5] = b[i + 5] == 'a' ? 'b' : 'a';
    assert_int_equal(fs_write_atomic(path, b, len, 0644, &err), SERTEL_OK);
    free(b);
}

static void test_head_get(void **state)
{
    struct fx *f;
    sertel_err err = {0};
    EVP_PKEY *other;
    char *text, *file;
    size_t len = 0, flen = 0;
    struct row r[1];
    char hex[65], want[256];

    (void)state;
    f = fx_new(0);
    /* The same bytes as the head file, in the format audit.h states. */
    text = head_get(f, f->pub, f->head, SERTEL_OK, &len);
    file = read_text(f->head, &flen);
    assert_int_equal(len, flen);
    assert_memory_equal(text, file, len);
    assert_int_equal(read_rows(f, LAST, r, 1), 1);
    hex_encode(r[0].hash, 32, hex);
    snprintf(want, sizeof(want), "sertel-audit-head v1\nseq 20\nhash %s\nts %lld\nsignature ", hex,
             (long long)r[0].ts);
    assert_int_equal(strncmp(text, want, strlen(want)), 0);
    free_rows(r, 1);
    free(text);
    free(file);
    /* Without a head file to consult, and with none on disk: the store's head. */
    free(head_get(f, f->pub, NULL, SERTEL_OK, NULL));
    /* Current as soon as a transaction commits, before the head file follows. */
    assert_int_equal(store_begin(f->st, &err), SERTEL_OK);
    assert_int_equal(audit_append(f->a, "s", "x.y", "o", NULL, NULL, &err), SERTEL_OK);
    assert_int_equal(audit_checkpoint(f->a, &err), SERTEL_OK);
    assert_int_equal(store_commit(f->st, &err), SERTEL_OK);
    text = head_get(f, f->pub, f->head, SERTEL_OK, NULL);
    assert_non_null(strstr(text, "\nseq 21\n"));
    free(text);
    assert_int_equal(unlink(f->head), 0);
    text = head_get(f, f->pub, f->head, SERTEL_OK, NULL);
    assert_non_null(strstr(text, "\nseq 21\n"));
    free(text);
    /* Another key: the newest checkpoint does not verify. */
    other = new_key(0);
    head_get(f, other, f->head, SERTEL_ERR_TAMPERED, NULL);
    EVP_PKEY_free(other);
    fx_free(f);

    /* The newest checkpoint's signature damaged. */
    f = fx_new(0);
    flip_blob(f, "audit_checkpoint", "signature", LAST);
    head_get(f, f->pub, f->head, SERTEL_ERR_TAMPERED, NULL);
    fx_free(f);

    /* Its entry removed, or altered. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq = 20");
    head_get(f, f->pub, NULL, SERTEL_ERR_TAMPERED, NULL);
    fx_free(f);
    f = fx_new(0);
    flip_blob(f, "audit_log", "hash", LAST);
    head_get(f, f->pub, NULL, SERTEL_ERR_TAMPERED, NULL);
    fx_free(f);

    /* Truncated with its checkpoints: the head file covers more than the store. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_log WHERE seq > 17; DELETE FROM audit_checkpoint WHERE seq > 17");
    head_get(f, f->pub, f->head, SERTEL_ERR_TAMPERED, NULL);
    text = head_get(f, f->pub, NULL, SERTEL_OK, NULL); /* what an attacker can write */
    assert_non_null(strstr(text, "\nseq 16\n"));
    free(text);
    fx_free(f);

    /* The head file disagrees with its entry, or is malformed. */
    f = fx_new(0);
    flip_head_hash(f->head);
    head_get(f, f->pub, f->head, SERTEL_ERR_TAMPERED, NULL);
    write_str(f->head, "junk\n");
    head_get(f, f->pub, f->head, SERTEL_ERR_TAMPERED, NULL);
    fx_free(f);

    /* Nothing signed yet. */
    f = fx_new(0);
    sql(f, "DELETE FROM audit_checkpoint; DELETE FROM audit_log");
    assert_int_equal(unlink(f->head), 0);
    head_get(f, f->pub, f->head, SERTEL_ERR_NOTFOUND, NULL);
    fx_free(f);
}

/* The signature of a head, checked from the bytes audit.h states (not audit.c's code). */
static void test_head_signature_independent(void **state)
{
    struct fx *f = fx_new(1);
    unsigned char msg[26 + 8 + 32 + 8], hash[32], sig[1024];
    char *text, line[2200];
    long long seq = 0, ts = 0;
    size_t hl = 0, sl = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const char *p;

    (void)state;
    text = head_get(f, f->pub, f->head, SERTEL_OK, NULL);
    p = strstr(text, "\nseq ");
    assert_int_equal(sscanf(p, "\nseq %lld", &seq), 1);
    p = strstr(text, "\nts ");
    assert_int_equal(sscanf(p, "\nts %lld", &ts), 1);
    p = strstr(text, "\nhash ");
    assert_int_equal(sscanf(p, "\nhash %64s", line), 1);
    assert_int_equal(hex_decode(line, hash, sizeof(hash), &hl), SERTEL_OK);
    p = strstr(text, "\nsignature ");
    assert_int_equal(sscanf(p, "\nsignature %2100s", line), 1);
    assert_int_equal(hex_decode(line, sig, sizeof(sig), &sl), SERTEL_OK);
    memcpy(msg, "sertel-audit-checkpoint-v1", 26);
    put_be(msg + 26, (uint64_t)seq, 8);
    memcpy(msg + 34, hash, 32);
    put_be(msg + 66, (uint64_t)ts, 8);
    /* RSA: PKCS#1 v1.5 is OpenSSL's default padding, as with `openssl dgst -verify`. */
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, f->pub), 1);
    assert_int_equal(EVP_DigestVerify(ctx, sig, sl, msg, sizeof(msg)), 1);
    msg[40] ^= 1;
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, f->pub), 1);
    assert_int_not_equal(EVP_DigestVerify(ctx, sig, sl, msg, sizeof(msg)), 1);
    EVP_MD_CTX_free(ctx);
    free(text);
    fx_free(f);
}

/* verify_ex against a witnessed head; returns the code, fills rep. */
static int verify_against(struct fx *f, const char *head_path, const char *w, size_t wlen,
                          audit_report *rep, sertel_err *err)
{
    audit_verify_opts o;

    memset(&o, 0, sizeof(o));
    o.head_path = head_path;
    o.witness = (const unsigned char *)w;
    o.witness_len = wlen;
    o.witness_name = "saved.head";
    return audit_verify_ex(f->st, f->pub, &o, rep, err);
}

static void expect_against(struct fx *f, const char *head_path, const char *w, int64_t seq,
                           const char *needle)
{
    audit_report rep;
    sertel_err err = {0};
    int rc = verify_against(f, head_path, w, strlen(w), &rep, &err);

    if (seq == 0) {
        if (rc != SERTEL_OK)
            fail_msg("expected the log to extend the witness, got rc %d: %s", rc, rep.what);
        if (strstr(rep.what, needle) == NULL)
            fail_msg("expected '%s' in: %s", needle, rep.what);
        return;
    }
    if (rc != SERTEL_ERR_TAMPERED || rep.first_bad_seq != seq || strstr(rep.what, needle) == NULL)
        fail_msg("expected tampering at entry %lld / '%s', got rc %d at %lld: %s", (long long)seq,
                 needle, rc, (long long)rep.first_bad_seq, rep.what);
    assert_non_null(strstr(err.msg, "saved.head"));
}

/* Make the head file say what the store says (what an attacker can do without the key). */
static void rewrite_head_file(struct fx *f)
{
    size_t len = 0;
    char *text;

    unlink(f->head);
    text = head_get(f, f->pub, NULL, SERTEL_OK, &len);
    write_text(f->head, text, len);
    free(text);
}

static void test_verify_against(void **state)
{
    struct fx *f, *g;
    char *w, *w2, *p;
    size_t wlen = 0;
    audit_report rep;
    sertel_err err = {0};

    (void)state;
    /* The log extends a head saved earlier, and the saved head itself. */
    f = fx_new(0);
    w = head_get(f, f->pub, f->head, SERTEL_OK, &wlen);
    expect_against(f, f->head, w, 0, "extends the witnessed head saved.head (entry 20)");
    append_txn(f, 3, 1);
    append_txn(f, 1, 0);
    expect_against(f, f->head, w, 0, "extends the witnessed head saved.head (entry 20)");
    expect_against(f, NULL, w, 0, "saved.head");

    /* Truncated below the saved head, the head file rewritten to match: only the witness knows. */
    sql(f, "DELETE FROM audit_log WHERE seq > 17; DELETE FROM audit_checkpoint WHERE seq > 17");
    rewrite_head_file(f);
    expect_ok(f, f->head, 17, 4);
    expect_against(f, f->head, w, 18,
                   "the log was truncated: entries 18..20 are missing (the witnessed head "
                   "saved.head covers up to 20)");
    /* Then a new history on top (the writer signs it: its own records agree)... */
    append_txn(f, 3, 1);
    expect_ok(f, f->head, 20, 5);
    /* ...which diverges from what was witnessed at entry 20. */
    expect_against(f, f->head, w, 20, "entry 20 differs from the witnessed head saved.head");
    append_txn(f, 2, 1);
    expect_against(f, f->head, w, 20, "the log diverged from what was witnessed");
    fx_free(f);

    /* Entries rewritten with recomputed hashes and every checkpoint replaced is the same. */
    f = fx_new(0);
    w2 = head_get(f, f->pub, f->head, SERTEL_OK, NULL);
    sql(f, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 20");
    recompute_from(f, 20);
    sql(f, "DELETE FROM audit_checkpoint WHERE seq = 20");
    rewrite_head_file(f); /* the head at 16: the store's newest checkpoint now */
    expect_ok(f, f->head, 20, 4);
    expect_against(f, f->head, w2, 20, "entry 20 differs from the witnessed head");
    free(w2);
    fx_free(f);

    /* The witnessed checkpoint removed while its entry stays. */
    f = fx_new(0);
    free(w);
    w = head_get(f, f->pub, f->head, SERTEL_OK, &wlen);
    append_txn(f, 2, 1);
    sql(f, "DELETE FROM audit_checkpoint WHERE seq = 20");
    expect_against(f, NULL, w, 20, "named by the witnessed head saved.head");

    /* Its signature altered: any byte of it. */
    w2 = strdup(w);
    p = strstr(w2, "signature ") + 20;
    *p = *p == '0' ? '1' : '0';
    expect_against(f, NULL, w2, 20, "the witnessed head saved.head (entry 20) has a bad signature");
    free(w2);
    /* Its seq changed (the signature no longer covers it): beyond the log, still bad. */
    w2 = strdup(w);
    p = strstr(w2, "\nseq 20\n");
    memcpy(p, "\nseq 90\n", 8);
    expect_against(f, NULL, w2, 90, "has a bad signature");
    free(w2);
    fx_free(f);

    /* A head of another CA (another audit key). */
    f = fx_new(0);
    g = fx_new(0);
    w2 = head_get(g, g->pub, g->head, SERTEL_OK, NULL);
    expect_against(f, f->head, w2, 20, "not made with this home's audit key");
    free(w2);
    fx_free(g);

    /* Not a head at all: an input error, not tampering. */
    assert_int_equal(verify_against(f, f->head, "junk\n", 5, &rep, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "saved.head is not a signed audit head"));
    assert_int_equal(verify_against(f, f->head, "", 0, &rep, &err), SERTEL_ERR_INVALID);
    w2 = malloc(100000);
    memset(w2, 'a', 100000);
    assert_int_equal(verify_against(f, f->head, w2, 100000, &rep, &err), SERTEL_ERR_INVALID);
    free(w2);
    w2 = malloc(wlen + 6);
    memcpy(w2, w, wlen);
    memcpy(w2 + wlen, "extra\n", 6);
    assert_int_equal(verify_against(f, f->head, w2, wlen + 6, &rep, &err), SERTEL_ERR_INVALID);
    free(w2);
    free(w);
    fx_free(f);
}

/* ---- verification on a read-only disk ----------------------------------- */

static void copy_file(const char *from, const char *to)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    sertel_err err = {0};

    assert_int_equal(fs_read_file(from, 64 << 20, &buf, &len, &err), SERTEL_OK);
    write_text(to, (const char *)buf, len);
    free(buf);
}

/*
 * In a child: make dir read-only (a read-only bind mount in a private
 * mount namespace when root, whom permission bits do not stop; the
 * permission bits otherwise), then open the store read-only and verify.
 * Returns what the child reports: "skip: why", or "rc N entries M: message".
 */
static void verify_readonly_child(const char *dir, char *out, size_t cap)
{
    int fds[2], status = 0;
    pid_t pid;
    ssize_t n;
    size_t got = 0;

    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char msg[1400];
        store *st = NULL;
        audit_report rep;
        sertel_err err = {0};
        unsigned char *der = NULL;
        EVP_PKEY *pub = NULL;
        const unsigned char *pp;
        size_t dlen = 0;
        int rc;

        close(fds[0]);
        /* The public key travels as DER through a file next to the directory. */
        if (fs_read_file(tu_path(dir, "../pub.der"), 4096, &der, &dlen, &err) != SERTEL_OK)
            _exit(3);
        pp = der;
        pub = d2i_PUBKEY(NULL, &pp, (long)dlen);
        if (geteuid() == 0) {
            if (unshare(CLONE_NEWNS) != 0 ||
                mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
                mount(dir, dir, NULL, MS_BIND, NULL) != 0 ||
                mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0) {
                snprintf(msg, sizeof(msg), "skip: no read-only bind mount here (%s)",
                         strerror(errno));
                if (write(fds[1], msg, strlen(msg)) < 0)
                    _exit(4);
                _exit(0);
            }
        } else if (chmod(dir, 0555) != 0) {
            _exit(5);
        }
        rc = store_open(tu_path(dir, "sertel.db"), STORE_OPEN_READONLY, &st, &err);
        memset(&rep, 0, sizeof(rep));
        if (rc == SERTEL_OK)
            rc = audit_verify(st, pub, tu_path(dir, "audit.head"), &rep, &err);
        store_close(st);
        snprintf(msg, sizeof(msg), "rc %d entries %lld: %s", rc, (long long)rep.entries,
                 rc == SERTEL_OK ? rep.what : err.msg);
        if (write(fds[1], msg, strlen(msg)) < 0)
            _exit(4);
        EVP_PKEY_free(pub);
        free(der);
        _exit(0);
    }
    close(fds[1]);
    while (got + 1 < cap && (n = read(fds[0], out + got, cap - 1 - got)) > 0)
        got += (size_t)n;
    out[got] = '\0';
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the read-only child failed (status %d): %s", status, out);
    if (geteuid() != 0)
        assert_int_equal(chmod(dir, 0755), 0);
}

/* Names in dir, sorted, as one string. */
static void listing(const char *dir, char *out, size_t cap)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort), i;

    assert_true(n >= 0);
    out[0] = '\0';
    for (i = 0; i < n; i++) {
        strncat(out, names[i]->d_name, cap - strlen(out) - 2);
        strncat(out, " ", cap - strlen(out) - 1);
        free(names[i]);
    }
    free(names);
}

static void test_verify_readonly_disk(void **state)
{
    struct fx *f = fx_new(0);
    char *parent = tu_mkdtemp(), copy[4096], res[1500], before[1024], after[1024];
    unsigned char *der = NULL;
    int dlen;
    struct stat st;

    (void)state;
    dlen = i2d_PUBKEY(f->pub, &der);
    assert_true(dlen > 0);
    write_text(tu_path(parent, "pub.der"), (const char *)der, (size_t)dlen);
    OPENSSL_free(der);
    snprintf(copy, sizeof(copy), "%s/ro", parent);
    assert_int_equal(mkdir(copy, 0755), 0);

    /* A copy of a home in use: the log is in sertel.db-wal, the index in -shm. */
    append_txn(f, 2, 1);
    assert_int_equal(stat(tu_path(f->dir, "sertel.db-wal"), &st), 0);
    assert_true(st.st_size > 0);
    copy_file(tu_path(f->dir, "sertel.db"), tu_path(copy, "sertel.db"));
    copy_file(tu_path(f->dir, "sertel.db-wal"), tu_path(copy, "sertel.db-wal"));
    copy_file(tu_path(f->dir, "sertel.db-shm"), tu_path(copy, "sertel.db-shm"));
    copy_file(f->head, tu_path(copy, "audit.head"));
    listing(copy, before, sizeof(before));
    verify_readonly_child(copy, res, sizeof(res));
    if (strncmp(res, "skip:", 5) == 0) {
        fx_free(f);
        tu_rmtree(parent);
        skip();
    }
    if (strncmp(res, "rc 0 entries 22:", 16) != 0)
        fail_msg("wal + shm: %s", res);
    listing(copy, after, sizeof(after));
    assert_string_equal(before, after);

    /* The -wal file without its -shm: the main file alone would be older. Refused, saying why. */
    assert_int_equal(unlink(tu_path(copy, "sertel.db-shm")), 0);
    verify_readonly_child(copy, res, sizeof(res));
    if (strncmp(res, "rc -3 ", 6) != 0 || strstr(res, "sertel.db-wal holds transactions") == NULL)
        fail_msg("wal without shm: %s", res);

    /* A home closed cleanly: sertel.db alone (no -wal, no -shm to create). */
    audit_close(f->a);
    f->a = NULL;
    store_close(f->st);
    f->st = NULL;
    assert_false(fs_exists(tu_path(f->dir, "sertel.db-wal")));
    unlink(tu_path(copy, "sertel.db-wal"));
    copy_file(tu_path(f->dir, "sertel.db"), tu_path(copy, "sertel.db"));
    listing(copy, before, sizeof(before));
    verify_readonly_child(copy, res, sizeof(res));
    if (strncmp(res, "rc 0 entries 22:", 16) != 0)
        fail_msg("database only: %s", res);
    listing(copy, after, sizeof(after));
    assert_string_equal(before, after);

    /* An empty -wal left beside it (no -shm): the main file is complete. */
    write_text(tu_path(copy, "sertel.db-wal"), "", 0);
    verify_readonly_child(copy, res, sizeof(res));
    if (strncmp(res, "rc 0 entries 22:", 16) != 0)
        fail_msg("empty wal: %s", res);

    /* Tampering is still found read-only: the head file gone. */
    unlink(tu_path(copy, "sertel.db-wal"));
    unlink(tu_path(copy, "audit.head"));
    verify_readonly_child(copy, res, sizeof(res));
    if (strncmp(res, "rc -9 ", 6) != 0 || strstr(res, "audit.head is missing") == NULL)
        fail_msg("missing head: %s", res);
    fx_free(f);
    tu_rmtree(parent);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intact),
        cmocka_unit_test(test_chain_matches_header_formula),
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_head_file_format),
        cmocka_unit_test(test_append_rules),
        cmocka_unit_test(test_empty_log),
        cmocka_unit_test(test_readonly_store),
        cmocka_unit_test(test_altered),
        cmocka_unit_test(test_removed),
        cmocka_unit_test(test_reordered),
        cmocka_unit_test(test_link_only_broken),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_rewritten_with_recomputed_hashes),
        cmocka_unit_test(test_bad_checkpoint_signature),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_head_file_tampered),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_checkpoint_refuses_forged_history),
        cmocka_unit_test(test_rsa_signer),
        cmocka_unit_test(test_missing_head_file),
        cmocka_unit_test(test_checkpoint_refuses_missing_head),
        cmocka_unit_test(test_head_get),
        cmocka_unit_test(test_head_signature_independent),
        cmocka_unit_test(test_verify_against),
        cmocka_unit_test(test_verify_readonly_disk),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
