/*
 * expand.c - how large a stream becomes when it is decoded (ISO 32000-1
 * §7.4), for refusing decompression bombs (pdf_stream_expand, pdf.h).
 *
 * The general filters are run as a chain of streaming stages, each with a
 * small fixed buffer, and counted; nothing the size of the output is ever
 * held: FlateDecode (RFC 1950), LZWDecode (§7.4.4, EarlyChange), both with
 * the PNG and TIFF predictors (§7.4.4.4) when another filter follows them,
 * ASCIIHexDecode (§7.4.2), ASCII85Decode (§7.4.3) and RunLengthDecode
 * (§7.4.5). Every stage stops as soon as it has produced more than the
 * limit. Damaged data ends a stage where a viewer would stop too.
 *
 * The image filters end a chain (§7.4.1); their output size is read from
 * the image's own header, which is what a decoder allocates by:
 * DCTDecode from the JPEG frame header SOFn (ITU-T T.81 §B.2.2),
 * JPXDecode from the codestream's SIZ marker (ISO/IEC 15444-1 §A.5.1,
 * inside the jp2c box of a JP2 file, §I.5), JBIG2Decode from its page
 * information and region segment headers (ISO/IEC 14492 §7.2, §7.4.1,
 * §7.4.8; also those of /JBIG2Globals), CCITTFaxDecode from /Columns and
 * /Rows or the image's /Height (§7.4.6). For an image XObject (§8.9.5)
 * /Width x /Height x components x bits per component counts as well.
 */
#define ZLIB_CONST

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pdf/pdf_int.h"

#define STAGE_BUF 16384
#define MAX_STAGES 8
#define JBIG2_MAX_SEGMENTS 100000

enum {
    ST_FLATE,
    ST_LZW,
    ST_AHX,
    ST_A85,
    ST_RL,
    ST_PNG_PRED,
    ST_TIFF_PRED,
    ST_DCT,
    ST_JPX,
    ST_JBIG2,
    ST_CCITT
};

typedef struct stage {
    int kind;
    const pdf_obj *parms; /* resolved DecodeParms dictionary, or NULL */
    uint64_t produced;
    int done; /* end of data (or damaged data): further input is ignored */
    unsigned char *out;
    /* FlateDecode */
    z_stream zs;
    int zinit;
    /* LZWDecode */
    uint16_t *prefix;
    unsigned char *suffix, *first;
    uint16_t *slen;
    uint32_t bitbuf;
    int bits, codelen, next, prev, early;
    /* ASCIIHex, ASCII85, RunLength: a partial group */
    unsigned char grp[5];
    int ngrp;
    int rl_copy, rl_repeat; /* RunLength: literal bytes left; repeat count waiting for its byte */
    /* predictors */
    size_t row_len, bpp, row_pos;
    unsigned char *row, *prevrow;
    /* image codecs: their input, unless they are the first stage */
    unsigned char *in;
    size_t in_len, in_cap;
} stage;

typedef struct chain {
    pdf_doc *d;
    const pdf_obj *s;
    stage st[MAX_STAGES];
    int n;
    uint64_t max, size, work;
    int over;        /* a stage produced more than max */
    int nomem;       /* an allocation failed */
    const char *bad; /* an image codec's size could not be found: why */
} chain;

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    uint64_t r;

    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static void note_size(chain *c, uint64_t n)
{
    if (n > c->size)
        c->size = n;
    if (n > c->max)
        c->over = 1;
}

static int push(chain *c, int i, const unsigned char *in, size_t n);

/* Stage i produced n bytes in its buffer: count them and hand them on. */
static int emit(chain *c, int i, size_t n)
{
    stage *s = &c->st[i];

    if (n == 0)
        return 0;
    s->produced += n;
    c->work += n;
    note_size(c, s->produced);
    if (c->over)
        return -1;
    return push(c, i + 1, s->out, n);
}

/* --- FlateDecode --- */

