/*
 * api.c - the API's dispatcher: the route table built from the endpoint
 * files, the per-request call context (language, client address, whether
 * the transport is secure), authentication (session cookie and CSRF
 * token, or HTTP Basic for agency systems), the JSON body, the pool of
 * registration authority handles, and the answer helpers every endpoint
 * uses (JSON, the one error shape, security headers).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "api/api_int.h"
#include "ca/ca.h"
#include "conf/conf.h"
#include "sandbox/sandbox.h"
#include "util/fs.h"
#include "util/dynbuf.h"
#include "util/num.h"
#include "util/text.h"

#define DEFAULT_HANDLES 8
#define DEFAULT_MAX_BODY_MIB 50
#define JSON_BODY_MAX (1u << 20) /* a JSON body without files */
#define POOL_WAIT_S 10           /* a call waits this long for a handle, then 503 */
#define RETRY_AFTER_BUSY "5"
#define DEFAULT_BATCH_MAX_FILES 50
#define DEFAULT_MAX_PAGES 2000
#define DEFAULT_SIGN_MEMORY_MIB 512 /* 8 derivations at the default 64 MiB */
#define DEFAULT_RATE_PER_MINUTE 600
#define QUEUE_PER_SLOT 4 /* default queue: 4 x the slots */

/* The tables of endpoints, in the order they are routed. */
static const struct {
    const api_endpoint *eps;
    const size_t *n;
} tables[] = {
    {api_ep_session, &api_ep_session_n},     {api_ep_people, &api_ep_people_n},
    {api_ep_apply, &api_ep_apply_n},         {api_ep_links, &api_ep_links_n},
    {api_ep_review, &api_ep_review_n},       {api_ep_admin, &api_ep_admin_n},
    {api_ep_audit, &api_ep_audit_n},         {api_ep_docs, &api_ep_docs_n},
    {api_ep_openapi, &api_ep_openapi_n},     {api_ep_sign, &api_ep_sign_n},
    {api_ep_facade_v1, &api_ep_facade_v1_n}, {api_ep_facade_v2, &api_ep_facade_v2_n},
};

size_t api_endpoint_count(void)
{
    size_t t, n = 0;

    for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        n += *tables[t].n;
    return n;
}

const api_endpoint *api_endpoint_at(size_t i)
{
    size_t t;

    for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        if (i < *tables[t].n)
            return &tables[t].eps[i];
        i -= *tables[t].n;
    }
    return NULL;
}

typedef struct api_route {
    api *a;
    const api_endpoint *ep;
    char path[512];
} api_route;

/* ---------------------------------------------------------------- pool */

static int ra_acquire(api *a, ra **out, sertel_err *err)
{
    struct timespec until;
    int rc;

    *out = NULL;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += POOL_WAIT_S;
    pthread_mutex_lock(&a->lock);
    while (a->nfree == 0 && a->nopen >= a->max_open) {
        if (pthread_cond_timedwait(&a->cond, &a->lock, &until) == ETIMEDOUT) {
            pthread_mutex_unlock(&a->lock);
            return sertel_err_set(err, SERTEL_ERR_BUSY,
                                  "every registration authority handle is in use");
        }
    }
    if (a->nfree > 0) {
        *out = a->free_ra[--a->nfree];
        pthread_mutex_unlock(&a->lock);
        return SERTEL_OK;
    }
    a->nopen++;
    pthread_mutex_unlock(&a->lock);
    rc = ra_open_flags(a->home, CA_OPEN_ONLINE, out, err);
    if (rc == SERTEL_OK)
        ra_set_sandbox(*out, a->sb);
    if (rc != SERTEL_OK) {
        pthread_mutex_lock(&a->lock);
        a->nopen--;
        pthread_cond_signal(&a->cond);
        pthread_mutex_unlock(&a->lock);
    }
    return rc;
}

static void ra_release(api *a, ra *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&a->lock);
    a->free_ra[a->nfree++] = r;
    pthread_cond_signal(&a->cond);
    pthread_mutex_unlock(&a->lock);
}

/* ------------------------------------------------------------ answers */

static void security_headers(api_call *c)
{
    http_response *r = c->resp;

    r->no_store = 1;
    (void)http_response_header(r, "X-Content-Type-Options", "nosniff");
    /* Pages post their one form back to this server and load nothing; an operator's document
     * keeps its inline style and images but runs nothing; everything else is data. */
    (void)http_response_header(
        r, "Content-Security-Policy",
        c->flags & API_F_HTML ? "default-src 'none'; form-action 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'"
        : c->flags & API_F_DOCUMENT
            ? "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
              "frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox"
            : "default-src 'none'; frame-ancestors 'none'; sandbox");
    (void)http_response_header(r, "Referrer-Policy", "no-referrer");
    (void)http_response_header(r, "X-Frame-Options", "DENY");
    if (c->a->tls)
        (void)http_response_header(r, "Strict-Transport-Security", "max-age=31536000");
}

static void wipe_json(json_t *v);

/* An answer that may carry a secret (an authenticator's) is wiped once sent. */
static void free_wiped(void *p)
{
    if (p != NULL)
        sodium_memzero(p, strlen(p));
    free(p);
}

int api_json(api_call *c, int status, json_t *v)
{
    char *s;

    if (v == NULL)
        return SERTEL_ERR_NOMEM;
    s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    if (c->flags & API_F_SECRET)
        wipe_json(v);
    json_decref(v);
    if (s == NULL)
        return SERTEL_ERR_NOMEM;
    c->resp->status = status;
    snprintf(c->resp->content_type, sizeof(c->resp->content_type),
             "application/json; charset=utf-8");
    c->resp->body = (const unsigned char *)s;
    c->resp->len = strlen(s);
    c->resp->body_free = c->flags & API_F_SECRET ? free_wiped : free;
    return SERTEL_OK;
}

/* Zero every string of a JSON tree in place (the values of a secret answer). */
static void wipe_json(json_t *v)
{
    const char *k;
    json_t *m;
    size_t i;

    if (json_is_string(v))
        sodium_memzero((void *)(uintptr_t)json_string_value(v), json_string_length(v));
    else if (json_is_object(v))
        json_object_foreach(v, k, m) wipe_json(m);
    else if (json_is_array(v))
        json_array_foreach(v, i, m) wipe_json(m);
}

