/*
 * test_lint.c - the certificate linter (lib/ca/lint.c).
 *
 * A root CA (P-384), an issuing CA (P-256) and a document-signing
 * certificate (P-256) are built here, extension by extension, as the
 * profiles filled in below say; each must pass. Then, for every rule, a
 * certificate broken in exactly one way must fail with exactly that rule.
 * The last test checks that every rule of lint_rules() was seen failing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca/lint.h"

#define DAY 86400
#define EE_CN "Budi Santoso"
#define EE_ORG "Kementerian Komunikasi dan Informatika"
#define EE_EMAIL "budi.santoso@kominfo.go.id"
#define POLICY_OID "2.999.1.1"
#define CPS_URI "https://ca.sertel.test/cps"
#define AIA_VALUE                                                                                  \
    "OCSP;URI:http://ca.sertel.test/ocsp,caIssuers;URI:http://ca.sertel.test/ca/issuing.crt"
#define CRL_URI "http://ca.sertel.test/crl/issuing.crl"
#define OID_DOCUMENT_SIGNING "1.3.6.1.5.5.7.3.36" /* RFC 9336 */
#define OID_EMAIL_PROTECTION "1.3.6.1.5.5.7.3.4"
#define ALL_KEY_TYPES                                                                              \
    ((1u << KS_KEY_EC_P256) | (1u << KS_KEY_EC_P384) | (1u << KS_KEY_RSA_2048) |                   \
     (1u << KS_KEY_RSA_3072) | (1u << KS_KEY_RSA_4096))

typedef struct fixture {
    time_t t0;
    EVP_PKEY *root_key; /* P-384 */
    EVP_PKEY *ca_key;   /* P-256 */
    EVP_PKEY *ee_key;   /* P-256 */
    X509 *root;
    X509 *ca;
    ca_profile root_p, ca_p, ee_p, ocsp_p, tsa_p, mail_p;
} fixture;

/* Rules seen failing, for test_every_rule_is_tested. */
static const char *seen_rules[64];
static size_t n_seen;

static void record_rule(const char *rule)
{
    size_t i;

    for (i = 0; i < n_seen; i++)
        if (strcmp(seen_rules[i], rule) == 0)
            return;
    assert_true(n_seen < sizeof(seen_rules) / sizeof(seen_rules[0]));
    seen_rules[n_seen++] = rule;
}

/* ---------------------------------------------------------------------- */
/* Profiles                                                                 */
/* ---------------------------------------------------------------------- */

static void profile_base(ca_profile *p, const char *name)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "%s", name);
    p->path_len = -1;
    p->key_usage_critical = 1;
    p->subject_required = PROFILE_ATTR_C | PROFILE_ATTR_O | PROFILE_ATTR_CN;
    p->subject_allowed = p->subject_required;
    snprintf(p->country, sizeof(p->country), "ID");
    p->key_types = ALL_KEY_TYPES;
}

static void profile_eku(ca_profile *p, const char *oid)
{
    snprintf(p->eku[p->n_eku], sizeof(p->eku[0]), "%s", oid);
    p->n_eku++;
}

static void make_profiles(fixture *f)
{
    profile_base(&f->root_p, "root-ca");
    f->root_p.validity_days = 7305;
    f->root_p.is_ca = 1;
    f->root_p.key_usage = X509v3_KU_KEY_CERT_SIGN | X509v3_KU_CRL_SIGN;
    f->root_p.key_types = 1u << KS_KEY_EC_P384;

    profile_base(&f->ca_p, "issuing-ca");
    f->ca_p.validity_days = 3653;
    f->ca_p.is_ca = 1;
    f->ca_p.path_len = 0;
    f->ca_p.key_usage = X509v3_KU_KEY_CERT_SIGN | X509v3_KU_CRL_SIGN;
    f->ca_p.crl_dp = 1;

    profile_base(&f->ee_p, "document-signing");
    f->ee_p.validity_days = 730;
    f->ee_p.key_usage = X509v3_KU_DIGITAL_SIGNATURE | X509v3_KU_NON_REPUDIATION;
    profile_eku(&f->ee_p, OID_DOCUMENT_SIGNING);
    profile_eku(&f->ee_p, OID_EMAIL_PROTECTION);
    f->ee_p.subject_allowed |= PROFILE_ATTR_OU;
    f->ee_p.san_email = PROFILE_SAN_REQUIRED;
    snprintf(f->ee_p.policy_oid, sizeof(f->ee_p.policy_oid), "%s", POLICY_OID);
    snprintf(f->ee_p.cps_uri, sizeof(f->ee_p.cps_uri), "%s", CPS_URI);
    f->ee_p.aia = 1;
    f->ee_p.crl_dp = 1;

    profile_base(&f->ocsp_p, "ocsp-signing");
    f->ocsp_p.validity_days = 730;
    f->ocsp_p.key_usage = X509v3_KU_DIGITAL_SIGNATURE;
    profile_eku(&f->ocsp_p, "1.3.6.1.5.5.7.3.9");
    f->ocsp_p.ocsp_nocheck = 1;

    profile_base(&f->tsa_p, "time-stamping");
    f->tsa_p.validity_days = 1826;
    f->tsa_p.key_usage = X509v3_KU_DIGITAL_SIGNATURE | X509v3_KU_NON_REPUDIATION;
    profile_eku(&f->tsa_p, "1.3.6.1.5.5.7.3.8");
    f->tsa_p.eku_critical = 1;
    f->tsa_p.aia = 1;
    f->tsa_p.crl_dp = 1;

    /* A key bound only to an e-mail address: empty subject (RFC 5280 4.1.2.6). */
    f->mail_p = f->ee_p;
    snprintf(f->mail_p.name, sizeof(f->mail_p.name), "mail-only");
    f->mail_p.subject_required = 0;
    f->mail_p.subject_allowed = PROFILE_ATTR_CN;
}

/* ---------------------------------------------------------------------- */
/* Building certificates                                                    */
/* ---------------------------------------------------------------------- */

static EVP_PKEY *gen_ec(const char *curve)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);

    assert_non_null(k);
    return k;
}

static EVP_PKEY *gen_rsa(unsigned bits, unsigned long e)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    BIGNUM *bn = BN_new();
    EVP_PKEY *k = NULL;

    assert_non_null(ctx);
    assert_non_null(bn);
    assert_int_equal(BN_set_word(bn, e), 1);
    assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits), 1);
    assert_int_equal(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, bn), 1);
    assert_int_equal(EVP_PKEY_generate(ctx, &k), 1);
    BN_free(bn);
    EVP_PKEY_CTX_free(ctx);
    return k;
}

static void set_serial(X509 *x, const unsigned char *b, int n, int negative)
{
    BIGNUM *bn = BN_bin2bn(b, n, NULL);
    ASN1_INTEGER *ai;

    assert_non_null(bn);
    BN_set_negative(bn, negative);
    ai = BN_to_ASN1_INTEGER(bn, NULL);
    assert_non_null(ai);
    assert_int_equal(X509_set_serialNumber(x, ai), 1);
    ASN1_INTEGER_free(ai);
    BN_free(bn);
}

static void set_validity(X509 *x, time_t nb, time_t na)
{
    assert_non_null(X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &nb));
    assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &na));
}

/* One subject attribute: type is an MBSTRING_* (OpenSSL picks the ASN.1
 * type) or a V_ASN1_* (used as is); set -1 joins the previous RDN. */
typedef struct rdn {
    int nid;
    int type;
    const char *value;
    int len;
    int set;
} rdn;

static void name_add(X509_NAME *n, const rdn *r)
{
    X509_NAME_ENTRY *e;

    if (r->type & MBSTRING_FLAG) {
        assert_int_equal(X509_NAME_add_entry_by_NID(n, r->nid, r->type,
                                                    (const unsigned char *)r->value, r->len, -1,
                                                    r->set),
                         1);
        return;
    }
    e = X509_NAME_ENTRY_create_by_NID(NULL, r->nid, r->type, (const unsigned char *)r->value,
                                      r->len);
    assert_non_null(e);
    assert_int_equal(X509_NAME_add_entry(n, e, -1, r->set), 1);
    X509_NAME_ENTRY_free(e);
}

/* Replace the entries of a certificate's name in place: X509_set_*_name
 * would copy through DER and refuse the malformed values tested here. */
static void replace_name(X509_NAME *name, const rdn *r, size_t n)
{
    size_t i;

    while (X509_NAME_entry_count(name) > 0)
        X509_NAME_ENTRY_free(X509_NAME_delete_entry(name, 0));
    for (i = 0; i < n; i++)
        name_add(name, &r[i]);
}

static void set_subject(X509 *x, const rdn *r, size_t n)
{
    replace_name(X509_get_subject_name(x), r, n);
}

static void set_issuer(X509 *x, const rdn *r, size_t n)
{
    replace_name(X509_get_issuer_name(x), r, n);
}

#define RDN_C                                                                                      \
    {                                                                                              \
        NID_countryName, MBSTRING_ASC, "ID", -1, 0                                                 \
    }