static int flate_push(chain *c, int i, const unsigned char *in, size_t n)
{
    stage *s = &c->st[i];

    s->zs.next_in = in;
    s->zs.avail_in = (uInt)n; /* at most STAGE_BUF */
    while (!s->done) {
        int zr;
        size_t got;
        s->zs.next_out = s->out;
        s->zs.avail_out = STAGE_BUF;
        zr = inflate(&s->zs, Z_NO_FLUSH);
        got = STAGE_BUF - s->zs.avail_out;
        if (zr == Z_MEM_ERROR) {
            c->nomem = 1;
            return -1;
        }
        if (zr == Z_STREAM_END || (zr != Z_OK && zr != Z_BUF_ERROR))
            s->done = 1; /* the end, or damaged data: what came out counts */
        if (emit(c, i, got) != 0)
            return -1;
        if (s->zs.avail_in == 0 && s->zs.avail_out != 0)
            break; /* all input taken and nothing pending */
        if (zr == Z_BUF_ERROR && got == 0)
            break;
    }
    return 0;
}

/* --- LZWDecode --- */

static int lzw_reset_needed(stage *s)
{
    s->next = 258;
    s->codelen = 9;
    s->prev = -1;
    return 0;
}

/* Write the string of code into s->out at the end of the room; returns its length. */
static size_t lzw_string(stage *s, int code, unsigned char *dst)
{
    size_t len = s->slen[code], k = len;

    while (k > 0) {
        dst[--k] = s->suffix[code];
        code = s->prefix[code];
    }
    return len;
}

static int lzw_push(chain *c, int i, const unsigned char *in, size_t n)
{
    stage *s = &c->st[i];
    size_t p = 0, o = 0;

    while (p < n && !s->done) {
        int code;
        s->bitbuf = s->bitbuf << 8 | in[p++];
        s->bits += 8;
        while (s->bits >= s->codelen && !s->done) {
            code = (int)(s->bitbuf >> (s->bits - s->codelen)) & ((1 << s->codelen) - 1);
            s->bits -= s->codelen;
            if (code == 256) {
                lzw_reset_needed(s);
                continue;
            }
            if (code == 257 || code > s->next || (s->prev < 0 && code > 256) ||
                (code == s->next && s->prev < 0)) {
                s->done = 1; /* end of data, or a code that cannot be */
                break;
            }
            if (STAGE_BUF - o < 4097) {
                if (emit(c, i, o) != 0)
                    return -1;
                o = 0;
            }
            if (s->prev < 0) {
                s->out[o++] = (unsigned char)code;
                s->prev = code;
                continue;
            }
            if (s->next < 4096) {
                int fc = code < s->next ? s->first[code] : s->first[s->prev];
                s->prefix[s->next] = (uint16_t)s->prev;
                s->suffix[s->next] = (unsigned char)fc;
                s->first[s->next] = s->first[s->prev];
                s->slen[s->next] = (uint16_t)(s->slen[s->prev] + 1);
                s->next++;
                if (s->next + s->early >= (1 << s->codelen) && s->codelen < 12)
                    s->codelen++;
            }
            o += lzw_string(s, code < 4096 ? code : s->prev, s->out + o);
            s->prev = code;
        }
        s->bitbuf &= (1u << s->bits) - 1;
    }
    return emit(c, i, o);
}

/* --- ASCIIHexDecode, ASCII85Decode, RunLengthDecode --- */

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static int ahx_push(chain *c, int i, const unsigned char *in, size_t n)
{
    stage *s = &c->st[i];
    size_t p, o = 0;

    for (p = 0; p < n && !s->done; p++) {
        int v = hexval(in[p]);
        if (in[p] == '>' || (v < 0 && !pdf_is_ws(in[p]))) {
            s->done = 1;
            break;
        }
        if (v < 0)
            continue;
        if (s->ngrp == 0) {
            s->grp[0] = (unsigned char)v;
            s->ngrp = 1;
        } else {
            s->out[o++] = (unsigned char)(s->grp[0] << 4 | v);
            s->ngrp = 0;
            if (o == STAGE_BUF) {
                if (emit(c, i, o) != 0)
                    return -1;
                o = 0;
            }
        }
    }
    if (s->done && s->ngrp == 1) { /* an odd final digit: a trailing 0 */
        s->out[o++] = (unsigned char)(s->grp[0] << 4);
        s->ngrp = 0;
    }
    return emit(c, i, o);
}

