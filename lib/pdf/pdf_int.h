/*
 * pdf_int.h - internals of the PDF reader shared by its files: the
 * document, the arena, the lexer/parser and the cross-reference.
 * Callers include only pdf.h.
 */
#ifndef SERTEL_PDF_INT_H
#define SERTEL_PDF_INT_H

#include "img/img.h"
#include "pdf/pdf.h"

typedef struct arena_chunk arena_chunk;

/* How strings or streams are encrypted (crypt filter methods, ISO 32000-2 §7.6.6). */
typedef enum pdf_cm { PDF_CM_NONE = 0, PDF_CM_RC4, PDF_CM_AESV2, PDF_CM_AESV3 } pdf_cm;

/* The standard security handler of an opened encrypted file (crypt.c). */
typedef struct pdf_crypt {
    int r;                 /* revision 2-6 */
    pdf_cm str_cm, stm_cm; /* methods of strings and streams */
    int encrypt_metadata;  /* 0: /Metadata streams are in the clear */
    unsigned char key[32]; /* the file encryption key (wiped by pdf_crypt_free) */
    size_t keylen;
    const pdf_obj *encrypt; /* the /Encrypt dictionary, never decrypted */
    uint32_t encrypt_num;   /* its object number when indirect, else 0 */
} pdf_crypt;

typedef struct xref_entry {
    uint64_t off;     /* type 1: file offset; type 2: object stream number */
    uint32_t idx;     /* type 1: generation; type 2: index in the object stream */
    uint8_t type;     /* 0 free / absent, 1 in use, 2 compressed */
    uint8_t set;      /* already decided by a newer section */
    uint16_t section; /* which section set it (hybrid-file override) */
} xref_entry;

#define OBJSTM_CACHE 4

typedef struct objstm_cache {
    uint32_t num;
    unsigned char *data;
    size_t len;
    size_t first;
    size_t n;
    uint64_t *offs; /* n pairs: object number, offset */
    unsigned long used;
} objstm_cache;

struct pdf_doc {
    const unsigned char *buf; /* the whole file (mapped) */
    size_t len;
    void *map; /* non-NULL when mapped by pdf_open_file */
    int fd;
    arena_chunk *arena;
    size_t arena_total;
    xref_entry *xref;
    uint32_t nxref;   /* entries allocated */
    uint32_t maxnum;  /* highest object number seen + 1 */
    pdf_obj *trailer; /* the newest trailer (or xref stream dictionary) */
    /* Trailer keys, each from the newest section that has it. */
    const pdf_obj *t_root, *t_info, *t_id, *t_encrypt;
    int64_t t_size;
    pdf_obj **objcache; /* loaded objects by number (nxref entries) */
    uint64_t startxref;
    pdf_xref_kind kind;
    int recovered;
    int encrypted;
    pdf_crypt *crypt; /* non-NULL when encrypted and authenticated */
    int header_version;
    unsigned nsections;
    unsigned load_depth;
    size_t inflated_total; /* decompression budget */
    objstm_cache cache[OBJSTM_CACHE];
    unsigned long tick;
    /* Offsets of every "endstream" in the file, made when a stream's /Length is first not
     * trusted (lex.c): finding the end of many such streams stays linear. */
    size_t *endstreams;
    size_t nendstreams;
    int endstreams_indexed;
    /* A document over a prefix of another's bytes (a signed revision) uses that one's index. */
    pdf_doc *endstreams_of;
};

/*
 * Open data[0..len) without decrypting it, even when the trailer has an
 * /Encrypt entry (the validator, when that entry is broken: signatures'
 * /Contents and /ByteRange are never encrypted).
 */
int pdf_open_mem_raw(const unsigned char *data, size_t len, pdf_doc **out,
                     sertel_err *err) SERTEL_WUR;

/*
 * Open the first len bytes of full's buffer as a document of its own (an
 * earlier revision: the validator's change analysis), decrypted with
 * password unless raw. It shares full's index of "endstream" keywords, so
 * opening every revision of a large file does not search the file again
 * each time. full must stay open while *out is; not thread-safe with
 * other uses of full.
 */
