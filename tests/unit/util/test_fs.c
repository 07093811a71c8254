/*
 * test_fs.c - careful file helpers: bounded reads (exactly at the limit and
 * one past it), atomic replacement, exclusive secret files, secret files'
 * first line, hex.
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

#include "testutil.h"
#include "util/fs.h"
#include "util/hex.h"

static void write_n(const char *path, size_t n)
{
    FILE *f = fopen(path, "w");
    size_t i;

    for (i = 0; i < n; i++)
        fputc('a', f);
    fclose(f);
}

static void test_read_limits(void **state)
{
    char *dir = tu_mkdtemp();
    unsigned char *b = NULL;
    size_t len = 0;
    sertel_err err = {0};

    (void)state;
    write_n(tu_path(dir, "exact"), 4096);
    assert_int_equal(fs_read_file(tu_path(dir, "exact"), 4096, &b, &len, &err), SERTEL_OK);
    assert_int_equal(len, 4096);
    free(b);
    write_n(tu_path(dir, "over"), 4097);
    assert_int_equal(fs_read_file(tu_path(dir, "over"), 4096, &b, &len, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "too large"));
    write_n(tu_path(dir, "empty"), 0);
    assert_int_equal(fs_read_file(tu_path(dir, "empty"), 10, &b, &len, &err), SERTEL_OK);
    assert_int_equal(len, 0);
    free(b);
    assert_int_equal(fs_read_file(tu_path(dir, "missing"), 10, &b, &len, &err),
                     SERTEL_ERR_NOTFOUND);
    assert_int_equal(fs_read_file(dir, 10, &b, &len, &err), SERTEL_ERR_INVALID);
    tu_rmtree(dir);
}

static void test_atomic_and_excl(void **state)
{
    char *dir = tu_mkdtemp();
    unsigned char *b = NULL;
    size_t len = 0;
    struct stat st;
    sertel_err err = {0};

    (void)state;
    assert_int_equal(fs_write_atomic(tu_path(dir, "f"), "one", 3, 0644, &err), SERTEL_OK);
    assert_int_equal(fs_write_atomic(tu_path(dir, "f"), "two!", 4, 0600, &err), SERTEL_OK);
    assert_int_equal(fs_read_file(tu_path(dir, "f"), 100, &b, &len, &err), SERTEL_OK);
    assert_memory_equal(b, "two!", 4);
    free(b);
    assert_int_equal(stat(tu_path(dir, "f"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(fs_create_excl(tu_path(dir, "k"), "s", 1, 0600, &err), SERTEL_OK);
    assert_int_equal(fs_create_excl(tu_path(dir, "k"), "t", 1, 0600, &err), SERTEL_ERR_EXISTS);
    assert_int_equal(fs_write_atomic("/nonexistent-dir/x", "a", 1, 0600, &err), SERTEL_ERR_IO);
    tu_rmtree(dir);
}

static void test_secret_and_hex(void **state)
{
    char *dir = tu_mkdtemp();
    char *sec = NULL, hex[9];
    unsigned char raw[4] = {0xde, 0xad, 0x00, 0x7f}, back[4];
    size_t n;
    FILE *f;
    sertel_err err = {0};

    (void)state;
    f = fopen(tu_path(dir, "pw"), "w");
    fputs("rahasia\r\nsecond line\n", f);
    fclose(f);
    assert_int_equal(secret_read_file(tu_path(dir, "pw"), &sec, &err), SERTEL_OK);
    assert_string_equal(sec, "rahasia");
    secret_free(sec);
    f = fopen(tu_path(dir, "empty"), "w");
    fputs("\nx\n", f);
    fclose(f);
    assert_int_equal(secret_read_file(tu_path(dir, "empty"), &sec, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "first line"));
    hex_encode(raw, 4, hex);
    assert_string_equal(hex, "dead007f");
    assert_int_equal(hex_decode("DEAD007f", back, sizeof(back), &n), SERTEL_OK);
    assert_memory_equal(back, raw, 4);
    assert_int_equal(hex_decode("abc", back, sizeof(back), &n), SERTEL_ERR_INVALID);
    assert_int_equal(hex_decode("zz", back, sizeof(back), &n), SERTEL_ERR_INVALID);
    tu_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_limits),
        cmocka_unit_test(test_atomic_and_excl),
        cmocka_unit_test(test_secret_and_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
