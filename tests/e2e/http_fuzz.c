/*
 * http_fuzz.c - test helper for `sertel serve` (loopback only, bounded in
 * count and time). Links only libc and libcrypto; it parses answers with
 * OpenSSL to judge them, independently of sertel.
 *
 *   http_fuzz free-port
 *       print a free TCP port on 127.0.0.1
 *   http_fuzz fuzz --port P --count N --ocsp-req F --tsa-req F [--seed S]
 *                  [--base PATH] [--max-seconds T]
 *       N hostile requests, a seeded mix: random and truncated and
 *       bit-flipped OCSP and time-stamp requests, empty bodies, wrong
 *       methods and content types, a huge Content-Length, oversized chunked
 *       bodies, garbage GET base64, oversized headers; on keep-alive and on
 *       fresh connections. Every request must get a complete answer: for
 *       OCSP an OCSPResponse (malformedRequest for what cannot be a
 *       request) or a 4xx, for the TSA a TimeStampResp rejection or a 4xx;
 *       never a 5xx, a reset or silence. Exit 0 when all were answered so.
 *   http_fuzz load --port P --conns C --count N --body F [--path /ocsp]
 *                  [--content-type T] [--check ocsp|tsa|none] [--max-seconds T]
 *       C keep-alive connections sending the same valid request, N in all;
 *       every request sent must get a complete, valid answer. A connection
 *       answered with "Connection: close" reconnects; a refused connection
 *       (server stopped accepting) ends that client. Prints counts and the
 *       rate; exit 0 when nothing was lost.
 *   http_fuzz raw --port P [--from ADDR] [--wait S]
 *       send the bytes on stdin (at most 64 KiB) as they are, read one
 *       answer's head, then everything until the server closes or S
 *       seconds (default 3) pass; prints "status N connection-close yes|no
 *       closed yes|no extra B", B the bytes beyond the answer's
 *       Content-Length (a second answer, or libmicrohttpd 0.9.75 repeating
 *       its header block in its own error answers); "status none" when no
 *       answer head came. Exit 0 unless the helper itself failed.
 *   http_fuzz slow --port P --addrs N --per-addr M [--first 2]
 *                  [--trickle-ms 1000] [--held S] [--closed-within S]
 *                  [--max-seconds T]
 *       slowloris: N*M connections, M from each of 127.0.0.FIRST ..
 *       127.0.0.(FIRST+N-1), each sends an incomplete request head and then
 *       one more header byte every trickle-ms. Prints "holding K
 *       connections" once all are open, then waits until the server has
 *       closed every one (or T seconds, default 60). Exit 0 when all were
 *       opened, none was closed before S seconds (--held) and all were
 *       closed by the server within --closed-within seconds.
 *   http_fuzz perip --port P --from ADDR --other ADDR2 --limit L
 *       per-address limit: L keep-alive connections from ADDR must all be
 *       served (GET /healthz), the next one from ADDR must be closed
 *       without an answer, and ADDR2 and the held connections must still
 *       be served. Exit 0 when all of that holds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ocsp.h>
#include <openssl/ts.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define RESP_HEAD_MAX (32 * 1024)
#define RESP_BODY_MAX (4 * 1024 * 1024)
#define IO_TIMEOUT_S 10

typedef struct response {
    int status;
    int conn_close;
    char ctype[128];
    unsigned char *body;
    size_t len;
} response;

static unsigned short g_port;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t rnd_below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

static int read_file(const char *path, unsigned char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;

    if (f == NULL)
        return -1;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > 1024 * 1024 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return -1;
    }
    buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    *out = buf;
    *len = (size_t)n;
    return 0;
}

static int connect_local(void)
{
    struct sockaddr_in a;
    struct timeval tv = {IO_TIMEOUT_S, 0};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

    if (fd < 0)
        return -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(g_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int send_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static const char *find_header(const char *head, const char *name)
{
    const char *p = head;
    size_t n = strlen(name);

    while ((p = strstr(p, "\r\n")) != NULL) {
        p += 2;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            p += n + 1;
            while (*p == ' ')
                p++;
            return p;
        }
    }
    return NULL;
}

/*
 * Read one response. Returns 0 with r filled, -1 when the connection ended
 * or failed before a complete response (errbuf says how).
 */
