/*
 * test_fs.c - careful file helpers: bounded reads (exactly at the limit and
 * one past it), atomic replacement, exclusive secret files, secret files'
 * first line, hex, and the removal of temporary files a crash left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* A file named name in dir, last modified age seconds ago. */
static void file_aged(const char *dir, const char *name, long age)
{
    struct timespec ts[2];

    write_n(tu_path(dir, name), 3);
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= age;
    ts[1] = ts[0];
    assert_int_equal(utimensat(AT_FDCWD, tu_path(dir, name), ts, 0), 0);
}

static void test_stale_temps(void **state)
{
    char *dir = tu_mkdtemp();
    sertel_err err = {0};
    int removed = -1, fd;

    (void)state;
    /* What a crash between write and rename of fs_write_atomic leaves, an hour ago. */
    file_aged(dir, "audit.head.tmp-Ab3xZ9", 3600);
    file_aged(dir, "root.pem.tmp-000000", 3600);
    /* Not debris: too recent (a write may be in progress), not the pattern, or kept. */
    file_aged(dir, "audit.head.tmp-QWErty", 5);
    file_aged(dir, "audit.head", 3600);
    file_aged(dir, "x.tmp-ABC12", 3600);
    file_aged(dir, "x.tmp-ABC12!", 3600);
    file_aged(dir, ".tmp-ABC123", 3600);
    file_aged(dir, "x.tmp-ABC1234", 3600);
    file_aged(dir, "locked.tmp-LLLLLL", 3600);
    assert_int_equal(symlink("audit.head", tu_path(dir, "link.tmp-SSSSSS")), 0);
    assert_int_equal(mkdir(tu_path(dir, "dir.tmp-DDDDDD"), 0700), 0);
    /* A writer holding its lock: left alone whatever its age. */
    fd = open(tu_path(dir, "locked.tmp-LLLLLL"), O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0);

    /* Only files for one name. */
    assert_int_equal(fs_remove_stale_temps(dir, "audit.head", 60, &removed, &err), SERTEL_OK);
    assert_int_equal(removed, 1);
    assert_false(fs_exists(tu_path(dir, "audit.head.tmp-Ab3xZ9")));
    assert_true(fs_exists(tu_path(dir, "root.pem.tmp-000000")));
    /* Any name. */
    file_aged(dir, "audit.head.tmp-Ab3xZ9", 3600);
    assert_int_equal(fs_remove_stale_temps(dir, NULL, 60, &removed, &err), SERTEL_OK);
    assert_int_equal(removed, 2);
    assert_false(fs_exists(tu_path(dir, "audit.head.tmp-Ab3xZ9")));
    assert_false(fs_exists(tu_path(dir, "root.pem.tmp-000000")));
    assert_true(fs_exists(tu_path(dir, "audit.head.tmp-QWErty")));
    assert_true(fs_exists(tu_path(dir, "audit.head")));
    assert_true(fs_exists(tu_path(dir, "x.tmp-ABC12")));
    assert_true(fs_exists(tu_path(dir, "x.tmp-ABC12!")));
    assert_true(fs_exists(tu_path(dir, ".tmp-ABC123")));
    assert_true(fs_exists(tu_path(dir, "x.tmp-ABC1234")));
    assert_true(fs_exists(tu_path(dir, "locked.tmp-LLLLLL")));
    assert_true(fs_exists(tu_path(dir, "link.tmp-SSSSSS")));
    assert_true(fs_exists(tu_path(dir, "dir.tmp-DDDDDD")));
    /* Unlocked, it goes; a fresh one goes once it is old enough. */
    close(fd);
    assert_int_equal(fs_remove_stale_temps(dir, NULL, 60, &removed, &err), SERTEL_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(fs_remove_stale_temps(dir, NULL, 0, &removed, &err), SERTEL_OK);
    assert_int_equal(removed, 1);
    assert_false(fs_exists(tu_path(dir, "audit.head.tmp-QWErty")));
    /* fs_write_atomic leaves none behind; a missing directory is nothing to clean. */
    assert_int_equal(fs_write_atomic(tu_path(dir, "audit.head"), "x", 1, 0644, &err), SERTEL_OK);
    assert_int_equal(fs_remove_stale_temps(dir, NULL, 0, &removed, &err), SERTEL_OK);
    assert_int_equal(removed, 0);
    assert_int_equal(fs_remove_stale_temps(tu_path(dir, "none"), NULL, 0, &removed, &err),
                     SERTEL_OK);
    assert_int_equal(removed, 0);
    tu_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_limits),
        cmocka_unit_test(test_atomic_and_excl),
        cmocka_unit_test(test_secret_and_hex),
        cmocka_unit_test(test_stale_temps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
