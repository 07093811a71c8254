/*
 * marker.c - find a marker text (BSrE's "tag_koordinat", e.g. "#ttd#") in
 * a page's content streams (ISO 32000-1 §9.4), for placing a visible
 * signature where the document asks for it.
 *
 * The content is decoded (no filter or FlateDecode), tokenised without
 * building objects, and the text state is followed approximately: the
 * current transformation matrix (cm, q/Q), the text and line matrices (BT,
 * Td, TD, Tm, T*), the font size, leading, character and word spacing and
 * horizontal scaling (Tf, TL, Tc, Tw, Tz), and the shown strings (Tj, TJ,
 * ', "). Each byte of a shown string is one glyph (simple fonts); glyph
 * widths come from the font's /Widths, or Helvetica's metrics for the
 * standard fonts. Text in composite (Type0) fonts and in form XObjects is
 * not searched. The marker matches bytes as shown, across string and
 * operator boundaries; its position is the origin of its first glyph in
 * default user space.
 */
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_int.h"

#define MK_MAX_CONTENT (32u << 20) /* decoded content of one page */
#define MK_MAX_MARKER 128
#define MK_MAX_GSTACK 32
#define MK_MAX_NUMS 8
#define MK_MAX_STREAMS 4096

/* Helvetica advance widths (AFM), codes 32..126, in 1/1000 em. */
static const unsigned short helv[95] = {
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333,  278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667,  611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278,  556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500,  500, 334, 260, 334, 584};

typedef struct gstate {
    double ctm[6];
    double fs, tl, tc, tw, th;
    const pdf_obj *widths; /* the font's /Widths, or NULL */
    int64_t first;         /* its /FirstChar */
    int composite;         /* Type0: not searched */
} gstate;

typedef struct mk {
    pdf_doc *d;
    const pdf_obj *fonts; /* the page's /Resources /Font */
    const unsigned char *marker;
    size_t mlen;
    gstate gs[MK_MAX_GSTACK];
    unsigned depth, overflow;
    double tm[6], tlm[6];
    /* The last mlen glyphs shown: a ring of bytes and positions. */
    unsigned char ring[MK_MAX_MARKER];
    double rx[MK_MAX_MARKER], ry[MK_MAX_MARKER];
    size_t rn, rhead;
    int found;
    double fx, fy;
} mk;

/* r = a x b (3x3 affine matrices as [a b c d e f]) */
static void mat_mul(const double a[6], const double b[6], double r[6])
{
    double t[6];
    t[0] = a[0] * b[0] + a[1] * b[2];
    t[1] = a[0] * b[1] + a[1] * b[3];
    t[2] = a[2] * b[0] + a[3] * b[2];
    t[3] = a[2] * b[1] + a[3] * b[3];
    t[4] = a[4] * b[0] + a[5] * b[2] + b[4];
    t[5] = a[4] * b[1] + a[5] * b[3] + b[5];
    memcpy(r, t, sizeof(t));
}

static void mat_id(double m[6])
{
    m[0] = m[3] = 1;
    m[1] = m[2] = m[4] = m[5] = 0;
}

static void translate(double m[6], double tx, double ty)
{
    double t[6] = {1, 0, 0, 1, tx, ty};
    mat_mul(t, m, m);
}

static double glyph_width(const gstate *g, pdf_doc *d, unsigned c)
{
    if (g->widths != NULL) {
        int64_t i = (int64_t)c - g->first;
        if (i >= 0 && (size_t)i < g->widths->u.arr.n) {
            const pdf_obj *w = pdf_resolve(d, g->widths->u.arr.items[i]);
            if (w != NULL && w->type == PDF_INT && w->u.integer >= 0 && w->u.integer < 100000)
                return (double)w->u.integer / 1000.0;
            if (w != NULL && w->type == PDF_REAL) {
                char tmp[32];
                size_t n = w->u.str.len < sizeof(tmp) - 1 ? w->u.str.len : sizeof(tmp) - 1;
                double v;
                memcpy(tmp, w->u.str.p, n);
                tmp[n] = '\0';
                v = strtod(tmp, NULL);
                if (v >= 0 && v < 100000)
                    return v / 1000.0;
            }
        }
    }
    if (c >= 32 && c <= 126)
        return helv[c - 32] / 1000.0;
    return 0.556;
}

