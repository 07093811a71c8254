/*
 * revfetch.c - revocation data and issuer certificates fetched online, for
 * PAdES B-LT signing (lib/pades) and for the validator (lib/pdf
 * verify_rev.c): an OCSP response from the certificate's AIA OCSP URL
 * (RFC 6960 §4.1, POST; RFC 5280 §4.2.2.1), the CRL at its CRL
 * distribution point (RFC 5280 §4.2.1.13, DER over HTTP), the issuer from
 * AIA caIssuers, and the certificates inside an RFC 3161 time-stamp token.
 *
 * Every peer is untrusted: each URL goes through the caller's fetch
 * context (cms_fetch_url in fetch.c: the body bounded by CMS_REV_MAX_BODY
 * and the time by CMS_REV_TIMEOUT, both within the context's budget; no
 * redirects, http and https only; the address rule of netaddr.c); at most
 * CMS_REV_MAX_URLS URLs of each kind are tried. What
 * comes back is checked before it is handed out: an OCSP response must be
 * successful, signed by the issuer or by a responder the issuer certified
 * for id-kp-OCSPSigning, current, and must give the certificate's status;
 * a CRL must be signed by the issuer and not be out of date.
 */
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cms/cms.h"

#define CMS_REV_MAX_URLS 4
#define CMS_REV_SKEW 300L       /* seconds of clock skew allowed */
#define CMS_REV_CRL_SLACK 3600L /* a CRL may be this much past its nextUpdate */

void cms_cert_name(X509 *cert, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    buf[0] = '\0';
    if (cert == NULL || X509_NAME_oneline(X509_get_subject_name(cert), buf, (int)cap) == NULL)
        snprintf(buf, cap, "(unnamed certificate)");
}

int cms_ocsp_signed_by(OCSP_BASICRESP *bs, X509 *issuer, STACK_OF(X509) * pool)
{
    X509 *signer = NULL;
    STACK_OF(X509) *one = NULL;
    int ok = 0;

    if (OCSP_resp_get0_signer(bs, &signer, pool) != 1 || signer == NULL)
        goto out;
    if (X509_cmp(signer, issuer) != 0) {
        EVP_PKEY *ik = X509_get0_pubkey(issuer);
        if (X509_check_issued(issuer, signer) != X509_V_OK || ik == NULL ||
            X509_verify(signer, ik) != 1 || !(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) ||
            !(X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN))
            goto out;
    }
    one = sk_X509_new_null();
    if (one == NULL || !sk_X509_push(one, signer))
        goto out;
    ok = OCSP_basic_verify(bs, one, NULL, OCSP_NOVERIFY | OCSP_NOINTERN | OCSP_TRUSTOTHER) == 1;
out:
    sk_X509_free(one);
    ERR_clear_error();
    return ok;
}

/* Check a fetched OCSPResponse (DER) about cert; *status gets its V_OCSP_CERTSTATUS_*. */
static int check_ocsp(const unsigned char *der, size_t len, X509 *cert, X509 *issuer,
                      STACK_OF(X509) * pool, const char *url, int *status, sertel_err *err)
{
    const EVP_MD *mds[2] = {EVP_sha1(), EVP_sha256()};
    const unsigned char *p = der;
    OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    OCSP_BASICRESP *bs = NULL;
    ASN1_GENERALIZEDTIME *rev = NULL, *thisu = NULL, *nextu = NULL;
    int k, st = -1, reason = -1, rc;

    if (r == NULL || p != der + len) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%.200s did not answer an OCSP response", url);
        goto out;
    }
    if (OCSP_response_status(r) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%.200s answered OCSP status %s", url,
                            OCSP_response_status_str(OCSP_response_status(r)));
        goto out;
    }
    bs = OCSP_response_get1_basic(r);
    for (k = 0; bs != NULL && k < 2 && st < 0; k++) {
        OCSP_CERTID *id = OCSP_cert_to_id(mds[k], cert, issuer);
        if (id == NULL || OCSP_resp_find_status(bs, id, &st, &reason, &rev, &thisu, &nextu) != 1)
            st = -1;
        OCSP_CERTID_free(id);
    }
    if (st < 0) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the OCSP response of %.200s does not name the certificate", url);
        goto out;
    }
    if (!cms_ocsp_signed_by(bs, issuer, pool)) {
        rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                            "the OCSP response of %.200s is not signed by the issuing CA or a "
                            "responder it certified",
                            url);
        goto out;
    }
    if (OCSP_check_validity(thisu, nextu, CMS_REV_SKEW, -1) != 1) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the OCSP response of %.200s is out of date or from the future "
                            "(check the clocks)",
                            url);
        goto out;
    }
    if (st == V_OCSP_CERTSTATUS_UNKNOWN) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the OCSP responder %.200s does not know the certificate", url);
        goto out;
    }
    if (status != NULL)
        *status = st;
    rc = SERTEL_OK;
