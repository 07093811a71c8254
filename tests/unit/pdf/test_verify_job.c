/*
 * test_verify_job.c - validation in the sandbox (lib/pdf/verify_job.c)
 * gives what validation in the process gives: for unsigned, signed (B-B,
 * B-T, twice), damaged, encrypted and non-PDF files and detached
 * signatures, offline and online (the worker's OCSP request goes through
 * this process to a port nothing answers), the return code, the message
 * and the report - as JSON and as text in both languages - are the same.
 * This executable is its own worker (main). The report's wire form
 * (verify_wire.c) round-trips, and hostile encodings are refused without
 * a crash. A worker taken over by its document cannot get past the
 * caller's fetch rules: asking the caller directly for a loopback URL, a
 * caIssuers or a plain GET where OCSP is a POST, or for more than the
 * document's byte budget (a local server sending 600 KB answers) is
 * refused or cut by the caller's context, with the skipped fetches named;
 * the next document starts with a whole budget again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cms/cms.h"
#include "pdf/pdf.h"
#include "pdf/verify_job.h"
#include "testsign.h"
#include "testutil.h"

/*
 * A subverted validation: for a document starting with "EVIL" (the rest:
 * the port of the test's server), ask the caller for fetches directly, as
 * a worker taken over by its document could, and answer with what came
 * back: per request "code/skips;" in the error message.
 */
static int evil_pdf(const sbx_request *req, unsigned char **out, size_t *out_len, sertel_err *err)
{
    static const struct {
        const char *what, *path, *ct;
    } asks[] = {
        {"OCSP", "http://127.0.0.1:9/ocsp", "application/ocsp-request"}, /* loopback */
        {"caIssuers", "", NULL},                                         /* never fetched */
        {"OCSP", "", NULL},                                              /* OCSP is a POST */
        {"CRL", "", NULL},                                               /* 600 KB: fits */
        {"CRL", "", NULL},                                               /* cut by the budget */
        {"CRL", "", NULL},                                               /* budget spent */
    };
    char msg[400] = "", port[8];
    size_t i, used = 0;

    if (req->input_len < 4 || memcmp(req->input, "EVIL", 4) != 0)
        return vfy_job_pdf(req, out, out_len, err);
    snprintf(port, sizeof(port), "%.*s", (int)(req->input_len - 4 < 6 ? req->input_len - 4 : 6),
             (const char *)req->input + 4);
    for (i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
        sbx_buf b = {0};
        sbx_rd r;
        unsigned char *ans = NULL;
        size_t alen = 0;
        char url[128], m[1024];
        sertel_err e = {0};
        int rc;
        uint32_t code = 0, n = 0;
        if (asks[i].path[0] != '\0')
            snprintf(url, sizeof(url), "%s", asks[i].path);
        else
            snprintf(url, sizeof(url), "http://127.0.0.1:%s/x.crl", port);
        sbx_put_str(&b, asks[i].what);
        sbx_put_str(&b, url);
        sbx_put_u32(&b, asks[i].ct != NULL);
        sbx_put_str(&b, asks[i].ct);
        sbx_put_bytes(&b, asks[i].ct != NULL ? "req" : NULL, asks[i].ct != NULL ? 3 : 0);
        sbx_put_u64(&b, 1u << 20);
        rc = sbx_worker_call(VFY_JOB_FETCH, b.p, b.len, &ans, &alen, &e);
        sbx_buf_free(&b);
        if (rc == SERTEL_OK) {
            sbx_rd_init(&r, ans, alen);
            code = sbx_get_u32(&r);
            sbx_get_str(&r, m, sizeof(m));
            n = sbx_get_u32(&r);
        }
        free(ans);
        used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%d/%d/%u;", rc, (int32_t)code, n);
    }
    return sertel_err_set(err, SERTEL_ERR_INVALID, "%s", msg);
}

static const sbx_handler handlers[] = {
    {VFY_JOB_PDF, evil_pdf},
    {VFY_JOB_DETACHED, vfy_job_detached},
};

