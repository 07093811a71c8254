/*
 * keystore_int.h - internals shared by the keystore front end (keystore.c)
 * and its back ends (ks_soft.c, ks_pkcs11.c). Callers include keystore.h.
 *
 * A back end is a table of operations. keystore.c validates arguments
 * (labels above all) before dispatching, so a back end may assume that every
 * label it receives matches [a-z0-9_-]{1,64}.
 */
#ifndef SERTEL_KEYSTORE_INT_H
#define SERTEL_KEYSTORE_INT_H

#include "keystore/keystore.h"

#define KS_LABEL_MAX 64

typedef struct ks_ops {
    const char *backend; /* "software" or "pkcs11" */
    int (*generate)(keystore *ks, const char *label, ks_keytype type, ks_key **out,
                    sertel_err *err);
    int (*load)(keystore *ks, const char *label, ks_key **out, sertel_err *err);
    int (*destroy)(keystore *ks, const char *label, sertel_err *err);
    int (*exists)(keystore *ks, const char *label);
    void (*close)(keystore *ks); /* frees everything, ks included */
} ks_ops;

/* Every back end's keystore structure starts with this. */
struct keystore {
    const ks_ops *ops;
};

/*
 * A key handle. The back ends put everything a key needs into its EVP_PKEY
 * (for PKCS#11 the EVP_PKEY carries libp11's methods that sign in the token),
 * so one structure serves both.
 */
struct ks_key {
    ks_keytype type;
    EVP_PKEY *pkey; /* owned */
    char *uri;      /* owned */
};

/* 1 when label matches [a-z0-9_-]{1,64}. */
int ks_label_ok(const char *label) SERTEL_NONNULL(1);

/*
 * Wrap pkey into a new ks_key of the given type and URI. On success the key
 * owns pkey (the caller must not free it); on failure the caller still does.
 */
int ks_key_new(EVP_PKEY *pkey, ks_keytype type, const char *uri, ks_key **out,
               sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3, 4);

#endif
