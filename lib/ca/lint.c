/*
 * lint.c - the certificate linter (see lint.h).
 *
 * Every to-be-signed certificate goes through the rules of LINT_RULES, in
 * order; the first that fails stops issuance. Each rule checks one thing,
 * cites where the requirement comes from (RFC 5280 unless said otherwise;
 * RFC 5480 and RFC 3279 for keys, RFC 6960 for ocsp-nocheck, RFC 5321 for
 * e-mail addresses) and says in its message exactly what is wrong.
 *
 * The rules read the certificate only through functions that decode it
 * afresh (X509_get_ext_d2i, X509V3_EXT_d2i, X509_get0_*). Nothing here needs
 * the signature, and nothing fills OpenSSL's extension cache on the
 * caller's certificate: X509_check_purpose needs a non-const X509, returns
 * -1 on an unsigned one with OpenSSL 3.0 (it cannot hash a certificate
 * whose signature algorithm is still empty), and the flags it caches then
 * (EXFLAG_NO_FINGERPRINT) stay on the certificate after X509_sign.
 *
 * Thread safety: no state of its own; a certificate is linted by one thread.
 */
#include "ca/lint.h"
#include "util/text.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LINT_PASS 0
#define LINT_FAIL 1

#define WHAT_MAX 512
#define TEXT_MAX 80          /* a value quoted in a message */
#define SERIAL_MAX_OCTETS 20 /* RFC 5280 4.1.2.2 */
#define SERIAL_MIN_OCTETS 16 /* sertel's serials are 16 CSPRNG bytes */
#define SECONDS_PER_DAY 86400
#define KU_ALL_BITS 0x80ffu /* digitalSignature .. decipherOnly */

typedef struct lint_ctx {
    const X509 *cert;
    const X509 *issuer; /* the issuer's certificate: the certificate itself when self-signed */
    int self_signed;
    EVP_PKEY *issuer_key;
    const EVP_MD *md;
    const ca_profile *p;
    char what[WHAT_MAX];
} lint_ctx;

/* ---------------------------------------------------------------------- */
/* Helpers                                                                  */
/* ---------------------------------------------------------------------- */

static int fail(lint_ctx *c, const char *fmt, ...) SERTEL_PRINTF(2, 3);

/* Record what is wrong; returns LINT_FAIL. */
static int fail(lint_ctx *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->what, sizeof(c->what), fmt, ap);
    va_end(ap);
    return LINT_FAIL;
}

/* The extension nid of x, or NULL. duplicate_extensions runs before any
 * rule that uses this, so the first instance is the only one. */
static X509_EXTENSION *find_ext(const X509 *x, int nid)
{
    int i = X509_get_ext_by_NID(x, nid, -1);

    return i < 0 ? NULL : X509_get_ext(x, i);
}

static int ext_critical(const X509_EXTENSION *ext)
{
    return X509_EXTENSION_get_critical(ext) > 0;
}

/* Short name of an OID when OpenSSL knows one, else its dotted form. */
static const char *obj_txt(const ASN1_OBJECT *o, char *buf, size_t cap)
{
    int nid = OBJ_obj2nid(o);

    if (nid != NID_undef)
        return OBJ_nid2sn(nid);
    if (OBJ_obj2txt(buf, (int)cap, o, 1) <= 0)
        snprintf(buf, cap, "(unreadable OID)");
    return buf;
}

/* A value quoted in a message: visible ASCII kept, other bytes as '?',
 * long values cut with "...". */
static const char *quote(const unsigned char *d, int len, char *buf, size_t cap)
{
    size_t i, n = len > 0 ? (size_t)len : 0, o = 0;

    for (i = 0; i < n && o + 4 < cap; i++)
        buf[o++] = (char)(d[i] >= 0x20 && d[i] < 0x7f ? d[i] : '?');
    if (i < n) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static const char *quote_str(const ASN1_STRING *s, char *buf, size_t cap)
{
    return quote(ASN1_STRING_get0_data(s), ASN1_STRING_length(s), buf, cap);
}

static const char *hex(const ASN1_OCTET_STRING *s, char *buf, size_t cap)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *d = ASN1_STRING_get0_data(s);
    size_t i, n = (size_t)ASN1_STRING_length(s), o = 0;

    for (i = 0; i < n && o + 6 < cap; i++) {
        buf[o++] = digits[d[i] >> 4];
        buf[o++] = digits[d[i] & 0xf];
    }
    if (i < n) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static const char *time_txt(const ASN1_TIME *t, char *buf, size_t cap)
{
    struct tm tm;

    if (t == NULL || !ASN1_TIME_to_tm(t, &tm) || strftime(buf, cap, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
        snprintf(buf, cap, "(unreadable time)");
    return buf;
}

static const char *name_txt(const X509_NAME *n, char *buf, size_t cap)
{
    if (X509_NAME_entry_count(n) == 0)
        snprintf(buf, cap, "(empty)");
    else if (X509_NAME_oneline(n, buf, (int)cap) == NULL)
        snprintf(buf, cap, "(unreadable name)");
    return buf;
}

/* The cA boolean of x's basicConstraints: 1, 0 (also when absent), or -1
 * when the extension cannot be decoded. */
static int cert_is_ca(const X509 *x)
{
    X509_EXTENSION *ext = find_ext(x, NID_basic_constraints);
    BASIC_CONSTRAINTS *bc;
    int ca;

    if (ext == NULL)
        return 0;
    bc = X509V3_EXT_d2i(ext);
    if (bc == NULL)
        return -1;
    ca = bc->ca != 0;
    BASIC_CONSTRAINTS_free(bc);
    return ca;
}

/*
 * The keyUsage bits of x as X509v3_KU_* flags: 1 with *bits set, 0 when
 * absent, -1 when it cannot be decoded or sets bits past decipherOnly.
 * The BIT STRING's first octet holds digitalSignature (0x80) to
 * encipherOnly (0x01); the second octet's top bit is decipherOnly (0x8000),
 * which is how OpenSSL numbers the X509v3_KU_* flags.
 */
static int cert_ku(const X509 *x, unsigned *bits)
{
    X509_EXTENSION *ext = find_ext(x, NID_key_usage);
    ASN1_BIT_STRING *ku;
    const unsigned char *d;
    int i, n, rc = 1;

    *bits = 0;
    if (ext == NULL)
        return 0;
    ku = X509V3_EXT_d2i(ext);
    if (ku == NULL)
        return -1;
    d = ASN1_STRING_get0_data(ku);
    n = ASN1_STRING_length(ku);
    if (n > 0)
        *bits |= d[0];
    if (n > 1)
        *bits |= (unsigned)d[1] << 8;
    for (i = 2; i < n; i++)
        if (d[i] != 0)
            rc = -1;
    if (*bits & ~KU_ALL_BITS)
        rc = -1;
    ASN1_BIT_STRING_free(ku);
    return rc;
}

static const char *ku_txt(unsigned bits, char *buf, size_t cap)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {X509v3_KU_DIGITAL_SIGNATURE, "digitalSignature"},
        {X509v3_KU_NON_REPUDIATION, "nonRepudiation"},
        {X509v3_KU_KEY_ENCIPHERMENT, "keyEncipherment"},
        {X509v3_KU_DATA_ENCIPHERMENT, "dataEncipherment"},
        {X509v3_KU_KEY_AGREEMENT, "keyAgreement"},
        {X509v3_KU_KEY_CERT_SIGN, "keyCertSign"},
        {X509v3_KU_CRL_SIGN, "cRLSign"},
        {X509v3_KU_ENCIPHER_ONLY, "encipherOnly"},
        {X509v3_KU_DECIPHER_ONLY, "decipherOnly"},
    };
    size_t i, o = 0;

    buf[0] = '\0';
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (bits & names[i].bit) {
            int w = snprintf(buf + o, cap - o, "%s%s", o ? ", " : "", names[i].name);
            if (w < 0 || (size_t)w >= cap - o)
                break;
            o += (size_t)w;
        }
    }
    if (o == 0)
        snprintf(buf, cap, "(none)");
    return buf;
}

/* 1 when s is an IA5String URI "http://host..." (or "https://" when
 * allowed) of visible ASCII: what sertel writes and relying parties fetch
 * without a chicken-and-egg TLS dependency. */
static int http_uri_ok(const ASN1_STRING *s, int allow_https)
{
    const unsigned char *d = ASN1_STRING_get0_data(s);
    size_t i, n = (size_t)ASN1_STRING_length(s), skip;

    if (ASN1_STRING_type(s) != V_ASN1_IA5STRING)
        return 0;
    for (i = 0; i < n; i++)
        if (d[i] <= 0x20 || d[i] >= 0x7f)
            return 0;
    if (n > 7 && memcmp(d, "http://", 7) == 0)
        skip = 7;
    else if (allow_https && n > 8 && memcmp(d, "https://", 8) == 0)
        skip = 8;
    else
        return 0;
    return d[skip] != '/' && d[skip] != ':' && d[skip] != '?' && d[skip] != '#';
}

