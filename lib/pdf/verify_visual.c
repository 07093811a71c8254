/*
 * verify_visual.c - the visual backstop of the change analysis: where the
 * rules of verify_diff.c accepted the changes made after a signature, the
 * pages of the signed revision (the file up to the signature's /ByteRange
 * end) and of the final document are compared as a reader sees them, as
 * EU DSS does for the attacks no rule foresaw (its PdfVisualDifference
 * check; the shadow and incremental-saving attacks of Mladenov et al.,
 * NDSS 2021, CCS 2019, are what it is for).
 *
 * A page is compared in two steps:
 *
 *  1. structurally: the page dictionary (all entries but /Annots), the
 *     attributes it inherits from its ancestors (ISO 32000-1 §7.7.3.4:
 *     /Resources, /MediaBox, /CropBox, /Rotate) and what the document
 *     gives every page (/OCProperties, the AcroForm's /NeedAppearances,
 *     /DR, /DA) are compared object by object, following every reference
 *     (an object whose cross-reference entry is the same in both is the
 *     same bytes: the signed revision is a prefix of the file). Equal:
 *     the page draws the same, apart from its annotations;
 *  2. otherwise both pages are rendered (sertel-render.so, MuPDF, at
 *     VIS_DPI in grayscale) and compared pixel by pixel.
 *
 * Either way the annotations that changed (new, rewritten, or an object
 * they reach rewritten) and those removed are the areas the accepted
 * changes may paint: their /Rect (the new one and, for a changed or
 * removed annotation, the old one) is masked; every other pixel must be
 * equal. An appearance is drawn clipped to its annotation's rectangle
 * (§12.5.5), so nothing an accepted change made can paint outside them.
 *
 * Pages that differ are named, and the signature is INDETERMINATE /
 * SIG_CONSTRAINTS_FAILURE (docs/verify-json.md "visual"). The work is
 * bounded: the first VFY_VISUAL_MAX_PAGES pages, VIS_PAGE_PIXELS per page
 * and VIS_DOC_PIXELS per document; what was not compared is said.
 *
 * The renderer is a module loaded with dlopen: in a confined job process
 * it must be loaded before the seccomp filter (vfy_visual_preload, from
 * pdf_job_prepare when vfy_visual_wanted says the input may need it, or
 * from the worker image's init); in-process it is loaded on first use.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pdf/pdf_int.h"
#include "pdf/render/render.h"
#include "pdf/verify_int.h"
#include "sandbox/sandbox.h"
#include "util/dl.h"

#ifndef SERTEL_RENDER_DIR
#define SERTEL_RENDER_DIR "/usr/local/lib/sertel"
#endif

#define VIS_DPI 50
#define VIS_PAGE_PIXELS ((size_t)4 << 20) /* one page: 4 Mpixel (A0 at 50 dpi is 3.3) */
#define VIS_DOC_PIXELS ((size_t)256 << 20)
#define VIS_STORE ((size_t)64 << 20) /* MuPDF's cache per open document */
#define VIS_DIFF 32                  /* gray levels apart: a different pixel */
#define VIS_DILATE 2                 /* pixels added around a masked rectangle (antialiasing) */
#define VIS_MAX_ANNOTS 1024          /* annotations of a page matched */
#define VIS_MAX_NODES 200000         /* objects followed by one structural comparison */
#define VIS_MAX_DEPTH 64
#define WANT_SCAN                                                                                  \
    ((size_t)2 << 20) /* vfy_visual_wanted: bytes searched before the last revision                \
                       */

/* --- the renderer module --- */

static const char *const rnames[] = {"srender_abi",  "srender_open",      "srender_count",
                                     "srender_draw", "srender_page_free", "srender_close"};
static void *rfns[sizeof(rnames) / sizeof(rnames[0])];
static char rpath[PATH_MAX];
static dl_lib rlib =
    DL_LIB_INIT(rpath, "sertel (its sertel-render.so, built with libmupdf-dev)", rnames, rfns);

#define R_ABI ((srender_abi_fn)rfns[0])
#define R_OPEN ((srender_open_fn)rfns[1])
#define R_COUNT ((srender_count_fn)rfns[2])
#define R_DRAW ((srender_draw_fn)rfns[3])
#define R_PFREE ((srender_page_free_fn)rfns[4])
#define R_CLOSE ((srender_close_fn)rfns[5])

