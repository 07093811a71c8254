/*
 * ra.c - the registration authority's foundation: opening, settings,
 * actors, agencies, staff accounts, registration of a person and
 * confirmation of the official e-mail, single-use tokens. Who may do each
 * is decided by the policy table (policy.c).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ra/nik.h"
#include "ra/ra_int.h"
#include "ra/upload.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/text.h"

#define MIN_ARGON_MEM_KIB 19456
#define MIN_ARGON_OPS 2

static int load_secret(ra *r, sertel_err *err)
{
    char path[4096];
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc;

    rc = fs_path_join(path, sizeof(path), r->home,
                      conf_get_default(r->conf, "ra", "secret_file", "private/subscriber.secret"),
                      err);
    if (rc != SERTEL_OK)
        return rc;
    r->secret = sodium_malloc(RA_SECRET_LEN);
    if (r->secret == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of secure memory");
    if (!fs_exists(path)) {
        /* Homes made before the registration authority existed get theirs now. */
        unsigned char fresh[RA_SECRET_LEN];
        randombytes_buf(fresh, sizeof(fresh));
        rc = fs_create_excl(path, fresh, sizeof(fresh), 0600, err);
        sodium_memzero(fresh, sizeof(fresh));
        if (rc != SERTEL_OK && rc != SERTEL_ERR_EXISTS)
            return rc;
    }
    rc = fs_read_file(path, 4096, &buf, &len, err);
    if (rc != SERTEL_OK)
        return rc;
    if (len != RA_SECRET_LEN)
        rc = sertel_err_set(err, SERTEL_ERR_CONFIG,
                            "the server secret %s is damaged (%zu bytes, expected %d): restore "
                            "it from a backup; without it no owner's key can be unlocked",
                            path, len, RA_SECRET_LEN);
    else
        memcpy(r->secret, buf, RA_SECRET_LEN);
    sodium_memzero(buf, len);
    free(buf);
    return rc;
}

static int load_settings(ra *r, sertel_err *err)
{
    const conf *c = r->conf;
    const char *v;
    int64_t kib;
    ks_keytype kt;
    int rc;

    if ((rc = upload_limits_from_conf(c, &r->upload_lim, err)) != SERTEL_OK ||
        (rc = conf_get_int(c, "ra", "token_ttl_hours", 24, 1, 24 * 14, &r->token_ttl, err)) !=
            SERTEL_OK ||
        (rc = conf_get_int(c, "ra", "renewal_window_days", 30, 1, 3650, &r->renewal_window, err)) !=
            SERTEL_OK ||
        (rc = conf_get_int(c, "signing", "argon2_passes", 3, MIN_ARGON_OPS, 20, &r->argon_ops,
                           err)) != SERTEL_OK ||
        (rc = conf_get_int(c, "signing", "argon2_memory_kib", 65536, MIN_ARGON_MEM_KIB,
                           4 * 1024 * 1024, &kib, err)) != SERTEL_OK ||
        (rc = conf_get_int(c, "signing", "lockout_after", 5, 1, 100, &r->lock_soft, err)) !=
            SERTEL_OK ||
        (rc = conf_get_int(c, "signing", "lockout_hard_after", 10, 2, 1000, &r->lock_hard, err)) !=
            SERTEL_OK ||
        (rc = conf_get_int(c, "signing", "lockout_minutes", 30, 1, 24 * 60, &r->lock_seconds,
                           err)) != SERTEL_OK)
        return rc;
    if ((rc = conf_get_int(c, "api", "session_idle_minutes", 30, 1, 24 * 60, &r->session_idle,
                           err)) != SERTEL_OK ||
        (rc = conf_get_int(c, "api", "session_max_hours", 12, 1, 24 * 30, &r->session_max, err)) !=
            SERTEL_OK ||
        (rc = conf_get_int(c, "api", "login_lock_after", 5, 1, 100, &r->login_lock_after, err)) !=
            SERTEL_OK ||
        (rc = conf_get_int(c, "api", "login_lock_minutes", 15, 1, 24 * 60, &r->login_lock_seconds,
                           err)) != SERTEL_OK ||
        (rc = conf_get_int(c, "api", "login_addr_after", 30, 2, 100000, &r->login_addr_after,
                           err)) != SERTEL_OK ||
        (rc = conf_get_int(c, "api", "totp_session_seconds", 300, 30, 3600, &r->sess_seconds,
                           err)) != SERTEL_OK ||
        (rc = conf_get_int(c, "api", "totp_session_uses", 10, 1, 1000, &r->sess_uses, err)) !=
            SERTEL_OK ||
        (rc = conf_get_int(c, "api", "download_retention_hours", 24, 1, 24 * 30,
                           &r->download_retention, err)) != SERTEL_OK)
        return rc;
    r->download_retention *= 3600;
    r->session_idle *= 60;
    r->session_max *= 3600;
    r->login_lock_seconds *= 60;
    r->token_ttl *= 3600;
    r->renewal_window *= 86400;
    r->lock_seconds *= 60;
    r->argon_mem = kib * 1024;
    v = conf_get_default(c, "signing", "second_factor", "off");
    if (strcmp(v, "off") != 0 && strcmp(v, "totp") != 0 && strcmp(v, "email") != 0)
        return sertel_err_set(err, SERTEL_ERR_CONFIG,
                              "[signing] second_factor = '%s' must be totp, email or off", v);
    snprintf(r->second_factor, sizeof(r->second_factor), "%s", v);
    v = conf_get_default(c, "signing", "key_type", "ec-p256");
    if (ks_keytype_parse(v, &kt) != SERTEL_OK)
        return sertel_err_set(err, SERTEL_ERR_CONFIG,
                              "[signing] key_type = '%s' is not a key type sertel supports", v);
    snprintf(r->subscriber_key_type, sizeof(r->subscriber_key_type), "%s", v);
    snprintf(r->base_url, sizeof(r->base_url), "%s",
             conf_get_default(c, "ca", "base_url", CA_DEFAULT_BASE_URL));
    /* Authenticator apps show the issuer: the organisation, without the ':' the label forbids. */
    snprintf(
        r->totp_issuer, sizeof(r->totp_issuer), "%s",
        conf_get_default(c, "signing", "totp_issuer", conf_get_default(c, "ca", "org", "sertel")));
    for (char *q = r->totp_issuer; *q; q++)
        if (*q == ':' || (unsigned char)*q < 0x20)
            *q = ' ';
    return SERTEL_OK;
}

