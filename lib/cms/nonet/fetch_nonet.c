/*
 * fetch_nonet.c - lib/cms/fetch.c for an executable without a network:
 * the sandboxed worker image sertel-worker (src/worker_main.c). It
 * defines the same external symbols as fetch.c, so the linker never takes
 * fetch.c, and with it libcurl, GnuTLS and their dependencies, into that
 * executable: a link-time seam. Should fetch.c ever gain another symbol
 * the worker uses, the link fails with a duplicate definition instead of
 * pulling libcurl back in silently.
 *
 * A worker's fetches are forwarded to its caller (cms_fetch_policy.forward,
 * lib/pdf/verify_job.c), so none of these is reached in a job; if one is,
 * it refuses: the worker has no network.
 */
#include <string.h>

#include "cms/fetch_int.h"

int cms_http_fetch(const char *url, const char *content_type, const unsigned char *req,
                   size_t req_len, size_t max, long timeout, unsigned char **resp, size_t *resp_len,
                   char *ctype, size_t ctype_cap, sertel_err *err)
{
    (void)content_type;
    (void)req;
    (void)req_len;
    (void)max;
    (void)timeout;
    *resp = NULL;
    *resp_len = 0;
    if (ctype != NULL && ctype_cap > 0)
        ctype[0] = '\0';
    return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                          "the sandboxed worker has no network: %.200s was not fetched", url);
}

int cms_origin_parse(const char *url, void **u, cms_origin *o)
{
    (void)url;
    if (u != NULL)
        *u = NULL;
    memset(o, 0, sizeof(*o));
    return -1;
}

void cms_origin_url_free(void *u)
{
    (void)u;
}

int cms_fetch_direct(cms_fetch_ctx *fx, const char *what, const char *url, const char *content_type,
                     const unsigned char *req, size_t req_len, size_t max, unsigned char **resp,
                     size_t *resp_len, sertel_err *err)
{
    (void)content_type;
    (void)req;
    (void)req_len;
    (void)max;
    *resp = NULL;
    *resp_len = 0;
    return cms_fetch_skip(fx, SERTEL_ERR_UNSUPPORTED, err, what, url, "not fetched",
                          "the sandboxed worker has no network");
}
