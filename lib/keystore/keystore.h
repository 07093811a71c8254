/*
 * keystore.h - where sertel keeps private keys: one interface, two back ends.
 *
 *  - Software: each key is an encrypted PKCS#8 PEM file <dir>/<label>.key
 *    (PBES2, AES-256-CBC) under a key-encryption secret held by the caller
 *    (for a home: <home>/private/master.key). Files are created 0600 with
 *    O_CREAT|O_EXCL|O_NOFOLLOW; decrypted key material lives only in
 *    OpenSSL's key objects and every intermediate buffer is wiped.
 *  - PKCS#11: keys are generated inside a token through libp11 and never
 *    leave it; signing happens in the token. Keys are found by label
 *    (CKA_LABEL) and id.
 *
 * A key is addressed by a label: [a-z0-9_-]{1,64}. Labels used by a CA
 * home: "root", "issuing", "ocsp", "tsa", "audit".
 *
 * Ownership: ks_open_* return a keystore the caller closes with ks_close.
 * ks_generate/ks_load return a ks_key the caller frees with ks_key_free,
 * before closing the keystore it came from. ks_key_get0_pkey returns a
 * borrowed EVP_PKEY valid while the ks_key lives; use it with
 * EVP_DigestSign*, X509_sign, X509_CRL_sign, OCSP_basic_sign, TS and CMS
 * signing.
 *
 * Thread safety: a keystore and its keys are used by one thread at a time.
 */
#ifndef SERTEL_KEYSTORE_H
#define SERTEL_KEYSTORE_H

#include <openssl/evp.h>
#include <stddef.h>

#include "util/err.h"

typedef enum ks_keytype {
    KS_KEY_EC_P256 = 1,
    KS_KEY_EC_P384 = 2,
    KS_KEY_RSA_2048 = 3,
    KS_KEY_RSA_3072 = 4,
    KS_KEY_RSA_4096 = 5,
} ks_keytype;

typedef struct keystore keystore;
typedef struct ks_key ks_key;

/*
 * "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096". ks_keytype_parse
 * returns SERTEL_ERR_INVALID for any other name; ks_keytype_name returns
 * "unknown" for a value outside the enum.
 */
int ks_keytype_parse(const char *name, ks_keytype *out) SERTEL_WUR SERTEL_NONNULL(1, 2);
const char *ks_keytype_name(ks_keytype t);

/*
 * The key type of an existing public or private key, or SERTEL_ERR_UNSUPPORTED
 * (with a message naming the algorithm/size) for anything else.
 */
int ks_keytype_of(const EVP_PKEY *pkey, ks_keytype *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/* The digest sertel signs with for a key type: SHA-384 for P-384, else SHA-256. */
const EVP_MD *ks_keytype_digest(ks_keytype t);

/*
 * Open a software keystore in directory dir (created 0700 if missing when
 * create is non-zero). secret/secret_len is the key-encryption secret; it is
 * copied into secure memory (the caller keeps and wipes its own copy).
 * secret_len must be 16 to 512 bytes (sertel uses 32 random bytes), else
 * SERTEL_ERR_INVALID. The PKCS#8 passphrase is the lower-case hex of the
 * secret, so `openssl pkey -passin pass:<hex>` can open a key file in an
 * emergency. A missing dir without create gives SERTEL_ERR_NOTFOUND.
 */
int ks_open_soft(const char *dir, const unsigned char *secret, size_t secret_len, int create,
                 keystore **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 5);

/*
 * Open a PKCS#11 keystore: load module (e.g. /usr/lib/softhsm/libsofthsm2.so),
 * find the token whose label is token_label, log in as user with pin. The
 * PIN is copied into secure memory and wiped on close. Module, token and PIN
 * problems (a wrong PIN: "PIN rejected") are SERTEL_ERR_TOKEN.
 * Only one PKCS#11 keystore per module may be open in a process at a time:
 * a Cryptoki library is initialised once per process and closing the
 * keystore finalises it.
 */
int ks_open_pkcs11(const char *module, const char *token_label, const char *pin, keystore **out,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/* Close and wipe. NULL-safe. */
void ks_close(keystore *ks);

/* "software" or "pkcs11". */
const char *ks_backend(const keystore *ks) SERTEL_NONNULL(1);

/* Generate a new key under label; SERTEL_ERR_EXISTS when the label is taken. */
int ks_generate(keystore *ks, const char *label, ks_keytype type, ks_key **out,
                sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4);

/* Load an existing key; SERTEL_ERR_NOTFOUND when there is none. */
int ks_load(keystore *ks, const char *label, ks_key **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/*
 * Destroy a key: the software back end overwrites the file before unlinking
 * it; the PKCS#11 back end destroys the private and public objects.
 */
int ks_destroy(keystore *ks, const char *label, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* 1 when a key with this label exists, 0 when not. */
int ks_exists(keystore *ks, const char *label) SERTEL_NONNULL(1, 2);

/*
 * The private key handle (borrowed). For PKCS#11 it signs inside the token;
 * it is a libp11 "foreign" key to OpenSSL 3.0: its public half can be
 * encoded (i2d_PUBKEY, X509_set_pubkey), the private half cannot (RSA fails,
 * EC yields libp11's placeholder scalar of zero - never write it out).
 */
EVP_PKEY *ks_key_get0_pkey(const ks_key *k) SERTEL_NONNULL(1);

/*
 * A new EVP_PKEY holding only the public half of k (for certificates and
 * verification; a PKCS#11 key handle is not a plain public key). Caller
 * frees. NULL on failure.
 */
EVP_PKEY *ks_key_get1_public(const ks_key *k) SERTEL_NONNULL(1);

/* The key's type. */
ks_keytype ks_key_type(const ks_key *k) SERTEL_NONNULL(1);

/* A URI naming the key: "file:DIR/LABEL.key" or "pkcs11:token=T;object=LABEL". */
const char *ks_key_uri(const ks_key *k) SERTEL_NONNULL(1);

/*
 * Sign data with the key (digest md, then ECDSA or RSA PKCS#1 v1.5), for
 * callers that do not go through an OpenSSL object signer (audit
 * checkpoints). *sig is malloc'ed; caller frees.
 */
int ks_sign(const ks_key *k, const EVP_MD *md, const unsigned char *data, size_t len,
            unsigned char **sig, size_t *siglen, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3, 5, 6);

/* Free a key handle (does not destroy the key). NULL-safe. */
void ks_key_free(ks_key *k);

#endif
