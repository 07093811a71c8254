/*
 * keys.c - owners' private keys: created on the server when the owner sets
 * the passphrase, kept encrypted, unlocked only for a signing operation
 * (PP 71/2019 art. 59-64: signature-creation data under the signer's sole
 * control; two authentication factors when the provider holds the key).
 *
 * Encryption at rest:
 *   k1  = Argon2id(passphrase, salt; passes and memory from [signing])
 *   kek = BLAKE2b-256(key = server secret, "sertel-subscriber-kek-v1" || k1)
 *   ct  = XChaCha20-Poly1305(kek, nonce, PKCS#8 DER,
 *                            aad = "sertel-key-v1" || key id || account id)
 * The server secret lives outside the database (<home>/private/
 * subscriber.secret), so a stolen sertel.db alone does not allow guessing
 * passphrases offline; the AAD binds a ciphertext to its owner and row.
 *
 * A wrong passphrase and an unknown account take the same path (one
 * Argon2id and one decryption attempt) and give the same answer.
 */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/nik.h"
#include "ra/ra_int.h"
#include "ra/totp.h"
#include "util/fs.h"
#include "util/hex.h"

#define PASSPHRASE_MIN 8
#define PASSPHRASE_MAX 1024
#define SALT_LEN crypto_pwhash_SALTBYTES
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define KEY_DER_MAX 8192
#define EMAIL_OTP_TTL 300
#define DENIED_MSG "the passphrase or the account is wrong (passphrase salah)"

static void make_aad(unsigned char aad[29], int64_t key_id, int64_t account_id)
{
    int i;

    memcpy(aad, "sertel-key-v1", 13);
    for (i = 0; i < 8; i++) {
        aad[13 + i] = (unsigned char)((uint64_t)key_id >> (56 - 8 * i));
        aad[21 + i] = (unsigned char)((uint64_t)account_id >> (56 - 8 * i));
    }
}

