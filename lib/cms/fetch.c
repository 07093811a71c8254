/*
 * fetch.c - the HTTP client of the PKI protocols sertel speaks as a client
 * (RFC 3161 time-stamps, RFC 6960 OCSP, RFC 5280 CRL and caIssuers
 * downloads), on libcurl. The peer is untrusted: http and https only, no
 * redirects, a response-size cap, connect and total timeouts.
 *
 * URLs taken from certificates (cms_fetch_url) go through a fetch context
 * (cms_fetch_ctx): one validation's budget of time and bytes for all its
 * fetches together, and the address rule of netaddr.c checked on the
 * address each socket is about to connect to (CURLOPT_OPENSOCKETFUNCTION:
 * after DNS, on the very address connected, so a name that resolves to
 * 127.0.0.1, or resolves differently the second time, is refused all the
 * same). Proxies are not used for such fetches: the check must see the
 * real peer. Origins the caller vouches for (the home's own base URL) are
 * exempt from the address rule, never from the budget. Every fetch the
 * context declines or cuts short is logged there for the report. The
 * context itself, and the forwarding of a sandboxed worker's fetches to
 * its caller, are fetch_ctx.c's; this file holds what needs libcurl.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cms/curl_lazy.h"
#include "cms/fetch_int.h"

#define CMS_FETCH_CONNECT_MS 10000L

typedef struct body {
    unsigned char *p;
    size_t len, max;
    int toobig;
} body;

/* What the socket check saw: the first address it refused, and why. */
typedef struct sock_check {
    const char *why;
    char ip[INET6_ADDRSTRLEN];
} sock_check;

/* A transfer as cms_http_fetch and cms_fetch_url both need it. */
typedef struct xfer {
    const char *url;
    CURLU *cu; /* the parsed URL, NULL: url */
    const char *content_type;
    const unsigned char *req;
    size_t req_len, max;
    long timeout_ms;
    sock_check *chk; /* NULL: any address, proxies as configured */
    char *ctype;
    size_t ctype_cap;
} xfer;

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

/* The socket for one address curl is about to connect to; refused ones never get one. */
static curl_socket_t open_checked(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
    sock_check *c = arg;
    const unsigned char *ip = NULL;
    const char *why;
    int fd;

    (void)purpose;
    if (a->family == AF_INET && a->addrlen >= sizeof(struct sockaddr_in))
        ip = (const unsigned char *)&((const struct sockaddr_in *)&a->addr)->sin_addr;
    else if (a->family == AF_INET6 && a->addrlen >= sizeof(struct sockaddr_in6))
        ip = ((const struct sockaddr_in6 *)&a->addr)->sin6_addr.s6_addr;
    why = ip != NULL ? cms_addr_refusal(a->family, ip) : "not an IP address";
    if (why != NULL) {
        if (c->why == NULL) {
            c->why = why;
            if (ip == NULL || inet_ntop(a->family, ip, c->ip, sizeof(c->ip)) == NULL)
                snprintf(c->ip, sizeof(c->ip), "?");
        }
        return CURL_SOCKET_BAD;
    }
    fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    return fd < 0 ? CURL_SOCKET_BAD : fd;
}

/*
 * One exchange. On return *cc is curl's result, *toobig whether the body
 * passed x->max, *status the HTTP status; *resp (free()) the body so far.
 */
