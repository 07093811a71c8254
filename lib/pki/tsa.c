/*
 * tsa.c - the time-stamping authority (RFC 3161), on OpenSSL's TS
 * responder: the TSA certificate made by `sertel init` (id-kp-timeStamping,
 * critical), a policy OID ([tsa] policy_oid), accuracy of one second,
 * SHA-256/384/512 message imprints, nonces echoed, the signing
 * certificate identified by ESSCertIDv2 (SHA-256), the chain included when
 * the request asks for it, and a fresh 128-bit random serial number for
 * every token (RFC 3161 §2.4.2: unique for each token from this TSA).
 * Once its own certificate is revoked (seen by pki_refresh), every request
 * gets a rejection (systemFailure) instead of a token. Input that is not
 * exactly one TimeStampReq (bytes after it included) gets a rejection
 * (badDataFormat), as the OCSP responder refuses a request with trailing
 * bytes.
 * The time is the system clock (UTC); run the host with NTP (PP 71/2019
 * art. 67: time-stamps trace to UTC).
 */
#include <ctype.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "pki/pki_int.h"

#define TSA_REQ_MAX 16384
#define TSA_DEFAULT_POLICY CA_DEFAULT_TSA_POLICY_OID

/*
 * The token's serial number. It is also where a TSA whose certificate was
 * revoked stops: the token is not made and the answer is a rejection
 * (systemFailure) saying why.
 */
static ASN1_INTEGER *serial_cb(TS_RESP_CTX *ctx, void *data)
{
    pki *p = data;
    unsigned char b[16];
    BIGNUM *bn = NULL;
    ASN1_INTEGER *ai = NULL;

    if (atomic_load(&p->tsa_revoked)) {
        TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION,
                                    "The time-stamping authority's certificate is revoked.");
        TS_RESP_CTX_add_failure_info(ctx, TS_INFO_SYSTEM_FAILURE);
        return NULL;
    }
    if (RAND_bytes(b, sizeof(b)) == 1) {
        b[0] &= 0x7f;
        b[0] |= 0x01;
        bn = BN_bin2bn(b, sizeof(b), NULL);
        ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    }
    BN_free(bn);
    if (ai == NULL) {
        TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION,
                                    "Error during serial number "
                                    "generation.");
        TS_RESP_CTX_add_failure_info(ctx, TS_INFO_ADD_INFO_NOT_AVAILABLE);
    }
    return ai;
}

/* A responder context for the TSA's current certificate and key, and that certificate's serial. */
static int tsa_ctx_new(pki *p, TS_RESP_CTX **out, char serial[41], int64_t *not_after,
                       sertel_err *err)
{
    const conf *c = ca_get0_conf(p->ca);
    const char *policy = conf_get_default(c, "tsa", "policy_oid", TSA_DEFAULT_POLICY);
    X509 *cert = NULL;
    ks_key *k = NULL;
    ASN1_OBJECT *pol = NULL;
    STACK_OF(X509) *chain = NULL;
    TS_RESP_CTX *ts = NULL;
    ks_keytype kt;
    int rc;

    *out = NULL;

    if ((rc = ca_authority_cert(p->ca, "tsa", &cert, err)) != SERTEL_OK ||
        (rc = ca_authority_key(p->ca, "tsa", &k, err)) != SERTEL_OK)
        goto out;
    {
        BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
        char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
        size_t i;
        if (hex == NULL || strlen(hex) >= 41) {
            OPENSSL_free(hex);
            BN_free(bn);
            rc = sertel_err_set(err, SERTEL_ERR_CRYPTO, "cannot read the TSA's serial number");
            goto out;
        }
        for (i = 0; hex[i]; i++)
            serial[i] = (char)tolower((unsigned char)hex[i]);
        serial[i] = '\0';
        OPENSSL_free(hex);
        BN_free(bn);
    }
    pol = OBJ_txt2obj(policy, 1);
    if (pol == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_CONFIG, "[tsa] policy_oid = '%s' is not a dotted OID",
                            policy);
        goto out;
    }
    chain = sk_X509_new_null();
    ts = TS_RESP_CTX_new();
    if (ts == NULL || chain == NULL ||
        !sk_X509_push(chain, X509_dup(ca_get0_issuing_cert(p->ca))) ||
        !sk_X509_push(chain, X509_dup(ca_get0_root_cert(p->ca))) ||
        !TS_RESP_CTX_set_signer_cert(ts, cert) ||
        !TS_RESP_CTX_set_signer_key(ts, ks_key_get0_pkey(k)) || !TS_RESP_CTX_set_certs(ts, chain) ||
        !TS_RESP_CTX_set_def_policy(ts, pol) || !TS_RESP_CTX_add_md(ts, EVP_sha256()) ||
        !TS_RESP_CTX_add_md(ts, EVP_sha384()) || !TS_RESP_CTX_add_md(ts, EVP_sha512()) ||
        !TS_RESP_CTX_set_accuracy(ts, 1, 0, 0) ||
        !TS_RESP_CTX_set_ess_cert_id_digest(ts, EVP_sha256())) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO,
                                "cannot set up the time-stamping "
                                "authority");
        goto out;
    }
    if (ks_keytype_of(ks_key_get0_pkey(k), &kt, NULL) == SERTEL_OK &&
        !TS_RESP_CTX_set_signer_digest(ts, ks_keytype_digest(kt))) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot set the TSA digest");
        goto out;
    }
    TS_RESP_CTX_set_serial_cb(ts, serial_cb, p);
    TS_RESP_CTX_add_flags(ts, TS_ESS_CERT_ID_CHAIN | TS_TSA_NAME);
    if (not_after != NULL)
        *not_after = pki_not_after(cert);
    *out = ts;
    ts = NULL;
