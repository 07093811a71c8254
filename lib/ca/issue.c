/*
 * issue.c - building, linting, signing and recording certificates.
 *
 * Certificate content follows RFC 5280 §4.1 and §4.2; what goes in is the
 * profile's (profile.h). Names and e-mail addresses from users are put into
 * the structures directly, never through OpenSSL's string configuration
 * language, so a comma or a "critical," in a name cannot inject anything.
 *
 * The order of issuance (ca.h): build -> lint -> sign -> record + audit in
 * one transaction -> durable commit -> hand out.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca_int.h"
#include "audit/events.h"
#include "ca/lint.h"
#include "util/fs.h"
#include "util/hex.h"

#define CSR_MAX (64 * 1024)
#define SERIAL_RETRIES 4
#define SECONDS_PER_DAY 86400

ASN1_INTEGER *ca_new_serial(void)
{
    unsigned char b[16];
    BIGNUM *bn = NULL;
    ASN1_INTEGER *ai = NULL;

    /* 16 bytes with the top bit clear: positive, and a non-zero first byte
     * keeps the DER content exactly 16 bytes (>= 120 bits of entropy). */
    do {
        if (RAND_bytes(b, sizeof(b)) != 1)
            return NULL;
        b[0] &= 0x7f;
    } while (b[0] == 0);
    bn = BN_bin2bn(b, sizeof(b), NULL);
    if (bn != NULL)
        ai = BN_to_ASN1_INTEGER(bn, NULL);
    BN_free(bn);
    OPENSSL_cleanse(b, sizeof(b));
    return ai;
}

int ca_serial_hex(const X509 *x, char *out, size_t cap)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex;
    int rc;

    if (bn == NULL)
        return SERTEL_ERR_NOMEM;
    hex = BN_bn2hex(bn);
    BN_free(bn);
    if (hex == NULL)
        return SERTEL_ERR_NOMEM;
    /* Stored and compared in one form: lower case, no leading zeros. */
    rc = ca_serial_normalize(hex, out, cap);
    OPENSSL_free(hex);
    return rc;
}

int ca_serial_normalize(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    int leading = 1;

    if (strncmp(in, "0x", 2) == 0 || strncmp(in, "0X", 2) == 0)
        in += 2;
    for (; *in; in++) {
        char c = *in;
        if (c == ':' || c == ' ')
            continue;
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return SERTEL_ERR_INVALID;
        if (leading && c == '0')
            continue;
        leading = 0;
        if (o + 1 >= cap)
            return SERTEL_ERR_INVALID;
        out[o++] = c;
    }
    if (o == 0) {
        if (cap < 2)
            return SERTEL_ERR_INVALID;
        out[o++] = '0';
    }
    out[o] = '\0';
    return SERTEL_OK;
}

static int add_ext_conf(X509 *x, X509V3_CTX *ctx, int nid, const char *value, sertel_err *err)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
    int ok;

    if (ext == NULL)
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot build extension %s = %s",
                                  OBJ_nid2sn(nid), value);
    ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    if (!ok)
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot add extension %s",
                                  OBJ_nid2sn(nid));
    return SERTEL_OK;
}

static int add_name(X509_NAME *n, int nid, int type, const char *v, sertel_err *err)
{
    if (v == NULL || *v == '\0')
        return SERTEL_OK;
    if (!X509_NAME_add_entry_by_NID(n, nid, type, (const unsigned char *)v, -1, -1, 0))
        return sertel_err_openssl(err, SERTEL_ERR_INVALID,
                                  "cannot use '%s' as the certificate's %s: it must be valid "
                                  "UTF-8 within the length limit",
                                  v, OBJ_nid2sn(nid));
    return SERTEL_OK;
}

