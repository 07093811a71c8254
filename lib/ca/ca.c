/*
 * ca.c - opening a CA home, its authorities, and certificate records.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "ca/ca_int.h"
#include "audit/events.h"
#include "util/fs.h"
#include "util/hex.h"

#define MASTER_KEY_MAX 256

static int home_path(const char *home, const char *rel, char *out, size_t cap, sertel_err *err)
{
    if (rel[0] == '/') {
        if (strlen(rel) >= cap)
            return sertel_err_set(err, SERTEL_ERR_INVALID, "path too long: %s", rel);
        memcpy(out, rel, strlen(rel) + 1);
        return SERTEL_OK;
    }
    if ((size_t)snprintf(out, cap, "%s/%s", home, rel) >= cap)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "path too long under %s", home);
    return SERTEL_OK;
}

int ca_oid_is_example(const char *oid)
{
    return strcmp(oid, "2.999") == 0 || strncmp(oid, "2.999.", 6) == 0;
}

int ca_url_is_loopback(const char *url)
{
    const char *h = strstr(url, "://");
    size_t n;

    h = h != NULL ? h + 3 : url;
    if (strncmp(h, "[::1]", 5) == 0)
        return 1;
    n = strcspn(h, ":/");
    if ((n == 9 && strncasecmp(h, "localhost", 9) == 0) ||
        (n > 10 && strncasecmp(h + n - 10, ".localhost", 10) == 0))
        return 1;
    return strncmp(h, "127.", 4) == 0 && n >= 7 && strspn(h, "0123456789.") >= n;
}

int ca_check_base_url(const char *url, sertel_err *err)
{
    const char *p, *host;

    /* Plain http: CRL and OCSP responses are signed, and fetching them over
     * TLS would need revocation checking of the TLS certificate itself
     * (RFC 5280 §4.2.1.13, RFC 6960 appendix A; https URLs there are a
     * common lint finding). A TLS reverse proxy can still serve the rest. */
    if (strncmp(url, "http://", 7) == 0)
        host = url + 7;
    else
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "base URL '%s' must start with http:// (CRL, OCSP and CA "
                              "certificate URLs are fetched over plain HTTP; their content is "
                              "signed)",
                              url);
    if (strlen(url) >= CA_URL_MAX - 32)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "base URL is longer than %d characters",
                              CA_URL_MAX - 32);
    if (*host == '\0' || *host == '/' || *host == ':')
        return sertel_err_set(err, SERTEL_ERR_INVALID, "base URL '%s' has no host name", url);
    for (p = url; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || strchr(",;\"'<>\\{}|^`#?@", c) != NULL)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "base URL '%s' contains '%c', which is not allowed: give "
                                  "scheme, host, optional port and path only",
                                  url, c >= 0x20 && c < 0x7f ? c : '?');
    }
    if (url[strlen(url) - 1] == '/')
        return sertel_err_set(err, SERTEL_ERR_INVALID, "base URL '%s' must not end with '/'", url);
    return SERTEL_OK;
}

int ca_home_base_url(const char *home, char *out, size_t cap, sertel_err *err)
{
    conf *c = NULL;
    const char *v;
    char path[4096];
    int rc;

    if (cap > 0)
        out[0] = '\0';
    if ((size_t)snprintf(path, sizeof(path), "%s/sertel.conf", home) >= sizeof(path))
        return sertel_err_set(err, SERTEL_ERR_INVALID, "path too long under %s", home);
    if ((rc = conf_load(path, &c, err)) != SERTEL_OK)
        return rc;
    v = conf_get_default(c, "ca", "base_url", CA_DEFAULT_BASE_URL);
    if ((rc = ca_check_base_url(v, err)) != SERTEL_OK)
        sertel_err_prefix(err, "%s: [ca] base_url", path);
    else if (strlen(v) >= cap)
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%s: [ca] base_url is too long", path);
    else
        memcpy(out, v, strlen(v) + 1);
    conf_free(c);
    return rc;
}

