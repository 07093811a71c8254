/*
 * verify_job.c - validation in the sandbox (verify_job.h): the caller's
 * wrappers that hand a document to a worker and read its report back, the
 * worker's job handlers, and the fetches the worker asks its caller to
 * make (OCSP RFC 6960 §A.1 POSTs and RFC 5280 CRL GETs, the requests
 * revfetch.c builds): the worker's fetch context forwards each
 * cms_fetch_url (cms_fetch_policy.forward), and the caller makes it with
 * cms_fetch_url under its own context for the document - its address
 * rule, allowed origins and budgets - and sends back the outcome and the
 * fetches that context declined or cut short, which the worker's context
 * logs for the report as if it had fetched itself.
 *
 * Parameters (sbx_buf, wiped: they carry the PDF password): u32 format 2,
 * u32 offline, u64 now, u64 at (verify --at, 0: now), u32 has password,
 * the password, u32 count and the trust anchors (DER), u32 count and the
 * home's records (sha256, u32 revoked, u32 reason, u64 revocation time,
 * u64 invalidity date), the name of the input for messages, u32 the visual
 * check's flags (1 off, 2 render every page); for a detached
 * signature also the signature's bytes and name.
 * A fetch request (service VFY_JOB_FETCH): what ("OCSP", "CRL"), the URL,
 * u32 has content type, the content type, the body, u64 max; its answer:
 * i32 code, the message, u32 count and the skipped fetches' messages, the
 * body (empty unless the code is SERTEL_OK).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cms/cms.h"
#include "pdf/pdf_int.h"
#include "pdf/verify_int.h"
#include "pdf/verify_job.h"

#define PARAMS_FORMAT 2
#define URL_MAX 4096
#define CTYPE_MAX 256
#define NAME_MAX_LEN 4096
#define DER_MAX (64u * 1024)

/* --- parameters --- */

static int put_opts(sbx_buf *b, const vfy_opts *o, const char *name, sertel_err *err)
{
    int n = o->trust != NULL ? sk_X509_num(o->trust) : 0, i;

    if (n > VFY_JOB_MAX_TRUST)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%d trust anchors: at most %d can be used for one validation", n,
                              VFY_JOB_MAX_TRUST);
    sbx_put_u32(b, PARAMS_FORMAT);
    sbx_put_u32(b, o->offline ? 1u : 0u);
    sbx_put_u64(b, (uint64_t)(int64_t)o->now);
    sbx_put_u64(b, (uint64_t)(int64_t)o->at);
    sbx_put_u32(b, o->password != NULL ? 1u : 0u);
    sbx_put_str(b, o->password);
    sbx_put_u32(b, (uint32_t)n);
    for (i = 0; i < n; i++) {
        unsigned char *der = NULL;
        int len = i2d_X509(sk_X509_value(o->trust, i), &der);
        if (len <= 0) {
            ERR_clear_error();
            return sertel_err_set(err, SERTEL_ERR_CRYPTO, "cannot encode a trust anchor");
        }
        sbx_put_bytes(b, der, (size_t)len);
        OPENSSL_free(der);
    }
    if (o->home != NULL && o->n_home > VFY_MAX_HOME_CERTS)
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%zu home records: at most %d can be used for one validation",
                              o->n_home, VFY_MAX_HOME_CERTS);
    sbx_put_u32(b, o->home != NULL ? (uint32_t)o->n_home : 0u);
    for (i = 0; o->home != NULL && (size_t)i < o->n_home; i++) {
        const vfy_home_cert *h = &o->home[i];
        sbx_put_bytes(b, h->sha256, sizeof(h->sha256));
        sbx_put_u32(b, h->revoked ? 1u : 0u);
        sbx_put_u32(b, (uint32_t)h->reason);
        sbx_put_u64(b, (uint64_t)h->rev_time);
        sbx_put_u64(b, (uint64_t)h->invalidity);
    }
    sbx_put_str(b, name);
    sbx_put_u32(b, (o->no_visual ? 1u : 0u) | (o->visual_all ? 2u : 0u));
    return sbx_buf_ok(b) ? SERTEL_OK : sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
}

