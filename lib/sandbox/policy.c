/*
 * policy.c - what the worker image and its job processes may do: rlimits
 * (setrlimit(2)) and seccomp-BPF filters (Linux
 * Documentation/userspace-api/seccomp_filter.rst) built with libseccomp.
 *
 * The default action of both filters is SECCOMP_RET_KILL_PROCESS, not
 * EPERM: a parsing job has no reason to make any other call, so one means
 * a bug or a takeover. Killing stops a takeover from probing the filter
 * and carrying on, makes the event visible to the caller (the job ends
 * with SIGSYS, reported as such), and cannot send a library down an
 * untested error path that pretends to work. Every call a job may make is
 * listed below with why it is needed; none of them names a path, creates a
 * file descriptor, or reaches another process.
 *
 * The job filter is compiled once per worker image (seccomp_export_bpf)
 * and loaded by each job process with prctl(PR_SET_SECCOMP): compiling it
 * costs ~0.5 ms, loading it microseconds. A small hand-written filter
 * loaded before it lets tgkill reach only the job process itself (so
 * abort() reports SIGABRT instead of SIGSYS), which a precompiled filter
 * cannot know.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/sbx_int.h"

#if defined(__SANITIZE_ADDRESS__)
#define SBX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SBX_ASAN 1
#endif
#endif

/* Calls allowed without conditions in a job (and so in the image). */
static const int job_calls[] = {
    SCMP_SYS(close),           /* dropping the input's fd */
    SCMP_SYS(munmap),          /* memory management (malloc, mapped input) */
    SCMP_SYS(mremap),          /* realloc of large blocks */
    SCMP_SYS(brk),             /* malloc's heap */
    SCMP_SYS(madvise),         /* malloc returning memory */
    SCMP_SYS(futex),           /* libc and OpenSSL locks */
    SCMP_SYS(getrandom),       /* OpenSSL's DRBG, hash-table seeds */
    SCMP_SYS(sysinfo),         /* glibc's qsort sizes its buffer by the physical memory */
    SCMP_SYS(clock_gettime),   /* "now" for validation (vDSO fallback) */
    SCMP_SYS(clock_getres),    /* ... */
    SCMP_SYS(gettimeofday),    /* ... */
    SCMP_SYS(time),            /* ... */
    SCMP_SYS(getpid),          /* OpenSSL's fork detection; abort() */
    SCMP_SYS(gettid),          /* abort() */
    SCMP_SYS(tgkill),          /* abort() -> SIGABRT; limited to itself by the pid filter */
    SCMP_SYS(rt_sigprocmask),  /* abort() */
    SCMP_SYS(rt_sigreturn),    /* returning from a signal */
    SCMP_SYS(restart_syscall), /* after a stop */
    SCMP_SYS(exit),            /* ending */
    SCMP_SYS(exit_group),      /* ... */
};

/* Calls the job's fds are used with: only fds 0-4 (a job has no others and cannot make any). */
static const int job_fd_calls[] = {
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
};

/* What the image needs on top: taking job requests, forking, reaping, killing, confining. */
static const int image_calls[] = {
    SCMP_SYS(read),            /* the signalfd, the control socket */
    SCMP_SYS(write),           /* status messages */
    SCMP_SYS(readv),           /* ... */
    SCMP_SYS(writev),          /* ... */
    SCMP_SYS(recvmsg),         /* job requests with their fds (SCM_RIGHTS) */
    SCMP_SYS(sendmsg),         /* status messages */
    SCMP_SYS(sendto),          /* ... send() */
    SCMP_SYS(ppoll),           /* waiting for requests, children, deadlines */
    SCMP_SYS(poll),            /* ... */
    SCMP_SYS(wait4),           /* reaping job processes */
    SCMP_SYS(kill),            /* timeouts: SIGKILL to a job process */
    SCMP_SYS(getppid),         /* a new job process checks its parent */
    SCMP_SYS(prctl),           /* PR_SET_PDEATHSIG, PR_SET_SECCOMP in a new job process */
    SCMP_SYS(seccomp),         /* ... */
    SCMP_SYS(setrlimit),       /* a new job process's limits */
    SCMP_SYS(prlimit64),       /* ... */
    SCMP_SYS(getrlimit),       /* ... */
    SCMP_SYS(dup2),            /* placing a job's fds at 3 and 4 */
    SCMP_SYS(dup3),            /* ... */
    SCMP_SYS(fcntl),           /* ... */
    SCMP_SYS(close_range),     /* closing the rest */
    SCMP_SYS(rt_sigaction),    /* a new job process resets signal dispositions */
    SCMP_SYS(set_robust_list), /* glibc's fork */
};

static int add_job_rules(scmp_filter_ctx c)
{
    size_t i;

    for (i = 0; i < sizeof(job_calls) / sizeof(job_calls[0]); i++)
        if (seccomp_rule_add(c, SCMP_ACT_ALLOW, job_calls[i], 0) != 0)
            return -1;
#ifdef SBX_ASAN
    /* AddressSanitizer asks for the signal stack (never sets one) before every noreturn call. */
    if (seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(sigaltstack), 1, SCMP_A0(SCMP_CMP_EQ, 0)) != 0)
        return -1;