typedef struct fx {
    char *dir;
    EVP_PKEY *ca_key;
    X509 *ca;
    cms_signer signer, signer2;
    tu_tsa tsa;
    STACK_OF(X509) * trust;
    sbx *sb;
} fx;

static fx F;

static X509 *cert(const char *cn, EVP_PKEY *key, X509 *icert, EVP_PKEY *ikey, long serial)
{
    static const char *const ca[] = {"basicConstraints", "critical,CA:TRUE", "keyUsage",
                                     "critical,keyCertSign,cRLSign,digitalSignature", NULL};
    /* An OCSP responder nothing answers: online validation asks, and fails the same way. */
    static const char *const leaf[] = {"keyUsage", "critical,digitalSignature,nonRepudiation",
                                       "authorityInfoAccess", "OCSP;URI:http://127.0.0.1:9/ocsp",
                                       NULL};

    return tu_cert(cn, key, icert, ikey, serial, icert == NULL ? ca : leaf);
}

static void make_signer(cms_signer *s, const char *cn, long serial)
{
    memset(s, 0, sizeof(*s));
    s->key = EVP_EC_gen("P-256");
    assert_non_null(s->key);
    s->cert = cert(cn, s->key, F.ca, F.ca_key, serial);
    s->chain = sk_X509_new_null();
    assert_non_null(s->chain);
    assert_true(X509_up_ref(F.ca));
    assert_true(sk_X509_push(s->chain, F.ca) > 0);
}

static void free_signer(cms_signer *s)
{
    EVP_PKEY_free(s->key);
    X509_free(s->cert);
    sk_X509_pop_free(s->chain, X509_free);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    p = malloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void write_all(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

/* The report in every form a caller sees. */
static char *render(const vfy_report *r, const char *file)
{
    json_t *j = vfy_report_json(r, file);
    char *js = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER), *all = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&all, &n);

    assert_non_null(js);
    assert_non_null(m);
    fputs(js, m);
    vfy_report_text(r, file, "id", m);
    vfy_report_text(r, file, "en", m);
    fclose(m);
    free(js);
    json_decref(j);
    return all;
}

/* Validate path (or, with sig, the detached signature sig over path) both ways: all equal. */
static void same(const char *path, const char *sig, int offline, const char *want_conclusion)
{
    vfy_opts o;
    vfy_report *a = NULL, *b = NULL;
    sertel_err ea = {0}, eb = {0};
    int ra, rb;

    memset(&o, 0, sizeof(o));
    o.trust = F.trust;
    o.offline = offline;
    o.now = 1893456000; /* fixed: both sides judge the same moment */
    if (sig != NULL) {
        ra = vfy_detached_file_sb(NULL, sig, path, &o, &a, &ea);
        rb = vfy_detached_file_sb(F.sb, sig, path, &o, &b, &eb);
    } else {
        ra = pdf_verify_file_sb(NULL, path, &o, &a, &ea);
        rb = pdf_verify_file_sb(F.sb, path, &o, &b, &eb);
    }
    if (ra != rb || strcmp(ea.msg, eb.msg) != 0)
        fail_msg("%s: in-process %d '%s', sandboxed %d '%s'", path, ra, ea.msg, rb, eb.msg);
    if (ra == SERTEL_OK) {
        char *ta = render(a, path), *tb = render(b, path);
        if (strcmp(ta, tb) != 0)
            fail_msg("%s: the reports differ:\n--- in-process\n%s\n--- sandboxed\n%s", path, ta,
                     tb);
        if (want_conclusion != NULL)
            assert_string_equal(vfy_conclusion_name(a->conclusion), want_conclusion);
        free(ta);
        free(tb);
    } else {
        assert_null(want_conclusion);
    }
    vfy_report_free(a);
    vfy_report_free(b);
}

static const char *sign_pdf(const char *in, const char *out, const cms_signer *s, int bt)
{
    pdf_sign_opts o;
    sertel_err err = {0};
    char *op = strdup(tu_path(F.dir, out));

    memset(&o, 0, sizeof(o));
    o.signer = *s;
    o.reason = "Menyetujui";
    o.location = "Jakarta";
    if (bt) {
        o.level = PDF_LEVEL_BT;
        o.tsa.fn = tu_tsa_fn;
        o.tsa.arg = &F.tsa;
    }
    if (pdf_sign_file(in, op, &o, &err) != SERTEL_OK)
        fail_msg("sign %s: %s", out, err.msg);
    return op;
}

