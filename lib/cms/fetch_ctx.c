/*
 * fetch_ctx.c - the fetch context of one validation or signing (cms.h):
 * its time and byte budget, the origins exempt from the address rule, the
 * log of fetches declined or cut short, and where its fetches are made -
 * here (cms_fetch_direct, fetch.c, on libcurl) or by another process
 * (cms_fetch_policy.forward: a sandboxed worker's fetches are made by its
 * caller under the caller's own context, lib/pdf/verify_job.c).
 *
 * No libcurl here: the worker executable (sertel-worker) links this file
 * and, instead of fetch.c, nonet/fetch_nonet.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cms/fetch_int.h"

void cms_url_shown(const char *url, char *out, size_t cap)
{
    size_t i;

    if (cap == 0)
        return;
    for (i = 0; url[i] != '\0' && i + 1 < cap; i++)
        out[i] = url[i] > 0x20 && url[i] < 0x7f ? url[i] : '?';
    out[i] = '\0';
    if (url[i] != '\0' && i >= 3)
        memcpy(out + i - 3, "...", 3);
}

int cms_fetch_ctx_new(const cms_fetch_policy *pol, cms_fetch_ctx **out, sertel_err *err)
{
    cms_fetch_ctx *fx = calloc(1, sizeof(*fx));
    size_t i;
    int rc = SERTEL_OK;

    *out = NULL;
    if (fx == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    fx->any_address = pol != NULL && pol->any_address;
    fx->ms_total = fx->ms_left = pol != NULL && pol->time_ms > 0 ? pol->time_ms : CMS_FETCH_TIME_MS;
    fx->bytes_total = fx->bytes_left = pol != NULL && pol->bytes > 0 ? pol->bytes : CMS_FETCH_BYTES;
    if (pol != NULL && pol->forward != NULL) {
        /* The forwarder's own context applies the rules: nothing more to set up here. */
        fx->forward = pol->forward;
        fx->forward_arg = pol->forward_arg;
        *out = fx;
        return SERTEL_OK;
    }
    for (i = 0; pol != NULL && i < pol->n_allow; i++) {
        char shown[256];
        if (fx->n_allow == CMS_FETCH_MAX_ALLOW) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "more than %d origins exempt from the address rule",
                                CMS_FETCH_MAX_ALLOW);
            break;
        }
        if (pol->allow[i] == NULL ||
            cms_origin_parse(pol->allow[i], NULL, &fx->allow[fx->n_allow]) != 0) {
            cms_url_shown(pol->allow[i] != NULL ? pol->allow[i] : "", shown, sizeof(shown));
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "'%s' is not an http(s) URL with a host: give the origin that "
                                "may be fetched from on any address as http://host[:port]",
                                shown);
            break;
        }
        fx->n_allow++;
    }
    if (rc != SERTEL_OK) {
        cms_fetch_ctx_free(fx);
        return rc;
    }
    *out = fx;
    return SERTEL_OK;
}

void cms_fetch_ctx_free(cms_fetch_ctx *fx)
{
    size_t i;

    if (fx == NULL)
        return;
    for (i = 0; i < fx->n_skips; i++)
        free(fx->skips[i]);
    free(fx);
}

size_t cms_fetch_ctx_skip_count(const cms_fetch_ctx *fx)
{
    return fx->n_skips;
}

const char *cms_fetch_ctx_skip(const cms_fetch_ctx *fx, size_t i)
{
    return i < fx->n_skips ? fx->skips[i] : NULL;
}

void cms_fetch_ctx_note_skip(cms_fetch_ctx *fx, const char *msg)
{
    if (fx->n_skips < CMS_FETCH_MAX_SKIPS && (fx->skips[fx->n_skips] = strdup(msg)) != NULL)
        fx->n_skips++;
}

int cms_fetch_skip(cms_fetch_ctx *fx, int code, sertel_err *err, const char *what, const char *url,
                   const char *verb, const char *fmt, ...)
{
    char shown[204], why[300];
    va_list ap;
    sertel_err e = {0};

    cms_url_shown(url, shown, sizeof(shown));
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    (void)sertel_err_set(&e, code, "%s at %s %s: %s", what, shown, verb, why);
    cms_fetch_ctx_note_skip(fx, e.msg);
    if (err != NULL)
        *err = e;
    return code;
}

int cms_fetch_url(cms_fetch_ctx *fx, const char *what, const char *url, const char *content_type,
                  const unsigned char *req, size_t req_len, size_t max, unsigned char **resp,
                  size_t *resp_len, sertel_err *err)
{
    *resp = NULL;
    *resp_len = 0;
    if (fx->forward != NULL)
        return fx->forward(fx->forward_arg, fx, what, url, content_type, req, req_len, max, resp,
                           resp_len, err);
    return cms_fetch_direct(fx, what, url, content_type, req, req_len, max, resp, resp_len, err);
}
