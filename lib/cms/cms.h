/*
 * cms.h - CAdES signatures (ETSI EN 319 122-1) as PAdES needs them:
 * detached CMS SignedData (RFC 5652) whose signed attributes are exactly
 * content-type, message-digest and signing-certificate-v2 (no
 * signing-time: ETSI EN 319 142-1 §6.3 puts the claimed time in the PDF's
 * /M), optionally with a signature-time-stamp (RFC 3161) as unsigned
 * attribute (B-T).
 *
 * The signed attributes are DER-encoded and signed through EVP_DigestSign,
 * so any EVP_PKEY works: software keys, PKCS#11 keys through an ENGINE,
 * or a remote signer wrapped in an EVP_PKEY.
 *
 * Time-stamps come through a callback (cms_tsa_fn) that carries a DER
 * TimeStampReq to a TSA and returns its TimeStampResp: sertel's own TSA
 * in-process (pki_tsa) or an HTTP TSA (cms_tsa_http).
 *
 * Ownership: output buffers are the caller's, freed with OPENSSL_free.
 * Thread safety: no shared state; one call per thread per signer.
 */
#ifndef SERTEL_CMS_H
#define SERTEL_CMS_H

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <stddef.h>

#include "util/err.h"

/* Largest TimeStampResp accepted from a TSA. */
#define CMS_TSA_RESP_MAX (256 * 1024)

/*
 * Send a DER TimeStampReq to a TSA; on success *resp is a malloc'ed DER
 * TimeStampResp of *resp_len bytes (caller frees with free()).
 */
typedef int (*cms_tsa_fn)(void *arg, const unsigned char *req, size_t req_len, unsigned char **resp,
                          size_t *resp_len, sertel_err *err);

/* Who signs: borrowed pointers, the key may be a PKCS#11 or remote key. */
typedef struct cms_signer {
    EVP_PKEY *key;
    X509 *cert;
    STACK_OF(X509) * chain; /* issuing CA(s), root; may be NULL */
} cms_signer;

/* Optional signature-time-stamp (B-T): tsa NULL means B-B. */
typedef struct cms_tsa {
    cms_tsa_fn fn;
    void *arg;
} cms_tsa;

/*
 * Build a detached CAdES signature over content whose SHA-256 is
 * digest[32]. With tsa->fn set, a signature-time-stamp over the signature
 * value is added (id-aa-signatureTimeStampToken). *der (OPENSSL_free) and
 * *der_len receive the DER ContentInfo.
 */
int cms_sign_digest(const cms_signer *s, const unsigned char digest[32], const cms_tsa *tsa,
                    unsigned char **der, size_t *der_len, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 4, 5);

/*
 * Detached CAdES over a whole file, read in 1 MiB blocks (bounded
 * memory), written atomically to out_path (DER, .p7s).
 */
