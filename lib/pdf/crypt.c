/*
 * crypt.c - the standard security handler of encrypted PDFs (ISO 32000-1
 * §7.6.3-§7.6.5 for revisions 2-4, Adobe Extension Level 3 for revision 5,
 * ISO 32000-2 §7.6.4.3-§7.6.4.4 for revision 6): authentication with the
 * user or the owner password, the file encryption key, per-object keys
 * (§7.6.2 algorithm 1), and decryption / encryption of strings and
 * streams with RC4 (R2-R4, crypt filter /V2), AES-128-CBC (/AESV2) and
 * AES-256-CBC (/AESV3).
 *
 * Every cipher and hash is OpenSSL's EVP. RC4 lives in OpenSSL 3's legacy
 * provider: it is loaded, with the default provider, into a private
 * library context created once (CRYPTO_THREAD_run_once), the first time
 * a document needs it (loading the module costs ~1.5 ms, which most
 * documents never need); the default context never gets the legacy
 * provider. A sandboxed job process cannot open the module once it is
 * confined: there it must have been loaded before (pdf_crypt_preload:
 * the worker image does at start, a clean-parent job when its input
 * names /Encrypt, verify_job.c), else RC4 is refused with a message rather
 * than the forbidden open killing the process.
 *
 * Passwords arrive as UTF-8 (a file's line). Revisions 2-4 hash
 * PDFDocEncoded bytes truncated to 32: the password as given is tried, then
 * its PDFDocEncoding when it has other than ASCII characters and all of
 * them have one. Revisions 5 and 6 hash UTF-8 prepared with SASLprep (RFC
 * 4013, libidn's stringprep, as ISO 32000-2 §7.6.4.3.3 asks) truncated to
 * 127 bytes: the prepared form is tried, then the bytes as given (some
 * writers skip SASLprep). An ASCII password never reaches libidn
 * (SASLprep leaves printable ASCII alone), so only a password with other
 * characters passes through its buffers, which it frees without wiping.
 *
 * The writer side (pdf_crypt_object) encrypts an object we just wrote in
 * an incremental update: every string but a signature's /Contents, and
 * the stream data (with /Length updated). Keys and passwords are wiped
 * (OPENSSL_cleanse) after use.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include <idn-free.h>
#include <stringprep.h>

#include "pdf/pdf_int.h"
#include "util/num.h"
#include "sandbox/sandbox.h"

static const unsigned char pad32[32] = {
    0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
    0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A};

/* --- RC4 from the legacy provider, in a private library context --- */

static CRYPTO_ONCE rc4_once = CRYPTO_ONCE_STATIC_INIT;
static OSSL_LIB_CTX *rc4_ctx;
static EVP_CIPHER *rc4_cipher;
static volatile int rc4_tried; /* rc4_init ran (set inside the once) */

static void rc4_init(void)
{
    rc4_tried = 1;
    rc4_ctx = OSSL_LIB_CTX_new();
    if (rc4_ctx == NULL)
        return;
    if (OSSL_PROVIDER_load(rc4_ctx, "legacy") == NULL ||
        OSSL_PROVIDER_load(rc4_ctx, "default") == NULL)
        return;
    rc4_cipher = EVP_CIPHER_fetch(rc4_ctx, "RC4", NULL);
}

void pdf_crypt_preload(void)
{
    (void)CRYPTO_THREAD_run_once(&rc4_once, rc4_init);
}

static int rc4(const unsigned char *key, size_t klen, const unsigned char *in, size_t n,
               unsigned char *out, sertel_err *err)
{
    EVP_CIPHER_CTX *c = NULL;
    int ok = 0, l1 = 0, l2 = 0;

    if (!rc4_tried && sbx_in_worker())
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "this PDF's encryption needs RC4, which the checking process did "
                              "not load before it was confined (the document does not name its "
                              "/Encrypt dictionary plainly)");
    if (!CRYPTO_THREAD_run_once(&rc4_once, rc4_init) || rc4_cipher == NULL)
        return sertel_err_openssl(err, SERTEL_ERR_UNSUPPORTED,
                                  "RC4 is not available (OpenSSL's legacy provider could not be "
                                  "loaded): this PDF's encryption needs it");
    if (n > INT32_MAX)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "encrypted data too large");
    c = EVP_CIPHER_CTX_new();
    if (c != NULL && EVP_CipherInit_ex2(c, rc4_cipher, NULL, NULL, 1, NULL) &&
        EVP_CIPHER_CTX_set_key_length(c, (int)klen) &&
        EVP_CipherInit_ex2(c, NULL, key, NULL, 1, NULL) &&
        EVP_CipherUpdate(c, out, &l1, in, (int)n) && EVP_CipherFinal_ex(c, out + l1, &l2))
        ok = (size_t)(l1 + l2) == n;
    EVP_CIPHER_CTX_free(c);
    if (!ok)
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "RC4 failed");
    return SERTEL_OK;
}

/* AES-CBC (or ECB when iv is NULL) without padding; n a multiple of 16. */
static int aes_raw(const EVP_CIPHER *ciph, int enc, const unsigned char *key,
                   const unsigned char *iv, const unsigned char *in, size_t n, unsigned char *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ok = 0, l1 = 0, l2 = 0;

    if (c != NULL && n <= INT32_MAX && EVP_CipherInit_ex2(c, ciph, key, iv, enc, NULL) &&
        EVP_CIPHER_CTX_set_padding(c, 0) && EVP_CipherUpdate(c, out, &l1, in, (int)n) &&
        EVP_CipherFinal_ex(c, out + l1, &l2))
        ok = (size_t)(l1 + l2) == n;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

static int digest(const EVP_MD *md, const unsigned char *const *parts, const size_t *lens,
                  size_t nparts, unsigned char *out)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c != NULL && EVP_DigestInit_ex(c, md, NULL);
    size_t i;

    for (i = 0; ok && i < nparts; i++)
        ok = EVP_DigestUpdate(c, parts[i], lens[i]);
    ok = ok && EVP_DigestFinal_ex(c, out, NULL);
    EVP_MD_CTX_free(c);
    return ok ? 0 : -1;
}

