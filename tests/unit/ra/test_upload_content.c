/*
 * test_upload_content.c - uploads carry no active content (lib/ra/upload*.c):
 *
 * - PDFs: one file per case, written by tests/data/upload/mkcases.py (the
 *   standard library and qpdf, independent of sertel): each active-content
 *   key plain, #xx-escaped, added in an incremental update, present only in
 *   an older revision, inside an object stream, AES-256 and RC4 encrypted
 *   with an empty user password, encrypted inside object streams; a file
 *   that needs a password; decompression bombs through every filter (their
 *   sizes confirmed by qpdf when made) and over the total; HTML polyglots;
 *   and letters that must pass, also LibreOffice's (tests/data/upload/lo-*,
 *   made once, see the README there), Ghostscript's, qpdf-linearized, and
 *   one signed twice by sertel itself (a visible stamp with a QR code).
 * - Images: JPEGs written with libjpeg and PNGs with zlib here, carrying
 *   comments, EXIF, ICC profiles, text chunks and data after their end:
 *   the stored file lacks every payload byte, decodes (libjpeg, libpng,
 *   djpeg), and is turned upright by the EXIF orientation (all eight, exact
 *   for PNG; JPEG against jpegtran's own turns).
 * - Storage: a symbolic link, a FIFO or a device at the content-addressed
 *   path, a symbolic link as the uploads directory or its subdirectory:
 *   refused without being opened or followed; no temporary file is left.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <zlib.h>

#include <jpeglib.h>
#include <png.h>

#include "pdf/pdf.h"
#include "ra/upload.h"
#include "testutil.h"
#include "util/fs.h"

#define MIB (1024u * 1024u)

typedef struct buf {
    unsigned char *p;
    size_t len;
} buf;

static void buf_add(buf *b, const void *d, size_t n)
{
    b->p = realloc(b->p, b->len + n + 1);
    assert_non_null(b->p);
    if (n > 0)
        memcpy(b->p + b->len, d, n);
    b->len += n;
}

static buf read_all(const char *path)
{
    buf b = {0};
    sertel_err err = {0};

    if (fs_read_file(path, 64 * MIB, &b.p, &b.len, &err) != SERTEL_OK)
        fail_msg("%s", err.msg);
    return b;
}

static void write_all(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static int has_command(const char *name)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

static int contains(const unsigned char *p, size_t n, const char *s)
{
    return memmem(p, n, s, strlen(s)) != NULL;
}

typedef struct fixture {
    char *dir;
    int have_cases; /* mkcases.py ran (python3 and qpdf present) */
    const char *data;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    char cmd[8192];

    assert_non_null(f);
    f->dir = tu_mkdtemp();
    f->data = getenv("SERTEL_TEST_DATA");
    assert_non_null(f->data);
    if (has_command("python3") && has_command("qpdf")) {
        snprintf(cmd, sizeof(cmd), "python3 '%s/upload/mkcases.py' '%s'", f->data, f->dir);
        f->have_cases = system(cmd) == 0;
        assert_true(f->have_cases);
    } else {
        fprintf(stderr, "python3 or qpdf missing: the PDF cases are skipped\n");
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    tu_rmtree(f->dir);
    free(f);
    return 0;
}

/* upload_check; on success *clean holds the bytes to store. */
static int run_check(const buf *in, unsigned accept, const upload_limits *lim, upload_info *info,
                     buf *clean, sertel_err *err)
{
    unsigned char *out = NULL;
    size_t n = 0;
    int rc = upload_check(in->p, in->len, accept, lim, "the test file", info, &out, &n, err);

    if (clean != NULL) {
        clean->p = out;
        clean->len = n;
    } else {
        free(out);
    }
    if (rc != SERTEL_OK)
        assert_null(out);
    return rc;
}

/* "expand_max=N,expand_total=M" into lim (checked numbers). */
static void parse_limits(const char *s, upload_limits *lim)
{
    memset(lim, 0, sizeof(*lim));
    while (s != NULL && *s) {
        const char *eq = strchr(s, '=');
        char *end = NULL;
        unsigned long long v;
        assert_non_null(eq);
        errno = 0;
        v = strtoull(eq + 1, &end, 10);
        assert_true(errno == 0 && end != eq + 1 && (*end == ',' || *end == '\0'));
        if ((size_t)(eq - s) == 10 && memcmp(s, "expand_max", 10) == 0)
            lim->expand_max = v;
        else if ((size_t)(eq - s) == 12 && memcmp(s, "expand_total", 12) == 0)
            lim->expand_total = v;
        else
            fail_msg("unknown limit in %s", s);
        s = *end == ',' ? end + 1 : end;
    }
}

/* Every phrase of expect ("a|b|c") is in msg. */
static int message_has(const char *msg, const char *expect)
{
    char tmp[512];
    const char *p = expect;

    while (*p) {
        const char *bar = strchr(p, '|');
        size_t n = bar != NULL ? (size_t)(bar - p) : strlen(p);
        assert_true(n < sizeof(tmp));
        memcpy(tmp, p, n);
        tmp[n] = '\0';
        if (strstr(msg, tmp) == NULL)
            return 0;
        p += n + (bar != NULL);
    }
    return 1;
}

/* Check one PDF against its expectation; returns 0, or 1 after printing why not. */
static int one_pdf(const char *path, const char *name, const char *expect, const char *limits)
{
    buf in = read_all(path), clean = {0};
    upload_limits lim;
    upload_info info;
    sertel_err err = {0};
    int rc, bad = 0;

    parse_limits(limits, &lim);
    rc = run_check(&in, UPLOAD_ACCEPT_PDF, &lim, &info, &clean, &err);
    if (strcmp(expect, "ok") == 0) {
        if (rc != SERTEL_OK) {
            fprintf(stderr, "FAIL %s: refused: %s\n", name, err.msg);
            bad = 1;
        } else if (clean.len != in.len || memcmp(clean.p, in.p, in.len) != 0 ||
                   info.kind != UPLOAD_PDF) {
            fprintf(stderr, "FAIL %s: not stored as sent\n", name);
            bad = 1;
        }
    } else if (rc != SERTEL_ERR_INVALID || !message_has(err.msg, expect)) {
        fprintf(stderr, "FAIL %s: rc %d, message '%s', wanted '%s'\n", name, rc,
                rc == SERTEL_OK ? "(accepted)" : err.msg, expect);
        bad = 1;
    } else if (strstr(err.msg, "the test file") != err.msg) {
        fprintf(stderr, "FAIL %s: the message does not name the upload: %s\n", name, err.msg);
        bad = 1;
    }
    free(in.p);
    free(clean.p);
    return bad;
}

