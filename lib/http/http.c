/*
 * http.c - the HTTP/1.1 server behind `sertel serve`, on GNU libmicrohttpd
 * (0.9.75 in Debian 12): a pool of epoll threads, a route table, per-route
 * body caps and content types, caching headers and conditional GET
 * (RFC 9110 §8.8, §13.1.2: If-None-Match, weak comparison), a JSON access
 * log, Prometheus metrics (text exposition format 0.0.4) and a graceful
 * shutdown. See http.h for the contract.
 *
 * Defences libmicrohttpd 0.9.75 lacks (http.h says what each one does):
 * a request-head deadline enforced by a reaper thread over a list of the
 * connections (kept by the connection notifications, so a request costs
 * only a timestamp store), refusal of ambiguous message framing (RFC 9112
 * §6.1 and §6.3, RFC 9110 §8.6) and of malformed fields and Host (RFC 9112
 * §3.2, §5.1) when a request's head is complete, and a percent-decoder
 * that marks request targets carrying spaces or control characters.
 *
 * Native TLS (optional): libmicrohttpd with GnuTLS, TLS 1.2 (RFC 5246) and
 * 1.3 (RFC 8446) only; the certificate and key are handed over in memory.
 *
 * Per-request state lives in a context that belongs to the connection
 * (libmicrohttpd handles one request at a time per connection), so a
 * request costs no allocation here beyond libmicrohttpd's own response
 * object; the request-body buffer is kept for the connection's next
 * request unless it grew large.
 */
#include "http/http.h"
#include "util/num.h"
#include "util/dynbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MAX_CONNECTIONS 1024
#define DEFAULT_TIMEOUT_S 15
#define DEFAULT_HEADER_MEMORY (16 * 1024)
#define DEFAULT_PER_IP_LIMIT 64
#define DEFAULT_HEADER_TIMEOUT_S 10
/* GnuTLS priorities of native TLS: its defaults, without anything older than TLS 1.2. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/* File descriptors kept aside from the connection cap: the listening
 * socket, each thread's epoll and wake-up descriptors, the database, logs. */
#define FD_RESERVE 64
#define NS_PER_S 1000000000LL
#define LISTEN_BACKLOG 1024
#define LOG_PATH_MAX 256
#define BODY_KEEP_MAX (8 * 1024) /* body buffers larger than this are freed after use */
/* With no request in progress, connections that stayed idle this long
 * during a shutdown are idle keep-alive connections: closing them loses
 * nothing. */
#define DRAIN_IDLE_NS (500LL * 1000 * 1000)

/* Latency histogram bucket bounds (upper, inclusive) in microseconds. */
static const int64_t bucket_us[] = {100,   250,   500,    1000,   2500,   5000,
                                    10000, 25000, 100000, 250000, 1000000};
static const char *const bucket_le[] = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
                                        "0.01",   "0.025",   "0.1",    "0.25",  "1",      "+Inf"};
#define NBUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]) + 1)

typedef struct route_stats {
    atomic_uint_fast64_t by_class[5]; /* 1xx .. 5xx */
    atomic_uint_fast64_t buckets[NBUCKETS];
    atomic_uint_fast64_t sum_us;
} route_stats;

/* Slots: the routes, then "none" for requests that matched no route. */
#define MAX_SLOTS (HTTP_MAX_ROUTES + 3)

typedef struct conn_ctx conn_ctx;
struct MHD_Connection;
static void client_ip(struct MHD_Connection *c, char *ip, size_t cap);

/* A field of a form body being received. */
typedef struct form_part {
    char *name, *filename, *content_type;
    dynbuf value; /* text fields */
    int fd;       /* file parts: the unnamed spool file; else -1 */
    size_t len;
} form_part;

struct http_server {
    struct MHD_Daemon *d;
    int lfd; /* ours until MHD owns it */
    http_route routes[HTTP_MAX_ROUTES + 2];
    size_t nroutes;
    route_stats stats[MAX_SLOTS];
    atomic_int draining;
    atomic_long in_flight;
    atomic_long deferred; /* requests handed to another thread (http_defer), not answered yet */
    atomic_long connections;
    atomic_int_fast64_t last_activity_ns;
    atomic_int_fast64_t log_window; /* rate limit of libmicrohttpd's messages */
    atomic_long log_count, log_dropped;
    atomic_uint_fast64_t header_timeouts; /* connections closed by the reaper */
    /* The connections, for the reaper. reg_lock guards the list, each
     * entry's reaped flag and reaper_stop; an entry leaves the list (in the
     * close notification) before libmicrohttpd closes its socket, so the
     * reaper never touches a descriptor that was closed or reused. */
    pthread_mutex_t reg_lock;
    pthread_cond_t reg_cond;
    bool reg_init;
    conn_ctx *reg_head;
    pthread_t reaper;
    bool reaper_running;
    bool reaper_stop;
    unsigned header_timeout_s;
    FILE *access_log;
    FILE *error_log;
    http_metrics_fn metrics;
    void *metrics_arg;
    char spool_dir[256];
    char url[80];
    unsigned port;
    int tls; /* 1: every connection is TLS */
};

/* One per connection; describes the request in progress on it. */
struct conn_ctx {
    http_server *s;
    conn_ctx *prev, *next; /* s->reg_head list, under s->reg_lock */
    int fd;                /* the socket, for the reaper's shutdown(); -1: unknown */
    bool reaped;           /* under s->reg_lock */
    /* Monotonic time since which the connection waits for a request head
     * (accepted, or the previous answer sent); 0 while a request is being
     * handled. */
    atomic_int_fast64_t head_since_ns;
    bool bad_target;         /* the target held a space or control character (raw or decoded) */
    bool close_after;        /* answer with "Connection: close" */
    size_t slot;             /* index into s->stats; s->nroutes: no route */
    const http_route *route; /* NULL: no route matched */
    int64_t t0_ns;
    dynbuf body;     /* the request body, capped at the route's max_body */
    size_t received; /* body bytes received (form routes count here too) */
    /* "{}" segments of the route's path, copied out of the URL */
    char parambuf[1024];
    const char *params[HTTP_MAX_PARAMS];
    size_t nparams;
    /* form routes */
    struct MHD_PostProcessor *pp;
    form_part parts[HTTP_FORM_MAX_FIELDS];
    http_field fields[HTTP_FORM_MAX_FIELDS];
    size_t nparts;
    const char *form_problem; /* why the form was refused, or NULL */
    int form_status;          /* 400, 413 or 500 with form_problem */
    bool too_big;
    bool responded;
    /* The request as the handler saw it, kept for a deferred answer (http_defer). */
    bool deferred;
    struct MHD_Connection *conn;
    http_request req;
    http_response resp;
    char peer[64];
    int status;
    size_t bytes;
    /* for the access log, copied only when it is on */
    char method[20];
    char path[LOG_PATH_MAX + 1];
    bool path_cut;
};

static int64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---------------------------------------------------------------- listen */

int http_parse_listen(const char *s, void *out, unsigned *outlen, sertel_err *err)
{
    struct sockaddr_storage *ss = out;
    char host[INET6_ADDRSTRLEN + 1];
    const char *port, *end;
    size_t hlen;
    int64_t pv;

    memset(ss, 0, sizeof(*ss));
    if (s[0] == '[') {
        end = strchr(s, ']');
        if (end == NULL || end[1] != ':')
            goto bad;
        hlen = (size_t)(end - (s + 1));
        if (hlen == 0 || hlen >= sizeof(host))
            goto bad;
        memcpy(host, s + 1, hlen);
        port = end + 2;
    } else {
        end = strchr(s, ':');
        if (end == NULL || strchr(end + 1, ':') != NULL)
            goto bad;
        hlen = (size_t)(end - s);
        if (hlen == 0 || hlen >= sizeof(host))
            goto bad;
        memcpy(host, s, hlen);
        port = end + 1;
    }
    host[hlen] = '\0';
    if (port[0] < '0' || port[0] > '9' || strlen(port) > 5)
        goto bad;
    if (num_parse_i64z(port, 0, 65535, &pv) != SERTEL_OK)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "listen address '%s': port %s is not between 0 and 65535", s, port);
    if (s[0] == '[') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "listen address '%s': '%s' is not an IPv6 address", s, host);
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)pv);
        *outlen = sizeof(*a6);
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
        if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "listen address '%s': '%s' is not an IPv4 address (host "
                                  "names are not resolved; IPv6 goes in brackets: [::1]:8080)",
                                  s, host);
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)pv);
        *outlen = sizeof(*a4);
    }
    return SERTEL_OK;