out:
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(r);
    ERR_clear_error();
    return rc;
}

int cms_fetch_ocsp(cms_fetch_ctx *fx, X509 *cert, X509 *issuer, STACK_OF(X509) * pool,
                   unsigned char **der, size_t *len, int *status, sertel_err *err)
{
    STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(cert);
    OCSP_REQUEST *rq = NULL;
    OCSP_CERTID *id = NULL;
    unsigned char *req = NULL, *b = NULL;
    size_t blen = 0;
    int i, reqlen, rc;
    char shown[204];

    *der = NULL;
    *len = 0;
    if (urls == NULL || sk_OPENSSL_STRING_num(urls) == 0) {
        rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "the certificate names no OCSP responder");
        goto out;
    }
    rq = OCSP_REQUEST_new();
    id = OCSP_cert_to_id(NULL, cert, issuer);
    if (rq == NULL || id == NULL || OCSP_request_add0_id(rq, id) == NULL) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot build an OCSP request");
        goto out;
    }
    id = NULL; /* the request owns it */
    reqlen = i2d_OCSP_REQUEST(rq, &req);
    if (reqlen <= 0) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot encode an OCSP request");
        goto out;
    }
    rc = SERTEL_ERR_NOTFOUND;
    for (i = 0; i < sk_OPENSSL_STRING_num(urls) && i < CMS_REV_MAX_URLS; i++) {
        const char *url = sk_OPENSSL_STRING_value(urls, i);
        cms_url_shown(url, shown, sizeof(shown));
        rc = cms_fetch_url(fx, "OCSP", url, "application/ocsp-request", req, (size_t)reqlen,
                           CMS_REV_MAX_BODY, &b, &blen, err);
        if (rc == SERTEL_OK)
            rc = check_ocsp(b, blen, cert, issuer, pool, shown, status, err);
        if (rc == SERTEL_OK) {
            *der = b;
            *len = blen;
            b = NULL;
            break;
        }
        free(b);
        b = NULL;
    }
out:
    free(b);
    OPENSSL_free(req);
    OCSP_CERTID_free(id);
    OCSP_REQUEST_free(rq);
    X509_email_free(urls);
    ERR_clear_error();
    return rc;
}

/* The CRL (DER) from url is the issuer's, signed by it and current; *status as for OCSP. */
static int check_crl(const unsigned char *der, size_t len, X509 *cert, X509 *issuer,
                     const char *url, int *status, sertel_err *err)
{
    const unsigned char *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
    EVP_PKEY *ik = X509_get0_pubkey(issuer);
    const ASN1_TIME *nu;
    X509_REVOKED *rv = NULL;
    time_t late = time(NULL) - CMS_REV_CRL_SLACK;
    int rc;

    if (crl == NULL || p != der + len) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%.200s did not answer a DER CRL", url);
        goto out;
    }
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) != 0 || ik == NULL ||
        X509_CRL_verify(crl, ik) != 1) {
        rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                            "the CRL at %.200s is not signed by the certificate's issuer", url);
        goto out;
    }
    nu = X509_CRL_get0_nextUpdate(crl);
    if (nu != NULL && X509_cmp_time(nu, &late) < 0) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "the CRL at %.200s is out of date", url);
        goto out;
    }
    if (status != NULL)
        *status = X509_CRL_get0_by_cert(crl, &rv, cert) == 1 ? V_OCSP_CERTSTATUS_REVOKED
                                                             : V_OCSP_CERTSTATUS_GOOD;
    rc = SERTEL_OK;