#define RDN_O                                                                                      \
    {                                                                                              \
        NID_organizationName, MBSTRING_UTF8, EE_ORG, -1, 0                                         \
    }
#define RDN_OU                                                                                     \
    {                                                                                              \
        NID_organizationalUnitName, MBSTRING_UTF8, "Direktorat Jenderal Aptika", -1, 0             \
    }
#define RDN_CN                                                                                     \
    {                                                                                              \
        NID_commonName, MBSTRING_UTF8, EE_CN, -1, 0                                                \
    }
#define N_OF(a) (sizeof(a) / sizeof(a[0]))

/* Add ext (replacing an extension of the same type in place) from an
 * encoded structure. */
static void ext_set(X509 *x, int nid, int crit, void *value)
{
    assert_int_equal(X509_add1_ext_i2d(x, nid, value, crit, X509V3_ADD_REPLACE), 1);
}

/* Same, from OpenSSL's configuration syntax ("critical,CA:TRUE"). */
static void ext_conf(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int loc = X509_get_ext_by_NID(x, nid, -1);

    X509V3_set_ctx(&ctx, NULL, x, NULL, NULL, 0);
    ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
    assert_non_null(ext);
    if (loc >= 0)
        X509_EXTENSION_free(X509_delete_ext(x, loc));
    assert_int_equal(X509_add_ext(x, ext, loc), 1);
    X509_EXTENSION_free(ext);
}

static void ext_del(X509 *x, int nid)
{
    int loc = X509_get_ext_by_NID(x, nid, -1);

    assert_true(loc >= 0);
    X509_EXTENSION_free(X509_delete_ext(x, loc));
}

/* Append an extension with a raw DER value. */
static void ext_raw(X509 *x, const char *oid, int crit, const unsigned char *der, int len)
{
    ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext;

    assert_non_null(o);
    assert_non_null(v);
    assert_int_equal(ASN1_OCTET_STRING_set(v, der, len), 1);
    ext = X509_EXTENSION_create_by_OBJ(NULL, o, crit, v);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(v);
    ASN1_OBJECT_free(o);
}

/* Bit n of a KU flag as OpenSSL numbers it (see cert_ku in lint.c). */
static void ku_ext(X509 *x, unsigned bits, int crit)
{
    ASN1_BIT_STRING *bs = ASN1_BIT_STRING_new();
    int n;

    assert_non_null(bs);
    for (n = 0; n < 16; n++) {
        unsigned mask = n < 8 ? 0x80u >> n : 0x8000u >> (n - 8);
        if (bits & mask)
            assert_int_equal(ASN1_BIT_STRING_set_bit(bs, n, 1), 1);
    }
    ext_set(x, NID_key_usage, crit, bs);
    ASN1_BIT_STRING_free(bs);
}

static void eku_ext(X509 *x, const char *const *oids, int n, int crit)
{
    EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
    int i;

    assert_non_null(eku);
    for (i = 0; i < n; i++) {
        ASN1_OBJECT *o = OBJ_txt2obj(oids[i], 0);
        assert_non_null(o);
        assert_true(sk_ASN1_OBJECT_push(eku, o) > 0);
    }
    ext_set(x, NID_ext_key_usage, crit, eku);
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
}

static void eku_from_profile(X509 *x, const ca_profile *p)
{
    const char *oids[PROFILE_EKU_MAX];
    int i;

    for (i = 0; i < p->n_eku; i++)
        oids[i] = p->eku[i];
    eku_ext(x, oids, p->n_eku, p->eku_critical);
}

static void ski_ext(X509 *x)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();

    assert_non_null(ski);
    assert_int_equal(X509_pubkey_digest(x, EVP_sha1(), md, &len), 1);
    assert_int_equal(ASN1_OCTET_STRING_set(ski, md, (int)len), 1);
    ext_set(x, NID_subject_key_identifier, 0, ski);
    ASN1_OCTET_STRING_free(ski);
}

static void aki_ext(X509 *x, const unsigned char *keyid, int len, int crit)
{
    AUTHORITY_KEYID *a = AUTHORITY_KEYID_new();

    assert_non_null(a);
    if (keyid != NULL) {
        a->keyid = ASN1_OCTET_STRING_new();
        assert_non_null(a->keyid);
        assert_int_equal(ASN1_OCTET_STRING_set(a->keyid, keyid, len), 1);
    } else {
        a->serial = ASN1_INTEGER_new();
        assert_non_null(a->serial);
        assert_int_equal(ASN1_INTEGER_set(a->serial, 42), 1);
    }
    ext_set(x, NID_authority_key_identifier, crit, a);
    AUTHORITY_KEYID_free(a);
}

/* AKI = the SKI of issuer. */
static void aki_of(X509 *x, const X509 *issuer, int crit)
{
    ASN1_OCTET_STRING *ski = X509_get_ext_d2i(issuer, NID_subject_key_identifier, NULL, NULL);

    assert_non_null(ski);
    aki_ext(x, ASN1_STRING_get0_data(ski), ASN1_STRING_length(ski), crit);
    ASN1_OCTET_STRING_free(ski);
}

/* subjectAltName with n names of the given types (IA5 values, len -1: strlen). */
static void san_names(X509 *x, int crit, const int *types, const char *const *values,
                      const int *lens, int n)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    int i;

    assert_non_null(gens);
    for (i = 0; i < n; i++) {
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        int len = lens != NULL && lens[i] >= 0 ? lens[i] : (int)strlen(values[i]);

        assert_non_null(g);
        assert_non_null(s);
        assert_int_equal(ASN1_STRING_set(s, values[i], len), 1);
        GENERAL_NAME_set0_value(g, types[i], s);
        assert_true(sk_GENERAL_NAME_push(gens, g) > 0);
    }
    ext_set(x, NID_subject_alt_name, crit, gens);
    GENERAL_NAMES_free(gens);
}

static void san_email(X509 *x, int crit, const char *email, int len)
{
    int type = GEN_EMAIL;

    san_names(x, crit, &type, &email, &len, 1);
}

/* certificatePolicies with one policy per oid, the first with the CPS. */
static void cp_ext(X509 *x, const char *const *oids, int n, const char *cps, int cps_type)
{
    CERTIFICATEPOLICIES *pols = sk_POLICYINFO_new_null();
    int i;

    assert_non_null(pols);
    for (i = 0; i < n; i++) {
        POLICYINFO *pi = POLICYINFO_new();
        assert_non_null(pi);
        ASN1_OBJECT_free(pi->policyid);
        pi->policyid = OBJ_txt2obj(oids[i], 1);
        assert_non_null(pi->policyid);
        if (i == 0 && cps != NULL) {
            POLICYQUALINFO *q = POLICYQUALINFO_new();
            assert_non_null(q);
            pi->qualifiers = sk_POLICYQUALINFO_new_null();
            assert_non_null(pi->qualifiers);
            q->pqualid = OBJ_nid2obj(NID_id_qt_cps);
            q->d.cpsuri = ASN1_STRING_type_new(cps_type);
            assert_non_null(q->d.cpsuri);
            assert_int_equal(ASN1_STRING_set(q->d.cpsuri, cps, -1), 1);
            assert_true(sk_POLICYQUALINFO_push(pi->qualifiers, q) > 0);
        }
        assert_true(sk_POLICYINFO_push(pols, pi) > 0);
    }
    ext_set(x, NID_certificate_policies, 0, pols);
    CERTIFICATEPOLICIES_free(pols);
}

static void cp_one(X509 *x, const char *oid, const char *cps)
{
    cp_ext(x, &oid, 1, cps, V_ASN1_IA5STRING);
}

static void nocheck_ext(X509 *x)
{
    ASN1_NULL *null = ASN1_NULL_new();

    assert_non_null(null);
    ext_set(x, NID_id_pkix_OCSP_noCheck, 0, null);
    ASN1_NULL_free(null);
}

/*
 * A certificate for key under profile p, issued by issuer (NULL:
 * self-signed), valid from nb for the profile's validity_days, with every
 * extension the profile calls for, in the order sertel writes them. Not
 * signed: that is the linter's input.
 */
