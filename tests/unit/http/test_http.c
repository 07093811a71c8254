/*
 * test_http.c - the HTTP server on its own, with toy handlers, over raw
 * loopback sockets: listen-address parsing, routing (exact and prefix,
 * 404, 405 with Allow), body caps (413 by Content-Length and while a
 * chunked body streams), content types (415), handler bodies and failures
 * (500, message only in the error log), caching headers and If-None-Match,
 * HEAD, keep-alive, /healthz, /metrics with the application's text, the
 * JSON access log, and a graceful shutdown that refuses new connections.
 * Hostile clients: ambiguous framing and malformed fields (request
 * smuggling) answered 400 with "Connection: close" and a closed
 * connection, control characters in the target, HTTP/1.1 without Host, the
 * request-head deadline against trickling clients (on a fresh and on a
 * keep-alive connection), and the default per-address connection limit.
 * Native TLS: handlers see http_request.tls, TLS 1.2 and 1.3 are served
 * and TLS 1.1 is not, plain HTTP to the TLS port is closed without an
 * answer, and a key that does not match the certificate is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "http/http.h"

/* What the handler saw of the connection. */
static int tls_handler(const http_request *req, http_response *resp, sertel_err *err)
{
    static const char *const answer[2] = {"tls=0", "tls=1"};

    (void)err;
    resp->body = (const unsigned char *)answer[req->tls ? 1 : 0];
    resp->len = 5;
    return SERTEL_OK;
}

static int echo_handler(const http_request *req, http_response *resp, sertel_err *err)
{
    unsigned char *copy = malloc(req->body_len + 1);

    (void)err;
    if (copy == NULL)
        return SERTEL_ERR_NOMEM;
    memcpy(copy, req->body, req->body_len);
    snprintf(resp->content_type, sizeof(resp->content_type), "application/x-echo");
    resp->body = copy;
    resp->len = req->body_len;
    resp->body_free = free;
    return SERTEL_OK;
}

static int rest_handler(const http_request *req, http_response *resp, sertel_err *err)
{
    char *s = NULL;
    int n = asprintf(&s, "rest=%s", req->rest);

    (void)err;
    if (n < 0)
        return SERTEL_ERR_NOMEM;
    resp->body = (const unsigned char *)s;
    resp->len = (size_t)n;
    resp->body_free = free;
    resp->max_age = 600;
    resp->last_modified = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
    resp->expires = 784111777 + 600;
    snprintf(resp->etag, sizeof(resp->etag), "\"v1\"");
    return SERTEL_OK;
}

static int failing_handler(const http_request *req, http_response *resp, sertel_err *err)
{
    (void)req;
    (void)resp;
    return sertel_err_set(err, SERTEL_ERR_STORE, "database is locked (secret detail)");
}

static void app_metrics(void *arg, FILE *out)
{
    fprintf(out, "app_things_total %d\n", *(int *)arg);
}

typedef struct fixture {
    http_server *s;
    FILE *access, *errors;
    int metric;
} fixture;

/* Echoes the "{}" segments, a header, a query argument, a cookie and the
 * peer; adds headers to the answer, and shows that a value with CR LF is
 * refused (no header injection). */
static int param_handler(const http_request *req, http_response *resp, sertel_err *err)
{
    char *s = NULL;
    const char *h = http_header(req, "x-thing"), *q = http_query(req, "q"),
               *ck = http_cookie(req, "sid");
    int n;

    (void)err;
    n = asprintf(&s, "n=%zu p0=%s p1=%s h=%s q=%s c=%s peer=%s tls=%d", req->nparams,
                 req->nparams > 0 ? req->params[0] : "-", req->nparams > 1 ? req->params[1] : "-",
                 h ? h : "-", q ? q : "-", ck ? ck : "-", req->peer, req->tls);
    if (n < 0)
        return SERTEL_ERR_NOMEM;
    resp->body = (const unsigned char *)s;
    resp->len = (size_t)n;
    resp->body_free = free;
    if (http_response_header(resp, "Set-Cookie", "sid=abc; HttpOnly; SameSite=Strict") !=
            SERTEL_OK ||
        http_response_header(resp, "X-Other", "1") != SERTEL_OK)
        return SERTEL_ERR_INTERNAL;
    if (http_response_header(resp, "X-Evil", "a\r\nSet-Cookie: x=y") != SERTEL_ERR_INVALID ||
        http_response_header(resp, "Bad Name", "v") != SERTEL_ERR_INVALID)
        return SERTEL_ERR_INTERNAL;
    return SERTEL_OK;
}

/* Lists a form's fields: name, file name, length, and the content (files
 * read back from their spool descriptor). */
static int form_handler(const http_request *req, http_response *resp, sertel_err *err)
{
    char *out = malloc(8192), buf[512];
    size_t i, used = 0;

    (void)err;
    if (out == NULL)
        return SERTEL_ERR_NOMEM;
    out[0] = '\0';
    for (i = 0; i < req->nfields; i++) {
        const http_field *f = &req->fields[i];
        ssize_t n = 0;
        if (f->fd >= 0) {
            n = read(f->fd, buf, sizeof(buf) - 1);
            if (n < 0)
                n = 0;
            buf[n] = '\0';
        }
        used += (size_t)snprintf(out + used, 8192 - used, "[%s|%s|%s|%zu|%s]", f->name,
                                 f->filename ? f->filename : "-",
                                 f->content_type ? f->content_type : "-", f->len,
                                 f->fd >= 0 ? buf : (const char *)f->value);
    }
    if (http_form_field(req, "nope") != NULL)
        used += (size_t)snprintf(out + used, 8192 - used, "BUG");
    resp->body = (const unsigned char *)out;
    resp->len = used;
    resp->body_free = free;
    return SERTEL_OK;
}

