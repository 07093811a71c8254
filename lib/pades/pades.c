/*
 * pades.c - PAdES baseline levels B-B to B-LTA (ETSI EN 319 142-1 §5.3 to
 * §5.5) as one call: the signature revision, then for B-LT the Document
 * Security Store revision (ISO 32000-2 §12.8.4.3) with the validation data
 * of the signer's and the TSA's chains, then for B-LTA the document
 * time-stamp revision (§12.8.5); and the same for a document already
 * signed (pades_extend_to: every signature and time-stamp in it, VRI
 * entries, a new document time-stamp over an archive's last one). See
 * pades.h for where the validation data comes from and the guarantees on
 * the output.
 */
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cms/cms.h"
#include "pades/pades.h"
#include "util/fs.h"

#define FETCH_BYTES ((size_t)32 << 20) /* all responses of one call together */

/* Validation data for one DSS revision; everything here is owned. */
typedef struct vdata {
    X509 *certs[PADES_MAX_CERTS];
    int ocsp_of[PADES_MAX_CERTS], crl_of[PADES_MAX_CERTS]; /* its status's item, -1: none */
    unsigned char done[PADES_MAX_CERTS]; /* its status was gathered (or it needs none) */
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

/* Add a certificate (a new reference) unless it is there already; *at (may be NULL): its index. */
static int vdata_add_cert(vdata *v, X509 *x, size_t *at, sertel_err *err)
{
    size_t i;

    for (i = 0; i < v->ncerts; i++)
        if (X509_cmp(v->certs[i], x) == 0) {
            if (at != NULL)
                *at = i;
            return SERTEL_OK;
        }
    if (v->ncerts == PADES_MAX_CERTS)
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "the chains of the signatures and time-stamps hold more than %d "
                              "certificates",
                              PADES_MAX_CERTS);
    if (!X509_up_ref(x))
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "cannot reference a certificate");
    v->ocsp_of[v->ncerts] = v->crl_of[v->ncerts] = -1;
    v->done[v->ncerts] = 0;
    if (at != NULL)
        *at = v->ncerts;
    v->certs[v->ncerts++] = x;
    return SERTEL_OK;
}

/*
 * Take a malloc'ed DER item into list (CRLs: the same bytes are stored
 * once); *at receives its index.
 */
static int vdata_take(pdf_bytes *list, size_t *n, unsigned char *der, size_t len, int *at,
                      sertel_err *err)
{
    size_t i;

    for (i = 0; i < *n; i++)
        if (list[i].len == len && memcmp(list[i].p, der, len) == 0) {
            free(der);
            *at = (int)i;
            return SERTEL_OK;
        }
    if (*n == PADES_MAX_CERTS) {
        free(der);
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "too much validation data (more than %d items)", PADES_MAX_CERTS);
    }
    list[*n].p = der;
    list[*n].len = len;
    *at = (int)(*n)++;
    return SERTEL_OK;
}

