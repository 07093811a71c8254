/*
 * login.c - people log in: login passwords (Argon2id, crypto_pwhash_str,
 * never the signing passphrase), sessions kept in the store (not in a
 * process: several nodes share them), CSRF tokens, throttling of failed
 * logins per e-mail and per client address, the second factor for staff,
 * password reset by e-mail link.
 *
 * A session is an opaque random cookie (32 bytes, base64url); only its
 * SHA-256 is stored. It ends after [api] session_idle_minutes (30) without
 * use or [api] session_max_hours (12) after login, at logout, or when the
 * account logs out everywhere or changes its password. The CSRF token of a
 * session is HMAC-SHA256(server secret, "sertel-csrf-v1" || session hash):
 * nothing to store, compared in constant time.
 *
 * Throttling: failed logins count per e-mail (known or not: the answer
 * says nothing about the account) and per client address, in a window;
 * [api] login_lock_after (5) failures for an e-mail lock it for
 * [api] login_lock_minutes (15), [api] login_addr_after (30) for an
 * address. A locked key answers "too many failed logins" before any
 * password is checked.
 *
 * Every login, failure, logout and expiry is audited (OWASP ASVS V2/V3).
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/ra_int.h"
#include "util/hex.h"
#include "util/text.h"

#define PASSWORD_MIN 12
#define PASSWORD_MAX 1024
#define COOKIE_BYTES 32
#define LOGIN_DENIED "the e-mail address or the password is wrong (email atau kata sandi salah)"

static void sha256_hex(const char *s, char out[65])
{
    unsigned char md[32];

    EVP_Digest(s, strlen(s), md, NULL, EVP_sha256(), NULL);
    hex_encode(md, sizeof(md), out);
}

int ra_password_check_strength(const char *password, sertel_err *err)
{
    size_t n = strnlen(password, PASSWORD_MAX + 1);

    if (n < PASSWORD_MIN)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the password is too short: use at least %d characters",
                              PASSWORD_MIN);
    if (n > PASSWORD_MAX)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the password is longer than %d bytes",
                              PASSWORD_MAX);
    if (!text_utf8_valid((const unsigned char *)password, n, NULL))
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the password is not valid UTF-8 text");
    return SERTEL_OK;
}

/* Store a new password hash for account (inside a transaction); ends its sessions. */
static int set_password(ra *r, int64_t account, const char *password, sertel_err *err)
{
    char hash[crypto_pwhash_STRBYTES];
    int rc;

    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory hashing the password");
    rc = store_execf(r->st, err,
                     "UPDATE accounts SET password_hash = ?, password_set_at = ? WHERE id = ?",
                     "tii", hash, (int64_t)time(NULL), account);
    sodium_memzero(hash, sizeof(hash));
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err, "DELETE FROM sessions WHERE account_id = ?", "i", account);
    return rc;
}

int ra_email_confirm_password(ra *r, const char *token, const char *password, sertel_err *err)
{
    int64_t account = 0;
    char email[256] = "";
    store_stmt *s = NULL;
    int rc;

    if (password != NULL && (rc = ra_password_check_strength(password, err)) != SERTEL_OK)
        return rc;
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        return rc;
    rc = ra_token_consume(r, "email_confirm", token, &account, NULL, err);
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "UPDATE subscribers SET email_confirmed_at = ? WHERE account_id = ?", "ii",
                         (int64_t)time(NULL), account);
    if (rc == SERTEL_OK &&
        (rc = store_queryf(r->st, &s, err, "SELECT email FROM accounts WHERE id = ?", "i",
                           account)) == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            snprintf(email, sizeof(email), "%s", store_col_text(s, 0));
            rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_INTERNAL, "token without account");
        }
    }
    store_finalize(s);
    if (rc == SERTEL_OK && password != NULL)
        rc = set_password(r, account, password, err);
    if (rc == SERTEL_OK)
        rc = ra_audit_json(r, email, AUDIT_SUBSCRIBER_EMAIL_CONFIRMED, email,
                           json_pack("{s:b}", "password_set", password != NULL), err);
    return ra_commit_or_rollback(r, rc, err);
}

int ra_email_confirm(ra *r, const char *token, sertel_err *err)
{
    return ra_email_confirm_password(r, token, NULL, err);
}

/* --- throttling --- */