/* --- authentication, revisions 2-4 (ISO 32000-1 §7.6.3.3, §7.6.3.4) --- */

typedef struct sh_params {
    int v, r;
    size_t n; /* key length in bytes */
    const unsigned char *o, *u, *oe, *ue, *perms;
    size_t olen, ulen, oelen, uelen, permslen;
    int32_t p;
    const unsigned char *id0;
    size_t id0len;
    int encrypt_metadata;
} sh_params;

static void pad_password(const unsigned char *pw, size_t len, unsigned char out[32])
{
    if (len > 32)
        len = 32;
    memcpy(out, pw, len);
    memcpy(out + len, pad32, 32 - len);
}

/* Algorithm 2: the file key from a padded password. */
static int key_r234(const sh_params *sp, const unsigned char padded[32], unsigned char key[16])
{
    unsigned char h[16], p[4], ff[4] = {0xff, 0xff, 0xff, 0xff};
    const unsigned char *parts[5] = {padded, sp->o, p, sp->id0, ff};
    size_t lens[5] = {32, 32, 4, sp->id0len, 4}, i;
    uint32_t pu = (uint32_t)sp->p;

    p[0] = (unsigned char)pu;
    p[1] = (unsigned char)(pu >> 8);
    p[2] = (unsigned char)(pu >> 16);
    p[3] = (unsigned char)(pu >> 24);
    if (digest(EVP_md5(), parts, lens, sp->r >= 4 && !sp->encrypt_metadata ? 5 : 4, h) != 0)
        return -1;
    if (sp->r >= 3) {
        for (i = 0; i < 50; i++) {
            const unsigned char *q[1] = {h};
            size_t ql[1] = {sp->n};
            if (digest(EVP_md5(), q, ql, 1, h) != 0)
                return -1;
        }
    }
    memcpy(key, h, sp->n);
    OPENSSL_cleanse(h, sizeof(h));
    return 0;
}

/* Algorithms 4/5 and 6: does the key computed from padded open the file as its user? */
static int check_user_r234(const sh_params *sp, const unsigned char padded[32],
                           unsigned char key[16], sertel_err *err)
{
    unsigned char x[32], k[16];
    size_t i, j;
    int rc, ok;

    if (key_r234(sp, padded, key) != 0)
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "MD5 failed");
    if (sp->r == 2) {
        if ((rc = rc4(key, sp->n, pad32, 32, x, err)) != SERTEL_OK)
            return rc;
        ok = CRYPTO_memcmp(x, sp->u, 32) == 0;
    } else {
        const unsigned char *parts[2] = {pad32, sp->id0};
        size_t lens[2] = {32, sp->id0len};
        if (digest(EVP_md5(), parts, lens, 2, x) != 0)
            return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "MD5 failed");
        for (i = 0; i < 20; i++) {
            for (j = 0; j < sp->n; j++)
                k[j] = (unsigned char)(key[j] ^ i);
            if ((rc = rc4(k, sp->n, x, 16, x, err)) != SERTEL_OK)
                return rc;
        }
        ok = CRYPTO_memcmp(x, sp->u, 16) == 0;
    }
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(x, sizeof(x));
    return ok ? SERTEL_OK : SERTEL_ERR_DENIED;
}

/* Algorithm 7: the owner password yields the padded user password. */
static int owner_to_user_r234(const sh_params *sp, const unsigned char padded_owner[32],
                              unsigned char user[32], sertel_err *err)
{
    unsigned char h[16], k[16];
    const unsigned char *parts[1] = {padded_owner};
    size_t lens[1] = {32}, i, j;
    int rc = SERTEL_OK;

    if (digest(EVP_md5(), parts, lens, 1, h) != 0)
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "MD5 failed");
    if (sp->r >= 3) {
        for (i = 0; i < 50; i++) {
            const unsigned char *q[1] = {h};
            size_t ql[1] = {16};
            if (digest(EVP_md5(), q, ql, 1, h) != 0)
                return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "MD5 failed");
        }
    }
    memcpy(user, sp->o, 32);
    if (sp->r == 2) {
        rc = rc4(h, sp->n, user, 32, user, err);
    } else {
        for (i = 20; i-- > 0 && rc == SERTEL_OK;) {
            for (j = 0; j < sp->n; j++)
                k[j] = (unsigned char)(h[j] ^ i);
            rc = rc4(k, sp->n, user, 32, user, err);
        }
    }
    OPENSSL_cleanse(h, sizeof(h));
    OPENSSL_cleanse(k, sizeof(k));
    return rc;
}

/* --- authentication, revisions 5 and 6 --- */