static int read_response(int fd, int head_only, response *r, char *errbuf, size_t errcap)
{
    char *head = malloc(RESP_HEAD_MAX + 1);
    size_t hlen = 0, clen = 0, have;
    const char *v;
    char *end = NULL;
    int rc = -1;

    memset(r, 0, sizeof(*r));
    if (head == NULL)
        return -1;
    for (;;) {
        ssize_t n;
        if (hlen >= RESP_HEAD_MAX) {
            snprintf(errbuf, errcap, "response headers too long");
            goto out;
        }
        n = recv(fd, head + hlen, RESP_HEAD_MAX - hlen, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(errbuf, errcap, "%s after %zu bytes of the response",
                     n == 0 ? "connection closed" : strerror(errno), hlen);
            goto out;
        }
        hlen += (size_t)n;
        head[hlen] = '\0';
        if ((end = strstr(head, "\r\n\r\n")) != NULL)
            break;
    }
    if (strncmp(head, "HTTP/1.", 7) != 0 || hlen < 12) {
        snprintf(errbuf, errcap, "not an HTTP response");
        goto out;
    }
    r->status = (int)strtol(head + 9, NULL, 10); /* 3 digits after "HTTP/1.x " */
    end[2] = '\0';
    have = hlen - (size_t)(end + 4 - head);
    if ((v = find_header(head, "Content-Type")) != NULL)
        snprintf(r->ctype, sizeof(r->ctype), "%.*s", (int)strcspn(v, "\r"), v);
    if ((v = find_header(head, "Connection")) != NULL && strncasecmp(v, "close", 5) == 0)
        r->conn_close = 1;
    if (strncmp(head, "HTTP/1.0", 8) == 0 && (v == NULL || strncasecmp(v, "keep-alive", 10) != 0))
        r->conn_close = 1;
    if (find_header(head, "Transfer-Encoding") != NULL) {
        snprintf(errbuf, errcap, "unexpected chunked response");
        goto out;
    }
    if ((v = find_header(head, "Content-Length")) == NULL) {
        snprintf(errbuf, errcap, "response without Content-Length");
        goto out;
    }
    clen = strtoul(v, NULL, 10);
    if (head_only || r->status == 304 || r->status == 204)
        clen = 0;
    if (clen > RESP_BODY_MAX || have > clen) {
        snprintf(errbuf, errcap, "bad Content-Length %zu (have %zu)", clen, have);
        goto out;
    }
    r->body = malloc(clen + 1);
    if (r->body == NULL)
        goto out;
    memcpy(r->body, end + 4, have);
    while (have < clen) {
        ssize_t n = recv(fd, r->body + have, clen - have, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(errbuf, errcap, "%s after %zu of %zu body bytes",
                     n == 0 ? "connection closed" : strerror(errno), have, clen);
            goto out;
        }
        have += (size_t)n;
    }
    r->len = clen;
    rc = 0;
out:
    if (rc != 0) {
        free(r->body);
        r->body = NULL;
    }
    free(head);
    return rc;
}

/* OCSPResponse status (0 successful, 1 malformedRequest, ...), -1 if not one. */
static int ocsp_status(const response *r)
{
    const unsigned char *p = r->body;
    OCSP_RESPONSE *o;
    int st;

    if (strcmp(r->ctype, "application/ocsp-response") != 0)
        return -1;
    o = d2i_OCSP_RESPONSE(NULL, &p, (long)r->len);
    if (o == NULL || p != r->body + r->len) {
        OCSP_RESPONSE_free(o);
        return -1;
    }
    st = OCSP_response_status(o);
    OCSP_RESPONSE_free(o);
    return st;
}

/* PKIStatus of a TimeStampResp (0 granted, 2 rejection, ...), -1 if not one. */
static int tsa_status(const response *r)
{
    const unsigned char *p = r->body;
    TS_RESP *t;
    long st;

    if (strcmp(r->ctype, "application/timestamp-reply") != 0)
        return -1;
    t = d2i_TS_RESP(NULL, &p, (long)r->len);
    if (t == NULL || p != r->body + r->len) {
        TS_RESP_free(t);
        return -1;
    }
    st = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(t)));
    TS_RESP_free(t);
    return (int)st;
}

/* ------------------------------------------------------------ fuzz */

enum kind {
    K_OCSP_RANDOM,
    K_OCSP_TRUNCATED,
    K_OCSP_FLIPPED,
    K_OCSP_EMPTY,
    K_OCSP_GET_GARBAGE,
    K_OCSP_GET_VALID,
    K_OCSP_CHUNKED_BIG,
    K_OCSP_HUGE_LENGTH,
    K_OCSP_WRONG_TYPE,
    K_WRONG_METHOD,
    K_TSA_RANDOM,
    K_TSA_TRUNCATED,
    K_TSA_FLIPPED,
    K_TSA_EMPTY,
    K_BIG_HEADERS,
    K_UNKNOWN_PATH,
    K_NKINDS
};

static const char *const kind_name[] = {
    "ocsp random bytes", "ocsp truncated", "ocsp bit-flipped",    "ocsp empty body",
    "ocsp GET garbage",  "ocsp GET valid", "ocsp chunked 70 KiB", "ocsp huge Content-Length",
    "ocsp wrong type",   "wrong method",   "tsa random bytes",    "tsa truncated",
    "tsa bit-flipped",   "tsa empty body", "20 KiB header",       "unknown path",
};

typedef struct fuzz_ctx {
    const char *base;
    unsigned char *ocsp;
    size_t ocsp_len;
    unsigned char *tsa;
    size_t tsa_len;
    unsigned long answered[K_NKINDS], failed[K_NKINDS];
    unsigned long by_status[600];
    int fresh, reused;
} fuzz_ctx;

