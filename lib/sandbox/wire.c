/*
 * wire.c - the byte formats of the sandbox: frame headers, bounded
 * parameter encoding (sbx_buf / sbx_rd: little-endian integers and
 * u32-length-prefixed byte strings), blocking exact reads and writes, and
 * the sanitising of messages that come from a worker (controls and invalid
 * UTF-8, RFC 3629 §3, replaced).
 */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/sbx_int.h"

const char *sbx_end_name(sbx_end e)
{
    switch (e) {
    case SBX_END_OK:
        return "ok";
    case SBX_END_JOB_ERROR:
        return "job-error";
    case SBX_END_CRASH:
        return "crash";
    case SBX_END_SECCOMP:
        return "seccomp";
    case SBX_END_TIMEOUT:
        return "timeout";
    case SBX_END_LIMIT:
        return "limit";
    case SBX_END_PROTOCOL:
        return "protocol";
    case SBX_END_START:
        return "start";
    }
    return "unknown";
}

int sbx_name_ok(const char *name, size_t len)
{
    size_t i;

    if (len == 0 || len > SBX_NAME_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static void le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void sbx_frame_hdr(unsigned char h[SBX_FRAME_HDR], unsigned type, uint32_t len)
{
    le32(h, type);
    le32(h + 4, len);
}

void sbx_frame_parse(const unsigned char h[SBX_FRAME_HDR], unsigned *type, uint32_t *len)
{
    *type = rd32(h);
    *len = rd32(h + 4);
}

int sbx_write_all(int fd, const void *p, size_t n)
{
    const unsigned char *c = p;

    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int sbx_read_all(int fd, void *p, size_t n)
{
    unsigned char *c = p;

    while (n > 0) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t k, need;
    uint32_t cp;

    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        need = 2;
        cp = p[0] & 0x1fu;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        need = 3;
        cp = p[0] & 0x0fu;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        need = 4;
        cp = p[0] & 0x07u;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (k = 1; k < need; k++) {
        if ((p[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[k] & 0x3fu);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return need;
}

void sbx_sanitize(const unsigned char *in, size_t n, char *out, size_t cap)
{
    size_t i = 0, j = 0;

    if (cap == 0)
        return;
    if (cap > SBX_MSG_MAX + 1)
        cap = SBX_MSG_MAX + 1;
    while (i < n && j + 1 < cap) {
        size_t k = in[i] >= 0x80 ? utf8_len(in + i, n - i) : 0;
        if (k > 0) {
            if (j + k + 1 > cap)
                break;
            memcpy(out + j, in + i, k);
            j += k;
            i += k;
            continue;
        }
        out[j++] = in[i] >= 0x20 && in[i] < 0x7f ? (char)in[i] : '?';
        i++;
    }
    out[j] = '\0';
}

/* --- sbx_buf --- */

static void grow(sbx_buf *b, size_t need)
{
    size_t cap;
    unsigned char *n;

    if (b->failed)
        return;
    if (need > SIZE_MAX - b->len) {
        b->failed = 1;
        return;
    }
    if (b->len + need <= b->cap)
        return;
    cap = b->cap ? b->cap : 256;
    while (cap < b->len + need) {
        if (cap > SIZE_MAX / 2) {
            b->failed = 1;
            return;
        }
        cap *= 2;
    }
    if (b->secret) {
        n = malloc(cap);
        if (n != NULL && b->len > 0)
            memcpy(n, b->p, b->len);
        if (n != NULL && b->p != NULL) {
            sodium_memzero(b->p, b->cap);
            free(b->p);
        }
    } else {
        n = realloc(b->p, cap);
    }
    if (n == NULL) {
        b->failed = 1;
        return;
    }
    b->p = n;
    b->cap = cap;
}

void sbx_put_u32(sbx_buf *b, uint32_t v)
{
    grow(b, 4);
    if (b->failed)
        return;
    le32(b->p + b->len, v);
    b->len += 4;
}

void sbx_put_u64(sbx_buf *b, uint64_t v)
{
    sbx_put_u32(b, (uint32_t)v);
    sbx_put_u32(b, (uint32_t)(v >> 32));
}

void sbx_put_bytes(sbx_buf *b, const void *p, size_t n)
{
    if (n > UINT32_MAX) {
        b->failed = 1;
        return;
    }
    sbx_put_u32(b, (uint32_t)n);
    grow(b, n);
    if (b->failed || n == 0)
        return;
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void sbx_put_str(sbx_buf *b, const char *s)
{
    sbx_put_bytes(b, s, s != NULL ? strlen(s) : 0);
}

int sbx_buf_ok(const sbx_buf *b)
{
    return !b->failed;
}

void sbx_buf_free(sbx_buf *b)
{
    if (b == NULL)
        return;
    if (b->p != NULL && b->secret)
        sodium_memzero(b->p, b->cap);
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

unsigned char *sbx_buf_take(sbx_buf *b, size_t *len)
{
    unsigned char *p = b->len > 0 ? b->p : NULL;

    *len = b->len;
    if (p == NULL)
        free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

/* --- sbx_rd --- */

void sbx_rd_init(sbx_rd *r, const unsigned char *p, size_t len)
{
    r->p = p;
    r->len = p != NULL ? len : 0;
    r->off = 0;
    r->failed = 0;
}

static const unsigned char *take(sbx_rd *r, size_t n)
{
    const unsigned char *p;

    if (r->failed || n > r->len - r->off) {
        r->failed = 1;
        return NULL;
    }
    if (r->p == NULL)
        return NULL;
    p = r->p + r->off;
    r->off += n;
    return p;
}

uint32_t sbx_get_u32(sbx_rd *r)
{
    const unsigned char *p = take(r, 4);

    return p != NULL ? rd32(p) : 0;
}

uint64_t sbx_get_u64(sbx_rd *r)
{
    uint64_t lo = sbx_get_u32(r);

    return lo | (uint64_t)sbx_get_u32(r) << 32;
}

const unsigned char *sbx_get_bytes(sbx_rd *r, size_t max, size_t *n)
{
    uint32_t len = sbx_get_u32(r);
    const unsigned char *p;

    *n = 0;
    if (r->failed)
        return NULL;
    if (len > max) {
        r->failed = 1;
        return NULL;
    }
    p = take(r, len);
    if (p != NULL)
        *n = len;
    return p;
}

void sbx_get_str(sbx_rd *r, char *out, size_t cap)
{
    size_t n = 0;
    const unsigned char *p = sbx_get_bytes(r, cap > 0 ? cap - 1 : 0, &n);

    if (cap == 0)
        return;
    out[0] = '\0';
    if (p == NULL)
        return;
    if (memchr(p, 0, n) != NULL) {
        r->failed = 1;
        return;
    }
    memcpy(out, p, n);
    out[n] = '\0';
}

int sbx_rd_done(const sbx_rd *r)
{
    return !r->failed && r->off == r->len;
}