static int a85_push(chain *c, int i, const unsigned char *in, size_t n)
{
    stage *s = &c->st[i];
    size_t p, o = 0;
    int k;

    for (p = 0; p < n && !s->done; p++) {
        unsigned char ch = in[p];
        if (STAGE_BUF - o < 4) {
            if (emit(c, i, o) != 0)
                return -1;
            o = 0;
        }
        if (pdf_is_ws(ch))
            continue;
        if (ch == 'z' && s->ngrp == 0) {
            memset(s->out + o, 0, 4);
            o += 4;
            continue;
        }
        if (ch < '!' || ch > 'u') { /* "~>" or damage: the end, with a partial group */
            s->done = 1;
            if (s->ngrp >= 2)
                o += (size_t)s->ngrp - 1; /* bytes decoded from a short group (§7.4.3) */
            s->ngrp = 0;
            break;
        }
        s->grp[s->ngrp++] = ch;
        if (s->ngrp == 5) {
            uint64_t v = 0;
            for (k = 0; k < 5; k++)
                v = v * 85 + (uint64_t)(s->grp[k] - '!');
            s->out[o++] = (unsigned char)(v >> 24);
            s->out[o++] = (unsigned char)(v >> 16);
            s->out[o++] = (unsigned char)(v >> 8);
            s->out[o++] = (unsigned char)v;
            s->ngrp = 0;
        }
    }
    return emit(c, i, o);
}

static int rl_push(chain *c, int i, const unsigned char *in, size_t n)
{
    stage *s = &c->st[i];
    size_t p = 0, o = 0;

    while (p < n && !s->done) {
        if (STAGE_BUF - o < 128) {
            if (emit(c, i, o) != 0)
                return -1;
            o = 0;
        }
        if (s->rl_copy > 0) {
            s->out[o++] = in[p++];
            s->rl_copy--;
        } else if (s->rl_repeat > 0) {
            memset(s->out + o, in[p++], (size_t)s->rl_repeat);
            o += (size_t)s->rl_repeat;
            s->rl_repeat = 0;
        } else if (in[p] == 128) {
            s->done = 1;
        } else if (in[p] < 128) {
            s->rl_copy = in[p++] + 1;
        } else {
            s->rl_repeat = 257 - in[p++];
        }
    }
    return emit(c, i, o);
}

/* --- predictors (only when another filter follows: their output is at most their input) --- */

static int png_pred_push(chain *c, int i, const unsigned char *in, size_t n)
{
    stage *s = &c->st[i];
    size_t p, k, o = 0;

    for (p = 0; p < n; p++) {
        s->row[s->row_pos++] = in[p];
        if (s->row_pos < s->row_len + 1)
            continue;
        s->row_pos = 0;
        /* An unknown row filter is taken as None, as viewers do (a size, not pixels, is wanted). */
        (void)pdf_png_row(s->row[0] <= 4 ? s->row[0] : 0, s->row + 1, s->prevrow, s->row_len,
                          s->bpp);
        memcpy(s->prevrow, s->row + 1, s->row_len);
        for (k = 0; k < s->row_len; k++) {
            if (o == STAGE_BUF) {
                if (emit(c, i, o) != 0)
                    return -1;
                o = 0;
            }
            s->out[o++] = s->prevrow[k];
        }
    }
    return emit(c, i, o);
}

static int tiff_pred_push(chain *c, int i, const unsigned char *in, size_t n)
{
    stage *s = &c->st[i];
    size_t p, o = 0;

    for (p = 0; p < n; p++) {
        unsigned char x = in[p];
        if (s->row_pos >= s->bpp)
            x = (unsigned char)(x + s->row[s->row_pos - s->bpp]);
        s->row[s->row_pos++] = x;
        if (s->row_pos == s->row_len)
            s->row_pos = 0;
        if (o == STAGE_BUF) {
            if (emit(c, i, o) != 0)
                return -1;
            o = 0;
        }
        s->out[o++] = x;
    }
    return emit(c, i, o);
}

/* --- image codecs: collect their input (when they are not the first stage) --- */

