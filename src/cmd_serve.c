/*
 * cmd_serve.c - `sertel serve`: the CA's public services over HTTP. It maps
 * URLs to the transport-independent calls of pki.h and adds nothing but
 * transport:
 *
 *   POST <base>/ocsp              application/ocsp-request   -> pki_ocsp (RFC 6960 A.1.1)
 *   GET  <base>/ocsp/<base64>     (RFC 5019 §5, RFC 6960 A.1.1) -> pki_ocsp
 *   POST <base>/tsa               application/timestamp-query -> pki_tsa (RFC 3161 §3.4)
 *   GET  <base>/crl/issuing.crl, <base>/crl/root.crl          -> pki_crl
 *   GET  <base>/ca/{root,issuing}.{crt,pem}                   -> pki_ca_cert
 *   GET  <base>/audit/head    the signed audit head, no-store -> pki_audit_head
 *   GET  /healthz, /metrics
 *   <base>/api/v1/...  the JSON API (lib/api: logins, the process, signing)
 *   <base>/api/sign/..., /api/user/..., /api/v2/...  BSrE's API, the facade (lib/api)
 *
 * <base> is the path of the home's base URL ([ca] base_url, set by `sertel
 * init --base-url`), so the URLs certificates carry (AIA, CDP) resolve
 * against this server when it listens on the base URL's host and port.
 *
 * The process holds the issuing, OCSP, TSA and audit keys, never the root
 * key (pki_open opens the home with CA_OPEN_ONLINE): the root CRL is
 * published as the last ceremony (sertel crl --root) recorded it, and the
 * log warns, at start and daily, when its nextUpdate is less than 30 days
 * away (also in /metrics).
 *
 * TLS: with --tls-cert and --tls-key the server speaks HTTPS itself (TLS 1.2
 * and 1.3, GnuTLS inside libmicrohttpd); the key file must be readable by
 * its owner only, and its bytes are wiped once libmicrohttpd has them.
 * Without them it speaks plain HTTP, for a reverse proxy that terminates
 * TLS (docs/operations.md).
 *
 * Signals: SIGTERM and SIGINT are blocked in every thread and taken by the
 * main thread with sigtimedwait, which also paces pki_refresh (once a
 * second); on a signal the server drains (http_server_shutdown) and the
 * command exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "cli.h"
#include "http/http.h"
#include "pki/pki.h"
#include "util/fs.h"
#include "util/num.h"

#define BODY_MAX (64 * 1024) /* OCSP and time-stamp requests are a few hundred bytes */
#define OCSP_GET_MAX 4096    /* base64 characters in a GET request */
#define SHUTDOWN_WAIT_MS 10000
#define BASE_PATH_MAX 200
#define TLS_CERT_MAX (1024 * 1024) /* a certificate with its chain */
#define TLS_KEY_MAX (64 * 1024)    /* a PEM private key (RSA-8192 is under 7 KiB) */