static int perform(const xfer *x, CURLcode *cc, int *toobig, long *status, unsigned char **resp,
                   size_t *resp_len, sertel_err *err)
{
    CURL *c = NULL;
    struct curl_slist *h = NULL;
    body b = {NULL, 0, x->max, 0};
    char *ct = NULL, hdr[128];
    int rc = SERTEL_OK;

    *status = 0;
    *toobig = 0;
    *resp = NULL;
    *resp_len = 0;
    if (x->ctype != NULL && x->ctype_cap > 0)
        x->ctype[0] = '\0';
    c = curl_easy_init();
    if (c == NULL) /* libcurl is loaded on first use (curl_lazy.c): say why it is not there */
        return cms_curl_load(err) != SERTEL_OK
                   ? SERTEL_ERR_UNSUPPORTED
                   : sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    if (x->cu != NULL)
        curl_easy_setopt(c, CURLOPT_CURLU, x->cu);
    else
        curl_easy_setopt(c, CURLOPT_URL, x->url);
    if (x->content_type != NULL) {
        snprintf(hdr, sizeof(hdr), "Content-Type: %s", x->content_type);
        h = curl_slist_append(NULL, hdr);
        if (h == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            goto out;
        }
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, x->req);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->req_len);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    }
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, x->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     x->timeout_ms < CMS_FETCH_CONNECT_MS ? x->timeout_ms : CMS_FETCH_CONNECT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (x->chk != NULL) {
        curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_checked);
        curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, x->chk);
        curl_easy_setopt(c, CURLOPT_PROXY, ""); /* no proxy, not even from the environment */
    }
    *cc = curl_easy_perform(c);
    *toobig = b.toobig || *cc == CURLE_FILESIZE_EXCEEDED; /* by Content-Length: nothing read */
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    if (x->ctype != NULL && x->ctype_cap > 0 && ct != NULL)
        snprintf(x->ctype, x->ctype_cap, "%s", ct);
    *resp = b.p;
    *resp_len = b.len;
    b.p = NULL;
out:
    free(b.p);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return rc;
}

int cms_http_fetch(const char *url, const char *content_type, const unsigned char *req,
                   size_t req_len, size_t max, long timeout, unsigned char **resp, size_t *resp_len,
                   char *ctype, size_t ctype_cap, sertel_err *err)
{
    xfer x = {url, NULL, content_type, req, req_len, max, timeout * 1000L, NULL, ctype, ctype_cap};
    unsigned char *b = NULL;
    size_t blen = 0;
    CURLcode cc = CURLE_OK;
    long status = 0;
    int toobig = 0, rc;

    *resp = NULL;
    *resp_len = 0;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "'%.200s' is not an http(s) URL", url);
    if ((rc = perform(&x, &cc, &toobig, &status, &b, &blen, err)) != SERTEL_OK)
        return rc;
    if (toobig)
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%.200s answered more than %zu bytes", url,
                            max);
    else if (cc != CURLE_OK)
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot reach %.200s: %s", url,
                            curl_easy_strerror(cc));
    else if (status != 200)
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%.200s answered HTTP %ld", url, status);
    if (rc != SERTEL_OK) {
        free(b);
        return rc;
    }
    *resp = b;
    *resp_len = blen;
    return SERTEL_OK;
}

/* --- one fetch of a context: budgets, the address rule --- */

int cms_origin_parse(const char *url, void **up, cms_origin *o)
{
    char *s = NULL, *h = NULL, *p = NULL;
    CURLU *u = curl_url();
    int ok = -1;

    if (up != NULL)
        *up = NULL;
    if (u == NULL || strlen(url) > CMS_FETCH_URL_MAX ||
        curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK)
        goto out;
    if ((strcasecmp(s, "http") != 0 && strcasecmp(s, "https") != 0) || h[0] == '\0' ||
        strlen(h) >= sizeof(o->host) || strlen(p) >= sizeof(o->port))
        goto out;
    snprintf(o->scheme, sizeof(o->scheme), "%s", s);
    snprintf(o->host, sizeof(o->host), "%s", h);
    snprintf(o->port, sizeof(o->port), "%s", p);
    ok = 0;
out:
    curl_free(s);
    curl_free(h);
    curl_free(p);
    if (ok == 0 && up != NULL)
        *up = u;
    else
        curl_url_cleanup(u);
    return ok;
}

void cms_origin_url_free(void *u)
{
    curl_url_cleanup(u);
}