static void test_pdfs(void **state)
{
    const char *data = getenv("SERTEL_TEST_DATA");
    char letter[1024], *bb, *bt, *twice, *p;
    size_t n;
    int offline;
    static const char *const enc[] = {"enc-r2.pdf", "enc-r4.pdf", "enc-r6.pdf", "enc-r6-meta.pdf"};
    size_t i;

    (void)state;
    assert_non_null(data);
    snprintf(letter, sizeof(letter), "%s/letter.pdf", data);
    bb = (char *)sign_pdf(letter, "bb.pdf", &F.signer, 0);
    bt = (char *)sign_pdf(letter, "bt.pdf", &F.signer, 1);
    twice = (char *)sign_pdf(bt, "twice.pdf", &F.signer2, 1);
    /* a byte of the signed range changed */
    p = read_all(twice, &n);
    p[100] ^= 0x20;
    write_all(tu_path(F.dir, "damaged.pdf"), p, n);
    free(p);
    write_all(tu_path(F.dir, "empty.pdf"), "", 0);
    write_all(tu_path(F.dir, "junk.pdf"), "<html>not a pdf</html>", 22);
    for (offline = 1; offline >= 0; offline--) {
        same(letter, NULL, offline, "TOTAL_FAILED"); /* no signatures */
        same(bb, NULL, offline, NULL);
        same(bt, NULL, offline, NULL);
        same(twice, NULL, offline, NULL);
        same(tu_path(F.dir, "damaged.pdf"), NULL, offline, NULL);
    }
    same(tu_path(F.dir, "empty.pdf"), NULL, 1, NULL);
    same(tu_path(F.dir, "junk.pdf"), NULL, 1, NULL);
    same(tu_path(F.dir, "no-such-file.pdf"), NULL, 1, NULL);
    same(F.dir, NULL, 1, NULL); /* a directory */
    for (i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
        char e[1024];
        snprintf(e, sizeof(e), "%s/pdf/%s", data, enc[i]);
        same(e, NULL, 1, NULL);
    }
    free(bb);
    free(bt);
    free(twice);
}

static void test_detached(void **state)
{
    const char *d = tu_path(F.dir, "data.bin");
    char *dp = strdup(d), *sig, *other;
    sertel_err err = {0};
    cms_tsa tsa = {tu_tsa_fn, &F.tsa, 0};

    (void)state;
    write_all(dp, "the signed data\n", 16);
    sig = strdup(tu_path(F.dir, "data.p7s"));
    if (cms_sign_file(dp, sig, &F.signer, &tsa, &err) != SERTEL_OK)
        fail_msg("cms_sign_file: %s", err.msg);
    same(dp, sig, 1, NULL);
    same(dp, sig, 0, NULL);
    other = strdup(tu_path(F.dir, "other.bin"));
    write_all(other, "other data\n", 11);
    same(other, sig, 1, "TOTAL_FAILED");
    same(tu_path(F.dir, "nothing.bin"), sig, 1, NULL);
    same(dp, tu_path(F.dir, "nothing.p7s"), 1, NULL);
    free(dp);
    free(sig);
    free(other);
}

/* In memory (the server's uploads), and a password-protected document. */
static void test_mem(void **state)
{
    char *bt = strdup(tu_path(F.dir, "bt.pdf")), *p;
    size_t n;
    vfy_opts o;
    vfy_report *a = NULL, *b = NULL;
    sertel_err ea = {0}, eb = {0};
    char *ta, *tb;

    (void)state;
    p = read_all(bt, &n);
    memset(&o, 0, sizeof(o));
    o.trust = F.trust;
    o.offline = 1;
    o.now = 1893456000;
    o.password = "not needed";
    assert_int_equal(pdf_verify_mem_sb(NULL, (unsigned char *)p, n, &o, &a, &ea), SERTEL_OK);
    assert_int_equal(pdf_verify_mem_sb(F.sb, (unsigned char *)p, n, &o, &b, &eb), SERTEL_OK);
    ta = render(a, NULL);
    tb = render(b, NULL);
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
    vfy_report_free(a);
    vfy_report_free(b);
    assert_int_equal(pdf_verify_mem_sb(F.sb, (unsigned char *)"%PDF-", 5, &o, &b, &eb),
                     pdf_verify_mem_sb(NULL, (unsigned char *)"%PDF-", 5, &o, &a, &ea));
    assert_string_equal(ea.msg, eb.msg);
    free(p);
    free(bt);
}

