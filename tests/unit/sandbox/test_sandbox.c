/*
 * test_sandbox.c - the sandbox (lib/sandbox) with this executable as its
 * own worker: main() serves jobs when started with SBX_WORKER_ARG. Its
 * job types misbehave on purpose - open the home's private/master.key or
 * any file, make sockets, exec, fork, kill the image, map executable
 * memory, crash, abort, loop, eat memory, answer garbage or too much - and
 * each must end as an error of the right kind while the caller lives on
 * and runs the next job. A job asks the caller to look at it from outside
 * (/proc/<pid>): a fresh executable image, an empty environment, only its
 * fds 2-4, seccomp and no_new_privs on, an unprivileged user when the test
 * runs as root, and none of the caller's secret in its memory.
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
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

/* --- the worker's job types --- */

/* exit_group itself: sanitizers intercept _exit() for a leak check the filter forbids. */
static void quit(int code) __attribute__((noreturn));
static void quit(int code)
{
    for (;;)
        syscall(SYS_exit_group, code);
}

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

static void param_str(const sbx_request *rq, char *buf, size_t cap)
{
    size_t n = rq->params_len < cap - 1 ? rq->params_len : cap - 1;
    memcpy(buf, rq->params, n);
    buf[n] = '\0';
}

/* Open the file named by params: must be killed before it gets an answer. */
static int job_open(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    char path[512], got[64];
    int fd;

    param_str(rq, path, sizeof(path));
    fd = open(path, O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, got, sizeof(got) - 1);
        got[n > 0 ? n : 0] = '\0';
        return out_str(got, out, out_len); /* the secret leaked */
    }
    return sertel_err_set(err, SERTEL_ERR_DENIED, "open: %s", strerror(errno));
}

static int job_openat(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    char path[512];
    long fd;

    param_str(rq, path, sizeof(path));
    fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
    if (fd >= 0)
        return out_str("opened", out, out_len);
    return sertel_err_set(err, SERTEL_ERR_DENIED, "openat: %s", strerror(errno));
}

static int job_socket(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    (void)rq;
    if (socket(AF_INET, SOCK_STREAM, 0) >= 0)
        return out_str("socket", out, out_len);
    return sertel_err_set(err, SERTEL_ERR_DENIED, "socket: %s", strerror(errno));
}

static int job_exec(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    char *argv[] = {(char *)"true", NULL}, *envp[] = {NULL};
    (void)rq;
    (void)out;
    (void)out_len;
    execve("/bin/true", argv, envp);
    return sertel_err_set(err, SERTEL_ERR_DENIED, "execve: %s", strerror(errno));
}

static int job_fork(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    pid_t p;
    (void)rq;
    p = fork();
    if (p == 0)
        _exit(0);
    if (p > 0)
        return out_str("forked", out, out_len);
    return sertel_err_set(err, SERTEL_ERR_DENIED, "fork: %s", strerror(errno));
}

static int job_kill(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    (void)rq;
    if (kill(getppid(), SIGKILL) == 0)
        return out_str("killed the image", out, out_len);
    return sertel_err_set(err, SERTEL_ERR_DENIED, "kill: %s", strerror(errno));
}

static int job_tgkill(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    pid_t pp = getppid();
    (void)rq;
    if (syscall(SYS_tgkill, pp, pp, SIGKILL) == 0)
        return out_str("killed the image", out, out_len);
    return sertel_err_set(err, SERTEL_ERR_DENIED, "tgkill: %s", strerror(errno));
}

static int job_exec_mem(const sbx_request *rq, unsigned char **out, size_t *out_len,
                        sertel_err *err)
{
    void *p;
    (void)rq;
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED)
        return out_str("executable memory", out, out_len);
    return sertel_err_set(err, SERTEL_ERR_DENIED, "mmap: %s", strerror(errno));
}

static int job_mprotect(const sbx_request *rq, unsigned char **out, size_t *out_len,
                        sertel_err *err)
{
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    (void)rq;
    if (p != MAP_FAILED && mprotect(p, 4096, PROT_READ | PROT_EXEC) == 0)
        return out_str("executable memory", out, out_len);
    return sertel_err_set(err, SERTEL_ERR_DENIED, "mprotect: %s", strerror(errno));
}

