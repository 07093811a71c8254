/*
 * xref.c - the cross-reference (ISO 32000-1 §7.5.4-§7.5.8): classic
 * tables, cross-reference streams (with PNG predictors), hybrid files
 * (/XRefStm, §7.5.8.4), revisions chained by /Prev (loop-checked, at most
 * PDF_MAX_SECTIONS), object streams (§7.5.7, a small LRU cache of decoded
 * streams), and a recovery scan for "N G obj" headers when the
 * cross-reference is damaged.
 *
 * Newest wins: sections are read from startxref backwards and an entry
 * is decided by the first section that mentions it; in a hybrid file the
 * table's free entries may be replaced by its /XRefStm stream.
 */
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_int.h"

static int bad(sertel_err *err, const char *what)
{
    return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: %s", what);
}

static int grow(pdf_doc *d, uint32_t num, sertel_err *err)
{
    uint32_t nc;
    xref_entry *nx;
    pdf_obj **nco;

    if (num < d->nxref)
        return SERTEL_OK;
    if (num >= PDF_MAX_OBJECTS)
        return bad(err, "object number too large");
    nc = d->nxref ? d->nxref : 64;
    while (nc <= num)
        nc = nc > PDF_MAX_OBJECTS / 2 ? PDF_MAX_OBJECTS : nc * 2;
    nx = realloc(d->xref, (size_t)nc * sizeof(*nx));
    if (nx == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    memset(nx + d->nxref, 0, (size_t)(nc - d->nxref) * sizeof(*nx));
    d->xref = nx;
    nco = realloc(d->objcache, (size_t)nc * sizeof(*nco));
    if (nco == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    memset(nco + d->nxref, 0, (size_t)(nc - d->nxref) * sizeof(*nco));
    d->objcache = nco;
    d->nxref = nc;
    return SERTEL_OK;
}

static int set_entry(pdf_doc *d, uint64_t num, int type, uint64_t off, uint64_t idx, uint16_t sec,
                     int hybrid, sertel_err *err)
{
    xref_entry *e;
    int rc;

    if (num >= PDF_MAX_OBJECTS)
        return bad(err, "object number too large in the cross-reference");
    rc = grow(d, (uint32_t)num, err);
    if (rc != SERTEL_OK)
        return rc;
    e = &d->xref[num];
    if (e->set && !(hybrid && e->type == 0 && e->section == sec))
        return SERTEL_OK;
    e->set = 1;
    e->type = (uint8_t)type;
    e->off = off;
    e->idx = (uint32_t)idx;
    e->section = sec;
    if (type != 0 && num + 1 > d->maxnum)
        d->maxnum = (uint32_t)num + 1;
    return SERTEL_OK;
}

/* An entry of a section: into the document's cross-reference, or to a visitor. */
static int emit(pdf_doc *d, const pdf_xref_visitor *v, uint64_t num, int type, uint64_t off,
                uint64_t idx, uint16_t sec, int hybrid, sertel_err *err)
{
    if (v == NULL)
        return set_entry(d, num, type, off, idx, sec, hybrid, err);
    if (num >= PDF_MAX_OBJECTS)
        return bad(err, "object number too large in the cross-reference");
    return v->entry(v->ctx, (uint32_t)num, type, off, idx, sec, err);
}

static void take_trailer(pdf_doc *d, pdf_obj *t)
{
    int64_t sz;

    if (d->trailer == NULL)
        d->trailer = t;
    if (d->t_root == NULL)
        d->t_root = pdf_dict_get(t, "Root");
    if (d->t_info == NULL)
        d->t_info = pdf_dict_get(t, "Info");
    if (d->t_id == NULL)
        d->t_id = pdf_dict_get(t, "ID");
    if (d->t_encrypt == NULL)
        d->t_encrypt = pdf_dict_get(t, "Encrypt");
    if (pdf_get_int(pdf_dict_get(t, "Size"), &sz) == 0 && sz > d->t_size)
        d->t_size = sz;
}

static int read_table(pdf_doc *d, const pdf_xref_visitor *v, pdf_lexer *lx, uint16_t sec,
                      pdf_obj **trailer, sertel_err *err)
{
    const unsigned char *w;
    size_t n;
    int rc;

    for (;;) {
        uint64_t start, count, i;
        size_t save;
        pdf_skip_ws(lx);
        save = lx->pos;
        n = pdf_lex_word(lx, &w);
        if (n == 7 && memcmp(w, "trailer", 7) == 0)
            break;
        lx->pos = save;
        if (pdf_lex_uint(lx, &start) != 0 || pdf_lex_uint(lx, &count) != 0)
            return bad(err, "bad cross-reference subsection header");
        /* Each entry takes at least 18 bytes: a count beyond the file is a lie. */
        if (count > (lx->len - lx->pos) / 18 + 1 || start + count > PDF_MAX_OBJECTS)
            return bad(err, "cross-reference subsection larger than the file");
        for (i = 0; i < count; i++) {
            uint64_t off, gen;
            if (pdf_lex_uint(lx, &off) != 0 || pdf_lex_uint(lx, &gen) != 0 ||
                pdf_lex_word(lx, &w) != 1 || (w[0] != 'n' && w[0] != 'f'))
                return bad(err, "bad cross-reference table entry");
            rc = emit(d, v, start + i, w[0] == 'n' && off != 0 ? 1 : 0, off, gen, sec, 0, err);
            if (rc != SERTEL_OK)
                return rc;
        }
    }
    rc = pdf_parse_obj(d, lx, 0, trailer, err);
    if (rc != SERTEL_OK)
        return rc;
    if ((*trailer)->type != PDF_DICT)
        return bad(err, "trailer is not a dictionary");
    return SERTEL_OK;
}

static uint64_t field(const unsigned char *p, int64_t w)
{
    uint64_t v = 0;
    int64_t i;

    for (i = 0; i < w; i++)
        v = v << 8 | p[i];
    return v;
}

/* A cross-reference stream at off (§7.5.8); hybrid: may replace the table's free entries. */
static int read_xref_stream(pdf_doc *d, const pdf_xref_visitor *v, uint64_t off, uint16_t sec,
                            int hybrid, pdf_obj **dict, sertel_err *err)
{
    pdf_lexer lx = {d->buf, d->len, (size_t)off};
    pdf_obj *o;
    const pdf_obj *wo, *io;
    unsigned char *data = NULL;
    size_t dlen = 0, pos = 0, k, npairs;
    int64_t w[3], size = 0, width;
    int rc;

    rc = pdf_parse_indirect(d, &lx, UINT32_MAX, &o, NULL, NULL, err);
    if (rc != SERTEL_OK)
        return rc;
    if (o->type != PDF_STREAM || !pdf_is_name(pdf_dict_get(o, "Type"), "XRef"))
        return bad(err, "startxref points at neither a table nor a cross-reference stream");
    wo = pdf_dict_get(o, "W");
    if (wo == NULL || wo->type != PDF_ARRAY || wo->u.arr.n != 3)
        return bad(err, "cross-reference stream without /W [a b c]");
    for (k = 0; k < 3; k++)
        if (pdf_get_int(wo->u.arr.items[k], &w[k]) != 0 || w[k] < 0 || w[k] > 8)
            return bad(err, "bad /W in a cross-reference stream");
    width = w[0] + w[1] + w[2];
    if (width == 0 || pdf_get_int(pdf_dict_get(o, "Size"), &size) != 0 || size < 0 ||
        size > PDF_MAX_OBJECTS)
        return bad(err, "bad /Size or /W in a cross-reference stream");
    io = pdf_dict_get(o, "Index");
    if (io != NULL && (io->type != PDF_ARRAY || io->u.arr.n % 2 != 0))
        return bad(err, "bad /Index in a cross-reference stream");
    rc = pdf_stream_decode(d, o, PDF_MAX_STREAM, &data, &dlen, err);
    if (rc != SERTEL_OK)
        return rc;
    npairs = io ? io->u.arr.n / 2 : 1;
    for (k = 0; k < npairs; k++) {
        int64_t start = 0, count = size, i;
        if (io && (pdf_get_int(io->u.arr.items[2 * k], &start) != 0 ||
                   pdf_get_int(io->u.arr.items[2 * k + 1], &count) != 0 || start < 0 || count < 0 ||
                   start + count > PDF_MAX_OBJECTS)) {
            rc = bad(err, "bad /Index in a cross-reference stream");
            goto out;
        }
        for (i = 0; i < count; i++) {
            const unsigned char *p = data + pos;
            uint64_t t, f2, f3;
            if (dlen - pos < (size_t)width)
                break; /* short stream: what is there counts */
            t = w[0] ? field(p, w[0]) : 1;
            f2 = field(p + w[0], w[1]);
            f3 = field(p + w[0] + w[1], w[2]);
            pos += (size_t)width;
            if (t > 2)
                continue; /* unknown types are null references */
            rc = emit(d, v, (uint64_t)(start + i), (int)t, f2, f3, sec, hybrid, err);
            if (rc != SERTEL_OK)
                goto out;
        }
    }
    *dict = o;
    rc = SERTEL_OK;
out:
    free(data);
    return rc;
}

/*
 * Read the sections from off along /Prev: into d's cross-reference (v NULL)
 * or, without touching d's cross-reference, to a visitor.
 */
static int read_chain(pdf_doc *d, const pdf_xref_visitor *v, uint64_t off, sertel_err *err)
{
    uint64_t *seen = NULL;
    unsigned n = 0, i;
    int rc = SERTEL_OK;

    seen = calloc(PDF_MAX_SECTIONS, sizeof(*seen));
    if (seen == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    for (;;) {
        pdf_lexer lx = {d->buf, d->len, 0};
        pdf_obj *t = NULL;
        const unsigned char *w;
        int64_t prev, xs;
        int is_table;

        if (off >= d->len) {
            rc = bad(err, "cross-reference offset beyond the end of the file (truncated?)");
            goto out;
        }
        for (i = 0; i < n; i++)
            if (seen[i] == off) {
                rc = bad(err, "the /Prev chain of cross-reference sections loops");
                goto out;
            }
        if (n >= PDF_MAX_SECTIONS) {
            rc = bad(err, "too many cross-reference sections");
            goto out;
        }
        seen[n++] = off;
        lx.pos = (size_t)off;
        is_table = pdf_lex_word(&lx, &w) == 4 && memcmp(w, "xref", 4) == 0;
        if (is_table)
            rc = read_table(d, v, &lx, (uint16_t)n, &t, err);
        else
            rc = read_xref_stream(d, v, off, (uint16_t)n, 0, &t, err);
        if (rc != SERTEL_OK)
            goto out;
        if (v != NULL) {
            rc = v->trailer(v->ctx, t, off, (uint16_t)n, err);
            if (rc != SERTEL_OK)
                goto out;
        } else {
            if (n == 1)
                d->kind = is_table ? PDF_XREF_TABLE : PDF_XREF_STREAM;
            take_trailer(d, t);
            d->nsections++;
        }
        if (is_table && pdf_get_int(pdf_dict_get(t, "XRefStm"), &xs) == 0) {
            pdf_obj *xd;
            if (xs < 0 || (uint64_t)xs >= d->len) {
                rc = bad(err, "/XRefStm offset outside the file");
                goto out;
            }
            rc = read_xref_stream(d, v, (uint64_t)xs, (uint16_t)n, 1, &xd, err);
            if (rc != SERTEL_OK)
                goto out;
            if (v == NULL)
                d->nsections++;
        }
        if (pdf_get_int(pdf_dict_get(t, "Prev"), &prev) != 0)
            break;
        if (prev < 0) {
            rc = bad(err, "negative /Prev");
            goto out;
        }
        off = (uint64_t)prev;
    }
out:
    free(seen);
    return rc;
}

static void reset(pdf_doc *d)
{
    if (d->xref)
        memset(d->xref, 0, (size_t)d->nxref * sizeof(*d->xref));
    if (d->objcache)
        memset(d->objcache, 0, (size_t)d->nxref * sizeof(*d->objcache));
    d->maxnum = 0;
    d->trailer = NULL;
    d->t_root = d->t_info = d->t_id = d->t_encrypt = NULL;
    d->t_size = 0;
    d->nsections = 0;
}

/* Does the trailer's /Root lead to a catalog? */
static int root_ok(pdf_doc *d)
{
    const pdf_obj *r = d->t_root ? pdf_resolve(d, d->t_root) : NULL;
    return r != NULL && r->type == PDF_DICT && d->t_root->type == PDF_REF &&
           pdf_dict_get(r, "Pages") != NULL;
}

int pdf_objstm_index(pdf_doc *d, uint32_t stm, sertel_err *err);

int pdf_objstm_header(const unsigned char *data, size_t len, int64_t n, int64_t first,
                      uint64_t **offs, sertel_err *err)
{
    pdf_lexer lx;
    size_t i;

    *offs = NULL;
    if (n < 0 || n > (int64_t)PDF_MAX_CONTAINER || first < 0 || (uint64_t)first > len ||
        (uint64_t)n * 4 > (uint64_t)first + 4)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: bad object stream header");
    *offs = calloc((size_t)n * 2 + 1, sizeof(uint64_t));
    if (*offs == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    lx.buf = data;
    lx.len = (size_t)first;
    lx.pos = 0;
    for (i = 0; i < (size_t)n * 2; i++)
        if (pdf_lex_uint(&lx, &(*offs)[i]) != 0) {
            free(*offs);
            *offs = NULL;
            return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: bad object stream header");
        }
    return SERTEL_OK;
}

/* §7.5.7: decode an object stream and its offset table into the cache. */
static objstm_cache *objstm_get(pdf_doc *d, uint32_t num, sertel_err *err)
{
    objstm_cache *c = NULL, *victim = &d->cache[0];
    const pdf_obj *s;
    int64_t n, first;
    size_t i;
    int rc;

    for (i = 0; i < OBJSTM_CACHE; i++) {
        if (d->cache[i].data != NULL && d->cache[i].num == num) {
            d->cache[i].used = ++d->tick;
            return &d->cache[i];
        }
        if (d->cache[i].used < victim->used)
            victim = &d->cache[i];
    }
    if (num >= d->nxref || d->xref[num].type != 1) {
        sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: object stream %u is missing", num);
        return NULL;
    }
    rc = pdf_load(d, num, &s, err);
    if (rc != SERTEL_OK)
        return NULL;
    if (s->type != PDF_STREAM || !pdf_is_name(pdf_dict_get(s, "Type"), "ObjStm") ||
        pdf_get_int(pdf_dict_get(s, "N"), &n) != 0 ||
        pdf_get_int(pdf_dict_get(s, "First"), &first) != 0 || n < 0 ||
        n > (int64_t)PDF_MAX_CONTAINER || first < 0) {
        sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: object %u is not an object stream",
                       num);
        return NULL;
    }
    c = victim;
    free(c->data);
    free(c->offs);
    memset(c, 0, sizeof(*c));
    rc = pdf_stream_decode(d, s, PDF_MAX_STREAM, &c->data, &c->len, err);
    if (rc != SERTEL_OK)
        return NULL;
    if (pdf_objstm_header(c->data, c->len, n, first, &c->offs, err) != SERTEL_OK) {
        sertel_err_prefix(err, "object stream %u", num);
        goto fail;
    }
    c->num = num;
    c->first = (size_t)first;
    c->n = (size_t)n;
    c->used = ++d->tick;
    return c;
fail:
    free(c->data);
    free(c->offs);
    memset(c, 0, sizeof(*c));
    return NULL;
}

/* Recovery: register the objects of an object stream the scan found. */
int pdf_objstm_index(pdf_doc *d, uint32_t stm, sertel_err *err)
{
    objstm_cache *c = objstm_get(d, stm, err);
    size_t i;
    int rc;

    if (c == NULL)
        return SERTEL_ERR_INVALID;
    for (i = 0; i < c->n; i++) {
        uint64_t num = c->offs[2 * i];
        if (num == 0 || num >= PDF_MAX_OBJECTS)
            continue; /* object 0 is always the head of the free list */
        rc = grow(d, (uint32_t)num, err);
        if (rc != SERTEL_OK)
            return rc;
        if (d->xref[num].type == 0) {
            d->xref[num].type = 2;
            d->xref[num].off = stm;
            d->xref[num].idx = (uint32_t)i;
            d->xref[num].set = 1;
            if (num + 1 > d->maxnum)
                d->maxnum = (uint32_t)num + 1;
        }
    }
    return SERTEL_OK;
}

void pdf_recover_objstms(pdf_doc *d)
{
    uint32_t i;

    for (i = 0; i < d->maxnum && i < d->nxref; i++) {
        const pdf_obj *o;
        sertel_err ignore = {0};
        if (d->xref[i].type == 1 && pdf_load(d, i, &o, &ignore) == SERTEL_OK &&
            o->type == PDF_STREAM && pdf_is_name(pdf_dict_get(o, "Type"), "ObjStm"))
            (void)pdf_objstm_index(d, i, &ignore);
    }
}

int pdf_next_obj_header(const unsigned char *b, size_t len, size_t *pos, size_t *hdr,
                        uint32_t *num_out, uint16_t *gen_out)
{
    const unsigned char *p = b + *pos, *end = b + len;

    while (p < end && (p = memmem(p, (size_t)(end - p), "obj", 3)) != NULL) {
        const unsigned char *q = p;
        uint64_t num = 0, gen = 0, mul = 1;
        int gd = 0, nd = 0;
        p += 3;
        if (p < end && !pdf_is_ws(*p) && !pdf_is_delim(*p))
            continue;
        if (q == b || !pdf_is_ws(q[-1]))
            continue;
        while (q > b && pdf_is_ws(q[-1]))
            q--;
        while (q > b && q[-1] >= '0' && q[-1] <= '9' && gd < 6) {
            gen += (uint64_t)(q[-1] - '0') * mul;
            mul *= 10;
            q--;
            gd++;
        }
        if (gd == 0 || q == b || !pdf_is_ws(q[-1]))
            continue;
        while (q > b && pdf_is_ws(q[-1]))
            q--;
        mul = 1;
        while (q > b && q[-1] >= '0' && q[-1] <= '9' && nd < 8) {
            num += (uint64_t)(q[-1] - '0') * mul;
            mul *= 10;
            q--;
            nd++;
        }
        if (nd == 0 || (q > b && !pdf_is_ws(q[-1]) && !pdf_is_delim(q[-1])) || num == 0 ||
            num >= PDF_MAX_OBJECTS || gen > 65535)
            continue;
        *pos = (size_t)(p - b);
        *hdr = (size_t)(q - b);
        *num_out = (uint32_t)num;
        *gen_out = (uint16_t)gen;
        return 0;
    }
    *pos = len;
    return -1;
}

/* Scan the whole file for "N G obj" and "trailer" (last definition wins). */
static int recover(pdf_doc *d, sertel_err *err)
{
    const unsigned char *b = d->buf, *p, *end = b + d->len;
    pdf_obj *trailer = NULL;
    size_t pos = 0, hdr;
    uint32_t i, num;
    uint16_t gen;
    int rc;

    reset(d);
    while (pdf_next_obj_header(b, d->len, &pos, &hdr, &num, &gen) == 0) {
        rc = grow(d, num, err);
        if (rc != SERTEL_OK)
            return rc;
        d->xref[num].type = 1;
        d->xref[num].set = 1;
        d->xref[num].off = hdr;
        d->xref[num].idx = gen;
        if (num + 1 > d->maxnum)
            d->maxnum = num + 1;
    }
    for (p = b; p < end && (p = memmem(p, (size_t)(end - p), "trailer", 7)) != NULL;) {
        pdf_lexer lx = {b, d->len, (size_t)(p - b) + 7};
        pdf_obj *t;
        sertel_err ignore = {0};
        p += 7;
        if (pdf_parse_obj(d, &lx, 0, &t, &ignore) == SERTEL_OK && t->type == PDF_DICT &&
            pdf_dict_get(t, "Root") != NULL)
            trailer = t;
    }
    /* Objects in object streams, and a catalog when no trailer survived. */
    for (i = 0; i < d->maxnum && i < d->nxref; i++) {
        const pdf_obj *o;
        sertel_err ignore = {0};
        if (d->xref[i].type != 1 || pdf_load(d, i, &o, &ignore) != SERTEL_OK)
            continue;
        if (o->type == PDF_STREAM && pdf_is_name(pdf_dict_get(o, "Type"), "ObjStm"))
            (void)pdf_objstm_index(d, i, &ignore);
        if (trailer == NULL && o->type == PDF_STREAM &&
            pdf_is_name(pdf_dict_get(o, "Type"), "XRef") && pdf_dict_get(o, "Root") != NULL)
            trailer = (pdf_obj *)o;
    }
    if (trailer != NULL) {
        take_trailer(d, trailer);
    } else {
        for (i = 0; i < d->maxnum && i < d->nxref; i++) {
            const pdf_obj *o;
            sertel_err ignore = {0};
            if (d->xref[i].type != 0 && pdf_load(d, i, &o, &ignore) == SERTEL_OK &&
                o->type == PDF_DICT && pdf_is_name(pdf_dict_get(o, "Type"), "Catalog")) {
                pdf_obj *r = pdf_arena_alloc(d, sizeof(*r));
                if (r == NULL)
                    return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
                r->type = PDF_REF;
                r->u.ref.num = i;
                d->t_root = r;
                break;
            }
        }
    }
    d->recovered = 1;
    d->kind = PDF_XREF_TABLE;
    if (!root_ok(d))
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "damaged PDF beyond recovery: the cross-reference is broken and "
                              "no document catalog was found by scanning the file");
    return SERTEL_OK;
}

int pdf_xref_visit(pdf_doc *d, const pdf_xref_visitor *v, sertel_err *err)
{
    if (d->recovered)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "damaged PDF: its cross-reference sections cannot be read");
    return read_chain(d, v, d->startxref, err);
}

int pdf_read_xref(pdf_doc *d, sertel_err *err)
{
    size_t win = d->len < 4096 ? d->len : 4096, i;
    const unsigned char *sx = NULL;
    pdf_lexer lx = {d->buf, d->len, 0};
    uint64_t off;
    int rc = SERTEL_ERR_INVALID;
    sertel_err first = {0};

    for (i = d->len - win; i + 9 <= d->len; i++)
        if (memcmp(d->buf + i, "startxref", 9) == 0)
            sx = d->buf + i;
    if (sx == NULL) {
        sertel_err_set(&first, SERTEL_ERR_INVALID,
                       "no startxref at the end of the file (truncated?)");
    } else {
        lx.pos = (size_t)(sx - d->buf) + 9;
        if (pdf_lex_uint(&lx, &off) != 0) {
            sertel_err_set(&first, SERTEL_ERR_INVALID, "bad startxref value");
        } else {
            d->startxref = off;
            rc = read_chain(d, NULL, off, &first);
            if (rc == SERTEL_OK && !root_ok(d)) {
                sertel_err_set(&first, SERTEL_ERR_INVALID, "the trailer's /Root is not a catalog");
                rc = SERTEL_ERR_INVALID;
            }
        }
    }
    if (rc == SERTEL_OK)
        return SERTEL_OK;
    if (sx == NULL && memmem(d->buf, d->len, "%%EOF", 5) == NULL && d->len > 0) {
        /* Truncated: without an end there is no revision to append to safely. */
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "truncated PDF: no startxref and no %%%%EOF at the end of the file");
    }
    rc = recover(d, err);
    if (rc != SERTEL_OK)
        sertel_err_prefix(err, "%s, and recovery failed", first.msg);
    return rc;
}

