/*
 * test_image_job.c - the stamp's signature image decoded in the sandbox
 * (lib/pdf/image_job.c) equals the image decoded in the process: the
 * e-KTP JPEG and PNG in tests/data, a PNG with an alpha channel made here
 * with libpng, and the refusals (garbage, a truncated PNG, empty) with the
 * same codes and messages; a JPEG is written again by the caller from the
 * pixels (a new file, not the worker's, nor the signer's); a worker that
 * lies about the image (dimensions beyond the limits, a pixel buffer of
 * the wrong size, a CMYK PNG, an orientation out of range) gets it
 * refused. This executable is its own worker; its handler lies when the
 * input starts with "LIE".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <png.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "img/img.h"
#include "pdf/image_job.h"
#include "testutil.h"

static int lying_image(const sbx_request *req, unsigned char **out, size_t *out_len,
                       sertel_err *err)
{
    sbx_buf b = {0};
    unsigned char px[12] = {0};
    char c;

    if (req->input_len < 4 || memcmp(req->input, "LIE", 3) != 0)
        return pdf_image_job(req, out, out_len, err);
    c = (char)req->input[3];
    sbx_put_u32(&b, IMG_PNG);
    sbx_put_u32(&b, c == 'w' ? 100000 : 2); /* too wide, or 2 x 2 */
    sbx_put_u32(&b, 2);
    sbx_put_u32(&b, 3);                /* RGB */
    sbx_put_u32(&b, c == 'c' ? 1 : 0); /* CMYK in a PNG */
    sbx_put_u32(&b, 0);
    sbx_put_u32(&b, c == 'o' ? 9 : 1);         /* orientation */
    sbx_put_bytes(&b, px, c == 's' ? 11 : 12); /* one sample short */
    *out = sbx_buf_take(&b, out_len);
    return SERTEL_OK;
}

static const sbx_handler handlers[] = {{PDF_IMAGE_JOB, lying_image}};

static sbx *SB;

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

/* A 40 x 30 RGBA PNG with a gradient and partial transparency. */
static mem rgba_png(void)
{
    mem m = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    unsigned char row[40 * 4];
    unsigned x, y;

    assert_non_null(png);
    assert_non_null(info);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng could not write the test PNG");
    png_set_write_fn(png, &m, mem_write, mem_flush);
    png_set_IHDR(png, info, 40, 30, 8, PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (y = 0; y < 30; y++) {
        for (x = 0; x < 40; x++) {
            row[x * 4] = (unsigned char)(x * 6);
            row[x * 4 + 1] = (unsigned char)(y * 8);
            row[x * 4 + 2] = 200;
            row[x * 4 + 3] = (unsigned char)(x < 20 ? 255 : x * 3);
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return m;
}

static unsigned char *read_data(const char *name, size_t *len)
{
    char path[1024];
    FILE *f;
    unsigned char *p;
    long n;

    snprintf(path, sizeof(path), "%s/%s", getenv("SERTEL_TEST_DATA"), name);
    f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    p = malloc((size_t)n);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void same(const unsigned char *d, size_t n, int want)
{
    pdf_image a, b;
    sertel_err ea = {0}, eb = {0};
    int ra = pdf_image_load_sb(NULL, d, n, &a, &ea), rb = pdf_image_load_sb(SB, d, n, &b, &eb);

    if (ra != rb || strcmp(ea.msg, eb.msg) != 0)
        fail_msg("in-process %d '%s', sandboxed %d '%s'", ra, ea.msg, rb, eb.msg);
    assert_int_equal(ra, want);
    assert_int_equal(a.kind, b.kind);
    assert_int_equal(a.width, b.width);
    assert_int_equal(a.height, b.height);
    assert_int_equal(a.ncomp, b.ncomp);
    assert_int_equal(a.color_transform, b.color_transform);
    assert_int_equal(a.adobe_inverted, b.adobe_inverted);
    assert_int_equal(a.orientation, b.orientation);
    assert_int_equal(a.len, b.len);
    if (a.len)
        assert_memory_equal(a.data, b.data, a.len);
    assert_true((a.alpha == NULL) == (b.alpha == NULL));
    if (a.alpha != NULL)
        assert_memory_equal(a.alpha, b.alpha, (size_t)a.width * a.height);
    if (b.kind == PDF_IMAGE_JPEG) /* written again here: a new file */
        assert_true(b.len != n || memcmp(b.data, d, n) != 0);
    pdf_image_free(&a);
    pdf_image_free(&b);
}

static void test_same(void **state)
{
    size_t jl, pl;
    unsigned char *jpg = read_data("ktp.jpg", &jl), *png = read_data("ktp.png", &pl);
    mem rgba = rgba_png();

    (void)state;
    same(jpg, jl, SERTEL_OK);
    same(png, pl, SERTEL_OK);
    same(rgba.p, rgba.len, SERTEL_OK);
    same(rgba.p, rgba.len / 2, SERTEL_ERR_INVALID);
    same(jpg, jl / 3, SERTEL_ERR_INVALID);
    same((const unsigned char *)"GIF89a not an image", 19, SERTEL_ERR_INVALID);
    same(png, 0, SERTEL_ERR_INVALID);
    free(jpg);
    free(png);
    free(rgba.p);
}

static void test_lies_refused(void **state)
{
    static const char *const lies[] = {"LIEw", "LIEs", "LIEc", "LIEo"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
        pdf_image img;
        sertel_err err = {0};
        assert_int_equal(pdf_image_load_sb(SB, (const unsigned char *)lies[i], 4, &img, &err),
                         SERTEL_ERR_INVALID);
        assert_non_null(strstr(err.msg, "impossible answer"));
        assert_null(img.data);
        assert_int_equal(img.kind, PDF_IMAGE_NONE);
    }
    {
        /* the honest 2 x 2 answer is accepted: the refusals above are the checks' */
        pdf_image img;
        sertel_err err = {0};
        assert_int_equal(pdf_image_load_sb(SB, (const unsigned char *)"LIE-", 4, &img, &err),
                         SERTEL_OK);
        assert_int_equal(img.width, 2);
        pdf_image_free(&img);
    }
}

static int setup(void **state)
{
    sertel_err err = {0};

    (void)state;
    if (sbx_new(NULL, &SB, &err) != SERTEL_OK) {
        fprintf(stderr, "sbx_new: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sbx_free(SB);
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same),
        cmocka_unit_test(test_lies_refused),
    };

    if (argc > 1 && strcmp(argv[1], SBX_WORKER_ARG) == 0)
        return sbx_worker_main(argc, argv, handlers, sizeof(handlers) / sizeof(handlers[0]), NULL);
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