static X509 *build(const ca_profile *p, EVP_PKEY *key, X509 *issuer, time_t nb, const char *cn)
{
    X509 *x = X509_new();
    unsigned char serial[16];
    rdn subject[4];
    size_t n = 0;
    char v[64];

    assert_non_null(x);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(RAND_bytes(serial, sizeof(serial)), 1);
    serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x01);
    set_serial(x, serial, sizeof(serial), 0);
    set_validity(x, nb, nb + (time_t)p->validity_days * DAY);
    assert_int_equal(X509_set_pubkey(x, key), 1);

    if (p->subject_required & PROFILE_ATTR_C)
        subject[n++] =
            (rdn){NID_countryName, MBSTRING_ASC, p->country[0] ? p->country : "ID", -1, 0};
    if (p->subject_required & PROFILE_ATTR_O)
        subject[n++] = (rdn)RDN_O;
    if (p->subject_required & PROFILE_ATTR_OU)
        subject[n++] = (rdn)RDN_OU;
    if (p->subject_required & PROFILE_ATTR_CN)
        subject[n++] = (rdn){NID_commonName, MBSTRING_UTF8, cn, -1, 0};
    set_subject(x, subject, n);
    assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)), 1);

    if (p->is_ca && p->path_len >= 0)
        snprintf(v, sizeof(v), "critical,CA:TRUE,pathlen:%d", p->path_len);
    else
        snprintf(v, sizeof(v), "critical,CA:%s", p->is_ca ? "TRUE" : "FALSE");
    ext_conf(x, NID_basic_constraints, v);
    ku_ext(x, p->key_usage, p->key_usage_critical);
    if (p->n_eku > 0)
        eku_from_profile(x, p);
    ski_ext(x);
    if (issuer != NULL)
        aki_of(x, issuer, 0);
    if (p->san_email != PROFILE_SAN_NONE)
        san_email(x, n == 0, EE_EMAIL, -1);
    if (p->policy_oid[0] != '\0')
        cp_one(x, p->policy_oid, p->cps_uri[0] ? p->cps_uri : NULL);
    if (p->aia)
        ext_conf(x, NID_info_access, AIA_VALUE);
    if (p->crl_dp)
        ext_conf(x, NID_crl_distribution_points, "URI:" CRL_URI);
    if (p->ocsp_nocheck)
        nocheck_ext(x);
    return x;
}

/* The document-signing certificate (or another end entity under p),
 * issued by the issuing CA now. */
static X509 *ee_with(fixture *f, const ca_profile *p, EVP_PKEY *key)
{
    return build(p, key, f->ca, f->t0, EE_CN);
}

static X509 *ee(fixture *f)
{
    return ee_with(f, &f->ee_p, f->ee_key);
}

/* A new root certificate like the fixture's (X509_dup cannot copy an
 * unsigned certificate: its empty signature algorithm does not decode). */
static X509 *new_root(fixture *f)
{
    return build(&f->root_p, f->root_key, NULL, f->t0 - 2 * DAY, "sertel Root CA");
}

/* A new issuing CA certificate under p, issued by the root. */
static X509 *new_ca(fixture *f, const ca_profile *p)
{
    X509 *x = build(p, f->ca_key, f->root, f->t0, "sertel Issuing CA");

    if (p->crl_dp)
        ext_conf(x, NID_crl_distribution_points, "URI:http://ca.sertel.test/crl/root.crl");
    return x;
}

/* ---------------------------------------------------------------------- */
/* Linting                                                                  */
/* ---------------------------------------------------------------------- */

/* Lint; NULL when it passes, else the failing rule (after checking the
 * return code and the message's form). */
static const char *lint(X509 *x, X509 *issuer, EVP_PKEY *ikey, const EVP_MD *md,
                        const ca_profile *p)
{
    static const char unset[] = "unset";
    lint_input in = {x, issuer, ikey, md, p};
    const char *rule = unset;
    sertel_err err = {0};
    char prefix[128];
    int rc;

    rc = lint_check(&in, &rule, &err);
    assert_int_equal(ERR_peek_error(), 0);
    if (rc == SERTEL_OK) {
        if (rule != NULL)
            fail_msg("lint passed but failed_rule is %s", rule);
        return NULL;
    }
    assert_int_equal(rc, SERTEL_ERR_LINT);
    assert_int_equal(err.code, SERTEL_ERR_LINT);
    assert_non_null(rule);
    assert_ptr_not_equal(rule, unset);
    snprintf(prefix, sizeof(prefix), "lint rule %s failed: ", rule);
    assert_int_equal(strncmp(err.msg, prefix, strlen(prefix)), 0);
    assert_true(strlen(err.msg) > strlen(prefix));
    print_message("    %s\n", err.msg);
    record_rule(rule);
    return rule;
}

static void expect_rule(const char *got, const char *want)
{
    if (want == NULL) {
        if (got != NULL)
            fail_msg("expected the certificate to pass, but rule %s failed", got);
        return;
    }
    if (got == NULL)
        fail_msg("expected rule %s to fail, but the certificate passed", want);
    assert_string_equal(got, want);
}

/* An end entity issued by the issuing CA, signed with SHA-256; frees x. */
static void check_ee(fixture *f, X509 *x, const ca_profile *p, const char *want)
{
    expect_rule(lint(x, f->ca, f->ca_key, EVP_sha256(), p ? p : &f->ee_p), want);
    X509_free(x);
}

/* An issuing CA certificate signed by the root with SHA-384; frees x. */
static void check_ca(fixture *f, X509 *x, const ca_profile *p, const char *want)
{
    expect_rule(lint(x, f->root, f->root_key, EVP_sha384(), p ? p : &f->ca_p), want);
    X509_free(x);
}

/* A self-signed root with SHA-384; frees x. */
static void check_root(fixture *f, X509 *x, const ca_profile *p, const char *want)
{
    expect_rule(lint(x, NULL, f->root_key, EVP_sha384(), p ? p : &f->root_p), want);
    X509_free(x);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    f->t0 = time(NULL);
    make_profiles(f);
    f->root_key = gen_ec("P-384");
    f->ca_key = gen_ec("P-256");
    f->ee_key = gen_ec("P-256");
    f->root = build(&f->root_p, f->root_key, NULL, f->t0 - 2 * DAY, "sertel Root CA");
    f->ca = build(&f->ca_p, f->ca_key, f->root, f->t0 - DAY, "sertel Issuing CA");
    ext_conf(f->ca, NID_crl_distribution_points, "URI:http://ca.sertel.test/crl/root.crl");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    X509_free(f->root);
    X509_free(f->ca);
    EVP_PKEY_free(f->root_key);
    EVP_PKEY_free(f->ca_key);
    EVP_PKEY_free(f->ee_key);
    free(f);
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Valid certificates                                                       */
/* ---------------------------------------------------------------------- */

static void test_valid_document_signing(void **state)
{
    fixture *f = *state;
    X509 *x = ee(f);
    unsigned char *before = NULL, *after = NULL;
    int nb, na;

    expect_rule(lint(x, f->ca, f->ca_key, EVP_sha256(), &f->ee_p), NULL);

    /* Without an error object and without failed_rule. */
    {
        lint_input in = {x, f->ca, f->ca_key, EVP_sha256(), &f->ee_p};
        assert_int_equal(lint_check(&in, NULL, NULL), SERTEL_OK);
    }

    /* Signed already, with the same digest: the signature field agrees.
     * Linting leaves the certificate as it was (an unsigned one has no DER
     * to compare: its empty signature algorithm does not encode). */
    assert_true(X509_sign(x, f->ca_key, EVP_sha256()) > 0);
    nb = i2d_X509(x, &before);
    assert_true(nb > 0);
    expect_rule(lint(x, f->ca, f->ca_key, EVP_sha256(), &f->ee_p), NULL);
    na = i2d_X509(x, &after);
    assert_int_equal(nb, na);
    assert_memory_equal(before, after, (size_t)nb);
    OPENSSL_free(before);
    OPENSSL_free(after);
    X509_free(x);

    /* SHA-384 and SHA-512 with a P-256 issuer. */
    expect_rule(lint(x = ee(f), f->ca, f->ca_key, EVP_sha384(), &f->ee_p), NULL);
    X509_free(x);
    expect_rule(lint(x = ee(f), f->ca, f->ca_key, EVP_sha512(), &f->ee_p), NULL);
    X509_free(x);
}

static void test_valid_subject_variants(void **state)
{
    fixture *f = *state;
    X509 *x;

    /* With the optional OU. */
    {
        const rdn s[] = {RDN_C, RDN_O, RDN_OU, RDN_CN};
        x = ee(f);
        set_subject(x, s, N_OF(s));
        check_ee(f, x, NULL, NULL);
    }
    /* C as PrintableString given explicitly, O as PrintableString. */
    {
        const rdn s[] = {{NID_countryName, V_ASN1_PRINTABLESTRING, "ID", -1, 0},
                         {NID_organizationName, V_ASN1_PRINTABLESTRING, "Badan Siber", -1, 0},
                         RDN_CN};
        x = ee(f);
        set_subject(x, s, N_OF(s));
        check_ee(f, x, NULL, NULL);
    }
    /* A CN of exactly 64 characters, each two bytes in UTF-8. */
    {
        char cn[129];
        int i;
        for (i = 0; i < 64; i++)
            memcpy(cn + 2 * i, "\xc3\xa9", 2);
        cn[128] = '\0';
        rdn s[] = {RDN_C, RDN_O, {NID_commonName, V_ASN1_UTF8STRING, cn, -1, 0}};
        x = ee(f);
        set_subject(x, s, N_OF(s));
        check_ee(f, x, NULL, NULL);
    }
    /* A profile without a fixed country accepts any two-letter code. */
    {
        ca_profile p = f->ee_p;
        const rdn s[] = {{NID_countryName, MBSTRING_ASC, "MY", -1, 0}, RDN_O, RDN_CN};
        p.country[0] = '\0';
        x = ee_with(f, &p, f->ee_key);
        set_subject(x, s, N_OF(s));
        check_ee(f, x, &p, NULL);
    }
}

static void test_valid_serials(void **state)
{
    fixture *f = *state;
    unsigned char b[20];
    X509 *x;

    memset(b, 0xa5, sizeof(b));
    /* 16 random bytes with the top bit set: 17 octets behind a 0x00. */
    x = ee(f);
    set_serial(x, b, 16, 0);
    check_ee(f, x, NULL, NULL);
    /* 20 octets, the most RFC 5280 allows. */
    b[0] = 0x7f;
    x = ee(f);
    set_serial(x, b, 20, 0);
    check_ee(f, x, NULL, NULL);
}

static void test_valid_root(void **state)
{
    fixture *f = *state;
    X509 *x;

    expect_rule(lint(f->root, NULL, f->root_key, EVP_sha384(), &f->root_p), NULL);
    /* With an authorityKeyIdentifier (optional when self-signed): its own SKI. */
    x = new_root(f);
    aki_of(x, f->root, 0);
    check_root(f, x, NULL, NULL);
    /* Signed already. */
    x = new_root(f);
    assert_true(X509_sign(x, f->root_key, EVP_sha384()) > 0);
    check_root(f, x, NULL, NULL);
}

static void test_valid_issuing_ca(void **state)
{
    fixture *f = *state;
    X509 *x;

    expect_rule(lint(f->ca, f->root, f->root_key, EVP_sha384(), &f->ca_p), NULL);
    /* An issuing CA without pathLenConstraint, under a profile without one. */
    {
        ca_profile p = f->ca_p;
        p.path_len = -1;
        x = new_ca(f, &p);
        check_ca(f, x, &p, NULL);
    }
}

static void test_valid_other_end_entities(void **state)
{
    fixture *f = *state;
    EVP_PKEY *k;
    X509 *x;

    /* OCSP responder: OCSPSigning and ocsp-nocheck. */
    check_ee(f, ee_with(f, &f->ocsp_p, f->ee_key), &f->ocsp_p, NULL);
    /* Time-stamping: critical extendedKeyUsage (RFC 3161 2.3). */
    check_ee(f, ee_with(f, &f->tsa_p, f->ee_key), &f->tsa_p, NULL);
    /* Named only by e-mail: empty subject, critical subjectAltName. */
    x = ee_with(f, &f->mail_p, f->ee_key);
    assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(x)), 0);
    check_ee(f, x, &f->mail_p, NULL);
    /* No basicConstraints at all on an end entity is fine too. */
    x = ee(f);
    ext_del(x, NID_basic_constraints);
    check_ee(f, x, NULL, NULL);
    /* Optional e-mail left out. */
    {
        ca_profile p = f->ee_p;
        p.san_email = PROFILE_SAN_OPTIONAL;
        x = ee_with(f, &p, f->ee_key);
        ext_del(x, NID_subject_alt_name);
        check_ee(f, x, &p, NULL);
    }
    /* A P-384 and an RSA-2048 subscriber key. */
    k = gen_ec("P-384");
    check_ee(f, ee_with(f, &f->ee_p, k), NULL, NULL);
    EVP_PKEY_free(k);
    k = gen_rsa(2048, 65537);
    check_ee(f, ee_with(f, &f->ee_p, k), NULL, NULL);
    EVP_PKEY_free(k);
    /* Unusual but valid e-mail addresses. */
    {
        static const char *const ok[] = {"a@b.id", "first.last+tag@sub-domain.example.go.id",
                                         "x!#$%&'*/=?^_`{|}~-y@a1.b2"};
        size_t i;
        for (i = 0; i < N_OF(ok); i++) {
            x = ee(f);
            san_email(x, 0, ok[i], -1);
            check_ee(f, x, NULL, NULL);
        }
    }
}