/* Length of the DER contents of the serial: what RFC 5280 bounds. -1 on error. */
static long serial_octets(const ASN1_INTEGER *s)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    long len = -1;
    int n, tag, xclass;

    n = i2d_ASN1_INTEGER(s, &der);
    if (n > 0) {
        p = der;
        if (ASN1_get_object(&p, &len, &tag, &xclass, n) & 0x80)
            len = -1;
    }
    OPENSSL_free(der);
    return len;
}

static const char *const keytype_names[] = {
    [KS_KEY_EC_P256] = "ec-p256",   [KS_KEY_EC_P384] = "ec-p384",   [KS_KEY_RSA_2048] = "rsa-2048",
    [KS_KEY_RSA_3072] = "rsa-3072", [KS_KEY_RSA_4096] = "rsa-4096",
};

static int rsa_keytype(int bits, ks_keytype *t)
{
    switch (bits) {
    case 2048:
        *t = KS_KEY_RSA_2048;
        return 1;
    case 3072:
        *t = KS_KEY_RSA_3072;
        return 1;
    case 4096:
        *t = KS_KEY_RSA_4096;
        return 1;
    }
    return 0;
}

static int curve_keytype(int nid, ks_keytype *t)
{
    switch (nid) {
    case NID_X9_62_prime256v1:
        *t = KS_KEY_EC_P256;
        return 1;
    case NID_secp384r1:
        *t = KS_KEY_EC_P384;
        return 1;
    }
    return 0;
}

/*
 * The key type of a key object (the signing key), as ks_keytype_of does;
 * kept here so the linter depends on nothing but libcrypto. 0 with a
 * description in desc for a key sertel does not sign with.
 */
static int pkey_keytype(const EVP_PKEY *pk, ks_keytype *t, char *desc, size_t cap)
{
    char group[64];
    size_t glen = 0;
    int bits = EVP_PKEY_get_bits(pk);

    switch (EVP_PKEY_get_base_id(pk)) {
    case EVP_PKEY_EC:
        if (EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) != 1) {
            snprintf(desc, cap, "EC without a named curve");
            return 0;
        }
        if (!curve_keytype(OBJ_txt2nid(group), t)) {
            snprintf(desc, cap, "EC on curve %s", group);
            return 0;
        }
        return 1;
    case EVP_PKEY_RSA:
        if (!rsa_keytype(bits, t)) {
            snprintf(desc, cap, "RSA with %d bits", bits);
            return 0;
        }
        return 1;
    default:
        snprintf(desc, cap, "%s", OBJ_nid2sn(EVP_PKEY_get_base_id(pk)));
        return 0;
    }
}

/* ---------------------------------------------------------------------- */
/* Serial number and version                                                */
/* ---------------------------------------------------------------------- */

/* RFC 5280 4.1.2.2: "The serial number MUST be a positive integer". */
static int rule_serial_positive(lint_ctx *c)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c->cert), NULL);
    int rc = LINT_PASS;

    if (bn == NULL)
        return fail(c, "the serial number cannot be read");
    if (BN_is_zero(bn))
        rc = fail(c, "the serial number is zero; RFC 5280 4.1.2.2 requires a positive integer");
    else if (BN_is_negative(bn))
        rc = fail(c, "the serial number is negative; RFC 5280 4.1.2.2 requires a positive "
                     "integer");
    BN_free(bn);
    return rc;
}

/* RFC 5280 4.1.2.2: "Conforming CAs MUST NOT use serialNumber values longer
 * than 20 octets." */
static int rule_serial_size(lint_ctx *c)
{
    long n = serial_octets(X509_get0_serialNumber(c->cert));

    if (n < 0)
        return fail(c, "the serial number cannot be encoded");
    if (n > SERIAL_MAX_OCTETS)
        return fail(c, "the serial number is %ld octets; RFC 5280 4.1.2.2 allows at most %d", n,
                    SERIAL_MAX_OCTETS);
    return LINT_PASS;
}

/*
 * RFC 5280 4.1.2.2 asks for unique serials; the CA/Browser Forum (BR 7.1)
 * asks for at least 64 bits from a CSPRNG, after CAs were caught with 63.
 * sertel's serials are 16 random bytes with a non-zero first byte and the
 * top bit clear, so exactly 16 octets of DER contents (17 would be a 16-byte
 * value with the top bit set, behind its 0x00). Anything under 16 was not
 * made by the serial generator.
 */
static int rule_serial_entropy(lint_ctx *c)
{
    long n = serial_octets(X509_get0_serialNumber(c->cert));

    if (n < 0)
        return fail(c, "the serial number cannot be encoded");
    if (n < SERIAL_MIN_OCTETS)
        return fail(c,
                    "the serial number is %ld octets; sertel serials are %d random octets, so "
                    "this one did not come from the serial generator",
                    n, SERIAL_MIN_OCTETS);
    return LINT_PASS;
}

/* RFC 5280 4.1.2.1: extensions need version 3 (value 2). */
static int rule_version_v3(lint_ctx *c)
{
    long v = X509_get_version(c->cert);

    if (v != X509_VERSION_3)
        return fail(c,
                    "the version is v%ld; a certificate with extensions must be v3 (RFC 5280 "
                    "4.1.2.1)",
                    v + 1);
    return LINT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Validity                                                                 */
/* ---------------------------------------------------------------------- */

/* RFC 5280 4.1.2.5: UTCTime YYMMDDHHMMSSZ through 2049, GeneralizedTime
 * YYYYMMDDHHMMSSZ (no fractions) from 2050. */
static int time_encoding(lint_ctx *c, const ASN1_TIME *t, const char *which)
{
    struct tm tm;
    const unsigned char *d = ASN1_STRING_get0_data(t);
    int len = ASN1_STRING_length(t), year;
    char buf[TEXT_MAX];

    if (!ASN1_TIME_to_tm(t, &tm))
        return fail(c, "%s '%s' is not a valid time", which, quote(d, len, buf, sizeof(buf)));
    year = tm.tm_year + 1900;
    switch (ASN1_STRING_type(t)) {
    case V_ASN1_UTCTIME:
        if (len != 13 || d[12] != 'Z')
            return fail(c,
                        "%s '%s' is not a UTCTime of the form YYMMDDHHMMSSZ (RFC 5280 4.1.2.5.1)",
                        which, quote(d, len, buf, sizeof(buf)));
        return LINT_PASS;
    case V_ASN1_GENERALIZEDTIME:
        if (len != 15 || d[14] != 'Z')
            return fail(c,
                        "%s '%s' is not a GeneralizedTime of the form YYYYMMDDHHMMSSZ (RFC 5280 "
                        "4.1.2.5.2)",
                        which, quote(d, len, buf, sizeof(buf)));
        if (year < 2050)
            return fail(c,
                        "%s is a GeneralizedTime in %d; RFC 5280 4.1.2.5 requires UTCTime for "
                        "dates through 2049",
                        which, year);
        return LINT_PASS;
    default:
        return fail(c, "%s is neither a UTCTime nor a GeneralizedTime", which);
    }
}

/* RFC 5280 4.1.2.5: the validity is the interval notBefore..notAfter. */
static int rule_validity_order(lint_ctx *c)
{
    const ASN1_TIME *nb = X509_get0_notBefore(c->cert), *na = X509_get0_notAfter(c->cert);
    char b1[TEXT_MAX], b2[TEXT_MAX];
    int rc;

    if (nb == NULL || na == NULL)
        return fail(c, "the validity is not set");
    if ((rc = time_encoding(c, nb, "notBefore")) != LINT_PASS ||
        (rc = time_encoding(c, na, "notAfter")) != LINT_PASS)
        return rc;
    rc = ASN1_TIME_compare(nb, na);
    if (rc == -2)
        return fail(c, "notBefore and notAfter cannot be compared");
    if (rc >= 0)
        return fail(c, "notBefore %s is not before notAfter %s", time_txt(nb, b1, sizeof(b1)),
                    time_txt(na, b2, sizeof(b2)));
    return LINT_PASS;
}

/* The profile fixes the lifetime (BSrE: 2 years for signers). */
static int rule_validity_profile(lint_ctx *c)
{
    int days, secs;
    int64_t life, max;

    if (c->p->validity_days <= 0)
        return fail(c, "profile %s has no positive validity_days", c->p->name);
    if (!ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(c->cert), X509_get0_notAfter(c->cert)))
        return fail(c, "the lifetime cannot be computed");
    life = (int64_t)days * SECONDS_PER_DAY + secs;
    if (c->p->validity_days > INT64_MAX / SECONDS_PER_DAY)
        return LINT_PASS;
    max = c->p->validity_days * SECONDS_PER_DAY;
    if (life > max)
        return fail(c, "the lifetime is %d days %d seconds; profile %s allows at most %lld days",
                    days, secs, c->p->name, (long long)c->p->validity_days);
    return LINT_PASS;
}