int api_json_text(api_call *c, dynbuf *b)
{
    size_t len = 0;
    char *t;

    if (b->failed)
        return SERTEL_ERR_NOMEM;
    t = dynbuf_take(b, &len);
    c->resp->status = 200;
    snprintf(c->resp->content_type, sizeof(c->resp->content_type),
             "application/json; charset=utf-8");
    c->resp->body = (const unsigned char *)t;
    c->resp->len = len;
    c->resp->body_free = free;
    return SERTEL_OK;
}

int api_json_secret(api_call *c, int status, json_t *v)
{
    char *s;

    if (v == NULL)
        return SERTEL_ERR_NOMEM;
    s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    wipe_json(v);
    json_decref(v);
    if (s == NULL)
        return SERTEL_ERR_NOMEM;
    c->resp->status = status;
    snprintf(c->resp->content_type, sizeof(c->resp->content_type),
             "application/json; charset=utf-8");
    c->resp->body = (const unsigned char *)s;
    c->resp->len = strlen(s);
    c->resp->body_free = free_wiped;
    return SERTEL_OK;
}

json_t *api_link_json(const api_call *c, const char *fmt, ...)
{
    char path[512], full[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    snprintf(full, sizeof(full), "%s%s", c->a->base_path, path);
    return json_string(full);
}

int api_query_int(api_call *c, const char *name, int64_t def, int64_t min, int64_t max,
                  int64_t *out)
{
    const char *v = http_query(c->req, name);

    *out = def;
    if (v == NULL)
        return SERTEL_OK;
    if (num_parse_i64z(v, min, max, out) == SERTEL_OK)
        return SERTEL_OK;
    (void)api_error(c, 400, "field_invalid", "'%s' must be a whole number from %lld to %lld", name,
                    (long long)min, (long long)max);
    return SERTEL_ERR_INVALID;
}

int api_no_content(api_call *c)
{
    c->resp->status = 204;
    c->resp->content_type[0] = '\0';
    return SERTEL_OK;
}

/* BSrE's shape: {"error": message (detail), "status_code": N}. */
static int facade_error_v(api_call *c, int status, const char *code, const char *detail_fmt,
                          va_list ap)
{
    char detail[SERTEL_ERR_MSG_MAX], msg[SERTEL_ERR_MSG_MAX + 512];
    json_t *o, *m;

    if (detail_fmt != NULL) {
        vsnprintf(detail, sizeof(detail), detail_fmt, ap);
        snprintf(msg, sizeof(msg), "%s (%s)", api_message(code, c->lang), detail);
    } else {
        snprintf(msg, sizeof(msg), "%s", api_message(code, c->lang));
    }
    /* json_string refuses invalid UTF-8: a detail quoting input falls back to the message */
    m = json_string(msg);
    if (m == NULL)
        m = json_string(api_message(code, c->lang));
    o = json_object();
    if (o == NULL || m == NULL) {
        json_decref(o);
        json_decref(m);
        return SERTEL_ERR_NOMEM;
    }
    json_object_set_new(o, "error", m);
    json_object_set_new(o, "status_code", json_integer(api_facade_code(code, status)));
    return api_json(c, status, o);
}

int api_facade_error(api_call *c, int status, const char *code, const char *detail_fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, detail_fmt);
    rc = facade_error_v(c, status, code, detail_fmt, ap);
    va_end(ap);
    return rc;
}

