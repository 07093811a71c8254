/*
 * test_revarchive.c - revocation data carried inside a signature, as
 * Acrobat and iText write it: the adbe-revocationInfoArchival signed
 * attribute (OID 1.2.840.113583.1.1.8) with OCSP responses and CRLs. A
 * detached CMS is made here with OpenSSL (a CA, a signer, an OCSP response
 * and a CRL signed by the CA) and validated offline with vfy_detached_file:
 * a good OCSP response gives "good" from "CMS OCSP" and TOTAL_PASSED, a
 * revoked one REVOKED_NO_POE, a CRL listing the signer "revoked" from "CMS
 * CRL"; without the attribute, or with a damaged one, the status is
 * unknown offline (TRY_LATER), never a crash or a pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/verify.h"
#include "testutil.h"

/* The CA, or the signer it issued (with an OCSP URL nothing answers: the test is offline). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *icert, EVP_PKEY *ikey, long serial)
{
    static const char *const ca[] = {"basicConstraints", "critical,CA:TRUE", "keyUsage",
                                     "critical,keyCertSign,cRLSign,digitalSignature", NULL};
    static const char *const leaf[] = {"keyUsage", "critical,digitalSignature,nonRepudiation",
                                       "authorityInfoAccess", "OCSP;URI:http://127.0.0.1:1/ocsp",
                                       NULL};

    return tu_cert(cn, key, icert, ikey, serial, icert == NULL ? ca : leaf);
}

typedef struct fx {
    EVP_PKEY *ca_key, *key;
    X509 *ca, *cert;
    char *dir;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->ca_key = EVP_EC_gen("P-256");
    f->ca = make_cert("Uji CA", f->ca_key, NULL, NULL, 1);
    f->key = EVP_EC_gen("P-256");
    f->cert = make_cert("Uji Penanda", f->key, f->ca, f->ca_key, 77);
    f->dir = tu_mkdtemp();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;

    EVP_PKEY_free(f->ca_key);
    EVP_PKEY_free(f->key);
    X509_free(f->ca);
    X509_free(f->cert);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

/* An OCSP response from the CA about the signer: good or revoked an hour ago. */
static unsigned char *ocsp_der(fx *f, int revoked, size_t *len)
{
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), f->cert, f->ca);
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    ASN1_TIME *tu = X509_gmtime_adj(NULL, -60), *nu = X509_gmtime_adj(NULL, 3600);
    ASN1_TIME *rt = revoked ? X509_gmtime_adj(NULL, -3600) : NULL;
    OCSP_RESPONSE *r;
    unsigned char *der = NULL;
    int n;

    assert_non_null(
        OCSP_basic_add1_status(bs, id, revoked ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD,
                               revoked ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : -1, rt, tu, nu));
    assert_true(OCSP_basic_sign(bs, f->ca, f->ca_key, EVP_sha256(), NULL, OCSP_RESPID_KEY));
    r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    n = i2d_OCSP_RESPONSE(r, &der);
    assert_true(n > 0);
    *len = (size_t)n;
    OCSP_RESPONSE_free(r);
    OCSP_BASICRESP_free(bs);
    OCSP_CERTID_free(id);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    ASN1_TIME_free(rt);
    return der;
}

/* A CRL from the CA listing the signer's serial. */
static unsigned char *crl_der(fx *f, size_t *len)
{
    X509_CRL *crl = X509_CRL_new();
    X509_REVOKED *rv = X509_REVOKED_new();
    ASN1_TIME *t = X509_gmtime_adj(NULL, -60), *nu = X509_gmtime_adj(NULL, 86400),
              *rt = X509_gmtime_adj(NULL, -3600);
    unsigned char *der = NULL;
    int n;

    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(f->ca));
    X509_CRL_set1_lastUpdate(crl, t);
    X509_CRL_set1_nextUpdate(crl, nu);
    X509_REVOKED_set_serialNumber(rv, X509_get_serialNumber(f->cert));
    X509_REVOKED_set_revocationDate(rv, rt);
    X509_CRL_add0_revoked(crl, rv);
    X509_CRL_sort(crl);
    assert_true(X509_CRL_sign(crl, f->ca_key, EVP_sha256()) > 0);
    n = i2d_X509_CRL(crl, &der);
    assert_true(n > 0);
    *len = (size_t)n;
    X509_CRL_free(crl);
    ASN1_TIME_free(t);
    ASN1_TIME_free(nu);
    ASN1_TIME_free(rt);
    return der;
}

/* DER tag + length + content into out (at most 64 KiB of content; in may be out). */
static size_t der_wrap(unsigned char tag, const unsigned char *in, size_t n, unsigned char *out)
{
    size_t h = n < 128 ? 2 : n < 256 ? 3 : 4;

    assert_true(n < 65536);
    memmove(out + h, in, n); /* first: in may be out */
    out[0] = tag;
    if (n < 128) {
        out[1] = (unsigned char)n;
    } else if (n < 256) {
        out[1] = 0x81;
        out[2] = (unsigned char)n;
    } else {
        out[1] = 0x82;
        out[2] = (unsigned char)(n >> 8);
        out[3] = (unsigned char)n;
    }
    return h + n;
}

/*
 * RevocationInfoArchival with item (a CRL when tag is 0xA0, an OCSP
 * response when 0xA1) as the only element of its list.
 */
static size_t archive(unsigned char tag, const unsigned char *item, size_t n, unsigned char *out)
{
    size_t k = der_wrap(0x30, item, n, out); /* SEQUENCE OF */
    k = der_wrap(tag, out, k, out);          /* [0] or [1] EXPLICIT */
    return der_wrap(0x30, out, k, out);      /* RevocationInfoArchival */
}