static int vdata_copy(pdf_bytes *list, size_t *n, const unsigned char *p, size_t len, int *at,
                      sertel_err *err)
{
    unsigned char *c = malloc(len ? len : 1);

    if (c == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    memcpy(c, p, len);
    return vdata_take(list, n, c, len, at, err);
}

/* The issuer of v->certs[i] among v->certs (signature checked), or NULL. */
static X509 *find_issuer_in(X509 *const *certs, size_t n, X509 *c)
{
    size_t j;

    for (j = 0; j < n; j++) {
        EVP_PKEY *k = X509_get0_pubkey(certs[j]);
        if (certs[j] != c && X509_check_issued(certs[j], c) == X509_V_OK && k != NULL &&
            X509_verify(c, k) == 1)
            return certs[j];
    }
    ERR_clear_error();
    return NULL;
}

/* 1 when issuer issued c (names and signature). */
static int issued_by(X509 *issuer, X509 *c)
{
    EVP_PKEY *k = issuer != NULL ? X509_get0_pubkey(issuer) : NULL;
    int ok = k != NULL && X509_check_issued(issuer, c) == X509_V_OK && X509_verify(c, k) == 1;

    ERR_clear_error();
    return ok;
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

/* A TSA that tells its watcher what it answers; token_size as known (the last answer's). */
static cms_tsa watched(tsa_watch *w, const cms_tsa *inner)
{
    cms_tsa t = {tsa_watch_fn, w, inner->token_size};

    w->inner = *inner;
    if (w->last_len > 0)
        t.token_size = w->last_len;
    return t;
}

/* --- where validation data comes from --- */

typedef struct gather {
    pki *home;                      /* this CA's services in-process, or NULL */
    X509 *home_issuing, *home_root; /* its CAs (owned) */
    cms_fetch_ctx *fx;              /* online fetches (NULL: none) */
    STACK_OF(X509) * pool;          /* more certificates issuers may be found among (borrowed) */
    time_t start;
    int partial;      /* missing data is a note, not an error */
    int only_bad;     /* only a revoked status matters (a check before signing) */
    int keep_revoked; /* a revoked status is embedded with a note (extending), not refused */
    void (*note)(void *arg, const char *msg);
    void *note_arg;
} gather;

static void gather_free(gather *g)
{
    X509_free(g->home_issuing);
    X509_free(g->home_root);
    cms_fetch_ctx_free(g->fx);
}

/*
 * Set up g: a home's CAs; online fetching under pol unless online is 0.
 * Signing fetches the URLs of the signer's own certificates and its TSA's,
 * on any address; extending a document signed elsewhere fetches under the
 * validator's address rule (pades_extend_opts.fetch_allow exempt).
 */
static int gather_init(gather *g, pki *home, int online, const cms_fetch_policy *pol,
                       sertel_err *err)
{
    int rc = SERTEL_OK;

    memset(g, 0, sizeof(*g));
    g->home = home;
    g->start = time(NULL);
    if (home != NULL &&
        ((rc = pki_authority_cert(home, "issuing", &g->home_issuing, err)) != SERTEL_OK ||
         (rc = pki_authority_cert(home, "root", &g->home_root, err)) != SERTEL_OK))
        return rc;
    if (online)
        rc = cms_fetch_ctx_new(pol, &g->fx, err);
    return rc;
}

/*
 * A status found revoked: signing is refused, naming the certificate and
 * who says so; extending embeds the status (the proof that signatures
 * made before the revocation stay valid) with a note. SERTEL_OK: store it.
 */
static int revoked(const gather *g, X509 *c, const char *by, sertel_err *err)
{
    char name[256], msg[512];

    cms_cert_name(c, name, sizeof(name));
    if (!g->keep_revoked)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "%.200s is revoked (%s says so): it may not sign, nor may a "
                              "signature rest on it",
                              name, by);
    snprintf(msg, sizeof(msg),
             "%.200s is revoked (%s says so): its status is embedded (signatures time-stamped "
             "before the revocation stay valid)",
             name, by);
    if (g->note != NULL)
        g->note(g->note_arg, msg);
    return SERTEL_OK;
}

/* The status in OCSP response der for c: V_OCSP_CERTSTATUS_*, -1 when it names no status. */
static int ocsp_status(const unsigned char *der, size_t len)
{
    const unsigned char *q = der;
    OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &q, (long)len);
    OCSP_BASICRESP *b = r != NULL ? OCSP_response_get1_basic(r) : NULL;
    int st = -1;

    if (b != NULL && OCSP_resp_count(b) == 1)
        st = OCSP_single_get0_status(OCSP_resp_get0(b, 0), NULL, NULL, NULL, NULL);
    OCSP_BASICRESP_free(b);
    OCSP_RESPONSE_free(r);
    ERR_clear_error();
    return st;
}

/* 1 when the CRL der lists c. */
static int crl_lists(const unsigned char *der, size_t len, X509 *c)
{
    const unsigned char *q = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &q, (long)len);
    X509_REVOKED *rv = NULL;
    int listed = crl != NULL && X509_CRL_get0_by_cert(crl, &rv, c) == 1;

    X509_CRL_free(crl);
    ERR_clear_error();
    return listed;
}

/*
 * The status of v->certs[i] from the home (a certificate its issuing CA
 * issued: an OCSP response of its responder; its issuing CA: the root CRL).
 * 1 when the home answered, 0 when the certificate is not the home's.
 */
