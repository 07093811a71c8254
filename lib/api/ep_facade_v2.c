/*
 * ep_facade_v2.c - BSrE's signing API, version 2 (JSON, files in base64),
 * for agency systems with an API client (HTTP Basic):
 *
 *   POST /api/v2/sign/get/totp       {nik | email, passphrase, code?} -> a short signing
 *                                    session's code (ra_sign_session_open): {totp, ...}
 *   POST /api/v2/user/check/status   {nik | email} -> {status_code, status, message}
 *   POST /api/v2/verify/pdf          {file (base64), password?} -> {conclusion, description,
 *                                    signatureCount, signatureInformations[]}
 *   /api/v2/seal/...                 deferred: 404 with a message saying so
 *
 * The totp of get/totp is sertel's decision for what BSrE leaves to its own
 * servers (docs/api.md, "BSrE facade"): get/totp takes the passphrase (and
 * the owner's code where [signing] second_factor asks for one and the
 * client does not vouch), opens a session in the library - the owner's key
 * re-wrapped under a fresh 128-bit code, an expiry and a use limit - and
 * answers the code once; /api/v2/sign/pdf then takes {totp} instead of
 * {passphrase} and unwraps the key for that one request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>

#include "api/api_int.h"
#include "pdf/image_job.h"
#include "api/facade.h"
#include "util/dynbuf.h"
#include "util/num.h"
#include "util/text.h"

#define TEXT_MAX 200 /* reason, location, contactInfo */

#define FILE_MAX ((size_t)64 << 20) /* the body cap ([api] max_body_mib) is the real bound */

/* The person a request names: "nik" or "email" (one of them). Answers its own errors. */
static int person_in(api_call *c, const char **email, const char **nik)
{
    API_TRY(api_in_str(c, "nik", false, 64, nik));
    API_TRY(api_in_str(c, "email", false, 254, email));
    if ((*nik == NULL || **nik == '\0') && (*email == NULL || **email == '\0')) {
        (void)api_error(c, 400, "field_missing", "'nik' or 'email' is required");
        return SERTEL_ERR_INVALID;
    }
    if (*email != NULL && **email == '\0')
        *email = NULL;
    if (*email != NULL)
        *nik = NULL; /* the e-mail names the person when both are sent */
    return SERTEL_OK;
}

/* --- POST /api/v2/sign/pdf --- */

/* Answer 4015 about signatureProperties[i].key. */
static int prop_bad(api_call *c, size_t i, const char *key, const char *what)
{
    (void)api_error(c, 400, "field_invalid", "'signatureProperties[%zu].%s' %s", i, key, what);
    return SERTEL_ERR_INVALID;
}

/* A string member of a property object (NULL when absent, null or ""). Answers 4015. */
static int prop_str(api_call *c, const json_t *o, size_t i, const char *key, size_t max,
                    const char **out)
{
    const json_t *v = json_object_get(o, key);

    *out = NULL;
    if (v == NULL || json_is_null(v))
        return SERTEL_OK;
    if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)))
        return prop_bad(c, i, key, "must be a string");
    if (json_string_length(v) > max)
        return prop_bad(c, i, key, "is too long");
    if (json_string_length(v) > 0)
        *out = json_string_value(v);
    return SERTEL_OK;
}

/* A number member (JSON number or decimal string) in points: SERTEL_OK, 1 absent, or answered. */
static int prop_points(api_call *c, const json_t *o, size_t i, const char *key, double *out)
{
    const json_t *v = json_object_get(o, key);

    if (v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
        return 1;
    if (json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) <= 14400) {
        *out = json_number_value(v);
        return SERTEL_OK;
    }
    if (json_is_string(v) &&
        num_parse_decimal_list(json_string_value(v), ',', 0, 14400, out, 1) == SERTEL_OK)
        return SERTEL_OK;
    return prop_bad(c, i, key, "must be a number of points from 0 to 14400");
}

/*
 * One element of signatureProperties into doc->po.sign (answers its own
 * errors): tampilan VISIBLE | INVISIBLE (default), page (N, or
 * "first" / "last"), originX, originY, width, height (points from the
 * page's lower left) or tag_koordinat (the marker's position, as `sertel
 * sign --marker`; width and height its size when given), imageBase64 (the
 * handwritten signature, PNG or JPEG), reason, location, contactInfo,
 * pdfPassword (of an encrypted input).
 */