static const char usage[] =
    "usage: sertel [--home DIR] serve [--listen ADDR:PORT] [--threads N]\n"
    "                                 [--access-log FILE|-] [--max-connections N]\n"
    "                                 [--per-ip-limit N] [--timeout SECONDS]\n"
    "                                 [--header-timeout SECONDS]\n"
    "                                 [--tls-cert CERT.pem --tls-key KEY.pem]\n"
    "\n"
    "Serve the CA's public services and the API over HTTP (or HTTPS) until\n"
    "SIGTERM or SIGINT:\n"
    "  POST /ocsp, GET /ocsp/<base64>   OCSP responder (RFC 6960, RFC 5019)\n"
    "  POST /tsa                        time-stamping authority (RFC 3161)\n"
    "  GET  /crl/issuing.crl, /crl/root.crl\n"
    "  GET  /ca/root.crt, /ca/issuing.crt (DER), /ca/root.pem, /ca/issuing.pem\n"
    "  GET  /audit/head                 the audit log's signed head (as `audit head`)\n"
    "  GET  /healthz, /metrics (Prometheus)\n"
    "  /api/v1/...                      the JSON API (logins, the process, signing)\n"
    "under the path of the base URL given to `sertel init --base-url`.\n"
    "\n"
    "Options:\n"
    "  --listen ADDR:PORT     address to listen on (default 127.0.0.1:8080; IPv6 as\n"
    "                         [::1]:8080; port 0 picks a free port)\n"
    "  --threads N            worker threads (default: one per core)\n"
    "  --access-log FILE|-    one JSON line per request to FILE (appended) or stderr\n"
    "  --max-connections N    open connections at most (default 1024)\n"
    "  --per-ip-limit N       connections per client address (default 64; 0: no limit,\n"
    "                         e.g. behind a proxy that connects from one address)\n"
    "  --timeout SECONDS      close connections idle this long (default 15)\n"
    "  --header-timeout SECONDS\n"
    "                         close a connection that has not sent a complete request\n"
    "                         head this long after it opened or after the previous\n"
    "                         answer, however slowly it trickles (default 10)\n"
    "  --tls-cert CERT.pem    serve HTTPS (TLS 1.2 and 1.3) with this certificate\n"
    "                         (PEM, the server's first, then its chain)\n"
    "  --tls-key KEY.pem      its private key (PEM, unencrypted; the file must not be\n"
    "                         readable by group or others: chmod 600)\n"
    "Without --tls-*, plain HTTP for a reverse proxy that terminates TLS.\n"
    "\n"
    "Prints \"listening on http://ADDR:PORT\" (https://) once ready. On SIGTERM/SIGINT it stops\n"
    "accepting, lets requests in progress finish (at most 10 s) and exits 0.\n";

/* What a route's handler needs. */
typedef struct endpoint {
    pki *p;
    const char *name; /* "issuing" / "root" */
    int der;
} endpoint;

typedef struct serve_ctx {
    pki *p;
    api *api;
    char spool[4096];
    char base[BASE_PATH_MAX];
    char paths[16][BASE_PATH_MAX + 32];
    endpoint eps[16];
} serve_ctx;

/* The server frees a response body through pki_blob_clear, which owns
 * how pki allocates. */
static void blob_data_free(void *data)
{
    pki_blob b;

    memset(&b, 0, sizeof(b));
    b.data = data;
    pki_blob_clear(&b);
}

/* Hand a pki answer to the server; the blob's data moves into resp. */
static void blob_to_response(pki_blob *b, http_response *resp)
{
    resp->status = b->http_status ? b->http_status : 200;
    snprintf(resp->content_type, sizeof(resp->content_type), "%s",
             b->content_type[0] ? b->content_type : "application/octet-stream");
    resp->body = b->data;
    resp->len = b->len;
    resp->body_free = b->data ? blob_data_free : NULL;
    resp->last_modified = b->last_modified;
    resp->expires = b->expires;
    resp->max_age = b->max_age;
    snprintf(resp->etag, sizeof(resp->etag), "%s", b->etag);
    resp->no_store = b->no_store;
    b->data = NULL;
    b->len = 0;
}

/* pki answers some failures in the protocol (OCSP internalError, a TSA
 * rejection) and leaves why in err: the operator reads it in the log. */
static void log_answered_failure(const char *what, sertel_err *err)
{
    if (err->msg[0]) {
        fprintf(stderr, "sertel: serve: %s: %s\n", what, err->msg);
        sertel_err_clear(err);
    }
}

static int h_ocsp_post(const http_request *req, http_response *resp, sertel_err *err)
{
    endpoint *ep = req->arg;
    pki_blob b = {0};
    int rc = pki_ocsp(ep->p, req->body, req->body_len, &b, err);

    log_answered_failure("ocsp", err);
    if (rc == SERTEL_OK)
        blob_to_response(&b, resp);
    pki_blob_clear(&b);
    return rc;
}

/*
 * Decode the last path segment of an RFC 5019 GET: base64 of the DER,
 * possibly URL-encoded (already percent-decoded by the server), padding
 * possibly dropped. Also tolerates '+' turned into ' ' by a form decoder
 * and the base64url alphabet. Returns the length, or -1 when it is not
 * base64 or too long.
 */
