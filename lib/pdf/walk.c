/*
 * walk.c - every object a PDF holds, not only those its newest revision
 * reaches (pdf_walk, pdf.h), for content policies such as the upload
 * checks: ISO 32000-1 §7.5.6 (incremental updates keep every earlier
 * revision's objects in the file), §7.5.7 (object streams), §7.5.4 and
 * §7.5.8 (cross-reference tables and streams).
 *
 * Objects are found three ways and read once per place: every in-use entry
 * of every cross-reference section along /Prev (so also the versions later
 * revisions replaced), a scan of the whole file for "N G obj" headers (what
 * a viewer rebuilding a damaged file would find, and objects no section
 * lists), and every member of every object stream found by the first two
 * (also object streams a newer revision replaced). The bytes of the file
 * and of each object stream's decoded data that no object read covers are
 * handed over as well, so that nothing in the file escapes the policy.
 */
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_int.h"

#define WALK_MAX_ITEMS 1000000u /* objects read in one walk, all places together */
#define WALK_MAX_MISSES 100u    /* "N G obj" scan hits that are no object */
#define WALK_PARSE_FACTOR 8u    /* bytes parsed per byte of file and object stream data */

typedef struct loc {
    uint64_t off;
    uint32_t num;
    uint16_t gen;
    uint16_t oldest; /* oldest section listing this offset (1 = newest); 0: none */
} loc;

typedef struct span {
    uint64_t start, end;
} span;

typedef struct trailer_at {
    const pdf_obj *dict;
    uint64_t off;
    unsigned section;
} trailer_at;

typedef struct walk {
    pdf_doc *d;
    pdf_walk_fn fn;
    void *ctx;
    uint64_t objstm_max;
    loc *locs;
    size_t nlocs, caplocs;
    trailer_at *trailers;
    size_t ntrailers, captrailers;
    unsigned nsections;
    size_t items;
    uint64_t parsed;       /* bytes the parser went over, all objects together */
    uint64_t objstm_bytes; /* decoded object stream data, all together */
    unsigned misses;       /* scan hits that were no object */
} walk;

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    void *np;
    size_t nc = *cap ? *cap : 64;

    if (need <= *cap)
        return 0;
    while (nc < need)
        nc *= 2;
    np = realloc(*p, nc * size);
    if (np == NULL)
        return -1;
    *p = np;
    *cap = nc;
    return 0;
}

static int add_loc(walk *w, uint64_t off, uint32_t num, uint16_t gen, unsigned section,
                   sertel_err *err)
{
    loc *l;

    if (grow((void **)&w->locs, &w->caplocs, w->nlocs + 1, sizeof(*w->locs)) != 0)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    l = &w->locs[w->nlocs++];
    l->off = off;
    l->num = num;
    l->gen = gen;
    l->oldest = (uint16_t)section;
    return SERTEL_OK;
}

static int on_entry(void *ctx, uint32_t num, int type, uint64_t off, uint64_t idx, unsigned section,
                    sertel_err *err)
{
    walk *w = ctx;

    if (section > w->nsections)
        w->nsections = section;
    if (type != 1 || off == 0 || off >= w->d->len)
        return SERTEL_OK; /* free, or compressed: its object stream is walked */
    return add_loc(w, off, num, (uint16_t)(idx > 65535 ? 65535 : idx), section, err);
}

static int on_trailer(void *ctx, const pdf_obj *t, uint64_t off, unsigned section, sertel_err *err)
{
    walk *w = ctx;

    if (section > w->nsections)
        w->nsections = section;
    if (grow((void **)&w->trailers, &w->captrailers, w->ntrailers + 1, sizeof(*w->trailers)) != 0)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    w->trailers[w->ntrailers].dict = t;
    w->trailers[w->ntrailers].off = off;
    w->trailers[w->ntrailers].section = section;
    w->ntrailers++;
    return SERTEL_OK;
}

