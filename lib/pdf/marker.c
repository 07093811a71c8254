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
 * ', "). A shown string is split into character codes: one byte each in
 * a simple font, two bytes in a composite (Type0) font, as its Identity-H
 * CMap and those of the office suites have them. Each code becomes text
 * through the font's /ToUnicode CMap (bfchar and bfrange; MS Word and
 * LibreOffice write one for their subset fonts, whose codes are not the
 * characters), or, in a simple font without one, is taken as the
 * character itself. Glyph widths come from the font's /Widths (simple),
 * its descendant's /W and /DW (composite), or Helvetica's metrics for the
 * standard fonts. Form XObjects the page draws (Do) are searched in
 * place, 8 deep. Annotations are not searched. The marker (UTF-8)
 * matches the text as shown, across string and operator boundaries; its
 * position is the origin of its first glyph in default user space.
 */
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_int.h"
#include "util/hex.h"
#include "util/num.h"

#define MK_MAX_CONTENT (32u << 20) /* decoded content of one page */
#define MK_MAX_SEARCH (256u << 20) /* decoded content, forms and maps of one whole search */
#define MK_MAX_MARKER 128
#define MK_MAX_GSTACK 32
#define MK_MAX_NUMS 8
#define MK_MAX_STREAMS 4096
#define MK_MAX_FONTS 64        /* fonts decoded per page */
#define MK_MAX_CMAP (1u << 20) /* a decoded ToUnicode stream */
#define MK_MAX_ENTRIES 65536   /* ToUnicode or /W entries kept per font */
#define MK_NO_CHAR 0xFFFFFFFFu /* a code without text: matches nothing */
#define MK_MAX_FORM_DEPTH 8    /* form XObjects inside form XObjects */

/* Helvetica advance widths (AFM), codes 32..126, in 1/1000 em. */
static const unsigned short helv[95] = {
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333,  278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667,  611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278,  556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500,  500, 334, 260, 334, 584};

/* Codes lo..hi: the text cp + (code - lo); or, for one code, up to 4 code points. */
typedef struct mk_map {
    uint32_t lo, hi;
    uint32_t cp[4];
    uint8_t n;
} mk_map;

/* Codes lo..hi of a composite font are w/1000 em wide. */
typedef struct mk_width {
    uint32_t lo, hi;
    double w;
} mk_width;

/* A font of the page as the search needs it (decoded once per page). */
typedef struct mk_font {
    const pdf_obj *dict; /* the font dictionary: the cache key */
    int two_byte;        /* composite: codes of two bytes */
    mk_map *map;         /* its /ToUnicode, sorted by lo; NULL: none */
    size_t nmap;
    const pdf_obj *widths; /* simple: /Widths from /FirstChar */
    int64_t first;
    mk_width *w; /* composite: /W, sorted by lo; /DW otherwise */
    size_t nw;
    double dw;
    double asc, desc; /* the font's ascent and descent, in em (for glyph boxes) */
} mk_font;

typedef struct gstate {
    double ctm[6];
    double fs, tl, tc, tw, th;
    int font; /* index into mk.font, -1: none known */
} gstate;