/* Next to the running executable (the build directory, an installed bin/), else the library dir. */
static void find_module(void)
{
    char exe[PATH_MAX - 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;

    if (rpath[0])
        return;
    if (n > 0) {
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(rpath, sizeof(rpath), "%s/%s", exe, SRENDER_FILE);
            if (access(rpath, R_OK) == 0)
                return;
        }
    }
    snprintf(rpath, sizeof(rpath), "%s/%s", SERTEL_RENDER_DIR, SRENDER_FILE);
}

static int renderer_load(sertel_err *err)
{
    int rc;

    if (__atomic_load_n(&rlib.state, __ATOMIC_ACQUIRE) == 1)
        rc = SERTEL_OK;
    else if (sbx_in_worker()) /* a confined job cannot open it: it had to be loaded before */
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED, "%s",
                              rlib.state < 0 ? rlib.why
                                             : "the renderer was not loaded before the worker "
                                               "was confined");
    else {
        find_module();
        rc = dl_load(&rlib, err);
    }
    if (rc == SERTEL_OK && R_ABI() != SRENDER_ABI)
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "%s is of another version than this sertel: install both together",
                              rpath);
    return rc;
}

void vfy_visual_preload(void)
{
    sertel_err e = {0};

    if (__atomic_load_n(&rlib.state, __ATOMIC_ACQUIRE) != 0)
        return;
    find_module();
    (void)dl_load(&rlib, &e);
}

/* The last occurrence of needle (n bytes) in b[0..len), or NULL. */
static const unsigned char *rfind(const unsigned char *b, size_t len, const char *needle, size_t n)
{
    size_t i;

    if (len < n)
        return NULL;
    for (i = len - n + 1; i-- > 0;) {
        const unsigned char *p = memrchr(b, (unsigned char)needle[0], i + 1);
        if (p == NULL)
            return NULL;
        i = (size_t)(p - b);
        if (memcmp(p, needle, n) == 0)
            return p;
    }
    return NULL;
}

int vfy_visual_wanted(const unsigned char *buf, size_t len)
{
    const unsigned char *last, *prev;
    size_t from;

    /* A signature whose revision is not the last: a /ByteRange before the last revision. */
    last = rfind(buf, len, "%%EOF", 5);
    prev = last != NULL ? rfind(buf, (size_t)(last - buf), "%%EOF", 5) : NULL;
    if (prev == NULL)
        return 0;
    from = (size_t)(prev - buf) > WANT_SCAN ? (size_t)(prev - buf) - WANT_SCAN : 0;
    return memmem(buf + from, (size_t)(prev - buf) - from, "/ByteRange", 10) != NULL;
}

/* --- structural comparison --- */

typedef struct cmpctx {
    pdf_doc *od, *nd;
    uint8_t *seen; /* object numbers already found equal (or being compared) */
    uint32_t nseen;
    size_t nodes;
} cmpctx;

static const xref_entry *entry(pdf_doc *d, uint32_t num)
{
    return num < d->nxref ? &d->xref[num] : NULL;
}

/* The object num is the same bytes in both documents (its entry, and its object stream's). */
static int same_bytes(cmpctx *c, uint32_t num)
{
    const xref_entry *a = entry(c->od, num), *b = entry(c->nd, num);

    if (a == NULL || b == NULL || a->type != b->type || a->type == 0 || a->off != b->off ||
        a->idx != b->idx)
        return 0;
    if (a->type == 2)
        return a->off < UINT32_MAX && same_bytes(c, (uint32_t)a->off);
    return 1;
}

static int same(cmpctx *c, const pdf_obj *a, const pdf_obj *b, int depth);

/* An annotation's /P (its page) does not change how it draws; following it would compare the page.
 */
static const char *const skip_p[] = {"P", NULL};