static int cmp_loc(const void *a, const void *b)
{
    const loc *x = a, *y = b;

    return x->off < y->off ? -1 : x->off > y->off;
}

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_u64pair(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;

    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Revision 1 is the original document; 0 when no section lists the object. */
static unsigned revision_of(const walk *w, unsigned oldest_section)
{
    return oldest_section == 0 ? 0 : w->nsections - oldest_section + 1;
}

static int call(walk *w, pdf_walk_item *it, sertel_err *err)
{
    it->revisions = w->nsections;
    return w->fn(w->ctx, w->d, it, err);
}

/* Past "endstream" and "endobj" after an object ending at pos, when they are there. */
static size_t object_end(const unsigned char *b, size_t len, size_t pos)
{
    pdf_lexer lx = {b, len, pos};
    const unsigned char *kw;
    size_t n = pdf_lex_word(&lx, &kw);

    if (n == 9 && memcmp(kw, "endstream", 9) == 0) {
        pos = lx.pos;
        n = pdf_lex_word(&lx, &kw);
    }
    if (n == 6 && memcmp(kw, "endobj", 6) == 0)
        pos = lx.pos;
    return pos;
}

/* Hand over the gaps of buf[0..len) that spans[0..n) do not cover. */
static int raw_gaps(walk *w, const unsigned char *buf, size_t len, span *spans, size_t n,
                    uint32_t objstm, unsigned revision, sertel_err *err)
{
    uint64_t at = 0;
    size_t i;
    int rc;

    qsort(spans, n, sizeof(*spans), cmp_span);
    for (i = 0; i <= n; i++) {
        uint64_t start = i < n ? spans[i].start : len;
        if (start > len)
            start = len;
        if (start > at) {
            pdf_walk_item it;
            memset(&it, 0, sizeof(it));
            it.kind = PDF_WALK_RAW;
            it.objstm = objstm;
            it.offset = at;
            it.revision = revision;
            it.raw = buf + at;
            it.raw_len = (size_t)(start - at);
            rc = call(w, &it, err);
            if (rc != SERTEL_OK)
                return rc;
        }
        if (i < n && spans[i].end > at)
            at = spans[i].end;
    }
    return SERTEL_OK;
}

static int too_many(walk *w, sertel_err *err)
{
    if (++w->items <= WALK_MAX_ITEMS)
        return SERTEL_OK;
    return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: it holds more than %u objects",
                          WALK_MAX_ITEMS);
}

/*
 * Objects may overlap (a header inside another object's string), so reading
 * each place once could still cost quadratic time: the bytes the parser goes
 * over are bounded by a multiple of what there is to read. A file that needs
 * more is no honest PDF.
 */
static int parsed(walk *w, uint64_t n, sertel_err *err)
{
    w->parsed += n;
    if (w->parsed <= (uint64_t)WALK_PARSE_FACTOR * (w->d->len + w->objstm_bytes) + (1u << 20))
        return SERTEL_OK;
    return sertel_err_set(err, SERTEL_ERR_INVALID,
                          "damaged PDF: its objects overlap each other many times over");
}

/* The reader's NOMEM when its arena is full is a property of the file: say so. */
static int nomem(const walk *w, const sertel_err *why, sertel_err *err)
{
    if (w->d->arena_total + (1u << 20) >= PDF_MAX_ARENA)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "damaged PDF: its objects need more than %zu MiB of memory to read",
                              PDF_MAX_ARENA >> 20);
    return sertel_err_set(err, SERTEL_ERR_NOMEM, "%s", why->msg);
}