static int from_home(gather *g, vdata *v, size_t i, sertel_err *err)
{
    X509 *c = v->certs[i];
    pki_blob *ocsps = NULL, *crls = NULL;
    size_t nocsps = 0, ncrls = 0, k;
    int rc, ee;

    if (g->home == NULL)
        return 0;
    ee = issued_by(g->home_issuing, c);
    if (!ee && !(issued_by(g->home_root, c) && X509_cmp(c, g->home_issuing) == 0))
        return 0;
    rc = pki_validation_data(g->home, &c, ee ? 1 : 0, &ocsps, &nocsps, &crls, &ncrls, err);
    if (rc == SERTEL_OK && ee) {
        int st = nocsps == 1 ? ocsp_status(ocsps[0].data, ocsps[0].len) : -1;
        if (st != V_OCSP_CERTSTATUS_GOOD && st != V_OCSP_CERTSTATUS_REVOKED)
            rc = 0; /* the home does not know it: not its certificate */
        else if (st == V_OCSP_CERTSTATUS_GOOD ||
                 (rc = revoked(g, c, "this home's OCSP responder", err)) == SERTEL_OK)
            rc = vdata_copy(v->ocsps, &v->nocsps, ocsps[0].data, ocsps[0].len, &v->ocsp_of[i], err);
    } else if (rc == SERTEL_OK) {
        for (k = 0; k < ncrls; k++) {
            const unsigned char *q = crls[k].data;
            X509_CRL *crl = d2i_X509_CRL(NULL, &q, (long)crls[k].len);
            int mine = crl != NULL && X509_NAME_cmp(X509_CRL_get_issuer(crl),
                                                    X509_get_subject_name(g->home_root)) == 0;
            X509_CRL_free(crl);
            if (!mine)
                continue;
            if (!crl_lists(crls[k].data, crls[k].len, c) ||
                (rc = revoked(g, c, "this home's root CRL", err)) == SERTEL_OK)
                rc = vdata_copy(v->crls, &v->ncrls, crls[k].data, crls[k].len, &v->crl_of[i], err);
            break;
        }
    }
    ERR_clear_error();
    pki_blobs_free(ocsps, nocsps);
    pki_blobs_free(crls, ncrls);
    return rc == SERTEL_OK ? (v->ocsp_of[i] >= 0 || v->crl_of[i] >= 0) : rc;
}

