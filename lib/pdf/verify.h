/*
 * verify.h - validation of PAdES / PDF signatures and of detached CMS
 * (CAdES) signatures, with conclusions after ETSI TS 119 102-1.
 *
 * For every signature of a PDF (signature fields with a /V, document
 * time-stamps): the /ByteRange is checked to be exactly four integers from
 * 0 whose gap is the /Contents hex string and whose end is the end of a
 * revision (an %%EOF) or of the file; the CMS is decoded (bounded), the
 * message-digest is compared with the digest over the ByteRange (read once,
 * streaming), the signature value is verified over the signed attributes,
 * the signer's chain is built to the given trust anchors at the proven
 * signing time (the signature time-stamp's genTime) or else now, key usage
 * and EKU are checked, and the PAdES level reached is reported. Ed25519 and
 * Ed448 (RFC 8419) are checked over the signed attributes; algorithms that
 * cannot be checked are INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE; the
 * signing-certificate(-v2) attribute must name the signer in one entry.
 *
 * Each later revision is compared with the signed one (verify_diff.c): every
 * changed object must be explained by a rule for its part of the document,
 * at a modification level (none, lta_updates, form_filling, annotations,
 * other; vfy_modlevel), and every change is named in vfy_sig.mods. "other"
 * fails the signature; a certified document (/Perms /DocMDP naming a
 * signature with a DocMDP /Reference) allows at most lta_updates (P=1),
 * form_filling (P=2) or annotations (P=3) after the certification, refuses
 * new visible signature fields (Sneaky Signature) and annotations that can
 * cover content (Evil Annotation). A signature's FieldMDP locks (ISO
 * 32000-1 §12.8.2.4) make any later change to a locked field fail it. An
 * object defined twice within a signed revision is a warning; in a later
 * revision it is a change at level other. A /ByteRange whose second range
 * was moved away from /Contents with unsigned bytes in between (Signature
 * Wrapping) is named as such. Bytes before %PDF- are skipped as readers do
 * (a /ByteRange counting them signs them); a document with a broken
 * /Encrypt entry is read without decrypting it and gets a verdict.
 *
 * Revocation (verify_rev.c) of every certificate of the signer's and the
 * TSA's chains but the trust anchor: the /DSS OCSP responses and CRLs,
 * the CMS's CRLs, then (unless offline) OCSP at the AIA URL, else the CRL
 * at the CDP URL.
 *
 * What a document can make the validator fetch (its certificates name the
 * URLs, so it is hostile): nothing at all for a chain that does not end
 * at one of the trust anchors (no OCSP, no CRL, and caIssuers is never
 * fetched: an incomplete chain stays NO_CERTIFICATE_CHAIN_FOUND, the
 * intermediate belongs in the signature or the DSS); OCSP and CRLs only
 * once the chain is proven to an anchor, only over http(s) without
 * redirects, only to globally reachable addresses checked after DNS on
 * the address connected (cms_addr_refusal; the origins of vfy_opts.fetch
 * allow, the home's base URL, excepted), all within one time and byte
 * budget per document (vfy_opts.fetch). Every fetch declined or cut
 * short is named in the signature's reasons ("OCSP at URL not fetched:
 * loopback address (127.0.0.1)"). Online, the current status is fetched
 * even when the document embeds one; the home's records (vfy_opts.home)
 * decide for the certificates it issued when nothing current was fetched
 * and the document embeds nothing or the home knows of a revocation. The
 * signer's certificate revoked after the time-stamp's time passes with a
 * note saying it is now revoked (ETSI EN 319 102-1 past signature
 * validation: the time-stamp is proof of existence before the revocation,
 * whatever the reason); revoked before it, or without a time-stamp, is
 * INDETERMINATE/REVOKED_NO_POE (the time-stamp proves existence, not
 * creation before the revocation); revoked after vfy_opts.at was not
 * revoked then; no status obtainable is
 * INDETERMINATE/TRY_LATER unless the certificate has ocsp-nocheck. A
 * document time-stamp's TSA chain is checked the same way: its TSA
 * revoked before the time-stamp's time is TOTAL_FAILED/REVOKED, no status
 * INDETERMINATE/TRY_LATER; its revocation fields describe the TSA.
 *
 * Every input is hostile: any parse error is a failure of that signature,
 * never a pass. Results are owned by the report (vfy_report_free).
 * Thread safety: no shared state.
 */
