/*
 * keystore.c - the back-end independent half of the keystore (see
 * keystore.h): key types, label checks, dispatch to a back end's ks_ops,
 * and signing through OpenSSL's EVP interface.
 *
 * Key types follow the CA/Browser Forum Baseline Requirements §6.1.5
 * (RSA moduli of at least 2048 bits, NIST P-256/P-384) with the digest
 * pairing of RFC 5758 §3.2 / RFC 5480 §4 (ECDSA P-384 with SHA-384, the
 * rest with SHA-256). RSA signatures are RSASSA-PKCS1-v1_5 (RFC 8017 §8.2),
 * ECDSA signatures are the DER Ecdsa-Sig-Value of RFC 3279 §2.2.3.
 */
#include "keystore/keystore_int.h"
#include "util/fault.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    ks_keytype type;
    const char *name;
} keytypes[] = {
    {KS_KEY_EC_P256, "ec-p256"},   {KS_KEY_EC_P384, "ec-p384"},   {KS_KEY_RSA_2048, "rsa-2048"},
    {KS_KEY_RSA_3072, "rsa-3072"}, {KS_KEY_RSA_4096, "rsa-4096"},
};

#define NKEYTYPES (sizeof(keytypes) / sizeof(keytypes[0]))

int ks_keytype_parse(const char *name, ks_keytype *out)
{
    size_t i;

    for (i = 0; i < NKEYTYPES; i++) {
        if (strcmp(name, keytypes[i].name) == 0) {
            *out = keytypes[i].type;
            return SERTEL_OK;
        }
    }
    return SERTEL_ERR_INVALID;
}

static int known_type(ks_keytype t)
{
    size_t i;

    for (i = 0; i < NKEYTYPES; i++)
        if (keytypes[i].type == t)
            return 1;
    return 0;
}

/* Returns "unknown" for a value outside ks_keytype, so it is always printable. */
const char *ks_keytype_name(ks_keytype t)
{
    size_t i;

    for (i = 0; i < NKEYTYPES; i++)
        if (keytypes[i].type == t)
            return keytypes[i].name;
    return "unknown";
}

const EVP_MD *ks_keytype_digest(ks_keytype t)
{
    return t == KS_KEY_EC_P384 ? EVP_sha384() : EVP_sha256();
}

static const char *pkey_algorithm_name(const EVP_PKEY *pkey)
{
    const char *name = EVP_PKEY_get0_type_name(pkey);

    if (name == NULL)
        name = OBJ_nid2sn(EVP_PKEY_get_base_id(pkey));
    return name != NULL ? name : "an unknown algorithm";
}

int ks_keytype_of(const EVP_PKEY *pkey, ks_keytype *out, sertel_err *err)
{
    char group[80];
    size_t glen = 0;
    int bits = EVP_PKEY_get_bits(pkey);

    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_EC:
        if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) != 1)
            return sertel_err_openssl(err, SERTEL_ERR_UNSUPPORTED,
                                      "EC key without a named curve is not supported: use "
                                      "P-256 or P-384");
        switch (OBJ_txt2nid(group)) {
        case NID_X9_62_prime256v1:
            *out = KS_KEY_EC_P256;
            return SERTEL_OK;
        case NID_secp384r1:
            *out = KS_KEY_EC_P384;
            return SERTEL_OK;
        default:
            return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                                  "EC curve %s is not supported: use P-256 or P-384", group);
        }
    case EVP_PKEY_RSA:
        switch (bits) {
        case 2048:
            *out = KS_KEY_RSA_2048;
            return SERTEL_OK;
        case 3072:
            *out = KS_KEY_RSA_3072;
            return SERTEL_OK;
        case 4096:
            *out = KS_KEY_RSA_4096;
            return SERTEL_OK;
        default:
            return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                                  "RSA key of %d bits is not supported: use 2048, 3072 or "
                                  "4096 bits",
                                  bits);
        }
    default:
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "%s key (%d bits) is not supported: use ec-p256, ec-p384, "
                              "rsa-2048, rsa-3072 or rsa-4096",
                              pkey_algorithm_name(pkey), bits);
    }
}