int cms_sign_file(const char *in_path, const char *out_path, const cms_signer *s,
                  const cms_tsa *tsa, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/*
 * Ask a TSA for a token over SHA-256(data): builds a request with a nonce
 * and certReq, checks the response is granted and answers this request
 * (imprint, nonce). *token (OPENSSL_free) receives the DER TimeStampToken
 * (a ContentInfo).
 */
int cms_timestamp(const cms_tsa *tsa, const unsigned char *data, size_t len, unsigned char **token,
                  size_t *token_len, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4, 5);

/*
 * As cms_timestamp, over a SHA-256 digest the caller computed (e.g. while
 * streaming a large file's ByteRange).
 */
int cms_timestamp_digest(const cms_tsa *tsa, const unsigned char dig[32], unsigned char **token,
                         size_t *token_len, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/*
 * One HTTP exchange with a PKI service (TSA, OCSP responder, CRL server):
 * POST req with content_type, or GET when content_type is NULL. Only
 * http/https, no redirects, at most max response bytes, timeout seconds in
 * all. SERTEL_OK only for HTTP 200; *resp is malloc'ed (caller frees);
 * ctype (may be NULL) receives the response's Content-Type.
 */
int cms_http_fetch(const char *url, const char *content_type, const unsigned char *req,
                   size_t req_len, size_t max, long timeout, unsigned char **resp, size_t *resp_len,
                   char *ctype, size_t ctype_cap, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 7, 8);

/* A replacement for the exchange of cms_http_fetch, with its parameters and contract. */
typedef int (*cms_http_fn)(const char *url, const char *content_type, const unsigned char *req,
                           size_t req_len, size_t max, long timeout, unsigned char **resp,
                           size_t *resp_len, char *ctype, size_t ctype_cap, sertel_err *err);

/*
 * Make every cms_http_fetch of this process call fn instead of libcurl
 * (NULL: libcurl again). For a sandboxed worker, which has no network and
 * asks its caller to fetch (lib/pdf/verify_job.c). Process-wide and not
 * synchronised: set it before any fetch, in a process that fetches from
 * one thread.
 */
void cms_set_http_transport(cms_http_fn fn);

/*
 * cms_tsa_fn for an HTTP(S) TSA: arg is the URL (const char *). POSTs
 * application/timestamp-query, 30 s timeout, response at most
 * CMS_TSA_RESP_MAX bytes, HTTP 200 and application/timestamp-reply needed.
 */
int cms_tsa_http(void *arg, const unsigned char *req, size_t req_len, unsigned char **resp,
                 size_t *resp_len, sertel_err *err);

/* --- revocation data and certificates fetched online (revfetch.c) --- */

#define CMS_REV_MAX_BODY (1u << 20) /* largest OCSP response, CRL or certificate fetched */
#define CMS_REV_TIMEOUT 15L         /* seconds for one whole HTTP exchange */

/*
 * 1 when the basic OCSP response bs was signed by issuer itself or by a
 * responder that issuer certified for id-kp-OCSPSigning (the signer is
 * looked up in the response and in pool, which may be NULL); 0 otherwise.
 */
int cms_ocsp_signed_by(OCSP_BASICRESP *bs, X509 *issuer, STACK_OF(X509) * pool)
    SERTEL_NONNULL(1, 2);

/*
 * An OCSP response (RFC 6960) for cert from the OCSP URLs of its AIA
 * extension (POST, SHA-1 CertID, no nonce), tried in order until one
 * answers. It is accepted only when successful, signed by issuer or by a
 * responder issuer certified for id-kp-OCSPSigning (looked up in the
 * response and in pool, which may be NULL), current (thisUpdate not in the
 * future, nextUpdate not past, 5 minutes' skew) and giving good or revoked
 * for cert (unknown is refused). On success *der (free()) holds the
 * OCSPResponse as received and *status (may be NULL) V_OCSP_CERTSTATUS_GOOD
 * or _REVOKED. On failure err names the URL and what was wrong;
 * SERTEL_ERR_NOTFOUND when cert names no responder.
 */
int cms_fetch_ocsp(X509 *cert, X509 *issuer, STACK_OF(X509) * pool, unsigned char **der,
                   size_t *len, int *status, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4, 5);

/*
 * The CRL (RFC 5280, DER) of cert from the http(s) URIs of its CRL
 * distribution points. Accepted when issued and signed by issuer and not
 * more than an hour past its nextUpdate. *der (free()) is the CRL as
 * received; *status (may be NULL) is V_OCSP_CERTSTATUS_REVOKED when cert is
 * listed, else V_OCSP_CERTSTATUS_GOOD. SERTEL_ERR_NOTFOUND when cert names
 * no distribution point.
 */
int cms_fetch_crl(X509 *cert, X509 *issuer, unsigned char **der, size_t *len, int *status,
                  sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/*
 * The issuer of cert from its AIA caIssuers URL (a DER or PEM
 * certificate, or a certs-only CMS/PKCS#7 bundle, .p7c, from which the
 * certificate that issued cert is taken), accepted only when cert's
 * signature verifies with it.
 * *issuer is the caller's (X509_free).
 */
int cms_fetch_issuer(X509 *cert, X509 **issuer, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/*
 * The certificates in an RFC 3161 time-stamp: der is a TimeStampResp or a
 * TimeStampToken (ContentInfo). *certs (sk_X509_pop_free) starts with the
 * TSA's certificate (the token's signer), then the others it carries.
 * SERTEL_ERR_INVALID when the token lacks the TSA's certificate.
 */
int cms_tst_certs(const unsigned char *der, size_t len, STACK_OF(X509) * *certs,
                  sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3);

/* The subject of cert in OpenSSL's one-line form, for messages (cut at cap). */
void cms_cert_name(X509 *cert, char *buf, size_t cap) SERTEL_NONNULL(2);

#endif