/* An OCSP response for v->certs[i], else its CRL, fetched; a clear error naming it otherwise. */
static int from_online(gather *g, vdata *v, size_t i, X509 *issuer, sertel_err *err)
{
    STACK_OF(X509) *pool = sk_X509_new_null();
    X509 *c = v->certs[i];
    unsigned char *der = NULL;
    size_t len = 0, k;
    int st = -1, rc, via_crl = 0;
    sertel_err eo = {0}, ec = {0};
    char name[256];

    if (pool == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    for (k = 0; k < v->ncerts; k++)
        (void)sk_X509_push(pool, v->certs[k]);
    cms_cert_name(c, name, sizeof(name));
    rc = cms_fetch_ocsp(g->fx, c, issuer, pool, &der, &len, &st, &eo);
    if (rc != SERTEL_OK) {
        rc = cms_fetch_crl(g->fx, c, issuer, &der, &len, &st, &ec);
        via_crl = 1;
    }
    sk_X509_free(pool);
    if (rc != SERTEL_OK)
        return sertel_err_set(err,
                              eo.code == SERTEL_ERR_IO || ec.code == SERTEL_ERR_IO
                                  ? SERTEL_ERR_IO
                                  : SERTEL_ERR_NOTFOUND,
                              "no revocation data for %.200s, which B-LT must embed: OCSP: "
                              "%.300s; CRL: %.300s",
                              name, eo.msg, ec.msg);
    if (st == V_OCSP_CERTSTATUS_REVOKED &&
        (rc = revoked(g, c, via_crl ? "its CRL" : "its OCSP responder", err)) != SERTEL_OK) {
        free(der);
        return rc;
    }
    return via_crl ? vdata_take(v->crls, &v->ncrls, der, len, &v->crl_of[i], err)
                   : vdata_take(v->ocsps, &v->nocsps, der, len, &v->ocsp_of[i], err);
}

/* The issuer of v->certs[i]: among v, the pool (added to v), or fetched (caIssuers). */
static int issuer_of(gather *g, vdata *v, size_t i, X509 **out, sertel_err *err)
{
    X509 *c = v->certs[i], *iss = find_issuer_in(v->certs, v->ncerts, c), *fetched = NULL;
    sertel_err e = {0};
    char name[256];
    size_t at = 0;
    int k, rc;

    for (k = 0; iss == NULL && g->pool != NULL && k < sk_X509_num(g->pool); k++)
        if (issued_by(sk_X509_value(g->pool, k), c))
            iss = sk_X509_value(g->pool, k);
    if (iss == NULL && g->home != NULL) {
        if (issued_by(g->home_issuing, c))
            iss = g->home_issuing;
        else if (issued_by(g->home_root, c))
            iss = g->home_root;
    }
    rc = SERTEL_ERR_NOTFOUND;
    if (iss == NULL && g->fx != NULL && !g->only_bad) {
        rc = cms_fetch_issuer(g->fx, c, &fetched, &e);
        iss = fetched;
    }
    if (iss == NULL) {
        if (g->only_bad || g->partial) {
            *out = NULL;
            return SERTEL_OK;
        }
        cms_cert_name(c, name, sizeof(name));
        return sertel_err_set(err, rc == SERTEL_ERR_NOTFOUND ? SERTEL_ERR_NOTFOUND : rc,
                              "cannot find the issuer of %.200s (%.400s): put the whole chain up "
                              "to the root into the PKCS#12",
                              name, e.msg[0] ? e.msg : "no caIssuers URL");
    }
    rc = vdata_add_cert(v, iss, &at, err);
    X509_free(fetched);
    *out = rc == SERTEL_OK ? v->certs[at] : NULL;
    return rc;
}

/*
 * Revocation data for every certificate of v not done yet (and for issuers
 * found on the way, appended to v and done in turn). Roots need none. A
 * revoked status is an error; no data at all is one too unless g->partial
 * (a note) or g->only_bad (nothing said, the certificate left for later).
 */
static int gather_all(gather *g, vdata *v, sertel_err *err)
{
    size_t i;
    int rc = SERTEL_OK;

    for (i = 0; rc == SERTEL_OK && i < v->ncerts; i++) {
        X509 *iss = NULL;
        char name[256], msg[700];

        if (v->done[i])
            continue;
        if (X509_self_signed(v->certs[i], 1) == 1) {
            v->done[i] = 1; /* a root: trusted as such, no revocation data */
            continue;
        }
        if (time(NULL) - g->start > PADES_FETCH_BUDGET) {
            cms_cert_name(v->certs[i], name, sizeof(name));
            return sertel_err_set(err, SERTEL_ERR_IO,
                                  "gathering validation data took more than %d s; stopped "
                                  "before %.200s: the CA's services are too slow",
                                  PADES_FETCH_BUDGET, name);
        }
        ERR_clear_error();
        if ((rc = issuer_of(g, v, i, &iss, err)) != SERTEL_OK)
            break;
        rc = from_home(g, v, i, err);
        if (rc < 0)
            break;
        if (rc == 1) {
            v->done[i] = 1;
            rc = SERTEL_OK;
            continue;
        }
        if (g->only_bad)
            continue; /* not the home's: gathered later, online */
        if (iss != NULL && g->fx != NULL) {
            sertel_err e = {0};
            rc = from_online(g, v, i, iss, &e);
            if (rc == SERTEL_OK || rc == SERTEL_ERR_DENIED || !g->partial) {
                if (rc != SERTEL_OK)
                    *err = e;
                v->done[i] = rc == SERTEL_OK;
                continue;
            }
            snprintf(msg, sizeof(msg), "%.600s (left out of the validation data)", e.msg);
            rc = SERTEL_OK;
        } else {
            cms_cert_name(v->certs[i], name, sizeof(name));
            if (!g->partial) {
                rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "no revocation data for %.200s: %s",
                                    name,
                                    iss == NULL ? "its issuer is not known"
                                                : "this home did not issue it and nothing is "
                                                  "fetched online");
                break;
            }
            snprintf(msg, sizeof(msg), "no revocation data for %.200s (%s): left out", name,
                     iss == NULL ? "its issuer is not known" : "not fetched");
        }
        v->done[i] = 1;
        if (g->note != NULL)
            g->note(g->note_arg, msg);
    }
    return rc;
}

/* Add a signer (its certificate and chain) to v. */
static int add_chain(vdata *v, X509 *cert, STACK_OF(X509) * chain, sertel_err *err)
{
    int k, rc = vdata_add_cert(v, cert, NULL, err);

    for (k = 0; rc == SERTEL_OK && chain != NULL && k < sk_X509_num(chain); k++)
        rc = vdata_add_cert(v, sk_X509_value(chain, k), NULL, err);
    return rc;
}

/* Add the signer of a time-stamp token (DER TimeStampToken or TimeStampResp) and its certs. */
static int add_token(vdata *v, const unsigned char *der, size_t len, X509 **signer,
                     const char *what, sertel_err *err)
{
    STACK_OF(X509) *certs = NULL;
    int k, rc;

    if (der == NULL)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "the %s was not seen", what);
    if ((rc = cms_tst_certs(der, len, &certs, err)) != SERTEL_OK) {
        sertel_err_prefix(err, "reading the %s", what);
        return rc;
    }
    for (k = 0; rc == SERTEL_OK && k < sk_X509_num(certs); k++)
        rc = vdata_add_cert(v, sk_X509_value(certs, k), NULL, err);
    if (signer != NULL)
        *signer = rc == SERTEL_OK && sk_X509_num(certs) > 0 ? sk_X509_value(certs, 0) : NULL;
    if (signer != NULL && *signer != NULL)
        X509_up_ref(*signer);
    sk_X509_pop_free(certs, X509_free);
    return rc;
}