static int same_dict(cmpctx *c, const pdf_obj *a, const pdf_obj *b, int depth,
                     const char *const *skip)
{
    size_t i, k;

    for (i = 0; i < a->u.dict.n; i++) {
        int skipped = 0;
        for (k = 0; skip != NULL && skip[k] != NULL; k++)
            skipped |= strcmp(a->u.dict.keys[i], skip[k]) == 0;
        if (!skipped && !same(c, a->u.dict.vals[i], pdf_dict_get(b, a->u.dict.keys[i]), depth + 1))
            return 0;
    }
    for (i = 0; i < b->u.dict.n; i++) {
        int skipped = 0;
        for (k = 0; skip != NULL && skip[k] != NULL; k++)
            skipped |= strcmp(b->u.dict.keys[i], skip[k]) == 0;
        if (!skipped && pdf_dict_get(a, b->u.dict.keys[i]) == NULL)
            return 0;
    }
    return 1;
}

/*
 * a (of the signed revision) and b (of the final document) draw the same:
 * equal values, references followed. Bounded: too deep or too many objects
 * is "not the same" (the page is then rendered).
 */
static int same(cmpctx *c, const pdf_obj *a, const pdf_obj *b, int depth)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (depth > VIS_MAX_DEPTH || ++c->nodes > VIS_MAX_NODES)
        return 0;
    if (a->type == PDF_REF && b->type == PDF_REF && a->u.ref.num == b->u.ref.num &&
        a->u.ref.gen == b->u.ref.gen && same_bytes(c, a->u.ref.num)) {
        uint32_t n = a->u.ref.num;
        if (n < c->nseen && c->seen[n])
            return 1;
        if (n < c->nseen)
            c->seen[n] = 1; /* a cycle is compared once */
        if (same(c, pdf_resolve(c->od, a), pdf_resolve(c->nd, b), depth + 1))
            return 1;
        if (n < c->nseen)
            c->seen[n] = 0;
        return 0;
    }
    if (a->type == PDF_REF || b->type == PDF_REF)
        return same(c, pdf_resolve(c->od, a), pdf_resolve(c->nd, b), depth + 1);
    if ((a->type == PDF_INT || a->type == PDF_REAL) && (b->type == PDF_INT || b->type == PDF_REAL))
        return pdf_num(a) == pdf_num(b);
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case PDF_NULL:
        return 1;
    case PDF_BOOL:
        return a->u.boolean == b->u.boolean;
    case PDF_STRING:
    case PDF_NAME:
        return a->u.str.len == b->u.str.len &&
               (a->u.str.len == 0 || memcmp(a->u.str.p, b->u.str.p, a->u.str.len) == 0);
    case PDF_ARRAY: {
        size_t i;
        if (a->u.arr.n != b->u.arr.n)
            return 0;
        for (i = 0; i < a->u.arr.n; i++)
            if (!same(c, a->u.arr.items[i], b->u.arr.items[i], depth + 1))
                return 0;
        return 1;
    }
    case PDF_STREAM:
        /* The raw data, in the same file (encrypted alike when at the same place). */
        if (a->u.dict.data_len != b->u.dict.data_len || a->u.dict.crypt != b->u.dict.crypt ||
            a->u.dict.data_off + a->u.dict.data_len > c->od->len ||
            b->u.dict.data_off + b->u.dict.data_len > c->nd->len ||
            (a->u.dict.crypt && (a->u.dict.crypt_num != b->u.dict.crypt_num ||
                                 a->u.dict.crypt_gen != b->u.dict.crypt_gen)) ||
            (a->u.dict.data_off != b->u.dict.data_off &&
             memcmp(c->od->buf + a->u.dict.data_off, c->nd->buf + b->u.dict.data_off,
                    (size_t)a->u.dict.data_len) != 0))
            return 0;
        return same_dict(c, a, b, depth, skip_p);
    case PDF_DICT:
        return same_dict(c, a, b, depth, skip_p);
    default:
        return 0;
    }
}

static const pdf_obj *catalog_of(pdf_doc *d)
{
    const pdf_obj *cat = NULL;
    uint32_t num;
    uint16_t gen;
    sertel_err e = {0};

    return pdf_catalog(d, &cat, &num, &gen, &e) == SERTEL_OK ? cat : NULL;
}