bad:
    return sertel_err_set(err, SERTEL_ERR_INVALID,
                          "listen address '%s' is not ADDR:PORT: give an IPv4 address and a "
                          "port (127.0.0.1:8080) or an IPv6 address in brackets ([::1]:8080)",
                          s);
}

static int open_listener(const char *listen_s, int tls, int *fd_out, unsigned *port_out, char *url,
                         size_t urlcap, sertel_err *err)
{
    struct sockaddr_storage ss;
    unsigned sslen = 0;
    socklen_t len;
    char host[INET6_ADDRSTRLEN];
    int fd = -1, one = 1, rc;

    if ((rc = http_parse_listen(listen_s, &ss, &sslen, err)) != SERTEL_OK)
        return rc;
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot create a socket for %s: %s", listen_s,
                              strerror(errno));
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        (ss.ss_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot set socket options for %s: %s", listen_s,
                            strerror(errno));
        goto fail;
    }
    if (bind(fd, (struct sockaddr *)&ss, (socklen_t)sslen) != 0) {
        int e = errno;
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot listen on %s: %s%s", listen_s, strerror(e),
                            e == EADDRINUSE      ? " (another server is using the port: stop it or "
                                                   "give another one with --listen)"
                            : e == EADDRNOTAVAIL ? " (the address is not one of this machine's)"
                            : e == EACCES        ? " (ports below 1024 need privileges)"
                                                 : "");
        goto fail;
    }
    if (listen(fd, LISTEN_BACKLOG) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot listen on %s: %s", listen_s,
                            strerror(errno));
        goto fail;
    }
    len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "getsockname: %s", strerror(errno));
        goto fail;
    }
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
        *port_out = ntohs(a6->sin6_port);
        snprintf(url, urlcap, "%s://[%s]:%u", tls ? "https" : "http", host, *port_out);
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
        *port_out = ntohs(a4->sin_port);
        snprintf(url, urlcap, "%s://%s:%u", tls ? "https" : "http", host, *port_out);
    }
    *fd_out = fd;
    return SERTEL_OK;
fail:
    close(fd);
    return rc;
}

/* ------------------------------------------------------------- helpers */

/* IMF-fixdate (RFC 9110 §5.6.7), independent of the locale. */
static void http_date(int64_t t, char *out, size_t cap)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char mons[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
        tm.tm_mon > 11) {
        snprintf(out, cap, "Thu, 01 Jan 1970 00:00:00 GMT");
        return;
    }
    snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
             mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* "type/subtype" of a Content-Type value equals want (case-insensitive). */
static bool media_type_is(const char *ct, const char *want)
{
    size_t n = strlen(want);

    if (ct == NULL)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, want, n) != 0)
        return false;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

/* If-None-Match (RFC 9110 §13.1.2) lists etag, by weak comparison, or is "*". */
static bool etag_matches(const char *inm, const char *etag)
{
    const char *p = inm, *tag = etag;
    size_t tlen;

    if (strncmp(tag, "W/", 2) == 0)
        tag += 2;
    tlen = strlen(tag);
    while (*p) {
        const char *start, *end;
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        if (*p == '*')
            return true;
        start = p;
        if (strncmp(start, "W/", 2) == 0)
            start += 2;
        end = start;
        if (*end == '"') {
            end = strchr(end + 1, '"');
            if (end == NULL)
                return false;
            end++;
        } else {
            while (*end && *end != ',')
                end++;
        }
        if ((size_t)(end - start) == tlen && memcmp(start, tag, tlen) == 0)
            return true;
        p = end;
    }
    return false;
}

static void log_error(http_server *s, const char *fmt, ...) SERTEL_PRINTF(2, 3);
static void log_error(http_server *s, const char *fmt, ...)
{
    char line[1200];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n] = '\n';
    fwrite(line, 1, (size_t)n + 1, s->error_log);
}

/* libmicrohttpd's own messages. Hostile clients can cause one per request
 * (oversized headers, broken framing), so at most LOG_BURST a second get
 * through and the rest are counted. */
#define LOG_BURST 5
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    http_server *s = cls;
    int64_t sec = mono_ns() / 1000000000LL;
    int64_t win = atomic_load_explicit(&s->log_window, memory_order_relaxed);
    char msg[512];
    size_t n;
    long dropped = 0;

    if (win != sec && atomic_compare_exchange_strong(&s->log_window, &win, sec)) {
        atomic_store(&s->log_count, 0);
        dropped = atomic_exchange(&s->log_dropped, 0);
    }
    if (atomic_fetch_add(&s->log_count, 1) >= LOG_BURST) {
        atomic_fetch_add(&s->log_dropped, 1);
        return;
    }
    if (dropped > 0)
        log_error(s, "sertel: http: (%ld similar messages suppressed)", dropped);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_error(s, "sertel: http: %s", msg);
}

/* ------------------------------------------------------------ responses */

static enum MHD_Result queue(conn_ctx *cx, struct MHD_Connection *c, const http_response *r,
                             const char *allow, bool with_body)
{
    http_server *s = cx->s;
    struct MHD_Response *resp;
    size_t len = with_body ? r->len : 0;
    char v[96];
    enum MHD_Result ret;

    if (len > 0 && r->body_free != NULL)
        resp = MHD_create_response_from_buffer_with_free_callback_cls(
            len, (void *)r->body, r->body_free, (void *)r->body);
    else
        resp = MHD_create_response_from_buffer(len, (void *)r->body, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        if (r->body_free != NULL)
            r->body_free((void *)r->body);
        return MHD_NO;
    }
    if (len == 0 && r->body_free != NULL)
        r->body_free((void *)r->body); /* not handed to MHD */
    if (r->content_type[0] && r->status != 304)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    if (r->no_store) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    } else if (r->max_age > 0) {
        snprintf(v, sizeof(v), "max-age=%lld, public, no-transform, must-revalidate",
                 (long long)r->max_age);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, v);
    } else if (r->max_age == 0) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    }
    if (r->etag[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
    if (r->last_modified > 0) {
        http_date(r->last_modified, v, sizeof(v));
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, v);
    }
    if (r->expires > 0) {
        http_date(r->expires, v, sizeof(v));
        MHD_add_response_header(resp, MHD_HTTP_HEADER_EXPIRES, v);
    }
    if (allow != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    for (size_t at = 0; at < r->extra_len && at < sizeof(r->extra);) {
        const char *name = r->extra + at, *value = name + strlen(name) + 1;
        MHD_add_response_header(resp, name, value);
        at = (size_t)(value - r->extra) + strlen(value) + 1;
    }
    if (cx->close_after || atomic_load_explicit(&s->draining, memory_order_relaxed))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    if (ret == MHD_YES) {
        cx->responded = true;
        cx->status = r->status;
        cx->bytes = len;
    }
    return ret;
}

/* A plain-text answer for errors the server decides itself. */
static enum MHD_Result reply_text(conn_ctx *cx, struct MHD_Connection *c, int status,
                                  const char *allow, const char *fmt, ...) SERTEL_PRINTF(5, 6);
static enum MHD_Result reply_text(conn_ctx *cx, struct MHD_Connection *c, int status,
                                  const char *allow, const char *fmt, ...)
{
    http_response r = {0};
    char *text = NULL;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0)
        return MHD_NO;
    r.status = status;
    snprintf(r.content_type, sizeof(r.content_type), "text/plain; charset=utf-8");
    r.body = (const unsigned char *)text;
    r.len = (size_t)n;
    r.body_free = free;
    r.max_age = 0;
    return queue(cx, c, &r, allow, true);
}