/* kek from passphrase, salt and the server secret. kek is secure memory. */
static int derive_kek(ra *r, const char *pass, const unsigned char *salt, int64_t ops, int64_t mem,
                      unsigned char kek[32], sertel_err *err)
{
    unsigned char k1[32];
    crypto_generichash_state st;

    if (crypto_pwhash(k1, sizeof(k1), pass, strlen(pass), salt, (unsigned long long)ops,
                      (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return sertel_err_set(err, SERTEL_ERR_NOMEM,
                              "Argon2id failed: not enough memory for [signing] "
                              "argon2_memory_kib");
    crypto_generichash_init(&st, r->secret, RA_SECRET_LEN, 32);
    crypto_generichash_update(&st, (const unsigned char *)"sertel-subscriber-kek-v1", 24);
    crypto_generichash_update(&st, k1, sizeof(k1));
    crypto_generichash_final(&st, kek, 32);
    sodium_memzero(k1, sizeof(k1));
    sodium_memzero(&st, sizeof(st));
    return SERTEL_OK;
}

static int check_passphrase(const char *p, sertel_err *err)
{
    size_t n = strlen(p);

    if (n < PASSPHRASE_MIN)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the passphrase is too short: use at least %d characters",
                              PASSPHRASE_MIN);
    if (n > PASSPHRASE_MAX)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the passphrase is longer than %d bytes",
                              PASSPHRASE_MAX);
    return SERTEL_OK;
}

static EVP_PKEY *generate_key(ks_keytype t)
{
    switch (t) {
    case KS_KEY_EC_P256:
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    case KS_KEY_EC_P384:
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    case KS_KEY_RSA_2048:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    case KS_KEY_RSA_3072:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
    case KS_KEY_RSA_4096:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
    }
    return NULL;
}

/* Encrypt pkey for (key_id, account) and insert the row. */
static int store_key(ra *r, int64_t key_id, int64_t account, const char *serial, const char *pass,
                     EVP_PKEY *pkey, sertel_err *err)
{
    unsigned char salt[SALT_LEN], nonce[NONCE_LEN], aad[29];
    unsigned char *kek = NULL, *der = NULL, *ct = NULL;
    unsigned long long ctlen = 0;
    int derlen = -1, rc;

    randombytes_buf(salt, sizeof(salt));
    randombytes_buf(nonce, sizeof(nonce));
    kek = sodium_malloc(32);
    if (kek == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of secure memory");
    rc = derive_kek(r, pass, salt, r->argon_ops, r->argon_mem, kek, err);
    if (rc != SERTEL_OK)
        goto out;
    derlen = i2d_PrivateKey(pkey, &der);
    if (derlen <= 0) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot encode the new key");
        goto out;
    }
    ct = malloc((size_t)derlen + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    if (ct == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    make_aad(aad, key_id, account);
    crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ctlen, der, (unsigned long long)derlen, aad,
                                               sizeof(aad), NULL, nonce, kek);
    rc = store_execf(r->st, err,
                     "INSERT INTO subscriber_keys (id, account_id, cert_serial, key_type, salt, "
                     "nonce, ciphertext, opslimit, memlimit, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     "iittbbbiii", key_id, account, serial, r->subscriber_key_type, salt,
                     sizeof(salt), nonce, sizeof(nonce), ct, (size_t)ctlen, r->argon_ops,
                     r->argon_mem, (int64_t)time(NULL));
out:
    if (der != NULL) {
        OPENSSL_cleanse(der, (size_t)derlen);
        OPENSSL_free(der);
    }
    free(ct);
    sodium_free(kek);
    return rc;
}

int ra_key_destroy_for_cert(ra *r, const char *serial, const char *why, const char *actor,
                            sertel_err *err)
{
    store_stmt *s = NULL;
    size_t len = 0;
    unsigned char *zeros = NULL;
    char details[128];
    int rc, found = 0;

    rc = store_queryf(r->st, &s, err,
                      "SELECT length(ciphertext) FROM subscriber_keys WHERE cert_serial = ?", "t",
                      serial);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            found = 1;
            len = (size_t)store_col_int64(s, 0);
        }
        rc = rc < 0 ? rc : SERTEL_OK;
    }
    store_finalize(s);
    if (rc != SERTEL_OK || !found)
        return rc; /* no key held (e.g. a CSR-issued certificate) */
    zeros = calloc(1, len ? len : 1);
    if (zeros == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    /* Overwrite, then delete; secure_delete zeroes the freed pages too. */
    rc = store_execf(r->st, err,
                     "UPDATE subscriber_keys SET ciphertext = ?, salt = ?, nonce = ? "
                     "WHERE cert_serial = ?",
                     "bbbt", zeros, len, zeros, (size_t)SALT_LEN, zeros, (size_t)NONCE_LEN, serial);
    free(zeros);
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err, "DELETE FROM subscriber_keys WHERE cert_serial = ?", "t",
                         serial);
    if (rc == SERTEL_OK) {
        snprintf(details, sizeof(details), "{\"certificate\":\"%s\",\"why\":\"%s\"}", serial, why);
        rc = ra_audit(r, actor, "key.destroyed", serial, details, err);
    }
    return rc;
}

/* Subscriber details needed to issue. */
static int load_person(ra *r, int64_t account, char *email, char *name, char *unit, char *agency,
                       sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    rc = store_queryf(r->st, &s, err,
                      "SELECT a.email, a.name, s.unit, g.name FROM accounts a "
                      "JOIN subscribers s ON s.account_id = a.id "
                      "JOIN agencies g ON g.id = a.agency_id WHERE a.id = ?",
                      "i", account);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            snprintf(email, 256, "%s", store_col_text(s, 0));
            snprintf(name, 256, "%s", store_col_text(s, 1));
            snprintf(unit, 256, "%s", store_col_text(s, 2));
            snprintf(agency, 256, "%s", store_col_text(s, 3));
            rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "the applicant's record is missing");
        }
    }
    store_finalize(s);
    return rc;
}