static int codec_push(chain *c, int i, const unsigned char *in, size_t n)
{
    stage *s = &c->st[i];

    if (n > s->in_cap - s->in_len) {
        size_t cap = s->in_cap ? s->in_cap : STAGE_BUF;
        unsigned char *nb;
        while (cap - s->in_len < n)
            cap *= 2;
        nb = realloc(s->in, cap);
        if (nb == NULL) {
            c->nomem = 1;
            return -1;
        }
        s->in = nb;
        s->in_cap = cap;
    }
    memcpy(s->in + s->in_len, in, n);
    s->in_len += n;
    return 0;
}

static int push(chain *c, int i, const unsigned char *in, size_t n)
{
    stage *s;

    if (i >= c->n || n == 0)
        return 0;
    s = &c->st[i];
    if (s->done)
        return 0;
    switch (s->kind) {
    case ST_FLATE:
        return flate_push(c, i, in, n);
    case ST_LZW:
        return lzw_push(c, i, in, n);
    case ST_AHX:
        return ahx_push(c, i, in, n);
    case ST_A85:
        return a85_push(c, i, in, n);
    case ST_RL:
        return rl_push(c, i, in, n);
    case ST_PNG_PRED:
        return png_pred_push(c, i, in, n);
    case ST_TIFF_PRED:
        return tiff_pred_push(c, i, in, n);
    default:
        return codec_push(c, i, in, n);
    }
}

/* --- the size an image codec decodes to --- */

static uint32_t be16(const unsigned char *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* JPEG: width x height x components of the first frame header; 0 when there is none. */
static uint64_t dct_size(const unsigned char *b, size_t len)
{
    size_t p = 2;

    if (len < 4 || b[0] != 0xff || b[1] != 0xd8)
        return 0;
    while (p + 4 <= len) {
        unsigned char m;
        size_t seglen;
        if (b[p] != 0xff)
            return 0;
        while (p < len && b[p] == 0xff)
            p++;
        if (p >= len)
            return 0;
        m = b[p++];
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd7))
            continue;
        if (m == 0xd9 || m == 0xda || len - p < 2)
            return 0; /* a scan or the end before any frame header */
        seglen = be16(b + p);
        if (seglen < 2 || seglen > len - p)
            return 0;
        if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc) {
            if (seglen < 8)
                return 0;
            /* P Y X Nf: a height of 0 is given later by DNL: count it as the largest */
            return mul_sat(mul_sat(be16(b + p + 3) ? be16(b + p + 3) : 65535, be16(b + p + 5)),
                           b[p + 7]);
        }
        p += seglen;
    }
    return 0;
}

/* JPEG 2000 codestream at b: SOC then SIZ (Xsiz Ysiz XOsiz YOsiz ... Csiz, Ssiz). */
static uint64_t jpx_codestream(const unsigned char *b, size_t len)
{
    uint64_t w, h, total = 0;
    unsigned ncomp, k;

    if (len < 4 + 38 || be16(b) != 0xff4f || be16(b + 2) != 0xff51)
        return 0;
    b += 4;
    len -= 4;
    if (be32(b + 4) < be32(b + 12) || be32(b + 8) < be32(b + 16))
        return 0;
    w = be32(b + 4) - be32(b + 12);
    h = be32(b + 8) - be32(b + 16);
    ncomp = be16(b + 36);
    if (ncomp == 0 || 38 + 3 * (size_t)ncomp > len)
        return 0;
    for (k = 0; k < ncomp; k++)
        total += ((b[38 + 3 * k] & 0x7f) + 8u) / 8; /* bytes per sample of component k */
    return mul_sat(mul_sat(w, h), total);
}

/* JP2 boxes (or a bare codestream): the size from the codestream's SIZ. */
static uint64_t jpx_size(const unsigned char *b, size_t len)
{
    size_t p = 0;
    unsigned boxes = 0;

    if (len >= 4 && be16(b) == 0xff4f)
        return jpx_codestream(b, len);
    while (len - p >= 8 && boxes++ < 10000) {
        uint64_t blen = be32(b + p);
        size_t hdr = 8;
        if (blen == 1) {
            if (len - p < 16)
                return 0;
            blen = (uint64_t)be32(b + p + 8) << 32 | be32(b + p + 12);
            hdr = 16;
        } else if (blen == 0) {
            blen = len - p;
        }
        if (blen < hdr || blen > len - p)
            return 0;
        if (memcmp(b + p + 4, "jp2c", 4) == 0)
            return jpx_codestream(b + p + hdr, (size_t)blen - hdr);
        p += (size_t)blen;
    }
    return 0;
}

