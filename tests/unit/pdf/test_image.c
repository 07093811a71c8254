/*
 * test_image.c - the stamp's signature image (image.c): PNGs of every
 * colour type and depth (gray, gray 1-bit, RGB, RGBA, palette with tRNS,
 * gray with a tRNS key, 16-bit, interlaced) and JPEGs (gray, YCbCr,
 * progressive, Adobe CMYK), all written in the test with libpng and
 * libjpeg; hostile input (empty, garbage, every truncation, huge declared
 * sizes, too large a file) refused without a crash; and the image
 * XObjects written into a visible stamp, read back with our PDF reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <png.h>
#include <zlib.h>

#include "pdf/pdf.h"
#include "testsign.h"
#include "testutil.h"

/* --- writers --- */

typedef struct mem {
    unsigned char *p;
    size_t len, cap;
} mem;

static void mem_write(png_structp png, png_bytep d, size_t n)
{
    mem *m = png_get_io_ptr(png);

    if (m->len + n > m->cap) {
        m->cap = (m->len + n) * 2;
        m->p = realloc(m->p, m->cap);
        assert_non_null(m->p);
    }
    memcpy(m->p + m->len, d, n);
    m->len += n;
}

static void mem_flush(png_structp png)
{
    (void)png;
}

/*
 * A PNG of w x h of the given type and depth; px(x, y, channel) gives each
 * sample (at the file's depth). trns: palette alphas (n_trns) or, for gray
 * and RGB, the transparent colour (trns_color). plte: n_plte RGB triples.
 */
typedef unsigned (*sample_fn)(unsigned x, unsigned y, int c);

static mem make_png(unsigned w, unsigned h, int ctype, int depth, int interlace, sample_fn px,
                    const png_color *plte, int n_plte, const unsigned char *trns, int n_trns,
                    const png_color_16 *trns_color)
{
    mem m = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    int ch = ctype == PNG_COLOR_TYPE_GRAY         ? 1
             : ctype == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
             : ctype == PNG_COLOR_TYPE_RGB        ? 3
             : ctype == PNG_COLOR_TYPE_RGBA       ? 4
                                                  : 1;
    size_t rowbytes = ((size_t)w * (size_t)ch * (size_t)depth + 7) / 8;
    unsigned char *row = calloc(1, rowbytes);
    unsigned x, y;
    int c, pass, npass;

    assert_non_null(png);
    assert_non_null(info);
    assert_non_null(row);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng could not write the test PNG");
    png_set_write_fn(png, &m, mem_write, mem_flush);
    png_set_IHDR(png, info, w, h, depth, ctype, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (plte != NULL)
        png_set_PLTE(png, info, plte, n_plte);
    if (trns != NULL || trns_color != NULL)
        png_set_tRNS(png, info, trns, n_trns, trns_color);
    png_write_info(png, info);
    npass = png_set_interlace_handling(png);
    for (pass = 0; pass < npass; pass++)
        for (y = 0; y < h; y++) {
            memset(row, 0, rowbytes);
            for (x = 0; x < w; x++)
                for (c = 0; c < ch; c++) {
                    unsigned v = px(x, y, c);
                    size_t bit = ((size_t)x * (size_t)ch + (size_t)c) * (size_t)depth;
                    if (depth == 16) {
                        row[bit / 8] = (unsigned char)(v >> 8);
                        row[bit / 8 + 1] = (unsigned char)v;
                    } else if (depth == 8) {
                        row[bit / 8] = (unsigned char)v;
                    } else {
                        row[bit / 8] |= (unsigned char)(v << (8 - depth - bit % 8));
                    }
                }
            png_write_row(png, row);
        }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    return m;
}

/* A JPEG of w x h in space (JCS_GRAYSCALE, JCS_RGB, JCS_CMYK); progressive when asked. */
static mem make_jpeg(unsigned w, unsigned h, J_COLOR_SPACE space, int ncomp, int progressive)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    unsigned char *out = NULL;
    unsigned long outlen = 0;
    unsigned char *row = malloc((size_t)w * (size_t)ncomp);
    unsigned x, y;
    int k;
    mem m = {0};

    assert_non_null(row);
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, &outlen);
    c.image_width = w;
    c.image_height = h;
    c.input_components = ncomp;
    c.in_color_space = space;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 85, TRUE);
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    for (y = 0; y < h; y++) {
        JSAMPROW r = row;
        for (x = 0; x < w; x++)
            for (k = 0; k < ncomp; k++)
                row[x * (unsigned)ncomp + (unsigned)k] =
                    (unsigned char)((x * 7 + y * 3 + 50 * (unsigned)k) & 0xff);
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    m.p = out; /* malloc'ed by libjpeg-turbo's jpeg_mem_dest: free() */
    m.len = outlen;
    return m;
}

/* --- sample patterns --- */

static unsigned px_gray(unsigned x, unsigned y, int c)
{
    (void)c;
    return (x * 16 + y) & 0xff;
}

static unsigned px_bits(unsigned x, unsigned y, int c)
{
    (void)c;
    return (x + y) & 1;
}

static unsigned px_rgb(unsigned x, unsigned y, int c)
{
    return (x * 10 + y * 3 + (unsigned)c * 80) & 0xff;
}

/* RGBA: blue strokes on a transparent (black) background, half alpha on the diagonal. */
static unsigned px_rgba(unsigned x, unsigned y, int c)
{
    int ink = (x + 2 * y) % 5 == 0;

    if (c == 3)
        return x == y ? 128 : ink ? 255 : 0;
    if (!ink)
        return 0;
    return c == 2 ? 255 : 0;
}

