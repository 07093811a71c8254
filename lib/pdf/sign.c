/*
 * sign.c - PAdES signing by incremental update (ISO 32000-1 §7.5.6,
 * §12.7.4.5 signature fields, §12.8 digital signatures; ETSI EN 319 142-1
 * baseline B-B and B-T, the DSS of B-LT and the document time-stamp of
 * B-LTA; certification signatures with DocMDP, §12.8.2.2;
 * ../shared/docs/PDF-SIGNING.md).
 *
 * The new revision holds: the signature dictionary (/ByteRange with a
 * fixed 64-character placeholder, wide enough for any 64-bit offset, and
 * /Contents sized by a dry run), a merged field/widget annotation, a new
 * version of the page (or of its /Annots array) and of the catalog (or of
 * its /AcroForm) and a cross-reference section in the form of the file's
 * newest one (table or stream) chained by /Prev with /ID kept.
 *
 * Streaming: the original bytes are copied to the output in 1 MiB blocks
 * and hashed as they pass; only the update is held in memory. The output is
 * an fs_output (util/fs.h): a regular file is a temporary, fsync'ed and
 * renamed into place (a failure leaves no file); a device, FIFO or stdout
 * is written into, after a hashing pass, once the signature is known.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/x509.h>
#include <string.h>
#include <zlib.h>
#include <unistd.h>

#include "pdf/pdf_int.h"
#include "util/fs.h"
#include "util/hex.h"
#include "util/num.h"
#include "util/text.h"

#define BR_WIDTH 64 /* "0 a b c" with three 20-digit numbers fits in 63 */

typedef struct xent {
    uint32_t num;
    uint16_t gen;
    uint64_t off; /* type 1: offset; type 2: object stream */
    uint32_t idx;
    int type;
} xent;

typedef struct update {
    pdf_buf b;
    uint64_t base; /* file offset of b.p[0] */
    xent *ents;
    size_t n, cap;
    /* Encryption: every object goes through end_obj, which encrypts it when d is encrypted. */
    pdf_doc *d;
    size_t obj_start; /* offset in b of the current object's body */
    uint32_t cur_num;
    uint16_t cur_gen;
    size_t *track[2]; /* offsets into the current object to keep pointing at the same text */
    size_t ntrack;
    int rc; /* first failure of end_obj (detail in err) */
    sertel_err *err;
} update;

static int add_ent(update *u, uint32_t num, uint16_t gen, int type, uint64_t off, uint32_t idx)
{
    if (u->n == u->cap) {
        size_t nc = u->cap ? u->cap * 2 : 16;
        xent *ne = realloc(u->ents, nc * sizeof(*ne));
        if (ne == NULL)
            return -1;
        u->ents = ne;
        u->cap = nc;
    }
    u->ents[u->n].num = num;
    u->ents[u->n].gen = gen;
    u->ents[u->n].type = type;
    u->ents[u->n].off = off;
    u->ents[u->n].idx = idx;
    u->n++;
    return 0;
}

static int begin_obj(update *u, uint32_t num, uint16_t gen)
{
    if (u->d != NULL && u->d->crypt != NULL && u->d->crypt->encrypt_num != 0 &&
        num == u->d->crypt->encrypt_num) {
        /* A hostile file made its /Encrypt dictionary play another part (a page, a field). */
        if (u->rc == SERTEL_OK)
            u->rc = sertel_err_set(u->err, SERTEL_ERR_INVALID,
                                   "damaged PDF: object %u is the encryption dictionary and "
                                   "also has to be updated",
                                   num);
        return -1;
    }
    if (add_ent(u, num, gen, 1, u->base + u->b.len, 0) != 0)
        return -1;
    pdf_buf_printf(&u->b, "%u %u obj\n", num, (unsigned)gen);
    u->obj_start = u->b.len;
    u->cur_num = num;
    u->cur_gen = gen;
    return 0;
}

/*
 * The one place where an object of the update ends: in an encrypted file
 * its strings and stream data are encrypted here (ISO 32000-2 §7.6.2),
 * all but a signature's /Contents.
 */
static void end_obj(update *u)
{
    if (u->d != NULL && u->d->crypt != NULL && u->rc == SERTEL_OK && !u->b.failed) {
        int rc = pdf_crypt_object(u->d, &u->b, u->obj_start, u->cur_num, u->cur_gen, u->track,
                                  u->ntrack, u->err);
        if (rc != SERTEL_OK) {
            u->rc = rc;
            u->b.failed = 1;
        }
    }
    u->ntrack = 0;
    pdf_buf_put(&u->b, "\nendobj\n", 8);
}

