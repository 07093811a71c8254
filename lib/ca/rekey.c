/*
 * rekey.c - a new key and certificate for the OCSP responder or the
 * time-stamping authority: their certificates come from the issuing CA for
 * a few years, so before one expires (or after its key was compromised and
 * the certificate revoked) the authority moves to a fresh key.
 *
 * The new key is generated in the home's key store under a new label
 * (<name>-YYYYMMDD-HHMMSS, UTC), the certificate is signed by the issuing CA with the
 * authority's profile and the old certificate's subject, and in one
 * audited transaction it is recorded and the authorities row points at the
 * new label and serial; the authority epoch moves so running services
 * (pki_refresh) switch within a second. Only then is certs/<name>.pem
 * replaced (atomically) and, after a grace of two seconds in which a
 * running server moves to the new key, the old key destroyed: its
 * certificate stays valid for what it signed, and nothing can sign with
 * it any more.
 */
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ca/ca_int.h"
#include "audit/events.h"
#include "util/fs.h"

#define REKEY_GRACE_SECONDS 2 /* before the old key is destroyed (see ca_rekey) */

static const char *authority_profile(const char *name)
{
    if (strcmp(name, "ocsp") == 0)
        return "ocsp-signing";
    if (strcmp(name, "tsa") == 0)
        return "time-stamping";
    return NULL;
}

int ca_authority_label(ca_ctx *ca, const char *name, char *out, size_t cap, sertel_err *err)
{
    store *st = ca->st;
    store_stmt *s = NULL;
    const char *v;
    int rc = store_prepare(st, "SELECT key_label FROM authorities WHERE name = ?", &s, err);

    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 1, name, err);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            v = store_col_text(s, 0);
            rc = v != NULL && strlen(v) < cap
                     ? (snprintf(out, cap, "%s", v), SERTEL_OK)
                     : sertel_err_set(err, SERTEL_ERR_STORE,
                                      "the %s authority's key label is damaged", name);
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "the home has no %s authority", name);
        }
    }
    store_finalize(s);
    return rc;
}

void ca_authority_forget(ca_ctx *ca, const char *name)
{
    ks_key **slot = ca_authority_slot(ca, name);

    if (slot != NULL) {
        ks_key_free(*slot);
        *slot = NULL;
    }
}

/* Text of the first entry nid of name into out ("" when none). */
static void name_entry(const X509_NAME *name, int nid, char *out, size_t cap)
{
    int i = X509_NAME_get_index_by_NID(name, nid, -1);
    const ASN1_STRING *s = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)) : NULL;
    unsigned char *u = NULL;
    int n = s != NULL ? ASN1_STRING_to_UTF8(&u, s) : -1;

    snprintf(out, cap, "%.*s", n > 0 ? n : 0, n > 0 ? (const char *)u : "");
    OPENSSL_free(u);
}