/* RFC 5280 6.1.3 (a)(2): every certificate of a path must be valid at the
 * time of use, so a certificate that outlives its issuer is dead weight
 * for the remainder, and one that starts before it was never meant. */
static int rule_validity_within_issuer(lint_ctx *c)
{
    const ASN1_TIME *nb = X509_get0_notBefore(c->cert), *na = X509_get0_notAfter(c->cert);
    const ASN1_TIME *inb = X509_get0_notBefore(c->issuer), *ina = X509_get0_notAfter(c->issuer);
    char b1[TEXT_MAX], b2[TEXT_MAX];
    int cmp;

    if (c->self_signed)
        return LINT_PASS;
    cmp = ASN1_TIME_compare(nb, inb);
    if (cmp == -2)
        return fail(c, "notBefore cannot be compared with the issuer's");
    if (cmp < 0)
        return fail(c, "notBefore %s is before the issuer's notBefore %s",
                    time_txt(nb, b1, sizeof(b1)), time_txt(inb, b2, sizeof(b2)));
    cmp = ASN1_TIME_compare(na, ina);
    if (cmp == -2)
        return fail(c, "notAfter cannot be compared with the issuer's");
    if (cmp > 0)
        return fail(c, "notAfter %s is after the issuer's notAfter %s",
                    time_txt(na, b1, sizeof(b1)), time_txt(ina, b2, sizeof(b2)));
    return LINT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Names                                                                    */
/* ---------------------------------------------------------------------- */

/*
 * RFC 5280 4.1.2.4: the issuer field is the issuer's subject. Path building
 * compares names (7.1), and not every relying party normalises them, so
 * sertel requires the same bytes.
 */
static int rule_issuer_name_matches(lint_ctx *c)
{
    const X509_NAME *iss = X509_get_issuer_name(c->cert);
    const X509_NAME *want = X509_get_subject_name(c->issuer);
    const unsigned char *a, *b;
    size_t an, bn;
    char b1[TEXT_MAX * 2], b2[TEXT_MAX * 2];

    if (!X509_NAME_get0_der(iss, &a, &an) || !X509_NAME_get0_der(want, &b, &bn))
        return fail(c, "the issuer name cannot be encoded");
    if (an == bn && memcmp(a, b, an) == 0)
        return LINT_PASS;
    if (X509_NAME_cmp(iss, want) == 0)
        return fail(c,
                    "the issuer name matches the %s subject only after normalisation; copy "
                    "its encoding exactly",
                    c->self_signed ? "self-signed certificate's own" : "issuer's");
    return fail(c, "the issuer name %s is not the %s subject %s", name_txt(iss, b1, sizeof(b1)),
                c->self_signed ? "self-signed certificate's own" : "issuer's",
                name_txt(want, b2, sizeof(b2)));
}

/* RFC 5280 4.1.2.6: a CA's subject MUST be non-empty; an end entity may
 * have an empty subject only when named in (critical) subjectAltName. */
static int rule_subject_present(lint_ctx *c)
{
    if (X509_NAME_entry_count(X509_get_subject_name(c->cert)) > 0)
        return LINT_PASS;
    if (c->p->is_ca)
        return fail(c, "the subject is empty; a CA certificate must name its subject (RFC 5280 "
                       "4.1.2.6)");
    if (find_ext(c->cert, NID_subject_alt_name) == NULL)
        return fail(c, "the subject is empty and there is no subjectAltName to name the subject "
                       "(RFC 5280 4.1.2.6)");
    return LINT_PASS;
}

/* Subject attributes sertel writes, in the order it writes them, with
 * their upper bounds from RFC 5280 Appendix A (in characters). */
static const struct subject_attr {
    int nid;
    unsigned bit;
    const char *name;
    long max;
} subject_attrs[] = {
    {NID_countryName, PROFILE_ATTR_C, "C", 2},               /* ub-country-name-alpha */
    {NID_organizationName, PROFILE_ATTR_O, "O", 64},         /* ub-organization-name */
    {NID_organizationalUnitName, PROFILE_ATTR_OU, "OU", 64}, /* ub-organizational-unit-name */
    {NID_commonName, PROFILE_ATTR_CN, "CN", 64},             /* ub-common-name */
};
#define N_SUBJECT_ATTRS (sizeof(subject_attrs) / sizeof(subject_attrs[0]))

static const struct subject_attr *subject_attr_of(const X509_NAME_ENTRY *e, size_t *rank)
{
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    size_t i;

    for (i = 0; i < N_SUBJECT_ATTRS; i++) {
        if (subject_attrs[i].nid == nid) {
            *rank = i;
            return &subject_attrs[i];
        }
    }
    return NULL;
}

/*
 * The profile's attributes (profile.h): every required one, nothing outside
 * the allowed set, each once, one attribute per RDN, in the order C, O, OU,
 * CN. RFC 5280 4.1.2.6 leaves order to the CA; attribute order was the
 * cause of several public mis-issuance reports.
 */
static int rule_subject_attributes(lint_ctx *c)
{
    const X509_NAME *n = X509_get_subject_name(c->cert);
    unsigned allowed = c->p->subject_allowed | c->p->subject_required, seen = 0, missing;
    const struct subject_attr *a, *prev = NULL;
    size_t rank, last_rank = 0, i;
    int k, count = X509_NAME_entry_count(n), last_set = -1;
    char buf[TEXT_MAX];

    for (k = 0; k < count; k++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, k);
        int set = X509_NAME_ENTRY_set(e);

        if (set == last_set)
            return fail(c,
                        "RDN %d holds more than one attribute; sertel writes one attribute "
                        "per RDN",
                        set + 1);
        last_set = set;
        a = subject_attr_of(e, &rank);
        if (a == NULL)
            return fail(c,
                        "the subject contains %s, which sertel profiles do not use (C, O, OU, "
                        "CN)",
                        obj_txt(X509_NAME_ENTRY_get_object(e), buf, sizeof(buf)));
        if (!(allowed & a->bit))
            return fail(c, "the subject contains %s, which profile %s does not allow", a->name,
                        c->p->name);
        if (seen & a->bit)
            return fail(c, "the subject contains %s more than once", a->name);
        if (prev != NULL && rank < last_rank)
            return fail(c, "the subject has %s after %s; the order is C, O, OU, CN", a->name,
                        prev->name);
        seen |= a->bit;
        prev = a;
        last_rank = rank;
    }
    missing = c->p->subject_required & ~seen;
    for (i = 0; i < N_SUBJECT_ATTRS; i++)
        if (missing & subject_attrs[i].bit)
            return fail(c, "the subject lacks %s, which profile %s requires", subject_attrs[i].name,
                        c->p->name);
    return LINT_PASS;
}

/* RFC 5280 Appendix A: countryName is a PrintableString of the two-letter
 * ISO 3166-1 code; the profile may pin it (BSrE: ID). */
static int rule_country_code(lint_ctx *c)
{
    const X509_NAME *n = X509_get_subject_name(c->cert);
    int idx = X509_NAME_get_index_by_NID(n, NID_countryName, -1);
    const ASN1_STRING *v;
    const unsigned char *d;
    char buf[TEXT_MAX];

    if (idx < 0)
        return LINT_PASS;
    v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, idx));
    d = ASN1_STRING_get0_data(v);
    if (ASN1_STRING_type(v) != V_ASN1_PRINTABLESTRING)
        return fail(c, "C is encoded as %s; RFC 5280 Appendix A requires PrintableString",
                    ASN1_tag2str(ASN1_STRING_type(v)));
    if (ASN1_STRING_length(v) != 2 || d[0] < 'A' || d[0] > 'Z' || d[1] < 'A' || d[1] > 'Z')
        return fail(c, "C is '%s'; it must be two upper-case letters (ISO 3166-1 alpha-2)",
                    quote_str(v, buf, sizeof(buf)));
    if (c->p->country[0] != '\0' && memcmp(d, c->p->country, 2) != 0)
        return fail(c, "C is %s; profile %s allows only %s", quote_str(v, buf, sizeof(buf)),
                    c->p->name, c->p->country);
    return LINT_PASS;
}

/*
 * Characters of a UTF-8 string: -1 when it is not well-formed UTF-8
 * (overlong forms, surrogates and values past U+10FFFF included), -2 when
 * it holds a C0 or C1 control character or DEL (NUL included), -3 when it
 * holds a bidirectional control or an invisible character (text.h).
 */
