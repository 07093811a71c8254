/*
 * ks_soft.c - the software keystore back end: one encrypted PKCS#8 file per
 * key, <dir>/<label>.key.
 *
 * Format: "ENCRYPTED PRIVATE KEY" PEM (RFC 7468 §11) holding an
 * EncryptedPrivateKeyInfo (RFC 5958 §3) encrypted with PBES2 (RFC 8018 §6.2:
 * PBKDF2-HMAC-SHA256, AES-256-CBC). The passphrase is the lower-case hex of
 * the caller's key-encryption secret, so an operator holding the secret can
 * also open a key with `openssl pkey -passin pass:<hex>`. Loading accepts
 * only that encrypted form: a plain "PRIVATE KEY" file is refused rather
 * than silently trusted.
 *
 * Files are created with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600 (as
 * OpenBSD signify does), the directory is created 0700, and every buffer
 * that held the PEM or the passphrase is wiped. Destroying a key overwrites
 * the file with zeros and fsyncs before unlinking it. On copy-on-write or
 * journalling file systems and on flash storage the overwrite is a best
 * effort: the old blocks may survive; the encryption is what protects them.
 */
#include "keystore/keystore_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/hex.h"

#define SECRET_MIN 16
#define SECRET_MAX 512
#define KEYFILE_MAX (64 * 1024)

typedef struct ks_soft {
    keystore base;
    char *dir;
    char *pass; /* hex of the secret, sodium_malloc'ed */
    size_t passlen;
} ks_soft;

static int key_path(const ks_soft *s, const char *label, char *out, size_t cap, sertel_err *err)
{
    int n = snprintf(out, cap, "%s/%s.key", s->dir, label);

    if (n < 0 || (size_t)n >= cap)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "key path %s/%s.key is too long", s->dir,
                              label);
    return SERTEL_OK;
}

static int keygen(ks_keytype type, EVP_PKEY **out, sertel_err *err)
{
    EVP_PKEY_CTX *ctx = NULL;
    int rc = SERTEL_OK, ok;

    *out = NULL;
    switch (type) {
    case KS_KEY_EC_P256:
    case KS_KEY_EC_P384:
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        ok = ctx != NULL && EVP_PKEY_keygen_init(ctx) == 1 &&
             EVP_PKEY_CTX_set_group_name(ctx, type == KS_KEY_EC_P256 ? "P-256" : "P-384") == 1;
        break;
    case KS_KEY_RSA_2048:
    case KS_KEY_RSA_3072:
    case KS_KEY_RSA_4096:
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
        ok = ctx != NULL && EVP_PKEY_keygen_init(ctx) == 1 &&
             EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, type == KS_KEY_RSA_2048   ? 2048
                                                   : type == KS_KEY_RSA_3072 ? 3072
                                                                             : 4096) == 1;
        break;
    default:
        return sertel_err_set(err, SERTEL_ERR_INVALID, "unknown key type %d", (int)type);
    }
    if (!ok || EVP_PKEY_generate(ctx, out) != 1) {
        *out = NULL;
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot generate a %s key",
                                ks_keytype_name(type));
    }
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

