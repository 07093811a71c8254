/*
 * test_pki.c - the services through their library API, checked with
 * OpenSSL's own verification: OCSP good / revoked (with reason and time) /
 * unknown / unauthorized / malformed, nonces, the cache and its
 * invalidation on revocation; CRL contents and numbering; a time-stamp
 * token that verifies; the root key never in the online services
 * (CA_OPEN_ONLINE), the root CRL long-lived, signed only at a ceremony and
 * published at once, with a warning before it runs out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ocsp.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca.h"
#include "pki/pki.h"
#include "testhome.h"
#include "testutil.h"
#include "util/fs.h"

struct fx {
    char *dir;
    char home[4096];
    X509 *leaf;
    pki *p;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    ca_ctx *ca = NULL;
    ca_issue_req r;
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    sertel_err err = {0};

    f->dir = tu_mkdtemp();
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    if (tu_home_init(f->home, 0) != 0)
        return -1;
    if (ca_open(f->home, 0, &ca, &err) != SERTEL_OK) {
        print_error("%s\n", err.msg);
        return -1;
    }
    memset(&r, 0, sizeof(r));
    r.profile = "document-signing";
    r.pubkey = k;
    r.subject.org = "Kementerian Uji";
    r.subject.name = "Siti";
    r.subject.email = "siti@uji.go.id";
    if (ca_issue(ca, &r, &f->leaf, &err) != SERTEL_OK) {
        print_error("%s\n", err.msg);
        return -1;
    }
    ca_close(ca);
    EVP_PKEY_free(k);
    if (pki_open(f->home, &f->p, &err) != SERTEL_OK) {
        print_error("%s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    pki_close(f->p);
    X509_free(f->leaf);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

static X509 *authority(struct fx *f, const char *name)
{
    ca_ctx *ca = NULL;
    X509 *x = NULL;

    assert_int_equal(ca_open(f->home, CA_OPEN_READONLY, &ca, NULL), SERTEL_OK);
    assert_int_equal(ca_authority_cert(ca, name, &x, NULL), SERTEL_OK);
    ca_close(ca);
    return x;
}

/* DER request for serial (or the leaf's) under issuer, optionally with a nonce. */
static unsigned char *make_req(X509 *cert, X509 *issuer, const ASN1_INTEGER *serial, int nonce,
                               size_t *len)
{
    OCSP_REQUEST *req = OCSP_REQUEST_new();
    OCSP_CERTID *id = serial ? OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer),
                                                X509_get0_pubkey_bitstr(issuer), serial)
                             : OCSP_cert_to_id(NULL, cert, issuer);
    unsigned char *der = NULL;
    int n;

    assert_non_null(OCSP_request_add0_id(req, id));
    if (nonce)
        assert_int_equal(OCSP_request_add1_nonce(req, NULL, 16), 1);
    n = i2d_OCSP_REQUEST(req, &der);
    assert_true(n > 0);
    OCSP_REQUEST_free(req);
    *len = (size_t)n;
    return der;
}

/* Parse and verify a response; returns the single status. */
static int check_resp(struct fx *f, const pki_blob *b, int *reason, OCSP_BASICRESP **bs_out)
{
    const unsigned char *q = b->data;
    OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &q, (long)b->len);
    OCSP_BASICRESP *bs;
    X509_STORE *st = X509_STORE_new();
    X509 *root = authority(f, "root"), *issuing = authority(f, "issuing");
    STACK_OF(X509) *extra = sk_X509_new_null();
    ASN1_GENERALIZEDTIME *rev = NULL, *tu = NULL, *nu = NULL;
    int status = -1;

    assert_non_null(r);
    assert_int_equal(OCSP_response_status(r), OCSP_RESPONSE_STATUS_SUCCESSFUL);
    bs = OCSP_response_get1_basic(r);
    assert_non_null(bs);
    X509_STORE_add_cert(st, root);
    sk_X509_push(extra, issuing);
    assert_int_equal(OCSP_basic_verify(bs, extra, st, 0), 1);
    assert_int_equal(OCSP_single_get0_status(OCSP_resp_get0(bs, 0), reason, &rev, &tu, &nu) >= 0,
                     1);
    status = OCSP_single_get0_status(OCSP_resp_get0(bs, 0), reason, &rev, &tu, &nu);
    assert_int_equal(OCSP_check_validity(tu, nu, 300, -1), 1);
    if (bs_out)
        *bs_out = bs;
    else
        OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(r);
    X509_STORE_free(st);
    sk_X509_pop_free(extra, X509_free);
    X509_free(root);
    return status;
}

