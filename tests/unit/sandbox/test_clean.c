/*
 * test_clean.c - the sandbox's clean-parent mode (lib/sandbox,
 * SBX_MODE_CLEAN_PARENT): job processes forked from this process by
 * sbx_new, no exec. Each job process is confined as an image's job
 * process is: a job that opens a file (the home's private/master.key) is
 * killed by the filter, one that crashes, loops or eats memory ends as an
 * error of its kind, and this process runs the next job. Looked at from
 * outside (/proc/<pid>): seccomp and no_new_privs on, the unprivileged
 * user when the test runs as root, only its fds 0-4, cwd /, an
 * environment wiped (a variable set here before sbx_new is nowhere in its
 * memory), not dumpable; a secret this process makes after sbx_new is not
 * in its memory. The prepare hook runs with the job before the filter
 * (it may open a file; the job then may not). sbx_new refuses the mode
 * once this process holds a secret (secret_held_mark) or has a second
 * thread, a sandbox runs no more jobs than it forked processes for, and
 * sbx_free leaves no child behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <semaphore.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "testutil.h"
#include "util/fs.h"

/* --- the jobs (run in the forked job processes) --- */

static int prepared; /* set by the prepare hook, in the job process */

static int out_str(const char *s, unsigned char **out, size_t *out_len)
{
    *out_len = strlen(s);
    *out = malloc(*out_len + 1);
    if (*out == NULL)
        return SERTEL_ERR_NOMEM;
    memcpy(*out, s, *out_len + 1);
    return SERTEL_OK;
}

/* params, then the input. */
static int job_echo(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    (void)err;
    *out_len = rq->params_len + rq->input_len;
    *out = malloc(*out_len + 1);
    if (*out == NULL)
        return SERTEL_ERR_NOMEM;
    if (rq->params_len)
        memcpy(*out, rq->params, rq->params_len);
    if (rq->input_len)
        memcpy(*out + rq->params_len, rq->input, rq->input_len);
    return SERTEL_OK;
}

/* Open the file named by params: must be killed before it gets an answer. */
static int job_open(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    char path[512], got[64];
    size_t n = rq->params_len < sizeof(path) - 1 ? rq->params_len : sizeof(path) - 1;
    int fd;

    memcpy(path, rq->params, n);
    path[n] = '\0';
    fd = open(path, O_RDONLY);
    if (fd >= 0) {
        ssize_t r = read(fd, got, sizeof(got) - 1);
        got[r > 0 ? r : 0] = '\0';
        return out_str(got, out, out_len); /* the secret leaked */
    }
    return sertel_err_set(err, SERTEL_ERR_DENIED, "open: %s", strerror(errno));
}

static int job_segv(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    volatile int *p = (volatile int *)(uintptr_t)(rq->params_len + 8);

    (void)out;
    (void)out_len;
    (void)err;
    *p = 1;
    return SERTEL_OK;
}

static int job_loop(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    volatile unsigned long n = 0;

    (void)rq;
    (void)out;
    (void)out_len;
    (void)err;
    while (n != ~0UL)
        n++;
    return SERTEL_OK;
}

/* Eat memory until it fails: NOMEM from malloc is reported as a limit. */
static int job_hog(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    size_t total = 0;

    (void)rq;
    (void)out;
    (void)out_len;
    for (;;) {
        unsigned char *p = malloc(16u << 20);
        if (p == NULL)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory after %zu MiB",
                                  total >> 20);
        memset(p, 1, 16u << 20);
        total += 16u << 20;
    }
}

/* Whether the prepare hook ran in this process before the job. */
static int job_prepared(const sbx_request *rq, unsigned char **out, size_t *out_len,
                        sertel_err *err)
{
    (void)rq;
    (void)err;
    return out_str(prepared ? "prepared" : "not prepared", out, out_len);
}