static const http_route routes[] = {
    {"POST", "/echo", 0, "application/x-test", 100, "echo", echo_handler, NULL, HTTP_BODY_BUFFER},
    {"GET", "/get/", 1, NULL, 0, "get", rest_handler, NULL, HTTP_BODY_BUFFER},
    {"GET", "/fail", 0, NULL, 0, "fail", failing_handler, NULL, HTTP_BODY_BUFFER},
    {"GET", "/item/{}/sub/{}", 0, NULL, 0, "item", param_handler, NULL, HTTP_BODY_BUFFER},
    {"POST", "/form", 0, NULL, 2048, "form", form_handler, NULL, HTTP_BODY_FORM},
    {"GET", "/tls", 0, NULL, 0, "tls", tls_handler, NULL, HTTP_BODY_BUFFER},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    http_config cfg = {0};
    sertel_err err = {0};

    assert_non_null(f);
    f->access = tmpfile();
    f->errors = tmpfile();
    f->metric = 42;
    cfg.listen = "127.0.0.1:0";
    cfg.threads = 2;
    cfg.access_log = f->access;
    cfg.error_log = f->errors;
    cfg.metrics = app_metrics;
    cfg.metrics_arg = &f->metric;
    assert_int_equal(http_server_start(&cfg, routes, NROUTES, &f->s, &err), SERTEL_OK);
    assert_true(http_server_port(f->s) > 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    http_server_free(f->s);
    fclose(f->access);
    fclose(f->errors);
    free(f);
    return 0;
}

static int dial(unsigned port)
{
    struct sockaddr_in a;
    struct timeval tv = {10, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Send raw bytes, read one response (headers + Content-Length body) into out. */
static int exchange(int fd, const char *req, size_t reqlen, char *out, size_t cap)
{
    size_t have = 0, need = 0;
    char *end, *cl;

    if (reqlen && send(fd, req, reqlen, MSG_NOSIGNAL) != (ssize_t)reqlen)
        return -1;
    for (;;) {
        ssize_t n = recv(fd, out + have, cap - 1 - have, 0);
        if (n <= 0)
            return -1;
        have += (size_t)n;
        out[have] = '\0';
        end = strstr(out, "\r\n\r\n");
        if (end == NULL)
            continue;
        cl = strstr(out, "Content-Length: ");
        need = (size_t)(end + 4 - out) + (cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0);
        if (strncmp(req, "HEAD", 4) == 0 || strstr(out, " 304 ") != NULL)
            need = (size_t)(end + 4 - out);
        if (have >= need)
            return (int)have;
    }
}

static char *ask(fixture *f, const char *req, size_t len)
{
    static char buf[64 * 1024];
    int fd = dial(http_server_port(f->s));

    assert_true(fd >= 0);
    assert_true(exchange(fd, req, len, buf, sizeof(buf)) > 0);
    close(fd);
    return buf;
}

#define ASK(f, s) ask(f, s, strlen(s))

static void test_parse_listen(void **state)
{
    struct sockaddr_storage ss;
    unsigned len = 0;
    sertel_err err = {0};

    (void)state;
    assert_int_equal(http_parse_listen("127.0.0.1:8080", &ss, &len, &err), SERTEL_OK);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
    assert_int_equal(http_parse_listen("[::1]:443", &ss, &len, &err), SERTEL_OK);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(http_parse_listen("0.0.0.0:0", &ss, &len, &err), SERTEL_OK);
    assert_int_equal(http_parse_listen("127.0.0.1", &ss, &len, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "ADDR:PORT"));
    assert_int_equal(http_parse_listen("127.0.0.1:65536", &ss, &len, &err), SERTEL_ERR_INVALID);
    assert_int_equal(http_parse_listen("127.0.0.1:-1", &ss, &len, &err), SERTEL_ERR_INVALID);
    assert_int_equal(http_parse_listen("127.0.0.1:80x", &ss, &len, &err), SERTEL_ERR_INVALID);
    assert_int_equal(http_parse_listen("localhost:80", &ss, &len, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "not an IPv4 address"));
    assert_int_equal(http_parse_listen("::1:80", &ss, &len, &err), SERTEL_ERR_INVALID);
    assert_int_equal(http_parse_listen("[::1]80", &ss, &len, &err), SERTEL_ERR_INVALID);
    assert_int_equal(http_parse_listen("[zz]:80", &ss, &len, &err), SERTEL_ERR_INVALID);
    assert_int_equal(http_parse_listen(":80", &ss, &len, &err), SERTEL_ERR_INVALID);
}

static void test_routing(void **state)
{
    fixture *f = *state;
    char *r;

    r = ASK(f, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 404"));
    r = ASK(f, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 405"));
    assert_non_null(strstr(r, "Allow: POST"));
    r = ASK(f, "POST /get/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 405"));
    assert_non_null(strstr(r, "Allow: GET, HEAD"));
    r = ASK(f, "GET /get/a%2Fb%3D HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 200"));
    assert_non_null(strstr(r, "rest=a/b="));
    r = ASK(f, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(r, "\r\n\r\nok\n"));
}

static void test_params_and_accessors(void **state)
{
    fixture *f = *state;
    char *r;

    r = ASK(f, "GET /item/42/sub/a%20b?q=x%26y&z=1 HTTP/1.1\r\nHost: x\r\nX-Thing: t1\r\n"
               "Cookie: other=1; sid=s3cr3t\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 200"));
    assert_non_null(strstr(r, "n=2 p0=42 p1=a b h=t1 q=x&y c=s3cr3t peer=127.0.0.1 tls=0"));
    assert_non_null(strstr(r, "Set-Cookie: sid=abc; HttpOnly; SameSite=Strict\r\n"));
    assert_non_null(strstr(r, "X-Other: 1\r\n"));
    assert_null(strstr(r, "X-Evil"));
    assert_null(strstr(r, "x=y"));
    /* a segment may not be empty, and "{}" does not span a '/' */
    r = ASK(f, "GET /item//sub/1 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 404"));
    r = ASK(f, "GET /item/1/2/sub/3 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 404"));
    r = ASK(f, "GET /item/1/sub/3/more HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 404"));
    r = ASK(f, "POST /item/1/sub/3 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 405"));
    r = ASK(f, "GET /item/1/sub/3 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(r, "h=- q=- c=-"));
}

