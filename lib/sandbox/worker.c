/*
 * worker.c - the worker image and its job processes (sandbox.h): the
 * image confines itself once, then forks one job process per request on
 * the control socket, enforces each one's wall-clock deadline and reports
 * how it ended on the job's status socket; a job process places its fds,
 * confines itself (policy.c), reads one job frame, maps the input
 * read-only, runs the handler and writes one answer frame. A clean-parent
 * job process (sbx_clean_child, forked by the caller's sbx_new) does the
 * same without an image: it drops what it inherited (fds, environment,
 * privileges), initialises, takes its job, runs the prepare hook and only
 * then confines itself, the same way.
 *
 * The image is single-threaded, so its children may use malloc and
 * libseccomp freely after fork. It exits when the caller closes the
 * control socket; job processes die with it (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/sbx_int.h"

typedef struct kid {
    pid_t pid;
    int status_fd;
    int64_t deadline_ms;
    int timed_out;
} kid;

static struct {
    const sbx_handler *handlers;
    size_t n_handlers;
    struct sock_fprog prog; /* the compiled job filter */
    uint64_t base;          /* the image's address-space size after init */
    pid_t self;
    int warm;  /* warm-ups worth their cost (sbx_worker_warm) */
    int clean; /* a clean-parent job process (sbx_worker_clean) */
    kid kids[SBX_IMAGE_MAX_JOBS];
    size_t n_kids;
} W;

/*
 * End the process now: the exit_group system call itself. Not _exit(),
 * which sanitizer runtimes intercept to run a leak check that needs ptrace
 * (forbidden by the filter); nothing of a worker needs flushing.
 */
static void sbx_exit(int code) __attribute__((noreturn));
static void sbx_exit(int code)
{
    for (;;)
        syscall(SYS_exit_group, code);
}

/* In a job process: its job socket; -1 elsewhere. */
static int job_fd = -1;

int sbx_in_worker(void)
{
    return job_fd >= 0;
}

int sbx_worker_warm(void)
{
    return W.warm;
}

static int64_t now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The process's address-space size (VmSize), read before the filter forbids open. */
static uint64_t vm_size(void)
{
    char buf[128];
    unsigned long long pages = 0;
    long page = sysconf(_SC_PAGESIZE);
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return (uint64_t)1 << 30;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return (uint64_t)1 << 30;
    buf[n] = '\0';
    pages = strtoull(buf, NULL, 10);
    return (uint64_t)pages * (uint64_t)(page > 0 ? page : 4096);
}

static void send_status(int fd, uint32_t type, pid_t pid, int status, int timed_out)
{
    sbx_status st = {type, (int32_t)pid, (int32_t)status, (uint32_t)timed_out};

    (void)send(fd, &st, sizeof(st), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* --- the job process --- */

static int write_frame(unsigned type, const void *a, size_t alen, const void *b, size_t blen)
{
    unsigned char h[SBX_FRAME_HDR];

    if (alen + blen > UINT32_MAX)
        return -1;
    sbx_frame_hdr(h, type, (uint32_t)(alen + blen));
    if (sbx_write_all(job_fd, h, sizeof(h)) != 0 || (alen && sbx_write_all(job_fd, a, alen) != 0) ||
        (blen && sbx_write_all(job_fd, b, blen) != 0))
        return -1;
    return 0;
}

static int write_error(int code, const char *msg)
{
    unsigned char c[4];
    uint32_t u = (uint32_t)code;

    c[0] = (unsigned char)u;
    c[1] = (unsigned char)(u >> 8);
    c[2] = (unsigned char)(u >> 16);
    c[3] = (unsigned char)(u >> 24);
    return write_frame(SBX_F_ERROR, c, 4, msg, strlen(msg));
}

/* Read one frame of an expected size bound; *p is malloc'ed (at least 1 byte). */
static int read_frame(unsigned *type, unsigned char **p, uint32_t *len, uint32_t max)
{
    unsigned char h[SBX_FRAME_HDR];

    *p = NULL;
    if (sbx_read_all(job_fd, h, sizeof(h)) != 0)
        return -1;
    sbx_frame_parse(h, type, len);
    if (*len > max)
        return -1;
    *p = malloc(*len ? *len : 1);
    if (*p == NULL)
        return -1;
    if (*len && sbx_read_all(job_fd, *p, *len) != 0) {
        free(*p);
        *p = NULL;
        return -1;
    }
    return 0;
}

static int32_t err_code(const unsigned char *p)
{
    return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                     (uint32_t)p[3] << 24);
}

int sbx_worker_call(const char *name, const unsigned char *req, size_t req_len,
                    unsigned char **resp, size_t *resp_len, sertel_err *err)
{
    size_t nlen = strlen(name);
    unsigned char nb[1 + SBX_NAME_MAX], *p = NULL;
    unsigned type;
    uint32_t len;
    int rc;

    *resp = NULL;
    *resp_len = 0;
    if (job_fd < 0)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL,
                              "sbx_worker_call outside a job process: a bug in sertel");
    if (!sbx_name_ok(name, nlen) || req_len > SBX_CALL_MAX - 1 - nlen)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "bad service request to %.40s", name);
    nb[0] = (unsigned char)nlen;
    memcpy(nb + 1, name, nlen);
    if (write_frame(SBX_F_CALL, nb, 1 + nlen, req, req_len) != 0 ||
        read_frame(&type, &p, &len, SBX_CALL_MAX) != 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "the caller of this job is gone");
    if (type == SBX_F_ANSWER) {
        if (len == 0) {
            free(p);
            p = NULL;
        }
        *resp = p;
        *resp_len = len;
        return SERTEL_OK;
    }
    if (type == SBX_F_ERROR && len >= 4) {
        char msg[SBX_MSG_MAX + 1];
        sbx_sanitize(p + 4, len - 4, msg, sizeof(msg));
        rc = err_code(p);
        free(p);
        return sertel_err_set(err, rc < 0 ? rc : SERTEL_ERR_IO, "%s", msg);
    }
    free(p);
    return sertel_err_set(err, SERTEL_ERR_IO, "the caller of this job answered nonsense");
}

