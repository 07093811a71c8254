/*
 * test_verify.c - the validator's /ByteRange rules on hand-made buffers
 * (counts, types, order, overlap, bounds, the gap, the revision end) and
 * pdf_verify_mem on small PDFs whose signature dictionary is broken in the
 * Universal Signature Forgery ways: each is a failure, never a pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pdf/verify.h"
#include "pdf/verify_int.h"
#include "testutil.h"

static pdf_obj ints[8];
static pdf_obj *items[8];

static const pdf_obj *br(size_t n, const int64_t *v)
{
    static pdf_obj arr;
    size_t i;

    for (i = 0; i < n; i++) {
        ints[i].type = PDF_INT;
        ints[i].u.integer = v[i];
        items[i] = &ints[i];
    }
    arr.type = PDF_ARRAY;
    arr.u.arr.items = items;
    arr.u.arr.n = n;
    return &arr;
}

/* "AAAA<00ff>BBBB%%EOF\n": the gap is [4, 10), the file 20 bytes. */
static const unsigned char F[] = "AAAA<00ff>BBBB%%EOF\n";
#define FL (sizeof(F) - 1)

static int check(size_t n, const int64_t *v, const char **why)
{
    uint64_t out[4];
    *why = NULL;
    return vfy_check_byterange(F, FL, br(n, v), out, why);
}

static void test_byterange_ok(void **state)
{
    const char *why;
    uint64_t out[4];
    const int64_t v[4] = {0, 4, 10, 10};
    (void)state;
    assert_int_equal(vfy_check_byterange(F, FL, br(4, v), out, &why), 0);
    assert_int_equal(out[2], 10);
    assert_int_equal(out[3], 10);
}

static void test_byterange_bad(void **state)
{
    static const struct {
        size_t n;
        int64_t v[5];
        const char *want;
    } cases[] = {
        {3, {0, 4, 10}, "exactly 4"},
        {5, {0, 4, 10, 10, 0}, "exactly 4"},
        {0, {0}, "exactly 4"},
        {4, {1, 3, 10, 10}, "start at 0"},
        {4, {0, 4, -10, 10}, "non-negative"},
        {4, {0, 10, 4, 10}, "out of order"},
        {4, {0, 4, 4, 16}, "out of order"},
        {4, {0, 0, 10, 10}, "out of order"},
        {4, {0, 4, 10, 11}, "beyond the end"},
        {4, {0, 4, 10, INT64_MAX}, "beyond the end"},
        {4, {0, 4, 30, 0}, "outside the file"},
        {4, {0, 3, 10, 10}, "not the /Contents"},
        /* "<00ff>B": a byte after the string, the second range moved (Signature Wrapping) */
        {4, {0, 4, 11, 9}, "unsigned bytes lie between the signature value"},
        {4, {0, 5, 9, 11}, "not the /Contents"},
        {4, {0, 4, 10, 5}, "end of a revision"},
    };
    size_t i;
    const char *why;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_not_equal(check(cases[i].n, cases[i].v, &why), 0);
        assert_non_null(why);
        if (strstr(why, cases[i].want) == NULL)
            fail_msg("case %zu: '%s' does not say '%s'", i, why, cases[i].want);
    }
}

static void test_byterange_types(void **state)
{
    const char *why;
    uint64_t out[4];
    pdf_obj null = {.type = PDF_NULL}, name = {.type = PDF_NAME};
    const int64_t v[4] = {0, 4, 10, 10};
    pdf_obj *arr;
    (void)state;
    assert_int_not_equal(vfy_check_byterange(F, FL, NULL, out, &why), 0);
    assert_non_null(strstr(why, "no /ByteRange"));
    assert_int_not_equal(vfy_check_byterange(F, FL, &null, out, &why), 0);
    assert_int_not_equal(vfy_check_byterange(F, FL, &name, out, &why), 0);
    assert_non_null(strstr(why, "not an array"));
    arr = (pdf_obj *)br(4, v);
    ints[2].type = PDF_REAL;
    assert_int_not_equal(vfy_check_byterange(F, FL, arr, out, &why), 0);
    ints[2].type = PDF_REF;
    assert_int_not_equal(vfy_check_byterange(F, FL, arr, out, &why), 0);
}

