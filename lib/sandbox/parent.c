/*
 * parent.c - the caller's side of the sandbox (sandbox.h): starting the
 * worker image (fork, then only async-signal-safe calls until execveat,
 * POSIX.1-2017 fork() "Application Usage", since the caller may have
 * threads), handing it jobs over the control socket, serving a job's
 * service requests, and turning whatever comes back (an answer, a
 * malformed frame, a death, silence) into a sertel_rc with a message.
 * In clean-parent mode (sandbox.h) there is no image: sbx_new forks the
 * job processes itself (after checking that this process holds no secret
 * and has one thread) and sbx_run hands each one its job, watching its
 * end through a pidfd and enforcing the timeout itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sbx_int.h"
#include "util/fs.h"

#define IMAGE_START_MS 30000 /* the image must say it is ready within this */
#define GRACE_MS 5000        /* after a job's timeout, for the image to kill and report */

#define CLEAN_MAX_JOBS 16 /* job processes a clean-parent sandbox forks */

/* A job process of a clean-parent sandbox, forked by sbx_new. */
typedef struct clean_kid {
    pid_t pid; /* -1 once reaped */
    int pidfd; /* for its end, or -1 */
    int sock;  /* our end of its job socket, or -1 */
    int taken; /* handed to a job */
} clean_kid;

struct sbx {
    pthread_mutex_t mu;
    sbx_config cfg;
    clean_kid kids[CLEAN_MAX_JOBS]; /* SBX_MODE_CLEAN_PARENT */
    unsigned n_kids;
    int exe_fd;  /* O_PATH of the worker executable */
    int devnull; /* the image's stdin, stdout (and stderr) */
    int drop;    /* running as root: become uid/gid */
    uid_t uid;
    gid_t gid;
    pid_t pid;        /* the image, or -1 */
    int ctl;          /* our end of its control socket, or -1 */
    unsigned running; /* jobs in flight */
};

static int64_t now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The number of threads of this process (/proc/self/stat field 20), or -1. */
static long thread_count(void)
{
    char buf[1024], *p;
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC), i;
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    p = strrchr(buf, ')'); /* after the command name, which may hold anything */
    for (i = 0; p != NULL && i < 18; i++)
        p = strchr(p + 1, ' ');
    return p != NULL ? strtol(p + 1, NULL, 10) : -1;
}

