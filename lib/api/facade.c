/*
 * facade.c - what the two versions of BSrE's API facade share
 * (ep_facade_v1.c, ep_facade_v2.c; DOMAIN.md "BSrE's signing API"): the
 * status codes of a person's status, base64 in and out, reading an uploaded
 * file, and validation reports in BSrE's field names (v1's
 * {nama_dokumen, jumlah_signature, notes, summary, details[]} and v2's
 * {conclusion, description, signatureCount, signatureInformations[]}),
 * mapped from the library's report (lib/pdf verify.h) without deciding
 * anything of their own: a document is "VALID" exactly when the library's
 * conclusion is TOTAL_PASSED for every signature.
 *
 * The status codes BSrE documents are 1111 ISSUE and 1110 NOT_REGISTERED;
 * sertel numbers the other statuses next to them (docs/api.md):
 * 1112 WAITING_FOR_VERIFICATION, 1113 NEW, 1114 EXPIRED, 1115 RENEW,
 * 1116 SUSPEND, 1117 REVOKE, 1118 NO_CERTIFICATE.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api_int.h"
#include "api/facade.h"
#include "conf/conf.h"
#include "pdf/verify_job.h"

static const struct {
    ra_status st;
    int code;
    const char *id, *en;
} statuses[] = {
    {RA_STATUS_NOT_REGISTERED, 1110, "Pengguna tidak terdaftar", "The user is not registered"},
    {RA_STATUS_ISSUE, 1111, "Sertifikat elektronik aktif: pengguna dapat menandatangani",
     "The electronic certificate is in force: the user can sign"},
    {RA_STATUS_WAITING_FOR_VERIFICATION, 1112, "Permohonan sertifikat menunggu verifikasi",
     "The certificate application awaits verification"},
    {RA_STATUS_NEW, 1113, "Permohonan disetujui; passphrase belum dibuat",
     "The application is approved; the passphrase is not created yet"},
    {RA_STATUS_EXPIRED, 1114, "Sertifikat elektronik telah kedaluwarsa",
     "The electronic certificate has expired"},
    {RA_STATUS_RENEW, 1115, "Pembaruan sertifikat sedang diproses",
     "A renewal of the certificate is in progress"},
    {RA_STATUS_SUSPEND, 1116, "Sertifikat elektronik ditangguhkan",
     "The electronic certificate is suspended"},
    {RA_STATUS_REVOKE, 1117, "Sertifikat elektronik telah dicabut",
     "The electronic certificate is revoked"},
    {RA_STATUS_NO_CERTIFICATE, 1118, "Pengguna terdaftar tetapi belum memiliki sertifikat",
     "The user is registered but has no certificate"},
};

int api_facade_status_code(ra_status st)
{
    size_t i;

    for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (statuses[i].st == st)
            return statuses[i].code;
    return 1110;
}

json_t *api_facade_status_json(ra_status st, api_lang lang)
{
    size_t i;

    for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (statuses[i].st == st)
            return json_pack("{s:i, s:s, s:s}", "status_code", statuses[i].code, "status",
                             ra_status_name(st), "message",
                             lang == API_LANG_EN ? statuses[i].en : statuses[i].id);
    return json_pack("{s:i, s:s, s:s}", "status_code", 1110, "status", "NOT_REGISTERED", "message",
                     lang == API_LANG_EN ? statuses[0].en : statuses[0].id);
}

/* ------------------------------------------------------ authorization */

/*
 * Before an authorization: what the library lets this client know about the
 * person (ra_status_for_ex with the sign action: its own agency's people
 * only; anyone else is NOT_REGISTERED) - 2011 not registered, 2021 no
 * certificate in force - and 2041 when the policy needs a second factor the
 * request cannot carry. SERTEL_OK to go on; otherwise answered (or an error
 * for api_fail).
 */