/* Every case mkcases.py wrote, against its expectation. */
static void test_pdf_cases(void **state)
{
    fixture *f = *state;
    char line[1024], path[4096];
    FILE *m;
    int bad = 0, n = 0, refused = 0;

    if (!f->have_cases)
        skip();
    snprintf(path, sizeof(path), "%s/cases.tsv", f->dir);
    m = fopen(path, "r");
    assert_non_null(m);
    while (fgets(line, sizeof(line), m) != NULL) {
        char *name = line, *expect, *limits, *nl;
        if ((nl = strchr(line, '\n')) != NULL)
            *nl = '\0';
        expect = strchr(name, '\t');
        assert_non_null(expect);
        *expect++ = '\0';
        limits = strchr(expect, '\t');
        assert_non_null(limits);
        *limits++ = '\0';
        snprintf(path, sizeof(path), "%s/%s", f->dir, name);
        bad += one_pdf(path, name, expect, limits);
        refused += strcmp(expect, "ok") != 0;
        n++;
    }
    fclose(m);
    fprintf(stderr, "%d PDF cases, %d to refuse\n", n, refused);
    assert_true(n > 120 && refused > 100);
    if (bad)
        fail_msg("%d of %d PDF cases failed", bad, n);
}

/* The refusal names the key, the object and what to do, in full. */
static void test_pdf_message(void **state)
{
    fixture *f = *state;
    char path[4096];
    buf in;
    upload_info info;
    sertel_err err = {0};

    if (!f->have_cases)
        skip();
    snprintf(path, sizeof(path), "%s/js-escaped.pdf", f->dir);
    in = read_all(path);
    assert_true(contains(in.p, in.len, "/J#53") && !contains(in.p, in.len, "/JS "));
    assert_int_equal(run_check(&in, UPLOAD_ACCEPT_PDF, NULL, &info, NULL, &err),
                     SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "the test file contains JavaScript (the key /JS in object 6 0 "
                                    "at byte "));
    assert_non_null(strstr(err.msg, "print the letter to PDF again without scripts (open it, "
                                    "choose Print and then \"Save as PDF\""));
    free(in.p);
    snprintf(path, sizeof(path), "%s/uri-hidden.pdf", f->dir);
    in = read_all(path);
    assert_int_equal(run_check(&in, UPLOAD_ACCEPT_PDF, NULL, &info, NULL, &err),
                     SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "the name /URI in object 6 0 at byte "));
    assert_non_null(strstr(err.msg, ", revision 1 of 2)"));
    free(in.p);
    /* Without the structural walk's help: the same key in bytes no object covers. */
    snprintf(path, sizeof(path), "%s/ok-plain.pdf", f->dir);
    in = read_all(path);
    {
        buf b = {0};
        const unsigned char *x = memmem(in.p, in.len, "\nxref", 5);
        assert_non_null(x);
        buf_add(&b, in.p, (size_t)(x - in.p));
        buf_add(&b, "\n% /Launch (stray bytes between objects)", 40);
        buf_add(&b, x, in.len - (size_t)(x - in.p));
        /* The offsets after the insertion: startxref moved by 40. */
        {
            char *sx = memmem(b.p, b.len, "startxref\n", 10);
            unsigned long v;
            char num[32];
            assert_non_null(sx);
            v = strtoul(sx + 10, NULL, 10);
            snprintf(num, sizeof(num), "%lu\n%%%%EOF\n", v + 40);
            b.len = (size_t)(sx + 10 - (char *)b.p);
            buf_add(&b, num, strlen(num));
        }
        assert_int_equal(run_check(&b, UPLOAD_ACCEPT_PDF, NULL, &info, NULL, &err),
                         SERTEL_ERR_INVALID);
        assert_non_null(strstr(err.msg, "the name /Launch at byte "));
        assert_non_null(strstr(err.msg, "outside any object sertel could read"));
        free(b.p);
    }
    free(in.p);
}

/*
 * A one-page PDF (classic xref) with junk between its header and its
 * objects, and extra objects (bodies, numbered from 5) after them.
 */
