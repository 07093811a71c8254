/*
 * test_upload.c - upload checking, storage and read-back (lib/ra/upload.c).
 *
 * Inputs are built here (a PDF with exact xref offsets, PNGs compressed
 * with zlib, a structurally valid JPEG) and, where the tools exist, made by
 * independent ones: qpdf (xref streams, object streams, linearized and
 * encrypted PDFs) and poppler's pdftoppm (real JPEG and PNG renderings).
 * Then every refusal of the requirement: an HTML page, a truncated JPEG, a
 * 6 MiB file, a zip bomb, a PNG decompression bomb, bad checksums, a PDF
 * whose startxref points nowhere, the wrong kind, an empty file, and
 * nothing stored after a refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ra/upload.h"
#include "testutil.h"
#include "util/fs.h"

#define MIB (1024u * 1024u)

/* ---- a growable test buffer ---- */

typedef struct tbuf {
    unsigned char *p;
    size_t len, cap;
} tbuf;

static void tb_add(tbuf *b, const void *d, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->len, d, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void tb_printf(tbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tb_printf(tbuf *b, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(tmp));
    tb_add(b, tmp, (size_t)n);
}

static void tb_u32(tbuf *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    tb_add(b, x, 4);
}

static void tb_free(tbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* ---- checking helpers ---- */

/*
 * upload_check with only a size limit (0: the default). The bytes to store
 * go to *clean when it is given, else they are freed.
 */
static int check(const unsigned char *d, size_t len, unsigned accept, size_t max, const char *what,
                 upload_info *info, tbuf *clean, sertel_err *err)
{
    upload_limits lim = {max, 0, 0};
    unsigned char *out = (unsigned char *)"not touched";
    size_t n = 12345;
    int rc = upload_check(d, len, accept, &lim, what, info, &out, &n, err);

    if (rc != SERTEL_OK) {
        assert_null(out);
        assert_int_equal(n, 0);
        return rc;
    }
    assert_non_null(out);
    assert_int_equal(n, info->size);
    assert_int_equal(len, info->orig_size);
    if (clean != NULL) {
        memset(clean, 0, sizeof(*clean));
        clean->p = out;
        clean->len = n;
        clean->cap = n;
    } else {
        free(out);
    }
    return rc;
}

static void expect_ok(const unsigned char *d, size_t len, unsigned accept, upload_kind kind,
                      upload_info *info)
{
    sertel_err err = {0};
    upload_info tmp;
    tbuf clean;

    if (info == NULL)
        info = &tmp;
    if (check(d, len, accept, 0, "the test file", info, &clean, &err) != SERTEL_OK)
        fail_msg("refused: %s", err.msg);
    assert_int_equal(info->kind, kind);
    assert_int_equal(info->orig_size, len);
    assert_int_equal(strlen(info->sha256), 64);
    assert_int_equal(strlen(info->orig_sha256), 64);
    if (kind == UPLOAD_PDF) { /* stored as sent */
        assert_int_equal(clean.len, len);
        assert_memory_equal(clean.p, d, len);
        assert_string_equal(info->sha256, info->orig_sha256);
    }
    free(clean.p);
}

static void expect_refused_max(const unsigned char *d, size_t len, unsigned accept, size_t max,
                               const char *needle)
{
    sertel_err err = {0};
    upload_info info;

    memset(&info, 0x55, sizeof(info));
    assert_int_equal(check(d, len, accept, max, "the test file", &info, NULL, &err),
                     SERTEL_ERR_INVALID);
    if (needle != NULL && strstr(err.msg, needle) == NULL)
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
    assert_int_equal(info.kind, 0); /* out is zeroed on refusal */
    assert_int_equal(info.sha256[0], '\0');
}

static void expect_refused(const unsigned char *d, size_t len, unsigned accept, const char *needle)
{
    expect_refused_max(d, len, accept, 0, needle);
}

static int have_command(const char *name)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

static void write_file(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void read_file(const char *path, tbuf *out)
{
    unsigned char *d = NULL;
    size_t n = 0;
    sertel_err err = {0};

    if (fs_read_file(path, 64 * MIB, &d, &n, &err) != SERTEL_OK)
        fail_msg("%s", err.msg);
    memset(out, 0, sizeof(*out));
    tb_add(out, d, n);
    free(d);
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
    return rc;
}

/* ---- a PDF with exact cross-reference offsets ---- */

typedef struct pdf_opts {
    const char *trailer_extra; /* inside the trailer dictionary */
    int no_root;
    long startxref; /* >= 0: use instead of the real offset */
    size_t padding; /* bytes of comment lines before the xref table */
    const char *eol;
} pdf_opts;

static void make_pdf(tbuf *b, const pdf_opts *o)
{
    static const char content[] = "0 0 1 rg 50 600 495 200 re f\n"
                                  "BT /F1 36 Tf 60 400 Td (Surat Rekomendasi) Tj ET\n";
    const char *eol = o && o->eol ? o->eol : "\n";
    size_t off[6], xref, i;

    memset(b, 0, sizeof(*b));
    tb_printf(b, "%%PDF-1.4%s%%\xE2\xE3\xCF\xD3%s", eol, eol);
    off[1] = b->len;
    tb_printf(b, "1 0 obj%s<< /Type /Catalog /Pages 2 0 R >>%sendobj%s", eol, eol, eol);
    off[2] = b->len;
    tb_printf(b, "2 0 obj%s<< /Type /Pages /Kids [3 0 R] /Count 1 >>%sendobj%s", eol, eol, eol);
    off[3] = b->len;
    tb_printf(b,
              "3 0 obj%s<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
              "/Resources << /Font << /F1 5 0 R >> >> >>%sendobj%s",
              eol, eol, eol);
    off[4] = b->len;
    tb_printf(b, "4 0 obj%s<< /Length %zu >>%sstream\n%sendstream%sendobj%s", eol,
              sizeof(content) - 1, eol, content, eol, eol);
    off[5] = b->len;
    tb_printf(b, "5 0 obj%s<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>%sendobj%s", eol,
              eol, eol);
    for (i = 0; o && i < o->padding / 80; i++)
        tb_printf(b, "%%%078zu\n", i);
    xref = b->len;
    tb_printf(b, "xref%s0 6%s0000000000 65535 f\r\n", eol, eol);
    for (i = 1; i <= 5; i++)
        tb_printf(b, "%010zu 00000 n\r\n", off[i]);
    tb_printf(b, "trailer%s<< /Size 6 %s%s >>%sstartxref%s%ld%s%%%%EOF%s", eol,
              o && o->no_root ? "" : "/Root 1 0 R ", o && o->trailer_extra ? o->trailer_extra : "",
              eol, eol, o && o->startxref >= 0 ? o->startxref : (long)xref, eol, eol);
}

static void make_default_pdf(tbuf *b)
{
    pdf_opts o = {NULL, 0, -1, 0, NULL};
    make_pdf(b, &o);
}

/* ---- PNGs built with zlib ---- */

static void png_chunk(tbuf *b, const char *type, const void *d, uint32_t n)
{
    uLong crc = crc32(0, (const Bytef *)type, 4);

    if (n > 0)
        crc = crc32(crc, d, n);
    tb_u32(b, n);
    tb_add(b, type, 4);
    tb_add(b, d, n);
    tb_u32(b, (uint32_t)crc);
}

static void png_ihdr(tbuf *b, uint32_t w, uint32_t h, unsigned depth, unsigned ctype,
                     unsigned interlace)
{
    unsigned char ihdr[13] = {(unsigned char)(w >> 24),
                              (unsigned char)(w >> 16),
                              (unsigned char)(w >> 8),
                              (unsigned char)w,
                              (unsigned char)(h >> 24),
                              (unsigned char)(h >> 16),
                              (unsigned char)(h >> 8),
                              (unsigned char)h,
                              (unsigned char)depth,
                              (unsigned char)ctype,
                              0,
                              0,
                              (unsigned char)interlace};

    tb_add(b, "\x89PNG\r\n\x1A\n", 8);
    png_chunk(b, "IHDR", ihdr, 13);
}

/* zlib-compress raw (scanlines with filter bytes) into z. */
static void zcompress(tbuf *z, const unsigned char *raw, size_t n)
{
    uLongf zl = compressBound((uLong)n);

    memset(z, 0, sizeof(*z));
    z->p = malloc(zl + 1);
    assert_non_null(z->p);
    assert_int_equal(compress2(z->p, &zl, raw, (uLong)n, 9), Z_OK);
    z->len = zl;
    z->cap = zl + 1;
}

/*
 * A PNG whose IDAT holds raw_len bytes of scanlines (filter byte 0, a
 * pattern after it), split over idat_parts chunks. raw_len is given by the
 * caller, so a test can make it too short or too long.
 */
static void make_png_raw(tbuf *b, uint32_t w, uint32_t h, unsigned depth, unsigned ctype,
                         unsigned interlace, size_t raw_len, size_t row_len, int idat_parts)
{
    unsigned char *raw = calloc(1, raw_len + 1);
    tbuf z;
    size_t i, part, at = 0;

    assert_non_null(raw);
    for (i = 0; i < raw_len; i++)
        raw[i] = (unsigned char)(row_len > 0 && i % row_len == 0 ? 0 : (i * 7) & 0xFF);
    memset(b, 0, sizeof(*b));
    png_ihdr(b, w, h, depth, ctype, interlace);
    if (ctype == 3) {
        unsigned char plte[6] = {0, 0, 0, 255, 255, 255};
        png_chunk(b, "PLTE", plte, 6);
    }
    png_chunk(b, "tEXt", "Comment\0sertel test", 19);
    zcompress(&z, raw, raw_len);
    part = (z.len + (size_t)idat_parts - 1) / (size_t)idat_parts;
    while (at < z.len) {
        size_t n = z.len - at < part ? z.len - at : part;
        png_chunk(b, "IDAT", z.p + at, (uint32_t)n);
        at += n;
    }
    png_chunk(b, "IEND", NULL, 0);
    tb_free(&z);
    free(raw);
}

/* A non-interlaced PNG with exactly the data it needs. */
static void make_png(tbuf *b, uint32_t w, uint32_t h, unsigned depth, unsigned ctype)
{
    unsigned channels = ctype == 2 ? 3 : ctype == 4 ? 2 : ctype == 6 ? 4 : 1;
    size_t row = 1 + ((size_t)w * channels * depth + 7) / 8;

    make_png_raw(b, w, h, depth, ctype, 0, row * h, row, 1);
}

/* ---- a structurally valid JPEG (T.81 markers; entropy data not decodable) ---- */

static void make_jpeg(tbuf *b, unsigned w, unsigned h, int with_eoi, int sos_first)
{
    static const unsigned char app0[] = {0xFF, 0xE0, 0x00, 0x10, 'J',  'F',  'I',  'F',  0x00,
                                         0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00};
    static const unsigned char sos[] = {0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00,
                                        0x02, 0x11, 0x03, 0x11, 0x00, 0x3F, 0x00};
    static const unsigned char scan[] = {0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0,
                                         0x78, 0xFF, 0x00, 0x9A, 0xFF, 0xFF};
    unsigned char sof[] = {0xFF,
                           0xC0,
                           0x00,
                           0x11,
                           0x08,
                           (unsigned char)(h >> 8),
                           (unsigned char)h,
                           (unsigned char)(w >> 8),
                           (unsigned char)w,
                           0x03,
                           0x01,
                           0x22,
                           0x00,
                           0x02,
                           0x11,
                           0x01,
                           0x03,
                           0x11,
                           0x01};
    unsigned char dqt[69] = {0xFF, 0xDB, 0x00, 0x43, 0x00};
    /* DHT: class/id, 16 code-length counts (one code of length 1), one symbol */
    unsigned char dht[22] = {0xFF, 0xC4, 0x00, 0x14, 0x00, 1};
    size_t i;

    for (i = 5; i < sizeof(dqt); i++)
        dqt[i] = 1;
    memset(b, 0, sizeof(*b));
    tb_add(b, "\xFF\xD8", 2);
    tb_add(b, app0, sizeof(app0));
    tb_add(b, "\xFF\xFE\x00\x07sertel", 9); /* COM */
    tb_add(b, dqt, sizeof(dqt));
    if (sos_first)
        tb_add(b, sos, sizeof(sos));
    tb_add(b, sof, sizeof(sof));
    tb_add(b, dht, sizeof(dht));
    tb_add(b, sos, sizeof(sos));
    tb_add(b, scan, sizeof(scan));
    if (with_eoi)
        tb_add(b, "\xFF\xD9", 2);
}

/* ---- fixtures from independent tools ---- */

typedef struct fixtures {
    char *dir;
    tbuf pdf;      /* make_default_pdf */
    int have_qpdf; /* qpdf variants made */
    tbuf xstream;  /* qpdf --object-streams=generate */
    tbuf linear;   /* qpdf --linearize */
    tbuf crypt;    /* qpdf --encrypt '' owner 256: opens without a password */
    tbuf crypt_pw; /* qpdf --encrypt user owner 256: needs one */
    int have_poppler;
    tbuf jpeg;  /* pdftoppm -jpeg */
    tbuf pjpeg; /* pdftoppm -jpeg -jpegopt progressive=y (may be empty) */
    tbuf png;   /* pdftoppm -png */
} fixtures;

static int group_setup(void **state)
{
    fixtures *f = calloc(1, sizeof(*f));
    char cmd[8192];
    const char *d;

    assert_non_null(f);
    f->dir = tu_mkdtemp();
    d = f->dir;
    make_default_pdf(&f->pdf);
    write_file(tu_path(d, "base.pdf"), f->pdf.p, f->pdf.len);
    if (have_command("qpdf")) {
        snprintf(cmd, sizeof(cmd),
                 "cd '%s' && qpdf --check base.pdf >/dev/null && "
                 "qpdf --object-streams=generate base.pdf xs.pdf && "
                 "qpdf --linearize base.pdf lin.pdf && "
                 "qpdf --encrypt '' owner 256 -- base.pdf enc.pdf && "
                 "qpdf --encrypt user owner 256 -- base.pdf enc-pw.pdf",
                 d);
        if (run(cmd) == 0) {
            read_file(tu_path(d, "xs.pdf"), &f->xstream);
            read_file(tu_path(d, "lin.pdf"), &f->linear);
            read_file(tu_path(d, "enc.pdf"), &f->crypt);
            read_file(tu_path(d, "enc-pw.pdf"), &f->crypt_pw);
            f->have_qpdf = 1;
        }
    } else {
        fprintf(stderr, "qpdf not found: PDF tests with qpdf's output are skipped\n");
    }
    if (have_command("pdftoppm")) {
        snprintf(cmd, sizeof(cmd),
                 "cd '%s' && pdftoppm -jpeg -r 10 -singlefile base.pdf img && "
                 "pdftoppm -png -r 10 -singlefile base.pdf img",
                 d);
        if (run(cmd) == 0) {
            read_file(tu_path(d, "img.jpg"), &f->jpeg);
            read_file(tu_path(d, "img.png"), &f->png);
            f->have_poppler = 1;
            snprintf(cmd, sizeof(cmd),
                     "cd '%s' && pdftoppm -jpeg -jpegopt progressive=y -r 20 -singlefile "
                     "base.pdf prog 2>/dev/null",
                     d);
            if (system(cmd) == 0)
                read_file(tu_path(d, "prog.jpg"), &f->pjpeg);
        }
    } else {
        fprintf(stderr, "pdftoppm not found: tests with real JPEG/PNG files are skipped\n");
    }
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fixtures *f = *state;

    if (f == NULL) /* the set-up failed before it had anything */
        return 0;
    tb_free(&f->pdf);
    tb_free(&f->xstream);
    tb_free(&f->linear);
    tb_free(&f->crypt);
    tb_free(&f->crypt_pw);
    tb_free(&f->jpeg);
    tb_free(&f->pjpeg);
    tb_free(&f->png);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

static int contains(const tbuf *b, const char *s)
{
    size_t n = strlen(s), i;

    for (i = 0; i + n <= b->len; i++)
        if (memcmp(b->p + i, s, n) == 0)
            return 1;
    return 0;
}

/* ---- valid inputs ---- */

static void test_valid_pdf(void **state)
{
    fixtures *f = *state;
    upload_info info;
    tbuf b;
    pdf_opts o = {NULL, 0, -1, 0, "\r\n"};

    expect_ok(f->pdf.p, f->pdf.len, UPLOAD_ACCEPT_PDF, UPLOAD_PDF, &info);
    assert_int_equal(info.width, 0);
    expect_ok(f->pdf.p, f->pdf.len, UPLOAD_ACCEPT_PDF | UPLOAD_ACCEPT_IMAGE, UPLOAD_PDF, NULL);
    /* CR LF line ends */
    make_pdf(&b, &o);
    expect_ok(b.p, b.len, UPLOAD_ACCEPT_PDF, UPLOAD_PDF, NULL);
    tb_free(&b);
    /* Strings with ">>", "(" and "]" in the trailer, nested dictionaries, comments. */
    o.eol = NULL;
    o.trailer_extra = "/ID [<8a9b> (a>>b\\)c(d)e]) ] /Info << /X [ (]) << /Y 1 >> ] >> % c >>\n";
    make_pdf(&b, &o);
    expect_ok(b.p, b.len, UPLOAD_ACCEPT_PDF, UPLOAD_PDF, NULL);
    /* Some trailing bytes after %%EOF are tolerated. */
    tb_add(&b, "\n\n% garbage after the end\n", 26);
    expect_ok(b.p, b.len, UPLOAD_ACCEPT_PDF, UPLOAD_PDF, NULL);
    tb_free(&b);
}

static void test_valid_pdf_qpdf(void **state)
{
    fixtures *f = *state;

    if (!f->have_qpdf)
        skip();
    /* qpdf really wrote a cross-reference stream and no classic table. */
    assert_true(contains(&f->xstream, "/XRef"));
    assert_false(contains(&f->xstream, "\nxref"));
    expect_ok(f->xstream.p, f->xstream.len, UPLOAD_ACCEPT_PDF, UPLOAD_PDF, NULL);
    expect_ok(f->linear.p, f->linear.len, UPLOAD_ACCEPT_PDF, UPLOAD_PDF, NULL);
    assert_true(contains(&f->crypt, "/Encrypt"));
    expect_ok(f->crypt.p, f->crypt.len, UPLOAD_ACCEPT_PDF, UPLOAD_PDF, NULL);
    /* One that needs a password cannot be checked: refused, saying so. */
    assert_true(contains(&f->crypt_pw, "/Encrypt"));
    expect_refused(f->crypt_pw.p, f->crypt_pw.len, UPLOAD_ACCEPT_PDF,
                   "is protected with a password, so sertel cannot check it");
}

static void test_valid_images_poppler(void **state)
{
    fixtures *f = *state;
    upload_info info;

    if (!f->have_poppler)
        skip();
    expect_ok(f->jpeg.p, f->jpeg.len, UPLOAD_ACCEPT_IMAGE, UPLOAD_JPEG, &info);
    assert_int_equal(info.width, 83); /* A4 at 10 dpi */
    assert_int_equal(info.height, 117);
    expect_ok(f->png.p, f->png.len, UPLOAD_ACCEPT_IMAGE, UPLOAD_PNG, &info);
    assert_int_equal(info.width, 83);
    assert_int_equal(info.height, 117);
    if (f->pjpeg.len > 0) {
        assert_true(contains(&f->pjpeg, "\xFF\xC2")); /* SOF2: progressive */
        expect_ok(f->pjpeg.p, f->pjpeg.len, UPLOAD_ACCEPT_IMAGE, UPLOAD_JPEG, &info);
        assert_int_equal(info.width, 166); /* 20 dpi, rounded up */
        assert_int_equal(info.height, 234);
    }
}

static void test_valid_png_built(void **state)
{
    upload_info info;
    tbuf b;

    (void)state;
    make_png(&b, 13, 7, 1, 0); /* 1-bit grey, odd width: row bytes round up */
    expect_ok(b.p, b.len, UPLOAD_ACCEPT_IMAGE, UPLOAD_PNG, &info);
    assert_int_equal(info.width, 13);
    assert_int_equal(info.height, 7);
    tb_free(&b);
    make_png(&b, 40, 30, 16, 6); /* RGBA, 16 bits */
    expect_ok(b.p, b.len, UPLOAD_ACCEPT_IMAGE, UPLOAD_PNG, NULL);
    tb_free(&b);
    make_png(&b, 33, 5, 4, 3); /* palette */
    expect_ok(b.p, b.len, UPLOAD_ACCEPT_IMAGE, UPLOAD_PNG, NULL);
    tb_free(&b);
    make_png(&b, 20000, 1, 8, 0); /* the largest width */
    expect_ok(b.p, b.len, UPLOAD_ACCEPT_IMAGE, UPLOAD_PNG, NULL);
    tb_free(&b);
    /* IDAT split over many chunks. */
    make_png_raw(&b, 64, 64, 8, 2, 0, 64 * (1 + 64 * 3), 1 + 64 * 3, 7);
    expect_ok(b.p, b.len, UPLOAD_ACCEPT_IMAGE, UPLOAD_PNG, NULL);
    tb_free(&b);
    /*
     * Interlaced 3x3 8-bit grey: the Adam7 passes hold 1x1, -, -, 1x1, 2x1,
     * 1x2 and 3x1 pixels, so 9 pixel bytes + 6 filter bytes = 15 bytes,
     * counted by hand. Row starts for the filter bytes: 0, 2, 4, 7, 9, 11.
     */
    make_png_raw(&b, 3, 3, 8, 0, 1, 15, 0, 1);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "filter"); /* pattern bytes as filters */
    tb_free(&b);
}

/* The interlaced image with correct filter bytes, built by hand. */
static void make_interlaced_3x3(tbuf *b, size_t raw_len)
{
    unsigned char raw[32] = {0};
    tbuf z;

    memset(b, 0, sizeof(*b));
    png_ihdr(b, 3, 3, 8, 0, 1);
    zcompress(&z, raw, raw_len);
    png_chunk(b, "IDAT", z.p, (uint32_t)z.len);
    png_chunk(b, "IEND", NULL, 0);
    tb_free(&z);
}

static void test_png_interlaced(void **state)
{
    tbuf b;

    (void)state;
    make_interlaced_3x3(&b, 15);
    expect_ok(b.p, b.len, UPLOAD_ACCEPT_IMAGE, UPLOAD_PNG, NULL);
    tb_free(&b);
    make_interlaced_3x3(&b, 14);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "truncated");
    tb_free(&b);
    make_interlaced_3x3(&b, 16);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "decompression bomb");
    tb_free(&b);
}

static void test_valid_jpeg_built(void **state)
{
    fixtures *f = *state;
    tbuf b, clean;
    upload_info info;
    sertel_err err = {0};

    /* Structurally sound (markers, frame, scan, EOI) but its entropy data does not decode:
     * the structural check passes it, the decoder refuses it. */
    make_jpeg(&b, 640, 480, 1, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "it cannot be decoded");
    tb_free(&b);
    if (!f->have_poppler)
        skip();
    /* Trailing data after EOI (camera trailers) is tolerated, and not stored. */
    memset(&b, 0, sizeof(b));
    tb_add(&b, f->jpeg.p, f->jpeg.len);
    tb_add(&b, "trailer", 7);
    assert_int_equal(check(b.p, b.len, UPLOAD_ACCEPT_IMAGE, 0, "the scan", &info, &clean, &err),
                     SERTEL_OK);
    assert_int_equal(info.width, 83);
    assert_int_equal(info.height, 117);
    assert_null(memmem(clean.p, clean.len, "trailer", 7));
    tb_free(&clean);
    tb_free(&b);
}

/* ---- the must-hold refusals ---- */

static void test_html_as_pdf(void **state)
{
    static const char *pages[] = {
        "<!DOCTYPE html>\n<html><head><title>Masuk</title></head><body>%PDF-1.7</body></html>\n",
        "\xEF\xBB\xBF  \r\n<HTML>\n<body>Error 404</body></HTML>",
        "\n\n<script>alert(1)</script>",
        "<!-- saved page -->\n<html>",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        expect_refused((const unsigned char *)pages[i], strlen(pages[i]), UPLOAD_ACCEPT_PDF,
                       "its content is an HTML page");
        expect_refused((const unsigned char *)pages[i], strlen(pages[i]), UPLOAD_ACCEPT_IMAGE,
                       "HTML");
    }
    {
        sertel_err err = {0};
        upload_info info;
        assert_int_equal(check((const unsigned char *)pages[0], strlen(pages[0]), UPLOAD_ACCEPT_PDF,
                               0, "the recommendation letter", &info, NULL, &err),
                         SERTEL_ERR_INVALID);
        assert_non_null(strstr(err.msg, "the recommendation letter is not a PDF: its content is "
                                        "an HTML page"));
        assert_non_null(strstr(err.msg, "the file name does not matter"));
    }
}

static void test_truncated_jpeg(void **state)
{
    fixtures *f = *state;
    tbuf b;
    size_t n;

    make_jpeg(&b, 640, 480, 1, 0);
    for (n = 0; n < b.len; n++)
        expect_refused_max(b.p, n, UPLOAD_ACCEPT_IMAGE, 0, n == 0 ? "empty" : NULL);
    expect_refused(b.p, b.len - 2, UPLOAD_ACCEPT_IMAGE, "truncated");
    tb_free(&b);
    if (!f->have_poppler)
        skip();
    expect_refused(f->jpeg.p, f->jpeg.len / 2, UPLOAD_ACCEPT_IMAGE, "is truncated");
    expect_refused(f->jpeg.p, 40, UPLOAD_ACCEPT_IMAGE, "truncated");
    if (f->pjpeg.len > 0)
        expect_refused(f->pjpeg.p, f->pjpeg.len / 2, UPLOAD_ACCEPT_IMAGE, "truncated");
}

static void test_too_large(void **state)
{
    pdf_opts o = {NULL, 0, -1, 6 * MIB, NULL};
    tbuf b;
    unsigned char *junk;

    (void)state;
    /* A real, valid PDF of about 6 MiB: refused only for its size. */
    make_pdf(&b, &o);
    assert_true(b.len > 6 * MIB - 200);
    {
        sertel_err err = {0};
        upload_info info;
        assert_int_equal(
            check(b.p, b.len, UPLOAD_ACCEPT_PDF, 8 * MIB, "the letter", &info, NULL, &err),
            SERTEL_OK);
    }
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_PDF, "larger than the limit of 5242880 bytes (5 MiB)");
    tb_free(&b);
    junk = calloc(1, 6 * MIB);
    assert_non_null(junk);
    expect_refused(junk, 6 * MIB, UPLOAD_ACCEPT_IMAGE, "is 6291456 bytes, larger than the limit");
    expect_refused_max(junk, 5000, UPLOAD_ACCEPT_IMAGE, 4096, "limit of 4096 bytes (4 KiB)");
    expect_refused_max(junk, 5000, UPLOAD_ACCEPT_IMAGE, 1000, "limit of 1000 bytes:");
    /* Exactly at the limit is not refused for size. */
    expect_refused_max(junk, 4096, UPLOAD_ACCEPT_IMAGE, 4096, "not a JPEG or PNG image");
    free(junk);
}

