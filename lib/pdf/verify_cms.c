/*
 * verify_cms.c - the CMS half of signature validation: the SignedData is
 * decoded (bounded), the message-digest compared with a digest computed by
 * the caller's source (the PDF's ByteRange or a detached file, streamed),
 * the signature value verified over the signed attributes, the signature
 * time-stamp (RFC 3161) checked over the signature value, and the signer's
 * chain built at the proven time. Results go into a vfy_sig.
 */
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/verify_int.h"
#include "util/fs.h"
#include "util/hex.h"

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);

    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

static void push(char ***arr, size_t *n, const char *fmt, va_list ap)
{
    char tmp[512];
    char **na;

    if (*n >= VFY_MAX_CHANGES)
        return;
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    na = realloc(*arr, (*n + 1) * sizeof(*na));
    if (na == NULL)
        return;
    *arr = na;
    na[*n] = xstrdup(tmp);
    if (na[*n] != NULL)
        (*n)++;
}

void vfy_note(vfy_sig *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    push(&s->reasons, &s->n_reasons, fmt, ap);
    va_end(ap);
}

void vfy_change(vfy_sig *s, int harmless, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (harmless) {
        push(&s->harmless, &s->n_harmless, fmt, ap);
    } else {
        push(&s->changes, &s->n_changes, fmt, ap);
        s->modified_after_signing = 1;
    }
    va_end(ap);
}

void vfy_report_note(vfy_report *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    push(&r->notes, &r->n_notes, fmt, ap);
    va_end(ap);
}

void vfy_set(vfy_sig *s, vfy_conclusion c, const char *sub, const char *fmt, ...)
{
    va_list ap;
    int first = 0;

    if (c > s->conclusion || (c == s->conclusion && s->sub_indication[0] == '\0')) {
        s->conclusion = c;
        snprintf(s->sub_indication, sizeof(s->sub_indication), "%s", sub);
        first = 1;
    }
    va_start(ap, fmt);
    push(&s->reasons, &s->n_reasons, fmt, ap);
    va_end(ap);
    if (first && s->n_reasons > 1) { /* the deciding reason comes first */
        char *last = s->reasons[s->n_reasons - 1];
        memmove(s->reasons + 1, s->reasons, (s->n_reasons - 1) * sizeof(*s->reasons));
        s->reasons[0] = last;
    }
}

void vfy_iso_time(time_t t, char out[40])
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        out[0] = '\0';
}

static void name_str(const X509_NAME *n, char *out, size_t cap)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p;
    long len;

    out[0] = '\0';
    if (b == NULL)
        return;
    if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        len = BIO_get_mem_data(b, &p);
        if (len > 0) {
            size_t l = (size_t)len < cap - 1 ? (size_t)len : cap - 1;
            memcpy(out, p, l);
            out[l] = '\0';
        }
    }
    BIO_free(b);
}

static void cn_str(const X509_NAME *n, char *out, size_t cap)
{
    int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
    unsigned char *u = NULL;
    int l;

    out[0] = '\0';
    if (i < 0)
        return;
    l = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)));
    if (l > 0)
        snprintf(out, cap, "%.*s", l, (const char *)u);
    OPENSSL_free(u);
}

static int asn1_time_t(const ASN1_TIME *t, time_t *out);

/* The validity of x as ISO 8601 UTC strings ("" when unreadable). */
static void validity_str(X509 *x, char from[40], char to[40])
{
    time_t t;

    from[0] = to[0] = '\0';
    if (asn1_time_t(X509_get0_notBefore(x), &t) == 0)
        vfy_iso_time(t, from);
    if (asn1_time_t(X509_get0_notAfter(x), &t) == 0)
        vfy_iso_time(t, to);
}

static void describe_signer(X509 *x, vfy_sig *s)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

    validity_str(x, s->signer_not_before, s->signer_not_after);
    cn_str(X509_get_subject_name(x), s->signer_name, sizeof(s->signer_name));
    name_str(X509_get_subject_name(x), s->signer_subject, sizeof(s->signer_subject));
    name_str(X509_get_issuer_name(x), s->signer_issuer, sizeof(s->signer_issuer));
    if (hex != NULL)
        snprintf(s->signer_serial, sizeof(s->signer_serial), "%s", hex);
    OPENSSL_free(hex);
    BN_free(bn);
}

static int asn1_time_t(const ASN1_TIME *t, time_t *out)
{
    struct tm tm;

    if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
        return -1;
    *out = timegm(&tm);
    return 0;
}

/* Key usage fit for signing documents; EKU, when present, must allow it. */
static void check_usage(X509 *x, vfy_sig *s)
{
    uint32_t fl = X509_get_extension_flags(x);
    EXTENDED_KEY_USAGE *eku;
    int ok = 0, i;

    if ((fl & EXFLAG_KUSAGE) &&
        !(X509_get_key_usage(x) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
        vfy_set(s, VFY_INDETERMINATE, "CHAIN_CONSTRAINTS_FAILURE",
                "the signer's certificate does not allow digital signatures (key usage)");
        return;
    }
    if (!(fl & EXFLAG_XKUSAGE))
        return;
    eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
    for (i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++) {
        char oid[80];
        ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
        int nid = OBJ_obj2nid(o);
        OBJ_obj2txt(oid, sizeof(oid), o, 1);
        if (nid == NID_email_protect || nid == NID_anyExtendedKeyUsage || nid == NID_code_sign ||
            strcmp(oid, "1.3.6.1.5.5.7.3.36") == 0 ||      /* id-kp-documentSigning */
            strcmp(oid, "1.3.6.1.4.1.311.10.3.12") == 0 || /* MS document signing */
            strcmp(oid, "1.2.840.113583.1.1.5") == 0)      /* Adobe authentic documents */
            ok = 1;
    }
    EXTENDED_KEY_USAGE_free(eku);
    if (!ok)
        vfy_set(s, VFY_INDETERMINATE, "CHAIN_CONSTRAINTS_FAILURE",
                "the signer's certificate is not for document signing (extended key usage)");
}

static X509_STORE *make_store(const vfy_opts *o)
{
    X509_STORE *st = X509_STORE_new();
    int i;

    if (st == NULL)
        return NULL;
    for (i = 0; o->trust != NULL && i < sk_X509_num(o->trust); i++)
        X509_STORE_add_cert(st, sk_X509_value(o->trust, i));
    if (o->at != 0) /* verify --at: time-stamp tokens' chains are checked then too */
        X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(st), o->at);
    return st;
}