int pdf_open_prefix(pdf_doc *full, size_t len, const char *password, int raw, pdf_doc **out,
                    sertel_err *err) SERTEL_WUR SERTEL_NONNULL(1, 5);

/* Arena allocation (zeroed); NULL when out of memory or over PDF_MAX_ARENA. */
void *pdf_arena_alloc(pdf_doc *d, size_t n);

/* A lexer over buf[0..len), positions relative to buf; base is added to report offsets. */
typedef struct pdf_lexer {
    const unsigned char *buf;
    size_t len;
    size_t pos;
} pdf_lexer;

/*
 * Parse one direct object at lx->pos (references as PDF_REF). depth counts
 * nesting; more than PDF_MAX_DEPTH is refused.
 */
int pdf_parse_obj(pdf_doc *d, pdf_lexer *lx, int depth, pdf_obj **out, sertel_err *err) SERTEL_WUR;

/*
 * Parse "num gen obj <object> [stream...]" at lx->pos: the indirect object
 * header must name num (any num when want_num is UINT32_MAX). Streams get
 * their data offset (relative to lx->buf) and length.
 */
int pdf_parse_indirect(pdf_doc *d, pdf_lexer *lx, uint32_t want_num, pdf_obj **out,
                       uint32_t *num_out, uint16_t *gen_out, sertel_err *err) SERTEL_WUR;

void pdf_skip_ws(pdf_lexer *lx);
/* Read a keyword/regular token at lx->pos; returns its length (0 if none). */
size_t pdf_lex_word(pdf_lexer *lx, const unsigned char **w);
/* Checked non-negative integer token; 0 on success. */
int pdf_lex_uint(pdf_lexer *lx, uint64_t *v);

int pdf_is_ws(int c);
int pdf_is_delim(int c);

/* Read the cross-reference of d (xref.c); falls back to recovery. */
int pdf_read_xref(pdf_doc *d, sertel_err *err) SERTEL_WUR;

/*
 * Every entry of every cross-reference section (pdf_xref_visit), for a walk
 * over all revisions: entry is called for each entry as written (type 0
 * free, 1 at file offset off with generation idx, 2 in object stream off at
 * index idx), trailer for each section's trailer (or cross-reference stream
 * dictionary) at file offset off. section counts from 1 for the newest.
 * A non-zero return stops the walk and is returned.
 */
typedef struct pdf_xref_visitor {
    int (*entry)(void *ctx, uint32_t num, int type, uint64_t off, uint64_t idx, unsigned section,
                 sertel_err *err);
    int (*trailer)(void *ctx, const pdf_obj *trailer, uint64_t off, unsigned section,
                   sertel_err *err);
    void *ctx;
} pdf_xref_visitor;

/*
 * Read d's cross-reference sections again from startxref along /Prev
 * (loop-checked, bounded like the first read), handing them to v without
 * changing d's merged cross-reference. SERTEL_ERR_INVALID for a document
 * that was opened by recovery (its sections cannot be read).
 */
int pdf_xref_visit(pdf_doc *d, const pdf_xref_visitor *v, sertel_err *err) SERTEL_WUR;

/*
 * Find the next object header "N G obj" in b[*pos..len) as the recovery
 * scan does (white space before "obj", N preceded by white space, a
 * delimiter or the start, 0 < N < PDF_MAX_OBJECTS, G <= 65535). Returns 0
 * with *hdr the offset of N, the numbers, and *pos just past "obj"; -1 when
 * there is none (then *pos is len).
 */
int pdf_next_obj_header(const unsigned char *b, size_t len, size_t *pos, size_t *hdr, uint32_t *num,
                        uint16_t *gen);

/*
 * The offset table of an object stream (§7.5.7): n pairs "objnum offset"
 * in data[0..first). *offs (2n values, calloc'ed, caller frees) on success.
 */
int pdf_objstm_header(const unsigned char *data, size_t len, int64_t n, int64_t first,
                      uint64_t **offs, sertel_err *err) SERTEL_WUR;

