/*
 * signsess.c - short signing sessions: BSrE's v2 "totp" (POST
 * /api/v2/sign/get/totp, then /api/v2/sign/pdf with the code instead of
 * the passphrase). PP 71/2019 art. 63-64 still hold: opening a session is
 * a full authorization (passphrase, second factor, lockout; auth.c), and
 * no unlocked key outlives one request.
 *
 * Opening: after ra_sign_authorize, the owner's private key (PKCS#8 DER)
 * is sealed again under a fresh 128-bit code c (randombytes, shown once):
 *   id  = hex(BLAKE2b-256(key = server secret, "sertel-signsess-id-v1" || c))
 *   kek = BLAKE2b-256(key = server secret, "sertel-signsess-kek-v1" || c)
 *   box = nonce || XChaCha20-Poly1305(kek, nonce, PKCS#8,
 *                                     aad = "sertel-signsess-v1" || id || account)
 * and stored as a row of sign_sessions (id, account, certificate, the
 * actor that opened it, box, uses left, expiry). The code itself is never
 * stored; the server secret lives outside the database, so a copy of
 * sertel.db alone opens no session. The code has full entropy, so a keyed
 * hash (not a slow KDF) is the right check, as for API clients' secrets.
 *
 * Using: one write transaction decides, counts and spends: a lock in force
 * refuses; a code that finds no live row of this owner and actor counts as
 * a failed attempt toward the signing lockout (auth.c's counter, the same
 * thresholds as wrong passphrases); a right code needs the status ISSUE
 * with the session's certificate, spends one use (the row goes with its
 * last) and is audited as sign.authorized with "credential": "signing_session". A
 * successful use does not reset the failure counter (only the passphrase
 * does). The key is unwrapped only after the commit succeeded.
 *
 * A revocation or suspension of the certificate voids its sessions
 * (ra_sign_sessions_void, called by ra_revoke_in_txn); expired rows are
 * deleted when the owner opens a new session and by ra_sign_session_purge.
 */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/nik.h"
#include "ra/ra_int.h"
#include "util/check.h"
#include "util/hex.h"

#define CODE_BYTES 16
#define SESSIONS_MAX 16 /* live sessions per owner */
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define KEY_DER_MAX 8192
#define DENIED_MSG                                                                                 \
    "not authorized: the passphrase or the one-time code is wrong, or the account cannot sign "    \
    "now (passphrase salah); after repeated failures signing is locked - check your mail"
#define BUSY_MSG "the attempt could not be recorded, so nothing was done: try again later"

/* BLAKE2b-256(key = server secret, label || code). */
static void derive(const ra *r, const char *label, const unsigned char code[CODE_BYTES],
                   unsigned char out[32])
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, r->secret, RA_SECRET_LEN, 32);
    crypto_generichash_update(&st, (const unsigned char *)label, strlen(label));
    crypto_generichash_update(&st, code, CODE_BYTES);
    crypto_generichash_final(&st, out, 32);
    sodium_memzero(&st, sizeof(st));
}

static void session_id(const ra *r, const unsigned char code[CODE_BYTES], char id[65])
{
    unsigned char h[32];

    derive(r, "sertel-signsess-id-v1", code, h);
    hex_encode(h, sizeof(h), id);
}

static void make_aad(unsigned char aad[18 + 64 + 8], const char id[65], int64_t account)
{
    int i;

    memcpy(aad, "sertel-signsess-v1", 18);
    memcpy(aad + 18, id, 64);
    for (i = 0; i < 8; i++)
        aad[82 + i] = (unsigned char)((uint64_t)account >> (56 - 8 * i));
}

/* The code as bytes: exactly RA_SIGN_SESSION_CODE_LEN hex digits (either case). */
static int code_parse(const char *code, unsigned char out[CODE_BYTES])
{
    size_t n = 0;

    if (strnlen(code, RA_SIGN_SESSION_CODE_LEN + 1) != RA_SIGN_SESSION_CODE_LEN ||
        hex_decode(code, out, CODE_BYTES, &n) != SERTEL_OK || n != CODE_BYTES)
        return -1;
    return 0;
}

