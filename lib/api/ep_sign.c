/*
 * ep_sign.c - owners sign over the API, and anyone has a document checked
 * (issue 12, items 3 and 6):
 *
 *   POST /api/v1/sign         multipart: file (PDF), passphrase, code, the stamp's fields;
 *                             the owner is the logged-in person, or for an API client with
 *                             the sign scope nik / email of its agency's person.
 *                             Answers the signed PDF (application/pdf, attachment,
 *                             X-Document-Id) or, with Accept: application/json,
 *                             {document_id, file_base64}.
 *   POST /api/v1/sign/batch   the same with up to [api] batch_max_files `file` parts under
 *                             ONE authorization: {documents: [{file, document_id,
 *                             file_base64} | {file, error}], signed, failed}.
 *   POST /api/v1/verify       multipart file: the validation report, the JSON of
 *                             `sertel verify --json` (docs/verify-json.md), through the same
 *                             library call the command makes (pdf_verify_file).
 *
 * The signing itself is the library's operation (lib/sign: one
 * authorization, the document id drawn before signing so the QR code is
 * <base_url>/verify/<id>, the register written before the file is
 * answered). Signing and validation run on the API's pools (pool.c), off
 * the server's event loop: a full queue answers 429 with Retry-After at
 * once.
 *
 * Stamp fields (text parts): visible (true|false), page (N|first|last),
 * x, y, width, height (points), marker (e.g. #ttd#, instead of x/y),
 * reason, location, contact, text, footer (true|false), qr (the QR code's
 * text instead of the document's link), level (B-B|B-T|B-LT|B-LTA,
 * default B-T: the signing time comes from the home's TSA), certify
 * (1|2|3), pdf_password; image (a file part: PNG or JPEG).
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api_int.h"
#include "pdf/image_job.h"
#include "ca/ca.h"
#include "pdf/verify.h"
#include "pdf/verify_job.h"
#include "sign/sign.h"
#include "util/dynbuf.h"
#include "util/num.h"
#include "util/text.h"

#define SECRET_MAX 1024
#define FIELD_MAX 200
#define FD_PATH_MAX 40

/* The path that opens a spooled upload again ("/proc/self/fd/N"). */
static void fd_path(int fd, char out[FD_PATH_MAX])
{
    snprintf(out, FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

/* A text field of the form (NULL when absent); values are NUL-terminated by the server. */
static const char *form_text(api_call *c, const char *name)
{
    const http_field *f = http_form_field(c->req, name);

    return f != NULL && f->fd < 0 ? (const char *)f->value : NULL;
}

/* "true" / "false" / absent (dflt). -1 when it is something else. */
static int form_bool(api_call *c, const char *name, int dflt)
{
    const char *v = form_text(c, name);

    if (v == NULL || v[0] == '\0')
        return dflt;
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        return 1;
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        return 0;
    return -1;
}

/* Wipe a secret text field the server holds (its value is writable memory of the request). */
static void wipe_field(api_call *c, const char *name)
{
    const http_field *f = http_form_field(c->req, name);

    if (f != NULL && f->fd < 0 && f->value != NULL)
        sodium_memzero((void *)f->value, f->len);
}

/* The options a form asks for (pades_opts and the image), or the 400 answer written. */
typedef struct stamp_in {
    pades_opts po;
    pdf_image img;
    int has_img;
} stamp_in;

static int bad_field(api_call *c, const char *name, const char *what)
{
    (void)api_error(c, 400, "field_invalid", "'%s' %s", name, what);
    return SERTEL_ERR_INVALID;
}

static int parse_stamp(api_call *c, stamp_in *s)
{
    static const char *const texts[] = {"reason", "location", "contact", "text"};
    pdf_sign_opts *o = &s->po.sign;
    const char *v;
    const http_field *img;
    double *rect = o->rect;
    static const char *const coords[] = {"x", "y", "width", "height"};
    int has_xy = 0, has_size = 0, vis, b;
    size_t i;
    sertel_err e = {0};

    memset(s, 0, sizeof(*s));
    s->po.level = PADES_B_T;
    for (i = 0; i < 4; i++) {
        v = form_text(c, texts[i]);
        if (v != NULL && text_check_field(texts[i], v, FIELD_MAX, &e) != SERTEL_OK)
            return bad_field(c, texts[i], "must be printable UTF-8 text of at most 200 bytes");
    }
    o->reason = form_text(c, "reason");
    o->location = form_text(c, "location");
    o->contact = form_text(c, "contact");
    o->stamp_text = form_text(c, "text");
    o->password = form_text(c, "pdf_password");
    if ((v = form_text(c, "level")) != NULL && pades_level_parse(v, &s->po.level) != 0)
        return bad_field(c, "level", "must be B-B, B-T, B-LT or B-LTA");
    if ((v = form_text(c, "certify")) != NULL) {
        if (strlen(v) != 1 || v[0] < '1' || v[0] > '3')
            return bad_field(c, "certify", "must be 1, 2 or 3 (the DocMDP permission)");
        o->certify = v[0] - '0';
    }
    if ((v = form_text(c, "page")) != NULL) {
        int64_t p;
        if (strcmp(v, "first") == 0)
            o->page = 1;
        else if (strcmp(v, "last") == 0)
            o->page = PDF_PAGE_LAST;
        else if (num_parse_i64z(v, 1, 10000000, &p) == SERTEL_OK)
            o->page = (size_t)p;
        else
            return bad_field(c, "page", "must be a page number from 1, first or last");
    }
    for (i = 0; i < 4; i++) {
        double d;
        if ((v = form_text(c, coords[i])) == NULL)
            continue;
        if (num_parse_decimal_list(v, ',', 0, 14400, &d, 1) != SERTEL_OK)
            return bad_field(c, coords[i], "must be a number of points from 0 to 14400");
        rect[i] = d;
        if (i < 2)
            has_xy = 1;
        else
            has_size = 1;
    }
    if ((v = form_text(c, "marker")) != NULL && v[0] != '\0') {
        if (strlen(v) > 128)
            return bad_field(c, "marker", "is at most 128 bytes");
        if (has_xy)
            return bad_field(c, "marker", "goes instead of x and y, not with them");
        o->marker = v;
    }
    if ((v = form_text(c, "qr")) != NULL && v[0] != '\0') {
        if (strlen(v) >= SIGN_QR_MAX || text_check_field("qr", v, SIGN_QR_MAX - 1, &e) != SERTEL_OK)
            return bad_field(c, "qr", "must be printable text of at most 511 bytes");
        o->qr_text = v;
    }
    vis = form_bool(c, "visible", o->marker != NULL || has_xy);
    b = form_bool(c, "footer", 0);
    if (vis < 0 || b < 0)
        return bad_field(c, vis < 0 ? "visible" : "footer", "must be true or false");
    o->visible = vis;
    o->footer = b;
    if (o->visible && o->marker == NULL && (!has_xy || rect[2] <= 0 || rect[3] <= 0))
        return bad_field(c, "visible",
                         "needs x, y, width and height in points (or marker, e.g. #ttd#)");
    if (o->visible && o->marker != NULL && !has_size) {
        rect[2] = 0; /* the library's default size */
        rect[3] = 0;
    }
    img = http_form_field(c->req, "image");
    if (img != NULL) {
        unsigned char *buf = NULL;
        ssize_t n;
        if (!o->visible)
            return bad_field(c, "image", "goes with a visible stamp");
        if (img->fd < 0 || img->len == 0 || img->len > PDF_IMAGE_MAX_FILE)
            return bad_field(c, "image", "must be a PNG or JPEG file of at most 4 MiB");
        buf = malloc(img->len);
        if (buf == NULL)
            return SERTEL_ERR_NOMEM;
        n = pread(img->fd, buf, img->len, 0);
        if (n < 0 || (size_t)n != img->len ||
            pdf_image_load_sb(c->a->sb, buf, img->len, &s->img, &e) != SERTEL_OK) {
            free(buf);
            return bad_field(c, "image", "must be a PNG or JPEG file (4096 x 4096 pixels at most)");
        }
        free(buf);
        s->has_img = 1;
        o->image = &s->img;
    }
    if (!o->visible && (o->qr_text != NULL || o->footer || o->stamp_text != NULL) &&
        o->field == NULL)
        return bad_field(c, "visible", "must be true for qr, footer and text");
    return SERTEL_OK;
}

/* The owner named by the request: the logged-in person, or a client's nik / email. */
static int owner_of(api_call *c, const char **email, const char **nik)
{
    *email = NULL;
    *nik = NULL;
    if (!c->by_client) {
        *email = c->actor.email;
        return SERTEL_OK;
    }
    *nik = form_text(c, "nik");
    *email = form_text(c, "email");
    if ((*nik == NULL || (*nik)[0] == '\0') && (*email == NULL || (*email)[0] == '\0')) {
        (void)api_error(c, 400, "field_missing", "'nik' or 'email' names the owner");
        return SERTEL_ERR_INVALID;
    }
    if (*nik != NULL && (*nik)[0] != '\0') {
        *email = NULL;
        if (strlen(*nik) != 16 || strspn(*nik, "0123456789") != 16)
            return bad_field(c, "nik", "must be 16 digits");
    } else {
        *nik = NULL;
        if (strlen(*email) > 254)
            return bad_field(c, "email", "is at most 254 bytes");
    }
    return SERTEL_OK;
}

/* The answer for a refused authorization (the library's one message stays in the log). */
static int refused(api_call *c, const ra_sign_why *why)
{
    char buf[24];
    json_t *o, *e;

    switch (why->refusal) {
    case RA_REFUSAL_LOCKED:
        if (why->retry_after > 0) {
            snprintf(buf, sizeof(buf), "%lld", (long long)why->retry_after);
            (void)http_response_header(c->resp, "Retry-After", buf);
        }
        if (why->retry_after > 0)
            return api_error(c, 423, "signing_locked", "signing is locked for %lld more seconds",
                             (long long)why->retry_after);
        return api_error(c, 423, "signing_locked", "signing is locked until a verifier unlocks it");
    case RA_REFUSAL_STATUS:
        e = json_pack("{s:s, s:s, s:s}", "code", "cannot_sign", "message",
                      api_message("cannot_sign", c->lang), "status", ra_status_name(why->status));
        o = e != NULL ? json_pack("{s:o}", "error", e) : NULL;
        return api_json(c, 409, o);
    default:
        return api_error(c, 403, "passphrase_wrong", NULL);
    }
}

/* The library's message about a document, without the spool path it names. */
static void file_detail(const sertel_err *e, const char *path, char *out, size_t cap)
{
    const char *m = e->msg, *p;
    size_t n = 0, pl = strlen(path);

    while ((p = strstr(m, path)) != NULL && n + 1 < cap) {
        int w = snprintf(out + n, cap - n, "%.*s%s", (int)(p - m), m, "the file");
        if (w < 0 || (size_t)w >= cap - n) {
            n = cap - 1;
            break;
        }
        n += (size_t)w;
        m = p + pl;
    }
    if (n + 1 < cap)
        snprintf(out + n, cap - n, "%s", m);
}

/* The error object for a document that was not signed. */
static json_t *doc_error(api_call *c, int rc, const sertel_err *e, const char *path)
{
    char detail[SERTEL_ERR_MSG_MAX];
    const char *code;

    switch (rc) {
    case SERTEL_ERR_INVALID:
    case SERTEL_ERR_UNSUPPORTED:
    case SERTEL_ERR_DENIED:
    case SERTEL_ERR_TAMPERED:
    case SERTEL_ERR_NOTFOUND:
        code = "file_invalid";
        break;
    case SERTEL_ERR_BUSY:
    case SERTEL_ERR_STORE:
        code = "busy";
        break;
    default:
        fprintf(stderr, "sertel: api: sign: %s: %s\n", sertel_rc_name(rc), e->msg);
        return json_pack("{s:s, s:s}", "code", "internal", "message",
                         api_message("internal", c->lang));
    }
    file_detail(e, path, detail, sizeof(detail));
    return json_pack("{s:s, s:s, s:s?}", "code", code, "message", api_message(code, c->lang),
                     "detail", code[0] == 'f' && json_string(detail) != NULL ? detail : NULL);
}

/* A new unnamed file in the spool for an answer (-1 after answering 500). */
static int spool_file(api_call *c)
{
    int fd = open(c->a->spool_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

    if (fd < 0)
        fprintf(stderr, "sertel: api: cannot create an answer file in %s: %s\n", c->a->spool_dir,
                strerror(errno));
    return fd;
}

/* The whole of a file (its size now) into memory. */
static int slurp(int fd, unsigned char **out, size_t *len)
{
    struct stat st;
    unsigned char *b;

    *out = NULL;
    *len = 0;
    if (fstat(fd, &st) != 0 || st.st_size < 0)
        return SERTEL_ERR_IO;
    b = malloc((size_t)st.st_size + 1);
    if (b == NULL)
        return SERTEL_ERR_NOMEM;
    if (pread(fd, b, (size_t)st.st_size, 0) != st.st_size) {
        free(b);
        return SERTEL_ERR_IO;
    }
    *out = b;
    *len = (size_t)st.st_size;
    return SERTEL_OK;
}

/*
 * Append the base64 of the whole file fd (its size now) to b, read in
 * blocks: no copy of the file in memory, and no JSON escaping (the
 * alphabet is plain ASCII) - jansson would escape a multi-megabyte string
 * byte by byte.
 */
static int add_b64_file(dynbuf *b, int fd)
{
    unsigned char blk[3 * 16384];
    off_t at = 0;

    for (;;) {
        ssize_t n = pread(fd, blk, sizeof(blk), at);
        size_t need;
        unsigned char *dst;
        if (n < 0)
            return SERTEL_ERR_IO;
        if (n == 0)
            return SERTEL_OK;
        need = sodium_base64_encoded_len((size_t)n, sodium_base64_VARIANT_ORIGINAL);
        if ((dst = dynbuf_reserve(b, need, NULL)) == NULL)
            return SERTEL_ERR_NOMEM;
        sodium_bin2base64((char *)dst, need, blk, (size_t)n, sodium_base64_VARIANT_ORIGINAL);
        dynbuf_advance(b, need - 1);
        at += n;
    }
}

/* Append a JSON value's text (stolen). */
static int add_json(dynbuf *b, json_t *v)
{
    char *t =
        v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) : NULL;
    int rc = t != NULL ? dynbuf_addstr(b, t) : SERTEL_ERR_NOMEM;

    free(t);
    json_decref(v);
    return rc;
}

static bool wants_json(api_call *c)
{
    const char *acc = http_header(c->req, "Accept");

    return acc != NULL && strstr(acc, "application/json") != NULL;
}

/* A client's file name for the answer's JSON: printable, at most 200 bytes; else "". */
static const char *shown_name(const http_field *f)
{
    sertel_err e = {0};

    if (f->filename == NULL || text_check_field("file", f->filename, FIELD_MAX, &e) != SERTEL_OK)
        return "";
    return f->filename;
}

/* Everything a signing request shares, before the key is touched. */
typedef struct sign_req {
    const char *email, *nik, *passphrase, *code;
    stamp_in st;
    const http_field *files[HTTP_FORM_MAX_FIELDS];
    size_t nfiles;
} sign_req;

/* Read and check the request; on SERTEL_OK the caller signs, else the answer is written. */
static int read_request(api_call *c, sign_req *q, size_t max_files)
{
    size_t i;
    int rc;

    memset(q, 0, sizeof(*q));
    /* Only who may sign for someone gets any further (the policy table's reach). */
    if (ra_policy_reach(&c->actor, RA_ACT_SIGN) == RA_REACH_NONE) {
        (void)api_error(c, 403, "forbidden", NULL);
        return SERTEL_ERR_DENIED;
    }
    if ((rc = owner_of(c, &q->email, &q->nik)) != SERTEL_OK)
        return rc; /* answered */
    q->passphrase = form_text(c, "passphrase");
    q->code = form_text(c, "code");
    if (q->passphrase == NULL || q->passphrase[0] == '\0') {
        (void)api_error(c, 400, "field_missing", "'passphrase' is required");
        return SERTEL_ERR_INVALID;
    }
    if (strlen(q->passphrase) > SECRET_MAX || (q->code != NULL && strlen(q->code) > 16))
        return bad_field(c, strlen(q->passphrase) > SECRET_MAX ? "passphrase" : "code",
                         "is too long");
    for (i = 0; i < c->req->nfields; i++) {
        const http_field *f = &c->req->fields[i];
        if (strcmp(f->name, "file") != 0)
            continue;
        if (f->fd < 0)
            return bad_field(c, "file", "must be a file part (multipart/form-data)");
        if (q->nfiles == max_files) {
            (void)api_error(c, 413, "too_many_files", "at most %zu files in one request",
                            max_files);
            return SERTEL_ERR_INVALID;
        }
        q->files[q->nfiles++] = f;
    }
    if (q->nfiles == 0) {
        (void)api_error(c, 400, "field_missing", "'file' (the PDF) is required");
        return SERTEL_ERR_INVALID;
    }
    return parse_stamp(c, &q->st);
}

/*
 * Sign the request's files under one authorization. On SERTEL_OK *ok is 1
 * and the documents are signed or failed one by one (docs[i].rc), answers
 * in fds[i]; *ok 0: the answer (refusal, busy) is written.
 */
static int sign_files(api_call *c, sign_req *q, sign_doc *docs, int *fds,
                      char (*paths)[FD_PATH_MAX], int *ok, sertel_err *err)
{
    sign_ctx sc;
    sign_session *ss = NULL;
    ra_sign_why why;
    size_t i;
    int rc;

    *ok = 0;
    for (i = 0; i < q->nfiles; i++) {
        fds[i] = -1;
        docs[i].out = NULL;
    }
    for (i = 0; i < q->nfiles; i++) {
        if ((fds[i] = spool_file(c)) < 0)
            return sertel_err_set(err, SERTEL_ERR_IO, "cannot create an answer file");
        fd_path(q->files[i]->fd, paths[i]);
        docs[i].in_path = paths[i];
        docs[i].name = shown_name(q->files[i])[0] != '\0' ? shown_name(q->files[i]) : NULL;
        docs[i].o = &q->st.po;
        rc = fs_output_open_fd(fds[i], "the signed file", c->a->spool_dir, FS_OUTPUT_SHA256,
                               &docs[i].out, err);
        if (rc != SERTEL_OK)
            goto fail;
    }
    /* (This runs on the signing pool's workers.) */
    memset(&sc, 0, sizeof(sc));
    sc.r = c->r;
    sc.services = c->a->services;
    sc.max_pages = c->a->max_pages;
    /* At most [api] sign_memory_mib worth of derivations at once, whatever the workers. */
    while (sem_wait(&c->a->kdf_slots) != 0)
        ;
    rc =
        sign_session_open(&sc, &c->actor, q->email, q->nik, q->passphrase, q->code, &ss, &why, err);
    sem_post(&c->a->kdf_slots);
    wipe_field(c, "passphrase");
    wipe_field(c, "code");
    if (rc == SERTEL_ERR_DENIED && why.refusal != RA_REFUSAL_NONE) {
        fprintf(stderr, "sertel: api: sign refused for %s: %s\n", ra_actor_name(&c->actor),
                err->msg);
        sertel_err_clear(err);
        rc = refused(c, &why);
        goto fail;
    }
    if (rc == SERTEL_ERR_INVALID && q->code == NULL && strstr(err->msg, "one-time code") != NULL) {
        rc = api_error(c, 400, "code_required", NULL);
        goto fail;
    }
    if (rc != SERTEL_OK)
        goto fail;
    rc = sign_pdf_batch(ss, docs, q->nfiles, err);
    sign_session_close(ss);
    for (i = 0; i < q->nfiles; i++)
        docs[i].out = NULL; /* taken over by the batch */
    if (rc != SERTEL_OK)
        return rc;
    *ok = 1;
    return SERTEL_OK;
fail:
    for (i = 0; i < q->nfiles; i++) {
        fs_output_abort(docs[i].out);
        docs[i].out = NULL;
    }
    return rc;
}

static void close_all(int *fds, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

static int sign_one(api_call *c, sertel_err *err)
{
    sign_req q;
    sign_doc doc;
    int fd = -1, ok = 0, rc;
    char path[1][FD_PATH_MAX];
    unsigned char *pdf = NULL;
    size_t len = 0;
    char disp[80];

    memset(&doc, 0, sizeof(doc));
    rc = read_request(c, &q, 1);
    if (rc != SERTEL_OK) {
        rc = rc == SERTEL_ERR_NOMEM ? rc : SERTEL_OK;
        goto out;
    }
    if ((rc = sign_files(c, &q, &doc, &fd, path, &ok, err)) != SERTEL_OK || !ok)
        goto out;
    if (doc.rc != SERTEL_OK) {
        json_t *e = doc_error(c, doc.rc, &doc.err, path[0]);
        int st = strcmp(json_string_value(json_object_get(e, "code")), "file_invalid") == 0 ? 400
                 : strcmp(json_string_value(json_object_get(e, "code")), "busy") == 0       ? 503
                                                                                            : 500;
        rc = api_json(c, st, json_pack("{s:o}", "error", e));
        goto out;
    }
    (void)http_response_header(c->resp, "X-Document-Id", doc.id);
    if (wants_json(c)) {
        dynbuf b;
        dynbuf_init(&b, 0);
        dynbuf_addf(&b, "{\"document_id\":\"%s\",\"file_base64\":\"", doc.id);
        rc = add_b64_file(&b, fd);
        dynbuf_addstr(&b, "\"}");
        if (rc == SERTEL_OK)
            rc = api_json_text(c, &b);
        dynbuf_free(&b);
        if (rc != SERTEL_OK)
            sertel_err_set(err, rc, "cannot answer the signed file");
        goto out;
    }
    if ((rc = slurp(fd, &pdf, &len)) != SERTEL_OK) {
        sertel_err_set(err, rc, "cannot read the signed file back");
        goto out;
    }
    snprintf(disp, sizeof(disp), "attachment; filename=\"%s.pdf\"", doc.id);
    (void)http_response_header(c->resp, "Content-Disposition", disp);
    c->resp->status = 200;
    snprintf(c->resp->content_type, sizeof(c->resp->content_type), "application/pdf");
    c->resp->body = pdf;
    c->resp->len = len;
    c->resp->body_free = free;
    pdf = NULL;
    rc = SERTEL_OK;
out:
    wipe_field(c, "passphrase");
    wipe_field(c, "code");
    free(pdf);
    if (fd >= 0)
        close(fd);
    pdf_image_free(&q.st.img);
    return rc;
}

static int sign_batch(api_call *c, sertel_err *err)
{
    sign_req q;
    sign_doc *docs = NULL;
    int *fds = NULL, ok = 0, rc;
    char(*paths)[FD_PATH_MAX] = NULL;
    dynbuf ans;
    size_t i, nsigned = 0;

    memset(&q, 0, sizeof(q));
    dynbuf_init(&ans, 0);
    rc = read_request(c, &q, c->a->batch_max_files);
    if (rc != SERTEL_OK) {
        rc = rc == SERTEL_ERR_NOMEM ? rc : SERTEL_OK;
        goto out;
    }
    docs = calloc(q.nfiles, sizeof(*docs));
    fds = calloc(q.nfiles, sizeof(*fds));
    paths = calloc(q.nfiles, sizeof(*paths));
    if (docs == NULL || fds == NULL || paths == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < q.nfiles; i++)
        fds[i] = -1;
    if ((rc = sign_files(c, &q, docs, fds, paths, &ok, err)) != SERTEL_OK || !ok)
        goto out;
    dynbuf_addstr(&ans, "{\"documents\":[");
    for (i = 0; i < q.nfiles; i++) {
        dynbuf_addstr(&ans, i > 0 ? ",{\"file\":" : "{\"file\":");
        add_json(&ans, json_string(shown_name(q.files[i])));
        if (docs[i].rc == SERTEL_OK) {
            dynbuf_addf(&ans, ",\"document_id\":\"%s\",\"file_base64\":\"", docs[i].id);
            if ((rc = add_b64_file(&ans, fds[i])) != SERTEL_OK) {
                sertel_err_set(err, rc, "cannot answer the signed files");
                goto out;
            }
            dynbuf_addstr(&ans, "\"}");
            nsigned++;
        } else {
            dynbuf_addstr(&ans, ",\"error\":");
            add_json(&ans, doc_error(c, docs[i].rc, &docs[i].err, paths[i]));
            dynbuf_addstr(&ans, "}");
        }
        /* Each answer file is read once: give its disk space back early. */
        close(fds[i]);
        fds[i] = -1;
    }
    dynbuf_addf(&ans, "],\"signed\":%zu,\"failed\":%zu}", nsigned, q.nfiles - nsigned);
    rc = api_json_text(c, &ans);
out:
    wipe_field(c, "passphrase");
    wipe_field(c, "code");
    dynbuf_free(&ans);
    if (fds != NULL)
        close_all(fds, q.nfiles);
    free(fds);
    free(docs);
    free(paths);
    pdf_image_free(&q.st.img);
    return rc;
}

/* The home's root as the trust anchor, as `sertel verify` takes it (certs/root.pem, else the CA's).
 */
static STACK_OF(X509) * home_trust(api_call *c)
{
    STACK_OF(X509) *st = sk_X509_new_null();
    X509 *root = ca_get0_root_cert(ra_get0_ca(c->r));

    if (st != NULL && root != NULL && X509_up_ref(root) && !sk_X509_push(st, root))
        X509_free(root);
    return st;
}

static int verify(api_call *c, sertel_err *err)
{
    const http_field *f = http_form_field(c->req, "file");
    STACK_OF(X509) *trust = NULL;
    const char *allow[1];
    char path[FD_PATH_MAX], base[512];
    vfy_opts o;
    vfy_report *rep = NULL;
    int rc;

    if (f == NULL || f->fd < 0) {
        (void)api_error(c, 400, "field_missing", "'file' (the signed PDF) is required");
        return SERTEL_OK;
    }
    memset(&o, 0, sizeof(o));
    trust = home_trust(c);
    if (trust == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    o.trust = trust;
    o.password = form_text(c, "pdf_password");
    /* As the command: the home's own base URL may be fetched whatever its address. */
    if (ca_home_base_url(c->a->home, base, sizeof(base), err) == SERTEL_OK) {
        allow[0] = base;
        o.fetch.allow = allow;
        o.fetch.n_allow = 1;
    }
    sertel_err_clear(err);
    fd_path(f->fd, path);
    /* Parsed and checked in the API's sandbox worker (no keys, no files, no network). */
    rc = pdf_verify_file_sb(c->a->sb, path, &o, &rep, err);
    if (rc == SERTEL_ERR_INVALID || rc == SERTEL_ERR_UNSUPPORTED || rc == SERTEL_ERR_DENIED) {
        char detail[SERTEL_ERR_MSG_MAX];
        file_detail(err, path, detail, sizeof(detail));
        sertel_err_clear(err);
        rc = api_error(c, 400, "file_invalid", "%s", detail);
        goto out;
    }
    if (rc != SERTEL_OK)
        goto out;
    rc = api_json(c, 200, vfy_report_json(rep, shown_name(f)));
out:
    vfy_report_free(rep);
    sk_X509_pop_free(trust, X509_free);
    return rc;
}

const api_endpoint api_ep_sign[] = {
    {"POST", "/api/v1/sign", API_AUTH_ANY, API_IN_FORM, 0, API_F_SECRET | API_F_POOL_SIGN, "sign",
     sign_one, RA_ACT_SIGN},
    {"POST", "/api/v1/sign/batch", API_AUTH_ANY, API_IN_FORM, 0, API_F_SECRET | API_F_POOL_SIGN,
     "sign_batch", sign_batch, RA_ACT_SIGN},
    {"POST", "/api/v1/verify", API_AUTH_NONE, API_IN_FORM, 0, API_F_POOL_VERIFY, "verify", verify,
     RA_ACT_VERIFY},
};
const size_t api_ep_sign_n = sizeof(api_ep_sign) / sizeof(api_ep_sign[0]);
