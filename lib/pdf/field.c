/*
 * field.c - signature fields of a document's interactive form (ISO
 * 32000-1 §12.7.3, §12.7.4.5): finding an empty signature field by its
 * fully qualified name, the names in use, whether anything is signed, the
 * certification's permissions (DocMDP, §12.8.2.2) and the signature values
 * a document holds (for adding validation data later, ETSI EN 319 142-1
 * §5.4). Field trees are hostile input: depth and visits are bounded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_int.h"

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

/* A signature field's value: its /V (on the field, or repeated on its widget), else NULL. */
static const pdf_obj *field_value(pdf_doc *d, const pdf_obj *f)
{
    return pdf_as_dict(d, pdf_dict_get(f, "V"));
}

/*
 * Visit every field of the tree under kids (a field's /Kids, or /Fields),
 * with its fully qualified name; a widget without a name of its own is not
 * visited. fn returns 0 to go on, else that value ends the walk.
 */
typedef int (*field_fn)(void *ctx, pdf_doc *d, const pdf_obj *ref, const pdf_obj *f,
                        const char *name);

static int walk_fields(pdf_doc *d, const pdf_obj *kids, const char *prefix, int depth,
                       unsigned *visits, field_fn fn, void *ctx)
{
    size_t i;

    if (kids == NULL || depth > FIELD_DEPTH)
        return 0;
    for (i = 0; i < kids->u.arr.n; i++) {
        const pdf_obj *ref = kids->u.arr.items[i], *f = pdf_resolve(d, ref), *t;
        char full[256];
        int rc;

        if (++*visits > FIELD_VISITS)
            return -1;
        if (f == NULL || f->type != PDF_DICT)
            continue;
        t = pdf_resolve(d, pdf_dict_get(f, "T"));
        if (t == NULL || t->type != PDF_STRING)
            continue; /* a widget of its parent, no name of its own */
        if (snprintf(full, sizeof(full), "%s%s%.*s", prefix, prefix[0] ? "." : "",
                     (int)t->u.str.len, t->u.str.p) >= (int)sizeof(full))
            continue;
        if ((rc = fn(ctx, d, ref, f, full)) != 0)
            return rc;
        rc = walk_fields(d, pdf_as_array(d, pdf_dict_get(f, "Kids")), full, depth + 1, visits, fn,
                         ctx);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int too_many(sertel_err *err)
{
    return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED, "the form has too many fields");
}

/* --- an empty signature field by name --- */

typedef struct find_ctx {
    const char *want;
    pdf_sigfield *out;
    sertel_err *err;
    int rc;
} find_ctx;

/* The widget of field f (itself, or its one kid) and its rectangle. */
static int take_widget(pdf_doc *d, const pdf_obj *f, const char *want, pdf_sigfield *out,
                       sertel_err *err)
{
    const pdf_obj *kk = pdf_as_array(d, pdf_dict_get(f, "Kids")), *r;

    if (kk != NULL) {
        const pdf_obj *w;
        if (kk->u.arr.n != 1 || kk->u.arr.items[0]->type != PDF_REF)
            return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                                  "signature field %s has %zu widgets; one is supported", want,
                                  kk->u.arr.n);
        w = pdf_as_dict(d, kk->u.arr.items[0]);
        if (w == NULL)
            return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: the widget of field %s",
                                  want);
        out->wnum = kk->u.arr.items[0]->u.ref.num;
        out->wgen = kk->u.arr.items[0]->u.ref.gen;
        out->wdict = w;
    } else if (!pdf_is_name(pdf_dict_get(f, "Subtype"), "Widget")) {
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "signature field %s has no widget annotation", want);
    }
    r = pdf_as_array(d, pdf_dict_get(out->wdict, "Rect"));
    if (r != NULL && r->u.arr.n == 4) {
        double x1 = pdf_num(pdf_resolve(d, r->u.arr.items[0])),
               y1 = pdf_num(pdf_resolve(d, r->u.arr.items[1])),
               x2 = pdf_num(pdf_resolve(d, r->u.arr.items[2])),
               y2 = pdf_num(pdf_resolve(d, r->u.arr.items[3]));
        out->rect[0] = x1 < x2 ? x1 : x2;
        out->rect[1] = y1 < y2 ? y1 : y2;
        out->rect[2] = x1 < x2 ? x2 - x1 : x1 - x2;
        out->rect[3] = y1 < y2 ? y2 - y1 : y1 - y2;
    }
    return SERTEL_OK;
}

