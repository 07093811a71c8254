/*
 * pki_int.h - internals shared by the files of the services module.
 */
#ifndef SERTEL_PKI_INT_H
#define SERTEL_PKI_INT_H

#include <openssl/ocsp.h>
#include <openssl/ts.h>
#include <pthread.h>
#include <stdatomic.h>

#include "ca/ca.h"
#include "pki/pki.h"

/* One cached OCSP answer, keyed by the exact request bytes. */
typedef struct ocsp_entry {
    unsigned char *req;
    size_t req_len;
    uint64_t hash;
    pki_blob resp;
    int64_t refresh_at; /* re-sign after this (half of the validity) */
    uint64_t generation;
    struct ocsp_entry *next;
} ocsp_entry;

#define OCSP_BUCKETS 4096
#define OCSP_CACHE_MAX 200000

struct pki {
    ca_ctx *ca;           /* database and keys: only under lock */
    pthread_mutex_t lock; /* serialises database access and signing */
    EVP_PKEY *audit_pub;  /* the audit key's public half (GET /audit/head) */
    char base_url[256];
    /* OCSP */
    X509 *ocsp_cert;
    X509 *issuing;
    EVP_PKEY *ocsp_key;         /* borrowed from ca */
    OCSP_CERTID *issuer_ids[4]; /* SHA-1, SHA-256, SHA-384, SHA-512 */
    int64_t ocsp_validity;      /* seconds */
    unsigned char *malformed;   /* pre-encoded malformedRequest response */
    size_t malformed_len;
    unsigned char *unauthorized;
    size_t unauthorized_len;
    unsigned char *internal_error;
    size_t internal_error_len;
    pthread_rwlock_t cache_lock;
    ocsp_entry *buckets[OCSP_BUCKETS];
    size_t cache_count;
    _Atomic uint64_t generation;
    /* TSA */
    TS_RESP_CTX *ts;         /* under lock */
    char tsa_serial[41];     /* the TSA certificate's serial (lower-case hex) */
    _Atomic int tsa_revoked; /* set by pki_refresh: tokens are then refused */
    /* CRL */
    int64_t epoch;      /* the revocation epoch the caches reflect */
    int64_t auth_epoch; /* the authority epoch (re-keys) the loaded keys reflect */
    /* stats */
    _Atomic uint64_t ocsp_requests, ocsp_hits, ocsp_malformed, ocsp_signed;
    _Atomic uint64_t tsa_requests, tsa_granted, tsa_rejected;
    _Atomic int64_t crl_this_update, crl_number;
    _Atomic int64_t root_crl_next_update, root_crl_number; /* 0: no root CRL */
    _Atomic int64_t not_after[4]; /* root, issuing, ocsp, tsa (pki_stats) */
};

/* notAfter of x as Unix time (0 when unreadable). */
int64_t pki_not_after(const X509 *x);

int pki_ocsp_init(pki *p, sertel_err *err) SERTEL_WUR;
/*
 * After a re-key (the authority epoch moved; under lock): switch to the
 * authority's current certificate and key. On failure the old ones stay.
 */
int pki_ocsp_reload(pki *p, sertel_err *err) SERTEL_WUR;
int pki_tsa_reload(pki *p, sertel_err *err) SERTEL_WUR;
/* Look up whether the TSA's own certificate is revoked (under lock). */
int pki_tsa_check_revoked(pki *p, sertel_err *err) SERTEL_WUR;
void pki_ocsp_free(pki *p);
void pki_ocsp_flush(pki *p);
int pki_tsa_init(pki *p, sertel_err *err) SERTEL_WUR;
void pki_tsa_free(pki *p);

/* Copy bytes into a blob. */
int pki_blob_set(pki_blob *b, const unsigned char *data, size_t len, const char *type);

#endif