out:
    X509_CRL_free(crl);
    ERR_clear_error();
    return rc;
}

/* A URI general name as a C string in url; -1 for other names, NULs inside or too long. */
static int uri_copy(const GENERAL_NAME *gn, char *url, size_t cap)
{
    int n;

    if (gn->type != GEN_URI)
        return -1;
    n = ASN1_STRING_length(gn->d.uniformResourceIdentifier);
    if (n <= 0 || (size_t)n >= cap)
        return -1;
    memcpy(url, ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier), (size_t)n);
    url[n] = '\0';
    return strlen(url) == (size_t)n ? 0 : -1; /* no embedded NUL */
}

int cms_fetch_crl(cms_fetch_ctx *fx, X509 *cert, X509 *issuer, unsigned char **der, size_t *len,
                  int *status, sertel_err *err)
{
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    unsigned char *b = NULL;
    size_t blen = 0;
    int i, j, tried = 0, rc = SERTEL_ERR_NOTFOUND;
    char url[512], shown[204];

    *der = NULL;
    *len = 0;
    for (i = 0; dps != NULL && i < sk_DIST_POINT_num(dps) && rc != SERTEL_OK; i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (dp->distpoint == NULL || dp->distpoint->type != 0)
            continue;
        for (j = 0; j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname) && rc != SERTEL_OK &&
                    tried < CMS_REV_MAX_URLS;
             j++) {
            if (uri_copy(sk_GENERAL_NAME_value(dp->distpoint->name.fullname, j), url,
                         sizeof(url)) != 0)
                continue;
            tried++;
            cms_url_shown(url, shown, sizeof(shown));
            rc = cms_fetch_url(fx, "CRL", url, NULL, NULL, 0, CMS_REV_MAX_BODY, &b, &blen, err);
            if (rc == SERTEL_OK)
                rc = check_crl(b, blen, cert, issuer, shown, status, err);
            if (rc == SERTEL_OK) {
                *der = b;
                *len = blen;
                b = NULL;
            }
            free(b);
            b = NULL;
        }
    }
    if (tried == 0)
        rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                            "the certificate names no CRL distribution point (URI)");
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    ERR_clear_error();
    return rc;
}

