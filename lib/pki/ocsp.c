/*
 * ocsp.c - the OCSP responder (RFC 6960; RFC 5019 profile for caching).
 *
 * Responses are signed by the delegated OCSP-signing certificate (id-kp-
 * OCSPSigning, ocsp-nocheck) that `sertel init` made. Answers: good;
 * revoked with time and reason (certificateHold while suspended); unknown
 * for serials this CA never issued; unauthorized for requests about another
 * CA; malformedRequest for anything that does not parse.
 *
 * Caching: a request without a nonce for one certificate is answered from
 * memory, keyed by its exact bytes, until half of the response's validity
 * has passed ([ocsp] validity_hours, default 24); pki_refresh drops the
 * whole cache at once when the revocation epoch moves. A request with a
 * nonce always gets a freshly signed response carrying its nonce.
 */
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "pki/pki_int.h"
#include "util/fs.h"
#include "util/hex.h"

#define OCSP_REQ_MAX 16384
#define OCSP_ONEREQ_MAX 20

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int encode_status(int status, unsigned char **out, size_t *len)
{
    OCSP_RESPONSE *r = OCSP_response_create(status, NULL);
    unsigned char *der = NULL;
    int n;

    if (r == NULL)
        return SERTEL_ERR_NOMEM;
    n = i2d_OCSP_RESPONSE(r, &der);
    OCSP_RESPONSE_free(r);
    if (n <= 0)
        return SERTEL_ERR_CRYPTO;
    *out = malloc((size_t)n);
    if (*out == NULL) {
        OPENSSL_free(der);
        return SERTEL_ERR_NOMEM;
    }
    memcpy(*out, der, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(der);
    return SERTEL_OK;
}

int pki_ocsp_init(pki *p, sertel_err *err)
{
    static const char *const mds[4] = {"SHA1", "SHA256", "SHA384", "SHA512"};
    ks_key *k = NULL;
    ASN1_INTEGER *zero = ASN1_INTEGER_new();
    int64_t hours;
    int i, rc;

    if ((rc = conf_get_int(ca_get0_conf(p->ca), "ocsp", "validity_hours", 24, 1, 24 * 7, &hours,
                           err)) != SERTEL_OK)
        goto out;
    p->ocsp_validity = hours * 3600;
    if ((rc = ca_authority_cert(p->ca, "ocsp", &p->ocsp_cert, err)) != SERTEL_OK ||
        (rc = ca_authority_key(p->ca, "ocsp", &k, err)) != SERTEL_OK)
        goto out;
    p->ocsp_key = ks_key_get0_pkey(k);
    atomic_store(&p->not_after[2], pki_not_after(p->ocsp_cert));
    p->issuing = ca_get0_issuing_cert(p->ca);
    for (i = 0; i < 4; i++) {
        EVP_MD *md = EVP_MD_fetch(NULL, mds[i], NULL);
        p->issuer_ids[i] = md == NULL ? NULL
                                      : OCSP_cert_id_new(md, X509_get_subject_name(p->issuing),
                                                         X509_get0_pubkey_bitstr(p->issuing), zero);
        EVP_MD_free(md);
        if (p->issuer_ids[i] == NULL) {
            rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot compute the issuer's %s id",
                                    mds[i]);
            goto out;
        }
    }
    if (encode_status(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, &p->malformed, &p->malformed_len) ||
        encode_status(OCSP_RESPONSE_STATUS_UNAUTHORIZED, &p->unauthorized, &p->unauthorized_len) ||
        encode_status(OCSP_RESPONSE_STATUS_INTERNALERROR, &p->internal_error,
                      &p->internal_error_len))
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot prepare OCSP error responses");
out:
    ASN1_INTEGER_free(zero);
    return rc;
}

int pki_ocsp_reload(pki *p, sertel_err *err)
{
    X509 *cert = NULL;
    ks_key *k = NULL;
    int rc = ca_authority_cert(p->ca, "ocsp", &cert, err);

    if (rc != SERTEL_OK)
        return rc;
    ca_authority_forget(p->ca, "ocsp"); /* p->ocsp_key dangles until set below */
    rc = ca_authority_key(p->ca, "ocsp", &k, err);
    if (rc != SERTEL_OK) {
        X509_free(cert);
        p->ocsp_key = NULL;
        return rc;
    }
    X509_free(p->ocsp_cert);
    p->ocsp_cert = cert;
    p->ocsp_key = ks_key_get0_pkey(k);
    atomic_store(&p->not_after[2], pki_not_after(cert));
    pki_ocsp_flush(p); /* answers signed by the old key are replaced as they are asked */
    return SERTEL_OK;
}

