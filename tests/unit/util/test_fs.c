/*
 * test_fs.c - careful file helpers: bounded reads (exactly at the limit and
 * one past it), atomic replacement, exclusive secret files, secret files'
 * first line, hex, the removal of temporary files a crash left; users' outputs (fs_output): a
 * regular file replaced atomically (abort leaves nothing, rewind discards, the digest follows),
 * links and directories refused untouched, a FIFO and a character device
 * written into and kept, stdout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* Entries in dir (".." and "." not counted). */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void test_output_file(void **state)
{
    char *dir = tu_mkdtemp();
    char path[4096];
    fs_output *o = NULL;
    unsigned char *b = NULL, md[32], want[32];
    size_t len = 0;
    struct stat st, st2;
    sertel_err err = {0};

    (void)state;
    snprintf(path, sizeof(path), "%s", tu_path(dir, "out.pdf"));
    /* Abort: nothing at the path, no temporary left. */
    assert_int_equal(fs_output_open(path, 0644, 0, &o, &err), SERTEL_OK);
    assert_true(fs_output_can_rewind(o));
    assert_int_equal(fs_output_write(o, "half", 4, &err), SERTEL_OK);
    assert_int_equal(count_entries(dir), 1); /* the temporary */
    fs_output_abort(o);
    assert_int_equal(count_entries(dir), 0);
    /* Rewind discards; the digest follows what is kept; commit puts it in place. */
    assert_int_equal(fs_output_open(path, 0644, FS_OUTPUT_SHA256, &o, &err), SERTEL_OK);
    assert_int_equal(fs_output_write(o, "first try", 9, &err), SERTEL_OK);
    assert_int_equal(fs_output_rewind(o, &err), SERTEL_OK);
    assert_int_equal(fs_output_write(o, "second", 6, &err), SERTEL_OK);
    assert_int_equal(fs_output_sha256(o, md, &err), SERTEL_OK);
    assert_int_equal(EVP_Digest("second", 6, want, NULL, EVP_sha256(), NULL), 1);
    assert_memory_equal(md, want, 32);
    assert_int_equal(fs_output_commit(o, &err), SERTEL_OK);
    assert_int_equal(fs_read_file(path, 100, &b, &len, &err), SERTEL_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(b, "second", 6);
    free(b);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(count_entries(dir), 1);
    /* An existing file: the output knows it (the input-is-output check), and it is replaced
     * by a new inode; until the commit the old content stays. */
    assert_int_equal(fs_output_open(path, 0600, 0, &o, &err), SERTEL_OK);
    assert_true(fs_output_same(o, path));
    assert_false(fs_output_same(o, dir));
    assert_int_equal(fs_output_sha256(o, md, &err), SERTEL_ERR_STATE);
    assert_int_equal(fs_output_write(o, "third!", 6, &err), SERTEL_OK);
    assert_int_equal(fs_read_file(path, 100, &b, &len, &err), SERTEL_OK);
    assert_memory_equal(b, "second", 6);
    free(b);
    assert_int_equal(fs_output_commit(o, &err), SERTEL_OK);
    assert_int_equal(stat(path, &st2), 0);
    assert_true(st2.st_ino != st.st_ino);
    assert_int_equal(st2.st_mode & 0777, 0600);
    /* Temporaries of a multi-step writer go next to a regular file. */
    assert_int_equal(fs_output_open(path, 0644, 0, &o, &err), SERTEL_OK);
    {
        char *t = NULL;
        assert_int_equal(fs_output_temp(o, "bt", &t, &err), SERTEL_OK);
        assert_int_equal(strncmp(t, path, strlen(path)), 0);
        assert_non_null(strstr(t, ".bt-"));
        unlink(t);
        free(t);
    }
    fs_output_abort(o);
    assert_int_equal(fs_write_output("/nonexistent-dir/x", "a", 1, 0644, &err), SERTEL_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x"));
    tu_rmtree(dir);
}

static void test_output_refused(void **state)
{
    char *dir = tu_mkdtemp();
    char target[4096], link[4096], dangling[4096], sub[4096];
    fs_output *o = NULL;
    unsigned char *b = NULL;
    size_t len = 0;
    struct stat st;
    sertel_err err = {0};

    (void)state;
    snprintf(target, sizeof(target), "%s", tu_path(dir, "target"));
    snprintf(link, sizeof(link), "%s", tu_path(dir, "out.pdf"));
    snprintf(dangling, sizeof(dangling), "%s", tu_path(dir, "dangling.pdf"));
    snprintf(sub, sizeof(sub), "%s", tu_path(dir, "sub"));
    assert_int_equal(fs_write_atomic(target, "keep", 4, 0644, &err), SERTEL_OK);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(symlink(tu_path(dir, "nowhere"), dangling), 0);
    assert_int_equal(mkdir(sub, 0700), 0);

    assert_int_equal(fs_output_open(link, 0644, 0, &o, &err), SERTEL_ERR_INVALID);
    assert_null(o);
    assert_non_null(strstr(err.msg, "out.pdf is a symbolic link: give the real path"));
    assert_int_equal(fs_write_output(link, "new", 3, 0644, &err), SERTEL_ERR_INVALID);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(fs_read_file(target, 100, &b, &len, &err), SERTEL_OK);
    assert_memory_equal(b, "keep", 4);
    free(b);
    /* A link to nothing: nothing is created where it points. */
    assert_int_equal(fs_write_output(dangling, "new", 3, 0644, &err), SERTEL_ERR_INVALID);
    assert_false(fs_exists(tu_path(dir, "nowhere")));

    assert_int_equal(fs_write_output(sub, "new", 3, 0644, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "sub is a directory"));
    assert_int_equal(count_entries(sub), 0);
    assert_int_equal(count_entries(dir), 4); /* no temporaries */
    tu_rmtree(dir);
}

static void test_output_fifo(void **state)
{
    char *dir = tu_mkdtemp();
    char fifo[4096], got[4096];
    fs_output *o = NULL;
    unsigned char *b = NULL;
    size_t len = 0;
    struct stat st;
    pid_t pid;
    int status = 0;
    sertel_err err = {0};

    (void)state;
    snprintf(fifo, sizeof(fifo), "%s", tu_path(dir, "fifo"));
    snprintf(got, sizeof(got), "%s", tu_path(dir, "got"));
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* the reader: cat fifo > got */
        char buf[256];
        int in = open(fifo, O_RDONLY), out = open(got, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ssize_t n;
        while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
            if (write(out, buf, (size_t)n) != n)
                _exit(1);
        _exit(in >= 0 && out >= 0 ? 0 : 1);
    }
    assert_int_equal(fs_output_open(fifo, 0644, 0, &o, &err), SERTEL_OK);
    assert_false(fs_output_can_rewind(o));
    assert_int_equal(fs_output_rewind(o, &err), SERTEL_ERR_STATE);
    assert_int_equal(fs_output_write(o, "through the pipe", 16, &err), SERTEL_OK);
    assert_int_equal(fs_output_commit(o, &err), SERTEL_OK);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(fs_read_file(got, 100, &b, &len, &err), SERTEL_OK);
    assert_int_equal(len, 16);
    assert_memory_equal(b, "through the pipe", 16);
    free(b);
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    tu_rmtree(dir);
}

static void test_output_device_and_stdout(void **state)
{
    char *dir = tu_mkdtemp();
    char *t = NULL, *old_tmpdir = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    fs_output *o = NULL;
    unsigned char *b = NULL;
    size_t len = 0;
    struct stat st;
    int saved, fd;
    sertel_err err = {0};

    (void)state;
    /* /dev/null is written into (harmless), never replaced; temporaries go to TMPDIR. */
    assert_int_equal(setenv("TMPDIR", dir, 1), 0);
    assert_int_equal(fs_output_open("/dev/null", 0644, 0, &o, &err), SERTEL_OK);
    assert_false(fs_output_can_rewind(o));
    assert_int_equal(fs_output_temp(o, "lt", &t, &err), SERTEL_OK);
    assert_int_equal(strncmp(t, dir, strlen(dir)), 0);
    assert_non_null(strstr(t, "/sertel-lt-"));
    unlink(t);
    free(t);
    assert_int_equal(fs_output_write(o, "gone", 4, &err), SERTEL_OK);
    assert_int_equal(fs_output_commit(o, &err), SERTEL_OK);
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    if (old_tmpdir != NULL)
        setenv("TMPDIR", old_tmpdir, 1);
    else
        unsetenv("TMPDIR");
    free(old_tmpdir);

    /* "-": standard output (here a file put on fd 1), left open after the commit. */
    assert_true(fs_output_is_stdout("-"));
    assert_false(fs_output_is_stdout("./-"));
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    fd = open(tu_path(dir, "stdout"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
    close(fd);
    assert_int_equal(fs_write_output("-", "to stdout", 9, 0644, &err), SERTEL_OK);
    assert_int_equal(fcntl(STDOUT_FILENO, F_GETFD), 0); /* still open */
    assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
    close(saved);
    assert_int_equal(fs_read_file(tu_path(dir, "stdout"), 100, &b, &len, &err), SERTEL_OK);
    assert_int_equal(len, 9);
    assert_memory_equal(b, "to stdout", 9);
    free(b);
    assert_false(fs_exists(tu_path(dir, "-")));
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
        cmocka_unit_test(test_output_file),
        cmocka_unit_test(test_output_refused),
        cmocka_unit_test(test_output_fifo),
        cmocka_unit_test(test_output_device_and_stdout),
        cmocka_unit_test(test_stale_temps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