int ra_passphrase_create(ra *r, const char *token, const char *passphrase, char *serial_out,
                         sertel_err *err)
{
    int64_t account = 0, app = 0, key_id = 0;
    char email[256], name[256], unit[256], agency[256], kind[16] = "", old[41] = "";
    char serial[41], details[256], body[1024];
    ks_keytype kt;
    EVP_PKEY *pkey = NULL;
    X509 *x = NULL;
    ca_issue_req req;
    store_stmt *s = NULL;
    int rc;

    if ((rc = check_passphrase(passphrase, err)) != SERTEL_OK)
        return rc;
    if (ks_keytype_parse(r->subscriber_key_type, &kt) != SERTEL_OK ||
        (pkey = generate_key(kt)) == NULL)
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot generate the key pair");
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        goto done;
    if ((rc = ra_token_consume(r, "passphrase", token, &account, &app, err)) != SERTEL_OK)
        goto out;
    rc = store_queryf(r->st, &s, err,
                      "SELECT kind, state, cert_serial FROM applications WHERE id = ?", "i", app);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        snprintf(kind, sizeof(kind), "%s", store_col_text(s, 0));
        rc = strcmp(store_col_text(s, 1), "approved") == 0
                 ? SERTEL_OK
                 : sertel_err_set(err, SERTEL_ERR_STATE,
                                  "application #%lld is %s, not approved: no passphrase can be "
                                  "created for it",
                                  (long long)app, store_col_text(s, 1));
        snprintf(old, sizeof(old), "%s", store_col_text(s, 2));
    } else if (rc == STORE_DONE) {
        rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "the token's application is gone");
    }
    store_finalize(s);
    s = NULL;
    if (rc != SERTEL_OK)
        goto out;
    if ((rc = load_person(r, account, email, name, unit, agency, err)) != SERTEL_OK)
        goto out;
    memset(&req, 0, sizeof(req));
    req.profile = "document-signing";
    req.pubkey = pkey;
    req.subject.org = agency;
    req.subject.unit = unit;
    req.subject.name = name;
    req.subject.email = email;
    req.actor = email;
    req.account_id = account;
    if ((rc = ca_sign_cert(r->ca, &req, &x, err)) != SERTEL_OK ||
        (rc = ca_record_issued(r->ca, x, &req, err)) != SERTEL_OK ||
        (rc = ca_serial_hex(x, serial, sizeof(serial))) != SERTEL_OK ||
        (rc = ra_next_id(r, "subscriber_keys", &key_id, err)) != SERTEL_OK ||
        (rc = store_key(r, key_id, account, serial, passphrase, pkey, err)) != SERTEL_OK)
        goto out;
    rc = store_execf(r->st, err,
                     "UPDATE applications SET state = 'completed', cert_serial = ?, "
                     "updated_at = ? WHERE id = ?",
                     "tii", serial, (int64_t)time(NULL), app);
    /* Renewal: the old certificate is superseded and its key destroyed. */
    if (rc == SERTEL_OK && strcmp(kind, "renewal") == 0 && old[0]) {
        rc = ca_revoke_in_txn(r->ca, old, CA_REASON_SUPERSEDED, email, err);
        if (rc == SERTEL_ERR_STATE)
            rc = SERTEL_OK; /* already revoked meanwhile: nothing to supersede */
        if (rc == SERTEL_OK)
            rc = ra_key_destroy_for_cert(r, old, "superseded", email, err);
    }
    if (rc == SERTEL_OK) {
        snprintf(details, sizeof(details),
                 "{\"application\":%lld,\"certificate\":\"%s\",\"key_type\":\"%s\"}",
                 (long long)app, serial, r->subscriber_key_type);
        rc = ra_audit(r, email, "key.created", serial, details, err);
    }
    if (rc == SERTEL_OK) {
        snprintf(body, sizeof(body),
                 "Yth. %s,\r\n\r\nSertifikat elektronik Anda telah terbit (nomor seri %s). "
                 "Gunakan passphrase Anda untuk menandatangani dokumen; jangan pernah "
                 "memberikannya kepada orang lain.\r\n\r\nYour electronic certificate %s has "
                 "been issued.\r\n",
                 name, serial, serial);
        rc = ra_mail(r, email, "Sertifikat elektronik terbit", body, err);
    }