/* One byte shown: record it, compare the ring with the marker, advance. */
static void show_byte(mk *m, unsigned c)
{
    gstate *g = &m->gs[m->depth];
    double trm[6], w;
    size_t i;

    if (m->found || g->composite)
        return;
    mat_mul(m->tm, g->ctm, trm);
    i = (m->rhead + m->rn) % m->mlen;
    if (m->rn == m->mlen) {
        m->rhead = (m->rhead + 1) % m->mlen;
        i = (m->rhead + m->mlen - 1) % m->mlen;
    } else {
        m->rn++;
    }
    m->ring[i] = (unsigned char)c;
    m->rx[i] = trm[4];
    m->ry[i] = trm[5];
    if (m->rn == m->mlen) {
        size_t k;
        for (k = 0; k < m->mlen; k++)
            if (m->ring[(m->rhead + k) % m->mlen] != m->marker[k])
                break;
        if (k == m->mlen) {
            m->found = 1;
            m->fx = m->rx[m->rhead];
            m->fy = m->ry[m->rhead];
            return;
        }
    }
    w = glyph_width(g, m->d, c) * g->fs + g->tc + (c == ' ' ? g->tw : 0);
    translate(m->tm, w * g->th, 0);
}

static int is_ws(unsigned char c)
{
    return pdf_is_ws(c);
}

static void skip_ws(const unsigned char *b, size_t len, size_t *pos)
{
    while (*pos < len) {
        if (is_ws(b[*pos])) {
            (*pos)++;
        } else if (b[*pos] == '%') {
            while (*pos < len && b[*pos] != '\n' && b[*pos] != '\r')
                (*pos)++;
        } else {
            break;
        }
    }
}

/* Skip a literal string at b[*pos] == '(' (nested parentheses, escapes). */
static void skip_literal(const unsigned char *b, size_t len, size_t *pos)
{
    size_t nest = 0;

    while (*pos < len) {
        unsigned char c = b[(*pos)++];
        if (c == '\\') {
            if (*pos < len)
                (*pos)++;
        } else if (c == '(') {
            nest++;
        } else if (c == ')') {
            if (--nest == 0)
                return;
        }
    }
}

static void skip_hex(const unsigned char *b, size_t len, size_t *pos)
{
    while (*pos < len && b[*pos] != '>')
        (*pos)++;
    if (*pos < len)
        (*pos)++;
}