static void test_ocsp(void **state)
{
    struct fx *f = *state;
    X509 *issuing = authority(f, "issuing"), *root = authority(f, "root");
    unsigned char *req;
    size_t len;
    pki_blob b = {0};
    pki_stats s;
    int reason;
    ca_ctx *ca = NULL;
    char serial[41];
    ASN1_INTEGER *foreign = ASN1_INTEGER_new();
    OCSP_BASICRESP *bs = NULL;
    sertel_err err = {0};

    /* good, then served from the cache */
    req = make_req(f->leaf, issuing, NULL, 0, &len);
    assert_int_equal(pki_ocsp(f->p, req, len, &b, &err), SERTEL_OK);
    assert_string_equal(b.content_type, "application/ocsp-response");
    assert_int_equal(check_resp(f, &b, &reason, NULL), V_OCSP_CERTSTATUS_GOOD);
    assert_true(b.max_age > 0);
    assert_true(b.etag[0] == '"');
    pki_blob_clear(&b);
    assert_int_equal(pki_ocsp(f->p, req, len, &b, &err), SERTEL_OK);
    pki_blob_clear(&b);
    pki_get_stats(f->p, &s);
    assert_int_equal(s.ocsp_cache_hits, 1);

    /* revoked by another process: the next refresh drops the cache */
    assert_int_equal(ca_open(f->home, 0, &ca, &err), SERTEL_OK);
    assert_int_equal(ca_serial_hex(f->leaf, serial, sizeof(serial)), SERTEL_OK);
    assert_int_equal(ca_revoke(ca, serial, CA_REASON_KEY_COMPROMISE, "test", &err), SERTEL_OK);
    ca_close(ca);
    assert_int_equal(pki_refresh(f->p, &err), SERTEL_OK);
    assert_int_equal(pki_ocsp(f->p, req, len, &b, &err), SERTEL_OK);
    assert_int_equal(check_resp(f, &b, &reason, NULL), V_OCSP_CERTSTATUS_REVOKED);
    assert_int_equal(reason, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
    pki_blob_clear(&b);
    OPENSSL_free(req);

    /* nonce echoed, never cached */
    req = make_req(f->leaf, issuing, NULL, 1, &len);
    assert_int_equal(pki_ocsp(f->p, req, len, &b, &err), SERTEL_OK);
    assert_int_equal(check_resp(f, &b, &reason, &bs), V_OCSP_CERTSTATUS_REVOKED);
    {
        const unsigned char *q = req;
        OCSP_REQUEST *oreq = d2i_OCSP_REQUEST(NULL, &q, (long)len);
        assert_int_equal(OCSP_check_nonce(oreq, bs), 1);
        OCSP_REQUEST_free(oreq);
    }
    assert_int_equal(b.max_age, 0);
    OCSP_BASICRESP_free(bs);
    pki_blob_clear(&b);
    OPENSSL_free(req);

    /* unknown serial */
    ASN1_INTEGER_set_int64(foreign, 0x123456789);
    req = make_req(NULL, issuing, foreign, 0, &len);
    assert_int_equal(pki_ocsp(f->p, req, len, &b, &err), SERTEL_OK);
    assert_int_equal(check_resp(f, &b, &reason, NULL), V_OCSP_CERTSTATUS_UNKNOWN);
    pki_blob_clear(&b);
    OPENSSL_free(req);

    /* another CA: unauthorized */
    req = make_req(NULL, root, foreign, 0, &len);
    assert_int_equal(pki_ocsp(f->p, req, len, &b, &err), SERTEL_OK);
    {
        const unsigned char *q = b.data;
        OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &q, (long)b.len);
        assert_int_equal(OCSP_response_status(r), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
        OCSP_RESPONSE_free(r);
    }
    pki_blob_clear(&b);
    OPENSSL_free(req);

    /* garbage of every size: malformedRequest */
    for (int i = 0; i < 300; i++) {
        unsigned char junk[600];
        size_t n = (size_t)i * 2;
        const unsigned char *q;
        OCSP_RESPONSE *r;
        RAND_bytes(junk, sizeof(junk));
        if (i % 3 == 0 && n > 0)
            junk[0] = 0x30; /* looks like a SEQUENCE */
        assert_int_equal(pki_ocsp(f->p, junk, n, &b, &err), SERTEL_OK);
        q = b.data;
        r = d2i_OCSP_RESPONSE(NULL, &q, (long)b.len);
        assert_non_null(r);
        assert_int_equal(OCSP_response_status(r), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
        OCSP_RESPONSE_free(r);
        pki_blob_clear(&b);
    }
    ASN1_INTEGER_free(foreign);
    X509_free(issuing);
    X509_free(root);
}

static void test_crl(void **state)
{
    struct fx *f = *state;
    pki_blob b = {0}, b2 = {0};
    const unsigned char *q;
    X509_CRL *crl;
    X509 *issuing = authority(f, "issuing");
    ca_ctx *ca = NULL;
    char serial[41];
    X509_REVOKED *rv = NULL;
    ASN1_INTEGER *n1, *n2;
    int crit;
    sertel_err err = {0};

    assert_int_equal(pki_crl(f->p, "issuing", &b, &err), SERTEL_OK);
    q = b.data;
    crl = d2i_X509_CRL(NULL, &q, (long)b.len);
    assert_non_null(crl);
    assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(issuing)), 1);
    assert_true(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)) <= 0); /* absent when empty */
    n1 = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
    X509_CRL_free(crl);

    assert_int_equal(ca_open(f->home, 0, &ca, &err), SERTEL_OK);
    assert_int_equal(ca_serial_hex(f->leaf, serial, sizeof(serial)), SERTEL_OK);
    assert_int_equal(ca_revoke(ca, serial, CA_REASON_AFFILIATION_CHANGED, "test", &err), SERTEL_OK);
    ca_close(ca);
    assert_int_equal(pki_refresh(f->p, &err), SERTEL_OK);
    assert_int_equal(pki_crl(f->p, "issuing", &b2, &err), SERTEL_OK);
    q = b2.data;
    crl = d2i_X509_CRL(NULL, &q, (long)b2.len);
    assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(issuing)), 1);
    assert_int_equal(X509_CRL_get0_by_serial(crl, &rv, X509_get0_serialNumber(f->leaf)), 1);
    {
        ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(rv, NID_crl_reason, &crit, NULL);
        assert_non_null(e);
        assert_int_equal(ASN1_ENUMERATED_get(e), CA_REASON_AFFILIATION_CHANGED);
        ASN1_ENUMERATED_free(e);
    }
    n2 = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
    assert_true(ASN1_INTEGER_cmp(n2, n1) > 0);
    ASN1_INTEGER_free(n1);
    ASN1_INTEGER_free(n2);
    X509_CRL_free(crl);
    pki_blob_clear(&b);
    pki_blob_clear(&b2);
    assert_int_equal(pki_crl(f->p, "other", &b, &err), SERTEL_OK);
    assert_int_equal(b.http_status, 404);
    X509_free(issuing);
}

