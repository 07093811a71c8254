/*
 * pades.c - PAdES baseline levels B-B to B-LTA (ETSI EN 319 142-1 §5.3 to
 * §5.5) as one call: the signature revision, then for B-LT the Document
 * Security Store revision (ISO 32000-2 §12.8.4.3) with the validation data
 * of the signer's and the TSA's chains, then for B-LTA the document
 * time-stamp revision (§12.8.5). See pades.h for where the validation data
 * comes from and the guarantees on the output.
 */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cms/cms.h"
#include "pades/pades.h"
#include "util/fs.h"

/* Validation data for one DSS revision; everything here is owned. */
typedef struct vdata {
    X509 *certs[PADES_MAX_CERTS];
    size_t ncerts;
    pdf_bytes ocsps[PADES_MAX_CERTS];
    size_t nocsps;
    pdf_bytes crls[PADES_MAX_CERTS];
    size_t ncrls;
} vdata;

static void vdata_free(vdata *v)
{
    size_t i;

    for (i = 0; i < v->ncerts; i++)
        X509_free(v->certs[i]);
    for (i = 0; i < v->nocsps; i++)
        free((void *)v->ocsps[i].p);
    for (i = 0; i < v->ncrls; i++)
        free((void *)v->crls[i].p);
    memset(v, 0, sizeof(*v));
}

/* Add a certificate (a new reference) unless it is there already. */
static int vdata_add_cert(vdata *v, X509 *x, sertel_err *err)
{
    size_t i;

    for (i = 0; i < v->ncerts; i++)
        if (X509_cmp(v->certs[i], x) == 0)
            return SERTEL_OK;
    if (v->ncerts == PADES_MAX_CERTS)
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "the signer's and the TSA's chains hold more than %d certificates",
                              PADES_MAX_CERTS);
    if (!X509_up_ref(x))
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "cannot reference a certificate");
    v->certs[v->ncerts++] = x;
    return SERTEL_OK;
}

/* Take a malloc'ed DER item into list (CRLs: dropped when the same bytes are there). */
static int vdata_take(pdf_bytes *list, size_t *n, unsigned char *der, size_t len, int dedup,
                      sertel_err *err)
{
    size_t i;

    for (i = 0; dedup && i < *n; i++)
        if (list[i].len == len && memcmp(list[i].p, der, len) == 0) {
            free(der);
            return SERTEL_OK;
        }
    if (*n == PADES_MAX_CERTS) {
        free(der);
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "too much validation data (more than "
                              "%d items)",
                              PADES_MAX_CERTS);
    }
    list[*n].p = der;
    list[*n].len = len;
    (*n)++;
    return SERTEL_OK;
}