/* Ask the caller to look at this process from outside. */
static int job_inspect(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    char pid[32];

    (void)rq;
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    return sbx_worker_call("inspect", (const unsigned char *)pid, strlen(pid), out, out_len, err);
}

static const sbx_handler handlers[] = {
    {"echo", job_echo}, {"open", job_open},         {"segv", job_segv},       {"loop", job_loop},
    {"hog", job_hog},   {"prepared", job_prepared}, {"inspect", job_inspect},
};

/* Before the filter, with the job: opening a file is still allowed here. */
static void prepare(const char *type, const sbx_request *rq)
{
    (void)rq;
    if (strcmp(type, "prepared") == 0) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        prepared = fd >= 0;
        if (fd >= 0)
            close(fd);
    }
}

/* --- the caller --- */

static sbx *new_clean(unsigned jobs)
{
    sbx_config c;
    sbx *sb = NULL;
    sertel_err err = {0};

    memset(&c, 0, sizeof(c));
    c.mode = SBX_MODE_CLEAN_PARENT;
    c.handlers = handlers;
    c.n_handlers = sizeof(handlers) / sizeof(handlers[0]);
    c.prepare = prepare;
    c.jobs = jobs;
    c.timeout_ms = 2000;
    c.mem_max = 64u << 20;
    c.keep_stderr = getenv("SBX_TEST_STDERR") != NULL;
    if (sbx_new(&c, &sb, &err) != SERTEL_OK)
        fail_msg("sbx_new: %s", err.msg);
    return sb;
}

static int run(sbx *sb, const char *type, const char *param, const void *input, size_t ilen,
               unsigned char **out, size_t *out_len, sbx_end *end, sertel_err *err)
{
    sbx_job j = SBX_JOB_INIT;

    j.type = type;
    j.what = "the test input";
    j.params = (const unsigned char *)param;
    j.params_len = param != NULL ? strlen(param) : 0;
    j.input = input;
    j.input_len = ilen;
    return sbx_run(sb, &j, out, out_len, end, err);
}