static long ocsp_get_decode(const char *s, unsigned char *out, size_t cap)
{
    char tmp[OCSP_GET_MAX + 4];
    size_t n = strlen(s), len = 0, i, pad;
    int got;

    if (n == 0 || n > OCSP_GET_MAX)
        return -1;
    for (i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == ' ' || ch == '-')
            ch = '+';
        else if (ch == '_')
            ch = '/';
        if (ch == '=') {
            /* padding only at the end, at most two */
            if (n - i > 2 || (i + 1 < n && s[i + 1] != '='))
                return -1;
            break;
        }
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '+' || ch == '/'))
            return -1;
        tmp[len++] = ch;
    }
    if (len % 4 == 1)
        return -1;
    pad = (4 - len % 4) % 4;
    for (i = 0; i < pad; i++)
        tmp[len++] = '=';
    tmp[len] = '\0';
    if (len / 4 * 3 > cap)
        return -1;
    got = EVP_DecodeBlock(out, (const unsigned char *)tmp, (int)len);
    if (got < 0 || (size_t)got < pad)
        return -1;
    return (long)((size_t)got - pad);
}

static int h_ocsp_get(const http_request *req, http_response *resp, sertel_err *err)
{
    endpoint *ep = req->arg;
    unsigned char der[OCSP_GET_MAX / 4 * 3 + 3];
    pki_blob b = {0};
    long n = ocsp_get_decode(req->rest, der, sizeof(der));
    int rc;

    /* Not base64: an empty request, which the responder answers with
     * malformedRequest like any other undecodable request. */
    rc = pki_ocsp(ep->p, der, n > 0 ? (size_t)n : 0, &b, err);
    log_answered_failure("ocsp", err);
    if (rc == SERTEL_OK)
        blob_to_response(&b, resp);
    pki_blob_clear(&b);
    return rc;
}

static int h_tsa(const http_request *req, http_response *resp, sertel_err *err)
{
    endpoint *ep = req->arg;
    pki_blob b = {0};
    int rc = pki_tsa(ep->p, req->body, req->body_len, &b, err);

    log_answered_failure("tsa", err);
    if (rc == SERTEL_OK)
        blob_to_response(&b, resp);
    pki_blob_clear(&b);
    return rc;
}

static int h_crl(const http_request *req, http_response *resp, sertel_err *err)
{
    endpoint *ep = req->arg;
    pki_blob b = {0};
    int rc = pki_crl(ep->p, ep->name, &b, err);

    if (rc == SERTEL_OK)
        blob_to_response(&b, resp);
    pki_blob_clear(&b);
    return rc;
}

static int h_ca_cert(const http_request *req, http_response *resp, sertel_err *err)
{
    endpoint *ep = req->arg;
    pki_blob b = {0};
    int rc = pki_ca_cert(ep->p, ep->name, ep->der, &b, err);

    if (rc == SERTEL_OK)
        blob_to_response(&b, resp);
    pki_blob_clear(&b);
    return rc;
}

static int h_audit_head(const http_request *req, http_response *resp, sertel_err *err)
{
    endpoint *ep = req->arg;
    pki_blob b = {0};
    int rc = pki_audit_head(ep->p, &b, err);

    if (rc == SERTEL_OK)
        blob_to_response(&b, resp);
    pki_blob_clear(&b);
    return rc;
}