/* The signature time-stamp: a TimeStampToken whose imprint is over the signature value. */
static int check_tst(const ASN1_STRING *seq, const ASN1_OCTET_STRING *sigval, X509_STORE *st,
                     STACK_OF(X509) * extra, vfy_sig *s, time_t *gen, X509 **tsa_out)
{
    const unsigned char *p = ASN1_STRING_get0_data(seq);
    PKCS7 *p7 = d2i_PKCS7(NULL, &p, ASN1_STRING_length(seq));
    TS_VERIFY_CTX *vc = NULL;
    TS_TST_INFO *ti = NULL;
    STACK_OF(X509) *certs = NULL;
    BIO *data = NULL;
    int ok = 0;

    if (p7 == NULL || p != ASN1_STRING_get0_data(seq) + ASN1_STRING_length(seq)) {
        vfy_note(s, "the signature time-stamp is not a DER TimeStampToken");
        goto out;
    }
    ti = PKCS7_to_TS_TST_INFO(p7);
    vc = TS_VERIFY_CTX_new();
    data = BIO_new_mem_buf(ASN1_STRING_get0_data(sigval), ASN1_STRING_length(sigval));
    certs = extra != NULL ? X509_chain_up_ref(extra) : sk_X509_new_null();
    if (ti == NULL || vc == NULL || data == NULL || certs == NULL || !X509_STORE_up_ref(st)) {
        vfy_note(s, "the signature time-stamp cannot be read");
        goto out;
    }
    TS_VERIFY_CTX_set_flags(vc, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA);
    TS_VERIFY_CTX_set_store(vc, st);
    TS_VERIFY_CTX_set_certs(vc, certs);
    certs = NULL;
    TS_VERIFY_CTX_set_data(vc, data);
    data = NULL;
    if (TS_RESP_verify_token(vc, p7) != 1) {
        unsigned long e = ERR_peek_last_error();
        vfy_note(s, "the signature time-stamp does not verify (%s)",
                 e ? ERR_reason_error_string(e) : "unknown");
        ERR_clear_error();
        goto out;
    }
    if (asn1_time_t(TS_TST_INFO_get_time(ti), gen) != 0) {
        vfy_note(s, "the signature time-stamp has no readable time");
        goto out;
    }
    {
        STACK_OF(PKCS7_SIGNER_INFO) *sis = PKCS7_get_signer_info(p7);
        PKCS7_SIGNER_INFO *psi = sis != NULL ? sk_PKCS7_SIGNER_INFO_value(sis, 0) : NULL;
        STACK_OF(X509) *pc = PKCS7_type_is_signed(p7) ? p7->d.sign->cert : NULL;
        X509 *tsa = NULL;
        if (psi != NULL && pc != NULL)
            tsa = X509_find_by_issuer_and_serial(pc, psi->issuer_and_serial->issuer,
                                                 psi->issuer_and_serial->serial);
        if (tsa == NULL && psi != NULL && extra != NULL)
            tsa = X509_find_by_issuer_and_serial(extra, psi->issuer_and_serial->issuer,
                                                 psi->issuer_and_serial->serial);
        if (tsa != NULL) {
            name_str(X509_get_subject_name(tsa), s->timestamp_tsa, sizeof(s->timestamp_tsa));
            validity_str(tsa, s->tsa_not_before, s->tsa_not_after);
            if (X509_up_ref(tsa))
                *tsa_out = tsa;
        }
    }
    ok = 1;
out:
    sk_X509_pop_free(certs, X509_free);
    BIO_free(data);
    TS_VERIFY_CTX_free(vc);
    TS_TST_INFO_free(ti);
    PKCS7_free(p7);
    return ok;
}

/* Map an X509_verify_cert error to a conclusion. */
static void chain_error(vfy_sig *s, int e, int have_tst)
{
    const char *what = X509_verify_cert_error_string(e);

    switch (e) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        snprintf(s->certificate_status, sizeof(s->certificate_status), "untrusted");
        vfy_set(s, VFY_INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND",
                "no chain to a trust anchor (%s); give the issuer with --trust or --home", what);
        break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        snprintf(s->certificate_status, sizeof(s->certificate_status), "expired");
        vfy_set(s, VFY_INDETERMINATE,
                have_tst ? "OUT_OF_BOUNDS_NOT_REVOKED" : "OUT_OF_BOUNDS_NO_POE",
                "a certificate of the chain was not valid at the %s (%s)",
                have_tst ? "time-stamped signing time" : "validation time (no time-stamp)", what);
        break;
    case X509_V_ERR_CERT_REVOKED:
        snprintf(s->certificate_status, sizeof(s->certificate_status), "revoked");
        snprintf(s->revocation, sizeof(s->revocation), "revoked");
        vfy_set(s, VFY_INDETERMINATE, "REVOKED_NO_POE",
                "a certificate of the chain is revoked (embedded CRL)");
        break;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
        vfy_set(s, VFY_INDETERMINATE, "TRY_LATER", "no embedded CRL for the chain (%s)", what);
        break;
    default:
        snprintf(s->certificate_status, sizeof(s->certificate_status), "invalid");
        vfy_set(s, VFY_INDETERMINATE, "CHAIN_CONSTRAINTS_FAILURE",
                "the certificate chain does not verify (%s)", what);
    }
}

static int has_signed_attr(CMS_SignerInfo *si, int nid)
{
    return CMS_signed_get_attr_by_NID(si, nid, -1) >= 0;
}

/* The entries of a DER SEQUENCE (whole encoding in seq), or NULL when it is not one exactly. */
static STACK_OF(ASN1_TYPE) * seq_items(const ASN1_STRING *seq)
{
    const unsigned char *p = ASN1_STRING_get0_data(seq);
    long len = ASN1_STRING_length(seq);
    STACK_OF(ASN1_TYPE) *items = d2i_ASN1_SEQUENCE_ANY(NULL, &p, len);

    if (items != NULL && p != ASN1_STRING_get0_data(seq) + len) {
        sk_ASN1_TYPE_pop_free(items, ASN1_TYPE_free);
        items = NULL;
    }
    return items;
}

/*
 * Whether an ESSCertID (v1: SHA-1, RFC 2634 §5.4.1) or ESSCertIDv2 (its
 * hashAlgorithm, SHA-256 by default, RFC 5035 §4) names cert: the hash of
 * its DER and, when present, its issuer (one directoryName) and serial.
 * -1 for an entry that cannot be read.
 */
