/*
 * test_revfetch.c - cms_fetch_issuer (lib/cms/revfetch.c) against a
 * one-shot HTTP server in this test: the issuer answered as a DER
 * certificate, a PEM certificate, a DER or PEM certs-only PKCS#7 bundle
 * (.p7c) with other certificates before it; a bundle without the issuer,
 * a certificate that did not issue it and garbage are refused.
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

/* --- a one-shot HTTP server: answers one request with body, then closes --- */

typedef struct server {
    int fd;
    int port;
    const unsigned char *body;
    size_t len;
    pthread_t th;
} server;

static void *serve_one(void *arg)
{
    server *s = arg;
    char req[4096], head[128];
    int c = accept(s->fd, NULL, NULL);
    ssize_t n;

    if (c < 0)
        return NULL;
    n = read(c, req, sizeof(req)); /* the request (one packet is enough for a GET) */
    (void)n;
    snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n", s->len);
    if (write(c, head, strlen(head)) < 0 || write(c, s->body, s->len) < 0) {
        /* the client saw a short answer: its own error */
    }
    close(c);
    return NULL;
}

static void server_start(server *s, const unsigned char *body, size_t len)
{
    struct sockaddr_in a;
    socklen_t al = sizeof(a);

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->fd, 1), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
    s->port = ntohs(a.sin_port);
    s->body = body;
    s->len = len;
    assert_int_equal(pthread_create(&s->th, NULL, serve_one, s), 0);
}

static void server_stop(server *s)
{
    pthread_join(s->th, NULL);
    close(s->fd);
}

/* cms_fetch_issuer on a certificate issued by root whose caIssuers URL answers body. */
static int fetch(EVP_PKEY *root_key, X509 *root, const unsigned char *body, size_t len,
                 X509 **issuer, sertel_err *err)
{
    server s;
    char aia[128];
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *leaf;
    int rc;

    server_start(&s, body, len);
    snprintf(aia, sizeof(aia), "caIssuers;URI:http://127.0.0.1:%d/ca/root.p7c", s.port);
    leaf = make_cert("Uji Penanda", k, root, root_key, aia);
    rc = cms_fetch_issuer(leaf, issuer, err);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch_issuer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
