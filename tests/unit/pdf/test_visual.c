/*
 * test_visual.c - the visual check of the validator (verify_visual.c)
 * run directly on a signature whose later changes the rules are taken to
 * have accepted: a revision that moves what the page content draws is
 * named (page 1) and makes the signature INDETERMINATE /
 * SIG_CONSTRAINTS_FAILURE; a revision that only adds an annotation
 * (drawing inside its /Rect) is masked, also when rendered; a signature
 * covering the whole document or changes refused by the rules are not
 * compared. The change analysis refuses every visual change this suite
 * could make through a document (tests/e2e/test_changes.sh), so the
 * comparator is exercised here without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pdf/pdf.h"
#include "pdf/verify.h"
#include "pdf/verify_int.h"
#include "testutil.h"

typedef struct buf {
    char p[8192];
    size_t n;
    size_t off[16];
} buf;

static void put(buf *b, const char *s)
{
    size_t l = strlen(s);

    assert_true(b->n + l < sizeof(b->p));
    memcpy(b->p + b->n, s, l);
    b->n += l;
}

static void obj(buf *b, int num, const char *body)
{
    char t[1200];

    b->off[num] = b->n;
    snprintf(t, sizeof(t), "%d 0 obj\n%s\nendobj\n", num, body);
    put(b, t);
}

static void stm(buf *b, int num, const char *dict, const char *data)
{
    char t[1024];

    snprintf(t, sizeof(t), "<< %s /Length %zu >>\nstream\n%s\nendstream", dict, strlen(data), data);
    obj(b, num, t);
}

/* The xref section of the objects nums (and a trailer with /Prev prev when non-zero). */
static void xref(buf *b, const int *nums, size_t n, int size, size_t prev)
{
    char t[256];
    size_t x = b->n, i;

    put(b, "xref\n0 1\n0000000000 65535 f \n");
    for (i = 0; i < n; i++) {
        snprintf(t, sizeof(t), "%d 1\n%010zu 00000 n \n", nums[i], b->off[nums[i]]);
        put(b, t);
    }
    if (prev)
        snprintf(t, sizeof(t),
                 "trailer\n<< /Size %d /Root 1 0 R /Prev %zu >>\nstartxref\n%zu\n%%%%EOF\n", size,
                 prev, x);
    else
        snprintf(t, sizeof(t), "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
                 size, x);
    put(b, t);
}