static int cert_id_names(const ASN1_STRING *id, int v2, X509 *cert)
{
    STACK_OF(ASN1_TYPE) *f = seq_items(id), *is = NULL;
    GENERAL_NAMES *gn = NULL;
    X509_ALGOR *alg = NULL;
    const EVP_MD *md = v2 ? EVP_sha256() : EVP_sha1();
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int hl = 0;
    ASN1_TYPE *t;
    int k = 0, ok = -1;

    if (f == NULL)
        goto out;
    t = sk_ASN1_TYPE_value(f, k);
    if (v2 && t != NULL && t->type == V_ASN1_SEQUENCE) {
        const unsigned char *p = ASN1_STRING_get0_data(t->value.sequence);
        alg = d2i_X509_ALGOR(NULL, &p, ASN1_STRING_length(t->value.sequence));
        md = alg != NULL ? EVP_get_digestbyobj(alg->algorithm) : NULL;
        t = sk_ASN1_TYPE_value(f, ++k);
    }
    if (md == NULL || t == NULL || t->type != V_ASN1_OCTET_STRING || !X509_digest(cert, md, h, &hl))
        goto out;
    ok = (int)hl == ASN1_STRING_length(t->value.octet_string) &&
         CRYPTO_memcmp(h, ASN1_STRING_get0_data(t->value.octet_string), hl) == 0;
    t = sk_ASN1_TYPE_value(f, ++k);
    if (ok && t != NULL) { /* issuerSerial: IssuerSerial ::= SEQUENCE { GeneralNames, INTEGER } */
        ASN1_TYPE *n, *ser;
        GENERAL_NAME *g;
        ok = -1;
        if (t->type != V_ASN1_SEQUENCE || (is = seq_items(t->value.sequence)) == NULL ||
            sk_ASN1_TYPE_num(is) != 2 || (n = sk_ASN1_TYPE_value(is, 0))->type != V_ASN1_SEQUENCE ||
            (ser = sk_ASN1_TYPE_value(is, 1))->type != V_ASN1_INTEGER)
            goto out;
        {
            const unsigned char *p = ASN1_STRING_get0_data(n->value.sequence);
            gn = d2i_GENERAL_NAMES(NULL, &p, ASN1_STRING_length(n->value.sequence));
        }
        if (gn == NULL)
            goto out;
        g = sk_GENERAL_NAME_num(gn) == 1 ? sk_GENERAL_NAME_value(gn, 0) : NULL;
        ok = g != NULL && g->type == GEN_DIRNAME &&
             X509_NAME_cmp(g->d.directoryName, X509_get_issuer_name(cert)) == 0 &&
             ASN1_INTEGER_cmp(ser->value.integer, X509_get0_serialNumber(cert)) == 0;
    }
out:
    GENERAL_NAMES_free(gn);
    X509_ALGOR_free(alg);
    sk_ASN1_TYPE_pop_free(is, ASN1_TYPE_free);
    sk_ASN1_TYPE_pop_free(f, ASN1_TYPE_free);
    ERR_clear_error();
    return ok;
}

/*
 * The signing-certificate attribute: signing-certificate-v2 (RFC 5035),
 * else the old signing-certificate (RFC 2634, SHA-1), as pyHanko reads
 * them. One of its ESSCertIDs must name the signer's certificate (RFC 5035
 * wants it first; the others may name CA certificates): else the signer
 * is not the certificate the signature commits to,
 * INDETERMINATE / NO_SIGNING_CERTIFICATE_FOUND (EN 319 102-1 §5.2.3).
 */
static void check_signing_cert(CMS_SignerInfo *si, X509 *signer, vfy_sig *s)
{
    int v2 = 1, idx = CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1);
    X509_ATTRIBUTE *a;
    ASN1_TYPE *t, *ids;
    STACK_OF(ASN1_TYPE) *top = NULL, *list = NULL;
    const char *name;
    int i, found = 0, bad = 0;

    if (idx < 0) {
        v2 = 0;
        idx = CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificate, -1);
        if (idx < 0)
            return;
    }
    name = v2 ? "signing-certificate-v2" : "signing-certificate";
    a = CMS_signed_get_attr(si, idx);
    t = X509_ATTRIBUTE_count(a) == 1 ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
    if (t == NULL || t->type != V_ASN1_SEQUENCE || (top = seq_items(t->value.sequence)) == NULL ||
        sk_ASN1_TYPE_num(top) < 1 || (ids = sk_ASN1_TYPE_value(top, 0))->type != V_ASN1_SEQUENCE ||
        (list = seq_items(ids->value.sequence)) == NULL || sk_ASN1_TYPE_num(list) < 1) {
        vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE", "malformed %s attribute", name);
        goto out;
    }
    for (i = 0; i < sk_ASN1_TYPE_num(list) && i < 64 && !found; i++) {
        ASN1_TYPE *e = sk_ASN1_TYPE_value(list, i);
        int r = e->type == V_ASN1_SEQUENCE ? cert_id_names(e->value.sequence, v2, signer) : -1;
        if (r > 0)
            found = 1;
        else if (r < 0)
            bad = 1;
    }
    if (!found)
        vfy_set(s, VFY_INDETERMINATE, "NO_SIGNING_CERTIFICATE_FOUND",
                "the %s attribute does not name the signer's certificate%s", name,
                bad ? " (an entry cannot be read)" : "");
    else if (i > 1)
        vfy_note(s, "the %s attribute names the signer's certificate in entry %d, not first", name,
                 i);
out:
    sk_ASN1_TYPE_pop_free(list, ASN1_TYPE_free);
    sk_ASN1_TYPE_pop_free(top, ASN1_TYPE_free);
}

typedef struct chain_rev {
    int unknown;      /* certificates without status (and without ocsp-nocheck) */
    int all_embedded; /* every status came from the DSS or the CMS */
    vfy_rev_result leaf;
    time_t ca_revoked; /* earliest revocation of a CA of the chain, 0: none */
    char unknown_why[200];
} chain_rev;

/* Name in s each fetch fx declined or cut short since the first `from` (once per signature). */
static void note_skipped(cms_fetch_ctx *fx, size_t from, vfy_sig *s)
{
    size_t i, k;

    for (i = from; fx != NULL && i < cms_fetch_ctx_skip_count(fx); i++) {
        const char *m = cms_fetch_ctx_skip(fx, i);
        for (k = 0; k < s->n_reasons && strcmp(s->reasons[k], m) != 0; k++)
            ;
        if (k == s->n_reasons)
            vfy_note(s, "%s", m);
    }
}

/*
 * Revocation of every certificate of chain but the last (the trust
 * anchor). chain must have been proven to end at an anchor: only then may
 * its certificates' URLs be fetched (through fx; NULL: offline).
 */
static void check_chain_rev(cms_fetch_ctx *fx, const vfy_revdata *rd, const vfy_revdata *crls,
                            STACK_OF(X509) * pool, STACK_OF(X509) * chain, int tsa, time_t now,
                            vfy_sig *s, chain_rev *cr)
{
    int i, n = sk_X509_num(chain);
    size_t skipped = fx != NULL ? cms_fetch_ctx_skip_count(fx) : 0;

    memset(cr, 0, sizeof(*cr));
    cr->all_embedded = 1;
    for (i = 0; i + 1 < n; i++) {
        X509 *x = sk_X509_value(chain, i);
        vfy_rev_result r;
        vfy_certrev *e =
            s->n_chain_rev < VFY_MAX_CHAIN_REV ? &s->chain_rev[s->n_chain_rev++] : NULL;

        vfy_rev_check(rd, crls, pool, x, sk_X509_value(chain, i + 1), fx, now, &r);
        if (i == 0)
            cr->leaf = r;
        if (e != NULL) {
            memset(e, 0, sizeof(*e));
            snprintf(e->role, sizeof(e->role), "%s",
                     tsa ? (i ? "tsa-ca" : "tsa") : (i ? "ca" : "signer"));
            name_str(X509_get_subject_name(x), e->subject, sizeof(e->subject));
            snprintf(e->source, sizeof(e->source), "%s", r.source);
            snprintf(e->status, sizeof(e->status), "%s",
                     r.status == VFY_REV_GOOD      ? "good"
                     : r.status == VFY_REV_REVOKED ? "revoked"
                     : r.nocheck                   ? "not needed"
                                                   : "unknown");
            if (r.status == VFY_REV_REVOKED) {
                vfy_iso_time(r.rev_time, e->time);
                snprintf(e->reason, sizeof(e->reason), "%s", vfy_rev_reason_name(r.reason));
            }
        }
        if (r.status == VFY_REV_UNKNOWN && !r.nocheck) {
            cr->unknown++;
            if (!cr->unknown_why[0])
                snprintf(cr->unknown_why, sizeof(cr->unknown_why), "%s", r.why);
        }
        if (!r.embedded && !(r.status == VFY_REV_UNKNOWN && r.nocheck))
            cr->all_embedded = 0;
        if (i > 0 && r.status == VFY_REV_REVOKED &&
            (cr->ca_revoked == 0 || r.rev_time < cr->ca_revoked))
            cr->ca_revoked = r.rev_time ? r.rev_time : 1;
    }
    note_skipped(fx, skipped, s);
}

