/*
 * test_keystore.c - unit tests of lib/keystore: both back ends.
 *
 * Software: every key type is generated, reloaded, used to sign, and the
 * signature checked with the public key alone; the key file is checked for
 * mode 0600 and for the RFC 5958 / RFC 8018 format (PBES2, AES-256-CBC) with
 * the openssl command, which must also be able to open it with the hex
 * passphrase.
 *
 * PKCS#11: each run makes its own SoftHSM2 token in a temporary directory
 * (SOFTHSM2_CONF), generates keys in it, signs raw data and an X.509
 * certificate, verifies both with the public key only, and checks with
 * pkcs11-tool (OpenSC, an independent tool) that the private keys are
 * sensitive and were never extractable. softhsm2-util and pkcs11-tool are
 * required: without them the PKCS#11 tests fail, they do not skip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keystore/keystore.h"
#include "testutil.h"
#include "util/fs.h"
#include "util/hex.h"

#define SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define TOKEN "sertel-test"
#define PIN "1234"
#define SO_PIN "5678"

static const unsigned char secret1[32] = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};

static const unsigned char msg[] = "sertel keystore test message";

/* ---- helpers ---- */

/* The public half of pkey as a plain provider key, via its SubjectPublicKeyInfo. */
static EVP_PKEY *public_of(EVP_PKEY *pkey)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    EVP_PKEY *pub;
    int n = i2d_PUBKEY(pkey, &der);

    assert_true(n > 0);
    p = der;
    pub = d2i_PUBKEY(NULL, &p, n);
    assert_non_null(pub);
    OPENSSL_free(der);
    return pub;
}

/* 1 when sig is a valid signature of data under pub (RSA: PKCS#1 v1.5 only). */
static int verify(EVP_PKEY *pub, const EVP_MD *md, const unsigned char *data, size_t len,
                  const unsigned char *sig, size_t siglen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok;

    assert_non_null(ctx);
    assert_int_equal(EVP_DigestVerifyInit(ctx, &pctx, md, NULL, pub), 1);
    if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA)
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING), 1);
    ok = EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* Sign msg with the key, check the signature with pub, and that a changed message fails. */
static void check_sign(const ks_key *k, EVP_PKEY *pub)
{
    sertel_err err = {0};
    unsigned char *sig = NULL;
    size_t siglen = 0;
    const EVP_MD *md = ks_keytype_digest(ks_key_type(k));
    unsigned char other[sizeof(msg)];

    assert_int_equal(ks_sign(k, md, msg, sizeof(msg), &sig, &siglen, &err), SERTEL_OK);
    assert_non_null(sig);
    assert_true(siglen > 0);
    assert_true(verify(pub, md, msg, sizeof(msg), sig, siglen));
    memcpy(other, msg, sizeof(msg));
    other[0] ^= 1;
    assert_false(verify(pub, md, other, sizeof(other), sig, siglen));
    free(sig);
}

/* A small self-signed certificate signed through X509_sign with the key's EVP_PKEY. */
static void check_x509_sign(const ks_key *k, EVP_PKEY *pub)
{
    EVP_PKEY *pkey = ks_key_get0_pkey(k);
    X509 *x = X509_new();
    X509_NAME *name;
    EVP_PKEY *certpub;

    assert_non_null(x);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 42), 1);
    name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)"keystore test", -1, -1, 0),
                     1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
    assert_int_equal(X509_set_pubkey(x, pkey), 1);
    assert_true(X509_sign(x, pkey, ks_keytype_digest(ks_key_type(k))) > 0);
    /* The key in the certificate is the key's public half... */
    certpub = X509_get_pubkey(x);
    assert_non_null(certpub);
    assert_int_equal(EVP_PKEY_eq(certpub, pub), 1);
    /* ...and the signature verifies with it. */
    assert_int_equal(X509_verify(x, pub), 1);
    EVP_PKEY_free(certpub);
    X509_free(x);
}

/* Run a shell command and return its standard output (malloc'ed). */
static char *run(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    char *buf = calloc(1, 65536);
    size_t n = 0, r;

    assert_non_null(f);
    assert_non_null(buf);
    while ((r = fread(buf + n, 1, 65535 - n, f)) > 0)
        n += r;
    buf[n] = '\0';
    pclose(f);
    return buf;
}