/* The signed revision: one page drawing a black square at (20,20)-(60,60). Returns its xref. */
static size_t signed_rev(buf *b)
{
    static const int nums[] = {1, 2, 3, 4};
    size_t x;

    put(b, "%PDF-1.7\n");
    obj(b, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    obj(b, 2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    obj(b, 3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Annots [] >>");
    stm(b, 4, "", "0 g 20 20 40 40 re f");
    x = b->n;
    xref(b, nums, 4, 5, 0);
    return x;
}

static vfy_report *one_sig(uint64_t revision_end, int covers)
{
    vfy_report *r = calloc(1, sizeof(*r));

    assert_non_null(r);
    r->sigs = calloc(1, sizeof(*r->sigs));
    assert_non_null(r->sigs);
    r->n_sigs = 1;
    r->sigs[0].revision_end = revision_end;
    r->sigs[0].changes_analysed = 1;
    r->sigs[0].covers_whole_document = covers;
    r->sigs[0].modification_level = covers ? VFY_MOD_NONE : VFY_MOD_FORM;
    r->sigs[0].conclusion = VFY_TOTAL_PASSED;
    return r;
}

static void check(buf *b, size_t rev_end, int covers, int visual_all, vfy_report **out)
{
    pdf_doc *d = NULL;
    sertel_err e = {0};
    vfy_opts o;

    memset(&o, 0, sizeof(o));
    o.visual_all = visual_all;
    assert_int_equal(pdf_open_mem((const unsigned char *)b->p, b->n, &d, &e), SERTEL_OK);
    *out = one_sig(rev_end, covers);
    vfy_visual_check(d, &o, 0, *out);
    pdf_close(d);
}

static int have_renderer(void)
{
    char exe[4096], *slash;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 32);

    if (n <= 0)
        return 0;
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    if (slash == NULL)
        return 0;
    snprintf(slash + 1, sizeof(exe) - (size_t)(slash + 1 - exe), "sertel-render.so");
    return access(exe, R_OK) == 0;
}

/* The content redefined: the square drawn elsewhere, where no annotation is. */
static void test_content_moved(void **state)
{
    static const int nums[] = {4};
    buf *b = calloc(1, sizeof(*b));
    size_t x, rev_end;
    vfy_report *r = NULL;

    (void)state;
    if (!have_renderer()) {
        free(b);
        skip();
    }
    x = signed_rev(b);
    rev_end = b->n;
    stm(b, 4, "", "0 g 120 120 40 40 re f");
    xref(b, nums, 1, 5, x);
    check(b, rev_end, 0, 0, &r);
    assert_int_equal(r->sigs[0].visual_checked, 1);
    assert_int_equal(r->sigs[0].visual_compared, 1);
    assert_int_equal(r->sigs[0].visual_rendered, 2);
    assert_int_equal(r->sigs[0].n_visual_differ, 1);
    assert_int_equal(r->sigs[0].visual_differ[0], 1);
    assert_int_equal(r->sigs[0].conclusion, VFY_INDETERMINATE);
    assert_string_equal(r->sigs[0].sub_indication, "SIG_CONSTRAINTS_FAILURE");
    vfy_report_free(r);
    free(b);
}

/* A new annotation drawing inside its rectangle: masked, also when the pages are rendered. */
static void test_annotation_masked(void **state)
{
    static const int nums[] = {3, 5, 6};
    buf *b = calloc(1, sizeof(*b));
    size_t x, rev_end;
    vfy_report *r = NULL;
    int all;

    (void)state;
    if (!have_renderer()) {
        free(b);
        skip();
    }
    x = signed_rev(b);
    rev_end = b->n;
    obj(b, 3,
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Annots [5 0 R] >>");
    obj(b, 5, "<< /Type /Annot /Subtype /Square /Rect [100 100 180 180] /AP << /N 6 0 R >> >>");
    stm(b, 6, "/Type /XObject /Subtype /Form /BBox [0 0 80 80]", "0 g 0 0 80 80 re f");
    xref(b, nums, 3, 7, x);
    for (all = 0; all <= 1; all++) {
        check(b, rev_end, 0, all, &r);
        assert_int_equal(r->sigs[0].visual_checked, 1);
        assert_int_equal(r->sigs[0].visual_compared, 1);
        assert_int_equal(r->sigs[0].visual_rendered, all ? 2 : 0);
        assert_int_equal(r->sigs[0].n_visual_differ, 0);
        assert_int_equal(r->sigs[0].conclusion, VFY_TOTAL_PASSED);
        vfy_report_free(r);
    }
    free(b);
}

/* Nothing after the signature, or changes the rules refused: nothing compared or rendered. */
static void test_not_compared(void **state)
{
    buf *b = calloc(1, sizeof(*b));
    vfy_report *r = NULL;
    pdf_doc *d = NULL;
    sertel_err e = {0};
    vfy_opts o;

    (void)state;
    (void)signed_rev(b);
    check(b, b->n, 1, 1, &r);
    assert_int_equal(r->sigs[0].visual_checked, 0);
    assert_int_equal(r->sigs[0].visual_rendered, 0);
    assert_int_equal(r->sigs[0].conclusion, VFY_TOTAL_PASSED);
    vfy_report_free(r);

    memset(&o, 0, sizeof(o));
    assert_int_equal(pdf_open_mem((const unsigned char *)b->p, b->n, &d, &e), SERTEL_OK);
    r = one_sig(b->n, 0);
    r->sigs[0].modified_after_signing = 1;
    r->sigs[0].conclusion = VFY_TOTAL_FAILED;
    vfy_visual_check(d, &o, 0, r);
    assert_int_equal(r->sigs[0].visual_checked, 0);
    assert_int_equal(r->sigs[0].visual_rendered, 0);
    vfy_report_free(r);
    pdf_close(d);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_moved),
        cmocka_unit_test(test_annotation_masked),
        cmocka_unit_test(test_not_compared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
