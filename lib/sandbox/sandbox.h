/*
 * sandbox.h - untrusted input is parsed in a separate, confined process
 * that holds no keys (privilege separation, as OpenSSH's pre-auth child
 * and Chromium's zygote do it; docs/architecture.md "Privilege
 * separation").
 *
 * A job is a type name, input bytes (a buffer, or a regular file read in
 * place) and small parameters; its answer is output bytes or an error
 * (a sertel_rc and a message). The module knows nothing about what a job
 * does: the worker executable registers handlers by name
 * (sbx_worker_main), the caller names the job (sbx_run).
 *
 * Processes, from the caller's side:
 *
 *   caller (holds keys)  --fork+exec-->  worker image ("zygote")
 *                                          |  fork per job
 *                                          v
 *                                       job process: one job, then _exit
 *
 * The worker image is a fresh exec (execveat of the configured
 * executable, by default the running binary via /proc/self/exe, with
 * SBX_WORKER_ARG as argv[1]): nothing of the caller's memory (keys, the
 * server secret, the database handle) exists in it. Before exec: every fd
 * but the control socket is closed (0-2 are /dev/null unless keep_stderr),
 * the environment is empty, the directory is /, umask 077, PR_SET_NO_NEW_PRIVS,
 * and when the caller runs as root, setgroups(0), gid and uid of an
 * unprivileged user (default nobody). The image then initialises the
 * libraries (handlers' init: what they would open lazily), sets its own
 * rlimits (no core, no file writes) and a seccomp filter, and forks one
 * process per job, which before reading the job
 *   - keeps only fd 2 (/dev/null or stderr), fd 3 (its job socket) and
 *     fd 4 (the input, mapped read-only),
 *   - dies with its parent (PR_SET_PDEATHSIG),
 *   - sets RLIMIT_AS (its address space so far plus the job's memory cap
 *     plus the input), RLIMIT_CPU, RLIMIT_FSIZE 0, RLIMIT_NOFILE 8,
 *     RLIMIT_NPROC 0, RLIMIT_CORE 0,
 *   - installs a seccomp filter whose default is to kill the process:
 *     read/write on fds 0-4, memory management without PROT_EXEC, futex,
 *     clocks, getrandom, exit, signals to itself; no open, no socket, no
 *     exec, no fork, no ptrace, no stat of paths (policy.c has the list and
 *     the reasons).
 * A job process serves one job and exits, so a document that took over
 * one cannot see or alter the next one. The image enforces each job's
 * wall-clock timeout (SIGKILL) and reports how each job process ended on a
 * channel the job process cannot write to.
 *
 * Two ways to make job processes (sbx_config.mode), and when each may be
 * used:
 *
 *  - SBX_MODE_EXEC (the default), as above: the job processes are forked
 *    from a freshly exec'd image. Nothing of the caller's memory reaches
 *    them, whatever the caller holds. The only mode for a process that
 *    holds keys or secrets, or will: `sertel serve`, `sertel sign`, the
 *    registration authority (ra_set_sandbox), anything after ca_open or
 *    ra_open.
 *
 *  - SBX_MODE_CLEAN_PARENT: the job processes (cfg.jobs of them, one per
 *    job the sandbox will run) are forked from the caller itself by
 *    sbx_new, and each confines itself exactly as an image's job process
 *    does: fds 0-2 /dev/null (or stderr), the job socket and the input
 *    only, empty environment, chdir /, umask 077, the uid and gid of an
 *    unprivileged user when running as root (setgroups(0)),
 *    PR_SET_NO_NEW_PRIVS, not dumpable, PR_SET_PDEATHSIG, the same
 *    rlimits and the same seccomp filter (sbx_job_confine). No exec and no
 *    image to initialise: for a command that runs a job or two (`sertel
 *    verify`) this is most of the sandbox's cost. A job process is a copy
 *    of the caller as it was at sbx_new, so this mode is for a process
 *    that has loaded no key and no secret yet - the CLI, first thing in a
 *    command, before it opens a home or reads a password file - and has
 *    one thread. sbx_new enforces it: it refuses (SERTEL_ERR_INTERNAL)
 *    once util's secret_held() is set (by ca_open, ra_open, the keystore,
 *    secret_read_file, secret_dup) or when the process has more than one
 *    thread. What the caller loads after sbx_new never reaches the job
 *    processes. Here the job process reads its job (bytes, not parsed)
 *    before it confines itself, so the prepare hook can load what that
 *    input needs and the init left to first use (the legacy provider for
 *    an RC4-encrypted PDF), instead of every job paying for it.
 *
 * A job that needs something from outside (e.g. an OCSP response fetched
 * over HTTP) asks its caller: sbx_worker_call in the job, the caller's
 * sbx_service_fn answers; the job process itself never gets a network
 * socket or a file.
 *
 * Everything a worker sends is hostile: frames are length-checked against
 * caps, error codes and messages are sanitised, and a worker that crashes
 * (SIGSEGV), is killed by the filter (SIGSYS), exceeds a limit, times out or
 * sends a malformed reply makes sbx_run fail with a message, never the
 * caller. SIGPIPE is never raised in the caller (MSG_NOSIGNAL).
 *
 * Thread safety: one sbx may be used by several threads at once (each
 * sbx_run is independent; the worker image is started and restarted under
 * a mutex). sbx_worker_* functions are for the worker process only.
 */