static unsigned px_opaque(unsigned x, unsigned y, int c)
{
    return c == 3 ? 255 : px_rgb(x, y, c);
}

static unsigned px_index(unsigned x, unsigned y, int c)
{
    (void)c;
    return (x + y) % 3;
}

static unsigned px_rgb16(unsigned x, unsigned y, int c)
{
    return px_rgb(x, y, c) * 257; /* scales back to exactly px_rgb */
}

static unsigned px_ga16(unsigned x, unsigned y, int c)
{
    return c == 0 ? px_gray(x, y, 0) * 257 : ((x + y) % 2 ? 65535 : 0);
}

static void load_ok(const mem *m, pdf_image *img)
{
    sertel_err err = {0};
    int rc = pdf_image_load(m->p, m->len, img, &err);

    if (rc != SERTEL_OK)
        fail_msg("pdf_image_load: %s", err.msg);
}

/* Decode a JPEG with libjpeg (the test's own reading): size, components, samples (malloc'ed). */
static unsigned char *decode_jpeg(const unsigned char *p, size_t n, unsigned *w, unsigned *h,
                                  int *nc)
{
    struct jpeg_decompress_struct c;
    struct jpeg_error_mgr e;
    unsigned char *px;
    size_t stride;

    c.err = jpeg_std_error(&e);
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, p, (unsigned long)n);
    assert_int_equal(jpeg_read_header(&c, TRUE), JPEG_HEADER_OK);
    jpeg_start_decompress(&c);
    *w = c.output_width;
    *h = c.output_height;
    *nc = c.output_components;
    stride = (size_t)*w * (size_t)*nc;
    px = malloc(stride * *h);
    assert_non_null(px);
    while (c.output_scanline < c.output_height) {
        JSAMPROW r = px + (size_t)c.output_scanline * stride;
        jpeg_read_scanlines(&c, &r, 1);
    }
    jpeg_finish_decompress(&c);
    jpeg_destroy_decompress(&c);
    return px;
}

/* b (a JPEG) shows the same picture as a: same size and components, samples within a few steps. */
static void assert_same_picture(const mem *a, const unsigned char *b, size_t blen)
{
    unsigned aw, ah, bw, bh;
    int an, bn;
    unsigned char *ap = decode_jpeg(a->p, a->len, &aw, &ah, &an);
    unsigned char *bp = decode_jpeg(b, blen, &bw, &bh, &bn);
    size_t i, n = (size_t)aw * ah * (size_t)an;
    double diff = 0;

    assert_int_equal(aw, bw);
    assert_int_equal(ah, bh);
    assert_int_equal(an, bn);
    for (i = 0; i < n; i++)
        diff += abs((int)ap[i] - (int)bp[i]);
    if (diff / (double)n > 4.0)
        fail_msg("the JPEG written again differs by %.1f on average", diff / (double)n);
    free(ap);
    free(bp);
}

/* 1 when s occurs in p[0..n). */
static int has_bytes(const unsigned char *p, size_t n, const char *s)
{
    return memmem(p, n, s, strlen(s)) != NULL;
}

/* --- PNG --- */

static void test_png_gray(void **state)
{
    mem m = make_png(13, 7, PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, px_gray, NULL, 0, NULL, 0,
                     NULL);
    pdf_image img;
    unsigned x, y;

    (void)state;
    load_ok(&m, &img);
    assert_int_equal(img.kind, PDF_IMAGE_PNG);
    assert_int_equal(img.width, 13);
    assert_int_equal(img.height, 7);
    assert_int_equal(img.ncomp, 1);
    assert_null(img.alpha);
    assert_int_equal(img.len, 13 * 7);
    for (y = 0; y < 7; y++)
        for (x = 0; x < 13; x++)
            assert_int_equal(img.data[y * 13 + x], px_gray(x, y, 0));
    pdf_image_free(&img);
    pdf_image_free(&img); /* emptied: a second free is harmless */
    pdf_image_free(NULL);
    free(m.p);
}

static void test_png_gray_1bit(void **state)
{
    mem m = make_png(17, 5, PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_NONE, px_bits, NULL, 0, NULL, 0,
                     NULL);
    pdf_image img;
    unsigned x, y;

    (void)state;
    load_ok(&m, &img);
    assert_int_equal(img.ncomp, 1);
    for (y = 0; y < 5; y++)
        for (x = 0; x < 17; x++)
            assert_int_equal(img.data[y * 17 + x], px_bits(x, y, 0) ? 255 : 0);
    pdf_image_free(&img);
    free(m.p);
}

static void check_rgb(const pdf_image *img, unsigned w, unsigned h)
{
    unsigned x, y;
    int c;

    assert_int_equal(img->ncomp, 3);
    assert_int_equal(img->width, w);
    assert_int_equal(img->height, h);
    assert_int_equal(img->len, (size_t)w * h * 3);
    for (y = 0; y < h; y++)
        for (x = 0; x < w; x++)
            for (c = 0; c < 3; c++)
                assert_int_equal(img->data[(y * w + x) * 3 + (unsigned)c], px_rgb(x, y, c));
}