int api_facade_sign_precheck(api_call *c, const char *email, const char *nik, int has_code,
                             sertel_err *err)
{
    ra_status st = RA_STATUS_NOT_REGISTERED;
    int rc, needed = 0;

    rc = ra_status_for_ex(c->r, &c->actor, RA_ACT_SIGN, email, nik, &st, err);
    if (rc == SERTEL_ERR_INVALID) {
        (void)api_error(c, 400, "field_invalid",
                        email ? "'email' is not valid" : "'nik' must be a 16-digit NIK");
        return SERTEL_ERR_INVALID;
    }
    if (rc != SERTEL_OK)
        return rc;
    if (st == RA_STATUS_NOT_REGISTERED) {
        (void)api_error(c, 400, "facade_not_registered", NULL);
        return SERTEL_ERR_INVALID;
    }
    if (st != RA_STATUS_ISSUE) {
        (void)api_error(c, 400, "facade_no_certificate", "%s", ra_status_name(st));
        return SERTEL_ERR_INVALID;
    }
    if (!has_code) {
        if ((rc = ra_sign_factor_needed(c->r, &c->actor, &needed, err)) != SERTEL_OK)
            return rc;
        if (needed) {
            (void)api_error(c, 403, "facade_factor_required", NULL);
            return SERTEL_ERR_INVALID;
        }
    }
    return SERTEL_OK;
}

/*
 * The answer for a refused authorization: a wrong passphrase (and every
 * other refusal the library gives one answer for) is 2031.
 */
int api_facade_auth_fail(api_call *c, int rc, const sertel_err *err, const ra_sign_why *why,
                         int by_code)
{
    char wait[24];

    if (rc == SERTEL_ERR_DENIED && why != NULL && why->refusal == RA_REFUSAL_LOCKED) {
        if (why->retry_after > 0) {
            snprintf(wait, sizeof(wait), "%lld", (long long)why->retry_after);
            (void)http_response_header(c->resp, "Retry-After", wait);
        }
        return api_error(c, 400, "facade_locked", NULL);
    }
    if (rc == SERTEL_ERR_DENIED && why != NULL && why->refusal == RA_REFUSAL_STATUS)
        return api_error(c, 400, "facade_no_certificate", "%s", ra_status_name(why->status));
    if (rc == SERTEL_ERR_DENIED)
        return api_error(c, 400, by_code ? "facade_totp_wrong" : "facade_passphrase_wrong", NULL);
    if (rc == SERTEL_ERR_INVALID && err != NULL && strstr(err->msg, "one-time code") != NULL)
        return api_error(c, 403, "facade_factor_required", NULL);
    return api_fail(c, rc, err);
}

/* ------------------------------------------------------------ signing */

#define FD_PATH_MAX 40