/* A server on 127.0.0.1 answering every request with 600 KB. */
static void *serve_600k(void *arg)
{
    int ls = *(int *)arg;
    static char body[600 * 1024];

    for (;;) {
        char req[4096], hdr[128];
        int c = accept(ls, NULL, NULL), h;
        if (c < 0)
            return NULL;
        if (read(c, req, sizeof(req)) < 0) {
            close(c);
            continue;
        }
        h = snprintf(hdr, sizeof(hdr), "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n",
                     sizeof(body));
        if (write(c, hdr, (size_t)h) == h)
            (void)!write(c, body, sizeof(body));
        close(c);
    }
}

/* What a subverted worker asks the caller for is judged by the caller's context. */
static void test_worker_cannot_bypass(void **state)
{
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    int ls = socket(AF_INET, SOCK_STREAM, 0), run;
    pthread_t th;
    char doc[16], allow_url[64];
    const char *allow[1] = {allow_url};
    vfy_opts o;
    vfy_report *r = NULL;
    sertel_err err = {0};

    (void)state;
    assert_true(ls >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(ls, 8), 0);
    assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &al), 0);
    assert_int_equal(pthread_create(&th, NULL, serve_600k, &ls), 0);
    snprintf(doc, sizeof(doc), "EVIL%u", (unsigned)ntohs(a.sin_port));
    snprintf(allow_url, sizeof(allow_url), "http://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    memset(&o, 0, sizeof(o));
    o.trust = F.trust;
    o.fetch.bytes = 1000 * 1000; /* room for one answer, not two */
    o.fetch.allow = allow;
    o.fetch.n_allow = 1;
    /* Twice: each document has its own budget. */
    for (run = 0; run < 2; run++) {
        assert_int_equal(
            pdf_verify_mem_sb(F.sb, (const unsigned char *)doc, strlen(doc), &o, &r, &err),
            SERTEL_ERR_INVALID);
        /* loopback refused by the address rule (one skip named); caIssuers and a GET for OCSP
         * refused by the service; the first CRL fetched; the second cut by the byte budget and
         * the third not fetched, both named. */
        assert_string_equal(err.msg, "0/-10/1;-10/0/0;-10/0/0;0/0/0;0/-3/1;0/-3/1;");
    }
    /* Offline, nothing may be asked at all. */
    o.offline = 1;
    assert_int_equal(pdf_verify_mem_sb(F.sb, (const unsigned char *)doc, strlen(doc), &o, &r, &err),
                     SERTEL_ERR_INVALID);
    assert_string_equal(err.msg, "-10/0/0;-10/0/0;-10/0/0;-10/0/0;-10/0/0;-10/0/0;");
    shutdown(ls, SHUT_RDWR);
    close(ls);
    pthread_join(th, NULL);
}