/* A ZIP archive holding one file of 10 MB of zeros, deflated. */
static void make_zip_bomb(tbuf *b)
{
    static unsigned char zeros[1 << 20];
    unsigned char out[65536];
    z_stream zs;
    tbuf data = {0};
    int i, zr;
    uint32_t crc = 0;
    const uint32_t usize = 10u << 20;
    unsigned char lfh[30] = {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0};

    memset(&zs, 0, sizeof(zs));
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    for (i = 0; i < 10; i++) {
        crc = (uint32_t)crc32(crc, zeros, sizeof(zeros));
        zs.next_in = zeros;
        zs.avail_in = sizeof(zeros);
        do {
            zs.next_out = out;
            zs.avail_out = sizeof(out);
            zr = deflate(&zs, i == 9 ? Z_FINISH : Z_NO_FLUSH);
            tb_add(&data, out, sizeof(out) - zs.avail_out);
        } while (zs.avail_out == 0 || (i == 9 && zr != Z_STREAM_END));
    }
    deflateEnd(&zs);
    memset(b, 0, sizeof(*b));
    lfh[14] = (unsigned char)crc;
    lfh[15] = (unsigned char)(crc >> 8);
    lfh[16] = (unsigned char)(crc >> 16);
    lfh[17] = (unsigned char)(crc >> 24);
    lfh[18] = (unsigned char)data.len;
    lfh[19] = (unsigned char)(data.len >> 8);
    lfh[20] = (unsigned char)(data.len >> 16);
    lfh[22] = (unsigned char)usize;
    lfh[23] = (unsigned char)(usize >> 8);
    lfh[24] = (unsigned char)(usize >> 16);
    lfh[26] = 8; /* name length */
    tb_add(b, lfh, 30);
    tb_add(b, "zero.bin", 8);
    tb_add(b, data.p, data.len);
    /* (central directory omitted: the local header alone identifies a ZIP) */
    tb_add(b, "PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22);
    tb_free(&data);
}

static void test_zip_bomb(void **state)
{
    tbuf b;

    (void)state;
    make_zip_bomb(&b);
    assert_true(b.len < 64 * 1024);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_PDF, "its content is a ZIP archive");
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "ZIP");
    tb_free(&b);
    /* An empty archive (EOCD only), as a .docx saved badly might be. */
    expect_refused((const unsigned char *)"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22,
                   UPLOAD_ACCEPT_PDF, "ZIP");
}

