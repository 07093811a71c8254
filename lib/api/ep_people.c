/*
 * ep_people.c - people and what they do for themselves outside an
 * application:
 *
 *   POST /api/v1/registrations            register a person (self-registration, or by a
 *                                         verifier/administrator, or an agency system with the
 *                                         register scope): ra_register
 *   POST /api/v1/email/confirm            {token, password}: confirm the e-mail and set the
 *                                         login password (ra_email_confirm_password)
 *   POST /api/v1/password/reset-request   {email}: mail a reset link (the same answer for an
 *                                         unknown address)
 *   POST /api/v1/password/reset           {token, password}
 *   PUT  /api/v1/account/password         {current_password, new_password} (logged in)
 *   POST /api/v1/passphrase               {token, passphrase}: create the passphrase with the
 *                                         approval mail's token; issues the certificate
 *   GET  /api/v1/passphrase/forgotten     what to do: the key cannot be recovered
 *   POST /api/v1/factor/totp              {passphrase?, code?}: enrol an authenticator
 *                                         (otpauth URI, its secret in base32, a QR code as a
 *                                         PNG data URI)
 *   POST /api/v1/factor/email-code        mail a one-time signing code to oneself
 *   GET  /api/v1/people/{nik}/status      BSrE's person status (ra_status_for)
 *   GET  /api/v1/certificates/mine        ?format=pem|der: one's own certificate
 *
 * Every rule is the library's (lib/ra); secrets (passwords, passphrases,
 * tokens, codes, the authenticator's secret) are wiped once the answer is
 * made. The otpauth URI (RFC 6238 key URI format) and QR code (ISO/IEC
 * 18004) carry the authenticator's secret and are shown once.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "pdf/pdf.h"
#include "ra/totp.h"

#define NAME_MAX_IN 256
#define TOKEN_MAX_IN 128
#define SECRET_MAX_IN 1024

/* A library refusal of a token (unknown, used, expired): 400 token_invalid with its words. */
static int token_fail(api_call *c, int rc, const sertel_err *err)
{
    if (rc == SERTEL_ERR_DENIED)
        return api_error(c, 400, "token_invalid", "%s", err->msg);
    return api_fail(c, rc, err);
}

/* --- registration --- */

static int registrations(api_call *c, sertel_err *err)
{
    ra_registration reg;
    int64_t agency = 0, id = 0;
    int rc;

    memset(&reg, 0, sizeof(reg));
    API_TRY(api_in_int(c, "agency_id", true, 1, INT64_MAX, &agency));
    API_TRY(api_in_str(c, "name", true, NAME_MAX_IN, &reg.name));
    API_TRY(api_in_str(c, "nik", true, 32, &reg.nik));
    API_TRY(api_in_str(c, "email", true, 254, &reg.email));
    API_TRY(api_in_str(c, "unit", true, NAME_MAX_IN, &reg.unit));
    API_TRY(api_in_str(c, "position", true, NAME_MAX_IN, &reg.position));
    reg.agency_id = agency;
    rc = ra_register(c->r, c->authed ? &c->actor : NULL, &reg, &id, err);
    if (rc != SERTEL_OK)
        return rc;
    return api_json(c, 201,
                    json_pack("{s:I, s:s, s:s}", "account_id", (json_int_t)id, "email", reg.email,
                              "next",
                              "confirm the e-mail address with the token mailed to it: "
                              "POST /api/v1/email/confirm"));
}

/* --- e-mail confirmation and passwords --- */

static int email_confirm(api_call *c, sertel_err *err)
{
    const char *token, *password;
    int rc;

    API_TRY(api_in_str(c, "token", true, TOKEN_MAX_IN, &token));
    API_TRY(api_in_str(c, "password", true, SECRET_MAX_IN, &password));
    rc = ra_email_confirm_password(c->r, token, password, err);
    if (rc == SERTEL_ERR_INVALID)
        return api_error(c, 400, "password_weak", "%s", err->msg);
    if (rc != SERTEL_OK)
        return token_fail(c, rc, err);
    return api_json(c, 200, json_pack("{s:b, s:b}", "confirmed", 1, "password_set", 1));
}

