/*
 * cades.c - detached CAdES SignedData for PAdES and .p7s files
 * (RFC 5652, ETSI EN 319 122-1 baseline B-B/B-T, PAdES: ETSI EN 319 142-1
 * §6.3: no signing-time, signing-certificate-v2 required).
 *
 * OpenSSL 3.0 has CMS_CADES (adds signing-certificate-v2) but adds
 * signing-time whenever CMS_SignerInfo_sign runs. So the signer info is
 * built with CMS_PARTIAL, content-type and message-digest are added here,
 * the signed attributes are DER-encoded as a SET OF (each attribute
 * encoded, the encodings sorted as DER requires, wrapped in tag 0x31: what
 * RFC 5652 §5.4 says is signed) and signed with EVP_DigestSign, and the
 * value stored through CMS_SignerInfo_get0_signature. CMS_final is never
 * called, so nothing else is added.
 */
#include <fcntl.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cms/cms.h"
#include "util/fs.h"

typedef struct der_item {
    unsigned char *p;
    size_t len;
} der_item;

static int der_item_cmp(const void *a, const void *b)
{
    const der_item *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);

    if (c != 0)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* DER length octets of n into out (at most 5 bytes); returns their count. */
static size_t der_len(size_t n, unsigned char *out)
{
    size_t k = 0, i;

    if (n < 0x80) {
        out[0] = (unsigned char)n;
        return 1;
    }
    for (i = n; i > 0; i >>= 8)
        k++;
    out[0] = (unsigned char)(0x80 | k);
    for (i = 0; i < k; i++)
        out[1 + i] = (unsigned char)(n >> (8 * (k - 1 - i)));
    return 1 + k;
}

/* The DER SET OF the signer's signed attributes: the bytes that are signed. */
static int signed_attrs_der(CMS_SignerInfo *si, unsigned char **out, size_t *out_len,
                            sertel_err *err)
{
    int n = CMS_signed_get_attr_count(si), i, rc = SERTEL_ERR_CRYPTO;
    der_item items[16];
    size_t total = 0, hl, off;
    unsigned char hdr[8], *buf = NULL;

    memset(items, 0, sizeof(items));
    if (n <= 0 || n > 16)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "unexpected signed attribute count %d", n);
    for (i = 0; i < n; i++) {
        int l = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &items[i].p);
        if (l <= 0) {
            rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "encoding a signed attribute");
            goto out;
        }
        items[i].len = (size_t)l;
        total += (size_t)l;
    }
    qsort(items, (size_t)n, sizeof(items[0]), der_item_cmp);
    hdr[0] = 0x31;
    hl = 1 + der_len(total, hdr + 1);
    buf = OPENSSL_malloc(hl + total);
    if (buf == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(buf, hdr, hl);
    off = hl;
    for (i = 0; i < n; i++) {
        memcpy(buf + off, items[i].p, items[i].len);
        off += items[i].len;
    }
    *out = buf;
    *out_len = off;
    rc = SERTEL_OK;
out:
    for (i = 0; i < 16; i++)
        OPENSSL_free(items[i].p);
    return rc;
}

static int add_timestamp(CMS_SignerInfo *si, const cms_tsa *tsa, sertel_err *err)
{
    ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
    unsigned char *tok = NULL;
    size_t toklen = 0;
    int rc;

    rc = cms_timestamp(tsa, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig), &tok,
                       &toklen, err);
    if (rc != SERTEL_OK)
        return rc;
    if (toklen > CMS_TSA_RESP_MAX ||
        !CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE, tok,
                                       (int)toklen))
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "adding the signature-time-stamp");
    OPENSSL_free(tok);
    return rc;
}

int cms_sign_digest(const cms_signer *s, const unsigned char digest[32], const cms_tsa *tsa,
                    unsigned char **der, size_t *der_len, sertel_err *err)
{
    const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP | CMS_CADES;
    CMS_ContentInfo *cms = NULL;
    CMS_SignerInfo *si;
    EVP_MD_CTX *mctx = NULL;
    unsigned char *attrs = NULL, *sigbuf = NULL, *outbuf = NULL;
    size_t attrs_len = 0, siglen = 0;
    int rc = SERTEL_ERR_CRYPTO, l, i;

    if (s->key == NULL || s->cert == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "no signing key or certificate given");
    cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    if (cms == NULL) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "creating the CMS structure");
        goto out;
    }
    si = CMS_add1_signer(cms, s->cert, s->key, EVP_sha256(), flags);
    if (si == NULL) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO,
                                "adding the signer (does the key match the certificate?)");
        goto out;
    }
    for (i = 0; s->chain != NULL && i < sk_X509_num(s->chain); i++) {
        X509 *c = sk_X509_value(s->chain, i);
        if (X509_cmp(c, s->cert) != 0 && !CMS_add1_cert(cms, c)) {
            rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "adding a chain certificate");
            goto out;
        }
    }
    if (!CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT,
                                     OBJ_nid2obj(NID_pkcs7_data), -1) ||
        !CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, digest,
                                     32)) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "adding the signed attributes");
        goto out;
    }
    rc = signed_attrs_der(si, &attrs, &attrs_len, err);
    if (rc != SERTEL_OK)
        goto out;
    rc = SERTEL_ERR_CRYPTO;
    mctx = EVP_MD_CTX_new();
    if (mctx == NULL || EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL, s->key) <= 0 ||
        EVP_DigestSign(mctx, NULL, &siglen, attrs, attrs_len) <= 0 ||
        (sigbuf = OPENSSL_malloc(siglen)) == NULL ||
        EVP_DigestSign(mctx, sigbuf, &siglen, attrs, attrs_len) <= 0) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "signing the signed attributes");
        goto out;
    }
    if (!ASN1_STRING_set(CMS_SignerInfo_get0_signature(si), sigbuf, (int)siglen)) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "storing the signature value");
        goto out;
    }
    if (tsa != NULL && tsa->fn != NULL) {
        rc = add_timestamp(si, tsa, err);
        if (rc != SERTEL_OK)
            goto out;
    }
    l = i2d_CMS_ContentInfo(cms, &outbuf);
    if (l <= 0) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "encoding the CMS signature");
        goto out;
    }
    *der = outbuf;
    *der_len = (size_t)l;
    rc = SERTEL_OK;