static int v2_props(api_call *c, const json_t *o, size_t i, api_facade_doc *doc)
{
    pdf_sign_opts *so = &doc->po.sign;
    const char *v, *texts[3] = {"reason", "location", "contactInfo"}, *tv[3];
    const json_t *page;
    sertel_err e = {0};
    size_t k;
    int r;

    if (o != NULL && !json_is_object(o))
        return prop_bad(c, i, "", "must be an object");
    for (k = 0; k < 3; k++) {
        API_TRY(prop_str(c, o, i, texts[k], TEXT_MAX, &tv[k]));
        if (tv[k] != NULL && text_check_field(texts[k], tv[k], TEXT_MAX, &e) != SERTEL_OK)
            return prop_bad(c, i, texts[k], "must be printable UTF-8 text of at most 200 bytes");
    }
    so->reason = tv[0];
    so->location = tv[1];
    so->contact = tv[2];
    API_TRY(prop_str(c, o, i, "pdfPassword", 1024, &so->password));
    API_TRY(prop_str(c, o, i, "tampilan", 16, &v));
    if (v == NULL || strcasecmp(v, "INVISIBLE") == 0)
        return SERTEL_OK;
    if (strcasecmp(v, "VISIBLE") != 0)
        return prop_bad(c, i, "tampilan", "must be VISIBLE or INVISIBLE");
    so->visible = 1;
    so->page = 1;
    page = json_object_get(o, "page");
    if (page != NULL && !json_is_null(page)) {
        if (json_is_integer(page) && json_integer_value(page) >= 1 &&
            json_integer_value(page) <= 10000000)
            so->page = (size_t)json_integer_value(page);
        else if (json_is_string(page) && strcasecmp(json_string_value(page), "last") == 0)
            so->page = PDF_PAGE_LAST;
        else if (json_is_string(page) && strcasecmp(json_string_value(page), "first") == 0)
            so->page = 1;
        else {
            int64_t p;
            if (!json_is_string(page) ||
                num_parse_i64z(json_string_value(page), 1, 10000000, &p) != SERTEL_OK)
                return prop_bad(c, i, "page", "must be a page number from 1, first or last");
            so->page = (size_t)p;
        }
    }
    API_TRY(prop_str(c, o, i, "tag_koordinat", 128, &v));
    if (v != NULL) {
        so->marker = v;
        if ((r = prop_points(c, o, i, "width", &so->rect[2])) == SERTEL_ERR_INVALID ||
            (r = prop_points(c, o, i, "height", &so->rect[3])) == SERTEL_ERR_INVALID)
            return r;
        if (so->rect[2] <= 0 || so->rect[3] <= 0)
            so->rect[2] = so->rect[3] = 0; /* the library's default size */
    } else {
        static const char *const xywh[] = {"originX", "originY", "width", "height"};
        for (k = 0; k < 4; k++) {
            r = prop_points(c, o, i, xywh[k], &so->rect[k]);
            if (r == SERTEL_ERR_INVALID)
                return r;
            if (r == 1) {
                (void)api_error(c, 400, "field_missing",
                                "'signatureProperties[%zu].%s' is required for a VISIBLE "
                                "signature without tag_koordinat",
                                i, xywh[k]);
                return SERTEL_ERR_INVALID;
            }
        }
        if (so->rect[2] <= 0 || so->rect[3] <= 0)
            return prop_bad(c, i, "width", "and height must be more than 0");
    }
    API_TRY(prop_str(c, o, i, "imageBase64", PDF_IMAGE_MAX_FILE * 4 / 3 + 8, &v));
    if (v != NULL) {
        unsigned char *buf = NULL;
        size_t len = 0;
        char name[64];
        snprintf(name, sizeof(name), "signatureProperties[%zu].imageBase64", i);
        r = api_facade_b64_decode(c, name, v, PDF_IMAGE_MAX_FILE, &buf, &len);
        if (r != SERTEL_OK)
            return r;
        r = pdf_image_load_sb(c->a->sb, buf, len, &doc->img, &e); /* decoded in the worker */
        free(buf);
        if (r != SERTEL_OK)
            return prop_bad(c, i, "imageBase64",
                            "must be a PNG or JPEG image (4096 x 4096 pixels at most)");
        so->image = &doc->img;
    }
    return SERTEL_OK;
}

