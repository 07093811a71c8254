/*
 * test_pdf.c - the PDF reader, the incremental-update writer and CAdES on
 * hand-made files: classic tables, cross-reference streams with PNG
 * predictors, object streams, hybrid files, revisions chained by /Prev,
 * damaged cross-references (recovery), hostile nesting and counts, and
 * a full signature checked with OpenSSL's CMS verifier over the ByteRange.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "pdf/pdf.h"
#include "util/fs.h"
#include "util/hex.h"
#include "testsign.h"
#include "testutil.h"

typedef struct sb {
    char *p;
    size_t len, cap;
} sb;

static void sb_put(sb *b, const void *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_printf(sb *b, const char *fmt, ...)
{
    char *tmp = NULL;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&tmp, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    sb_put(b, tmp, (size_t)n);
    free(tmp);
}

static const char *const base_objs[] = {
    "<</Type /Catalog /Pages 2 0 R>>",
    "<</Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [0 0 612 792]>>",
    "<</Type /Page /Parent 2 0 R /Contents 5 0 R>>",
    "<</Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Annots [6 0 R]>>",
    "<</Length 8>>\nstream\nBT ET q\nendstream",
    "<</Type /Annot /Subtype /Text /Rect [0 0 10 10]>>",
};
#define NBASE 6

/* A classic PDF: objects 1..n, one table, trailer with /ID. Offsets in offs. */
static void build_classic(sb *b, const char *const *objs, int n, uint64_t *offs)
{
    int i;
    size_t x;

    sb_put(b, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", 15);
    for (i = 0; i < n; i++) {
        offs[i + 1] = b->len;
        sb_printf(b, "%d 0 obj\n%s\nendobj\n", i + 1, objs[i]);
    }
    x = b->len;
    sb_printf(b, "xref\n0 %d\n0000000000 65535 f\r\n", n + 1);
    for (i = 1; i <= n; i++)
        sb_printf(b, "%010llu 00000 n\r\n", (unsigned long long)offs[i]);
    sb_printf(b, "trailer\n<</Size %d /Root 1 0 R /ID [<0102> <0304>]>>\nstartxref\n%zu\n%%%%EOF\n",
              n + 1, x);
}

static void open_ok(sb *b, pdf_doc **d)
{
    sertel_err err = {0};
    int rc = pdf_open_mem((unsigned char *)b->p, b->len, d, &err);
    if (rc != SERTEL_OK)
        fail_msg("open: %s", err.msg);
}

static void check_two_pages(pdf_doc *d)
{
    pdf_page pg;
    size_t n = 0;
    sertel_err err = {0};
    const pdf_obj *mb;

    assert_int_equal(pdf_page_count(d, &n, &err), SERTEL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(pdf_page_get(d, 1, &pg, &err), SERTEL_OK);
    assert_int_equal(pg.num, 3);
    mb = pdf_resolve(d, pg.mediabox); /* inherited from the Pages node */
    assert_non_null(mb);
    assert_int_equal(mb->type, PDF_ARRAY);
    assert_int_equal(mb->u.arr.items[2]->u.integer, 612);
    assert_int_equal(pdf_page_get(d, 2, &pg, &err), SERTEL_OK);
    assert_int_equal(pg.num, 4);
    mb = pdf_resolve(d, pg.mediabox); /* its own */
    assert_int_equal(mb->u.arr.items[2]->u.integer, 100);
    assert_int_equal(pdf_page_get(d, 3, &pg, &err), SERTEL_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "page 3"));
}

static void test_classic(void **state)
{
    sb b = {0};
    uint64_t offs[16];
    pdf_doc *d = NULL;
    const pdf_obj *o;
    sertel_err err = {0};

    (void)state;
    build_classic(&b, base_objs, NBASE, offs);
    open_ok(&b, &d);
    assert_int_equal(pdf_xref_form(d), PDF_XREF_TABLE);
    assert_false(pdf_was_recovered(d));
    assert_int_equal(pdf_next_objnum(d), 7);
    assert_int_equal(pdf_version(d), 14);
    check_two_pages(d);
    assert_int_equal(pdf_load(d, 5, &o, &err), SERTEL_OK);
    assert_int_equal(o->type, PDF_STREAM);
    assert_int_equal(o->u.dict.data_len, 8);
    assert_memory_equal(b.p + o->u.dict.data_off, "BT ET q\n", 8);
    assert_int_equal(pdf_load(d, 9, &o, &err), SERTEL_ERR_NOTFOUND);
    pdf_close(d);
    free(b.p);
}

static void test_lexer_values(void **state)
{
    static const char *const objs[] = {
        "<</Type /Catalog /Pages 2 0 R /S (a\\(b\\)\\n\\101\\\nc) /H <41 42 4> /N /A#20B /R -1.5"
        " /B true /Z null /E [] /D <<>>>>",
        "<</Type /Pages /Kids [3 0 R] /Count 1>>",
        "<</Type /Page /Parent 2 0 R>>",
    };
    sb b = {0};
    uint64_t offs[8];
    pdf_doc *d = NULL;
    const pdf_obj *c, *v;
    sertel_err err = {0};
    pdf_buf out = {0};

    (void)state;
    build_classic(&b, objs, 3, offs);
    open_ok(&b, &d);
    assert_int_equal(pdf_catalog(d, &c, NULL, NULL, &err), SERTEL_OK);
    v = pdf_dict_get(c, "S");
    assert_int_equal(v->type, PDF_STRING);
    assert_int_equal(v->u.str.len, 7);
    assert_memory_equal(v->u.str.p, "a(b)\nAc", 7);
    v = pdf_dict_get(c, "H");
    assert_int_equal(v->u.str.len, 3);
    assert_memory_equal(v->u.str.p, "AB@", 3);
    assert_true(pdf_is_name(pdf_dict_get(c, "N"), "A B"));
    assert_int_equal(pdf_dict_get(c, "R")->type, PDF_REAL);
    assert_int_equal(pdf_dict_get(c, "B")->u.boolean, 1);
    assert_int_equal(pdf_dict_get(c, "Z")->type, PDF_NULL);
    pdf_buf_obj(&out, c);
    assert_false(out.failed);
    assert_non_null(strstr(out.p, "/N /A#20B"));
    assert_non_null(strstr(out.p, "/R -1.5"));
    assert_non_null(strstr(out.p, "/Pages 2 0 R"));
    pdf_buf_free(&out);
    pdf_close(d);
    free(b.p);
}

/* zlib-compress with the PNG "Up" predictor over rows of `cols` bytes. */
static void deflate_png(const unsigned char *in, size_t len, size_t cols, sb *out)
{
    size_t rows = len / cols, r, i;
    unsigned char *pred = malloc(rows * (cols + 1)), *z;
    uLongf zl;

    for (r = 0; r < rows; r++) {
        pred[r * (cols + 1)] = 2;
        for (i = 0; i < cols; i++)
            pred[r * (cols + 1) + 1 + i] =
                (unsigned char)(in[r * cols + i] - (r ? in[(r - 1) * cols + i] : 0));
    }
    zl = compressBound(rows * (cols + 1));
    z = malloc(zl);
    assert_int_equal(compress(z, &zl, pred, rows * (cols + 1)), Z_OK);
    sb_put(out, z, zl);
    free(pred);
    free(z);
}

static void row(unsigned char *p, int type, uint32_t f2, uint16_t f3)
{
    p[0] = (unsigned char)type;
    p[1] = (unsigned char)(f2 >> 24);
    p[2] = (unsigned char)(f2 >> 16);
    p[3] = (unsigned char)(f2 >> 8);
    p[4] = (unsigned char)f2;
    p[5] = (unsigned char)(f3 >> 8);
    p[6] = (unsigned char)f3;
}

/*
 * PDF 1.5 style: objects 1-4 and 6 in object stream 7, 5 top level, the
 * xref stream 8 compressed with /Predictor 12. hybrid: additionally a
 * classic table that lists only 5, 7 and 8 and points at the stream with
 * /XRefStm (the table marks 1-4 and 6 free).
 */
static void build_objstm(sb *b, int hybrid)
{
    sb os = {0}, hdr = {0}, body = {0}, xs = {0};
    uint64_t off5, off7, off8, offt = 0;
    unsigned char rows[9 * 7];
    int nums[] = {1, 2, 3, 4, 6}, i;
    uLongf zl;
    unsigned char *z;

    for (i = 0; i < 5; i++) {
        sb_printf(&hdr, "%d %zu ", nums[i], body.len);
        sb_printf(&body, "%s\n", base_objs[nums[i] - 1]);
    }
    sb_put(&os, hdr.p, hdr.len);
    sb_put(&os, body.p, body.len);
    zl = compressBound(os.len);
    z = malloc(zl);
    assert_int_equal(compress(z, &zl, (unsigned char *)os.p, os.len), Z_OK);
    sb_put(b, "%PDF-1.5\n", 9);
    off5 = b->len;
    sb_printf(b, "5 0 obj\n%s\nendobj\n", base_objs[4]);
    off7 = b->len;
    sb_printf(
        b, "7 0 obj\n<</Type /ObjStm /N 5 /First %zu /Filter /FlateDecode /Length %lu>>\nstream\n",
        hdr.len, (unsigned long)zl);
    sb_put(b, z, zl);
    sb_put(b, "\nendstream\nendobj\n", 18);
    off8 = b->len;
    row(rows, 0, 0, 65535);
    for (i = 0; i < 5; i++)
        row(rows + 7 * nums[i], 2, 7, (uint16_t)i);
    row(rows + 7 * 5, 1, (uint32_t)off5, 0);
    row(rows + 7 * 7, 1, (uint32_t)off7, 0);
    row(rows + 7 * 8, 1, (uint32_t)off8, 0);
    deflate_png(rows, sizeof(rows), 7, &xs);
    sb_printf(b,
              "8 0 obj\n<</Type /XRef /Size 9 /W [1 4 2] /Root 1 0 R /ID [<01> <02>] "
              "/Filter /FlateDecode /DecodeParms <</Predictor 12 /Columns 7>> /Length %zu>>\n"
              "stream\n",
              xs.len);
    sb_put(b, xs.p, xs.len);
    sb_put(b, "\nendstream\nendobj\n", 18);
    if (hybrid) {
        offt = b->len;
        sb_printf(b, "xref\n0 9\n0000000000 65535 f\r\n");
        for (i = 1; i <= 8; i++) {
            uint64_t o = i == 5 ? off5 : i == 7 ? off7 : i == 8 ? off8 : 0;
            sb_printf(b, "%010llu 00000 %c\r\n", (unsigned long long)o, o ? 'n' : 'f');
        }
        sb_printf(b, "trailer\n<</Size 9 /Root 1 0 R /XRefStm %llu>>\n", (unsigned long long)off8);
    }
    sb_printf(b, "startxref\n%llu\n%%%%EOF\n", (unsigned long long)(hybrid ? offt : off8));
    free(z);
    free(os.p);
    free(hdr.p);
    free(body.p);
    free(xs.p);
}

static void test_xref_stream_objstm(void **state)
{
    sb b = {0};
    pdf_doc *d = NULL;

    (void)state;
    build_objstm(&b, 0);
    open_ok(&b, &d);
    assert_int_equal(pdf_xref_form(d), PDF_XREF_STREAM);
    assert_int_equal(pdf_next_objnum(d), 9);
    check_two_pages(d);
    pdf_close(d);
    free(b.p);
}

static void test_hybrid(void **state)
{
    sb b = {0};
    pdf_doc *d = NULL;

    (void)state;
    build_objstm(&b, 1);
    open_ok(&b, &d);
    assert_int_equal(pdf_xref_form(d), PDF_XREF_TABLE); /* the newest section is a table */
    assert_int_equal(pdf_section_count(d), 2);
    check_two_pages(d);
    pdf_close(d);
    free(b.p);
}

/* Revision 2 redefines page 3; /Prev chains to revision 1. */
static void test_revisions(void **state)
{
    sb b = {0};
    uint64_t offs[16], x2, p3;
    pdf_doc *d = NULL;
    const pdf_obj *o;
    sertel_err err = {0};
    const char *s;

    (void)state;
    build_classic(&b, base_objs, NBASE, offs);
    s = strstr(b.p, "startxref\n") + 10;
    p3 = b.len;
    sb_printf(&b, "3 0 obj\n<</Type /Page /Parent 2 0 R /Rotate 90>>\nendobj\n");
    x2 = b.len;
    sb_printf(&b,
              "xref\n3 1\n%010llu 00000 n\r\ntrailer\n<</Size 7 /Root 1 0 R /Prev %ld>>\n"
              "startxref\n%llu\n%%%%EOF\n",
              (unsigned long long)p3, strtol(s, NULL, 10), (unsigned long long)x2);
    open_ok(&b, &d);
    assert_int_equal(pdf_section_count(d), 2);
    assert_int_equal(pdf_load(d, 3, &o, &err), SERTEL_OK);
    assert_non_null(pdf_dict_get(o, "Rotate"));
    check_two_pages(d);
    assert_non_null(pdf_trailer(d));
    pdf_close(d);
    free(b.p);
}

/* A /Prev that points at itself must not loop; the file is then recovered. */
static void test_prev_loop(void **state)
{
    sb b = {0};
    uint64_t offs[16];
    pdf_doc *d = NULL;
    char *t;
    size_t x;

    (void)state;
    build_classic(&b, base_objs, NBASE, offs);
    x = (size_t)strtoul(strstr(b.p, "startxref\n") + 10, NULL, 10);
    t = strstr(b.p, "/ID");
    /* same length: replace "/ID [<0102> <0304>]" with "/Prev <offset>" padded */
    {
        char rep[32];
        size_t idlen = strlen("/ID [<0102> <0304>]");
        snprintf(rep, sizeof(rep), "/Prev %-*zu", (int)(idlen - 6), x);
        memcpy(t, rep, idlen);
    }
    open_ok(&b, &d);
    assert_true(pdf_was_recovered(d));
    check_two_pages(d);
    pdf_close(d);
    free(b.p);
}

static void test_broken_xref_recovery(void **state)
{
    sb b = {0};
    uint64_t offs[16];
    pdf_doc *d = NULL;
    char *t;

    (void)state;
    build_classic(&b, base_objs, NBASE, offs);
    t = strstr(b.p, "xref\n0 7");
    memcpy(t, "xrXf", 4); /* the table is gone */
    open_ok(&b, &d);
    assert_true(pdf_was_recovered(d));
    check_two_pages(d);
    pdf_close(d);
    free(b.p);
}

static void expect_open_fails(const char *data, size_t len, int code, const char *msg)
{
    pdf_doc *d = NULL;
    sertel_err err = {0};
    int rc = pdf_open_mem((const unsigned char *)data, len, &d, &err);

    if (rc == SERTEL_OK)
        pdf_close(d);
    assert_int_equal(rc, code);
    if (strstr(err.msg, msg) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, msg);
}

static void test_bad_inputs(void **state)
{
    sb b = {0};
    uint64_t offs[16];
    static const char *const enc[] = {
        "<</Type /Catalog /Pages 2 0 R>>",
        "<</Type /Pages /Kids [3 0 R] /Count 1>>",
        "<</Type /Page /Parent 2 0 R>>",
        "<</Filter /Adobe.PubSec /V 4 /R 4>>",
    };

    (void)state;
    expect_open_fails("", 0, SERTEL_ERR_INVALID, "not a PDF");
    expect_open_fails("hello world", 11, SERTEL_ERR_INVALID, "not a PDF");
    expect_open_fails("%PDF-1.4\n1 0 obj\n<</Type", 24, SERTEL_ERR_INVALID, "truncated");
    expect_open_fails("%PDF-1.4\n%%EOF\n", 15, SERTEL_ERR_INVALID, "beyond recovery");
    build_classic(&b, enc, 4, offs);
    {
        char *t = strstr(b.p, "/ID");
        memcpy(t, "/Encrypt 4 0 R ", 15); /* overwrites "/ID [<0102> <0" */
        memcpy(t + 15, "    ", 4);
    }
    expect_open_fails(b.p, b.len, SERTEL_ERR_UNSUPPORTED,
                      "only the standard (password) security handler");
    free(b.p);
}

static void test_deep_nesting(void **state)
{
    sb deep = {0}, b = {0};
    uint64_t offs[8];
    const char *objs[3];
    pdf_doc *d = NULL;
    const pdf_obj *o;
    sertel_err err = {0};
    int i;

    (void)state;
    for (i = 0; i < 100000; i++)
        sb_put(&deep, "[", 1);
    for (i = 0; i < 100000; i++)
        sb_put(&deep, "]", 1);
    objs[0] = "<</Type /Catalog /Pages 2 0 R /Deep 3 0 R>>";
    objs[1] = "<</Type /Pages /Kids [] /Count 0>>";
    objs[2] = deep.p;
    build_classic(&b, objs, 3, offs);
    open_ok(&b, &d);
    assert_int_equal(pdf_load(d, 3, &o, &err), SERTEL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "nested too deeply"));
    pdf_close(d);
    free(b.p);
    free(deep.p);
}