static int job_ptrace(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    (void)rq;
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0)
        return out_str("traced", out, out_len);
    return sertel_err_set(err, SERTEL_ERR_DENIED, "ptrace: %s", strerror(errno));
}

static int job_stat(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    struct stat st;
    (void)rq;
    if (stat("/etc/passwd", &st) == 0)
        return out_str("stat", out, out_len);
    return sertel_err_set(err, SERTEL_ERR_DENIED, "stat: %s", strerror(errno));
}

static int job_segv(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    volatile int *volatile p = NULL;
    (void)rq;
    (void)out;
    (void)out_len;
    (void)err;
    raise(SIGSEGV);
    *p = 1;
    return SERTEL_ERR_INTERNAL;
}

static int job_abort(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    (void)rq;
    (void)out;
    (void)out_len;
    (void)err;
    abort();
    return SERTEL_ERR_INTERNAL;
}

static int job_loop(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    volatile unsigned long n = 0;
    (void)rq;
    (void)out;
    (void)out_len;
    (void)err;
    while (++n != 0) /* 2^64 iterations: forever */
        ;
    return SERTEL_ERR_INTERNAL;
}

/* Allocate and touch 16 MiB at a time; 4 GiB at most (a missing cap must not eat the machine). */
static int job_hog(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    size_t total = 0;
    (void)rq;
    while (total < ((size_t)4 << 30)) {
        unsigned char *p = malloc((size_t)16 << 20);
        if (p == NULL)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory after %zu MiB",
                                  total >> 20);
        memset(p, 0xa5, (size_t)16 << 20);
        total += (size_t)16 << 20;
    }
    return out_str("4 GiB allocated", out, out_len);
}

static int job_bigout(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    (void)rq;
    (void)err;
    *out_len = (size_t)1 << 20;
    *out = calloc(1, *out_len);
    return *out != NULL ? SERTEL_OK : SERTEL_ERR_NOMEM;
}

/* Bypass the framework: garbage on the job socket, then a clean exit. */
static int job_garbage(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    static const unsigned char g[] = "Z\x00\x00\x00\x04\x00\x00\x00junk";
    (void)rq;
    (void)out;
    (void)out_len;
    (void)err;
    if (write(3, g, sizeof(g) - 1) < 0)
        quit(1);
    quit(0);
}

static int job_silent(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    (void)rq;
    (void)out;
    (void)out_len;
    (void)err;
    quit(0);
}

static int job_exit3(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    (void)rq;
    (void)out;
    (void)out_len;
    (void)err;
    quit(3);
}

/* An error whose message holds a newline, an escape sequence and invalid UTF-8. */
static int job_err(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    (void)rq;
    (void)out;
    (void)out_len;
    return sertel_err_set(err, SERTEL_ERR_DENIED, "denied\n\x1b[31mred \xff\xfe ok \xc3\xa9");
}

/* Ask the caller to inspect this process from outside; its answer is the output. */
static int job_inspect(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    char pid[32];
    (void)rq;
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    return sbx_worker_call("inspect", (const unsigned char *)pid, strlen(pid), out, out_len, err);
}

/* Call the "echo" service with params, as many times as the input's length. */
static int job_call(const sbx_request *rq, unsigned char **out, size_t *out_len, sertel_err *err)
{
    size_t i;
    int rc = SERTEL_OK;

    *out = NULL;
    *out_len = 0;
    for (i = 0; i < (rq->input_len ? rq->input_len : 1); i++) {
        free(*out);
        rc = sbx_worker_call("echo", rq->params, rq->params_len, out, out_len, err);
        if (rc != SERTEL_OK)
            return rc;
    }
    return rc;
}

static const sbx_handler handlers[] = {
    {"echo", job_echo},         {"open", job_open},     {"openat", job_openat},
    {"socket", job_socket},     {"exec", job_exec},     {"fork", job_fork},
    {"kill", job_kill},         {"tgkill", job_tgkill}, {"exec-mem", job_exec_mem},
    {"mprotect", job_mprotect}, {"ptrace", job_ptrace}, {"stat", job_stat},
    {"segv", job_segv},         {"abort", job_abort},   {"loop", job_loop},
    {"hog", job_hog},           {"bigout", job_bigout}, {"garbage", job_garbage},
    {"silent", job_silent},     {"exit3", job_exit3},   {"err", job_err},
    {"inspect", job_inspect},   {"call", job_call},
};