/* The members of object stream o (object num, read at file offset off). */
static int walk_objstm(walk *w, const pdf_obj *o, uint32_t num, uint16_t gen, uint64_t off,
                       unsigned revision, sertel_err *err)
{
    pdf_doc *d = w->d;
    pdf_walk_item it;
    unsigned char *data = NULL;
    uint64_t *offs = NULL, last = UINT64_MAX;
    span *spans = NULL;
    size_t len = 0, nspans = 0, i;
    int64_t n = -1, first = -1;
    sertel_err why = {0};
    int rc;

    memset(&it, 0, sizeof(it));
    it.kind = PDF_WALK_BROKEN;
    it.num = num;
    it.gen = gen;
    it.offset = off;
    it.revision = revision;
    if (pdf_get_int(pdf_resolve(d, pdf_dict_get(o, "N")), &n) != 0 ||
        pdf_get_int(pdf_resolve(d, pdf_dict_get(o, "First")), &first) != 0 ||
        pdf_stream_decode(d, o, (size_t)w->objstm_max, &data, &len, &why) != SERTEL_OK ||
        pdf_objstm_header(data, len, n, first, &offs, &why) != SERTEL_OK) {
        it.why = why.msg[0] ? why.msg : "its /N or /First is missing";
        rc = call(w, &it, err);
        goto out;
    }
    w->objstm_bytes += len;
    if (w->objstm_bytes > w->objstm_max) {
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "damaged PDF: its object streams decode to more than %llu bytes "
                            "together",
                            (unsigned long long)w->objstm_max);
        goto out;
    }
    spans = calloc((size_t)n + 1, sizeof(*spans));
    if (spans == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    spans[nspans].start = 0; /* the offset table */
    spans[nspans++].end = (uint64_t)first;
    /* Each place once, in order (a table may name one offset many times). */
    qsort(offs, (size_t)n, 2 * sizeof(*offs), cmp_u64pair);
    for (i = 0; i < (size_t)n; i++) {
        uint64_t mnum = offs[2 * i], moff = offs[2 * i + 1];
        pdf_lexer lx = {data, len, 0};
        pdf_obj *m = NULL;
        if (moff == last)
            continue;
        last = moff;
        if ((rc = too_many(w, err)) != SERTEL_OK)
            goto out;
        memset(&it, 0, sizeof(it));
        it.num = (uint32_t)(mnum < PDF_MAX_OBJECTS ? mnum : 0);
        it.objstm = num;
        it.offset = (uint64_t)first + moff;
        it.revision = revision;
        memset(&why, 0, sizeof(why));
        if (moff > len - (size_t)first || mnum == 0 || mnum >= PDF_MAX_OBJECTS) {
            it.kind = PDF_WALK_BROKEN;
            it.why = "its object stream gives it a place outside the stream";
        } else {
            lx.pos = (size_t)it.offset;
            if (pdf_parse_obj(d, &lx, 0, &m, &why) != SERTEL_OK) {
                it.kind = PDF_WALK_BROKEN;
                it.why = why.msg;
            } else {
                it.kind = PDF_WALK_OBJECT;
                it.obj = m;
                spans[nspans].start = it.offset;
                spans[nspans++].end = lx.pos;
                if ((rc = parsed(w, lx.pos - it.offset, err)) != SERTEL_OK)
                    goto out;
            }
        }
        if (why.code == SERTEL_ERR_NOMEM) {
            rc = nomem(w, &why, err);
            goto out;
        }
        rc = call(w, &it, err);
        if (rc != SERTEL_OK)
            goto out;
    }
    rc = raw_gaps(w, data, len, spans, nspans, num, revision, err);
out:
    free(spans);
    free(offs);
    free(data);
    return rc;
}