int ca_open_keystore(const char *home, const conf *c, keystore **out, sertel_err *err)
{
    const char *backend = conf_get_default(c, "keystore", "backend", "software");
    char path[4096], dir[4096];
    unsigned char *secret = NULL;
    size_t len = 0;
    char *pin = NULL;
    int rc;

    *out = NULL;
    secret_held_mark(); /* keys: no clean-parent sandbox after this (util/fs.h) */
    if (strcmp(backend, "software") == 0) {
        rc = home_path(home, conf_get_default(c, "keystore", "secret_file", "private/master.key"),
                       path, sizeof(path), err);
        if (rc == SERTEL_OK)
            rc = home_path(home, conf_get_default(c, "keystore", "directory", "keys"), dir,
                           sizeof(dir), err);
        if (rc != SERTEL_OK)
            return rc;
        rc = fs_read_file(path, MASTER_KEY_MAX, &secret, &len, err);
        if (rc != SERTEL_OK) {
            sertel_err_prefix(err, "reading the keystore secret");
            return rc;
        }
        while (len > 0 && (secret[len - 1] == '\n' || secret[len - 1] == '\r'))
            len--;
        if (len < 32) {
            rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                                "the keystore secret %s is shorter than 32 bytes: the home is "
                                "damaged; restore it from a backup",
                                path);
        } else {
            rc = ks_open_soft(dir, secret, len, 0, out, err);
        }
        sodium_memzero(secret, len);
        free(secret);
        return rc;
    }
    if (strcmp(backend, "pkcs11") == 0) {
        const char *module = conf_get(c, "keystore", "module");
        const char *token = conf_get(c, "keystore", "token");
        if (module == NULL || token == NULL)
            return sertel_err_set(err, SERTEL_ERR_CONFIG,
                                  "[keystore] backend = pkcs11 needs module and token");
        rc = home_path(home, conf_get_default(c, "keystore", "pin_file", "private/pkcs11.pin"),
                       path, sizeof(path), err);
        if (rc == SERTEL_OK)
            rc = secret_read_file(path, &pin, err);
        if (rc == SERTEL_OK)
            rc = ks_open_pkcs11(module, token, pin, out, err);
        secret_free(pin);
        return rc;
    }
    return sertel_err_set(err, SERTEL_ERR_CONFIG,
                          "[keystore] backend = '%s' is unknown: use software or pkcs11", backend);
}

static int load_authority_cert(store *st, const char *name, X509 **out, sertel_err *err)
{
    store_stmt *s = NULL;
    const unsigned char *p;
    size_t len;
    int rc;

    *out = NULL;
    rc = store_prepare(st,
                       "SELECT c.der FROM authorities a JOIN certificates c ON c.serial = "
                       "a.cert_serial WHERE a.name = ?",
                       &s, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 1, name, err);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            p = store_col_blob(s, 0, &len);
            *out = p ? d2i_X509(NULL, &p, (long)len) : NULL;
            rc = *out ? SERTEL_OK
                      : sertel_err_set(err, SERTEL_ERR_STORE,
                                       "the %s CA certificate in the database is damaged", name);
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                                "the database has no %s certificate: the home is incomplete", name);
        }
    }
    store_finalize(s);
    return rc;
}

int ca_authority_cert(ca_ctx *ca, const char *name, X509 **out, sertel_err *err)
{
    return load_authority_cert(ca->st, name, out, err);
}

/*
 * Configuration changes are security events: the first writer to open the
 * home after sertel.conf changed records the old and new SHA-256 in the
 * audit log (the file is edited by hand, so this is where it is noticed).
 */
