/*
 * err.c - error recording for the sertel library (see err.h).
 */
#include "util/err.h"

#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vset(sertel_err *err, int code, const char *fmt, va_list ap)
{
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int sertel_err_set(sertel_err *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    va_start(ap, fmt);
    vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int sertel_err_openssl(sertel_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    unsigned long e;
    char reason[256];
    size_t n;

    e = ERR_peek_last_error();
    if (err != NULL) {
        va_start(ap, fmt);
        vset(err, code, fmt, ap);
        va_end(ap);
        if (e != 0) {
            ERR_error_string_n(e, reason, sizeof(reason));
            n = strlen(err->msg);
            if (n + 3 < sizeof(err->msg))
                snprintf(err->msg + n, sizeof(err->msg) - n, " (%s)", reason);
        }
    }
    ERR_clear_error();
    return code;
}

void sertel_err_prefix(sertel_err *err, const char *fmt, ...)
{
    char pre[SERTEL_ERR_MSG_MAX];
    char old[SERTEL_ERR_MSG_MAX];
    size_t n, m;
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof(pre), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    n = strlen(pre);
    if (n > sizeof(err->msg) - 3)
        n = sizeof(err->msg) - 3;
    memcpy(err->msg, pre, n);
    memcpy(err->msg + n, ": ", 2);
    m = strlen(old);
    if (m > sizeof(err->msg) - n - 3)
        m = sizeof(err->msg) - n - 3;
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = '\0';
}

void sertel_err_clear(sertel_err *err)
{
    if (err == NULL)
        return;
    err->code = SERTEL_OK;
    err->msg[0] = '\0';
}

const char *sertel_rc_name(int code)
{
    switch (code) {
    case SERTEL_OK:
        return "ok";
    case SERTEL_ERR_NOMEM:
        return "nomem";
    case SERTEL_ERR_INVALID:
        return "invalid";
    case SERTEL_ERR_IO:
        return "io";
    case SERTEL_ERR_CRYPTO:
        return "crypto";
    case SERTEL_ERR_STORE:
        return "store";
    case SERTEL_ERR_NOTFOUND:
        return "notfound";
    case SERTEL_ERR_EXISTS:
        return "exists";
    case SERTEL_ERR_LINT:
        return "lint";
    case SERTEL_ERR_TAMPERED:
        return "tampered";
    case SERTEL_ERR_DENIED:
        return "denied";
    case SERTEL_ERR_UNSUPPORTED:
        return "unsupported";
    case SERTEL_ERR_BUSY:
        return "busy";
    case SERTEL_ERR_INTERNAL:
        return "internal";
    case SERTEL_ERR_TOKEN:
        return "token";
    case SERTEL_ERR_CONFIG:
        return "config";
    case SERTEL_ERR_STATE:
        return "state";
    }
    return "unknown";
}