/* --------------------------------------------------- built-in handlers */

static int handle_healthz(const http_request *req, http_response *resp, sertel_err *err)
{
    http_server *s = req->arg;

    (void)err;
    snprintf(resp->content_type, sizeof(resp->content_type), "text/plain; charset=utf-8");
    if (atomic_load_explicit(&s->draining, memory_order_relaxed)) {
        resp->status = 503;
        resp->body = (const unsigned char *)"shutting down\n";
        resp->len = 14;
    } else {
        resp->body = (const unsigned char *)"ok\n";
        resp->len = 3;
    }
    return SERTEL_OK;
}

static void write_metrics(http_server *s, FILE *f)
{
    static const char *const cls[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    size_t i, k;
    uint64_t us;

    fputs("# HELP sertel_http_requests_total HTTP requests answered, by route and status "
          "class.\n# TYPE sertel_http_requests_total counter\n",
          f);
    for (i = 0; i <= s->nroutes; i++) {
        const char *name = i < s->nroutes ? s->routes[i].name : "none";
        for (k = 0; k < 5; k++) {
            uint64_t n = atomic_load_explicit(&s->stats[i].by_class[k], memory_order_relaxed);
            if (n > 0 || k == 1)
                fprintf(f, "sertel_http_requests_total{route=\"%s\",code=\"%s\"} %llu\n", name,
                        cls[k], (unsigned long long)n);
        }
    }
    fputs("# HELP sertel_http_request_duration_seconds Time from a request's headers to the "
          "last byte of its answer.\n# TYPE sertel_http_request_duration_seconds histogram\n",
          f);
    for (i = 0; i <= s->nroutes; i++) {
        const char *name = i < s->nroutes ? s->routes[i].name : "none";
        uint64_t cum = 0;
        for (k = 0; k < NBUCKETS; k++) {
            cum += atomic_load_explicit(&s->stats[i].buckets[k], memory_order_relaxed);
            fprintf(f, "sertel_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} %llu\n",
                    name, bucket_le[k], (unsigned long long)cum);
        }
        /* Seconds from whole microseconds: a '.' whatever the locale (no %f). */
        us = atomic_load_explicit(&s->stats[i].sum_us, memory_order_relaxed);
        fprintf(f, "sertel_http_request_duration_seconds_sum{route=\"%s\"} %llu.%06llu\n", name,
                (unsigned long long)(us / 1000000), (unsigned long long)(us % 1000000));
        fprintf(f, "sertel_http_request_duration_seconds_count{route=\"%s\"} %llu\n", name,
                (unsigned long long)cum);
    }
    fprintf(f,
            "# HELP sertel_http_requests_in_flight Requests being received, handled or sent.\n"
            "# TYPE sertel_http_requests_in_flight gauge\nsertel_http_requests_in_flight %ld\n"
            "# HELP sertel_http_connections_open Open client connections.\n"
            "# TYPE sertel_http_connections_open gauge\nsertel_http_connections_open %ld\n",
            atomic_load(&s->in_flight), atomic_load(&s->connections));
    fprintf(f,
            "# HELP sertel_http_header_timeouts_total Connections closed because they sent no "
            "complete request head in time.\n# TYPE sertel_http_header_timeouts_total counter\n"
            "sertel_http_header_timeouts_total %llu\n",
            (unsigned long long)atomic_load_explicit(&s->header_timeouts, memory_order_relaxed));
}

static int handle_metrics(const http_request *req, http_response *resp, sertel_err *err)
{
    http_server *s = req->arg;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (f == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "metrics: open_memstream failed");
    write_metrics(s, f);
    if (s->metrics != NULL)
        s->metrics(s->metrics_arg, f);
    if (fclose(f) != 0) {
        free(text);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "metrics: out of memory");
    }
    snprintf(resp->content_type, sizeof(resp->content_type), "text/plain; version=0.0.4");
    resp->body = (const unsigned char *)text;
    resp->len = len;
    resp->body_free = free;
    return SERTEL_OK;
}

/* ------------------------------------------------------- request flow */

static bool method_is(const char *m, const char *route_m)
{
    return strcmp(m, route_m) == 0 ||
           (strcmp(route_m, "GET") == 0 && strcmp(m, MHD_HTTP_METHOD_HEAD) == 0);
}

/*
 * Does url match the route's path? A "{}" segment in the path matches one
 * non-empty segment of url. With cx, the matched segments are copied into
 * cx->params (a segment too long for the buffer does not match).
 */
static bool match_path(const http_route *r, const char *url, conn_ctx *cx)
{
    const char *p = r->path, *u = url;
    size_t used = 0, np = 0;

    if (strchr(p, '{') == NULL) {
        if (r->prefix)
            return strncmp(url, p, strlen(p)) == 0;
        return strcmp(url, p) == 0;
    }
    while (*p) {
        if (p[0] == '{' && p[1] == '}') {
            size_t n = strcspn(u, "/");
            if (n == 0 || np == HTTP_MAX_PARAMS)
                return false;
            if (cx != NULL) {
                if (used + n + 1 > sizeof(cx->parambuf))
                    return false;
                memcpy(cx->parambuf + used, u, n);
                cx->parambuf[used + n] = '\0';
                cx->params[np] = cx->parambuf + used;
                used += n + 1;
            }
            np++;
            u += n;
            p += 2;
            continue;
        }
        if (*p++ != *u++)
            return false;
    }
    if (cx != NULL)
        cx->nparams = np;
    return r->prefix || *u == '\0';
}

static bool path_matches(const http_route *r, const char *url)
{
    return match_path(r, url, NULL);
}

/* Find the route; on a path match with another method, fill allow. */
static const http_route *find_route(http_server *s, const char *url, const char *method,
                                    size_t *slot, char *allow, size_t allowcap, bool *path_found)
{
    size_t i, used = 0;

    *path_found = false;
    allow[0] = '\0';
    for (i = 0; i < s->nroutes; i++) {
        const http_route *r = &s->routes[i];
        if (!path_matches(r, url))
            continue;
        if (method_is(method, r->method)) {
            *slot = i;
            return r;
        }
        if (!*path_found)
            *slot = i;
        *path_found = true;
        if (strstr(allow, r->method) == NULL) {
            int n = snprintf(allow + used, allowcap - used, "%s%s%s", used ? ", " : "", r->method,
                             strcmp(r->method, "GET") == 0 ? ", HEAD" : "");
            if (n > 0 && (size_t)n < allowcap - used)
                used += (size_t)n;
        }
    }
    if (!*path_found)
        *slot = s->nroutes;
    return NULL;
}

/* What a request head says about its body's framing and its fields. */
typedef struct framing {
    unsigned n_cl, n_te, n_host;
    const char *cl; /* the first Content-Length value */
    bool cl_differ; /* a later Content-Length differs from the first */
    bool te_other;  /* a Transfer-Encoding value other than "chunked" */
    bool bad_name;  /* a field name that is not a token */
    bool bad_value; /* a field value with a control character */
} framing;

/*
 * Byte classes of request fields, one table lookup per byte (every
 * request's field names and values pass through here): HDR_TCHAR for tchar
 * of RFC 9110 §5.6.2 (letters, digits, "!#$%&'*+-.^_`|~"), HDR_VALUE for a
 * byte a field value may hold (§5.5: HTAB, SP, VCHAR, obs-text; not the
 * other control characters or DEL). NUL has neither, which ends the loops.
 * The unit tests send every byte in a field name.
 */
