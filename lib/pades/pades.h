/*
 * pades.h - PAdES baseline signatures end to end (ETSI EN 319 142-1):
 * B-B and B-T are one signature revision (pdf_sign_file); B-LT adds a
 * revision with the Document Security Store (pdf_add_dss_file) holding the
 * certificates, OCSP responses and CRLs of the signer's chain and of the
 * signature-time-stamp's TSA chain; B-LTA adds after it a document
 * time-stamp revision (pdf_timestamp_file) from the same TSA.
 *
 * Validation data, for each certificate of the signer's chain and of the
 * TSA's chain (the certificates in the time-stamp token just received), up
 * to a self-signed root, comes
 *  - from a home (pades_opts.home) for the certificates it issued: its own
 *    OCSP responder for those its issuing CA issued, its root CRL for the
 *    issuing CA, in-process (pki_validation_data);
 *  - online (B-LT and B-LTA) for the others: an OCSP response from the
 *    certificate's AIA OCSP URL, else the CRL from its CRL distribution
 *    point; issuers that are missing are fetched from AIA caIssuers (lib/cms
 *    revfetch.c). These URLs are the signer's own certificates' and the
 *    chosen TSA's, so, unlike a validation's, they may name any address (a
 *    CA on the agency's network); time and bytes are bounded.
 * A certificate without reachable, valid revocation data fails the signing
 * with a message naming it and the URL; a revoked one fails it too. The
 * signer's chain is checked before anything is signed (with a home at every
 * level, the home's own knowledge only below B-LT): a certificate known to
 * be revoked does not sign.
 *
 * The DSS of B-LTA is written before the document time-stamp, so the data
 * for the document time-stamp's TSA is already there when it is the same
 * TSA certificate as the signature-time-stamp's (one TSA URL for both).
 * Online, when the TSA signed the document time-stamp with a certificate
 * not in the DSS yet, a second DSS revision after the document time-stamp
 * adds that certificate, its chain and their revocation data. (From a
 * home the TSA is always the home's.)
 *
 * Output: intermediate revisions go to temporary files (fs_output_temp:
 * next to a regular-file output, else in $TMPDIR; removed on every path),
 * the last revision to the output (util/fs.h). A regular file appears only
 * when everything succeeded; a device, FIFO or stdout receives the signed
 * file once, at the end.
 *
 * Thread safety: no shared state; one call per thread (the pki may be
 * shared, it is thread-safe).
 */
#ifndef SERTEL_PADES_H
#define SERTEL_PADES_H

#include "pdf/pdf.h"
#include "pki/pki.h"
#include "util/err.h"

/* Limits on what one B-LT revision gathers online. */
#define PADES_MAX_CERTS                                                                            \
    64 /* the chains of one revision's signatures and TSAs, issuers included                       \
        */
/*
 * Seconds of fetching before no further certificate is started (each
 * HTTP exchange has its own CMS_REV_TIMEOUT; one certificate tries at
 * most 4 OCSP and 4 CRL URLs).
 */
#define PADES_FETCH_BUDGET 120

typedef enum pades_level {
    PADES_B_B = 0, /* signature only */
    PADES_B_T,     /* with a signature-time-stamp */
    PADES_B_LT,    /* and a DSS revision with validation data */
    PADES_B_LTA    /* and a document time-stamp over it */
} pades_level;

typedef struct pades_opts {
    /*
     * The signature: signer, appearance, certification and, for B-T and
     * above, the TSA (sign.tsa, also used for B-LTA's document
     * time-stamp). sign.level is ignored: level decides.
     */
    pdf_sign_opts sign;
    pades_level level;
    /*
     * A home's services (borrowed): the validation data and revocation
     * status of the certificates it issued (checked before signing at
     * every level); the others' are fetched online (B-LT, B-LTA). NULL:
     * everything online.
     */
    pki *home;
} pades_opts;