/* A job read from the job socket: its handler and request (the input mapped). */
typedef struct job_in {
    const sbx_handler *h;
    sbx_request req;
} job_in;

/*
 * Read the job frame and map the input (fd SBX_FD_INPUT). A job this
 * worker has no handler for, or an input it cannot map, is answered here
 * and the process ends.
 */
static void read_job(const sbx_spawn *sp, job_in *j)
{
    unsigned char *frame = NULL;
    const unsigned char *input = NULL;
    void *map = NULL;
    unsigned type;
    uint32_t len;
    size_t nlen, i;
    char name[SBX_NAME_MAX + 1];

    memset(j, 0, sizeof(*j));
    if (read_frame(&type, &frame, &len, 1 + SBX_NAME_MAX + SBX_PARAMS_MAX) != 0 ||
        type != SBX_F_JOB || len < 1 || (nlen = frame[0]) > len - 1 ||
        !sbx_name_ok((const char *)frame + 1, nlen))
        sbx_exit(SBX_EXIT_SETUP);
    memcpy(name, frame + 1, nlen);
    name[nlen] = '\0';
    if (sp->has_input && sp->input_len > 0) {
        if (sp->input_len > SIZE_MAX) {
            (void)write_error(SERTEL_ERR_INVALID, "the input is too large to map");
            sbx_exit(0);
        }
        map = mmap(NULL, (size_t)sp->input_len, PROT_READ, MAP_PRIVATE, SBX_FD_INPUT, 0);
        if (map == MAP_FAILED) {
            (void)write_error(SERTEL_ERR_IO, "the input could not be mapped into the worker");
            sbx_exit(0);
        }
        input = map;
        close(SBX_FD_INPUT);
    }
    j->req.input = input;
    j->req.input_len = input != NULL ? (size_t)sp->input_len : 0;
    j->req.params = frame + 1 + nlen;
    j->req.params_len = len - 1 - nlen;
    for (i = 0; i < W.n_handlers; i++)
        if (strcmp(W.handlers[i].type, name) == 0)
            break;
    if (i == W.n_handlers) {
        char msg[96];
        snprintf(msg, sizeof(msg), "this worker has no job type '%s'", name);
        (void)write_error(SERTEL_ERR_UNSUPPORTED, msg);
        sbx_exit(0);
    }
    j->h = &W.handlers[i];
}

