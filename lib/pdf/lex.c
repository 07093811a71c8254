/*
 * lex.c - PDF lexical conventions and objects (ISO 32000-1 §7.2, §7.3):
 * white space, delimiters, comments, numbers, literal and hexadecimal
 * strings, names with #xx escapes, arrays, dictionaries, indirect
 * references, indirect objects and stream extents; and the writer's
 * inverse (serialisation). Objects live in the document's arena.
 *
 * Bounds: nesting at most PDF_MAX_DEPTH, containers at most
 * PDF_MAX_CONTAINER elements, the arena at most PDF_MAX_ARENA bytes. Every
 * token is scanned once (the "n g R" look-ahead re-reads at most two
 * tokens), so parsing is linear in the input.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_int.h"
#include "util/hex.h"
#include "util/num.h"

struct arena_chunk {
    arena_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void *pdf_arena_alloc(pdf_doc *d, size_t n)
{
    arena_chunk *c = d->arena;
    void *p;

    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        if (d->arena_total + cap > PDF_MAX_ARENA)
            return NULL;
        c = malloc(sizeof(*c) + cap);
        if (c == NULL)
            return NULL;
        c->next = d->arena;
        c->used = 0;
        c->cap = cap;
        d->arena = c;
        d->arena_total += cap;
    }
    p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

void pdf_arena_free_all(pdf_doc *d);
void pdf_arena_free_all(pdf_doc *d)
{
    arena_chunk *c = d->arena, *n;

    while (c != NULL) {
        n = c->next;
        free(c);
        c = n;
    }
    d->arena = NULL;
    d->arena_total = 0;
}

int pdf_is_ws(int c)
{
    return c == 0 || c == 9 || c == 10 || c == 12 || c == 13 || c == 32;
}

int pdf_is_delim(int c)
{
    return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
           c == '}' || c == '/' || c == '%';
}

void pdf_skip_ws(pdf_lexer *lx)
{
    while (lx->pos < lx->len) {
        unsigned char c = lx->buf[lx->pos];
        if (pdf_is_ws(c)) {
            lx->pos++;
        } else if (c == '%') {
            while (lx->pos < lx->len && lx->buf[lx->pos] != '\n' && lx->buf[lx->pos] != '\r')
                lx->pos++;
        } else {
            break;
        }
    }
}

size_t pdf_lex_word(pdf_lexer *lx, const unsigned char **w)
{
    size_t s;

    pdf_skip_ws(lx);
    s = lx->pos;
    while (lx->pos < lx->len && !pdf_is_ws(lx->buf[lx->pos]) && !pdf_is_delim(lx->buf[lx->pos]))
        lx->pos++;
    *w = lx->buf + s;
    return lx->pos - s;
}

int pdf_lex_uint(pdf_lexer *lx, uint64_t *v)
{
    const unsigned char *w;
    size_t n = pdf_lex_word(lx, &w), i;
    uint64_t x = 0;

    if (n == 0 || n > 19)
        return -1;
    for (i = 0; i < n; i++) {
        if (w[i] < '0' || w[i] > '9')
            return -1;
        x = x * 10 + (uint64_t)(w[i] - '0');
    }
    *v = x;
    return 0;
}

int pdf_get_int(const pdf_obj *o, int64_t *v)
{
    if (o == NULL || o->type != PDF_INT)
        return -1;
    *v = o->u.integer;
    return 0;
}

static pdf_obj *new_obj(pdf_doc *d, pdf_type t)
{
    pdf_obj *o = pdf_arena_alloc(d, sizeof(*o));
    if (o != NULL)
        o->type = t;
    return o;
}

static int nomem(sertel_err *err)
{
    return sertel_err_set(err, SERTEL_ERR_NOMEM,
                          "out of memory (or the PDF's structure exceeds %zu MiB)",
                          PDF_MAX_ARENA >> 20);
}

static int bad(sertel_err *err, pdf_lexer *lx, const char *what)
{
    return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: %s near byte %zu", what, lx->pos);
}

/* Literal string (§7.3.4.2): balanced parentheses, escapes, EOL normalisation. */
static int lex_literal(pdf_doc *d, pdf_lexer *lx, pdf_obj **out, sertel_err *err)
{
    size_t start = ++lx->pos, i, depth = 1, n = 0;
    char *s;
    pdf_obj *o;

    for (i = start; i < lx->len; i++) {
        unsigned char c = lx->buf[i];
        if (c == '\\') {
            i++;
        } else if (c == '(') {
            depth++;
        } else if (c == ')' && --depth == 0) {
            break;
        }
    }
    if (i >= lx->len)
        return bad(err, lx, "unterminated string");
    o = new_obj(d, PDF_STRING);
    s = pdf_arena_alloc(d, i - start + 1);
    if (o == NULL || s == NULL)
        return nomem(err);
    for (lx->pos = start; lx->pos < i; lx->pos++) {
        unsigned char c = lx->buf[lx->pos];
        if (c == '\r') {
            s[n++] = '\n';
            if (lx->pos + 1 < i && lx->buf[lx->pos + 1] == '\n')
                lx->pos++;
        } else if (c != '\\') {
            s[n++] = (char)c;
        } else {
            unsigned char e = lx->buf[++lx->pos];
            switch (e) {
            case 'n':
                s[n++] = '\n';
                break;
            case 'r':
                s[n++] = '\r';
                break;
            case 't':
                s[n++] = '\t';
                break;
            case 'b':
                s[n++] = '\b';
                break;
            case 'f':
                s[n++] = '\f';
                break;
            case '\r':
                if (lx->pos + 1 < i && lx->buf[lx->pos + 1] == '\n')
                    lx->pos++;
                break;
            case '\n':
                break;
            default:
                if (e >= '0' && e <= '7') {
                    unsigned v = 0, k;
                    for (k = 0;
                         k < 3 && lx->pos < i && lx->buf[lx->pos] >= '0' && lx->buf[lx->pos] <= '7';
                         k++)
                        v = v * 8 + (unsigned)(lx->buf[lx->pos++] - '0');
                    lx->pos--;
                    s[n++] = (char)(v & 0xff);
                } else {
                    s[n++] = (char)e;
                }
            }
        }
    }
    lx->pos = i + 1;
    o->u.str.p = s;
    o->u.str.len = n;
    *out = o;
    return SERTEL_OK;
}