/* Page tree that points at itself: depth-limited, not a hang. */
static void test_page_tree_cycle(void **state)
{
    static const char *const objs[] = {
        "<</Type /Catalog /Pages 2 0 R>>",
        "<</Type /Pages /Kids [2 0 R] /Count 5>>",
    };
    sb b = {0};
    uint64_t offs[8];
    pdf_doc *d = NULL;
    pdf_page pg;
    sertel_err err = {0};

    (void)state;
    build_classic(&b, objs, 2, offs);
    open_ok(&b, &d);
    assert_int_not_equal(pdf_page_get(d, 1, &pg, &err), SERTEL_OK);
    pdf_close(d);
    free(b.p);
}

/* Counts that claim far more than the file holds. */
static void test_huge_counts(void **state)
{
    sb b = {0};
    uint64_t offs[16];
    pdf_doc *d = NULL;
    sertel_err err = {0};
    char *t;
    int rc;

    (void)state;
    build_classic(&b, base_objs, NBASE, offs);
    t = strstr(b.p, "xref\n0 7");
    memcpy(t + 5, "0 9", 3); /* claims 9 entries with 7 present: broken, then recovered */
    rc = pdf_open_mem((unsigned char *)b.p, b.len, &d, &err);
    assert_int_equal(rc, SERTEL_OK);
    assert_true(pdf_was_recovered(d));
    pdf_close(d);
    free(b.p);
    memset(&b, 0, sizeof(b));
    sb_printf(&b, "%%PDF-1.4\n1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n"
                  "2 0 obj\n<</Type /Pages /Kids [] /Count 0>>\nendobj\n");
    {
        size_t x = b.len;
        sb_printf(&b,
                  "xref\n0 4000000000\n0000000000 65535 f\r\ntrailer\n<</Size 4000000000 "
                  "/Root 1 0 R>>\nstartxref\n%zu\n%%%%EOF\n",
                  x);
    }
    rc = pdf_open_mem((unsigned char *)b.p, b.len, &d, &err);
    assert_int_equal(rc, SERTEL_OK); /* the lie is refused, the scan finds both objects */
    assert_true(pdf_was_recovered(d));
    assert_int_equal(pdf_next_objnum(d), 3);
    pdf_close(d);
    free(b.p);
}