static void clean_kid_close(clean_kid *k)
{
    if (k->pid > 0) {
        kill(k->pid, SIGKILL);
        while (waitpid(k->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (k->pidfd >= 0)
        close(k->pidfd);
    if (k->sock >= 0)
        close(k->sock);
    k->pid = -1;
    k->pidfd = k->sock = -1;
}

/* SBX_MODE_CLEAN_PARENT: check that this process may fork its job processes, and fork them. */
static int clean_new(sbx *sb, sertel_err *err)
{
    sbx_clean_args a;
    unsigned i, n = sb->cfg.jobs ? sb->cfg.jobs : 1;
    long threads;

    if (sb->cfg.handlers == NULL || sb->cfg.n_handlers == 0)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL,
                              "a clean-parent sandbox without job handlers: a bug in sertel");
    if (secret_held())
        return sertel_err_set(err, SERTEL_ERR_INTERNAL,
                              "a clean-parent sandbox made after this process loaded a key or "
                              "secret would copy it into the checking process: a bug in sertel "
                              "(make the sandbox first, or use an exec'd worker)");
    threads = thread_count();
    if (threads != 1)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL,
                              "a clean-parent sandbox needs a single-threaded process (this one "
                              "has %ld threads): a bug in sertel",
                              threads);
    if (n > CLEAN_MAX_JOBS)
        n = CLEAN_MAX_JOBS;
    memset(&a, 0, sizeof(a));
    a.handlers = sb->cfg.handlers;
    a.n_handlers = sb->cfg.n_handlers;
    a.init = sb->cfg.init;
    a.prepare = sb->cfg.prepare;
    a.devnull = sb->devnull;
    a.keep_stderr = sb->cfg.keep_stderr;
    a.parent = getpid();
    a.user = sb->cfg.user != NULL ? sb->cfg.user : "nobody";
    for (i = 0; i < n; i++) {
        clean_kid *k = &sb->kids[i];
        int sv[2];
        pid_t pid;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
            return sertel_err_set(
                err, errno == EMFILE || errno == ENFILE ? SERTEL_ERR_BUSY : SERTEL_ERR_IO,
                "cannot make a socket for the sandbox: %s", strerror(errno));
        pid = fork();
        if (pid < 0) {
            int e = errno;
            close(sv[0]);
            close(sv[1]);
            return sertel_err_set(err, e == EAGAIN ? SERTEL_ERR_BUSY : SERTEL_ERR_IO,
                                  "cannot start a checking process: %s", strerror(e));
        }
        if (pid == 0) {
            a.sock = sv[1];
            sbx_clean_child(&a);
        }
        close(sv[1]);
        k->pid = pid;
        k->sock = sv[0];
        k->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        k->taken = 0;
        sb->n_kids++;
        if (k->pidfd < 0)
            return sertel_err_set(err, SERTEL_ERR_IO, "cannot watch a checking process: %s",
                                  strerror(errno));
    }
    return SERTEL_OK;
}

int sbx_new(const sbx_config *cfg, sbx **out, sertel_err *err)
{
    sbx *sb = NULL;
    const char *path, *user;
    struct stat st;
    int rc;
    unsigned i;

    *out = NULL;
    sb = calloc(1, sizeof(*sb));
    if (sb == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    sb->exe_fd = sb->devnull = sb->ctl = -1;
    sb->pid = -1;
    for (i = 0; i < CLEAN_MAX_JOBS; i++) {
        sb->kids[i].pid = -1;
        sb->kids[i].pidfd = sb->kids[i].sock = -1;
    }
    if (cfg != NULL)
        sb->cfg = *cfg;
    if (sb->cfg.mode == SBX_MODE_CLEAN_PARENT) {
        if (sb->cfg.mem_max == 0)
            sb->cfg.mem_max = SBX_DEFAULT_MEM;
        if (sb->cfg.timeout_ms == 0)
            sb->cfg.timeout_ms = SBX_DEFAULT_TIMEOUT_MS;
        if (sb->cfg.output_max == 0 || sb->cfg.output_max > UINT32_MAX)
            sb->cfg.output_max = sb->cfg.output_max == 0 ? SBX_DEFAULT_OUTPUT_MAX : UINT32_MAX;
        sb->cfg.max_jobs = CLEAN_MAX_JOBS;
        sb->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (sb->devnull < 0)
            rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot open /dev/null: %s", strerror(errno));
        else if (pthread_mutex_init(&sb->mu, NULL) != 0)
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot create a mutex");
        else if ((rc = clean_new(sb, err)) == SERTEL_OK) {
            *out = sb;
            return SERTEL_OK;
        } else
            pthread_mutex_destroy(&sb->mu);
        for (i = 0; i < sb->n_kids; i++)
            clean_kid_close(&sb->kids[i]);
        if (sb->devnull >= 0)
            close(sb->devnull);
        free(sb);
        return rc;
    }
    path = sb->cfg.worker_path != NULL ? sb->cfg.worker_path : "/proc/self/exe";
    user = sb->cfg.user != NULL ? sb->cfg.user : "nobody";
    sb->cfg.worker_path = NULL;
    sb->cfg.user = NULL;
    if (sb->cfg.mem_max == 0)
        sb->cfg.mem_max = SBX_DEFAULT_MEM;
    if (sb->cfg.timeout_ms == 0)
        sb->cfg.timeout_ms = SBX_DEFAULT_TIMEOUT_MS;
    if (sb->cfg.output_max == 0)
        sb->cfg.output_max = SBX_DEFAULT_OUTPUT_MAX;
    if (sb->cfg.output_max > UINT32_MAX)
        sb->cfg.output_max = UINT32_MAX;
    if (sb->cfg.max_jobs == 0)
        sb->cfg.max_jobs = SBX_DEFAULT_MAX_JOBS;
    if (sb->cfg.max_jobs > SBX_IMAGE_MAX_JOBS)
        sb->cfg.max_jobs = SBX_IMAGE_MAX_JOBS;
    sb->exe_fd = open(path, O_PATH | O_CLOEXEC);
    if (sb->exe_fd < 0 || fstat(sb->exe_fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        !(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
        rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                            "the sandbox worker %s %s: give the path of the sertel executable",
                            path, sb->exe_fd < 0 ? strerror(errno) : "is not an executable file");
        goto fail;
    }
    sb->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (sb->devnull < 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot open /dev/null: %s", strerror(errno));
        goto fail;
    }
    if (geteuid() == 0) {
        struct passwd pw, *res = NULL;
        char buf[4096];
        if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || res == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                                "the sandbox runs its worker as user '%s', which does not exist: "
                                "create it or name another unprivileged user",
                                user);
            goto fail;
        }
        if (pw.pw_uid == 0 || pw.pw_gid == 0) {
            rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                                "the sandbox user '%s' is root: name an unprivileged user", user);
            goto fail;
        }
        if (st.st_uid != pw.pw_uid && !(st.st_mode & S_IXOTH)) {
            rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                                "the sandbox worker %s cannot be run by '%s': make it executable "
                                "for others (chmod o+x)",
                                path, user);
            goto fail;
        }
        sb->drop = 1;
        sb->uid = pw.pw_uid;
        sb->gid = pw.pw_gid;
    }
    if (pthread_mutex_init(&sb->mu, NULL) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot create a mutex");
        goto fail;
    }
    *out = sb;
    return SERTEL_OK;
fail:
    if (sb->exe_fd >= 0)
        close(sb->exe_fd);
    if (sb->devnull >= 0)
        close(sb->devnull);
    free(sb);
    return rc;
}

/*
 * The forked child that becomes the image. Only async-signal-safe calls:
 * the caller may have had other threads holding locks at fork.
 */