/* A text string (§7.9.2.2): ASCII literal, else UTF-16BE with BOM. */
static int put_text(pdf_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int ascii = 1;

    for (; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            ascii = 0;
    if (ascii) {
        pdf_buf_put(b, "(", 1);
        for (p = (const unsigned char *)s; *p; p++) {
            if (*p == '(' || *p == ')' || *p == '\\')
                pdf_buf_put(b, "\\", 1);
            pdf_buf_put(b, p, 1);
        }
        pdf_buf_put(b, ")", 1);
        return 0;
    }
    pdf_buf_put(b, "<FEFF", 5);
    {
        size_t i = 0, n = strlen(s);
        uint32_t cp;
        while (i < n) {
            if (!text_utf8_next((const unsigned char *)s, n, &i, &cp))
                return -1;
            if (cp >= 0x10000) {
                cp -= 0x10000;
                pdf_buf_printf(b, "%04X%04X", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
            } else {
                pdf_buf_printf(b, "%04X", cp);
            }
        }
    }
    pdf_buf_put(b, ">", 1);
    return 0;
}

/* Items of an array that may be given by reference; NULL-safe. */
static const pdf_obj *as_array(pdf_doc *d, const pdf_obj *o)
{
    o = pdf_resolve(d, o);
    return o != NULL && o->type == PDF_ARRAY ? o : NULL;
}

/* An array's items followed by a reference to object extra (none when extra is 0). */
static void put_items_plus(pdf_buf *b, const pdf_obj *arr, uint32_t extra)
{
    size_t i;

    pdf_buf_put(b, "[", 1);
    for (i = 0; arr != NULL && i < arr->u.arr.n; i++) {
        pdf_buf_obj(b, arr->u.arr.items[i]);
        pdf_buf_put(b, " ", 1);
    }
    if (extra != 0)
        pdf_buf_printf(b, "%u 0 R", extra);
    pdf_buf_put(b, "]", 1);
}

/* A dictionary's entries except the named keys (written without << >>). */
static void put_dict_except(pdf_buf *b, const pdf_obj *dict, const char *const *skip)
{
    size_t i, k;

    for (i = 0; dict != NULL && i < dict->u.dict.n; i++) {
        int drop = 0;
        for (k = 0; skip[k]; k++)
            if (strcmp(dict->u.dict.keys[i], skip[k]) == 0)
                drop = 1;
        if (drop)
            continue;
        {
            pdf_obj name = {.type = PDF_NAME};
            name.u.str.p = dict->u.dict.keys[i];
            name.u.str.len = strlen(dict->u.dict.keys[i]);
            pdf_buf_obj(b, &name);
        }
        pdf_buf_put(b, " ", 1);
        pdf_buf_obj(b, dict->u.dict.vals[i]);
        pdf_buf_put(b, "\n", 1);
    }
}

static int field_name_taken(pdf_doc *d, const pdf_obj *fields, const char *name)
{
    size_t i, n = strlen(name);

    for (i = 0; fields != NULL && i < fields->u.arr.n; i++) {
        const pdf_obj *f = pdf_resolve(d, fields->u.arr.items[i]);
        const pdf_obj *t = pdf_resolve(d, pdf_dict_get(f, "T"));
        if (t != NULL && t->type == PDF_STRING && t->u.str.len == n &&
            memcmp(t->u.str.p, name, n) == 0)
            return 1;
    }
    return 0;
}

/* An existing signature field to sign into (pdf_sign_opts.field names it). */
typedef struct sig_field {
    uint32_t num, wnum; /* the field and its widget (the same object when merged) */
    uint16_t gen, wgen;
    const pdf_obj *dict, *wdict;
    double rect[4]; /* the widget's rectangle: x, y, width, height */
} sig_field;

#define FIELD_DEPTH 16
#define FIELD_VISITS 10000

/* The field's type, inherited from its ancestors (§12.7.3.1); NULL when none. */
static const pdf_obj *field_type(pdf_doc *d, const pdf_obj *f)
{
    int depth;

    for (depth = 0; f != NULL && depth < FIELD_DEPTH; depth++) {
        const pdf_obj *ft = pdf_resolve(d, pdf_dict_get(f, "FT"));
        if (ft != NULL)
            return ft;
        f = pdf_resolve(d, pdf_dict_get(f, "Parent"));
        if (f != NULL && f->type != PDF_DICT)
            return NULL;
    }
    return NULL;
}

static double rect_num(const pdf_obj *o)
{
    return pdf_num(o);
}

/* --- pages shown turned (/Rotate, ISO 32000-1 §7.7.3.3) --- */

/* A /Rotate value as 0, 90, 180 or 270 (clockwise, as displayed); anything else is 0. */
static int rotation_of(pdf_doc *d, const pdf_obj *v)
{
    int64_t r;

    v = pdf_resolve(d, v);
    if (v == NULL || v->type != PDF_INT || v->u.integer % 90 != 0)
        return 0;
    r = v->u.integer % 360;
    return (int)(r < 0 ? r + 360 : r);
}

/* The page's MediaBox as llx, lly, urx, ury (US Letter when missing or damaged). */
static void page_box(pdf_doc *d, const pdf_page *pg, double box[4])
{
    const pdf_obj *mb = pdf_resolve(d, pg->mediabox);
    size_t i;

    box[0] = box[1] = 0;
    box[2] = 612;
    box[3] = 792;
    if (mb == NULL || mb->type != PDF_ARRAY || mb->u.arr.n != 4)
        return;
    for (i = 0; i < 4; i++) {
        double v = rect_num(pdf_resolve(d, mb->u.arr.items[i]));
        if (!(v >= -1e7 && v <= 1e7)) { /* beyond any page (or not a number): the default */
            box[0] = box[1] = 0;
            box[2] = 612;
            box[3] = 792;
            return;
        }
        box[i] = v;
    }
    if (box[0] > box[2]) {
        double t = box[0];
        box[0] = box[2];
        box[2] = t;
    }
    if (box[1] > box[3]) {
        double t = box[1];
        box[1] = box[3];
        box[3] = t;
    }
}

/*
 * Where user-space point x, y of a page with rotation r and box shows, in
 * the coordinates of the page as displayed (origin at its lower left, x to
 * the right, y up). r == 0: unchanged (user space itself).
 */
static void user_to_shown(int r, const double box[4], double x, double y, double *sx, double *sy)
{
    switch (r) {
    case 90:
        *sx = y - box[1], *sy = box[2] - x;
        break;
    case 180:
        *sx = box[2] - x, *sy = box[3] - y;
        break;
    case 270:
        *sx = box[3] - y, *sy = x - box[0];
        break;
    default:
        *sx = x, *sy = y;
    }
}

/* The user-space rectangle (x, y, w, h) of rectangle in (as displayed) on that page. */
static void shown_to_user_rect(int r, const double box[4], const double in[4], double out[4])
{
    double x = in[0], y = in[1], w = in[2], h = in[3];

    switch (r) {
    case 90:
        out[0] = box[2] - y - h, out[1] = box[1] + x, out[2] = h, out[3] = w;
        break;
    case 180:
        out[0] = box[2] - x - w, out[1] = box[3] - y - h, out[2] = w, out[3] = h;
        break;
    case 270:
        out[0] = box[0] + y, out[1] = box[3] - x - w, out[2] = h, out[3] = w;
        break;
    default:
        memcpy(out, in, 4 * sizeof(double));
    }
}

/*
 * How an existing field's stamp is turned: its widget's /MK /R (degrees
 * counterclockwise, §12.5.6.19, which viewers set to the page's /Rotate),
 * else the /Rotate of its page (/P), inherited as pages inherit it.
 */
static int field_rotation(pdf_doc *d, const pdf_obj *wdict)
{
    const pdf_obj *mk = pdf_resolve(d, pdf_dict_get(wdict, "MK")), *p;
    int depth;

    if (mk != NULL && mk->type == PDF_DICT && pdf_dict_get(mk, "R") != NULL)
        return rotation_of(d, pdf_dict_get(mk, "R"));
    /* The page's /Rotate, inherited from the page tree (§7.7.3.4), 32 levels at most. */
    p = pdf_resolve(d, pdf_dict_get(wdict, "P"));
    for (depth = 0; p != NULL && p->type == PDF_DICT && depth < 32; depth++) {
        if (pdf_dict_get(p, "Rotate") != NULL)
            return rotation_of(d, pdf_dict_get(p, "Rotate"));
        p = pdf_resolve(d, pdf_dict_get(p, "Parent"));
    }
    return 0;
}

/*
 * Walk the field tree for the fully qualified name want (partial names
 * joined by '.'). SERTEL_OK with *out filled, SERTEL_ERR_NOTFOUND when no
 * field has that name, or a clear error when it is there but cannot take
 * the signature (another type, already signed, several widgets).
 */
static int find_field_in(pdf_doc *d, const pdf_obj *kids, const char *prefix, const char *want,
                         int depth, unsigned *visits, sig_field *out, sertel_err *err)
{
    size_t i;

    if (kids == NULL || depth > FIELD_DEPTH)
        return SERTEL_ERR_NOTFOUND;
    for (i = 0; i < kids->u.arr.n; i++) {
        const pdf_obj *ref = kids->u.arr.items[i], *f = pdf_resolve(d, ref), *t, *ft, *kk, *r;
        char full[256];
        int rc;

        if (++*visits > FIELD_VISITS)
            return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED, "the form has too many fields");
        if (f == NULL || f->type != PDF_DICT)
            continue;
        t = pdf_resolve(d, pdf_dict_get(f, "T"));
        if (t == NULL || t->type != PDF_STRING)
            continue; /* a widget of its parent, no name of its own */
        if (snprintf(full, sizeof(full), "%s%s%.*s", prefix, prefix[0] ? "." : "",
                     (int)t->u.str.len, t->u.str.p) >= (int)sizeof(full))
            continue;
        kk = as_array(d, pdf_dict_get(f, "Kids"));
        if (strcmp(full, want) != 0) {
            rc = find_field_in(d, kk, full, want, depth + 1, visits, out, err);
            if (rc != SERTEL_ERR_NOTFOUND)
                return rc;
            continue;
        }
        ft = field_type(d, f);
        if (!pdf_is_name(ft, "Sig"))
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "field %s is not a signature field (its type is /%s): name a "
                                  "signature field, or a new name for a new one",
                                  want, ft != NULL && ft->type == PDF_NAME ? ft->u.str.p : "none");
        if (pdf_dict_get(f, "V") != NULL && pdf_resolve(d, pdf_dict_get(f, "V")) != NULL)
            return sertel_err_set(err, SERTEL_ERR_EXISTS,
                                  "signature field %s is already signed: name an empty field, or "
                                  "a new name for a new one",
                                  want);
        if (ref->type != PDF_REF)
            return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                                  "signature field %s is not an indirect object", want);
        out->num = out->wnum = ref->u.ref.num;
        out->gen = out->wgen = ref->u.ref.gen;
        out->dict = out->wdict = f;
        if (kk != NULL) {
            const pdf_obj *w;
            if (kk->u.arr.n != 1 || kk->u.arr.items[0]->type != PDF_REF)
                return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                                      "signature field %s has %zu widgets; one is supported", want,
                                      kk->u.arr.n);
            w = pdf_resolve(d, kk->u.arr.items[0]);
            if (w == NULL || w->type != PDF_DICT)
                return sertel_err_set(err, SERTEL_ERR_INVALID,
                                      "damaged PDF: the widget of field %s", want);
            out->wnum = kk->u.arr.items[0]->u.ref.num;
            out->wgen = kk->u.arr.items[0]->u.ref.gen;
            out->wdict = w;
        } else if (!pdf_is_name(pdf_dict_get(f, "Subtype"), "Widget")) {
            return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                                  "signature field %s has no widget annotation", want);
        }
        r = as_array(d, pdf_dict_get(out->wdict, "Rect"));
        if (r != NULL && r->u.arr.n == 4) {
            double x1 = rect_num(r->u.arr.items[0]), y1 = rect_num(r->u.arr.items[1]),
                   x2 = rect_num(r->u.arr.items[2]), y2 = rect_num(r->u.arr.items[3]);
            out->rect[0] = x1 < x2 ? x1 : x2;
            out->rect[1] = y1 < y2 ? y1 : y2;
            out->rect[2] = x1 < x2 ? x2 - x1 : x1 - x2;
            out->rect[3] = y1 < y2 ? y2 - y1 : y1 - y2;
        }
        return SERTEL_OK;
    }
    return SERTEL_ERR_NOTFOUND;
}