/* --- the caller's side --- */

static sbx *SB;

static int run(const char *type, const void *params, size_t plen, const void *input, size_t ilen,
               unsigned char **out, size_t *out_len, sbx_end *end, sertel_err *err)
{
    sbx_job j = SBX_JOB_INIT;

    j.type = type;
    j.what = "the test input";
    j.params = params;
    j.params_len = plen;
    j.input = input;
    j.input_len = ilen;
    return sbx_run(SB, &j, out, out_len, end, err);
}

/* Run a job that must end with want; returns the code. */
static int expect_end(const char *type, const char *param, sbx_end want, sertel_err *err)
{
    unsigned char *out = NULL;
    size_t len = 0;
    sbx_end end = SBX_END_OK;
    int rc;

    memset(err, 0, sizeof(*err));
    rc = run(type, param, param != NULL ? strlen(param) : 0, NULL, 0, &out, &len, &end, err);
    if (end != want)
        fail_msg("job %s ended %s (%s), wanted %s; output: %.*s", type, sbx_end_name(end), err->msg,
                 sbx_end_name(want), (int)(out != NULL ? len : 0), out != NULL ? (char *)out : "");
    assert_int_not_equal(rc, SERTEL_OK);
    assert_null(out);
    free(out);
    return rc;
}

static void echo_works(void)
{
    unsigned char *out = NULL;
    size_t len = 0;
    sbx_end end;
    sertel_err err = {0};

    assert_int_equal(run("echo", "p:", 2, "still alive", 11, &out, &len, &end, &err), SERTEL_OK);
    assert_int_equal(end, SBX_END_OK);
    assert_int_equal(len, 13);
    assert_memory_equal(out, "p:still alive", 13);
    free(out);
}

static void test_echo(void **state)
{
    unsigned char *out = NULL, big[300000];
    size_t len = 0, i;
    sbx_end end;
    sertel_err err = {0};
    sbx_job j = SBX_JOB_INIT;
    char *dir = tu_mkdtemp();
    const char *f = tu_path(dir, "input.bin");
    FILE *fp;
    int fd;

    (void)state;
    echo_works();
    /* no input, no params */
    assert_int_equal(run("echo", NULL, 0, NULL, 0, &out, &len, &end, &err), SERTEL_OK);
    assert_null(out);
    assert_int_equal(len, 0);
    /* a large buffer (a sealed memfd) */
    for (i = 0; i < sizeof(big); i++)
        big[i] = (unsigned char)(i * 7 + i / 251);
    assert_int_equal(run("echo", NULL, 0, big, sizeof(big), &out, &len, &end, &err), SERTEL_OK);
    assert_int_equal(len, sizeof(big));
    assert_memory_equal(out, big, sizeof(big));
    free(out);
    /* a file read in place */
    fp = fopen(f, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(big, 1, 1000, fp), 1000);
    fclose(fp);
    fd = open(f, O_RDONLY | O_CLOEXEC);
    assert_true(fd > 2);
    j.type = "echo";
    j.input_fd = fd;
    assert_int_equal(sbx_run(SB, &j, &out, &len, &end, &err), SERTEL_OK);
    assert_int_equal(len, 1000);
    assert_memory_equal(out, big, 1000);
    free(out);
    /* ... within its limit only */
    j.input_max = 999;
    assert_int_equal(sbx_run(SB, &j, &out, &len, &end, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "larger than"));
    close(fd);
    /* a job from a zeroed struct (input_fd 0) is a bug, refused */
    memset(&j, 0, sizeof(j));
    j.type = "echo";
    assert_int_equal(sbx_run(SB, &j, &out, &len, &end, &err), SERTEL_ERR_INTERNAL);
    tu_rmtree(dir);
}