/*
 * After recovery: register the objects of every object stream found (again,
 * once the file is decrypted: the first pass could not read encrypted ones).
 */
void pdf_recover_objstms(pdf_doc *d);

/* Inflate with an output cap (filter.c). */
int pdf_flate(pdf_doc *d, const unsigned char *in, size_t in_len, size_t max, unsigned char **out,
              size_t *out_len, sertel_err *err) SERTEL_WUR;

/* PNG predictor undo, in place into a new buffer (filter.c). */
/*
 * Undo one row's PNG filter (PNG 9.2: type ft 0..4) in place: cur holds the
 * row's len filtered bytes, prev the previous row unfiltered (NULL for the
 * first, read as zeros). -1 for a filter type above 4 (cur untouched).
 */
int pdf_png_row(unsigned ft, unsigned char *cur, const unsigned char *prev, size_t len, size_t bpp);

int pdf_png_unpredict(const unsigned char *in, size_t in_len, size_t columns, size_t bpp,
                      unsigned char **out, size_t *out_len, sertel_err *err) SERTEL_WUR;

/* --- PDFDocEncoding and UTF-8 (text.c) --- */

/* The Unicode code point of PDFDocEncoding byte b; 0 where the byte is undefined. */
unsigned long pdf_docenc_to_ucs(unsigned char b);

/* The PDFDocEncoding byte of code point cp; -1 when it has none (and for U+0000). */
int pdf_docenc_from_ucs(unsigned long cp);

/*
 * Decode the UTF-8 sequence at s[*i] (s has len bytes) into *cp and move
 * *i past it. Returns 0, or -1 (nothing changed) at the end, for a
 * truncated, overlong or otherwise invalid sequence, a surrogate, or a
 * code point above U+10FFFF.
 */
int pdf_utf8_next(const unsigned char *s, size_t len, size_t *i, unsigned long *cp);

/*
 * The UTF-16BE unit at s[*i] (a surrogate pair joined into one code point)
 * and *i moved past it; 0 (nothing moved) when fewer than 2 bytes are
 * left. A lone surrogate is returned as it is, for the caller to drop.
 */
unsigned long pdf_utf16be_next(const unsigned char *s, size_t len, size_t *i);

/*
 * Encryption (crypt.c). pdf_crypt_open authenticates password (NULL: the
 * empty user password) against the trailer's /Encrypt and sets d->crypt;
 * objects already loaded are dropped so they are read again decrypted.
 */
int pdf_crypt_open(pdf_doc *d, const char *password, sertel_err *err) SERTEL_WUR;
void pdf_crypt_free(pdf_crypt *c);

/*
 * Encrypt (enc != 0) or decrypt in_len bytes of object num/gen with method
 * cm into out, which has room for in_len + 32 bytes (in and out may be the
 * same for RC4 and NONE). AES encryption writes a random IV first and
 * PKCS#7 padding; AES decryption refuses bad lengths and bad padding.
 */
int pdf_crypt_buf(const pdf_crypt *c, pdf_cm cm, uint32_t num, uint16_t gen, int enc,
                  const unsigned char *in, size_t in_len, unsigned char *out, size_t *out_len,
                  sertel_err *err) SERTEL_WUR;

/* Decrypt the strings of a top-level object just parsed, and mark its stream data. */
int pdf_crypt_loaded(pdf_doc *d, pdf_obj *o, uint32_t num, uint16_t gen,
                     sertel_err *err) SERTEL_WUR;

/* Decrypt stream data raw[0..len) of s (s->u.dict.crypt set); *out malloc'ed. */
int pdf_crypt_stream(pdf_doc *d, const pdf_obj *s, const unsigned char *raw, size_t len,
                     unsigned char **out, size_t *out_len, sertel_err *err) SERTEL_WUR;

/*
 * Writer: encrypt the object text b->p[start..b->len) (its body, after
 * "num gen obj", before "endobj") for object num/gen: every string but a
 * signature dictionary's /Contents becomes an encrypted hex string, and a
 * stream's data (with a direct /Length) is encrypted and its /Length
 * updated. Offsets *track[i] into b are moved with the text (at most 4).
 * No-op when d is not encrypted.
 */