enum { HDR_TCHAR = 1, HDR_VALUE = 2 };
static const unsigned char hdr_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    2, 3, 2, 3, 3, 3, 3, 3, 2, 2, 3, 3, 2, 3, 3, 2, /* 0x20 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, /* 0x30 */
    2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x40 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 3, 3, /* 0x50 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x60 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 3, 2, 3, 0, /* 0x70 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0x80 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0x90 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xa0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xb0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xc0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xd0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xe0 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, /* 0xf0 */
};

/* A field name is a token (RFC 9110 §5.1). libmicrohttpd keeps whitespace
 * before the colon in the name ("Transfer-Encoding ") and glues a folded
 * line that starts with whitespace onto the previous field's name. */
static bool is_token(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (hdr_class[*p] & HDR_TCHAR)
        p++;
    return *p == '\0' && p != (const unsigned char *)s;
}

/* No control characters but HTAB in a field value (RFC 9110 §5.5). */
static bool is_field_value(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (hdr_class[*p] & HDR_VALUE)
        p++;
    return *p == '\0';
}

int http_response_header(http_response *resp, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);

    if (nl == 0 || !is_token(name) || !is_field_value(value) ||
        resp->extra_len > sizeof(resp->extra) ||
        nl + vl + 2 > sizeof(resp->extra) - resp->extra_len)
        return SERTEL_ERR_INVALID;
    memcpy(resp->extra + resp->extra_len, name, nl + 1);
    memcpy(resp->extra + resp->extra_len + nl + 1, value, vl + 1);
    resp->extra_len += nl + vl + 2;
    return SERTEL_OK;
}

static enum MHD_Result note_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    framing *f = cls;

    (void)kind;
    if (key == NULL || !is_token(key)) {
        f->bad_name = true;
        return MHD_YES;
    }
    if (value != NULL && !is_field_value(value))
        f->bad_value = true;
    /* the first letter picks the one name worth comparing */
    switch (key[0] | 0x20) {
    case 'c':
        if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0)
            break;
        if (f->n_cl++ == 0)
            f->cl = value;
        else if (value == NULL || f->cl == NULL || strcmp(value, f->cl) != 0)
            f->cl_differ = true;
        break;
    case 'h':
        if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
            f->n_host++;
        break;
    case 't':
        if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) != 0)
            break;
        f->n_te++;
        /* Coding names are case-insensitive (RFC 9112 §7); only one coding,
         * chunked, with nothing around it. */
        if (value == NULL || strcasecmp(value, "chunked") != 0)
            f->te_other = true;
        break;
    default:
        break;
    }
    return MHD_YES;
}

/*
 * Why the head is ambiguous (a smuggling attempt, or a client that two
 * parsers could read differently), or NULL when it is not: field names
 * that are not tokens (RFC 9112 §5.1: whitespace before the colon MUST be
 * refused with 400), control characters in values (RFC 9110 §5.5), no
 * Host in HTTP/1.1 or more than one Host (RFC 9112 §3.2: MUST be 400),
 * Transfer-Encoding other than chunked or outside HTTP/1.1 (RFC 9112
 * §6.1), both Content-Length and Transfer-Encoding (§6.3), Content-Length
 * values that differ (RFC 9110 §8.6). Fills f for the caller's
 * Content-Length check.
 */