/* Seal the signer's key for (id, account) under the code: *box malloc'ed. */
static int seal_key(EVP_PKEY *key, const unsigned char code[CODE_BYTES], const ra *r,
                    const char id[65], int64_t account, unsigned char **box, size_t *box_len,
                    sertel_err *err)
{
    unsigned char *der = NULL, *b = NULL, kek[32], aad[90];
    unsigned long long clen = 0;
    int derlen, rc = SERTEL_OK;

    *box = NULL;
    *box_len = 0;
    derlen = i2d_PrivateKey(key, &der);
    if (derlen <= 0 || derlen > KEY_DER_MAX) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot encode the owner's key");
        goto out;
    }
    b = malloc(NONCE_LEN + (size_t)derlen + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    if (b == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    derive(r, "sertel-signsess-kek-v1", code, kek);
    make_aad(aad, id, account);
    randombytes_buf(b, NONCE_LEN);
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        b + NONCE_LEN, &clen, der, (unsigned long long)derlen, aad, sizeof(aad), NULL, b, kek);
    *box = b;
    *box_len = NONCE_LEN + (size_t)clen;
    b = NULL;
out:
    sodium_memzero(kek, sizeof(kek));
    if (der != NULL) {
        OPENSSL_cleanse(der, (size_t)derlen);
        OPENSSL_free(der);
    }
    free(b);
    return rc;
}

/* The key in box, or NULL when it does not open (another code, row or account). */
static EVP_PKEY *open_key(const ra *r, const unsigned char code[CODE_BYTES], const char id[65],
                          int64_t account, const unsigned char *box, size_t box_len)
{
    unsigned char kek[32], aad[90], *pt = NULL;
    unsigned long long ptlen = 0;
    const unsigned char *p;
    EVP_PKEY *key = NULL;

    if (box_len < NONCE_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES ||
        box_len > NONCE_LEN + KEY_DER_MAX + crypto_aead_xchacha20poly1305_ietf_ABYTES)
        return NULL;
    pt = sodium_malloc(box_len);
    if (pt == NULL)
        return NULL;
    derive(r, "sertel-signsess-kek-v1", code, kek);
    make_aad(aad, id, account);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &ptlen, NULL, box + NONCE_LEN,
                                                   box_len - NONCE_LEN, aad, sizeof(aad), box,
                                                   kek) == 0) {
        p = pt;
        key = d2i_AutoPrivateKey(NULL, &p, (long)ptlen);
    }
    sodium_memzero(kek, sizeof(kek));
    sodium_free(pt);
    return key;
}

