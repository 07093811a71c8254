/*
 * fetch.c - the HTTP client of the PKI protocols sertel speaks as a client
 * (RFC 3161 time-stamps, RFC 6960 OCSP, RFC 5280 CRL downloads), on
 * libcurl. The peer is untrusted: http and https only, no redirects, a
 * response-size cap, connect and total timeouts. In a sandboxed worker,
 * which has no network, every exchange goes through the transport set
 * with cms_set_http_transport (the worker's caller makes it).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cms/cms.h"

/* Set once, before any fetch, in a sandboxed worker process only (cms.h). */
static cms_http_fn transport;

void cms_set_http_transport(cms_http_fn fn)
{
    transport = fn;
}

typedef struct body {
    unsigned char *p;
    size_t len, max;
    int toobig;
} body;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    body *b = arg;
    size_t n = size * nmemb;
    unsigned char *np;

    if (n > b->max || b->len + n > b->max) {
        b->toobig = 1;
        return 0;
    }
    np = realloc(b->p, b->len + n + 1);
    if (np == NULL)
        return 0;
    memcpy(np + b->len, ptr, n);
    b->p = np;
    b->len += n;
    return n;
}

int cms_http_fetch(const char *url, const char *content_type, const unsigned char *req,
                   size_t req_len, size_t max, long timeout, unsigned char **resp, size_t *resp_len,
                   char *ctype, size_t ctype_cap, sertel_err *err)
{
    CURL *c = NULL;
    struct curl_slist *h = NULL;
    body b = {NULL, 0, max, 0};
    CURLcode cc;
    long status = 0;
    char *ct = NULL, hdr[128];
    int rc = SERTEL_ERR_IO;

    if (transport != NULL)
        return transport(url, content_type, req, req_len, max, timeout, resp, resp_len, ctype,
                         ctype_cap, err);
    *resp = NULL;
    *resp_len = 0;
    if (ctype != NULL && ctype_cap > 0)
        ctype[0] = '\0';
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "'%.200s' is not an http(s) URL", url);
    c = curl_easy_init();
    if (c == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (content_type != NULL) {
        snprintf(hdr, sizeof(hdr), "Content-Type: %s", content_type);
        h = curl_slist_append(NULL, hdr);
        if (h == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            goto out;
        }
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req_len);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    }
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout < 10L ? timeout : 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    cc = curl_easy_perform(c);
    if (b.toobig) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%.200s answered more than %zu bytes", url,
                            max);
        goto out;
    }
    if (cc != CURLE_OK) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot reach %.200s: %s", url,
                            curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    if (ctype != NULL && ctype_cap > 0 && ct != NULL)
        snprintf(ctype, ctype_cap, "%s", ct);
    if (status != 200) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%.200s answered HTTP %ld", url, status);
        goto out;
    }
    *resp = b.p;
    *resp_len = b.len;
    b.p = NULL;
    rc = SERTEL_OK;
out:
    free(b.p);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}