/*
 * Homes before schema 6 kept authenticator secrets in clear in
 * subscribers.totp_secret: seal each into its account (ra_totp_store) and
 * clear the old column, once, in one audited transaction.
 */
static int seal_legacy_totp(ra *r, sertel_err *err)
{
    store_stmt *s = NULL;
    int64_t ids[64];
    unsigned char secrets[64][64];
    size_t lens[64];
    int n = 0, i, rc;

    do {
        n = 0;
        rc = store_queryf(r->st, &s, err,
                          "SELECT account_id, totp_secret FROM subscribers WHERE totp_secret IS "
                          "NOT NULL LIMIT 64",
                          "");
        while (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
            size_t len = 0;
            const void *b = store_col_blob(s, 1, &len);
            ids[n] = store_col_int64(s, 0);
            lens[n] = len <= sizeof(secrets[0]) ? len : 0;
            if (b != NULL && lens[n] > 0)
                memcpy(secrets[n], b, lens[n]);
            n++;
            rc = SERTEL_OK;
        }
        store_finalize(s);
        s = NULL;
        if (rc < 0 || n == 0)
            break;
        rc = ca_txn_begin(r->ca, err);
        for (i = 0; i < n && rc == SERTEL_OK; i++) {
            if (lens[i] > 0)
                rc = ra_totp_store(r, ids[i], secrets[i], lens[i], err);
            if (rc == SERTEL_OK)
                rc = store_execf(r->st, err,
                                 "UPDATE subscribers SET totp_secret = NULL WHERE account_id = ?",
                                 "i", ids[i]);
        }
        if (rc == SERTEL_OK)
            rc = ra_audit_json(r, "system", AUDIT_TOTP_SEALED, "accounts",
                               json_pack("{s:i}", "count", n), err);
        rc = ra_commit_or_rollback(r, rc, err);
    } while (rc == SERTEL_OK && n == 64);
    sodium_memzero(secrets, sizeof(secrets));
    return rc < 0 ? rc : SERTEL_OK;
}

int ra_open(const char *home, ra **out, sertel_err *err)
{
    return ra_open_flags(home, 0, out, err);
}