int pdf_crypt_object(pdf_doc *d, pdf_buf *b, size_t start, uint32_t num, uint16_t gen,
                     size_t *const *track, size_t ntrack, sertel_err *err) SERTEL_WUR;

/* A direct integer value (no reference following); 0 when o is an integer. */
int pdf_get_int(const pdf_obj *o, int64_t *v);

/* --- Signature fields (field.c) --- */

/* An empty signature field and its widget (the same object when merged). */
typedef struct pdf_sigfield {
    uint32_t num, wnum;
    uint16_t gen, wgen;
    const pdf_obj *dict, *wdict;
    double rect[4]; /* the widget's rectangle: x, y, width, height (0 x 0: invisible) */
} pdf_sigfield;

/*
 * The field of fully qualified name want (partial names joined by '.')
 * under fields (the AcroForm's /Fields). SERTEL_OK with *out filled;
 * SERTEL_ERR_NOTFOUND when no field has that name; a clear error when it
 * is there but cannot take a signature (another type, already signed,
 * several widgets, too many fields).
 */
int pdf_field_find(pdf_doc *d, const pdf_obj *fields, const char *want, pdf_sigfield *out,
                   sertel_err *err) SERTEL_WUR;
/* 1 when a top-level field is called name. */
int pdf_field_name_taken(pdf_doc *d, const pdf_obj *fields, const char *name);
/* 1 when a signature field (at any depth) holds a value. */
int pdf_fields_signed(pdf_doc *d, const pdf_obj *fields);
/* The number of empty signature fields; their names, ", "-separated, into names (cap bytes). */
size_t pdf_fields_empty_sig(pdf_doc *d, const pdf_obj *fields, char *names, size_t cap);

/* --- Where a stamp goes (place.c) --- */

typedef struct pdf_placement {
    size_t page;      /* 1-based */
    double rect[4];   /* x, y, width, height in the page's user space: the widget's /Rect */
    int rot;          /* 0, 90, 180, 270: the page is shown turned, the stamp turns with it */
    double marker[4]; /* placed at a marker: its box (llx, lly, urx, ury), else zeros */
} pdf_placement;

/*
 * Place a new visible stamp of o: at o->rect as the page shows it, or at
 * o->marker (searched on page, or on every page when page is 0), its top
 * edge at the marker's top, within the page (an error when there is no
 * room below the marker). When the stamp would cover text already on the
 * page, o->note is told (a sentence naming the page).
 */
int pdf_place_stamp(pdf_doc *d, const pdf_sign_opts *o, size_t page, pdf_placement *pl,
                    sertel_err *err) SERTEL_WUR;
/* How an existing field's stamp turns: its widget's /MK /R, else its page's /Rotate. */
int pdf_field_rotation(pdf_doc *d, const pdf_obj *wdict);

/* --- The incremental update being written (update.c) --- */

typedef struct pdf_upd_ent {
    uint32_t num;
    uint16_t gen;
    uint64_t off; /* type 1: file offset; type 2: the object stream */
    uint32_t idx; /* type 2: index in the object stream */
    int type;
} pdf_upd_ent;

/*
 * An update to d: the bytes to append after d's (b, starting at file
 * offset base), the objects it defines, the next free object number.
 * Writing never reports: the first failure is kept (rc, or b.failed) and
 * pdf_upd_status / pdf_upd_finish return it, with its message in err.
 */
typedef struct pdf_update {
    pdf_buf b;
    uint64_t base;
    pdf_upd_ent *ents;
    size_t n, cap;
    pdf_doc *d;
    uint32_t next;
    size_t obj_start; /* where the current object's body starts in b */
    uint32_t cur_num;
    uint16_t cur_gen;
    size_t *track[2]; /* offsets into the current object kept pointing at the same text */
    size_t ntrack;
    int rc;
    sertel_err *err;
} pdf_update;