/* --- the revisions --- */

/* One signature's VRI entry being collected. */
typedef struct vri_build {
    pdf_vri e;
    size_t certs[PADES_MAX_CERTS], ocsps[PADES_MAX_CERTS], crls[PADES_MAX_CERTS];
} vri_build;

/* Where one DSS revision's items start in a vdata (the rest are for it). */
typedef struct vmark {
    size_t certs, ocsps, crls;
} vmark;

static vmark mark_of(const vdata *v)
{
    vmark m = {v->ncerts, v->nocsps, v->ncrls};
    return m;
}

/* A DSS revision of in with v's items from m on (and VRI entries), into out or out_path. */
static int write_dss(const char *in, const char *out_path, fs_output *out, const char *password,
                     const vdata *v, vmark m, const vri_build *vri, size_t nvri, sertel_err *err)
{
    pdf_bytes certs[PADES_MAX_CERTS];
    unsigned char *ders[PADES_MAX_CERTS] = {0};
    pdf_vri entries[PADES_MAX_CERTS];
    size_t i, k;
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
    /* VRI entries index the items of this revision. */
    for (k = 0; k < nvri && k < PADES_MAX_CERTS; k++) {
        entries[k] = vri[k].e;
        entries[k].certs = vri[k].certs;
        entries[k].ocsps = vri[k].ocsps;
        entries[k].crls = vri[k].crls;
    }
    {
        pdf_dss dss = {certs + m.certs,
                       v->ncerts - m.certs,
                       v->ocsps + m.ocsps,
                       v->nocsps - m.ocsps,
                       v->crls + m.crls,
                       v->ncrls - m.crls,
                       entries,
                       k};
        rc = out_path != NULL ? pdf_add_dss_file(in, out_path, password, &dss, err)
                              : pdf_add_dss_to(in, out, password, &dss, err);
    }
out:
    for (i = 0; i < v->ncerts; i++)
        OPENSSL_free(ders[i]);
    return rc;
}

/*
 * The VRI entry of a signature (SHA-1 of its /Contents) whose chains start
 * at the certificates starts[0..n): those chains as far as v has them, with
 * their status items, as indexes from m on.
 */
static void vri_for(const vdata *v, vmark m, const unsigned char *contents, size_t len,
                    X509 *const *starts, size_t n, vri_build *out)
{
    int in[PADES_MAX_CERTS] = {0};
    size_t s, i;

    memset(out, 0, sizeof(*out));
    SHA1(contents, len, out->e.key);
    for (s = 0; s < n; s++) {
        X509 *c = starts[s];
        int depth;
        for (depth = 0; c != NULL && depth < PADES_MAX_CERTS; depth++) {
            for (i = 0; i < v->ncerts && X509_cmp(v->certs[i], c) != 0; i++)
                ;
            if (i == v->ncerts || in[i])
                break;
            in[i] = 1;
            c = X509_self_signed(c, 0) == 1 ? NULL : find_issuer_in(v->certs, v->ncerts, c);
        }
    }
    for (i = 0; i < v->ncerts; i++) {
        if (!in[i] || i < m.certs)
            continue; /* (items of an earlier DSS revision are not named again) */
        out->certs[out->e.ncerts++] = i - m.certs;
        if (v->ocsp_of[i] >= (int)m.ocsps)
            out->ocsps[out->e.nocsps++] = (size_t)v->ocsp_of[i] - m.ocsps;
        if (v->crl_of[i] >= (int)m.crls) {
            size_t k, dup = 0;
            for (k = 0; k < out->e.ncrls; k++)
                dup |= out->crls[k] == (size_t)v->crl_of[i] - m.crls;
            if (!dup)
                out->crls[out->e.ncrls++] = (size_t)v->crl_of[i] - m.crls;
        }
    }
}

/*
 * The VRI entry of the newest signature in signed (the one just made),
 * whose chains start at starts[0..2), as items of v from m on.
 */
