/*
 * test_check.c - the damage check of the SQLite store (store.h, "Damage"):
 * bytes overwritten in the header, in an interior page of a large table,
 * in a leaf of a small table and in a leaf of a large one; writes refused
 * with the restore step, in other handles too (the flag beside the
 * database); an intact store passes, also when the newest version of a
 * page is in the WAL and the database file still holds a damaged old one.
 * Pages are located with SQLite's dbstat table, not with sertel's reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "testutil.h"
#include "util/fs.h"
#include "util/hex.h"

/* A store with n certificate rows of about 1 KB (DER-sized blobs). */
static void make_store(const char *path, int n)
{
    store *st = NULL;
    store_stmt *s = NULL;
    sertel_err err = {0};
    unsigned char der[1000];
    char serial[41], sha[65], subject[64], email[64];
    int i;

    assert_int_equal(store_open(path, STORE_OPEN_CREATE, &st, &err), SERTEL_OK);
    assert_int_equal(store_migrate(st, &err), SERTEL_OK);
    assert_int_equal(store_begin(st, &err), SERTEL_OK);
    for (i = 0; i < 20; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", i);
        assert_int_equal(store_meta_set(st, k, "a value", &err), SERTEL_OK);
    }
    assert_int_equal(store_prepare(st,
                                   "INSERT INTO certificates (serial, issuer, profile, subject, "
                                   "email, not_before, not_after, status, sha256, der, created_at) "
                                   "VALUES (?, 'issuing', 'document-signing', ?, ?, 0, 1, "
                                   "'valid', ?, ?, ?)",
                                   &s, &err),
                     SERTEL_OK);
    for (i = 0; i < n; i++) {
        unsigned char h[32];
        size_t j;
        for (j = 0; j < sizeof(der); j++)
            der[j] = (unsigned char)(i * 31 + j * 7);
        memset(h, 0, sizeof(h));
        memcpy(h, &i, sizeof(i));
        h[31] = 0x5a;
        hex_encode(h, 16, serial);
        hex_encode(h, 32, sha);
        snprintf(subject, sizeof(subject), "CN=Pegawai %d,O=Kementerian Contoh,C=ID", i);
        snprintf(email, sizeof(email), "pegawai%d@contoh.go.id", i);
        assert_int_equal(store_bind_text(s, 1, serial, &err), SERTEL_OK);
        assert_int_equal(store_bind_text(s, 2, subject, &err), SERTEL_OK);
        assert_int_equal(store_bind_text(s, 3, email, &err), SERTEL_OK);
        assert_int_equal(store_bind_text(s, 4, sha, &err), SERTEL_OK);
        assert_int_equal(store_bind_blob(s, 5, der, sizeof(der), &err), SERTEL_OK);
        assert_int_equal(store_bind_int64(s, 6, i, &err), SERTEL_OK);
        assert_int_equal(store_run(s, &err), SERTEL_OK);
        store_reset(s);
    }
    store_finalize(s);
    assert_int_equal(store_commit(st, &err), SERTEL_OK);
    store_close(st); /* the last connection checkpoints: everything is in the file */
}

/* A page of table name found by SQLite's dbstat: pagetype "internal" or "leaf", not the root. */
static int64_t find_page(const char *path, const char *name, const char *type, int nth)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    int64_t pg = -1;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = ? "
                                        "AND path <> '/' ORDER BY pageno LIMIT 1 OFFSET ?",
                                        -1, &q, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, type, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, nth);
    if (sqlite3_step(q) == SQLITE_ROW)
        pg = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    assert_true(pg > 1);
    return pg;
}

/* Overwrite len bytes at off of the file (what dd conv=notrunc does). */
static void damage(const char *path, off_t off, const void *bytes, size_t len)
{
    int fd = open(path, O_WRONLY);

    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, bytes, len, off), (ssize_t)len);
    close(fd);
}

static void copy_file(const char *from, const char *to)
{
    unsigned char *data = NULL;
    size_t len = 0;
    sertel_err err = {0};

    unlink(to);
    assert_int_equal(fs_read_file(from, 64u << 20, &data, &len, &err), SERTEL_OK);
    assert_int_equal(fs_create_excl(to, data, len, 0600, &err), SERTEL_OK);
    free(data);
}

/* Writes are refused with the restore step, now and from a new handle; the flag is there. */
static void assert_writes_refused(const char *path, sertel_err *first)
{
    store *st = NULL;
    sertel_err err = {0};
    char flag[4096];

    assert_non_null(strstr(first->msg, "damaged"));
    assert_non_null(strstr(first->msg, "sertel restore --from"));
    assert_non_null(strstr(first->msg, ".recover"));
    snprintf(flag, sizeof(flag), "%s-damaged", path);
    assert_true(fs_exists(flag));
    if (store_open(path, 0, &st, &err) != SERTEL_OK) {
        /* SQLite itself refuses this damage at open (the schema is unreadable). */
        assert_int_equal(err.code, SERTEL_ERR_STORE);
        assert_non_null(strstr(err.msg, "sertel restore --from"));
        return;
    }
    assert_int_equal(store_begin(st, &err), SERTEL_ERR_STORE);
    assert_non_null(strstr(err.msg, "sertel restore --from"));
    assert_non_null(strstr(err.msg, flag));
    store_close(st);
}

