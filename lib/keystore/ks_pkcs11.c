/*
 * ks_pkcs11.c - the PKCS#11 keystore back end: keys generated and kept in a
 * token, signing done by the token.
 *
 * Standards: OASIS PKCS#11 Base Specification v2.40 (objects §4, functions
 * §5), PKCS#11 Current Mechanisms v2.40 (RSA §2.1, EC §2.3), RFC 7512 for
 * the "pkcs11:" URIs, RFC 5480 §2.1.1.1 for the named-curve parameters.
 *
 * Two layers are used side by side, in one process-wide login:
 *
 *  - libp11 (0.4.12 on Debian 12) loads the module, finds the token, opens
 *    the session, logs in, and turns a token key into an EVP_PKEY whose
 *    RSA_METHOD / EC_KEY_METHOD sign inside the token. OpenSSL 3.0 treats
 *    such a key as a "foreign" legacy key and routes EVP_DigestSign*,
 *    X509_sign, X509_CRL_sign, OCSP_basic_sign, CMS and TS signing through
 *    those methods.
 *  - Key generation, lookup by label and destruction go through Cryptoki
 *    directly, on a session of our own: libp11 0.4.12 has no API that
 *    generates an EC key in the token (PKCS11_keygen arrived in 0.4.13), its
 *    PKCS11_generate_key (RSA only, deprecated) cannot mark a key
 *    non-extractable, and its key cache keeps objects destroyed behind it
 *    and reallocates the PKCS11_KEY array when it grows, so PKCS11_KEY
 *    pointers and PKCS11_remove_key are not a safe way to address keys over
 *    time. Login state is per application (§5.6), so the second session is
 *    logged in as soon as libp11 has logged in.
 *
 * Generated keys: CKA_TOKEN, the sertel label as CKA_LABEL, 16 random bytes
 * as CKA_ID (same on both halves, which is how libp11 pairs an EC private
 * key with its public point), private half CKA_PRIVATE, CKA_SENSITIVE,
 * !CKA_EXTRACTABLE, sign-only; public half verify-only.
 *
 * One keystore per process: a Cryptoki library is initialised and
 * finalised once per process, and a second libp11 context logging in to
 * the same token invalidates the keys the first one handed out (libp11
 * issue #89: a later signature with them fails). So ks_open_pkcs11 shares
 * one open keystore among all its callers in a process (sertel serve opens
 * the home for the online services and again for each API handle; sertel
 * sign for the owner's authorization and the home's TSA), counted: the
 * last ks_close closes it. A second, different module or token in the same
 * process is refused. The raw session is used under a lock (a PKCS#11
 * session is not for concurrent calls, §5.6); libp11 locks its own.
 * ks_key handles must be freed before the last close, because their
 * EVP_PKEY points into libp11's slot data.
 */
#include "keystore/keystore_int.h"

#include <dlfcn.h>
#include <libp11.h>
#include <pthread.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keystore/ks_p11_abi.h"
#include "util/fs.h"

#define KEY_ID_LEN 16
#define KEY_ID_MAX 256
#define URI_MAX 512
#define TOKEN_LABEL_MAX 32 /* CK_TOKEN_INFO.label is 32 bytes */

typedef struct ks_p11 {
    keystore base;
    char *module;
    char *token;     /* token label */
    char *pin;       /* secret_dup'ed, wiped on close */
    char *token_pct; /* token label percent-encoded for URIs */
    PKCS11_CTX *ctx;
    int loaded;
    PKCS11_SLOT *slots;
    unsigned int nslots;
    PKCS11_SLOT *slot;
    int logged_in;
    void *dl; /* our reference on the module, for its function list */
    CK_FUNCTION_LIST *fl;
    CK_SESSION_HANDLE sess;
    int have_sess;
    pthread_mutex_t op_lock; /* the raw session and libp11's key list */
    unsigned refs;           /* users sharing it, under shared_lock */
} ks_p11;

/* The process's open PKCS#11 keystore (see the top of the file). */
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static ks_p11 *shared;