static int reset_request(api_call *c, sertel_err *err)
{
    const char *email;
    int rc;

    API_TRY(api_in_str(c, "email", true, 254, &email));
    rc = ra_password_reset_request(c->r, email, err);
    if (rc != SERTEL_OK)
        return rc;
    /* The same answer whether or not the address has an account. */
    return api_json(c, 202,
                    json_pack("{s:s}", "message",
                              c->lang == API_LANG_EN
                                  ? "If the address has an account, a reset link was mailed to it."
                                  : "Jika alamat tersebut memiliki akun, tautan untuk mengatur "
                                    "ulang kata sandi telah dikirim."));
}

static int reset(api_call *c, sertel_err *err)
{
    const char *token, *password;
    int rc;

    API_TRY(api_in_str(c, "token", true, TOKEN_MAX_IN, &token));
    API_TRY(api_in_str(c, "password", true, SECRET_MAX_IN, &password));
    rc = ra_password_reset(c->r, token, password, err);
    if (rc == SERTEL_ERR_INVALID)
        return api_error(c, 400, "password_weak", "%s", err->msg);
    if (rc != SERTEL_OK)
        return token_fail(c, rc, err);
    return api_json(c, 200, json_pack("{s:b}", "password_set", 1));
}

static int password_change(api_call *c, sertel_err *err)
{
    const char *cur, *pw;
    int rc;

    API_TRY(api_in_str(c, "current_password", true, SECRET_MAX_IN, &cur));
    API_TRY(api_in_str(c, "new_password", true, SECRET_MAX_IN, &pw));
    rc = ra_password_change(c->r, &c->actor, cur, pw, err);
    if (rc == SERTEL_ERR_DENIED)
        return api_error(c, 403, "current_password_wrong", NULL);
    if (rc == SERTEL_ERR_INVALID)
        return api_error(c, 400, "password_weak", "%s", err->msg);
    if (rc == SERTEL_ERR_BUSY && strstr(err->msg, "too many") != NULL) {
        (void)http_response_header(c->resp, "Retry-After", "900");
        return api_error(c, 429, "login_throttled", NULL);
    }
    if (rc != SERTEL_OK)
        return rc;
    /* Every session ended with the old password, this one too. */
    (void)api_clear_cookie(c);
    return api_json(c, 200, json_pack("{s:b, s:b}", "password_changed", 1, "logged_out", 1));
}

/* --- the passphrase --- */

static int passphrase(api_call *c, sertel_err *err)
{
    const char *token, *pass;
    char serial[41] = "";
    int rc;

    API_TRY(api_in_str(c, "token", true, TOKEN_MAX_IN, &token));
    API_TRY(api_in_str(c, "passphrase", true, SECRET_MAX_IN, &pass));
    /* Logged in: the owner; otherwise whoever holds the token mailed to the owner. */
    rc = ra_passphrase_create(c->r, c->authed ? &c->actor : NULL, token, pass, serial, err);
    if (rc == SERTEL_ERR_INVALID)
        return api_error(c, 400, "passphrase_weak", "%s", err->msg);
    if (rc == SERTEL_ERR_DENIED && strstr(err->msg, "token") != NULL)
        return token_fail(c, rc, err);
    if (rc != SERTEL_OK)
        return rc;
    /* The certificate was issued just now: the owner may sign (BSrE's ISSUE). */
    return api_json(c, 201,
                    json_pack("{s:s, s:s, s:s}", "serial", serial, "status",
                              ra_status_name(RA_STATUS_ISSUE), "certificate",
                              "GET /api/v1/certificates/mine (after logging in)"));
}