static void test_tsa(void **state)
{
    struct fx *f = *state;
    TS_REQ *req = TS_REQ_new();
    TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    ASN1_INTEGER *nonce = ASN1_INTEGER_new();
    unsigned char dig[32], *der = NULL;
    const unsigned char *q;
    int len;
    pki_blob b = {0};
    TS_RESP *resp;
    TS_VERIFY_CTX *vctx = TS_VERIFY_CTX_new();
    X509_STORE *st = X509_STORE_new();
    X509 *root = authority(f, "root");
    sertel_err err = {0};

    EVP_Digest("dokumen", 7, dig, NULL, EVP_sha256(), NULL);
    ASN1_INTEGER_set_int64(nonce, 424242);
    X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL);
    TS_MSG_IMPRINT_set_algo(mi, alg);
    TS_MSG_IMPRINT_set_msg(mi, dig, 32);
    TS_REQ_set_version(req, 1);
    TS_REQ_set_msg_imprint(req, mi);
    TS_REQ_set_nonce(req, nonce);
    TS_REQ_set_cert_req(req, 1);
    len = i2d_TS_REQ(req, &der);
    assert_int_equal(pki_tsa(f->p, der, (size_t)len, &b, &err), SERTEL_OK);
    assert_string_equal(b.content_type, "application/timestamp-reply");
    q = b.data;
    resp = d2i_TS_RESP(NULL, &q, (long)b.len);
    assert_non_null(resp);
    X509_STORE_add_cert(st, root);
    vctx = TS_REQ_to_TS_VERIFY_CTX(req, vctx);
    TS_VERIFY_CTX_set_store(vctx, st);
    assert_int_equal(TS_RESP_verify_response(vctx, resp), 1);
    TS_RESP_free(resp);
    pki_blob_clear(&b);
    /* Garbage: a rejection, not a failure. */
    assert_int_equal(pki_tsa(f->p, (const unsigned char *)"garbage", 7, &b, &err), SERTEL_OK);
    q = b.data;
    resp = d2i_TS_RESP(NULL, &q, (long)b.len);
    assert_non_null(resp);
    assert_int_equal(ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp))),
                     TS_STATUS_REJECTION);
    TS_RESP_free(resp);
    pki_blob_clear(&b);
    /* A valid request with bytes after it (found by fuzz_tsa): a rejection, not a token. */
    {
        unsigned char *more = malloc((size_t)len + 2);
        assert_non_null(more);
        memcpy(more, der, (size_t)len);
        memcpy(more + len, "zz", 2);
        assert_int_equal(pki_tsa(f->p, more, (size_t)len + 2, &b, &err), SERTEL_OK);
        free(more);
        q = b.data;
        resp = d2i_TS_RESP(NULL, &q, (long)b.len);
        assert_non_null(resp);
        assert_int_equal(
            ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp))),
            TS_STATUS_REJECTION);
        assert_null(TS_RESP_get_tst_info(resp));
        TS_RESP_free(resp);
        pki_blob_clear(&b);
    }
    /* Its certificate revoked (by another process): after the refresh, rejections. */
    {
        ca_ctx *ca = NULL;
        X509 *tsa = authority(f, "tsa");
        char serial[64];
        const STACK_OF(ASN1_UTF8STRING) * tx;
        assert_int_equal(ca_open(f->home, 0, &ca, &err), SERTEL_OK);
        assert_int_equal(ca_serial_hex(tsa, serial, sizeof(serial)), SERTEL_OK);
        assert_int_equal(ca_revoke(ca, serial, CA_REASON_KEY_COMPROMISE, "test", &err), SERTEL_OK);
        ca_close(ca);
        X509_free(tsa);
        assert_int_equal(pki_tsa(f->p, der, (size_t)len, &b, &err), SERTEL_OK);
        q = b.data;
        resp = d2i_TS_RESP(NULL, &q, (long)b.len);
        assert_non_null(resp);
        assert_non_null(TS_RESP_get_tst_info(resp)); /* not refreshed yet */
        TS_RESP_free(resp);
        pki_blob_clear(&b);
        assert_int_equal(pki_refresh(f->p, &err), SERTEL_OK);
        assert_int_equal(pki_tsa(f->p, der, (size_t)len, &b, &err), SERTEL_OK);
        q = b.data;
        resp = d2i_TS_RESP(NULL, &q, (long)b.len);
        assert_non_null(resp);
        assert_null(TS_RESP_get_tst_info(resp));
        assert_int_equal(
            ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp))),
            TS_STATUS_REJECTION);
        tx = TS_STATUS_INFO_get0_text(TS_RESP_get_status_info(resp));
        assert_true(sk_ASN1_UTF8STRING_num(tx) == 1);
        assert_non_null(strstr((const char *)ASN1_STRING_get0_data(sk_ASN1_UTF8STRING_value(tx, 0)),
                               "certificate is revoked"));
        TS_RESP_free(resp);
        pki_blob_clear(&b);
    }
    TS_VERIFY_CTX_free(vctx);
    OPENSSL_free(der);
    TS_REQ_free(req);
    TS_MSG_IMPRINT_free(mi);
    X509_ALGOR_free(alg);
    ASN1_INTEGER_free(nonce);
    X509_free(root);
}

