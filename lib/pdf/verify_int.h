/*
 * verify_int.h - internals shared by the validator's files.
 */
#ifndef SERTEL_PDF_VERIFY_INT_H
#define SERTEL_PDF_VERIFY_INT_H

#include <openssl/evp.h>
#include <openssl/cms.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "pdf/verify.h"

/*
 * The output length of md as CMS uses it: its size, for the extendable-output
 * SHAKE128 32 bytes and SHAKE256 64 bytes (RFC 8702 §3, RFC 8419 §2.3).
 */
size_t vfy_md_len(const EVP_MD *md);
/* EVP_DigestFinal_ex, or EVP_DigestFinalXOF with vfy_md_len bytes for SHAKE; 1 on success. */
int vfy_md_final(EVP_MD_CTX *c, unsigned char *out, unsigned int *len) SERTEL_NONNULL(1, 2, 3);

/* Digest the signed data with md into out (vfy_md_len(md) bytes); 0 on success. */
typedef int (*vfy_digest_fn)(void *arg, const EVP_MD *md, unsigned char *out, unsigned int *len);

void vfy_note(vfy_sig *s, const char *fmt, ...) SERTEL_PRINTF(2, 3);
void vfy_change(vfy_sig *s, int harmless, const char *fmt, ...) SERTEL_PRINTF(3, 4);
void vfy_set(vfy_sig *s, vfy_conclusion c, const char *sub, const char *fmt, ...)
    SERTEL_PRINTF(4, 5);
void vfy_report_note(vfy_report *r, const char *fmt, ...) SERTEL_PRINTF(2, 3);
void vfy_iso_time(time_t t, char out[40]);
/*
 * The Indonesian form of an English finding (a reason, change or note) into
 * out (verify_id.c); the English itself when there is none. Returns out.
 */
const char *vfy_text_id(const char *en, char *out, size_t cap) SERTEL_NONNULL(1, 2);

/* The trust anchor of a verified chain (its last certificate) into s->anchor_sha256. */
void vfy_sig_set_anchor(vfy_sig *s, STACK_OF(X509) * chain) SERTEL_NONNULL(1);

/* --- the validation time (verify_time.c) --- */

/* The genTime of the TimeStampToken der (not verified) into out; 1 when read. */
int vfy_tst_peek_time(const unsigned char *der, size_t len, char out[40]) SERTEL_NONNULL(1, 3);

/* The report's validation_time from o (o->at, else the clock). */
void vfy_report_set_time(vfy_report *r, const vfy_opts *o) SERTEL_NONNULL(1, 2);
/*
 * The date from which the digest algorithm md no longer binds a signature
 * (0: it never did, or it still does: the caller knows which it asked):
 * a signature proven to exist before it passes the algorithm constraints.
 */
time_t vfy_algo_sunset(const EVP_MD *md);
/*
 * The algorithm constraints of a signature whose integrity verified: md
 * weak (shorter than SHA-256) or the document bound with SHA-1 (sha1_doc)
 * is INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE_NO_POE unless poe (the
 * time-stamp's time when tst, else the validation time) lies before the
 * algorithm's sunset (vfy_algo_sunset), which is then noted.
 */
void vfy_check_algo_poe(vfy_sig *s, const EVP_MD *md, int sha1_doc, int weak, time_t poe, int tst)
    SERTEL_NONNULL(1);

/* A PDF text string (ISO 32000-2 §7.9.2.2) as UTF-8, cut to cap (verify.c). */
void vfy_pdf_text(const pdf_obj *o, char *out, size_t cap) SERTEL_NONNULL(2);

/* --- what later revisions changed (verify_diff.c) --- */

/* A FieldMDP lock (ISO 32000-1 §12.8.2.4): /Action /All, /Include or /Exclude with /Fields. */
typedef struct vfy_lock {
    const char *action;    /* "All", "Include", "Exclude" */
    const pdf_obj *fields; /* array of field names (text strings), borrowed from the document */
} vfy_lock;

#define VFY_MAX_LOCKS 8

/* The locks of a signature: its field's /Lock and its FieldMDP /Reference entries. */
size_t vfy_load_locks(pdf_doc *d, const pdf_obj *field, const pdf_obj *sigv, vfy_lock *out)
    SERTEL_NONNULL(1, 4);

/* What the analyses of one document's signatures share. */
typedef struct vfy_docdiff {
    const char *password; /* to read each signed revision (borrowed) */
    int raw;              /* the document was read without decrypting (a broken /Encrypt) */
    uint8_t *reach;       /* the objects the final document uses, once computed */
    uint32_t nreach;
    struct vfy_dup {
        uint64_t rev_end; /* end of the revision that defines num twice */
        uint32_t num;
    } * dups;
    size_t ndups;
} vfy_docdiff;

/*
 * Compare the revision signature s covers (s->revision_end) with the final
 * document d and record in s every change with its level, the changes the
 * DocMDP permissions p (0: none) or the signature's locks forbid in
 * s->changes (modified_after_signing), the others in s->harmless.
 */
