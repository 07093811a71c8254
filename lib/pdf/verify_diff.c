/*
 * verify_diff.c - what the revisions after a signature changed, judged by
 * what each change does (ISO 32000-1 §12.8.2.2 DocMDP, §12.8.2.4 FieldMDP;
 * the whitelisting approach of pyHanko's difference analysis and the object
 * modification categories of EU DSS).
 *
 * The signed revision (the file up to the signature's /ByteRange end) and
 * the final document are compared object by object: every object number
 * whose cross-reference entry differs is a change that a rule has to
 * explain, or the change is "other" and the signature fails. The rules
 * walk the document's structure from the trailer, each owning one part:
 *
 *   trailer    /Info updated (lta_updates); /Encrypt never changes
 *   catalog    the same dictionary (possibly rewritten as a new object)
 *              except /Extensions, /Version, /MarkInfo, /Metadata
 *              (lta_updates), /DSS and /AcroForm (their rules)
 *   DSS        /Certs /CRLs /OCSPs arrays (direct or indirect, appended
 *              to in place) of new streams, /VRI entries added, none
 *              changed (lta_updates)
 *   form       /AcroForm the same except /Fields, /SigFlags (lta_updates),
 *              /DR, /DA, /Q, /NeedAppearances (form_filling); fields by
 *              their full names: none removed, only signature fields added
 *              (invisible: lta_updates, visible: form_filling, refused in
 *              a certified document: Sneaky Signature), empty signature
 *              fields signed (a document time-stamp: lta_updates, else
 *              form_filling), other fields filled in (/V, /AP, /AS and the
 *              widget's look: form_filling) unless a FieldMDP lock covers
 *              them; an appearance is a new stream, or the old one
 *              rewritten in place when nothing else in the signed revision
 *              uses it (nor the /AP dictionary holding it)
 *   pages      the page tree walked in parallel: the same pages in the same
 *              order, each the same except /Annots (widgets of the
 *              signature fields above: lta_updates; comment annotations
 *              added, changed or removed: annotations; anything else
 *              refused, Evil Annotation) and /Resources (new names that
 *              the page's content does not already use: form_filling)
 *
 * A rule explains an object it approves together with the objects new in
 * the later revisions that hang below it. An object of the signed revision
 * rewritten in place is approved only when the signed revision refers to it
 * exactly once (the place the rule came from): a stream or dictionary also
 * used elsewhere would change that other place too (the "sneaky" updates).
 * A new object that the signed revision already referred to before it
 * existed is refused (a shadow attack switching on a dangling reference).
 * What no rule explains: an object rewritten with the same value (none);
 * new objects nothing uses (an xref or object stream: lta_updates); the
 * rest is "other", named (content of a page, a font, an object deleted).
 *
 * The modification level of the signature is the highest level of its
 * changes (lta_updates at least when later revisions exist). The changes a
 * certification's DocMDP permissions (P=1: lta_updates, P=2: form_filling,
 * P=3: annotations; an approval signature: annotations) or a lock forbid
 * fail the signature.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_int.h"
#include "pdf/verify_int.h"

#define MAX_FIELDS 10000
#define MAX_FIELD_DEPTH 16
#define MAX_ITEMS 65536  /* entries of one array compared (annotations, DSS) */
#define MAX_WIDGETS 4096 /* widgets of new or newly signed signature fields */
#define MAX_KIDS 1024    /* widgets of one field */
#define MAX_PAGES 100000 /* pages walked */
#define MAX_CONTENT (64u << 20)

/* How an object number differs between the signed revision and the final document. */
enum { CH_SAME, CH_REDEF, CH_NEW, CH_FREED };
#define LVL_UNEXPLAINED 0xff
#define LVL_JUDGED 0xfe /* refused and reported: not reported again */

typedef struct diff {
    pdf_doc *od, *nd; /* the signed revision, the final document */
    vfy_docdiff *dd;
    vfy_sig *s;
    int p;                 /* DocMDP P in force, 0: none */
    const vfy_lock *locks; /* FieldMDP locks of the signature */
    size_t nlocks;
    uint32_t n;                    /* object numbers compared */
    uint8_t *ch, *lvl;             /* CH_*, the level an object was explained at */
    uint32_t *refs;                /* references to each number in the signed revision */
    uint32_t widgets[MAX_WIDGETS]; /* widgets signature fields may add to pages */
    size_t nwidgets;
    uint32_t *content; /* content streams of the signed revision's pages */
    size_t *content_page, ncontent, capcontent;
    size_t npages;    /* pages walked */
    size_t rewritten; /* objects written again with the same value */
    int worst;        /* highest level of a change, also past VFY_MAX_CHANGES */
    char why[240];
} diff;

static const char *const level_names[] = {"none", "lta_updates", "form_filling", "annotations",
                                          "other"};

const char *vfy_modlevel_name(vfy_modlevel l)
{
    return (unsigned)l < sizeof(level_names) / sizeof(level_names[0]) ? level_names[l] : "other";
}

/* --- recording changes --- */

void vfy_mod_add(vfy_sig *s, uint32_t object, const char *kind, vfy_modlevel level, const char *fmt,
                 ...)
{
    char tmp[512];
    vfy_mod *n;
    va_list ap;
    size_t l;

    if (s->n_mods >= VFY_MAX_CHANGES)
        return;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    n = realloc(s->mods, (s->n_mods + 1) * sizeof(*n));
    if (n == NULL)
        return;
    s->mods = n;
    l = strlen(tmp) + 1;
    n[s->n_mods].detail = malloc(l);
    if (n[s->n_mods].detail == NULL)
        return;
    memcpy(n[s->n_mods].detail, tmp, l);
    n[s->n_mods].object = object;
    snprintf(n[s->n_mods].kind, sizeof(n[s->n_mods].kind), "%s", kind);
    n[s->n_mods].level = level;
    n[s->n_mods].permitted = level != VFY_MOD_OTHER;
    s->n_mods++;
}

#define MOD(x, obj, kind, level, ...)                                                              \
    do {                                                                                           \
        if ((int)(level) > (x)->worst)                                                             \
            (x)->worst = (int)(level);                                                             \
        vfy_mod_add((x)->s, (obj), (kind), (level), __VA_ARGS__);                                  \
    } while (0)

/* --- objects --- */

static int is_new(const diff *x, uint32_t num)
{
    return num < x->n && x->ch[num] == CH_NEW;
}

static int changed(const diff *x, uint32_t num)
{
    return num < x->n && x->ch[num] != CH_SAME;
}

static const pdf_obj *load(pdf_doc *d, uint32_t num)
{
    const pdf_obj *o = NULL;
    sertel_err e = {0};

    return pdf_load(d, num, &o, &e) == SERTEL_OK ? o : NULL;
}

static const pdf_obj *ores(diff *x, const pdf_obj *o)
{
    return o != NULL ? pdf_resolve(x->od, o) : NULL;
}

static const pdf_obj *nres(diff *x, const pdf_obj *o)
{
    return o != NULL ? pdf_resolve(x->nd, o) : NULL;
}

static uint32_t ref_num(const pdf_obj *o)
{
    return o != NULL && o->type == PDF_REF ? o->u.ref.num : 0;
}

static int is_dict(const pdf_obj *o)
{
    return o != NULL && o->type == PDF_DICT;
}

static const char *type_name(const pdf_obj *o)
{
    const pdf_obj *t;

    if (o == NULL)
        return "object";
    if ((o->type == PDF_DICT || o->type == PDF_STREAM) && (t = pdf_dict_get(o, "Type")) != NULL &&
        t->type == PDF_NAME)
        return t->u.str.p;
    return o->type == PDF_STREAM ? "stream" : o->type == PDF_ARRAY ? "array" : "object";
}

/*
 * Mark num explained at level. A new object that the signed revision
 * already referred to is refused instead (0): defining it switches on
 * something the signer saw as missing.
 */
static int explain(diff *x, uint32_t num, int level)
{
    if (num == 0 || num >= x->n || x->ch[num] == CH_SAME)
        return 1;
    if (x->lvl[num] == LVL_JUDGED)
        return 0;
    if (x->ch[num] == CH_NEW && x->refs[num] > 0) {
        MOD(x, num, "shadow", VFY_MOD_OTHER,
            "object %u, which the signed revision referred to while it did not exist, was "
            "defined later (shadow attack)",
            num);
        x->lvl[num] = LVL_JUDGED;
        return 0;
    }
    if (x->lvl[num] == LVL_UNEXPLAINED || level < x->lvl[num])
        x->lvl[num] = (uint8_t)level;
    return 1;
}

/* Every reference inside o (its direct structure), handed to fn. */
typedef void (*ref_fn)(diff *x, uint32_t num, void *arg);

static void each_ref(diff *x, const pdf_obj *o, int depth, ref_fn fn, void *arg)
{
    size_t i;

    if (o == NULL || depth > PDF_MAX_DEPTH)
        return;
    switch (o->type) {
    case PDF_REF:
        fn(x, o->u.ref.num, arg);
        break;
    case PDF_ARRAY:
        for (i = 0; i < o->u.arr.n; i++)
            each_ref(x, o->u.arr.items[i], depth + 1, fn, arg);
        break;
    case PDF_DICT:
    case PDF_STREAM:
        for (i = 0; i < o->u.dict.n; i++)
            each_ref(x, o->u.dict.vals[i], depth + 1, fn, arg);
        break;
    default:
        break;
    }
}

/* A work list of object numbers (the new objects below an approved one). */
typedef struct worklist {
    uint32_t *v;
    size_t n, cap;
    int level;
} worklist;

static void push_new(diff *x, uint32_t num, void *arg)
{
    worklist *w = arg;

    if (!is_new(x, num) || x->lvl[num] != LVL_UNEXPLAINED)
        return;
    if (w->level == LVL_JUDGED) {
        x->lvl[num] = LVL_JUDGED;
    } else if (!explain(x, num, w->level)) {
        return;
    }
    if (w->n == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 32;
        uint32_t *nv = realloc(w->v, nc * sizeof(*nv));
        if (nv == NULL)
            return;
        w->v = nv;
        w->cap = nc;
    }
    w->v[w->n++] = num;
}

/*
 * The objects new in the later revisions that o leads to, explained at
 * level (LVL_JUDGED: refused with o, not reported on their own). The walk
 * stops at objects of the signed revision: those are judged on their own.
 */
static void deps(diff *x, const pdf_obj *o, int level)
{
    worklist w = {NULL, 0, 0, level};

    each_ref(x, o, 0, push_new, &w);
    while (w.n > 0) {
        const pdf_obj *c = load(x->nd, w.v[--w.n]);
        each_ref(x, c, 0, push_new, &w);
    }
    free(w.v);
}

/* A refusal of num (and of the new objects below it): reported once. */
static void judge(diff *x, uint32_t num)
{
    if (num == 0 || num >= x->n || x->ch[num] == CH_SAME)
        return;
    x->lvl[num] = LVL_JUDGED;
    deps(x, load(x->nd, num), LVL_JUDGED);
}