static const char *framing_problem(struct MHD_Connection *c, const char *version, framing *f)
{
    memset(f, 0, sizeof(*f));
    MHD_get_connection_values(c, MHD_HEADER_KIND, note_framing, f);
    if (f->bad_name)
        return "a header field name that is not a token (whitespace before the colon, or a "
               "folded line)";
    if (f->bad_value)
        return "a header field value with a control character";
    if (f->n_host > 1)
        return "more than one Host field";
    if (f->n_host == 0 && version != NULL && strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
        return "an HTTP/1.1 request without Host";
    if (f->cl_differ)
        return "two Content-Length fields with different values";
    if (f->n_te > 0 && f->n_cl > 0)
        return "both Content-Length and Transfer-Encoding";
    if (f->n_te > 1 || f->te_other)
        return "a Transfer-Encoding other than one \"chunked\"";
    if (f->n_te > 0 && version != NULL && strcmp(version, MHD_HTTP_VERSION_1_1) != 0)
        return "Transfer-Encoding in a request that is not HTTP/1.1";
    return NULL;
}

/*
 * The percent-decoder for request targets (MHD_OPTION_UNESCAPE_CALLBACK;
 * libmicrohttpd calls it for the path and for query names and values):
 * libmicrohttpd's own decoding, plus a mark on the connection, which
 * begin_request answers with 400, when the target as sent holds a space or
 * a control character (RFC 9112 §3.2: the target has none; libmicrohttpd
 * would take "GET /a b HTTP/1.1" as the path "/a b"), or when a decoded
 * byte is a control character (a decoded NUL would cut the path short).
 */
static size_t unescape_target(void *cls, struct MHD_Connection *c, char *str)
{
    const unsigned char *p;
    const union MHD_ConnectionInfo *ci;
    bool bad = false;
    size_t n, i;

    (void)cls;
    for (p = (const unsigned char *)str; *p && !bad; p++)
        bad = *p <= 0x20 || *p == 0x7f;
    n = MHD_http_unescape(str);
    for (i = 0; i < n && !bad; i++) {
        unsigned char ch = (unsigned char)str[i];
        bad = ch < 0x20 || ch == 0x7f;
    }
    if (bad) {
        ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        if (ci != NULL && ci->socket_context != NULL)
            ((conn_ctx *)ci->socket_context)->bad_target = true;
    }
    return n;
}

/* ----------------------------------------------------------- form bodies */

/* Drop a form's parts and spool files (after the answer, or a failure). */
static void form_reset(conn_ctx *cx)
{
    size_t i;

    if (cx->pp != NULL) {
        MHD_destroy_post_processor(cx->pp);
        cx->pp = NULL;
    }
    for (i = 0; i < cx->nparts; i++) {
        form_part *fp = &cx->parts[i];
        free(fp->name);
        free(fp->filename);
        free(fp->content_type);
        dynbuf_free(&fp->value);
        if (fp->fd >= 0)
            close(fp->fd);
    }
    cx->nparts = 0;
    cx->form_problem = NULL;
    cx->form_status = 0;
}

static enum MHD_Result form_fail(conn_ctx *cx, int status, const char *why)
{
    if (cx->form_problem == NULL) {
        cx->form_problem = why;
        cx->form_status = status;
    }
    return MHD_NO;
}

static char *dup_or_null(const char *v)
{
    return v != NULL ? strdup(v) : NULL;
}

/* libmicrohttpd's post processor hands each field's bytes here, in pieces
 * (off: where the piece starts in the field's value). */
static enum MHD_Result form_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *filename, const char *content_type,
                                 const char *transfer_encoding, const char *data, uint64_t off,
                                 size_t size)
{
    conn_ctx *cx = cls;
    form_part *fp = cx->nparts > 0 ? &cx->parts[cx->nparts - 1] : NULL;

    (void)kind;
    (void)transfer_encoding;
    if (cx->form_problem != NULL)
        return MHD_NO;
    if (key == NULL)
        return form_fail(cx, 400, "a form field has no name");
    if (fp == NULL || (off == 0 && (fp->len > 0 || strcmp(fp->name, key) != 0))) {
        if (cx->nparts == HTTP_FORM_MAX_FIELDS)
            return form_fail(cx, 413, "too many form fields (at most 64)");
        fp = &cx->parts[cx->nparts++];
        memset(fp, 0, sizeof(*fp));
        fp->fd = -1;
        dynbuf_init(&fp->value, HTTP_FORM_TEXT_MAX);
        fp->name = strdup(key);
        fp->filename = dup_or_null(filename);
        fp->content_type = dup_or_null(content_type);
        if (fp->name == NULL || (filename != NULL && fp->filename == NULL) ||
            (content_type != NULL && fp->content_type == NULL))
            return form_fail(cx, 500, "out of memory");
        if (filename != NULL) {
            fp->fd = open(cx->s->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
            if (fp->fd < 0) {
                log_error(cx->s, "sertel: http: cannot spool an upload in %s: %s", cx->s->spool_dir,
                          strerror(errno));
                return form_fail(cx, 500, "cannot store the upload");
            }
        }
    }
    if (size == 0)
        return MHD_YES;
    if (fp->fd >= 0) {
        size_t done = 0;
        while (done < size) {
            ssize_t w = write(fp->fd, data + done, size - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                log_error(cx->s, "sertel: http: cannot spool an upload in %s: %s", cx->s->spool_dir,
                          w < 0 ? strerror(errno) : "short write");
                return form_fail(cx, 500, "cannot store the upload");
            }
            done += (size_t)w;
        }
    } else if (dynbuf_add(&fp->value, data, size) != SERTEL_OK) {
        return form_fail(cx, 413, "a text field of the form is longer than 64 KiB");
    }
    fp->len += size;
    return MHD_YES;
}

/* The form is complete: hand its fields to the handler. */
static bool form_finish(conn_ctx *cx)
{
    size_t i;

    if (cx->pp != NULL) {
        enum MHD_Result ok = MHD_destroy_post_processor(cx->pp);
        cx->pp = NULL;
        if (ok != MHD_YES)
            form_fail(cx, 400, "the form body is malformed or ended early");
    }
    if (cx->form_problem != NULL)
        return false;
    for (i = 0; i < cx->nparts; i++) {
        form_part *fp = &cx->parts[i];
        http_field *f = &cx->fields[i];
        f->name = fp->name;
        f->filename = fp->filename;
        f->content_type = fp->content_type;
        f->fd = fp->fd;
        f->len = fp->len;
        f->value = NULL;
        if (fp->fd < 0)
            f->value = (const unsigned char *)(fp->value.p != NULL ? fp->value.p : "");
        else if (lseek(fp->fd, 0, SEEK_SET) != 0)
            return form_fail(cx, 500, "cannot read the stored upload") == MHD_YES;
    }
    return true;
}

/* The first call for a request: route it and check what can be checked
 * before the body arrives. Returns MHD_YES to go on reading the body. */
static enum MHD_Result begin_request(conn_ctx *cx, struct MHD_Connection *c, const char *url,
                                     const char *method, const char *version)
{
    http_server *s = cx->s;
    char allow[128];
    bool path_found;
    const char *ct, *why;
    const http_route *r;
    framing fr;

    cx->t0_ns = mono_ns();
    /* The head is complete: the reaper leaves the connection alone until
     * the answer has been sent. */
    atomic_store_explicit(&cx->head_since_ns, 0, memory_order_relaxed);
    dynbuf_reset(&cx->body);
    form_reset(cx);
    cx->received = 0;
    cx->nparams = 0;
    cx->too_big = false;
    cx->responded = false;
    cx->close_after = false;
    cx->status = 0;
    cx->bytes = 0;
    atomic_fetch_add_explicit(&s->in_flight, 1, memory_order_relaxed);
    atomic_store_explicit(&s->last_activity_ns, cx->t0_ns, memory_order_relaxed);
    if (s->access_log != NULL) {
        size_t ml = strnlen(method, sizeof(cx->method) - 1), pl = strnlen(url, LOG_PATH_MAX + 1);
        memcpy(cx->method, method, ml);
        cx->method[ml] = '\0';
        cx->path_cut = pl > LOG_PATH_MAX;
        if (cx->path_cut)
            pl = LOG_PATH_MAX;
        memcpy(cx->path, url, pl);
        cx->path[pl] = '\0';
    }

    cx->slot = s->nroutes;
    cx->route = NULL;
    if (cx->bad_target) {
        cx->close_after = true;
        return reply_text(cx, c, 400, NULL,
                          "bad request: the path or query contains a space or a control "
                          "character (percent-encode spaces; %%00-%%1F and %%7F are refused)\n");
    }
    if ((why = framing_problem(c, version, &fr)) != NULL) {
        cx->close_after = true;
        return reply_text(cx, c, 400, NULL,
                          "bad request: %s; send well-formed fields and one Content-Length, "
                          "or Transfer-Encoding: chunked alone\n",
                          why);
    }
    r = find_route(s, url, method, &cx->slot, allow, sizeof(allow), &path_found);
    if (r != NULL && !match_path(r, url, cx))
        r = NULL, path_found = false; /* a segment too long to keep */
    cx->route = r;
    if (r == NULL && !path_found)
        return reply_text(cx, c, 404, NULL, "not found: no resource at this path\n");
    if (r == NULL)
        return reply_text(cx, c, 405, allow, "method %s is not allowed here: use %s\n",
                          strlen(method) <= 16 ? method : "(long)", allow);
    if (fr.cl != NULL) {
        int64_t v;
        /* libmicrohttpd refuses malformed lengths itself; be safe anyway. */
        if (num_parse_i64z(fr.cl, 0, INT64_MAX, &v) == SERTEL_OK && (uint64_t)v > r->max_body)
            return reply_text(cx, c, 413, NULL,
                              "request body too large: %lld bytes, the limit here is %zu\n",
                              (long long)v, r->max_body);
    }
    if (r->content_type != NULL && strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
        ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!media_type_is(ct, r->content_type))
            return reply_text(cx, c, 415, NULL, "unsupported content type %s%s%s: send %s\n",
                              ct ? "'" : "", ct ? (strlen(ct) <= 64 ? ct : "(long)") : "(none)",
                              ct ? "'" : "", r->content_type);
    }
    if (r->body == HTTP_BODY_FORM && r->max_body > 0 && strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        cx->pp = MHD_create_post_processor(c, 16 * 1024, form_iter, cx);
        if (cx->pp == NULL)
            return reply_text(cx, c, 415, NULL,
                              "unsupported content type: send multipart/form-data (with a "
                              "boundary) or application/x-www-form-urlencoded\n");
    }
    return MHD_YES;
}

static enum MHD_Result take_body(conn_ctx *cx, const char *data, size_t n)
{
    size_t max = cx->route->max_body;

    if (cx->too_big || n > max - cx->received) {
        cx->too_big = true;
        form_reset(cx); /* nothing more is spooled */
        return MHD_YES; /* discard; answered with 413 at the end */
    }
    cx->received += n;
    if (cx->route->body == HTTP_BODY_FORM) {
        if (cx->pp != NULL && cx->form_problem == NULL &&
            MHD_post_process(cx->pp, data, n) != MHD_YES)
            form_fail(cx, 400, "the form body is malformed");
        return MHD_YES; /* a refused form is answered at the end */
    }
    cx->body.max = max;
    return dynbuf_add(&cx->body, data, n) == SERTEL_OK ? MHD_YES : MHD_NO;
}

static enum MHD_Result answer(conn_ctx *cx, struct MHD_Connection *c, const char *method, int rc,
                              const sertel_err *err);