#endif
    /* Memory may be mapped and protected, never executable: no injected code runs. */
    if (seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                         SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) != 0 ||
        seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                         SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) != 0)
        return -1;
    return 0;
}

static scmp_filter_ctx new_ctx(void)
{
    scmp_filter_ctx c = seccomp_init(SCMP_ACT_KILL_PROCESS);

    if (c == NULL)
        return NULL;
    if (seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0) {
        seccomp_release(c);
        return NULL;
    }
    return c;
}

int sbx_job_filter_compile(struct sock_fprog *prog)
{
    scmp_filter_ctx c = new_ctx();
    int pfd[2] = {-1, -1}, rc = -1;
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    size_t i;

    memset(prog, 0, sizeof(*prog));
    if (c == NULL || add_job_rules(c) != 0)
        goto out;
    for (i = 0; i < sizeof(job_fd_calls) / sizeof(job_fd_calls[0]); i++)
        if (seccomp_rule_add(c, SCMP_ACT_ALLOW, job_fd_calls[i], 1, SCMP_A0(SCMP_CMP_LE, 4)) != 0)
            goto out;
    if (pipe2(pfd, O_CLOEXEC) != 0 || seccomp_export_bpf(c, pfd[1]) != 0)
        goto out;
    close(pfd[1]);
    pfd[1] = -1;
    for (;;) {
        ssize_t n;
        if (len == cap) {
            unsigned char *nb;
            if (cap >= (1u << 20))
                goto out;
            cap = cap ? cap * 2 : 4096;
            nb = realloc(buf, cap);
            if (nb == NULL)
                goto out;
            buf = nb;
        }
        n = read(pfd[0], buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto out;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len == 0 || len % sizeof(struct sock_filter) != 0 ||
        len / sizeof(struct sock_filter) > BPF_MAXINSNS)
        goto out;
    prog->filter = (struct sock_filter *)(void *)buf;
    prog->len = (unsigned short)(len / sizeof(struct sock_filter));
    buf = NULL;
    rc = 0;
out:
    free(buf);
    if (pfd[0] >= 0)
        close(pfd[0]);
    if (pfd[1] >= 0)
        close(pfd[1]);
    seccomp_release(c);
    return rc;
}

void sbx_filter_free(struct sock_fprog *prog)
{
    free(prog->filter);
    prog->filter = NULL;
    prog->len = 0;
}

int sbx_image_filter(void)
{
    scmp_filter_ctx c = new_ctx();
    /* fork() as glibc makes it; no namespaces, no threads sharing memory. */
    const uint64_t fork_flags = CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CSIGNAL;
    size_t i;
    int rc = -1;

    if (c == NULL || add_job_rules(c) != 0)
        goto out;
    for (i = 0; i < sizeof(image_calls) / sizeof(image_calls[0]); i++)
        if (seccomp_rule_add(c, SCMP_ACT_ALLOW, image_calls[i], 0) != 0)
            goto out;
    if (seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, ~fork_flags, 0)) != 0)
        goto out;
    /* A newer libc may try clone3 for fork: make it fall back to clone. */
    if (seccomp_rule_add(c, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) != 0)
        goto out;
    rc = seccomp_load(c) == 0 ? 0 : -1;
out:
    seccomp_release(c);
    return rc;
}

static int limit(int what, rlim_t v)
{
    struct rlimit r = {v, v};

    return setrlimit(what, &r);
}

int sbx_image_limits(void)
{
    if (limit(RLIMIT_CORE, 0) != 0 || limit(RLIMIT_FSIZE, 0) != 0 ||
        limit(RLIMIT_NOFILE, SBX_IMAGE_MAX_JOBS + 16) != 0)
        return -1;
    return 0;
}

/*
 * Kill the process when tgkill names another process than pid. No
 * architecture check: this filter can only take away (the job filter
 * already kills calls of a foreign architecture).
 */
static int load_tgkill_filter(pid_t pid)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_tgkill, 0, 3),
        /* the tgid argument is a pid_t: the kernel reads its low 32 bits (little-endian) */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)pid, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog p = {(unsigned short)(sizeof(f) / sizeof(f[0])), f};

    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p, 0, 0);
}

int sbx_job_confine(const struct sock_fprog *prog, uint64_t base, uint64_t mem_max,
                    uint64_t input_len, unsigned cpu_seconds)
{
    if (limit(RLIMIT_CORE, 0) != 0 || limit(RLIMIT_FSIZE, 0) != 0 || limit(RLIMIT_NOFILE, 8) != 0 ||
        limit(RLIMIT_NPROC, 0) != 0 || limit(RLIMIT_CPU, cpu_seconds > 0 ? cpu_seconds : 1) != 0)
        return -1;
#ifndef SBX_ASAN
    /* ASan reserves terabytes of shadow memory: an address-space cap cannot apply to it. */
    {
        uint64_t slack = (uint64_t)64 << 20, as = base + mem_max + input_len + slack;
        if (as < base || limit(RLIMIT_AS, (rlim_t)as) != 0)
            return -1;
    }
#else
    (void)base;
    (void)mem_max;
    (void)input_len;
#endif
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    /* The pid filter first: the job filter does not allow loading another one. */
    if (load_tgkill_filter(getpid()) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog, 0, 0);
}
