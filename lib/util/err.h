/*
 * err.h - the one error convention of the sertel library.
 *
 * Every function that can fail returns an int: SERTEL_OK (0) on success or
 * one of the negative sertel_rc codes below. Detail for the user goes into a
 * caller-supplied sertel_err, never into a global. Messages say what went
 * wrong and what to do about it. The enum is only ever appended to (as
 * curl's CURLcode), so codes stay stable for the API and for logs.
 *
 * Thread safety: a sertel_err belongs to one caller; the functions here keep
 * no state of their own.
 */
#ifndef SERTEL_UTIL_ERR_H
#define SERTEL_UTIL_ERR_H

#include <stddef.h>

#define SERTEL_WUR __attribute__((warn_unused_result))
#define SERTEL_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#define SERTEL_PRINTF(f, a) __attribute__((format(printf, f, a)))

typedef enum sertel_rc {
    SERTEL_OK = 0,
    SERTEL_ERR_NOMEM = -1,        /* allocation failed */
    SERTEL_ERR_INVALID = -2,      /* input (file, option, request) is malformed */
    SERTEL_ERR_IO = -3,           /* file system or device error */
    SERTEL_ERR_CRYPTO = -4,       /* a cryptographic operation failed */
    SERTEL_ERR_STORE = -5,        /* the database failed */
    SERTEL_ERR_NOTFOUND = -6,     /* the named thing does not exist */
    SERTEL_ERR_EXISTS = -7,       /* the thing already exists (unique constraint) */
    SERTEL_ERR_LINT = -8,         /* a certificate failed a lint rule */
    SERTEL_ERR_TAMPERED = -9,     /* integrity check failed (audit log, signature) */
    SERTEL_ERR_DENIED = -10,      /* the actor may not do this */
    SERTEL_ERR_UNSUPPORTED = -11, /* valid but not supported (key type, format) */
    SERTEL_ERR_BUSY = -12,        /* resource locked, try again */
    SERTEL_ERR_INTERNAL = -13,    /* a bug in sertel: report it */
    SERTEL_ERR_TOKEN = -14,       /* PKCS#11 token or module error */
    SERTEL_ERR_CONFIG = -15,      /* configuration file or value is wrong */
    SERTEL_ERR_STATE = -16,       /* operation not allowed in the current state */
} sertel_rc;

#define SERTEL_ERR_MSG_MAX 1024

/* Error detail filled by a failing call. Zero-initialise before use. */
typedef struct sertel_err {
    int code;                     /* a sertel_rc */
    char msg[SERTEL_ERR_MSG_MAX]; /* human-readable, NUL-terminated */
} sertel_err;

/*
 * Record an error. err may be NULL (the detail is then dropped). Returns
 * code, so a caller can write `return sertel_err_set(err, ...)`.
 * Messages must never contain secrets.
 */
int sertel_err_set(sertel_err *err, int code, const char *fmt, ...) SERTEL_PRINTF(3, 4);

/*
 * As sertel_err_set, then appends ": " and the most recent OpenSSL error
 * reason (if any) and clears OpenSSL's thread-local error queue.
 */
int sertel_err_openssl(sertel_err *err, int code, const char *fmt, ...) SERTEL_PRINTF(3, 4);

/* Prefix an existing message with context ("loading CA: <old message>"). */
void sertel_err_prefix(sertel_err *err, const char *fmt, ...) SERTEL_PRINTF(2, 3);

/* Reset err to "no error". NULL-safe. */
void sertel_err_clear(sertel_err *err);

/* Stable short name of a code ("invalid", "io", ...), for logs and JSON. */
const char *sertel_rc_name(int code);

#endif