static int own_vri(const char *signed_path, const char *password, const vdata *v, vmark m,
                   X509 *const starts[2], vri_build *out, sertel_err *err)
{
    pdf_doc *d = NULL;
    pdf_sigval *vals = NULL;
    size_t n = 0;
    int rc;

    if ((rc = pdf_open_file_pw(signed_path, password, &d, err)) != SERTEL_OK ||
        (rc = pdf_signature_values(d, &vals, &n, err)) != SERTEL_OK)
        goto out;
    while (n > 0 && vals[n - 1].doc_ts)
        n--;
    if (n == 0) {
        rc = sertel_err_set(err, SERTEL_ERR_INTERNAL, "the new signature is not in the document");
        goto out;
    }
    vri_for(v, m, vals[n - 1].contents, vals[n - 1].len, starts, 2, out);
out:
    free(vals);
    pdf_close(d);
    return rc;
}

/*
 * B-LTA's end (t_dss holds the document with its DSS): the document
 * time-stamp into out, and when the TSA stamped with a certificate the DSS
 * lacks, a second DSS revision with that chain's data after it.
 */
static int finish_lta(const char *t_dss, fs_output *out, const char *password, const cms_tsa *tsa,
                      gather *g, vdata *v, sertel_err *err)
{
    tsa_watch wd = {0};
    cms_tsa docts = watched(&wd, tsa);
    vmark m2 = mark_of(v);
    char *t_ts = NULL;
    int rc;

    if ((rc = fs_output_temp(out, "lta", &t_ts, err)) != SERTEL_OK ||
        (rc = pdf_timestamp_file_pw(t_dss, t_ts, password, &docts, err)) != SERTEL_OK ||
        (rc = add_token(v, wd.last, wd.last_len, NULL, "document time-stamp", err)) != SERTEL_OK)
        goto out;
    if (v->ncerts == m2.certs) { /* the same TSA certificate: the DSS has its data */
        rc = fs_output_copy_file(out, t_ts, err);
        goto out;
    }
    if ((rc = gather_all(g, v, err)) != SERTEL_OK)
        goto out;
    rc = write_dss(t_ts, NULL, out, password, v, m2, NULL, 0, err);
out:
    if (t_ts != NULL)
        unlink(t_ts);
    free(t_ts);
    free(wd.last);
    return rc;
}

int pades_sign_to(const char *in_path, fs_output *out, const pades_opts *o, sertel_err *err)
{
    const cms_fetch_policy pol = {PADES_FETCH_BUDGET * 1000L, FETCH_BYTES, 1, NULL, 0, NULL, NULL};
    pdf_sign_opts so = o->sign;
    tsa_watch w = {0};
    gather g;
    vdata v = {0};
    vmark all = {0, 0, 0};
    vri_build vri;
    X509 *starts[2] = {o->sign.signer.cert, NULL}; /* starts[1]: the TSA's, owned */
    char *t_sig = NULL, *t_dss = NULL;
    int rc, lt = o->level >= PADES_B_LT;

    if (o->level < PADES_B_B || o->level > PADES_B_LTA)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "unknown PAdES level %d", (int)o->level);
    if (o->level >= PADES_B_T && o->sign.tsa.fn == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s needs a time-stamping authority (--tsa URL or a home)",
                              pades_level_name(o->level));
    if (fs_output_same(out, in_path))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the output must be a new file, not the input itself");
    if ((rc = gather_init(&g, o->home, lt, &pol, err)) != SERTEL_OK ||
        (rc = add_chain(&v, o->sign.signer.cert, o->sign.signer.chain, err)) != SERTEL_OK)
        goto out;
    /* Before any signature: a certificate the home knows to be revoked does not sign. */
    g.only_bad = 1;
    if (o->home != NULL && (rc = gather_all(&g, &v, err)) != SERTEL_OK)
        goto out;
    g.only_bad = 0;
    so.level = o->level >= PADES_B_T ? PDF_LEVEL_BT : PDF_LEVEL_BB;
    if (!lt) {
        rc = pdf_sign_to(in_path, out, &so, err);
        goto out;
    }
    /* Intermediate revisions go to temporary files; only the last one to out. */
    so.tsa = watched(&w, &o->sign.tsa);
    if ((rc = fs_output_temp(out, "bt", &t_sig, err)) != SERTEL_OK ||
        (rc = pdf_sign_file(in_path, t_sig, &so, err)) != SERTEL_OK)
        goto out;
    /* The signer's chain and the TSA's (from the token): fetched statuses, revoked refuses. */
    if ((rc = add_token(&v, w.last, w.last_len, &starts[1], "signature-time-stamp", err)) !=
            SERTEL_OK ||
        (rc = gather_all(&g, &v, err)) != SERTEL_OK ||
        (rc = own_vri(t_sig, o->sign.password, &v, all, starts, &vri, err)) != SERTEL_OK)
        goto out;
    if (o->level == PADES_B_LT) {
        rc = write_dss(t_sig, NULL, out, o->sign.password, &v, all, &vri, 1, err);
        goto out;
    }
    if ((rc = fs_output_temp(out, "lt", &t_dss, err)) != SERTEL_OK ||
        (rc = write_dss(t_sig, t_dss, NULL, o->sign.password, &v, all, &vri, 1, err)) != SERTEL_OK)
        goto out;
    /* The document time-stamp: the TSA's answers are w.last_len bytes long. */
    {
        cms_tsa t = o->sign.tsa;
        t.token_size = w.last_len;
        rc = finish_lta(t_dss, out, o->sign.password, &t, &g, &v, err);
    }