/* IHDR 100x100 grey (10100 raw bytes) whose IDAT inflates to 50 MB of zeros. */
static void test_png_bomb(void **state)
{
    static unsigned char zeros[1 << 20];
    unsigned char out[65536];
    tbuf b, z = {0};
    z_stream zs;
    int i, zr;

    (void)state;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(deflateInit(&zs, 9), Z_OK);
    for (i = 0; i < 50; i++) {
        zs.next_in = zeros;
        zs.avail_in = sizeof(zeros);
        do {
            zs.next_out = out;
            zs.avail_out = sizeof(out);
            zr = deflate(&zs, i == 49 ? Z_FINISH : Z_NO_FLUSH);
            tb_add(&z, out, sizeof(out) - zs.avail_out);
        } while (zs.avail_out == 0 || (i == 49 && zr != Z_STREAM_END));
    }
    deflateEnd(&zs);
    memset(&b, 0, sizeof(b));
    png_ihdr(&b, 100, 100, 8, 0, 0);
    png_chunk(&b, "IDAT", z.p, (uint32_t)z.len);
    png_chunk(&b, "IEND", NULL, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE,
                   "decompresses to more than the 10100 bytes the image needs (a decompression "
                   "bomb)");
    tb_free(&b);
    tb_free(&z);
}