/* The home's master key: readable by the caller, not by a job (killed when it tries). */
static void test_private_key(void **state)
{
    char *home = tu_mkdtemp(), key[1024], pub[1024], *data;
    unsigned char *got;
    size_t glen;
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
    assert_int_equal(chmod(key, 0600), 0);
    /* a world-readable file: the user's permissions are not what stops the job */
    snprintf(pub, sizeof(pub), "%s/public.txt", home);
    fp = fopen(pub, "w");
    assert_non_null(fp);
    fputs("public", fp);
    fclose(fp);
    assert_int_equal(chmod(home, 0755), 0);
    assert_int_equal(chmod(pub, 0644), 0);
    data = NULL;
    {
        int fd = open(key, O_RDONLY);
        assert_true(fd >= 0); /* the caller can */
        close(fd);
    }
    (void)data;
    assert_int_equal(expect_end("open", key, SBX_END_SECCOMP, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "forbidden system call"));
    assert_null(strstr(err.msg, "TOP-SECRET"));
    (void)expect_end("openat", key, SBX_END_SECCOMP, &err);
    (void)expect_end("open", pub, SBX_END_SECCOMP, &err);
    (void)expect_end("openat", "/etc/hostname", SBX_END_SECCOMP, &err);
    (void)got;
    (void)glen;
    echo_works();
    tu_rmtree(home);
}

static void test_forbidden(void **state)
{
    static const char *const jobs[] = {"socket",   "exec",     "fork",   "kill", "tgkill",
                                       "exec-mem", "mprotect", "ptrace", "stat"};
    sertel_err err;
    size_t i;
    pid_t image;

    (void)state;
    echo_works();
    image = sbx_worker_image_pid(SB);
    assert_true(image > 0);
    for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++)
        (void)expect_end(jobs[i], NULL, SBX_END_SECCOMP, &err);
    /* the image survived its jobs' attempts to kill it */
    assert_int_equal(sbx_worker_image_pid(SB), image);
    echo_works();
}

static void test_crash(void **state)
{
    sertel_err err;
    unsigned char *out = NULL;
    size_t len;
    sbx_end end;
    int i;

    (void)state;
    for (i = 0; i < 3; i++) {
        memset(&err, 0, sizeof(err));
        assert_int_equal(run("segv", NULL, 0, NULL, 0, &out, &len, &end, &err), SERTEL_ERR_INVALID);
        /* under ASan its SIGSEGV handler reports first, and trips the filter */
        if (!(SANITIZED && end == SBX_END_SECCOMP)) {
            assert_int_equal(end, SBX_END_CRASH);
            assert_non_null(strstr(err.msg, "the checking process crashed (SIGSEGV"));
        }
        assert_non_null(strstr(err.msg, "the test input could not be checked"));
        echo_works();
    }
    (void)expect_end("abort", NULL, SBX_END_CRASH, &err);
    assert_non_null(strstr(err.msg, "SIGABRT"));
    (void)expect_end("silent", NULL, SBX_END_CRASH, &err);
    assert_non_null(strstr(err.msg, "without an answer"));
    (void)expect_end("exit3", NULL, SBX_END_CRASH, &err);
    assert_non_null(strstr(err.msg, "status 3"));
    echo_works();
}

static void test_timeout(void **state)
{
    sbx_job j = SBX_JOB_INIT;
    unsigned char *out = NULL;
    size_t len;
    sbx_end end;
    sertel_err err = {0};

    (void)state;
    j.type = "loop";
    j.timeout_ms = 1000;
    assert_int_equal(sbx_run(SB, &j, &out, &len, &end, &err), SERTEL_ERR_INVALID);
    assert_int_equal(end, SBX_END_TIMEOUT);
    assert_non_null(strstr(err.msg, "did not finish in 1 s"));
    echo_works();
}

static void test_memory(void **state)
{
    sbx_job j = SBX_JOB_INIT;
    unsigned char *out = NULL;
    size_t len;
    sbx_end end;
    sertel_err err = {0};

    (void)state;
    if (SANITIZED)
        skip(); /* RLIMIT_AS cannot apply to ASan's shadow memory (policy.c) */
    j.type = "hog";
    j.mem_max = (size_t)64 << 20;
    assert_int_equal(sbx_run(SB, &j, &out, &len, &end, &err), SERTEL_ERR_INVALID);
    assert_int_equal(end, SBX_END_LIMIT);
    assert_non_null(strstr(err.msg, "more than its 64 MiB"));
    echo_works();
}