/* --- writer and signing --- */

/* The signed attributes are exactly content-type, message-digest, signing-certificate-v2. */
static void check_cms(const unsigned char *der, size_t len, const unsigned char *content,
                      size_t clen, X509 *cert)
{
    const unsigned char *q = der;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &q, (long)len);
    STACK_OF(CMS_SignerInfo) * sis;
    CMS_SignerInfo *si;
    BIO *in = BIO_new_mem_buf(content, (int)clen);
    STACK_OF(X509) *certs = sk_X509_new_null();
    int i, seen[3] = {0};

    assert_non_null(cms);
    sis = CMS_get0_SignerInfos(cms);
    assert_int_equal(sk_CMS_SignerInfo_num(sis), 1);
    si = sk_CMS_SignerInfo_value(sis, 0);
    assert_int_equal(CMS_signed_get_attr_count(si), 3);
    for (i = 0; i < 3; i++) {
        int nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(CMS_signed_get_attr(si, i)));
        if (nid == NID_pkcs9_contentType)
            seen[0] = 1;
        else if (nid == NID_pkcs9_messageDigest)
            seen[1] = 1;
        else if (nid == NID_id_smime_aa_signingCertificateV2)
            seen[2] = 1;
        else
            fail_msg("unexpected signed attribute %d", nid);
    }
    assert_true(seen[0] && seen[1] && seen[2]);
    assert_int_equal(CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1), -1);
    sk_X509_push(certs, cert);
    assert_int_equal(CMS_verify(cms, certs, NULL, in, NULL,
                                CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY | CMS_NOINTERN),
                     1);
    sk_X509_free(certs);
    BIO_free(in);
    CMS_ContentInfo_free(cms);
}

static void test_cms_attrs(void **state)
{
    cms_signer s;
    unsigned char dig[32], *der = NULL;
    size_t len = 0;
    sertel_err err = {0};
    static const char msg[] = "surat keputusan";

    (void)state;
    tu_signer(&s, "Uji Tanda Tangan");
    EVP_Digest(msg, sizeof(msg) - 1, dig, NULL, EVP_sha256(), NULL);
    assert_int_equal(cms_sign_digest(&s, dig, NULL, &der, &len, &err), SERTEL_OK);
    check_cms(der, len, (const unsigned char *)msg, sizeof(msg) - 1, s.cert);
    OPENSSL_free(der);
    tu_signer_free(&s);
}

/* Parse "/ByteRange [a b c d]" of the last signature in buf. */
static void byterange(const char *buf, size_t len, uint64_t br[4])
{
    const char *p = NULL, *q = buf;

    while ((q = memmem(q, len - (size_t)(q - buf), "/ByteRange [", 12)) != NULL) {
        p = q;
        q += 12;
    }
    assert_non_null(p);
    assert_int_equal(sscanf(p + 12, "%lu %lu %lu %lu", &br[0], &br[1], &br[2], &br[3]), 4);
}