static enum MHD_Result finish_request(conn_ctx *cx, struct MHD_Connection *c, const char *url,
                                      const char *method)
{
    const http_route *r = cx->route;
    sertel_err err = {0};
    int rc;

    if (cx->too_big)
        return reply_text(cx, c, 413, NULL, "request body too large: the limit here is %zu bytes\n",
                          r->max_body);
    if (r->body == HTTP_BODY_FORM && !form_finish(cx))
        return reply_text(cx, c, cx->form_status, NULL, "%s\n", cx->form_problem);
    http_request *req = &cx->req;
    http_response *resp = &cx->resp;
    memset(req, 0, sizeof(*req));
    req->method = method;
    req->path = url;
    req->rest = r->prefix && strchr(r->path, '{') == NULL ? url + strlen(r->path) : "";
    memcpy(req->params, cx->params, sizeof(req->params));
    req->nparams = cx->nparams;
    req->fields = cx->fields;
    req->nfields = r->body == HTTP_BODY_FORM ? cx->nparts : 0;
    client_ip(c, cx->peer, sizeof(cx->peer));
    req->peer = cx->peer;
    req->tls = cx->s->tls;
    req->conn_ = c;
    req->content_type =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    req->body = cx->body.len ? (const unsigned char *)cx->body.p : (const unsigned char *)"";
    req->body_len = cx->body.len;
    req->arg = r->arg;
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    memcpy(resp->content_type, "application/octet-stream", sizeof("application/octet-stream"));
    cx->deferred = false;
    cx->conn = c;

    rc = r->fn(req, resp, &err);
    if (rc == SERTEL_OK && cx->deferred)
        return MHD_YES; /* suspended: another thread answers (http_deferred_finish) */
    return answer(cx, c, method, rc, &err);
}

/* Queue the handler's answer in cx->resp (or the 500 for its failure rc). */
static enum MHD_Result answer(conn_ctx *cx, struct MHD_Connection *c, const char *method, int rc,
                              const sertel_err *err)
{
    http_response *resp = &cx->resp;
    bool head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;

    if (rc != SERTEL_OK) {
        if (resp->body_free != NULL && resp->body != NULL)
            resp->body_free((void *)resp->body);
        log_error(cx->s, "sertel: serve: %s %s: %s", method, cx->route->name,
                  err->msg[0] ? err->msg : sertel_rc_name(rc));
        return reply_text(cx, c, 500, NULL, "internal error: see the server's log\n");
    }
    if (resp->status < 100 || resp->status > 599)
        resp->status = 500;
    if (resp->status == 200 && resp->etag[0] &&
        (head || strcmp(method, MHD_HTTP_METHOD_GET) == 0)) {
        const char *inm =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
        if (inm != NULL && etag_matches(inm, resp->etag))
            resp->status = 304;
    }
    return queue(cx, c, resp, NULL, resp->status != 304);
}

http_deferred *http_defer(const http_request *req)
{
    conn_ctx *cx = NULL;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn_, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    if (ci == NULL || ci->socket_context == NULL)
        return NULL;
    cx = ci->socket_context;
    if (cx->deferred || &cx->req != req)
        return NULL;
    cx->deferred = true;
    atomic_fetch_add_explicit(&cx->s->deferred, 1, memory_order_relaxed);
    /* Off the event loop until answered; the request and its spool files stay as they are. */
    MHD_suspend_connection(req->conn_);
    return (http_deferred *)cx;
}

http_response *http_deferred_response(http_deferred *d)
{
    return &((conn_ctx *)(void *)d)->resp;
}

void http_deferred_finish(http_deferred *d, int rc, const sertel_err *err)
{
    conn_ctx *cx = (conn_ctx *)(void *)d;
    http_server *s = cx->s;
    sertel_err none = {0};

    /* A suspended connection takes a queued answer from any thread (libmicrohttpd 0.9.75). */
    if (answer(cx, cx->conn, cx->req.method, rc, err != NULL ? err : &none) != MHD_YES)
        log_error(s, "sertel: serve: %s: the deferred answer could not be queued", cx->route->name);
    MHD_resume_connection(cx->conn);
    atomic_fetch_sub_explicit(&s->deferred, 1, memory_order_relaxed);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    conn_ctx *cx = *req_cls;

    (void)cls;
    if (cx == NULL) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        if (ci == NULL || ci->socket_context == NULL)
            return MHD_NO;
        cx = ci->socket_context;
        *req_cls = cx;
        return begin_request(cx, c, url, method, version);
    }
    if (cx->responded) {
        *upload_data_size = 0; /* answered early (or deferred and answered): ignore the rest */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        enum MHD_Result ret = take_body(cx, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return ret;
    }
    return finish_request(cx, c, url, method);
}

const char *http_header(const http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn_, MHD_HEADER_KIND, name);
}

const char *http_query(const http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn_, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_cookie(const http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn_, MHD_COOKIE_KIND, name);
}

const http_field *http_form_field(const http_request *req, const char *name)
{
    size_t i;

    for (i = 0; i < req->nfields; i++)
        if (strcmp(req->fields[i].name, name) == 0)
            return &req->fields[i];
    return NULL;
}

/* Append s as JSON string content: quotes, backslashes, control and
 * non-ASCII bytes escaped (bytes, not characters: the log stays valid JSON
 * whatever a client sends). */
static void append_json_str(char *out, size_t cap, size_t *pos, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;

    for (i = 0; s[i] && *pos + 8 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            out[(*pos)++] = '\\';
            out[(*pos)++] = (char)ch;
        } else if (ch < 0x20 || ch >= 0x7f) {
            memcpy(out + *pos, "\\u00", 4);
            out[*pos + 4] = hex[ch >> 4];
            out[*pos + 5] = hex[ch & 15];
            *pos += 6;
        } else {
            out[(*pos)++] = (char)ch;
        }
    }
}

static void client_ip(struct MHD_Connection *c, char *ip, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

    snprintf(ip, cap, "-");
    if (sa != NULL && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ip,
                  (socklen_t)cap);
    else if (sa != NULL && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, ip,
                  (socklen_t)cap);
}

/* One JSON line: ts, ip, method, path (at most LOG_PATH_MAX bytes), route,
 * status, bytes, duration_us. Bodies are never logged. */
static void write_access_log(http_server *s, struct MHD_Connection *c, const conn_ctx *cx,
                             int64_t dur_us, enum MHD_RequestTerminationCode toe)
{
    char ip[INET6_ADDRSTRLEN + 1], ts[48], line[2048];
    struct timespec now;
    struct tm tm;
    size_t pos;
    int n;

    client_ip(c, ip, sizeof(ip));
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    n = (int)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof(ts) - (size_t)n, ".%03dZ", (int)(now.tv_nsec / 1000000));
    pos =
        (size_t)snprintf(line, sizeof(line), "{\"ts\":\"%s\",\"ip\":\"%s\",\"method\":\"", ts, ip);
    append_json_str(line, sizeof(line), &pos, cx->method);
    memcpy(line + pos, "\",\"path\":\"", 10);
    pos += 10;
    append_json_str(line, sizeof(line), &pos, cx->path);
    if (cx->path_cut) {
        memcpy(line + pos, "...", 3);
        pos += 3;
    }
    n = snprintf(line + pos, sizeof(line) - pos,
                 "\",\"route\":\"%s\",\"status\":%d,\"bytes\":%zu,\"duration_us\":%lld%s}\n",
                 cx->route ? cx->route->name : "none", cx->status, cx->bytes, (long long)dur_us,
                 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : ",\"completed\":false");
    if (n < 0 || (size_t)n >= sizeof(line) - pos)
        return;
    pos += (size_t)n;
    fwrite(line, 1, pos, s->access_log);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    http_server *s = cls;
    conn_ctx *cx = *req_cls;
    int64_t now, dur_us;
    route_stats *st;
    size_t b;

    if (cx == NULL)
        return;
    *req_cls = NULL;
    now = mono_ns();
    dur_us = (now - cx->t0_ns) / 1000;
    st = &s->stats[cx->slot];
    if (cx->status >= 100 && cx->status <= 599) {
        atomic_fetch_add_explicit(&st->by_class[cx->status / 100 - 1], 1, memory_order_relaxed);
        for (b = 0; b + 1 < NBUCKETS && dur_us > bucket_us[b]; b++)
            ;
        atomic_fetch_add_explicit(&st->buckets[b], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&st->sum_us, (uint_fast64_t)dur_us, memory_order_relaxed);
    }
    if (s->access_log != NULL)
        write_access_log(s, c, cx, dur_us, toe);
    if (cx->body.cap > BODY_KEEP_MAX)
        dynbuf_free(&cx->body);
    form_reset(cx);
    cx->bad_target = false;
    /* The answer is out: the next request's head is due within the deadline. */
    atomic_store_explicit(&cx->head_since_ns, now, memory_order_relaxed);
    atomic_store_explicit(&s->last_activity_ns, now, memory_order_relaxed);
    atomic_fetch_sub_explicit(&s->in_flight, 1, memory_order_relaxed);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    http_server *s = cls;
    const union MHD_ConnectionInfo *ci;
    conn_ctx *cx;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        cx = calloc(1, sizeof(*cx));
        if (cx != NULL) {
            cx->s = s;
            ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
            cx->fd = ci != NULL ? ci->connect_fd : -1;
            atomic_init(&cx->head_since_ns, mono_ns());
            pthread_mutex_lock(&s->reg_lock);
            cx->next = s->reg_head;
            if (s->reg_head != NULL)
                s->reg_head->prev = cx;
            s->reg_head = cx;
            pthread_mutex_unlock(&s->reg_lock);
        }
        *socket_context = cx; /* NULL: on_request refuses the connection */
        atomic_fetch_add_explicit(&s->connections, 1, memory_order_relaxed);
        return;
    }
    cx = *socket_context;
    if (cx != NULL) {
        /* Called before libmicrohttpd closes the socket. */
        pthread_mutex_lock(&s->reg_lock);
        if (cx->prev != NULL)
            cx->prev->next = cx->next;
        else
            s->reg_head = cx->next;
        if (cx->next != NULL)
            cx->next->prev = cx->prev;
        pthread_mutex_unlock(&s->reg_lock);
        dynbuf_free(&cx->body);
        form_reset(cx);
        free(cx);
    }
    *socket_context = NULL;
    atomic_fetch_sub_explicit(&s->connections, 1, memory_order_relaxed);
}