/* The root CRL pki publishes: its number and nextUpdate - lastUpdate, verified by the root. */
static long long root_crl(struct fx *f, X509 *root, long long *validity)
{
    pki_blob b = {0};
    const unsigned char *q;
    X509_CRL *crl;
    ASN1_INTEGER *n;
    int crit, days = 0, secs = 0;
    long long number;
    sertel_err err = {0};

    assert_int_equal(pki_crl(f->p, "root", &b, &err), SERTEL_OK);
    assert_int_equal(b.http_status, 200);
    assert_true(b.max_age <= 86400);
    q = b.data;
    crl = d2i_X509_CRL(NULL, &q, (long)b.len);
    assert_non_null(crl);
    assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(root)), 1);
    n = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
    number = (long long)ASN1_INTEGER_get(n);
    assert_int_equal(
        ASN1_TIME_diff(&days, &secs, X509_CRL_get0_lastUpdate(crl), X509_CRL_get0_nextUpdate(crl)),
        1);
    *validity = (long long)days * 86400 + secs;
    ASN1_INTEGER_free(n);
    X509_CRL_free(crl);
    pki_blob_clear(&b);
    return number;
}

static void test_root_offline(void **state)
{
    struct fx *f = *state;
    X509 *root = authority(f, "root"), *issuing = authority(f, "issuing");
    ca_ctx *ca = NULL;
    ks_key *k = NULL;
    char serial[41], conf_path[4200];
    long long n0, n1, validity = 0;
    FILE *cf;
    sertel_err err = {0};

    /* The online services' home: every key but the root's. */
    assert_int_equal(ca_open(f->home, CA_OPEN_ONLINE, &ca, &err), SERTEL_OK);
    assert_int_equal(ca_authority_key(ca, "root", &k, &err), SERTEL_ERR_DENIED);
    assert_null(k);
    assert_non_null(strstr(err.msg, "ceremony"));
    assert_int_equal(ca_authority_key(ca, "ocsp", &k, &err), SERTEL_OK);
    assert_int_equal(ca_authority_key(ca, "tsa", &k, &err), SERTEL_OK);
    assert_int_equal(ca_authority_key(ca, "issuing", &k, &err), SERTEL_OK);
    assert_int_equal(ca_crl_generate(ca, "root", &err), SERTEL_ERR_DENIED);
    assert_int_equal(ca_crl_generate(ca, "issuing", &err), SERTEL_OK);
    /* The issuing CA's status belongs to the root CRL: not changed online. */
    assert_int_equal(ca_serial_hex(issuing, serial, sizeof(serial)), SERTEL_OK);
    assert_int_equal(ca_revoke(ca, serial, CA_REASON_CERTIFICATE_HOLD, "test", &err),
                     SERTEL_ERR_DENIED);
    assert_non_null(strstr(err.msg, "root ceremony"));
    ca_close(ca);

    /* init's root CRL: a year; revocations and refreshes do not re-sign it. */
    n0 = root_crl(f, root, &validity);
    assert_true(validity == 365LL * 86400);
    assert_int_equal(pki_root_crl_warning(f->p, (int64_t)time(NULL), &err), 0);
    assert_int_equal(ca_open(f->home, 0, &ca, &err), SERTEL_OK);
    assert_int_equal(ca_serial_hex(f->leaf, serial, sizeof(serial)), SERTEL_OK);
    assert_int_equal(ca_revoke(ca, serial, CA_REASON_SUPERSEDED, "test", &err), SERTEL_OK);
    ca_close(ca);
    assert_int_equal(pki_refresh(f->p, &err), SERTEL_OK);
    assert_int_equal(root_crl(f, root, &validity), n0);
    /* Ten months later the server warns; a year later the CRL has expired. */
    assert_int_equal(pki_root_crl_warning(f->p, (int64_t)time(NULL) + 340 * 86400, &err), 1);
    assert_non_null(strstr(err.msg, "sertel crl --root"));
    assert_int_equal(pki_root_crl_warning(f->p, (int64_t)time(NULL) + 366 * 86400, &err), 1);
    assert_non_null(strstr(err.msg, "expired"));

    /* A ceremony (the root key loaded on the command line) with a shorter validity: the
     * services publish its CRL, a higher number, at once, and warn. */
    snprintf(conf_path, sizeof(conf_path), "%s/sertel.conf", f->home);
    cf = fopen(conf_path, "a");
    assert_non_null(cf);
    fputs("\n[crl]\nroot_next_update_days = 20\n", cf);
    fclose(cf);
    assert_int_equal(ca_open(f->home, 0, &ca, &err), SERTEL_OK);
    assert_int_equal(ca_crl_generate(ca, "root", &err), SERTEL_OK);
    ca_close(ca);
    n1 = root_crl(f, root, &validity);
    assert_true(n1 > n0);
    assert_true(validity == 20LL * 86400);
    assert_int_equal(pki_refresh(f->p, &err), SERTEL_OK);
    assert_int_equal(pki_root_crl_warning(f->p, (int64_t)time(NULL), &err), 1);
    assert_true(strstr(err.msg, "in 20 days") != NULL || strstr(err.msg, "in 19 days") != NULL);
    {
        pki_stats st;
        memset(&st, 0, sizeof(st));
        pki_get_stats(f->p, &st);
        assert_int_equal(st.root_crl_number, n1);
        assert_true(st.root_crl_next_update > (int64_t)time(NULL) + 19 * 86400);
    }
    /* Out of range: refused with the setting named, nothing issued. */
    {
        unsigned char *raw = NULL;
        size_t len = 0;
        char *v;
        assert_int_equal(fs_read_file(conf_path, 1 << 20, &raw, &len, &err), SERTEL_OK);
        v = strstr((char *)raw, "root_next_update_days = 20");
        assert_non_null(v);
        memcpy(v, "root_next_update_days = 0 ", 26);
        assert_int_equal(fs_write_atomic(conf_path, raw, len, 0600, &err), SERTEL_OK);
        free(raw);
    }
    assert_int_equal(ca_open(f->home, 0, &ca, &err), SERTEL_OK);
    assert_int_not_equal(ca_crl_generate(ca, "root", &err), SERTEL_OK);
    assert_non_null(strstr(err.msg, "root_next_update_days"));
    ca_close(ca);
    assert_int_equal(root_crl(f, root, &validity), n1);
    X509_free(root);
    X509_free(issuing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ocsp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tsa, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root_offline, setup, teardown),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