/* What the document gives every page: optional content, appearances made by the reader. */
static int same_context(cmpctx *c)
{
    const pdf_obj *oc = catalog_of(c->od), *nc = catalog_of(c->nd), *oa, *na;
    static const char *const af_keys[] = {"NeedAppearances", "DR", "DA"};
    size_t i;

    if (oc == NULL || nc == NULL)
        return 0;
    if (!same(c, pdf_dict_get(oc, "OCProperties"), pdf_dict_get(nc, "OCProperties"), 0))
        return 0;
    oa = pdf_resolve(c->od, pdf_dict_get(oc, "AcroForm"));
    na = pdf_resolve(c->nd, pdf_dict_get(nc, "AcroForm"));
    for (i = 0; i < 3; i++)
        if (!same(c, oa != NULL && oa->type == PDF_DICT ? pdf_dict_get(oa, af_keys[i]) : NULL,
                  na != NULL && na->type == PDF_DICT ? pdf_dict_get(na, af_keys[i]) : NULL, 0))
            return 0;
    return 1;
}

/* The page itself (but its annotations) and what it inherits draw the same. */
static int same_page(cmpctx *c, const pdf_obj *op, const pdf_obj *np)
{
    static const char *const skip[] = {"Annots", "Parent", NULL};
    static const char *const inh[] = {"Resources", "MediaBox", "CropBox", "Rotate"};
    const pdf_obj *oa = op, *na = np;
    int depth, i;

    if (!same_dict(c, op, np, 0, skip))
        return 0;
    for (depth = 0; depth < 32; depth++) {
        oa = pdf_resolve(c->od, pdf_dict_get(oa, "Parent"));
        na = pdf_resolve(c->nd, pdf_dict_get(na, "Parent"));
        if (oa == NULL || na == NULL || oa->type != PDF_DICT || na->type != PDF_DICT)
            return oa == NULL && na == NULL;
        for (i = 0; i < 4; i++)
            if (!same(c, pdf_dict_get(oa, inh[i]), pdf_dict_get(na, inh[i]), 0))
                return 0;
    }
    return 0;
}

/* --- masks: the rectangles of the annotations that changed --- */

typedef struct mask {
    double r[4];
    int old_side; /* the rectangle is in the signed revision's page */
} mask;

typedef struct masks {
    mask *m;
    size_t n, cap;
    int failed;
} masks;

static void add_rect(masks *ms, pdf_doc *d, const pdf_obj *annot, int old_side)
{
    const pdf_obj *a = pdf_resolve(d, annot), *rect;
    mask *nm;
    size_t i;

    if (a == NULL || a->type != PDF_DICT)
        return;
    rect = pdf_resolve(d, pdf_dict_get(a, "Rect"));
    if (rect == NULL || rect->type != PDF_ARRAY || rect->u.arr.n != 4)
        return;
    if (ms->n == ms->cap) {
        size_t cap = ms->cap ? ms->cap * 2 : 16;
        nm = realloc(ms->m, cap * sizeof(*nm));
        if (nm == NULL) {
            ms->failed = 1;
            return;
        }
        ms->m = nm;
        ms->cap = cap;
    }
    for (i = 0; i < 4; i++)
        ms->m[ms->n].r[i] = pdf_num(pdf_resolve(d, rect->u.arr.items[i]));
    ms->m[ms->n].old_side = old_side;
    ms->n++;
}

static const pdf_obj *annots_of(pdf_doc *d, const pdf_obj *pg)
{
    const pdf_obj *a = pdf_resolve(d, pdf_dict_get(pg, "Annots"));

    return a != NULL && a->type == PDF_ARRAY ? a : NULL;
}

/* An item of arr (in d) drawing the same as it (in the other document), by object number. */
static int unchanged_in(cmpctx *c, const pdf_obj *it, const pdf_obj *arr, int it_old)
{
    size_t i;

    for (i = 0; arr != NULL && i < arr->u.arr.n && i < VIS_MAX_ANNOTS; i++) {
        const pdf_obj *o = arr->u.arr.items[i];
        if (it->type == PDF_REF && (o->type != PDF_REF || o->u.ref.num != it->u.ref.num))
            continue;
        if (it->type != PDF_REF && o->type == PDF_REF)
            continue;
        if (it_old ? same(c, it, o, 0) : same(c, o, it, 0))
            return 1;
    }
    return 0;
}