/* A certificate in DER or PEM that issued cert (its signature verifies). */
/* x if it issued cert (names and signature checked), else NULL; x is freed when not returned. */
static X509 *issuer_or_free(X509 *x, X509 *cert)
{
    EVP_PKEY *k = x != NULL ? X509_get0_pubkey(x) : NULL;

    if (x != NULL &&
        (X509_check_issued(x, cert) != X509_V_OK || k == NULL || X509_verify(cert, k) != 1)) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

/*
 * The issuer of cert in what a caIssuers URL answered: one certificate
 * (DER or PEM), or a certs-only CMS/PKCS#7 bundle (.p7c, RFC 5280
 * §4.2.2.1; DER or PEM) from which the certificate that issued cert is
 * taken. NULL when none did.
 */
static X509 *parse_issuer(const unsigned char *b, size_t blen, X509 *cert)
{
    const unsigned char *p = b;
    X509 *x = d2i_X509(NULL, &p, (long)blen);
    PKCS7 *p7 = NULL;
    BIO *bio;
    int i;

    if (x == NULL && (bio = BIO_new_mem_buf(b, (int)blen)) != NULL) {
        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
    }
    if (x == NULL) {
        p = b;
        p7 = d2i_PKCS7(NULL, &p, (long)blen);
        if (p7 == NULL && (bio = BIO_new_mem_buf(b, (int)blen)) != NULL) {
            p7 = PEM_read_bio_PKCS7(bio, NULL, NULL, NULL);
            BIO_free(bio);
        }
        for (i = 0; p7 != NULL && PKCS7_type_is_signed(p7) && p7->d.sign != NULL &&
                    i < sk_X509_num(p7->d.sign->cert) && i < 64 && x == NULL;
             i++) {
            X509 *c = sk_X509_value(p7->d.sign->cert, i);
            if (X509_up_ref(c))
                x = issuer_or_free(c, cert);
        }
        PKCS7_free(p7);
        ERR_clear_error();
        return x;
    }
    x = issuer_or_free(x, cert);
    ERR_clear_error();
    return x;
}

int cms_fetch_issuer(cms_fetch_ctx *fx, X509 *cert, X509 **issuer, sertel_err *err)
{
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
    unsigned char *b = NULL;
    size_t blen = 0;
    int i, tried = 0, rc = SERTEL_ERR_NOTFOUND;
    char url[512], shown[204];

    *issuer = NULL;
    for (i = 0; aia != NULL && i < sk_ACCESS_DESCRIPTION_num(aia) && *issuer == NULL &&
                tried < CMS_REV_MAX_URLS;
         i++) {
        ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        if (OBJ_obj2nid(ad->method) != NID_ad_ca_issuers ||
            uri_copy(ad->location, url, sizeof(url)) != 0)
            continue;
        tried++;
        cms_url_shown(url, shown, sizeof(shown));
        rc = cms_fetch_url(fx, "caIssuers", url, NULL, NULL, 0, CMS_REV_MAX_BODY, &b, &blen, err);
        if (rc == SERTEL_OK) {
            *issuer = parse_issuer(b, blen, cert);
            if (*issuer == NULL)
                rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                    "%s did not answer the certificate's issuer", shown);
        }
        free(b);
        b = NULL;
    }
    if (tried == 0)
        rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                            "the issuer is not at hand and the certificate names no caIssuers URL");
    AUTHORITY_INFO_ACCESS_free(aia);
    ERR_clear_error();
    return rc;
}

int cms_tst_certs(const unsigned char *der, size_t len, STACK_OF(X509) * *certs, sertel_err *err)
{
    const unsigned char *p = der;
    TS_RESP *resp = NULL;
    PKCS7 *own = NULL, *tok;
    STACK_OF(X509) *signers = NULL, *all, *out = NULL;
    int i, rc;

    *certs = NULL;
    if (len > CMS_TSA_RESP_MAX)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the time-stamp is too large");
    resp = d2i_TS_RESP(NULL, &p, (long)len);
    tok = resp != NULL ? TS_RESP_get_token(resp) : NULL;
    if (tok == NULL) {
        p = der;
        tok = own = d2i_PKCS7(NULL, &p, (long)len);
    }
    if (tok == NULL || !PKCS7_type_is_signed(tok) || tok->d.sign == NULL) {
        rc = sertel_err_openssl(err, SERTEL_ERR_INVALID, "not an RFC 3161 time-stamp token");
        goto out;
    }
    all = tok->d.sign->cert;
    signers = PKCS7_get0_signers(tok, NULL, 0);
    if (signers == NULL || sk_X509_num(signers) != 1) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the time-stamp token does not carry the TSA's certificate (the TSA "
                            "must answer certReq)");
        goto out;
    }
    out = sk_X509_new_null();
    if (out == NULL || !sk_X509_push(out, sk_X509_value(signers, 0)))
        goto nomem;
    X509_up_ref(sk_X509_value(signers, 0));
    for (i = 0; all != NULL && i < sk_X509_num(all); i++) {
        X509 *x = sk_X509_value(all, i);
        if (X509_cmp(x, sk_X509_value(signers, 0)) == 0)
            continue;
        if (!sk_X509_push(out, x))
            goto nomem;
        X509_up_ref(x);
    }
    *certs = out;
    out = NULL;
    rc = SERTEL_OK;
    goto out;
nomem:
    rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
out:
    sk_X509_pop_free(out, X509_free);
    sk_X509_free(signers);
    PKCS7_free(own);
    TS_RESP_free(resp);
    ERR_clear_error();
    return rc;
}