/* encode -> decode -> encode is the identity on real reports. */
static void test_wire_roundtrip(void **state)
{
    vfy_opts o;
    vfy_report *r = NULL, *back = NULL;
    unsigned char *w1 = NULL, *w2 = NULL;
    size_t l1, l2;
    sertel_err err = {0};

    (void)state;
    memset(&o, 0, sizeof(o));
    o.trust = F.trust;
    o.offline = 1;
    assert_int_equal(pdf_verify_file(tu_path(F.dir, "twice.pdf"), &o, &r, &err), SERTEL_OK);
    assert_true(r->n_sigs == 2);
    assert_int_equal(vfy_report_encode(r, &w1, &l1, &err), SERTEL_OK);
    assert_int_equal(vfy_report_decode(w1, l1, &back, &err), SERTEL_OK);
    assert_int_equal(vfy_report_encode(back, &w2, &l2, &err), SERTEL_OK);
    assert_int_equal(l1, l2);
    assert_memory_equal(w1, w2, l1);
    assert_true(back->sigs[0].n_reasons > 0);
    assert_string_equal(back->sigs[1].signer_name, r->sigs[1].signer_name);
    /* the change analysis crosses too: the second signature, named, at its level */
    assert_true(r->sigs[0].n_mods > 0);
    assert_int_equal(back->sigs[0].n_mods, r->sigs[0].n_mods);
    assert_int_equal(back->sigs[0].modification_level, r->sigs[0].modification_level);
    assert_int_equal(back->sigs[0].changes_analysed, 1);
    assert_string_equal(back->sigs[0].mods[0].kind, r->sigs[0].mods[0].kind);
    assert_string_equal(back->sigs[0].mods[0].detail, r->sigs[0].mods[0].detail);
    vfy_report_free(back);
    free(w1);
    free(w2);
    vfy_report_free(r);
}

static int decodes(const char *s)
{
    vfy_report *r = NULL;
    sertel_err err = {0};
    int rc = vfy_report_decode((const unsigned char *)s, strlen(s), &r, &err);

    if (rc == SERTEL_OK)
        vfy_report_free(r);
    else
        assert_non_null(strstr(err.msg, "malformed"));
    return rc;
}

#define LONG32 "abcdefghijklmnopqrstuvwxyz012345" /* 32 characters: over vfy_mod.kind */

/* What a subverted worker might send: refused, never trusted, never a crash. */
static void test_wire_hostile(void **state)
{
    vfy_opts o;
    vfy_report *r = NULL, *x = NULL;
    unsigned char *w = NULL;
    size_t l, i;
    sertel_err err = {0};
    char *big;
    static const char *const bad[] = {
        "",
        "null",
        "[]",
        "{\"version\":2}",
        "{\"version\":1,\"conclusion\":0,\"sub_indication\":\"\",\"n_revisions\":1,"
        "\"certification\":0,\"detached\":0,\"notes\":[],\"sigs\":[{}]}",
        "{\"version\":1,\"conclusion\":7,\"sub_indication\":\"\",\"n_revisions\":1,"
        "\"certification\":0,\"detached\":0,\"notes\":[],\"sigs\":[]}",
        "{\"version\":1,\"version\":1}",
        "{\"version\":1,\"conclusion\":0,\"sub_indication\":\"a\\u0000b\",\"n_revisions\":1,"
        "\"certification\":0,\"detached\":0,\"notes\":[],\"sigs\":[]}",
        "{\"version\":1,\"conclusion\":0,\"sub_indication\":\"\",\"n_revisions\":-1,"
        "\"certification\":0,\"detached\":0,\"notes\":[],\"sigs\":[]}",
    };

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(decodes(bad[i]), SERTEL_ERR_INVALID);
    /* without the validation time: refused */
    assert_int_equal(decodes("{\"version\":1,\"conclusion\":0,\"sub_indication\":\"\","
                             "\"n_revisions\":1,\"certification\":0,\"detached\":0,\"notes\":[],"
                             "\"sigs\":[]}"),
                     SERTEL_ERR_INVALID);
    assert_int_equal(
        decodes("{\"version\":1,\"conclusion\":0,\"sub_indication\":\"\","
                "\"n_revisions\":1,\"certification\":0,\"detached\":0,"
                "\"validation_time\":\"2020-11-01T00:00:00Z\",\"validation_time_given\":1,"
                "\"notes\":[],\"sigs\":[]}"),
        SERTEL_OK);
    /* a string longer than its field */
    big = malloc(100000);
    assert_non_null(big);
    memset(big, 'A', 99999);
    big[99999] = '\0';
    {
        char *doc = malloc(100300);
        assert_non_null(doc);
        snprintf(doc, 100300,
                 "{\"version\":1,\"conclusion\":0,\"sub_indication\":\"%s\",\"n_revisions\":1,"
                 "\"certification\":0,\"detached\":0,\"notes\":[],\"sigs\":[]}",
                 big);
        assert_int_equal(decodes(doc), SERTEL_ERR_INVALID);
        free(doc);
    }
    free(big);
    /* random damage to a real report: decoded or refused, nothing else (ASan watches) */
    memset(&o, 0, sizeof(o));
    o.offline = 1;
    assert_int_equal(pdf_verify_file(tu_path(F.dir, "twice.pdf"), &o, &r, &err), SERTEL_OK);
    assert_int_equal(vfy_report_encode(r, &w, &l, &err), SERTEL_OK);
    /* the named changes: every member checked, as the rest of the report */
    {
        static const char *const mutations[][2] = {
            {"level", "9"},   {"level", "-1"}, {"permitted", "2"},         {"object", "-5"},
            {"kind", "null"}, {"detail", "7"}, {"kind", "\"" LONG32 "\""}, {"object", "\"1\""},
        };
        json_error_t je;
        for (i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
            json_t *root = json_loadb((const char *)w, l, 0, &je), *m, *v;
            char *t;
            assert_non_null(root);
            m = json_array_get(
                json_object_get(json_array_get(json_object_get(root, "sigs"), 0), "mods"), 0);
            assert_non_null(m);
            v = json_loads(mutations[i][1], JSON_DECODE_ANY, &je);
            assert_non_null(v);
            assert_int_equal(json_object_set_new(m, mutations[i][0], v), 0);
            t = json_dumps(root, JSON_COMPACT);
            assert_non_null(t);
            assert_int_equal(decodes(t), SERTEL_ERR_INVALID);
            free(t);
            json_decref(root);
        }
    }
    for (i = 0; i < 3000; i++) {
        unsigned char *m = malloc(l);
        size_t k, cut = l;
        assert_non_null(m);
        memcpy(m, w, l);
        for (k = 0; k < 1 + i % 4; k++)
            m[randombytes_uniform((uint32_t)l)] = (unsigned char)randombytes_uniform(256);
        if (i % 7 == 0)
            cut = randombytes_uniform((uint32_t)l);
        if (vfy_report_decode(m, cut, &x, &err) == SERTEL_OK) {
            char *t = render(x, "f");
            free(t);
            vfy_report_free(x);
        }
        x = NULL;
        free(m);
    }
    free(w);
    vfy_report_free(r);
}