static int audit_config(ca_ctx *ca, sertel_err *err)
{
    char path[4096], hex[65], *old = NULL;
    unsigned char *text = NULL, md[32];
    size_t len = 0;
    int rc;

    if ((rc = fs_path_join(path, sizeof(path), ca->home, "sertel.conf", err)) != SERTEL_OK ||
        (rc = fs_read_file(path, 1024 * 1024, &text, &len, err)) != SERTEL_OK)
        return rc;
    EVP_Digest(text, len, md, NULL, EVP_sha256(), NULL);
    free(text);
    hex_encode(md, sizeof(md), hex);
    rc = store_meta_get(ca->st, "config.sha256", &old, err);
    if (rc == SERTEL_OK && strcmp(old, hex) == 0) {
        free(old);
        return SERTEL_OK;
    }
    if (rc != SERTEL_OK && rc != SERTEL_ERR_NOTFOUND) {
        free(old);
        return rc;
    }
    sertel_err_clear(err);
    rc = store_begin(ca->st, err);
    if (rc == SERTEL_OK)
        rc = store_meta_set(ca->st, "config.sha256", hex, err);
    if (rc == SERTEL_OK)
        rc = audit_append_json(
            ca->audit, "system", AUDIT_CONFIG_CHANGED, "sertel.conf",
            json_pack("{s:s, s:s}", "old_sha256", old ? old : "", "new_sha256", hex), NULL, err);
    free(old);
    if (rc == SERTEL_OK)
        rc = ca_txn_commit(ca, err);
    else
        ca_txn_rollback(ca);
    if (rc == SERTEL_ERR_BUSY) {
        /* Another process holds the lock and will record it; not fatal. */
        sertel_err_clear(err);
        return SERTEL_OK;
    }
    return rc;
}

/* Files older than this named like fs_write_atomic's temporaries are a crash's leftovers. */
#define STALE_TEMP_AGE 60

/*
 * A writer opening the home clears what a crash between write and rename
 * of fs_write_atomic left: "*.tmp-XXXXXX" in the home, in certs/, and
 * "<head file>.tmp-XXXXXX" beside a head file kept elsewhere. Best effort:
 * a leftover that cannot be removed harms nothing, so it does not stop
 * the home from opening.
 */
static void remove_stale_temps(ca_ctx *ca)
{
    char dir[4096], name[4096], *slash;

    (void)!fs_remove_stale_temps(ca->home, NULL, STALE_TEMP_AGE, NULL, NULL);
    if (fs_path_join(dir, sizeof(dir), ca->home, "certs", NULL) == SERTEL_OK)
        (void)!fs_remove_stale_temps(dir, NULL, STALE_TEMP_AGE, NULL, NULL);
    slash = strrchr(ca->head_path, '/');
    if (slash == NULL || (size_t)(slash - ca->head_path) >= sizeof(dir))
        return;
    memcpy(dir, ca->head_path, (size_t)(slash - ca->head_path));
    dir[slash - ca->head_path] = '\0';
    snprintf(name, sizeof(name), "%s", slash + 1);
    if (dir[0] == '\0')
        snprintf(dir, sizeof(dir), "/");
    (void)!fs_remove_stale_temps(dir, name, STALE_TEMP_AGE, NULL, NULL);
}