static int have_command(const char *name)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

/* ---- key types ---- */

static void test_keytype(void **state)
{
    static const char *names[] = {"ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"};
    ks_keytype t;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_int_equal(ks_keytype_parse(names[i], &t), SERTEL_OK);
        assert_string_equal(ks_keytype_name(t), names[i]);
    }
    assert_int_equal(ks_keytype_parse("ec-p521", &t), SERTEL_ERR_INVALID);
    assert_int_equal(ks_keytype_parse("RSA-2048", &t), SERTEL_ERR_INVALID);
    assert_int_equal(ks_keytype_parse("", &t), SERTEL_ERR_INVALID);
    assert_ptr_equal(ks_keytype_digest(KS_KEY_EC_P384), EVP_sha384());
    assert_ptr_equal(ks_keytype_digest(KS_KEY_EC_P256), EVP_sha256());
    assert_ptr_equal(ks_keytype_digest(KS_KEY_RSA_4096), EVP_sha256());
    assert_string_equal(ks_keytype_name((ks_keytype)99), "unknown");
}

static void test_keytype_of_unsupported(void **state)
{
    sertel_err err = {0};
    EVP_PKEY *k;
    ks_keytype t;

    (void)state;
    k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(k);
    assert_int_equal(ks_keytype_of(k, &t, &err), SERTEL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "ED25519"));
    EVP_PKEY_free(k);

    k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
    assert_non_null(k);
    assert_int_equal(ks_keytype_of(k, &t, &err), SERTEL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "secp521r1"));
    EVP_PKEY_free(k);

    k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    assert_non_null(k);
    assert_int_equal(ks_keytype_of(k, &t, &err), SERTEL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "1024"));
    EVP_PKEY_free(k);
}

/* ---- software back end ---- */

typedef struct soft_fixture {
    char *tmp;
    char *dir;
    keystore *ks;
} soft_fixture;

