/*
 * crl.c - certificate revocation lists (RFC 5280 §5): full CRLs per issuing
 * authority, numbered from the database so the number never goes backwards,
 * keeping every revoked certificate until it expires.
 *
 * The issuing CA's CRL is short-lived (hours) and reissued by the online
 * services; the root's is long-lived (a year by default) and signed only at
 * a ceremony on the command line: a home opened with CA_OPEN_ONLINE never
 * loads the root key (ca_authority_key).
 */
#include <jansson.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ca/ca_int.h"
#include "audit/events.h"
#include "util/fs.h"
#include "util/num.h"

#define CRL_DEFAULT_HOURS 24
#define CRL_ROOT_DEFAULT_DAYS 365
#define CRL_ROOT_MAX_DAYS 1825

ks_key **ca_authority_slot(ca_ctx *ca, const char *name)
{
    return strcmp(name, "root") == 0   ? &ca->root_key
           : strcmp(name, "ocsp") == 0 ? &ca->ocsp_key
           : strcmp(name, "tsa") == 0  ? &ca->tsa_key
                                       : NULL;
}

int ca_authority_key(ca_ctx *ca, const char *name, ks_key **out, sertel_err *err)
{
    ks_key **slot;

    *out = NULL;
    if (ca->ks == NULL)
        return sertel_err_set(err, SERTEL_ERR_STATE, "the CA was opened read-only: no keys");
    if (strcmp(name, "issuing") == 0) {
        *out = ca->issuing_key;
        return SERTEL_OK;
    }
    if (strcmp(name, "audit") == 0) {
        *out = ca->audit_key;
        return SERTEL_OK;
    }
    if (strcmp(name, "root") == 0 && (ca->flags & CA_OPEN_ONLINE))
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "the root CA key is not available to the online services: the "
                              "root signs only at a ceremony on the command line (sertel crl "
                              "--root, sertel cert revoke)");
    if ((slot = ca_authority_slot(ca, name)) == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND, "no authority named '%s'", name);
    if (*slot == NULL) {
        /* The current key's label: a re-keyed authority's differs from its name. */
        char label[128];
        int rc = ca_authority_label(ca, name, label, sizeof(label), err);
        if (rc == SERTEL_OK)
            rc = ks_load(ca->ks, label, slot, err);
        if (rc != SERTEL_OK)
            return rc;
    }
    *out = *slot;
    return SERTEL_OK;
}

/* A counter kept in the meta table (0 when never set). */
static int meta_counter(ca_ctx *ca, const char *key, int64_t *out, sertel_err *err)
{
    char *v = NULL;
    int rc = store_meta_get(ca->st, key, &v, err);

    *out = 0;
    if (rc == SERTEL_ERR_NOTFOUND) {
        sertel_err_clear(err);
        return SERTEL_OK;
    }
    if (rc == SERTEL_OK && num_parse_i64z(v, 0, INT64_MAX - 1, out) != SERTEL_OK)
        rc = sertel_err_set(err, SERTEL_ERR_STORE, "%s in the database is damaged", key);
    free(v);
    return rc;
}

int ca_meta_counter_bump(ca_ctx *ca, const char *key, sertel_err *err)
{
    int64_t e = 0;
    char buf[32];
    int rc = meta_counter(ca, key, &e, err);

    if (rc != SERTEL_OK)
        return rc;
    snprintf(buf, sizeof(buf), "%lld", (long long)(e + 1));
    return store_meta_set(ca->st, key, buf, err);
}

int ca_revocation_epoch(ca_ctx *ca, int64_t *out, sertel_err *err)
{
    return meta_counter(ca, "revocation.epoch", out, err);
}

int ca_bump_revocation_epoch(ca_ctx *ca, sertel_err *err)
{
    return ca_meta_counter_bump(ca, "revocation.epoch", err);
}

int ca_authority_epoch(ca_ctx *ca, int64_t *out, sertel_err *err)
{
    return meta_counter(ca, "authority.epoch", out, err);
}