static void image_child(const sbx *sb, int ctl) __attribute__((noreturn));
static void image_child(const sbx *sb, int ctl)
{
    static char arg0[] = "sertel-sandbox", arg1[] = SBX_WORKER_ARG, arg2[] = SBX_FEW_JOBS_ARG;
    char *argv[] = {arg0, arg1, sb->cfg.few_jobs ? arg2 : NULL, NULL}, *envp[] = {NULL};
    int c = fcntl(ctl, F_DUPFD_CLOEXEC, 10), x = fcntl(sb->exe_fd, F_DUPFD_CLOEXEC, 10),
        n = fcntl(sb->devnull, F_DUPFD_CLOEXEC, 10);
    sigset_t none;

    if (c < 0 || x < 0 || n < 0 || dup2(n, 0) < 0 || dup2(n, 1) < 0 ||
        (!sb->cfg.keep_stderr && dup2(n, 2) < 0) || dup2(c, SBX_FD_CONTROL) < 0)
        _exit(SBX_EXIT_SETUP);
    /* Everything else goes at exec (x must live until then). */
    if (close_range(SBX_FD_CONTROL + 1, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
        _exit(SBX_EXIT_SETUP);
    if (chdir("/") != 0)
        _exit(SBX_EXIT_SETUP);
    umask(077);
    if (sb->drop && (syscall(SYS_setgroups, 0, NULL) != 0 ||
                     syscall(SYS_setresgid, sb->gid, sb->gid, sb->gid) != 0 ||
                     syscall(SYS_setresuid, sb->uid, sb->uid, sb->uid) != 0))
        _exit(SBX_EXIT_SETUP);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        _exit(SBX_EXIT_SETUP);
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    syscall(SYS_execveat, x, "", argv, envp, AT_EMPTY_PATH);
    _exit(SBX_EXIT_EXEC);
}

/* How a worker that died at start is described. */
static int start_failed(int st, sertel_err *err)
{
    if (WIFEXITED(st) && WEXITSTATUS(st) == SBX_EXIT_EXEC)
        return sertel_err_set(err, SERTEL_ERR_CONFIG,
                              "the sandbox worker could not be executed: check that it is the "
                              "sertel executable and that its user may run it");
    if (WIFEXITED(st) && WEXITSTATUS(st) == SBX_EXIT_SETUP)
        return sertel_err_set(err, SERTEL_ERR_IO,
                              "the sandbox worker could not confine itself (user, rlimits or "
                              "seccomp refused): this kernel or container may not allow it");
    if (WIFEXITED(st))
        return sertel_err_set(err, SERTEL_ERR_CONFIG,
                              "the sandbox worker refused to start (status %d): is it the sertel "
                              "executable?",
                              WEXITSTATUS(st));
    if (WIFSIGNALED(st))
        return sertel_err_set(err, SERTEL_ERR_IO, "the sandbox worker died at start (signal %d)",
                              WTERMSIG(st));
    return sertel_err_set(err, SERTEL_ERR_IO, "the sandbox worker did not start in time");
}

static void stop_image(sbx *sb)
{
    if (sb->ctl >= 0)
        close(sb->ctl);
    if (sb->pid > 0) {
        kill(sb->pid, SIGKILL);
        while (waitpid(sb->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    sb->ctl = -1;
    sb->pid = -1;
}

/* Start the image (sb->mu held). */
static int start_image(sbx *sb, sertel_err *err)
{
    int sv[2], st = 0;
    uint32_t ready = 0;
    int64_t until = now_ms() + IMAGE_START_MS;
    pid_t pid;
    ssize_t n = -1;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return sertel_err_set(err,
                              errno == EMFILE || errno == ENFILE ? SERTEL_ERR_BUSY : SERTEL_ERR_IO,
                              "cannot make a socket for the sandbox worker: %s", strerror(errno));
    pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return sertel_err_set(err, e == EAGAIN ? SERTEL_ERR_BUSY : SERTEL_ERR_IO,
                              "cannot start the sandbox worker: %s", strerror(e));
    }
    if (pid == 0)
        image_child(sb, sv[1]);
    close(sv[1]);
    for (;;) {
        struct pollfd pf = {sv[0], POLLIN, 0};
        int64_t left = until - now_ms();
        int r;
        if (left <= 0)
            break;
        r = poll(&pf, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n = recv(sv[0], &ready, sizeof(ready), 0);
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    if (n != (ssize_t)sizeof(ready) || ready != SBX_READY) {
        close(sv[0]);
        if (n != 0) /* no answer in time (n == 0: it died; its status says why) */
            kill(pid, SIGKILL);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (n != 0)
            st = -1;
        return start_failed(st, err);
    }
    sb->pid = pid;
    sb->ctl = sv[0];
    return SERTEL_OK;
}

/* Hand a job to the image, starting or restarting it as needed; *gen gets the image's pid. */
static int send_spawn(sbx *sb, const sbx_spawn *sp, const int *fds, size_t nfds, pid_t *gen,
                      sertel_err *err)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * 3)];
    } cm;
    struct iovec iov = {(void *)sp, sizeof(*sp)};
    struct msghdr m;
    struct cmsghdr *c;
    int attempt, rc = SERTEL_OK;

    memset(&cm, 0, sizeof(cm));
    memset(&m, 0, sizeof(m));
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cm.buf;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    pthread_mutex_lock(&sb->mu);
    for (attempt = 0; attempt < 2; attempt++) {
        ssize_t n;
        if (sb->pid < 0 && (rc = start_image(sb, err)) != SERTEL_OK)
            break;
        do
            n = sendmsg(sb->ctl, &m, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof(*sp)) {
            *gen = sb->pid;
            rc = SERTEL_OK;
            break;
        }
        /* The image died since the last job: start a new one once. */
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot reach the sandbox worker: %s",
                            n < 0 ? strerror(errno) : "short write");
        stop_image(sb);
    }
    pthread_mutex_unlock(&sb->mu);
    return rc;
}

/* A job saw the image die: stop it so the next job starts a new one. */
static void image_died(sbx *sb, pid_t gen)
{
    pthread_mutex_lock(&sb->mu);
    if (sb->pid == gen)
        stop_image(sb);
    pthread_mutex_unlock(&sb->mu);
}

pid_t sbx_worker_image_pid(sbx *sb)
{
    pid_t p;

    pthread_mutex_lock(&sb->mu);
    p = sb->pid;
    pthread_mutex_unlock(&sb->mu);
    return p;
}

void sbx_free(sbx *sb)
{
    unsigned i;

    if (sb == NULL)
        return;
    for (i = 0; i < sb->n_kids; i++)
        clean_kid_close(&sb->kids[i]);
    stop_image(sb);
    pthread_mutex_destroy(&sb->mu);
    if (sb->exe_fd >= 0)
        close(sb->exe_fd);
    if (sb->devnull >= 0)
        close(sb->devnull);
    free(sb);
}

/* --- one job's exchange --- */

typedef struct xch {
    const sbx *sb;
    const sbx_job *job;
    int jp, sp;
    unsigned char *w; /* frame being written */
    size_t wlen, woff;
    unsigned char hdr[SBX_FRAME_HDR];
    size_t hoff;
    unsigned ptype; /* frame being read */
    unsigned char *p;
    size_t plen, poff;
    int in_payload;
    int job_eof;
    int final; /* an OUTPUT or ERROR frame arrived: p/plen/ptype hold it */
    int started, ended, status_eof, refused;
    sbx_status end;
    unsigned calls;
    char proto[160]; /* non-empty: the job broke the protocol */
} xch;

static void proto(xch *x, const char *what)
{
    if (x->proto[0] == '\0')
        snprintf(x->proto, sizeof(x->proto), "%s", what);
}

/* Queue a frame for writing (one at a time). */
static int queue(xch *x, unsigned type, const void *a, size_t alen, const void *b, size_t blen)
{
    size_t len = alen + blen;

    if (len > UINT32_MAX || len > SIZE_MAX - SBX_FRAME_HDR)
        return -1;
    x->w = malloc(SBX_FRAME_HDR + len);
    if (x->w == NULL)
        return -1;
    sbx_frame_hdr(x->w, type, (uint32_t)len);
    if (alen)
        memcpy(x->w + SBX_FRAME_HDR, a, alen);
    if (blen)
        memcpy(x->w + SBX_FRAME_HDR + alen, b, blen);
    x->wlen = SBX_FRAME_HDR + len;
    x->woff = 0;
    return 0;
}

static int queue_error(xch *x, int code, const char *msg)
{
    unsigned char c[4];
    uint32_t u = (uint32_t)code;

    c[0] = (unsigned char)u;
    c[1] = (unsigned char)(u >> 8);
    c[2] = (unsigned char)(u >> 16);
    c[3] = (unsigned char)(u >> 24);
    return queue(x, SBX_F_ERROR, c, 4, msg, strlen(msg));
}

/* A complete CALL frame in x->p: ask the service, queue its answer. */
static void serve_call(xch *x)
{
    const sbx_job *job = x->job;
    size_t nlen = x->plen > 0 ? x->p[0] : 0;
    char name[SBX_NAME_MAX + 1];
    unsigned char *resp = NULL;
    size_t resp_len = 0;
    sertel_err e = {0};
    int rc;

    if (x->plen < 1 || nlen > x->plen - 1 || !sbx_name_ok((const char *)x->p + 1, nlen)) {
        proto(x, "a malformed service request");
        return;
    }
    memcpy(name, x->p + 1, nlen);
    name[nlen] = '\0';
    if (job->service == NULL ||
        ++x->calls > (job->max_calls ? job->max_calls : SBX_DEFAULT_MAX_CALLS)) {
        if (queue_error(x, SERTEL_ERR_DENIED,
                        job->service == NULL ? "this job may not ask for anything"
                                             : "this job asked for too much") != 0)
            proto(x, "out of memory");
        return;
    }
    rc = job->service(job->service_arg, name, x->p + 1 + nlen, x->plen - 1 - nlen, &resp, &resp_len,
                      &e);
    if (rc == SERTEL_OK && resp_len > SBX_CALL_MAX)
        rc = sertel_err_set(&e, SERTEL_ERR_INVALID, "the answer to %s is too large", name);
    if (rc == SERTEL_OK)
        rc = queue(x, SBX_F_ANSWER, resp, resp != NULL ? resp_len : 0, NULL, 0) == 0
                 ? SERTEL_OK
                 : SERTEL_ERR_NOMEM;
    else
        rc = queue_error(x, rc < 0 ? rc : SERTEL_ERR_IO, e.msg[0] ? e.msg : sertel_rc_name(rc)) == 0
                 ? SERTEL_OK
                 : SERTEL_ERR_NOMEM;
    if (rc != SERTEL_OK)
        proto(x, "out of memory");
    free(resp);
}

/* The largest payload of a frame type from a job; 0: not a frame a job sends. */
static size_t frame_max(const xch *x, unsigned type)
{
    switch (type) {
    case SBX_F_OUTPUT:
        return x->job->output_max > 0 && x->job->output_max < x->sb->cfg.output_max
                   ? x->job->output_max
                   : x->sb->cfg.output_max;
    case SBX_F_ERROR:
        return 4 + 4 * SBX_MSG_MAX;
    case SBX_F_CALL:
        return 1 + SBX_NAME_MAX + SBX_CALL_MAX;
    default:
        return 0;
    }
}

/* A frame from the job is complete in x->p: 1 when reading stops (final or broken). */
static int frame_done(xch *x)
{
    x->in_payload = 0;
    if (x->ptype == SBX_F_CALL) {
        serve_call(x);
        free(x->p);
        x->p = NULL;
        return x->proto[0] != '\0';
    }
    x->final = 1; /* OUTPUT or ERROR: the job is done */
    return 1;
}

/* A frame header from the job is complete: check it, allocate its payload. 0 or -1. */
static int header_done(xch *x)
{
    uint32_t len;
    size_t max;

    x->hoff = 0;
    sbx_frame_parse(x->hdr, &x->ptype, &len);
    max = frame_max(x, x->ptype);
    if (max == 0) {
        proto(x, "an unknown frame");
        return -1;
    }
    if (len > max) {
        proto(x, x->ptype == SBX_F_OUTPUT ? "an answer larger than allowed" : "an oversized frame");
        return -1;
    }
    if (x->ptype == SBX_F_CALL && x->wlen > 0) {
        proto(x, "a service request before the previous answer");
        return -1;
    }
    x->p = malloc(len ? len : 1);
    if (x->p == NULL) {
        proto(x, "an answer too large for this process's memory");
        return -1;
    }
    x->plen = len;
    x->poff = 0;
    x->in_payload = 1;
    return 0;
}

/* Read what the job sent; frames are handled as they complete. */
static void read_job(xch *x)
{
    for (;;) {
        ssize_t n;
        if (x->in_payload && x->poff == x->plen) {
            if (frame_done(x))
                return;
            continue;
        }
        if (!x->in_payload)
            n = recv(x->jp, x->hdr + x->hoff, SBX_FRAME_HDR - x->hoff, MSG_DONTWAIT);
        else
            n = recv(x->jp, x->p + x->poff, x->plen - x->poff, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            if (x->in_payload || x->hoff > 0)
                proto(x, "a truncated frame");
            x->job_eof = 1;
            return;
        }
        if (x->in_payload) {
            x->poff += (size_t)n;
        } else {
            x->hoff += (size_t)n;
            if (x->hoff == SBX_FRAME_HDR && header_done(x) != 0)
                return;
        }
    }
}

static void write_job(xch *x)
{
    while (x->woff < x->wlen) {
        ssize_t n = send(x->jp, x->w + x->woff, x->wlen - x->woff, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0) { /* the job is gone; its status will say why */
            x->job_eof = 1;
            break;
        }
        x->woff += (size_t)n;
    }
    free(x->w);
    x->w = NULL;
    x->wlen = x->woff = 0;
}

static void read_status(xch *x)
{
    for (;;) {
        sbx_status st;
        ssize_t n = recv(x->sp, &st, sizeof(st), MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n != (ssize_t)sizeof(st)) {
            x->status_eof = 1;
            return;
        }
        if (st.type == SBX_ST_STARTED)
            x->started = 1;
        if (st.type == SBX_ST_ENDED) {
            x->ended = 1;
            x->end = st;
            return;
        }
        if (st.type == SBX_ST_REFUSED) {
            x->refused = 1;
            x->end = st;
            return;
        }
    }
}

static const char *sig_name(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV";
    case SIGBUS:
        return "SIGBUS";
    case SIGABRT:
        return "SIGABRT";
    case SIGILL:
        return "SIGILL";
    case SIGFPE:
        return "SIGFPE";
    case SIGTRAP:
        return "SIGTRAP";
    case SIGKILL:
        return "SIGKILL";
    case SIGPIPE:
        return "SIGPIPE";
    case SIGXCPU:
        return "SIGXCPU";
    case SIGXFSZ:
        return "SIGXFSZ";
    case SIGSYS:
        return "SIGSYS";
    default:
        return "a signal";
    }
}