static void test_gap_content(void **state)
{
    const unsigned char g1[] = "AAAA<00 ff>BBBB%%EOF\n", g2[] = "AAAA<00f>BBBB%%EOF\n",
                        g3[] = "AAAA<00ff>>BBB%%EOF\n";
    const char *why;
    uint64_t out[4];
    const int64_t a[4] = {0, 4, 11, 10}, b[4] = {0, 4, 9, 10}, c[4] = {0, 4, 11, 9};
    (void)state;
    assert_int_not_equal(vfy_check_byterange(g1, sizeof(g1) - 1, br(4, a), out, &why), 0);
    assert_int_not_equal(vfy_check_byterange(g2, sizeof(g2) - 1, br(4, b), out, &why), 0);
    assert_non_null(strstr(why, "odd"));
    assert_int_not_equal(vfy_check_byterange(g3, sizeof(g3) - 1, br(4, c), out, &why), 0);
}

/* Signature Wrapping after Mladenov et al.: the second range relocated, unsigned objects in
 * between. */
static void test_moved_range(void **state)
{
    const unsigned char m[] = "AAAA<00ff>1 0 obj (x) endobj\nBBBB%%EOF\n",
                        blank[] = "AAAA<00ff>      BBBB%%EOF\n";
    const char *why;
    uint64_t out[4];
    const int64_t a[4] = {0, 4, 29, 10}, b[4] = {0, 4, 16, 10};
    (void)state;
    assert_int_not_equal(vfy_check_byterange(m, sizeof(m) - 1, br(4, a), out, &why), 0);
    assert_non_null(strstr(why, "signed bytes were moved"));
    /* blanks after the string (an emptied /Contents): the generic wording */
    assert_int_not_equal(vfy_check_byterange(blank, sizeof(blank) - 1, br(4, b), out, &why), 0);
    assert_non_null(strstr(why, "not the /Contents"));
}

/* Findings in Indonesian: nested ones too, the most specific format first. */
static void test_text_id(void **state)
{
    char t[512];
    (void)state;
    assert_string_equal(
        vfy_text_id("the document was changed after this signature: content of page 1 changed "
                    "(object 4)",
                    t, sizeof(t)),
        "dokumen diubah setelah tanda tangan ini: isi halaman 1 diubah (objek 4)");
    assert_string_equal(vfy_text_id("not permitted by the certification (DocMDP P=1): form field "
                                    "a.b filled in (object 12)",
                                    t, sizeof(t)),
                        "tidak diizinkan oleh sertifikasi (DocMDP P=1): kolom formulir a.b diisi "
                        "(objek 12)");
    assert_string_equal(vfy_text_id("Font changed (object 5)", t, sizeof(t)),
                        "Font diubah (objek 5)");
    assert_string_equal(vfy_text_id("/ByteRange does not end at the end of a revision (%%EOF) or "
                                    "of the file",
                                    t, sizeof(t)),
                        "/ByteRange tidak berakhir di akhir sebuah revisi (%%EOF) atau di akhir "
                        "berkas");
    /* no translation: as it is; values are never formats */
    assert_string_equal(vfy_text_id("something new %s %n", t, sizeof(t)), "something new %s %n");
    assert_string_equal(vfy_text_id("form field %n%s filled in (object 1)", t, sizeof(t)),
                        "kolom formulir %n%s diisi (objek 1)");
    /* truncated to the buffer */
    assert_string_equal(vfy_text_id("the document has no signatures", t, 9), "dokumen ");
}