static void test_png_refusals(void **state)
{
    tbuf b, z;
    size_t n;
    unsigned char raw[2 * 4] = {0};

    (void)state;
    /* Bad CRC anywhere. */
    make_png(&b, 10, 10, 8, 2);
    b.p[b.len - 1] ^= 1; /* the IEND CRC */
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "CRC checksum of its IEND chunk");
    b.p[b.len - 1] ^= 1;
    b.p[8 + 8 + 3] ^= 0x40; /* in IHDR data */
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "CRC checksum of its IHDR chunk");
    b.p[8 + 8 + 3] ^= 0x40;
    expect_ok(b.p, b.len, UPLOAD_ACCEPT_IMAGE, UPLOAD_PNG, NULL);
    /* Every truncation is refused. */
    for (n = 0; n < b.len; n++)
        expect_refused_max(b.p, n, UPLOAD_ACCEPT_IMAGE, 0, NULL);
    expect_refused(b.p, b.len - 12, UPLOAD_ACCEPT_IMAGE, "truncated");
    /* Data after IEND: tolerated, and not stored (the image is written again). */
    tb_add(&b, "PK\x03\x04", 4);
    {
        upload_info info;
        sertel_err err = {0};
        tbuf clean;
        assert_int_equal(check(b.p, b.len, UPLOAD_ACCEPT_IMAGE, 0, "the scan", &info, &clean, &err),
                         SERTEL_OK);
        assert_null(memmem(clean.p, clean.len, "PK\x03\x04", 4));
        tb_free(&clean);
    }
    tb_free(&b);
    /* Signature mangled by a text-mode transfer. */
    make_png(&b, 10, 10, 8, 2);
    memmove(b.p + 4, b.p + 5, b.len - 5);
    b.len--;
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "signature");
    tb_free(&b);
    /* Too large in pixels: refused from the header, before any inflating. */
    make_png_raw(&b, 20001, 1, 8, 0, 0, 10, 0, 1);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "more than the limit of 20000");
    tb_free(&b);
    make_png_raw(&b, 20000, 20000, 16, 6, 0, 10, 0, 1);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE,
                   "20000 x 20000 pixels, more than the limit of 50 megapixels");
    tb_free(&b);
    make_png_raw(&b, 0, 1, 8, 0, 0, 10, 0, 1);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "0 x 1 pixels");
    tb_free(&b);
    /* Invalid colour type / depth combination. */
    make_png_raw(&b, 2, 2, 4, 2, 0, 10, 0, 1);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "colour type 2 with bit depth 4");
    tb_free(&b);
    /* Too little image data, too much (a small bomb). */
    make_png_raw(&b, 3, 2, 8, 0, 0, 7, 4, 1);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "holds 7 of the 8 bytes");
    tb_free(&b);
    make_png_raw(&b, 3, 2, 8, 0, 0, 9, 4, 1);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "decompression bomb");
    tb_free(&b);
    /* Bad filter type byte. */
    memset(&b, 0, sizeof(b));
    png_ihdr(&b, 3, 2, 8, 0, 0);
    raw[4] = 5; /* second row's filter byte */
    zcompress(&z, raw, 8);
    png_chunk(&b, "IDAT", z.p, (uint32_t)z.len);
    png_chunk(&b, "IEND", NULL, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "invalid filter type");
    tb_free(&b);
    /* Corrupt zlib data (a wrong Adler-32) under a correct chunk CRC. */
    z.p[z.len - 1] ^= 0xFF;
    memset(&b, 0, sizeof(b));
    png_ihdr(&b, 3, 2, 8, 0, 0);
    png_chunk(&b, "IDAT", z.p, (uint32_t)z.len);
    png_chunk(&b, "IEND", NULL, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "corrupt");
    tb_free(&b);
    /* No IDAT at all; unterminated zlib stream. */
    memset(&b, 0, sizeof(b));
    png_ihdr(&b, 3, 2, 8, 0, 0);
    png_chunk(&b, "IEND", NULL, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "no IDAT");
    tb_free(&b);
    memset(&b, 0, sizeof(b));
    png_ihdr(&b, 3, 2, 8, 0, 0);
    png_chunk(&b, "IDAT", z.p, 4);
    png_chunk(&b, "IEND", NULL, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, NULL);
    tb_free(&b);
    tb_free(&z);
    /* Palette image without PLTE; unknown critical chunk; split IDAT run. */
    memset(&b, 0, sizeof(b));
    png_ihdr(&b, 3, 2, 8, 3, 0);
    zcompress(&z, raw, 8);
    png_chunk(&b, "IDAT", z.p, (uint32_t)z.len);
    png_chunk(&b, "IEND", NULL, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "no PLTE");
    tb_free(&b);
    memset(&b, 0, sizeof(b));
    png_ihdr(&b, 3, 2, 8, 0, 0);
    png_chunk(&b, "CgBI", "xxxx", 4);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "unknown critical chunk CgBI");
    tb_free(&b);
    memset(&b, 0, sizeof(b));
    png_ihdr(&b, 3, 2, 8, 0, 0);
    png_chunk(&b, "IDAT", z.p, 3);
    png_chunk(&b, "tEXt", "a\0b", 3);
    png_chunk(&b, "IDAT", z.p + 3, (uint32_t)z.len - 3);
    png_chunk(&b, "IEND", NULL, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "not consecutive");
    tb_free(&b);
    /* Not starting with IHDR. */
    memset(&b, 0, sizeof(b));
    tb_add(&b, "\x89PNG\r\n\x1A\n", 8);
    png_chunk(&b, "IDAT", z.p, (uint32_t)z.len);
    png_chunk(&b, "IEND", NULL, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "IHDR");
    tb_free(&b);
    tb_free(&z);
}

