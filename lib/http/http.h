/*
 * http.h - sertel's small HTTP/1.1 server (GNU libmicrohttpd underneath).
 *
 * It carries requests to handlers and answers back; it holds no rules of
 * its own. A route table maps a method and an exact path (or a path prefix)
 * to a handler; the server enforces what every route shares: a request-body
 * cap per route (413 beyond it), the request content type a route accepts
 * (415 otherwise), 404 for unknown paths, 405 with Allow for wrong methods,
 * conditional GET (If-None-Match -> 304), caching headers from the handler's
 * answer, limits on connections, header memory and idle time, keep-alive,
 * a JSON access log, Prometheus metrics at GET /metrics and GET /healthz.
 *
 * Threads: libmicrohttpd runs a pool of threads, each with its own epoll
 * loop; handlers run concurrently on them and must be thread-safe. The
 * server's counters are C11 atomics. http_server_start, _shutdown and _free
 * are called from one controlling thread.
 *
 * Hostile clients (libmicrohttpd 0.9.75 has no strict mode and no header
 * deadline of its own, so the server adds them):
 *
 *  - Connection limits. At most max_connections open connections in all
 *    (libmicrohttpd stops accepting at the cap; further clients wait in the
 *    kernel's listen queue), and at most per_ip_limit (default 64) from one
 *    client address: libmicrohttpd accepts the next one and closes it at
 *    once. The process's soft RLIMIT_NOFILE is raised (up to the hard
 *    limit) to hold max_connections; when the hard limit is lower, the cap
 *    is lowered to fit and the error log says so.
 *
 *  - Request-head deadline (slowloris). A connection must deliver a
 *    complete request head (request line and headers) within
 *    header_timeout_s of being accepted, and each further request's head
 *    within header_timeout_s of the previous answer having been sent. The
 *    clock is not reset by the bytes that arrive, so a client trickling a
 *    header byte every few seconds is closed at the deadline. A reaper
 *    thread checks the connections that are waiting for a request head
 *    (a list kept by the connection notifications; the request path itself
 *    only stores a timestamp) and shuts their sockets down, which makes
 *    libmicrohttpd close them. So an idle keep-alive connection lasts at
 *    most min(timeout_s, header_timeout_s). The idle timeout (timeout_s)
 *    still bounds a stalled body upload or a client that stops reading the
 *    answer. Metric: sertel_http_header_timeouts_total.
 *
 *  - Request smuggling (RFC 9112 §5.1, §6.1, §6.3; RFC 9110 §5.5, §8.6).
 *    Once a request head is complete, and before any route or handler sees
 *    it, the server answers 400 with "Connection: close" and closes the
 *    connection when the head has two Content-Length fields of different
 *    values, both Content-Length and Transfer-Encoding, a Transfer-Encoding
 *    other than exactly "chunked" (one field, one coding), Transfer-Encoding
 *    in a request that is not HTTP/1.1, a field name that is not a token
 *    ("Transfer-Encoding : chunked", which libmicrohttpd keeps as the name
 *    "Transfer-Encoding "; a folded line glued onto a name), or a field
 *    value with a control character, and (RFC 9112 §3.2) an HTTP/1.1
 *    request without Host or any request with more than one Host.
 *    libmicrohttpd itself refuses a Content-Length that is a list or not a
 *    number (400, close); its own error answers in 0.9.75 repeat the
 *    header block inside the body, which is harmless since it closes.
 *
 *  - Request targets. A target whose path or query contains a control
 *    character (0x00-0x1F, 0x7F), raw or percent-encoded ("%00", "%0A"), or
 *    a raw space, is answered 400 with "Connection: close" (libmicrohttpd
 *    would cut the path at a decoded NUL and route "/ocsp%00x" as "/ocsp",
 *    and takes "GET /a b HTTP/1.1" as the path "/a b").
 *
 *  - Left to the reverse proxy (libmicrohttpd accepts them leniently and
 *    the server never sees the raw bytes): bare LF line endings, and an
 *    obsolete folded line that libmicrohttpd turns into a valid-looking
 *    name ("X-A: a" CRLF " b" arrives as the field "X-Ab"). Identical
 *    duplicate Content-Length fields are accepted (RFC 9110 §8.6 allows
 *    it; every parser reads them alike). docs/operations.md gives the
 *    nginx and HAProxy settings and which layer stops which attack.
 *
 * Shutdown: http_server_shutdown stops accepting (the listening socket is
 * closed, so new connections are refused at once), answers every request
 * that is already in progress or arrives on an open connection with
 * "Connection: close", waits (with a bound) until the clients have closed
 * their connections, then stops the threads.
 */