int api_html_page(api_call *c, int status, const char *title, const char *body_html)
{
    dynbuf b;
    char *s;
    size_t len = 0;

    dynbuf_init(&b, 1u << 20);
    dynbuf_addstr(&b, "<!DOCTYPE html>\n<html lang=\"id\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                      "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
    text_html_escape(&b, title);
    dynbuf_addstr(&b, "</title>\n</head>\n<body>\n<h1>");
    text_html_escape(&b, title);
    dynbuf_addstr(&b, "</h1>\n");
    dynbuf_addstr(&b, body_html);
    if (dynbuf_addstr(&b, "\n</body>\n</html>\n") != SERTEL_OK) {
        dynbuf_free(&b);
        return SERTEL_ERR_NOMEM;
    }
    s = dynbuf_take(&b, &len);
    c->resp->status = status;
    snprintf(c->resp->content_type, sizeof(c->resp->content_type), "text/html; charset=utf-8");
    c->resp->body = (const unsigned char *)s;
    c->resp->len = len;
    c->resp->body_free = free;
    return SERTEL_OK;
}

/* An error as a page, for the pages people open from a mail (API_F_HTML). */
static int error_page(api_call *c, int status, const char *code, const char *detail)
{
    dynbuf b;
    int rc;

    dynbuf_init(&b, 64 * 1024);
    dynbuf_addstr(&b, "<p>");
    text_html_escape(&b, api_message(code, c->lang));
    dynbuf_addstr(&b, "</p>\n");
    if (detail != NULL && detail[0]) {
        dynbuf_addstr(&b, "<p><small>");
        text_html_escape(&b, detail);
        dynbuf_addstr(&b, "</small></p>\n");
    }
    dynbuf_addstr(&b, "<p><small>Kode: ");
    text_html_escape(&b, code);
    rc = dynbuf_addstr(&b, "</small></p>");
    if (rc == SERTEL_OK)
        rc = api_html_page(c, status,
                           status >= 500 ? "Layanan sedang bermasalah" : "Tidak berhasil", b.p);
    dynbuf_free(&b);
    return rc;
}

int api_error(api_call *c, int status, const char *code, const char *detail_fmt, ...)
{
    json_t *e, *o;
    char detail[SERTEL_ERR_MSG_MAX];
    va_list ap;

    if (status == 401 && strcmp(code, "client_unauthorized") == 0)
        (void)http_response_header(c->resp, "WWW-Authenticate", "Basic realm=\"sertel\"");
    if (c->flags & API_F_FACADE) {
        int rc;
        va_start(ap, detail_fmt);
        rc = facade_error_v(c, status, code, detail_fmt, ap);
        va_end(ap);
        return rc;
    }
    if (c->flags & (API_F_HTML | API_F_DOCUMENT)) {
        detail[0] = '\0';
        if (detail_fmt != NULL) {
            va_start(ap, detail_fmt);
            vsnprintf(detail, sizeof(detail), detail_fmt, ap);
            va_end(ap);
            /* shown as text: never as markup, and only when it is valid UTF-8 */
            if (!text_utf8_valid((const unsigned char *)detail, strlen(detail), NULL))
                detail[0] = '\0';
        }
        return error_page(c, status, code, detail);
    }
    e = json_object();
    o = json_object();
    if (e == NULL || o == NULL) {
        json_decref(e);
        json_decref(o);
        return SERTEL_ERR_NOMEM;
    }
    json_object_set_new(e, "code", json_string(code));
    json_object_set_new(e, "message", json_string(api_message(code, c->lang)));
    if (detail_fmt != NULL) {
        va_start(ap, detail_fmt);
        vsnprintf(detail, sizeof(detail), detail_fmt, ap);
        va_end(ap);
        /* json_string refuses invalid UTF-8: a detail quoting input keeps its ASCII form */
        json_t *d = json_string(detail);
        json_object_set_new(e, "detail", d != NULL ? d : json_string("(not shown: not UTF-8)"));
    }
    json_object_set_new(o, "error", e);
    return api_json(c, status, o);
}

int api_fail(api_call *c, int rc, const sertel_err *err)
{
    const char *msg = err != NULL && err->msg[0] ? err->msg : NULL;

    switch (rc) {
    case SERTEL_ERR_INVALID:
    case SERTEL_ERR_UNSUPPORTED:
        return api_error(c, 400, "invalid_request", msg ? "%s" : NULL, msg);
    case SERTEL_ERR_NOTFOUND:
        return api_error(c, 404, "not_found", msg ? "%s" : NULL, msg);
    case SERTEL_ERR_DENIED:
        return api_error(c, 403, "forbidden", msg ? "%s" : NULL, msg);
    case SERTEL_ERR_EXISTS:
        return api_error(c, 409, "conflict", msg ? "%s" : NULL, msg);
    case SERTEL_ERR_STATE:
        return api_error(c, 409, "wrong_state", msg ? "%s" : NULL, msg);
    case SERTEL_ERR_BUSY:
        (void)http_response_header(c->resp, "Retry-After", RETRY_AFTER_BUSY);
        return api_error(c, 503, "busy", NULL);
    default:
        fprintf(stderr, "sertel: api: %s %s: %s: %s\n", c->req->method, c->req->path,
                sertel_rc_name(rc), msg ? msg : "(no detail)");
        return api_error(c, 500, "internal", NULL);
    }
}

/* ---------------------------------------------------------------- input */

int api_in_str(api_call *c, const char *key, bool required, size_t max, const char **out)
{
    json_t *v = c->in != NULL ? json_object_get(c->in, key) : NULL;
    const char *s;

    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (!required)
            return SERTEL_OK;
        (void)api_error(c, 400, "field_missing", "'%s' is required", key);
        return SERTEL_ERR_INVALID;
    }
    if (!json_is_string(v)) {
        (void)api_error(c, 400, "field_invalid", "'%s' must be a string", key);
        return SERTEL_ERR_INVALID;
    }
    s = json_string_value(v);
    if (json_string_length(v) != strlen(s)) {
        (void)api_error(c, 400, "field_invalid", "'%s' holds a NUL character", key);
        return SERTEL_ERR_INVALID;
    }
    if (json_string_length(v) > max) {
        (void)api_error(c, 400, "field_invalid", "'%s' is longer than %zu bytes", key, max);
        return SERTEL_ERR_INVALID;
    }
    *out = s;
    return SERTEL_OK;
}

int api_in_int(api_call *c, const char *key, bool required, int64_t min, int64_t max, int64_t *out)
{
    json_t *v = c->in != NULL ? json_object_get(c->in, key) : NULL;

    if (v == NULL || json_is_null(v)) {
        if (!required)
            return SERTEL_OK;
        (void)api_error(c, 400, "field_missing", "'%s' is required", key);
        return SERTEL_ERR_INVALID;
    }
    if (json_is_integer(v) && json_integer_value(v) >= min && json_integer_value(v) <= max) {
        *out = (int64_t)json_integer_value(v);
        return SERTEL_OK;
    }
    if (json_is_string(v) && num_parse_i64z(json_string_value(v), min, max, out) == SERTEL_OK)
        return SERTEL_OK;
    (void)api_error(c, 400, "field_invalid", "'%s' must be a whole number from %lld to %lld", key,
                    (long long)min, (long long)max);
    return SERTEL_ERR_INVALID;
}

int api_path_id(api_call *c, size_t i, int64_t *out)
{
    if (i >= c->req->nparams || c->req->params[i][0] < '1' || c->req->params[i][0] > '9' ||
        num_parse_i64z(c->req->params[i], 1, INT64_MAX, out) != SERTEL_OK) {
        (void)api_error(c, 404, "not_found", NULL);
        return SERTEL_ERR_NOTFOUND;
    }
    return SERTEL_OK;
}

void api_wipe_secret(api_call *c, const char *key)
{
    size_t i;

    if (c->in != NULL) {
        json_t *v = json_object_get(c->in, key);
        /* jansson keeps the string's bytes in the value it hands out: wipe them there */
        if (v != NULL && json_is_string(v))
            sodium_memzero((char *)json_string_value(v), json_string_length(v));
    }
    for (i = 0; i < c->req->nfields; i++) {
        const http_field *f = &c->req->fields[i];
        if (f->value != NULL && f->name != NULL && strcmp(f->name, key) == 0)
            sodium_memzero((unsigned char *)f->value, f->len);
    }
}

int api_need_secure(api_call *c)
{
    if (c->secure)
        return SERTEL_OK;
    (void)api_error(c, 403, "tls_required", NULL);
    return SERTEL_ERR_DENIED;
}

/* The one field of that name (*out), or NULL; -1 when it was sent twice. */
static int form_field(const api_call *c, const char *name, const http_field **out)
{
    size_t i;

    *out = NULL;
    for (i = 0; i < c->req->nfields; i++) {
        if (strcmp(c->req->fields[i].name, name) != 0)
            continue;
        if (*out != NULL)
            return -1;
        *out = &c->req->fields[i];
    }
    return 0;
}

