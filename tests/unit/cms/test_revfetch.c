/*
 * test_revfetch.c - fetching for certificates (lib/cms revfetch.c,
 * fetch.c, netaddr.c) against HTTP servers in this test:
 *  - cms_fetch_issuer: the issuer answered as a DER certificate, a PEM
 *    certificate, a DER or PEM certs-only PKCS#7 bundle (.p7c) with other
 *    certificates before it; a bundle without the issuer, a certificate
 *    that did not issue it and garbage are refused (the server is on
 *    loopback, its origin exempted from the address rule);
 *  - the address rule (cms_addr_refusal) on every special-purpose range,
 *    IPv4 and IPv6, mapped, NAT64 and 6to4 forms, and on the neighbours
 *    just outside each IPv4 range;
 *  - cms_fetch_url refusing loopback however it is spelled (127.0.0.1,
 *    localhost resolved by DNS, 127.1, decimal, [::1], [::ffff:127.0.0.1])
 *    before connecting: the listening socket never sees a connection;
 *    other schemes; the time budget cutting a server that does not answer
 *    and then stopping further fetches; the byte budget; redirects not
 *    followed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cms/cms.h"
#include "testutil.h"

/* --- certificates --- */

/* A CA (self-signed) or, issued by it, a certificate whose caIssuers URL is aia. */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *icert, EVP_PKEY *ikey, const char *aia)
{
    static long serial = 1;
    const char *ca[] = {"basicConstraints", "critical,CA:TRUE", NULL};
    const char *leaf[] = {"authorityInfoAccess", aia, NULL};

    return tu_cert(cn, key, icert, ikey, serial++, icert == NULL ? ca : aia != NULL ? leaf : NULL);
}

/* A certs-only PKCS#7 (SignedData without signers) holding certs[0..n), DER or PEM. */
static unsigned char *p7c(X509 *const *certs, int n, int pem, size_t *len)
{
    PKCS7 *p7 = PKCS7_new();
    unsigned char *out = NULL;
    int i;

    assert_true(PKCS7_set_type(p7, NID_pkcs7_signed));
    assert_true(PKCS7_content_new(p7, NID_pkcs7_data));
    for (i = 0; i < n; i++)
        assert_true(PKCS7_add_certificate(p7, certs[i]));
    if (pem) {
        BIO *b = BIO_new(BIO_s_mem());
        BUF_MEM *bm;
        assert_true(PEM_write_bio_PKCS7(b, p7));
        BIO_get_mem_ptr(b, &bm);
        out = malloc(bm->length);
        assert_non_null(out);
        memcpy(out, bm->data, bm->length);
        *len = bm->length;
        BIO_free(b);
    } else {
        int l = i2d_PKCS7(p7, &out);
        assert_true(l > 0);
        *len = (size_t)l;
    }
    PKCS7_free(p7);
    return out;
}

/* --- HTTP servers on loopback --- */

