/*
 * pki.c - the services context: opening, freshness (revocation epoch and
 * CRL half-life), CRLs and CA certificates for the repository, and the
 * audit log's signed head for external witnesses. The root CRL is
 * published, never signed, here (pki.h; RFC 5280 §5).
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "pki/pki_int.h"
#include "util/fs.h"
#include "util/hex.h"

void pki_blob_clear(pki_blob *b)
{
    if (b == NULL)
        return;
    free(b->data);
    memset(b, 0, sizeof(*b));
}

int pki_blob_set(pki_blob *b, const unsigned char *data, size_t len, const char *type)
{
    memset(b, 0, sizeof(*b));
    b->data = malloc(len ? len : 1);
    if (b->data == NULL)
        return SERTEL_ERR_NOMEM;
    if (len)
        memcpy(b->data, data, len);
    b->len = len;
    b->http_status = 200;
    snprintf(b->content_type, sizeof(b->content_type), "%s", type);
    return SERTEL_OK;
}

static void etag_of(pki_blob *b)
{
    unsigned char md[32];
    char hex[65];

    EVP_Digest(b->data, b->len, md, NULL, EVP_sha256(), NULL);
    hex_encode(md, 16, hex);
    snprintf(b->etag, sizeof(b->etag), "\"%s\"", hex);
}

int pki_open(const char *home, pki **out, sertel_err *err)
{
    pki *p;
    int rc;

    *out = NULL;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&p->lock, NULL);
    pthread_rwlock_init(&p->cache_lock, NULL);
    rc = ca_open(home, CA_OPEN_ONLINE, &p->ca, err);
    if (rc != SERTEL_OK)
        goto fail;
    snprintf(p->base_url, sizeof(p->base_url), "%s",
             conf_get_default(ca_get0_conf(p->ca), "ca", "base_url", CA_DEFAULT_BASE_URL));
    if ((rc = ca_audit_public_key(p->ca, &p->audit_pub, err)) != SERTEL_OK)
        goto fail;
    /* The epoch first: a re-key while the keys load is noticed by the next refresh. */
    if ((rc = ca_authority_epoch(p->ca, &p->auth_epoch, err)) != SERTEL_OK ||
        (rc = pki_ocsp_init(p, err)) != SERTEL_OK || (rc = pki_tsa_init(p, err)) != SERTEL_OK)
        goto fail;
    atomic_store(&p->not_after[0], pki_not_after(ca_get0_root_cert(p->ca)));
    atomic_store(&p->not_after[1], pki_not_after(ca_get0_issuing_cert(p->ca)));
    p->epoch = -1;
    rc = pki_refresh(p, err);
    if (rc != SERTEL_OK)
        goto fail;
    *out = p;
    return SERTEL_OK;
fail:
    pki_close(p);
    return rc;
}