#ifndef SERTEL_SANDBOX_SANDBOX_H
#define SERTEL_SANDBOX_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

/* argv[1] of the worker image: main() hands over to sbx_worker_main when it sees it. */
#define SBX_WORKER_ARG "--sandbox-worker"

#define SBX_NAME_MAX 32                   /* job type and service names: [a-z0-9._-], 1-32 chars */
#define SBX_PARAMS_MAX (8u << 20)         /* parameters of one job */
#define SBX_CALL_MAX ((1u << 20) + 4096u) /* one service request or answer */
#define SBX_MSG_MAX 512                   /* an error message from a worker, after sanitising */

#define SBX_DEFAULT_MEM ((size_t)512 << 20)
#define SBX_DEFAULT_TIMEOUT_MS 30000u
#define SBX_DEFAULT_OUTPUT_MAX ((size_t)64 << 20)
#define SBX_DEFAULT_MAX_JOBS 32u
#define SBX_DEFAULT_MAX_CALLS 32u

typedef struct sbx sbx;

/* How job processes are made (see above). */
typedef enum sbx_mode {
    SBX_MODE_EXEC = 0,     /* forked from an exec'd worker image: any process */
    SBX_MODE_CLEAN_PARENT, /* forked from the caller at sbx_new: before any secret only */
} sbx_mode;

typedef struct sbx_handler sbx_handler;
typedef struct sbx_request sbx_request;

/* How a sandbox is set up; zero values take the defaults. */
typedef struct sbx_config {
    const char *worker_path; /* the worker executable; NULL: the running binary (/proc/self/exe) */
    const char *user;        /* when running as root: whom the worker runs as; NULL: "nobody" */
    size_t mem_max;          /* per job, bytes on top of the image (RLIMIT_AS); SBX_DEFAULT_MEM */
    unsigned timeout_ms;     /* per job, wall clock; SBX_DEFAULT_TIMEOUT_MS */
    size_t output_max;       /* largest output of a job; SBX_DEFAULT_OUTPUT_MAX */
    unsigned max_jobs;       /* jobs at once (more: SERTEL_ERR_BUSY); SBX_DEFAULT_MAX_JOBS */
    int keep_stderr;         /* 1: workers write diagnostics to our stderr (else /dev/null) */
    int few_jobs;            /* 1: a job or two (a command line): the image skips warm-ups */
    sbx_mode mode;           /* SBX_MODE_EXEC */
    /* SBX_MODE_CLEAN_PARENT only (worker_path and few_jobs are not used): */
    const sbx_handler *handlers; /* the jobs, as for sbx_worker_main (borrowed: static) */
    size_t n_handlers;
    void (*init)(void); /* run in each job process before it takes its job; may be NULL */
    /* run in a job process with its job, before it confines itself; may be NULL */
    void (*prepare)(const char *type, const sbx_request *req);
    unsigned jobs; /* job processes forked by sbx_new: the most jobs the sandbox runs; 0: 1 */
} sbx_config;

/*
 * A service the caller offers to one job (sbx_job.service): name is what
 * the job asked for, req its request. On success *resp (malloc'ed, the
 * sandbox frees it) is sent back; on failure err's code and message are.
 * Runs in the thread that called sbx_run, while the job waits; the job's
 * timeout keeps running.
 */
typedef int (*sbx_service_fn)(void *arg, const char *name, const unsigned char *req, size_t req_len,
                              unsigned char **resp, size_t *resp_len, sertel_err *err);