typedef struct outreq {
    char *head; /* request line and headers, ending with the blank line */
    size_t head_len;
    unsigned char *body;
    size_t body_len;
    int head_only;
    int service;          /* 0 ocsp, 1 tsa, 2 other */
    int expect_malformed; /* OCSP: a response status other than successful expected */
} outreq;

static void add_head(outreq *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_head(outreq *o, const char *fmt, ...)
{
    va_list ap;
    char buf[1024];
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf))
        abort();
    o->head = realloc(o->head, o->head_len + (size_t)n + 1);
    if (o->head == NULL)
        abort();
    memcpy(o->head + o->head_len, buf, (size_t)n + 1);
    o->head_len += (size_t)n;
}

static void set_body(outreq *o, const unsigned char *data, size_t len)
{
    o->body = malloc(len + 1);
    if (o->body == NULL)
        abort();
    if (len)
        memcpy(o->body, data, len);
    o->body_len = len;
}

static void random_body(outreq *o, size_t max)
{
    size_t i, n = rnd_below(max + 1);

    set_body(o, (const unsigned char *)"", 0);
    o->body = realloc(o->body, n + 1);
    if (o->body == NULL)
        abort();
    for (i = 0; i < n; i++)
        o->body[i] = (unsigned char)rnd();
    /* sometimes start like a DER SEQUENCE, to get past the first byte */
    if (n > 2 && rnd_below(2))
        o->body[0] = 0x30;
    o->body_len = n;
}

static void post(outreq *o, const fuzz_ctx *f, const char *path, const char *ctype)
{
    add_head(o, "POST %s%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n", f->base, path,
             ctype);
}