typedef struct mk {
    pdf_doc *d;
    const pdf_obj *fonts; /* the current /Resources /Font (the page's, or a form's) */
    const pdf_obj *xobjs; /* the current /Resources /XObject */
    const pdf_obj *forms[MK_MAX_FORM_DEPTH]; /* the form XObjects being run */
    unsigned nforms;
    size_t budget;                  /* decoded content left for this page (forms included) */
    size_t *left;                   /* decoded bytes left for the whole search */
    uint32_t marker[MK_MAX_MARKER]; /* its code points */
    size_t mlen;
    gstate gs[MK_MAX_GSTACK];
    unsigned depth, overflow;
    double tm[6], tlm[6];
    mk_font font[MK_MAX_FONTS];
    size_t nfont;
    int pending; /* the first byte of a two-byte code, -1: none */
    /* The last mlen characters shown: a ring of code points, glyph origins and boxes. */
    uint32_t ring[MK_MAX_MARKER];
    double rx[MK_MAX_MARKER], ry[MK_MAX_MARKER], rbox[MK_MAX_MARKER][4];
    size_t rn, rhead;
    int found;
    double fx, fy, fbox[4];
    /* Probing (mlen 0): glyphs whose box meets probe[], unless their centre is in except[]. */
    int probing;
    double probe[4], except[4];
    size_t hits;
    char *sample; /* the text of the first glyphs hit (UTF-8) */
    size_t sample_cap, sample_len;
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

/* A number in a content stream (NUL-terminated token); 0 when malformed, as readers do. */
static double content_num(const char *tok)
{
    double v = 0;

    return num_parse_decimalz(tok, &v) == SERTEL_OK ? v : 0;
}

/* A number object's value, or -1 when it is not a number. */
static double num_of(pdf_doc *d, const pdf_obj *o)
{
    o = pdf_resolve(d, o);
    if (o != NULL && (o->type == PDF_INT || o->type == PDF_REAL))
        return pdf_num(o);
    return -1;
}

/* The advance of code c in font f (NULL: unknown), in text space units of 1 em. */
static double glyph_width(pdf_doc *d, const mk_font *f, uint32_t c)
{
    if (f != NULL && f->two_byte) {
        size_t lo = 0, hi = f->nw;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (f->w[mid].hi < c)
                lo = mid + 1;
            else if (f->w[mid].lo > c)
                hi = mid;
            else
                return f->w[mid].w / 1000.0;
        }
        return f->dw / 1000.0;
    }
    if (f != NULL && f->widths != NULL) {
        int64_t i = (int64_t)c - f->first;
        if (i >= 0 && (size_t)i < f->widths->u.arr.n) {
            double v = num_of(d, f->widths->u.arr.items[i]);
            if (v >= 0 && v < 100000)
                return v / 1000.0;
        }
    }
    if (c >= 32 && c <= 126)
        return helv[c - 32] / 1000.0;
    return 0.556;
}

/* The text of code c in font f: up to 4 code points into cp; returns how many. */
static size_t code_text(const mk_font *f, uint32_t c, uint32_t cp[4])
{
    if (f != NULL && f->map != NULL) {
        size_t lo = 0, hi = f->nmap;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            const mk_map *e = &f->map[mid];
            if (e->hi < c) {
                lo = mid + 1;
            } else if (e->lo > c) {
                hi = mid;
            } else if (e->lo == e->hi) {
                memcpy(cp, e->cp, sizeof(e->cp));
                return e->n;
            } else {
                cp[0] = e->cp[0] + (c - e->lo);
                return 1;
            }
        }
    }
    cp[0] = f != NULL && f->two_byte ? MK_NO_CHAR : c; /* a simple font's byte is the character */
    return 1;
}

/* The bounding box (llx, lly, urx, ury) in user space of text-space rectangle x0..x1, y0..y1. */
static void text_box(const double trm[6], double x0, double y0, double x1, double y1, double box[4])
{
    const double xs[4] = {x0, x1, x0, x1}, ys[4] = {y0, y0, y1, y1};
    int k;

    for (k = 0; k < 4; k++) {
        double ux = trm[0] * xs[k] + trm[2] * ys[k] + trm[4];
        double uy = trm[1] * xs[k] + trm[3] * ys[k] + trm[5];
        if (k == 0 || ux < box[0])
            box[0] = ux;
        if (k == 0 || uy < box[1])
            box[1] = uy;
        if (k == 0 || ux > box[2])
            box[2] = ux;
        if (k == 0 || uy > box[3])
            box[3] = uy;
    }
}