/* The options as the worker reads them; free with opts_free. */
typedef struct wopts {
    vfy_opts o;
    STACK_OF(X509) * trust;
    char *password;
    vfy_home_cert *home;
    char name[NAME_MAX_LEN];
} wopts;

static void opts_free(wopts *w)
{
    free(w->home);
    sk_X509_pop_free(w->trust, X509_free);
    if (w->password != NULL) {
        OPENSSL_cleanse(w->password, strlen(w->password));
        free(w->password);
    }
}

static int get_opts(sbx_rd *r, wopts *w, sertel_err *err)
{
    uint32_t n, i, has_pw;
    const unsigned char *p;
    size_t len;

    memset(w, 0, sizeof(*w));
    w->trust = sk_X509_new_null();
    if (w->trust == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    if (sbx_get_u32(r) != PARAMS_FORMAT)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "validation parameters of another format");
    w->o.offline = sbx_get_u32(r) != 0;
    w->o.now = (time_t)(int64_t)sbx_get_u64(r);
    w->o.at = (time_t)(int64_t)sbx_get_u64(r);
    has_pw = sbx_get_u32(r);
    p = sbx_get_bytes(r, 4096, &len);
    if (has_pw && !r->failed) {
        w->password = malloc(len + 1);
        if (w->password == NULL)
            return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        if (len > 0)
            memcpy(w->password, p, len);
        w->password[len] = '\0';
        w->o.password = w->password;
    }
    n = sbx_get_u32(r);
    if (n > VFY_JOB_MAX_TRUST)
        r->failed = 1;
    for (i = 0; !r->failed && i < n; i++) {
        const unsigned char *der = sbx_get_bytes(r, DER_MAX, &len), *q = der;
        X509 *x = der != NULL ? d2i_X509(NULL, &q, (long)len) : NULL;
        if (x == NULL || !sk_X509_push(w->trust, x)) {
            X509_free(x);
            ERR_clear_error();
            return sertel_err_set(err, SERTEL_ERR_INTERNAL, "a trust anchor did not decode");
        }
    }
    w->o.trust = w->trust;
    n = sbx_get_u32(r);
    if (n > VFY_MAX_HOME_CERTS)
        r->failed = 1;
    if (!r->failed && n > 0 && (w->home = calloc(n, sizeof(*w->home))) == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    for (i = 0; !r->failed && i < n; i++) {
        const unsigned char *h = sbx_get_bytes(r, 32, &len);
        if (h == NULL || len != 32) {
            r->failed = 1;
            break;
        }
        memcpy(w->home[i].sha256, h, 32);
        w->home[i].revoked = sbx_get_u32(r) != 0;
        w->home[i].reason = (int)sbx_get_u32(r);
        w->home[i].rev_time = (int64_t)sbx_get_u64(r);
        w->home[i].invalidity = (int64_t)sbx_get_u64(r);
    }
    if (!r->failed && n > 0) {
        vfy_home_sort(w->home, n);
        w->o.home = w->home;
        w->o.n_home = n;
    }
    sbx_get_str(r, w->name, sizeof(w->name));
    n = sbx_get_u32(r);
    w->o.no_visual = (n & 1u) != 0;
    w->o.visual_all = (n & 2u) != 0;
    if (r->failed)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "malformed validation parameters");
    return SERTEL_OK;
}

/* --- fetches: the worker asks, the caller fetches under its own context --- */

/* What a worker may ask for: the validator's two kinds of fetch, as revfetch.c makes them. */
static int fetch_allowed(const char *what, const char *ctype, size_t req_len)
{
    if (strcmp(what, "OCSP") == 0)
        return ctype != NULL && strcmp(ctype, "application/ocsp-request") == 0 && req_len > 0;
    if (strcmp(what, "CRL") == 0)
        return ctype == NULL && req_len == 0;
    return 0; /* caIssuers and anything else: the validator never fetches them */
}