/* A fresh handle's first write runs the check. */
static int first_write(const char *path, sertel_err *err)
{
    store *st = NULL;
    int rc = store_open(path, 0, &st, err);

    if (rc == SERTEL_OK)
        rc = store_begin(st, err);
    if (rc == SERTEL_OK)
        rc = store_meta_set(st, "written", "yes", err);
    if (rc == SERTEL_OK)
        rc = store_commit(st, err);
    store_close(st);
    return rc;
}

static char *dir;
static char good[4096];

static int setup(void **state)
{
    (void)state;
    dir = tu_mkdtemp();
    snprintf(good, sizeof(good), "%s", tu_path(dir, "good.db"));
    /* 4000 rows: ~1300 leaves, beyond the 1024-page full-check budget, three levels deep. */
    make_store(good, 4000);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(dir);
    return 0;
}

static void test_intact(void **state)
{
    char path[4096];
    store *st = NULL;
    sertel_err err = {0};
    store_check_stats stats;

    (void)state;
    snprintf(path, sizeof(path), "%s", tu_path(dir, "intact.db"));
    copy_file(good, path);
    assert_int_equal(store_open(path, 0, &st, &err), SERTEL_OK);
    assert_int_equal(store_check(st, 0, &stats, &err), SERTEL_OK);
    assert_true(stats.pages > 1300);
    assert_true(stats.btrees > 20);
    assert_true(stats.tables_full > 10); /* meta, authorities, ... in full */
    /* A small part of the file (here the small tables' full check is most of it). */
    assert_true(stats.pages_read * 5 < stats.pages);
    assert_int_equal(store_check(st, STORE_CHECK_FULL, &stats, &err), SERTEL_OK);
    assert_int_equal(stats.pages_read, stats.pages);
    store_close(st);
    assert_int_equal(first_write(path, &err), SERTEL_OK);
}

static void test_header(void **state)
{
    static const struct {
        off_t off;
        const char *bytes;
        size_t len;
        const char *finding;
    } cases[] = {
        {36, "\x00\x00\x00\x07", 4, "free-page list"}, /* free-page count */
        {56, "\x00\x00\x00\x02", 4, "malformed"},      /* UTF-16le: SQLite's CORRUPT */
        {21, "\x20", 1, NULL},                         /* payload fraction: SQLite refuses */
        {0, "SQLite format 4", 15, NULL},              /* signature: SQLite refuses */
    };
    char path[4096];
    sertel_err err = {0};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(path, sizeof(path), "%s", tu_path(dir, "header.db"));
        copy_file(good, path);
        unlink(tu_path(dir, "header.db-damaged"));
        damage(path, cases[i].off, cases[i].bytes, cases[i].len);
        memset(&err, 0, sizeof(err));
        assert_int_equal(first_write(path, &err), SERTEL_ERR_STORE);
        assert_non_null(strstr(err.msg, "sertel restore --from"));
        if (cases[i].finding != NULL) {
            assert_non_null(strstr(err.msg, cases[i].finding));
            assert_writes_refused(path, &err);
        }
    }
}

static void test_interior_page(void **state)
{
    char path[4096];
    sertel_err err = {0};
    int64_t pg;
    int k;

    (void)state;
    /* Garbage over the cell pointers, the page type, a child pointer's high byte. */
    for (k = 0; k < 3; k++) {
        static const off_t at[] = {12, 0, 0};
        static const char *const bytes[] = {"\xff\xf0\xff\xf0\xff\xf0", "\x0d", NULL};
        snprintf(path, sizeof(path), "%s", tu_path(dir, "interior.db"));
        copy_file(good, path);
        unlink(tu_path(dir, "interior.db-damaged"));
        pg = find_page(path, "certificates", "internal", 0);
        if (k < 2) {
            damage(path, (pg - 1) * 4096 + at[k], bytes[k], strlen(bytes[k]));
        } else {
            /* The right-most child pointer (interior header bytes 8..11) to page 0x7f000001. */
            damage(path, (pg - 1) * 4096 + 8, "\x7f", 1);
        }
        memset(&err, 0, sizeof(err));
        assert_int_equal(first_write(path, &err), SERTEL_ERR_STORE);
        assert_non_null(strstr(err.msg, "certificates"));
        assert_writes_refused(path, &err);
    }
}