/* The outcome of a finished exchange. */
static int conclude(xch *x, const char *what, unsigned timeout_ms, size_t mem_max,
                    unsigned char **out, size_t *out_len, sbx_end *end, sertel_err *err)
{
    static const char hint[] =
        "; the file may be damaged or made to attack the checker: if other software opens it, "
        "report it to the operator";
    int st = x->end.status;

    if (x->proto[0]) {
        *end = SBX_END_PROTOCOL;
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s could not be checked: the checking "
                              "process sent %s%s",
                              what, x->proto, hint);
    }
    if (x->refused) {
        *end = SBX_END_START;
        return sertel_err_set(err, st == EAGAIN ? SERTEL_ERR_BUSY : SERTEL_ERR_IO,
                              "%s could not be checked: no checking process could be started "
                              "(%s); try again later",
                              what, strerror(st));
    }
    if (!x->ended) {
        *end = SBX_END_CRASH;
        return sertel_err_set(err, SERTEL_ERR_IO,
                              "%s could not be checked: the sandbox worker ended unexpectedly; "
                              "try again",
                              what);
    }
    if (x->end.timed_out) {
        *end = SBX_END_TIMEOUT;
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s could not be checked: the checking process did not finish "
                              "in %u s and was stopped%s",
                              what, (timeout_ms + 999) / 1000, hint);
    }
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        if (sig == SIGSYS) {
            *end = SBX_END_SECCOMP;
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "%s could not be checked: the "
                                  "checking process made a forbidden system call and was "
                                  "killed (SIGSYS)%s",
                                  what, hint);
        }
        if (sig == SIGXCPU || sig == SIGKILL || sig == SIGXFSZ) {
            *end = SBX_END_LIMIT;
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "%s could not be checked: the checking process exceeded its "
                                  "CPU or memory limit (%s)%s",
                                  what, sig_name(sig), hint);
        }
        *end = SBX_END_CRASH;
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s could not be checked: the checking "
                              "process crashed (%s, signal %d)%s",
                              what, sig_name(sig), sig, hint);
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !x->final) {
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (code == SBX_EXIT_SETUP) {
            *end = SBX_END_START;
            return sertel_err_set(err, SERTEL_ERR_IO,
                                  "%s could not be checked: the checking process could not "
                                  "confine itself (rlimits or seccomp refused)",
                                  what);
        }
        *end = SBX_END_CRASH;
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s could not be checked: the checking process ended (status %d) "
                              "without an answer%s",
                              what, code, hint);
    }
    if (x->ptype == SBX_F_ERROR) {
        char msg[SBX_MSG_MAX + 1];
        int32_t code;
        if (x->plen < 4) {
            *end = SBX_END_PROTOCOL;
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "%s could not be checked: the checking process sent a "
                                  "malformed error%s",
                                  what, hint);
        }
        code = (int32_t)((uint32_t)x->p[0] | (uint32_t)x->p[1] << 8 | (uint32_t)x->p[2] << 16 |
                         (uint32_t)x->p[3] << 24);
        sbx_sanitize(x->p + 4, x->plen - 4, msg, sizeof(msg));
        if (code == SERTEL_ERR_NOMEM) {
            *end = SBX_END_LIMIT;
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "%s could not be checked: the checking process needs more "
                                  "than its %zu MiB of memory%s",
                                  what, mem_max >> 20, hint);
        }
        *end = SBX_END_JOB_ERROR;
        if (code >= 0 || code < -64)
            code = SERTEL_ERR_INVALID;
        return sertel_err_set(err, code, "%s", msg[0] ? msg : sertel_rc_name(code));
    }
    *end = SBX_END_OK;
    *out = x->plen > 0 ? x->p : NULL;
    *out_len = x->plen;
    if (x->plen > 0)
        x->p = NULL;
    return SERTEL_OK;
}

