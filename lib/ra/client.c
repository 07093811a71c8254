/*
 * client.c - agency systems as API clients (BSrE's API: HTTP Basic per
 * client application). An administrator adds a client for one agency with
 * scopes (sign, verify, status, register); the client acts only for its own
 * agency's people (the policy table) and only within its scopes.
 *
 * The secret is 32 random bytes (256 bits), shown once in base64url. What
 * is stored is MAC = BLAKE2b-256(key = BLAKE2b(server secret,
 * "sertel-client-v1"), client id || 0x00 || secret): a stolen database
 * does not give the secrets, and checking one is one keyed hash (not a
 * slow KDF per request: the secret has full entropy). Compared in constant
 * time; an unknown id does the same work.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/ra_int.h"
#include "util/hex.h"
#include "util/text.h"

#define CLIENT_DENIED "unknown client or wrong secret"

static const struct {
    const char *name;
    unsigned bit;
} scope_names[] = {
    {"sign", RA_SCOPE_SIGN},
    {"verify", RA_SCOPE_VERIFY},
    {"status", RA_SCOPE_STATUS},
    {"register", RA_SCOPE_REGISTER},
};

int ra_scopes_parse(const char *s, unsigned *out, sertel_err *err)
{
    *out = 0;
    while (*s != '\0') {
        size_t n = strcspn(s, ","), k;
        int found = 0;
        for (k = 0; k < sizeof(scope_names) / sizeof(scope_names[0]); k++) {
            if (strlen(scope_names[k].name) == n && strncmp(s, scope_names[k].name, n) == 0) {
                *out |= scope_names[k].bit;
                found = 1;
            }
        }
        if (!found)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "scope '%.*s' is not one of sign, verify, status, register",
                                  (int)(n < 40 ? n : 40), s);
        s += n;
        if (*s == ',')
            s++;
    }
    if (*out == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "give at least one scope: sign, verify, status, register");
    return SERTEL_OK;
}

const char *ra_scopes_name(unsigned scopes, char *buf, size_t cap)
{
    size_t k, o = 0;

    buf[0] = '\0';
    for (k = 0; k < sizeof(scope_names) / sizeof(scope_names[0]); k++)
        if (scopes & scope_names[k].bit)
            o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, "%s%s", o ? "," : "",
                                  scope_names[k].name);
    return buf;
}

static void client_mac(const ra *r, const char *id, const char *secret, unsigned char mac[32])
{
    unsigned char key[32];
    crypto_generichash_state st;

    crypto_generichash(key, sizeof(key), (const unsigned char *)"sertel-client-v1", 16, r->secret,
                       RA_SECRET_LEN);
    crypto_generichash_init(&st, key, sizeof(key), 32);
    crypto_generichash_update(&st, (const unsigned char *)id, strlen(id));
    crypto_generichash_update(&st, (const unsigned char *)"", 1);
    crypto_generichash_update(&st, (const unsigned char *)secret, strlen(secret));
    crypto_generichash_final(&st, mac, 32);
    sodium_memzero(key, sizeof(key));
    sodium_memzero(&st, sizeof(st));
}

static void new_secret(char out[RA_CLIENT_SECRET_LEN + 1])
{
    unsigned char raw[32];

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, RA_CLIENT_SECRET_LEN + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

int ra_client_add(ra *r, const ra_actor *by, int64_t agency_id, const char *name, unsigned scopes,
                  int vouches_login, char id_out[40], char secret_out[RA_CLIENT_SECRET_LEN + 1],
                  sertel_err *err)
{
    unsigned char rnd[12], mac[32];
    char names[40], obj[64];
    store_stmt *s = NULL;
    int rc, found = 0;

    id_out[0] = secret_out[0] = '\0';
    if ((rc = ra_policy_check(by, RA_ACT_CLIENT_ADMIN, NULL, err)) != SERTEL_OK ||
        (rc = text_check_field("the client's name", name, 128, err)) != SERTEL_OK)
        return rc;
    if (scopes == 0 ||
        (scopes & ~(RA_SCOPE_SIGN | RA_SCOPE_VERIFY | RA_SCOPE_STATUS | RA_SCOPE_REGISTER)) != 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "give the client's scopes");
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        return rc;
    rc = store_queryf(r->st, &s, err, "SELECT 1 FROM agencies WHERE id = ?", "i", agency_id);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        found = 1;
        rc = SERTEL_OK;
    }
    store_finalize(s);
    if (rc == SERTEL_OK && !found)
        rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "no agency with id %lld",
                            (long long)agency_id);
    if (rc != SERTEL_OK)
        goto out;
    randombytes_buf(rnd, sizeof(rnd));
    memcpy(id_out, "cl_", 3);
    hex_encode(rnd, sizeof(rnd), id_out + 3);
    new_secret(secret_out);
    client_mac(r, id_out, secret_out, mac);
    rc = store_execf(r->st, err,
                     "INSERT INTO api_clients (id, agency_id, name, scopes, secret_mac, "
                     "vouches_login, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     "tittbii", id_out, agency_id, name,
                     ra_scopes_name(scopes, names, sizeof(names)), mac, sizeof(mac),
                     (int64_t)(vouches_login != 0), (int64_t)time(NULL));
    snprintf(obj, sizeof(obj), "client:%s", id_out);
    if (rc == SERTEL_OK)
        rc = ra_audit_by(r, by, AUDIT_CLIENT_CREATED, obj, NULL,
                         json_pack("{s:I, s:s, s:s, s:b}", "agency", (json_int_t)agency_id, "name",
                                   name, "scopes", names, "vouches_login", vouches_login != 0),
                         err);
out:
    rc = ra_commit_or_rollback(r, rc, err);
    if (rc != SERTEL_OK) {
        id_out[0] = '\0';
        sodium_memzero(secret_out, RA_CLIENT_SECRET_LEN + 1);
    }
    return rc;
}

/* Change one client (exists, not disabled) inside a transaction: a new secret or disabled. */
static int client_change(ra *r, const ra_actor *by, const char *id, char *secret_out,
                         sertel_err *err)
{
    unsigned char mac[32];
    char obj[64];
    int64_t now = (int64_t)time(NULL);
    int rc;

    if ((rc = ra_policy_check(by, RA_ACT_CLIENT_ADMIN, NULL, err)) != SERTEL_OK)
        return rc;
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        return rc;
    if (secret_out != NULL) {
        new_secret(secret_out);
        client_mac(r, id, secret_out, mac);
        rc = store_execf(r->st, err,
                         "UPDATE api_clients SET secret_mac = ?, rotated_at = ? WHERE id = ? AND "
                         "disabled_at IS NULL",
                         "bit", mac, sizeof(mac), now, id);
    } else {
        rc = store_execf(r->st, err,
                         "UPDATE api_clients SET disabled_at = ? WHERE id = ? AND disabled_at IS "
                         "NULL",
                         "it", now, id);
    }
    if (rc == SERTEL_OK && store_changes(r->st) != 1)
        rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                            "no client %.40s in use: see 'sertel client list'", id);
    snprintf(obj, sizeof(obj), "client:%.40s", id);
    if (rc == SERTEL_OK)
        rc = ra_audit_by(r, by, secret_out != NULL ? AUDIT_CLIENT_ROTATED : AUDIT_CLIENT_DISABLED,
                         obj, NULL, json_object(), err);
    rc = ra_commit_or_rollback(r, rc, err);
    if (rc != SERTEL_OK && secret_out != NULL)
        sodium_memzero(secret_out, RA_CLIENT_SECRET_LEN + 1);
    return rc;
}