/* ------------------------------------------------- request-head deadline */

/*
 * The reaper: shuts down the socket of every connection that has waited
 * for a complete request head longer than the deadline (libmicrohttpd then
 * reads end-of-file and closes it), sleeping until the next deadline falls
 * due (at most a second; a deadline that starts later is at least a second
 * away). At most one log line a second.
 */
static void *reaper_main(void *arg)
{
    http_server *s = arg;
    const int64_t limit = (int64_t)s->header_timeout_s * NS_PER_S;
    int64_t last_log = 0;
    unsigned long pending = 0;

    pthread_mutex_lock(&s->reg_lock);
    while (!s->reaper_stop) {
        int64_t now = mono_ns(), next = now + NS_PER_S;
        struct timespec ts;
        unsigned long closed = 0;
        conn_ctx *cx;

        for (cx = s->reg_head; cx != NULL; cx = cx->next) {
            int64_t since = atomic_load_explicit(&cx->head_since_ns, memory_order_relaxed);
            if (since == 0 || cx->reaped || cx->fd < 0)
                continue;
            if (now - since >= limit) {
                shutdown(cx->fd, SHUT_RDWR);
                cx->reaped = true;
                closed++;
            } else if (since + limit < next) {
                next = since + limit;
            }
        }
        if (closed > 0) {
            atomic_fetch_add_explicit(&s->header_timeouts, closed, memory_order_relaxed);
            pending += closed;
        }
        if (pending > 0 && now - last_log >= NS_PER_S) {
            /* Not under the lock: a slow log must not hold up connections. */
            pthread_mutex_unlock(&s->reg_lock);
            log_error(s,
                      "sertel: http: closed %lu connection(s) that sent no complete request "
                      "head within %u s",
                      pending, s->header_timeout_s);
            pthread_mutex_lock(&s->reg_lock);
            pending = 0;
            last_log = now;
        }
        if (next < now + 10 * 1000 * 1000)
            next = now + 10 * 1000 * 1000;
        ts.tv_sec = (time_t)(next / NS_PER_S);
        ts.tv_nsec = (long)(next % NS_PER_S);
        pthread_cond_timedwait(&s->reg_cond, &s->reg_lock, &ts);
    }
    pthread_mutex_unlock(&s->reg_lock);
    if (pending > 0)
        log_error(s,
                  "sertel: http: closed %lu connection(s) that sent no complete request head "
                  "within %u s",
                  pending, s->header_timeout_s);
    return NULL;
}

static int reaper_start(http_server *s, sertel_err *err)
{
    pthread_condattr_t ca;
    int e;

    if ((e = pthread_condattr_init(&ca)) != 0)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot create a condition: %s", strerror(e));
    e = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (e == 0)
        e = pthread_cond_init(&s->reg_cond, &ca);
    pthread_condattr_destroy(&ca);
    if (e != 0)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot create a condition: %s", strerror(e));
    if ((e = pthread_mutex_init(&s->reg_lock, NULL)) != 0) {
        pthread_cond_destroy(&s->reg_cond);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot create a mutex: %s", strerror(e));
    }
    s->reg_init = true;
    if ((e = pthread_create(&s->reaper, NULL, reaper_main, s)) != 0)
        return sertel_err_set(err, SERTEL_ERR_NOMEM,
                              "cannot start the request-head deadline thread: %s", strerror(e));
    s->reaper_running = true;
    return SERTEL_OK;
}

/* Stop and join the reaper (libmicrohttpd is stopped, or never started). */
static void reaper_stop(http_server *s)
{
    if (s->reaper_running) {
        pthread_mutex_lock(&s->reg_lock);
        s->reaper_stop = true;
        pthread_cond_signal(&s->reg_cond);
        pthread_mutex_unlock(&s->reg_lock);
        pthread_join(s->reaper, NULL);
        s->reaper_running = false;
    }
    if (s->reg_init) {
        pthread_cond_destroy(&s->reg_cond);
        pthread_mutex_destroy(&s->reg_lock);
        s->reg_init = false;
    }
}

/*
 * The connection cap that the process's descriptor limit can hold: raises
 * the soft RLIMIT_NOFILE towards want + FD_RESERVE (up to the hard limit)
 * and, when that is not enough, returns a lower cap and says so.
 */
static unsigned fit_descriptors(http_server *s, unsigned want, unsigned threads)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)want + FD_RESERVE + 2 * (rlim_t)threads;
    unsigned fit;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
        return want;
    {
        struct rlimit nr = rl;
        nr.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &nr) == 0)
            rl = nr;
    }
    if (rl.rlim_cur >= need)
        return want;
    fit = rl.rlim_cur > need - want + 16 ? (unsigned)(rl.rlim_cur - (need - want)) : 16;
    log_error(s,
              "sertel: http: the process may open only %llu files (ulimit -n): serving at most "
              "%u connections instead of %u; raise the limit (LimitNOFILE= in a systemd unit)",
              (unsigned long long)rl.rlim_cur, fit, want);
    return fit;
}

/* ---------------------------------------------------------- lifecycle */

static int check_routes(const http_route *routes, size_t n, sertel_err *err)
{
    size_t i;

    if (n > HTTP_MAX_ROUTES)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "too many routes (%zu, at most %d)", n,
                              HTTP_MAX_ROUTES);
    for (i = 0; i < n; i++) {
        const http_route *r = &routes[i];
        if (r->method == NULL || r->path == NULL || r->path[0] != '/' || r->fn == NULL ||
            r->name == NULL)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "route %zu needs a method, a path starting with '/', a name "
                                  "and a handler",
                                  i);
    }
    return SERTEL_OK;
}

static bool has_path(const http_route *routes, size_t n, const char *path)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (path_matches(&routes[i], path))
            return true;
    return false;
}