/* One job. Start from SBX_JOB_INIT (input_fd -1). */
typedef struct sbx_job {
    const char *type; /* the handler's name */
    const char *what; /* how messages name the input, e.g. "the document"; NULL: "the input" */
    const unsigned char *input; /* the input bytes (borrowed), or NULL */
    size_t input_len;
    int input_fd;     /* or: a regular file (borrowed) read in place, its whole size; -1: none */
    size_t input_max; /* largest input accepted; 0: no limit beyond mem_max */
    const unsigned char *params; /* small parameters (borrowed), at most SBX_PARAMS_MAX */
    size_t params_len;
    unsigned timeout_ms;    /* 0: the sandbox's */
    size_t mem_max;         /* 0: the sandbox's */
    size_t output_max;      /* 0: the sandbox's; more than the sandbox's is lowered to it */
    sbx_service_fn service; /* NULL: the job may not ask for anything */
    void *service_arg;
    unsigned max_calls; /* service requests allowed; 0: SBX_DEFAULT_MAX_CALLS */
} sbx_job;

#define SBX_JOB_INIT                                                                               \
    {                                                                                              \
        .input_fd = -1                                                                             \
    }

/* How a job ended (sbx_run's *end). */
typedef enum sbx_end {
    SBX_END_OK = 0,    /* output delivered */
    SBX_END_JOB_ERROR, /* the job answered an error (its code and message are returned) */
    SBX_END_CRASH,     /* the job process died of a signal or exited without an answer */
    SBX_END_SECCOMP,   /* the job process made a forbidden system call (SIGSYS) */
    SBX_END_TIMEOUT,   /* the wall-clock timeout killed it */
    SBX_END_LIMIT,     /* it exceeded its memory or CPU limit */
    SBX_END_PROTOCOL,  /* it sent something malformed or too large */
    SBX_END_START,     /* the job could not be started (no worker, too many jobs, bad job) */
} sbx_end;

/* "ok", "job-error", "crash", "seccomp", "timeout", "limit", "protocol", "start". */
const char *sbx_end_name(sbx_end e);

/*
 * A sandbox with configuration cfg (NULL: all defaults). SBX_MODE_EXEC:
 * resolves the worker executable (opened now, so a later rename of the
 * path does not matter) and, when running as root, the user; the worker
 * image itself is started by the first job. SBX_MODE_CLEAN_PARENT: forks
 * the cfg->jobs job processes now (they initialise while the caller goes
 * on); SERTEL_ERR_INTERNAL when this process already holds a secret
 * (secret_held) or has several threads, or without handlers - a bug in
 * the caller, which must make the sandbox earlier or use SBX_MODE_EXEC.
 * Errors: SERTEL_ERR_CONFIG (no such user, the worker cannot be opened or
 * is not executable), SERTEL_ERR_IO / SERTEL_ERR_BUSY (no process could be
 * forked), SERTEL_ERR_NOMEM. *out is freed with sbx_free.
 */