int ra_client_rotate(ra *r, const ra_actor *by, const char *id,
                     char secret_out[RA_CLIENT_SECRET_LEN + 1], sertel_err *err)
{
    return client_change(r, by, id, secret_out, err);
}

int ra_client_disable(ra *r, const ra_actor *by, const char *id, sertel_err *err)
{
    return client_change(r, by, id, NULL, err);
}

int ra_client_list(ra *r, const ra_actor *by, ra_client_fn fn, void *arg, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    if ((rc = ra_policy_check(by, RA_ACT_CLIENT_ADMIN, NULL, err)) != SERTEL_OK)
        return rc;
    rc = store_queryf(r->st, &s, err,
                      "SELECT id, agency_id, name, scopes, disabled_at, vouches_login, "
                      "created_at, rotated_at FROM api_clients ORDER BY created_at, id",
                      "");
    while (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        ra_client c;
        sertel_err e = {0};
        memset(&c, 0, sizeof(c));
        snprintf(c.id, sizeof(c.id), "%s", store_col_text(s, 0));
        c.agency_id = store_col_int64(s, 1);
        snprintf(c.name, sizeof(c.name), "%s", store_col_text(s, 2));
        if (ra_scopes_parse(store_col_text(s, 3), &c.scopes, &e) != SERTEL_OK)
            c.scopes = 0;
        c.disabled = !store_col_is_null(s, 4);
        c.vouches_login = (int)store_col_int64(s, 5);
        c.created_at = store_col_int64(s, 6);
        c.rotated_at = store_col_is_null(s, 7) ? 0 : store_col_int64(s, 7);
        rc = fn(&c, arg);
    }
    if (rc == STORE_DONE)
        rc = SERTEL_OK;
    store_finalize(s);
    return rc;
}