int ra_open_flags(const char *home, int flags, ra **out, sertel_err *err)
{
    ra *r;
    int rc;

    *out = NULL;
    secret_held_mark(); /* the server secret: no clean-parent sandbox after this */
    if (sodium_init() < 0)
        return sertel_err_set(err, SERTEL_ERR_CRYPTO, "libsodium failed to initialise");
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    snprintf(r->home, sizeof(r->home), "%s", home);
    rc = ca_open(home, flags, &r->ca, err);
    if (rc != SERTEL_OK)
        goto fail;
    r->st = ca_get0_store(r->ca);
    r->aud = ca_get0_audit(r->ca);
    r->conf = ca_get0_conf(r->ca);
    if ((rc = load_settings(r, err)) != SERTEL_OK || (rc = load_secret(r, err)) != SERTEL_OK ||
        (rc = seal_legacy_totp(r, err)) != SERTEL_OK)
        goto fail;
    rc = fs_path_join(r->uploads, sizeof(r->uploads), home,
                      conf_get_default(r->conf, "ra", "uploads", "uploads"), err);
    if (rc == SERTEL_OK)
        rc = mailer_open(r->conf, home, &r->mail, err);
    if (rc != SERTEL_OK)
        goto fail;
    *out = r;
    return SERTEL_OK;
fail:
    ra_close(r);
    return rc;
}

void ra_close(ra *r)
{
    if (r == NULL)
        return;
    mailer_close(r->mail);
    if (r->sb_owned)
        sbx_free(r->sb);
    ca_close(r->ca);
    if (r->secret != NULL)
        sodium_free(r->secret);
    free(r);
}

size_t ra_kdf_memory(const ra *r)
{
    return (size_t)r->argon_mem;
}

ca_ctx *ra_get0_ca(ra *r)
{
    return r->ca;
}

void ra_set_sandbox(ra *r, sbx *sb)
{
    if (r->sb_owned)
        sbx_free(r->sb);
    r->sb = sb;
    r->sb_owned = 0;
}

int ra_sandbox(ra *r, sbx **out, sertel_err *err)
{
    int rc;

    if (r->sb == NULL) {
        if ((rc = sbx_new(NULL, &r->sb, err)) != SERTEL_OK)
            return rc;
        r->sb_owned = 1;
    }
    *out = r->sb;
    return SERTEL_OK;
}

int ra_next_id(ra *r, const char *table, int64_t *out, sertel_err *err)
{
    char sql[128];
    store_stmt *s = NULL;
    int rc;

    snprintf(sql, sizeof(sql), "SELECT coalesce(max(id), 0) + 1 FROM %s", table);
    rc = store_prepare(r->st, sql, &s, err);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            *out = store_col_int64(s, 0);
            rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_INTERNAL, "no id for %s", table);
        }
    }
    store_finalize(s);
    return rc;
}

int ra_audit_json(ra *r, const char *actor, const char *event, const char *object, json_t *details,
                  sertel_err *err)
{
    return audit_append_json(r->aud, actor, event, object, details, NULL, err);
}

int ra_audit_by(ra *r, const ra_actor *by, const char *event, const char *object, const char *owner,
                json_t *details, sertel_err *err)
{
    if (details != NULL && by->local)
        json_object_set_new(details, "via", json_string("local shell"));
    if (details != NULL && owner != NULL && strcmp(owner, by->email) != 0)
        json_object_set_new(details, "owner", json_string(owner));
    return audit_append_json(r->aud, ra_actor_name(by), event, object, details, NULL, err);
}

int ra_commit_or_rollback(ra *r, int rc, sertel_err *err)
{
    if (rc == SERTEL_OK)
        return ca_txn_commit(r->ca, err);
    store_rollback(r->st);
    return rc;
}

int ra_mail(ra *r, const char *to, const char *subject, const char *body, sertel_err *err)
{
    int rc = mailer_send(r->mail, to, subject, body, err);

    if (rc != SERTEL_OK)
        sertel_err_prefix(err, "the mail to %s could not be sent, so nothing was changed", to);
    return rc;
}

static void token_hash(const char *token, char out[65])
{
    unsigned char md[32];

    EVP_Digest(token, strlen(token), md, NULL, EVP_sha256(), NULL);
    hex_encode(md, sizeof(md), out);
}