/* The services' counters for /metrics. */
static void pki_metrics(void *arg, FILE *f)
{
    pki *p = arg;
    pki_stats st;
    int64_t now = (int64_t)time(NULL);

    memset(&st, 0, sizeof(st));
    pki_get_stats(p, &st);
    fprintf(f,
            "# HELP sertel_ocsp_requests_total OCSP requests answered.\n"
            "# TYPE sertel_ocsp_requests_total counter\nsertel_ocsp_requests_total %llu\n"
            "# HELP sertel_ocsp_cache_hits_total OCSP requests answered from the pre-signed "
            "cache.\n# TYPE sertel_ocsp_cache_hits_total counter\n"
            "sertel_ocsp_cache_hits_total %llu\n"
            "# HELP sertel_ocsp_malformed_total OCSP requests answered with malformedRequest.\n"
            "# TYPE sertel_ocsp_malformed_total counter\nsertel_ocsp_malformed_total %llu\n"
            "# HELP sertel_ocsp_signed_total OCSP responses signed (cache fills and nonces).\n"
            "# TYPE sertel_ocsp_signed_total counter\nsertel_ocsp_signed_total %llu\n"
            "# HELP sertel_tsa_requests_total Time-stamp requests answered.\n"
            "# TYPE sertel_tsa_requests_total counter\nsertel_tsa_requests_total %llu\n"
            "# HELP sertel_tsa_granted_total Time-stamps granted.\n"
            "# TYPE sertel_tsa_granted_total counter\nsertel_tsa_granted_total %llu\n"
            "# HELP sertel_tsa_rejected_total Time-stamp requests rejected.\n"
            "# TYPE sertel_tsa_rejected_total counter\nsertel_tsa_rejected_total %llu\n"
            "# HELP sertel_crl_number CRL number of the issuing CA's current CRL.\n"
            "# TYPE sertel_crl_number gauge\nsertel_crl_number %lld\n"
            "# HELP sertel_crl_age_seconds Seconds since thisUpdate of the issuing CA's "
            "current CRL.\n# TYPE sertel_crl_age_seconds gauge\nsertel_crl_age_seconds %lld\n",
            (unsigned long long)st.ocsp_requests, (unsigned long long)st.ocsp_cache_hits,
            (unsigned long long)st.ocsp_malformed, (unsigned long long)st.ocsp_signed,
            (unsigned long long)st.tsa_requests, (unsigned long long)st.tsa_granted,
            (unsigned long long)st.tsa_rejected, (long long)st.crl_number,
            st.crl_this_update > 0 ? (long long)(now - st.crl_this_update) : -1LL);
    fprintf(f,
            "# HELP sertel_root_crl_next_update_timestamp_seconds nextUpdate (Unix time) of the "
            "root CRL: hold a root ceremony (sertel crl --root) before it; 0 when none was "
            "issued.\n# TYPE sertel_root_crl_next_update_timestamp_seconds gauge\n"
            "sertel_root_crl_next_update_timestamp_seconds %lld\n"
            "# HELP sertel_root_crl_number CRL number of the root CRL being published.\n"
            "# TYPE sertel_root_crl_number gauge\nsertel_root_crl_number %lld\n",
            (long long)st.root_crl_next_update, (long long)st.root_crl_number);
    fprintf(f, "# HELP sertel_certificate_expiry_timestamp_seconds notAfter (Unix time) of the "
               "CA's own certificates in use: alert well before (sertel ca rekey --ocsp / --tsa).\n"
               "# TYPE sertel_certificate_expiry_timestamp_seconds gauge\n");
    {
        static const char *const roles[4] = {"root", "issuing", "ocsp", "tsa"};
        int i;
        for (i = 0; i < 4; i++)
            fprintf(f, "sertel_certificate_expiry_timestamp_seconds{authority=\"%s\"} %lld\n",
                    roles[i], (long long)st.not_after[i]);
    }
}

/* The path part of the base URL ("" for "http://host:port"). */
static int base_path(const char *url, char *out, size_t cap)
{
    const char *p = strncmp(url, "http://", 7) == 0    ? url + 7
                    : strncmp(url, "https://", 8) == 0 ? url + 8
                                                       : url;

    p = strchr(p, '/');
    if (p == NULL)
        p = "";
    if (strlen(p) >= cap)
        return -1;
    memcpy(out, p, strlen(p) + 1);
    return 0;
}

static size_t build_routes(serve_ctx *sc, http_route *r)
{
    static const struct {
        const char *method, *path;
        int prefix;
        const char *ctype;
        size_t max_body;
        const char *name;
        http_handler fn;
        const char *what;
        int der;
    } table[] = {
        {"POST", "/ocsp", 0, "application/ocsp-request", BODY_MAX, "ocsp", h_ocsp_post, NULL, 0},
        {"GET", "/ocsp/", 1, NULL, 0, "ocsp_get", h_ocsp_get, NULL, 0},
        {"POST", "/tsa", 0, "application/timestamp-query", BODY_MAX, "tsa", h_tsa, NULL, 0},
        {"GET", "/crl/issuing.crl", 0, NULL, 0, "crl_issuing", h_crl, "issuing", 1},
        {"GET", "/crl/root.crl", 0, NULL, 0, "crl_root", h_crl, "root", 1},
        {"GET", "/ca/issuing.crt", 0, NULL, 0, "ca_issuing_crt", h_ca_cert, "issuing", 1},
        {"GET", "/ca/root.crt", 0, NULL, 0, "ca_root_crt", h_ca_cert, "root", 1},
        {"GET", "/ca/issuing.pem", 0, NULL, 0, "ca_issuing_pem", h_ca_cert, "issuing", 0},
        {"GET", "/ca/root.pem", 0, NULL, 0, "ca_root_pem", h_ca_cert, "root", 0},
        {"GET", "/audit/head", 0, NULL, 0, "audit_head", h_audit_head, NULL, 0},
    };
    size_t i, n = sizeof(table) / sizeof(table[0]);

    for (i = 0; i < n; i++) {
        snprintf(sc->paths[i], sizeof(sc->paths[i]), "%s%s", sc->base, table[i].path);
        sc->eps[i] = (endpoint){sc->p, table[i].what, table[i].der};
        r[i] = (http_route){table[i].method, sc->paths[i],      table[i].prefix,
                            table[i].ctype,  table[i].max_body, table[i].name,
                            table[i].fn,     &sc->eps[i],       HTTP_BODY_BUFFER};
    }
    return n;
}