static void build(fuzz_ctx *f, enum kind k, outreq *o)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=%-_";
    size_t i, n;

    memset(o, 0, sizeof(*o));
    o->service = 0;
    o->expect_malformed = 1;
    switch (k) {
    case K_OCSP_RANDOM:
        post(o, f, "/ocsp", "application/ocsp-request");
        random_body(o, 2000);
        break;
    case K_OCSP_TRUNCATED:
        post(o, f, "/ocsp", "application/ocsp-request");
        set_body(o, f->ocsp, rnd_below(f->ocsp_len));
        break;
    case K_OCSP_FLIPPED:
        post(o, f, "/ocsp", "application/ocsp-request");
        set_body(o, f->ocsp, f->ocsp_len);
        for (i = 0, n = 1 + rnd_below(4); i < n; i++)
            o->body[rnd_below(o->body_len)] ^= (unsigned char)(1u << rnd_below(8));
        o->expect_malformed = 0; /* may still be a valid request (another serial) */
        break;
    case K_OCSP_EMPTY:
        post(o, f, "/ocsp", "application/ocsp-request");
        set_body(o, (const unsigned char *)"", 0);
        break;
    case K_OCSP_GET_GARBAGE: {
        char path[700];
        size_t len = 0;
        n = 1 + rnd_below(600);
        for (i = 0; i < n; i++) {
            char ch = b64[rnd_below(sizeof(b64) - 1)];
            if (ch == '%') {
                len += (size_t)snprintf(path + len, sizeof(path) - len, "%%%02X",
                                        (unsigned)rnd_below(256));
                i += 2;
            } else {
                path[len++] = ch;
            }
        }
        path[len] = '\0';
        add_head(o, "GET %s/ocsp/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n", f->base, path);
        o->expect_malformed = 0; /* random base64 can be valid DER only by chance; judged as ocsp */
        break;
    }
    case K_OCSP_GET_VALID: {
        unsigned char enc[4096];
        char path[8192];
        size_t len = 0;
        int el = EVP_EncodeBlock(enc, f->ocsp, (int)f->ocsp_len);
        for (i = 0; i < (size_t)el; i++) {
            if (enc[i] == '+' || enc[i] == '/' || enc[i] == '=')
                len += (size_t)snprintf(path + len, sizeof(path) - len, "%%%02X", enc[i]);
            else
                path[len++] = (char)enc[i];
        }
        path[len] = '\0';
        add_head(o, "GET %s/ocsp/%s HTTP/1.1\r\nHost: 127.0.0.1\r\n", f->base, path);
        o->expect_malformed = -1; /* must be successful */
        break;
    }
    case K_OCSP_CHUNKED_BIG: {
        /* 70 KiB in 7 chunks: the body cap must be enforced while reading */
        static unsigned char chunk[10 * 1024];
        size_t pos = 0;
        add_head(o,
                 "POST %s/ocsp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                 "application/ocsp-request\r\nTransfer-Encoding: chunked\r\n",
                 f->base);
        o->body = malloc(7 * (sizeof(chunk) + 16) + 8);
        if (o->body == NULL)
            abort();
        memset(chunk, 'A', sizeof(chunk));
        for (i = 0; i < 7; i++) {
            pos += (size_t)snprintf((char *)o->body + pos, 16, "%zx\r\n", sizeof(chunk));
            memcpy(o->body + pos, chunk, sizeof(chunk));
            pos += sizeof(chunk);
            memcpy(o->body + pos, "\r\n", 2);
            pos += 2;
        }
        memcpy(o->body + pos, "0\r\n\r\n", 5);
        o->body_len = pos + 5;
        o->service = 2; /* 413 expected */
        add_head(o, "\r\n");
        return;
    }
    case K_OCSP_HUGE_LENGTH:
        add_head(o,
                 "POST %s/ocsp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                 "application/ocsp-request\r\nContent-Length: %llu\r\n\r\n",
                 f->base, 1000000000ULL + rnd_below(1000));
        set_body(o, f->ocsp, f->ocsp_len < 16 ? f->ocsp_len : 16);
        o->service = 2;
        return;
    case K_OCSP_WRONG_TYPE:
        post(o, f, "/ocsp", rnd_below(2) ? "text/plain" : "application/x-www-form-urlencoded");
        set_body(o, f->ocsp, f->ocsp_len);
        o->service = 2;
        break;
    case K_WRONG_METHOD: {
        static const char *const m[][2] = {{"PUT", "/ocsp"},        {"DELETE", "/ocsp"},
                                           {"GET", "/ocsp"},        {"GET", "/tsa"},
                                           {"POST", "/ocsp/AA"},    {"PATCH", "/crl/issuing.crl"},
                                           {"POST", "/ca/root.crt"}};
        size_t j = rnd_below(sizeof(m) / sizeof(m[0]));
        add_head(o, "%s %s%s HTTP/1.1\r\nHost: 127.0.0.1\r\n", m[j][0], f->base, m[j][1]);
        if (strcmp(m[j][0], "GET") != 0)
            set_body(o, f->ocsp, f->ocsp_len);
        o->service = 2;
        break;
    }
    case K_TSA_RANDOM:
        post(o, f, "/tsa", "application/timestamp-query");
        random_body(o, 2000);
        o->service = 1;
        break;
    case K_TSA_TRUNCATED:
        post(o, f, "/tsa", "application/timestamp-query");
        set_body(o, f->tsa, rnd_below(f->tsa_len));
        o->service = 1;
        break;
    case K_TSA_FLIPPED:
        post(o, f, "/tsa", "application/timestamp-query");
        set_body(o, f->tsa, f->tsa_len);
        o->body[rnd_below(o->body_len)] ^= (unsigned char)(1u << rnd_below(8));
        o->service = 1;
        o->expect_malformed = 0;
        break;
    case K_TSA_EMPTY:
        post(o, f, "/tsa", "application/timestamp-query");
        set_body(o, (const unsigned char *)"", 0);
        o->service = 1;
        break;
    case K_BIG_HEADERS: {
        char *big = malloc(20 * 1024 + 1);
        if (big == NULL)
            abort();
        memset(big, 'x', 20 * 1024);
        big[20 * 1024] = '\0';
        add_head(o, "GET %s/ca/root.crt HTTP/1.1\r\nHost: 127.0.0.1\r\n", f->base);
        o->head = realloc(o->head, o->head_len + 20 * 1024 + 16);
        if (o->head == NULL)
            abort();
        o->head_len +=
            (size_t)snprintf(o->head + o->head_len, 20 * 1024 + 16, "X-Big: %s\r\n", big);
        free(big);
        o->service = 2;
        break;
    }
    case K_UNKNOWN_PATH:
        add_head(o, "GET %s/nothing/%llu HTTP/1.1\r\nHost: 127.0.0.1\r\n", f->base,
                 (unsigned long long)rnd_below(100000));
        o->service = 2;
        break;
    default:
        abort();
    }
    if (o->body != NULL)
        add_head(o, "Content-Length: %zu\r\n", o->body_len);
    add_head(o, "\r\n");
}

/* Judge an answer. Returns NULL when acceptable, else why not. */
static const char *judge(enum kind k, const outreq *o, const response *r)
{
    static char why[200];
    int st;

    if (r->status >= 500 || r->status < 100)
        return "server error";
    switch (k) {
    case K_OCSP_CHUNKED_BIG:
    case K_OCSP_HUGE_LENGTH:
        return r->status == 413 ? NULL : "wanted 413";
    case K_OCSP_WRONG_TYPE:
        return r->status == 415 ? NULL : "wanted 415";
    case K_WRONG_METHOD:
        return r->status == 405 || r->status == 501 ? NULL : "wanted 405";
    case K_BIG_HEADERS:
        return r->status == 431 || r->status == 413 || r->status == 400 ? NULL
                                                                        : "wanted 431/413/400";
    case K_UNKNOWN_PATH:
        return r->status == 404 ? NULL : "wanted 404";
    default:
        break;
    }
    if (r->status >= 400 && r->status < 500 && o->expect_malformed >= 0)
        return NULL; /* a transport-level refusal */
    if (r->status != 200)
        return "wanted 200 or 4xx";
    if (o->service == 0) {
        st = ocsp_status(r);
        if (st < 0)
            return "not an OCSP response";
        if (o->expect_malformed > 0 && st == 0)
            return "successful OCSP response to a malformed request";
        if (o->expect_malformed < 0 && st != 0) {
            snprintf(why, sizeof(why), "OCSP status %d for a valid request", st);
            return why;
        }
        return NULL;
    }
    st = tsa_status(r);
    if (st < 0)
        return "not a TimeStampResp";
    if (o->expect_malformed > 0 && st != 2)
        return "time-stamp request not rejected";
    return NULL;
}