/* The changed annotations of the page: new or rewritten (new /Rect), rewritten or gone (old). */
static int page_masks(cmpctx *c, const pdf_obj *op, const pdf_obj *np, masks *ms)
{
    const pdf_obj *oa = annots_of(c->od, op), *na = annots_of(c->nd, np);
    size_t i;

    if ((oa != NULL && oa->u.arr.n > VIS_MAX_ANNOTS) ||
        (na != NULL && na->u.arr.n > VIS_MAX_ANNOTS))
        return -1;
    for (i = 0; na != NULL && i < na->u.arr.n; i++)
        if (!unchanged_in(c, na->u.arr.items[i], oa, 0))
            add_rect(ms, c->nd, na->u.arr.items[i], 0);
    for (i = 0; oa != NULL && i < oa->u.arr.n; i++)
        if (!unchanged_in(c, oa->u.arr.items[i], na, 1))
            add_rect(ms, c->od, oa->u.arr.items[i], 1);
    return ms->failed ? -1 : 0;
}

/* --- pixels --- */

static void mark(unsigned char *m, int w, int h, const double t[6], const double r[4])
{
    double xs[4], ys[4], x0, y0, x1, y1;
    long ix0, iy0, ix1, iy1, y;
    int i;

    xs[0] = r[0], ys[0] = r[1], xs[1] = r[2], ys[1] = r[1];
    xs[2] = r[0], ys[2] = r[3], xs[3] = r[2], ys[3] = r[3];
    x0 = y0 = 1e18;
    x1 = y1 = -1e18;
    for (i = 0; i < 4; i++) {
        double px = t[0] * xs[i] + t[2] * ys[i] + t[4], py = t[1] * xs[i] + t[3] * ys[i] + t[5];
        x0 = px < x0 ? px : x0;
        x1 = px > x1 ? px : x1;
        y0 = py < y0 ? py : y0;
        y1 = py > y1 ? py : y1;
    }
    if (!(x1 >= x0) || !(y1 >= y0) || x1 < -VIS_DILATE || y1 < -VIS_DILATE || x0 > w + VIS_DILATE ||
        y0 > h + VIS_DILATE)
        return;
    ix0 = (long)x0 - VIS_DILATE;
    iy0 = (long)y0 - VIS_DILATE;
    ix1 = (long)x1 + 1 + VIS_DILATE;
    iy1 = (long)y1 + 1 + VIS_DILATE;
    ix0 = ix0 < 0 ? 0 : ix0;
    iy0 = iy0 < 0 ? 0 : iy0;
    ix1 = ix1 > w ? w : ix1;
    iy1 = iy1 > h ? h : iy1;
    for (y = iy0; y < iy1 && ix1 > ix0; y++)
        memset(m + (size_t)y * (size_t)w + (size_t)ix0, 1, (size_t)(ix1 - ix0));
}

/* Pixels that differ outside the masks; -1: the pages differ in size. */
static long differing(const srender_page *a, const srender_page *b, const masks *ms)
{
    unsigned char *m;
    size_t i, n;
    long count = 0;

    if (a->w != b->w || a->h != b->h)
        return -1;
    n = (size_t)a->w * (size_t)a->h;
    m = calloc(n + 1, 1);
    if (m == NULL)
        return -1;
    for (i = 0; i < ms->n; i++)
        mark(m, a->w, a->h, ms->m[i].old_side ? a->m : b->m, ms->m[i].r);
    for (i = 0; i < n; i++) {
        int d = (int)a->pix[i] - (int)b->pix[i];
        if (!m[i] && (d > VIS_DIFF || d < -VIS_DIFF))
            count++;
    }
    free(m);
    return count;
}

/* --- the check --- */

typedef struct vis {
    pdf_doc *d;
    const vfy_opts *o;
    srender_doc *final;           /* the final document, opened once */
    srender_page *fpages;         /* its pages, rendered once */
    uint8_t *frendered;           /* which */
    size_t pixels;                /* rendered so far */
    char why[SERTEL_ERR_MSG_MAX]; /* why the renderer is unavailable */
    int unavailable;
} vis;

static int needs_check(const vfy_sig *s)
{
    return s->changes_analysed && !s->covers_whole_document && s->revision_end > 0 &&
           s->modification_level > VFY_MOD_NONE && !s->modified_after_signing &&
           s->conclusion != VFY_TOTAL_FAILED;
}

