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
 * Argon2id and one decryption attempt) and give the same answer; deciding
 * who may try, and counting the tries, is auth.c's.
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

static void make_aad(unsigned char aad[29], int64_t key_id, int64_t account_id)
{
    int i;

    memcpy(aad, "sertel-key-v1", 13);
    for (i = 0; i < 8; i++) {
        aad[13 + i] = (unsigned char)((uint64_t)key_id >> (56 - 8 * i));
        aad[21 + i] = (unsigned char)((uint64_t)account_id >> (56 - 8 * i));
    }
}

#ifdef SERTEL_FAULT_INJECTION
atomic_long ra_test_kdf_calls;
#endif

/* kek from passphrase, salt and the server secret. kek is secure memory. */
static int derive_kek(ra *r, const char *pass, const unsigned char *salt, int64_t ops, int64_t mem,
                      unsigned char kek[32], sertel_err *err)
{
    unsigned char k1[32];
    crypto_generichash_state st;

#ifdef SERTEL_FAULT_INJECTION
    atomic_fetch_add(&ra_test_kdf_calls, 1);
#endif
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
static int store_key(ra *r, int64_t key_id, int64_t account, const char *serial, int64_t not_after,
                     const char *pass, EVP_PKEY *pkey, sertel_err *err)
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
                     "nonce, ciphertext, opslimit, memlimit, created_at, not_after) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     "iittbbbiiii", key_id, account, serial, r->subscriber_key_type, salt,
                     sizeof(salt), nonce, sizeof(nonce), ct, (size_t)ctlen, r->argon_ops,
                     r->argon_mem, (int64_t)time(NULL), not_after);
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
    if (rc == SERTEL_OK)
        rc = ra_audit_json(r, actor, AUDIT_KEY_DESTROYED, serial,
                           json_pack("{s:s, s:s}", "certificate", serial, "why", why), err);
    return rc;
}

/* Subscriber details needed to issue. */
static int load_person(ra *r, int64_t account, char *email, char *name, char *unit, char *agency,
                       int64_t *agency_id, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc;

    rc = store_queryf(r->st, &s, err,
                      "SELECT a.email, a.name, s.unit, g.name, g.id FROM accounts a "
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
            *agency_id = store_col_int64(s, 4);
            rc = SERTEL_OK;
        } else if (rc == STORE_DONE) {
            rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "the applicant's record is missing");
        }
    }
    store_finalize(s);
    return rc;
}

/*
 * The application a passphrase token belongs to: kind, state, a renewal's
 * or update's certificate, and an update's new unit and position ("" when
 * unchanged).
 */
static int token_app(ra *r, int64_t app, char kind[16], char state[16], char old[41],
                     char new_unit[256], char new_position[256], sertel_err *err)
{
    store_stmt *s = NULL;
    int rc = store_queryf(r->st, &s, err,
                          "SELECT kind, state, cert_serial, new_unit, new_position FROM "
                          "applications WHERE id = ?",
                          "i", app);

    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        snprintf(kind, 16, "%s", store_col_text(s, 0));
        snprintf(state, 16, "%s", store_col_text(s, 1));
        snprintf(old, 41, "%s", store_col_text(s, 2));
        snprintf(new_unit, 256, "%s", store_col_text(s, 3));
        snprintf(new_position, 256, "%s", store_col_text(s, 4));
        rc = SERTEL_OK;
    } else if (rc == STORE_DONE) {
        rc = sertel_err_set(err, SERTEL_ERR_NOTFOUND, "the token's application is gone");
    }
    store_finalize(s);
    return rc;
}