static void sign_and_check(sb *in, pdf_xref_kind want_kind, int nsig)
{
    char *dir = tu_mkdtemp();
    const char *ip, *op;
    unsigned char *out = NULL, *der, *signed_bytes;
    size_t olen = 0, hexlen, k;
    uint64_t br[4];
    pdf_sign_opts o;
    pdf_doc *d = NULL;
    const pdf_obj *cat, *af, *fields;
    sertel_err err = {0};
    FILE *f;

    memset(&o, 0, sizeof(o));
    tu_signer(&o.signer, "Uji Tanda Tangan");
    o.reason = "Menyetujui isi surat";
    o.location = "Jakarta Pusat";
    ip = strdup(tu_path(dir, "in.pdf"));
    op = strdup(tu_path(dir, "out.pdf"));
    f = fopen(ip, "wb");
    fwrite(in->p, 1, in->len, f);
    fclose(f);
    if (pdf_sign_file(ip, op, &o, &err) != SERTEL_OK)
        fail_msg("sign: %s", err.msg);
    f = fopen(op, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    olen = (size_t)ftell(f);
    rewind(f);
    out = malloc(olen + 1);
    assert_int_equal(fread(out, 1, olen, f), olen);
    out[olen] = 0;
    fclose(f);
    /* The original bytes are untouched. */
    assert_memory_equal(out, in->p, in->len);
    byterange((char *)out, olen, br);
    assert_int_equal(br[0], 0);
    assert_int_equal(br[2] + br[3], olen);
    assert_int_equal(out[br[1]], '<');
    assert_int_equal(out[br[2] - 1], '>');
    hexlen = (size_t)(br[2] - br[1] - 2);
    der = malloc(hexlen / 2 + 1);
    {
        char *hex = strndup((char *)out + br[1] + 1, hexlen);
        size_t dl = 0, total;
        assert_int_equal(hex_decode(hex, der, hexlen / 2 + 1, &dl), 0);
        free(hex);
        /* DER length of the ContentInfo; the rest is zero padding */
        assert_int_equal(der[0], 0x30);
        if (der[1] < 0x80) {
            total = 2 + der[1];
        } else {
            size_t nb = der[1] & 0x7f, i;
            total = 0;
            for (i = 0; i < nb; i++)
                total = total << 8 | der[2 + i];
            total += 2 + nb;
        }
        assert_true(total <= dl);
        for (k = total; k < dl; k++)
            assert_int_equal(der[k], 0);
        signed_bytes = malloc((size_t)(br[1] + br[3]));
        memcpy(signed_bytes, out, (size_t)br[1]);
        memcpy(signed_bytes + br[1], out + br[2], (size_t)br[3]);
        check_cms(der, total, signed_bytes, (size_t)(br[1] + br[3]), o.signer.cert);
        free(signed_bytes);
    }
    free(der);
    /* Reopen: the new revision is read and holds the field. */
    assert_int_equal(pdf_open_mem(out, olen, &d, &err), SERTEL_OK);
    assert_int_equal(pdf_xref_form(d), want_kind);
    assert_int_equal(pdf_catalog(d, &cat, NULL, NULL, &err), SERTEL_OK);
    af = pdf_resolve(d, pdf_dict_get(cat, "AcroForm"));
    assert_non_null(af);
    assert_int_equal(pdf_dict_get(af, "SigFlags")->u.integer, 3);
    fields = pdf_resolve(d, pdf_dict_get(af, "Fields"));
    assert_int_equal(fields->u.arr.n, (size_t)nsig);
    assert_non_null(pdf_dict_get(pdf_resolve(d, pdf_dict_get(cat, "Extensions")), "ESIC"));
    pdf_close(d);
    free(in->p);
    in->p = (char *)out;
    in->len = in->cap = olen;
    tu_signer_free(&o.signer);
    free((char *)ip);
    free((char *)op);
    tu_rmtree(dir);
}

static void test_sign_classic_twice(void **state)
{
    sb b = {0};
    uint64_t offs[16];

    (void)state;
    build_classic(&b, base_objs, NBASE, offs);
    sign_and_check(&b, PDF_XREF_TABLE, 1);
    sign_and_check(&b, PDF_XREF_TABLE, 2);
    free(b.p);
}

static void test_sign_xref_stream(void **state)
{
    sb b = {0};

    (void)state;
    build_objstm(&b, 0);
    sign_and_check(&b, PDF_XREF_STREAM, 1);
    sign_and_check(&b, PDF_XREF_STREAM, 2);
    free(b.p);
}

static void test_sign_hybrid(void **state)
{
    sb b = {0};

    (void)state;
    build_objstm(&b, 1);
    sign_and_check(&b, PDF_XREF_TABLE, 1);
    free(b.p);
}

static void test_sign_recovered(void **state)
{
    sb b = {0};
    uint64_t offs[16];

    (void)state;
    build_classic(&b, base_objs, NBASE, offs);
    memcpy(strstr(b.p, "xref\n0 7"), "xrXf", 4);
    sign_and_check(&b, PDF_XREF_TABLE, 1); /* a full table, no /Prev */
    assert_null(memmem(b.p + b.len - 400, 400, "/Prev", 5));
    free(b.p);
}

/* A failing signature leaves no output file. */
static void test_sign_failure_no_output(void **state)
{
    char *dir = tu_mkdtemp();
    pdf_sign_opts o;
    sertel_err err = {0};
    FILE *f;
    const char *ip = strdup(tu_path(dir, "in.pdf"));

    (void)state;
    memset(&o, 0, sizeof(o));
    tu_signer(&o.signer, "Uji Tanda Tangan");
    f = fopen(ip, "wb");
    fputs("%PDF-1.4\nnot really\n", f);
    fclose(f);
    assert_int_equal(pdf_sign_file(ip, tu_path(dir, "out.pdf"), &o, &err), SERTEL_ERR_INVALID);
    assert_false(access(tu_path(dir, "out.pdf"), F_OK) == 0);
    o.level = PDF_LEVEL_BT; /* B-T without a TSA */
    assert_int_equal(pdf_sign_file(ip, tu_path(dir, "out.pdf"), &o, &err), SERTEL_ERR_INVALID);
    tu_signer_free(&o.signer);
    free((char *)ip);
    tu_rmtree(dir);
}

/* --- certification (DocMDP) and document time-stamps (B-LTA) --- */

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static unsigned char *read_all(const char *path, size_t *len)
{
    unsigned char *p = NULL;
    sertel_err err = {0};

    if (fs_read_file(path, 1 << 24, &p, len, &err) != SERTEL_OK)
        fail_msg("read %s: %s", path, err.msg);
    return p;
}

static int docmdp_of(const char *path)
{
    size_t len = 0;
    unsigned char *p = read_all(path, &len);
    pdf_doc *d = NULL;
    sertel_err err = {0};
    int v;

    assert_int_equal(pdf_open_mem(p, len, &d, &err), SERTEL_OK);
    v = pdf_docmdp(d);
    pdf_close(d);
    free(p);
    return v;
}

static void test_certify(void **state)
{
    char *dir = tu_mkdtemp();
    char *ip = strdup(tu_path(dir, "in.pdf")), *c2 = strdup(tu_path(dir, "c2.pdf")),
         *c2b = strdup(tu_path(dir, "c2b.pdf")), *c1 = strdup(tu_path(dir, "c1.pdf")),
         *no = strdup(tu_path(dir, "no.pdf"));
    sb b = {0};
    uint64_t offs[16];
    pdf_sign_opts o;
    sertel_err err = {0};
    unsigned char *out;
    size_t olen = 0;

    (void)state;
    build_classic(&b, base_objs, NBASE, offs);
    write_file(ip, b.p, b.len);
    memset(&o, 0, sizeof(o));
    tu_signer(&o.signer, "Uji Tanda Tangan");
    assert_int_equal(docmdp_of(ip), 0);

    o.certify = 4;
    assert_int_equal(pdf_sign_file(ip, no, &o, &err), SERTEL_ERR_INVALID);
    o.certify = 2;
    if (pdf_sign_file(ip, c2, &o, &err) != SERTEL_OK)
        fail_msg("certify: %s", err.msg);
    assert_int_equal(docmdp_of(c2), 2);
    out = read_all(c2, &olen);
    assert_non_null(memmem(out, olen, "/TransformMethod /DocMDP", 24));
    assert_non_null(memmem(out, olen, "/P 2 /V /1.2", 12));
    free(out);
    /* A certification must be the first signature. */
    assert_int_equal(pdf_sign_file(c2, no, &o, &err), SERTEL_ERR_STATE);
    assert_false(access(no, F_OK) == 0);
    /* P=2 permits signing empty signature fields only: this document has none. */
    o.certify = 0;
    assert_int_equal(pdf_sign_file(c2, no, &o, &err), SERTEL_ERR_DENIED);
    assert_non_null(strstr(err.msg, "P=2"));
    assert_non_null(strstr(err.msg, "has none"));
    assert_false(access(no, F_OK) == 0);
    /* P=3 permits a new invisible signature; /Perms stays. */
    o.certify = 3;
    if (pdf_sign_file(ip, c2, &o, &err) != SERTEL_OK)
        fail_msg("certify P=3: %s", err.msg);
    o.certify = 0;
    if (pdf_sign_file(c2, c2b, &o, &err) != SERTEL_OK)
        fail_msg("sign certified P=3: %s", err.msg);
    assert_int_equal(docmdp_of(c2b), 3);
    assert_int_equal(
        pdf_sign_file(c2b, no, &(pdf_sign_opts){.signer = o.signer, .certify = 3}, &err),
        SERTEL_ERR_STATE);
    /* ... but no new visible one (a possible Sneaky Signature). */
    o.visible = 1;
    o.rect[0] = o.rect[1] = 10;
    o.rect[2] = 200;
    o.rect[3] = 80;
    assert_int_equal(pdf_sign_file(c2, no, &o, &err), SERTEL_ERR_DENIED);
    assert_non_null(strstr(err.msg, "new visible signature"));
    assert_false(access(no, F_OK) == 0);
    memset(o.rect, 0, sizeof(o.rect));
    o.visible = 0;
    /* P=1: no further signature. */
    o.certify = 1;
    if (pdf_sign_file(ip, c1, &o, &err) != SERTEL_OK)
        fail_msg("certify P=1: %s", err.msg);
    assert_int_equal(docmdp_of(c1), 1);
    o.certify = 0;
    assert_int_equal(pdf_sign_file(c1, no, &o, &err), SERTEL_ERR_DENIED);
    assert_non_null(strstr(err.msg, "P=1"));
    assert_false(access(no, F_OK) == 0);

    tu_signer_free(&o.signer);
    free(b.p);
    free(ip);
    free(c2);
    free(c2b);
    free(c1);
    free(no);
    tu_rmtree(dir);
}

/* A letter with two empty signature fields (one visible), as a form made for signing. */
static const char *const form_objs[] = {
    "<</Type /Catalog /Pages 2 0 R /AcroForm <</Fields [5 0 R 6 0 R]>>>>",
    "<</Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 612 792]>>",
    "<</Type /Page /Parent 2 0 R /Contents 4 0 R /Annots [5 0 R 6 0 R]>>",
    "<</Length 8>>\nstream\nBT ET q\nendstream",
    "<</Type /Annot /Subtype /Widget /FT /Sig /T (Kepala) /F 4 /P 3 0 R /Rect [300 60 520 140]>>",
    "<</Type /Annot /Subtype /Widget /FT /Sig /T (Sekretaris) /F 4 /P 3 0 R /Rect [0 0 0 0]>>",
};

/*
 * A document certified with P=2 (form filling and signing) is signed only
 * into its empty signature fields: a new field is refused with their
 * names; each empty field, visible or not, takes a signature.
 */
static void test_certify_p2_fields(void **state)
{
    char *dir = tu_mkdtemp();
    char *ip = strdup(tu_path(dir, "in.pdf")), *c = strdup(tu_path(dir, "c.pdf")),
         *s1 = strdup(tu_path(dir, "s1.pdf")), *s2 = strdup(tu_path(dir, "s2.pdf")),
         *no = strdup(tu_path(dir, "no.pdf"));
    sb b = {0};
    uint64_t offs[16];
    pdf_sign_opts o;
    sertel_err err = {0};

    (void)state;
    build_classic(&b, form_objs, 6, offs);
    write_file(ip, b.p, b.len);
    memset(&o, 0, sizeof(o));
    tu_signer(&o.signer, "Uji Tanda Tangan");
    o.certify = 2;
    if (pdf_sign_file(ip, c, &o, &err) != SERTEL_OK)
        fail_msg("certify P=2: %s", err.msg);
    o.certify = 0;
    assert_int_equal(pdf_sign_file(c, no, &o, &err), SERTEL_ERR_DENIED);
    assert_non_null(strstr(err.msg, "Kepala, Sekretaris"));
    assert_false(access(no, F_OK) == 0);
    o.field = "Kepala"; /* visible: its own rectangle holds the stamp */
    if (pdf_sign_file(c, s1, &o, &err) != SERTEL_OK)
        fail_msg("sign field Kepala: %s", err.msg);
    o.field = "Sekretaris";
    if (pdf_sign_file(s1, s2, &o, &err) != SERTEL_OK)
        fail_msg("sign field Sekretaris: %s", err.msg);
    assert_int_equal(docmdp_of(s2), 2);
    o.field = "Kepala"; /* signed now */
    assert_int_equal(pdf_sign_file(s2, no, &o, &err), SERTEL_ERR_EXISTS);
    o.field = NULL;
    assert_int_equal(pdf_sign_file(s2, no, &o, &err), SERTEL_ERR_DENIED);
    assert_non_null(strstr(err.msg, "has none"));
    tu_signer_free(&o.signer);
    free(b.p);
    free(ip);
    free(c);
    free(s1);
    free(s2);
    free(no);
    tu_rmtree(dir);
}

/* Sign, then add a document time-stamp; check the token's imprint over the ByteRange. */
static void timestamp_and_check(sb *in)
{
    char *dir = tu_mkdtemp();
    char *ip = strdup(tu_path(dir, "in.pdf")), *mid = strdup(tu_path(dir, "mid.pdf")),
         *op = strdup(tu_path(dir, "out.pdf")), *no = strdup(tu_path(dir, "no.pdf"));
    pdf_sign_opts o;
    tu_tsa t;
    cms_tsa tsa = {0};
    sertel_err err = {0};
    unsigned char *m, *out, *der, dig[32];
    size_t mlen = 0, olen = 0, dl = 0, hexlen;
    uint64_t br[4];
    const unsigned char *q;
    PKCS7 *p7;
    TS_TST_INFO *tst;
    ASN1_OCTET_STRING *imp;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    pdf_doc *d = NULL;
    const pdf_obj *cat, *fields;
    char *hex;

    write_file(ip, in->p, in->len);
    memset(&o, 0, sizeof(o));
    tu_signer(&o.signer, "Uji Tanda Tangan");
    tu_tsa_init(&t);
    tsa.fn = tu_tsa_fn;
    tsa.arg = &t;
    if (pdf_sign_file(ip, mid, &o, &err) != SERTEL_OK)
        fail_msg("sign: %s", err.msg);
    if (pdf_timestamp_file(mid, op, &tsa, &err) != SERTEL_OK)
        fail_msg("timestamp: %s", err.msg);
    assert_int_equal(t.calls, 1); /* one time-stamp: /Contents was reserved, not measured */
    m = read_all(mid, &mlen);
    out = read_all(op, &olen);
    assert_true(olen > mlen);
    assert_memory_equal(out, m, mlen);
    assert_non_null(memmem(out + mlen, olen - mlen,
                           "/Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161",
                           67));
    assert_null(memmem(out + mlen, olen - mlen, "/M (", 4));
    byterange((char *)out, olen, br);
    assert_true(br[1] > mlen);
    assert_int_equal(br[0], 0);
    assert_int_equal(br[2] + br[3], olen);
    assert_int_equal(out[br[1]], '<');
    assert_int_equal(out[br[2] - 1], '>');
    hexlen = (size_t)(br[2] - br[1] - 2);
    hex = strndup((char *)out + br[1] + 1, hexlen);
    der = malloc(hexlen / 2 + 1);
    assert_int_equal(hex_decode(hex, der, hexlen / 2 + 1, &dl), 0);
    assert_int_equal(hexlen, 2 * (CMS_TST_RESERVE + 64 + 192)); /* a TSA of unknown size */
    q = der;
    p7 = d2i_PKCS7(NULL, &q, (long)dl);
    assert_non_null(p7);
    tst = PKCS7_to_TS_TST_INFO(p7);
    assert_non_null(tst);
    imp = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(tst));
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    EVP_DigestUpdate(md, out, (size_t)br[1]);
    EVP_DigestUpdate(md, out + br[2], (size_t)br[3]);
    EVP_DigestFinal_ex(md, dig, NULL);
    assert_int_equal(ASN1_STRING_length(imp), 32);
    assert_memory_equal(ASN1_STRING_get0_data(imp), dig, 32);
    /* Reopen: two fields, the time-stamp's is DocTimeStamp1. */
    assert_int_equal(pdf_open_mem(out, olen, &d, &err), SERTEL_OK);
    assert_int_equal(pdf_catalog(d, &cat, NULL, NULL, &err), SERTEL_OK);
    fields = pdf_resolve(d, pdf_dict_get(pdf_resolve(d, pdf_dict_get(cat, "AcroForm")), "Fields"));
    assert_non_null(fields);
    assert_int_equal(fields->u.arr.n, 2);
    {
        const pdf_obj *f = pdf_resolve(d, fields->u.arr.items[1]);
        const pdf_obj *tn = pdf_dict_get(f, "T");
        assert_non_null(tn);
        assert_int_equal(tn->u.str.len, 13);
        assert_memory_equal(tn->u.str.p, "DocTimeStamp1", 13);
    }
    pdf_close(d);
    /* With the TSA's answer size known, little is wasted (and still one call). */
    unlink(op);
    t.calls = 0;
    tsa.token_size = dl;
    if (pdf_timestamp_file(mid, op, &tsa, &err) != SERTEL_OK)
        fail_msg("timestamp: %s", err.msg);
    assert_int_equal(t.calls, 1);
    free(out);
    out = read_all(op, &olen);
    byterange((char *)out, olen, br);
    assert_true(br[2] - br[1] - 2 < 2 * dl + 1024);
    /* A TSA failure leaves no output. */
    t.fail = 1;
    assert_int_equal(pdf_timestamp_file(mid, no, &tsa, &err), SERTEL_ERR_IO);
    assert_false(access(no, F_OK) == 0);
    assert_int_equal(pdf_timestamp_file(mid, no, &(cms_tsa){0}, &err), SERTEL_ERR_INVALID);
    assert_false(access(no, F_OK) == 0);

    TS_TST_INFO_free(tst);
    PKCS7_free(p7);
    EVP_MD_CTX_free(md);
    free(hex);
    free(der);
    free(m);
    free(out);
    tu_tsa_free(&t);
    tu_signer_free(&o.signer);
    free(ip);
    free(mid);
    free(op);
    free(no);
    tu_rmtree(dir);
}