/* Algorithm 2.B (ISO 32000-2 §7.6.4.3.4); R5 is plain SHA-256. */
static int hash_r56(int r, const unsigned char *pw, size_t pwlen, const unsigned char *salt,
                    const unsigned char *udata, size_t udlen, unsigned char out[32])
{
    unsigned char k[64], *k1 = NULL, *e = NULL;
    const unsigned char *parts[3] = {pw, salt, udata};
    size_t lens[3] = {pwlen, 8, udlen}, klen = 32, len, i, round;
    int rc = -1;

    if (digest(EVP_sha256(), parts, lens, 3, k) != 0)
        return -1;
    if (r == 5) {
        memcpy(out, k, 32);
        OPENSSL_cleanse(k, sizeof(k));
        return 0;
    }
    k1 = malloc(64 * (127 + 64 + 48));
    e = malloc(64 * (127 + 64 + 48));
    if (k1 == NULL || e == NULL)
        goto out;
    for (round = 0;; round++) {
        unsigned sum = 0;
        size_t one = pwlen + klen + udlen;
        len = 64 * one;
        for (i = 0; i < 64; i++) {
            if (pwlen > 0)
                memcpy(k1 + i * one, pw, pwlen);
            memcpy(k1 + i * one + pwlen, k, klen);
            if (udlen > 0)
                memcpy(k1 + i * one + pwlen + klen, udata, udlen);
        }
        if (aes_raw(EVP_aes_128_cbc(), 1, k, k + 16, k1, len, e) != 0)
            goto out;
        for (i = 0; i < 16; i++)
            sum += e[i]; /* 256 = 1 (mod 3): the 128-bit number mod 3 is its byte sum mod 3 */
        {
            const unsigned char *q[1] = {e};
            size_t ql[1] = {len};
            const EVP_MD *md = sum % 3 == 0   ? EVP_sha256()
                               : sum % 3 == 1 ? EVP_sha384()
                                              : EVP_sha512();
            klen = sum % 3 == 0 ? 32 : sum % 3 == 1 ? 48 : 64;
            if (digest(md, q, ql, 1, k) != 0)
                goto out;
        }
        if (round + 1 >= 64 && e[len - 1] <= round + 1 - 32)
            break;
    }
    memcpy(out, k, 32);
    rc = 0;
out:
    OPENSSL_cleanse(k, sizeof(k));
    if (k1 != NULL) {
        OPENSSL_cleanse(k1, 64 * (127 + 64 + 48));
        free(k1);
    }
    if (e != NULL) {
        OPENSSL_cleanse(e, 64 * (127 + 64 + 48));
        free(e);
    }
    return rc;
}

/* Algorithms 2.A, 11 and 12: the owner, then the user password. */
static int auth_r56(const sh_params *sp, const unsigned char *pw, size_t pwlen,
                    unsigned char key[32], sertel_err *err)
{
    unsigned char h[32], zero[16] = {0};
    int owner;

    if (pwlen > 127)
        pwlen = 127;
    for (owner = 1; owner >= 0; owner--) {
        const unsigned char *hs = owner ? sp->o : sp->u;
        if (hash_r56(sp->r, pw, pwlen, hs + 32, owner ? sp->u : (const unsigned char *)"",
                     owner ? 48 : 0, h) != 0)
            return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "hashing the password failed");
        if (CRYPTO_memcmp(h, hs, 32) != 0)
            continue;
        if (hash_r56(sp->r, pw, pwlen, hs + 40, owner ? sp->u : (const unsigned char *)"",
                     owner ? 48 : 0, h) != 0 ||
            aes_raw(EVP_aes_256_cbc(), 0, h, zero, owner ? sp->oe : sp->ue, 32, key) != 0) {
            OPENSSL_cleanse(h, sizeof(h));
            return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "deriving the file key failed");
        }
        OPENSSL_cleanse(h, sizeof(h));
        return SERTEL_OK;
    }
    OPENSSL_cleanse(h, sizeof(h));
    return SERTEL_ERR_DENIED;
}

/* Algorithm 13: /Perms, encrypted with the file key, repeats /P. */
static int check_perms(const sh_params *sp, const unsigned char key[32], sertel_err *err)
{
    unsigned char x[16];
    uint32_t p;
    int ok;

    if (sp->perms == NULL || sp->permslen < 16)
        return sp->r == 5 ? SERTEL_OK
                          : sertel_err_set(err, SERTEL_ERR_INVALID,
                                           "damaged PDF: the encryption dictionary has no /Perms");
    if (aes_raw(EVP_aes_256_ecb(), 0, key, NULL, sp->perms, 16, x) != 0)
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "AES failed");
    p = (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
    ok = x[9] == 'a' && x[10] == 'd' && x[11] == 'b' && p == (uint32_t)sp->p;
    OPENSSL_cleanse(x, sizeof(x));
    if (!ok)
        return sertel_err_set(err, SERTEL_ERR_TAMPERED,
                              "the encrypted PDF's /Perms do not match its /P: the encryption "
                              "dictionary was altered");
    return SERTEL_OK;
}

/* --- the /Encrypt dictionary --- */

static const unsigned char *str_of(pdf_doc *d, const pdf_obj *dict, const char *key, size_t *len)
{
    const pdf_obj *o = pdf_resolve(d, pdf_dict_get(dict, key));

    if (o == NULL || o->type != PDF_STRING)
        return NULL;
    *len = o->u.str.len;
    return (const unsigned char *)o->u.str.p;
}

/* The method of the crypt filter called name (V4/V5 /CF; /Identity is none). */
static int cf_method(pdf_doc *d, const pdf_obj *enc, const pdf_obj *name, const char *which,
                     pdf_cm *cm, sertel_err *err)
{
    const pdf_obj *cf, *f, *cfm;

    if (name == NULL || pdf_is_name(name, "Identity")) {
        *cm = PDF_CM_NONE;
        return SERTEL_OK;
    }
    if (name->type != PDF_NAME)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: bad crypt filter name in %s",
                              which);
    cf = pdf_resolve(d, pdf_dict_get(enc, "CF"));
    f = cf != NULL && cf->type == PDF_DICT ? pdf_resolve(d, pdf_dict_get(cf, name->u.str.p)) : NULL;
    if (f == NULL || f->type != PDF_DICT)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "damaged PDF: crypt filter /%s is not in /CF", name->u.str.p);
    cfm = pdf_resolve(d, pdf_dict_get(f, "CFM"));
    if (cfm == NULL || pdf_is_name(cfm, "None"))
        *cm = PDF_CM_NONE;
    else if (pdf_is_name(cfm, "V2"))
        *cm = PDF_CM_RC4;
    else if (pdf_is_name(cfm, "AESV2"))
        *cm = PDF_CM_AESV2;
    else if (pdf_is_name(cfm, "AESV3"))
        *cm = PDF_CM_AESV3;
    else
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "the encrypted PDF uses crypt filter method /%s, which is not "
                              "supported",
                              cfm->type == PDF_NAME ? cfm->u.str.p : "?");
    return SERTEL_OK;
}