static int build_subject(X509 *x, const ca_profile *p, const ca_subject *s, sertel_err *err)
{
    X509_NAME *n = X509_NAME_new();
    const char *c = s->country ? s->country : p->country;
    int rc;

    if (n == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    /* Fixed order C, O, OU, CN. */
    rc = add_name(n, NID_countryName, MBSTRING_ASC, c, err);
    if (rc == SERTEL_OK)
        rc = add_name(n, NID_organizationName, MBSTRING_UTF8, s->org, err);
    if (rc == SERTEL_OK)
        rc = add_name(n, NID_organizationalUnitName, MBSTRING_UTF8, s->unit, err);
    if (rc == SERTEL_OK)
        rc = add_name(n, NID_commonName, MBSTRING_UTF8, s->name, err);
    if (rc == SERTEL_OK && !X509_set_subject_name(x, n))
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot set the subject");
    X509_NAME_free(n);
    return rc;
}

static int add_san_email(X509 *x, const char *email, sertel_err *err)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    GENERAL_NAME *gen = GENERAL_NAME_new();
    ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
    int rc = SERTEL_OK;

    if (gens == NULL || gen == NULL || ia5 == NULL ||
        !ASN1_STRING_set(ia5, email, (int)strlen(email))) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    GENERAL_NAME_set0_value(gen, GEN_EMAIL, ia5);
    ia5 = NULL;
    if (!sk_GENERAL_NAME_push(gens, gen)) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    gen = NULL;
    if (!X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT))
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot add subjectAltName");
out:
    ASN1_IA5STRING_free(ia5);
    GENERAL_NAME_free(gen);
    GENERAL_NAMES_free(gens);
    return rc;
}

static int add_policies(X509 *x, const ca_profile *p, sertel_err *err)
{
    CERTIFICATEPOLICIES *pols = sk_POLICYINFO_new_null();
    POLICYINFO *pi = POLICYINFO_new();
    POLICYQUALINFO *q = NULL;
    int rc = SERTEL_OK;

    if (pols == NULL || pi == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    ASN1_OBJECT_free(pi->policyid);
    pi->policyid = OBJ_txt2obj(p->policy_oid, 1);
    if (pi->policyid == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_CONFIG, "policy OID %s is not valid", p->policy_oid);
        goto out;
    }
    if (p->cps_uri[0] != '\0') {
        q = POLICYQUALINFO_new();
        pi->qualifiers = sk_POLICYQUALINFO_new_null();
        if (q == NULL || pi->qualifiers == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            goto out;
        }
        q->pqualid = OBJ_nid2obj(NID_id_qt_cps);
        q->d.cpsuri = ASN1_IA5STRING_new();
        if (q->d.cpsuri == NULL ||
            !ASN1_STRING_set(q->d.cpsuri, p->cps_uri, (int)strlen(p->cps_uri)) ||
            !sk_POLICYQUALINFO_push(pi->qualifiers, q)) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            goto out;
        }
        q = NULL;
    }
    if (!sk_POLICYINFO_push(pols, pi)) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    pi = NULL;
    if (!X509_add1_ext_i2d(x, NID_certificate_policies, pols, 0, X509V3_ADD_DEFAULT))
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot add certificatePolicies");
out:
    POLICYQUALINFO_free(q);
    POLICYINFO_free(pi);
    CERTIFICATEPOLICIES_free(pols);
    return rc;
}

