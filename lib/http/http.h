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

/* A request as a handler sees it. Everything is borrowed for the call. */
typedef struct http_request {
    const char *method;       /* "GET", "HEAD", "POST", ... */
    const char *path;         /* the URL path, percent-decoded, without the query */
    const char *rest;         /* prefix routes: the path after the prefix; else "" */
    const char *content_type; /* the request's Content-Type, NULL when absent */
    const unsigned char *body;
    size_t body_len; /* at most the route's max_body */
    void *arg;       /* the route's arg */
} http_request;

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
} http_response;

/*
 * A handler. Return SERTEL_OK with resp filled, or a sertel_rc with err
 * set: the client then gets 500 and the message goes to the error log,
 * never to the client. Called on a server thread, concurrently with others.
 */
typedef int (*http_handler)(const http_request *req, http_response *resp, sertel_err *err);

typedef struct http_route {
    const char *method; /* "GET" (HEAD is answered by it too) or "POST", ... */
    const char *path;   /* exact path ("/ocsp"), or a prefix when prefix is 1 ("/ocsp/") */
    int prefix;
    const char *content_type; /* media type a request body must have, NULL: any */
    size_t max_body;          /* request body cap in bytes; 0: no body allowed */
    const char *name;         /* label in metrics and the access log ("ocsp") */
    http_handler fn;
    void *arg;
} http_route;

/* Appends application metrics (Prometheus text format) to out. */
typedef void (*http_metrics_fn)(void *arg, FILE *out);

typedef struct http_config {
    const char *listen;       /* "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0" (port 0: any) */
    unsigned threads;         /* worker threads, 0: one per online core */
    unsigned max_connections; /* 0: 1024 */
    unsigned per_ip_limit;    /* connections per client address, 0: unlimited */
    unsigned timeout_s;       /* idle connection timeout, 0: 15 s */
    size_t header_memory;     /* per-connection memory for the request line and
                                 headers, 0: 16 KiB */
    FILE *access_log;         /* one JSON line per request; NULL: none */
    FILE *error_log;          /* handler failures and server errors; NULL: stderr */
    http_metrics_fn metrics;  /* NULL: server metrics only */
    void *metrics_arg;
} http_config;

#define HTTP_MAX_ROUTES 32

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
 * are added unless a route claims those paths. Fails with
 * SERTEL_ERR_INVALID for a bad listen address or route table,
 * SERTEL_ERR_IO when the address cannot be bound (in use, not local).
 */
int http_server_start(const http_config *cfg, const http_route *routes, size_t nroutes,
                      http_server **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 4);

/* "http://127.0.0.1:8080" with the port actually bound. Borrowed. */
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

#endif
