/*
 * filter.c - stream filters the reader needs (ISO 32000-1 §7.4):
 * FlateDecode (zlib, RFC 1950) with an output cap and a per-document
 * decompression budget (no zip bombs), and the PNG predictors of
 * §7.4.4.4 (Predictor >= 10: a filter-type byte per row).
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pdf/pdf_int.h"

/* All streams inflated for one document together, at most this much. */
#define PDF_INFLATE_BUDGET ((size_t)1 << 30)

int pdf_flate(pdf_doc *d, const unsigned char *in, size_t in_len, size_t max, unsigned char **out,
              size_t *out_len, sertel_err *err)
{
    z_stream z;
    unsigned char *buf = NULL, *nb;
    size_t cap = in_len * 4 + 1024, n = 0;
    int zr, rc;

    if (cap > max + 1)
        cap = max + 1;
    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory (zlib)");
    buf = malloc(cap);
    if (buf == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    z.next_in = (unsigned char *)(uintptr_t)in;
    for (;;) {
        size_t chunk_in = in_len - (size_t)(z.next_in - in);
        if (chunk_in > (1u << 30))
            chunk_in = 1u << 30;
        z.avail_in = (uInt)chunk_in;
        if (n == cap) {
            size_t nc = cap * 2;
            if (cap > max) {
                rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                    "damaged PDF: a compressed stream expands beyond %zu bytes",
                                    max);
                goto out;
            }
            if (nc > max + 1)
                nc = max + 1;
            nb = realloc(buf, nc);
            if (nb == NULL) {
                rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
                goto out;
            }
            buf = nb;
            cap = nc;
        }
        z.next_out = buf + n;
        z.avail_out = (uInt)(cap - n > (1u << 30) ? (1u << 30) : cap - n);
        {
            uInt before = z.avail_out;
            zr = inflate(&z, Z_NO_FLUSH);
            n += before - z.avail_out;
        }
        if (n > max) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "damaged PDF: a compressed stream expands beyond %zu bytes", max);
            goto out;
        }
        if (zr == Z_STREAM_END)
            break;
        if (zr == Z_BUF_ERROR && z.avail_in == 0 && n < cap)
            break; /* truncated input: keep what was decoded, as readers do */
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: bad compressed data (%s)",
                                z.msg ? z.msg : "zlib error");
            goto out;
        }
    }
    if (d != NULL) {
        if (d->inflated_total + n > PDF_INFLATE_BUDGET) {
            rc = sertel_err_set(err, SERTEL_ERR_INVALID,
                                "PDF decompresses to more than 1 GiB of structure: refused");
            goto out;
        }
        d->inflated_total += n;
    }
    *out = buf;
    *out_len = n;
    buf = NULL;
    rc = SERTEL_OK;
out:
    inflateEnd(&z);
    free(buf);
    return rc;
}

int pdf_png_row(unsigned ft, unsigned char *cur, const unsigned char *prev, size_t len, size_t bpp)
{
    size_t i;

    if (ft > 4)
        return -1;
    for (i = 0; i < len; i++) {
        unsigned a = i >= bpp ? cur[i - bpp] : 0, b = prev ? prev[i] : 0,
                 c = (prev && i >= bpp) ? prev[i - bpp] : 0, x = cur[i];
        switch (ft) {
        case 1:
            x += a;
            break;
        case 2:
            x += b;
            break;
        case 3:
            x += (a + b) / 2;
            break;
        case 4: { /* Paeth (PNG 9.4) */
            int pp = (int)a + (int)b - (int)c;
            int pa = abs(pp - (int)a), pb = abs(pp - (int)b), pc = abs(pp - (int)c);
            x += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            break;
        }
        default:
            break;
        }
        cur[i] = (unsigned char)x;
    }
    return 0;
}

int pdf_png_unpredict(const unsigned char *in, size_t in_len, size_t columns, size_t bpp,
                      unsigned char **out, size_t *out_len, sertel_err *err)
{
    size_t row = columns * bpp, rows, r;
    unsigned char *o;

    if (columns == 0 || bpp == 0 || columns > (1u << 20) || row + 1 == 0)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: bad predictor parameters");
    rows = in_len / (row + 1);
    o = malloc(rows * row + 1);
    if (o == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    for (r = 0; r < rows; r++) {
        unsigned char *dst = o + r * row;
        unsigned ft = in[r * (row + 1)];
        memcpy(dst, in + r * (row + 1) + 1, row);
        if (pdf_png_row(ft, dst, r ? dst - row : NULL, row, bpp) != 0) {
            free(o);
            return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: unknown PNG predictor %u",
                                  ft);
        }
    }
    *out = o;
    *out_len = rows * row;
    return SERTEL_OK;
}

