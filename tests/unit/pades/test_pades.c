/*
 * test_pades.c - pades_sign_file without a network or a home: level names;
 * B-T without a TSA refused; B-LT and B-LTA with an in-process TSA and
 * self-signed certificates (nothing to fetch: the DSS holds both
 * certificates, no OCSP, no CRL); a TSA that changes certificates before
 * the document time-stamp (a second DSS revision); a signer whose OCSP and CRL URLs point at
 * a closed port (the error names the certificate and both URLs); a chain
 * missing its root without caIssuers. Every failure leaves the directory
 * as it was: no output, no temporary file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pades/pades.h"
#include "testsign.h"
#include "testutil.h"

static const char *letter(void)
{
    static char path[1024];
    const char *d = getenv("SERTEL_TEST_DATA");

    snprintf(path, sizeof(path), "%s/letter.pdf", d ? d : "tests/data");
    return path;
}

/* A P-256 certificate named cn, issued by (ikey, icert) or self-signed when icert is NULL. */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *icert, EVP_PKEY *ikey, int ca,
                       const char *aia, const char *cdp, const char *eku)
{
    static long serial = 1;
    const char *exts[12];
    size_t n = 0;

    exts[n++] = "subjectKeyIdentifier";
    exts[n++] = "hash";
    if (ca) {
        exts[n++] = "basicConstraints";
        exts[n++] = "critical,CA:TRUE";
    }
    if (aia) {
        exts[n++] = "authorityInfoAccess";
        exts[n++] = aia;
    }
    if (cdp) {
        exts[n++] = "crlDistributionPoints";
        exts[n++] = cdp;
    }
    if (eku) {
        exts[n++] = "extendedKeyUsage";
        exts[n++] = eku;
    }
    exts[n] = NULL;
    return tu_cert(cn, key, icert, ikey, serial++, exts);
}

/* Fixture: a TSA (self-signed), a root, a self-signed signer, a signer issued by the root. */
typedef struct fx {
    tu_tsa tsa;
    EVP_PKEY *root_key, *self_key, *leaf_key;
    X509 *root, *self, *leaf;
    char *dir;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));

    f->tsa.key = EVP_EC_gen("P-256");
    f->tsa.cert =
        make_cert("Uji TSA", f->tsa.key, NULL, NULL, 0, NULL, NULL, "critical,timeStamping");
    f->root_key = EVP_EC_gen("P-256");
    f->root = make_cert("Uji Root", f->root_key, NULL, NULL, 1, NULL, NULL, NULL);
    f->self_key = EVP_EC_gen("P-256");
    f->self = make_cert("Uji Mandiri", f->self_key, NULL, NULL, 0, NULL, NULL, NULL);
    f->leaf_key = EVP_EC_gen("P-256");
    /* Port 1 on loopback: nothing listens, the connection is refused at once. */
    f->leaf =
        make_cert("Uji Penanda", f->leaf_key, f->root, f->root_key, 0,
                  "OCSP;URI:http://127.0.0.1:1/ocsp", "URI:http://127.0.0.1:1/crl/root.crl", NULL);
    f->dir = tu_mkdtemp();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    tu_tsa_free(&f->tsa);
    EVP_PKEY_free(f->root_key);
    EVP_PKEY_free(f->self_key);
    EVP_PKEY_free(f->leaf_key);
    X509_free(f->root);
    X509_free(f->self);
    X509_free(f->leaf);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

static void opts(fx *f, pades_opts *o, pades_level l, EVP_PKEY *k, X509 *c, STACK_OF(X509) * ch)
{
    memset(o, 0, sizeof(*o));
    o->level = l;
    o->sign.signer.key = k;
    o->sign.signer.cert = c;
    o->sign.signer.chain = ch;
    o->sign.tsa.fn = tu_tsa_fn;
    o->sign.tsa.arg = &f->tsa;
}

/* Files in dir (the output and leftovers). */
static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* The number of items in the newest /DSS /key array of path. */
static size_t dss_count(const char *path, const char *key)
{
    pdf_doc *d = NULL;
    const pdf_obj *cat = NULL, *dss, *a;
    size_t n = 0;
    sertel_err err = {0};

    assert_int_equal(pdf_open_file(path, &d, &err), SERTEL_OK);
    assert_int_equal(pdf_catalog(d, &cat, NULL, NULL, &err), SERTEL_OK);
    dss = pdf_resolve(d, pdf_dict_get(cat, "DSS"));
    assert_non_null(dss);
    a = pdf_resolve(d, pdf_dict_get(dss, key));
    if (a != NULL && a->type == PDF_ARRAY)
        n = a->u.arr.n;
    pdf_close(d);
    return n;
}

static void test_level_names(void **state)
{
    pades_level l;
    int i;

    (void)state;
    for (i = PADES_B_B; i <= PADES_B_LTA; i++) {
        assert_int_equal(pades_level_parse(pades_level_name((pades_level)i), &l), 0);
        assert_int_equal(l, i);
    }
    assert_int_equal(pades_level_parse("B-LTV", &l), -1);
    assert_null(pades_level_name((pades_level)7));
}