static void test_protocol(void **state)
{
    sertel_err err;

    (void)state;
    (void)expect_end("garbage", NULL, SBX_END_PROTOCOL, &err);
    assert_non_null(strstr(err.msg, "sent an unknown frame"));
    (void)expect_end("bigout", NULL, SBX_END_PROTOCOL, &err); /* output_max is 512 KiB here */
    assert_non_null(strstr(err.msg, "larger than allowed"));
    echo_works();
}

static void test_job_error(void **state)
{
    sertel_err err;
    size_t i;

    (void)state;
    assert_int_equal(expect_end("err", NULL, SBX_END_JOB_ERROR, &err), SERTEL_ERR_DENIED);
    assert_string_equal(err.msg, "denied??[31mred ?? ok \xc3\xa9");
    for (i = 0; err.msg[i]; i++)
        assert_true((unsigned char)err.msg[i] >= 0x20);
    assert_int_equal(expect_end("no-such-job", NULL, SBX_END_JOB_ERROR, &err),
                     SERTEL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "no job type 'no-such-job'"));
}

/* --- looking at a job process from outside --- */

static char marker[80]; /* made at run time: the executable's own bytes must not contain it */

/* 1 when marker occurs in the readable memory of pid (regions up to 1 GiB). */
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
    char buf[4096], path[128], exe[4096], self[4096], pidstr[32];
    ssize_t n;
    pid_t pid;
    int fd, scanned = 0;
    DIR *d;
    struct dirent *e;
    FILE *fp;
    char fds[128] = "";

    (void)arg;
    assert_string_equal(name, "inspect");
    assert_true(req_len < sizeof(pidstr));
    memcpy(pidstr, req, req_len);
    pidstr[req_len] = '\0';
    pid = (pid_t)strtol(pidstr, NULL, 10);
    assert_true(pid > 1 && pid != getpid());
    /* a fresh image of this very executable */
    snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
    n = readlink(path, exe, sizeof(exe) - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    assert_true(n > 0);
    self[n] = '\0';
    assert_string_equal(exe, self);
    /* no environment at all */
    snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof(buf)), 0);
    close(fd);
    /* its fds: 2 (stderr or /dev/null) and 3 (its job socket); the input is unmapped */
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') {
            size_t l = strlen(fds);
            snprintf(fds + l, sizeof(fds) - l, "%.8s ", e->d_name);
        }
    closedir(d);
    if (strcmp(fds, "2 3 ") != 0 && strcmp(fds, "3 2 ") != 0)
        fail_msg("job fds: %s", fds);
    /* confined */
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    fp = fopen(path, "r");
    assert_non_null(fp);
    {
        int seccomp = -1, nnp = -1;
        unsigned long uid = 0;
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
    }
    /* none of the caller's secret in its memory (the caller's own copy is found) */
    assert_true(memory_holds(getpid(), marker, strlen(marker), &scanned));
    if (memory_holds(pid, marker, strlen(marker), &scanned))
        fail_msg("the caller's secret is in the job's memory");
    if (geteuid() == 0)
        assert_true(scanned > 0); /* root can read it: the search really ran */
    *resp_len = 2;
    *resp = malloc(2);
    if (*resp == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    memcpy(*resp, "ok", 2);
    return SERTEL_OK;
}