out:
    if (t_sig != NULL)
        unlink(t_sig);
    if (t_dss != NULL)
        unlink(t_dss);
    free(t_sig);
    free(t_dss);
    free(w.last);
    X509_free(starts[1]);
    vdata_free(&v);
    gather_free(&g);
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

/* --- extending a signed document --- */

/* What one signature or time-stamp of the document needs, and its VRI entry. */
typedef struct sig_need {
    X509 *starts[2]; /* the signer and its (signature-)time-stamp's TSA (owned; may be NULL) */
    int has_ts;      /* starts[1] is set: a time-stamp, whose TSA certificate */
    int64_t ts_left; /* is still valid for this many seconds (negative: expired) */
} sig_need;

/* The certificates one signature or document time-stamp brings, into v and pool. */
static int read_signature(const pdf_sigval *s, vdata *v, STACK_OF(X509) * pool, sig_need *need,
                          sertel_err *err)
{
    cms_parts p = {0}, t = {0};
    int k, rc = cms_parts_read(s->contents, s->len, &p, err);

    if (rc != SERTEL_OK) {
        sertel_err_prefix(err, "the signature in field %s", s->field);
        return rc;
    }
    if (p.signer == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the signature in field %s does not carry its signer's certificate",
                            s->field);
        goto out;
    }
    for (k = 0; k < sk_X509_num(p.certs); k++)
        if (!sk_X509_push(pool, sk_X509_value(p.certs, k)) ||
            !X509_up_ref(sk_X509_value(p.certs, k))) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            goto out;
        }
    /* A document time-stamp is a token: its signer is the TSA. */
    if (s->doc_ts) {
        need->starts[1] = p.signer;
        X509_up_ref(p.signer);
    } else {
        need->starts[0] = p.signer;
        X509_up_ref(p.signer);
    }
    if (p.tst != NULL && cms_parts_read(p.tst, p.tst_len, &t, err) == SERTEL_OK && t.signer) {
        for (k = 0; k < sk_X509_num(t.certs); k++)
            if (sk_X509_push(pool, sk_X509_value(t.certs, k)))
                X509_up_ref(sk_X509_value(t.certs, k));
        need->starts[1] = t.signer;
        X509_up_ref(t.signer);
    }
    for (k = 0; k < 2; k++)
        if (need->starts[k] != NULL && (rc = vdata_add_cert(v, need->starts[k], NULL, err)) != 0)
            goto out;
    if (need->starts[1] != NULL) {
        int day = 0, sec = 0;
        need->has_ts = 1;
        if (ASN1_TIME_diff(&day, &sec, NULL, X509_get0_notAfter(need->starts[1])))
            need->ts_left = (int64_t)day * 86400 + sec;
    }
out:
    ERR_clear_error();
    cms_parts_free(&p);
    cms_parts_free(&t);
    return rc;
}

/* A certificate of the DSS into the pool of possible issuers. */
static void pool_add(void *arg, const unsigned char *der, size_t len)
{
    const unsigned char *q = der;
    X509 *x = d2i_X509(NULL, &q, (long)len);

    if (x != NULL && !sk_X509_push((STACK_OF(X509) *)arg, x))
        X509_free(x);
    ERR_clear_error();
}