static int hexv(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Show the string at b[pos] ('(' or '<') byte by byte. */
static void show_string(mk *m, const unsigned char *b, size_t len, size_t pos)
{
    if (b[pos] == '<') {
        int hi = -1;
        for (pos++; pos < len && b[pos] != '>' && !m->found; pos++) {
            int v = hexv(b[pos]);
            if (v < 0)
                continue;
            if (hi < 0) {
                hi = v;
            } else {
                show_byte(m, (unsigned)(hi * 16 + v));
                hi = -1;
            }
        }
        if (hi >= 0)
            show_byte(m, (unsigned)(hi * 16));
        return;
    }
    {
        size_t nest = 0;
        for (pos++; pos < len && !m->found; pos++) {
            unsigned char c = b[pos];
            if (c == '(') {
                nest++;
            } else if (c == ')') {
                if (nest == 0)
                    return;
                nest--;
            } else if (c == '\\' && pos + 1 < len) {
                unsigned char e = b[++pos];
                switch (e) {
                case 'n':
                    c = '\n';
                    break;
                case 'r':
                    c = '\r';
                    break;
                case 't':
                    c = '\t';
                    break;
                case 'b':
                    c = '\b';
                    break;
                case 'f':
                    c = '\f';
                    break;
                case '\r':
                    if (pos + 1 < len && b[pos + 1] == '\n')
                        pos++;
                    continue;
                case '\n':
                    continue;
                default:
                    if (e >= '0' && e <= '7') {
                        unsigned v = (unsigned)(e - '0'), k;
                        for (k = 0;
                             k < 2 && pos + 1 < len && b[pos + 1] >= '0' && b[pos + 1] <= '7'; k++)
                            v = v * 8 + (unsigned)(b[++pos] - '0');
                        c = (unsigned char)(v & 0xff);
                    } else {
                        c = e;
                    }
                }
            }
            show_byte(m, c);
        }
    }
}

/* TJ: strings shown, numbers move back by n/1000 of the font size. */
static void show_array(mk *m, const unsigned char *b, size_t start, size_t end)
{
    size_t pos = start + 1;

    while (pos < end && !m->found) {
        skip_ws(b, end, &pos);
        if (pos >= end)
            break;
        if (b[pos] == '(' || b[pos] == '<') {
            size_t s = pos;
            show_string(m, b, end, s);
            if (b[pos] == '(')
                skip_literal(b, end, &pos);
            else
                skip_hex(b, end, &pos);
        } else if ((b[pos] >= '0' && b[pos] <= '9') || b[pos] == '-' || b[pos] == '+' ||
                   b[pos] == '.') {
            char tmp[64];
            size_t n = 0;
            gstate *g = &m->gs[m->depth];
            while (pos < end && !is_ws(b[pos]) && !pdf_is_delim(b[pos])) {
                if (n < sizeof(tmp) - 1)
                    tmp[n++] = (char)b[pos];
                pos++;
            }
            tmp[n] = '\0';
            translate(m->tm, -strtod(tmp, NULL) / 1000.0 * g->fs * g->th, 0);
        } else {
            pos++;
        }
    }
}

/* Tf: the font's widths and whether it is composite. */
static void set_font(mk *m, const unsigned char *name, size_t nlen, double size)
{
    gstate *g = &m->gs[m->depth];
    char key[128];
    const pdf_obj *f;

    g->fs = size;
    g->widths = NULL;
    g->first = 0;
    g->composite = 0;
    if (m->fonts == NULL || nlen == 0 || nlen >= sizeof(key))
        return;
    memcpy(key, name, nlen);
    key[nlen] = '\0';
    f = pdf_resolve(m->d, pdf_dict_get(m->fonts, key));
    if (f == NULL || f->type != PDF_DICT)
        return;
    if (pdf_is_name(pdf_dict_get(f, "Subtype"), "Type0")) {
        g->composite = 1;
        return;
    }
    {
        const pdf_obj *w = pdf_resolve(m->d, pdf_dict_get(f, "Widths"));
        int64_t fc = 0;
        if (w != NULL && w->type == PDF_ARRAY &&
            pdf_get_int(pdf_resolve(m->d, pdf_dict_get(f, "FirstChar")), &fc) == 0 && fc >= 0 &&
            fc < 256) {
            g->widths = w;
            g->first = fc;
        }
    }
}

static int op_is(const unsigned char *w, size_t n, const char *op)
{
    return strlen(op) == n && memcmp(w, op, n) == 0;
}

/* Run the content b[0..len) of one page. */
static void run_content(mk *m, const unsigned char *b, size_t len)
{
    double num[MK_MAX_NUMS];
    size_t nnum = 0, pos = 0, str = SIZE_MAX, arr_s = SIZE_MAX, arr_e = 0, name_s = 0, name_n = 0;

    while (pos < len && !m->found) {
        unsigned char c;
        skip_ws(b, len, &pos);
        if (pos >= len)
            break;
        c = b[pos];
        if (c == '(') {
            str = pos;
            skip_literal(b, len, &pos);
        } else if (c == '<') {
            if (pos + 1 < len && b[pos + 1] == '<') {
                pos += 2;
            } else {
                str = pos;
                skip_hex(b, len, &pos);
            }
        } else if (c == '>' || c == '{' || c == '}' || c == ']' || c == ')') {
            pos++;
        } else if (c == '[') {
            /* Arrays in content streams do not nest (TJ, d): to the first ']'. */
            arr_s = pos++;
            while (pos < len && b[pos] != ']') {
                if (b[pos] == '(')
                    skip_literal(b, len, &pos);
                else
                    pos++;
            }
            arr_e = pos;
            if (pos < len)
                pos++;
        } else if (c == '/') {
            name_s = ++pos;
            while (pos < len && !is_ws(b[pos]) && !pdf_is_delim(b[pos]))
                pos++;
            name_n = pos - name_s;
        } else if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') {
            char tmp[64];
            size_t n = 0;
            while (pos < len && !is_ws(b[pos]) && !pdf_is_delim(b[pos])) {
                if (n < sizeof(tmp) - 1)
                    tmp[n++] = (char)b[pos];
                pos++;
            }
            tmp[n] = '\0';
            if (nnum == MK_MAX_NUMS) {
                memmove(num, num + 1, sizeof(num[0]) * (MK_MAX_NUMS - 1));
                nnum--;
            }
            num[nnum++] = strtod(tmp, NULL);
        } else {
            const unsigned char *w = b + pos;
            size_t wn = 0;
            gstate *g = &m->gs[m->depth];
            while (pos < len && !is_ws(b[pos]) && !pdf_is_delim(b[pos])) {
                pos++;
                wn++;
            }
            if (wn == 0) {
                pos++;
                continue;
            }
            if (op_is(w, wn, "q")) {
                if (m->depth + 1 < MK_MAX_GSTACK) {
                    m->gs[m->depth + 1] = *g;
                    m->depth++;
                } else {
                    m->overflow++;
                }
            } else if (op_is(w, wn, "Q")) {
                if (m->overflow > 0)
                    m->overflow--;
                else if (m->depth > 0)
                    m->depth--;
            } else if (op_is(w, wn, "cm") && nnum >= 6) {
                mat_mul(num + nnum - 6, g->ctm, g->ctm);
            } else if (op_is(w, wn, "BT")) {
                mat_id(m->tm);
                mat_id(m->tlm);
            } else if (op_is(w, wn, "Tf") && nnum >= 1) {
                set_font(m, b + name_s, name_n, num[nnum - 1]);
            } else if (op_is(w, wn, "TL") && nnum >= 1) {
                g->tl = num[nnum - 1];
            } else if (op_is(w, wn, "Tc") && nnum >= 1) {
                g->tc = num[nnum - 1];
            } else if (op_is(w, wn, "Tw") && nnum >= 1) {
                g->tw = num[nnum - 1];
            } else if (op_is(w, wn, "Tz") && nnum >= 1) {
                g->th = num[nnum - 1] / 100.0;
            } else if ((op_is(w, wn, "Td") || op_is(w, wn, "TD")) && nnum >= 2) {
                if (w[1] == 'D')
                    g->tl = -num[nnum - 1];
                translate(m->tlm, num[nnum - 2], num[nnum - 1]);
                memcpy(m->tm, m->tlm, sizeof(m->tm));
            } else if (op_is(w, wn, "Tm") && nnum >= 6) {
                memcpy(m->tlm, num + nnum - 6, sizeof(m->tlm));
                memcpy(m->tm, m->tlm, sizeof(m->tm));
            } else if (op_is(w, wn, "T*") || op_is(w, wn, "'") || op_is(w, wn, "\"")) {
                if (w[0] == '"' && nnum >= 2) {
                    g->tw = num[nnum - 2];
                    g->tc = num[nnum - 1];
                }
                translate(m->tlm, 0, -g->tl);
                memcpy(m->tm, m->tlm, sizeof(m->tm));
                if (w[0] != 'T' && str != SIZE_MAX)
                    show_string(m, b, len, str);
            } else if (op_is(w, wn, "Tj") && str != SIZE_MAX) {
                show_string(m, b, len, str);
            } else if (op_is(w, wn, "TJ") && arr_s != SIZE_MAX) {
                show_array(m, b, arr_s, arr_e);
            } else if (op_is(w, wn, "BI")) {
                /* Inline image: skip to "EI" between white space. */
                while (pos + 2 < len && !(is_ws(b[pos]) && b[pos + 1] == 'E' && b[pos + 2] == 'I' &&
                                          (pos + 3 == len || is_ws(b[pos + 3]))))
                    pos++;
                pos += 3;
            }
            nnum = 0;
            str = SIZE_MAX;
            arr_s = SIZE_MAX;
            name_n = 0;
        }
    }
}