/* A FieldMDP reference (§12.8.2.4) from a signature field's /Lock dictionary. */
static void put_fieldmdp(pdf_buf *b, pdf_doc *d, const pdf_obj *lock)
{
    const pdf_obj *action = pdf_resolve(d, pdf_dict_get(lock, "Action"));
    const pdf_obj *fl = as_array(d, pdf_dict_get(lock, "Fields"));

    if (action == NULL || action->type != PDF_NAME)
        return;
    pdf_buf_printf(b, "<</Type /SigRef /TransformMethod /FieldMDP /TransformParams "
                      "<</Type /TransformParams /Action ");
    pdf_buf_obj(b, action);
    if (fl != NULL && !pdf_is_name(action, "All")) {
        pdf_buf_put(b, " /Fields ", 9);
        pdf_buf_obj(b, fl);
    }
    pdf_buf_printf(b, " /V /1.2>>>>");
}

static void put_cmp_ents(xent *e, size_t n)
{
    size_t i, j;

    /* insertion sort: the update lists a handful of objects (or, after recovery, sorted input) */
    for (i = 1; i < n; i++) {
        xent x = e[i];
        for (j = i; j > 0 && e[j - 1].num > x.num; j--)
            e[j] = e[j - 1];
        e[j] = x;
    }
}

static void trailer_keys(pdf_doc *d, pdf_buf *b, uint32_t size, int with_prev)
{
    pdf_buf_printf(b, "/Size %u /Root ", size);
    pdf_buf_obj(b, d->t_root);
    if (d->t_info != NULL) {
        pdf_buf_put(b, " /Info ", 7);
        pdf_buf_obj(b, d->t_info);
    }
    if (d->t_id != NULL) {
        pdf_buf_put(b, " /ID ", 5);
        pdf_buf_obj(b, pdf_resolve(d, d->t_id));
    }
    if (d->t_encrypt != NULL) {
        /* the same reference (or the same direct dictionary, never decrypted) */
        pdf_buf_put(b, " /Encrypt ", 10);
        pdf_buf_obj(b, d->t_encrypt);
    }
    if (with_prev)
        pdf_buf_printf(b, " /Prev %llu", (unsigned long long)d->startxref);
}

static void write_table(pdf_doc *d, update *u, uint32_t size)
{
    uint64_t off = u->base + u->b.len;
    size_t i = 0, j;

    put_cmp_ents(u->ents, u->n);
    pdf_buf_put(&u->b, "xref\n", 5);
    if (d->recovered)
        pdf_buf_put(&u->b, "0 1\n0000000000 65535 f\r\n", 24);
    while (i < u->n) {
        j = i;
        while (j + 1 < u->n && u->ents[j + 1].num == u->ents[j].num + 1)
            j++;
        pdf_buf_printf(&u->b, "%u %zu\n", u->ents[i].num, j - i + 1);
        for (; i <= j; i++)
            pdf_buf_printf(&u->b, "%010llu %05u n\r\n", (unsigned long long)u->ents[i].off,
                           (unsigned)u->ents[i].gen);
    }
    pdf_buf_put(&u->b, "trailer\n<<", 10);
    trailer_keys(d, &u->b, size, !d->recovered);
    pdf_buf_printf(&u->b, ">>\nstartxref\n%llu\n%%%%EOF\n", (unsigned long long)off);
}

static void write_stream(pdf_doc *d, update *u, uint32_t xnum, uint32_t size)
{
    uint64_t off = u->base + u->b.len, maxoff = off;
    size_t i = 0, j, k;
    int w2 = 1, w3 = 2;

    if (d->recovered && add_ent(u, 0, 65535, 0, 0, 0) != 0) {
        u->b.failed = 1;
        return;
    }
    if (add_ent(u, xnum, 0, 1, off, 0) != 0) {
        u->b.failed = 1;
        return;
    }
    put_cmp_ents(u->ents, u->n);
    for (k = 0; k < u->n; k++) {
        if (u->ents[k].off > maxoff)
            maxoff = u->ents[k].off;
        if (u->ents[k].type == 2 && u->ents[k].idx > 0xffff)
            w3 = 4;
    }
    while (w2 < 8 && (maxoff >> (8 * w2)) != 0)
        w2++;
    pdf_buf_printf(&u->b, "%u 0 obj\n<</Type /XRef ", xnum);
    trailer_keys(d, &u->b, size, !d->recovered);
    pdf_buf_printf(&u->b, " /W [1 %d %d] /Index [", w2, w3);
    while (i < u->n) {
        j = i;
        while (j + 1 < u->n && u->ents[j + 1].num == u->ents[j].num + 1)
            j++;
        pdf_buf_printf(&u->b, "%s%u %zu", i ? " " : "", u->ents[i].num, j - i + 1);
        i = j + 1;
    }
    pdf_buf_printf(&u->b, "] /Length %zu>>\nstream\n", u->n * (size_t)(1 + w2 + w3));
    for (k = 0; k < u->n; k++) {
        unsigned char row[13];
        int x, p = 0;
        uint64_t f3 = u->ents[k].type == 2 ? u->ents[k].idx : u->ents[k].gen;
        row[p++] = (unsigned char)u->ents[k].type;
        for (x = w2 - 1; x >= 0; x--)
            row[p++] = (unsigned char)(u->ents[k].off >> (8 * x));
        for (x = w3 - 1; x >= 0; x--)
            row[p++] = (unsigned char)(f3 >> (8 * x));
        pdf_buf_put(&u->b, row, (size_t)p);
    }
    pdf_buf_printf(&u->b, "\nendstream\nendobj\nstartxref\n%llu\n%%%%EOF\n",
                   (unsigned long long)off);
}

/* The update's cross-reference: a stream (object xnum) when xnum is set, else a table. */
static void write_xref(pdf_doc *d, update *u, uint32_t xnum, uint32_t size)
{
    if (xnum != 0)
        write_stream(d, u, xnum, size);
    else
        write_table(d, u, size);
}

static void pdf_date(time_t t, char out[64])
{
    struct tm tm;
    time_t w = t + 7 * 3600; /* WIB */

    gmtime_r(&w, &tm);
    snprintf(out, 64, "D:%04d%02d%02d%02d%02d%02d+07'00'", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A name attribute of a certificate name as UTF-8 (into out; "" when absent). */
static void name_attr(const X509_NAME *nm, int nid, char *out, size_t cap)
{
    int idx = X509_NAME_get_index_by_NID(nm, nid, -1);
    unsigned char *utf8 = NULL;
    int len;

    out[0] = '\0';
    if (idx < 0)
        return;
    len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, idx)));
    if (len > 0)
        snprintf(out, cap, "%.*s", len, (const char *)utf8);
    OPENSSL_free(utf8);
}

/* Deflated copy of n bytes (malloc'ed) for a /FlateDecode image stream; NULL when out of memory. */
static unsigned char *deflate_copy(const unsigned char *p, size_t n, size_t *zlen)
{
    uLongf zl = compressBound((uLong)n);
    unsigned char *z = malloc(zl);

    if (z == NULL || compress2(z, &zl, p, (uLong)n, 6) != Z_OK) {
        free(z);
        return NULL;
    }
    *zlen = zl;
    return z;
}

/*
 * The signer's handwritten-signature image as an image XObject (ISO 32000-1
 * §8.9.5), written the way the /QR image is: a PNG's samples deflated, with
 * its alpha plane as a soft mask (§11.6.5.3) in smask_num; a JPEG's own
 * bytes with /DCTDecode (§7.4.8).
 */