#ifndef SERTEL_PDF_VERIFY_H
#define SERTEL_PDF_VERIFY_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "cms/cms.h"
#include "pdf/pdf.h"
#include "util/err.h"

/* Largest /Contents (decoded CMS) accepted. */
#define VFY_MAX_CMS (1u << 20)
/* Most signatures and changes reported per document. */
#define VFY_MAX_SIGS 256
#define VFY_MAX_CHANGES 64

/* ETSI TS 119 102-1 main indications, ordered from best to worst. */
typedef enum vfy_conclusion {
    VFY_TOTAL_PASSED = 0,
    VFY_INDETERMINATE = 1,
    VFY_TOTAL_FAILED = 2,
} vfy_conclusion;

/*
 * A certificate a CA home issued, as the home's database records it
 * (verify --home): an authoritative revocation source for that very
 * certificate (matched by the SHA-256 of its DER), offline too.
 */
typedef struct vfy_home_cert {
    unsigned char sha256[32]; /* of the certificate's DER */
    int revoked;              /* 1: revoked (or suspended: certificateHold) */
    int reason;               /* CRLReason when revoked */
    int64_t rev_time;         /* when revoked */
    int64_t invalidity;       /* the invalidity date, 0: none */
} vfy_home_cert;

#define VFY_MAX_HOME_CERTS 100000 /* records passed to one validation */

typedef struct vfy_opts {
    STACK_OF(X509) * trust;    /* trust anchors (borrowed); NULL or empty: nothing is trusted */
    int offline;               /* do not fetch revocation data (OCSP, CRL) online */
    time_t now;                /* the clock: 0: time(NULL) (fetched data must be current) */
    time_t at;                 /* validate as of this time (verify --at; verify_time.c): chains,
                                  revocation and algorithms judged then; 0: now */
    const char *password;      /* of an encrypted PDF (user or owner, UTF-8; borrowed); NULL: the
                                  empty user password is tried */
    const vfy_home_cert *home; /* the home's records, sorted by sha256 (vfy_home_sort; */
    size_t n_home;             /* borrowed); NULL: none */
    cms_fetch_policy fetch;    /* online: budgets and the origins exempt from the address rule
                                  (zero: 20 s, 4 MiB, none); any_address is for tests only */
    int no_visual;  /* 1: do not compare the pages of signed revisions (verify_visual.c) */
    int visual_all; /* 1: render every page compared, also those structurally equal */
} vfy_opts;

/* Revocation status of one certificate of the signer's or the TSA's chain. */
typedef struct vfy_certrev {
    char role[8];      /* "signer", "ca", "tsa", "tsa-ca" */
    char subject[256]; /* RFC 2253 */
    char status[16];   /* "good", "revoked", "unknown", "not needed" (ocsp-nocheck) */
    char source[32];   /* "DSS OCSP", "DSS CRL", "CMS OCSP", "CMS CRL", "online OCSP", "online CRL",
                          "" */
    char time[40];     /* revocation time when revoked */
    char reason[32];   /* CRLReason name when revoked */
} vfy_certrev;

#define VFY_MAX_CHAIN_REV 16

/*
 * What the revisions after a signature changed, the least to the most
 * (pyHanko's modification levels): nothing; validation data (DSS),
 * document time-stamps, document information and metadata, the catalog's
 * /Extensions and /Version, objects nothing uses; later signatures, form
 * filling and appearances; comment annotations; anything else.
 */
