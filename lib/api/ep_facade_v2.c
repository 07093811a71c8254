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
#include "api/facade.h"

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
    {"POST", "/api/v2/sign/get/totp", API_AUTH_CLIENT, API_IN_JSON, 0, API_F_FACADE | API_F_SECRET,
     "facade_v2_get_totp", v2_get_totp, RA_ACT_SIGN},
    {"POST", "/api/v2/user/check/status", API_AUTH_CLIENT, API_IN_JSON, 0, API_F_FACADE,
     "facade_v2_status", v2_status, RA_ACT_STATUS_VIEW},
    {"POST", "/api/v2/verify/pdf", API_AUTH_CLIENT, API_IN_JSON, 0, API_F_FACADE | API_F_UPLOAD,
     "facade_v2_verify", v2_verify, RA_ACT_VERIFY},
    {"POST", "/api/v2/seal/", API_AUTH_NONE, API_IN_NONE, 1u << 20, API_F_FACADE | API_F_PREFIX,
     "facade_v2_seal", v2_seal, RA_ACT_COUNT},
    {"GET", "/api/v2/seal/", API_AUTH_NONE, API_IN_NONE, 0, API_F_FACADE | API_F_PREFIX,
     "facade_v2_seal_get", v2_seal, RA_ACT_COUNT},
};
const size_t api_ep_facade_v2_n = sizeof(api_ep_facade_v2) / sizeof(api_ep_facade_v2[0]);