/* A fetch left out is named in Indonesian too, whatever address rule refused it. */
static void test_text_id_fetch(void **state)
{
    /* one address for each reason of cms_addr_refusal */
    const char *v4[] = {"0.0.0.0",     "0.1.2.3",         "10.0.0.1",  "100.64.0.1",  "127.0.0.1",
                        "169.254.1.1", "192.0.0.8",       "192.0.2.1", "192.88.99.1", "198.18.0.1",
                        "224.0.0.1",   "255.255.255.255", "240.0.0.1"};
    const char *v6[] = {"64:ff9b:1::1", "100::1",  "2001::1", "fc00::1",
                        "fe80::1",      "fec0::1", "ff02::1", "4000::1"};
    char t[512], en[256];
    unsigned char a[16];
    size_t i;

    (void)state;
    assert_string_equal(
        vfy_text_id("no revocation status for the signer's chain: OCSP at http://127.0.0.1:9/ocsp "
                    "not fetched: loopback address (127.0.0.1)",
                    t, sizeof(t)),
        "tidak ada status pencabutan untuk rantai penanda tangan: OCSP di http://127.0.0.1:9/ocsp "
        "tidak diambil: alamat loopback (127.0.0.1)");
    assert_string_equal(vfy_text_id("CRL at http://ca.example/crl cut off: the fetch time budget "
                                    "(20.0 s) ran out",
                                    t, sizeof(t)),
                        "pengambilan CRL di http://ca.example/crl dihentikan: jatah waktu "
                        "pengambilan (20.0 detik) habis");
    for (i = 0; i < sizeof(v4) / sizeof(v4[0]) + sizeof(v6) / sizeof(v6[0]); i++) {
        int v6a = i >= sizeof(v4) / sizeof(v4[0]);
        const char *ip = v6a ? v6[i - sizeof(v4) / sizeof(v4[0])] : v4[i];
        const char *why;
        assert_int_equal(inet_pton(v6a ? AF_INET6 : AF_INET, ip, a), 1);
        why = cms_addr_refusal(v6a ? AF_INET6 : AF_INET, a);
        assert_non_null(why);
        snprintf(en, sizeof(en), "OCSP at http://x/ not fetched: %s (%s)", why, ip);
        vfy_text_id(en, t, sizeof(t));
        if (strstr(t, "tidak diambil: alamat") == NULL &&
            strstr(t, "tidak diambil: ruang alamat") == NULL &&
            strstr(t, "tidak diambil: alokasi") == NULL)
            fail_msg("no Indonesian for '%s': %s", why, t);
    }
}

/* Extra catalog entries of make_pdf ("/Perms <</DocMDP 5 0 R>>"). */
static const char *catalog_extra = "";

/* A one-page PDF with a signature field whose /V is sigdict (NULL: /V null). */
static char *make_pdf(const char *sigdict, size_t *len)
{
    char *objs[6], *out = NULL;
    size_t offs[7], n = 0, i;
    FILE *f;
    size_t sz = 0;

    {
        char cat[256];
        snprintf(cat, sizeof(cat),
                 "<</Type /Catalog /Pages 2 0 R /AcroForm <</Fields [4 0 R] /SigFlags 3>> %s>>",
                 catalog_extra);
        objs[0] = strdup(cat);
    }
    objs[1] = strdup("<</Type /Pages /Kids [3 0 R] /Count 1>>");
    objs[2] = strdup("<</Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Annots [4 0 R]>>");
    objs[3] = strdup(
        "<</Type /Annot /Subtype /Widget /FT /Sig /T (S1) /V 5 0 R /Rect [0 0 0 0] /P 3 0 R>>");
    objs[4] = strdup(sigdict != NULL ? sigdict : "null");
    f = open_memstream(&out, &sz);
    assert_non_null(f);
    fputs("%PDF-1.7\n", f);
    for (i = 0; i < 5; i++) {
        fflush(f);
        offs[i] = sz;
        fprintf(f, "%zu 0 obj\n%s\nendobj\n", i + 1, objs[i]);
        free(objs[i]);
        n++;
    }
    fflush(f);
    offs[5] = sz;
    fprintf(f, "xref\n0 6\n0000000000 65535 f \n");
    for (i = 0; i < 5; i++)
        fprintf(f, "%010zu 00000 n \n", offs[i]);
    fprintf(f, "trailer\n<</Size 6 /Root 1 0 R>>\nstartxref\n%zu\n%%%%EOF\n", offs[5]);
    fclose(f);
    *len = sz;
    return out;
}

static void expect_fail(const char *sigdict, const char *want)
{
    size_t len;
    char *pdf = make_pdf(sigdict, &len);
    vfy_report *r = NULL;
    sertel_err err = {0};
    vfy_opts o = {0};

    assert_int_equal(pdf_verify_mem((unsigned char *)pdf, len, &o, &r, &err), SERTEL_OK);
    assert_non_null(r);
    assert_int_equal(r->n_sigs, 1);
    assert_int_equal(r->conclusion, VFY_TOTAL_FAILED);
    assert_true(r->sigs[0].n_reasons > 0);
    if (strstr(r->sigs[0].reasons[0], want) == NULL)
        fail_msg("'%s': reason '%s' does not say '%s'", sigdict ? sigdict : "null",
                 r->sigs[0].reasons[0], want);
    vfy_report_free(r);
    free(pdf);
}