/* Run the job's handler and answer; the process ends here (no cleanup: sbx_exit). */
static void finish_job(const job_in *j) __attribute__((noreturn));
static void finish_job(const job_in *j)
{
    unsigned char *out = NULL;
    size_t out_len = 0;
    sertel_err err = {0};
    int rc = j->h->run(&j->req, &out, &out_len, &err);

    if (rc == SERTEL_OK) {
        if (write_frame(SBX_F_OUTPUT, out, out != NULL ? out_len : 0, NULL, 0) != 0)
            sbx_exit(SBX_EXIT_SETUP);
    } else {
        (void)write_error(rc < 0 ? rc : SERTEL_ERR_INTERNAL,
                          err.msg[0] ? err.msg : sertel_rc_name(rc));
    }
    sbx_exit(0);
}

static void run_job(const sbx_spawn *sp)
{
    job_in j;

    read_job(sp, &j);
    finish_job(&j);
}

/* The new job process: fds, parent check, signals, limits, filter, the job. */
static void job_process(const sbx_spawn *sp, int jfd, int ifd)
{
    int j = fcntl(jfd, F_DUPFD_CLOEXEC, 10), in = ifd >= 0 ? fcntl(ifd, F_DUPFD_CLOEXEC, 10) : -1;
    sigset_t none;

    if (j < 0 || (ifd >= 0 && in < 0) || dup2(j, SBX_FD_JOB) < 0 ||
        (in >= 0 && dup2(in, SBX_FD_INPUT) < 0))
        sbx_exit(SBX_EXIT_SETUP);
    if (close_range(in >= 0 ? SBX_FD_INPUT + 1 : SBX_FD_INPUT, ~0U, 0) != 0)
        sbx_exit(SBX_EXIT_SETUP);
    close(0);
    close(1);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != W.self)
        sbx_exit(SBX_EXIT_SETUP);
    (void)signal(SIGPIPE, SIG_DFL); /* the only one the image changed (sbx_worker_main) */
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) != 0)
        sbx_exit(SBX_EXIT_SETUP);
    job_fd = SBX_FD_JOB;
    if (sbx_job_confine(&W.prog, W.base, sp->mem_max, sp->has_input ? sp->input_len : 0,
                        sp->cpu_seconds) != 0)
        sbx_exit(SBX_EXIT_SETUP);
    run_job(sp);
}

/* --- a clean-parent job process (sandbox.h, SBX_MODE_CLEAN_PARENT) --- */

int sbx_worker_clean(void)
{
    return W.clean;
}

/* Receive the spawn message and the input's fd (placed at SBX_FD_INPUT) on the job socket. */
static int recv_spawn(sbx_spawn *sp)
{
    struct iovec iov = {sp, sizeof(*sp)};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * 2)];
    } cm;
    struct msghdr m;
    struct cmsghdr *c;
    int fds[2], nfds = 0, ok;
    ssize_t n;

    memset(&m, 0, sizeof(m));
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cm.buf;
    m.msg_controllen = sizeof(cm.buf);
    do
        n = recvmsg(SBX_FD_JOB, &m, MSG_CMSG_CLOEXEC | MSG_WAITALL);
    while (n < 0 && errno == EINTR);
    for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
        size_t k, cnt;
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (k = 0; k < cnt && nfds < 2; k++)
            memcpy(&fds[nfds++], CMSG_DATA(c) + k * sizeof(int), sizeof(int));
    }
    ok = n == (ssize_t)sizeof(*sp) && !(m.msg_flags & MSG_CTRUNC) && sp->magic == SBX_MAGIC &&
         sp->has_input <= 1 && nfds == (int)sp->has_input &&
         (nfds == 0 || dup2(fds[0], SBX_FD_INPUT) == SBX_FD_INPUT);
    while (nfds > 0)
        if (fds[--nfds] != SBX_FD_INPUT)
            close(fds[nfds]);
    return ok ? 0 : -1;
}

/*
 * The user's entry in /etc/passwd, read directly (fgetpwent_r: no NSS
 * modules, no nscd); else through NSS (getpwnam_r). 0 or -1.
 */
static int find_user(const char *user, struct passwd *pw, char *buf, size_t cap)
{
    struct passwd *res = NULL;
    FILE *f = fopen("/etc/passwd", "re");

    if (f != NULL) {
        while (fgetpwent_r(f, pw, buf, cap, &res) == 0 && res != NULL)
            if (strcmp(pw->pw_name, user) == 0)
                break;
        fclose(f);
        if (res != NULL)
            return 0;
    }
    return getpwnam_r(user, pw, buf, cap, &res) == 0 && res != NULL ? 0 : -1;
}