int sbx_new(const sbx_config *cfg, sbx **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(2);

/*
 * Stop the worker image (and any job process; a clean-parent sandbox's
 * unused ones) and free sb. NULL-safe. No job may be running.
 */
void sbx_free(sbx *sb);

/*
 * Run one job in a fresh confined process. On success *out (malloc'ed,
 * caller frees; NULL when the output is empty) and *out_len hold the
 * job's output. end (may be NULL) receives how the job ended.
 *
 * Returns SERTEL_OK; the job's own error (its code, its message
 * sanitised); SERTEL_ERR_INVALID when the input made the job process
 * crash, trip the filter, exceed a limit, time out or answer garbage, with
 * a message like "the document could not be checked: the checking process
 * crashed (SIGSEGV)"; SERTEL_ERR_BUSY (too many jobs at once, try again);
 * SERTEL_ERR_IO / SERTEL_ERR_CONFIG (the worker could not be started);
 * SERTEL_ERR_INTERNAL (a malformed sbx_job; a clean-parent sandbox asked
 * for more jobs than it forked processes for).
 */
int sbx_run(sbx *sb, const sbx_job *job, unsigned char **out, size_t *out_len, sbx_end *end,
            sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/*
 * The worker image's pid, or -1 when it is not running (always -1 in
 * clean-parent mode). For tests and monitoring.
 */
pid_t sbx_worker_image_pid(sbx *sb) SERTEL_NONNULL(1);

/* --- the worker side --- */

/* What a handler gets: the input (mapped read-only) and the parameters. */
struct sbx_request {
    const unsigned char *input;
    size_t input_len;
    const unsigned char *params;
    size_t params_len;
};

/*
 * A job handler. On success *out (malloc'ed; the worker frees it) and
 * *out_len are the output; on failure the returned code and err's message
 * go back to the caller.
 */
typedef int (*sbx_job_fn)(const sbx_request *req, unsigned char **out, size_t *out_len,
                          sertel_err *err);

struct sbx_handler {
    const char *type;
    sbx_job_fn run;
};

/*
 * The worker image's main: call it from main() when argv[1] is
 * SBX_WORKER_ARG and return what it returns. init (may be NULL) runs once,
 * before the seccomp filter: load what the handlers' libraries would
 * otherwise open lazily (configuration files, time zone, random seeds).
 * Never returns while jobs are being served; returns 2 with a message on
 * stderr when the process was not started by sbx_run (no control socket)
 * or runs as root.
 */
int sbx_worker_main(int argc, char **argv, const sbx_handler *handlers, size_t n_handlers,
                    void (*init)(void));

/*
 * In the image's init: 1 when warming up (running code paths once so that
 * every job process inherits their first-use work) is worth its cost, 0
 * when the caller said it runs few jobs (sbx_config.few_jobs).
 */
int sbx_worker_warm(void);

/*
 * From inside a job handler: ask the caller's service name for req.
 * *resp (malloc'ed, the handler frees it; may be NULL when empty).
 * Returns SERTEL_OK, the service's error (code and message), or
 * SERTEL_ERR_IO when the caller is gone. Only in a job process.
 */
int sbx_worker_call(const char *name, const unsigned char *req, size_t req_len,
                    unsigned char **resp, size_t *resp_len, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 4, 5);

/* 1 in a job process (where sbx_worker_call works), else 0. */
int sbx_in_worker(void);

/*
 * 1 in a clean-parent job process (and so in its init and prepare hook):
 * the init runs for this one job, so it should load only what every job
 * needs and leave the rest to the prepare hook, which sees the input.
 * 0 in an exec'd image, whose init serves every job to come.
 */
int sbx_worker_clean(void);

/* --- bounded encoding of parameters and outputs --- */

/*
 * A growing byte buffer for job parameters and outputs: little-endian
 * integers and length-prefixed byte strings. A failed allocation makes the
 * buffer "failed" (sbx_buf_ok returns 0) and later puts do nothing.
 * secret: the buffer holds a secret; every reallocation and the final free
 * wipe it.
 */
typedef struct sbx_buf {
    unsigned char *p;
    size_t len, cap;
    int failed;
    int secret;
} sbx_buf;

void sbx_put_u32(sbx_buf *b, uint32_t v) SERTEL_NONNULL(1);
void sbx_put_u64(sbx_buf *b, uint64_t v) SERTEL_NONNULL(1);
/* A u32 length, then the bytes (p may be NULL when n is 0). */
void sbx_put_bytes(sbx_buf *b, const void *p, size_t n) SERTEL_NONNULL(1);
/* A string as bytes (NULL is written as the empty string). */
void sbx_put_str(sbx_buf *b, const char *s) SERTEL_NONNULL(1);
int sbx_buf_ok(const sbx_buf *b) SERTEL_NONNULL(1);
/* Free (wiping when secret) and empty. NULL-safe. */
void sbx_buf_free(sbx_buf *b);
/* Hand the bytes to the caller (malloc'ed; NULL when empty) and empty b. */
unsigned char *sbx_buf_take(sbx_buf *b, size_t *len) SERTEL_NONNULL(1, 2);

/* Reading what sbx_put_* wrote: any overrun makes the reader "failed" and yields zeros. */
typedef struct sbx_rd {
    const unsigned char *p;
    size_t len, off;
    int failed;
} sbx_rd;

void sbx_rd_init(sbx_rd *r, const unsigned char *p, size_t len) SERTEL_NONNULL(1);
uint32_t sbx_get_u32(sbx_rd *r) SERTEL_NONNULL(1);
uint64_t sbx_get_u64(sbx_rd *r) SERTEL_NONNULL(1);
/* Borrow the next length-prefixed bytes (at most max; more fails the reader). */
const unsigned char *sbx_get_bytes(sbx_rd *r, size_t max, size_t *n) SERTEL_NONNULL(1, 3);
/* The next string copied into out (cap bytes with the NUL); a longer one or a NUL in it fails. */
void sbx_get_str(sbx_rd *r, char *out, size_t cap) SERTEL_NONNULL(1, 2);
/* 1 when nothing failed and everything was read. */
int sbx_rd_done(const sbx_rd *r) SERTEL_NONNULL(1);

#endif