void pki_ocsp_flush(pki *p)
{
    size_t i;

    pthread_rwlock_wrlock(&p->cache_lock);
    for (i = 0; i < OCSP_BUCKETS; i++) {
        ocsp_entry *e = p->buckets[i];
        while (e != NULL) {
            ocsp_entry *n = e->next;
            free(e->req);
            pki_blob_clear(&e->resp);
            free(e);
            e = n;
        }
        p->buckets[i] = NULL;
    }
    p->cache_count = 0;
    atomic_fetch_add(&p->generation, 1);
    pthread_rwlock_unlock(&p->cache_lock);
}

void pki_ocsp_free(pki *p)
{
    int i;

    pki_ocsp_flush(p);
    for (i = 0; i < 4; i++)
        OCSP_CERTID_free(p->issuer_ids[i]);
    X509_free(p->ocsp_cert);
    free(p->malformed);
    free(p->unauthorized);
    free(p->internal_error);
}

static int status_blob(pki_blob *out, const unsigned char *der, size_t len)
{
    int rc = pki_blob_set(out, der, len, "application/ocsp-response");
    return rc;
}

static int cache_get(pki *p, const unsigned char *req, size_t len, uint64_t h, int64_t now,
                     pki_blob *out)
{
    ocsp_entry *e;
    int found = 0;
    uint64_t gen = atomic_load(&p->generation);

    pthread_rwlock_rdlock(&p->cache_lock);
    for (e = p->buckets[h % OCSP_BUCKETS]; e != NULL; e = e->next) {
        if (e->hash == h && e->req_len == len && e->generation == gen && now < e->refresh_at &&
            memcmp(e->req, req, len) == 0) {
            if (pki_blob_set(out, e->resp.data, e->resp.len, e->resp.content_type) == SERTEL_OK) {
                out->last_modified = e->resp.last_modified;
                out->expires = e->resp.expires;
                out->max_age = e->refresh_at - now;
                memcpy(out->etag, e->resp.etag, sizeof(out->etag));
                found = 1;
            }
            break;
        }
    }
    pthread_rwlock_unlock(&p->cache_lock);
    return found;
}

static void cache_put(pki *p, const unsigned char *req, size_t len, uint64_t h, uint64_t gen,
                      int64_t refresh_at, const pki_blob *resp)
{
    ocsp_entry *e = calloc(1, sizeof(*e)), **pp;

    if (e == NULL || (e->req = malloc(len)) == NULL ||
        pki_blob_set(&e->resp, resp->data, resp->len, resp->content_type) != SERTEL_OK) {
        if (e != NULL) {
            free(e->req);
            free(e);
        }
        return;
    }
    memcpy(e->req, req, len);
    e->req_len = len;
    e->hash = h;
    e->generation = gen;
    e->refresh_at = refresh_at;
    e->resp.last_modified = resp->last_modified;
    e->resp.expires = resp->expires;
    memcpy(e->resp.etag, resp->etag, sizeof(e->resp.etag));
    if (p->cache_count >= OCSP_CACHE_MAX)
        pki_ocsp_flush(p); /* crude bound: start over rather than grow without limit */
    pthread_rwlock_wrlock(&p->cache_lock);
    if (gen != atomic_load(&p->generation)) {
        /* Flushed while we signed: the answer may already be stale. */
        pthread_rwlock_unlock(&p->cache_lock);
        free(e->req);
        pki_blob_clear(&e->resp);
        free(e);
        return;
    }
    /* Replace an older entry for the same request. */
    for (pp = &p->buckets[h % OCSP_BUCKETS]; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->hash == h && (*pp)->req_len == len && memcmp((*pp)->req, req, len) == 0) {
            ocsp_entry *old = *pp;
            *pp = old->next;
            free(old->req);
            pki_blob_clear(&old->resp);
            free(old);
            p->cache_count--;
            break;
        }
    }
    e->next = p->buckets[h % OCSP_BUCKETS];
    p->buckets[h % OCSP_BUCKETS] = e;
    p->cache_count++;
    pthread_rwlock_unlock(&p->cache_lock);
}

/* Status of one serial of the issuing CA (under p->lock). */
static int lookup(pki *p, const ASN1_INTEGER *sn, int *status, int *reason, int64_t *revoked_at,
                  sertel_err *err)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
    char *hex = NULL, norm[64];
    ca_cert_state cs;
    int rc = SERTEL_OK;

    *status = V_OCSP_CERTSTATUS_UNKNOWN;
    *reason = -1;
    *revoked_at = 0;
    if (bn == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    if (BN_is_negative(bn) || BN_is_zero(bn) || BN_num_bytes(bn) > 20 ||
        (hex = BN_bn2hex(bn)) == NULL || ca_serial_normalize(hex, norm, sizeof(norm)) != SERTEL_OK)
        goto out; /* not a serial this CA could have issued */
    rc = ca_cert_status(p->ca, "issuing", norm, &cs, err);
    if (rc == SERTEL_OK && cs.found) {
        if (cs.revoked) {
            *status = V_OCSP_CERTSTATUS_REVOKED;
            *revoked_at = cs.revoked_at;
            *reason = cs.reason == 0 ? -1 : cs.reason; /* unspecified: leave the reason out */
        } else {
            *status = V_OCSP_CERTSTATUS_GOOD;
        }
    }
out:
    OPENSSL_free(hex);
    BN_free(bn);
    return rc;
}