int ra_sign_session_open(ra *r, const ra_actor *by, const char *email, const char *nik,
                         const char *passphrase, const char *otp,
                         char code_out[RA_SIGN_SESSION_CODE_LEN + 1], ra_sign_session_info *info,
                         ra_sign_why *why, sertel_err *err)
{
    unsigned char code[CODE_BYTES], *box = NULL;
    char id[65], serial[41], owner[256] = "";
    size_t box_len = 0;
    ra_signer *sg = NULL;
    store_stmt *s = NULL;
    int64_t now = (int64_t)time(NULL), live = 0, account = 0;
    int rc;

    memset(code_out, 0, RA_SIGN_SESSION_CODE_LEN + 1);
    memset(info, 0, sizeof(*info));
    if (email == NULL && nik == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "name the owner by e-mail or NIK");
    rc = ra_sign_authorize_ex(r, by, email, email != NULL ? NULL : nik, passphrase, otp, &sg, why,
                              err);
    if (rc != SERTEL_OK)
        return rc;
    randombytes_buf(code, sizeof(code));
    session_id(r, code, id);
    if (ca_serial_hex(sg->cert, serial, sizeof(serial)) != SERTEL_OK) {
        rc = sertel_err_set(err, SERTEL_ERR_INTERNAL, "the owner's certificate has no serial");
        goto out;
    }
    if ((rc = seal_key(sg->key, code, r, id, sg->account_id, &box, &box_len, err)) != SERTEL_OK)
        goto out;
    /* The unwrapped key goes now: only the sealed copy stays. */
    account = sg->account_id;
    ra_signer_free(sg);
    sg = NULL;
    if ((rc = ca_txn_begin(r->ca, err)) != SERTEL_OK)
        goto out;
    rc = store_queryf(r->st, &s, err, "SELECT email FROM accounts WHERE id = ?", "i", account);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW)
        snprintf(owner, sizeof(owner), "%s", store_col_text(s, 0));
    store_finalize(s);
    s = NULL;
    rc = rc < 0 ? rc : SERTEL_OK;
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "DELETE FROM sign_sessions WHERE cert_serial = ? AND expires_at <= ?",
                         "ti", serial, now);
    if (rc == SERTEL_OK)
        rc = store_queryf(r->st, &s, err,
                          "SELECT count(*) FROM sign_sessions WHERE cert_serial = ?", "t", serial);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        live = store_col_int64(s, 0);
        rc = SERTEL_OK;
    }
    store_finalize(s);
    if (rc == SERTEL_OK && live >= SESSIONS_MAX)
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "%d signing sessions of this owner are open: use one, or wait until "
                            "they expire",
                            SESSIONS_MAX);
    info->expires_at = now + r->sess_seconds;
    info->uses = r->sess_uses;
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "INSERT INTO sign_sessions (id, account_id, cert_serial, actor, box, "
                         "uses_left, expires_at, created_at) SELECT ?, account_id, cert_serial, ?, "
                         "?, ?, ?, ? FROM subscriber_keys WHERE cert_serial = ?",
                         "ttbiiit", id, ra_actor_name(by), box, box_len, info->uses,
                         info->expires_at, now, serial);
    if (rc == SERTEL_OK && store_changes(r->st) != 1)
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "the owner's key is gone (revoked meanwhile): no session opened");
    if (rc == SERTEL_OK)
        rc = ra_audit_by(r, by, AUDIT_SIGNSESS_OPENED, owner, owner,
                         json_pack("{s:s, s:s, s:I, s:I}", "session", id, "cert_serial", serial,
                                   "expires_at", (json_int_t)info->expires_at, "uses",
                                   (json_int_t)info->uses),
                         err);
    rc = ra_commit_or_rollback(r, rc, err);
    if (rc == SERTEL_OK)
        hex_encode(code, sizeof(code), code_out);
out:
    if (rc != SERTEL_OK)
        memset(info, 0, sizeof(*info));
    ra_signer_free(sg);
    sodium_memzero(code, sizeof(code));
    if (box != NULL) {
        sodium_memzero(box, box_len);
        free(box);
    }
    return rc;
}

/* The live session row for (id, account, actor): found, serial, box (malloc'ed), uses left. */
typedef struct sess_row {
    int found;
    char serial[41];
    unsigned char *box;
    size_t box_len;
    int64_t uses_left;
} sess_row;

static int sess_load(ra *r, const char *id, int64_t account, const char *actor, int64_t now,
                     sess_row *o, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    memset(o, 0, sizeof(*o));
    rc = store_queryf(r->st, &s, err,
                      "SELECT cert_serial, box, uses_left FROM sign_sessions WHERE id = ? AND "
                      "account_id = ? AND actor = ? AND expires_at > ? AND uses_left > 0",
                      "titi", id, account, actor, now);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        size_t n = 0;
        const void *b = store_col_blob(s, 1, &n);
        snprintf(o->serial, sizeof(o->serial), "%s", store_col_text(s, 0));
        o->uses_left = store_col_int64(s, 2);
        if (b != NULL && n > 0 && n < 2 * KEY_DER_MAX && (o->box = malloc(n)) != NULL) {
            memcpy(o->box, b, n);
            o->box_len = n;
            o->found = 1;
        } else if (b != NULL && n > 0 && n < 2 * KEY_DER_MAX) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        }
    }
    store_finalize(s);
    return rc < 0 ? rc : SERTEL_OK;
}