static void test_jpeg_refusals(void **state)
{
    tbuf b;

    (void)state;
    make_jpeg(&b, 0, 480, 1, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "0 x 480 pixels");
    tb_free(&b);
    make_jpeg(&b, 30000, 480, 1, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "more than the limit of 20000");
    tb_free(&b);
    make_jpeg(&b, 20000, 20000, 1, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "more than the limit of 50 megapixels");
    tb_free(&b);
    make_jpeg(&b, 10000, 5001, 1, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "more than the limit of 50 megapixels");
    tb_free(&b);
    /* Exactly 50 megapixels: not refused for its size (only its made-up scan fails to decode). */
    make_jpeg(&b, 10000, 5000, 1, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "it cannot be decoded");
    tb_free(&b);
    make_jpeg(&b, 640, 480, 0, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "truncated");
    tb_free(&b);
    make_jpeg(&b, 640, 480, 1, 1);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_IMAGE, "before the frame header");
    tb_free(&b);
    {
        /* A second SOF (e.g. a small first frame hiding a huge second one). */
        tbuf c = {0};
        size_t i;
        make_jpeg(&b, 640, 480, 1, 0);
        for (i = 0; i + 1 < b.len; i++)
            if (b.p[i] == 0xFF && b.p[i + 1] == 0xC0)
                break;
        tb_add(&c, b.p, i + 19);
        tb_add(&c, b.p + i, b.len - i);
        expect_refused(c.p, c.len, UPLOAD_ACCEPT_IMAGE, "two frame headers");
        tb_free(&c);
        tb_free(&b);
    }
    expect_refused((const unsigned char *)"\xFF\xD8\xFF\xD9", 4, UPLOAD_ACCEPT_IMAGE,
                   "before any image data");
    expect_refused((const unsigned char *)"\xFF\xD8\xFF\xE0\x00\x10JF", 8, UPLOAD_ACCEPT_IMAGE,
                   "truncated");
    expect_refused((const unsigned char *)"\xFF\xD8\xFF\xE0\x00\x01JF", 8, UPLOAD_ACCEPT_IMAGE,
                   "segment length");
    expect_refused((const unsigned char *)"\xFF\xD8\xFF\x02\x00\x04JF", 8, UPLOAD_ACCEPT_IMAGE,
                   "invalid marker");
    expect_refused((const unsigned char *)"\xFF\xD8\xFF\xE0\x00\x02Z", 7, UPLOAD_ACCEPT_IMAGE,
                   "no marker");
}

