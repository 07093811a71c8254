/*
 * test_walk.c - pdf_stream_expand and pdf_walk (lib/pdf/expand.c, walk.c).
 *
 * Streams through every general filter and through chains of them (with a
 * PNG predictor between two filters) are written here, and the size
 * pdf_stream_expand measures is checked against the length qpdf (an
 * independent reader) decodes them to; a limit stops each stage. pdf_walk
 * is checked on a file of two revisions with an object stream: every
 * version of every object, each place once, with its revision, the object
 * stream's members, and the raw bytes between objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pdf/pdf.h"
#include "testutil.h"
#include "util/fs.h"

typedef struct buf {
    unsigned char *p;
    size_t len;
} buf;

static void add(buf *b, const void *d, size_t n)
{
    b->p = realloc(b->p, b->len + n + 1);
    assert_non_null(b->p);
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void adds(buf *b, const char *s)
{
    add(b, s, strlen(s));
}

static buf deflate_buf(const buf *in)
{
    buf z = {0};
    uLongf zl = compressBound((uLong)in->len);

    z.p = malloc(zl);
    assert_non_null(z.p);
    assert_int_equal(compress2(z.p, &zl, in->p, (uLong)in->len, 9), Z_OK);
    z.len = zl;
    return z;
}

static buf hex_buf(const buf *in)
{
    buf h = {0};
    size_t i;
    char t[4];

    for (i = 0; i < in->len; i++) {
        snprintf(t, sizeof(t), "%02x", in->p[i]);
        add(&h, t, 2);
        if (i % 32 == 31)
            add(&h, "\n", 1);
    }
    add(&h, ">", 1);
    return h;
}

static buf a85_buf(const buf *in)
{
    buf a = {0};
    size_t i, k;

    for (i = 0; i < in->len; i += 4) {
        unsigned char g[4] = {0};
        uint32_t v;
        char c[5];
        size_t n = in->len - i < 4 ? in->len - i : 4;
        memcpy(g, in->p + i, n);
        v = (uint32_t)g[0] << 24 | (uint32_t)g[1] << 16 | (uint32_t)g[2] << 8 | g[3];
        if (v == 0 && n == 4) {
            add(&a, "z", 1);
            continue;
        }
        for (k = 5; k-- > 0;) {
            c[k] = (char)('!' + v % 85);
            v /= 85;
        }
        add(&a, c, n + 1);
    }
    add(&a, "~>", 2);
    return a;
}

/* RunLength: runs of a byte, and literal stretches. */
static buf rl_buf(const buf *in)
{
    buf r = {0};
    size_t i = 0;

    while (i < in->len) {
        size_t run = 1;
        while (i + run < in->len && run < 128 && in->p[i + run] == in->p[i])
            run++;
        if (run >= 2) {
            unsigned char h[2] = {(unsigned char)(257 - run), in->p[i]};
            add(&r, h, 2);
            i += run;
        } else {
            size_t n = 1;
            unsigned char h;
            while (i + n < in->len && n < 128 &&
                   !(i + n + 1 < in->len && in->p[i + n] == in->p[i + n + 1]))
                n++;
            h = (unsigned char)(n - 1);
            add(&r, &h, 1);
            add(&r, in->p + i, n);
            i += n;
        }
    }
    add(&r, "\x80", 1);
    return r;
}

/* PNG "Up" predictor (§7.4.4.4) over rows of cols bytes. */
static buf png_up(const buf *in, size_t cols)
{
    buf o = {0};
    size_t r, k;

    for (r = 0; r * cols < in->len; r++) {
        unsigned char t = 2;
        add(&o, &t, 1);
        for (k = 0; k < cols; k++) {
            size_t i = r * cols + k;
            unsigned char v = i < in->len ? in->p[i] : 0;
            unsigned char up = r > 0 ? in->p[i - cols] : 0;
            v = (unsigned char)(v - up);
            add(&o, &v, 1);
        }
    }
    return o;
}

/* Sample data: text, runs and zeros. */
static buf sample(void)
{
    buf s = {0};
    int i;

    for (i = 0; i < 300; i++) {
        char t[64];
        snprintf(t, sizeof(t), "BT /F1 12 Tf 72 %d Td (baris %d) Tj ET\n", 800 - i, i);
        adds(&s, t);
    }
    for (i = 0; i < 2000; i++)
        add(&s, "\0", 1);
    for (i = 0; i < 700; i++)
        add(&s, "aaaab", i % 5 == 0 ? 5 : 1);
    return s;
}

typedef struct obj {
    const char *dict; /* inside << >>, without /Length */
    buf data;
} obj;

