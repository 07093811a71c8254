/*
 * sbx_int.h - internals of the sandbox: the wire formats between the
 * caller, the worker image and the job processes, and the confinement
 * steps (policy.c).
 *
 * Three channels per job, so that no process can speak for another:
 *  - control (caller -> image): an AF_UNIX SOCK_SEQPACKET pair made when
 *    the image is started. One message per job: sbx_spawn, with the job
 *    process's two sockets (and the input) as SCM_RIGHTS. The image writes
 *    on it once, SBX_READY, after it confined itself.
 *  - status (image -> caller): a SEQPACKET pair per job; the job process
 *    never holds it. sbx_status messages: STARTED (pid), ENDED (wait
 *    status, timed out) or REFUSED (errno).
 *  - job (caller <-> job process): a SOCK_STREAM pair per job carrying
 *    frames: an 8-byte header (type, payload length, little-endian) and the
 *    payload.
 */
#ifndef SERTEL_SANDBOX_SBX_INT_H
#define SERTEL_SANDBOX_SBX_INT_H

#include <linux/filter.h>
#include <stdint.h>

#include "sandbox/sandbox.h"

/* fds of the worker image and of a job process. */
#define SBX_FD_CONTROL 3 /* image: the control socket */
#define SBX_FD_JOB 3     /* job process: its job socket */
#define SBX_FD_INPUT 4   /* job process: the input (when there is one) */

/* Exit status of a worker that could not confine itself. */
#define SBX_EXIT_SETUP 121
/* Exit status when exec of the worker failed. */
#define SBX_EXIT_EXEC 127

/* argv[2] of the image when the caller runs few jobs (sbx_config.few_jobs). */
#define SBX_FEW_JOBS_ARG "--few-jobs"

#define SBX_MAGIC 0x53425831u /* "SBX1" */
#define SBX_READY 0x52454459u /* "REDY" */

#define SBX_IMAGE_MAX_JOBS 256 /* job processes one image runs at once */

/* Control message: start a job process. */
typedef struct sbx_spawn {
    uint32_t magic;
    uint32_t timeout_ms;
    uint32_t cpu_seconds;
    uint32_t has_input; /* 1: a third fd, the input */
    uint64_t mem_max;
    uint64_t input_len;
} sbx_spawn;

enum { SBX_ST_STARTED = 1, SBX_ST_ENDED = 2, SBX_ST_REFUSED = 3 };

/* Status message from the image about one job process. */
typedef struct sbx_status {
    uint32_t type;
    int32_t pid;
    int32_t status; /* ENDED: wait status; REFUSED: errno */
    uint32_t timed_out;
} sbx_status;

/* Frame types on the job socket. */
enum {
    SBX_F_JOB = 'J',    /* caller -> job: u8 name length, name, params */
    SBX_F_OUTPUT = 'O', /* job -> caller: the output */
    SBX_F_ERROR = 'E',  /* either way: i32 code, message */
    SBX_F_CALL = 'C',   /* job -> caller: u8 name length, name, request */
    SBX_F_ANSWER = 'A', /* caller -> job: the service's answer */
};

#define SBX_FRAME_HDR 8

/* 1 when name is 1-SBX_NAME_MAX characters of [a-z0-9._-]. */
int sbx_name_ok(const char *name, size_t len);

/* Write the 8-byte frame header for type and len into h. */
void sbx_frame_hdr(unsigned char h[SBX_FRAME_HDR], unsigned type, uint32_t len);
/* Parse a frame header. */
void sbx_frame_parse(const unsigned char h[SBX_FRAME_HDR], unsigned *type, uint32_t *len);

/* Blocking I/O of exactly n bytes on fd (EINTR retried); 0 or -1. */
int sbx_write_all(int fd, const void *p, size_t n);
int sbx_read_all(int fd, void *p, size_t n);

/*
 * Copy an untrusted message into out (cap bytes with the NUL): at most
 * SBX_MSG_MAX bytes, control characters and invalid UTF-8 replaced by '?'.
 */
void sbx_sanitize(const unsigned char *in, size_t n, char *out, size_t cap);

/* --- clean-parent mode (worker.c) --- */

/* What a clean-parent job process is told when it is forked (sbx_new). */
typedef struct sbx_clean_args {
    const sbx_handler *handlers;
    size_t n_handlers;
    void (*init)(void);
    void (*prepare)(const char *type, const sbx_request *req);
    int sock;    /* its end of the job socket */
    int devnull; /* for fds 0-2 */
    int keep_stderr;
    pid_t parent;
    const char *user; /* when running as root */
} sbx_clean_args;

/*
 * The forked child of a clean-parent sandbox: places its fds, drops
 * privileges, initialises, waits for its one job (the spawn message on the
 * job socket, then the job frame), runs the prepare hook, confines itself
 * exactly as an image's job process (sbx_job_confine) and runs the job.
 */
void sbx_clean_child(const sbx_clean_args *a) __attribute__((noreturn));

/* --- confinement (policy.c) --- */

/* rlimits of the worker image: no core dumps, no file writes, fds for its jobs. */
int sbx_image_limits(void);
/* Load the image's seccomp filter (a superset of the job filter: fork, wait, kill, sockets' fds).
 */
int sbx_image_filter(void);
/*
 * Compile the job filter once into prog (freed with sbx_filter_free), so
 * that each job process only loads it (libseccomp's compiler costs ~0.5 ms).
 */
int sbx_job_filter_compile(struct sock_fprog *prog);
void sbx_filter_free(struct sock_fprog *prog);
/*
 * In a new job process: rlimits for the job (mem_max bytes on top of the
 * address space base, input_len for the mapped input, cpu seconds), then
 * the precompiled filter and a filter that lets tgkill reach only this
 * process. 0 or -1 (errno set).
 */
int sbx_job_confine(const struct sock_fprog *prog, uint64_t base, uint64_t mem_max,
                    uint64_t input_len, unsigned cpu_seconds);

#endif