out:
    EVP_MD_CTX_free(mctx);
    OPENSSL_free(attrs);
    OPENSSL_free(sigbuf);
    CMS_ContentInfo_free(cms);
    return rc;
}

int cms_sign_file(const char *in_path, const char *out_path, const cms_signer *s,
                  const cms_tsa *tsa, sertel_err *err)
{
    fs_output *out = NULL;
    int rc = fs_output_open(out_path, 0644, 0, &out, err);

    if (rc != SERTEL_OK)
        return rc;
    rc = cms_sign_to(in_path, out, s, tsa, err);
    if (rc != SERTEL_OK) {
        fs_output_abort(out);
        return rc;
    }
    return fs_output_commit(out, err);
}

int cms_sign_to(const char *in_path, fs_output *out, const cms_signer *s, const cms_tsa *tsa,
                sertel_err *err)
{
    unsigned char dig[32], *buf = NULL, *der = NULL;
    size_t der_len = 0;
    EVP_MD_CTX *md = NULL;
    int fd = -1, rc = SERTEL_ERR_IO;
    ssize_t n;

    fd = open(in_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot open %s: %s", in_path, strerror(errno));
    buf = malloc(1 << 20);
    md = EVP_MD_CTX_new();
    if (buf == NULL || md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    while ((n = read(fd, buf, 1 << 20)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = sertel_err_set(err, SERTEL_ERR_IO, "reading %s: %s", in_path, strerror(errno));
            goto out;
        }
        EVP_DigestUpdate(md, buf, (size_t)n);
    }
    EVP_DigestFinal_ex(md, dig, NULL);
    rc = cms_sign_digest(s, dig, tsa, &der, &der_len, err);
    if (rc == SERTEL_OK)
        rc = fs_output_write(out, der, der_len, err);
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    return rc;
}

int cms_timestamp(const cms_tsa *tsa, const unsigned char *data, size_t len, unsigned char **token,
                  size_t *token_len, sertel_err *err)
{
    unsigned char dig[32];

    if (!EVP_Digest(data, len, dig, NULL, EVP_sha256(), NULL))
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "hashing for the time-stamp");
    return cms_timestamp_digest(tsa, dig, token, token_len, err);
}

/* The TSA's own words (its statusString), printable ASCII only: it is untrusted. */
static void status_text(TS_RESP *r, char *why, size_t cap)
{
    const STACK_OF(ASN1_UTF8STRING) *tx = TS_STATUS_INFO_get0_text(TS_RESP_get_status_info(r));
    const ASN1_UTF8STRING *t0 =
        sk_ASN1_UTF8STRING_num(tx) > 0 ? sk_ASN1_UTF8STRING_value(tx, 0) : NULL;
    size_t i, n = t0 != NULL ? (size_t)ASN1_STRING_length(t0) : 0;

    for (i = 0; i < n && i + 1 < cap; i++) {
        unsigned char ch = ASN1_STRING_get0_data(t0)[i];
        why[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    why[i] = '\0';
}

void cms_ts_result_clear(cms_ts_result *r)
{
    if (r == NULL)
        return;
    free(r->response);
    OPENSSL_free(r->token);
    memset(r, 0, sizeof(*r));
}

/* RFC 3161 §2.4: request a token over a digest and check the answer is for us. */
int cms_timestamp_md(const cms_tsa *tsa, const EVP_MD *md, const unsigned char *dig, size_t dig_len,
                     cms_ts_result *out, sertel_err *err)
{
    unsigned char nb[8], *reqder = NULL, *resp = NULL, *tok = NULL, imprint[EVP_MAX_MD_SIZE];
    const unsigned char *q;
    size_t resp_len = 0;
    int reqlen, rc = SERTEL_ERR_CRYPTO, l;
    TS_REQ *req = TS_REQ_new();
    TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
    X509_ALGOR *alg = X509_ALGOR_new();
    BIGNUM *bn = NULL, *sbn = NULL;
    char *shex = NULL;
    ASN1_INTEGER *nonce = NULL;
    TS_RESP *r = NULL;
    TS_TST_INFO *tst;
    long status;

    memset(out, 0, sizeof(*out));
    if (dig_len == 0 || dig_len > sizeof(imprint) || (size_t)EVP_MD_get_size(md) != dig_len) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "the digest does not fit its algorithm");
        goto out;
    }
    memcpy(imprint, dig, dig_len); /* OpenSSL's setter takes a non-const buffer */
    if (tsa->fn == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "no time-stamping authority configured");
        goto out;
    }
    if (RAND_bytes(nb, sizeof(nb)) != 1 || (bn = BN_bin2bn(nb, sizeof(nb), NULL)) == NULL ||
        (nonce = BN_to_ASN1_INTEGER(bn, NULL)) == NULL || req == NULL || mi == NULL ||
        alg == NULL || !TS_REQ_set_version(req, 1) ||
        !X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(md)), V_ASN1_NULL, NULL) ||
        !TS_MSG_IMPRINT_set_algo(mi, alg) || !TS_MSG_IMPRINT_set_msg(mi, imprint, (int)dig_len) ||
        !TS_REQ_set_msg_imprint(req, mi) || !TS_REQ_set_nonce(req, nonce) ||
        !TS_REQ_set_cert_req(req, 1) || (reqlen = i2d_TS_REQ(req, &reqder)) <= 0) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "building the time-stamp request");
        goto out;
    }
    rc = tsa->fn(tsa->arg, reqder, (size_t)reqlen, &resp, &resp_len, err);
    if (rc != SERTEL_OK) {
        sertel_err_prefix(err, "time-stamping");
        goto out;
    }
    rc = SERTEL_ERR_INVALID;
    q = resp;
    if (resp_len > CMS_TSA_RESP_MAX || (r = d2i_TS_RESP(NULL, &q, (long)resp_len)) == NULL ||
        q != resp + resp_len) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "the time-stamping authority's answer is not an RFC 3161 response");
        goto out;
    }
    status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(r)));
    tst = TS_RESP_get_tst_info(r);
    if ((status != 0 && status != 1) || tst == NULL || TS_RESP_get_token(r) == NULL) {
        char why[200];
        status_text(r, why, sizeof(why));
        rc = sertel_err_set(err, SERTEL_ERR_DENIED,
                            "the time-stamping authority refused the request (status %ld)%s%s",
                            status, why[0] ? ": " : "", why);
        goto out;
    }
    {
        ASN1_OCTET_STRING *m = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(tst));
        const ASN1_INTEGER *rn = TS_TST_INFO_get_nonce(tst);
        if ((size_t)ASN1_STRING_length(m) != dig_len ||
            memcmp(ASN1_STRING_get0_data(m), dig, dig_len) != 0 || rn == NULL ||
            ASN1_INTEGER_cmp(rn, nonce) != 0) {
            rc = sertel_err_set(err, SERTEL_ERR_TAMPERED,
                                "the time-stamp token does not answer our request "
                                "(imprint or nonce differs)");
            goto out;
        }
    }
    l = i2d_PKCS7(TS_RESP_get_token(r), &tok);
    if (l <= 0) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "encoding the time-stamp token");
        goto out;
    }
    {
        struct tm tm;
        if (ASN1_TIME_to_tm(TS_TST_INFO_get_time(tst), &tm))
            out->time = (int64_t)timegm(&tm);
        sbn = ASN1_INTEGER_to_BN(TS_TST_INFO_get_serial(tst), NULL);
        shex = sbn != NULL ? BN_bn2hex(sbn) : NULL;
        snprintf(out->serial, sizeof(out->serial), "%s", shex != NULL ? shex : "?");
        OBJ_obj2txt(out->policy, sizeof(out->policy), TS_TST_INFO_get_policy_id(tst), 1);
    }
    out->token = tok;
    out->token_len = (size_t)l;
    out->response = resp;
    out->response_len = resp_len;
    tok = NULL;
    resp = NULL;
    rc = SERTEL_OK;
out:
    free(resp);
    OPENSSL_free(tok);
    OPENSSL_free(shex);
    BN_free(sbn);
    OPENSSL_free(reqder);
    TS_RESP_free(r);
    TS_REQ_free(req);
    TS_MSG_IMPRINT_free(mi);
    X509_ALGOR_free(alg);
    ASN1_INTEGER_free(nonce);
    BN_free(bn);
    return rc;
}

int cms_timestamp_digest(const cms_tsa *tsa, const unsigned char dig[32], unsigned char **token,
                         size_t *token_len, sertel_err *err)
{
    cms_ts_result res;
    int rc = cms_timestamp_md(tsa, EVP_sha256(), dig, 32, &res, err);

    *token = NULL;
    *token_len = 0;
    if (rc == SERTEL_OK) {
        *token = res.token;
        *token_len = res.token_len;
        res.token = NULL;
    }
    cms_ts_result_clear(&res);
    return rc;
}