int pdf_load(pdf_doc *d, uint32_t num, const pdf_obj **out, sertel_err *err)
{
    xref_entry *e;
    pdf_obj *o = NULL;
    int rc;

    if (num == 0 || num >= d->nxref || d->xref[num].type == 0)
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND, "object %u does not exist", num);
    if (d->objcache[num] != NULL) {
        *out = d->objcache[num];
        return SERTEL_OK;
    }
    if (d->load_depth >= 8)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "damaged PDF: references nested too deeply while loading object %u",
                              num);
    d->load_depth++;
    e = &d->xref[num];
    if (e->type == 1) {
        pdf_lexer lx = {d->buf, d->len, (size_t)e->off};
        uint16_t gen = 0;
        if (e->off >= d->len)
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "damaged PDF: object %u lies beyond the end of the file", num);
        else
            rc = pdf_parse_indirect(d, &lx, num, &o, NULL, &gen, err);
        /* Objects inside object streams are not decrypted again: their container was. */
        if (rc == SERTEL_OK && d->crypt != NULL)
            rc = pdf_crypt_loaded(d, o, num, gen, err);
    } else {
        objstm_cache *c = objstm_get(d, (uint32_t)e->off, err);
        rc = SERTEL_ERR_INVALID;
        if (c != NULL) {
            uint32_t idx = e->idx;
            if (idx >= c->n || c->offs[2 * idx] != num) {
                rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                    "damaged PDF: object %u is not where its object stream says",
                                    num);
            } else if (c->offs[2 * idx + 1] > c->len - c->first) {
                rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                    "damaged PDF: object %u outside its object stream", num);
            } else {
                pdf_lexer lx = {c->data, c->len, c->first + (size_t)c->offs[2 * idx + 1]};
                rc = pdf_parse_obj(d, &lx, 0, &o, err);
                if (rc == SERTEL_OK && o->type == PDF_STREAM)
                    rc = sertel_err_set(err, SERTEL_ERR_INVALID, "stream in an object stream");
            }
        }
    }
    d->load_depth--;
    if (rc != SERTEL_OK)
        return rc;
    d->objcache[num] = o;
    *out = o;
    return SERTEL_OK;
}

const pdf_obj *pdf_resolve(pdf_doc *d, const pdf_obj *o)
{
    const pdf_obj *r = NULL;
    sertel_err ignore = {0};

    if (o == NULL || o->type != PDF_REF)
        return o;
    if (pdf_load(d, o->u.ref.num, &r, &ignore) != SERTEL_OK)
        return NULL;
    return r;
}