static int soft_generate(keystore *ks, const char *label, ks_keytype type, ks_key **out,
                         sertel_err *err)
{
    ks_soft *s = (ks_soft *)ks;
    char path[PATH_MAX], uri[PATH_MAX + 8];
    EVP_PKEY *pkey = NULL;
    BIO *bio = NULL;
    BUF_MEM *bm = NULL;
    int rc;

    rc = key_path(s, label, path, sizeof(path), err);
    if (rc != SERTEL_OK)
        return rc;
    /* Fail before a slow key generation; fs_create_excl is the real guard. */
    if (fs_exists(path))
        return sertel_err_set(err, SERTEL_ERR_EXISTS, "a key labelled '%s' already exists (%s)",
                              label, path);
    rc = keygen(type, &pkey, err);
    if (rc != SERTEL_OK)
        goto out;
    /* A secure-heap BIO: its buffer is cleared when freed, even after growing. */
    bio = BIO_new(BIO_s_secmem());
    if (bio == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (PEM_write_bio_PKCS8PrivateKey(bio, pkey, EVP_aes_256_cbc(), s->pass, (int)s->passlen, NULL,
                                      NULL) != 1) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot encrypt key '%s'", label);
        goto out;
    }
    BIO_get_mem_ptr(bio, &bm);
    rc = fs_create_excl(path, bm->data, bm->length, 0600, err);
    if (rc != SERTEL_OK) {
        if (rc == SERTEL_ERR_EXISTS)
            sertel_err_set(err, rc, "a key labelled '%s' already exists (%s)", label, path);
        goto out;
    }
    rc = fs_sync_dir(s->dir, err);
    if (rc != SERTEL_OK)
        goto out;
    snprintf(uri, sizeof(uri), "file:%s", path);
    rc = ks_key_new(pkey, type, uri, out, err);
    if (rc == SERTEL_OK)
        pkey = NULL;
out:
    if (bm != NULL)
        OPENSSL_cleanse(bm->data, bm->max);
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    return rc;
}

static int plaintext_pem(const char *pem)
{
    return strstr(pem, "-----BEGIN PRIVATE KEY-----") != NULL ||
           strstr(pem, "-----BEGIN RSA PRIVATE KEY-----") != NULL ||
           strstr(pem, "-----BEGIN EC PRIVATE KEY-----") != NULL;
}

static int soft_load(keystore *ks, const char *label, ks_key **out, sertel_err *err)
{
    ks_soft *s = (ks_soft *)ks;
    char path[PATH_MAX], uri[PATH_MAX + 8];
    unsigned char *pem = NULL;
    size_t pemlen = 0;
    BIO *bio = NULL;
    X509_SIG *p8 = NULL;
    PKCS8_PRIV_KEY_INFO *p8inf = NULL;
    EVP_PKEY *pkey = NULL;
    ks_keytype type;
    int rc;

    rc = key_path(s, label, path, sizeof(path), err);
    if (rc != SERTEL_OK)
        return rc;
    rc = fs_read_file(path, KEYFILE_MAX, &pem, &pemlen, err);
    if (rc == SERTEL_ERR_NOTFOUND) {
        sertel_err_set(err, rc, "no key labelled '%s' in %s", label, s->dir);
        goto out;
    }
    if (rc != SERTEL_OK)
        goto out;
    if (pemlen > INT_MAX) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%s is too large", path);
        goto out;
    }
    bio = BIO_new_mem_buf(pem, (int)pemlen);
    if (bio == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    p8 = PEM_read_bio_PKCS8(bio, NULL, NULL, NULL);
    if (p8 == NULL) {
        if (plaintext_pem((const char *)pem))
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "key file %s is not encrypted: sertel only loads ENCRYPTED "
                                "PRIVATE KEY (PKCS#8) files",
                                path);
        else
            rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO,
                                    "cannot decrypt key '%s': wrong key-encryption secret or "
                                    "corrupt file %s (no ENCRYPTED PRIVATE KEY block)",
                                    label, path);
        goto out;
    }
    p8inf = PKCS8_decrypt(p8, s->pass, (int)s->passlen);
    if (p8inf == NULL) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO,
                                "cannot decrypt key '%s': wrong key-encryption secret or "
                                "corrupt file %s",
                                label, path);
        goto out;
    }
    pkey = EVP_PKCS82PKEY(p8inf);
    if (pkey == NULL) {
        rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO,
                                "cannot decrypt key '%s': wrong key-encryption secret or "
                                "corrupt file %s (the decrypted key does not parse)",
                                label, path);
        goto out;
    }
    rc = ks_keytype_of(pkey, &type, err);
    if (rc != SERTEL_OK) {
        sertel_err_prefix(err, "key '%s' (%s)", label, path);
        goto out;
    }
    snprintf(uri, sizeof(uri), "file:%s", path);
    rc = ks_key_new(pkey, type, uri, out, err);
    if (rc == SERTEL_OK)
        pkey = NULL;