int api_form_str(api_call *c, const char *name, bool required, size_t max, const char **out)
{
    const http_field *f;

    *out = NULL;
    if (form_field(c, name, &f) != 0) {
        (void)api_error(c, 400, "field_invalid", "'%s' is sent more than once", name);
        return SERTEL_ERR_INVALID;
    }
    if (f == NULL || (f->value != NULL && f->value[0] == '\0' && f->len == 0)) {
        if (!required)
            return SERTEL_OK;
        (void)api_error(c, 400, "field_missing", "'%s' is required", name);
        return SERTEL_ERR_INVALID;
    }
    if (f->value == NULL || f->fd >= 0) {
        (void)api_error(c, 400, "field_invalid", "'%s' must be text, not a file", name);
        return SERTEL_ERR_INVALID;
    }
    if (strlen((const char *)f->value) != f->len) {
        (void)api_error(c, 400, "field_invalid", "'%s' holds a NUL character", name);
        return SERTEL_ERR_INVALID;
    }
    if (f->len > max) {
        (void)api_error(c, 400, "field_invalid", "'%s' is longer than %zu bytes", name, max);
        return SERTEL_ERR_INVALID;
    }
    *out = (const char *)f->value;
    return SERTEL_OK;
}

int api_form_file(api_call *c, const char *name, const http_field **out)
{
    const http_field *f;

    *out = NULL;
    if (form_field(c, name, &f) != 0) {
        (void)api_error(c, 400, "field_invalid", "'%s' is sent more than once", name);
        return SERTEL_ERR_INVALID;
    }
    if (f == NULL) {
        (void)api_error(c, 400, "field_missing", "the file '%s' is required", name);
        return SERTEL_ERR_INVALID;
    }
    if (f->fd < 0) {
        (void)api_error(c, 400, "field_invalid",
                        "'%s' must be a file part (multipart/form-data with a filename)", name);
        return SERTEL_ERR_INVALID;
    }
    *out = f;
    return SERTEL_OK;
}

int api_arg_str(api_call *c, const char *name, bool required, size_t max, const char **out)
{
    if (c->req->fields != NULL || c->in == NULL)
        return api_form_str(c, name, required, max, out);
    return api_in_str(c, name, required, max, out);
}

int api_arg_bool(api_call *c, const char *name, bool *out)
{
    json_t *v = c->in != NULL ? json_object_get(c->in, name) : NULL;
    const char *s = NULL;

    *out = false;
    if (v != NULL && json_is_boolean(v)) {
        *out = json_is_true(v);
        return SERTEL_OK;
    }
    if (v != NULL && !json_is_string(v) && !json_is_null(v)) {
        (void)api_error(c, 400, "field_invalid", "'%s' must be true or false", name);
        return SERTEL_ERR_INVALID;
    }
    if (api_arg_str(c, name, false, 8, &s) != SERTEL_OK)
        return SERTEL_ERR_INVALID;
    if (s == NULL || strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
        return SERTEL_OK;
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 || strcmp(s, "on") == 0) {
        *out = true;
        return SERTEL_OK;
    }
    (void)api_error(c, 400, "field_invalid", "'%s' must be true or false", name);
    return SERTEL_ERR_INVALID;
}

void api_wipe_secrets(api_call *c)
{
    size_t i;

    if (c->in != NULL)
        wipe_json(c->in);
    if (c->req->body != NULL && c->req->body_len > 0)
        sodium_memzero((unsigned char *)(uintptr_t)c->req->body, c->req->body_len);
    for (i = 0; i < c->req->nfields; i++)
        if (c->req->fields[i].value != NULL && c->req->fields[i].len > 0)
            sodium_memzero((unsigned char *)(uintptr_t)c->req->fields[i].value,
                           c->req->fields[i].len);
}

/* ---------------------------------------------------------------- times */

void api_time_str(int64_t t, char out[21])
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 21, "1970-01-01T00:00:00Z");
}

json_t *api_time_json(int64_t t)
{
    char s[21];

    if (t == 0)
        return json_null();
    api_time_str(t, s);
    return json_string(s);
}

/* Digits s[0..n) as a number in [lo, hi], else -1. */
static int digits(const char *s, int n, int lo, int hi)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= lo && v <= hi ? v : -1;
}

int api_time_parse(const char *s, int64_t *out)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
    const char *p;
    int64_t days;

    *out = 0;
    /* RFC 3339 §5.6: date-time = full-date "T" full-time */
    if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return SERTEL_ERR_INVALID;
    if ((y = digits(s, 4, 1970, 9999)) < 0 || (mo = digits(s + 5, 2, 1, 12)) < 0 ||
        (d = digits(s + 8, 2, 1, 31)) < 0 || (h = digits(s + 11, 2, 0, 23)) < 0 ||
        (mi = digits(s + 14, 2, 0, 59)) < 0 || (se = digits(s + 17, 2, 0, 60)) < 0)
        return SERTEL_ERR_INVALID;
    if (d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
        return SERTEL_ERR_INVALID;
    if (se == 60)
        se = 59; /* a leap second counts as the second before it */
    p = s + 19;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
        if (p == s + 20)
            return SERTEL_ERR_INVALID;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        if (strlen(p) != 6 || p[3] != ':' || (oh = digits(p + 1, 2, 0, 23)) < 0 ||
            (om = digits(p + 4, 2, 0, 59)) < 0)
            return SERTEL_ERR_INVALID;
        p += 6;
    } else {
        return SERTEL_ERR_INVALID;
    }
    if (*p != '\0')
        return SERTEL_ERR_INVALID;
    /* days from 1970-01-01 to y-mo-d (the civil calendar, proleptic Gregorian) */
    {
        int yy = mo <= 2 ? y - 1 : y;
        int era = yy / 400, yoe = yy - era * 400;
        int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        days = (int64_t)era * 146097 + doe - 719468;
    }
    *out = days * 86400 + h * 3600 + mi * 60 + se - sign * (oh * 3600 + om * 60);
    return SERTEL_OK;
}

/* ------------------------------------------------------------ language */

/* The q-value of one Accept-Language entry ("en;q=0.8"), 1000ths. */
static int entry_q(const char *params, size_t n)
{
    const char *q = NULL;
    size_t i;
    int v = 1000, scale = 100;

    for (i = 0; i + 1 < n; i++)
        if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=') {
            q = params + i + 2;
            break;
        }
    if (q == NULL)
        return 1000;
    if (*q == '0') {
        v = 0;
        q++;
        if (*q == '.')
            for (q++; *q >= '0' && *q <= '9' && scale > 0; q++, scale /= 10)
                v += (*q - '0') * scale;
    }
    return v;
}