static void test_fresh_image(void **state)
{
    unsigned char rnd[24], *out = NULL;
    char *secret;
    size_t len;
    sbx_end end;
    sertel_err err = {0};
    sbx_job j = SBX_JOB_INIT;
    sbx *fresh = NULL;
    char path[64], buf[64];
    int fd;

    (void)state;
    /* The secret is in this process's memory before the worker starts, as keys are in serve. */
    randombytes_buf(rnd, sizeof(rnd));
    memcpy(marker, "MARKER-", 7);
    sodium_bin2hex(marker + 7, sizeof(marker) - 7, rnd, sizeof(rnd));
    secret = sodium_malloc(strlen(marker) + 1);
    assert_non_null(secret);
    memcpy(secret, marker, strlen(marker) + 1);
    /* and an fd opened without O_CLOEXEC, which must not reach the worker */
    fd = open("/etc/hostname", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(sbx_new(NULL, &fresh, &err), SERTEL_OK);
    j.type = "inspect";
    j.service = inspect_service;
    assert_int_equal(sbx_run(fresh, &j, &out, &len, &end, &err), SERTEL_OK);
    assert_int_equal(len, 2);
    assert_memory_equal(out, "ok", 2);
    free(out);
    /* the image: fresh, no environment, fds 0-3 and its signalfd only */
    snprintf(path, sizeof(path), "/proc/%d/environ", (int)sbx_worker_image_pid(fresh));
    {
        int e = open(path, O_RDONLY);
        assert_true(e >= 0);
        assert_int_equal(read(e, buf, sizeof(buf)), 0);
        close(e);
    }
    /* none of the image's fds is the one this process left open without O_CLOEXEC */
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)sbx_worker_image_pid(fresh));
    {
        DIR *d = opendir(path);
        struct dirent *e;
        int n = 0;
        assert_non_null(d);
        while ((e = readdir(d)) != NULL) {
            char lp[512], target[256];
            ssize_t tl;
            if (e->d_name[0] == '.')
                continue;
            snprintf(lp, sizeof(lp), "%s/%s", path, e->d_name);
            tl = readlink(lp, target, sizeof(target) - 1);
            assert_true(tl > 0);
            target[tl] = '\0';
            /* /dev/null (0-2), sockets (control, a finishing job's status), the signalfd */
            if (strcmp(target, "/dev/null") != 0 && strncmp(target, "socket:", 7) != 0 &&
                strcmp(target, "anon_inode:[signalfd]") != 0 &&
                !(e->d_name[0] == '2' && e->d_name[1] == 0))
                fail_msg("the image holds fd %s: %s", e->d_name, target);
            n++;
        }
        closedir(d);
        assert_true(n >= 5);
    }
    sbx_free(fresh);
    close(fd);
    sodium_free(secret);
}

static int echo_service(void *arg, const char *name, const unsigned char *req, size_t req_len,
                        unsigned char **resp, size_t *resp_len, sertel_err *err)
{
    int *calls = arg;

    (*calls)++;
    if (strcmp(name, "echo") != 0)
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND, "no service %s", name);
    if (req_len == 4 && memcmp(req, "fail", 4) == 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "the service failed as asked");
    *resp = malloc(req_len + 1);
    if (*resp == NULL)
        return SERTEL_ERR_NOMEM;
    memcpy(*resp, req, req_len);
    *resp_len = req_len;
    return SERTEL_OK;
}

static void test_services(void **state)
{
    sbx_job j = SBX_JOB_INIT;
    unsigned char *out = NULL;
    size_t len;
    sbx_end end;
    sertel_err err = {0};
    int calls = 0;

    (void)state;
    j.type = "call";
    j.params = (const unsigned char *)"hello";
    j.params_len = 5;
    j.input = (const unsigned char *)"xxx";
    j.input_len = 3; /* three calls */
    j.service = echo_service;
    j.service_arg = &calls;
    assert_int_equal(sbx_run(SB, &j, &out, &len, &end, &err), SERTEL_OK);
    assert_int_equal(calls, 3);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "hello", 5);
    free(out);
    /* the service's error reaches the job, and through it the caller */
    j.params = (const unsigned char *)"fail";
    j.params_len = 4;
    assert_int_equal(sbx_run(SB, &j, &out, &len, &end, &err), SERTEL_ERR_IO);
    assert_int_equal(end, SBX_END_JOB_ERROR);
    assert_string_equal(err.msg, "the service failed as asked");
    /* more calls than allowed */
    j.params = (const unsigned char *)"hello";
    j.params_len = 5;
    j.max_calls = 2;
    calls = 0;
    assert_int_equal(sbx_run(SB, &j, &out, &len, &end, &err), SERTEL_ERR_DENIED);
    assert_int_equal(calls, 2);
    assert_non_null(strstr(err.msg, "asked for too much"));
    /* no service offered */
    j.service = NULL;
    assert_int_equal(sbx_run(SB, &j, &out, &len, &end, &err), SERTEL_ERR_DENIED);
    assert_non_null(strstr(err.msg, "may not ask"));
}

/* --- concurrency --- */

typedef struct worker_arg {
    int id, ok;
} worker_arg;