static int open_final(vis *v)
{
    sertel_err e = {0};
    char err[200];

    if (v->final != NULL)
        return 0;
    if (v->unavailable)
        return -1;
    if (renderer_load(&e) != SERTEL_OK) {
        snprintf(v->why, sizeof(v->why), "%s", e.msg);
        v->unavailable = 1;
        return -1;
    }
    v->final = R_OPEN(v->d->buf, v->d->len, v->o->password, VIS_STORE, err, sizeof(err));
    if (v->final == NULL) {
        snprintf(v->why, sizeof(v->why), "%s", err);
        v->unavailable = 1;
        return -1;
    }
    v->fpages = calloc(VFY_VISUAL_MAX_PAGES, sizeof(*v->fpages));
    v->frendered = calloc(VFY_VISUAL_MAX_PAGES, 1);
    if (v->fpages == NULL || v->frendered == NULL) {
        snprintf(v->why, sizeof(v->why), "out of memory");
        v->unavailable = 1;
        return -1;
    }
    return 0;
}

static void add_differ(vfy_sig *s, unsigned page)
{
    if (s->n_visual_differ < VFY_VISUAL_MAX_PAGES)
        s->visual_differ[s->n_visual_differ++] = (int)page;
}

static void check_sig(vis *v, vfy_sig *s)
{
    pdf_doc *od = NULL;
    srender_doc *old = NULL;
    cmpctx c;
    sertel_err e = {0};
    size_t nold = 0, nnew = 0, n, i;
    int ctx_same;
    char err[200], err2[200], list[160];

    memset(&c, 0, sizeof(c));
    s->visual_dpi = VIS_DPI;
    if (pdf_open_prefix(v->d, (size_t)s->revision_end, v->o->password, 0, &od, &e) != SERTEL_OK ||
        pdf_page_count(od, &nold, &e) != SERTEL_OK ||
        pdf_page_count(v->d, &nnew, &e) != SERTEL_OK) {
        vfy_note(s, "pages not compared: %s", e.msg);
        goto out;
    }
    s->visual_pages = (int)(nnew < INT_MAX ? nnew : INT_MAX);
    c.od = od;
    c.nd = v->d;
    c.nseen = od->nxref > v->d->nxref ? od->nxref : v->d->nxref;
    c.seen = calloc(c.nseen + 1, 1);
    if (c.seen == NULL) {
        vfy_note(s, "pages not compared: %s", "out of memory");
        goto out;
    }
    ctx_same = same_context(&c);
    n = nnew < nold ? nnew : nold;
    if (n > VFY_VISUAL_MAX_PAGES)
        n = VFY_VISUAL_MAX_PAGES;
    s->visual_checked = 1;
    for (i = 0; i < n; i++) {
        pdf_page op, np;
        masks ms = {0};
        srender_page *fp, opg;
        long diff;

        {
            /* A page that neither revision can give (a page tree already broken when it was
             * signed) is not compared; one that only one of them gives differs. */
            int ho = pdf_page_get(od, i + 1, &op, &e) == SERTEL_OK;
            int hn = pdf_page_get(v->d, i + 1, &np, &e) == SERTEL_OK;
            if (!ho && !hn) {
                vfy_note(s, "page %zu not compared: neither revision gives it (%s)", i + 1, e.msg);
                continue;
            }
            if (!ho || !hn) {
                add_differ(s, (unsigned)(i + 1));
                s->visual_compared++;
                continue;
            }
        }
        memset(c.seen, 0, c.nseen + 1);
        c.nodes = 0;
        if (page_masks(&c, op.dict, np.dict, &ms) == 0 && ctx_same && !v->o->visual_all &&
            same_page(&c, op.dict, np.dict)) {
            s->visual_compared++; /* draws the same but for the changed annotations */
            free(ms.m);
            continue;
        }
        if (ms.failed) {
            free(ms.m);
            vfy_note(s, "pages not compared from page %zu on: %s", i + 1, "out of memory");
            break;
        }
        /* Rendered: the final page once for all signatures, the signed one here. */
        if (open_final(v) != 0) {
            free(ms.m);
            vfy_note(s, "pages not compared from page %zu on: %s", i + 1, v->why);
            break;
        }
        if (old == NULL) {
            old = R_OPEN(v->d->buf, (size_t)s->revision_end, v->o->password, VIS_STORE, err,
                         sizeof(err));
            if (old == NULL) {
                free(ms.m);
                vfy_note(s, "pages not compared from page %zu on: %s", i + 1, err);
                break;
            }
        }
        if (v->pixels + 2 * VIS_PAGE_PIXELS > VIS_DOC_PIXELS) {
            free(ms.m);
            vfy_note(s,
                     "pages not compared from page %zu on: the document's rendering budget "
                     "(%zu Mpixel) is spent",
                     i + 1, VIS_DOC_PIXELS >> 20);
            break;
        }
        fp = &v->fpages[i];
        if (!v->frendered[i]) {
            if (R_DRAW(v->final, (int)i, VIS_DPI, VIS_PAGE_PIXELS, fp, err, sizeof(err)) != 0) {
                /* The signed revision cannot be drawn either: nothing to compare (the page
                 * was broken when signed); else the page no longer draws as it did. */
                int both =
                    R_DRAW(old, (int)i, VIS_DPI, VIS_PAGE_PIXELS, &opg, err2, sizeof(err2)) != 0;
                if (!both)
                    R_PFREE(&opg);
                free(ms.m);
                vfy_note(s, "page %zu not compared: %s", i + 1, err);
                if (!both) {
                    s->visual_compared++;
                    add_differ(s, (unsigned)(i + 1));
                }
                continue;
            }
            v->frendered[i] = 1;
            v->pixels += (size_t)fp->w * (size_t)fp->h;
            s->visual_rendered++;
        }
        if (R_DRAW(old, (int)i, VIS_DPI, VIS_PAGE_PIXELS, &opg, err, sizeof(err)) != 0) {
            /* The document draws the page; its signed revision does not. */
            free(ms.m);
            vfy_note(s, "page %zu not compared: %s", i + 1, err);
            s->visual_compared++;
            add_differ(s, (unsigned)(i + 1));
            continue;
        }
        v->pixels += (size_t)opg.w * (size_t)opg.h;
        s->visual_rendered++;
        s->visual_compared++;
        diff = differing(&opg, fp, &ms);
        if (diff != 0)
            add_differ(s, (unsigned)(i + 1));
        R_PFREE(&opg);
        free(ms.m);
    }
    if (nold != nnew)
        vfy_note(s, "the signed revision has %zu pages, the document %zu", nold, nnew);
    if ((size_t)s->visual_compared < nnew)
        vfy_note(s, "pages compared with the signed revision: the first %d of %zu",
                 s->visual_compared, nnew);
    if (s->n_visual_differ > 0) {
        size_t k, l = 0;
        list[0] = '\0';
        for (k = 0; k < s->n_visual_differ && l + 16 < sizeof(list); k++)
            l += (size_t)snprintf(list + l, sizeof(list) - l, "%s%d", k ? ", " : "",
                                  s->visual_differ[k]);
        vfy_set(s, VFY_INDETERMINATE, "SIG_CONSTRAINTS_FAILURE",
                "page %s of the document looks different from the signed revision outside the "
                "areas the accepted changes may paint",
                list);
    }
out:
    if (old != NULL)
        R_CLOSE(old);
    free(c.seen);
    pdf_close(od);
}

void vfy_visual_check(pdf_doc *d, const vfy_opts *o, int raw, vfy_report *r)
{
    vis v;
    size_t i, want = 0;

    for (i = 0; i < r->n_sigs; i++)
        want += (size_t)needs_check(&r->sigs[i]);
    if (want == 0)
        return; /* nothing changed after any signature: nothing to compare */
    if (o->no_visual || raw) {
        for (i = 0; i < r->n_sigs; i++)
            if (needs_check(&r->sigs[i]))
                vfy_note(&r->sigs[i], "pages not compared with the signed revision: %s",
                         raw ? "the document was read without decrypting it"
                             : "the visual check is turned off");
        return;
    }
    memset(&v, 0, sizeof(v));
    v.d = d;
    v.o = o;
    for (i = 0; i < r->n_sigs; i++)
        if (needs_check(&r->sigs[i]))
            check_sig(&v, &r->sigs[i]);
    if (v.fpages != NULL)
        for (i = 0; i < VFY_VISUAL_MAX_PAGES; i++)
            if (v.frendered[i])
                R_PFREE(&v.fpages[i]);
    free(v.fpages);
    free(v.frendered);
    if (v.final != NULL)
        R_CLOSE(v.final);
}