static const char *rv_name(CK_RV rv)
{
    static const struct {
        CK_RV rv;
        const char *name;
    } names[] = {
        {CKR_HOST_MEMORY, "CKR_HOST_MEMORY"},
        {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
        {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
        {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD"},
        {CKR_ATTRIBUTE_READ_ONLY, "CKR_ATTRIBUTE_READ_ONLY"},
        {CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE"},
        {CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID"},
        {CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID"},
        {CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL"},
        {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
        {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY"},
        {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
        {CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED"},
        {CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE"},
        {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
        {CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID"},
        {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID"},
        {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"},
        {CKR_PIN_INVALID, "CKR_PIN_INVALID"},
        {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE"},
        {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED"},
        {CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
        {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED"},
        {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
        {CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY"},
        {CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE"},
        {CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT"},
        {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
        {CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED"},
        {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
        {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].rv == rv)
            return names[i].name;
    return "an error";
}

static int rv_err(sertel_err *err, CK_RV rv, const char *what, const char *label)
{
    return sertel_err_set(err, SERTEL_ERR_TOKEN, "%s '%s' failed in the token: %s (0x%lx)", what,
                          label, rv_name(rv), rv);
}

static void attr(CK_ATTRIBUTE *t, CK_ULONG *n, CK_ATTRIBUTE_TYPE type, const void *v, size_t len)
{
    t[*n].type = type;
    t[*n].pValue = (void *)v;
    t[*n].ulValueLen = (CK_ULONG)len;
    (*n)++;
}

/*
 * Find up to max key objects of class cls labelled label. *count is the
 * number found (capped at max).
 */
static int find_keys(ks_p11 *p, const char *label, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *objs,
                     CK_ULONG max, CK_ULONG *count, sertel_err *err)
{
    CK_ATTRIBUTE t[2];
    CK_ULONG n = 0;
    CK_RV rv, rv2;

    *count = 0;
    attr(t, &n, CKA_CLASS, &cls, sizeof(cls));
    attr(t, &n, CKA_LABEL, label, strlen(label));
    rv = p->fl->C_FindObjectsInit(p->sess, t, n);
    if (rv != CKR_OK)
        return rv_err(err, rv, "looking up key", label);
    rv = p->fl->C_FindObjects(p->sess, objs, max, count);
    rv2 = p->fl->C_FindObjectsFinal(p->sess);
    if (rv == CKR_OK)
        rv = rv2;
    if (rv != CKR_OK) {
        *count = 0;
        return rv_err(err, rv, "looking up key", label);
    }
    return SERTEL_OK;
}

static int p11_exists_locked(keystore *ks, const char *label)
{
    ks_p11 *p = (ks_p11 *)ks;
    CK_OBJECT_HANDLE o;
    CK_ULONG n = 0;

    if (find_keys(p, label, CKO_PRIVATE_KEY, &o, 1, &n, NULL) == SERTEL_OK && n > 0)
        return 1;
    if (find_keys(p, label, CKO_PUBLIC_KEY, &o, 1, &n, NULL) == SERTEL_OK && n > 0)
        return 1;
    return 0;
}

/* Percent-encode s for an RFC 7512 path attribute value. */
static int pct_encode(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    static const char keep[] = "-._~:[]@!$'()*+,=&";
    size_t o = 0;

    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    (c != '\0' && strchr(keep, c) != NULL);
        if (o + (plain ? 1 : 3) >= cap)
            return -1;
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return 0;
}

static int p11_load_locked(keystore *ks, const char *label, ks_key **out, sertel_err *err)
{
    ks_p11 *p = (ks_p11 *)ks;
    CK_OBJECT_HANDLE objs[2];
    CK_ULONG n = 0;
    unsigned char id[KEY_ID_MAX];
    CK_ATTRIBUTE t[1];
    CK_ULONG nt = 0;
    CK_RV rv;
    PKCS11_KEY *keys = NULL, *key = NULL;
    unsigned int nkeys = 0, i;
    EVP_PKEY *pkey = NULL;
    ks_keytype type;
    char uri[URI_MAX];
    int rc;

    rc = find_keys(p, label, CKO_PRIVATE_KEY, objs, 2, &n, err);
    if (rc != SERTEL_OK)
        return rc;
    if (n == 0)
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                              "no private key labelled '%s' in PKCS#11 token '%s'", label,
                              p->token);
    if (n > 1)
        return sertel_err_set(err, SERTEL_ERR_TOKEN,
                              "PKCS#11 token '%s' holds several private keys labelled '%s': "
                              "remove the extra ones (pkcs11-tool --list-objects shows them)",
                              p->token, label);
    attr(t, &nt, CKA_ID, id, sizeof(id));
    rv = p->fl->C_GetAttributeValue(p->sess, objs[0], t, nt);
    if (rv != CKR_OK || t[0].ulValueLen == CK_UNAVAILABLE_INFORMATION)
        return rv_err(err, rv, "reading the id of key", label);

    /*
     * The same key as libp11 sees it: label and CKA_ID both match. libp11
     * appends newly seen objects and keeps destroyed ones, so search from
     * the newest entry.
     */
    if (PKCS11_enumerate_keys(p->slot->token, &keys, &nkeys) != 0)
        return sertel_err_openssl(err, SERTEL_ERR_TOKEN, "cannot list the keys of token '%s'",
                                  p->token);
    for (i = nkeys; i-- > 0;) {
        if (keys[i].isPrivate && keys[i].label != NULL && strcmp(keys[i].label, label) == 0 &&
            keys[i].id_len == t[0].ulValueLen &&
            (keys[i].id_len == 0 || memcmp(keys[i].id, id, keys[i].id_len) == 0)) {
            key = &keys[i];
            break;
        }
    }
    if (key == NULL)
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "key '%s' in token '%s' is of a type libp11 cannot use: sertel "
                              "supports RSA and EC keys",
                              label, p->token);
    pkey = PKCS11_get_private_key(key); /* a new reference */
    if (pkey == NULL)
        return sertel_err_openssl(err, SERTEL_ERR_TOKEN,
                                  "cannot use key '%s' of token '%s' (is its public key "
                                  "object missing?)",
                                  label, p->token);
    rc = ks_keytype_of(pkey, &type, err);
    if (rc != SERTEL_OK) {
        sertel_err_prefix(err, "key '%s' in token '%s'", label, p->token);
        goto out;
    }
    if ((size_t)snprintf(uri, sizeof(uri), "pkcs11:token=%s;object=%s", p->token_pct, label) >=
        sizeof(uri)) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID, "token label '%s' is too long", p->token);
        goto out;
    }
    rc = ks_key_new(pkey, type, uri, out, err);
    if (rc == SERTEL_OK)
        pkey = NULL;
out:
    EVP_PKEY_free(pkey);
    return rc;
}

static int destroy_class(ks_p11 *p, const char *label, CK_OBJECT_CLASS cls, int *found,
                         sertel_err *err)
{
    CK_OBJECT_HANDLE objs[16];
    CK_ULONG n = 0, i;
    CK_RV rv;
    int rc;

    /* Destroying while a search is active is not allowed (§5.7), so search, then destroy. */
    for (;;) {
        rc = find_keys(p, label, cls, objs, sizeof(objs) / sizeof(objs[0]), &n, err);
        if (rc != SERTEL_OK)
            return rc;
        if (n == 0)
            return SERTEL_OK;
        for (i = 0; i < n; i++) {
            rv = p->fl->C_DestroyObject(p->sess, objs[i]);
            if (rv != CKR_OK)
                return rv_err(err, rv, "destroying key", label);
            (*found)++;
        }
    }
}

static int p11_destroy_locked(keystore *ks, const char *label, sertel_err *err)
{
    ks_p11 *p = (ks_p11 *)ks;
    int found = 0, rc;

    rc = destroy_class(p, label, CKO_PRIVATE_KEY, &found, err);
    if (rc == SERTEL_OK)
        rc = destroy_class(p, label, CKO_PUBLIC_KEY, &found, err);
    if (rc != SERTEL_OK)
        return rc;
    if (found == 0)
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                              "no key labelled '%s' in PKCS#11 token '%s'", label, p->token);
    return SERTEL_OK;
}

static int p11_generate_locked(keystore *ks, const char *label, ks_keytype type, ks_key **out,
                               sertel_err *err)
{
    /* DER OBJECT IDENTIFIERs of the curves, as CKA_EC_PARAMS (RFC 5480 §2.1.1.1). */
    static const CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    static const CK_BYTE p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
    static const CK_BYTE f4[] = {0x01, 0x00, 0x01};
    ks_p11 *p = (ks_p11 *)ks;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS pubc = CKO_PUBLIC_KEY, privc = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt;
    CK_ULONG bits = 0, npub = 0, npriv = 0;
    CK_ATTRIBUTE pub[16], priv[16];
    CK_MECHANISM mech = {0, NULL, 0};
    CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
    unsigned char id[KEY_ID_LEN];
    CK_RV rv;
    int rc;

    if (p11_exists_locked(ks, label))
        return sertel_err_set(err, SERTEL_ERR_EXISTS,
                              "a key labelled '%s' already exists in PKCS#11 token '%s'", label,
                              p->token);
    if (RAND_bytes(id, sizeof(id)) != 1)
        return sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "no random bytes for a key id");

    switch (type) {
    case KS_KEY_EC_P256:
    case KS_KEY_EC_P384:
        kt = CKK_EC;
        mech.mechanism = CKM_EC_KEY_PAIR_GEN;
        break;
    case KS_KEY_RSA_2048:
    case KS_KEY_RSA_3072:
    case KS_KEY_RSA_4096:
        kt = CKK_RSA;
        mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
        bits = type == KS_KEY_RSA_2048 ? 2048 : type == KS_KEY_RSA_3072 ? 3072 : 4096;
        break;
    default:
        return sertel_err_set(err, SERTEL_ERR_INVALID, "unknown key type %d", (int)type);
    }

    attr(pub, &npub, CKA_CLASS, &pubc, sizeof(pubc));
    attr(pub, &npub, CKA_KEY_TYPE, &kt, sizeof(kt));
    attr(pub, &npub, CKA_TOKEN, &yes, sizeof(yes));
    attr(pub, &npub, CKA_PRIVATE, &no, sizeof(no));
    attr(pub, &npub, CKA_LABEL, label, strlen(label));
    attr(pub, &npub, CKA_ID, id, sizeof(id));
    attr(pub, &npub, CKA_VERIFY, &yes, sizeof(yes));
    attr(pub, &npub, CKA_ENCRYPT, &no, sizeof(no));
    attr(pub, &npub, CKA_WRAP, &no, sizeof(no));
    if (kt == CKK_RSA) {
        attr(pub, &npub, CKA_MODULUS_BITS, &bits, sizeof(bits));
        attr(pub, &npub, CKA_PUBLIC_EXPONENT, f4, sizeof(f4));
    } else if (type == KS_KEY_EC_P256) {
        attr(pub, &npub, CKA_EC_PARAMS, p256, sizeof(p256));
    } else {
        attr(pub, &npub, CKA_EC_PARAMS, p384, sizeof(p384));
    }

    attr(priv, &npriv, CKA_CLASS, &privc, sizeof(privc));
    attr(priv, &npriv, CKA_KEY_TYPE, &kt, sizeof(kt));
    attr(priv, &npriv, CKA_TOKEN, &yes, sizeof(yes));
    attr(priv, &npriv, CKA_PRIVATE, &yes, sizeof(yes));
    attr(priv, &npriv, CKA_SENSITIVE, &yes, sizeof(yes));
    attr(priv, &npriv, CKA_EXTRACTABLE, &no, sizeof(no));
    attr(priv, &npriv, CKA_LABEL, label, strlen(label));
    attr(priv, &npriv, CKA_ID, id, sizeof(id));
    attr(priv, &npriv, CKA_SIGN, &yes, sizeof(yes));
    attr(priv, &npriv, CKA_DECRYPT, &no, sizeof(no));
    attr(priv, &npriv, CKA_UNWRAP, &no, sizeof(no));
    attr(priv, &npriv, CKA_DERIVE, &no, sizeof(no));

    rv = p->fl->C_GenerateKeyPair(p->sess, &mech, pub, npub, priv, npriv, &hpub, &hpriv);
    if (rv != CKR_OK)
        return sertel_err_set(err, SERTEL_ERR_TOKEN,
                              "generating a %s key '%s' in PKCS#11 token '%s' failed: %s (0x%lx)",
                              ks_keytype_name(type), label, p->token, rv_name(rv), rv);
    rc = p11_load_locked(ks, label, out, err);
    if (rc == SERTEL_OK && (*out)->type != type) {
        ks_keytype got = (*out)->type;
        ks_key_free(*out);
        *out = NULL;
        rc =
            sertel_err_set(err, SERTEL_ERR_TOKEN, "token '%s' generated a %s key when asked for %s",
                           p->token, ks_keytype_name(got), ks_keytype_name(type));
    }
    if (rc != SERTEL_OK) {
        /* Leave nothing half-made behind. */
        p->fl->C_DestroyObject(p->sess, hpriv);
        p->fl->C_DestroyObject(p->sess, hpub);
    }
    return rc;
}

/* The operations, one at a time on the shared raw session. */
static int p11_exists(keystore *ks, const char *label)
{
    ks_p11 *p = (ks_p11 *)ks;
    int r;

    pthread_mutex_lock(&p->op_lock);
    r = p11_exists_locked(ks, label);
    pthread_mutex_unlock(&p->op_lock);
    return r;
}

static int p11_load(keystore *ks, const char *label, ks_key **out, sertel_err *err)
{
    ks_p11 *p = (ks_p11 *)ks;
    int r;

    pthread_mutex_lock(&p->op_lock);
    r = p11_load_locked(ks, label, out, err);
    pthread_mutex_unlock(&p->op_lock);
    return r;
}

static int p11_destroy(keystore *ks, const char *label, sertel_err *err)
{
    ks_p11 *p = (ks_p11 *)ks;
    int r;

    pthread_mutex_lock(&p->op_lock);
    r = p11_destroy_locked(ks, label, err);
    pthread_mutex_unlock(&p->op_lock);
    return r;
}

static int p11_generate(keystore *ks, const char *label, ks_keytype type, ks_key **out,
                        sertel_err *err)
{
    ks_p11 *p = (ks_p11 *)ks;
    int r;

    pthread_mutex_lock(&p->op_lock);
    r = p11_generate_locked(ks, label, type, out, err);
    pthread_mutex_unlock(&p->op_lock);
    return r;
}

/* Really close (the last user, or a keystore that failed to open). */
static void p11_free(ks_p11 *p)
{

    if (p->have_sess)
        p->fl->C_CloseSession(p->sess);
    if (p->logged_in)
        PKCS11_logout(p->slot);
    if (p->slots != NULL)
        PKCS11_release_all_slots(p->ctx, p->slots, p->nslots);
    if (p->ctx != NULL) {
        if (p->loaded)
            PKCS11_CTX_unload(p->ctx);
        PKCS11_CTX_free(p->ctx);
    }
    if (p->dl != NULL)
        dlclose(p->dl);
    secret_free(p->pin);
    free(p->module);
    free(p->token);
    free(p->token_pct);
    pthread_mutex_destroy(&p->op_lock);
    free(p);
}

static void p11_close(keystore *ks)
{
    ks_p11 *p = (ks_p11 *)ks;

    pthread_mutex_lock(&shared_lock);
    if (p == shared && --p->refs > 0) {
        pthread_mutex_unlock(&shared_lock);
        return;
    }
    if (p == shared)
        shared = NULL;
    pthread_mutex_unlock(&shared_lock);
    p11_free(p);
}

static const ks_ops p11_ops = {
    .backend = "pkcs11",
    .generate = p11_generate,
    .load = p11_load,
    .destroy = p11_destroy,
    .exists = p11_exists,
    .close = p11_close,
};

/* The token labelled p->token, or an error naming the tokens that are there. */
static int find_token(ks_p11 *p, sertel_err *err)
{
    char seen[512];
    size_t used = 0;
    unsigned int i;

    seen[0] = '\0';
    for (i = 0; i < p->nslots; i++) {
        PKCS11_TOKEN *tok = p->slots[i].token;
        int w;
        if (tok == NULL || tok->label == NULL)
            continue;
        if (tok->initialized && strcmp(tok->label, p->token) == 0) {
            p->slot = &p->slots[i];
            return SERTEL_OK;
        }
        if (!tok->initialized)
            continue;
        w = snprintf(seen + used, sizeof(seen) - used, "%s'%s'", used ? ", " : "", tok->label);
        if (w > 0 && (size_t)w < sizeof(seen) - used)
            used += (size_t)w;
    }
    return sertel_err_set(err, SERTEL_ERR_TOKEN,
                          "PKCS#11 token '%s' not found in module %s (tokens present: %s); "
                          "create it first, for SoftHSM with: softhsm2-util --init-token "
                          "--free --label '%s' --so-pin <SO-PIN> --pin <PIN>",
                          p->token, p->module, used ? seen : "none", p->token);
}

static int login(ks_p11 *p, sertel_err *err)
{
    unsigned long e;
    CK_RV reason;

    if (PKCS11_login(p->slot, 0, p->pin) == 0) {
        p->logged_in = 1;
        return SERTEL_OK;
    }
    e = ERR_peek_last_error();
    reason = ERR_GET_LIB(e) == ERR_get_CKR_code() ? (CK_RV)ERR_GET_REASON(e) : 0;
    ERR_clear_error();
    switch (reason) {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
        return sertel_err_set(err, SERTEL_ERR_TOKEN,
                              "PIN rejected by PKCS#11 token '%s' (%s): check the user PIN; "
                              "repeated failures lock the token",
                              p->token, rv_name(reason));
    case CKR_PIN_LOCKED:
        return sertel_err_set(err, SERTEL_ERR_TOKEN,
                              "the user PIN of PKCS#11 token '%s' is locked: the security "
                              "officer must reset it",
                              p->token);
    case CKR_PIN_EXPIRED:
        return sertel_err_set(err, SERTEL_ERR_TOKEN,
                              "the user PIN of PKCS#11 token '%s' has expired: set a new one",
                              p->token);
    default:
        return sertel_err_set(err, SERTEL_ERR_TOKEN,
                              "cannot log in to PKCS#11 token '%s': %s (0x%lx)", p->token,
                              rv_name(reason), reason);
    }
}

/* Our own session on the slot libp11 logged in to, through the module's function list. */
static int open_raw_session(ks_p11 *p, sertel_err *err)
{
    CK_C_GetFunctionList getfl;
    CK_SESSION_INFO info;
    CK_RV rv;

    /* RTLD_NOLOAD: the instance libp11 initialised, never a second copy. */
    p->dl = dlopen(p->module, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    if (p->dl == NULL)
        return sertel_err_set(err, SERTEL_ERR_TOKEN, "cannot reach PKCS#11 module %s: %s",
                              p->module, dlerror());
    getfl = (CK_C_GetFunctionList)dlsym(p->dl, "C_GetFunctionList");
    if (getfl == NULL)
        return sertel_err_set(err, SERTEL_ERR_TOKEN,
                              "%s is not a PKCS#11 module (no C_GetFunctionList)", p->module);
    rv = getfl(&p->fl);
    if (rv != CKR_OK || p->fl == NULL)
        return sertel_err_set(err, SERTEL_ERR_TOKEN,
                              "PKCS#11 module %s gave no function list: %s (0x%lx)", p->module,
                              rv_name(rv), rv);
    rv = p->fl->C_OpenSession(PKCS11_get_slotid_from_slot(p->slot),
                              CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &p->sess);
    if (rv != CKR_OK)
        return sertel_err_set(err, SERTEL_ERR_TOKEN,
                              "cannot open a read/write session with PKCS#11 token '%s': %s "
                              "(0x%lx)",
                              p->token, rv_name(rv), rv);
    p->have_sess = 1;
    rv = p->fl->C_GetSessionInfo(p->sess, &info);
    if (rv != CKR_OK || info.state != CKS_RW_USER_FUNCTIONS)
        return sertel_err_set(err, SERTEL_ERR_TOKEN,
                              "PKCS#11 token '%s' did not keep the user login for a second "
                              "session (state %lu)",
                              p->token, rv == CKR_OK ? info.state : 0UL);
    return SERTEL_OK;
}

int ks_open_pkcs11(const char *module, const char *token_label, const char *pin, keystore **out,
                   sertel_err *err)
{
    ks_p11 *p = NULL;
    char pct[URI_MAX / 2];
    int rc = SERTEL_OK;

    *out = NULL;
    if (sodium_init() < 0)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "libsodium failed to initialise");
    if (token_label[0] == '\0' || strlen(token_label) > TOKEN_LABEL_MAX ||
        pct_encode(token_label, pct, sizeof(pct)) != 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "PKCS#11 token label must be 1 to %d characters", TOKEN_LABEL_MAX);
    if (strchr(module, '/') != NULL && !fs_exists(module))
        return sertel_err_set(err, SERTEL_ERR_TOKEN,
                              "PKCS#11 module %s does not exist: install it (for SoftHSM: the "
                              "softhsm2 package) or fix the module path",
                              module);
    /* Held until the keystore is open and shared, so two first opens do not race. */
    pthread_mutex_lock(&shared_lock);
    if (shared != NULL) {
        if (strcmp(shared->module, module) != 0 || strcmp(shared->token, token_label) != 0) {
            rc = sertel_err_set(err, SERTEL_ERR_TOKEN,
                                "this process already uses PKCS#11 token '%s' of %s: one token "
                                "per process",
                                shared->token, shared->module);
        } else if (strlen(shared->pin) != strlen(pin) ||
                   sodium_memcmp(shared->pin, pin, strlen(pin)) != 0) {
            rc = sertel_err_set(err, SERTEL_ERR_TOKEN,
                                "PKCS#11 token '%s' is open in this process with another PIN",
                                token_label);
        } else {
            shared->refs++;
            *out = &shared->base;
        }
        pthread_mutex_unlock(&shared_lock);
        return rc;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        pthread_mutex_unlock(&shared_lock);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&p->op_lock, NULL);
    p->base.ops = &p11_ops;
    p->module = strdup(module);
    p->token = strdup(token_label);
    p->token_pct = strdup(pct);
    p->pin = secret_dup(pin);
    p->ctx = PKCS11_CTX_new();
    if (p->module == NULL || p->token == NULL || p->token_pct == NULL || p->pin == NULL ||
        p->ctx == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (PKCS11_CTX_load(p->ctx, module) != 0) {
        rc = sertel_err_openssl(err, SERTEL_ERR_TOKEN, "cannot load PKCS#11 module %s", module);
        goto out;
    }
    p->loaded = 1;
    if (PKCS11_enumerate_slots(p->ctx, &p->slots, &p->nslots) != 0) {
        p->slots = NULL;
        p->nslots = 0;
        rc = sertel_err_openssl(err, SERTEL_ERR_TOKEN, "cannot list the slots of PKCS#11 module %s",
                                module);
        goto out;
    }
    rc = find_token(p, err);
    if (rc != SERTEL_OK)
        goto out;
    if (PKCS11_open_session(p->slot, 1) != 0) {
        rc = sertel_err_openssl(err, SERTEL_ERR_TOKEN,
                                "cannot open a read/write session with PKCS#11 token '%s'",
                                token_label);
        goto out;
    }
    rc = login(p, err);
    if (rc != SERTEL_OK)
        goto out;
    rc = open_raw_session(p, err);
    if (rc != SERTEL_OK)
        goto out;
    p->refs = 1;
    shared = p;
    *out = &p->base;
    p = NULL;
out:
    pthread_mutex_unlock(&shared_lock);
    if (p != NULL)
        p11_free(p);
    ERR_clear_error();
    return rc;
}