/* A listening socket on 127.0.0.1 (an ephemeral port); nothing accepts unless asked. */
static int listen_loopback(int *port)
{
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* How many connections wait on the listening socket fd (they are taken and closed). */
static int pending_connections(int fd)
{
    int n = 0, c, fl = fcntl(fd, F_GETFL);

    assert_int_equal(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
    while ((c = accept(fd, NULL, NULL)) >= 0) {
        close(c);
        n++;
    }
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    assert_int_equal(fcntl(fd, F_SETFL, fl), 0);
    return n;
}

/* A one-shot server: answers one request with head (NULL: 200 with a Content-Length) and body. */
typedef struct server {
    int fd;
    int port;
    const char *head;
    const unsigned char *body;
    size_t len;
    pthread_t th;
} server;

/*
 * The thread works on its own copy of what it serves (s->body follows the
 * struct): a test that fails and leaves early never pulls the stack it
 * runs on from under it.
 */
static void *serve_one(void *arg)
{
    server *s = arg;
    char req[4096], head[128];
    int c = accept(s->fd, NULL, NULL);
    ssize_t n;

    if (c < 0) {
        free(s);
        return NULL;
    }
    n = read(c, req, sizeof(req)); /* the request (one packet is enough for a GET) */
    (void)n;
    if (s->head == NULL)
        snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n", s->len);
    else
        snprintf(head, sizeof(head), "%s", s->head);
    if (write(c, head, strlen(head)) < 0 || write(c, s->body, s->len) < 0) {
        /* the client saw a short answer: its own error */
    }
    close(c);
    free(s);
    return NULL;
}

static void server_start(server *s, const char *head, const unsigned char *body, size_t len)
{
    server *t = malloc(sizeof(*t) + len + (head ? strlen(head) + 1 : 0));

    assert_non_null(t);
    s->fd = listen_loopback(&s->port);
    *t = *s;
    t->body = (unsigned char *)(t + 1);
    memcpy((unsigned char *)(t + 1), body, len);
    t->len = len;
    t->head = NULL;
    if (head != NULL) {
        memcpy((char *)(t + 1) + len, head, strlen(head) + 1);
        t->head = (char *)(t + 1) + len;
    }
    assert_int_equal(pthread_create(&s->th, NULL, serve_one, t), 0);
}

static void server_stop(server *s)
{
    pthread_join(s->th, NULL);
    close(s->fd);
}

/* A fetch context with the given budgets, exempting allow (may be NULL) from the address rule. */
static cms_fetch_ctx *ctx_new(long ms, size_t bytes, const char *allow)
{
    cms_fetch_policy pol = {ms, bytes, 0, &allow, allow != NULL ? 1 : 0, NULL, NULL};
    cms_fetch_ctx *fx = NULL;
    sertel_err err = {0};

    if (cms_fetch_ctx_new(&pol, &fx, &err) != SERTEL_OK)
        fail_msg("cms_fetch_ctx_new: %s", err.msg);
    return fx;
}

/* cms_fetch_issuer on a certificate issued by root whose caIssuers URL answers body. */
static int fetch(EVP_PKEY *root_key, X509 *root, const unsigned char *body, size_t len,
                 X509 **issuer, sertel_err *err)
{
    server s;
    char aia[128], origin[64];
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *leaf;
    cms_fetch_ctx *fx;
    int rc;

    server_start(&s, NULL, body, len);
    snprintf(aia, sizeof(aia), "caIssuers;URI:http://127.0.0.1:%d/ca/root.p7c", s.port);
    snprintf(origin, sizeof(origin), "http://127.0.0.1:%d", s.port);
    fx = ctx_new(0, 0, origin);
    leaf = make_cert("Uji Penanda", k, root, root_key, aia);
    rc = cms_fetch_issuer(fx, leaf, issuer, err);
    cms_fetch_ctx_free(fx);
    server_stop(&s);
    X509_free(leaf);
    EVP_PKEY_free(k);
    return rc;
}

static void test_fetch_issuer(void **state)
{
    EVP_PKEY *rk = EVP_EC_gen("P-256"), *ok = EVP_EC_gen("P-256");
    X509 *root = make_cert("Uji Root", rk, NULL, NULL, NULL);
    X509 *other = make_cert("Uji Lain", ok, NULL, NULL, NULL);
    X509 *both[2] = {other, root}, *only_other[1] = {other}, *iss = NULL;
    unsigned char *der = NULL, *b;
    size_t len;
    int pem, l;
    sertel_err err = {0};

    (void)state;
    /* One certificate, DER and PEM. */
    l = i2d_X509(root, &der);
    assert_true(l > 0);
    assert_int_equal(fetch(rk, root, der, (size_t)l, &iss, &err), SERTEL_OK);
    assert_int_equal(X509_cmp(iss, root), 0);
    X509_free(iss);
    OPENSSL_free(der);
    {
        BIO *bio = BIO_new(BIO_s_mem());
        BUF_MEM *bm;
        assert_true(PEM_write_bio_X509(bio, root));
        BIO_get_mem_ptr(bio, &bm);
        assert_int_equal(fetch(rk, root, (unsigned char *)bm->data, bm->length, &iss, &err),
                         SERTEL_OK);
        assert_int_equal(X509_cmp(iss, root), 0);
        X509_free(iss);
        BIO_free(bio);
    }
    /* A .p7c bundle with another certificate first, DER and PEM: the issuer is picked. */
    for (pem = 0; pem <= 1; pem++) {
        b = p7c(both, 2, pem, &len);
        iss = NULL;
        if (fetch(rk, root, b, len, &iss, &err) != SERTEL_OK)
            fail_msg("p7c (%s): %s", pem ? "PEM" : "DER", err.msg);
        assert_int_equal(X509_cmp(iss, root), 0);
        X509_free(iss);
        free(b);
        b = NULL;
    }
    /* A bundle without the issuer, a certificate that did not issue it, garbage. */
    b = p7c(only_other, 1, 0, &len);
    iss = NULL;
    assert_int_equal(fetch(rk, root, b, len, &iss, &err), SERTEL_ERR_INVALID);
    assert_null(iss);
    assert_non_null(strstr(err.msg, "did not answer the certificate's issuer"));
    free(b);
    der = NULL;
    l = i2d_X509(other, &der);
    assert_int_equal(fetch(rk, root, der, (size_t)l, &iss, &err), SERTEL_ERR_INVALID);
    assert_null(iss);
    OPENSSL_free(der);
    assert_int_equal(fetch(rk, root, (const unsigned char *)"0\x82junk", 6, &iss, &err),
                     SERTEL_ERR_INVALID);
    assert_null(iss);
    X509_free(root);
    X509_free(other);
    EVP_PKEY_free(rk);
    EVP_PKEY_free(ok);
}

/* --- the address rule --- */

typedef struct addr_case {
    const char *ip;
    const char *why; /* a word of the reason, NULL: allowed */
} addr_case;

static const addr_case ADDRS[] = {
    /* IPv4: each range, its first and last address, and the neighbours outside */
    {"0.0.0.0", "unspecified"},
    {"0.1.2.3", "this network"},
    {"0.255.255.255", "this network"},
    {"1.0.0.0", NULL},
    {"9.255.255.255", NULL},
    {"10.0.0.0", "private"},
    {"10.255.255.255", "private"},
    {"11.0.0.0", NULL},
    {"100.63.255.255", NULL},
    {"100.64.0.0", "CGNAT"},
    {"100.127.255.255", "CGNAT"},
    {"100.128.0.0", NULL},
    {"126.255.255.255", NULL},
    {"127.0.0.1", "loopback"},
    {"127.255.255.254", "loopback"},
    {"128.0.0.0", NULL},
    {"169.253.255.255", NULL},
    {"169.254.0.0", "link-local"},
    {"169.254.169.254", "link-local"}, /* cloud metadata services */
    {"169.254.255.255", "link-local"},
    {"169.255.0.0", NULL},
    {"172.15.255.255", NULL},
    {"172.16.0.0", "private"},
    {"172.31.255.255", "private"},
    {"172.32.0.0", NULL},
    {"192.0.0.0", "IETF protocol"},
    {"192.0.0.255", "IETF protocol"},
    {"192.0.1.0", NULL},
    {"192.0.2.0", "documentation"},
    {"192.0.2.255", "documentation"},
    {"192.0.3.0", NULL},
    {"192.88.99.1", "6to4 relay"},
    {"192.88.100.0", NULL},
    {"192.167.255.255", NULL},
    {"192.168.0.0", "private"},
    {"192.168.255.255", "private"},
    {"192.169.0.0", NULL},
    {"198.17.255.255", NULL},
    {"198.18.0.0", "benchmarking"},
    {"198.19.255.255", "benchmarking"},
    {"198.20.0.0", NULL},
    {"198.51.100.7", "documentation"},
    {"198.51.101.0", NULL},
    {"203.0.113.9", "documentation"},
    {"203.0.114.0", NULL},
    {"223.255.255.255", NULL},
    {"224.0.0.0", "multicast"},
    {"239.255.255.255", "multicast"},
    {"240.0.0.0", "reserved"},
    {"255.255.255.254", "reserved"},
    {"255.255.255.255", "broadcast"},
    {"8.8.8.8", NULL},
    {"103.10.20.30", NULL},
    /* IPv6 */
    {"::", "unspecified"},
    {"::1", "loopback"},
    {"::2", "reserved"},
    {"::7f00:1", "reserved"}, /* IPv4-compatible, deprecated */
    {"::ffff:127.0.0.1", "loopback"},
    {"::ffff:10.1.2.3", "private"},
    {"::ffff:169.254.169.254", "link-local"},
    {"::ffff:100.64.0.1", "CGNAT"},
    {"::ffff:0.0.0.0", "unspecified"},
    {"::ffff:8.8.8.8", NULL},
    {"64:ff9b::7f00:1", "loopback"}, /* NAT64 of 127.0.0.1 */
    {"64:ff9b::c0a8:101", "private"},
    {"64:ff9b::808:808", NULL},
    {"64:ff9b:1::1", "local-use NAT64"},
    {"100::1", "discard-only"},
    {"100:0:0:1::1", "reserved"},
    {"2001::1", "IETF protocol"},   /* Teredo */
    {"2001:2::1", "IETF protocol"}, /* benchmarking */
    {"2001:1ff:ffff::1", "IETF protocol"},
    {"2001:200::1", NULL},
    {"2001:db8::1", "documentation"},
    {"2001:db9::1", NULL},
    {"2002:7f00:1::1", "loopback"}, /* 6to4 of 127.0.0.1 */
    {"2002:a00:1::1", "private"},
    {"2002:808:808::1", NULL},
    {"2400:cb00::1", NULL},
    {"2a00:1450:4001:80b::200e", NULL},
    {"3fff::1", "documentation"},
    {"3fff:fff::1", "documentation"},
    {"3fff:1000::1", NULL},
    {"4000::1", "reserved"},
    {"5f00::1", "reserved"},
    {"fc00::1", "unique local"},
    {"fd12:3456::1", "unique local"},
    {"fe80::1", "link-local"},
    {"febf:ffff::1", "link-local"},
    {"fec0::1", "site-local"},
    {"ff02::1", "multicast"},
    {"ff0e::1", "multicast"},
};

static void test_addr_rule(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(ADDRS) / sizeof(ADDRS[0]); i++) {
        unsigned char a[16];
        int fam = strchr(ADDRS[i].ip, ':') != NULL ? AF_INET6 : AF_INET;
        const char *why;

        assert_int_equal(inet_pton(fam, ADDRS[i].ip, a), 1);
        why = cms_addr_refusal(fam, a);
        if (ADDRS[i].why == NULL && why != NULL)
            fail_msg("%s refused (%s), should be allowed", ADDRS[i].ip, why);
        if (ADDRS[i].why != NULL && (why == NULL || strstr(why, ADDRS[i].why) == NULL))
            fail_msg("%s: '%s', wanted '%s'", ADDRS[i].ip, why ? why : "allowed", ADDRS[i].why);
    }
}

/* --- cms_fetch_url --- */

/* Every spelling of loopback is refused before a connection is made, and logged. */
static void test_fetch_refused(void **state)
{
    const char *hosts[] = {"127.0.0.1",  "localhost", "127.1",
                           "2130706433", "[::1]",     "[::ffff:127.0.0.1]"};
    char url[128], origin[64];
    unsigned char *b = NULL;
    size_t blen = 0, i;
    sertel_err err = {0};
    int port, fd = listen_loopback(&port);
    cms_fetch_ctx *fx = ctx_new(0, 0, NULL);
    server s;

    (void)state;
    for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        snprintf(url, sizeof(url), "http://%s:%d/metrics", hosts[i], port);
        if (cms_fetch_url(fx, "OCSP", url, NULL, NULL, 0, 1000, &b, &blen, &err) !=
            SERTEL_ERR_DENIED)
            fail_msg("%s: not refused: %s", url, err.msg);
        assert_null(b);
        assert_non_null(strstr(err.msg, "not fetched: loopback address"));
        assert_non_null(strstr(err.msg, "OCSP at http://"));
        assert_int_equal(cms_fetch_ctx_skip_count(fx), i + 1);
        assert_string_equal(cms_fetch_ctx_skip(fx, i), err.msg);
        assert_int_equal(pending_connections(fd), 0);
    }
    snprintf(url, sizeof(url),
             "OCSP at http://127.0.0.1:%d/metrics not fetched: loopback address "
             "(127.0.0.1)",
             port);
    assert_string_equal(cms_fetch_ctx_skip(fx, 0), url);
    cms_fetch_ctx_free(fx);
    /* Other schemes and garbage: refused without a connection. */
    fx = ctx_new(0, 0, NULL);
    assert_int_equal(
        cms_fetch_url(fx, "CRL", "ldap://127.0.0.1/cn=crl", NULL, NULL, 0, 1000, &b, &blen, &err),
        SERTEL_ERR_DENIED);
    assert_non_null(strstr(err.msg, "only http and https"));
    assert_int_equal(
        cms_fetch_url(fx, "CRL", "http://\x1b[31m/", NULL, NULL, 0, 1000, &b, &blen, &err),
        SERTEL_ERR_DENIED);
    assert_null(strchr(err.msg, '\x1b')); /* shown without the escape */
    assert_int_equal(pending_connections(fd), 0);
    cms_fetch_ctx_free(fx);
    close(fd);
    /* The same server exempted by origin: fetched. */
    server_start(&s, NULL, (const unsigned char *)"ok", 2);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", s.port);
    snprintf(origin, sizeof(origin), "http://127.0.0.1:%d/base", s.port);
    fx = ctx_new(0, 0, origin);
    if (cms_fetch_url(fx, "OCSP", url, NULL, NULL, 0, 1000, &b, &blen, &err) != SERTEL_OK)
        fail_msg("exempt origin: %s", err.msg);
    assert_int_equal(blen, 2);
    assert_memory_equal(b, "ok", 2);
    assert_int_equal(cms_fetch_ctx_skip_count(fx), 0);
    free(b);
    cms_fetch_ctx_free(fx);
    server_stop(&s);
}