static void test_png_rgb(void **state)
{
    mem m =
        make_png(20, 9, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, px_rgb, NULL, 0, NULL, 0, NULL);
    mem mi =
        make_png(20, 9, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_ADAM7, px_rgb, NULL, 0, NULL, 0, NULL);
    mem m16 = make_png(20, 9, PNG_COLOR_TYPE_RGB, 16, PNG_INTERLACE_NONE, px_rgb16, NULL, 0, NULL,
                       0, NULL);
    pdf_image img;

    (void)state;
    load_ok(&m, &img);
    check_rgb(&img, 20, 9);
    assert_null(img.alpha);
    pdf_image_free(&img);
    load_ok(&mi, &img); /* Adam7 interlaced: the same pixels */
    check_rgb(&img, 20, 9);
    pdf_image_free(&img);
    load_ok(&m16, &img); /* 16-bit: scaled to 8 */
    check_rgb(&img, 20, 9);
    assert_null(img.alpha);
    pdf_image_free(&img);
    free(m.p);
    free(mi.p);
    free(m16.p);
}

static void test_png_rgba(void **state)
{
    mem m = make_png(11, 6, PNG_COLOR_TYPE_RGBA, 8, PNG_INTERLACE_NONE, px_rgba, NULL, 0, NULL, 0,
                     NULL);
    mem mo = make_png(11, 6, PNG_COLOR_TYPE_RGBA, 8, PNG_INTERLACE_NONE, px_opaque, NULL, 0, NULL,
                      0, NULL);
    pdf_image img;
    unsigned x, y;
    int c;

    (void)state;
    load_ok(&m, &img);
    assert_int_equal(img.ncomp, 3);
    assert_non_null(img.alpha);
    assert_int_equal(img.len, 11 * 6 * 3);
    for (y = 0; y < 6; y++)
        for (x = 0; x < 11; x++) {
            assert_int_equal(img.alpha[y * 11 + x], px_rgba(x, y, 3));
            for (c = 0; c < 3; c++)
                assert_int_equal(img.data[(y * 11 + x) * 3 + (unsigned)c], px_rgba(x, y, c));
        }
    pdf_image_free(&img);
    /* An alpha channel that is opaque everywhere needs no soft mask. */
    load_ok(&mo, &img);
    assert_null(img.alpha);
    check_rgb(&img, 11, 6);
    pdf_image_free(&img);
    free(m.p);
    free(mo.p);
}

static void test_png_palette_trns(void **state)
{
    static const png_color plte[3] = {{255, 255, 255}, {0, 0, 255}, {200, 10, 20}};
    static const unsigned char trns[2] = {0, 160}; /* entry 2 has no tRNS value: opaque */
    mem m = make_png(9, 4, PNG_COLOR_TYPE_PALETTE, 2, PNG_INTERLACE_NONE, px_index, plte, 3, trns,
                     2, NULL);
    pdf_image img;
    unsigned x, y, i;

    (void)state;
    load_ok(&m, &img);
    assert_int_equal(img.ncomp, 3);
    assert_non_null(img.alpha);
    for (y = 0; y < 4; y++)
        for (x = 0; x < 9; x++) {
            i = px_index(x, y, 0);
            assert_int_equal(img.data[(y * 9 + x) * 3], plte[i].red);
            assert_int_equal(img.data[(y * 9 + x) * 3 + 1], plte[i].green);
            assert_int_equal(img.data[(y * 9 + x) * 3 + 2], plte[i].blue);
            assert_int_equal(img.alpha[y * 9 + x], i < 2 ? trns[i] : 255);
        }
    pdf_image_free(&img);
    free(m.p);
}

static void test_png_gray_key_and_16bit_alpha(void **state)
{
    png_color_16 key = {0};
    mem mk, ma;
    pdf_image img;
    unsigned x, y;

    (void)state;
    key.gray = 0; /* gray 0 is transparent */
    mk = make_png(16, 3, PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, px_gray, NULL, 0, NULL, 0,
                  &key);
    load_ok(&mk, &img);
    assert_int_equal(img.ncomp, 1);
    assert_non_null(img.alpha);
    for (y = 0; y < 3; y++)
        for (x = 0; x < 16; x++)
            assert_int_equal(img.alpha[y * 16 + x], px_gray(x, y, 0) == 0 ? 0 : 255);
    pdf_image_free(&img);
    ma = make_png(8, 8, PNG_COLOR_TYPE_GRAY_ALPHA, 16, PNG_INTERLACE_ADAM7, px_ga16, NULL, 0, NULL,
                  0, NULL);
    load_ok(&ma, &img);
    assert_int_equal(img.ncomp, 1);
    assert_non_null(img.alpha);
    for (y = 0; y < 8; y++)
        for (x = 0; x < 8; x++) {
            assert_int_equal(img.data[y * 8 + x], px_gray(x, y, 0));
            assert_int_equal(img.alpha[y * 8 + x], (x + y) % 2 ? 255 : 0);
        }
    pdf_image_free(&img);
    free(mk.p);
    free(ma.p);
}

/* --- JPEG --- */