static buf pdf_with(const void *junk, size_t junklen, const buf *extra, size_t nextra)
{
    static const char *const objs[] = {
        "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        "<< /Length 20 >>\nstream\n0 0 1 rg 0 0 9 9 re f\nendstream"};
    buf b = {0};
    size_t off[16], i, n = 4 + nextra;
    char tmp[128];

    assert_true(n < 16);
    buf_add(&b, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 15);
    buf_add(&b, junk, junklen);
    buf_add(&b, "\n", 1);
    for (i = 0; i < n; i++) {
        off[i] = b.len;
        snprintf(tmp, sizeof(tmp), "%zu 0 obj\n", i + 1);
        buf_add(&b, tmp, strlen(tmp));
        if (i < 4)
            buf_add(&b, objs[i], strlen(objs[i]));
        else
            buf_add(&b, extra[i - 4].p, extra[i - 4].len);
        buf_add(&b, "\nendobj\n", 8);
    }
    snprintf(tmp, sizeof(tmp), "xref\n0 %zu\n0000000000 65535 f \n", n + 1);
    off[15] = b.len;
    buf_add(&b, tmp, strlen(tmp));
    for (i = 0; i < n; i++) {
        snprintf(tmp, sizeof(tmp), "%010zu 00000 n \n", off[i]);
        buf_add(&b, tmp, strlen(tmp));
    }
    snprintf(tmp, sizeof(tmp), "trailer\n<< /Size %zu /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
             n + 1, off[15]);
    buf_add(&b, tmp, strlen(tmp));
    return b;
}

static buf repeat(const char *s, size_t times)
{
    buf b = {0};
    size_t n = strlen(s), i;

    b.p = malloc(n * times + 1);
    assert_non_null(b.p);
    for (i = 0; i < times; i++)
        memcpy(b.p + i * n, s, n);
    b.len = n * times;
    return b;
}

static void expect_pdf_refused(const buf *b, const char *phrase)
{
    upload_info info;
    sertel_err err = {0};
    upload_limits lim = {16 * MIB, 0, 0};

    assert_int_equal(run_check(b, UPLOAD_ACCEPT_PDF, &lim, &info, NULL, &err), SERTEL_ERR_INVALID);
    if (strstr(err.msg, phrase) == NULL)
        fail_msg("'%s' lacks '%s'", err.msg, phrase);
}

/*
 * Every place is read, so a hostile file could make the walk quadratic:
 * object headers inside each other's strings, streams without a length or
 * an end, object streams whose members overlap. Each is refused after a
 * bounded amount of work (a quadratic walk would not finish in the test's
 * time limit).
 */
static void test_pdf_hostile_structure(void **state)
{
    buf junk, b, extra[1];

    (void)state;
    /* Headers whose strings never end: each read fails at the end of the file. */
    junk = repeat("1 0 obj (", 200000);
    b = pdf_with(junk.p, junk.len, NULL, 0);
    expect_pdf_refused(&b, "object headers in it lead to no object");
    free(b.p);
    free(junk.p);
    /* Headers nested in each other's strings, which all end at the end: overlapping objects. */
    junk = repeat("1 0 obj (", 100000);
    {
        buf close = repeat(")", 100000);
        buf_add(&junk, close.p, close.len);
        free(close.p);
    }
    b = pdf_with(junk.p, junk.len, NULL, 0);
    expect_pdf_refused(&b, "its objects overlap each other many times over");
    free(b.p);
    free(junk.p);
    /* Streams without /Length, all ending at one "endstream" far away. */
    junk = repeat("7 0 obj << >> stream\n", 100000);
    buf_add(&junk, "\nendstream\nendobj\n", 19);
    b = pdf_with(junk.p, junk.len, NULL, 0);
    expect_pdf_refused(&b, "overlap");
    free(b.p);
    free(junk.p);
    /* The same ending only at the page's content stream: each finds it by an index, not a search.
     */
    junk = repeat("7 0 obj << >> stream\n", 100000);
    b = pdf_with(junk.p, junk.len, NULL, 0);
    expect_pdf_refused(&b, "overlap");
    free(b.p);
    free(junk.p);
    /* An object stream whose members all start inside one another's strings. */
    {
        enum { N = 20000 };
        buf data = {0}, hdr = {0}, body = repeat("(", N), close = repeat(")", N);
        char tmp[64];
        unsigned char *z;
        uLongf zl;
        size_t i;
        for (i = 0; i < N; i++) {
            snprintf(tmp, sizeof(tmp), "%zu %zu ", 100 + i, i);
            buf_add(&hdr, tmp, strlen(tmp));
        }
        buf_add(&data, hdr.p, hdr.len);
        buf_add(&data, body.p, body.len);
        buf_add(&data, close.p, close.len);
        zl = compressBound((uLong)data.len);
        z = malloc(zl);
        assert_non_null(z);
        assert_int_equal(compress2(z, &zl, data.p, (uLong)data.len, 9), Z_OK);
        snprintf(tmp, sizeof(tmp), "<< /Type /ObjStm /N %d /First %zu /Length %lu ", N, hdr.len,
                 (unsigned long)zl);
        memset(&extra[0], 0, sizeof(extra[0]));
        buf_add(&extra[0], tmp, strlen(tmp));
        buf_add(&extra[0], "/Filter /FlateDecode >>\nstream\n", 31);
        buf_add(&extra[0], z, zl);
        buf_add(&extra[0], "\nendstream", 10);
        b = pdf_with("", 0, extra, 1);
        expect_pdf_refused(&b, "overlap");
        free(b.p);
        free(extra[0].p);
        free(z);
        free(data.p);
        free(hdr.p);
        free(body.p);
        free(close.p);
    }
    /* And the plain file those were built on passes (so the refusals come from the junk). */
    b = pdf_with("", 0, NULL, 0);
    {
        upload_info info;
        sertel_err err = {0};
        if (run_check(&b, UPLOAD_ACCEPT_PDF, NULL, &info, NULL, &err) != SERTEL_OK)
            fail_msg("%s", err.msg);
    }
    free(b.p);
}

/* LibreOffice's letters (made once, see tests/data/upload/README.md), and what tools make of them.
 */
static void test_legit_letters(void **state)
{
    static const char *ok[] = {"lo-letter.pdf", "lo-letter-pdfa2.pdf", "lo-letter-images.pdf"};
    fixture *f = *state;
    char path[4096], cmd[8192];
    size_t i;
    int bad = 0;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        snprintf(path, sizeof(path), "%s/upload/%s", f->data, ok[i]);
        bad += one_pdf(path, ok[i], "ok", "");
        if (has_command("qpdf")) {
            static const char *const how[] = {"--linearize", "--object-streams=generate",
                                              "--encrypt '' owner 256 --"};
            size_t k;
            for (k = 0; k < 3; k++) {
                snprintf(cmd, sizeof(cmd), "qpdf %s '%s' '%s/variant.pdf'", how[k], path, f->dir);
                assert_int_equal(system(cmd), 0);
                snprintf(cmd, sizeof(cmd), "%s/variant.pdf", f->dir);
                bad += one_pdf(cmd, how[k], "ok", "");
            }
        }
        if (has_command("gs")) {
            snprintf(cmd, sizeof(cmd),
                     "gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pdfwrite -sOutputFile='%s/gs.pdf' "
                     "'%s' >/dev/null 2>&1",
                     f->dir, path);
            assert_int_equal(system(cmd), 0);
            snprintf(cmd, sizeof(cmd), "%s/gs.pdf", f->dir);
            bad += one_pdf(cmd, "gs of a LibreOffice letter", "ok", "");
        }
    }
    /* LibreOffice's letter with a hyperlink: a link annotation with a /URI action. */
    snprintf(path, sizeof(path), "%s/upload/lo-letter-link.pdf", f->data);
    bad +=
        one_pdf(path, "lo-letter-link.pdf", "contains a link to a web address|without links", "");
    /* Ghostscript from PostScript, without any PDF in between. */
    if (has_command("gs")) {
        static const char ps[] = "%!PS\n/Helvetica findfont 14 scalefont setfont\n"
                                 "72 760 moveto (Surat Rekomendasi) show\n"
                                 "72 730 moveto (Budi Santoso, NIP 198001012005011001) show\n"
                                 "0.5 setgray 72 600 200 50 rectfill showpage\n";
        snprintf(path, sizeof(path), "%s/letter.ps", f->dir);
        write_all(path, ps, sizeof(ps) - 1);
        snprintf(cmd, sizeof(cmd),
                 "gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pdfwrite -sOutputFile='%s/gs-ps.pdf' "
                 "'%s' >/dev/null 2>&1",
                 f->dir, path);
        assert_int_equal(system(cmd), 0);
        snprintf(path, sizeof(path), "%s/gs-ps.pdf", f->dir);
        bad += one_pdf(path, "gs from PostScript", "ok", "");
    }
    if (bad)
        fail_msg("%d legitimate letters refused", bad);
}