/*
 * JBIG2 segments (embedded stream organisation, §7.2): the largest of the
 * page information (type 48) and region segment information fields, as
 * width x height bits. Returns 0 when none was found.
 */
static uint64_t jbig2_size(const unsigned char *b, size_t len)
{
    size_t p = 0;
    uint64_t best = 0;
    unsigned nseg = 0;

    while (len - p >= 11 && nseg++ < JBIG2_MAX_SEGMENTS) {
        uint32_t segnum = be32(b + p), nref, dlen, w, h;
        unsigned type = b[p + 4] & 0x3f, pa4 = b[p + 4] & 0x40;
        size_t q = p + 5, refsize = segnum <= 256 ? 1 : segnum <= 65536 ? 2 : 4;
        nref = b[q] >> 5;
        if (nref == 7) {
            if (len - q < 4)
                break;
            nref = be32(b + q) & 0x1fffffff;
            if (nref > 1u << 24)
                break;
            q += 4 + (nref + 8) / 8;
        } else if (nref <= 4) {
            q += 1;
        } else {
            break;
        }
        if ((uint64_t)nref * refsize > len || q + (size_t)nref * refsize + (pa4 ? 4 : 1) + 4 > len)
            break;
        q += (size_t)nref * refsize + (pa4 ? 4 : 1);
        dlen = be32(b + q);
        q += 4;
        if (dlen == 0xffffffffu || dlen > len - q) /* unknown length, or past the end */
            dlen = (uint32_t)((len - q) > 0xfffffffeu ? 0xfffffffeu : len - q);
        if (dlen >= 8 && (type == 48 || type == 4 || type == 6 || type == 7 || type == 20 ||
                          type == 22 || type == 23 || type == 36 || type == 38 || type == 39 ||
                          type == 40 || type == 42 || type == 43)) {
            w = be32(b + q);
            h = be32(b + q + 4);
            if (type == 48 && h == 0xffffffffu) /* striped page, height unknown */
                h = 0;
            if (mul_sat(w, h) > best)
                best = mul_sat(w, h);
        }
        if (type == 51) /* end of file */
            break;
        p = q + dlen;
    }
    return (best + 7) / 8;
}

/* Number of colour components of a colour space (§8.6); 4 when unknown. */
static uint64_t components(pdf_doc *d, const pdf_obj *cs)
{
    const pdf_obj *fam;

    cs = pdf_resolve(d, cs);
    if (cs == NULL)
        return 4;
    if (cs->type == PDF_NAME) {
        if (pdf_is_name(cs, "DeviceGray") || pdf_is_name(cs, "G") || pdf_is_name(cs, "Indexed") ||
            pdf_is_name(cs, "I"))
            return 1;
        if (pdf_is_name(cs, "DeviceRGB") || pdf_is_name(cs, "RGB"))
            return 3;
        return 4;
    }
    if (cs->type != PDF_ARRAY || cs->u.arr.n == 0)
        return 4;
    fam = pdf_resolve(d, cs->u.arr.items[0]);
    if (pdf_is_name(fam, "Indexed") || pdf_is_name(fam, "I") || pdf_is_name(fam, "Separation") ||
        pdf_is_name(fam, "CalGray"))
        return 1;
    if (pdf_is_name(fam, "CalRGB") || pdf_is_name(fam, "Lab"))
        return 3;
    if (pdf_is_name(fam, "DeviceN") && cs->u.arr.n > 1) {
        const pdf_obj *names = pdf_resolve(d, cs->u.arr.items[1]);
        if (names != NULL && names->type == PDF_ARRAY && names->u.arr.n > 0)
            return names->u.arr.n;
    }
    if (pdf_is_name(fam, "ICCBased") && cs->u.arr.n > 1) {
        int64_t nc;
        if (pdf_get_int(pdf_resolve(d, pdf_dict_get(pdf_resolve(d, cs->u.arr.items[1]), "N")),
                        &nc) == 0 &&
            nc >= 1 && nc <= 32)
            return (uint64_t)nc;
    }
    return 4;
}

