/*
 * pdf.h - a bounded PDF reader (ISO 32000-1 §7), an incremental-update
 * writer (§7.5.6) and PAdES signing (ETSI EN 319 142-1) on top of them.
 *
 * Reader: the file is mapped read-only; only the pages the structure
 * touches are read (the cross-reference, the catalog, the page tree, the
 * AcroForm), so memory follows the PDF's structure, not its size. Every
 * input is hostile: lengths, offsets, counts and nesting are bounded, the
 * /Prev chain is loop-checked, decompression is capped, and there is no
 * recursion without a depth limit. A damaged cross-reference falls back to
 * a scan for "N G obj" headers; what cannot be recovered is refused.
 *
 * Encrypted files (ISO 32000-2 §7.6, the standard security handler,
 * revisions 2 to 6: RC4 40 to 128 bits, AES-128, AES-256) are read with
 * the user or the owner password (crypt.c): strings are decrypted when an
 * object is loaded, stream data when it is decoded; a signature's
 * /Contents is never encrypted. Updates written to such a file are
 * encrypted with the same key. Other security handlers (public-key) are
 * refused.
 *
 * Objects live in an arena owned by the pdf_doc and are valid until
 * pdf_close. Thread safety: a pdf_doc is used by one thread at a time.
 */
#ifndef SERTEL_PDF_H
#define SERTEL_PDF_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cms/cms.h"
#include "util/err.h"
#include "util/dynbuf.h"
#include "util/fs.h"

/* Limits on untrusted input. */
#define PDF_MAX_DEPTH 64                  /* nesting of arrays/dicts, page tree depth */
#define PDF_MAX_OBJECTS (1u << 23)        /* highest object number + 1 */
#define PDF_MAX_CONTAINER (1u << 20)      /* elements in one array or dict */
#define PDF_MAX_STREAM (64u << 20)        /* decoded xref/object stream */
#define PDF_MAX_ARENA ((size_t)512 << 20) /* all parsed objects of one document */
#define PDF_MAX_SECTIONS 4096             /* cross-reference sections (/Prev chain) */

typedef enum pdf_type {
    PDF_NULL,
    PDF_BOOL,
    PDF_INT,
    PDF_REAL,
    PDF_STRING,
    PDF_NAME,
    PDF_ARRAY,
    PDF_DICT,
    PDF_REF,
    PDF_STREAM
} pdf_type;

typedef struct pdf_obj pdf_obj;

struct pdf_obj {
    pdf_type type;
    union {
        int boolean;
        int64_t integer;
        struct {
            const char *p; /* STRING: decoded bytes; NAME: decoded, NUL-terminated without '/';
                              REAL: the token as written */
            size_t len;
        } str;
        struct {
            pdf_obj **items;
            size_t n;
        } arr;
        struct { /* DICT and STREAM */
            const char **keys;
            pdf_obj **vals;
            size_t n;
            uint64_t data_off; /* STREAM: file offset of the data (or in its container) */
            uint64_t data_len;
            uint32_t crypt_num; /* STREAM with crypt set: the data is encrypted with the key */
            uint16_t crypt_gen; /* of object crypt_num, generation crypt_gen (reader only) */
            uint8_t crypt;      /* 0: in the clear, else the method (crypt.c's pdf_cm) */
        } dict;
        struct {
            uint32_t num;
            uint16_t gen;
        } ref;
    } u;
};

typedef struct pdf_doc pdf_doc;

/* How the newest cross-reference section of a file is written. */
typedef enum pdf_xref_kind { PDF_XREF_TABLE, PDF_XREF_STREAM } pdf_xref_kind;