static int put_sig_image(update *u, const pdf_image *im, uint32_t num, uint32_t smask_num,
                         sertel_err *err)
{
    static const char *const cs[5] = {NULL, "DeviceGray", NULL, "DeviceRGB", "DeviceCMYK"};
    unsigned char *z = NULL;
    size_t zlen = 0, npx = (size_t)im->width * im->height;

    if (im->ncomp < 1 || im->ncomp > 4 || cs[im->ncomp] == NULL || im->data == NULL ||
        (im->kind == PDF_IMAGE_PNG && (im->ncomp == 4 || im->len != npx * (size_t)im->ncomp)) ||
        (im->kind != PDF_IMAGE_PNG && im->kind != PDF_IMAGE_JPEG))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the signature image is not one pdf_image_load prepared");
    if (im->kind == PDF_IMAGE_PNG && im->alpha != NULL) {
        if ((z = deflate_copy(im->alpha, npx, &zlen)) == NULL)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot compress the signature image");
        if (begin_obj(u, smask_num, 0) != 0) {
            free(z);
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        }
        pdf_buf_printf(&u->b,
                       "<</Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace "
                       "/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %zu>>\n"
                       "stream\n",
                       im->width, im->height, zlen);
        pdf_buf_put(&u->b, z, zlen);
        pdf_buf_put(&u->b, "\nendstream", 10);
        end_obj(u);
        free(z);
        z = NULL;
    }
    if (begin_obj(u, num, 0) != 0)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    pdf_buf_printf(&u->b,
                   "<</Type /XObject /Subtype /Image /Width %u /Height %u /ColorSpace /%s "
                   "/BitsPerComponent 8",
                   im->width, im->height, cs[im->ncomp]);
    if (im->kind == PDF_IMAGE_JPEG) {
        pdf_buf_put(&u->b, " /Filter /DCTDecode", 19);
        if (im->ncomp >= 3)
            pdf_buf_printf(&u->b, " /DecodeParms <</ColorTransform %d>>",
                           im->color_transform ? 1 : 0);
        if (im->ncomp == 4 && im->adobe_inverted)
            pdf_buf_put(&u->b, " /Decode [1 0 1 0 1 0 1 0]", 26);
        pdf_buf_printf(&u->b, " /Length %zu>>\nstream\n", im->len);
        pdf_buf_put(&u->b, im->data, im->len);
    } else {
        if ((z = deflate_copy(im->data, im->len, &zlen)) == NULL)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot compress the signature image");
        pdf_buf_put(&u->b, " /Filter /FlateDecode", 21);
        if (im->alpha != NULL)
            pdf_buf_printf(&u->b, " /SMask %u 0 R", smask_num);
        pdf_buf_printf(&u->b, " /Length %zu>>\nstream\n", zlen);
        pdf_buf_put(&u->b, z, zlen);
        free(z);
    }
    pdf_buf_put(&u->b, "\nendstream", 10);
    end_obj(u);
    return u->b.failed ? sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory") : SERTEL_OK;
}

/*
 * The visible stamp: its QR image, the signature image (when o->image is
 * set: objects sig_img_num and, for its transparency, smask_num) and its
 * appearance (form XObject).
 */
static int put_stamp(update *u, const pdf_sign_opts *o, int rot, time_t now, uint32_t ap_num,
                     uint32_t img_num, uint32_t sig_img_num, uint32_t smask_num, sertel_err *err)
{
    /* /Matrix turning the stamp (w x h as displayed) so it reads upright on a page shown
     * turned by rot degrees clockwise; its box then fills the widget's /Rect (§12.5.5). */
    char mtx[96];
    pdf_stamp st;
    pdf_buf content = {0};
    unsigned char *px = NULL, *z = NULL;
    uLongf zlen;
    int qn = 0, rc;
    char cn[256], org[256], issuer[256];

    if (o->signer.cert == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "a visible signature needs the signer's "
                              "certificate");
    if (o->rect[2] <= 0 || o->rect[3] <= 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "give the stamp's rectangle as X,Y,WIDTH,HEIGHT in points");
    name_attr(X509_get_subject_name(o->signer.cert), NID_commonName, cn, sizeof(cn));
    name_attr(X509_get_subject_name(o->signer.cert), NID_organizationName, org, sizeof(org));
    name_attr(X509_get_issuer_name(o->signer.cert), NID_organizationName, issuer, sizeof(issuer));
    memset(&st, 0, sizeof(st));
    st.w = rot == 90 || rot == 270 ? o->rect[3] : o->rect[2];
    st.h = rot == 90 || rot == 270 ? o->rect[2] : o->rect[3];
    switch (rot) {
    case 90:
        (void)num_snprintf(mtx, sizeof(mtx), "0 1 -1 0 %.2f 0", st.h);
        break;
    case 180:
        (void)num_snprintf(mtx, sizeof(mtx), "-1 0 0 -1 %.2f %.2f", st.w, st.h);
        break;
    case 270:
        (void)num_snprintf(mtx, sizeof(mtx), "0 -1 1 0 0 %.2f", st.w);
        break;
    default:
        snprintf(mtx, sizeof(mtx), "1 0 0 1 0 0");
    }
    st.name = cn;
    st.org = org;
    st.issuer = issuer;
    st.reason = o->reason;
    st.qr_text = o->qr_text;
    st.text = o->stamp_text;
    st.when = now;
    st.footer = o->footer;
    if (o->image != NULL) {
        st.image_w = o->image->width;
        st.image_h = o->image->height;
        st.image_orientation = o->image->orientation;
    }
    rc = pdf_stamp_build(&st, &content, &px, &qn, err);
    if (rc != SERTEL_OK)
        return rc;
    /* The QR image, deflated (or a 1x1 white one when there is no QR code). */
    if (px == NULL) {
        px = malloc(1);
        if (px == NULL) {
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
            goto out;
        }
        px[0] = 0xff;
        qn = 1;
    }
    zlen = compressBound((uLong)qn * (uLong)qn);
    z = malloc(zlen);
    if (z == NULL || compress2(z, &zlen, px, (uLong)qn * (uLong)qn, 9) != Z_OK) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot compress the QR code");
        goto out;
    }
    if (begin_obj(u, img_num, 0) != 0)
        goto nomem;
    pdf_buf_printf(&u->b,
                   "<</Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
                   "/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %lu>>\nstream\n",
                   qn, qn, (unsigned long)zlen);
    pdf_buf_put(&u->b, z, zlen);
    pdf_buf_put(&u->b, "\nendstream", 10);
    end_obj(u);
    if (o->image != NULL &&
        (rc = put_sig_image(u, o->image, sig_img_num, smask_num, err)) != SERTEL_OK)
        goto out;
    if (begin_obj(u, ap_num, 0) != 0)
        goto nomem;
    pdf_buf_printf(&u->b,
                   "<</Type /XObject /Subtype /Form /BBox [0 0 %.2f %.2f] /Matrix [%s] "
                   "/Resources <</Font "
                   "<</F1 <</Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding "
                   "/WinAnsiEncoding>> /F2 <</Type /Font /Subtype /Type1 /BaseFont "
                   "/Helvetica-Bold /Encoding /WinAnsiEncoding>>>> /XObject <</QR %u 0 R",
                   st.w, st.h, mtx, img_num);
    if (o->image != NULL)
        pdf_buf_printf(&u->b, " /Img %u 0 R", sig_img_num);
    pdf_buf_printf(&u->b, ">>>> /Length %zu>>\nstream\n", content.len);
    pdf_buf_put(&u->b, content.p, content.len);
    pdf_buf_put(&u->b, "\nendstream", 10);
    end_obj(u);
    rc = u->b.failed ? sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory") : SERTEL_OK;
    goto out;
nomem:
    rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
out:
    pdf_buf_free(&content);
    free(px);
    free(z);
    return rc;
}

int pdf_docmdp(pdf_doc *d)
{
    const pdf_obj *cat, *perms, *sig, *refs;
    uint32_t catnum;
    uint16_t catgen;
    sertel_err e = {0};
    size_t i;

    if (pdf_catalog(d, &cat, &catnum, &catgen, &e) != SERTEL_OK)
        return 0;
    perms = pdf_resolve(d, pdf_dict_get(cat, "Perms"));
    if (perms == NULL || perms->type != PDF_DICT)
        return 0;
    sig = pdf_dict_get(perms, "DocMDP");
    if (sig == NULL)
        return 0;
    sig = pdf_resolve(d, sig);
    if (sig == NULL || sig->type != PDF_DICT)
        return 1; /* damaged: assume the strictest */
    refs = as_array(d, pdf_dict_get(sig, "Reference"));
    for (i = 0; refs != NULL && i < refs->u.arr.n; i++) {
        const pdf_obj *r = pdf_resolve(d, refs->u.arr.items[i]), *tp, *pv;
        if (r == NULL || r->type != PDF_DICT ||
            !pdf_is_name(pdf_dict_get(r, "TransformMethod"), "DocMDP"))
            continue;
        tp = pdf_resolve(d, pdf_dict_get(r, "TransformParams"));
        pv = tp != NULL && tp->type == PDF_DICT ? pdf_resolve(d, pdf_dict_get(tp, "P")) : NULL;
        if (pv == NULL)
            return 2; /* the default (§12.8.2.2.2) */
        if (pv->type != PDF_INT || pv->u.integer < 1 || pv->u.integer > 3)
            return 1;
        return (int)pv->u.integer;
    }
    return 2;
}

