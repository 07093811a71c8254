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
#include "util/fs.h"

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
    /*
     * The size in bytes of this TSA's answers when known (one answer seen
     * before), 0 when not: a PDF signer reserves room for the token from
     * it (else CMS_TST_RESERVE) instead of asking the TSA an extra time.
     */
    size_t token_size;
} cms_tsa;

/* Bytes a PDF signer reserves for a time-stamp token of unknown size. */
#define CMS_TST_RESERVE 8192

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
 * memory), written to out_path (DER, .p7s) by the rules of fs_output_open:
 * atomically for a regular file, into a device or FIFO, "-" for stdout.
 */
int cms_sign_file(const char *in_path, const char *out_path, const cms_signer *s,
                  const cms_tsa *tsa, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/*
 * cms_sign_file into an open output (util/fs.h: a regular file, a device,
 * a FIFO or stdout); the caller commits or aborts out.
 */
int cms_sign_to(const char *in_path, fs_output *out, const cms_signer *s, const cms_tsa *tsa,
                sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

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

/* A time-stamp as granted (cms_timestamp_md). */
typedef struct cms_ts_result {
    unsigned char *response; /* the whole TimeStampResp (malloc'ed) */
    size_t response_len;
    unsigned char *token; /* its TimeStampToken, a ContentInfo (OPENSSL_free'd) */
    size_t token_len;
    int64_t time;     /* genTime, Unix seconds */
    char serial[64];  /* the token's serial number, hex */
    char policy[128]; /* the TSA's policy OID */
} cms_ts_result;

/*
 * Ask a TSA for a token over a digest made with md (SHA-256, -384 or
 * -512; dig_len its size): builds the request (nonce, certReq; RFC 3161
 * §2.4.1), checks the response is granted, is one DER object, and answers
 * this request (imprint, nonce). out receives the response and the token;
 * free with cms_ts_result_clear. SERTEL_ERR_DENIED when the TSA refused
 * (its statusString in the message), SERTEL_ERR_TAMPERED when the answer
 * is for another request.
 */
int cms_timestamp_md(const cms_tsa *tsa, const EVP_MD *md, const unsigned char *dig, size_t dig_len,
                     cms_ts_result *out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 5);
void cms_ts_result_clear(cms_ts_result *r);

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

/*
 * cms_tsa_fn for an HTTP(S) TSA: arg is the URL (const char *). POSTs
 * application/timestamp-query, 30 s timeout, response at most
 * CMS_TSA_RESP_MAX bytes, HTTP 200 and application/timestamp-reply needed.
 */
int cms_tsa_http(void *arg, const unsigned char *req, size_t req_len, unsigned char **resp,
                 size_t *resp_len, sertel_err *err);

/* --- URLs from certificates: the fetch context (fetch_ctx.c, fetch.c, netaddr.c) --- */

#define CMS_FETCH_TIME_MS 20000L           /* default time budget of one validation's fetches */
#define CMS_FETCH_BYTES (4u * 1024 * 1024) /* default byte budget of one validation's fetches */

/*
 * Why a peer address may not be connected to for a URL taken from a
 * certificate, or NULL when it may (a globally reachable unicast address).
 * family is AF_INET (addr: 4 bytes, network order) or AF_INET6 (16
 * bytes). Refused: loopback, private (RFC 1918), unique local (fc00::/7),
 * link-local, multicast, unspecified, broadcast, shared address space
 * (100.64.0.0/10), 0.0.0.0/8, documentation, benchmarking, IETF
 * protocol assignments, reserved ranges; IPv4-mapped, NAT64 and 6to4
 * addresses are judged by the IPv4 address inside (netaddr.c lists every
 * range). The reason is a static string ("loopback address").
 * Thread safety: pure function.
 */
const char *cms_addr_refusal(int family, const unsigned char *addr) SERTEL_NONNULL(2);

/*
 * One validation's (or one signing's) fetches: the budget they share, the
 * address rule, and a log of every fetch declined ("OCSP at URL not
 * fetched: loopback address (127.0.0.1)") or cut short ("... cut off: the
 * time budget ... ran out") for the report. Not thread-safe: one per
 * validation.
 */
typedef struct cms_fetch_ctx cms_fetch_ctx;

/*
 * Where the fetches of a context are made when not in this process
 * (cms_fetch_policy.forward): one cms_fetch_url, with its parameters and
 * contract (*resp malloc'ed; SERTEL_OK only for an answer to hand on). The
 * function must apply the rules itself, under a context of its own (the
 * caller of a sandboxed worker does: lib/pdf/verify_job.c), and record in
 * fx, with cms_fetch_ctx_note_skip, every fetch that context declined or
 * cut short, so that the report names them as when fetching here.
 */
typedef int (*cms_fetch_forward_fn)(void *arg, cms_fetch_ctx *fx, const char *what, const char *url,
                                    const char *content_type, const unsigned char *req,
                                    size_t req_len, size_t max, unsigned char **resp,
                                    size_t *resp_len, sertel_err *err);

/*
 * What a fetch context allows. Zero values mean the defaults. The
 * address rule (cms_addr_refusal) applies unless any_address is set;
 * URLs whose origin (scheme, host, port) is that of one of allow[0..n_allow)
 * are exempt from it (the home's own base URL: a home checking its own
 * documents reaches its own server, on loopback if need be). The strings
 * are copied by cms_fetch_ctx_new.
 *
 * forward: set in a process that has no network (a sandboxed worker):
 * every fetch is handed to forward(forward_arg, ...) and the rest of this
 * policy is not used here - the forwarder's own context, made from the
 * caller's policy, applies it. Never set it from a document's data.
 */
typedef struct cms_fetch_policy {
    long time_ms;             /* all fetches together; 0: CMS_FETCH_TIME_MS */
    size_t bytes;             /* all response bodies together; 0: CMS_FETCH_BYTES */
    int any_address;          /* 1: no address rule (signing with one's own certificates) */
    const char *const *allow; /* http(s) URLs whose origins are exempt from the address rule */
    size_t n_allow;
    cms_fetch_forward_fn forward; /* NULL: fetch here */
    void *forward_arg;
} cms_fetch_policy;

/*
 * A new context under pol (NULL: the defaults). SERTEL_ERR_INVALID when
 * an allow entry is not an http(s) URL with a host (more than 16 entries
 * also). *out is the caller's (cms_fetch_ctx_free).
 */
int cms_fetch_ctx_new(const cms_fetch_policy *pol, cms_fetch_ctx **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(2);

/* NULL-safe. */
void cms_fetch_ctx_free(cms_fetch_ctx *fx);

/* The fetches declined or cut short so far, in order (at most 64 are kept); borrowed strings. */
size_t cms_fetch_ctx_skip_count(const cms_fetch_ctx *fx) SERTEL_NONNULL(1);
const char *cms_fetch_ctx_skip(const cms_fetch_ctx *fx, size_t i) SERTEL_NONNULL(1);

/*
 * Add msg (copied) to fx's log of declined and cut-short fetches, for a
 * forward function reporting what the context that made the fetch logged.
 * Beyond 64 entries the log keeps nothing more.
 */
void cms_fetch_ctx_note_skip(cms_fetch_ctx *fx, const char *msg) SERTEL_NONNULL(1, 2);

/*
 * GET url (content_type NULL) or POST req as content_type, for a URL
 * taken from a certificate; what names it in messages ("OCSP", "CRL",
 * "caIssuers"). As cms_http_fetch (no redirects, HTTP 200 only, *resp
 * malloc'ed for the caller), and also: only http(s) URLs with a host
 * (else SERTEL_ERR_DENIED); nothing once fx's time or byte budget is
 * spent (SERTEL_ERR_IO); each exchange bounded by CMS_REV_TIMEOUT and by
 * what is left of the time budget, its body by max and by what is left
 * of the byte budget; every address curl is about to connect to is
 * checked with cms_addr_refusal after DNS resolution (no proxy is used),
 * so no request reaches a refused address (SERTEL_ERR_DENIED, the address
 * named). Declined and cut-short fetches are logged in fx as well as put
 * in err. With a forwarding context (cms_fetch_policy.forward) the
 * forwarder does all this and fx only keeps the log.
 */
int cms_fetch_url(cms_fetch_ctx *fx, const char *what, const char *url, const char *content_type,
                  const unsigned char *req, size_t req_len, size_t max, unsigned char **resp,
                  size_t *resp_len, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 8, 9);

/*
 * url for a message: cut to cap - 1 bytes ("..." at the end when cut),
 * bytes outside printable ASCII replaced with '?'.
 */
void cms_url_shown(const char *url, char *out, size_t cap) SERTEL_NONNULL(1, 2);

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
 * answers, each through fx (cms_fetch_url: budget, address rule). It is
 * accepted only when successful, signed by issuer or by a
 * responder issuer certified for id-kp-OCSPSigning (looked up in the
 * response and in pool, which may be NULL), current (thisUpdate not in the
 * future, nextUpdate not past, 5 minutes' skew) and giving good or revoked
 * for cert (unknown is refused). On success *der (free()) holds the
 * OCSPResponse as received and *status (may be NULL) V_OCSP_CERTSTATUS_GOOD
 * or _REVOKED. On failure err names the URL and what was wrong;
 * SERTEL_ERR_NOTFOUND when cert names no responder.
 */
int cms_fetch_ocsp(cms_fetch_ctx *fx, X509 *cert, X509 *issuer, STACK_OF(X509) * pool,
                   unsigned char **der, size_t *len, int *status, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3, 5, 6);

/*
 * The CRL (RFC 5280, DER) of cert from the URIs of its CRL distribution
 * points, through fx. Accepted when issued and signed by issuer and not
 * more than an hour past its nextUpdate. *der (free()) is the CRL as
 * received; *status (may be NULL) is V_OCSP_CERTSTATUS_REVOKED when cert is
 * listed, else V_OCSP_CERTSTATUS_GOOD. SERTEL_ERR_NOTFOUND when cert names
 * no distribution point.
 */
int cms_fetch_crl(cms_fetch_ctx *fx, X509 *cert, X509 *issuer, unsigned char **der, size_t *len,
                  int *status, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4, 5);

/*
 * The issuer of cert from its AIA caIssuers URL, through fx (a DER or PEM
 * certificate, or a certs-only CMS/PKCS#7 bundle, .p7c, from which the
 * certificate that issued cert is taken), accepted only when cert's
 * signature verifies with it.
 * *issuer is the caller's (X509_free).
 */
int cms_fetch_issuer(cms_fetch_ctx *fx, X509 *cert, X509 **issuer, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/*
 * The certificates in an RFC 3161 time-stamp: der is a TimeStampResp or a
 * TimeStampToken (ContentInfo). *certs (sk_X509_pop_free) starts with the
 * TSA's certificate (the token's signer), then the others it carries.
 * SERTEL_ERR_INVALID when the token lacks the TSA's certificate.
 */
int cms_tst_certs(const unsigned char *der, size_t len, STACK_OF(X509) * *certs,
                  sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3);

/* What a signature (or a time-stamp token) carries (parts.c). */
typedef struct cms_parts {
    X509 *signer;           /* the signer's certificate when the CMS carries it, else NULL */
    STACK_OF(X509) * certs; /* every certificate it carries (may be empty) */
    unsigned char *tst;     /* its signature-time-stamp token (DER ContentInfo), NULL: none */
    size_t tst_len;
} cms_parts;

/*
 * Read a CMS SignedData (DER or BER, at most 16 MiB; trailing bytes such
 * as a PDF's zero padding are ignored): the first SignerInfo's certificate,
 * all certificates, its signature-time-stamp token. Nothing is verified.
 * On success free *out with cms_parts_free; SERTEL_ERR_INVALID for
 * anything but a SignedData with a signer.
 */
int cms_parts_read(const unsigned char *der, size_t len, cms_parts *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 3);
void cms_parts_free(cms_parts *p);

/* The subject of cert in OpenSSL's one-line form, for messages (cut at cap). */
void cms_cert_name(X509 *cert, char *buf, size_t cap) SERTEL_NONNULL(2);

#endif
