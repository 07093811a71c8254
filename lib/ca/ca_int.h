/*
 * ca_int.h - internals shared by the files of the CA module. Callers
 * outside lib/ca use ca.h.
 */
#ifndef SERTEL_CA_INT_H
#define SERTEL_CA_INT_H

#include "ca/ca.h"

#define CA_URL_MAX 256

struct ca_ctx {
    char *home;
    int flags; /* CA_OPEN_* */
    conf *conf;
    store *st;
    keystore *ks;        /* NULL when read-only */
    audit *audit;        /* NULL when read-only */
    ks_key *issuing_key; /* NULL when read-only */
    ks_key *audit_key;   /* NULL when read-only */
    X509 *root;
    X509 *issuing;
    char base_url[CA_URL_MAX];
    ca_profile profile_cache; /* the last profile loaded */
    int profile_cached;
    char head_path[4096];
    ks_key *root_key; /* loaded on first use (root CRL) */
    ks_key *ocsp_key; /* loaded on first use (OCSP responder) */
    ks_key *tsa_key;  /* loaded on first use (time-stamping) */
    int crl_dirty;    /* bit 1: issuing, bit 2: root; set by revocations in the open txn */
};

/* Bump the revocation epoch (inside a transaction). */
int ca_bump_revocation_epoch(ca_ctx *ca, sertel_err *err) SERTEL_WUR;

/* The cache of a lazily loaded authority key ("root", "ocsp", "tsa"); NULL for other names. */
ks_key **ca_authority_slot(ca_ctx *ca, const char *name);

/* Add one to a counter of the meta table ("revocation.epoch", "authority.epoch"). */
int ca_meta_counter_bump(ca_ctx *ca, const char *key, sertel_err *err) SERTEL_WUR;

/* Who signs a certificate being built. */
typedef struct ca_signer {
    const char *name; /* authority name: "root" or "issuing" */
    X509 *cert;       /* NULL when the certificate is self-signed */
    EVP_PKEY *key;    /* the private key that signs */
    ks_keytype type;  /* its type (decides the digest) */
} ca_signer;

/*
 * Build, lint and sign a certificate for pub under profile p. now is the
 * notBefore; notAfter is now + validity_days, never past the issuer's
 * notAfter. *out is the caller's.
 */
int ca_build_cert(const ca_profile *p, const ca_subject *subj, EVP_PKEY *pub, const ca_signer *s,
                  const char *base_url, time_t now, X509 **out, sertel_err *err) SERTEL_WUR;

/*
 * Record a signed certificate and its audit event inside the open
 * transaction of st. SERTEL_ERR_EXISTS when its serial is taken.
 */
int ca_record_cert(store *st, audit *a, X509 *x, const char *issuer, const char *profile,
                   const char *email, const char *actor, sertel_err *err) SERTEL_WUR;

/* Fresh positive 16-byte serial from the CSPRNG. Caller frees. */
ASN1_INTEGER *ca_new_serial(void);

/* Build the keystore named in the configuration (software or PKCS#11). */
int ca_open_keystore(const char *home, const conf *c, keystore **out, sertel_err *err) SERTEL_WUR;

/* Create the first admin account (Argon2id password hash) inside a transaction. */
int ca_account_create(store *st, audit *a, const char *role, const char *email, const char *name,
                      const char *password, sertel_err *err) SERTEL_WUR;

/*
 * home does not exist, or is an empty directory (left as it was): SERTEL_OK.
 * An existing home or a non-empty directory: SERTEL_ERR_EXISTS, nothing changed.
 */
int ca_home_check_free(const char *home, sertel_err *err) SERTEL_WUR;

/*
 * Load libarchive now (archive_lazy.c: it is loaded on first use, once).
 * SERTEL_OK, or SERTEL_ERR_UNSUPPORTED naming the library and package.
 */
int ca_archive_load(sertel_err *err) SERTEL_WUR;

/* Validate a base URL: http, host, no spaces/commas/quotes, < CA_URL_MAX. */
int ca_check_base_url(const char *url, sertel_err *err) SERTEL_WUR;

#endif