out:
    if (rc == SERTEL_OK) {
        rc = ca_txn_commit(r->ca, err);
        if (rc == SERTEL_OK && serial_out)
            memcpy(serial_out, serial, strlen(serial) + 1);
    } else {
        ca_txn_rollback(r->ca);
    }
done:
    X509_free(x);
    EVP_PKEY_free(pkey);
    return rc;
}

void ra_signer_free(ra_signer *s)
{
    if (s == NULL)
        return;
    EVP_PKEY_free(s->key);
    X509_free(s->cert);
    sk_X509_pop_free(s->chain, X509_free);
    free(s);
}

/* Everything sign authorization needs about an owner. */
typedef struct owner {
    int found;
    int64_t account;
    int64_t failed, locked_until, hard_locked, totp_last;
    unsigned char totp[64];
    size_t totp_len;
    char serial[41];
    int64_t key_id, ops, mem;
    unsigned char salt[SALT_LEN], nonce[NONCE_LEN];
    unsigned char *ct;
    size_t ctlen;
} owner;

static int load_owner(ra *r, const char *email, owner *o, sertel_err *err)
{
    store_stmt *s = NULL;
    const void *b;
    size_t n;
    int rc;

    rc = store_queryf(r->st, &s, err,
                      "SELECT a.id, s.failed_attempts, s.locked_until, s.hard_locked, "
                      "s.totp_secret, s.totp_last_step FROM accounts a "
                      "JOIN subscribers s ON s.account_id = a.id WHERE a.email = lower(?)",
                      "t", email);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        o->found = 1;
        o->account = store_col_int64(s, 0);
        o->failed = store_col_int64(s, 1);
        o->locked_until = store_col_int64(s, 2);
        o->hard_locked = store_col_int64(s, 3);
        b = store_col_blob(s, 4, &n);
        if (b != NULL && n <= sizeof(o->totp)) {
            memcpy(o->totp, b, n);
            o->totp_len = n;
        }
        o->totp_last = store_col_int64(s, 5);
    }
    store_finalize(s);
    s = NULL;
    if (rc < 0 || !o->found)
        return rc < 0 ? rc : SERTEL_OK;
    /* The key of the newest valid certificate. */
    rc = store_queryf(r->st, &s, err,
                      "SELECT k.id, k.cert_serial, k.salt, k.nonce, k.ciphertext, k.opslimit, "
                      "k.memlimit FROM subscriber_keys k JOIN certificates c ON c.serial = "
                      "k.cert_serial WHERE k.account_id = ? ORDER BY c.created_at DESC",
                      "i", o->account);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        o->key_id = store_col_int64(s, 0);
        snprintf(o->serial, sizeof(o->serial), "%s", store_col_text(s, 1));
        b = store_col_blob(s, 2, &n);
        if (b && n == SALT_LEN)
            memcpy(o->salt, b, n);
        b = store_col_blob(s, 3, &n);
        if (b && n == NONCE_LEN)
            memcpy(o->nonce, b, n);
        b = store_col_blob(s, 4, &n);
        if (b && n > 0 && n < KEY_DER_MAX && (o->ct = malloc(n)) != NULL) {
            memcpy(o->ct, b, n);
            o->ctlen = n;
        }
        o->ops = store_col_int64(s, 5);
        o->mem = store_col_int64(s, 6);
    }
    store_finalize(s);
    return rc < 0 ? rc : SERTEL_OK;
}