static int find_fn(void *ctx, pdf_doc *d, const pdf_obj *ref, const pdf_obj *f, const char *name)
{
    find_ctx *c = ctx;
    const pdf_obj *ft;

    if (strcmp(name, c->want) != 0)
        return 0;
    ft = field_type(d, f);
    if (!pdf_is_name(ft, "Sig"))
        c->rc = sertel_err_set(c->err, SERTEL_ERR_INVALID,
                               "field %s is not a signature field (its type is /%s): name a "
                               "signature field, or a new name for a new one",
                               c->want, ft != NULL && ft->type == PDF_NAME ? ft->u.str.p : "none");
    else if (field_value(d, f) != NULL)
        c->rc = sertel_err_set(c->err, SERTEL_ERR_EXISTS,
                               "signature field %s is already signed: name an empty field, or "
                               "a new name for a new one",
                               c->want);
    else if (ref->type != PDF_REF)
        c->rc = sertel_err_set(c->err, SERTEL_ERR_UNSUPPORTED,
                               "signature field %s is not an indirect object", c->want);
    else {
        memset(c->out, 0, sizeof(*c->out));
        c->out->num = c->out->wnum = ref->u.ref.num;
        c->out->gen = c->out->wgen = ref->u.ref.gen;
        c->out->dict = c->out->wdict = f;
        c->rc = take_widget(d, f, c->want, c->out, c->err);
    }
    return 1;
}

int pdf_field_find(pdf_doc *d, const pdf_obj *fields, const char *want, pdf_sigfield *out,
                   sertel_err *err)
{
    find_ctx c = {want, out, err, SERTEL_ERR_NOTFOUND};
    unsigned visits = 0;

    if (walk_fields(d, fields, "", 0, &visits, find_fn, &c) < 0)
        return too_many(err);
    return c.rc;
}

/* --- names in use, signatures, empty signature fields --- */

int pdf_field_name_taken(pdf_doc *d, const pdf_obj *fields, const char *name)
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

typedef struct sig_ctx {
    int any_signed;
    char *names; /* empty signature fields, ", "-separated */
    size_t cap, len, empty;
} sig_ctx;

static int sig_fn(void *ctx, pdf_doc *d, const pdf_obj *ref, const pdf_obj *f, const char *name)
{
    sig_ctx *c = ctx;

    (void)ref;
    if (!pdf_is_name(field_type(d, f), "Sig"))
        return 0;
    if (field_value(d, f) != NULL) {
        c->any_signed = 1;
        return 0;
    }
    /* A kid widget repeating /V counts as signed too (poppler and MuPDF read it there). */
    {
        const pdf_obj *kk = pdf_as_array(d, pdf_dict_get(f, "Kids"));
        size_t k;
        for (k = 0; kk != NULL && k < kk->u.arr.n; k++)
            if (field_value(d, pdf_as_dict(d, kk->u.arr.items[k])) != NULL) {
                c->any_signed = 1;
                return 0;
            }
    }
    c->empty++;
    if (c->names != NULL && c->len + strlen(name) + 3 < c->cap) {
        int n = snprintf(c->names + c->len, c->cap - c->len, "%s%s", c->len ? ", " : "", name);
        if (n > 0)
            c->len += (size_t)n;
    }
    return 0;
}

int pdf_fields_signed(pdf_doc *d, const pdf_obj *fields)
{
    sig_ctx c = {0};
    unsigned visits = 0;

    /* Too many fields to tell: count it as signed (the stricter answer). */
    return walk_fields(d, fields, "", 0, &visits, sig_fn, &c) < 0 || c.any_signed;
}

size_t pdf_fields_empty_sig(pdf_doc *d, const pdf_obj *fields, char *names, size_t cap)
{
    sig_ctx c = {0};
    unsigned visits = 0;

    c.names = names;
    c.cap = cap;
    if (cap > 0)
        names[0] = '\0';
    (void)walk_fields(d, fields, "", 0, &visits, sig_fn, &c);
    return c.empty;
}

/* --- the certification --- */