static int passphrase_forgotten(api_call *c, sertel_err *err)
{
    const int en = c->lang == API_LANG_EN;

    (void)err;
    return api_json(
        c, 200,
        json_pack(
            "{s:b, s:s, s:[{s:i, s:s, s:s, s:s, s:o}, {s:i, s:s, s:s, s:s}, {s:i, s:s, s:s, s:s, "
            "s:o}, {s:i, s:s, s:s, s:s}]}",
            "recoverable", 0, "message",
            en ? "A passphrase cannot be recovered or reset: only you knew it, and the private key "
                 "is stored encrypted under it. Revoke the certificate and apply for a new one; "
                 "you create a new passphrase when it is approved."
               : "Passphrase tidak dapat dipulihkan atau diatur ulang: hanya Anda yang "
                 "mengetahuinya, dan kunci privat disimpan terenkripsi dengannya. Cabut sertifikat "
                 "lalu ajukan permohonan baru; passphrase baru dibuat setelah disetujui.",
            "steps", "step", 1, "what",
            en ? "Apply for revocation (the key can no longer be used)"
               : "Ajukan pencabutan (kunci tidak dapat digunakan lagi)",
            "method", "POST", "path", "/api/v1/applications", "form",
            json_pack("{s:s, s:s, s:s}", "type", "revocation", "reason", "lainnya", "note",
                      "passphrase lupa"),
            "step", 2, "what",
            en ? "Wait for the verifier's approval (mailed to you)"
               : "Tunggu persetujuan verifikator (dikirim melalui email)",
            "method", "GET", "path", "/api/v1/applications", "step", 3, "what",
            en ? "Apply for issuance again with the letter and the e-KTP"
               : "Ajukan penerbitan kembali dengan surat rekomendasi dan e-KTP",
            "method", "POST", "path", "/api/v1/applications", "form",
            json_pack("{s:s, s:s, s:s}", "type", "issuance", "letter", "(PDF file)", "ktp",
                      "(JPEG or PNG file)"),
            "step", 4, "what",
            en ? "Create the new passphrase with the token from the approval mail"
               : "Buat passphrase baru dengan token dari email persetujuan",
            "method", "POST", "path", "/api/v1/passphrase"));
}

/* --- the second factor --- */

static int hexval(char ch)
{
    return ch >= '0' && ch <= '9'   ? ch - '0'
           : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
           : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                                    : -1;
}

/*
 * The value of query parameter name ("secret", "issuer") of the otpauth URI
 * totp_uri built, percent-decoded (RFC 3986 §2.1), into out ("" if absent).
 */
static void uri_param(const char *uri, const char *name, char *out, size_t cap)
{
    const char *q = strchr(uri, '?');
    size_t nl = strlen(name), o = 0;

    out[0] = '\0';
    while (q != NULL) {
        q++;
        if (strncmp(q, name, nl) == 0 && q[nl] == '=') {
            for (q += nl + 1; *q && *q != '&' && o + 1 < cap; q++) {
                if (*q == '%' && hexval(q[1]) >= 0 && hexval(q[2]) >= 0) {
                    out[o++] = (char)(hexval(q[1]) * 16 + hexval(q[2]));
                    q += 2;
                } else {
                    out[o++] = *q;
                }
            }
            out[o] = '\0';
            return;
        }
        q = strchr(q, '&');
    }
}