/*
 * Sign in_path into out_path at o->level. in_path and out_path must
 * differ; out_path's directory must be writable (temporary files live
 * there). Errors: those of pdf_sign_file, SERTEL_ERR_INVALID (B-T and
 * above without a TSA), SERTEL_ERR_NOTFOUND / SERTEL_ERR_IO (no reachable
 * revocation data for a certificate, named in err), SERTEL_ERR_DENIED (a
 * certificate in either chain is revoked), SERTEL_ERR_UNSUPPORTED (more
 * than PADES_MAX_CERTS certificates). On any error no output file exists.
 */
int pades_sign_file(const char *in_path, const char *out_path, const pades_opts *o,
                    sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/*
 * pades_sign_file into an open output (fs_output_open: a regular file, a
 * device, a FIFO or stdout). The caller commits out on success (after,
 * say, recording the signature) or aborts it. Refuses an out that is
 * in_path itself.
 */
int pades_sign_to(const char *in_path, fs_output *out, const pades_opts *o,
                  sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/*
 * Extending a signed document (`sertel extend`): validation data for every
 * signature and time-stamp already in it, also ones made elsewhere, and
 * for B-LTA a document time-stamp over it all.
 */
typedef struct pades_extend_opts {
    pades_level level;    /* PADES_B_LT or PADES_B_LTA */
    cms_tsa tsa;          /* B-LTA: who stamps the document (pki_tsa_exchange: the home's TSA) */
    pki *home;            /* answers for the certificates it issued (borrowed), or NULL */
    const char *password; /* of an encrypted input; NULL: the empty one */
    /*
     * Online fetches for the other certificates follow the validator's
     * address rule (a document signed elsewhere names the URLs): public
     * addresses only, but for the origins of fetch_allow[0..n_fetch_allow).
     */
    const char *const *fetch_allow;
    size_t n_fetch_allow;
    /* 1: a certificate without reachable revocation data is left out with a note, not an error */
    int partial;
    void (*note)(void *note_arg, const char *msg); /* told of what was left out; may be NULL */
    void *note_arg;
} pades_extend_opts;

/*
 * Add to in_path, into out (util/fs.h; the caller commits or aborts it), a
 * DSS revision with the validation data of every signature and document
 * time-stamp in it (the signer's and its signature-time-stamp TSA's chains,
 * their OCSP responses or CRLs, a VRI entry per signature keyed by the SHA-1
 * of its /Contents; what the DSS holds stays), and for B-LTA a document
 * time-stamp after it (a second DSS revision follows when its TSA's chain
 * is not in the first). Issuers are looked for in the signatures, the
 * tokens, the DSS, the home, and caIssuers URLs.
 *
 * An archive is renewed this way: the new document time-stamp covers the
 * previous one, whose TSA chain gets its validation data first. That works
 * only while the newest time-stamp's TSA certificate is valid: after it
 * expired, B-LTA is refused (SERTEL_ERR_STATE), so renew before.
 *
 * A certificate found revoked has its status embedded all the same (it
 * proves that signatures time-stamped before the revocation stay valid),
 * with a note: an archive stays renewable after a signer's certificate is
 * revoked.
 *
 * Errors: SERTEL_ERR_INVALID (not B-LT/B-LTA, no TSA for B-LTA, no
 * signature in the document, a signature that does not carry its signer's
 * certificate), SERTEL_ERR_NOTFOUND / SERTEL_ERR_IO (no revocation data,
 * unless partial),
 * those of pdf_add_dss_to and pdf_timestamp_to. On any error out holds
 * nothing to commit.
 */
int pades_extend_to(const char *in_path, fs_output *out, const pades_extend_opts *o,
                    sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* pades_extend_to into a new file out_path, written atomically. */
int pades_extend_file(const char *in_path, const char *out_path, const pades_extend_opts *o,
                      sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* "B-B", "B-T", "B-LT", "B-LTA" (NULL for other values). */
const char *pades_level_name(pades_level l);

/* Parse a level name as above; -1 when it is none of them. */
int pades_level_parse(const char *s, pades_level *out) SERTEL_NONNULL(1, 2);

#endif