int ra_passphrase_create(ra *r, const ra_actor *by, const char *token, const char *passphrase,
                         char *serial_out, sertel_err *err)
{
    int64_t account = 0, app = 0, key_id = 0, agency = 0;
    char email[256], name[256], unit[256], agency_name[256],
        new_unit[256] = "", new_position[256] = "", kind[16] = "", state[16] = "", old[41] = "",
        serial[41] = "", body[1024];
    int replaces; /* a renewal or an update: the certificate in force is replaced */
    const char *to = NULL;
    ks_keytype kt;
    EVP_PKEY *pkey = NULL;
    X509 *x = NULL;
    ca_issue_req req;
    ra_target t;
    int rc;

    if ((rc = check_passphrase(passphrase, err)) != SERTEL_OK)
        return rc;
    if (ks_keytype_parse(r->subscriber_key_type, &kt) != SERTEL_OK ||
        (pkey = generate_key(kt)) == NULL)
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot generate the key pair");
    rc = ca_txn_begin(r->ca, err);
    if (rc != SERTEL_OK)
        goto done;
    if ((rc = ra_token_consume(r, "passphrase", token, &account, &app, err)) != SERTEL_OK ||
        (rc = load_person(r, account, email, name, unit, agency_name, &agency, err)) != SERTEL_OK)
        goto out;
    t.account_id = account;
    t.agency_id = agency;
    if ((rc = ra_policy_check(by, RA_ACT_PASSPHRASE_CREATE, &t, err)) != SERTEL_OK ||
        (rc = token_app(r, app, kind, state, old, new_unit, new_position, err)) != SERTEL_OK ||
        (rc = ra_app_next_state(kind, state, RA_EV_COMPLETE, &to, err)) != SERTEL_OK)
        goto out;
    replaces = strcmp(kind, "renewal") == 0 || strcmp(kind, "update") == 0;
    /* A renewal renews a certificate in force; one suspended or revoked meanwhile does not come
     * back. Nor does an update's. */
    if (replaces) {
        char st[16];
        int64_t na;
        char cur[41];
        if ((rc = ra_current_cert(r, account, cur, st, &na, err)) != SERTEL_OK)
            goto out;
        if (strcmp(cur, old) != 0 || (strcmp(st, "valid") != 0 && strcmp(st, "expired") != 0)) {
            rc = sertel_err_set(err, SERTEL_ERR_STATE,
                                "certificate %s is %s: the %s cannot complete; apply for "
                                "issuance",
                                old, st[0] ? st : "gone", kind);
            goto out;
        }
    }
    /* An update: the new data are the person's from now on, and the new certificate's. */
    if (strcmp(kind, "update") == 0) {
        rc = store_execf(r->st, err,
                         "UPDATE subscribers SET unit = coalesce(nullif(?, ''), unit), position = "
                         "coalesce(nullif(?, ''), position) WHERE account_id = ?",
                         "tti", new_unit, new_position, account);
        if (rc != SERTEL_OK)
            goto out;
        if (new_unit[0])
            snprintf(unit, sizeof(unit), "%s", new_unit);
    }
    memset(&req, 0, sizeof(req));
    req.profile = "document-signing";
    req.pubkey = pkey;
    req.subject.org = agency_name;
    req.subject.unit = unit;
    req.subject.name = name;
    req.subject.email = email;
    req.actor = email;
    req.account_id = account;
    if ((rc = ca_sign_cert(r->ca, &req, &x, err)) != SERTEL_OK ||
        (rc = ca_record_issued(r->ca, x, &req, err)) != SERTEL_OK ||
        (rc = ca_serial_hex(x, serial, sizeof(serial))) != SERTEL_OK ||
        (rc = ra_next_id(r, "subscriber_keys", &key_id, err)) != SERTEL_OK ||
        (rc = store_key(r, key_id, account, serial, ca_x509_time(X509_get0_notAfter(x)), passphrase,
                        pkey, err)) != SERTEL_OK)
        goto out;
    rc = store_execf(r->st, err,
                     "UPDATE applications SET state = ?, cert_serial = ?, updated_at = ? WHERE id "
                     "= ? AND state = ?",
                     "ttiit", to, serial, (int64_t)time(NULL), app, state);
    /* Renewal: the old certificate is superseded and its key destroyed; an update's old one no
     * longer says who the owner is (affiliationChanged, RFC 5280 §5.3.1). */
    if (rc == SERTEL_OK && replaces && old[0]) {
        ra_revocation rv = {.reason = strcmp(kind, "update") == 0 ? CA_REASON_AFFILIATION_CHANGED
                                                                  : CA_REASON_SUPERSEDED};
        rc = ra_revoke_in_txn(r, email, old, &rv, account, 1, err);
    }
    if (rc == SERTEL_OK)
        rc = ra_app_log(r, app, by != NULL ? ra_actor_name(by) : email,
                        ra_app_event_name(RA_EV_COMPLETE), to, NULL, err);
    if (rc == SERTEL_OK) {
        json_t *d = json_pack("{s:I, s:s, s:s}", "application", (json_int_t)app, "certificate",
                              serial, "key_type", r->subscriber_key_type);
        /* Without a login the owner acted through the token mailed to them. */
        if (by == NULL && d != NULL)
            json_object_set_new(d, "via", json_string("token link"));
        rc = by != NULL ? ra_audit_by(r, by, AUDIT_KEY_CREATED, serial, email, d, err)
                        : ra_audit_json(r, email, AUDIT_KEY_CREATED, serial, d, err);
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

void ra_key_row_clear(ra_key_row *k)
{
    if (k->ct != NULL) {
        sodium_memzero(k->ct, k->ctlen);
        free(k->ct);
    }
    sodium_memzero(k, sizeof(*k));
}

int ra_key_row_load(ra *r, const char *serial, ra_key_row *k, sertel_err *err)
{
    store_stmt *s = NULL;
    const void *b;
    size_t n;
    int rc;

    memset(k, 0, sizeof(*k));
    rc = store_queryf(r->st, &s, err,
                      "SELECT id, account_id, cert_serial, salt, nonce, ciphertext, opslimit, "
                      "memlimit FROM subscriber_keys WHERE cert_serial = ?",
                      "t", serial);
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        k->key_id = store_col_int64(s, 0);
        k->account = store_col_int64(s, 1);
        snprintf(k->serial, sizeof(k->serial), "%s", store_col_text(s, 2));
        b = store_col_blob(s, 3, &n);
        if (b && n == SALT_LEN)
            memcpy(k->salt, b, n);
        b = store_col_blob(s, 4, &n);
        if (b && n == NONCE_LEN)
            memcpy(k->nonce, b, n);
        b = store_col_blob(s, 5, &n);
        if (b && n > 0 && n < KEY_DER_MAX && (k->ct = malloc(n)) != NULL) {
            memcpy(k->ct, b, n);
            k->ctlen = n;
        }
        k->ops = store_col_int64(s, 6);
        k->mem = store_col_int64(s, 7);
        k->found = k->ct != NULL;
    }
    store_finalize(s);
    return rc < 0 ? rc : SERTEL_OK;
}

EVP_PKEY *ra_key_unlock(ra *r, const ra_key_row *k, const char *pass)
{
    unsigned char *kek = sodium_malloc(32), *pt = NULL, aad[29];
    static const unsigned char dummy_ct[crypto_aead_xchacha20poly1305_ietf_ABYTES + 64];
    static const unsigned char dummy_salt[SALT_LEN];
    unsigned long long ptlen = 0;
    const unsigned char *p;
    EVP_PKEY *key = NULL;
    int have = k != NULL && k->found;
    int64_t ops = have ? k->ops : r->argon_ops, mem = have ? k->mem : r->argon_mem;

    if (kek == NULL)
        return NULL;
    if (ops < 1 || mem < 8192 || mem > (int64_t)4 << 30) /* damaged row: still spend the time */
        ops = r->argon_ops, mem = r->argon_mem;
    if (derive_kek(r, pass, have ? k->salt : dummy_salt, ops, mem, kek, NULL) != SERTEL_OK)
        goto out;
    pt = sodium_malloc(have ? k->ctlen : sizeof(dummy_ct));
    if (pt == NULL)
        goto out;
    make_aad(aad, have ? k->key_id : 0, have ? k->account : 0);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            pt, &ptlen, NULL, have ? k->ct : dummy_ct, have ? k->ctlen : sizeof(dummy_ct), aad,
            sizeof(aad), have ? k->nonce : dummy_ct, kek) == 0 &&
        have) {
        p = pt;
        key = d2i_AutoPrivateKey(NULL, &p, (long)ptlen);
    }