/* The worker's side: cms_fetch_policy.forward, one fetch asked of the caller. */
static int forward_fetch(void *arg, cms_fetch_ctx *fx, const char *what, const char *url,
                         const char *content_type, const unsigned char *req, size_t req_len,
                         size_t max, unsigned char **resp, size_t *resp_len, sertel_err *err)
{
    sbx_buf b = {0};
    sbx_rd r;
    unsigned char *ans = NULL;
    const unsigned char *body;
    size_t ans_len = 0, blen = 0;
    char msg[SERTEL_ERR_MSG_MAX];
    uint32_t n, i;
    int32_t code;
    int rc;

    (void)arg;
    *resp = NULL;
    *resp_len = 0;
    sbx_put_str(&b, what);
    sbx_put_str(&b, url);
    sbx_put_u32(&b, content_type != NULL ? 1u : 0u);
    sbx_put_str(&b, content_type);
    sbx_put_bytes(&b, req, req_len);
    sbx_put_u64(&b, max);
    if (!sbx_buf_ok(&b)) {
        sbx_buf_free(&b);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    rc = sbx_worker_call(VFY_JOB_FETCH, b.p, b.len, &ans, &ans_len, err);
    sbx_buf_free(&b);
    if (rc != SERTEL_OK)
        return rc;
    sbx_rd_init(&r, ans, ans_len);
    code = (int32_t)sbx_get_u32(&r);
    sbx_get_str(&r, msg, sizeof(msg));
    n = sbx_get_u32(&r);
    for (i = 0; i < n && !r.failed; i++) {
        char skip[SERTEL_ERR_MSG_MAX];
        sbx_get_str(&r, skip, sizeof(skip));
        if (!r.failed)
            cms_fetch_ctx_note_skip(fx, skip);
    }
    body = sbx_get_bytes(&r, max, &blen);
    if (!sbx_rd_done(&r) || code > 0 || code < -64 || (code != SERTEL_OK && blen > 0)) {
        free(ans);
        return sertel_err_set(err, SERTEL_ERR_IO,
                              "%s at %.200s: a malformed answer from the caller", what, url);
    }
    if (code != SERTEL_OK) {
        free(ans);
        return sertel_err_set(err, code, "%s", msg);
    }
    *resp = malloc(blen + 1);
    if (*resp == NULL) {
        free(ans);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    if (blen > 0)
        memcpy(*resp, body, blen);
    (*resp)[blen] = '\0';
    *resp_len = blen;
    free(ans);
    return SERTEL_OK;
}

/*
 * The caller's side: one fetch a worker asked for, made through the
 * caller's context for this document (arg): the address rule, the allowed
 * origins and the budgets are the caller's, whatever the worker sends.
 * The answer carries the outcome (code, message), the fetches the context
 * declined or cut short during this one, and the body.
 */
static int fetch_service(void *arg, const char *name, const unsigned char *req, size_t req_len,
                         unsigned char **resp, size_t *resp_len, sertel_err *err)
{
    cms_fetch_ctx *fx = arg;
    char what[16], url[URL_MAX], ct[CTYPE_MAX];
    const unsigned char *body;
    unsigned char *r = NULL;
    size_t blen = 0, rlen = 0, before, i;
    uint32_t has_ct;
    uint64_t max;
    sbx_rd rd;
    sbx_buf b = {0};
    sertel_err e = {0};
    int rc;

    *resp = NULL;
    *resp_len = 0;
    if (strcmp(name, VFY_JOB_FETCH) != 0 || fx == NULL)
        return sertel_err_set(err, SERTEL_ERR_DENIED, "no service %s for a validation", name);
    sbx_rd_init(&rd, req, req_len);
    sbx_get_str(&rd, what, sizeof(what));
    sbx_get_str(&rd, url, sizeof(url));
    has_ct = sbx_get_u32(&rd);
    sbx_get_str(&rd, ct, sizeof(ct));
    body = sbx_get_bytes(&rd, SBX_CALL_MAX, &blen);
    max = sbx_get_u64(&rd);
    if (!sbx_rd_done(&rd) || has_ct > 1)
        return sertel_err_set(err, SERTEL_ERR_INVALID, "a malformed fetch request");
    if (!fetch_allowed(what, has_ct ? ct : NULL, blen))
        return sertel_err_set(err, SERTEL_ERR_DENIED,
                              "the validator asked for a fetch it never makes: refused");
    /* What the validator asks for is bounded here too, whatever the worker says. */
    if (max > CMS_REV_MAX_BODY)
        max = CMS_REV_MAX_BODY;
    before = cms_fetch_ctx_skip_count(fx);
    rc = cms_fetch_url(fx, what, url, has_ct ? ct : NULL, blen > 0 ? body : NULL, blen, (size_t)max,
                       &r, &rlen, &e);
    sbx_put_u32(&b, (uint32_t)(rc == SERTEL_OK ? SERTEL_OK : rc < 0 ? rc : SERTEL_ERR_IO));
    sbx_put_str(&b, rc == SERTEL_OK ? "" : e.msg);
    sbx_put_u32(&b, (uint32_t)(cms_fetch_ctx_skip_count(fx) - before));
    for (i = before; i < cms_fetch_ctx_skip_count(fx); i++)
        sbx_put_str(&b, cms_fetch_ctx_skip(fx, i));
    sbx_put_bytes(&b, rc == SERTEL_OK ? r : NULL, rc == SERTEL_OK ? rlen : 0);
    free(r);
    if (!sbx_buf_ok(&b)) {
        sbx_buf_free(&b);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    *resp = sbx_buf_take(&b, resp_len);
    return SERTEL_OK;
}

/* --- the worker's jobs --- */

/*
 * Run the validator's OpenSSL paths once in the worker image (a P-256 key
 * and certificate made here, DER-decoded, its chain built, a CMS signature
 * verified): OpenSSL 3 builds its decoders, method stores and algorithm
 * caches on first use, and every job process forked from the image
 * inherits them instead of building them again (measured: docs/benchmarks.md).
 */
static void warm_up(void)
{
    static const unsigned char data[] = "sertel";
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new(), *back = NULL;
    X509_NAME *n = X509_NAME_new();
    X509_STORE *st = X509_STORE_new();
    X509_STORE_CTX *xc = X509_STORE_CTX_new();
    CMS_ContentInfo *cms = NULL, *cms2 = NULL;
    BIO *in = BIO_new_mem_buf(data, (int)sizeof(data));
    unsigned char *der = NULL, *cder = NULL;
    const unsigned char *p;
    int len, clen;

    if (k == NULL || x == NULL || n == NULL || st == NULL || xc == NULL || in == NULL ||
        !X509_set_version(x, X509_VERSION_3) || !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
        !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, data, -1, -1, 0) ||
        !X509_set_subject_name(x, n) || !X509_set_issuer_name(x, n) ||
        X509_gmtime_adj(X509_getm_notBefore(x), -60) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(x), 3600) == NULL || !X509_set_pubkey(x, k) ||
        !X509_sign(x, k, EVP_sha256()) || (len = i2d_X509(x, &der)) <= 0)
        goto out;
    p = der;
    back = d2i_X509(NULL, &p, len);
    if (back == NULL || !X509_STORE_add_cert(st, back) || !X509_STORE_CTX_init(xc, st, back, NULL))
        goto out;
    (void)X509_verify_cert(xc);
    cms = CMS_sign(x, k, NULL, in, CMS_DETACHED | CMS_BINARY);
    if (cms == NULL || (clen = i2d_CMS_ContentInfo(cms, &cder)) <= 0)
        goto out;
    p = cder;
    cms2 = d2i_CMS_ContentInfo(NULL, &p, clen);
    (void)BIO_reset(in);
    if (cms2 != NULL)
        (void)CMS_verify(cms2, NULL, st, in, NULL, CMS_BINARY);
out:
    CMS_ContentInfo_free(cms);
    CMS_ContentInfo_free(cms2);
    OPENSSL_free(der);
    OPENSSL_free(cder);
    BIO_free(in);
    X509_STORE_CTX_free(xc);
    X509_STORE_free(st);
    X509_NAME_free(n);
    X509_free(back);
    X509_free(x);
    EVP_PKEY_free(k);
    ERR_clear_error();
}

void vfy_job_init(void)
{
    unsigned char b;

    OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG | OPENSSL_INIT_ADD_ALL_CIPHERS |
                            OPENSSL_INIT_ADD_ALL_DIGESTS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS,
                        NULL);
    /* An image serves every job to come: its DRBG and RC4 now. A clean-parent job process
     * seeds the DRBG if a job needs it (getrandom is allowed) and loads RC4 only when its input
     * may need it (pdf_job_prepare): a validation needs neither, and the DRBG costs ~0.8 ms. */
    if (!sbx_worker_clean()) {
        (void)RAND_bytes(&b, 1);
        pdf_crypt_preload();
        vfy_visual_preload(); /* the image serves every document to come */
    }
    if (sbx_worker_warm())
        warm_up();
    ERR_clear_error();
    tzset();
    json_object_seed(0);
}