/* No child of this process is left (sbx_free reaped every job process). */
static void no_children(void)
{
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void test_jobs(void **state)
{
    sbx *sb = new_clean(3);
    unsigned char *out = NULL;
    size_t len = 0;
    sbx_end end;
    sertel_err err = {0};
    sbx_job j = SBX_JOB_INIT;
    char *dir = tu_mkdtemp();
    const char *f = tu_path(dir, "input.bin");
    FILE *fp;
    int fd;

    (void)state;
    assert_int_equal(sbx_worker_image_pid(sb), -1);
    assert_int_equal(run(sb, "echo", "p:", "a buffer", 8, &out, &len, &end, &err), SERTEL_OK);
    assert_int_equal(end, SBX_END_OK);
    assert_int_equal(len, 10);
    assert_memory_equal(out, "p:a buffer", 10);
    free(out);
    /* a file read in place (its fd passed to the job process) */
    fp = fopen(f, "wb");
    assert_non_null(fp);
    fputs("a file", fp);
    fclose(fp);
    fd = open(f, O_RDONLY | O_CLOEXEC);
    assert_true(fd > 2);
    j.type = "echo";
    j.input_fd = fd;
    assert_int_equal(sbx_run(sb, &j, &out, &len, &end, &err), SERTEL_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(out, "a file", 6);
    free(out);
    close(fd);
    /* the prepare hook ran with the job, before the filter */
    assert_int_equal(run(sb, "prepared", NULL, NULL, 0, &out, &len, &end, &err), SERTEL_OK);
    assert_int_equal(len, 8);
    assert_memory_equal(out, "prepared", 8);
    free(out);
    /* three processes were forked: a fourth job is a bug of the caller */
    assert_int_equal(run(sb, "echo", NULL, NULL, 0, &out, &len, &end, &err), SERTEL_ERR_INTERNAL);
    assert_non_null(strstr(err.msg, "all its 3 jobs"));
    sbx_free(sb);
    no_children();
    tu_rmtree(dir);
}

static void expect_end(sbx *sb, const char *type, const char *param, sbx_end want)
{
    unsigned char *out = NULL;
    size_t len = 0;
    sbx_end end = SBX_END_OK;
    sertel_err err = {0};
    int rc = run(sb, type, param, NULL, 0, &out, &len, &end, &err);

    if (end != want)
        fail_msg("job %s ended %s (%s), wanted %s", type, sbx_end_name(end), err.msg,
                 sbx_end_name(want));
    assert_int_equal(rc, SERTEL_ERR_INVALID);
    assert_null(out);
}

/* The home's master key, and any file: a job is killed when it opens one. */
static void test_confined(void **state)
{
    char *home = tu_mkdtemp(), key[1024];
    sbx *sb = new_clean(6);
    unsigned char *out = NULL;
    size_t len;
    sbx_end end;
    sertel_err err = {0};
    FILE *fp;

    (void)state;
    snprintf(key, sizeof(key), "%s/private", home);
    assert_int_equal(mkdir(key, 0700), 0);
    snprintf(key, sizeof(key), "%s/private/master.key", home);
    fp = fopen(key, "w");
    assert_non_null(fp);
    fputs("TOP-SECRET-KEY-MATERIAL", fp);
    fclose(fp);
    expect_end(sb, "open", key, SBX_END_SECCOMP);
    expect_end(sb, "open", "/etc/hostname", SBX_END_SECCOMP);
    /* the prepare hook's file was before the filter: the job itself may not */
    expect_end(sb, "open", "/dev/null", SBX_END_SECCOMP);
    expect_end(sb, "segv", NULL, SBX_END_CRASH);
#if !defined(__SANITIZE_ADDRESS__)
    expect_end(sb, "hog", NULL, SBX_END_LIMIT); /* no address-space cap under ASan */
#else
    expect_end(sb, "segv", NULL, SBX_END_CRASH);
#endif
    /* and the caller is alive and runs the next job */
    assert_int_equal(run(sb, "echo", "x", NULL, 0, &out, &len, &end, &err), SERTEL_OK);
    free(out);
    sbx_free(sb);
    no_children();
    tu_rmtree(home);
}

static void test_timeout(void **state)
{
    sbx *sb = new_clean(1);

    (void)state;
    expect_end(sb, "loop", NULL, SBX_END_TIMEOUT);
    sbx_free(sb);
    no_children();
}

/* The variable's value is kept masked: the job process is a copy of this one's memory. */
static char env_masked[80], late_marker[80];

static void unmask(char *out, size_t cap)
{
    size_t i;

    for (i = 0; i + 1 < cap && env_masked[i] != 0; i++)
        out[i] = (char)(env_masked[i] ^ 0x20);
    out[i] = '\0';
}

/* 1 when needle occurs in the readable memory of pid. */
static int memory_holds(pid_t pid, const char *needle, size_t nlen, int *scanned)
{
    char path[64], line[512];
    FILE *maps;
    int mem, found = 0;
    size_t cap = (size_t)1 << 20;
    unsigned char *buf = malloc(cap + nlen);

    assert_non_null(buf);
    snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
    maps = fopen(path, "r");
    snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
    mem = open(path, O_RDONLY);
    *scanned = 0;
    if (maps == NULL || mem < 0)
        goto out;
    while (!found && fgets(line, sizeof(line), maps) != NULL) {
        unsigned long long a, b;
        char perms[8];
        if (sscanf(line, "%llx-%llx %7s", &a, &b, perms) != 3 || perms[0] != 'r' ||
            b - a > (1ull << 30))
            continue;
        while (a < b && !found) {
            size_t want = b - a < cap ? (size_t)(b - a) : cap;
            ssize_t n = pread(mem, buf, want, (off_t)a);
            if (n <= 0)
                break;
            *scanned += 1;
            if (memmem(buf, (size_t)n, needle, nlen) != NULL)
                found = 1;
            a +=
                (unsigned long long)n > nlen ? (unsigned long long)n - nlen : (unsigned long long)n;
        }
    }
out:
    if (maps != NULL)
        fclose(maps);
    if (mem >= 0)
        close(mem);
    free(buf);
    return found;
}

static int inspect_service(void *arg, const char *name, const unsigned char *req, size_t req_len,
                           unsigned char **resp, size_t *resp_len, sertel_err *err)
{
    char buf[4096], path[128], pidstr[32], fds[128] = "", cwd[64], env_marker[80];
    ssize_t n;
    pid_t pid;
    int fd, scanned = 0, seccomp = -1, nnp = -1, i;
    unsigned long uid = 0;
    DIR *d;
    struct dirent *e;
    FILE *fp;

    (void)arg;
    assert_string_equal(name, "inspect");
    assert_true(req_len < sizeof(pidstr));
    memcpy(pidstr, req, req_len);
    pidstr[req_len] = '\0';
    pid = (pid_t)strtol(pidstr, NULL, 10);
    assert_true(pid > 1 && pid != getpid());
    /* only its fds 0-3 (the input was not given): /dev/null and its job socket */
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') {
            size_t l = strlen(fds);
            assert_true(strlen(e->d_name) == 1 && e->d_name[0] >= '0' && e->d_name[0] <= '4');
            snprintf(fds + l, sizeof(fds) - l, "%.8s ", e->d_name);
        }
    closedir(d);
    /* cwd / */
    snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
    n = readlink(path, cwd, sizeof(cwd) - 1);
    assert_true(n > 0);
    cwd[n] = '\0';
    assert_string_equal(cwd, "/");
    /* confined: seccomp, no_new_privs, the unprivileged user when root */
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    fp = fopen(path, "r");
    assert_non_null(fp);
    while (fgets(buf, sizeof(buf), fp) != NULL) {
        (void)sscanf(buf, "Seccomp: %d", &seccomp);
        (void)sscanf(buf, "NoNewPrivs: %d", &nnp);
        (void)sscanf(buf, "Uid: %lu", &uid);
    }
    fclose(fp);
    assert_int_equal(seccomp, 2);
    assert_int_equal(nnp, 1);
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("nobody");
        assert_non_null(pw);
        assert_int_equal(uid, pw->pw_uid);
    } else {
        assert_int_equal(uid, geteuid());
    }
    /* its environment block is wiped (a fork keeps the memory, not the meaning) */
    snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
    fd = open(path, O_RDONLY);
    if (fd >= 0) {
        n = read(fd, buf, sizeof(buf));
        close(fd);
        for (i = 0; i < n; i++)
            if (buf[i] != 0)
                fail_msg("the job's environment was not wiped: %.60s", buf + i);
    }
    /* neither the variable set before sbx_new nor the secret made after it is in its memory
     * (both are in this process's) */
    unmask(env_marker, sizeof(env_marker));
    assert_true(memory_holds(getpid(), env_marker, strlen(env_marker), &scanned));
    assert_true(memory_holds(getpid(), late_marker, strlen(late_marker), &scanned));
    if (memory_holds(pid, env_marker, strlen(env_marker), &scanned))
        fail_msg("an environment variable of the caller is in the job's memory");
    if (memory_holds(pid, late_marker, strlen(late_marker), &scanned))
        fail_msg("a secret made after sbx_new is in the job's memory");
    if (geteuid() == 0)
        assert_true(scanned > 0); /* root can read it: the search really ran */
    (void)fds;
    *resp_len = 2;
    *resp = malloc(2);
    if (*resp == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    memcpy(*resp, "ok", 2);
    return SERTEL_OK;
}

static void make_marker(char *m, size_t cap, const char *prefix)
{
    unsigned char rnd[24];

    randombytes_buf(rnd, sizeof(rnd));
    snprintf(m, cap, "%s", prefix);
    sodium_bin2hex(m + strlen(prefix), cap - strlen(prefix), rnd, sizeof(rnd));
}

static void test_from_outside(void **state)
{
    sbx *sb;
    unsigned char *out = NULL;
    size_t len;
    sbx_end end;
    sertel_err err = {0};
    sbx_job j = SBX_JOB_INIT;
    char *late, env_marker[80];
    size_t i;

    (void)state;
    /* A variable in the environment before the fork: the job process gets a wiped copy. The
     * value is kept here only masked, and the local copy wiped. */
    make_marker(env_marker, sizeof(env_marker), "envmark-");
    assert_int_equal(setenv("SBX_TEST_ENV", env_marker, 1), 0);
    for (i = 0; env_marker[i] != 0; i++)
        env_masked[i] = (char)(env_marker[i] ^ 0x20);
    sodium_memzero(env_marker, sizeof(env_marker));
    sb = new_clean(1);
    assert_int_equal(unsetenv("SBX_TEST_ENV"), 0);
    /* A secret this process holds only after sbx_new (as a home opened later). */
    make_marker(late_marker, sizeof(late_marker), "LATEMARK-");
    late = sodium_malloc(strlen(late_marker) + 1);
    assert_non_null(late);
    memcpy(late, late_marker, strlen(late_marker) + 1);
    j.type = "inspect";
    j.service = inspect_service;
    assert_int_equal(sbx_run(sb, &j, &out, &len, &end, &err), SERTEL_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(out, "ok", 2);
    free(out);
    sbx_free(sb);
    sodium_free(late);
    no_children();
}

static sem_t started, release;

static void *idle_thread(void *p)
{
    (void)p;
    sem_post(&started);
    sem_wait(&release);
    return NULL;
}

/* Refused with a second thread (it could hold locks, or a secret the fork would copy). */
static void test_threads_refused(void **state)
{
    sbx_config c;
    sbx *sb = NULL;
    sertel_err err = {0};
    pthread_t t;

    (void)state;
    sem_init(&started, 0, 0);
    sem_init(&release, 0, 0);
    assert_int_equal(pthread_create(&t, NULL, idle_thread, NULL), 0);
    sem_wait(&started);
    memset(&c, 0, sizeof(c));
    c.mode = SBX_MODE_CLEAN_PARENT;
    c.handlers = handlers;
    c.n_handlers = 1;
    assert_int_equal(sbx_new(&c, &sb, &err), SERTEL_ERR_INTERNAL);
    assert_null(sb);
    assert_non_null(strstr(err.msg, "single-threaded"));
    sem_post(&release);
    pthread_join(t, NULL);
    /* without handlers: refused */
    c.handlers = NULL;
    assert_int_equal(sbx_new(&c, &sb, &err), SERTEL_ERR_INTERNAL);
    no_children();
}

/* Last: once the process holds a secret, the mode is refused for good. */
static void test_refused_after_secret(void **state)
{
    sbx_config c;
    sbx *sb = NULL;
    sertel_err err = {0};
    char *s;

    (void)state;
    memset(&c, 0, sizeof(c));
    c.mode = SBX_MODE_CLEAN_PARENT;
    c.handlers = handlers;
    c.n_handlers = 1;
    assert_int_equal(secret_held(), 0);
    s = secret_dup("a password read from a file"); /* as secret_read_file would */
    assert_non_null(s);
    secret_free(s);
    assert_int_equal(secret_held(), 1);
    assert_int_equal(sbx_new(&c, &sb, &err), SERTEL_ERR_INTERNAL);
    assert_null(sb);
    assert_non_null(strstr(err.msg, "key or secret"));
    no_children();
    /* an exec'd worker is still fine */
    assert_int_equal(sbx_new(NULL, &sb, &err), SERTEL_OK);
    sbx_free(sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jobs),
        cmocka_unit_test(test_confined),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_from_outside),
        cmocka_unit_test(test_threads_refused),
        cmocka_unit_test(test_refused_after_secret),
    };

    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