typedef struct throttle_rule {
    int64_t after;  /* failures that start a lock */
    int64_t window; /* seconds the failures are counted in */
    int64_t lock;   /* seconds the lock lasts */
} throttle_rule;

/* 1 when key is locked now (*left: seconds). */
static int throttled(ra *r, const char *key, int64_t *left, sertel_err *err)
{
    store_stmt *s = NULL;
    int64_t now = (int64_t)time(NULL), until = 0;
    int rc =
        store_queryf(r->st, &s, err, "SELECT locked_until FROM throttle WHERE key = ?", "t", key);

    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW)
        until = store_col_int64(s, 0);
    store_finalize(s);
    if (rc < 0)
        return rc;
    *left = until > now ? until - now : 0;
    return SERTEL_OK;
}

/* Count a failure for key under rule (inside a transaction); *locked 1 when it now locks. */
static int throttle_fail(ra *r, const char *key, const throttle_rule *ru, int *locked,
                         sertel_err *err)
{
    store_stmt *s = NULL;
    int64_t now = (int64_t)time(NULL), failures = 0, start = now;
    int rc, have = 0;

    *locked = 0;
    rc = store_queryf(r->st, &s, err, "SELECT failures, window_start FROM throttle WHERE key = ?",
                      "t", key);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        have = 1;
        failures = store_col_int64(s, 0);
        start = store_col_int64(s, 1);
    }
    store_finalize(s);
    if (rc < 0)
        return rc;
    if (now - start > ru->window) {
        failures = 0;
        start = now;
    }
    failures++;
    *locked = failures >= ru->after;
    if (have)
        rc = store_execf(r->st, err,
                         "UPDATE throttle SET failures = ?, window_start = ?, locked_until = ? "
                         "WHERE key = ?",
                         "iiit", *locked ? 0 : failures, *locked ? now : start,
                         *locked ? now + ru->lock : (int64_t)0, key);
    else
        rc = store_execf(r->st, err,
                         "INSERT INTO throttle (key, failures, window_start, locked_until) VALUES "
                         "(?, ?, ?, ?)",
                         "tiii", key, failures, start, *locked ? now + ru->lock : (int64_t)0);
    return rc;
}

static void throttle_keys(const char *email, const char *addr, char k1[80], char k2[80])
{
    char low[256], h[65];
    size_t i;

    snprintf(low, sizeof(low), "%s", email);
    for (i = 0; low[i]; i++)
        low[i] = (char)((low[i] >= 'A' && low[i] <= 'Z') ? low[i] + 32 : low[i]);
    sha256_hex(low, h);
    snprintf(k1, 80, "login:email:%.32s", h);
    snprintf(k2, 80, "login:addr:%.60s", addr != NULL && addr[0] ? addr : "unknown");
}

/* --- sessions --- */