#ifndef SERTEL_HTTP_H
#define SERTEL_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/err.h"

typedef struct http_server http_server;

/* How a route takes its request body. */
typedef enum http_body_mode {
    HTTP_BODY_BUFFER = 0, /* the body in memory (http_request.body), at most max_body */
    /* An HTML form, application/x-www-form-urlencoded or multipart/form-data
     * (parsed as it arrives by libmicrohttpd's post processor): text fields
     * in memory (each at most HTTP_FORM_TEXT_MAX bytes), file parts
     * streamed into unnamed files in the spool directory (http_config.
     * spool_dir), never held whole in memory; max_body caps the whole
     * request, HTTP_FORM_MAX_FIELDS the number of fields. */
    HTTP_BODY_FORM = 1,
} http_body_mode;

#define HTTP_FORM_MAX_FIELDS 64
#define HTTP_FORM_TEXT_MAX (64 * 1024)
#define HTTP_MAX_PARAMS 4

/* One field of a form body. */
typedef struct http_field {
    const char *name;
    const char *filename;       /* file parts: the name the client gave (untrusted); else NULL */
    const char *content_type;   /* file parts: the part's Content-Type as sent, or NULL */
    const unsigned char *value; /* text fields: the value, NUL-terminated; file parts: NULL */
    size_t len;                 /* bytes of value, or of the file */
    int fd; /* file parts: a read-only descriptor of the unnamed spool file, at offset 0
               when the handler is called, closed by the server after the answer;
               text fields: -1 */
} http_field;

/* A request as a handler sees it. Everything is borrowed for the call. */
typedef struct http_request {
    const char *method;       /* "GET", "HEAD", "POST", ... */
    const char *path;         /* the URL path, percent-decoded, without the query */
    const char *rest;         /* prefix routes: the path after the prefix; else "" */
    const char *content_type; /* the request's Content-Type, NULL when absent */
    const unsigned char *body;
    size_t body_len; /* at most the route's max_body (form routes: 0) */
    void *arg;       /* the route's arg */
    /* Segments matched by "{}" in the route's path, percent-decoded. */
    const char *params[HTTP_MAX_PARAMS];
    size_t nparams;
    const http_field *fields; /* form routes: the fields, in the order sent */
    size_t nfields;
    const char *peer; /* the connecting address as text ("127.0.0.1", "::1") */
    int tls;          /* 1: the connection is TLS */
    void *conn_;      /* the server's; use the accessors below */
} http_request;

/* A request header's value (case-insensitive name; the first if repeated),
 * or NULL. */
const char *http_header(const http_request *req, const char *name) SERTEL_NONNULL(1, 2);

/* A query argument's value, percent-decoded (the first if repeated), or
 * NULL; "" for "?flag". */
const char *http_query(const http_request *req, const char *name) SERTEL_NONNULL(1, 2);

/* A cookie's value from the Cookie header, or NULL. */
const char *http_cookie(const http_request *req, const char *name) SERTEL_NONNULL(1, 2);

/* The first form field of that name, or NULL. */
const http_field *http_form_field(const http_request *req, const char *name) SERTEL_NONNULL(1, 2);

/* Frees a response body handed to the server (see http_response.body_free). */
typedef void (*http_free_fn)(void *body);

/*
 * A handler's answer. The server passes it to the handler preset to
 * status 200, no body, content type "application/octet-stream", no caching
 * information (max_age 0: "Cache-Control: no-cache").
 */