/* <home>/spool: where uploads are streamed (unnamed files: nothing stays there). */
static int make_spool(const char *home, char *out, size_t cap, sertel_err *err)
{
    int rc = fs_path_join(out, cap, home, "spool", err);

    if (rc != SERTEL_OK)
        return rc;
    if (mkdir(out, 0700) != 0 && errno != EEXIST)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot create %s: %s", out, strerror(errno));
    return SERTEL_OK;
}

/*
 * The TLS private key: a regular file readable by its owner only (not by
 * group or others), at most TLS_KEY_MAX bytes, read into secure memory
 * (NUL-terminated for libmicrohttpd). *out is freed with secret_free.
 */
static int read_tls_key(const char *path, char **out, sertel_err *err)
{
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    ssize_t got;
    int fd, rc = SERTEL_OK;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot read the TLS key %s: %s", path,
                              strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "the TLS key %s is not a regular file", path);
        goto out;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the TLS key %s may be read by others (mode %04o): make it readable "
                            "by its owner only (chmod 600 %s)",
                            path, (unsigned)(st.st_mode & 07777), path);
        goto out;
    }
    if (st.st_size <= 0 || st.st_size > TLS_KEY_MAX) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "the TLS key %s is %s: give a PEM private key",
                            path, st.st_size <= 0 ? "empty" : "too large");
        goto out;
    }
    buf = sodium_malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of secure memory");
        goto out;
    }
    while (n < (size_t)st.st_size && (got = read(fd, buf + n, (size_t)st.st_size - n)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot read the TLS key %s: %s", path,
                                strerror(errno));
            goto out;
        }
        n += (size_t)got;
    }
    buf[n] = '\0';
    if (n == 0 || memchr(buf, '\0', n) != NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "the TLS key %s is not a PEM file", path);
        goto out;
    }
    *out = buf;
    buf = NULL;
out:
    if (buf != NULL)
        sodium_free(buf); /* wipes */
    close(fd);
    return rc;
}

/* A positive count option, within [1, max]. */
static int parse_count(const char *opt, const char *v, unsigned long max, unsigned *out)
{
    int64_t n;

    if (v[0] < '0' || v[0] > '9' || num_parse_i64z(v, 0, (int64_t)max, &n) != SERTEL_OK)
        return cli_usage_error("serve: %s must be a number from 0 to %lu, not '%.40s'", opt, max,
                               v);
    *out = (unsigned)n;
    return EXIT_OK;
}

static FILE *open_access_log(const char *path)
{
    FILE *f;
    int fd;

    if (strcmp(path, "-") == 0)
        return stderr;
    /* Appended to, never replaced; a FIFO or device is written into; never through a link. */
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);
    if (fd < 0) {
        if (errno == ELOOP)
            cli_usage_error("serve: the access log %s is a symbolic link: give the real path",
                            path);
        else
            cli_usage_error("serve: cannot open the access log %s: %s", path, strerror(errno));
        return NULL;
    }
    f = fdopen(fd, "a");
    if (f == NULL) {
        close(fd);
        cli_usage_error("serve: cannot open the access log %s: %s", path, strerror(errno));
        return NULL;
    }
    /* Lines are written whole (one fwrite each) and flushed once a second. */
    setvbuf(f, NULL, _IOFBF, 64 * 1024);
    return f;
}

