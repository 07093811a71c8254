/*
 * ep_session.c - logging in and out:
 *
 *   POST   /api/v1/session   {email, password, code?}  log in: the session cookie is set
 *                            (rotated: a new one every login) and the CSRF token answered
 *   GET    /api/v1/session   who is logged in, and the CSRF token again
 *   DELETE /api/v1/session   log out (?everywhere=1: every session of the account)
 *
 * The rules (throttling, the second factor for staff, what is audited)
 * are ra_login's.
 */
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"

static json_t *session_json(const ra_actor *a, const char *csrf, int enrol)
{
    json_t *o = json_object();

    if (o == NULL)
        return NULL;
    json_object_set_new(o, "account", api_actor_json(a));
    json_object_set_new(o, "csrf_token", json_string(csrf));
    json_object_set_new(o, "factor_enrolment_needed", json_boolean(enrol));
    return o;
}

static int login(api_call *c, sertel_err *err)
{
    const char *email, *password, *code;
    ra_login_result res;
    char wait[24];
    int rc;

    API_TRY(api_in_str(c, "email", true, 254, &email));
    API_TRY(api_in_str(c, "password", true, 1024, &password));
    API_TRY(api_in_str(c, "code", false, 16, &code));
    memset(&res, 0, sizeof(res));
    rc = ra_login(c->r, email, password, code, c->addr, &res, err);
    if (rc == SERTEL_OK) {
        /* an old session the browser still holds ends: one session per login */
        if (c->cookie[0] && ra_logout(c->r, c->cookie, 0, err) != SERTEL_OK)
            sertel_err_clear(err);
        if (api_set_cookie(c, res.cookie) != SERTEL_OK) {
            memset(&res, 0, sizeof(res));
            return sertel_err_set(err, SERTEL_ERR_INTERNAL, "cannot set the session cookie");
        }
        rc = api_json(c, 200, session_json(&res.actor, res.csrf, res.factor_enrolment_needed));
    } else if (rc == SERTEL_ERR_DENIED) {
        rc = api_error(c, 401, "login_failed", NULL);
    } else if (rc == SERTEL_ERR_INVALID && code == NULL && strstr(err->msg, "code") != NULL) {
        rc = api_error(c, 401, "code_required", NULL);
    } else if (rc == SERTEL_ERR_BUSY && res.retry_after > 0) {
        snprintf(wait, sizeof(wait), "%lld", (long long)res.retry_after);
        (void)http_response_header(c->resp, "Retry-After", wait);
        rc = api_error(c, 429, "login_throttled", NULL);
    }
    memset(&res, 0, sizeof(res));
    return rc;
}

static int whoami(api_call *c, sertel_err *err)
{
    (void)err;
    if (c->by_client)
        return api_json(c, 200, json_pack("{s:o}", "client", api_actor_json(&c->actor)));
    return api_json(c, 200, session_json(&c->actor, c->csrf, c->factor_enrolment_needed));
}

static int logout(api_call *c, sertel_err *err)
{
    const char *every = http_query(c->req, "everywhere");
    int rc;

    rc = ra_logout(c->r, c->cookie, every != NULL && strcmp(every, "1") == 0, err);
    if (rc != SERTEL_OK)
        return rc;
    if (api_clear_cookie(c) != SERTEL_OK)
        return sertel_err_set(err, SERTEL_ERR_INTERNAL, "cannot clear the session cookie");
    return api_no_content(c);
}

const api_endpoint api_ep_session[] = {
    {"POST", "/api/v1/session", API_AUTH_NONE, API_IN_JSON, 0, API_F_SECRET, "session_login", login,
     RA_ACT_COUNT},
    {"GET", "/api/v1/session", API_AUTH_SESSION, API_IN_NONE, 0, API_F_ENROLMENT, "session_get",
     whoami, RA_ACT_COUNT},
    {"DELETE", "/api/v1/session", API_AUTH_SESSION, API_IN_NONE, 0, API_F_ENROLMENT,
     "session_logout", logout, RA_ACT_COUNT},
};
const size_t api_ep_session_n = sizeof(api_ep_session) / sizeof(api_ep_session[0]);