/* Decrypt the owner's key; NULL on a wrong passphrase (or a dummy owner). */
static EVP_PKEY *unlock_key(ra *r, const owner *o, const char *pass, sertel_err *err)
{
    unsigned char *kek = sodium_malloc(32), *pt = NULL, aad[29];
    static const unsigned char dummy_ct[crypto_aead_xchacha20poly1305_ietf_ABYTES + 64];
    unsigned long long ptlen = 0;
    const unsigned char *p;
    EVP_PKEY *k = NULL;
    int have = o->found && o->ct != NULL;
    int64_t ops = have ? o->ops : r->argon_ops, mem = have ? o->mem : r->argon_mem;

    if (kek == NULL)
        return NULL;
    if (ops < 1 || mem < 8192 || mem > (int64_t)4 << 30) /* damaged row: still spend the time */
        ops = r->argon_ops, mem = r->argon_mem;
    if (derive_kek(r, pass, o->salt, ops, mem, kek, err) != SERTEL_OK)
        goto out;
    pt = sodium_malloc(have ? o->ctlen : sizeof(dummy_ct));
    if (pt == NULL)
        goto out;
    make_aad(aad, o->key_id, o->account);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &ptlen, NULL, have ? o->ct : dummy_ct,
                                                   have ? o->ctlen : sizeof(dummy_ct), aad,
                                                   sizeof(aad), o->nonce, kek) == 0 &&
        have) {
        p = pt;
        k = d2i_AutoPrivateKey(NULL, &p, (long)ptlen);
    }
out:
    if (pt != NULL)
        sodium_free(pt);
    sodium_free(kek);
    return k;
}

static int load_chain(ra *r, const char *serial, ra_signer *sg, sertel_err *err)
{
    ca_cert_record rec;
    const unsigned char *p;
    int rc = ca_cert_get(r->ca, serial, &rec, err);

    if (rc != SERTEL_OK)
        return rc;
    p = rec.der;
    sg->cert = d2i_X509(NULL, &p, (long)rec.der_len);
    ca_cert_record_clear(&rec);
    sg->chain = sk_X509_new_null();
    if (sg->cert == NULL || sg->chain == NULL ||
        !sk_X509_push(sg->chain, X509_dup(ca_get0_issuing_cert(r->ca))) ||
        !sk_X509_push(sg->chain, X509_dup(ca_get0_root_cert(r->ca))))
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot load the certificate chain");
    return SERTEL_OK;
}

/* Record the outcome of an attempt in its own transaction. */
static int record_attempt(ra *r, const owner *o, const char *email, int ok, const char *why,
                          int64_t totp_step, sertel_err *err)
{
    int64_t now = (int64_t)time(NULL), failed, locked_until, hard;
    char details[192], esc[300];
    int rc = store_begin(r->st, err);

    if (rc != SERTEL_OK)
        return rc;
    if (o->found) {
        failed = ok ? 0 : o->failed + 1;
        locked_until = o->locked_until;
        hard = o->hard_locked;
        if (!ok && failed >= r->lock_hard)
            hard = 1;
        else if (!ok && failed % r->lock_soft == 0)
            locked_until = now + r->lock_seconds;
        rc = store_execf(r->st, err,
                         "UPDATE subscribers SET failed_attempts = ?, locked_until = ?, "
                         "hard_locked = ?, totp_last_step = ? WHERE account_id = ?",
                         "iiiii", failed, locked_until, hard,
                         totp_step > o->totp_last ? totp_step : o->totp_last, o->account);
        snprintf(details, sizeof(details),
                 "{\"result\":\"%s\",\"why\":\"%s\",\"failed_in_a_row\":%lld%s}",
                 ok ? "authorized" : "denied", why, (long long)failed,
                 hard && !o->hard_locked           ? ",\"locked\":\"until unlocked\""
                 : locked_until != o->locked_until ? ",\"locked\":\"temporarily\""
                                                   : "");
    } else {
        snprintf(details, sizeof(details), "{\"result\":\"denied\",\"why\":\"%s\"}", why);
    }
    ra_json_escape(email, esc, sizeof(esc));
    if (rc == SERTEL_OK)
        rc = ra_audit(r, esc, ok ? "sign.authorized" : "sign.denied", esc, details, err);
    if (rc == SERTEL_OK)
        return ca_txn_commit(r->ca, err);
    store_rollback(r->st);
    return rc;
}

