/*
 * test_store.c - the storage interface on SQLite: migrations, durable
 * settings, transactions (commit, rollback, no nesting), unique
 * constraints reported as SERTEL_ERR_EXISTS, read-only handles, and a
 * clear error for a file that is not a database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"
#include "testutil.h"
#include "util/fs.h"

static store *open_new(const char *dir)
{
    store *st = NULL;
    sertel_err err = {0};

    assert_int_equal(store_open(tu_path(dir, "t.db"), STORE_OPEN_CREATE, &st, &err), SERTEL_OK);
    assert_int_equal(store_migrate(st, &err), SERTEL_OK);
    return st;
}

static void test_migrate_and_meta(void **state)
{
    char *dir = tu_mkdtemp();
    store *st = open_new(dir);
    sertel_err err = {0};
    struct stat sb;
    char *v = NULL;
    int ver;

    (void)state;
    assert_int_equal(store_schema_version(st, &ver, &err), SERTEL_OK);
    assert_int_equal(ver, store_schema_latest());
    assert_int_equal(store_migrate(st, &err), SERTEL_OK); /* idempotent */
    assert_int_equal(store_meta_get(st, "k", &v, &err), SERTEL_ERR_NOTFOUND);
    assert_int_equal(store_begin(st, &err), SERTEL_OK);
    assert_int_equal(store_meta_set(st, "k", "one", &err), SERTEL_OK);
    assert_int_equal(store_meta_set(st, "k", "two", &err), SERTEL_OK);
    assert_int_equal(store_commit(st, &err), SERTEL_OK);
    assert_int_equal(store_meta_get(st, "k", &v, &err), SERTEL_OK);
    assert_string_equal(v, "two");
    free(v);
    assert_string_equal(store_backend(st), "sqlite");
    store_close(st);
    assert_int_equal(stat(tu_path(dir, "t.db"), &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    tu_rmtree(dir);
}

static void test_transactions(void **state)
{
    char *dir = tu_mkdtemp();
    store *st = open_new(dir);
    sertel_err err = {0};
    char *v = NULL;
    store_stmt *s = NULL;

    (void)state;
    assert_int_equal(store_begin(st, &err), SERTEL_OK);
    assert_int_equal(store_begin(st, &err), SERTEL_ERR_STATE);
    assert_int_equal(store_meta_set(st, "gone", "x", &err), SERTEL_OK);
    store_rollback(st);
    assert_int_equal(store_meta_get(st, "gone", &v, &err), SERTEL_ERR_NOTFOUND);
    assert_int_equal(store_commit(st, &err), SERTEL_ERR_STATE);
    /* unique constraint */
    assert_int_equal(store_begin(st, &err), SERTEL_OK);
    assert_int_equal(store_prepare(st, "INSERT INTO meta (key, value) VALUES (?, ?)", &s, &err),
                     SERTEL_OK);
    assert_int_equal(store_bind_text(s, 1, "dup", &err), SERTEL_OK);
    assert_int_equal(store_bind_text(s, 2, "1", &err), SERTEL_OK);
    assert_int_equal(store_run(s, &err), SERTEL_OK);
    store_reset(s);
    assert_int_equal(store_bind_text(s, 1, "dup", &err), SERTEL_OK);
    assert_int_equal(store_bind_text(s, 2, "2", &err), SERTEL_OK);
    assert_int_equal(store_run(s, &err), SERTEL_ERR_EXISTS);
    store_finalize(s);
    assert_int_equal(store_commit(st, &err), SERTEL_OK);
    store_close(st);
    tu_rmtree(dir);
}

static void test_readonly_and_errors(void **state)
{
    char *dir = tu_mkdtemp();
    store *st = open_new(dir);
    sertel_err err = {0};
    FILE *f;

    (void)state;
    store_close(st);
    assert_int_equal(store_open(tu_path(dir, "t.db"), STORE_OPEN_READONLY, &st, &err), SERTEL_OK);
    assert_int_equal(store_begin(st, &err), SERTEL_ERR_STATE);
    store_close(st);
    assert_int_equal(store_open(tu_path(dir, "missing.db"), 0, &st, &err), SERTEL_ERR_NOTFOUND);
    assert_null(st);
    assert_non_null(strstr(err.msg, "sertel init"));
    f = fopen(tu_path(dir, "junk.db"), "w");
    fputs("this is not an SQLite database, it is just some text that goes on for a while "
          "so the header is wrong",
          f);
    fclose(f);
    assert_int_not_equal(store_open(tu_path(dir, "junk.db"), 0, &st, &err), SERTEL_OK);
    assert_null(st);
    assert_non_null(strstr(err.msg, "not a sertel database"));
    assert_int_equal(store_open("postgresql://x", 0, &st, &err), SERTEL_ERR_UNSUPPORTED);
    tu_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_and_meta),
        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_readonly_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