/* A letter signed by the agency (PAdES, a visible stamp with a QR code, then a second signature).
 */
static void test_signed_letter(void **state)
{
    fixture *f = *state;
    char in[4096], *dir = tu_mkdtemp();
    EVP_PKEY *key = EVP_EC_gen("P-256");
    pdf_sign_opts o;
    sertel_err err = {0};
    int bad;

    assert_non_null(key);
    snprintf(in, sizeof(in), "%s/upload/lo-letter.pdf", f->data);
    memset(&o, 0, sizeof(o));
    o.signer.key = key;
    o.signer.cert = tu_cert("Kepala Dinas", key, NULL, NULL, 42, NULL);
    o.visible = 1;
    o.rect[0] = 300;
    o.rect[1] = 60;
    o.rect[2] = 240;
    o.rect[3] = 100;
    o.qr_text = "https://contoh.go.id/verifikasi/123";
    o.reason = "Menyetujui";
    if (pdf_sign_file(in, tu_path(dir, "s1.pdf"), &o, &err) != SERTEL_OK)
        fail_msg("%s", err.msg);
    o.visible = 0;
    if (pdf_sign_file(tu_path(dir, "s1.pdf"), tu_path(dir, "s2.pdf"), &o, &err) != SERTEL_OK)
        fail_msg("%s", err.msg);
    bad = one_pdf(tu_path(dir, "s1.pdf"), "signed once, visibly", "ok", "") +
          one_pdf(tu_path(dir, "s2.pdf"), "signed twice", "ok", "");
    X509_free(o.signer.cert);
    EVP_PKEY_free(key);
    tu_rmtree(dir);
    if (bad)
        fail_msg("a signed letter was refused");
}

/* ---- images ---- */

/* A w x h RGB (or gray) JPEG written by libjpeg; pattern: a different colour in each quadrant. */
static buf make_jpeg(unsigned w, unsigned h, int gray)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    unsigned char *out = NULL, *row;
    unsigned long outlen = 0;
    unsigned x, y, nc = gray ? 1 : 3;
    buf b = {0};

    row = malloc((size_t)w * nc);
    assert_non_null(row);
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, &outlen);
    c.image_width = w;
    c.image_height = h;
    c.input_components = (int)nc;
    c.in_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 90, TRUE);
    jpeg_start_compress(&c, TRUE);
    for (y = 0; y < h; y++) {
        JSAMPROW r = row;
        for (x = 0; x < w; x++) {
            int q = (x >= w / 2) + 2 * (y >= h / 2);
            static const unsigned char col[4][3] = {
                {230, 30, 30}, {30, 200, 30}, {30, 30, 220}, {240, 240, 240}};
            if (gray)
                row[x] = (unsigned char)(40 + 60 * q);
            else
                memcpy(row + 3 * x, col[q], 3);
        }
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    buf_add(&b, out, outlen);
    free(out);
    return b;
}

/* Decode a JPEG with libjpeg: size and RGB or gray samples (malloc'ed). */
static unsigned char *read_jpeg(const buf *b, unsigned *w, unsigned *h, int *nc)
{
    struct jpeg_decompress_struct c;
    struct jpeg_error_mgr e;
    unsigned char *px;
    size_t stride;

    c.err = jpeg_std_error(&e);
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, b->p, (unsigned long)b->len);
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

/* A JPEG segment (marker, then payload) spliced in after SOI. */
static void jpeg_insert(buf *b, unsigned char marker, const void *d, size_t n)
{
    buf r = {0};
    unsigned char hdr[4] = {0xff, marker, (unsigned char)((n + 2) >> 8), (unsigned char)(n + 2)};

    buf_add(&r, b->p, 2);
    buf_add(&r, hdr, 4);
    buf_add(&r, d, n);
    buf_add(&r, b->p + 2, b->len - 2);
    free(b->p);
    *b = r;
}