int ca_rekey(ca_ctx *ca, const char *name, const char *actor, char serial[41], sertel_err *err)
{
    const char *profile = authority_profile(name);
    char old_label[128], label[128], org[256], cn[256], country[8], old_serial[41] = "", rel[64],
                                                                    path[4096];
    X509 *old = NULL, *x = NULL;
    ks_key *key = NULL, *old_key = NULL;
    EVP_PKEY *pub = NULL;
    ks_keytype kt;
    ca_issue_req req;
    struct tm tm;
    time_t now = time(NULL);
    int rc, generated = 0, in_txn = 0, i;
    BIO *b = NULL;
    BUF_MEM *bm;

    serial[0] = '\0';
    if (profile == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "only the ocsp and tsa authorities can be re-keyed here ('%s')",
                              name);
    if (ca->ks == NULL || ca->issuing_key == NULL)
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "the CA was opened read-only: it cannot re-key");
    if ((rc = ca_authority_label(ca, name, old_label, sizeof(old_label), err)) != SERTEL_OK ||
        (rc = ca_authority_cert(ca, name, &old, err)) != SERTEL_OK ||
        (rc = ca_authority_key(ca, name, &old_key, err)) != SERTEL_OK)
        goto out;
    if ((rc = ks_keytype_of(ks_key_get0_pkey(old_key), &kt, err)) != SERTEL_OK)
        goto out;
    if (ca_serial_hex(old, old_serial, sizeof(old_serial)) != SERTEL_OK)
        old_serial[0] = '\0';
    name_entry(X509_get_subject_name(old), NID_organizationName, org, sizeof(org));
    name_entry(X509_get_subject_name(old), NID_commonName, cn, sizeof(cn));
    name_entry(X509_get_subject_name(old), NID_countryName, country, sizeof(country));

    /* A label no key has had: <name>-<UTC time>[-n]. */
    gmtime_r(&now, &tm);
    for (i = 0; i < 100; i++) {
        int n =
            snprintf(label, sizeof(label), "%s-%04d%02d%02d-%02d%02d%02d", name, tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        if (i > 0)
            snprintf(label + n, sizeof(label) - (size_t)n, "-%d", i);
        if (!ks_exists(ca->ks, label))
            break;
    }
    if (i == 100) {
        rc = sertel_err_set(err, SERTEL_ERR_EXISTS, "no free key label for %s", name);
        goto out;
    }
    if ((rc = ks_generate(ca->ks, label, kt, &key, err)) != SERTEL_OK) {
        sertel_err_prefix(err, "generating the new %s key", name);
        goto out;
    }
    generated = 1;
    pub = ks_key_get1_public(key);
    if (pub == NULL) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot read the new %s public key", name);
        goto out;
    }
    memset(&req, 0, sizeof(req));
    req.profile = profile;
    req.pubkey = pub;
    req.subject.country = country[0] ? country : NULL;
    req.subject.org = org[0] ? org : NULL;
    req.subject.name = cn;
    req.actor = actor;
    if ((rc = ca_sign_cert(ca, &req, &x, err)) != SERTEL_OK) {
        sertel_err_prefix(err, "signing the new %s certificate", name);
        goto out;
    }
    if ((rc = ca_serial_hex(x, serial, 41)) != SERTEL_OK)
        goto out;

    /* Recorded and made current in one transaction. */
    if ((rc = ca_txn_begin(ca, err)) != SERTEL_OK)
        goto out;
    in_txn = 1;
    if ((rc = ca_record_issued(ca, x, &req, err)) != SERTEL_OK)
        goto out;
    {
        store_stmt *s = NULL;
        rc = store_prepare(ca->st,
                           "UPDATE authorities SET key_label = ?, key_type = ?, cert_serial = ?, "
                           "created_at = ? WHERE name = ?",
                           &s, err);
        if (rc == SERTEL_OK)
            rc = store_bind_text(s, 1, label, err);
        if (rc == SERTEL_OK)
            rc = store_bind_text(s, 2, ks_keytype_name(kt), err);
        if (rc == SERTEL_OK)
            rc = store_bind_text(s, 3, serial, err);
        if (rc == SERTEL_OK)
            rc = store_bind_int64(s, 4, (int64_t)now, err);
        if (rc == SERTEL_OK)
            rc = store_bind_text(s, 5, name, err);
        if (rc == SERTEL_OK)
            rc = store_run(s, err);
        store_finalize(s);
        if (rc != SERTEL_OK)
            goto out;
    }
    if ((rc = ca_meta_counter_bump(ca, "authority.epoch", err)) != SERTEL_OK)
        goto out;
    if ((rc = audit_append_json(
             ca->audit, actor ? actor : "system", AUDIT_KEY_CREATED, name,
             json_pack("{s:s, s:s}", "key_type", ks_keytype_name(kt), "key_label", label), NULL,
             err)) != SERTEL_OK)
        goto out;
    if ((rc = audit_append_json(ca->audit, actor ? actor : "system", AUDIT_AUTHORITY_REKEYED, name,
                                json_pack("{s:s, s:s, s:s, s:s}", "old_serial", old_serial,
                                          "new_serial", serial, "old_key_label", old_label,
                                          "key_label", label),
                                NULL, err)) != SERTEL_OK)
        goto out;
    if ((rc = ca_txn_commit(ca, err)) != SERTEL_OK)
        goto out; /* rolled back below (a no-op when the commit already did) */
    in_txn = 0;
    generated = 0; /* the key is now the authority's */

    /* The published copy of the certificate, then the old key goes. */
    b = BIO_new(BIO_s_mem());
    if (b == NULL || !PEM_write_bio_X509(b, x)) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto published;
    }
    BIO_get_mem_ptr(b, &bm);
    snprintf(rel, sizeof(rel), "certs/%s.pem", name);
    if ((rc = fs_path_join(path, sizeof(path), ca->home, rel, err)) == SERTEL_OK)
        rc = fs_write_atomic(path, bm->data, bm->length, 0644, err);
published:
    ca_authority_forget(ca, name);
    old_key = NULL;
    if (rc != SERTEL_OK) {
        sertel_err_prefix(err,
                          "the new %s key and certificate %s are in use, but certs/%s.pem was not "
                          "replaced (export it with 'sertel ca export --%s')",
                          name, serial, name, name);
        goto out;
    }
    {
        sertel_err e2 = {0};
        /* A running server switches at its next refresh (each second): until then it may
         * still sign with the old key, which a token would no longer have. */
        struct timespec grace = {REKEY_GRACE_SECONDS, 0};
        while (nanosleep(&grace, &grace) != 0 && errno == EINTR)
            ;
        if (ks_destroy(ca->ks, old_label, &e2) != SERTEL_OK) {
            rc = sertel_err_set(err, SERTEL_ERR_IO,
                                "the new %s key and certificate %s are in use, but the old key "
                                "'%s' could not be destroyed: %s (remove it from the key store)",
                                name, serial, old_label, e2.msg);
            goto out;
        }
        /* A record of the destruction; a failure here leaves the re-key itself done. */
        if (ca_txn_begin(ca, &e2) == SERTEL_OK) {
            if (audit_append_json(
                    ca->audit, actor ? actor : "system", AUDIT_KEY_DESTROYED, name,
                    json_pack("{s:s, s:s}", "key_label", old_label, "reason", "rekeyed"), NULL,
                    &e2) == SERTEL_OK)
                (void)!ca_txn_commit(ca, &e2);
            else
                ca_txn_rollback(ca);
        }
    }
out:
    if (in_txn)
        ca_txn_rollback(ca);
    if (generated && rc != SERTEL_OK && ks_destroy(ca->ks, label, NULL) != SERTEL_OK)
        fprintf(stderr, "sertel: warning: could not remove the new key '%s' after the failure\n",
                label);
    if (rc != SERTEL_OK && x != NULL && serial[0] != '\0' && generated)
        serial[0] = '\0';
    BIO_free(b);
    EVP_PKEY_free(pub);
    ks_key_free(key);
    X509_free(x);
    X509_free(old);
    return rc;
}