static long utf8_chars(const unsigned char *s, size_t n)
{
    size_t i = 0;
    long count = 0;
    uint32_t cp;

    while (i < n) {
        if (!text_utf8_next(s, n, &i, &cp))
            return -1;
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
            return -2;
        if (text_cp_forbidden(cp))
            return -3;
        count++;
    }
    return count;
}

/* X.680 41.4: the PrintableString alphabet. */
static int printable_char(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           (ch != '\0' && strchr(" '()+,-./:=?", ch) != NULL);
}

/*
 * RFC 5280 4.1.2.6 and Appendix A: DirectoryString values are
 * PrintableString or UTF8String for new certificates (4.1.2.4), at least
 * one character and at most the upper bound; control characters (NUL most
 * of all: it truncates names in C relying parties) are refused.
 */
static int rule_name_lengths(lint_ctx *c)
{
    const X509_NAME *n = X509_get_subject_name(c->cert);
    int k, count = X509_NAME_entry_count(n);

    for (k = 0; k < count; k++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(n, k);
        const ASN1_STRING *v = X509_NAME_ENTRY_get_data(e);
        const unsigned char *d = ASN1_STRING_get0_data(v);
        size_t len = (size_t)ASN1_STRING_length(v), i, rank;
        const struct subject_attr *a = subject_attr_of(e, &rank);
        const char *name = a != NULL ? a->name : "an attribute";
        long chars;

        if (a == NULL)
            continue; /* subject_attributes refused it already */
        if (ASN1_STRING_type(v) != V_ASN1_UTF8STRING &&
            ASN1_STRING_type(v) != V_ASN1_PRINTABLESTRING)
            return fail(c,
                        "%s is encoded as %s; sertel writes UTF8String or PrintableString "
                        "(RFC 5280 4.1.2.4)",
                        name, ASN1_tag2str(ASN1_STRING_type(v)));
        if (len == 0)
            return fail(c, "%s is empty", name);
        if (ASN1_STRING_type(v) == V_ASN1_PRINTABLESTRING) {
            for (i = 0; i < len; i++)
                if (!printable_char(d[i]))
                    return fail(c, "%s holds byte 0x%02x, which a PrintableString cannot hold",
                                name, d[i]);
            chars = (long)len;
        } else {
            chars = utf8_chars(d, len);
            if (chars == -1)
                return fail(c, "%s is not valid UTF-8", name);
            if (chars == -2)
                return fail(c, "%s contains a control character", name);
            if (chars == -3)
                return fail(c, "%s contains an invisible or direction-changing character", name);
        }
        if (chars > a->max)
            return fail(c, "%s is %ld characters; RFC 5280 Appendix A allows at most %ld", name,
                        chars, a->max);
    }
    return LINT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Extensions                                                               */
/* ---------------------------------------------------------------------- */

/* RFC 5280 4.2: "A certificate MUST NOT include more than one instance of a
 * particular extension." */
static int rule_duplicate_extensions(lint_ctx *c)
{
    int i, j, n = X509_get_ext_count(c->cert);
    char buf[TEXT_MAX];

    for (i = 0; i < n; i++) {
        const ASN1_OBJECT *oi = X509_EXTENSION_get_object(X509_get_ext(c->cert, i));
        for (j = i + 1; j < n; j++)
            if (OBJ_cmp(oi, X509_EXTENSION_get_object(X509_get_ext(c->cert, j))) == 0)
                return fail(c, "extension %s appears more than once (RFC 5280 4.2)",
                            obj_txt(oi, buf, sizeof(buf)));
    }
    return LINT_PASS;
}

/*
 * RFC 5280 4.2: a relying party MUST reject a certificate with a critical
 * extension it does not recognise, so sertel marks critical only what it
 * must (basicConstraints, keyUsage, extendedKeyUsage for time-stamping,
 * subjectAltName with an empty subject). The other extensions it writes
 * are non-critical by rule: AKI and SKI (4.2.1.1, 4.2.1.2 MUST), AIA
 * (4.2.2.1 MUST), CRL DP and policies (sertel's choice), ocsp-nocheck.
 */
static int rule_unknown_critical(lint_ctx *c)
{
    static const int may_be_critical[] = {NID_basic_constraints, NID_key_usage, NID_ext_key_usage,
                                          NID_subject_alt_name};
    static const int non_critical[] = {NID_subject_key_identifier,  NID_authority_key_identifier,
                                       NID_certificate_policies,    NID_info_access,
                                       NID_crl_distribution_points, NID_id_pkix_OCSP_noCheck};
    int i, n = X509_get_ext_count(c->cert), nid;
    size_t k;
    char buf[TEXT_MAX];

    for (i = 0; i < n; i++) {
        X509_EXTENSION *ext = X509_get_ext(c->cert, i);
        int known = 0;

        if (!ext_critical(ext))
            continue;
        nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
        for (k = 0; k < sizeof(may_be_critical) / sizeof(may_be_critical[0]); k++)
            if (nid == may_be_critical[k])
                known = 1;
        if (known)
            continue;
        for (k = 0; k < sizeof(non_critical) / sizeof(non_critical[0]); k++)
            if (nid == non_critical[k])
                return fail(c,
                            "extension %s is critical; sertel writes it non-critical (RFC "
                            "5280 4.2)",
                            OBJ_nid2sn(nid));
        return fail(c,
                    "extension %s is critical and is not one sertel writes; relying parties "
                    "would reject the certificate (RFC 5280 4.2)",
                    obj_txt(X509_EXTENSION_get_object(ext), buf, sizeof(buf)));
    }
    return LINT_PASS;
}

/*
 * RFC 5280 4.2.1.9: a CA certificate MUST have basicConstraints, marked
 * critical, with cA TRUE; pathLenConstraint only with cA. The profile
 * decides cA and the path length; an end-entity certificate may carry
 * basicConstraints only with cA FALSE.
 */
static int rule_basic_constraints(lint_ctx *c)
{
    X509_EXTENSION *ext = find_ext(c->cert, NID_basic_constraints);
    BASIC_CONSTRAINTS *bc = NULL;
    int64_t pl = 0;
    int rc = LINT_PASS;

    if (c->p->is_ca) {
        if (ext == NULL)
            return fail(c, "basicConstraints is missing; a CA certificate needs it, critical "
                           "(RFC 5280 4.2.1.9)");
        if (!ext_critical(ext))
            return fail(c, "basicConstraints is not critical; on a CA certificate it must be "
                           "(RFC 5280 4.2.1.9)");
    }
    if (ext == NULL)
        return LINT_PASS;
    bc = X509V3_EXT_d2i(ext);
    if (bc == NULL)
        return fail(c, "basicConstraints cannot be decoded");
    if (bc->pathlen != NULL && !ASN1_INTEGER_get_int64(&pl, bc->pathlen)) {
        rc = fail(c, "basicConstraints pathLenConstraint cannot be read");
    } else if (c->p->is_ca) {
        if (!bc->ca)
            rc = fail(c, "basicConstraints cA is FALSE but profile %s is a CA profile", c->p->name);
        else if (c->p->path_len < 0 && bc->pathlen != NULL)
            rc = fail(c, "pathLenConstraint is %lld but profile %s has none", (long long)pl,
                      c->p->name);
        else if (c->p->path_len >= 0 && bc->pathlen == NULL)
            rc = fail(c, "pathLenConstraint is missing; profile %s says %d", c->p->name,
                      c->p->path_len);
        else if (c->p->path_len >= 0 && pl != c->p->path_len)
            rc = fail(c, "pathLenConstraint is %lld; profile %s says %d", (long long)pl, c->p->name,
                      c->p->path_len);
    } else {
        if (bc->ca)
            rc = fail(c, "basicConstraints cA is TRUE but profile %s is for end entities",
                      c->p->name);
        else if (bc->pathlen != NULL)
            rc = fail(c, "pathLenConstraint is present without cA (RFC 5280 4.2.1.9)");
    }
    BASIC_CONSTRAINTS_free(bc);
    return rc;
}

/* RFC 5280 4.2.1.3: keyUsage with at least one bit; sertel writes it in
 * every certificate, exactly as the profile says. */
static int rule_key_usage_present(lint_ctx *c)
{
    X509_EXTENSION *ext = find_ext(c->cert, NID_key_usage);
    unsigned bits;
    int r, crit;
    char b1[TEXT_MAX * 2], b2[TEXT_MAX * 2];

    r = cert_ku(c->cert, &bits);
    if (r == 0)
        return fail(c, "keyUsage is missing; profile %s requires %s (RFC 5280 4.2.1.3)", c->p->name,
                    ku_txt(c->p->key_usage, b1, sizeof(b1)));
    if (r < 0)
        return fail(c, "keyUsage cannot be decoded or sets undefined bits");
    if (bits == 0)
        return fail(c, "keyUsage sets no bit; RFC 5280 4.2.1.3 requires at least one");
    crit = ext_critical(ext);
    if (crit != (c->p->key_usage_critical != 0))
        return fail(c, "keyUsage is %s; profile %s says %s", crit ? "critical" : "not critical",
                    c->p->name, c->p->key_usage_critical ? "critical" : "not critical");
    if (bits != c->p->key_usage)
        return fail(c, "keyUsage is %s; profile %s says %s", ku_txt(bits, b1, sizeof(b1)),
                    c->p->name, ku_txt(c->p->key_usage, b2, sizeof(b2)));
    return LINT_PASS;
}

/*
 * RFC 5280 4.2.1.9: without cA, keyCertSign MUST NOT be set; 4.2.1.3: a key
 * that signs certificates needs keyCertSign. sertel's end entities never
 * sign CRLs (no indirect CRLs), so cRLSign goes with cA too.
 */
static int rule_ku_ca_consistency(lint_ctx *c)
{
    int ca = cert_is_ca(c->cert);
    unsigned bits;

    if (ca < 0)
        return fail(c, "basicConstraints cannot be decoded");
    if (cert_ku(c->cert, &bits) < 0)
        return fail(c, "keyUsage cannot be decoded");
    if (!ca && (bits & X509v3_KU_KEY_CERT_SIGN))
        return fail(c, "keyUsage has keyCertSign but basicConstraints cA is not set (RFC 5280 "
                       "4.2.1.9)");
    if (!ca && (bits & X509v3_KU_CRL_SIGN))
        return fail(c, "keyUsage has cRLSign on a certificate that is not a CA; sertel CAs sign "
                       "their own CRLs");
    if (ca && !(bits & X509v3_KU_KEY_CERT_SIGN))
        return fail(c, "basicConstraints cA is set but keyUsage lacks keyCertSign (RFC 5280 "
                       "4.2.1.3)");
    return LINT_PASS;
}

/*
 * RFC 5280 4.2.1.12: extendedKeyUsage. Exactly the profile's purposes with
 * the profile's criticality; none when the profile has none (CA
 * certificates included); anyExtendedKeyUsage never, since it would make a
 * signing certificate good for everything.
 */
static int rule_eku(lint_ctx *c)
{
    X509_EXTENSION *ext = find_ext(c->cert, NID_ext_key_usage);
    EXTENDED_KEY_USAGE *eku = NULL;
    ASN1_OBJECT *want[PROFILE_EKU_MAX] = {NULL};
    int i, j, n, nwant = c->p->n_eku, rc = LINT_PASS;
    char buf[TEXT_MAX];

    if (nwant <= 0) {
        if (ext != NULL)
            return fail(c, "extendedKeyUsage is present but profile %s has none", c->p->name);
        return LINT_PASS;
    }
    if (nwant > PROFILE_EKU_MAX)
        return fail(c, "profile %s has more than %d extended key usages", c->p->name,
                    PROFILE_EKU_MAX);
    if (ext == NULL)
        return fail(c, "extendedKeyUsage is missing; profile %s requires %s%s", c->p->name,
                    c->p->eku[0], nwant > 1 ? " and more" : "");
    if (ext_critical(ext) != (c->p->eku_critical != 0))
        return fail(c, "extendedKeyUsage is %s; profile %s says %s",
                    ext_critical(ext) ? "critical" : "not critical", c->p->name,
                    c->p->eku_critical ? "critical" : "not critical");
    eku = X509V3_EXT_d2i(ext);
    if (eku == NULL)
        return fail(c, "extendedKeyUsage cannot be decoded");
    for (i = 0; i < nwant; i++) {
        want[i] = OBJ_txt2obj(c->p->eku[i], 0);
        if (want[i] == NULL) {
            rc = fail(c, "profile %s has extended key usage '%s', which is not an OID", c->p->name,
                      c->p->eku[i]);
            goto out;
        }
    }
    n = sk_ASN1_OBJECT_num(eku);
    for (i = 0; i < n; i++) {
        const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
        int in_profile = 0;

        if (OBJ_obj2nid(o) == NID_anyExtendedKeyUsage) {
            rc = fail(c, "extendedKeyUsage contains anyExtendedKeyUsage, which sertel never "
                         "issues");
            goto out;
        }
        for (j = 0; j < i; j++) {
            if (OBJ_cmp(o, sk_ASN1_OBJECT_value(eku, j)) == 0) {
                rc = fail(c, "extendedKeyUsage contains %s twice", obj_txt(o, buf, sizeof(buf)));
                goto out;
            }
        }
        for (j = 0; j < nwant; j++)
            if (OBJ_cmp(o, want[j]) == 0)
                in_profile = 1;
        if (!in_profile) {
            rc = fail(c, "extendedKeyUsage contains %s, which profile %s does not list",
                      obj_txt(o, buf, sizeof(buf)), c->p->name);
            goto out;
        }
    }
    for (j = 0; j < nwant; j++) {
        int found = 0;
        for (i = 0; i < n; i++)
            if (OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want[j]) == 0)
                found = 1;
        if (!found) {
            rc = fail(c, "extendedKeyUsage lacks %s, which profile %s requires",
                      obj_txt(want[j], buf, sizeof(buf)), c->p->name);
            goto out;
        }
    }
out:
    for (i = 0; i < nwant; i++)
        ASN1_OBJECT_free(want[i]);
    EXTENDED_KEY_USAGE_free(eku);
    return rc;
}