void pki_close(pki *p)
{
    if (p == NULL)
        return;
    pki_ocsp_free(p);
    pki_tsa_free(p);
    EVP_PKEY_free(p->audit_pub);
    ca_close(p->ca);
    pthread_rwlock_destroy(&p->cache_lock);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

const char *pki_base_url(const pki *p)
{
    return p->base_url;
}

/* The root CRL as recorded by the last ceremony: only its metadata, for stats and warnings. */
static int refresh_root_crl(pki *p, sertel_err *err)
{
    unsigned char *der = NULL;
    size_t len = 0;
    ca_crl_info info;
    int rc;

    memset(&info, 0, sizeof(info));
    rc = ca_crl_current(p->ca, "root", &der, &len, &info, err);
    free(der);
    if (rc == SERTEL_ERR_NOTFOUND) {
        sertel_err_clear(err);
        rc = SERTEL_OK; /* pki_root_crl_warning says so */
    }
    if (rc == SERTEL_OK) {
        atomic_store(&p->root_crl_next_update, info.next_update);
        atomic_store(&p->root_crl_number, info.number);
    }
    return rc;
}

/* Regenerate a CRL when missing, behind the revocation epoch, or past half-life. */
static int refresh_crl(pki *p, const char *issuer, int64_t epoch, int64_t now, sertel_err *err)
{
    unsigned char *der = NULL;
    size_t len = 0;
    ca_crl_info info;
    int rc;

    memset(&info, 0, sizeof(info));
    rc = ca_crl_current(p->ca, issuer, &der, &len, &info, err);
    free(der);
    if (rc == SERTEL_ERR_NOTFOUND ||
        (rc == SERTEL_OK &&
         (info.epoch < epoch ||
          now >= info.this_update + (info.next_update - info.this_update) / 2))) {
        sertel_err_clear(err);
        rc = ca_crl_generate(p->ca, issuer, err);
        if (rc == SERTEL_OK)
            rc = ca_crl_current(p->ca, issuer, &der, &len, &info, err);
        free(der);
    }
    if (rc == SERTEL_OK && strcmp(issuer, "issuing") == 0) {
        atomic_store(&p->crl_this_update, info.this_update);
        atomic_store(&p->crl_number, info.number);
    }
    return rc;
}

int pki_refresh(pki *p, sertel_err *err)
{
    int64_t epoch = 0, aepoch = 0, now = (int64_t)time(NULL);
    int rc;

    pthread_mutex_lock(&p->lock);
    rc = ca_authority_epoch(p->ca, &aepoch, err);
    if (rc == SERTEL_OK && aepoch != p->auth_epoch) {
        /* The OCSP responder or the TSA was re-keyed (sertel ca rekey): switch. */
        rc = pki_ocsp_reload(p, err);
        if (rc == SERTEL_OK)
            rc = pki_tsa_reload(p, err);
        if (rc == SERTEL_OK)
            p->auth_epoch = aepoch;
    }
    if (rc == SERTEL_OK)
        rc = ca_revocation_epoch(p->ca, &epoch, err);
    if (rc == SERTEL_OK && epoch != p->epoch) {
        /* Something was revoked or released: cached OCSP answers are stale,
         * and the TSA may have lost its certificate. */
        pki_ocsp_flush(p);
        rc = pki_tsa_check_revoked(p, err);
        if (rc == SERTEL_OK)
            p->epoch = epoch;
    }
    if (rc == SERTEL_OK)
        rc = refresh_crl(p, "issuing", epoch, now, err);
    if (rc == SERTEL_OK)
        rc = refresh_root_crl(p, err);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

int pki_crl(pki *p, const char *issuer, pki_blob *out, sertel_err *err)
{
    unsigned char *der = NULL;
    size_t len = 0;
    ca_crl_info info;
    int rc;

    memset(out, 0, sizeof(*out));
    if (strcmp(issuer, "issuing") != 0 && strcmp(issuer, "root") != 0) {
        out->http_status = 404;
        return SERTEL_OK;
    }
    pthread_mutex_lock(&p->lock);
    rc = ca_crl_current(p->ca, issuer, &der, &len, &info, err);
    pthread_mutex_unlock(&p->lock);
    if (rc == SERTEL_ERR_NOTFOUND) {
        /* No root CRL before the first ceremony: not found, not a server error. */
        sertel_err_clear(err);
        out->http_status = 404;
        return SERTEL_OK;
    }
    if (rc != SERTEL_OK)
        return rc;
    rc = pki_blob_set(out, der, len, "application/pkix-crl");
    free(der);
    if (rc != SERTEL_OK)
        return sertel_err_set(err, rc, "out of memory");
    out->last_modified = info.this_update;
    out->expires = info.next_update;
    /* Caches may keep it until the half-life, when a new one is issued; the root's, which a
     * ceremony may replace at any time (after revoking the issuing CA), a day at most. */
    out->max_age =
        (info.next_update - info.this_update) / 2 - ((int64_t)time(NULL) - info.this_update);
    if (strcmp(issuer, "root") == 0 && out->max_age > 86400)
        out->max_age = 86400;
    if (out->max_age < 0)
        out->max_age = 0;
    etag_of(out);
    return SERTEL_OK;
}

int pki_ca_cert(pki *p, const char *name, int der, pki_blob *out, sertel_err *err)
{
    X509 *x;
    unsigned char *buf = NULL;
    int len = 0, rc;
    BIO *b = NULL;
    BUF_MEM *bm;

    memset(out, 0, sizeof(*out));
    if (strcmp(name, "root") == 0)
        x = ca_get0_root_cert(p->ca);
    else if (strcmp(name, "issuing") == 0)
        x = ca_get0_issuing_cert(p->ca);
    else {
        out->http_status = 404;
        return SERTEL_OK;
    }
    if (der) {
        len = i2d_X509(x, &buf);
        if (len <= 0)
            return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot encode the certificate");
        rc = pki_blob_set(out, buf, (size_t)len, "application/pkix-cert");
        OPENSSL_free(buf);
    } else {
        b = BIO_new(BIO_s_mem());
        if (b == NULL || !PEM_write_bio_X509(b, x)) {
            BIO_free(b);
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        }
        BIO_get_mem_ptr(b, &bm);
        rc = pki_blob_set(out, (unsigned char *)bm->data, bm->length, "application/x-pem-file");
        BIO_free(b);
    }
    if (rc != SERTEL_OK)
        return sertel_err_set(err, rc, "out of memory");
    out->max_age = 86400;
    etag_of(out);
    return SERTEL_OK;
}

int64_t pki_not_after(const X509 *x)
{
    struct tm tm;

    if (x == NULL || !ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
        return 0;
    return (int64_t)timegm(&tm);
}

void pki_get_stats(pki *p, pki_stats *s)
{
    int i;

    for (i = 0; i < 4; i++)
        s->not_after[i] = atomic_load(&p->not_after[i]);
    s->ocsp_requests = atomic_load(&p->ocsp_requests);
    s->ocsp_cache_hits = atomic_load(&p->ocsp_hits);
    s->ocsp_malformed = atomic_load(&p->ocsp_malformed);
    s->ocsp_signed = atomic_load(&p->ocsp_signed);
    s->tsa_requests = atomic_load(&p->tsa_requests);
    s->tsa_granted = atomic_load(&p->tsa_granted);
    s->tsa_rejected = atomic_load(&p->tsa_rejected);
    s->crl_this_update = atomic_load(&p->crl_this_update);
    s->crl_number = atomic_load(&p->crl_number);
    s->root_crl_next_update = atomic_load(&p->root_crl_next_update);
    s->root_crl_number = atomic_load(&p->root_crl_number);
}

int pki_root_crl_warning(pki *p, int64_t now, sertel_err *warn)
{
    int64_t nu = atomic_load(&p->root_crl_next_update);
    char when[32];
    time_t t = (time_t)nu;
    struct tm tm;

    if (nu == 0) {
        sertel_err_set(warn, SERTEL_ERR_NOTFOUND,
                       "no root CRL has been issued: /crl/root.crl cannot be served until a root "
                       "ceremony signs one (sertel crl --root)");
        return 1;
    }
    if (nu - now >= (int64_t)PKI_ROOT_CRL_WARN_DAYS * 86400)
        return 0;
    if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(when, sizeof(when), "?");
    if (nu <= now)
        sertel_err_set(warn, SERTEL_ERR_STATE,
                       "the root CRL expired at %s: relying parties reject the issuing CA; hold "
                       "a root ceremony now (sertel crl --root)",
                       when);
    else
        sertel_err_set(warn, SERTEL_ERR_STATE,
                       "the root CRL's next update is %s, in %lld days: hold a root ceremony "
                       "before then (sertel crl --root)",
                       when, (long long)((nu - now) / 86400));
    return 1;
}

int pki_audit_head(pki *p, pki_blob *out, sertel_err *err)
{
    static const char none[] = "no signed audit head yet\n";
    char *text = NULL;
    size_t len = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&p->lock);
    rc = audit_head_get(ca_get0_store(p->ca), p->audit_pub, ca_audit_head_path(p->ca), &text, &len,
                        err);
    pthread_mutex_unlock(&p->lock);
    if (rc == SERTEL_ERR_NOTFOUND) {
        sertel_err_clear(err);
        rc = pki_blob_set(out, (const unsigned char *)none, sizeof(none) - 1,
                          "text/plain; charset=utf-8");
        out->http_status = 404;
    } else if (rc == SERTEL_OK) {
        rc = pki_blob_set(out, (const unsigned char *)text, len, "text/plain; charset=utf-8");
    } else {
        sertel_err_prefix(err, "the audit head");
        return rc;
    }
    free(text);
    if (rc != SERTEL_OK)
        return sertel_err_set(err, rc, "out of memory");
    out->no_store = 1;
    return SERTEL_OK;
}