static int boxes_meet(const double a[4], const double b[4])
{
    return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/* Probing: count a glyph whose box meets the probe, and keep its text for the message. */
static void probe_glyph(mk *m, const uint32_t *cp, size_t n, const double box[4])
{
    double cx = (box[0] + box[2]) / 2, cy = (box[1] + box[3]) / 2;
    size_t k;

    if (n == 1 && (cp[0] == ' ' || cp[0] == 0xA0 || cp[0] < 0x20))
        return; /* white space covers nothing */
    if (!boxes_meet(box, m->probe) ||
        (cx > m->except[0] && cx < m->except[2] && cy > m->except[1] && cy < m->except[3]))
        return;
    m->hits++;
    for (k = 0; k < n && m->sample != NULL; k++) {
        unsigned char u[4];
        size_t ul = 0;
        uint32_t c = cp[k];
        if (c == MK_NO_CHAR)
            c = '?';
        if (c < 0x80) {
            u[ul++] = (unsigned char)c;
        } else if (c < 0x800) {
            u[ul++] = (unsigned char)(0xC0 | (c >> 6));
            u[ul++] = (unsigned char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            u[ul++] = (unsigned char)(0xE0 | (c >> 12));
            u[ul++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            u[ul++] = (unsigned char)(0x80 | (c & 0x3F));
        } else {
            u[ul++] = (unsigned char)(0xF0 | ((c >> 18) & 0x07));
            u[ul++] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
            u[ul++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            u[ul++] = (unsigned char)(0x80 | (c & 0x3F));
        }
        if (m->sample_len + ul + 1 > m->sample_cap)
            return;
        memcpy(m->sample + m->sample_len, u, ul);
        m->sample_len += ul;
        m->sample[m->sample_len] = '\0';
    }
}

/* One character at glyph origin x, y (box: its glyph) into the ring; compare with the marker. */
static void ring_push(mk *m, uint32_t cp, double x, double y, const double box[4])
{
    size_t i = (m->rhead + m->rn) % m->mlen;

    if (m->rn == m->mlen) {
        m->rhead = (m->rhead + 1) % m->mlen;
        i = (m->rhead + m->mlen - 1) % m->mlen;
    } else {
        m->rn++;
    }
    m->ring[i] = cp;
    m->rx[i] = x;
    m->ry[i] = y;
    memcpy(m->rbox[i], box, sizeof(m->rbox[i]));
    if (m->rn == m->mlen) {
        size_t k;
        for (k = 0; k < m->mlen; k++)
            if (m->ring[(m->rhead + k) % m->mlen] != m->marker[k])
                break;
        if (k == m->mlen) {
            m->found = 1;
            m->fx = m->rx[m->rhead];
            m->fy = m->ry[m->rhead];
            memcpy(m->fbox, m->rbox[m->rhead], sizeof(m->fbox));
            for (k = 1; k < m->mlen; k++) {
                const double *b = m->rbox[(m->rhead + k) % m->mlen];
                m->fbox[0] = b[0] < m->fbox[0] ? b[0] : m->fbox[0];
                m->fbox[1] = b[1] < m->fbox[1] ? b[1] : m->fbox[1];
                m->fbox[2] = b[2] > m->fbox[2] ? b[2] : m->fbox[2];
                m->fbox[3] = b[3] > m->fbox[3] ? b[3] : m->fbox[3];
            }
        }
    }
}

/* One character code shown: its text into the ring at the glyph's origin, then advance. */
static void show_code(mk *m, uint32_t c)
{
    gstate *g = &m->gs[m->depth];
    const mk_font *f = g->font >= 0 ? &m->font[g->font] : NULL;
    uint32_t cp[4];
    double trm[6], w, gw, box[4];
    size_t n, k;

    if (m->found)
        return;
    mat_mul(m->tm, g->ctm, trm);
    n = code_text(f, c, cp);
    gw = glyph_width(m->d, f, c);
    /* The glyph's box: its advance across, the font's descent to ascent up (§9.2.4). */
    text_box(trm, 0, (f != NULL ? f->desc : -0.2) * g->fs, gw * g->fs * g->th,
             (f != NULL ? f->asc : 0.8) * g->fs, box);
    if (m->probing)
        probe_glyph(m, cp, n, box);
    for (k = 0; k < n && !m->found && !m->probing; k++)
        ring_push(m, cp[k], trm[4], trm[5], box);
    if (m->found)
        return;
    /* Word spacing applies to the single-byte code 32 only (ISO 32000-1 §9.3.3). */
    w = gw * g->fs + g->tc + (c == ' ' && (f == NULL || !f->two_byte) ? g->tw : 0);
    translate(m->tm, w * g->th, 0);
}

/* One byte of a shown string: a code of its own, or half of a two-byte code. */
static void show_byte(mk *m, unsigned c)
{
    gstate *g = &m->gs[m->depth];

    if (g->font >= 0 && m->font[g->font].two_byte) {
        if (m->pending < 0) {
            m->pending = (int)c;
            return;
        }
        c |= (unsigned)m->pending << 8;
        m->pending = -1;
    }
    show_code(m, c);
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

/* Show the string at b[pos] ('(' or '<') byte by byte (a code never spans two strings). */
static void show_string(mk *m, const unsigned char *b, size_t len, size_t pos)
{
    m->pending = -1;
    if (b[pos] == '<') {
        int hi = -1;
        for (pos++; pos < len && b[pos] != '>' && !m->found; pos++) {
            int v = hex_value(b[pos]);
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
            translate(m->tm, -content_num(tmp) / 1000.0 * g->fs * g->th, 0);
        } else {
            pos++;
        }
    }
}

/* --- fonts: /ToUnicode and widths --- */

/* A hex string <...> at b[*pos] into out (at most cap bytes); its length, or -1. */
static int cmap_hex(const unsigned char *b, size_t len, size_t *pos, unsigned char *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;

    if (*pos >= len || b[*pos] != '<')
        return -1;
    for ((*pos)++; *pos < len && b[*pos] != '>'; (*pos)++) {
        int v = hex_value(b[*pos]);
        if (v < 0)
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            if (n == cap)
                return -1;
            out[n++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
    }
    if (*pos < len)
        (*pos)++;
    return hi < 0 ? (int)n : -1;
}

/* UTF-16BE in[0..n) into up to 4 code points; returns how many (0: none). */
static uint8_t utf16_cps(const unsigned char *in, int n, uint32_t cp[4])
{
    size_t i = 0;
    uint8_t k = 0;

    while (n > 0 && i + 1 < (size_t)n && k < 4)
        cp[k++] = (uint32_t)pdf_utf16be_next(in, (size_t)n, &i);
    return k;
}

static uint32_t code_of(const unsigned char *c, int n)
{
    uint32_t v = 0;
    int i;

    for (i = 0; i < n; i++)
        v = v << 8 | c[i];
    return v;
}

static int map_add(mk_font *f, size_t *cap, uint32_t lo, uint32_t hi, const uint32_t cp[4],
                   uint8_t n)
{
    if (f->nmap == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        mk_map *g;
        if (nc > MK_MAX_ENTRIES)
            return -1;
        g = realloc(f->map, nc * sizeof(*g));
        if (g == NULL)
            return -1;
        f->map = g;
        *cap = nc;
    }
    memset(&f->map[f->nmap], 0, sizeof(f->map[0]));
    f->map[f->nmap].lo = lo;
    f->map[f->nmap].hi = hi;
    memcpy(f->map[f->nmap].cp, cp, sizeof(uint32_t) * n);
    f->map[f->nmap].n = n;
    f->nmap++;
    return 0;
}

static int map_cmp(const void *a, const void *b)
{
    const mk_map *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The next keyword (a run of regular characters) at or after *pos; NULL at the end. */
static const unsigned char *cmap_word(const unsigned char *b, size_t len, size_t *pos, size_t *n)
{
    while (*pos < len) {
        skip_ws(b, len, pos);
        if (*pos >= len)
            break;
        if (b[*pos] == '<' || b[*pos] == '[' || b[*pos] == ']' || b[*pos] == '(' ||
            b[*pos] == '/' || pdf_is_delim(b[*pos])) {
            if (b[*pos] == '(')
                skip_literal(b, len, pos);
            else if (b[*pos] == '<')
                skip_hex(b, len, pos);
            else
                (*pos)++;
            continue;
        }
        {
            const unsigned char *w = b + *pos;
            size_t k = 0;
            while (*pos < len && !is_ws(b[*pos]) && !pdf_is_delim(b[*pos])) {
                (*pos)++;
                k++;
            }
            *n = k;
            return w;
        }
    }
    return NULL;
}

/*
 * A /ToUnicode CMap (ISO 32000-1 §9.10.3): its bfchar and bfrange
 * sections into f->map (codes of 1 to 4 bytes; destinations of up to 4
 * UTF-16 code points; a bfrange with an array of destinations is one
 * entry per code). Anything it cannot read is skipped; the map stays
 * what could be read.
 */
static void load_tounicode(mk *m, mk_font *f, const pdf_obj *stream)
{
    unsigned char *b = NULL, src[4], src2[4], dst[16];
    size_t len = 0, pos = 0, cap = 0, wn;
    const unsigned char *w;
    sertel_err e = {0};

    if (stream == NULL || stream->type != PDF_STREAM || *m->left == 0 ||
        pdf_stream_decode(m->d, stream, *m->left < MK_MAX_CMAP ? *m->left : MK_MAX_CMAP, &b, &len,
                          &e) != SERTEL_OK)
        return;
    *m->left -= len < *m->left ? len : *m->left;
    while ((w = cmap_word(b, len, &pos, &wn)) != NULL) {
        int range = wn == 12 && memcmp(w, "beginbfrange", 12) == 0;
        if (!(wn == 11 && memcmp(w, "beginbfchar", 11) == 0) && !range)
            continue;
        for (;;) {
            int sl, sl2 = 0, dl;
            uint32_t cp[4];
            skip_ws(b, len, &pos);
            if (pos >= len || b[pos] != '<')
                break; /* endbfchar / endbfrange, or damage */
            if ((sl = cmap_hex(b, len, &pos, src, sizeof(src))) <= 0)
                break;
            skip_ws(b, len, &pos);
            if (range && (sl2 = cmap_hex(b, len, &pos, src2, sizeof(src2))) != sl)
                break;
            skip_ws(b, len, &pos);
            if (range && pos < len && b[pos] == '[') {
                uint32_t c = code_of(src, sl), hi = code_of(src2, sl2);
                for (pos++; c <= hi; c++) {
                    skip_ws(b, len, &pos);
                    if ((dl = cmap_hex(b, len, &pos, dst, sizeof(dst))) < 0)
                        break;
                    if (map_add(f, &cap, c, c, cp, utf16_cps(dst, dl, cp)) != 0)
                        goto done;
                }
                while (pos < len && b[pos] != ']')
                    pos++;
                if (pos < len)
                    pos++;
                continue;
            }
            if ((dl = cmap_hex(b, len, &pos, dst, sizeof(dst))) < 0)
                break;
            {
                uint8_t n = utf16_cps(dst, dl, cp);
                uint32_t lo = code_of(src, sl), hi = range ? code_of(src2, sl2) : lo;
                if (hi < lo || n == 0)
                    continue;
                if (hi > lo)
                    n = 1; /* a range increments its (first) code point */
                if (map_add(f, &cap, lo, hi, cp, n) != 0)
                    goto done;
            }
        }
    }
done:
    free(b);
    if (f->nmap > 0)
        qsort(f->map, f->nmap, sizeof(f->map[0]), map_cmp);
}

static int width_cmp(const void *a, const void *b)
{
    const mk_width *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int width_add(mk_font *f, size_t *cap, uint32_t lo, uint32_t hi, double w)
{
    if (f->nw == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        mk_width *g;
        if (nc > MK_MAX_ENTRIES)
            return -1;
        g = realloc(f->w, nc * sizeof(*g));
        if (g == NULL)
            return -1;
        f->w = g;
        *cap = nc;
    }
    f->w[f->nw].lo = lo;
    f->w[f->nw].hi = hi;
    f->w[f->nw].w = w;
    f->nw++;
    return 0;
}

/* A composite font's descendant /W ([c [w1 w2 ...]] and [c1 c2 w] entries) and /DW. */
static void load_cid_widths(mk *m, mk_font *f, const pdf_obj *font)
{
    const pdf_obj *df = pdf_resolve(m->d, pdf_dict_get(font, "DescendantFonts")), *cf, *w;
    size_t i, cap = 0;
    double dw;

    f->dw = 1000;
    cf = df != NULL && df->type == PDF_ARRAY && df->u.arr.n >= 1
             ? pdf_resolve(m->d, df->u.arr.items[0])
             : NULL;
    if (cf == NULL || cf->type != PDF_DICT)
        return;
    dw = num_of(m->d, pdf_dict_get(cf, "DW"));
    if (dw >= 0 && dw < 100000)
        f->dw = dw;
    w = pdf_resolve(m->d, pdf_dict_get(cf, "W"));
    for (i = 0; w != NULL && w->type == PDF_ARRAY && i + 1 < w->u.arr.n;) {
        double c1 = num_of(m->d, w->u.arr.items[i]);
        const pdf_obj *nx = pdf_resolve(m->d, w->u.arr.items[i + 1]);
        if (c1 < 0 || c1 > 0xFFFF || nx == NULL)
            break;
        if (nx->type == PDF_ARRAY) {
            size_t k;
            for (k = 0; k < nx->u.arr.n && c1 + (double)k <= 0xFFFF; k++) {
                double v = num_of(m->d, nx->u.arr.items[k]);
                if (v >= 0 && v < 100000 &&
                    width_add(f, &cap, (uint32_t)c1 + (uint32_t)k, (uint32_t)c1 + (uint32_t)k, v))
                    goto done;
            }
            i += 2;
        } else {
            double c2 = num_of(m->d, nx), v;
            if (i + 2 >= w->u.arr.n)
                break;
            v = num_of(m->d, w->u.arr.items[i + 2]);
            if (c2 >= c1 && c2 <= 0xFFFF && v >= 0 && v < 100000 &&
                width_add(f, &cap, (uint32_t)c1, (uint32_t)c2, v))
                goto done;
            i += 3;
        }
    }
done:
    if (f->nw > 0)
        qsort(f->w, f->nw, sizeof(f->w[0]), width_cmp);
}

/*
 * The font's ascent and descent (§9.8.1 /Ascent, /Descent of its font
 * descriptor, or its descendant's for a composite font), else those of the
 * standard font its name suggests (AFM: Helvetica 718/-207, Times 683/-217,
 * Courier 629/-157), else 0.8 and -0.2 em.
 */
static void font_metrics(mk *m, mk_font *f, const pdf_obj *fd)
{
    const pdf_obj *desc_font = fd, *bf, *des;
    double a, dsc;

    f->asc = 0.8;
    f->desc = -0.2;
    if (f->two_byte) {
        const pdf_obj *df = pdf_resolve(m->d, pdf_dict_get(fd, "DescendantFonts"));
        desc_font = df != NULL && df->type == PDF_ARRAY && df->u.arr.n > 0
                        ? pdf_resolve(m->d, df->u.arr.items[0])
                        : NULL;
        if (desc_font == NULL || desc_font->type != PDF_DICT)
            desc_font = fd;
    }
    bf = pdf_resolve(m->d, pdf_dict_get(fd, "BaseFont"));
    if (bf != NULL && bf->type == PDF_NAME) {
        if (strstr(bf->u.str.p, "Times") != NULL) {
            f->asc = 0.683;
            f->desc = -0.217;
        } else if (strstr(bf->u.str.p, "Courier") != NULL) {
            f->asc = 0.629;
            f->desc = -0.157;
        } else if (strstr(bf->u.str.p, "Helvetica") != NULL || strstr(bf->u.str.p, "Arial")) {
            f->asc = 0.718;
            f->desc = -0.207;
        }
    }
    des = pdf_resolve(m->d, pdf_dict_get(desc_font, "FontDescriptor"));
    if (des == NULL || des->type != PDF_DICT)
        return;
    a = num_of(m->d, pdf_dict_get(des, "Ascent"));
    dsc = pdf_num(pdf_resolve(m->d, pdf_dict_get(des, "Descent")));
    if (a > 0 && a < 2000)
        f->asc = a / 1000.0;
    if (dsc < 0 && dsc > -2000)
        f->desc = dsc / 1000.0;
}

/* The page font f (a dictionary) decoded, from the cache or now; -1 when the cache is full. */
static int font_index(mk *m, const pdf_obj *fd)
{
    mk_font *f;
    size_t i;

    for (i = 0; i < m->nfont; i++)
        if (m->font[i].dict == fd)
            return (int)i;
    if (m->nfont == MK_MAX_FONTS)
        return -1;
    f = &m->font[m->nfont];
    memset(f, 0, sizeof(*f));
    f->dict = fd;
    if (pdf_is_name(pdf_resolve(m->d, pdf_dict_get(fd, "Subtype")), "Type0")) {
        f->two_byte = 1;
        load_cid_widths(m, f, fd);
    } else {
        const pdf_obj *w = pdf_resolve(m->d, pdf_dict_get(fd, "Widths"));
        int64_t fc = 0;
        if (w != NULL && w->type == PDF_ARRAY &&
            pdf_get_int(pdf_resolve(m->d, pdf_dict_get(fd, "FirstChar")), &fc) == 0 && fc >= 0 &&
            fc < 256) {
            f->widths = w;
            f->first = fc;
        }
    }
    load_tounicode(m, f, pdf_resolve(m->d, pdf_dict_get(fd, "ToUnicode")));
    font_metrics(m, f, fd);
    return (int)m->nfont++;
}

/* Tf: the font by its resource name and the size. */
static void set_font(mk *m, const unsigned char *name, size_t nlen, double size)
{
    gstate *g = &m->gs[m->depth];
    char key[128];
    const pdf_obj *f;

    g->fs = size;
    g->font = -1;
    if (m->fonts == NULL || nlen == 0 || nlen >= sizeof(key))
        return;
    memcpy(key, name, nlen);
    key[nlen] = '\0';
    f = pdf_resolve(m->d, pdf_dict_get(m->fonts, key));
    if (f == NULL || f->type != PDF_DICT)
        return;
    g->font = font_index(m, f);
}

static void mk_free(mk *m)
{
    size_t i;

    if (m == NULL)
        return;
    for (i = 0; i < m->nfont; i++) {
        free(m->font[i].map);
        free(m->font[i].w);
    }
    free(m);
}

static int op_is(const unsigned char *w, size_t n, const char *op)
{
    return strlen(op) == n && memcmp(w, op, n) == 0;
}

static void run_content(mk *m, const unsigned char *b, size_t len);

/* The dictionary res[key] of resources res, or NULL. */
static const pdf_obj *res_dict(pdf_doc *d, const pdf_obj *res, const char *key)
{
    const pdf_obj *o;

    res = pdf_resolve(d, res);
    if (res == NULL || res->type != PDF_DICT)
        return NULL;
    o = pdf_resolve(d, pdf_dict_get(res, key));
    return o != NULL && o->type == PDF_DICT ? o : NULL;
}

/*
 * Do: a form XObject's content run in place (ISO 32000-1 §8.10.1): its
 * /Matrix on the CTM, its own /Resources (else the caller's), the text
 * state kept around it. Bounded: MK_MAX_FORM_DEPTH deep, no form inside
 * itself, the page's decoded-content budget shared.
 */
static void run_form(mk *m, const unsigned char *name, size_t nlen)
{
    const pdf_obj *x, *mtx, *res;
    const pdf_obj *fonts = m->fonts, *xobjs = m->xobjs;
    unsigned char *b = NULL;
    size_t len = 0, i;
    double tm[6], tlm[6];
    char key[128];
    sertel_err e = {0};
    gstate *g;

    if (m->xobjs == NULL || nlen == 0 || nlen >= sizeof(key) || m->nforms == MK_MAX_FORM_DEPTH ||
        m->depth + 1 >= MK_MAX_GSTACK)
        return;
    memcpy(key, name, nlen);
    key[nlen] = '\0';
    x = pdf_resolve(m->d, pdf_dict_get(m->xobjs, key));
    if (x == NULL || x->type != PDF_STREAM ||
        !pdf_is_name(pdf_resolve(m->d, pdf_dict_get(x, "Subtype")), "Form"))
        return;
    for (i = 0; i < m->nforms; i++)
        if (m->forms[i] == x)
            return; /* a form that draws itself */
    if (m->budget == 0 || *m->left == 0 ||
        pdf_stream_decode(m->d, x, m->budget < *m->left ? m->budget : *m->left, &b, &len, &e) !=
            SERTEL_OK)
        return;
    m->budget -= len < m->budget ? len : m->budget;
    *m->left -= len < *m->left ? len : *m->left;
    /* q, then cm /Matrix */
    m->gs[m->depth + 1] = m->gs[m->depth];
    m->depth++;
    g = &m->gs[m->depth];
    mtx = pdf_resolve(m->d, pdf_dict_get(x, "Matrix"));
    if (mtx != NULL && mtx->type == PDF_ARRAY && mtx->u.arr.n == 6) {
        double fm[6];
        for (i = 0; i < 6; i++)
            fm[i] = num_of(m->d, mtx->u.arr.items[i]);
        mat_mul(fm, g->ctm, g->ctm);
    }
    res = pdf_dict_get(x, "Resources");
    if (res != NULL) {
        m->fonts = res_dict(m->d, res, "Font");
        m->xobjs = res_dict(m->d, res, "XObject");
    }
    memcpy(tm, m->tm, sizeof(tm));
    memcpy(tlm, m->tlm, sizeof(tlm));
    m->forms[m->nforms++] = x;
    run_content(m, b, len);
    m->nforms--;
    memcpy(m->tm, tm, sizeof(tm));
    memcpy(m->tlm, tlm, sizeof(tlm));
    m->fonts = fonts;
    m->xobjs = xobjs;
    free(b);
}

/* Run the content b[0..len) of a page or form XObject. */
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
            num[nnum++] = content_num(tmp);
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
            } else if (op_is(w, wn, "Do") && name_n > 0) {
                /* The form runs between an implicit q and Q, whatever its own q/Q do. */
                unsigned depth = m->depth, overflow = m->overflow;
                run_form(m, b + name_s, name_n);
                m->depth = depth;
                m->overflow = overflow;
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
static int page_content(pdf_doc *d, const pdf_obj *page, size_t max, unsigned char **out,
                        size_t *out_len, sertel_err *err)
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
        rc = pdf_stream_decode(d, s, max - total, &dec, &dlen, err);
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
        if (total >= max) {
            free(all);
            return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                                  "a page's content decodes to more than %zu bytes", max);
        }
    }
    *out = all;
    *out_len = total;
    return SERTEL_OK;
}

/*
 * Run page p's content with m (set up for a search or a probe): its
 * fonts and forms, within the page's and the whole search's budgets
 * (*left). SERTEL_OK also when nothing was found.
 */
static int run_page(pdf_doc *d, size_t p, mk *m, size_t *left, sertel_err *err)
{
    pdf_page pg;
    unsigned char *content = NULL;
    size_t clen = 0;
    int rc;

    rc = pdf_page_get(d, p, &pg, err);
    if (rc != SERTEL_OK)
        return rc;
    rc = *left == 0 ? SERTEL_ERR_UNSUPPORTED
                    : page_content(d, pg.dict, *left < MK_MAX_CONTENT ? *left : MK_MAX_CONTENT,
                                   &content, &clen, err);
    if (rc != SERTEL_OK && *left < MK_MAX_CONTENT)
        /* Over what is left of the whole search's budget (not necessarily damaged). */
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "the pages up to page %zu decode to more than %u MiB: give "
                              "--page N to search the page with the marker",
                              p, MK_MAX_SEARCH >> 20);
    if (rc != SERTEL_OK) {
        sertel_err_prefix(err, "reading the text of page %zu", p);
        return rc;
    }
    m->d = d;
    m->pending = -1;
    m->fonts = res_dict(d, pg.resources, "Font");
    m->xobjs = res_dict(d, pg.resources, "XObject");
    m->budget = MK_MAX_CONTENT > clen ? MK_MAX_CONTENT - clen : 0;
    *left -= clen < *left ? clen : *left;
    m->left = left;
    mat_id(m->gs[0].ctm);
    m->gs[0].font = -1;
    m->gs[0].th = 1;
    m->gs[0].fs = 1;
    mat_id(m->tm);
    mat_id(m->tlm);
    if (content != NULL)
        run_content(m, content, clen);
    free(content);
    return SERTEL_OK;
}

int pdf_find_marker_at(pdf_doc *d, const char *marker, size_t page, pdf_marker_pos *out,
                       sertel_err *err)
{
    size_t count, p, first, last, left = MK_MAX_SEARCH;
    int rc, found;

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
        mk *m = calloc(1, sizeof(*m));
        if (m == NULL)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        {
            /* The marker's characters (UTF-8; a byte that is not is taken as Latin-1). */
            const unsigned char *u = (const unsigned char *)marker;
            size_t ul = strlen(marker), i = 0;
            while (i < ul && m->mlen < MK_MAX_MARKER) {
                unsigned long cp;
                if (pdf_utf8_next(u, ul, &i, &cp) != 0)
                    cp = u[i++];
                m->marker[m->mlen++] = (uint32_t)cp;
            }
        }
        rc = run_page(d, p, m, &left, err);
        found = rc == SERTEL_OK && m->found;
        if (found) {
            out->page = p;
            out->x = m->fx;
            out->y = m->fy;
            memcpy(out->box, m->fbox, sizeof(out->box));
        }
        mk_free(m);
        if (rc != SERTEL_OK || found)
            return rc;
    }
    if (page != 0)
        return sertel_err_set(
            err, SERTEL_ERR_NOTFOUND,
            "marker '%s' not found on page %zu (composite fonts without a /ToUnicode map, "
            "annotations and text drawn as images are not searched)",
            marker, page);
    return sertel_err_set(
        err, SERTEL_ERR_NOTFOUND,
        "marker '%s' not found on any page (composite fonts without a /ToUnicode map, "
        "annotations and text drawn as images are not searched)",
        marker);
}

int pdf_find_marker(pdf_doc *d, const char *marker, size_t page, size_t *page_out, double *x,
                    double *y, sertel_err *err)
{
    pdf_marker_pos pos;
    int rc = pdf_find_marker_at(d, marker, page, &pos, err);

    if (rc == SERTEL_OK) {
        *page_out = pos.page;
        *x = pos.x;
        *y = pos.y;
    }
    return rc;
}

int pdf_text_overlap(pdf_doc *d, size_t page, const double rect[4], const double except[4],
                     size_t *glyphs, char *sample, size_t cap, sertel_err *err)
{
    size_t left = MK_MAX_SEARCH;
    mk *m = calloc(1, sizeof(*m));
    int rc;

    *glyphs = 0;
    if (cap > 0)
        sample[0] = '\0';
    if (m == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    m->probing = 1;
    memcpy(m->probe, rect, sizeof(m->probe));
    if (except != NULL)
        memcpy(m->except, except, sizeof(m->except));
    m->sample = cap > 0 ? sample : NULL;
    m->sample_cap = cap;
    rc = run_page(d, page, m, &left, err);
    if (rc == SERTEL_OK)
        *glyphs = m->hits;
    mk_free(m);
    return rc;
}