static int64_t dict_int(pdf_doc *d, const pdf_obj *dict, const char *key, int64_t dflt)
{
    int64_t v;

    if (pdf_get_int(pdf_resolve(d, pdf_dict_get(dict, key)), &v) != 0)
        return dflt;
    return v;
}

/* An image XObject's decoded size by its dictionary. */
static uint64_t image_dict_size(pdf_doc *d, const pdf_obj *s)
{
    int64_t w = dict_int(d, s, "Width", 0), h = dict_int(d, s, "Height", 0);
    int64_t bpc = dict_int(d, s, "BitsPerComponent", 8);
    const pdf_obj *mask = pdf_resolve(d, pdf_dict_get(s, "ImageMask"));
    uint64_t nc = 4, row;

    if (w <= 0 || h <= 0)
        return 0;
    if (mask != NULL && mask->type == PDF_BOOL && mask->u.boolean) {
        nc = 1;
        bpc = 1;
    } else if (pdf_dict_get(s, "ColorSpace") != NULL) {
        nc = components(d, pdf_dict_get(s, "ColorSpace"));
    }
    if (bpc < 1 || bpc > 16)
        bpc = 16;
    row = (mul_sat(mul_sat((uint64_t)w, nc), (uint64_t)bpc) + 7) / 8;
    return mul_sat(row, (uint64_t)h);
}

static void codec_size(chain *c, stage *s, const unsigned char *in, size_t n)
{
    uint64_t sz = 0;

    switch (s->kind) {
    case ST_DCT:
        sz = dct_size(in, n);
        if (sz == 0)
            c->bad = "its JPEG data has no frame header";
        break;
    case ST_JPX:
        sz = jpx_size(in, n);
        if (sz == 0)
            c->bad = "its JPEG 2000 data has no image size (SIZ marker)";
        break;
    case ST_JBIG2: {
        const pdf_obj *g = pdf_resolve(c->d, pdf_dict_get(s->parms, "JBIG2Globals"));
        sz = jbig2_size(in, n);
        if (g != NULL && g->type == PDF_STREAM && g != c->s) {
            unsigned char *gd = NULL;
            size_t gl = 0;
            sertel_err ignore = {0};
            if (pdf_stream_decode(c->d, g,
                                  (size_t)(c->max < PDF_MAX_STREAM ? c->max : PDF_MAX_STREAM), &gd,
                                  &gl, &ignore) == SERTEL_OK) {
                uint64_t gs = jbig2_size(gd, gl);
                if (gs > sz)
                    sz = gs;
            }
            free(gd);
        }
        break;
    }
    default: { /* CCITTFaxDecode: rows of /Columns bits */
        int64_t cols = dict_int(c->d, s->parms, "Columns", 1728);
        int64_t rows = dict_int(c->d, s->parms, "Rows", 0);
        if (rows <= 0)
            rows = dict_int(c->d, c->s, "Height", 0);
        if (rows <= 0) /* neither: at most one row per bit of data */
            rows = (int64_t)(n > (size_t)(INT64_MAX / 8) ? INT64_MAX : (int64_t)n * 8);
        if (cols <= 0)
            cols = 1728;
        sz = mul_sat(((uint64_t)cols + 7) / 8, (uint64_t)rows);
        break;
    }
    }
    s->produced = sz;
    c->work += sz < c->max ? sz : c->max;
    note_size(c, sz);
}

/* --- setting up the chain --- */