static int exempt(const cms_fetch_ctx *fx, const cms_origin *o)
{
    size_t i;

    for (i = 0; i < fx->n_allow; i++)
        if (strcasecmp(fx->allow[i].scheme, o->scheme) == 0 &&
            strcasecmp(fx->allow[i].host, o->host) == 0 && strcmp(fx->allow[i].port, o->port) == 0)
            return 1;
    return 0;
}

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int cms_fetch_direct(cms_fetch_ctx *fx, const char *what, const char *url, const char *content_type,
                     const unsigned char *req, size_t req_len, size_t max, unsigned char **resp,
                     size_t *resp_len, sertel_err *err)
{
    void *u = NULL;
    cms_origin o;
    sock_check chk = {NULL, ""};
    xfer x = {url, NULL, content_type, req, req_len, 0, 0, NULL, NULL, 0};
    unsigned char *b = NULL;
    size_t blen = 0;
    CURLcode cc = CURLE_OK;
    long status = 0, t0, spent;
    int toobig = 0, by_time, by_bytes, rc;
    char shown[204];

    *resp = NULL;
    *resp_len = 0;
    cms_url_shown(url, shown, sizeof(shown));
    if (cms_origin_parse(url, &u, &o) != 0) {
        rc = cms_fetch_skip(fx, SERTEL_ERR_DENIED, err, what, url, "not fetched",
                            "only http and https URLs with a host are fetched");
        goto out;
    }
    if (fx->ms_left <= 0) {
        rc = cms_fetch_skip(fx, SERTEL_ERR_IO, err, what, url, "not fetched",
                            "the fetch time budget (%.1f s) is spent",
                            (double)fx->ms_total / 1000.0);
        goto out;
    }
    if (fx->bytes_left == 0) {
        rc = cms_fetch_skip(fx, SERTEL_ERR_IO, err, what, url, "not fetched",
                            "the fetch byte budget (%zu bytes) is spent", fx->bytes_total);
        goto out;
    }
    x.cu = u;
    x.timeout_ms = fx->ms_left < CMS_REV_TIMEOUT * 1000L ? fx->ms_left : CMS_REV_TIMEOUT * 1000L;
    x.max = max < fx->bytes_left ? max : fx->bytes_left;
    by_time = x.timeout_ms == fx->ms_left;
    by_bytes = x.max == fx->bytes_left && x.max < max;
    x.chk = fx->any_address || exempt(fx, &o) ? NULL : &chk;
    t0 = now_ms();
    rc = perform(&x, &cc, &toobig, &status, &b, &blen, err);
    spent = now_ms() - t0;
    fx->ms_left -= spent > 0 ? spent : 0;
    fx->bytes_left -= blen < fx->bytes_left ? blen : fx->bytes_left;
    if (rc != SERTEL_OK)
        goto out;
    if (chk.why != NULL && cc != CURLE_OK) {
        rc = cms_fetch_skip(fx, SERTEL_ERR_DENIED, err, what, url, "not fetched", "%s (%s)",
                            chk.why, chk.ip);
    } else if (toobig && by_bytes) {
        fx->bytes_left = 0;
        rc = cms_fetch_skip(fx, SERTEL_ERR_IO, err, what, url, "cut off",
                            "the fetch byte budget (%zu bytes) ran out", fx->bytes_total);
    } else if (toobig) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%s at %s answered more than %zu bytes", what,
                            shown, max);
    } else if (cc == CURLE_OPERATION_TIMEDOUT && by_time && spent + 100 >= x.timeout_ms) {
        fx->ms_left = 0;
        rc =
            cms_fetch_skip(fx, SERTEL_ERR_IO, err, what, url, "cut off",
                           "the fetch time budget (%.1f s) ran out", (double)fx->ms_total / 1000.0);
    } else if (cc != CURLE_OK) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot reach %s at %s: %s", what, shown,
                            curl_easy_strerror(cc));
    } else if (status != 200) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%s at %s answered HTTP %ld", what, shown,
                            status);
    } else {
        *resp = b;
        *resp_len = blen;
        b = NULL;
    }
out:
    free(b);
    cms_origin_url_free(u);
    return rc;
}