/* A new unnamed file in the API's spool (-1 and err set when it cannot be made). */
static int spool_fd(api_call *c, sertel_err *err)
{
    int fd = open(c->a->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

    if (fd < 0)
        (void)sertel_err_set(err, SERTEL_ERR_IO, "cannot create a file in the spool %s: %s",
                             c->a->spool_dir, strerror(errno));
    return fd;
}

int api_facade_spool(api_call *c, const unsigned char *data, size_t len, int *fd, sertel_err *err)
{
    size_t off = 0;
    int f = spool_fd(c, err);

    *fd = -1;
    if (f < 0)
        return SERTEL_ERR_IO;
    while (off < len) {
        ssize_t k = pwrite(f, data + off, len - off, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            close(f);
            return sertel_err_set(err, SERTEL_ERR_IO, "cannot write to the spool: %s",
                                  strerror(errno));
        }
        off += (size_t)k;
    }
    *fd = f;
    return SERTEL_OK;
}

/* The whole of a file into memory. */
static int slurp(int fd, unsigned char **out, size_t *len, sertel_err *err)
{
    struct stat st;
    unsigned char *b;
    size_t got = 0;

    *out = NULL;
    *len = 0;
    if (fstat(fd, &st) != 0 || st.st_size < 0)
        return sertel_err_set(err, SERTEL_ERR_IO, "cannot read the signed file back");
    b = malloc((size_t)st.st_size + 1);
    if (b == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    while (got < (size_t)st.st_size) {
        ssize_t k = pread(fd, b + got, (size_t)st.st_size - got, (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            free(b);
            return sertel_err_set(err, SERTEL_ERR_IO, "cannot read the signed file back");
        }
        got += (size_t)k;
    }
    *out = b;
    *len = got;
    return SERTEL_OK;
}

/* err's message with every mention of path (a spool file) said as "the file". */
static void without_path(sertel_err *e, const char *path)
{
    char out[SERTEL_ERR_MSG_MAX];
    const char *m = e->msg, *p;
    size_t n = 0, pl = strlen(path);

    out[0] = '\0';
    while ((p = strstr(m, path)) != NULL && n + 1 < sizeof(out)) {
        int w = snprintf(out + n, sizeof(out) - n, "%.*s%s", (int)(p - m), m, "the file");
        if (w < 0 || (size_t)w >= sizeof(out) - n) {
            n = sizeof(out) - 1;
            break;
        }
        n += (size_t)w;
        m = p + pl;
    }
    if (n + 1 < sizeof(out))
        snprintf(out + n, sizeof(out) - n, "%s", m);
    snprintf(e->msg, sizeof(e->msg), "%s", out);
}

int api_facade_sign(api_call *c, const api_facade_auth *au, api_facade_doc *docs, size_t n,
                    int *answered, sertel_err *err)
{
    sign_doc *sd = calloc(n > 0 ? n : 1, sizeof(*sd));
    int *outs = calloc(n > 0 ? n : 1, sizeof(*outs));
    char(*paths)[FD_PATH_MAX] = calloc(n > 0 ? n : 1, sizeof(*paths));
    sign_session *ss = NULL;
    ra_signer *sg = NULL;
    ra_sign_why why;
    sign_ctx sc;
    int rc = SERTEL_OK;
    size_t i;

    *answered = 0;
    memset(&why, 0, sizeof(why));
    if (sd == NULL || outs == NULL || paths == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < n; i++)
        outs[i] = -1;
    for (i = 0; i < n && rc == SERTEL_OK; i++) {
        docs[i].po.level = API_FACADE_LEVEL;
        snprintf(paths[i], FD_PATH_MAX, "/proc/self/fd/%d", docs[i].in_fd);
        sd[i].in_path = paths[i];
        sd[i].o = &docs[i].po;
        if ((outs[i] = spool_fd(c, err)) < 0)
            rc = SERTEL_ERR_IO;
        else
            rc = fs_output_open_fd(outs[i], "the signed file", c->a->spool_dir, FS_OUTPUT_SHA256,
                                   &sd[i].out, err);
    }
    if (rc != SERTEL_OK)
        goto out;
    memset(&sc, 0, sizeof(sc));
    sc.r = c->r;
    sc.services = c->a->services;
    sc.max_pages = c->a->max_pages;
    if (au->totp != NULL) {
        rc = ra_sign_session_use(c->r, &c->actor, au->email, au->email ? NULL : au->nik, au->totp,
                                 &sg, &why, err);
        if (rc == SERTEL_OK)
            rc = sign_session_adopt(&sc, sg, &ss, err); /* sg taken over */
    } else {
        rc = sign_session_open(&sc, &c->actor, au->email, au->email ? NULL : au->nik,
                               au->passphrase, au->code, &ss, &why, err);
    }
    if (rc == SERTEL_ERR_DENIED || (rc == SERTEL_ERR_INVALID && au->totp == NULL &&
                                    strstr(err->msg, "one-time code") != NULL)) {
        fprintf(stderr, "sertel: api: facade signing refused for %s: %s\n",
                ra_actor_name(&c->actor), err->msg);
        rc = api_facade_auth_fail(c, rc, err, &why, au->totp != NULL);
        *answered = 1;
        goto out;
    }
    if (rc != SERTEL_OK)
        goto out;
    rc = sign_pdf_batch(ss, sd, n, err);
    for (i = 0; i < n; i++)
        sd[i].out = NULL; /* taken over by the batch */
    if (rc != SERTEL_OK)
        goto out;
    for (i = 0; i < n; i++) {
        docs[i].rc = sd[i].rc;
        docs[i].err = sd[i].err;
        memcpy(docs[i].id, sd[i].id, sizeof(docs[i].id));
        if (docs[i].rc == SERTEL_OK)
            docs[i].rc = slurp(outs[i], &docs[i].pdf, &docs[i].len, &docs[i].err);
        if (docs[i].rc != SERTEL_OK)
            without_path(&docs[i].err, paths[i]);
    }
out:
    sign_session_close(ss);
    for (i = 0; sd != NULL && outs != NULL && i < n; i++) {
        fs_output_abort(sd[i].out);
        if (outs[i] >= 0)
            close(outs[i]);
    }
    free(sd);
    free(outs);
    free(paths);
    return rc;
}

void api_facade_docs_free(api_facade_doc *docs, size_t n)
{
    size_t i;

    for (i = 0; docs != NULL && i < n; i++) {
        pdf_image_free(&docs[i].img);
        free(docs[i].pdf);
        docs[i].pdf = NULL;
        if (docs[i].own_in && docs[i].in_fd >= 0)
            close(docs[i].in_fd);
        docs[i].in_fd = -1;
    }
}

/* ------------------------------------------------------------- base64 */

int api_facade_b64_decode(api_call *c, const char *field, const char *b64, size_t max,
                          unsigned char **out, size_t *len)
{
    const char *p = b64, *comma;
    size_t n, cap, got = 0;
    unsigned char *buf;

    *out = NULL;
    *len = 0;
    /* A data URI's prefix ("data:application/pdf;base64,") is tolerated, as clients send it. */
    if (strncmp(p, "data:", 5) == 0 && (comma = strchr(p, ',')) != NULL &&
        (size_t)(comma - p) < 128 && strstr(p, ";base64,") == comma - 7)
        p = comma + 1;
    n = strlen(p);
    cap = n / 4 * 3 + 3;
    if (n == 0 || cap > max + 3) {
        (void)api_error(c, 400, n == 0 ? "field_missing" : "field_invalid",
                        n == 0 ? "'%s' is empty" : "'%s' is larger than %zu bytes", field, max);
        return SERTEL_ERR_INVALID;
    }
    buf = malloc(cap);
    if (buf == NULL)
        return SERTEL_ERR_NOMEM;
    if (sodium_base642bin(buf, cap, p, n, " \t\r\n", &got, NULL, sodium_base64_VARIANT_ORIGINAL) !=
            0 ||
        got == 0 || got > max) {
        free(buf);
        (void)api_error(c, 400, "field_invalid", "'%s' is not base64 of at most %zu bytes", field,
                        max);
        return SERTEL_ERR_INVALID;
    }
    *out = buf;
    *len = got;
    return SERTEL_OK;
}

json_t *api_facade_b64_json(const unsigned char *data, size_t len)
{
    size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc(n);
    json_t *j;

    if (s == NULL)
        return NULL;
    sodium_bin2base64(s, n, data, len, sodium_base64_VARIANT_ORIGINAL);
    j = json_stringn_nocheck(s, strlen(s));
    free(s);
    return j;
}

/* ------------------------------------------------------------- uploads */

int api_facade_read_field(api_call *c, const http_field *f, size_t max, unsigned char **out,
                          size_t *len, sertel_err *err)
{
    unsigned char *buf;
    size_t got = 0;

    *out = NULL;
    *len = 0;
    if (f == NULL || f->fd < 0 || f->len == 0) {
        (void)api_error(c, 400, "field_missing", "'%s' must be a file", f ? f->name : "file");
        return SERTEL_ERR_INVALID;
    }
    if (f->len > max) {
        (void)api_error(c, 400, "field_invalid", "'%s' is larger than %zu bytes", f->name, max);
        return SERTEL_ERR_INVALID;
    }
    buf = malloc(f->len);
    if (buf == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    while (got < f->len) {
        ssize_t k = pread(f->fd, buf + got, f->len - got, (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            free(buf);
            return sertel_err_set(err, SERTEL_ERR_IO, "cannot read the uploaded '%s'", f->name);
        }
        got += (size_t)k;
    }
    *out = buf;
    *len = got;
    return SERTEL_OK;
}

/* --------------------------------------------------------- validation */

int api_facade_verify(api_call *c, const unsigned char *pdf, size_t len, const char *password,
                      vfy_report **out, sertel_err *err)
{
    ca_ctx *ca = ra_get0_ca(c->r);
    STACK_OF(X509) *trust = sk_X509_new_null();
    X509 *root = ca_get0_root_cert(ca);
    const char *allow[1];
    vfy_opts o;
    int rc;

    *out = NULL;
    if (trust == NULL || root == NULL || !X509_up_ref(root)) {
        sk_X509_free(trust);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot hold the trust anchor");
    }
    if (!sk_X509_push(trust, root)) {
        X509_free(root);
        sk_X509_free(trust);
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "cannot hold the trust anchor");
    }
    memset(&o, 0, sizeof(o));
    o.trust = trust;
    o.password = password;
    /* As `sertel verify` with this home: its own base URL may be fetched whatever its
     * address; every other URL of the document only on public addresses. */
    allow[0] = conf_get_default(ca_get0_conf(ca), "ca", "base_url", CA_DEFAULT_BASE_URL);
    o.fetch.allow = allow;
    o.fetch.n_allow = 1;
    /* Parsed and checked in the API's sandbox worker (no keys, no files, no network). */
    rc = pdf_verify_mem_sb(c->a->sb, pdf, len, &o, out, err);
    sk_X509_pop_free(trust, X509_free);
    return rc;
}

/* The CN of an RFC 2253 name ("CN=Rina,O=..."), or the whole name when it has none. */
static void common_name(const char *dn, char *out, size_t cap)
{
    const char *p = dn;
    size_t n = 0;

    while (*p) {
        if ((p == dn || p[-1] == ',') && strncmp(p, "CN=", 3) == 0) {
            p += 3;
            while (p[n] && !(p[n] == ',' && (n == 0 || p[n - 1] != '\\')) && n + 1 < cap)
                n++;
            memcpy(out, p, n);
            out[n] = '\0';
            return;
        }
        p++;
    }
    snprintf(out, cap, "%.*s", (int)(cap > 0 ? cap - 1 : 0), dn);
}

/* "from - to" of a certificate's validity, or "" when unknown. */
static void validity(const char *from, const char *to, char *out, size_t cap)
{
    if (from[0] == '\0' && to[0] == '\0')
        out[0] = '\0';
    else
        snprintf(out, cap, "%s - %s", from, to);
}

/*
 * A JSON string of text from a document (a field name, a reason): as it is
 * when UTF-8, else with every byte outside ASCII shown as '?'. NULL only
 * when out of memory.
 */
static json_t *js(const char *s)
{
    json_t *j = json_string(s);
    char *copy;
    size_t i;

    if (j != NULL)
        return j;
    copy = strdup(s);
    if (copy == NULL)
        return NULL;
    for (i = 0; copy[i]; i++)
        if ((unsigned char)copy[i] >= 0x80)
            copy[i] = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

/* Build an object member by member; any failure makes the whole answer fail (never a gap). */
typedef struct jb {
    int bad;
} jb;

static void put(jb *b, json_t *o, const char *key, json_t *v)
{
    if (o == NULL || v == NULL || json_object_set_new(o, key, v) != 0) {
        if (o == NULL || v == NULL)
            json_decref(v);
        b->bad = 1;
    }
}

static void push(jb *b, json_t *a, json_t *v)
{
    if (a == NULL || v == NULL || json_array_append_new(a, v) != 0) {
        if (a == NULL || v == NULL)
            json_decref(v);
        b->bad = 1;
    }
}

static int sig_counts(const vfy_sig *s)
{
    return !s->doc_timestamp; /* document time-stamps are not signatures of a person */
}

/* Why the document is not valid, and the document's own notes, as one text. */
static json_t *notes_text(const vfy_report *r)
{
    char buf[4096];
    size_t o = 0, i, k;

    buf[0] = '\0';
    for (i = 0; i < r->n_notes; i++)
        o += (size_t)snprintf(buf + o, o < sizeof(buf) ? sizeof(buf) - o : 0, "%s%s", o ? "; " : "",
                              r->notes[i]);
    for (i = 0; i < r->n_sigs; i++)
        for (k = 0; k < r->sigs[i].n_reasons; k++)
            o += (size_t)snprintf(
                buf + o, o < sizeof(buf) ? sizeof(buf) - o : 0, "%s%s: %s", o ? "; " : "",
                r->sigs[i].field[0] ? r->sigs[i].field : "signature", r->sigs[i].reasons[k]);
    if (o >= sizeof(buf))
        memcpy(buf + sizeof(buf) - 4, "...", 4);
    return js(buf);
}

static int doc_valid(const vfy_report *r)
{
    size_t i, n = 0;

    for (i = 0; i < r->n_sigs; i++)
        n += (size_t)sig_counts(&r->sigs[i]);
    return n > 0 && r->conclusion == VFY_TOTAL_PASSED;
}

json_t *api_facade_verify_v1(const vfy_report *r, const char *name)
{
    json_t *o = json_object(), *details = json_array();
    char tsa[512], v1[100], v2[100];
    size_t i, n = 0;
    jb b = {0};

    for (i = 0; i < r->n_sigs && !b.bad; i++) {
        const vfy_sig *s = &r->sigs[i];
        json_t *d = json_object(), *t = json_object(), *g = json_object(), *doc = json_object();
        if (!sig_counts(s)) {
            json_decref(d);
            json_decref(t);
            json_decref(g);
            json_decref(doc);
            continue;
        }
        n++;
        common_name(s->timestamp_tsa, tsa, sizeof(tsa));
        validity(s->tsa_not_before, s->tsa_not_after, v1, sizeof(v1));
        validity(s->signer_not_before, s->signer_not_after, v2, sizeof(v2));
        put(&b, t, "name", js(s->has_timestamp ? tsa : ""));
        put(&b, t, "tsa_cert_validity", js(s->has_timestamp ? v1 : ""));
        put(&b, g, "issuer_dn", js(s->signer_issuer));
        put(&b, g, "signer_dn", js(s->signer_subject));
        put(&b, g, "signer_name", js(s->signer_name));
        put(&b, g, "signer_cert_validity", js(v2));
        put(&b, g, "cert_user_certified",
            json_boolean(strcmp(s->certificate_status, "valid") == 0));
        put(&b, doc, "signed_in", js(s->has_timestamp ? s->timestamp_time : s->claimed_time));
        put(&b, doc, "signed_using_tsa", json_boolean(s->has_timestamp));
        put(&b, doc, "document_integrity",
            json_boolean(s->integrity && !s->modified_after_signing));
        put(&b, doc, "reason", js(s->reason));
        put(&b, doc, "location", js(s->location));
        put(&b, doc, "hash_value", js(s->hash_value));
        put(&b, doc, "signature_value", js(s->signature_value));
        put(&b, d, "signature_field", js(s->field));
        put(&b, d, "info_tsa", t);
        put(&b, d, "info_signer", g);
        put(&b, d, "signature_document", doc);
        push(&b, details, d);
    }
    put(&b, o, "nama_dokumen", js(name));
    put(&b, o, "jumlah_signature", json_integer((json_int_t)n));
    put(&b, o, "notes", notes_text(r));
    put(&b, o, "summary",
        json_string(doc_valid(r) ? "DOCUMENT VALID !!!" : "DOCUMENT NOT VALID !!!"));
    put(&b, o, "details", details);
    if (b.bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static const char *conclusion_word(vfy_conclusion c)
{
    return c == VFY_TOTAL_PASSED ? "VALID" : c == VFY_INDETERMINATE ? "INDETERMINATE" : "INVALID";
}

json_t *api_facade_verify_v2(const vfy_report *r, api_lang lang)
{
    json_t *o = json_object(), *infos = json_array();
    const char *concl, *desc;
    size_t i, k, n = 0;
    jb b = {0};

    for (i = 0; i < r->n_sigs && !b.bad; i++) {
        const vfy_sig *s = &r->sigs[i];
        json_t *e, *cd, *reasons;
        if (!sig_counts(s))
            continue;
        n++;
        e = json_object();
        cd = json_object();
        reasons = json_array();
        for (k = 0; k < s->n_reasons; k++)
            push(&b, reasons, js(s->reasons[k]));
        put(&b, e, "id", json_integer((json_int_t)n));
        put(&b, e, "fieldName", js(s->field));
        put(&b, e, "signerName", js(s->signer_name));
        put(&b, e, "signatureDate", js(s->has_timestamp ? s->timestamp_time : s->claimed_time));
        put(&b, e, "reason", js(s->reason));
        put(&b, e, "location", js(s->location));
        put(&b, e, "signatureFormat", js(s->level));
        put(&b, e, "integrityValid", json_boolean(s->integrity));
        put(&b, e, "certificateTrusted", json_boolean(strcmp(s->certificate_status, "valid") == 0));
        put(&b, e, "timestamped", json_boolean(s->has_timestamp));
        put(&b, e, "timestampDate", js(s->timestamp_time));
        put(&b, e, "tsaName", js(s->timestamp_tsa));
        put(&b, e, "modifiedAfterSigning", json_boolean(s->modified_after_signing));
        put(&b, e, "conclusion", json_string(conclusion_word(s->conclusion)));
        put(&b, e, "subIndication", js(s->sub_indication));
        put(&b, e, "revocation", js(s->revocation));
        put(&b, cd, "subjectDN", js(s->signer_subject));
        put(&b, cd, "issuerDN", js(s->signer_issuer));
        put(&b, cd, "serialNumber", js(s->signer_serial));
        put(&b, cd, "notBeforeDate", js(s->signer_not_before));
        put(&b, cd, "notAfterDate", js(s->signer_not_after));
        put(&b, cd, "status", js(s->certificate_status));
        put(&b, e, "certificateDetails", cd);
        put(&b, e, "reasons", reasons);
        push(&b, infos, e);
    }
    if (n == 0) {
        concl = "NO_SIGNATURE";
        desc = lang == API_LANG_EN ? "The document has no signature."
                                   : "Dokumen tidak memiliki tanda tangan elektronik.";
    } else if (r->conclusion == VFY_TOTAL_PASSED) {
        concl = "VALID";
        desc = lang == API_LANG_EN ? "Every signature of the document is valid."
                                   : "Seluruh tanda tangan elektronik pada dokumen valid.";
    } else if (r->conclusion == VFY_INDETERMINATE) {
        concl = "INDETERMINATE";
        desc = lang == API_LANG_EN ? "A signature could not be confirmed (see its reasons)."
                                   : "Ada tanda tangan yang tidak dapat dipastikan keabsahannya "
                                     "(lihat alasannya).";
    } else {
        concl = "INVALID";
        desc = lang == API_LANG_EN ? "A signature of the document is not valid."
                                   : "Ada tanda tangan elektronik pada dokumen yang tidak valid.";
    }
    put(&b, o, "conclusion", json_string(concl));
    put(&b, o, "description", json_string(desc));
    put(&b, o, "signatureCount", json_integer((json_int_t)n));
    put(&b, o, "signatureInformations", infos);
    put(&b, o, "notes", notes_text(r));
    if (b.bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