/* /StrF or /StmF of the encryption dictionary. */
static int crypt_filter(pdf_doc *d, const pdf_obj *enc, const char *which, pdf_cm *cm,
                        sertel_err *err)
{
    return cf_method(d, enc, pdf_resolve(d, pdf_dict_get(enc, which)), which, cm, err);
}

/*
 * The method of a stream's data: /StmF, unless the stream names its own
 * crypt filter (ISO 32000-2 §7.4.10: /Crypt first in /Filter, /Name in its
 * /DecodeParms, /Identity when absent), or it is the document's metadata
 * under /EncryptMetadata false.
 */
static int stream_method(pdf_doc *d, const pdf_obj *s, pdf_cm *cm, sertel_err *err)
{
    const pdf_crypt *c = d->crypt;
    const pdf_obj *f = pdf_resolve(d, pdf_dict_get(s, "Filter"));
    const pdf_obj *dp = pdf_resolve(d, pdf_dict_get(s, "DecodeParms"));

    *cm = c->stm_cm;
    if (f != NULL && f->type == PDF_ARRAY) {
        f = f->u.arr.n > 0 ? pdf_resolve(d, f->u.arr.items[0]) : NULL;
        dp = dp != NULL && dp->type == PDF_ARRAY && dp->u.arr.n > 0
                 ? pdf_resolve(d, dp->u.arr.items[0])
                 : NULL;
    }
    if (pdf_is_name(f, "Crypt")) {
        const pdf_obj *name =
            dp != NULL && dp->type == PDF_DICT ? pdf_resolve(d, pdf_dict_get(dp, "Name")) : NULL;
        if (c->r < 4) /* crypt filters exist from V4 on */
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "damaged PDF: a /Crypt filter in a file of revision %d", c->r);
        return cf_method(d, c->encrypt, name, "a stream's /Crypt filter", cm, err);
    }
    if (!c->encrypt_metadata && pdf_is_name(pdf_dict_get(s, "Type"), "Metadata"))
        *cm = PDF_CM_NONE;
    return SERTEL_OK;
}

/* --- the password's forms --- */

#define PW_FORMS 2

typedef struct pw_form {
    unsigned char *p; /* malloc'ed, wiped by pw_forms_free */
    size_t len;
} pw_form;

static void pw_forms_free(pw_form *f, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        if (f[i].p != NULL)
            OPENSSL_cleanse(f[i].p, f[i].len);
        free(f[i].p);
        f[i].p = NULL;
    }
}

static int pw_add(pw_form *f, int *n, const unsigned char *p, size_t len)
{
    int i;

    for (i = 0; i < *n; i++)
        if (f[i].len == len && memcmp(f[i].p, p, len) == 0)
            return 0; /* the same form again */
    f[*n].p = malloc(len + 1);
    if (f[*n].p == NULL)
        return -1;
    memcpy(f[*n].p, p, len);
    f[*n].len = len;
    (*n)++;
    return 0;
}

/* The PDFDocEncoding of UTF-8 pw into out (room for len bytes); -1 when it has none. */
static int to_docenc(const unsigned char *pw, size_t len, unsigned char *out, size_t *olen)
{
    size_t i = 0, o = 0;
    unsigned long cp;
    int b;

    while (i < len) {
        if (pdf_utf8_next(pw, len, &i, &cp) != 0 || (b = pdf_docenc_from_ucs(cp)) < 0)
            return -1;
        out[o++] = (unsigned char)b;
    }
    *olen = o;
    return 0;
}

/*
 * The forms of password pw (len bytes) to try for revision r, in order,
 * into f (at most PW_FORMS; see the top of this file). Returns 0 or -1
 * (out of memory; f holds what was made).
 */
static int pw_forms(const unsigned char *pw, size_t len, int r, pw_form *f, int *n)
{
    size_t i, olen = 0;
    int ascii = 1, rc = 0;

    *n = 0;
    for (i = 0; i < len; i++)
        if (pw[i] >= 0x80)
            ascii = 0;
    if (r >= 5) {
        char *prep = NULL;
        if (!ascii && memchr(pw, 0, len) == NULL &&
            stringprep_profile((const char *)pw, &prep, "SASLprep", 0) == STRINGPREP_OK &&
            prep != NULL) {
            size_t pl = strlen(prep);
            rc = pw_add(f, n, (const unsigned char *)prep, pl > 127 ? 127 : pl);
            OPENSSL_cleanse(prep, pl);
        }
        idn_free(prep);
        if (rc == 0)
            rc = pw_add(f, n, pw, len > 127 ? 127 : len);
        return rc;
    }
    rc = pw_add(f, n, pw, len > 32 ? 32 : len);
    if (rc == 0 && !ascii) {
        unsigned char *de = malloc(len + 1);
        if (de == NULL)
            return -1;
        if (to_docenc(pw, len, de, &olen) == 0)
            rc = pw_add(f, n, de, olen > 32 ? 32 : olen);
        OPENSSL_cleanse(de, len + 1);
        free(de);
    }
    return rc;
}