static int64_t ms_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sign_pdf_v2(api_call *c, sertel_err *err)
{
    const char *email = NULL, *nik = NULL, *pass = NULL, *totp = NULL, *code = NULL;
    const json_t *files, *props;
    api_facade_doc *docs = NULL;
    api_facade_auth au;
    dynbuf ans;
    size_t n = 0, np = 0, i;
    int64_t t0 = ms_now();
    int rc = SERTEL_OK, answered = 0;

    dynbuf_init(&ans, 0); /* nothing allocated until the answer is written */
    if (ra_policy_reach(&c->actor, RA_ACT_SIGN) == RA_REACH_NONE)
        return api_error(c, 403, "forbidden", "this client's scopes do not include sign");
    API_TRY(person_in(c, &email, &nik));
    API_TRY(api_in_str(c, "passphrase", false, 1024, &pass));
    API_TRY(api_in_str(c, "totp", false, 64, &totp));
    API_TRY(api_in_str(c, "code", false, 16, &code));
    if (pass != NULL && pass[0] == '\0')
        pass = NULL;
    if (totp != NULL && totp[0] == '\0')
        totp = NULL;
    if (code != NULL && code[0] == '\0')
        code = NULL;
    if (pass == NULL && totp == NULL)
        return api_error(c, 400, "field_missing", "'passphrase' or 'totp' is required");
    files = json_object_get(c->in, "file");
    if (files == NULL || json_is_null(files))
        return api_error(c, 400, "field_missing", "'file' (an array of base64 PDFs) is required");
    if (!json_is_array(files) || json_array_size(files) == 0)
        return api_error(c, 400, "field_invalid",
                         "'file' must be a non-empty array of base64 PDFs");
    n = json_array_size(files);
    if (n > c->a->batch_max_files)
        return api_error(c, 413, "too_many_files", "at most %zu files in one request",
                         c->a->batch_max_files);
    props = json_object_get(c->in, "signatureProperties");
    if (props != NULL && !json_is_null(props)) {
        if (!json_is_array(props))
            return api_error(c, 400, "field_invalid", "'signatureProperties' must be an array");
        np = json_array_size(props);
        if (np > 1 && np != n)
            return api_error(c, 400, "field_invalid",
                             "'signatureProperties' has one element for every file, or one for "
                             "all of them (%zu for %zu files)",
                             np, n);
    }
    docs = calloc(n, sizeof(*docs));
    if (docs == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    for (i = 0; i < n; i++)
        docs[i].in_fd = -1;
    for (i = 0; i < n; i++) {
        const json_t *f = json_array_get(files, i);
        unsigned char *pdf = NULL;
        size_t len = 0;
        char name[32];
        if (np > 0 && v2_props(c, json_array_get(props, np == 1 ? 0 : i), np == 1 ? 0 : i,
                               &docs[i]) != SERTEL_OK)
            goto out; /* answered */
        snprintf(name, sizeof(name), "file[%zu]", i);
        if (!json_is_string(f)) {
            (void)api_error(c, 400, "field_invalid", "'%s' must be a base64 string", name);
            goto out;
        }
        rc = api_facade_b64_decode(c, name, json_string_value(f), c->a->max_body, &pdf, &len);
        if (rc == SERTEL_ERR_INVALID) {
            rc = SERTEL_OK;
            goto out;
        }
        if (rc != SERTEL_OK) {
            rc = sertel_err_set(err, rc, "out of memory");
            goto out;
        }
        rc = api_facade_spool(c, pdf, len, &docs[i].in_fd, err);
        free(pdf);
        if (rc != SERTEL_OK)
            goto out;
        docs[i].own_in = 1;
    }
    rc = api_facade_sign_precheck(c, email, nik, totp != NULL || code != NULL, err);
    if (rc != SERTEL_OK) {
        rc = rc == SERTEL_ERR_INVALID ? SERTEL_OK : rc;
        goto out;
    }
    memset(&au, 0, sizeof(au));
    au.email = email;
    au.nik = nik;
    au.passphrase = totp != NULL ? NULL : pass;
    au.code = code;
    au.totp = totp;
    rc = api_facade_sign(c, &au, docs, n, &answered, err);
    if (answered || rc != SERTEL_OK)
        goto out;
    for (i = 0; i < n; i++)
        if (docs[i].rc != SERTEL_OK) {
            if (docs[i].rc == SERTEL_ERR_BUSY || docs[i].rc == SERTEL_ERR_STORE ||
                docs[i].rc == SERTEL_ERR_NOMEM || docs[i].rc == SERTEL_ERR_IO ||
                docs[i].rc == SERTEL_ERR_INTERNAL || docs[i].rc == SERTEL_ERR_CRYPTO) {
                *err = docs[i].err;
                rc = docs[i].rc;
            } else {
                rc = api_error(c, 400, "field_invalid", "'file[%zu]': %s", i, docs[i].err.msg);
            }
            goto out;
        }
    /* The answer's text written directly: each file's base64 appended as it is encoded (its
     * alphabet needs no JSON escaping), not built as jansson strings and escaped again byte by
     * byte - the answer of a batch is tens of megabytes. */
    dynbuf_addf(&ans, "{\"time\":%lld,\"file\":[", (long long)(ms_now() - t0));
    for (i = 0; i < n; i++) {
        size_t need = sodium_base64_encoded_len(docs[i].len, sodium_base64_VARIANT_ORIGINAL);
        unsigned char *dst;
        dynbuf_addstr(&ans, i > 0 ? ",\"" : "\"");
        if ((dst = dynbuf_reserve(&ans, need, NULL)) != NULL) {
            sodium_bin2base64((char *)dst, need, docs[i].pdf, docs[i].len,
                              sodium_base64_VARIANT_ORIGINAL);
            dynbuf_advance(&ans, need - 1);
        }
        dynbuf_addstr(&ans, "\"");
        free(docs[i].pdf); /* its memory back as soon as it is encoded */
        docs[i].pdf = NULL;
    }
    dynbuf_addstr(&ans, "],\"id_dokumen\":[");
    for (i = 0; i < n; i++) /* ids are 32 hex digits: nothing to escape */
        dynbuf_addf(&ans, "%s\"%s\"", i > 0 ? "," : "", docs[i].id);
    dynbuf_addstr(&ans, "]}");
    if ((rc = api_json_text(c, &ans)) != SERTEL_OK)
        rc = sertel_err_set(err, rc, "out of memory");
out:
    dynbuf_free(&ans);
    api_facade_docs_free(docs, n);
    free(docs);
    return rc;
}

/* POST /api/v2/sign/pdf (v2_sign: the passphrase and codes are wiped on every path) */
static int v2_sign(api_call *c, sertel_err *err)
{
    int rc = sign_pdf_v2(c, err);

    api_wipe_secret(c, "passphrase");
    api_wipe_secret(c, "totp");
    api_wipe_secret(c, "code");
    return rc;
}

/* POST /api/v2/sign/get/totp */
static int v2_get_totp(api_call *c, sertel_err *err)
{
    const char *email = NULL, *nik = NULL, *pass = NULL, *code = NULL;
    char totp[RA_SIGN_SESSION_CODE_LEN + 1], until[32];
    ra_sign_session_info info;
    ra_sign_why why;
    struct tm tm;
    time_t t;
    int rc;

    API_TRY(person_in(c, &email, &nik));
    API_TRY(api_in_str(c, "passphrase", true, 1024, &pass));
    API_TRY(api_in_str(c, "code", false, 16, &code));
    if (code != NULL && code[0] == '\0')
        code = NULL;
    rc = api_facade_sign_precheck(c, email, nik, code != NULL, err);
    if (rc == SERTEL_ERR_INVALID)
        return SERTEL_OK;
    if (rc != SERTEL_OK)
        return rc;
    rc = ra_sign_session_open(c->r, &c->actor, email, nik, pass, code, totp, &info, &why, err);
    api_wipe_secret(c, "passphrase");
    api_wipe_secret(c, "code");
    if (rc != SERTEL_OK)
        return api_facade_auth_fail(c, rc, err, &why, 0);
    t = (time_t)info.expires_at;
    gmtime_r(&t, &tm);
    strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
    rc = api_json(c, 200,
                  json_pack("{s:s, s:s, s:I, s:I, s:s}", "totp", totp, "expires_at", until,
                            "expires_in", (json_int_t)(info.expires_at - (int64_t)time(NULL)),
                            "uses", (json_int_t)info.uses, "message",
                            c->lang == API_LANG_EN
                                ? "Send this code as 'totp' instead of the passphrase to "
                                  "/api/v2/sign/pdf; it is shown once."
                                : "Kirim kode ini sebagai 'totp' menggantikan passphrase ke "
                                  "/api/v2/sign/pdf; kode hanya ditampilkan sekali."));
    sodium_memzero(totp, sizeof(totp));
    return rc;
}

/* POST /api/v2/user/check/status */
static int v2_status(api_call *c, sertel_err *err)
{
    const char *email = NULL, *nik = NULL;
    ra_status st = RA_STATUS_NOT_REGISTERED;
    int rc;

    if (ra_policy_reach(&c->actor, RA_ACT_STATUS_VIEW) == RA_REACH_NONE)
        return api_error(c, 403, "forbidden", "this client's scopes do not include status");
    API_TRY(person_in(c, &email, &nik));
    rc = ra_status_for_ex(c->r, &c->actor, RA_ACT_STATUS_VIEW, email, nik, &st, err);
    if (rc == SERTEL_ERR_INVALID)
        return api_error(c, 400, "field_invalid",
                         email ? "'email' is not valid" : "'nik' must be a 16-digit NIK");
    if (rc != SERTEL_OK)
        return rc;
    return api_json(c, 200, api_facade_status_json(st, c->lang));
}

/* POST /api/v2/verify/pdf */
static int v2_verify(api_call *c, sertel_err *err)
{
    const char *b64 = NULL, *pw = NULL;
    unsigned char *pdf = NULL;
    size_t len = 0;
    vfy_report *rep = NULL;
    int rc;

    if ((rc = ra_policy_check(&c->actor, RA_ACT_VERIFY, NULL, err)) != SERTEL_OK)
        return rc;
    API_TRY(api_in_str(c, "file", true, FILE_MAX * 4 / 3 + 8, &b64));
    API_TRY(api_in_str(c, "password", false, 1024, &pw));
    rc = api_facade_b64_decode(c, "file", b64, FILE_MAX, &pdf, &len);
    if (rc == SERTEL_ERR_INVALID)
        return SERTEL_OK;
    if (rc != SERTEL_OK)
        return sertel_err_set(err, rc, "out of memory");
    rc = api_facade_verify(c, pdf, len, pw, &rep, err);
    free(pdf);
    api_wipe_secret(c, "password");
    if (rc == SERTEL_ERR_INVALID || rc == SERTEL_ERR_UNSUPPORTED || rc == SERTEL_ERR_IO)
        return api_error(c, 400, "field_invalid", "'file' is not a readable PDF");
    if (rc != SERTEL_OK)
        return rc;
    rc = api_json(c, 200, api_facade_verify_v2(rep, c->lang));
    vfy_report_free(rep);
    return rc;
}

/* /api/v2/seal/... : organisation seals come with a later release. */
static int v2_seal(api_call *c, sertel_err *err)
{
    (void)err;
    return api_error(c, 404, "facade_seal_deferred", NULL);
}

const api_endpoint api_ep_facade_v2[] = {
    {"POST", "/api/v2/sign/pdf", API_AUTH_CLIENT, API_IN_JSON, 0,
     API_F_FACADE | API_F_SECRET | API_F_UPLOAD | API_F_POOL_SIGN, "facade_v2_sign", v2_sign,
     RA_ACT_SIGN},
    {"POST", "/api/v2/sign/get/totp", API_AUTH_CLIENT, API_IN_JSON, 0,
     API_F_FACADE | API_F_SECRET | API_F_POOL_SIGN, "facade_v2_get_totp", v2_get_totp, RA_ACT_SIGN},
    {"POST", "/api/v2/user/check/status", API_AUTH_CLIENT, API_IN_JSON, 0, API_F_FACADE,
     "facade_v2_status", v2_status, RA_ACT_STATUS_VIEW},
    {"POST", "/api/v2/verify/pdf", API_AUTH_CLIENT, API_IN_JSON, 0,
     API_F_FACADE | API_F_UPLOAD | API_F_POOL_VERIFY, "facade_v2_verify", v2_verify, RA_ACT_VERIFY},
    {"POST", "/api/v2/seal/", API_AUTH_NONE, API_IN_NONE, 1u << 20, API_F_FACADE | API_F_PREFIX,
     "facade_v2_seal", v2_seal, RA_ACT_COUNT},
    {"GET", "/api/v2/seal/", API_AUTH_NONE, API_IN_NONE, 0, API_F_FACADE | API_F_PREFIX,
     "facade_v2_seal_get", v2_seal, RA_ACT_COUNT},
};
const size_t api_ep_facade_v2_n = sizeof(api_ep_facade_v2) / sizeof(api_ep_facade_v2[0]);