/* At start and then once a day: say when a root ceremony is due. */
static void root_crl_warn(pki *p, int64_t *next_at)
{
    sertel_err warn = {0};
    int64_t now = (int64_t)time(NULL);

    if (now < *next_at)
        return;
    *next_at = now + 86400;
    if (pki_root_crl_warning(p, now, &warn))
        fprintf(stderr, "sertel: serve: warning: %s\n", warn.msg);
}

/* Serve until SIGTERM/SIGINT, refreshing the services once a second. */
static void run_until_signal(http_server *s, pki *p, api *ap, const sigset_t *stop)
{
    sertel_err err = {0};
    struct timespec tick = {1, 0};
    siginfo_t si;
    int64_t warn_at = 0;
    int sig;

    for (;;) {
        root_crl_warn(p, &warn_at);
        sig = sigtimedwait(stop, &si, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            fprintf(stderr, "sertel: serve: %s: finishing requests in progress\n",
                    sig == SIGTERM ? "SIGTERM" : "SIGINT");
            return;
        }
        if (sig < 0 && errno != EAGAIN && errno != EINTR)
            return;
        if (sig < 0 && errno == EAGAIN) {
            if (pki_refresh(p, &err) != SERTEL_OK) {
                /* Keep serving what is cached; say why freshness failed. */
                fprintf(stderr, "sertel: serve: refresh failed: %s\n", err.msg);
                sertel_err_clear(&err);
            }
            http_server_flush_log(s);
            api_tick(ap, (int64_t)time(NULL)); /* the API's stored state past its time */
        }
    }
}