static int factor_totp(api_call *c, sertel_err *err)
{
    const char *pass, *code;
    char uri[TOTP_URI_MAX] = "", secret[128] = "", issuer[TOTP_LABEL_MAX + 1] = "";
    unsigned char *png = NULL;
    char *b64 = NULL, *data_uri = NULL;
    size_t png_len = 0, b64_len, du_len;
    json_t *o = NULL;
    int rc;

    API_TRY(api_in_str(c, "passphrase", false, SECRET_MAX_IN, &pass));
    API_TRY(api_in_str(c, "code", false, 16, &code));
    /* An owner enrols with the passphrase (the signing factor); a staff account without an
     * authenticator enrols it right after its first login. */
    if (pass != NULL)
        rc = ra_totp_enroll(c->r, &c->actor, c->actor.email, pass, code, uri, sizeof(uri), err);
    else
        rc = ra_totp_enroll_staff(c->r, &c->actor, uri, sizeof(uri), err);
    if (rc == SERTEL_ERR_DENIED && pass != NULL)
        return api_error(c, 403, "passphrase_wrong", NULL);
    if (rc == SERTEL_ERR_STATE && pass == NULL)
        return api_error(c, 409, "factor_enrolled", "%s", err->msg);
    if (rc != SERTEL_OK)
        return rc;
    uri_param(uri, "secret", secret, sizeof(secret));
    uri_param(uri, "issuer", issuer, sizeof(issuer));
    rc = pdf_qr_png(uri, 6, &png, &png_len, err);
    if (rc != SERTEL_OK)
        goto out;
    b64_len = sodium_base64_ENCODED_LEN(png_len, sodium_base64_VARIANT_ORIGINAL);
    du_len = 22 + b64_len;
    b64 = malloc(b64_len);
    data_uri = malloc(du_len);
    if (b64 == NULL || data_uri == NULL) {
        rc = sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
        goto out;
    }
    sodium_bin2base64(b64, b64_len, png, png_len, sodium_base64_VARIANT_ORIGINAL);
    snprintf(data_uri, du_len, "data:image/png;base64,%s", b64);
    /* The issuer authenticator apps show is the organisation ([ca] org). */
    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "otpauth_uri", uri, "secret", secret, "issuer",
                  issuer, "account", c->actor.email, "qr_png", data_uri, "note",
                  c->lang == API_LANG_EN
                      ? "Scan the QR code with an authenticator app now; it is not shown again."
                      : "Pindai kode QR dengan aplikasi autentikator sekarang; kode ini tidak "
                        "ditampilkan lagi.");
    rc = api_json(c, 201, o);
out:
    if (png != NULL) {
        sodium_memzero(png, png_len);
        free(png);
    }
    if (b64 != NULL) {
        sodium_memzero(b64, strlen(b64));
        free(b64);
    }
    if (data_uri != NULL) {
        sodium_memzero(data_uri, strlen(data_uri));
        free(data_uri);
    }
    sodium_memzero(uri, sizeof(uri));
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

static int factor_email(api_call *c, sertel_err *err)
{
    int rc = ra_email_otp_send(c->r, &c->actor, c->actor.email, err);

    if (rc != SERTEL_OK)
        return rc;
    return api_json(c, 202, json_pack("{s:b, s:i}", "sent", 1, "valid_minutes", 5));
}

/* --- status and certificate --- */

static int person_status(api_call *c, sertel_err *err)
{
    ra_status st = RA_STATUS_NOT_REGISTERED;
    int rc;

    if (c->req->nparams < 1)
        return api_error(c, 404, "not_found", NULL);
    rc = ra_status_for(c->r, &c->actor, c->req->params[0], &st, err);
    if (rc == SERTEL_ERR_INVALID)
        return api_error(c, 400, "nik_invalid", "%s", err->msg);
    if (rc != SERTEL_OK)
        return rc;
    return api_json(
        c, 200, json_pack("{s:s, s:s}", "nik", c->req->params[0], "status", ra_status_name(st)));
}