int ra_client_auth(ra *r, const char *id, const char *secret, ra_actor *out, sertel_err *err)
{
    static const unsigned char nothing[32];
    unsigned char want[32], got[32];
    store_stmt *s = NULL;
    char scopes[64] = "";
    int64_t agency = 0;
    int rc, found = 0, disabled = 0, ok;

    memset(out, 0, sizeof(*out));
    if (strlen(id) > 39 || strlen(secret) > 256)
        return sertel_err_set(err, SERTEL_ERR_DENIED, CLIENT_DENIED);
    memcpy(want, nothing, sizeof(want));
    rc = store_queryf(r->st, &s, err,
                      "SELECT agency_id, scopes, secret_mac, disabled_at FROM api_clients WHERE id "
                      "= ?",
                      "t", id);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        size_t n = 0;
        const void *b = store_col_blob(s, 2, &n);
        agency = store_col_int64(s, 0);
        snprintf(scopes, sizeof(scopes), "%s", store_col_text(s, 1));
        if (b != NULL && n == sizeof(want)) {
            memcpy(want, b, n);
            found = 1;
        }
        disabled = !store_col_is_null(s, 3);
        rc = SERTEL_OK;
    } else if (rc == STORE_DONE) {
        rc = SERTEL_OK;
    }
    store_finalize(s);
    if (rc != SERTEL_OK)
        return rc;
    /* The same hash for an unknown id, and a constant-time comparison. */
    client_mac(r, id, secret, got);
    ok = sodium_memcmp(want, got, sizeof(want)) == 0 && found && !disabled;
    sodium_memzero(got, sizeof(got));
    if (!ok)
        return sertel_err_set(err, SERTEL_ERR_DENIED, CLIENT_DENIED);
    snprintf(out->role, sizeof(out->role), "%s", RA_ROLE_CLIENT);
    out->agency_id = agency;
    snprintf(out->client_id, sizeof(out->client_id), "%s", id);
    snprintf(out->email, sizeof(out->email), "client:%s", id);
    if (ra_scopes_parse(scopes, &out->scopes, NULL) != SERTEL_OK)
        out->scopes = 0;
    return SERTEL_OK;
}

int ra_sign_factor_needed(ra *r, const ra_actor *by, int *needed, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    *needed = strcmp(r->second_factor, "off") != 0;
    if (!*needed || by == NULL || strcmp(by->role, RA_ROLE_CLIENT) != 0 || by->client_id[0] == '\0')
        return SERTEL_OK;
    /* Read from the store, not from the actor: a client disabled or changed since it
     * authenticated does not vouch. */
    rc = store_queryf(r->st, &s, err,
                      "SELECT 1 FROM api_clients WHERE id = ? AND vouches_login = 1 AND "
                      "disabled_at IS NULL",
                      "t", by->client_id);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW)
        *needed = 0;
    store_finalize(s);
    return rc < 0 ? rc : SERTEL_OK;
}