static void test_jpeg(void **state)
{
    static const struct {
        J_COLOR_SPACE space;
        int ncomp, progressive, transform, inverted;
    } kinds[] = {
        {JCS_GRAYSCALE, 1, 0, 0, 0},
        {JCS_RGB, 3, 0, 1, 0},  /* stored as YCbCr */
        {JCS_RGB, 3, 1, 1, 0},  /* progressive */
        {JCS_CMYK, 4, 0, 0, 1}, /* libjpeg writes an Adobe marker for CMYK */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        mem m = make_jpeg(37, 21, kinds[i].space, kinds[i].ncomp, kinds[i].progressive);
        pdf_image img;
        load_ok(&m, &img);
        assert_int_equal(img.kind, PDF_IMAGE_JPEG);
        assert_int_equal(img.width, 37);
        assert_int_equal(img.height, 21);
        assert_int_equal(img.ncomp, kinds[i].ncomp);
        assert_int_equal(img.color_transform, kinds[i].transform);
        assert_int_equal(img.adobe_inverted, kinds[i].inverted);
        assert_null(img.alpha);
        /* For /DCTDecode: a new JPEG written from the pixels, the same picture. */
        assert_false(img.len == m.len && memcmp(img.data, m.p, m.len) == 0);
        assert_same_picture(&m, img.data, img.len);
        pdf_image_free(&img);
        free(m.p);
    }
}

/* --- EXIF orientation --- */

/* A PNG chunk with its CRC. */
static size_t put_chunk(unsigned char *o, const char *type, const unsigned char *d, uint32_t n)
{
    uint32_t crc;

    o[0] = (unsigned char)(n >> 24);
    o[1] = (unsigned char)(n >> 16);
    o[2] = (unsigned char)(n >> 8);
    o[3] = (unsigned char)n;
    memcpy(o + 4, type, 4);
    if (n > 0)
        memcpy(o + 8, d, n);
    crc = (uint32_t)crc32(0, o + 4, 4 + n);
    o[8 + n] = (unsigned char)(crc >> 24);
    o[9 + n] = (unsigned char)(crc >> 16);
    o[10 + n] = (unsigned char)(crc >> 8);
    o[11 + n] = (unsigned char)crc;
    return 12 + n;
}

/* A TIFF structure with IFD0 holding an unrelated tag, then Orientation (type, count, value). */
static size_t make_tiff(unsigned char *o, int be, unsigned type, unsigned count, unsigned value)
{
    static const unsigned char ii[8] = {'I', 'I', 42, 0, 8, 0, 0, 0};
    static const unsigned char mm[8] = {'M', 'M', 0, 42, 0, 0, 0, 8};
    unsigned tags[2][4] = {{0x010f, 2, 4, 0}, {0x0112, type, count, value}}; /* Make, then ours */
    size_t n = 8, i;
    int k;

#define PUT16(v)                                                                                   \
    do {                                                                                           \
        o[n + (be ? 0 : 1)] = (unsigned char)((v) >> 8);                                           \
        o[n + (be ? 1 : 0)] = (unsigned char)(v);                                                  \
        n += 2;                                                                                    \
    } while (0)
    memcpy(o, be ? mm : ii, 8);
    PUT16(2u);
    for (i = 0; i < 2; i++) {
        PUT16(tags[i][0]);
        PUT16(tags[i][1]);
        for (k = 0; k < 4; k++) /* count, 32 bits */
            o[n + (size_t)(be ? k : 3 - k)] = (unsigned char)(tags[i][2] >> (24 - 8 * k));
        n += 4;
        PUT16(tags[i][3]); /* a SHORT value sits in the first two bytes of the field */
        PUT16(0u);
    }
#undef PUT16
    memset(o + n, 0, 4); /* no next IFD */
    return n + 4;
}

/* m with an APP1 segment (hdr, then body) spliced in after SOI. */
static mem with_app1(const mem *m, const char *hdr, size_t hlen, const unsigned char *body,
                     size_t blen)
{
    mem r = {0};
    size_t seg = 2 + hlen + blen;

    r.len = m->len + 2 + seg;
    r.p = malloc(r.len);
    assert_non_null(r.p);
    memcpy(r.p, m->p, 2);
    r.p[2] = 0xff;
    r.p[3] = 0xe1;
    r.p[4] = (unsigned char)(seg >> 8);
    r.p[5] = (unsigned char)seg;
    memcpy(r.p + 6, hdr, hlen);
    memcpy(r.p + 6 + hlen, body, blen);
    memcpy(r.p + 4 + seg, m->p + 2, m->len - 2);
    return r;
}

static int jpeg_orientation(const mem *base, const unsigned char *tiff, size_t tlen)
{
    mem j = with_app1(base, "Exif\0\0", 6, tiff, tlen);
    pdf_image img;
    int o;

    load_ok(&j, &img);
    o = img.orientation;
    pdf_image_free(&img);
    free(j.p);
    return o;
}

/* A PNG with an eXIf chunk before its image data (after IHDR) or after it (before IEND). */
static int png_orientation(const mem *base, const unsigned char *tiff, size_t tlen, int late)
{
    unsigned char chunk[256];
    size_t cl = put_chunk(chunk, "eXIf", tiff, (uint32_t)tlen), at = late ? base->len - 12 : 33;
    mem p = {0};
    pdf_image img;
    int o;

    p.len = base->len + cl;
    p.p = malloc(p.len);
    assert_non_null(p.p);
    memcpy(p.p, base->p, at);
    memcpy(p.p + at, chunk, cl);
    memcpy(p.p + at + cl, base->p + at, base->len - at);
    load_ok(&p, &img);
    o = img.orientation;
    pdf_image_free(&img);
    free(p.p);
    return o;
}