/* Read the object at l->off; hand it (or why it cannot be read) over. */
static int walk_at(walk *w, const loc *l, span *sp, int *covered, sertel_err *err)
{
    pdf_doc *d = w->d;
    pdf_lexer lx = {d->buf, d->len, (size_t)l->off};
    pdf_walk_item it;
    pdf_obj *o = NULL;
    uint32_t num = 0;
    uint16_t gen = 0;
    sertel_err why = {0};
    int rc;

    *covered = 0;
    memset(&it, 0, sizeof(it));
    it.offset = l->off;
    it.num = l->num;
    it.gen = l->gen;
    it.revision = revision_of(w, l->oldest);
    rc = pdf_parse_indirect(d, &lx, UINT32_MAX, &o, &num, &gen, &why);
    if (rc == SERTEL_OK && d->crypt != NULL)
        rc = pdf_crypt_loaded(d, o, num, gen, &why);
    if (rc == SERTEL_ERR_NOMEM)
        return nomem(w, &why, err);
    if (rc != SERTEL_OK) {
        if (l->oldest == 0 && ++w->misses <= WALK_MAX_MISSES)
            return SERTEL_OK; /* a scan hit that is no object: its bytes stay raw */
        if (l->oldest == 0)
            return sertel_err_set(err, SERTEL_ERR_INVALID,
                                  "damaged PDF: more than %u object headers in it lead to no "
                                  "object",
                                  WALK_MAX_MISSES);
        it.kind = PDF_WALK_BROKEN;
        it.why = why.msg;
        return call(w, &it, err);
    }
    it.kind = PDF_WALK_OBJECT;
    it.num = num;
    it.gen = gen;
    it.obj = o;
    sp->start = l->off;
    sp->end = object_end(d->buf, d->len, lx.pos);
    *covered = 1;
    if ((rc = parsed(w, lx.pos - l->off, err)) != SERTEL_OK)
        return rc;
    rc = call(w, &it, err);
    if (rc == SERTEL_OK && o->type == PDF_STREAM &&
        pdf_is_name(pdf_resolve(d, pdf_dict_get(o, "Type")), "ObjStm"))
        rc = walk_objstm(w, o, num, gen, l->off, it.revision, err);
    return rc;
}

int pdf_walk(pdf_doc *d, uint64_t objstm_max, pdf_walk_fn fn, void *ctx, sertel_err *err)
{
    pdf_xref_visitor v;
    walk w;
    span *spans = NULL;
    size_t pos = 0, hdr, i, j, nspans = 0;
    uint32_t num;
    uint16_t gen;
    int rc = SERTEL_OK;

    memset(&w, 0, sizeof(w));
    w.d = d;
    w.fn = fn;
    w.ctx = ctx;
    w.objstm_max = objstm_max;
    if (!d->recovered) {
        v.entry = on_entry;
        v.trailer = on_trailer;
        v.ctx = &w;
        rc = pdf_xref_visit(d, &v, err);
        if (rc != SERTEL_OK)
            goto out;
    }
    while (pdf_next_obj_header(d->buf, d->len, &pos, &hdr, &num, &gen) == 0)
        if ((rc = add_loc(&w, hdr, num, gen, 0, err)) != SERTEL_OK)
            goto out;
    /* One place once: sections may list an unchanged object again, the scan finds it too. */
    qsort(w.locs, w.nlocs, sizeof(*w.locs), cmp_loc);
    for (i = 0, j = 0; i < w.nlocs; i++) {
        if (j > 0 && w.locs[j - 1].off == w.locs[i].off) {
            if (w.locs[i].oldest > w.locs[j - 1].oldest)
                w.locs[j - 1].oldest = w.locs[i].oldest;
            continue;
        }
        w.locs[j++] = w.locs[i];
    }
    w.nlocs = j;
    spans = calloc(w.nlocs + 1, sizeof(*spans));
    if (spans == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < w.ntrailers; i++) {
        pdf_walk_item it;
        memset(&it, 0, sizeof(it));
        it.kind = PDF_WALK_TRAILER;
        it.offset = w.trailers[i].off;
        it.revision = revision_of(&w, w.trailers[i].section);
        it.obj = w.trailers[i].dict;
        if ((rc = call(&w, &it, err)) != SERTEL_OK)
            goto out;
    }
    for (i = 0; i < w.nlocs; i++) {
        int covered;
        if ((rc = too_many(&w, err)) != SERTEL_OK ||
            (rc = walk_at(&w, &w.locs[i], &spans[nspans], &covered, err)) != SERTEL_OK)
            goto out;
        nspans += (size_t)covered;
    }
    rc = raw_gaps(&w, d->buf, d->len, spans, nspans, 0, 0, err);
out:
    free(spans);
    free(w.locs);
    free(w.trailers);
    return rc;
}