int ra_token_create(ra *r, const char *purpose, int64_t account_id, int64_t app_id, int64_t ttl,
                    char token_out[2 * RA_TOKEN_BYTES + 1], sertel_err *err)
{
    unsigned char raw[RA_TOKEN_BYTES];
    char hash[65];
    int64_t now = (int64_t)time(NULL);
    int rc;

    randombytes_buf(raw, sizeof(raw));
    hex_encode(raw, sizeof(raw), token_out);
    sodium_memzero(raw, sizeof(raw));
    token_hash(token_out, hash);
    rc = store_execf(r->st, err,
                     "INSERT INTO tokens (hash, purpose, account_id, application_id, expires_at, "
                     "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                     "ttiiii", hash, purpose, account_id, app_id, now + ttl, now);
    if (rc != SERTEL_OK)
        sodium_memzero(token_out, 2 * RA_TOKEN_BYTES + 1);
    return rc;
}

int ra_token_consume(ra *r, const char *purpose, const char *token, int64_t *account_id,
                     int64_t *app_id, sertel_err *err)
{
    char hash[65];
    store_stmt *s = NULL;
    int64_t now = (int64_t)time(NULL), expires = 0, used = 0;
    int rc, found = 0;
    size_t n = strlen(token);

    *account_id = 0;
    if (app_id)
        *app_id = 0;
    if (!store_in_transaction(r->st))
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "a token is consumed inside a transaction");
    if (n != 2 * RA_TOKEN_BYTES || !hex_is_lower(token, n))
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "the token is not valid: copy it exactly from the mail");
    token_hash(token, hash);
    rc = store_queryf(r->st, &s, err,
                      "SELECT account_id, application_id, expires_at, used_at FROM tokens "
                      "WHERE hash = ? AND purpose = ?",
                      "tt", hash, purpose);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            found = 1;
            *account_id = store_col_int64(s, 0);
            if (app_id)
                *app_id = store_col_is_null(s, 1) ? 0 : store_col_int64(s, 1);
            expires = store_col_int64(s, 2);
            used = store_col_is_null(s, 3) ? 0 : store_col_int64(s, 3);
            rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc = SERTEL_OK;
        }
    }
    store_finalize(s);
    if (rc != SERTEL_OK)
        return rc;
    if (!found)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "the token is not valid: copy it exactly from the latest mail");
    if (used)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "the token was already used or was withdrawn: each link works once");
    if (expires <= now)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "the token has expired: ask for a new one (links are valid for a "
                              "limited time)");
    /* Single use even against a concurrent consumer: only one UPDATE finds it unused. */
    rc = store_execf(r->st, err, "UPDATE tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL",
                     "it", now, hash);
    if (rc == SERTEL_OK && store_changes(r->st) != 1)
        rc = sertel_err_set(err, SERTEL_ERR_DENIED,
                            "the token was already used: each link works once");
    return rc;
}

/* --- actors --- */

void ra_actor_local_admin(ra_actor *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->role, sizeof(out->role), "%s", RA_ROLE_ADMIN);
    snprintf(out->email, sizeof(out->email), "local administrator");
    out->local = 1;
}

const char *ra_actor_name(const ra_actor *a)
{
    return a->email;
}

int ra_actor_local_as(ra *r, const char *email, ra_actor *out, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = store_queryf(r->st, &s, err,
                      "SELECT id, role, agency_id, email FROM accounts WHERE email = lower(?)", "t",
                      email);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            out->account_id = store_col_int64(s, 0);
            snprintf(out->role, sizeof(out->role), "%s", store_col_text(s, 1));
            out->agency_id = store_col_is_null(s, 2) ? 0 : store_col_int64(s, 2);
            snprintf(out->email, sizeof(out->email), "%s", store_col_text(s, 3));
            out->local = 1;
            rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "no account with e-mail %.260s", email);
        }
    }
    store_finalize(s);
    return rc;
}

/* --- people --- */

int ra_person_by_email(ra *r, const char *email, ra_person *out, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = store_queryf(r->st, &s, err,
                      "SELECT a.id, a.agency_id, s.email_confirmed_at, a.name, a.email, s.nik, "
                      "s.unit FROM accounts a JOIN subscribers s ON s.account_id = a.id "
                      "WHERE a.email = lower(?)",
                      "t", email);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            out->account_id = store_col_int64(s, 0);
            out->agency_id = store_col_is_null(s, 1) ? 0 : store_col_int64(s, 1);
            out->confirmed = !store_col_is_null(s, 2);
            snprintf(out->name, sizeof(out->name), "%s", store_col_text(s, 3));
            snprintf(out->email, sizeof(out->email), "%s", store_col_text(s, 4));
            snprintf(out->nik, sizeof(out->nik), "%s", store_col_text(s, 5));
            snprintf(out->unit, sizeof(out->unit), "%s", store_col_text(s, 6));
            rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                                "%.260s is not registered (NOT_REGISTERED): the agency's verifier "
                                "registers people first",
                                email);
        }
    }
    store_finalize(s);
    return rc;
}