/* The input as an fd: the caller's file, or a sealed memfd holding the bytes (*owned). */
static int input_fd(const sbx_job *job, const char *what, int *fd, int *owned, uint64_t *len,
                    sertel_err *err)
{
    struct stat st;
    size_t off = 0;

    *fd = -1;
    *owned = 0;
    *len = 0;
    if (job->input_fd >= 0) {
        if (fstat(job->input_fd, &st) != 0 || !S_ISREG(st.st_mode))
            return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is not a regular file", what);
        if (job->input_max > 0 && (uint64_t)st.st_size > job->input_max)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "%s is larger than the %zu bytes allowed", what, job->input_max);
        *fd = job->input_fd;
        *len = (uint64_t)st.st_size;
        return SERTEL_OK;
    }
    if (job->input == NULL || job->input_len == 0)
        return SERTEL_OK;
    if (job->input_max > 0 && job->input_len > job->input_max)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is larger than the %zu bytes allowed",
                              what, job->input_max);
    *fd = memfd_create("sertel-sandbox-input", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (*fd < 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot pass %s to the sandbox: %s", what,
                              strerror(errno));
    *owned = 1;
    while (off < job->input_len) {
        ssize_t n = write(*fd, job->input + off, job->input_len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return sertel_err_set(
                err, errno == ENOSPC || errno == ENOMEM ? SERTEL_ERR_NOMEM : SERTEL_ERR_IO,
                "cannot pass %s to the sandbox: %s", what, strerror(errno));
        off += (size_t)n;
    }
    /* Sealed: neither side can change it any more. */
    if (fcntl(*fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot seal %s for the sandbox: %s", what,
                              strerror(errno));
    *len = job->input_len;
    return SERTEL_OK;
}

static int check_job(const sbx *sb, const sbx_job *job, sertel_err *err)
{
    if (job->type == NULL || !sbx_name_ok(job->type, strnlen(job->type, SBX_NAME_MAX + 1)))
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "bad sandbox job type: a bug in sertel");
    if (job->input_fd >= 0 && job->input_fd <= 2)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL,
                              "sandbox job input_fd %d is a standard stream (start jobs from "
                              "SBX_JOB_INIT): a bug in sertel",
                              job->input_fd);
    if (job->input_fd >= 0 && job->input != NULL)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL,
                              "sandbox job with both input bytes and a file: a bug in sertel");
    if (job->params_len > SBX_PARAMS_MAX || (job->params_len > 0 && job->params == NULL))
        return sertel_err_set(err, SERTEL_ERR_INTERNAL,
                              "sandbox job parameters of %zu bytes: a bug in sertel",
                              job->params_len);
    (void)sb;
    return SERTEL_OK;
}