/* Decode the page's /Contents (a stream or an array of streams) into one buffer. */
static int page_content(pdf_doc *d, const pdf_obj *page, unsigned char **out, size_t *out_len,
                        sertel_err *err)
{
    const pdf_obj *c = pdf_resolve(d, pdf_dict_get(page, "Contents"));
    const pdf_obj *one[1];
    const pdf_obj *const *items;
    size_t n, i, total = 0;
    unsigned char *all = NULL;

    *out = NULL;
    *out_len = 0;
    if (c == NULL)
        return SERTEL_OK;
    if (c->type == PDF_STREAM) {
        one[0] = c;
        items = one;
        n = 1;
    } else if (c->type == PDF_ARRAY) {
        items = (const pdf_obj *const *)c->u.arr.items;
        n = c->u.arr.n;
        if (n > MK_MAX_STREAMS)
            return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                                  "a page has more than %u content streams", MK_MAX_STREAMS);
    } else {
        return SERTEL_OK;
    }
    for (i = 0; i < n; i++) {
        const pdf_obj *s = pdf_resolve(d, items[i]);
        unsigned char *dec = NULL, *grown;
        size_t dlen = 0;
        int rc;
        if (s == NULL || s->type != PDF_STREAM)
            continue;
        rc = pdf_stream_decode(d, s, MK_MAX_CONTENT - total, &dec, &dlen, err);
        if (rc != SERTEL_OK) {
            free(all);
            return rc;
        }
        grown = realloc(all, total + dlen + 1);
        if (grown == NULL) {
            free(dec);
            free(all);
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        }
        all = grown;
        memcpy(all + total, dec, dlen);
        free(dec);
        total += dlen;
        all[total++] = '\n'; /* streams are separated as if by white space */
        if (total >= MK_MAX_CONTENT) {
            free(all);
            return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                                  "a page's content is larger than %u bytes", MK_MAX_CONTENT);
        }
    }
    *out = all;
    *out_len = total;
    return SERTEL_OK;
}

