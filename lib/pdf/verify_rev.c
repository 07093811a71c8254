/*
 * verify_rev.c - revocation status of one certificate for the validator.
 *
 * Sources, in order: OCSP responses and CRLs of the PDF's /DSS, CRLs in
 * the CMS, then (unless offline) an OCSP request to the certificate's AIA
 * OCSP URL, else the CRL at its CDP URL, both fetched and checked by
 * cms_fetch_ocsp / cms_fetch_crl (lib/cms revfetch.c: http and https only,
 * CMS_REV_TIMEOUT, bodies capped at CMS_REV_MAX_BODY, no redirects) through
 * the document's fetch context (lib/cms fetch.c: one time and byte budget
 * for the whole validation, no connection to a loopback, private,
 * link-local... address unless it is the home's own origin). Callers ask
 * only about chains proven to end at a trust anchor (verify_cms.c), so a
 * certificate nobody trusts never makes the validator fetch anything.
 *
 * An OCSP response counts only when its signature verifies with the
 * issuing CA itself or with a delegated responder certified by that CA
 * for id-kp-OCSPSigning, its CertID names the certificate, and thisUpdate
 * is not in the future (fetched answers must also be current). A CRL
 * counts only when it is signed by the issuer; a fetched CRL must not be
 * expired by more than VFY_REV_CRL_SLACK. Embedded data is historical
 * evidence: it is accepted after its nextUpdate (that is what B-LT keeps).
 */
#include <openssl/err.h>
#include <openssl/asn1t.h>
#include <openssl/cms.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_int.h"
#include "cms/cms.h"
#include "pdf/verify_int.h"

#define VFY_REV_MAX_BODY (1u << 20)
#define VFY_REV_MAX_ITEMS 256
#define VFY_REV_SKEW 300       /* seconds of clock skew allowed */
#define VFY_REV_CRL_SLACK 3600 /* a fetched CRL may be this much past nextUpdate */

void vfy_revdata_free(vfy_revdata *rd)
{
    size_t i;

    if (rd == NULL)
        return;
    sk_X509_pop_free(rd->certs, X509_free);
    sk_X509_CRL_pop_free(rd->crls, X509_CRL_free);
    for (i = 0; i < rd->n_ocsps; i++)
        OCSP_BASICRESP_free(rd->ocsps[i]);
    free(rd->ocsps);
    memset(rd, 0, sizeof(*rd));
}

static void add_ocsp_der(vfy_revdata *rd, const unsigned char *der, size_t len)
{
    const unsigned char *p = der;
    OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    OCSP_BASICRESP *b = NULL, **na;

    if (r != NULL && OCSP_response_status(r) == OCSP_RESPONSE_STATUS_SUCCESSFUL)
        b = OCSP_response_get1_basic(r);
    OCSP_RESPONSE_free(r);
    if (b == NULL) {
        ERR_clear_error();
        return;
    }
    na = realloc(rd->ocsps, (rd->n_ocsps + 1) * sizeof(*na));
    if (na == NULL) {
        OCSP_BASICRESP_free(b);
        return;
    }
    rd->ocsps = na;
    na[rd->n_ocsps++] = b;
}

/*
 * adbe-revocationInfoArchival (Adobe's PDF signature documentation):
 *   RevocationInfoArchival ::= SEQUENCE {
 *     crl          [0] EXPLICIT SEQUENCE OF CRLs OPTIONAL,
 *     ocsp         [1] EXPLICIT SEQUENCE OF OCSPResponse OPTIONAL,
 *     otherRevInfo [2] EXPLICIT SEQUENCE OF OtherRevInfo OPTIONAL }
 * The OCSP responses are kept as ANY and parsed one by one (a damaged one
 * is skipped, not the whole attribute).
 */
typedef struct adbe_revinfo {
    STACK_OF(X509_CRL) * crl;
    STACK_OF(ASN1_TYPE) * ocsp;
    STACK_OF(ASN1_TYPE) * other;
} ADBE_REVINFO;

DECLARE_ASN1_FUNCTIONS(ADBE_REVINFO)
ASN1_SEQUENCE(ADBE_REVINFO) =
    {
        ASN1_EXP_SEQUENCE_OF_OPT(ADBE_REVINFO, crl, X509_CRL, 0),
        ASN1_EXP_SEQUENCE_OF_OPT(ADBE_REVINFO, ocsp, ASN1_ANY, 1),
        ASN1_EXP_SEQUENCE_OF_OPT(ADBE_REVINFO, other, ASN1_ANY, 2),
} ASN1_SEQUENCE_END(ADBE_REVINFO) IMPLEMENT_ASN1_FUNCTIONS(ADBE_REVINFO)