/*
 * One attempt at a job: sockets, the request to the image, the exchange.
 * x is filled with what happened; the return is for failures on this side.
 */
static int attempt(sbx *sb, const sbx_job *job, const sbx_spawn *sp, int in, unsigned timeout,
                   xch *x, pid_t *gen, sertel_err *err)
{
    int jsv[2] = {-1, -1}, ssv[2] = {-1, -1}, rc = SERTEL_OK;
    unsigned char nb[1 + SBX_NAME_MAX];
    size_t nlen = strlen(job->type);
    int64_t until;

    memset(x, 0, sizeof(*x));
    x->sb = sb;
    x->job = job;
    x->jp = x->sp = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, jsv) != 0 ||
        socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ssv) != 0) {
        rc = sertel_err_set(err,
                            errno == EMFILE || errno == ENFILE ? SERTEL_ERR_BUSY : SERTEL_ERR_IO,
                            "cannot make sockets for the sandbox: %s", strerror(errno));
        goto out;
    }
    {
        int fds[3] = {jsv[1], ssv[1], in};
        if ((rc = send_spawn(sb, sp, fds, in >= 0 ? 3 : 2, gen, err)) != SERTEL_OK)
            goto out;
    }
    close(jsv[1]);
    close(ssv[1]);
    jsv[1] = ssv[1] = -1;
    x->jp = jsv[0];
    x->sp = ssv[0];
    nb[0] = (unsigned char)nlen;
    memcpy(nb + 1, job->type, nlen);
    if (queue(x, SBX_F_JOB, nb, 1 + nlen, job->params, job->params_len) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    until = now_ms() + timeout + GRACE_MS;
    while (!x->proto[0] && !x->refused &&
           !((x->final || x->job_eof) && (x->ended || x->status_eof))) {
        struct pollfd pf[2];
        nfds_t np = 0;
        int64_t left = until - now_ms();
        int r;
        if (left <= 0)
            break;
        if (!x->final && !x->job_eof) {
            pf[np].fd = x->jp;
            pf[np].events = (short)(POLLIN | (x->wlen > 0 ? POLLOUT : 0));
            pf[np++].revents = 0;
        }
        if (!x->ended && !x->status_eof) {
            pf[np].fd = x->sp;
            pf[np].events = POLLIN;
            pf[np++].revents = 0;
        }
        if (np == 0)
            break;
        r = poll(pf, np, (int)(left > 60000 ? 60000 : left));
        if (r < 0 && errno != EINTR) {
            rc = sertel_err_set(err, SERTEL_ERR_IO, "waiting for the sandbox: %s", strerror(errno));
            goto out;
        }
        if (r <= 0)
            continue;
        if (!x->final && !x->job_eof && x->wlen > 0)
            write_job(x);
        if (!x->final && !x->job_eof)
            read_job(x);
        if (!x->ended && !x->status_eof)
            read_status(x);
    }
out:
    free(x->w);
    x->w = NULL;
    x->wlen = 0;
    if (jsv[0] >= 0)
        close(jsv[0]);
    if (jsv[1] >= 0)
        close(jsv[1]);
    if (ssv[0] >= 0)
        close(ssv[0]);
    if (ssv[1] >= 0)
        close(ssv[1]);
    x->jp = x->sp = -1;
    return rc;
}