static void test_forms(void **state)
{
    fixture *f = *state;
    char req[8192], body[4096], *r;
    int n, bl;

    /* multipart: a text field and a file part, the file read back from its spool file */
    bl = snprintf(body, sizeof(body),
                  "--XyZ\r\nContent-Disposition: form-data; name=\"nik\"\r\n\r\n"
                  "3201234567890123\r\n"
                  "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
                  "Content-Type: application/pdf\r\n\r\n%%PDF-1.7 body\r\nline2\r\n"
                  "--XyZ--\r\n");
    n = snprintf(req, sizeof(req),
                 "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                 "boundary=XyZ\r\nContent-Length: %d\r\n\r\n%s",
                 bl, body);
    r = ask(f, req, (size_t)n);
    assert_non_null(strstr(r, "HTTP/1.1 200"));
    assert_non_null(strstr(r, "[nik|-|-|16|3201234567890123]"));
    assert_non_null(strstr(r, "[file|a.pdf|application/pdf|20|%PDF-1.7 body\r\nline2]"));
    /* urlencoded */
    r = ASK(f, "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
               "\r\nContent-Length: 17\r\n\r\na=1%202&b=x&c=end");
    assert_non_null(strstr(r, "HTTP/1.1 200"));
    assert_non_null(strstr(r, "[a|-|-|3|1 2][b|-|-|1|x][c|-|-|3|end]"));
    /* not a form */
    r = ASK(f, "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 2\r\n\r\n{}");
    assert_non_null(strstr(r, "HTTP/1.1 415"));
    /* a multipart body that ends before its closing boundary */
    bl = snprintf(body, sizeof(body),
                  "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n"
                  "abc");
    n = snprintf(req, sizeof(req),
                 "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                 "boundary=XyZ\r\nContent-Length: %d\r\n\r\n%s",
                 bl, body);
    r = ask(f, req, (size_t)n);
    assert_non_null(strstr(r, "HTTP/1.1 400"));
    /* over the route's cap (2048): 413, streaming stops */
    memset(body, 'a', 3000);
    body[3000] = '\0';
    n = snprintf(req, sizeof(req),
                 "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
                 "\r\nTransfer-Encoding: chunked\r\n\r\nbb8\r\nv=%.2998s\r\n0\r\n\r\n",
                 body);
    r = ask(f, req, (size_t)n);
    assert_non_null(strstr(r, "HTTP/1.1 413"));
    /* the form's state does not leak into the next request on the connection */
    r = ASK(f, "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
               "\r\nContent-Length: 3\r\n\r\nk=v");
    assert_non_null(strstr(r, "\r\n\r\n[k|-|-|1|v]"));
}

static void test_too_many_fields(void **state)
{
    fixture *f = *state;
    char req[4096], body[2048];
    size_t bl = 0;
    int i, n;
    char *r;

    for (i = 0; i < HTTP_FORM_MAX_FIELDS + 1; i++)
        bl += (size_t)snprintf(body + bl, sizeof(body) - bl, "%sf%d=1", i ? "&" : "", i);
    n = snprintf(req, sizeof(req),
                 "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
                 "\r\nContent-Length: %zu\r\n\r\n%s",
                 bl, body);
    r = ask(f, req, (size_t)n);
    assert_non_null(strstr(r, "HTTP/1.1 413"));
    assert_non_null(strstr(r, "too many form fields"));
}

static void test_bodies(void **state)
{
    fixture *f = *state;
    char req[512], *r;
    int n;

    r = ASK(f, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-test\r\n"
               "Content-Length: 5\r\n\r\nhello");
    assert_non_null(strstr(r, "HTTP/1.1 200"));
    assert_non_null(strstr(r, "Content-Type: application/x-echo"));
    assert_non_null(strstr(r, "\r\n\r\nhello"));
    r = ASK(f, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: Application/X-Test; a=b\r\n"
               "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    assert_non_null(strstr(r, "\r\n\r\nabcde"));
    r = ASK(f, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
               "Content-Length: 5\r\n\r\nhello");
    assert_non_null(strstr(r, "HTTP/1.1 415"));
    assert_non_null(strstr(r, "application/x-test"));
    r = ASK(f, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-test\r\n"
               "Content-Length: 101\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 413"));
    /* chunked: the cap holds while the body streams */
    n = snprintf(req, sizeof(req),
                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-test\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n64\r\n%0100d\r\n1\r\nX\r\n0\r\n\r\n",
                 0);
    r = ask(f, req, (size_t)n);
    assert_non_null(strstr(r, "HTTP/1.1 413"));
    /* exactly at the cap */
    n = snprintf(req, sizeof(req),
                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-test\r\n"
                 "Content-Length: 100\r\n\r\n%0100d",
                 0);
    r = ask(f, req, (size_t)n);
    assert_non_null(strstr(r, "HTTP/1.1 200"));
}

static void test_failure_and_logs(void **state)
{
    fixture *f = *state;
    char line[4096];
    char *r;
    int found = 0;

    r = ASK(f, "GET /fail HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 500"));
    assert_null(strstr(r, "secret detail"));
    fflush(f->errors);
    rewind(f->errors);
    while (fgets(line, sizeof(line), f->errors))
        if (strstr(line, "database is locked") && strstr(line, "fail"))
            found = 1;
    assert_true(found);

    found = 0;
    /* Logged when the server finishes the request: may trail the answer. */
    for (int tries = 0; tries < 250 && !found; tries++) {
        if (tries > 0)
            usleep(20000);
        http_server_flush_log(f->s);
        rewind(f->access);
        while (fgets(line, sizeof(line), f->access)) {
            assert_int_equal(line[0], '{');
            assert_non_null(strstr(line, "}\n"));
            if (strstr(line,
                       "\"method\":\"GET\",\"path\":\"/fail\",\"route\":\"fail\",\"status\":500"))
                found = 1;
            assert_null(strstr(line, "hello")); /* bodies are never logged */
        }
    }
    assert_true(found);
}