static int add_key_usage(X509 *x, const ca_profile *p, sertel_err *err)
{
    ASN1_BIT_STRING *bs = ASN1_BIT_STRING_new();
    static const struct {
        unsigned flag;
        int bit;
    } map[] = {
        {X509v3_KU_DIGITAL_SIGNATURE, 0}, {X509v3_KU_NON_REPUDIATION, 1},
        {X509v3_KU_KEY_ENCIPHERMENT, 2},  {X509v3_KU_DATA_ENCIPHERMENT, 3},
        {X509v3_KU_KEY_AGREEMENT, 4},     {X509v3_KU_KEY_CERT_SIGN, 5},
        {X509v3_KU_CRL_SIGN, 6},
    };
    size_t i;
    int rc = SERTEL_OK;

    if (bs == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if ((p->key_usage & map[i].flag) && !ASN1_BIT_STRING_set_bit(bs, map[i].bit, 1))
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    if (rc == SERTEL_OK &&
        !X509_add1_ext_i2d(x, NID_key_usage, bs, p->key_usage_critical, X509V3_ADD_DEFAULT))
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot add keyUsage");
    ASN1_BIT_STRING_free(bs);
    return rc;
}

static int add_eku(X509 *x, const ca_profile *p, sertel_err *err)
{
    EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
    int i, rc = SERTEL_OK;

    if (eku == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    for (i = 0; i < p->n_eku && rc == SERTEL_OK; i++) {
        ASN1_OBJECT *o = OBJ_txt2obj(p->eku[i], 1);
        if (o == NULL || !sk_ASN1_OBJECT_push(eku, o)) {
            ASN1_OBJECT_free(o);
            rc = sertel_err_set(err, SERTEL_ERR_CONFIG, "bad extended key usage %s", p->eku[i]);
        }
    }
    if (rc == SERTEL_OK &&
        !X509_add1_ext_i2d(x, NID_ext_key_usage, eku, p->eku_critical, X509V3_ADD_DEFAULT))
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot add extendedKeyUsage");
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    return rc;
}

static int add_extensions(X509 *x, const ca_profile *p, const ca_subject *subj, const ca_signer *s,
                          const char *base_url, sertel_err *err)
{
    X509V3_CTX ctx;
    char v[CA_URL_MAX * 2 + 64];
    int rc;

    X509V3_set_ctx(&ctx, s->cert ? s->cert : x, x, NULL, NULL, 0);
    if (p->is_ca) {
        if (p->path_len >= 0)
            snprintf(v, sizeof(v), "critical,CA:TRUE,pathlen:%d", p->path_len);
        else
            snprintf(v, sizeof(v), "critical,CA:TRUE");
    } else {
        snprintf(v, sizeof(v), "critical,CA:FALSE");
    }
    if ((rc = add_ext_conf(x, &ctx, NID_basic_constraints, v, err)) != SERTEL_OK)
        return rc;
    if ((rc = add_key_usage(x, p, err)) != SERTEL_OK)
        return rc;
    if (p->n_eku > 0 && (rc = add_eku(x, p, err)) != SERTEL_OK)
        return rc;
    if ((rc = add_ext_conf(x, &ctx, NID_subject_key_identifier, "hash", err)) != SERTEL_OK)
        return rc;
    if (s->cert != NULL && (rc = add_ext_conf(x, &ctx, NID_authority_key_identifier, "keyid:always",
                                              err)) != SERTEL_OK)
        return rc;
    if (subj->email != NULL && *subj->email != '\0' && p->san_email != PROFILE_SAN_NONE &&
        (rc = add_san_email(x, subj->email, err)) != SERTEL_OK)
        return rc;
    if (p->policy_oid[0] != '\0' && (rc = add_policies(x, p, err)) != SERTEL_OK)
        return rc;
    /* base_url was checked by ca_check_base_url: no characters that the
     * configuration language would interpret. */
    if (p->aia) {
        snprintf(v, sizeof(v), "OCSP;URI:%s/ocsp,caIssuers;URI:%s/ca/%s.crt", base_url, base_url,
                 s->name);
        if ((rc = add_ext_conf(x, &ctx, NID_info_access, v, err)) != SERTEL_OK)
            return rc;
    }
    if (p->crl_dp) {
        snprintf(v, sizeof(v), "URI:%s/crl/%s.crl", base_url, s->name);
        if ((rc = add_ext_conf(x, &ctx, NID_crl_distribution_points, v, err)) != SERTEL_OK)
            return rc;
    }
    if (p->ocsp_nocheck) {
        ASN1_NULL *null = ASN1_NULL_new();
        int ok = null != NULL &&
                 X509_add1_ext_i2d(x, NID_id_pkix_OCSP_noCheck, null, 0, X509V3_ADD_DEFAULT);
        ASN1_NULL_free(null);
        if (!ok)
            return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot add ocsp-nocheck");
    }
    return SERTEL_OK;
}

int ca_build_cert(const ca_profile *p, const ca_subject *subj, EVP_PKEY *pub, const ca_signer *s,
                  const char *base_url, time_t now, X509 **out, sertel_err *err)
{
    X509 *x = NULL;
    ASN1_INTEGER *serial = NULL;
    ks_keytype kt;
    const EVP_MD *md = ks_keytype_digest(s->type);
    time_t end;
    lint_input li;
    EVP_PKEY *issuer_pub;
    int rc;

    *out = NULL;
    rc = ks_keytype_of(pub, &kt, err);
    if (rc != SERTEL_OK)
        return rc;
    if (!profile_allows_key(p, kt))
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED, "profile %s does not allow %s keys",
                              p->name, ks_keytype_name(kt));
    x = X509_new();
    serial = ca_new_serial();
    if (x == NULL || serial == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory building a certificate");
        goto out;
    }
    end = now + (time_t)p->validity_days * SECONDS_PER_DAY;
    if (s->cert != NULL) {
        /* Never outlive the issuer (RFC 5280 §6: the chain must be valid). */
        const ASN1_TIME *ina = X509_get0_notAfter(s->cert);
        struct tm tm;
        if (ASN1_TIME_to_tm(ina, &tm)) {
            time_t ia = timegm(&tm);
            if (ia < end)
                end = ia;
        }
    }
    if (!X509_set_version(x, 2) || !X509_set_serialNumber(x, serial) ||
        X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &now) == NULL ||
        X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &end) == NULL || !X509_set_pubkey(x, pub)) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot fill in the certificate");
        goto out;
    }
    if ((rc = build_subject(x, p, subj, err)) != SERTEL_OK)
        goto out;
    if (!X509_set_issuer_name(x, s->cert ? X509_get_subject_name(s->cert)
                                         : X509_get_subject_name(x))) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot set the issuer");
        goto out;
    }
    if ((rc = add_extensions(x, p, subj, s, base_url, err)) != SERTEL_OK)
        goto out;

    issuer_pub = s->cert ? X509_get0_pubkey(s->cert) : pub;
    li.cert = x;
    li.issuer = s->cert;
    li.issuer_key = issuer_pub;
    li.md = md;
    li.profile = p;
    rc = lint_check(&li, NULL, err);
    if (rc != SERTEL_OK)
        goto out;
    if (X509_sign(x, s->key, md) <= 0) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO,
                                "signing the certificate with the %s key "
                                "failed",
                                s->name);
        goto out;
    }
    *out = x;
    x = NULL;