/* Where pdf_job_prepare looks: the first and the last MiB. */
#define PREPARE_WINDOW ((size_t)1 << 20)

void pdf_job_prepare(const sbx_request *req)
{
    static const char enc[] = "/Encrypt";
    const unsigned char *d = req->input;
    size_t n = req->input_len, w = n < PREPARE_WINDOW ? n : PREPARE_WINDOW;

    /* The trailer or cross-reference stream that names the encryption is written last (in a
     * linearized file also first): no need to search the middle of a large file. */
    if (d != NULL && (memmem(d, w, enc, sizeof(enc) - 1) != NULL ||
                      memmem(d + n - w, w, enc, sizeof(enc) - 1) != NULL))
        pdf_crypt_preload();
    /* The renderer, only when a signature may have later revisions to compare (the
     * usual document, signed once, never maps it). */
    if (d != NULL && vfy_visual_wanted(d, n))
        vfy_visual_preload();
}

static int answer(vfy_report *r, unsigned char **out, size_t *out_len, sertel_err *err)
{
    int rc = vfy_report_encode(r, out, out_len, err);

    vfy_report_free(r);
    return rc;
}

int vfy_job_pdf(const sbx_request *req, unsigned char **out, size_t *out_len, sertel_err *err)
{
    wopts w;
    sbx_rd r;
    vfy_report *rep = NULL;
    int rc;

    sbx_rd_init(&r, req->params, req->params_len);
    rc = get_opts(&r, &w, err);
    if (rc == SERTEL_OK && !sbx_rd_done(&r))
        rc = sertel_err_set(err, SERTEL_ERR_INTERNAL, "malformed validation parameters");
    if (rc == SERTEL_OK) {
        w.o.fetch.forward = forward_fetch;
        rc = pdf_verify_mem_named(req->input, req->input_len, w.name[0] ? w.name : NULL, &w.o, &rep,
                                  err);
    }
    if (rc == SERTEL_OK)
        rc = answer(rep, out, out_len, err);
    opts_free(&w);
    return rc;
}

