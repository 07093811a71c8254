/*
 * fetch_int.h - internals of the fetch context shared by fetch_ctx.c
 * (the context itself, without libcurl), fetch.c (the exchanges on
 * libcurl) and nonet/fetch_nonet.c (the same symbols as fetch.c for an
 * executable without a network: the sandboxed worker, sertel-worker).
 */
#ifndef SERTEL_CMS_FETCH_INT_H
#define SERTEL_CMS_FETCH_INT_H

#include "cms/cms.h"

#define CMS_FETCH_MAX_ALLOW 16
#define CMS_FETCH_MAX_SKIPS 64
#define CMS_FETCH_URL_MAX 2048

typedef struct cms_origin {
    char scheme[8];
    char host[256];
    char port[8];
} cms_origin;

struct cms_fetch_ctx {
    int any_address;
    long ms_total, ms_left;
    size_t bytes_total, bytes_left;
    cms_origin allow[CMS_FETCH_MAX_ALLOW];
    size_t n_allow;
    char *skips[CMS_FETCH_MAX_SKIPS];
    size_t n_skips;
    cms_fetch_forward_fn forward; /* non-NULL: every fetch goes there (cms.h) */
    void *forward_arg;
};

/*
 * The origin (scheme, host, default port filled in) of an http(s) URL with
 * a host, parsed as libcurl will connect to it; 0, or -1 for anything
 * else. *u (curl_url_cleanup) is the parsed URL, kept for the transfer;
 * pass NULL when it is not needed (fetch.c).
 */
int cms_origin_parse(const char *url, void **u, cms_origin *o);
void cms_origin_url_free(void *u);

/* One fetch of fx made here (budget, address rule, exchange: fetch.c). */
int cms_fetch_direct(cms_fetch_ctx *fx, const char *what, const char *url, const char *content_type,
                     const unsigned char *req, size_t req_len, size_t max, unsigned char **resp,
                     size_t *resp_len, sertel_err *err);

/* Log a declined or cut-short fetch, and put it in err (may be NULL); returns code. */
int cms_fetch_skip(cms_fetch_ctx *fx, int code, sertel_err *err, const char *what, const char *url,
                   const char *verb, const char *fmt, ...) SERTEL_PRINTF(7, 8);

#endif