int ra_sign_session_use(ra *r, const ra_actor *by, const char *email, const char *nik,
                        const char *code, ra_signer **out, ra_sign_why *why, sertel_err *err)
{
    unsigned char raw[CODE_BYTES];
    char id[65] = "", tried[256] = "", cur[41] = "", status[16] = "";
    const char *what = "ok";
    ra_person p;
    sess_row row;
    ra_status st = RA_STATUS_NOT_REGISTERED;
    EVP_PKEY *key = NULL;
    ra_signer *sg = NULL;
    sertel_err e = {0};
    int64_t now = (int64_t)time(NULL), failed = 0, locked_until = 0, na = 0;
    int rc, known = 0, locked = 0, counted = 0, soft = 0, hard = 0, code_ok;

    *out = NULL;
    memset(&row, 0, sizeof(row));
    memset(&p, 0, sizeof(p));
    if (why != NULL)
        memset(why, 0, sizeof(*why));
    if (email == NULL && nik == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "name the owner by e-mail or NIK");
    if (email == NULL) {
        if ((rc = ra_email_of_nik(r, nik, tried, sizeof(tried), &e)) != SERTEL_OK) {
            *err = e;
            return rc == SERTEL_ERR_INVALID ? rc : sertel_err_set(err, SERTEL_ERR_BUSY, BUSY_MSG);
        }
    } else {
        snprintf(tried, sizeof(tried), "%s", email);
    }
    rc = ra_person_by_email(r, tried, &p, &e);
    if (rc == SERTEL_OK) {
        ra_target t = {p.account_id, p.agency_id};
        known = 1;
        if ((rc = ra_policy_check(by, RA_ACT_SIGN, &t, err)) != SERTEL_OK)
            return rc;
    } else if (rc != SERTEL_ERR_NOTFOUND) {
        return sertel_err_set(err, SERTEL_ERR_BUSY, BUSY_MSG);
    }
    code_ok = code_parse(code, raw) == 0;
    if (code_ok)
        session_id(r, raw, id);
    if (ca_txn_begin(r->ca, &e) != SERTEL_OK)
        return sertel_err_set(err, SERTEL_ERR_BUSY, BUSY_MSG);
    rc = SERTEL_OK;
    if (!known) {
        what = "unknown_account";
    } else if ((rc = ra_signing_lock_state(r, p.account_id, now, &failed, &locked_until, &locked,
                                           &e)) != SERTEL_OK) {
        goto fail;
    } else if (locked) {
        what = "locked";
    } else {
        if (code_ok &&
            (rc = sess_load(r, id, p.account_id, ra_actor_name(by), now, &row, &e)) != SERTEL_OK)
            goto fail;
        if (!row.found) {
            what = "wrong_session_code";
            rc = ra_signing_count_failure(r, &p, now, failed, locked_until, &failed, &soft, &hard,
                                          &e);
            counted = 1;
        } else if ((rc = ra_status_of_account(r, p.account_id, &st, &e)) == SERTEL_OK &&
                   (rc = ra_current_cert(r, p.account_id, cur, status, &na, &e)) == SERTEL_OK &&
                   (st != RA_STATUS_ISSUE || strcmp(cur, row.serial) != 0)) {
            what = "status_not_issue";
            rc = store_execf(r->st, &e, "DELETE FROM sign_sessions WHERE id = ?", "t", id);
        } else if (rc == SERTEL_OK) {
            rc = store_execf(r->st, &e,
                             "UPDATE sign_sessions SET uses_left = uses_left - 1 WHERE id = ?", "t",
                             id);
            if (rc == SERTEL_OK && row.uses_left <= 1)
                rc = store_execf(r->st, &e, "DELETE FROM sign_sessions WHERE id = ?", "t", id);
        }
        if (rc != SERTEL_OK)
            goto fail;
    }
    {
        json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "result",
                              strcmp(what, "ok") == 0 ? "authorized" : "denied", "why", what,
                              "purpose", "sign", "credential", "signing_session");
        if (d != NULL && counted)
            json_object_set_new(d, "failed_in_a_row", json_integer(failed));
        if (d != NULL && strcmp(what, "ok") == 0) {
            json_object_set_new(d, "session", json_string(id));
            json_object_set_new(d, "uses_left", json_integer(row.uses_left - 1));
        }
        rc = ra_audit_by(r, by, strcmp(what, "ok") == 0 ? AUDIT_SIGN_AUTHORIZED : AUDIT_SIGN_DENIED,
                         known ? p.email : tried, known ? p.email : NULL, d, &e);
    }
    if (rc != SERTEL_OK || ca_txn_commit(r->ca, &e) != SERTEL_OK)
        goto fail;
    if (soft || hard)
        ra_signing_lock_mail(r, &p, failed, hard);
    if (strcmp(what, "ok") != 0) {
        if (why != NULL) {
            why->refusal = strcmp(what, "locked") == 0 ? RA_REFUSAL_LOCKED
                           : strcmp(what, "status_not_issue") == 0 && st != RA_STATUS_ISSUE
                               ? RA_REFUSAL_STATUS
                               : RA_REFUSAL_CREDENTIALS;
            why->status = st;
            why->retry_after = locked == 2 ? 0 : locked_until > now ? locked_until - now : 1;
        }
        rc = sertel_err_set(err, SERTEL_ERR_DENIED, DENIED_MSG);
        goto out;
    }
    /* Spent and audited: now, and only now, the key is unwrapped, for this request. */
    key = open_key(r, raw, id, p.account_id, row.box, row.box_len);
    sg = calloc(1, sizeof(*sg));
    if (key == NULL || sg == NULL) {
        rc = key == NULL ? sertel_err_set(err, SERTEL_ERR_TAMPERED,
                                          "a signing session does not open with this home's "
                                          "server secret (changed in the store)")
                         : sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    sg->account_id = p.account_id;
    if ((rc = ra_signer_chain(r, row.serial, sg, &e)) != SERTEL_OK) {
        rc = sertel_err_set(err, SERTEL_ERR_BUSY, BUSY_MSG);
        goto out;
    }
    sg->key = key;
    key = NULL;
    *out = sg;
    sg = NULL;
    rc = SERTEL_OK;
    goto out;
fail:
    ca_txn_rollback(r->ca);
    rc = sertel_err_set(err, SERTEL_ERR_BUSY, BUSY_MSG);
out:
    EVP_PKEY_free(key);
    ra_signer_free(sg);
    sodium_memzero(raw, sizeof(raw));
    if (row.box != NULL) {
        sodium_memzero(row.box, row.box_len);
        free(row.box);
    }
    return rc;
}

