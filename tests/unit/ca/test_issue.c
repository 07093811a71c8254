/*
 * test_issue.c - the CA core: init, issuance through the library, serial
 * numbers (10,000 issuances: distinct, 16 bytes, positive), the record
 * written before hand-out, all-or-nothing batches, and lint refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "testhome.h"
#include "testutil.h"
#include "util/fs.h"
#include "util/hex.h"

struct fixture {
    char *dir;
    char home[4096];
    ca_ctx *ca;
    EVP_PKEY *key;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    sertel_err err = {0};

    f->dir = tu_mkdtemp();
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    if (tu_home_init(f->home, 0) != 0)
        return -1;
    if (ca_open(f->home, 0, &f->ca, &err) != SERTEL_OK) {
        print_error("ca_open: %s\n", err.msg);
        return -1;
    }
    f->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    *state = f;
    return f->key ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    EVP_PKEY_free(f->key);
    ca_close(f->ca);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

static ca_issue_req req_for(EVP_PKEY *k, const char *name, const char *email)
{
    ca_issue_req r;

    memset(&r, 0, sizeof(r));
    r.profile = "document-signing";
    r.pubkey = k;
    r.subject.org = "Kementerian Uji";
    r.subject.unit = "Biro Umum";
    r.subject.name = name;
    r.subject.email = email;
    r.actor = "test";
    return r;
}

static int count_certs(ca_ctx *ca)
{
    store_stmt *s = NULL;
    int n = -1;

    if (store_prepare(ca_get0_store(ca), "SELECT count(*) FROM certificates", &s, NULL) ==
            SERTEL_OK &&
        store_step(s, NULL) == STORE_ROW)
        n = (int)store_col_int64(s, 0);
    store_finalize(s);
    return n;
}

static void test_issue_verifies(void **state)
{
    struct fixture *f = *state;
    ca_issue_req r = req_for(f->key, "Siti Rahayu", "siti@uji.go.id");
    X509 *x = NULL;
    X509_STORE *xs = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    sertel_err err = {0};

    assert_int_equal(ca_issue(f->ca, &r, &x, &err), SERTEL_OK);
    assert_non_null(x);
    X509_STORE_add_cert(xs, ca_get0_root_cert(f->ca));
    sk_X509_push(untrusted, ca_get0_issuing_cert(f->ca));
    X509_STORE_CTX_init(ctx, xs, x, untrusted);
    assert_int_equal(X509_verify_cert(ctx), 1);
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    X509_STORE_free(xs);
    X509_free(x);
}

/* The record exists, with the certificate's SHA-256, once ca_issue returns. */
static void test_recorded_before_handout(void **state)
{
    struct fixture *f = *state;
    ca_issue_req r = req_for(f->key, "Budi Santoso", "budi@uji.go.id");
    X509 *x = NULL;
    ca_cert_record rec;
    char serial[41], sha[65];
    unsigned char md[32];
    unsigned int mdlen;
    sertel_err err = {0};
    ca_ctx *other = NULL;

    assert_int_equal(ca_issue(f->ca, &r, &x, &err), SERTEL_OK);
    assert_int_equal(ca_serial_hex(x, serial, sizeof(serial)), SERTEL_OK);
    /* A second, independent connection sees it: it was committed. */
    assert_int_equal(ca_open(f->home, CA_OPEN_READONLY, &other, &err), SERTEL_OK);
    assert_int_equal(ca_cert_get(other, serial, &rec, &err), SERTEL_OK);
    X509_digest(x, EVP_sha256(), md, &mdlen);
    hex_encode(md, mdlen, sha);
    assert_string_equal(rec.sha256, sha);
    assert_string_equal(rec.status, "valid");
    assert_string_equal(rec.profile, "document-signing");
    assert_string_equal(rec.email, "budi@uji.go.id");
    ca_cert_record_clear(&rec);
    ca_close(other);
    X509_free(x);
}

static int cmp_serial(const void *a, const void *b)
{
    return memcmp(a, b, 16);
}

/* 10,000 issuances: every serial distinct, 16 bytes, positive. */
static void test_serials_10000(void **state)
{
    struct fixture *f = *state;
    enum { N = 10000, BATCH = 500 };
    unsigned char(*serials)[16] = calloc(N, 16);
    ca_issue_req reqs[BATCH];
    X509 *out[BATCH];
    sertel_err err = {0};
    int i, j, k = 0;

    assert_non_null(serials);
    for (i = 0; i < BATCH; i++)
        reqs[i] = req_for(f->key, "Pegawai Uji", "pegawai@uji.go.id");
    for (i = 0; i < N / BATCH; i++) {
        assert_int_equal(ca_issue_batch(f->ca, reqs, BATCH, out, &err), SERTEL_OK);
        for (j = 0; j < BATCH; j++) {
            const ASN1_INTEGER *sn = X509_get0_serialNumber(out[j]);
            unsigned char *der = NULL;
            int len = i2d_ASN1_INTEGER((ASN1_INTEGER *)sn, &der);
            /* DER: 02 10 <16 bytes>, first content byte 0x01..0x7f (positive, no padding). */
            assert_int_equal(len, 18);
            assert_int_equal(der[0], 0x02);
            assert_int_equal(der[1], 16);
            assert_true(der[2] > 0 && der[2] < 0x80);
            memcpy(serials[k++], der + 2, 16);
            OPENSSL_free(der);
            X509_free(out[j]);
        }
    }
    qsort(serials, N, 16, cmp_serial);
    for (i = 1; i < N; i++)
        assert_int_not_equal(memcmp(serials[i - 1], serials[i], 16), 0);
    free(serials);
}