api_lang api_lang_pick(const char *h)
{
    int best_id = -1, best_en = -1;

    while (h != NULL && *h) {
        size_t n = strcspn(h, ","), tag;
        const char *e = h;
        while (*e == ' ' || *e == '\t')
            e++;
        tag = strcspn(e, ";, \t");
        if (tag > (size_t)(h + n - e))
            tag = (size_t)(h + n - e);
        int q = entry_q(e + tag, (size_t)(h + n - (e + tag)));
        if ((tag == 2 || (tag > 2 && e[2] == '-')) && strncasecmp(e, "en", 2) == 0 && q > best_en)
            best_en = q;
        else if ((tag == 2 || (tag > 2 && e[2] == '-')) && strncasecmp(e, "id", 2) == 0 &&
                 q > best_id)
            best_id = q;
        h += n;
        if (*h == ',')
            h++;
    }
    return best_en > 0 && best_en > best_id ? API_LANG_EN : API_LANG_ID;
}

/* ------------------------------------------------------------ addresses */

bool api_addr_loopback(const char *addr)
{
    struct in_addr v4;
    struct in6_addr v6;

    if (inet_pton(AF_INET, addr, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &v6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&v6))
            return true;
        if (IN6_IS_ADDR_V4MAPPED(&v6))
            return v6.s6_addr[12] == 127;
    }
    return false;
}

static bool addr_trusted(const api *a, const char *addr)
{
    size_t i;

    for (i = 0; i < a->ntrusted; i++)
        if (strcmp(a->trusted[i], addr) == 0)
            return true;
    return false;
}

void api_client_addr(const api *a, const char *peer, const char *xff, char *out, size_t cap)
{
    snprintf(out, cap, "%s", peer);
    if (xff == NULL || !addr_trusted(a, peer))
        return;
    /* From the right: the first entry our own proxies did not add. */
    size_t end = strlen(xff);
    while (end > 0) {
        size_t start = end;
        char one[64];
        struct in6_addr tmp;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        size_t b = start, e = end;
        while (b < e && (xff[b] == ' ' || xff[b] == '\t'))
            b++;
        while (e > b && (xff[e - 1] == ' ' || xff[e - 1] == '\t'))
            e--;
        if (e - b == 0 || e - b >= sizeof(one))
            return; /* malformed: keep the proxy's own address */
        memcpy(one, xff + b, e - b);
        one[e - b] = '\0';
        if (inet_pton(AF_INET, one, &tmp) != 1 && inet_pton(AF_INET6, one, &tmp) != 1)
            return;
        snprintf(out, cap, "%s", one);
        if (!addr_trusted(a, one))
            return;
        end = start > 0 ? start - 1 : 0;
    }
}

/* -------------------------------------------------------------- cookies */

int api_set_cookie(api_call *c, const char *value)
{
    char v[256];

    snprintf(v, sizeof(v), "%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
             c->a->tls ? API_COOKIE_TLS : API_COOKIE, value, c->a->tls ? "; Secure" : "");
    return http_response_header(c->resp, "Set-Cookie", v);
}

int api_clear_cookie(api_call *c)
{
    char v[160];

    snprintf(v, sizeof(v), "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
             c->a->tls ? API_COOKIE_TLS : API_COOKIE, c->a->tls ? "; Secure" : "");
    return http_response_header(c->resp, "Set-Cookie", v);
}

json_t *api_actor_json(const ra_actor *a)
{
    if (strcmp(a->role, RA_ROLE_CLIENT) == 0) {
        char scopes[64];
        return json_pack("{s:s, s:s, s:I, s:s}", "client_id", a->client_id, "role", a->role,
                         "agency_id", (json_int_t)a->agency_id, "scopes",
                         ra_scopes_name(a->scopes, scopes, sizeof(scopes)));
    }
    return json_pack("{s:I, s:s, s:s, s:I}", "account_id", (json_int_t)a->account_id, "email",
                     a->email, "role", a->role, "agency_id", (json_int_t)a->agency_id);
}

/* ------------------------------------------------------- authentication */