/* The chain of x at time t from the store and the pool; NULL when it does not verify. */
static STACK_OF(X509) * build_chain(X509_STORE *st, X509 *x, STACK_OF(X509) * pool, time_t t)
{
    X509_STORE_CTX *xc = X509_STORE_CTX_new();
    STACK_OF(X509) *chain = NULL;

    if (xc != NULL && X509_STORE_CTX_init(xc, st, x, pool)) {
        X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(xc), t);
        if (X509_verify_cert(xc) == 1)
            chain = X509_STORE_CTX_get1_chain(xc);
    }
    ERR_clear_error();
    X509_STORE_CTX_free(xc);
    return chain;
}

/*
 * Fill the report's revocation fields of s from l; on revocation rt gets
 * the time (ISO 8601) and 1 is returned for the caller to judge it.
 */
static int report_revocation(vfy_sig *s, const vfy_rev_result *l, int offline, char rt[40])
{
    snprintf(s->revocation_source, sizeof(s->revocation_source), "%s", l->source);
    if (l->status == VFY_REV_REVOKED) {
        vfy_iso_time(l->rev_time, rt);
        snprintf(s->revocation_time, sizeof(s->revocation_time), "%s", rt);
        snprintf(s->revocation_reason, sizeof(s->revocation_reason), "%s",
                 vfy_rev_reason_name(l->reason));
        snprintf(s->revocation, sizeof(s->revocation), "revoked");
        snprintf(s->certificate_status, sizeof(s->certificate_status), "revoked");
        return 1;
    }
    if (l->status == VFY_REV_GOOD)
        snprintf(s->revocation, sizeof(s->revocation), "good");
    else if (l->nocheck)
        snprintf(s->revocation, sizeof(s->revocation), "not needed (ocsp-nocheck)");
    else
        snprintf(s->revocation, sizeof(s->revocation),
                 offline ? "not checked (offline)" : "unknown");
    return 0;
}

/*
 * The signer's chain: revocation and its conclusion (see verify.h), as of
 * the validation time vt (the clock now for the freshness of fetched data).
 */
static void check_signer_rev(const vfy_opts *o, cms_fetch_ctx *fx, const vfy_revdata *rd,
                             const vfy_revdata *crls, STACK_OF(X509) * pool, STACK_OF(X509) * chain,
                             int have_tst, time_t gen, time_t now, time_t vt, vfy_sig *s, int *lt)
{
    chain_rev cr;
    const vfy_rev_result *l = &cr.leaf;
    char rt[40] = "", tt[40] = "";

    check_chain_rev(fx, rd, crls, pool, chain, 0, now, s, &cr);
    if (!cr.all_embedded || cr.unknown > 0)
        *lt = 0;
    vfy_iso_time(gen, tt);
    if (report_revocation(s, l, o->offline, rt)) {
        if (l->invalidity != 0)
            vfy_iso_time(l->invalidity, s->revocation_invalidity);
        if (o->at != 0 && l->rev_time > vt) {
            /* verify --at before the revocation: the certificate was not revoked then */
            snprintf(s->certificate_status, sizeof(s->certificate_status), "valid");
            vfy_note(s,
                     "the signer's certificate was revoked at %s (%s, %s), after the validation "
                     "time: it was not revoked then",
                     rt, s->revocation_reason, l->source);
        } else if (have_tst && l->rev_time > gen)
            vfy_note(s,
                     "the signer's certificate is now revoked: revoked at %s (%s%s%s, %s), after "
                     "the time-stamped signing time %s: the signature was made before the "
                     "revocation and stays valid",
                     rt, s->revocation_reason, l->invalidity ? ", invalid since " : "",
                     l->invalidity ? s->revocation_invalidity : "", l->source, tt);
        else if (have_tst)
            /* EN 319 102-1 §5.6.2.1: the time-stamp proves the signature existed at its time,
             * not that it was made before the revocation */
            vfy_set(s, VFY_INDETERMINATE, "REVOKED_NO_POE",
                    "the signer's certificate was revoked at %s (%s, %s), before the signature "
                    "time-stamp %s: no proof that the signature existed before the revocation",
                    rt, s->revocation_reason, l->source, tt);
        else
            vfy_set(s, VFY_INDETERMINATE, "REVOKED_NO_POE",
                    "the signer's certificate was revoked at %s (%s, %s) and no time-stamp "
                    "proves the signature existed before",
                    rt, s->revocation_reason, l->source);
    }
    if (cr.ca_revoked != 0 && (!have_tst || cr.ca_revoked <= gen))
        vfy_set(s, VFY_INDETERMINATE, "REVOKED_CA_NO_POE",
                "a CA of the signer's chain was revoked before the signing time was proven");
    else if (cr.ca_revoked != 0)
        vfy_note(s, "a CA of the signer's chain was revoked after the time-stamped signing time");
    if (cr.unknown > 0)
        vfy_set(s, VFY_INDETERMINATE, "TRY_LATER",
                "no revocation status for the signer's chain%s: %s", o->offline ? " (offline)" : "",
                cr.unknown_why);
}

/* The signed data of an adbe.pkcs7.sha1 signature: the 20-byte digest the CMS carries. */
typedef struct mem_src {
    const unsigned char *p;
    size_t len;
} mem_src;

static int digest_mem(void *arg, const EVP_MD *md, unsigned char *out, unsigned int *len)
{
    const mem_src *m = arg;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c != NULL && EVP_DigestInit_ex(c, md, NULL) && EVP_DigestUpdate(c, m->p, m->len) &&
             vfy_md_final(c, out, len);

    EVP_MD_CTX_free(c);
    return ok ? 0 : -1;
}

size_t vfy_md_len(const EVP_MD *md)
{
    if (md == NULL)
        return 0;
    if (EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF)
        return EVP_MD_is_a(md, "SHAKE128") ? 32 : 64;
    return (size_t)EVP_MD_get_size(md);
}