static void *thread_jobs(void *p)
{
    worker_arg *a = p;
    int k;

    a->ok = 1;
    for (k = 0; k < 6; k++) {
        char in[64];
        unsigned char *out = NULL;
        size_t len = 0;
        sbx_end end;
        sertel_err err = {0};
        int n = snprintf(in, sizeof(in), "thread %d job %d", a->id, k);
        if ((a->id + k) % 3 == 0) { /* a crash among them changes nothing for the others */
            if (run("abort", NULL, 0, NULL, 0, &out, &len, &end, &err) != SERTEL_ERR_INVALID ||
                end != SBX_END_CRASH)
                a->ok = 0;
            continue;
        }
        if (run("echo", NULL, 0, in, (size_t)n, &out, &len, &end, &err) != SERTEL_OK ||
            len != (size_t)n || memcmp(out, in, len) != 0)
            a->ok = 0;
        free(out);
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    pthread_t t[8];
    worker_arg a[8];
    int i;

    (void)state;
    for (i = 0; i < 8; i++) {
        a[i].id = i;
        assert_int_equal(pthread_create(&t[i], NULL, thread_jobs, &a[i]), 0);
    }
    for (i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_true(a[i].ok);
    }
}

static sem_t entered, release;

static int blocking_service(void *arg, const char *name, const unsigned char *req, size_t req_len,
                            unsigned char **resp, size_t *resp_len, sertel_err *err)
{
    (void)arg;
    (void)name;
    (void)req;
    (void)req_len;
    (void)err;
    sem_post(&entered);
    while (sem_wait(&release) != 0)
        ;
    *resp = NULL;
    *resp_len = 0;
    return SERTEL_OK;
}

static void *thread_blocked(void *p)
{
    sbx *sb = p;
    sbx_job j = SBX_JOB_INIT;
    unsigned char *out = NULL;
    size_t len;
    sbx_end end;
    sertel_err err = {0};

    j.type = "call";
    j.service = blocking_service;
    if (sbx_run(sb, &j, &out, &len, &end, &err) != SERTEL_OK)
        return (void *)1;
    free(out);
    return NULL;
}

/* More jobs than max_jobs at once: SERTEL_ERR_BUSY, and the running one is unharmed. */
static void test_busy(void **state)
{
    sbx_config c = {0};
    sbx *one = NULL;
    sbx_job j = SBX_JOB_INIT;
    unsigned char *out = NULL;
    size_t len;
    sbx_end end;
    sertel_err err = {0};
    pthread_t t;
    void *ret = (void *)2;

    (void)state;
    c.max_jobs = 1;
    assert_int_equal(sbx_new(&c, &one, &err), SERTEL_OK);
    assert_int_equal(sem_init(&entered, 0, 0), 0);
    assert_int_equal(sem_init(&release, 0, 0), 0);
    assert_int_equal(pthread_create(&t, NULL, thread_blocked, one), 0);
    while (sem_wait(&entered) != 0)
        ;
    j.type = "echo";
    assert_int_equal(sbx_run(one, &j, &out, &len, &end, &err), SERTEL_ERR_BUSY);
    assert_non_null(strstr(err.msg, "try again later"));
    sem_post(&release);
    assert_int_equal(pthread_join(t, &ret), 0);
    assert_null(ret);
    assert_int_equal(sbx_run(one, &j, &out, &len, &end, &err), SERTEL_OK);
    sbx_free(one);
    sem_destroy(&entered);
    sem_destroy(&release);
}

/* The image killed from outside: the next job starts a new one. */
static void test_image_restart(void **state)
{
    pid_t p;

    (void)state;
    echo_works();
    p = sbx_worker_image_pid(SB);
    assert_true(p > 0);
    assert_int_equal(kill(p, SIGKILL), 0);
    echo_works();
    assert_true(sbx_worker_image_pid(SB) > 0);
    assert_int_not_equal(sbx_worker_image_pid(SB), p);
}

static void test_bad_config(void **state)
{
    sbx_config c = {0};
    sbx *b = NULL;
    sbx_job j = SBX_JOB_INIT;
    unsigned char *out = NULL;
    size_t len;
    sbx_end end;
    sertel_err err = {0};

    (void)state;
    c.worker_path = "/nonexistent/sertel";
    assert_int_equal(sbx_new(&c, &b, &err), SERTEL_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "/nonexistent/sertel"));
    if (geteuid() == 0) {
        c.worker_path = NULL;
        c.user = "no-such-user-here";
        assert_int_equal(sbx_new(&c, &b, &err), SERTEL_ERR_CONFIG);
        assert_non_null(strstr(err.msg, "no-such-user-here"));
        c.user = "root";
        assert_int_equal(sbx_new(&c, &b, &err), SERTEL_ERR_CONFIG);
        c.user = NULL;
    }
    /* an executable that is not a worker: the job fails, saying so */
    c.worker_path = "/bin/true";
    assert_int_equal(sbx_new(&c, &b, &err), SERTEL_OK);
    j.type = "echo";
    assert_int_not_equal(sbx_run(b, &j, &out, &len, &end, &err), SERTEL_OK);
    assert_int_equal(end, SBX_END_START);
    assert_non_null(strstr(err.msg, "sandbox worker"));
    sbx_free(b);
}