/* Become the user the sandbox runs its jobs as (the caller runs as root). */
static int drop_to(const char *user)
{
    struct passwd pw;
    char buf[4096];

    if (find_user(user, &pw, buf, sizeof(buf)) != 0 || pw.pw_uid == 0 || pw.pw_gid == 0)
        return -1;
    if (setgroups(0, NULL) != 0 || setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid) != 0 ||
        setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid) != 0)
        return -1;
    return getuid() != 0 && geteuid() != 0 && getgid() != 0 && getegid() != 0 ? 0 : -1;
}

void sbx_clean_child(const sbx_clean_args *a)
{
    int s = fcntl(a->sock, F_DUPFD_CLOEXEC, 10), n = fcntl(a->devnull, F_DUPFD_CLOEXEC, 10), sig;
    char **env;
    sigset_t none;
    sbx_spawn sp;
    job_in j;

    /* The descriptors of a job process: /dev/null, stderr, the job socket; nothing else. */
    if (s < 0 || n < 0 || dup2(n, 0) < 0 || dup2(n, 1) < 0 || (!a->keep_stderr && dup2(n, 2) < 0) ||
        dup2(s, SBX_FD_JOB) < 0 || close_range(SBX_FD_JOB + 1, ~0U, 0) != 0)
        sbx_exit(SBX_EXIT_SETUP);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != a->parent ||
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        sbx_exit(SBX_EXIT_SETUP);
    for (sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            (void)signal(sig, SIG_DFL);
    sigemptyset(&none);
    /* The environment's strings stay in a forked copy's memory: wiped, not just unset. */
    for (env = environ; env != NULL && *env != NULL; env++)
        explicit_bzero(*env, strlen(*env));
    if (sigprocmask(SIG_SETMASK, &none, NULL) != 0 || chdir("/") != 0 || clearenv() != 0)
        sbx_exit(SBX_EXIT_SETUP);
    umask(077);
    if ((getuid() == 0 || geteuid() == 0) && drop_to(a->user) != 0)
        sbx_exit(SBX_EXIT_SETUP);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        sbx_exit(SBX_EXIT_SETUP);
    W.handlers = a->handlers;
    W.n_handlers = a->n_handlers;
    W.clean = 1;
    /* What the job's libraries would open lazily, and the filter: while the caller gets the
     * job ready. */
    if (a->init != NULL)
        a->init();
    if (sbx_job_filter_compile(&W.prog) != 0)
        sbx_exit(SBX_EXIT_SETUP);
    job_fd = SBX_FD_JOB;
    if (recv_spawn(&sp) != 0)
        sbx_exit(SBX_EXIT_SETUP);
    /* The job arrives before the filter: the input is mapped, not looked at, and the prepare
     * hook may load what this input needs (a module the filter would not let it open). */
    read_job(&sp, &j);
    if (a->prepare != NULL)
        a->prepare(j.h->type, &j.req);
    if (sbx_job_confine(&W.prog, vm_size(), sp.mem_max, 0, sp.cpu_seconds) != 0)
        sbx_exit(SBX_EXIT_SETUP);
    finish_job(&j);
}

/* --- the image --- */

static void close_fds(const int *fds, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        close(fds[i]);
}

/* Take one request from the control socket; -1 when the caller is gone. */
static int take_request(void)
{
    sbx_spawn sp;
    struct iovec iov = {&sp, sizeof(sp)};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * 4)];
    } cm;
    struct msghdr m;
    struct cmsghdr *c;
    int fds[4];
    size_t nfds = 0;
    ssize_t n;
    pid_t pid;
    kid *k;

    memset(&m, 0, sizeof(m));
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cm.buf;
    m.msg_controllen = sizeof(cm.buf);
    n = recvmsg(SBX_FD_CONTROL, &m, MSG_CMSG_CLOEXEC);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 0 : -1;
    if (n == 0)
        return -1;
    for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
        size_t k2, cnt;
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (k2 = 0; k2 < cnt && nfds < 4; k2++)
            memcpy(&fds[nfds++], CMSG_DATA(c) + k2 * sizeof(int), sizeof(int));
    }
    if ((m.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) || (size_t)n != sizeof(sp) ||
        sp.magic != SBX_MAGIC || sp.has_input > 1 || nfds != 2 + sp.has_input) {
        close_fds(fds, nfds);
        return 0;
    }
    if (W.n_kids >= SBX_IMAGE_MAX_JOBS) {
        send_status(fds[1], SBX_ST_REFUSED, 0, EAGAIN, 0);
        close_fds(fds, nfds);
        return 0;
    }
    pid = fork();
    if (pid < 0) {
        send_status(fds[1], SBX_ST_REFUSED, 0, errno, 0);
        close_fds(fds, nfds);
        return 0;
    }
    if (pid == 0)
        job_process(&sp, fds[0], sp.has_input ? fds[2] : -1);
    close(fds[0]);
    if (sp.has_input)
        close(fds[2]);
    k = &W.kids[W.n_kids++];
    k->pid = pid;
    k->status_fd = fds[1];
    k->deadline_ms = now_ms() + sp.timeout_ms;
    k->timed_out = 0;
    send_status(k->status_fd, SBX_ST_STARTED, pid, 0, 0);
    return 0;
}