/* HTTP Basic: "Basic base64(id:secret)". */
static int auth_basic(api_call *c, const char *h, sertel_err *err)
{
    unsigned char dec[256];
    size_t declen = 0;
    char *colon;
    int rc;

    while (*h == ' ')
        h++;
    if (sodium_base642bin(dec, sizeof(dec) - 1, h, strlen(h), NULL, &declen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return sertel_err_set(err, SERTEL_ERR_DENIED, "malformed Basic credentials");
    dec[declen] = '\0';
    colon = memchr(dec, ':', declen);
    if (colon == NULL || strlen((char *)dec) != declen) {
        sodium_memzero(dec, sizeof(dec));
        return sertel_err_set(err, SERTEL_ERR_DENIED, "malformed Basic credentials");
    }
    *colon = '\0';
    rc = ra_client_auth(c->r, (const char *)dec, colon + 1, &c->actor, err);
    sodium_memzero(dec, sizeof(dec));
    if (rc == SERTEL_OK) {
        c->authed = 1;
        c->by_client = 1;
    }
    return rc;
}

static int auth_session(api_call *c, const char *cookie, sertel_err *err)
{
    ra_session_info si;
    int rc;

    if (strlen(cookie) != RA_COOKIE_LEN)
        return sertel_err_set(err, SERTEL_ERR_DENIED, "no such session");
    rc = ra_session(c->r, cookie, &si, err);
    if (rc != SERTEL_OK)
        return rc;
    c->actor = si.actor;
    memcpy(c->cookie, cookie, RA_COOKIE_LEN + 1);
    memcpy(c->csrf, si.csrf, sizeof(c->csrf));
    c->factor_enrolment_needed = si.factor_enrolment_needed;
    c->authed = 1;
    sodium_memzero(&si, sizeof(si));
    return SERTEL_OK;
}

static bool unsafe_method(const char *m)
{
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

/* Establish who calls. SERTEL_OK to go on; otherwise the answer is written. */
static int authenticate(api_call *c, const api_endpoint *ep)
{
    const char *authz = http_header(c->req, "Authorization");
    const char *cookie = http_cookie(c->req, c->a->tls ? API_COOKIE_TLS : API_COOKIE);
    sertel_err err = {0};
    int rc;

    if (authz != NULL && strncasecmp(authz, "Basic ", 6) == 0 && ep->auth != API_AUTH_SESSION) {
        rc = auth_basic(c, authz + 6, &err);
        if (rc == SERTEL_ERR_BUSY || rc == SERTEL_ERR_STORE || rc == SERTEL_ERR_NOMEM) {
            (void)api_fail(c, SERTEL_ERR_BUSY, &err);
            return rc;
        }
        if (rc != SERTEL_OK) {
            (void)api_error(c, 401, "client_unauthorized", NULL);
            return rc;
        }
        return SERTEL_OK;
    }
    if (cookie != NULL && ep->auth != API_AUTH_CLIENT) {
        rc = auth_session(c, cookie, &err);
        if (rc != SERTEL_OK && rc != SERTEL_ERR_DENIED) {
            (void)api_fail(c, SERTEL_ERR_BUSY, &err);
            return rc;
        }
        if (rc != SERTEL_OK && ep->auth != API_AUTH_NONE) {
            (void)api_clear_cookie(c);
            (void)api_error(c, 401, "session_invalid", NULL);
            return rc;
        }
        if (rc == SERTEL_OK && unsafe_method(c->req->method)) {
            const char *tok = http_header(c->req, API_CSRF_HEADER);
            if (tok == NULL || ra_csrf_check(c->r, c->cookie, tok) != 1) {
                if (ep->auth == API_AUTH_NONE) {
                    /* a public endpoint: go on, but not as the session's account */
                    memset(&c->actor, 0, sizeof(c->actor));
                    memset(c->cookie, 0, sizeof(c->cookie));
                    c->authed = 0;
                    return SERTEL_OK;
                }
                (void)api_error(c, 403, "csrf_invalid", NULL);
                return SERTEL_ERR_DENIED;
            }
        }
        if (rc == SERTEL_OK && c->factor_enrolment_needed && !(ep->flags & API_F_ENROLMENT)) {
            (void)api_error(c, 403, "factor_enrolment_needed", NULL);
            return SERTEL_ERR_DENIED;
        }
        if (rc == SERTEL_OK || ep->auth == API_AUTH_NONE)
            return SERTEL_OK;
    }
    if (ep->auth == API_AUTH_NONE)
        return SERTEL_OK;
    if (ep->auth == API_AUTH_CLIENT) {
        (void)api_error(c, 401, "client_unauthorized", NULL);
        return SERTEL_ERR_DENIED;
    }
    (void)api_error(c, 401, "login_required", NULL);
    return SERTEL_ERR_DENIED;
}

/* ------------------------------------------------------------ dispatch */

/*
 * Hand an authenticated call to its pool (pool.c): admitted, the request
 * is deferred and answered by a worker; refused at once with 429 when the
 * pool is full. The call (and its JSON body) moves into the job; its
 * registration authority handle stays with the dispatcher.
 */
static int to_pool(api_call *c, const api_endpoint *ep, int *deferred)
{
    api_pool *p = (ep->flags & API_F_POOL_SIGN) ? &c->a->sign_pool : &c->a->verify_pool;
    api_job *j = calloc(1, sizeof(*j));
    api_call *jc = calloc(1, sizeof(*jc));
    int64_t wait = 0;
    char s[24];

    if (j == NULL || jc == NULL) {
        free(j);
        free(jc);
        return SERTEL_ERR_NOMEM;
    }
    if (api_pool_reserve(p, &wait) != SERTEL_OK) {
        free(j);
        free(jc);
        snprintf(s, sizeof(s), "%lld", (long long)wait);
        (void)http_response_header(c->resp, "Retry-After", s);
        return api_error(c, 429, "overloaded", NULL);
    }
    j->d = http_defer(c->req);
    if (j->d == NULL) {
        api_pool_unreserve(p);
        free(j);
        free(jc);
        return SERTEL_ERR_INTERNAL;
    }
    *jc = *c;
    jc->r = NULL; /* the worker takes a handle of its own */
    jc->resp = http_deferred_response(j->d);
    c->in = NULL; /* the job's now */
    j->c = jc;
    j->ep = ep;
    api_pool_push(p, j);
    *deferred = 1; /* the request is the worker's: its secrets are wiped there */
    return SERTEL_OK;
}

void api_job_run(api_job *j)
{
    api_call *c = j->c;
    sertel_err err = {0};
    int rc;

    rc = ra_acquire(c->a, &c->r, &err);
    if (rc == SERTEL_OK) {
        sertel_err_clear(&err);
        rc = j->ep->fn(c, &err);
        if (rc != SERTEL_OK)
            rc = api_fail(c, rc, &err);
    } else if (rc == SERTEL_ERR_BUSY) {
        rc = api_fail(c, rc, &err);
    }
    if (j->ep->flags & API_F_SECRET)
        api_wipe_secrets(c);
    json_decref(c->in);
    ra_release(c->a, c->r);
    sodium_memzero(c->cookie, sizeof(c->cookie));
    sodium_memzero(c->csrf, sizeof(c->csrf));
    http_deferred_finish(j->d, rc, &err);
    free(c);
    free(j);
}

static int dispatch(const http_request *req, http_response *resp, sertel_err *err)
{
    const api_route *rt = req->arg;
    const api_endpoint *ep = rt->ep;
    api_call c;
    const char *proto;
    json_error_t je;
    int deferred = 0;
    int rc;

    memset(&c, 0, sizeof(c));
    c.a = rt->a;
    c.req = req;
    c.resp = resp;
    c.flags = ep->flags;
    c.lang = api_lang_pick(http_header(req, "Accept-Language"));
    api_client_addr(c.a, req->peer, http_header(req, "X-Forwarded-For"), c.addr, sizeof(c.addr));
    proto = http_header(req, "X-Forwarded-Proto");
    c.secure = req->tls || c.a->tls ||
               (addr_trusted(c.a, req->peer) && proto != NULL && strcmp(proto, "https") == 0) ||
               (api_addr_loopback(req->peer) && !addr_trusted(c.a, req->peer));
    security_headers(&c);

    if ((ep->flags & API_F_SECRET) && api_need_secure(&c) != SERTEL_OK) {
        api_wipe_secrets(&c); /* refused unread: the secret is not kept either */
        return SERTEL_OK;
    }
    if ((rc = ra_acquire(c.a, &c.r, err)) != SERTEL_OK) {
        if (rc == SERTEL_ERR_BUSY)
            return api_fail(&c, rc, err);
        return rc;
    }
    if (authenticate(&c, ep) != SERTEL_OK) {
        rc = SERTEL_OK; /* answered */
        goto out;
    }
    if (c.by_client) {
        int64_t wait = 0;
        if (api_rate_take(c.a, c.actor.client_id, &wait) != SERTEL_OK) {
            char ra_s[24];
            snprintf(ra_s, sizeof(ra_s), "%lld", (long long)wait);
            (void)http_response_header(resp, "Retry-After", ra_s);
            rc = api_error(&c, 429, "rate_limited", NULL);
            goto out;
        }
    }
    /* A caller who may do the endpoint's act for nobody is refused before any input is read. */
    if (ep->act != RA_ACT_COUNT &&
        ra_policy_reach(c.authed ? &c.actor : NULL, ep->act) == RA_REACH_NONE) {
        sertel_err why = {0};
        if (ra_policy_check(c.authed ? &c.actor : NULL, ep->act, NULL, &why) == SERTEL_OK)
            sertel_err_set(&why, SERTEL_ERR_DENIED, "not allowed");
        rc = api_fail(&c, SERTEL_ERR_DENIED, &why);
        goto out;
    }
    if (ep->in == API_IN_JSON) {
        c.in = json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
        if (c.in == NULL || !json_is_object(c.in)) {
            rc = api_error(&c, 400, "invalid_json",
                           c.in == NULL ? "line %d: %s" : "the body must be a JSON object", je.line,
                           je.text);
            goto out;
        }
    }
    if (ep->flags & (API_F_POOL_SIGN | API_F_POOL_VERIFY)) {
        rc = to_pool(&c, ep, &deferred);
        goto out;
    }
    sertel_err_clear(err);
    rc = ep->fn(&c, err);
    if (rc != SERTEL_OK)
        rc = api_fail(&c, rc, err);
out:
    if ((ep->flags & API_F_SECRET) && !deferred)
        api_wipe_secrets(&c);
    json_decref(c.in);
    ra_release(c.a, c.r);
    sodium_memzero(c.cookie, sizeof(c.cookie));
    sodium_memzero(c.csrf, sizeof(c.csrf));
    return rc;
}

/* ----------------------------------------------------------- lifecycle */

static int load_settings(api *a, ra *r, const conf *cf, sertel_err *err)
{
    const char *tp = conf_get(cf, "api", "trusted_proxies");
    int64_t mib;
    int rc;

    rc = conf_get_int(cf, "api", "max_body_mib", DEFAULT_MAX_BODY_MIB, 1, 1024, &mib, err);
    if (rc != SERTEL_OK)
        return rc;
    a->max_body = (size_t)mib << 20;
    {
        int64_t files, pages, smem, queue, vqueue, rate, cores = sysconf(_SC_NPROCESSORS_ONLN);
        size_t kdf = ra_kdf_memory(r), slots;
        if ((rc = conf_get_int(cf, "api", "batch_max_files", DEFAULT_BATCH_MAX_FILES, 1,
                               HTTP_FORM_MAX_FIELDS - 16, &files, err)) != SERTEL_OK ||
            (rc = conf_get_int(cf, "api", "max_pages", DEFAULT_MAX_PAGES, 1, 10000000, &pages,
                               err)) != SERTEL_OK ||
            (rc = conf_get_int(cf, "api", "sign_memory_mib", DEFAULT_SIGN_MEMORY_MIB, 1, 1 << 20,
                               &smem, err)) != SERTEL_OK ||
            (rc = conf_get_int(cf, "api", "client_rate_per_minute", DEFAULT_RATE_PER_MINUTE, 0,
                               1000000, &rate, err)) != SERTEL_OK)
            return rc;
        if (cores < 1)
            cores = 1;
        /* Signing slots: one Argon2id derivation's memory each, no more than the cores. */
        slots = (size_t)smem * 1024 * 1024 / (kdf > 0 ? kdf : 1);
        if (slots == 0)
            return sertel_err_set(err, SERTEL_ERR_CONFIG,
                                  "[api] sign_memory_mib = %lld holds no passphrase check "
                                  "(Argon2id takes %zu MiB): raise it",
                                  (long long)smem, kdf >> 20);
        if (slots > (size_t)cores)
            slots = (size_t)cores;
        if ((rc = conf_get_int(cf, "api", "sign_queue", (int64_t)slots * QUEUE_PER_SLOT, 0, 4096,
                               &queue, err)) != SERTEL_OK ||
            (rc = conf_get_int(cf, "api", "verify_queue", cores * QUEUE_PER_SLOT, 0, 4096, &vqueue,
                               err)) != SERTEL_OK)
            return rc;
        a->batch_max_files = (size_t)files;
        a->max_pages = (size_t)pages;
        a->sign_memory = (size_t)smem << 20;
        a->rate_per_min = (unsigned)rate;
        if (sem_init(&a->kdf_slots, 0, (unsigned)slots) != 0)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot create a semaphore");
        a->kdf_init = 1;
        a->pools_init = 1;
        if ((rc = api_pool_start(&a->sign_pool, 2 * (unsigned)slots, (unsigned)queue, 500, err)) !=
                SERTEL_OK ||
            (rc = api_pool_start(&a->verify_pool, (unsigned)cores, (unsigned)vqueue, 500, err)) !=
                SERTEL_OK)
            return rc;
    }
    while (tp != NULL && *tp) {
        size_t n = strcspn(tp, ", \t");
        struct in6_addr tmp;
        if (n > 0) {
            if (a->ntrusted == sizeof(a->trusted) / sizeof(a->trusted[0]) ||
                n >= sizeof(a->trusted[0]))
                return sertel_err_set(err, SERTEL_ERR_CONFIG,
                                      "[api] trusted_proxies: at most 16 addresses");
            memcpy(a->trusted[a->ntrusted], tp, n);
            a->trusted[a->ntrusted][n] = '\0';
            if (inet_pton(AF_INET, a->trusted[a->ntrusted], &tmp) != 1 &&
                inet_pton(AF_INET6, a->trusted[a->ntrusted], &tmp) != 1)
                return sertel_err_set(err, SERTEL_ERR_CONFIG,
                                      "[api] trusted_proxies: '%s' is not an IP address "
                                      "(list the proxies' addresses, comma-separated)",
                                      a->trusted[a->ntrusted]);
            a->ntrusted++;
        }
        tp += n;
        while (*tp == ',' || *tp == ' ' || *tp == '\t')
            tp++;
    }
    return SERTEL_OK;
}

int api_open(const api_config *cfg, api **out, sertel_err *err)
{
    api *a;
    ra *r = NULL;
    int rc;

    *out = NULL;
    if (cfg->home == NULL || strlen(cfg->home) >= sizeof(a->home) ||
        (cfg->base_path != NULL && strlen(cfg->base_path) >= sizeof(a->base_path)))
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the home or base path is too long");
    a = calloc(1, sizeof(*a));
    if (a == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    snprintf(a->home, sizeof(a->home), "%s", cfg->home);
    snprintf(a->base_path, sizeof(a->base_path), "%s", cfg->base_path ? cfg->base_path : "");
    a->tls = cfg->tls;
    a->max_open = cfg->handles ? cfg->handles : DEFAULT_HANDLES;
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->cond, NULL);
    pthread_mutex_init(&a->rate_lock, NULL);
    a->free_ra = calloc(a->max_open, sizeof(*a->free_ra));
    a->rate = calloc(API_RATE_SLOTS, sizeof(*a->rate));
    if (a->free_ra == NULL || a->rate == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    /* One worker image for every handle's upload checks (it holds no keys). */
    if ((rc = sbx_new(NULL, &a->sb, err)) != SERTEL_OK)
        goto fail;
    if ((rc = ra_open_flags(a->home, CA_OPEN_ONLINE, &r, err)) != SERTEL_OK)
        goto fail;
    ra_set_sandbox(r, a->sb);
    if ((rc = load_settings(a, r, ca_get0_conf(ra_get0_ca(r)), err)) != SERTEL_OK) {
        ra_close(r);
        goto fail;
    }
    a->free_ra[a->nfree++] = r;
    a->nopen = 1;
    /* Each pool worker holds a handle while it runs: room for every one of them. */
    {
        size_t more = a->sign_pool.slots + a->verify_pool.slots;
        ra **grown = realloc(a->free_ra, (a->max_open + more) * sizeof(*a->free_ra));
        if (grown == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            goto fail;
        }
        a->free_ra = grown;
        a->max_open += more;
    }
    a->services = cfg->services;
    if (a->services == NULL && (rc = pki_open(a->home, &a->own_services, err)) != SERTEL_OK)
        goto fail;
    if (a->services == NULL)
        a->services = a->own_services;
    if (cfg->spool_dir != NULL)
        rc =
            snprintf(a->spool_dir, sizeof(a->spool_dir), "%s", cfg->spool_dir) <
                    (int)sizeof(a->spool_dir)
                ? SERTEL_OK
                : sertel_err_set(err, SERTEL_ERR_INVALID, "the spool directory's path is too long");
    else
        rc = fs_path_join(a->spool_dir, sizeof(a->spool_dir), a->home, "spool", err);
    if (rc != SERTEL_OK)
        goto fail;
    /* What expired while no server ran goes at once. */
    api_tick(a, (int64_t)time(NULL));
    *out = a;
    return SERTEL_OK;
fail:
    api_close(a);
    return rc;
}

int api_routes(api *a, http_route *routes, size_t cap, size_t *n, sertel_err *err)
{
    size_t t, i, total = 0, k = 0;

    for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        total += *tables[t].n;
    if (total > cap - *n)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the API has %zu routes, room for %zu",
                              total, cap - *n);
    free(a->routes);
    a->routes = calloc(total, sizeof(*a->routes));
    if (a->routes == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    a->nroutes = total;
    for (t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        for (i = 0; i < *tables[t].n; i++, k++) {
            const api_endpoint *ep = &tables[t].eps[i];
            api_route *rt = &a->routes[k];
            size_t max = ep->max_body               ? ep->max_body
                         : ep->in == API_IN_FORM    ? a->max_body
                         : ep->flags & API_F_UPLOAD ? a->max_body
                         : ep->in == API_IN_JSON    ? JSON_BODY_MAX
                                                    : 0;
            rt->a = a;
            rt->ep = ep;
            snprintf(rt->path, sizeof(rt->path), "%s%s", a->base_path, ep->path);
            routes[(*n)++] =
                (http_route){ep->method,
                             rt->path,
                             (ep->flags & API_F_PREFIX) != 0,
                             ep->in == API_IN_JSON ? "application/json" : NULL,
                             max,
                             ep->name,
                             dispatch,
                             rt,
                             ep->in == API_IN_FORM ? HTTP_BODY_FORM : HTTP_BODY_BUFFER};
        }
    }
    return SERTEL_OK;
}

#define TICK_SECONDS 60

void api_tick(api *a, int64_t now)
{
    sertel_err err = {0};
    size_t n = 0;
    ra *r = NULL;

    if (now < a->next_tick)
        return;
    a->next_tick = now + TICK_SECONDS;
    if (ra_acquire(a, &r, &err) != SERTEL_OK) {
        fprintf(stderr, "sertel: api: housekeeping postponed: %s\n", err.msg);
        return;
    }
    if (ra_download_purge(r, now, &n, &err) != SERTEL_OK) {
        fprintf(stderr, "sertel: api: kept downloads not purged: %s\n", err.msg);
        sertel_err_clear(&err);
    } else if (n > 0) {
        fprintf(stderr, "sertel: api: %zu signed file(s) past their download retention deleted\n",
                n);
    }
    if (ra_sign_session_purge(r, now, &n, &err) != SERTEL_OK)
        fprintf(stderr, "sertel: api: expired signing sessions not purged: %s\n", err.msg);
    ra_release(a, r);
}

void api_close(api *a)
{
    size_t i;

    if (a == NULL)
        return;
    if (a->pools_init) {
        api_pool_stop(&a->sign_pool); /* the queues are empty: the server has stopped */
        api_pool_stop(&a->verify_pool);
        a->pools_init = 0;
    }
    for (i = 0; i < a->nfree; i++)
        ra_close(a->free_ra[i]);
    free(a->free_ra);
    sbx_free(a->sb); /* after the handles that borrowed it */
    free(a->routes);
    free(a->rate);
    pki_close(a->own_services);
    if (a->kdf_init)
        sem_destroy(&a->kdf_slots);
    pthread_mutex_destroy(&a->rate_lock);
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->cond);
    free(a);
}