int ks_label_ok(const char *label)
{
    size_t n;

    for (n = 0; label[n] != '\0'; n++) {
        char c = label[n];
        if (n >= KS_LABEL_MAX)
            return 0;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return n > 0;
}

/* Reject a bad label with a message that shows it safely (printable, bounded). */
static int bad_label(const char *label, sertel_err *err)
{
    char shown[KS_LABEL_MAX + 4];
    size_t i;

    for (i = 0; label[i] != '\0' && i < KS_LABEL_MAX; i++) {
        unsigned char c = (unsigned char)label[i];
        shown[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (label[i] != '\0') {
        memcpy(shown + i, "...", 3);
        i += 3;
    }
    shown[i] = '\0';
    return sertel_err_set(err, SERTEL_ERR_INVALID,
                          "invalid key label '%s': a label is 1 to %d characters from a-z, "
                          "0-9, '_' and '-'",
                          shown, KS_LABEL_MAX);
}

int ks_key_new(EVP_PKEY *pkey, ks_keytype type, const char *uri, ks_key **out, sertel_err *err)
{
    ks_key *k;

    *out = NULL;
    k = calloc(1, sizeof(*k));
    if (k == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    k->uri = strdup(uri);
    if (k->uri == NULL) {
        free(k);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    k->type = type;
    k->pkey = pkey;
    *out = k;
    return SERTEL_OK;
}

void ks_close(keystore *ks)
{
    if (ks != NULL)
        ks->ops->close(ks);
}

const char *ks_backend(const keystore *ks)
{
    return ks->ops->backend;
}

int ks_generate(keystore *ks, const char *label, ks_keytype type, ks_key **out, sertel_err *err)
{
    *out = NULL;
    if (fault_hit(FAULT_KEYSTORE))
        return sertel_err_set(err, SERTEL_ERR_TOKEN, "injected key-store failure");
    if (!ks_label_ok(label))
        return bad_label(label, err);
    if (!known_type(type))
        return sertel_err_set(err, SERTEL_ERR_INVALID, "unknown key type %d", (int)type);
    return ks->ops->generate(ks, label, type, out, err);
}

int ks_load(keystore *ks, const char *label, ks_key **out, sertel_err *err)
{
    *out = NULL;
    if (fault_hit(FAULT_KEYSTORE))
        return sertel_err_set(err, SERTEL_ERR_TOKEN, "injected key-store failure");
    if (!ks_label_ok(label))
        return bad_label(label, err);
    return ks->ops->load(ks, label, out, err);
}

int ks_destroy(keystore *ks, const char *label, sertel_err *err)
{
    if (fault_hit(FAULT_KEYSTORE))
        return sertel_err_set(err, SERTEL_ERR_TOKEN, "injected key-store failure");
    if (!ks_label_ok(label))
        return bad_label(label, err);
    return ks->ops->destroy(ks, label, err);
}

int ks_exists(keystore *ks, const char *label)
{
    if (!ks_label_ok(label))
        return 0;
    return ks->ops->exists(ks, label);
}

EVP_PKEY *ks_key_get0_pkey(const ks_key *k)
{
    return k->pkey;
}

EVP_PKEY *ks_key_get1_public(const ks_key *k)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    EVP_PKEY *pub = NULL;
    int len;

    len = i2d_PUBKEY(ks_key_get0_pkey(k), &der);
    if (len > 0) {
        p = der;
        pub = d2i_PUBKEY(NULL, &p, len);
    }
    OPENSSL_free(der);
    return pub;
}

ks_keytype ks_key_type(const ks_key *k)
{
    return k->type;
}

const char *ks_key_uri(const ks_key *k)
{
    return k->uri;
}

int ks_sign(const ks_key *k, const EVP_MD *md, const unsigned char *data, size_t len,
            unsigned char **sig, size_t *siglen, sertel_err *err)
{
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *buf = NULL;
    size_t n = 0;
    int rc = SERTEL_OK;

    *sig = NULL;
    *siglen = 0;
    if (fault_hit(FAULT_KEYSTORE))
        return sertel_err_set(err, SERTEL_ERR_TOKEN, "injected key-store failure");
    mctx = EVP_MD_CTX_new();
    if (mctx == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (EVP_DigestSignInit(mctx, &pctx, md, NULL, k->pkey) != 1) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot start signing with key %s", k->uri);
        goto out;
    }
    if (EVP_PKEY_get_base_id(k->pkey) == EVP_PKEY_RSA &&
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO,
                                "cannot select PKCS#1 v1.5 padding for key %s", k->uri);
        goto out;
    }
    if (EVP_DigestSign(mctx, NULL, &n, data, len) != 1) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot sign with key %s", k->uri);
        goto out;
    }
    buf = malloc(n);
    if (buf == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (EVP_DigestSign(mctx, buf, &n, data, len) != 1) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "signing with key %s failed", k->uri);
        goto out;
    }
    *sig = buf;
    *siglen = n;
    buf = NULL;
out:
    free(buf);
    EVP_MD_CTX_free(mctx);
    return rc;
}

void ks_key_free(ks_key *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_free(k->pkey);
    free(k->uri);
    free(k);
}
