/*
 * test_upload_job.c - upload checking in the sandbox (lib/ra/upload_job.c)
 * answers as upload_check in the process does - the same code, message,
 * upload_info and bytes to store for the e-KTP JPEG and PNG (written again
 * from their pixels) and the letter in tests/data, for HTML, a truncated
 * JPEG, the wrong kind, an empty and an oversized upload - and a worker
 * that lies about what it found gets the upload refused: a kind that was
 * not accepted, impossible dimensions, a short answer, a PDF verdict with
 * bytes of its own, an image written again with a comment, with bytes
 * after its end or with another size than its verdict says. This
 * executable is its own worker (main); its handler lies when the upload
 * starts with "LIE".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/upload_job.h"
#include "testutil.h"

/* The real check of the image after the 4-byte "LIEx" prefix, its written bytes changed. */
static void lie_about_image(const sbx_request *req, sbx_buf *b)
{
    upload_info info;
    unsigned char *clean = NULL, *w;
    size_t n = 0, wn;
    sertel_err err = {0};
    char c = (char)req->input[3];

    if (upload_check(req->input + 4, req->input_len - 4, UPLOAD_ACCEPT_IMAGE, NULL, NULL, &info,
                     &clean, &n, &err) != SERTEL_OK)
        abort();
    w = malloc(n + 16);
    if (w == NULL)
        abort();
    if (c == 'c') { /* a comment segment after SOI */
        memcpy(w, clean, 2);
        memcpy(w + 2, "\xff\xfe\x00\x06<x>\n", 8);
        memcpy(w + 10, clean + 2, n - 2);
        wn = n + 8;
    } else if (c == 't') { /* bytes after the end of the image */
        memcpy(w, clean, n);
        memcpy(w + n, "<html>", 6);
        wn = n + 6;
    } else { /* 'w': the verdict names another width */
        memcpy(w, clean, n);
        wn = n;
        info.width++;
    }
    sbx_put_u32(b, (uint32_t)info.kind);
    sbx_put_u32(b, info.width);
    sbx_put_u32(b, info.height);
    sbx_put_bytes(b, w, wn);
    free(w);
    free(clean);
}

/* The real job, except for uploads starting with "LIE": then a lie chosen by the 4th byte. */
static int lying_check(const sbx_request *req, unsigned char **out, size_t *out_len,
                       sertel_err *err)
{
    sbx_buf b = {0};

    if (req->input_len < 4 || memcmp(req->input, "LIE", 3) != 0)
        return upload_job_check(req, out, out_len, err);
    switch (req->input[3]) {
    case 'k': /* a PDF where only images were accepted */
        sbx_put_u32(&b, UPLOAD_PDF);
        sbx_put_u32(&b, 0);
        sbx_put_u32(&b, 0);
        sbx_put_bytes(&b, NULL, 0);
        break;
    case 'p': /* a PDF verdict with bytes to store of the worker's own */
        sbx_put_u32(&b, UPLOAD_PDF);
        sbx_put_u32(&b, 0);
        sbx_put_u32(&b, 0);
        sbx_put_bytes(&b, "%PDF-1.7 <html>", 15);
        break;
    case 'd': /* an image larger than allowed */
        sbx_put_u32(&b, UPLOAD_PNG);
        sbx_put_u32(&b, 100000);
        sbx_put_u32(&b, 1);
        sbx_put_bytes(&b, "\x89PNG", 4);
        break;
    case 'z': /* an image without pixels */
        sbx_put_u32(&b, UPLOAD_JPEG);
        sbx_put_u32(&b, 0);
        sbx_put_u32(&b, 0);
        sbx_put_bytes(&b, NULL, 0);
        break;
    case 'c':
    case 't':
    case 'w':
        lie_about_image(req, &b);
        break;
    default: /* too short */
        sbx_put_u32(&b, UPLOAD_PNG);
    }
    *out = sbx_buf_take(&b, out_len);
    return SERTEL_OK;
}

static const sbx_handler handlers[] = {{UPLOAD_JOB_CHECK, lying_check}};

static sbx *SB;

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