/* A server that takes the connection and never answers: cut at the time budget, then no more. */
static void test_fetch_time_budget(void **state)
{
    char url[128];
    unsigned char *b = NULL;
    size_t blen = 0;
    sertel_err err = {0};
    int port, fd = listen_loopback(&port);
    cms_fetch_ctx *fx;

    (void)state;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/slow", port);
    fx = ctx_new(300, 0, url);
    assert_int_equal(cms_fetch_url(fx, "OCSP", url, NULL, NULL, 0, 1000, &b, &blen, &err),
                     SERTEL_ERR_IO);
    assert_non_null(strstr(err.msg, "/slow cut off: the fetch time budget "
                                    "(0.3 s) ran out"));
    assert_int_equal(cms_fetch_url(fx, "CRL", url, NULL, NULL, 0, 1000, &b, &blen, &err),
                     SERTEL_ERR_IO);
    assert_non_null(strstr(err.msg, "CRL at http://127.0.0.1:"));
    assert_non_null(strstr(err.msg, "not fetched: the fetch time budget (0.3 s) is spent"));
    assert_int_equal(cms_fetch_ctx_skip_count(fx), 2);
    assert_int_equal(pending_connections(fd), 1); /* the first fetch only */
    assert_null(b);
    cms_fetch_ctx_free(fx);
    close(fd);
}