/* An EXIF APP1 body: "Exif\0\0", a TIFF header, IFD0 with ImageDescription and Orientation. */
static size_t make_exif(unsigned char *o, unsigned orientation, const char *desc)
{
    size_t n = 0, dl = strlen(desc) + 1;
    unsigned char ifd[2 + 2 * 12 + 4] = {0, 2};

    memcpy(o, "Exif\0\0MM\0*\0\0\0\x08", 14);
    n = 14;
    /* ImageDescription, ASCII, count dl, at offset 8 + sizeof(ifd) */
    memcpy(ifd + 2, "\x01\x0e\x00\x02", 4);
    ifd[6] = (unsigned char)(dl >> 24);
    ifd[7] = (unsigned char)(dl >> 16);
    ifd[8] = (unsigned char)(dl >> 8);
    ifd[9] = (unsigned char)dl;
    ifd[12] = (unsigned char)((8 + sizeof(ifd)) >> 8);
    ifd[13] = (unsigned char)(8 + sizeof(ifd));
    /* Orientation, SHORT, 1 */
    memcpy(ifd + 14, "\x01\x12\x00\x03\x00\x00\x00\x01", 8);
    ifd[22] = 0;
    ifd[23] = (unsigned char)orientation;
    memcpy(o + n, ifd, sizeof(ifd));
    n += sizeof(ifd);
    memcpy(o + n, desc, dl);
    return n + dl;
}

static void png_put_chunk(buf *b, const char *type, const void *d, size_t n)
{
    unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                            (unsigned char)(n >> 8), (unsigned char)n};
    uLong crc = crc32(0, (const Bytef *)type, 4);
    unsigned char c[4];

    if (n > 0) /* crc32 of a NULL buffer is its initial value, not a no-op */
        crc = crc32(crc, d, (uInt)n);
    c[0] = (unsigned char)(crc >> 24);
    c[1] = (unsigned char)(crc >> 16);
    c[2] = (unsigned char)(crc >> 8);
    c[3] = (unsigned char)crc;
    buf_add(b, len, 4);
    buf_add(b, type, 4);
    buf_add(b, d, n);
    buf_add(b, c, 4);
}

/* An 8-bit RGB PNG of px (w x h x 3), with extra chunks after IHDR. */
static buf make_png(unsigned w, unsigned h, const unsigned char *px, const buf *extra)
{
    unsigned char ihdr[13] = {0};
    size_t rawlen = (size_t)h * (1 + 3 * (size_t)w), y;
    unsigned char *raw = malloc(rawlen);
    uLongf zl = compressBound((uLong)rawlen);
    unsigned char *z = malloc(zl);
    buf b = {0};

    assert_non_null(raw);
    assert_non_null(z);
    for (y = 0; y < h; y++) {
        raw[y * (1 + 3 * w)] = 0;
        memcpy(raw + y * (1 + 3 * w) + 1, px + y * 3 * w, 3 * (size_t)w);
    }
    assert_int_equal(compress(z, &zl, raw, (uLong)rawlen), Z_OK);
    ihdr[0] = (unsigned char)(w >> 24);
    ihdr[1] = (unsigned char)(w >> 16);
    ihdr[2] = (unsigned char)(w >> 8);
    ihdr[3] = (unsigned char)w;
    ihdr[4] = (unsigned char)(h >> 24);
    ihdr[5] = (unsigned char)(h >> 16);
    ihdr[6] = (unsigned char)(h >> 8);
    ihdr[7] = (unsigned char)h;
    ihdr[8] = 8;
    ihdr[9] = 2;
    buf_add(&b, "\x89PNG\r\n\x1a\n", 8);
    png_put_chunk(&b, "IHDR", ihdr, 13);
    if (extra != NULL)
        buf_add(&b, extra->p, extra->len);
    png_put_chunk(&b, "IDAT", z, zl);
    png_put_chunk(&b, "IEND", NULL, 0);
    free(raw);
    free(z);
    return b;
}

/* Decode a PNG with libpng (8-bit RGB expected): size and samples (malloc'ed). */
static unsigned char *read_png(const buf *b, unsigned *w, unsigned *h)
{
    png_image im;
    unsigned char *px;

    memset(&im, 0, sizeof(im));
    im.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_memory(&im, b->p, b->len));
    im.format = PNG_FORMAT_RGB;
    px = malloc(PNG_IMAGE_SIZE(im));
    assert_non_null(px);
    assert_true(png_image_finish_read(&im, NULL, px, 0, NULL));
    *w = im.width;
    *h = im.height;
    return px;
}

/* Names of PNG chunks in b, each followed by a space. */
static void png_chunk_names(const buf *b, char *out, size_t cap)
{
    size_t p = 8, o = 0;

    while (p + 12 <= b->len && o + 6 <= cap) {
        size_t n = (size_t)b->p[p] << 24 | (size_t)b->p[p + 1] << 16 | (size_t)b->p[p + 2] << 8 |
                   b->p[p + 3];
        memcpy(out + o, b->p + p + 4, 4);
        out[o + 4] = ' ';
        o += 5;
        p += 12 + n;
    }
    out[o] = '\0';
}

static const char *const payloads[] = {"PAYLOAD-COM",  "PAYLOAD-EXIF",  "PAYLOAD-ICC",
                                       "PAYLOAD-XMP",  "PAYLOAD-TRAIL", "PAYLOAD-TEXT",
                                       "PAYLOAD-ZTXT", "PAYLOAD-ITXT",  "<script"};

static void assert_no_payload(const buf *stored, const char *what)
{
    size_t i;

    for (i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++)
        if (contains(stored->p, stored->len, payloads[i]))
            fail_msg("%s: the stored file still holds %s", what, payloads[i]);
}