static void test_leaf_of_small_table(void **state)
{
    char path[4096];
    sertel_err err = {0};
    store *st = NULL;
    int64_t pg;

    (void)state;
    snprintf(path, sizeof(path), "%s", tu_path(dir, "smallleaf.db"));
    make_store(path, 30); /* ten leaves: within the full-check budget */
    pg = find_page(path, "certificates", "leaf", 4);
    damage(path, (pg - 1) * 4096 + 1, "\x0f\xff\x00\x30", 4); /* free-block and cell count */
    assert_int_equal(store_open(path, 0, &st, &err), SERTEL_OK);
    assert_int_equal(store_check(st, 0, NULL, &err), SERTEL_ERR_STORE);
    store_close(st);
    assert_non_null(strstr(err.msg, "certificates"));
    assert_writes_refused(path, &err);
}

static void test_leaf_of_large_table(void **state)
{
    char path[4000], flag[4096];
    sertel_err err = {0};
    store *st = NULL, *other = NULL;
    store_stmt *s = NULL;
    int64_t pg;
    int rc;

    (void)state;
    snprintf(path, sizeof(path), "%s", tu_path(dir, "bigleaf.db"));
    snprintf(flag, sizeof(flag), "%s-damaged", path);
    copy_file(good, path);
    pg = find_page(path, "certificates", "leaf", 600);
    damage(path, (pg - 1) * 4096 + 3, "\x7f\x7f", 2); /* the cell count */
    /* The cheap check does not read this leaf (store.h says so)... */
    assert_int_equal(store_open(path, 0, &st, &err), SERTEL_OK);
    assert_int_equal(store_open(path, 0, &other, &err), SERTEL_OK);
    assert_int_equal(store_check(st, 0, NULL, &err), SERTEL_OK);
    assert_false(fs_exists(flag));
    /* ...the first statement that does marks the store damaged... */
    assert_int_equal(store_prepare(st, "SELECT count(length(der)) FROM certificates", &s, &err),
                     SERTEL_OK);
    rc = store_step(s, &err);
    store_finalize(s);
    assert_int_equal(rc, SERTEL_ERR_STORE);
    assert_non_null(strstr(err.msg, "sertel restore --from"));
    assert_true(fs_exists(flag));
    /* ...and then no handle writes, even where the damaged page is not involved. */
    assert_int_equal(store_begin(other, &err), SERTEL_ERR_STORE);
    assert_non_null(strstr(err.msg, flag));
    store_close(other);
    store_close(st);
    assert_writes_refused(path, &err);
    /* The full check finds it on a fresh copy, without any statement reading it first. */
    copy_file(good, path);
    unlink(flag);
    damage(path, (pg - 1) * 4096 + 3, "\x7f\x7f", 2);
    assert_int_equal(store_open(path, 0, &st, &err), SERTEL_OK);
    assert_int_equal(store_check(st, STORE_CHECK_FULL, NULL, &err), SERTEL_ERR_STORE);
    store_close(st);
    assert_writes_refused(path, &err);
}

static void test_newest_page_in_wal(void **state)
{
    char path[4000], wal[4096];
    sertel_err err = {0};
    store *st = NULL;
    struct stat sb;

    (void)state;
    snprintf(path, sizeof(path), "%s", tu_path(dir, "wal.db"));
    snprintf(wal, sizeof(wal), "%s-wal", path);
    make_store(path, 30);
    assert_int_equal(store_open(path, 0, &st, &err), SERTEL_OK);
    assert_int_equal(store_begin(st, &err), SERTEL_OK);
    assert_int_equal(store_exec(st,
                                "INSERT INTO certificates (serial, issuer, profile, subject, "
                                "not_before, not_after, status, sha256, der, created_at) SELECT "
                                "'x' || serial, issuer, profile, subject, 0, 1, 'valid', "
                                "'x' || sha256, der, 0 FROM certificates",
                                &err),
                     SERTEL_OK);
    assert_int_equal(store_commit(st, &err), SERTEL_OK);
    assert_int_equal(stat(wal, &sb), 0);
    assert_true(sb.st_size > 4096); /* the growth is in the WAL, page 1 (its size) too */
    /* An old page 1 in the file with a wrong free-page count: SQLite reads page 1 from
     * the WAL, and so does the check. */
    damage(path, 36, "\x00\x00\x00\x09", 4);
    assert_int_equal(store_check(st, 0, NULL, &err), SERTEL_OK);
    assert_int_equal(store_check(st, STORE_CHECK_FULL, NULL, &err), SERTEL_OK);
    store_close(st);
    assert_int_equal(first_write(path, &err), SERTEL_OK);
    /* Once checkpointed the file holds the good page 1; damage it there: found. */
    damage(path, 36, "\x00\x00\x00\x09", 4);
    assert_int_equal(first_write(path, &err), SERTEL_ERR_STORE);
    assert_writes_refused(path, &err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intact),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_interior_page),
        cmocka_unit_test(test_leaf_of_small_table),
        cmocka_unit_test(test_leaf_of_large_table),
        cmocka_unit_test(test_newest_page_in_wal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