int http_server_start(const http_config *cfg, const http_route *routes, size_t nroutes,
                      http_server **out, sertel_err *err)
{
    http_server *s = NULL;
    unsigned threads = cfg->threads;
    unsigned flags, max_conns, per_ip;
    struct MHD_OptionItem tls_opts[4] = {{MHD_OPTION_END, 0, NULL},
                                         {MHD_OPTION_END, 0, NULL},
                                         {MHD_OPTION_END, 0, NULL},
                                         {MHD_OPTION_END, 0, NULL}};
    long cores;
    int rc;

    *out = NULL;
    if (nroutes > 0 && routes == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "routes missing");
    if ((rc = check_routes(routes, nroutes, err)) != SERTEL_OK)
        return rc;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    s->lfd = -1;
    if (nroutes > 0)
        memcpy(s->routes, routes, nroutes * sizeof(*routes));
    s->nroutes = nroutes;
    if (!has_path(routes, nroutes, "/healthz"))
        s->routes[s->nroutes++] = (http_route){
            "GET", "/healthz", 0, NULL, 0, "healthz", handle_healthz, s, HTTP_BODY_BUFFER};
    if (!has_path(routes, nroutes, "/metrics"))
        s->routes[s->nroutes++] = (http_route){
            "GET", "/metrics", 0, NULL, 0, "metrics", handle_metrics, s, HTTP_BODY_BUFFER};
    s->access_log = cfg->access_log;
    s->error_log = cfg->error_log ? cfg->error_log : stderr;
    s->metrics = cfg->metrics;
    s->metrics_arg = cfg->metrics_arg;
    {
        const char *sd = cfg->spool_dir ? cfg->spool_dir : getenv("TMPDIR");
        if (sd == NULL || sd[0] == '\0')
            sd = "/tmp";
        if (strlen(sd) >= sizeof(s->spool_dir)) {
            free(s);
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "the spool directory's path is too long");
        }
        memcpy(s->spool_dir, sd, strlen(sd) + 1);
    }
    atomic_init(&s->draining, 0);
    atomic_init(&s->in_flight, 0);
    atomic_init(&s->connections, 0);
    atomic_init(&s->last_activity_ns, mono_ns());
    atomic_init(&s->header_timeouts, 0);
    s->header_timeout_s = cfg->header_timeout_s ? cfg->header_timeout_s : DEFAULT_HEADER_TIMEOUT_S;
    per_ip = cfg->per_ip_limit == 0                ? DEFAULT_PER_IP_LIMIT
             : cfg->per_ip_limit == HTTP_UNLIMITED ? 0 /* libmicrohttpd: no limit */
                                                   : cfg->per_ip_limit;

    if ((cfg->tls_cert_pem != NULL) != (cfg->tls_key_pem != NULL)) {
        free(s);
        return sertel_err_set(err, SERTEL_ERR_INVALID, "TLS needs both a certificate and a key");
    }
    s->tls = cfg->tls_cert_pem != NULL;
    if (s->tls && !http_tls_supported()) {
        free(s);
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "this libmicrohttpd was built without TLS: serve plain HTTP "
                              "behind a reverse proxy that terminates TLS (docs/operations.md)");
    }
    if ((rc = open_listener(cfg->listen ? cfg->listen : "127.0.0.1:8080", s->tls, &s->lfd, &s->port,
                            s->url, sizeof(s->url), err)) != SERTEL_OK)
        goto fail;
    if (threads == 0) {
        cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 && cores < 1024 ? (unsigned)cores : 2;
    }
    max_conns = fit_descriptors(
        s, cfg->max_connections ? cfg->max_connections : DEFAULT_MAX_CONNECTIONS, threads);
    if ((rc = reaper_start(s, err)) != SERTEL_OK)
        goto fail;
    /* epoll in internal threads; ITC so the daemon can be quiesced;
     * turbo for fewer system calls per request. */
    flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_TURBO | MHD_USE_ERROR_LOG |
            MHD_ALLOW_SUSPEND_RESUME;
    if ((rc = http_mhd_load(err)) != SERTEL_OK) /* loaded on first use (mhd_lazy.c) */
        goto fail;
    if (s->tls) {
        /* GnuTLS parses the certificate and key into its own credentials during the start;
         * the strings are not used afterwards. TLS 1.2 and 1.3 only. */
        flags |= MHD_USE_TLS;
        tls_opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                              (void *)(uintptr_t)cfg->tls_cert_pem};
        tls_opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                              (void *)(uintptr_t)cfg->tls_key_pem};
        tls_opts[2] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                              (void *)(uintptr_t)TLS_PRIORITIES};
    }
    s->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->lfd, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)(threads > 1 ? threads : 0), MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)max_conns, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)per_ip,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape_target, s, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)(cfg->timeout_s ? cfg->timeout_s : DEFAULT_TIMEOUT_S),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(cfg->header_memory ? cfg->header_memory : DEFAULT_HEADER_MEMORY),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        s, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    if (s->d == NULL) {
        rc = s->tls ? sertel_err_set(err, SERTEL_ERR_INVALID,
                                     "cannot start the HTTPS server on %s: the TLS certificate "
                                     "or key was refused (see the messages above): give the "
                                     "certificate (PEM, with its chain) and its unencrypted "
                                     "PEM private key",
                                     s->url)
                    : sertel_err_set(err, SERTEL_ERR_IO,
                                     "cannot start the HTTP server on %s (libmicrohttpd refused "
                                     "the settings: see the messages above)",
                                     s->url);
        goto fail;
    }
    s->lfd = -1; /* libmicrohttpd owns it now */
    *out = s;
    return SERTEL_OK;
fail:
    reaper_stop(s);
    if (s->lfd >= 0)
        close(s->lfd);
    free(s);
    return rc;
}

int http_tls_supported(void)
{
    return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

const char *http_server_url(const http_server *s)
{
    return s->url;
}

unsigned http_server_port(const http_server *s)
{
    return s->port;
}

void http_server_flush_log(http_server *s)
{
    if (s->access_log != NULL)
        fflush(s->access_log);
}

int http_server_shutdown(http_server *s, unsigned wait_ms, sertel_err *err)
{
    int64_t start = mono_ns(), limit = (int64_t)wait_ms * 1000000LL;
    struct timespec tick = {0, 5 * 1000 * 1000};
    int rc = SERTEL_OK;
    MHD_socket fd;

    if (s->d == NULL)
        return SERTEL_OK;
    atomic_store(&s->draining, 1);
    /* Stop accepting: libmicrohttpd hands the listening socket back. */
    fd = MHD_quiesce_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    for (;;) {
        int64_t now = mono_ns();
        long conns = atomic_load(&s->connections);
        long busy = atomic_load(&s->in_flight);
        if (conns == 0)
            break;
        if (busy == 0 && now - atomic_load(&s->last_activity_ns) >= DRAIN_IDLE_NS)
            break; /* only idle keep-alive connections are left */
        if (now - start >= limit && atomic_load(&s->deferred) == 0) {
            /* (A deferred request is always waited for: its connection is suspended, and
             * libmicrohttpd must not stop with one; its owner answers it in bounded time.) */
            rc = sertel_err_set(err, SERTEL_ERR_BUSY,
                                "%ld connection(s) with %ld request(s) in progress were still "
                                "open after %u ms: closed them",
                                conns, busy, wait_ms);
            break;
        }
        nanosleep(&tick, NULL);
    }
    MHD_stop_daemon(s->d);
    s->d = NULL;
    reaper_stop(s);
    http_server_flush_log(s);
    return rc;
}

void http_server_free(http_server *s)
{
    if (s == NULL)
        return;
    if (s->d != NULL)
        MHD_stop_daemon(s->d);
    reaper_stop(s);
    if (s->lfd >= 0)
        close(s->lfd);
    http_server_flush_log(s);
    free(s);
}