static void test_doc_timestamp(void **state)
{
    sb b = {0}, s = {0};
    uint64_t offs[16];

    (void)state;
    build_classic(&b, base_objs, NBASE, offs);
    timestamp_and_check(&b);
    build_objstm(&s, 0);
    timestamp_and_check(&s);
    free(b.p);
    free(s.p);
}

/*
 * /Contents retry: the TSA's token is larger than the size it was known to
 * answer with (it now adds certificates), beyond the margin. The update is
 * built again around the real size (one more TSA call), and the signature
 * verifies over its ByteRange.
 */
static void test_contents_retry(void **state)
{
    sb b = {0};
    uint64_t offs[16], br[4];
    char *dir = tu_mkdtemp(), *ip = strdup(tu_path(dir, "in.pdf")),
         *op = strdup(tu_path(dir, "out.pdf")), *hex;
    pdf_sign_opts o;
    tu_tsa t;
    unsigned char *out, *der, *signed_bytes;
    size_t olen = 0, dl = 0, hexlen;
    sertel_err err = {0};
    int i;

    (void)state;
    build_classic(&b, base_objs, NBASE, offs);
    write_file(ip, b.p, b.len);
    memset(&o, 0, sizeof(o));
    tu_signer(&o.signer, "Uji Tanda Tangan");
    tu_tsa_init(&t);
    t.grow_from = 1; /* every answer carries 4 certificates more than the size it gave */
    t.extra = sk_X509_new_null();
    for (i = 0; i < 12; i++) {
        cms_signer x;
        tu_signer(&x, "Uji Tambahan");
        assert_true(sk_X509_push(t.extra, x.cert) > 0);
        EVP_PKEY_free(x.key);
    }
    o.level = PDF_LEVEL_BT;
    o.tsa.fn = tu_tsa_fn;
    o.tsa.arg = &t;
    o.tsa.token_size = 600; /* a bare token's size */
    /* (only the first 4 extra certificates for grow_from) */
    {
        STACK_OF(X509) *all = t.extra;
        t.extra = sk_X509_new_null();
        for (i = 0; i < 4; i++)
            assert_true(sk_X509_push(t.extra, sk_X509_value(all, i)) > 0);
        if (pdf_sign_file(ip, op, &o, &err) != SERTEL_OK)
            fail_msg("sign: %s", err.msg);
        sk_X509_free(t.extra);
        t.extra = all;
    }
    assert_int_equal(t.calls, 2); /* too big, again with room */
    out = read_all(op, &olen);
    assert_memory_equal(out, b.p, b.len);
    byterange((char *)out, olen, br);
    assert_int_equal(br[0], 0);
    assert_int_equal(br[2] + br[3], olen);
    hexlen = (size_t)(br[2] - br[1] - 2);
    hex = strndup((char *)out + br[1] + 1, hexlen);
    der = malloc(hexlen / 2 + 1);
    assert_int_equal(hex_decode(hex, der, hexlen / 2 + 1, &dl), 0);
    signed_bytes = malloc((size_t)(br[1] + br[3]));
    memcpy(signed_bytes, out, (size_t)br[1]);
    memcpy(signed_bytes + br[1], out + br[2], (size_t)br[3]);
    check_cms(der, dl, signed_bytes, (size_t)(br[1] + br[3]), o.signer.cert);
    free(signed_bytes);
    free(der);
    free(hex);
    free(out);
    /* A TSA that grows on every call: a clear error after one retry, no output. */
    unlink(op);
    t.calls = 0;
    t.grow_from = 0;
    t.grow_each = 1;
    o.tsa.token_size = 200;
    assert_int_equal(pdf_sign_file(ip, op, &o, &err), SERTEL_ERR_CRYPTO);
    assert_non_null(strstr(err.msg, "grew again"));
    assert_int_equal(t.calls, 2);
    assert_false(access(op, F_OK) == 0);
    tu_signer_free(&o.signer);
    tu_tsa_free(&t);
    free(ip);
    free(op);
    free(b.p);
    tu_rmtree(dir);
}