int pdf_find_marker(pdf_doc *d, const char *marker, size_t page, size_t *page_out, double *x,
                    double *y, sertel_err *err)
{
    size_t count, p, first, last;
    int rc;

    if (marker == NULL || marker[0] == '\0' || strlen(marker) > MK_MAX_MARKER)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "the marker must be 1 to %u bytes",
                              MK_MAX_MARKER);
    rc = pdf_page_count(d, &count, err);
    if (rc != SERTEL_OK)
        return rc;
    if (page != 0 && page > count)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "page %zu is out of range (the PDF has %zu)",
                              page, count);
    first = page ? page : 1;
    last = page ? page : count;
    for (p = first; p <= last; p++) {
        pdf_page pg;
        unsigned char *content = NULL;
        size_t clen = 0;
        const pdf_obj *res;
        mk *m;

        rc = pdf_page_get(d, p, &pg, err);
        if (rc != SERTEL_OK)
            return rc;
        rc = page_content(d, pg.dict, &content, &clen, err);
        if (rc != SERTEL_OK) {
            sertel_err_prefix(err, "searching page %zu for the marker", p);
            return rc;
        }
        m = calloc(1, sizeof(*m));
        if (m == NULL) {
            free(content);
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        }
        m->d = d;
        m->marker = (const unsigned char *)marker;
        m->mlen = strlen(marker);
        res = pdf_resolve(d, pg.resources);
        if (res != NULL && res->type == PDF_DICT) {
            m->fonts = pdf_resolve(d, pdf_dict_get(res, "Font"));
            if (m->fonts != NULL && m->fonts->type != PDF_DICT)
                m->fonts = NULL;
        }
        mat_id(m->gs[0].ctm);
        m->gs[0].th = 1;
        m->gs[0].fs = 1;
        mat_id(m->tm);
        mat_id(m->tlm);
        if (content != NULL)
            run_content(m, content, clen);
        free(content);
        if (m->found) {
            *page_out = p;
            *x = m->fx;
            *y = m->fy;
            free(m);
            return SERTEL_OK;
        }
        free(m);
    }
    if (page != 0)
        return sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                              "marker '%s' not found on page %zu; markers are found in "
                              "simple-font text only",
                              marker, page);
    return sertel_err_set(err, SERTEL_ERR_NOTFOUND,
                          "marker '%s' not found on any page; markers are found in simple-font "
                          "text only",
                          marker);
}