out:
    ASN1_INTEGER_free(serial);
    X509_free(x);
    return rc;
}

int ca_record_cert(store *st, audit *a, X509 *x, const char *issuer, const char *profile,
                   const char *email, const char *actor, sertel_err *err)
{
    unsigned char *der = NULL, md[32];
    char serial[41], sha[65];
    int len, rc;
    char *subject = NULL;
    BIO *bio = NULL;
    store_stmt *s = NULL;
    struct tm tnb, tna;
    BUF_MEM *bm;

    len = i2d_X509(x, &der);
    if (len <= 0)
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot encode the certificate");
    EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(), NULL);
    hex_encode(md, sizeof(md), sha);
    if (ca_serial_hex(x, serial, sizeof(serial)) != SERTEL_OK ||
        !ASN1_TIME_to_tm(X509_get0_notBefore(x), &tnb) ||
        !ASN1_TIME_to_tm(X509_get0_notAfter(x), &tna)) {
        rc = sertel_err_set(err, SERTEL_ERR_INTERNAL, "cannot read back the certificate");
        goto out;
    }
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL ||
        X509_NAME_print_ex(bio, X509_get_subject_name(x), 0,
                           XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0 ||
        BIO_write(bio, "", 1) != 1) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    BIO_get_mem_ptr(bio, &bm);
    subject = bm->data;

    rc = store_prepare(st,
                       "INSERT INTO certificates (serial, issuer, profile, subject, email, "
                       "not_before, not_after, status, sha256, der, created_at, seq) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, 'valid', ?, ?, ?, "
                       "(SELECT coalesce(max(seq), 0) + 1 FROM certificates))",
                       &s, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 1, serial, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 2, issuer, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 3, profile, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 4, subject, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 5, email, err);
    if (rc == SERTEL_OK)
        rc = store_bind_int64(s, 6, (int64_t)timegm(&tnb), err);
    if (rc == SERTEL_OK)
        rc = store_bind_int64(s, 7, (int64_t)timegm(&tna), err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 8, sha, err);
    if (rc == SERTEL_OK)
        rc = store_bind_blob(s, 9, der, (size_t)len, err);
    if (rc == SERTEL_OK)
        rc = store_bind_int64(s, 10, (int64_t)time(NULL), err);
    if (rc == SERTEL_OK)
        rc = store_run(s, err);
    if (rc != SERTEL_OK)
        goto out;
    rc = audit_append_json(
        a, actor ? actor : "system", AUDIT_CERT_ISSUED, serial,
        json_pack("{s:s, s:s, s:s}", "profile", profile, "issuer", issuer, "sha256", sha), NULL,
        err);