static int decode_raw(pdf_doc *d, const pdf_obj *s, const unsigned char *raw, size_t raw_len,
                      size_t max, unsigned char **out, size_t *out_len, sertel_err *err)
{
    const pdf_obj *f = pdf_resolve(d, pdf_dict_get(s, "Filter"));
    const pdf_obj *dp = pdf_resolve(d, pdf_dict_get(s, "DecodeParms"));
    unsigned char *dec = NULL, *un = NULL;
    size_t dec_len = 0;
    int64_t pred = 1, cols = 1, colors = 1, bpc = 8;
    int rc;

    /* A /Crypt filter (§7.4.10) comes first; crypt.c has applied it. */
    if (pdf_is_name(f, "Crypt")) {
        f = NULL;
        dp = NULL;
    } else if (f != NULL && f->type == PDF_ARRAY && f->u.arr.n == 2 &&
               pdf_is_name(pdf_resolve(d, f->u.arr.items[0]), "Crypt")) {
        f = pdf_resolve(d, f->u.arr.items[1]);
        dp = dp != NULL && dp->type == PDF_ARRAY && dp->u.arr.n == 2
                 ? pdf_resolve(d, dp->u.arr.items[1])
                 : NULL;
    } else if (f != NULL && f->type == PDF_ARRAY && f->u.arr.n == 1 &&
               pdf_is_name(pdf_resolve(d, f->u.arr.items[0]), "Crypt")) {
        f = NULL;
        dp = NULL;
    }
    if (f != NULL && f->type == PDF_ARRAY && f->u.arr.n == 1) {
        f = pdf_resolve(d, f->u.arr.items[0]);
        if (dp != NULL && dp->type == PDF_ARRAY)
            dp = dp->u.arr.n == 1 ? pdf_resolve(d, dp->u.arr.items[0]) : NULL;
    }
    if (f == NULL || (f->type == PDF_ARRAY && f->u.arr.n == 0)) {
        if (raw_len > max)
            return sertel_err_set(err, SERTEL_ERR_INVALID, "stream larger than %zu bytes", max);
        dec = malloc(raw_len + 1);
        if (dec == NULL)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        memcpy(dec, raw, raw_len);
        *out = dec;
        *out_len = raw_len;
        return SERTEL_OK;
    }
    if (!pdf_is_name(f, "FlateDecode") && !pdf_is_name(f, "Fl"))
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "a structural stream uses a filter other than FlateDecode");
    rc = pdf_flate(d, raw, raw_len, max, &dec, &dec_len, err);
    if (rc != SERTEL_OK)
        return rc;
    if (dp != NULL && dp->type == PDF_DICT) {
        (void)pdf_get_int(pdf_dict_get(dp, "Predictor"), &pred);
        (void)pdf_get_int(pdf_dict_get(dp, "Columns"), &cols);
        (void)pdf_get_int(pdf_dict_get(dp, "Colors"), &colors);
        (void)pdf_get_int(pdf_dict_get(dp, "BitsPerComponent"), &bpc);
    }
    if (pred >= 10) {
        if (cols < 1 || cols > (1 << 20) || colors < 1 || colors > 32 || bpc != 8) {
            free(dec);
            return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                                  "unsupported predictor parameters in a structural stream");
        }
        rc = pdf_png_unpredict(dec, dec_len, (size_t)cols, (size_t)colors, &un, out_len, err);
        free(dec);
        if (rc != SERTEL_OK)
            return rc;
        *out = un;
        return SERTEL_OK;
    }
    if (pred != 1) {
        free(dec);
        return sertel_err_set(err, SERTEL_ERR_UNSUPPORTED,
                              "TIFF predictor in a structural stream is not supported");
    }
    *out = dec;
    *out_len = dec_len;
    return SERTEL_OK;
}

int pdf_stream_decode(pdf_doc *d, const pdf_obj *s, size_t max, unsigned char **out,
                      size_t *out_len, sertel_err *err)
{
    const unsigned char *raw;
    unsigned char *plain = NULL;
    size_t raw_len;
    int rc;

    if (s->type != PDF_STREAM || s->u.dict.data_off > d->len ||
        s->u.dict.data_len > d->len - s->u.dict.data_off)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "damaged PDF: stream outside the file");
    raw = d->buf + s->u.dict.data_off;
    raw_len = (size_t)s->u.dict.data_len;
    if (s->u.dict.crypt && d->crypt != NULL) {
        /* Encrypted data (§7.6.2): decrypted before the filters. */
        if (raw_len > max + 1024 && raw_len > PDF_MAX_STREAM)
            return sertel_err_set(err, SERTEL_ERR_INVALID, "stream larger than %zu bytes", max);
        rc = pdf_crypt_stream(d, s, raw, raw_len, &plain, &raw_len, err);
        if (rc != SERTEL_OK)
            return rc;
        raw = plain;
    }
    rc = decode_raw(d, s, raw, raw_len, max, out, out_len, err);
    if (plain != NULL) {
        OPENSSL_cleanse(plain, raw_len);
        free(plain);
    }
    return rc;
}