/* A batch with one bad request records nothing. */
static void test_batch_all_or_nothing(void **state)
{
    struct fixture *f = *state;
    ca_issue_req reqs[3];
    X509 *out[3] = {0};
    sertel_err err = {0};
    int before = count_certs(f->ca);

    reqs[0] = req_for(f->key, "Satu", "satu@uji.go.id");
    reqs[1] = req_for(f->key, "Dua", NULL); /* profile requires an e-mail */
    reqs[2] = req_for(f->key, "Tiga", "tiga@uji.go.id");
    assert_int_equal(ca_issue_batch(f->ca, reqs, 3, out, &err), SERTEL_ERR_LINT);
    assert_non_null(strstr(err.msg, "san_email"));
    assert_null(out[0]);
    assert_int_equal(count_certs(f->ca), before);
}

static void test_lint_refusals(void **state)
{
    struct fixture *f = *state;
    ca_issue_req r;
    X509 *x = NULL;
    sertel_err err = {0};
    int before = count_certs(f->ca);
    char longname[80];
    EVP_PKEY *rsa1k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);

    memset(longname, 'A', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    r = req_for(f->key, longname, "a@uji.go.id");
    assert_int_not_equal(ca_issue(f->ca, &r, &x, &err), SERTEL_OK);
    r = req_for(f->key, "Bad Mail", "not an email");
    assert_int_equal(ca_issue(f->ca, &r, &x, &err), SERTEL_ERR_LINT);
    r = req_for(f->key, NULL, "nocn@uji.go.id");
    assert_int_equal(ca_issue(f->ca, &r, &x, &err), SERTEL_ERR_LINT);
    r = req_for(rsa1k, "Weak", "weak@uji.go.id");
    assert_int_not_equal(ca_issue(f->ca, &r, &x, &err), SERTEL_OK);
    r = req_for(f->key, "Wrong Country", "wc@uji.go.id");
    r.subject.country = "MY";
    assert_int_equal(ca_issue(f->ca, &r, &x, &err), SERTEL_ERR_LINT);
    r = req_for(f->key, "Profil", "p@uji.go.id");
    r.profile = "root-ca";
    assert_int_equal(ca_issue(f->ca, &r, &x, &err), SERTEL_ERR_DENIED);
    r.profile = "no-such-profile";
    assert_int_equal(ca_issue(f->ca, &r, &x, &err), SERTEL_ERR_NOTFOUND);
    assert_null(x);
    assert_int_equal(count_certs(f->ca), before);
    EVP_PKEY_free(rsa1k);
}

/* Names with characters of the OpenSSL config language are taken literally. */
static void test_no_injection(void **state)
{
    struct fixture *f = *state;
    ca_issue_req r = req_for(f->key, "critical,CA:TRUE, O=Evil", "x@uji.go.id");
    X509 *x = NULL;
    sertel_err err = {0};

    assert_int_equal(ca_issue(f->ca, &r, &x, &err), SERTEL_OK);
    assert_int_equal(X509_check_ca(x), 0);
    X509_free(x);
}

static void test_init_refuses_existing(void **state)
{
    struct fixture *f = *state;
    ca_init_opts o = {0};
    sertel_err err = {0};

    o.home = f->home;
    o.org = "Lain";
    o.key_type = KS_KEY_EC_P256;
    o.admin_email = "a@b.c";
    o.admin_name = "A";
    o.admin_password = "another long password";
    assert_int_equal(ca_init(&o, &err), SERTEL_ERR_EXISTS);
    assert_non_null(strstr(err.msg, "already a sertel home"));
}

static void test_serial_normalize(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(ca_serial_normalize("0A:BC:00:1f", out, sizeof(out)), SERTEL_OK);
    assert_string_equal(out, "abc001f");
    assert_int_equal(ca_serial_normalize("0x0001", out, sizeof(out)), SERTEL_OK);
    assert_string_equal(out, "1");
    assert_int_equal(ca_serial_normalize("xyz", out, sizeof(out)), SERTEL_ERR_INVALID);
    assert_int_equal(ca_serial_normalize("123456", out, 4), SERTEL_ERR_INVALID);
}

/* sertel init's warnings: the example OID arc and loopback base URLs. */
static void test_init_warnings(void **state)
{
    (void)state;
    assert_true(ca_oid_is_example(CA_DEFAULT_POLICY_OID));
    assert_true(ca_oid_is_example(CA_DEFAULT_TSA_POLICY_OID));
    assert_true(ca_oid_is_example("2.999"));
    assert_false(ca_oid_is_example("2.9990.1"));
    assert_false(ca_oid_is_example("1.3.6.1.4.1.57264.1.1.1"));
    assert_false(ca_oid_is_example("2.16.360.1"));
    assert_true(ca_url_is_loopback(CA_DEFAULT_BASE_URL));
    assert_true(ca_url_is_loopback("http://127.1.2.3/pki"));
    assert_true(ca_url_is_loopback("http://localhost:8080"));
    assert_true(ca_url_is_loopback("http://LOCALHOST"));
    assert_true(ca_url_is_loopback("http://ca.localhost/pki"));
    assert_true(ca_url_is_loopback("http://[::1]:8080"));
    assert_false(ca_url_is_loopback("http://127.example.go.id"));
    assert_false(ca_url_is_loopback("http://pki.contoh.go.id"));
    assert_false(ca_url_is_loopback("http://10.0.0.1:8080"));
    assert_false(ca_url_is_loopback("http://localhost.contoh.go.id"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_issue_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recorded_before_handout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serials_10000, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lint_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_injection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_refuses_existing, setup, teardown),
        cmocka_unit_test(test_serial_normalize),
        cmocka_unit_test(test_init_warnings),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