typedef struct http_response {
    int status;
    char content_type[64];
    const unsigned char *body;
    size_t len;
    /* NULL: body is static or lives as long as the server; else the server
     * calls body_free(body) once the answer has been sent (also when the
     * handler fails, so ownership always passes on assignment). */
    http_free_fn body_free;
    int64_t last_modified; /* Unix seconds, 0: no Last-Modified */
    int64_t expires;       /* Unix seconds, 0: no Expires */
    int64_t max_age;       /* > 0: "max-age=N, public, no-transform, must-revalidate";
                              0: "no-cache"; < 0: no Cache-Control header */
    char etag[72];         /* quoted ETag, "" for none; enables 304 on If-None-Match */
    int no_store;          /* 1: "Cache-Control: no-store" (max_age is then ignored) */
    /* Further header lines ("Name: value\r\n"), added by http_response_header. */
    char extra[1536];
    size_t extra_len;
} http_response;

/*
 * Add a header to an answer (Set-Cookie, Content-Disposition, Retry-After,
 * Content-Security-Policy...). Fails with SERTEL_ERR_INVALID, adding
 * nothing, when name is not a token, value holds a control character (no
 * header injection through a value built from input), or the answer has no
 * room left (sizeof(resp->extra) bytes in all).
 */
int http_response_header(http_response *resp, const char *name, const char *value)
    SERTEL_NONNULL(1, 2, 3);

/*
 * A handler. Return SERTEL_OK with resp filled, or a sertel_rc with err
 * set: the client then gets 500 and the message goes to the error log,
 * never to the client. Called on a server thread, concurrently with others.
 */
typedef int (*http_handler)(const http_request *req, http_response *resp, sertel_err *err);

/*
 * Deferred answers: a handler whose work would block (signing behind a
 * bounded pool) hands the request to another thread instead of blocking
 * the event loop's thread, which goes on serving its other connections.
 *
 * In the handler: d = http_defer(req) (NULL when the request cannot be
 * deferred), hand d to the other thread, return SERTEL_OK without writing
 * the answer. The connection is suspended: req (its headers, fields and
 * spool files) and the answer http_deferred_response(d) stay valid, and
 * the connection's timeouts do not run, until the other thread calls
 * http_deferred_finish(d, rc, err) exactly once - with the answer written
 * into http_deferred_response(d), or with a handler's failure (rc, err:
 * 500). After it, nothing of the request may be touched. Shutdown waits
 * for deferred requests (libmicrohttpd cannot stop with a suspended
 * connection): their owner must answer them in bounded time.
 */
typedef struct http_deferred http_deferred;

http_deferred *http_defer(const http_request *req) SERTEL_NONNULL(1);
http_response *http_deferred_response(http_deferred *d) SERTEL_NONNULL(1);
void http_deferred_finish(http_deferred *d, int rc, const sertel_err *err) SERTEL_NONNULL(1);

typedef struct http_route {
    const char *method; /* "GET" (HEAD is answered by it too) or "POST", ... */
    /* An exact path ("/ocsp"), or a prefix when prefix is 1 ("/ocsp/"). A
     * segment "{}" matches one non-empty path segment (no '/'), handed to
     * the handler in params: "/api/v1/applications/{}/decision". */
    const char *path;
    int prefix;
    const char *content_type; /* media type a request body must have, NULL: any */
    size_t max_body;          /* request body cap in bytes; 0: no body allowed */
    const char *name;         /* label in metrics and the access log ("ocsp") */
    http_handler fn;
    void *arg;
    http_body_mode body; /* HTTP_BODY_BUFFER (0) or HTTP_BODY_FORM */
} http_route;

/* Appends application metrics (Prometheus text format) to out. */
typedef void (*http_metrics_fn)(void *arg, FILE *out);