int pdf_crypt_open(pdf_doc *d, const char *password, sertel_err *err)
{
    const pdf_obj *enc = pdf_resolve(d, d->t_encrypt), *f, *id;
    pdf_crypt *c = NULL;
    sh_params sp;
    int64_t v = 0, r = 0, len = 40, p = 0;
    const unsigned char *pw = (const unsigned char *)(password ? password : "");
    size_t pwlen = strlen((const char *)pw), i;
    pw_form forms[PW_FORMS];
    int rc, nforms = 0;

    memset(&sp, 0, sizeof(sp));
    if (enc == NULL || enc->type != PDF_DICT)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "damaged PDF: the trailer's /Encrypt is not a dictionary");
    f = pdf_resolve(d, pdf_dict_get(enc, "Filter"));
    if (!pdf_is_name(f, "Standard") || pdf_dict_get(enc, "SubFilter") != NULL)
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "the PDF is encrypted with the %s%s security handler: only the "
                              "standard (password) security handler is supported",
                              f != NULL && f->type == PDF_NAME ? "/" : "",
                              f != NULL && f->type == PDF_NAME ? f->u.str.p : "unknown");
    if (pdf_get_int(pdf_resolve(d, pdf_dict_get(enc, "V")), &v) != 0)
        v = 0;
    if (pdf_get_int(pdf_resolve(d, pdf_dict_get(enc, "R")), &r) != 0 ||
        pdf_get_int(pdf_resolve(d, pdf_dict_get(enc, "P")), &p) != 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "damaged PDF: the encryption dictionary has no /R or /P");
    if (!((v == 1 && r == 2) || (v == 2 && (r == 2 || r == 3)) || (v == 4 && r == 4) ||
          (v == 5 && (r == 5 || r == 6))))
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "the PDF's encryption (standard security handler /V %lld /R %lld) "
                              "is not supported: revisions 2 to 6 are",
                              (long long)v, (long long)r);
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    sp.v = (int)v;
    sp.r = (int)r;
    sp.p = (int32_t)p;
    {
        const pdf_obj *em = pdf_resolve(d, pdf_dict_get(enc, "EncryptMetadata"));
        sp.encrypt_metadata = !(em != NULL && em->type == PDF_BOOL && !em->u.boolean);
    }
    sp.o = str_of(d, enc, "O", &sp.olen);
    sp.u = str_of(d, enc, "U", &sp.ulen);
    if (v == 5) {
        sp.oe = str_of(d, enc, "OE", &sp.oelen);
        sp.ue = str_of(d, enc, "UE", &sp.uelen);
        sp.perms = str_of(d, enc, "Perms", &sp.permslen);
        if (sp.o == NULL || sp.u == NULL || sp.oe == NULL || sp.ue == NULL || sp.olen < 48 ||
            sp.ulen < 48 || sp.oelen < 32 || sp.uelen < 32) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "damaged PDF: bad /O /U /OE /UE in the encryption dictionary");
            goto fail;
        }
        sp.n = 32;
    } else {
        if (sp.o == NULL || sp.u == NULL || sp.olen < 32 || sp.ulen < 32) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "damaged PDF: bad /O or /U in the encryption dictionary");
            goto fail;
        }
        if (v >= 2)
            (void)pdf_get_int(pdf_resolve(d, pdf_dict_get(enc, "Length")), &len);
        if (v == 4 && pdf_dict_get(enc, "Length") == NULL)
            len = 128;
        if (r == 2)
            len = 40;
        if (len < 40 || len > 128 || len % 8 != 0) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "damaged PDF: bad key /Length %lld in the encryption dictionary",
                                (long long)len);
            goto fail;
        }
        sp.n = (size_t)len / 8;
        id = pdf_resolve(d, d->t_id);
        if (id != NULL && id->type == PDF_ARRAY && id->u.arr.n >= 1 &&
            (id = pdf_resolve(d, id->u.arr.items[0])) != NULL && id->type == PDF_STRING) {
            sp.id0 = (const unsigned char *)id->u.str.p;
            sp.id0len = id->u.str.len;
        } else {
            sp.id0 = (const unsigned char *)"";
        }
    }
    c->r = sp.r;
    c->encrypt_metadata = sp.encrypt_metadata;
    c->encrypt = enc;
    c->encrypt_num = d->t_encrypt->type == PDF_REF ? d->t_encrypt->u.ref.num : 0;
    if (v == 4 || v == 5) {
        if ((rc = crypt_filter(d, enc, "StrF", &c->str_cm, err)) != SERTEL_OK ||
            (rc = crypt_filter(d, enc, "StmF", &c->stm_cm, err)) != SERTEL_OK)
            goto fail;
        if ((v == 5 && ((c->str_cm != PDF_CM_NONE && c->str_cm != PDF_CM_AESV3) ||
                        (c->stm_cm != PDF_CM_NONE && c->stm_cm != PDF_CM_AESV3))) ||
            (v == 4 && (c->str_cm == PDF_CM_AESV3 || c->stm_cm == PDF_CM_AESV3))) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "damaged PDF: the crypt filters do not match the encryption "
                                "version");
            goto fail;
        }
    } else {
        c->str_cm = c->stm_cm = PDF_CM_RC4;
    }

    /* Authenticate each form of the password as the user's, then as the owner's. */
    if (pw_forms(pw, pwlen, (int)r, forms, &nforms) != 0) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    rc = SERTEL_ERR_DENIED;
    for (i = 0; i < (size_t)nforms && rc == SERTEL_ERR_DENIED; i++) {
        if (v == 5) {
            rc = auth_r56(&sp, forms[i].p, forms[i].len, c->key, err);
            if (rc == SERTEL_OK)
                rc = check_perms(&sp, c->key, err);
        } else {
            unsigned char padded[32], user[32];
            pad_password(forms[i].p, forms[i].len, padded);
            rc = check_user_r234(&sp, padded, c->key, err);
            if (rc == SERTEL_ERR_DENIED) {
                rc = owner_to_user_r234(&sp, padded, user, err);
                if (rc == SERTEL_OK)
                    rc = check_user_r234(&sp, user, c->key, err);
            }
            OPENSSL_cleanse(padded, sizeof(padded));
            OPENSSL_cleanse(user, sizeof(user));
        }
    }
    pw_forms_free(forms, nforms);
    if (rc == SERTEL_ERR_DENIED) {
        if (password == NULL)
            sertel_err_set(err, SERTEL_ERR_DENIED,
                           "the PDF is encrypted: give its password with --pdf-password-file F");
        else
            sertel_err_set(err, SERTEL_ERR_DENIED, "wrong password for the encrypted PDF");
        goto fail;
    }
    if (rc != SERTEL_OK)
        goto fail;
    c->keylen = sp.n;

    /* Objects read so far (the catalog, the /Encrypt) were read raw: read them again. */
    d->crypt = c;
    if (d->objcache != NULL)
        memset(d->objcache, 0, (size_t)d->nxref * sizeof(*d->objcache));
    for (i = 0; i < OBJSTM_CACHE; i++) {
        free(d->cache[i].data);
        free(d->cache[i].offs);
        memset(&d->cache[i], 0, sizeof(d->cache[i]));
    }
    if (d->recovered)
        pdf_recover_objstms(d);
    return SERTEL_OK;