static void test_exif_orientation(void **state)
{
    mem jpg = make_jpeg(32, 16, JCS_RGB, 3, 0);
    mem png =
        make_png(20, 10, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, px_rgb, NULL, 0, NULL, 0, NULL);
    unsigned char t[64];
    size_t tl;
    pdf_image img;
    unsigned v;
    int be;

    (void)state;
    /* No EXIF at all: upright. */
    load_ok(&jpg, &img);
    assert_int_equal(img.orientation, 1);
    pdf_image_free(&img);
    load_ok(&png, &img);
    assert_int_equal(img.orientation, 1);
    pdf_image_free(&img);
    for (be = 0; be <= 1; be++)
        for (v = 1; v <= 8; v++) {
            tl = make_tiff(t, be, 3, 1, v);
            assert_int_equal(jpeg_orientation(&jpg, t, tl), (int)v);
            assert_int_equal(png_orientation(&png, t, tl, 0), (int)v);
            assert_int_equal(png_orientation(&png, t, tl, 1), (int)v);
        }
    /* Malformed tags and structures read as upright, never as an error. */
    tl = make_tiff(t, 0, 3, 1, 9); /* out of range */
    assert_int_equal(jpeg_orientation(&jpg, t, tl), 1);
    tl = make_tiff(t, 1, 3, 1, 0);
    assert_int_equal(jpeg_orientation(&jpg, t, tl), 1);
    tl = make_tiff(t, 0, 4, 1, 6); /* LONG, not SHORT */
    assert_int_equal(jpeg_orientation(&jpg, t, tl), 1);
    tl = make_tiff(t, 1, 3, 2, 6); /* two values */
    assert_int_equal(jpeg_orientation(&jpg, t, tl), 1);
    tl = make_tiff(t, 0, 3, 1, 6);
    assert_int_equal(jpeg_orientation(&jpg, t, tl - 10), 1); /* cut inside the entry */
    t[8] = t[9] = 0xff;                                      /* 65535 entries, none there */
    assert_int_equal(jpeg_orientation(&jpg, t, 10), 1);
    assert_int_equal(jpeg_orientation(&jpg, t, 11), 1);
    t[4] = 0xf0; /* IFD0 beyond the end */
    assert_int_equal(jpeg_orientation(&jpg, t, tl), 1);
    memcpy(t, "XX*\0", 4); /* not a TIFF byte order */
    assert_int_equal(jpeg_orientation(&jpg, t, tl), 1);
    /* An XMP APP1 first, the Exif one after it: still found. */
    {
        static const char xmp[] = "http://ns.adobe.com/xap/1.0/";
        mem e, x;
        tl = make_tiff(t, 1, 3, 1, 6);
        e = with_app1(&jpg, "Exif\0\0", 6, t, tl);
        x = with_app1(&e, xmp, sizeof(xmp), (const unsigned char *)"<x/>", 4);
        load_ok(&x, &img);
        assert_int_equal(img.orientation, 6);
        pdf_image_free(&img);
        free(e.p);
        free(x.p);
    }
    free(jpg.p);
    free(png.p);
}

/* --- hostile input --- */

static void expect_invalid(const unsigned char *p, size_t n, const char *what)
{
    sertel_err err = {0};
    pdf_image img;
    int rc = pdf_image_load(p, n, &img, &err);

    if (rc != SERTEL_ERR_INVALID)
        fail_msg("%s (%zu bytes): rc %d, wanted INVALID (%s)", what, n, rc, err.msg);
    assert_true(err.msg[0] != '\0');
    assert_null(img.data);
    assert_null(img.alpha);
}

/* A PNG whose header declares w x h, with one tiny IDAT (not enough data). */
static size_t png_claiming(unsigned char *o, uint32_t w, uint32_t h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char ihdr[13] = {0}, z[64];
    unsigned char raw[4] = {0, 0, 0, 0};
    uLongf zl = sizeof(z);
    size_t n = 8;

    memcpy(o, sig, 8);
    ihdr[0] = (unsigned char)(w >> 24);
    ihdr[1] = (unsigned char)(w >> 16);
    ihdr[2] = (unsigned char)(w >> 8);
    ihdr[3] = (unsigned char)w;
    ihdr[4] = (unsigned char)(h >> 24);
    ihdr[5] = (unsigned char)(h >> 16);
    ihdr[6] = (unsigned char)(h >> 8);
    ihdr[7] = (unsigned char)h;
    ihdr[8] = 8; /* depth */
    ihdr[9] = 2; /* RGB */
    n += put_chunk(o + n, "IHDR", ihdr, 13);
    assert_int_equal(compress(z, &zl, raw, sizeof(raw)), Z_OK);
    n += put_chunk(o + n, "IDAT", z, (uint32_t)zl);
    n += put_chunk(o + n, "IEND", NULL, 0);
    return n;
}