static void test_usf(void **state)
{
    (void)state;
    expect_fail(NULL, "not a signature dictionary");
    expect_fail("<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached>>",
                "no /ByteRange");
    expect_fail("<</Type /Sig /ByteRange null /Contents <00>>>", "no /ByteRange");
    expect_fail("<</Type /Sig /ByteRange [] /Contents <00>>>", "exactly 4");
    expect_fail("<</Type /Sig /ByteRange [0 1 2] /Contents <00>>>", "exactly 4");
    expect_fail("<</Type /Sig /ByteRange [0 10 20 99999999] /Contents <00>>>", "beyond");
    expect_fail("<</Type /Sig /ByteRange [0 10 20 30] /Contents <>>>", "/Contents");
    expect_fail("<</Type /Sig /ByteRange [(a) 1 2 3] /Contents <00>>>", "non-negative");
}

static void test_no_sigs(void **state)
{
    static const char pdf[] = "%PDF-1.4\n1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n"
                              "2 0 obj\n<</Type /Pages /Kids [] /Count 0>>\nendobj\n"
                              "trailer\n<</Root 1 0 R>>\n%%EOF\n";
    vfy_report *r = NULL;
    sertel_err err = {0};
    vfy_opts o = {0};
    (void)state;
    assert_int_equal(pdf_verify_mem((const unsigned char *)pdf, sizeof(pdf) - 1, &o, &r, &err),
                     SERTEL_OK);
    assert_int_equal(r->n_sigs, 0);
    assert_int_equal(r->conclusion, VFY_TOTAL_FAILED);
    vfy_report_free(r);
    assert_int_not_equal(pdf_verify_mem((const unsigned char *)"garbage", 7, &o, &r, &err),
                         SERTEL_OK);
}

/* The certification signature and its DocMDP P, even when the signature itself is broken. */
static void expect_cert(const char *sigdict, int p, const char *reason)
{
    size_t len, k;
    char *pdf;
    vfy_report *r = NULL;
    sertel_err err = {0};
    vfy_opts o = {0};
    int found = reason == NULL;

    catalog_extra = "/Perms <</DocMDP 5 0 R>>";
    pdf = make_pdf(sigdict, &len);
    catalog_extra = "";
    assert_int_equal(pdf_verify_mem((unsigned char *)pdf, len, &o, &r, &err), SERTEL_OK);
    assert_int_equal(r->n_sigs, 1);
    assert_int_equal(r->certification, p);
    assert_int_equal(r->sigs[0].certification, p);
    assert_int_equal(r->conclusion, VFY_TOTAL_FAILED);
    for (k = 0; k < r->sigs[0].n_reasons && !found; k++)
        found = strstr(r->sigs[0].reasons[k], reason) != NULL;
    assert_true(found);
    vfy_report_free(r);
    free(pdf);
}

static void test_docmdp(void **state)
{
    (void)state;
    expect_cert("<</Type /Sig /ByteRange [0 1 2] /Contents <00> /Reference [<</Type /SigRef "
                "/TransformMethod /DocMDP /TransformParams <</Type /TransformParams /P 3 /V "
                "/1.2>>>>]>>",
                3, NULL);
    expect_cert("<</Type /Sig /ByteRange [0 1 2] /Contents <00> /Reference [<</Type /SigRef "
                "/TransformMethod /DocMDP /TransformParams <</Type /TransformParams>>>>]>>",
                2, NULL);
    expect_cert("<</Type /Sig /ByteRange [0 1 2] /Contents <00> /Reference [<</Type /SigRef "
                "/TransformMethod /DocMDP /TransformParams <</P 7>>>>]>>",
                1, NULL);
    expect_cert("<</Type /Sig /ByteRange [0 1 2] /Contents <00> /Reference [<</Type /SigRef "
                "/TransformMethod /FieldMDP>>]>>",
                0, "no DocMDP /Reference");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_byterange_ok),
        cmocka_unit_test(test_byterange_bad),
        cmocka_unit_test(test_byterange_types),
        cmocka_unit_test(test_gap_content),
        cmocka_unit_test(test_moved_range),
        cmocka_unit_test(test_text_id),
        cmocka_unit_test(test_usf),
        cmocka_unit_test(test_no_sigs),
        cmocka_unit_test(test_docmdp),
        cmocka_unit_test(test_text_id_fetch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