/* 1 when a field (or a kid of one) is a signature field with a value. */
static int has_signature(pdf_doc *d, const pdf_obj *fields)
{
    size_t i, k;

    for (i = 0; fields != NULL && i < fields->u.arr.n; i++) {
        const pdf_obj *f = pdf_resolve(d, fields->u.arr.items[i]), *kids;
        if (f == NULL || f->type != PDF_DICT)
            continue;
        if (pdf_is_name(pdf_dict_get(f, "FT"), "Sig") && pdf_dict_get(f, "V") != NULL)
            return 1;
        kids = as_array(d, pdf_dict_get(f, "Kids"));
        for (k = 0; kids != NULL && k < kids->u.arr.n; k++) {
            const pdf_obj *c = pdf_resolve(d, kids->u.arr.items[k]);
            if (c != NULL && c->type == PDF_DICT && pdf_dict_get(c, "V") != NULL &&
                (pdf_is_name(pdf_dict_get(c, "FT"), "Sig") ||
                 pdf_is_name(pdf_dict_get(f, "FT"), "Sig")))
                return 1;
        }
    }
    return 0;
}

/*
 * The update of a signature (doc_ts == 0) or of a document time-stamp
 * (doc_ts != 0: /Type /DocTimeStamp /SubFilter /ETSI.RFC3161, invisible,
 * no /M: the time is the token's).
 */
static int build_update(pdf_doc *d, const pdf_sign_opts *o, int doc_ts, size_t contents_hex,
                        unsigned char **update_out, size_t *update_len, uint64_t *contents_off,
                        sertel_err *err)
{
    update u = {0};
    pdf_sign_opts oc;
    const pdf_obj *cat, *af_ref, *af, *fields, *annots, *ext;
    pdf_page page;
    uint32_t catnum, next, sig_num, wid_num, ap_num = 0, img_num = 0, sig_img_num = 0,
                                             smask_num = 0, xnum = 0, size, i;
    time_t now = o->when ? o->when : time(NULL);
    uint16_t catgen;
    size_t br_pos, lt_pos;
    char name[64], date[64], brs[BR_WIDTH + 1];
    int rc, af_indirect, existing = 0, rot = 0;
    sig_field ef;

    if (d->encrypted && d->crypt == NULL)
        return sertel_err_set(err, SERTEL_ERR_DENIED, "the PDF is encrypted and was not opened");
    rc = pdf_catalog(d, &cat, &catnum, &catgen, err);
    if (rc != SERTEL_OK)
        return rc;
    af_ref = pdf_dict_get(cat, "AcroForm");
    af = pdf_resolve(d, af_ref);
    if (af != NULL && af->type != PDF_DICT)
        af = NULL;
    af_indirect = af != NULL && af_ref->type == PDF_REF;
    fields = as_array(d, pdf_dict_get(af, "Fields"));
    memset(&ef, 0, sizeof(ef));
    if (o->field != NULL && !doc_ts) {
        /* An empty signature field of that name is signed into (§12.7.5.5). */
        unsigned visits = 0;
        if (strlen(o->field) >= 200)
            return sertel_err_set(err, SERTEL_ERR_INVALID, "field name must be under 200 bytes");
        rc = find_field_in(d, fields, "", o->field, 0, &visits, &ef, err);
        if (rc == SERTEL_OK)
            existing = 1;
        else if (rc != SERTEL_ERR_NOTFOUND)
            return rc;
    }
    if (existing && (ef.num == catnum || ef.wnum == catnum))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "damaged PDF: signature field %s is the catalog", o->field);
    if (existing) {
        /* The field's own rectangle decides where the stamp goes; an empty one is invisible. */
        if (o->marker != NULL || o->visible)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "signature field %s has its own place on the page: leave out "
                                  "--visible, --rect and --marker",
                                  o->field);
        oc = *o;
        oc.visible = ef.rect[2] >= 1 && ef.rect[3] >= 1;
        memcpy(oc.rect, ef.rect, sizeof(oc.rect));
        /* (A QR text is a default of the caller's and does not make a field visible.) */
        if (!oc.visible && (o->image != NULL || o->footer))
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "signature field %s is invisible (no rectangle on a page): a "
                                  "stamp image or footer needs a visible field",
                                  o->field);
        o = &oc;
    }
    if (o->page == PDF_PAGE_LAST) {
        size_t count = 0;
        if ((rc = pdf_page_count(d, &count, err)) != SERTEL_OK)
            return rc;
        if (o != &oc) {
            oc = *o;
            o = &oc;
        }
        oc.page = count;
    }
    if (o->visible && o->marker != NULL && !doc_ts) {
        /* The stamp at the marker: its page and the rectangle's lower left. */
        size_t mpage = 0;
        double mx = 0, my = 0;
        rc = pdf_find_marker(d, o->marker, o->page, &mpage, &mx, &my, err);
        if (rc != SERTEL_OK)
            return rc;
        oc = *o;
        oc.page = mpage;
        oc.rect[0] = mx;
        oc.rect[1] = my;
        if (oc.rect[2] <= 0 || oc.rect[3] <= 0) {
            oc.rect[2] = 220;
            oc.rect[3] = 80;
        }
        o = &oc;
    }
    rc = pdf_page_get(d, o->page ? o->page : 1, &page, err);
    if (rc != SERTEL_OK)
        return rc;
    if (o->visible && !doc_ts && existing) {
        rot = field_rotation(d, ef.wdict);
    } else if (o->visible && !doc_ts) {
        /* A page shown turned: the rectangle (or the marker) is where it shows; the
         * widget's /Rect is in user space and the stamp turns to read upright. */
        rot = rotation_of(d, page.rotate);
        if (rot != 0) {
            double box[4], shown[4];
            page_box(d, &page, box);
            memcpy(shown, o->rect, sizeof(shown));
            if (o->marker != NULL)
                user_to_shown(rot, box, o->rect[0], o->rect[1], &shown[0], &shown[1]);
            if (o != &oc) {
                oc = *o;
                o = &oc;
            }
            shown_to_user_rect(rot, box, shown, oc.rect);
        }
    }
    if (o->certify < 0 || o->certify > 3)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "certification permission must be 1, 2 or 3 (DocMDP P)");
    if (!doc_ts && pdf_docmdp(d) == 1)
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "the document is certified with no changes allowed (DocMDP P=1): "
                              "another signature would break its certification");
    next = pdf_next_objnum(d);
    if (next + 5 >= PDF_MAX_OBJECTS)
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED, "too many objects in the PDF");
    sig_num = next++;
    wid_num = existing ? ef.wnum : next++;
    if (o->visible) {
        ap_num = next++;
        img_num = next++;
        if (o->image != NULL) {
            sig_img_num = next++;
            if (o->image->alpha != NULL)
                smask_num = next++;
        }
    }
    if (d->kind == PDF_XREF_STREAM)
        xnum = next++;
    if (o->certify != 0 && (pdf_docmdp(d) != 0 || has_signature(d, fields)))
        return sertel_err_set(err, SERTEL_ERR_STATE,
                              "the document is already signed or certified: a certification "
                              "signature (--certify) must be the first signature");
    if (existing) {
        snprintf(name, sizeof(name), "(existing)"); /* not written: the field keeps its /T */
    } else if (o->field != NULL) {
        if (strlen(o->field) >= sizeof(name) || strchr(o->field, '.') != NULL)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "field name must be under 64 bytes and contain no '.'");
        if (field_name_taken(d, fields, o->field))
            return sertel_err_set(err, SERTEL_ERR_EXISTS,
                                  "the document already has a field named %s", o->field);
        snprintf(name, sizeof(name), "%s", o->field);
    } else {
        unsigned k = 1;
        do {
            snprintf(name, sizeof(name), "%s%u", doc_ts ? "DocTimeStamp" : "Signature", k);
        } while (field_name_taken(d, fields, name) && ++k < 1000);
    }

    u.base = d->len;
    u.d = d;
    u.err = err;
    if (d->len > 0 && d->buf[d->len - 1] != '\n' && d->buf[d->len - 1] != '\r') {
        pdf_buf_put(&u.b, "\n", 1);
    }
    /* The signature dictionary. */
    pdf_date(now, date);
    if (begin_obj(&u, sig_num, 0) != 0)
        goto nomem;
    if (doc_ts)
        pdf_buf_printf(&u.b, "<</Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter "
                             "/ETSI.RFC3161\n/ByteRange [");
    else
        pdf_buf_printf(&u.b, "<</Type /Sig /Filter /Adobe.PPKLite /SubFilter "
                             "/ETSI.CAdES.detached\n/ByteRange [");
    br_pos = u.b.len;
    for (i = 0; i < BR_WIDTH; i++)
        pdf_buf_put(&u.b, " ", 1);
    pdf_buf_put(&u.b, "]\n/Contents ", 11);
    lt_pos = u.b.len;
    pdf_buf_put(&u.b, "<", 1);
    for (i = 0; i < contents_hex; i++)
        pdf_buf_put(&u.b, "0", 1);
    pdf_buf_put(&u.b, ">", 1);
    if (!doc_ts)
        pdf_buf_printf(&u.b, "\n/M (%s)", date);
    {
        /* Transforms: DocMDP for a certification, FieldMDP for a field's /Lock. */
        const pdf_obj *lock = existing ? pdf_resolve(d, pdf_dict_get(ef.dict, "Lock")) : NULL;
        if (lock != NULL && lock->type != PDF_DICT)
            lock = NULL;
        if (o->certify != 0 || lock != NULL)
            pdf_buf_put(&u.b, "\n/Reference [", 13);
        if (o->certify != 0)
            pdf_buf_printf(&u.b,
                           "<</Type /SigRef /TransformMethod /DocMDP /TransformParams "
                           "<</Type /TransformParams /P %d /V /1.2>>>>",
                           o->certify);
        if (lock != NULL)
            put_fieldmdp(&u.b, d, lock);
        if (o->certify != 0 || lock != NULL)
            pdf_buf_put(&u.b, "]", 1);
    }
    {
        const char *keys[] = {"Reason", "Location", "ContactInfo", "Name"};
        const char *vals[] = {o->reason, o->location, o->contact, o->name};
        for (i = 0; i < 4; i++) {
            if (vals[i] == NULL)
                continue;
            if (strlen(vals[i]) > 4096) {
                pdf_buf_free(&u.b);
                free(u.ents);
                return sertel_err_set(err, SERTEL_ERR_INVALID, "/%s is longer than 4096 bytes",
                                      keys[i]);
            }
            pdf_buf_printf(&u.b, " /%s ", keys[i]);
            if (put_text(&u.b, vals[i]) != 0) {
                pdf_buf_free(&u.b);
                free(u.ents);
                return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is not valid UTF-8", keys[i]);
            }
        }
    }
    pdf_buf_put(&u.b, ">>", 2);
    u.track[0] = &br_pos;
    u.track[1] = &lt_pos;
    u.ntrack = 2;
    end_obj(&u);

    if (existing) {
        /* The field gets /V; its widget the appearance (the same object when merged). */
        static const char *const fskip[] = {"V", "AP", "AS", NULL};
        if (begin_obj(&u, ef.num, ef.gen) != 0)
            goto nomem;
        pdf_buf_put(&u.b, "<<", 2);
        put_dict_except(&u.b, ef.dict, fskip);
        pdf_buf_printf(&u.b, "/V %u 0 R", sig_num);
        if (o->visible && ef.wnum == ef.num)
            pdf_buf_printf(&u.b, " /AP <</N %u 0 R>>", ap_num);
        pdf_buf_put(&u.b, ">>", 2);
        end_obj(&u);
        if (ef.wnum != ef.num) {
            /*
             * The widget repeats /V: poppler and MuPDF read a signature's
             * value from the widget, not from its parent field.
             */
            static const char *const wskip[] = {"AP", "AS", "V", NULL};
            if (begin_obj(&u, ef.wnum, ef.wgen) != 0)
                goto nomem;
            pdf_buf_put(&u.b, "<<", 2);
            put_dict_except(&u.b, ef.wdict, wskip);
            pdf_buf_printf(&u.b, "/V %u 0 R", sig_num);
            if (o->visible)
                pdf_buf_printf(&u.b, " /AP <</N %u 0 R>>", ap_num);
            pdf_buf_put(&u.b, ">>", 2);
            end_obj(&u);
        }
        if (o->visible) {
            rc = put_stamp(&u, o, rot, now, ap_num, img_num, sig_img_num, smask_num, err);
            if (rc == SERTEL_OK && u.rc != SERTEL_OK)
                rc = u.rc;
            if (rc != SERTEL_OK) {
                pdf_buf_free(&u.b);
                free(u.ents);
                return rc;
            }
        }
        goto form;
    }

    /* The field, merged with its widget (§12.5.6.19, §12.7.4.5). Invisible: empty /Rect. */
    if (begin_obj(&u, wid_num, 0) != 0)
        goto nomem;
    pdf_buf_printf(&u.b, "<</Type /Annot /Subtype /Widget /FT /Sig /T ");
    (void)put_text(&u.b, name);
    if (o->visible) {
        pdf_buf_printf(&u.b,
                       " /V %u 0 R /F 132 /P %u %u R /Rect [%.2f %.2f %.2f %.2f] /AP <</N %u 0 R>>",
                       sig_num, page.num, (unsigned)page.gen, o->rect[0], o->rect[1],
                       o->rect[0] + o->rect[2], o->rect[1] + o->rect[3], ap_num);
        if (rot != 0)
            pdf_buf_printf(&u.b, " /MK <</R %d>>", rot);
        pdf_buf_put(&u.b, ">>", 2);
        end_obj(&u);
        rc = put_stamp(&u, o, rot, now, ap_num, img_num, sig_img_num, smask_num, err);
        if (rc == SERTEL_OK && u.rc != SERTEL_OK)
            rc = u.rc; /* encryption failed (detail in err) */
        if (rc != SERTEL_OK) {
            pdf_buf_free(&u.b);
            free(u.ents);
            return rc;
        }
    } else {
        pdf_buf_printf(&u.b, " /V %u 0 R /F 132 /P %u %u R /Rect [0 0 0 0]>>", sig_num, page.num,
                       (unsigned)page.gen);
        end_obj(&u);
    }

    /* The page's /Annots: a new version of the array object, or of the page. */
    annots = pdf_dict_get(page.dict, "Annots");
    if (annots != NULL && annots->type == PDF_REF && as_array(d, annots) != NULL &&
        annots->u.ref.num != catnum && annots->u.ref.num != page.num) {
        if (begin_obj(&u, annots->u.ref.num, annots->u.ref.gen) != 0)
            goto nomem;
        put_items_plus(&u.b, as_array(d, annots), wid_num);
        end_obj(&u);
    } else {
        static const char *const skip[] = {"Annots", NULL};
        if (begin_obj(&u, page.num, page.gen) != 0)
            goto nomem;
        pdf_buf_put(&u.b, "<<", 2);
        put_dict_except(&u.b, page.dict, skip);
        pdf_buf_put(&u.b, "/Annots ", 8);
        put_items_plus(&u.b, as_array(d, annots), wid_num);
        pdf_buf_put(&u.b, ">>", 2);
        end_obj(&u);
    }