#define VFY_ADBE_REVINFO_OID "1.2.840.113583.1.1.8"
#define VFY_CMS_REV_MAX 64 /* CRLs and OCSP responses taken from one signature */

        void vfy_revdata_load_cms(CMS_ContentInfo * cms, CMS_SignerInfo *si, vfy_revdata *out)
{
    ASN1_OBJECT *oid = OBJ_txt2obj(VFY_ADBE_REVINFO_OID, 1);
    ASN1_STRING *v = NULL;
    ADBE_REVINFO *ri = NULL;
    int i;

    memset(out, 0, sizeof(*out));
    out->crls = CMS_get1_crls(cms);
    if (out->crls == NULL)
        out->crls = sk_X509_CRL_new_null();
    if (oid != NULL && si != NULL)
        v = CMS_signed_get0_data_by_OBJ(si, oid, -3, V_ASN1_SEQUENCE);
    if (v != NULL) {
        const unsigned char *p = ASN1_STRING_get0_data(v);
        ri = d2i_ADBE_REVINFO(NULL, &p, ASN1_STRING_length(v));
    }
    for (i = 0; ri != NULL && out->crls != NULL && i < sk_X509_CRL_num(ri->crl) &&
                sk_X509_CRL_num(out->crls) < VFY_CMS_REV_MAX;
         i++) {
        X509_CRL *c = sk_X509_CRL_value(ri->crl, i);
        if (X509_CRL_up_ref(c) && !sk_X509_CRL_push(out->crls, c))
            X509_CRL_free(c);
    }
    for (i = 0; ri != NULL && i < sk_ASN1_TYPE_num(ri->ocsp) && out->n_ocsps < VFY_CMS_REV_MAX;
         i++) {
        ASN1_TYPE *t = sk_ASN1_TYPE_value(ri->ocsp, i);
        if (t->type == V_ASN1_SEQUENCE)
            add_ocsp_der(out, ASN1_STRING_get0_data(t->value.sequence),
                         (size_t)ASN1_STRING_length(t->value.sequence));
    }
    ADBE_REVINFO_free(ri);
    ASN1_OBJECT_free(oid);
    ERR_clear_error();
}

/* Each stream of the DSS array key, decoded (bounded), passed to fn. */
static void dss_items(pdf_doc *d, const pdf_obj *dss, const char *key, vfy_revdata *rd, int kind)
{
    const pdf_obj *a = pdf_resolve(d, pdf_dict_get(dss, key));
    size_t i;

    if (a == NULL || a->type != PDF_ARRAY)
        return;
    for (i = 0; i < a->u.arr.n && i < VFY_REV_MAX_ITEMS; i++) {
        const pdf_obj *s = pdf_resolve(d, a->u.arr.items[i]);
        unsigned char *buf = NULL;
        size_t len = 0;
        sertel_err e = {0};
        const unsigned char *p;

        if (s == NULL || s->type != PDF_STREAM ||
            pdf_stream_decode(d, s, VFY_REV_MAX_BODY, &buf, &len, &e) != SERTEL_OK) {
            free(buf);
            continue;
        }
        p = buf;
        if (kind == 0) {
            X509 *x = d2i_X509(NULL, &p, (long)len);
            if (x != NULL && !sk_X509_push(rd->certs, x))
                X509_free(x);
        } else if (kind == 1) {
            add_ocsp_der(rd, buf, len);
        } else {
            X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)len);
            if (c != NULL && !sk_X509_CRL_push(rd->crls, c))
                X509_CRL_free(c);
        }
        ERR_clear_error();
        free(buf);
    }
}

void vfy_revdata_load_dss(pdf_doc *d, const pdf_obj *catalog, vfy_revdata *rd)
{
    const pdf_obj *dss = pdf_resolve(d, pdf_dict_get(catalog, "DSS"));

    rd->certs = sk_X509_new_null();
    rd->crls = sk_X509_CRL_new_null();
    if (dss == NULL || dss->type != PDF_DICT || rd->certs == NULL || rd->crls == NULL)
        return;
    rd->have_dss = 1;
    dss_items(d, dss, "Certs", rd, 0);
    dss_items(d, dss, "OCSPs", rd, 1);
    dss_items(d, dss, "CRLs", rd, 2);
}