/* ---------------------------------------------------------------------- */
/* One test per rule                                                        */
/* ---------------------------------------------------------------------- */

static void test_serial_positive(void **state)
{
    fixture *f = *state;
    unsigned char b[16];
    X509 *x;

    memset(b, 0x11, sizeof(b));
    x = ee(f);
    set_serial(x, b, 0, 0); /* zero */
    check_ee(f, x, NULL, "serial_positive");
    x = ee(f);
    set_serial(x, b, sizeof(b), 1);
    check_ee(f, x, NULL, "serial_positive");
}

static void test_serial_size(void **state)
{
    fixture *f = *state;
    unsigned char b[21];
    X509 *x;

    memset(b, 0x22, sizeof(b));
    x = ee(f);
    set_serial(x, b, 21, 0);
    check_ee(f, x, NULL, "serial_size");
    /* 20 bytes with the top bit set need a 21st octet. */
    b[0] = 0x80;
    x = ee(f);
    set_serial(x, b, 20, 0);
    check_ee(f, x, NULL, "serial_size");
}

static void test_serial_entropy(void **state)
{
    fixture *f = *state;
    unsigned char b[16];
    X509 *x;

    memset(b, 0x33, sizeof(b));
    x = ee(f);
    set_serial(x, b, 8, 0); /* 64 bits: enough for CA/B, not sertel's generator */
    check_ee(f, x, NULL, "serial_entropy");
    /* 16 random bytes whose first is zero: only 15 octets. */
    b[0] = 0;
    x = ee(f);
    set_serial(x, b, 16, 0);
    check_ee(f, x, NULL, "serial_entropy");
}

static void test_version_v3(void **state)
{
    fixture *f = *state;
    X509 *x;

    x = ee(f);
    assert_int_equal(X509_set_version(x, X509_VERSION_1), 1);
    check_ee(f, x, NULL, "version_v3");
    x = ee(f);
    assert_int_equal(X509_set_version(x, X509_VERSION_2), 1);
    check_ee(f, x, NULL, "version_v3");
}

static void set_raw_time(X509 *x, int not_after, int type, const char *s)
{
    ASN1_TIME *t = ASN1_STRING_type_new(type);

    assert_non_null(t);
    assert_int_equal(ASN1_STRING_set(t, s, -1), 1);
    if (not_after)
        assert_int_equal(X509_set1_notAfter(x, t), 1);
    else
        assert_int_equal(X509_set1_notBefore(x, t), 1);
    ASN1_TIME_free(t);
}

static void test_validity_order(void **state)
{
    fixture *f = *state;
    X509 *x;
    ASN1_GENERALIZEDTIME *g;

    x = ee(f);
    set_validity(x, f->t0, f->t0);
    check_ee(f, x, NULL, "validity_order");
    x = ee(f);
    set_validity(x, f->t0, f->t0 - DAY);
    check_ee(f, x, NULL, "validity_order");
    /* A date before 2050 as GeneralizedTime (RFC 5280 4.1.2.5). */
    x = ee(f);
    g = ASN1_TIME_to_generalizedtime(X509_get0_notAfter(x), NULL);
    assert_non_null(g);
    assert_int_equal(X509_set1_notAfter(x, g), 1);
    ASN1_GENERALIZEDTIME_free(g);
    check_ee(f, x, NULL, "validity_order");
    /* UTCTime without seconds, with a time zone offset, fractional GeneralizedTime. */
    x = ee(f);
    set_raw_time(x, 1, V_ASN1_UTCTIME, "2701010000Z");
    check_ee(f, x, NULL, "validity_order");
    x = ee(f);
    set_raw_time(x, 0, V_ASN1_UTCTIME, "260101000000+0700");
    check_ee(f, x, NULL, "validity_order");
    x = ee(f);
    set_raw_time(x, 1, V_ASN1_GENERALIZEDTIME, "20600101000000.5Z");
    check_ee(f, x, NULL, "validity_order");
    x = ee(f);
    set_raw_time(x, 1, V_ASN1_UTCTIME, "not a time");
    check_ee(f, x, NULL, "validity_order");
}

static void test_validity_profile(void **state)
{
    fixture *f = *state;
    X509 *x;

    x = ee(f);
    set_validity(x, f->t0, f->t0 + 730 * DAY + 1);
    check_ee(f, x, NULL, "validity_profile");
    x = ee(f);
    set_validity(x, f->t0, f->t0 + 1000 * DAY);
    check_ee(f, x, NULL, "validity_profile");
}

static void test_validity_within_issuer(void **state)
{
    fixture *f = *state;
    ca_profile p = f->ee_p;
    X509 *x;

    /* Starts before the issuing CA (which starts at t0 - 1 day). */
    x = ee(f);
    set_validity(x, f->t0 - 2 * DAY, f->t0 + 700 * DAY);
    check_ee(f, x, NULL, "validity_within_issuer");
    /* Ends after it (3653 days from t0 - 1 day). */
    p.validity_days = 5000;
    x = ee_with(f, &p, f->ee_key);
    set_validity(x, f->t0, f->t0 + 4000 * (time_t)DAY);
    check_ee(f, x, &p, "validity_within_issuer");
}