/* Hand the spawn message and the input's fd to a clean-parent job process. 0 or -1. */
static int clean_send_spawn(int sock, const sbx_spawn *sp, int in)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } cm;
    struct iovec iov = {(void *)sp, sizeof(*sp)};
    struct msghdr m;
    ssize_t n;

    memset(&cm, 0, sizeof(cm));
    memset(&m, 0, sizeof(m));
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    if (in >= 0) {
        struct cmsghdr *c;
        m.msg_control = cm.buf;
        m.msg_controllen = CMSG_SPACE(sizeof(int));
        c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &in, sizeof(int));
    }
    do
        n = sendmsg(sock, &m, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof(*sp) ? 0 : -1;
}

/*
 * One job in a clean-parent sandbox's job process k: the spawn message,
 * the exchange, and its end from its pidfd; this process enforces the
 * wall-clock timeout itself (SIGKILL). x is filled as attempt() fills it.
 */
static int clean_attempt(clean_kid *k, const sbx_job *job, const sbx_spawn *sp, int in,
                         unsigned timeout, xch *x, sertel_err *err)
{
    unsigned char nb[1 + SBX_NAME_MAX];
    size_t nlen = strlen(job->type);
    int64_t until = now_ms() + timeout, hard = until + GRACE_MS;
    int rc = SERTEL_OK;

    x->jp = k->sock;
    x->sp = -1;
    x->started = 1;
    nb[0] = (unsigned char)nlen;
    memcpy(nb + 1, job->type, nlen);
    if (queue(x, SBX_F_JOB, nb, 1 + nlen, job->params, job->params_len) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (clean_send_spawn(k->sock, sp, in) != 0)
        x->job_eof = 1; /* it is gone: its status says why */
    /* Its answer, once complete, is all that counts: the process is ending then, and is
     * reaped (killed first, should it linger) by sbx_free, so that its teardown, which for a
     * copy of a large process takes a millisecond, is not waited for here. */
    while (!x->proto[0] && !x->final && !(x->job_eof && x->ended)) {
        struct pollfd pf[2];
        nfds_t np = 0;
        int64_t now = now_ms(), left;
        int r;
        if (now >= until && !x->end.timed_out) {
            kill(k->pid, SIGKILL);
            x->end.timed_out = 1;
        }
        if (now >= hard)
            break; /* cannot happen: a killed process ends */
        left = (x->end.timed_out ? hard : until) - now;
        if (!x->final && !x->job_eof) {
            pf[np].fd = x->jp;
            pf[np].events = (short)(POLLIN | (x->wlen > 0 ? POLLOUT : 0));
            pf[np++].revents = 0;
        }
        pf[np].fd = k->pidfd;
        pf[np].events = POLLIN;
        pf[np++].revents = 0;
        r = poll(pf, np, (int)(left > 60000 ? 60000 : left));
        if (r < 0 && errno != EINTR) {
            rc = sertel_err_set(err, SERTEL_ERR_IO, "waiting for the sandbox: %s", strerror(errno));
            goto out;
        }
        if (r <= 0)
            continue;
        if (!x->final && !x->job_eof && x->wlen > 0)
            write_job(x);
        if (!x->final && !x->job_eof)
            read_job(x);
        if (pf[np - 1].revents & (POLLIN | POLLHUP | POLLERR)) {
            int st = 0;
            pid_t w;
            while ((w = waitpid(k->pid, &st, WNOHANG)) < 0 && errno == EINTR)
                ;
            if (w == k->pid) {
                k->pid = -1;
                x->ended = 1;
                x->end.status = st;
            }
        }
    }
    if (x->final && !x->ended) {
        x->ended = 1;
        x->end.status = 0; /* answered: as if it had ended */
    }
out:
    free(x->w);
    x->w = NULL;
    x->wlen = 0;
    x->jp = -1;
    return rc;
}

/* sbx_run for a clean-parent sandbox. */
static int clean_run(sbx *sb, const sbx_job *job, const sbx_spawn *sp, int in, unsigned timeout,
                     xch *x, sertel_err *err)
{
    clean_kid *k = NULL;
    unsigned i;
    int rc;

    pthread_mutex_lock(&sb->mu);
    for (i = 0; i < sb->n_kids && k == NULL; i++)
        if (!sb->kids[i].taken) {
            k = &sb->kids[i];
            k->taken = 1;
        }
    pthread_mutex_unlock(&sb->mu);
    if (k == NULL)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL,
                              "this clean-parent sandbox has run all its %u jobs: a bug in sertel "
                              "(give sbx_config.jobs)",
                              sb->n_kids);
    x->sb = sb;
    x->job = job;
    rc = clean_attempt(k, job, sp, in, timeout, x, err);
    /* Its socket goes now; the process, when it has not been reaped, at sbx_free. */
    close(k->sock);
    k->sock = -1;
    return rc;
}