int ra_owner_for(ra *r, const ra_actor *by, ra_action act, const char *email, ra_person *out,
                 sertel_err *err)
{
    ra_target t;
    int rc = ra_person_by_email(r, email, out, err);

    if (rc != SERTEL_OK)
        return rc;
    t.account_id = out->account_id;
    t.agency_id = out->agency_id;
    return ra_policy_check(by, act, &t, err);
}

/* --- validation helpers --- */

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* Which agency owns the domain of email (0 when none). */
static int domain_agency(ra *r, const char *email, int64_t *agency, sertel_err *err)
{
    char dom[256];
    store_stmt *s = NULL;
    int rc;

    *agency = 0;
    snprintf(dom, sizeof(dom), "%s", strchr(email, '@') + 1);
    lower(dom);
    rc = store_queryf(r->st, &s, err, "SELECT agency_id FROM agency_domains WHERE domain = ?", "t",
                      dom);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW)
            *agency = store_col_int64(s, 0);
        rc = rc < 0 ? rc : SERTEL_OK;
    }
    store_finalize(s);
    return rc;
}

static int agency_exists(ra *r, int64_t id, char *name, size_t cap, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    rc = store_queryf(r->st, &s, err, "SELECT name FROM agencies WHERE id = ?", "i", id);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            snprintf(name, cap, "%s", store_col_text(s, 0));
            rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                                "no agency with id %lld: list them with 'sertel agency list'",
                                (long long)id);
        }
    }
    store_finalize(s);
    return rc;
}

/* --- agencies and accounts --- */

int ra_agency_add(ra *r, const ra_actor *by, const char *name, const char *const *domains,
                  size_t ndomains, int64_t *id, sertel_err *err)
{
    char dom[256], obj[48];
    int64_t nid = 0;
    json_t *doms = NULL;
    size_t i;
    int rc;

    if ((rc = ra_policy_check(by, RA_ACT_AGENCY_ADD, NULL, err)) != SERTEL_OK)
        return rc;
    /* The name becomes the O of every certificate: RFC 5280's ub-organization-name. */
    if ((rc = text_check_field("the agency name", name, RA_UB_NAME, err)) != SERTEL_OK)
        return rc;
    if (ndomains == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "an agency needs at least one official e-mail domain (--domain)");
    for (i = 0; i < ndomains; i++) {
        const char *d = domains[i], *p;
        if (strlen(d) < 3 || strlen(d) > 253 || strchr(d, '.') == NULL || d[0] == '.' ||
            d[0] == '-')
            return sertel_err_set(err, SERTEL_ERR_INVALID, "'%.260s' is not a domain name", d);
        for (p = d; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
                return sertel_err_set(err, SERTEL_ERR_INVALID,
                                      "domain '%.260s' contains '%c': give a plain domain such "
                                      "as contoh.go.id",
                                      d, isprint((unsigned char)*p) ? *p : '?');
    }
    rc = store_begin(r->st, err);
    if (rc != SERTEL_OK)
        return rc;
    doms = json_array();
    rc = doms != NULL ? ra_next_id(r, "agencies", &nid, err) : SERTEL_ERR_NOMEM;
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err, "INSERT INTO agencies (id, name, created_at) VALUES (?, ?, ?)",
                         "iti", nid, name, (int64_t)time(NULL));
    if (rc == SERTEL_ERR_EXISTS)
        rc = sertel_err_set(err, rc, "an agency named '%s' already exists", name);
    for (i = 0; i < ndomains && rc == SERTEL_OK; i++) {
        snprintf(dom, sizeof(dom), "%s", domains[i]);
        lower(dom);
        rc = store_execf(r->st, err, "INSERT INTO agency_domains (domain, agency_id) VALUES (?, ?)",
                         "ti", dom, nid);
        if (rc == SERTEL_ERR_EXISTS)
            rc = sertel_err_set(err, rc, "domain %s already belongs to an agency", dom);
        if (rc == SERTEL_OK)
            json_array_append_new(doms, json_string(dom));
    }
    if (rc == SERTEL_OK) {
        snprintf(obj, sizeof(obj), "agency:%lld", (long long)nid);
        rc = ra_audit_by(r, by, AUDIT_AGENCY_CREATED, obj, NULL,
                         json_pack("{s:s, s:O}", "name", name, "domains", doms), err);
    }
    json_decref(doms);
    rc = ra_commit_or_rollback(r, rc, err);
    if (rc == SERTEL_OK && id)
        *id = nid;
    return rc;
}