static int filter_kind(const pdf_obj *f)
{
    static const struct {
        const char *name, *abbr;
        int kind;
    } names[] = {
        {"FlateDecode", "Fl", ST_FLATE},     {"LZWDecode", "LZW", ST_LZW},
        {"ASCIIHexDecode", "AHx", ST_AHX},   {"ASCII85Decode", "A85", ST_A85},
        {"RunLengthDecode", "RL", ST_RL},    {"DCTDecode", "DCT", ST_DCT},
        {"CCITTFaxDecode", "CCF", ST_CCITT}, {"JPXDecode", NULL, ST_JPX},
        {"JBIG2Decode", NULL, ST_JBIG2},
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (pdf_is_name(f, names[i].name) || (names[i].abbr && pdf_is_name(f, names[i].abbr)))
            return names[i].kind;
    return -1;
}

static int add_stage(chain *c, int kind, const pdf_obj *parms, sertel_err *err)
{
    stage *s;

    if (c->n >= MAX_STAGES)
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED, "a stream has more than %d filters",
                              MAX_STAGES - 1);
    s = &c->st[c->n++];
    s->kind = kind;
    s->parms = parms;
    if (kind >= ST_DCT)
        return SERTEL_OK;
    s->out = malloc(STAGE_BUF);
    if (s->out == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    if (kind == ST_FLATE) {
        if (inflateInit(&s->zs) != Z_OK)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory (zlib)");
        s->zinit = 1;
    } else if (kind == ST_LZW) {
        int k;
        s->prefix = calloc(4096, sizeof(*s->prefix));
        s->slen = calloc(4096, sizeof(*s->slen));
        s->suffix = calloc(4096, 1);
        s->first = calloc(4096, 1);
        if (s->prefix == NULL || s->slen == NULL || s->suffix == NULL || s->first == NULL)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        for (k = 0; k < 256; k++) {
            s->suffix[k] = (unsigned char)k;
            s->first[k] = (unsigned char)k;
            s->slen[k] = 1;
        }
        s->early = (int)dict_int(c->d, parms, "EarlyChange", 1) != 0;
        lzw_reset_needed(s);
    }
    return SERTEL_OK;
}

/* A predictor after stage kind (Flate or LZW) when another stage follows it. */
static int add_predictor(chain *c, const pdf_obj *parms, sertel_err *err)
{
    int64_t pred = dict_int(c->d, parms, "Predictor", 1), cols, colors, bpc;
    stage *s;
    int rc;

    if (pred <= 1)
        return SERTEL_OK;
    cols = dict_int(c->d, parms, "Columns", 1);
    colors = dict_int(c->d, parms, "Colors", 1);
    bpc = dict_int(c->d, parms, "BitsPerComponent", 8);
    if (cols < 1 || cols > (1 << 24) || colors < 1 || colors > 32 ||
        (bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16) || (pred == 2 && bpc != 8) ||
        (pred != 2 && pred < 10))
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "a stream uses predictor %lld with parameters sertel cannot undo "
                              "before its next filter",
                              (long long)pred);
    rc = add_stage(c, pred == 2 ? ST_TIFF_PRED : ST_PNG_PRED, parms, err);
    if (rc != SERTEL_OK)
        return rc;
    s = &c->st[c->n - 1];
    s->row_len = (size_t)((cols * colors * bpc + 7) / 8);
    s->bpp = (size_t)((colors * bpc + 7) / 8);
    s->row = calloc(1, s->row_len + 1);
    s->prevrow = calloc(1, s->row_len + 1);
    if (s->row == NULL || s->prevrow == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    return SERTEL_OK;
}

static int build_chain(chain *c, sertel_err *err)
{
    pdf_doc *d = c->d;
    const pdf_obj *f = pdf_resolve(d, pdf_dict_get(c->s, "Filter"));
    const pdf_obj *dp = pdf_resolve(d, pdf_dict_get(c->s, "DecodeParms"));
    size_t nf = 0, k;

    if (f == NULL)
        return SERTEL_OK;
    if (dp == NULL)
        dp = pdf_resolve(d, pdf_dict_get(c->s, "DP"));
    if (f->type == PDF_NAME)
        nf = 1;
    else if (f->type == PDF_ARRAY)
        nf = f->u.arr.n;
    else
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED, "a stream's /Filter is not a name");
    if (nf > MAX_STAGES - 1)
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED, "a stream has more than %d filters",
                              MAX_STAGES - 1);
    for (k = 0; k < nf; k++) {
        const pdf_obj *fk = f->type == PDF_NAME ? f : pdf_resolve(d, f->u.arr.items[k]);
        const pdf_obj *pk = f->type == PDF_NAME ? dp
                            : dp != NULL && dp->type == PDF_ARRAY && k < dp->u.arr.n
                                ? pdf_resolve(d, dp->u.arr.items[k])
                                : NULL;
        int kind, rc;
        if (pk != NULL && pk->type != PDF_DICT)
            pk = NULL;
        if (pdf_is_name(fk, "Crypt")) {
            if (k != 0)
                return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                                      "a stream's Crypt filter is not its first");
            continue; /* applied by the decryption before the chain */
        }
        kind = filter_kind(fk);
        if (kind < 0)
            return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                                  "a stream uses the unknown filter /%s",
                                  fk != NULL && fk->type == PDF_NAME ? fk->u.str.p : "?");
        if (kind >= ST_DCT && k + 1 != nf)
            return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                                  "a stream has a filter after its image filter");
        rc = add_stage(c, kind, pk, err);
        if (rc == SERTEL_OK && (kind == ST_FLATE || kind == ST_LZW) && k + 1 < nf)
            rc = add_predictor(c, pk, err);
        if (rc != SERTEL_OK)
            return rc;
    }
    return SERTEL_OK;
}