/* RFC 5280 4.2.1.2: required in CA certificates, SHOULD in end-entity
 * ones; sertel writes it in every certificate (chains are built on it). */
static int rule_ski_present(lint_ctx *c)
{
    X509_EXTENSION *ext = find_ext(c->cert, NID_subject_key_identifier);
    ASN1_OCTET_STRING *ski;
    int len;

    if (ext == NULL)
        return fail(c, "subjectKeyIdentifier is missing; sertel writes it in every certificate "
                       "(RFC 5280 4.2.1.2)");
    ski = X509V3_EXT_d2i(ext);
    if (ski == NULL)
        return fail(c, "subjectKeyIdentifier cannot be decoded");
    len = ASN1_STRING_length(ski);
    ASN1_OCTET_STRING_free(ski);
    if (len == 0)
        return fail(c, "subjectKeyIdentifier is empty");
    return LINT_PASS;
}

/* RFC 5280 4.2.1.1: authorityKeyIdentifier with keyIdentifier in every
 * certificate except a self-signed one, where it MAY be omitted. */
static int rule_aki_present(lint_ctx *c)
{
    X509_EXTENSION *ext;
    AUTHORITY_KEYID *akid;
    int ok;

    if (c->self_signed)
        return LINT_PASS;
    ext = find_ext(c->cert, NID_authority_key_identifier);
    if (ext == NULL)
        return fail(c, "authorityKeyIdentifier is missing (RFC 5280 4.2.1.1)");
    akid = X509V3_EXT_d2i(ext);
    if (akid == NULL)
        return fail(c, "authorityKeyIdentifier cannot be decoded");
    ok = akid->keyid != NULL && ASN1_STRING_length(akid->keyid) > 0;
    AUTHORITY_KEYID_free(akid);
    if (!ok)
        return fail(c, "authorityKeyIdentifier has no keyIdentifier (RFC 5280 4.2.1.1)");
    return LINT_PASS;
}

/* RFC 5280 4.2.1.1: the keyIdentifier is the issuer's subjectKeyIdentifier
 * (the certificate's own when self-signed). */
static int rule_aki_matches(lint_ctx *c)
{
    X509_EXTENSION *ext = find_ext(c->cert, NID_authority_key_identifier);
    AUTHORITY_KEYID *akid = NULL;
    ASN1_OCTET_STRING *ski = NULL;
    int rc = LINT_PASS;
    char b1[TEXT_MAX], b2[TEXT_MAX];

    if (ext == NULL)
        return LINT_PASS; /* aki_present decided that this is fine */
    akid = X509V3_EXT_d2i(ext);
    if (akid == NULL)
        return fail(c, "authorityKeyIdentifier cannot be decoded");
    ski = X509_get_ext_d2i(c->issuer, NID_subject_key_identifier, NULL, NULL);
    if (akid->keyid == NULL)
        rc = fail(c, "authorityKeyIdentifier has no keyIdentifier to match");
    else if (ski == NULL)
        rc = fail(c, "the %s has no subjectKeyIdentifier to match authorityKeyIdentifier",
                  c->self_signed ? "certificate" : "issuer certificate");
    else if (ASN1_OCTET_STRING_cmp(akid->keyid, ski) != 0)
        rc = fail(c, "authorityKeyIdentifier %s is not the %s subjectKeyIdentifier %s",
                  hex(akid->keyid, b1, sizeof(b1)),
                  c->self_signed ? "certificate's own" : "issuer's", hex(ski, b2, sizeof(b2)));
    ASN1_OCTET_STRING_free(ski);
    AUTHORITY_KEYID_free(akid);
    return rc;
}