int pades_extend_to(const char *in_path, fs_output *out, const pades_extend_opts *o,
                    sertel_err *err)
{
    cms_fetch_policy pol = {PADES_FETCH_BUDGET * 1000L, FETCH_BYTES, 0,   o->fetch_allow,
                            o->n_fetch_allow,           NULL,        NULL};
    pdf_doc *d = NULL;
    pdf_sigval *vals = NULL;
    size_t nvals = 0, i, nvri = 0;
    sig_need *needs = NULL;
    vri_build *vri = NULL;
    STACK_OF(X509) *pool = sk_X509_new_null();
    gather g;
    vdata v = {0};
    vmark all = {0, 0, 0};
    char *t_dss = NULL;
    int rc;

    memset(&g, 0, sizeof(g));
    if (pool == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    if (o->level != PADES_B_LT && o->level != PADES_B_LTA) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "a signed document is extended to B-LT or B-LTA");
        goto out;
    }
    if (o->level == PADES_B_LTA && o->tsa.fn == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "B-LTA needs a time-stamping authority (--tsa URL or a home)");
        goto out;
    }
    if (fs_output_same(out, in_path)) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the output must be a new file, not the input itself");
        goto out;
    }
    if ((rc = pdf_open_file_pw(in_path, o->password, &d, err)) != SERTEL_OK ||
        (rc = pdf_signature_values(d, &vals, &nvals, err)) != SERTEL_OK)
        goto out;
    if (nvals == 0) {
        rc =
            sertel_err_set(err, SERTEL_ERR_INVALID,
                           "%s has no signature or time-stamp to add validation data for", in_path);
        goto out;
    }
    needs = calloc(nvals, sizeof(*needs));
    vri = calloc(nvals, sizeof(*vri));
    if (needs == NULL || vri == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = pdf_dss_certs(d, pool_add, pool, err)) != SERTEL_OK)
        goto out;
    for (i = 0; i < nvals; i++) {
        if ((rc = read_signature(&vals[i], &v, pool, &needs[i], err)) != SERTEL_OK)
            goto out;
    }
    /* B-LTA renews the newest time-stamp: its TSA's certificate must not have expired. */
    for (i = nvals; o->level == PADES_B_LTA && i-- > 0;) {
        if (!needs[i].has_ts)
            continue;
        if (needs[i].ts_left < 0) {
            rc = sertel_err_set(err, SERTEL_ERR_STATE,
                                "the newest time-stamp (field %s) rests on a TSA certificate "
                                "that has expired: a new time-stamp can no longer extend what it "
                                "proves (renew archives before their last time-stamp's "
                                "certificate expires)",
                                vals[i].field);
            goto out;
        }
        break;
    }
    if ((rc = gather_init(&g, o->home, 1, &pol, err)) != SERTEL_OK)
        goto out;
    g.partial = o->partial;
    g.pool = pool;
    g.keep_revoked = 1;
    g.note = o->note;
    g.note_arg = o->note_arg;
    if (o->home != NULL && o->level == PADES_B_LTA && o->tsa.fn == pki_tsa_exchange) {
        /* The home's TSA stamps next: its data goes into this DSS already. */
        X509 *tsa = NULL;
        if ((rc = pki_authority_cert(o->home, "tsa", &tsa, err)) == SERTEL_OK)
            rc = vdata_add_cert(&v, tsa, NULL, err);
        X509_free(tsa);
        if (rc != SERTEL_OK)
            goto out;
    }
    if ((rc = gather_all(&g, &v, err)) != SERTEL_OK)
        goto out;
    for (i = 0; i < nvals; i++)
        vri_for(&v, all, vals[i].contents, vals[i].len, needs[i].starts, 2, &vri[nvri++]);
    if (o->level == PADES_B_LT) {
        rc = write_dss(in_path, NULL, out, o->password, &v, all, vri, nvri, err);
        goto out;
    }
    if ((rc = fs_output_temp(out, "lt", &t_dss, err)) != SERTEL_OK ||
        (rc = write_dss(in_path, t_dss, NULL, o->password, &v, all, vri, nvri, err)) != SERTEL_OK)
        goto out;
    rc = finish_lta(t_dss, out, o->password, &o->tsa, &g, &v, err);
out:
    if (t_dss != NULL)
        unlink(t_dss);
    free(t_dss);
    for (i = 0; needs != NULL && i < nvals; i++) {
        X509_free(needs[i].starts[0]);
        X509_free(needs[i].starts[1]);
    }
    free(needs);
    free(vri);
    free(vals);
    pdf_close(d);
    sk_X509_pop_free(pool, X509_free);
    vdata_free(&v);
    gather_free(&g);
    return rc;
}

int pades_extend_file(const char *in_path, const char *out_path, const pades_extend_opts *o,
                      sertel_err *err)
{
    fs_output *out = NULL;
    int rc = fs_output_open(out_path, 0644, 0, &out, err);

    if (rc != SERTEL_OK)
        return rc;
    rc = pades_extend_to(in_path, out, o, err);
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