static int to_time(const ASN1_TIME *t, time_t *out)
{
    struct tm tm;

    if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
        return -1;
    *out = timegm(&tm);
    return 0;
}

const char *vfy_rev_reason_name(int r)
{
    switch (r) {
    case OCSP_REVOKED_STATUS_KEYCOMPROMISE:
        return "keyCompromise";
    case OCSP_REVOKED_STATUS_CACOMPROMISE:
        return "cACompromise";
    case OCSP_REVOKED_STATUS_AFFILIATIONCHANGED:
        return "affiliationChanged";
    case OCSP_REVOKED_STATUS_SUPERSEDED:
        return "superseded";
    case OCSP_REVOKED_STATUS_CESSATIONOFOPERATION:
        return "cessationOfOperation";
    case OCSP_REVOKED_STATUS_CERTIFICATEHOLD:
        return "certificateHold";
    case OCSP_REVOKED_STATUS_REMOVEFROMCRL:
        return "removeFromCRL";
    default:
        return "unspecified";
    }
}

/* 1: the response decided the status of cert (out filled); 0: not about it or not usable. */
static int ocsp_status(OCSP_BASICRESP *bs, X509 *cert, X509 *issuer, STACK_OF(X509) * pool,
                       time_t now, int fetched, vfy_rev_result *out)
{
    const EVP_MD *mds[2] = {EVP_sha1(), EVP_sha256()};
    int k, status = -1, reason = -1, idx = -1;
    ASN1_GENERALIZEDTIME *rev = NULL, *thisu = NULL, *nextu = NULL, *inv = NULL;
    time_t tu = 0, nu = 0;

    for (k = 0; k < 2 && status < 0; k++) {
        OCSP_CERTID *id = OCSP_cert_to_id(mds[k], cert, issuer);
        if (id != NULL &&
            OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisu, &nextu) != 1)
            status = -1;
        if (status >= 0)
            idx = OCSP_resp_find(bs, id, -1);
        OCSP_CERTID_free(id);
    }
    ERR_clear_error();
    if (status < 0)
        return 0;
    if (!cms_ocsp_signed_by(bs, issuer, pool)) {
        snprintf(out->why, sizeof(out->why),
                 "an OCSP response is not signed by the CA or its OCSP responder");
        return 0;
    }
    if (to_time(thisu, &tu) != 0 || tu > now + VFY_REV_SKEW ||
        (nextu != NULL && (to_time(nextu, &nu) != 0 || nu < tu))) {
        snprintf(out->why, sizeof(out->why), "an OCSP response has inconsistent times");
        return 0;
    }
    if (fetched && nextu != NULL && nu + VFY_REV_SKEW < now) {
        snprintf(out->why, sizeof(out->why), "the fetched OCSP response is out of date");
        return 0;
    }
    if (status == V_OCSP_CERTSTATUS_GOOD) {
        out->status = VFY_REV_GOOD;
    } else if (status == V_OCSP_CERTSTATUS_REVOKED) {
        out->status = VFY_REV_REVOKED;
        if (to_time(rev, &out->rev_time) != 0)
            out->rev_time = 0;
        out->reason = reason;
        /* the invalidity date, a singleExtension (RFC 6960 §4.4, RFC 5280 §5.3.2) */
        if (idx >= 0 &&
            (inv = OCSP_SINGLERESP_get1_ext_d2i(OCSP_resp_get0(bs, idx), NID_invalidity_date, NULL,
                                                NULL)) != NULL &&
            to_time(inv, &out->invalidity) != 0)
            out->invalidity = 0;
        ASN1_GENERALIZEDTIME_free(inv);
    } else {
        out->status = VFY_REV_UNKNOWN;
        snprintf(out->why, sizeof(out->why), "the OCSP responder does not know the certificate");
        return 0;
    }
    vfy_iso_time(tu, out->produced);
    return 1;
}