/* A one-revision PDF of the catalog, pages, page and streams 4.. */
static buf write_pdf(const obj *streams, size_t n)
{
    buf b = {0};
    size_t off[32], i, total = 3 + n;
    char t[256];

    adds(&b, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
    off[0] = b.len;
    adds(&b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    off[1] = b.len;
    adds(&b, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
    off[2] = b.len;
    adds(&b, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n");
    for (i = 0; i < n; i++) {
        off[3 + i] = b.len;
        snprintf(t, sizeof(t), "%zu 0 obj\n<< %s /Length %zu >>\nstream\n", 4 + i, streams[i].dict,
                 streams[i].data.len);
        adds(&b, t);
        add(&b, streams[i].data.p, streams[i].data.len);
        adds(&b, "\nendstream\nendobj\n");
    }
    off[31] = b.len;
    snprintf(t, sizeof(t), "xref\n0 %zu\n0000000000 65535 f \n", total + 1);
    adds(&b, t);
    for (i = 0; i < total; i++) {
        snprintf(t, sizeof(t), "%010zu 00000 n \n", off[i]);
        adds(&b, t);
    }
    snprintf(t, sizeof(t), "trailer\n<< /Size %zu /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
             total + 1, off[31]);
    adds(&b, t);
    return b;
}

/* qpdf's decoded length of object num in the file at path; -1 without qpdf. */
static long qpdf_length(const char *path, size_t num)
{
    char cmd[4300];
    FILE *p;
    long n = 0;
    int c;

    if (system("command -v qpdf >/dev/null 2>&1") != 0)
        return -1;
    snprintf(cmd, sizeof(cmd), "qpdf --show-object=%zu --filtered-stream-data '%s'", num, path);
    p = popen(cmd, "r");
    assert_non_null(p);
    while ((c = fgetc(p)) != EOF)
        n++;
    assert_int_equal(pclose(p), 0);
    return n;
}

static void test_expand_filters(void **state)
{
    buf s = sample(), z = deflate_buf(&s), h = hex_buf(&s), a = a85_buf(&s), r = rl_buf(&s);
    buf zh = deflate_buf(&h), hz = hex_buf(&z), pred = png_up(&h, 40), zpred = deflate_buf(&pred);
    buf zr = deflate_buf(&r);
    obj streams[] = {
        {"", s},
        {"/Filter /FlateDecode", z},
        {"/Filter /ASCIIHexDecode", h},
        {"/Filter /ASCII85Decode", a},
        {"/Filter /RunLengthDecode", r},
        {"/Filter [/FlateDecode /ASCIIHexDecode]", zh},
        {"/Filter [/AHx /Fl]", hz},
        {"/Filter [/FlateDecode /RunLengthDecode]", zr},
        /* Flate with a PNG predictor, then ASCIIHex: the predictor must be undone in between. */
        {"/Filter [/FlateDecode /ASCIIHexDecode] /DecodeParms [<< /Predictor 12 /Columns 40 >> "
         "null]",
         zpred},
    };
    size_t n = sizeof(streams) / sizeof(streams[0]), i;
    buf pdf = write_pdf(streams, n);
    char *dir = tu_mkdtemp();
    const char *path = tu_path(dir, "f.pdf");
    pdf_doc *d = NULL;
    sertel_err err = {0};
    FILE *f = fopen(path, "wb");

    (void)state;
    assert_non_null(f);
    assert_int_equal(fwrite(pdf.p, 1, pdf.len, f), pdf.len);
    fclose(f);
    assert_int_equal(pdf_open_mem(pdf.p, pdf.len, &d, &err), SERTEL_OK);
    for (i = 0; i < n; i++) {
        const pdf_obj *o = NULL;
        uint64_t size = 0, work = 0, want = s.len;
        long q = qpdf_length(path, 4 + i);
        /* The largest of the raw data and every stage's output. */
        size_t stages[][2] = {{0, 0},     {0, 0},     {0, 0},
                              {0, 0},     {0, 0},     {h.len, 0},
                              {z.len, 0}, {r.len, 0}, {pred.len, (h.len + 39) / 40 * 40}};
        if (streams[i].data.len > want)
            want = streams[i].data.len;
        if (stages[i][0] > want)
            want = stages[i][0];
        if (stages[i][1] > want)
            want = stages[i][1];
        assert_int_equal(pdf_load(d, (uint32_t)(4 + i), &o, &err), SERTEL_OK);
        assert_int_equal(pdf_stream_expand(d, o, 1u << 20, &size, &work, &err), SERTEL_OK);
        if (size != want)
            fail_msg("stream %zu: measured %llu, expected %llu", i, (unsigned long long)size,
                     (unsigned long long)want);
        /* qpdf decodes every stream to the data itself (so each chain was undone right). */
        if (q >= 0)
            assert_int_equal(q, s.len);
        /* A limit below the size stops it: the size reported is over the limit. */
        assert_int_equal(pdf_stream_expand(d, o, 1000, &size, &work, &err), SERTEL_OK);
        assert_true(size > 1000);
    }
    pdf_close(d);
    free(pdf.p);
    free(s.p);
    free(z.p);
    free(h.p);
    free(a.p);
    free(r.p);
    free(zh.p);
    free(hz.p);
    free(pred.p);
    free(zpred.p);
    free(zr.p);
    tu_rmtree(dir);
}

static void test_expand_refusals(void **state)
{
    buf s = sample();
    obj streams[] = {
        {"/Filter /BogusDecode", s},
        {"/Filter [/DCTDecode /FlateDecode]", s},
        {"/Filter /DCTDecode", s},
    };
    buf pdf = write_pdf(streams, 3);
    pdf_doc *d = NULL;
    sertel_err err = {0};
    const pdf_obj *o;
    uint64_t size, work;

    (void)state;
    assert_int_equal(pdf_open_mem(pdf.p, pdf.len, &d, &err), SERTEL_OK);
    assert_int_equal(pdf_load(d, 4, &o, &err), SERTEL_OK);
    assert_int_equal(pdf_stream_expand(d, o, 1u << 20, &size, &work, &err), SERTEL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "unknown filter /BogusDecode"));
    assert_int_equal(pdf_load(d, 5, &o, &err), SERTEL_OK);
    assert_int_equal(pdf_stream_expand(d, o, 1u << 20, &size, &work, &err), SERTEL_ERR_UNSUPPORTED);
    assert_int_equal(pdf_load(d, 6, &o, &err), SERTEL_OK);
    assert_int_equal(pdf_stream_expand(d, o, 1u << 20, &size, &work, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no frame header"));
    pdf_close(d);
    free(pdf.p);
    free(s.p);
}

typedef struct walk_seen {
    unsigned obj4[4]; /* revisions object 4 was seen in */
    int n4, members, trailers, raw_xref, raw_obj, broken;
} walk_seen;

static int on_item(void *ctx, pdf_doc *d, const pdf_walk_item *it, sertel_err *err)
{
    walk_seen *s = ctx;

    (void)d;
    (void)err;
    if (it->kind == PDF_WALK_OBJECT && it->num == 4 && it->objstm == 0 && s->n4 < 4)
        s->obj4[s->n4++] = it->revision;
    if (it->kind == PDF_WALK_OBJECT && it->objstm != 0)
        s->members++;
    if (it->kind == PDF_WALK_TRAILER)
        s->trailers++;
    if (it->kind == PDF_WALK_BROKEN)
        s->broken++;
    if (it->kind == PDF_WALK_RAW && memmem(it->raw, it->raw_len, "xref", 4) != NULL)
        s->raw_xref++;
    if (it->kind == PDF_WALK_RAW && it->objstm == 0 && memmem(it->raw, it->raw_len, " obj", 4))
        s->raw_obj++;
    return SERTEL_OK;
}

/* Two revisions: the second replaces object 4 and adds an object stream of two members. */
static void test_walk_revisions(void **state)
{
    buf s = sample(), z = deflate_buf(&s);
    obj streams[] = {{"/Filter /FlateDecode", z}};
    buf pdf = write_pdf(streams, 1), os = {0}, zos;
    char t[512];
    size_t sx, off4, off5;
    const char *p;
    pdf_doc *d = NULL;
    sertel_err err = {0};
    walk_seen seen;

    (void)state;
    p = memmem(pdf.p + pdf.len - 40, 40, "startxref\n", 10); /* the buffer has no NUL */
    assert_non_null(p);
    sx = strtoul(p + 10, NULL, 10);
    adds(&os, "6 0 7 11 << /A 1 >> [1 2 3]");
    zos = deflate_buf(&os);
    off4 = pdf.len;
    snprintf(t, sizeof(t), "4 0 obj\n<< /Length 5 >>\nstream\nhello\nendstream\nendobj\n");
    adds(&pdf, t);
    off5 = pdf.len;
    snprintf(
        t, sizeof(t),
        "5 0 obj\n<< /Type /ObjStm /N 2 /First 9 /Filter /FlateDecode /Length %zu >>\nstream\n",
        zos.len);
    adds(&pdf, t);
    add(&pdf, zos.p, zos.len);
    adds(&pdf, "\nendstream\nendobj\n");
    snprintf(t, sizeof(t),
             "xref\n4 2\n%010zu 00000 n \n%010zu 00000 n \ntrailer\n<< /Size 6 /Root 1 0 R /Prev "
             "%zu >>\nstartxref\n%zu\n%%%%EOF\n",
             off4, off5, sx, pdf.len);
    adds(&pdf, t);
    assert_int_equal(pdf_open_mem(pdf.p, pdf.len, &d, &err), SERTEL_OK);
    memset(&seen, 0, sizeof(seen));
    assert_int_equal(pdf_walk(d, 1u << 20, on_item, &seen, &err), SERTEL_OK);
    /* Both versions of object 4, the original first, each with its revision. */
    assert_int_equal(seen.n4, 2);
    assert_int_equal(seen.obj4[0], 1);
    assert_int_equal(seen.obj4[1], 2);
    assert_int_equal(seen.members, 2);
    assert_int_equal(seen.trailers, 2);
    assert_int_equal(seen.broken, 0);
    assert_true(seen.raw_xref >= 2);   /* the tables lie between objects */
    assert_int_equal(seen.raw_obj, 0); /* every object was read, none left raw */
    pdf_close(d);
    free(pdf.p);
    free(s.p);
    free(z.p);
    free(os.p);
    free(zos.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand_filters),
        cmocka_unit_test(test_expand_refusals),
        cmocka_unit_test(test_walk_revisions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