static void reap(void)
{
    pid_t pid;
    int st;
    size_t i;

    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (i = 0; i < W.n_kids; i++)
            if (W.kids[i].pid == pid)
                break;
        if (i == W.n_kids)
            continue;
        send_status(W.kids[i].status_fd, SBX_ST_ENDED, pid, st, W.kids[i].timed_out);
        close(W.kids[i].status_fd);
        W.kids[i] = W.kids[--W.n_kids];
    }
}

/* Kill job processes past their deadline; the ms until the next one (-1: none). */
static int deadlines(void)
{
    int64_t now = now_ms(), next = -1;
    size_t i;

    for (i = 0; i < W.n_kids; i++) {
        kid *k = &W.kids[i];
        if (k->timed_out)
            continue;
        if (now >= k->deadline_ms) {
            kill(k->pid, SIGKILL);
            k->timed_out = 1;
        } else if (next < 0 || k->deadline_ms - now < next) {
            next = k->deadline_ms - now;
        }
    }
    return next < 0 ? -1 : next > 60000 ? 60000 : (int)next;
}

static int refuse(const char *why)
{
    fprintf(stderr, "sertel: %s\n", why);
    return 2;
}

int sbx_worker_main(int argc, char **argv, const sbx_handler *handlers, size_t n_handlers,
                    void (*init)(void))
{
    int type = 0, sfd;
    socklen_t tl = sizeof(type);
    sigset_t chld;
    uint32_t ready = SBX_READY;

    if (getsockopt(SBX_FD_CONTROL, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_SEQPACKET)
        return refuse(SBX_WORKER_ARG " runs the sandboxed worker that sertel starts itself; "
                                     "it is not a command");
    if (getuid() == 0 || geteuid() == 0)
        return refuse("the sandboxed worker does not run as root: sertel starts it as an "
                      "unprivileged user");
    W.warm = !(argc > 2 && strcmp(argv[2], SBX_FEW_JOBS_ARG) == 0);
    W.handlers = handlers;
    W.n_handlers = n_handlers;
    W.self = getpid();
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 &&
                                                    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0))
        sbx_exit(SBX_EXIT_SETUP);
    /* Default dispositions (exec kept those the caller ignored), once for all job processes;
     * the image itself ignores SIGPIPE. */
    {
        int sig;
        for (sig = 1; sig < NSIG; sig++)
            if (sig != SIGKILL && sig != SIGSTOP)
                (void)signal(sig, SIG_DFL);
    }
    (void)signal(SIGPIPE, SIG_IGN);
    if (init != NULL)
        init();
    W.base = vm_size();
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (sbx_job_filter_compile(&W.prog) != 0 || sbx_image_limits() != 0 ||
        sigprocmask(SIG_BLOCK, &chld, NULL) != 0 ||
        (sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 || sbx_image_filter() != 0)
        sbx_exit(SBX_EXIT_SETUP);
    if (send(SBX_FD_CONTROL, &ready, sizeof(ready), MSG_NOSIGNAL) != (ssize_t)sizeof(ready))
        sbx_exit(0);
    for (;;) {
        struct pollfd pf[2] = {{SBX_FD_CONTROL, POLLIN, 0}, {sfd, POLLIN, 0}};
        int r = poll(pf, 2, deadlines());
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0 && (pf[1].revents & POLLIN)) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                ;
        }
        reap();
        if (r > 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) && take_request() < 0)
            break;
    }
    /* The caller is gone: so are its jobs. */
    {
        size_t i;
        for (i = 0; i < W.n_kids; i++)
            kill(W.kids[i].pid, SIGKILL);
    }
    sbx_exit(0);
}