static void count_ref(diff *x, uint32_t num, void *arg)
{
    (void)arg;
    if (num < x->n && x->refs[num] < UINT32_MAX)
        x->refs[num]++;
}

/* How often each object number is referred to in the signed revision (its objects and trailer). */
static void count_refs(diff *x)
{
    uint32_t num;

    for (num = 1; num < x->od->nxref; num++) {
        const pdf_obj *o = x->od->xref[num].type != 0 ? load(x->od, num) : NULL;
        /* cross-reference and object streams name /Root, /Info as trailers do */
        if (o != NULL && o->type == PDF_STREAM &&
            (pdf_is_name(pdf_dict_get(o, "Type"), "XRef") ||
             pdf_is_name(pdf_dict_get(o, "Type"), "ObjStm")))
            continue;
        each_ref(x, o, 0, count_ref, NULL);
    }
    each_ref(x, pdf_trailer(x->od), 0, count_ref, NULL);
}

/* --- values --- */

static int eq(diff *x, const pdf_obj *a, const pdf_obj *b, int depth);

static int in_list(const char *k, const char *const *skip)
{
    for (; skip != NULL && *skip; skip++)
        if (strcmp(k, *skip) == 0)
            return 1;
    return 0;
}

/* Dictionaries equal except for the keys in skip; *key names the first difference. */
static int dict_eq_except(diff *x, const pdf_obj *a, const pdf_obj *b, const char *const *skip,
                          const char **key, int depth)
{
    size_t i;

    *key = NULL;
    if (a == NULL || b == NULL || (a->type != PDF_DICT && a->type != PDF_STREAM) ||
        (b->type != PDF_DICT && b->type != PDF_STREAM))
        return 0;
    for (i = 0; i < a->u.dict.n; i++)
        if (!in_list(a->u.dict.keys[i], skip) &&
            !eq(x, a->u.dict.vals[i], pdf_dict_get(b, a->u.dict.keys[i]), depth + 1)) {
            *key = a->u.dict.keys[i];
            return 0;
        }
    for (i = 0; i < b->u.dict.n; i++)
        if (!in_list(b->u.dict.keys[i], skip) && pdf_dict_get(a, b->u.dict.keys[i]) == NULL &&
            !eq(x, NULL, b->u.dict.vals[i], depth + 1)) {
            *key = b->u.dict.keys[i];
            return 0;
        }
    return 1;
}

/*
 * Equal values: numbers by value (612 and 612.0), strings by their bytes,
 * names, and references by number (what they point to is judged on its
 * own), except that a reference to an object new in the later revisions
 * compares by the value it points to (a value moved from direct to
 * indirect, or an object renumbered) and that object is then explained.
 * A missing value equals null.
 */
static int eq(diff *x, const pdf_obj *a, const pdf_obj *b, int depth)
{
    static const char *const no_length[] = {"Length", NULL};
    const char *key;
    size_t i;

    if (depth > PDF_MAX_DEPTH)
        return 0;
    if (a == NULL || a->type == PDF_NULL || b == NULL || b->type == PDF_NULL)
        return (a == NULL || a->type == PDF_NULL) && (b == NULL || b->type == PDF_NULL);
    if (a->type == PDF_REF && b->type == PDF_REF && a->u.ref.num == b->u.ref.num)
        return 1;
    if (b->type == PDF_REF) {
        if (!is_new(x, b->u.ref.num) || x->lvl[b->u.ref.num] == LVL_JUDGED ||
            !eq(x, a, load(x->nd, b->u.ref.num), depth + 1))
            return 0;
        return explain(x, b->u.ref.num, VFY_MOD_NONE);
    }
    if (a->type == PDF_REF)
        return eq(x, load(x->od, a->u.ref.num), b, depth + 1);
    if ((a->type == PDF_INT || a->type == PDF_REAL) && (b->type == PDF_INT || b->type == PDF_REAL))
        return a->type == PDF_INT && b->type == PDF_INT ? a->u.integer == b->u.integer
                                                        : pdf_num(a) == pdf_num(b);
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case PDF_BOOL:
        return !a->u.boolean == !b->u.boolean;
    case PDF_STRING:
    case PDF_NAME:
        return a->u.str.len == b->u.str.len && memcmp(a->u.str.p, b->u.str.p, a->u.str.len) == 0;
    case PDF_ARRAY:
        if (a->u.arr.n != b->u.arr.n)
            return 0;
        for (i = 0; i < a->u.arr.n; i++)
            if (!eq(x, a->u.arr.items[i], b->u.arr.items[i], depth + 1))
                return 0;
        return 1;
    case PDF_DICT:
        return dict_eq_except(x, a, b, NULL, &key, depth);
    case PDF_STREAM:
        /* the same dictionary and the same bytes as written (offsets into one file) */
        return a->u.dict.data_len == b->u.dict.data_len && a->u.dict.crypt == b->u.dict.crypt &&
               a->u.dict.data_off <= x->nd->len &&
               a->u.dict.data_len <= x->nd->len - a->u.dict.data_off &&
               b->u.dict.data_off <= x->nd->len &&
               b->u.dict.data_len <= x->nd->len - b->u.dict.data_off &&
               memcmp(x->nd->buf + a->u.dict.data_off, x->nd->buf + b->u.dict.data_off,
                      (size_t)a->u.dict.data_len) == 0 &&
               dict_eq_except(x, a, b, no_length, &key, depth);
    default:
        return 1;
    }
}

#define A_STREAM 1 /* the object may be a stream */
#define A_DEPS 2   /* the new objects below it are approved with it */

/*
 * The value under a key changed from old_raw to new_raw: approve the object
 * new_raw points to, if it changed, at level (with the new objects below it
 * when flags has A_DEPS; containers whose parts rules judge one by one do
 * not). A new object is approved; an object of the signed revision only
 * when old_raw pointed at it too (rewritten in place), it is a dictionary
 * or array (or a stream with A_STREAM), and nothing else in the signed
 * revision refers to it. Returns 0 after reporting a refusal (what names it).
 */

static int approve(diff *x, const pdf_obj *old_raw, const pdf_obj *new_raw, int level, int flags,
                   const char *what)
{
    uint32_t num = ref_num(new_raw);
    const pdf_obj *o;

    if (num == 0 || !changed(x, num) || x->lvl[num] == LVL_JUDGED)
        return num == 0 || x->lvl[num] != LVL_JUDGED;
    o = load(x->nd, num);
    if (x->ch[num] == CH_NEW) {
        if (!explain(x, num, level))
            return 0;
        if (flags & A_DEPS)
            deps(x, o, level);
        return 1;
    }
    if (x->ch[num] == CH_FREED)
        return 1;
    if (ref_num(old_raw) != num) {
        MOD(x, num, "reused", VFY_MOD_OTHER,
            "%s now points to object %u of the signed revision, rewritten for it", what, num);
    } else if (o != NULL && o->type == PDF_STREAM && !(flags & A_STREAM)) {
        MOD(x, num, "stream", VFY_MOD_OTHER, "%s: a stream (object %u) was rewritten", what, num);
    } else if (x->refs[num] > 1) {
        MOD(x, num, "shared", VFY_MOD_OTHER,
            "%s (object %u) was rewritten, but the signed revision also uses it elsewhere (%u "
            "references): that other place changed too",
            what, num, x->refs[num]);
    } else {
        explain(x, num, level);
        if (flags & A_DEPS)
            deps(x, o, level);
        return 1;
    }
    judge(x, num);
    return 0;
}

/* --- report wording shared with verify.c --- */

/* Annotation subtypes that do not draw over page content (comments, markup of text). */
static int comment_subtype(const pdf_obj *st)
{
    static const char *const ok[] = {"Text",     "Highlight", "Underline", "StrikeOut",
                                     "Squiggly", "Popup",     NULL};
    size_t i;

    for (i = 0; ok[i]; i++)
        if (pdf_is_name(st, ok[i]))
            return 1;
    return 0;
}

static int is_comment(pdf_doc *d, const pdf_obj *a)
{
    return is_dict(a) && pdf_dict_get(a, "FT") == NULL &&
           comment_subtype(pdf_resolve(d, pdf_dict_get(a, "Subtype")));
}

/*
 * A widget that draws on the page: a /Rect of non-zero area, a normal
 * appearance (/AP /N) that is not empty, and neither the Hidden (2) nor
 * the NoView (32) flag.
 */
static int widget_visible(pdf_doc *d, const pdf_obj *w, double r[4])
{
    const pdf_obj *rect = pdf_resolve(d, pdf_dict_get(w, "Rect")), *ap, *f, *n;
    size_t i;

    r[0] = r[1] = r[2] = r[3] = 0;
    if (rect == NULL || rect->type != PDF_ARRAY || rect->u.arr.n != 4)
        return 0;
    for (i = 0; i < 4; i++)
        r[i] = pdf_num(pdf_resolve(d, rect->u.arr.items[i]));
    if (r[2] - r[0] == 0 || r[3] - r[1] == 0)
        return 0;
    ap = pdf_resolve(d, pdf_dict_get(w, "AP"));
    if (!is_dict(ap) || pdf_dict_get(ap, "N") == NULL)
        return 0;
    n = pdf_resolve(d, pdf_dict_get(ap, "N"));
    if (n != NULL && n->type == PDF_STREAM && n->u.dict.data_len == 0)
        return 0;
    f = pdf_resolve(d, pdf_dict_get(w, "F"));
    if (f != NULL && f->type == PDF_INT && (f->u.integer & (2 | 32)))
        return 0;
    return 1;
}

/* --- form fields --- */

typedef struct fld {
    char name[256];
    uint32_t num;
    const pdf_obj *d;
    const char *ft; /* own or inherited field type, "" */
} fld;

typedef struct fldlist {
    pdf_doc *doc;
    fld *f;
    size_t n, cap, visited;
    uint8_t *seen;
    uint32_t nseen;
    int direct; /* a field written as a direct object */
} fldlist;

