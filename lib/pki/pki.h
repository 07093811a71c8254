/*
 * pki.h - the CA's public services, independent of transport: the
 * repository (CA certificates), CRLs (RFC 5280 §5), the OCSP responder
 * (RFC 6960, RFC 5019) and the time-stamping authority (RFC 3161). The HTTP
 * server (lib/http, `sertel serve`) maps URLs to these calls and adds
 * nothing but transport.
 *
 * Every answer is a pki_blob: bytes, a content type and HTTP caching
 * metadata. Protocol errors are answered in the protocol (an OCSP
 * malformedRequest, a time-stamp rejection), never by failing the call: a
 * call fails only on an internal error (the server then answers 500).
 *
 * Freshness: pki_refresh() (the server calls it about once a second)
 * notices revocations made by any process on the same home (a revocation
 * epoch in the database) and half-life of the issuing CA's CRL; it
 * regenerates that CRL and drops cached OCSP responses at once when
 * something changed.
 *
 * The root key: the services open the home with CA_OPEN_ONLINE and hold
 * only the issuing, OCSP, TSA and audit keys. The root CRL is signed at a
 * ceremony on the command line (sertel crl --root) and published from the
 * database as it is, a new one as soon as it is recorded. The OCSP
 * responder answers only for certificates the issuing CA issued (requests
 * about the issuing CA itself get "unauthorized"): the issuing CA's status
 * is in the root CRL.
 *
 * Thread safety: after pki_open, every function may be called from many
 * threads at once (the HTTP thread pool). Cached OCSP answers are served
 * without touching the database or the signing key.
 *
 * Ownership: pki_open returns a pki freed with pki_close. pki_blob data
 * is the caller's: free with pki_blob_clear.
 */
#ifndef SERTEL_PKI_H
#define SERTEL_PKI_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct pki pki;

typedef struct pki_blob {
    unsigned char *data;
    size_t len;
    int http_status;       /* 200, 404, 405, ... */
    char content_type[64]; /* application/ocsp-response, application/pkix-crl, ... */
    int64_t last_modified; /* Unix seconds, 0 when not applicable */
    int64_t expires;       /* Unix seconds, 0 when not cacheable */
    int64_t max_age;       /* seconds for Cache-Control: max-age, 0 = no-cache */
    char etag[72];         /* quoted strong ETag, "" when none */
    int no_store;          /* 1: must not be cached at all (Cache-Control: no-store) */
} pki_blob;

void pki_blob_clear(pki_blob *b);

/* Counters for /metrics (monotonic since pki_open). */
typedef struct pki_stats {
    uint64_t ocsp_requests;
    uint64_t ocsp_cache_hits;
    uint64_t ocsp_malformed;
    uint64_t ocsp_signed; /* responses signed (cache fills and nonces) */
    uint64_t tsa_requests;
    uint64_t tsa_granted;
    uint64_t tsa_rejected;
    int64_t crl_this_update; /* of the issuing CA's current CRL */
    int64_t crl_number;
    int64_t root_crl_next_update; /* of the root CRL (0: none issued yet) */
    int64_t root_crl_number;
    /* notAfter (Unix time) of the certificates in use: root, issuing, ocsp, tsa */
    int64_t not_after[4];
} pki_stats;

/*
 * Open the services of a home: the issuing key (its CRL), the OCSP and TSA
 * keys and the audit key, never the root key (CA_OPEN_ONLINE).
 */
int pki_open(const char *home, pki **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);
void pki_close(pki *p);

/* The base URL certificates carry ([ca] base_url). */
const char *pki_base_url(const pki *p) SERTEL_NONNULL(1);

/*
 * Notice revocations and CRL half-life; regenerate CRLs and invalidate
 * OCSP caches as needed. Cheap when nothing changed.
 */
int pki_refresh(pki *p, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1);

/*
 * Answer an OCSP request (DER, from a POST body or a decoded GET path).
 * Always fills out with an OCSP response (successful, malformedRequest,
 * unauthorized, internalError ...) unless the call itself fails.
 */
int pki_ocsp(pki *p, const unsigned char *req, size_t len, pki_blob *out,
             sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 4);

/*
 * Answer an RFC 3161 TimeStampReq (DER). Always a TimeStampResp unless the
 * call fails; input that is not exactly one TimeStampReq is rejected.
 */
int pki_tsa(pki *p, const unsigned char *req, size_t len, pki_blob *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 4);

/*
 * pki_tsa as a time-stamp exchange for lib/cms (the shape of cms_tsa_fn):
 * arg is the pki; *resp (malloc'ed, the caller frees) receives the
 * TimeStampResp. Lets the signer and `sertel timestamp` use the home's own
 * TSA in-process.
 */
int pki_tsa_exchange(void *arg, const unsigned char *req, size_t req_len, unsigned char **resp,
                     size_t *resp_len, sertel_err *err) SERTEL_WUR;

/*
 * The current CRL of "issuing" or "root" (DER). A 404 blob (no data) for
 * another name, or when no such CRL was issued yet (the root's before its
 * first ceremony).
 */
int pki_crl(pki *p, const char *issuer, pki_blob *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/* A CA certificate: name "root" or "issuing"; der 1 for DER, 0 for PEM. */
int pki_ca_cert(pki *p, const char *name, int der, pki_blob *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 4);

/*
 * The audit log's current signed head (audit_head_get: the newest signed
 * checkpoint, its signature and entry checked, as the text of `sertel audit
 * head`), read from the database on each call so it is current as soon as
 * a transaction commits. text/plain, no_store. A 404 blob when the log has
 * no checkpoint yet; fails (the server answers 500) when the head does not
 * check out (SERTEL_ERR_TAMPERED: run `sertel audit verify`).
 */
int pki_audit_head(pki *p, pki_blob *out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

void pki_get_stats(pki *p, pki_stats *out) SERTEL_NONNULL(1, 2);

/* Days before the root CRL's nextUpdate from which pki_root_crl_warning warns. */
#define PKI_ROOT_CRL_WARN_DAYS 30

/*
 * Whether the operator must hold a root ceremony soon: 1 with a message in
 * warn when the root CRL (as of the last pki_refresh) is missing, expired,
 * or its nextUpdate is less than PKI_ROOT_CRL_WARN_DAYS days after now;
 * 0 otherwise. Thread-safe.
 */
int pki_root_crl_warning(pki *p, int64_t now, sertel_err *warn) SERTEL_NONNULL(1, 3);

/*
 * Validation data for long-term signatures (PAdES B-LT): an OCSP response
 * for each of certs that this CA's issuing authority issued (others are
 * skipped), and the current issuing and root CRLs. *ocsps and *crls are
 * arrays of blobs the caller frees with pki_blobs_free.
 */
int pki_validation_data(pki *p, X509 *const *certs, size_t ncerts, pki_blob **ocsps, size_t *nocsps,
                        pki_blob **crls, size_t *ncrls, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 4, 5, 6, 7);
void pki_blobs_free(pki_blob *b, size_t n);

/* The CA certificates of this home's authorities (root, issuing, ocsp, tsa); caller frees. */
int pki_authority_cert(pki *p, const char *name, X509 **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

#endif