/* The byte budget cuts an answer and stops later fetches; the per-response cap is separate. */
static void test_fetch_byte_budget(void **state)
{
    static unsigned char big[3000];
    char url[128];
    unsigned char *b = NULL;
    size_t blen = 0;
    sertel_err err = {0};
    cms_fetch_ctx *fx;
    server s;

    (void)state;
    memset(big, 'x', sizeof(big));
    server_start(&s, NULL, big, sizeof(big));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/big", s.port);
    fx = ctx_new(0, 1000, url);
    assert_int_equal(cms_fetch_url(fx, "CRL", url, NULL, NULL, 0, 1u << 20, &b, &blen, &err),
                     SERTEL_ERR_IO);
    assert_non_null(strstr(err.msg, "/big cut off: the fetch byte budget "
                                    "(1000 bytes) ran out"));
    pthread_join(s.th, NULL); /* the one request; the socket stays open */
    assert_int_equal(cms_fetch_url(fx, "OCSP", url, NULL, NULL, 0, 1u << 20, &b, &blen, &err),
                     SERTEL_ERR_IO);
    assert_non_null(strstr(err.msg, "not fetched: the fetch byte budget "
                                    "(1000 bytes) is spent"));
    assert_int_equal(pending_connections(s.fd), 0);
    assert_int_equal(cms_fetch_ctx_skip_count(fx), 2);
    close(s.fd);
    cms_fetch_ctx_free(fx);
    /* No Content-Length: cut while reading. */
    server_start(&s, "HTTP/1.0 200 OK\r\n\r\n", big, sizeof(big));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/big", s.port);
    fx = ctx_new(0, 1000, url);
    assert_int_equal(cms_fetch_url(fx, "CRL", url, NULL, NULL, 0, 1u << 20, &b, &blen, &err),
                     SERTEL_ERR_IO);
    assert_non_null(strstr(err.msg, "cut off: the fetch byte budget"));
    assert_null(b);
    cms_fetch_ctx_free(fx);
    server_stop(&s);
    /* A response over the per-response cap, well within the budget. */
    server_start(&s, NULL, big, sizeof(big));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/big", s.port);
    fx = ctx_new(0, 0, url);
    assert_int_equal(cms_fetch_url(fx, "CRL", url, NULL, NULL, 0, 100, &b, &blen, &err),
                     SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "answered more than 100 bytes"));
    assert_null(b);
    cms_fetch_ctx_free(fx);
    server_stop(&s);
    /* Spent by an earlier answer that fit: nothing more is fetched. */
    server_start(&s, NULL, big, 600);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/big", s.port);
    fx = ctx_new(0, 600, url);
    if (cms_fetch_url(fx, "CRL", url, NULL, NULL, 0, 1u << 20, &b, &blen, &err) != SERTEL_OK)
        fail_msg("600 of 600 bytes: %s", err.msg);
    assert_int_equal(blen, 600);
    free(b);
    b = NULL;
    server_stop(&s);
    assert_int_equal(cms_fetch_url(fx, "OCSP", url, NULL, NULL, 0, 1u << 20, &b, &blen, &err),
                     SERTEL_ERR_IO);
    assert_non_null(strstr(err.msg, "not fetched: the fetch byte budget "
                                    "(600 bytes) is spent"));
    cms_fetch_ctx_free(fx);
}