out:
    if (pt != NULL)
        sodium_free(pt);
    sodium_free(kek);
    return key;
}

/* The position (jabatan) the owner registered with, for the stamp ("" when none). */
static int signer_position(ra *r, ra_signer *sg, sertel_err *err)
{
    store_stmt *s = NULL;
    int rc = store_queryf(r->st, &s, err, "SELECT position FROM subscribers WHERE account_id = ?",
                          "i", sg->account_id);

    sg->position[0] = '\0';
    if (rc == SERTEL_OK && (rc = store_step(s, err)) == STORE_ROW) {
        const char *v = store_col_text(s, 0);
        snprintf(sg->position, sizeof(sg->position), "%s", v != NULL ? v : "");
    }
    store_finalize(s);
    return rc < 0 ? rc : SERTEL_OK;
}

int ra_signer_chain(ra *r, const char *serial, ra_signer *sg, sertel_err *err)
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
    return signer_position(r, sg, err);
}

/* The key of a sealed box: BLAKE2b-256(key = server secret, label). */
static void box_key(const ra *r, const char *label, unsigned char key[32])
{
    crypto_generichash(key, 32, (const unsigned char *)label, strlen(label), r->secret,
                       RA_SECRET_LEN);
}

int ra_box_seal(const ra *r, const char *label, int64_t bind, const unsigned char *in, size_t len,
                unsigned char **out, size_t *out_len, sertel_err *err)
{
    unsigned char key[32], aad[8], *box;
    unsigned long long clen = 0;
    int i;

    *out = NULL;
    *out_len = 0;
    box = malloc(NONCE_LEN + len + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    if (box == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    for (i = 0; i < 8; i++)
        aad[i] = (unsigned char)((uint64_t)bind >> (56 - 8 * i));
    box_key(r, label, key);
    randombytes_buf(box, NONCE_LEN);
    crypto_aead_xchacha20poly1305_ietf_encrypt(box + NONCE_LEN, &clen, in, len, aad, sizeof(aad),
                                               NULL, box, key);
    sodium_memzero(key, sizeof(key));
    *out = box;
    *out_len = NONCE_LEN + (size_t)clen;
    return SERTEL_OK;
}

int ra_box_open(const ra *r, const char *label, int64_t bind, const unsigned char *box,
                size_t box_len, unsigned char *out, size_t cap, size_t *out_len, sertel_err *err)
{
    unsigned char key[32], aad[8];
    unsigned long long plen = 0;
    int i, rc;

    *out_len = 0;
    if (box_len < NONCE_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES ||
        box_len - NONCE_LEN - crypto_aead_xchacha20poly1305_ietf_ABYTES > cap)
        return sertel_err_set(err, SERTEL_ERR_TAMPERED, "a sealed secret is damaged");
    for (i = 0; i < 8; i++)
        aad[i] = (unsigned char)((uint64_t)bind >> (56 - 8 * i));
    box_key(r, label, key);
    rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
        out, &plen, NULL, box + NONCE_LEN, box_len - NONCE_LEN, aad, sizeof(aad), box, key);
    sodium_memzero(key, sizeof(key));
    if (rc != 0)
        return sertel_err_set(err, SERTEL_ERR_TAMPERED,
                              "a sealed secret does not open with this home's server secret "
                              "(moved from another home, or changed)");
    *out_len = (size_t)plen;
    return SERTEL_OK;
}