/* Why an rfc822Name is not an address sertel accepts (text_email_problem), NULL when it is one. */
static const char *email_problem(const ASN1_STRING *s)
{
    return text_email_problem((const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s),
                              1);
}

static const char *gen_type_name(int type)
{
    switch (type) {
    case GEN_OTHERNAME:
        return "otherName";
    case GEN_EMAIL:
        return "rfc822Name";
    case GEN_DNS:
        return "dNSName";
    case GEN_X400:
        return "x400Address";
    case GEN_DIRNAME:
        return "directoryName";
    case GEN_EDIPARTY:
        return "ediPartyName";
    case GEN_URI:
        return "uniformResourceIdentifier";
    case GEN_IPADD:
        return "iPAddress";
    case GEN_RID:
        return "registeredID";
    }
    return "unknown name";
}

/*
 * RFC 5280 4.2.1.6: subjectAltName, at least one name when present. sertel
 * puts only the owner's official e-mail there (email dinas): required,
 * optional or absent as the profile says, and every name an rfc822Name
 * that is a plain local@domain address.
 */
static int rule_san_email(lint_ctx *c)
{
    X509_EXTENSION *ext = find_ext(c->cert, NID_subject_alt_name);
    GENERAL_NAMES *gens;
    int i, n, rc = LINT_PASS;
    char buf[TEXT_MAX];

    if (ext == NULL) {
        if (c->p->san_email == PROFILE_SAN_REQUIRED)
            return fail(c,
                        "subjectAltName with the owner's e-mail address is missing; profile "
                        "%s requires it",
                        c->p->name);
        return LINT_PASS;
    }
    if (c->p->san_email == PROFILE_SAN_NONE)
        return fail(c, "subjectAltName is present but profile %s has no e-mail address",
                    c->p->name);
    gens = X509V3_EXT_d2i(ext);
    if (gens == NULL)
        return fail(c, "subjectAltName cannot be decoded");
    n = sk_GENERAL_NAME_num(gens);
    if (n <= 0)
        rc = fail(c, "subjectAltName is empty; RFC 5280 4.2.1.6 requires at least one name");
    for (i = 0; i < n && rc == LINT_PASS; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        const char *why;

        if (g->type != GEN_EMAIL) {
            rc = fail(c, "subjectAltName holds a %s; sertel profiles allow only rfc822Name",
                      gen_type_name(g->type));
        } else if ((why = email_problem(g->d.rfc822Name)) != NULL) {
            rc = fail(c, "subjectAltName e-mail address '%s' is not valid: %s",
                      quote_str(g->d.rfc822Name, buf, sizeof(buf)), why);
        }
    }
    GENERAL_NAMES_free(gens);
    return rc;
}

/*
 * RFC 5280 4.1.2.6 / 4.2.1.6: with an empty subject, subjectAltName MUST
 * be critical; with a subject, it SHOULD be non-critical (sertel: is).
 */
static int rule_san_critical_if_empty_subject(lint_ctx *c)
{
    X509_EXTENSION *ext = find_ext(c->cert, NID_subject_alt_name);
    int empty = X509_NAME_entry_count(X509_get_subject_name(c->cert)) == 0;

    if (empty && ext == NULL)
        return fail(c, "the subject is empty and there is no subjectAltName (RFC 5280 4.1.2.6)");
    if (empty && !ext_critical(ext))
        return fail(c, "the subject is empty but subjectAltName is not critical (RFC 5280 "
                       "4.2.1.6)");
    if (!empty && ext != NULL && ext_critical(ext))
        return fail(c, "subjectAltName is critical although the subject is not empty (RFC 5280 "
                       "4.2.1.6: SHOULD be non-critical)");
    return LINT_PASS;
}

/*
 * RFC 5280 4.2.1.4: certificatePolicies. The profile's policy OID must be
 * there (once: "A certificate policy OID MUST NOT appear more than once"),
 * with the profile's CPS pointer (an IA5String URI, http or https) and no
 * other; a profile without a policy gets no extension. A missing CPS URI
 * is one of the classic mis-issuance findings.
 */
static int rule_policies(lint_ctx *c)
{
    X509_EXTENSION *ext = find_ext(c->cert, NID_certificate_policies);
    CERTIFICATEPOLICIES *cps = NULL;
    ASN1_OBJECT *want = NULL;
    const POLICYINFO *found = NULL;
    size_t cps_len = strlen(c->p->cps_uri);
    int i, j, k, n, cps_ok = 0, rc = LINT_PASS;
    char buf[TEXT_MAX], b2[TEXT_MAX];

    if (c->p->policy_oid[0] == '\0') {
        if (ext != NULL)
            return fail(c, "certificatePolicies is present but profile %s has no policy_oid",
                        c->p->name);
        return LINT_PASS;
    }
    if (ext == NULL)
        return fail(c, "certificatePolicies is missing; profile %s requires policy %s", c->p->name,
                    c->p->policy_oid);
    want = OBJ_txt2obj(c->p->policy_oid, 1);
    if (want == NULL)
        return fail(c, "profile %s has policy_oid '%s', which is not a dotted OID", c->p->name,
                    c->p->policy_oid);
    cps = X509V3_EXT_d2i(ext);
    if (cps == NULL) {
        rc = fail(c, "certificatePolicies cannot be decoded");
        goto out;
    }
    n = sk_POLICYINFO_num(cps);
    for (i = 0; i < n; i++) {
        const POLICYINFO *pi = sk_POLICYINFO_value(cps, i);

        for (j = 0; j < i; j++) {
            if (OBJ_cmp(pi->policyid, sk_POLICYINFO_value(cps, j)->policyid) == 0) {
                rc = fail(c, "certificatePolicies lists %s twice (RFC 5280 4.2.1.4)",
                          obj_txt(pi->policyid, buf, sizeof(buf)));
                goto out;
            }
        }
        if (OBJ_cmp(pi->policyid, want) == 0)
            found = pi;
        for (k = 0; k < sk_POLICYQUALINFO_num(pi->qualifiers); k++) {
            const POLICYQUALINFO *q = sk_POLICYQUALINFO_value(pi->qualifiers, k);

            if (OBJ_obj2nid(q->pqualid) != NID_id_qt_cps)
                continue;
            if (cps_len == 0) {
                rc = fail(c,
                          "certificatePolicies has a CPS pointer but profile %s has no "
                          "cps_uri",
                          c->p->name);
                goto out;
            }
            if (!http_uri_ok(q->d.cpsuri, 1)) {
                rc = fail(c, "the CPS pointer '%s' is not an http or https URI",
                          quote_str(q->d.cpsuri, buf, sizeof(buf)));
                goto out;
            }
            if (pi != found)
                continue;
            if ((size_t)ASN1_STRING_length(q->d.cpsuri) != cps_len ||
                memcmp(ASN1_STRING_get0_data(q->d.cpsuri), c->p->cps_uri, cps_len) != 0) {
                rc = fail(c, "the CPS pointer '%s' of policy %s is not profile %s's cps_uri %s",
                          quote_str(q->d.cpsuri, buf, sizeof(buf)),
                          obj_txt(pi->policyid, b2, sizeof(b2)), c->p->name, c->p->cps_uri);
                goto out;
            }
            cps_ok = 1;
        }
    }
    if (found == NULL)
        rc = fail(c, "certificatePolicies lacks profile %s's policy %s", c->p->name,
                  c->p->policy_oid);
    else if (cps_len > 0 && !cps_ok)
        rc = fail(c, "certificatePolicies lacks the CPS pointer %s that profile %s requires",
                  c->p->cps_uri, c->p->name);
out:
    CERTIFICATEPOLICIES_free(cps);
    ASN1_OBJECT_free(want);
    return rc;
}

/*
 * RFC 5280 4.2.2.1: authorityInfoAccess, non-critical, with id-ad-ocsp
 * (RFC 6960) and id-ad-caIssuers accessLocations. sertel serves both over
 * plain http (an https URL to check a certificate would need a certificate
 * check first); present exactly when the profile says.
 */