out:
    EVP_PKEY_free(pkey);
    PKCS8_PRIV_KEY_INFO_free(p8inf); /* its ASN.1 free callback wipes the key bytes */
    X509_SIG_free(p8);
    BIO_free(bio);
    if (pem != NULL) {
        OPENSSL_cleanse(pem, pemlen);
        free(pem);
    }
    return rc;
}

static int write_zeros(int fd, off_t size)
{
    static const unsigned char zeros[4096];
    off_t done = 0;

    while (done < size) {
        size_t chunk = (size - done) > (off_t)sizeof(zeros) ? sizeof(zeros) : (size_t)(size - done);
        ssize_t n = write(fd, zeros, chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += n;
    }
    return 0;
}

static int soft_destroy(keystore *ks, const char *label, sertel_err *err)
{
    ks_soft *s = (ks_soft *)ks;
    char path[PATH_MAX];
    struct stat st;
    int fd = -1, rc;

    rc = key_path(s, label, path, sizeof(path), err);
    if (rc != SERTEL_OK)
        return rc;
    fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return sertel_err_set(err, SERTEL_ERR_NOTFOUND, "no key labelled '%s' in %s", label,
                                  s->dir);
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "%s is not a regular file", path);
        goto out;
    }
    if (write_zeros(fd, st.st_size) != 0 || fsync(fd) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot overwrite %s: %s", path, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot overwrite %s: %s", path, strerror(errno));
        goto out;
    }
    fd = -1;
    if (unlink(path) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
        goto out;
    }
    rc = fs_sync_dir(s->dir, err);
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

static int soft_exists(keystore *ks, const char *label)
{
    ks_soft *s = (ks_soft *)ks;
    char path[PATH_MAX];

    if (key_path(s, label, path, sizeof(path), NULL) != SERTEL_OK)
        return 0;
    return fs_exists(path);
}

static void soft_close(keystore *ks)
{
    ks_soft *s = (ks_soft *)ks;

    free(s->dir);
    if (s->pass != NULL)
        sodium_free(s->pass); /* wipes */
    free(s);
}

static const ks_ops soft_ops = {
    .backend = "software",
    .generate = soft_generate,
    .load = soft_load,
    .destroy = soft_destroy,
    .exists = soft_exists,
    .close = soft_close,
};

static int open_dir(const char *dir, int create, sertel_err *err)
{
    struct stat st;

    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "key directory %s exists but is not a directory", dir);
        return SERTEL_OK;
    }
    if (errno != ENOENT)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot access key directory %s: %s", dir,
                              strerror(errno));
    if (!create)
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND, "key directory %s does not exist", dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot create key directory %s: %s", dir,
                              strerror(errno));
    return SERTEL_OK;
}

int ks_open_soft(const char *dir, const unsigned char *secret, size_t secret_len, int create,
                 keystore **out, sertel_err *err)
{
    ks_soft *s = NULL;
    int rc;

    *out = NULL;
    if (secret_len < SECRET_MIN || secret_len > SECRET_MAX)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "key-encryption secret of %zu bytes: it must be %d to %d bytes "
                              "(sertel makes 32 random bytes)",
                              secret_len, SECRET_MIN, SECRET_MAX);
    if (sodium_init() < 0)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "libsodium failed to initialise");
    rc = open_dir(dir, create, err);
    if (rc != SERTEL_OK)
        return rc;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    s->base.ops = &soft_ops;
    s->dir = strdup(dir);
    s->passlen = secret_len * 2;
    s->pass = sodium_malloc(s->passlen + 1);
    if (s->dir == NULL || s->pass == NULL) {
        soft_close(&s->base);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    hex_encode(secret, secret_len, s->pass);
    *out = &s->base;
    return SERTEL_OK;
}