static void test_no_tsa(void **state)
{
    fx *f = *state;
    pades_opts o;
    sertel_err err = {0};

    opts(f, &o, PADES_B_LT, f->self_key, f->self, NULL);
    o.sign.tsa.fn = NULL;
    assert_int_equal(pades_sign_file(letter(), tu_path(f->dir, "o.pdf"), &o, &err),
                     SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "B-LT needs a time-stamping authority"));
    assert_int_equal(count_files(f->dir), 0);
}

/* Self-signed signer and TSA: nothing to fetch, the DSS holds both certificates. */
static void test_lt_lta_self_signed(void **state)
{
    fx *f = *state;
    pades_opts o;
    sertel_err err = {0};
    const char *out;

    opts(f, &o, PADES_B_LT, f->self_key, f->self, NULL);
    out = tu_path(f->dir, "lt.pdf");
    assert_int_equal(pades_sign_file(letter(), out, &o, &err), SERTEL_OK);
    assert_int_equal(dss_count(out, "Certs"), 2);
    assert_int_equal(dss_count(out, "OCSPs"), 0);
    assert_int_equal(count_files(f->dir), 1);

    o.level = PADES_B_LTA;
    out = tu_path(f->dir, "lta.pdf");
    assert_int_equal(pades_sign_file(letter(), out, &o, &err), SERTEL_OK);
    assert_int_equal(dss_count(out, "Certs"), 2);
    assert_int_equal(count_files(f->dir), 2);
    assert_int_equal(unlink(tu_path(f->dir, "lt.pdf")), 0);
    assert_int_equal(unlink(tu_path(f->dir, "lta.pdf")), 0);
}

/*
 * B-LTA where the TSA signs the document time-stamp with another
 * certificate (call 1: the signature-time-stamp; 2: the document
 * time-stamp; one call each): a second DSS revision adds it.
 */
static void test_lta_tsa_changes(void **state)
{
    fx *f = *state;
    pades_opts o;
    sertel_err err = {0};
    const char *out = tu_path(f->dir, "lta2.pdf");
    pdf_doc *d = NULL;
    unsigned sections;

    f->tsa.key2 = EVP_EC_gen("P-256");
    f->tsa.cert2 =
        make_cert("Uji TSA Baru", f->tsa.key2, NULL, NULL, 0, NULL, NULL, "critical,timeStamping");
    f->tsa.switch_at = 2;
    opts(f, &o, PADES_B_LTA, f->self_key, f->self, NULL);
    assert_int_equal(pades_sign_file(letter(), out, &o, &err), SERTEL_OK);
    assert_int_equal(f->tsa.calls, 2);
    assert_int_equal(dss_count(out, "Certs"), 3);
    assert_int_equal(count_files(f->dir), 1);
    /* The same TSA throughout: no second DSS revision (one section fewer). */
    assert_int_equal(pdf_open_file(out, &d, &err), SERTEL_OK);
    sections = pdf_section_count(d);
    pdf_close(d);
    f->tsa.switch_at = 0;
    assert_int_equal(unlink(out), 0);
    assert_int_equal(pades_sign_file(letter(), out, &o, &err), SERTEL_OK);
    assert_int_equal(dss_count(out, "Certs"), 2);
    assert_int_equal(pdf_open_file(out, &d, &err), SERTEL_OK);
    assert_int_equal(pdf_section_count(d), sections - 1);
    pdf_close(d);
    assert_int_equal(unlink(out), 0);
}

/* OCSP and CRL unreachable: the message names the certificate and both URLs; no output. */
static void test_unreachable(void **state)
{
    fx *f = *state;
    STACK_OF(X509) *ch = sk_X509_new_null();
    pades_opts o;
    sertel_err err = {0};
    pades_level lv[2] = {PADES_B_LT, PADES_B_LTA};
    int i;

    assert_true(sk_X509_push(ch, f->root));
    for (i = 0; i < 2; i++) {
        opts(f, &o, lv[i], f->leaf_key, f->leaf, ch);
        memset(&err, 0, sizeof(err));
        assert_int_not_equal(pades_sign_file(letter(), tu_path(f->dir, "x.pdf"), &o, &err),
                             SERTEL_OK);
        assert_non_null(strstr(err.msg, "no revocation data for /CN=Uji Penanda"));
        assert_non_null(strstr(err.msg, "http://127.0.0.1:1/ocsp"));
        assert_non_null(strstr(err.msg, "http://127.0.0.1:1/crl/root.crl"));
        assert_int_equal(count_files(f->dir), 0);
    }
    sk_X509_free(ch);
}

/* The root neither in the chain nor reachable through caIssuers. */
static void test_missing_issuer(void **state)
{
    fx *f = *state;
    pades_opts o;
    sertel_err err = {0};

    opts(f, &o, PADES_B_LT, f->leaf_key, f->leaf, NULL);
    assert_int_not_equal(pades_sign_file(letter(), tu_path(f->dir, "x.pdf"), &o, &err), SERTEL_OK);
    assert_non_null(strstr(err.msg, "cannot find the issuer of /CN=Uji Penanda"));
    assert_int_equal(count_files(f->dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_level_names),
        cmocka_unit_test_setup_teardown(test_no_tsa, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lt_lta_self_signed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lta_tsa_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_issuer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