static int rule_aia(lint_ctx *c)
{
    X509_EXTENSION *ext = find_ext(c->cert, NID_info_access);
    AUTHORITY_INFO_ACCESS *aia;
    int i, n, ocsp = 0, ca_issuers = 0, rc = LINT_PASS;
    char buf[TEXT_MAX];

    if (!c->p->aia) {
        if (ext != NULL)
            return fail(c, "authorityInfoAccess is present but profile %s has aia = false",
                        c->p->name);
        return LINT_PASS;
    }
    if (ext == NULL)
        return fail(c, "authorityInfoAccess is missing; profile %s has aia = true", c->p->name);
    aia = X509V3_EXT_d2i(ext);
    if (aia == NULL)
        return fail(c, "authorityInfoAccess cannot be decoded");
    n = sk_ACCESS_DESCRIPTION_num(aia);
    for (i = 0; i < n && rc == LINT_PASS; i++) {
        const ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        int method = OBJ_obj2nid(ad->method);

        if (method != NID_ad_OCSP && method != NID_ad_ca_issuers)
            rc = fail(c,
                      "authorityInfoAccess has access method %s; sertel writes OCSP and "
                      "caIssuers",
                      obj_txt(ad->method, buf, sizeof(buf)));
        else if (ad->location->type != GEN_URI)
            rc = fail(c, "authorityInfoAccess %s location is a %s, not a URI", OBJ_nid2sn(method),
                      gen_type_name(ad->location->type));
        else if (!http_uri_ok(ad->location->d.uniformResourceIdentifier, 0))
            rc = fail(c, "authorityInfoAccess %s location '%s' is not an http:// URI",
                      OBJ_nid2sn(method),
                      quote_str(ad->location->d.uniformResourceIdentifier, buf, sizeof(buf)));
        else if (method == NID_ad_OCSP)
            ocsp = 1;
        else
            ca_issuers = 1;
    }
    if (rc == LINT_PASS && !ocsp)
        rc = fail(c, "authorityInfoAccess has no OCSP location");
    else if (rc == LINT_PASS && !ca_issuers)
        rc = fail(c, "authorityInfoAccess has no caIssuers location");
    AUTHORITY_INFO_ACCESS_free(aia);
    return rc;
}

/*
 * RFC 5280 4.2.1.13: cRLDistributionPoints. sertel publishes full CRLs
 * over http: each point a fullName of http URIs, without reasons or
 * cRLIssuer (those are for partitioned or indirect CRLs); present exactly
 * when the profile says.
 */
static int rule_crl_dp(lint_ctx *c)
{
    X509_EXTENSION *ext = find_ext(c->cert, NID_crl_distribution_points);
    CRL_DIST_POINTS *dps;
    int i, j, n, uris = 0, rc = LINT_PASS;
    char buf[TEXT_MAX];

    if (!c->p->crl_dp) {
        if (ext != NULL)
            return fail(c, "cRLDistributionPoints is present but profile %s has crl_dp = false",
                        c->p->name);
        return LINT_PASS;
    }
    if (ext == NULL)
        return fail(c, "cRLDistributionPoints is missing; profile %s has crl_dp = true",
                    c->p->name);
    dps = X509V3_EXT_d2i(ext);
    if (dps == NULL)
        return fail(c, "cRLDistributionPoints cannot be decoded");
    n = sk_DIST_POINT_num(dps);
    for (i = 0; i < n && rc == LINT_PASS; i++) {
        const DIST_POINT *dp = sk_DIST_POINT_value(dps, i);

        if (dp->reasons != NULL || dp->CRLissuer != NULL) {
            rc = fail(c, "a CRL distribution point has reasons or cRLIssuer; sertel CRLs are "
                         "full CRLs");
            break;
        }
        if (dp->distpoint == NULL || dp->distpoint->type != 0) {
            rc = fail(c, "a CRL distribution point has no fullName");
            break;
        }
        for (j = 0; j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); j++) {
            const GENERAL_NAME *g = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, j);

            if (g->type != GEN_URI) {
                rc = fail(c, "a CRL distribution point is a %s, not a URI", gen_type_name(g->type));
                break;
            }
            if (!http_uri_ok(g->d.uniformResourceIdentifier, 0)) {
                rc = fail(c, "CRL distribution point '%s' is not an http:// URI",
                          quote_str(g->d.uniformResourceIdentifier, buf, sizeof(buf)));
                break;
            }
            uris++;
        }
    }
    if (rc == LINT_PASS && uris == 0)
        rc = fail(c, "cRLDistributionPoints holds no URI");
    CRL_DIST_POINTS_free(dps);
    return rc;
}

/* RFC 6960 4.2.2.2.1: id-pkix-ocsp-nocheck, value NULL, on the OCSP
 * responder's certificate; present exactly when the profile says. */
static int rule_ocsp_nocheck(lint_ctx *c)
{
    X509_EXTENSION *ext = find_ext(c->cert, NID_id_pkix_OCSP_noCheck);
    const ASN1_OCTET_STRING *v;

    if (c->p->ocsp_nocheck && ext == NULL)
        return fail(c, "id-pkix-ocsp-nocheck is missing; profile %s has ocsp_nocheck = true",
                    c->p->name);
    if (!c->p->ocsp_nocheck && ext != NULL)
        return fail(c,
                    "id-pkix-ocsp-nocheck is present but profile %s has ocsp_nocheck = "
                    "false; it would exempt this certificate from revocation checks",
                    c->p->name);
    if (ext == NULL)
        return LINT_PASS;
    v = X509_EXTENSION_get_data(ext);
    if (ASN1_STRING_length(v) != 2 || memcmp(ASN1_STRING_get0_data(v), "\x05\x00", 2) != 0)
        return fail(c, "id-pkix-ocsp-nocheck's value is not NULL (RFC 6960 4.2.2.2.1)");
    return LINT_PASS;
}

/* ---------------------------------------------------------------------- */
/* Keys and signature                                                       */
/* ---------------------------------------------------------------------- */

/*
 * The subject public key, read from the encoded SubjectPublicKeyInfo: RSA
 * (rsaEncryption with NULL parameters, RFC 3279 2.3.1) of 2048, 3072 or
 * 4096 bits with e = 65537, or EC on the named curve P-256 or P-384 (RFC
 * 5480 2.1.1: namedCurve only), of a type the profile allows, and passing
 * OpenSSL's public-key validation.
 */
static int rule_public_key_allowed(lint_ctx *c)
{
    X509_PUBKEY *xpk = X509_get_X509_PUBKEY(c->cert);
    ASN1_OBJECT *alg = NULL;
    X509_ALGOR *pa = NULL;
    const void *pval = NULL;
    int ptype = V_ASN1_UNDEF, bits, ok;
    EVP_PKEY *pk;
    EVP_PKEY_CTX *pctx;
    BIGNUM *e = NULL;
    ks_keytype t;
    char buf[TEXT_MAX];

    if (xpk == NULL || !X509_PUBKEY_get0_param(&alg, NULL, NULL, &pa, xpk))
        return fail(c, "the certificate has no public key");
    X509_ALGOR_get0(NULL, &ptype, &pval, pa);
    pk = X509_get0_pubkey(c->cert);
    if (pk == NULL)
        return fail(c, "the public key cannot be decoded");
    switch (OBJ_obj2nid(alg)) {
    case NID_X9_62_id_ecPublicKey:
        if (ptype != V_ASN1_OBJECT)
            return fail(c, "the EC key has explicit curve parameters; RFC 5480 2.1.1 requires a "
                           "named curve");
        if (!curve_keytype(OBJ_obj2nid(pval), &t))
            return fail(c, "the EC key is on curve %s; sertel allows P-256 and P-384",
                        obj_txt(pval, buf, sizeof(buf)));
        break;
    case NID_rsaEncryption:
        if (ptype != V_ASN1_NULL)
            return fail(c, "the rsaEncryption parameters are not NULL (RFC 3279 2.3.1)");
        bits = EVP_PKEY_get_bits(pk);
        if (!rsa_keytype(bits, &t))
            return fail(c, "the RSA key has %d bits; sertel allows 2048, 3072 and 4096", bits);
        if (!EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e))
            return fail(c, "the RSA public exponent cannot be read");
        ok = BN_is_word(e, 65537);
        if (!ok) {
            char *dec = BN_bn2dec(e);
            fail(c, "the RSA public exponent is %s; sertel requires 65537",
                 dec != NULL && strlen(dec) < 40 ? dec : "(a large number)");
            OPENSSL_free(dec);
        }
        BN_free(e);
        if (!ok)
            return LINT_FAIL;
        break;
    default:
        return fail(c, "the public key algorithm is %s; sertel allows EC P-256/P-384 and RSA",
                    obj_txt(alg, buf, sizeof(buf)));
    }
    if (!(c->p->key_types & (1u << t)))
        return fail(c, "the key is %s, which profile %s does not allow", keytype_names[t],
                    c->p->name);
    pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
    ok = pctx != NULL && EVP_PKEY_public_check(pctx) == 1;
    EVP_PKEY_CTX_free(pctx);
    if (!ok)
        return fail(c, "the %s public key fails validation", keytype_names[t]);
    return LINT_PASS;
}

/*
 * The signature that will be made: by the issuer's key (else it would not
 * verify, RFC 5280 6.1.3 (a)(1)), with SHA-256, SHA-384 or SHA-512, and
 * SHA-384 for a P-384 key (RFC 5480 4, matching the curve's strength). When
 * the certificate's signature field is filled already, it must name that
 * same algorithm (RFC 5280 4.1.1.2 / 4.1.2.3).
 */
