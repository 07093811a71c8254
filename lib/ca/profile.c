/*
 * profile.c - certificate profiles read from the configuration (see
 * profile.h). Values are validated here so that a mistake in sertel.conf
 * is reported when the profile is loaded, naming section and key, not
 * discovered in an issued certificate.
 */
#include "ca/profile.h"

#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#define SECTION_MAX (PROFILE_NAME_MAX + 16)

/* Split a comma-separated list; calls fn for every trimmed, non-empty item. */
typedef int (*item_fn)(const char *item, void *arg, sertel_err *err);

static int for_each_item(const char *list, item_fn fn, void *arg, sertel_err *err)
{
    char buf[1024];
    const char *p = list;

    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char *s, *e;
        int rc;

        if (len >= sizeof(buf))
            return sertel_err_set(err, SERTEL_ERR_CONFIG, "list item too long");
        memcpy(buf, p, len);
        buf[len] = '\0';
        s = buf;
        while (*s == ' ' || *s == '\t')
            s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        if (*s) {
            rc = fn(s, arg, err);
            if (rc != SERTEL_OK)
                return rc;
        }
        p += len + (comma ? 1 : 0);
    }
    return SERTEL_OK;
}

static const struct {
    const char *name;
    unsigned bit;
} ku_names[] = {
    {"digitalSignature", X509v3_KU_DIGITAL_SIGNATURE},
    {"nonRepudiation", X509v3_KU_NON_REPUDIATION},
    {"contentCommitment", X509v3_KU_NON_REPUDIATION},
    {"keyEncipherment", X509v3_KU_KEY_ENCIPHERMENT},
    {"dataEncipherment", X509v3_KU_DATA_ENCIPHERMENT},
    {"keyAgreement", X509v3_KU_KEY_AGREEMENT},
    {"keyCertSign", X509v3_KU_KEY_CERT_SIGN},
    {"cRLSign", X509v3_KU_CRL_SIGN},
};

static int ku_item(const char *item, void *arg, sertel_err *err)
{
    unsigned *ku = arg;
    size_t i;

    for (i = 0; i < sizeof(ku_names) / sizeof(ku_names[0]); i++) {
        if (strcmp(item, ku_names[i].name) == 0) {
            *ku |= ku_names[i].bit;
            return SERTEL_OK;
        }
    }
    return sertel_err_set(err, SERTEL_ERR_CONFIG,
                          "unknown key usage '%s' (use digitalSignature, nonRepudiation, "
                          "keyEncipherment, dataEncipherment, keyAgreement, keyCertSign, cRLSign)",
                          item);
}

static int eku_item(const char *item, void *arg, sertel_err *err)
{
    ca_profile *p = arg;
    ASN1_OBJECT *obj;

    if (p->n_eku >= PROFILE_EKU_MAX)
        return sertel_err_set(err, SERTEL_ERR_CONFIG, "more than %d extended key usages",
                              PROFILE_EKU_MAX);
    obj = OBJ_txt2obj(item, 0);
    if (obj == NULL)
        return sertel_err_set(err, SERTEL_ERR_CONFIG,
                              "unknown extended key usage '%s' (a name such as emailProtection "
                              "or a dotted OID)",
                              item);
    OBJ_obj2txt(p->eku[p->n_eku], PROFILE_OID_MAX, obj, 1);
    ASN1_OBJECT_free(obj);
    p->n_eku++;
    return SERTEL_OK;
}

static int attr_item(const char *item, void *arg, sertel_err *err)
{
    unsigned *bits = arg;

    if (strcmp(item, "C") == 0)
        *bits |= PROFILE_ATTR_C;
    else if (strcmp(item, "O") == 0)
        *bits |= PROFILE_ATTR_O;
    else if (strcmp(item, "OU") == 0)
        *bits |= PROFILE_ATTR_OU;
    else if (strcmp(item, "CN") == 0)
        *bits |= PROFILE_ATTR_CN;
    else
        return sertel_err_set(err, SERTEL_ERR_CONFIG,
                              "unknown subject attribute '%s' (use C, O, OU, CN)", item);
    return SERTEL_OK;
}

static int keytype_item(const char *item, void *arg, sertel_err *err)
{
    unsigned *bits = arg;
    ks_keytype t;

    if (ks_keytype_parse(item, &t) != SERTEL_OK)
        return sertel_err_set(err, SERTEL_ERR_CONFIG,
                              "unknown key type '%s' (use ec-p256, ec-p384, rsa-2048, rsa-3072, "
                              "rsa-4096)",
                              item);
    *bits |= 1u << t;
    return SERTEL_OK;
}

static int copy_str(char *dst, size_t cap, const char *v, const char *sec, const char *key,
                    sertel_err *err)
{
    if (strlen(v) >= cap)
        return sertel_err_set(err, SERTEL_ERR_CONFIG, "[%s] %s is longer than %zu characters", sec,
                              key, cap - 1);
    memcpy(dst, v, strlen(v) + 1);
    return SERTEL_OK;
}

static int list_profiles(const conf *c, char *out, size_t cap)
{
    int i, n = conf_section_count(c), found = 0;
    size_t used = 0;

    out[0] = '\0';
    for (i = 0; i < n; i++) {
        const char *s = conf_section_name(c, i);
        if (strncmp(s, "profile ", 8) == 0) {
            int w = snprintf(out + used, cap - used, "%s%s", found ? ", " : "", s + 8);
            if (w < 0 || (size_t)w >= cap - used)
                break;
            used += (size_t)w;
            found++;
        }
    }
    return found;
}