out:
    store_finalize(s);
    BIO_free(bio);
    OPENSSL_free(der);
    return rc;
}

/* The profile, from the one-entry cache when it was the last one used. */
static int get_profile(ca_ctx *ca, const char *name, const ca_profile **out, sertel_err *err)
{
    int rc;

    if (ca->profile_cached && strcmp(ca->profile_cache.name, name) == 0) {
        *out = &ca->profile_cache;
        return SERTEL_OK;
    }
    ca->profile_cached = 0;
    rc = profile_load(ca->conf, name, &ca->profile_cache, err);
    if (rc != SERTEL_OK)
        return rc;
    if (ca->profile_cache.is_ca)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "profile %s is for CA certificates: the issuing CA only issues "
                              "end-entity certificates",
                              name);
    ca->profile_cached = 1;
    *out = &ca->profile_cache;
    return SERTEL_OK;
}

static int record_req(ca_ctx *ca, X509 *x, const ca_issue_req *req, sertel_err *err)
{
    char serial[41];
    store_stmt *s = NULL;
    int rc;

    rc = ca_record_cert(ca->st, ca->audit, x, "issuing", req->profile, req->subject.email,
                        req->actor, err);
    if (rc != SERTEL_OK || req->account_id == 0)
        return rc;
    if (ca_serial_hex(x, serial, sizeof(serial)) != SERTEL_OK)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "cannot read the serial back");
    rc = store_prepare(ca->st, "UPDATE certificates SET account_id = ? WHERE serial = ?", &s, err);
    if (rc == SERTEL_OK)
        rc = store_bind_int64(s, 1, req->account_id, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 2, serial, err);
    if (rc == SERTEL_OK)
        rc = store_run(s, err);
    store_finalize(s);
    return rc;
}

int ca_txn_begin(ca_ctx *ca, sertel_err *err)
{
    if (ca->issuing_key == NULL)
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "the CA was opened read-only: it cannot change anything");
    return store_begin(ca->st, err);
}

int ca_txn_commit(ca_ctx *ca, sertel_err *err)
{
    int rc = audit_checkpoint(ca->audit, err), dirty = ca->crl_dirty;

    ca->crl_dirty = 0; /* before any CRL below: it commits through here too */
    if (rc != SERTEL_OK) {
        store_rollback(ca->st);
        return rc;
    }
    rc = store_commit(ca->st, err);
    if (rc != SERTEL_OK)
        return rc;
    if (audit_write_head(ca->audit, NULL) != SERTEL_OK) {
        /* reported later by `audit verify` as a head behind the log */
    }
    /* A revocation is published at once. If this fails the revocation still
     * stands, and the server's refresh issues the CRL on its next tick. */
    if (dirty & 1)
        (void)!ca_crl_generate(ca, "issuing", NULL);
    if (dirty & 2)
        (void)!ca_crl_generate(ca, "root", NULL);
    return SERTEL_OK;
}

void ca_txn_rollback(ca_ctx *ca)
{
    store_rollback(ca->st);
    ca->crl_dirty = 0;
}

int ca_sign_cert(ca_ctx *ca, const ca_issue_req *req, X509 **out, sertel_err *err)
{
    const ca_profile *p = NULL;
    ca_signer signer;
    int rc;

    *out = NULL;
    if (ca->issuing_key == NULL)
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "the CA was opened read-only: it cannot issue");
    rc = get_profile(ca, req->profile, &p, err);
    if (rc != SERTEL_OK)
        return rc;
    signer.name = "issuing";
    signer.cert = ca->issuing;
    signer.key = ks_key_get0_pkey(ca->issuing_key);
    signer.type = ks_key_type(ca->issuing_key);
    return ca_build_cert(p, &req->subject, req->pubkey, &signer, ca->base_url, time(NULL), out,
                         err);
}