static void test_issuer_name_matches(void **state)
{
    fixture *f = *state;
    X509 *x;

    {
        const rdn n[] = {RDN_C,
                         {NID_organizationName, MBSTRING_UTF8, "Other", -1, 0},
                         {NID_commonName, MBSTRING_UTF8, "sertel Issuing CA", -1, 0}};
        x = ee(f);
        set_issuer(x, n, N_OF(n));
        check_ee(f, x, NULL, "issuer_name_matches");
    }
    /* The same name, encoded differently (PrintableString for UTF8String). */
    {
        const rdn n[] = {RDN_C,
                         {NID_organizationName, V_ASN1_PRINTABLESTRING, EE_ORG, -1, 0},
                         {NID_commonName, MBSTRING_UTF8, "sertel Issuing CA", -1, 0}};
        x = ee(f);
        set_issuer(x, n, N_OF(n));
        check_ee(f, x, NULL, "issuer_name_matches");
    }
    /* A self-signed root must name itself. */
    {
        const rdn n[] = {RDN_C, RDN_O, {NID_commonName, MBSTRING_UTF8, "Someone Else", -1, 0}};
        x = new_root(f);
        set_issuer(x, n, N_OF(n));
        check_root(f, x, NULL, "issuer_name_matches");
    }
}

static void test_subject_present(void **state)
{
    fixture *f = *state;
    X509 *x;

    x = ee(f);
    set_subject(x, NULL, 0);
    ext_del(x, NID_subject_alt_name);
    check_ee(f, x, NULL, "subject_present");
    x = new_ca(f, &f->ca_p);
    set_subject(x, NULL, 0);
    check_ca(f, x, NULL, "subject_present");
}

static void test_subject_attributes(void **state)
{
    fixture *f = *state;
    X509 *x;

    {
        const rdn s[] = {RDN_C, RDN_CN};
        x = ee(f);
        set_subject(x, s, N_OF(s));
        check_ee(f, x, NULL, "subject_attributes");
    }
    {
        const rdn s[] = {
            RDN_C, RDN_O, RDN_CN, {NID_serialNumber, MBSTRING_ASC, "3171000000000001", -1, 0}};
        x = ee(f);
        set_subject(x, s, N_OF(s));
        check_ee(f, x, NULL, "subject_attributes");
    }
    {
        const rdn s[] = {
            RDN_C, RDN_O, {NID_pkcs9_emailAddress, MBSTRING_ASC, EE_EMAIL, -1, 0}, RDN_CN};
        x = ee(f);
        set_subject(x, s, N_OF(s));
        check_ee(f, x, NULL, "subject_attributes");
    }
    {
        const rdn s[] = {RDN_C, RDN_O, RDN_CN, RDN_CN};
        x = ee(f);
        set_subject(x, s, N_OF(s));
        check_ee(f, x, NULL, "subject_attributes");
    }
    {
        const rdn s[] = {RDN_C, RDN_CN, RDN_O};
        x = ee(f);
        set_subject(x, s, N_OF(s));
        check_ee(f, x, NULL, "subject_attributes");
    }
    {
        const rdn s[] = {RDN_O, RDN_C, RDN_CN};
        x = ee(f);
        set_subject(x, s, N_OF(s));
        check_ee(f, x, NULL, "subject_attributes");
    }
    /* A multi-valued RDN {O + CN}. */
    {
        const rdn s[] = {RDN_C, RDN_O, {NID_commonName, MBSTRING_UTF8, EE_CN, -1, -1}};
        x = ee(f);
        set_subject(x, s, N_OF(s));
        assert_int_equal(X509_NAME_ENTRY_set(X509_NAME_get_entry(X509_get_subject_name(x), 2)),
                         X509_NAME_ENTRY_set(X509_NAME_get_entry(X509_get_subject_name(x), 1)));
        check_ee(f, x, NULL, "subject_attributes");
    }
    /* OU, which the issuing CA profile does not allow. */
    {
        const rdn s[] = {RDN_C, RDN_O, RDN_OU, RDN_CN};
        x = new_ca(f, &f->ca_p);
        set_subject(x, s, N_OF(s));
        check_ca(f, x, NULL, "subject_attributes");
    }
}

static void test_country_code(void **state)
{
    fixture *f = *state;
    static const rdn bad_c[] = {
        {NID_countryName, V_ASN1_PRINTABLESTRING, "MY", -1, 0},
        {NID_countryName, V_ASN1_PRINTABLESTRING, "id", -1, 0},
        {NID_countryName, V_ASN1_PRINTABLESTRING, "IDN", -1, 0},
        {NID_countryName, V_ASN1_PRINTABLESTRING, "I", -1, 0},
        {NID_countryName, V_ASN1_UTF8STRING, "ID", -1, 0},
    };
    size_t i;

    for (i = 0; i < N_OF(bad_c); i++) {
        rdn s[] = {bad_c[i], RDN_O, RDN_CN};
        X509 *x = ee(f);
        set_subject(x, s, N_OF(s));
        check_ee(f, x, NULL, "country_code");
    }
}

static void test_name_lengths(void **state)
{
    fixture *f = *state;
    char long_ascii[66], long_utf8[131];
    int i;
    const rdn bad_cn[] = {
        {NID_commonName, V_ASN1_UTF8STRING, long_ascii, -1, 0},
        {NID_commonName, V_ASN1_UTF8STRING, long_utf8, -1, 0},
        {NID_commonName, V_ASN1_UTF8STRING, "", 0, 0},
        {NID_commonName, V_ASN1_UTF8STRING, "Budi\x01Santoso", -1, 0},
        {NID_commonName, V_ASN1_UTF8STRING, "Budi\0Santoso", 12, 0},
        {NID_commonName, V_ASN1_UTF8STRING, "Budi\x7fSantoso", -1, 0},
        {NID_commonName, V_ASN1_UTF8STRING, "Budi\xc2\x85Santoso", -1, 0}, /* U+0085 NEL */
        {NID_commonName, V_ASN1_UTF8STRING, "Budi\xc3\x28", -1, 0},
        {NID_commonName, V_ASN1_UTF8STRING, "Budi\xc0\xaf", -1, 0},     /* overlong '/' */
        {NID_commonName, V_ASN1_UTF8STRING, "\xed\xa0\x80", -1, 0},     /* surrogate */
        {NID_commonName, V_ASN1_UTF8STRING, "\xf4\x90\x80\x80", -1, 0}, /* past U+10FFFF */
        {NID_commonName, V_ASN1_UTF8STRING, "Budi\xe2\x82", -1, 0},     /* cut short */
        {NID_commonName, V_ASN1_PRINTABLESTRING, "budi@kominfo", -1, 0},
        {NID_commonName, V_ASN1_PRINTABLESTRING, "Budi\nSantoso", -1, 0},
        {NID_commonName, V_ASN1_T61STRING, EE_CN, -1, 0},
        {NID_commonName, V_ASN1_BMPSTRING, "\0B\0u\0d\0i", 8, 0},
        {NID_commonName, V_ASN1_IA5STRING, EE_CN, -1, 0},
    };
    size_t k;

    memset(long_ascii, 'a', 65);
    long_ascii[65] = '\0';
    for (i = 0; i < 65; i++)
        memcpy(long_utf8 + 2 * i, "\xc3\xa9", 2);
    long_utf8[130] = '\0';
    for (k = 0; k < N_OF(bad_cn); k++) {
        rdn s[] = {RDN_C, RDN_O, bad_cn[k]};
        X509 *x = ee(f);
        set_subject(x, s, N_OF(s));
        check_ee(f, x, NULL, "name_lengths");
    }
    /* The other attributes are bounded too. */
    {
        char org[66];
        memset(org, 'o', 65);
        org[65] = '\0';
        rdn s[] = {RDN_C, {NID_organizationName, V_ASN1_UTF8STRING, org, -1, 0}, RDN_CN};
        X509 *x = ee(f);
        set_subject(x, s, N_OF(s));
        check_ee(f, x, NULL, "name_lengths");
    }
    {
        rdn s[] = {RDN_C, {NID_organizationName, V_ASN1_UTF8STRING, "", 0, 0}, RDN_CN};
        X509 *x = ee(f);
        set_subject(x, s, N_OF(s));
        check_ee(f, x, NULL, "name_lengths");
    }
}

static void test_duplicate_extensions(void **state)
{
    fixture *f = *state;
    X509 *x;

    x = ee(f);
    assert_int_equal(
        X509_add_ext(x, X509_get_ext(x, X509_get_ext_by_NID(x, NID_subject_key_identifier, -1)),
                     -1),
        1);
    check_ee(f, x, NULL, "duplicate_extensions");
    x = ee(f);
    assert_int_equal(
        X509_add_ext(x, X509_get_ext(x, X509_get_ext_by_NID(x, NID_key_usage, -1)), -1), 1);
    check_ee(f, x, NULL, "duplicate_extensions");
}