/* A detached CMS by the signer over data, with attr (DER, NULL: none) as the Adobe attribute;
 * validated offline trusting the CA. */
static vfy_report *verify_with(fx *f, const unsigned char *attr, size_t alen)
{
    static const char data[] = "Surat Keputusan Nomor 12/2026\n";
    BIO *in = BIO_new_mem_buf(data, (int)strlen(data));
    CMS_ContentInfo *cms;
    CMS_SignerInfo *si;
    unsigned char *der = NULL;
    char sig_path[1024], data_path[1024];
    STACK_OF(X509) *trust = sk_X509_new_null();
    vfy_opts o;
    vfy_report *r = NULL;
    sertel_err err = {0};
    FILE *fp;
    int n;

    cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_DETACHED | CMS_BINARY | CMS_PARTIAL);
    assert_non_null(cms);
    si = CMS_add1_signer(cms, f->cert, f->key, EVP_sha256(), CMS_BINARY);
    assert_non_null(si);
    if (attr != NULL)
        assert_true(CMS_signed_add1_attr_by_txt(si, "1.2.840.113583.1.1.8", V_ASN1_SEQUENCE, attr,
                                                (int)alen));
    assert_true(CMS_final(cms, in, NULL, CMS_DETACHED | CMS_BINARY));
    n = i2d_CMS_ContentInfo(cms, &der);
    assert_true(n > 0);
    snprintf(sig_path, sizeof(sig_path), "%s/sig.p7s", f->dir);
    snprintf(data_path, sizeof(data_path), "%s/data.txt", f->dir);
    fp = fopen(sig_path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(der, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    fp = fopen(data_path, "wb");
    assert_non_null(fp);
    fputs(data, fp);
    fclose(fp);
    sk_X509_push(trust, f->ca);
    memset(&o, 0, sizeof(o));
    o.trust = trust;
    o.offline = 1;
    if (vfy_detached_file(sig_path, data_path, &o, &r, &err) != SERTEL_OK)
        fail_msg("vfy_detached_file: %s", err.msg);
    assert_int_equal(r->n_sigs, 1);
    assert_int_equal(r->sigs[0].integrity, 1);
    sk_X509_free(trust);
    OPENSSL_free(der);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    return r;
}

static void test_ocsp_good(void **state)
{
    fx *f = *state;
    size_t n;
    unsigned char *o = ocsp_der(f, 0, &n), buf[8192];
    size_t k = archive(0xA1, o, n, buf);
    vfy_report *r = verify_with(f, buf, k);

    assert_string_equal(r->sigs[0].revocation, "good");
    assert_string_equal(r->sigs[0].revocation_source, "CMS OCSP");
    assert_string_equal(r->sigs[0].chain_rev[0].source, "CMS OCSP");
    assert_int_equal(r->sigs[0].conclusion, VFY_TOTAL_PASSED);
    vfy_report_free(r);
    OPENSSL_free(o);
}

static void test_ocsp_revoked(void **state)
{
    fx *f = *state;
    size_t n;
    unsigned char *o = ocsp_der(f, 1, &n), buf[8192];
    size_t k = archive(0xA1, o, n, buf);
    vfy_report *r = verify_with(f, buf, k);

    assert_string_equal(r->sigs[0].revocation, "revoked");
    assert_string_equal(r->sigs[0].revocation_source, "CMS OCSP");
    assert_string_equal(r->sigs[0].revocation_reason, "keyCompromise");
    assert_int_equal(r->sigs[0].conclusion, VFY_INDETERMINATE);
    assert_string_equal(r->sigs[0].sub_indication, "REVOKED_NO_POE");
    vfy_report_free(r);
    OPENSSL_free(o);
}

static void test_crl(void **state)
{
    fx *f = *state;
    size_t n;
    unsigned char *c = crl_der(f, &n), buf[8192];
    size_t k = archive(0xA0, c, n, buf);
    vfy_report *r = verify_with(f, buf, k);

    assert_string_equal(r->sigs[0].revocation, "revoked");
    assert_string_equal(r->sigs[0].revocation_source, "CMS CRL");
    assert_int_not_equal(r->sigs[0].conclusion, VFY_TOTAL_PASSED);
    vfy_report_free(r);
    OPENSSL_free(c);
}

static void test_none_or_damaged(void **state)
{
    fx *f = *state;
    static const unsigned char bad[][12] = {
        {0x30, 0x05, 0xA1, 0x03, 0x02, 0x01, 0x05},       /* [1] holding an INTEGER */
        {0x30, 0x06, 0xA1, 0x04, 0x30, 0x02, 0x30, 0x00}, /* an empty "OCSP response" */
        {0x30, 0x03, 0xA7, 0x01, 0x00},                   /* an unknown tag */
    };
    static const size_t blen[] = {7, 8, 5};
    vfy_report *r = verify_with(f, NULL, 0);
    size_t i;

    assert_string_equal(r->sigs[0].revocation, "not checked (offline)");
    assert_string_equal(r->sigs[0].sub_indication, "TRY_LATER");
    vfy_report_free(r);
    for (i = 0; i < sizeof(blen) / sizeof(blen[0]); i++) {
        r = verify_with(f, bad[i], blen[i]);
        assert_string_equal(r->sigs[0].revocation, "not checked (offline)");
        assert_int_equal(r->sigs[0].conclusion, VFY_INDETERMINATE);
        vfy_report_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ocsp_good, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ocsp_revoked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_none_or_damaged, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