static int cert_mine(api_call *c, sertel_err *err)
{
    const char *fmt = http_query(c->req, "format");
    ca_cert_record rec;
    unsigned char *body = NULL;
    size_t len = 0;
    char disp[128];
    int rc, pem;

    if (fmt == NULL || strcmp(fmt, "pem") == 0)
        pem = 1;
    else if (strcmp(fmt, "der") == 0)
        pem = 0;
    else
        return api_error(c, 400, "field_invalid", "format must be pem or der");
    rc = ra_person_cert(c->r, &c->actor, c->actor.email, &rec, err);
    if (rc == SERTEL_ERR_NOTFOUND)
        return api_error(c, 404, "no_certificate", NULL);
    if (rc != SERTEL_OK)
        return rc;
    if (pem) {
        size_t b64 = sodium_base64_ENCODED_LEN(rec.der_len, sodium_base64_VARIANT_ORIGINAL);
        char *tmp = malloc(b64);
        len = 0;
        body = malloc(b64 + b64 / 64 + 64);
        if (tmp != NULL && body != NULL) {
            size_t i, n;
            sodium_bin2base64(tmp, b64, rec.der, rec.der_len, sodium_base64_VARIANT_ORIGINAL);
            n = strlen(tmp);
            len += (size_t)snprintf((char *)body, 32, "-----BEGIN CERTIFICATE-----\n");
            for (i = 0; i < n; i += 64) {
                size_t k = n - i < 64 ? n - i : 64;
                memcpy(body + len, tmp + i, k);
                len += k;
                body[len++] = '\n';
            }
            memcpy(body + len, "-----END CERTIFICATE-----\n", 26);
            len += 26;
        } else {
            free(body);
            body = NULL;
        }
        free(tmp);
    } else if ((body = malloc(rec.der_len)) != NULL) {
        memcpy(body, rec.der, rec.der_len);
        len = rec.der_len;
    }
    snprintf(disp, sizeof(disp), "attachment; filename=\"%s.%s\"", rec.serial, pem ? "pem" : "cer");
    ca_cert_record_clear(&rec);
    if (body == NULL)
        return sertel_err_set(err, SERTEL_ERR_NOMEM, "out of memory");
    c->resp->status = 200;
    snprintf(c->resp->content_type, sizeof(c->resp->content_type), "%s",
             pem ? "application/x-pem-file" : "application/pkix-cert");
    c->resp->body = body;
    c->resp->len = len;
    c->resp->body_free = free;
    (void)http_response_header(c->resp, "Content-Disposition", disp);
    return SERTEL_OK;
}

const api_endpoint api_ep_people[] = {
    {"POST", "/api/v1/registrations", API_AUTH_NONE, API_IN_JSON, 0, 0, "registrations",
     registrations, RA_ACT_REGISTER},
    {"POST", "/api/v1/email/confirm", API_AUTH_NONE, API_IN_JSON, 0, API_F_SECRET, "email_confirm",
     email_confirm, RA_ACT_COUNT},
    {"POST", "/api/v1/password/reset-request", API_AUTH_NONE, API_IN_JSON, 0, 0,
     "password_reset_request", reset_request, RA_ACT_COUNT},
    {"POST", "/api/v1/password/reset", API_AUTH_NONE, API_IN_JSON, 0, API_F_SECRET,
     "password_reset", reset, RA_ACT_COUNT},
    {"PUT", "/api/v1/account/password", API_AUTH_SESSION, API_IN_JSON, 0,
     API_F_SECRET | API_F_ENROLMENT, "account_password", password_change, RA_ACT_COUNT},
    {"POST", "/api/v1/passphrase", API_AUTH_NONE, API_IN_JSON, 0, API_F_SECRET, "passphrase",
     passphrase, RA_ACT_PASSPHRASE_CREATE},
    {"GET", "/api/v1/passphrase/forgotten", API_AUTH_NONE, API_IN_NONE, 0, 0,
     "passphrase_forgotten", passphrase_forgotten, RA_ACT_COUNT},
    {"POST", "/api/v1/factor/totp", API_AUTH_SESSION, API_IN_JSON, 0,
     API_F_SECRET | API_F_ENROLMENT, "factor_totp", factor_totp, RA_ACT_FACTOR_ENROLL},
    {"POST", "/api/v1/factor/email-code", API_AUTH_SESSION, API_IN_NONE, 0, 0, "factor_email",
     factor_email, RA_ACT_CODE_REQUEST},
    {"GET", "/api/v1/people/{}/status", API_AUTH_ANY, API_IN_NONE, 0, 0, "person_status",
     person_status, RA_ACT_STATUS_VIEW},
    {"GET", "/api/v1/certificates/mine", API_AUTH_SESSION, API_IN_NONE, 0, 0, "certificate_mine",
     cert_mine, RA_ACT_STATUS_VIEW},
};
const size_t api_ep_people_n = sizeof(api_ep_people) / sizeof(api_ep_people[0]);