static void session_csrf(const ra *r, const char *id_hash, char out[RA_CSRF_LEN + 1])
{
    unsigned char mac[32];
    unsigned int len = sizeof(mac);
    unsigned char msg[14 + 64];

    memcpy(msg, "sertel-csrf-v1", 14);
    memcpy(msg + 14, id_hash, 64);
    HMAC(EVP_sha256(), r->secret, RA_SECRET_LEN, msg, sizeof(msg), mac, &len);
    sodium_bin2base64(out, RA_CSRF_LEN + 1, mac, sizeof(mac),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(mac, sizeof(mac));
}

/* A new session for account: the cookie in cookie_out, audited as login.succeeded. */
static int session_new(ra *r, const ra_person_login *who, const char *addr, int factor,
                       char cookie_out[RA_COOKIE_LEN + 1], sertel_err *err)
{
    unsigned char raw[COOKIE_BYTES];
    char hash[65];
    int64_t now = (int64_t)time(NULL);
    int rc;

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(cookie_out, RA_COOKIE_LEN + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    sha256_hex(cookie_out, hash);
    rc = store_execf(r->st, err,
                     "INSERT INTO sessions (id_hash, account_id, created_at, last_seen, "
                     "expires_at, factor, client_addr) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     "tiiiiit", hash, who->account_id, now, now, now + r->session_max,
                     (int64_t)factor, addr != NULL ? addr : "");
    if (rc == SERTEL_OK)
        rc = ra_audit_json(r, who->email, AUDIT_LOGIN_SUCCEEDED, who->email,
                           json_pack("{s:s, s:b, s:s}", "addr", addr != NULL ? addr : "",
                                     "second_factor", factor, "session", hash),
                           err);
    if (rc != SERTEL_OK)
        sodium_memzero(cookie_out, RA_COOKIE_LEN + 1);
    return rc;
}

static int load_login(ra *r, const char *email, ra_person_login *out, char *hash, size_t cap,
                      sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    hash[0] = '\0';
    rc = store_queryf(r->st, &s, err,
                      "SELECT id, role, agency_id, email, password_hash, totp_box IS NOT NULL FROM "
                      "accounts WHERE email = lower(?)",
                      "t", email);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        out->account_id = store_col_int64(s, 0);
        snprintf(out->role, sizeof(out->role), "%s", store_col_text(s, 1));
        out->agency_id = store_col_is_null(s, 2) ? 0 : store_col_int64(s, 2);
        snprintf(out->email, sizeof(out->email), "%s", store_col_text(s, 3));
        if (!store_col_is_null(s, 4))
            snprintf(hash, cap, "%s", store_col_text(s, 4));
        out->has_factor = (int)store_col_int64(s, 5);
        rc = SERTEL_OK;
    } else if (rc == STORE_DONE) {
        rc = SERTEL_OK;
    }
    store_finalize(s);
    return rc;
}

/* Staff log in with a second factor (the issue: verifiers, admins and auditors). */
static int needs_factor(const char *role)
{
    return strcmp(role, RA_ROLE_APPLICANT) != 0;
}

int ra_login(ra *r, const char *email, const char *password, const char *code, const char *addr,
             ra_login_result *out, sertel_err *err)
{
    char hash[crypto_pwhash_STRBYTES + 1], k1[80], k2[80];
    ra_person_login who;
    throttle_rule per_email = {r->login_lock_after, r->login_lock_seconds, r->login_lock_seconds};
    throttle_rule per_addr = {r->login_addr_after, 600, 600};
    int64_t left1 = 0, left2 = 0;
    int rc, ok = 0, code_ok = 0, locked = 0;
    const char *why = "ok";
    sertel_err e = {0};

    memset(out, 0, sizeof(*out));
    if (strlen(password) > PASSWORD_MAX)
        return sertel_err_set(err, SERTEL_ERR_DENIED, LOGIN_DENIED);
    throttle_keys(email, addr, k1, k2);
    if ((rc = throttled(r, k1, &left1, err)) != SERTEL_OK ||
        (rc = throttled(r, k2, &left2, err)) != SERTEL_OK)
        return rc;
    if (left1 > 0 || left2 > 0) {
        int64_t left = left1 > left2 ? left1 : left2;
        out->retry_after = left;
        return sertel_err_set(err, SERTEL_ERR_BUSY,
                              "too many failed logins: try again in %lld minutes (terlalu banyak "
                              "percobaan masuk)",
                              (long long)((left + 59) / 60));
    }
    if ((rc = load_login(r, email, &who, hash, sizeof(hash), err)) != SERTEL_OK)
        return rc;
    /* The same work for an unknown account or one without a password: a hash of nothing. */
    if (hash[0] == '\0' && r->dummy_hash[0] == '\0') {
        unsigned char rnd[16];
        randombytes_buf(rnd, sizeof(rnd));
        if (crypto_pwhash_str(r->dummy_hash, (const char *)rnd, sizeof(rnd),
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory checking the password");
    }
    ok =
        crypto_pwhash_str_verify(hash[0] ? hash : r->dummy_hash, password, strlen(password)) == 0 &&
        who.account_id != 0 && hash[0] != '\0';
    sodium_memzero(hash, sizeof(hash));
    rc = ca_txn_begin(r->ca, &e);
    if (rc != SERTEL_OK)
        return sertel_err_set(err, SERTEL_ERR_BUSY, "the login could not be recorded: try again");
    if (!ok)
        why = who.account_id ? "wrong_password" : "unknown_account";
    else if (needs_factor(who.role) && who.has_factor) {
        if (code == NULL || code[0] == '\0')
            why = "second_factor_missing";
        else if ((rc = ra_totp_use(r, who.account_id, code, &code_ok, &e)) == SERTEL_OK && !code_ok)
            why = "wrong_second_factor";
    }
    if (rc == SERTEL_OK && strcmp(why, "ok") != 0) {
        int l2 = 0;
        rc = throttle_fail(r, k1, &per_email, &locked, &e);
        if (rc == SERTEL_OK)
            rc = throttle_fail(r, k2, &per_addr, &l2, &e);
        if (rc == SERTEL_OK)
            rc = ra_audit_json(r, who.account_id ? who.email : "unknown account",
                               AUDIT_LOGIN_FAILED, who.account_id ? who.email : email,
                               json_pack("{s:s, s:s, s:b}", "why", why, "addr", addr ? addr : "",
                                         "locked", locked || l2),
                               &e);
    } else if (rc == SERTEL_OK) {
        rc = store_execf(r->st, &e, "DELETE FROM throttle WHERE key = ?", "t", k1);
        if (rc == SERTEL_OK)
            rc = session_new(r, &who, addr, code_ok, out->cookie, &e);
    }
    if (rc != SERTEL_OK || ca_txn_commit(r->ca, &e) != SERTEL_OK) {
        ca_txn_rollback(r->ca);
        sodium_memzero(out->cookie, sizeof(out->cookie));
        return sertel_err_set(err, SERTEL_ERR_BUSY, "the login could not be recorded: try again");
    }
    if (strcmp(why, "second_factor_missing") == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "a one-time code from your authenticator app is required");
    if (strcmp(why, "ok") != 0)
        return sertel_err_set(err, SERTEL_ERR_DENIED, LOGIN_DENIED);
    out->actor.account_id = who.account_id;
    snprintf(out->actor.role, sizeof(out->actor.role), "%s", who.role);
    out->actor.agency_id = who.agency_id;
    snprintf(out->actor.email, sizeof(out->actor.email), "%s", who.email);
    out->factor_enrolment_needed = needs_factor(who.role) && !who.has_factor;
    {
        char h[65];
        sha256_hex(out->cookie, h);
        session_csrf(r, h, out->csrf);
    }
    return SERTEL_OK;
}

int ra_session(ra *r, const char *cookie, ra_session_info *out, sertel_err *err)
{
    char hash[65];
    store_stmt *s = NULL;
    int64_t now = (int64_t)time(NULL), last = 0, expires = 0;
    int rc, found = 0;

    memset(out, 0, sizeof(*out));
    if (strlen(cookie) != RA_COOKIE_LEN)
        return sertel_err_set(err, SERTEL_ERR_DENIED, "not logged in (sesi tidak berlaku)");
    sha256_hex(cookie, hash);
    rc = store_queryf(r->st, &s, err,
                      "SELECT s.last_seen, s.expires_at, s.factor, a.id, a.role, a.agency_id, "
                      "a.email, a.totp_box IS NOT NULL FROM sessions s JOIN accounts a ON a.id = "
                      "s.account_id WHERE s.id_hash = ?",
                      "t", hash);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        found = 1;
        last = store_col_int64(s, 0);
        expires = store_col_int64(s, 1);
        out->factor = (int)store_col_int64(s, 2);
        out->actor.account_id = store_col_int64(s, 3);
        snprintf(out->actor.role, sizeof(out->actor.role), "%s", store_col_text(s, 4));
        out->actor.agency_id = store_col_is_null(s, 5) ? 0 : store_col_int64(s, 5);
        snprintf(out->actor.email, sizeof(out->actor.email), "%s", store_col_text(s, 6));
        out->factor_enrolment_needed = needs_factor(out->actor.role) && store_col_int64(s, 7) == 0;
        rc = SERTEL_OK;
    } else if (rc == STORE_DONE) {
        rc = SERTEL_OK;
    }
    store_finalize(s);
    if (rc != SERTEL_OK)
        return rc;
    if (!found) {
        memset(out, 0, sizeof(*out));
        return sertel_err_set(err, SERTEL_ERR_DENIED, "not logged in (sesi tidak berlaku)");
    }
    if (now >= expires || now - last > r->session_idle) {
        char who[256];
        snprintf(who, sizeof(who), "%s", out->actor.email);
        memset(out, 0, sizeof(*out));
        /* Expired: removed and audited once (the row is gone for the next request). */
        if (ca_txn_begin(r->ca, err) == SERTEL_OK) {
            rc = store_execf(r->st, err, "DELETE FROM sessions WHERE id_hash = ?", "t", hash);
            if (rc == SERTEL_OK && store_changes(r->st) == 1)
                rc = ra_audit_json(r, who, AUDIT_SESSION_EXPIRED, who,
                                   json_pack("{s:s, s:s}", "session", hash, "why",
                                             now >= expires ? "absolute" : "idle"),
                                   err);
            (void)!ra_commit_or_rollback(r, rc, err);
        }
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "the session has ended: log in again (sesi berakhir)");
    }
    /* Seen: refreshed at most once a minute, so reads stay reads. */
    if (now - last >= 60 &&
        store_execf(r->st, err, "UPDATE sessions SET last_seen = ? WHERE id_hash = ?", "it", now,
                    hash) != SERTEL_OK)
        return SERTEL_ERR_BUSY;
    session_csrf(r, hash, out->csrf);
    return SERTEL_OK;
}

int ra_csrf_check(ra *r, const char *cookie, const char *token)
{
    char hash[65], want[RA_CSRF_LEN + 1];
    int ok;

    if (token == NULL || strlen(token) != RA_CSRF_LEN || strlen(cookie) != RA_COOKIE_LEN)
        return 0;
    sha256_hex(cookie, hash);
    session_csrf(r, hash, want);
    ok = sodium_memcmp(want, token, RA_CSRF_LEN) == 0;
    sodium_memzero(want, sizeof(want));
    return ok;
}

int ra_logout(ra *r, const char *cookie, int everywhere, sertel_err *err)
{
    char hash[65];
    ra_session_info si;
    int rc;

    if ((rc = ra_session(r, cookie, &si, err)) != SERTEL_OK)
        return rc;
    sha256_hex(cookie, hash);
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        return rc;
    rc = everywhere ? store_execf(r->st, err, "DELETE FROM sessions WHERE account_id = ?", "i",
                                  si.actor.account_id)
                    : store_execf(r->st, err, "DELETE FROM sessions WHERE id_hash = ?", "t", hash);
    if (rc == SERTEL_OK)
        rc = ra_audit_json(r, si.actor.email, AUDIT_LOGOUT, si.actor.email,
                           json_pack("{s:b, s:I}", "everywhere", everywhere, "sessions",
                                     (json_int_t)store_changes(r->st)),
                           err);
    return ra_commit_or_rollback(r, rc, err);
}

/* --- password reset --- */

int ra_password_reset_request(ra *r, const char *email, sertel_err *err)
{
    ra_person_login who;
    char hash[crypto_pwhash_STRBYTES + 1], token[2 * RA_TOKEN_BYTES + 1] = "", body[1024];
    int rc;

    if ((rc = load_login(r, email, &who, hash, sizeof(hash), err)) != SERTEL_OK)
        return rc;
    sodium_memzero(hash, sizeof(hash));
    if (who.account_id == 0)
        return SERTEL_OK; /* the same answer for an unknown address; nothing is sent */
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        return rc;
    rc = ra_token_create(r, "password_reset", who.account_id, 0, 3600, token, err);
    snprintf(body, sizeof(body),
             "Permintaan untuk mengatur ulang kata sandi akun sertifikat elektronik Anda.\r\n"
             "Token (sekali pakai, berlaku 1 jam):\r\n\r\n  %s\r\n\r\n  %s/password/reset?token=%s"
             "\r\n\r\nJika bukan Anda yang meminta, abaikan email ini.\r\n\r\nA password reset "
             "was requested for your account; use the token above within an hour, or ignore "
             "this mail.\r\n",
             token, r->base_url, token);
    if (rc == SERTEL_OK)
        rc = ra_mail(r, who.email, "Atur ulang kata sandi - password reset", body, err);
    if (rc == SERTEL_OK)
        rc = ra_audit_json(r, who.email, AUDIT_PASSWORD_RESET_REQUESTED, who.email, json_object(),
                           err);
    sodium_memzero(token, sizeof(token));
    sodium_memzero(body, sizeof(body));
    return ra_commit_or_rollback(r, rc, err);
}

int ra_password_reset(ra *r, const char *token, const char *password, sertel_err *err)
{
    int64_t account = 0;
    int rc;

    if ((rc = ra_password_check_strength(password, err)) != SERTEL_OK)
        return rc;
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        return rc;
    rc = ra_token_consume(r, "password_reset", token, &account, NULL, err);
    if (rc == SERTEL_OK)
        rc = set_password(r, account, password, err);
    if (rc == SERTEL_OK)
        rc = ra_audit_json(
            r, "password reset link", AUDIT_PASSWORD_CHANGED, "account",
            json_pack("{s:I, s:s}", "account", (json_int_t)account, "how", "reset link"), err);
    return ra_commit_or_rollback(r, rc, err);
}

int ra_password_change(ra *r, const ra_actor *by, const char *current, const char *password,
                       sertel_err *err)
{
    ra_person_login who;
    char hash[crypto_pwhash_STRBYTES + 1], k1[80], k2[80];
    throttle_rule per_email = {r->login_lock_after, r->login_lock_seconds, r->login_lock_seconds};
    int64_t left = 0;
    int rc, ok, locked = 0;

    if (by->account_id == 0 || by->local || strcmp(by->role, RA_ROLE_CLIENT) == 0)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "a password is changed by its account, logged in (the CA host's "
                              "operator sets one with 'sertel password set')");
    if ((rc = ra_password_check_strength(password, err)) != SERTEL_OK)
        return rc;
    if (strlen(current) > PASSWORD_MAX || strcmp(current, password) == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "choose a new password, not the current one");
    if ((rc = load_login(r, by->email, &who, hash, sizeof(hash), err)) != SERTEL_OK)
        return rc;
    if (who.account_id != by->account_id) {
        sodium_memzero(hash, sizeof(hash));
        return sertel_err_set(err, SERTEL_ERR_DENIED, "the account is gone: log in again");
    }
    throttle_keys(who.email, NULL, k1, k2);
    if ((rc = throttled(r, k1, &left, err)) != SERTEL_OK) {
        sodium_memzero(hash, sizeof(hash));
        return rc;
    }
    if (left > 0) {
        sodium_memzero(hash, sizeof(hash));
        return sertel_err_set(err, SERTEL_ERR_BUSY,
                              "too many wrong passwords: try again in %lld minutes",
                              (long long)((left + 59) / 60));
    }
    ok = hash[0] != '\0' && crypto_pwhash_str_verify(hash, current, strlen(current)) == 0;
    sodium_memzero(hash, sizeof(hash));
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        return rc;
    if (!ok) {
        rc = throttle_fail(r, k1, &per_email, &locked, err);
        if (rc == SERTEL_OK)
            rc = ra_audit_json(
                r, who.email, AUDIT_PASSWORD_CHANGE_FAILED, who.email,
                json_pack("{s:s, s:b}", "why", "wrong_current_password", "locked", locked), err);
        rc = ra_commit_or_rollback(r, rc, err);
        if (rc != SERTEL_OK)
            return rc;
        return sertel_err_set(err, SERTEL_ERR_DENIED, "the current password is wrong");
    }
    rc = store_execf(r->st, err, "DELETE FROM throttle WHERE key = ?", "t", k1);
    if (rc == SERTEL_OK)
        rc = set_password(r, who.account_id, password, err);
    if (rc == SERTEL_OK)
        rc = ra_audit_json(r, who.email, AUDIT_PASSWORD_CHANGED, who.email,
                           json_pack("{s:s}", "how", "changed"), err);
    return ra_commit_or_rollback(r, rc, err);
}

int ra_password_set(ra *r, const ra_actor *by, const char *email, const char *password,
                    sertel_err *err)
{
    ra_person_login who;
    char hash[crypto_pwhash_STRBYTES + 1];
    int rc;

    if ((rc = ra_password_check_strength(password, err)) != SERTEL_OK ||
        (rc = load_login(r, email, &who, hash, sizeof(hash), err)) != SERTEL_OK)
        return rc;
    sodium_memzero(hash, sizeof(hash));
    if (who.account_id == 0)
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND, "no account with e-mail %.260s", email);
    /* One's own password, or the CA host's operator for anyone. */
    if (!(by->local && by->account_id == 0) && by->account_id != who.account_id)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "a password is set by its account (or at the CA host)");
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        return rc;
    rc = set_password(r, who.account_id, password, err);
    if (rc == SERTEL_OK)
        rc = ra_audit_by(r, by, AUDIT_PASSWORD_CHANGED, who.email, who.email,
                         json_pack("{s:s}", "how", "set"), err);
    return ra_commit_or_rollback(r, rc, err);
}