static int setup(void **state)
{
    sertel_err err = {0};

    (void)state;
    F.dir = tu_mkdtemp();
    F.ca_key = EVP_EC_gen("P-256");
    F.ca = cert("Uji CA", F.ca_key, NULL, NULL, 1);
    make_signer(&F.signer, "Uji Penanda Satu", 11);
    make_signer(&F.signer2, "Uji Penanda Dua", 12);
    tu_tsa_init(&F.tsa);
    F.trust = sk_X509_new_null();
    assert_true(X509_up_ref(F.ca));
    sk_X509_push(F.trust, F.ca);
    assert_true(X509_up_ref(F.tsa.cert));
    sk_X509_push(F.trust, F.tsa.cert);
    if (sbx_new(NULL, &F.sb, &err) != SERTEL_OK) {
        fprintf(stderr, "sbx_new: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sbx_free(F.sb);
    sk_X509_pop_free(F.trust, X509_free);
    tu_tsa_free(&F.tsa);
    free_signer(&F.signer);
    free_signer(&F.signer2);
    X509_free(F.ca);
    EVP_PKEY_free(F.ca_key);
    tu_rmtree(F.dir);
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pdfs),         cmocka_unit_test(test_detached),
        cmocka_unit_test(test_mem),          cmocka_unit_test(test_wire_roundtrip),
        cmocka_unit_test(test_wire_hostile), cmocka_unit_test(test_worker_cannot_bypass),
    };

    if (argc > 1 && strcmp(argv[1], SBX_WORKER_ARG) == 0)
        return sbx_worker_main(argc, argv, handlers, sizeof(handlers) / sizeof(handlers[0]),
                               vfy_job_init);
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, setup, teardown);
}