static void test_hostile(void **state)
{
    static const unsigned char gif[] = "GIF89a\x01\x00\x01\x00\x80\x00\x00";
    static const unsigned char junk_jpeg[] = {0xff, 0xd8, 0xff, 0x00, 0x13, 0x37, 0x42};
    mem png = make_png(30, 20, PNG_COLOR_TYPE_RGBA, 8, PNG_INTERLACE_NONE, px_rgba, NULL, 0, NULL,
                       0, NULL);
    mem jpg = make_jpeg(40, 24, JCS_RGB, 3, 0);
    mem pjpg = make_jpeg(40, 24, JCS_RGB, 3, 1);
    unsigned char buf[256], *big;
    sertel_err err = {0};
    pdf_image img;
    size_t n;

    (void)state;
    assert_int_equal(pdf_image_load(NULL, 0, &img, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "empty"));
    expect_invalid(png.p, 0, "zero length");
    expect_invalid(gif, sizeof(gif) - 1, "a GIF");
    assert_int_equal(pdf_image_load(gif, sizeof(gif) - 1, &img, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "neither the PNG nor the JPEG signature"));
    expect_invalid((const unsigned char *)"%PDF-1.4\n", 9, "a PDF");
    expect_invalid(junk_jpeg, sizeof(junk_jpeg), "a JPEG signature and garbage");
    /* Every truncation of a PNG and of a (baseline, progressive) JPEG is refused. */
    for (n = 1; n < png.len; n++)
        expect_invalid(png.p, n, "truncated PNG");
    for (n = 1; n < jpg.len; n++)
        expect_invalid(jpg.p, n, "truncated JPEG");
    for (n = 1; n < pjpg.len; n++)
        expect_invalid(pjpg.p, n, "truncated progressive JPEG");
    /* A damaged IDAT (its CRC no longer matches). */
    png.p[png.len - 20] ^= 0x55;
    expect_invalid(png.p, png.len, "PNG with a damaged IDAT");
    /* Huge declared sizes: refused by the header, before pixels are allocated. */
    n = png_claiming(buf, 100000, 100000);
    expect_invalid(buf, n, "PNG claiming 100000x100000");
    assert_int_equal(pdf_image_load(buf, n, &img, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "more than sertel accepts"));
    /* err may be NULL: the detail is dropped, the code stays. */
    assert_int_equal(pdf_image_load(buf, n, &img, NULL), SERTEL_ERR_INVALID);
    assert_int_equal(pdf_image_load(gif, sizeof(gif) - 1, &img, NULL), SERTEL_ERR_INVALID);
    assert_int_equal(pdf_image_load(png.p, png.len / 2, &img, NULL), SERTEL_ERR_INVALID);
    n = png_claiming(buf, 5000, 10);
    expect_invalid(buf, n, "PNG 5000 wide");
    n = png_claiming(buf, 4096, 4096); /* within each side, over the pixel budget */
    expect_invalid(buf, n, "PNG 4096x4096");
    n = png_claiming(buf, 0, 10);
    expect_invalid(buf, n, "PNG 0 wide");
    n = png_claiming(buf, 2, 2); /* a valid header, too little data in IDAT */
    expect_invalid(buf, n, "PNG with too little data");
    /* A JPEG whose SOF0 says 65000x65000: patch the frame header of a real one. */
    for (n = 2; n + 9 < jpg.len; n++)
        if (jpg.p[n] == 0xff && jpg.p[n + 1] == 0xc0) {
            jpg.p[n + 5] = 0xfd;
            jpg.p[n + 6] = 0xe8;
            jpg.p[n + 7] = 0xfd;
            jpg.p[n + 8] = 0xe8;
            break;
        }
    assert_int_equal(pdf_image_load(jpg.p, jpg.len, &img, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "65000x65000"));
    /* More than the file size limit, in memory and on disk. */
    big = calloc(1, PDF_IMAGE_MAX_FILE + 1);
    assert_non_null(big);
    memcpy(big, png.p, 8);
    expect_invalid(big, PDF_IMAGE_MAX_FILE + 1, "a 4 MiB + 1 file");
    {
        char *dir = tu_mkdtemp();
        const char *path = tu_path(dir, "big.png");
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(big, 1, PDF_IMAGE_MAX_FILE + 1, f), PDF_IMAGE_MAX_FILE + 1);
        fclose(f);
        assert_int_equal(pdf_image_load_file(path, &img, &err), SERTEL_ERR_INVALID);
        assert_null(img.data);
        assert_int_not_equal(pdf_image_load_file(tu_path(dir, "none.png"), &img, &err), SERTEL_OK);
        f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(pjpg.p, 1, pjpg.len, f), pjpg.len);
        fclose(f);
        assert_int_equal(pdf_image_load_file(path, &img, &err), SERTEL_OK);
        assert_int_equal(img.kind, PDF_IMAGE_JPEG);
        pdf_image_free(&img);
        tu_rmtree(dir);
    }
    free(big);
    free(png.p);
    free(jpg.p);
    free(pjpg.p);
}

/* --- the image in a stamp --- */