/* Start an update of d (a newline first when the file does not end with one). */
void pdf_upd_init(pdf_update *u, pdf_doc *d, sertel_err *err);
void pdf_upd_free(pdf_update *u);
/* A new object number (0 after a failure: too many objects). */
uint32_t pdf_upd_alloc(pdf_update *u);
/* "num gen obj": a new version of object num (or a new object). */
void pdf_upd_begin(pdf_update *u, uint32_t num, uint16_t gen);
/* Keep *pos (an offset into u->b within the current object) on its text through encryption. */
void pdf_upd_track(pdf_update *u, size_t *pos);
/* "endobj": the object is encrypted here when the file is (all but a signature's /Contents). */
void pdf_upd_end(pdf_update *u);
/* SERTEL_OK, or the first failure (message in the update's err). */
int pdf_upd_status(pdf_update *u) SERTEL_WUR;
/* The cross-reference section and trailer that end the update; then pdf_upd_status. */
int pdf_upd_finish(pdf_update *u) SERTEL_WUR;

/* A text string (ISO 32000-1 §7.9.2.2): ASCII literal, else UTF-16BE with BOM; -1: bad UTF-8. */
int pdf_put_text(pdf_buf *b, const char *s);
/* "/key " */
void pdf_put_key(pdf_buf *b, const char *key);
/* An array's items (arr may be NULL) and then a reference to object extra (none when 0). */
void pdf_put_items_plus(pdf_buf *b, const pdf_obj *arr, uint32_t extra);
/* A dictionary's entries except the keys in skip (NULL-terminated), without << >>. */
void pdf_put_dict_except(pdf_buf *b, const pdf_obj *dict, const char *const *skip);
/* o resolved when it is an array (a dictionary); else NULL. */
const pdf_obj *pdf_as_array(pdf_doc *d, const pdf_obj *o);
const pdf_obj *pdf_as_dict(pdf_doc *d, const pdf_obj *o);

/*
 * Copy d's file (read again from its descriptor in 1 MiB blocks through
 * blk) into out (NULL: only hash it), hashing it into md when set.
 */
int pdf_copy_original(pdf_doc *d, const char *in_path, fs_output *out, struct evp_md_ctx_st *md,
                      unsigned char *blk, sertel_err *err) SERTEL_WUR;
/* Commit out when rc is SERTEL_OK, else abort it; returns the outcome. */
int pdf_finish_output(fs_output *out, int rc, sertel_err *err) SERTEL_WUR;

/* --- The stamp's objects (stamp.c) --- */

/* The numbers of a stamp's objects: appearance, QR image, signature image and its mask. */
typedef struct pdf_stamp_objs {
    uint32_t ap, qr, img, smask; /* img, smask: 0 when there is no image (no mask) */
} pdf_stamp_objs;

/*
 * Write a visible signature's stamp for o (turned by rot, dated now) into
 * u: the QR image, the signature image, the form XObject n->ap. Returns
 * SERTEL_OK or the first failure.
 */
int pdf_stamp_put(pdf_update *u, const pdf_sign_opts *o, int rot, time_t now,
                  const pdf_stamp_objs *n, sertel_err *err) SERTEL_WUR;

/*
 * The first half of pdf_image_load (image.c): data (borrowed) checked for
 * size and decoded by lib/img within the stamp's limits, with
 * pdf_image_load's refusals. On success *im holds the pixels (img_free).
 */
int pdf_image_decode(const unsigned char *data, size_t len, img_pixels *im, sertel_err *err);

/*
 * The second half: pixels of a PNG or JPEG (as img_decode gives them, the
 * image's format in im->format) made into a pdf_image: a PNG's samples
 * (taken from im, which may be changed) and alpha plane, a JPEG written
 * again. *out is emptied on failure.
 */
int pdf_image_from_pixels(img_pixels *im, pdf_image *out, sertel_err *err);

/*
 * Load RC4 (OpenSSL's legacy provider, a module opened from disk) now
 * rather than at the first R2-R4 document: for a sandboxed worker, which
 * cannot open files later (crypt.c).
 */
void pdf_crypt_preload(void);

#endif