static int lex_hex(pdf_doc *d, pdf_lexer *lx, pdf_obj **out, sertel_err *err)
{
    size_t start = ++lx->pos, i, n = 0;
    int hi = -1;
    char *s;
    pdf_obj *o;

    for (i = start; i < lx->len && lx->buf[i] != '>'; i++)
        if (!pdf_is_ws(lx->buf[i]) && hex_value(lx->buf[i]) < 0)
            return bad(err, lx, "bad hexadecimal string");
    if (i >= lx->len)
        return bad(err, lx, "unterminated hexadecimal string");
    o = new_obj(d, PDF_STRING);
    s = pdf_arena_alloc(d, (i - start) / 2 + 2);
    if (o == NULL || s == NULL)
        return nomem(err);
    for (; start < i; start++) {
        int v = hex_value(lx->buf[start]);
        if (v < 0)
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            s[n++] = (char)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0)
        s[n++] = (char)(hi << 4);
    lx->pos = i + 1;
    o->u.str.p = s;
    o->u.str.len = n;
    *out = o;
    return SERTEL_OK;
}

static int lex_name(pdf_doc *d, pdf_lexer *lx, pdf_obj **out, sertel_err *err)
{
    size_t start = ++lx->pos, n = 0;
    char *s;
    pdf_obj *o;

    while (lx->pos < lx->len && !pdf_is_ws(lx->buf[lx->pos]) && !pdf_is_delim(lx->buf[lx->pos]))
        lx->pos++;
    o = new_obj(d, PDF_NAME);
    s = pdf_arena_alloc(d, lx->pos - start + 1);
    if (o == NULL || s == NULL)
        return nomem(err);
    for (; start < lx->pos; start++) {
        unsigned char c = lx->buf[start];
        if (c == '#' && start + 2 < lx->pos && hex_value(lx->buf[start + 1]) >= 0 &&
            hex_value(lx->buf[start + 2]) >= 0) {
            s[n++] = (char)(hex_value(lx->buf[start + 1]) << 4 | hex_value(lx->buf[start + 2]));
            start += 2;
        } else {
            s[n++] = (char)c;
        }
    }
    s[n] = 0;
    o->u.str.p = s;
    o->u.str.len = n;
    *out = o;
    return SERTEL_OK;
}