int pdf_docmdp(pdf_doc *d)
{
    const pdf_obj *cat, *perms, *sig, *refs;
    uint32_t catnum;
    uint16_t catgen;
    sertel_err e = {0};
    size_t i;

    if (pdf_catalog(d, &cat, &catnum, &catgen, &e) != SERTEL_OK)
        return 0;
    perms = pdf_as_dict(d, pdf_dict_get(cat, "Perms"));
    if (perms == NULL || (sig = pdf_dict_get(perms, "DocMDP")) == NULL)
        return 0;
    sig = pdf_as_dict(d, sig);
    if (sig == NULL)
        return 1; /* damaged: assume the strictest */
    refs = pdf_as_array(d, pdf_dict_get(sig, "Reference"));
    for (i = 0; refs != NULL && i < refs->u.arr.n; i++) {
        const pdf_obj *r = pdf_as_dict(d, refs->u.arr.items[i]), *tp, *pv;
        if (r == NULL || !pdf_is_name(pdf_dict_get(r, "TransformMethod"), "DocMDP"))
            continue;
        tp = pdf_as_dict(d, pdf_dict_get(r, "TransformParams"));
        pv = tp != NULL ? pdf_resolve(d, pdf_dict_get(tp, "P")) : NULL;
        if (pv == NULL)
            return 2; /* the default (§12.8.2.2.2) */
        if (pv->type != PDF_INT || pv->u.integer < 1 || pv->u.integer > 3)
            return 1;
        return (int)pv->u.integer;
    }
    return 2;
}

/* --- the signature values a document holds --- */

typedef struct val_ctx {
    pdf_sigval *v;
    size_t n, cap;
    int nomem;
} val_ctx;

static int val_fn(void *ctx, pdf_doc *d, const pdf_obj *ref, const pdf_obj *f, const char *name)
{
    val_ctx *c = ctx;
    const pdf_obj *v, *contents, *br, *sf;
    pdf_sigval *e;
    int64_t b[4] = {0};
    size_t i;

    (void)ref;
    if (!pdf_is_name(field_type(d, f), "Sig") || (v = field_value(d, f)) == NULL)
        return 0;
    contents = pdf_resolve(d, pdf_dict_get(v, "Contents"));
    br = pdf_as_array(d, pdf_dict_get(v, "ByteRange"));
    if (contents == NULL || contents->type != PDF_STRING || contents->u.str.len == 0 ||
        br == NULL || br->u.arr.n != 4)
        return 0; /* not a signature value sertel can refer to */
    for (i = 0; i < 4; i++)
        if (pdf_get_int(pdf_resolve(d, br->u.arr.items[i]), &b[i]) != 0 || b[i] < 0)
            return 0;
    for (i = 0; i < c->n; i++)
        if (c->v[i].contents == (const unsigned char *)contents->u.str.p)
            return 0; /* the same value reached twice (a field and its kid) */
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 8;
        pdf_sigval *g = nc <= 4096 ? realloc(c->v, nc * sizeof(*g)) : NULL;
        if (g == NULL) {
            c->nomem = 1;
            return 1;
        }
        c->v = g;
        c->cap = nc;
    }
    e = &c->v[c->n++];
    memset(e, 0, sizeof(*e));
    e->contents = (const unsigned char *)contents->u.str.p;
    e->len = contents->u.str.len;
    e->end = (uint64_t)b[2] + (uint64_t)b[3];
    sf = pdf_resolve(d, pdf_dict_get(v, "SubFilter"));
    if (sf != NULL && sf->type == PDF_NAME)
        snprintf(e->subfilter, sizeof(e->subfilter), "%s", sf->u.str.p);
    e->doc_ts = pdf_is_name(pdf_dict_get(v, "Type"), "DocTimeStamp") ||
                strcmp(e->subfilter, "ETSI.RFC3161") == 0;
    snprintf(e->field, sizeof(e->field), "%s", name);
    return 0;
}

static int val_cmp(const void *a, const void *b)
{
    const pdf_sigval *x = a, *y = b;

    return x->end < y->end ? -1 : x->end > y->end;
}

int pdf_signature_values(pdf_doc *d, pdf_sigval **out, size_t *n, sertel_err *err)
{
    const pdf_obj *cat, *af;
    uint32_t catnum;
    uint16_t catgen;
    val_ctx c = {0};
    unsigned visits = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if ((rc = pdf_catalog(d, &cat, &catnum, &catgen, err)) != SERTEL_OK)
        return rc;
    af = pdf_as_dict(d, pdf_dict_get(cat, "AcroForm"));
    if (walk_fields(d, pdf_as_array(d, pdf_dict_get(af, "Fields")), "", 0, &visits, val_fn, &c) <
        0) {
        free(c.v);
        return too_many(err);
    }
    if (c.nomem) {
        free(c.v);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory listing the signatures");
    }
    if (c.n > 1)
        qsort(c.v, c.n, sizeof(*c.v), val_cmp);
    *out = c.v;
    *n = c.n;
    return SERTEL_OK;
}