/* A redirect is not followed, even to an exempt origin: one request, an error. */
static void test_fetch_no_redirect(void **state)
{
    char url[128], head[256];
    unsigned char *b = NULL;
    size_t blen = 0;
    sertel_err err = {0};
    int port, fd = listen_loopback(&port);
    cms_fetch_ctx *fx;
    server s;

    (void)state;
    snprintf(head, sizeof(head),
             "HTTP/1.0 302 Found\r\nLocation: http://127.0.0.1:%d/metrics\r\nContent-Length: "
             "0\r\n\r\n",
             port);
    server_start(&s, head, (const unsigned char *)"", 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ocsp", s.port);
    fx = ctx_new(0, 0, url);
    assert_int_equal(cms_fetch_url(fx, "OCSP", url, NULL, NULL, 0, 1000, &b, &blen, &err),
                     SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "answered HTTP 302"));
    assert_int_equal(pending_connections(fd), 0);
    cms_fetch_ctx_free(fx);
    server_stop(&s);
    close(fd);
}

/* Exempt origins must be http(s) URLs with a host. */
static void test_fetch_policy(void **state)
{
    const char *bad[] = {"127.0.0.1:8080", "file:///etc/passwd", "http://", "ftp://x/"};
    cms_fetch_policy pol = {0, 0, 0, NULL, 1, NULL, NULL};
    cms_fetch_ctx *fx = NULL;
    sertel_err err = {0};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pol.allow = &bad[i];
        assert_int_equal(cms_fetch_ctx_new(&pol, &fx, &err), SERTEL_ERR_INVALID);
        assert_null(fx);
        assert_non_null(strstr(err.msg, "not an http(s) URL"));
    }
    assert_int_equal(cms_fetch_ctx_new(NULL, &fx, &err), SERTEL_OK);
    cms_fetch_ctx_free(fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_issuer),      cmocka_unit_test(test_addr_rule),
        cmocka_unit_test(test_fetch_refused),     cmocka_unit_test(test_fetch_time_budget),
        cmocka_unit_test(test_fetch_byte_budget), cmocka_unit_test(test_fetch_no_redirect),
        cmocka_unit_test(test_fetch_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