int vfy_md_final(EVP_MD_CTX *c, unsigned char *out, unsigned int *len)
{
    const EVP_MD *md = EVP_MD_CTX_get0_md(c);

    if (md != NULL && (EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF)) {
        size_t n = vfy_md_len(md);
        if (!EVP_DigestFinalXOF(c, out, n))
            return 0;
        *len = (unsigned int)n;
        return 1;
    }
    return EVP_DigestFinal_ex(c, out, len);
}

/*
 * A signature value without signed attributes, over the digest dig of the
 * content (RFC 5652 §5.6): RSA PKCS#1 v1.5 (the digest in a DigestInfo)
 * and ECDSA, with the signer's public key. 1 when it verifies.
 */
static int verify_digest(CMS_SignerInfo *si, X509 *signer, const EVP_MD *md,
                         const unsigned char *dig, unsigned int dlen)
{
    ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
    EVP_PKEY *pk = X509_get0_pubkey(signer);
    X509_ALGOR *salg = NULL;
    EVP_PKEY_CTX *c;
    int ok = 0, nid;

    CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &salg);
    nid = salg != NULL ? OBJ_obj2nid(salg->algorithm) : NID_undef;
    if (sv == NULL || pk == NULL || nid == NID_rsassaPss)
        return 0; /* RSASSA-PSS needs its parameters: not without signed attributes */
    c = EVP_PKEY_CTX_new(pk, NULL);
    if (c != NULL && EVP_PKEY_verify_init(c) > 0 && EVP_PKEY_CTX_set_signature_md(c, md) > 0 &&
        (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA ||
         EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) > 0))
        ok = EVP_PKEY_verify(c, ASN1_STRING_get0_data(sv), (size_t)ASN1_STRING_length(sv), dig,
                             dlen) == 1;
    EVP_PKEY_CTX_free(c);
    return ok;
}

/*
 * An EdDSA signature value over the signed attributes (RFC 8419 §3: pure
 * Ed25519 / Ed448 over their DER encoding as a SET OF, in the order
 * received, as CMS_SignerInfo_verify re-encodes them; OpenSSL 3.0's CMS
 * cannot verify EdDSA itself). 1 when it verifies.
 */
static int verify_eddsa(CMS_SignerInfo *si, X509 *signer)
{
    ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
    EVP_PKEY *pk = X509_get0_pubkey(signer);
    EVP_MD_CTX *c = NULL;
    unsigned char *buf = NULL, *p;
    size_t total = 0, hl, k;
    int n = CMS_signed_get_attr_count(si), i, ok = 0;

    for (i = 0; i < n; i++) {
        int l = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), NULL);
        if (l <= 0 || total > VFY_MAX_CMS)
            return 0;
        total += (size_t)l;
    }
    hl = total < 0x80 ? 2 : total < 0x100 ? 3 : total < 0x10000 ? 4 : 5;
    if (sv == NULL || pk == NULL || (buf = malloc(hl + total)) == NULL)
        return 0;
    buf[0] = 0x31; /* SET OF */
    if (hl == 2) {
        buf[1] = (unsigned char)total;
    } else {
        buf[1] = (unsigned char)(0x80 | (hl - 2));
        for (k = 0; k < hl - 2; k++)
            buf[2 + k] = (unsigned char)(total >> (8 * (hl - 3 - k)));
    }
    p = buf + hl;
    for (i = 0; i < n; i++)
        i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &p);
    c = EVP_MD_CTX_new();
    ok = c != NULL && (size_t)(p - buf) == hl + total &&
         EVP_DigestVerifyInit_ex(c, NULL, NULL, NULL, NULL, pk, NULL) == 1 &&
         EVP_DigestVerify(c, ASN1_STRING_get0_data(sv), (size_t)ASN1_STRING_length(sv), buf,
                          hl + total) == 1;
    EVP_MD_CTX_free(c);
    free(buf);
    ERR_clear_error();
    return ok;
}

/*
 * Whether sertel can check a signature value made with the algorithm salg
 * by the key pk: RSA (PKCS#1 v1.5, PSS), ECDSA (DER-encoded, RFC 5753),
 * DSA, Ed25519, Ed448. Others (plain-format ECDSA, BSI TR-03111, for one)
 * cannot be told valid or invalid.
 */
static int sig_alg_supported(const X509_ALGOR *salg, EVP_PKEY *pk)
{
    int nid = salg != NULL ? OBJ_obj2nid(salg->algorithm) : NID_undef, dnid, pknid;

    if (pk == NULL)
        return 0;
    switch (nid) {
    case NID_rsaEncryption:
    case NID_rsassaPss:
        return EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA ||
               EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA_PSS;
    case NID_X9_62_id_ecPublicKey:
        return EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC;
    case NID_ED25519:
    case NID_ED448:
        return EVP_PKEY_get_base_id(pk) == nid;
    case NID_undef:
        return 0;
    default:
        return OBJ_find_sigid_algs(nid, &dnid, &pknid) &&
               (pknid == NID_rsaEncryption || pknid == NID_X9_62_id_ecPublicKey ||
                pknid == NID_dsa);
    }
}