typedef enum vfy_modlevel {
    VFY_MOD_NONE = 0,
    VFY_MOD_LTA = 1,
    VFY_MOD_FORM = 2,
    VFY_MOD_ANNOT = 3,
    VFY_MOD_OTHER = 4,
} vfy_modlevel;

/* One named change of a later revision (docs/verify-json.md "modifications"). */
typedef struct vfy_mod {
    uint32_t object;    /* the object concerned, 0: none in particular */
    char kind[32];      /* "signature", "form_field", "dss", "page_content", ... */
    vfy_modlevel level; /* what it is */
    int permitted;      /* within the certification's permissions and the locks */
    char *detail;       /* English, as in changes / harmless */
} vfy_mod;

/* Pages of a document compared with each signed revision (the first ones). */
#define VFY_VISUAL_MAX_PAGES 32

typedef struct vfy_sig {
    char field[256];    /* field name (/T), UTF-8 as far as ASCII; "" for detached */
    char subfilter[64]; /* ETSI.CAdES.detached, adbe.pkcs7.detached, ETSI.RFC3161 */
    int doc_timestamp;  /* 1 for a document time-stamp (/Type /DocTimeStamp) */
    int certification;  /* DocMDP permissions P (1-3) of the certification signature, else 0 */
    vfy_conclusion conclusion;
    char sub_indication[48]; /* "" when TOTAL_PASSED */
    int integrity;           /* 1: digest and signature value verify */
    int covers_whole_document;
    int modified_after_signing;
    char **changes; /* what later revisions changed (not harmless), n_changes entries */
    size_t n_changes;
    char **harmless; /* later changes accepted as harmless */
    size_t n_harmless;
    int changes_analysed;            /* later revisions were compared with the signed one */
    vfy_modlevel modification_level; /* the highest level of the changes (NONE: it covers */
                                     /* the whole document) */
    vfy_mod *mods;                   /* every change named, n_mods entries */
    size_t n_mods;
    char signer_name[256]; /* CN */
    char signer_subject[512];
    char signer_issuer[512];
    char signer_serial[80];     /* hex */
    char signer_not_before[40]; /* the signer's certificate's validity, ISO 8601 UTC */
    char signer_not_after[40];
    char hash_value[130];       /* the signed message-digest (the document's hash), hex */
    char signature_value[1040]; /* the signature value (of the signed attributes), hex; */
                                /* "" when longer than 512 bytes */
    char claimed_time[40];      /* /M or signing-time, ISO 8601 UTC; "" if none */
    int has_timestamp;          /* a valid signature time-stamp */
    int timestamp_present;      /* a signature time-stamp token is in the file, verified or not */
    char timestamp_unverified[40]; /* the genTime of a token that did not verify (read */
                                   /* unverified), ISO 8601 UTC; "" otherwise */
    char timestamp_time[40];       /* its genTime, ISO 8601 UTC */
    char timestamp_tsa[512];       /* its signer's subject */
    char tsa_not_before[40];       /* that TSA certificate's validity, ISO 8601 UTC */
    char tsa_not_after[40];
    char level[16];              /* "B-B", "B-T", "B-LT", "B-LTA", "PKCS7" (not PAdES), "" (none) */
    char certificate_status[24]; /* "valid", "expired", "revoked", "untrusted", "unknown" */
    char revocation[48];         /* "good", "revoked", "unknown", "not checked (offline)" */
    char revocation_source[32];  /* of the signer's status: "DSS OCSP", "online OCSP", ... */
    char revocation_time[40];    /* when the signer's certificate was revoked */
    char revocation_reason[32];
    char revocation_invalidity[40];           /* the invalidity date of that revocation (RFC 5280
                                                 §5.3.2), ISO 8601 UTC; "" when none given */
    vfy_certrev chain_rev[VFY_MAX_CHAIN_REV]; /* signer's chain, then the TSA's */
    size_t n_chain_rev;
    char anchor_sha256[65]; /* the trust anchor the signer's chain ends at: SHA-256 of its */
                            /* DER, hex; "" when no chain */
    char anchor_name[256];  /* its name in the trust list (vfy_report_apply_trust), else "" */
    int anchor_certified;   /* the trust list marks it a certified Indonesian CA (PP 71/2019 */
                            /* art. 59-60) and the chain is valid: "tersertifikasi" */
    char reason[256];       /* /Reason, /Location */
    char location[256];
    char **reasons; /* why it is not TOTAL_PASSED, and notes */
    size_t n_reasons;
    uint64_t byterange[4];
    uint64_t revision_end; /* c + d */
    /* The visual check (verify_visual.c): pages of the signed revision and of the document. */
    int visual_checked;                      /* pages were compared */
    int visual_compared;                     /* pages compared (rendered or found equal) */
    int visual_rendered;                     /* pages rendered for this signature */
    int visual_pages;                        /* pages of the document */
    int visual_dpi;                          /* resolution of the renderings */
    int visual_differ[VFY_VISUAL_MAX_PAGES]; /* pages (1-based) that look different */
    size_t n_visual_differ;
} vfy_sig;