fail:
    pdf_crypt_free(c);
    return rc;
}

void pdf_crypt_free(pdf_crypt *c)
{
    if (c != NULL) {
        OPENSSL_cleanse(c, sizeof(*c));
        free(c);
    }
}

/* --- per-object keys and the ciphers --- */

/* Algorithm 1 (R2-R4) or the file key itself (R5, R6). */
static size_t object_key(const pdf_crypt *c, pdf_cm cm, uint32_t num, uint16_t gen,
                         unsigned char key[32])
{
    unsigned char tail[9], h[16];
    const unsigned char *parts[2] = {c->key, tail};
    size_t lens[2] = {c->keylen, cm == PDF_CM_AESV2 ? 9 : 5};
    size_t n = c->keylen + 5 < 16 ? c->keylen + 5 : 16;

    if (cm == PDF_CM_AESV3) {
        memcpy(key, c->key, 32);
        return 32;
    }
    tail[0] = (unsigned char)num;
    tail[1] = (unsigned char)(num >> 8);
    tail[2] = (unsigned char)(num >> 16);
    tail[3] = (unsigned char)gen;
    tail[4] = (unsigned char)(gen >> 8);
    memcpy(tail + 5, "sAlT", 4);
    if (digest(EVP_md5(), parts, lens, 2, h) != 0)
        return 0;
    memcpy(key, h, n);
    OPENSSL_cleanse(h, sizeof(h));
    return n;
}

int pdf_crypt_buf(const pdf_crypt *c, pdf_cm cm, uint32_t num, uint16_t gen, int enc,
                  const unsigned char *in, size_t in_len, unsigned char *out, size_t *out_len,
                  sertel_err *err)
{
    unsigned char key[32];
    size_t klen;
    int rc = SERTEL_OK;

    if (cm == PDF_CM_NONE) {
        memmove(out, in, in_len);
        *out_len = in_len;
        return SERTEL_OK;
    }
    klen = object_key(c, cm, num, gen, key);
    if (klen == 0)
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "MD5 failed");
    if (cm == PDF_CM_RC4) {
        rc = rc4(key, klen, in, in_len, out, err);
        *out_len = in_len;
    } else {
        const EVP_CIPHER *ciph = cm == PDF_CM_AESV2 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
        EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
        unsigned char iv[16];
        int l1 = 0, l2 = 0, ok;
        if (enc) {
            ok = x != NULL && in_len < INT32_MAX - 32 && RAND_bytes(iv, 16) == 1 &&
                 EVP_EncryptInit_ex2(x, ciph, key, iv, NULL) &&
                 EVP_EncryptUpdate(x, out + 16, &l1, in, (int)in_len) &&
                 EVP_EncryptFinal_ex(x, out + 16 + l1, &l2);
            if (ok) {
                memcpy(out, iv, 16);
                *out_len = 16 + (size_t)l1 + (size_t)l2;
            } else {
                rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "AES encryption failed");
            }
        } else if (in_len == 0) {
            *out_len = 0; /* an empty string left unencrypted */
        } else if (in_len < 32 || in_len % 16 != 0 || in_len > INT32_MAX) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "damaged PDF: encrypted data of object %u has a bad length (%zu "
                                "bytes: AES needs an IV and whole blocks)",
                                num, in_len);
        } else {
            memcpy(iv, in, 16);
            ok = x != NULL && EVP_DecryptInit_ex2(x, ciph, key, iv, NULL) &&
                 EVP_DecryptUpdate(x, out, &l1, in + 16, (int)(in_len - 16)) &&
                 EVP_DecryptFinal_ex(x, out + l1, &l2);
            if (ok)
                *out_len = (size_t)l1 + (size_t)l2;
            else
                rc = sertel_err_openssl(err, SERTEL_ERR_INVALID,
                                        "damaged PDF or wrong key: encrypted data of object %u "
                                        "has bad padding",
                                        num);
        }
        EVP_CIPHER_CTX_free(x);
    }
    OPENSSL_cleanse(key, sizeof(key));
    return rc;
}

/* --- the reader: objects after parsing, stream data when decoded --- */

static int is_sig_dict(const pdf_obj *o)
{
    return o->type == PDF_DICT && (pdf_is_name(pdf_dict_get(o, "Type"), "Sig") ||
                                   pdf_is_name(pdf_dict_get(o, "Type"), "DocTimeStamp") ||
                                   pdf_dict_get(o, "ByteRange") != NULL);
}

static int decrypt_tree(pdf_doc *d, pdf_obj *o, uint32_t num, uint16_t gen, int depth,
                        sertel_err *err)
{
    size_t i;
    int rc, sig;

    if (depth > PDF_MAX_DEPTH + 2)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: objects nested too deeply");
    switch (o->type) {
    case PDF_STRING: {
        unsigned char *out;
        size_t n = 0;
        if (o->u.str.len == 0)
            return SERTEL_OK;
        out = pdf_arena_alloc(d, o->u.str.len + 1);
        if (out == NULL)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        rc = pdf_crypt_buf(d->crypt, d->crypt->str_cm, num, gen, 0,
                           (const unsigned char *)o->u.str.p, o->u.str.len, out, &n, err);
        if (rc != SERTEL_OK)
            return rc;
        o->u.str.p = (const char *)out;
        o->u.str.len = n;
        return SERTEL_OK;
    }
    case PDF_ARRAY:
        for (i = 0; i < o->u.arr.n; i++)
            if ((rc = decrypt_tree(d, o->u.arr.items[i], num, gen, depth + 1, err)) != SERTEL_OK)
                return rc;
        return SERTEL_OK;
    case PDF_DICT:
    case PDF_STREAM:
        sig = is_sig_dict(o);
        for (i = 0; i < o->u.dict.n; i++) {
            if (sig && strcmp(o->u.dict.keys[i], "Contents") == 0)
                continue; /* a signature's /Contents is never encrypted */
            if ((rc = decrypt_tree(d, o->u.dict.vals[i], num, gen, depth + 1, err)) != SERTEL_OK)
                return rc;
        }
        return SERTEL_OK;
    default:
        return SERTEL_OK;
    }
}