static void test_pdf_refusals(void **state)
{
    fixtures *f = *state;
    pdf_opts o = {NULL, 0, -1, 0, NULL};
    tbuf b;
    size_t n;
    char deep[200];

    /* startxref pointing nowhere, beyond the end, at a non-xref object. */
    o.startxref = 20;
    make_pdf(&b, &o);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_PDF,
                   "its startxref points to byte 20, where there is no cross-reference table");
    tb_free(&b);
    o.startxref = 99999;
    make_pdf(&b, &o);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_PDF, "beyond the end of the file");
    tb_free(&b);
    make_default_pdf(&b);
    {
        /* point at "1 0 obj" (the catalog): an object, but no xref stream */
        pdf_opts o2 = {NULL, 0, 0, 0, NULL};
        const unsigned char *cat = NULL;
        size_t i;
        for (i = 0; i + 7 < b.len; i++)
            if (memcmp(b.p + i, "1 0 obj", 7) == 0) {
                cat = b.p + i;
                break;
            }
        assert_non_null(cat);
        o2.startxref = (long)(cat - b.p);
        tb_free(&b);
        make_pdf(&b, &o2);
        expect_refused(b.p, b.len, UPLOAD_ACCEPT_PDF, "not a cross-reference stream");
        tb_free(&b);
    }
    /* No /Root; a /Root that is not a reference; nested too deep. */
    o.startxref = -1;
    o.no_root = 1;
    make_pdf(&b, &o);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_PDF, "no /Root");
    tb_free(&b);
    o.trailer_extra = "/Root /Catalog";
    make_pdf(&b, &o);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_PDF, "no /Root");
    tb_free(&b);
    o.no_root = 0;
    memset(deep, 0, sizeof(deep));
    for (n = 0; n < 40; n++)
        memcpy(deep + 4 + 2 * n, "[ ", 2);
    memcpy(deep, "/A ", 3);
    deep[3] = ' ';
    o.trailer_extra = deep; /* never closed: 40 levels of arrays */
    make_pdf(&b, &o);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_PDF, "nested more than 32 levels");
    tb_free(&b);
    /* Unclosed string in the trailer swallows the rest. */
    o.trailer_extra = "/ID (abc";
    make_pdf(&b, &o);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_PDF, "not closed");
    tb_free(&b);
    o.trailer_extra = NULL;
    /* Truncations: every prefix without the %%EOF line is refused. */
    make_default_pdf(&b);
    for (n = 0; n + 1 < b.len; n++)
        expect_refused_max(b.p, n, UPLOAD_ACCEPT_PDF, 0, n == 0 ? "empty" : NULL);
    expect_refused(b.p, b.len / 2, UPLOAD_ACCEPT_PDF, "truncated");
    /* Unknown version, data before the header, a damaged xref table. */
    b.p[7] = '9';
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_PDF, "version");
    b.p[7] = '4';
    {
        tbuf c = {0};
        tb_add(&c, "Content-Type: application/pdf\r\n\r\n", 34);
        tb_add(&c, b.p, b.len);
        expect_refused(c.p, c.len, UPLOAD_ACCEPT_PDF, "34 bytes of other data before its %PDF-");
        expect_refused(c.p, c.len, UPLOAD_ACCEPT_IMAGE, "a PDF document");
        tb_free(&c);
    }
    for (n = 0; n + 4 < b.len; n++)
        if (memcmp(b.p + n, " 00000 n", 8) == 0) {
            b.p[n + 7] = 'x';
            break;
        }
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_PDF, "cross-reference table is damaged");
    tb_free(&b);
    /* An in-use xref entry pointing past the end (a cut or spliced file). */
    make_default_pdf(&b);
    for (n = 0; n + 8 < b.len; n++)
        if (memcmp(b.p + n, " 00000 n", 8) == 0) {
            memcpy(b.p + n - 10, "9999999999", 10);
            break;
        }
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_PDF,
                   "cross-reference table points to byte 9999999999, beyond the end");
    tb_free(&b);
    if (f->have_qpdf) {
        /* A damaged xref stream dictionary (qpdf's output, /Type changed). */
        tbuf c = {0};
        tb_add(&c, f->xstream.p, f->xstream.len);
        for (n = 0; n + 5 < c.len; n++)
            if (memcmp(c.p + n, "/XRef", 5) == 0)
                c.p[n + 1] = 'Y';
        expect_refused(c.p, c.len, UPLOAD_ACCEPT_PDF, "not a cross-reference stream");
        tb_free(&c);
    }
}