static int issuer_known(pki *p, OCSP_CERTID *cid)
{
    int i;

    for (i = 0; i < 4; i++)
        if (OCSP_id_issuer_cmp(p->issuer_ids[i], cid) == 0)
            return 1;
    return 0;
}

/* Sign a response to req (under p->lock). */
static int sign_response(pki *p, OCSP_REQUEST *req, int64_t now, unsigned char **der,
                         size_t *der_len, int *answer, sertel_err *err)
{
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    OCSP_RESPONSE *resp = NULL;
    ASN1_TIME *tu = ASN1_TIME_set(NULL, (time_t)now);
    ASN1_TIME *nu = ASN1_TIME_set(NULL, (time_t)(now + p->ocsp_validity));
    ASN1_TIME *rt = NULL;
    unsigned char *buf = NULL;
    ks_keytype kt;
    int i, n = OCSP_request_onereq_count(req), rc = SERTEL_OK, len;

    *answer = OCSP_RESPONSE_STATUS_SUCCESSFUL;
    if (bs == NULL || tu == NULL || nu == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < n; i++) {
        OCSP_CERTID *cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
        ASN1_INTEGER *sn = NULL;
        int status, reason;
        int64_t revoked_at;

        if (!issuer_known(p, cid)) {
            *answer = OCSP_RESPONSE_STATUS_UNAUTHORIZED;
            goto out;
        }
        OCSP_id_get0_info(NULL, NULL, NULL, &sn, cid);
        if (sn == NULL) {
            *answer = OCSP_RESPONSE_STATUS_MALFORMEDREQUEST;
            goto out;
        }
        rc = lookup(p, sn, &status, &reason, &revoked_at, err);
        if (rc != SERTEL_OK)
            goto out;
        ASN1_TIME_free(rt);
        rt = status == V_OCSP_CERTSTATUS_REVOKED ? ASN1_TIME_set(NULL, (time_t)revoked_at) : NULL;
        if (OCSP_basic_add1_status(bs, cid, status, reason, rt, tu, nu) == NULL) {
            rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot add an OCSP status");
            goto out;
        }
    }
    if (OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1) >= 0 &&
        OCSP_copy_nonce(bs, req) <= 0) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot copy the nonce");
        goto out;
    }
    if (p->ocsp_key == NULL) { /* a failed reload after a re-key */
        rc = sertel_err_set(err, SERTEL_ERR_STATE, "the OCSP responder's key could not be loaded");
        goto out;
    }
    if (ks_keytype_of(p->ocsp_key, &kt, NULL) != SERTEL_OK)
        kt = KS_KEY_EC_P256;
    if (!OCSP_basic_sign(bs, p->ocsp_cert, p->ocsp_key, ks_keytype_digest(kt), NULL,
                         OCSP_RESPID_KEY)) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot sign the OCSP response");
        goto out;
    }
    resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    if (resp == NULL || (len = i2d_OCSP_RESPONSE(resp, &buf)) <= 0) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot encode the OCSP response");
        goto out;
    }
    *der = buf;
    *der_len = (size_t)len;
    atomic_fetch_add(&p->ocsp_signed, 1);
out:
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    ASN1_TIME_free(rt);
    OCSP_RESPONSE_free(resp);
    OCSP_BASICRESP_free(bs);
    return rc;
}