int sbx_run(sbx *sb, const sbx_job *job, unsigned char **out, size_t *out_len, sbx_end *end,
            sertel_err *err)
{
    const char *what = job->what != NULL ? job->what : "the input";
    unsigned timeout = job->timeout_ms ? job->timeout_ms : sb->cfg.timeout_ms;
    size_t mem = job->mem_max ? job->mem_max : sb->cfg.mem_max;
    int in = -1, owned = 0, rc, counted = 0, tries;
    sbx_end dummy;
    sbx_spawn sp;
    xch x;
    pid_t gen = -1;
    uint64_t in_len = 0;

    *out = NULL;
    *out_len = 0;
    if (end == NULL)
        end = &dummy;
    *end = SBX_END_START;
    memset(&x, 0, sizeof(x));
    if ((rc = check_job(sb, job, err)) != SERTEL_OK)
        return rc;
    if ((rc = input_fd(job, what, &in, &owned, &in_len, err)) != SERTEL_OK)
        goto out;
    pthread_mutex_lock(&sb->mu);
    if (sb->running < sb->cfg.max_jobs) {
        sb->running++;
        counted = 1;
    }
    pthread_mutex_unlock(&sb->mu);
    if (!counted) {
        rc = sertel_err_set(err, SERTEL_ERR_BUSY,
                            "%s could not be checked now: %u checks are running; try again later",
                            what, sb->cfg.max_jobs);
        goto out;
    }
    memset(&sp, 0, sizeof(sp));
    sp.magic = SBX_MAGIC;
    sp.timeout_ms = timeout;
    sp.cpu_seconds = timeout / 1000 + 2;
    sp.mem_max = mem;
    sp.has_input = in >= 0;
    sp.input_len = in_len;
    if (sb->cfg.mode == SBX_MODE_CLEAN_PARENT) {
        if ((rc = clean_run(sb, job, &sp, in, timeout, &x, err)) == SERTEL_OK)
            rc = conclude(&x, what, timeout, mem, out, out_len, end, err);
        goto out;
    }
    for (tries = 0; tries < 2; tries++) {
        free(x.p);
        if ((rc = attempt(sb, job, &sp, in, timeout, &x, &gen, err)) != SERTEL_OK)
            goto out;
        if (!(x.status_eof && !x.started && !x.ended && !x.refused))
            break;
        /* The image died before it started the job (killed, or gone since the last job):
         * nothing ran, so a new image may run it. */
        image_died(sb, gen);
    }
    if (!x.proto[0] && !x.refused && !(x.ended || x.status_eof)) {
        /* The image neither killed the job nor reported: it is stuck. Replace it. */
        image_died(sb, gen);
        *end = SBX_END_TIMEOUT;
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "%s could not be checked: the checking process did not finish in %u s "
                            "and was stopped",
                            what, (timeout + 999) / 1000);
        goto out;
    }
    if (x.status_eof && !x.ended && !x.refused)
        image_died(sb, gen);
    rc = conclude(&x, what, timeout, mem, out, out_len, end, err);
out:
    if (counted) {
        pthread_mutex_lock(&sb->mu);
        sb->running--;
        pthread_mutex_unlock(&sb->mu);
    }
    free(x.p);
    if (owned && in >= 0)
        close(in);
    return rc;
}