static void test_unknown_critical(void **state)
{
    fixture *f = *state;
    static const unsigned char null_der[] = {0x05, 0x00};
    X509 *x;

    x = ee(f);
    ext_raw(x, "2.999.9.9", 1, null_der, sizeof(null_der));
    check_ee(f, x, NULL, "unknown_critical");
    /* A non-critical unknown extension is harmless. */
    x = ee(f);
    ext_raw(x, "2.999.9.9", 0, null_der, sizeof(null_der));
    check_ee(f, x, NULL, NULL);
    /* Extensions RFC 5280 requires to be non-critical. */
    x = ee(f);
    aki_of(x, f->ca, 1);
    check_ee(f, x, NULL, "unknown_critical");
    x = ee(f);
    ext_conf(x, NID_info_access, "critical," AIA_VALUE);
    check_ee(f, x, NULL, "unknown_critical");
    x = ee(f);
    ext_conf(x, NID_subject_key_identifier, "critical,hash");
    check_ee(f, x, NULL, "unknown_critical");
}

static void test_basic_constraints(void **state)
{
    fixture *f = *state;
    ca_profile p;
    X509 *x;

    x = new_ca(f, &f->ca_p);
    ext_del(x, NID_basic_constraints);
    check_ca(f, x, NULL, "basic_constraints");
    x = new_ca(f, &f->ca_p);
    ext_conf(x, NID_basic_constraints, "CA:TRUE,pathlen:0");
    check_ca(f, x, NULL, "basic_constraints");
    x = new_ca(f, &f->ca_p);
    ext_conf(x, NID_basic_constraints, "critical,CA:FALSE");
    check_ca(f, x, NULL, "basic_constraints");
    x = new_ca(f, &f->ca_p);
    ext_conf(x, NID_basic_constraints, "critical,CA:TRUE,pathlen:1");
    check_ca(f, x, NULL, "basic_constraints");
    x = new_ca(f, &f->ca_p);
    ext_conf(x, NID_basic_constraints, "critical,CA:TRUE");
    check_ca(f, x, NULL, "basic_constraints");
    /* The root's profile has no path length. */
    x = new_root(f);
    ext_conf(x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    check_root(f, x, NULL, "basic_constraints");
    /* End entities. */
    x = ee(f);
    ext_conf(x, NID_basic_constraints, "critical,CA:TRUE");
    check_ee(f, x, NULL, "basic_constraints");
    x = ee(f);
    ext_conf(x, NID_basic_constraints, "critical,CA:FALSE,pathlen:0");
    check_ee(f, x, NULL, "basic_constraints");
    /* An end-entity profile used for what is a CA certificate. */
    p = f->ee_p;
    p.key_usage |= X509v3_KU_KEY_CERT_SIGN;
    x = ee_with(f, &p, f->ee_key);
    ext_conf(x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    check_ee(f, x, &p, "basic_constraints");
}

static void test_key_usage_present(void **state)
{
    fixture *f = *state;
    X509 *x;

    x = ee(f);
    ext_del(x, NID_key_usage);
    check_ee(f, x, NULL, "key_usage_present");
    x = ee(f);
    ku_ext(x, f->ee_p.key_usage, 0);
    check_ee(f, x, NULL, "key_usage_present");
    x = ee(f);
    ku_ext(x, f->ee_p.key_usage | X509v3_KU_KEY_ENCIPHERMENT, 1);
    check_ee(f, x, NULL, "key_usage_present");
    x = ee(f);
    ku_ext(x, X509v3_KU_DIGITAL_SIGNATURE, 1);
    check_ee(f, x, NULL, "key_usage_present");
    x = ee(f);
    ku_ext(x, 0, 1); /* no bit at all */
    check_ee(f, x, NULL, "key_usage_present");
    x = ee(f);
    ku_ext(x, f->ee_p.key_usage | 0x4000, 1); /* bit 9: undefined */
    check_ee(f, x, NULL, "key_usage_present");
    /* A critical keyUsage under a profile that says non-critical. */
    {
        ca_profile p = f->ee_p;
        p.key_usage_critical = 0;
        check_ee(f, ee(f), &p, "key_usage_present");
    }
}

static void test_ku_ca_consistency(void **state)
{
    fixture *f = *state;
    ca_profile p;
    X509 *x;

    /* Profiles that contradict themselves: the certificate matches them,
     * so only the consistency rule can catch it. */
    p = f->ee_p;
    p.key_usage |= X509v3_KU_KEY_CERT_SIGN;
    check_ee(f, ee_with(f, &p, f->ee_key), &p, "ku_ca_consistency");
    p = f->ee_p;
    p.key_usage |= X509v3_KU_CRL_SIGN;
    check_ee(f, ee_with(f, &p, f->ee_key), &p, "ku_ca_consistency");
    /* Without basicConstraints at all. */
    p = f->ee_p;
    p.key_usage |= X509v3_KU_KEY_CERT_SIGN;
    x = ee_with(f, &p, f->ee_key);
    ext_del(x, NID_basic_constraints);
    check_ee(f, x, &p, "ku_ca_consistency");
    /* A CA without keyCertSign. */
    p = f->ca_p;
    p.key_usage = X509v3_KU_CRL_SIGN | X509v3_KU_DIGITAL_SIGNATURE;
    x = new_ca(f, &p);
    check_ca(f, x, &p, "ku_ca_consistency");
}

static void test_eku(void **state)
{
    fixture *f = *state;
    ca_profile p;
    X509 *x;

    x = ee(f);
    ext_del(x, NID_ext_key_usage);
    check_ee(f, x, NULL, "eku");
    {
        const char *o[] = {OID_DOCUMENT_SIGNING, OID_EMAIL_PROTECTION, "serverAuth"};
        x = ee(f);
        eku_ext(x, o, 3, 0);
        check_ee(f, x, NULL, "eku");
    }
    {
        const char *o[] = {OID_EMAIL_PROTECTION};
        x = ee(f);
        eku_ext(x, o, 1, 0);
        check_ee(f, x, NULL, "eku");
    }
    {
        const char *o[] = {OID_DOCUMENT_SIGNING, OID_EMAIL_PROTECTION, OID_EMAIL_PROTECTION};
        x = ee(f);
        eku_ext(x, o, 3, 0);
        check_ee(f, x, NULL, "eku");
    }
    x = ee(f);
    eku_from_profile(x, &f->ee_p);
    ext_conf(x, NID_ext_key_usage, "critical," OID_DOCUMENT_SIGNING "," OID_EMAIL_PROTECTION);
    check_ee(f, x, NULL, "eku");
    /* anyExtendedKeyUsage, even when the profile lists it. */
    p = f->ee_p;
    profile_eku(&p, "2.5.29.37.0");
    check_ee(f, ee_with(f, &p, f->ee_key), &p, "eku");
    /* On a CA whose profile has none. */
    x = new_ca(f, &f->ca_p);
    {
        const char *o[] = {OID_DOCUMENT_SIGNING};
        eku_ext(x, o, 1, 0);
    }
    check_ca(f, x, NULL, "eku");
    /* The same order does not matter. */
    {
        const char *o[] = {OID_EMAIL_PROTECTION, OID_DOCUMENT_SIGNING};
        x = ee(f);
        eku_ext(x, o, 2, 0);
        check_ee(f, x, NULL, NULL);
    }
}

static void test_ski_present(void **state)
{
    fixture *f = *state;
    ASN1_OCTET_STRING *empty = ASN1_OCTET_STRING_new();
    X509 *x;

    x = ee(f);
    ext_del(x, NID_subject_key_identifier);
    check_ee(f, x, NULL, "ski_present");
    x = new_root(f);
    ext_del(x, NID_subject_key_identifier);
    check_root(f, x, NULL, "ski_present");
    assert_non_null(empty);
    x = ee(f);
    ext_set(x, NID_subject_key_identifier, 0, empty);
    check_ee(f, x, NULL, "ski_present");
    ASN1_OCTET_STRING_free(empty);
}

static void test_aki_present(void **state)
{
    fixture *f = *state;
    X509 *x;

    x = ee(f);
    ext_del(x, NID_authority_key_identifier);
    check_ee(f, x, NULL, "aki_present");
    x = ee(f);
    aki_ext(x, NULL, 0, 0); /* authorityCertSerialNumber only */
    check_ee(f, x, NULL, "aki_present");
}

static void test_aki_matches(void **state)
{
    fixture *f = *state;
    unsigned char other[20];
    X509 *x;

    memset(other, 0x5a, sizeof(other));
    x = ee(f);
    aki_ext(x, other, sizeof(other), 0);
    check_ee(f, x, NULL, "aki_matches");
    /* Issued by the root's key id, though the issuing CA signs. */
    x = ee(f);
    aki_of(x, f->root, 0);
    check_ee(f, x, NULL, "aki_matches");
    /* A self-signed root whose AKI is not its own SKI. */
    x = new_root(f);
    aki_ext(x, other, sizeof(other), 0);
    check_root(f, x, NULL, "aki_matches");
    /* A self-signed root whose AKI carries no key id. */
    x = new_root(f);
    aki_ext(x, NULL, 0, 0);
    check_root(f, x, NULL, "aki_matches");
}

static void test_san_email(void **state)
{
    fixture *f = *state;
    static const char *const bad[] = {
        "budi santoso@kominfo.go.id", "budi@@kominfo.go.id",   "budi@kominfo@go.id",
        "budi.kominfo.go.id",         "@kominfo.go.id",        "budi@",
        ".budi@kominfo.go.id",        "budi.@kominfo.go.id",   "budi..santoso@kominfo.go.id",
        "\"budi\"@kominfo.go.id",     "budi(x)@kominfo.go.id", "budi@localhost",
        "budi@-kominfo.go.id",        "budi@kominfo-.go.id",   "budi@kominfo..go.id",
        "budi@kominfo.go.id.",        "budi@kominfo_go.id",    "budi@[10.0.0.1]",
        "b\xc3\xa9@kominfo.go.id",    "budi@kominfo.go.id\t",  "",
    };
    char long_local[80], long_addr[300], long_label[100];
    ca_profile p;
    size_t i;
    X509 *x;

    for (i = 0; i < N_OF(bad); i++) {
        x = ee(f);
        san_email(x, 0, bad[i], -1);
        check_ee(f, x, NULL, "san_email");
    }
    /* An embedded NUL. */
    x = ee(f);
    san_email(x, 0, "budi@kominfo.go.id\0.evil.test", 30);
    check_ee(f, x, NULL, "san_email");
    /* Length limits: local part 65, label 64, address 255. */
    memset(long_local, 'a', 65);
    snprintf(long_local + 65, sizeof(long_local) - 65, "@x.id");
    x = ee(f);
    san_email(x, 0, long_local, -1);
    check_ee(f, x, NULL, "san_email");
    memcpy(long_label, "b@", 2);
    memset(long_label + 2, 'c', 64);
    snprintf(long_label + 66, sizeof(long_label) - 66, ".id");
    x = ee(f);
    san_email(x, 0, long_label, -1);
    check_ee(f, x, NULL, "san_email");
    memcpy(long_addr, "b@", 2);
    for (i = 0; i < 63; i++)
        memcpy(long_addr + 2 + 4 * i, "abc.", 4);
    snprintf(long_addr + 2 + 4 * 63, sizeof(long_addr) - 2 - 4 * 63, "id"); /* 256 chars */
    x = ee(f);
    san_email(x, 0, long_addr, -1);
    check_ee(f, x, NULL, "san_email");
    /* Other name types. */
    {
        const int types[] = {GEN_EMAIL, GEN_DNS};
        const char *const vals[] = {EE_EMAIL, "kominfo.go.id"};
        x = ee(f);
        san_names(x, 0, types, vals, NULL, 2);
        check_ee(f, x, NULL, "san_email");
    }
    {
        const int types[] = {GEN_URI};
        const char *const vals[] = {"https://kominfo.go.id/"};
        x = ee(f);
        san_names(x, 0, types, vals, NULL, 1);
        check_ee(f, x, NULL, "san_email");
    }
    /* An empty subjectAltName. */
    x = ee(f);
    san_names(x, 0, NULL, NULL, NULL, 0);
    check_ee(f, x, NULL, "san_email");
    /* Missing though required. */
    x = ee(f);
    ext_del(x, NID_subject_alt_name);
    check_ee(f, x, NULL, "san_email");
    /* Present though the profile has none. */
    p = f->ee_p;
    p.san_email = PROFILE_SAN_NONE;
    check_ee(f, ee(f), &p, "san_email");
    x = new_ca(f, &f->ca_p);
    san_email(x, 0, EE_EMAIL, -1);
    check_ca(f, x, NULL, "san_email");
}

static void test_san_critical_if_empty_subject(void **state)
{
    fixture *f = *state;
    X509 *x;

    x = ee_with(f, &f->mail_p, f->ee_key);
    san_email(x, 0, EE_EMAIL, -1);
    check_ee(f, x, &f->mail_p, "san_critical_if_empty_subject");
    x = ee(f);
    san_email(x, 1, EE_EMAIL, -1);
    check_ee(f, x, NULL, "san_critical_if_empty_subject");
}

static void test_policies(void **state)
{
    fixture *f = *state;
    ca_profile p;
    X509 *x;

    x = ee(f);
    ext_del(x, NID_certificate_policies);
    check_ee(f, x, NULL, "policies");
    x = ee(f);
    cp_one(x, "2.999.1.2", CPS_URI);
    check_ee(f, x, NULL, "policies");
    x = ee(f);
    cp_one(x, POLICY_OID, NULL); /* no CPS pointer */
    check_ee(f, x, NULL, "policies");
    x = ee(f);
    cp_one(x, POLICY_OID, "https://elsewhere.test/cps");
    check_ee(f, x, NULL, "policies");
    x = ee(f);
    cp_one(x, POLICY_OID, "ftp://ca.sertel.test/cps");
    check_ee(f, x, NULL, "policies");
    {
        const char *o[] = {POLICY_OID, POLICY_OID};
        x = ee(f);
        cp_ext(x, o, 2, CPS_URI, V_ASN1_IA5STRING);
        check_ee(f, x, NULL, "policies");
    }
    /* A CPS pointer though the profile has no cps_uri. */
    p = f->ee_p;
    p.cps_uri[0] = '\0';
    check_ee(f, ee(f), &p, "policies");
    /* The extension though the profile has no policy. */
    p = f->ee_p;
    p.policy_oid[0] = '\0';
    p.cps_uri[0] = '\0';
    check_ee(f, ee(f), &p, "policies");
    /* A second policy beside the profile's is fine. */
    {
        const char *o[] = {POLICY_OID, "2.23.140.1.2.1"};
        x = ee(f);
        cp_ext(x, o, 2, CPS_URI, V_ASN1_IA5STRING);
        check_ee(f, x, NULL, NULL);
    }
}

static void test_aia(void **state)
{
    fixture *f = *state;
    ca_profile p;
    X509 *x;

    x = ee(f);
    ext_del(x, NID_info_access);
    check_ee(f, x, NULL, "aia");
    x = ee(f);
    ext_conf(x, NID_info_access, "OCSP;URI:http://ca.sertel.test/ocsp");
    check_ee(f, x, NULL, "aia");
    x = ee(f);
    ext_conf(x, NID_info_access, "caIssuers;URI:http://ca.sertel.test/ca/issuing.crt");
    check_ee(f, x, NULL, "aia");
    x = ee(f);
    ext_conf(x, NID_info_access,
             "OCSP;URI:https://ca.sertel.test/ocsp,caIssuers;URI:http://ca.sertel.test/ca/i.crt");
    check_ee(f, x, NULL, "aia");
    x = ee(f);
    ext_conf(x, NID_info_access,
             "OCSP;URI:http://ca.sertel.test/ocsp,caIssuers;URI:ldap://ca.sertel.test/cn=ca");
    check_ee(f, x, NULL, "aia");
    x = ee(f);
    ext_conf(x, NID_info_access,
             "OCSP;DNS:ocsp.sertel.test,caIssuers;URI:http://ca.sertel.test/ca/i.crt");
    check_ee(f, x, NULL, "aia");
    x = ee(f);
    ext_conf(x, NID_info_access, AIA_VALUE ",caRepository;URI:http://ca.sertel.test/repo");
    check_ee(f, x, NULL, "aia");
    p = f->ee_p;
    p.aia = 0;
    check_ee(f, ee(f), &p, "aia");
}

static void crldp_with_reasons(X509 *x)
{
    CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
    DIST_POINT *dp = DIST_POINT_new();
    GENERAL_NAME *g = GENERAL_NAME_new();
    ASN1_IA5STRING *s = ASN1_IA5STRING_new();

    assert_non_null(dps);
    assert_non_null(dp);
    assert_non_null(g);
    assert_non_null(s);
    assert_int_equal(ASN1_STRING_set(s, CRL_URI, -1), 1);
    GENERAL_NAME_set0_value(g, GEN_URI, s);
    dp->distpoint = DIST_POINT_NAME_new();
    assert_non_null(dp->distpoint);
    dp->distpoint->type = 0;
    dp->distpoint->name.fullname = sk_GENERAL_NAME_new_null();
    assert_non_null(dp->distpoint->name.fullname);
    assert_true(sk_GENERAL_NAME_push(dp->distpoint->name.fullname, g) > 0);
    dp->reasons = ASN1_BIT_STRING_new();
    assert_non_null(dp->reasons);
    assert_int_equal(ASN1_BIT_STRING_set_bit(dp->reasons, 1, 1), 1); /* keyCompromise */
    assert_true(sk_DIST_POINT_push(dps, dp) > 0);
    ext_set(x, NID_crl_distribution_points, 0, dps);
    CRL_DIST_POINTS_free(dps);
}

static void test_crl_dp(void **state)
{
    fixture *f = *state;
    ca_profile p;
    X509 *x;

    x = ee(f);
    ext_del(x, NID_crl_distribution_points);
    check_ee(f, x, NULL, "crl_dp");
    x = ee(f);
    ext_conf(x, NID_crl_distribution_points, "URI:ldap://ca.sertel.test/cn=crl");
    check_ee(f, x, NULL, "crl_dp");
    x = ee(f);
    ext_conf(x, NID_crl_distribution_points, "URI:https://ca.sertel.test/crl/issuing.crl");
    check_ee(f, x, NULL, "crl_dp");
    x = ee(f);
    ext_conf(x, NID_crl_distribution_points, "DNS:crl.sertel.test");
    check_ee(f, x, NULL, "crl_dp");
    x = ee(f);
    crldp_with_reasons(x);
    check_ee(f, x, NULL, "crl_dp");
    p = f->ee_p;
    p.crl_dp = 0;
    check_ee(f, ee(f), &p, "crl_dp");
    x = new_root(f);
    ext_conf(x, NID_crl_distribution_points, "URI:" CRL_URI);
    check_root(f, x, NULL, "crl_dp");
}

static void test_ocsp_nocheck(void **state)
{
    fixture *f = *state;
    static const unsigned char true_der[] = {0x01, 0x01, 0xff};
    X509 *x;

    x = ee(f);
    nocheck_ext(x);
    check_ee(f, x, NULL, "ocsp_nocheck");
    x = ee_with(f, &f->ocsp_p, f->ee_key);
    ext_del(x, NID_id_pkix_OCSP_noCheck);
    check_ee(f, x, &f->ocsp_p, "ocsp_nocheck");
    x = ee_with(f, &f->ocsp_p, f->ee_key);
    ext_del(x, NID_id_pkix_OCSP_noCheck);
    ext_raw(x, "1.3.6.1.5.5.7.48.1.5", 0, true_der, sizeof(true_der));
    check_ee(f, x, &f->ocsp_p, "ocsp_nocheck");
}

static void test_public_key_allowed(void **state)
{
    fixture *f = *state;
    ca_profile p;
    EVP_PKEY *k;

    /* A P-384 key under a profile that allows only P-256. */
    p = f->ee_p;
    p.key_types = 1u << KS_KEY_EC_P256;
    k = gen_ec("P-384");
    check_ee(f, ee_with(f, &p, k), &p, "public_key_allowed");
    EVP_PKEY_free(k);
    /* Curves sertel does not use. */
    k = gen_ec("P-521");
    check_ee(f, ee_with(f, &f->ee_p, k), NULL, "public_key_allowed");
    EVP_PKEY_free(k);
    k = gen_ec("secp256k1");
    check_ee(f, ee_with(f, &f->ee_p, k), NULL, "public_key_allowed");
    EVP_PKEY_free(k);
    /* P-256 written with explicit parameters (RFC 5480 2.1.1 forbids). */
    k = gen_ec("P-256");
    assert_int_equal(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_ENCODING,
                                                    OSSL_PKEY_EC_ENCODING_EXPLICIT),
                     1);
    check_ee(f, ee_with(f, &f->ee_p, k), NULL, "public_key_allowed");
    EVP_PKEY_free(k);
    /* RSA: too small, and e = 3. */
    k = gen_rsa(1024, 65537);
    check_ee(f, ee_with(f, &f->ee_p, k), NULL, "public_key_allowed");
    EVP_PKEY_free(k);
    k = gen_rsa(2048, 3);
    check_ee(f, ee_with(f, &f->ee_p, k), NULL, "public_key_allowed");
    EVP_PKEY_free(k);
    /* Another algorithm altogether. */
    k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(k);
    check_ee(f, ee_with(f, &f->ee_p, k), NULL, "public_key_allowed");
    EVP_PKEY_free(k);
}

static void test_sigalg_strength(void **state)
{
    fixture *f = *state;
    EVP_PKEY *k;
    X509 *x;

    expect_rule(lint(x = ee(f), f->ca, f->ca_key, EVP_sha1(), &f->ee_p), "sigalg_strength");
    X509_free(x);
    expect_rule(lint(x = ee(f), f->ca, f->ca_key, EVP_sha224(), &f->ee_p), "sigalg_strength");
    X509_free(x);
    /* The P-384 root with SHA-256 and SHA-512. */
    expect_rule(lint(f->root, NULL, f->root_key, EVP_sha256(), &f->root_p), "sigalg_strength");
    expect_rule(lint(f->root, NULL, f->root_key, EVP_sha512(), &f->root_p), "sigalg_strength");
    /* A key that is not the issuer's. */
    expect_rule(lint(x = ee(f), f->ca, f->root_key, EVP_sha384(), &f->ee_p), "sigalg_strength");
    X509_free(x);
    expect_rule(lint(x = ee(f), f->ca, f->ee_key, EVP_sha256(), &f->ee_p), "sigalg_strength");
    X509_free(x);
    /* A signing key sertel does not use. */
    k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(k);
    expect_rule(lint(x = ee(f), f->ca, k, EVP_sha256(), &f->ee_p), "sigalg_strength");
    X509_free(x);
    EVP_PKEY_free(k);
    /* The signature field already says something else. */
    x = ee(f);
    assert_true(X509_sign(x, f->ca_key, EVP_sha512()) > 0);
    check_ee(f, x, NULL, "sigalg_strength");
}

static void test_self_signed_only_for_root(void **state)
{
    fixture *f = *state;
    X509 *x = build(&f->ee_p, f->ee_key, NULL, f->t0, EE_CN);

    expect_rule(lint(x, NULL, f->ee_key, EVP_sha256(), &f->ee_p), "self_signed_only_for_root");
    X509_free(x);
}

/* ---------------------------------------------------------------------- */
/* The table                                                                */
/* ---------------------------------------------------------------------- */

static void test_lint_check_arguments(void **state)
{
    fixture *f = *state;
    lint_input in = {f->ca, f->root, f->root_key, NULL, &f->ca_p};
    const char *rule = "unset";
    sertel_err err = {0};

    assert_int_equal(lint_check(&in, &rule, &err), SERTEL_ERR_INTERNAL);
    assert_null(rule);
    assert_int_equal(err.code, SERTEL_ERR_INTERNAL);
    /* A failing certificate with neither failed_rule nor err. */
    {
        X509 *x = ee(f);
        lint_input bad = {x, f->ca, f->ca_key, EVP_sha1(), &f->ee_p};
        assert_int_equal(lint_check(&bad, NULL, NULL), SERTEL_ERR_LINT);
        X509_free(x);
    }
}

/* Runs last: every rule in the table has failed in some test above, and
 * the table is well-formed. */
static void test_every_rule_is_tested(void **state)
{
    const lint_rule *r = lint_rules();
    size_t i, j, n = 0;

    (void)state;
    for (i = 0; r[i].name != NULL; i++) {
        int found = 0;
        assert_non_null(r[i].description);
        assert_true(strlen(r[i].description) > 10);
        for (j = 0; j < i; j++)
            assert_string_not_equal(r[i].name, r[j].name);
        for (j = 0; j < n_seen; j++)
            if (strcmp(seen_rules[j], r[i].name) == 0)
                found = 1;
        if (!found)
            fail_msg("rule %s never failed in a test", r[i].name);
        n++;
    }
    assert_null(r[n].description);
    /* And nothing failed that is not in the table. */
    assert_int_equal(n, n_seen);
    assert_int_equal(n, 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_document_signing),
        cmocka_unit_test(test_valid_subject_variants),
        cmocka_unit_test(test_valid_serials),
        cmocka_unit_test(test_valid_root),
        cmocka_unit_test(test_valid_issuing_ca),
        cmocka_unit_test(test_valid_other_end_entities),
        cmocka_unit_test(test_serial_positive),
        cmocka_unit_test(test_serial_size),
        cmocka_unit_test(test_serial_entropy),
        cmocka_unit_test(test_version_v3),
        cmocka_unit_test(test_validity_order),
        cmocka_unit_test(test_validity_profile),
        cmocka_unit_test(test_validity_within_issuer),
        cmocka_unit_test(test_issuer_name_matches),
        cmocka_unit_test(test_subject_present),
        cmocka_unit_test(test_subject_attributes),
        cmocka_unit_test(test_country_code),
        cmocka_unit_test(test_name_lengths),
        cmocka_unit_test(test_duplicate_extensions),
        cmocka_unit_test(test_unknown_critical),
        cmocka_unit_test(test_basic_constraints),
        cmocka_unit_test(test_key_usage_present),
        cmocka_unit_test(test_ku_ca_consistency),
        cmocka_unit_test(test_eku),
        cmocka_unit_test(test_ski_present),
        cmocka_unit_test(test_aki_present),
        cmocka_unit_test(test_aki_matches),
        cmocka_unit_test(test_san_email),
        cmocka_unit_test(test_san_critical_if_empty_subject),
        cmocka_unit_test(test_policies),
        cmocka_unit_test(test_aia),
        cmocka_unit_test(test_crl_dp),
        cmocka_unit_test(test_ocsp_nocheck),
        cmocka_unit_test(test_public_key_allowed),
        cmocka_unit_test(test_sigalg_strength),
        cmocka_unit_test(test_self_signed_only_for_root),
        cmocka_unit_test(test_lint_check_arguments),
        cmocka_unit_test(test_every_rule_is_tested),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