static void test_stamp_layout(void **state)
{
    pdf_stamp st;
    pdf_buf c = {0};
    unsigned char *qr = NULL;
    int qn = 0;
    double a, b, x, y;
    const char *p;
    sertel_err err = {0};

    (void)state;
    memset(&st, 0, sizeof(st));
    st.w = 260;
    st.h = 120;
    st.name = "Budi Santoso";
    st.qr_text = "https://contoh.go.id/verify";
    st.when = 1764000000;
    st.image_w = 400;
    st.image_h = 100;
    assert_int_equal(pdf_stamp_build(&st, &c, &qr, &qn, &err), SERTEL_OK);
    p = strstr(c.p, "cm /Img Do");
    assert_non_null(p);
    while (p > c.p && p[-1] != 'q')
        p--;
    {
        double m1, m2;
        assert_int_equal(sscanf(p, " %lf %lf %lf %lf %lf %lf", &a, &m1, &m2, &b, &x, &y), 6);
        assert_true(m1 == 0 && m2 == 0); /* upright: no EXIF orientation */
    }
    /* Aspect ratio kept, inside the stamp, right of the QR code, above the text. */
    assert_true(a / b > 3.99 && a / b < 4.01);
    assert_true(x > 100 && x + a <= 260 && y > 0 && y + b <= 120);
    p = strstr(c.p, "Tm (Ditandatangani");
    assert_non_null(p);
    {
        double ty;
        while (p > c.p && p[-1] != '\n')
            p--;
        assert_int_equal(sscanf(p, "/F%*d %*f Tf 1 0 0 1 %*f %lf Tm", &ty), 1);
        assert_true(ty < y);
    }
    free(qr);
    qr = NULL;
    pdf_buf_free(&c);
    /* Too small for its text once the QR code is made: refused, the QR pixels freed
     * (LeakSanitizer and valgrind watch this). */
    {
        pdf_stamp small = st;
        small.w = 60;
        small.h = 20;
        small.name = "Budi Santoso bin Ahmad Wiryawan Kusumadiningrat";
        assert_int_equal(pdf_stamp_build(&small, &c, &qr, &qn, &err), SERTEL_ERR_INVALID);
        assert_null(qr);
        assert_int_equal(qn, 0);
        pdf_buf_free(&c);
    }
    /* EXIF orientation 6 (stored turned a quarter left): shown 100 wide, 400 high,
     * the stored columns running down the page, rows from the right. */
    st.image_orientation = 6;
    assert_int_equal(pdf_stamp_build(&st, &c, &qr, &qn, &err), SERTEL_OK);
    p = strstr(c.p, "cm /Img Do");
    assert_non_null(p);
    while (p > c.p && p[-1] != 'q')
        p--;
    {
        double m[6], y6;
        assert_int_equal(
            sscanf(p, " %lf %lf %lf %lf %lf %lf", &m[0], &m[1], &m[2], &m[3], &m[4], &y6), 6);
        assert_true(m[0] == 0 && m[3] == 0 && m[1] < 0 && m[2] > 0);
        assert_true(m[2] / -m[1] > 0.249 && m[2] / -m[1] < 0.251); /* w : h = 1 : 4 */
        /* The unit square's corner (0, 1), the stored top left, lands at (e + c, f): the
         * top right of a box inside the stamp whose bottom is f + b. */
        assert_true(m[4] > 100 && m[4] + m[2] <= 260 && y6 + m[1] > 0 && y6 <= 120);
    }
    free(qr);
    pdf_buf_free(&c);
}

/* The object a reference in dict[key] points to, loaded from d. */
static const pdf_obj *follow(pdf_doc *d, const pdf_obj *dict, const char *key)
{
    const pdf_obj *o = pdf_dict_get(dict, key);

    assert_non_null(o);
    o = pdf_resolve(d, o);
    assert_non_null(o);
    return o;
}

static void sign_with_image(const pdf_image *img, pdf_doc **d2, unsigned char **both,
                            const pdf_obj **xobj)
{
    char path[1024];
    const char *data = getenv("SERTEL_TEST_DATA");
    pdf_doc *d = NULL;
    pdf_sign_opts o;
    unsigned char *upd = NULL, *orig = NULL;
    size_t ulen = 0, olen = 0;
    uint64_t coff = 0;
    sertel_err err = {0};
    FILE *f;
    const pdf_obj *cat, *wid, *ap, *n, *res;
    uint32_t cnum;
    uint16_t cgen;
    pdf_page pg;

    assert_non_null(data);
    snprintf(path, sizeof(path), "%s/letter.pdf", data);
    f = fopen(path, "rb");
    assert_non_null(f);
    orig = malloc(1 << 20);
    assert_non_null(orig);
    olen = fread(orig, 1, 1 << 20, f);
    fclose(f);
    assert_int_equal(pdf_open_mem(orig, olen, &d, &err), SERTEL_OK);
    memset(&o, 0, sizeof(o));
    tu_signer(&o.signer, "Uji Gambar");
    o.visible = 1;
    o.rect[0] = 300;
    o.rect[1] = 50;
    o.rect[2] = 260;
    o.rect[3] = 120;
    o.image = img;
    o.when = 1764000000;
    if (pdf_build_sig_update(d, &o, 64, &upd, &ulen, &coff, &err) != SERTEL_OK)
        fail_msg("pdf_build_sig_update: %s", err.msg);
    pdf_close(d);
    tu_signer_free(&o.signer);
    *both = malloc(olen + ulen);
    assert_non_null(*both);
    memcpy(*both, orig, olen);
    memcpy(*both + olen, upd, ulen);
    free(orig);
    free(upd);
    assert_int_equal(pdf_open_mem(*both, olen + ulen, d2, &err), SERTEL_OK);
    /* page 1 /Annots -> the widget -> /AP /N -> /Resources /XObject /Img */
    assert_int_equal(pdf_catalog(*d2, &cat, &cnum, &cgen, &err), SERTEL_OK);
    assert_int_equal(pdf_page_get(*d2, 1, &pg, &err), SERTEL_OK);
    {
        const pdf_obj *annots = follow(*d2, pg.dict, "Annots");
        assert_int_equal(annots->type, PDF_ARRAY);
        wid = pdf_resolve(*d2, annots->u.arr.items[annots->u.arr.n - 1]);
    }
    ap = follow(*d2, wid, "AP");
    n = follow(*d2, ap, "N");
    assert_int_equal(n->type, PDF_STREAM);
    res = follow(*d2, n, "Resources");
    *xobj = follow(*d2, follow(*d2, res, "XObject"), "Img");
    assert_int_equal((*xobj)->type, PDF_STREAM);
}