/* Check a one-time code: TOTP, or an e-mailed code (consumed). */
static int check_otp(ra *r, owner *o, const char *otp, int64_t *step, sertel_err *err)
{
    uint64_t matched = 0;

    *step = 0;
    if (strcmp(r->second_factor, "off") == 0)
        return SERTEL_OK;
    if (otp == NULL || *otp == '\0')
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "a one-time code is required (--otp): from your authenticator "
                              "app (totp) or the mail sent by 'sertel otp send' (email)");
    if (strcmp(r->second_factor, "totp") == 0) {
        if (o->totp_len == 0)
            return sertel_err_set(err, SERTEL_ERR_STATE,
                                  "no authenticator is enrolled: run 'sertel totp enroll' first");
        if (totp_verify(o->totp, o->totp_len, otp, (uint64_t)time(NULL), 1, (uint64_t)o->totp_last,
                        &matched) != SERTEL_OK)
            return sertel_err_set(err, SERTEL_ERR_DENIED, "the one-time code is wrong or used");
        *step = (int64_t)matched;
        return SERTEL_OK;
    }
    /* email: the code is a single-use token of purpose email_otp. */
    {
        int64_t acct = 0;
        char tok[2 * RA_TOKEN_BYTES + 1];
        unsigned char md[32];
        int rc;

        /* Codes are 8 digits; the stored token is SHA-256(account:code) in hex. */
        if (strlen(otp) != 8 || strspn(otp, "0123456789") != 8)
            return sertel_err_set(err, SERTEL_ERR_DENIED, "the one-time code is wrong or used");
        snprintf(tok, sizeof(tok), "%lld:%s", (long long)o->account, otp);
        EVP_Digest(tok, strlen(tok), md, NULL, EVP_sha256(), NULL);
        hex_encode(md, sizeof(md), tok);
        rc = store_begin(r->st, err);
        if (rc == SERTEL_OK)
            rc = ra_token_consume(r, "email_otp", tok, &acct, NULL, err);
        if (rc == SERTEL_OK && acct != o->account)
            rc = SERTEL_ERR_DENIED;
        if (rc == SERTEL_OK)
            rc = ca_txn_commit(r->ca, err);
        else
            store_rollback(r->st);
        sodium_memzero(tok, sizeof(tok));
        if (rc != SERTEL_OK)
            return sertel_err_set(err, SERTEL_ERR_DENIED,
                                  "the one-time code is wrong, used or "
                                  "expired");
        return SERTEL_OK;
    }
}

int ra_sign_authorize(ra *r, const char *email, const char *passphrase, const char *otp,
                      ra_signer **out, sertel_err *err)
{
    owner o;
    ra_status status = RA_STATUS_NOT_REGISTERED;
    ra_signer *sg = NULL;
    EVP_PKEY *k = NULL;
    int64_t step = 0, now = (int64_t)time(NULL);
    char nik[17] = "";
    store_stmt *s = NULL;
    int rc;

    *out = NULL;
    memset(&o, 0, sizeof(o));
    rc = load_owner(r, email, &o, err);
    if (rc != SERTEL_OK)
        goto out;
    if (o.found && o.hard_locked) {
        (void)record_attempt(r, &o, email, 0, "locked", 0, NULL);
        rc = sertel_err_set(err, SERTEL_ERR_DENIED,
                            "signing is locked after too many wrong passphrases: ask your "
                            "verifier to unlock it");
        goto out;
    }
    if (o.found && o.locked_until > now) {
        (void)record_attempt(r, &o, email, 0, "locked", 0, NULL);
        rc = sertel_err_set(err, SERTEL_ERR_DENIED,
                            "signing is locked for %lld more minutes after repeated wrong "
                            "passphrases",
                            (long long)((o.locked_until - now + 59) / 60));
        goto out;
    }
    /* Same work for unknown accounts and wrong passphrases. */
    k = unlock_key(r, &o, passphrase, err);
    if (k == NULL) {
        (void)record_attempt(r, &o, email, 0, o.found ? "wrong_passphrase" : "unknown_account", 0,
                             NULL);
        rc = sertel_err_set(err, SERTEL_ERR_DENIED, DENIED_MSG);
        goto out;
    }
    /* Only ISSUE may sign (a suspended, revoked or expired certificate may not). */
    rc = store_queryf(r->st, &s, err, "SELECT nik FROM subscribers WHERE account_id = ?", "i",
                      o.account);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        snprintf(nik, sizeof(nik), "%s", store_col_text(s, 0));
        rc = SERTEL_OK;
    }
    store_finalize(s);
    if (rc == SERTEL_OK)
        rc = ra_status_by_nik(r, nik, &status, err);
    if (rc != SERTEL_OK)
        goto out;
    if (status != RA_STATUS_ISSUE) {
        (void)record_attempt(r, &o, email, 1, "status_not_issue", 0, NULL);
        rc = sertel_err_set(err, SERTEL_ERR_STATE,
                            "the certificate may not sign: its status is %s (only ISSUE may "
                            "sign)",
                            ra_status_name(status));
        goto out;
    }
    rc = check_otp(r, &o, otp, &step, err);
    if (rc != SERTEL_OK) {
        sertel_err e2 = {0};
        (void)record_attempt(r, &o, email, 0, "wrong_second_factor", 0, &e2);
        goto out;
    }
    sg = calloc(1, sizeof(*sg));
    if (sg == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    sg->account_id = o.account;
    if ((rc = load_chain(r, o.serial, sg, err)) != SERTEL_OK ||
        (rc = record_attempt(r, &o, email, 1, "ok", step, err)) != SERTEL_OK)
        goto out;
    sg->key = k;
    k = NULL;
    *out = sg;
    sg = NULL;
out:
    EVP_PKEY_free(k);
    ra_signer_free(sg);
    free(o.ct);
    sodium_memzero(&o, sizeof(o));
    return rc;
}

