/*
 * dynbuf.c - the growing buffer with a hard cap (see dynbuf.h).
 */
#include "util/dynbuf.h"
#include "util/check.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dynbuf_init(dynbuf *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max ? max : DYNBUF_DEFAULT_MAX;
}

static int grow(dynbuf *b, size_t need)
{
    size_t nc = b->cap ? b->cap : 256;
    size_t max = b->max ? b->max : DYNBUF_DEFAULT_MAX;
    char *np;

    while (nc < need)
        nc = nc > SIZE_MAX / 2 ? SIZE_MAX : nc * 2;
    if (nc > max + 1)
        nc = max + 1;
    if (b->secret) {
        /* Never leave a copy of a secret behind in freed memory. */
        np = malloc(nc);
        if (np != NULL && b->p != NULL) {
            memcpy(np, b->p, b->len + 1);
            sodium_memzero(b->p, b->cap);
            free(b->p);
        }
    } else {
        np = realloc(b->p, nc);
    }
    if (np == NULL)
        return b->failed = SERTEL_ERR_NOMEM;
    b->p = np;
    b->cap = nc;
    return SERTEL_OK;
}

int dynbuf_add(dynbuf *b, const void *data, size_t n)
{
    size_t max = b->max ? b->max : DYNBUF_DEFAULT_MAX;

    if (b->failed)
        return b->failed;
    if (n > max - b->len)
        return b->failed = SERTEL_ERR_INVALID;
    if (b->len + n + 1 > b->cap && grow(b, b->len + n + 1) != SERTEL_OK)
        return b->failed;
    if (n > 0)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    SERTEL_ASSERT(b->len < b->cap && b->len <= max);
    return SERTEL_OK;
}

unsigned char *dynbuf_reserve(dynbuf *b, size_t n, size_t *avail)
{
    size_t max = b->max ? b->max : DYNBUF_DEFAULT_MAX;

    if (b->failed)
        return NULL;
    if (n > max - b->len) {
        b->failed = SERTEL_ERR_INVALID;
        return NULL;
    }
    if (b->len + n + 1 > b->cap && grow(b, b->len + n + 1) != SERTEL_OK)
        return NULL;
    if (avail != NULL)
        *avail = b->cap - b->len - 1; /* one byte stays for the NUL */
    return (unsigned char *)b->p + b->len;
}

void dynbuf_advance(dynbuf *b, size_t k)
{
    SERTEL_ASSERT(b->p != NULL && k < b->cap - b->len);
    b->len += k;
    b->p[b->len] = '\0';
}

int dynbuf_addstr(dynbuf *b, const char *s)
{
    return dynbuf_add(b, s, strlen(s));
}

int dynbuf_addf(dynbuf *b, const char *fmt, ...)
{
    char tmp[512], *big = NULL;
    va_list ap;
    int n, rc;

    if (b->failed)
        return b->failed;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return b->failed = SERTEL_ERR_INVALID;
    if ((size_t)n < sizeof(tmp)) {
        rc = dynbuf_add(b, tmp, (size_t)n);
    } else {
        big = malloc((size_t)n + 1);
        if (big == NULL)
            return b->failed = SERTEL_ERR_NOMEM;
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        rc = dynbuf_add(b, big, (size_t)n);
        if (b->secret)
            sodium_memzero(big, (size_t)n + 1);
        free(big);
    }
    if (b->secret)
        sodium_memzero(tmp, sizeof(tmp));
    return rc;
}

void dynbuf_reset(dynbuf *b)
{
    if (b->p != NULL) {
        if (b->secret)
            sodium_memzero(b->p, b->cap);
        b->p[0] = '\0';
    }
    b->len = 0;
    b->failed = 0;
}

char *dynbuf_take(dynbuf *b, size_t *len)
{
    char *p = b->p;

    if (len != NULL)
        *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
    return p;
}

void dynbuf_free(dynbuf *b)
{
    if (b == NULL)
        return;
    if (b->p != NULL && b->secret)
        sodium_memzero(b->p, b->cap);
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