/* This executable, started as a worker without a control socket, refuses. */
static void test_not_a_worker(void **state)
{
    int st = 0;
    pid_t p;

    (void)state;
    p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        char *argv[] = {(char *)"w", (char *)SBX_WORKER_ARG, NULL};
        int dn = open("/dev/null", O_RDWR);
        dup2(dn, 2);
        close(3);
        execv("/proc/self/exe", argv);
        _exit(99);
    }
    assert_int_equal(waitpid(p, &st, 0), p);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 2);
}

static void test_wire(void **state)
{
    sbx_buf b = {0};
    sbx_rd r;
    char s[8];
    size_t n;
    const unsigned char *p;
    unsigned char *taken;
    size_t tlen;

    (void)state;
    b.secret = 1;
    sbx_put_u32(&b, 7);
    sbx_put_u64(&b, 0x0102030405060708ull);
    sbx_put_str(&b, "abc");
    sbx_put_bytes(&b, NULL, 0);
    sbx_put_str(&b, "toolongstring");
    assert_true(sbx_buf_ok(&b));
    sbx_rd_init(&r, b.p, b.len);
    assert_int_equal(sbx_get_u32(&r), 7);
    assert_true(sbx_get_u64(&r) == 0x0102030405060708ull);
    sbx_get_str(&r, s, sizeof(s));
    assert_string_equal(s, "abc");
    p = sbx_get_bytes(&r, 10, &n);
    assert_int_equal(n, 0);
    (void)p;
    assert_false(r.failed);
    sbx_get_str(&r, s, sizeof(s)); /* 13 bytes into 8: refused */
    assert_true(r.failed);
    assert_false(sbx_rd_done(&r));
    /* overruns yield zeros */
    sbx_rd_init(&r, b.p, 3);
    assert_int_equal(sbx_get_u32(&r), 0);
    assert_true(r.failed);
    taken = sbx_buf_take(&b, &tlen);
    assert_non_null(taken);
    assert_true(tlen > 20);
    free(taken);
    sbx_buf_free(&b);
    assert_string_equal(sbx_end_name(SBX_END_SECCOMP), "seccomp");
}

static int setup(void **state)
{
    sbx_config c = {0};
    sertel_err err = {0};

    (void)state;
    c.output_max = 512 * 1024;
    c.keep_stderr = getenv("SBX_TEST_STDERR") != NULL;
    if (sbx_new(&c, &SB, &err) != SERTEL_OK) {
        fprintf(stderr, "sbx_new: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sbx_free(SB);
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire),        cmocka_unit_test(test_echo),
        cmocka_unit_test(test_private_key), cmocka_unit_test(test_forbidden),
        cmocka_unit_test(test_crash),       cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_memory),      cmocka_unit_test(test_protocol),
        cmocka_unit_test(test_job_error),   cmocka_unit_test(test_fresh_image),
        cmocka_unit_test(test_services),    cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_busy),        cmocka_unit_test(test_image_restart),
        cmocka_unit_test(test_bad_config),  cmocka_unit_test(test_not_a_worker),
    };

    if (argc > 1 && strcmp(argv[1], SBX_WORKER_ARG) == 0)
        return sbx_worker_main(argc, argv, handlers, sizeof(handlers) / sizeof(handlers[0]), NULL);
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