static int cmd_fuzz(fuzz_ctx *f, unsigned long count, double max_s)
{
    double t0 = now_s();
    unsigned long i, failures = 0, printed = 0;
    int fd = -1;

    for (i = 0; i < count; i++) {
        enum kind k = (enum kind)rnd_below(K_NKINDS);
        outreq o;
        response r;
        char err[200] = "";
        const char *why = NULL;

        if (now_s() - t0 > max_s) {
            fprintf(stderr, "http_fuzz: time bound of %.0f s reached after %lu requests\n", max_s,
                    i);
            return 1;
        }
        build(f, k, &o);
        if (fd >= 0 && rnd_below(2) == 0) {
            close(fd); /* a fresh connection about half the time */
            fd = -1;
        }
        if (fd < 0) {
            fd = connect_local();
            f->fresh++;
        } else {
            f->reused++;
        }
        if (fd < 0) {
            snprintf(err, sizeof(err), "connect: %s", strerror(errno));
        } else if (send_all(fd, o.head, o.head_len) != 0 ||
                   (o.body_len && send_all(fd, o.body, o.body_len) != 0)) {
            /* The server may answer and close before taking a huge body;
             * the answer must still be readable. */
            if (read_response(fd, 0, &r, err, sizeof(err)) == 0)
                why = judge(k, &o, &r);
            else
                snprintf(err + strlen(err), sizeof(err) - strlen(err), " (send failed)");
        } else if (read_response(fd, strncmp(o.head, "HEAD", 4) == 0, &r, err, sizeof(err)) == 0) {
            why = judge(k, &o, &r);
        }
        if (err[0] == '\0') {
            f->by_status[r.status < 600 && r.status >= 0 ? r.status : 0]++;
            if (why == NULL) {
                f->answered[k]++;
            } else {
                snprintf(err, sizeof(err), "HTTP %d %s: %s", r.status, r.ctype, why);
            }
            if (r.conn_close) {
                close(fd);
                fd = -1;
            }
            free(r.body);
        } else if (fd >= 0) {
            close(fd);
            fd = -1;
        }
        if (err[0] != '\0') {
            f->failed[k]++;
            failures++;
            if (printed++ < 20)
                fprintf(stderr, "http_fuzz: request %lu (%s): %s\n", i, kind_name[k], err);
        }
        free(o.head);
        free(o.body);
    }
    if (fd >= 0)
        close(fd);
    printf("%lu requests in %.2f s (%d fresh connections, %d reused)\n", count, now_s() - t0,
           f->fresh, f->reused);
    for (i = 0; i < K_NKINDS; i++)
        printf("  %-26s answered %5lu  failed %lu\n", kind_name[i], f->answered[i], f->failed[i]);
    printf("  statuses:");
    for (i = 0; i < 600; i++)
        if (f->by_status[i])
            printf(" %lu:%lu", i, f->by_status[i]);
    printf("\n%s: %lu failures\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}

/* ------------------------------------------------------------ load */

typedef struct load_ctx {
    const char *path, *ctype, *check;
    unsigned char *body;
    size_t body_len;
    unsigned long per_conn;
    double deadline;
    atomic_ulong sent, complete, lost, invalid, refused, reconnects;
} load_ctx;

static void *load_thread(void *arg)
{
    load_ctx *L = arg;
    char head[512];
    int hl, fd = -1;
    unsigned long i;

    hl = snprintf(head, sizeof(head),
                  "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nContent-Length: "
                  "%zu\r\n\r\n",
                  L->path, L->ctype, L->body_len);
    for (i = 0; i < L->per_conn && now_s() < L->deadline; i++) {
        response r;
        char err[200];
        int ok;

        if (fd < 0) {
            fd = connect_local();
            if (fd < 0) {
                atomic_fetch_add(&L->refused, 1);
                break; /* the server stopped accepting */
            }
            if (i > 0)
                atomic_fetch_add(&L->reconnects, 1);
        }
        atomic_fetch_add(&L->sent, 1);
        if (send_all(fd, head, (size_t)hl) != 0 || send_all(fd, L->body, L->body_len) != 0 ||
            read_response(fd, 0, &r, err, sizeof(err)) != 0) {
            atomic_fetch_add(&L->lost, 1);
            close(fd);
            fd = -1;
            continue;
        }
        if (strcmp(L->check, "ocsp") == 0)
            ok = r.status == 200 && ocsp_status(&r) == 0;
        else if (strcmp(L->check, "tsa") == 0)
            ok = r.status == 200 && tsa_status(&r) == 0;
        else
            ok = r.status == 200;
        atomic_fetch_add(ok ? &L->complete : &L->invalid, 1);
        if (r.conn_close) {
            close(fd);
            fd = -1;
        }
        free(r.body);
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static int cmd_load(load_ctx *L, unsigned conns, unsigned long count, double max_s)
{
    pthread_t th[256];
    double t0 = now_s(), dt;
    unsigned i;

    L->per_conn = (count + conns - 1) / conns;
    L->deadline = t0 + max_s;
    for (i = 0; i < conns; i++)
        if (pthread_create(&th[i], NULL, load_thread, L) != 0)
            return 2;
    for (i = 0; i < conns; i++)
        pthread_join(th[i], NULL);
    dt = now_s() - t0;
    printf("sent %lu complete %lu invalid %lu lost %lu refused %lu reconnects %lu in %.2f s: "
           "%.0f requests/s\n",
           atomic_load(&L->sent), atomic_load(&L->complete), atomic_load(&L->invalid),
           atomic_load(&L->lost), atomic_load(&L->refused), atomic_load(&L->reconnects), dt,
           (double)atomic_load(&L->complete) / dt);
    return atomic_load(&L->lost) == 0 && atomic_load(&L->invalid) == 0 ? 0 : 1;
}

/* ----------------------------------------------- raw, slow, per-address */

/* A connection to the server from the loopback address src (NULL: any). */
static int connect_from(const char *src)
{
    struct sockaddr_in a;
    struct timeval tv = {IO_TIMEOUT_S, 0};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    if (src != NULL) {
        if (inet_pton(AF_INET, src, &a.sin_addr) != 1 ||
            bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
            goto fail;
    }
    a.sin_port = htons(g_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        goto fail;
    return fd;
fail : {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}
}

/* Raise the soft descriptor limit to want (or the hard limit). */
static void raise_nofile(rlim_t want)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
}

static int cmd_raw(const char *src, double wait_s)
{
    static unsigned char req[64 * 1024];
    static char got[256 * 1024];
    size_t len = 0, have = 0, head_len, clen = 0, body;
    const char *v, *end;
    double until;
    int fd, closed = 0;

    while (len < sizeof(req)) {
        size_t n = fread(req + len, 1, sizeof(req) - len, stdin);
        if (n == 0)
            break;
        len += n;
    }
    if ((fd = connect_from(src)) < 0) {
        fprintf(stderr, "http_fuzz: raw: cannot connect: %s\n", strerror(errno));
        return 2;
    }
    /* the server may close before taking everything; read its answer anyway */
    if (send_all(fd, req, len) != 0)
        fprintf(stderr, "http_fuzz: raw: send: %s\n", strerror(errno));
    until = now_s() + IO_TIMEOUT_S;
    for (;;) { /* the head, then the rest until close or the wait ends */
        struct pollfd p = {fd, POLLIN, 0};
        int left = (int)((until - now_s()) * 1000);
        ssize_t n;
        if (left <= 0 || have + 1 >= sizeof(got) || poll(&p, 1, left) <= 0)
            break;
        n = recv(fd, got + have, sizeof(got) - 1 - have, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0) {
            closed = 1;
            break;
        }
        have += (size_t)n;
        got[have] = '\0';
        if (strstr(got, "\r\n\r\n") != NULL && until > now_s() + wait_s)
            until = now_s() + wait_s;
    }
    close(fd);
    end = strstr(got, "\r\n\r\n");
    if (have < 12 || strncmp(got, "HTTP/1.", 7) != 0 || end == NULL) {
        printf("status none (%zu bytes, %s)\n", have, closed ? "closed" : "open");
        return 0;
    }
    head_len = (size_t)(end + 4 - got);
    if ((v = find_header(got, "Content-Length")) != NULL && v < end)
        clen = strtoul(v, NULL, 10);
    v = find_header(got, "Connection");
    body = have - head_len;
    printf("status %d connection-close %s closed %s extra %zu\n", (int)strtol(got + 9, NULL, 10),
           v != NULL && v < end && strncasecmp(v, "close", 5) == 0 ? "yes" : "no",
           closed ? "yes" : "no", body > clen ? body - clen : 0);
    return 0;
}

static int cmd_slow(unsigned naddrs, unsigned first, unsigned per, unsigned trickle_ms,
                    double held_s, double within_s, double max_s)
{
    static const char head[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    unsigned n = naddrs * per, i, open_n = 0, failed = 0, answered = 0, closed = 0;
    int *fds = calloc(n, sizeof(int));
    double *opened = calloc(n, sizeof(double)), *life = calloc(n, sizeof(double));
    struct pollfd *pf = calloc(n, sizeof(struct pollfd));
    unsigned *idx = calloc(n, sizeof(unsigned));
    double t0, next_trickle, lo = 1e9, hi = 0;
    int rc;

    if (fds == NULL || opened == NULL || life == NULL || pf == NULL || idx == NULL)
        return 2;
    raise_nofile((rlim_t)n + 64);
    for (i = 0; i < n; i++) {
        char src[32];
        snprintf(src, sizeof(src), "127.0.0.%u", first + i % naddrs);
        fds[i] = connect_from(src);
        life[i] = -1;
        if (fds[i] < 0 || send_all(fds[i], head, sizeof(head) - 1) != 0) {
            if (failed++ < 5)
                fprintf(stderr, "http_fuzz: slow: connection %u from %s: %s\n", i + 1, src,
                        strerror(errno));
            if (fds[i] >= 0)
                close(fds[i]);
            fds[i] = -1;
            continue;
        }
        opened[i] = now_s();
        open_n++;
    }
    printf("holding %u connections from %u addresses (%u failed)\n", open_n, naddrs, failed);
    fflush(stdout);
    t0 = now_s();
    next_trickle = t0 + trickle_ms / 1000.0;
    while (closed < open_n && now_s() - t0 < max_s) {
        unsigned np = 0;
        int wait_ms = (int)((next_trickle - now_s()) * 1000), k;
        for (i = 0; i < n; i++)
            if (fds[i] >= 0) {
                pf[np] = (struct pollfd){fds[i], POLLIN, 0};
                idx[np++] = i;
            }
        k = poll(pf, np, wait_ms > 0 ? wait_ms : 0);
        for (i = 0; k > 0 && i < np; i++) {
            char b[512];
            ssize_t r;
            unsigned c = idx[i];
            if (pf[i].revents == 0)
                continue;
            r = recv(fds[c], b, sizeof(b), MSG_DONTWAIT);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (r > 0) {
                answered++; /* an answer (e.g. 408) before the close: fine */
                continue;
            }
            life[c] = now_s() - opened[c];
            close(fds[c]);
            fds[c] = -1;
            closed++;
        }
        if (now_s() >= next_trickle) {
            for (i = 0; i < n; i++) {
                if (fds[i] < 0)
                    continue;
                if (send(fds[i], "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN) {
                    life[i] = now_s() - opened[i];
                    close(fds[i]);
                    fds[i] = -1;
                    closed++;
                }
            }
            next_trickle += trickle_ms / 1000.0;
        }
    }
    for (i = 0; i < n; i++) {
        if (life[i] >= 0) {
            lo = life[i] < lo ? life[i] : lo;
            hi = life[i] > hi ? life[i] : hi;
        }
        if (fds[i] >= 0)
            close(fds[i]);
    }
    printf("closed by the server: %u of %u, %.1f to %.1f s after connecting (%u answered "
           "first); still open after %.0f s: %u\n",
           closed, open_n, closed ? lo : 0.0, hi, answered, max_s, open_n - closed);
    rc = failed == 0 && closed == open_n && lo >= held_s && hi <= within_s ? 0 : 1;
    if (failed > 0)
        printf("FAIL: %u connections could not be opened\n", failed);
    if (closed < open_n)
        printf("FAIL: %u connections were never closed by the server\n", open_n - closed);
    if (closed > 0 && lo < held_s)
        printf("FAIL: a connection was closed after %.1f s, before %.1f s\n", lo, held_s);
    if (hi > within_s)
        printf("FAIL: a connection was closed only after %.1f s, later than %.1f s\n", hi,
               within_s);
    free(fds);
    free(opened);
    free(life);
    free(pf);
    free(idx);
    return rc;
}

/* GET /healthz on fd: the status, or -1 (errbuf says why). */
static int healthz(int fd, char *errbuf, size_t errcap)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    response r;
    int st;

    if (send_all(fd, req, sizeof(req) - 1) != 0) {
        snprintf(errbuf, errcap, "send: %s", strerror(errno));
        return -1;
    }
    if (read_response(fd, 0, &r, errbuf, errcap) != 0)
        return -1;
    st = r.status;
    free(r.body);
    return st;
}

static int cmd_perip(const char *src, const char *other, unsigned limit)
{
    int *fds = calloc(limit, sizeof(int)), fd, st, rc = 0;
    char errbuf[256];
    unsigned i, served = 0;

    if (fds == NULL)
        return 2;
    raise_nofile((rlim_t)limit + 64);
    for (i = 0; i < limit; i++) {
        fds[i] = connect_from(src);
        if (fds[i] >= 0 && healthz(fds[i], errbuf, sizeof(errbuf)) == 200)
            served++;
    }
    printf("%u of %u connections from %s served\n", served, limit, src);
    if (served != limit)
        rc = 1;
    fd = connect_from(src);
    st = fd >= 0 ? healthz(fd, errbuf, sizeof(errbuf)) : -1;
    if (st >= 0) {
        printf("FAIL: connection %u from %s was served (status %d)\n", limit + 1, src, st);
        rc = 1;
    } else {
        printf("connection %u from %s closed without an answer (%s)\n", limit + 1, src,
               fd >= 0 ? errbuf : strerror(errno));
    }
    if (fd >= 0)
        close(fd);
    fd = connect_from(other);
    st = fd >= 0 ? healthz(fd, errbuf, sizeof(errbuf)) : -1;
    printf("a connection from %s: %s%d\n", other, st == 200 ? "" : "FAIL: status ", st);
    if (st != 200)
        rc = 1;
    if (fd >= 0)
        close(fd);
    st = fds[0] >= 0 ? healthz(fds[0], errbuf, sizeof(errbuf)) : -1;
    printf("a held connection from %s again: %s%d\n", src, st == 200 ? "" : "FAIL: status ", st);
    if (st != 200)
        rc = 1;
    for (i = 0; i < limit; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
    return rc;
}

/* ------------------------------------------------------------ main */

static int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("http_fuzz: free-port");
        return 2;
    }
    printf("%u\n", ntohs(a.sin_port));
    close(fd);
    return 0;
}

static const char *opt(int argc, char **argv, const char *name, const char *def)
{
    int i;

    for (i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return def;
}

static unsigned long num(const char *s, unsigned long max)
{
    char *end = NULL;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v > max) {
        fprintf(stderr, "http_fuzz: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    const char *port, *ms;

    if (argc < 2) {
        fprintf(stderr, "usage: http_fuzz free-port | fuzz | load | raw | slow | perip ... (see "
                        "the source)\n");
        return 2;
    }
    if (strcmp(argv[1], "free-port") == 0)
        return free_port();
    port = opt(argc, argv, "--port", NULL);
    if (port == NULL) {
        fprintf(stderr, "http_fuzz: --port is required\n");
        return 2;
    }
    g_port = (unsigned short)num(port, 65535);
    ms = opt(argc, argv, "--max-seconds", "120");
    if (strcmp(argv[1], "fuzz") == 0) {
        static fuzz_ctx f;
        const char *oq = opt(argc, argv, "--ocsp-req", NULL),
                   *tq = opt(argc, argv, "--tsa-req", NULL);
        if (oq == NULL || tq == NULL || read_file(oq, &f.ocsp, &f.ocsp_len) != 0 ||
            read_file(tq, &f.tsa, &f.tsa_len) != 0 || f.ocsp_len == 0 || f.tsa_len == 0) {
            fprintf(stderr, "http_fuzz: give readable --ocsp-req and --tsa-req files\n");
            return 2;
        }
        f.base = opt(argc, argv, "--base", "");
        rng_state ^= num(opt(argc, argv, "--seed", "1"), ~0UL) * 0x9E3779B97F4A7C15ULL;
        return cmd_fuzz(&f, num(opt(argc, argv, "--count", "10000"), 10000000),
                        (double)num(ms, 3600));
    }
    if (strcmp(argv[1], "load") == 0) {
        static load_ctx L;
        const char *bf = opt(argc, argv, "--body", NULL);
        unsigned conns = (unsigned)num(opt(argc, argv, "--conns", "4"), 256);
        if (bf == NULL || read_file(bf, &L.body, &L.body_len) != 0 || conns == 0) {
            fprintf(stderr, "http_fuzz: give a readable --body file and --conns 1..256\n");
            return 2;
        }
        L.path = opt(argc, argv, "--path", "/ocsp");
        L.ctype = opt(argc, argv, "--content-type", "application/ocsp-request");
        L.check = opt(argc, argv, "--check", "ocsp");
        return cmd_load(&L, conns, num(opt(argc, argv, "--count", "10000"), 100000000),
                        (double)num(ms, 3600));
    }
    if (strcmp(argv[1], "raw") == 0)
        return cmd_raw(opt(argc, argv, "--from", NULL),
                       (double)num(opt(argc, argv, "--wait", "3"), 60));
    if (strcmp(argv[1], "slow") == 0) {
        unsigned na = (unsigned)num(opt(argc, argv, "--addrs", "50"), 200);
        unsigned first = (unsigned)num(opt(argc, argv, "--first", "2"), 254);
        if (na == 0 || first == 0 || first + na - 1 > 254) {
            fprintf(stderr, "http_fuzz: slow: --first + --addrs must stay within 127.0.0.1-254\n");
            return 2;
        }
        return cmd_slow(na, first, (unsigned)num(opt(argc, argv, "--per-addr", "20"), 1000),
                        (unsigned)num(opt(argc, argv, "--trickle-ms", "1000"), 60000),
                        (double)num(opt(argc, argv, "--held", "0"), 3600),
                        (double)num(opt(argc, argv, "--closed-within", "3600"), 3600),
                        (double)num(opt(argc, argv, "--max-seconds", "60"), 3600));
    }
    if (strcmp(argv[1], "perip") == 0) {
        const char *from = opt(argc, argv, "--from", NULL),
                   *other = opt(argc, argv, "--other", NULL);
        if (from == NULL || other == NULL) {
            fprintf(stderr, "http_fuzz: perip needs --from and --other\n");
            return 2;
        }
        return cmd_perip(from, other, (unsigned)num(opt(argc, argv, "--limit", "64"), 10000));
    }
    fprintf(stderr, "http_fuzz: unknown command %s\n", argv[1]);
    return 2;
}