int ca_open(const char *home, int flags, ca_ctx **out, sertel_err *err)
{
    ca_ctx *ca = NULL;
    char path[4096];
    const char *v;
    struct stat stb;
    int rc, version;

    *out = NULL;
    secret_held_mark(); /* a CA context may load keys: no clean-parent sandbox after this */
    if (stat(home, &stb) != 0 || !S_ISDIR(stb.st_mode))
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                              "no sertel home at %s: create one with 'sertel --home %s init', or "
                              "give --home / SERTEL_HOME",
                              home, home);
    ca = calloc(1, sizeof(*ca));
    if (ca == NULL || (ca->home = strdup(home)) == NULL) {
        free(ca);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    ca->flags = flags;
    snprintf(path, sizeof(path), "%s/sertel.conf", home);
    rc = conf_load(path, &ca->conf, err);
    if (rc != SERTEL_OK) {
        if (rc == SERTEL_ERR_NOTFOUND)
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                                "%s has no sertel.conf: it is not a sertel home, or it is "
                                "damaged; run 'sertel init' for a new one",
                                home);
        goto fail;
    }
    v = conf_get_default(ca->conf, "ca", "base_url", CA_DEFAULT_BASE_URL);
    if ((rc = ca_check_base_url(v, err)) != SERTEL_OK) {
        sertel_err_prefix(err, "%s: [ca] base_url", path);
        goto fail;
    }
    memcpy(ca->base_url, v, strlen(v) + 1);
    rc = home_path(home, conf_get_default(ca->conf, "store", "database", "sertel.db"), path,
                   sizeof(path), err);
    if (rc != SERTEL_OK)
        goto fail;
    rc = store_open(path, (flags & CA_OPEN_READONLY) ? STORE_OPEN_READONLY : 0, &ca->st, err);
    if (rc != SERTEL_OK)
        goto fail;
    rc = store_schema_version(ca->st, &version, err);
    if (rc != SERTEL_OK)
        goto fail;
    if (version == 0) {
        rc = sertel_err_set(err, SERTEL_ERR_STORE,
                            "%s is empty: the home was not initialised completely; remove it "
                            "and run 'sertel init' again",
                            path);
        goto fail;
    }
    if (!(flags & CA_OPEN_READONLY) && (rc = store_migrate(ca->st, err)) != SERTEL_OK)
        goto fail;
    if ((rc = load_authority_cert(ca->st, "root", &ca->root, err)) != SERTEL_OK ||
        (rc = load_authority_cert(ca->st, "issuing", &ca->issuing, err)) != SERTEL_OK)
        goto fail;
    rc = home_path(home, conf_get_default(ca->conf, "audit", "head_file", "audit.head"),
                   ca->head_path, sizeof(ca->head_path), err);
    if (rc != SERTEL_OK)
        goto fail;
    if (!(flags & CA_OPEN_READONLY)) {
        remove_stale_temps(ca);
        rc = ca_open_keystore(home, ca->conf, &ca->ks, err);
        if (rc == SERTEL_OK)
            rc = ks_load(ca->ks, "issuing", &ca->issuing_key, err);
        if (rc == SERTEL_OK)
            rc = ks_load(ca->ks, "audit", &ca->audit_key, err);
        if (rc == SERTEL_OK)
            rc =
                audit_open(ca->st, ks_key_get0_pkey(ca->audit_key), ca->head_path, &ca->audit, err);
        if (rc != SERTEL_OK)
            goto fail;
        if (X509_check_private_key(ca->issuing, ks_key_get0_pkey(ca->issuing_key)) != 1 &&
            strcmp(ks_backend(ca->ks), "software") == 0) {
            rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO,
                                    "the issuing key does not match the issuing CA certificate: "
                                    "the home is damaged");
            goto fail;
        }
        if ((rc = audit_config(ca, err)) != SERTEL_OK)
            goto fail;
    }
    *out = ca;
    return SERTEL_OK;
fail:
    ca_close(ca);
    return rc;
}

void ca_close(ca_ctx *ca)
{
    if (ca == NULL)
        return;
    audit_close(ca->audit);
    ks_key_free(ca->root_key);
    ks_key_free(ca->ocsp_key);
    ks_key_free(ca->tsa_key);
    ks_key_free(ca->issuing_key);
    ks_key_free(ca->audit_key);
    ks_close(ca->ks);
    store_close(ca->st);
    conf_free(ca->conf);
    X509_free(ca->root);
    X509_free(ca->issuing);
    free(ca->home);
    free(ca);
}

store *ca_get0_store(ca_ctx *ca)
{
    return ca->st;
}

const conf *ca_get0_conf(const ca_ctx *ca)
{
    return ca->conf;
}

const char *ca_get0_home(const ca_ctx *ca)
{
    return ca->home;
}

X509 *ca_get0_root_cert(ca_ctx *ca)
{
    return ca->root;
}

X509 *ca_get0_issuing_cert(ca_ctx *ca)
{
    return ca->issuing;
}

audit *ca_get0_audit(ca_ctx *ca)
{
    return ca->audit;
}

const char *ca_audit_head_path(const ca_ctx *ca)
{
    return ca->head_path;
}

int ca_audit_public_key(ca_ctx *ca, EVP_PKEY **out, sertel_err *err)
{
    keystore *ks = NULL;
    ks_key *k = NULL;
    int rc;

    *out = NULL;
    if (ca->audit_key != NULL) {
        k = ca->audit_key;
    } else {
        rc = ca_open_keystore(ca->home, ca->conf, &ks, err);
        if (rc == SERTEL_OK)
            rc = ks_load(ks, "audit", &k, err);
        if (rc != SERTEL_OK)
            goto out;
    }
    *out = ks_key_get1_public(k);
    rc = *out ? SERTEL_OK
              : sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot read the audit public key");
out:
    if (k != ca->audit_key)
        ks_key_free(k);
    ks_close(ks);
    return rc;
}