int ca_record_issued(ca_ctx *ca, X509 *x, const ca_issue_req *req, sertel_err *err)
{
    if (!store_in_transaction(ca->st))
        return sertel_err_set(err, SERTEL_ERR_STATE, "ca_record_issued needs ca_txn_begin");
    return record_req(ca, x, req, err);
}

int ca_issue_batch(ca_ctx *ca, const ca_issue_req *reqs, size_t n, X509 **out, sertel_err *err)
{
    X509 **certs = NULL;
    size_t i;
    int rc = SERTEL_OK, attempt;

    if (n == 0 || n > CA_BATCH_MAX)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "a batch holds 1 to %d requests",
                              CA_BATCH_MAX);
    certs = calloc(n, sizeof(*certs));
    if (certs == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    for (attempt = 0; attempt < SERIAL_RETRIES; attempt++) {
        for (i = 0; i < n; i++) {
            X509_free(certs[i]);
            certs[i] = NULL;
            if ((rc = ca_sign_cert(ca, &reqs[i], &certs[i], err)) != SERTEL_OK)
                goto out;
        }
        /* One transaction, one checkpoint signature and one fsync for the batch. */
        if ((rc = ca_txn_begin(ca, err)) != SERTEL_OK)
            goto out;
        for (i = 0; i < n && rc == SERTEL_OK; i++)
            rc = record_req(ca, certs[i], &reqs[i], err);
        if (rc == SERTEL_OK) {
            rc = ca_txn_commit(ca, err);
            break;
        }
        ca_txn_rollback(ca);
        if (rc != SERTEL_ERR_EXISTS)
            goto out;
        /* A serial collided with an existing one: new serials, sign again. */
    }
    if (rc != SERTEL_OK)
        goto out;
    for (i = 0; i < n; i++) {
        out[i] = certs[i];
        certs[i] = NULL;
    }
out:
    if (certs != NULL)
        for (i = 0; i < n; i++)
            X509_free(certs[i]);
    free(certs);
    return rc;
}

int ca_issue(ca_ctx *ca, const ca_issue_req *req, X509 **out, sertel_err *err)
{
    *out = NULL;
    return ca_issue_batch(ca, req, 1, out, err);
}

/* Copy one name attribute of the request into buf; refuse duplicates. */
static int req_attr(X509_NAME *n, int nid, char *buf, size_t cap, sertel_err *err)
{
    int idx = X509_NAME_get_index_by_NID(n, nid, -1);
    unsigned char *utf8 = NULL;
    int len;

    buf[0] = '\0';
    if (idx < 0)
        return SERTEL_OK;
    if (X509_NAME_get_index_by_NID(n, nid, idx) >= 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the CSR subject has %s more than once: give it once",
                              OBJ_nid2sn(nid));
    len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, idx)));
    if (len < 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the CSR's %s is not valid text",
                              OBJ_nid2sn(nid));
    if ((size_t)len >= cap || memchr(utf8, '\0', (size_t)len) != NULL) {
        OPENSSL_free(utf8);
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the CSR's %s is too long or contains a NUL byte", OBJ_nid2sn(nid));
    }
    memcpy(buf, utf8, (size_t)len);
    buf[len] = '\0';
    OPENSSL_free(utf8);
    return SERTEL_OK;
}