int profile_load(const conf *c, const char *name, ca_profile *p, sertel_err *err)
{
    char sec[SECTION_MAX], names[512];
    const char *v;
    int64_t n;
    int rc;

    memset(p, 0, sizeof(*p));
    if (strlen(name) >= PROFILE_NAME_MAX)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "profile name '%.64s...' is too long", name);
    snprintf(sec, sizeof(sec), "profile %s", name);
    if (conf_section_count(c) == 0 || conf_get(c, sec, "validity_days") == NULL) {
        if (list_profiles(c, names, sizeof(names)) == 0)
            return sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                                  "no profile '%s': the configuration defines no profiles", name);
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                              "no profile '%s' (or it has no validity_days): known profiles are "
                              "%s",
                              name, names);
    }
    memcpy(p->name, name, strlen(name) + 1);

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        rc = (x);                                                                                  \
        if (rc != SERTEL_OK)                                                                       \
            goto fail;                                                                             \
    } while (0)

    CHECK(conf_get_int(c, sec, "validity_days", 0, 1, 366 * 30, &p->validity_days, err));
    CHECK(conf_get_bool(c, sec, "ca", 0, &p->is_ca, err));
    CHECK(conf_get_int(c, sec, "path_len", -1, -1, 16, &n, err));
    p->path_len = (int)n;
    v = conf_get(c, sec, "key_usage");
    if (v == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_CONFIG, "[%s] key_usage is missing", sec);
        goto fail;
    }
    CHECK(for_each_item(v, ku_item, &p->key_usage, err));
    CHECK(conf_get_bool(c, sec, "key_usage_critical", 1, &p->key_usage_critical, err));
    v = conf_get(c, sec, "extended_key_usage");
    if (v != NULL)
        CHECK(for_each_item(v, eku_item, p, err));
    CHECK(conf_get_bool(c, sec, "eku_critical", 0, &p->eku_critical, err));
    CHECK(conf_get_bool(c, sec, "ocsp_nocheck", 0, &p->ocsp_nocheck, err));
    CHECK(for_each_item(conf_get_default(c, sec, "subject_required", "CN"), attr_item,
                        &p->subject_required, err));
    CHECK(for_each_item(conf_get_default(c, sec, "subject_optional", ""), attr_item,
                        &p->subject_allowed, err));
    p->subject_allowed |= p->subject_required;
    v = conf_get_default(c, sec, "country", "");
    if (*v != '\0' && (strlen(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z')) {
        rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                            "[%s] country = '%s' must be a two-letter upper-case ISO 3166 code",
                            sec, v);
        goto fail;
    }
    CHECK(copy_str(p->country, sizeof(p->country), v, sec, "country", err));
    v = conf_get_default(c, sec, "san_email", "none");
    if (strcmp(v, "none") == 0)
        p->san_email = PROFILE_SAN_NONE;
    else if (strcmp(v, "optional") == 0)
        p->san_email = PROFILE_SAN_OPTIONAL;
    else if (strcmp(v, "required") == 0)
        p->san_email = PROFILE_SAN_REQUIRED;
    else {
        rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                            "[%s] san_email = '%s' must be none, optional or required", sec, v);
        goto fail;
    }
    v = conf_get_default(c, sec, "policy_oid", "");
    if (*v != '\0') {
        ASN1_OBJECT *o = OBJ_txt2obj(v, 1);
        ASN1_OBJECT_free(o);
        if (o == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                                "[%s] policy_oid = '%s' is not a dotted OID", sec, v);
            goto fail;
        }
    }
    CHECK(copy_str(p->policy_oid, sizeof(p->policy_oid), v, sec, "policy_oid", err));
    v = conf_get_default(c, sec, "cps_uri", "");
    if (*v != '\0' && strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_CONFIG, "[%s] cps_uri must be an http(s) URL", sec);
        goto fail;
    }
    CHECK(copy_str(p->cps_uri, sizeof(p->cps_uri), v, sec, "cps_uri", err));
    CHECK(conf_get_bool(c, sec, "aia", 0, &p->aia, err));
    CHECK(conf_get_bool(c, sec, "crl_dp", 0, &p->crl_dp, err));
    CHECK(for_each_item(
        conf_get_default(c, sec, "key_types", "ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096"),
        keytype_item, &p->key_types, err));
    if (p->key_types == 0) {
        rc = sertel_err_set(err, SERTEL_ERR_CONFIG, "[%s] key_types allows no key type", sec);
        goto fail;
    }
    if (!p->is_ca && (p->key_usage & (X509v3_KU_KEY_CERT_SIGN | X509v3_KU_CRL_SIGN))) {
        rc = sertel_err_set(err, SERTEL_ERR_CONFIG, "[%s] keyCertSign/cRLSign need ca = true", sec);
        goto fail;
    }
    if (p->is_ca && !(p->key_usage & X509v3_KU_KEY_CERT_SIGN)) {
        rc = sertel_err_set(err, SERTEL_ERR_CONFIG, "[%s] a CA profile needs keyCertSign", sec);
        goto fail;
    }
#undef CHECK
    return SERTEL_OK;
fail:
    if (err != NULL && err->code == SERTEL_ERR_CONFIG && strstr(err->msg, sec) == NULL)
        sertel_err_prefix(err, "[%s]", sec);
    return rc;
}

int profile_allows_key(const ca_profile *p, ks_keytype t)
{
    return (p->key_types & (1u << t)) != 0;
}