int vfy_check_cms(const unsigned char *der, size_t len, vfy_digest_fn dfn, void *darg,
                  const vfy_opts *o, const vfy_revdata *rd, cms_fetch_ctx *fx, vfy_sig *s)
{
    mem_src embedded;
    int weak = 0, sha1_doc = 0, no_attrs = 0;
    const unsigned char *p = der;
    CMS_ContentInfo *cms = NULL;
    STACK_OF(CMS_SignerInfo) * sis;
    CMS_SignerInfo *si;
    STACK_OF(X509) *certs = NULL;
    vfy_revdata cmsrd; /* what the CMS carries: its CRLs, Adobe's revocation archive */
    X509 *signer = NULL;
    X509_ALGOR *dalg = NULL, *salg = NULL;
    EVP_PKEY *pk = NULL;
    int eddsa = 0;
    const EVP_MD *md;
    unsigned char dig[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    X509_STORE *st = NULL;
    X509_STORE_CTX *xc = NULL;
    time_t now = o->now ? o->now : time(NULL), vt = o->at ? o->at : now, when = vt, gen = 0;
    int i, idx, have_tst = 0, lt = 1;
    ASN1_OCTET_STRING **content;
    X509 *tsa = NULL;
    STACK_OF(X509) *chain = NULL;
    chain_rev cr;

    memset(&cmsrd, 0, sizeof(cmsrd));
    snprintf(s->certificate_status, sizeof(s->certificate_status), "unknown");
    if (len == 0 || len > VFY_MAX_CMS) {
        vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE", "the signature is empty or too large");
        return 0;
    }
    cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
    if (cms == NULL || p != der + len) {
        ERR_clear_error();
        vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE", "the signature is not a DER CMS structure");
        goto out;
    }
    if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
        vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE", "the CMS is not SignedData");
        goto out;
    }
    content = CMS_get0_content(cms);
    if (content != NULL && *content != NULL && strcmp(s->subfilter, "adbe.pkcs7.sha1") == 0) {
        /* ISO 32000-1 §12.8.3.3.1: the signed content is the SHA-1 digest of the
         * ByteRange; what the CMS signs is that digest. */
        unsigned char d1[EVP_MAX_MD_SIZE];
        unsigned int l1 = 0;
        if (ASN1_STRING_length(*content) != 20) {
            vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                    "the signature's content is not a SHA-1 digest (adbe.pkcs7.sha1)");
            goto out;
        }
        if (dfn(darg, EVP_sha1(), d1, &l1) != 0) {
            vfy_set(s, VFY_INDETERMINATE, "SIGNED_DATA_NOT_FOUND",
                    "the signed data cannot be read");
            goto out;
        }
        if (l1 != 20 || CRYPTO_memcmp(d1, ASN1_STRING_get0_data(*content), 20) != 0) {
            vfy_set(s, VFY_TOTAL_FAILED, "HASH_FAILURE",
                    "the SHA-1 digest in the signature (adbe.pkcs7.sha1) does not match the "
                    "document: the signed bytes were changed");
            goto out;
        }
        embedded.p = ASN1_STRING_get0_data(*content);
        embedded.len = 20;
        dfn = digest_mem;
        darg = &embedded;
        sha1_doc = 1;
    } else if (content != NULL && *content != NULL) {
        vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                "the CMS carries its content (not a detached signature)");
        goto out;
    }
    sis = CMS_get0_SignerInfos(cms);
    if (sis == NULL || sk_CMS_SignerInfo_num(sis) != 1) {
        vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                "the CMS must have exactly one signer (has %d)",
                sis != NULL ? sk_CMS_SignerInfo_num(sis) : 0);
        goto out;
    }
    si = sk_CMS_SignerInfo_value(sis, 0);
    certs = CMS_get1_certs(cms);
    if (certs == NULL)
        certs = sk_X509_new_null();
    for (i = 0; certs != NULL && i < sk_X509_num(certs); i++)
        if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0) {
            signer = sk_X509_value(certs, i);
            break;
        }
    if (signer == NULL) {
        vfy_set(s, VFY_INDETERMINATE, "NO_SIGNING_CERTIFICATE_FOUND",
                "the signer's certificate is not in the signature");
        goto out;
    }
    describe_signer(signer, s);

    /* Integrity: message-digest over the signed bytes, then the signature value. */
    CMS_SignerInfo_get0_algs(si, NULL, NULL, &dalg, NULL);
    md = dalg != NULL ? EVP_get_digestbyobj(dalg->algorithm) : NULL;
    if (md == NULL || vfy_md_len(md) < 20) {
        vfy_set(s, VFY_INDETERMINATE, "CRYPTO_CONSTRAINTS_FAILURE_NO_POE",
                "the digest algorithm is unknown or too weak (SHA-256 or stronger needed)");
        goto out;
    }
    /* SHA-1 and SHA-224: integrity is still checked (a change is proven), the
     * conclusion cannot pass. */
    weak = vfy_md_len(md) < 32;
    no_attrs = CMS_signed_get_attr_count(si) <= 0;
    if (no_attrs) {
        /* RFC 5652 §5.4: without signed attributes the signature is over the content's
         * digest itself (older PKCS#7 signers write such signatures). */
        if (dfn(darg, md, dig, &dlen) != 0) {
            vfy_set(s, VFY_INDETERMINATE, "SIGNED_DATA_NOT_FOUND",
                    "the signed data cannot be read");
            goto out;
        }
        vfy_note(s, "the signature has no signed attributes: its value is over the document's "
                    "digest directly");
    }
    idx = no_attrs ? -1 : CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1);
    if (!no_attrs) {
        X509_ATTRIBUTE *a = idx >= 0 ? CMS_signed_get_attr(si, idx) : NULL;
        ASN1_TYPE *t =
            a != NULL && X509_ATTRIBUTE_count(a) == 1 ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
        if (t == NULL || t->type != V_ASN1_OCTET_STRING ||
            CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, idx) >= 0) {
            vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                    "the signed attributes need exactly one message-digest");
            goto out;
        }
        if (dfn(darg, md, dig, &dlen) != 0) {
            vfy_set(s, VFY_INDETERMINATE, "SIGNED_DATA_NOT_FOUND",
                    "the signed data cannot be read");
            goto out;
        }
        if ((int)dlen != ASN1_STRING_length(t->value.octet_string) ||
            memcmp(dig, ASN1_STRING_get0_data(t->value.octet_string), dlen) != 0) {
            vfy_set(s, VFY_TOTAL_FAILED, "HASH_FAILURE",
                    "the document's digest does not match the signed message-digest: the "
                    "signed bytes were changed");
            goto out;
        }
    }
    if (dlen * 2 < sizeof(s->hash_value))
        hex_encode(dig, dlen, s->hash_value);
    {
        ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
        int svl = sv != NULL ? ASN1_STRING_length(sv) : 0;
        if (svl > 0 && (size_t)svl * 2 < sizeof(s->signature_value))
            hex_encode(ASN1_STRING_get0_data(sv), (size_t)svl, s->signature_value);
    }
    CMS_SignerInfo_set1_signer_cert(si, signer);
    CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &salg);
    pk = X509_get0_pubkey(signer);
    eddsa = pk != NULL && (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519 ||
                           EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED448);
    if (!sig_alg_supported(salg, pk) || (eddsa && no_attrs)) {
        char alg[80] = "?";
        if (salg != NULL)
            OBJ_obj2txt(alg, sizeof(alg), salg->algorithm, 0);
        vfy_set(s, VFY_INDETERMINATE, "CRYPTO_CONSTRAINTS_FAILURE",
                "the signature algorithm %s%s is not supported: the signature value cannot be "
                "checked",
                alg, eddsa && no_attrs ? " without signed attributes" : "");
        goto out;
    }
    if (no_attrs ? verify_digest(si, signer, md, dig, dlen) != 1
        : eddsa  ? verify_eddsa(si, signer) != 1
                 : CMS_SignerInfo_verify(si) != 1) {
        ERR_clear_error();
        vfy_set(s, VFY_TOTAL_FAILED, "SIG_CRYPTO_FAILURE",
                "the signature value does not verify with the signer's public key");
        goto out;
    }
    s->integrity = 1;
    /* RFC 8419 §3: Ed25519 with SHA-512, Ed448 with SHAKE256 (512 bits) as the digest */
    if (eddsa &&
        !EVP_MD_is_a(md, EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED448 ? "SHAKE256" : "SHA512"))
        vfy_set(s, VFY_INDETERMINATE, "CRYPTO_CONSTRAINTS_FAILURE",
                "the digest algorithm %s is not allowed with %s (RFC 8419: %s)",
                EVP_MD_get0_name(md),
                EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED448 ? "Ed448" : "Ed25519",
                EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED448 ? "SHAKE256" : "SHA-512");
    if (!no_attrs && CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType, -1) < 0)
        vfy_note(s, "no content-type signed attribute");
    check_signing_cert(si, signer, s);
    if (has_signed_attr(si, NID_pkcs9_signingTime)) {
        X509_ATTRIBUTE *a =
            CMS_signed_get_attr(si, CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1));
        ASN1_TYPE *t = X509_ATTRIBUTE_count(a) == 1 ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
        time_t ct;
        if (s->claimed_time[0] == '\0' && t != NULL &&
            (t->type == V_ASN1_UTCTIME || t->type == V_ASN1_GENERALIZEDTIME) &&
            asn1_time_t((const ASN1_TIME *)t->value.asn1_string, &ct) == 0)
            vfy_iso_time(ct, s->claimed_time);
    }

    st = make_store(o);
    if (st == NULL || certs == NULL) {
        vfy_set(s, VFY_INDETERMINATE, "TRY_LATER", "out of memory");
        goto out;
    }
    /* The DSS's certificates help to build chains (untrusted). */
    for (i = 0; rd != NULL && rd->certs != NULL && i < sk_X509_num(rd->certs); i++) {
        X509 *x = sk_X509_value(rd->certs, i);
        if (X509_up_ref(x) && !sk_X509_push(certs, x))
            X509_free(x);
    }
    vfy_revdata_load_cms(cms, si, &cmsrd);
    /* Signature time-stamp (unsigned attribute). */
    idx = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
    if (idx >= 0) {
        X509_ATTRIBUTE *a = CMS_unsigned_get_attr(si, idx);
        ASN1_TYPE *t = X509_ATTRIBUTE_count(a) >= 1 ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
        ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
        if (t != NULL && t->type == V_ASN1_SEQUENCE) /* present, whether it verifies or not */
            s->timestamp_present = vfy_tst_peek_time(ASN1_STRING_get0_data(t->value.sequence),
                                                     (size_t)ASN1_STRING_length(t->value.sequence),
                                                     s->timestamp_unverified);
        if (t != NULL && t->type == V_ASN1_SEQUENCE && sv != NULL &&
            check_tst(t->value.sequence, sv, st, certs, s, &gen, &tsa)) {
            have_tst = 1;
            s->has_timestamp = 1;
            vfy_iso_time(gen, s->timestamp_time);
            when = gen;
            /* The TSA's chain and its revocation. */
            chain = tsa != NULL ? build_chain(st, tsa, certs, gen) : NULL;
            if (chain != NULL) {
                check_chain_rev(fx, rd, &cmsrd, certs, chain, 1, now, s, &cr);
                lt = cr.all_embedded && cr.unknown == 0;
                if (cr.leaf.status == VFY_REV_REVOKED && cr.leaf.rev_time <= gen) {
                    vfy_note(s, "the TSA's certificate was revoked before the time-stamp: the "
                                "signing time is not proven");
                    have_tst = 0;
                    s->has_timestamp = 0;
                    when = vt;
                } else if (cr.unknown > 0) {
                    vfy_set(s, VFY_INDETERMINATE, "TRY_LATER",
                            "no revocation status for the TSA's chain: %s", cr.unknown_why);
                } else if (cr.ca_revoked != 0 && cr.ca_revoked <= gen) {
                    vfy_set(s, VFY_INDETERMINATE, "REVOKED_CA_NO_POE",
                            "a CA of the TSA's chain was revoked before the time-stamp");
                }
                sk_X509_pop_free(chain, X509_free);
                chain = NULL;
            }
        } else if (t == NULL || t->type != V_ASN1_SEQUENCE) {
            vfy_note(s, "the signature time-stamp attribute is malformed");
        }
    }
    if (!have_tst)
        vfy_note(s, "no valid signature time-stamp: the signing time is only claimed; the "
                    "certificate was checked at the validation time");
    else if (o->at != 0 && gen > vt)
        vfy_note(s, "the signature time-stamp is later than the validation time: the chain was "
                    "checked at the validation time");
    if (have_tst && gen > vt)
        when = vt;
    /* Algorithm constraints at the time of proof of existence (EN 319 102-1 §5.2.8): the
     * time-stamp's time, else the validation time. */
    vfy_check_algo_poe(s, md, sha1_doc, weak, have_tst ? (gen < vt ? gen : vt) : vt, have_tst);

    /* The chain, at the proven time (else now). */
    xc = X509_STORE_CTX_new();
    if (xc == NULL || !X509_STORE_CTX_init(xc, st, signer, certs)) {
        vfy_set(s, VFY_INDETERMINATE, "TRY_LATER", "out of memory");
        goto out;
    }
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(xc), when);
    if (X509_verify_cert(xc) == 1) {
        snprintf(s->certificate_status, sizeof(s->certificate_status), "valid");
        chain = X509_STORE_CTX_get1_chain(xc);
        vfy_sig_set_anchor(s, chain);
    } else {
        chain_error(s, X509_STORE_CTX_get_error(xc), have_tst);
        lt = 0;
    }
    ERR_clear_error();
    if (chain != NULL)
        check_signer_rev(o, fx, rd, &cmsrd, certs, chain, have_tst, gen, now, vt, s, &lt);
    if (s->revocation[0] == '\0')
        snprintf(s->revocation, sizeof(s->revocation), "not checked");
    check_usage(signer, s);

    /* Level (ETSI EN 319 142-1): B-B needs signing-certificate-v2 and no signing-time. */
    if (has_signed_attr(si, NID_id_smime_aa_signingCertificateV2) ||
        has_signed_attr(si, NID_id_smime_aa_signingCertificate)) {
        if (has_signed_attr(si, NID_pkcs9_signingTime) &&
            strcmp(s->subfilter, "ETSI.CAdES.detached") == 0) {
            vfy_note(s, "signing-time is a signed attribute: not PAdES baseline");
            snprintf(s->level, sizeof(s->level), "PKCS7");
        } else if (!have_tst && s->timestamp_present && chain == NULL) {
            /* the chain is not trusted: the level the file claims, from what it carries */
            int embeds = (rd != NULL && (rd->n_ocsps > 0 || sk_X509_CRL_num(rd->crls) > 0)) ||
                         cmsrd.n_ocsps > 0 || sk_X509_CRL_num(cmsrd.crls) > 0;
            snprintf(s->level, sizeof(s->level), embeds ? "B-LT" : "B-T");
            vfy_note(s, "the level is read from the file: its time-stamp and validation data "
                        "could not be checked");
        } else {
            snprintf(s->level, sizeof(s->level), have_tst ? (lt ? "B-LT" : "B-T") : "B-B");
        }
        if (s->has_timestamp)
            s->timestamp_unverified[0] = '\0';
    } else {
        snprintf(s->level, sizeof(s->level), "PKCS7");
    }