int cmd_serve(const cli_global *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"threads", required_argument, NULL, 't'},
        {"access-log", required_argument, NULL, 'a'},
        {"max-connections", required_argument, NULL, 'm'},
        {"per-ip-limit", required_argument, NULL, 'i'},
        {"timeout", required_argument, NULL, 'T'},
        {"header-timeout", required_argument, NULL, 'H'},
        {"tls-cert", required_argument, NULL, 'c'},
        {"tls-key", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    http_config cfg = {0};
    http_route routes[HTTP_MAX_ROUTES];
    serve_ctx *sc = NULL;
    http_server *s = NULL;
    struct sockaddr_storage ss;
    unsigned sslen = 0;
    const char *access_path = NULL, *tls_cert = NULL, *tls_key = NULL;
    unsigned char *cert_pem = NULL;
    char *key_pem = NULL;
    size_t cert_len = 0;
    sigset_t stop, old;
    sertel_err err = {0};
    size_t nroutes;
    int c, rc;

    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    cfg.listen = "127.0.0.1:8080";
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            cfg.listen = optarg;
            break;
        case 't':
            if ((rc = parse_count("--threads", optarg, 256, &cfg.threads)) != EXIT_OK)
                return rc;
            if (cfg.threads == 0)
                return cli_usage_error("serve: --threads must be at least 1");
            break;
        case 'a':
            access_path = optarg;
            break;
        case 'm':
            if ((rc = parse_count("--max-connections", optarg, 1000000, &cfg.max_connections)) !=
                EXIT_OK)
                return rc;
            break;
        case 'i':
            if ((rc = parse_count("--per-ip-limit", optarg, 1000000, &cfg.per_ip_limit)) != EXIT_OK)
                return rc;
            if (cfg.per_ip_limit == 0)
                cfg.per_ip_limit = HTTP_UNLIMITED; /* asked for explicitly */
            break;
        case 'T':
            if ((rc = parse_count("--timeout", optarg, 3600, &cfg.timeout_s)) != EXIT_OK)
                return rc;
            break;
        case 'H':
            if ((rc = parse_count("--header-timeout", optarg, 3600, &cfg.header_timeout_s)) !=
                EXIT_OK)
                return rc;
            if (cfg.header_timeout_s == 0)
                return cli_usage_error("serve: --header-timeout must be at least 1 second");
            break;
        case 'c':
            tls_cert = optarg;
            break;
        case 'k':
            tls_key = optarg;
            break;
        default:
            fputs(usage, stderr);
            return cli_usage_error("serve: unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return cli_usage_error("serve: unexpected argument '%s'", argv[optind]);
    if (http_parse_listen(cfg.listen, &ss, &sslen, &err) != SERTEL_OK)
        return cli_fail(&err);
    if ((tls_cert != NULL) != (tls_key != NULL))
        return cli_usage_error("serve: --tls-cert and --tls-key go together");
    if (tls_cert != NULL && !http_tls_supported())
        return cli_usage_error("serve: this libmicrohttpd has no TLS: serve plain HTTP behind a "
                               "reverse proxy that terminates TLS (docs/operations.md)");
    if (tls_cert != NULL) {
        /* Read before anything starts: a bad key file is refused at once. */
        if (fs_read_file(tls_cert, TLS_CERT_MAX, &cert_pem, &cert_len, &err) != SERTEL_OK) {
            sertel_err_prefix(&err, "--tls-cert");
            return cli_fail(&err);
        }
        if (read_tls_key(tls_key, &key_pem, &err) != SERTEL_OK) {
            free(cert_pem);
            return cli_fail(&err);
        }
        cfg.tls_cert_pem = (const char *)cert_pem;
        cfg.tls_key_pem = key_pem;
    }

    /* Before any thread exists, so all of them inherit the mask: only
     * the main thread takes the stop signals. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    signal(SIGPIPE, SIG_IGN);

    sc = calloc(1, sizeof(*sc));
    if (sc == NULL) {
        rc = cli_usage_error("out of memory");
        goto out;
    }
    if (pki_open(g->home, &sc->p, &err) != SERTEL_OK) {
        rc = cli_fail(&err);
        goto out;
    }
    if (base_path(pki_base_url(sc->p), sc->base, sizeof(sc->base)) != 0) {
        rc = cli_usage_error("serve: the base URL's path is longer than %d characters",
                             BASE_PATH_MAX - 1);
        goto out;
    }
    nroutes = build_routes(sc, routes);
    {
        api_config ac = {0};
        ac.home = g->home;
        ac.base_path = sc->base;
        ac.handles = cfg.threads ? cfg.threads * 2 : 0;
        ac.services = sc->p;
        ac.spool_dir = sc->spool;
        ac.tls = cfg.tls_cert_pem != NULL;
        if (make_spool(g->home, sc->spool, sizeof(sc->spool), &err) != SERTEL_OK ||
            api_open(&ac, &sc->api, &err) != SERTEL_OK ||
            api_routes(sc->api, routes, HTTP_MAX_ROUTES - 2, &nroutes, &err) != SERTEL_OK) {
            rc = cli_fail(&err);
            goto out;
        }
        cfg.spool_dir = sc->spool;
    }
    if (access_path != NULL && (cfg.access_log = open_access_log(access_path)) == NULL) {
        rc = EXIT_ERROR;
        goto out;
    }
    cfg.metrics = pki_metrics;
    cfg.metrics_arg = sc->p;
    rc = http_server_start(&cfg, routes, nroutes, &s, &err);
    /* libmicrohttpd's GnuTLS credentials hold the key now: wipe our copy. */
    secret_free(key_pem);
    key_pem = NULL;
    cfg.tls_key_pem = NULL;
    if (rc != SERTEL_OK) {
        rc = cli_fail(&err);
        goto out;
    }
    printf("listening on %s\n", http_server_url(s));
    fflush(stdout);
    if (strncmp(pki_base_url(sc->p), http_server_url(s), strlen(http_server_url(s))) != 0)
        fprintf(stderr,
                "sertel: serve: note: certificates carry URLs under %s; they reach this server "
                "only through a proxy or name that maps there\n",
                pki_base_url(sc->p));

    run_until_signal(s, sc->p, sc->api, &stop);
    if (http_server_shutdown(s, SHUTDOWN_WAIT_MS, &err) != SERTEL_OK)
        fprintf(stderr, "sertel: serve: %s\n", err.msg);
    fprintf(stderr, "sertel: serve: stopped\n");
    rc = EXIT_OK;
out:
    http_server_free(s);
    if (sc != NULL) {
        api_close(sc->api);
        pki_close(sc->p);
    }
    free(sc);
    if (cfg.access_log != NULL && cfg.access_log != stderr)
        fclose(cfg.access_log);
    secret_free(key_pem);
    free(cert_pem);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}