typedef struct vfy_report {
    vfy_conclusion conclusion; /* worst of the signatures; TOTAL_FAILED when none */
    char sub_indication[48];
    vfy_sig *sigs;
    size_t n_sigs;
    unsigned n_revisions;
    int certification; /* DocMDP P of the document's certification signature, 0: none */
    int detached;
    char **notes; /* document-level findings (duplicate objects ...) */
    size_t n_notes;
    char validation_time[40];  /* the time validated at, ISO 8601 UTC (vfy_opts.at, else now) */
    int validation_time_given; /* 1: vfy_opts.at was set (verify --at) */
} vfy_report;

/*
 * Verify every signature of the PDF at path. A file that is not a readable
 * PDF is an error (SERTEL_ERR_INVALID / SERTEL_ERR_IO / SERTEL_ERR_UNSUPPORTED),
 * and so is an o->fetch.allow entry that is not an http(s) URL;
 * everything about the signatures is in *out (vfy_report_free).
 */
int pdf_verify_file(const char *path, const vfy_opts *o, vfy_report **out,
                    sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* The same over a buffer (borrowed during the call). For tests and fuzzing. */
int pdf_verify_mem(const unsigned char *data, size_t len, const vfy_opts *o, vfy_report **out,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(3, 4);

/*
 * pdf_verify_mem with the messages of pdf_verify_file: an error opening
 * the document is prefixed with name (the file the buffer was read from),
 * as pdf_verify_file prefixes its path. name NULL: no prefix.
 */
int pdf_verify_mem_named(const unsigned char *data, size_t len, const char *name, const vfy_opts *o,
                         vfy_report **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(4, 5);

/* Verify a detached CMS signature (DER or PEM .p7s) over the file data_path. */
int vfy_detached_file(const char *sig_path, const char *data_path, const vfy_opts *o,
                      vfy_report **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/*
 * The same over memory: the signature sig (DER or PEM, sig_len bytes;
 * sig_name names it in messages) and the signed data (data may be NULL
 * when data_len is 0). Both borrowed during the call.
 */
int vfy_detached_mem(const unsigned char *sig, size_t sig_len, const char *sig_name,
                     const unsigned char *data, size_t data_len, const vfy_opts *o,
                     vfy_report **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3, 6, 7);

void vfy_report_free(vfy_report *r);

/*
 * Check a /ByteRange against the file buf[0..len): exactly four
 * non-negative integers a b c d with a == 0, 0 < b < c, c + d <= len, the gap
 * buf[b..c) is '<' hex digits '>' only (an even count), and c + d is the
 * end of the file or just after an %%EOF marker (with its end-of-line).
 * On success out[4] holds the numbers. On failure *why names the problem.
 */
int vfy_check_byterange(const unsigned char *buf, size_t len, const pdf_obj *byterange,
                        uint64_t out[4], const char **why) SERTEL_NONNULL(1, 4, 5);

/*
 * A validation time for vfy_opts.at (verify_time.c): RFC 3339
 * ("2020-11-01T12:00:00Z", "2020-11-01T19:00:00+07:00", fractions
 * ignored) or a date "2020-11-01" (its start, 00:00:00 UTC), from 1970 to
 * 9999. SERTEL_ERR_INVALID with a message naming the expected forms.
 */
int vfy_parse_time(const char *s, time_t *out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* One trust anchor of a trust list (verify --trust-list, docs/trust.md). */
typedef struct vfy_trust_entry {
    X509 *cert;
    char sha256[65]; /* of its DER, lower-case hex */
    char name[256];  /* the list's name, else the certificate's CN */
    int certified;   /* a certified Indonesian CA (PP 71/2019 art. 59-60) */
} vfy_trust_entry;

typedef struct vfy_trust_list {
    vfy_trust_entry *e;
    size_t n;
} vfy_trust_list;

#define VFY_TRUST_LIST_MAX (4u << 20) /* bytes of a trust list file */

/*
 * Read the trust list at path (JSON, docs/trust.md) and append its entries
 * to *list (start from {0}); certificate files are read relative to the
 * list's directory. Every entry's certificate is also pushed (up-ref'd) on
 * anchors when it is not NULL. SERTEL_ERR_INVALID / SERTEL_ERR_IO with the
 * entry and the problem named (an unknown key, a certificate that does not
 * match its sha256, a file that cannot be read); nothing is added then.
 * Free with vfy_trust_list_free.
 */
int vfy_trust_list_load(const char *path, vfy_trust_list *list, STACK_OF(X509) * anchors,
                        sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);
void vfy_trust_list_free(vfy_trust_list *list);

/*
 * Name each signature's trust anchor from list (anchor_name,
 * anchor_certified: the entry is certified and the certificate status is
 * valid). Signatures whose anchor is not on the list keep "" and 0.
 */
void vfy_report_apply_trust(vfy_report *r, const vfy_trust_list *list) SERTEL_NONNULL(1, 2);

/* Sort home records by sha256 for vfy_opts.home (verify_rev.c). */
void vfy_home_sort(vfy_home_cert *h, size_t n);

/*
 * Indonesia's time zones for the text report: "WIB" (UTC+7), "WITA"
 * (UTC+8), "WIT" (UTC+9), or "UTC" (any case): *offset in seconds.
 * SERTEL_ERR_INVALID naming the zones otherwise.
 */
int vfy_tz_offset(const char *tz, int *offset, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/*
 * The ISO 8601 UTC time iso as "YYYY-MM-DD HH:MM:SS WIB" in zone tz
 * (vfy_tz_offset); iso unchanged when tz is NULL, UTC or unknown, or iso
 * is not a time. Always NUL-terminated within cap.
 */
void vfy_time_in_zone(const char *iso, const char *tz, char *out, size_t cap) SERTEL_NONNULL(1, 3);

/* Names for reports. */
const char *vfy_conclusion_name(vfy_conclusion c);
/* "none", "lta_updates", "form_filling", "annotations", "other". */
const char *vfy_modlevel_name(vfy_modlevel l);

/* The report as JSON (docs/verify-json.md); NULL when out of memory. */
json_t *vfy_report_json(const vfy_report *r, const char *file);

/*
 * The human-readable report, lang "id" (default) or "en", times in WIB for
 * "id" and in UTC for "en" (vfy_report_text_tz).
 */
void vfy_report_text(const vfy_report *r, const char *file, const char *lang, FILE *f)
    SERTEL_NONNULL(1, 4);

/* The same with times in zone tz ("WIB", "WITA", "WIT", "UTC"; NULL: by lang). */
void vfy_report_text_tz(const vfy_report *r, const char *file, const char *lang, const char *tz,
                        FILE *f) SERTEL_NONNULL(1, 5);

#endif