int pki_ocsp(pki *p, const unsigned char *req, size_t len, pki_blob *out, sertel_err *err)
{
    OCSP_REQUEST *oreq = NULL;
    const unsigned char *q = req;
    unsigned char *der = NULL;
    size_t der_len = 0;
    int64_t now = (int64_t)time(NULL);
    uint64_t h, gen;
    int n, nonce, answer = OCSP_RESPONSE_STATUS_SUCCESSFUL, rc;
    unsigned char md[32];
    char hex[65];

    memset(out, 0, sizeof(*out));
    atomic_fetch_add(&p->ocsp_requests, 1);
    if (req == NULL || len == 0 || len > OCSP_REQ_MAX)
        goto malformed;
    h = fnv1a(req, len);
    if (cache_get(p, req, len, h, now, out)) {
        atomic_fetch_add(&p->ocsp_hits, 1);
        return SERTEL_OK;
    }
    oreq = d2i_OCSP_REQUEST(NULL, &q, (long)len);
    if (oreq == NULL || q != req + len)
        goto malformed;
    n = OCSP_request_onereq_count(oreq);
    if (n <= 0 || n > OCSP_ONEREQ_MAX)
        goto malformed;
    nonce = OCSP_REQUEST_get_ext_by_NID(oreq, NID_id_pkix_OCSP_Nonce, -1) >= 0;
    gen = atomic_load(&p->generation);
    pthread_mutex_lock(&p->lock);
    rc = sign_response(p, oreq, now, &der, &der_len, &answer, err);
    pthread_mutex_unlock(&p->lock);
    OCSP_REQUEST_free(oreq);
    oreq = NULL;
    if (rc != SERTEL_OK) {
        /* Answer in the protocol; the caller logs err. */
        rc = status_blob(out, p->internal_error, p->internal_error_len);
        return rc == SERTEL_OK ? SERTEL_OK : sertel_err_set(err, rc, "out of memory");
    }
    if (answer == OCSP_RESPONSE_STATUS_UNAUTHORIZED)
        return status_blob(out, p->unauthorized, p->unauthorized_len);
    if (answer == OCSP_RESPONSE_STATUS_MALFORMEDREQUEST)
        goto malformed;
    rc = status_blob(out, der, der_len);
    OPENSSL_free(der);
    if (rc != SERTEL_OK)
        return sertel_err_set(err, rc, "out of memory");
    out->last_modified = now;
    out->expires = now + p->ocsp_validity;
    EVP_Digest(out->data, out->len, md, NULL, EVP_sha256(), NULL);
    hex_encode(md, 16, hex);
    snprintf(out->etag, sizeof(out->etag), "\"%s\"", hex);
    if (nonce || n != 1) {
        out->max_age = 0;
    } else {
        out->max_age = p->ocsp_validity / 2;
        cache_put(p, req, len, h, gen, now + p->ocsp_validity / 2, out);
    }
    return SERTEL_OK;
malformed:
    OCSP_REQUEST_free(oreq);
    atomic_fetch_add(&p->ocsp_malformed, 1);
    rc = status_blob(out, p->malformed, p->malformed_len);
    return rc == SERTEL_OK ? SERTEL_OK : sertel_err_set(err, rc, "out of memory");
}

void pki_blobs_free(pki_blob *b, size_t n)
{
    size_t i;

    if (b == NULL)
        return;
    for (i = 0; i < n; i++)
        pki_blob_clear(&b[i]);
    free(b);
}

int pki_authority_cert(pki *p, const char *name, X509 **out, sertel_err *err)
{
    int rc;

    pthread_mutex_lock(&p->lock);
    rc = ca_authority_cert(p->ca, name, out, err);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

int pki_validation_data(pki *p, X509 *const *certs, size_t ncerts, pki_blob **ocsps, size_t *nocsps,
                        pki_blob **crls, size_t *ncrls, sertel_err *err)
{
    size_t i, n = 0;
    int rc = SERTEL_OK;

    *ocsps = calloc(ncerts ? ncerts : 1, sizeof(pki_blob));
    *crls = calloc(2, sizeof(pki_blob));
    *nocsps = *ncrls = 0;
    if (*ocsps == NULL || *crls == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < ncerts; i++) {
        OCSP_REQUEST *req;
        OCSP_CERTID *id;
        unsigned char *der = NULL;
        int len;

        if (certs[i] == NULL || X509_check_issued(p->issuing, certs[i]) != X509_V_OK)
            continue;
        req = OCSP_REQUEST_new();
        id = OCSP_cert_to_id(NULL, certs[i], p->issuing);
        if (req == NULL || id == NULL || OCSP_request_add0_id(req, id) == NULL) {
            OCSP_CERTID_free(id);
            OCSP_REQUEST_free(req);
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            goto out;
        }
        len = i2d_OCSP_REQUEST(req, &der);
        OCSP_REQUEST_free(req);
        if (len <= 0) {
            rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot encode an OCSP request");
            goto out;
        }
        rc = pki_ocsp(p, der, (size_t)len, &(*ocsps)[n], err);
        OPENSSL_free(der);
        if (rc != SERTEL_OK)
            goto out;
        n++;
    }
    *nocsps = n;
    for (i = 0; i < 2; i++) {
        static const char *const issuers[2] = {"issuing", "root"};
        if ((rc = pki_crl(p, issuers[i], &(*crls)[i], err)) != SERTEL_OK)
            goto out;
        *ncrls = i + 1;
        if ((*crls)[i].http_status != 200) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                                i == 1 ? "no root CRL has been issued yet: sign one at a root "
                                         "ceremony (sertel crl --root)"
                                       : "no issuing CA CRL has been issued yet");
            goto out;
        }
    }
out:
    if (rc != SERTEL_OK) {
        pki_blobs_free(*ocsps, n);
        pki_blobs_free(*crls, *ncrls);
        *ocsps = *crls = NULL;
        *nocsps = *ncrls = 0;
    }
    return rc;
}