static int soft_setup(void **state)
{
    soft_fixture *f = calloc(1, sizeof(*f));
    sertel_err err = {0};

    if (f == NULL)
        return -1;
    f->tmp = tu_mkdtemp();
    f->dir = strdup(tu_path(f->tmp, "keys"));
    if (f->dir == NULL ||
        ks_open_soft(f->dir, secret1, sizeof(secret1), 1, &f->ks, &err) != SERTEL_OK) {
        fprintf(stderr, "ks_open_soft: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int soft_teardown(void **state)
{
    soft_fixture *f = *state;

    ks_close(f->ks);
    free(f->dir);
    tu_rmtree(f->tmp);
    free(f);
    return 0;
}

static void soft_roundtrip(soft_fixture *f, ks_keytype type)
{
    sertel_err err = {0};
    ks_key *k = NULL, *k2 = NULL;
    EVP_PKEY *pub;
    ks_keytype t;
    char path[4096], uri[4200], hex[65], cmd[8192], *out;
    struct stat st;
    unsigned char *pem = NULL;
    size_t pemlen = 0;

    assert_string_equal(ks_backend(f->ks), "software");
    assert_int_equal(ks_exists(f->ks, "root"), 0);
    assert_int_equal(ks_generate(f->ks, "root", type, &k, &err), SERTEL_OK);
    assert_non_null(k);
    assert_int_equal(ks_key_type(k), type);
    assert_int_equal(ks_keytype_of(ks_key_get0_pkey(k), &t, &err), SERTEL_OK);
    assert_int_equal(t, type);
    assert_int_equal(ks_exists(f->ks, "root"), 1);

    snprintf(path, sizeof(path), "%s/root.key", f->dir);
    snprintf(uri, sizeof(uri), "file:%s", path);
    assert_string_equal(ks_key_uri(k), uri);

    /* the directory is private, the file is 0600 and an encrypted PKCS#8 PEM */
    assert_int_equal(stat(f->dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(fs_read_file(path, 65536, &pem, &pemlen, &err), SERTEL_OK);
    assert_int_equal(strncmp((char *)pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----\n", 38), 0);
    assert_null(strstr((char *)pem, "BEGIN PRIVATE KEY"));
    free(pem);

    /* independent check: openssl sees PBES2 + AES-256-CBC and opens it with the hex secret */
    snprintf(cmd, sizeof(cmd), "openssl asn1parse -in '%s' 2>&1", path);
    out = run(cmd);
    assert_non_null(strstr(out, "PBES2"));
    assert_non_null(strstr(out, "aes-256-cbc"));
    free(out);
    hex_encode(secret1, sizeof(secret1), hex);
    snprintf(cmd, sizeof(cmd), "openssl pkey -in '%s' -passin pass:%s -noout 2>&1 && echo OPENED",
             path, hex);
    out = run(cmd);
    assert_non_null(strstr(out, "OPENED"));
    free(out);

    /* sign with the new key; verify with the public key only */
    pub = public_of(ks_key_get0_pkey(k));
    check_sign(k, pub);
    check_x509_sign(k, pub);

    /* reload: same key, and it signs too */
    assert_int_equal(ks_load(f->ks, "root", &k2, &err), SERTEL_OK);
    assert_int_equal(ks_key_type(k2), type);
    assert_string_equal(ks_key_uri(k2), uri);
    assert_int_equal(EVP_PKEY_eq(ks_key_get0_pkey(k2), pub), 1);
    check_sign(k2, pub);

    EVP_PKEY_free(pub);
    ks_key_free(k);
    ks_key_free(k2);
}

static void test_soft_ec_p256(void **state)
{
    soft_roundtrip(*state, KS_KEY_EC_P256);
}

static void test_soft_ec_p384(void **state)
{
    soft_roundtrip(*state, KS_KEY_EC_P384);
}

static void test_soft_rsa_2048(void **state)
{
    soft_roundtrip(*state, KS_KEY_RSA_2048);
}

static void test_soft_rsa_3072(void **state)
{
    soft_roundtrip(*state, KS_KEY_RSA_3072);
}

static void test_soft_rsa_4096(void **state)
{
    soft_roundtrip(*state, KS_KEY_RSA_4096);
}

static void test_soft_exists(void **state)
{
    soft_fixture *f = *state;
    sertel_err err = {0};
    ks_key *k = NULL, *k2 = NULL;
    unsigned char *before = NULL, *after = NULL;
    size_t blen = 0, alen = 0;
    const char *path = tu_path(f->dir, "issuing.key");

    assert_int_equal(ks_generate(f->ks, "issuing", KS_KEY_EC_P256, &k, &err), SERTEL_OK);
    assert_int_equal(fs_read_file(path, 65536, &before, &blen, &err), SERTEL_OK);
    assert_int_equal(ks_generate(f->ks, "issuing", KS_KEY_EC_P256, &k2, &err), SERTEL_ERR_EXISTS);
    assert_null(k2);
    assert_non_null(strstr(err.msg, "already exists"));
    /* the existing key is untouched */
    assert_int_equal(fs_read_file(path, 65536, &after, &alen, &err), SERTEL_OK);
    assert_int_equal(alen, blen);
    assert_memory_equal(after, before, blen);
    free(before);
    free(after);
    ks_key_free(k);
}

static void test_soft_symlink_not_followed(void **state)
{
    soft_fixture *f = *state;
    sertel_err err = {0};
    ks_key *k = NULL;
    char target[4096];

    snprintf(target, sizeof(target), "%s", tu_path(f->tmp, "elsewhere"));
    assert_int_equal(symlink(target, tu_path(f->dir, "ocsp.key")), 0);
    assert_int_not_equal(ks_generate(f->ks, "ocsp", KS_KEY_EC_P256, &k, &err), SERTEL_OK);
    assert_null(k);
    assert_false(fs_exists(target));
}

static void test_soft_wrong_secret(void **state)
{
    soft_fixture *f = *state;
    sertel_err err = {0};
    unsigned char secret2[32];
    keystore *ks2 = NULL;
    ks_key *k = NULL;

    assert_int_equal(ks_generate(f->ks, "tsa", KS_KEY_EC_P256, &k, &err), SERTEL_OK);
    ks_key_free(k);
    k = NULL;
    memcpy(secret2, secret1, sizeof(secret2));
    secret2[31] ^= 0x80;
    assert_int_equal(ks_open_soft(f->dir, secret2, sizeof(secret2), 0, &ks2, &err), SERTEL_OK);
    assert_int_equal(ks_load(ks2, "tsa", &k, &err), SERTEL_ERR_CRYPTO);
    assert_null(k);
    assert_non_null(strstr(err.msg, "cannot decrypt key 'tsa'"));
    assert_non_null(strstr(err.msg, "wrong key-encryption secret or corrupt file"));
    ks_close(ks2);
}

static void test_soft_corrupt(void **state)
{
    soft_fixture *f = *state;
    sertel_err err = {0};
    ks_key *k = NULL;
    unsigned char *pem = NULL;
    size_t len = 0;
    EVP_PKEY *plain;
    BIO *bio;
    BUF_MEM *bm;
    const char *path = tu_path(f->dir, "audit.key");

    /* garbage */
    assert_int_equal(fs_write_atomic(path, "not a key\n", 10, 0600, &err), SERTEL_OK);
    assert_int_equal(ks_load(f->ks, "audit", &k, &err), SERTEL_ERR_CRYPTO);
    assert_non_null(strstr(err.msg, "wrong key-encryption secret or corrupt file"));

    /* a real key file with one base64 character changed in the ciphertext */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(ks_generate(f->ks, "audit", KS_KEY_EC_P256, &k, &err), SERTEL_OK);
    ks_key_free(k);
    k = NULL;
    assert_int_equal(fs_read_file(path, 65536, &pem, &len, &err), SERTEL_OK);
    assert_true(len > 200);
    pem[len - 40] = pem[len - 40] == 'A' ? 'B' : 'A';
    assert_int_equal(fs_write_atomic(path, pem, len, 0600, &err), SERTEL_OK);
    free(pem);
    assert_int_equal(ks_load(f->ks, "audit", &k, &err), SERTEL_ERR_CRYPTO);
    assert_null(k);
    assert_non_null(strstr(err.msg, "cannot decrypt key 'audit'"));

    /* an unencrypted key is refused, not trusted */
    plain = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(plain);
    bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(bio, plain, NULL, NULL, 0, NULL, NULL), 1);
    BIO_get_mem_ptr(bio, &bm);
    assert_int_equal(fs_write_atomic(path, bm->data, bm->length, 0600, &err), SERTEL_OK);
    BIO_free(bio);
    EVP_PKEY_free(plain);
    assert_int_equal(ks_load(f->ks, "audit", &k, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "not encrypted"));
    assert_null(k);
}

static void test_soft_bad_label(void **state)
{
    static const char *bad[] = {"",  "Root", "a/b",  "../x", "a b", "x.key",
                                "é", "a\n",  "ROOT", ".",    "a:b", "a%2fb"};
    soft_fixture *f = *state;
    sertel_err err = {0};
    ks_key *k = NULL;
    char longl[66];
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sertel_err_clear(&err);
        assert_int_equal(ks_generate(f->ks, bad[i], KS_KEY_EC_P256, &k, &err), SERTEL_ERR_INVALID);
        assert_null(k);
        assert_non_null(strstr(err.msg, "invalid key label"));
        assert_int_equal(ks_load(f->ks, bad[i], &k, &err), SERTEL_ERR_INVALID);
        assert_int_equal(ks_destroy(f->ks, bad[i], &err), SERTEL_ERR_INVALID);
        assert_int_equal(ks_exists(f->ks, bad[i]), 0);
    }
    memset(longl, 'a', 65);
    longl[65] = '\0';
    assert_int_equal(ks_generate(f->ks, longl, KS_KEY_EC_P256, &k, &err), SERTEL_ERR_INVALID);
    longl[64] = '\0'; /* 64 characters: the longest valid label */
    assert_int_equal(ks_generate(f->ks, longl, KS_KEY_EC_P256, &k, &err), SERTEL_OK);
    ks_key_free(k);
    k = NULL;
    assert_int_equal(ks_generate(f->ks, "a-z_0-9", KS_KEY_EC_P256, &k, &err), SERTEL_OK);
    ks_key_free(k);
}

static void test_soft_destroy(void **state)
{
    soft_fixture *f = *state;
    sertel_err err = {0};
    ks_key *k = NULL;
    const char *path = tu_path(f->dir, "root.key");

    assert_int_equal(ks_generate(f->ks, "root", KS_KEY_EC_P384, &k, &err), SERTEL_OK);
    ks_key_free(k);
    k = NULL;
    assert_true(fs_exists(path));
    assert_int_equal(ks_destroy(f->ks, "root", &err), SERTEL_OK);
    assert_false(fs_exists(path));
    assert_int_equal(ks_exists(f->ks, "root"), 0);
    assert_int_equal(ks_load(f->ks, "root", &k, &err), SERTEL_ERR_NOTFOUND);
    assert_int_equal(ks_destroy(f->ks, "root", &err), SERTEL_ERR_NOTFOUND);
    /* the label is free again */
    assert_int_equal(ks_generate(f->ks, "root", KS_KEY_EC_P256, &k, &err), SERTEL_OK);
    ks_key_free(k);
}

static void test_soft_missing(void **state)
{
    soft_fixture *f = *state;
    sertel_err err = {0};
    ks_key *k = NULL;

    assert_int_equal(ks_load(f->ks, "nothere", &k, &err), SERTEL_ERR_NOTFOUND);
    assert_null(k);
    assert_non_null(strstr(err.msg, "nothere"));
}

static void test_soft_open_errors(void **state)
{
    soft_fixture *f = *state;
    sertel_err err = {0};
    keystore *ks = NULL;

    assert_int_equal(
        ks_open_soft(tu_path(f->tmp, "absent"), secret1, sizeof(secret1), 0, &ks, &err),
        SERTEL_ERR_NOTFOUND);
    assert_null(ks);
    assert_int_equal(ks_open_soft(f->dir, secret1, 8, 0, &ks, &err), SERTEL_ERR_INVALID);
    assert_int_equal(fs_write_atomic(tu_path(f->tmp, "afile"), "x", 1, 0600, &err), SERTEL_OK);
    assert_int_equal(ks_open_soft(tu_path(f->tmp, "afile"), secret1, sizeof(secret1), 1, &ks, &err),
                     SERTEL_ERR_INVALID);
    assert_null(ks);
    ks_close(NULL);
    ks_key_free(NULL);
}

/* ---- PKCS#11 back end (SoftHSM2) ---- */

static char *p11tmp;

static int p11_group_setup(void **state)
{
    char conf[4096], cmd[8192];
    FILE *f;

    (void)state;
    if (!have_command("softhsm2-util") || !have_command("pkcs11-tool") ||
        access(SOFTHSM_MODULE, R_OK) != 0) {
        fprintf(stderr, "the PKCS#11 tests need SoftHSM2 and OpenSC: install the softhsm2 and "
                        "opensc packages (scripts/install-deps.sh)\n");
        return -1;
    }
    p11tmp = tu_mkdtemp();
    if (mkdir(tu_path(p11tmp, "tokens"), 0700) != 0)
        return -1;
    snprintf(conf, sizeof(conf), "%s", tu_path(p11tmp, "softhsm2.conf"));
    f = fopen(conf, "w");
    if (f == NULL)
        return -1;
    fprintf(f,
            "directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n"
            "slots.removable = false\n",
            p11tmp);
    fclose(f);
    setenv("SOFTHSM2_CONF", conf, 1);
    snprintf(cmd, sizeof(cmd),
             "softhsm2-util --init-token --free --label %s --pin %s --so-pin %s >/dev/null", TOKEN,
             PIN, SO_PIN);
    if (system(cmd) != 0) {
        fprintf(stderr, "softhsm2-util could not create the test token\n");
        return -1;
    }
    return 0;
}

static int p11_group_teardown(void **state)
{
    (void)state;
    tu_rmtree(p11tmp);
    p11tmp = NULL;
    return 0;
}

static keystore *p11_open(void)
{
    sertel_err err = {0};
    keystore *ks = NULL;

    if (ks_open_pkcs11(SOFTHSM_MODULE, TOKEN, PIN, &ks, &err) != SERTEL_OK)
        fail_msg("ks_open_pkcs11: %s", err.msg);
    assert_string_equal(ks_backend(ks), "pkcs11");
    return ks;
}

/* pkcs11-tool's view of the private key labelled label. */
static char *p11_tool_privkey(const char *label)
{
    char cmd[8192];

    snprintf(cmd, sizeof(cmd),
             "pkcs11-tool --module %s --token-label %s --login --pin %s --list-objects "
             "--type privkey --label %s 2>&1",
             SOFTHSM_MODULE, TOKEN, PIN, label);
    return run(cmd);
}

/*
 * The private key cannot be exported. OpenSSL's encoder is given libp11's
 * EVP_PKEY: for RSA it fails (no private exponent), for EC libp11 0.4.12
 * carries a placeholder scalar of zero, so the "export" yields a key that
 * cannot make a signature the real public key accepts. pkcs11-tool shows
 * the token's attributes: sensitive and never extractable.
 */
static void check_not_extractable(const ks_key *k, EVP_PKEY *pub, const char *label)
{
    BIO *bio = BIO_new(BIO_s_mem());
    EVP_PKEY *exported;
    char *out;

    assert_non_null(bio);
    if (PEM_write_bio_PrivateKey(bio, ks_key_get0_pkey(k), NULL, NULL, 0, NULL, NULL) == 1) {
        exported = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        if (exported != NULL) {
            EVP_MD_CTX *ctx = EVP_MD_CTX_new();
            unsigned char sig[1024];
            size_t siglen = sizeof(sig);
            const EVP_MD *md = ks_keytype_digest(ks_key_type(k));
            assert_non_null(ctx);
            if (EVP_DigestSignInit(ctx, NULL, md, NULL, exported) == 1 &&
                EVP_DigestSign(ctx, sig, &siglen, msg, sizeof(msg)) == 1)
                assert_false(verify(pub, md, msg, sizeof(msg), sig, siglen));
            EVP_MD_CTX_free(ctx);
            EVP_PKEY_free(exported);
        }
    }
    BIO_free(bio);

    out = p11_tool_privkey(label);
    assert_non_null(strstr(out, "Private Key Object"));
    assert_non_null(strstr(out, "Access:     sensitive, always sensitive, never extractable"));
    assert_non_null(strstr(out, "Usage:      sign\n"));
    free(out);
}

static void p11_roundtrip(ks_keytype type, const char *label)
{
    sertel_err err = {0};
    keystore *ks = p11_open();
    ks_key *k = NULL, *k2 = NULL;
    EVP_PKEY *pub;
    ks_keytype t;
    char uri[256];
    char *out;

    assert_int_equal(ks_exists(ks, label), 0);
    assert_int_equal(ks_generate(ks, label, type, &k, &err), SERTEL_OK);
    assert_non_null(k);
    assert_int_equal(ks_key_type(k), type);
    assert_int_equal(ks_keytype_of(ks_key_get0_pkey(k), &t, &err), SERTEL_OK);
    assert_int_equal(t, type);
    snprintf(uri, sizeof(uri), "pkcs11:token=%s;object=%s", TOKEN, label);
    assert_string_equal(ks_key_uri(k), uri);
    assert_int_equal(ks_exists(ks, label), 1);

    pub = public_of(ks_key_get0_pkey(k));
    check_sign(k, pub);
    check_x509_sign(k, pub);
    check_not_extractable(k, pub, label);

    /* the label is taken */
    assert_int_equal(ks_generate(ks, label, type, &k2, &err), SERTEL_ERR_EXISTS);
    assert_null(k2);
    ks_key_free(k);
    k = NULL;
    ks_close(ks);

    /* a new session finds the same key in the token */
    ks = p11_open();
    assert_int_equal(ks_load(ks, label, &k, &err), SERTEL_OK);
    assert_int_equal(ks_key_type(k), type);
    assert_string_equal(ks_key_uri(k), uri);
    check_sign(k, pub);
    check_x509_sign(k, pub);
    ks_key_free(k);
    k = NULL;

    /* destroy removes both halves */
    assert_int_equal(ks_destroy(ks, label, &err), SERTEL_OK);
    assert_int_equal(ks_exists(ks, label), 0);
    assert_int_equal(ks_load(ks, label, &k, &err), SERTEL_ERR_NOTFOUND);
    assert_null(k);
    assert_int_equal(ks_destroy(ks, label, &err), SERTEL_ERR_NOTFOUND);
    ks_close(ks);
    out = p11_tool_privkey(label);
    assert_null(strstr(out, "Private Key Object"));
    free(out);

    EVP_PKEY_free(pub);
}

static void test_p11_ec_p256(void **state)
{
    (void)state;
    p11_roundtrip(KS_KEY_EC_P256, "root");
}

static void test_p11_ec_p384(void **state)
{
    (void)state;
    p11_roundtrip(KS_KEY_EC_P384, "issuing");
}

static void test_p11_rsa_2048(void **state)
{
    (void)state;
    p11_roundtrip(KS_KEY_RSA_2048, "ocsp");
}

/* Several keys at once; regenerating a destroyed label gives a new, working key. */
static void test_p11_several_keys(void **state)
{
    sertel_err err = {0};
    keystore *ks;
    ks_key *a = NULL, *b = NULL, *a2 = NULL;
    EVP_PKEY *puba, *pubb, *puba2;

    (void)state;
    ks = p11_open();
    assert_int_equal(ks_generate(ks, "tsa", KS_KEY_EC_P256, &a, &err), SERTEL_OK);
    assert_int_equal(ks_generate(ks, "audit", KS_KEY_EC_P384, &b, &err), SERTEL_OK);
    puba = public_of(ks_key_get0_pkey(a));
    pubb = public_of(ks_key_get0_pkey(b));
    assert_int_equal(EVP_PKEY_eq(puba, pubb), 0);
    /* the first key still works after libp11 has seen more keys */
    check_sign(a, puba);
    check_sign(b, pubb);
    ks_key_free(a);
    a = NULL;
    assert_int_equal(ks_destroy(ks, "tsa", &err), SERTEL_OK);
    assert_int_equal(ks_generate(ks, "tsa", KS_KEY_EC_P256, &a2, &err), SERTEL_OK);
    puba2 = public_of(ks_key_get0_pkey(a2));
    assert_int_not_equal(EVP_PKEY_eq(puba, puba2), 1);
    check_sign(a2, puba2);
    assert_int_equal(ks_load(ks, "tsa", &a, &err), SERTEL_OK);
    check_sign(a, puba2);
    ks_key_free(a);
    ks_key_free(a2);
    ks_key_free(b);
    assert_int_equal(ks_destroy(ks, "tsa", &err), SERTEL_OK);
    assert_int_equal(ks_destroy(ks, "audit", &err), SERTEL_OK);
    ks_close(ks);
    EVP_PKEY_free(puba);
    EVP_PKEY_free(puba2);
    EVP_PKEY_free(pubb);
}

/*
 * Two opens in one process share the keystore: a key loaded through the
 * first still signs after the second has opened, loaded and closed (a
 * second libp11 context logging in used to invalidate it); another PIN, or
 * another token, while it is open is refused; after the last close it
 * opens anew.
 */
static void test_p11_shared(void **state)
{
    sertel_err err = {0};
    keystore *ks1, *ks2, *ks3 = NULL;
    ks_key *a = NULL, *a2 = NULL;
    EVP_PKEY *pub;

    (void)state;
    ks1 = p11_open();
    assert_int_equal(ks_generate(ks1, "shared", KS_KEY_EC_P256, &a, &err), SERTEL_OK);
    pub = public_of(ks_key_get0_pkey(a));
    ks2 = p11_open();
    assert_ptr_equal(ks1, ks2);
    assert_int_equal(ks_load(ks2, "shared", &a2, &err), SERTEL_OK);
    check_sign(a2, pub);
    ks_key_free(a2);
    assert_int_equal(ks_open_pkcs11(SOFTHSM_MODULE, TOKEN, "9999", &ks3, &err), SERTEL_ERR_TOKEN);
    assert_null(ks3);
    assert_non_null(strstr(err.msg, "another PIN"));
    assert_int_equal(ks_open_pkcs11(SOFTHSM_MODULE, "other-token", PIN, &ks3, &err),
                     SERTEL_ERR_TOKEN);
    assert_non_null(strstr(err.msg, "one token per process"));
    ks_close(ks2);
    check_sign(a, pub); /* the first user's key still works */
    ks_key_free(a);
    assert_int_equal(ks_destroy(ks1, "shared", &err), SERTEL_OK);
    ks_close(ks1);
    ks1 = p11_open(); /* really closed: opens anew */
    assert_int_equal(ks_exists(ks1, "shared"), 0);
    ks_close(ks1);
    EVP_PKEY_free(pub);
}

static void test_p11_wrong_pin(void **state)
{
    sertel_err err = {0};
    keystore *ks = NULL;

    (void)state;
    assert_int_equal(ks_open_pkcs11(SOFTHSM_MODULE, TOKEN, "9999", &ks, &err), SERTEL_ERR_TOKEN);
    assert_null(ks);
    assert_non_null(strstr(err.msg, "PIN rejected"));
    assert_null(strstr(err.msg, "9999"));
    /* the right PIN still works afterwards */
    ks = p11_open();
    ks_close(ks);
}

static void test_p11_missing_token(void **state)
{
    sertel_err err = {0};
    keystore *ks = NULL;

    (void)state;
    assert_int_equal(ks_open_pkcs11(SOFTHSM_MODULE, "no-such-token", PIN, &ks, &err),
                     SERTEL_ERR_TOKEN);
    assert_null(ks);
    assert_non_null(strstr(err.msg, "'no-such-token' not found"));
    assert_non_null(strstr(err.msg, "'" TOKEN "'"));
    assert_non_null(strstr(err.msg, "softhsm2-util --init-token"));
}

static void test_p11_bad_module(void **state)
{
    sertel_err err = {0};
    keystore *ks = NULL;

    (void)state;
    assert_int_equal(ks_open_pkcs11("/nonexistent/libpkcs11.so", TOKEN, PIN, &ks, &err),
                     SERTEL_ERR_TOKEN);
    assert_null(ks);
    assert_non_null(strstr(err.msg, "/nonexistent/libpkcs11.so"));
}

static void test_p11_bad_label(void **state)
{
    sertel_err err = {0};
    keystore *ks;
    ks_key *k = NULL;

    (void)state;
    ks = p11_open();
    assert_int_equal(ks_generate(ks, "Bad Label", KS_KEY_EC_P256, &k, &err), SERTEL_ERR_INVALID);
    assert_null(k);
    assert_int_equal(ks_load(ks, "missing", &k, &err), SERTEL_ERR_NOTFOUND);
    assert_null(k);
    ks_close(ks);
}

int main(void)
{
    const struct CMUnitTest common[] = {
        cmocka_unit_test(test_keytype),
        cmocka_unit_test(test_keytype_of_unsupported),
    };
    const struct CMUnitTest soft[] = {
        cmocka_unit_test_setup_teardown(test_soft_ec_p256, soft_setup, soft_teardown),
        cmocka_unit_test_setup_teardown(test_soft_ec_p384, soft_setup, soft_teardown),
        cmocka_unit_test_setup_teardown(test_soft_rsa_2048, soft_setup, soft_teardown),
        cmocka_unit_test_setup_teardown(test_soft_rsa_3072, soft_setup, soft_teardown),
        cmocka_unit_test_setup_teardown(test_soft_rsa_4096, soft_setup, soft_teardown),
        cmocka_unit_test_setup_teardown(test_soft_exists, soft_setup, soft_teardown),
        cmocka_unit_test_setup_teardown(test_soft_symlink_not_followed, soft_setup, soft_teardown),
        cmocka_unit_test_setup_teardown(test_soft_wrong_secret, soft_setup, soft_teardown),
        cmocka_unit_test_setup_teardown(test_soft_corrupt, soft_setup, soft_teardown),
        cmocka_unit_test_setup_teardown(test_soft_bad_label, soft_setup, soft_teardown),
        cmocka_unit_test_setup_teardown(test_soft_destroy, soft_setup, soft_teardown),
        cmocka_unit_test_setup_teardown(test_soft_missing, soft_setup, soft_teardown),
        cmocka_unit_test_setup_teardown(test_soft_open_errors, soft_setup, soft_teardown),
    };
    const struct CMUnitTest p11[] = {
        cmocka_unit_test(test_p11_missing_token), cmocka_unit_test(test_p11_bad_module),
        cmocka_unit_test(test_p11_shared),        cmocka_unit_test(test_p11_wrong_pin),
        cmocka_unit_test(test_p11_bad_label),     cmocka_unit_test(test_p11_ec_p256),
        cmocka_unit_test(test_p11_ec_p384),       cmocka_unit_test(test_p11_rsa_2048),
        cmocka_unit_test(test_p11_several_keys),
    };
    int failed = 0;

    failed += cmocka_run_group_tests_name("keystore", common, NULL, NULL);
    failed += cmocka_run_group_tests_name("keystore-software", soft, NULL, NULL);
    /* A failing group setup (no SoftHSM2) must fail the run, not skip it. */
    failed +=
        cmocka_run_group_tests_name("keystore-pkcs11", p11, p11_group_setup, p11_group_teardown);
    return failed != 0;
}