/* A number token: integer (checked range) or real (checked, kept as text). */
static int lex_number(pdf_doc *d, const unsigned char *w, size_t n, pdf_obj **out, sertel_err *err,
                      pdf_lexer *lx)
{
    int dot = memchr(w, '.', n) != NULL;
    int64_t v = 0;
    double real;
    pdf_obj *o;

    if (n > NUM_DECIMAL_MAX_LEN)
        return bad(err, lx, "number too long");
    if (dot ? num_parse_decimal((const char *)w, n, &real) != SERTEL_OK
            : num_parse_i64((const char *)w, n, -INT64_MAX, INT64_MAX, &v) != SERTEL_OK)
        return bad(err, lx, "bad number");
    o = new_obj(d, dot ? PDF_REAL : PDF_INT);
    if (o == NULL)
        return nomem(err);
    if (dot) {
        char *s = pdf_arena_alloc(d, n + 1);
        if (s == NULL)
            return nomem(err);
        memcpy(s, w, n);
        s[n] = '\0';
        o->u.str.p = s;
        o->u.str.len = n;
    } else {
        o->u.integer = v;
    }
    *out = o;
    return SERTEL_OK;
}

double pdf_num(const pdf_obj *o)
{
    double v;

    if (o != NULL && o->type == PDF_INT)
        return (double)o->u.integer;
    if (o != NULL && o->type == PDF_REAL &&
        num_parse_decimal(o->u.str.p, o->u.str.len, &v) == SERTEL_OK)
        return v;
    return 0;
}

/* Growing vector of pointers used while a container is parsed. */
typedef struct pvec {
    void **p;
    size_t n, cap;
} pvec;

static int pvec_push(pvec *v, void *x)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 16;
        void **np = realloc(v->p, nc * sizeof(*np));
        if (np == NULL)
            return -1;
        v->p = np;
        v->cap = nc;
    }
    v->p[v->n++] = x;
    return 0;
}

static int parse_array(pdf_doc *d, pdf_lexer *lx, int depth, pdf_obj **out, sertel_err *err)
{
    pvec v = {0};
    pdf_obj *o = NULL, *e;
    int rc;

    lx->pos++;
    for (;;) {
        pdf_skip_ws(lx);
        if (lx->pos >= lx->len) {
            rc = bad(err, lx, "unterminated array");
            goto out;
        }
        if (lx->buf[lx->pos] == ']') {
            lx->pos++;
            break;
        }
        if (v.n >= PDF_MAX_CONTAINER) {
            rc = bad(err, lx, "array too long");
            goto out;
        }
        rc = pdf_parse_obj(d, lx, depth + 1, &e, err);
        if (rc != SERTEL_OK)
            goto out;
        if (pvec_push(&v, e) != 0) {
            rc = nomem(err);
            goto out;
        }
    }
    o = new_obj(d, PDF_ARRAY);
    if (o == NULL ||
        (v.n && (o->u.arr.items = pdf_arena_alloc(d, v.n * sizeof(pdf_obj *))) == NULL)) {
        rc = nomem(err);
        goto out;
    }
    if (v.n)
        memcpy(o->u.arr.items, v.p, v.n * sizeof(pdf_obj *));
    o->u.arr.n = v.n;
    *out = o;
    rc = SERTEL_OK;
out:
    free(v.p);
    return rc;
}