int vfy_job_detached(const sbx_request *req, unsigned char **out, size_t *out_len, sertel_err *err)
{
    wopts w;
    sbx_rd r;
    vfy_report *rep = NULL;
    const unsigned char *sig = NULL;
    size_t sig_len = 0;
    char sig_name[NAME_MAX_LEN];
    int rc;

    sbx_rd_init(&r, req->params, req->params_len);
    rc = get_opts(&r, &w, err);
    if (rc == SERTEL_OK) {
        sig = sbx_get_bytes(&r, 4 * (size_t)VFY_MAX_CMS, &sig_len);
        sbx_get_str(&r, sig_name, sizeof(sig_name));
        if (!sbx_rd_done(&r) || sig == NULL)
            rc = sertel_err_set(err, SERTEL_ERR_INTERNAL, "malformed validation parameters");
    }
    if (rc == SERTEL_OK) {
        w.o.fetch.forward = forward_fetch;
        rc = vfy_detached_mem(sig, sig_len, sig_name, req->input, req->input_len, &w.o, &rep, err);
    }
    if (rc == SERTEL_OK)
        rc = answer(rep, out, out_len, err);
    opts_free(&w);
    return rc;
}

/* --- the caller's side --- */

static int run(sbx *sb, const char *type, int fd, const unsigned char *data, size_t len,
               const char *what, const vfy_opts *o, const unsigned char *sig, size_t sig_len,
               const char *sig_name, vfy_report **out, sertel_err *err)
{
    sbx_job job = SBX_JOB_INIT;
    sbx_buf b = {0};
    unsigned char *res = NULL;
    size_t res_len = 0;
    cms_fetch_ctx *fx = NULL;
    long budget = o->fetch.time_ms > 0 ? o->fetch.time_ms : CMS_FETCH_TIME_MS;
    int rc;

    /* The document's fetches, all made here under the caller's rules (one context per job). */
    if (!o->offline && (rc = cms_fetch_ctx_new(&o->fetch, &fx, err)) != SERTEL_OK)
        return rc;
    b.secret = 1;
    rc = put_opts(&b, o, fd >= 0 && sig == NULL ? what : NULL, err);
    if (rc == SERTEL_OK && sig != NULL) {
        sbx_put_bytes(&b, sig, sig_len);
        sbx_put_str(&b, sig_name);
        if (!sbx_buf_ok(&b))
            rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    if (rc != SERTEL_OK)
        goto out;
    job.type = type;
    job.what = what;
    job.input_fd = fd;
    job.input = fd < 0 ? data : NULL;
    job.input_len = fd < 0 ? len : 0;
    job.params = b.p;
    job.params_len = b.len;
    /* Fetching time counts against the job's clock: the budget is added to it. */
    job.timeout_ms = VFY_JOB_TIMEOUT_MS + (o->offline ? 0u : (unsigned)budget);
    job.output_max = VFY_JOB_REPORT_MAX;
    if (!o->offline) {
        job.service = fetch_service;
        job.service_arg = fx;
        job.max_calls = VFY_JOB_MAX_FETCHES;
    }
    rc = sbx_run(sb, &job, &res, &res_len, NULL, err);
    if (rc == SERTEL_OK)
        rc = vfy_report_decode(res, res_len, out, err);
out:
    free(res);
    sbx_buf_free(&b);
    cms_fetch_ctx_free(fx);
    return rc;
}

int pdf_verify_file_sb(sbx *sb, const char *path, const vfy_opts *o, vfy_report **out,
                       sertel_err *err)
{
    struct stat st;
    int fd, rc;

    if (sb == NULL)
        return pdf_verify_file(path, o, out, err);
    /* The messages pdf_open_file_pw gives for the same failures. */
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is not a regular file", path);
    }
    rc = run(sb, VFY_JOB_PDF, fd, NULL, 0, path, o, NULL, 0, NULL, out, err);
    close(fd);
    return rc;
}