int ra_totp_enroll(ra *r, const char *email, const char *passphrase, char *uri_out, size_t cap,
                   sertel_err *err)
{
    owner o;
    EVP_PKEY *k;
    unsigned char secret[20];
    int rc;

    memset(&o, 0, sizeof(o));
    rc = load_owner(r, email, &o, err);
    if (rc != SERTEL_OK)
        goto out;
    k = unlock_key(r, &o, passphrase, err);
    if (k == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_DENIED, DENIED_MSG);
        goto out;
    }
    EVP_PKEY_free(k);
    rc = totp_generate_secret(secret, sizeof(secret));
    if (rc != SERTEL_OK) {
        sertel_err_set(err, rc, "cannot generate a TOTP secret");
        goto out;
    }
    rc = totp_uri("sertel", email, secret, sizeof(secret), uri_out, cap, err);
    if (rc != SERTEL_OK)
        goto out;
    rc = store_begin(r->st, err);
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "UPDATE subscribers SET totp_secret = ?, totp_last_step = 0 "
                         "WHERE account_id = ?",
                         "bi", secret, sizeof(secret), o.account);
    if (rc == SERTEL_OK)
        rc = ra_audit(r, email, "totp.enrolled", email, NULL, err);
    if (rc == SERTEL_OK)
        rc = ca_txn_commit(r->ca, err);
    else
        store_rollback(r->st);
out:
    sodium_memzero(secret, sizeof(secret));
    free(o.ct);
    sodium_memzero(&o, sizeof(o));
    return rc;
}