static int add_entry(X509_CRL *crl, const char *serial_hex, int64_t revoked_at, int reason,
                     int64_t invalidity, sertel_err *err)
{
    X509_REVOKED *rv = X509_REVOKED_new();
    BIGNUM *bn = NULL;
    ASN1_INTEGER *sn = NULL;
    ASN1_TIME *t = NULL;
    ASN1_ENUMERATED *e = NULL;
    int rc = SERTEL_ERR_CRYPTO;

    if (rv == NULL || BN_hex2bn(&bn, serial_hex) == 0 ||
        (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
        (t = ASN1_TIME_set(NULL, (time_t)revoked_at)) == NULL ||
        !X509_REVOKED_set_serialNumber(rv, sn) || !X509_REVOKED_set_revocationDate(rv, t))
        goto out;
    /* RFC 5280 §5.3.1: leave the reason out rather than say "unspecified". */
    if (reason > 0) {
        e = ASN1_ENUMERATED_new();
        if (e == NULL || !ASN1_ENUMERATED_set(e, reason) ||
            !X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, e, 0, 0))
            goto out;
    }
    if (invalidity > 0) {
        ASN1_GENERALIZEDTIME *g = ASN1_GENERALIZEDTIME_set(NULL, (time_t)invalidity);
        int ok = g != NULL && X509_REVOKED_add1_ext_i2d(rv, NID_invalidity_date, g, 0, 0);
        ASN1_GENERALIZEDTIME_free(g);
        if (!ok)
            goto out;
    }
    if (!X509_CRL_add0_revoked(crl, rv))
        goto out;
    rv = NULL;
    rc = SERTEL_OK;
out:
    if (rc != SERTEL_OK)
        sertel_err_openssl(err, rc, "cannot add certificate %s to the CRL", serial_hex);
    X509_REVOKED_free(rv);
    BN_free(bn);
    ASN1_INTEGER_free(sn);
    ASN1_TIME_free(t);
    ASN1_ENUMERATED_free(e);
    return rc;
}

int ca_crl_generate(ca_ctx *ca, const char *issuer, sertel_err *err)
{
    X509 *icert;
    ks_key *key = NULL;
    X509_CRL *crl = NULL;
    X509V3_CTX v3;
    X509_EXTENSION *aki = NULL;
    ASN1_INTEGER *num = NULL;
    ASN1_TIME *tu = NULL, *nu = NULL;
    store_stmt *s = NULL;
    unsigned char *der = NULL;
    int64_t number = 1, epoch = 0, validity, now = (int64_t)time(NULL);
    json_t *dj = NULL;
    char *details = NULL;
    int len, rc;

    if (strcmp(issuer, "issuing") == 0)
        icert = ca->issuing;
    else if (strcmp(issuer, "root") == 0)
        icert = ca->root;
    else
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND, "no CRL issuer '%s': use issuing or root",
                              issuer);
    if (icert == ca->root)
        rc = conf_get_int(ca->conf, "crl", "root_next_update_days", CRL_ROOT_DEFAULT_DAYS, 1,
                          CRL_ROOT_MAX_DAYS, &validity, err);
    else
        rc = conf_get_int(ca->conf, "crl", "next_update_hours", CRL_DEFAULT_HOURS, 1, 24 * 31,
                          &validity, err);
    if (rc != SERTEL_OK)
        return rc;
    validity *= icert == ca->root ? 86400 : 3600;
    if ((rc = ca_authority_key(ca, issuer, &key, err)) != SERTEL_OK) {
        if (icert == ca->root && rc != SERTEL_ERR_DENIED)
            sertel_err_prefix(err, "the root CA key is needed to sign the root CRL (a ceremony "
                                   "where the root key is present)");
        return rc;
    }
    if ((rc = store_begin(ca->st, err)) != SERTEL_OK)
        return rc;
    /* Number and epoch under the write lock: two generators never share a number. */
    rc = store_queryf(ca->st, &s, err, "SELECT number FROM crls WHERE issuer = ?", "t", issuer);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW)
        number = store_col_int64(s, 0) + 1;
    store_finalize(s);
    s = NULL;
    if (rc < 0 || (rc = ca_revocation_epoch(ca, &epoch, err)) != SERTEL_OK)
        goto out;
    crl = X509_CRL_new();
    num = ASN1_INTEGER_new();
    tu = ASN1_TIME_set(NULL, (time_t)now);
    nu = ASN1_TIME_set(NULL, (time_t)(now + validity));
    if (crl == NULL || num == NULL || tu == NULL || nu == NULL || !X509_CRL_set_version(crl, 1) ||
        !X509_CRL_set_issuer_name(crl, X509_get_subject_name(icert)) ||
        !X509_CRL_set1_lastUpdate(crl, tu) || !X509_CRL_set1_nextUpdate(crl, nu) ||
        !ASN1_INTEGER_set_int64(num, number)) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot build the CRL");
        goto out;
    }
    /* Revoked certificates of this issuer that have not expired yet. */
    rc = store_queryf(ca->st, &s, err,
                      "SELECT serial, revoked_at, revocation_reason, invalidity_date FROM "
                      "certificates WHERE issuer = ? AND status = 'revoked' AND not_after >= ? "
                      "ORDER BY serial",
                      "ti", issuer, now);
    while (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW)
        rc = add_entry(crl, store_col_text(s, 0), store_col_int64(s, 1),
                       store_col_is_null(s, 2) ? 0 : (int)store_col_int64(s, 2),
                       store_col_is_null(s, 3) ? 0 : store_col_int64(s, 3), err);
    store_finalize(s);
    s = NULL;
    if (rc < 0)
        goto out;
    X509V3_set_ctx(&v3, icert, NULL, NULL, crl, 0);
    aki = X509V3_EXT_nconf_nid(NULL, &v3, NID_authority_key_identifier, "keyid:always");
    if (aki == NULL || !X509_CRL_add_ext(crl, aki, -1) ||
        !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) || !X509_CRL_sort(crl) ||
        X509_CRL_sign(crl, ks_key_get0_pkey(key), ks_keytype_digest(ks_key_type(key))) <= 0) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot sign the %s CRL", issuer);
        goto out;
    }
    len = i2d_X509_CRL(crl, &der);
    if (len <= 0) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot encode the CRL");
        goto out;
    }
    rc = store_execf(ca->st, err, "DELETE FROM crls WHERE issuer = ?", "t", issuer);
    if (rc == SERTEL_OK)
        rc = store_execf(ca->st, err,
                         "INSERT INTO crls (issuer, number, this_update, next_update, epoch, der) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         "tiiiib", issuer, number, now, now + validity, epoch, der, (size_t)len);
    if (rc == SERTEL_OK) {
        int entries = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)); /* -1 when none */
        rc = audit_append_json(ca->audit, "system", AUDIT_CRL_ISSUED, issuer,
                               json_pack("{s:I, s:i, s:I}", "number", (json_int_t)number, "entries",
                                         entries > 0 ? entries : 0, "next_update",
                                         (json_int_t)(now + validity)),
                               NULL, err);
    }