out:
    TS_RESP_CTX_free(ts);
    X509_free(cert);
    ASN1_OBJECT_free(pol);
    sk_X509_pop_free(chain, X509_free);
    return rc;
}

int pki_tsa_init(pki *p, sertel_err *err)
{
    int64_t na = 0;
    int rc = tsa_ctx_new(p, &p->ts, p->tsa_serial, &na, err);

    atomic_store(&p->not_after[3], na);
    return rc;
}

int pki_tsa_reload(pki *p, sertel_err *err)
{
    TS_RESP_CTX *ts = NULL;
    char serial[41];
    int64_t na = 0;
    int rc;

    ca_authority_forget(p->ca, "tsa"); /* the old context keeps its own reference */
    rc = tsa_ctx_new(p, &ts, serial, &na, err);
    if (rc != SERTEL_OK)
        return rc;
    TS_RESP_CTX_free(p->ts);
    p->ts = ts;
    atomic_store(&p->not_after[3], na);
    memcpy(p->tsa_serial, serial, sizeof(serial));
    return pki_tsa_check_revoked(p, err);
}

int pki_tsa_check_revoked(pki *p, sertel_err *err)
{
    ca_cert_record r;
    int rc;

    memset(&r, 0, sizeof(r));
    rc = ca_cert_get(p->ca, p->tsa_serial, &r, err);
    if (rc == SERTEL_ERR_NOTFOUND) {
        /* not recorded (an older home): nothing says it is revoked */
        sertel_err_clear(err);
        atomic_store(&p->tsa_revoked, 0);
        return SERTEL_OK;
    }
    if (rc == SERTEL_OK)
        atomic_store(&p->tsa_revoked, strcmp(r.status, "revoked") == 0);
    ca_cert_record_clear(&r);
    return rc;
}

void pki_tsa_free(pki *p)
{
    TS_RESP_CTX_free(p->ts);
    p->ts = NULL;
}

/* 1 when req[0..len) is exactly one TimeStampReq, nothing before or after it. */
static int one_request(const unsigned char *req, size_t len)
{
    const unsigned char *q = req;
    TS_REQ *r = req != NULL && len > 0 ? d2i_TS_REQ(NULL, &q, (long)len) : NULL;
    int ok = r != NULL && q == req + len;

    TS_REQ_free(r);
    ERR_clear_error();
    return ok;
}

int pki_tsa(pki *p, const unsigned char *req, size_t len, pki_blob *out, sertel_err *err)
{
    BIO *in = NULL;
    TS_RESP *resp = NULL;
    unsigned char *der = NULL;
    int n, rc, granted = 0;
    static const unsigned char empty[1] = {0};

    memset(out, 0, sizeof(*out));
    atomic_fetch_add(&p->tsa_requests, 1);
    if (len > TSA_REQ_MAX || !one_request(req, len)) {
        /* Too large to be a TimeStampReq, or not exactly one (OpenSSL's reader
         * would ignore bytes after it): let OpenSSL reject an empty one. */
        req = empty;
        len = 0;
    }
    in = BIO_new_mem_buf(req ? req : empty, (int)len);
    if (in == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    pthread_mutex_lock(&p->lock);
    resp = TS_RESP_create_response(p->ts, in);
    pthread_mutex_unlock(&p->lock);
    BIO_free(in);
    if (resp == NULL)
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "the time-stamp responder failed");
    granted = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp))) <=
              TS_STATUS_GRANTED_WITH_MODS;
    n = i2d_TS_RESP(resp, &der);
    TS_RESP_free(resp);
    if (n <= 0)
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot encode the time-stamp response");
    rc = pki_blob_set(out, der, (size_t)n, "application/timestamp-reply");
    OPENSSL_free(der);
    if (rc != SERTEL_OK)
        return sertel_err_set(err, rc, "out of memory");
    atomic_fetch_add(granted ? &p->tsa_granted : &p->tsa_rejected, 1);
    return SERTEL_OK;
}

int pki_tsa_exchange(void *arg, const unsigned char *req, size_t req_len, unsigned char **resp,
                     size_t *resp_len, sertel_err *err)
{
    pki_blob b = {0};
    int rc = pki_tsa(arg, req, req_len, &b, err);

    *resp = NULL;
    *resp_len = 0;
    if (rc != SERTEL_OK)
        return rc;
    /* pki blobs are malloc'ed (pki_blob_clear frees with free()). */
    *resp = b.data;
    *resp_len = b.len;
    b.data = NULL;
    pki_blob_clear(&b);
    return SERTEL_OK;
}