typedef struct http_config {
    const char *listen;        /* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0" (port 0: any) */
    unsigned threads;          /* worker threads, 0: one per online core */
    unsigned max_connections;  /* 0: 1024 */
    unsigned per_ip_limit;     /* connections per client address, 0: 64,
                                  HTTP_UNLIMITED: no per-address limit */
    unsigned timeout_s;        /* idle connection timeout, 0: 15 s */
    unsigned header_timeout_s; /* a request head must be complete this long
                                  after the connection opened or the previous
                                  answer was sent, 0: 10 s */
    size_t header_memory;      /* per-connection memory for the request line and
                                  headers, 0: 16 KiB */
    FILE *access_log;          /* one JSON line per request; NULL: none */
    FILE *error_log;           /* handler failures and server errors; NULL: stderr */
    http_metrics_fn metrics;   /* NULL: server metrics only */
    void *metrics_arg;
    const char *spool_dir; /* where form file parts are streamed (unnamed files,
                              O_TMPFILE: nothing is left behind); NULL: TMPDIR or /tmp */
    /* Native TLS (GnuTLS inside libmicrohttpd): the server's certificate
     * (with its chain, PEM) and private key (PEM, unencrypted), both
     * NUL-terminated; NULL: plain HTTP. Only TLS 1.2 and 1.3 are offered.
     * Read during http_server_start and not kept: the caller may wipe and
     * free the key as soon as the call returns. */
    const char *tls_cert_pem;
    const char *tls_key_pem;
} http_config;

#define HTTP_MAX_ROUTES 160

/* http_config.per_ip_limit: no limit per client address (only when asked). */
#define HTTP_UNLIMITED 0xffffffffu

/*
 * Parse "ADDR:PORT": an IPv4 literal, or an IPv6 literal in brackets, and a
 * port 0-65535. On success writes the address into out (a struct
 * sockaddr_storage) and its length into *outlen.
 */
int http_parse_listen(const char *s, void *out, unsigned *outlen, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/*
 * Bind, listen and start serving routes (copied; the strings they point to
 * and their args must outlive the server). GET /healthz and GET /metrics
 * are added unless a route claims those paths. Starts libmicrohttpd's
 * threads and the request-head reaper thread, and may raise the process's
 * soft RLIMIT_NOFILE (see above). Fails with SERTEL_ERR_INVALID for a bad
 * listen address or route table, SERTEL_ERR_IO when the address cannot be
 * bound (in use, not local), SERTEL_ERR_NOMEM when a thread cannot start.
 * With tls_cert_pem/tls_key_pem: SERTEL_ERR_INVALID when this
 * libmicrohttpd has no TLS or GnuTLS refuses the certificate or key (not
 * PEM, not a pair, encrypted); every request then has http_request.tls 1.
 */
int http_server_start(const http_config *cfg, const http_route *routes, size_t nroutes,
                      http_server **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 4);

/*
 * 1 when this libmicrohttpd can serve TLS (built with GnuTLS, as Debian's
 * is), else 0.
 */
int http_tls_supported(void);

/* "http://127.0.0.1:8080" (https:// with TLS) with the port actually bound. Borrowed. */
const char *http_server_url(const http_server *s) SERTEL_NONNULL(1);

/* The port actually bound. */
unsigned http_server_port(const http_server *s) SERTEL_NONNULL(1);

/* Flush the access log (the controlling thread calls it now and then). */
void http_server_flush_log(http_server *s) SERTEL_NONNULL(1);

/*
 * Graceful stop (see above). wait_ms bounds the wait for open connections.
 * Returns SERTEL_OK when every connection finished on its own, or
 * SERTEL_ERR_BUSY (with err set) when the bound forced connections closed.
 * The server is stopped either way; free it with http_server_free.
 */
int http_server_shutdown(http_server *s, unsigned wait_ms, sertel_err *err) SERTEL_NONNULL(1);

/* Stop (without waiting) if still running, and free. NULL-safe. */
void http_server_free(http_server *s);

/*
 * Load libmicrohttpd now (mhd_lazy.c: it is loaded on first use, once, so
 * commands other than serve never map it). SERTEL_OK, or
 * SERTEL_ERR_UNSUPPORTED naming the library and the package to install.
 * Thread-safe.
 */
int http_mhd_load(sertel_err *err);

#endif