/* A stream object with data (deflated when flate). */
static void put_stream_obj(sb *b, int num, const char *data, int flate)
{
    sb_printf(b, "%d 0 obj\n", num);
    if (flate) {
        uLongf zl = compressBound((uLong)strlen(data));
        unsigned char *z = malloc(zl);
        assert_non_null(z);
        assert_int_equal(compress(z, &zl, (const Bytef *)data, (uLong)strlen(data)), Z_OK);
        sb_printf(b, "<</Length %lu /Filter /FlateDecode>>\nstream\n", (unsigned long)zl);
        sb_put(b, z, zl);
        free(z);
    } else {
        sb_printf(b, "<</Length %zu>>\nstream\n", strlen(data));
        sb_put(b, data, strlen(data));
    }
    sb_printf(b, "\nendstream\nendobj\n");
}

static void expect_marker(pdf_doc *d, const char *m, size_t page, size_t want_page, double wx,
                          double wy)
{
    size_t pg = 0;
    double x = -1, y = -1;
    sertel_err err = {0};
    int rc = pdf_find_marker(d, m, page, &pg, &x, &y, &err);
    if (rc != SERTEL_OK)
        fail_msg("marker %s: %s", m, err.msg);
    assert_int_equal(pg, want_page);
    if (x < wx - 0.01 || x > wx + 0.01 || y < wy - 0.01 || y > wy + 0.01)
        fail_msg("marker %s at %.3f,%.3f, want %.3f,%.3f", m, x, y, wx, wy);
}