static int req_email(X509_REQ *req, X509_NAME *n, char *buf, size_t cap, sertel_err *err)
{
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    GENERAL_NAMES *gens = NULL;
    int i, rc = SERTEL_OK, found = 0;

    buf[0] = '\0';
    if (exts != NULL) {
        gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
        for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
            int type;
            ASN1_IA5STRING *s = GENERAL_NAME_get0_value(g, &type);
            if (type != GEN_EMAIL) {
                rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                    "the CSR's subjectAltName holds a name that is not an "
                                    "e-mail address: only rfc822Name is allowed");
                goto out;
            }
            if (found++) {
                rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                    "the CSR's subjectAltName holds more than one e-mail "
                                    "address: give one");
                goto out;
            }
            if ((size_t)ASN1_STRING_length(s) >= cap ||
                memchr(ASN1_STRING_get0_data(s), '\0', (size_t)ASN1_STRING_length(s))) {
                rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                    "the CSR's e-mail address is too long or malformed");
                goto out;
            }
            memcpy(buf, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
            buf[ASN1_STRING_length(s)] = '\0';
        }
    }
    if (!found)
        rc = req_attr(n, NID_pkcs9_emailAddress, buf, cap, err);
out:
    GENERAL_NAMES_free(gens);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return rc;
}

int ca_issue_csr(ca_ctx *ca, const unsigned char *csr, size_t len, const char *profile,
                 const char *actor, X509 **out, sertel_err *err)
{
    X509_REQ *req = NULL;
    BIO *bio = NULL;
    EVP_PKEY *pub;
    X509_NAME *n;
    char c[8], o[256], ou[256], cn[256], email[256];
    ca_issue_req ir;
    ks_keytype kt;
    int i, rc;

    *out = NULL;
    if (len == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the CSR is empty");
    if (len > CSR_MAX)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the CSR is larger than %d bytes", CSR_MAX);
    bio = BIO_new_mem_buf(csr, (int)len);
    if (bio == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    if (len > 10 && memmem(csr, len, "-----BEGIN", 10) != NULL)
        req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
    else
        req = d2i_X509_REQ_bio(bio, NULL);
    if (req == NULL) {
        rc = sertel_err_openssl(err, SERTEL_ERR_INVALID,
                                "the file is not a PKCS#10 certificate request (PEM or DER): "
                                "create one with 'openssl req -new'");
        goto out;
    }
    pub = X509_REQ_get0_pubkey(req);
    if (pub == NULL) {
        rc = sertel_err_openssl(err, SERTEL_ERR_INVALID, "the CSR's public key cannot be read");
        goto out;
    }
    rc = ks_keytype_of(pub, &kt, err);
    if (rc != SERTEL_OK)
        goto out;
    if (X509_REQ_verify(req, pub) != 1) {
        rc = sertel_err_openssl(err, SERTEL_ERR_INVALID,
                                "the CSR's self-signature does not verify: the request was "
                                "altered or signed with another key; create it again");
        goto out;
    }
    n = X509_REQ_get_subject_name(req);
    for (i = 0; i < X509_NAME_entry_count(n); i++) {
        int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(n, i)));
        if (nid != NID_countryName && nid != NID_organizationName &&
            nid != NID_organizationalUnitName && nid != NID_commonName &&
            nid != NID_pkcs9_emailAddress) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "the CSR subject contains %s, which sertel's profiles do not "
                                "use: give only C, O, OU, CN (and emailAddress)",
                                nid == NID_undef ? "an unknown attribute" : OBJ_nid2sn(nid));
            goto out;
        }
    }
    if ((rc = req_attr(n, NID_countryName, c, sizeof(c), err)) != SERTEL_OK ||
        (rc = req_attr(n, NID_organizationName, o, sizeof(o), err)) != SERTEL_OK ||
        (rc = req_attr(n, NID_organizationalUnitName, ou, sizeof(ou), err)) != SERTEL_OK ||
        (rc = req_attr(n, NID_commonName, cn, sizeof(cn), err)) != SERTEL_OK ||
        (rc = req_email(req, n, email, sizeof(email), err)) != SERTEL_OK)
        goto out;
    memset(&ir, 0, sizeof(ir));
    ir.profile = profile;
    ir.pubkey = pub;
    ir.subject.country = c[0] ? c : NULL;
    ir.subject.org = o[0] ? o : NULL;
    ir.subject.unit = ou[0] ? ou : NULL;
    ir.subject.name = cn[0] ? cn : NULL;
    ir.subject.email = email[0] ? email : NULL;
    ir.actor = actor;
    rc = ca_issue(ca, &ir, out, err);
out:
    X509_REQ_free(req);
    BIO_free(bio);
    return rc;
}