static int parse_dict(pdf_doc *d, pdf_lexer *lx, int depth, pdf_obj **out, sertel_err *err)
{
    pvec keys = {0}, vals = {0};
    pdf_obj *o, *k, *val;
    int rc;

    lx->pos += 2;
    for (;;) {
        pdf_skip_ws(lx);
        if (lx->pos >= lx->len) {
            rc = bad(err, lx, "unterminated dictionary");
            goto out;
        }
        if (lx->buf[lx->pos] == '>') {
            if (lx->pos + 1 >= lx->len || lx->buf[lx->pos + 1] != '>') {
                rc = bad(err, lx, "bad dictionary end");
                goto out;
            }
            lx->pos += 2;
            break;
        }
        if (lx->buf[lx->pos] != '/') {
            rc = bad(err, lx, "dictionary key is not a name");
            goto out;
        }
        if (keys.n >= PDF_MAX_CONTAINER) {
            rc = bad(err, lx, "dictionary too long");
            goto out;
        }
        rc = lex_name(d, lx, &k, err);
        if (rc != SERTEL_OK)
            goto out;
        pdf_skip_ws(lx);
        if (lx->pos < lx->len && lx->buf[lx->pos] == '>') {
            rc = bad(err, lx, "dictionary key without value");
            goto out;
        }
        rc = pdf_parse_obj(d, lx, depth + 1, &val, err);
        if (rc != SERTEL_OK)
            goto out;
        if (pvec_push(&keys, (void *)k->u.str.p) != 0 || pvec_push(&vals, val) != 0) {
            rc = nomem(err);
            goto out;
        }
    }
    o = new_obj(d, PDF_DICT);
    if (o == NULL ||
        (keys.n && ((o->u.dict.keys = pdf_arena_alloc(d, keys.n * sizeof(char *))) == NULL ||
                    (o->u.dict.vals = pdf_arena_alloc(d, keys.n * sizeof(pdf_obj *))) == NULL))) {
        rc = nomem(err);
        goto out;
    }
    if (keys.n) {
        memcpy(o->u.dict.keys, keys.p, keys.n * sizeof(char *));
        memcpy(o->u.dict.vals, vals.p, keys.n * sizeof(pdf_obj *));
    }
    o->u.dict.n = keys.n;
    *out = o;
    rc = SERTEL_OK;
out:
    free(keys.p);
    free(vals.p);
    return rc;
}

int pdf_parse_obj(pdf_doc *d, pdf_lexer *lx, int depth, pdf_obj **out, sertel_err *err)
{
    const unsigned char *w;
    size_t n;
    unsigned char c;

    if (depth > PDF_MAX_DEPTH)
        return bad(err, lx, "objects nested too deeply");
    pdf_skip_ws(lx);
    if (lx->pos >= lx->len)
        return bad(err, lx, "unexpected end of data");
    c = lx->buf[lx->pos];
    if (c == '[')
        return parse_array(d, lx, depth, out, err);
    if (c == '<')
        return lx->pos + 1 < lx->len && lx->buf[lx->pos + 1] == '<'
                   ? parse_dict(d, lx, depth, out, err)
                   : lex_hex(d, lx, out, err);
    if (c == '(')
        return lex_literal(d, lx, out, err);
    if (c == '/')
        return lex_name(d, lx, out, err);
    n = pdf_lex_word(lx, &w);
    if (n == 0)
        return bad(err, lx, "unexpected delimiter");
    if ((w[0] >= '0' && w[0] <= '9') || w[0] == '-' || w[0] == '+' || w[0] == '.') {
        int rc = lex_number(d, w, n, out, err, lx);
        if (rc == SERTEL_OK && (*out)->type == PDF_INT && (*out)->u.integer >= 0 &&
            (*out)->u.integer < PDF_MAX_OBJECTS) {
            /* Look ahead for "gen R". */
            size_t save = lx->pos;
            uint64_t gen;
            const unsigned char *r;
            if (pdf_lex_uint(lx, &gen) == 0 && gen <= 65535 && pdf_lex_word(lx, &r) == 1 &&
                r[0] == 'R') {
                uint32_t num = (uint32_t)(*out)->u.integer;
                (*out)->type = PDF_REF;
                (*out)->u.ref.num = num;
                (*out)->u.ref.gen = (uint16_t)gen;
            } else {
                lx->pos = save;
            }
        }
        return rc;
    }
    if (n == 4 && memcmp(w, "true", 4) == 0) {
        *out = new_obj(d, PDF_BOOL);
        if (*out)
            (*out)->u.boolean = 1;
    } else if (n == 5 && memcmp(w, "false", 5) == 0) {
        *out = new_obj(d, PDF_BOOL);
    } else if (n == 4 && memcmp(w, "null", 4) == 0) {
        *out = new_obj(d, PDF_NULL);
    } else {
        lx->pos -= n;
        return bad(err, lx, "unexpected keyword");
    }
    return *out ? SERTEL_OK : nomem(err);
}

/* Length of an end-of-line at p (0 if none). */
static size_t eol_len(const unsigned char *p, size_t left)
{
    if (left >= 2 && p[0] == '\r' && p[1] == '\n')
        return 2;
    if (left >= 1 && (p[0] == '\n' || p[0] == '\r'))
        return 1;
    return 0;
}