out:
    sk_X509_pop_free(chain, X509_free);
    X509_free(tsa);
    X509_STORE_CTX_free(xc);
    X509_STORE_free(st);
    vfy_revdata_free(&cmsrd);
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
    return s->integrity;
}

/*
 * The revocation of a document time-stamp's TSA chain, like a signature
 * time-stamp's (the DSS, then online unless offline); the TSA's status is
 * the time-stamp's revocation / certificate_status.
 */
static void check_doc_tst_rev(PKCS7 *p7, const vfy_opts *o, const vfy_revdata *rd,
                              cms_fetch_ctx *fx, time_t gen, vfy_sig *s)
{
    STACK_OF(PKCS7_SIGNER_INFO) *sis = PKCS7_get_signer_info(p7);
    PKCS7_SIGNER_INFO *psi = sis != NULL ? sk_PKCS7_SIGNER_INFO_value(sis, 0) : NULL;
    STACK_OF(X509) *pc = PKCS7_type_is_signed(p7) ? p7->d.sign->cert : NULL;
    STACK_OF(X509) *pool = sk_X509_new_null(), *chain = NULL;
    X509_STORE *st = make_store(o);
    X509 *tsa = NULL;
    time_t now = o->now ? o->now : time(NULL);
    chain_rev cr;
    const vfy_rev_result *l = &cr.leaf;
    char rt[40] = "";
    int i;

    if (pool == NULL || st == NULL || psi == NULL)
        goto out;
    for (i = 0; pc != NULL && i < sk_X509_num(pc); i++)
        if (X509_up_ref(sk_X509_value(pc, i)) && !sk_X509_push(pool, sk_X509_value(pc, i)))
            X509_free(sk_X509_value(pc, i));
    for (i = 0; rd != NULL && rd->certs != NULL && i < sk_X509_num(rd->certs); i++)
        if (X509_up_ref(sk_X509_value(rd->certs, i)) &&
            !sk_X509_push(pool, sk_X509_value(rd->certs, i)))
            X509_free(sk_X509_value(rd->certs, i));
    tsa = X509_find_by_issuer_and_serial(pool, psi->issuer_and_serial->issuer,
                                         psi->issuer_and_serial->serial);
    if (tsa == NULL)
        goto out;
    name_str(X509_get_subject_name(tsa), s->timestamp_tsa, sizeof(s->timestamp_tsa));
    validity_str(tsa, s->tsa_not_before, s->tsa_not_after);
    chain = build_chain(st, tsa, pool, gen);
    if (chain == NULL)
        goto out;
    check_chain_rev(fx, rd, NULL, pool, chain, 1, now, s, &cr);
    if (report_revocation(s, l, o->offline, rt)) {
        if (l->rev_time > gen)
            vfy_note(s,
                     "the TSA's certificate was revoked at %s (%s, %s), after the document "
                     "time-stamp's time",
                     rt, s->revocation_reason, l->source);
        else
            vfy_set(s, VFY_TOTAL_FAILED, "REVOKED",
                    "the TSA's certificate was revoked at %s (%s, %s), before the document "
                    "time-stamp's time",
                    rt, s->revocation_reason, l->source);
    }
    if (cr.ca_revoked != 0 && cr.ca_revoked <= gen)
        vfy_set(s, VFY_INDETERMINATE, "REVOKED_CA_NO_POE",
                "a CA of the document time-stamp's TSA chain was revoked before its time");
    if (cr.unknown > 0)
        vfy_set(s, VFY_INDETERMINATE, "TRY_LATER",
                "no revocation status for the document time-stamp's TSA chain%s: %s",
                o->offline ? " (offline)" : "", cr.unknown_why);
out:
    sk_X509_pop_free(chain, X509_free);
    sk_X509_pop_free(pool, X509_free);
    X509_STORE_free(st);
}