static void test_jpeg_payloads(void **state)
{
    static const char com[] = "PAYLOAD-COM <script>alert(1)</script>";
    static const char icc[] = "ICC_PROFILE\0\x01\x01PAYLOAD-ICC";
    static const char xmp[] = "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>PAYLOAD-XMP</x:xmpmeta>";
    static const char trail[] = "<html><script>PAYLOAD-TRAIL</script></html>";
    buf j = make_jpeg(64, 48, 0), stored = {0};
    unsigned char exif[256], *a, *b;
    unsigned w, h, w2, h2;
    int nc, nc2;
    size_t n, i;
    double diff = 0;
    upload_info info;
    sertel_err err = {0};
    buf plain = {0};
    char cmd[8192], *dir = tu_mkdtemp();

    (void)state;
    buf_add(&plain, j.p, j.len);
    jpeg_insert(&j, 0xfe, com, sizeof(com) - 1);
    jpeg_insert(&j, 0xe2, icc, sizeof(icc) - 1);
    jpeg_insert(&j, 0xe1, xmp, sizeof(xmp) - 1);
    n = make_exif(exif, 1, "PAYLOAD-EXIF");
    jpeg_insert(&j, 0xe1, exif, n);
    buf_add(&j, trail, sizeof(trail) - 1);
    for (i = 0; i < 5; i++)
        assert_true(contains(j.p, j.len, payloads[i]));
    if (run_check(&j, UPLOAD_ACCEPT_IMAGE, NULL, &info, &stored, &err) != SERTEL_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(info.kind, UPLOAD_JPEG);
    assert_int_equal(info.width, 64);
    assert_int_equal(info.height, 48);
    assert_string_not_equal(info.sha256, info.orig_sha256);
    assert_no_payload(&stored, "JPEG");
    assert_false(contains(stored.p, stored.len, "Exif"));
    assert_false(contains(stored.p, stored.len, "ICC_PROFILE"));
    assert_int_equal(stored.p[stored.len - 2], 0xff); /* ends at its EOI */
    assert_int_equal(stored.p[stored.len - 1], 0xd9);
    /* The same picture. */
    a = read_jpeg(&plain, &w, &h, &nc);
    b = read_jpeg(&stored, &w2, &h2, &nc2);
    assert_int_equal(w, w2);
    assert_int_equal(h, h2);
    assert_int_equal(nc, nc2);
    for (i = 0; i < (size_t)w * h * (size_t)nc; i++)
        diff += abs((int)a[i] - (int)b[i]);
    assert_true(diff / ((double)w * h * nc) < 4.0);
    free(a);
    free(b);
    /* djpeg (libjpeg-turbo's tool) reads it without a warning. */
    if (has_command("djpeg")) {
        write_all(tu_path(dir, "s.jpg"), stored.p, stored.len);
        snprintf(cmd, sizeof(cmd), "djpeg -pnm '%s' >/dev/null 2>'%s'", tu_path(dir, "s.jpg"),
                 tu_path(dir, "err"));
        assert_int_equal(system(cmd), 0);
        {
            struct stat st;
            assert_int_equal(stat(tu_path(dir, "err"), &st), 0);
            assert_int_equal(st.st_size, 0);
        }
    }
    /* HTML in front of the JPEG: refused, not cleaned. */
    {
        buf hj = {0};
        buf_add(&hj, "<html><script>alert(1)</script>", 31);
        buf_add(&hj, plain.p, plain.len);
        assert_int_equal(run_check(&hj, UPLOAD_ACCEPT_IMAGE, NULL, &info, NULL, &err),
                         SERTEL_ERR_INVALID);
        assert_non_null(strstr(err.msg, "its content is an HTML page"));
        free(hj.p);
    }
    free(j.p);
    free(plain.p);
    free(stored.p);
    tu_rmtree(dir);
}

static void test_png_payloads(void **state)
{
    static const char text[] = "Comment\0PAYLOAD-TEXT <script>alert(1)</script>";
    static const char itxt[] = "XML:com.adobe.xmp\0\0\0\0\0PAYLOAD-ITXT";
    unsigned char px[32 * 16 * 3], exif[256], *back, ztxt[256], iccp[256];
    unsigned w, h;
    size_t i, n;
    uLongf zl;
    buf extra = {0}, p, stored = {0};
    upload_info info;
    sertel_err err = {0};
    char names[512];

    (void)state;
    for (i = 0; i < sizeof(px); i++)
        px[i] = (unsigned char)(i * 7);
    png_put_chunk(&extra, "tEXt", text, sizeof(text) - 1);
    memcpy(ztxt, "Comment\0\0", 9);
    zl = sizeof(ztxt) - 9;
    assert_int_equal(compress(ztxt + 9, &zl, (const Bytef *)"PAYLOAD-ZTXT", 12), Z_OK);
    png_put_chunk(&extra, "zTXt", ztxt, 9 + zl);
    png_put_chunk(&extra, "iTXt", itxt, sizeof(itxt) - 1);
    memcpy(iccp, "icc\0\0", 5);
    zl = sizeof(iccp) - 5;
    assert_int_equal(compress(iccp + 5, &zl, (const Bytef *)"PAYLOAD-ICC-PROFILE", 19), Z_OK);
    png_put_chunk(&extra, "iCCP", iccp, 5 + zl);
    n = make_exif(exif, 1, "PAYLOAD-EXIF");
    png_put_chunk(&extra, "eXIf", exif + 6, n - 6);
    p = make_png(32, 16, px, &extra);
    buf_add(&p, "<html>PAYLOAD-TRAIL</html>", 26);
    assert_true(contains(p.p, p.len, "PAYLOAD-TEXT") && contains(p.p, p.len, "PAYLOAD-TRAIL") &&
                contains(p.p, p.len, "PAYLOAD-EXIF") && contains(p.p, p.len, "PAYLOAD-ITXT"));
    if (run_check(&p, UPLOAD_ACCEPT_IMAGE, NULL, &info, &stored, &err) != SERTEL_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(info.kind, UPLOAD_PNG);
    assert_no_payload(&stored, "PNG");
    png_chunk_names(&stored, names, sizeof(names));
    /* Only what the format needs. */
    for (i = 0; i < strlen(names); i += 5)
        if (!(memcmp(names + i, "IHDR", 4) == 0 || memcmp(names + i, "IDAT", 4) == 0 ||
              memcmp(names + i, "IEND", 4) == 0))
            fail_msg("the stored PNG has a %.4s chunk (%s)", names + i, names);
    /* Lossless: the same pixels. */
    back = read_png(&stored, &w, &h);
    assert_int_equal(w, 32);
    assert_int_equal(h, 16);
    assert_memory_equal(back, px, sizeof(px));
    free(back);
    /* HTML in front of the PNG. */
    {
        buf hp = {0};
        buf_add(&hp, "\n<!DOCTYPE html><html>", 22);
        buf_add(&hp, p.p, p.len);
        assert_int_equal(run_check(&hp, UPLOAD_ACCEPT_IMAGE, NULL, &info, NULL, &err),
                         SERTEL_ERR_INVALID);
        assert_non_null(strstr(err.msg, "an HTML page"));
        free(hp.p);
    }
    free(p.p);
    free(extra.p);
    free(stored.p);
}

/* The shown pixel (x, y) of an image of stored size W x H with orientation o: stored (sx, sy). */
static void shown_to_stored(int o, unsigned W, unsigned H, unsigned x, unsigned y, unsigned *sx,
                            unsigned *sy)
{
    /* CIPA DC-008 Table 4 (0th row / 0th column of the stored image). */
    switch (o) {
    case 2:
        *sx = W - 1 - x;
        *sy = y;
        break;
    case 3:
        *sx = W - 1 - x;
        *sy = H - 1 - y;
        break;
    case 4:
        *sx = x;
        *sy = H - 1 - y;
        break;
    case 5:
        *sx = y;
        *sy = x;
        break;
    case 6:
        *sx = y;
        *sy = H - 1 - x;
        break;
    case 7:
        *sx = W - 1 - y;
        *sy = H - 1 - x;
        break;
    case 8:
        *sx = W - 1 - y;
        *sy = x;
        break;
    default:
        *sx = x;
        *sy = y;
        break;
    }
}

/* PNG: every EXIF orientation is applied exactly, and the tag is gone. */
static void test_png_orientation(void **state)
{
    enum { UW = 7, UH = 4 }; /* the upright picture */
    unsigned char up[UW * UH * 3], st[UW * UH * 3], exif[128], *back;
    unsigned x, y, w, h, sx, sy;
    int o;

    (void)state;
    for (y = 0; y < UH; y++)
        for (x = 0; x < UW; x++) {
            up[(y * UW + x) * 3] = (unsigned char)(x * 30);
            up[(y * UW + x) * 3 + 1] = (unsigned char)(y * 60);
            up[(y * UW + x) * 3 + 2] = (unsigned char)(x * y);
        }
    for (o = 1; o <= 8; o++) {
        unsigned W = o >= 5 ? UH : UW, H = o >= 5 ? UW : UH; /* stored size */
        buf extra = {0}, p, stored = {0};
        upload_info info;
        sertel_err err = {0};
        size_t n;
        for (y = 0; y < UH; y++)
            for (x = 0; x < UW; x++) {
                shown_to_stored(o, W, H, x, y, &sx, &sy);
                memcpy(st + (sy * W + sx) * 3, up + (y * UW + x) * 3, 3);
            }
        n = make_exif(exif, (unsigned)o, "PAYLOAD-EXIF");
        png_put_chunk(&extra, "eXIf", exif + 6, n - 6);
        p = make_png(W, H, st, &extra);
        if (run_check(&p, UPLOAD_ACCEPT_IMAGE, NULL, &info, &stored, &err) != SERTEL_OK)
            fail_msg("orientation %d: %s", o, err.msg);
        assert_int_equal(info.width, UW);
        assert_int_equal(info.height, UH);
        assert_false(contains(stored.p, stored.len, "eXIf"));
        back = read_png(&stored, &w, &h);
        assert_int_equal(w, UW);
        assert_int_equal(h, UH);
        if (memcmp(back, up, sizeof(up)) != 0)
            fail_msg("orientation %d: the stored picture is not upright", o);
        free(back);
        free(p.p);
        free(extra.p);
        free(stored.p);
    }
}

/* JPEG: jpegtran makes the stored image from the upright one; the upload turns it back. */
static void test_jpeg_orientation(void **state)
{
    static const struct {
        int orientation;
        const char *jpegtran; /* the inverse of the turn the tag asks for */
    } turns[] = {{3, "-rotate 180"}, {6, "-rotate 270"}, {8, "-rotate 90"}, {5, "-transpose"}};
    buf up = make_jpeg(64, 32, 0);
    char *dir = tu_mkdtemp(), cmd[8192];
    unsigned char *a, *b, exif[128];
    unsigned w, h, w2, h2;
    int nc, nc2;
    size_t i, k, n;

    (void)state;
    if (!has_command("jpegtran")) {
        tu_rmtree(dir);
        free(up.p);
        skip();
    }
    write_all(tu_path(dir, "up.jpg"), up.p, up.len);
    a = read_jpeg(&up, &w, &h, &nc);
    for (i = 0; i < sizeof(turns) / sizeof(turns[0]); i++) {
        buf st, stored = {0};
        upload_info info;
        sertel_err err = {0};
        double diff = 0;
        snprintf(cmd, sizeof(cmd), "jpegtran -perfect %s -outfile '%s' '%s'", turns[i].jpegtran,
                 tu_path(dir, "st.jpg"), tu_path(dir, "up.jpg"));
        assert_int_equal(system(cmd), 0);
        st = read_all(tu_path(dir, "st.jpg"));
        n = make_exif(exif, (unsigned)turns[i].orientation, "PAYLOAD-EXIF");
        jpeg_insert(&st, 0xe1, exif, n);
        if (run_check(&st, UPLOAD_ACCEPT_IMAGE, NULL, &info, &stored, &err) != SERTEL_OK)
            fail_msg("%s", err.msg);
        assert_int_equal(info.width, 64);
        assert_int_equal(info.height, 32);
        b = read_jpeg(&stored, &w2, &h2, &nc2);
        assert_int_equal(w2, w);
        assert_int_equal(h2, h);
        for (k = 0; k < (size_t)w * h * (size_t)nc; k++)
            diff += abs((int)a[k] - (int)b[k]);
        if (diff / ((double)w * h * nc) > 6.0)
            fail_msg("orientation %d: the stored picture is not upright (difference %.1f)",
                     turns[i].orientation, diff / ((double)w * h * nc));
        free(b);
        free(st.p);
        free(stored.p);
    }
    free(a);
    free(up.p);
    tu_rmtree(dir);
}

/* Decompression bombs and oversized images among the images. */
static void test_image_limits(void **state)
{
    unsigned char ihdr[13] = {0, 0, 0x1f, 0x40, 0, 0, 0x1b, 0x58, 8, 2, 0, 0, 0}; /* 8000x7000 */
    buf b = {0};
    upload_info info;
    sertel_err err = {0};

    (void)state;
    buf_add(&b, "\x89PNG\r\n\x1a\n", 8);
    png_put_chunk(&b, "IHDR", ihdr, 13);
    png_put_chunk(&b, "IEND", NULL, 0);
    assert_int_equal(run_check(&b, UPLOAD_ACCEPT_IMAGE, NULL, &info, NULL, &err),
                     SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "8000 x 7000 pixels, more than the limit of 50 megapixels"));
    free(b.p);
}

/* ---- storage ---- */

static int check_and_keep(const buf *in, upload_info *info, buf *clean)
{
    sertel_err err = {0};
    int rc = run_check(in, UPLOAD_ACCEPT_IMAGE | UPLOAD_ACCEPT_PDF, NULL, info, clean, &err);

    if (rc != SERTEL_OK)
        fail_msg("%s", err.msg);
    return rc;
}

static void test_store_refuses_links_and_fifos(void **state)
{
    char *home = tu_mkdtemp(), up[4096], sub[4200], path[4300], other[4096];
    buf j = make_jpeg(16, 16, 0), clean = {0}, canary = {0};
    unsigned char *back = NULL;
    size_t n = 0;
    upload_info info;
    sertel_err err = {0};
    struct stat st;

    (void)state;
    assert_int_equal(check_and_keep(&j, &info, &clean), SERTEL_OK);
    snprintf(up, sizeof(up), "%s/uploads", home);
    snprintf(sub, sizeof(sub), "%s/%.2s", up, info.sha256);
    snprintf(path, sizeof(path), "%s/%s", sub, info.sha256);
    snprintf(other, sizeof(other), "%s/elsewhere", home);
    assert_int_equal(mkdir(other, 0700), 0);
    buf_add(&canary, "do not touch", 12);
    write_all(tu_path(other, "target"), canary.p, canary.len);

    /* The uploads directory itself a symbolic link: refused, nothing written through it. */
    assert_int_equal(symlink(other, up), 0);
    assert_int_equal(upload_store(up, clean.p, clean.len, &info, &err), SERTEL_ERR_TAMPERED);
    assert_non_null(strstr(err.msg, "is a symbolic link, not a directory"));
    assert_int_equal(upload_load(up, info.sha256, 0, &back, &n, &err), SERTEL_ERR_TAMPERED);
    assert_int_equal(stat(tu_path(other, info.sha256), &st), -1);
    assert_int_equal(unlink(up), 0);
    /* Its subdirectory a symbolic link. */
    assert_int_equal(mkdir(up, 0700), 0);
    assert_int_equal(symlink(other, sub), 0);
    assert_int_equal(upload_store(up, clean.p, clean.len, &info, &err), SERTEL_ERR_TAMPERED);
    assert_int_equal(upload_load(up, info.sha256, 0, &back, &n, &err), SERTEL_ERR_TAMPERED);
    assert_int_equal(unlink(sub), 0);
    /* A symbolic link at the path: not followed, not replaced, reported. */
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(symlink(tu_path(other, "target"), path), 0);
    assert_int_equal(upload_store(up, clean.p, clean.len, &info, &err), SERTEL_ERR_TAMPERED);
    assert_non_null(strstr(err.msg, "is a symbolic link, not a regular file"));
    assert_int_equal(upload_load(up, info.sha256, 0, &back, &n, &err), SERTEL_ERR_TAMPERED);
    assert_null(back);
    {
        buf t = read_all(tu_path(other, "target"));
        assert_int_equal(t.len, canary.len);
        assert_memory_equal(t.p, canary.p, canary.len);
        free(t.p);
    }
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(unlink(path), 0);
    /* A FIFO at the path: refused at once (opening it would block), never opened. */
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(20); /* a hang fails the test instead of blocking it */
    assert_int_equal(upload_store(up, clean.p, clean.len, &info, &err), SERTEL_ERR_TAMPERED);
    assert_non_null(strstr(err.msg, "a FIFO"));
    assert_int_equal(upload_load(up, info.sha256, 0, &back, &n, &err), SERTEL_ERR_TAMPERED);
    alarm(0);
    assert_int_equal(unlink(path), 0);
    /* A device (when this user may make one). */
    if (mknod(path, S_IFCHR | 0600, makedev(1, 3)) == 0) {
        assert_int_equal(upload_store(up, clean.p, clean.len, &info, &err), SERTEL_ERR_TAMPERED);
        assert_non_null(strstr(err.msg, "a device"));
        assert_int_equal(upload_load(up, info.sha256, 0, &back, &n, &err), SERTEL_ERR_TAMPERED);
        assert_int_equal(unlink(path), 0);
    }
    /* Now stored, read back, no temporary file left behind. */
    assert_int_equal(upload_store(up, clean.p, clean.len, &info, &err), SERTEL_OK);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(upload_load(up, info.sha256, 0, &back, &n, &err), SERTEL_OK);
    assert_int_equal(n, clean.len);
    assert_memory_equal(back, clean.p, n);
    free(back);
    {
        char cmd[8300];
        snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) = 1", sub);
        assert_int_equal(system(cmd), 0);
    }
    free(j.p);
    free(clean.p);
    free(canary.p);
    tu_rmtree(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pdf_cases),
        cmocka_unit_test(test_pdf_message),
        cmocka_unit_test(test_pdf_hostile_structure),
        cmocka_unit_test(test_legit_letters),
        cmocka_unit_test(test_signed_letter),
        cmocka_unit_test(test_jpeg_payloads),
        cmocka_unit_test(test_png_payloads),
        cmocka_unit_test(test_png_orientation),
        cmocka_unit_test(test_jpeg_orientation),
        cmocka_unit_test(test_image_limits),
        cmocka_unit_test(test_store_refuses_links_and_fifos),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