static void list_fields(fldlist *l, const pdf_obj *arr, const char *prefix, const char *ft,
                        int depth)
{
    size_t i;

    arr = pdf_resolve(l->doc, arr);
    if (arr == NULL || arr->type != PDF_ARRAY || depth > MAX_FIELD_DEPTH)
        return;
    for (i = 0; i < arr->u.arr.n && l->visited < MAX_FIELDS; i++) {
        const pdf_obj *ref = arr->u.arr.items[i], *fd, *t;
        char part[200];
        fld *nf;

        l->visited++;
        if (ref->type != PDF_REF) {
            l->direct = 1;
            continue;
        }
        if (ref->u.ref.num >= l->nseen || l->seen[ref->u.ref.num])
            continue;
        l->seen[ref->u.ref.num] = 1;
        fd = pdf_resolve(l->doc, ref);
        if (!is_dict(fd))
            continue;
        vfy_pdf_text(pdf_resolve(l->doc, pdf_dict_get(fd, "T")), part, sizeof(part));
        if (part[0] == '\0')
            continue; /* a widget, not a field */
        if (l->n == l->cap) {
            size_t nc = l->cap ? l->cap * 2 : 16;
            fld *na = realloc(l->f, nc * sizeof(*na));
            if (na == NULL)
                return;
            l->f = na;
            l->cap = nc;
        }
        nf = &l->f[l->n++];
        if (prefix[0])
            snprintf(nf->name, sizeof(nf->name), "%.120s.%.120s", prefix, part);
        else
            snprintf(nf->name, sizeof(nf->name), "%s", part);
        nf->num = ref->u.ref.num;
        nf->d = fd;
        t = pdf_resolve(l->doc, pdf_dict_get(fd, "FT"));
        nf->ft = t != NULL && t->type == PDF_NAME ? t->u.str.p : ft;
        list_fields(l, pdf_dict_get(fd, "Kids"), nf->name, nf->ft, depth + 1);
    }
}

static int cmp_fld(const void *a, const void *b)
{
    return strcmp(((const fld *)a)->name, ((const fld *)b)->name);
}

static int fields_of(pdf_doc *d, const pdf_obj *af, fldlist *l)
{
    memset(l, 0, sizeof(*l));
    l->doc = d;
    l->nseen = d->nxref;
    l->seen = calloc(l->nseen + 1, 1);
    if (l->seen == NULL)
        return -1;
    if (is_dict(af))
        list_fields(l, pdf_dict_get(af, "Fields"), "", "", 0);
    if (l->n > 1)
        qsort(l->f, l->n, sizeof(*l->f), cmp_fld);
    return 0;
}

static void fields_free(fldlist *l)
{
    free(l->f);
    free(l->seen);
}