static int rule_sigalg_strength(lint_ctx *c)
{
    EVP_PKEY *issuer_pub = X509_get0_pubkey(c->issuer);
    const ASN1_OBJECT *field = NULL;
    int md = EVP_MD_get_type(c->md), field_nid, want;
    ks_keytype t;
    char desc[TEXT_MAX];

    if (!pkey_keytype(c->issuer_key, &t, desc, sizeof(desc)))
        return fail(c,
                    "the signing key (%s) is not a type sertel signs with: EC P-256/P-384 or "
                    "RSA 2048/3072/4096",
                    desc);
    if (issuer_pub == NULL || EVP_PKEY_eq(c->issuer_key, issuer_pub) != 1)
        return fail(c,
                    "the signing key is not the public key of the %s; the signature would "
                    "not verify",
                    c->self_signed ? "certificate itself (self-signed)" : "issuer certificate");
    if (t == KS_KEY_EC_P384 && md != NID_sha384)
        return fail(c, "a P-384 key signs with SHA-384, not %s", OBJ_nid2sn(md));
    if (md != NID_sha256 && md != NID_sha384 && md != NID_sha512)
        return fail(c, "digest %s is not allowed; use SHA-256, SHA-384 or SHA-512", OBJ_nid2sn(md));
    X509_ALGOR_get0(&field, NULL, NULL, X509_get0_tbs_sigalg(c->cert));
    field_nid = OBJ_obj2nid(field);
    if (field_nid == NID_undef)
        return LINT_PASS; /* not filled in yet: X509_sign will */
    if (!OBJ_find_sigid_by_algs(&want, md, EVP_PKEY_get_base_id(c->issuer_key)))
        return fail(c, "no signature algorithm for %s with this key", OBJ_nid2sn(md));
    if (field_nid != want)
        return fail(c,
                    "the signature algorithm field says %s but the certificate will be "
                    "signed with %s",
                    OBJ_nid2sn(field_nid), OBJ_nid2sn(want));
    return LINT_PASS;
}

/* Only a root signs itself: an end-entity or OCSP certificate signed by its
 * own key is outside every chain (RFC 5280 6.1: a path ends at a trust
 * anchor, and sertel's anchor is its root CA). */
static int rule_self_signed_only_for_root(lint_ctx *c)
{
    if (c->self_signed && !c->p->is_ca)
        return fail(c,
                    "the certificate is self-signed but profile %s is not a CA profile; only "
                    "the root CA signs itself",
                    c->p->name);
    return LINT_PASS;
}

/* ---------------------------------------------------------------------- */
/* The table                                                                */
/* ---------------------------------------------------------------------- */

/* X(name, description): run in this order; the check is rule_<name>. The
 * order puts what later rules rely on first (duplicates before any lookup
 * of one extension, keyUsage before its consistency with cA). */
#define LINT_RULES(X)                                                                              \
    X(serial_positive, "serial number is greater than zero (RFC 5280 4.1.2.2)")                    \
    X(serial_size, "serial number is at most 20 octets (RFC 5280 4.1.2.2)")                        \
    X(serial_entropy, "serial number is at least 16 octets: 16 random bytes (CA/B BR 7.1)")        \
    X(version_v3, "certificate is version 3 (RFC 5280 4.1.2.1)")                                   \
    X(validity_order, "notBefore is before notAfter, both encoded per RFC 5280 4.1.2.5")           \
    X(validity_profile, "lifetime is at most the profile's validity_days")                         \
    X(validity_within_issuer, "validity lies within the issuer's validity")                        \
    X(issuer_name_matches, "issuer name is exactly the issuer's subject (RFC 5280 4.1.2.4)")       \
    X(subject_present, "subject is not empty, except an end entity named in subjectAltName "       \
                       "(RFC 5280 4.1.2.6)")                                                       \
    X(subject_attributes, "subject has the profile's attributes, each once, one per RDN, in "      \
                          "the order C, O, OU, CN")                                                \
    X(country_code, "C is a two-letter upper-case PrintableString, the profile's country if set")  \
    X(name_lengths, "subject values are non-empty UTF8String/PrintableString within RFC 5280 "     \
                    "upper bounds, without control characters")                                    \
    X(duplicate_extensions, "no extension appears twice (RFC 5280 4.2)")                           \
    X(unknown_critical, "only extensions sertel may mark critical are critical (RFC 5280 4.2)")    \
    X(basic_constraints, "basicConstraints matches the profile, critical on CAs (RFC 5280 "        \
                         "4.2.1.9)")                                                               \
    X(key_usage_present, "keyUsage has exactly the profile's bits and criticality (RFC 5280 "      \
                         "4.2.1.3)")                                                               \
    X(ku_ca_consistency, "keyCertSign/cRLSign only with cA, and a CA has keyCertSign (RFC 5280 "   \
                         "4.2.1.3, 4.2.1.9)")                                                      \
    X(eku, "extendedKeyUsage is exactly the profile's, never anyExtendedKeyUsage (RFC 5280 "       \
           "4.2.1.12)")                                                                            \
    X(ski_present, "subjectKeyIdentifier is present (RFC 5280 4.2.1.2)")                           \
    X(aki_present, "authorityKeyIdentifier with keyIdentifier, unless self-signed (RFC 5280 "      \
                   "4.2.1.1)")                                                                     \
    X(aki_matches, "authorityKeyIdentifier is the issuer's subjectKeyIdentifier (RFC 5280 "        \
                   "4.2.1.1)")                                                                     \
    X(san_email, "subjectAltName holds only valid rfc822Name addresses, as the profile says "      \
                 "(RFC 5280 4.2.1.6)")                                                             \
    X(san_critical_if_empty_subject, "subjectAltName is critical exactly when the subject is "     \
                                     "empty (RFC 5280 4.2.1.6)")                                   \
    X(policies, "certificatePolicies has the profile's policy and CPS URI (RFC 5280 4.2.1.4)")     \
    X(aia, "authorityInfoAccess has http OCSP and caIssuers URIs iff the profile says (RFC 5280 "  \
           "4.2.2.1)")                                                                             \
    X(crl_dp, "cRLDistributionPoints has http URIs iff the profile says (RFC 5280 4.2.1.13)")      \
    X(ocsp_nocheck, "id-pkix-ocsp-nocheck is present iff the profile says (RFC 6960 4.2.2.2.1)")   \
    X(public_key_allowed, "public key is RSA 2048/3072/4096 with e = 65537 or EC P-256/P-384, "    \
                          "allowed by the profile")                                                \
    X(sigalg_strength, "signed by the issuer's key with SHA-256/384/512 (SHA-384 for P-384)")      \
    X(self_signed_only_for_root, "only a CA profile is self-signed")

typedef int (*lint_fn)(lint_ctx *c);

#define LINT_CHECK_ENTRY(n, d) {#n, rule_##n},
static const struct {
    const char *name;
    lint_fn check;
} lint_checks[] = {LINT_RULES(LINT_CHECK_ENTRY)};
#undef LINT_CHECK_ENTRY

#define LINT_RULE_ENTRY(n, d) {#n, d},
static const lint_rule lint_table[] = {LINT_RULES(LINT_RULE_ENTRY){NULL, NULL}};
#undef LINT_RULE_ENTRY

const lint_rule *lint_rules(void)
{
    return lint_table;
}

int lint_check(const lint_input *in, const char **failed_rule, sertel_err *err)
{
    lint_ctx c;
    size_t i;
    int rc;

    if (failed_rule != NULL)
        *failed_rule = NULL;
    if (in->cert == NULL || in->issuer_key == NULL || in->md == NULL || in->profile == NULL)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL,
                              "lint_check needs the certificate, the signing key, the digest and "
                              "the profile");
    memset(&c, 0, sizeof(c));
    c.cert = in->cert;
    c.self_signed = in->issuer == NULL;
    c.issuer = c.self_signed ? in->cert : in->issuer;
    c.issuer_key = in->issuer_key;
    c.md = in->md;
    c.p = in->profile;

    for (i = 0; i < sizeof(lint_checks) / sizeof(lint_checks[0]); i++) {
        c.what[0] = '\0';
        rc = lint_checks[i].check(&c);
        /* Decoding failures leave OpenSSL errors behind; they are
         * reported in the message, not in the queue. */
        ERR_clear_error();
        if (rc == LINT_PASS)
            continue;
        if (failed_rule != NULL)
            *failed_rule = lint_checks[i].name;
        return sertel_err_set(err, SERTEL_ERR_LINT, "lint rule %s failed: %s", lint_checks[i].name,
                              c.what);
    }
    return SERTEL_OK;
}