form:
    /* The AcroForm: its own new version when indirect, else inline in the catalog. */
    if (af_indirect) {
        static const char *const skip[] = {"Fields", "SigFlags", NULL};
        if (af_ref->u.ref.num == catnum || af_ref->u.ref.num == page.num ||
            (existing && (af_ref->u.ref.num == ef.num || af_ref->u.ref.num == ef.wnum))) {
            pdf_buf_free(&u.b);
            free(u.ents);
            return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: bad /AcroForm");
        }
        if (begin_obj(&u, af_ref->u.ref.num, af_ref->u.ref.gen) != 0)
            goto nomem;
        pdf_buf_put(&u.b, "<<", 2);
        put_dict_except(&u.b, af, skip);
        pdf_buf_put(&u.b, "/Fields ", 8);
        put_items_plus(&u.b, fields, existing ? 0 : wid_num);
        pdf_buf_put(&u.b, " /SigFlags 3>>", 14);
        end_obj(&u);
    }
    /* The catalog. */
    if (begin_obj(&u, catnum, catgen) != 0)
        goto nomem;
    {
        static const char *const skip[] = {"AcroForm", "Extensions", "Perms", NULL};
        pdf_buf_put(&u.b, "<<", 2);
        put_dict_except(&u.b, cat,
                        af_indirect ? (const char *const[]){"Extensions", "Perms", NULL} : skip);
        if (o->certify != 0) {
            static const char *const pskip[] = {"DocMDP", NULL};
            const pdf_obj *perms = pdf_resolve(d, pdf_dict_get(cat, "Perms"));
            pdf_buf_put(&u.b, "/Perms <<", 9);
            put_dict_except(&u.b, perms != NULL && perms->type == PDF_DICT ? perms : NULL, pskip);
            pdf_buf_printf(&u.b, "/DocMDP %u 0 R>>\n", sig_num);
        } else if (pdf_dict_get(cat, "Perms") != NULL) {
            pdf_buf_put(&u.b, "/Perms ", 7);
            pdf_buf_obj(&u.b, pdf_dict_get(cat, "Perms"));
            pdf_buf_put(&u.b, "\n", 1);
        }
        if (!af_indirect) {
            static const char *const afskip[] = {"Fields", "SigFlags", NULL};
            pdf_buf_put(&u.b, "/AcroForm <<", 12);
            put_dict_except(&u.b, af, afskip);
            pdf_buf_put(&u.b, "/Fields ", 8);
            put_items_plus(&u.b, fields, existing ? 0 : wid_num);
            pdf_buf_put(&u.b, " /SigFlags 3>>\n", 15);
        }
        ext = pdf_resolve(d, pdf_dict_get(cat, "Extensions"));
        if (ext != NULL && ext->type != PDF_DICT)
            ext = NULL;
        if (pdf_version(d) < 20 && pdf_dict_get(ext, "ESIC") == NULL) {
            static const char *const eskip[] = {"ESIC", NULL};
            pdf_buf_put(&u.b, "/Extensions <<", 14);
            put_dict_except(&u.b, ext, eskip);
            pdf_buf_put(&u.b, "/ESIC <</BaseVersion /1.7 /ExtensionLevel 1>>>>", 47);
        } else if (pdf_dict_get(cat, "Extensions") != NULL) {
            pdf_buf_put(&u.b, "/Extensions ", 12);
            pdf_buf_obj(&u.b, pdf_dict_get(cat, "Extensions"));
        }
        pdf_buf_put(&u.b, ">>", 2);
    }
    end_obj(&u);

    /* After recovery the new section lists every object (no /Prev to trust). */
    if (d->recovered) {
        int has_compressed = 0;
        for (i = 1; i < d->nxref && i < d->maxnum; i++) {
            size_t k;
            int mine = 0;
            if (d->xref[i].type == 0)
                continue;
            for (k = 0; k < u.n; k++)
                if (u.ents[k].num == i)
                    mine = 1;
            if (mine)
                continue;
            if (d->xref[i].type == 2)
                has_compressed = 1;
            if (add_ent(&u, i, d->xref[i].type == 1 ? (uint16_t)d->xref[i].idx : 0, d->xref[i].type,
                        d->xref[i].off, d->xref[i].type == 2 ? d->xref[i].idx : 0) != 0)
                goto nomem;
        }
        if (has_compressed)
            xnum = next++;
    }
    size = next;
    write_xref(d, &u, xnum, size);
    if (u.b.failed)
        goto nomem;

    /* Fill /ByteRange: everything but the /Contents hex string, angle brackets included. */
    {
        uint64_t lt = u.base + lt_pos, gt_end = lt + contents_hex + 2, total = u.base + u.b.len;
        int n = snprintf(brs, sizeof(brs), "0 %llu %llu %llu", (unsigned long long)lt,
                         (unsigned long long)gt_end, (unsigned long long)(total - gt_end));
        if (n < 0 || n > BR_WIDTH)
            goto nomem;
        memcpy(u.b.p + br_pos, brs, (size_t)n);
        *contents_off = lt;
    }
    free(u.ents);
    *update_out = (unsigned char *)u.b.p;
    *update_len = u.b.len;
    return SERTEL_OK;
