/*
 * tsa_http.c - RFC 3161 §3.4 time-stamp protocol over HTTP: POST an
 * application/timestamp-query, expect 200 with application/timestamp-reply.
 * Untrusted peer: the body is capped at CMS_TSA_RESP_MAX, the whole
 * exchange at 30 seconds, redirects are not followed.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "cms/cms.h"

typedef struct body {
    unsigned char *p;
    size_t len;
    int toobig;
} body;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    body *b = arg;
    size_t n = size * nmemb;
    unsigned char *np;

    if (n > CMS_TSA_RESP_MAX || b->len + n > CMS_TSA_RESP_MAX) {
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

int cms_tsa_http(void *arg, const unsigned char *req, size_t req_len, unsigned char **resp,
                 size_t *resp_len, sertel_err *err)
{
    const char *url = arg;
    CURL *c = NULL;
    struct curl_slist *h = NULL;
    body b = {0};
    CURLcode cc;
    long status = 0;
    char *ct = NULL;
    int rc = SERTEL_ERR_IO;

    if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "time-stamping URL must start with http:// or https://");
    c = curl_easy_init();
    h = curl_slist_append(NULL, "Content-Type: application/timestamp-query");
    if (c == NULL || h == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req_len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CMS_TSA_RESP_MAX);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    cc = curl_easy_perform(c);
    if (b.toobig) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%s answered more than %d bytes", url,
                            CMS_TSA_RESP_MAX);
        goto out;
    }
    if (cc != CURLE_OK) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot reach %s: %s", url, curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    if (status != 200 || ct == NULL || strncmp(ct, "application/timestamp-reply", 27) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "%s answered HTTP %ld (%s), not a time-stamp reply", url, status,
                            ct ? ct : "no content type");
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