/*
 * The first "endstream" at or after start in lx. In the file itself this is a
 * binary search in an index of all of them, made once per file (documents
 * opened over a prefix of it, its earlier revisions, share it): a file of
 * many streams without a trustworthy /Length (as a hostile one may be, and
 * whose every object a walk reads) costs linear time, not quadratic.
 */
static const unsigned char *find_endstream(pdf_doc *d, const pdf_lexer *lx, size_t start)
{
    pdf_doc *ix = d->endstreams_of != NULL ? d->endstreams_of : d; /* same bytes, longer */
    size_t lo = 0, hi;

    if (lx->buf != ix->buf)
        return memmem(lx->buf + start, lx->len - start, "endstream", 9);
    if (!ix->endstreams_indexed) {
        const unsigned char *p = ix->buf, *end = ix->buf + ix->len;
        size_t cap = 0;
        ix->endstreams_indexed = 1;
        while (p < end && (p = memmem(p, (size_t)(end - p), "endstream", 9)) != NULL) {
            if (ix->nendstreams == cap) {
                size_t nc = cap ? cap * 2 : 64, *n = realloc(ix->endstreams, nc * sizeof(*n));
                if (n == NULL) { /* no index: search the plain way */
                    free(ix->endstreams);
                    ix->endstreams = NULL;
                    ix->nendstreams = 0;
                    ix->endstreams_indexed = 0;
                    return memmem(lx->buf + start, lx->len - start, "endstream", 9);
                }
                ix->endstreams = n;
                cap = nc;
            }
            ix->endstreams[ix->nendstreams++] = (size_t)(p - ix->buf);
            p += 9;
        }
    }
    hi = ix->nendstreams;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->endstreams[mid] < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* the first at or after start, if it lies within this lexer's bytes */
    return lo < ix->nendstreams && ix->endstreams[lo] + 9 <= lx->len ? ix->buf + ix->endstreams[lo]
                                                                     : NULL;
}

int pdf_parse_indirect(pdf_doc *d, pdf_lexer *lx, uint32_t want_num, pdf_obj **out,
                       uint32_t *num_out, uint16_t *gen_out, sertel_err *err)
{
    uint64_t num, gen;
    const unsigned char *w;
    size_t n;
    pdf_obj *o;
    int rc;

    if (pdf_lex_uint(lx, &num) != 0 || pdf_lex_uint(lx, &gen) != 0 ||
        (n = pdf_lex_word(lx, &w)) != 3 || memcmp(w, "obj", 3) != 0)
        return bad(err, lx, "no object header (\"N G obj\") where the cross-reference points");
    if (num >= PDF_MAX_OBJECTS || gen > 65535 || (want_num != UINT32_MAX && num != want_num))
        return bad(err, lx, "object header names another object than the cross-reference");
    rc = pdf_parse_obj(d, lx, 0, &o, err);
    if (rc != SERTEL_OK)
        return rc;
    pdf_skip_ws(lx);
    if (o->type == PDF_DICT && lx->len - lx->pos >= 6 &&
        memcmp(lx->buf + lx->pos, "stream", 6) == 0) {
        const pdf_obj *lo = pdf_dict_get(o, "Length");
        int64_t slen = -1;
        size_t start;
        lx->pos += 6;
        start = lx->pos + eol_len(lx->buf + lx->pos, lx->len - lx->pos);
        if (lo != NULL && lo->type == PDF_REF && d->load_depth < 4) {
            const pdf_obj *r = pdf_resolve(d, lo);
            if (r != NULL && r->type == PDF_INT)
                slen = r->u.integer;
        } else if (lo != NULL && lo->type == PDF_INT) {
            slen = lo->u.integer;
        }
        /* Trust /Length only when "endstream" follows it. */
        if (slen >= 0 && (uint64_t)slen <= lx->len - start) {
            pdf_lexer t = {lx->buf, lx->len, start + (size_t)slen};
            const unsigned char *kw;
            if (!(pdf_lex_word(&t, &kw) == 9 && memcmp(kw, "endstream", 9) == 0))
                slen = -1;
        } else {
            slen = -1;
        }
        if (slen < 0) {
            const unsigned char *e = find_endstream(d, lx, start);
            if (e == NULL)
                return bad(err, lx, "stream without endstream");
            slen = (int64_t)(e - (lx->buf + start));
            while (slen > 0 && (lx->buf[start + (size_t)slen - 1] == '\n' ||
                                lx->buf[start + (size_t)slen - 1] == '\r'))
                slen--;
        }
        o->type = PDF_STREAM;
        o->u.dict.data_off = start;
        o->u.dict.data_len = (uint64_t)slen;
        lx->pos = start + (size_t)slen;
    }
    *out = o;
    if (num_out)
        *num_out = (uint32_t)num;
    if (gen_out)
        *gen_out = (uint16_t)gen;
    return SERTEL_OK;
}