/*
 * Open a PDF for reading. On success *out is freed with pdf_close. An
 * encrypted file is opened with password (UTF-8, NUL-terminated, borrowed
 * for the call only; the user's or the owner's), or with the empty user
 * password when password is NULL. Errors: SERTEL_ERR_INVALID (not a PDF,
 * truncated, damaged beyond recovery), SERTEL_ERR_DENIED (encrypted and no
 * or a wrong password), SERTEL_ERR_UNSUPPORTED (a security handler other
 * than the standard one, or an unknown revision), SERTEL_ERR_TAMPERED (R6:
 * the encrypted /Perms do not match /P), SERTEL_ERR_IO.
 */
int pdf_open_file_pw(const char *path, const char *password, pdf_doc **out,
                     sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3);

/* pdf_open_file_pw with a NULL password. */
int pdf_open_file(const char *path, pdf_doc **out, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* The same over a memory buffer (borrowed: must outlive the doc). For tests and fuzzing. */
int pdf_open_mem_pw(const unsigned char *data, size_t len, const char *password, pdf_doc **out,
                    sertel_err *err) SERTEL_WUR SERTEL_NONNULL(4);
int pdf_open_mem(const unsigned char *data, size_t len, pdf_doc **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(3);

void pdf_close(pdf_doc *d);

/* Facts about the opened file. */
size_t pdf_file_size(const pdf_doc *d) SERTEL_NONNULL(1);
uint64_t pdf_startxref(const pdf_doc *d) SERTEL_NONNULL(1);
pdf_xref_kind pdf_xref_form(const pdf_doc *d) SERTEL_NONNULL(1);
int pdf_was_recovered(const pdf_doc *d) SERTEL_NONNULL(1);
int pdf_is_encrypted(const pdf_doc *d) SERTEL_NONNULL(1);
/* Header version times ten (14 for %PDF-1.4), raised by the catalog's /Version. */
int pdf_version(pdf_doc *d) SERTEL_NONNULL(1);
/* One more than the highest object number in use (the next free number). */
uint32_t pdf_next_objnum(const pdf_doc *d) SERTEL_NONNULL(1);
/* Number of cross-reference sections read (revisions, counting hybrid streams). */
unsigned pdf_section_count(const pdf_doc *d) SERTEL_NONNULL(1);

/* The merged trailer dictionary (/Root /Info /ID /Size ...). */
const pdf_obj *pdf_trailer(const pdf_doc *d) SERTEL_NONNULL(1);

/*
 * Load indirect object num (newest revision). *out is borrowed from the
 * doc's arena. SERTEL_ERR_NOTFOUND for free or absent objects.
 */
int pdf_load(pdf_doc *d, uint32_t num, const pdf_obj **out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 3);

/* Follow a reference (if o is one); NULL objects resolve to NULL. */
const pdf_obj *pdf_resolve(pdf_doc *d, const pdf_obj *o) SERTEL_NONNULL(1);

/* Dictionary (or stream dictionary) lookup by key without '/'; NULL if absent. */
const pdf_obj *pdf_dict_get(const pdf_obj *dict, const char *key) SERTEL_NONNULL(2);

/* 1 when o is the name n. */
int pdf_is_name(const pdf_obj *o, const char *n) SERTEL_NONNULL(2);

/* The value of an integer or real object (locale-independent); 0 for anything else or NULL. */
double pdf_num(const pdf_obj *o);

/* The catalog (/Root), resolved. */
int pdf_catalog(pdf_doc *d, const pdf_obj **out, uint32_t *num, uint16_t *gen,
                sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* Number of pages (/Count of the root page tree node, checked). */
int pdf_page_count(pdf_doc *d, size_t *count, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* A page found by number, with the attributes it inherits (§7.7.3.4). */
typedef struct pdf_page {
    uint32_t num; /* object number of the page dictionary */
    uint16_t gen;
    const pdf_obj *dict;
    const pdf_obj *mediabox;  /* inherited, may be NULL */
    const pdf_obj *resources; /* inherited, may be NULL */
    const pdf_obj *rotate;    /* inherited, may be NULL */
} pdf_page;

/* Page index (1-based) by walking /Kids with /Count, depth-limited. */
int pdf_page_get(pdf_doc *d, size_t index, pdf_page *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 3);

/* Decode a stream (no filter or FlateDecode with PNG predictors), at most max bytes.
 * *out is malloc'ed (caller frees). */
int pdf_stream_decode(pdf_doc *d, const pdf_obj *stream, size_t max, unsigned char **out,
                      size_t *out_len, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4, 5);

/*
 * How large stream s becomes when decoded through all its filters (expand.c),
 * without holding its output: the general filters (Flate, LZW, ASCIIHex,
 * ASCII85, RunLength, with predictors between them) run streaming through
 * small buffers, and each stops once it has produced more than max bytes;
 * an image filter ending the chain (DCT, JPX, JBIG2, CCITTFax) counts the
 * size its own header declares, an image XObject also /Width x /Height x
 * components x bits per component. Encrypted data is decrypted first.
 * Damaged compressed data ends where a viewer would stop.
 *
 * *size: the largest stage (more than max when a stage passed max, which
 * is not an error: the caller decides); *work: bytes produced by all stages
 * together (for a budget over many streams).
 * Returns SERTEL_OK; SERTEL_ERR_UNSUPPORTED (an unknown filter, more than
 * 7 filters, a filter after an image filter, a predictor sertel cannot undo
 * before another filter); SERTEL_ERR_INVALID (the stream lies outside the
 * file, or an image filter's data declares no size); SERTEL_ERR_NOMEM;
 * errors of the decryption. Memory use does not depend on the output size.
 */
int pdf_stream_expand(pdf_doc *d, const pdf_obj *s, uint64_t max, uint64_t *size, uint64_t *work,
                      sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4, 5);

/* --- Every object of every revision, for content policies (walk.c) --- */

typedef enum pdf_walk_kind {
    PDF_WALK_OBJECT = 1, /* an object that was read: obj */
    PDF_WALK_TRAILER,    /* a section's trailer (or cross-reference stream) dictionary: obj */
    PDF_WALK_BROKEN, /* an object a section or an object stream lists that cannot be read: why */
    PDF_WALK_RAW     /* bytes no object that was read covers: raw, raw_len */
} pdf_walk_kind;

typedef struct pdf_walk_item {
    pdf_walk_kind kind;
    uint32_t num; /* object number and generation (0 for TRAILER and RAW) */
    uint16_t gen;
    uint32_t objstm;    /* the object stream it lies in; 0: in the file itself */
    uint64_t offset;    /* in the file, or in the object stream's decoded data */
    unsigned revision;  /* 1 the original document, 2.. incremental updates; 0 unknown (no
                           cross-reference section lists it) */
    unsigned revisions; /* cross-reference sections read (0 when the file had to be rebuilt) */
    const pdf_obj *obj; /* borrowed from the document (OBJECT, TRAILER) */
    const unsigned char *raw;
    size_t raw_len;
    const char *why; /* BROKEN: the reader's message; valid during the call */
} pdf_walk_item;

/* Called for each item; a non-zero return stops the walk and is returned by pdf_walk. */
typedef int (*pdf_walk_fn)(void *ctx, pdf_doc *d, const pdf_walk_item *it, sertel_err *err);

/*
 * Hand every object in d to fn, each place once (walk.c): the objects every
 * cross-reference section along /Prev lists (also versions later revisions
 * replaced), every "N G obj" header a scan of the whole file finds (also
 * objects no section lists), every member of every object stream found
 * either way (objstm_max bytes of object stream data decoded at most, all
 * together). First comes each section's trailer, then the objects in the
 * order of their offsets (each object stream's members after it), then the
 * bytes of the file that no object read covers (RAW; those of an object
 * stream come after its members). Objects in the file are decrypted as the
 * reader does. An object a section or object stream lists that cannot be
 * read is BROKEN; a scan hit that cannot be read stays raw.
 *
 * Work is linear in the input: at most 1 000 000 objects, 100 scan hits
 * that are no object, and the parser goes over at most 8 times the bytes of
 * the file and its object streams (objects may overlap); more is
 * SERTEL_ERR_INVALID, as is a file whose objects need the whole arena.
 * Returns SERTEL_OK, fn's first non-zero return, SERTEL_ERR_NOMEM, or the
 * reader's errors.
 * Objects read are kept in the document's arena until pdf_close.
 */
int pdf_walk(pdf_doc *d, uint64_t objstm_max, pdf_walk_fn fn, void *ctx, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 3);

/*
 * Serialise an object in PDF syntax (for writing updates), into util's
 * growing buffer (dynbuf.h; a zeroed pdf_buf may hold DYNBUF_DEFAULT_MAX).
 * Appends never report: check b->failed once when the update is built.
 * pdf_buf_printf formats in the "C" locale (num_vsnprintf): a real is
 * written with a '.' whatever LC_NUMERIC the program runs with.
 */
typedef dynbuf pdf_buf;

void pdf_buf_put(pdf_buf *b, const void *s, size_t n) SERTEL_NONNULL(1);
void pdf_buf_printf(pdf_buf *b, const char *fmt, ...) SERTEL_PRINTF(2, 3) SERTEL_NONNULL(1);
void pdf_buf_obj(pdf_buf *b, const pdf_obj *o) SERTEL_NONNULL(1);
void pdf_buf_free(pdf_buf *b);

/* --- The signer's handwritten-signature image for a stamp (image.c) --- */

#define PDF_IMAGE_MAX_FILE ((size_t)4 << 20) /* bytes of a PNG or JPEG file */
#define PDF_IMAGE_MAX_SIDE 4096u             /* pixels in either direction */
#define PDF_IMAGE_MAX_PIXELS (8u << 20)      /* width x height */

typedef enum pdf_image_kind { PDF_IMAGE_NONE = 0, PDF_IMAGE_PNG, PDF_IMAGE_JPEG } pdf_image_kind;

/*
 * A checked image, ready to be written as an image XObject (ISO 32000-1
 * §8.9.5). PNG: data holds the decoded samples, 8 bits each, row by row
 * from the top, ncomp per pixel (1 gray, 3 RGB), no padding; alpha, when
 * the PNG has transparency (an alpha channel or tRNS with a pixel not fully
 * opaque), width x height 8-bit values for an /SMask, else NULL. JPEG: data
 * holds a new baseline JPEG file written from the decoded pixels (nothing
 * of the original but its pixels: no metadata, comments or appended data)
 * for /Filter /DCTDecode; ncomp is 1 (gray), 3 (RGB, written as YCbCr) or
 * 4 (CMYK); color_transform is DCTDecode's /ColorTransform (1 for YCbCr)
 * and adobe_inverted asks for /Decode [1 0 1 0 1 0 1 0] (CMYK is written
 * in Adobe's inverted convention, with an Adobe marker).
 * orientation is the EXIF Orientation (1 upright .. 8, CIPA DC-008) of
 * either kind; width and height are those of the stored samples, before
 * it is applied. Both buffers are owned by the pdf_image: free with
 * pdf_image_free.
 */
typedef struct pdf_image {
    pdf_image_kind kind;
    unsigned width, height;
    int ncomp;
    int color_transform;
    int adobe_inverted;
    int orientation;
    unsigned char *data;
    size_t len;
    unsigned char *alpha;
} pdf_image;

/*
 * Check and prepare a PNG (any colour type and bit depth, interlaced or
 * not) or a JPEG (baseline, progressive or arithmetic-coded, 8-bit, gray,
 * RGB/YCbCr or CMYK/YCCK) from data (borrowed; len bytes, at most
 * PDF_IMAGE_MAX_FILE), decoded by lib/img (libpng, libjpeg). PNG becomes
 * gray or RGB samples plus alpha; JPEG is decoded in full and written
 * again from its pixels (img_encode). Nothing is
 * printed and the process never exits on bad input. Errors:
 * SERTEL_ERR_INVALID (empty, neither PNG nor JPEG, damaged or truncated,
 * larger than PDF_IMAGE_MAX_SIDE or PDF_IMAGE_MAX_PIXELS, a JPEG kind
 * libjpeg cannot decode such as 12-bit), SERTEL_ERR_NOMEM. On success free *out with
 * pdf_image_free; on failure *out is empty. Thread-safe (no shared state).
 */
int pdf_image_load(const unsigned char *data, size_t len, pdf_image *out,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(3);

/* The same from a file of at most PDF_IMAGE_MAX_FILE bytes (else SERTEL_ERR_INVALID). */
int pdf_image_load_file(const char *path, pdf_image *out, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2);

/* Free the buffers of an image and empty it. NULL-safe. */
void pdf_image_free(pdf_image *img);

/* --- PAdES signing (sign.c) --- */

typedef enum pdf_level { PDF_LEVEL_BB = 0, PDF_LEVEL_BT = 1 } pdf_level;

#define PDF_PAGE_LAST ((size_t)-1) /* pdf_sign_opts.page: the document's last page */

typedef struct pdf_sign_opts {
    cms_signer signer;
    pdf_level level;
    cms_tsa tsa;        /* needed for B-T */
    const char *reason; /* optional, UTF-8 */
    const char *location;
    const char *contact;
    const char *name;
    const char *field; /* field name; NULL: "Signature<n>", unique */
    size_t page;       /* 1-based page of the widget; 0 means 1, PDF_PAGE_LAST the last */
    time_t when;       /* claimed signing time for /M; 0 means now */
    /*
     * Visible signature (stamp.c): when visible is non-zero a stamp is drawn
     * at rect = {x, y, width, height} in PDF points (origin at the page's
     * lower left; on a page shown turned by /Rotate, the lower left of the
     * page as shown, with the stamp upright as shown and the widget given
     * /MK /R): a QR code of qr_text (the document's verification URL),
     * "Ditandatangani secara elektronik oleh", the signer's name and
     * organisation (from the certificate), the date and time in WIB, the
     * reason, and with footer the statement that the document was signed
     * with a certificate issued by the issuer (from the certificate).
     */
    int visible;
    double rect[4];
    /*
     * With visible: place the stamp at a marker text instead (BSrE's
     * tag_koordinat, e.g. "#ttd#"), found by pdf_find_marker_at on page
     * (0: the first page that has it): the stamp occupies the space at and
     * below the marker, its left edge at the marker's left (moved left to
     * stay on the page), its top edge at the marker's top; no room below
     * the marker is an error. rect[2], rect[3] give the size (0: 220x80)
     * and rect[0], rect[1] are ignored.
     */
    const char *marker;
    const char *qr_text;    /* NULL: no QR code */
    const char *stamp_text; /* an extra line under the reason (BSrE's text); NULL: none */
    const char *position;   /* the signer's position (jabatan), under the name; NULL: none */
    const char *nip;        /* the signer's NIP (civil servant number), as "NIP. ..."; NULL: none */
    int footer;
    /*
     * With visible: the signer's handwritten signature (pdf_image_load),
     * drawn in the stamp above the text, scaled to fit with its aspect
     * ratio kept; NULL for none. Borrowed: it must outlive the call.
     */
    const pdf_image *image;
    /*
     * Certification signature (ISO 32000-1 §12.8.2.2, DocMDP): 0 none, or
     * the permitted changes P: 1 none, 2 filling forms and signing, 3 also
     * annotations. Only on a document without signatures and without
     * /Perms /DocMDP.
     * On a certified document a signature is made only as the
     * certification permits (document time-stamps and DSS revisions are
     * always permitted): P=1 refuses any; P=2 needs an existing empty
     * signature field (field); P=3 takes an existing empty field or a new
     * invisible one. A new visible signature field after a certification
     * is refused at every P (validators reject it as a possible Sneaky
     * Signature: pyHanko, and sertel's own).
     */
    int certify;
    /*
     * Password of an encrypted input (user or owner, UTF-8; borrowed).
     * NULL: the empty user password is tried. The new revision is
     * encrypted like the file.
     */
    const char *password;
    /*
     * What the signer should know but does not stop the signing (a stamp
     * covering text on its page): note is called with one sentence
     * (valid during the call). NULL: not told.
     */
    void (*note)(void *note_arg, const char *msg);
    void *note_arg;
} pdf_sign_opts;

/* A DER item for the Document Security Store. */
typedef struct pdf_bytes {
    const unsigned char *p;
    size_t len;
} pdf_bytes;

/*
 * A signature's VRI entry (ISO 32000-2 §12.8.4.4; ETSI EN 319 142-1
 * §5.4.2): the validation data of one signature or time-stamp, by index
 * into the pdf_dss arrays.
 */
typedef struct pdf_vri {
    unsigned char key[20]; /* SHA-1 of the signature's /Contents string (pdf_sigval.contents) */
    const size_t *certs;
    size_t ncerts;
    const size_t *ocsps;
    size_t nocsps;
    const size_t *crls;
    size_t ncrls;
} pdf_vri;

/* What one Document Security Store revision adds (DER items, borrowed). */
typedef struct pdf_dss {
    const pdf_bytes *certs;
    size_t ncerts;
    const pdf_bytes *ocsps;
    size_t nocsps;
    const pdf_bytes *crls;
    size_t ncrls;
    const pdf_vri *vri; /* may be NULL */
    size_t nvri;
} pdf_dss;

/*
 * PAdES B-LT (ETSI EN 319 142-1 §5.4; ISO 32000-2 §12.8.4.3): append to
 * in_path (opened with password, NULL: the empty one) a revision whose
 * catalog's /DSS holds dss's items (each an uncompressed stream) and VRI
 * entries, written into out (util/fs.h; the caller commits or aborts it;
 * out must not be in_path). What a /DSS already there holds is kept
 * (dss.c): the new DSS object has its other keys, its items (also of
 * indirect arrays) and its VRI entries (the same references) before the
 * new ones; an item with the bytes of one already there is not added
 * again; no object of the old DSS is rewritten. The signatures before it
 * stay valid: nothing they cover changes.
 */
int pdf_add_dss_to(const char *in_path, fs_output *out, const char *password, const pdf_dss *dss,
                   sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4);

/* pdf_add_dss_to into a new file out_path, written atomically. */
int pdf_add_dss_file(const char *in_path, const char *out_path, const char *password,
                     const pdf_dss *dss, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4);

/*
 * Hand each certificate of d's /DSS /Certs (decoded; at most 1 MiB each,
 * 64 MiB in all; damaged items skipped) to fn. SERTEL_OK also when d has
 * no DSS.
 */
int pdf_dss_certs(pdf_doc *d, void (*fn)(void *arg, const unsigned char *der, size_t len),
                  void *arg, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2);

/* A signature value in a document (pdf_signature_values). */
typedef struct pdf_sigval {
    int doc_ts;                    /* a document time-stamp (/DocTimeStamp, ETSI.RFC3161) */
    const unsigned char *contents; /* the /Contents string as read (padding included), borrowed */
    size_t len;
    uint64_t end;       /* where its /ByteRange ends: the revision it signs */
    char subfilter[32]; /* /SubFilter without '/', "" when absent */
    char field[128];    /* the field's fully qualified name */
} pdf_sigval;

/*
 * The signatures and document time-stamps of d (signature fields with a
 * value that has a /Contents string and a /ByteRange), oldest first.
 * *out is malloc'ed (caller frees); its contents point into d (valid until
 * pdf_close). Errors: the reader's, SERTEL_ERR_UNSUPPORTED (a form with too
 * many fields), SERTEL_ERR_NOMEM.
 */
int pdf_signature_values(pdf_doc *d, pdf_sigval **out, size_t *n, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 2, 3);

/* What a stamp shows; filled by the signer from the options and certificate. */
typedef struct pdf_stamp {
    double w, h;
    const char *name;
    const char *org;
    const char *issuer;
    const char *reason;
    const char *qr_text;
    const char *text;     /* an extra line under the reason; NULL or "": none */
    const char *position; /* the signer's position (jabatan) under the name; NULL or "": none */
    const char *nip;      /* the signer's NIP; NULL or "": none */
    time_t when;
    int footer;
    unsigned image_w, image_h; /* the signature image's size in pixels; 0: no image */
    int image_orientation;     /* its EXIF orientation (pdf_image); 0 or 1: upright */
} pdf_stamp;

/*
 * Build a stamp's appearance: the content stream (content), and, when
 * qr_text is set, the QR code as an 8-bit gray image of *qr_n x *qr_n
 * samples (quiet zone included; *qr_pixels malloc'ed, caller frees; NULL after a failure). The
 * content refers to fonts /F1 (Helvetica), /F2 (Helvetica-Bold), the
 * image /QR and, when image_w and image_h are set, the signature image
 * /Img: drawn at the top of the text column (about two fifths of its
 * height), turned upright by image_orientation, as large as fits with its
 * aspect ratio kept, the text below. Text is written in
 * WinAnsiEncoding; characters outside it become '?'.
 */
int pdf_stamp_build(const pdf_stamp *s, pdf_buf *content, unsigned char **qr_pixels, int *qr_n,
                    sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3, 4);

/*
 * The QR code of text (ISO/IEC 18004, error correction level M, the same
 * encoder the stamp uses) as a grayscale PNG, each module scale (1..16)
 * pixels wide, with a quiet zone: *png (malloc'ed, the caller frees) and
 * *len. For showing a QR code to people, e.g. an authenticator app's
 * otpauth URI at enrolment. SERTEL_ERR_INVALID when text cannot be
 * encoded or scale is out of range.
 */
int pdf_qr_png(const char *text, int scale, unsigned char **png, size_t *len,
               sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 3, 4);

/*
 * Sign in_path into out_path as a new incremental revision (PAdES B-B or
 * B-T, invisible or visible). For B-T the TSA is asked once: /Contents
 * reserves the signature's size plus o->tsa.token_size (else
 * CMS_TST_RESERVE) for the token; should the signature not fit, the
 * revision is written and signed again around its real size (a second
 * time-stamp), once. The original bytes are copied unchanged and
 * hashed while they are copied; the output is written to a temporary file
 * in out_path's directory, fsync'ed and renamed: on any failure no output
 * file exists. in_path and out_path must differ.
 */
int pdf_sign_file(const char *in_path, const char *out_path, const pdf_sign_opts *o,
                  sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/*
 * pdf_sign_file into an open output (util/fs.h): a regular file's
 * temporary gets the original while it is hashed; a device, FIFO or stdout
 * is hashed first and written once the signature is known, so nothing is
 * written twice. The caller commits or aborts out; in_path must not be the
 * output itself.
 */
int pdf_sign_to(const char *in_path, fs_output *out, const pdf_sign_opts *o,
                sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/*
 * Build the incremental update that appends a signature to d (used by
 * pdf_sign_file and by the tests). *update receives the bytes to append
 * after the original file (malloc'ed), with the /ByteRange already filled
 * and /Contents all zeros; *contents_off is the offset in the whole output
 * file of the '<' of /Contents, *contents_hex the number of hex digits.
 */
int pdf_build_sig_update(pdf_doc *d, const pdf_sign_opts *o, size_t contents_hex,
                         unsigned char **update, size_t *update_len, uint64_t *contents_off,
                         sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4, 5, 6);

/*
 * PAdES B-LTA (ETSI EN 319 142-1 §5.5; ISO 32000-2 §12.8.5): append a
 * revision with a document time-stamp: a /Type /DocTimeStamp signature
 * dictionary (/SubFilter /ETSI.RFC3161) whose /Contents is an RFC 3161
 * TimeStampToken over SHA-256 of its /ByteRange, with an invisible field
 * and widget on page 1. /Contents reserves tsa->token_size bytes for the
 * token (else CMS_TST_RESERVE): the TSA is asked once. Streaming and
 * atomic like pdf_sign_file.
 */
int pdf_timestamp_file(const char *in_path, const char *out_path, const cms_tsa *tsa,
                       sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 3);

/* pdf_timestamp_file for an encrypted input opened with password (NULL: the empty one). */
int pdf_timestamp_file_pw(const char *in_path, const char *out_path, const char *password,
                          const cms_tsa *tsa, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4);

/* pdf_timestamp_file_pw into an open output, as pdf_sign_to. */
int pdf_timestamp_to(const char *in_path, fs_output *out, const char *password, const cms_tsa *tsa,
                     sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 2, 4);

/* The update of pdf_timestamp_file, like pdf_build_sig_update (for tests). */
int pdf_build_ts_update(pdf_doc *d, size_t contents_hex, unsigned char **update, size_t *update_len,
                        uint64_t *contents_off, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 3, 4, 5);

/*
 * Find marker text (bytes, at most 128) in the content streams of page
 * (1-based), or of every page in order when page is 0 (marker.c). Text is
 * followed for simple fonts (each byte a glyph), not in Type0 fonts or
 * form XObjects; positions are approximate (glyph widths from /Widths or
 * Helvetica's). On success *page_out is the page and (*x, *y) the origin
 * of the marker's first glyph in the page's default user space.
 * SERTEL_ERR_NOTFOUND when the marker is not there.
 */
int pdf_find_marker(pdf_doc *d, const char *marker, size_t page, size_t *page_out, double *x,
                    double *y, sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 4, 5, 6);

/* Where a marker text is (pdf_find_marker_at). */
typedef struct pdf_marker_pos {
    size_t page;   /* 1-based */
    double x, y;   /* the origin of its first glyph, in the page's default user space */
    double box[4]; /* llx, lly, urx, ury around its glyphs: their advances across, the fonts'
                      descent to ascent up (as pdftotext -bbox measures words) */
} pdf_marker_pos;

/*
 * pdf_find_marker with the marker's box too. Same rules, bounds and
 * errors.
 */
int pdf_find_marker_at(pdf_doc *d, const char *marker, size_t page, pdf_marker_pos *out,
                       sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 4);

/*
 * How many glyphs of page's text (found as pdf_find_marker follows it:
 * content streams and the form XObjects they draw; white space not
 * counted) have a box meeting rect (llx, lly, urx, ury, default user
 * space), leaving out those whose centre lies inside except (NULL: none;
 * the marker the rectangle was placed at). *glyphs receives the count;
 * sample (cap bytes, may be 0) the UTF-8 text of the first glyphs hit,
 * for a message. Errors as pdf_find_marker's for reading the page.
 */
int pdf_text_overlap(pdf_doc *d, size_t page, const double rect[4], const double except[4],
                     size_t *glyphs, char *sample, size_t cap, sertel_err *err) SERTEL_WUR
    SERTEL_NONNULL(1, 3, 5);

/*
 * The PDF/A part (1-4) the document claims in its XMP metadata
 * (pdfaid:part), 0 when it claims none. A claim, not a conformance check.
 */
int pdf_pdfa_part(pdf_doc *d) SERTEL_NONNULL(1);

/* The DocMDP permission P (1-3) of a certified document; 0 when not certified. */
int pdf_docmdp(pdf_doc *d) SERTEL_NONNULL(1);

#endif