int pdf_crypt_loaded(pdf_doc *d, pdf_obj *o, uint32_t num, uint16_t gen, sertel_err *err)
{
    const pdf_crypt *c = d->crypt;
    int rc;

    if (c == NULL || (c->encrypt_num != 0 && num == c->encrypt_num) || o == c->encrypt)
        return SERTEL_OK;
    if (o->type == PDF_STREAM && pdf_is_name(pdf_dict_get(o, "Type"), "XRef"))
        return SERTEL_OK; /* cross-reference streams are never encrypted */
    if (c->str_cm != PDF_CM_NONE) {
        rc = decrypt_tree(d, o, num, gen, 0, err);
        if (rc != SERTEL_OK) {
            sertel_err_prefix(err, "object %u", num);
            return rc;
        }
    }
    if (o->type == PDF_STREAM) {
        pdf_cm cm = PDF_CM_NONE;
        rc = stream_method(d, o, &cm, err);
        if (rc != SERTEL_OK) {
            sertel_err_prefix(err, "object %u", num);
            return rc;
        }
        o->u.dict.crypt = (uint8_t)cm;
        o->u.dict.crypt_num = num;
        o->u.dict.crypt_gen = gen;
    }
    return SERTEL_OK;
}

int pdf_crypt_stream(pdf_doc *d, const pdf_obj *s, const unsigned char *raw, size_t len,
                     unsigned char **out, size_t *out_len, sertel_err *err)
{
    unsigned char *p = malloc(len + 1);
    int rc;

    if (p == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    rc = pdf_crypt_buf(d->crypt, (pdf_cm)s->u.dict.crypt, s->u.dict.crypt_num, s->u.dict.crypt_gen,
                       0, raw, len, p, out_len, err);
    if (rc != SERTEL_OK) {
        free(p);
        return rc;
    }
    *out = p;
    return SERTEL_OK;
}

/* --- the writer: encrypt an object we wrote --- */

typedef enum tok_kind { T_END, T_NAME, T_STRING, T_OPEN, T_CLOSE, T_WORD } tok_kind;

/* Next token of our own object text; *s..*e its extent. */
static tok_kind next_tok(const char *b, size_t len, size_t *pos, size_t *s, size_t *e)
{
    size_t p = *pos;

    for (;;) {
        while (p < len && pdf_is_ws((unsigned char)b[p]))
            p++;
        if (p < len && b[p] == '%') {
            while (p < len && b[p] != '\n' && b[p] != '\r')
                p++;
            continue;
        }
        break;
    }
    *s = p;
    if (p >= len) {
        *pos = *e = p;
        return T_END;
    }
    if (b[p] == '/') {
        p++;
        while (p < len && !pdf_is_ws((unsigned char)b[p]) && !pdf_is_delim((unsigned char)b[p]))
            p++;
        *pos = *e = p;
        return T_NAME;
    }
    if ((b[p] == '<' && p + 1 < len && b[p + 1] == '<') ||
        (b[p] == '>' && p + 1 < len && b[p + 1] == '>')) {
        *pos = *e = p + 2;
        return b[p] == '<' ? T_OPEN : T_CLOSE;
    }
    if (b[p] == '[' || b[p] == ']') {
        *pos = *e = p + 1;
        return b[p] == '[' ? T_OPEN : T_CLOSE;
    }
    if (b[p] == '<') {
        while (p < len && b[p] != '>')
            p++;
        *pos = *e = p < len ? p + 1 : p;
        return T_STRING;
    }
    if (b[p] == '(') {
        size_t depth = 0;
        for (; p < len; p++) {
            if (b[p] == '\\')
                p++;
            else if (b[p] == '(')
                depth++;
            else if (b[p] == ')' && --depth == 0)
                break;
        }
        *pos = *e = p < len ? p + 1 : p;
        return T_STRING;
    }
    while (p < len && !pdf_is_ws((unsigned char)b[p]) && !pdf_is_delim((unsigned char)b[p]))
        p++;
    if (p == *s)
        p++; /* a stray delimiter: step over it */
    *pos = *e = p;
    return T_WORD;
}

static void put_hex(pdf_buf *b, const unsigned char *p, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t i;

    pdf_buf_put(b, "<", 1);
    for (i = 0; i < n; i++) {
        char two[2] = {hx[p[i] >> 4], hx[p[i] & 15]};
        pdf_buf_put(b, two, 2);
    }
    pdf_buf_put(b, ">", 1);
}

int pdf_crypt_object(pdf_doc *d, pdf_buf *b, size_t start, uint32_t num, uint16_t gen,
                     size_t *const *track, size_t ntrack, sertel_err *err)
{
    const pdf_crypt *c = d->crypt;
    const char *t = b->p + start;
    size_t len = b->len - start, pos, s, e, depth = 0, i;
    size_t len_s = 0, data_s = 0, data_len = 0, enc_len = 0;
    size_t orig[4];
    ptrdiff_t delta[4] = {0};
    int top_dict = 0, sig = 0, expect_key = 1, have_len = 0, pass;
    char key[32] = "";
    pdf_buf nb = {0};
    unsigned char *tmp = NULL;
    int rc = SERTEL_OK;

    if (c == NULL || b->failed)
        return SERTEL_OK;
    if (ntrack > 4)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "too many tracked offsets");
    for (i = 0; i < ntrack; i++)
        orig[i] = *track[i];
    /* Pass 0 learns the dictionary (signature? /Length? stream?); pass 1 rewrites. */
    for (pass = 0; pass < 2; pass++) {
        size_t copied = 0;
        tok_kind k;
        pos = 0;
        depth = 0;
        expect_key = 1;
        key[0] = '\0';
        while ((k = next_tok(t, len, &pos, &s, &e)) != T_END) {
            int at_top = top_dict && depth == 1;
            if (k == T_OPEN) {
                if (depth == 0)
                    top_dict = t[s] == '<';
                depth++;
                continue;
            }
            if (k == T_CLOSE) {
                if (depth > 0)
                    depth--;
                if (top_dict && depth == 1)
                    expect_key = 1;
                if (depth == 0 && top_dict) {
                    /* "stream" EOL data: only our own streams, /Length direct. */
                    size_t ps = pos, ws, we;
                    if (next_tok(t, len, &ps, &ws, &we) == T_WORD && we - ws == 6 &&
                        memcmp(t + ws, "stream", 6) == 0 && have_len) {
                        size_t ds = we + (we < len && t[we] == '\r') + (we < len && t[we] == '\n');
                        if (ds + data_len > len) {
                            rc = sertel_err_set(err, SERTEL_ERR_INTERNAL,
                                                "stream /Length beyond the object");
                            goto out;
                        }
                        data_s = ds;
                        enc_len = c->stm_cm == PDF_CM_NONE  ? data_len
                                  : c->stm_cm == PDF_CM_RC4 ? data_len
                                                            : 16 + (data_len / 16 + 1) * 16;
                        if (pass == 1 && c->stm_cm != PDF_CM_NONE) {
                            size_t n = 0;
                            pdf_buf_put(&nb, t + copied, data_s - copied);
                            tmp = malloc(data_len + 32);
                            if (tmp == NULL) {
                                rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
                                goto out;
                            }
                            rc = pdf_crypt_buf(c, c->stm_cm, num, gen, 1,
                                               (const unsigned char *)t + data_s, data_len, tmp, &n,
                                               err);
                            if (rc != SERTEL_OK)
                                goto out;
                            pdf_buf_put(&nb, tmp, n);
                            free(tmp);
                            tmp = NULL;
                            copied = data_s + data_len;
                        }
                        break;
                    }
                }
                continue;
            }
            if (at_top && expect_key) {
                if (k == T_NAME) {
                    size_t n = e - s - 1 < sizeof(key) - 1 ? e - s - 1 : sizeof(key) - 1;
                    memcpy(key, t + s + 1, n);
                    key[n] = '\0';
                    expect_key = 0;
                    if (pass == 0 && strcmp(key, "ByteRange") == 0)
                        sig = 1;
                }
                continue; /* the "0 R" of a reference */
            }
            if (at_top) {
                expect_key = 1;
                if (pass == 0 && strcmp(key, "Type") == 0 && k == T_NAME &&
                    ((e - s == 4 && memcmp(t + s, "/Sig", 4) == 0) ||
                     (e - s == 13 && memcmp(t + s, "/DocTimeStamp", 13) == 0)))
                    sig = 1;
                if (strcmp(key, "Length") == 0 && k == T_WORD) {
                    if (pass == 0) {
                        int64_t v;
                        if (num_parse_i64((const char *)t + s, e - s, 0, INT64_MAX, &v) ==
                            SERTEL_OK) {
                            have_len = 1;
                            data_len = (size_t)v;
                            len_s = s;
                        }
                    } else if (have_len && s == len_s && data_s != 0) {
                        char num_s[24];
                        int n = snprintf(num_s, sizeof(num_s), "%zu", enc_len);
                        pdf_buf_put(&nb, t + copied, s - copied);
                        pdf_buf_put(&nb, num_s, (size_t)n);
                        for (i = 0; i < ntrack; i++)
                            if (orig[i] >= start + e)
                                delta[i] += (ptrdiff_t)n - (ptrdiff_t)(e - s);
                        copied = e;
                    }
                    continue;
                }
            }
            if (k != T_STRING || pass == 0 || c->str_cm == PDF_CM_NONE)
                continue;
            if (sig && at_top && strcmp(key, "Contents") == 0)
                continue; /* a signature's /Contents stays as it is */
            {
                pdf_lexer lx = {(const unsigned char *)t, len, s};
                pdf_obj *so = NULL;
                size_t before = nb.len, n = 0;
                rc = pdf_parse_obj(d, &lx, 0, &so, err);
                if (rc != SERTEL_OK)
                    goto out;
                tmp = malloc(so->u.str.len + 32);
                if (tmp == NULL) {
                    rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
                    goto out;
                }
                rc = pdf_crypt_buf(c, c->str_cm, num, gen, 1, (const unsigned char *)so->u.str.p,
                                   so->u.str.len, tmp, &n, err);
                if (rc != SERTEL_OK)
                    goto out;
                pdf_buf_put(&nb, t + copied, s - copied);
                before = nb.len;
                put_hex(&nb, tmp, n);
                free(tmp);
                tmp = NULL;
                for (i = 0; i < ntrack; i++)
                    if (orig[i] >= start + e)
                        delta[i] += (ptrdiff_t)(nb.len - before) - (ptrdiff_t)(e - s);
                copied = e;
            }
        }
        if (pass == 1) {
            pdf_buf_put(&nb, t + copied, len - copied);
            if (nb.failed) {
                rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
                goto out;
            }
        }
        if (pass == 0 && have_len && data_s == 0)
            have_len = 0; /* a /Length without a stream: leave it */
        if (pass == 0)
            have_len = have_len && data_s != 0;
    }
    b->len = start;
    pdf_buf_put(b, nb.p, nb.len);
    if (b->failed)
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    for (i = 0; i < ntrack; i++)
        *track[i] = (size_t)((ptrdiff_t)orig[i] + delta[i]);
out:
    free(tmp);
    pdf_buf_free(&nb);
    return rc;
}