static int crl_status(X509_CRL *crl, X509 *cert, X509 *issuer, time_t now, int fetched,
                      vfy_rev_result *out)
{
    EVP_PKEY *ik = X509_get0_pubkey(issuer);
    X509_REVOKED *rv = NULL;
    time_t tu = 0, nu = 0;

    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) != 0 || ik == NULL)
        return 0;
    if (X509_CRL_verify(crl, ik) != 1) {
        ERR_clear_error();
        snprintf(out->why, sizeof(out->why), "a CRL is not signed by the issuer");
        return 0;
    }
    if (to_time(X509_CRL_get0_lastUpdate(crl), &tu) != 0 || tu > now + VFY_REV_SKEW) {
        snprintf(out->why, sizeof(out->why), "a CRL has a bad thisUpdate");
        return 0;
    }
    if (X509_CRL_get0_nextUpdate(crl) != NULL &&
        (to_time(X509_CRL_get0_nextUpdate(crl), &nu) != 0 || nu < tu ||
         (fetched && nu + VFY_REV_CRL_SLACK < now))) {
        snprintf(out->why, sizeof(out->why), "a CRL is expired or has inconsistent times");
        return 0;
    }
    if (X509_CRL_get0_by_cert(crl, &rv, cert) == 1 && rv != NULL) {
        ASN1_ENUMERATED *re = X509_REVOKED_get_ext_d2i(rv, NID_crl_reason, NULL, NULL);
        ASN1_GENERALIZEDTIME *inv = X509_REVOKED_get_ext_d2i(rv, NID_invalidity_date, NULL, NULL);
        if (inv == NULL || to_time(inv, &out->invalidity) != 0)
            out->invalidity = 0;
        ASN1_GENERALIZEDTIME_free(inv);
        out->status = VFY_REV_REVOKED;
        if (to_time(X509_REVOKED_get0_revocationDate(rv), &out->rev_time) != 0)
            out->rev_time = 0;
        out->reason = re != NULL ? (int)ASN1_ENUMERATED_get(re) : 0;
        ASN1_ENUMERATED_free(re);
    } else {
        out->status = VFY_REV_GOOD;
    }
    ERR_clear_error();
    vfy_iso_time(tu, out->produced);
    return 1;
}

/* --- fetching (lib/cms revfetch.c), then this validator's own checks --- */

/* Keep why from a failed fetch, unless the certificate simply names no such source. */
static void fetch_why(const sertel_err *e, vfy_rev_result *out)
{
    size_t n = strnlen(e->msg, sizeof(out->why) - 1);

    if (e->code != SERTEL_ERR_NOTFOUND && !out->why[0]) {
        memcpy(out->why, e->msg, n); /* cut to fit */
        out->why[n] = '\0';
    }
}

static int fetch_ocsp(cms_fetch_ctx *fx, X509 *cert, X509 *issuer, STACK_OF(X509) * pool,
                      time_t now, vfy_rev_result *out)
{
    unsigned char *der = NULL;
    size_t len = 0;
    vfy_revdata one = {0};
    sertel_err e = {0};
    int done = 0;

    if (cms_fetch_ocsp(fx, cert, issuer, pool, &der, &len, NULL, &e) != SERTEL_OK) {
        fetch_why(&e, out);
        return 0;
    }
    add_ocsp_der(&one, der, len);
    if (one.n_ocsps == 1 && ocsp_status(one.ocsps[0], cert, issuer, pool, now, 1, out))
        done = 1;
    vfy_revdata_free(&one);
    free(der);
    return done;
}

static int fetch_crl(cms_fetch_ctx *fx, X509 *cert, X509 *issuer, time_t now, vfy_rev_result *out)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    size_t len = 0;
    X509_CRL *crl = NULL;
    sertel_err e = {0};
    int done = 0;

    if (cms_fetch_crl(fx, cert, issuer, &der, &len, NULL, &e) != SERTEL_OK) {
        fetch_why(&e, out);
        return 0;
    }
    p = der;
    crl = d2i_X509_CRL(NULL, &p, (long)len);
    if (crl != NULL && crl_status(crl, cert, issuer, now, 1, out))
        done = 1;
    X509_CRL_free(crl);
    free(der);
    ERR_clear_error();
    return done;
}

static int home_cmp(const void *a, const void *b)
{
    return memcmp(((const vfy_home_cert *)a)->sha256, ((const vfy_home_cert *)b)->sha256, 32);
}

void vfy_home_sort(vfy_home_cert *h, size_t n)
{
    if (h != NULL && n > 1)
        qsort(h, n, sizeof(*h), home_cmp);
}