int ra_account_add(ra *r, const ra_actor *by, const char *role, int64_t agency_id,
                   const char *email, const char *name, int64_t *id, sertel_err *err)
{
    char agency_name[256], mail[256];
    int64_t nid = 0, dom_agency = 0;
    int rc;

    if ((rc = ra_policy_check(by, RA_ACT_ACCOUNT_ADD, NULL, err)) != SERTEL_OK)
        return rc;
    if (strcmp(role, RA_ROLE_VERIFIER) != 0 && strcmp(role, RA_ROLE_ADMIN) != 0 &&
        strcmp(role, RA_ROLE_AUDITOR) != 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "role '%.32s' is not a staff role: use verifier, admin or auditor",
                              role);
    if ((rc = text_check_email("the e-mail address", email, err)) != SERTEL_OK ||
        (rc = text_check_field("the name", name, RA_UB_NAME, err)) != SERTEL_OK)
        return rc;
    snprintf(mail, sizeof(mail), "%s", email);
    lower(mail);
    rc = store_begin(r->st, err);
    if (rc != SERTEL_OK)
        return rc;
    if (strcmp(role, RA_ROLE_VERIFIER) == 0) {
        if (agency_id <= 0) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "a verifier belongs to one agency: give --agency ID");
            goto out;
        }
        if ((rc = agency_exists(r, agency_id, agency_name, sizeof(agency_name), err)) !=
                SERTEL_OK ||
            (rc = domain_agency(r, mail, &dom_agency, err)) != SERTEL_OK)
            goto out;
        if (dom_agency != agency_id) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "%s is not an official address of %s: a verifier uses the "
                                "agency's own e-mail domain",
                                mail, agency_name);
            goto out;
        }
    } else if (agency_id != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "only verifiers belong to an agency");
        goto out;
    }
    rc = ra_next_id(r, "accounts", &nid, err);
    if (rc == SERTEL_OK && agency_id != 0)
        rc = store_execf(r->st, err,
                         "INSERT INTO accounts (id, email, name, role, agency_id, created_at) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         "itttii", nid, mail, name, role, agency_id, (int64_t)time(NULL));
    else if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "INSERT INTO accounts (id, email, name, role, agency_id, created_at) "
                         "VALUES (?, ?, ?, ?, NULL, ?)",
                         "ittti", nid, mail, name, role, (int64_t)time(NULL));
    if (rc == SERTEL_ERR_EXISTS)
        rc = sertel_err_set(err, rc, "an account with e-mail %s already exists", mail);
    if (rc == SERTEL_OK)
        rc = ra_audit_by(r, by, AUDIT_ACCOUNT_CREATED, mail, NULL,
                         json_pack("{s:s, s:I}", "role", role, "agency", (json_int_t)agency_id),
                         err);
out:
    rc = ra_commit_or_rollback(r, rc, err);
    if (rc == SERTEL_OK && id)
        *id = nid;
    return rc;
}

/* --- registration --- */