out:
    if (rc == SERTEL_OK)
        rc = ca_txn_commit(ca, err);
    else
        ca_txn_rollback(ca);
    OPENSSL_free(der);
    free(details);
    json_decref(dj);
    X509_EXTENSION_free(aki);
    ASN1_INTEGER_free(num);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    X509_CRL_free(crl);
    return rc;
}

int ca_crl_current(ca_ctx *ca, const char *issuer, unsigned char **der, size_t *len,
                   ca_crl_info *info, sertel_err *err)
{
    store_stmt *s = NULL;
    const void *b;
    size_t n;
    int rc;

    *der = NULL;
    *len = 0;
    rc = store_queryf(ca->st, &s, err,
                      "SELECT number, this_update, next_update, epoch, der FROM crls WHERE "
                      "issuer = ?",
                      "t", issuer);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            if (info != NULL) {
                info->number = store_col_int64(s, 0);
                info->this_update = store_col_int64(s, 1);
                info->next_update = store_col_int64(s, 2);
                info->epoch = store_col_int64(s, 3);
            }
            b = store_col_blob(s, 4, &n);
            *der = malloc(n ? n : 1);
            if (*der == NULL) {
                rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            } else {
                memcpy(*der, b, n);
                *len = n;
                rc = SERTEL_OK;
            }
        } else if (rc == STORE_DONE) {
            rc = strcmp(issuer, "root") == 0
                     ? sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                                      "no root CRL has been issued yet: sign one at a root "
                                      "ceremony (sertel crl --root)")
                     : sertel_err_set(err, SERTEL_ERR_NOTFOUND, "no %s CRL has been issued yet",
                                      issuer);
        }
    }
    store_finalize(s);
    return rc;
}