static void same(const unsigned char *d, size_t n, unsigned accept, size_t max, const char *what,
                 int want)
{
    upload_info a, b;
    upload_limits lim = {max, 0, 0};
    unsigned char *oa = NULL, *ob = NULL;
    size_t na = 0, nb = 0;
    sertel_err ea = {0}, eb = {0};
    int ra = upload_check_sb(NULL, d, n, accept, &lim, what, &a, &oa, &na, &ea);
    int rb = upload_check_sb(SB, d, n, accept, &lim, what, &b, &ob, &nb, &eb);

    if (ra != rb || strcmp(ea.msg, eb.msg) != 0)
        fail_msg("in-process %d '%s', sandboxed %d '%s'", ra, ea.msg, rb, eb.msg);
    assert_int_equal(ra, want);
    assert_int_equal(a.kind, b.kind);
    assert_string_equal(a.sha256, b.sha256);
    assert_string_equal(a.orig_sha256, b.orig_sha256);
    assert_int_equal(a.size, b.size);
    assert_int_equal(a.orig_size, b.orig_size);
    assert_int_equal(a.width, b.width);
    assert_int_equal(a.height, b.height);
    assert_int_equal(na, nb);
    if (na > 0)
        assert_memory_equal(oa, ob, na);
    else
        assert_null(ob);
    free(oa);
    free(ob);
}

static void test_same_answers(void **state)
{
    size_t jl, pl, fl;
    unsigned char *jpg = read_data("ktp.jpg", &jl), *png = read_data("ktp.png", &pl),
                  *pdf = read_data("letter.pdf", &fl);

    (void)state;
    same(jpg, jl, UPLOAD_ACCEPT_IMAGE, 0, "the e-KTP scan", SERTEL_OK);
    same(png, pl, UPLOAD_ACCEPT_IMAGE, 0, NULL, SERTEL_OK);
    same(pdf, fl, UPLOAD_ACCEPT_PDF, 0, "the recommendation letter", SERTEL_OK);
    same(pdf, fl, UPLOAD_ACCEPT_PDF | UPLOAD_ACCEPT_IMAGE, 0, NULL, SERTEL_OK);
    /* refusals */
    same(pdf, fl, UPLOAD_ACCEPT_IMAGE, 0, "the e-KTP scan", SERTEL_ERR_INVALID);
    same(jpg, jl / 2, UPLOAD_ACCEPT_IMAGE, 0, "the e-KTP scan", SERTEL_ERR_INVALID);
    same((const unsigned char *)"<html><script>x</script></html>", 31, UPLOAD_ACCEPT_PDF, 0,
         "the recommendation letter", SERTEL_ERR_INVALID);
    same(jpg, 0, UPLOAD_ACCEPT_IMAGE, 0, NULL, SERTEL_ERR_INVALID);
    same(jpg, jl, UPLOAD_ACCEPT_IMAGE, jl - 1, NULL, SERTEL_ERR_INVALID);
    same(jpg, jl, 0, 0, NULL, SERTEL_ERR_INTERNAL);
    free(jpg);
    free(png);
    free(pdf);
}

static void refused(const unsigned char *d, size_t n, unsigned accept)
{
    upload_info info;
    unsigned char *out = (unsigned char *)"x";
    size_t out_len = 1;
    sertel_err err = {0};

    assert_int_equal(
        upload_check_sb(SB, d, n, accept, NULL, "the e-KTP scan", &info, &out, &out_len, &err),
        SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "impossible verdict"));
    assert_int_equal(info.kind, 0);
    assert_int_equal(info.size, 0);
    assert_null(out);
    assert_int_equal(out_len, 0);
}

static void test_lies_refused(void **state)
{
    static const char *const lies[] = {"LIEk", "LIEd", "LIEz", "LIEs"};
    size_t i, jl;
    unsigned char *jpg = read_data("ktp.jpg", &jl), *lie = malloc(jl + 4);

    (void)state;
    for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++)
        refused((const unsigned char *)lies[i], 4, UPLOAD_ACCEPT_IMAGE);
    refused((const unsigned char *)"LIEp", 4, UPLOAD_ACCEPT_PDF);
    /* A real JPEG written again, then altered by the worker: each is refused. */
    assert_non_null(lie);
    memcpy(lie + 4, jpg, jl);
    memcpy(lie, "LIEc", 4);
    refused(lie, jl + 4, UPLOAD_ACCEPT_IMAGE);
    memcpy(lie, "LIEt", 4);
    refused(lie, jl + 4, UPLOAD_ACCEPT_IMAGE);
    memcpy(lie, "LIEw", 4);
    refused(lie, jl + 4, UPLOAD_ACCEPT_IMAGE);
    free(lie);
    free(jpg);
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
        cmocka_unit_test(test_same_answers),
        cmocka_unit_test(test_lies_refused),
    };

    if (argc > 1 && strcmp(argv[1], SBX_WORKER_ARG) == 0)
        return sbx_worker_main(argc, argv, handlers, sizeof(handlers) / sizeof(handlers[0]),
                               upload_job_init);
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