nomem:
    pdf_buf_free(&u.b);
    free(u.ents);
    if (u.rc != SERTEL_OK)
        return u.rc;
    return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory building the update");
}

int pdf_build_sig_update(pdf_doc *d, const pdf_sign_opts *o, size_t contents_hex,
                         unsigned char **update_out, size_t *update_len, uint64_t *contents_off,
                         sertel_err *err)
{
    return build_update(d, o, 0, contents_hex, update_out, update_len, contents_off, err);
}

int pdf_build_ts_update(pdf_doc *d, size_t contents_hex, unsigned char **update_out,
                        size_t *update_len, uint64_t *contents_off, sertel_err *err)
{
    pdf_sign_opts none;

    memset(&none, 0, sizeof(none));
    return build_update(d, &none, 1, contents_hex, update_out, update_len, contents_off, err);
}

/*
 * Copy the original file in 1 MiB blocks into out (NULL: read only), hashing
 * it when md is set.
 */
static int copy_original(pdf_doc *d, const char *in_path, fs_output *out, EVP_MD_CTX *md,
                         unsigned char *blk, sertel_err *err)
{
    uint64_t off;
    int rc;

    for (off = 0; off < d->len;) {
        size_t n = d->len - off > (1u << 20) ? (1u << 20) : (size_t)(d->len - off);
        ssize_t r = pread(d->fd, blk, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return sertel_err_set(err, SERTEL_ERR_IO, "reading %s: %s", in_path,
                                  r < 0 ? strerror(errno) : "the file shrank while being read");
        if (md != NULL)
            EVP_DigestUpdate(md, blk, (size_t)r);
        if (out != NULL && (rc = fs_output_write(out, blk, (size_t)r, err)) != SERTEL_OK)
            return rc;
        off += (uint64_t)r;
    }
    return SERTEL_OK;
}

/* Finish an output a *_to writer filled: committed on success, else abandoned. */
static int finish_output(fs_output *out, int rc, sertel_err *err)
{
    if (rc != SERTEL_OK) {
        fs_output_abort(out);
        return rc;
    }
    return fs_output_commit(out, err);
}

/* /Contents: a CAdES signature, or (docts set) a time-stamp token, over digest. */
static int make_contents(const pdf_sign_opts *o, const cms_tsa *docts, const unsigned char dig[32],
                         unsigned char **der, size_t *der_len, sertel_err *err)
{
    if (docts != NULL)
        return cms_timestamp_digest(docts, dig, der, der_len, err);
    return cms_sign_digest(&o->signer, dig, o->level == PDF_LEVEL_BT ? &o->tsa : NULL, der, der_len,
                           err);
}

/*
 * Sign (docts NULL) or add a document time-stamp from docts into out,
 * streaming. An output that can be rewound (a temporary file) gets the
 * original while it is hashed, in one pass; a device, FIFO or stdout only
 * once the signature is known to fit, after a hashing pass, so that a
 * start over never leaves stray bytes in it.
 */
static int sign_to(const char *in_path, fs_output *out, const pdf_sign_opts *o,
                   const cms_tsa *docts, sertel_err *err)
{
    pdf_doc *d = NULL;
    unsigned char zero[32] = {0}, dig[32], *upd = NULL, *der = NULL, *blk = NULL;
    size_t upd_len = 0, der_len = 0, hexlen, margin, k;
    uint64_t lt = 0;
    int rc, attempt, direct = fs_output_can_rewind(out);
    EVP_MD_CTX *md = NULL;
    int with_ts = docts != NULL || o->level == PDF_LEVEL_BT;

    if (docts != NULL && docts->fn == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "a document time-stamp needs a time-stamping authority");
    if (docts == NULL && o->level == PDF_LEVEL_BT && o->tsa.fn == NULL)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "B-T needs a time-stamping authority (--tsa URL or a home)");
    if (fs_output_same(out, in_path))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the output must be a new file, not the input itself");
    rc = pdf_open_file_pw(in_path, o->password, &d, err);
    if (rc != SERTEL_OK)
        return rc;
    /* Dry run: a real signature (and time-stamp) over a dummy digest measures /Contents. */
    rc = make_contents(o, docts, zero, &der, &der_len, err);
    if (rc != SERTEL_OK)
        goto out;
    OPENSSL_free(der);
    der = NULL;
    /*
     * The margin covers what varies between two signatures (an ECDSA value,
     * a time-stamp's serial and time). Should the real one still outgrow
     * the space (a TSA that answers with more certificates the second time),
     * the update is built again around its real size, once.
     */
    margin = 64 + (with_ts ? 192 : 0);
    hexlen = 2 * (der_len + margin);
    blk = malloc(1 << 20);
    md = EVP_MD_CTX_new();
    if (blk == NULL || md == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (attempt = 0;; attempt++) {
        rc = build_update(d, o, docts != NULL, hexlen, &upd, &upd_len, &lt, err);
        if (rc != SERTEL_OK)
            goto out;
        if (!EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
            rc = sertel_err_openssl(err, SERTEL_ERR_CRYPTO, "cannot hash the document");
            goto out;
        }
        if (direct && attempt > 0 && (rc = fs_output_rewind(out, err)) != SERTEL_OK)
            goto out;
        /* Hash (and copy) the original revision(s): all of it lies before /Contents. */
        if ((rc = copy_original(d, in_path, direct ? out : NULL, md, blk, err)) != SERTEL_OK)
            goto out;
        k = (size_t)(lt - d->len);
        EVP_DigestUpdate(md, upd, k);
        EVP_DigestUpdate(md, upd + k + hexlen + 2, upd_len - (k + hexlen + 2));
        EVP_DigestFinal_ex(md, dig, NULL);
        rc = make_contents(o, docts, dig, &der, &der_len, err);
        if (rc != SERTEL_OK)
            goto out;
        if (2 * der_len <= hexlen)
            break;
        if (attempt == 1) {
            rc = sertel_err_set(err, SERTEL_ERR_CRYPTO,
                                "the signature%s grew again (%zu bytes, %zu reserved) after the "
                                "space was sized to it: the time-stamping authority's answers "
                                "vary too much",
                                with_ts ? " with its time-stamp" : "", der_len, hexlen / 2);
            goto out;
        }
        /* Start over with room for the real size; nothing written so far is kept. */
        hexlen = 2 * (der_len + margin);
        OPENSSL_free(der);
        der = NULL;
        free(upd);
        upd = NULL;
    }
    if (!direct && (rc = copy_original(d, in_path, out, NULL, blk, err)) != SERTEL_OK)
        goto out;
    hex_encode(der, der_len, (char *)blk);
    memcpy(upd + k + 1, blk, 2 * der_len);
    rc = fs_output_write(out, upd, upd_len, err);
out:
    free(blk);
    free(upd);
    OPENSSL_free(der);
    EVP_MD_CTX_free(md);
    pdf_close(d);
    return rc;
}

int pdf_sign_to(const char *in_path, fs_output *out, const pdf_sign_opts *o, sertel_err *err)
{
    return sign_to(in_path, out, o, NULL, err);
}

int pdf_sign_file(const char *in_path, const char *out_path, const pdf_sign_opts *o,
                  sertel_err *err)
{
    fs_output *out = NULL;
    int rc = fs_output_open(out_path, 0644, 0, &out, err);

    if (rc != SERTEL_OK)
        return rc;
    return finish_output(out, sign_to(in_path, out, o, NULL, err), err);
}

int pdf_timestamp_file(const char *in_path, const char *out_path, const cms_tsa *tsa,
                       sertel_err *err)
{
    return pdf_timestamp_file_pw(in_path, out_path, NULL, tsa, err);
}

int pdf_timestamp_to(const char *in_path, fs_output *out, const char *password, const cms_tsa *tsa,
                     sertel_err *err)
{
    pdf_sign_opts none;

    memset(&none, 0, sizeof(none));
    none.password = password;
    return sign_to(in_path, out, &none, tsa, err);
}

int pdf_timestamp_file_pw(const char *in_path, const char *out_path, const char *password,
                          const cms_tsa *tsa, sertel_err *err)
{
    fs_output *out = NULL;
    int rc = fs_output_open(out_path, 0644, 0, &out, err);

    if (rc != SERTEL_OK)
        return rc;
    return finish_output(out, pdf_timestamp_to(in_path, out, password, tsa, err), err);
}

/* Write one DSS array: the old items (when the file had a /DSS) and the new refs. */
static void put_dss_array(pdf_buf *b, const char *key, const pdf_obj *old, uint32_t first, size_t n)
{
    size_t i;

    if ((old == NULL || old->u.arr.n == 0) && n == 0)
        return;
    pdf_buf_printf(b, " /%s [", key);
    for (i = 0; old != NULL && i < old->u.arr.n; i++) {
        pdf_buf_obj(b, old->u.arr.items[i]);
        pdf_buf_put(b, " ", 1);
    }
    for (i = 0; i < n; i++)
        pdf_buf_printf(b, "%u 0 R ", first + (uint32_t)i);
    pdf_buf_put(b, "]", 1);
}

int pdf_add_dss_file(const char *in_path, const char *out_path, const pdf_bytes *certs,
                     size_t ncerts, const pdf_bytes *ocsps, size_t nocsps, const pdf_bytes *crls,
                     size_t ncrls, sertel_err *err)
{
    return pdf_add_dss_file_pw(in_path, out_path, NULL, certs, ncerts, ocsps, nocsps, crls, ncrls,
                               err);
}

int pdf_add_dss_file_pw(const char *in_path, const char *out_path, const char *password,
                        const pdf_bytes *certs, size_t ncerts, const pdf_bytes *ocsps,
                        size_t nocsps, const pdf_bytes *crls, size_t ncrls, sertel_err *err)
{
    fs_output *out = NULL;
    int rc = fs_output_open(out_path, 0644, 0, &out, err);

    if (rc != SERTEL_OK)
        return rc;
    return finish_output(
        out, pdf_add_dss_to(in_path, out, password, certs, ncerts, ocsps, nocsps, crls, ncrls, err),
        err);
}

int pdf_add_dss_to(const char *in_path, fs_output *out, const char *password,
                   const pdf_bytes *certs, size_t ncerts, const pdf_bytes *ocsps, size_t nocsps,
                   const pdf_bytes *crls, size_t ncrls, sertel_err *err)
{
    static const char *const groups[3] = {"Certs", "OCSPs", "CRLs"};
    const pdf_bytes *items[3] = {certs, ocsps, crls};
    size_t counts[3] = {ncerts, nocsps, ncrls}, g, i;
    uint32_t first[3], next, catnum, dss_num, xnum = 0, size;
    uint16_t catgen;
    const pdf_obj *cat, *dss;
    pdf_doc *d = NULL;
    update u = {0};
    unsigned char *blk = NULL;
    int rc;

    if (fs_output_same(out, in_path))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "the output must be a new file, not the input itself");
    rc = pdf_open_file_pw(in_path, password, &d, err);
    if (rc != SERTEL_OK)
        return rc;
    if (d->recovered) {
        rc = sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                            "a Document Security Store is only added to an intact PDF");
        goto out;
    }
    if ((rc = pdf_catalog(d, &cat, &catnum, &catgen, err)) != SERTEL_OK)
        goto out;
    dss = pdf_resolve(d, pdf_dict_get(cat, "DSS"));
    if (dss != NULL && dss->type != PDF_DICT)
        dss = NULL;
    next = pdf_next_objnum(d);
    u.base = d->len;
    u.d = d;
    u.err = err;
    if (d->len > 0 && d->buf[d->len - 1] != '\n' && d->buf[d->len - 1] != '\r')
        pdf_buf_put(&u.b, "\n", 1);
    for (g = 0; g < 3; g++) {
        first[g] = next;
        for (i = 0; i < counts[g]; i++) {
            if (items[g][i].len == 0 || items[g][i].len > (64u << 20)) {
                rc = sertel_err_set(err, SERTEL_ERR_INVALID, "a DSS item has a bad size");
                goto out;
            }
            if (begin_obj(&u, next++, 0) != 0)
                goto nomem;
            pdf_buf_printf(&u.b, "<</Length %zu>>\nstream\n", items[g][i].len);
            pdf_buf_put(&u.b, items[g][i].p, items[g][i].len);
            pdf_buf_put(&u.b, "\nendstream", 10);
            end_obj(&u);
        }
    }
    dss_num = next++;
    if (begin_obj(&u, dss_num, 0) != 0)
        goto nomem;
    pdf_buf_put(&u.b, "<<", 2);
    for (g = 0; g < 3; g++) {
        const pdf_obj *old = dss ? pdf_resolve(d, pdf_dict_get(dss, groups[g])) : NULL;
        put_dss_array(&u.b, groups[g], old && old->type == PDF_ARRAY ? old : NULL, first[g],
                      counts[g]);
    }
    pdf_buf_put(&u.b, ">>", 2);
    end_obj(&u);
    if (begin_obj(&u, catnum, catgen) != 0)
        goto nomem;
    {
        static const char *const skip[] = {"DSS", NULL};
        pdf_buf_put(&u.b, "<<", 2);
        put_dict_except(&u.b, cat, skip);
        pdf_buf_printf(&u.b, "/DSS %u 0 R>>", dss_num);
    }
    end_obj(&u);
    if (d->kind == PDF_XREF_STREAM)
        xnum = next++;
    size = next;
    write_xref(d, &u, xnum, size);
    if (u.b.failed)
        goto nomem;

    /* Original bytes, then the update. */
    blk = malloc(1 << 20);
    if (blk == NULL)
        goto nomem;
    if ((rc = copy_original(d, in_path, out, NULL, blk, err)) == SERTEL_OK)
        rc = fs_output_write(out, u.b.p, u.b.len, err);
    goto out;
nomem:
    rc = u.rc != SERTEL_OK
             ? u.rc
             : sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory building the DSS revision");
out:
    free(blk);
    pdf_buf_free(&u.b);
    free(u.ents);
    pdf_close(d);
    return rc;
}