static void test_access_log_escaping(void **state)
{
    fixture *f = *state;
    char req[1200], line[4096];
    int n, found = 0;

    n = snprintf(req, sizeof(req), "GET /x%%22%%5C%%01%0600d HTTP/1.1\r\nHost: x\r\n\r\n", 7);
    (void)ask(f, req, (size_t)n);
    /* The line is written when the server finishes the request, which can be
     * just after the client has its answer (loaded machine): look again for
     * up to 5 s. */
    for (int tries = 0; tries < 250 && !found; tries++) {
        if (tries > 0)
            usleep(20000);
        http_server_flush_log(f->s);
        rewind(f->access);
        while (fgets(line, sizeof(line), f->access)) {
            char *p = strstr(line, "\"path\":\"/x\\\"\\\\\\u0001");
            if (p != NULL) {
                char *e = strstr(p, "...\",\"route\"");
                assert_non_null(e); /* cut, and marked */
                assert_true(e - (p + 8) <= 256 + 8);
                found = 1;
            }
        }
    }
    assert_true(found);
}

static void test_caching(void **state)
{
    fixture *f = *state;
    char *r;

    r = ASK(f, "GET /get/c HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(r, "Cache-Control: max-age=600, public, no-transform, must-revalidate"));
    assert_non_null(strstr(r, "ETag: \"v1\""));
    assert_non_null(strstr(r, "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT"));
    assert_non_null(strstr(r, "Expires: Sun, 06 Nov 1994 08:59:37 GMT"));
    r = ASK(f, "GET /get/c HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"x\", W/\"v1\"\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 304"));
    assert_non_null(strstr(r, "ETag: \"v1\""));
    assert_null(strstr(r, "rest="));
    r = ASK(f, "GET /get/c HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"v2\"\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 200"));
    r = ASK(f, "HEAD /get/c HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(r, "HTTP/1.1 200"));
    assert_null(strstr(r, "rest="));
    r = ASK(f, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(r, "Cache-Control: no-cache"));
}

static void test_keepalive_and_metrics(void **state)
{
    fixture *f = *state;
    static char buf[128 * 1024];
    const char *req = "GET /get/k HTTP/1.1\r\nHost: x\r\n\r\n";
    int fd = dial(http_server_port(f->s)), i;

    assert_true(fd >= 0);
    for (i = 0; i < 3; i++) {
        assert_true(exchange(fd, req, strlen(req), buf, sizeof(buf)) > 0);
        assert_non_null(strstr(buf, "rest=k"));
    }
    req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_true(exchange(fd, req, strlen(req), buf, sizeof(buf)) > 0);
    close(fd);
    assert_non_null(strstr(buf, "sertel_http_requests_total{route=\"get\",code=\"2xx\"} 3"));
    assert_non_null(strstr(buf, "sertel_http_request_duration_seconds_count{route=\"get\"} 3"));
    assert_non_null(strstr(buf, "sertel_http_requests_in_flight 1")); /* this one */
    assert_non_null(strstr(buf, "sertel_http_connections_open "));
    assert_non_null(strstr(buf, "app_things_total 42\n"));
}

static void test_shutdown(void **state)
{
    fixture *f = *state;
    sertel_err err = {0};
    unsigned port = http_server_port(f->s);
    char buf[4096];
    const char *req = "GET /get/s HTTP/1.1\r\nHost: x\r\n\r\n";
    int fd = dial(port), fd2;

    /* An open keep-alive connection, idle at the moment of shutdown. */
    assert_true(fd >= 0);
    assert_true(exchange(fd, req, strlen(req), buf, sizeof(buf)) > 0);
    assert_int_equal(http_server_shutdown(f->s, 5000, &err), SERTEL_OK);
    fd2 = dial(port);
    assert_true(fd2 < 0); /* nothing listens any more */
    close(fd);
}

static void test_bad_config(void **state)
{
    http_config cfg = {0};
    http_server *s = NULL;
    sertel_err err = {0};
    http_route bad = {"GET", "nopath", 0, NULL, 0, "bad", rest_handler, NULL, HTTP_BODY_BUFFER};

    (void)state;
    cfg.listen = "127.0.0.1:0";
    assert_int_equal(http_server_start(&cfg, &bad, 1, &s, &err), SERTEL_ERR_INVALID);
    cfg.listen = "1.2.3.4.5:80";
    assert_int_equal(http_server_start(&cfg, routes, 3, &s, &err), SERTEL_ERR_INVALID);
    cfg.listen = "192.0.2.1:8080"; /* not an address of this machine */
    assert_int_equal(http_server_start(&cfg, routes, 3, &s, &err), SERTEL_ERR_IO);
    assert_non_null(strstr(err.msg, "cannot listen"));
    assert_null(s);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read whatever comes within secs; *closed: the server closed (end of
 * file or reset). Returns the bytes read. */
static size_t drain(int fd, char *out, size_t cap, double secs, int *closed)
{
    double end = now_s() + secs;
    size_t have = 0;

    *closed = 0;
    out[0] = '\0';
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int left = (int)((end - now_s()) * 1000);
        ssize_t n;
        if (left <= 0 || poll(&p, 1, left) <= 0)
            return have;
        n = recv(fd, out + have, cap - 1 - have, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0) {
            *closed = 1;
            return have;
        }
        have += (size_t)n;
        out[have] = '\0';
        if (have + 1 >= cap)
            return have;
    }
}