int ra_sign_sessions_void(ra *r, const char *actor, const char *serial, const char *why,
                          sertel_err *err)
{
    int rc =
        store_execf(r->st, err, "DELETE FROM sign_sessions WHERE cert_serial = ?", "t", serial);
    int64_t n = rc == SERTEL_OK ? store_changes(r->st) : 0;

    if (rc == SERTEL_OK && n > 0)
        rc = ra_audit_json(
            r, actor, AUDIT_SIGNSESS_VOIDED, serial,
            json_pack("{s:s, s:I, s:s}", "cert_serial", serial, "count", (json_int_t)n, "why", why),
            err);
    return rc;
}

int ra_sign_session_purge(ra *r, int64_t now, size_t *n, sertel_err *err)
{
    int64_t k;
    int rc;

    if (n != NULL)
        *n = 0;
    /* A read first: most ticks find nothing, and take no write lock for it. */
    if ((rc = ra_count_expired(r, "sign_sessions", now, &k, err)) != SERTEL_OK || k == 0)
        return rc;
    if ((rc = ca_txn_begin(r->ca, err)) != SERTEL_OK)
        return rc;
    rc = store_execf(r->st, err, "DELETE FROM sign_sessions WHERE expires_at <= ?", "i", now);
    k = rc == SERTEL_OK ? store_changes(r->st) : 0;
    if (rc == SERTEL_OK && k > 0)
        rc = ra_audit_json(r, "system", AUDIT_SIGNSESS_EXPIRED, "sign_sessions",
                           json_pack("{s:I}", "count", (json_int_t)k), err);
    if (rc == SERTEL_OK && k == 0) {
        ca_txn_rollback(r->ca); /* nothing to record */
        return SERTEL_OK;
    }
    rc = ra_commit_or_rollback(r, rc, err);
    if (rc == SERTEL_OK && n != NULL)
        *n = (size_t)k;
    return rc;
}