void ca_cert_record_clear(ca_cert_record *r)
{
    if (r == NULL)
        return;
    free(r->subject);
    free(r->email);
    free(r->der);
    r->subject = r->email = NULL;
    r->der = NULL;
}

#define CERT_COLUMNS                                                                               \
    "serial, issuer, profile, subject, email, not_before, not_after, status, revoked_at, "         \
    "revocation_reason, sha256, der, account_id, invalidity_date, created_at"

static int copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);

    if (n >= cap)
        return SERTEL_ERR_STORE;
    memcpy(dst, src, n + 1);
    return SERTEL_OK;
}

static int read_record(store_stmt *s, ca_cert_record *r, sertel_err *err)
{
    const void *der;
    size_t len;

    memset(r, 0, sizeof(*r));
    if (copy_text(r->serial, sizeof(r->serial), store_col_text(s, 0)) != SERTEL_OK ||
        copy_text(r->issuer, sizeof(r->issuer), store_col_text(s, 1)) != SERTEL_OK ||
        copy_text(r->profile, sizeof(r->profile), store_col_text(s, 2)) != SERTEL_OK ||
        copy_text(r->status, sizeof(r->status), store_col_text(s, 7)) != SERTEL_OK ||
        copy_text(r->sha256, sizeof(r->sha256), store_col_text(s, 10)) != SERTEL_OK)
        return sertel_err_set(err, SERTEL_ERR_STORE, "a certificate record is damaged");
    r->subject = strdup(store_col_text(s, 3));
    r->email = store_col_is_null(s, 4) ? NULL : strdup(store_col_text(s, 4));
    r->not_before = store_col_int64(s, 5);
    r->not_after = store_col_int64(s, 6);
    r->revoked_at = store_col_is_null(s, 8) ? 0 : store_col_int64(s, 8);
    r->revocation_reason = store_col_is_null(s, 9) ? -1 : (int)store_col_int64(s, 9);
    der = store_col_blob(s, 11, &len);
    r->der = malloc(len ? len : 1);
    if (r->subject == NULL || r->der == NULL || (!store_col_is_null(s, 4) && r->email == NULL)) {
        ca_cert_record_clear(r);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    if (len)
        memcpy(r->der, der, len);
    r->der_len = len;
    r->account_id = store_col_is_null(s, 12) ? 0 : store_col_int64(s, 12);
    r->invalidity_date = store_col_is_null(s, 13) ? 0 : store_col_int64(s, 13);
    r->created_at = store_col_int64(s, 14);
    return SERTEL_OK;
}

int ca_cert_get(ca_ctx *ca, const char *serial, ca_cert_record *out, sertel_err *err)
{
    char norm[64];
    store_stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (ca_serial_normalize(serial, norm, sizeof(norm)) != SERTEL_OK || strlen(norm) > 40)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "'%.80s' is not a serial number: give it in hex, as 'sertel cert "
                              "list' prints it",
                              serial);
    rc = store_prepare(ca->st, "SELECT " CERT_COLUMNS " FROM certificates WHERE serial = ?", &s,
                       err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 1, norm, err);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW)
            rc = read_record(s, out, err);
        else if (rc == STORE_DONE)
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                                "no certificate with serial %s was issued by this CA", norm);
    }
    store_finalize(s);
    return rc;
}

/* Run a prepared, bound query of CERT_COLUMNS and call fn per row; stops when fn says so. */
static int each_record(store_stmt *s, ca_cert_fn fn, void *arg, sertel_err *err)
{
    ca_cert_record r;
    int rc = SERTEL_OK;

    while (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_DONE) {
            rc = SERTEL_OK;
            break;
        }
        if (rc < 0)
            break;
        rc = read_record(s, &r, err);
        if (rc != SERTEL_OK)
            break;
        rc = fn(&r, arg);
        ca_cert_record_clear(&r);
    }
    return rc;
}