int pdf_verify_mem_sb(sbx *sb, const unsigned char *data, size_t len, const vfy_opts *o,
                      vfy_report **out, sertel_err *err)
{
    if (sb == NULL)
        return pdf_verify_mem(data, len, o, out, err);
    return run(sb, VFY_JOB_PDF, -1, data, len, "the document", o, NULL, 0, NULL, out, err);
}

int vfy_detached_file_sb(sbx *sb, const char *sig_path, const char *data_path, const vfy_opts *o,
                         vfy_report **out, sertel_err *err)
{
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    struct stat st;
    int fd, rc;

    if (sb == NULL)
        return vfy_detached_file(sig_path, data_path, o, out, err);
    /* The signature is small: read here (as vfy_detached_file does), passed as a parameter. */
    fd = open(sig_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot read %s", sig_path);
    }
    if (st.st_size <= 0 || (uint64_t)st.st_size > 4 * (uint64_t)VFY_MAX_CMS) {
        close(fd);
        return sertel_err_set(err, SERTEL_ERR_INVALID, "%s is empty or too large for a signature",
                              sig_path);
    }
    sig = malloc((size_t)st.st_size);
    if (sig == NULL) {
        close(fd);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    }
    while (sig_len < (size_t)st.st_size) {
        ssize_t n = read(fd, sig + sig_len, (size_t)st.st_size - sig_len);
        if (n <= 0)
            break;
        sig_len += (size_t)n;
    }
    close(fd);
    fd = open(data_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        free(sig);
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot read %s", data_path);
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        free(sig);
        return sertel_err_set(err, SERTEL_ERR_INVALID,
                              "%s is not a regular file: save the signed data to a file first",
                              data_path);
    }
    rc = run(sb, VFY_JOB_DETACHED, fd, NULL, 0, data_path, o, sig, sig_len, sig_path, out, err);
    free(sig);
    close(fd);
    return rc;
}
