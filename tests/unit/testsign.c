/*
 * testsign.c - test signers and TSA (testsign.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "testsign.h"

void tu_signer(cms_signer *s, const char *cn)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *c = X509_new();
    X509_NAME *n = X509_NAME_new();
    static long serial = 7;

    assert_non_null(k);
    assert_non_null(c);
    assert_non_null(n);
    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(c, n);
    X509_set_issuer_name(c, n);
    X509_gmtime_adj(X509_getm_notBefore(c), -3600);
    X509_gmtime_adj(X509_getm_notAfter(c), 86400);
    X509_set_pubkey(c, k);
    assert_true(X509_sign(c, k, EVP_sha256()) > 0);
    X509_NAME_free(n);
    memset(s, 0, sizeof(*s));
    s->key = k;
    s->cert = c;
}

void tu_signer_free(cms_signer *s)
{
    EVP_PKEY_free(s->key);
    X509_free(s->cert);
    sk_X509_pop_free(s->chain, X509_free);
    memset(s, 0, sizeof(*s));
}

void tu_tsa_init(tu_tsa *t)
{
    X509_EXTENSION *ext;
    cms_signer s;

    memset(t, 0, sizeof(*t));
    tu_signer(&s, "Uji TSA");
    ext = X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage, "critical,timeStamping");
    assert_non_null(ext);
    assert_true(X509_add_ext(s.cert, ext, -1));
    X509_EXTENSION_free(ext);
    assert_true(X509_sign(s.cert, s.key, EVP_sha256()) > 0);
    t->key = s.key;
    t->cert = s.cert;
}

int tu_tsa_fn(void *arg, const unsigned char *req, size_t req_len, unsigned char **resp,
              size_t *resp_len, sertel_err *err)
{
    tu_tsa *t = arg;
    TS_RESP_CTX *ctx;
    ASN1_OBJECT *pol;
    BIO *in;
    TS_RESP *r;
    unsigned char *der = NULL;
    int l, second;

    t->calls++;
    if (t->fail)
        return sertel_err_set(err, SERTEL_ERR_IO, "the test TSA is down");
    second = t->switch_at > 0 && t->calls >= t->switch_at;
    ctx = TS_RESP_CTX_new();
    pol = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
    assert_non_null(ctx);
    assert_true(TS_RESP_CTX_set_signer_cert(ctx, second ? t->cert2 : t->cert));
    assert_true(TS_RESP_CTX_set_signer_key(ctx, second ? t->key2 : t->key));
    assert_true(TS_RESP_CTX_set_def_policy(ctx, pol));
    assert_true(TS_RESP_CTX_add_md(ctx, EVP_sha256()));
    assert_true(TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()));
    if (t->grow_from != 0 && t->calls >= t->grow_from)
        assert_true(TS_RESP_CTX_set_certs(ctx, t->extra));
    if (t->grow_each) {
        STACK_OF(X509) *some = sk_X509_new_null();
        int i;
        for (i = 0; i < 4 * (t->calls - 1) && i < sk_X509_num(t->extra); i++)
            assert_true(sk_X509_push(some, sk_X509_value(t->extra, i)) > 0);
        assert_true(TS_RESP_CTX_set_certs(ctx, some));
        sk_X509_free(some);
    }
    in = BIO_new_mem_buf(req, (int)req_len);
    r = TS_RESP_create_response(ctx, in);
    assert_non_null(r);
    l = i2d_TS_RESP(r, &der);
    assert_true(l > 0);
    *resp = malloc((size_t)l);
    assert_non_null(*resp);
    memcpy(*resp, der, (size_t)l);
    *resp_len = (size_t)l;
    OPENSSL_free(der);
    TS_RESP_free(r);
    BIO_free(in);
    ASN1_OBJECT_free(pol);
    TS_RESP_CTX_free(ctx);
    return SERTEL_OK;
}

void tu_tsa_free(tu_tsa *t)
{
    EVP_PKEY_free(t->key);
    EVP_PKEY_free(t->key2);
    X509_free(t->cert);
    X509_free(t->cert2);
    sk_X509_pop_free(t->extra, X509_free);
    memset(t, 0, sizeof(*t));
}