static int vdata_copy(pdf_bytes *list, size_t *n, const unsigned char *p, size_t len, int dedup,
                      sertel_err *err)
{
    unsigned char *c = malloc(len ? len : 1);

    if (c == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    memcpy(c, p, len);
    return vdata_take(list, n, c, len, dedup, err);
}

/* --- the TSA, watched: the last time-stamp response is what the signature carries --- */

typedef struct tsa_watch {
    cms_tsa inner;
    unsigned char *last;
    size_t last_len;
} tsa_watch;

static int tsa_watch_fn(void *arg, const unsigned char *req, size_t req_len, unsigned char **resp,
                        size_t *resp_len, sertel_err *err)
{
    tsa_watch *w = arg;
    unsigned char *copy;
    int rc = w->inner.fn(w->inner.arg, req, req_len, resp, resp_len, err);

    if (rc != SERTEL_OK)
        return rc;
    copy = malloc(*resp_len ? *resp_len : 1);
    if (copy == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    memcpy(copy, *resp, *resp_len);
    free(w->last);
    w->last = copy;
    w->last_len = *resp_len;
    return SERTEL_OK;
}

/* --- validation data from a home, in-process --- */

/*
 * Refuse when an OCSP response of the home says a certificate is revoked:
 * B-LT would otherwise embed proof that the signature (or its time-stamp)
 * is not to be trusted, as the online path refuses too.
 */
static int refuse_revoked(const pki_blob *ocsps, size_t n, sertel_err *err)
{
    size_t i;
    int k, rc = SERTEL_OK;

    for (i = 0; i < n && rc == SERTEL_OK; i++) {
        const unsigned char *q = ocsps[i].data;
        OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &q, (long)ocsps[i].len);
        OCSP_BASICRESP *b = r != NULL ? OCSP_response_get1_basic(r) : NULL;
        for (k = 0; b != NULL && k < OCSP_resp_count(b) && rc == SERTEL_OK; k++) {
            OCSP_SINGLERESP *one = OCSP_resp_get0(b, k);
            const OCSP_CERTID *id = OCSP_SINGLERESP_get0_id(one);
            ASN1_INTEGER *serial = NULL;
            if (OCSP_single_get0_status(one, NULL, NULL, NULL, NULL) != V_OCSP_CERTSTATUS_REVOKED)
                continue;
            (void)OCSP_id_get0_info(NULL, NULL, NULL, &serial, (OCSP_CERTID *)id);
            {
                BIGNUM *bn = serial != NULL ? ASN1_INTEGER_to_BN(serial, NULL) : NULL;
                char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
                rc = sertel_err_set(err, SERTEL_ERR_DENIED,
                                    "the certificate with serial %s is revoked (this home's OCSP "
                                    "responder says so): a B-LT signature cannot rest on it",
                                    hex != NULL ? hex : "?");
                OPENSSL_free(hex);
                BN_free(bn);
            }
        }
        OCSP_BASICRESP_free(b);
        OCSP_RESPONSE_free(r);
    }
    ERR_clear_error();
    return rc;
}

static int gather_home(pki *p, const cms_signer *s, vdata *v, sertel_err *err)
{
    X509 *tsa = NULL;
    pki_blob *ocsps = NULL, *crls = NULL;
    size_t nocsps = 0, ncrls = 0, i;
    int rc;

    if ((rc = pki_authority_cert(p, "tsa", &tsa, err)) != SERTEL_OK)
        return rc;
    if ((rc = vdata_add_cert(v, s->cert, err)) != SERTEL_OK ||
        (rc = vdata_add_cert(v, tsa, err)) != SERTEL_OK)
        goto out;
    for (i = 0; s->chain != NULL && i < (size_t)sk_X509_num(s->chain); i++)
        if ((rc = vdata_add_cert(v, sk_X509_value(s->chain, (int)i), err)) != SERTEL_OK)
            goto out;
    /* OCSP for the two end-entity certificates; the CRLs cover the CAs. */
    rc = pki_validation_data(p, v->certs, 2, &ocsps, &nocsps, &crls, &ncrls, err);
    if (rc == SERTEL_OK)
        rc = refuse_revoked(ocsps, nocsps, err);
    for (i = 0; rc == SERTEL_OK && i < nocsps; i++)
        rc = vdata_copy(v->ocsps, &v->nocsps, ocsps[i].data, ocsps[i].len, 0, err);
    for (i = 0; rc == SERTEL_OK && i < ncrls; i++)
        rc = vdata_copy(v->crls, &v->ncrls, crls[i].data, crls[i].len, 1, err);
out:
    X509_free(tsa);
    pki_blobs_free(ocsps, nocsps);
    pki_blobs_free(crls, ncrls);
    return rc;
}

/* --- validation data fetched online --- */

/* The issuer of v->certs[i] among v->certs (signature checked), or NULL. */
static X509 *find_issuer(const vdata *v, size_t i)
{
    size_t j;

    for (j = 0; j < v->ncerts; j++) {
        EVP_PKEY *k = X509_get0_pubkey(v->certs[j]);
        if (j != i && X509_check_issued(v->certs[j], v->certs[i]) == X509_V_OK && k != NULL &&
            X509_verify(v->certs[i], k) == 1)
            return v->certs[j];
    }
    ERR_clear_error();
    return NULL;
}

/* An OCSP response for cert, else its CRL, into v; a clear error naming cert otherwise. */
static int fetch_status(cms_fetch_ctx *fx, vdata *v, X509 *cert, X509 *issuer, sertel_err *err)
{
    STACK_OF(X509) *pool = sk_X509_new_null();
    unsigned char *der = NULL;
    size_t len = 0, i;
    int st = -1, rc, via_crl = 0;
    sertel_err eo = {0}, ec = {0};
    char name[256];

    if (pool == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    for (i = 0; i < v->ncerts; i++)
        (void)sk_X509_push(pool, v->certs[i]);
    cms_cert_name(cert, name, sizeof(name));
    rc = cms_fetch_ocsp(fx, cert, issuer, pool, &der, &len, &st, &eo);
    if (rc != SERTEL_OK) {
        rc = cms_fetch_crl(fx, cert, issuer, &der, &len, &st, &ec);
        via_crl = 1;
    }
    if (rc != SERTEL_OK) {
        rc = sertel_err_set(err,
                            eo.code == SERTEL_ERR_IO || ec.code == SERTEL_ERR_IO
                                ? SERTEL_ERR_IO
                                : SERTEL_ERR_NOTFOUND,
                            "no revocation data for %.200s, which B-LT must embed: OCSP: %.300s; "
                            "CRL: %.300s",
                            name, eo.msg, ec.msg);
        goto out;
    }
    if (st == V_OCSP_CERTSTATUS_REVOKED) {
        free(der);
        rc = sertel_err_set(err, SERTEL_ERR_DENIED, "%.200s is revoked (according to its %s)", name,
                            via_crl ? "CRL" : "OCSP responder");
        goto out;
    }
    rc = via_crl ? vdata_take(v->crls, &v->ncrls, der, len, 1, err)
                 : vdata_take(v->ocsps, &v->nocsps, der, len, 0, err);
out:
    sk_X509_free(pool);
    return rc;
}

/*
 * Revocation data for v->certs[from..] (and for issuers fetched on the
 * way, appended to v->certs and checked in turn). Roots need none.
 *
 * The URLs are those of the signer's own certificates (its PKCS#12) and
 * of the TSA the signer chose, fetched on the signer's behalf: they may
 * name any address (a CA on the agency's own network), unlike a
 * validation's (lib/pdf verify_rev.c). The time and bytes are bounded all
 * the same.
 */
static int gather_from(vdata *v, size_t from, sertel_err *err)
{
    const cms_fetch_policy pol = {PADES_FETCH_BUDGET * 1000L,
                                  (size_t)PADES_MAX_CERTS * 2 * CMS_REV_MAX_BODY, 1, NULL, 0};
    cms_fetch_ctx *fx = NULL;
    time_t start = time(NULL);
    size_t i;
    int rc = cms_fetch_ctx_new(&pol, &fx, err);

    for (i = from; rc == SERTEL_OK && i < v->ncerts; i++) {
        X509 *c = v->certs[i], *iss, *fetched = NULL;
        char name[256];

        if (X509_self_signed(c, 1) == 1)
            continue; /* a root: trusted as such, no revocation data */
        if (time(NULL) - start > PADES_FETCH_BUDGET) {
            cms_cert_name(c, name, sizeof(name));
            rc = sertel_err_set(err, SERTEL_ERR_IO,
                                "gathering validation data took more than %d s; stopped "
                                "before %.200s: the CA's services are too slow",
                                PADES_FETCH_BUDGET, name);
            break;
        }
        ERR_clear_error();
        iss = find_issuer(v, i);
        if (iss == NULL) {
            sertel_err e = {0};
            rc = cms_fetch_issuer(fx, c, &fetched, &e);
            if (rc == SERTEL_OK)
                rc = vdata_add_cert(v, fetched, &e);
            iss = fetched;
            X509_free(fetched); /* v holds a reference now */
            if (rc != SERTEL_OK) {
                cms_cert_name(c, name, sizeof(name));
                rc = sertel_err_set(err, rc,
                                    "cannot find the issuer of %.200s (%.400s): put the whole "
                                    "chain up to the root into the PKCS#12",
                                    name, e.msg);
                break;
            }
        }
        rc = fetch_status(fx, v, c, iss, err);
    }
    cms_fetch_ctx_free(fx);
    return rc;
}

/* Add the certificates of a time-stamp response (what a tsa_watch saw) to v. */
static int add_tst_certs(vdata *v, const tsa_watch *w, const char *what, sertel_err *err)
{
    STACK_OF(X509) *tsa = NULL;
    int k, rc;

    if (w->last == NULL)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "the %s was not seen", what);
    if ((rc = cms_tst_certs(w->last, w->last_len, &tsa, err)) != SERTEL_OK) {
        sertel_err_prefix(err, "reading the %s", what);
        return rc;
    }
    for (k = 0; rc == SERTEL_OK && k < sk_X509_num(tsa); k++)
        rc = vdata_add_cert(v, sk_X509_value(tsa, k), err);
    sk_X509_pop_free(tsa, X509_free);
    return rc;
}

static int gather_online(const cms_signer *s, const tsa_watch *w, vdata *v, sertel_err *err)
{
    int k, rc;

    rc = vdata_add_cert(v, s->cert, err);
    for (k = 0; rc == SERTEL_OK && s->chain != NULL && k < sk_X509_num(s->chain); k++)
        rc = vdata_add_cert(v, sk_X509_value(s->chain, k), err);
    if (rc == SERTEL_OK)
        rc = add_tst_certs(v, w, "signature-time-stamp", err);
    return rc == SERTEL_OK ? gather_from(v, 0, err) : rc;
}

/* --- files --- */

/* Where one DSS revision's items start in a vdata (the rest are for it). */
typedef struct vmark {
    size_t certs, ocsps, crls;
} vmark;

/* A DSS revision of in with v's items from m on, into out (a temporary file path, or a final
 * output when out_path is NULL). */
static int write_dss(const char *in, const char *out_path, fs_output *out, const char *password,
                     const vdata *v, vmark m, sertel_err *err)
{
    pdf_bytes certs[PADES_MAX_CERTS];
    unsigned char *ders[PADES_MAX_CERTS] = {0};
    size_t i;
    int rc = SERTEL_OK;

    for (i = m.certs; i < v->ncerts; i++) {
        int len = i2d_X509(v->certs[i], &ders[i]);
        if (len <= 0) {
            rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot encode a certificate");
            goto out;
        }
        certs[i].p = ders[i];
        certs[i].len = (size_t)len;
    }
    {
        pdf_dss dss = {certs + m.certs,
                       v->ncerts - m.certs,
                       v->ocsps + m.ocsps,
                       v->nocsps - m.ocsps,
                       v->crls + m.crls,
                       v->ncrls - m.crls,
                       NULL,
                       0};
        rc = out_path != NULL ? pdf_add_dss_file(in, out_path, password, &dss, err)
                              : pdf_add_dss_to(in, out, password, &dss, err);
    }
out:
    for (i = 0; i < v->ncerts; i++)
        OPENSSL_free(ders[i]);
    return rc;
}

int pades_sign_to(const char *in_path, fs_output *out, const pades_opts *o, sertel_err *err)
{
    pdf_sign_opts so = o->sign;
    tsa_watch w = {0}, wd = {0};
    cms_tsa docts = {0};
    vdata v = {0};
    vmark all = {0, 0, 0}, m2;
    char *t_sig = NULL, *t_dss = NULL, *t_ts = NULL;
    int rc;

    if (o->level < PADES_B_B || o->level > PADES_B_LTA)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "unknown PAdES level %d", (int)o->level);
    if (o->level >= PADES_B_T && o->sign.tsa.fn == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s needs a time-stamping authority (--tsa URL or a home)",
                              pades_level_name(o->level));
    if (fs_output_same(out, in_path))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the output must be a new file, not the input itself");
    so.level = o->level >= PADES_B_T ? PDF_LEVEL_BT : PDF_LEVEL_BB;
    if (o->level <= PADES_B_T)
        return pdf_sign_to(in_path, out, &so, err);

    /* Intermediate revisions go to temporary files; only the last one to out. */
    w.inner = o->sign.tsa;
    so.tsa.fn = tsa_watch_fn;
    so.tsa.arg = &w;
    if ((rc = fs_output_temp(out, "bt", &t_sig, err)) != SERTEL_OK ||
        (rc = pdf_sign_file(in_path, t_sig, &so, err)) != SERTEL_OK)
        goto out;
    rc = o->home != NULL ? gather_home(o->home, &so.signer, &v, err)
                         : gather_online(&so.signer, &w, &v, err);
    if (rc != SERTEL_OK)
        goto out;
    if (o->level == PADES_B_LT) {
        rc = write_dss(t_sig, NULL, out, o->sign.password, &v, all, err);
        goto out;
    }
    if ((rc = fs_output_temp(out, "lt", &t_dss, err)) != SERTEL_OK ||
        (rc = write_dss(t_sig, t_dss, NULL, o->sign.password, &v, all, err)) != SERTEL_OK)
        goto out;
    if (o->home != NULL) { /* the home's TSA: its data is in the DSS already */
        rc = pdf_timestamp_to(t_dss, out, o->sign.password, &o->sign.tsa, err);
        goto out;
    }
    /*
     * Online: when the TSA signed the document time-stamp with a
     * certificate not in the DSS yet, a second DSS revision follows with
     * the validation data of the new certificates.
     */
    wd.inner = o->sign.tsa;
    docts.fn = tsa_watch_fn;
    docts.arg = &wd;
    m2.certs = v.ncerts;
    m2.ocsps = v.nocsps;
    m2.crls = v.ncrls;
    if ((rc = fs_output_temp(out, "lta", &t_ts, err)) != SERTEL_OK ||
        (rc = pdf_timestamp_file_pw(t_dss, t_ts, o->sign.password, &docts, err)) != SERTEL_OK ||
        (rc = add_tst_certs(&v, &wd, "document time-stamp", err)) != SERTEL_OK)
        goto out;
    if (v.ncerts == m2.certs) { /* the same TSA certificate: the DSS has its data */
        rc = fs_output_copy_file(out, t_ts, err);
        goto out;
    }
    if ((rc = gather_from(&v, m2.certs, err)) != SERTEL_OK)
        goto out;
    rc = write_dss(t_ts, NULL, out, o->sign.password, &v, m2, err);
out:
    if (t_sig != NULL)
        unlink(t_sig);
    if (t_dss != NULL)
        unlink(t_dss);
    if (t_ts != NULL)
        unlink(t_ts);
    free(t_sig);
    free(t_dss);
    free(t_ts);
    free(w.last);
    free(wd.last);
    vdata_free(&v);
    return rc;
}

int pades_sign_file(const char *in_path, const char *out_path, const pades_opts *o, sertel_err *err)
{
    fs_output *out = NULL;
    int rc = fs_output_open(out_path, 0644, 0, &out, err);

    if (rc != SERTEL_OK)
        return rc;
    rc = pades_sign_to(in_path, out, o, err);
    if (rc != SERTEL_OK) {
        fs_output_abort(out);
        return rc;
    }
    return fs_output_commit(out, err);
}

static const char *const level_names[] = {"B-B", "B-T", "B-LT", "B-LTA"};

const char *pades_level_name(pades_level l)
{
    return l >= PADES_B_B && l <= PADES_B_LTA ? level_names[l] : NULL;
}

int pades_level_parse(const char *s, pades_level *out)
{
    int i;

    for (i = PADES_B_B; i <= PADES_B_LTA; i++)
        if (strcmp(s, level_names[i]) == 0) {
            *out = (pades_level)i;
            return 0;
        }
    return -1;
}
