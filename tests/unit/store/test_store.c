/*
 * test_store.c - the storage interface on SQLite: migrations (and what
 * schema 8 makes of the applications an older home holds), durable
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
#include "store/store_int.h"
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

static int64_t one_int(store *st, const char *sql)
{
    store_stmt *s = NULL;
    int64_t v = -1;

    assert_int_equal(store_prepare(st, sql, &s, NULL), SERTEL_OK);
    if (store_step(s, NULL) == STORE_ROW)
        v = store_col_int64(s, 0);
    store_finalize(s);
    return v;
}

/*
 * A home at schema 6 with applications: schema 8 keeps them, seeds each
 * one's history from what its row tells (submitted; the last decision,
 * with who and why) and accepts the update kind.
 */
static void test_migrate_applications_8(void **state)
{
    char *dir = tu_mkdtemp();
    store *st = NULL;
    sertel_err err = {0};
    store_stmt *s = NULL;
    int i, ver;

    (void)state;
    assert_int_equal(store_open(tu_path(dir, "t.db"), STORE_OPEN_CREATE, &st, &err), SERTEL_OK);
    for (i = 0; i < store_migrations_count && store_migrations[i].version <= 6; i++) {
        assert_int_equal(store_begin(st, &err), SERTEL_OK);
        assert_int_equal(store_exec(st, store_migrations[i].sql, &err), SERTEL_OK);
        assert_int_equal(store_execf(st, &err,
                                     "INSERT INTO schema_version (version, description) VALUES "
                                     "(?, ?)",
                                     "it", (int64_t)store_migrations[i].version, "old"),
                         SERTEL_OK);
        assert_int_equal(store_commit(st, &err), SERTEL_OK);
    }
    assert_int_equal(store_schema_version(st, &ver, &err), SERTEL_OK);
    assert_int_equal(ver, 6);
    assert_int_equal(
        store_exec(st,
                   "INSERT INTO agencies (id, name, created_at) VALUES (1, 'Kementerian Uji', 1);"
                   "INSERT INTO accounts (id, email, name, role, agency_id, created_at) VALUES "
                   "(1, 'rina@uji.go.id', 'Rina', 'applicant', 1, 1), "
                   "(2, 'ver@uji.go.id', 'Ver', 'verifier', 1, 1);"
                   "INSERT INTO applications (id, kind, account_id, agency_id, state, note, "
                   "decided_by, decided_at, created_at, updated_at) VALUES "
                   "(1, 'issuance', 1, 1, 'pending', NULL, NULL, NULL, 100, 100), "
                   "(2, 'renewal', 1, 1, 'rejected', 'terlalu dini', 2, 300, 200, 300), "
                   "(3, 'revocation', 1, 1, 'completed', NULL, 0, 500, 400, 500), "
                   "(4, 'issuance', 1, 1, 'completed', NULL, 2, 700, 600, 800), "
                   "(5, 'issuance', 1, 1, 'pending', 'KTP buram', 2, 950, 900, 990), "
                   "(6, 'renewal', 1, 1, 'cancelled', NULL, NULL, NULL, 1000, 1100);",
                   &err),
        SERTEL_OK);
    assert_int_equal(store_migrate(st, &err), SERTEL_OK);
    assert_int_equal(store_schema_version(st, &ver, &err), SERTEL_OK);
    assert_true(ver >= 8);
    assert_int_equal(one_int(st, "SELECT count(*) FROM applications"), 6);
    assert_int_equal(one_int(st, "SELECT count(*) FROM application_events"), 13);
    assert_int_equal(store_prepare(st,
                                   "SELECT seq, happened_at, actor, event, state, "
                                   "coalesce(note, '') FROM application_events WHERE "
                                   "application_id = 2 ORDER BY seq",
                                   &s, &err),
                     SERTEL_OK);
    assert_int_equal(store_step(s, &err), STORE_ROW);
    assert_int_equal(store_col_int64(s, 1), 200);
    assert_string_equal(store_col_text(s, 2), "rina@uji.go.id");
    assert_string_equal(store_col_text(s, 3), "submitted");
    assert_int_equal(store_step(s, &err), STORE_ROW);
    assert_int_equal(store_col_int64(s, 1), 300);
    assert_string_equal(store_col_text(s, 2), "ver@uji.go.id");
    assert_string_equal(store_col_text(s, 3), "rejected");
    assert_string_equal(store_col_text(s, 5), "terlalu dini");
    assert_int_equal(store_step(s, &err), STORE_DONE);
    store_finalize(s);
    assert_int_equal(
        one_int(st, "SELECT count(*) FROM application_events WHERE application_id = 3 AND actor = "
                    "'local administrator' AND event = 'approved' AND state = 'completed'"),
        1);
    /* approved by the verifier, completed by its owner */
    assert_int_equal(one_int(st, "SELECT count(*) FROM application_events WHERE application_id = "
                                 "4 AND ((seq = 2 AND event = 'approved' AND state = 'approved' "
                                 "AND happened_at = 700) OR (seq = 3 AND event = 'completed' AND "
                                 "actor = 'rina@uji.go.id' AND happened_at = 800))"),
                     2);
    /* returned, then sent again */
    assert_int_equal(one_int(st, "SELECT count(*) FROM application_events WHERE application_id = "
                                 "5 AND ((seq = 2 AND event = 'returned' AND note = 'KTP buram') "
                                 "OR (seq = 3 AND event = 'resubmitted' AND state = 'pending'))"),
                     2);
    assert_int_equal(one_int(st, "SELECT count(*) FROM application_events WHERE application_id = "
                                 "6 AND seq = 2 AND event = 'cancelled' AND happened_at = 1100"),
                     1);
    /* The new kind and columns; an unknown kind is still refused. */
    assert_int_equal(store_exec(st,
                                "INSERT INTO applications (id, kind, account_id, agency_id, state, "
                                "new_unit, created_at, updated_at) VALUES (7, 'update', 1, 1, "
                                "'pending', 'Biro Hukum', 600, 600)",
                                &err),
                     SERTEL_OK);
    assert_int_not_equal(store_exec(st,
                                    "INSERT INTO applications (id, kind, account_id, agency_id, "
                                    "state, created_at, updated_at) VALUES (8, 'bogus', 1, 1, "
                                    "'pending', 600, 600)",
                                    &err),
                         SERTEL_OK);
    store_close(st);
    tu_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_and_meta),
        cmocka_unit_test(test_migrate_applications_8),
        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_readonly_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