/* A document time-stamp (ETSI.RFC3161): the token's imprint is over the ByteRange. */
int vfy_check_doc_tst(const unsigned char *der, size_t len, vfy_digest_fn dfn, void *darg,
                      const vfy_opts *o, const vfy_revdata *rd, cms_fetch_ctx *fx, vfy_sig *s)
{
    const unsigned char *p = der;
    PKCS7 *p7 = NULL;
    TS_TST_INFO *ti = NULL;
    TS_VERIFY_CTX *vc = NULL;
    X509_STORE *st = NULL;
    const EVP_MD *md;
    unsigned char dig[EVP_MAX_MD_SIZE], *imp = NULL;
    unsigned int dlen = 0;
    time_t gen;

    snprintf(s->certificate_status, sizeof(s->certificate_status), "unknown");
    snprintf(s->revocation, sizeof(s->revocation), "not checked");
    p7 = len > 0 && len <= VFY_MAX_CMS ? d2i_PKCS7(NULL, &p, (long)len) : NULL;
    ti = p7 != NULL ? PKCS7_to_TS_TST_INFO(p7) : NULL;
    if (ti == NULL) {
        ERR_clear_error();
        vfy_set(s, VFY_TOTAL_FAILED, "FORMAT_FAILURE",
                "the document time-stamp is not a TimeStampToken");
        goto out;
    }
    md = EVP_get_digestbyobj(TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(ti))->algorithm);
    if (md == NULL || dfn(darg, md, dig, &dlen) != 0) {
        vfy_set(s, VFY_INDETERMINATE, "SIGNED_DATA_NOT_FOUND",
                "the time-stamped data cannot be read");
        goto out;
    }
    {
        ASN1_OCTET_STRING *mi = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(ti));
        if ((int)dlen != ASN1_STRING_length(mi) ||
            memcmp(dig, ASN1_STRING_get0_data(mi), dlen) != 0) {
            vfy_set(s, VFY_TOTAL_FAILED, "HASH_FAILURE",
                    "the document time-stamp's imprint does not match the document");
            goto out;
        }
    }
    st = make_store(o);
    vc = TS_VERIFY_CTX_new();
    if (dlen * 2 < sizeof(s->hash_value))
        hex_encode(dig, dlen, s->hash_value);
    imp = OPENSSL_memdup(dig, dlen);
    if (st == NULL || vc == NULL || imp == NULL) {
        vfy_set(s, VFY_INDETERMINATE, "TRY_LATER", "out of memory");
        goto out;
    }
    TS_VERIFY_CTX_set_flags(vc, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_IMPRINT);
    TS_VERIFY_CTX_set_store(vc, st);
    st = NULL;
    TS_VERIFY_CTX_set_imprint(vc, imp, dlen);
    imp = NULL;
    s->integrity = 1;
    if (TS_RESP_verify_token(vc, p7) != 1) {
        unsigned long e = ERR_peek_last_error();
        vfy_set(s, VFY_INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND",
                "the document time-stamp's signature or TSA chain does not verify (%s)",
                e ? ERR_reason_error_string(e) : "unknown");
        ERR_clear_error();
    } else {
        snprintf(s->certificate_status, sizeof(s->certificate_status), "valid");
    }
    if (asn1_time_t(TS_TST_INFO_get_time(ti), &gen) == 0) {
        vfy_iso_time(gen, s->timestamp_time);
        if (s->conclusion == VFY_TOTAL_PASSED)
            check_doc_tst_rev(p7, o, rd, fx, gen, s);
        s->has_timestamp = s->conclusion == VFY_TOTAL_PASSED;
    }
    snprintf(s->level, sizeof(s->level), "DocTimeStamp");
out:
    OPENSSL_free(imp);
    X509_STORE_free(st);
    TS_VERIFY_CTX_free(vc);
    TS_TST_INFO_free(ti);
    PKCS7_free(p7);
    return s->integrity;
}
