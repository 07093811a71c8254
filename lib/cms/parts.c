/*
 * parts.c - what a signature carries that validation data is gathered
 * for (ETSI EN 319 142-1 §5.4: the signer's chain and that of its
 * signature-time-stamp's TSA): the signer's certificate, every certificate
 * of a CMS SignedData (RFC 5652 §5.1), and its signature-time-stamp token
 * (the unsigned attribute id-aa-signatureTimeStampToken, RFC 3161 Appendix
 * A). The same reading applies to a time-stamp token itself (its signer:
 * the TSA). Nothing is verified here: that is the validator's work.
 */
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "cms/cms.h"

#define PARTS_MAX_DER ((size_t)16 << 20)

void cms_parts_free(cms_parts *p)
{
    if (p == NULL)
        return;
    X509_free(p->signer);
    sk_X509_pop_free(p->certs, X509_free);
    OPENSSL_free(p->tst);
    memset(p, 0, sizeof(*p));
}

/* The signature-time-stamp token of si as DER (OPENSSL_malloc'ed), or none. */
static int take_tst(CMS_SignerInfo *si, cms_parts *out)
{
    int idx = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
    X509_ATTRIBUTE *a = idx >= 0 ? CMS_unsigned_get_attr(si, idx) : NULL;
    ASN1_TYPE *t = a != NULL ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
    unsigned char *der = NULL;
    int len;

    if (t == NULL || t->type != V_ASN1_SEQUENCE)
        return 0;
    len = i2d_ASN1_TYPE(t, &der);
    if (len <= 0)
        return -1;
    out->tst = der;
    out->tst_len = (size_t)len;
    return 0;
}

int cms_parts_read(const unsigned char *der, size_t len, cms_parts *out, sertel_err *err)
{
    const unsigned char *q = der;
    CMS_ContentInfo *ci = NULL;
    STACK_OF(CMS_SignerInfo) * sis;
    CMS_SignerInfo *si;
    int i, rc = SERTEL_OK;

    memset(out, 0, sizeof(*out));
    if (len == 0 || len > PARTS_MAX_DER)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "a signature of %zu bytes", len);
    ci = d2i_CMS_ContentInfo(NULL, &q, (long)len);
    if (ci == NULL || OBJ_obj2nid(CMS_get0_type(ci)) != NID_pkcs7_signed) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "not a CMS SignedData");
        goto out;
    }
    out->certs = CMS_get1_certs(ci);
    if (out->certs == NULL)
        out->certs = sk_X509_new_null();
    sis = CMS_get0_SignerInfos(ci);
    if (out->certs == NULL || sis == NULL || sk_CMS_SignerInfo_num(sis) < 1) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "a SignedData without a signer");
        goto out;
    }
    si = sk_CMS_SignerInfo_value(sis, 0);
    for (i = 0; i < sk_X509_num(out->certs); i++) {
        X509 *c = sk_X509_value(out->certs, i);
        if (CMS_SignerInfo_cert_cmp(si, c) == 0 && X509_up_ref(c)) {
            out->signer = c;
            break;
        }
    }
    if (take_tst(si, out) != 0)
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
out:
    ERR_clear_error();
    CMS_ContentInfo_free(ci);
    if (rc != SERTEL_OK)
        cms_parts_free(out);
    return rc;
}