int ra_email_otp_send(ra *r, const char *email, sertel_err *err)
{
    owner o;
    char code[9], tok[2 * RA_TOKEN_BYTES + 1], hash[65], body[512];
    unsigned char md[32];
    int64_t now = (int64_t)time(NULL);
    int rc;

    memset(&o, 0, sizeof(o));
    rc = load_owner(r, email, &o, err);
    free(o.ct);
    if (rc != SERTEL_OK)
        return rc;
    if (!o.found)
        return SERTEL_OK; /* same answer for unknown accounts; nothing is sent */
    snprintf(code, sizeof(code), "%08u", randombytes_uniform(100000000u));
    snprintf(tok, sizeof(tok), "%lld:%s", (long long)o.account, code);
    EVP_Digest(tok, strlen(tok), md, NULL, EVP_sha256(), NULL);
    hex_encode(md, sizeof(md), tok);
    /* ra_token_consume hashes what it is given: store the hash of tok. */
    EVP_Digest(tok, strlen(tok), md, NULL, EVP_sha256(), NULL);
    hex_encode(md, sizeof(md), hash);
    rc = store_begin(r->st, err);
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "INSERT INTO tokens (hash, purpose, account_id, expires_at, created_at) "
                         "VALUES (?, 'email_otp', ?, ?, ?)",
                         "tiii", hash, o.account, now + EMAIL_OTP_TTL, now);
    snprintf(body, sizeof(body),
             "Kode sekali pakai untuk tanda tangan elektronik: %s\r\nBerlaku 5 menit. Jangan "
             "berikan kode ini kepada siapa pun.\r\n\r\nYour one-time signing code: %s (valid 5 "
             "minutes).\r\n",
             code, code);
    if (rc == SERTEL_OK)
        rc = ra_mail(r, email, "Kode tanda tangan elektronik", body, err);
    if (rc == SERTEL_OK)
        rc = ra_audit(r, email, "otp.sent", email, NULL, err);
    if (rc == SERTEL_OK)
        rc = ca_txn_commit(r->ca, err);
    else
        store_rollback(r->st);
    sodium_memzero(code, sizeof(code));
    sodium_memzero(tok, sizeof(tok));
    sodium_memzero(body, sizeof(body));
    return rc;
}

int ra_unlock(ra *r, const ra_actor *by, const char *email, sertel_err *err)
{
    store_stmt *s = NULL;
    int64_t account = 0, agency = 0;
    int rc;

    rc = store_queryf(r->st, &s, err,
                      "SELECT a.id, a.agency_id FROM accounts a JOIN subscribers s ON "
                      "s.account_id = a.id WHERE a.email = lower(?)",
                      "t", email);
    if (rc == SERTEL_OK) {
        rc = store_step(s, err);
        if (rc == STORE_ROW) {
            account = store_col_int64(s, 0);
            agency = store_col_int64(s, 1);
            rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "%s is not registered", email);
        }
    }
    store_finalize(s);
    if (rc != SERTEL_OK)
        return rc;
    if (strcmp(by->role, RA_ROLE_ADMIN) != 0 &&
        !(strcmp(by->role, RA_ROLE_VERIFIER) == 0 && by->agency_id == agency))
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "only a verifier of %s's agency or an administrator unlocks "
                              "signing",
                              email);
    if (by->account_id != 0 && by->account_id == account)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "you may not unlock your own signing: ask another verifier");
    rc = store_begin(r->st, err);
    if (rc == SERTEL_OK)
        rc = store_execf(r->st, err,
                         "UPDATE subscribers SET failed_attempts = 0, locked_until = 0, "
                         "hard_locked = 0 WHERE account_id = ?",
                         "i", account);
    if (rc == SERTEL_OK)
        rc = ra_audit(r, by->email, "sign.unlocked", email, NULL, err);
    if (rc == SERTEL_OK)
        return ca_txn_commit(r->ca, err);
    store_rollback(r->st);
    return rc;
}

int ra_sign_authorize_nik(ra *r, const char *nik, const char *passphrase, const char *otp,
                          ra_signer **out, sertel_err *err)
{
    char email[320] = "unknown NIK"; /* no account has it: the unknown-account path */
    store_stmt *s = NULL;
    int rc;

    *out = NULL;
    if ((rc = nik_check(nik, NULL, err)) != SERTEL_OK)
        return rc;
    rc = store_queryf(r->st, &s, err,
                      "SELECT a.email FROM subscribers b JOIN accounts a ON a.id = b.account_id "
                      "WHERE b.nik = ?",
                      "t", nik);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        snprintf(email, sizeof(email), "%s", store_col_text(s, 0));
        rc = SERTEL_OK;
    } else if (rc == STORE_DONE) {
        rc = SERTEL_OK;
    }
    store_finalize(s);
    if (rc != SERTEL_OK)
        return rc;
    /* An unknown NIK does the same work and gets the same answer as a wrong passphrase. */
    return ra_sign_authorize(r, email, passphrase, otp, out, err);
}