static void free_chain(chain *c)
{
    int i;

    for (i = 0; i < c->n; i++) {
        stage *s = &c->st[i];
        if (s->zinit)
            inflateEnd(&s->zs);
        free(s->out);
        free(s->prefix);
        free(s->slen);
        free(s->suffix);
        free(s->first);
        free(s->row);
        free(s->prevrow);
        free(s->in);
    }
}

int pdf_stream_expand(pdf_doc *d, const pdf_obj *s, uint64_t max, uint64_t *size, uint64_t *work,
                      sertel_err *err)
{
    chain *c = NULL;
    const unsigned char *raw;
    unsigned char *plain = NULL;
    size_t raw_len, off;
    int rc = SERTEL_OK;

    *size = 0;
    *work = 0;
    if (s->type != PDF_STREAM || s->u.dict.data_off > d->len ||
        s->u.dict.data_len > d->len - s->u.dict.data_off)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: stream outside the file");
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    c->d = d;
    c->s = s;
    c->max = max;
    raw = d->buf + s->u.dict.data_off;
    raw_len = (size_t)s->u.dict.data_len;
    if (s->u.dict.crypt && d->crypt != NULL) {
        rc = pdf_crypt_stream(d, s, raw, raw_len, &plain, &raw_len, err);
        if (rc != SERTEL_OK)
            goto out;
        raw = plain;
    }
    rc = build_chain(c, err);
    if (rc != SERTEL_OK)
        goto out;
    note_size(c, raw_len);
    if (pdf_is_name(pdf_dict_get(s, "Subtype"), "Image"))
        note_size(c, image_dict_size(d, s));
    if (c->n > 0 && c->st[0].kind >= ST_DCT) {
        codec_size(c, &c->st[0], raw, raw_len); /* no copy of the raw data */
    } else {
        for (off = 0; off < raw_len && !c->over && !c->nomem;) {
            size_t k = raw_len - off > STAGE_BUF ? STAGE_BUF : raw_len - off;
            if (push(c, 0, raw + off, k) != 0)
                break;
            off += k;
        }
        if (!c->over && !c->nomem && c->n > 0 && c->st[c->n - 1].kind >= ST_DCT)
            codec_size(c, &c->st[c->n - 1], c->st[c->n - 1].in, c->st[c->n - 1].in_len);
    }
    if (c->nomem) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory decoding a stream");
        goto out;
    }
    *size = c->size;
    *work = c->work;
    if (!c->over && c->bad != NULL)
        rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                            "damaged PDF: an image stream cannot be "
                            "measured: %s",
                            c->bad);
out:
    if (plain != NULL) {
        OPENSSL_cleanse(plain, raw_len);
        free(plain);
    }
    if (c != NULL) {
        free_chain(c);
        free(c);
    }
    return rc;
}