static void test_stamp_objects(void **state)
{
    mem png = make_png(30, 20, PNG_COLOR_TYPE_RGBA, 8, PNG_INTERLACE_NONE, px_rgba, NULL, 0, NULL,
                       0, NULL);
    mem jpg = make_jpeg(40, 24, JCS_CMYK, 4, 0);
    pdf_image img;
    pdf_doc *d = NULL;
    unsigned char *both = NULL, *dec = NULL;
    size_t dlen = 0;
    const pdf_obj *x, *sm;
    sertel_err err = {0};

    (void)state;
    /* PNG with alpha: FlateDecode RGB samples and a DeviceGray /SMask with the alpha. */
    load_ok(&png, &img);
    sign_with_image(&img, &d, &both, &x);
    assert_true(pdf_is_name(pdf_dict_get(x, "Subtype"), "Image"));
    assert_true(pdf_is_name(pdf_dict_get(x, "ColorSpace"), "DeviceRGB"));
    assert_true(pdf_is_name(pdf_dict_get(x, "Filter"), "FlateDecode"));
    assert_int_equal(pdf_resolve(d, pdf_dict_get(x, "Width"))->u.integer, 30);
    assert_int_equal(pdf_stream_decode(d, x, 1 << 20, &dec, &dlen, &err), SERTEL_OK);
    assert_int_equal(dlen, img.len);
    assert_memory_equal(dec, img.data, dlen);
    free(dec);
    sm = follow(d, x, "SMask");
    assert_true(pdf_is_name(pdf_dict_get(sm, "ColorSpace"), "DeviceGray"));
    assert_int_equal(pdf_stream_decode(d, sm, 1 << 20, &dec, &dlen, &err), SERTEL_OK);
    assert_int_equal(dlen, 30 * 20);
    assert_memory_equal(dec, img.alpha, dlen);
    free(dec);
    pdf_close(d);
    free(both);
    pdf_image_free(&img);

    /* Adobe CMYK JPEG: written again, DCTDecode, inverted /Decode, no /SMask. */
    load_ok(&jpg, &img);
    sign_with_image(&img, &d, &both, &x);
    assert_true(pdf_is_name(pdf_dict_get(x, "ColorSpace"), "DeviceCMYK"));
    assert_true(pdf_is_name(pdf_dict_get(x, "Filter"), "DCTDecode"));
    assert_null(pdf_dict_get(x, "SMask"));
    assert_non_null(pdf_dict_get(x, "Decode"));
    assert_int_equal(x->u.dict.data_len, img.len);
    assert_memory_equal(both + x->u.dict.data_off, img.data, img.len);
    assert_same_picture(&jpg, img.data, img.len);
    pdf_close(d);
    free(both);
    pdf_image_free(&img);
    /*
     * An RGB JPEG with a comment (COM), an APP1 segment and HTML after its
     * end (EOI): none of it reaches the signed document, only the pixels.
     */
    {
        static const char com[] = "\xff\xfe\x00\x12SERTEL-COMMENT!!";
        static const char app[] = "\xff\xe9\x00\x0fSERTEL-APP9!!";
        static const char tail[] = "<html><script>SERTEL-TRAILER</script></html>";
        mem rgb = make_jpeg(40, 24, JCS_RGB, 3, 0), p = {0};
        size_t n;
        p.len = rgb.len + sizeof(com) - 1 + sizeof(app) - 1 + sizeof(tail) - 1;
        p.p = malloc(p.len);
        assert_non_null(p.p);
        memcpy(p.p, rgb.p, 2);
        n = 2;
        memcpy(p.p + n, com, sizeof(com) - 1);
        n += sizeof(com) - 1;
        memcpy(p.p + n, app, sizeof(app) - 1);
        n += sizeof(app) - 1;
        memcpy(p.p + n, rgb.p + 2, rgb.len - 2);
        n += rgb.len - 2;
        memcpy(p.p + n, tail, sizeof(tail) - 1);
        assert_true(has_bytes(p.p, p.len, "SERTEL-COMMENT") &&
                    has_bytes(p.p, p.len, "SERTEL-APP9") &&
                    has_bytes(p.p, p.len, "SERTEL-TRAILER"));
        load_ok(&p, &img);
        sign_with_image(&img, &d, &both, &x);
        n = pdf_file_size(d); /* the whole signed file */
        assert_false(has_bytes(both, n, "SERTEL-COMMENT"));
        assert_false(has_bytes(both, n, "SERTEL-APP9"));
        assert_false(has_bytes(both, n, "SERTEL-TRAILER"));
        assert_false(has_bytes(img.data, img.len, "SERTEL-"));
        assert_same_picture(&rgb, img.data, img.len);
        pdf_close(d);
        free(both);
        pdf_image_free(&img);
        free(p.p);
        free(rgb.p);
    }
    free(png.p);
    free(jpg.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_gray),
        cmocka_unit_test(test_png_gray_1bit),
        cmocka_unit_test(test_png_rgb),
        cmocka_unit_test(test_png_rgba),
        cmocka_unit_test(test_png_palette_trns),
        cmocka_unit_test(test_png_gray_key_and_16bit_alpha),
        cmocka_unit_test(test_jpeg),
        cmocka_unit_test(test_exif_orientation),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_stamp_layout),
        cmocka_unit_test(test_stamp_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