int ra_register(ra *r, const ra_actor *by, const ra_registration *reg, int64_t *account_id,
                sertel_err *err)
{
    char mail[256], agency_name[256], token[2 * RA_TOKEN_BYTES + 1] = "", body[2048];
    int64_t dom_agency = 0, id = 0, existing = 0;
    ra_target t;
    nik_info ni;
    store_stmt *s = NULL;
    int rc;

    t.account_id = 0;
    t.agency_id = reg->agency_id;
    if ((rc = ra_policy_check(by, RA_ACT_REGISTER, &t, err)) != SERTEL_OK)
        return rc;
    /* What becomes part of the certificate fits RFC 5280's upper bounds (Appendix A). */
    if ((rc = text_check_field("the full name", reg->name, RA_UB_NAME, err)) != SERTEL_OK ||
        (rc = text_check_field("the work unit", reg->unit, RA_UB_NAME, err)) != SERTEL_OK ||
        (rc = text_check_field("the position", reg->position, RA_POSITION_MAX, err)) != SERTEL_OK ||
        (rc = text_check_field("the NIK", reg->nik, 16, err)) != SERTEL_OK ||
        (rc = text_check_email("the e-mail address", reg->email, err)) != SERTEL_OK)
        return rc;
    if ((rc = nik_check(reg->nik, &ni, err)) != SERTEL_OK)
        return rc;
    snprintf(mail, sizeof(mail), "%s", reg->email);
    lower(mail);
    rc = store_begin(r->st, err);
    if (rc != SERTEL_OK)
        return rc;
    if ((rc = agency_exists(r, reg->agency_id, agency_name, sizeof(agency_name), err)) !=
            SERTEL_OK ||
        (rc = domain_agency(r, mail, &dom_agency, err)) != SERTEL_OK)
        goto out;
    if (dom_agency != reg->agency_id) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "%s is not an official e-mail address of %s: register with the "
                            "agency's e-mail domain (email dinas)",
                            mail, agency_name);
        goto out;
    }
    /* A staff member (e.g. a verifier) may also hold a certificate: same account. */
    rc = store_queryf(r->st, &s, err, "SELECT id, role FROM accounts WHERE email = ?", "t", mail);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW)
        existing = store_col_int64(s, 0);
    store_finalize(s);
    s = NULL;
    if (rc < 0)
        goto out;
    if (existing) {
        id = existing;
    } else {
        rc = ra_next_id(r, "accounts", &id, err);
        if (rc == SERTEL_OK)
            rc = store_execf(r->st, err,
                             "INSERT INTO accounts (id, email, name, role, agency_id, created_at) "
                             "VALUES (?, ?, ?, 'applicant', ?, ?)",
                             "ittii", id, mail, reg->name, reg->agency_id, (int64_t)time(NULL));
        if (rc != SERTEL_OK)
            goto out;
    }
    rc = store_execf(r->st, err,
                     "INSERT INTO subscribers (account_id, nik, unit, position, created_at) "
                     "VALUES (?, ?, ?, ?, ?)",
                     "ittti", id, reg->nik, reg->unit, reg->position, (int64_t)time(NULL));
    if (rc == SERTEL_ERR_EXISTS) {
        rc = sertel_err_set(err, rc,
                            "NIK %s or e-mail %s is already registered (NIK sudah terdaftar)",
                            reg->nik, mail);
        goto out;
    }
    if (rc != SERTEL_OK)
        goto out;
    rc = ra_token_create(r, "email_confirm", id, 0, r->token_ttl, token, err);
    if (rc != SERTEL_OK)
        goto out;
    rc = by != NULL
             ? ra_audit_by(r, by, AUDIT_SUBSCRIBER_REGISTERED, mail, mail,
                           json_pack("{s:I}", "agency", (json_int_t)reg->agency_id), err)
             : ra_audit_json(
                   r, mail, AUDIT_SUBSCRIBER_REGISTERED, mail,
                   json_pack("{s:I, s:b}", "agency", (json_int_t)reg->agency_id, "self", 1), err);
    if (rc != SERTEL_OK)
        goto out;
    snprintf(body, sizeof(body),
             "Yth. %s,\r\n\r\n"
             "Anda telah didaftarkan untuk sertifikat elektronik %s.\r\n"
             "Konfirmasi alamat email dinas Anda dengan token berikut (berlaku %lld jam):\r\n\r\n"
             "  %s\r\n\r\n"
             "  sertel email confirm --token %s\r\n  %s/confirm?token=%s\r\n\r\n"
             "You have been registered for an electronic certificate. Confirm your e-mail "
             "address with the token above.\r\n",
             reg->name, agency_name, (long long)(r->token_ttl / 3600), token, token, r->base_url,
             token);
    rc = ra_mail(r, mail, "Konfirmasi email - sertifikat elektronik", body, err);
out:
    sodium_memzero(token, sizeof(token));
    sodium_memzero(body, sizeof(body));
    rc = ra_commit_or_rollback(r, rc, err);
    if (rc == SERTEL_OK && account_id)
        *account_id = id;
    return rc;
}