void vfy_analyse_changes(pdf_doc *d, vfy_docdiff *dd, int p, const vfy_lock *locks, size_t nlocks,
                         vfy_sig *s) SERTEL_NONNULL(1, 2, 6);
void vfy_docdiff_free(vfy_docdiff *dd);
/* One change into s->mods (capped at VFY_MAX_CHANGES). */
void vfy_mod_add(vfy_sig *s, uint32_t object, const char *kind, vfy_modlevel level, const char *fmt,
                 ...) SERTEL_PRINTF(5, 6);

/*
 * The visual check (verify_visual.c): for each signature whose later
 * changes were accepted (a modification level above none), the first
 * VFY_VISUAL_MAX_PAGES pages of its signed revision and of d compared, the
 * pages that differ outside the changed annotations named in s and the
 * signature made INDETERMINATE / SIG_CONSTRAINTS_FAILURE. raw: d was read
 * without decrypting (nothing is rendered). Does nothing when no
 * signature has accepted changes.
 */
void vfy_visual_check(pdf_doc *d, const vfy_opts *o, int raw, vfy_report *r)
    SERTEL_NONNULL(1, 2, 4);
/* Load the renderer now (before a job process is confined); a failure is remembered. */
void vfy_visual_preload(void);
/*
 * 1 when the file buf may need pages rendered: a /ByteRange lies before
 * the last revision (searched in the WANT_SCAN bytes before it: cheap, and
 * a false answer is reported as "not compared", never as a difference).
 */
int vfy_visual_wanted(const unsigned char *buf, size_t len);

/* Validation data of the document (its /DSS); all members may be empty. */
typedef struct vfy_revdata {
    STACK_OF(X509) * certs; /* /Certs: untrusted, for chain building */
    OCSP_BASICRESP **ocsps;
    size_t n_ocsps;
    STACK_OF(X509_CRL) * crls;
    int have_dss;
    const vfy_home_cert *home; /* the home's records (vfy_opts.home, borrowed), n_home */
    size_t n_home;
} vfy_revdata;

typedef enum vfy_rev_status { VFY_REV_UNKNOWN, VFY_REV_GOOD, VFY_REV_REVOKED } vfy_rev_status;

typedef struct vfy_rev_result {
    vfy_rev_status status;
    time_t rev_time;   /* when revoked */
    time_t invalidity; /* the invalidity date given with the revocation, 0: none */
    int reason;        /* CRLReason when revoked */
    int nocheck;       /* the certificate carries id-pkix-ocsp-nocheck */
    int embedded;      /* from the DSS or the CMS */
    char source[32];   /* "DSS OCSP", "DSS CRL", "CMS CRL", "online OCSP", "online CRL" */
    char produced[40];
    char why[160]; /* why unknown */
} vfy_rev_result;

void vfy_revdata_load_dss(pdf_doc *d, const pdf_obj *catalog, vfy_revdata *rd);
void vfy_revdata_free(vfy_revdata *rd);
const char *vfy_rev_reason_name(int reason);
/*
 * The revocation data a signature's CMS carries: its crls field and, in
 * Adobe's adbe-revocationInfoArchival signed attribute (OID
 * 1.2.840.113583.1.1.8, written by Acrobat and iText), CRLs and OCSP
 * responses. out is filled (possibly empty); free with vfy_revdata_free.
 */
void vfy_revdata_load_cms(CMS_ContentInfo *cms, CMS_SignerInfo *si, vfy_revdata *out);

/*
 * Status of cert (issued by issuer) now: the first of the DSS (rd) and
 * the CMS (cms, vfy_revdata_load_cms) that knows it, then, unless that
 * says revoked, the current status online through fx (NULL: offline),
 * else the home's record (rd->home), else the embedded one; out->embedded
 * says whether the document carries a status (B-LT); see verify_rev.c. rd and cms may be NULL. The
 * caller asks only for certificates of a chain proven to end at a trust anchor.
 */
void vfy_rev_check(const vfy_revdata *rd, const vfy_revdata *cms, STACK_OF(X509) * pool, X509 *cert,
                   X509 *issuer, cms_fetch_ctx *fx, time_t now, vfy_rev_result *out);

/*
 * CAdES / PKCS#7 signature (returns integrity); rd: the document's DSS or
 * NULL; fx: the document's fetch context, NULL when offline.
 */
int vfy_check_cms(const unsigned char *der, size_t len, vfy_digest_fn dfn, void *darg,
                  const vfy_opts *o, const vfy_revdata *rd, cms_fetch_ctx *fx, vfy_sig *s);
/* Document time-stamp (ETSI.RFC3161). */
int vfy_check_doc_tst(const unsigned char *der, size_t len, vfy_digest_fn dfn, void *darg,
                      const vfy_opts *o, const vfy_revdata *rd, cms_fetch_ctx *fx, vfy_sig *s);

#endif