int ca_cert_list(ca_ctx *ca, ca_cert_fn fn, void *arg, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    rc = store_prepare(ca->st, "SELECT " CERT_COLUMNS " FROM certificates ORDER BY seq DESC", &s,
                       err);
    if (rc == SERTEL_OK)
        rc = each_record(s, fn, arg, err);
    store_finalize(s);
    return rc;
}

int ca_cert_newest_of_account(ca_ctx *ca, int64_t account, ca_cert_record *out, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    /* The one definition of "a person's certificate": the newest issued to the account. */
    rc = store_queryf(ca->st, &s, err,
                      "SELECT " CERT_COLUMNS " FROM certificates WHERE account_id = ? "
                      "ORDER BY seq DESC LIMIT 1",
                      "i", account);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW)
            rc = read_record(s, out, err);
        else if (rc == STORE_DONE)
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "account %lld holds no certificate",
                                (long long)account);
    }
    store_finalize(s);
    return rc;
}

int ca_cert_expiring(ca_ctx *ca, int64_t after, int64_t until, ca_cert_fn fn, void *arg,
                     sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    rc = store_queryf(ca->st, &s, err,
                      "SELECT " CERT_COLUMNS " FROM certificates WHERE status = 'valid' AND "
                      "account_id IS NOT NULL AND not_after > ? AND not_after <= ? "
                      "ORDER BY not_after, serial",
                      "ii", after, until);
    if (rc == SERTEL_OK)
        rc = each_record(s, fn, arg, err);
    store_finalize(s);
    return rc;
}

int ca_cert_status(ca_ctx *ca, const char *issuer, const char *serial, ca_cert_state *out,
                   sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    out->reason = -1;
    rc = store_queryf(ca->st, &s, err,
                      "SELECT status, revoked_at, revocation_reason, invalidity_date, not_after "
                      "FROM certificates WHERE serial = ? AND issuer = ?",
                      "tt", serial, issuer);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            out->found = 1;
            out->revoked = strcmp(store_col_text(s, 0), "revoked") == 0;
            out->revoked_at = store_col_is_null(s, 1) ? 0 : store_col_int64(s, 1);
            out->reason = store_col_is_null(s, 2) ? -1 : (int)store_col_int64(s, 2);
            out->invalidity_date = store_col_is_null(s, 3) ? 0 : store_col_int64(s, 3);
            out->not_after = store_col_int64(s, 4);
        }
        rc = rc < 0 ? rc : SERTEL_OK;
    }
    store_finalize(s);
    return rc;
}

int ca_account_create(store *st, audit *a, const char *role, const char *email, const char *name,
                      const char *password, sertel_err *err)
{
    char hash[crypto_pwhash_STRBYTES];
    store_stmt *s = NULL;
    int64_t id = 0;
    int rc;

    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory hashing the password");
    rc = store_prepare(st, "SELECT coalesce(max(id), 0) + 1 FROM accounts", &s, err);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        id = store_col_int64(s, 0);
        rc = SERTEL_OK;
    }
    store_finalize(s);
    s = NULL;
    if (rc == SERTEL_OK)
        rc = store_prepare(st,
                           "INSERT INTO accounts (id, email, name, role, password_hash, "
                           "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           &s, err);
    if (rc == SERTEL_OK)
        rc = store_bind_int64(s, 1, id, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 2, email, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 3, name, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 4, role, err);
    if (rc == SERTEL_OK)
        rc = store_bind_text(s, 5, hash, err);
    if (rc == SERTEL_OK)
        rc = store_bind_int64(s, 6, (int64_t)time(NULL), err);
    if (rc == SERTEL_OK)
        rc = store_run(s, err);
    store_finalize(s);
    sodium_memzero(hash, sizeof(hash));
    if (rc == SERTEL_ERR_EXISTS)
        return sertel_err_set(err, rc, "an account with e-mail %s already exists", email);
    if (rc == SERTEL_OK)
        rc = audit_append_json(a, "system", AUDIT_ACCOUNT_CREATED, email,
                               json_pack("{s:s}", "role", role), NULL, err);
    return rc;
}

int64_t ca_x509_time(const ASN1_TIME *t)
{
    struct tm tm;

    if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
        return 0;
    return (int64_t)timegm(&tm);
}