static const fld *find_field(const fldlist *l, const char *name)
{
    size_t lo = 0, hi = l->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(l->f[mid].name, name);
        if (c == 0)
            return &l->f[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The widgets of a field: its kids without /T, or the field itself when it has no /Kids. */
static size_t widgets_of(pdf_doc *d, const fld *f, uint32_t *out, size_t cap)
{
    const pdf_obj *kids = pdf_resolve(d, pdf_dict_get(f->d, "Kids"));
    size_t i, n = 0;

    if (kids == NULL) {
        out[0] = f->num;
        return 1;
    }
    for (i = 0; kids->type == PDF_ARRAY && i < kids->u.arr.n && n < cap; i++) {
        const pdf_obj *k = kids->u.arr.items[i], *kd = pdf_resolve(d, k);
        if (k->type == PDF_REF && is_dict(kd) && pdf_dict_get(kd, "T") == NULL)
            out[n++] = k->u.ref.num;
    }
    return n;
}

/* The first widget of f in d that draws on the page (its rectangle in r), or 0. */
static uint32_t visible_widget(pdf_doc *d, const fld *f, double r[4])
{
    uint32_t w[MAX_KIDS];
    size_t n = widgets_of(d, f, w, MAX_KIDS), i;

    for (i = 0; i < n; i++)
        if (widget_visible(d, load(d, w[i]), r))
            return w[i];
    return 0;
}

static void add_widget(diff *x, uint32_t num)
{
    if (x->nwidgets < MAX_WIDGETS)
        x->widgets[x->nwidgets++] = num;
}

static int is_widget(const diff *x, uint32_t num)
{
    size_t i;

    for (i = 0; i < x->nwidgets; i++)
        if (x->widgets[i] == num)
            return 1;
    return 0;
}

/* The lock of the signature that covers the field name, or NULL. */
static const vfy_lock *locked_by(diff *x, const char *name)
{
    size_t i, k;

    for (i = 0; i < x->nlocks; i++) {
        const vfy_lock *l = &x->locks[i];
        const pdf_obj *fs = nres(x, l->fields);
        int listed = 0;
        if (strcmp(l->action, "All") == 0)
            return l;
        for (k = 0; fs != NULL && fs->type == PDF_ARRAY && k < fs->u.arr.n && k < 1024; k++) {
            char n[256];
            size_t nl;
            vfy_pdf_text(nres(x, fs->u.arr.items[k]), n, sizeof(n));
            nl = strlen(n);
            /* a name covers the field and its descendants */
            if (nl > 0 && strncmp(name, n, nl) == 0 && (name[nl] == '\0' || name[nl] == '.'))
                listed = 1;
        }
        if ((strcmp(l->action, "Include") == 0) == listed)
            return l;
    }
    return NULL;
}

static int lock_refuses(diff *x, const fld *f)
{
    const vfy_lock *lk = locked_by(x, f->name);

    if (lk == NULL)
        return 0;
    MOD(x, f->num, "locked_field", VFY_MOD_OTHER,
        "form field %s was changed, but this signature locks it (FieldMDP /Action /%s) (object %u)",
        f->name, lk->action, f->num);
    judge(x, f->num);
    return 1;
}

/* Whether an appearance (/AP) differs: its value, its dictionary or a stream it names. */
static int ap_changed(diff *x, const pdf_obj *oraw, const pdf_obj *nraw)
{
    const pdf_obj *ap = nres(x, nraw);
    size_t k, i;

    if (!eq(x, oraw, nraw, 0) || changed(x, ref_num(nraw)))
        return 1;
    for (k = 0; is_dict(ap) && k < ap->u.dict.n; k++) {
        const pdf_obj *v = ap->u.dict.vals[k], *vd = nres(x, v);
        if (changed(x, ref_num(v)))
            return 1;
        for (i = 0; is_dict(vd) && i < vd->u.dict.n; i++)
            if (changed(x, ref_num(vd->u.dict.vals[i])))
                return 1;
    }
    return 0;
}

/*
 * A new appearance for a field or widget (old NULL for a new one): /AP a
 * new dictionary, or the old one rewritten in place; its /N, /R, /D new
 * streams, or old ones rewritten in place, each used nowhere else in the
 * signed revision (nor the /AP dictionary, when it is an object of its
 * own). Returns 0 after a refusal.
 */
static int appearance(diff *x, const pdf_obj *old, const pdf_obj *nw, int level, const char *name,
                      uint32_t num)
{
    static const char *const keys[] = {"N", "R", "D"};
    const pdf_obj *oraw = old != NULL ? pdf_dict_get(old, "AP") : NULL;
    const pdf_obj *nraw = pdf_dict_get(nw, "AP"), *oap, *nap;
    size_t k, i;

    if (nraw == NULL) {
        if (oraw == NULL)
            return 1;
        MOD(x, num, "appearance", VFY_MOD_OTHER, "%s: its appearance (/AP) was removed (object %u)",
            name, num);
        return 0;
    }
    if (!ap_changed(x, oraw, nraw))
        return 1;
    if (!approve(x, oraw, nraw, level, A_DEPS, "an appearance dictionary"))
        return 0;
    oap = ores(x, oraw);
    nap = nres(x, nraw);
    if (!is_dict(nap)) {
        MOD(x, num, "appearance", VFY_MOD_OTHER, "%s: /AP is not a dictionary (object %u)", name,
            num);
        return 0;
    }
    if (is_dict(oap) && ref_num(oraw) != 0 && x->refs[ref_num(oraw)] > 1) {
        MOD(x, ref_num(oraw), "shared", VFY_MOD_OTHER,
            "%s: its appearance was replaced, but its old appearance dictionary (object %u) is "
            "also "
            "used elsewhere in the signed revision",
            name, ref_num(oraw));
        return 0;
    }
    for (k = 0; k < 3; k++) {
        const pdf_obj *nv = pdf_dict_get(nap, keys[k]);
        const pdf_obj *ov = is_dict(oap) ? pdf_dict_get(oap, keys[k]) : NULL;
        const pdf_obj *nvd = nres(x, nv), *ovd = ores(x, ov);
        if (nv == NULL)
            continue;
        /* a stream in place, or a dictionary of states (/On, /Off) each a stream */
        if (ref_num(nv) != 0 && ref_num(nv) == ref_num(ov)) {
            if (!approve(x, ov, nv, level, A_STREAM | A_DEPS, "an appearance stream"))
                return 0;
        } else {
            if (!approve(x, NULL, nv, level, A_STREAM | A_DEPS, "an appearance stream"))
                return 0;
        }
        if (is_dict(nvd))
            for (i = 0; i < nvd->u.dict.n; i++) {
                const pdf_obj *s = nvd->u.dict.vals[i];
                const pdf_obj *os = is_dict(ovd) ? pdf_dict_get(ovd, nvd->u.dict.keys[i]) : NULL;
                if (!approve(x, ref_num(s) == ref_num(os) ? os : NULL, s, level, A_STREAM | A_DEPS,
                             "an appearance stream"))
                    return 0;
            }
        deps(x, nvd, level);
    }
    return 1;
}

/* Keys a form filler changes: the value, the look and the flags (pyHanko's VALUE_UPDATE_KEYS). */
static const char *const value_keys[] = {"V", "AP", "AS", "F", "DA", "Q", "Ff", "Type", "MK", NULL};
static const char *const always_keys[] = {"Ff", "Type", NULL};
static const char *const widget_keys[] = {"AP", "AS", "F", "DA", "Q", "MK", "Type", NULL};

/*
 * The widgets (kids without /T) of a field that both revisions have:
 * each changed one may only get a new look. *look is set when one did.
 */
static int kid_widgets(diff *x, const fld *nf, int level, int *look)
{
    uint32_t w[MAX_KIDS];
    size_t n, i;
    const char *key;

    if (pdf_dict_get(nf->d, "Kids") == NULL)
        return 1;
    n = widgets_of(x->nd, nf, w, MAX_KIDS);
    for (i = 0; i < n; i++) {
        const pdf_obj *a, *b;
        if (!changed(x, w[i]) || x->ch[w[i]] != CH_REDEF || x->lvl[w[i]] == LVL_JUDGED)
            continue;
        a = load(x->od, w[i]);
        b = load(x->nd, w[i]);
        if (!dict_eq_except(x, a, b, widget_keys, &key, 0)) {
            MOD(x, w[i], "form_field", VFY_MOD_OTHER,
                "form field %s: its widget changed: /%s (object %u)", nf->name, key ? key : "?",
                w[i]);
            judge(x, w[i]);
            return 0;
        }
        *look = 1;
        explain(x, w[i], level);
        if (!appearance(x, a, b, level, nf->name, w[i]))
            return 0;
    }
    return 1;
}

/* A push button (field flag 17) holds no value: a new look is no filling in. */
static int push_button(diff *x, const fld *f)
{
    const pdf_obj *ff = nres(x, pdf_dict_get(f->d, "Ff"));

    if (ff == NULL && pdf_dict_get(f->d, "Parent") != NULL)
        ff = nres(x, pdf_dict_get(nres(x, pdf_dict_get(f->d, "Parent")), "Ff"));
    return strcmp(f->ft, "Btn") == 0 && ff != NULL && ff->type == PDF_INT &&
           (ff->u.integer & (1 << 16));
}

/*
 * The value of a signature field signed after the signature analysed: a
 * new signature dictionary (a document time-stamp without appearance:
 * lta_updates; any other signature: form_filling).
 */
static void sig_value(diff *x, const fld *f, int visible)
{
    const pdf_obj *v = pdf_dict_get(f->d, "V"), *vd = nres(x, v);
    uint32_t num = ref_num(v);
    int ts;

    if (num == 0 || !is_new(x, num) || !is_dict(vd)) {
        MOD(x, f->num, "signature", VFY_MOD_OTHER,
            "signature field %s: its value is not a new signature dictionary (object %u)", f->name,
            f->num);
        judge(x, f->num);
        return;
    }
    ts = pdf_is_name(pdf_dict_get(vd, "Type"), "DocTimeStamp") && !visible;
    if (!ts && lock_refuses(x, f))
        return;
    if (!explain(x, num, ts ? VFY_MOD_LTA : VFY_MOD_FORM))
        return;
    deps(x, vd, ts ? VFY_MOD_LTA : VFY_MOD_FORM);
    if (ts)
        MOD(x, num, "document_timestamp", VFY_MOD_LTA,
            "document time-stamp added (field %s, object %u)", f->name, num);
    else
        MOD(x, num, "signature", VFY_MOD_FORM, "signature added (field %s, object %u)", f->name,
            num);
}

/* A signature field the later revisions added. */
static void new_sig_field(diff *x, const fld *f)
{
    uint32_t w[MAX_KIDS];
    double r[4];
    uint32_t vis = visible_widget(x->nd, f, r);
    const pdf_obj *kids = pdf_dict_get(f->d, "Kids");
    int signd = pdf_dict_get(f->d, "V") != NULL, level = vis ? VFY_MOD_FORM : VFY_MOD_LTA;
    size_t n, i;

    if (vis && x->p > 0) {
        MOD(x, f->num, "signature_field", VFY_MOD_OTHER,
            "a new signature field (object %u) with a visible appearance at [%.0f %.0f %.0f %.0f] "
            "(Sneaky Signature: only existing empty signature fields may be filled)",
            f->num, r[0], r[1], r[2], r[3]);
        judge(x, f->num);
        return;
    }
    if (vis && !signd) {
        MOD(x, f->num, "signature_field", VFY_MOD_OTHER,
            "a new unsigned signature field (object %u) whose visible appearance at [%.0f %.0f "
            "%.0f %.0f] draws over the page without being signed",
            f->num, r[0], r[1], r[2], r[3]);
        judge(x, f->num);
        return;
    }
    if (!is_new(x, f->num)) {
        MOD(x, f->num, "signature_field", VFY_MOD_OTHER,
            "signature field %s was added as object %u of the signed revision, rewritten", f->name,
            f->num);
        judge(x, f->num);
        return;
    }
    if (!explain(x, f->num, level))
        return;
    deps(x, pdf_dict_get(f->d, "Lock"), level);
    deps(x, pdf_dict_get(f->d, "SV"), level);
    if (!appearance(x, NULL, f->d, level, f->name, f->num) ||
        (kids != NULL && !approve(x, NULL, kids, level, 0, "the widgets (/Kids) of a new field"))) {
        judge(x, f->num);
        return;
    }
    n = widgets_of(x->nd, f, w, MAX_KIDS);
    for (i = 0; i < n; i++) {
        const pdf_obj *wd = load(x->nd, w[i]);
        add_widget(x, w[i]);
        if (w[i] == f->num || !is_new(x, w[i]))
            continue;
        if (!explain(x, w[i], level) || !appearance(x, NULL, wd, level, f->name, w[i])) {
            judge(x, f->num);
            return;
        }
    }
    MOD(x, f->num, "signature_field", level, "signature field %s added (object %u)", f->name,
        f->num);
    if (signd)
        sig_value(x, f, vis != 0);
}

/* A widget (kid without /T) of f changed in the later revisions. */
static int kids_changed(diff *x, const fld *f)
{
    uint32_t w[MAX_KIDS];
    size_t n, i;

    if (pdf_dict_get(f->d, "Kids") == NULL)
        return 0;
    n = widgets_of(x->nd, f, w, MAX_KIDS);
    for (i = 0; i < n; i++)
        if (changed(x, w[i]))
            return 1;
    return 0;
}

/* A signature field both revisions have. */
static void old_sig_field(diff *x, const fld *of, const fld *nf, int moved)
{
    const char *key = NULL;
    int look = 0;

    if (pdf_dict_get(of->d, "V") == NULL && pdf_dict_get(nf->d, "V") != NULL) {
        /* an empty signature field signed */
        double r[4];
        uint32_t w[MAX_KIDS];
        size_t n, i;
        if (!dict_eq_except(x, of->d, nf->d, value_keys, &key, 0)) {
            MOD(x, nf->num, "signature_field", VFY_MOD_OTHER,
                "signature field %s changed: /%s (object %u)", nf->name, key ? key : "?", nf->num);
            judge(x, nf->num);
            return;
        }
        explain(x, nf->num, VFY_MOD_LTA);
        if (!appearance(x, of->d, nf->d, VFY_MOD_FORM, nf->name, nf->num) ||
            !kid_widgets(x, nf, VFY_MOD_FORM, &look)) {
            judge(x, nf->num);
            return;
        }
        n = widgets_of(x->nd, nf, w, MAX_KIDS);
        for (i = 0; i < n; i++)
            add_widget(x, w[i]);
        sig_value(x, nf, visible_widget(x->nd, nf, r) != 0);
        return;
    }
    if (!moved && !changed(x, nf->num) && !kids_changed(x, nf))
        return;
    if (!dict_eq_except(x, of->d, nf->d, always_keys, &key, 0) || kids_changed(x, nf)) {
        MOD(x, nf->num, "signature_field", VFY_MOD_OTHER,
            "signature field %s changed after it was %s: /%s (object %u)", nf->name,
            pdf_dict_get(of->d, "V") != NULL ? "signed" : "created", key ? key : "Kids (a widget)",
            nf->num);
        judge(x, nf->num);
        return;
    }
    explain(x, nf->num, VFY_MOD_LTA); /* its flags only */
}

/* A field both revisions have. */
static void old_field(diff *x, const fld *of, const fld *nf)
{
    const char *key = NULL;
    int look = 0, moved = nf->num != of->num, redone;

    if (strcmp(of->ft, nf->ft) != 0) {
        MOD(x, nf->num, "form_field", VFY_MOD_OTHER, "form field %s changed its type (object %u)",
            nf->name, nf->num);
        judge(x, nf->num);
        return;
    }
    if (moved && !is_new(x, nf->num)) {
        MOD(x, nf->num, "form_field", VFY_MOD_OTHER,
            "form field %s moved to object %u of the signed revision, rewritten", nf->name,
            nf->num);
        judge(x, nf->num);
        return;
    }
    if (strcmp(nf->ft, "Sig") == 0) {
        old_sig_field(x, of, nf, moved);
        return;
    }
    redone = moved || changed(x, nf->num);
    if (redone && !dict_eq_except(x, of->d, nf->d, value_keys, &key, 0)) {
        MOD(x, nf->num, "form_field", VFY_MOD_OTHER, "form field %s changed: /%s (object %u)",
            nf->name, key ? key : "?", nf->num);
        judge(x, nf->num);
        return;
    }
    if (!kid_widgets(x, nf, VFY_MOD_FORM, &look)) {
        judge(x, nf->num);
        return;
    }
    if (!redone && !look)
        return;
    if (look || !dict_eq_except(x, of->d, nf->d, always_keys, &key, 0)) {
        if (lock_refuses(x, nf))
            return;
        if (push_button(x, nf)) {
            MOD(x, nf->num, "form_field", VFY_MOD_OTHER,
                "push button %s got a new appearance (object %u): a push button holds no value to "
                "fill in",
                nf->name, nf->num);
            judge(x, nf->num);
            return;
        }
    }
    explain(x, nf->num, VFY_MOD_FORM);
    if (!appearance(x, of->d, nf->d, VFY_MOD_FORM, nf->name, nf->num)) {
        judge(x, nf->num);
        return;
    }
    deps(x, pdf_dict_get(nf->d, "V"), VFY_MOD_FORM);
    MOD(x, nf->num, "form_field", VFY_MOD_FORM, "form field %s filled in (object %u)", nf->name,
        nf->num);
}

/* The form: the AcroForm dictionary, then each field by its full name. */
static void form_rule(diff *x, const pdf_obj *ocat, const pdf_obj *ncat)
{
    static const char *const exempt[] = {"Fields",          "DR",       "DA", "Q",
                                         "NeedAppearances", "SigFlags", NULL};
    const pdf_obj *oraw = pdf_dict_get(ocat, "AcroForm"), *nraw = pdf_dict_get(ncat, "AcroForm");
    const pdf_obj *oaf, *naf;
    pdf_obj empty = {.type = PDF_DICT};
    uint32_t afnum = ref_num(nraw);
    fldlist ol, nl;
    const char *key = NULL;
    size_t i;

    if (nraw == NULL) {
        if (oraw != NULL)
            MOD(x, 0, "form", VFY_MOD_OTHER, "the form (AcroForm) was removed");
        return;
    }
    if (!approve(x, oraw, nraw, VFY_MOD_LTA, 0, "the form (AcroForm)"))
        return;
    oaf = ores(x, oraw);
    naf = nres(x, nraw);
    if (!is_dict(oaf))
        oaf = &empty;
    if (!is_dict(naf)) {
        MOD(x, afnum, "form", VFY_MOD_OTHER, "the form (AcroForm) is not a dictionary");
        return;
    }
    if (!dict_eq_except(x, oaf, naf, exempt, &key, 0)) {
        MOD(x, afnum, "form", VFY_MOD_OTHER, "form (AcroForm) changed: /%s (object %u)",
            key ? key : "?", afnum);
        judge(x, afnum);
        return;
    }
    if (!approve(x, pdf_dict_get(oaf, "Fields"), pdf_dict_get(naf, "Fields"), VFY_MOD_LTA, 0,
                 "the form's /Fields"))
        return;
    if (!eq(x, pdf_dict_get(oaf, "DR"), pdf_dict_get(naf, "DR"), 0) ||
        changed(x, ref_num(pdf_dict_get(naf, "DR")))) {
        if (!approve(x, pdf_dict_get(oaf, "DR"), pdf_dict_get(naf, "DR"), VFY_MOD_FORM, A_DEPS,
                     "the form's default resources (/DR)"))
            return;
        deps(x, nres(x, pdf_dict_get(naf, "DR")), VFY_MOD_FORM);
        MOD(x, afnum, "form", VFY_MOD_FORM, "form: default resources (/DR) updated (object %u)",
            afnum);
    }
    if (!eq(x, pdf_dict_get(oaf, "DA"), pdf_dict_get(naf, "DA"), 0) ||
        !eq(x, pdf_dict_get(oaf, "Q"), pdf_dict_get(naf, "Q"), 0))
        MOD(x, afnum, "form", VFY_MOD_FORM,
            "form: default appearance (/DA, /Q) changed (object %u)", afnum);
    if (!eq(x, pdf_dict_get(oaf, "NeedAppearances"), pdf_dict_get(naf, "NeedAppearances"), 0))
        MOD(x, afnum, "form", VFY_MOD_FORM, "form: /NeedAppearances changed (object %u)", afnum);

    if (fields_of(x->od, oaf, &ol) != 0)
        return;
    if (fields_of(x->nd, naf, &nl) != 0) {
        fields_free(&ol);
        return;
    }
    if (nl.direct && !ol.direct)
        MOD(x, afnum, "form", VFY_MOD_OTHER,
            "the form lists a field that is not an object of its own");
    for (i = 0; i + 1 < nl.n; i++)
        if (strcmp(nl.f[i].name, nl.f[i + 1].name) == 0) {
            MOD(x, nl.f[i + 1].num, "form_field", VFY_MOD_OTHER,
                "two form fields are named %s (objects %u and %u)", nl.f[i].name, nl.f[i].num,
                nl.f[i + 1].num);
            judge(x, nl.f[i + 1].num);
        }
    for (i = 0; i < ol.n; i++)
        if (find_field(&nl, ol.f[i].name) == NULL)
            MOD(x, ol.f[i].num, "form_field", VFY_MOD_OTHER,
                "form field %s was removed (object %u)", ol.f[i].name, ol.f[i].num);
    for (i = 0; i < nl.n; i++) {
        const fld *of = find_field(&ol, nl.f[i].name), *nf = &nl.f[i];
        if (x->lvl[nf->num] == LVL_JUDGED)
            continue;
        if (of != NULL)
            old_field(x, of, nf);
        else if (strcmp(nf->ft, "Sig") == 0)
            new_sig_field(x, nf);
        else {
            MOD(x, nf->num, "form_field", VFY_MOD_OTHER,
                "form field %s was added (object %u): only signature fields may be added", nf->name,
                nf->num);
            judge(x, nf->num);
        }
    }
    fields_free(&ol);
    fields_free(&nl);
}

/* --- the DSS (ETSI EN 319 142-1 §5.4) --- */

/* A /Certs, /CRLs, /OCSPs (DSS) or /Cert, /CRL, /OCSP (VRI) array: new streams appended. */
static int dss_array(diff *x, const pdf_obj *oraw, const pdf_obj *nraw, const char *key)
{
    const pdf_obj *a;
    size_t i;

    if (!approve(x, oraw, nraw, VFY_MOD_LTA, 0, "an array of the DSS"))
        return 0;
    a = nres(x, nraw);
    if (a == NULL || a->type != PDF_ARRAY || a->u.arr.n > MAX_ITEMS) {
        MOD(x, ref_num(nraw), "dss", VFY_MOD_OTHER, "DSS: /%s is not an array of streams", key);
        return 0;
    }
    for (i = 0; i < a->u.arr.n; i++) {
        const pdf_obj *it = a->u.arr.items[i], *o = nres(x, it);
        if (it->type != PDF_REF || o == NULL || o->type != PDF_STREAM) {
            MOD(x, ref_num(nraw), "dss", VFY_MOD_OTHER,
                "DSS: /%s holds something other than references to streams", key);
            return 0;
        }
        if (!approve(x, NULL, it, VFY_MOD_LTA, A_STREAM | A_DEPS, "validation data in the DSS"))
            return 0;
    }
    return 1;
}

static int is_vri_key(const char *k)
{
    size_t i;

    for (i = 0; k[i]; i++)
        if (!((k[i] >= '0' && k[i] <= '9') || (k[i] >= 'A' && k[i] <= 'F')))
            return 0;
    return i == 40;
}

/* /VRI: the entries of the signed revision kept as they were, new ones per signature hash. */
static int vri_rule(diff *x, const pdf_obj *oraw, const pdf_obj *nraw)
{
    static const char *const vkeys[] = {"Type", "TU", "TS", "Cert", "CRL", "OCSP", NULL};
    const pdf_obj *ov, *nv;
    size_t i, k;

    if (!approve(x, oraw, nraw, VFY_MOD_LTA, 0, "the DSS's /VRI"))
        return 0;
    ov = ores(x, oraw);
    nv = nres(x, nraw);
    if (!is_dict(nv)) {
        MOD(x, ref_num(nraw), "dss", VFY_MOD_OTHER, "DSS: /VRI is not a dictionary");
        return 0;
    }
    for (i = 0; is_dict(ov) && i < ov->u.dict.n; i++) {
        const pdf_obj *nval = pdf_dict_get(nv, ov->u.dict.keys[i]);
        if (!eq(x, ov->u.dict.vals[i], nval, 0) || changed(x, ref_num(nval))) {
            MOD(x, ref_num(nraw), "dss", VFY_MOD_OTHER,
                "DSS: the VRI entry %.40s was changed or removed", ov->u.dict.keys[i]);
            return 0;
        }
    }
    for (i = 0; i < nv->u.dict.n; i++) {
        const char *key = nv->u.dict.keys[i];
        const pdf_obj *e;
        if (is_dict(ov) && pdf_dict_get(ov, key) != NULL)
            continue;
        e = nres(x, nv->u.dict.vals[i]);
        if (!is_vri_key(key) || !is_dict(e)) {
            MOD(x, ref_num(nraw), "dss", VFY_MOD_OTHER,
                "DSS: /VRI holds an entry /%.60s that is not a signature's validation data", key);
            return 0;
        }
        if (!approve(x, NULL, nv->u.dict.vals[i], VFY_MOD_LTA, 0, "a VRI entry"))
            return 0;
        for (k = 0; k < e->u.dict.n; k++) {
            const char *vk = e->u.dict.keys[k];
            if (!in_list(vk, vkeys)) {
                MOD(x, ref_num(nraw), "dss", VFY_MOD_OTHER, "DSS: a VRI entry holds /%.60s", vk);
                return 0;
            }
            if ((strcmp(vk, "Cert") == 0 || strcmp(vk, "CRL") == 0 || strcmp(vk, "OCSP") == 0) &&
                !dss_array(x, NULL, e->u.dict.vals[k], vk))
                return 0;
            if (strcmp(vk, "TS") == 0 && !approve(x, NULL, e->u.dict.vals[k], VFY_MOD_LTA,
                                                  A_STREAM | A_DEPS, "a VRI time-stamp"))
                return 0;
        }
    }
    return 1;
}

static void dss_rule(diff *x, const pdf_obj *ocat, const pdf_obj *ncat)
{
    static const char *const arrays[] = {"Certs", "CRLs", "OCSPs", NULL};
    static const char *const allowed[] = {"Type", "VRI", "Certs", "CRLs", "OCSPs", NULL};
    const pdf_obj *oraw = pdf_dict_get(ocat, "DSS"), *nraw = pdf_dict_get(ncat, "DSS");
    const pdf_obj *od, *nd;
    pdf_obj empty = {.type = PDF_DICT};
    uint32_t num = ref_num(nraw);
    size_t i;

    if (nraw == NULL) {
        if (oraw != NULL)
            MOD(x, 0, "dss", VFY_MOD_OTHER, "the validation data (DSS) was removed");
        return;
    }
    if (eq(x, oraw, nraw, 0) && !changed(x, num)) {
        /* the same DSS object: its arrays may still have been appended to in place */
        nd = nres(x, nraw);
        for (i = 0; is_dict(nd) && i < 4; i++)
            if (changed(x, ref_num(pdf_dict_get(nd, i < 3 ? arrays[i] : "VRI"))))
                break;
        if (!is_dict(nd) || i == 4)
            return;
    }
    if (!approve(x, oraw, nraw, VFY_MOD_LTA, 0, "the validation data (DSS)"))
        return;
    od = ores(x, oraw);
    nd = nres(x, nraw);
    if (!is_dict(od))
        od = &empty;
    if (!is_dict(nd)) {
        MOD(x, num, "dss", VFY_MOD_OTHER, "the DSS is not a dictionary");
        return;
    }
    for (i = 0; i < nd->u.dict.n; i++)
        if (!in_list(nd->u.dict.keys[i], allowed)) {
            MOD(x, num, "dss", VFY_MOD_OTHER, "DSS: unexpected entry /%.60s", nd->u.dict.keys[i]);
            return;
        }
    for (i = 0; arrays[i]; i++)
        if (pdf_dict_get(nd, arrays[i]) != NULL &&
            !dss_array(x, pdf_dict_get(od, arrays[i]), pdf_dict_get(nd, arrays[i]), arrays[i]))
            return;
    if (pdf_dict_get(nd, "VRI") != NULL) {
        if (!vri_rule(x, pdf_dict_get(od, "VRI"), pdf_dict_get(nd, "VRI")))
            return;
    } else if (pdf_dict_get(od, "VRI") != NULL) {
        MOD(x, num, "dss", VFY_MOD_OTHER, "DSS: /VRI was removed");
        return;
    }
    MOD(x, num, "dss", VFY_MOD_LTA, "DSS updated (object %u)", num);
}

/* --- pages --- */

static void add_content(diff *x, uint32_t num)
{
    if (num == 0)
        return;
    if (x->ncontent == x->capcontent) {
        size_t nc = x->capcontent ? x->capcontent * 2 : 16;
        uint32_t *c = realloc(x->content, nc * sizeof(*c));
        size_t *p;
        if (c == NULL)
            return;
        x->content = c;
        p = realloc(x->content_page, nc * sizeof(*p));
        if (p == NULL)
            return;
        x->content_page = p;
        x->capcontent = nc;
    }
    x->content[x->ncontent] = num;
    x->content_page[x->ncontent++] = x->npages;
}

/* The content streams of a page of the signed revision (for naming what changed). */
static void page_contents(diff *x, const pdf_obj *pg)
{
    const pdf_obj *c = pdf_dict_get(pg, "Contents"), *a;
    size_t i;

    add_content(x, ref_num(c));
    a = ores(x, c);
    for (i = 0; a != NULL && a->type == PDF_ARRAY && i < a->u.arr.n && i < 256; i++)
        add_content(x, ref_num(a->u.arr.items[i]));
}

/*
 * Whether the signed page's content (or a form XObject of its resources
 * without resources of its own, which would inherit the page's) may name
 * the resource name: a name added to the resources later would then
 * change what the signed content draws (a shadow attack). 1 when it does
 * or cannot be told.
 */
static int content_uses(diff *x, const pdf_obj *pg, const pdf_obj *res, const char *name)
{
    const pdf_obj *c = ores(x, pdf_dict_get(pg, "Contents")), *xo;
    size_t i, nl = strlen(name), ns;
    int used = 0;

    xo = is_dict(res) ? ores(x, pdf_dict_get(res, "XObject")) : NULL;
    for (i = 0; is_dict(xo) && i < xo->u.dict.n; i++) {
        const pdf_obj *f = ores(x, xo->u.dict.vals[i]);
        if (f != NULL && f->type == PDF_STREAM && pdf_is_name(pdf_dict_get(f, "Subtype"), "Form") &&
            pdf_dict_get(f, "Resources") == NULL)
            return 1;
    }
    if (c == NULL)
        return 0;
    ns = c->type == PDF_ARRAY ? c->u.arr.n : 1;
    for (i = 0; i < ns && i < 256 && !used; i++) {
        const pdf_obj *st = c->type == PDF_ARRAY ? ores(x, c->u.arr.items[i]) : c;
        unsigned char *buf = NULL;
        size_t len = 0, k;
        sertel_err e = {0};
        if (st == NULL || st->type != PDF_STREAM ||
            pdf_stream_decode(x->od, st, MAX_CONTENT, &buf, &len, &e) != SERTEL_OK)
            return 1;
        for (k = 0; k + nl < len && !used; k++)
            if (buf[k] == '/' && memcmp(buf + k + 1, name, nl) == 0 &&
                (k + 1 + nl == len || pdf_is_ws(buf[k + 1 + nl]) || pdf_is_delim(buf[k + 1 + nl])))
                used = 1;
        free(buf);
    }
    return used;
}

static int is_res_category(const char *k)
{
    static const char *const cats[] = {"Font",    "XObject", "ExtGState",  "ColorSpace",
                                       "Pattern", "Shading", "Properties", NULL};
    return in_list(k, cats);
}

/*
 * A page's resources (its own or inherited) extended: every name the
 * signed page had kept with its value, new names only where the signed
 * content does not already use them. Returns 0 after a refusal.
 */
static int resources_rule(diff *x, const pdf_obj *pg, uint32_t pnum, const pdf_obj *oraw,
                          const pdf_obj *nraw)
{
    const pdf_obj *orr = ores(x, oraw), *nrr = nres(x, nraw);
    pdf_obj empty = {.type = PDF_DICT};
    char added[160] = "";
    size_t i, k, al = 0;
    int pass;

    if (!is_dict(nrr) || !approve(x, oraw, nraw, VFY_MOD_FORM, 0, "a page's resources")) {
        MOD(x, pnum, "page", VFY_MOD_OTHER, "page %zu changed: /Resources (object %u)", x->npages,
            pnum);
        return 0;
    }
    if (!is_dict(orr))
        orr = &empty;
    for (pass = 0; pass < 2; pass++) {
        const pdf_obj *from = pass == 0 ? orr : nrr;
        for (i = 0; i < from->u.dict.n; i++) {
            const char *key = from->u.dict.keys[i];
            const pdf_obj *ov = pdf_dict_get(orr, key), *nv = pdf_dict_get(nrr, key);
            const pdf_obj *ocd, *ncd;
            if (pass == 1 && ov != NULL)
                continue;
            if (!is_res_category(key)) {
                if (eq(x, ov, nv, 0))
                    continue;
                MOD(x, pnum, "page", VFY_MOD_OTHER,
                    "page %zu changed: /Resources /%.40s (object %u)", x->npages, key, pnum);
                return 0;
            }
            ocd = ores(x, ov);
            ncd = nres(x, nv);
            if (!is_dict(ncd) || (ov != NULL && !is_dict(ocd)) ||
                !approve(x, ov, nv, VFY_MOD_FORM, 0, "a page's resources")) {
                MOD(x, pnum, "page", VFY_MOD_OTHER,
                    "page %zu changed: /Resources /%.40s (object %u)", x->npages, key, pnum);
                return 0;
            }
            for (k = 0; is_dict(ocd) && k < ocd->u.dict.n; k++)
                if (!eq(x, ocd->u.dict.vals[k], pdf_dict_get(ncd, ocd->u.dict.keys[k]), 0)) {
                    MOD(x, pnum, "page", VFY_MOD_OTHER,
                        "page %zu changed: resource /%.40s /%.60s (object %u)", x->npages, key,
                        ocd->u.dict.keys[k], pnum);
                    return 0;
                }
            for (k = 0; k < ncd->u.dict.n; k++) {
                const char *name = ncd->u.dict.keys[k];
                if (is_dict(ocd) && pdf_dict_get(ocd, name) != NULL)
                    continue;
                if (content_uses(x, pg, orr, name)) {
                    MOD(x, pnum, "page", VFY_MOD_OTHER,
                        "page %zu: resource /%.40s /%.60s was added, but the signed page content "
                        "already names it: what the page shows changes (shadow attack) (object %u)",
                        x->npages, key, name, pnum);
                    return 0;
                }
                deps(x, ncd->u.dict.vals[k], VFY_MOD_FORM);
                if (al + strlen(name) + 3 < sizeof(added))
                    al += (size_t)snprintf(added + al, sizeof(added) - al, "%s/%s", al ? " " : "",
                                           name);
            }
        }
    }
    MOD(x, pnum, "page_resources", VFY_MOD_FORM,
        "page %zu: resources extended for a new appearance (%s) (object %u)", x->npages,
        added[0] ? added : "rewritten", pnum);
    return 1;
}

/* One item of an /Annots array in the other array: references by number, direct ones by value. */
static long find_item(diff *x, const pdf_obj *it, const pdf_obj *arr, int old_side)
{
    size_t i;

    for (i = 0; arr != NULL && i < arr->u.arr.n; i++) {
        const pdf_obj *y = arr->u.arr.items[i];
        if (it->type == PDF_REF || y->type == PDF_REF) {
            if (it->type == PDF_REF && y->type == PDF_REF && it->u.ref.num == y->u.ref.num)
                return (long)i;
        } else if (old_side ? eq(x, y, it, 0) : eq(x, it, y, 0)) {
            return (long)i;
        }
    }
    return -1;
}

/* Refuse an annotation the page gained (the Evil Annotation wording where comments are allowed). */
static void refuse_annot(diff *x, uint32_t pnum, uint32_t num, const pdf_obj *a)
{
    const pdf_obj *st = is_dict(a) ? nres(x, pdf_dict_get(a, "Subtype")) : NULL;
    const char *sub = st != NULL && st->type == PDF_NAME ? st->u.str.p : "unknown";

    if (!is_dict(a))
        MOD(x, pnum, "annotation", VFY_MOD_OTHER,
            "page %zu: annotations changed: an object that is not an annotation (object %u) "
            "(object %u)",
            x->npages, num, pnum);
    else if (x->p == 0 || x->p == 3)
        MOD(x, pnum, "annotation", VFY_MOD_OTHER,
            "page %zu: annotations changed: a %.40s annotation (object %u) that can cover page "
            "content (Evil Annotation: only comment annotations are allowed) (object %u)",
            x->npages, sub, num, pnum);
    else
        MOD(x, pnum, "annotation", VFY_MOD_OTHER,
            "page %zu: annotations changed: a %.40s annotation (object %u) (object %u)", x->npages,
            sub, num, pnum);
    judge(x, num);
}

/*
 * A page's /Annots: the annotations of the signed page kept in their
 * order (comment annotations may be removed or changed); added ones the
 * widgets of signature fields the form rule accepted, or new comment
 * annotations. Returns 0 after a refusal.
 */
static int annots_rule(diff *x, const pdf_obj *opg, const pdf_obj *npg, uint32_t pnum)
{
    const pdf_obj *oraw = pdf_dict_get(opg, "Annots"), *nraw = pdf_dict_get(npg, "Annots");
    const pdf_obj *oa = ores(x, oraw), *na = nres(x, nraw);
    pdf_obj none = {.type = PDF_ARRAY};
    size_t i, widgets = 0;
    long last = -1;

    if (oa == NULL)
        oa = &none;
    if (na == NULL)
        na = &none;
    if (oa->type != PDF_ARRAY || na->type != PDF_ARRAY || oa->u.arr.n > MAX_ITEMS ||
        na->u.arr.n > MAX_ITEMS) {
        MOD(x, pnum, "annotation", VFY_MOD_OTHER,
            "page %zu: annotations changed: /Annots is not an array (object %u)", x->npages, pnum);
        return 0;
    }
    if (!approve(x, oraw, nraw, VFY_MOD_LTA, 0, "a page's annotations"))
        return 0;
    for (i = 0; i < oa->u.arr.n; i++) {
        const pdf_obj *it = oa->u.arr.items[i];
        const pdf_obj *a;
        if (find_item(x, it, na, 0) >= 0)
            continue;
        a = ores(x, it);
        if (is_comment(x->od, a)) {
            MOD(x, ref_num(it), "annotation", VFY_MOD_ANNOT,
                "page %zu: comment annotation removed (object %u)", x->npages, ref_num(it));
            continue;
        }
        MOD(x, pnum, "annotation", VFY_MOD_OTHER,
            "page %zu: annotations changed: an annotation was removed (object %u) (object %u)",
            x->npages, ref_num(it), pnum);
        return 0;
    }
    for (i = 0; i < na->u.arr.n; i++) {
        const pdf_obj *it = na->u.arr.items[i], *a;
        long at = find_item(x, it, oa, 1);
        uint32_t num = ref_num(it);
        if (at >= 0) {
            if (at < last) {
                MOD(x, pnum, "annotation", VFY_MOD_OTHER,
                    "page %zu: annotations changed: items were reordered (object %u)", x->npages,
                    pnum);
                return 0;
            }
            last = at;
            if (x->ch[num] == CH_REDEF && x->lvl[num] == LVL_UNEXPLAINED &&
                is_comment(x->od, ores(x, it))) {
                const pdf_obj *b = nres(x, it),
                              *st = is_dict(b) ? nres(x, pdf_dict_get(b, "Subtype")) : NULL;
                if (!is_comment(x->nd, b)) {
                    MOD(x, num, "annotation", VFY_MOD_OTHER,
                        "comment annotation turned into %s (object %u), which can cover page "
                        "content (Evil Annotation)",
                        st != NULL && st->type == PDF_NAME ? st->u.str.p : "something else", num);
                    judge(x, num);
                    return 0;
                }
                explain(x, num, VFY_MOD_ANNOT);
                deps(x, b, VFY_MOD_ANNOT);
                MOD(x, num, "annotation", VFY_MOD_ANNOT, "comment annotation modified (object %u)",
                    num);
            }
            continue;
        }
        if (num != 0 && x->lvl[num] == LVL_JUDGED)
            continue; /* refused (and named) by the form rule */
        if (num != 0 && is_widget(x, num)) {
            double r[4];
            if (widget_visible(x->nd, nres(x, it), r))
                MOD(x, num, "widget", VFY_MOD_FORM,
                    "page %zu: visible signature widget (object %u) at [%.0f %.0f %.0f %.0f]",
                    x->npages, num, r[0], r[1], r[2], r[3]);
            else
                widgets++;
            continue;
        }
        a = nres(x, it);
        if (num == 0 || !is_new(x, num)) {
            if (num == 0 || !is_comment(x->nd, a)) {
                MOD(x, pnum, "annotation", VFY_MOD_OTHER,
                    "page %zu: annotations changed: %s (object %u) was put on the page (object %u)",
                    x->npages, num ? "an object of the signed revision" : "a direct annotation",
                    num, pnum);
                return 0;
            }
        }
        if (!is_comment(x->nd, a)) {
            refuse_annot(x, pnum, num, a);
            return 0;
        }
        {
            const pdf_obj *st = nres(x, pdf_dict_get(a, "Subtype"));
            if (is_new(x, num) && !explain(x, num, VFY_MOD_ANNOT))
                return 0;
            deps(x, a, VFY_MOD_ANNOT);
            MOD(x, num, "annotation", VFY_MOD_ANNOT,
                "page %zu: comment annotation added: a %s annotation (object %u)", x->npages,
                st->u.str.p, num);
        }
    }
    if (widgets)
        MOD(x, pnum, "widget", VFY_MOD_LTA, "page %zu: signature widget added (object %u)",
            x->npages, pnum);
    return 1;
}

static int is_page(const pdf_obj *n)
{
    return pdf_is_name(pdf_dict_get(n, "Type"), "Page") ||
           (pdf_dict_get(n, "Kids") == NULL && !pdf_is_name(pdf_dict_get(n, "Type"), "Pages"));
}

static size_t count_pages(pdf_doc *d)
{
    size_t n = 0;
    sertel_err e = {0};

    return pdf_page_count(d, &n, &e) == SERTEL_OK ? n : 0;
}

/* The page tree node oref of the signed revision and its counterpart nref, and their subtrees. */
static int walk_pages(diff *x, uint8_t *seen, const pdf_obj *oref, const pdf_obj *nref,
                      uint32_t nparent, const pdf_obj *oinh, const pdf_obj *ninh, int depth)
{
    static const char *const node_skip[] = {"Kids", "Parent", NULL};
    static const char *const page_skip[] = {"Annots", "Resources", "Parent", NULL};
    uint32_t on = ref_num(oref), nn = ref_num(nref);
    const pdf_obj *o = ores(x, oref), *n = nres(x, nref);
    const char *key = NULL;
    size_t i;

    /* A node reached again as the same object, unchanged or written again with
     * the same value (a page tree with a cycle in the signed revision
     * already): compared the first time. */
    if (on != 0 && on == nn && on < x->od->nxref && seen[on] &&
        (!changed(x, on) || (is_dict(o) && is_dict(n) && eq(x, o, n, 0))))
        return 1;
    /* A node may be direct (a page dictionary written inside /Kids) in both
     * revisions: it is then part of its parent, compared as any node. */
    if (depth > PDF_MAX_DEPTH || x->npages >= MAX_PAGES || (on == 0) != (nn == 0) ||
        on >= x->od->nxref || (on != 0 && seen[on]) || !is_dict(o) || !is_dict(n)) {
        MOD(x, nn, "page_tree", VFY_MOD_OTHER, "the page tree changed or is damaged (object %u)",
            nn);
        return 0;
    }
    if (on != 0)
        seen[on] = 1;
    if (nn != on && !is_new(x, nn)) {
        MOD(x, nn, "page_tree", VFY_MOD_OTHER,
            "the page tree now uses object %u of the signed revision, rewritten", nn);
        return 0;
    }
    if (nparent != 0 && ref_num(pdf_dict_get(n, "Parent")) != nparent &&
        !eq(x, pdf_dict_get(o, "Parent"), pdf_dict_get(n, "Parent"), 0)) {
        MOD(x, nn, "page_tree", VFY_MOD_OTHER, "the page tree changed: /Parent (object %u)", nn);
        return 0;
    }
    if (!is_page(o)) {
        const pdf_obj *ok = ores(x, pdf_dict_get(o, "Kids")),
                      *nk = nres(x, pdf_dict_get(n, "Kids"));
        const pdf_obj *ores2 = pdf_dict_get(o, "Resources"), *nres2 = pdf_dict_get(n, "Resources");
        if (ok == NULL || nk == NULL || ok->type != PDF_ARRAY || nk->type != PDF_ARRAY ||
            ok->u.arr.n != nk->u.arr.n ||
            !eq(x, pdf_dict_get(o, "Count"), pdf_dict_get(n, "Count"), 0)) {
            MOD(x, nn, "page_count", VFY_MOD_OTHER, "page count changed from %zu to %zu",
                count_pages(x->od), count_pages(x->nd));
            judge(x, nn);
            return 0;
        }
        if (!dict_eq_except(x, o, n, node_skip, &key, 0)) {
            MOD(x, nn, "page_tree", VFY_MOD_OTHER, "the page tree changed: /%s (object %u)",
                key ? key : "?", nn);
            judge(x, nn);
            return 0;
        }
        if (!approve(x, pdf_dict_get(o, "Kids"), pdf_dict_get(n, "Kids"), VFY_MOD_LTA, 0,
                     "the page tree's /Kids"))
            return 0;
        for (i = 0; i < ok->u.arr.n; i++)
            if (!walk_pages(x, seen, ok->u.arr.items[i], nk->u.arr.items[i], nn,
                            ores2 != NULL ? ores2 : oinh, nres2 != NULL ? nres2 : ninh, depth + 1))
                return 0;
        explain(x, nn, VFY_MOD_LTA);
        return 1;
    }
    x->npages++;
    page_contents(x, o);
    if (!dict_eq_except(x, o, n, page_skip, &key, 0)) {
        MOD(x, nn, "page", VFY_MOD_OTHER, "page %zu changed: /%s (object %u)", x->npages,
            key ? key : "?", nn);
        judge(x, nn);
        return 1; /* the other pages are still looked at */
    }
    {
        const pdf_obj *orr = pdf_dict_get(o, "Resources"), *nrr = pdf_dict_get(n, "Resources");
        if (orr == NULL)
            orr = oinh;
        if (nrr == NULL)
            nrr = ninh;
        int same = eq(x, orr, nrr, 0);
        if ((!same || (changed(x, ref_num(nrr)) && x->lvl[ref_num(nrr)] == LVL_UNEXPLAINED)) &&
            !resources_rule(x, o, nn, orr, nrr)) {
            judge(x, nn);
            return 1;
        }
    }
    if (!annots_rule(x, o, n, nn)) {
        judge(x, nn);
        return 1;
    }
    explain(x, nn, VFY_MOD_LTA);
    if (nn != on)
        MOD(x, nn, "page", VFY_MOD_LTA, "page %zu rewritten as object %u", x->npages, nn);
    return 1;
}

static void pages_rule(diff *x, const pdf_obj *ocat, const pdf_obj *ncat)
{
    uint8_t *seen = calloc(x->od->nxref + 1, 1);

    if (seen == NULL)
        return;
    (void)walk_pages(x, seen, pdf_dict_get(ocat, "Pages"), pdf_dict_get(ncat, "Pages"), 0, NULL,
                     NULL, 0);
    free(seen);
}

/* --- catalog and trailer --- */

static void catalog_rule(diff *x)
{
    static const char *const exempt[] = {"AcroForm", "DSS",     "Extensions", "Metadata",
                                         "MarkInfo", "Version", NULL};
    static const char *const kept[] = {"Extensions", "Metadata", "MarkInfo", "Version", NULL};
    const pdf_obj *ocat = NULL, *ncat = NULL, *ov, *nv;
    uint32_t onum = 0, nnum = 0;
    uint16_t g;
    const char *key = NULL;
    sertel_err e = {0};
    int same = 1;
    size_t i;

    if (pdf_catalog(x->od, &ocat, &onum, &g, &e) != SERTEL_OK ||
        pdf_catalog(x->nd, &ncat, &nnum, &g, &e) != SERTEL_OK) {
        MOD(x, 0, "catalog", VFY_MOD_OTHER, "the document catalog cannot be read");
        return;
    }
    if (nnum != onum && !is_new(x, nnum)) {
        MOD(x, nnum, "catalog", VFY_MOD_OTHER, "the document catalog was replaced");
        judge(x, nnum);
        return;
    }
    if (!dict_eq_except(x, ocat, ncat, exempt, &key, 0)) {
        MOD(x, nnum, "catalog", VFY_MOD_OTHER, "catalog changed: /%s (object %u)", key ? key : "?",
            nnum);
        judge(x, nnum);
        same = 0;
    } else {
        explain(x, nnum, VFY_MOD_LTA);
        if (nnum != onum)
            MOD(x, nnum, "catalog", VFY_MOD_LTA, "catalog rewritten as object %u", nnum);
    }
    for (i = 0; kept[i]; i++) {
        ov = pdf_dict_get(ocat, kept[i]);
        nv = pdf_dict_get(ncat, kept[i]);
        if (ov != NULL && nv == NULL) {
            MOD(x, nnum, "catalog", VFY_MOD_OTHER, "catalog changed: /%s removed (object %u)",
                kept[i], nnum);
            continue;
        }
        if (eq(x, ov, nv, 0) && !changed(x, ref_num(nv)))
            continue;
        if (i == 3) {
            const pdf_obj *v = nres(x, nv);
            if (v == NULL || v->type != PDF_NAME)
                MOD(x, nnum, "catalog", VFY_MOD_OTHER,
                    "catalog: /Version is not a name (object %u)", nnum);
            else
                MOD(x, nnum, "catalog", VFY_MOD_LTA, "catalog: /Version set to %.16s (object %u)",
                    v->u.str.p, nnum);
        } else if (i == 1) {
            const pdf_obj *m = nres(x, nv);
            if (nv->type != PDF_REF || m == NULL || m->type != PDF_STREAM)
                MOD(x, nnum, "metadata", VFY_MOD_OTHER,
                    "catalog: /Metadata is not a metadata stream (object %u)", nnum);
            else if (approve(x, ov, nv, VFY_MOD_LTA, A_STREAM | A_DEPS,
                             "the document metadata (/Metadata)"))
                MOD(x, ref_num(nv), "metadata", VFY_MOD_LTA,
                    "document metadata (XMP) updated (object %u)", ref_num(nv));
        } else if (!is_dict(nres(x, nv))) {
            MOD(x, nnum, "catalog", VFY_MOD_OTHER, "catalog: /%s is not a dictionary (object %u)",
                kept[i], nnum);
        } else if (approve(x, ov, nv, VFY_MOD_LTA, A_DEPS,
                           i == 0 ? "the catalog's /Extensions" : "the catalog's /MarkInfo")) {
            MOD(x, ref_num(nv) ? ref_num(nv) : nnum, "catalog", VFY_MOD_LTA,
                "catalog: /%s updated (object %u)", kept[i], ref_num(nv) ? ref_num(nv) : nnum);
        }
    }
    dss_rule(x, ocat, ncat);
    form_rule(x, ocat, ncat);
    if (same)
        pages_rule(x, ocat, ncat);
}

static void trailer_rule(diff *x)
{
    const pdf_obj *oi = x->od->t_info, *ni = x->nd->t_info;

    if (ni != NULL && (!eq(x, oi, ni, 0) || changed(x, ref_num(ni))) &&
        approve(x, oi, ni, VFY_MOD_LTA, A_DEPS, "the document information (/Info)"))
        MOD(x, ref_num(ni), "document_info", VFY_MOD_LTA,
            "document information updated (object %u)", ref_num(ni));
    if (!eq(x, x->od->t_encrypt, x->nd->t_encrypt, 0))
        MOD(x, 0, "encryption", VFY_MOD_OTHER, "the encryption (/Encrypt) was changed");
}

/* --- what no rule explained --- */

static void mark_reach(diff *x, uint32_t num, void *arg)
{
    worklist *w = arg;
    vfy_docdiff *dd = x->dd;

    if (num == 0 || num >= dd->nreach || dd->reach[num])
        return;
    dd->reach[num] = 1;
    if (w->n == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 256;
        uint32_t *nv = realloc(w->v, nc * sizeof(*nv));
        if (nv == NULL)
            return;
        w->v = nv;
        w->cap = nc;
    }
    w->v[w->n++] = num;
}

/* Which objects the final document uses (from its trailer), once per document. */
static void reachability(diff *x)
{
    vfy_docdiff *dd = x->dd;
    worklist w = {NULL, 0, 0, 0};

    if (dd->reach != NULL)
        return;
    dd->nreach = x->nd->nxref;
    dd->reach = calloc(dd->nreach + 1, 1);
    if (dd->reach == NULL)
        return;
    each_ref(x, pdf_trailer(x->nd), 0, mark_reach, &w);
    each_ref(x, x->nd->t_root, 0, mark_reach, &w);
    each_ref(x, x->nd->t_info, 0, mark_reach, &w);
    while (w.n > 0)
        each_ref(x, load(x->nd, w.v[--w.n]), 0, mark_reach, &w);
    free(w.v);
}

/* num is not reachable from the final document's trailer: no reader uses it. */
static int unreachable(diff *x, uint32_t num)
{
    reachability(x);
    return x->dd->reach != NULL && num < x->dd->nreach && !x->dd->reach[num];
}

static void sweep(diff *x)
{
    uint32_t num, first_unused = 0;
    size_t unused = 0, i;

    for (num = 1; num < x->n; num++) {
        if (x->ch[num] == CH_SAME || x->lvl[num] != LVL_UNEXPLAINED)
            continue;
        /* Objects the final document does not use (new, or redefined after
         * whatever referred to them was changed to refer elsewhere: a DSS
         * replaced by a new one); the change of the referrer is judged. */
        if (x->ch[num] != CH_FREED && unreachable(x, num)) {
            x->lvl[num] = VFY_MOD_LTA;
            if (unused++ == 0)
                first_unused = num;
            continue;
        }
        if (x->ch[num] == CH_FREED) {
            MOD(x, num, "deleted", VFY_MOD_OTHER, "object %u deleted", num);
        } else if (x->ch[num] == CH_REDEF) {
            const pdf_obj *a = load(x->od, num), *b = load(x->nd, num);
            for (i = 0; i < x->ncontent && x->content[i] != num; i++)
                ;
            if (b == NULL)
                MOD(x, num, "object", VFY_MOD_OTHER, "object %u was redefined and cannot be read",
                    num);
            else if (i < x->ncontent)
                MOD(x, num, "page_content", VFY_MOD_OTHER,
                    "content of page %zu changed (object %u)", x->content_page[i], num);
            else
                MOD(x, num, "object", VFY_MOD_OTHER, "%s changed (object %u)", type_name(a), num);
        } else {
            if (x->refs[num] > 0)
                MOD(x, num, "shadow", VFY_MOD_OTHER,
                    "object %u, which the signed revision referred to while it did not exist, was "
                    "defined later (shadow attack)",
                    num);
            else
                MOD(x, num, "object", VFY_MOD_OTHER,
                    "new object %u (%s) that no permitted change explains", num,
                    type_name(load(x->nd, num)));
        }
        judge(x, num);
    }
    if (unused)
        MOD(x, first_unused, "unused_objects", VFY_MOD_LTA,
            "objects the document does not use (cross-reference or object streams, replaced "
            "objects): %zu",
            unused);
    if (x->rewritten)
        MOD(x, 0, "rewritten", VFY_MOD_NONE, "objects written again unchanged: %zu", x->rewritten);
}

/* --- the analysis of one signature --- */

static int same_entry(const xref_entry *a, const xref_entry *b)
{
    return a->type == b->type && (a->type == 0 || (a->off == b->off && a->idx == b->idx));
}

/* The DocMDP permissions as the highest level they allow (an approval signature: annotations). */
static int allowed_level(int p)
{
    return p == 1 ? VFY_MOD_LTA : p == 2 ? VFY_MOD_FORM : VFY_MOD_ANNOT;
}

/* The changes into the report: permitted ones and those the certification or a lock forbids. */
static void conclude(diff *x)
{
    vfy_sig *s = x->s;
    int allowed = allowed_level(x->p), reported = 0;
    size_t i;

    for (i = 0; i < s->n_mods; i++) {
        vfy_mod *m = &s->mods[i];
        m->permitted = m->level != VFY_MOD_OTHER && (int)m->level <= allowed;
        if (m->permitted) {
            vfy_change(s, 1, "%s", m->detail);
        } else {
            reported = 1;
            if (x->p && strcmp(m->kind, "locked_field") != 0)
                vfy_change(s, 0, "not permitted by the certification (DocMDP P=%d): %s", x->p,
                           m->detail);
            else
                vfy_change(s, 0, "%s", m->detail);
        }
    }
    if (!reported && (x->worst == VFY_MOD_OTHER || x->worst > allowed))
        vfy_change(s, 0, "more changes than the report lists, one of them not permitted");
    s->modification_level = (vfy_modlevel)(x->worst > VFY_MOD_LTA ? x->worst : VFY_MOD_LTA);
    s->changes_analysed = 1;
}

void vfy_analyse_changes(pdf_doc *d, vfy_docdiff *dd, int p, const vfy_lock *locks, size_t nlocks,
                         vfy_sig *s)
{
    diff *x = calloc(1, sizeof(*x));
    sertel_err e = {0};
    uint32_t num;
    size_t i;
    int rc;

    if (x == NULL) {
        vfy_change(s, 0, "out of memory");
        return;
    }
    x->nd = d;
    x->dd = dd;
    x->s = s;
    x->p = p;
    x->locks = locks;
    x->nlocks = nlocks;
    rc = pdf_open_prefix(d, (size_t)s->revision_end, dd->password, dd->raw, &x->od, &e);
    if (rc != SERTEL_OK) {
        MOD(x, 0, "unreadable", VFY_MOD_OTHER, "the signed revision cannot be read on its own: %s",
            e.msg);
        goto out;
    }
    x->n = x->od->nxref > d->nxref ? x->od->nxref : d->nxref;
    x->ch = calloc(x->n + 1, 1);
    x->lvl = malloc(x->n + 1);
    x->refs = calloc(x->n + 1, sizeof(*x->refs));
    if (x->ch == NULL || x->lvl == NULL || x->refs == NULL) {
        MOD(x, 0, "unreadable", VFY_MOD_OTHER, "out of memory");
        goto out;
    }
    memset(x->lvl, LVL_UNEXPLAINED, x->n + 1);
    for (num = 1; num < x->n; num++) {
        static const xref_entry none = {0};
        const xref_entry *fe = num < d->nxref ? &d->xref[num] : &none;
        const xref_entry *oe = num < x->od->nxref ? &x->od->xref[num] : &none;
        if (same_entry(fe, oe))
            continue;
        x->ch[num] = fe->type == 0 ? CH_FREED : oe->type == 0 ? CH_NEW : CH_REDEF;
    }
    count_refs(x);
    for (i = 0; i < dd->ndups; i++)
        if (dd->dups[i].rev_end > s->revision_end)
            MOD(x, dd->dups[i].num, "duplicate", VFY_MOD_OTHER,
                "object %u is defined twice in a revision after this signature: readers may "
                "disagree on which definition counts (object collision)",
                dd->dups[i].num);
    /* objects written again with the same value change nothing */
    for (num = 1; num < x->n; num++) {
        const pdf_obj *a, *b;
        if (x->ch[num] != CH_REDEF || (a = load(x->od, num)) == NULL ||
            (b = load(d, num)) == NULL || !eq(x, a, b, 0))
            continue;
        x->lvl[num] = VFY_MOD_NONE;
        x->rewritten++;
    }
    trailer_rule(x);
    catalog_rule(x);
    sweep(x);
out:
    conclude(x);
    pdf_close(x->od);
    free(x->ch);
    free(x->lvl);
    free(x->refs);
    free(x->content);
    free(x->content_page);
    free(x);
}

void vfy_docdiff_free(vfy_docdiff *dd)
{
    free(dd->reach);
    free(dd->dups);
    memset(dd, 0, sizeof(*dd));
}

/* --- FieldMDP locks (ISO 32000-1 §12.8.2.4, Table 233 /Lock, Table 256) --- */

static void add_lock(pdf_doc *d, const pdf_obj *lk, vfy_lock *out, size_t *n)
{
    const pdf_obj *a = pdf_resolve(d, pdf_dict_get(lk, "Action"));
    const char *act = pdf_is_name(a, "All")       ? "All"
                      : pdf_is_name(a, "Include") ? "Include"
                      : pdf_is_name(a, "Exclude") ? "Exclude"
                                                  : "All"; /* unreadable: the strictest */
    if (*n < VFY_MAX_LOCKS) {
        out[*n].action = act;
        out[*n].fields = pdf_dict_get(lk, "Fields");
        (*n)++;
    }
}

size_t vfy_load_locks(pdf_doc *d, const pdf_obj *field, const pdf_obj *sigv, vfy_lock *out)
{
    const pdf_obj *v = pdf_resolve(d, sigv), *lk, *refs;
    size_t i, n = 0;

    lk = field != NULL ? pdf_resolve(d, pdf_dict_get(field, "Lock")) : NULL;
    if (is_dict(lk))
        add_lock(d, lk, out, &n);
    refs = is_dict(v) ? pdf_resolve(d, pdf_dict_get(v, "Reference")) : NULL;
    for (i = 0; refs != NULL && refs->type == PDF_ARRAY && i < refs->u.arr.n && i < 16; i++) {
        const pdf_obj *r = pdf_resolve(d, refs->u.arr.items[i]), *tp;
        if (!is_dict(r) ||
            !pdf_is_name(pdf_resolve(d, pdf_dict_get(r, "TransformMethod")), "FieldMDP"))
            continue;
        tp = pdf_resolve(d, pdf_dict_get(r, "TransformParams"));
        if (is_dict(tp))
            add_lock(d, tp, out, &n);
    }
    return n;
}