const pdf_obj *pdf_dict_get(const pdf_obj *dict, const char *key)
{
    size_t i;

    if (dict == NULL || (dict->type != PDF_DICT && dict->type != PDF_STREAM))
        return NULL;
    for (i = 0; i < dict->u.dict.n; i++)
        if (strcmp(dict->u.dict.keys[i], key) == 0)
            return dict->u.dict.vals[i];
    return NULL;
}

int pdf_is_name(const pdf_obj *o, const char *n)
{
    return o != NULL && o->type == PDF_NAME && strcmp(o->u.str.p, n) == 0;
}

/* --- serialisation --- */

void pdf_buf_put(pdf_buf *b, const void *s, size_t n)
{
    (void)dynbuf_add(b, s, n); /* a failure stays in b->failed */
}

void pdf_buf_printf(pdf_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = num_vsnprintf(tmp, sizeof(tmp), fmt, ap); /* a '.' in every real, whatever the locale */
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        b->failed = SERTEL_ERR_INVALID;
        return;
    }
    pdf_buf_put(b, tmp, (size_t)n);
}

void pdf_buf_free(pdf_buf *b)
{
    dynbuf_free(b);
}

static void put_name(pdf_buf *b, const char *s)
{
    pdf_buf_put(b, "/", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x21 || c > 0x7e || c == '#' || pdf_is_delim(c))
            pdf_buf_printf(b, "#%02X", c);
        else
            pdf_buf_put(b, s, 1);
    }
}

static void put_string(pdf_buf *b, const char *s, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t i;

    pdf_buf_put(b, "<", 1);
    for (i = 0; i < n; i++) {
        char two[2] = {hx[(unsigned char)s[i] >> 4], hx[(unsigned char)s[i] & 15]};
        pdf_buf_put(b, two, 2);
    }
    pdf_buf_put(b, ">", 1);
}

/* Depth is bounded: parsed objects nest at most PDF_MAX_DEPTH deep. */
static void put_obj(pdf_buf *b, const pdf_obj *o, int depth)
{
    size_t i;

    if (depth > PDF_MAX_DEPTH + 2) {
        b->failed = 1;
        return;
    }
    if (o == NULL) {
        pdf_buf_put(b, "null", 4);
        return;
    }
    switch (o->type) {
    case PDF_NULL:
        pdf_buf_put(b, "null", 4);
        break;
    case PDF_BOOL:
        pdf_buf_printf(b, "%s", o->u.boolean ? "true" : "false");
        break;
    case PDF_INT:
        pdf_buf_printf(b, "%lld", (long long)o->u.integer);
        break;
    case PDF_REAL:
        pdf_buf_put(b, o->u.str.p, o->u.str.len);
        break;
    case PDF_STRING:
        put_string(b, o->u.str.p, o->u.str.len);
        break;
    case PDF_NAME:
        put_name(b, o->u.str.p);
        break;
    case PDF_REF:
        pdf_buf_printf(b, "%u %u R", o->u.ref.num, (unsigned)o->u.ref.gen);
        break;
    case PDF_ARRAY:
        pdf_buf_put(b, "[", 1);
        for (i = 0; i < o->u.arr.n; i++) {
            if (i)
                pdf_buf_put(b, " ", 1);
            put_obj(b, o->u.arr.items[i], depth + 1);
        }
        pdf_buf_put(b, "]", 1);
        break;
    case PDF_DICT:
    case PDF_STREAM: /* streams are never re-serialised; their dictionary is */
        pdf_buf_put(b, "<<", 2);
        for (i = 0; i < o->u.dict.n; i++) {
            put_name(b, o->u.dict.keys[i]);
            pdf_buf_put(b, " ", 1);
            put_obj(b, o->u.dict.vals[i], depth + 1);
        }
        pdf_buf_put(b, ">>", 2);
        break;
    }
}

void pdf_buf_obj(pdf_buf *b, const pdf_obj *o)
{
    put_obj(b, o, 0);
}