static void test_marker(void **state)
{
    static const char *const objs[] = {
        "<</Type /Catalog /Pages 2 0 R>>",
        "<</Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 /MediaBox [0 0 612 792] /Resources "
        "<</Font <</F0 <</Type /Font /Subtype /Type0 /ToUnicode 12 0 R>> /F1 <</Type /Font "
        "/Subtype /Type1 /BaseFont /Helvetica>> /F2 <</Type /Font /Subtype /Type1 /FirstChar 35 "
        "/LastChar 35 /Widths [500]>> /F3 <</Type /Font /Subtype /Type0 /Encoding /Identity-H "
        "/ToUnicode 10 0 R /DescendantFonts [<</Type /Font /Subtype /CIDFontType2 /DW 1000 /W "
        "[257 [500 600 700] 300 310 250]>>]>> /F4 <</Type /Font /Subtype /TrueType /FirstChar 1 "
        "/Widths [400 400 400 400 800 500] /ToUnicode 11 0 R>>>> /XObject <</Fm1 13 0 R>>>>>>",
        "<</Type /Page /Parent 2 0 R /Contents 6 0 R>>",
        "<</Type /Page /Parent 2 0 R /Contents [7 0 R 8 0 R]>>",
        "<</Type /Page /Parent 2 0 R /Contents 9 0 R>>",
    };
    /* Page 1: the Type0 occurrence is skipped (its bytes are not the text, and its
     * /ToUnicode is damaged); Helvetica widths (A, B = 0.667 em). Also an octal-escaped
     * marker after T* and a hex one after ', and one inside an inline image. Composite F3
     * (two-byte codes, /ToUnicode bfrange and bfchar, /W and /DW): "AB" (1 em each at 10)
     * then "#m6#". Simple F4 with codes that are not the characters (as LibreOffice writes
     * them): "x#m7#", and "#ttd#" with "tt" one glyph (a ligature). */
    static const char *const c1 =
        "BT /F0 12 Tf 10 10 Td (#m1#) Tj ET\n"
        "BT /F3 10 Tf 300 400 Td <0104 0105> Tj [<0101> -0 <01020103>] TJ <0101> Tj ET\n"
        "BT /F4 10 Tf 300 300 Td <0401020301> Tj 0 -50 Td <01050601> Tj ET\n"
        "q 1 0 0 1 0 0 cm /Fm1 Do Q\n"
        "BT /F1 10 Tf 100 200 Td (AB#m1#) Tj ET\n"
        "BI /W 1 /H 1 /BPC 8 /CS /G ID #m4# EI\n"
        "BT /F1 10 Tf 12 TL 50 60 Td T* (\\043m3\\043) Tj 20 TL <236d35> ' (#) Tj ET\n";
    /* Page 2: a flate stream and a plain one; cm scales by 2; TJ splits the marker and
     * moves 1000/1000 em back after the first piece. */
    static const char *const c2a = "q 2 0 0 2 10 20 cm\n% comment (#m2#)\n";
    static const char *const c2b = "BT /F2 10 Tf 1 0 0 1 5 6 Tm [(#m) -1000 (2#)] TJ ET Q\n";
    /* Page 3: hostile: unterminated string and array. */
    static const char *const c3 = "BT /F1 10 Tf 0 0 Td [(#m9 ((( <23 \\";
    sb b = {0};
    uint64_t offs[16];
    pdf_doc *d = NULL;
    size_t pg = 0, x;
    double px, py;
    sertel_err err = {0};
    int i;

    (void)state;
    sb_put(&b, "%PDF-1.4\n", 9);
    for (i = 0; i < 5; i++) {
        offs[i + 1] = b.len;
        sb_printf(&b, "%d 0 obj\n%s\nendobj\n", i + 1, objs[i]);
    }
    offs[6] = b.len;
    put_stream_obj(&b, 6, c1, 0);
    offs[7] = b.len;
    put_stream_obj(&b, 7, c2a, 1);
    offs[8] = b.len;
    put_stream_obj(&b, 8, c2b, 0);
    offs[9] = b.len;
    put_stream_obj(&b, 9, c3, 1);
    offs[10] = b.len;
    put_stream_obj(&b, 10,
                   "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
                   "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
                   "2 beginbfchar <0101> <0023> <0102> <006D> endbfchar\n"
                   "2 beginbfrange <0103> <0103> [<0036>] <0104> <0105> <0041> endbfrange\n"
                   "endcmap CMapName currentdict /CMap defineresource pop end end\n",
                   1);
    offs[11] = b.len;
    put_stream_obj(&b, 11,
                   "begincmap 1 begincodespacerange <00> <FF> endcodespacerange\n"
                   "4 beginbfchar <01> <0023> <02> <006D> <03> <0037> <04> <0078> endbfchar\n"
                   "2 beginbfchar <05> <00740074> <06> <0064> endbfchar endcmap\n",
                   0);
    offs[12] = b.len;
    put_stream_obj(&b, 12, "beginbfchar <0023 (((( [[[ <00 beginbfrange <01> <", 0);
    /* Form XObjects: Fm1 (moved by 100, 100; its own fonts) shows #m8# and runs Fm2
     * (scaled by 2, the resources of Fm1), which shows #mA# and tries to run itself. */
    offs[13] = b.len;
    {
        static const char fm1[] = "BT /F1 10 Tf 10 20 Td (#m8#) Tj ET /Fm2 Do";
        static const char fm2[] = "/Fm2 Do BT /F1 5 Tf 1 2 Td (#mA#) Tj ET";
        sb_printf(&b,
                  "13 0 obj\n<</Type /XObject /Subtype /Form /BBox [0 0 500 500] /Matrix [1 0 0 1 "
                  "100 100] /Resources <</Font <</F1 <</Type /Font /Subtype /Type1 /BaseFont "
                  "/Helvetica>>>> /XObject <</Fm2 14 0 R>>>> /Length %zu>>\nstream\n%s\nendstream\n"
                  "endobj\n",
                  strlen(fm1), fm1);
        offs[14] = b.len;
        sb_printf(
            &b,
            "14 0 obj\n<</Type /XObject /Subtype /Form /BBox [0 0 500 500] /Matrix [2 0 0 2 0 "
            "0] /Length %zu>>\nstream\n%s\nendstream\nendobj\n",
            strlen(fm2), fm2);
    }
    x = b.len;
    sb_printf(&b, "xref\n0 15\n0000000000 65535 f\r\n");
    for (i = 1; i <= 14; i++)
        sb_printf(&b, "%010llu 00000 n\r\n", (unsigned long long)offs[i]);
    sb_printf(&b, "trailer\n<</Size 15 /Root 1 0 R>>\nstartxref\n%zu\n%%%%EOF\n", x);
    open_ok(&b, &d);

    expect_marker(d, "#m1#", 0, 1, 113.34, 200);
    /* Composite: after "AB", 2 x 1 em at 10 (the /DW). */
    expect_marker(d, "#m6#", 0, 1, 320, 400);
    /* Simple with /ToUnicode: after "x" (0.4 em at 10); the ligature counts as "tt". */
    expect_marker(d, "#m7#", 0, 1, 304, 300);
    expect_marker(d, "#ttd#", 0, 1, 300, 250);
    /* In form XObjects: their /Matrix on the CTM, nested, a form running itself skipped. */
    expect_marker(d, "#m8#", 0, 1, 110, 120);
    expect_marker(d, "#mA#", 0, 1, 102, 104);
    /* The codes' own bytes are not the text: "\001\002" is not found as such. */
    assert_int_equal(pdf_find_marker(d, "\001\002\003", 0, &pg, &px, &py, &err),
                     SERTEL_ERR_NOTFOUND);
    expect_marker(d, "#m3#", 0, 1, 50, 48);
    /* "#m5" is split over ' (next line, leading 20) and a Tj that follows it. */
    expect_marker(d, "#m5#", 0, 1, 50, 28);
    /* (#m) is 3 glyphs of 0.5, 0.556, 0.833 em at 10, then TJ -1000 moves 10 forward:
     * the marker still starts at the Tm origin, scaled by cm. */
    expect_marker(d, "#m2#", 0, 2, 20, 32);
    expect_marker(d, "#m2#", 2, 2, 20, 32);
    assert_int_equal(pdf_find_marker(d, "#m1#", 2, &pg, &px, &py, &err), SERTEL_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "not found on page 2"));
    assert_int_equal(pdf_find_marker(d, "#m4#", 0, &pg, &px, &py, &err), SERTEL_ERR_NOTFOUND);
    assert_non_null(strstr(err.msg, "marker '#m4#' not found on any page"));
    assert_non_null(
        strstr(err.msg, "without a /ToUnicode map, annotations and text drawn as images"));
    assert_int_equal(pdf_find_marker(d, "#m9", 3, &pg, &px, &py, &err), SERTEL_ERR_NOTFOUND);
    assert_int_equal(pdf_find_marker(d, "#m1#", 4, &pg, &px, &py, &err), SERTEL_ERR_INVALID);
    assert_int_equal(pdf_find_marker(d, "", 0, &pg, &px, &py, &err), SERTEL_ERR_INVALID);
    pdf_close(d);
    free(b.p);
}