/* The home's record of cert (rd->home): 1 and out filled when it has one. */
static int home_status(const vfy_revdata *rd, X509 *cert, vfy_rev_result *out)
{
    vfy_home_cert key;
    const vfy_home_cert *h;
    unsigned int len = 0;

    if (rd == NULL || rd->home == NULL || rd->n_home == 0 ||
        !X509_digest(cert, EVP_sha256(), key.sha256, &len) || len != 32) {
        ERR_clear_error();
        return 0;
    }
    h = bsearch(&key, rd->home, rd->n_home, sizeof(*h), home_cmp);
    if (h == NULL)
        return 0;
    out->status = h->revoked ? VFY_REV_REVOKED : VFY_REV_GOOD;
    out->rev_time = h->revoked ? (time_t)h->rev_time : 0;
    out->invalidity = h->revoked ? (time_t)h->invalidity : 0;
    out->reason = h->revoked ? h->reason : 0;
    out->why[0] = '\0';
    snprintf(out->source, sizeof(out->source), "home database");
    return 1;
}

/* The first embedded status of cert: the DSS's OCSP responses and CRLs, then the CMS's. */
static int embedded_status(const vfy_revdata *rd, const vfy_revdata *cms, STACK_OF(X509) * pool,
                           X509 *cert, X509 *issuer, time_t now, vfy_rev_result *out)
{
    size_t i;
    int k;

    for (i = 0; rd != NULL && i < rd->n_ocsps; i++)
        if (ocsp_status(rd->ocsps[i], cert, issuer, pool, now, 0, out)) {
            snprintf(out->source, sizeof(out->source), "DSS OCSP");
            return 1;
        }
    for (k = 0; rd != NULL && rd->crls != NULL && k < sk_X509_CRL_num(rd->crls); k++)
        if (crl_status(sk_X509_CRL_value(rd->crls, k), cert, issuer, now, 0, out)) {
            snprintf(out->source, sizeof(out->source), "DSS CRL");
            return 1;
        }
    for (i = 0; cms != NULL && i < cms->n_ocsps; i++)
        if (ocsp_status(cms->ocsps[i], cert, issuer, pool, now, 0, out)) {
            snprintf(out->source, sizeof(out->source), "CMS OCSP");
            return 1;
        }
    for (k = 0; cms != NULL && cms->crls != NULL && k < sk_X509_CRL_num(cms->crls); k++)
        if (crl_status(sk_X509_CRL_value(cms->crls, k), cert, issuer, now, 0, out)) {
            snprintf(out->source, sizeof(out->source), "CMS CRL");
            return 1;
        }
    return 0;
}

void vfy_rev_check(const vfy_revdata *rd, const vfy_revdata *cms, STACK_OF(X509) * pool, X509 *cert,
                   X509 *issuer, cms_fetch_ctx *fx, time_t now, vfy_rev_result *out)
{
    vfy_rev_result emb, cur;
    int have_emb, nocheck = X509_get_ext_by_NID(cert, NID_id_pkix_OCSP_noCheck, -1) >= 0;

    memset(out, 0, sizeof(*out));
    memset(&emb, 0, sizeof(emb));
    emb.status = VFY_REV_UNKNOWN;
    have_emb = embedded_status(rd, cms, pool, cert, issuer, now, &emb);
    /* Embedded data is what the document proves (B-LT); a revocation it holds stands. */
    if (have_emb && emb.status == VFY_REV_REVOKED) {
        *out = emb;
        out->nocheck = nocheck;
        out->embedded = 1;
        return;
    }
    /* The current status: online (the document's data may be older), else the home's record,
     * which is authoritative for the certificates it issued, offline too: it decides when the
     * document embeds nothing or when it knows of a revocation (an embedded "good" it agrees
     * with stays the document's own evidence). */
    memset(&cur, 0, sizeof(cur));
    cur.status = VFY_REV_UNKNOWN;
    if (fx != NULL && fetch_ocsp(fx, cert, issuer, pool, now, &cur)) {
        snprintf(cur.source, sizeof(cur.source), "online OCSP");
    } else if (fx != NULL && fetch_crl(fx, cert, issuer, now, &cur)) {
        snprintf(cur.source, sizeof(cur.source), "online CRL");
    } else if (!home_status(rd, cert, &cur) || (have_emb && cur.status == VFY_REV_GOOD)) {
        cur.status = VFY_REV_UNKNOWN;
        cur.source[0] = '\0';
    }
    if (cur.status != VFY_REV_UNKNOWN)
        *out = cur;
    else if (have_emb)
        *out = emb;
    else {
        *out = cur;
        if (emb.why[0])
            memcpy(out->why, emb.why, sizeof(out->why));
        else if (!out->why[0])
            snprintf(out->why, sizeof(out->why), "%s",
                     fx == NULL ? "no embedded revocation data (offline)"
                                : "no revocation data embedded or obtainable online");
    }
    out->nocheck = nocheck;
    out->embedded = have_emb;
}