/* Send req on a fresh connection; the answer must be 400 with
 * "Connection: close", and the server must close. */
static void expect_400_close(fixture *f, const char *req)
{
    static char buf[16 * 1024];
    int fd = dial(http_server_port(f->s)), closed;

    assert_true(fd >= 0);
    assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
    drain(fd, buf, sizeof(buf), 5, &closed);
    close(fd);
    if (strncmp(buf, "HTTP/1.1 400", 12) != 0 || strstr(buf, "\r\nConnection: close\r\n") == NULL ||
        !closed)
        fail_msg("not 400 + close (closed %d) for:\n%s\ngot:\n%.300s", closed, req, buf);
}

#define POST_OCSPISH "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-test\r\n"

static void test_smuggling(void **state)
{
    fixture *f = *state;
    char *r;

    expect_400_close(f, POST_OCSPISH "Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde");
    expect_400_close(f, POST_OCSPISH "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "3\r\nabc\r\n0\r\n\r\n");
    expect_400_close(f, POST_OCSPISH "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
                                     "3\r\nabc\r\n0\r\n\r\n");
    expect_400_close(f,
                     POST_OCSPISH "Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    expect_400_close(f, POST_OCSPISH "Transfer-Encoding: identity\r\n\r\nabc");
    expect_400_close(f, POST_OCSPISH "Transfer-Encoding: xchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    expect_400_close(f, POST_OCSPISH "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
                                     "\r\n3\r\nabc\r\n0\r\n\r\n");
    expect_400_close(f, POST_OCSPISH "Transfer-Encoding : chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    expect_400_close(f, "POST /echo HTTP/1.0\r\nHost: x\r\nContent-Type: application/x-test\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    expect_400_close(f, "GET /healthz HTTP/1.1\r\nHost: x\r\n Folded: a\r\n\r\n");
    expect_400_close(f, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n");
    expect_400_close(f, "GET /healthz HTTP/1.1\r\n\r\n"); /* HTTP/1.1 without Host */
    expect_400_close(f, "GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n");
    expect_400_close(f, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A:a\r\n\tX-Folded: a\r\n\r\n");
    /* libmicrohttpd's own refusal of a list value */
    expect_400_close(f, POST_OCSPISH "Content-Length: 3, 5\r\n\r\nabcde");

    /* Not over-eager: what is unambiguous still works. */
    r = ASK(f, POST_OCSPISH "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello");
    assert_non_null(strstr(r, "HTTP/1.1 200"));
    assert_non_null(strstr(r, "\r\n\r\nhello"));
    r = ASK(f, POST_OCSPISH "Transfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    assert_non_null(strstr(r, "\r\n\r\nhello"));
    r = ASK(f, "GET /healthz HTTP/1.0\r\n\r\n"); /* HTTP/1.0 needs no Host */
    assert_non_null(strstr(r, " 200 "));
    r = ASK(f, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Tab: a\tb\r\nX-UTF8: \xc3\xa9\r\n\r\n");
    assert_non_null(strstr(r, " 200 "));
}

/* Every byte in a field name: tokens (RFC 9110 §5.6.2) are served, the
 * rest refused with 400 and a close. CR, LF and ':' end the name. */
static void test_field_name_bytes(void **state)
{
    fixture *f = *state;
    static char buf[16 * 1024];
    unsigned b;

    for (b = 1; b < 256; b++) {
        char req[128];
        int fd, closed, n;
        bool tchar = (b < 128 && isalnum((int)b)) || strchr("!#$%&'*+-.^_`|~", (int)b) != NULL;
        if (b == '\r' || b == '\n' || b == ':')
            continue;
        n = snprintf(req, sizeof(req), "GET /healthz HTTP/1.1\r\nHost: x\r\nX%cY: v\r\n\r\n",
                     (int)b);
        fd = dial(http_server_port(f->s));
        assert_true(fd >= 0);
        closed = 0;
        if (tchar) {
            if (exchange(fd, req, (size_t)n, buf, sizeof(buf)) < 0)
                buf[0] = '\0';
        } else {
            assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
            drain(fd, buf, sizeof(buf), 5, &closed);
        }
        close(fd);
        if (tchar ? strncmp(buf, "HTTP/1.1 200", 12) != 0
                  : strncmp(buf, "HTTP/1.1 400", 12) != 0 || !closed)
            fail_msg("byte 0x%02x in a field name: %.40s (closed %d)", b, buf, closed);
    }
}

static void test_control_in_target(void **state)
{
    fixture *f = *state;
    char *r;

    expect_400_close(f, "GET /healthz%00x HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_400_close(f, "GET /healthz%00 HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_400_close(f, "GET /get/a%0Ab HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_400_close(f, "GET /get/a%0db HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_400_close(f, "GET /get/a%7Fb HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_400_close(f, "GET /get/a%1b HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_400_close(f, "GET /get/a?q=%00 HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_400_close(f, "GET /get/a b HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_400_close(f, "GET /get/a?q=a b HTTP/1.1\r\nHost: x\r\n\r\n");
    expect_400_close(f, "GET /get/a\tb HTTP/1.1\r\nHost: x\r\n\r\n");
    /* printable and non-ASCII bytes are fine; the flag does not stick */
    r = ASK(f, "GET /get/%C3%A9%20%25 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_non_null(strstr(r, "rest=\xc3\xa9 %"));
    {
        static char buf[8192];
        const char *bad = "GET /get/%00 HTTP/1.1\r\nHost: x\r\n\r\n";
        const char *good = "GET /get/k HTTP/1.1\r\nHost: x\r\n\r\n";
        int fd = dial(http_server_port(f->s)), closed;
        assert_true(fd >= 0);
        assert_true(exchange(fd, good, strlen(good), buf, sizeof(buf)) > 0);
        assert_non_null(strstr(buf, "rest=k"));
        assert_int_equal(send(fd, bad, strlen(bad), MSG_NOSIGNAL), (ssize_t)strlen(bad));
        drain(fd, buf, sizeof(buf), 5, &closed);
        assert_non_null(strstr(buf, "HTTP/1.1 400"));
        assert_true(closed);
        close(fd);
        r = ASK(f, good);
        assert_non_null(strstr(r, "rest=k"));
    }
}

/* A server with a 1 s request-head deadline and a long idle timeout. */
static int setup_deadline(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    http_config cfg = {0};
    sertel_err err = {0};

    assert_non_null(f);
    f->access = tmpfile();
    f->errors = tmpfile();
    cfg.listen = "127.0.0.1:0";
    cfg.threads = 2;
    cfg.timeout_s = 60;
    cfg.header_timeout_s = 1;
    cfg.error_log = f->errors;
    assert_int_equal(http_server_start(&cfg, routes, NROUTES, &f->s, &err), SERTEL_OK);
    *state = f;
    return 0;
}

static void test_header_deadline(void **state)
{
    fixture *f = *state;
    static char buf[64 * 1024];
    const char *good = "GET /get/k HTTP/1.1\r\nHost: x\r\n\r\n";
    int slow = dial(http_server_port(f->s)), ka = dial(http_server_port(f->s));
    int busy = dial(http_server_port(f->s)), closed = 0;
    double t0 = now_s(), closed_at = 0;
    char line[256];
    int found = 0;

    assert_true(slow >= 0 && ka >= 0 && busy >= 0);
    /* keep-alive: one answer, then the next head trickles */
    assert_true(exchange(ka, good, strlen(good), buf, sizeof(buf)) > 0);
    assert_int_equal(send(slow, "GET /get/k HTTP/1.1\r\nX: ", 25, MSG_NOSIGNAL), 25);
    assert_int_equal(send(ka, "GET /ge", 7, MSG_NOSIGNAL), 7);
    /* A byte every 200 ms keeps the idle timeout (60 s) away: only the
     * deadline can close these. */
    while (now_s() - t0 < 8 && (closed < 2 || now_s() - t0 < 2)) {
        int c1 = 0, c2 = 0;
        /* A connection that sends whole requests is served throughout, past
         * the first deadline: the clock restarts with each request. */
        assert_true(exchange(busy, good, strlen(good), buf, sizeof(buf)) > 0);
        assert_non_null(strstr(buf, "rest=k"));
        if (slow >= 0) {
            if (send(slow, "a", 1, MSG_NOSIGNAL) < 0)
                c1 = 1;
            else
                drain(slow, buf, sizeof(buf), 0.1, &c1);
            if (c1) {
                close(slow);
                slow = -1;
                closed++;
                closed_at = now_s() - t0;
            }
        }
        if (ka >= 0) {
            if (send(ka, "t", 1, MSG_NOSIGNAL) < 0)
                c2 = 1;
            else
                drain(ka, buf, sizeof(buf), 0.1, &c2);
            if (c2) {
                close(ka);
                ka = -1;
                closed++;
            }
        }
    }
    assert_int_equal(closed, 2);
    assert_true(closed_at >= 0.9);
    if (slow >= 0)
        close(slow);
    if (ka >= 0)
        close(ka);
    close(busy);
    buf[0] = '\0';
    {
        int fd = dial(http_server_port(f->s));
        const char *m = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_true(fd >= 0);
        assert_true(exchange(fd, m, strlen(m), buf, sizeof(buf)) > 0);
        close(fd);
    }
    assert_non_null(strstr(buf, "sertel_http_header_timeouts_total "));
    assert_null(strstr(buf, "sertel_http_header_timeouts_total 0\n"));
    assert_null(strstr(buf, "sertel_http_header_timeouts_total 1\n"));
    /* Said once in the error log (at most a line a second). */
    for (int tries = 0; tries < 100 && !found; tries++) {
        if (tries > 0)
            usleep(20000);
        fflush(f->errors);
        rewind(f->errors);
        while (fgets(line, sizeof(line), f->errors))
            if (strstr(line, "no complete request head within 1 s"))
                found = 1;
    }
    assert_true(found);
}

static void test_per_ip_default(void **state)
{
    fixture *f = *state;
    static char buf[8192];
    const char *good = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    int fds[64], extra, closed, i;

    for (i = 0; i < 64; i++) {
        fds[i] = dial(http_server_port(f->s));
        assert_true(fds[i] >= 0);
        assert_true(exchange(fds[i], good, strlen(good), buf, sizeof(buf)) > 0);
        assert_non_null(strstr(buf, "\r\n\r\nok\n"));
    }
    extra = dial(http_server_port(f->s));
    assert_true(extra >= 0);
    (void)send(extra, good, strlen(good), MSG_NOSIGNAL);
    drain(extra, buf, sizeof(buf), 5, &closed);
    assert_true(closed);
    assert_null(strstr(buf, "HTTP/1.1"));
    close(extra);
    close(fds[0]);
    usleep(300000);
    extra = dial(http_server_port(f->s));
    assert_true(extra >= 0);
    assert_true(exchange(extra, good, strlen(good), buf, sizeof(buf)) > 0);
    assert_non_null(strstr(buf, "\r\n\r\nok\n"));
    close(extra);
    for (i = 1; i < 64; i++)
        close(fds[i]);
}

/* --- deferred answers (http_defer): the event loop goes on while another thread works --- */

typedef struct deferral {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    http_deferred *d;
    const http_request *req;
    int release; /* the test lets the worker answer */
    int answered;
} deferral;

static deferral dfr = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, 0};

/* The other thread: waits to be released, reads the spooled upload, answers. */
static void *deferred_worker(void *arg)
{
    char buf[256];
    ssize_t n = 0;
    http_response *resp;
    const http_field *f;
    char *out;

    (void)arg;
    pthread_mutex_lock(&dfr.lock);
    while (!dfr.release)
        pthread_cond_wait(&dfr.cond, &dfr.lock);
    pthread_mutex_unlock(&dfr.lock);
    f = http_form_field(dfr.req, "file");
    if (f != NULL && f->fd >= 0)
        n = pread(f->fd, buf, sizeof(buf) - 1, 0);
    resp = http_deferred_response(dfr.d);
    out = malloc(300);
    snprintf(out, 300, "late:%.*s:%s", (int)(n > 0 ? n : 0), buf,
             http_header(dfr.req, "X-Tag") ? http_header(dfr.req, "X-Tag") : "");
    resp->status = 202;
    resp->body = (const unsigned char *)out;
    resp->len = strlen(out);
    resp->body_free = free;
    http_deferred_finish(dfr.d, SERTEL_OK, NULL);
    pthread_mutex_lock(&dfr.lock);
    dfr.answered = 1;
    pthread_cond_broadcast(&dfr.cond);
    pthread_mutex_unlock(&dfr.lock);
    return NULL;
}

static int deferring_handler(const http_request *req, http_response *resp, sertel_err *err)
{
    pthread_t t;

    (void)resp;
    (void)err;
    pthread_mutex_lock(&dfr.lock);
    dfr.d = http_defer(req);
    dfr.req = req;
    pthread_cond_broadcast(&dfr.cond);
    pthread_mutex_unlock(&dfr.lock);
    if (dfr.d == NULL)
        return SERTEL_ERR_INTERNAL;
    pthread_create(&t, NULL, deferred_worker, NULL);
    pthread_detach(t);
    return SERTEL_OK;
}

static const http_route defer_routes[] = {
    {"POST", "/slow", 0, NULL, 4096, "slow", deferring_handler, NULL, HTTP_BODY_FORM},
    {"GET", "/get/", 1, NULL, 0, "get", rest_handler, NULL, HTTP_BODY_BUFFER},
};

static void *shutdown_thread(void *arg)
{
    sertel_err err = {0};

    /* wait_ms far shorter than the deferred work: it is waited for anyway */
    return (void *)(intptr_t)http_server_shutdown(arg, 20, &err);
}

static void test_defer(void **state)
{
    http_config cfg = {0};
    http_server *s = NULL;
    sertel_err err = {0};
    char buf[4096], req[1024];
    const char body[] = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n"
                        "\r\nspooled bytes\r\n--XyZ--\r\n";
    int a, b, round;
    FILE *errs = tmpfile();

    (void)state;
    cfg.listen = "127.0.0.1:0";
    cfg.threads = 1; /* one event loop: a handler that blocked it would stop every answer */
    cfg.error_log = errs;
    assert_int_equal(http_server_start(&cfg, defer_routes, 2, &s, &err), SERTEL_OK);
    snprintf(req, sizeof(req),
             "POST /slow HTTP/1.1\r\nHost: x\r\nX-Tag: t1\r\nContent-Type: multipart/form-data; "
             "boundary=XyZ\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    for (round = 0; round < 2; round++) {
        memset(&dfr, 0, sizeof(dfr));
        pthread_mutex_init(&dfr.lock, NULL);
        pthread_cond_init(&dfr.cond, NULL);
        a = dial(http_server_port(s));
        assert_true(a >= 0);
        assert_int_equal(send(a, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
        pthread_mutex_lock(&dfr.lock);
        while (dfr.d == NULL)
            pthread_cond_wait(&dfr.cond, &dfr.lock);
        pthread_mutex_unlock(&dfr.lock);
        if (round == 0) {
            /* While /slow is deferred, the only event-loop thread answers another client. */
            b = dial(http_server_port(s));
            assert_true(b >= 0);
            assert_true(exchange(b, "GET /get/other HTTP/1.1\r\nHost: x\r\n\r\n", 36, buf,
                                 sizeof(buf)) > 0);
            assert_non_null(strstr(buf, "HTTP/1.1 200"));
            assert_non_null(strstr(buf, "rest=other"));
            close(b);
            pthread_mutex_lock(&dfr.lock);
            assert_int_equal(dfr.answered, 0);
            dfr.release = 1;
            pthread_cond_broadcast(&dfr.cond);
            pthread_mutex_unlock(&dfr.lock);
            /* The deferred answer: written by the other thread from the request it kept. */
            assert_true(exchange(a, "", 0, buf, sizeof(buf)) > 0);
            assert_non_null(strstr(buf, "HTTP/1.1 202"));
            assert_non_null(strstr(buf, "late:spooled bytes:t1"));
            /* and the connection serves the next request */
            assert_true(exchange(a, "GET /get/again HTTP/1.1\r\nHost: x\r\n\r\n", 36, buf,
                                 sizeof(buf)) > 0);
            assert_non_null(strstr(buf, "rest=again"));
        } else {
            /* Shutdown with a deferred request: it is waited for, answered, then stopped. */
            pthread_t t;
            void *ret;
            assert_int_equal(pthread_create(&t, NULL, shutdown_thread, s), 0);
            usleep(100 * 1000);
            pthread_mutex_lock(&dfr.lock);
            dfr.release = 1;
            pthread_cond_broadcast(&dfr.cond);
            pthread_mutex_unlock(&dfr.lock);
            assert_true(exchange(a, "", 0, buf, sizeof(buf)) > 0);
            assert_non_null(strstr(buf, "late:spooled bytes:t1"));
            pthread_join(t, &ret);
        }
        close(a);
        pthread_mutex_lock(&dfr.lock);
        while (!dfr.answered)
            pthread_cond_wait(&dfr.cond, &dfr.lock);
        pthread_mutex_unlock(&dfr.lock);
    }
    http_server_free(s);
    fclose(errs);
}

/* A self-signed P-256 certificate for 127.0.0.1 and its key, as PEM (free with free()). */
static void make_tls_pair(char **cert, char **key)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name;
    BIO *b;
    char *p;
    long n;

    assert_non_null(k);
    assert_non_null(x);
    assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 1));
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -60));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
    assert_true(X509_set_pubkey(x, k));
    name = X509_get_subject_name(x);
    assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                           (const unsigned char *)"127.0.0.1", -1, -1, 0));
    assert_true(X509_set_issuer_name(x, name));
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    for (int i = 0; i < 2; i++) {
        b = BIO_new(BIO_s_mem());
        assert_true(i == 0 ? PEM_write_bio_X509(b, x)
                           : PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL));
        n = BIO_get_mem_data(b, &p);
        /* the BIO's bytes have no NUL: copied, then terminated */
        *(i == 0 ? cert : key) = calloc((size_t)n + 1, 1);
        if (*(i == 0 ? cert : key) != NULL)
            memcpy(*(i == 0 ? cert : key), p, (size_t)n);
        assert_non_null(*(i == 0 ? cert : key));
        BIO_free(b);
    }
    X509_free(x);
    EVP_PKEY_free(k);
}

/*
 * One request over TLS limited to version v (TLS1_1_VERSION...): the
 * answer in out (NUL-terminated), or -1 when the handshake fails.
 */
static int tls_ask(unsigned port, int v, const char *req, char *out, size_t cap)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = NULL;
    size_t have = 0;
    int fd = dial(port), rc = -1, n;

    assert_non_null(ctx);
    assert_true(fd >= 0);
    /* The client offers exactly v, old versions too: the server must be the one refusing. */
    SSL_CTX_set_security_level(ctx, 0);
    assert_true(SSL_CTX_set_cipher_list(ctx, "DEFAULT@SECLEVEL=0"));
    assert_true(SSL_CTX_set_min_proto_version(ctx, v));
    assert_true(SSL_CTX_set_max_proto_version(ctx, v));
    ssl = SSL_new(ctx);
    assert_non_null(ssl);
    SSL_set_fd(ssl, fd);
    out[0] = '\0';
    if (SSL_connect(ssl) == 1) {
        assert_int_equal(SSL_write(ssl, req, (int)strlen(req)), (int)strlen(req));
        while (have + 1 < cap && (n = SSL_read(ssl, out + have, (int)(cap - 1 - have))) > 0)
            have += (size_t)n;
        out[have] = '\0';
        rc = (int)have;
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    return rc;
}

static void test_tls(void **state)
{
    http_config cfg = {0};
    http_server *s = NULL;
    sertel_err err = {0};
    char *cert = NULL, *key = NULL, *cert2 = NULL, *key2 = NULL;
    static char buf[8192];
    const char *req = "GET /tls HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    int closed;
    FILE *errors = tmpfile();

    (void)state;
    make_tls_pair(&cert, &key);
    make_tls_pair(&cert2, &key2);
    cfg.listen = "127.0.0.1:0";
    cfg.threads = 1;
    cfg.error_log = errors;
    /* Half a pair, or a key that is not the certificate's: refused. */
    cfg.tls_cert_pem = cert;
    assert_int_equal(http_server_start(&cfg, routes, NROUTES, &s, &err), SERTEL_ERR_INVALID);
    cfg.tls_key_pem = key2;
    assert_int_equal(http_server_start(&cfg, routes, NROUTES, &s, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "TLS certificate or key was refused"));
    assert_null(s);
    cfg.tls_key_pem = key;
    assert_int_equal(http_server_start(&cfg, routes, NROUTES, &s, &err), SERTEL_OK);
    /* The server keeps no pointer to the key: wiping it now changes nothing. */
    memset(key, 'x', strlen(key));
    assert_non_null(strstr(http_server_url(s), "https://127.0.0.1:"));

    assert_true(tls_ask(http_server_port(s), TLS1_3_VERSION, req, buf, sizeof(buf)) > 0);
    assert_non_null(strstr(buf, "HTTP/1.1 200"));
    assert_non_null(strstr(buf, "\r\n\r\ntls=1"));
    assert_true(tls_ask(http_server_port(s), TLS1_2_VERSION, req, buf, sizeof(buf)) > 0);
    assert_non_null(strstr(buf, "\r\n\r\ntls=1"));
    assert_int_equal(tls_ask(http_server_port(s), TLS1_1_VERSION, req, buf, sizeof(buf)), -1);
    assert_int_equal(tls_ask(http_server_port(s), TLS1_VERSION, req, buf, sizeof(buf)), -1);

    /* Plain HTTP to the TLS port: closed, never answered in clear; TLS still works after. */
    {
        int fd = dial(http_server_port(s));
        assert_true(fd >= 0);
        (void)send(fd, req, strlen(req), MSG_NOSIGNAL);
        drain(fd, buf, sizeof(buf), 5, &closed);
        assert_true(closed);
        assert_null(strstr(buf, "HTTP/1.1"));
        assert_null(strstr(buf, "tls="));
        close(fd);
    }
    assert_true(tls_ask(http_server_port(s), TLS1_3_VERSION, req, buf, sizeof(buf)) > 0);
    assert_non_null(strstr(buf, "\r\n\r\ntls=1"));
    http_server_free(s);
    free(cert);
    free(key);
    free(cert2);
    free(key2);
    fclose(errors);
}

static void test_plain_is_not_tls(void **state)
{
    fixture *f = *state;

    assert_non_null(strstr(ASK(f, "GET /tls HTTP/1.1\r\nHost: x\r\n\r\n"), "\r\n\r\ntls=0"));
    assert_non_null(strstr(http_server_url(f->s), "http://127.0.0.1:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_listen),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test_setup_teardown(test_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params_and_accessors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_and_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_access_log_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caching, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keepalive_and_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smuggling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_in_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_name_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_per_ip_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_deadline, setup_deadline, teardown),
        cmocka_unit_test(test_defer),
        cmocka_unit_test_setup_teardown(test_plain_is_not_tls, setup, teardown),
        cmocka_unit_test(test_tls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