/* A search decodes at most 256 MiB in all: pages that share one 20 MiB content stream. */
static void test_marker_budget(void **state)
{
    size_t big = 20u << 20, zl, i, x, pg = 0;
    unsigned char *raw = malloc(big), *z;
    uint64_t offs[18];
    sb b = {0};
    pdf_doc *d = NULL;
    double px, py;
    sertel_err err = {0};
    uLongf zlen;

    (void)state;
    assert_non_null(raw);
    memset(raw, ' ', big);
    zlen = compressBound((uLong)big);
    z = malloc(zlen);
    assert_non_null(z);
    assert_int_equal(compress2(z, &zlen, raw, (uLong)big, 9), Z_OK);
    zl = zlen;
    free(raw);
    sb_put(&b, "%PDF-1.4\n", 9);
    offs[1] = b.len;
    sb_printf(&b, "1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n");
    offs[2] = b.len;
    sb_printf(&b, "2 0 obj\n<</Type /Pages /Count 14 /Kids [");
    for (i = 0; i < 14; i++)
        sb_printf(&b, "%zu 0 R ", i + 4);
    sb_printf(&b, "]>>\nendobj\n");
    for (i = 0; i < 14; i++) {
        offs[i + 4] = b.len;
        sb_printf(&b,
                  "%zu 0 obj\n<</Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 "
                  "R>>\nendobj\n",
                  i + 4);
    }
    offs[3] = b.len;
    sb_printf(&b, "3 0 obj\n<</Length %zu /Filter /FlateDecode>>\nstream\n", zl);
    sb_put(&b, z, zl);
    sb_printf(&b, "\nendstream\nendobj\n");
    free(z);
    x = b.len;
    sb_printf(&b, "xref\n0 18\n0000000000 65535 f\r\n");
    for (i = 1; i <= 17; i++)
        sb_printf(&b, "%010llu 00000 n\r\n", (unsigned long long)offs[i]);
    sb_printf(&b, "trailer\n<</Size 18 /Root 1 0 R>>\nstartxref\n%zu\n%%%%EOF\n", x);
    open_ok(&b, &d);
    if (pdf_find_marker(d, "#ttd#", 0, &pg, &px, &py, &err) != SERTEL_ERR_UNSUPPORTED)
        fail_msg("budget: %s", err.msg);
    assert_non_null(strstr(err.msg, "give --page N"));
    /* One page on its own is searched. */
    assert_int_equal(pdf_find_marker(d, "#ttd#", 14, &pg, &px, &py, &err), SERTEL_ERR_NOTFOUND);
    pdf_close(d);
    free(b.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classic),          cmocka_unit_test(test_marker_budget),
        cmocka_unit_test(test_lexer_values),     cmocka_unit_test(test_xref_stream_objstm),
        cmocka_unit_test(test_hybrid),           cmocka_unit_test(test_revisions),
        cmocka_unit_test(test_prev_loop),        cmocka_unit_test(test_broken_xref_recovery),
        cmocka_unit_test(test_bad_inputs),       cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_page_tree_cycle),  cmocka_unit_test(test_huge_counts),
        cmocka_unit_test(test_cms_attrs),        cmocka_unit_test(test_sign_classic_twice),
        cmocka_unit_test(test_sign_xref_stream), cmocka_unit_test(test_sign_hybrid),
        cmocka_unit_test(test_sign_recovered),   cmocka_unit_test(test_sign_failure_no_output),
        cmocka_unit_test(test_certify),          cmocka_unit_test(test_certify_p2_fields),
        cmocka_unit_test(test_doc_timestamp),    cmocka_unit_test(test_contents_retry),
        cmocka_unit_test(test_marker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