static void test_wrong_kind(void **state)
{
    fixtures *f = *state;
    tbuf b;

    make_jpeg(&b, 64, 48, 1, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_PDF,
                   "is not a PDF: its content is a JPEG image (the file name does not matter)");
    tb_free(&b);
    make_png(&b, 4, 4, 8, 0);
    expect_refused(b.p, b.len, UPLOAD_ACCEPT_PDF, "its content is a PNG image");
    tb_free(&b);
    expect_refused(f->pdf.p, f->pdf.len, UPLOAD_ACCEPT_IMAGE,
                   "is not a JPEG or PNG image: its content is a PDF document");
    if (f->have_poppler)
        expect_refused(f->jpeg.p, f->jpeg.len, UPLOAD_ACCEPT_PDF, "a JPEG image");
}

static void test_impostors(void **state)
{
    static const struct {
        const char *data;
        size_t len;
        const char *needle;
    } cases[] = {
        {"GIF89a\x01\x00\x01\x00\x00\x00\x00;", 13, "a GIF image"},
        {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0", 12, "old-format Microsoft Office"},
        {"\0\0\0\x18"
         "ftypheic\0\0\0\0mif1heic",
         24, "HEIC"},
        {"RIFF\x10\0\0\0WEBPVP8 ", 16, "WebP"},
        {"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>", 0, "SVG"},
        {"<svg onload=alert(1)>", 0, "SVG"},
        {"Dear Sir,\nplease find attached\n", 0, "plain text"},
        {"\x01\x02\x03\x04\x05\x06\x07\x08", 8, "not a recognised document or image format"},
        {"{\\rtf1\\ansi hello}", 18, "RTF"},
        {"\x1F\x8B\x08\0\0\0\0\0", 8, "gzip"},
        {"\x89PNX\r\n\x1A\n", 8, NULL}, /* a damaged signature is still a damaged PNG */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = cases[i].len ? cases[i].len : strlen(cases[i].data);
        expect_refused((const unsigned char *)cases[i].data, n,
                       UPLOAD_ACCEPT_PDF | UPLOAD_ACCEPT_IMAGE, cases[i].needle);
        expect_refused((const unsigned char *)cases[i].data, n, UPLOAD_ACCEPT_PDF, "is not a PDF");
    }
}

static void test_empty_and_api_misuse(void **state)
{
    sertel_err err = {0};
    upload_info info;
    unsigned char *out = NULL;
    size_t n = 0;

    (void)state;
    expect_refused((const unsigned char *)"", 0, UPLOAD_ACCEPT_PDF, "is empty");
    assert_int_equal(upload_check(NULL, 0, UPLOAD_ACCEPT_IMAGE, NULL, NULL, &info, &out, &n, &err),
                     SERTEL_ERR_INVALID);
    assert_string_equal(err.msg, "the upload is empty (0 bytes): choose the file again and "
                                 "upload it");
    assert_int_equal(
        upload_check((const unsigned char *)"x", 1, 0, NULL, NULL, &info, &out, &n, &err),
        SERTEL_ERR_INTERNAL);
    assert_int_equal(
        upload_check((const unsigned char *)"x", 1, 0x8, NULL, NULL, &info, &out, &n, &err),
        SERTEL_ERR_INTERNAL);
    assert_int_equal(upload_check(NULL, 10, UPLOAD_ACCEPT_PDF, NULL, NULL, &info, &out, &n, NULL),
                     SERTEL_ERR_INTERNAL);
    assert_null(out);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(upload_content_type(UPLOAD_PDF), "application/pdf");
    assert_string_equal(upload_content_type(UPLOAD_JPEG), "image/jpeg");
    assert_string_equal(upload_content_type(UPLOAD_PNG), "image/png");
    assert_string_equal(upload_content_type((upload_kind)0), "application/octet-stream");
    assert_string_equal(upload_content_type((upload_kind)77), "application/octet-stream");
    assert_string_equal(upload_kind_name(UPLOAD_PDF), "PDF");
    assert_string_equal(upload_kind_name(UPLOAD_JPEG), "JPEG");
    assert_string_equal(upload_kind_name(UPLOAD_PNG), "PNG");
    assert_string_equal(upload_kind_name((upload_kind)9), "unknown");
}

/* ---- storage ---- */

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void test_store_load(void **state)
{
    fixtures *f = *state;
    char *home = tu_mkdtemp();
    char up[1024], sub[1100], path[1200], expect_sha[65];
    sertel_err err = {0};
    upload_info info;
    unsigned char *back = NULL;
    size_t n = 0;
    struct stat st, st2;

    snprintf(up, sizeof(up), "%s/uploads", home);
    assert_int_equal(
        check(f->pdf.p, f->pdf.len, UPLOAD_ACCEPT_PDF, 0, "the letter", &info, NULL, &err),
        SERTEL_OK);
    /* The recorded SHA-256 is the one sha256sum computes. */
    {
        FILE *p;
        char cmd[4200], line[200] = {0};
        snprintf(cmd, sizeof(cmd), "sha256sum '%s/base.pdf'", f->dir);
        p = popen(cmd, "r");
        assert_non_null(p);
        assert_non_null(fgets(line, sizeof(line), p));
        pclose(p);
        memcpy(expect_sha, line, 64);
        expect_sha[64] = '\0';
        assert_string_equal(info.sha256, expect_sha);
    }
    if (upload_store(up, f->pdf.p, f->pdf.len, &info, &err) != SERTEL_OK)
        fail_msg("%s", err.msg);
    snprintf(sub, sizeof(sub), "%s/%.2s", up, info.sha256);
    snprintf(path, sizeof(path), "%s/%s", sub, info.sha256);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal((size_t)st.st_size, f->pdf.len);
    assert_int_equal(stat(sub, &st2), 0);
    assert_int_equal(st2.st_mode & 077, 0); /* 0700 (less by umask) */
    assert_int_equal(stat(up, &st2), 0);
    assert_int_equal(st2.st_mode & 077, 0);
    assert_int_equal(count_entries(sub), 1); /* no temporary file left */

    if (upload_load(up, info.sha256, 0, &back, &n, &err) != SERTEL_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(n, f->pdf.len);
    assert_memory_equal(back, f->pdf.p, n);
    free(back);
    back = NULL;

    /* Idempotent: the same content again leaves the file alone. */
    assert_int_equal(upload_store(up, f->pdf.p, f->pdf.len, &info, &err), SERTEL_OK);
    assert_int_equal(stat(path, &st2), 0);
    assert_int_equal(st2.st_ino, st.st_ino);

    /* Tampered: load refuses; storing again repairs it atomically. */
    {
        FILE *w = fopen(path, "r+b");
        assert_non_null(w);
        assert_int_equal(fseek(w, 100, SEEK_SET), 0);
        fputc('X', w);
        fclose(w);
    }
    assert_int_equal(upload_load(up, info.sha256, 0, &back, &n, &err), SERTEL_ERR_TAMPERED);
    assert_null(back);
    assert_non_null(strstr(err.msg, "altered"));
    assert_int_equal(upload_store(up, f->pdf.p, f->pdf.len, &info, &err), SERTEL_OK);
    assert_int_equal(stat(path, &st2), 0);
    assert_true(st2.st_ino != st.st_ino);
    assert_int_equal(st2.st_mode & 07777, 0640);
    assert_int_equal(upload_load(up, info.sha256, 0, &back, &n, &err), SERTEL_OK);
    free(back);
    back = NULL;
    /* Truncated on disk: tampered too. */
    assert_int_equal(truncate(path, 10), 0);
    assert_int_equal(upload_load(up, info.sha256, 0, &back, &n, &err), SERTEL_ERR_TAMPERED);
    /* A symlink in its place is not followed. */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    assert_int_equal(upload_load(up, info.sha256, 0, &back, &n, &err), SERTEL_ERR_TAMPERED);
    /* Nor is anything else that is not a regular file (a FIFO would block). */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(upload_load(up, info.sha256, 0, &back, &n, &err), SERTEL_ERR_TAMPERED);
    assert_int_equal(rmdir(path), 0);
    /* A link in its place is reported, not replaced and not followed (test_upload_content.c
     * has the other kinds of entries). */
    assert_int_equal(symlink("/etc/passwd", path), 0);
    assert_int_equal(upload_store(up, f->pdf.p, f->pdf.len, &info, &err), SERTEL_ERR_TAMPERED);
    assert_int_equal(lstat(path, &st2), 0);
    assert_true(S_ISLNK(st2.st_mode));
    assert_int_equal(unlink(path), 0);
    assert_int_equal(upload_store(up, f->pdf.p, f->pdf.len, &info, &err), SERTEL_OK);
    assert_int_equal(lstat(path, &st2), 0);
    assert_true(S_ISREG(st2.st_mode));
    assert_int_equal(upload_load(up, info.sha256, 0, &back, &n, &err), SERTEL_OK);
    free(back);
    back = NULL;
    /* Limit on reading back: exactly at the limit is fine, one byte less is not. */
    assert_int_equal(upload_load(up, info.sha256, f->pdf.len, &back, &n, &err), SERTEL_OK);
    free(back);
    back = NULL;
    assert_int_equal(upload_load(up, info.sha256, f->pdf.len - 1, &back, &n, &err),
                     SERTEL_ERR_INVALID);
    assert_null(back);

    /* Not stored. */
    assert_int_equal(upload_load(up,
                                 "0000000000000000000000000000000000000000000000000000000000000000",
                                 0, &back, &n, &err),
                     SERTEL_ERR_NOTFOUND);

    /* Record and data that do not match. */
    {
        upload_info bad = info;
        bad.size = f->pdf.len - 1;
        assert_int_equal(upload_store(up, f->pdf.p, f->pdf.len - 1, &info, &err),
                         SERTEL_ERR_INVALID);
        assert_int_equal(upload_store(up, f->pdf.p, f->pdf.len - 1, &bad, &err),
                         SERTEL_ERR_INVALID);
        bad = info;
        bad.sha256[0] = 'A';
        assert_int_equal(upload_store(up, f->pdf.p, f->pdf.len, &bad, &err), SERTEL_ERR_INVALID);
        snprintf(bad.sha256, sizeof(bad.sha256), "../../../../tmp/x");
        assert_int_equal(upload_store(up, f->pdf.p, f->pdf.len, &bad, &err), SERTEL_ERR_INVALID);
    }
    assert_int_equal(count_entries(up), 1);
    tu_rmtree(home);
}

static void test_load_refuses_bad_names(void **state)
{
    static const char *bad[] = {
        "../etc/passwd",
        "",
        "ab",
        /* upper case */
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        /* 63 and 65 digits */
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
        /* 64 characters with a path in them */
        "../../../../../../../../../../../../../../../../../../../etc/pas",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85/",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85 ",
        "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    };
    sertel_err err = {0};
    static unsigned char dummy;
    unsigned char *out = &dummy;
    size_t n = 5, i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(upload_load("/nonexistent-sertel-dir", bad[i], 0, &out, &n, &err),
                         SERTEL_ERR_INVALID);
        assert_null(out);
        assert_int_equal(n, 0);
        assert_non_null(strstr(err.msg, "64 lower-case hex digits"));
    }
}

/* The caller's flow: check, and store only what passed. */
static void test_refused_uploads_store_nothing(void **state)
{
    fixtures *f = *state;
    char *home = tu_mkdtemp();
    char up[4096];
    const char *html = "<!DOCTYPE html><html><body>login</body></html>";
    tbuf zip, jpeg, bomb;
    unsigned char *big = calloc(1, 6 * MIB);
    size_t i;
    struct {
        const unsigned char *d;
        size_t n;
        unsigned accept;
    } cases[6];

    snprintf(up, sizeof(up), "%s/uploads", home);
    assert_int_equal(mkdir(up, 0700), 0);
    assert_non_null(big);
    make_zip_bomb(&zip);
    make_jpeg(&jpeg, 100, 100, 1, 0);
    make_png_raw(&bomb, 100, 100, 8, 0, 0, 200000, 101, 1);
    cases[0].d = (const unsigned char *)html;
    cases[0].n = strlen(html);
    cases[0].accept = UPLOAD_ACCEPT_PDF;
    cases[1].d = jpeg.p;
    cases[1].n = jpeg.len - 2;
    cases[1].accept = UPLOAD_ACCEPT_IMAGE;
    cases[2].d = big;
    cases[2].n = 6 * MIB;
    cases[2].accept = UPLOAD_ACCEPT_PDF;
    cases[3].d = zip.p;
    cases[3].n = zip.len;
    cases[3].accept = UPLOAD_ACCEPT_PDF;
    cases[4].d = bomb.p;
    cases[4].n = bomb.len;
    cases[4].accept = UPLOAD_ACCEPT_IMAGE;
    cases[5].d = f->pdf.p;
    cases[5].n = f->pdf.len;
    cases[5].accept = UPLOAD_ACCEPT_IMAGE;
    for (i = 0; i < 6; i++) {
        sertel_err err = {0};
        upload_info info;
        tbuf clean;
        if (check(cases[i].d, cases[i].n, cases[i].accept, 0, "the file", &info, &clean, &err) ==
            SERTEL_OK) {
            assert_int_equal(upload_store(up, clean.p, clean.len, &info, &err), SERTEL_OK);
            tb_free(&clean);
        } else
            assert_true(err.msg[0] != '\0');
    }
    assert_int_equal(count_entries(up), 0);
    tb_free(&zip);
    tb_free(&jpeg);
    tb_free(&bomb);
    free(big);
    tu_rmtree(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_pdf),
        cmocka_unit_test(test_valid_pdf_qpdf),
        cmocka_unit_test(test_valid_images_poppler),
        cmocka_unit_test(test_valid_png_built),
        cmocka_unit_test(test_png_interlaced),
        cmocka_unit_test(test_valid_jpeg_built),
        cmocka_unit_test(test_html_as_pdf),
        cmocka_unit_test(test_truncated_jpeg),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_zip_bomb),
        cmocka_unit_test(test_png_bomb),
        cmocka_unit_test(test_png_refusals),
        cmocka_unit_test(test_jpeg_refusals),
        cmocka_unit_test(test_pdf_refusals),
        cmocka_unit_test(test_wrong_kind),
        cmocka_unit_test(test_impostors),
        cmocka_unit_test(test_empty_and_api_misuse),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_store_load),
        cmocka_unit_test(test_load_refuses_bad_names),
        cmocka_unit_test(test_refused_uploads_store_nothing),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
